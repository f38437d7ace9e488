/* test_config.c - the JSON configuration loader (daemon/config.c): defaults
 * and good configs (including the shipped ones), syntax errors, keys
 * (unknown, duplicate, wrongly typed, missing), files, and robustness.
 *
 * Good configs load with the documented values; every class of bad input
 * fails with "KEYPATH: PROBLEM" naming the right key, and leaves *cfg
 * exactly as it was. Runs from the repo root (tests/run.sh cds there), so
 * the shipped configs are at conf/. The checks on each value are in
 * test_config_values.c. */

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

#define MiB (1024 * 1024)

/* Write len bytes to a fresh temporary file; returns its malloc'd name. */
static char *temp_file(const void *data, size_t len)
{
    char *name = strdup("/tmp/test_config.XXXXXX");
    int fd;

    assert_non_null(name);
    fd = mkstemp(name);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, data, len), (ssize_t)len);
    assert_int_equal(close(fd), 0);
    return name;
}

static void expect_file_error_at(const char *path, const char *expect_prefix, const char *phrase,
                                 const char *file, int line)
{
    struct tcpipd_config cfg, before;
    char err[CONF_ERR_LEN] = "";
    int rc;

    memset(&cfg, 0x5a, sizeof cfg);
    memcpy(&before, &cfg, sizeof cfg);
    rc = config_load_file(path, &cfg, err, sizeof err);
    if (rc != -1 || memcmp(&before, &cfg, sizeof cfg) != 0 ||
        strncmp(err, expect_prefix, strlen(expect_prefix)) != 0 || strstr(err, phrase) == NULL ||
        strchr(err, '\n') != NULL) {
        print_error("%s:%d: rc=%d\n  error:    %s\n  expected: %s...%s...\n", file, line, rc, err,
                    expect_prefix, phrase);
        _fail(file, line);
    }
}

#define EXPECT_FILE_ERROR(path, prefix, phrase) \
    expect_file_error_at(path, prefix, phrase, __FILE__, __LINE__)

/* ---- good configs ---- */

static void test_defaults(void **state)
{
    struct tcpipd_config cfg;
    struct stack_config st;

    (void)state;
    memset(&cfg, 0xff, sizeof cfg);
    config_defaults(&cfg);
    stack_config_defaults(&st);
    assert_int_equal(cfg.log_level, STACK_LOG_INFO);
    assert_int_equal(cfg.n_ifaces, 0);
    assert_false(cfg.services.udp_echo.enabled);
    assert_int_equal(cfg.services.udp_echo.port, 7);
    assert_false(cfg.services.udp_discard.enabled);
    assert_int_equal(cfg.services.udp_discard.port, 9);
    assert_false(cfg.services.tcp_echo.enabled);
    assert_int_equal(cfg.services.tcp_echo.port, 7);
    assert_false(cfg.services.tcp_discard.enabled);
    assert_int_equal(cfg.services.tcp_discard.port, 9);
    assert_false(cfg.services.tcp_chargen.enabled);
    assert_int_equal(cfg.services.tcp_chargen.port, 19);
    assert_memory_equal(&cfg.stack, &st, sizeof st);
}

static void test_log_level_names(void **state)
{
    static const char *const names[] = {"error", "warning", "info", "debug"};
    static const int levels[] = {STACK_LOG_ERR, STACK_LOG_WARN, STACK_LOG_INFO, STACK_LOG_DEBUG};

    (void)state;
    for (size_t i = 0; i < 4; i++) {
        assert_int_equal(config_log_level_parse(names[i]), levels[i]);
        assert_string_equal(config_log_level_name(levels[i]), names[i]);
    }
    assert_int_equal(config_log_level_parse("INFO"), -1);
    assert_int_equal(config_log_level_parse("warn"), -1);
    assert_int_equal(config_log_level_parse(""), -1);
    assert_int_equal(config_log_level_parse(NULL), -1);
    assert_string_equal(config_log_level_name(0), "unknown");
    assert_string_equal(config_log_level_name(99), "unknown");
}

