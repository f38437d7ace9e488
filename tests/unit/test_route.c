/* test_route.c - the route table (core/route.c) behind ipv4_route and
 * ipv6_route: longest prefix, then metric, gateways checked on-link, a
 * second interface with two subnets, routes going unusable when their
 * gateway's subnet goes; IPv4 addresses added and removed at run time;
 * static neighbours; the MTU of an interface changed live. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "stack/core/stack_impl.h"
#include "tests/unit/support/env6.h"
#include "tests/unit/support/stack_env.h"

#define IP(a, b, c, d) ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (d))

struct two {
    struct stack_env *e;
    struct fake_netif nif1;
    int if1;
};

/* tcpip0 10.77.0.2/24 (default via 10.77.0.1) and tcpip1 with 10.77.1.2/24
 * and 10.77.5.2/24. */
static void two_setup(struct two *t, env_tweak_fn tweak)
{
    t->e = env_new(tweak, false);
    fake_netif_init(&t->nif1);
    struct netif_config c;
    memset(&c, 0, sizeof c);
    snprintf(c.name, sizeof c.name, "tcpip1");
    c.mac = (struct eth_addr){{0x02, 0, 0, 0, 1, 2}};
    c.mtu = 1500;
    c.ipv4_addr = IP(10, 77, 1, 2);
    c.ipv4_prefix_len = 24;
    c.addr4[0] = (struct netif_addr4_config){IP(10, 77, 5, 2), 24};
    c.n_addr4 = 1;
    t->if1 = stack_netif_add(t->e->s, &c, &fake_netif_ops, &t->nif1, t->e->now);
    assert_true(t->if1 >= 0);
    fake_netif_clear(&t->nif1);
}

static void two_free(struct two *t)
{
    fake_netif_clear(&t->nif1);
    env_free(t->e);
}

static struct stack_route rt4(uint32_t dst, uint8_t len, uint32_t gw, int ifindex, uint32_t metric)
{
    struct stack_route r = {.dst = ip_addr_v4(dst), .prefix_len = len, .ifindex = ifindex,
                            .metric = metric, .proto = ROUTE_PROTO_STATIC};
    if (gw != 0)
        r.gateway = ip_addr_v4(gw);
    return r;
}

static void expect_route(struct stack *s, uint32_t dst, int ifindex, uint32_t next_hop, uint32_t src)
{
    struct ipv4_route r;
    assert_int_equal(ipv4_route(s, dst, 0, &r), 0);
    assert_int_equal(r.nif->index, ifindex);
    assert_int_equal(r.next_hop, next_hop);
    assert_int_equal(r.src, src);
}

