/* test_nd.c - Neighbor Discovery (RFC 4861): NS/NA, the NUD state machine
 * with a fake clock, the bounded queue while resolving, DAD (RFC 4862 5.4). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "stack/core/nd.h"
#include "tests/unit/support/env6.h"

static struct nd_entry *entry(struct stack_env *e, const uint8_t ip[16])
{
    struct nd_table *t = e->s->nd;
    for (uint32_t i = 0; i < t->size; i++) {
        if (t->entries[i].state != ND_FREE && memcmp(t->entries[i].ip, ip, 16) == 0)
            return &t->entries[i];
    }
    return NULL;
}

static void peer_na(struct stack_env *e, uint32_t flags, const struct eth_addr *mac)
{
    uint8_t msg[128];
    size_t n = env6_na(msg, env6_peer, env6_us, flags, env6_peer, mac);
    env6_nd_input(e, env6_peer, env6_us, msg, n);
}

/* Bring-up: link-local from the MAC, static address, both TENTATIVE with a
 * DAD NS from :: to their solicited-node groups; usable after 1 s. */
static void test_bringup_dad(void **state)
{
    (void)state;
    struct stack_env *e = env_new(env6_tweak, true);
    struct netif_addr6 *ll = env6_addr(e, env6_ll_us), *st = env6_addr(e, env6_us);
    assert_non_null(ll);
    assert_non_null(st);
    assert_int_equal(ll->state, ADDR6_TENTATIVE);
    assert_int_equal(st->state, ADDR6_TENTATIVE);
    assert_int_equal(env6_count(e, ICMP6_ND_NS), 2);
    assert_int_equal(env_ctr(e, CTR_ND_TX_DAD_NS), 2);
    struct env6_out o;
    struct nd_ns ns;
    bool found = false;
    for (size_t i = 0; i < e->nif.n && !found; i++) {
        found = env6_out(e, i, &o) && o.m.type == ICMP6_ND_NS &&
                nd_parse_ns(&o.m, &ns) == WIRE_OK && memcmp(ns.target, env6_us, 16) == 0;
    }
    assert_true(found);
    uint8_t snm[16];
    ipv6_solicited_node(env6_us, snm);
    assert_memory_equal(o.ip.src, env6_unspec, 16);
    assert_memory_equal(o.ip.dst, snm, 16);
    assert_int_equal(o.ip.hop_limit, 255);
    const uint8_t mac[6] = {0x33, 0x33, 0xff, 0x00, 0x00, 0x02};
    assert_memory_equal(o.eth_dst.b, mac, 6);
    assert_int_equal(ns.options_len, 0); /* no SLLA from :: (RFC 4861 7.1.1) */
    /* A router solicitation at start (RFC 4861 6.3.7). */
    assert_int_equal(env6_count(e, ICMP6_ND_RS), 1);

    env_advance(e, 999 * NS_PER_MS);
    assert_int_equal(st->state, ADDR6_TENTATIVE);
    env_advance(e, 1 * NS_PER_MS);
    assert_int_equal(st->state, ADDR6_PREFERRED);
    assert_int_equal(ll->state, ADDR6_PREFERRED);
    assert_true(env_logged(e, STACK_LOG_INFO, "fd77::2/64 ready"));
    env_free(e);
}

/* RFC 4862 5.4.4: an NA for a tentative address: duplicate, never used. */
static void test_dad_conflict_na(void **state)
{
    (void)state;
    struct stack_env *e = env_new(env6_tweak, false);
    uint8_t msg[128];
    size_t n = env6_na(msg, env6_us, env6_all_nodes, ND_NA_FLAG_OVERRIDE, env6_us,
                       &env_mac_peer);
    env6_nd_input(e, env6_us, env6_all_nodes, msg, n);
    assert_int_equal(env6_addr(e, env6_us)->state, ADDR6_DUPLICATE);
    assert_int_equal(env_ctr(e, CTR_ND_DAD_DUPLICATES), 1);
    assert_true(env_logged(e, STACK_LOG_WARN, "fd77::2/64 is a duplicate"));
    env_advance(e, 5 * NS_PER_SEC);
    assert_int_equal(env6_addr(e, env6_us)->state, ADDR6_DUPLICATE);
    /* The link-local address is not affected. */
    assert_int_equal(env6_addr(e, env6_ll_us)->state, ADDR6_PREFERRED);
    env_free(e);
}

/* RFC 4862 5.4.3: an NS from :: for our tentative address is another node
 * doing DAD; one from a unicast source is ignored. */
