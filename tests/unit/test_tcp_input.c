/* test_tcp_input.c - hostile and broken TCP input: malformed headers and
 * options, impossible flag combinations and addresses, RFC 5961 blind
 * attacks and the challenge-ACK rate limit, out-of-window and duplicate
 * data, the out-of-order queue limit, SYN cookies, and a seeded mutation
 * loop. Each case shows a counted drop or the RFC's answer. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "stack/sock/tcp_impl.h"
#include "stack/wire/eth.h"
#include "tests/unit/support/bytes.h"
#include "tests/unit/support/tcp_peer.h"

#define PORT 80
#define TCP_AT (ETH_HLEN + 20) /* tp_frame: IPv4 header without options */

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

/* ---- fixture ---- */

struct conn {
    struct stack_env *e;
    struct tcp_sock *l, *c;
    uint32_t peer_nxt;           /* the peer's next sequence number */
    uint32_t peer_base;          /* first byte of the peer's stream */
    uint32_t our_nxt;            /* what the peer acknowledges */
    uint32_t tsval, tsecr;
};

static uint8_t pat(uint32_t i)
{
    return (uint8_t)(i * 131u + (i >> 8) + 7u);
}

static void fill(uint8_t *buf, uint32_t from, size_t len)
{
    for (size_t i = 0; i < len; i++)
        buf[i] = pat(from + (uint32_t)i);
}

static void open_conn(struct conn *k, env_tweak_fn tweak)
{
    memset(k, 0, sizeof *k);
    k->e = env_open(tweak);
    k->l = tp_listen(k->e, PORT, 8);
    struct tcp_options o = tp_linux_syn_options(100);
    struct tp_out sa;
    k->c = tp_accept_conn(k->e, k->l, PORT, 1000, &o, &sa);
    k->peer_base = k->peer_nxt = 1001;
    k->our_nxt = sa.t.seq + 1;
    k->tsval = 101;
    k->tsecr = sa.t.opt.ts_val;
}

static void close_conn(struct conn *k)
{
    if (k->c != NULL)
        tcp_sock_abort(k->c, k->e->now);
    tcp_sock_close(k->l, k->e->now);
    env_close(k->e);
}

static struct tcp_options ts_opt(const struct conn *k)
{
    struct tcp_options o = {.has_ts = true, .ts_val = k->tsval, .ts_ecr = k->tsecr};
    return o;
}

/* A segment on the connection with timestamps and window 502. */
static void seg(struct conn *k, uint8_t flags, uint32_t seq, uint32_t ack, const void *data,
                size_t len)
{
    struct tcp_options o = ts_opt(k);
    tp_send(k->e, &(struct tp_seg){.dport = PORT, .seq = seq, .ack = ack, .flags = flags,
                                   .window = 502, .opt = &o, .payload = data, .len = len});
}

static void data(struct conn *k, size_t len)
{
    uint8_t d[1500];
    assert_true(len <= sizeof d);
    fill(d, k->peer_nxt - k->peer_base, len);
    seg(k, TCP_FLAG_ACK | TCP_FLAG_PSH, k->peer_nxt, k->our_nxt, d, len);
    k->peer_nxt += (uint32_t)len;
}

static size_t drain(struct stack_env *e)
{
    struct tp_out o;
    size_t n = 0;
    while (tp_try_take(e, &o))
        n++;
    tp_clear(e);
    return n;
}

/* Everything readable matches the stream from `from`; returns the count. */
static size_t read_check(struct conn *k, uint32_t from)
{
    uint8_t buf[4096];
    size_t total = 0;
    for (int i = 0; i < 1000; i++) {
        long n = tcp_sock_recv(k->c, buf, sizeof buf, k->e->now);
        if (n <= 0)
            break;
        for (long j = 0; j < n; j++)
            assert_int_equal(buf[j], pat(from + (uint32_t)(total + (size_t)j)));
        total += (size_t)n;
    }
    return total;
}

/* Recompute the TCP checksum of a tp_frame frame (n bytes with padding). */
static void fix_tcp_csum(uint8_t *f, size_t n)
{
    uint8_t *tcp = f + TCP_AT;
    /* From the IPv4 total length: short frames carry Ethernet padding. */
    size_t len = (size_t)((f[ETH_HLEN + 2] << 8) | f[ETH_HLEN + 3]) - 20;
    assert_true(TCP_AT + len <= n);
    uint8_t ph[12];
    memcpy(ph, f + ETH_HLEN + 12, 8);
    ph[8] = 0;
    ph[9] = 6;
    ph[10] = (uint8_t)(len >> 8);
    ph[11] = (uint8_t)len;
    tcp[16] = tcp[17] = 0;
    uint32_t sum = (uint32_t)ref_sum(ph, sizeof ph) + ref_sum(tcp, len);
    while (sum > 0xffff)
        sum = (sum & 0xffff) + (sum >> 16);
    uint16_t c = (uint16_t)~sum;
    tcp[16] = (uint8_t)(c >> 8);
    tcp[17] = (uint8_t)c;
}

/* Cut the frame so that the TCP segment is tcp_len bytes, with a
 * consistent IPv4 header. Returns the new frame length. */
static size_t cut_tcp(uint8_t *f, size_t tcp_len)
{
    uint8_t *ip = f + ETH_HLEN;
    size_t tot = 20 + tcp_len;
    ip[2] = (uint8_t)(tot >> 8);
    ip[3] = (uint8_t)tot;
    ip[10] = ip[11] = 0;
    uint16_t c = ref_csum(ip, 20);
    ip[10] = (uint8_t)(c >> 8);
    ip[11] = (uint8_t)c;
    return ETH_HLEN + tot;
}

static size_t conn_frame(struct conn *k, uint8_t *f, size_t cap, uint8_t flags,
                         const struct tcp_options *o, const void *payload, size_t len)
{
    return tp_frame(f, cap, &(struct tp_seg){.dport = PORT, .seq = k->peer_nxt,
                                             .ack = k->our_nxt, .flags = flags, .window = 502,
                                             .opt = o, .payload = payload, .len = len});
}

static void assert_established(struct conn *k)
{
    assert_int_equal(tcp_sock_state(k->c), TCP_ESTABLISHED);
    assert_int_equal(tcp_sock_error(k->c), 0);
}

static void tweak_cookies_always(struct stack_config *cfg, struct netif_config *ncfg)
{
    (void)ncfg;
    cfg->tcp.syncookies = 2;
}

static void tweak_small_synq(struct stack_config *cfg, struct netif_config *ncfg)
{
    (void)ncfg;
    cfg->tcp.syncookies = 1;
    cfg->tcp.syn_backlog = 2;
}