static void test_default_file(void **state)
{
    struct tcpipd_config cfg;
    struct stack_config st;
    char err[CONF_ERR_LEN] = "";
    const struct conf_iface *ifc;
    const struct eth_addr mac = {{0x02, 0x00, 0x00, 0x77, 0x00, 0x02}};

    (void)state;
    if (config_load_file("conf/default.json", &cfg, err, sizeof err) != 0)
        fail_msg("conf/default.json: %s", err);
    stack_config_defaults(&st);
    assert_int_equal(cfg.log_level, STACK_LOG_INFO);
    assert_int_equal(cfg.n_ifaces, 1);
    ifc = &cfg.ifaces[0];
    assert_string_equal(ifc->name, "tcpip0");
    assert_true(ifc->has_mac);
    assert_memory_equal(ifc->mac.b, mac.b, 6);
    assert_int_equal(ifc->mtu, 1500);
    assert_true(ifc->has_ipv4);
    assert_int_equal(ifc->ipv4_addr, 0x0a4d0002);
    assert_int_equal(ifc->ipv4_prefix_len, 24);
    assert_int_equal(ifc->ipv4_gateway, 0); /* nothing routes beyond the demo subnet */
    assert_int_equal(ifc->n_neigh, 0);
    assert_true(ifc->host.configure);
    assert_true(ifc->host.has_ipv4);
    assert_int_equal(ifc->host.ipv4_addr, 0x0a4d0001);
    assert_int_equal(ifc->host.ipv4_prefix_len, 24);
    assert_true(cfg.services.udp_echo.enabled);
    assert_int_equal(cfg.services.udp_echo.port, 7);
    assert_true(cfg.services.udp_discard.enabled);
    assert_int_equal(cfg.services.udp_discard.port, 9);
    assert_true(cfg.services.tcp_echo.enabled);
    assert_int_equal(cfg.services.tcp_echo.port, 7);
    assert_true(cfg.services.tcp_discard.enabled);
    assert_int_equal(cfg.services.tcp_discard.port, 9);
    assert_true(cfg.services.tcp_chargen.enabled);
    assert_int_equal(cfg.services.tcp_chargen.port, 19);
    assert_memory_equal(&cfg.stack, &st, sizeof st);
}

static void test_example_files_load(void **state)
{
    glob_t g;

    (void)state;
    assert_int_equal(glob("conf/examples/*.json", 0, NULL, &g), 0);
    assert_true(g.gl_pathc >= 1);
    for (size_t i = 0; i < g.gl_pathc; i++) {
        struct tcpipd_config cfg;
        char err[CONF_ERR_LEN] = "";
        if (config_load_file(g.gl_pathv[i], &cfg, err, sizeof err) != 0) {
            globfree(&g);
            fail_msg("%s", err);
        }
        assert_true(cfg.n_ifaces >= 1);
    }
    globfree(&g);
}

/* The full example in section 8 of the reference must stay loadable. */
static void test_reference_example_loads(void **state)
{
    struct tcpipd_config cfg;
    char err[CONF_ERR_LEN] = "";
    FILE *f = fopen("conf/REFERENCE.md", "r");
    static char text[64 * 1024];
    size_t n;
    char *sect, *start, *end;

    (void)state;
    assert_non_null(f);
    n = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[n] = '\0';
    sect = strstr(text, "\n## 8. ");
    assert_non_null(sect);
    start = strstr(sect, "```json\n");
    assert_non_null(start);
    start += 8;
    end = strstr(start, "```");
    assert_non_null(end);
    *end = '\0';
    if (config_load_string(start, &cfg, err, sizeof err) != 0)
        fail_msg("conf/REFERENCE.md section 8: %s", err);
    assert_int_equal(cfg.n_ifaces, 1);
    assert_int_equal(cfg.ifaces[0].n_neigh, 1);
    assert_int_equal(cfg.ifaces[0].ipv4_gateway, 0x0a4d0001);
}

