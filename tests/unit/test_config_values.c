/* test_config_values.c - the JSON configuration loader (daemon/config.c)
 * on each value: number ranges, IPv4 prefixes, addresses, gateways and MACs,
 * interfaces and neighbours, the host side, TCP services and tunables,
 * service ports and the log level. Every bad value fails with
 * "KEYPATH: PROBLEM" naming the right key, and leaves *cfg exactly as it
 * was. Syntax, keys and files are in test_config.c. */

#include <errno.h>
#include <glob.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "daemon/config.h"
#include "tests/unit/support/config_check.h"

/* ---- numbers ---- */

static void test_out_of_range_numbers(void **state)
{
    (void)state;
    EXPECT_ERROR(cf_doc("'mtu': 67", ""), "interfaces[0].mtu", "67 is out of range (expected 68..9000)");
    EXPECT_ERROR(cf_doc("'mtu': 70000", ""), "interfaces[0].mtu",
                 "70000 is out of range (expected 68..9000)");
    EXPECT_ERROR(cf_doc("'mtu': -1500", ""), "interfaces[0].mtu", "-1500 is out of range");
    /* Beyond every integer type: rejected before any cast. */
    EXPECT_ERROR(cf_doc("'mtu': 4294968796", ""), "interfaces[0].mtu",
                 "4294968796 is out of range");
    EXPECT_ERROR(cf_doc("'mtu': 1e300", ""), "interfaces[0].mtu", "is out of range");
    EXPECT_ERROR(cf_doc("'mtu': 1e999", ""), "interfaces[0].mtu",
                 "the number is too large in magnitude (expected 68..9000)");
    EXPECT_ERROR(cf_doc("'mtu': -1e999", ""), "interfaces[0].mtu", "too large in magnitude");
    EXPECT_ERROR(cf_doc("", "'services': {'udp_echo': {'port': 0}}"), "services.udp_echo.port",
                 "0 is out of range (expected 1..65535)");
    EXPECT_ERROR(cf_doc("", "'services': {'udp_discard': {'port': 65536}}"),
                 "services.udp_discard.port", "65536 is out of range (expected 1..65535)");
    EXPECT_ERROR(cf_doc("", "'stack': {'arp': {'cache_size': 0}}"), "stack.arp.cache_size",
                 "(expected 1..65536)");
    EXPECT_ERROR(cf_doc("", "'stack': {'arp': {'cache_size': 65537}}"), "stack.arp.cache_size",
                 "(expected 1..65536)");
    EXPECT_ERROR(cf_doc("", "'stack': {'arp': {'reachable_ms': 999}}"), "stack.arp.reachable_ms",
                 "(expected 1000..3600000)");
    EXPECT_ERROR(cf_doc("", "'stack': {'arp': {'reachable_ms': 3600001}}"), "stack.arp.reachable_ms",
                 "(expected 1000..3600000)");
    EXPECT_ERROR(cf_doc("", "'stack': {'arp': {'retry_ms': 99}}"), "stack.arp.retry_ms",
                 "(expected 100..60000)");
    EXPECT_ERROR(cf_doc("", "'stack': {'arp': {'retry_ms': 60001}}"), "stack.arp.retry_ms",
                 "(expected 100..60000)");
    EXPECT_ERROR(cf_doc("", "'stack': {'arp': {'max_retries': 0}}"), "stack.arp.max_retries",
                 "(expected 1..20)");
    EXPECT_ERROR(cf_doc("", "'stack': {'arp': {'max_retries': 21}}"), "stack.arp.max_retries",
                 "(expected 1..20)");
    EXPECT_ERROR(cf_doc("", "'stack': {'arp': {'pending_max': -1}}"), "stack.arp.pending_max",
                 "(expected 0..65536)");
    EXPECT_ERROR(cf_doc("", "'stack': {'arp': {'pending_max': 65537}}"), "stack.arp.pending_max",
                 "(expected 0..65536)");
    EXPECT_ERROR(cf_doc("", "'stack': {'arp': {'pending_per_entry': 0}}"),
                 "stack.arp.pending_per_entry", "(expected 1..65536)");
    EXPECT_ERROR(cf_doc("", "'stack': {'arp': {'pending_per_entry': 65537}}"),
                 "stack.arp.pending_per_entry", "(expected 1..65536)");
    EXPECT_ERROR(cf_doc("", "'stack': {'ip': {'default_ttl': 0}}"), "stack.ip.default_ttl",
                 "(expected 1..255)");
    EXPECT_ERROR(cf_doc("", "'stack': {'ip': {'default_ttl': 256}}"), "stack.ip.default_ttl",
                 "(expected 1..255)");
    EXPECT_ERROR(cf_doc("", "'stack': {'icmp': {'rate_limit_per_sec': -1}}"),
                 "stack.icmp.rate_limit_per_sec", "(expected 0..1000000)");
    EXPECT_ERROR(cf_doc("", "'stack': {'icmp': {'rate_limit_per_sec': 1000001}}"),
                 "stack.icmp.rate_limit_per_sec", "(expected 0..1000000)");
    EXPECT_ERROR(cf_doc("", "'stack': {'icmp': {'burst': 0}}"), "stack.icmp.burst",
                 "(expected 1..1000000)");
    EXPECT_ERROR(cf_doc("", "'stack': {'icmp': {'burst': 1000001}}"), "stack.icmp.burst",
                 "(expected 1..1000000)");
    EXPECT_ERROR(cf_doc("", "'stack': {'udp': {'rcvbuf_bytes': 1023}}"), "stack.udp.rcvbuf_bytes",
                 "(expected 1024..67108864)");
    EXPECT_ERROR(cf_doc("", "'stack': {'udp': {'rcvbuf_bytes': 67108865}}"),
                 "stack.udp.rcvbuf_bytes", "(expected 1024..67108864)");
}

