/* test_udp6.c - UDP sockets of the IPv6 family: native IPv6 datagrams
 * (RFC 8200 8.1 pseudo-header checksum) through the fake netif with
 * fd77::2/64 (env6.h), dual stack over IPv4 (RFC 3493 3.7: a socket on
 * [::] receives IPv4 as ::ffff:a.b.c.d and answers over IPv4),
 * IPV6_V6ONLY (RFC 3493 5.3) with Linux's errnos, and port sharing. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "stack/wire/eth.h"
#include "stack/wire/udp.h"
#include "tests/unit/support/env6.h"
#include "tests/unit/support/frames6.h"

static struct ip_addr v6(const char *text)
{
    struct ip_addr a;
    memset(&a, 0, sizeof a);
    a.family = IP_FAMILY_V6;
    assert_int_equal(ip6_parse(text, a.u.v6), 0);
    return a;
}

static struct ip_endpoint ep6(const char *text, uint16_t port)
{
    struct ip_endpoint ep;
    memset(&ep, 0, sizeof ep);
    ep.addr = v6(text);
    ep.port = port;
    return ep;
}

static void assert_ep6(const struct ip_endpoint *ep, const char *text, uint16_t port)
{
    struct ip_addr want = v6(text);
    assert_int_equal(ep->addr.family, IP_FAMILY_V6);
    assert_memory_equal(ep->addr.u.v6, want.u.v6, 16);
    assert_int_equal(ep->port, port);
}

static struct udp_sock *sock6(struct stack_env *e, bool v6only)
{
    struct udp_sock *us = udp_sock_open(e->s, NULL, NULL);
    assert_non_null(us);
    assert_int_equal(udp_sock_set_family(us, IP_FAMILY_V6), 0);
    if (v6only)
        assert_int_equal(udp_sock_setopt(us, UDP_OPT_V6ONLY, 1), 0);
    return us;
}

static struct udp_sock *bound6(struct stack_env *e, const char *addr, uint16_t port,
                               bool v6only)
{
    struct udp_sock *us = sock6(e, v6only);
    struct ip_endpoint local = ep6(addr, port);
    assert_int_equal(udp_sock_bind(us, &local), 0);
    return us;
}

/* A UDP datagram from the peer fd77::9 to dst over IPv6. */
static size_t udp6_frame(uint8_t *f, size_t cap, const uint8_t dst[16], uint16_t sport,
                         uint16_t dport, const void *data, size_t len)
{
    uint8_t seg[256];
    assert_true(len + UDP_HLEN <= sizeof seg);
    memcpy(seg + UDP_HLEN, data, len);
    struct ip_addr s = ipv6_addr_tag(env6_peer), d = ipv6_addr_tag(dst);
    udp_emit(seg, sport, dport, len, &s, &d);
    return f6_packet(f, cap, env6_peer, dst, IPPROTO_UDP_, 64, seg, UDP_HLEN + len);
}

/* The i-th recorded frame as IPv6 + UDP (checksum verified). */
static void take_udp6(const struct stack_env *e, size_t i, struct ipv6_view *ip,
                      struct udp_view *u)
{
    const struct fake_frame *fr = fake_netif_frame(&e->nif, i);
    assert_non_null(fr);
    assert_true(fr->len > ETH_HLEN);
    assert_int_equal(rd16(fr->data + 12), ETHERTYPE_IPV6);
    assert_int_equal(ipv6_parse(fr->data + ETH_HLEN, fr->len - ETH_HLEN, ip), WIRE_OK);
    assert_int_equal(ip->next_header, IPPROTO_UDP_);
    struct ip_addr s = ipv6_addr_tag(ip->src), d = ipv6_addr_tag(ip->dst);
    assert_int_equal(udp_parse(ip->payload, ip->payload_len, &s, &d, u), WIRE_OK);
}

/* Native IPv6: receive on [::]:7, the source is fd77::9; the answer goes
 * out as IPv6 from fd77::2 with a valid checksum. */