static void test_dad_conflict_ns(void **state)
{
    (void)state;
    struct stack_env *e = env_new(env6_tweak, false);
    uint8_t msg[128], snm[16];
    ipv6_solicited_node(env6_us, snm);
    size_t n = env6_ns(msg, env6_peer, snm, env6_us, &env_mac_peer);
    env6_nd_input(e, env6_peer, snm, msg, n);
    assert_int_equal(env6_addr(e, env6_us)->state, ADDR6_TENTATIVE);
    n = env6_ns(msg, env6_unspec, snm, env6_us, NULL);
    env6_nd_input(e, env6_unspec, snm, msg, n);
    assert_int_equal(env6_addr(e, env6_us)->state, ADDR6_DUPLICATE);
    assert_int_equal(env6_count(e, ICMP6_ND_NA), 0);
    env_free(e);
}

/* RFC 4861 7.2.4: an NS for our address gets a solicited NA with override
 * and our MAC, unicast to the asker; the asker is learned STALE. */
static void test_ns_answered(void **state)
{
    (void)state;
    struct stack_env *e = env6_ready(NULL);
    uint8_t msg[128], snm[16];
    ipv6_solicited_node(env6_us, snm);
    size_t n = env6_ns(msg, env6_peer, snm, env6_us, &env_mac_peer);
    env6_nd_input(e, env6_peer, snm, msg, n);
    assert_int_equal(env_ctr(e, CTR_ND_RX_NS), 1);
    assert_int_equal(env6_count(e, ICMP6_ND_NA), 1);
    struct env6_out o;
    env6_last(e, ICMP6_ND_NA, &o);
    assert_memory_equal(o.eth_dst.b, env_mac_peer.b, 6);
    assert_memory_equal(o.ip.src, env6_us, 16);
    assert_memory_equal(o.ip.dst, env6_peer, 16);
    assert_int_equal(o.ip.hop_limit, 255);
    struct nd_na na;
    assert_int_equal(nd_parse_na(&o.m, &na), WIRE_OK);
    assert_true(na.solicited);
    assert_true(na.override);
    assert_false(na.router);
    assert_memory_equal(na.target, env6_us, 16);
    struct nd_opt opt;
    struct eth_addr tlla;
    assert_true(nd_opt_find(na.options, na.options_len, ND_OPT_TLLA, &opt));
    assert_int_equal(nd_opt_lladdr(&opt, &tlla), WIRE_OK);
    assert_memory_equal(tlla.b, env_mac_us.b, 6);
    struct nd_entry *ne = entry(e, env6_peer);
    assert_non_null(ne);
    assert_int_equal(ne->state, ND_STALE);

    /* An NS for someone else's address: no answer. */
    fake_netif_clear(&e->nif);
    n = env6_ns(msg, env6_peer, snm, env6_router, &env_mac_peer);
    env6_nd_input(e, env6_peer, snm, msg, n);
    assert_int_equal(env6_count(e, ICMP6_ND_NA), 0);
    assert_int_equal(env_ctr(e, CTR_ND_RX_NOT_FOR_US), 1);
    env_free(e);
}

/* DAD of another node for our (preferred) address: NA to all-nodes, S
 * clear (RFC 4861 7.2.4). */
static void test_ns_from_unspecified(void **state)
{
    (void)state;
    struct stack_env *e = env6_ready(NULL);
    uint8_t msg[128], snm[16];
    ipv6_solicited_node(env6_us, snm);
    size_t n = env6_ns(msg, env6_unspec, snm, env6_us, NULL);
    env6_nd_input(e, env6_unspec, snm, msg, n);
    struct env6_out o;
    env6_last(e, ICMP6_ND_NA, &o);
    assert_memory_equal(o.ip.dst, env6_all_nodes, 16);
    struct nd_na na;
    assert_int_equal(nd_parse_na(&o.m, &na), WIRE_OK);
    assert_false(na.solicited);
    assert_true(na.override);
    assert_int_equal(env6_addr(e, env6_us)->state, ADDR6_PREFERRED);
    env_free(e);
}

