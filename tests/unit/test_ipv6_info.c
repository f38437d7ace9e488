/* test_ipv6_info.c - the IPv6 views for tools: stack_addr6_list (states,
 * origin, scope, lifetimes left), stack_route6_list (on-link prefixes of
 * addresses and RAs, default routers, lifetimes) and the NUD states that
 * stack_neigh_list reports for ND entries (DELAY, PROBE). Fake clock. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "stack/core/nd.h"
#include "tests/unit/support/env6.h"

static const uint8_t prefix1[16] = {0xfd, 0x77, 0x00, 0x01}; /* fd77:1::/64 */
static const uint8_t prefix_us[16] = {0xfd, 0x77};            /* fd77::/64 */
static const uint8_t prefix_ll[16] = {0xfe, 0x80};            /* fe80::/64 */

static void feed_ra(struct stack_env *e, uint16_t router_lifetime, const uint8_t prefix[16],
                    uint32_t valid, uint32_t preferred)
{
    uint8_t msg[256];
    struct nd_ra ra;
    struct nd_prefix_info pi;
    memset(&ra, 0, sizeof ra);
    ra.router_lifetime = router_lifetime;
    memset(&pi, 0, sizeof pi);
    pi.prefix_len = 64;
    pi.on_link = true;
    pi.autonomous = true;
    pi.valid_lifetime = valid;
    pi.preferred_lifetime = preferred;
    memcpy(pi.prefix, prefix, 16);
    size_t n = env6_ra(msg, &ra, &pi, 0);
    env6_nd_input(e, env6_router, env6_all_nodes, msg, n);
}

/* The entry for address a in list (n entries), or NULL. */
static const struct addr6_info *find_addr(const struct addr6_info *list, size_t n,
                                          const uint8_t a[16])
{
    for (size_t i = 0; i < n; i++)
        if (list[i].addr.family == IP_FAMILY_V6 && memcmp(list[i].addr.u.v6, a, 16) == 0)
            return &list[i];
    return NULL;
}

/* The on-link route for prefix/len in list, or NULL. */
static const struct route6_info *find_prefix(const struct route6_info *list, size_t n,
                                             const uint8_t prefix[16], uint8_t len)
{
    for (size_t i = 0; i < n; i++)
        if (!list[i].has_gateway && list[i].prefix_len == len &&
            memcmp(list[i].dst.u.v6, prefix, 16) == 0)
            return &list[i];
    return NULL;
}

/* Before DAD ends both addresses are tentative; then preferred, forever. */
static void test_addr_static_and_link_local(void **state)
{
    (void)state;
    struct stack_env *e = env_new(env6_tweak, false);
    struct addr6_info list[8];
    size_t n = stack_addr6_list(e->s, list, 8, e->now);
    assert_int_equal(n, 3); /* lo's ::1 first */
    assert_true(list[0].loopback);
    const struct addr6_info *us = find_addr(list, n, env6_us);
    const struct addr6_info *ll = find_addr(list, n, env6_ll_us);
    assert_non_null(us);
    assert_non_null(ll);
    assert_string_equal(us->state, "tentative");
    assert_string_equal(ll->state, "tentative");

    env_advance(e, 1 * NS_PER_SEC);
    n = stack_addr6_list(e->s, list, 8, e->now);
    assert_int_equal(n, 3);
    us = find_addr(list, n, env6_us);
    ll = find_addr(list, n, env6_ll_us);
    assert_non_null(us);
    assert_non_null(ll);
    assert_int_equal(us->ifindex, e->ifindex);
    assert_string_equal(us->state, "preferred");
    assert_int_equal(us->prefix_len, 64);
    assert_false(us->autoconf);
    assert_false(us->link_local);
    assert_int_equal(us->valid_s, STACK_LIFETIME_FOREVER);
    assert_int_equal(us->preferred_s, STACK_LIFETIME_FOREVER);
    assert_string_equal(ll->state, "preferred");
    assert_true(ll->link_local);
    assert_false(ll->autoconf);
    assert_int_equal(ll->prefix_len, 64);
    env_free(e);
}

