/* test_udp.c - UDP sockets (RFC 768) through a fake netif. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "tests/unit/support/stack_env.h"

struct events {
    int readable;
    int error;
};

static void on_event(void *user, struct udp_sock *us, int ev)
{
    (void)us;
    struct events *evs = user;
    if (evs == NULL)
        return;
    if (ev & UDP_EV_READABLE)
        evs->readable++;
    if (ev & UDP_EV_ERROR)
        evs->error++;
}

static struct udp_sock *bound_sock(struct stack_env *e, uint32_t addr, uint16_t port,
                                   struct events *evs)
{
    struct udp_sock *us = udp_sock_open(e->s, on_event, evs);
    assert_non_null(us);
    struct ip_endpoint local = env_ep(addr, port);
    assert_int_equal(udp_sock_bind(us, &local), 0);
    return us;
}

/* The daemon's echo service does exactly this. */
static void test_roundtrip(void **state)
{
    (void)state;
    struct stack_env *e = env_new(NULL, false);
    struct events evs = {0};
    struct udp_sock *us = bound_sock(e, 0, 7, &evs);
    env_learn(e, ENV_IP_PEER, &env_mac_peer);

    uint8_t f[FRAME_MAX];
    size_t n = env_udp_to_us(f, sizeof f, 5000, 7, "hello", 5);
    env_input(e, f, n);
    assert_int_equal(evs.readable, 1);
    assert_int_equal(env_ctr(e, CTR_UDP_RX_DELIVERED), 1);
    assert_int_equal(udp_sock_peek_size(us), 5);

    char buf[64];
    struct ip_endpoint src;
    assert_int_equal(udp_sock_recvfrom(us, buf, sizeof buf, &src), 5);
    assert_memory_equal(buf, "hello", 5);
    assert_int_equal(src.addr.family, IP_FAMILY_V4);
    assert_int_equal(src.addr.u.v4, ENV_IP_PEER);
    assert_int_equal(src.port, 5000);
    assert_int_equal(udp_sock_recvfrom(us, buf, sizeof buf, &src), -EAGAIN);

    assert_int_equal(udp_sock_sendto(us, buf, 5, &src, e->now), 5);
    assert_int_equal(e->nif.n, 1);
    struct parsed_frame pf;
    env_frame(e, 0, &pf);
    assert_true(eth_addr_eq(&pf.eth.dst, &env_mac_peer));
    assert_true(eth_addr_eq(&pf.eth.src, &env_mac_us));
    assert_true(pf.is_udp); /* the checksum verified */
    assert_int_not_equal(pf.udp.csum, 0);
    assert_int_equal(pf.ip.src, ENV_IP_US);
    assert_int_equal(pf.ip.dst, ENV_IP_PEER);
    assert_int_equal(pf.ip.ttl, 64);
    assert_true(pf.ip.frag & IPV4_FLAG_DF);
    assert_int_equal(pf.udp.sport, 7);
    assert_int_equal(pf.udp.dport, 5000);
    assert_int_equal(pf.udp.payload_len, 5);
    assert_memory_equal(pf.udp.payload, "hello", 5);
    assert_int_equal(env_ctr(e, CTR_UDP_TX), 1);
    udp_sock_close(us);
    env_free(e);
}

static void test_ephemeral_ports(void **state)
{
    (void)state;
    struct stack_env *e = env_new(NULL, false);
    enum { N = 200 };
    struct udp_sock *socks[N];
    uint16_t ports[N];
    for (int i = 0; i < N; i++) {
        socks[i] = bound_sock(e, 0, 0, NULL);
        struct ip_endpoint name;
        assert_int_equal(udp_sock_getsockname(socks[i], &name), 0);
        assert_true(name.port >= 32768 && name.port <= 60999);
        ports[i] = name.port;
        for (int j = 0; j < i; j++)
            assert_int_not_equal(ports[i], ports[j]);
    }
    /* Not simply sequential: the start is a keyed hash (RFC 6056). */
    bool all_sequential = true;
    for (int i = 1; i < N; i++)
        all_sequential &= ports[i] == ports[i - 1] + 1;
    assert_true(ports[0] != 32768 || !all_sequential);
    for (int i = 0; i < N; i++)
        udp_sock_close(socks[i]);
    env_free(e);
}

