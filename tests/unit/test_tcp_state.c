/* test_tcp_state.c - the TCP state machine against a scripted peer: RFC
 * 9293's state diagram (3.3.2, figures 6-13), RST processing in every state
 * (3.10.7 with RFC 5961 3.2), TIME-WAIT (3.10.8, RFC 6191) and listen
 * queues. Every test asserts the exact segments on the wire. Timers, errno
 * semantics and timeouts are in test_tcp_timers.c.
 *
 * Unless a test says otherwise the peer's SYN carries only MSS 1460, so
 * no timestamps, SACK or window scaling: our window field is then the
 * plain 65535 and the segments are easy to predict. */

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "tests/unit/support/tcp_peer.h"
#include "tests/unit/support/tcp_state_fixture.h"

/* State of the connection from the peer's port rport, from the table
 * (for children no one has accepted); TCP_CLOSED if there is none. */
static enum tcp_state table_state(struct stack_env *e, uint16_t rport)
{
    struct tcp_conn_info info[16];
    size_t n = stack_tcp_list(e->s, info, 16);
    for (size_t i = 0; i < n && i < 16; i++)
        if (info[i].state != TCP_LISTEN && info[i].remote.port == rport)
            return info[i].state;
    return TCP_CLOSED;
}

/* Active close to FIN-WAIT-2: shutdown(SHUT_WR), FIN out, the peer ACKs it. */
static void to_fin_wait_2(struct conn *k)
{
    assert_int_equal(tcp_sock_shutdown(k->c, 1, k->e->now), 0);
    tst_expect_seg(k->e, NULL, FIN | ACK, k->snd, k->rcv, 0);
    assert_int_equal(tcp_sock_state(k->c), TCP_FIN_WAIT_1);
    tst_peer(k, k->rcv, k->snd + 1, ACK, NULL, 0);
    k->snd++;
    assert_int_equal(tcp_sock_state(k->c), TCP_FIN_WAIT_2);
    tst_expect_none(k->e);
}

/* From FIN-WAIT-2 the peer's FIN: TIME-WAIT, and our ACK of it. */
static void to_time_wait(struct conn *k)
{
    to_fin_wait_2(k);
    tst_peer(k, k->rcv, k->snd, FIN | ACK, NULL, 0);
    k->rcv++;
    assert_int_equal(tcp_sock_state(k->c), TCP_TIME_WAIT);
    tst_expect_seg(k->e, NULL, ACK, k->snd, k->rcv, 0);
}

/* The peer closes first: CLOSE-WAIT, and our immediate ACK of its FIN. */
/* The peer's FIN: CLOSE-WAIT, and its ACK within the delayed-ACK time
 * (not at once: an application that closes at once sends FIN+ACK). */
static void to_close_wait(struct conn *k)
{
    tst_peer(k, k->rcv, k->snd, FIN | ACK, NULL, 0);
    k->rcv++;
    assert_int_equal(tcp_sock_state(k->c), TCP_CLOSE_WAIT);
    tst_expect_none(k->e);
    env_advance(k->e, k->e->cfg.tcp.delack_ns);
    tst_expect_seg(k->e, NULL, ACK, k->snd, k->rcv, 0);
}

static void tweak_small_timers(struct stack_config *cfg, struct netif_config *ncfg)
{
    (void)ncfg;
    cfg->tcp.time_wait_ns = 10 * SEC;
}

/* ---- the state diagram (RFC 9293 3.3.2) ---- */

/* LISTEN -> SYN-RECEIVED -> ESTABLISHED (RFC 9293 3.5 figure 6, B's side). */
static void test_passive_open(void **state)
{
    (void)state;
    struct stack_env *e = tst_new_env(NULL);
    struct tcp_sock *l = tp_listen(e, LISTEN_PORT, 8);
    assert_int_equal(tcp_sock_state(l), TCP_LISTEN);
    struct tp_out sa;
    tst_peer_syn(e, TP_PEER_PORT, PEER_ISN, &sa);
    assert_int_equal(sa.t.sport, LISTEN_PORT);
    assert_int_equal(sa.t.dport, TP_PEER_PORT);
    assert_int_equal(sa.t.window, 65535);
    assert_true(sa.t.opt.has_mss);
    assert_int_equal(sa.t.opt.mss, 1460);
    /* Only what the peer offered is answered (RFC 7323 2.2, RFC 2018 2). */
    assert_false(sa.t.opt.has_wscale);
    assert_false(sa.t.opt.has_ts);
    assert_false(sa.t.opt.sack_permitted);
    assert_int_equal(sa.t.payload_len, 0);
    assert_int_equal(table_state(e, TP_PEER_PORT), TCP_SYN_RECEIVED);
    int err = 0;
    assert_null(tcp_sock_accept(l, NULL, NULL, &err));
    assert_int_equal(err, -EAGAIN);

    tst_peer_third_ack(e, TP_PEER_PORT, PEER_ISN, &sa);
    tst_expect_none(e);
    struct tcp_sock *c = tcp_sock_accept(l, NULL, NULL, &err);
    assert_non_null(c);
    assert_int_equal(tcp_sock_state(c), TCP_ESTABLISHED);
    assert_int_equal(tcp_sock_state(l), TCP_LISTEN);
    assert_int_equal(env_ctr(e, CTR_TCP_PASSIVE_OPENS), 1);
    assert_int_equal(env_ctr(e, CTR_TCP_CONN_ESTABLISHED), 1);
    tst_end_env(e);
}