static void test_longest_prefix_and_metric(void **state)
{
    (void)state;
    struct two t;
    two_setup(&t, NULL);
    struct stack *s = t.e->s;
    /* The subnets of the addresses; the interface's default. */
    expect_route(s, IP(10, 77, 1, 9), t.if1, IP(10, 77, 1, 9), IP(10, 77, 1, 2));
    expect_route(s, IP(10, 77, 5, 9), t.if1, IP(10, 77, 5, 9), IP(10, 77, 5, 2));
    expect_route(s, IP(192, 0, 2, 1), t.e->ifindex, ENV_IP_GW, ENV_IP_US);
    /* 10.99/16 via a router on tcpip1's second subnet: its source is
     * that subnet's address. */
    struct stack_route r = rt4(IP(10, 99, 0, 0), 16, IP(10, 77, 5, 1), -1, 0);
    assert_int_equal(stack_route_add(s, &r), 0);
    expect_route(s, IP(10, 99, 3, 4), t.if1, IP(10, 77, 5, 1), IP(10, 77, 5, 2));
    /* A longer prefix inside it wins, whatever its metric. */
    r = rt4(IP(10, 99, 3, 0), 24, IP(10, 77, 1, 1), t.if1, 500);
    assert_int_equal(stack_route_add(s, &r), 0);
    expect_route(s, IP(10, 99, 3, 4), t.if1, IP(10, 77, 1, 1), IP(10, 77, 1, 2));
    expect_route(s, IP(10, 99, 4, 4), t.if1, IP(10, 77, 5, 1), IP(10, 77, 5, 2));
    /* Equal prefixes: the lower metric. */
    r = rt4(IP(10, 99, 0, 0), 16, ENV_IP_GW, -1, 5);
    assert_int_equal(stack_route_add(s, &r), 0);
    expect_route(s, IP(10, 99, 4, 4), t.if1, IP(10, 77, 5, 1), IP(10, 77, 5, 2)); /* metric 0 */
    r = rt4(IP(10, 99, 0, 0), 16, IP(10, 77, 5, 1), -1, 0);
    assert_int_equal(stack_route_del(s, &r), 0);
    expect_route(s, IP(10, 99, 4, 4), t.e->ifindex, ENV_IP_GW, ENV_IP_US); /* now metric 5 */
    assert_int_equal(stack_route_del(s, &r), -ESRCH);
    /* A route as long as a subnet does not beat the subnet (metric 0). */
    r = rt4(IP(10, 77, 1, 0), 24, ENV_IP_GW, -1, 0);
    assert_int_equal(stack_route_add(s, &r), 0);
    expect_route(s, IP(10, 77, 1, 9), t.if1, IP(10, 77, 1, 9), IP(10, 77, 1, 2));
    /* A second default with a lower metric on tcpip1. */
    r = rt4(0, 0, IP(10, 77, 1, 1), t.if1, 0);
    assert_int_equal(stack_route_add(s, &r), 0);
    /* Equal: the first added (tcpip0's from the config) stays. */
    expect_route(s, IP(192, 0, 2, 1), t.e->ifindex, ENV_IP_GW, ENV_IP_US);
    struct stack_route d0 = rt4(0, 0, ENV_IP_GW, t.e->ifindex, 0);
    assert_int_equal(stack_route_del(s, &d0), 0);
    expect_route(s, IP(192, 0, 2, 1), t.if1, IP(10, 77, 1, 1), IP(10, 77, 1, 2));
    /* A bound source picks its interface's default among equals. */
    assert_int_equal(stack_route_add(s, &d0), 0);
    struct ipv4_route ro;
    assert_int_equal(ipv4_route(s, IP(192, 0, 2, 1), ENV_IP_US, &ro), 0);
    assert_int_equal(ro.nif->index, t.e->ifindex);
    two_free(&t);
}