/* INCOMPLETE: 3 multicast NS 1 s apart, packets queued, then given up. */
static void test_resolve_fails(void **state)
{
    (void)state;
    struct stack_env *e = env6_ready(NULL);
    assert_int_equal(env6_send(e, env6_peer, 20), 0);
    assert_int_equal(env6_send(e, env6_peer, 20), 0);
    assert_int_equal(env_ctr(e, CTR_ND_PENDING_QUEUED), 2);
    assert_int_equal(entry(e, env6_peer)->state, ND_INCOMPLETE);
    assert_int_equal(env6_count(e, ICMP6_ND_NS), 1);
    struct env6_out o;
    env6_last(e, ICMP6_ND_NS, &o);
    uint8_t snm[16];
    ipv6_solicited_node(env6_peer, snm);
    assert_memory_equal(o.ip.dst, snm, 16);
    assert_memory_equal(o.ip.src, env6_us, 16); /* the queued packet's source */
    struct nd_ns ns;
    assert_int_equal(nd_parse_ns(&o.m, &ns), WIRE_OK);
    struct nd_opt opt;
    assert_true(nd_opt_find(ns.options, ns.options_len, ND_OPT_SLLA, &opt));

    env_advance(e, 1 * NS_PER_SEC);
    env_advance(e, 1 * NS_PER_SEC);
    assert_int_equal(env6_count(e, ICMP6_ND_NS), 3);
    assert_non_null(entry(e, env6_peer));
    env_advance(e, 1 * NS_PER_SEC);
    assert_int_equal(env6_count(e, ICMP6_ND_NS), 3);
    assert_null(entry(e, env6_peer));
    assert_int_equal(env_ctr(e, CTR_ND_RESOLVE_FAILED), 1);
    assert_int_equal(env_ctr(e, CTR_ND_PENDING_DROPPED), 2);
    assert_int_equal(e->s->nd->n_pending, 0);
    env_free(e);
}

/* A solicited NA completes resolution: REACHABLE, queue flushed in order. */
static void test_resolve_na_flushes(void **state)
{
    (void)state;
    struct stack_env *e = env6_ready(NULL);
    env6_send(e, env6_peer, 20);
    env6_send(e, env6_peer, 30);
    fake_netif_clear(&e->nif);
    peer_na(e, ND_NA_FLAG_SOLICITED | ND_NA_FLAG_OVERRIDE, &env_mac_peer);
    struct nd_entry *ne = entry(e, env6_peer);
    assert_int_equal(ne->state, ND_REACHABLE);
    assert_int_equal(e->nif.n, 2);
    const struct fake_frame *f0 = fake_netif_frame(&e->nif, 0);
    const struct fake_frame *f1 = fake_netif_frame(&e->nif, 1);
    assert_memory_equal(f0->data, env_mac_peer.b, 6);
    assert_int_equal(f0->len, 14 + 40 + 20);
    assert_int_equal(f1->len, 14 + 40 + 30);
    assert_int_equal(e->s->nd->n_pending, 0);
    /* Sent at once now. */
    env6_send(e, env6_peer, 20);
    assert_int_equal(e->nif.n, 3);
    env_free(e);
}

/* NUD (RFC 4861 7.3.3): REACHABLE 30 s -> STALE; used -> DELAY; 5 s ->
 * PROBE with unicast NS every 1 s; 3 unanswered -> gone. */
static void test_nud_cycle(void **state)
{
    (void)state;
    struct stack_env *e = env6_ready(NULL);
    env6_send(e, env6_peer, 20);
    peer_na(e, ND_NA_FLAG_SOLICITED | ND_NA_FLAG_OVERRIDE, &env_mac_peer);
    struct nd_entry *ne = entry(e, env6_peer);
    env_advance(e, 29 * NS_PER_SEC);
    assert_int_equal(ne->state, ND_REACHABLE);
    env_advance(e, 1 * NS_PER_SEC);
    assert_int_equal(ne->state, ND_STALE);
    fake_netif_clear(&e->nif);
    env6_send(e, env6_peer, 20);
    assert_int_equal(ne->state, ND_DELAY);
    assert_int_equal(e->nif.n, 1); /* sent to the cached MAC, no NS yet */
    assert_int_equal(env6_count(e, ICMP6_ND_NS), 0);
    env_advance(e, 4999 * NS_PER_MS);
    assert_int_equal(ne->state, ND_DELAY);
    env_advance(e, 1 * NS_PER_MS);
    assert_int_equal(ne->state, ND_PROBE);
    assert_int_equal(env6_count(e, ICMP6_ND_NS), 1);
    struct env6_out o;
    env6_last(e, ICMP6_ND_NS, &o);
    assert_memory_equal(o.eth_dst.b, env_mac_peer.b, 6); /* unicast probe */
    assert_memory_equal(o.ip.dst, env6_peer, 16);
    env_advance(e, 1 * NS_PER_SEC);
    env_advance(e, 1 * NS_PER_SEC);
    assert_int_equal(env6_count(e, ICMP6_ND_NS), 3);
    assert_non_null(entry(e, env6_peer));
    env_advance(e, 1 * NS_PER_SEC);
    assert_null(entry(e, env6_peer));
    assert_int_equal(env_ctr(e, CTR_ND_RESOLVE_FAILED), 1);
    env_free(e);
}

