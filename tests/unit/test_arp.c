/* test_arp.c - ARP (RFC 826) and the neighbour cache. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "stack/core/stack_impl.h"
#include "tests/unit/support/stack_env.h"

static const struct eth_addr zero_mac;

static struct eth_addr mac_n(uint8_t n)
{
    struct eth_addr m = {{0x02, 0x00, 0x00, 0x00, 0x01, n}};
    return m;
}

/* The cache entry for ip, or false. */
static bool find_neigh(const struct stack_env *e, uint32_t ip, struct neigh_info *out)
{
    struct neigh_info list[64];
    size_t n = stack_neigh_list(e->s, list, 64);
    for (size_t i = 0; i < n && i < 64; i++) {
        if (list[i].ip.u.v4 == ip) {
            *out = list[i];
            return true;
        }
    }
    return false;
}

static void input_arp(struct stack_env *e, const struct eth_addr *eth_dst, uint16_t op,
                      const struct eth_addr *sha, uint32_t spa, const struct eth_addr *tha,
                      uint32_t tpa)
{
    uint8_t f[64];
    size_t n = frame_arp(f, sizeof f, eth_dst, sha, op, sha, spa, tha, tpa);
    assert_true(n > 0);
    env_input(e, f, n);
}

static void assert_request_for(const struct stack_env *e, size_t i, uint32_t ip,
                               const struct eth_addr *eth_dst)
{
    struct parsed_frame pf;
    env_frame(e, i, &pf);
    assert_true(pf.is_arp);
    assert_int_equal(pf.arp.op, ARP_OP_REQUEST);
    assert_true(eth_addr_eq(&pf.eth.dst, eth_dst));
    assert_true(eth_addr_eq(&pf.arp.sha, &env_mac_us));
    assert_int_equal(pf.arp.spa, ENV_IP_US);
    assert_int_equal(pf.arp.tpa, ip);
}

static void test_reply_to_request_for_us(void **state)
{
    (void)state;
    struct stack_env *e = env_new(NULL, false);
    input_arp(e, &frame_broadcast_mac, ARP_OP_REQUEST, &env_mac_peer, ENV_IP_PEER, &zero_mac,
              ENV_IP_US);
    assert_int_equal(e->nif.n, 1);
    assert_int_equal(e->nif.frames[0].len, 60); /* padded */
    struct parsed_frame pf;
    env_frame(e, 0, &pf);
    assert_true(pf.is_arp);
    assert_int_equal(pf.eth.ethertype, ETHERTYPE_ARP);
    assert_true(eth_addr_eq(&pf.eth.dst, &env_mac_peer));
    assert_true(eth_addr_eq(&pf.eth.src, &env_mac_us));
    assert_int_equal(pf.arp.op, ARP_OP_REPLY);
    assert_true(eth_addr_eq(&pf.arp.sha, &env_mac_us));
    assert_int_equal(pf.arp.spa, ENV_IP_US);
    assert_true(eth_addr_eq(&pf.arp.tha, &env_mac_peer));
    assert_int_equal(pf.arp.tpa, ENV_IP_PEER);
    assert_int_equal(env_ctr(e, CTR_ARP_RX), 1);
    assert_int_equal(env_ctr(e, CTR_ARP_RX_REQUESTS), 1);
    assert_int_equal(env_ctr(e, CTR_ARP_TX_REPLIES), 1);
    assert_int_equal(env_ctr(e, CTR_ETH_TX_FRAMES), 2); /* + the gratuitous ARP */
    env_free(e);
}

static void test_no_reply_for_others(void **state)
{
    (void)state;
    struct stack_env *e = env_new(NULL, false);
    input_arp(e, &frame_broadcast_mac, ARP_OP_REQUEST, &env_mac_peer, ENV_IP_PEER, &zero_mac,
              0x0a4d0032u);
    assert_int_equal(e->nif.n, 0);
    assert_int_equal(env_ctr(e, CTR_ARP_TX_REPLIES), 0);
    /* Overheard, not for us, no entry yet: nothing learned (RFC 826). */
    assert_int_equal(stack_neigh_list(e->s, NULL, 0), 0);
    env_free(e);
}

