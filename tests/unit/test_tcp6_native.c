/* test_tcp6_native.c - TCP over IPv6 through the fake netif with
 * fd77::2/64 (env6.h): handshakes both ways with the IPv6 pseudo-header
 * checksum (RFC 8200 8.1), the IPv6 MSS (RFC 8200 5: MTU - 60), names,
 * IPv4-mapped sources refused on the wire (RFC 4291 2.5.5.2), and a
 * Packet Too Big lowering the MSS (RFC 8201 4). The peer is fd77::9,
 * scripted segment by segment. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "stack/wire/eth.h"
#include "stack/wire/icmp6.h"
#include "stack/wire/tcp.h"
#include "tests/unit/support/env6.h"
#include "tests/unit/support/frames6.h"

#define PEER_PORT 40000

struct seg6 {
    const uint8_t *src;          /* NULL: env6_peer */
    uint16_t sport, dport;       /* sport 0: PEER_PORT */
    uint32_t seq, ack;
    uint8_t flags;
    const struct tcp_options *opt;
    const void *data;
    size_t len;
};

static void send6(struct stack_env *e, const struct seg6 *sg)
{
    uint8_t tcp[TCP_MAX_HLEN + 256], f[512];
    size_t optlen = sg->opt != NULL ? tcp_options_emit(tcp + TCP_HLEN, TCP_MAX_OPTLEN, sg->opt)
                                    : 0;
    assert_true(sg->len <= 256);
    if (sg->len > 0)
        memcpy(tcp + TCP_HLEN + optlen, sg->data, sg->len);
    const uint8_t *src = sg->src != NULL ? sg->src : env6_peer;
    struct tcp_emit_args a = {
        .sport = sg->sport != 0 ? sg->sport : PEER_PORT, .dport = sg->dport,
        .seq = sg->seq, .ack = sg->ack, .flags = sg->flags, .window = 65535,
    };
    struct ip_addr s = ipv6_addr_tag(src), d = ipv6_addr_tag(env6_us);
    tcp_emit(tcp, &a, optlen, sg->len, &s, &d);
    size_t n = f6_packet(f, sizeof f, src, env6_us, IPV6_NH_TCP, 64, tcp,
                         TCP_HLEN + optlen + sg->len);
    f6_input(e, f, n);
}

/* The i-th recorded frame as IPv6 + TCP, checksum verified. */
static void out6(const struct stack_env *e, size_t i, struct ipv6_view *ip, struct tcp_view *t)
{
    const struct fake_frame *fr = fake_netif_frame(&e->nif, i);
    assert_non_null(fr);
    assert_int_equal(rd16(fr->data + 12), ETHERTYPE_IPV6);
    assert_int_equal(ipv6_parse(fr->data + ETH_HLEN, fr->len - ETH_HLEN, ip), WIRE_OK);
    assert_int_equal(ip->next_header, IPV6_NH_TCP);
    struct ip_addr s = ipv6_addr_tag(ip->src), d = ipv6_addr_tag(ip->dst);
    assert_int_equal(tcp_parse(ip->payload, ip->payload_len, &s, &d, t), WIRE_OK);
}

static struct stack_env *ready(void)
{
    struct stack_env *e = env6_ready(env6_tweak_no_slaac);
    f6_learn_peer(e);
    return e;
}

/* Passive open on [::]:80, then data both ways. */
static struct tcp_sock *accept6(struct stack_env *e, struct tcp_sock **lp, uint32_t *our_isn)
{
    struct tcp_sock *l = tcp_sock_open(e->s, NULL, NULL);
    assert_int_equal(tcp_sock_set_family(l, IP_FAMILY_V6), 0);
    struct ip_endpoint any = env6_ep(env6_unspec, 80);
    assert_int_equal(tcp_sock_bind(l, &any), 0);
    assert_int_equal(tcp_sock_listen(l, 4), 0);
    struct tcp_options o = {.has_mss = true, .mss = 1440};
    send6(e, &(struct seg6){.dport = 80, .seq = 1000, .flags = TCP_FLAG_SYN, .opt = &o});
    assert_int_equal(e->nif.n, 1);
    struct ipv6_view ip;
    struct tcp_view t;
    out6(e, 0, &ip, &t);
    assert_memory_equal(ip.src, env6_us, 16);
    assert_memory_equal(ip.dst, env6_peer, 16);
    assert_int_equal(t.flags, TCP_FLAG_SYN | TCP_FLAG_ACK);
    assert_int_equal(t.ack, 1001);
    assert_true(t.opt.has_mss);
    assert_int_equal(t.opt.mss, 1440); /* 1500 - 40 - 20 */
    *our_isn = t.seq;
    fake_netif_clear(&e->nif);
    send6(e, &(struct seg6){.dport = 80, .seq = 1001, .ack = t.seq + 1, .flags = TCP_FLAG_ACK});
    int err = -1;
    struct tcp_sock *c = tcp_sock_accept(l, NULL, NULL, &err);
    assert_non_null(c);
    assert_int_equal(err, 0);
    *lp = l;
    return c;
}

