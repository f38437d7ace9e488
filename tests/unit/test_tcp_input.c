/* test_tcp_input.c - broken TCP input: malformed headers and options,
 * impossible flag combinations and addresses, bad checksums, out-of-window
 * and duplicate data, and the out-of-order queue limit. Each case shows a
 * counted drop or the RFC's answer. Deliberate attacks (RFC 5961, SYN
 * floods, mutation) are in test_tcp_security.c. */

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
#include "tests/unit/support/tcp_input_fixture.h"

static size_t conn_frame(struct conn *k, uint8_t *f, size_t cap, uint8_t flags,
                         const struct tcp_options *o, const void *payload, size_t len)
{
    return tp_frame(f, cap, &(struct tp_seg){.dport = PORT, .seq = k->peer_nxt,
                                             .ack = k->our_nxt, .flags = flags, .window = 502,
                                             .opt = o, .payload = payload, .len = len});
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
    tin_open_conn(&k, NULL);
    uint8_t f[FRAME_MAX], d[5] = {1, 2, 3, 4, 5};
    uint64_t bad = env_ctr(k.e, CTR_TCP_RX_DROP_BAD_HEADER);
    const uint8_t offsets[] = {0, 1, 4, 7, 15}; /* < 5 words, or past the 25 bytes */
    for (size_t i = 0; i < sizeof offsets; i++) {
        size_t n = conn_frame(&k, f, sizeof f, TCP_FLAG_ACK | TCP_FLAG_PSH, NULL, d, sizeof d);
        f[TCP_AT + 12] = (uint8_t)(offsets[i] << 4);
        tin_fix_tcp_csum(f, n);
        env_input(k.e, f, n);
    }
    assert_int_equal(env_ctr(k.e, CTR_TCP_RX_DROP_BAD_HEADER), bad + sizeof offsets);
    assert_int_equal(tcp_sock_readable(k.c), 0);
    assert_int_equal(tin_drain(k.e), 0);
    tin_assert_established(&k);
    /* A segment shorter than the fixed header. */
    size_t n = conn_frame(&k, f, sizeof f, TCP_FLAG_ACK, NULL, NULL, 0);
    n = tin_cut_tcp(f, 12);
    uint64_t trunc = env_ctr(k.e, CTR_TCP_RX_DROP_TRUNCATED);
    env_input(k.e, f, n);
    assert_int_equal(env_ctr(k.e, CTR_TCP_RX_DROP_TRUNCATED), trunc + 1);
    /* The connection still works. */
    tin_data(&k, 10);
    assert_int_equal(tin_read_check(&k, 0), 10);
    tin_close_conn(&k);
}

static void test_bad_option_lengths(void **state)
{
    (void)state;
    struct conn k;
    tin_open_conn(&k, NULL);
    uint8_t f[FRAME_MAX], d[5] = {1, 2, 3, 4, 5};
    struct tcp_options o = tin_ts_opt(&k); /* NOP NOP TS: 12 bytes of options */
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
        tin_fix_tcp_csum(f, n);
        env_input(k.e, f, n);
    }
    assert_int_equal(env_ctr(k.e, CTR_TCP_RX_DROP_BAD_HEADER), bad + cases);
    assert_int_equal(tcp_sock_readable(k.c), 0);
    assert_int_equal(tin_drain(k.e), 0);
    /* A bad option in a SYN to the listener: no SYN-ACK, no child. */
    struct tcp_options so = {.has_mss = true, .mss = 1460};
    size_t n = tp_frame(f, sizeof f, &(struct tp_seg){.dport = PORT, .sport = 41000,
                                                      .seq = 5, .flags = TCP_FLAG_SYN,
                                                      .opt = &so});
    f[TCP_AT + 21] = 0; /* MSS length 0 */
    tin_fix_tcp_csum(f, n);
    env_input(k.e, f, n);
    assert_int_equal(env_ctr(k.e, CTR_TCP_RX_DROP_BAD_HEADER), bad + cases + 1);
    assert_int_equal(tin_drain(k.e), 0);
    assert_int_equal(stack_tcp_list(k.e->s, NULL, 0), 2);
    tin_assert_established(&k);
    tin_close_conn(&k);
}