static void test_ephemeral_depends_on_key(void **state)
{
    (void)state;
    struct stack_env *a = env_new(NULL, false);
    struct stack_env *b = env_new(NULL, false);
    /* Same key: same first port. A different key: (almost surely) not. */
    struct udp_sock *ua = bound_sock(a, 0, 0, NULL);
    struct udp_sock *ub = bound_sock(b, 0, 0, NULL);
    struct ip_endpoint na, nb;
    udp_sock_getsockname(ua, &na);
    udp_sock_getsockname(ub, &nb);
    assert_int_equal(na.port, nb.port);
    env_free(b);

    struct stack_config cfg;
    stack_config_defaults(&cfg);
    memset(cfg.key, 0x5a, sizeof cfg.key);
    struct stack *s = stack_new(&cfg);
    assert_non_null(s);
    struct udp_sock *uc = udp_sock_open(s, NULL, NULL);
    struct ip_endpoint any = env_ep(0, 0), nc;
    assert_int_equal(udp_sock_bind(uc, &any), 0);
    udp_sock_getsockname(uc, &nc);
    assert_int_not_equal(nc.port, na.port);
    stack_free(s); /* frees uc too */
    env_free(a);
}

static void test_bind_errors(void **state)
{
    (void)state;
    struct stack_env *e = env_new(NULL, false);
    struct udp_sock *a = bound_sock(e, 0, 7, NULL);
    struct udp_sock *b = udp_sock_open(e->s, NULL, NULL);
    struct ip_endpoint l = env_ep(0, 7);
    assert_int_equal(udp_sock_bind(b, &l), -EADDRINUSE);
    l = env_ep(ENV_IP_US, 7);
    assert_int_equal(udp_sock_bind(b, &l), -EADDRINUSE);
    l = env_ep(ENV_IP_US + 1, 8);
    assert_int_equal(udp_sock_bind(b, &l), -EADDRNOTAVAIL);
    l = env_ep(ENV_IP_US, 8);
    assert_int_equal(udp_sock_bind(b, &l), 0);
    assert_int_equal(udp_sock_bind(b, &l), -EINVAL); /* already bound */

    struct udp_sock *c = udp_sock_open(e->s, NULL, NULL);
    l = env_ep(0, 8);
    assert_int_equal(udp_sock_bind(c, &l), -EADDRINUSE); /* wildcard overlaps */
    struct ip_endpoint v6;
    memset(&v6, 0, sizeof v6);
    v6.addr.family = IP_FAMILY_V6;
    v6.port = 9;
    assert_int_equal(udp_sock_bind(c, &v6), -EAFNOSUPPORT);
    v6.addr.family = 99;
    assert_int_equal(udp_sock_bind(c, &v6), -EINVAL);
    assert_int_equal(udp_sock_bind(c, NULL), -EINVAL);

    /* Closing frees the port. */
    udp_sock_close(a);
    l = env_ep(0, 7);
    assert_int_equal(udp_sock_bind(c, &l), 0);
    udp_sock_close(b);
    udp_sock_close(c);
    env_free(e);
}

static void test_truncation(void **state)
{
    (void)state;
    struct stack_env *e = env_new(NULL, false);
    struct udp_sock *us = bound_sock(e, 0, 9, NULL);
    uint8_t payload[100];
    for (size_t i = 0; i < sizeof payload; i++)
        payload[i] = (uint8_t)i;
    uint8_t f[FRAME_MAX];
    size_t n = env_udp_to_us(f, sizeof f, 1234, 9, payload, sizeof payload);
    env_input(e, f, n);
    n = env_udp_to_us(f, sizeof f, 1234, 9, NULL, 0); /* an empty datagram */
    env_input(e, f, n);

    uint8_t buf[10];
    memset(buf, 0xee, sizeof buf);
    assert_int_equal(udp_sock_peek_size(us), 100);
    /* Returns the full size, copies what fits: MSG_TRUNC semantics. */
    assert_int_equal(udp_sock_recvfrom(us, buf, 10, NULL), 100);
    assert_memory_equal(buf, payload, 10);
    /* The rest of a truncated datagram is gone: the next is the empty one. */
    assert_int_equal(udp_sock_peek_size(us), 0);
    assert_int_equal(udp_sock_recvfrom(us, buf, sizeof buf, NULL), 0);
    assert_int_equal(udp_sock_recvfrom(us, buf, sizeof buf, NULL), -EAGAIN);
    assert_int_equal(udp_sock_peek_size(us), -EAGAIN);
    udp_sock_close(us);
    env_free(e);
}

