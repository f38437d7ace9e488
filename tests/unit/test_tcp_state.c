/* test_tcp_state.c - the TCP state machine and its timers against a
 * scripted peer: RFC 9293's state diagram (3.3.2, figures 6-13), RST
 * processing in every state (3.10.7 with RFC 5961 3.2), TIME-WAIT (3.10.8,
 * RFC 6191), listen queues, Linux's errno semantics, the retransmission
 * timer (RFC 6298), delayed ACKs (RFC 1122 4.2.3.2), Nagle (RFC 1122
 * 4.2.3.4), zero-window probes (RFC 9293 3.8.6.1) and keepalive (RFC 1122
 * 4.2.3.6). Every test asserts the exact segments on the wire.
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

#define PEER_ISN 700000u
#define LISTEN_PORT 80
#define MS NS_PER_MS
#define SEC NS_PER_SEC
#define ACK TCP_FLAG_ACK
#define SYN TCP_FLAG_SYN
#define FIN TCP_FLAG_FIN
#define RST TCP_FLAG_RST
#define PSH TCP_FLAG_PSH

static const struct tcp_options mss_only = {.has_mss = true, .mss = 1460};
static const struct tcp_options mss_sack = {.has_mss = true, .mss = 1460,
                                            .sack_permitted = true};

/* ---- fixture helpers ---- */

/* The test's stack, freed by the teardown even when an assertion fails
 * half-way (so a failing test does not also show up as leaks). */
static struct stack_env *cur_env;

static struct stack_env *new_env(env_tweak_fn tweak)
{
    cur_env = tp_env(tweak);
    return cur_env;
}

static void end_env(struct stack_env *e)
{
    assert_ptr_equal(e, cur_env);
    env_free(e);
    cur_env = NULL;
}

static int teardown(void **state)
{
    (void)state;
    if (cur_env != NULL)
        env_free(cur_env);
    cur_env = NULL;
    return 0;
}

/* One connection and the sequence numbers both sides are at. */
struct conn {
    struct stack_env *e;
    struct tcp_sock *c;
    uint16_t port;               /* our port */
    uint16_t peer_port;
    uint32_t snd;                /* our next sequence number (SND.NXT) */
    uint32_t rcv;                /* the peer's next one (RCV.NXT) */
};

/* An active open in ESTABLISHED, the handshake answered at once. */
static void open_active(struct conn *k, env_tweak_fn tweak, const struct tcp_options *o)
{
    k->e = new_env(tweak);
    struct tp_out syn;
    k->c = tp_connect_conn(k->e, PEER_ISN, o != NULL ? o : &mss_only, &syn);
    k->port = syn.t.sport;
    k->peer_port = TP_PEER_PORT;
    k->snd = syn.t.seq + 1;
    k->rcv = PEER_ISN + 1;
    assert_int_equal(tp_pending(k->e), 0);
}

/* A segment from the peer on the connection. */
static void peer(struct conn *k, uint32_t seq, uint32_t ack, uint8_t flags, const void *data,
                 size_t len)
{
    tp_send(k->e, &(struct tp_seg){.sport = k->peer_port, .dport = k->port, .seq = seq,
                                   .ack = ack, .flags = flags, .payload = data, .len = len});
}

/* Take the next segment we sent and check its flags (exactly), seq, ack
 * (when ACK is set) and payload length. */
static void expect_seg(struct stack_env *e, struct tp_out *o, uint8_t flags, uint32_t seq,
                       uint32_t ack, size_t len)
{
    struct tp_out tmp;
    if (o == NULL)
        o = &tmp;
    tp_take(e, o);
    assert_int_equal(o->t.flags, flags);
    assert_int_equal(o->t.seq, seq);
    if (flags & ACK)
        assert_int_equal(o->t.ack, ack);
    else
        assert_int_equal(o->t.ack, 0);
    assert_int_equal(o->t.payload_len, len);
}

static void expect_none(struct stack_env *e)
{
    assert_int_equal(tp_pending(e), 0);
}

/* Let ns pass in two steps: nothing is sent at ns - 1, and then at ns. */
static void advance_exactly(struct stack_env *e, uint64_t ns)
{
    env_advance(e, ns - 1);
    expect_none(e);
    env_advance(e, 1);
}

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
    expect_seg(k->e, NULL, FIN | ACK, k->snd, k->rcv, 0);
    assert_int_equal(tcp_sock_state(k->c), TCP_FIN_WAIT_1);
    peer(k, k->rcv, k->snd + 1, ACK, NULL, 0);
    k->snd++;
    assert_int_equal(tcp_sock_state(k->c), TCP_FIN_WAIT_2);
    expect_none(k->e);
}

/* From FIN-WAIT-2 the peer's FIN: TIME-WAIT, and our ACK of it. */
static void to_time_wait(struct conn *k)
{
    to_fin_wait_2(k);
    peer(k, k->rcv, k->snd, FIN | ACK, NULL, 0);
    k->rcv++;
    assert_int_equal(tcp_sock_state(k->c), TCP_TIME_WAIT);
    expect_seg(k->e, NULL, ACK, k->snd, k->rcv, 0);
}

/* The peer closes first: CLOSE-WAIT, and our immediate ACK of its FIN. */
static void to_close_wait(struct conn *k)
{
    peer(k, k->rcv, k->snd, FIN | ACK, NULL, 0);
    k->rcv++;
    assert_int_equal(tcp_sock_state(k->c), TCP_CLOSE_WAIT);
    expect_seg(k->e, NULL, ACK, k->snd, k->rcv, 0);
}

/* A SYN from sport to the listener; returns our SYN-ACK. */
static void peer_syn(struct stack_env *e, uint16_t sport, uint32_t isn, struct tp_out *synack)
{
    tp_send(e, &(struct tp_seg){.sport = sport, .dport = LISTEN_PORT, .seq = isn,
                                .flags = SYN, .opt = &mss_only});
    if (synack != NULL) {
        tp_take(e, synack);
        assert_int_equal(synack->t.flags, SYN | ACK);
        assert_int_equal(synack->t.ack, isn + 1);
    }
}

/* The third ACK of the handshake from sport. */
static void peer_third_ack(struct stack_env *e, uint16_t sport, uint32_t isn,
                           const struct tp_out *synack)
{
    tp_send(e, &(struct tp_seg){.sport = sport, .dport = LISTEN_PORT, .seq = isn + 1,
                                .ack = synack->t.seq + 1, .flags = ACK});
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
    struct stack_env *e = new_env(NULL);
    struct tcp_sock *l = tp_listen(e, LISTEN_PORT, 8);
    assert_int_equal(tcp_sock_state(l), TCP_LISTEN);
    struct tp_out sa;
    peer_syn(e, TP_PEER_PORT, PEER_ISN, &sa);
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

    peer_third_ack(e, TP_PEER_PORT, PEER_ISN, &sa);
    expect_none(e);
    struct tcp_sock *c = tcp_sock_accept(l, NULL, NULL, &err);
    assert_non_null(c);
    assert_int_equal(tcp_sock_state(c), TCP_ESTABLISHED);
    assert_int_equal(tcp_sock_state(l), TCP_LISTEN);
    assert_int_equal(env_ctr(e, CTR_TCP_PASSIVE_OPENS), 1);
    assert_int_equal(env_ctr(e, CTR_TCP_CONN_ESTABLISHED), 1);
    end_env(e);
}

