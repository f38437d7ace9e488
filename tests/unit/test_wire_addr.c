/* test_wire_addr.c - addresses: compare, parse, format; wire_strerror. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <cmocka.h>

#include "stack/wire/addr.h"
#include "stack/wire/wire.h"

static struct ip_addr v6_from(const uint8_t b[16])
{
    struct ip_addr a;
    memset(&a, 0, sizeof a);
    a.family = IP_FAMILY_V6;
    memcpy(a.u.v6, b, 16);
    return a;
}

static struct ip_addr v6_parse(const char *s)
{
    uint8_t b[16];
    assert_int_equal(inet_pton(AF_INET6, s, b), 1);
    return v6_from(b);
}

/* ---- ip4_parse ---- */

static void test_ip4_parse_good(void **state)
{
    (void)state;
    static const struct {
        const char *s;
        uint32_t v;
    } cases[] = {
        {"10.77.0.1", 0x0a4d0001},       {"0.0.0.0", 0},
        {"255.255.255.255", 0xffffffff}, {"1.2.3.4", 0x01020304},
        {"192.168.100.200", 0xc0a864c8}, {"127.0.0.1", 0x7f000001},
        {"10.0.0.0", 0x0a000000},        {"0.0.0.9", 9},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint32_t v = 0xdeadbeef;
        assert_int_equal(ip4_parse(cases[i].s, &v), 0);
        assert_int_equal(v, cases[i].v);
    }
}

static void test_ip4_parse_bad(void **state)
{
    (void)state;
    static const char *bad[] = {
        "",                 "1",                "1.2.3",           "1.2.3.4.5",
        "256.1.1.1",        "1.2.3.256",        "1.2.3.999",       "1.2.3.1000",
        "1..2.3",           ".1.2.3",           "1.2.3.",          "...",
        "01.2.3.4",         "1.2.3.04",         "1.2.3.00",        "010.0.0.1",
        "0x1.2.3.4",        "1.2.3.0x4",        "+1.2.3.4",        "-1.2.3.4",
        "1.2.3.-4",         " 1.2.3.4",         "1.2.3.4 ",        "1.2.3.4\n",
        "1.2.3.4x",         "a.b.c.d",          "1,2,3,4",         "1.2.3.4/24",
        "4294967295",       "167772161",        "1.2.3.4.",        "1.2 .3.4",
        "00000000001.2.3.4", "1.2.3.4294967297", "::1",            "1.2.3.4:80",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        uint32_t v = 0xdeadbeef;
        if (ip4_parse(bad[i], &v) != -1)
            fail_msg("ip4_parse accepted \"%s\"", bad[i]);
        assert_int_equal(v, 0xdeadbeef); /* untouched on failure */
    }
    uint32_t v;
    assert_int_equal(ip4_parse(NULL, &v), -1);
}

static void test_ip4_parse_no_overread(void **state)
{
    (void)state;
    /* Every prefix of a valid address, each in an exact-size heap block:
     * the parser must stop at the NUL, and agree with inet_pton on which
     * prefixes are addresses ("192.168.100.20" is one). */
    const char *full = "192.168.100.200";
    for (size_t n = 0; n <= strlen(full); n++) {
        char *s = malloc(n + 1);
        assert_non_null(s);
        memcpy(s, full, n);
        s[n] = '\0';
        uint32_t v;
        struct in_addr in;
        int rc = ip4_parse(s, &v);
        int want = inet_pton(AF_INET, s, &in) == 1 ? 0 : -1;
        free(s);
        assert_int_equal(rc, want);
        if (n == strlen(full))
            assert_int_equal(rc, 0);
    }
}

static void test_ip4_parse_matches_inet_pton(void **state)
{
    (void)state;
    /* Every octet value in every position agrees with inet_pton. */
    for (unsigned pos = 0; pos < 4; pos++) {
        for (unsigned o = 0; o < 300; o++) {
            unsigned parts[4] = {10, 77, 0, 1};
            parts[pos] = o;
            char s[32];
            snprintf(s, sizeof s, "%u.%u.%u.%u", parts[0], parts[1], parts[2], parts[3]);
            struct in_addr in;
            int want = inet_pton(AF_INET, s, &in) == 1 ? 0 : -1;
            uint32_t v = 0;
            assert_int_equal(ip4_parse(s, &v), want);
            if (want == 0)
                assert_int_equal(v, ntohl(in.s_addr));
        }
    }
}