static void test_syn_mss_zero_and_tiny(void **state)
{
    (void)state;
    struct stack_env *e = tin_env_open(NULL);
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
    tin_env_close(e);
}

static void test_wscale_above_14_clamped(void **state)
{
    (void)state;
    const uint8_t shifts[] = {15, 16, 100, 255};
    for (size_t i = 0; i < sizeof shifts; i++) {
        struct stack_env *e = tin_env_open(NULL);
        struct tcp_sock *l = tp_listen(e, PORT, 8);
        /* NOP WS(3) shift: the encoder clamps, so the byte is rewritten. */
        struct tcp_options o = {.has_wscale = true, .wscale = 14};
        uint8_t f[FRAME_MAX];
        size_t n = tp_frame(f, sizeof f, &(struct tp_seg){.dport = PORT, .seq = 1000,
                                                          .flags = TCP_FLAG_SYN, .opt = &o});
        assert_int_equal(f[TCP_AT + 21], TCP_OPT_WSCALE);
        f[TCP_AT + 23] = shifts[i];
        tin_fix_tcp_csum(f, n);
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
        tin_env_close(e);
    }
}

static void test_sack_blocks_outside_window(void **state)
{
    (void)state;
    struct conn k;
    tin_open_conn(&k, NULL);
    uint8_t buf[3000];
    tin_fill(buf, 0, sizeof buf);
    assert_int_equal(tcp_sock_send(k.c, buf, sizeof buf, k.e->now), 3000);
    tin_drain(k.e);
    uint64_t bad = env_ctr(k.e, CTR_TCP_RX_SACK_BAD_BLOCKS);
    struct tcp_options o = tin_ts_opt(&k);
    o.n_sack = 3;
    o.sack[0] = (struct tcp_sack_block){k.our_nxt + 3000, k.our_nxt + 4000};
    o.sack[1] = (struct tcp_sack_block){k.our_nxt - 100000, k.our_nxt - 99000};
    o.sack[2] = (struct tcp_sack_block){k.our_nxt + 0x80000000u, k.our_nxt + 0x80001000u};
    tp_send(k.e, &(struct tp_seg){.dport = PORT, .seq = k.peer_nxt, .ack = k.our_nxt,
                                  .flags = TCP_FLAG_ACK, .window = 502, .opt = &o});
    assert_int_equal(env_ctr(k.e, CTR_TCP_RX_SACK_BAD_BLOCKS), bad + 3);
    assert_int_equal(tin_drain(k.e), 0);
    tin_assert_established(&k);
    tin_close_conn(&k);
}

/* ---- flags ---- */

static void test_syn_fin_dropped(void **state)
{
    (void)state;
    struct conn k;
    tin_open_conn(&k, NULL);
    /* To the listener, from a new port: no SYN-ACK, no child. */
    uint64_t bad = env_ctr(k.e, CTR_TCP_RX_DROP_BAD_FLAGS);
    tp_send(k.e, &(struct tp_seg){.dport = PORT, .sport = 41000, .seq = 77,
                                  .flags = TCP_FLAG_SYN | TCP_FLAG_FIN});
    assert_int_equal(env_ctr(k.e, CTR_TCP_RX_DROP_BAD_FLAGS), bad + 1);
    assert_int_equal(tin_drain(k.e), 0);
    assert_int_equal(stack_tcp_list(k.e->s, NULL, 0), 2);
    /* To the established connection, in window: RFC 5961 4.2 (and
     * Linux's tcp_validate_incoming) treat any SYN there alike, SYN+FIN
     * included: a challenge ACK, and neither the SYN nor the FIN acts. */
    uint64_t ch = env_ctr(k.e, CTR_TCP_TX_CHALLENGE_ACKS);
    tin_seg(&k, TCP_FLAG_SYN | TCP_FLAG_FIN, k.peer_nxt, 0, NULL, 0);
    assert_int_equal(env_ctr(k.e, CTR_TCP_TX_CHALLENGE_ACKS), ch + 1);
    struct tp_out a;
    tp_take(k.e, &a);
    assert_int_equal(a.t.flags, TCP_FLAG_ACK);
    assert_int_equal(a.t.ack, k.peer_nxt);
    tin_assert_established(&k);
    assert_int_equal(tcp_sock_readable(k.c), 0);
    tin_drain(k.e);
    tin_data(&k, 10);
    assert_int_equal(tin_read_check(&k, 0), 10);
    tin_close_conn(&k);
}