static void test_non_integer_numbers(void **state)
{
    (void)state;
    EXPECT_ERROR(cf_doc("'mtu': 1500.5", ""), "interfaces[0].mtu", "1500.5 is not an integer");
    EXPECT_ERROR(cf_doc("", "'stack': {'arp': {'max_retries': 1.5}}"), "stack.arp.max_retries",
                 "1.5 is not an integer");
    EXPECT_ERROR(cf_doc("", "'stack': {'ip': {'default_ttl': 0.5}}"), "stack.ip.default_ttl",
                 "0.5 is not an integer");
    EXPECT_ERROR(cf_doc("", "'services': {'udp_echo': {'port': 7e-1}}"), "services.udp_echo.port",
                 "0.7 is not an integer");
}

/* ---- addresses ---- */

static void test_bad_ipv4_prefix(void **state)
{
    static const char *const bad[] = {
        "10.77.0.300/24", "10.77.0/24",   "10.77.0.2.1/24", "10.77.0.2/",  "10.77.0.2/2x",
        "10.77.0.2/-1",   "/24",          "junk",           "",            " 10.77.0.2/24",
        "10.77.0.2/24 ",  "010.77.0.2/24", "10.77.0.2/024", "10.77.0.2//24", "10.77.0.2/1000",
    };
    char body[256];

    (void)state;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        snprintf(body, sizeof body, "'ipv4': {'address': '%s'}", bad[i]);
        EXPECT_ERROR(cf_doc(body, ""), "interfaces[0].ipv4.address",
                     "is not an IPv4 prefix (expected a.b.c.d/len)");
    }
    EXPECT_ERROR(cf_doc("'ipv4': {'address': '10.77.0.300/24'}", ""), "interfaces[0].ipv4.address",
                 "\"10.77.0.300/24\" is not an IPv4 prefix (expected a.b.c.d/len)");
    EXPECT_ERROR(cf_doc("'ipv4': {'address': '10.77.0.2'}", ""), "interfaces[0].ipv4.address",
                 "\"10.77.0.2\" has no prefix length (expected a.b.c.d/len, e.g. \"10.77.0.2/24\")");
    EXPECT_ERROR(cf_doc("'ipv4': {'address': '10.77.0.2/33'}", ""), "interfaces[0].ipv4.address",
                 "prefix length 33 is out of range (expected 0..32)");
    EXPECT_ERROR(cf_doc("'ipv4': {'address': '10.77.0.2/100'}", ""), "interfaces[0].ipv4.address",
                 "prefix length 100 is out of range");
    /* A very long value is cut short in the message. */
    {
        char big[4096], body2[4200];
        memset(big, '9', sizeof big - 1);
        big[sizeof big - 1] = '\0';
        snprintf(body2, sizeof body2, "'ipv4': {'address': '%s'}", big);
        EXPECT_ERROR(cf_doc(body2, ""), "interfaces[0].ipv4.address", "...\" is not an IPv4 prefix");
    }
}

static void test_bad_ipv4_address(void **state)
{
    (void)state;
    EXPECT_ERROR(cf_doc("'ipv4': {'address': '10.77.0.0/24'}", ""), "interfaces[0].ipv4.address",
                 "is the network address of 10.77.0.0/24");
    EXPECT_ERROR(cf_doc("'ipv4': {'address': '10.77.0.255/24'}", ""), "interfaces[0].ipv4.address",
                 "is the broadcast address of 10.77.0.0/24");
    EXPECT_ERROR(cf_doc("'ipv4': {'address': '10.77.0.3/30'}", ""), "interfaces[0].ipv4.address",
                 "is the broadcast address of 10.77.0.0/30");
    EXPECT_ERROR(cf_doc("'ipv4': {'address': '0.0.0.0/0'}", ""), "interfaces[0].ipv4.address",
                 "is in 0.0.0.0/8");
    EXPECT_ERROR(cf_doc("'ipv4': {'address': '0.1.2.3/8'}", ""), "interfaces[0].ipv4.address",
                 "is in 0.0.0.0/8");
    EXPECT_ERROR(cf_doc("'ipv4': {'address': '127.0.0.1/8'}", ""), "interfaces[0].ipv4.address",
                 "is a loopback address");
    EXPECT_ERROR(cf_doc("'ipv4': {'address': '224.0.0.1/24'}", ""), "interfaces[0].ipv4.address",
                 "is a multicast address");
    EXPECT_ERROR(cf_doc("'ipv4': {'address': '255.255.255.255/32'}", ""),
                 "interfaces[0].ipv4.address", "is the limited broadcast address");
    EXPECT_ERROR(cf_doc("'ipv4': {'address': '240.0.0.1/24'}", ""), "interfaces[0].ipv4.address",
                 "is a reserved address");
}

