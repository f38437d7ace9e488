/* test_tcp_options.c - TCP option negotiation and what the options then
 * drive, against a scripted peer (tests/unit/support/tcp_peer.h):
 * MSS (RFC 9293 3.7.1, RFC 6691), window scaling (RFC 7323 2), timestamps
 * and PAWS (RFC 7323 3-5), SACK as receiver (RFC 2018 4) and as sender
 * (RFC 6675), NewReno without SACK (RFC 6582), sequence wrap. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "stack/sock/tcp_impl.h"
#include "tests/unit/support/tcp_peer.h"

#define PORT 80
#define MIB (1024u * 1024u)

/* The test's live environment, freed by the teardown if an assertion
 * ended the test early (so ASan reports only real leaks). */
static struct stack_env *live_env;

static struct stack_env *env_open(env_tweak_fn tweak)
{
    assert_null(live_env);
    live_env = tp_env(tweak);
    return live_env;
}

static void env_close(struct stack_env *e)
{
    assert_ptr_equal(e, live_env);
    env_free(e);
    live_env = NULL;
}

static int teardown_env(void **state)
{
    (void)state;
    if (live_env != NULL)
        env_free(live_env);
    live_env = NULL;
    return 0;
}

/* ---- fixture: one connection and the peer's view of it ---- */

struct conn {
    struct stack_env *e;
    struct tcp_sock *l, *c;
    uint32_t peer_nxt;           /* the peer's next sequence number */
    uint32_t our_base;           /* our ISS + 1: first byte of our stream */
    uint32_t peer_base;          /* peer ISS + 1: first byte of its stream */
    bool ts;                     /* timestamps agreed */
    uint32_t tsval;              /* the peer's clock */
    uint32_t tsecr;              /* the last TSval we sent */
    uint16_t win;                /* the peer's window field */
};

/* Byte i of a test stream. */
static uint8_t pat(uint32_t i)
{
    return (uint8_t)(i * 31u + (i >> 9));
}

static void fill(uint8_t *buf, uint32_t from, size_t len)
{
    for (size_t i = 0; i < len; i++)
        buf[i] = pat(from + (uint32_t)i);
}

/* Passive open on PORT; opt is the peer's SYN options (NULL: none). */
static void open_passive(struct conn *k, env_tweak_fn tweak, const struct tcp_options *opt,
                         uint32_t peer_isn, struct tp_out *synack)
{
    memset(k, 0, sizeof *k);
    k->e = env_open(tweak);
    k->l = tp_listen(k->e, PORT, 8);
    struct tp_out sa;
    k->c = tp_accept_conn(k->e, k->l, PORT, peer_isn, opt, &sa);
    k->our_base = sa.t.seq + 1;
    k->peer_base = peer_isn + 1;
    k->peer_nxt = peer_isn + 1;
    k->ts = opt != NULL && opt->has_ts && sa.t.opt.has_ts;
    k->tsval = opt != NULL ? opt->ts_val + 1 : 0;
    k->tsecr = sa.t.opt.ts_val;
    k->win = 502;
    assert_int_equal(tcp_sock_setopt(k->c, TCP_OPT_NODELAY, 1), 0);
    if (synack != NULL)
        *synack = sa;
}

static void close_conn(struct conn *k)
{
    tcp_sock_abort(k->c, k->e->now);
    tcp_sock_close(k->l, k->e->now);
    env_close(k->e);
}

/* A segment from the peer with its timestamps and optional SACK blocks. */
static void peer_seg(struct conn *k, uint8_t flags, uint32_t seq, uint32_t ack, const void *data,
                     size_t len, const struct tcp_sack_block *sack, uint8_t n_sack)
{
    struct tcp_options o = {0};
    if (k->ts) {
        o.has_ts = true;
        o.ts_val = k->tsval;
        o.ts_ecr = k->tsecr;
    }
    for (uint8_t i = 0; i < n_sack; i++)
        o.sack[i] = sack[i];
    o.n_sack = n_sack;
    bool any = o.has_ts || n_sack > 0;
    tp_send(k->e, &(struct tp_seg){.dport = PORT, .seq = seq, .ack = ack, .flags = flags,
                                   .window = k->win, .opt = any ? &o : NULL,
                                   .payload = data, .len = len});
}

/* In-order data from the peer. */
static void peer_data(struct conn *k, const void *data, size_t len, uint32_t ack)
{
    peer_seg(k, TCP_FLAG_ACK | TCP_FLAG_PSH, k->peer_nxt, ack, data, len, NULL, 0);
    k->peer_nxt += (uint32_t)len;
}

static void peer_ack(struct conn *k, uint32_t ack, const struct tcp_sack_block *sack,
                     uint8_t n_sack)
{
    peer_seg(k, TCP_FLAG_ACK, k->peer_nxt, ack, NULL, 0, sack, n_sack);
}

/* Take the next segment, remembering its TSval for the peer's TSecr. */
static bool take(struct conn *k, struct tp_out *o)
{
    if (!tp_try_take(k->e, o))
        return false;
    if (o->t.opt.has_ts)
        k->tsecr = o->t.opt.ts_val;
    return true;
}

/* Take every pending segment; returns how many (and forgets the frames). */
static size_t drain(struct conn *k)
{
    struct tp_out o;
    size_t n = 0;
    while (take(k, &o))
        n++;
    tp_clear(k->e);
    return n;
}

static void send_all(struct conn *k, uint32_t from, size_t len)
{
    uint8_t buf[16384];
    assert_true(len <= sizeof buf);
    fill(buf, from, len);
    assert_int_equal(tcp_sock_send(k->c, buf, len, k->e->now), (long)len);
}