static void test_learn_from_request(void **state)
{
    (void)state;
    struct stack_env *e = env_new(NULL, false);
    env_learn(e, ENV_IP_PEER, &env_mac_peer);
    struct neigh_info ni;
    assert_true(find_neigh(e, ENV_IP_PEER, &ni));
    assert_int_equal(ni.state, NEIGH_REACHABLE);
    assert_true(eth_addr_eq(&ni.mac, &env_mac_peer));
    assert_int_equal(ni.updated, e->now);
    assert_int_equal(ni.ifindex, e->ifindex);
    assert_string_equal(neigh_state_name(ni.state), "REACHABLE");

    /* Sending needs no request now. */
    struct udp_sock *us = udp_sock_open(e->s, NULL, NULL);
    struct ip_endpoint dst = env_ep(ENV_IP_PEER, 7);
    assert_int_equal(udp_sock_sendto(us, "x", 1, &dst, e->now), 1);
    assert_int_equal(e->nif.n, 1);
    struct parsed_frame pf;
    env_frame(e, 0, &pf);
    assert_true(pf.is_udp);
    assert_true(eth_addr_eq(&pf.eth.dst, &env_mac_peer));
    assert_int_equal(env_ctr(e, CTR_ARP_TX_REQUESTS), 0);
    udp_sock_close(us);
    env_free(e);
}

static void test_queue_then_flush(void **state)
{
    (void)state;
    struct stack_env *e = env_new(NULL, false);
    struct udp_sock *us = udp_sock_open(e->s, NULL, NULL);
    struct ip_endpoint dst = env_ep(ENV_IP_PEER, 7);
    const char *msgs[3] = {"one", "two", "three"};
    for (int i = 0; i < 3; i++)
        assert_int_equal(udp_sock_sendto(us, msgs[i], strlen(msgs[i]), &dst, e->now),
                         (int)strlen(msgs[i]));
    /* One broadcast request, not one per packet. */
    assert_int_equal(e->nif.n, 1);
    assert_request_for(e, 0, ENV_IP_PEER, &frame_broadcast_mac);
    assert_int_equal(env_ctr(e, CTR_ARP_PENDING_QUEUED), 3);
    struct neigh_info ni;
    assert_true(find_neigh(e, ENV_IP_PEER, &ni));
    assert_int_equal(ni.state, NEIGH_INCOMPLETE);
    assert_true(eth_addr_eq(&ni.mac, &zero_mac));
    assert_int_equal(stack_next_deadline(e->s), e->now + e->cfg.arp_retry_ns);

    fake_netif_clear(&e->nif);
    e->now += 5 * NS_PER_MS;
    input_arp(e, &env_mac_us, ARP_OP_REPLY, &env_mac_peer, ENV_IP_PEER, &env_mac_us, ENV_IP_US);
    assert_int_equal(e->nif.n, 3);
    for (int i = 0; i < 3; i++) {
        struct parsed_frame pf;
        env_frame(e, (size_t)i, &pf);
        assert_true(pf.is_udp);
        assert_true(eth_addr_eq(&pf.eth.dst, &env_mac_peer));
        assert_int_equal(pf.udp.payload_len, strlen(msgs[i]));
        assert_memory_equal(pf.udp.payload, msgs[i], strlen(msgs[i]));
    }
    assert_true(find_neigh(e, ENV_IP_PEER, &ni));
    assert_int_equal(ni.state, NEIGH_REACHABLE);
    assert_int_equal(env_ctr(e, CTR_ARP_RX_REPLIES), 1);
    assert_int_equal(env_ctr(e, CTR_ARP_PENDING_DROPPED), 0);
    udp_sock_close(us);
    env_free(e);
}

struct events {
    int error;
};

static void on_event(void *user, struct udp_sock *us, int ev)
{
    (void)us;
    struct events *evs = user;
    if (ev & UDP_EV_ERROR)
        evs->error++;
}