static void test_bad_gateway(void **state)
{
    (void)state;
    EXPECT_ERROR(cf_doc("'ipv4': {'address': '10.77.0.2/24', 'gateway': '10.77.1.1'}", ""),
                 "interfaces[0].ipv4.gateway",
                 "\"10.77.1.1\" is not in 10.77.0.0/24, the subnet of interfaces[0].ipv4.address");
    EXPECT_ERROR(cf_doc("'ipv4': {'address': '10.77.0.2/32', 'gateway': '10.77.0.1'}", ""),
                 "interfaces[0].ipv4.gateway", "is not in 10.77.0.2/32");
    EXPECT_ERROR(cf_doc("'ipv4': {'address': '10.77.0.2/24', 'gateway': '10.77.0.2'}", ""),
                 "interfaces[0].ipv4.gateway", "is the interface's own address");
    EXPECT_ERROR(cf_doc("'ipv4': {'address': '10.77.0.2/24', 'gateway': '10.77.0.255'}", ""),
                 "interfaces[0].ipv4.gateway", "is the broadcast address of 10.77.0.0/24");
    EXPECT_ERROR(cf_doc("'ipv4': {'address': '10.77.0.2/24', 'gateway': '10.77.0.0'}", ""),
                 "interfaces[0].ipv4.gateway", "is the network address");
    EXPECT_ERROR(cf_doc("'ipv4': {'address': '10.77.0.2/24', 'gateway': '10.77.0.1/24'}", ""),
                 "interfaces[0].ipv4.gateway", "is not an IPv4 address (expected a.b.c.d)");
    EXPECT_ERROR(cf_doc("'ipv4': {'address': '10.77.0.2/24', 'gateway': 'router'}", ""),
                 "interfaces[0].ipv4.gateway", "is not an IPv4 address");
}

static void test_bad_mac(void **state)
{
    static const char *const bad_format[] = {
        "02:00:00:77:00", "02:00:00:77:00:02:03", "02-00-00-77-00-02", "2:0:0:77:0:2",
        "02:00:00:77:00:0g", "0200.0077.0002", "AUTO", "", "02:00:00:77:00:02 ",
    };
    char body[256];

    (void)state;
    for (size_t i = 0; i < sizeof bad_format / sizeof bad_format[0]; i++) {
        snprintf(body, sizeof body, "'mac': '%s'", bad_format[i]);
        EXPECT_ERROR(cf_doc(body, ""), "interfaces[0].mac", "is not a MAC address");
    }
    EXPECT_ERROR(cf_doc("'mac': '01:00:5e:00:00:01'", ""), "interfaces[0].mac",
                 "\"01:00:5e:00:00:01\" is a multicast address (expected a unicast MAC");
    EXPECT_ERROR(cf_doc("'mac': '03:00:00:77:00:02'", ""), "interfaces[0].mac",
                 "is a multicast address");
    EXPECT_ERROR(cf_doc("'mac': 'ff:ff:ff:ff:ff:ff'", ""), "interfaces[0].mac",
                 "is the broadcast address");
    EXPECT_ERROR(cf_doc("'mac': '00:00:00:00:00:00'", ""), "interfaces[0].mac", "is all zeros");
    EXPECT_ERROR(cf_doc4("'neighbors': [{'ip': '10.77.0.9', 'mac': '33:33:00:00:00:01'}]"),
                 "interfaces[0].neighbors[0].mac", "is a multicast address");
    EXPECT_ERROR(cf_doc4("'neighbors': [{'ip': '10.77.0.9', 'mac': 'auto'}]"),
                 "interfaces[0].neighbors[0].mac", "is not a MAC address");
}

/* ---- interfaces ---- */

static void test_bad_interface_name(void **state)
{
    struct tcpipd_config cfg;

    (void)state;
    EXPECT_ERROR(cf_J("{'interfaces': [{'name': ''}]}"), "interfaces[0].name", "must not be empty");
    EXPECT_ERROR(cf_J("{'interfaces': [{'name': 'abcdefghijklmnop'}]}"), "interfaces[0].name",
                 "\"abcdefghijklmnop\" is too long (16 characters, at most 15");
    EXPECT_ERROR(cf_J("{'interfaces': [{'name': 'tap/0'}]}"), "interfaces[0].name", "contains '/'");
    EXPECT_ERROR(cf_J("{'interfaces': [{'name': 'tap:0'}]}"), "interfaces[0].name", "contains ':'");
    EXPECT_ERROR(cf_J("{'interfaces': [{'name': 'tap%d'}]}"), "interfaces[0].name", "contains '%'");
    EXPECT_ERROR(cf_J("{'interfaces': [{'name': 'tap 0'}]}"), "interfaces[0].name",
                 "contains whitespace");
    EXPECT_ERROR(cf_J("{'interfaces': [{'name': 'tap\\t0'}]}"), "interfaces[0].name",
                 "contains whitespace");
    EXPECT_ERROR(cf_J("{'interfaces': [{'name': 'caf\xc3\xa9'}]}"), "interfaces[0].name",
                 "non-ASCII");
    EXPECT_ERROR(cf_J("{'interfaces': [{'name': '.'}]}"), "interfaces[0].name",
                 "is not a valid interface name");
    EXPECT_ERROR(cf_J("{'interfaces': [{'name': '..'}]}"), "interfaces[0].name",
                 "is not a valid interface name");
    cf_load_ok(cf_J("{'interfaces': [{'name': 'abcdefghijklmno'}]}"), &cfg); /* 15: the limit */
    assert_string_equal(cfg.ifaces[0].name, "abcdefghijklmno");
    cf_load_ok(cf_J("{'interfaces': [{'name': '...'}]}"), &cfg);
}