static void test_null_and_xmas_flags(void **state)
{
    (void)state;
    struct conn k;
    tin_open_conn(&k, NULL);
    const uint8_t flagsets[] = {0, TCP_FLAG_FIN | TCP_FLAG_PSH | TCP_FLAG_URG};
    uint8_t d[10];
    tin_fill(d, 0, sizeof d);
    for (size_t i = 0; i < sizeof flagsets; i++) {
        /* Listener: "must have an ACK and thus would be discarded". */
        uint64_t lst = env_ctr(k.e, CTR_TCP_RX_DROP_LISTEN);
        tp_send(k.e, &(struct tp_seg){.dport = PORT, .sport = 41000, .seq = 77,
                                      .flags = flagsets[i], .payload = d, .len = sizeof d});
        assert_int_equal(env_ctr(k.e, CTR_TCP_RX_DROP_LISTEN), lst + 1);
        assert_int_equal(tin_drain(k.e), 0);
        assert_int_equal(stack_tcp_list(k.e->s, NULL, 0), 2);
        /* Established: "if the ACK bit is off drop the segment". */
        uint64_t bad = env_ctr(k.e, CTR_TCP_RX_DROP_BAD_FLAGS);
        tin_seg(&k, flagsets[i], k.peer_nxt, 0, d, sizeof d);
        assert_int_equal(env_ctr(k.e, CTR_TCP_RX_DROP_BAD_FLAGS), bad + 1);
        tin_assert_established(&k); /* the FIN was not taken */
        assert_int_equal(tcp_sock_readable(k.c), 0);
        assert_int_equal(tin_drain(k.e), 0);
    }
    tin_close_conn(&k);
}

/* ---- addresses ---- */

static void test_port_zero_and_land(void **state)
{
    (void)state;
    struct conn k;
    tin_open_conn(&k, NULL);
    uint64_t bad = env_ctr(k.e, CTR_TCP_RX_DROP_BAD_ADDR);
    /* Source port 0 to the listener: tp_seg's 0 means the default, so
     * rewrite the field. */
    uint8_t f[FRAME_MAX];
    size_t n = tp_frame(f, sizeof f, &(struct tp_seg){.dport = PORT, .seq = 5,
                                                      .flags = TCP_FLAG_SYN});
    f[TCP_AT] = f[TCP_AT + 1] = 0;
    tin_fix_tcp_csum(f, n);
    env_input(k.e, f, n);
    /* Destination port 0. */
    n = tp_frame(f, sizeof f, &(struct tp_seg){.dport = PORT, .seq = 5, .flags = TCP_FLAG_SYN});
    f[TCP_AT + 2] = f[TCP_AT + 3] = 0;
    tin_fix_tcp_csum(f, n);
    env_input(k.e, f, n);
    assert_int_equal(env_ctr(k.e, CTR_TCP_RX_DROP_BAD_ADDR), bad + 2);
    assert_int_equal(tin_drain(k.e), 0);
    /* LAND: from our own address and port to itself. IPv4 may refuse our
     * own source first; either way it is counted and unanswered. */
    uint64_t ipsrc = env_ctr(k.e, CTR_IPV4_RX_DROP_BAD_SRC);
    tp_send(k.e, &(struct tp_seg){.src = ENV_IP_US, .dst = ENV_IP_US, .sport = PORT,
                                  .dport = PORT, .seq = 5, .flags = TCP_FLAG_SYN});
    assert_int_equal(env_ctr(k.e, CTR_TCP_RX_DROP_BAD_ADDR) - (bad + 2) +
                         env_ctr(k.e, CTR_IPV4_RX_DROP_BAD_SRC) - ipsrc,
                     1);
    assert_int_equal(tin_drain(k.e), 0);
    assert_int_equal(stack_tcp_list(k.e->s, NULL, 0), 2);
    tin_close_conn(&k);
}

/* ---- data ---- */

