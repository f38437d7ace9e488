/* test_config_ipv6.c - the IPv6 keys of tcpipd's config (daemon/config_iface.c):
 * interfaces[].ipv6 {addresses, slaac, addr_gen_mode, stable_secret} and
 * interfaces[].host.ipv6.
 *
 * Good values load as documented in conf/REFERENCE.md (IPv6 on only with
 * an "ipv6" object, SLAAC on by default, addresses in network order);
 * every bad one fails with "KEYPATH: PROBLEM" naming the right key and
 * leaves *cfg untouched (EXPECT_ERROR, tests/unit/support/config_check.h). */

#include "tests/unit/support/config_check.h"

/* fd77::2 in network order. */
static const uint8_t FD77_2[16] = {0xfd, 0x77, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2};
static const uint8_t FD77_1[16] = {0xfd, 0x77, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};

static void test_ipv6_absent_is_off(void **state)
{
    struct tcpipd_config cfg;

    (void)state;
    cf_load_ok(cf_doc4(""), &cfg);
    assert_false(cfg.ifaces[0].has_ipv6);
    assert_int_equal(cfg.ifaces[0].n_addr6, 0);
    assert_false(cfg.ifaces[0].host.has_ipv6);
}

static void test_ipv6_empty_object_is_on_with_slaac(void **state)
{
    struct tcpipd_config cfg;

    (void)state;
    cf_load_ok(cf_doc("'ipv6': {}", ""), &cfg);
    assert_true(cfg.ifaces[0].has_ipv6);
    assert_true(cfg.ifaces[0].slaac);
    assert_int_equal(cfg.ifaces[0].n_addr6, 0);
    /* IPv6 alone, without any IPv4, is a valid interface. */
    assert_false(cfg.ifaces[0].has_ipv4);

    cf_load_ok(cf_doc("'ipv6': {'slaac': false}", ""), &cfg);
    assert_true(cfg.ifaces[0].has_ipv6);
    assert_false(cfg.ifaces[0].slaac);
}

static void test_ipv6_addresses_load(void **state)
{
    struct tcpipd_config cfg;
    const struct conf_iface *ifc;
    static const uint8_t db8[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0x77, 0, 0,
                                    0,    0,    0,    0,    0, 0,    0, 0x0a};
    static const uint8_t ll[16] = {0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x99};
    static const uint8_t mixed[16] = {0xfd, 0x77, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 10, 77, 0, 5};

    (void)state;
    cf_load_ok(cf_doc("'ipv6': {'addresses': ['fd77::2/64', '2001:DB8:77::a/48', 'fe80::99/64', "
                      "'fd77::10.77.0.5/128']}",
                      ""),
               &cfg);
    ifc = &cfg.ifaces[0];
    assert_int_equal(ifc->n_addr6, 4);
    assert_memory_equal(ifc->addr6[0].addr, FD77_2, 16);
    assert_int_equal(ifc->addr6[0].prefix_len, 64);
    assert_memory_equal(ifc->addr6[1].addr, db8, 16);
    assert_int_equal(ifc->addr6[1].prefix_len, 48);
    assert_memory_equal(ifc->addr6[2].addr, ll, 16);
    assert_memory_equal(ifc->addr6[3].addr, mixed, 16);
    assert_int_equal(ifc->addr6[3].prefix_len, 128);

    /* /127 and /128 have no Subnet-Router anycast address (RFC 6164). */
    cf_load_ok(cf_doc("'ipv6': {'addresses': ['fd77::/127', 'fd78::/128']}", ""), &cfg);
    assert_int_equal(cfg.ifaces[0].n_addr6, 2);
    cf_load_ok(cf_doc("'ipv6': {'addresses': ['fd77::2/1', 'fd78:0:0:1::/63']}", ""), &cfg);
    assert_int_equal(cfg.ifaces[0].addr6[0].prefix_len, 1);
}