static void test_duplicate_interface_names(void **state)
{
    (void)state;
    EXPECT_ERROR(cf_J("{'interfaces': [{'name': 'tcpip0'}, {'name': 'tcpip1'}, {'name': 'tcpip0'}]}"),
                 "interfaces[2].name", "\"tcpip0\" is already used by interfaces[0]");
}

static void test_interfaces_share_nothing(void **state)
{
    struct tcpipd_config cfg;

    (void)state;
    EXPECT_ERROR(cf_J("{'interfaces': [{'name': 'a', 'ipv4': {'address': '10.77.0.2/24'}},"
                      "                {'name': 'b', 'ipv4': {'address': '10.77.0.3/24'}}]}"),
                 "interfaces[1].ipv4.address", "overlaps 10.77.0.2/24 of interfaces[0]");
    EXPECT_ERROR(cf_J("{'interfaces': [{'name': 'a', 'ipv4': {'address': '10.77.0.2/16'}},"
                      "                {'name': 'b', 'ipv4': {'address': '10.77.5.3/24'}}]}"),
                 "interfaces[1].ipv4.address", "overlaps 10.77.0.2/16 of interfaces[0]");
    EXPECT_ERROR(cf_J("{'interfaces': [{'name': 'a', 'ipv4': {'address': '10.77.0.2/24', 'gateway': '10.77.0.1'}},"
                      "                {'name': 'b', 'ipv4': {'address': '10.77.1.2/24', 'gateway': '10.77.1.1'}}]}"),
                 "interfaces[1].ipv4.gateway", "interfaces[0] already has a gateway");
    cf_load_ok(cf_J("{'interfaces': [{'name': 'a', 'ipv4': {'address': '10.77.0.2/24'}},"
                    "                {'name': 'b', 'ipv4': {'address': '10.77.1.2/24'}}, {'name': 'c'}]}"),
            &cfg);
    assert_int_equal(cfg.n_ifaces, 3);
}

static void test_empty_interfaces(void **state)
{
    (void)state;
    EXPECT_ERROR(cf_J("{'interfaces': []}"), "interfaces", "is empty (expected 1..8 interfaces)");
}

static void test_too_many_interfaces(void **state)
{
    char buf[2048];
    size_t o;
    struct tcpipd_config cfg;

    (void)state;
    o = (size_t)snprintf(buf, sizeof buf, "{'interfaces': [");
    for (int i = 0; i < CONF_MAX_IFACES; i++)
        o += (size_t)snprintf(buf + o, sizeof buf - o, "%s{'name': 'tap%d'}", i ? ", " : "", i);
    snprintf(buf + o, sizeof buf - o, "]}");
    cf_load_ok(cf_J(buf), &cfg);
    assert_int_equal(cfg.n_ifaces, CONF_MAX_IFACES);

    snprintf(buf + o, sizeof buf - o, ", {'name': 'extra'}]}");
    EXPECT_ERROR(cf_J(buf), "interfaces", "has 9 entries (at most 8 interfaces are supported)");
}

static void test_neighbors(void **state)
{
    char body[16384];
    size_t o;
    struct tcpipd_config cfg;

    (void)state;
    /* Exactly CONF_MAX_NEIGH is fine, one more is not. */
    o = (size_t)snprintf(body, sizeof body, "'neighbors': [");
    for (int i = 0; i < CONF_MAX_NEIGH; i++)
        o += (size_t)snprintf(body + o, sizeof body - o,
                              "%s{'ip': '10.77.0.%d', 'mac': '02:00:00:77:00:%02x'}", i ? ", " : "",
                              i + 10, i + 10);
    snprintf(body + o, sizeof body - o, "]");
    cf_load_ok(cf_doc4(body), &cfg);
    assert_int_equal(cfg.ifaces[0].n_neigh, CONF_MAX_NEIGH);
    assert_int_equal(cfg.ifaces[0].neigh[63].ip, 0x0a4d0000 + 73);
    assert_int_equal(cfg.ifaces[0].neigh[63].mac.b[5], 73);
    snprintf(body + o, sizeof body - o, ", {'ip': '10.77.0.200', 'mac': '02:00:00:77:00:c8'}]");
    EXPECT_ERROR(cf_doc4(body), "interfaces[0].neighbors", "has 65 entries (at most 64)");

    EXPECT_ERROR(cf_doc4("'neighbors': [{'ip': '10.77.1.9', 'mac': '02:00:00:77:00:09'}]"),
                 "interfaces[0].neighbors[0].ip", "is not in 10.77.0.0/24");
    EXPECT_ERROR(cf_doc4("'neighbors': [{'ip': '10.77.0.2', 'mac': '02:00:00:77:00:09'}]"),
                 "interfaces[0].neighbors[0].ip", "is the interface's own address");
    EXPECT_ERROR(cf_doc4("'neighbors': [{'ip': '10.77.0.255', 'mac': '02:00:00:77:00:09'}]"),
                 "interfaces[0].neighbors[0].ip", "is the broadcast address");
    EXPECT_ERROR(cf_doc4("'neighbors': [{'ip': '10.77.0.9', 'mac': '02:00:00:77:00:09'},"
                         "              {'ip': '10.77.0.9', 'mac': '02:00:00:77:00:0a'}]"),
                 "interfaces[0].neighbors[1].ip",
                 "\"10.77.0.9\" is already listed in interfaces[0].neighbors[0]");
    EXPECT_ERROR(cf_doc4("'neighbors': [{'ip': '10.77.0.9/32', 'mac': '02:00:00:77:00:09'}]"),
                 "interfaces[0].neighbors[0].ip", "is not an IPv4 address");
    EXPECT_ERROR(cf_doc("'neighbors': [{'ip': '10.77.0.9', 'mac': '02:00:00:77:00:09'}]", ""),
                 "interfaces[0].neighbors", "static neighbours need interfaces[0].ipv4.address");
}

