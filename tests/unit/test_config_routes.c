/* test_config_routes.c - the config's "routes" (daemon/config_route.c) and
 * "ipv4.addresses": what loads, and every bad entry refused with its key
 * path and what was expected; the same parser for the control channel's
 * `route add` (config_parse_route_json) against another set of
 * interfaces. */
#include "tests/unit/support/config_check.h"

#include "stack/wire/ipv6.h"

/* Two interfaces: tcpip0 10.77.0.2/24 + fd77::2/64, tcpip1 10.77.1.2/24
 * and 10.77.5.2/24. */
static const char *two(const char *routes)
{
    static char buf[16384];
    snprintf(buf, sizeof buf,
             "{'interfaces': ["
             "{'name': 'tcpip0', 'ipv4': {'address': '10.77.0.2/24'},"
             " 'ipv6': {'addresses': ['fd77::2/64']}},"
             "{'name': 'tcpip1', 'ipv4': {'address': '10.77.1.2/24', 'addresses': ['10.77.5.2/24']}}"
             "]%s%s}",
             routes[0] ? ", 'routes': " : "", routes);
    return cf_J(buf);
}

static void test_routes_load(void **state)
{
    (void)state;
    struct tcpipd_config cfg;
    cf_load_ok(two("[{'to': '10.77.9.0/24', 'via': '10.77.1.1', 'dev': 'tcpip1', 'metric': 10},"
                   " {'to': 'default', 'via': '10.77.0.1'},"
                   " {'to': 'default', 'via': 'fd77::1'},"
                   " {'to': 'fd77:9::/64', 'dev': 'tcpip0'},"
                   " {'to': '10.77.20.0/22', 'via': '10.77.5.1'},"
                   " {'to': 'fd77:8::/48', 'via': 'fe80::1', 'dev': 'tcpip0'},"
                   " {'to': '0.0.0.0/0', 'dev': 'tcpip1', 'metric': 100}]"),
               &cfg);
    assert_int_equal(cfg.n_routes, 7);
    const struct conf_route *r = &cfg.routes[0];
    assert_int_equal(r->r.dst.family, IP_FAMILY_V4);
    assert_int_equal(r->r.dst.u.v4, 0x0a4d0900u);
    assert_int_equal(r->r.prefix_len, 24);
    assert_int_equal(r->r.gateway.u.v4, 0x0a4d0101u);
    assert_string_equal(r->dev, "tcpip1");
    assert_int_equal(r->r.metric, 10);
    assert_int_equal(r->r.proto, ROUTE_PROTO_STATIC);
    r = &cfg.routes[1];
    assert_int_equal(r->r.dst.family, IP_FAMILY_V4); /* "default" takes via's family */
    assert_int_equal(r->r.prefix_len, 0);
    assert_int_equal(r->r.metric, 0);
    assert_string_equal(r->dev, "");
    r = &cfg.routes[2];
    assert_int_equal(r->r.dst.family, IP_FAMILY_V6);
    assert_int_equal(r->r.metric, 1024); /* `ip -6 route` default */
    r = &cfg.routes[3];
    assert_int_equal(r->r.gateway.family, IP_FAMILY_NONE);
    assert_int_equal(r->r.prefix_len, 64);
    assert_int_equal(cfg.ifaces[1].n_addr4, 1);
    assert_int_equal(cfg.ifaces[1].addr4[0].addr, 0x0a4d0502u);
}