static void tweak_newreno(struct stack_config *cfg, struct netif_config *ncfg)
{
    (void)ncfg;
    cfg->tcp.cc = TCP_CC_NEWRENO;
}

/* ---- negotiation ---- */

static void test_our_syn_offers_everything(void **state)
{
    (void)state;
    struct stack_env *e = env_open(NULL);
    struct tcp_sock *c = tcp_sock_open(e->s, NULL, NULL);
    struct ip_endpoint to = env_ep(ENV_IP_PEER, TP_PEER_PORT);
    assert_int_equal(tcp_sock_connect(c, &to, e->now), -EINPROGRESS);
    struct tp_out s;
    tp_take(e, &s);
    assert_int_equal(s.t.flags, TCP_FLAG_SYN);
    assert_true(s.t.opt.has_mss);
    assert_int_equal(s.t.opt.mss, ENV_MTU - 40);
    assert_true(s.t.opt.sack_permitted);
    assert_true(s.t.opt.has_ts);
    assert_int_equal(s.t.opt.ts_ecr, 0);
    assert_true(s.t.opt.has_wscale);
    /* 262144 bytes need a shift of 3 to fit 16 bits (RFC 7323 2.2). */
    assert_int_equal(s.t.opt.wscale, 3);
    assert_true(s.t.window <= TCP_MAX_WINDOW);
    tcp_sock_abort(c, e->now);

    /* A bigger receive buffer asks for a bigger shift. */
    c = tcp_sock_open(e->s, NULL, NULL);
    assert_int_equal(tcp_sock_setopt(c, TCP_OPT_RCVBUF, (int)(4 * MIB)), 0);
    assert_int_equal(tcp_sock_connect(c, &to, e->now), -EINPROGRESS);
    tp_take(e, &s);
    assert_true(s.t.opt.has_wscale);
    assert_int_equal(s.t.opt.wscale, 7);
    assert_int_equal(s.t.window, TCP_MAX_WINDOW); /* a SYN's window is unscaled */
    tcp_sock_abort(c, e->now);
    env_close(e);
}

static void test_synack_without_wscale_no_scaling_either_way(void **state)
{
    (void)state;
    struct conn k;
    struct tcp_options o = tp_linux_syn_options(100);
    o.has_wscale = false;
    struct tp_out sa;
    open_passive(&k, NULL, &o, 1000, &sa);
    assert_false(sa.t.opt.has_wscale);
    assert_true(sa.t.opt.has_ts);
    assert_int_equal(sa.t.opt.ts_ecr, 100); /* RFC 7323 3.2: echoes the SYN's TSval */
    assert_true(sa.t.opt.sack_permitted);
    struct tcp_conn_info ci;
    tcp_sock_info(k.c, &ci);
    assert_int_equal(ci.snd_wscale, 0);
    assert_int_equal(ci.rcv_wscale, 0);
    /* The peer's window field is taken as bytes. */
    assert_int_equal(ci.snd_wnd, 502);
    /* Ours is unscaled too: data makes us ACK with the plain window. */
    uint8_t d[1000];
    fill(d, 0, sizeof d);
    peer_data(&k, d, sizeof d, k.our_base);
    env_advance(k.e, 100 * NS_PER_MS);
    struct tp_out a;
    assert_true(take(&k, &a));
    assert_int_equal(a.t.ack, k.peer_nxt);
    tcp_sock_info(k.c, &ci);
    assert_int_equal(a.t.window, ci.rcv_wnd > 65535 ? 65535 : ci.rcv_wnd);
    close_conn(&k);
}

static void test_synack_without_ts_no_ts_later(void **state)
{
    (void)state;
    struct conn k;
    struct tcp_options o = tp_linux_syn_options(100);
    o.has_ts = false;
    struct tp_out sa;
    open_passive(&k, NULL, &o, 1000, &sa);
    assert_false(sa.t.opt.has_ts);
    assert_true(sa.t.opt.has_wscale);
    assert_true(sa.t.opt.sack_permitted);
    send_all(&k, 0, 3000);
    struct tp_out s;
    size_t n = 0;
    while (take(&k, &s)) {
        assert_false(s.t.opt.has_ts);
        assert_int_equal(s.t.options_len, 0);
        /* No TS: a full segment is the whole MSS. */
        assert_true(s.t.payload_len <= 1460);
        n += s.t.payload_len;
    }
    assert_int_equal(n, 3000);
    struct tcp_conn_info ci;
    tcp_sock_info(k.c, &ci);
    assert_false(ci.timestamps);
    assert_int_equal(ci.mss, 1460);
    close_conn(&k);
}

static void test_synack_without_sackperm_no_sack_blocks(void **state)
{
    (void)state;
    struct conn k;
    struct tcp_options o = tp_linux_syn_options(100);
    o.sack_permitted = false;
    struct tp_out sa;
    open_passive(&k, NULL, &o, 1000, &sa);
    assert_false(sa.t.opt.sack_permitted);
    assert_true(sa.t.opt.has_ts);
    /* Out-of-order data: a duplicate ACK, but no SACK blocks. */
    uint8_t d[100];
    fill(d, 100, sizeof d);
    peer_seg(&k, TCP_FLAG_ACK, k.peer_nxt + 100, k.our_base, d, sizeof d, NULL, 0);
    struct tp_out a;
    assert_true(take(&k, &a));
    assert_int_equal(a.t.ack, k.peer_nxt);
    assert_int_equal(a.t.opt.n_sack, 0);
    assert_true(a.t.opt.has_ts);
    close_conn(&k);
}