static void test_ipv6_bad_syntax(void **state)
{
    const char *p = "interfaces[0].ipv6.addresses[0]";

    (void)state;
    EXPECT_ERROR(cf_doc("'ipv6': {'addresses': ['fd77::2']}", ""), p,
                 "\"fd77::2\" has no prefix length (expected addr/len, e.g. \"fd77::2/64\")");
    EXPECT_ERROR(cf_doc("'ipv6': {'addresses': ['fd77::g/64']}", ""), p, "is not an IPv6 prefix");
    EXPECT_ERROR(cf_doc("'ipv6': {'addresses': ['10.77.0.2/24']}", ""), p, "is not an IPv6 prefix");
    EXPECT_ERROR(cf_doc("'ipv6': {'addresses': ['fe80::1%eth0/64']}", ""), p, "is not an IPv6 prefix");
    EXPECT_ERROR(cf_doc("'ipv6': {'addresses': ['/64']}", ""), p, "is not an IPv6 prefix");
    EXPECT_ERROR(cf_doc("'ipv6': {'addresses': ['fd77::2/']}", ""), p, "is not an IPv6 prefix");
    EXPECT_ERROR(cf_doc("'ipv6': {'addresses': ['fd77::2/064']}", ""), p, "is not an IPv6 prefix");
    EXPECT_ERROR(cf_doc("'ipv6': {'addresses': ['fd77::2/ 64']}", ""), p, "is not an IPv6 prefix");
    EXPECT_ERROR(cf_doc("'ipv6': {'addresses': ['fd77::2/64x']}", ""), p, "is not an IPv6 prefix");
    EXPECT_ERROR(cf_doc("'ipv6': {'addresses': ['fd77::2/12345']}", ""), p, "is not an IPv6 prefix");
    EXPECT_ERROR(cf_doc("'ipv6': {'addresses': ['fd77::2/129']}", ""), p,
                 "prefix length 129 is out of range (expected 1..128)");
    EXPECT_ERROR(cf_doc("'ipv6': {'addresses': ['fd77::2/0']}", ""), p,
                 "prefix length 0 is out of range (expected 1..128)");
    EXPECT_ERROR(cf_doc("'ipv6': {'addresses': [64]}", ""), p, "expected a string");
    EXPECT_ERROR(cf_doc("'ipv6': {'addresses': 'fd77::2/64'}", ""), "interfaces[0].ipv6.addresses",
                 "expected an array");
    EXPECT_ERROR(cf_doc("'ipv6': {'slaac': 'yes'}", ""), "interfaces[0].ipv6.slaac",
                 "expected a boolean");
    EXPECT_ERROR(cf_doc("'ipv6': true", ""), "interfaces[0].ipv6", "expected an object");
    EXPECT_ERROR(cf_doc("'ipv6': {'address': 'fd77::2/64'}", ""), "interfaces[0].ipv6.address",
                 "unknown key");
}

static void test_ipv6_bad_addresses(void **state)
{
    const char *p = "interfaces[0].ipv6.addresses[0]";

    (void)state;
    EXPECT_ERROR(cf_doc("'ipv6': {'addresses': ['::/64']}", ""), p, "is the unspecified address");
    EXPECT_ERROR(cf_doc("'ipv6': {'addresses': ['::1/128']}", ""), p, "is the loopback address");
    EXPECT_ERROR(cf_doc("'ipv6': {'addresses': ['ff02::1/64']}", ""), p,
                 "is a multicast address (ff00::/8)");
    EXPECT_ERROR(cf_doc("'ipv6': {'addresses': ['::ffff:10.77.0.2/120']}", ""), p,
                 "is an IPv4-mapped address");
    EXPECT_ERROR(cf_doc("'ipv6': {'addresses': ['fd77::/64']}", ""), p,
                 "\"fd77::/64\" is the Subnet-Router anycast address of fd77::/64 (RFC 4291 2.6.1");
    EXPECT_ERROR(cf_doc("'ipv6': {'addresses': ['fd77:0:0:2::/63']}", ""), p,
                 "is the Subnet-Router anycast address");
    EXPECT_ERROR(cf_doc("'ipv6': {'addresses': ['fd77::2/64', 'FD77:0::2/64']}", ""),
                 "interfaces[0].ipv6.addresses[1]",
                 "\"FD77:0::2/64\" is already listed in interfaces[0].ipv6.addresses[0]");
    EXPECT_ERROR(cf_doc("'ipv6': {'addresses': ['fd77::1/64', 'fd77::2/64', 'fd77::3/64', "
                        "'fd77::4/64', 'fd77::5/64']}",
                        ""),
                 "interfaces[0].ipv6.addresses", "has 5 entries (at most 4 static IPv6 addresses)");
}

/* RFC 7217: "addr_gen_mode" (default "eui64") and "stable_secret", as an
 * IPv6 address (Linux's sysctl form) or 32 hex digits. */