static void test_native_roundtrip(void **state)
{
    (void)state;
    struct stack_env *e = env6_ready(env6_tweak_no_slaac);
    f6_learn_peer(e);
    struct udp_sock *us = bound6(e, "::", 7, false);
    uint8_t f[512];
    size_t n = udp6_frame(f, sizeof f, env6_us, 5000, 7, "hello", 5);
    f6_input(e, f, n);
    assert_int_equal(env_ctr(e, CTR_UDP_RX_DELIVERED), 1);
    char buf[16];
    struct ip_endpoint src;
    assert_int_equal(udp_sock_recvfrom(us, buf, sizeof buf, &src), 5);
    assert_ep6(&src, "fd77::9", 5000);
    assert_int_equal(udp_sock_sendto(us, "world", 5, &src, e->now), 5);
    assert_int_equal(e->nif.n, 1);
    struct ipv6_view ip;
    struct udp_view u;
    take_udp6(e, 0, &ip, &u);
    assert_memory_equal(ip.src, env6_us, 16);
    assert_memory_equal(ip.dst, env6_peer, 16);
    assert_int_equal(u.sport, 7);
    assert_int_equal(u.dport, 5000);
    assert_int_not_equal(u.csum, 0); /* RFC 8200 8.1: mandatory */
    assert_int_equal(u.payload_len, 5);
    assert_memory_equal(u.payload, "world", 5);
    udp_sock_close(us);
    env_free(e);
}

/* IPV6_TCLASS (RFC 3542 6.5): -1..255, -1 the default 0, on every
 * datagram; over IPv4 (dual stack) IP_TOS is used instead. */
static void test_tclass(void **state)
{
    (void)state;
    struct stack_env *e = env6_ready(env6_tweak_no_slaac);
    f6_learn_peer(e);
    struct udp_sock *us = bound6(e, "::", 7, false);
    assert_int_equal(udp_sock_setopt(us, UDP_OPT_TCLASS, 256), -EINVAL);
    assert_int_equal(udp_sock_setopt(us, UDP_OPT_TCLASS, -2), -EINVAL);
    assert_int_equal(udp_sock_setopt(us, UDP_OPT_TCLASS, 0xa2), 0);
    int v = 0;
    assert_int_equal(udp_sock_getopt(us, UDP_OPT_TCLASS, &v), 0);
    assert_int_equal(v, 0xa2);
    struct ip_endpoint peer = ep6("fd77::9", 5000);
    assert_int_equal(udp_sock_sendto(us, "x", 1, &peer, e->now), 1);
    struct ipv6_view ip;
    struct udp_view u;
    take_udp6(e, e->nif.n - 1, &ip, &u);
    assert_int_equal(ip.tclass, 0xa2);
    assert_int_equal(udp_sock_setopt(us, UDP_OPT_TCLASS, -1), 0);
    assert_int_equal(udp_sock_getopt(us, UDP_OPT_TCLASS, &v), 0);
    assert_int_equal(v, 0);
    assert_int_equal(udp_sock_sendto(us, "x", 1, &peer, e->now), 1);
    take_udp6(e, e->nif.n - 1, &ip, &u);
    assert_int_equal(ip.tclass, 0);
    udp_sock_close(us);
    env_free(e);
}

/* A socket bound to fd77::2 gets datagrams to it; connect picks the
 * peer; an autobound IPv6 socket is named [::]:port. */