static void test_active_open_peer_without_options(void **state)
{
    (void)state;
    struct stack_env *e = env_open(NULL);
    struct tcp_options o = {.has_mss = true, .mss = 1200};
    struct tcp_sock *c = tp_connect_conn(e, 777, &o, NULL);
    struct tcp_conn_info ci;
    tcp_sock_info(c, &ci);
    assert_int_equal(ci.snd_wscale, 0);
    assert_int_equal(ci.rcv_wscale, 0);
    assert_false(ci.sack);
    assert_false(ci.timestamps);
    assert_int_equal(ci.mss, 1200);
    tcp_sock_abort(c, e->now);
    env_close(e);
}

/* RFC 7323 2.2: the window of a SYN-ACK is not scaled; the next one is. */
static void test_active_open_synack_window_unscaled(void **state)
{
    (void)state;
    struct stack_env *e = env_open(NULL);
    struct tcp_options o = tp_linux_syn_options(100);
    struct tp_out syn;
    struct tcp_sock *c = tp_connect_conn(e, 777, &o, &syn);
    struct tcp_conn_info ci;
    tcp_sock_info(c, &ci);
    assert_int_equal(ci.snd_wscale, 7);
    assert_int_equal(ci.rcv_wscale, syn.t.opt.wscale);
    assert_int_equal(ci.snd_wnd, 65535); /* tp_connect_conn's SYN-ACK window */
    struct tcp_options ts = {.has_ts = true, .ts_val = 101, .ts_ecr = syn.t.opt.ts_val};
    tp_send(e, &(struct tp_seg){.sport = TP_PEER_PORT, .dport = syn.t.sport, .seq = 778,
                                .ack = syn.t.seq + 1, .flags = TCP_FLAG_ACK, .window = 1000,
                                .opt = &ts});
    tcp_sock_info(c, &ci);
    assert_int_equal(ci.snd_wnd, 1000u << 7);
    tcp_sock_abort(c, e->now);
    env_close(e);
}

/* ---- window scaling arithmetic (RFC 7323 2.3) ---- */

static void test_wscale_advertised_field_is_shifted(void **state)
{
    (void)state;
    struct conn k;
    struct tcp_options o = tp_linux_syn_options(100);
    struct tp_out sa;
    open_passive(&k, NULL, &o, 1000, &sa);
    /* RFC 7323 2.2: the SYN-ACK's own window is never scaled. */
    assert_int_equal(sa.t.window, TCP_MAX_WINDOW);
    assert_int_equal(sa.t.opt.wscale, 3);
    struct tcp_conn_info ci;
    tcp_sock_info(k.c, &ci);
    assert_int_equal(ci.rcv_wscale, 3);
    assert_int_equal(ci.snd_wscale, 7);
    /* The peer's field (502 in the third ACK) << 7. */
    assert_int_equal(ci.snd_wnd, 502u << 7);
    uint8_t d[1000];
    fill(d, 0, sizeof d);
    peer_data(&k, d, sizeof d, k.our_base);
    env_advance(k.e, 100 * NS_PER_MS);
    struct tp_out a;
    assert_true(take(&k, &a));
    assert_int_equal(a.t.ack, k.peer_nxt);
    tcp_sock_info(k.c, &ci);
    assert_int_equal(ci.rcv_wnd, 262144u - 1000u);
    assert_int_equal(a.t.window, (262144u - 1000u) >> 3);

    /* The peer shrinks its window to 10 << 7 = 1280 bytes: no more than
     * that goes out. */
    k.win = 10;
    peer_ack(&k, k.our_base, NULL, 0);
    tcp_sock_info(k.c, &ci);
    assert_int_equal(ci.snd_wnd, 1280);
    drain(&k);
    send_all(&k, 0, 5000);
    struct tp_out s;
    size_t sent = 0;
    while (take(&k, &s))
        sent += s.t.payload_len;
    assert_int_equal(sent, 1280);
    close_conn(&k);
}

/* Us -> peer: 1 MiB through a window only scaling can express. */
static void test_1mib_send_into_scaled_window(void **state)
{
    (void)state;
    struct conn k;
    struct tcp_options o = tp_linux_syn_options(100);
    open_passive(&k, NULL, &o, 1000, NULL);
    k.win = 65535; /* << 7: 8 MiB */
    peer_ack(&k, k.our_base, NULL, 0);
    uint8_t chunk[8192];
    uint32_t queued = 0, got = 0, acked = 0, max_flight = 0;
    for (int iter = 0; iter < 20000 && acked < MIB; iter++) {
        while (queued < MIB) {
            size_t n = MIB - queued < sizeof chunk ? MIB - queued : sizeof chunk;
            fill(chunk, queued, n);
            long r = tcp_sock_send(k.c, chunk, n, k.e->now);
            if (r <= 0)
                break;
            queued += (uint32_t)r;
        }
        /* One round trip: take the whole flight, then the peer ACKs
         * every second segment of it (what the ACKs release is the next
         * round). */
        uint32_t ends[512];
        size_t n_ends = 0;
        struct tp_out s;
        while (take(&k, &s)) {
            if (s.t.payload_len == 0)
                continue;
            assert_int_equal(s.t.seq, k.our_base + got);
            for (size_t i = 0; i < s.t.payload_len; i++)
                assert_int_equal(s.t.payload[i], pat(got + (uint32_t)i));
            got += (uint32_t)s.t.payload_len;
            assert_true(n_ends < 512);
            ends[n_ends++] = got;
        }
        tp_clear(k.e);
        if (got - acked > max_flight)
            max_flight = got - acked;
        env_advance(k.e, NS_PER_MS);
        for (size_t i = 1; i < n_ends; i += 2)
            peer_ack(&k, k.our_base + ends[i], NULL, 0);
        if (n_ends > 0)
            peer_ack(&k, k.our_base + got, NULL, 0);
        acked = got;
    }
    assert_int_equal(acked, MIB);
    assert_true(max_flight > TCP_MAX_WINDOW);
    struct tcp_conn_info ci;
    tcp_sock_info(k.c, &ci);
    assert_int_equal(ci.send_queue, 0);
    assert_int_equal(ci.retransmits, 0);
    close_conn(&k);
}

