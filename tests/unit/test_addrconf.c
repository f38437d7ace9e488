/* test_addrconf.c - address configuration (RFC 4862) and router discovery
 * (RFC 4861 6.3): router solicitations, RA processing (default routers,
 * on-link prefixes, MTU, hop limit), SLAAC with its lifetimes and the
 * two-hour rule, DAD of SLAAC addresses. Fake clock throughout. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "stack/core/nd.h"
#include "tests/unit/support/env6.h"

static const uint8_t prefix1[16] = {0xfd, 0x77, 0x00, 0x01}; /* fd77:1::/64 */

static struct nd_prefix_info pinfo(uint32_t valid, uint32_t preferred)
{
    struct nd_prefix_info pi;
    memset(&pi, 0, sizeof pi);
    pi.prefix_len = 64;
    pi.on_link = true;
    pi.autonomous = true;
    pi.valid_lifetime = valid;
    pi.preferred_lifetime = preferred;
    memcpy(pi.prefix, prefix1, 16);
    return pi;
}

static void feed_ra(struct stack_env *e, uint16_t router_lifetime,
                    const struct nd_prefix_info *pi, uint32_t mtu, uint8_t hop_limit)
{
    uint8_t msg[256];
    struct nd_ra ra;
    memset(&ra, 0, sizeof ra);
    ra.cur_hop_limit = hop_limit;
    ra.router_lifetime = router_lifetime;
    size_t n = env6_ra(msg, &ra, pi, mtu);
    env6_nd_input(e, env6_router, env6_all_nodes, msg, n);
}

static struct netif *nif_of(struct stack_env *e)
{
    return netif_get(e->s, e->ifindex);
}

/* RFC 4861 6.3.7: up to 3 RS, 4 s apart, to ff02::2; the later ones from
 * the link-local address with SLLA. */
static void test_rs_at_start(void **state)
{
    (void)state;
    struct stack_env *e = env_new(env6_tweak, true);
    assert_int_equal(env6_count(e, ICMP6_ND_RS), 1);
    struct env6_out o;
    env6_last(e, ICMP6_ND_RS, &o);
    const uint8_t all_routers[16] = {0xff, 0x02, [15] = 2};
    assert_memory_equal(o.ip.dst, all_routers, 16);
    assert_memory_equal(o.ip.src, env6_unspec, 16); /* link-local still tentative */
    assert_int_equal(o.m.body_len, 0);
    env_advance(e, 4 * NS_PER_SEC);
    assert_int_equal(env6_count(e, ICMP6_ND_RS), 2);
    env6_last(e, ICMP6_ND_RS, &o);
    assert_memory_equal(o.ip.src, env6_ll_us, 16);
    assert_int_equal(o.m.body_len, ND_OPT_LLADDR_LEN);
    env_advance(e, 4 * NS_PER_SEC);
    env_advance(e, 4 * NS_PER_SEC);
    env_advance(e, 4 * NS_PER_SEC);
    assert_int_equal(env6_count(e, ICMP6_ND_RS), 3);
    assert_int_equal(env_ctr(e, CTR_ND_TX_RS), 3);
    env_free(e);
}

/* An RA stops the solicitations. */
static void test_ra_stops_rs(void **state)
{
    (void)state;
    struct stack_env *e = env6_ready(NULL);
    feed_ra(e, 1800, NULL, 0, 0);
    env_advance(e, 20 * NS_PER_SEC);
    assert_int_equal(env6_count(e, ICMP6_ND_RS), 0);
    env_free(e);
}

/* RA: default router, on-link prefix, MTU, hop limit, SLAAC address with
 * DAD before use. */