/* CLOSED -> SYN-SENT -> ESTABLISHED (RFC 9293 3.5 figure 6, A's side). */
static void test_active_open(void **state)
{
    (void)state;
    struct stack_env *e = tst_new_env(NULL);
    struct tcp_sock *c = tcp_sock_open(e->s, NULL, NULL);
    struct ip_endpoint to = env_ep(ENV_IP_PEER, TP_PEER_PORT);
    assert_int_equal(tcp_sock_connect(c, &to, e->now), -EINPROGRESS);
    assert_int_equal(tcp_sock_state(c), TCP_SYN_SENT);
    struct tp_out syn;
    tp_take(e, &syn);
    assert_int_equal(syn.t.flags, SYN);
    assert_int_equal(syn.t.ack, 0);
    assert_int_equal(syn.t.payload_len, 0);
    assert_int_equal(syn.t.dport, TP_PEER_PORT);
    assert_int_equal(syn.t.window, 65535);
    assert_true(syn.t.opt.has_mss);
    assert_int_equal(syn.t.opt.mss, 1460);
    /* 262144-byte buffer: shift 3 covers it (RFC 7323 2.3). */
    assert_true(syn.t.opt.has_wscale);
    assert_int_equal(syn.t.opt.wscale, 3);
    assert_true(syn.t.opt.sack_permitted);
    assert_true(syn.t.opt.has_ts);
    assert_int_equal(syn.t.opt.ts_ecr, 0);
    uint32_t iss = syn.t.seq;
    tp_send(e, &(struct tp_seg){.dport = syn.t.sport, .seq = PEER_ISN, .ack = iss + 1,
                                .flags = SYN | ACK, .opt = &tst_mss_only});
    assert_int_equal(tcp_sock_state(c), TCP_ESTABLISHED);
    struct tp_out a;
    tst_expect_seg(e, &a, ACK, iss + 1, PEER_ISN + 1, 0);
    assert_int_equal(a.t.window, 65535);
    assert_int_equal(a.t.options_len, 0); /* no timestamps agreed */
    tst_expect_none(e);
    tst_end_env(e);
}

/* SYN-SENT -> SYN-RECEIVED -> ESTABLISHED (RFC 9293 3.5 figure 7): both
 * SYNs cross; each side answers SYN-ACK with its original ISN; the
 * peer's SYN-ACK (line 6 of the figure) completes our side, as Linux's
 * tcp_validate_incoming lets it ("goto pass" for that SYN-ACK). */
static void test_simultaneous_open(void **state)
{
    (void)state;
    struct stack_env *e = tst_new_env(NULL);
    struct tcp_sock *c = tcp_sock_open(e->s, NULL, NULL);
    struct ip_endpoint to = env_ep(ENV_IP_PEER, TP_PEER_PORT);
    assert_int_equal(tcp_sock_connect(c, &to, e->now), -EINPROGRESS);
    struct tp_out syn;
    tp_take(e, &syn);
    assert_int_equal(syn.t.flags, SYN);
    uint32_t iss = syn.t.seq;
    tp_send(e, &(struct tp_seg){.dport = syn.t.sport, .seq = PEER_ISN, .flags = SYN,
                                .opt = &tst_mss_only});
    assert_int_equal(tcp_sock_state(c), TCP_SYN_RECEIVED);
    struct tp_out sa;
    tst_expect_seg(e, &sa, SYN | ACK, iss, PEER_ISN + 1, 0);
    assert_true(sa.t.opt.has_mss);
    assert_false(sa.t.opt.has_wscale); /* the peer's SYN had none */
    assert_false(sa.t.opt.has_ts);
    tst_expect_none(e);
    tp_send(e, &(struct tp_seg){.dport = syn.t.sport, .seq = PEER_ISN, .ack = iss + 1,
                                .flags = SYN | ACK, .opt = &tst_mss_only});
    assert_int_equal(tcp_sock_state(c), TCP_ESTABLISHED);
    assert_int_equal(tcp_sock_error(c), 0);
    tst_end_env(e);
}

/* ESTABLISHED -> FIN-WAIT-1 -> FIN-WAIT-2 -> TIME-WAIT -> CLOSED
 * (RFC 9293 3.6 figure 12). */
static void test_active_close(void **state)
{
    (void)state;
    struct conn k;
    tst_open_active(&k, tweak_small_timers, NULL);
    to_time_wait(&k);
    env_advance(k.e, 10 * SEC);
    assert_int_equal(tcp_sock_state(k.c), TCP_CLOSED);
    assert_int_equal(tcp_sock_error(k.c), 0);
    tst_expect_none(k.e);
    tst_end_env(k.e);
}