/* Peer -> us: 1 MiB, the peer filling all the window we advertise. */
static void test_1mib_receive_into_scaled_window(void **state)
{
    (void)state;
    struct conn k;
    struct tcp_options o = tp_linux_syn_options(100);
    open_passive(&k, NULL, &o, 1000, NULL);
    uint32_t right = k.peer_base + 65535; /* from the third ACK: at least that */
    uint32_t sent = 0, read = 0, max_unread = 0;
    uint8_t seg[1448];
    uint8_t rbuf[65536];
    for (int iter = 0; iter < 20000 && read < MIB; iter++) {
        /* Fill the advertised window. */
        for (int i = 0; i < 400 && sent < MIB; i++) {
            uint32_t room = right - (k.peer_base + sent);
            if ((int32_t)room <= 0)
                break;
            uint32_t n = MIB - sent < sizeof seg ? MIB - sent : (uint32_t)sizeof seg;
            if (n > room)
                n = room;
            fill(seg, sent, n);
            peer_data(&k, seg, n, k.our_base);
            sent += n;
            if (sent - read > max_unread)
                max_unread = sent - read;
            struct tp_out a;
            while (take(&k, &a)) {
                uint32_t r = a.t.ack + ((uint32_t)a.t.window << 3);
                if ((int32_t)(r - right) > 0)
                    right = r;
            }
            tp_clear(k.e);
        }
        long n = tcp_sock_recv(k.c, rbuf, sizeof rbuf, k.e->now);
        if (n > 0) {
            for (long i = 0; i < n; i++)
                assert_int_equal(rbuf[i], pat(read + (uint32_t)i));
            read += (uint32_t)n;
        }
        env_advance(k.e, 50 * NS_PER_MS); /* delayed ACKs */
        struct tp_out a;
        while (take(&k, &a)) {
            uint32_t r = a.t.ack + ((uint32_t)a.t.window << 3);
            if ((int32_t)(r - right) > 0)
                right = r;
        }
        tp_clear(k.e);
    }
    assert_int_equal(read, MIB);
    /* More than 64 KiB was accepted in one window: it was scaled. */
    assert_true(max_unread > TCP_MAX_WINDOW);
    assert_int_equal(env_ctr(k.e, CTR_TCP_RX_DROP_OUT_OF_WINDOW), 0);
    close_conn(&k);
}

/* ---- sequence number wrap ---- */

static void test_peer_sequence_wraps(void **state)
{
    (void)state;
    struct conn k;
    struct tcp_options o = tp_linux_syn_options(100);
    open_passive(&k, NULL, &o, 0xfffffff0u, NULL);
    /* Ten 1000-byte segments from 0xfffffff1 cross 2^32 in the first.
     * The third arrives before the second: out of order across the wrap. */
    uint8_t seg[1000];
    uint32_t base = k.peer_base;
    fill(seg, 0, 1000);
    peer_seg(&k, TCP_FLAG_ACK, base, k.our_base, seg, 1000, NULL, 0);
    fill(seg, 2000, 1000);
    peer_seg(&k, TCP_FLAG_ACK, base + 2000, k.our_base, seg, 1000, NULL, 0);
    fill(seg, 1000, 1000);
    peer_seg(&k, TCP_FLAG_ACK, base + 1000, k.our_base, seg, 1000, NULL, 0);
    for (uint32_t i = 3; i < 10; i++) {
        fill(seg, i * 1000, 1000);
        peer_seg(&k, TCP_FLAG_ACK, base + i * 1000, k.our_base, seg, 1000, NULL, 0);
    }
    env_advance(k.e, 100 * NS_PER_MS);
    struct tp_out a;
    uint32_t last_ack = 0;
    while (take(&k, &a))
        last_ack = a.t.ack;
    assert_int_equal(last_ack, (uint32_t)(0xfffffff1u + 10000u));
    uint8_t buf[10000];
    assert_int_equal(tcp_sock_recv(k.c, buf, sizeof buf, k.e->now), 10000);
    for (uint32_t i = 0; i < 10000; i++)
        assert_int_equal(buf[i], pat(i));
    assert_int_equal(env_ctr(k.e, CTR_TCP_RX_DROP_OUT_OF_WINDOW), 0);
    close_conn(&k);
}

/* Our ISS is not ours to choose, but it is a known function of the key,
 * the tuple and the clock (RFC 6528): move the fake clock so that it sits
 * 3000 below 2^32, then send 20000 bytes across the wrap. */
