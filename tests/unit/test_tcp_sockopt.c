/* test_tcp_sockopt.c - what an application asks of a TCP socket beyond
 * the byte stream (issue 12): PSH at the end of each write, MSG_MORE
 * (TCP_SEND_MORE) and TCP_CORK with its 200 ms ceiling, TCP_MAXSEG before
 * connect, IP_TOS on every segment (RFC 1122 4.2.4.2) with the ECN bits
 * kept by the stack, and IP_TOS / IPV6_TCLASS for UDP. */
#include "tests/unit/support/tcp_state_fixture.h"

#include "stack/sock/tcp_impl.h"

static uint8_t bytes[8192];

/* Segments of one write: full ones without PSH, the last with it (Linux
 * marks the end of each sendmsg). */
static void test_psh_on_last_segment_of_write(void **state)
{
    (void)state;
    struct conn k;
    tst_open_active(&k, NULL, NULL);
    assert_int_equal(tcp_sock_send(k.c, bytes, 3000, k.e->now), 3000);
    tst_expect_seg(k.e, NULL, ACK, k.snd, k.rcv, 1460);
    tst_expect_seg(k.e, NULL, ACK, k.snd + 1460, k.rcv, 1460);
    tst_expect_none(k.e); /* Nagle holds the tail until the ACK */
    tst_peer(&k, k.rcv, k.snd + 2920, ACK, NULL, 0);
    tst_expect_seg(k.e, NULL, ACK | PSH, k.snd + 2920, k.rcv, 80);
    k.snd += 3000;
    tst_peer(&k, k.rcv, k.snd, ACK, NULL, 0);
    /* A write of exactly one segment: PSH on it. */
    assert_int_equal(tcp_sock_send(k.c, bytes, 1460, k.e->now), 1460);
    tst_expect_seg(k.e, NULL, ACK | PSH, k.snd, k.rcv, 1460);
    tst_expect_none(k.e);
    tst_end_env(k.e);
}

/* The zero-copy path marks the end of a write the same way; the flag says
 * when the write goes on. */
static void test_send_commit_flags(void **state)
{
    (void)state;
    struct conn k;
    tst_open_active(&k, NULL, NULL);
    assert_int_equal(tcp_sock_setopt(k.c, TCP_OPT_NODELAY, 1), 0);
    struct stack_span sp[2];
    assert_true(tcp_sock_send_space(k.c, sp) >= 1);
    memset(sp[0].p, 'a', 1500);
    assert_int_equal(tcp_sock_send_commit_flags(k.c, 1500, TCP_SEND_MORE, k.e->now), 1500);
    tst_expect_seg(k.e, NULL, ACK, k.snd, k.rcv, 1460); /* 40 held, no PSH */
    tst_expect_none(k.e);
    assert_true(tcp_sock_send_space(k.c, sp) >= 1);
    memset(sp[0].p, 'b', 20);
    assert_int_equal(tcp_sock_send_commit(k.c, 20, k.e->now), 20);
    tst_expect_seg(k.e, NULL, ACK | PSH, k.snd + 1460, k.rcv, 60);
    tst_expect_none(k.e);
    tst_end_env(k.e);
}

/* MSG_MORE: a partial segment is not sent by the call; the next write
 * without it sends the whole, with PSH. An ACK emptying the flight lets
 * Nagle send what MSG_MORE held (as Linux, whose later pushes use the
 * socket's Nagle setting). */
static void test_send_more(void **state)
{
    (void)state;
    struct conn k;
    tst_open_active(&k, NULL, NULL);
    assert_int_equal(tcp_sock_send_flags(k.c, "GET / HTTP/1.1\r\n", 16, TCP_SEND_MORE,
                                         k.e->now), 16);
    tst_expect_none(k.e);
    assert_int_equal(tcp_sock_send_flags(k.c, "Host: x\r\n\r\n", 11, 0, k.e->now), 11);
    tst_expect_seg(k.e, NULL, ACK | PSH, k.snd, k.rcv, 27);
    k.snd += 27;
    /* MORE with data in flight: held by the call, then the ACK sends it
     * (Nagle: nothing left in flight). */
    assert_int_equal(tcp_sock_send_flags(k.c, bytes, 100, TCP_SEND_MORE, k.e->now), 100);
    tst_expect_none(k.e);
    tst_peer(&k, k.rcv, k.snd, ACK, NULL, 0);
    tst_expect_seg(k.e, NULL, ACK, k.snd, k.rcv, 100); /* no PSH: the write goes on */
    tst_expect_none(k.e);
    tst_end_env(k.e);
}

