/* test_tcp_timers.c - the TCP timers and the errors a socket reports,
 * against a scripted peer: Linux's errno semantics (ECONNREFUSED, ECONNRESET,
 * EPIPE, ETIMEDOUT, RST on close with unread data), the retransmission timer
 * (RFC 6298), delayed ACKs (RFC 1122 4.2.3.2), Nagle (RFC 1122 4.2.3.4),
 * zero-window probes (RFC 9293 3.8.6.1) and keepalive (RFC 1122 4.2.3.6).
 * Every test asserts the exact segments on the wire, on a fake clock.
 * The state diagram itself is in test_tcp_state.c. */

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "tests/unit/support/tcp_peer.h"
#include "tests/unit/support/tcp_state_fixture.h"

static const struct tcp_options mss_sack = {.has_mss = true, .mss = 1460,
                                            .sack_permitted = true};

/* ---- errno semantics (Linux) ---- */

static void test_connect_closed_port_refused(void **state)
{
    (void)state;
    struct stack_env *e = tst_new_env(NULL);
    struct tcp_sock *c = tcp_sock_open(e->s, NULL, NULL);
    struct ip_endpoint to = env_ep(ENV_IP_PEER, TP_PEER_PORT);
    assert_int_equal(tcp_sock_connect(c, &to, e->now), -EINPROGRESS);
    struct tp_out syn;
    tp_take(e, &syn);
    /* What a CLOSED port answers (RFC 9293 3.10.7.1). */
    tp_send(e, &(struct tp_seg){.dport = syn.t.sport, .seq = 0, .ack = syn.t.seq + 1,
                                .flags = RST | ACK});
    char buf[4];
    assert_int_equal(tcp_sock_recv(c, buf, sizeof buf, e->now), -ECONNREFUSED);
    assert_int_equal(tcp_sock_error(c), 0); /* reported once */
    assert_int_equal(tcp_sock_state(c), TCP_CLOSED);
    assert_int_equal(env_ctr(e, CTR_TCP_ATTEMPT_FAILS), 1);
    tst_expect_none(e);
    tst_end_env(e);
}

static void test_send_after_peer_rst(void **state)
{
    (void)state;
    struct conn k;
    tst_open_active(&k, NULL, NULL);
    tst_peer(&k, k.rcv, 0, RST, NULL, 0);
    assert_int_equal(tcp_sock_send(k.c, "x", 1, k.e->now), -ECONNRESET);
    assert_int_equal(tcp_sock_send(k.c, "x", 1, k.e->now), -EPIPE);
    assert_int_equal(tcp_sock_send(k.c, "x", 1, k.e->now), -EPIPE);
    tst_expect_none(k.e);
    tst_end_env(k.e);
}

static void test_send_after_shutdown(void **state)
{
    (void)state;
    struct conn k;
    tst_open_active(&k, NULL, NULL);
    assert_int_equal(tcp_sock_shutdown(k.c, 1, k.e->now), 0);
    tst_expect_seg(k.e, NULL, FIN | ACK, k.snd, k.rcv, 0);
    assert_int_equal(tcp_sock_send(k.c, "x", 1, k.e->now), -EPIPE);
    tst_expect_none(k.e);
    tst_end_env(k.e);
}

static void test_recv_zero_at_eof(void **state)
{
    (void)state;
    struct conn k;
    tst_open_active(&k, NULL, NULL);
    tst_peer(&k, k.rcv, k.snd, ACK | PSH | FIN, "ab", 2);
    /* Data and FIN acknowledged within the delayed-ACK time. */
    env_advance(k.e, k.e->cfg.tcp.delack_ns);
    tst_expect_seg(k.e, NULL, ACK, k.snd, k.rcv + 3, 0);
    char buf[8];
    assert_int_equal(tcp_sock_recv(k.c, buf, sizeof buf, k.e->now), 2);
    assert_memory_equal(buf, "ab", 2);
    assert_int_equal(tcp_sock_recv(k.c, buf, sizeof buf, k.e->now), 0);
    assert_int_equal(tcp_sock_recv(k.c, buf, sizeof buf, k.e->now), 0);
    assert_int_equal(tcp_sock_state(k.c), TCP_CLOSE_WAIT);
    tst_end_env(k.e);
}

