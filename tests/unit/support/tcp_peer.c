/* tcp_peer.c - a scripted TCP peer for unit tests (see tcp_peer.h). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "stack/wire/checksum.h"
#include "stack/wire/eth.h"
#include "stack/wire/ipv4.h"
#include "tests/unit/support/tcp_peer.h"

struct stack_env *tp_env(env_tweak_fn tweak)
{
    struct stack_env *e = env_new(tweak, false);
    env_learn(e, ENV_IP_PEER, &env_mac_peer);
    tp_clear(e);
    return e;
}

size_t tp_frame(uint8_t *buf, size_t cap, const struct tp_seg *sg)
{
    uint8_t tcp[TCP_MAX_HLEN + 1600];
    uint32_t src = sg->src != 0 ? sg->src : ENV_IP_PEER;
    uint32_t dst = sg->dst != 0 ? sg->dst : ENV_IP_US;
    size_t optlen = 0;
    if (sg->opt != NULL) {
        optlen = tcp_options_emit(tcp + TCP_HLEN, TCP_MAX_OPTLEN, sg->opt);
        assert_true(optlen > 0 || tcp_options_len(sg->opt) == 0);
    }
    assert_true(sg->len <= 1600);
    if (sg->len > 0)
        memcpy(tcp + TCP_HLEN + optlen, sg->payload, sg->len);
    struct tcp_emit_args a = {
        .sport = sg->sport != 0 ? sg->sport : TP_PEER_PORT,
        .dport = sg->dport,
        .seq = sg->seq,
        .ack = sg->ack,
        .flags = sg->flags,
        .window = sg->zero_window ? 0 : (sg->window != 0 ? sg->window : 65535),
        .urg_ptr = sg->urg_ptr,
    };
    struct ip_addr s = ip_addr_v4(src), d = ip_addr_v4(dst);
    tcp_emit(tcp, &a, optlen, sg->len, &s, &d);
    struct ipv4_emit_args ip = {.frag = IPV4_FLAG_DF, .ttl = 64, .proto = IPPROTO_TCP_,
                                .src = src, .dst = dst};
    size_t n = frame_ipv4(buf, cap, &env_mac_us, &env_mac_peer, &ip, tcp,
                          TCP_HLEN + optlen + sg->len);
    assert_true(n > 0);
    return n;
}

void tp_send(struct stack_env *e, const struct tp_seg *sg)
{
    uint8_t f[FRAME_MAX];
    size_t n = tp_frame(f, sizeof f, sg);
    env_input(e, f, n);
}

/* Index of the first TCP frame at or after i, or e->nif.n. */
static size_t next_tcp(const struct stack_env *e, size_t i)
{
    for (; i < e->nif.n; i++) {
        struct parsed_frame pf;
        if (frame_parse(e->nif.frames[i].data, e->nif.frames[i].len, &pf) == 0 && pf.is_ipv4 &&
            pf.ip.proto == IPPROTO_TCP_)
            return i;
    }
    return e->nif.n;
}

size_t tp_pending(const struct stack_env *e)
{
    size_t n = 0;
    for (size_t i = next_tcp(e, e->nif.taken); i < e->nif.n; i = next_tcp(e, i + 1))
        n++;
    return n;
}

bool tp_try_take(struct stack_env *e, struct tp_out *out)
{
    size_t i = next_tcp(e, e->nif.taken);
    if (i >= e->nif.n) {
        e->nif.taken = e->nif.n;
        return false;
    }
    e->nif.taken = i + 1;
    struct parsed_frame pf;
    assert_int_equal(frame_parse(e->nif.frames[i].data, e->nif.frames[i].len, &pf), 0);
    memset(out, 0, sizeof *out);
    out->src = pf.ip.src;
    out->dst = pf.ip.dst;
    out->tos = pf.ip.tos;
    assert_true(pf.ip.payload_len <= sizeof out->data);
    memcpy(out->data, pf.ip.payload, pf.ip.payload_len);
    out->seg_len = pf.ip.payload_len;
    const struct fake_frame *ff = &e->nif.frames[i];
    if (ff->offloaded && ff->off.csum_partial) {
        /* Finish the checksum as the device would have. */
        uint16_t sum = inet_csum(out->data, out->seg_len);
        out->data[16] = (uint8_t)(sum >> 8);
        out->data[17] = (uint8_t)sum;
    }
    struct ip_addr s = ip_addr_v4(pf.ip.src), d = ip_addr_v4(pf.ip.dst);
    assert_int_equal(tcp_parse(out->data, out->seg_len, &s, &d, &out->t), WIRE_OK);
    return true;
}