static void test_our_sequence_wraps(void **state)
{
    (void)state;
    struct stack_env *e = env_open(NULL);
    struct tcp_tuple tu = {.laddr = ip_addr_v4(ENV_IP_US), .raddr = ip_addr_v4(ENV_IP_PEER),
                           .lport = PORT, .rport = TP_PEER_PORT};
    uint32_t f = tcp_isn(e->cfg.key, &tu, 0);
    uint32_t target = 0xfffff448u; /* 2^32 - 3000 */
    uint64_t tick = e->now / 4000u + 1;
    uint32_t delta = target - f - (uint32_t)tick;
    uint64_t when = (tick + delta) * 4000u;
    assert_true(when > e->now);
    env_advance(e, when - e->now);
    assert_int_equal(tcp_isn(e->cfg.key, &tu, e->now), target);
    env_learn(e, ENV_IP_PEER, &env_mac_peer); /* hours passed: ARP again */

    struct conn k;
    memset(&k, 0, sizeof k);
    k.e = e;
    k.l = tp_listen(e, PORT, 8);
    struct tcp_options o = tp_linux_syn_options(100);
    struct tp_out sa;
    k.c = tp_accept_conn(e, k.l, PORT, 5000, &o, &sa);
    assert_int_equal(sa.t.seq, target);
    k.our_base = sa.t.seq + 1;
    k.peer_nxt = 5001;
    k.ts = true;
    k.tsval = 101;
    k.tsecr = sa.t.opt.ts_val;
    k.win = 65535;
    peer_ack(&k, k.our_base, NULL, 0);

    uint32_t got = 0;
    bool crossed = false;
    uint8_t buf[10000];
    for (uint32_t part = 0; part < 2; part++) {
        fill(buf, part * 10000, sizeof buf);
        assert_int_equal(tcp_sock_send(k.c, buf, sizeof buf, e->now), 10000);
        struct tp_out s;
        for (int iter = 0; iter < 100 && got < (part + 1) * 10000; iter++) {
            while (take(&k, &s)) {
                if (s.t.payload_len == 0)
                    continue;
                assert_int_equal(s.t.seq, k.our_base + got);
                if (s.t.seq + (uint32_t)s.t.payload_len < s.t.seq)
                    crossed = true;
                for (size_t i = 0; i < s.t.payload_len; i++)
                    assert_int_equal(s.t.payload[i], pat(got + (uint32_t)i));
                got += (uint32_t)s.t.payload_len;
                peer_ack(&k, k.our_base + got, NULL, 0);
            }
            tp_clear(e);
        }
    }
    assert_int_equal(got, 20000);
    assert_true(crossed); /* a segment spanned 2^32 (1448-byte segments from 2^32 - 2999) */
    struct tcp_conn_info ci;
    tcp_sock_info(k.c, &ci);
    assert_int_equal(ci.send_queue, 0);
    assert_int_equal(ci.retransmits, 0);
    close_conn(&k);
}

/* ---- MSS (RFC 9293 3.7.1, RFC 6691) ---- */

/* Send `total` bytes and check every segment against the effective MSS. */
static void check_segment_sizes(struct conn *k, uint32_t total, uint32_t max_payload)
{
    uint8_t buf[8000];
    assert_true(total <= sizeof buf);
    fill(buf, 0, total);
    k->win = 65535;
    peer_ack(k, k->our_base, NULL, 0);
    drain(k);
    assert_int_equal(tcp_sock_send(k->c, buf, total, k->e->now), (long)total);
    uint32_t got = 0, biggest = 0;
    for (int iter = 0; iter < 200 && got < total; iter++) {
        struct tp_out s;
        while (take(k, &s)) {
            if (s.t.payload_len == 0)
                continue;
            assert_true(s.t.payload_len <= max_payload);
            if (s.t.payload_len > biggest)
                biggest = (uint32_t)s.t.payload_len;
            assert_int_equal(s.t.seq, k->our_base + got);
            got += (uint32_t)s.t.payload_len;
            peer_ack(k, k->our_base + got, NULL, 0);
        }
        tp_clear(k->e);
        env_advance(k->e, NS_PER_MS);
    }
    assert_int_equal(got, total);
    assert_int_equal(biggest, max_payload); /* full segments are used */
}

static void test_mss_zero_means_536(void **state)
{
    (void)state;
    struct conn k;
    struct tcp_options o = tp_linux_syn_options(100);
    o.mss = 0;
    open_passive(&k, NULL, &o, 1000, NULL);
    struct tcp_conn_info ci;
    tcp_sock_info(k.c, &ci);
    assert_int_equal(ci.mss, 536 - 12);
    check_segment_sizes(&k, 3000, 536 - 12);
    close_conn(&k);

    /* Without timestamps the whole 536 is payload. */
    o.has_ts = false;
    open_passive(&k, NULL, &o, 1000, NULL);
    tcp_sock_info(k.c, &ci);
    assert_int_equal(ci.mss, 536);
    check_segment_sizes(&k, 3000, 536);
    close_conn(&k);

    /* No MSS option at all: 536 too. */
    o.has_mss = false;
    open_passive(&k, NULL, &o, 1000, NULL);
    tcp_sock_info(k.c, &ci);
    assert_int_equal(ci.mss, 536);
    close_conn(&k);
}

static void test_tiny_mss_raised_to_floor(void **state)
{
    (void)state;
    struct conn k;
    struct tcp_options o = tp_linux_syn_options(100);
    o.mss = 1;
    open_passive(&k, NULL, &o, 1000, NULL);
    struct tcp_conn_info ci;
    tcp_sock_info(k.c, &ci);
    /* RFC 6691: the MSS counts options, so with TS the payload is
     * TCP_MIN_MSS - 12. */
    assert_int_equal(ci.mss, TCP_MIN_MSS - TCP_TS_OPTLEN);
    check_segment_sizes(&k, 2000, TCP_MIN_MSS - TCP_TS_OPTLEN);
    close_conn(&k);
}

static void test_ts_reduces_payload_by_12(void **state)
{
    (void)state;
    struct conn k;
    struct tcp_options o = tp_linux_syn_options(100);
    o.mss = 1000;
    open_passive(&k, NULL, &o, 1000, NULL);
    check_segment_sizes(&k, 7000, 1000 - 12);
    close_conn(&k);
    /* Peer MSS above our MTU: our MTU limits. */
    o.mss = 9000;
    open_passive(&k, NULL, &o, 1000, NULL);
    check_segment_sizes(&k, 7000, ENV_MTU - 40 - 12);
    close_conn(&k);
}