static void test_minimal_gets_defaults(void **state)
{
    struct tcpipd_config cfg;
    struct stack_config st;
    const struct conf_iface *ifc = &cfg.ifaces[0];

    (void)state;
    cf_load_ok(cf_J("{'interfaces': [{'name': 'tcpip0'}]}"), &cfg);
    stack_config_defaults(&st);
    assert_int_equal(cfg.log_level, STACK_LOG_INFO);
    assert_int_equal(cfg.n_ifaces, 1);
    assert_string_equal(ifc->name, "tcpip0");
    assert_false(ifc->has_mac); /* "auto" */
    assert_int_equal(ifc->mtu, 1500);
    assert_false(ifc->has_ipv4);
    assert_int_equal(ifc->ipv4_gateway, 0);
    assert_int_equal(ifc->n_neigh, 0);
    assert_false(ifc->host.configure);
    assert_false(ifc->host.has_ipv4);
    assert_false(cfg.services.udp_echo.enabled);
    assert_int_equal(cfg.services.udp_echo.port, 7);
    assert_false(cfg.services.udp_discard.enabled);
    assert_int_equal(cfg.services.udp_discard.port, 9);
    assert_memory_equal(&cfg.stack, &st, sizeof st);

    /* Empty sections are fine and change nothing; "auto" is the default. */
    cf_load_ok(cf_doc("'mac': 'auto', 'neighbors': [], 'host': {}",
                      "'services': {'udp_echo': {}, 'udp_discard': {}, 'tcp_echo': {},"
                      "             'tcp_discard': {}, 'tcp_chargen': {}}, "
                      "'stack': {'arp': {}, 'ip': {}, 'icmp': {}, 'udp': {}, 'tcp': {}}"),
            &cfg);
    assert_false(cfg.ifaces[0].has_mac);
    assert_false(cfg.services.udp_echo.enabled);
    assert_false(cfg.services.tcp_echo.enabled);
    assert_int_equal(cfg.services.tcp_chargen.port, 19);
    assert_memory_equal(&cfg.stack, &st, sizeof st);
}

static void test_full_config_values(void **state)
{
    struct tcpipd_config cfg;
    const struct conf_iface *a = &cfg.ifaces[0], *b = &cfg.ifaces[1];
    const struct eth_addr mac9 = {{0x02, 0x00, 0x00, 0x77, 0x00, 0x09}};
    const struct eth_addr macB = {{0x02, 0xab, 0xcd, 0xef, 0x00, 0x01}};

    (void)state;
    cf_load_ok(cf_J("{'log_level': 'debug',"
                    " 'interfaces': ["
                    "  {'name': 'tcpip0', 'mac': '02:AB:cd:EF:00:01', 'mtu': 9000,"
                    "   'ipv4': {'address': '10.77.0.2/24', 'gateway': '10.77.0.1'},"
                    "   'neighbors': [{'ip': '10.77.0.9', 'mac': '02:00:00:77:00:09'},"
                    "                 {'ip': '10.77.0.10', 'mac': '02:00:00:77:00:0a'}],"
                    "   'host': {'configure': false, 'ipv4': '10.77.0.1/24'}},"
                    "  {'name': 'tap-b_2', 'mtu': 68, 'ipv4': {'address': '10.77.1.1/31'},"
                    "   'host': {'configure': true}}],"
                    " 'services': {'udp_echo': {'enabled': true, 'port': 7007},"
                    "              'udp_discard': {'enabled': false, 'port': 7007}},"
                    " 'stack': {'arp': {'cache_size': 1024, 'reachable_ms': 60000, 'retry_ms': 250,"
                    "                   'max_retries': 20, 'pending_max': 0,"
                    "                   'pending_per_entry': 3},"
                    "           'ip': {'default_ttl': 255},"
                    "           'icmp': {'rate_limit_per_sec': 0, 'burst': 1000000},"
                    "           'udp': {'rcvbuf_bytes': 67108864}}}"),
            &cfg);
    assert_int_equal(cfg.log_level, STACK_LOG_DEBUG);
    assert_int_equal(cfg.n_ifaces, 2);
    assert_string_equal(a->name, "tcpip0");
    assert_true(a->has_mac);
    assert_memory_equal(a->mac.b, macB.b, 6);
    assert_int_equal(a->mtu, 9000);
    assert_int_equal(a->ipv4_addr, 0x0a4d0002);
    assert_int_equal(a->ipv4_prefix_len, 24);
    assert_int_equal(a->ipv4_gateway, 0x0a4d0001);
    assert_int_equal(a->n_neigh, 2);
    assert_int_equal(a->neigh[0].ip, 0x0a4d0009);
    assert_memory_equal(a->neigh[0].mac.b, mac9.b, 6);
    assert_int_equal(a->neigh[1].ip, 0x0a4d000a);
    assert_int_equal(a->neigh[1].mac.b[5], 0x0a);
    assert_false(a->host.configure);
    assert_true(a->host.has_ipv4);
    assert_int_equal(a->host.ipv4_addr, 0x0a4d0001);

    assert_string_equal(b->name, "tap-b_2");
    assert_false(b->has_mac);
    assert_int_equal(b->mtu, 68);
    assert_int_equal(b->ipv4_addr, 0x0a4d0101);
    assert_int_equal(b->ipv4_prefix_len, 31); /* RFC 3021: both addresses usable */
    assert_true(b->host.configure);
    assert_false(b->host.has_ipv4);

    /* Ports may coincide when one of the services is off. */
    assert_true(cfg.services.udp_echo.enabled);
    assert_int_equal(cfg.services.udp_echo.port, 7007);
    assert_false(cfg.services.udp_discard.enabled);
    assert_int_equal(cfg.services.udp_discard.port, 7007);

    assert_int_equal(cfg.stack.arp_cache_size, 1024);
    assert_int_equal(cfg.stack.arp_reachable_ns, 60000 * NS_PER_MS);
    assert_int_equal(cfg.stack.arp_retry_ns, 250 * NS_PER_MS);
    assert_int_equal(cfg.stack.arp_max_retries, 20);
    assert_int_equal(cfg.stack.arp_pending_max, 0);
    assert_int_equal(cfg.stack.arp_pending_per_entry, 3);
    assert_int_equal(cfg.stack.ip_default_ttl, 255);
    assert_int_equal(cfg.stack.icmp_rate_per_sec, 0); /* 0 = no rate limit */
    assert_int_equal(cfg.stack.icmp_burst, 1000000);
    assert_int_equal(cfg.stack.udp_rcvbuf, 67108864);
    assert_null(cfg.stack.log);

    /* Exponent notation is still an integer; /32 and /0 are prefixes. */
    cf_load_ok(cf_doc("'mtu': 1.5e3, 'ipv4': {'address': '10.77.0.2/32'}", ""), &cfg);
    assert_int_equal(cfg.ifaces[0].mtu, 1500);
    assert_int_equal(cfg.ifaces[0].ipv4_prefix_len, 32);
    cf_load_ok(cf_doc("'ipv4': {'address': '10.77.0.2/0'}", ""), &cfg);
    assert_int_equal(cfg.ifaces[0].ipv4_prefix_len, 0);
}