static void test_routes_refused(void **state)
{
    (void)state;
    EXPECT_ERROR(two("{}"), "routes", "an array");
    EXPECT_ERROR(two("[{'via': '10.77.0.1'}]"), "routes[0].to", "required key is missing");
    EXPECT_ERROR(two("[{'to': '10.77.9.0/24', 'via': '10.77.0.1', 'gw': 'x'}]"), "routes[0].gw",
                 "unknown key");
    EXPECT_ERROR(two("[{'to': 'everything', 'via': '10.77.0.1'}]"), "routes[0].to",
                 "is not a prefix (expected \"default\", a.b.c.d/len or addr/len)");
    EXPECT_ERROR(two("[{'to': '10.77.9.0', 'via': '10.77.0.1'}]"), "routes[0].to", "is not a prefix");
    EXPECT_ERROR(two("[{'to': '10.77.9.0/', 'via': '10.77.0.1'}]"), "routes[0].to", "is not a prefix");
    EXPECT_ERROR(two("[{'to': '10.77.9.0/024', 'via': '10.77.0.1'}]"), "routes[0].to",
                 "is not a prefix");
    EXPECT_ERROR(two("[{'to': '10.77.9.0/33', 'via': '10.77.0.1'}]"), "routes[0].to",
                 "prefix length 33 is out of range (expected 0..32)");
    EXPECT_ERROR(two("[{'to': 'fd77:9::/129', 'via': 'fd77::1'}]"), "routes[0].to",
                 "prefix length 129 is out of range (expected 0..128)");
    EXPECT_ERROR(two("[{'to': '10.77.9.1/24', 'via': '10.77.0.1'}]"), "routes[0].to",
                 "has host bits set (expected \"10.77.9.0/24\")");
    EXPECT_ERROR(two("[{'to': 'fd77:9::1/64', 'via': 'fd77::1'}]"), "routes[0].to",
                 "has host bits set (expected \"fd77:9::/64\")");
    EXPECT_ERROR(two("[{'to': '10.77.9.0/24'}]"), "routes[0]", "needs \"via\" (a gateway) or \"dev\"");
    EXPECT_ERROR(two("[{'to': 'default', 'dev': 'tcpip0'}]"), "routes[0]",
                 "\"default\" needs \"via\"");
    EXPECT_ERROR(two("[{'to': '10.77.9.0/24', 'via': 'ten'}]"), "routes[0].via",
                 "is not an IPv4 or IPv6 address");
    EXPECT_ERROR(two("[{'to': '10.77.9.0/24', 'via': 'fd77::1'}]"), "routes[0].via",
                 "is not an IPv4 address (the family of \"to\")");
    EXPECT_ERROR(two("[{'to': '10.77.9.0/24', 'via': '10.77.3.1'}]"), "routes[0].via",
                 "is not on-link (not in a subnet of any interface");
    EXPECT_ERROR(two("[{'to': '10.77.9.0/24', 'via': '10.77.1.1', 'dev': 'tcpip0'}]"),
                 "routes[0].via", "is not on-link (not in a subnet of tcpip0");
    EXPECT_ERROR(two("[{'to': '10.77.9.0/24', 'via': '10.77.0.2'}]"), "routes[0].via",
                 "is one of our own addresses");
    EXPECT_ERROR(two("[{'to': '10.77.9.0/24', 'via': '127.0.0.1'}]"), "routes[0].via",
                 "is not a unicast host address");
    EXPECT_ERROR(two("[{'to': '10.77.9.0/24', 'via': '224.0.0.1'}]"), "routes[0].via",
                 "is not a unicast host address");
    EXPECT_ERROR(two("[{'to': 'fd77:9::/64', 'via': 'ff02::1'}]"), "routes[0].via",
                 "is not a unicast address");
    EXPECT_ERROR(two("[{'to': 'fd77:9::/64', 'via': 'fe80::1'}]"), "routes[0].via",
                 "is link-local: \"dev\" must say on which link");
    EXPECT_ERROR(two("[{'to': 'fd77:9::/64', 'via': 'fd77:5::1'}]"), "routes[0].via",
                 "is not on-link");
    EXPECT_ERROR(two("[{'to': 'fd77:9::/64', 'via': 'fe80::1', 'dev': 'tcpip1'}]"), "routes[0].via",
                 "is not on-link"); /* tcpip1 has no IPv6 */
    EXPECT_ERROR(two("[{'to': '10.77.9.0/24', 'dev': 'tcpip9'}]"), "routes[0].dev",
                 "\"tcpip9\" is not one of the interfaces");
    EXPECT_ERROR(two("[{'to': '10.77.9.0/24', 'dev': 7}]"), "routes[0].dev", "a string");
    EXPECT_ERROR(two("[{'to': '10.77.9.0/24', 'via': '10.77.0.1', 'metric': -1}]"),
                 "routes[0].metric", "out of range");
    EXPECT_ERROR(two("[{'to': '10.77.9.0/24', 'via': '10.77.0.1', 'metric': 4294967295}]"),
                 "routes[0].metric", "out of range");
    EXPECT_ERROR(two("[{'to': '10.77.9.0/24', 'via': '10.77.0.1', 'metric': '5'}]"),
                 "routes[0].metric", "");
    EXPECT_ERROR(two("[{'to': '10.77.9.0/24', 'via': '10.77.0.1'},"
                     " {'to': '10.77.9.0/24', 'via': '10.77.0.5'}]"),
                 "routes[1]", "is the same route as routes[0]");
    EXPECT_ERROR(two("['10.77.9.0/24']"), "routes[0]", "an object");
    /* The interface's gateway is a default route too. */
    EXPECT_ERROR(cf_J("{'interfaces': [{'name': 'tcpip0', 'ipv4': {'address': '10.77.0.2/24',"
                      " 'gateway': '10.77.0.1'}}], 'routes': [{'to': 'default', 'via': '10.77.0.9'}]}"),
                 "routes[0]", "is the same default route as interfaces[0].ipv4.gateway");
    /* More than the table holds. */
    char big[8192] = "[";
    for (int i = 0; i <= CONF_MAX_ROUTES; i++)
        snprintf(big + strlen(big), sizeof big - strlen(big), "%s{'to': '10.%d.0.0/16', 'via': '10.77.0.1'}",
                 i ? "," : "", i);
    strcat(big, "]");
    EXPECT_ERROR(two(big), "routes", "at most 64 routes");
}