/* ---- timestamps (RFC 7323 3, 4, 5) ---- */

static void test_tsval_follows_clock_ms(void **state)
{
    (void)state;
    struct conn k;
    struct tcp_options o = tp_linux_syn_options(100);
    struct tp_out sa;
    open_passive(&k, NULL, &o, 1000, &sa);
    send_all(&k, 0, 100);
    struct tp_out s1, s2;
    assert_true(take(&k, &s1));
    assert_int_equal(s1.t.payload_len, 100);
    assert_true(s1.t.opt.has_ts);
    peer_ack(&k, k.our_base + 100, NULL, 0);
    env_advance(k.e, 250 * NS_PER_MS);
    drain(&k);
    send_all(&k, 100, 100);
    assert_true(take(&k, &s2));
    assert_int_equal(s2.t.payload_len, 100);
    assert_int_equal(s2.t.opt.ts_val - s1.t.opt.ts_val, 250);
    /* And the SYN-ACK's is on the same clock. */
    assert_int_equal(s1.t.opt.ts_val - sa.t.opt.ts_val, 0);
    close_conn(&k);
}

static void test_tsecr_echoes_ts_recent(void **state)
{
    (void)state;
    struct conn k;
    struct tcp_options o = tp_linux_syn_options(100);
    open_passive(&k, NULL, &o, 1000, NULL);
    uint8_t d[100];
    fill(d, 0, sizeof d);
    k.tsval = 7777;
    peer_data(&k, d, sizeof d, k.our_base);
    env_advance(k.e, 100 * NS_PER_MS);
    struct tp_out a;
    assert_true(take(&k, &a));
    assert_int_equal(a.t.ack, k.peer_nxt);
    assert_int_equal(a.t.opt.ts_ecr, 7777);
    /* RFC 7323 4.3: an out-of-order segment (above Last.ACK.sent) does not
     * update TS.Recent; the duplicate ACK still echoes 7777. */
    k.tsval = 8888;
    peer_seg(&k, TCP_FLAG_ACK, k.peer_nxt + 500, k.our_base, d, sizeof d, NULL, 0);
    assert_true(take(&k, &a));
    assert_int_equal(a.t.ack, k.peer_nxt);
    assert_int_equal(a.t.opt.ts_ecr, 7777);
    /* The in-order one that fills the hole does. */
    k.tsval = 9999;
    uint8_t hole[500];
    fill(hole, 100, sizeof hole);
    peer_data(&k, hole, sizeof hole, k.our_base);
    assert_true(take(&k, &a));
    assert_int_equal(a.t.ack, k.peer_nxt + 100);
    assert_int_equal(a.t.opt.ts_ecr, 9999);
    close_conn(&k);
}

static void test_paws_drops_old_tsval(void **state)
{
    (void)state;
    struct conn k;
    struct tcp_options o = tp_linux_syn_options(100);
    open_passive(&k, NULL, &o, 1000, NULL);
    uint8_t d[100];
    fill(d, 0, sizeof d);
    k.tsval = 5000;
    peer_data(&k, d, sizeof d, k.our_base);
    drain(&k);
    uint64_t paws = env_ctr(k.e, CTR_TCP_RX_DROP_PAWS);
    k.tsval = 4000; /* older than TS.Recent */
    fill(d, 100, sizeof d);
    peer_seg(&k, TCP_FLAG_ACK | TCP_FLAG_PSH, k.peer_nxt, k.our_base, d, sizeof d, NULL, 0);
    assert_int_equal(env_ctr(k.e, CTR_TCP_RX_DROP_PAWS), paws + 1);
    struct tp_out a;
    assert_true(take(&k, &a));
    assert_true(a.t.flags & TCP_FLAG_ACK);
    assert_int_equal(a.t.ack, k.peer_nxt); /* the 100 new bytes not taken */
    assert_int_equal(a.t.opt.ts_ecr, 5000);
    assert_int_equal(tcp_sock_readable(k.c), 100);
    close_conn(&k);
}

/* ---- SACK ---- */

static void test_sack_blocks_most_recent_first(void **state)
{
    (void)state;
    struct conn k;
    struct tcp_options o = tp_linux_syn_options(100);
    open_passive(&k, NULL, &o, 1000, NULL);
    uint32_t r = k.peer_nxt;
    uint8_t d[100];
    struct tp_out a;
    const uint32_t offs[3] = {100, 300, 500};
    for (int i = 0; i < 3; i++) {
        fill(d, offs[i], sizeof d);
        peer_seg(&k, TCP_FLAG_ACK, r + offs[i], k.our_base, d, sizeof d, NULL, 0);
        assert_true(take(&k, &a));
        assert_int_equal(a.t.ack, r);
        assert_int_equal(a.t.opt.n_sack, i + 1);
        /* RFC 2018 4: the first block holds the segment just received,
         * the others follow in order of recency. */
        for (int j = 0; j <= i; j++) {
            assert_int_equal(a.t.opt.sack[j].left, r + offs[i - j]);
            assert_int_equal(a.t.opt.sack[j].right, r + offs[i - j] + 100);
        }
    }
    /* Fill [200, 300): it joins the first two blocks, which is now the
     * most recent one. */
    fill(d, 200, sizeof d);
    peer_seg(&k, TCP_FLAG_ACK, r + 200, k.our_base, d, sizeof d, NULL, 0);
    assert_true(take(&k, &a));
    assert_int_equal(a.t.opt.n_sack, 2);
    assert_int_equal(a.t.opt.sack[0].left, r + 100);
    assert_int_equal(a.t.opt.sack[0].right, r + 400);
    assert_int_equal(a.t.opt.sack[1].left, r + 500);
    assert_int_equal(a.t.opt.sack[1].right, r + 600);
    /* Fill [0, 100): three blocks delivered, only [500, 600) left. */
    fill(d, 0, sizeof d);
    peer_seg(&k, TCP_FLAG_ACK, r, k.our_base, d, sizeof d, NULL, 0);
    assert_true(take(&k, &a));
    assert_int_equal(a.t.ack, r + 400);
    assert_int_equal(a.t.opt.n_sack, 1);
    assert_int_equal(a.t.opt.sack[0].left, r + 500);
    /* Fill [400, 500): everything up to 600 is in order. */
    fill(d, 400, sizeof d);
    peer_seg(&k, TCP_FLAG_ACK, r + 400, k.our_base, d, sizeof d, NULL, 0);
    drain(&k);
    uint8_t buf[1000];
    assert_int_equal(tcp_sock_recv(k.c, buf, sizeof buf, k.e->now), 600);
    for (uint32_t i = 0; i < 600; i++)
        assert_int_equal(buf[i], pat(i));
    close_conn(&k);
}