/* CLOSED -> SYN-SENT -> ESTABLISHED (RFC 9293 3.5 figure 6, A's side). */
static void test_active_open(void **state)
{
    (void)state;
    struct stack_env *e = new_env(NULL);
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
                                .flags = SYN | ACK, .opt = &mss_only});
    assert_int_equal(tcp_sock_state(c), TCP_ESTABLISHED);
    struct tp_out a;
    expect_seg(e, &a, ACK, iss + 1, PEER_ISN + 1, 0);
    assert_int_equal(a.t.window, 65535);
    assert_int_equal(a.t.options_len, 0); /* no timestamps agreed */
    expect_none(e);
    end_env(e);
}

/* SYN-SENT -> SYN-RECEIVED -> ESTABLISHED (RFC 9293 3.5 figure 7): both
 * SYNs cross; each side answers SYN-ACK with its original ISN; the
 * peer's SYN-ACK (line 6 of the figure) completes our side, as Linux's
 * tcp_validate_incoming lets it ("goto pass" for that SYN-ACK). */
static void test_simultaneous_open(void **state)
{
    (void)state;
    struct stack_env *e = new_env(NULL);
    struct tcp_sock *c = tcp_sock_open(e->s, NULL, NULL);
    struct ip_endpoint to = env_ep(ENV_IP_PEER, TP_PEER_PORT);
    assert_int_equal(tcp_sock_connect(c, &to, e->now), -EINPROGRESS);
    struct tp_out syn;
    tp_take(e, &syn);
    assert_int_equal(syn.t.flags, SYN);
    uint32_t iss = syn.t.seq;
    tp_send(e, &(struct tp_seg){.dport = syn.t.sport, .seq = PEER_ISN, .flags = SYN,
                                .opt = &mss_only});
    assert_int_equal(tcp_sock_state(c), TCP_SYN_RECEIVED);
    struct tp_out sa;
    expect_seg(e, &sa, SYN | ACK, iss, PEER_ISN + 1, 0);
    assert_true(sa.t.opt.has_mss);
    assert_false(sa.t.opt.has_wscale); /* the peer's SYN had none */
    assert_false(sa.t.opt.has_ts);
    expect_none(e);
    tp_send(e, &(struct tp_seg){.dport = syn.t.sport, .seq = PEER_ISN, .ack = iss + 1,
                                .flags = SYN | ACK, .opt = &mss_only});
    assert_int_equal(tcp_sock_state(c), TCP_ESTABLISHED);
    assert_int_equal(tcp_sock_error(c), 0);
    end_env(e);
}

/* ESTABLISHED -> FIN-WAIT-1 -> FIN-WAIT-2 -> TIME-WAIT -> CLOSED
 * (RFC 9293 3.6 figure 12). */
static void test_active_close(void **state)
{
    (void)state;
    struct conn k;
    open_active(&k, tweak_small_timers, NULL);
    to_time_wait(&k);
    env_advance(k.e, 10 * SEC);
    assert_int_equal(tcp_sock_state(k.c), TCP_CLOSED);
    assert_int_equal(tcp_sock_error(k.c), 0);
    expect_none(k.e);
    end_env(k.e);
}

/* FIN-WAIT-1 -> CLOSING -> TIME-WAIT (RFC 9293 3.6 figure 13). */
static void test_simultaneous_close(void **state)
{
    (void)state;
    struct conn k;
    open_active(&k, NULL, NULL);
    assert_int_equal(tcp_sock_shutdown(k.c, 1, k.e->now), 0);
    expect_seg(k.e, NULL, FIN | ACK, k.snd, k.rcv, 0);
    assert_int_equal(tcp_sock_state(k.c), TCP_FIN_WAIT_1);
    /* The peer's FIN crosses ours: it has not seen our FIN yet. */
    peer(&k, k.rcv, k.snd, FIN | ACK, NULL, 0);
    assert_int_equal(tcp_sock_state(k.c), TCP_CLOSING);
    expect_seg(k.e, NULL, ACK, k.snd + 1, k.rcv + 1, 0);
    expect_none(k.e);
    peer(&k, k.rcv + 1, k.snd + 1, ACK, NULL, 0);
    assert_int_equal(tcp_sock_state(k.c), TCP_TIME_WAIT);
    expect_none(k.e);
    end_env(k.e);
}

/* FIN-WAIT-1 receiving FIN with the ACK of our FIN goes to TIME-WAIT. */
static void test_fin_wait_1_fin_ack_to_time_wait(void **state)
{
    (void)state;
    struct conn k;
    open_active(&k, NULL, NULL);
    assert_int_equal(tcp_sock_shutdown(k.c, 1, k.e->now), 0);
    expect_seg(k.e, NULL, FIN | ACK, k.snd, k.rcv, 0);
    peer(&k, k.rcv, k.snd + 1, FIN | ACK, NULL, 0);
    assert_int_equal(tcp_sock_state(k.c), TCP_TIME_WAIT);
    expect_seg(k.e, NULL, ACK, k.snd + 1, k.rcv + 1, 0);
    expect_none(k.e);
    end_env(k.e);
}

/* ESTABLISHED -> CLOSE-WAIT -> LAST-ACK -> CLOSED. */
static void test_passive_close(void **state)
{
    (void)state;
    struct conn k;
    open_active(&k, NULL, NULL);
    to_close_wait(&k);
    char buf[4];
    assert_int_equal(tcp_sock_recv(k.c, buf, sizeof buf, k.e->now), 0);
    assert_int_equal(tcp_sock_shutdown(k.c, 1, k.e->now), 0);
    assert_int_equal(tcp_sock_state(k.c), TCP_LAST_ACK);
    expect_seg(k.e, NULL, FIN | ACK, k.snd, k.rcv, 0);
    peer(&k, k.rcv, k.snd + 1, ACK, NULL, 0);
    assert_int_equal(tcp_sock_state(k.c), TCP_CLOSED);
    assert_int_equal(tcp_sock_error(k.c), 0);
    expect_none(k.e);
    end_env(k.e);
}