/* A solicited NA in PROBE makes the entry REACHABLE again. */
static void test_nud_probe_answered(void **state)
{
    (void)state;
    struct stack_env *e = env6_ready(NULL);
    env6_send(e, env6_peer, 20);
    peer_na(e, ND_NA_FLAG_SOLICITED | ND_NA_FLAG_OVERRIDE, &env_mac_peer);
    env_advance(e, 30 * NS_PER_SEC);
    env6_send(e, env6_peer, 20);
    env_advance(e, 5 * NS_PER_SEC);
    struct nd_entry *ne = entry(e, env6_peer);
    assert_int_equal(ne->state, ND_PROBE);
    peer_na(e, ND_NA_FLAG_SOLICITED, &env_mac_peer);
    assert_int_equal(ne->state, ND_REACHABLE);
    env_advance(e, 10 * NS_PER_SEC);
    assert_int_equal(ne->state, ND_REACHABLE);
    env_free(e);
}

/* RFC 4861 7.2.5: an NA without override and another MAC does not change
 * the cached MAC; REACHABLE becomes STALE. With override it does. */
static void test_na_override_rules(void **state)
{
    (void)state;
    struct stack_env *e = env6_ready(NULL);
    env6_send(e, env6_peer, 20);
    peer_na(e, ND_NA_FLAG_SOLICITED | ND_NA_FLAG_OVERRIDE, &env_mac_peer);
    struct nd_entry *ne = entry(e, env6_peer);
    peer_na(e, 0, &env_mac_gw);
    assert_int_equal(ne->state, ND_STALE);
    assert_memory_equal(ne->mac.b, env_mac_peer.b, 6);
    peer_na(e, ND_NA_FLAG_OVERRIDE, &env_mac_gw);
    assert_int_equal(ne->state, ND_STALE);
    assert_memory_equal(ne->mac.b, env_mac_gw.b, 6);
    /* Unsolicited NA for an unknown neighbour: nothing created. */
    uint8_t msg[128];
    size_t n = env6_na(msg, env6_router, env6_all_nodes, ND_NA_FLAG_OVERRIDE, env6_router,
                       &env_mac_gw);
    env6_nd_input(e, env6_router, env6_all_nodes, msg, n);
    assert_null(entry(e, env6_router));
    env_free(e);
}

static void small_queue(struct stack_config *cfg, struct netif_config *ncfg)
{
    env6_tweak(cfg, ncfg);
    cfg->arp_pending_max = 2;
}

/* The queue while resolving is bounded for the whole cache. */
static void test_pending_bounded(void **state)
{
    (void)state;
    struct stack_env *e = env6_ready(small_queue);
    for (int i = 0; i < 5; i++)
        assert_int_equal(env6_send(e, env6_peer, 20), 0);
    assert_int_equal(e->s->nd->n_pending, 2);
    assert_int_equal(env_ctr(e, CTR_ND_PENDING_QUEUED), 2);
    assert_int_equal(env_ctr(e, CTR_ND_PENDING_DROPPED), 3);
    assert_int_equal(env6_count(e, ICMP6_ND_NS), 1);
    env_free(e);
}

static void small_entry_queue(struct stack_config *cfg, struct netif_config *ncfg)
{
    env6_tweak(cfg, ncfg);
    cfg->arp_pending_per_entry = 2;
}

/* Per entry (Linux unres_qlen): the newest packets stay, the oldest go. */
static void test_pending_per_entry(void **state)
{
    (void)state;
    struct stack_env *e = env6_ready(small_entry_queue);
    for (int i = 0; i < 5; i++)
        assert_int_equal(env6_send(e, env6_peer, 20), 0);
    assert_int_equal(e->s->nd->n_pending, 2);
    assert_int_equal(env_ctr(e, CTR_ND_PENDING_QUEUED), 5);
    assert_int_equal(env_ctr(e, CTR_ND_PENDING_DROPPED), 3);
    env_free(e);
}