static void test_route_checks(void **state)
{
    (void)state;
    struct two t;
    two_setup(&t, NULL);
    struct stack *s = t.e->s;
    struct stack_route r = rt4(IP(10, 99, 0, 1), 16, ENV_IP_GW, -1, 0);
    assert_int_equal(stack_route_add(s, &r), -EINVAL); /* host bits */
    r = rt4(IP(10, 99, 0, 0), 16, IP(10, 77, 9, 1), -1, 0);
    assert_int_equal(stack_route_add(s, &r), -EINVAL); /* gateway not on-link */
    r = rt4(IP(10, 99, 0, 0), 16, IP(10, 77, 1, 1), t.e->ifindex, 0);
    assert_int_equal(stack_route_add(s, &r), -EINVAL); /* on-link, but not on that interface */
    r = rt4(IP(10, 99, 0, 0), 16, ENV_IP_US, -1, 0);
    assert_int_equal(stack_route_add(s, &r), -EINVAL); /* our own address */
    r = rt4(IP(10, 99, 0, 0), 16, 0, -1, 0);
    assert_int_equal(stack_route_add(s, &r), -EINVAL); /* neither gateway nor interface */
    r = rt4(IP(10, 99, 0, 0), 16, 0, 6, 0);
    assert_int_equal(stack_route_add(s, &r), -ENODEV);
    r = rt4(IP(10, 99, 0, 0), 33, ENV_IP_GW, -1, 0);
    assert_int_equal(stack_route_add(s, &r), -EINVAL);
    r = rt4(IP(10, 99, 0, 0), 16, ENV_IP_GW, -1, 0);
    r.gateway = ipv6_addr_tag(env6_peer);
    assert_int_equal(stack_route_add(s, &r), -EINVAL); /* family mix */
    r = rt4(IP(10, 99, 0, 0), 16, ENV_IP_GW, -1, 0);
    assert_int_equal(stack_route_add(s, &r), 0);
    assert_int_equal(stack_route_add(s, &r), -EEXIST);
    /* A device route (no gateway): on-link through that interface. */
    r = rt4(IP(10, 98, 0, 0), 16, 0, t.if1, 0);
    assert_int_equal(stack_route_add(s, &r), 0);
    expect_route(s, IP(10, 98, 7, 7), t.if1, IP(10, 98, 7, 7), IP(10, 77, 1, 2));
    /* The table is bounded. */
    int added = 0, rc = 0;
    for (int i = 0; i < STACK_MAX_ROUTES + 2 && rc == 0; i++) {
        r = rt4(IP(10, 200, i, 0), 24, ENV_IP_GW, -1, 0);
        rc = stack_route_add(s, &r);
        added += rc == 0;
    }
    assert_int_equal(rc, -ENOSPC);
    assert_int_equal(added, STACK_MAX_ROUTES - 3); /* config default, 10.99, 10.98 */
    /* The list: subnets (3), then the table. */
    struct stack_route list[STACK_MAX_ROUTES + 8];
    size_t n = stack_route4_list(s, list, STACK_MAX_ROUTES + 8, t.e->now);
    assert_int_equal(n, 3 + STACK_MAX_ROUTES);
    assert_int_equal(list[0].proto, ROUTE_PROTO_KERNEL);
    assert_int_equal(list[3].proto, ROUTE_PROTO_STATIC);
    assert_int_equal(list[3].prefix_len, 0);
    assert_int_equal(list[3].src.u.v4, ENV_IP_US);
    two_free(&t);
}

/* Addresses at run time: a second one on tcpip0 brings its subnet, is
 * answered for, announced; removed, it is gone, and a route through its
 * subnet is no longer used. */
static void test_addr_add_del(void **state)
{
    (void)state;
    struct stack_env *e = env_new(NULL, false);
    struct stack *s = e->s;
    assert_int_equal(stack_addr4_add(s, e->ifindex, IP(10, 77, 7, 2), 24, e->now), 0);
    assert_int_equal(e->nif.n, 1); /* the gratuitous ARP */
    struct parsed_frame f;
    env_frame(e, 0, &f);
    fake_netif_clear(&e->nif);
    assert_int_equal(stack_addr4_add(s, e->ifindex, IP(10, 77, 7, 2), 24, e->now), -EEXIST);
    assert_int_equal(stack_addr4_add(s, e->ifindex, ENV_IP_US, 24, e->now), -EEXIST);
    assert_int_equal(stack_addr4_add(s, e->ifindex, IP(10, 77, 8, 0), 24, e->now), -EINVAL);
    assert_int_equal(stack_addr4_add(s, e->ifindex, IP(10, 77, 8, 255), 24, e->now), -EINVAL);
    assert_int_equal(stack_addr4_add(s, e->ifindex, IP(127, 0, 0, 2), 8, e->now), -EINVAL);
    assert_int_equal(stack_addr4_add(s, e->ifindex, IP(224, 0, 0, 2), 8, e->now), -EINVAL);
    assert_int_equal(stack_addr4_add(s, e->ifindex, IP(10, 77, 8, 1), 33, e->now), -EINVAL);
    assert_int_equal(stack_addr4_add(s, 5, IP(10, 77, 8, 1), 24, e->now), -ENODEV);
    expect_route(s, IP(10, 77, 7, 9), e->ifindex, IP(10, 77, 7, 9), IP(10, 77, 7, 2));
    struct stack_route r = rt4(IP(10, 50, 0, 0), 16, IP(10, 77, 7, 1), -1, 0);
    assert_int_equal(stack_route_add(s, &r), 0);
    expect_route(s, IP(10, 50, 1, 1), e->ifindex, IP(10, 77, 7, 1), IP(10, 77, 7, 2));
    /* Bound to the new address: it is ours. */
    struct udp_sock *u = udp_sock_open(s, NULL, NULL);
    struct ip_endpoint ep = env_ep(IP(10, 77, 7, 2), 53);
    assert_int_equal(udp_sock_bind(u, &ep), 0);
    udp_sock_close(u);
    struct addr4_info a[4];
    assert_int_equal(stack_addr4_list(s, a, 4, e->now), 3); /* lo, 10.77.0.2, 10.77.7.2 */
    assert_int_equal(a[2].addr, IP(10, 77, 7, 2));
    assert_false(a[2].dynamic);
    assert_int_equal(a[2].valid_s, STACK_LIFETIME_FOREVER);

    assert_int_equal(stack_addr4_del(s, e->ifindex, IP(10, 77, 7, 2), 16), -EADDRNOTAVAIL);
    assert_int_equal(stack_addr4_del(s, e->ifindex, IP(10, 77, 7, 2), 24), 0);
    assert_int_equal(stack_addr4_list(s, a, 4, e->now), 2);
    /* 10.50/16's gateway is off-link now: the default route takes it. */
    expect_route(s, IP(10, 50, 1, 1), e->ifindex, ENV_IP_GW, ENV_IP_US);
    assert_int_equal(stack_addr4_del(s, STACK_LOOPBACK_IFINDEX, IP(127, 0, 0, 1), 8), -EINVAL);
    env_free(e);
}