static void tweak_two_ranges(struct stack_config *cfg, struct netif_config *ncfg)
{
    (void)ncfg;
    cfg->tcp.ooo_max_ranges = 2;
}

/* ---- malformed headers and options ---- */

static void test_bad_data_offset(void **state)
{
    (void)state;
    struct conn k;
    open_conn(&k, NULL);
    uint8_t f[FRAME_MAX], d[5] = {1, 2, 3, 4, 5};
    uint64_t bad = env_ctr(k.e, CTR_TCP_RX_DROP_BAD_HEADER);
    const uint8_t offsets[] = {0, 1, 4, 7, 15}; /* < 5 words, or past the 25 bytes */
    for (size_t i = 0; i < sizeof offsets; i++) {
        size_t n = conn_frame(&k, f, sizeof f, TCP_FLAG_ACK | TCP_FLAG_PSH, NULL, d, sizeof d);
        f[TCP_AT + 12] = (uint8_t)(offsets[i] << 4);
        fix_tcp_csum(f, n);
        env_input(k.e, f, n);
    }
    assert_int_equal(env_ctr(k.e, CTR_TCP_RX_DROP_BAD_HEADER), bad + sizeof offsets);
    assert_int_equal(tcp_sock_readable(k.c), 0);
    assert_int_equal(drain(k.e), 0);
    assert_established(&k);
    /* A segment shorter than the fixed header. */
    size_t n = conn_frame(&k, f, sizeof f, TCP_FLAG_ACK, NULL, NULL, 0);
    n = cut_tcp(f, 12);
    uint64_t trunc = env_ctr(k.e, CTR_TCP_RX_DROP_TRUNCATED);
    env_input(k.e, f, n);
    assert_int_equal(env_ctr(k.e, CTR_TCP_RX_DROP_TRUNCATED), trunc + 1);
    /* The connection still works. */
    data(&k, 10);
    assert_int_equal(read_check(&k, 0), 10);
    close_conn(&k);
}

static void test_bad_option_lengths(void **state)
{
    (void)state;
    struct conn k;
    open_conn(&k, NULL);
    uint8_t f[FRAME_MAX], d[5] = {1, 2, 3, 4, 5};
    struct tcp_options o = ts_opt(&k); /* NOP NOP TS: 12 bytes of options */
    /* Rewrite the 12 option bytes: a length 0, a length 1, a length that
     * runs past the header, a kind in the last byte without its length. */
    const uint8_t bad_opts[][12] = {
        {8, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1},
        {1, 1, 2, 1, 1, 1, 1, 1, 1, 1, 1, 1},
        {1, 1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0},
        {1, 1, 5, 20, 0, 0, 0, 1, 0, 0, 0, 2},
        {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2},
        {2, 4, 5, 180, 1, 1, 1, 1, 1, 1, 30, 200},
    };
    size_t cases = sizeof bad_opts / sizeof bad_opts[0];
    uint64_t bad = env_ctr(k.e, CTR_TCP_RX_DROP_BAD_HEADER);
    for (size_t i = 0; i < cases; i++) {
        size_t n = conn_frame(&k, f, sizeof f, TCP_FLAG_ACK | TCP_FLAG_PSH, &o, d, sizeof d);
        assert_int_equal(f[TCP_AT + 12] >> 4, 8);
        memcpy(f + TCP_AT + 20, bad_opts[i], 12);
        fix_tcp_csum(f, n);
        env_input(k.e, f, n);
    }
    assert_int_equal(env_ctr(k.e, CTR_TCP_RX_DROP_BAD_HEADER), bad + cases);
    assert_int_equal(tcp_sock_readable(k.c), 0);
    assert_int_equal(drain(k.e), 0);
    /* A bad option in a SYN to the listener: no SYN-ACK, no child. */
    struct tcp_options so = {.has_mss = true, .mss = 1460};
    size_t n = tp_frame(f, sizeof f, &(struct tp_seg){.dport = PORT, .sport = 41000,
                                                      .seq = 5, .flags = TCP_FLAG_SYN,
                                                      .opt = &so});
    f[TCP_AT + 21] = 0; /* MSS length 0 */
    fix_tcp_csum(f, n);
    env_input(k.e, f, n);
    assert_int_equal(env_ctr(k.e, CTR_TCP_RX_DROP_BAD_HEADER), bad + cases + 1);
    assert_int_equal(drain(k.e), 0);
    assert_int_equal(stack_tcp_list(k.e->s, NULL, 0), 2);
    assert_established(&k);
    close_conn(&k);
}

static void test_syn_mss_zero_and_tiny(void **state)
{
    (void)state;
    struct stack_env *e = env_open(NULL);
    struct tcp_sock *l = tp_listen(e, PORT, 8);
    struct tcp_options o = tp_linux_syn_options(100);
    o.mss = 0;
    struct tcp_sock *c = tp_accept_conn(e, l, PORT, 1000, &o, NULL);
    int v = 0;
    assert_int_equal(tcp_sock_getopt(c, TCP_OPT_MAXSEG, &v), 0);
    assert_int_equal(v, TCP_DEFAULT_MSS - TCP_TS_OPTLEN);
    tcp_sock_abort(c, e->now);
    o.mss = 7;
    tp_clear(e);
    c = tp_accept_conn(e, l, PORT, 2000, &o, NULL);
    assert_int_equal(tcp_sock_getopt(c, TCP_OPT_MAXSEG, &v), 0);
    assert_int_equal(v, TCP_MIN_MSS - TCP_TS_OPTLEN);
    tcp_sock_abort(c, e->now);
    tcp_sock_close(l, e->now);
    env_close(e);
}

static void test_wscale_above_14_clamped(void **state)
{
    (void)state;
    const uint8_t shifts[] = {15, 16, 100, 255};
    for (size_t i = 0; i < sizeof shifts; i++) {
        struct stack_env *e = env_open(NULL);
        struct tcp_sock *l = tp_listen(e, PORT, 8);
        /* NOP WS(3) shift: the encoder clamps, so the byte is rewritten. */
        struct tcp_options o = {.has_wscale = true, .wscale = 14};
        uint8_t f[FRAME_MAX];
        size_t n = tp_frame(f, sizeof f, &(struct tp_seg){.dport = PORT, .seq = 1000,
                                                          .flags = TCP_FLAG_SYN, .opt = &o});
        assert_int_equal(f[TCP_AT + 21], TCP_OPT_WSCALE);
        f[TCP_AT + 23] = shifts[i];
        fix_tcp_csum(f, n);
        env_input(e, f, n);
        struct tp_out sa;
        tp_take(e, &sa);
        assert_int_equal(sa.t.flags, TCP_FLAG_SYN | TCP_FLAG_ACK);
        assert_true(sa.t.opt.has_wscale);
        tp_send(e, &(struct tp_seg){.dport = PORT, .seq = 1001, .ack = sa.t.seq + 1,
                                    .flags = TCP_FLAG_ACK, .window = 2});
        int err = 0;
        struct tcp_sock *c = tcp_sock_accept(l, NULL, NULL, &err);
        assert_non_null(c);
        struct tcp_conn_info ci;
        tcp_sock_info(c, &ci);
        assert_int_equal(ci.snd_wscale, 14); /* RFC 7323 2.3 */
        assert_int_equal(ci.snd_wnd, 2u << 14);
        tcp_sock_abort(c, e->now);
        tcp_sock_close(l, e->now);
        env_close(e);
    }
}

