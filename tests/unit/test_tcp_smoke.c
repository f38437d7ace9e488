/* test_tcp_smoke.c - the first handshakes and data exchange against a
 * scripted peer (tests/unit/support/tcp_peer.h). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "stack/util/ring.h"
#include "tests/unit/support/tcp_peer.h"

static void test_passive_open_and_data(void **state)
{
    (void)state;
    struct stack_env *e = tp_env(NULL);
    struct tcp_sock *l = tp_listen(e, 80, 8);
    struct tcp_options o = tp_linux_syn_options(1000);
    struct tp_out sa;
    struct tcp_sock *c = tp_accept_conn(e, l, 80, 5000, &o, &sa);
    assert_true(sa.t.opt.has_mss);
    assert_int_equal(sa.t.opt.mss, 1460);
    assert_true(sa.t.opt.sack_permitted);
    assert_true(sa.t.opt.has_ts);
    assert_true(sa.t.opt.has_wscale);
    struct tcp_options ts = {.has_ts = true, .ts_val = 1002, .ts_ecr = sa.t.opt.ts_val};
    tp_send(e, &(struct tp_seg){.dport = 80, .seq = 5001, .ack = sa.t.seq + 1,
                                .flags = TCP_FLAG_ACK | TCP_FLAG_PSH, .opt = &ts,
                                .payload = "hello", .len = 5});
    char buf[16];
    assert_int_equal(tcp_sock_recv(c, buf, sizeof buf, e->now), 5);
    assert_memory_equal(buf, "hello", 5);
    assert_int_equal(tcp_sock_send(c, "world", 5, e->now), 5);
    struct tp_out d;
    /* Reading opened the window past what the SYN-ACK's unscaled field
     * could say: a window update comes first. */
    tp_take(e, &d);
    assert_int_equal(d.t.payload_len, 0);
    assert_true(d.t.window << 7 > 65535);
    tp_take(e, &d);
    assert_int_equal(d.t.payload_len, 5);
    assert_memory_equal(d.t.payload, "world", 5);
    assert_int_equal(d.t.ack, 5006);
    tcp_sock_close(c, e->now);
    tcp_sock_close(l, e->now);
    env_free(e);
}

/* Zero-copy send: the free space filled in place and committed goes out
 * as tcp_sock_send's data would; nothing is offered once shut down for
 * writing, and tcp_sock_send (len 0) then says why. */
static void test_send_in_place(void **state)
{
    (void)state;
    struct stack_env *e = tp_env(NULL);
    struct tcp_sock *l = tp_listen(e, 80, 8);
    struct tp_out sa;
    struct tcp_sock *c = tp_accept_conn(e, l, 80, 5000, NULL, &sa);
    struct stack_span sp[2];
    size_t runs = tcp_sock_send_space(c, sp);
    assert_true(runs >= 1);
    /* Empty: one run, the ring's first allocation (it grows on demand). */
    assert_int_equal(sp[0].len, RING_SPAN_ALLOC);
    assert_true(sp[0].len <= tcp_sock_writable(c));
    memcpy(sp[0].p, "zero-copy", 9);
    assert_int_equal(tcp_sock_send_commit(c, 9, e->now), 9);
    struct tp_out d;
    tp_take(e, &d);
    assert_int_equal(d.t.payload_len, 9);
    assert_memory_equal(d.t.payload, "zero-copy", 9);
    assert_int_equal(tcp_sock_shutdown(c, 1, e->now), 0);
    assert_int_equal(tcp_sock_send_space(c, sp), 0);
    assert_int_equal(tcp_sock_send_commit(c, 1, e->now), 0);
    assert_int_equal(tcp_sock_send(c, NULL, 0, e->now), -EPIPE);
    tcp_sock_close(c, e->now);
    tcp_sock_close(l, e->now);
    env_free(e);
}

static void test_active_open_refused(void **state)
{
    (void)state;
    struct stack_env *e = tp_env(NULL);
    struct tcp_sock *c = tcp_sock_open(e->s, NULL, NULL);
    struct ip_endpoint to = env_ep(ENV_IP_PEER, TP_PEER_PORT);
    assert_int_equal(tcp_sock_connect(c, &to, e->now), -EINPROGRESS);
    struct tp_out s;
    tp_take(e, &s);
    tp_send(e, &(struct tp_seg){.dport = s.t.sport, .seq = 0, .ack = s.t.seq + 1,
                                .flags = TCP_FLAG_RST | TCP_FLAG_ACK});
    assert_int_equal(tcp_sock_state(c), TCP_CLOSED);
    assert_int_equal(tcp_sock_error(c), ECONNREFUSED);
    tcp_sock_close(c, e->now);
    env_free(e);
}