static void test_retries_then_failure(void **state)
{
    (void)state;
    struct stack_env *e = env_new(NULL, false);
    struct events evs = {0};
    struct udp_sock *us = udp_sock_open(e->s, on_event, &evs);
    struct ip_endpoint dst = env_ep(ENV_IP_PEER, 7);
    assert_int_equal(udp_sock_connect(us, &dst), 0);
    assert_int_equal(udp_sock_sendto(us, "x", 1, NULL, e->now), 1);
    assert_int_equal(udp_sock_sendto(us, "y", 1, NULL, e->now), 1);
    assert_int_equal(e->nif.n, 1);

    uint64_t retry = e->cfg.arp_retry_ns;
    env_advance(e, retry - 1);
    assert_int_equal(e->nif.n, 1); /* not yet */
    env_advance(e, 1);
    assert_int_equal(e->nif.n, 2);
    assert_request_for(e, 1, ENV_IP_PEER, &frame_broadcast_mac);
    env_advance(e, retry);
    assert_int_equal(e->nif.n, 3); /* arp_max_retries = 3 requests in all */
    assert_int_equal(env_ctr(e, CTR_ARP_TX_REQUESTS), 3);
    assert_int_equal(evs.error, 0);
    assert_int_equal(stack_next_deadline(e->s), e->now + retry);

    env_advance(e, retry);
    assert_int_equal(e->nif.n, 3);
    assert_int_equal(env_ctr(e, CTR_ARP_RESOLVE_FAILED), 1);
    assert_int_equal(env_ctr(e, CTR_ARP_PENDING_DROPPED), 2);
    assert_int_equal(evs.error, 2); /* one per dropped datagram */
    assert_int_equal(udp_sock_error(us), EHOSTUNREACH);
    assert_int_equal(udp_sock_error(us), 0);
    assert_int_equal(stack_neigh_list(e->s, NULL, 0), 0);
    assert_int_equal(stack_next_deadline(e->s), STACK_NO_DEADLINE);

    /* Later polls do nothing. */
    env_advance(e, 10 * retry);
    assert_int_equal(e->nif.n, 3);
    udp_sock_close(us);
    env_free(e);
}

static void test_failure_no_error_for_unconnected(void **state)
{
    (void)state;
    struct stack_env *e = env_new(NULL, false);
    struct events evs = {0};
    struct udp_sock *us = udp_sock_open(e->s, on_event, &evs);
    struct ip_endpoint dst = env_ep(ENV_IP_PEER, 7);
    assert_int_equal(udp_sock_sendto(us, "x", 1, &dst, e->now), 1);
    for (int i = 0; i < 5; i++)
        env_advance(e, e->cfg.arp_retry_ns);
    assert_int_equal(env_ctr(e, CTR_ARP_RESOLVE_FAILED), 1);
    /* As Linux without IP_RECVERR: unconnected sockets are not told. */
    assert_int_equal(evs.error, 0);
    assert_int_equal(udp_sock_error(us), 0);
    udp_sock_close(us);
    env_free(e);
}

static void test_reachable_stale_refresh(void **state)
{
    (void)state;
    struct stack_env *e = env_new(NULL, false);
    env_learn(e, ENV_IP_PEER, &env_mac_peer);
    assert_int_equal(stack_next_deadline(e->s), e->now + e->cfg.arp_reachable_ns);
    env_advance(e, e->cfg.arp_reachable_ns);
    struct neigh_info ni;
    assert_true(find_neigh(e, ENV_IP_PEER, &ni));
    assert_int_equal(ni.state, NEIGH_STALE);
    assert_int_equal(e->nif.n, 0); /* no traffic just for going stale */

    struct udp_sock *us = udp_sock_open(e->s, NULL, NULL);
    struct ip_endpoint dst = env_ep(ENV_IP_PEER, 7);
    assert_int_equal(udp_sock_sendto(us, "x", 1, &dst, e->now), 1);
    /* The datagram goes to the old MAC at once, and a unicast request asks
     * the neighbour to confirm. */
    assert_int_equal(e->nif.n, 2);
    assert_request_for(e, 0, ENV_IP_PEER, &env_mac_peer);
    struct parsed_frame pf;
    env_frame(e, 1, &pf);
    assert_true(pf.is_udp);
    assert_true(eth_addr_eq(&pf.eth.dst, &env_mac_peer));
    /* A second use does not ask again. */
    assert_int_equal(udp_sock_sendto(us, "x", 1, &dst, e->now), 1);
    assert_int_equal(env_ctr(e, CTR_ARP_TX_REQUESTS), 1);

    e->now += NS_PER_MS;
    input_arp(e, &env_mac_us, ARP_OP_REPLY, &env_mac_peer, ENV_IP_PEER, &env_mac_us, ENV_IP_US);
    assert_true(find_neigh(e, ENV_IP_PEER, &ni));
    assert_int_equal(ni.state, NEIGH_REACHABLE);
    assert_int_equal(ni.updated, e->now);
    udp_sock_close(us);
    env_free(e);
}