/* SHUT_WR: our FIN is out and acked, the peer's data still arrives. */
static void test_half_close_we_keep_receiving(void **state)
{
    (void)state;
    struct conn k;
    open_active(&k, NULL, NULL);
    to_fin_wait_2(&k);
    peer(&k, k.rcv, k.snd, ACK | PSH, "abc", 3);
    char buf[8];
    assert_int_equal(tcp_sock_recv(k.c, buf, sizeof buf, k.e->now), 3);
    assert_memory_equal(buf, "abc", 3);
    assert_int_equal(tcp_sock_state(k.c), TCP_FIN_WAIT_2);
    /* A small segment: the ACK is delayed (RFC 1122 4.2.3.2). */
    advance_exactly(k.e, 40 * MS);
    expect_seg(k.e, NULL, ACK, k.snd, k.rcv + 3, 0);
    assert_int_equal(tcp_sock_send(k.c, "x", 1, k.e->now), -EPIPE);
    end_env(k.e);
}

/* The peer half-closes: we read EOF and keep sending. */
static void test_half_close_peer_we_keep_sending(void **state)
{
    (void)state;
    struct conn k;
    open_active(&k, NULL, NULL);
    to_close_wait(&k);
    char buf[4];
    assert_int_equal(tcp_sock_recv(k.c, buf, sizeof buf, k.e->now), 0);
    assert_int_equal(tcp_sock_send(k.c, "xyz", 3, k.e->now), 3);
    struct tp_out d;
    expect_seg(k.e, &d, ACK | PSH, k.snd, k.rcv, 3);
    assert_memory_equal(d.t.payload, "xyz", 3);
    peer(&k, k.rcv, k.snd + 3, ACK, NULL, 0);
    assert_int_equal(tcp_sock_state(k.c), TCP_CLOSE_WAIT);
    expect_none(k.e);
    end_env(k.e);
}

/* ---- RST processing (RFC 9293 3.10.7, RFC 5961 3.2) ---- */

static void test_rst_syn_sent_acceptable(void **state)
{
    (void)state;
    struct stack_env *e = new_env(NULL);
    struct tcp_sock *c = tcp_sock_open(e->s, NULL, NULL);
    struct ip_endpoint to = env_ep(ENV_IP_PEER, TP_PEER_PORT);
    assert_int_equal(tcp_sock_connect(c, &to, e->now), -EINPROGRESS);
    struct tp_out syn;
    tp_take(e, &syn);
    tp_send(e, &(struct tp_seg){.dport = syn.t.sport, .seq = 0, .ack = syn.t.seq + 1,
                                .flags = RST | ACK});
    assert_int_equal(tcp_sock_state(c), TCP_CLOSED);
    assert_int_equal(tcp_sock_error(c), ECONNREFUSED);
    expect_none(e);
    end_env(e);
}

/* SYN-SENT: a RST whose ACK does not cover our SYN is dropped. */
static void test_rst_syn_sent_bad_ack_ignored(void **state)
{
    (void)state;
    struct stack_env *e = new_env(NULL);
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
    expect_none(e); /* never a RST for a RST */
    /* The handshake still completes. */
    tp_send(e, &(struct tp_seg){.dport = syn.t.sport, .seq = PEER_ISN, .ack = syn.t.seq + 1,
                                .flags = SYN | ACK, .opt = &mss_only});
    assert_int_equal(tcp_sock_state(c), TCP_ESTABLISHED);
    end_env(e);
}

/* SYN-RECEIVED from a passive open: the child goes, the listener stays. */
static void test_rst_syn_received(void **state)
{
    (void)state;
    struct stack_env *e = new_env(NULL);
    struct tcp_sock *l = tp_listen(e, LISTEN_PORT, 8);
    struct tp_out sa;
    peer_syn(e, TP_PEER_PORT, PEER_ISN, &sa);
    assert_int_equal(table_state(e, TP_PEER_PORT), TCP_SYN_RECEIVED);
    tp_send(e, &(struct tp_seg){.dport = LISTEN_PORT, .seq = PEER_ISN + 1, .flags = RST});
    expect_none(e);
    assert_int_equal(table_state(e, TP_PEER_PORT), TCP_CLOSED);
    assert_int_equal(tcp_sock_state(l), TCP_LISTEN);
    assert_int_equal(tcp_sock_error(l), 0);
    int err = 0;
    assert_null(tcp_sock_accept(l, NULL, NULL, &err));
    assert_int_equal(err, -EAGAIN);
    /* The listener still takes connections, from the same port too. */
    peer_syn(e, TP_PEER_PORT, PEER_ISN + 5000, &sa);
    end_env(e);
}

/* ESTABLISHED, FIN-WAIT-1, FIN-WAIT-2, CLOSE-WAIT: RST at RCV.NXT ->
 * CLOSED with ECONNRESET. */
static void rst_resets(struct conn *k, enum tcp_state st)
{
    assert_int_equal(tcp_sock_state(k->c), st);
    peer(k, k->rcv, 0, RST, NULL, 0);
    assert_int_equal(tcp_sock_state(k->c), TCP_CLOSED);
    assert_int_equal(tcp_sock_error(k->c), ECONNRESET);
    expect_none(k->e);
    end_env(k->e);
}

static void test_rst_established(void **state)
{
    (void)state;
    struct conn k;
    open_active(&k, NULL, NULL);
    rst_resets(&k, TCP_ESTABLISHED);
}

static void test_rst_fin_wait_1(void **state)
{
    (void)state;
    struct conn k;
    open_active(&k, NULL, NULL);
    assert_int_equal(tcp_sock_shutdown(k.c, 1, k.e->now), 0);
    expect_seg(k.e, NULL, FIN | ACK, k.snd, k.rcv, 0);
    rst_resets(&k, TCP_FIN_WAIT_1);
}

static void test_rst_fin_wait_2(void **state)
{
    (void)state;
    struct conn k;
    open_active(&k, NULL, NULL);
    to_fin_wait_2(&k);
    rst_resets(&k, TCP_FIN_WAIT_2);
}

static void test_rst_close_wait(void **state)
{
    (void)state;
    struct conn k;
    open_active(&k, NULL, NULL);
    to_close_wait(&k);
    rst_resets(&k, TCP_CLOSE_WAIT);
}

/* CLOSING, LAST-ACK, TIME-WAIT: RST -> CLOSED, no error. */
static void rst_closes_quietly(struct conn *k, enum tcp_state st)
{
    assert_int_equal(tcp_sock_state(k->c), st);
    peer(k, k->rcv, 0, RST, NULL, 0);
    assert_int_equal(tcp_sock_state(k->c), TCP_CLOSED);
    assert_int_equal(tcp_sock_error(k->c), 0);
    expect_none(k->e);
    end_env(k->e);
}

static void test_rst_closing(void **state)
{
    (void)state;
    struct conn k;
    open_active(&k, NULL, NULL);
    assert_int_equal(tcp_sock_shutdown(k.c, 1, k.e->now), 0);
    expect_seg(k.e, NULL, FIN | ACK, k.snd, k.rcv, 0);
    peer(&k, k.rcv, k.snd, FIN | ACK, NULL, 0);
    k.rcv++;
    expect_seg(k.e, NULL, ACK, k.snd + 1, k.rcv, 0);
    rst_closes_quietly(&k, TCP_CLOSING);
}