/* Unanswered SYNs: syn_retries retransmissions at rto_initial * 1, 2, 4,
 * 8, 16, 32 s (RFC 6298 5.5), then ETIMEDOUT one doubled RTO later. */
static void test_syn_timeout(void **state)
{
    (void)state;
    struct stack_env *e = tst_new_env(NULL);
    assert_int_equal(e->cfg.tcp.rto_initial_ns, SEC);
    assert_int_equal(e->cfg.tcp.syn_retries, 6);
    struct tcp_sock *c = tcp_sock_open(e->s, NULL, NULL);
    struct ip_endpoint to = env_ep(ENV_IP_PEER, TP_PEER_PORT);
    assert_int_equal(tcp_sock_connect(c, &to, e->now), -EINPROGRESS);
    struct tp_out syn;
    tp_take(e, &syn);
    uint64_t rto = e->cfg.tcp.rto_initial_ns;
    for (int i = 0; i < 6; i++) {
        tst_advance_exactly(e, rto);
        tst_expect_seg(e, NULL, SYN, syn.t.seq, 0, 0);
        tst_expect_none(e);
        assert_int_equal(tcp_sock_state(c), TCP_SYN_SENT);
        rto *= 2;
    }
    assert_int_equal(env_ctr(e, CTR_TCP_RETRANS_SEGS), 6);
    env_advance(e, rto - 1);
    assert_int_equal(tcp_sock_state(c), TCP_SYN_SENT);
    env_advance(e, 1);
    assert_int_equal(tcp_sock_state(c), TCP_CLOSED);
    assert_int_equal(tcp_sock_error(c), ETIMEDOUT);
    tst_expect_none(e); /* nothing to reset: the peer never answered */
    assert_int_equal(env_ctr(e, CTR_TCP_CONN_TIMEOUTS), 1);
    tst_end_env(e);
}

static void tweak_retries2_3(struct stack_config *cfg, struct netif_config *ncfg)
{
    (void)ncfg;
    cfg->tcp.retries2 = 3;
}

/* Data never acked: retries2 retransmissions (RTO 200 ms doubling), then
 * ETIMEDOUT at the next expiry. */
static void test_data_timeout(void **state)
{
    (void)state;
    struct conn k;
    tst_open_active(&k, tweak_retries2_3, NULL);
    assert_int_equal(tcp_sock_send(k.c, "x", 1, k.e->now), 1);
    tst_expect_seg(k.e, NULL, ACK | PSH, k.snd, k.rcv, 1);
    uint64_t rto = 200 * MS; /* RTT sample ~0: RTO = rto_min */
    for (int i = 0; i < 3; i++) {
        tst_advance_exactly(k.e, rto);
        tst_expect_seg(k.e, NULL, ACK | PSH, k.snd, k.rcv, 1);
        tst_expect_none(k.e);
        rto *= 2;
    }
    env_advance(k.e, rto - 1);
    assert_int_equal(tcp_sock_state(k.c), TCP_ESTABLISHED);
    env_advance(k.e, 1);
    assert_int_equal(tcp_sock_state(k.c), TCP_CLOSED);
    assert_int_equal(tcp_sock_send(k.c, "y", 1, k.e->now), -ETIMEDOUT);
    assert_int_equal(env_ctr(k.e, CTR_TCP_RETRANS_SEGS), 3);
    /* The stack may say goodbye with a RST at the snd.nxt it reached. */
    struct tp_out r;
    if (tp_try_take(k.e, &r)) {
        assert_int_equal(r.t.flags, RST | ACK);
        assert_int_equal(r.t.seq, k.snd + 1);
    }
    tst_expect_none(k.e);
    tst_end_env(k.e);
}