/* ---- syntax ---- */

static void test_invalid_json_line_col(void **state)
{
    struct tcpipd_config cfg, before;
    char err[CONF_ERR_LEN];
    const char *text = "{\n  \"interfaces\": [\n    {\"name\": tcpip0}\n  ]\n}\n";
    char *name;
    char expect[256];

    (void)state;
    memset(&cfg, 0x33, sizeof cfg);
    memcpy(&before, &cfg, sizeof cfg);
    assert_int_equal(config_load_string(text, &cfg, err, sizeof err), -1);
    /* cJSON stops at the unquoted word: line 3, column 14. */
    assert_string_equal(err, "line 3, column 14: invalid JSON near '    {\"name\": tcpip0}'");
    assert_memory_equal(&cfg, &before, sizeof cfg);

    /* From a file, GNU style "FILE:LINE:COL: ". */
    name = temp_file(text, strlen(text));
    snprintf(expect, sizeof expect, "%s:3:14: invalid JSON near '", name);
    EXPECT_FILE_ERROR(name, expect, "tcpip0");
    unlink(name);
    free(name);

    /* Other syntax errors: trailing junk, unclosed object, bare key. */
    assert_int_equal(config_load_string("{} x", &cfg, err, sizeof err), -1);
    assert_string_equal(err, "line 1, column 4: invalid JSON near '{} x'");
    assert_int_equal(config_load_string("{\"interfaces\": [", &cfg, err, sizeof err), -1);
    assert_non_null(strstr(err, "line 1, column "));
    assert_non_null(strstr(err, "invalid JSON"));
    assert_int_equal(config_load_string("{\n\n interfaces: []}", &cfg, err, sizeof err), -1);
    assert_non_null(strstr(err, "line 3, column 3: invalid JSON near ' interfaces"));
    /* Columns count characters, not bytes. */
    assert_int_equal(config_load_string("{\"\xc3\xa9\xc3\xa9\": x}", &cfg, err, sizeof err), -1);
    assert_non_null(strstr(err, "line 1, column 8: "));
    assert_memory_equal(&cfg, &before, sizeof cfg);
}

