/* test_wire_ipv6_addr.c - IPv6 address helpers: classes (RFC 4291),
 * solicited-node groups and their MAC (RFC 4291 2.7.1, RFC 2464 7), text
 * form (RFC 4291 2.2, RFC 5952). */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <cmocka.h>

#include "stack/wire/addr.h"
#include "stack/wire/ipv6.h"
#include "tests/unit/support/bytes.h"

static const uint8_t fd77_1[16] = {0xfd, 0x77, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
static const uint8_t fd77_2[16] = {0xfd, 0x77, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2};
static const uint8_t all_nodes[16] = {0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};

static void test_addr_classes(void **state)
{
    (void)state;
    static const struct {
        const char *s;
        bool mc, ll, lo, un, mapped, sn;
    } cases[] = {
        {"::", false, false, false, true, false, false},
        {"::1", false, false, true, false, false, false},
        {"::2", false, false, false, false, false, false},
        {"fe80::1", false, true, false, false, false, false},
        {"febf:ffff::1", false, true, false, false, false, false},
        {"fec0::1", false, false, false, false, false, false},
        {"fe7f::1", false, false, false, false, false, false},
        {"ff02::1", true, false, false, false, false, false},
        {"ff02::1:ff00:2", true, false, false, false, false, true},
        {"ff05::1:ff00:2", true, false, false, false, false, false},
        {"::ffff:10.77.0.1", false, false, false, false, true, false},
        {"::fffe:10.77.0.1", false, false, false, false, false, false},
        {"fd77::1", false, false, false, false, false, false},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint8_t a[16];
        assert_int_equal(inet_pton(AF_INET6, cases[i].s, a), 1);
        assert_int_equal(ipv6_addr_is_multicast(a), cases[i].mc);
        assert_int_equal(ipv6_addr_is_link_local(a), cases[i].ll);
        assert_int_equal(ipv6_addr_is_loopback(a), cases[i].lo);
        assert_int_equal(ipv6_addr_is_unspecified(a), cases[i].un);
        assert_int_equal(ipv6_addr_is_v4_mapped(a), cases[i].mapped);
        assert_int_equal(ipv6_addr_is_solicited_node(a), cases[i].sn);
    }
    uint8_t a[16];
    assert_int_equal(inet_pton(AF_INET6, "ff05::2", a), 1);
    assert_int_equal(ipv6_addr_mcast_scope(a), 5);
    assert_int_equal(ipv6_addr_mcast_scope(fd77_1), 0);
}

static void test_solicited_node_and_mac(void **state)
{
    (void)state;
    /* The real NS for fd77::2 went to ff02::1:ff00:2 at 33:33:ff:00:00:02. */
    uint8_t sn[16], want[16];
    ipv6_solicited_node(fd77_2, sn);
    assert_int_equal(inet_pton(AF_INET6, "ff02::1:ff00:2", want), 1);
    assert_memory_equal(sn, want, 16);
    struct eth_addr mac;
    ipv6_multicast_mac(sn, &mac);
    static const uint8_t mac_want[6] = {0x33, 0x33, 0xff, 0x00, 0x00, 0x02};
    assert_memory_equal(mac.b, mac_want, 6);
    /* Low 24 bits only; works in place. */
    assert_int_equal(inet_pton(AF_INET6, "2001:db8::aabb:ccdd:eeff", sn), 1);
    ipv6_solicited_node(sn, sn);
    assert_int_equal(inet_pton(AF_INET6, "ff02::1:ffdd:eeff", want), 1);
    assert_memory_equal(sn, want, 16);
    ipv6_multicast_mac(all_nodes, &mac);
    static const uint8_t all_mac[6] = {0x33, 0x33, 0, 0, 0, 1};
    assert_memory_equal(mac.b, all_mac, 6);
}

static void test_ip6_parse_matches_inet_pton(void **state)
{
    (void)state;
    static const char *const inputs[] = {
        "::", "::1", "1::", "fd77::1", "FD77::A:b", "1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7::",
        "::2:3:4:5:6:7:8", "1::8", "0:0:0:0:0:0:0:0", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
        "::ffff:10.77.0.1", "::10.77.0.1", "1:2:3:4:5:6:1.2.3.4", "fe80::77:ff:fe00:2",
        "0001:02:003:4::", "1:2:3:4:5:6:7:8:9", "1:2:3:4:5:6:7", ":1::", "1::2::3", ":::",
        "1:::2", "12345::", "g::", "1:", ":1", "", " ::1", "::1 ", "::1%eth0", "fd77::/64",
        "1:2:3:4:5:6:7:1.2.3.4", "::1.2.3", "::1.2.3.256", "::01.2.3.4", "1.2.3.4::",
        "::ffff:1.2.3.4:1", "1::2:3:4:5:6:7", "1::2:3:4:5:6:7:8", "::0:1", "1:2:3:4::5:6:7",
        "-1::", "+1::", "0x1::", "::ffff:", "a:b:c:d:e:f:a:b:", "::1.2.3.4.5",
    };
    for (size_t i = 0; i < sizeof inputs / sizeof inputs[0]; i++) {
        uint8_t want[16], got[16];
        int ok = inet_pton(AF_INET6, inputs[i], want) == 1;
        memset(got, 0x5a, 16);
        int rc = ip6_parse(inputs[i], got);
        if (ok != (rc == 0))
            fail_msg("\"%s\": inet_pton %d, ip6_parse %d", inputs[i], ok, rc);
        if (ok)
            assert_memory_equal(got, want, 16);
    }
    uint8_t x[16];
    assert_int_equal(ip6_parse(NULL, x), -1);
}

static void test_ip6_format_round_trip(void **state)
{
    (void)state;
    char buf[IP_ADDR_STRLEN];
    assert_string_equal(ip6_addr_format(fd77_2, buf, sizeof buf), "fd77::2");
    uint8_t a[16], b[16];
    assert_int_equal(ip6_parse("2001:DB8:0:0:1:0:0:1", a), 0);
    assert_string_equal(ip6_addr_format(a, buf, sizeof buf), "2001:db8::1:0:0:1");
    /* Random-ish addresses with zero runs survive format + parse. */
    uint32_t x = 12345;
    for (int n = 0; n < 500; n++) {
        for (int i = 0; i < 16; i += 2) {
            x = x * 1103515245u + 12345u;
            bool zero = (x >> 16) % 3 == 0;
            a[i] = zero ? 0 : (uint8_t)(x >> 8);
            a[i + 1] = zero ? 0 : (uint8_t)(x >> 24);
        }
        char ref[INET6_ADDRSTRLEN];
        ip6_addr_format(a, buf, sizeof buf);
        assert_non_null(inet_ntop(AF_INET6, a, ref, sizeof ref));
        assert_string_equal(buf, ref);
        assert_int_equal(ip6_parse(buf, b), 0);
        assert_memory_equal(a, b, 16);
    }
    /* Short buffers are cut, not overrun. */
    char tiny[5];
    ip6_addr_format(fd77_2, tiny, sizeof tiny);
    assert_string_equal(tiny, "fd77");
}

static void test_addr_tag(void **state)
{
    (void)state;
    struct ip_addr a = ipv6_addr_tag(fd77_1);
    struct ip_addr b = ip_addr_fd77(1);
    assert_true(ip_addr_eq(&a, &b));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_addr_classes),
        cmocka_unit_test(test_solicited_node_and_mac),
        cmocka_unit_test(test_ip6_parse_matches_inet_pton),
        cmocka_unit_test(test_ip6_format_round_trip),
        cmocka_unit_test(test_addr_tag),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