static void test_sack_blocks_outside_window(void **state)
{
    (void)state;
    struct conn k;
    open_conn(&k, NULL);
    uint8_t buf[3000];
    fill(buf, 0, sizeof buf);
    assert_int_equal(tcp_sock_send(k.c, buf, sizeof buf, k.e->now), 3000);
    drain(k.e);
    uint64_t bad = env_ctr(k.e, CTR_TCP_RX_SACK_BAD_BLOCKS);
    struct tcp_options o = ts_opt(&k);
    o.n_sack = 3;
    o.sack[0] = (struct tcp_sack_block){k.our_nxt + 3000, k.our_nxt + 4000};
    o.sack[1] = (struct tcp_sack_block){k.our_nxt - 100000, k.our_nxt - 99000};
    o.sack[2] = (struct tcp_sack_block){k.our_nxt + 0x80000000u, k.our_nxt + 0x80001000u};
    tp_send(k.e, &(struct tp_seg){.dport = PORT, .seq = k.peer_nxt, .ack = k.our_nxt,
                                  .flags = TCP_FLAG_ACK, .window = 502, .opt = &o});
    assert_int_equal(env_ctr(k.e, CTR_TCP_RX_SACK_BAD_BLOCKS), bad + 3);
    assert_int_equal(drain(k.e), 0);
    assert_established(&k);
    close_conn(&k);
}

/* ---- flags ---- */

static void test_syn_fin_dropped(void **state)
{
    (void)state;
    struct conn k;
    open_conn(&k, NULL);
    /* To the listener, from a new port: no SYN-ACK, no child. */
    uint64_t bad = env_ctr(k.e, CTR_TCP_RX_DROP_BAD_FLAGS);
    tp_send(k.e, &(struct tp_seg){.dport = PORT, .sport = 41000, .seq = 77,
                                  .flags = TCP_FLAG_SYN | TCP_FLAG_FIN});
    assert_int_equal(env_ctr(k.e, CTR_TCP_RX_DROP_BAD_FLAGS), bad + 1);
    assert_int_equal(drain(k.e), 0);
    assert_int_equal(stack_tcp_list(k.e->s, NULL, 0), 2);
    /* To the established connection, in window: RFC 5961 4.2 (and
     * Linux's tcp_validate_incoming) treat any SYN there alike, SYN+FIN
     * included: a challenge ACK, and neither the SYN nor the FIN acts. */
    uint64_t ch = env_ctr(k.e, CTR_TCP_TX_CHALLENGE_ACKS);
    seg(&k, TCP_FLAG_SYN | TCP_FLAG_FIN, k.peer_nxt, 0, NULL, 0);
    assert_int_equal(env_ctr(k.e, CTR_TCP_TX_CHALLENGE_ACKS), ch + 1);
    struct tp_out a;
    tp_take(k.e, &a);
    assert_int_equal(a.t.flags, TCP_FLAG_ACK);
    assert_int_equal(a.t.ack, k.peer_nxt);
    assert_established(&k);
    assert_int_equal(tcp_sock_readable(k.c), 0);
    drain(k.e);
    data(&k, 10);
    assert_int_equal(read_check(&k, 0), 10);
    close_conn(&k);
}

static void test_null_and_xmas_flags(void **state)
{
    (void)state;
    struct conn k;
    open_conn(&k, NULL);
    const uint8_t flagsets[] = {0, TCP_FLAG_FIN | TCP_FLAG_PSH | TCP_FLAG_URG};
    uint8_t d[10];
    fill(d, 0, sizeof d);
    for (size_t i = 0; i < sizeof flagsets; i++) {
        /* Listener: "must have an ACK and thus would be discarded". */
        uint64_t lst = env_ctr(k.e, CTR_TCP_RX_DROP_LISTEN);
        tp_send(k.e, &(struct tp_seg){.dport = PORT, .sport = 41000, .seq = 77,
                                      .flags = flagsets[i], .payload = d, .len = sizeof d});
        assert_int_equal(env_ctr(k.e, CTR_TCP_RX_DROP_LISTEN), lst + 1);
        assert_int_equal(drain(k.e), 0);
        assert_int_equal(stack_tcp_list(k.e->s, NULL, 0), 2);
        /* Established: "if the ACK bit is off drop the segment". */
        uint64_t bad = env_ctr(k.e, CTR_TCP_RX_DROP_BAD_FLAGS);
        seg(&k, flagsets[i], k.peer_nxt, 0, d, sizeof d);
        assert_int_equal(env_ctr(k.e, CTR_TCP_RX_DROP_BAD_FLAGS), bad + 1);
        assert_established(&k); /* the FIN was not taken */
        assert_int_equal(tcp_sock_readable(k.c), 0);
        assert_int_equal(drain(k.e), 0);
    }
    close_conn(&k);
}

/* ---- addresses ---- */

static void test_port_zero_and_land(void **state)
{
    (void)state;
    struct conn k;
    open_conn(&k, NULL);
    uint64_t bad = env_ctr(k.e, CTR_TCP_RX_DROP_BAD_ADDR);
    /* Source port 0 to the listener: tp_seg's 0 means the default, so
     * rewrite the field. */
    uint8_t f[FRAME_MAX];
    size_t n = tp_frame(f, sizeof f, &(struct tp_seg){.dport = PORT, .seq = 5,
                                                      .flags = TCP_FLAG_SYN});
    f[TCP_AT] = f[TCP_AT + 1] = 0;
    fix_tcp_csum(f, n);
    env_input(k.e, f, n);
    /* Destination port 0. */
    n = tp_frame(f, sizeof f, &(struct tp_seg){.dport = PORT, .seq = 5, .flags = TCP_FLAG_SYN});
    f[TCP_AT + 2] = f[TCP_AT + 3] = 0;
    fix_tcp_csum(f, n);
    env_input(k.e, f, n);
    assert_int_equal(env_ctr(k.e, CTR_TCP_RX_DROP_BAD_ADDR), bad + 2);
    assert_int_equal(drain(k.e), 0);
    /* LAND: from our own address and port to itself. IPv4 may refuse our
     * own source first; either way it is counted and unanswered. */
    uint64_t ipsrc = env_ctr(k.e, CTR_IPV4_RX_DROP_BAD_SRC);
    tp_send(k.e, &(struct tp_seg){.src = ENV_IP_US, .dst = ENV_IP_US, .sport = PORT,
                                  .dport = PORT, .seq = 5, .flags = TCP_FLAG_SYN});
    assert_int_equal(env_ctr(k.e, CTR_TCP_RX_DROP_BAD_ADDR) - (bad + 2) +
                         env_ctr(k.e, CTR_IPV4_RX_DROP_BAD_SRC) - ipsrc,
                     1);
    assert_int_equal(drain(k.e), 0);
    assert_int_equal(stack_tcp_list(k.e->s, NULL, 0), 2);
    close_conn(&k);
}