static void test_ra_slaac(void **state)
{
    (void)state;
    struct stack_env *e = env6_ready(NULL);
    struct nd_prefix_info pi = pinfo(86400, 14400);
    feed_ra(e, 1800, &pi, 1400, 32);
    assert_int_equal(env_ctr(e, CTR_ND_RX_RA), 1);
    struct netif *nif = nif_of(e);
    assert_int_equal(nif->mtu6, 1400);
    assert_int_equal(nif->cur_hop_limit, 32);
    uint8_t r[16];
    assert_true(nd_default_router(e->s, nif, r));
    assert_memory_equal(r, env6_router, 16);
    uint8_t dst[16] = {0xfd, 0x77, 0x00, 0x01, [15] = 5};
    assert_true(nd_on_link(e->s, nif, dst));
    uint8_t far[16] = {0xfd, 0x77, 0x00, 0x02, [15] = 5};
    assert_false(nd_on_link(e->s, nif, far));
    assert_true(nd_on_link(e->s, nif, env6_peer)); /* the static /64 */
    assert_true(nd_on_link(e->s, nif, env6_router)); /* link-local */

    uint8_t slaac[16];
    env6_slaac_addr(prefix1, slaac);
    struct netif_addr6 *a = env6_addr(e, slaac);
    assert_non_null(a);
    assert_true(a->autoconf);
    assert_int_equal(a->prefix_len, 64);
    assert_int_equal(a->state, ADDR6_TENTATIVE);
    assert_int_equal(env_ctr(e, CTR_ND_SLAAC_ADDRS), 1);
    struct env6_out o;
    env6_last(e, ICMP6_ND_NS, &o);
    struct nd_ns ns;
    assert_int_equal(nd_parse_ns(&o.m, &ns), WIRE_OK);
    assert_memory_equal(ns.target, slaac, 16);
    assert_memory_equal(o.ip.src, env6_unspec, 16);
    env_advance(e, 1 * NS_PER_SEC);
    assert_int_equal(a->state, ADDR6_PREFERRED);
    /* The router's SLLA was learned (STALE, RFC 4861 6.3.4). */
    struct neigh_info ni[4];
    assert_int_equal(nd_neigh_list(e->s, ni, 4), 1);
    assert_int_equal(ni[0].state, NEIGH_STALE);
    assert_memory_equal(ni[0].mac.b, env_mac_gw.b, 6);
    /* The same RA again: no second address. */
    feed_ra(e, 1800, &pi, 1400, 32);
    assert_int_equal(env_ctr(e, CTR_ND_SLAAC_ADDRS), 1);
    env_free(e);
}

/* RFC 4862 5.5.4: deprecated after the preferred lifetime, gone after
 * the valid one. */
static void test_slaac_lifetimes(void **state)
{
    (void)state;
    struct stack_env *e = env6_ready(NULL);
    struct nd_prefix_info pi = pinfo(20, 10);
    feed_ra(e, 0, &pi, 0, 0);
    uint8_t slaac[16];
    env6_slaac_addr(prefix1, slaac);
    struct netif_addr6 *a = env6_addr(e, slaac);
    env_advance(e, 1 * NS_PER_SEC);
    assert_int_equal(a->state, ADDR6_PREFERRED);
    env_advance(e, 8 * NS_PER_SEC);
    assert_int_equal(a->state, ADDR6_PREFERRED);
    env_advance(e, 1 * NS_PER_SEC);
    assert_int_equal(a->state, ADDR6_DEPRECATED);
    assert_true(stack_next_deadline(e->s) <= e->now + 10 * NS_PER_SEC);
    env_advance(e, 10 * NS_PER_SEC);
    assert_null(env6_addr(e, slaac));
    /* The on-link prefix went with its valid lifetime too. */
    uint8_t dst[16] = {0xfd, 0x77, 0x00, 0x01, [15] = 5};
    assert_false(nd_on_link(e->s, nif_of(e), dst));
    env_free(e);
}

/* RFC 4862 5.5.3 (e): a short valid lifetime cannot cut a long one below
 * two hours; a long one is taken as advertised. */