static void test_stale_probe_fails(void **state)
{
    (void)state;
    struct stack_env *e = env_new(NULL, false);
    env_learn(e, ENV_IP_PEER, &env_mac_peer);
    env_advance(e, e->cfg.arp_reachable_ns);
    struct udp_sock *us = udp_sock_open(e->s, NULL, NULL);
    struct ip_endpoint dst = env_ep(ENV_IP_PEER, 7);
    assert_int_equal(udp_sock_sendto(us, "x", 1, &dst, e->now), 1);
    for (uint32_t i = 0; i < e->cfg.arp_max_retries; i++)
        env_advance(e, e->cfg.arp_retry_ns);
    /* Three unicast probes unanswered: the entry is gone. */
    assert_int_equal(env_ctr(e, CTR_ARP_TX_REQUESTS), 3);
    assert_int_equal(stack_neigh_list(e->s, NULL, 0), 0);
    /* The next datagram starts a fresh broadcast resolution. */
    fake_netif_clear(&e->nif);
    assert_int_equal(udp_sock_sendto(us, "x", 1, &dst, e->now), 1);
    assert_int_equal(e->nif.n, 1);
    assert_request_for(e, 0, ENV_IP_PEER, &frame_broadcast_mac);
    udp_sock_close(us);
    env_free(e);
}

static void test_stale_unused_forgotten(void **state)
{
    (void)state;
    struct stack_env *e = env_new(NULL, false);
    env_learn(e, ENV_IP_PEER, &env_mac_peer);
    for (int i = 0; i < 200; i++) /* 200 s in 1 s steps */
        env_advance(e, NS_PER_SEC);
    assert_int_equal(stack_neigh_list(e->s, NULL, 0), 0);
    assert_int_equal(e->nif.n, 0);
    assert_int_equal(stack_next_deadline(e->s), STACK_NO_DEADLINE);
    env_free(e);
}

static const struct netif_static_neigh statics[] = {
    {.ip = ENV_IP_GW, .mac = {{0x02, 0x00, 0x00, 0x00, 0x00, 0x01}}},
};

static void with_static(struct stack_config *cfg, struct netif_config *ncfg)
{
    (void)cfg;
    ncfg->neigh = statics;
    ncfg->n_neigh = 1;
}

static void test_static_never_expires(void **state)
{
    (void)state;
    struct stack_env *e = env_new(with_static, false);
    struct neigh_info ni;
    assert_true(find_neigh(e, ENV_IP_GW, &ni));
    assert_int_equal(ni.state, NEIGH_PERMANENT);
    assert_int_equal(stack_next_deadline(e->s), STACK_NO_DEADLINE);
    for (int i = 0; i < 100; i++)
        env_advance(e, 60 * NS_PER_SEC);
    assert_true(find_neigh(e, ENV_IP_GW, &ni));
    assert_int_equal(ni.state, NEIGH_PERMANENT);

    /* A reply claiming another MAC does not change it. */
    struct eth_addr other = mac_n(7);
    input_arp(e, &env_mac_us, ARP_OP_REPLY, &other, ENV_IP_GW, &env_mac_us, ENV_IP_US);
    assert_true(find_neigh(e, ENV_IP_GW, &ni));
    assert_true(eth_addr_eq(&ni.mac, &env_mac_gw));

    /* Off-link traffic goes to the static gateway MAC with no ARP. */
    struct udp_sock *us = udp_sock_open(e->s, NULL, NULL);
    struct ip_endpoint dst = env_ep(0x08080808u, 53);
    assert_int_equal(udp_sock_sendto(us, "x", 1, &dst, e->now), 1);
    assert_int_equal(e->nif.n, 1);
    struct parsed_frame pf;
    env_frame(e, 0, &pf);
    assert_true(pf.is_udp);
    assert_true(eth_addr_eq(&pf.eth.dst, &env_mac_gw));
    assert_int_equal(env_ctr(e, CTR_ARP_TX_REQUESTS), 0);
    udp_sock_close(us);
    env_free(e);
}

static void cache_of_4(struct stack_config *cfg, struct netif_config *ncfg)
{
    cfg->arp_cache_size = 4;
    ncfg->neigh = statics;
    ncfg->n_neigh = 1;
}