/* RFC 2525 2.17: close() with unread data resets instead of FIN. */
static void test_close_with_unread_data_sends_rst(void **state)
{
    (void)state;
    struct conn k;
    tst_open_active(&k, NULL, NULL);
    assert_int_equal(tcp_sock_setopt(k.c, TCP_OPT_QUICKACK, 0), 0);
    tst_peer(&k, k.rcv, k.snd, ACK | PSH, "abc", 3);
    tst_expect_none(k.e); /* delayed ACK pending */
    tcp_sock_close(k.c, k.e->now);
    tst_expect_seg(k.e, NULL, RST | ACK, k.snd, k.rcv + 3, 0);
    tst_expect_none(k.e);
    env_advance(k.e, SEC);
    tst_expect_none(k.e); /* and no delayed ACK after it */
    tst_end_env(k.e);
}

/* ---- retransmission timer (RFC 6298) ---- */

static void tweak_cookies_always(struct stack_config *cfg, struct netif_config *ncfg)
{
    (void)ncfg;
    cfg->tcp.syncookies = 2;
}

/* No RTT sample yet (a SYN-cookie connection measured nothing): the first
 * retransmission comes after rto_initial (RFC 6298 2.1). */
static void test_rto_initial_without_sample(void **state)
{
    (void)state;
    struct stack_env *e = tst_new_env(tweak_cookies_always);
    struct tcp_sock *l = tp_listen(e, LISTEN_PORT, 8);
    struct tp_out sa;
    tst_peer_syn(e, TP_PEER_PORT, PEER_ISN, &sa);
    assert_int_equal(env_ctr(e, CTR_TCP_SYNCOOKIES_SENT), 1);
    env_advance(e, 300 * MS);
    tst_peer_third_ack(e, TP_PEER_PORT, PEER_ISN, &sa);
    int err = 0;
    struct conn k = {.e = e, .port = LISTEN_PORT, .peer_port = TP_PEER_PORT,
                     .snd = sa.t.seq + 1, .rcv = PEER_ISN + 1};
    k.c = tcp_sock_accept(l, NULL, NULL, &err);
    assert_non_null(k.c);
    assert_int_equal(tcp_sock_send(k.c, "x", 1, e->now), 1);
    tst_expect_seg(e, NULL, ACK | PSH, k.snd, k.rcv, 1);
    tst_advance_exactly(e, e->cfg.tcp.rto_initial_ns);
    tst_expect_seg(e, NULL, ACK | PSH, k.snd, k.rcv, 1);
    tst_end_env(e);
}

/* An active open whose SYN-ACK comes rtt after the SYN. */
static void open_active_rtt(struct conn *k, env_tweak_fn tweak, uint64_t rtt)
{
    k->e = tst_new_env(tweak);
    k->c = tcp_sock_open(k->e->s, NULL, NULL);
    struct ip_endpoint to = env_ep(ENV_IP_PEER, TP_PEER_PORT);
    assert_int_equal(tcp_sock_connect(k->c, &to, k->e->now), -EINPROGRESS);
    struct tp_out syn;
    tp_take(k->e, &syn);
    k->port = syn.t.sport;
    k->peer_port = TP_PEER_PORT;
    k->snd = syn.t.seq + 1;
    k->rcv = PEER_ISN + 1;
    env_advance(k->e, rtt);
    tp_send(k->e, &(struct tp_seg){.dport = k->port, .seq = PEER_ISN, .ack = k->snd,
                                   .flags = SYN | ACK, .opt = &tst_mss_only});
    assert_int_equal(tcp_sock_state(k->c), TCP_ESTABLISHED);
    tst_expect_seg(k->e, NULL, ACK, k->snd, k->rcv, 0);
}

/* One sample R = 100 ms: SRTT = R, RTTVAR = R/2, RTO = SRTT + 4*RTTVAR
 * = 300 ms (RFC 6298 2.2). */
static void test_rto_after_sample(void **state)
{
    (void)state;
    struct conn k;
    open_active_rtt(&k, NULL, 100 * MS);
    assert_int_equal(tcp_sock_send(k.c, "x", 1, k.e->now), 1);
    tst_expect_seg(k.e, NULL, ACK | PSH, k.snd, k.rcv, 1);
    tst_advance_exactly(k.e, 300 * MS);
    tst_expect_seg(k.e, NULL, ACK | PSH, k.snd, k.rcv, 1);
    tst_end_env(k.e);
}