/* ---- ACK checks (RFC 9293 3.10.7.4 fifth, RFC 5961 5.2) ---- */

static void test_ack_of_unsent_data(void **state)
{
    (void)state;
    struct conn k;
    open_conn(&k, NULL);
    uint64_t unsent = env_ctr(k.e, CTR_TCP_RX_DROP_ACK_UNSENT);
    uint8_t d[10];
    fill(d, 0, sizeof d);
    seg(&k, TCP_FLAG_ACK, k.peer_nxt, k.our_nxt + 5000, d, sizeof d);
    assert_int_equal(env_ctr(k.e, CTR_TCP_RX_DROP_ACK_UNSENT), unsent + 1);
    struct tp_out a;
    tp_take(k.e, &a);
    assert_int_equal(a.t.flags, TCP_FLAG_ACK);
    assert_int_equal(a.t.seq, k.our_nxt);
    assert_int_equal(a.t.ack, k.peer_nxt);
    assert_int_equal(tcp_sock_readable(k.c), 0); /* dropped, data too */
    assert_established(&k);
    close_conn(&k);
}

static void test_ack_too_old_challenged(void **state)
{
    (void)state;
    struct conn k;
    open_conn(&k, NULL);
    uint64_t old = env_ctr(k.e, CTR_TCP_RX_DROP_OLD_ACK);
    uint64_t ch = env_ctr(k.e, CTR_TCP_TX_CHALLENGE_ACKS);
    uint8_t d[10];
    fill(d, 0, sizeof d);
    /* MAX.SND.WND is 502 << 7; this is far below SND.UNA - that. */
    seg(&k, TCP_FLAG_ACK, k.peer_nxt, k.our_nxt - 200000, d, sizeof d);
    assert_int_equal(env_ctr(k.e, CTR_TCP_RX_DROP_OLD_ACK), old + 1);
    assert_int_equal(env_ctr(k.e, CTR_TCP_TX_CHALLENGE_ACKS), ch + 1);
    struct tp_out a;
    tp_take(k.e, &a);
    assert_int_equal(a.t.flags, TCP_FLAG_ACK);
    assert_int_equal(a.t.ack, k.peer_nxt);
    assert_int_equal(tcp_sock_readable(k.c), 0);
    /* Just inside SND.UNA - MAX.SND.WND is an acceptable old duplicate. */
    seg(&k, TCP_FLAG_ACK, k.peer_nxt, k.our_nxt - 1000, d, sizeof d);
    k.peer_nxt += 10;
    assert_int_equal(env_ctr(k.e, CTR_TCP_RX_DROP_OLD_ACK), old + 1);
    assert_int_equal(read_check(&k, 0), 10);
    assert_established(&k);
    close_conn(&k);
}

/* ---- RFC 5961 ---- */

static void test_syn_on_established_challenge(void **state)
{
    (void)state;
    struct conn k;
    open_conn(&k, NULL);
    uint64_t ch = env_ctr(k.e, CTR_TCP_TX_CHALLENGE_ACKS);
    /* In window and at RCV.NXT exactly: neither resets (RFC 5961 4.2). */
    const uint32_t seqs[] = {k.peer_nxt, k.peer_nxt + 100, k.peer_nxt - 1000000};
    for (size_t i = 0; i < 3; i++) {
        struct tcp_options o = ts_opt(&k);
        tp_send(k.e, &(struct tp_seg){.dport = PORT, .seq = seqs[i], .flags = TCP_FLAG_SYN,
                                      .opt = &o});
        struct tp_out a;
        tp_take(k.e, &a);
        assert_int_equal(a.t.flags, TCP_FLAG_ACK);
        assert_int_equal(a.t.seq, k.our_nxt);
        assert_int_equal(a.t.ack, k.peer_nxt);
        assert_established(&k);
    }
    /* The first two are challenge ACKs; the out-of-window one is just
     * the RFC 9293 ACK for an unacceptable segment. */
    assert_true(env_ctr(k.e, CTR_TCP_TX_CHALLENGE_ACKS) >= ch + 2);
    data(&k, 20);
    assert_int_equal(read_check(&k, 0), 20);
    close_conn(&k);
}

static void test_rst_in_window_challenge_then_exact_resets(void **state)
{
    (void)state;
    struct conn k;
    open_conn(&k, NULL);
    uint64_t ch = env_ctr(k.e, CTR_TCP_TX_CHALLENGE_ACKS);
    seg(&k, TCP_FLAG_RST, k.peer_nxt + 1, 0, NULL, 0);
    assert_int_equal(env_ctr(k.e, CTR_TCP_TX_CHALLENGE_ACKS), ch + 1);
    struct tp_out a;
    tp_take(k.e, &a);
    assert_int_equal(a.t.flags, TCP_FLAG_ACK);
    assert_int_equal(a.t.ack, k.peer_nxt);
    assert_established(&k);
    /* Outside the window: ignored, counted, no answer. */
    uint64_t ign = env_ctr(k.e, CTR_TCP_RX_RST_IGNORED);
    seg(&k, TCP_FLAG_RST, k.peer_nxt + 10000000, 0, NULL, 0);
    assert_int_equal(env_ctr(k.e, CTR_TCP_RX_RST_IGNORED), ign + 1);
    assert_int_equal(drain(k.e), 0);
    /* Exactly RCV.NXT: reset. */
    uint64_t rsts = env_ctr(k.e, CTR_TCP_RX_RSTS);
    seg(&k, TCP_FLAG_RST, k.peer_nxt, 0, NULL, 0);
    assert_int_equal(env_ctr(k.e, CTR_TCP_RX_RSTS), rsts + 1);
    assert_int_equal(tcp_sock_state(k.c), TCP_CLOSED);
    assert_int_equal(tcp_sock_error(k.c), ECONNRESET);
    assert_int_equal(drain(k.e), 0);
    close_conn(&k);
}