/* FIN-WAIT-1 -> CLOSING -> TIME-WAIT (RFC 9293 3.6 figure 13). */
static void test_simultaneous_close(void **state)
{
    (void)state;
    struct conn k;
    tst_open_active(&k, NULL, NULL);
    assert_int_equal(tcp_sock_shutdown(k.c, 1, k.e->now), 0);
    tst_expect_seg(k.e, NULL, FIN | ACK, k.snd, k.rcv, 0);
    assert_int_equal(tcp_sock_state(k.c), TCP_FIN_WAIT_1);
    /* The peer's FIN crosses ours: it has not seen our FIN yet. */
    tst_peer(&k, k.rcv, k.snd, FIN | ACK, NULL, 0);
    assert_int_equal(tcp_sock_state(k.c), TCP_CLOSING);
    tst_expect_seg(k.e, NULL, ACK, k.snd + 1, k.rcv + 1, 0);
    tst_expect_none(k.e);
    tst_peer(&k, k.rcv + 1, k.snd + 1, ACK, NULL, 0);
    assert_int_equal(tcp_sock_state(k.c), TCP_TIME_WAIT);
    tst_expect_none(k.e);
    tst_end_env(k.e);
}

/* FIN-WAIT-1 receiving FIN with the ACK of our FIN goes to TIME-WAIT. */
static void test_fin_wait_1_fin_ack_to_time_wait(void **state)
{
    (void)state;
    struct conn k;
    tst_open_active(&k, NULL, NULL);
    assert_int_equal(tcp_sock_shutdown(k.c, 1, k.e->now), 0);
    tst_expect_seg(k.e, NULL, FIN | ACK, k.snd, k.rcv, 0);
    tst_peer(&k, k.rcv, k.snd + 1, FIN | ACK, NULL, 0);
    assert_int_equal(tcp_sock_state(k.c), TCP_TIME_WAIT);
    tst_expect_seg(k.e, NULL, ACK, k.snd + 1, k.rcv + 1, 0);
    tst_expect_none(k.e);
    tst_end_env(k.e);
}

/* ESTABLISHED -> CLOSE-WAIT -> LAST-ACK -> CLOSED. */
static void test_passive_close(void **state)
{
    (void)state;
    struct conn k;
    tst_open_active(&k, NULL, NULL);
    to_close_wait(&k);
    char buf[4];
    assert_int_equal(tcp_sock_recv(k.c, buf, sizeof buf, k.e->now), 0);
    assert_int_equal(tcp_sock_shutdown(k.c, 1, k.e->now), 0);
    assert_int_equal(tcp_sock_state(k.c), TCP_LAST_ACK);
    tst_expect_seg(k.e, NULL, FIN | ACK, k.snd, k.rcv, 0);
    tst_peer(&k, k.rcv, k.snd + 1, ACK, NULL, 0);
    assert_int_equal(tcp_sock_state(k.c), TCP_CLOSED);
    assert_int_equal(tcp_sock_error(k.c), 0);
    tst_expect_none(k.e);
    tst_end_env(k.e);
}

/* Linux's "pingpong" ACK of a FIN: an application that closes as soon
 * as it reads EOF sends one FIN+ACK segment, no separate ACK. */
static void test_fin_acked_with_our_fin(void **state)
{
    (void)state;
    struct conn k;
    tst_open_active(&k, NULL, NULL);
    tst_peer(&k, k.rcv, k.snd, FIN | ACK, NULL, 0);
    k.rcv++;
    char buf[4];
    assert_int_equal(tcp_sock_recv(k.c, buf, sizeof buf, k.e->now), 0);
    assert_int_equal(tcp_sock_shutdown(k.c, 1, k.e->now), 0);
    tst_expect_seg(k.e, NULL, FIN | ACK, k.snd, k.rcv, 0);
    tst_expect_none(k.e);
    env_advance(k.e, k.e->cfg.tcp.delack_ns);
    tst_expect_none(k.e); /* nothing left to acknowledge */
    tst_peer(&k, k.rcv, k.snd + 1, ACK, NULL, 0);
    assert_int_equal(tcp_sock_state(k.c), TCP_CLOSED);
    tst_end_env(k.e);
}

/* SHUT_WR: our FIN is out and acked, the peer's data still arrives. */
static void test_half_close_we_keep_receiving(void **state)
{
    (void)state;
    struct conn k;
    tst_open_active(&k, NULL, NULL);
    to_fin_wait_2(&k);
    tst_peer(&k, k.rcv, k.snd, ACK | PSH, "abc", 3);
    char buf[8];
    assert_int_equal(tcp_sock_recv(k.c, buf, sizeof buf, k.e->now), 3);
    assert_memory_equal(buf, "abc", 3);
    assert_int_equal(tcp_sock_state(k.c), TCP_FIN_WAIT_2);
    /* The first data of the connection: ACKed at once (quickack). */
    tst_expect_seg(k.e, NULL, ACK, k.snd, k.rcv + 3, 0);
    /* Out of quickack mode a small segment's ACK is delayed (RFC 1122
     * 4.2.3.2). */
    assert_int_equal(tcp_sock_setopt(k.c, TCP_OPT_QUICKACK, 0), 0);
    tst_peer(&k, k.rcv + 3, k.snd, ACK | PSH, "def", 3);
    tst_expect_none(k.e);
    tst_advance_exactly(k.e, 40 * MS);
    tst_expect_seg(k.e, NULL, ACK, k.snd, k.rcv + 6, 0);
    assert_int_equal(tcp_sock_send(k.c, "x", 1, k.e->now), -EPIPE);
    tst_end_env(k.e);
}