static void test_cache_bound_eviction(void **state)
{
    (void)state;
    struct stack_env *e = env_new(cache_of_4, false);
    /* 1 static + 5 learned into 4 slots: the 2 oldest learned ones go. */
    for (uint8_t i = 0; i < 5; i++) {
        struct eth_addr m = mac_n(i);
        e->now += NS_PER_MS;
        env_learn(e, 0x0a4d0010u + i, &m);
    }
    assert_int_equal(stack_neigh_list(e->s, NULL, 0), 4);
    assert_int_equal(env_ctr(e, CTR_ARP_CACHE_EVICTIONS), 2);
    struct neigh_info ni;
    assert_true(find_neigh(e, ENV_IP_GW, &ni)); /* static survives */
    assert_false(find_neigh(e, 0x0a4d0010u, &ni));
    assert_false(find_neigh(e, 0x0a4d0011u, &ni));
    for (uint32_t i = 2; i < 5; i++)
        assert_true(find_neigh(e, 0x0a4d0010u + i, &ni));
    /* stack_neigh_list reports the total even when max is smaller. */
    struct neigh_info one;
    assert_int_equal(stack_neigh_list(e->s, &one, 1), 4);
    env_free(e);
}

static void pending_4(struct stack_config *cfg, struct netif_config *ncfg)
{
    (void)ncfg;
    cfg->arp_pending_max = 4;
}

static void test_pending_queue_bound(void **state)
{
    (void)state;
    struct stack_env *e = env_new(pending_4, false);
    struct udp_sock *us = udp_sock_open(e->s, NULL, NULL);
    struct ip_endpoint a = env_ep(ENV_IP_PEER, 7), b = env_ep(ENV_IP_PEER + 1, 7);
    for (int i = 0; i < 3; i++)
        assert_int_equal(udp_sock_sendto(us, "a", 1, &a, e->now), 1);
    for (int i = 0; i < 3; i++) /* the bound is for all entries together */
        assert_int_equal(udp_sock_sendto(us, "b", 1, &b, e->now), 1);
    assert_int_equal(env_ctr(e, CTR_ARP_PENDING_QUEUED), 4);
    assert_int_equal(env_ctr(e, CTR_ARP_PENDING_DROPPED), 2);
    fake_netif_clear(&e->nif);
    input_arp(e, &env_mac_us, ARP_OP_REPLY, &env_mac_peer, ENV_IP_PEER, &env_mac_us, ENV_IP_US);
    assert_int_equal(e->nif.n, 3);
    /* Room again once flushed. */
    assert_int_equal(udp_sock_sendto(us, "b", 1, &b, e->now), 1);
    assert_int_equal(env_ctr(e, CTR_ARP_PENDING_QUEUED), 5);
    udp_sock_close(us);
    env_free(e); /* the queued packet is freed with the stack */
}

static void per_entry_2(struct stack_config *cfg, struct netif_config *ncfg)
{
    (void)ncfg;
    cfg->arp_pending_per_entry = 2;
}

/* Issue 14: each entry keeps at most arp_pending_per_entry packets; a new
 * one pushes the entry's oldest out (Linux unres_qlen), and other
 * entries keep theirs. */
static void test_pending_per_entry(void **state)
{
    (void)state;
    struct stack_env *e = env_new(per_entry_2, false);
    struct udp_sock *us = udp_sock_open(e->s, NULL, NULL);
    struct ip_endpoint a = env_ep(ENV_IP_PEER, 7), b = env_ep(ENV_IP_PEER + 1, 7);
    const char *msgs[4] = {"1", "2", "3", "4"};
    for (int i = 0; i < 4; i++)
        assert_int_equal(udp_sock_sendto(us, msgs[i], 1, &a, e->now), 1);
    assert_int_equal(udp_sock_sendto(us, "b", 1, &b, e->now), 1);
    assert_int_equal(env_ctr(e, CTR_ARP_PENDING_QUEUED), 5);
    assert_int_equal(env_ctr(e, CTR_ARP_PENDING_DROPPED), 2);
    assert_int_equal(e->s->arp.n_pending, 3);
    fake_netif_clear(&e->nif);
    input_arp(e, &env_mac_us, ARP_OP_REPLY, &env_mac_peer, ENV_IP_PEER, &env_mac_us, ENV_IP_US);
    /* The two newest, in order. */
    assert_int_equal(e->nif.n, 2);
    for (int i = 0; i < 2; i++) {
        struct parsed_frame pf;
        env_frame(e, (size_t)i, &pf);
        assert_true(pf.is_udp);
        assert_memory_equal(pf.udp.payload, msgs[2 + i], 1);
    }
    assert_int_equal(e->s->arp.n_pending, 1);
    udp_sock_close(us);
    env_free(e); /* b's packet is freed with the stack */
}