/* A second sample R' = 100 ms after R = 100 ms (RFC 6298 2.3): RTTVAR =
 * 3/4 * 50 + 1/4 * 0 = 37.5 ms, SRTT = 100 ms, RTO = 250 ms. */
static void test_rto_second_sample(void **state)
{
    (void)state;
    struct conn k;
    open_active_rtt(&k, NULL, 100 * MS);
    assert_int_equal(tcp_sock_send(k.c, "x", 1, k.e->now), 1);
    tst_expect_seg(k.e, NULL, ACK | PSH, k.snd, k.rcv, 1);
    env_advance(k.e, 100 * MS);
    tst_peer(&k, k.rcv, k.snd + 1, ACK, NULL, 0);
    k.snd++;
    tst_expect_none(k.e);
    assert_int_equal(tcp_sock_send(k.c, "y", 1, k.e->now), 1);
    tst_expect_seg(k.e, NULL, ACK | PSH, k.snd, k.rcv, 1);
    tst_advance_exactly(k.e, 250 * MS);
    tst_expect_seg(k.e, NULL, ACK | PSH, k.snd, k.rcv, 1);
    tst_end_env(k.e);
}

/* A tiny sample: the RTO is held at rto_min (RFC 6298 2.4, Linux 200 ms). */
static void test_rto_floor_min_rto(void **state)
{
    (void)state;
    struct conn k;
    open_active_rtt(&k, NULL, 1 * MS);
    assert_int_equal(tcp_sock_send(k.c, "x", 1, k.e->now), 1);
    tst_expect_seg(k.e, NULL, ACK | PSH, k.snd, k.rcv, 1);
    tst_advance_exactly(k.e, k.e->cfg.tcp.rto_min_ns);
    tst_expect_seg(k.e, NULL, ACK | PSH, k.snd, k.rcv, 1);
    tst_end_env(k.e);
}

/* RFC 6298 5.7: the SYN timed out and no RTT was measured: the RTO is
 * re-initialized to 3 s when data transmission begins (Linux
 * TCP_TIMEOUT_FALLBACK). */
static void test_rto_3s_after_syn_timeout(void **state)
{
    (void)state;
    struct stack_env *e = tst_new_env(NULL);
    struct tcp_sock *c = tcp_sock_open(e->s, NULL, NULL);
    struct ip_endpoint to = env_ep(ENV_IP_PEER, TP_PEER_PORT);
    assert_int_equal(tcp_sock_connect(c, &to, e->now), -EINPROGRESS);
    struct tp_out syn;
    tp_take(e, &syn);
    tst_advance_exactly(e, SEC);
    tst_expect_seg(e, NULL, SYN, syn.t.seq, 0, 0);
    tp_send(e, &(struct tp_seg){.dport = syn.t.sport, .seq = PEER_ISN, .ack = syn.t.seq + 1,
                                .flags = SYN | ACK, .opt = &tst_mss_only});
    tst_expect_seg(e, NULL, ACK, syn.t.seq + 1, PEER_ISN + 1, 0);
    assert_int_equal(tcp_sock_send(c, "x", 1, e->now), 1);
    tst_expect_seg(e, NULL, ACK | PSH, syn.t.seq + 1, PEER_ISN + 1, 1);
    env_advance(e, 3 * SEC - 1);
    assert_int_equal(tp_pending(e), 0); /* nothing before 3 s */
    env_advance(e, 1);
    tst_expect_seg(e, NULL, ACK | PSH, syn.t.seq + 1, PEER_ISN + 1, 1);
    tst_end_env(e);
}

static void tweak_rto_max_2s(struct stack_config *cfg, struct netif_config *ncfg)
{
    (void)ncfg;
    cfg->tcp.rto_max_ns = 2 * SEC;
}