static void test_urgent_pointer_past_data(void **state)
{
    (void)state;
    struct conn k;
    tin_open_conn(&k, NULL);
    uint64_t urg = env_ctr(k.e, CTR_TCP_RX_URGENT);
    uint8_t d[10];
    tin_fill(d, 0, sizeof d);
    struct tcp_options o = tin_ts_opt(&k);
    tp_send(k.e, &(struct tp_seg){.dport = PORT, .seq = k.peer_nxt, .ack = k.our_nxt,
                                  .flags = TCP_FLAG_ACK | TCP_FLAG_URG | TCP_FLAG_PSH,
                                  .urg_ptr = 65535, .opt = &o, .payload = d, .len = sizeof d});
    k.peer_nxt += 10;
    assert_int_equal(env_ctr(k.e, CTR_TCP_RX_URGENT), urg + 1);
    assert_int_equal(tin_read_check(&k, 0), 10); /* inline, all of it */
    /* URG with no data and pointer 0. */
    tp_send(k.e, &(struct tp_seg){.dport = PORT, .seq = k.peer_nxt, .ack = k.our_nxt,
                                  .flags = TCP_FLAG_ACK | TCP_FLAG_URG, .opt = &o});
    assert_int_equal(env_ctr(k.e, CTR_TCP_RX_URGENT), urg + 2);
    tin_assert_established(&k);
    tin_close_conn(&k);
}

static void test_bad_checksum(void **state)
{
    (void)state;
    struct conn k;
    tin_open_conn(&k, NULL);
    uint8_t f[FRAME_MAX], d[10];
    tin_fill(d, 0, sizeof d);
    struct tcp_options o = tin_ts_opt(&k);
    size_t n = conn_frame(&k, f, sizeof f, TCP_FLAG_ACK | TCP_FLAG_PSH, &o, d, sizeof d);
    f[n - 1] ^= 0x40;
    uint64_t bad = env_ctr(k.e, CTR_TCP_RX_DROP_BAD_CSUM);
    env_input(k.e, f, n);
    assert_int_equal(env_ctr(k.e, CTR_TCP_RX_DROP_BAD_CSUM), bad + 1);
    assert_int_equal(tcp_sock_readable(k.c), 0);
    assert_int_equal(tin_drain(k.e), 0);
    tin_close_conn(&k);
}

static void test_segment_outside_window(void **state)
{
    (void)state;
    struct conn k;
    tin_open_conn(&k, NULL);
    uint8_t d[100];
    tin_fill(d, 0, sizeof d);
    uint64_t oow = env_ctr(k.e, CTR_TCP_RX_DROP_OUT_OF_WINDOW);
    tin_seg(&k, TCP_FLAG_ACK, k.peer_nxt + 10000000, k.our_nxt, d, sizeof d);
    assert_int_equal(env_ctr(k.e, CTR_TCP_RX_DROP_OUT_OF_WINDOW), oow + 1);
    struct tp_out a;
    tp_take(k.e, &a);
    assert_int_equal(a.t.flags, TCP_FLAG_ACK);
    assert_int_equal(a.t.ack, k.peer_nxt);
    assert_int_equal(tcp_sock_readable(k.c), 0);
    /* Just past the right edge. */
    struct tcp_conn_info ci;
    tcp_sock_info(k.c, &ci);
    tin_seg(&k, TCP_FLAG_ACK, k.peer_nxt + ci.rcv_wnd, k.our_nxt, d, sizeof d);
    assert_int_equal(env_ctr(k.e, CTR_TCP_RX_DROP_OUT_OF_WINDOW), oow + 2);
    tp_take(k.e, &a);
    assert_int_equal(a.t.ack, k.peer_nxt);
    tin_assert_established(&k);
    tin_close_conn(&k);
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
    k.e = tin_env_open(NULL);
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
        tin_data(&k, 1024);
    assert_int_equal(tcp_sock_readable(k.c), 4096);
    tin_drain(k.e);
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
    uint8_t one = tin_pat(4096);
    tin_seg(&k, TCP_FLAG_ACK, k.peer_nxt, k.our_nxt + 100, &one, 1);
    struct tp_out a;
    tp_take(k.e, &a);
    assert_int_equal(a.t.ack, k.peer_nxt); /* the byte is not taken */
    assert_int_equal(a.t.window, 0);
    tcp_sock_info(k.c, &ci);
    assert_int_equal(ci.send_queue, 0);    /* but the ACK was */
    tin_assert_established(&k);
    tin_close_conn(&k);
}