static void test_empty_document(void **state)
{
    char *name;
    char expect[256];

    (void)state;
    EXPECT_ERROR("", "top level", "the document is empty");
    EXPECT_ERROR(" \n\t\r\n", "top level", "the document is empty");
    name = temp_file("", 0);
    snprintf(expect, sizeof expect, "%s: top level: ", name);
    EXPECT_FILE_ERROR(name, expect, "the document is empty");
    unlink(name);
    free(name);
}

static void test_top_level_not_object(void **state)
{
    (void)state;
    EXPECT_ERROR("[]", "top level", "expected an object, got an array");
    EXPECT_ERROR("\"tcpip0\"", "top level", "expected an object, got a string");
    EXPECT_ERROR("42", "top level", "expected an object, got a number");
    EXPECT_ERROR("true", "top level", "expected an object, got a boolean");
    EXPECT_ERROR("null", "top level", "expected an object, got null");
}

static void test_nul_bytes(void **state)
{
    static const char text[] = "{\"interfaces\": [{\"name\": \"tcp\0ip0\"}]}";
    char *name;
    char expect[256];

    (void)state;
    /* A raw NUL inside a file: cJSON would stop reading there. */
    name = temp_file(text, sizeof text - 1);
    snprintf(expect, sizeof expect, "%s:1:30: ", name);
    EXPECT_FILE_ERROR(name, expect, "NUL byte");
    unlink(name);
    free(name);

    /* An escaped NUL would silently cut the name to "tcp". */
    {
        struct tcpipd_config cfg, before;
        char err[CONF_ERR_LEN];
        memset(&cfg, 0x11, sizeof cfg);
        memcpy(&before, &cfg, sizeof cfg);
        assert_int_equal(config_load_string(cf_J("{'interfaces': [{'name': 'tcp\\u0000x'}]}"), &cfg,
                                            err, sizeof err),
                         -1);
        assert_string_equal(err, "line 1, column 30: \\u0000 is not allowed in a string");
        assert_memory_equal(&cfg, &before, sizeof cfg);
    }
    /* An escaped backslash before "u0000" is not an escape of NUL. */
    EXPECT_ERROR(cf_doc("'mac': '\\\\u0000'", ""), "interfaces[0].mac", "is not a MAC address");
}

/* ---- keys ---- */