/* RFC 4862 5.4.5: an NA for a tentative address: duplicate. */
static void test_addr_duplicate(void **state)
{
    (void)state;
    struct stack_env *e = env_new(env6_tweak, false);
    uint8_t msg[128];
    size_t len = env6_na(msg, env6_peer, env6_all_nodes, ND_NA_FLAG_OVERRIDE, env6_us,
                         &env_mac_peer);
    env6_nd_input(e, env6_peer, env6_all_nodes, msg, len);
    struct addr6_info list[8];
    size_t n = stack_addr6_list(e->s, list, 8, e->now);
    const struct addr6_info *us = find_addr(list, n, env6_us);
    assert_non_null(us);
    assert_string_equal(us->state, "duplicate");
    env_free(e);
}

/* A SLAAC address shows its lifetimes counting down, then deprecated. */
static void test_addr_slaac_lifetimes(void **state)
{
    (void)state;
    struct stack_env *e = env6_ready(NULL);
    feed_ra(e, 0, prefix1, 3600, 1800);
    env_advance(e, 1 * NS_PER_SEC); /* DAD */
    uint8_t slaac[16];
    env6_slaac_addr(prefix1, slaac);
    struct addr6_info list[8];
    size_t n = stack_addr6_list(e->s, list, 8, e->now);
    assert_int_equal(n, 4); /* ::1, static, link-local, SLAAC */
    const struct addr6_info *a = find_addr(list, n, slaac);
    assert_non_null(a);
    assert_string_equal(a->state, "preferred");
    assert_true(a->autoconf);
    assert_false(a->link_local);
    assert_int_equal(a->valid_s, 3599);
    assert_int_equal(a->preferred_s, 1799);

    /* Half a second later the seconds round down. */
    env_advance(e, NS_PER_SEC / 2);
    n = stack_addr6_list(e->s, list, 8, e->now);
    a = find_addr(list, n, slaac);
    assert_non_null(a);
    assert_int_equal(a->valid_s, 3598);

    /* RFC 4862 5.5.4: past the preferred lifetime: deprecated, 0 left. */
    env_advance(e, 1800 * NS_PER_SEC);
    n = stack_addr6_list(e->s, list, 8, e->now);
    a = find_addr(list, n, slaac);
    assert_non_null(a);
    assert_string_equal(a->state, "deprecated");
    assert_int_equal(a->preferred_s, 0);
    assert_int_equal(a->valid_s, 3600 - 1801 - 1);
    env_free(e);
}

/* The count is the total even when out is short or NULL. */
static void test_addr_count_beyond_max(void **state)
{
    (void)state;
    struct stack_env *e = env6_ready(NULL);
    assert_int_equal(stack_addr6_list(e->s, NULL, 0, e->now), 3);
    struct addr6_info one;
    assert_int_equal(stack_addr6_list(e->s, &one, 1, e->now), 3);
    assert_int_equal(one.addr.family, IP_FAMILY_V6);
    env_free(e);
}

/* Without RAs: the prefixes of the static and link-local addresses. */
static void test_route_address_prefixes(void **state)
{
    (void)state;
    struct stack_env *e = env_new(env6_tweak, false);
    /* Tentative addresses are not in use, nor their prefixes. */
    assert_int_equal(stack_route6_list(e->s, NULL, 0, e->now), 0);
    env_advance(e, 1 * NS_PER_SEC);
    struct route6_info list[8];
    size_t n = stack_route6_list(e->s, list, 8, e->now);
    assert_int_equal(n, 2);
    const struct route6_info *r = find_prefix(list, n, prefix_us, 64);
    assert_non_null(r);
    assert_int_equal(r->origin, ROUTE6_KERNEL);
    assert_int_equal(r->lifetime_s, STACK_LIFETIME_FOREVER);
    assert_int_equal(r->ifindex, e->ifindex);
    r = find_prefix(list, n, prefix_ll, 64);
    assert_non_null(r);
    assert_int_equal(r->origin, ROUTE6_KERNEL);
    env_free(e);
}

/* An RA adds its on-link prefix and a default route, with lifetimes; a
 * prefix we already have from an address is listed once. */