static void test_neigh_add_del(void **state)
{
    (void)state;
    struct stack_env *e = env_new(NULL, false);
    struct stack *s = e->s;
    struct ip_addr peer = ip_addr_v4(ENV_IP_PEER);
    assert_int_equal(stack_neigh_add(s, e->ifindex, &peer, &env_mac_peer, e->now), 0);
    struct neigh_info ni[4];
    assert_int_equal(stack_neigh_list(s, ni, 4), 1);
    assert_int_equal(ni[0].state, NEIGH_PERMANENT);
    /* A datagram goes straight to it: no ARP request first. */
    struct udp_sock *u = udp_sock_open(s, NULL, NULL);
    struct ip_endpoint ep = env_ep(ENV_IP_PEER, 9);
    assert_int_equal(udp_sock_sendto(u, "x", 1, &ep, e->now), 1);
    struct parsed_frame f;
    env_frame(e, 0, &f);
    assert_true(f.is_ipv4);
    udp_sock_close(u);
    struct ip_addr off = ip_addr_v4(ENV_IP_FAR), own = ip_addr_v4(ENV_IP_US),
                   bc = ip_addr_v4(ENV_IP_BCAST);
    static const struct eth_addr mcast = {{0x01, 0, 0x5e, 0, 0, 1}}, zero = {{0}};
    assert_int_equal(stack_neigh_add(s, e->ifindex, &off, &env_mac_peer, e->now), -EINVAL);
    assert_int_equal(stack_neigh_add(s, e->ifindex, &own, &env_mac_peer, e->now), -EINVAL);
    assert_int_equal(stack_neigh_add(s, e->ifindex, &bc, &env_mac_peer, e->now), -EINVAL);
    assert_int_equal(stack_neigh_add(s, e->ifindex, &peer, &mcast, e->now), -EINVAL);
    assert_int_equal(stack_neigh_add(s, e->ifindex, &peer, &zero, e->now), -EINVAL);
    assert_int_equal(stack_neigh_add(s, 7, &peer, &env_mac_peer, e->now), -ENODEV);
    struct ip_addr p6 = ipv6_addr_tag(env6_peer);
    assert_int_equal(stack_neigh_add(s, e->ifindex, &p6, &env_mac_peer, e->now), -EAFNOSUPPORT);
    assert_int_equal(stack_neigh_del(s, e->ifindex, &peer), 0);
    assert_int_equal(stack_neigh_del(s, e->ifindex, &peer), -ENOENT);
    assert_int_equal(stack_neigh_list(s, ni, 4), 0);
    env_free(e);
}

/* The MTU changed live: datagrams above it are fragmented to it, and a
 * connection's next segments follow it. */