static void test_passive_open(void **state)
{
    (void)state;
    struct stack_env *e = ready();
    struct tcp_sock *l;
    uint32_t isn;
    struct tcp_sock *c = accept6(e, &l, &isn);
    struct ip_endpoint n;
    assert_int_equal(tcp_sock_getsockname(c, &n), 0);
    assert_int_equal(n.addr.family, IP_FAMILY_V6);
    assert_memory_equal(n.addr.u.v6, env6_us, 16);
    assert_int_equal(n.port, 80);
    assert_int_equal(tcp_sock_getpeername(c, &n), 0);
    assert_memory_equal(n.addr.u.v6, env6_peer, 16);
    assert_int_equal(n.port, PEER_PORT);
    int mss = 0;
    assert_int_equal(tcp_sock_getopt(c, TCP_OPT_MAXSEG, &mss), 0);
    assert_int_equal(mss, 1440);

    send6(e, &(struct seg6){.dport = 80, .seq = 1001, .ack = isn + 1,
                            .flags = TCP_FLAG_ACK | TCP_FLAG_PSH, .data = "hello", .len = 5});
    char buf[8];
    assert_int_equal(tcp_sock_recv(c, buf, sizeof buf, e->now), 5);
    assert_memory_equal(buf, "hello", 5);
    fake_netif_clear(&e->nif);
    assert_int_equal(tcp_sock_send(c, "world", 5, e->now), 5);
    struct ipv6_view ip;
    struct tcp_view t;
    out6(e, e->nif.n - 1, &ip, &t);
    assert_int_equal(t.payload_len, 5);
    assert_memory_equal(t.payload, "world", 5);
    assert_int_equal(t.ack, 1006);
    tcp_sock_close(c, e->now);
    tcp_sock_close(l, e->now);
    env_free(e);
}

/* Active open to fd77::9: an IPv6 SYN from fd77::2 with MSS 1440. */
static void test_active_open(void **state)
{
    (void)state;
    struct stack_env *e = ready();
    struct tcp_sock *c = tcp_sock_open(e->s, NULL, NULL);
    struct ip_endpoint to = env6_ep(env6_peer, PEER_PORT);
    assert_int_equal(tcp_sock_connect(c, &to, e->now), -EINPROGRESS);
    struct ipv6_view ip;
    struct tcp_view t;
    out6(e, 0, &ip, &t);
    assert_int_equal(t.flags, TCP_FLAG_SYN);
    assert_memory_equal(ip.src, env6_us, 16);
    assert_int_equal(t.opt.mss, 1440);
    struct tcp_options o = {.has_mss = true, .mss = 1400};
    send6(e, &(struct seg6){.sport = PEER_PORT, .dport = t.sport, .seq = 77, .ack = t.seq + 1,
                            .flags = TCP_FLAG_SYN | TCP_FLAG_ACK, .opt = &o});
    assert_int_equal(tcp_sock_state(c), TCP_ESTABLISHED);
    int mss = 0;
    assert_int_equal(tcp_sock_getopt(c, TCP_OPT_MAXSEG, &mss), 0);
    assert_int_equal(mss, 1400); /* the peer's is smaller */
    tcp_sock_close(c, e->now);
    env_free(e);
}

/* An IPv4-mapped source on the wire is no peer (RFC 4291 2.5.5.2): no
 * answer, no connection. */
