/* test_rdnss.c - DNS servers and search domains from router
 * advertisements (RFC 8106): RDNSS and DNSSL options taken, refreshed,
 * removed by a zero lifetime, expired; malformed options and bad servers
 * ignored and counted; the table bounded. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "tests/unit/support/env6.h"

static const uint8_t dns1[16] = {0xfd, 0x77, [14] = 0, [15] = 0x53};
static const uint8_t dns2[16] = {0xfd, 0x77, [14] = 0, [15] = 0x54};

/* An RA from the router with the raw options opts after its SLLA. */
static void ra_with(struct stack_env *e, const uint8_t *opts, size_t len)
{
    uint8_t buf[1024];
    struct nd_ra ra = {.router_lifetime = 0};
    size_t n = env6_ra(buf, &ra, NULL, 0);
    /* env6_ra checksummed without our options: rebuild with them. */
    size_t base = n - ND_RA_LEN;
    memcpy(buf + ND_RA_LEN + base, opts, len);
    struct ip_addr as = ipv6_addr_tag(env6_router), ad = ipv6_addr_tag(env6_all_nodes);
    n = nd_emit_ra(buf, &ra, base + len, &as, &ad);
    env6_nd_input(e, env6_router, env6_all_nodes, buf, n);
}

static size_t rdnss(uint8_t *o, uint32_t lifetime, const uint8_t (*addrs)[16], size_t n)
{
    o[0] = ND_OPT_RDNSS;
    o[1] = (uint8_t)(1 + 2 * n);
    o[2] = o[3] = 0;
    wr32(o + 4, lifetime);
    for (size_t i = 0; i < n; i++)
        memcpy(o + 8 + 16 * i, addrs[i], 16);
    return 8 + 16 * n;
}

/* "example.org", "lab.test" in wire form, padded to 8. */
static size_t dnssl(uint8_t *o, uint32_t lifetime)
{
    static const uint8_t names[] = {7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'o', 'r', 'g', 0,
                                    3, 'l', 'a', 'b', 4, 't', 'e', 's', 't', 0};
    size_t len = 8 + sizeof names;
    len = (len + 7) / 8 * 8;
    memset(o, 0, len);
    o[0] = ND_OPT_DNSSL;
    o[1] = (uint8_t)(len / 8);
    wr32(o + 4, lifetime);
    memcpy(o + 8, names, sizeof names);
    return len;
}

static size_t list(struct stack_env *e, struct dns6_info *out)
{
    return stack_dns6_list(e->s, out, 16, e->now);
}

static void test_servers_and_domains(void **state)
{
    (void)state;
    struct stack_env *e = env6_ready(NULL);
    uint8_t o[256];
    const uint8_t two[2][16] = {{0}, {0}};
    uint8_t (*addrs)[16] = (uint8_t (*)[16])two;
    memcpy(addrs[0], dns1, 16);
    memcpy(addrs[1], dns2, 16);
    size_t n = rdnss(o, 300, (const uint8_t (*)[16])addrs, 2);
    n += dnssl(o + n, 600);
    ra_with(e, o, n);
    struct dns6_info d[16];
    assert_int_equal(list(e, d), 4);
    assert_false(d[0].search);
    assert_memory_equal(d[0].server.u.v6, dns1, 16);
    assert_int_equal(d[0].lifetime_s, 300);
    assert_int_equal(d[0].ifindex, e->ifindex);
    assert_true(d[2].search);
    assert_string_equal(d[2].domain, "example.org");
    assert_string_equal(d[3].domain, "lab.test");
    /* Refreshed by the next RA; one removed by a zero lifetime. */
    env_advance(e, 100 * NS_PER_SEC);
    n = rdnss(o, 300, (const uint8_t (*)[16])addrs, 1);
    ra_with(e, o, n);
    assert_int_equal(list(e, d), 4);
    assert_int_equal(d[0].lifetime_s, 300);
    n = rdnss(o, 0, (const uint8_t (*)[16])addrs + 1, 1);
    ra_with(e, o, n);
    assert_int_equal(list(e, d), 3);
    /* Expired: gone from the list. */
    env_advance(e, 601 * NS_PER_SEC);
    assert_int_equal(list(e, d), 0);
    env_free(e);
}

static void test_malformed_ignored(void **state)
{
    (void)state;
    struct stack_env *e = env6_ready(NULL);
    uint8_t o[256];
    size_t n;
    /* RDNSS of length 2 (no whole address). */
    memset(o, 0, 16);
    o[0] = ND_OPT_RDNSS, o[1] = 2;
    ra_with(e, o, 16);
    /* A multicast and a loopback server. */
    const uint8_t bad[2][16] = {{0xff, 0x02, [15] = 1}, {[15] = 1}};
    n = rdnss(o, 300, bad, 2);
    ra_with(e, o, n);
    /* DNSSL: a label past the option, a pointer, a bad character, junk
     * in the padding, a name without its end. */
    static const uint8_t names[][16] = {
        {40, 'a', 'b'},
        {0xc0, 0x0c},
        {3, 'a', ' ', 'b', 0},
        {1, 'a', 0, 0, 7},
        {15, 'a', 'a', 'a', 'a', 'a', 'a', 'a', 'a', 'a', 'a', 'a', 'a', 'a', 'a', 'a'},
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        memset(o, 0, 24);
        o[0] = ND_OPT_DNSSL, o[1] = 3;
        wr32(o + 4, 300);
        memcpy(o + 8, names[i], 16);
        ra_with(e, o, 24);
    }
    assert_int_equal(env_ctr(e, CTR_ND_RX_DNS_IGNORED), 1 + 2 + 5);
    struct dns6_info d[16];
    assert_int_equal(list(e, d), 0);
    env_free(e);
}

/* RFC 8106 5.3.1: a full table gives up the entry that expires first. */
static void test_bounded(void **state)
{
    (void)state;
    struct stack_env *e = env6_ready(NULL);
    uint8_t o[256];
    for (int i = 0; i < 6; i++) {
        uint8_t a[1][16] = {{0xfd, 0x77, [15] = (uint8_t)(0x60 + i)}};
        size_t n = rdnss(o, (uint32_t)(1000 - i), (const uint8_t (*)[16])a, 1);
        ra_with(e, o, n);
    }
    struct dns6_info d[16];
    assert_int_equal(list(e, d), 4);
    env_free(e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_servers_and_domains),
        cmocka_unit_test(test_malformed_ignored),
        cmocka_unit_test(test_bounded),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