static void test_route_from_ra(void **state)
{
    (void)state;
    struct stack_env *e = env6_ready(env6_tweak_no_slaac);
    feed_ra(e, 1800, prefix1, 3600, 1800);
    feed_ra(e, 1800, prefix_us, 7200, 3600);
    env_advance(e, 10 * NS_PER_SEC);
    struct route6_info list[8];
    size_t n = stack_route6_list(e->s, list, 8, e->now);
    assert_int_equal(n, 4); /* fd77::/64, fe80::/64, fd77:1::/64, default */
    const struct route6_info *r = find_prefix(list, n, prefix1, 64);
    assert_non_null(r);
    assert_int_equal(r->origin, ROUTE6_RA);
    assert_int_equal(r->lifetime_s, 3590);
    r = find_prefix(list, n, prefix_us, 64);
    assert_non_null(r);
    assert_int_equal(r->origin, ROUTE6_KERNEL);
    r = &list[n - 1]; /* default routers come last */
    assert_true(r->has_gateway);
    assert_int_equal(r->prefix_len, 0);
    assert_memory_equal(r->gateway.u.v6, env6_router, 16);
    assert_int_equal(r->origin, ROUTE6_RA);
    assert_int_equal(r->lifetime_s, 1790);
    assert_int_equal(r->ifindex, e->ifindex);

    /* After the router lifetime only the prefixes are left. */
    env_advance(e, 1800 * NS_PER_SEC);
    n = stack_route6_list(e->s, list, 8, e->now);
    assert_int_equal(n, 3);
    for (size_t i = 0; i < n; i++)
        assert_false(list[i].has_gateway);
    /* A short out still gets the full count. */
    assert_int_equal(stack_route6_list(e->s, list, 1, e->now), 3);
    env_free(e);
}

static const struct neigh_info *peer_entry(struct stack_env *e, struct neigh_info *list,
                                           size_t max)
{
    size_t n = stack_neigh_list(e->s, list, max);
    for (size_t i = 0; i < n && i < max; i++)
        if (list[i].ip.family == IP_FAMILY_V6 && memcmp(list[i].ip.u.v6, env6_peer, 16) == 0)
            return &list[i];
    return NULL;
}

/* RFC 4861 7.3.3: REACHABLE -> STALE -> DELAY (on use) -> PROBE, each as
 * stack_neigh_list reports it. */
static void test_neigh_nud_states(void **state)
{
    (void)state;
    struct stack_env *e = env6_ready(NULL);
    struct neigh_info list[8];
    env6_send(e, env6_peer, 20);
    const struct neigh_info *ni = peer_entry(e, list, 8);
    assert_non_null(ni);
    assert_int_equal(ni->state, NEIGH_INCOMPLETE);
    uint8_t msg[128];
    size_t len = env6_na(msg, env6_peer, env6_us, ND_NA_FLAG_SOLICITED | ND_NA_FLAG_OVERRIDE,
                         env6_peer, &env_mac_peer);
    env6_nd_input(e, env6_peer, env6_us, msg, len);
    ni = peer_entry(e, list, 8);
    assert_non_null(ni);
    assert_int_equal(ni->state, NEIGH_REACHABLE);

    env_advance(e, 31 * NS_PER_SEC);
    ni = peer_entry(e, list, 8);
    assert_non_null(ni);
    assert_int_equal(ni->state, NEIGH_STALE);

    env6_send(e, env6_peer, 20);
    ni = peer_entry(e, list, 8);
    assert_non_null(ni);
    assert_int_equal(ni->state, NEIGH_DELAY);
    assert_string_equal(neigh_state_name(ni->state), "DELAY");
    assert_memory_equal(ni->mac.b, env_mac_peer.b, 6);

    env_advance(e, 5 * NS_PER_SEC);
    ni = peer_entry(e, list, 8);
    assert_non_null(ni);
    assert_int_equal(ni->state, NEIGH_PROBE);
    assert_string_equal(neigh_state_name(ni->state), "PROBE");
    env_free(e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_addr_static_and_link_local),
        cmocka_unit_test(test_addr_duplicate),
        cmocka_unit_test(test_addr_slaac_lifetimes),
        cmocka_unit_test(test_addr_count_beyond_max),
        cmocka_unit_test(test_route_address_prefixes),
        cmocka_unit_test(test_route_from_ra),
        cmocka_unit_test(test_neigh_nud_states),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