static const char *addrs(const char *list)
{
    static char buf[1024];
    snprintf(buf, sizeof buf, "'ipv4': {'address': '10.77.0.2/24', 'addresses': %s}", list);
    return cf_doc(buf, "");
}

static void test_ipv4_addresses_refused(void **state)
{
    (void)state;
    EXPECT_ERROR(addrs("'10.77.5.2/24'"), "interfaces[0].ipv4.addresses", "an array");
    EXPECT_ERROR(addrs("[5]"), "interfaces[0].ipv4.addresses[0]", "a string");
    EXPECT_ERROR(addrs("['10.77.5.2']"), "interfaces[0].ipv4.addresses[0]", "has no prefix length");
    EXPECT_ERROR(addrs("['10.77.5.0/24']"), "interfaces[0].ipv4.addresses[0]",
                 "is the network address");
    EXPECT_ERROR(addrs("['10.77.5.255/24']"), "interfaces[0].ipv4.addresses[0]",
                 "is the broadcast address");
    EXPECT_ERROR(addrs("['127.0.0.2/8']"), "interfaces[0].ipv4.addresses[0]", "loopback");
    EXPECT_ERROR(addrs("['10.77.0.2/24']"), "interfaces[0].ipv4.addresses[0]",
                 "is already interfaces[0].ipv4.address");
    EXPECT_ERROR(addrs("['10.77.5.2/24', '10.77.5.2/25']"), "interfaces[0].ipv4.addresses[1]",
                 "is already listed in interfaces[0].ipv4.addresses[0]");
    EXPECT_ERROR(addrs("['10.77.5.2/24','10.77.6.2/24','10.77.7.2/24','10.77.8.2/24',"
                       "'10.77.9.2/24','10.77.10.2/24','10.77.11.2/24','10.77.12.2/24']"),
                 "interfaces[0].ipv4.addresses", "at most 7 more IPv4 addresses");
    /* Another interface's subnet, through its second address. */
    EXPECT_ERROR(cf_J("{'interfaces': [{'name': 'a', 'ipv4': {'address': '10.77.0.2/24',"
                      " 'addresses': ['10.77.5.2/24']}}, {'name': 'b', 'ipv4': {'address':"
                      " '10.77.5.9/24'}}]}"),
                 "interfaces[1].ipv4.address", "overlaps 10.77.5.2/24 of interfaces[0]");
}

static void test_ipv4_dhcp(void **state)
{
    (void)state;
    struct tcpipd_config cfg;
    cf_load_ok(cf_doc("'ipv4': {'dhcp': true}", ""), &cfg);
    assert_true(cfg.ifaces[0].dhcp4);
    assert_false(cfg.ifaces[0].has_ipv4);
    cf_load_ok(cf_doc("'ipv4': {'dhcp': false, 'address': '10.77.0.2/24'}", ""), &cfg);
    assert_false(cfg.ifaces[0].dhcp4);
    EXPECT_ERROR(cf_doc("'ipv4': {'dhcp': true, 'address': '10.77.0.2/24'}", ""),
                 "interfaces[0].ipv4.address", "not with interfaces[0].ipv4.dhcp");
    EXPECT_ERROR(cf_doc("'ipv4': {'dhcp': true, 'gateway': '10.77.0.1'}", ""),
                 "interfaces[0].ipv4.gateway", "not with");
    EXPECT_ERROR(cf_doc("'ipv4': {'dhcp': 'yes'}", ""), "interfaces[0].ipv4.dhcp", "boolean");
    EXPECT_ERROR(cf_doc("'ipv4': {}", ""), "interfaces[0].ipv4.address",
                 "required key is missing (or \"dhcp\": true)");
    EXPECT_ERROR(cf_doc("'ipv4': {'dhcp': true}, 'neighbors': [{'ip': '10.77.0.9', 'mac':"
                        " '02:00:00:00:00:09'}]", ""),
                 "interfaces[0].neighbors", "need");
    EXPECT_ERROR(cf_doc("'ipv4': {'dhcp': true}, 'host': {'configure': true, 'ipv4': '10.77.0.1/24'}",
                        ""),
                 "interfaces[0].host.ipv4", "needs");
}