/* RFC 2018 3: 40 bytes of options hold 4 blocks, 3 next to timestamps. */
static void check_sack_cap(bool with_ts, uint8_t want)
{
    struct conn k;
    struct tcp_options o = tp_linux_syn_options(100);
    o.has_ts = with_ts;
    open_passive(&k, NULL, &o, 1000, NULL);
    uint32_t r = k.peer_nxt;
    uint8_t d[10];
    struct tp_out a;
    for (uint32_t i = 1; i <= 5; i++) {
        fill(d, i * 100, sizeof d);
        peer_seg(&k, TCP_FLAG_ACK, r + i * 100, k.our_base, d, sizeof d, NULL, 0);
    }
    uint8_t n = 0;
    while (take(&k, &a))
        n = a.t.opt.n_sack;
    assert_int_equal(n, want);
    assert_int_equal(a.t.opt.sack[0].left, r + 500);
    assert_int_equal(a.t.opt.sack[1].left, r + 400);
    assert_int_equal(a.t.data_off, 20 + (with_ts ? 12 : 0) + 4 + 8 * want);
    close_conn(&k);
}

static void test_sack_block_count_fits_options(void **state)
{
    (void)state;
    check_sack_cap(true, 3);
    check_sack_cap(false, 4);
}

/* Send ten full segments (nodelay, IW10) and return their size. */
static uint32_t send_ten(struct conn *k, uint32_t seqs[10])
{
    struct tcp_conn_info ci;
    tcp_sock_info(k->c, &ci);
    uint32_t mss = ci.mss;
    assert_true(ci.cwnd >= 10 * mss);
    send_all(k, 0, 10 * mss);
    struct tp_out s;
    for (int i = 0; i < 10; i++) {
        assert_true(take(k, &s));
        assert_int_equal(s.t.payload_len, mss);
        seqs[i] = s.t.seq;
        assert_int_equal(seqs[i], k->our_base + (uint32_t)i * mss);
    }
    assert_false(take(k, &s));
    tp_clear(k->e);
    return mss;
}

static void test_sack_sender_retransmits_only_holes(void **state)
{
    (void)state;
    struct conn k;
    struct tcp_options o = tp_linux_syn_options(100);
    open_passive(&k, NULL, &o, 1000, NULL);
    k.win = 65535;
    peer_ack(&k, k.our_base, NULL, 0);
    drain(&k);
    uint32_t seq[10];
    uint32_t mss = send_ten(&k, seq);
    /* Segments numbered #1..#10: #1 arrives, #2 and #5 are lost. */
    uint32_t una = seq[1];
    struct tcp_sack_block b[2] = {
        {seq[5], seq[9] + mss}, /* #6..#10, the most recent */
        {seq[2], seq[4]},       /* #3..#4 */
    };
    peer_ack(&k, una, NULL, 0);
    for (int i = 0; i < 3; i++)
        peer_ack(&k, una, b, 2);
    struct tp_out s;
    uint32_t rtx[10];
    size_t n = 0;
    while (take(&k, &s) && n < 10) {
        if (s.t.payload_len > 0)
            rtx[n++] = s.t.seq;
    }
    assert_int_equal(env_ctr(k.e, CTR_TCP_SACK_RECOVERIES), 1);
    assert_int_equal(n, 2);
    assert_int_equal(rtx[0], seq[1]);
    assert_int_equal(rtx[1], seq[4]);
    tp_clear(k.e);
    /* The holes arrive: a full ACK, nothing else is resent. */
    peer_ack(&k, seq[9] + mss, NULL, 0);
    n = 0;
    while (take(&k, &s))
        if (s.t.payload_len > 0)
            n++;
    assert_int_equal(n, 0);
    struct tcp_conn_info ci;
    tcp_sock_info(k.c, &ci);
    assert_int_equal(ci.retransmits, 2);
    assert_int_equal(ci.send_queue, 0);
    close_conn(&k);
}