/* The peer half-closes: we read EOF and keep sending. */
static void test_half_close_peer_we_keep_sending(void **state)
{
    (void)state;
    struct conn k;
    tst_open_active(&k, NULL, NULL);
    to_close_wait(&k);
    char buf[4];
    assert_int_equal(tcp_sock_recv(k.c, buf, sizeof buf, k.e->now), 0);
    assert_int_equal(tcp_sock_send(k.c, "xyz", 3, k.e->now), 3);
    struct tp_out d;
    tst_expect_seg(k.e, &d, ACK | PSH, k.snd, k.rcv, 3);
    assert_memory_equal(d.t.payload, "xyz", 3);
    tst_peer(&k, k.rcv, k.snd + 3, ACK, NULL, 0);
    assert_int_equal(tcp_sock_state(k.c), TCP_CLOSE_WAIT);
    tst_expect_none(k.e);
    tst_end_env(k.e);
}

/* ---- RST processing (RFC 9293 3.10.7, RFC 5961 3.2) ---- */

static void test_rst_syn_sent_acceptable(void **state)
{
    (void)state;
    struct stack_env *e = tst_new_env(NULL);
    struct tcp_sock *c = tcp_sock_open(e->s, NULL, NULL);
    struct ip_endpoint to = env_ep(ENV_IP_PEER, TP_PEER_PORT);
    assert_int_equal(tcp_sock_connect(c, &to, e->now), -EINPROGRESS);
    struct tp_out syn;
    tp_take(e, &syn);
    tp_send(e, &(struct tp_seg){.dport = syn.t.sport, .seq = 0, .ack = syn.t.seq + 1,
                                .flags = RST | ACK});
    assert_int_equal(tcp_sock_state(c), TCP_CLOSED);
    assert_int_equal(tcp_sock_error(c), ECONNREFUSED);
    tst_expect_none(e);
    tst_end_env(e);
}

/* SYN-SENT: a RST whose ACK does not cover our SYN is dropped. */
static void test_rst_syn_sent_bad_ack_ignored(void **state)
{
    (void)state;
    struct stack_env *e = tst_new_env(NULL);
    struct tcp_sock *c = tcp_sock_open(e->s, NULL, NULL);
    struct ip_endpoint to = env_ep(ENV_IP_PEER, TP_PEER_PORT);
    assert_int_equal(tcp_sock_connect(c, &to, e->now), -EINPROGRESS);
    struct tp_out syn;
    tp_take(e, &syn);
    tp_send(e, &(struct tp_seg){.dport = syn.t.sport, .seq = 0, .ack = syn.t.seq,
                                .flags = RST | ACK});
    tp_send(e, &(struct tp_seg){.dport = syn.t.sport, .seq = 0, .ack = syn.t.seq + 2,
                                .flags = RST | ACK});
    assert_int_equal(tcp_sock_state(c), TCP_SYN_SENT);
    assert_int_equal(tcp_sock_error(c), 0);
    tst_expect_none(e); /* never a RST for a RST */
    /* The handshake still completes. */
    tp_send(e, &(struct tp_seg){.dport = syn.t.sport, .seq = PEER_ISN, .ack = syn.t.seq + 1,
                                .flags = SYN | ACK, .opt = &tst_mss_only});
    assert_int_equal(tcp_sock_state(c), TCP_ESTABLISHED);
    tst_end_env(e);
}

/* SYN-RECEIVED from a passive open: the child goes, the listener stays. */
static void test_rst_syn_received(void **state)
{
    (void)state;
    struct stack_env *e = tst_new_env(NULL);
    struct tcp_sock *l = tp_listen(e, LISTEN_PORT, 8);
    struct tp_out sa;
    tst_peer_syn(e, TP_PEER_PORT, PEER_ISN, &sa);
    assert_int_equal(table_state(e, TP_PEER_PORT), TCP_SYN_RECEIVED);
    tp_send(e, &(struct tp_seg){.dport = LISTEN_PORT, .seq = PEER_ISN + 1, .flags = RST});
    tst_expect_none(e);
    assert_int_equal(table_state(e, TP_PEER_PORT), TCP_CLOSED);
    assert_int_equal(tcp_sock_state(l), TCP_LISTEN);
    assert_int_equal(tcp_sock_error(l), 0);
    int err = 0;
    assert_null(tcp_sock_accept(l, NULL, NULL, &err));
    assert_int_equal(err, -EAGAIN);
    /* The listener still takes connections, from the same port too. */
    tst_peer_syn(e, TP_PEER_PORT, PEER_ISN + 5000, &sa);
    tst_end_env(e);
}