static void small_rcvbuf(struct stack_config *cfg, struct netif_config *ncfg)
{
    (void)ncfg;
    cfg->udp_rcvbuf = 1000;
}

static void test_rcvbuf_full(void **state)
{
    (void)state;
    struct stack_env *e = env_new(small_rcvbuf, false);
    struct events evs = {0};
    struct udp_sock *us = bound_sock(e, 0, 9, &evs);
    uint8_t payload[200] = {0};
    uint8_t f[FRAME_MAX];
    size_t n = env_udp_to_us(f, sizeof f, 1234, 9, payload, sizeof payload);
    for (int i = 0; i < 10; i++)
        env_input(e, f, n);
    uint64_t delivered = env_ctr(e, CTR_UDP_RX_DELIVERED);
    uint64_t dropped = env_ctr(e, CTR_UDP_RX_DROP_RCVBUF);
    assert_true(delivered >= 3 && delivered < 5); /* 1000 / (200 + overhead) */
    assert_int_equal(delivered + dropped, 10);
    assert_int_equal(evs.readable, (int)delivered);
    /* No ICMP for a full buffer: the port is open. */
    assert_int_equal(e->nif.n, 0);

    /* Reading makes room again. */
    uint8_t buf[256];
    assert_int_equal(udp_sock_recvfrom(us, buf, sizeof buf, NULL), 200);
    env_input(e, f, n);
    assert_int_equal(env_ctr(e, CTR_UDP_RX_DELIVERED), delivered + 1);
    udp_sock_close(us); /* with datagrams queued: freed (ASan checks) */
    env_free(e);
}

static void test_zero_checksum_accepted(void **state)
{
    (void)state;
    struct stack_env *e = env_new(NULL, false);
    struct udp_sock *us = bound_sock(e, 0, 9, NULL);
    uint8_t f[FRAME_MAX];
    size_t n = env_udp_to_us(f, sizeof f, 1234, 9, "abc", 3);
    f[ETH_HLEN + IPV4_HLEN + 6] = 0;
    f[ETH_HLEN + IPV4_HLEN + 7] = 0;
    env_input(e, f, n);
    assert_int_equal(env_ctr(e, CTR_UDP_RX_ZERO_CSUM), 1);
    assert_int_equal(env_ctr(e, CTR_UDP_RX_DELIVERED), 1);
    char buf[8];
    assert_int_equal(udp_sock_recvfrom(us, buf, sizeof buf, NULL), 3);
    assert_memory_equal(buf, "abc", 3);
    udp_sock_close(us);
    env_free(e);
}

static void test_bad_checksum_dropped(void **state)
{
    (void)state;
    struct stack_env *e = env_new(NULL, false);
    struct udp_sock *us = bound_sock(e, 0, 9, NULL);
    uint8_t f[FRAME_MAX];
    size_t n = env_udp_to_us(f, sizeof f, 1234, 9, "abc", 3);
    f[ETH_HLEN + IPV4_HLEN + UDP_HLEN] ^= 0x01;
    env_input(e, f, n);
    assert_int_equal(env_ctr(e, CTR_UDP_RX_DROP_BAD_CSUM), 1);
    assert_int_equal(env_ctr(e, CTR_UDP_RX_DELIVERED), 0);
    assert_int_equal(udp_sock_peek_size(us), -EAGAIN);
    assert_int_equal(e->nif.n, 0); /* no ICMP about a corrupt datagram */
    udp_sock_close(us);
    env_free(e);
}