static void test_sack_blocks_outside_window_ignored(void **state)
{
    (void)state;
    struct conn k;
    struct tcp_options o = tp_linux_syn_options(100);
    open_passive(&k, NULL, &o, 1000, NULL);
    k.win = 65535;
    peer_ack(&k, k.our_base, NULL, 0);
    drain(&k);
    uint32_t seq[10];
    uint32_t mss = send_ten(&k, seq);
    uint32_t nxt = seq[9] + mss;
    uint64_t bad = env_ctr(k.e, CTR_TCP_RX_SACK_BAD_BLOCKS);
    /* Past SND.NXT, far past it, and wholly below SND.UNA. */
    struct tcp_sack_block b[3] = {
        {nxt, nxt + mss},
        {nxt + 100000, nxt + 200000},
        {seq[0] - 2000, seq[0] - 1000},
    };
    for (int i = 0; i < 3; i++)
        peer_ack(&k, seq[0], b, 3);
    assert_int_equal(env_ctr(k.e, CTR_TCP_RX_SACK_BAD_BLOCKS), bad + 9);
    /* They made nothing look lost... but three true duplicate ACKs
     * (RFC 5681) still trigger one fast retransmit of the head only. */
    struct tp_out s;
    size_t n = 0;
    while (take(&k, &s))
        if (s.t.payload_len > 0) {
            assert_int_equal(s.t.seq, seq[0]);
            n++;
        }
    assert_true(n <= 1);
    close_conn(&k);
}

static void test_newreno_fast_retransmit_and_partial_ack(void **state)
{
    (void)state;
    struct conn k;
    struct tcp_options o = tp_linux_syn_options(100);
    o.sack_permitted = false;
    open_passive(&k, tweak_newreno, &o, 1000, NULL);
    k.win = 65535;
    peer_ack(&k, k.our_base, NULL, 0);
    drain(&k);
    uint32_t seq[10];
    uint32_t mss = send_ten(&k, seq);
    /* #1 arrives, #2 is lost, #3 and #4 arrive (dupacks), #5 lost, the
     * rest arrive. */
    peer_ack(&k, seq[1], NULL, 0);
    peer_ack(&k, seq[1], NULL, 0);
    peer_ack(&k, seq[1], NULL, 0);
    struct tp_out s;
    assert_false(take(&k, &s)); /* two dupacks: nothing yet */
    peer_ack(&k, seq[1], NULL, 0);
    assert_true(take(&k, &s));
    assert_int_equal(s.t.seq, seq[1]);
    assert_int_equal(s.t.payload_len, mss);
    assert_int_equal(env_ctr(k.e, CTR_TCP_FAST_RETRANS), 1);
    assert_int_equal(env_ctr(k.e, CTR_TCP_RENO_RECOVERIES), 1);
    /* More dupacks for #6..#10 arriving: no other retransmission. */
    for (int i = 0; i < 5; i++)
        peer_ack(&k, seq[1], NULL, 0);
    while (take(&k, &s))
        assert_true(s.t.seq != seq[1] && s.t.seq != seq[4]);
    tp_clear(k.e);
    /* Partial ACK up to #5 (RFC 6582 3.2 step 4): #5 goes out at once. */
    peer_ack(&k, seq[4], NULL, 0);
    bool saw = false;
    while (take(&k, &s))
        if (s.t.payload_len > 0) {
            assert_int_equal(s.t.seq, seq[4]);
            saw = true;
        }
    assert_true(saw);
    tp_clear(k.e);
    /* Full ACK: recovery over, nothing else resent. */
    peer_ack(&k, seq[9] + mss, NULL, 0);
    size_t n = 0;
    while (take(&k, &s))
        if (s.t.payload_len > 0)
            n++;
    assert_int_equal(n, 0);
    struct tcp_conn_info ci;
    tcp_sock_info(k.c, &ci);
    assert_int_equal(ci.retransmits, 2);
    assert_int_equal(ci.send_queue, 0);
    close_conn(&k);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_our_syn_offers_everything, teardown_env),
        cmocka_unit_test_teardown(test_synack_without_wscale_no_scaling_either_way, teardown_env),
        cmocka_unit_test_teardown(test_synack_without_ts_no_ts_later, teardown_env),
        cmocka_unit_test_teardown(test_synack_without_sackperm_no_sack_blocks, teardown_env),
        cmocka_unit_test_teardown(test_active_open_peer_without_options, teardown_env),
        cmocka_unit_test_teardown(test_active_open_synack_window_unscaled, teardown_env),
        cmocka_unit_test_teardown(test_wscale_advertised_field_is_shifted, teardown_env),
        cmocka_unit_test_teardown(test_1mib_send_into_scaled_window, teardown_env),
        cmocka_unit_test_teardown(test_1mib_receive_into_scaled_window, teardown_env),
        cmocka_unit_test_teardown(test_peer_sequence_wraps, teardown_env),
        cmocka_unit_test_teardown(test_our_sequence_wraps, teardown_env),
        cmocka_unit_test_teardown(test_mss_zero_means_536, teardown_env),
        cmocka_unit_test_teardown(test_tiny_mss_raised_to_floor, teardown_env),
        cmocka_unit_test_teardown(test_ts_reduces_payload_by_12, teardown_env),
        cmocka_unit_test_teardown(test_tsval_follows_clock_ms, teardown_env),
        cmocka_unit_test_teardown(test_tsecr_echoes_ts_recent, teardown_env),
        cmocka_unit_test_teardown(test_paws_drops_old_tsval, teardown_env),
        cmocka_unit_test_teardown(test_sack_blocks_most_recent_first, teardown_env),
        cmocka_unit_test_teardown(test_sack_block_count_fits_options, teardown_env),
        cmocka_unit_test_teardown(test_sack_sender_retransmits_only_holes, teardown_env),
        cmocka_unit_test_teardown(test_sack_blocks_outside_window_ignored, teardown_env),
        cmocka_unit_test_teardown(test_newreno_fast_retransmit_and_partial_ack, teardown_env),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
