/* test_loopback.c - lo (core/loopback.c): 127.0.0.0/8, ::1 and the
 * stack's own addresses reach its own sockets without a frame on the
 * interface; packets wait for the next stack_poll (never delivered from
 * inside the send); lo's queue is bounded; loopback addresses never come
 * from or go to a link. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "stack/core/stack_impl.h"
#include "tests/unit/support/env6.h"
#include "tests/unit/support/stack_env.h"

#define LO4 0x7f000001u

/* Run the polls that are due now, as the daemon's loop does (bounded). */
static void run_due(struct stack_env *e)
{
    for (int i = 0; i < 200 && stack_next_deadline(e->s) <= e->now; i++)
        stack_poll(e->s, e->now);
}

/* Let time pass in small steps (delayed ACKs, TIME-WAIT...), polling. */
static void run_for(struct stack_env *e, uint64_t ns)
{
    for (uint64_t t = 0; t < ns; t += NS_PER_MS) {
        run_due(e);
        env_advance(e, NS_PER_MS);
    }
    run_due(e);
}

static void test_udp_over_127(void **state)
{
    (void)state;
    struct stack_env *e = env_new(NULL, false);
    struct udp_sock *a = udp_sock_open(e->s, NULL, NULL);
    struct udp_sock *b = udp_sock_open(e->s, NULL, NULL);
    struct ip_endpoint ea = env_ep(LO4, 5000), any = env_ep(0, 5000);
    assert_int_equal(udp_sock_bind(a, &any), 0);
    assert_int_equal(udp_sock_sendto(b, "ping", 4, &ea, e->now), 4);
    /* Not from inside the send: after the next poll, which is due now. */
    char buf[16];
    struct ip_endpoint from;
    assert_int_equal(udp_sock_recvfrom(a, buf, sizeof buf, &from), -EAGAIN);
    assert_true(stack_next_deadline(e->s) <= e->now);
    run_due(e);
    assert_int_equal(udp_sock_recvfrom(a, buf, sizeof buf, &from), 4);
    assert_memory_equal(buf, "ping", 4);
    assert_int_equal(from.addr.u.v4, LO4); /* 127.0.0.1 speaks to 127.0.0.1 */
    /* Another 127/8 address is ours too (Linux's local 127.0.0.0/8). */
    struct ip_endpoint other = env_ep(0x7f000005u, 5000);
    assert_int_equal(udp_sock_sendto(b, "x", 1, &other, e->now), 1);
    run_due(e);
    assert_int_equal(udp_sock_recvfrom(a, buf, sizeof buf, &from), 1);
    assert_int_equal(from.addr.u.v4, LO4);
    assert_int_equal(e->nif.n, 0); /* nothing ever reached the interface */
    assert_int_equal(env_ctr(e, CTR_LO_TX_PACKETS), 2);
    assert_int_equal(env_ctr(e, CTR_LO_RX_PACKETS), 2);
    udp_sock_close(a);
    udp_sock_close(b);
    env_free(e);
}

/* A closed port on lo answers with a port unreachable, as on Linux: a
 * connected UDP socket sees ECONNREFUSED. */
static void test_udp_refused_on_lo(void **state)
{
    (void)state;
    struct stack_env *e = env_new(NULL, false);
    struct udp_sock *u = udp_sock_open(e->s, NULL, NULL);
    struct ip_endpoint closed = env_ep(LO4, 9999);
    assert_int_equal(udp_sock_connect(u, &closed), 0);
    assert_int_equal(udp_sock_sendto(u, "x", 1, NULL, e->now), 1);
    run_due(e); /* the datagram */
    run_due(e); /* the ICMP error */
    assert_int_equal(udp_sock_error(u), ECONNREFUSED);
    assert_int_equal(e->nif.n, 0);
    udp_sock_close(u);
    env_free(e);
}

struct conn_ev {
    int events;
};

static void tcp_cb(void *user, struct tcp_sock *ts, int events)
{
    (void)ts;
    struct conn_ev *ev = user;
    ev->events |= events;
}

/* A connection to our own address (or ::1), byte for byte both ways,
 * closed cleanly; not one frame on the interface. */