static void test_rst_last_ack(void **state)
{
    (void)state;
    struct conn k;
    open_active(&k, NULL, NULL);
    to_close_wait(&k);
    assert_int_equal(tcp_sock_shutdown(k.c, 1, k.e->now), 0);
    expect_seg(k.e, NULL, FIN | ACK, k.snd, k.rcv, 0);
    rst_closes_quietly(&k, TCP_LAST_ACK);
}

static void test_rst_time_wait(void **state)
{
    (void)state;
    struct conn k;
    open_active(&k, NULL, NULL);
    to_time_wait(&k);
    rst_closes_quietly(&k, TCP_TIME_WAIT);
}

/* RFC 5961 3.2: a RST in the window but not at RCV.NXT gets a challenge
 * ACK <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>; the connection survives. */
static void test_rst_in_window_challenge_ack(void **state)
{
    (void)state;
    struct conn k;
    open_active(&k, NULL, NULL);
    peer(&k, k.rcv + 1000, 0, RST, NULL, 0);
    assert_int_equal(tcp_sock_state(k.c), TCP_ESTABLISHED);
    assert_int_equal(tcp_sock_error(k.c), 0);
    struct tp_out a;
    expect_seg(k.e, &a, ACK, k.snd, k.rcv, 0);
    assert_int_equal(a.t.window, 65535);
    assert_int_equal(env_ctr(k.e, CTR_TCP_TX_CHALLENGE_ACKS), 1);
    expect_none(k.e);
    /* Data still flows both ways. */
    peer(&k, k.rcv, k.snd, ACK | PSH, "hi", 2);
    char buf[4];
    assert_int_equal(tcp_sock_recv(k.c, buf, sizeof buf, k.e->now), 2);
    end_env(k.e);
}

/* RFC 5961 4.2: a SYN in a synchronized state, even in the window, gets
 * a challenge ACK and never resets the connection. */
static void test_syn_in_established_challenge_ack(void **state)
{
    (void)state;
    struct conn k;
    open_active(&k, NULL, NULL);
    peer(&k, k.rcv + 10, 0, SYN, NULL, 0);
    expect_seg(k.e, NULL, ACK, k.snd, k.rcv, 0);
    assert_int_equal(tcp_sock_state(k.c), TCP_ESTABLISHED);
    assert_int_equal(tcp_sock_error(k.c), 0);
    assert_int_equal(env_ctr(k.e, CTR_TCP_TX_CHALLENGE_ACKS), 1);
    expect_none(k.e);
    end_env(k.e);
}

/* RFC 9293 3.10.7.3: in SYN-SENT an ACK of something we never sent gets
 * <SEQ=SEG.ACK><CTL=RST>; the connection attempt goes on. */
static void test_syn_sent_bad_ack_gets_rst(void **state)
{
    (void)state;
    struct stack_env *e = new_env(NULL);
    struct tcp_sock *c = tcp_sock_open(e->s, NULL, NULL);
    struct ip_endpoint to = env_ep(ENV_IP_PEER, TP_PEER_PORT);
    assert_int_equal(tcp_sock_connect(c, &to, e->now), -EINPROGRESS);
    struct tp_out syn;
    tp_take(e, &syn);
    tp_send(e, &(struct tp_seg){.dport = syn.t.sport, .seq = PEER_ISN, .ack = syn.t.seq + 100,
                                .flags = ACK});
    expect_seg(e, NULL, RST, syn.t.seq + 100, 0, 0);
    expect_none(e);
    assert_int_equal(tcp_sock_state(c), TCP_SYN_SENT);
    assert_int_equal(tcp_sock_error(c), 0);
    end_env(e);
}

/* ---- TIME-WAIT (RFC 9293 3.10.8, RFC 6191) ---- */

static void test_time_wait_lasts_exactly(void **state)
{
    (void)state;
    struct conn k;
    open_active(&k, tweak_small_timers, NULL);
    to_time_wait(&k);
    env_advance(k.e, 10 * SEC - 1);
    assert_int_equal(tcp_sock_state(k.c), TCP_TIME_WAIT);
    env_advance(k.e, 1);
    assert_int_equal(tcp_sock_state(k.c), TCP_CLOSED);
    expect_none(k.e);
    end_env(k.e);
}

/* A retransmitted FIN is ACKed again and restarts the 2*MSL timer. */
static void test_time_wait_fin_reacked_restarts(void **state)
{
    (void)state;
    struct conn k;
    open_active(&k, tweak_small_timers, NULL);
    to_time_wait(&k);
    env_advance(k.e, 6 * SEC);
    peer(&k, k.rcv - 1, k.snd, FIN | ACK, NULL, 0);
    expect_seg(k.e, NULL, ACK, k.snd, k.rcv, 0);
    expect_none(k.e);
    env_advance(k.e, 10 * SEC - 1);
    assert_int_equal(tcp_sock_state(k.c), TCP_TIME_WAIT);
    env_advance(k.e, 1);
    assert_int_equal(tcp_sock_state(k.c), TCP_CLOSED);
    end_env(k.e);
}

/* A new SYN above the old sequence space takes over the TIME-WAIT
 * 4-tuple (RFC 9293 3.10.7.4 via RFC 1122 4.2.2.13). */
static void test_time_wait_new_syn_reuses(void **state)
{
    (void)state;
    struct stack_env *e = new_env(NULL);
    struct tcp_sock *l = tp_listen(e, LISTEN_PORT, 8);
    struct tp_out sa;
    struct conn k = {.e = e, .port = LISTEN_PORT, .peer_port = TP_PEER_PORT};
    k.c = tp_accept_conn(e, l, LISTEN_PORT, PEER_ISN, &mss_only, &sa);
    k.snd = sa.t.seq + 1;
    k.rcv = PEER_ISN + 1;
    to_time_wait(&k);
    peer_syn(e, TP_PEER_PORT, k.rcv + 100000, &sa);
    assert_int_equal(env_ctr(e, CTR_TCP_TIMEWAIT_REUSED), 1);
    assert_int_equal(tcp_sock_state(k.c), TCP_CLOSED);
    assert_int_equal(table_state(e, TP_PEER_PORT), TCP_SYN_RECEIVED);
    expect_none(e);
    end_env(e);
}

/* A SYN below the old connection's sequence space does not take the
 * TIME-WAIT over: it is answered with an ACK (RFC 9293 3.10.7.4). */
static void test_time_wait_old_syn_acked(void **state)
{
    (void)state;
    struct stack_env *e = new_env(NULL);
    struct tcp_sock *l = tp_listen(e, LISTEN_PORT, 8);
    struct tp_out sa;
    struct conn k = {.e = e, .port = LISTEN_PORT, .peer_port = TP_PEER_PORT};
    k.c = tp_accept_conn(e, l, LISTEN_PORT, PEER_ISN, &mss_only, &sa);
    k.snd = sa.t.seq + 1;
    k.rcv = PEER_ISN + 1;
    to_time_wait(&k);
    peer(&k, k.rcv - 1000, 0, SYN, NULL, 0);
    expect_seg(e, NULL, ACK, k.snd, k.rcv, 0);
    expect_none(e);
    assert_int_equal(env_ctr(e, CTR_TCP_TIMEWAIT_REUSED), 0);
    assert_int_equal(tcp_sock_state(k.c), TCP_TIME_WAIT);
    end_env(e);
}