/* ESTABLISHED, FIN-WAIT-1, FIN-WAIT-2, CLOSE-WAIT: RST at RCV.NXT ->
 * CLOSED with ECONNRESET. */
static void rst_resets(struct conn *k, enum tcp_state st)
{
    assert_int_equal(tcp_sock_state(k->c), st);
    tst_peer(k, k->rcv, 0, RST, NULL, 0);
    assert_int_equal(tcp_sock_state(k->c), TCP_CLOSED);
    assert_int_equal(tcp_sock_error(k->c), ECONNRESET);
    tst_expect_none(k->e);
    tst_end_env(k->e);
}

static void test_rst_established(void **state)
{
    (void)state;
    struct conn k;
    tst_open_active(&k, NULL, NULL);
    rst_resets(&k, TCP_ESTABLISHED);
}

static void test_rst_fin_wait_1(void **state)
{
    (void)state;
    struct conn k;
    tst_open_active(&k, NULL, NULL);
    assert_int_equal(tcp_sock_shutdown(k.c, 1, k.e->now), 0);
    tst_expect_seg(k.e, NULL, FIN | ACK, k.snd, k.rcv, 0);
    rst_resets(&k, TCP_FIN_WAIT_1);
}

static void test_rst_fin_wait_2(void **state)
{
    (void)state;
    struct conn k;
    tst_open_active(&k, NULL, NULL);
    to_fin_wait_2(&k);
    rst_resets(&k, TCP_FIN_WAIT_2);
}

static void test_rst_close_wait(void **state)
{
    (void)state;
    struct conn k;
    tst_open_active(&k, NULL, NULL);
    to_close_wait(&k);
    rst_resets(&k, TCP_CLOSE_WAIT);
}

/* CLOSING, LAST-ACK, TIME-WAIT: RST -> CLOSED, no error. */
static void rst_closes_quietly(struct conn *k, enum tcp_state st)
{
    assert_int_equal(tcp_sock_state(k->c), st);
    tst_peer(k, k->rcv, 0, RST, NULL, 0);
    assert_int_equal(tcp_sock_state(k->c), TCP_CLOSED);
    assert_int_equal(tcp_sock_error(k->c), 0);
    tst_expect_none(k->e);
    tst_end_env(k->e);
}

static void test_rst_closing(void **state)
{
    (void)state;
    struct conn k;
    tst_open_active(&k, NULL, NULL);
    assert_int_equal(tcp_sock_shutdown(k.c, 1, k.e->now), 0);
    tst_expect_seg(k.e, NULL, FIN | ACK, k.snd, k.rcv, 0);
    tst_peer(&k, k.rcv, k.snd, FIN | ACK, NULL, 0);
    k.rcv++;
    tst_expect_seg(k.e, NULL, ACK, k.snd + 1, k.rcv, 0);
    rst_closes_quietly(&k, TCP_CLOSING);
}

static void test_rst_last_ack(void **state)
{
    (void)state;
    struct conn k;
    tst_open_active(&k, NULL, NULL);
    to_close_wait(&k);
    assert_int_equal(tcp_sock_shutdown(k.c, 1, k.e->now), 0);
    tst_expect_seg(k.e, NULL, FIN | ACK, k.snd, k.rcv, 0);
    rst_closes_quietly(&k, TCP_LAST_ACK);
}

static void test_rst_time_wait(void **state)
{
    (void)state;
    struct conn k;
    tst_open_active(&k, NULL, NULL);
    to_time_wait(&k);
    rst_closes_quietly(&k, TCP_TIME_WAIT);
}

/* RFC 5961 3.2: a RST in the window but not at RCV.NXT gets a challenge
 * ACK <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>; the connection survives. */
static void test_rst_in_window_challenge_ack(void **state)
{
    (void)state;
    struct conn k;
    tst_open_active(&k, NULL, NULL);
    tst_peer(&k, k.rcv + 1000, 0, RST, NULL, 0);
    assert_int_equal(tcp_sock_state(k.c), TCP_ESTABLISHED);
    assert_int_equal(tcp_sock_error(k.c), 0);
    struct tp_out a;
    tst_expect_seg(k.e, &a, ACK, k.snd, k.rcv, 0);
    assert_int_equal(a.t.window, 65535);
    assert_int_equal(env_ctr(k.e, CTR_TCP_TX_CHALLENGE_ACKS), 1);
    tst_expect_none(k.e);
    /* Data still flows both ways. */
    tst_peer(&k, k.rcv, k.snd, ACK | PSH, "hi", 2);
    char buf[4];
    assert_int_equal(tcp_sock_recv(k.c, buf, sizeof buf, k.e->now), 2);
    tst_end_env(k.e);
}

/* RFC 5961 4.2: a SYN in a synchronized state, even in the window, gets
 * a challenge ACK and never resets the connection. */