static void test_native_bound_and_connected(void **state)
{
    (void)state;
    struct stack_env *e = env6_ready(env6_tweak_no_slaac);
    f6_learn_peer(e);
    struct udp_sock *b = bound6(e, "fd77::2", 53, false);
    struct ip_endpoint name;
    assert_int_equal(udp_sock_getsockname(b, &name), 0);
    assert_ep6(&name, "fd77::2", 53);
    struct udp_sock *nope = sock6(e, false);
    struct ip_endpoint other = ep6("fd77::55", 53);
    assert_int_equal(udp_sock_bind(nope, &other), -EADDRNOTAVAIL);

    struct udp_sock *c = sock6(e, false);
    struct ip_endpoint peer = ep6("fd77::9", 9999);
    assert_int_equal(udp_sock_connect(c, &peer), 0);
    assert_int_equal(udp_sock_getsockname(c, &name), 0);
    assert_ep6(&name, "fd77::2", name.port); /* the route's source */
    assert_true(name.port >= 32768);
    assert_int_equal(udp_sock_sendto(c, "x", 1, NULL, e->now), 1);
    struct ipv6_view ip;
    struct udp_view u;
    take_udp6(e, 0, &ip, &u);
    assert_int_equal(u.dport, 9999);
    assert_int_equal(u.sport, name.port);

    /* The peer's answer reaches the connected socket. */
    uint8_t f[512];
    size_t n = udp6_frame(f, sizeof f, env6_us, 9999, name.port, "ok", 2);
    f6_input(e, f, n);
    struct ip_endpoint src;
    char buf[4];
    assert_int_equal(udp_sock_recvfrom(c, buf, sizeof buf, &src), 2);
    assert_ep6(&src, "fd77::9", 9999);
    udp_sock_close(nope);
    udp_sock_close(c);
    udp_sock_close(b);
    env_free(e);
}

/* Above the path MTU: fragmented at the source (RFC 8200 4.5; the
 * details are in tests/unit/test_udp_frag.c). Above 65527 bytes the UDP
 * length cannot say it (no jumbograms): EMSGSIZE at once. */
static void test_native_too_big(void **state)
{
    (void)state;
    struct stack_env *e = env6_ready(env6_tweak_no_slaac);
    f6_learn_peer(e);
    struct udp_sock *us = sock6(e, false);
    static uint8_t big[65528];
    struct ip_endpoint peer = ep6("fd77::9", 9);
    assert_int_equal(udp_sock_sendto(us, big, 1500 - 48, &peer, e->now), 1500 - 48);
    assert_int_equal(e->nif.n, 1);
    assert_int_equal(udp_sock_sendto(us, big, 1500 - 47, &peer, e->now), 1500 - 47);
    assert_int_equal(e->nif.n, 3);
    assert_int_equal(env_ctr(e, CTR_IPV6_TX_FRAGMENTS), 2);
    assert_int_equal(udp_sock_sendto(us, big, 65528, &peer, e->now), -EMSGSIZE);
    assert_int_equal(env_ctr(e, CTR_UDP_TX_DROP_TOO_BIG), 1);
    udp_sock_close(us);
    env_free(e);
}

/* Dual stack: [::]:7 receives IPv4 from 10.77.0.9 as ::ffff:10.77.0.9 and
 * its answer to that address goes out as IPv4. */
static void test_dual_stack_ipv4(void **state)
{
    (void)state;
    struct stack_env *e = env_new(NULL, false);
    env_learn(e, ENV_IP_PEER, &env_mac_peer);
    struct udp_sock *us = bound6(e, "::", 7, false);
    uint8_t f[FRAME_MAX];
    size_t n = env_udp_to_us(f, sizeof f, 5000, 7, "hello", 5);
    env_input(e, f, n);
    char buf[16];
    struct ip_endpoint src;
    assert_int_equal(udp_sock_recvfrom(us, buf, sizeof buf, &src), 5);
    assert_ep6(&src, "::ffff:10.77.0.9", 5000);
    assert_int_equal(udp_sock_sendto(us, "world", 5, &src, e->now), 5);
    struct parsed_frame pf;
    env_frame(e, 0, &pf);
    assert_true(pf.is_udp);
    assert_int_equal(pf.ip.src, ENV_IP_US);
    assert_int_equal(pf.ip.dst, ENV_IP_PEER);
    assert_int_equal(pf.udp.sport, 7);
    assert_int_equal(pf.udp.dport, 5000);
    struct ip_endpoint name;
    assert_int_equal(udp_sock_getsockname(us, &name), 0);
    assert_ep6(&name, "::", 7);
    udp_sock_close(us);
    env_free(e);
}

/* V6ONLY: IPv4 to the port finds no socket (port unreachable); sending
 * to an IPv4-mapped address is ENETUNREACH; option errors as Linux. */
