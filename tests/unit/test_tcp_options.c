/* test_tcp_options.c - TCP option negotiation and the per-segment options,
 * against a scripted peer (tests/unit/support/tcp_peer.h): what we offer and
 * what we accept (RFC 9293 3.7.1, RFC 7323, RFC 2018), MSS (RFC 9293 3.7.1,
 * RFC 6691), timestamps and PAWS (RFC 7323 3-5). What window scaling and
 * SACK then drive is in test_tcp_wscale_sack.c. */

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "stack/sock/tcp_impl.h"
#include "tests/unit/support/tcp_peer.h"
#include "tests/unit/support/tcp_options_fixture.h"

/* ---- negotiation ---- */

static void test_our_syn_offers_everything(void **state)
{
    (void)state;
    struct stack_env *e = tov_env_open(NULL);
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
    tov_env_close(e);
}

static void test_synack_without_wscale_no_scaling_either_way(void **state)
{
    (void)state;
    struct conn k;
    struct tcp_options o = tp_linux_syn_options(100);
    o.has_wscale = false;
    struct tp_out sa;
    tov_open_passive(&k, NULL, &o, 1000, &sa);
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
    tov_fill(d, 0, sizeof d);
    tov_peer_data(&k, d, sizeof d, k.our_base);
    env_advance(k.e, 100 * NS_PER_MS);
    struct tp_out a;
    assert_true(tov_take(&k, &a));
    assert_int_equal(a.t.ack, k.peer_nxt);
    tcp_sock_info(k.c, &ci);
    assert_int_equal(a.t.window, ci.rcv_wnd > 65535 ? 65535 : ci.rcv_wnd);
    tov_close_conn(&k);
}