static void test_syn_in_established_challenge_ack(void **state)
{
    (void)state;
    struct conn k;
    tst_open_active(&k, NULL, NULL);
    tst_peer(&k, k.rcv + 10, 0, SYN, NULL, 0);
    tst_expect_seg(k.e, NULL, ACK, k.snd, k.rcv, 0);
    assert_int_equal(tcp_sock_state(k.c), TCP_ESTABLISHED);
    assert_int_equal(tcp_sock_error(k.c), 0);
    assert_int_equal(env_ctr(k.e, CTR_TCP_TX_CHALLENGE_ACKS), 1);
    tst_expect_none(k.e);
    tst_end_env(k.e);
}

/* RFC 9293 3.10.7.3: in SYN-SENT an ACK of something we never sent gets
 * <SEQ=SEG.ACK><CTL=RST>; the connection attempt goes on. */
static void test_syn_sent_bad_ack_gets_rst(void **state)
{
    (void)state;
    struct stack_env *e = tst_new_env(NULL);
    struct tcp_sock *c = tcp_sock_open(e->s, NULL, NULL);
    struct ip_endpoint to = env_ep(ENV_IP_PEER, TP_PEER_PORT);
    assert_int_equal(tcp_sock_connect(c, &to, e->now), -EINPROGRESS);
    struct tp_out syn;
    tp_take(e, &syn);
    tp_send(e, &(struct tp_seg){.dport = syn.t.sport, .seq = PEER_ISN, .ack = syn.t.seq + 100,
                                .flags = ACK});
    tst_expect_seg(e, NULL, RST, syn.t.seq + 100, 0, 0);
    tst_expect_none(e);
    assert_int_equal(tcp_sock_state(c), TCP_SYN_SENT);
    assert_int_equal(tcp_sock_error(c), 0);
    tst_end_env(e);
}

/* ---- TIME-WAIT (RFC 9293 3.10.8, RFC 6191) ---- */

static void test_time_wait_lasts_exactly(void **state)
{
    (void)state;
    struct conn k;
    tst_open_active(&k, tweak_small_timers, NULL);
    to_time_wait(&k);
    env_advance(k.e, 10 * SEC - 1);
    assert_int_equal(tcp_sock_state(k.c), TCP_TIME_WAIT);
    env_advance(k.e, 1);
    assert_int_equal(tcp_sock_state(k.c), TCP_CLOSED);
    tst_expect_none(k.e);
    tst_end_env(k.e);
}

/* A retransmitted FIN is ACKed again and restarts the 2*MSL timer. */
static void test_time_wait_fin_reacked_restarts(void **state)
{
    (void)state;
    struct conn k;
    tst_open_active(&k, tweak_small_timers, NULL);
    to_time_wait(&k);
    env_advance(k.e, 6 * SEC);
    tst_peer(&k, k.rcv - 1, k.snd, FIN | ACK, NULL, 0);
    tst_expect_seg(k.e, NULL, ACK, k.snd, k.rcv, 0);
    tst_expect_none(k.e);
    env_advance(k.e, 10 * SEC - 1);
    assert_int_equal(tcp_sock_state(k.c), TCP_TIME_WAIT);
    env_advance(k.e, 1);
    assert_int_equal(tcp_sock_state(k.c), TCP_CLOSED);
    tst_end_env(k.e);
}

/* A new SYN above the old sequence space takes over the TIME-WAIT
 * 4-tuple (RFC 9293 3.10.7.4 via RFC 1122 4.2.2.13). */
static void test_time_wait_new_syn_reuses(void **state)
{
    (void)state;
    struct stack_env *e = tst_new_env(NULL);
    struct tcp_sock *l = tp_listen(e, LISTEN_PORT, 8);
    struct tp_out sa;
    struct conn k = {.e = e, .port = LISTEN_PORT, .peer_port = TP_PEER_PORT};
    k.c = tp_accept_conn(e, l, LISTEN_PORT, PEER_ISN, &tst_mss_only, &sa);
    k.snd = sa.t.seq + 1;
    k.rcv = PEER_ISN + 1;
    to_time_wait(&k);
    tst_peer_syn(e, TP_PEER_PORT, k.rcv + 100000, &sa);
    assert_int_equal(env_ctr(e, CTR_TCP_TIMEWAIT_REUSED), 1);
    assert_int_equal(tcp_sock_state(k.c), TCP_CLOSED);
    assert_int_equal(table_state(e, TP_PEER_PORT), TCP_SYN_RECEIVED);
    tst_expect_none(e);
    tst_end_env(e);
}

/* A SYN below the old connection's sequence space does not take the
 * TIME-WAIT over: it is answered with an ACK (RFC 9293 3.10.7.4). */
static void test_time_wait_old_syn_acked(void **state)
{
    (void)state;
    struct stack_env *e = tst_new_env(NULL);
    struct tcp_sock *l = tp_listen(e, LISTEN_PORT, 8);
    struct tp_out sa;
    struct conn k = {.e = e, .port = LISTEN_PORT, .peer_port = TP_PEER_PORT};
    k.c = tp_accept_conn(e, l, LISTEN_PORT, PEER_ISN, &tst_mss_only, &sa);
    k.snd = sa.t.seq + 1;
    k.rcv = PEER_ISN + 1;
    to_time_wait(&k);
    tst_peer(&k, k.rcv - 1000, 0, SYN, NULL, 0);
    tst_expect_seg(e, NULL, ACK, k.snd, k.rcv, 0);
    tst_expect_none(e);
    assert_int_equal(env_ctr(e, CTR_TCP_TIMEWAIT_REUSED), 0);
    assert_int_equal(tcp_sock_state(k.c), TCP_TIME_WAIT);
    tst_end_env(e);
}