static void test_static_neighbours_fit_cache(void **state)
{
    (void)state;
    EXPECT_ERROR(cf_J("{'interfaces': [{'name': 'tcpip0', 'ipv4': {'address': '10.77.0.2/24'},"
                      "  'neighbors': [{'ip': '10.77.0.9', 'mac': '02:00:00:77:00:09'},"
                      "                {'ip': '10.77.0.10', 'mac': '02:00:00:77:00:0a'}]}],"
                      " 'stack': {'arp': {'cache_size': 1}}}"),
                 "stack.arp.cache_size", "1 is smaller than the 2 static neighbours");
}

static void test_host_side(void **state)
{
    struct tcpipd_config cfg;

    (void)state;
    EXPECT_ERROR(cf_doc4("'host': {'configure': true, 'ipv4': '10.77.1.1/24'}"),
                 "interfaces[0].host.ipv4",
                 "\"10.77.1.1/24\" is not in 10.77.0.0/24, the subnet of interfaces[0].ipv4.address");
    EXPECT_ERROR(cf_doc4("'host': {'configure': true, 'ipv4': '10.77.0.1/16'}"),
                 "interfaces[0].host.ipv4", "is not in 10.77.0.0/24");
    EXPECT_ERROR(cf_doc4("'host': {'configure': true, 'ipv4': '10.77.0.2/24'}"),
                 "interfaces[0].host.ipv4", "is the stack's own address");
    EXPECT_ERROR(cf_doc4("'host': {'configure': true, 'ipv4': '10.77.0.255/24'}"),
                 "interfaces[0].host.ipv4", "is the broadcast address");
    EXPECT_ERROR(cf_doc4("'host': {'configure': true, 'ipv4': '10.77.0.1'}"),
                 "interfaces[0].host.ipv4", "has no prefix length");
    EXPECT_ERROR(cf_doc("'host': {'configure': true, 'ipv4': '10.77.0.1/24'}", ""),
                 "interfaces[0].host.ipv4", "needs interfaces[0].ipv4.address");
    cf_load_ok(cf_doc4("'host': {'configure': true, 'ipv4': '10.77.0.1/24'}"), &cfg);
    assert_true(cfg.ifaces[0].host.configure);
    assert_int_equal(cfg.ifaces[0].host.ipv4_addr, 0x0a4d0001);
}

/* ---- TCP services and tunables ---- */

static void test_tcp_services(void **state)
{
    struct tcpipd_config cfg;

    (void)state;
    cf_load_ok(cf_doc("", "'services': {'tcp_echo': {'enabled': true, 'port': 7007},"
                    "             'tcp_discard': {'enabled': true},"
                    "             'tcp_chargen': {'enabled': true, 'port': 1919}}"),
            &cfg);
    assert_true(cfg.services.tcp_echo.enabled);
    assert_int_equal(cfg.services.tcp_echo.port, 7007);
    assert_true(cfg.services.tcp_discard.enabled);
    assert_int_equal(cfg.services.tcp_discard.port, 9);
    assert_true(cfg.services.tcp_chargen.enabled);
    assert_int_equal(cfg.services.tcp_chargen.port, 1919);
    assert_false(cfg.services.udp_echo.enabled);

    /* TCP and UDP ports are separate: echo on 7 over both is the norm. */
    cf_load_ok(cf_doc("", "'services': {'udp_echo': {'enabled': true}, 'tcp_echo': {'enabled': true},"
                    "             'udp_discard': {'enabled': true, 'port': 19},"
                    "             'tcp_chargen': {'enabled': true}}"),
            &cfg);
    assert_int_equal(cfg.services.udp_echo.port, 7);
    assert_int_equal(cfg.services.tcp_echo.port, 7);

    /* Two enabled TCP services on one port clash; a disabled one does not. */
    EXPECT_ERROR(cf_doc("", "'services': {'tcp_echo': {'enabled': true},"
                         "             'tcp_chargen': {'enabled': true, 'port': 7}}"),
                 "services.tcp_chargen.port", "port 7 is already used by services.tcp_echo");
    EXPECT_ERROR(cf_doc("", "'services': {'tcp_discard': {'enabled': true, 'port': 5000},"
                         "             'tcp_chargen': {'enabled': true, 'port': 5000}}"),
                 "services.tcp_chargen.port", "port 5000 is already used by services.tcp_discard");
    cf_load_ok(cf_doc("", "'services': {'tcp_echo': {'enabled': false},"
                    "             'tcp_chargen': {'enabled': true, 'port': 7}}"),
            &cfg);
    assert_int_equal(cfg.services.tcp_chargen.port, 7);

    EXPECT_ERROR(cf_doc("", "'services': {'tcp_echo': {'enabled': 'yes'}}"),
                 "services.tcp_echo.enabled", "expected a boolean (true or false), got a string");
    EXPECT_ERROR(cf_doc("", "'services': {'tcp_discard': {'port': 0}}"), "services.tcp_discard.port",
                 "0 is out of range (expected 1..65535)");
    EXPECT_ERROR(cf_doc("", "'services': {'tcp_chargen': {'port': 65536}}"),
                 "services.tcp_chargen.port", "65536 is out of range (expected 1..65535)");
    EXPECT_ERROR(cf_doc("", "'services': {'tcp_chargen': []}"), "services.tcp_chargen",
                 "expected an object, got an array");
    EXPECT_ERROR(cf_doc("", "'services': {'tcp_echo': {}, 'tcp_echo': {}}"), "services.tcp_echo",
                 "duplicate key");
}