static void test_addr_gen_mode_load(void **state)
{
    struct tcpipd_config cfg;
    static const uint8_t zero[16];
    static const uint8_t secret[16] = {0xfd, 0x77, 0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc,
                                       0xde, 0xf0, 0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc};

    (void)state;
    cf_load_ok(cf_doc("'ipv6': {}", ""), &cfg);
    assert_int_equal(cfg.ifaces[0].addr_gen_mode, NETIF_ADDR_GEN_EUI64);
    assert_memory_equal(cfg.ifaces[0].stable_secret, zero, 16);
    cf_load_ok(cf_doc("'ipv6': {'addr_gen_mode': 'eui64'}", ""), &cfg);
    assert_int_equal(cfg.ifaces[0].addr_gen_mode, NETIF_ADDR_GEN_EUI64);

    cf_load_ok(cf_doc("'ipv6': {'addr_gen_mode': 'stable-privacy', "
                      "'stable_secret': 'fd77:1234:5678:9abc:def0:1234:5678:9abc'}",
                      ""),
               &cfg);
    assert_int_equal(cfg.ifaces[0].addr_gen_mode, NETIF_ADDR_GEN_STABLE_PRIVACY);
    assert_memory_equal(cfg.ifaces[0].stable_secret, secret, 16);
    assert_true(cfg.ifaces[0].slaac);

    /* The same 128 bits as 32 hex digits, either case. */
    cf_load_ok(cf_doc("'ipv6': {'addr_gen_mode': 'stable-privacy', "
                      "'stable_secret': 'FD77123456789abcdef0123456789ABC'}",
                      ""),
               &cfg);
    assert_memory_equal(cfg.ifaces[0].stable_secret, secret, 16);
    /* Any IPv6 text form, :: included. */
    cf_load_ok(cf_doc("'ipv6': {'addr_gen_mode': 'stable-privacy', 'stable_secret': 'fd77::1'}",
                      ""),
               &cfg);
    assert_int_equal(cfg.ifaces[0].stable_secret[0], 0xfd);
    assert_int_equal(cfg.ifaces[0].stable_secret[15], 1);
}

static void test_addr_gen_mode_bad(void **state)
{
    const char *m = "interfaces[0].ipv6.addr_gen_mode";
    const char *p = "interfaces[0].ipv6.stable_secret";

    (void)state;
    EXPECT_ERROR(cf_doc("'ipv6': {'addr_gen_mode': 'random'}", ""), m,
                 "\"random\" is not one of the choices (expected \"eui64\" or \"stable-privacy\")");
    EXPECT_ERROR(cf_doc("'ipv6': {'addr_gen_mode': 'stable_privacy'}", ""), m,
                 "is not one of the choices");
    EXPECT_ERROR(cf_doc("'ipv6': {'addr_gen_mode': 2}", ""), m, "expected a string");
    EXPECT_ERROR(cf_doc("'ipv6': {'addr_gen_mode': 'stable-privacy'}", ""), p,
                 "required when interfaces[0].ipv6.addr_gen_mode is \"stable-privacy\"");
    EXPECT_ERROR(cf_doc("'ipv6': {'addr_gen_mode': 'stable-privacy', 'stable_secret': 'xyz'}", ""),
                 p, "the secret is not in a known form (expected an IPv6 address as in Linux's stable_secret");
    EXPECT_ERROR(cf_doc("'ipv6': {'addr_gen_mode': 'stable-privacy', "
                        "'stable_secret': 'fd77:1234:5678:9abc:def0:1234:5678:9abc:1'}",
                        ""),
                 p, "the secret is not in a known form");
    EXPECT_ERROR(cf_doc("'ipv6': {'addr_gen_mode': 'stable-privacy', 'stable_secret': 'fe80::1%eth0'}",
                        ""),
                 p, "the secret is not in a known form");
    EXPECT_ERROR(cf_doc("'ipv6': {'addr_gen_mode': 'stable-privacy', 'stable_secret': ''}", ""), p,
                 "the secret is not in a known form");
    /* Wrong length in hex digits: 30 and 34. */
    EXPECT_ERROR(cf_doc("'ipv6': {'addr_gen_mode': 'stable-privacy', "
                        "'stable_secret': 'fd77123456789abcdef0123456789a'}",
                        ""),
                 p, "the secret has 30 hex digits (expected 32: 128 bits)");
    EXPECT_ERROR(cf_doc("'ipv6': {'addr_gen_mode': 'stable-privacy', "
                        "'stable_secret': 'fd77123456789abcdef0123456789abcde'}",
                        ""),
                 p, "the secret has 34 hex digits (expected 32: 128 bits)");
    EXPECT_ERROR(cf_doc("'ipv6': {'addr_gen_mode': 'stable-privacy', "
                        "'stable_secret': 'fd77123456789abcdef0123456789abg'}",
                        ""),
                 p, "the secret is not in a known form");
    EXPECT_ERROR(cf_doc("'ipv6': {'addr_gen_mode': 'stable-privacy', 'stable_secret': '::'}", ""), p,
                 "the secret is all zeros (expected a random one");
    EXPECT_ERROR(cf_doc("'ipv6': {'addr_gen_mode': 'stable-privacy', "
                        "'stable_secret': '00000000000000000000000000000000'}",
                        ""),
                 p, "the secret is all zeros");
    EXPECT_ERROR(cf_doc("'ipv6': {'addr_gen_mode': 'stable-privacy', 'stable_secret': 5}", ""), p,
                 "expected a string");
    /* A secret without stable-privacy is a mistake, not silently unused. */
    EXPECT_ERROR(cf_doc("'ipv6': {'stable_secret': 'fd77::1'}", ""), p,
                 "only used with interfaces[0].ipv6.addr_gen_mode \"stable-privacy\" (it is \"eui64\")");
    EXPECT_ERROR(cf_doc("'ipv6': {'addr_gen_mode': 'eui64', 'stable_secret': 'fd77::1'}", ""), p,
                 "only used with");
}