static void test_v6only(void **state)
{
    (void)state;
    struct stack_env *e = env_new(NULL, false);
    env_learn(e, ENV_IP_PEER, &env_mac_peer);
    struct udp_sock *us = bound6(e, "::", 7, true);
    int v = 0;
    assert_int_equal(udp_sock_getopt(us, UDP_OPT_V6ONLY, &v), 0);
    assert_int_equal(v, 1);
    assert_int_equal(udp_sock_setopt(us, UDP_OPT_V6ONLY, 0), -EINVAL); /* bound */
    uint8_t f[FRAME_MAX];
    size_t n = env_udp_to_us(f, sizeof f, 5000, 7, "hello", 5);
    env_input(e, f, n);
    assert_int_equal(env_ctr(e, CTR_UDP_RX_NO_PORT), 1);
    assert_int_equal(udp_sock_peek_size(us), -EAGAIN);
    struct ip_endpoint mapped = ep6("::ffff:10.77.0.9", 5000);
    assert_int_equal(udp_sock_sendto(us, "x", 1, &mapped, e->now), -ENETUNREACH);

    struct udp_sock *u4 = udp_sock_open(e->s, NULL, NULL);
    assert_int_equal(udp_sock_set_family(u4, IP_FAMILY_V4), 0);
    assert_int_equal(udp_sock_setopt(u4, UDP_OPT_V6ONLY, 1), -ENOPROTOOPT);
    assert_int_equal(udp_sock_getopt(u4, UDP_OPT_V6ONLY, &v), -ENOPROTOOPT);
    assert_int_equal(udp_sock_sendto(u4, "x", 1, &mapped, e->now), -EAFNOSUPPORT);
    struct udp_sock *o6 = sock6(e, true);
    assert_int_equal(udp_sock_bind(o6, &mapped), -EINVAL);
    udp_sock_close(o6);
    udp_sock_close(u4);
    udp_sock_close(us);
    env_free(e);
}

/* 0.0.0.0:53 and dual-stack [::]:53 overlap; with V6ONLY they share the
 * port, and IPv4 goes to the IPv4 socket. A native IPv4 wildcard also
 * beats a dual-stack one found first in the chain. */
static void test_port_sharing(void **state)
{
    (void)state;
    struct stack_env *e = env_new(NULL, false);
    struct udp_sock *u4 = udp_sock_open(e->s, NULL, NULL);
    struct ip_endpoint any4 = env_ep(0, 53);
    assert_int_equal(udp_sock_bind(u4, &any4), 0);
    struct udp_sock *dual = sock6(e, false);
    struct ip_endpoint any6 = ep6("::", 53);
    assert_int_equal(udp_sock_bind(dual, &any6), -EADDRINUSE);
    struct udp_sock *only6 = bound6(e, "::", 53, true);
    uint8_t f[FRAME_MAX];
    size_t n = env_udp_to_us(f, sizeof f, 5000, 53, "q", 1);
    env_input(e, f, n);
    assert_int_equal(udp_sock_peek_size(u4), 1);
    assert_int_equal(udp_sock_peek_size(only6), -EAGAIN);
    /* A specific IPv4 bind under the dual-stack wildcard also conflicts. */
    struct udp_sock *d2 = bound6(e, "::", 54, false);
    struct udp_sock *s4 = udp_sock_open(e->s, NULL, NULL);
    struct ip_endpoint us4 = env_ep(ENV_IP_US, 54);
    assert_int_equal(udp_sock_bind(s4, &us4), -EADDRINUSE);
    udp_sock_close(s4);
    udp_sock_close(d2);
    udp_sock_close(only6);
    udp_sock_close(dual);
    udp_sock_close(u4);
    env_free(e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_native_roundtrip),
        cmocka_unit_test(test_native_bound_and_connected),
        cmocka_unit_test(test_tclass),
        cmocka_unit_test(test_native_too_big),
        cmocka_unit_test(test_dual_stack_ipv4),
        cmocka_unit_test(test_v6only),
        cmocka_unit_test(test_port_sharing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