/* RFC 6298 5.5/2.5: each expiry doubles the RTO, up to rto_max. */
static void test_rto_backoff_doubles_capped(void **state)
{
    (void)state;
    struct conn k;
    open_active_rtt(&k, tweak_rto_max_2s, 1 * MS);
    assert_int_equal(tcp_sock_send(k.c, "x", 1, k.e->now), 1);
    tst_expect_seg(k.e, NULL, ACK | PSH, k.snd, k.rcv, 1);
    static const uint64_t gaps_ms[] = {200, 400, 800, 1600, 2000, 2000, 2000};
    for (size_t i = 0; i < sizeof gaps_ms / sizeof gaps_ms[0]; i++) {
        tst_advance_exactly(k.e, gaps_ms[i] * MS);
        tst_expect_seg(k.e, NULL, ACK | PSH, k.snd, k.rcv, 1);
        tst_expect_none(k.e);
    }
    struct tcp_conn_info info;
    tcp_sock_info(k.c, &info);
    assert_int_equal(info.backoff, 7);
    assert_int_equal(info.rto_us, 2000000);
    tst_end_env(k.e);
}

/* ---- delayed ACK (RFC 1122 4.2.3.2, RFC 5681 4.2) ---- */

static uint8_t full_seg[1460];

/* The delayed-ACK tests run out of quickack mode (TCP_QUICKACK 0, as
 * Linux's pingpong); the quick ACKs themselves are tested below. */
static void test_delack_one_full_segment(void **state)
{
    (void)state;
    struct conn k;
    tst_open_active(&k, NULL, NULL);
    assert_int_equal(tcp_sock_setopt(k.c, TCP_OPT_QUICKACK, 0), 0);
    tst_peer(&k, k.rcv, k.snd, ACK, full_seg, sizeof full_seg);
    tst_expect_none(k.e);
    tst_advance_exactly(k.e, k.e->cfg.tcp.delack_ns);
    struct tp_out a;
    tst_expect_seg(k.e, &a, ACK, k.snd, k.rcv + 1460, 0);
    assert_int_equal(a.t.window, 65535);
    assert_int_equal(env_ctr(k.e, CTR_TCP_DELAYED_ACKS), 1);
    tst_expect_none(k.e);
    tst_end_env(k.e);
}

static void test_delack_two_full_segments_ack_at_once(void **state)
{
    (void)state;
    struct conn k;
    tst_open_active(&k, NULL, NULL);
    assert_int_equal(tcp_sock_setopt(k.c, TCP_OPT_QUICKACK, 0), 0);
    tst_peer(&k, k.rcv, k.snd, ACK, full_seg, sizeof full_seg);
    tst_expect_none(k.e);
    tst_peer(&k, k.rcv + 1460, k.snd, ACK, full_seg, sizeof full_seg);
    tst_expect_seg(k.e, NULL, ACK, k.snd, k.rcv + 2920, 0);
    tst_expect_none(k.e);
    env_advance(k.e, SEC);
    tst_expect_none(k.e); /* the delayed-ACK timer was cancelled */
    assert_int_equal(env_ctr(k.e, CTR_TCP_DELAYED_ACKS), 0);
    tst_end_env(k.e);
}

/* Linux's quickack mode (issue 12): the first segments of data are ACKed
 * at once, up to TCP_MAX_QUICKACKS (16) ACKs, so a peer's slow start and a
 * short request do not wait 40 ms; then the usual delayed ACK. */
static void test_quickack_first_segments(void **state)
{
    (void)state;
    struct conn k;
    tst_open_active(&k, NULL, NULL);
    uint8_t d[100] = {0};
    for (int i = 0; i < 16; i++) {
        tst_peer(&k, k.rcv, k.snd, ACK | PSH, d, sizeof d);
        k.rcv += sizeof d;
        tst_expect_seg(k.e, NULL, ACK, k.snd, k.rcv, 0);
    }
    /* The 17th waits for the delayed-ACK timer. */
    tst_peer(&k, k.rcv, k.snd, ACK | PSH, d, sizeof d);
    k.rcv += sizeof d;
    tst_advance_exactly(k.e, k.e->cfg.tcp.delack_ns);
    tst_expect_seg(k.e, NULL, ACK, k.snd, k.rcv, 0);
    /* After an idle time above the RTO, quickack mode again. */
    env_advance(k.e, 2 * SEC);
    tst_peer(&k, k.rcv, k.snd, ACK | PSH, d, sizeof d);
    k.rcv += sizeof d;
    tst_expect_seg(k.e, NULL, ACK, k.snd, k.rcv, 0);
    int v = -1;
    assert_int_equal(tcp_sock_getopt(k.c, TCP_OPT_QUICKACK, &v), 0);
    assert_int_equal(v, 1);
    tst_end_env(k.e);
}

