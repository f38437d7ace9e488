/* test_mld.c - unsolicited MLDv2 State Change Reports (RFC 3810 6.1) for
 * the solicited-node groups of our addresses: a join when an address is
 * added (tentative, RFC 4862 5.4.2), sent twice 1 s apart ([Robustness
 * Variable] 2, [Unsolicited Report Interval] 1 s), and a leave when DAD
 * fails unless another address shares the group. Fake clock throughout. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "stack/core/nd.h"
#include "stack/wire/eth.h"
#include "tests/unit/support/env6.h"

static const uint8_t mld_routers[16] = {0xff, 0x02, [15] = 0x16};
/* fd77::5: its solicited-node group ff02::1:ff00:5 is not shared with
 * the link-local fe80::ff:fe00:2 (group ff02::1:ff00:2). */
static const uint8_t static5[16] = {0xfd, 0x77, [15] = 5};

static void tweak_static5(struct stack_config *cfg, struct netif_config *ncfg)
{
    env6_tweak_no_slaac(cfg, ncfg);
    memcpy(ncfg->addr6[0].addr, static5, 16);
}

/* The i-th recorded frame if it is an MLDv2 report, parsed through its
 * hop-by-hop header (env6_out takes only bare ICMPv6). */
static bool report_out(const struct stack_env *e, size_t i, struct env6_out *o,
                       struct ipv6_chain *c)
{
    const struct fake_frame *f = fake_netif_frame(&e->nif, i);
    if (f == NULL || f->len < ETH_HLEN ||
        ((unsigned)f->data[12] << 8 | f->data[13]) != ETHERTYPE_IPV6)
        return false;
    memcpy(o->eth_dst.b, f->data, 6);
    if (ipv6_parse(f->data + ETH_HLEN, f->len - ETH_HLEN, &o->ip) != WIRE_OK ||
        ipv6_walk(&o->ip, c) != WIRE_OK || c->proto != IPV6_NH_ICMPV6)
        return false;
    struct ip_addr as = ipv6_addr_tag(o->ip.src), ad = ipv6_addr_tag(o->ip.dst);
    return icmp6_parse(c->upper, c->upper_len, &as, &ad, &o->m) == WIRE_OK &&
           o->m.type == ICMP6_MLD2_REPORT;
}

static size_t count_reports(const struct stack_env *e)
{
    size_t n = 0;
    struct env6_out o;
    struct ipv6_chain c;
    for (size_t i = 0; i < e->nif.n; i++)
        if (report_out(e, i, &o, &c))
            n++;
    return n;
}

/* The k-th (0-based) recorded report, checked to be well formed (RFC
 * 3810 5.2): type 143 to ff02::16 (33:33:00:00:00:16), hop limit 1,
 * Router Alert (value 0) in a hop-by-hop header, source link-local or ::
 * (5.2.13). */
static void get_report(const struct stack_env *e, size_t k, struct env6_out *o)
{
    struct ipv6_chain c;
    size_t seen = 0;
    for (size_t i = 0; i < e->nif.n; i++) {
        if (!report_out(e, i, o, &c) || seen++ != k)
            continue;
        assert_int_equal(o->m.type, 143);
        assert_memory_equal(o->ip.dst, mld_routers, 16);
        assert_int_equal(o->eth_dst.b[0], 0x33);
        assert_int_equal(o->eth_dst.b[5], 0x16);
        assert_int_equal(o->ip.hop_limit, 1);
        assert_int_equal(o->ip.next_header, IPV6_NH_HOPOPTS);
        assert_true(c.router_alert);
        assert_true(ipv6_addr_is_link_local(o->ip.src) ||
                    ipv6_addr_is_unspecified(o->ip.src));
        return;
    }
    fail_msg("no report %zu", k);
}

/* The record type for the solicited-node group of addr in report o; 0 if
 * none. Also asserts ff02::1 is never reported (RFC 3810 6). */
static uint8_t record_type(const struct env6_out *o, const uint8_t addr[16])
{
    uint8_t sn[16];
    ipv6_solicited_node(addr, sn);
    size_t n = o->m.rest & 0xffff;
    assert_true(o->m.body_len >= n * MLD2_RECORD_LEN);
    uint8_t found = 0;
    for (size_t i = 0; i < n; i++) {
        const uint8_t *r = o->m.body + i * MLD2_RECORD_LEN;
        assert_memory_not_equal(r + 4, env6_all_nodes, 16);
        assert_int_equal(r[1], 0); /* no aux data */
        assert_int_equal(r[2] << 8 | r[3], 0); /* no sources */
        if (memcmp(r + 4, sn, 16) == 0)
            found = r[0];
    }
    return found;
}