/* connect() from the same port to the same peer with SO_REUSEADDR over a
 * connection in TIME-WAIT. */
static void test_time_wait_connect_reuseaddr(void **state)
{
    (void)state;
    struct conn k;
    k.e = new_env(NULL);
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
    peer(&k, PEER_ISN, k.snd, SYN | ACK, NULL, 0);
    expect_seg(k.e, NULL, ACK, k.snd, k.rcv, 0);
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
    end_env(k.e);
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
    struct stack_env *e = new_env(tweak_synq2_nocookies);
    struct tcp_sock *l = tp_listen(e, LISTEN_PORT, 8);
    struct tp_out sa1, sa2, sa3;
    peer_syn(e, 40001, 1000, &sa1);
    peer_syn(e, 40002, 2000, &sa2);
    peer_syn(e, 40003, 3000, NULL);
    expect_none(e);
    assert_int_equal(env_ctr(e, CTR_TCP_LISTEN_DROPS), 1);
    assert_int_equal(table_state(e, 40003), TCP_CLOSED);
    /* One handshake completes: room for the retried SYN. */
    peer_third_ack(e, 40001, 1000, &sa1);
    peer_syn(e, 40003, 3000, &sa3);
    assert_int_equal(table_state(e, 40003), TCP_SYN_RECEIVED);
    assert_int_equal(env_ctr(e, CTR_TCP_LISTEN_DROPS), 1);
    (void)l;
    end_env(e);
}

/* The accept queue holds backlog connections: a third ACK beyond it is
 * dropped and counted (Linux), the child stays in SYN-RECEIVED and
 * completes when the application has made room. */
static void test_listen_accept_queue_bounded(void **state)
{
    (void)state;
    struct stack_env *e = new_env(NULL);
    struct tcp_sock *l = tp_listen(e, LISTEN_PORT, 1);
    struct tp_out sa1, sa2;
    peer_syn(e, 40001, 1000, &sa1);
    peer_syn(e, 40002, 2000, &sa2);
    peer_third_ack(e, 40001, 1000, &sa1);
    peer_third_ack(e, 40002, 2000, &sa2);
    expect_none(e); /* no RST either */
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
    peer_third_ack(e, 40002, 2000, &sa2);
    expect_none(e);
    struct tcp_sock *c2 = tcp_sock_accept(l, NULL, NULL, &err);
    assert_non_null(c2);
    assert_int_equal(tcp_sock_state(c2), TCP_ESTABLISHED);
    assert_int_equal(tcp_sock_getpeername(c2, &pe), 0);
    assert_int_equal(pe.port, 40002);
    end_env(e);
}

/* Closing a listener resets the connections no one accepted (Linux
 * inet_csk_listen_stop); the port is closed afterwards. */
static void test_listen_close_resets_children(void **state)
{
    (void)state;
    struct stack_env *e = new_env(NULL);
    struct tcp_sock *l = tp_listen(e, LISTEN_PORT, 8);
    struct tp_out sa;
    peer_syn(e, 40001, 1000, &sa);
    peer_third_ack(e, 40001, 1000, &sa);
    expect_none(e);
    tcp_sock_close(l, e->now);
    struct tp_out r;
    expect_seg(e, &r, RST | ACK, sa.t.seq + 1, 1001, 0);
    assert_int_equal(r.t.dport, 40001);
    expect_none(e);
    /* The child is gone: its next segment meets CLOSED (<SEQ=SEG.ACK><RST>). */
    tp_send(e, &(struct tp_seg){.sport = 40001, .dport = LISTEN_PORT, .seq = 1001,
                                .ack = sa.t.seq + 1, .flags = ACK | PSH, .payload = "x",
                                .len = 1});
    expect_seg(e, NULL, RST, sa.t.seq + 1, 0, 0);
    /* And so is the listener. */
    tp_send(e, &(struct tp_seg){.sport = 40005, .dport = LISTEN_PORT, .seq = 5000,
                                .flags = SYN});
    expect_seg(e, NULL, RST | ACK, 0, 5001, 0);
    end_env(e);
}

/* ---- errno semantics (Linux) ---- */

static void test_connect_closed_port_refused(void **state)
{
    (void)state;
    struct stack_env *e = new_env(NULL);
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
    expect_none(e);
    end_env(e);
}

static void test_send_after_peer_rst(void **state)
{
    (void)state;
    struct conn k;
    open_active(&k, NULL, NULL);
    peer(&k, k.rcv, 0, RST, NULL, 0);
    assert_int_equal(tcp_sock_send(k.c, "x", 1, k.e->now), -ECONNRESET);
    assert_int_equal(tcp_sock_send(k.c, "x", 1, k.e->now), -EPIPE);
    assert_int_equal(tcp_sock_send(k.c, "x", 1, k.e->now), -EPIPE);
    expect_none(k.e);
    end_env(k.e);
}

static void test_send_after_shutdown(void **state)
{
    (void)state;
    struct conn k;
    open_active(&k, NULL, NULL);
    assert_int_equal(tcp_sock_shutdown(k.c, 1, k.e->now), 0);
    expect_seg(k.e, NULL, FIN | ACK, k.snd, k.rcv, 0);
    assert_int_equal(tcp_sock_send(k.c, "x", 1, k.e->now), -EPIPE);
    expect_none(k.e);
    end_env(k.e);
}

static void test_recv_zero_at_eof(void **state)
{
    (void)state;
    struct conn k;
    open_active(&k, NULL, NULL);
    peer(&k, k.rcv, k.snd, ACK | PSH | FIN, "ab", 2);
    expect_seg(k.e, NULL, ACK, k.snd, k.rcv + 3, 0);
    char buf[8];
    assert_int_equal(tcp_sock_recv(k.c, buf, sizeof buf, k.e->now), 2);
    assert_memory_equal(buf, "ab", 2);
    assert_int_equal(tcp_sock_recv(k.c, buf, sizeof buf, k.e->now), 0);
    assert_int_equal(tcp_sock_recv(k.c, buf, sizeof buf, k.e->now), 0);
    assert_int_equal(tcp_sock_state(k.c), TCP_CLOSE_WAIT);
    end_env(k.e);
}

/* Unanswered SYNs: syn_retries retransmissions at rto_initial * 1, 2, 4,
 * 8, 16, 32 s (RFC 6298 5.5), then ETIMEDOUT one doubled RTO later. */