/* Issue 14: a burst of new peers (one packet each, as SYN-ACKs to a
 * burst of new clients) all wait; none is lost to a cache-wide queue. */
static void test_pending_burst_of_peers(void **state)
{
    (void)state;
    struct stack_env *e = env_new(NULL, false);
    struct udp_sock *us = udp_sock_open(e->s, NULL, NULL);
    const uint32_t n_peers = 200;
    for (uint32_t i = 0; i < n_peers; i++) {
        struct ip_endpoint d = env_ep(0x0a4d0010u + i, 7);
        assert_int_equal(udp_sock_sendto(us, "x", 1, &d, e->now), 1);
    }
    assert_int_equal(env_ctr(e, CTR_ARP_PENDING_QUEUED), n_peers);
    assert_int_equal(env_ctr(e, CTR_ARP_PENDING_DROPPED), 0);
    fake_netif_clear(&e->nif);
    for (uint32_t i = 0; i < n_peers; i++) {
        struct eth_addr m = mac_n((uint8_t)i);
        input_arp(e, &env_mac_us, ARP_OP_REPLY, &m, 0x0a4d0010u + i, &env_mac_us, ENV_IP_US);
    }
    assert_int_equal(e->nif.n, n_peers);
    assert_int_equal(e->s->arp.n_pending, 0);
    udp_sock_close(us);
    env_free(e);
}

static void test_gratuitous_on_add(void **state)
{
    (void)state;
    struct stack_env *e = env_new(NULL, true);
    assert_int_equal(e->nif.n, 1);
    struct parsed_frame pf;
    env_frame(e, 0, &pf);
    assert_true(pf.is_arp);
    assert_true(eth_addr_is_broadcast(&pf.eth.dst));
    assert_int_equal(pf.arp.op, ARP_OP_REQUEST);
    assert_int_equal(pf.arp.spa, ENV_IP_US);
    assert_int_equal(pf.arp.tpa, ENV_IP_US);
    assert_true(eth_addr_eq(&pf.arp.sha, &env_mac_us));
    assert_true(eth_addr_eq(&pf.arp.tha, &zero_mac));
    assert_int_equal(env_ctr(e, CTR_ARP_TX_GRATUITOUS), 1);
    env_free(e);
}

static void no_address(struct stack_config *cfg, struct netif_config *ncfg)
{
    (void)cfg;
    ncfg->ipv4_addr = 0;
    ncfg->ipv4_prefix_len = 0;
    ncfg->ipv4_gateway = 0;
}

static void test_no_gratuitous_without_address(void **state)
{
    (void)state;
    struct stack_env *e = env_new(no_address, true);
    assert_int_equal(e->nif.n, 0);
    /* And no replies for anything. */
    input_arp(e, &frame_broadcast_mac, ARP_OP_REQUEST, &env_mac_peer, ENV_IP_PEER, &zero_mac,
              ENV_IP_US);
    assert_int_equal(e->nif.n, 0);
    env_free(e);
}

static void test_conflict_logged(void **state)
{
    (void)state;
    struct stack_env *e = env_new(NULL, false);
    struct eth_addr intruder = {{0x02, 0x00, 0x00, 0x00, 0x00, 0x99}};
    input_arp(e, &frame_broadcast_mac, ARP_OP_REQUEST, &intruder, ENV_IP_US, &zero_mac,
              ENV_IP_US);
    assert_int_equal(env_ctr(e, CTR_ARP_CONFLICTS), 1);
    assert_true(env_logged(e, STACK_LOG_WARN,
                           "arp: tcpip0: address conflict: 10.77.0.2 is claimed by "
                           "02:00:00:00:00:99"));
    struct neigh_info ni;
    assert_false(find_neigh(e, ENV_IP_US, &ni));
    assert_int_equal(e->nif.n, 0);

    /* Counted every time, logged at most once a second. */
    size_t lines = e->n_log;
    input_arp(e, &env_mac_us, ARP_OP_REPLY, &intruder, ENV_IP_US, &env_mac_us, ENV_IP_US);
    assert_int_equal(env_ctr(e, CTR_ARP_CONFLICTS), 2);
    assert_int_equal(e->n_log, lines);
    e->now += 2 * NS_PER_SEC;
    input_arp(e, &env_mac_us, ARP_OP_REPLY, &intruder, ENV_IP_US, &env_mac_us, ENV_IP_US);
    assert_int_equal(e->n_log, lines + 1);
    env_free(e);
}