static void test_active_open_and_close(void **state)
{
    (void)state;
    struct stack_env *e = tp_env(NULL);
    struct tcp_options o = tp_linux_syn_options(1000);
    struct tp_out syn;
    struct tcp_sock *c = tp_connect_conn(e, 9000, &o, &syn);
    assert_int_equal(tcp_sock_shutdown(c, 1, e->now), 0);
    struct tp_out f;
    tp_take(e, &f);
    assert_true(f.t.flags & TCP_FLAG_FIN);
    assert_int_equal(tcp_sock_state(c), TCP_FIN_WAIT_1);
    env_free(e);
}

/* The SYN we sent, quoted in an ICMP port unreachable from the peer. */
static void icmp_about_syn(struct stack_env *e, const struct tp_out *syn, uint32_t seq_delta)
{
    uint8_t quote[20 + 8];
    struct ipv4_emit_args ip = {.frag = IPV4_FLAG_DF, .ttl = 64, .proto = IPPROTO_TCP_,
                                .src = ENV_IP_US, .dst = ENV_IP_PEER, .payload_len = 20};
    ipv4_emit(quote, &ip);
    memcpy(quote + 20, syn->data, 8);
    uint32_t seq = syn->t.seq + seq_delta;
    quote[24] = (uint8_t)(seq >> 24);
    quote[25] = (uint8_t)(seq >> 16);
    quote[26] = (uint8_t)(seq >> 8);
    quote[27] = (uint8_t)seq;
    uint8_t f[FRAME_MAX];
    size_t n = frame_icmp4(f, sizeof f, &env_mac_us, &env_mac_peer, ENV_IP_PEER, ENV_IP_US,
                           3, 3, 0, quote, sizeof quote);
    env_input(e, f, n);
}

/* Linux tcp_v4_err: a connection attempt fails at once on port
 * unreachable; a quote with a sequence number we never sent is ignored
 * (RFC 5927 4.1). */
static void test_icmp_unreachable_fails_connect(void **state)
{
    (void)state;
    struct stack_env *e = tp_env(NULL);
    struct tcp_sock *c = tcp_sock_open(e->s, NULL, NULL);
    struct ip_endpoint to = env_ep(ENV_IP_PEER, TP_PEER_PORT);
    assert_int_equal(tcp_sock_connect(c, &to, e->now), -EINPROGRESS);
    struct tp_out syn;
    tp_take(e, &syn);
    icmp_about_syn(e, &syn, 100000);
    assert_int_equal(tcp_sock_state(c), TCP_SYN_SENT);
    icmp_about_syn(e, &syn, 0);
    assert_int_equal(tcp_sock_state(c), TCP_CLOSED);
    assert_int_equal(tcp_sock_error(c), ECONNREFUSED);
    tcp_sock_close(c, e->now);
    env_free(e);
}

/* ARP never answers: the attempt fails with EHOSTUNREACH, as Linux's
 * connect() does on a LAN, not after the whole SYN retry series. */
static void test_arp_failure_fails_connect(void **state)
{
    (void)state;
    struct stack_env *e = env_new(NULL, false);
    struct tcp_sock *c = tcp_sock_open(e->s, NULL, NULL);
    struct ip_endpoint to = env_ep(ENV_IP_PEER, TP_PEER_PORT);
    assert_int_equal(tcp_sock_connect(c, &to, e->now), -EINPROGRESS);
    for (int i = 0; i < 10 && tcp_sock_state(c) == TCP_SYN_SENT; i++)
        env_advance(e, NS_PER_SEC);
    assert_int_equal(tcp_sock_state(c), TCP_CLOSED);
    assert_int_equal(tcp_sock_error(c), EHOSTUNREACH);
    tcp_sock_close(c, e->now);
    env_free(e);
}

/* Linux tcp_invalid_ratelimit: bare out-of-window segments get at most
 * one ACK per 500 ms; a segment with data always gets its ACK. */
static void test_out_of_window_ack_rate_limit(void **state)
{
    (void)state;
    struct stack_env *e = tp_env(NULL);
    struct tcp_sock *l = tp_listen(e, 80, 4);
    struct tp_out sa;
    struct tcp_sock *c = tp_accept_conn(e, l, 80, 1000, NULL, &sa);
    tp_clear(e);
    struct tp_seg far = {.dport = 80, .seq = 1001 + 1000000, .ack = sa.t.seq + 1,
                         .flags = TCP_FLAG_ACK};
    for (int i = 0; i < 5; i++)
        tp_send(e, &far);
    assert_int_equal(tp_pending(e), 1);
    assert_int_equal(env_ctr(e, CTR_TCP_OOW_ACK_LIMITED), 4);
    env_advance(e, 500 * NS_PER_MS);
    tp_send(e, &far);
    assert_int_equal(tp_pending(e), 2);
    struct tp_seg old_data = {.dport = 80, .seq = 991, .ack = sa.t.seq + 1,
                              .flags = TCP_FLAG_ACK, .payload = "0123456789", .len = 10};
    tp_send(e, &old_data);
    tp_send(e, &old_data);
    assert_int_equal(tp_pending(e), 4);
    tcp_sock_abort(c, e->now);
    tcp_sock_close(l, e->now);
    env_free(e);
}

