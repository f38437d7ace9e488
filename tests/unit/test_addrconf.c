/* test_addrconf.c - address configuration (RFC 4862) and router discovery
 * (RFC 4861 6.3): router solicitations, RA processing (default routers,
 * on-link prefixes, MTU, hop limit), SLAAC with its lifetimes and the
 * two-hour rule, DAD of SLAAC addresses; RFC 7217 stable-privacy
 * interface identifiers and their regeneration after DAD failure. Fake
 * clock throughout. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "stack/core/nd.h"
#include "stack/util/siphash.h"
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

/* ---- RFC 7217 stable-privacy addresses ---- */

static const uint8_t secret_a[16] = {0xfd, 0x77, 0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc,
                                     0xde, 0xf0, 0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc};
static const uint8_t secret_b[16] = {0xfd, 0x77, 0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc,
                                     0xde, 0xf0, 0x12, 0x34, 0x56, 0x78, 0x9a, 0xbd};
static const uint8_t prefix2[16] = {0xfd, 0x77, 0x00, 0x02}; /* fd77:2::/64 */
static const uint8_t ll_prefix[16] = {0xfe, 0x80};

/* The secret the next tweak_stable* stack gets (tweaks take no context). */
static const uint8_t *g_secret = secret_a;

static void tweak_stable(struct stack_config *cfg, struct netif_config *ncfg)
{
    env6_tweak(cfg, ncfg);
    ncfg->addr_gen_mode = NETIF_ADDR_GEN_STABLE_PRIVACY;
    memcpy(ncfg->stable_secret, g_secret, 16);
}

/* What RFC 7217 5 gives, computed here from its definition: SipHash-2-4
 * keyed with the secret over prefix (8 bytes) | "tcpip0" | DAD_Counter. */
static void expected_addr(const uint8_t secret[16], const uint8_t prefix[16], uint8_t counter,
                          uint8_t out[16])
{
    uint8_t msg[8 + 6 + 1];
    memcpy(msg, prefix, 8);
    memcpy(msg + 8, "tcpip0", 6);
    msg[14] = counter;
    uint64_t rid = siphash24(secret, msg, sizeof msg);
    memcpy(out, prefix, 8);
    for (int i = 15; i >= 8; i--) {
        out[i] = (uint8_t)rid;
        rid >>= 8;
    }
}

/* The entry in a /64 prefix that is not the static fd77::2, or NULL. */
static struct netif_addr6 *addr_in(struct stack_env *e, const uint8_t prefix[16])
{
    struct netif *nif = nif_of(e);
    for (size_t i = 0; i < NETIF_MAX_ADDR6; i++) {
        struct netif_addr6 *a = &nif->addr6[i];
        if (a->state != ADDR6_UNUSED && memcmp(a->addr, prefix, 8) == 0 &&
            memcmp(a->addr, env6_us, 16) != 0)
            return a;
    }
    return NULL;
}

/* Another node claims a (an NA for it, RFC 4862 5.4.4). */
static void claim(struct stack_env *e, const uint8_t a[16])
{
    uint8_t msg[128];
    size_t n = env6_na(msg, a, env6_all_nodes, ND_NA_FLAG_OVERRIDE, a, &env_mac_peer);
    env6_nd_input(e, a, env6_all_nodes, msg, n);
}

/* The link-local address is fe80::/64 with RFC 7217's IID, not the
 * EUI-64 one, and is used after DAD like any other. */
static void test_stable_link_local(void **state)
{
    (void)state;
    g_secret = secret_a;
    struct stack_env *e = env6_ready(tweak_stable);
    assert_null(env6_addr(e, env6_ll_us)); /* no address from the MAC */
    struct netif_addr6 *ll = addr_in(e, ll_prefix);
    assert_non_null(ll);
    assert_memory_equal(ll->addr, ll_prefix, 8);
    assert_memory_not_equal(ll->addr + 8, env6_ll_us + 8, 8);
    assert_int_equal(ll->prefix_len, 64);
    assert_false(ll->autoconf);
    assert_int_equal(ll->state, ADDR6_PREFERRED);
    uint8_t want[16];
    expected_addr(secret_a, ll_prefix, 0, want);
    assert_memory_equal(ll->addr, want, 16);
    assert_true(netif_by_ip6(e->s, want) != NULL);
    /* The static address is as configured. */
    assert_int_equal(env6_addr(e, env6_us)->state, ADDR6_PREFERRED);
    /* Tools see which is which (tcpipctl addr: "stable-privacy"). */
    struct addr6_info list[8];
    size_t n = stack_addr6_list(e->s, list, 8, e->now);
    size_t flagged = 0;
    for (size_t i = 0; i < n && i < 8; i++) {
        bool is_ll = memcmp(list[i].addr.u.v6, want, 16) == 0;
        assert_int_equal(list[i].stable_privacy, is_ll);
        flagged += list[i].stable_privacy;
    }
    assert_int_equal(flagged, 1);
    env_free(e);
}