static void test_syn_timeout(void **state)
{
    (void)state;
    struct stack_env *e = new_env(NULL);
    assert_int_equal(e->cfg.tcp.rto_initial_ns, SEC);
    assert_int_equal(e->cfg.tcp.syn_retries, 6);
    struct tcp_sock *c = tcp_sock_open(e->s, NULL, NULL);
    struct ip_endpoint to = env_ep(ENV_IP_PEER, TP_PEER_PORT);
    assert_int_equal(tcp_sock_connect(c, &to, e->now), -EINPROGRESS);
    struct tp_out syn;
    tp_take(e, &syn);
    uint64_t rto = e->cfg.tcp.rto_initial_ns;
    for (int i = 0; i < 6; i++) {
        advance_exactly(e, rto);
        expect_seg(e, NULL, SYN, syn.t.seq, 0, 0);
        expect_none(e);
        assert_int_equal(tcp_sock_state(c), TCP_SYN_SENT);
        rto *= 2;
    }
    assert_int_equal(env_ctr(e, CTR_TCP_RETRANS_SEGS), 6);
    env_advance(e, rto - 1);
    assert_int_equal(tcp_sock_state(c), TCP_SYN_SENT);
    env_advance(e, 1);
    assert_int_equal(tcp_sock_state(c), TCP_CLOSED);
    assert_int_equal(tcp_sock_error(c), ETIMEDOUT);
    expect_none(e); /* nothing to reset: the peer never answered */
    assert_int_equal(env_ctr(e, CTR_TCP_CONN_TIMEOUTS), 1);
    end_env(e);
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
    open_active(&k, tweak_retries2_3, NULL);
    assert_int_equal(tcp_sock_send(k.c, "x", 1, k.e->now), 1);
    expect_seg(k.e, NULL, ACK | PSH, k.snd, k.rcv, 1);
    uint64_t rto = 200 * MS; /* RTT sample ~0: RTO = rto_min */
    for (int i = 0; i < 3; i++) {
        advance_exactly(k.e, rto);
        expect_seg(k.e, NULL, ACK | PSH, k.snd, k.rcv, 1);
        expect_none(k.e);
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
    expect_none(k.e);
    end_env(k.e);
}

/* RFC 2525 2.17: close() with unread data resets instead of FIN. */
static void test_close_with_unread_data_sends_rst(void **state)
{
    (void)state;
    struct conn k;
    open_active(&k, NULL, NULL);
    peer(&k, k.rcv, k.snd, ACK | PSH, "abc", 3);
    expect_none(k.e); /* delayed ACK pending */
    tcp_sock_close(k.c, k.e->now);
    expect_seg(k.e, NULL, RST | ACK, k.snd, k.rcv + 3, 0);
    expect_none(k.e);
    env_advance(k.e, SEC);
    expect_none(k.e); /* and no delayed ACK after it */
    end_env(k.e);
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
    struct stack_env *e = new_env(tweak_cookies_always);
    struct tcp_sock *l = tp_listen(e, LISTEN_PORT, 8);
    struct tp_out sa;
    peer_syn(e, TP_PEER_PORT, PEER_ISN, &sa);
    assert_int_equal(env_ctr(e, CTR_TCP_SYNCOOKIES_SENT), 1);
    env_advance(e, 300 * MS);
    peer_third_ack(e, TP_PEER_PORT, PEER_ISN, &sa);
    int err = 0;
    struct conn k = {.e = e, .port = LISTEN_PORT, .peer_port = TP_PEER_PORT,
                     .snd = sa.t.seq + 1, .rcv = PEER_ISN + 1};
    k.c = tcp_sock_accept(l, NULL, NULL, &err);
    assert_non_null(k.c);
    assert_int_equal(tcp_sock_send(k.c, "x", 1, e->now), 1);
    expect_seg(e, NULL, ACK | PSH, k.snd, k.rcv, 1);
    advance_exactly(e, e->cfg.tcp.rto_initial_ns);
    expect_seg(e, NULL, ACK | PSH, k.snd, k.rcv, 1);
    end_env(e);
}

/* An active open whose SYN-ACK comes rtt after the SYN. */
static void open_active_rtt(struct conn *k, env_tweak_fn tweak, uint64_t rtt)
{
    k->e = new_env(tweak);
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
                                   .flags = SYN | ACK, .opt = &mss_only});
    assert_int_equal(tcp_sock_state(k->c), TCP_ESTABLISHED);
    expect_seg(k->e, NULL, ACK, k->snd, k->rcv, 0);
}

/* One sample R = 100 ms: SRTT = R, RTTVAR = R/2, RTO = SRTT + 4*RTTVAR
 * = 300 ms (RFC 6298 2.2). */
static void test_rto_after_sample(void **state)
{
    (void)state;
    struct conn k;
    open_active_rtt(&k, NULL, 100 * MS);
    assert_int_equal(tcp_sock_send(k.c, "x", 1, k.e->now), 1);
    expect_seg(k.e, NULL, ACK | PSH, k.snd, k.rcv, 1);
    advance_exactly(k.e, 300 * MS);
    expect_seg(k.e, NULL, ACK | PSH, k.snd, k.rcv, 1);
    end_env(k.e);
}

/* A second sample R' = 100 ms after R = 100 ms (RFC 6298 2.3): RTTVAR =
 * 3/4 * 50 + 1/4 * 0 = 37.5 ms, SRTT = 100 ms, RTO = 250 ms. */
static void test_rto_second_sample(void **state)
{
    (void)state;
    struct conn k;
    open_active_rtt(&k, NULL, 100 * MS);
    assert_int_equal(tcp_sock_send(k.c, "x", 1, k.e->now), 1);
    expect_seg(k.e, NULL, ACK | PSH, k.snd, k.rcv, 1);
    env_advance(k.e, 100 * MS);
    peer(&k, k.rcv, k.snd + 1, ACK, NULL, 0);
    k.snd++;
    expect_none(k.e);
    assert_int_equal(tcp_sock_send(k.c, "y", 1, k.e->now), 1);
    expect_seg(k.e, NULL, ACK | PSH, k.snd, k.rcv, 1);
    advance_exactly(k.e, 250 * MS);
    expect_seg(k.e, NULL, ACK | PSH, k.snd, k.rcv, 1);
    end_env(k.e);
}

/* A tiny sample: the RTO is held at rto_min (RFC 6298 2.4, Linux 200 ms). */
static void test_rto_floor_min_rto(void **state)
{
    (void)state;
    struct conn k;
    open_active_rtt(&k, NULL, 1 * MS);
    assert_int_equal(tcp_sock_send(k.c, "x", 1, k.e->now), 1);
    expect_seg(k.e, NULL, ACK | PSH, k.snd, k.rcv, 1);
    advance_exactly(k.e, k.e->cfg.tcp.rto_min_ns);
    expect_seg(k.e, NULL, ACK | PSH, k.snd, k.rcv, 1);
    end_env(k.e);
}

/* RFC 6298 5.7: the SYN timed out and no RTT was measured: the RTO is
 * re-initialized to 3 s when data transmission begins (Linux
 * TCP_TIMEOUT_FALLBACK). */