void tp_take(struct stack_env *e, struct tp_out *out)
{
    assert_true(tp_try_take(e, out));
}

void tp_clear(struct stack_env *e)
{
    fake_netif_clear(&e->nif);
}

struct tcp_sock *tp_listen(struct stack_env *e, uint16_t port, int backlog)
{
    struct tcp_sock *l = tcp_sock_open(e->s, NULL, NULL);
    assert_non_null(l);
    struct ip_endpoint ep = env_ep(0, port);
    assert_int_equal(tcp_sock_bind(l, &ep), 0);
    assert_int_equal(tcp_sock_listen(l, backlog), 0);
    return l;
}

struct tcp_options tp_linux_syn_options(uint32_t ts_val)
{
    struct tcp_options o = {
        .has_mss = true, .mss = 1460, .sack_permitted = true, .has_ts = true,
        .ts_val = ts_val, .has_wscale = true, .wscale = 7,
    };
    return o;
}

struct tcp_sock *tp_accept_conn(struct stack_env *e, struct tcp_sock *l, uint16_t port,
                                uint32_t peer_isn, const struct tcp_options *opt,
                                struct tp_out *synack)
{
    struct tp_out sa;
    tp_send(e, &(struct tp_seg){.dport = port, .seq = peer_isn, .flags = TCP_FLAG_SYN,
                                .opt = opt});
    tp_take(e, &sa);
    assert_int_equal(sa.t.flags & (TCP_FLAG_SYN | TCP_FLAG_ACK), TCP_FLAG_SYN | TCP_FLAG_ACK);
    assert_int_equal(sa.t.ack, peer_isn + 1);
    struct tcp_options ack_opt = {0};
    if (opt != NULL && opt->has_ts && sa.t.opt.has_ts) {
        ack_opt.has_ts = true;
        ack_opt.ts_val = opt->ts_val + 1;
        ack_opt.ts_ecr = sa.t.opt.ts_val;
    }
    tp_send(e, &(struct tp_seg){.dport = port, .seq = peer_isn + 1, .ack = sa.t.seq + 1,
                                .flags = TCP_FLAG_ACK, .opt = ack_opt.has_ts ? &ack_opt : NULL,
                                .window = 502});
    int err = 0;
    struct tcp_sock *c = tcp_sock_accept(l, NULL, NULL, &err);
    assert_non_null(c);
    assert_int_equal(err, 0);
    assert_int_equal(tcp_sock_state(c), TCP_ESTABLISHED);
    if (synack != NULL)
        *synack = sa;
    return c;
}

struct tcp_sock *tp_connect_conn(struct stack_env *e, uint32_t peer_isn,
                                 const struct tcp_options *opt, struct tp_out *syn)
{
    struct tcp_sock *c = tcp_sock_open(e->s, NULL, NULL);
    assert_non_null(c);
    struct ip_endpoint to = env_ep(ENV_IP_PEER, TP_PEER_PORT);
    assert_int_equal(tcp_sock_connect(c, &to, e->now), -EINPROGRESS);
    struct tp_out s;
    tp_take(e, &s);
    assert_int_equal(s.t.flags, TCP_FLAG_SYN);
    struct tcp_options o = opt != NULL ? *opt : (struct tcp_options){0};
    if (o.has_ts)
        o.ts_ecr = s.t.opt.ts_val;
    tp_send(e, &(struct tp_seg){.sport = TP_PEER_PORT, .dport = s.t.sport, .seq = peer_isn,
                                .ack = s.t.seq + 1, .flags = TCP_FLAG_SYN | TCP_FLAG_ACK,
                                .opt = opt != NULL ? &o : NULL});
    assert_int_equal(tcp_sock_state(c), TCP_ESTABLISHED);
    struct tp_out a;
    tp_take(e, &a);
    assert_int_equal(a.t.flags & TCP_FLAG_ACK, TCP_FLAG_ACK);
    assert_int_equal(a.t.ack, peer_isn + 1);
    if (syn != NULL)
        *syn = s;
    return c;
}