static void test_bad_length_dropped(void **state)
{
    (void)state;
    struct stack_env *e = env_new(NULL, false);
    struct udp_sock *us = bound_sock(e, 0, 9, NULL);
    uint8_t f[FRAME_MAX];
    size_t n = env_udp_to_us(f, sizeof f, 1234, 9, "abcdefgh", 8);
    uint8_t *udp = f + ETH_HLEN + IPV4_HLEN;
    /* Length field past the end of the IP payload. */
    wr16(udp + 4, 17);
    env_input(e, f, n);
    /* Length field below the header size. */
    wr16(udp + 4, 7);
    env_input(e, f, n);
    assert_int_equal(env_ctr(e, CTR_UDP_RX_DROP_BAD_LENGTH), 2);

    /* An IP payload shorter than a UDP header. */
    struct ipv4_emit_args ip = {.frag = IPV4_FLAG_DF, .ttl = 64, .proto = IPPROTO_UDP_,
                                .src = ENV_IP_PEER, .dst = ENV_IP_US};
    n = frame_ipv4(f, sizeof f, &env_mac_us, &env_mac_peer, &ip, "abc", 3);
    env_input(e, f, n);
    assert_int_equal(env_ctr(e, CTR_UDP_RX_DROP_TRUNCATED), 1);
    assert_int_equal(env_ctr(e, CTR_UDP_RX_DELIVERED), 0);
    assert_int_equal(env_ctr(e, CTR_UDP_RX), 3);
    udp_sock_close(us);
    env_free(e);
}

/* IP_TOS (RFC 1122 4.2.4.2): the whole byte on every datagram, ECN bits
 * included (Linux leaves them to a UDP application); low 8 bits kept. */
static void test_ip_tos(void **state)
{
    (void)state;
    struct stack_env *e = env_new(NULL, false);
    env_learn(e, ENV_IP_PEER, &env_mac_peer);
    struct udp_sock *us = udp_sock_open(e->s, NULL, NULL);
    struct ip_endpoint peer = env_ep(ENV_IP_PEER, 7);
    int v = -1;
    assert_int_equal(udp_sock_getopt(us, UDP_OPT_TOS, &v), 0);
    assert_int_equal(v, 0);
    assert_int_equal(udp_sock_setopt(us, UDP_OPT_TOS, 0x1b9), 0);
    assert_int_equal(udp_sock_getopt(us, UDP_OPT_TOS, &v), 0);
    assert_int_equal(v, 0xb9);
    assert_int_equal(udp_sock_sendto(us, "x", 1, &peer, e->now), 1);
    /* A fragmented datagram: every fragment carries it. */
    static uint8_t big[3000];
    assert_int_equal(udp_sock_sendto(us, big, sizeof big, &peer, e->now), (int)sizeof big);
    assert_int_equal(e->nif.n, 4);
    for (size_t i = 0; i < e->nif.n; i++) {
        struct parsed_frame pf;
        env_frame(e, i, &pf);
        assert_true(pf.is_ipv4);
        assert_int_equal(pf.ip.tos, 0xb9);
    }
    /* The first sendto made it an IPv4 socket: no IPV6_TCLASS, as Linux. */
    assert_int_equal(udp_sock_getopt(us, UDP_OPT_TCLASS, &v), -ENOPROTOOPT);
    struct udp_sock *u4 = udp_sock_open(e->s, NULL, NULL);
    assert_int_equal(udp_sock_set_family(u4, IP_FAMILY_V4), 0);
    assert_int_equal(udp_sock_setopt(u4, UDP_OPT_TCLASS, 1), -ENOPROTOOPT);
    udp_sock_close(u4);
    udp_sock_close(us);
    env_free(e);
}