static void tcp_local_exchange(struct stack_env *e, const struct ip_endpoint *server)
{
    struct conn_ev lev = {0}, cev = {0}, aev = {0};
    struct tcp_sock *l = tcp_sock_open(e->s, tcp_cb, &lev);
    assert_int_equal(tcp_sock_set_family(l, server->addr.family), 0);
    struct ip_endpoint any = *server;
    memset(&any.addr.u, 0, sizeof any.addr.u);
    assert_int_equal(tcp_sock_bind(l, &any), 0);
    assert_int_equal(tcp_sock_listen(l, 8), 0);
    struct tcp_sock *c = tcp_sock_open(e->s, tcp_cb, &cev);
    assert_int_equal(tcp_sock_connect(c, server, e->now), -EINPROGRESS);
    run_for(e, 10 * NS_PER_MS);
    assert_true(cev.events & TCP_EV_CONNECTED);
    int err = 0;
    struct tcp_sock *a = tcp_sock_accept(l, tcp_cb, &aev, &err);
    assert_non_null(a);
    struct ip_endpoint name;
    assert_int_equal(tcp_sock_getsockname(c, &name), 0);
    assert_true(ip_addr_eq(&name.addr, &server->addr)); /* from itself */

    /* 1 MiB each way, in pieces as the buffers take them. */
    static uint8_t out[1 << 20], in[1 << 20];
    for (size_t i = 0; i < sizeof out; i++)
        out[i] = (uint8_t)(i * 7 + (i >> 11));
    size_t sent = 0, got = 0;
    for (int round = 0; round < 20000 && got < sizeof in; round++) {
        if (sent < sizeof out) {
            long n = tcp_sock_send(c, out + sent, sizeof out - sent, e->now);
            if (n > 0)
                sent += (size_t)n;
        }
        long r = tcp_sock_recv(a, in + got, sizeof in - got, e->now);
        if (r > 0)
            got += (size_t)r;
        run_due(e);
        if (r <= 0)
            env_advance(e, NS_PER_MS);
    }
    assert_int_equal(got, sizeof in);
    assert_memory_equal(in, out, sizeof in);
    assert_int_equal(tcp_sock_send(a, "back", 4, e->now), 4);
    run_for(e, 5 * NS_PER_MS);
    char buf[8];
    assert_int_equal(tcp_sock_recv(c, buf, sizeof buf, e->now), 4);
    assert_memory_equal(buf, "back", 4);

    tcp_sock_close(c, e->now);
    run_for(e, 50 * NS_PER_MS);
    assert_int_equal(tcp_sock_recv(a, buf, sizeof buf, e->now), 0); /* EOF */
    tcp_sock_close(a, e->now);
    tcp_sock_close(l, e->now);
    run_for(e, 50 * NS_PER_MS);
    assert_int_equal(e->nif.n, 0);
    assert_int_equal(env_ctr(e, CTR_LO_DROP_QUEUE_FULL), 0);
    assert_int_equal(env_ctr(e, CTR_TCP_RETRANS_SEGS), 0);
}

static void test_tcp_to_own_address(void **state)
{
    (void)state;
    struct stack_env *e = env_new(NULL, false);
    struct ip_endpoint server = env_ep(ENV_IP_US, 7000);
    tcp_local_exchange(e, &server);
    env_free(e);
}

static void test_tcp_over_127(void **state)
{
    (void)state;
    struct stack_env *e = env_new(NULL, false);
    struct ip_endpoint server = env_ep(LO4, 7000);
    tcp_local_exchange(e, &server);
    env_free(e);
}

static void test_tcp_over_ipv6(void **state)
{
    (void)state;
    struct stack_env *e = env6_ready(NULL);
    static const uint8_t lo6[16] = {[15] = 1};
    struct ip_endpoint server = env6_ep(lo6, 7000);
    tcp_local_exchange(e, &server);
    struct ip_endpoint own = env6_ep(env6_us, 7001);
    tcp_local_exchange(e, &own);
    env_free(e);
}

/* A socket bound to a loopback address cannot reach a link: Linux says
 * EINVAL (IPv4) / ENETUNREACH (IPv6); nothing is sent. */