/* Every stack.tcp key set away from its default. */
static void test_tcp_tunables_values(void **state)
{
    struct tcpipd_config cfg;
    const struct stack_tcp_config *t = &cfg.stack.tcp;

    (void)state;
    cf_load_ok(cf_doc("", "'stack': {'tcp': {'sndbuf': 4096, 'rcvbuf': 67108864, 'max_conns': 100,"
                    " 'syn_backlog': 8, 'max_backlog': 65535, 'ooo_max_ranges': 4,"
                    " 'rto_initial_ms': 3000, 'rto_min_ms': 50, 'rto_max_ms': 60000,"
                    " 'syn_retries': 2, 'synack_retries': 3, 'retries2': 8,"
                    " 'delack_ms': 500, 'delack_segs': 1, 'time_wait_ms': 1000,"
                    " 'fin_wait2_ms': 30000, 'keepalive_idle_s': 600, 'keepalive_intvl_s': 10,"
                    " 'keepalive_cnt': 3, 'congestion_control': 'newreno', 'sack': false,"
                    " 'timestamps': false, 'window_scaling': false, 'syncookies': 'always',"
                    " 'rack': false, 'tlp': false, 'prr': false}}"),
            &cfg);
    assert_int_equal(t->sndbuf, 4096);
    assert_int_equal(t->rcvbuf, 67108864);
    assert_int_equal(t->max_conns, 100);
    assert_int_equal(t->syn_backlog, 8);
    assert_int_equal(t->max_backlog, 65535);
    assert_int_equal(t->ooo_max_ranges, 4);
    assert_int_equal(t->rto_initial_ns, 3000 * NS_PER_MS);
    assert_int_equal(t->rto_min_ns, 50 * NS_PER_MS);
    assert_int_equal(t->rto_max_ns, 60000 * NS_PER_MS);
    assert_int_equal(t->syn_retries, 2);
    assert_int_equal(t->synack_retries, 3);
    assert_int_equal(t->retries2, 8);
    assert_int_equal(t->delack_ns, 500 * NS_PER_MS);
    assert_int_equal(t->delack_segs, 1);
    assert_int_equal(t->time_wait_ns, 1000 * NS_PER_MS);
    assert_int_equal(t->fin_wait2_ns, 30000 * NS_PER_MS);
    assert_int_equal(t->keepalive_idle_ns, 600 * NS_PER_SEC);
    assert_int_equal(t->keepalive_intvl_ns, 10 * NS_PER_SEC);
    assert_int_equal(t->keepalive_cnt, 3);
    assert_int_equal(t->cc, TCP_CC_NEWRENO);
    assert_false(t->sack);
    assert_false(t->timestamps);
    assert_false(t->window_scaling);
    assert_int_equal(t->syncookies, 2);
    assert_false(t->rack);
    assert_false(t->tlp);
    assert_false(t->prr);

    /* The other choices, and one key leaves the rest at their defaults. */
    cf_load_ok(cf_doc("", "'stack': {'tcp': {'congestion_control': 'cubic', 'syncookies': 'never'}}"),
               &cfg);
    assert_int_equal(t->cc, TCP_CC_CUBIC);
    assert_int_equal(t->syncookies, 0);
    assert_int_equal(t->sndbuf, 262144);
    assert_true(t->sack);
    assert_true(t->rack && t->tlp && t->prr);
    cf_load_ok(cf_doc("", "'stack': {'tcp': {'syncookies': 'auto', 'sack': true}}"), &cfg);
    assert_int_equal(t->syncookies, 1);
    /* RFC 6298 bounds may meet: min == initial == max. */
    cf_load_ok(cf_doc("", "'stack': {'tcp': {'rto_min_ms': 1000, 'rto_initial_ms': 1000,"
                    " 'rto_max_ms': 1000}}"),
            &cfg);
    assert_int_equal(t->rto_min_ns, t->rto_max_ns);
}