static void test_malformed(void **state)
{
    (void)state;
    struct stack_env *e = env_new(NULL, false);
    uint8_t f[64];
    size_t n = frame_arp(f, sizeof f, &frame_broadcast_mac, &env_mac_peer, ARP_OP_REQUEST,
                         &env_mac_peer, ENV_IP_PEER, &zero_mac, ENV_IP_US);

    env_input(e, f, ETH_HLEN + ARP_LEN - 1); /* truncated */
    assert_int_equal(env_ctr(e, CTR_ARP_RX_DROP_MALFORMED), 1);

    uint8_t g[64];
    memcpy(g, f, n);
    g[ETH_HLEN + 1] = 6; /* htype 6 (IEEE 802) */
    env_input(e, g, n);
    assert_int_equal(env_ctr(e, CTR_ARP_RX_DROP_UNSUPPORTED), 1);

    memcpy(g, f, n);
    g[ETH_HLEN + 7] = 3; /* op 3 (RARP request) */
    env_input(e, g, n);
    assert_int_equal(env_ctr(e, CTR_ARP_RX_DROP_BAD_OP), 1);

    memcpy(g, f, n);
    memset(g + ETH_HLEN + 8, 0xff, 6); /* sha broadcast */
    env_input(e, g, n);
    assert_int_equal(env_ctr(e, CTR_ARP_RX_DROP_MALFORMED), 2);

    assert_int_equal(env_ctr(e, CTR_ARP_RX), 4);
    assert_int_equal(e->nif.n, 0);
    assert_int_equal(stack_neigh_list(e->s, NULL, 0), 0);
    env_free(e);
}

static void test_merge_overheard(void **state)
{
    (void)state;
    struct stack_env *e = env_new(NULL, false);
    env_learn(e, ENV_IP_PEER, &env_mac_peer);
    /* The peer asks someone else, from a new MAC: the entry follows. */
    struct eth_addr moved = mac_n(0x42);
    input_arp(e, &frame_broadcast_mac, ARP_OP_REQUEST, &moved, ENV_IP_PEER, &zero_mac,
              0x0a4d0033u);
    struct neigh_info ni;
    assert_true(find_neigh(e, ENV_IP_PEER, &ni));
    assert_true(eth_addr_eq(&ni.mac, &moved));
    assert_int_equal(ni.state, NEIGH_STALE);
    assert_int_equal(e->nif.n, 0);
    env_free(e);
}

static void test_probe_for_our_address_answered(void **state)
{
    (void)state;
    /* RFC 5227 probe: sender IP 0. We answer (defending our address) and
     * learn nothing. */
    struct stack_env *e = env_new(NULL, false);
    input_arp(e, &frame_broadcast_mac, ARP_OP_REQUEST, &env_mac_peer, 0, &zero_mac, ENV_IP_US);
    assert_int_equal(e->nif.n, 1);
    struct parsed_frame pf;
    env_frame(e, 0, &pf);
    assert_int_equal(pf.arp.op, ARP_OP_REPLY);
    assert_int_equal(stack_neigh_list(e->s, NULL, 0), 0);
    env_free(e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reply_to_request_for_us),
        cmocka_unit_test(test_no_reply_for_others),
        cmocka_unit_test(test_learn_from_request),
        cmocka_unit_test(test_queue_then_flush),
        cmocka_unit_test(test_retries_then_failure),
        cmocka_unit_test(test_failure_no_error_for_unconnected),
        cmocka_unit_test(test_reachable_stale_refresh),
        cmocka_unit_test(test_stale_probe_fails),
        cmocka_unit_test(test_stale_unused_forgotten),
        cmocka_unit_test(test_static_never_expires),
        cmocka_unit_test(test_cache_bound_eviction),
        cmocka_unit_test(test_pending_queue_bound),
        cmocka_unit_test(test_pending_per_entry),
        cmocka_unit_test(test_pending_burst_of_peers),
        cmocka_unit_test(test_gratuitous_on_add),
        cmocka_unit_test(test_no_gratuitous_without_address),
        cmocka_unit_test(test_conflict_logged),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_merge_overheard),
        cmocka_unit_test(test_probe_for_our_address_answered),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