static void test_synack_without_ts_no_ts_later(void **state)
{
    (void)state;
    struct conn k;
    struct tcp_options o = tp_linux_syn_options(100);
    o.has_ts = false;
    struct tp_out sa;
    tov_open_passive(&k, NULL, &o, 1000, &sa);
    assert_false(sa.t.opt.has_ts);
    assert_true(sa.t.opt.has_wscale);
    assert_true(sa.t.opt.sack_permitted);
    tov_send_all(&k, 0, 3000);
    struct tp_out s;
    size_t n = 0;
    while (tov_take(&k, &s)) {
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
    tov_close_conn(&k);
}

static void test_synack_without_sackperm_no_sack_blocks(void **state)
{
    (void)state;
    struct conn k;
    struct tcp_options o = tp_linux_syn_options(100);
    o.sack_permitted = false;
    struct tp_out sa;
    tov_open_passive(&k, NULL, &o, 1000, &sa);
    assert_false(sa.t.opt.sack_permitted);
    assert_true(sa.t.opt.has_ts);
    /* Out-of-order data: a duplicate ACK, but no SACK blocks. */
    uint8_t d[100];
    tov_fill(d, 100, sizeof d);
    tov_peer_seg(&k, TCP_FLAG_ACK, k.peer_nxt + 100, k.our_base, d, sizeof d, NULL, 0);
    struct tp_out a;
    assert_true(tov_take(&k, &a));
    assert_int_equal(a.t.ack, k.peer_nxt);
    assert_int_equal(a.t.opt.n_sack, 0);
    assert_true(a.t.opt.has_ts);
    tov_close_conn(&k);
}

static void test_active_open_peer_without_options(void **state)
{
    (void)state;
    struct stack_env *e = tov_env_open(NULL);
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
    tov_env_close(e);
}

/* RFC 7323 2.2: the window of a SYN-ACK is not scaled; the next one is. */
static void test_active_open_synack_window_unscaled(void **state)
{
    (void)state;
    struct stack_env *e = tov_env_open(NULL);
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
    tov_env_close(e);
}

/* ---- MSS (RFC 9293 3.7.1, RFC 6691) ---- */

/* Send `total` bytes and check every segment against the effective MSS. */
static void check_segment_sizes(struct conn *k, uint32_t total, uint32_t max_payload)
{
    uint8_t buf[8000];
    assert_true(total <= sizeof buf);
    tov_fill(buf, 0, total);
    k->win = 65535;
    tov_peer_ack(k, k->our_base, NULL, 0);
    tov_drain(k);
    assert_int_equal(tcp_sock_send(k->c, buf, total, k->e->now), (long)total);
    uint32_t got = 0, biggest = 0;
    for (int iter = 0; iter < 200 && got < total; iter++) {
        struct tp_out s;
        while (tov_take(k, &s)) {
            if (s.t.payload_len == 0)
                continue;
            assert_true(s.t.payload_len <= max_payload);
            if (s.t.payload_len > biggest)
                biggest = (uint32_t)s.t.payload_len;
            assert_int_equal(s.t.seq, k->our_base + got);
            got += (uint32_t)s.t.payload_len;
            tov_peer_ack(k, k->our_base + got, NULL, 0);
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
    tov_open_passive(&k, NULL, &o, 1000, NULL);
    struct tcp_conn_info ci;
    tcp_sock_info(k.c, &ci);
    assert_int_equal(ci.mss, 536 - 12);
    check_segment_sizes(&k, 3000, 536 - 12);
    tov_close_conn(&k);

    /* Without timestamps the whole 536 is payload. */
    o.has_ts = false;
    tov_open_passive(&k, NULL, &o, 1000, NULL);
    tcp_sock_info(k.c, &ci);
    assert_int_equal(ci.mss, 536);
    check_segment_sizes(&k, 3000, 536);
    tov_close_conn(&k);

    /* No MSS option at all: 536 too. */
    o.has_mss = false;
    tov_open_passive(&k, NULL, &o, 1000, NULL);
    tcp_sock_info(k.c, &ci);
    assert_int_equal(ci.mss, 536);
    tov_close_conn(&k);
}

static void test_tiny_mss_raised_to_floor(void **state)
{
    (void)state;
    struct conn k;
    struct tcp_options o = tp_linux_syn_options(100);
    o.mss = 1;
    tov_open_passive(&k, NULL, &o, 1000, NULL);
    struct tcp_conn_info ci;
    tcp_sock_info(k.c, &ci);
    /* RFC 6691: the MSS counts options, so with TS the payload is
     * TCP_MIN_MSS - 12. */
    assert_int_equal(ci.mss, TCP_MIN_MSS - TCP_TS_OPTLEN);
    check_segment_sizes(&k, 2000, TCP_MIN_MSS - TCP_TS_OPTLEN);
    tov_close_conn(&k);
}

static void test_ts_reduces_payload_by_12(void **state)
{
    (void)state;
    struct conn k;
    struct tcp_options o = tp_linux_syn_options(100);
    o.mss = 1000;
    tov_open_passive(&k, NULL, &o, 1000, NULL);
    check_segment_sizes(&k, 7000, 1000 - 12);
    tov_close_conn(&k);
    /* Peer MSS above our MTU: our MTU limits. */
    o.mss = 9000;
    tov_open_passive(&k, NULL, &o, 1000, NULL);
    check_segment_sizes(&k, 7000, ENV_MTU - 40 - 12);
    tov_close_conn(&k);
}

/* ---- timestamps (RFC 7323 3, 4, 5) ---- */

static void test_tsval_follows_clock_ms(void **state)
{
    (void)state;
    struct conn k;
    struct tcp_options o = tp_linux_syn_options(100);
    struct tp_out sa;
    tov_open_passive(&k, NULL, &o, 1000, &sa);
    tov_send_all(&k, 0, 100);
    struct tp_out s1, s2;
    assert_true(tov_take(&k, &s1));
    assert_int_equal(s1.t.payload_len, 100);
    assert_true(s1.t.opt.has_ts);
    tov_peer_ack(&k, k.our_base + 100, NULL, 0);
    env_advance(k.e, 250 * NS_PER_MS);
    tov_drain(&k);
    tov_send_all(&k, 100, 100);
    assert_true(tov_take(&k, &s2));
    assert_int_equal(s2.t.payload_len, 100);
    assert_int_equal(s2.t.opt.ts_val - s1.t.opt.ts_val, 250);
    /* And the SYN-ACK's is on the same clock. */
    assert_int_equal(s1.t.opt.ts_val - sa.t.opt.ts_val, 0);
    tov_close_conn(&k);
}

static void test_tsecr_echoes_ts_recent(void **state)
{
    (void)state;
    struct conn k;
    struct tcp_options o = tp_linux_syn_options(100);
    tov_open_passive(&k, NULL, &o, 1000, NULL);
    uint8_t d[100];
    tov_fill(d, 0, sizeof d);
    k.tsval = 7777;
    tov_peer_data(&k, d, sizeof d, k.our_base);
    env_advance(k.e, 100 * NS_PER_MS);
    struct tp_out a;
    assert_true(tov_take(&k, &a));
    assert_int_equal(a.t.ack, k.peer_nxt);
    assert_int_equal(a.t.opt.ts_ecr, 7777);
    /* RFC 7323 4.3: an out-of-order segment (above Last.ACK.sent) does not
     * update TS.Recent; the duplicate ACK still echoes 7777. */
    k.tsval = 8888;
    tov_peer_seg(&k, TCP_FLAG_ACK, k.peer_nxt + 500, k.our_base, d, sizeof d, NULL, 0);
    assert_true(tov_take(&k, &a));
    assert_int_equal(a.t.ack, k.peer_nxt);
    assert_int_equal(a.t.opt.ts_ecr, 7777);
    /* The in-order one that fills the hole does. */
    k.tsval = 9999;
    uint8_t hole[500];
    tov_fill(hole, 100, sizeof hole);
    tov_peer_data(&k, hole, sizeof hole, k.our_base);
    assert_true(tov_take(&k, &a));
    assert_int_equal(a.t.ack, k.peer_nxt + 100);
    assert_int_equal(a.t.opt.ts_ecr, 9999);
    tov_close_conn(&k);
}

static void test_paws_drops_old_tsval(void **state)
{
    (void)state;
    struct conn k;
    struct tcp_options o = tp_linux_syn_options(100);
    tov_open_passive(&k, NULL, &o, 1000, NULL);
    uint8_t d[100];
    tov_fill(d, 0, sizeof d);
    k.tsval = 5000;
    tov_peer_data(&k, d, sizeof d, k.our_base);
    tov_drain(&k);
    uint64_t paws = env_ctr(k.e, CTR_TCP_RX_DROP_PAWS);
    k.tsval = 4000; /* older than TS.Recent */
    tov_fill(d, 100, sizeof d);
    tov_peer_seg(&k, TCP_FLAG_ACK | TCP_FLAG_PSH, k.peer_nxt, k.our_base, d, sizeof d, NULL, 0);
    assert_int_equal(env_ctr(k.e, CTR_TCP_RX_DROP_PAWS), paws + 1);
    struct tp_out a;
    assert_true(tov_take(&k, &a));
    assert_true(a.t.flags & TCP_FLAG_ACK);
    assert_int_equal(a.t.ack, k.peer_nxt); /* the 100 new bytes not taken */
    assert_int_equal(a.t.opt.ts_ecr, 5000);
    assert_int_equal(tcp_sock_readable(k.c), 100);
    tov_close_conn(&k);
}

/* Issue 12 item 7, RFC 7323 3.2: a RST of a connection that agreed on
 * timestamps carries TSopt (TSval our clock, TSecr TS.Recent), as Linux's
 * active resets do: from an abort, and from unread data at close. */
static void test_rst_carries_timestamps(void **state)
{
    (void)state;
    for (int how = 0; how < 2; how++) {
        struct conn k;
        struct tcp_options o = tp_linux_syn_options(100);
        tov_open_passive(&k, NULL, &o, 1000, NULL);
        uint8_t d[100];
        tov_fill(d, 0, sizeof d);
        k.tsval = 4242;
        tov_peer_data(&k, d, sizeof d, k.our_base);
        tov_drain(&k);
        env_advance(k.e, 30 * NS_PER_MS);
        uint32_t want_val = (uint32_t)(k.e->now / NS_PER_MS) + k.c->ts_offset;
        if (how == 0) {
            tcp_sock_abort(k.c, k.e->now);
        } else {
            tcp_sock_close(k.c, k.e->now); /* 100 bytes unread: RST */
        }
        k.c = NULL;
        struct tp_out r;
        assert_true(tov_take(&k, &r));
        assert_true(r.t.flags & TCP_FLAG_RST);
        assert_true(r.t.opt.has_ts);
        assert_int_equal(r.t.opt.ts_ecr, 4242);
        assert_int_equal(r.t.opt.ts_val, want_val);
        tov_close_conn(&k);
    }
}

/* Without timestamps agreed, a RST has no options at all. */
static void test_rst_without_timestamps_bare(void **state)
{
    (void)state;
    struct conn k;
    struct tcp_options o = {.has_mss = true, .mss = 1460};
    tov_open_passive(&k, NULL, &o, 1000, NULL);
    tcp_sock_abort(k.c, k.e->now);
    k.c = NULL;
    struct tp_out r;
    assert_true(tov_take(&k, &r));
    assert_true(r.t.flags & TCP_FLAG_RST);
    assert_false(r.t.opt.has_ts);
    assert_int_equal(r.t.data_off, TCP_HLEN);
    tov_close_conn(&k);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_our_syn_offers_everything, tov_teardown_env),
        cmocka_unit_test_teardown(test_synack_without_wscale_no_scaling_either_way, tov_teardown_env),
        cmocka_unit_test_teardown(test_synack_without_ts_no_ts_later, tov_teardown_env),
        cmocka_unit_test_teardown(test_synack_without_sackperm_no_sack_blocks, tov_teardown_env),
        cmocka_unit_test_teardown(test_active_open_peer_without_options, tov_teardown_env),
        cmocka_unit_test_teardown(test_active_open_synack_window_unscaled, tov_teardown_env),
        cmocka_unit_test_teardown(test_mss_zero_means_536, tov_teardown_env),
        cmocka_unit_test_teardown(test_tiny_mss_raised_to_floor, tov_teardown_env),
        cmocka_unit_test_teardown(test_ts_reduces_payload_by_12, tov_teardown_env),
        cmocka_unit_test_teardown(test_tsval_follows_clock_ms, tov_teardown_env),
        cmocka_unit_test_teardown(test_tsecr_echoes_ts_recent, tov_teardown_env),
        cmocka_unit_test_teardown(test_paws_drops_old_tsval, tov_teardown_env),
        cmocka_unit_test_teardown(test_rst_carries_timestamps, tov_teardown_env),
        cmocka_unit_test_teardown(test_rst_without_timestamps_bare, tov_teardown_env),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