static void test_tcp_tunables_ranges(void **state)
{
    static const struct {
        const char *key;
        const char *lo, *hi;     /* just outside the range */
        const char *range;
    } keys[] = {
        {"sndbuf", "4095", "67108865", "(expected 4096..67108864)"},
        {"rcvbuf", "4095", "67108865", "(expected 4096..67108864)"},
        {"max_conns", "0", "1048577", "(expected 1..1048576)"},
        {"syn_backlog", "0", "65537", "(expected 1..65536)"},
        {"max_backlog", "0", "65536", "(expected 1..65535)"},
        {"ooo_max_ranges", "0", "1025", "(expected 1..1024)"},
        {"rto_initial_ms", "0", "600001", "(expected 1..600000)"},
        {"rto_min_ms", "0", "60001", "(expected 1..60000)"},
        {"rto_max_ms", "0", "600001", "(expected 1..600000)"},
        {"syn_retries", "0", "128", "(expected 1..127)"},
        {"synack_retries", "0", "256", "(expected 1..255)"},
        {"retries2", "0", "256", "(expected 1..255)"},
        {"delack_ms", "0", "501", "(expected 1..500)"},
        {"delack_segs", "0", "17", "(expected 1..16)"},
        {"time_wait_ms", "999", "600001", "(expected 1000..600000)"},
        {"fin_wait2_ms", "999", "600001", "(expected 1000..600000)"},
        {"keepalive_idle_s", "0", "32768", "(expected 1..32767)"},
        {"keepalive_intvl_s", "0", "32768", "(expected 1..32767)"},
        {"keepalive_cnt", "0", "128", "(expected 1..127)"},
    };
    static const char *const bools[] = {"sack", "timestamps", "window_scaling", "rack", "tlp",
                                        "prr"};

    (void)state;
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        char json[256], path[64], phrase[96];
        snprintf(path, sizeof path, "stack.tcp.%s", keys[i].key);

        snprintf(json, sizeof json, "'stack': {'tcp': {'%s': %s}}", keys[i].key, keys[i].lo);
        snprintf(phrase, sizeof phrase, "%s is out of range %s", keys[i].lo, keys[i].range);
        EXPECT_ERROR(cf_doc("", json), path, phrase);

        snprintf(json, sizeof json, "'stack': {'tcp': {'%s': %s}}", keys[i].key, keys[i].hi);
        snprintf(phrase, sizeof phrase, "%s is out of range %s", keys[i].hi, keys[i].range);
        EXPECT_ERROR(cf_doc("", json), path, phrase);

        snprintf(json, sizeof json, "'stack': {'tcp': {'%s': '100'}}", keys[i].key);
        EXPECT_ERROR(cf_doc("", json), path, "expected a number, got a string");
        snprintf(json, sizeof json, "'stack': {'tcp': {'%s': true}}", keys[i].key);
        EXPECT_ERROR(cf_doc("", json), path, "expected a number, got a boolean");
        snprintf(json, sizeof json, "'stack': {'tcp': {'%s': 10.5}}", keys[i].key);
        EXPECT_ERROR(cf_doc("", json), path, "10.5 is not an integer");
    }
    for (size_t i = 0; i < sizeof bools / sizeof bools[0]; i++) {
        char json[128], path[64];
        snprintf(path, sizeof path, "stack.tcp.%s", bools[i]);
        snprintf(json, sizeof json, "'stack': {'tcp': {'%s': 1}}", bools[i]);
        EXPECT_ERROR(cf_doc("", json), path, "expected a boolean (true or false), got a number");
        snprintf(json, sizeof json, "'stack': {'tcp': {'%s': 'true'}}", bools[i]);
        EXPECT_ERROR(cf_doc("", json), path, "expected a boolean (true or false), got a string");
    }
    EXPECT_ERROR(cf_doc("", "'stack': {'tcp': {'congestion_control': 'reno'}}"),
                 "stack.tcp.congestion_control",
                 "\"reno\" is not one of the choices (expected \"cubic\" or \"newreno\")");
    EXPECT_ERROR(cf_doc("", "'stack': {'tcp': {'congestion_control': 'CUBIC'}}"),
                 "stack.tcp.congestion_control", "\"CUBIC\" is not one of the choices");
    EXPECT_ERROR(cf_doc("", "'stack': {'tcp': {'congestion_control': 1}}"),
                 "stack.tcp.congestion_control", "expected a string, got a number");
    EXPECT_ERROR(cf_doc("", "'stack': {'tcp': {'syncookies': true}}"), "stack.tcp.syncookies",
                 "expected a string, got a boolean");
    EXPECT_ERROR(cf_doc("", "'stack': {'tcp': {'syncookies': 'sometimes'}}"),
                 "stack.tcp.syncookies",
                 "\"sometimes\" is not one of the choices (expected \"never\", \"auto\" or \"always\")");
    EXPECT_ERROR(cf_doc("", "'stack': {'tcp': []}"), "stack.tcp", "expected an object, got an array");
    EXPECT_ERROR(cf_doc("", "'stack': {'tcp': {'sndbuf': 8192, 'sndbuf': 8192}}"), "stack.tcp.sndbuf",
                 "duplicate key");
}