/* Data for a connection its application closed: RST (Linux
 * TCPAbortOnData), not a window that fills and is probed for a minute. */
static void test_data_after_close_resets(void **state)
{
    (void)state;
    struct stack_env *e = tp_env(NULL);
    struct tcp_sock *l = tp_listen(e, 80, 4);
    struct tp_out sa;
    struct tcp_sock *c = tp_accept_conn(e, l, 80, 1000, NULL, &sa);
    tcp_sock_close(c, e->now);
    struct tp_out fin;
    tp_take(e, &fin);
    assert_true(fin.t.flags & TCP_FLAG_FIN);
    tp_send(e, &(struct tp_seg){.dport = 80, .seq = 1001, .ack = sa.t.seq + 1,
                                .flags = TCP_FLAG_ACK, .payload = "late", .len = 4});
    struct tp_out rst;
    tp_take(e, &rst);
    assert_true(rst.t.flags & TCP_FLAG_RST);
    assert_int_equal(env_ctr(e, CTR_TCP_ABORT_ON_DATA), 1);
    assert_int_equal(stack_tcp_list(e->s, NULL, 0), 1); /* the listener only */
    tcp_sock_close(l, e->now);
    env_free(e);
}

/* Issue 14 item 4: the application closed with data the peer's window
 * holds back, so the FIN waits behind it (still ESTABLISHED here, FIN-WAIT-1
 * on Linux): new data is answered with a RST as well, not queued for a
 * minute behind a zero window. */
static void test_data_after_close_with_data_held_resets(void **state)
{
    (void)state;
    struct stack_env *e = tp_env(NULL);
    struct tcp_sock *l = tp_listen(e, 80, 4);
    struct tp_out sa;
    struct tcp_sock *c = tp_accept_conn(e, l, 80, 1000, NULL, &sa);
    tp_send(e, &(struct tp_seg){.dport = 80, .seq = 1001, .ack = sa.t.seq + 1,
                                .flags = TCP_FLAG_ACK, .zero_window = true});
    uint8_t big[3000];
    memset(big, 'x', sizeof big);
    assert_int_equal(tcp_sock_send(c, big, sizeof big, e->now), (long)sizeof big);
    tcp_sock_close(c, e->now);
    tp_clear(e);
    assert_int_equal(tcp_sock_state(c), TCP_ESTABLISHED);
    tp_send(e, &(struct tp_seg){.dport = 80, .seq = 1001, .ack = sa.t.seq + 1,
                                .flags = TCP_FLAG_ACK, .zero_window = true,
                                .payload = "late", .len = 4});
    struct tp_out rst;
    tp_take(e, &rst);
    assert_true(rst.t.flags & TCP_FLAG_RST);
    assert_int_equal(env_ctr(e, CTR_TCP_ABORT_ON_DATA), 1);
    assert_int_equal(stack_tcp_list(e->s, NULL, 0), 1); /* the listener only */
    tcp_sock_close(l, e->now);
    env_free(e);
}

/* shutdown(SHUT_RDWR) by a live application: Linux resets on new data in
 * FIN-WAIT-1/2 too, and the application sees ECONNRESET. */
static void test_data_after_shutdown_both_resets(void **state)
{
    (void)state;
    struct stack_env *e = tp_env(NULL);
    struct tcp_sock *l = tp_listen(e, 80, 4);
    struct tp_out sa;
    struct tcp_sock *c = tp_accept_conn(e, l, 80, 1000, NULL, &sa);
    assert_int_equal(tcp_sock_shutdown(c, 2, e->now), 0);
    struct tp_out fin;
    tp_take(e, &fin);
    assert_true(fin.t.flags & TCP_FLAG_FIN);
    tp_send(e, &(struct tp_seg){.dport = 80, .seq = 1001, .ack = sa.t.seq + 2,
                                .flags = TCP_FLAG_ACK, .payload = "late", .len = 4});
    struct tp_out rst;
    tp_take(e, &rst);
    assert_true(rst.t.flags & TCP_FLAG_RST);
    assert_int_equal(tcp_sock_state(c), TCP_CLOSED);
    assert_int_equal(tcp_sock_error(c), ECONNRESET);
    tcp_sock_close(c, e->now);
    tcp_sock_close(l, e->now);
    env_free(e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_passive_open_and_data),
        cmocka_unit_test(test_send_in_place),
        cmocka_unit_test(test_active_open_refused),
        cmocka_unit_test(test_active_open_and_close),
        cmocka_unit_test(test_icmp_unreachable_fails_connect),
        cmocka_unit_test(test_arp_failure_fails_connect),
        cmocka_unit_test(test_out_of_window_ack_rate_limit),
        cmocka_unit_test(test_data_after_close_resets),
        cmocka_unit_test(test_data_after_close_with_data_held_resets),
        cmocka_unit_test(test_data_after_shutdown_both_resets),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