/* TCP_CORK: partial segments wait until full, uncorked, or 200 ms. */
static void test_cork(void **state)
{
    (void)state;
    struct conn k;
    tst_open_active(&k, NULL, NULL);
    assert_int_equal(tcp_sock_setopt(k.c, TCP_OPT_CORK, 1), 0);
    int v = 0;
    assert_int_equal(tcp_sock_getopt(k.c, TCP_OPT_CORK, &v), 0);
    assert_int_equal(v, 1);
    assert_int_equal(tcp_sock_send(k.c, bytes, 100, k.e->now), 100);
    assert_int_equal(tcp_sock_send(k.c, bytes, 100, k.e->now), 100);
    tst_expect_none(k.e);
    /* The ceiling: exactly 200 ms after the data was first held. */
    tst_advance_exactly(k.e, 200 * MS);
    tst_expect_seg(k.e, NULL, ACK | PSH, k.snd, k.rcv, 200);
    k.snd += 200;
    tst_peer(&k, k.rcv, k.snd, ACK, NULL, 0);
    /* Full segments go; the partial tail waits. */
    assert_int_equal(tcp_sock_send(k.c, bytes, 3000, k.e->now), 3000);
    tst_expect_seg(k.e, NULL, ACK, k.snd, k.rcv, 1460);
    tst_expect_seg(k.e, NULL, ACK, k.snd + 1460, k.rcv, 1460);
    tst_expect_none(k.e);
    /* Uncork with TCP_NODELAY: the tail goes at the next poll. */
    assert_int_equal(tcp_sock_setopt(k.c, TCP_OPT_NODELAY, 1), 0);
    assert_int_equal(tcp_sock_setopt(k.c, TCP_OPT_CORK, 0), 0);
    env_advance(k.e, 0);
    tst_expect_seg(k.e, NULL, ACK | PSH, k.snd + 2920, k.rcv, 80);
    k.snd += 3000;
    tst_peer(&k, k.rcv, k.snd, ACK, NULL, 0);
    /* Corked again: a shutdown pushes the held data with the FIN. */
    assert_int_equal(tcp_sock_setopt(k.c, TCP_OPT_CORK, 1), 0);
    assert_int_equal(tcp_sock_send(k.c, bytes, 10, k.e->now), 10);
    tst_expect_none(k.e);
    assert_int_equal(tcp_sock_shutdown(k.c, 1, k.e->now), 0);
    tst_expect_seg(k.e, NULL, ACK | PSH | FIN, k.snd, k.rcv, 10);
    tst_end_env(k.e);
}

/* A corked listener's children are corked too, as on Linux (the child is a
 * clone of the listener). */
static void test_cork_inherited(void **state)
{
    (void)state;
    struct stack_env *e = tst_new_env(NULL);
    struct tcp_sock *l = tp_listen(e, LISTEN_PORT, 4);
    assert_int_equal(tcp_sock_setopt(l, TCP_OPT_CORK, 1), 0);
    assert_int_equal(tcp_sock_setopt(l, TCP_OPT_TOS, 0x10), 0);
    struct tp_out sa;
    tst_peer_syn(e, 5555, PEER_ISN, &sa);
    assert_int_equal(sa.tos, 0x10);
    tst_peer_third_ack(e, 5555, PEER_ISN, &sa);
    int err = 0;
    struct tcp_sock *c = tcp_sock_accept(l, NULL, NULL, &err);
    assert_non_null(c);
    int v = 0;
    assert_int_equal(tcp_sock_getopt(c, TCP_OPT_CORK, &v), 0);
    assert_int_equal(v, 1);
    assert_int_equal(tcp_sock_send(c, bytes, 10, e->now), 10);
    tst_expect_none(e);
    tcp_sock_abort(c, e->now);
    tcp_sock_close(l, e->now);
    tst_end_env(e);
}