static void test_loopback_source_stays_home(void **state)
{
    (void)state;
    struct stack_env *e = env_new(NULL, false);
    struct udp_sock *u = udp_sock_open(e->s, NULL, NULL);
    struct ip_endpoint lo = env_ep(LO4, 5001), peer = env_ep(ENV_IP_PEER, 7);
    assert_int_equal(udp_sock_bind(u, &lo), 0);
    assert_int_equal(udp_sock_sendto(u, "x", 1, &peer, e->now), -EINVAL);
    assert_int_equal(e->nif.n, 0);
    udp_sock_close(u);
    env_free(e);
}

/* 127/8 and ::1 arriving from a link are martians (RFC 1122 3.2.1.3 (g),
 * RFC 4291 2.5.3): dropped and counted, whatever the MAC said. */
static void test_martians_from_the_link(void **state)
{
    (void)state;
    struct stack_env *e = env6_ready(NULL);
    struct udp_sock *u = udp_sock_open(e->s, NULL, NULL);
    struct ip_endpoint any = env_ep(0, 7);
    assert_int_equal(udp_sock_bind(u, &any), 0);
    uint8_t frame[128];
    size_t n = env_udp_to_us(frame, sizeof frame, 4000, 7, "x", 1);
    /* Rewrite the IPv4 destination to 127.0.0.1 and fix the checksum:
     * the frame is otherwise perfect. */
    uint8_t *ip = frame + 14;
    ip[16] = 127, ip[17] = 0, ip[18] = 0, ip[19] = 1;
    ip[10] = ip[11] = 0;
    uint32_t sum = 0;
    for (int i = 0; i < 20; i += 2)
        sum += (uint32_t)(ip[i] << 8 | ip[i + 1]);
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    ip[10] = (uint8_t)(~sum >> 8), ip[11] = (uint8_t)~sum;
    env_input(e, frame, n);
    assert_int_equal(env_ctr(e, CTR_IPV4_RX_DROP_MARTIAN), 1);
    /* ::1 as the destination of an IPv6 packet from the link. */
    static const uint8_t lo6[16] = {[15] = 1};
    uint8_t na[128];
    size_t len = env6_na(na, env6_peer, lo6, 0, env6_peer, NULL);
    env6_frame_input(e, &env_mac_peer, env6_peer, lo6, na, len);
    assert_int_equal(env_ctr(e, CTR_IPV6_RX_DROP_MARTIAN), 1);
    char buf[4];
    assert_int_equal(udp_sock_recvfrom(u, buf, sizeof buf, NULL), -EAGAIN);
    udp_sock_close(u);
    env_free(e);
}

/* lo's queue is bounded: a burst past STACK_LOOPBACK_QUEUE_MAX without a
 * poll loses the rest, counted, and what was queued still arrives. */
static void test_queue_bounded(void **state)
{
    (void)state;
    struct stack_env *e = env_new(NULL, false);
    struct udp_sock *a = udp_sock_open(e->s, NULL, NULL);
    struct udp_sock *b = udp_sock_open(e->s, NULL, NULL);
    struct ip_endpoint ea = env_ep(LO4, 5002);
    assert_int_equal(udp_sock_bind(a, &ea), 0);
    int lost = 0;
    for (int i = 0; i < STACK_LOOPBACK_QUEUE_MAX + 10; i++)
        if (udp_sock_sendto(b, "d", 1, &ea, e->now) != 1)
            lost++;
    assert_int_equal(env_ctr(e, CTR_LO_DROP_QUEUE_FULL), 10);
    (void)lost; /* a full queue may or may not be reported to the sender */
    run_due(e);
    int got = 0;
    char c;
    while (udp_sock_recvfrom(a, &c, 1, NULL) == 1)
        got++;
    assert_true(got > 0 && got <= STACK_LOOPBACK_QUEUE_MAX);
    udp_sock_close(a);
    udp_sock_close(b);
    env_free(e);
}

/* Two sockets answering each other forever take one poll per exchange:
 * a poll delivers only what was queued before it. */
