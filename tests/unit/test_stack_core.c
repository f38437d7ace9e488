/* test_stack_core.c - the stack object: config checks, interfaces,
 * counters and their names, deadlines, and the small utilities. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "stack/util/siphash.h"
#include "stack/util/token_bucket.h"
#include "tests/unit/support/stack_env.h"

static void test_counter_names_unique(void **state)
{
    (void)state;
    for (int i = 0; i < CTR_MAX; i++) {
        const char *a = stack_counter_name((enum stack_counter)i);
        assert_non_null(a);
        assert_non_null(strchr(a, '.')); /* "proto.what" */
        for (int j = 0; j < i; j++)
            assert_string_not_equal(a, stack_counter_name((enum stack_counter)j));
    }
    assert_null(stack_counter_name(CTR_MAX));
    assert_null(stack_counter_name((enum stack_counter)-1));
    assert_string_equal(stack_counter_name(CTR_ETH_RX_FRAMES), "eth.rx_frames");
    assert_string_equal(stack_counter_name(CTR_IPV4_RX_DROP_BAD_CSUM), "ipv4.rx_drop_bad_csum");
    assert_string_equal(stack_counter_name(CTR_UDP_TX_DROP_TOO_BIG), "udp.tx_drop_too_big");
}

static void test_stack_new_checks_config(void **state)
{
    (void)state;
    struct stack_config cfg;
    stack_config_defaults(&cfg);
    struct stack *s = stack_new(&cfg); /* log NULL is fine */
    assert_non_null(s);
    assert_int_equal(stack_next_deadline(s), STACK_NO_DEADLINE);
    for (int i = 0; i < CTR_MAX; i++)
        assert_int_equal(stack_counters(s)[i], 0);
    stack_poll(s, 12345);
    stack_free(s);
    stack_free(NULL);

    errno = 0;
    assert_null(stack_new(NULL));
    assert_int_equal(errno, EINVAL);
    struct stack_config bad = cfg;
    bad.arp_cache_size = 0;
    assert_null(stack_new(&bad));
    bad = cfg;
    bad.arp_retry_ns = 0;
    assert_null(stack_new(&bad));
    bad = cfg;
    bad.arp_max_retries = 0;
    assert_null(stack_new(&bad));
    bad = cfg;
    bad.ip_default_ttl = 0;
    assert_null(stack_new(&bad));
    assert_int_equal(errno, EINVAL);
}

static struct netif_config good_netif(void)
{
    struct netif_config c;
    memset(&c, 0, sizeof c);
    strcpy(c.name, "tcpip0");
    c.mac = env_mac_us;
    c.mtu = 1500;
    c.ipv4_addr = ENV_IP_US;
    c.ipv4_prefix_len = 24;
    c.ipv4_gateway = ENV_IP_GW;
    return c;
}

static void test_netif_add_checks(void **state)
{
    (void)state;
    struct stack_config cfg;
    stack_config_defaults(&cfg);
    struct stack *s = stack_new(&cfg);
    assert_non_null(s);
    struct fake_netif nif;
    fake_netif_init(&nif);
    struct netif_config c;

#define EXPECT_EINVAL(mutation)                                                         \
    do {                                                                                \
        c = good_netif();                                                               \
        mutation;                                                                       \
        assert_int_equal(stack_netif_add(s, &c, &fake_netif_ops, &nif, 0), -EINVAL); \
    } while (0)

    EXPECT_EINVAL(c.name[0] = '\0');
    EXPECT_EINVAL(memset(c.name, 'x', sizeof c.name)); /* not terminated */
    EXPECT_EINVAL(c.mac.b[0] = 0x01);                  /* multicast */
    EXPECT_EINVAL(memset(&c.mac, 0, sizeof c.mac));
    EXPECT_EINVAL(c.mtu = 67);
    EXPECT_EINVAL(c.mtu = 9001);
    EXPECT_EINVAL(c.ipv4_prefix_len = 33);
    EXPECT_EINVAL(c.ipv4_addr = 0x7f000001u);
    EXPECT_EINVAL(c.ipv4_addr = 0xe0000001u);
    EXPECT_EINVAL(c.ipv4_addr = ENV_IP_BCAST);         /* the subnet broadcast */
    EXPECT_EINVAL(c.ipv4_gateway = ENV_IP_FAR);        /* not on-link */
    EXPECT_EINVAL(c.ipv4_gateway = ENV_IP_US);
    EXPECT_EINVAL((c.ipv4_addr = 0, c.ipv4_gateway = ENV_IP_GW));
    EXPECT_EINVAL(c.n_neigh = 1);                      /* neigh NULL */
#undef EXPECT_EINVAL
    c = good_netif();
    assert_int_equal(stack_netif_add(s, &c, NULL, &nif, 0), -EINVAL);
    assert_int_equal(stack_netif_add(s, NULL, &fake_netif_ops, &nif, 0), -EINVAL);
    assert_int_equal(nif.n, 0);

    /* Eight interfaces, then ENOSPC. */
    for (int i = 0; i < STACK_MAX_NETIFS; i++) {
        c = good_netif();
        c.name[5] = (char)('0' + i);
        c.mac.b[5] = (uint8_t)(0x10 + i);
        c.ipv4_addr = 0x0a4d0000u | (uint32_t)(i + 1) << 8 | 2;
        c.ipv4_gateway = 0;
        assert_int_equal(stack_netif_add(s, &c, &fake_netif_ops, &nif, 0), i);
    }
    assert_int_equal(nif.n, STACK_MAX_NETIFS); /* a gratuitous ARP each */
    c = good_netif();
    c.name[5] = 'z';
    c.ipv4_addr = 0x0a4e0002u;
    c.ipv4_gateway = 0;
    assert_int_equal(stack_netif_add(s, &c, &fake_netif_ops, &nif, 0), -ENOSPC);
    /* Same name or same address as an existing interface. */
    c = good_netif();
    c.name[5] = '3';
    c.ipv4_addr = 0x0a4e0002u;
    c.ipv4_gateway = 0;
    assert_int_equal(stack_netif_add(s, &c, &fake_netif_ops, &nif, 0), -EINVAL);
    fake_netif_clear(&nif);
    stack_free(s);
}