/* TCP_MAXSEG before connect clamps the MSS we advertise and send. */
static void test_maxseg_before_connect(void **state)
{
    (void)state;
    struct stack_env *e = tst_new_env(NULL);
    struct tcp_sock *c = tcp_sock_open(e->s, NULL, NULL);
    int v = 0;
    assert_int_equal(tcp_sock_getopt(c, TCP_OPT_MAXSEG, &v), 0);
    assert_int_equal(v, 536);
    assert_int_equal(tcp_sock_setopt(c, TCP_OPT_MAXSEG, 87), -EINVAL);
    assert_int_equal(tcp_sock_setopt(c, TCP_OPT_MAXSEG, 32768), -EINVAL);
    assert_int_equal(tcp_sock_setopt(c, TCP_OPT_MAXSEG, -1), -EINVAL);
    assert_int_equal(tcp_sock_setopt(c, TCP_OPT_MAXSEG, 1000), 0);
    assert_int_equal(tcp_sock_getopt(c, TCP_OPT_MAXSEG, &v), 0);
    assert_int_equal(v, 1000);
    struct ip_endpoint to = env_ep(ENV_IP_PEER, TP_PEER_PORT);
    assert_int_equal(tcp_sock_connect(c, &to, e->now), -EINPROGRESS);
    struct tp_out syn;
    tp_take(e, &syn);
    assert_true(syn.t.opt.has_mss);
    assert_int_equal(syn.t.opt.mss, 1000);
    tp_send(e, &(struct tp_seg){.sport = TP_PEER_PORT, .dport = syn.t.sport, .seq = PEER_ISN,
                                .ack = syn.t.seq + 1, .flags = SYN | ACK, .opt = &tst_mss_only});
    struct tp_out a;
    tp_take(e, &a);
    assert_int_equal(tcp_sock_getopt(c, TCP_OPT_MAXSEG, &v), 0);
    assert_int_equal(v, 1000);
    assert_int_equal(tcp_sock_setopt(c, TCP_OPT_NODELAY, 1), 0);
    assert_int_equal(tcp_sock_send(c, bytes, 2500, e->now), 2500);
    tst_expect_seg(e, NULL, ACK, syn.t.seq + 1, PEER_ISN + 1, 1000);
    tst_expect_seg(e, NULL, ACK, syn.t.seq + 1001, PEER_ISN + 1, 1000);
    tst_expect_seg(e, NULL, ACK | PSH, syn.t.seq + 2001, PEER_ISN + 1, 500);
    tcp_sock_abort(c, e->now);
    tst_end_env(e);
}

/* IP_TOS: on every segment of the connection (SYN, data, ACK, FIN, RST);
 * the ECN bits are the stack's. */
static void test_ip_tos_every_segment(void **state)
{
    (void)state;
    struct stack_env *e = tst_new_env(NULL);
    struct tcp_sock *c = tcp_sock_open(e->s, NULL, NULL);
    assert_int_equal(tcp_sock_setopt(c, TCP_OPT_TOS, 0xb9), 0); /* EF + ECT(1) */
    int v = 0;
    assert_int_equal(tcp_sock_getopt(c, TCP_OPT_TOS, &v), 0);
    assert_int_equal(v, 0xb8);
    /* A socket whose family was never said takes both (an IPv4 one
     * refuses IPV6_TCLASS, as Linux's AF_INET sockets). */
    assert_int_equal(tcp_sock_setopt(c, TCP_OPT_TCLASS, 8), 0);
    struct tcp_sock *c4 = tcp_sock_open(e->s, NULL, NULL);
    assert_int_equal(tcp_sock_set_family(c4, IP_FAMILY_V4), 0);
    assert_int_equal(tcp_sock_setopt(c4, TCP_OPT_TCLASS, 8), -ENOPROTOOPT);
    assert_int_equal(tcp_sock_getopt(c4, TCP_OPT_TCLASS, &v), -ENOPROTOOPT);
    tcp_sock_close(c4, e->now);
    struct ip_endpoint to = env_ep(ENV_IP_PEER, TP_PEER_PORT);
    assert_int_equal(tcp_sock_connect(c, &to, e->now), -EINPROGRESS);
    struct tp_out s;
    tp_take(e, &s);
    assert_int_equal(s.tos, 0xb8);
    tp_send(e, &(struct tp_seg){.sport = TP_PEER_PORT, .dport = s.t.sport, .seq = PEER_ISN,
                                .ack = s.t.seq + 1, .flags = SYN | ACK, .opt = &tst_mss_only});
    tp_take(e, &s);
    assert_int_equal(s.tos, 0xb8);
    /* Changed on a live connection: the next segments carry the new one. */
    assert_int_equal(tcp_sock_setopt(c, TCP_OPT_TOS, 0x20), 0);
    assert_int_equal(tcp_sock_send(c, "x", 1, e->now), 1);
    tp_take(e, &s);
    assert_int_equal(s.tos, 0x20);
    tcp_sock_abort(c, e->now);
    tp_take(e, &s);
    assert_true(s.t.flags & RST);
    assert_int_equal(s.tos, 0x20);
    tst_end_env(e);
}