/* The neighbour list shows ND entries with their state. */
static void test_neigh_list(void **state)
{
    (void)state;
    struct stack_env *e = env6_ready(NULL);
    env6_send(e, env6_peer, 20);
    struct neigh_info ni[4];
    assert_int_equal(nd_neigh_list(e->s, ni, 4), 1);
    assert_int_equal(ni[0].state, NEIGH_INCOMPLETE);
    assert_int_equal(ni[0].ip.family, IP_FAMILY_V6);
    peer_na(e, ND_NA_FLAG_SOLICITED | ND_NA_FLAG_OVERRIDE, &env_mac_peer);
    assert_int_equal(nd_neigh_list(e->s, ni, 4), 1);
    assert_int_equal(ni[0].state, NEIGH_REACHABLE);
    assert_memory_equal(ni[0].mac.b, env_mac_peer.b, 6);
    env_free(e);
}

/* Without IPv6 on the interface nothing of ND happens. */
static void test_ipv6_off(void **state)
{
    (void)state;
    struct stack_env *e = env_new(NULL, true);
    assert_int_equal(env_ctr(e, CTR_ND_TX_DAD_NS), 0);
    assert_int_equal(env_ctr(e, CTR_ND_TX_RS), 0);
    assert_int_equal(stack_next_deadline(e->s) == STACK_NO_DEADLINE ||
                         stack_next_deadline(e->s) > e->now,
                     1);
    env_free(e);
}

/* Through the real input path (Ethernet, IPv6, ICMPv6 validation): an NS
 * to our solicited-node group is answered; DAD hears an NS from :: while
 * tentative; a hop limit below 255 is refused (RFC 4861 7.1.1). */
static void test_frames_end_to_end(void **state)
{
    (void)state;
    struct stack_env *e = env6_ready(NULL);
    uint8_t msg[128], snm[16];
    ipv6_solicited_node(env6_us, snm);
    size_t n = env6_ns(msg, env6_peer, snm, env6_us, &env_mac_peer);
    env6_frame_input(e, &env_mac_peer, env6_peer, snm, msg, n);
    assert_int_equal(env_ctr(e, CTR_ND_RX_NS), 1);
    assert_int_equal(env6_count(e, ICMP6_ND_NA), 1);
    env_free(e);

    e = env_new(env6_tweak, false);
    n = env6_ns(msg, env6_unspec, snm, env6_us, NULL);
    env6_frame_input(e, &env_mac_peer, env6_unspec, snm, msg, n);
    assert_int_equal(env6_addr(e, env6_us)->state, ADDR6_DUPLICATE);
    env_free(e);
}

/* A UDP datagram waiting for resolution that fails: the socket gets
 * EHOSTUNREACH (RFC 4861 7.3.3, as ARP does for IPv4). */
static void test_resolve_fail_udp_error(void **state)
{
    (void)state;
    struct stack_env *e = env6_ready(NULL);
    struct udp_sock *us = udp_sock_open(e->s, NULL, NULL);
    assert_non_null(us);
    struct ip_endpoint dst;
    memset(&dst, 0, sizeof dst);
    dst.addr = ipv6_addr_tag(env6_peer);
    dst.port = 9;
    assert_int_equal(udp_sock_connect(us, &dst), 0);
    assert_int_equal(udp_sock_sendto(us, "x", 1, NULL, e->now), 1);
    assert_int_equal(env_ctr(e, CTR_ND_PENDING_QUEUED), 1);
    for (int i = 0; i < 3; i++)
        env_advance(e, 1 * NS_PER_SEC);
    assert_int_equal(env_ctr(e, CTR_ND_RESOLVE_FAILED), 1);
    assert_int_equal(udp_sock_error(us), EHOSTUNREACH);
    udp_sock_close(us);
    env_free(e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bringup_dad),
        cmocka_unit_test(test_dad_conflict_na),
        cmocka_unit_test(test_dad_conflict_ns),
        cmocka_unit_test(test_ns_answered),
        cmocka_unit_test(test_ns_from_unspecified),
        cmocka_unit_test(test_resolve_fails),
        cmocka_unit_test(test_resolve_na_flushes),
        cmocka_unit_test(test_nud_cycle),
        cmocka_unit_test(test_nud_probe_answered),
        cmocka_unit_test(test_na_override_rules),
        cmocka_unit_test(test_pending_bounded),
        cmocka_unit_test(test_pending_per_entry),
        cmocka_unit_test(test_neigh_list),
        cmocka_unit_test(test_ipv6_off),
        cmocka_unit_test(test_frames_end_to_end),
        cmocka_unit_test(test_resolve_fail_udp_error),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