/* Same secret, name and prefix: the same addresses in another stack
 * (a restart); SLAAC too. */
static void test_stable_across_instances(void **state)
{
    (void)state;
    g_secret = secret_a;
    struct stack_env *e1 = env6_ready(tweak_stable);
    struct stack_env *e2 = env6_ready(tweak_stable);
    assert_memory_equal(addr_in(e1, ll_prefix)->addr, addr_in(e2, ll_prefix)->addr, 16);
    struct nd_prefix_info pi = pinfo(3600, 1800);
    feed_ra(e1, 0, &pi, 0, 0);
    feed_ra(e2, 0, &pi, 0, 0);
    struct netif_addr6 *a1 = addr_in(e1, prefix1), *a2 = addr_in(e2, prefix1);
    assert_non_null(a1);
    assert_non_null(a2);
    assert_true(a1->autoconf);
    assert_memory_equal(a1->addr, a2->addr, 16);
    uint8_t want[16];
    expected_addr(secret_a, prefix1, 0, want);
    assert_memory_equal(a1->addr, want, 16);
    env_free(e1);
    env_free(e2);
}

/* Another secret, or another prefix: another IID. */
static void test_stable_secret_and_prefix_matter(void **state)
{
    (void)state;
    g_secret = secret_a;
    struct stack_env *ea = env6_ready(tweak_stable);
    g_secret = secret_b;
    struct stack_env *eb = env6_ready(tweak_stable);
    g_secret = secret_a;
    assert_memory_not_equal(addr_in(ea, ll_prefix)->addr + 8, addr_in(eb, ll_prefix)->addr + 8, 8);

    struct nd_prefix_info pi = pinfo(3600, 1800);
    feed_ra(ea, 0, &pi, 0, 0);
    feed_ra(eb, 0, &pi, 0, 0);
    memcpy(pi.prefix, prefix2, 16);
    feed_ra(ea, 0, &pi, 0, 0);
    const uint8_t *p1 = addr_in(ea, prefix1)->addr, *p2 = addr_in(ea, prefix2)->addr;
    assert_memory_not_equal(p1 + 8, addr_in(eb, prefix1)->addr + 8, 8); /* secret */
    assert_memory_not_equal(p1 + 8, p2 + 8, 8);                         /* prefix */
    assert_memory_not_equal(p1 + 8, addr_in(ea, ll_prefix)->addr + 8, 8);
    assert_int_equal(env_ctr(ea, CTR_ND_SLAAC_ADDRS), 2);
    env_free(ea);
    env_free(eb);
}

/* RFC 7217 6: a stable SLAAC address found duplicate is replaced by one
 * with DAD_Counter + 1, checked again; after IDGEN_RETRIES (3) new ones
 * the last stays duplicate and nothing more is tried. */