/* Pingpong: once we answer data within the delayed-ACK time, the next
 * request's ACK waits to ride on the answer (Linux tcp_event_data_sent);
 * a delayed-ACK timeout ends the mode. */
static void test_pingpong_delays_ack(void **state)
{
    (void)state;
    struct conn k;
    tst_open_active(&k, NULL, NULL);
    assert_int_equal(tcp_sock_setopt(k.c, TCP_OPT_NODELAY, 1), 0);
    tst_peer(&k, k.rcv, k.snd, ACK | PSH, "req1", 4);
    k.rcv += 4;
    tst_expect_seg(k.e, NULL, ACK, k.snd, k.rcv, 0); /* quick */
    env_advance(k.e, 1 * MS);
    assert_int_equal(tcp_sock_send(k.c, "resp1", 5, k.e->now), 5);
    tst_expect_seg(k.e, NULL, ACK | PSH, k.snd, k.rcv, 5);
    k.snd += 5;
    int v = -1;
    assert_int_equal(tcp_sock_getopt(k.c, TCP_OPT_QUICKACK, &v), 0);
    assert_int_equal(v, 0);
    /* The next request: no ACK alone; the answer carries it. */
    tst_peer(&k, k.rcv, k.snd, ACK | PSH, "req2", 4);
    k.rcv += 4;
    tst_expect_none(k.e);
    env_advance(k.e, 1 * MS);
    assert_int_equal(tcp_sock_send(k.c, "resp2", 5, k.e->now), 5);
    tst_expect_seg(k.e, NULL, ACK | PSH, k.snd, k.rcv, 5);
    k.snd += 5;
    /* A request left unanswered: the delayed ACK goes, pingpong ends,
     * and the next data is ACKed at once again. */
    tst_peer(&k, k.rcv, k.snd, ACK | PSH, "req3", 4);
    k.rcv += 4;
    tst_advance_exactly(k.e, k.e->cfg.tcp.delack_ns);
    tst_expect_seg(k.e, NULL, ACK, k.snd, k.rcv, 0);
    tst_peer(&k, k.rcv, k.snd, ACK | PSH, "req4", 4);
    k.rcv += 4;
    tst_expect_seg(k.e, NULL, ACK, k.snd, k.rcv, 0);
    tst_end_env(k.e);
}

/* Out of order: an immediate duplicate ACK with a SACK block for what
 * arrived (RFC 5681 4.2, RFC 2018 4). */
static void test_delack_out_of_order_dupack_sack(void **state)
{
    (void)state;
    struct conn k;
    tst_open_active(&k, NULL, &mss_sack);
    tst_peer(&k, k.rcv + 1460, k.snd, ACK, full_seg, 100);
    struct tp_out a;
    tst_expect_seg(k.e, &a, ACK, k.snd, k.rcv, 0);
    assert_int_equal(a.t.opt.n_sack, 1);
    assert_int_equal(a.t.opt.sack[0].left, k.rcv + 1460);
    assert_int_equal(a.t.opt.sack[0].right, k.rcv + 1560);
    tst_expect_none(k.e);
    tst_end_env(k.e);
}

/* ---- Nagle (RFC 1122 4.2.3.4, RFC 9293 3.7.4) ---- */