/* The secret is not repeated in a message (it goes to logs). */
static void test_stable_secret_not_echoed(void **state)
{
    struct tcpipd_config cfg;
    char err[CONF_ERR_LEN] = "";

    (void)state;
    assert_int_not_equal(config_load_string(cf_doc("'ipv6': {'addr_gen_mode': 'stable-privacy', "
                                                   "'stable_secret': 'fd77:1234:zzzz::1'}",
                                                   ""),
                                            &cfg, err, sizeof err),
                         0);
    assert_non_null(strstr(err, "stable_secret"));
    assert_null(strstr(err, "zzzz"));
}

static void test_host_ipv6(void **state)
{
    struct tcpipd_config cfg;
    const char *p = "interfaces[0].host.ipv6";

    (void)state;
    cf_load_ok(cf_doc("'ipv6': {'addresses': ['fd77::2/64']}, "
                      "'host': {'configure': true, 'ipv6': 'fd77::1/64'}",
                      ""),
               &cfg);
    assert_true(cfg.ifaces[0].host.has_ipv6);
    assert_memory_equal(cfg.ifaces[0].host.ipv6_addr, FD77_1, 16);
    assert_int_equal(cfg.ifaces[0].host.ipv6_prefix_len, 64);
    assert_false(cfg.ifaces[0].host.has_ipv4);

    /* Either of the stack's prefixes will do. */
    cf_load_ok(cf_doc("'ipv6': {'addresses': ['fd77::2/64', 'fd78::2/64']}, "
                      "'host': {'ipv6': 'fd78::1/64'}",
                      ""),
               &cfg);
    assert_true(cfg.ifaces[0].host.has_ipv6);

    EXPECT_ERROR(cf_doc("'host': {'ipv6': 'fd77::1/64'}", ""), p,
                 "needs interfaces[0].ipv6 (IPv6 on the interface");
    EXPECT_ERROR(cf_doc("'ipv6': {}, 'host': {'ipv6': 'fd77::1/64'}", ""), p,
                 "is not in the prefix of any of interfaces[0].ipv6.addresses");
    EXPECT_ERROR(cf_doc("'ipv6': {'addresses': ['fd77::2/64']}, 'host': {'ipv6': 'fd78::1/64'}", ""),
                 p,
                 "\"fd78::1/64\" is not in the prefix of any of interfaces[0].ipv6.addresses "
                 "(expected the same prefix and length as one of them)");
    EXPECT_ERROR(cf_doc("'ipv6': {'addresses': ['fd77::2/64']}, 'host': {'ipv6': 'fd77::1/48'}", ""),
                 p, "is not in the prefix of any of");
    EXPECT_ERROR(cf_doc("'ipv6': {'addresses': ['fd77::2/64']}, 'host': {'ipv6': 'fd77::2/64'}", ""),
                 p, "is the stack's own address (interfaces[0].ipv6.addresses[0])");
    EXPECT_ERROR(cf_doc("'ipv6': {'addresses': ['fd77::2/64']}, 'host': {'ipv6': 'fd77::/64'}", ""),
                 p, "is the Subnet-Router anycast address");
    EXPECT_ERROR(cf_doc("'ipv6': {'addresses': ['fd77::2/64']}, 'host': {'ipv6': 'fd77::1'}", ""),
                 p, "has no prefix length");
    EXPECT_ERROR(cf_doc("'ipv6': {'addresses': ['fd77::2/64']}, 'host': {'ipv6': 'ff02::1/64'}", ""),
                 p, "is a multicast address");
    EXPECT_ERROR(cf_doc("'ipv6': {'addresses': ['fd77::2/64']}, 'host': {'ipv6': ['fd77::1/64']}", ""),
                 p, "expected a string");
    /* host.ipv4 is still checked on its own. */
    EXPECT_ERROR(cf_doc("'ipv6': {'addresses': ['fd77::2/64']}, "
                        "'host': {'ipv4': '10.77.0.1/24', 'ipv6': 'fd77::1/64'}",
                        ""),
                 "interfaces[0].host.ipv4", "needs interfaces[0].ipv4.address");
}