static void echo_back(void *user, struct udp_sock *us, int events)
{
    (void)user;
    if (!(events & UDP_EV_READABLE))
        return;
    char buf[8];
    struct ip_endpoint from;
    int n = udp_sock_recvfrom(us, buf, sizeof buf, &from);
    if (n > 0)
        (void)udp_sock_sendto(us, buf, (size_t)n, &from, 0);
}

static void test_ping_pong_does_not_spin(void **state)
{
    (void)state;
    struct stack_env *e = env_new(NULL, false);
    struct udp_sock *a = udp_sock_open(e->s, echo_back, NULL);
    struct udp_sock *b = udp_sock_open(e->s, echo_back, NULL);
    struct ip_endpoint ea = env_ep(LO4, 6001), eb = env_ep(LO4, 6002);
    assert_int_equal(udp_sock_bind(a, &ea), 0);
    assert_int_equal(udp_sock_bind(b, &eb), 0);
    assert_int_equal(udp_sock_sendto(a, "p", 1, &eb, e->now), 1);
    for (int i = 0; i < 10; i++)
        stack_poll(e->s, e->now);
    assert_int_equal(env_ctr(e, CTR_LO_RX_PACKETS), 10);
    assert_true(stack_next_deadline(e->s) <= e->now); /* still going */
    udp_sock_close(a);
    udp_sock_close(b);
    env_free(e); /* frees what is still queued */
}

/* lo in the interface list, first, with its own counters. */
static void test_lo_listed(void **state)
{
    (void)state;
    struct stack_env *e = env_new(NULL, false);
    struct netif_info ni[4];
    assert_int_equal(stack_netif_list(e->s, ni, 4), 2);
    assert_string_equal(ni[0].name, "lo");
    assert_true(ni[0].loopback);
    assert_int_equal(ni[0].ifindex, STACK_LOOPBACK_IFINDEX);
    assert_int_equal(ni[0].mtu, STACK_LOOPBACK_MTU);
    assert_string_equal(ni[1].name, "tcpip0");
    assert_int_equal(stack_netif_by_name(e->s, "lo"), STACK_LOOPBACK_IFINDEX);
    assert_int_equal(stack_netif_by_name(e->s, "nope"), -ENODEV);
    struct udp_sock *u = udp_sock_open(e->s, NULL, NULL);
    struct ip_endpoint lo = env_ep(LO4, 5003);
    assert_int_equal(udp_sock_bind(u, &lo), 0);
    assert_int_equal(udp_sock_sendto(u, "abc", 3, &lo, e->now), 3);
    run_due(e);
    stack_netif_list(e->s, ni, 4);
    assert_int_equal(ni[0].tx_packets, 1);
    assert_int_equal(ni[0].rx_packets, 1);
    assert_int_equal(ni[0].tx_bytes, 20 + 8 + 3);
    struct addr4_info a4[4];
    assert_int_equal(stack_addr4_list(e->s, a4, 4, e->now), 2);
    assert_int_equal(a4[0].addr, LO4);
    assert_int_equal(a4[0].prefix_len, 8);
    assert_int_equal(a4[0].ifindex, STACK_LOOPBACK_IFINDEX);
    /* lo's addresses and MTU are not for changing. */
    assert_int_equal(stack_addr4_add(e->s, STACK_LOOPBACK_IFINDEX, 0x7f000002u, 8, e->now),
                     -EINVAL);
    assert_int_equal(stack_netif_set_mtu(e->s, STACK_LOOPBACK_IFINDEX, 1500), -EINVAL);
    udp_sock_close(u);
    env_free(e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_udp_over_127),
        cmocka_unit_test(test_udp_refused_on_lo),
        cmocka_unit_test(test_tcp_to_own_address),
        cmocka_unit_test(test_tcp_over_127),
        cmocka_unit_test(test_tcp_over_ipv6),
        cmocka_unit_test(test_loopback_source_stays_home),
        cmocka_unit_test(test_martians_from_the_link),
        cmocka_unit_test(test_queue_bounded),
        cmocka_unit_test(test_ping_pong_does_not_spin),
        cmocka_unit_test(test_lo_listed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