/* connect() from the same port to the same peer with SO_REUSEADDR over a
 * connection in TIME-WAIT. */
static void test_time_wait_connect_reuseaddr(void **state)
{
    (void)state;
    struct conn k;
    k.e = tst_new_env(NULL);
    k.c = tcp_sock_open(k.e->s, NULL, NULL);
    assert_int_equal(tcp_sock_setopt(k.c, TCP_OPT_REUSEADDR, 1), 0);
    struct ip_endpoint here = env_ep(0, 5555);
    assert_int_equal(tcp_sock_bind(k.c, &here), 0);
    struct ip_endpoint to = env_ep(ENV_IP_PEER, TP_PEER_PORT);
    assert_int_equal(tcp_sock_connect(k.c, &to, k.e->now), -EINPROGRESS);
    struct tp_out syn;
    tp_take(k.e, &syn);
    assert_int_equal(syn.t.flags, SYN);
    assert_int_equal(syn.t.sport, 5555);
    k.port = 5555;
    k.peer_port = TP_PEER_PORT;
    k.snd = syn.t.seq + 1;
    k.rcv = PEER_ISN + 1;
    tst_peer(&k, PEER_ISN, k.snd, SYN | ACK, NULL, 0);
    tst_expect_seg(k.e, NULL, ACK, k.snd, k.rcv, 0);
    to_time_wait(&k);

    struct tcp_sock *c2 = tcp_sock_open(k.e->s, NULL, NULL);
    assert_int_equal(tcp_sock_setopt(c2, TCP_OPT_REUSEADDR, 1), 0);
    assert_int_equal(tcp_sock_bind(c2, &here), 0);
    k.e->now += SEC;
    assert_int_equal(tcp_sock_connect(c2, &to, k.e->now), -EINPROGRESS);
    assert_int_equal(tcp_sock_state(c2), TCP_SYN_SENT);
    tp_take(k.e, &syn);
    assert_int_equal(syn.t.flags, SYN);
    assert_int_equal(syn.t.sport, 5555);
    assert_int_equal(syn.t.dport, TP_PEER_PORT);
    assert_int_equal(tcp_sock_state(k.c), TCP_CLOSED);
    tst_end_env(k.e);
}

/* ---- listen queues ---- */

static void tweak_synq2_nocookies(struct stack_config *cfg, struct netif_config *ncfg)
{
    (void)ncfg;
    cfg->tcp.syn_backlog = 2;
    cfg->tcp.syncookies = 0;
}

/* The SYN queue holds syn_backlog children; without cookies the next
 * SYN is dropped silently and counted. */
static void test_listen_syn_queue_bounded(void **state)
{
    (void)state;
    struct stack_env *e = tst_new_env(tweak_synq2_nocookies);
    struct tcp_sock *l = tp_listen(e, LISTEN_PORT, 8);
    struct tp_out sa1, sa2, sa3;
    tst_peer_syn(e, 40001, 1000, &sa1);
    tst_peer_syn(e, 40002, 2000, &sa2);
    tst_peer_syn(e, 40003, 3000, NULL);
    tst_expect_none(e);
    assert_int_equal(env_ctr(e, CTR_TCP_LISTEN_DROPS), 1);
    assert_int_equal(table_state(e, 40003), TCP_CLOSED);
    /* One handshake completes: room for the retried SYN. */
    tst_peer_third_ack(e, 40001, 1000, &sa1);
    tst_peer_syn(e, 40003, 3000, &sa3);
    assert_int_equal(table_state(e, 40003), TCP_SYN_RECEIVED);
    assert_int_equal(env_ctr(e, CTR_TCP_LISTEN_DROPS), 1);
    (void)l;
    tst_end_env(e);
}

/* The accept queue holds backlog connections: a third ACK beyond it is
 * dropped and counted (Linux), the child stays in SYN-RECEIVED and
 * completes when the application has made room. */
static void test_listen_accept_queue_bounded(void **state)
{
    (void)state;
    struct stack_env *e = tst_new_env(NULL);
    struct tcp_sock *l = tp_listen(e, LISTEN_PORT, 1);
    struct tp_out sa1, sa2;
    tst_peer_syn(e, 40001, 1000, &sa1);
    tst_peer_syn(e, 40002, 2000, &sa2);
    tst_peer_third_ack(e, 40001, 1000, &sa1);
    tst_peer_third_ack(e, 40002, 2000, &sa2);
    tst_expect_none(e); /* no RST either */
    assert_int_equal(env_ctr(e, CTR_TCP_LISTEN_OVERFLOWS), 1);
    assert_int_equal(table_state(e, 40002), TCP_SYN_RECEIVED);

    int err = 0;
    struct ip_endpoint pe;
    struct tcp_sock *c1 = tcp_sock_accept(l, NULL, NULL, &err);
    assert_non_null(c1);
    assert_int_equal(tcp_sock_getpeername(c1, &pe), 0);
    assert_int_equal(pe.port, 40001);
    assert_null(tcp_sock_accept(l, NULL, NULL, &err));
    assert_int_equal(err, -EAGAIN);

    /* The peer's next ACK (it believes it is connected) finds room. */
    tst_peer_third_ack(e, 40002, 2000, &sa2);
    tst_expect_none(e);
    struct tcp_sock *c2 = tcp_sock_accept(l, NULL, NULL, &err);
    assert_non_null(c2);
    assert_int_equal(tcp_sock_state(c2), TCP_ESTABLISHED);
    assert_int_equal(tcp_sock_getpeername(c2, &pe), 0);
    assert_int_equal(pe.port, 40002);
    tst_end_env(e);
}