static void test_unknown_keys_every_level(void **state)
{
    (void)state;
    EXPECT_ERROR(cf_doc("", "'loglevel': 'info'"), "loglevel",
                 "unknown key (expected one of: log_level, ");
    EXPECT_ERROR(cf_doc("'MTU': 1500", ""), "interfaces[0].MTU", "unknown key");
    EXPECT_ERROR(cf_doc("'ipv4': {'address': '10.77.0.2/24', 'netmask': '255.255.255.0'}", ""),
                 "interfaces[0].ipv4.netmask", "unknown key (expected one of: address, addresses, gateway, dhcp)");
    EXPECT_ERROR(cf_doc4("'neighbors': [{'ip': '10.77.0.9', 'mac': '02:00:00:77:00:09', 'dev': 'x'}]"),
                 "interfaces[0].neighbors[0].dev", "unknown key");
    EXPECT_ERROR(cf_doc("'host': {'up': true}", ""), "interfaces[0].host.up", "unknown key");
    EXPECT_ERROR(cf_doc("", "'services': {'tcp_daytime': {}}"), "services.tcp_daytime",
                 "unknown key (expected one of: udp_echo, udp_discard, tcp_echo, tcp_discard, "
                 "tcp_chargen)");
    EXPECT_ERROR(cf_doc("", "'services': {'tcp_chargen': {'enable': true}}"),
                 "services.tcp_chargen.enable", "unknown key (expected one of: enabled, port)");
    EXPECT_ERROR(cf_doc("", "'services': {'udp_echo': {'enable': true}}"),
                 "services.udp_echo.enable", "unknown key (expected one of: enabled, port)");
    EXPECT_ERROR(cf_doc("", "'stack': {'sctp': {}}"), "stack.sctp",
                 "unknown key (expected one of: arp, ip, icmp, udp, tcp)");
    EXPECT_ERROR(cf_doc("", "'stack': {'tcp': {'nagle': true}}"), "stack.tcp.nagle",
                 "unknown key (expected one of: sndbuf, rcvbuf, max_conns");
    EXPECT_ERROR(cf_doc("", "'stack': {'tcp': {'rcvbuf_bytes': 4096}}"), "stack.tcp.rcvbuf_bytes",
                 "unknown key");
    EXPECT_ERROR(cf_doc("", "'stack': {'tcp': {'SACK': true}}"), "stack.tcp.SACK", "unknown key");
    EXPECT_ERROR(cf_doc("", "'stack': {'arp': {'foo': 1}}"), "stack.arp.foo", "unknown key");
    EXPECT_ERROR(cf_doc("", "'stack': {'ip': {'ttl': 64}}"), "stack.ip.ttl", "unknown key");
    EXPECT_ERROR(cf_doc("", "'stack': {'icmp': {'rate': 1}}"), "stack.icmp.rate", "unknown key");
    EXPECT_ERROR(cf_doc("", "'stack': {'udp': {'rcvbuf': 4096}}"), "stack.udp.rcvbuf", "unknown key");
    /* Odd keys are quoted, so a trailing space or a newline shows. */
    EXPECT_ERROR(cf_doc("'mtu ': 1500", ""), "interfaces[0][\"mtu \"]", "unknown key");
    EXPECT_ERROR(cf_doc("'a\\nb': 1", ""), "interfaces[0][\"a\\nb\"]", "unknown key");
    EXPECT_ERROR(cf_doc("'': 1", ""), "interfaces[0][\"\"]", "unknown key");
}

static void test_duplicate_keys(void **state)
{
    (void)state;
    EXPECT_ERROR(cf_J("{'log_level': 'info', 'interfaces': [{'name': 'tcpip0'}], 'log_level': 'debug'}"),
                 "log_level", "duplicate key");
    EXPECT_ERROR(cf_doc("'mtu': 1500, 'mtu': 9000", ""), "interfaces[0].mtu", "duplicate key");
    EXPECT_ERROR(cf_doc("", "'stack': {'arp': {'retry_ms': 100, 'retry_ms': 200}}"),
                 "stack.arp.retry_ms", "duplicate key");
    EXPECT_ERROR(cf_doc("", "'services': {'udp_echo': {}, 'udp_echo': {}}"), "services.udp_echo",
                 "duplicate key");
}

static void test_wrong_types(void **state)
{
    (void)state;
    EXPECT_ERROR(cf_J("{'interfaces': [{'name': 7}]}"), "interfaces[0].name",
                 "expected a string, got a number");
    EXPECT_ERROR(cf_doc("'mtu': '1500'", ""), "interfaces[0].mtu", "expected a number, got a string");
    EXPECT_ERROR(cf_doc("'mtu': true", ""), "interfaces[0].mtu", "expected a number, got a boolean");
    EXPECT_ERROR(cf_doc("'mtu': null", ""), "interfaces[0].mtu", "expected a number, got null");
    EXPECT_ERROR(cf_doc("'host': {'configure': 'yes'}", ""), "interfaces[0].host.configure",
                 "expected a boolean (true or false), got a string");
    EXPECT_ERROR(cf_doc("'host': {'configure': 1}", ""), "interfaces[0].host.configure",
                 "expected a boolean (true or false), got a number");
    EXPECT_ERROR(cf_J("{'interfaces': {'name': 'tcpip0'}}"), "interfaces",
                 "expected an array, got an object");
    EXPECT_ERROR(cf_J("{'interfaces': ['tcpip0']}"), "interfaces[0]",
                 "expected an object, got a string");
    EXPECT_ERROR(cf_doc("'ipv4': '10.77.0.2/24'", ""), "interfaces[0].ipv4",
                 "expected an object, got a string");
    EXPECT_ERROR(cf_doc("'neighbors': {}", ""), "interfaces[0].neighbors",
                 "expected an array, got an object");
    EXPECT_ERROR(cf_doc4("'neighbors': [['10.77.0.9']]"), "interfaces[0].neighbors[0]",
                 "expected an object, got an array");
    EXPECT_ERROR(cf_doc("'mac': ['02:00:00:77:00:02']", ""), "interfaces[0].mac",
                 "expected a string, got an array");
    EXPECT_ERROR(cf_doc("", "'log_level': 6"), "log_level", "expected a string, got a number");
    EXPECT_ERROR(cf_doc("", "'services': []"), "services", "expected an object, got an array");
    EXPECT_ERROR(cf_doc("", "'services': {'udp_echo': true}"), "services.udp_echo",
                 "expected an object, got a boolean");
    EXPECT_ERROR(cf_doc("", "'stack': {'arp': []}"), "stack.arp", "expected an object, got an array");
    EXPECT_ERROR(cf_doc("", "'stack': {'udp': {'rcvbuf_bytes': '64k'}}"), "stack.udp.rcvbuf_bytes",
                 "expected a number, got a string");
}