/* ---- ip4_format / ip_addr_format ---- */

static void test_ip4_format(void **state)
{
    (void)state;
    char buf[16];
    assert_ptr_equal(ip4_format(0x0a4d0001, buf, sizeof buf), buf);
    assert_string_equal(buf, "10.77.0.1");
    assert_string_equal(ip4_format(0, buf, sizeof buf), "0.0.0.0");
    assert_string_equal(ip4_format(0xffffffff, buf, sizeof buf), "255.255.255.255");
    assert_string_equal(ip4_format(0x01020304, buf, sizeof buf), "1.2.3.4");
}

static void test_ip4_format_parse_round_trip(void **state)
{
    (void)state;
    uint64_t x = 12345;
    for (int i = 0; i < 10000; i++) {
        x = x * 6364136223846793005ull + 1442695040888963407ull;
        uint32_t a = (uint32_t)(x >> 32);
        char buf[16];
        uint32_t back = ~a;
        assert_int_equal(ip4_parse(ip4_format(a, buf, sizeof buf), &back), 0);
        assert_int_equal(back, a);
    }
}

static void test_format_truncates_safely(void **state)
{
    (void)state;
    char buf[8];
    memset(buf, 'x', sizeof buf);
    ip4_format(0xffffffff, buf, sizeof buf);
    assert_int_equal(strlen(buf), 7); /* truncated, NUL-terminated */
    assert_memory_equal(buf, "255.255", 7);

    struct ip_addr a = v6_parse("2001:db8:1234:5678:9abc:def0:1234:5678");
    memset(buf, 'x', sizeof buf);
    ip_addr_format(&a, buf, sizeof buf);
    assert_string_equal(buf, "2001:db");

    /* len 0: nothing is written. */
    buf[0] = 'q';
    ip4_format(1, buf, 0);
    ip_addr_format(&a, buf, 0);
    struct eth_addr e = {{1, 2, 3, 4, 5, 6}};
    eth_addr_format(&e, buf, 0);
    assert_int_equal(buf[0], 'q');

    char one[1] = {'z'};
    ip4_format(1, one, 1);
    assert_int_equal(one[0], '\0');
}

static void test_ip_addr_format_v4(void **state)
{
    (void)state;
    char buf[IP_ADDR_STRLEN];
    struct ip_addr a = ip_addr_v4(0x0a4d0002);
    assert_ptr_equal(ip_addr_format(&a, buf, sizeof buf), buf);
    assert_string_equal(buf, "10.77.0.2");
}