static void test_nagle_holds_second_small_write(void **state)
{
    (void)state;
    struct conn k;
    tst_open_active(&k, NULL, NULL);
    assert_int_equal(tcp_sock_send(k.c, "a", 1, k.e->now), 1);
    tst_expect_seg(k.e, NULL, ACK | PSH, k.snd, k.rcv, 1);
    assert_int_equal(tcp_sock_send(k.c, "b", 1, k.e->now), 1);
    tst_expect_none(k.e);
    tst_peer(&k, k.rcv, k.snd + 1, ACK, NULL, 0);
    struct tp_out d;
    tst_expect_seg(k.e, &d, ACK | PSH, k.snd + 1, k.rcv, 1);
    assert_memory_equal(d.t.payload, "b", 1);
    tst_expect_none(k.e);
    tst_end_env(k.e);
}

static void test_nodelay_sends_at_once(void **state)
{
    (void)state;
    struct conn k;
    tst_open_active(&k, NULL, NULL);
    assert_int_equal(tcp_sock_setopt(k.c, TCP_OPT_NODELAY, 1), 0);
    assert_int_equal(tcp_sock_send(k.c, "a", 1, k.e->now), 1);
    tst_expect_seg(k.e, NULL, ACK | PSH, k.snd, k.rcv, 1);
    assert_int_equal(tcp_sock_send(k.c, "b", 1, k.e->now), 1);
    struct tp_out d;
    tst_expect_seg(k.e, &d, ACK | PSH, k.snd + 1, k.rcv, 1);
    assert_memory_equal(d.t.payload, "b", 1);
    tst_expect_none(k.e);
    tst_end_env(k.e);
}

/* ---- zero window (RFC 9293 3.8.6.1, RFC 1122 4.2.2.17) ---- */

static void test_zero_window_persist(void **state)
{
    (void)state;
    struct conn k;
    tst_open_active(&k, NULL, NULL);
    tp_send(k.e, &(struct tp_seg){.dport = k.port, .seq = k.rcv, .ack = k.snd, .flags = ACK,
                                  .zero_window = true});
    tst_expect_none(k.e);
    assert_int_equal(tcp_sock_send(k.c, "hello", 5, k.e->now), 5);
    tst_expect_none(k.e);
    /* Probes <SEQ=SND.UNA-1><ACK=RCV.NXT>, the interval doubling from the
     * RTO (200 ms here) as Linux's tcp_probe0. */
    static const uint64_t gaps_ms[] = {200, 400, 800};
    for (size_t i = 0; i < 3; i++) {
        tst_advance_exactly(k.e, gaps_ms[i] * MS);
        tst_expect_seg(k.e, NULL, ACK, k.snd - 1, k.rcv, 0);
        tst_expect_none(k.e);
    }
    assert_int_equal(env_ctr(k.e, CTR_TCP_PERSIST_PROBES), 3);
    assert_int_equal(tcp_sock_state(k.c), TCP_ESTABLISHED);
    /* The window opens: the data goes at once. */
    tst_peer(&k, k.rcv, k.snd, ACK, NULL, 0);
    struct tp_out d;
    tst_expect_seg(k.e, &d, ACK | PSH, k.snd, k.rcv, 5);
    assert_memory_equal(d.t.payload, "hello", 5);
    tst_expect_none(k.e);
    tst_end_env(k.e);
}

/* ---- keepalive (RFC 1122 4.2.3.6) ---- */

static void keepalive_on(struct conn *k)
{
    assert_int_equal(tcp_sock_setopt(k->c, TCP_OPT_KEEPALIVE, 1), 0);
    assert_int_equal(tcp_sock_setopt(k->c, TCP_OPT_KEEPIDLE, 10), 0);
    assert_int_equal(tcp_sock_setopt(k->c, TCP_OPT_KEEPINTVL, 2), 0);
    assert_int_equal(tcp_sock_setopt(k->c, TCP_OPT_KEEPCNT, 3), 0);
}

/* Idle 10 s, then 3 probes 2 s apart; unanswered -> RST and ETIMEDOUT
 * one interval after the last (Linux tcp_keepalive_timer). */