/* RFC 6298 2.4/2.5: the RTO lives in [rto_min, rto_max], the first one too. */
static void test_tcp_rto_cross_checks(void **state)
{
    (void)state;
    EXPECT_ERROR(cf_doc("", "'stack': {'tcp': {'rto_min_ms': 5000, 'rto_max_ms': 4000,"
                         " 'rto_initial_ms': 4500}}"),
                 "stack.tcp.rto_min_ms", "5000 is above stack.tcp.rto_max_ms (4000)");
    EXPECT_ERROR(cf_doc("", "'stack': {'tcp': {'rto_initial_ms': 100}}"), "stack.tcp.rto_initial_ms",
                 "100 is below stack.tcp.rto_min_ms (200)");
    EXPECT_ERROR(cf_doc("", "'stack': {'tcp': {'rto_min_ms': 2000}}"), "stack.tcp.rto_initial_ms",
                 "1000 is below stack.tcp.rto_min_ms (2000)");
    EXPECT_ERROR(cf_doc("", "'stack': {'tcp': {'rto_max_ms': 500}}"), "stack.tcp.rto_initial_ms",
                 "1000 is above stack.tcp.rto_max_ms (500)");
    EXPECT_ERROR(cf_doc("", "'stack': {'tcp': {'rto_initial_ms': 200000}}"),
                 "stack.tcp.rto_initial_ms", "200000 is above stack.tcp.rto_max_ms (120000)");
    EXPECT_ERROR(cf_doc("", "'stack': {'tcp': {'rto_max_ms': 100}}"), "stack.tcp.rto_min_ms",
                 "200 is above stack.tcp.rto_max_ms (100)");
}

/* Issue 14: syn_backlog at or above max_conns would let a SYN flood fill
 * the connection table before SYN cookies start ("auto" only). */
static void test_tcp_syn_backlog_below_max_conns(void **state)
{
    struct tcpipd_config cfg;
    (void)state;
    EXPECT_ERROR(cf_doc("", "'stack': {'tcp': {'max_conns': 100, 'syn_backlog': 200}}"),
                 "stack.tcp.syn_backlog",
                 "200 is not below stack.tcp.max_conns (100): a SYN flood would fill max_conns "
                 "before SYN cookies start");
    EXPECT_ERROR(cf_doc("", "'stack': {'tcp': {'max_conns': 256}}"), "stack.tcp.syn_backlog",
                 "256 is not below stack.tcp.max_conns (256)");
    EXPECT_ERROR(cf_doc("", "'stack': {'tcp': {'syn_backlog': 16384, 'syncookies': 'auto'}}"),
                 "stack.tcp.syn_backlog", "16384 is not below stack.tcp.max_conns (16384)");
    cf_load_ok(cf_doc("", "'stack': {'tcp': {'max_conns': 257}}"), &cfg);
    assert_int_equal(cfg.stack.tcp.syn_backlog, 256);
    /* "always" never looks at the SYN queue; "never" chose to drop. */
    cf_load_ok(cf_doc("", "'stack': {'tcp': {'max_conns': 100, 'syn_backlog': 200,"
                    " 'syncookies': 'always'}}"),
               &cfg);
    cf_load_ok(cf_doc("", "'stack': {'tcp': {'max_conns': 100, 'syn_backlog': 200,"
                    " 'syncookies': 'never'}}"),
               &cfg);
    assert_int_equal(cfg.stack.tcp.syn_backlog, 200);
}

/* ---- services, log level ---- */

static void test_duplicate_service_ports(void **state)
{
    struct tcpipd_config cfg;

    (void)state;
    EXPECT_ERROR(cf_doc("", "'services': {'udp_echo': {'enabled': true},"
                         "             'udp_discard': {'enabled': true, 'port': 7}}"),
                 "services.udp_discard.port", "port 7 is already used by services.udp_echo");
    EXPECT_ERROR(cf_doc("", "'services': {'udp_echo': {'enabled': true, 'port': 5000},"
                         "             'udp_discard': {'enabled': true, 'port': 5000}}"),
                 "services.udp_discard.port", "port 5000 is already used");
    cf_load_ok(cf_doc("", "'services': {'udp_echo': {'enabled': true, 'port': 5000},"
                    "             'udp_discard': {'enabled': true, 'port': 5001}}"),
            &cfg);
    assert_int_equal(cfg.services.udp_echo.port, 5000);
    assert_int_equal(cfg.services.udp_discard.port, 5001);
}

static void test_bad_log_level(void **state)
{
    (void)state;
    EXPECT_ERROR(cf_doc("", "'log_level': 'verbose'"), "log_level",
                 "\"verbose\" is not a log level (expected \"error\", \"warning\", \"info\" or \"debug\")");
    EXPECT_ERROR(cf_doc("", "'log_level': 'INFO'"), "log_level", "is not a log level");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_out_of_range_numbers),
        cmocka_unit_test(test_non_integer_numbers),
        cmocka_unit_test(test_bad_ipv4_prefix),
        cmocka_unit_test(test_bad_ipv4_address),
        cmocka_unit_test(test_bad_gateway),
        cmocka_unit_test(test_bad_mac),
        cmocka_unit_test(test_bad_interface_name),
        cmocka_unit_test(test_duplicate_interface_names),
        cmocka_unit_test(test_interfaces_share_nothing),
        cmocka_unit_test(test_empty_interfaces),
        cmocka_unit_test(test_too_many_interfaces),
        cmocka_unit_test(test_neighbors),
        cmocka_unit_test(test_static_neighbours_fit_cache),
        cmocka_unit_test(test_host_side),
        cmocka_unit_test(test_duplicate_service_ports),
        cmocka_unit_test(test_tcp_services),
        cmocka_unit_test(test_tcp_tunables_values),
        cmocka_unit_test(test_tcp_tunables_ranges),
        cmocka_unit_test(test_tcp_rto_cross_checks),
        cmocka_unit_test(test_tcp_syn_backlog_below_max_conns),
        cmocka_unit_test(test_bad_log_level),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