static void test_stable_slaac_dad_regenerates(void **state)
{
    (void)state;
    g_secret = secret_a;
    struct stack_env *e = env6_ready(tweak_stable);
    struct nd_prefix_info pi = pinfo(3600, 1800);
    feed_ra(e, 0, &pi, 0, 0);
    struct netif_addr6 *a = addr_in(e, prefix1);
    uint8_t old[16], want[16];
    memcpy(old, a->addr, 16);
    uint64_t valid_until = a->valid_until;
    for (unsigned i = 1; i <= ADDRCONF_IDGEN_RETRIES; i++) {
        assert_int_equal(a->state, ADDR6_TENTATIVE);
        fake_netif_clear(&e->nif);
        claim(e, old);
        assert_null(env6_addr(e, old)); /* gone, replaced */
        a = addr_in(e, prefix1);
        assert_non_null(a);
        assert_int_equal(a->state, ADDR6_TENTATIVE);
        assert_true(a->autoconf);
        assert_int_equal(a->valid_until, valid_until);
        assert_memory_not_equal(a->addr + 8, old + 8, 8);
        expected_addr(secret_a, prefix1, (uint8_t)i, want);
        assert_memory_equal(a->addr, want, 16);
        assert_int_equal(env_ctr(e, CTR_ND_ADDR_REGENERATED), i);
        assert_int_equal(env_ctr(e, CTR_ND_DAD_DUPLICATES), i);
        /* A DAD probe for the new address. */
        struct env6_out o;
        env6_last(e, ICMP6_ND_NS, &o);
        struct nd_ns ns;
        assert_int_equal(nd_parse_ns(&o.m, &ns), WIRE_OK);
        assert_memory_equal(ns.target, a->addr, 16);
        assert_memory_equal(o.ip.src, env6_unspec, 16);
        memcpy(old, a->addr, 16);
    }
    /* The fourth failure: given up. */
    fake_netif_clear(&e->nif);
    claim(e, old);
    a = env6_addr(e, old);
    assert_non_null(a);
    assert_int_equal(a->state, ADDR6_DUPLICATE);
    assert_int_equal(env_ctr(e, CTR_ND_ADDR_REGENERATED), ADDRCONF_IDGEN_RETRIES);
    assert_int_equal(env_ctr(e, CTR_ND_DAD_DUPLICATES), ADDRCONF_IDGEN_RETRIES + 1);
    assert_true(env_logged(e, STACK_LOG_WARN,
                           "no address in fd77:1::/64: still a duplicate after 3 new stable "
                           "addresses (RFC 7217 6, IDGEN_RETRIES), giving up"));
    assert_int_equal(env6_count(e, ICMP6_ND_NS), 0);
    /* Later RAs neither revive it nor start over. */
    feed_ra(e, 0, &pi, 0, 0);
    env_advance(e, 2 * NS_PER_SEC);
    assert_int_equal(addr_in(e, prefix1)->state, ADDR6_DUPLICATE);
    assert_ptr_equal(addr_in(e, prefix1), a);
    assert_int_equal(env_ctr(e, CTR_ND_SLAAC_ADDRS), 1);
    assert_int_equal(env_ctr(e, CTR_ND_ADDR_REGENERATED), ADDRCONF_IDGEN_RETRIES);
    env_free(e);
}

/* A regenerated address that nobody claims is used; the RA's lifetimes
 * still apply to it (found by prefix, not by the first IID). */
static void test_stable_regenerated_is_used(void **state)
{
    (void)state;
    g_secret = secret_a;
    struct stack_env *e = env6_ready(tweak_stable);
    struct nd_prefix_info pi = pinfo(3600, 1800);
    feed_ra(e, 0, &pi, 0, 0);
    uint8_t first[16], want[16];
    memcpy(first, addr_in(e, prefix1)->addr, 16);
    claim(e, first);
    env_advance(e, 1 * NS_PER_SEC);
    expected_addr(secret_a, prefix1, 1, want);
    struct netif_addr6 *a = env6_addr(e, want);
    assert_non_null(a);
    assert_int_equal(a->state, ADDR6_PREFERRED);
    assert_non_null(netif_by_ip6(e->s, want));
    pi = pinfo(0xffffffffu, 0xffffffffu);
    feed_ra(e, 0, &pi, 0, 0);
    assert_int_equal(a->valid_until, 0);
    assert_int_equal(env_ctr(e, CTR_ND_SLAAC_ADDRS), 1);
    env_free(e);
}

/* The link-local address too, here found duplicate by another node's
 * DAD probe (an NS from ::, RFC 4862 5.4.3); the static address is never
 * formed again (it stays duplicate, as in EUI-64 mode). */