static void test_keepalive_unanswered(void **state)
{
    (void)state;
    struct conn k;
    tst_open_active(&k, NULL, NULL);
    keepalive_on(&k);
    tst_advance_exactly(k.e, 10 * SEC);
    tst_expect_seg(k.e, NULL, ACK, k.snd - 1, k.rcv, 0);
    for (int i = 0; i < 2; i++) {
        tst_advance_exactly(k.e, 2 * SEC);
        tst_expect_seg(k.e, NULL, ACK, k.snd - 1, k.rcv, 0);
    }
    assert_int_equal(env_ctr(k.e, CTR_TCP_KEEPALIVE_PROBES), 3);
    tst_advance_exactly(k.e, 2 * SEC);
    tst_expect_seg(k.e, NULL, RST | ACK, k.snd, k.rcv, 0);
    assert_int_equal(tcp_sock_state(k.c), TCP_CLOSED);
    assert_int_equal(tcp_sock_error(k.c), ETIMEDOUT);
    tst_expect_none(k.e);
    tst_end_env(k.e);
}

/* An answered probe restarts the idle time; the connection lives on. */
static void test_keepalive_answered(void **state)
{
    (void)state;
    struct conn k;
    tst_open_active(&k, NULL, NULL);
    keepalive_on(&k);
    tst_advance_exactly(k.e, 10 * SEC);
    tst_expect_seg(k.e, NULL, ACK, k.snd - 1, k.rcv, 0);
    tst_peer(&k, k.rcv, k.snd, ACK, NULL, 0);
    tst_expect_none(k.e);
    tst_advance_exactly(k.e, 10 * SEC);
    tst_expect_seg(k.e, NULL, ACK, k.snd - 1, k.rcv, 0);
    tst_peer(&k, k.rcv, k.snd, ACK, NULL, 0);
    env_advance(k.e, 9 * SEC);
    tst_expect_none(k.e);
    assert_int_equal(tcp_sock_state(k.c), TCP_ESTABLISHED);
    assert_int_equal(tcp_sock_error(k.c), 0);
    assert_int_equal(env_ctr(k.e, CTR_TCP_KEEPALIVE_PROBES), 2);
    tst_end_env(k.e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_connect_closed_port_refused, tst_teardown),
        cmocka_unit_test_teardown(test_send_after_peer_rst, tst_teardown),
        cmocka_unit_test_teardown(test_send_after_shutdown, tst_teardown),
        cmocka_unit_test_teardown(test_recv_zero_at_eof, tst_teardown),
        cmocka_unit_test_teardown(test_syn_timeout, tst_teardown),
        cmocka_unit_test_teardown(test_data_timeout, tst_teardown),
        cmocka_unit_test_teardown(test_close_with_unread_data_sends_rst, tst_teardown),
        cmocka_unit_test_teardown(test_rto_initial_without_sample, tst_teardown),
        cmocka_unit_test_teardown(test_rto_after_sample, tst_teardown),
        cmocka_unit_test_teardown(test_rto_second_sample, tst_teardown),
        cmocka_unit_test_teardown(test_rto_floor_min_rto, tst_teardown),
        cmocka_unit_test_teardown(test_rto_3s_after_syn_timeout, tst_teardown),
        cmocka_unit_test_teardown(test_rto_backoff_doubles_capped, tst_teardown),
        cmocka_unit_test_teardown(test_delack_one_full_segment, tst_teardown),
        cmocka_unit_test_teardown(test_delack_two_full_segments_ack_at_once, tst_teardown),
        cmocka_unit_test_teardown(test_quickack_first_segments, tst_teardown),
        cmocka_unit_test_teardown(test_pingpong_delays_ack, tst_teardown),
        cmocka_unit_test_teardown(test_delack_out_of_order_dupack_sack, tst_teardown),
        cmocka_unit_test_teardown(test_nagle_holds_second_small_write, tst_teardown),
        cmocka_unit_test_teardown(test_nodelay_sends_at_once, tst_teardown),
        cmocka_unit_test_teardown(test_zero_window_persist, tst_teardown),
        cmocka_unit_test_teardown(test_keepalive_unanswered, tst_teardown),
        cmocka_unit_test_teardown(test_keepalive_answered, tst_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