static void test_sendto_errors(void **state)
{
    (void)state;
    struct stack_env *e = env_new(NULL, false);
    env_learn(e, ENV_IP_PEER, &env_mac_peer);
    struct udp_sock *us = udp_sock_open(e->s, NULL, NULL);
    static uint8_t big[65508];
    struct ip_endpoint peer = env_ep(ENV_IP_PEER, 7);

    assert_int_equal(udp_sock_sendto(us, "x", 1, NULL, e->now), -EDESTADDRREQ);
    struct ip_endpoint bad = env_ep(ENV_IP_PEER, 0);
    assert_int_equal(udp_sock_sendto(us, "x", 1, &bad, e->now), -EINVAL);
    bad.addr.family = IP_FAMILY_V6;
    bad.port = 7;
    assert_int_equal(udp_sock_sendto(us, "x", 1, &bad, e->now), -EAFNOSUPPORT);

    /* MTU 1500: 1472 bytes fit in one frame with DF; 1473 are sent in
     * fragments (tests/unit/test_udp_frag.c); above 65507 nothing fits
     * IPv4's 16-bit total length. */
    assert_int_equal(udp_sock_sendto(us, big, 65508, &peer, e->now), -EMSGSIZE);
    assert_int_equal(env_ctr(e, CTR_UDP_TX_DROP_TOO_BIG), 1);
    assert_int_equal(udp_sock_sendto(us, big, 1472, &peer, e->now), 1472);
    assert_int_equal(e->nif.n, 1);
    assert_int_equal(e->nif.frames[0].len, 1514);

    /* Unbound before: now bound to an ephemeral port. */
    struct ip_endpoint name;
    udp_sock_getsockname(us, &name);
    assert_true(name.port >= 32768 && name.port <= 60999);
    udp_sock_close(us);
    env_free(e);
}

static void test_sendto_no_route(void **state)
{
    (void)state;
    struct stack_env *e = env_new(env_no_gateway, false);
    struct udp_sock *us = udp_sock_open(e->s, NULL, NULL);
    struct ip_endpoint far = env_ep(ENV_IP_FAR, 7);
    assert_int_equal(udp_sock_sendto(us, "x", 1, &far, e->now), -ENETUNREACH);
    assert_int_equal(udp_sock_connect(us, &far), -ENETUNREACH);
    assert_int_equal(env_ctr(e, CTR_IPV4_TX_DROP_NO_ROUTE), 2);
    assert_int_equal(e->nif.n, 0);
    udp_sock_close(us);
    env_free(e);
}

static void test_connected_filters_peers(void **state)
{
    (void)state;
    struct stack_env *e = env_new(NULL, false);
    struct events evs = {0};
    struct udp_sock *us = bound_sock(e, 0, 9, &evs);
    struct ip_endpoint peer = env_ep(ENV_IP_PEER, 5000);
    assert_int_equal(udp_sock_connect(us, &peer), 0);
    struct ip_endpoint name;
    udp_sock_getsockname(us, &name);
    assert_int_equal(name.addr.u.v4, ENV_IP_US); /* the route's source, as Linux */

    uint8_t f[FRAME_MAX];
    size_t n = env_udp_to_us(f, sizeof f, 5001, 9, "no", 2); /* other port */
    env_input(e, f, n);
    assert_int_equal(evs.readable, 0);
    assert_int_equal(env_ctr(e, CTR_UDP_RX_NO_PORT), 1);
    n = env_udp_to_us(f, sizeof f, 5000, 9, "yes", 3);
    env_input(e, f, n);
    assert_int_equal(evs.readable, 1);

    /* sendto(NULL) goes to the connected peer. */
    fake_netif_clear(&e->nif);
    env_learn(e, ENV_IP_PEER, &env_mac_peer);
    assert_int_equal(udp_sock_sendto(us, "hi", 2, NULL, e->now), 2);
    struct parsed_frame pf;
    env_frame(e, 0, &pf);
    assert_true(pf.is_udp);
    assert_int_equal(pf.udp.dport, 5000);
    assert_int_equal(pf.udp.sport, 9);
    udp_sock_close(us);
    env_free(e);
}