static void test_static_neigh_overflow_undone(void **state)
{
    (void)state;
    struct stack_config cfg;
    stack_config_defaults(&cfg);
    cfg.arp_cache_size = 2;
    struct stack *s = stack_new(&cfg);
    assert_non_null(s);
    struct fake_netif nif;
    fake_netif_init(&nif);
    struct netif_static_neigh n3[3];
    for (int i = 0; i < 3; i++) {
        n3[i].ip = 0x0a4d0010u + (uint32_t)i;
        n3[i].mac = env_mac_peer;
    }
    struct netif_config c = good_netif();
    c.neigh = n3;
    c.n_neigh = 3; /* more than the cache holds */
    assert_int_equal(stack_netif_add(s, &c, &fake_netif_ops, &nif, 0), -EINVAL);
    c.n_neigh = 2;
    assert_int_equal(stack_netif_add(s, &c, &fake_netif_ops, &nif, 0), 0);
    /* The cache is now all static: a second interface's entry does not fit,
     * and the failed add leaves nothing behind. */
    struct netif_config d = good_netif();
    strcpy(d.name, "tcpip1");
    d.mac.b[5] = 0x77;
    d.ipv4_addr = 0x0a4e0002u;
    d.ipv4_gateway = 0;
    d.neigh = n3;
    d.n_neigh = 1;
    assert_int_equal(stack_netif_add(s, &d, &fake_netif_ops, &nif, 0), -ENOSPC);
    assert_int_equal(stack_neigh_list(s, NULL, 0), 2);
    d.n_neigh = 0;
    assert_int_equal(stack_netif_add(s, &d, &fake_netif_ops, &nif, 0), 1);
    fake_netif_clear(&nif);
    stack_free(s);
}

static void test_input_bad_ifindex_ignored(void **state)
{
    (void)state;
    struct stack_env *e = env_new(NULL, false);
    uint8_t f[64] = {0};
    stack_input(e->s, -1, f, sizeof f, e->now);
    stack_input(e->s, 1, f, sizeof f, e->now);
    stack_input(e->s, STACK_MAX_NETIFS + 5, f, sizeof f, e->now);
    stack_input(e->s, e->ifindex, NULL, 10, e->now);
    assert_int_equal(env_ctr(e, CTR_ETH_RX_FRAMES), 0);
    env_free(e);
}

static void test_send_failure_counted(void **state)
{
    (void)state;
    struct stack_env *e = env_new(NULL, false);
    e->nif.fail_with = ENOBUFS;
    env_learn(e, ENV_IP_PEER, &env_mac_peer); /* our reply fails */
    assert_int_equal(env_ctr(e, CTR_ETH_TX_DROP_ERROR), 1);
    struct udp_sock *us = udp_sock_open(e->s, NULL, NULL);
    struct ip_endpoint dst;
    memset(&dst, 0, sizeof dst);
    dst.addr = ip_addr_v4(ENV_IP_PEER);
    dst.port = 7;
    /* Like a full qdisc: the datagram is lost, the call succeeds. */
    assert_int_equal(udp_sock_sendto(us, "x", 1, &dst, e->now), 1);
    assert_int_equal(env_ctr(e, CTR_ETH_TX_DROP_ERROR), 2);
    assert_int_equal(env_ctr(e, CTR_ETH_TX_FRAMES), 1); /* the gratuitous ARP only */
    udp_sock_close(us);
    env_free(e);
}