static void test_prefixes_between_interfaces(void **state)
{
    struct tcpipd_config cfg;

    (void)state;
    cf_load_ok(cf_J("{'interfaces': ["
                    "{'name': 'a', 'ipv6': {'addresses': ['fd77::2/64', 'fe80::2/64']}},"
                    "{'name': 'b', 'ipv6': {'addresses': ['fd77:0:0:1::2/64', 'fe80::2/64']}}]}"),
               &cfg);
    assert_int_equal(cfg.n_ifaces, 2);
    EXPECT_ERROR(cf_J("{'interfaces': ["
                      "{'name': 'a', 'ipv6': {'addresses': ['fd77::2/64']}},"
                      "{'name': 'b', 'ipv6': {'addresses': ['fd77::3/48']}}]}"),
                 "interfaces[1].ipv6.addresses[0]",
                 "overlaps fd77::2/64 of interfaces[0] (each interface needs its own prefix)");
    EXPECT_ERROR(cf_J("{'interfaces': ["
                      "{'name': 'a', 'ipv6': {'addresses': ['fd78::2/64', 'fd77::2/64']}},"
                      "{'name': 'b', 'ipv6': {'addresses': ['fd79::2/64', 'fd77::9/120']}}]}"),
                 "interfaces[1].ipv6.addresses[1]", "overlaps fd77::2/64 of interfaces[0]");
}

/* The demo config: make run gives the stack fd77::2/64 and the host
 * fd77::1/64 with SLAAC on. */
static void test_default_file_ipv6(void **state)
{
    struct tcpipd_config cfg;
    char err[CONF_ERR_LEN] = "";
    const struct conf_iface *ifc;

    (void)state;
    if (config_load_file("conf/default.json", &cfg, err, sizeof err) != 0)
        fail_msg("conf/default.json: %s", err);
    ifc = &cfg.ifaces[0];
    assert_true(ifc->has_ipv6);
    assert_true(ifc->slaac);
    assert_int_equal(ifc->n_addr6, 1);
    assert_memory_equal(ifc->addr6[0].addr, FD77_2, 16);
    assert_int_equal(ifc->addr6[0].prefix_len, 64);
    assert_true(ifc->host.has_ipv6);
    assert_memory_equal(ifc->host.ipv6_addr, FD77_1, 16);
    assert_int_equal(ifc->host.ipv6_prefix_len, 64);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ipv6_absent_is_off),
        cmocka_unit_test(test_ipv6_empty_object_is_on_with_slaac),
        cmocka_unit_test(test_ipv6_addresses_load),
        cmocka_unit_test(test_ipv6_bad_syntax),
        cmocka_unit_test(test_ipv6_bad_addresses),
        cmocka_unit_test(test_addr_gen_mode_load),
        cmocka_unit_test(test_addr_gen_mode_bad),
        cmocka_unit_test(test_stable_secret_not_echoed),
        cmocka_unit_test(test_host_ipv6),
        cmocka_unit_test(test_prefixes_between_interfaces),
        cmocka_unit_test(test_default_file_ipv6),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