static void test_old_duplicate_data(void **state)
{
    (void)state;
    struct conn k;
    tin_open_conn(&k, NULL);
    tin_data(&k, 100);
    tin_data(&k, 100);
    tin_drain(k.e);
    uint64_t dup = env_ctr(k.e, CTR_TCP_RX_DUP_DATA);
    uint8_t d[100];
    tin_fill(d, 0, sizeof d);
    tin_seg(&k, TCP_FLAG_ACK, k.peer_base, k.our_nxt, d, sizeof d);
    assert_int_equal(env_ctr(k.e, CTR_TCP_RX_DUP_DATA), dup + 1);
    struct tp_out a;
    tp_take(k.e, &a);
    assert_int_equal(a.t.ack, k.peer_nxt);
    assert_int_equal(tin_read_check(&k, 0), 200);
    tin_close_conn(&k);
}

static void test_ooo_range_limit(void **state)
{
    (void)state;
    struct conn k;
    tin_open_conn(&k, tweak_two_ranges);
    uint32_t r = k.peer_nxt;
    uint8_t d[100];
    /* Holes at [0,100), [200,300), [400,500): ranges [100,200), [300,400)
     * fit; [500,600) would be a third range. */
    const uint32_t first[] = {100, 300};
    for (size_t i = 0; i < 2; i++) {
        tin_fill(d, first[i], sizeof d);
        tin_seg(&k, TCP_FLAG_ACK, r + first[i], k.our_nxt, d, sizeof d);
    }
    uint64_t full = env_ctr(k.e, CTR_TCP_RX_DROP_OOO_FULL);
    tin_fill(d, 500, sizeof d);
    tin_seg(&k, TCP_FLAG_ACK, r + 500, k.our_nxt, d, sizeof d);
    assert_int_equal(env_ctr(k.e, CTR_TCP_RX_DROP_OOO_FULL), full + 1);
    /* Growing an existing range needs no new one. */
    tin_fill(d, 400, sizeof d);
    tin_seg(&k, TCP_FLAG_ACK, r + 400, k.our_nxt, d, sizeof d);
    assert_int_equal(env_ctr(k.e, CTR_TCP_RX_DROP_OOO_FULL), full + 1);
    /* Fill the holes, resend the dropped one: 600 bytes, all correct. */
    const uint32_t rest[] = {0, 200, 500};
    for (size_t i = 0; i < 3; i++) {
        tin_fill(d, rest[i], sizeof d);
        tin_seg(&k, TCP_FLAG_ACK, r + rest[i], k.our_nxt, d, sizeof d);
    }
    env_advance(k.e, 100 * NS_PER_MS);
    struct tp_out a;
    uint32_t last = 0;
    while (tp_try_take(k.e, &a))
        last = a.t.ack;
    assert_int_equal(last, r + 600);
    assert_int_equal(tin_read_check(&k, 0), 600);
    tin_close_conn(&k);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_bad_data_offset, tin_teardown_env),
        cmocka_unit_test_teardown(test_bad_option_lengths, tin_teardown_env),
        cmocka_unit_test_teardown(test_syn_mss_zero_and_tiny, tin_teardown_env),
        cmocka_unit_test_teardown(test_wscale_above_14_clamped, tin_teardown_env),
        cmocka_unit_test_teardown(test_sack_blocks_outside_window, tin_teardown_env),
        cmocka_unit_test_teardown(test_syn_fin_dropped, tin_teardown_env),
        cmocka_unit_test_teardown(test_null_and_xmas_flags, tin_teardown_env),
        cmocka_unit_test_teardown(test_port_zero_and_land, tin_teardown_env),
        cmocka_unit_test_teardown(test_urgent_pointer_past_data, tin_teardown_env),
        cmocka_unit_test_teardown(test_bad_checksum, tin_teardown_env),
        cmocka_unit_test_teardown(test_segment_outside_window, tin_teardown_env),
        cmocka_unit_test_teardown(test_zero_window_still_takes_acks, tin_teardown_env),
        cmocka_unit_test_teardown(test_old_duplicate_data, tin_teardown_env),
        cmocka_unit_test_teardown(test_ooo_range_limit, tin_teardown_env),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