static void test_two_hour_rule(void **state)
{
    (void)state;
    struct stack_env *e = env6_ready(NULL);
    struct nd_prefix_info pi = pinfo(3 * 3600, 3600);
    feed_ra(e, 0, &pi, 0, 0);
    uint8_t slaac[16];
    env6_slaac_addr(prefix1, slaac);
    struct netif_addr6 *a = env6_addr(e, slaac);
    uint64_t t0 = e->now;
    assert_int_equal(a->valid_until, t0 + 3 * 3600 * NS_PER_SEC);

    pi = pinfo(60, 30);
    feed_ra(e, 0, &pi, 0, 0);
    assert_int_equal(a->valid_until, t0 + 2 * 3600 * NS_PER_SEC);
    assert_int_equal(a->preferred_until, t0 + 30 * NS_PER_SEC);

    /* Remaining <= 2 h now: a shorter advertisement is ignored. */
    feed_ra(e, 0, &pi, 0, 0);
    assert_int_equal(a->valid_until, t0 + 2 * 3600 * NS_PER_SEC);

    /* A longer one is taken. */
    pi = pinfo(5 * 3600, 3600);
    feed_ra(e, 0, &pi, 0, 0);
    assert_int_equal(a->valid_until, t0 + 5 * 3600 * NS_PER_SEC);
    /* Infinity: forever. */
    pi = pinfo(0xffffffffu, 0xffffffffu);
    feed_ra(e, 0, &pi, 0, 0);
    assert_int_equal(a->valid_until, 0);
    assert_int_equal(a->preferred_until, 0);
    env_free(e);
}

/* Router lifetime: expires, or 0 removes at once (RFC 4861 6.3.4). */
static void test_router_lifetime(void **state)
{
    (void)state;
    struct stack_env *e = env6_ready(NULL);
    uint8_t r[16];
    feed_ra(e, 10, NULL, 0, 0);
    assert_true(nd_default_router(e->s, nif_of(e), r));
    env_advance(e, 10 * NS_PER_SEC);
    assert_false(nd_default_router(e->s, nif_of(e), r));
    feed_ra(e, 600, NULL, 0, 0);
    assert_true(nd_default_router(e->s, nif_of(e), r));
    feed_ra(e, 0, NULL, 0, 0);
    assert_false(nd_default_router(e->s, nif_of(e), r));
    env_free(e);
}

/* SLAAC off in the config: prefixes still on-link, no address. Bad
 * prefix options ignored: not /64, preferred > valid, link-local. */
static void test_slaac_off_and_bad_prefixes(void **state)
{
    (void)state;
    struct stack_env *e = env6_ready(env6_tweak_no_slaac);
    struct nd_prefix_info pi = pinfo(3600, 1800);
    feed_ra(e, 0, &pi, 0, 0);
    uint8_t slaac[16];
    env6_slaac_addr(prefix1, slaac);
    assert_null(env6_addr(e, slaac));
    uint8_t dst[16] = {0xfd, 0x77, 0x00, 0x01, [15] = 5};
    assert_true(nd_on_link(e->s, nif_of(e), dst));
    env_free(e);

    e = env6_ready(NULL);
    pi = pinfo(3600, 1800);
    pi.prefix_len = 48;
    feed_ra(e, 0, &pi, 0, 0);
    pi = pinfo(100, 200);
    feed_ra(e, 0, &pi, 0, 0);
    pi = pinfo(3600, 1800);
    pi.prefix[0] = 0xfe;
    pi.prefix[1] = 0x80;
    pi.prefix[2] = pi.prefix[3] = 0;
    feed_ra(e, 0, &pi, 0, 0);
    assert_int_equal(env_ctr(e, CTR_ND_SLAAC_ADDRS), 0);
    assert_int_equal(env_ctr(e, CTR_ND_PREFIXES_IGNORED), 1);
    /* An MTU below 1280 or above the link's is ignored. */
    feed_ra(e, 0, NULL, 1000, 0);
    feed_ra(e, 0, NULL, 9000, 0);
    assert_int_equal(nif_of(e)->mtu6, 0);
    env_free(e);
}