static void test_rto_3s_after_syn_timeout(void **state)
{
    (void)state;
    struct stack_env *e = new_env(NULL);
    struct tcp_sock *c = tcp_sock_open(e->s, NULL, NULL);
    struct ip_endpoint to = env_ep(ENV_IP_PEER, TP_PEER_PORT);
    assert_int_equal(tcp_sock_connect(c, &to, e->now), -EINPROGRESS);
    struct tp_out syn;
    tp_take(e, &syn);
    advance_exactly(e, SEC);
    expect_seg(e, NULL, SYN, syn.t.seq, 0, 0);
    tp_send(e, &(struct tp_seg){.dport = syn.t.sport, .seq = PEER_ISN, .ack = syn.t.seq + 1,
                                .flags = SYN | ACK, .opt = &mss_only});
    expect_seg(e, NULL, ACK, syn.t.seq + 1, PEER_ISN + 1, 0);
    assert_int_equal(tcp_sock_send(c, "x", 1, e->now), 1);
    expect_seg(e, NULL, ACK | PSH, syn.t.seq + 1, PEER_ISN + 1, 1);
    env_advance(e, 3 * SEC - 1);
    assert_int_equal(tp_pending(e), 0); /* nothing before 3 s */
    env_advance(e, 1);
    expect_seg(e, NULL, ACK | PSH, syn.t.seq + 1, PEER_ISN + 1, 1);
    end_env(e);
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
    expect_seg(k.e, NULL, ACK | PSH, k.snd, k.rcv, 1);
    static const uint64_t gaps_ms[] = {200, 400, 800, 1600, 2000, 2000, 2000};
    for (size_t i = 0; i < sizeof gaps_ms / sizeof gaps_ms[0]; i++) {
        advance_exactly(k.e, gaps_ms[i] * MS);
        expect_seg(k.e, NULL, ACK | PSH, k.snd, k.rcv, 1);
        expect_none(k.e);
    }
    struct tcp_conn_info info;
    tcp_sock_info(k.c, &info);
    assert_int_equal(info.backoff, 7);
    assert_int_equal(info.rto_us, 2000000);
    end_env(k.e);
}

/* ---- delayed ACK (RFC 1122 4.2.3.2, RFC 5681 4.2) ---- */

static uint8_t full_seg[1460];

static void test_delack_one_full_segment(void **state)
{
    (void)state;
    struct conn k;
    open_active(&k, NULL, NULL);
    peer(&k, k.rcv, k.snd, ACK, full_seg, sizeof full_seg);
    expect_none(k.e);
    advance_exactly(k.e, k.e->cfg.tcp.delack_ns);
    struct tp_out a;
    expect_seg(k.e, &a, ACK, k.snd, k.rcv + 1460, 0);
    assert_int_equal(a.t.window, 65535);
    assert_int_equal(env_ctr(k.e, CTR_TCP_DELAYED_ACKS), 1);
    expect_none(k.e);
    end_env(k.e);
}

static void test_delack_two_full_segments_ack_at_once(void **state)
{
    (void)state;
    struct conn k;
    open_active(&k, NULL, NULL);
    peer(&k, k.rcv, k.snd, ACK, full_seg, sizeof full_seg);
    expect_none(k.e);
    peer(&k, k.rcv + 1460, k.snd, ACK, full_seg, sizeof full_seg);
    expect_seg(k.e, NULL, ACK, k.snd, k.rcv + 2920, 0);
    expect_none(k.e);
    env_advance(k.e, SEC);
    expect_none(k.e); /* the delayed-ACK timer was cancelled */
    assert_int_equal(env_ctr(k.e, CTR_TCP_DELAYED_ACKS), 0);
    end_env(k.e);
}

/* Out of order: an immediate duplicate ACK with a SACK block for what
 * arrived (RFC 5681 4.2, RFC 2018 4). */
static void test_delack_out_of_order_dupack_sack(void **state)
{
    (void)state;
    struct conn k;
    open_active(&k, NULL, &mss_sack);
    peer(&k, k.rcv + 1460, k.snd, ACK, full_seg, 100);
    struct tp_out a;
    expect_seg(k.e, &a, ACK, k.snd, k.rcv, 0);
    assert_int_equal(a.t.opt.n_sack, 1);
    assert_int_equal(a.t.opt.sack[0].left, k.rcv + 1460);
    assert_int_equal(a.t.opt.sack[0].right, k.rcv + 1560);
    expect_none(k.e);
    end_env(k.e);
}

/* ---- Nagle (RFC 1122 4.2.3.4, RFC 9293 3.7.4) ---- */

static void test_nagle_holds_second_small_write(void **state)
{
    (void)state;
    struct conn k;
    open_active(&k, NULL, NULL);
    assert_int_equal(tcp_sock_send(k.c, "a", 1, k.e->now), 1);
    expect_seg(k.e, NULL, ACK | PSH, k.snd, k.rcv, 1);
    assert_int_equal(tcp_sock_send(k.c, "b", 1, k.e->now), 1);
    expect_none(k.e);
    peer(&k, k.rcv, k.snd + 1, ACK, NULL, 0);
    struct tp_out d;
    expect_seg(k.e, &d, ACK | PSH, k.snd + 1, k.rcv, 1);
    assert_memory_equal(d.t.payload, "b", 1);
    expect_none(k.e);
    end_env(k.e);
}

static void test_nodelay_sends_at_once(void **state)
{
    (void)state;
    struct conn k;
    open_active(&k, NULL, NULL);
    assert_int_equal(tcp_sock_setopt(k.c, TCP_OPT_NODELAY, 1), 0);
    assert_int_equal(tcp_sock_send(k.c, "a", 1, k.e->now), 1);
    expect_seg(k.e, NULL, ACK | PSH, k.snd, k.rcv, 1);
    assert_int_equal(tcp_sock_send(k.c, "b", 1, k.e->now), 1);
    struct tp_out d;
    expect_seg(k.e, &d, ACK | PSH, k.snd + 1, k.rcv, 1);
    assert_memory_equal(d.t.payload, "b", 1);
    expect_none(k.e);
    end_env(k.e);
}

/* ---- zero window (RFC 9293 3.8.6.1, RFC 1122 4.2.2.17) ---- */