static void test_missing_required_keys(void **state)
{
    (void)state;
    EXPECT_ERROR("{}", "interfaces", "required key is missing");
    EXPECT_ERROR(cf_J("{'log_level': 'info'}"), "interfaces", "required key is missing");
    EXPECT_ERROR(cf_J("{'interfaces': [{'mtu': 1500}]}"), "interfaces[0].name",
                 "required key is missing");
    EXPECT_ERROR(cf_doc("'ipv4': {'gateway': '10.77.0.1'}", ""), "interfaces[0].ipv4.address",
                 "required key is missing");
    EXPECT_ERROR(cf_doc4("'neighbors': [{'mac': '02:00:00:77:00:09'}]"),
                 "interfaces[0].neighbors[0].ip", "required key is missing");
    EXPECT_ERROR(cf_doc4("'neighbors': [{'ip': '10.77.0.9'}]"), "interfaces[0].neighbors[0].mac",
                 "required key is missing");
}

/* ---- files ---- */

static void test_unreadable_file(void **state)
{
    (void)state;
    EXPECT_FILE_ERROR("/nonexistent/tcpipd.json",
                      "/nonexistent/tcpipd.json: cannot read: No such file or directory", "");
    EXPECT_FILE_ERROR("conf", "conf: cannot read: Is a directory", "");
}

static void test_oversized_file(void **state)
{
    size_t len = MiB + 1;
    char *text = malloc(len + 1);
    char *name;
    char expect[256];

    (void)state;
    assert_non_null(text);
    /* Valid JSON apart from its size: the cap, not the parser, refuses it. */
    memset(text, ' ', len);
    memcpy(text, "{\"interfaces\": [{\"name\": \"tcpip0\"}]}", 36);
    text[len] = '\0';
    name = temp_file(text, len);
    snprintf(expect, sizeof expect, "%s: file is too large (1048577 bytes, at most 1048576)", name);
    EXPECT_FILE_ERROR(name, expect, "");
    unlink(name);
    free(name);

    /* Exactly at the cap loads. */
    {
        struct tcpipd_config cfg;
        char err[CONF_ERR_LEN];
        name = temp_file(text, MiB);
        assert_int_equal(config_load_file(name, &cfg, err, sizeof err), 0);
        unlink(name);
        free(name);
    }

    /* Strings are held to the same cap. */
    EXPECT_ERROR(text, "top level", "the document is too large (1048577 bytes, at most 1048576)");
    free(text);
}

static void test_file_error_prefix(void **state)
{
    const char *text = "{\"interfaces\": [{\"name\": \"tcpip0\", \"mtu\": 70000}]}";
    char *name = temp_file(text, strlen(text));
    char expect[256];

    (void)state;
    snprintf(expect, sizeof expect,
             "%s: interfaces[0].mtu: 70000 is out of range (expected 68..9000)", name);
    EXPECT_FILE_ERROR(name, expect, "");
    unlink(name);
    free(name);
}

/* ---- robustness ---- */