/* DAD conflict on a SLAAC address: duplicate, not used. */
static void test_slaac_dad_conflict(void **state)
{
    (void)state;
    struct stack_env *e = env6_ready(NULL);
    struct nd_prefix_info pi = pinfo(3600, 1800);
    feed_ra(e, 0, &pi, 0, 0);
    uint8_t slaac[16], msg[128];
    env6_slaac_addr(prefix1, slaac);
    size_t n = env6_na(msg, slaac, env6_all_nodes, ND_NA_FLAG_OVERRIDE, slaac, &env_mac_peer);
    env6_nd_input(e, slaac, env6_all_nodes, msg, n);
    env_advance(e, 2 * NS_PER_SEC);
    assert_int_equal(env6_addr(e, slaac)->state, ADDR6_DUPLICATE);
    assert_int_equal(env_ctr(e, CTR_ND_DAD_DUPLICATES), 1);
    /* Later RAs do not revive it. */
    feed_ra(e, 0, &pi, 0, 0);
    assert_int_equal(env6_addr(e, slaac)->state, ADDR6_DUPLICATE);
    env_free(e);
}

/* An RA from a non-link-local source is invalid (RFC 4861 6.1.2). */
static void test_ra_bad_source(void **state)
{
    (void)state;
    struct stack_env *e = env6_ready(NULL);
    uint8_t msg[256];
    struct nd_ra ra;
    memset(&ra, 0, sizeof ra);
    ra.router_lifetime = 1800;
    size_t n = env6_ra(msg, &ra, NULL, 0);
    /* env6_ra sums for fe80::1; rebuild for fd77::9. */
    struct ip_addr as = ipv6_addr_tag(env6_peer), ad = ipv6_addr_tag(env6_all_nodes);
    n = nd_emit_ra(msg, &ra, n - ND_RA_LEN, &as, &ad);
    env6_nd_input(e, env6_peer, env6_all_nodes, msg, n);
    uint8_t r[16];
    assert_false(nd_default_router(e->s, nif_of(e), r));
    assert_int_equal(env_ctr(e, CTR_ND_RX_DROP_INVALID), 1);
    env_free(e);
}

/* RFC 4862 5.4.2: with the default config the first DAD NS waits a delay
 * below MAX_RTR_SOLICITATION_DELAY (1 s), then RetransTimer; the address
 * is usable only after that. */
static void tweak_default_dad_delay(struct stack_config *cfg, struct netif_config *ncfg)
{
    env6_tweak(cfg, ncfg);
    cfg->nd_dad_max_delay_ns = 1 * NS_PER_SEC;
}

static void test_dad_first_ns_delayed(void **state)
{
    (void)state;
    struct stack_env *e = env_new(tweak_default_dad_delay, true);
    assert_int_equal(env6_count(e, ICMP6_ND_NS), 0); /* nothing at once */
    env_advance(e, 1 * NS_PER_SEC);
    assert_true(env6_count(e, ICMP6_ND_NS) >= 1); /* within the 1 s bound */
    assert_null(netif_by_ip6(e->s, env6_us)); /* still tentative */
    for (int i = 0; i < 3 && netif_by_ip6(e->s, env6_us) == NULL; i++)
        env_advance(e, 1 * NS_PER_SEC);
    assert_non_null(netif_by_ip6(e->s, env6_us));
    env_free(e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rs_at_start),
        cmocka_unit_test(test_dad_first_ns_delayed),
        cmocka_unit_test(test_ra_stops_rs),
        cmocka_unit_test(test_ra_slaac),
        cmocka_unit_test(test_slaac_lifetimes),
        cmocka_unit_test(test_two_hour_rule),
        cmocka_unit_test(test_router_lifetime),
        cmocka_unit_test(test_slaac_off_and_bad_prefixes),
        cmocka_unit_test(test_slaac_dad_conflict),
        cmocka_unit_test(test_ra_bad_source),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