static void test_challenge_ack_rate_limit(void **state)
{
    (void)state;
    struct conn k;
    open_conn(&k, NULL);
    uint64_t ch = env_ctr(k.e, CTR_TCP_TX_CHALLENGE_ACKS);
    uint64_t lim = env_ctr(k.e, CTR_TCP_CHALLENGE_ACK_LIMITED);
    size_t acks = 0;
    /* 2000 in-window RSTs over one fake second (every 0.5 ms). */
    for (uint32_t i = 0; i < 2000; i++) {
        seg(&k, TCP_FLAG_RST, k.peer_nxt + 1 + (i % 50000), 0, NULL, 0);
        if (i % 100 == 99)
            acks += drain(k.e);
        env_advance(k.e, NS_PER_MS / 2);
    }
    acks += drain(k.e);
    uint64_t sent = env_ctr(k.e, CTR_TCP_TX_CHALLENGE_ACKS) - ch;
    uint64_t limited = env_ctr(k.e, CTR_TCP_CHALLENGE_ACK_LIMITED) - lim;
    assert_int_equal(sent + limited, 2000);
    assert_int_equal(acks, sent);
    /* At most the burst plus one second's rate (RFC 5961 10, Linux's
     * 1000/s): the rest are counted, not sent. */
    assert_true(sent <= 100 + 1000 + 1);
    assert_true(limited >= 2000 - 1101);
    assert_established(&k);
    data(&k, 10);
    assert_int_equal(read_check(&k, 0), 10);
    close_conn(&k);
}

/* ---- data ---- */

static void test_urgent_pointer_past_data(void **state)
{
    (void)state;
    struct conn k;
    open_conn(&k, NULL);
    uint64_t urg = env_ctr(k.e, CTR_TCP_RX_URGENT);
    uint8_t d[10];
    fill(d, 0, sizeof d);
    struct tcp_options o = ts_opt(&k);
    tp_send(k.e, &(struct tp_seg){.dport = PORT, .seq = k.peer_nxt, .ack = k.our_nxt,
                                  .flags = TCP_FLAG_ACK | TCP_FLAG_URG | TCP_FLAG_PSH,
                                  .urg_ptr = 65535, .opt = &o, .payload = d, .len = sizeof d});
    k.peer_nxt += 10;
    assert_int_equal(env_ctr(k.e, CTR_TCP_RX_URGENT), urg + 1);
    assert_int_equal(read_check(&k, 0), 10); /* inline, all of it */
    /* URG with no data and pointer 0. */
    tp_send(k.e, &(struct tp_seg){.dport = PORT, .seq = k.peer_nxt, .ack = k.our_nxt,
                                  .flags = TCP_FLAG_ACK | TCP_FLAG_URG, .opt = &o});
    assert_int_equal(env_ctr(k.e, CTR_TCP_RX_URGENT), urg + 2);
    assert_established(&k);
    close_conn(&k);
}

static void test_bad_checksum(void **state)
{
    (void)state;
    struct conn k;
    open_conn(&k, NULL);
    uint8_t f[FRAME_MAX], d[10];
    fill(d, 0, sizeof d);
    struct tcp_options o = ts_opt(&k);
    size_t n = conn_frame(&k, f, sizeof f, TCP_FLAG_ACK | TCP_FLAG_PSH, &o, d, sizeof d);
    f[n - 1] ^= 0x40;
    uint64_t bad = env_ctr(k.e, CTR_TCP_RX_DROP_BAD_CSUM);
    env_input(k.e, f, n);
    assert_int_equal(env_ctr(k.e, CTR_TCP_RX_DROP_BAD_CSUM), bad + 1);
    assert_int_equal(tcp_sock_readable(k.c), 0);
    assert_int_equal(drain(k.e), 0);
    close_conn(&k);
}

static void test_segment_outside_window(void **state)
{
    (void)state;
    struct conn k;
    open_conn(&k, NULL);
    uint8_t d[100];
    fill(d, 0, sizeof d);
    uint64_t oow = env_ctr(k.e, CTR_TCP_RX_DROP_OUT_OF_WINDOW);
    seg(&k, TCP_FLAG_ACK, k.peer_nxt + 10000000, k.our_nxt, d, sizeof d);
    assert_int_equal(env_ctr(k.e, CTR_TCP_RX_DROP_OUT_OF_WINDOW), oow + 1);
    struct tp_out a;
    tp_take(k.e, &a);
    assert_int_equal(a.t.flags, TCP_FLAG_ACK);
    assert_int_equal(a.t.ack, k.peer_nxt);
    assert_int_equal(tcp_sock_readable(k.c), 0);
    /* Just past the right edge. */
    struct tcp_conn_info ci;
    tcp_sock_info(k.c, &ci);
    seg(&k, TCP_FLAG_ACK, k.peer_nxt + ci.rcv_wnd, k.our_nxt, d, sizeof d);
    assert_int_equal(env_ctr(k.e, CTR_TCP_RX_DROP_OUT_OF_WINDOW), oow + 2);
    tp_take(k.e, &a);
    assert_int_equal(a.t.ack, k.peer_nxt);
    assert_established(&k);
    close_conn(&k);
}

/* RFC 9293 3.10.7.4: "If the RCV.WND is zero, no segments will be
 * acceptable, but special allowance should be made to accept valid ACKs,
 * URGs, and RSTs." A segment at RCV.NXT with text while our window is
 * shut: the text is dropped (and ACKed), its ACK still counts. */
static void test_zero_window_still_takes_acks(void **state)
{
    (void)state;
    struct conn k;
    memset(&k, 0, sizeof k);
    k.e = env_open(NULL);
    k.l = tp_listen(k.e, PORT, 8);
    assert_int_equal(tcp_sock_setopt(k.l, TCP_OPT_RCVBUF, 4096), 0);
    struct tcp_options o = tp_linux_syn_options(100);
    struct tp_out sa;
    k.c = tp_accept_conn(k.e, k.l, PORT, 1000, &o, &sa);
    k.peer_base = k.peer_nxt = 1001;
    k.our_nxt = sa.t.seq + 1;
    k.tsval = 101;
    k.tsecr = sa.t.opt.ts_val;
    assert_int_equal(tcp_sock_setopt(k.c, TCP_OPT_NODELAY, 1), 0);
    /* Fill our 4096-byte window (the app does not read). */
    for (int i = 0; i < 4; i++)
        data(&k, 1024);
    assert_int_equal(tcp_sock_readable(k.c), 4096);
    drain(k.e);
    struct tcp_conn_info ci;
    tcp_sock_info(k.c, &ci);
    assert_int_equal(ci.rcv_wnd, 0);
    /* We send 100 bytes; the peer's next segment carries one byte (a
     * window probe) and the ACK of our 100. */
    assert_int_equal(tcp_sock_send(k.c, "0123456789012345678901234567890123456789"
                                        "0123456789012345678901234567890123456789"
                                        "01234567890123456789", 100, k.e->now), 100);
    struct tp_out s;
    tp_take(k.e, &s);
    assert_int_equal(s.t.payload_len, 100);
    tp_clear(k.e);
    uint8_t one = pat(4096);
    seg(&k, TCP_FLAG_ACK, k.peer_nxt, k.our_nxt + 100, &one, 1);
    struct tp_out a;
    tp_take(k.e, &a);
    assert_int_equal(a.t.ack, k.peer_nxt); /* the byte is not taken */
    assert_int_equal(a.t.window, 0);
    tcp_sock_info(k.c, &ci);
    assert_int_equal(ci.send_queue, 0);    /* but the ACK was */
    assert_established(&k);
    close_conn(&k);
}