static void test_broadcast_delivery(void **state)
{
    (void)state;
    struct stack_env *e = env_new(NULL, false);
    struct events evs = {0};
    struct udp_sock *us = bound_sock(e, 0, 9, &evs);
    uint8_t f[FRAME_MAX];
    size_t n = frame_udp(f, sizeof f, &frame_broadcast_mac, &env_mac_peer, ENV_IP_PEER,
                         0xffffffffu, 1234, 9, "b1", 2);
    env_input(e, f, n);
    n = frame_udp(f, sizeof f, &frame_broadcast_mac, &env_mac_peer, ENV_IP_PEER, ENV_IP_BCAST,
                  1234, 9, "b2", 2);
    env_input(e, f, n);
    assert_int_equal(evs.readable, 2);
    /* To a closed port: counted, but no ICMP about a broadcast. */
    n = frame_udp(f, sizeof f, &frame_broadcast_mac, &env_mac_peer, ENV_IP_PEER, ENV_IP_BCAST,
                  1234, 10, "b3", 2);
    env_input(e, f, n);
    assert_int_equal(env_ctr(e, CTR_UDP_RX_NO_PORT), 1);
    assert_int_equal(e->nif.n, 0);

    /* A socket bound to the unicast address does not get broadcasts. */
    struct udp_sock *u2 = bound_sock(e, ENV_IP_US, 11, &evs);
    n = frame_udp(f, sizeof f, &frame_broadcast_mac, &env_mac_peer, ENV_IP_PEER, ENV_IP_BCAST,
                  1234, 11, "b4", 2);
    env_input(e, f, n);
    assert_int_equal(evs.readable, 2);
    udp_sock_close(us);
    udp_sock_close(u2);
    env_free(e);
}

static void test_send_broadcast(void **state)
{
    (void)state;
    struct stack_env *e = env_new(NULL, false);
    struct udp_sock *us = udp_sock_open(e->s, NULL, NULL);
    struct ip_endpoint dst = env_ep(0xffffffffu, 9);
    /* Linux udp_sendmsg: a broadcast needs SO_BROADCAST (EACCES). */
    assert_int_equal(udp_sock_sendto(us, "x", 1, &dst, e->now), -EACCES);
    assert_int_equal(udp_sock_connect(us, &dst), -EACCES);
    int v = 1;
    assert_int_equal(udp_sock_getopt(us, UDP_OPT_BROADCAST, &v), 0);
    assert_int_equal(v, 0);
    assert_int_equal(e->nif.n, 0);
    assert_int_equal(udp_sock_setopt(us, UDP_OPT_BROADCAST, 1), 0);
    assert_int_equal(udp_sock_getopt(us, UDP_OPT_BROADCAST, &v), 0);
    assert_int_equal(v, 1);
    assert_int_equal(udp_sock_sendto(us, "x", 1, &dst, e->now), 1);
    dst = env_ep(ENV_IP_BCAST, 9);
    assert_int_equal(udp_sock_sendto(us, "y", 1, &dst, e->now), 1);
    assert_int_equal(e->nif.n, 2); /* no ARP */
    for (size_t i = 0; i < 2; i++) {
        struct parsed_frame pf;
        env_frame(e, i, &pf);
        assert_true(eth_addr_is_broadcast(&pf.eth.dst));
        assert_true(pf.is_udp);
        assert_int_equal(pf.ip.src, ENV_IP_US);
    }
    udp_sock_close(us);
    env_free(e);
}

static void test_pending_error_returned_once(void **state)
{
    (void)state;
    struct stack_env *e = env_new(NULL, false);
    struct events evs = {0};
    struct udp_sock *us = udp_sock_open(e->s, on_event, &evs);
    struct ip_endpoint peer = env_ep(ENV_IP_PEER, 53);
    assert_int_equal(udp_sock_connect(us, &peer), 0);
    env_learn(e, ENV_IP_PEER, &env_mac_peer);
    assert_int_equal(udp_sock_sendto(us, "q", 1, NULL, e->now), 1);

    /* The peer answers with port unreachable, quoting our datagram. */
    const struct fake_frame *sent = fake_netif_frame(&e->nif, 0);
    assert_non_null(sent);
    uint8_t f[FRAME_MAX];
    size_t n = frame_icmp4(f, sizeof f, &env_mac_us, &env_mac_peer, ENV_IP_PEER, ENV_IP_US,
                           ICMP4_DEST_UNREACH, ICMP4_PORT_UNREACH, 0, sent->data + ETH_HLEN,
                           IPV4_HLEN + UDP_HLEN + 1);
    env_input(e, f, n);
    assert_int_equal(evs.error, 1);
    assert_int_equal(udp_sock_sendto(us, "q", 1, NULL, e->now), -ECONNREFUSED);
    assert_int_equal(udp_sock_sendto(us, "q", 1, NULL, e->now), 1);
    assert_int_equal(udp_sock_error(us), 0);
    udp_sock_close(us);
    env_free(e);
}