static void test_stable_link_local_dad(void **state)
{
    (void)state;
    g_secret = secret_a;
    struct stack_env *e = env_new(tweak_stable, false);
    struct netif_addr6 *ll = addr_in(e, ll_prefix);
    assert_int_equal(ll->state, ADDR6_TENTATIVE);
    uint8_t first[16], want[16], sn[16], msg[128];
    memcpy(first, ll->addr, 16);
    ipv6_solicited_node(first, sn);
    size_t n = env6_ns(msg, env6_unspec, sn, first, NULL);
    env6_nd_input(e, env6_unspec, sn, msg, n);
    assert_null(env6_addr(e, first));
    expected_addr(secret_a, ll_prefix, 1, want);
    ll = env6_addr(e, want);
    assert_non_null(ll);
    assert_int_equal(ll->state, ADDR6_TENTATIVE);
    claim(e, env6_us);
    assert_int_equal(env6_addr(e, env6_us)->state, ADDR6_DUPLICATE);
    env_advance(e, 1 * NS_PER_SEC);
    assert_int_equal(ll->state, ADDR6_PREFERRED);
    assert_int_equal(env6_addr(e, env6_us)->state, ADDR6_DUPLICATE);
    assert_int_equal(env_ctr(e, CTR_ND_ADDR_REGENERATED), 1);
    assert_int_equal(env_ctr(e, CTR_ND_DAD_DUPLICATES), 2);
    env_free(e);
}

/* EUI-64 mode: a duplicate link-local address stays duplicate. */
static void test_eui64_dad_no_regeneration(void **state)
{
    (void)state;
    struct stack_env *e = env_new(env6_tweak, false);
    claim(e, env6_ll_us);
    env_advance(e, 2 * NS_PER_SEC);
    assert_int_equal(env6_addr(e, env6_ll_us)->state, ADDR6_DUPLICATE);
    /* The only fe80::/64 entry: no other address was formed. */
    assert_ptr_equal(addr_in(e, ll_prefix), env6_addr(e, env6_ll_us));
    assert_int_equal(env_ctr(e, CTR_ND_ADDR_REGENERATED), 0);
    env_free(e);
}

/* RFC 5453: the IIDs RFC 7217 5 must not use. */
static void test_iid_reserved(void **state)
{
    (void)state;
    const uint8_t zero[8] = {0};
    const uint8_t eth_lo[8] = {0x02, 0x00, 0x5e, 0xff, 0xfe, 0x00, 0x00, 0x00};
    const uint8_t eth_5212[8] = {0x02, 0x00, 0x5e, 0xff, 0xfe, 0x00, 0x52, 0x12};
    const uint8_t eth_hi[8] = {0x02, 0x00, 0x5e, 0xff, 0xfe, 0xff, 0xff, 0xff};
    const uint8_t any_lo[8] = {0xfd, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x80};
    const uint8_t any_hi[8] = {0xfd, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    const uint8_t below_any[8] = {0xfd, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f};
    const uint8_t eth_other[8] = {0x02, 0x00, 0x5e, 0xff, 0xfd, 0xff, 0xff, 0xff};
    const uint8_t one[8] = {[7] = 1};
    assert_true(addrconf_iid_reserved(zero));
    assert_true(addrconf_iid_reserved(eth_lo));
    assert_true(addrconf_iid_reserved(eth_5212));
    assert_true(addrconf_iid_reserved(eth_hi));
    assert_true(addrconf_iid_reserved(any_lo));
    assert_true(addrconf_iid_reserved(any_hi));
    assert_false(addrconf_iid_reserved(below_any));
    assert_false(addrconf_iid_reserved(eth_other));
    assert_false(addrconf_iid_reserved(one));
}

/* A bad mode is refused by stack_netif_add. */
static void test_bad_addr_gen_mode(void **state)
{
    (void)state;
    struct stack_env *e = env_new(env6_tweak, false);
    struct netif_config nc = e->ncfg;
    memcpy(nc.name, "tcpip1", 7);
    nc.addr_gen_mode = 7;
    nc.ipv4_addr = 0;
    nc.ipv4_gateway = 0;
    nc.n_addr6 = 0;
    assert_int_equal(stack_netif_add(e->s, &nc, &fake_netif_ops, &e->nif, e->now), -EINVAL);
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
        cmocka_unit_test(test_stable_link_local),
        cmocka_unit_test(test_stable_across_instances),
        cmocka_unit_test(test_stable_secret_and_prefix_matter),
        cmocka_unit_test(test_stable_slaac_dad_regenerates),
        cmocka_unit_test(test_stable_regenerated_is_used),
        cmocka_unit_test(test_stable_link_local_dad),
        cmocka_unit_test(test_eui64_dad_no_regeneration),
        cmocka_unit_test(test_iid_reserved),
        cmocka_unit_test(test_bad_addr_gen_mode),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