static void test_join_reported_twice(void **state)
{
    (void)state;
    struct stack_env *e = env_new(tweak_static5, true);
    /* At once when the interface comes up: both addresses tentative, so
     * from ::, one record each, CHANGE_TO_EXCLUDE with no sources. */
    assert_int_equal(count_reports(e), 1);
    struct env6_out o;
    get_report(e, 0, &o);
    assert_true(ipv6_addr_is_unspecified(o.ip.src));
    assert_int_equal(o.m.rest & 0xffff, 2);
    assert_int_equal(record_type(&o, static5), MLD2_CHANGE_TO_EXCLUDE);
    assert_int_equal(record_type(&o, env6_ll_us), MLD2_CHANGE_TO_EXCLUDE);
    assert_int_equal(env_ctr(e, CTR_ICMP6_MLD_JOINS), 2);

    /* Not before the interval. */
    env_advance(e, NS_PER_SEC / 2);
    assert_int_equal(count_reports(e), 1);
    /* The repeat after 1 s, now from the link-local address (DAD done). */
    env_advance(e, NS_PER_SEC / 2);
    assert_int_equal(count_reports(e), 2);
    get_report(e, 1, &o);
    assert_memory_equal(o.ip.src, env6_ll_us, 16);
    assert_int_equal(record_type(&o, static5), MLD2_CHANGE_TO_EXCLUDE);
    /* Robustness 2: no third. */
    env_advance(e, 10 * NS_PER_SEC);
    assert_int_equal(count_reports(e), 2);
    assert_int_equal(env_ctr(e, CTR_ICMP6_MLD_REPORTS_SENT), 2);
    env_free(e);
}

static void test_leave_on_dad_failure(void **state)
{
    (void)state;
    struct stack_env *e = env_new(tweak_static5, false);
    fake_netif_clear(&e->nif);
    /* Someone else has fd77::5 while it is tentative (RFC 4862 5.4.4). */
    uint8_t msg[128];
    size_t n = env6_na(msg, static5, env6_all_nodes, ND_NA_FLAG_OVERRIDE, static5,
                       &env_mac_peer);
    env6_nd_input(e, static5, env6_all_nodes, msg, n);
    assert_int_equal(env6_addr(e, static5)->state, ADDR6_DUPLICATE);
    assert_int_equal(env_ctr(e, CTR_ICMP6_MLD_LEAVES), 1);
    /* The leave goes at the next poll. */
    env_advance(e, 1);
    assert_int_equal(count_reports(e), 1);
    struct env6_out o;
    get_report(e, 0, &o);
    assert_int_equal(record_type(&o, static5), MLD2_CHANGE_TO_INCLUDE);
    /* And once more after the interval, then no more. */
    env_advance(e, NS_PER_SEC);
    assert_int_equal(count_reports(e), 2);
    get_report(e, 1, &o);
    assert_int_equal(record_type(&o, static5), MLD2_CHANGE_TO_INCLUDE);
    env_advance(e, 10 * NS_PER_SEC);
    assert_int_equal(count_reports(e), 2);
    env_free(e);
}

/* A SLAAC address shares the link-local's group (same interface id): its
 * DAD failure leaves nothing, and its arrival joined nothing new. */
static void test_shared_group_no_leave(void **state)
{
    (void)state;
    struct stack_env *e = env6_ready(NULL);
    uint64_t joins = env_ctr(e, CTR_ICMP6_MLD_JOINS);
    struct nd_ra ra;
    memset(&ra, 0, sizeof ra);
    ra.cur_hop_limit = 64;
    ra.router_lifetime = 1800;
    struct nd_prefix_info pi;
    memset(&pi, 0, sizeof pi);
    static const uint8_t prefix1[16] = {0xfd, 0x77, 0x00, 0x01};
    memcpy(pi.prefix, prefix1, 16);
    pi.prefix_len = 64;
    pi.on_link = pi.autonomous = true;
    pi.valid_lifetime = 3600;
    pi.preferred_lifetime = 1800;
    uint8_t msg[256];
    size_t n = env6_ra(msg, &ra, &pi, 0);
    env6_nd_input(e, env6_router, env6_all_nodes, msg, n);
    uint8_t slaac[16];
    env6_slaac_addr(prefix1, slaac);
    assert_non_null(env6_addr(e, slaac));
    assert_int_equal(env_ctr(e, CTR_ICMP6_MLD_JOINS), joins);
    n = env6_na(msg, slaac, env6_all_nodes, ND_NA_FLAG_OVERRIDE, slaac, &env_mac_peer);
    env6_nd_input(e, slaac, env6_all_nodes, msg, n);
    assert_int_equal(env6_addr(e, slaac)->state, ADDR6_DUPLICATE);
    env_advance(e, 5 * NS_PER_SEC);
    assert_int_equal(env_ctr(e, CTR_ICMP6_MLD_LEAVES), 0);
    assert_int_equal(count_reports(e), 0);
    env_free(e);
}

/* env6_ready leaves no report pending: the join's two reports went
 * during its 1 s, so tests built on it see no extra frames. */
static void test_ready_is_quiet(void **state)
{
    (void)state;
    struct stack_env *e = env6_ready(NULL);
    assert_int_equal(env_ctr(e, CTR_ICMP6_MLD_REPORTS_SENT), 2);
    env_advance(e, 10 * NS_PER_SEC);
    assert_int_equal(count_reports(e), 0);
    env_free(e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_join_reported_twice),
        cmocka_unit_test(test_leave_on_dad_failure),
        cmocka_unit_test(test_shared_group_no_leave),
        cmocka_unit_test(test_ready_is_quiet),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