static void test_close_unbound_and_null(void **state)
{
    (void)state;
    struct stack_env *e = env_new(NULL, false);
    udp_sock_close(NULL);
    struct udp_sock *us = udp_sock_open(e->s, NULL, NULL);
    struct ip_endpoint name;
    assert_int_equal(udp_sock_getsockname(us, &name), 0);
    assert_int_equal(name.port, 0);
    udp_sock_close(us);
    /* Sockets left open are freed by stack_free. */
    (void)bound_sock(e, 0, 0, NULL);
    env_free(e);
}

/* The view for tcpipctl: sockets with a port only (as ss), the connected
 * peer, the receive queue with its per-datagram overhead. */
static void test_socket_list(void **state)
{
    (void)state;
    struct stack_env *e = env_new(NULL, false);
    struct events evs = {0};
    struct udp_sock *unbound = udp_sock_open(e->s, NULL, NULL);
    struct udp_sock *wild = bound_sock(e, 0, 7, &evs);
    struct udp_sock *conn = bound_sock(e, 0, 9, NULL);
    struct ip_endpoint peer = env_ep(ENV_IP_PEER, 5000);
    assert_int_equal(udp_sock_connect(conn, &peer), 0);
    uint8_t f[FRAME_MAX];
    size_t n = env_udp_to_us(f, sizeof f, 5000, 7, "hello", 5);
    env_input(e, f, n);
    assert_int_equal(evs.readable, 1);

    assert_int_equal(stack_udp_list(e->s, NULL, 0), 2);
    struct udp_sock_info info[4];
    assert_int_equal(stack_udp_list(e->s, info, 1), 2); /* the count, even past max */
    assert_int_equal(stack_udp_list(e->s, info, 4), 2);
    const struct udp_sock_info *w = info[0].sock == wild ? &info[0] : &info[1];
    const struct udp_sock_info *c = info[0].sock == conn ? &info[0] : &info[1];
    assert_ptr_equal(w->sock, wild);
    assert_ptr_equal(c->sock, conn);
    assert_int_equal(w->local.port, 7);
    assert_false(w->connected);
    assert_true(w->recv_queue > 5); /* 5 bytes of data and the queue entry */
    assert_ptr_equal(w->user, &evs);
    assert_true(c->connected);
    assert_int_equal(c->local.addr.u.v4, ENV_IP_US);
    assert_int_equal(c->remote.addr.u.v4, ENV_IP_PEER);
    assert_int_equal(c->remote.port, 5000);
    assert_int_equal(c->recv_queue, 0);

    char buf[16];
    assert_int_equal(udp_sock_recvfrom(wild, buf, sizeof buf, NULL), 5);
    udp_sock_info(wild, &info[0]);
    assert_int_equal(info[0].recv_queue, 0);
    udp_sock_close(unbound);
    udp_sock_close(wild);
    udp_sock_close(conn);
    assert_int_equal(stack_udp_list(e->s, info, 4), 0);
    env_free(e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_roundtrip),
        cmocka_unit_test(test_ephemeral_ports),
        cmocka_unit_test(test_ephemeral_depends_on_key),
        cmocka_unit_test(test_bind_errors),
        cmocka_unit_test(test_truncation),
        cmocka_unit_test(test_rcvbuf_full),
        cmocka_unit_test(test_zero_checksum_accepted),
        cmocka_unit_test(test_bad_checksum_dropped),
        cmocka_unit_test(test_bad_length_dropped),
        cmocka_unit_test(test_ip_tos),
        cmocka_unit_test(test_sendto_errors),
        cmocka_unit_test(test_sendto_no_route),
        cmocka_unit_test(test_connected_filters_peers),
        cmocka_unit_test(test_broadcast_delivery),
        cmocka_unit_test(test_send_broadcast),
        cmocka_unit_test(test_pending_error_returned_once),
        cmocka_unit_test(test_close_unbound_and_null),
        cmocka_unit_test(test_socket_list),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