static void test_mapped_source_dropped(void **state)
{
    (void)state;
    struct stack_env *e = ready();
    struct tcp_sock *l = tcp_sock_open(e->s, NULL, NULL);
    struct ip_endpoint any = env6_ep(env6_unspec, 80);
    assert_int_equal(tcp_sock_bind(l, &any), 0);
    assert_int_equal(tcp_sock_listen(l, 4), 0);
    static const uint8_t mapped[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 10, 77, 0, 9};
    send6(e, &(struct seg6){.src = mapped, .dport = 80, .seq = 5, .flags = TCP_FLAG_SYN});
    assert_int_equal(e->nif.n, 0);
    assert_int_equal(env_ctr(e, CTR_TCP_RX_DROP_BAD_ADDR) + env_ctr(e, CTR_IPV6_RX_DROP_BAD_SRC),
                     1);
    tcp_sock_close(l, e->now);
    env_free(e);
}

/* RFC 9293 3.10.7.1: a SYN to a closed port is answered with a RST over
 * IPv6, its checksum over the IPv6 pseudo-header. */
static void test_closed_port_rst(void **state)
{
    (void)state;
    struct stack_env *e = ready();
    send6(e, &(struct seg6){.dport = 81, .seq = 4000, .flags = TCP_FLAG_SYN});
    assert_int_equal(e->nif.n, 1);
    struct ipv6_view ip;
    struct tcp_view t;
    out6(e, 0, &ip, &t);
    assert_memory_equal(ip.src, env6_us, 16);
    assert_memory_equal(ip.dst, env6_peer, 16);
    assert_int_equal(t.flags, TCP_FLAG_RST | TCP_FLAG_ACK);
    assert_int_equal(t.ack, 4001);
    assert_int_equal(t.sport, 81);
    assert_int_equal(t.dport, PEER_PORT);
    assert_int_equal(env_ctr(e, CTR_TCP_TX_RSTS), 1);
    env_free(e);
}

/* RFC 8201 4: a Packet Too Big about our segment lowers the MSS; the
 * segment goes again at the retransmission timeout, cut to fit. */
static void test_packet_too_big(void **state)
{
    (void)state;
    struct stack_env *e = ready();
    struct tcp_sock *l;
    uint32_t isn;
    struct tcp_sock *c = accept6(e, &l, &isn);
    static uint8_t data[1440];
    for (size_t i = 0; i < sizeof data; i++)
        data[i] = (uint8_t)i;
    assert_int_equal(tcp_sock_send(c, data, sizeof data, e->now), (long)sizeof data);
    assert_int_equal(e->nif.n, 1);
    struct ipv6_view ip;
    struct tcp_view t;
    out6(e, 0, &ip, &t);
    assert_int_equal(t.payload_len, 1440);

    /* The router's PTB quotes as much of the packet as fits in 1280. */
    const struct fake_frame *fr = fake_netif_frame(&e->nif, 0);
    size_t quote = 1280 - 40 - 8;
    uint8_t msg[1400], f[1500];
    static const uint8_t router[16] = {0xfd, 0x77, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 9};
    size_t m = f6_icmp(msg, router, env6_us, ICMP6_PACKET_TOO_BIG, 0, 1280,
                       fr->data + ETH_HLEN, quote);
    size_t n = f6_packet(f, sizeof f, router, env6_us, IPV6_NH_ICMPV6, 64, msg, m);
    fake_netif_clear(&e->nif);
    f6_input(e, f, n);
    int mss = 0;
    assert_int_equal(tcp_sock_getopt(c, TCP_OPT_MAXSEG, &mss), 0);
    assert_int_equal(mss, 1280 - 60);
    assert_int_equal(tcp_sock_error(c), 0); /* not an error for the socket */

    env_advance(e, 1100 * NS_PER_MS); /* RFC 6298: the initial RTO is 1 s */
    assert_true(e->nif.n >= 1);
    out6(e, 0, &ip, &t);
    assert_int_equal(t.seq, isn + 1);
    assert_int_equal(t.payload_len, 1280 - 60);
    assert_true(ip.payload_len + 40 <= 1280);
    tcp_sock_abort(c, e->now);
    tcp_sock_close(l, e->now);
    env_free(e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_passive_open),
        cmocka_unit_test(test_active_open),
        cmocka_unit_test(test_mapped_source_dropped),
        cmocka_unit_test(test_closed_port_rst),
        cmocka_unit_test(test_packet_too_big),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