static void test_old_duplicate_data(void **state)
{
    (void)state;
    struct conn k;
    open_conn(&k, NULL);
    data(&k, 100);
    data(&k, 100);
    drain(k.e);
    uint64_t dup = env_ctr(k.e, CTR_TCP_RX_DUP_DATA);
    uint8_t d[100];
    fill(d, 0, sizeof d);
    seg(&k, TCP_FLAG_ACK, k.peer_base, k.our_nxt, d, sizeof d);
    assert_int_equal(env_ctr(k.e, CTR_TCP_RX_DUP_DATA), dup + 1);
    struct tp_out a;
    tp_take(k.e, &a);
    assert_int_equal(a.t.ack, k.peer_nxt);
    assert_int_equal(read_check(&k, 0), 200);
    close_conn(&k);
}

static void test_ooo_range_limit(void **state)
{
    (void)state;
    struct conn k;
    open_conn(&k, tweak_two_ranges);
    uint32_t r = k.peer_nxt;
    uint8_t d[100];
    /* Holes at [0,100), [200,300), [400,500): ranges [100,200), [300,400)
     * fit; [500,600) would be a third range. */
    const uint32_t first[] = {100, 300};
    for (size_t i = 0; i < 2; i++) {
        fill(d, first[i], sizeof d);
        seg(&k, TCP_FLAG_ACK, r + first[i], k.our_nxt, d, sizeof d);
    }
    uint64_t full = env_ctr(k.e, CTR_TCP_RX_DROP_OOO_FULL);
    fill(d, 500, sizeof d);
    seg(&k, TCP_FLAG_ACK, r + 500, k.our_nxt, d, sizeof d);
    assert_int_equal(env_ctr(k.e, CTR_TCP_RX_DROP_OOO_FULL), full + 1);
    /* Growing an existing range needs no new one. */
    fill(d, 400, sizeof d);
    seg(&k, TCP_FLAG_ACK, r + 400, k.our_nxt, d, sizeof d);
    assert_int_equal(env_ctr(k.e, CTR_TCP_RX_DROP_OOO_FULL), full + 1);
    /* Fill the holes, resend the dropped one: 600 bytes, all correct. */
    const uint32_t rest[] = {0, 200, 500};
    for (size_t i = 0; i < 3; i++) {
        fill(d, rest[i], sizeof d);
        seg(&k, TCP_FLAG_ACK, r + rest[i], k.our_nxt, d, sizeof d);
    }
    env_advance(k.e, 100 * NS_PER_MS);
    struct tp_out a;
    uint32_t last = 0;
    while (tp_try_take(k.e, &a))
        last = a.t.ack;
    assert_int_equal(last, r + 600);
    assert_int_equal(read_check(&k, 0), 600);
    close_conn(&k);
}

/* ---- SYN cookies ---- */

static void test_syncookies_always(void **state)
{
    (void)state;
    struct stack_env *e = env_open(tweak_cookies_always);
    struct tcp_sock *l = tp_listen(e, PORT, 8);
    struct tcp_options o = tp_linux_syn_options(1000);
    tp_send(e, &(struct tp_seg){.dport = PORT, .seq = 7000, .flags = TCP_FLAG_SYN, .opt = &o});
    assert_int_equal(env_ctr(e, CTR_TCP_SYNCOOKIES_SENT), 1);
    struct tp_out sa;
    tp_take(e, &sa);
    assert_int_equal(sa.t.flags, TCP_FLAG_SYN | TCP_FLAG_ACK);
    assert_int_equal(sa.t.ack, 7001);
    assert_true(sa.t.opt.has_mss);
    assert_true(sa.t.opt.has_ts);
    assert_true(sa.t.opt.sack_permitted);
    assert_true(sa.t.opt.has_wscale);
    assert_int_equal(sa.t.opt.ts_ecr, 1000);
    /* No state: only the listener exists. */
    struct tcp_conn_info list[4];
    assert_int_equal(stack_tcp_list(e->s, list, 4), 1);
    assert_int_equal(list[0].state, TCP_LISTEN);

    /* A forged third ACK: wrong acknowledgment number. */
    struct tcp_options ao = {.has_ts = true, .ts_val = 1001, .ts_ecr = sa.t.opt.ts_val};
    tp_send(e, &(struct tp_seg){.dport = PORT, .seq = 7001, .ack = sa.t.seq + 1 + 12345,
                                .flags = TCP_FLAG_ACK, .opt = &ao, .window = 502});
    assert_int_equal(env_ctr(e, CTR_TCP_SYNCOOKIES_FAILED), 1);
    struct tp_out r;
    tp_take(e, &r);
    assert_int_equal(r.t.flags & TCP_FLAG_RST, TCP_FLAG_RST);
    assert_int_equal(r.t.seq, sa.t.seq + 1 + 12345);
    assert_int_equal(stack_tcp_list(e->s, NULL, 0), 1);

    /* The right one. */
    tp_send(e, &(struct tp_seg){.dport = PORT, .seq = 7001, .ack = sa.t.seq + 1,
                                .flags = TCP_FLAG_ACK, .opt = &ao, .window = 502});
    assert_int_equal(env_ctr(e, CTR_TCP_SYNCOOKIES_RECV), 1);
    int err = 0;
    struct tcp_sock *c = tcp_sock_accept(l, NULL, NULL, &err);
    assert_non_null(c);
    assert_int_equal(tcp_sock_state(c), TCP_ESTABLISHED);
    struct tcp_conn_info ci;
    tcp_sock_info(c, &ci);
    assert_int_equal(ci.mss, 1460 - TCP_TS_OPTLEN);
    assert_int_equal(ci.snd_wscale, 7);
    assert_int_equal(ci.rcv_wscale, sa.t.opt.wscale);
    assert_true(ci.sack);
    assert_true(ci.timestamps);
    assert_int_equal(ci.snd_wnd, 502u << 7);
    /* And it carries data both ways. */
    uint8_t d[50];
    fill(d, 0, sizeof d);
    ao.ts_val = 1002;
    tp_send(e, &(struct tp_seg){.dport = PORT, .seq = 7001, .ack = sa.t.seq + 1,
                                .flags = TCP_FLAG_ACK | TCP_FLAG_PSH, .opt = &ao,
                                .window = 502, .payload = d, .len = sizeof d});
    uint8_t buf[64];
    assert_int_equal(tcp_sock_recv(c, buf, sizeof buf, e->now), 50);
    assert_memory_equal(buf, d, 50);
    assert_int_equal(tcp_sock_send(c, "x", 1, e->now), 1);
    tcp_sock_abort(c, e->now);
    tcp_sock_close(l, e->now);
    env_close(e);
}