/* The TCP_INFO view (tcp_conn_info): what Linux's tcp_info and ss -i show. */
static void test_info_like_tcp_info(void **state)
{
    (void)state;
    struct conn k;
    tst_open_active(&k, NULL, NULL);
    assert_int_equal(tcp_sock_setopt(k.c, TCP_OPT_NODELAY, 1), 0);
    uint64_t t_send = k.e->now;
    assert_int_equal(tcp_sock_send(k.c, bytes, 3000, k.e->now), 3000);
    assert_int_equal(tp_pending(k.e), 3);
    tp_clear(k.e);
    env_advance(k.e, 10 * MS);
    tst_peer(&k, k.rcv, k.snd + 1460, ACK, NULL, 0);
    tst_peer(&k, k.rcv, k.snd + 1460, ACK | PSH, bytes, 100);
    struct tcp_conn_info ci;
    tcp_sock_info(k.c, &ci);
    assert_int_equal(ci.state, TCP_ESTABLISHED);
    assert_int_equal(ci.mss, 1460);
    assert_int_equal(ci.advmss, 1460);
    assert_int_equal(ci.rcv_mss, 100);
    assert_int_equal(ci.pmtu, 1500);
    assert_int_equal(ci.snd_cwnd_segs, 10);
    assert_int_equal(ci.snd_ssthresh_segs, 0x7fffffff);
    assert_int_equal(ci.unacked, 2);
    assert_int_equal(ci.sacked, 0);
    assert_int_equal(ci.lost, 0);
    assert_int_equal(ci.retries, 0);
    assert_int_equal(ci.bytes_sent, 3000);
    assert_int_equal(ci.bytes_retrans, 0);
    assert_int_equal(ci.bytes_acked, 1460);
    assert_int_equal(ci.bytes_received, 100);
    assert_int_equal(ci.data_segs_out, 3);
    assert_int_equal(ci.data_segs_in, 1);
    assert_true(ci.segs_in >= 3); /* SYN-ACK and the two segments */
    assert_int_equal(ci.last_data_sent_ns, t_send);
    assert_int_equal(ci.last_data_recv_ns, k.e->now);
    assert_int_equal(ci.last_ack_recv_ns, k.e->now);
    assert_true(ci.min_rtt_us <= ci.srtt_us); /* samples: handshake, 10 ms */
    assert_true(ci.srtt_us <= 10000);
    assert_false(ci.sack || ci.timestamps || ci.wscale_ok);
    /* An RTO: counted in retries, bytes_retrans, and the head is resent. */
    env_advance(k.e, 2 * SEC);
    tcp_sock_info(k.c, &ci);
    assert_true(ci.retries >= 1);
    assert_true(ci.bytes_retrans >= 1460);
    tst_end_env(k.e);
}

int main(void)
{
    memset(bytes, 'x', sizeof bytes);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_psh_on_last_segment_of_write, tst_teardown),
        cmocka_unit_test_teardown(test_send_commit_flags, tst_teardown),
        cmocka_unit_test_teardown(test_send_more, tst_teardown),
        cmocka_unit_test_teardown(test_cork, tst_teardown),
        cmocka_unit_test_teardown(test_cork_inherited, tst_teardown),
        cmocka_unit_test_teardown(test_maxseg_before_connect, tst_teardown),
        cmocka_unit_test_teardown(test_ip_tos_every_segment, tst_teardown),
        cmocka_unit_test_teardown(test_info_like_tcp_info, tst_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