static void test_stats_textfile(void **state)
{
    (void)state;
    struct tcpipd_config cfg;
    cf_load_ok(cf_doc("", "'stats': {'path': '/run/tcpipd/t.prom'}"), &cfg);
    assert_string_equal(cfg.stats.path, "/run/tcpipd/t.prom");
    assert_int_equal(cfg.stats.interval_s, 15);
    EXPECT_ERROR(cf_doc("", "'stats': {'path': 't.prom'}"), "stats.path", "is not an absolute path");
    EXPECT_ERROR(cf_doc("", "'stats': {'interval': 5}"), "stats.path", "required key is missing");
    EXPECT_ERROR(cf_doc("", "'stats': {'path': '/x', 'interval': 0}"), "stats.interval",
                 "out of range");
    EXPECT_ERROR(cf_doc("", "'stats': {'path': '/x', 'every': 5}"), "stats.every", "unknown key");
}

/* The control channel's `route add` goes through the same parser, with
 * the running interfaces as the view. */
static void test_route_json_for_control(void **state)
{
    (void)state;
    struct conf_route_view v = {.n = 1};
    snprintf(v.ifaces[0].name, sizeof v.ifaces[0].name, "eth9");
    v.ifaces[0].v4[0] = (struct netif_addr4_config){0xc0a80102u, 24}; /* 192.168.1.2/24 */
    v.ifaces[0].n_v4 = 1;
    struct conf_route r;
    char err[CONF_ERR_LEN];
    assert_int_equal(config_parse_route_json(cf_J("{'to': '10.0.0.0/8', 'via': '192.168.1.1'}"),
                                             "route", &v, &r, err, sizeof err),
                     0);
    assert_int_equal(r.r.gateway.u.v4, 0xc0a80101u);
    assert_int_equal(config_parse_route_json(cf_J("{'to': '10.0.0.0/8', 'via': '10.77.0.1'}"),
                                             "route", &v, &r, err, sizeof err),
                     -1);
    assert_string_equal(err, "route.via: \"10.77.0.1\" is not on-link (not in a subnet of any "
                             "interface; a gateway must be on one of our subnets)");
    assert_int_equal(config_parse_route_json("{", "route", &v, &r, err, sizeof err), -1);
    assert_non_null(strstr(err, "route: is not a JSON object"));
    /* Addresses and neighbours as the config checks them. */
    struct ip_addr a;
    uint8_t len;
    assert_int_equal(config_parse_addr_prefix("10.77.5.2/24", "addr", &a, &len, err, sizeof err), 0);
    assert_int_equal(a.u.v4, 0x0a4d0502u);
    assert_int_equal(len, 24);
    assert_int_equal(config_parse_addr_prefix("fd77:5::2/64", "addr", &a, &len, err, sizeof err), 0);
    assert_int_equal(a.family, IP_FAMILY_V6);
    assert_int_equal(config_parse_addr_prefix("10.77.5.0/24", "addr", &a, &len, err, sizeof err), -1);
    assert_string_equal(err, "addr: \"10.77.5.0/24\" is the network address of 10.77.5.0/24 (expected a host address)");
    assert_int_equal(config_parse_addr_prefix("::1/128", "addr", &a, &len, err, sizeof err), -1);
    assert_non_null(strstr(err, "is the loopback address"));
    assert_int_equal(config_parse_addr_prefix("x/8", "addr", &a, &len, err, sizeof err), -1);
    struct eth_addr mac;
    assert_int_equal(config_parse_neigh("10.77.0.9", "02:00:00:00:00:09", "neigh", &a, &mac, err,
                                        sizeof err),
                     0);
    assert_int_equal(config_parse_neigh("10.77.0.9", "ff:ff:ff:ff:ff:ff", "neigh", &a, &mac, err,
                                        sizeof err),
                     -1);
    assert_non_null(strstr(err, "neigh.mac: \"ff:ff:ff:ff:ff:ff\" is the broadcast address"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_routes_load),
        cmocka_unit_test(test_routes_refused),
        cmocka_unit_test(test_ipv4_addresses_refused),
        cmocka_unit_test(test_ipv4_dhcp),
        cmocka_unit_test(test_stats_textfile),
        cmocka_unit_test(test_route_json_for_control),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