static void test_set_mtu(void **state)
{
    (void)state;
    struct stack_env *e = env_new(NULL, false);
    env_learn(e, ENV_IP_PEER, &env_mac_peer);
    assert_int_equal(stack_netif_set_mtu(e->s, e->ifindex, 67), -EINVAL);
    assert_int_equal(stack_netif_set_mtu(e->s, e->ifindex, 9001), -EINVAL);
    assert_int_equal(stack_netif_set_mtu(e->s, 6, 1400), -ENODEV);
    assert_int_equal(stack_netif_set_mtu(e->s, e->ifindex, 1000), 0);
    struct netif_info ni[2];
    stack_netif_list(e->s, ni, 2);
    assert_int_equal(ni[1].mtu, 1000);
    struct udp_sock *u = udp_sock_open(e->s, NULL, NULL);
    struct ip_endpoint ep = env_ep(ENV_IP_PEER, 9);
    static uint8_t big[1200];
    assert_int_equal(udp_sock_sendto(u, big, sizeof big, &ep, e->now), (int)sizeof big);
    assert_int_equal(e->nif.n, 2); /* two fragments */
    for (size_t i = 0; i < e->nif.n; i++)
        assert_true(e->nif.frames[i].len <= 14 + 1000);
    udp_sock_close(u);
    env_free(e);
}

/* IPv6: a static route beats the default router; one longer than an
 * on-link prefix beats it; the list shows it as static. */
static void test_route6(void **state)
{
    (void)state;
    struct stack_env *e = env6_ready(NULL);
    struct stack *s = e->s;
    static const uint8_t net9[16] = {0xfd, 0x77, 0, 9};
    static const uint8_t dst9[16] = {0xfd, 0x77, 0, 9, [15] = 5};
    static const uint8_t gw[16] = {0xfd, 0x77, [15] = 1};
    struct ip_route rt;
    assert_int_equal(ipv6_route(s, dst9, NULL, &rt), -ENETUNREACH);
    struct stack_route r = {.dst = ipv6_addr_tag(net9), .prefix_len = 64,
                            .gateway = ipv6_addr_tag(gw), .ifindex = -1, .metric = 1024};
    assert_int_equal(stack_route_add(s, &r), 0);
    assert_int_equal(ipv6_route(s, dst9, NULL, &rt), 0);
    assert_memory_equal(rt.next_hop.u.v6, gw, 16);
    assert_memory_equal(rt.src.u.v6, env6_us, 16);
    /* Link-local gateway without an interface: refused. */
    struct stack_route ll = r;
    ll.gateway = ipv6_addr_tag(env6_router);
    assert_int_equal(stack_route_add(s, &ll), -EINVAL);
    ll.ifindex = e->ifindex;
    ll.prefix_len = 0;
    memset(ll.dst.u.v6, 0, 16);
    assert_int_equal(stack_route_add(s, &ll), 0); /* a static default */
    static const uint8_t far[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 1};
    assert_int_equal(ipv6_route(s, far, NULL, &rt), 0);
    assert_memory_equal(rt.next_hop.u.v6, env6_router, 16);
    /* A /128 inside the on-link fd77::/64 beats it. */
    static const uint8_t host[16] = {0xfd, 0x77, [15] = 0x44};
    struct stack_route h = r;
    h.dst = ipv6_addr_tag(host);
    h.prefix_len = 128;
    assert_int_equal(stack_route_add(s, &h), 0);
    assert_int_equal(ipv6_route(s, host, NULL, &rt), 0);
    assert_memory_equal(rt.next_hop.u.v6, gw, 16);
    struct route6_info list[16];
    size_t n = stack_route6_list(s, list, 16, e->now);
    int statics = 0;
    for (size_t i = 0; i < n && i < 16; i++)
        statics += list[i].origin == ROUTE6_STATIC;
    assert_int_equal(statics, 3);
    env_free(e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_longest_prefix_and_metric),
        cmocka_unit_test(test_route_checks),
        cmocka_unit_test(test_addr_add_del),
        cmocka_unit_test(test_neigh_add_del),
        cmocka_unit_test(test_set_mtu),
        cmocka_unit_test(test_route6),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