static void test_error_buffer_sizes(void **state)
{
    struct tcpipd_config cfg;
    char err[8];
    const char *bad = cf_J("{'interfaces': []}");

    (void)state;
    memset(err, 'x', sizeof err);
    assert_int_equal(config_load_string(bad, &cfg, err, sizeof err), -1);
    assert_string_equal(err, "interfa"); /* truncated, terminated */
    memset(err, 'x', sizeof err);
    assert_int_equal(config_load_string(bad, &cfg, err, 1), -1);
    assert_int_equal(err[0], '\0');
    assert_int_equal(err[1], 'x');
    assert_int_equal(config_load_string(bad, &cfg, NULL, 0), -1);
    assert_int_equal(config_load_file("/nonexistent", &cfg, NULL, 0), -1);
    assert_int_equal(config_load_string(NULL, &cfg, err, sizeof err), -1);
}

/* Random byte flips, insertions and cuts of the default config, fixed seed:
 * every outcome is a clean success or a one-line error with *cfg intact. */
static void test_mutations(void **state)
{
    static const char base[] =
        "{\"log_level\": \"info\", \"interfaces\": [{\"name\": \"tcpip0\", \"mac\": "
        "\"02:00:00:77:00:02\", \"mtu\": 1500, \"ipv4\": {\"address\": \"10.77.0.2/24\", "
        "\"gateway\": \"10.77.0.1\"}, \"neighbors\": [{\"ip\": \"10.77.0.9\", \"mac\": "
        "\"02:00:00:77:00:09\"}], \"host\": {\"configure\": true, \"ipv4\": \"10.77.0.1/24\"}}], "
        "\"services\": {\"udp_echo\": {\"enabled\": true, \"port\": 7}}, \"stack\": {\"arp\": "
        "{\"cache_size\": 16, \"retry_ms\": 500}, \"ip\": {\"default_ttl\": 64}}}";
    static const char alphabet[] = "{}[]\":,.0123456789-+eE/\\ntfu \x01\xff";
    uint32_t seed = 12345;
    int ok = 0, bad = 0;

    (void)state;
    for (int iter = 0; iter < 5000; iter++) {
        char text[sizeof base + 16];
        struct tcpipd_config cfg, before;
        char err[CONF_ERR_LEN] = "";
        size_t len = sizeof base - 1;
        int n_edits;

        memcpy(text, base, sizeof base);
        seed = seed * 1103515245u + 12345u;
        n_edits = 1 + (int)(seed >> 16) % 3;
        for (int e = 0; e < n_edits && len > 0; e++) {
            size_t pos;
            seed = seed * 1103515245u + 12345u;
            pos = (seed >> 8) % len;
            seed = seed * 1103515245u + 12345u;
            switch ((seed >> 16) % 3) {
            case 0: /* replace */
                text[pos] = alphabet[(seed >> 4) % (sizeof alphabet - 1)];
                break;
            case 1: /* delete */
                memmove(text + pos, text + pos + 1, len - pos);
                len--;
                break;
            default: /* cut */
                text[pos] = '\0';
                len = pos;
                break;
            }
        }
        memset(&cfg, 0x77, sizeof cfg);
        memcpy(&before, &cfg, sizeof cfg);
        if (config_load_string(text, &cfg, err, sizeof err) == 0) {
            ok++;
            assert_true(cfg.n_ifaces >= 1 && cfg.n_ifaces <= CONF_MAX_IFACES);
        } else {
            bad++;
            assert_true(err[0] != '\0');
            assert_null(strchr(err, '\n'));
            assert_memory_equal(&cfg, &before, sizeof cfg);
        }
    }
    assert_true(bad > 0);
    assert_true(ok > 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_log_level_names),
        cmocka_unit_test(test_default_file),
        cmocka_unit_test(test_example_files_load),
        cmocka_unit_test(test_reference_example_loads),
        cmocka_unit_test(test_minimal_gets_defaults),
        cmocka_unit_test(test_full_config_values),
        cmocka_unit_test(test_invalid_json_line_col),
        cmocka_unit_test(test_empty_document),
        cmocka_unit_test(test_top_level_not_object),
        cmocka_unit_test(test_nul_bytes),
        cmocka_unit_test(test_unknown_keys_every_level),
        cmocka_unit_test(test_duplicate_keys),
        cmocka_unit_test(test_wrong_types),
        cmocka_unit_test(test_missing_required_keys),
        cmocka_unit_test(test_unreadable_file),
        cmocka_unit_test(test_oversized_file),
        cmocka_unit_test(test_file_error_prefix),
        cmocka_unit_test(test_error_buffer_sizes),
        cmocka_unit_test(test_mutations),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