static void test_two_stacks_independent(void **state)
{
    (void)state;
    struct stack_env *a = env_new(NULL, false);
    struct stack_env *b = env_new(NULL, false);
    env_learn(a, ENV_IP_PEER, &env_mac_peer);
    assert_int_equal(stack_neigh_list(a->s, NULL, 0), 1);
    assert_int_equal(stack_neigh_list(b->s, NULL, 0), 0);
    assert_int_equal(env_ctr(b, CTR_ARP_RX), 0);
    env_free(a);
    env_free(b);
}

static void test_deadline_is_earliest(void **state)
{
    (void)state;
    struct stack_env *e = env_new(NULL, false);
    env_learn(e, ENV_IP_PEER, &env_mac_peer);
    uint64_t reach = e->now + e->cfg.arp_reachable_ns;
    assert_int_equal(stack_next_deadline(e->s), reach);
    e->now += NS_PER_SEC;
    struct udp_sock *us = udp_sock_open(e->s, NULL, NULL);
    struct ip_endpoint dst;
    memset(&dst, 0, sizeof dst);
    dst.addr = ip_addr_v4(ENV_IP_PEER + 1);
    dst.port = 7;
    assert_int_equal(udp_sock_sendto(us, "x", 1, &dst, e->now), 1);
    assert_int_equal(stack_next_deadline(e->s), e->now + e->cfg.arp_retry_ns);
    /* Polling before the deadline changes nothing; a poll loop driven by
     * the deadline ends with no deadline at all. */
    stack_poll(e->s, e->now);
    int rounds = 0;
    while (stack_next_deadline(e->s) != STACK_NO_DEADLINE && rounds < 100) {
        uint64_t d = stack_next_deadline(e->s);
        assert_true(d >= e->now);
        e->now = d;
        stack_poll(e->s, e->now);
        rounds++;
    }
    assert_true(rounds < 100);
    assert_int_equal(stack_neigh_list(e->s, NULL, 0), 0);
    udp_sock_close(us);
    env_free(e);
}

static void test_neigh_state_names(void **state)
{
    (void)state;
    assert_string_equal(neigh_state_name(NEIGH_INCOMPLETE), "INCOMPLETE");
    assert_string_equal(neigh_state_name(NEIGH_STALE), "STALE");
    assert_string_equal(neigh_state_name(NEIGH_PERMANENT), "PERMANENT");
    assert_string_equal(neigh_state_name((enum neigh_state)42), "?");
}

static void test_siphash_vector(void **state)
{
    (void)state;
    /* The reference vector of the SipHash paper (appendix A). */
    uint8_t key[16], msg[15];
    for (int i = 0; i < 16; i++)
        key[i] = (uint8_t)i;
    for (int i = 0; i < 15; i++)
        msg[i] = (uint8_t)i;
    assert_true(siphash24(key, msg, sizeof msg) == 0xa129ca6149be45e5ull);
    /* Empty input (from the reference implementation's vectors.h). */
    assert_true(siphash24(key, msg, 0) == 0x726fdb47dd0e0e31ull);
}

static void test_token_bucket(void **state)
{
    (void)state;
    struct token_bucket tb;
    token_bucket_init(&tb, 1000, 3);
    uint64_t t = 5 * NS_PER_SEC;
    for (int i = 0; i < 3; i++)
        assert_true(token_bucket_take(&tb, t));
    assert_false(token_bucket_take(&tb, t));
    assert_false(token_bucket_take(&tb, t + NS_PER_MS - 1));
    assert_true(token_bucket_take(&tb, t + NS_PER_MS));
    assert_false(token_bucket_take(&tb, t - NS_PER_SEC)); /* time going back: no credit */

    token_bucket_init(&tb, 0, 0); /* no limit */
    for (int i = 0; i < 1000; i++)
        assert_true(token_bucket_take(&tb, 0));
    token_bucket_init(&tb, 10, 0); /* nothing passes */
    assert_false(token_bucket_take(&tb, 0));
    assert_false(token_bucket_take(&tb, 100 * NS_PER_SEC));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_counter_names_unique),
        cmocka_unit_test(test_stack_new_checks_config),
        cmocka_unit_test(test_netif_add_checks),
        cmocka_unit_test(test_static_neigh_overflow_undone),
        cmocka_unit_test(test_input_bad_ifindex_ignored),
        cmocka_unit_test(test_send_failure_counted),
        cmocka_unit_test(test_two_stacks_independent),
        cmocka_unit_test(test_deadline_is_earliest),
        cmocka_unit_test(test_neigh_state_names),
        cmocka_unit_test(test_siphash_vector),
        cmocka_unit_test(test_token_bucket),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