/* Without timestamps there is nowhere to keep wscale and SACK: a cookie
 * connection goes without them (as Linux), and the third ACK may carry
 * data. A cookie older than its lifetime fails. */
static void test_syncookies_without_ts_and_expired(void **state)
{
    (void)state;
    struct stack_env *e = env_open(tweak_cookies_always);
    struct tcp_sock *l = tp_listen(e, PORT, 8);
    struct tcp_options o = tp_linux_syn_options(1000);
    o.has_ts = false;
    o.mss = 1400; /* the cookie table rounds down to 1300 */
    tp_send(e, &(struct tp_seg){.dport = PORT, .seq = 9000, .flags = TCP_FLAG_SYN, .opt = &o});
    struct tp_out sa;
    tp_take(e, &sa);
    assert_true(sa.t.opt.has_mss);
    assert_false(sa.t.opt.has_ts);
    assert_false(sa.t.opt.has_wscale);
    assert_false(sa.t.opt.sack_permitted);
    uint8_t d[30];
    fill(d, 0, sizeof d);
    tp_send(e, &(struct tp_seg){.dport = PORT, .seq = 9001, .ack = sa.t.seq + 1,
                                .flags = TCP_FLAG_ACK | TCP_FLAG_PSH, .window = 502,
                                .payload = d, .len = sizeof d});
    assert_int_equal(env_ctr(e, CTR_TCP_SYNCOOKIES_RECV), 1);
    int err = 0;
    struct tcp_sock *c = tcp_sock_accept(l, NULL, NULL, &err);
    assert_non_null(c);
    struct tcp_conn_info ci;
    tcp_sock_info(c, &ci);
    assert_int_equal(ci.mss, 1300);
    assert_int_equal(ci.snd_wscale, 0);
    assert_int_equal(ci.rcv_wscale, 0);
    assert_false(ci.sack);
    assert_false(ci.timestamps);
    assert_int_equal(ci.snd_wnd, 502);
    uint8_t buf[64];
    assert_int_equal(tcp_sock_recv(c, buf, sizeof buf, e->now), 30);
    assert_memory_equal(buf, d, 30);
    tcp_sock_abort(c, e->now);
    tp_clear(e);

    /* A cookie answered 200 s later is stale. */
    tp_send(e, &(struct tp_seg){.dport = PORT, .sport = 41000, .seq = 100,
                                .flags = TCP_FLAG_SYN, .opt = &o});
    tp_take(e, &sa);
    env_advance(e, 200 * NS_PER_SEC);
    env_learn(e, ENV_IP_PEER, &env_mac_peer);
    tp_send(e, &(struct tp_seg){.dport = PORT, .sport = 41000, .seq = 101,
                                .ack = sa.t.seq + 1, .flags = TCP_FLAG_ACK});
    assert_int_equal(env_ctr(e, CTR_TCP_SYNCOOKIES_FAILED), 1);
    struct tp_out r;
    tp_take(e, &r);
    assert_true(r.t.flags & TCP_FLAG_RST);
    assert_null(tcp_sock_accept(l, NULL, NULL, &err));
    assert_int_equal(err, -EAGAIN);
    tcp_sock_close(l, e->now);
    env_close(e);
}

static void test_syncookies_when_synq_full(void **state)
{
    (void)state;
    struct stack_env *e = env_open(tweak_small_synq);
    struct tcp_sock *l = tp_listen(e, PORT, 8);
    struct tcp_options o = tp_linux_syn_options(1000);
    for (uint16_t i = 0; i < 3; i++) {
        tp_send(e, &(struct tp_seg){.dport = PORT, .sport = (uint16_t)(41000 + i),
                                    .seq = 7000, .flags = TCP_FLAG_SYN, .opt = &o});
        struct tp_out sa;
        tp_take(e, &sa);
        assert_int_equal(sa.t.flags, TCP_FLAG_SYN | TCP_FLAG_ACK);
        assert_int_equal(env_ctr(e, CTR_TCP_SYNCOOKIES_SENT), i < 2 ? 0 : 1);
    }
    /* The listener and two SYN-RECEIVED children; the third kept nothing. */
    assert_int_equal(stack_tcp_list(e->s, NULL, 0), 3);
    tcp_sock_close(l, e->now);
    env_close(e);
}

/* ---- mutation loop ---- */

static uint64_t rng_state;

static uint32_t rnd(void)
{
    /* xorshift64*: seeded, so a failure replays. */
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return (uint32_t)((rng_state * 2685821657736338717ull) >> 32);
}