/* Closing a listener resets the connections no one accepted (Linux
 * inet_csk_listen_stop); the port is closed afterwards. */
static void test_listen_close_resets_children(void **state)
{
    (void)state;
    struct stack_env *e = tst_new_env(NULL);
    struct tcp_sock *l = tp_listen(e, LISTEN_PORT, 8);
    struct tp_out sa;
    tst_peer_syn(e, 40001, 1000, &sa);
    tst_peer_third_ack(e, 40001, 1000, &sa);
    tst_expect_none(e);
    tcp_sock_close(l, e->now);
    struct tp_out r;
    tst_expect_seg(e, &r, RST | ACK, sa.t.seq + 1, 1001, 0);
    assert_int_equal(r.t.dport, 40001);
    tst_expect_none(e);
    /* The child is gone: its next segment meets CLOSED (<SEQ=SEG.ACK><RST>). */
    tp_send(e, &(struct tp_seg){.sport = 40001, .dport = LISTEN_PORT, .seq = 1001,
                                .ack = sa.t.seq + 1, .flags = ACK | PSH, .payload = "x",
                                .len = 1});
    tst_expect_seg(e, NULL, RST, sa.t.seq + 1, 0, 0);
    /* And so is the listener. */
    tp_send(e, &(struct tp_seg){.sport = 40005, .dport = LISTEN_PORT, .seq = 5000,
                                .flags = SYN});
    tst_expect_seg(e, NULL, RST | ACK, 0, 5001, 0);
    tst_end_env(e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_passive_open, tst_teardown),
        cmocka_unit_test_teardown(test_active_open, tst_teardown),
        cmocka_unit_test_teardown(test_simultaneous_open, tst_teardown),
        cmocka_unit_test_teardown(test_active_close, tst_teardown),
        cmocka_unit_test_teardown(test_simultaneous_close, tst_teardown),
        cmocka_unit_test_teardown(test_fin_wait_1_fin_ack_to_time_wait, tst_teardown),
        cmocka_unit_test_teardown(test_passive_close, tst_teardown),
        cmocka_unit_test_teardown(test_fin_acked_with_our_fin, tst_teardown),
        cmocka_unit_test_teardown(test_half_close_we_keep_receiving, tst_teardown),
        cmocka_unit_test_teardown(test_half_close_peer_we_keep_sending, tst_teardown),
        cmocka_unit_test_teardown(test_rst_syn_sent_acceptable, tst_teardown),
        cmocka_unit_test_teardown(test_rst_syn_sent_bad_ack_ignored, tst_teardown),
        cmocka_unit_test_teardown(test_rst_syn_received, tst_teardown),
        cmocka_unit_test_teardown(test_rst_established, tst_teardown),
        cmocka_unit_test_teardown(test_rst_fin_wait_1, tst_teardown),
        cmocka_unit_test_teardown(test_rst_fin_wait_2, tst_teardown),
        cmocka_unit_test_teardown(test_rst_close_wait, tst_teardown),
        cmocka_unit_test_teardown(test_rst_closing, tst_teardown),
        cmocka_unit_test_teardown(test_rst_last_ack, tst_teardown),
        cmocka_unit_test_teardown(test_rst_time_wait, tst_teardown),
        cmocka_unit_test_teardown(test_rst_in_window_challenge_ack, tst_teardown),
        cmocka_unit_test_teardown(test_syn_in_established_challenge_ack, tst_teardown),
        cmocka_unit_test_teardown(test_syn_sent_bad_ack_gets_rst, tst_teardown),
        cmocka_unit_test_teardown(test_time_wait_lasts_exactly, tst_teardown),
        cmocka_unit_test_teardown(test_time_wait_fin_reacked_restarts, tst_teardown),
        cmocka_unit_test_teardown(test_time_wait_new_syn_reuses, tst_teardown),
        cmocka_unit_test_teardown(test_time_wait_old_syn_acked, tst_teardown),
        cmocka_unit_test_teardown(test_time_wait_connect_reuseaddr, tst_teardown),
        cmocka_unit_test_teardown(test_listen_syn_queue_bounded, tst_teardown),
        cmocka_unit_test_teardown(test_listen_accept_queue_bounded, tst_teardown),
        cmocka_unit_test_teardown(test_listen_close_resets_children, tst_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