static void test_ip_addr_format_v6_rfc5952(void **state)
{
    (void)state;
    static const struct {
        const char *in, *want;
    } cases[] = {
        {"::", "::"},
        {"::1", "::1"},
        {"1::", "1::"},
        {"fd77::1", "fd77::1"},
        {"fe80::77:ff:fe00:2", "fe80::77:ff:fe00:2"},
        {"ff02::16", "ff02::16"},
        /* 4.1: leading zeros suppressed. */
        {"2001:0db8:0000:0000:0000:0000:0000:000a", "2001:db8::a"},
        /* 4.2.1: "::" covers the whole run. */
        {"2001:db8:0:0:0:0:2:1", "2001:db8::2:1"},
        /* 4.2.2: one zero group is not compressed. */
        {"2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"},
        /* 4.2.3: the longest run; the first one on a tie. */
        {"2001:0:0:1:0:0:0:1", "2001:0:0:1::1"},
        {"2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"},
        {"0:0:1:0:0:1:0:0", "::1:0:0:1:0:0"},
        /* 4.3: lowercase. */
        {"2001:DB8::ABCD:EF01", "2001:db8::abcd:ef01"},
        {"1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8"},
        {"ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"},
        {"0:1:2:3:4:5:6:7", "0:1:2:3:4:5:6:7"},
        {"1:0:0:0:0:0:0:0", "1::"},
        {"1:2:3:4:5:6:7:0", "1:2:3:4:5:6:7:0"},
        {"1:2:3:4:5:6:0:0", "1:2:3:4:5:6::"},
        {"0:0:3:4:5:6:7:8", "::3:4:5:6:7:8"},
        /* 5: IPv4-mapped addresses end in dotted decimal. */
        {"::ffff:10.77.0.1", "::ffff:10.77.0.1"},
        {"::ffff:0.0.0.0", "::ffff:0.0.0.0"},
        {"::ffff:255.255.255.255", "::ffff:255.255.255.255"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct ip_addr a = v6_parse(cases[i].in);
        char buf[IP_ADDR_STRLEN];
        memset(buf, 'x', sizeof buf);
        ip_addr_format(&a, buf, sizeof buf);
        if (strcmp(buf, cases[i].want) != 0)
            fail_msg("%s formatted as \"%s\", want \"%s\"", cases[i].in, buf, cases[i].want);
    }
}

static void test_ip_addr_format_v6_matches_inet_ntop(void **state)
{
    (void)state;
    /* Random addresses with many zero groups (so every compression case
     * comes up), checked against glibc, which also follows RFC 5952.
     * glibc still prints the deprecated "::a.b.c.d" form for addresses
     * whose first 96 bits are zero; those are skipped. */
    uint64_t x = 777;
    for (int i = 0; i < 20000; i++) {
        uint8_t b[16];
        for (int g = 0; g < 8; g++) {
            x = x * 6364136223846793005ull + 1442695040888963407ull;
            unsigned r = (unsigned)(x >> 40);
            uint16_t w = (r & 3) != 0 ? 0 : (uint16_t)(r >> 8);
            if ((r & 0xf0) == 0x10)
                w = (uint16_t)(r >> 28 & 0xf); /* short groups: no leading zeros */
            b[2 * g] = (uint8_t)(w >> 8);
            b[2 * g + 1] = (uint8_t)w;
        }
        static const uint8_t zero96[12] = {0};
        if (memcmp(b, zero96, 12) == 0)
            continue;
        struct ip_addr a = v6_from(b);
        char mine[IP_ADDR_STRLEN], want[INET6_ADDRSTRLEN];
        ip_addr_format(&a, mine, sizeof mine);
        assert_non_null(inet_ntop(AF_INET6, b, want, sizeof want));
        if (strcmp(mine, want) != 0)
            fail_msg("formatted \"%s\", inet_ntop \"%s\"", mine, want);
        /* And it parses back to the same address. */
        uint8_t back[16];
        assert_int_equal(inet_pton(AF_INET6, mine, back), 1);
        assert_memory_equal(back, b, 16);
    }
}

static void test_ip_addr_format_longest_fits(void **state)
{
    (void)state;
    char buf[IP_ADDR_STRLEN];
    struct ip_addr a = v6_parse("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
    ip_addr_format(&a, buf, sizeof buf);
    assert_int_equal(strlen(buf), 39);
}

static void test_ip_addr_format_none(void **state)
{
    (void)state;
    struct ip_addr a;
    memset(&a, 0, sizeof a);
    char buf[IP_ADDR_STRLEN];
    memset(buf, 'x', sizeof buf);
    ip_addr_format(&a, buf, sizeof buf);
    assert_true(strlen(buf) > 0 && strlen(buf) < sizeof buf);
    a.family = 99; /* garbage family: still a terminated string */
    ip_addr_format(&a, buf, sizeof buf);
    assert_true(strlen(buf) < sizeof buf);
}

/* ---- ip_addr_eq / ip_addr_is_any ---- */

static void test_ip_addr_eq(void **state)
{
    (void)state;
    struct ip_addr a = ip_addr_v4(0x0a4d0001), b = ip_addr_v4(0x0a4d0001);
    struct ip_addr c = ip_addr_v4(0x0a4d0002);
    assert_true(ip_addr_eq(&a, &b));
    assert_false(ip_addr_eq(&a, &c));

    struct ip_addr x = v6_parse("fd77::1"), y = v6_parse("fd77::1"), z = v6_parse("fd77::2");
    assert_true(ip_addr_eq(&x, &y));
    assert_false(ip_addr_eq(&x, &z));
    /* Differs only in the last byte, and only in the first. */
    struct ip_addr w = v6_parse("fc77::1");
    assert_false(ip_addr_eq(&x, &w));

    /* Families never compare equal, even with the same leading bytes. */
    struct ip_addr v4zero = ip_addr_v4(0), v6zero = v6_parse("::");
    assert_false(ip_addr_eq(&v4zero, &v6zero));
    assert_false(ip_addr_eq(&v6zero, &v4zero));
    struct ip_addr mapped = v6_parse("::ffff:10.77.0.1");
    assert_false(ip_addr_eq(&a, &mapped));

    struct ip_addr n1, n2;
    memset(&n1, 0, sizeof n1);
    memset(&n2, 0, sizeof n2);
    assert_true(ip_addr_eq(&n1, &n2));
    assert_false(ip_addr_eq(&n1, &v4zero));
}

static void test_ip_addr_is_any(void **state)
{
    (void)state;
    struct ip_addr a = ip_addr_v4(0);
    assert_true(ip_addr_is_any(&a));
    a = ip_addr_v4(1);
    assert_false(ip_addr_is_any(&a));
    a = ip_addr_v4(0x80000000);
    assert_false(ip_addr_is_any(&a));
    a = v6_parse("::");
    assert_true(ip_addr_is_any(&a));
    a = v6_parse("::1");
    assert_false(ip_addr_is_any(&a));
    a = v6_parse("8000::");
    assert_false(ip_addr_is_any(&a));
    struct ip_addr none;
    memset(&none, 0, sizeof none);
    assert_true(ip_addr_is_any(&none));
}

static void test_ip_addr_v4_ctor(void **state)
{
    (void)state;
    struct ip_addr a = ip_addr_v4(0x0a4d0001);
    assert_int_equal(a.family, IP_FAMILY_V4);
    assert_int_equal(a.u.v4, 0x0a4d0001);
}

static void test_ip4_mask(void **state)
{
    (void)state;
    assert_int_equal(ip4_mask(0), 0);
    assert_int_equal(ip4_mask(1), 0x80000000);
    assert_int_equal(ip4_mask(8), 0xff000000);
    assert_int_equal(ip4_mask(16), 0xffff0000);
    assert_int_equal(ip4_mask(24), 0xffffff00);
    assert_int_equal(ip4_mask(31), 0xfffffffe);
    assert_int_equal(ip4_mask(32), 0xffffffff);
}

/* ---- Ethernet addresses ---- */

static void test_eth_addr_parse_good(void **state)
{
    (void)state;
    struct eth_addr e;
    assert_int_equal(eth_addr_parse("02:77:00:00:00:01", &e), 0);
    static const uint8_t want1[6] = {0x02, 0x77, 0x00, 0x00, 0x00, 0x01};
    assert_memory_equal(e.b, want1, 6);
    assert_int_equal(eth_addr_parse("AA:bb:Cc:dD:eE:FF", &e), 0);
    static const uint8_t want2[6] = {0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff};
    assert_memory_equal(e.b, want2, 6);
    assert_int_equal(eth_addr_parse("ff:ff:ff:ff:ff:ff", &e), 0);
    assert_true(eth_addr_is_broadcast(&e));
    assert_int_equal(eth_addr_parse("00:00:00:00:00:00", &e), 0);
    assert_false(eth_addr_is_broadcast(&e));
    assert_int_equal(eth_addr_parse("09:8a:7B:6c:5D:4e", &e), 0);
    static const uint8_t want3[6] = {0x09, 0x8a, 0x7b, 0x6c, 0x5d, 0x4e};
    assert_memory_equal(e.b, want3, 6);
}

static void test_eth_addr_parse_bad(void **state)
{
    (void)state;
    static const char *bad[] = {
        "",
        "02:77:00:00:00",
        "02:77:00:00:00:",
        "02:77:00:00:00:0",
        "02:77:00:00:00:01:",
        "02:77:00:00:00:01:02",
        "02:77:00:00:00:011",
        "02-77-00-00-00-01",
        "02:77-00:00:00:01",
        "2:77:0:0:0:1",
        "002:77:00:00:00:01",
        "02:77:00:00:00:0g",
        "g2:77:00:00:00:01",
        "02:77::00:00:00:01",
        " 02:77:00:00:00:01",
        "02:77:00:00:00:01 ",
        "02:77:00:00:00:01\n",
        "0277.0000.0001",
        "027700000001",
        "02:77:00:00:00:+1",
        "0x:77:00:00:00:01",
        ":::::",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct eth_addr e = {{9, 9, 9, 9, 9, 9}};
        if (eth_addr_parse(bad[i], &e) != -1)
            fail_msg("eth_addr_parse accepted \"%s\"", bad[i]);
        static const uint8_t nines[6] = {9, 9, 9, 9, 9, 9};
        assert_memory_equal(e.b, nines, 6); /* untouched on failure */
    }
    struct eth_addr e;
    assert_int_equal(eth_addr_parse(NULL, &e), -1);
}

static void test_eth_addr_parse_no_overread(void **state)
{
    (void)state;
    const char *full = "02:77:00:00:00:01";
    for (size_t n = 0; n <= strlen(full); n++) {
        char *s = malloc(n + 1);
        assert_non_null(s);
        memcpy(s, full, n);
        s[n] = '\0';
        struct eth_addr e;
        int rc = eth_addr_parse(s, &e);
        free(s);
        assert_int_equal(rc, n == strlen(full) ? 0 : -1);
    }
}

static void test_eth_addr_format(void **state)
{
    (void)state;
    char buf[ETH_ADDR_STRLEN];
    struct eth_addr e = {{0xAA, 0x0b, 0x00, 0xff, 0x10, 0x01}};
    assert_ptr_equal(eth_addr_format(&e, buf, sizeof buf), buf);
    assert_string_equal(buf, "aa:0b:00:ff:10:01");
    struct eth_addr back;
    assert_int_equal(eth_addr_parse(buf, &back), 0);
    assert_true(eth_addr_eq(&e, &back));
    char small[6];
    eth_addr_format(&e, small, sizeof small);
    assert_string_equal(small, "aa:0b");
}

static void test_eth_addr_helpers(void **state)
{
    (void)state;
    struct eth_addr b = {{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}};
    struct eth_addr m6 = {{0x33, 0x33, 0x00, 0x00, 0x00, 0x16}};
    struct eth_addr m4 = {{0x01, 0x00, 0x5e, 0x00, 0x00, 0x01}};
    struct eth_addr u = {{0x02, 0x77, 0x00, 0x00, 0x00, 0x01}};
    struct eth_addr almost = {{0xff, 0xff, 0xff, 0xff, 0xff, 0xfe}};
    assert_true(eth_addr_is_broadcast(&b));
    assert_true(eth_addr_is_multicast(&b));
    assert_true(eth_addr_is_multicast(&m6));
    assert_true(eth_addr_is_multicast(&m4));
    assert_false(eth_addr_is_multicast(&u)); /* 02: locally administered unicast */
    assert_false(eth_addr_is_broadcast(&almost));
    assert_true(eth_addr_eq(&u, &u));
    assert_false(eth_addr_eq(&u, &m6));
}

/* ---- wire_strerror ---- */

static void test_wire_strerror(void **state)
{
    (void)state;
    static const int codes[] = {WIRE_OK,       WIRE_ETRUNC, WIRE_EBADLEN, WIRE_ECSUM,
                                WIRE_EVERSION, WIRE_EBADHDR, WIRE_EUNSUPP};
    const size_t n = sizeof codes / sizeof codes[0];
    for (size_t i = 0; i < n; i++) {
        const char *s = wire_strerror(codes[i]);
        assert_non_null(s);
        assert_true(strlen(s) > 0);
        for (size_t j = 0; j < i; j++) /* each reason says something different */
            assert_string_not_equal(s, wire_strerror(codes[j]));
    }
    assert_non_null(wire_strerror(-100));
    assert_non_null(wire_strerror(42));
    assert_string_equal(wire_strerror(-100), wire_strerror(42));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ip4_parse_good),
        cmocka_unit_test(test_ip4_parse_bad),
        cmocka_unit_test(test_ip4_parse_no_overread),
        cmocka_unit_test(test_ip4_parse_matches_inet_pton),
        cmocka_unit_test(test_ip4_format),
        cmocka_unit_test(test_ip4_format_parse_round_trip),
        cmocka_unit_test(test_format_truncates_safely),
        cmocka_unit_test(test_ip_addr_format_v4),
        cmocka_unit_test(test_ip_addr_format_v6_rfc5952),
        cmocka_unit_test(test_ip_addr_format_v6_matches_inet_ntop),
        cmocka_unit_test(test_ip_addr_format_longest_fits),
        cmocka_unit_test(test_ip_addr_format_none),
        cmocka_unit_test(test_ip_addr_eq),
        cmocka_unit_test(test_ip_addr_is_any),
        cmocka_unit_test(test_ip_addr_v4_ctor),
        cmocka_unit_test(test_ip4_mask),
        cmocka_unit_test(test_eth_addr_parse_good),
        cmocka_unit_test(test_eth_addr_parse_bad),
        cmocka_unit_test(test_eth_addr_parse_no_overread),
        cmocka_unit_test(test_eth_addr_format),
        cmocka_unit_test(test_eth_addr_helpers),
        cmocka_unit_test(test_wire_strerror),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