static void test_zero_window_persist(void **state)
{
    (void)state;
    struct conn k;
    open_active(&k, NULL, NULL);
    tp_send(k.e, &(struct tp_seg){.dport = k.port, .seq = k.rcv, .ack = k.snd, .flags = ACK,
                                  .zero_window = true});
    expect_none(k.e);
    assert_int_equal(tcp_sock_send(k.c, "hello", 5, k.e->now), 5);
    expect_none(k.e);
    /* Probes <SEQ=SND.UNA-1><ACK=RCV.NXT>, the interval doubling from the
     * RTO (200 ms here) as Linux's tcp_probe0. */
    static const uint64_t gaps_ms[] = {200, 400, 800};
    for (size_t i = 0; i < 3; i++) {
        advance_exactly(k.e, gaps_ms[i] * MS);
        expect_seg(k.e, NULL, ACK, k.snd - 1, k.rcv, 0);
        expect_none(k.e);
    }
    assert_int_equal(env_ctr(k.e, CTR_TCP_PERSIST_PROBES), 3);
    assert_int_equal(tcp_sock_state(k.c), TCP_ESTABLISHED);
    /* The window opens: the data goes at once. */
    peer(&k, k.rcv, k.snd, ACK, NULL, 0);
    struct tp_out d;
    expect_seg(k.e, &d, ACK | PSH, k.snd, k.rcv, 5);
    assert_memory_equal(d.t.payload, "hello", 5);
    expect_none(k.e);
    end_env(k.e);
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
    open_active(&k, NULL, NULL);
    keepalive_on(&k);
    advance_exactly(k.e, 10 * SEC);
    expect_seg(k.e, NULL, ACK, k.snd - 1, k.rcv, 0);
    for (int i = 0; i < 2; i++) {
        advance_exactly(k.e, 2 * SEC);
        expect_seg(k.e, NULL, ACK, k.snd - 1, k.rcv, 0);
    }
    assert_int_equal(env_ctr(k.e, CTR_TCP_KEEPALIVE_PROBES), 3);
    advance_exactly(k.e, 2 * SEC);
    expect_seg(k.e, NULL, RST | ACK, k.snd, k.rcv, 0);
    assert_int_equal(tcp_sock_state(k.c), TCP_CLOSED);
    assert_int_equal(tcp_sock_error(k.c), ETIMEDOUT);
    expect_none(k.e);
    end_env(k.e);
}

/* An answered probe restarts the idle time; the connection lives on. */
static void test_keepalive_answered(void **state)
{
    (void)state;
    struct conn k;
    open_active(&k, NULL, NULL);
    keepalive_on(&k);
    advance_exactly(k.e, 10 * SEC);
    expect_seg(k.e, NULL, ACK, k.snd - 1, k.rcv, 0);
    peer(&k, k.rcv, k.snd, ACK, NULL, 0);
    expect_none(k.e);
    advance_exactly(k.e, 10 * SEC);
    expect_seg(k.e, NULL, ACK, k.snd - 1, k.rcv, 0);
    peer(&k, k.rcv, k.snd, ACK, NULL, 0);
    env_advance(k.e, 9 * SEC);
    expect_none(k.e);
    assert_int_equal(tcp_sock_state(k.c), TCP_ESTABLISHED);
    assert_int_equal(tcp_sock_error(k.c), 0);
    assert_int_equal(env_ctr(k.e, CTR_TCP_KEEPALIVE_PROBES), 2);
    end_env(k.e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_passive_open, teardown),
        cmocka_unit_test_teardown(test_active_open, teardown),
        cmocka_unit_test_teardown(test_simultaneous_open, teardown),
        cmocka_unit_test_teardown(test_active_close, teardown),
        cmocka_unit_test_teardown(test_simultaneous_close, teardown),
        cmocka_unit_test_teardown(test_fin_wait_1_fin_ack_to_time_wait, teardown),
        cmocka_unit_test_teardown(test_passive_close, teardown),
        cmocka_unit_test_teardown(test_half_close_we_keep_receiving, teardown),
        cmocka_unit_test_teardown(test_half_close_peer_we_keep_sending, teardown),
        cmocka_unit_test_teardown(test_rst_syn_sent_acceptable, teardown),
        cmocka_unit_test_teardown(test_rst_syn_sent_bad_ack_ignored, teardown),
        cmocka_unit_test_teardown(test_rst_syn_received, teardown),
        cmocka_unit_test_teardown(test_rst_established, teardown),
        cmocka_unit_test_teardown(test_rst_fin_wait_1, teardown),
        cmocka_unit_test_teardown(test_rst_fin_wait_2, teardown),
        cmocka_unit_test_teardown(test_rst_close_wait, teardown),
        cmocka_unit_test_teardown(test_rst_closing, teardown),
        cmocka_unit_test_teardown(test_rst_last_ack, teardown),
        cmocka_unit_test_teardown(test_rst_time_wait, teardown),
        cmocka_unit_test_teardown(test_rst_in_window_challenge_ack, teardown),
        cmocka_unit_test_teardown(test_syn_in_established_challenge_ack, teardown),
        cmocka_unit_test_teardown(test_syn_sent_bad_ack_gets_rst, teardown),
        cmocka_unit_test_teardown(test_time_wait_lasts_exactly, teardown),
        cmocka_unit_test_teardown(test_time_wait_fin_reacked_restarts, teardown),
        cmocka_unit_test_teardown(test_time_wait_new_syn_reuses, teardown),
        cmocka_unit_test_teardown(test_time_wait_old_syn_acked, teardown),
        cmocka_unit_test_teardown(test_time_wait_connect_reuseaddr, teardown),
        cmocka_unit_test_teardown(test_listen_syn_queue_bounded, teardown),
        cmocka_unit_test_teardown(test_listen_accept_queue_bounded, teardown),
        cmocka_unit_test_teardown(test_listen_close_resets_children, teardown),
        cmocka_unit_test_teardown(test_connect_closed_port_refused, teardown),
        cmocka_unit_test_teardown(test_send_after_peer_rst, teardown),
        cmocka_unit_test_teardown(test_send_after_shutdown, teardown),
        cmocka_unit_test_teardown(test_recv_zero_at_eof, teardown),
        cmocka_unit_test_teardown(test_syn_timeout, teardown),
        cmocka_unit_test_teardown(test_data_timeout, teardown),
        cmocka_unit_test_teardown(test_close_with_unread_data_sends_rst, teardown),
        cmocka_unit_test_teardown(test_rto_initial_without_sample, teardown),
        cmocka_unit_test_teardown(test_rto_after_sample, teardown),
        cmocka_unit_test_teardown(test_rto_second_sample, teardown),
        cmocka_unit_test_teardown(test_rto_floor_min_rto, teardown),
        cmocka_unit_test_teardown(test_rto_3s_after_syn_timeout, teardown),
        cmocka_unit_test_teardown(test_rto_backoff_doubles_capped, teardown),
        cmocka_unit_test_teardown(test_delack_one_full_segment, teardown),
        cmocka_unit_test_teardown(test_delack_two_full_segments_ack_at_once, teardown),
        cmocka_unit_test_teardown(test_delack_out_of_order_dupack_sack, teardown),
        cmocka_unit_test_teardown(test_nagle_holds_second_small_write, teardown),
        cmocka_unit_test_teardown(test_nodelay_sends_at_once, teardown),
        cmocka_unit_test_teardown(test_zero_window_persist, teardown),
        cmocka_unit_test_teardown(test_keepalive_unanswered, teardown),
        cmocka_unit_test_teardown(test_keepalive_answered, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