static void test_mutation_loop(void **state)
{
    (void)state;
    rng_state = 0x9e3779b97f4a7c15ull;
    struct conn k;
    open_conn(&k, NULL);
    uint32_t read_total = 0;   /* bytes of the current connection read */
    uint32_t acked = 0;        /* stream offset our stack acknowledged */
    size_t resets = 0, reopened = 0, read_all = 0;
    uint8_t f[FRAME_MAX], d[400];
    for (uint32_t iter = 0; iter < 20000; iter++) {
        /* A valid segment: data near RCV.NXT, or a SYN/ACK to the
         * listener from another port. */
        uint32_t kind = rnd() % 8;
        size_t n;
        k.tsval++;
        struct tcp_options o = ts_opt(&k);
        if (kind < 6) {
            uint32_t off = acked + (rnd() % 4 == 0 ? rnd() % 3000 : 0);
            size_t len = rnd() % 300;
            fill(d, off, len);
            n = tp_frame(f, sizeof f, &(struct tp_seg){
                                          .dport = PORT, .seq = k.peer_base + off,
                                          .ack = k.our_nxt, .flags = TCP_FLAG_ACK | TCP_FLAG_PSH,
                                          .window = 502, .opt = &o, .payload = d, .len = len});
        } else {
            /* kind 6: a SYN; kind 7: an ACK with a random number (a
             * cookie to check). Both with a full set of options to break. */
            struct tcp_options so = tp_linux_syn_options(k.tsval);
            n = tp_frame(f, sizeof f, &(struct tp_seg){
                                          .dport = PORT, .sport = (uint16_t)(42000 + rnd() % 64),
                                          .seq = rnd(), .ack = kind == 7 ? rnd() : 0,
                                          .flags = kind == 6 ? TCP_FLAG_SYN : TCP_FLAG_ACK,
                                          .opt = &so});
        }
        /* Mutate: bit flips anywhere (checksum left stale), header-only
         * flips with the checksum fixed (reaching the state machine), or
         * a truncation. Never the sequence number or data offset of a
         * data segment with a fixed checksum: that would be a valid
         * segment with other bytes, which no TCP can tell. */
        uint32_t how = rnd() % 4;
        size_t tcp_len = (size_t)((f[ETH_HLEN + 2] << 8) | f[ETH_HLEN + 3]) - 20;
        size_t hlen = (size_t)(f[TCP_AT + 12] >> 4) * 4;
        if (how == 0) {
            /* One flip: the Internet checksum always catches a single
             * bit error (two can cancel out, which no TCP can see). */
            size_t at = ETH_HLEN + rnd() % (20 + tcp_len);
            f[at] ^= (uint8_t)(1u << (rnd() % 8));
        } else if (how == 1 || how == 2) {
            for (uint32_t b = rnd() % 3 + 1; b > 0; b--) {
                size_t at = rnd() % hlen;
                if (kind < 6 && (at < 8 || at == 12 || at >= 20))
                    continue; /* ports, seq, data offset, options: kept */
                f[TCP_AT + at] ^= (uint8_t)(1u << (rnd() % 8));
            }
            if (kind >= 6 && rnd() % 2 == 0) {
                size_t at = 20 + rnd() % (hlen > 20 ? hlen - 20 : 1);
                if (at < hlen)
                    f[TCP_AT + at] = (uint8_t)rnd();
            }
            fix_tcp_csum(f, n);
        } else {
            size_t keep = rnd() % (tcp_len + 1);
            n = cut_tcp(f, keep);
            if (rnd() % 2 == 0 && keep >= 18)
                fix_tcp_csum(f, n);
        }
        env_input(k.e, f, n);

        /* What did we say? Our ACKs on the connection tell the peer how
         * far the stream got. */
        struct tp_out a;
        while (tp_try_take(k.e, &a)) {
            if (a.t.dport == TP_PEER_PORT && (a.t.flags & TCP_FLAG_ACK) &&
                !(a.t.flags & TCP_FLAG_RST)) {
                uint32_t off = a.t.ack - k.peer_base;
                if (off <= 10000000u && off > acked)
                    acked = off;
            }
        }
        tp_clear(k.e);
        /* The stream so far is exactly the peer's. */
        size_t got = read_check(&k, read_total);
        read_total += (uint32_t)got;
        read_all += got;
        enum tcp_state st = tcp_sock_state(k.c);
        if (st != TCP_ESTABLISHED || iter % 5000 == 4999) {
            /* A mutated RST/FIN ended it (cleanly, we check): start over. */
            if (st == TCP_CLOSED) {
                int err = tcp_sock_error(k.c);
                assert_true(err == 0 || err == ECONNRESET);
                resets++;
            }
            tcp_sock_abort(k.c, k.e->now);
            int err = 0;
            for (int j = 0; j < 64; j++) {
                struct tcp_sock *extra = tcp_sock_accept(k.l, NULL, NULL, &err);
                if (extra == NULL)
                    break;
                tcp_sock_abort(extra, k.e->now);
            }
            env_advance(k.e, 200 * NS_PER_MS);
            tp_clear(k.e);
            struct tcp_options so = tp_linux_syn_options(k.tsval);
            struct tp_out sa;
            uint32_t isn = rnd();
            k.c = tp_accept_conn(k.e, k.l, PORT, isn, &so, &sa);
            k.peer_base = isn + 1;
            k.our_nxt = sa.t.seq + 1;
            k.tsval += 2;
            k.tsecr = sa.t.opt.ts_val;
            read_total = acked = 0;
            reopened++;
            tp_clear(k.e);
        }
        if (iter % 64 == 0)
            env_advance(k.e, 10 * NS_PER_MS);
    }
    /* The stack still serves: valid data goes through. */
    assert_established(&k);
    k.peer_nxt = k.peer_base + acked;
    data(&k, 1000);
    assert_int_equal(read_check(&k, read_total), acked + 1000 - read_total);
    print_message("mutation loop: %zu resets, %zu reopened, %zu bytes read\n", resets, reopened,
                  read_all);
    assert_true(read_all > 100000); /* the loop did move data */
    close_conn(&k);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_bad_data_offset, teardown_env),
        cmocka_unit_test_teardown(test_bad_option_lengths, teardown_env),
        cmocka_unit_test_teardown(test_syn_mss_zero_and_tiny, teardown_env),
        cmocka_unit_test_teardown(test_wscale_above_14_clamped, teardown_env),
        cmocka_unit_test_teardown(test_sack_blocks_outside_window, teardown_env),
        cmocka_unit_test_teardown(test_syn_fin_dropped, teardown_env),
        cmocka_unit_test_teardown(test_null_and_xmas_flags, teardown_env),
        cmocka_unit_test_teardown(test_port_zero_and_land, teardown_env),
        cmocka_unit_test_teardown(test_ack_of_unsent_data, teardown_env),
        cmocka_unit_test_teardown(test_ack_too_old_challenged, teardown_env),
        cmocka_unit_test_teardown(test_syn_on_established_challenge, teardown_env),
        cmocka_unit_test_teardown(test_rst_in_window_challenge_then_exact_resets, teardown_env),
        cmocka_unit_test_teardown(test_challenge_ack_rate_limit, teardown_env),
        cmocka_unit_test_teardown(test_urgent_pointer_past_data, teardown_env),
        cmocka_unit_test_teardown(test_bad_checksum, teardown_env),
        cmocka_unit_test_teardown(test_segment_outside_window, teardown_env),
        cmocka_unit_test_teardown(test_zero_window_still_takes_acks, teardown_env),
        cmocka_unit_test_teardown(test_old_duplicate_data, teardown_env),
        cmocka_unit_test_teardown(test_ooo_range_limit, teardown_env),
        cmocka_unit_test_teardown(test_syncookies_always, teardown_env),
        cmocka_unit_test_teardown(test_syncookies_without_ts_and_expired, teardown_env),
        cmocka_unit_test_teardown(test_syncookies_when_synq_full, teardown_env),
        cmocka_unit_test_teardown(test_mutation_loop, teardown_env),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
