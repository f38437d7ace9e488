/* test_config.c - the JSON configuration loader (daemon/config.c).
 *
 * Good configs load with the documented values; every class of bad input
 * fails with "KEYPATH: PROBLEM" naming the right key, and leaves *cfg
 * exactly as it was. Runs from the repo root (tests/run.sh cds there), so
 * the shipped configs are at conf/. */
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

#define MiB (1024 * 1024)

/* Tests write JSON with single quotes to stay readable; this turns them
 * into double quotes. The result lives until the next call. */
static const char *J(const char *s)
{
    static char buf[64 * 1024];
    size_t n = strlen(s);

    assert_true(n < sizeof buf);
    for (size_t i = 0; i <= n; i++)
        buf[i] = s[i] == '\'' ? '"' : s[i];
    return buf;
}

/* A document with one interface "tcpip0" whose other members are
 * iface_rest (may be ""), and extra top-level members top_rest. */
static const char *doc(const char *iface_rest, const char *top_rest)
{
    static char buf[64 * 1024];
    int n = snprintf(buf, sizeof buf, "{'interfaces': [{'name': 'tcpip0'%s%s}]%s%s}",
                     iface_rest[0] ? ", " : "", iface_rest, top_rest[0] ? ", " : "", top_rest);

    assert_true(n > 0 && (size_t)n < sizeof buf);
    return J(buf);
}

/* An interface with an IPv4 address, plus iface_rest. */
static const char *doc4(const char *iface_rest)
{
    static char buf[64 * 1024];
    int n = snprintf(buf, sizeof buf, "'ipv4': {'address': '10.77.0.2/24'}%s%s",
                     iface_rest[0] ? ", " : "", iface_rest);

    assert_true(n > 0 && (size_t)n < sizeof buf);
    return doc(buf, "");
}

static void load_ok(const char *json, struct tcpipd_config *cfg)
{
    char err[CONF_ERR_LEN] = "";
    int rc = config_load_string(json, cfg, err, sizeof err);

    if (rc != 0)
        print_error("unexpected error: %s\n  in: %s\n", err, json);
    assert_int_equal(rc, 0);
}

/* The load fails, the message starts with "path: " and contains phrase,
 * is one line, and *cfg is byte for byte what it was before. */
static void check_error(int rc, const struct tcpipd_config *before, const struct tcpipd_config *after,
                        const char *err, const char *path, const char *phrase, const char *what,
                        const char *file, int line)
{
    size_t plen = strlen(path);
    bool ok = rc == -1 && memcmp(before, after, sizeof *before) == 0 &&
              strncmp(err, path, plen) == 0 && err[plen] == ':' && err[plen + 1] == ' ' &&
              strstr(err + plen, phrase) != NULL && strchr(err, '\n') == NULL;

    if (!ok) {
        print_error("%s:%d: rc=%d, cfg %s\n  error:    %s\n  expected: %s: ...%s...\n  input:    %s\n",
                    file, line, rc,
                    memcmp(before, after, sizeof *before) == 0 ? "untouched" : "MODIFIED", err,
                    path, phrase, what);
        _fail(file, line);
    }
}

static void expect_error_at(const char *json, const char *path, const char *phrase,
                            const char *file, int line)
{
    struct tcpipd_config cfg, before;
    char err[CONF_ERR_LEN] = "";
    int rc;

    memset(&cfg, 0xa5, sizeof cfg);
    memcpy(&before, &cfg, sizeof cfg);
    rc = config_load_string(json, &cfg, err, sizeof err);
    check_error(rc, &before, &cfg, err, path, phrase, json, file, line);
}

#define EXPECT_ERROR(json, path, phrase) expect_error_at(json, path, phrase, __FILE__, __LINE__)

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
    load_ok(J("{'interfaces': [{'name': 'tcpip0'}]}"), &cfg);
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
    load_ok(doc("'mac': 'auto', 'neighbors': [], 'host': {}",
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
    load_ok(J("{'log_level': 'debug',"
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
              "                   'max_retries': 20, 'pending_max': 0},"
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
    assert_int_equal(cfg.stack.ip_default_ttl, 255);
    assert_int_equal(cfg.stack.icmp_rate_per_sec, 0); /* 0 = no rate limit */
    assert_int_equal(cfg.stack.icmp_burst, 1000000);
    assert_int_equal(cfg.stack.udp_rcvbuf, 67108864);
    assert_null(cfg.stack.log);

    /* Exponent notation is still an integer; /32 and /0 are prefixes. */
    load_ok(doc("'mtu': 1.5e3, 'ipv4': {'address': '10.77.0.2/32'}", ""), &cfg);
    assert_int_equal(cfg.ifaces[0].mtu, 1500);
    assert_int_equal(cfg.ifaces[0].ipv4_prefix_len, 32);
    load_ok(doc("'ipv4': {'address': '10.77.0.2/0'}", ""), &cfg);
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
        assert_int_equal(config_load_string(J("{'interfaces': [{'name': 'tcp\\u0000x'}]}"), &cfg,
                                            err, sizeof err),
                         -1);
        assert_string_equal(err, "line 1, column 30: \\u0000 is not allowed in a string");
        assert_memory_equal(&cfg, &before, sizeof cfg);
    }
    /* An escaped backslash before "u0000" is not an escape of NUL. */
    EXPECT_ERROR(doc("'mac': '\\\\u0000'", ""), "interfaces[0].mac", "is not a MAC address");
}

/* ---- keys ---- */

static void test_unknown_keys_every_level(void **state)
{
    (void)state;
    EXPECT_ERROR(doc("", "'loglevel': 'info'"), "loglevel",
                 "unknown key (expected one of: log_level, ");
    EXPECT_ERROR(doc("'MTU': 1500", ""), "interfaces[0].MTU", "unknown key");
    EXPECT_ERROR(doc("'ipv4': {'address': '10.77.0.2/24', 'netmask': '255.255.255.0'}", ""),
                 "interfaces[0].ipv4.netmask", "unknown key (expected one of: address, gateway)");
    EXPECT_ERROR(doc4("'neighbors': [{'ip': '10.77.0.9', 'mac': '02:00:00:77:00:09', 'dev': 'x'}]"),
                 "interfaces[0].neighbors[0].dev", "unknown key");
    EXPECT_ERROR(doc("'host': {'up': true}", ""), "interfaces[0].host.up", "unknown key");
    EXPECT_ERROR(doc("", "'services': {'tcp_daytime': {}}"), "services.tcp_daytime",
                 "unknown key (expected one of: udp_echo, udp_discard, tcp_echo, tcp_discard, "
                 "tcp_chargen)");
    EXPECT_ERROR(doc("", "'services': {'tcp_chargen': {'enable': true}}"),
                 "services.tcp_chargen.enable", "unknown key (expected one of: enabled, port)");
    EXPECT_ERROR(doc("", "'services': {'udp_echo': {'enable': true}}"),
                 "services.udp_echo.enable", "unknown key (expected one of: enabled, port)");
    EXPECT_ERROR(doc("", "'stack': {'sctp': {}}"), "stack.sctp",
                 "unknown key (expected one of: arp, ip, icmp, udp, tcp)");
    EXPECT_ERROR(doc("", "'stack': {'tcp': {'nagle': true}}"), "stack.tcp.nagle",
                 "unknown key (expected one of: sndbuf, rcvbuf, max_conns");
    EXPECT_ERROR(doc("", "'stack': {'tcp': {'rcvbuf_bytes': 4096}}"), "stack.tcp.rcvbuf_bytes",
                 "unknown key");
    EXPECT_ERROR(doc("", "'stack': {'tcp': {'SACK': true}}"), "stack.tcp.SACK", "unknown key");
    EXPECT_ERROR(doc("", "'stack': {'arp': {'foo': 1}}"), "stack.arp.foo", "unknown key");
    EXPECT_ERROR(doc("", "'stack': {'ip': {'ttl': 64}}"), "stack.ip.ttl", "unknown key");
    EXPECT_ERROR(doc("", "'stack': {'icmp': {'rate': 1}}"), "stack.icmp.rate", "unknown key");
    EXPECT_ERROR(doc("", "'stack': {'udp': {'rcvbuf': 4096}}"), "stack.udp.rcvbuf", "unknown key");
    /* Odd keys are quoted, so a trailing space or a newline shows. */
    EXPECT_ERROR(doc("'mtu ': 1500", ""), "interfaces[0][\"mtu \"]", "unknown key");
    EXPECT_ERROR(doc("'a\\nb': 1", ""), "interfaces[0][\"a\\nb\"]", "unknown key");
    EXPECT_ERROR(doc("'': 1", ""), "interfaces[0][\"\"]", "unknown key");
}

static void test_duplicate_keys(void **state)
{
    (void)state;
    EXPECT_ERROR(J("{'log_level': 'info', 'interfaces': [{'name': 'tcpip0'}], 'log_level': 'debug'}"),
                 "log_level", "duplicate key");
    EXPECT_ERROR(doc("'mtu': 1500, 'mtu': 9000", ""), "interfaces[0].mtu", "duplicate key");
    EXPECT_ERROR(doc("", "'stack': {'arp': {'retry_ms': 100, 'retry_ms': 200}}"),
                 "stack.arp.retry_ms", "duplicate key");
    EXPECT_ERROR(doc("", "'services': {'udp_echo': {}, 'udp_echo': {}}"), "services.udp_echo",
                 "duplicate key");
}

static void test_wrong_types(void **state)
{
    (void)state;
    EXPECT_ERROR(J("{'interfaces': [{'name': 7}]}"), "interfaces[0].name",
                 "expected a string, got a number");
    EXPECT_ERROR(doc("'mtu': '1500'", ""), "interfaces[0].mtu", "expected a number, got a string");
    EXPECT_ERROR(doc("'mtu': true", ""), "interfaces[0].mtu", "expected a number, got a boolean");
    EXPECT_ERROR(doc("'mtu': null", ""), "interfaces[0].mtu", "expected a number, got null");
    EXPECT_ERROR(doc("'host': {'configure': 'yes'}", ""), "interfaces[0].host.configure",
                 "expected a boolean (true or false), got a string");
    EXPECT_ERROR(doc("'host': {'configure': 1}", ""), "interfaces[0].host.configure",
                 "expected a boolean (true or false), got a number");
    EXPECT_ERROR(J("{'interfaces': {'name': 'tcpip0'}}"), "interfaces",
                 "expected an array, got an object");
    EXPECT_ERROR(J("{'interfaces': ['tcpip0']}"), "interfaces[0]",
                 "expected an object, got a string");
    EXPECT_ERROR(doc("'ipv4': '10.77.0.2/24'", ""), "interfaces[0].ipv4",
                 "expected an object, got a string");
    EXPECT_ERROR(doc("'neighbors': {}", ""), "interfaces[0].neighbors",
                 "expected an array, got an object");
    EXPECT_ERROR(doc4("'neighbors': [['10.77.0.9']]"), "interfaces[0].neighbors[0]",
                 "expected an object, got an array");
    EXPECT_ERROR(doc("'mac': ['02:00:00:77:00:02']", ""), "interfaces[0].mac",
                 "expected a string, got an array");
    EXPECT_ERROR(doc("", "'log_level': 6"), "log_level", "expected a string, got a number");
    EXPECT_ERROR(doc("", "'services': []"), "services", "expected an object, got an array");
    EXPECT_ERROR(doc("", "'services': {'udp_echo': true}"), "services.udp_echo",
                 "expected an object, got a boolean");
    EXPECT_ERROR(doc("", "'stack': {'arp': []}"), "stack.arp", "expected an object, got an array");
    EXPECT_ERROR(doc("", "'stack': {'udp': {'rcvbuf_bytes': '64k'}}"), "stack.udp.rcvbuf_bytes",
                 "expected a number, got a string");
}

static void test_missing_required_keys(void **state)
{
    (void)state;
    EXPECT_ERROR("{}", "interfaces", "required key is missing");
    EXPECT_ERROR(J("{'log_level': 'info'}"), "interfaces", "required key is missing");
    EXPECT_ERROR(J("{'interfaces': [{'mtu': 1500}]}"), "interfaces[0].name",
                 "required key is missing");
    EXPECT_ERROR(doc("'ipv4': {'gateway': '10.77.0.1'}", ""), "interfaces[0].ipv4.address",
                 "required key is missing");
    EXPECT_ERROR(doc4("'neighbors': [{'mac': '02:00:00:77:00:09'}]"),
                 "interfaces[0].neighbors[0].ip", "required key is missing");
    EXPECT_ERROR(doc4("'neighbors': [{'ip': '10.77.0.9'}]"), "interfaces[0].neighbors[0].mac",
                 "required key is missing");
}

/* ---- numbers ---- */

static void test_out_of_range_numbers(void **state)
{
    (void)state;
    EXPECT_ERROR(doc("'mtu': 67", ""), "interfaces[0].mtu", "67 is out of range (expected 68..9000)");
    EXPECT_ERROR(doc("'mtu': 70000", ""), "interfaces[0].mtu",
                 "70000 is out of range (expected 68..9000)");
    EXPECT_ERROR(doc("'mtu': -1500", ""), "interfaces[0].mtu", "-1500 is out of range");
    /* Beyond every integer type: rejected before any cast. */
    EXPECT_ERROR(doc("'mtu': 4294968796", ""), "interfaces[0].mtu",
                 "4294968796 is out of range");
    EXPECT_ERROR(doc("'mtu': 1e300", ""), "interfaces[0].mtu", "is out of range");
    EXPECT_ERROR(doc("'mtu': 1e999", ""), "interfaces[0].mtu",
                 "the number is too large in magnitude (expected 68..9000)");
    EXPECT_ERROR(doc("'mtu': -1e999", ""), "interfaces[0].mtu", "too large in magnitude");
    EXPECT_ERROR(doc("", "'services': {'udp_echo': {'port': 0}}"), "services.udp_echo.port",
                 "0 is out of range (expected 1..65535)");
    EXPECT_ERROR(doc("", "'services': {'udp_discard': {'port': 65536}}"),
                 "services.udp_discard.port", "65536 is out of range (expected 1..65535)");
    EXPECT_ERROR(doc("", "'stack': {'arp': {'cache_size': 0}}"), "stack.arp.cache_size",
                 "(expected 1..65536)");
    EXPECT_ERROR(doc("", "'stack': {'arp': {'cache_size': 65537}}"), "stack.arp.cache_size",
                 "(expected 1..65536)");
    EXPECT_ERROR(doc("", "'stack': {'arp': {'reachable_ms': 999}}"), "stack.arp.reachable_ms",
                 "(expected 1000..3600000)");
    EXPECT_ERROR(doc("", "'stack': {'arp': {'reachable_ms': 3600001}}"), "stack.arp.reachable_ms",
                 "(expected 1000..3600000)");
    EXPECT_ERROR(doc("", "'stack': {'arp': {'retry_ms': 99}}"), "stack.arp.retry_ms",
                 "(expected 100..60000)");
    EXPECT_ERROR(doc("", "'stack': {'arp': {'retry_ms': 60001}}"), "stack.arp.retry_ms",
                 "(expected 100..60000)");
    EXPECT_ERROR(doc("", "'stack': {'arp': {'max_retries': 0}}"), "stack.arp.max_retries",
                 "(expected 1..20)");
    EXPECT_ERROR(doc("", "'stack': {'arp': {'max_retries': 21}}"), "stack.arp.max_retries",
                 "(expected 1..20)");
    EXPECT_ERROR(doc("", "'stack': {'arp': {'pending_max': -1}}"), "stack.arp.pending_max",
                 "(expected 0..65536)");
    EXPECT_ERROR(doc("", "'stack': {'arp': {'pending_max': 65537}}"), "stack.arp.pending_max",
                 "(expected 0..65536)");
    EXPECT_ERROR(doc("", "'stack': {'ip': {'default_ttl': 0}}"), "stack.ip.default_ttl",
                 "(expected 1..255)");
    EXPECT_ERROR(doc("", "'stack': {'ip': {'default_ttl': 256}}"), "stack.ip.default_ttl",
                 "(expected 1..255)");
    EXPECT_ERROR(doc("", "'stack': {'icmp': {'rate_limit_per_sec': -1}}"),
                 "stack.icmp.rate_limit_per_sec", "(expected 0..1000000)");
    EXPECT_ERROR(doc("", "'stack': {'icmp': {'rate_limit_per_sec': 1000001}}"),
                 "stack.icmp.rate_limit_per_sec", "(expected 0..1000000)");
    EXPECT_ERROR(doc("", "'stack': {'icmp': {'burst': 0}}"), "stack.icmp.burst",
                 "(expected 1..1000000)");
    EXPECT_ERROR(doc("", "'stack': {'icmp': {'burst': 1000001}}"), "stack.icmp.burst",
                 "(expected 1..1000000)");
    EXPECT_ERROR(doc("", "'stack': {'udp': {'rcvbuf_bytes': 1023}}"), "stack.udp.rcvbuf_bytes",
                 "(expected 1024..67108864)");
    EXPECT_ERROR(doc("", "'stack': {'udp': {'rcvbuf_bytes': 67108865}}"),
                 "stack.udp.rcvbuf_bytes", "(expected 1024..67108864)");
}

static void test_non_integer_numbers(void **state)
{
    (void)state;
    EXPECT_ERROR(doc("'mtu': 1500.5", ""), "interfaces[0].mtu", "1500.5 is not an integer");
    EXPECT_ERROR(doc("", "'stack': {'arp': {'max_retries': 1.5}}"), "stack.arp.max_retries",
                 "1.5 is not an integer");
    EXPECT_ERROR(doc("", "'stack': {'ip': {'default_ttl': 0.5}}"), "stack.ip.default_ttl",
                 "0.5 is not an integer");
    EXPECT_ERROR(doc("", "'services': {'udp_echo': {'port': 7e-1}}"), "services.udp_echo.port",
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
        EXPECT_ERROR(doc(body, ""), "interfaces[0].ipv4.address",
                     "is not an IPv4 prefix (expected a.b.c.d/len)");
    }
    EXPECT_ERROR(doc("'ipv4': {'address': '10.77.0.300/24'}", ""), "interfaces[0].ipv4.address",
                 "\"10.77.0.300/24\" is not an IPv4 prefix (expected a.b.c.d/len)");
    EXPECT_ERROR(doc("'ipv4': {'address': '10.77.0.2'}", ""), "interfaces[0].ipv4.address",
                 "\"10.77.0.2\" has no prefix length (expected a.b.c.d/len, e.g. \"10.77.0.2/24\")");
    EXPECT_ERROR(doc("'ipv4': {'address': '10.77.0.2/33'}", ""), "interfaces[0].ipv4.address",
                 "prefix length 33 is out of range (expected 0..32)");
    EXPECT_ERROR(doc("'ipv4': {'address': '10.77.0.2/100'}", ""), "interfaces[0].ipv4.address",
                 "prefix length 100 is out of range");
    /* A very long value is cut short in the message. */
    {
        char big[4096], body2[4200];
        memset(big, '9', sizeof big - 1);
        big[sizeof big - 1] = '\0';
        snprintf(body2, sizeof body2, "'ipv4': {'address': '%s'}", big);
        EXPECT_ERROR(doc(body2, ""), "interfaces[0].ipv4.address", "...\" is not an IPv4 prefix");
    }
}

static void test_bad_ipv4_address(void **state)
{
    (void)state;
    EXPECT_ERROR(doc("'ipv4': {'address': '10.77.0.0/24'}", ""), "interfaces[0].ipv4.address",
                 "is the network address of 10.77.0.0/24");
    EXPECT_ERROR(doc("'ipv4': {'address': '10.77.0.255/24'}", ""), "interfaces[0].ipv4.address",
                 "is the broadcast address of 10.77.0.0/24");
    EXPECT_ERROR(doc("'ipv4': {'address': '10.77.0.3/30'}", ""), "interfaces[0].ipv4.address",
                 "is the broadcast address of 10.77.0.0/30");
    EXPECT_ERROR(doc("'ipv4': {'address': '0.0.0.0/0'}", ""), "interfaces[0].ipv4.address",
                 "is in 0.0.0.0/8");
    EXPECT_ERROR(doc("'ipv4': {'address': '0.1.2.3/8'}", ""), "interfaces[0].ipv4.address",
                 "is in 0.0.0.0/8");
    EXPECT_ERROR(doc("'ipv4': {'address': '127.0.0.1/8'}", ""), "interfaces[0].ipv4.address",
                 "is a loopback address");
    EXPECT_ERROR(doc("'ipv4': {'address': '224.0.0.1/24'}", ""), "interfaces[0].ipv4.address",
                 "is a multicast address");
    EXPECT_ERROR(doc("'ipv4': {'address': '255.255.255.255/32'}", ""),
                 "interfaces[0].ipv4.address", "is the limited broadcast address");
    EXPECT_ERROR(doc("'ipv4': {'address': '240.0.0.1/24'}", ""), "interfaces[0].ipv4.address",
                 "is a reserved address");
}

static void test_bad_gateway(void **state)
{
    (void)state;
    EXPECT_ERROR(doc("'ipv4': {'address': '10.77.0.2/24', 'gateway': '10.77.1.1'}", ""),
                 "interfaces[0].ipv4.gateway",
                 "\"10.77.1.1\" is not in 10.77.0.0/24, the subnet of interfaces[0].ipv4.address");
    EXPECT_ERROR(doc("'ipv4': {'address': '10.77.0.2/32', 'gateway': '10.77.0.1'}", ""),
                 "interfaces[0].ipv4.gateway", "is not in 10.77.0.2/32");
    EXPECT_ERROR(doc("'ipv4': {'address': '10.77.0.2/24', 'gateway': '10.77.0.2'}", ""),
                 "interfaces[0].ipv4.gateway", "is the interface's own address");
    EXPECT_ERROR(doc("'ipv4': {'address': '10.77.0.2/24', 'gateway': '10.77.0.255'}", ""),
                 "interfaces[0].ipv4.gateway", "is the broadcast address of 10.77.0.0/24");
    EXPECT_ERROR(doc("'ipv4': {'address': '10.77.0.2/24', 'gateway': '10.77.0.0'}", ""),
                 "interfaces[0].ipv4.gateway", "is the network address");
    EXPECT_ERROR(doc("'ipv4': {'address': '10.77.0.2/24', 'gateway': '10.77.0.1/24'}", ""),
                 "interfaces[0].ipv4.gateway", "is not an IPv4 address (expected a.b.c.d)");
    EXPECT_ERROR(doc("'ipv4': {'address': '10.77.0.2/24', 'gateway': 'router'}", ""),
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
        EXPECT_ERROR(doc(body, ""), "interfaces[0].mac", "is not a MAC address");
    }
    EXPECT_ERROR(doc("'mac': '01:00:5e:00:00:01'", ""), "interfaces[0].mac",
                 "\"01:00:5e:00:00:01\" is a multicast address (expected a unicast MAC");
    EXPECT_ERROR(doc("'mac': '03:00:00:77:00:02'", ""), "interfaces[0].mac",
                 "is a multicast address");
    EXPECT_ERROR(doc("'mac': 'ff:ff:ff:ff:ff:ff'", ""), "interfaces[0].mac",
                 "is the broadcast address");
    EXPECT_ERROR(doc("'mac': '00:00:00:00:00:00'", ""), "interfaces[0].mac", "is all zeros");
    EXPECT_ERROR(doc4("'neighbors': [{'ip': '10.77.0.9', 'mac': '33:33:00:00:00:01'}]"),
                 "interfaces[0].neighbors[0].mac", "is a multicast address");
    EXPECT_ERROR(doc4("'neighbors': [{'ip': '10.77.0.9', 'mac': 'auto'}]"),
                 "interfaces[0].neighbors[0].mac", "is not a MAC address");
}

/* ---- interfaces ---- */

static void test_bad_interface_name(void **state)
{
    struct tcpipd_config cfg;

    (void)state;
    EXPECT_ERROR(J("{'interfaces': [{'name': ''}]}"), "interfaces[0].name", "must not be empty");
    EXPECT_ERROR(J("{'interfaces': [{'name': 'abcdefghijklmnop'}]}"), "interfaces[0].name",
                 "\"abcdefghijklmnop\" is too long (16 characters, at most 15");
    EXPECT_ERROR(J("{'interfaces': [{'name': 'tap/0'}]}"), "interfaces[0].name", "contains '/'");
    EXPECT_ERROR(J("{'interfaces': [{'name': 'tap:0'}]}"), "interfaces[0].name", "contains ':'");
    EXPECT_ERROR(J("{'interfaces': [{'name': 'tap%d'}]}"), "interfaces[0].name", "contains '%'");
    EXPECT_ERROR(J("{'interfaces': [{'name': 'tap 0'}]}"), "interfaces[0].name",
                 "contains whitespace");
    EXPECT_ERROR(J("{'interfaces': [{'name': 'tap\\t0'}]}"), "interfaces[0].name",
                 "contains whitespace");
    EXPECT_ERROR(J("{'interfaces': [{'name': 'caf\xc3\xa9'}]}"), "interfaces[0].name",
                 "non-ASCII");
    EXPECT_ERROR(J("{'interfaces': [{'name': '.'}]}"), "interfaces[0].name",
                 "is not a valid interface name");
    EXPECT_ERROR(J("{'interfaces': [{'name': '..'}]}"), "interfaces[0].name",
                 "is not a valid interface name");
    load_ok(J("{'interfaces': [{'name': 'abcdefghijklmno'}]}"), &cfg); /* 15: the limit */
    assert_string_equal(cfg.ifaces[0].name, "abcdefghijklmno");
    load_ok(J("{'interfaces': [{'name': '...'}]}"), &cfg);
}

static void test_duplicate_interface_names(void **state)
{
    (void)state;
    EXPECT_ERROR(J("{'interfaces': [{'name': 'tcpip0'}, {'name': 'tcpip1'}, {'name': 'tcpip0'}]}"),
                 "interfaces[2].name", "\"tcpip0\" is already used by interfaces[0]");
}

static void test_interfaces_share_nothing(void **state)
{
    struct tcpipd_config cfg;

    (void)state;
    EXPECT_ERROR(J("{'interfaces': [{'name': 'a', 'ipv4': {'address': '10.77.0.2/24'}},"
                   "                {'name': 'b', 'ipv4': {'address': '10.77.0.3/24'}}]}"),
                 "interfaces[1].ipv4.address", "overlaps 10.77.0.2/24 of interfaces[0]");
    EXPECT_ERROR(J("{'interfaces': [{'name': 'a', 'ipv4': {'address': '10.77.0.2/16'}},"
                   "                {'name': 'b', 'ipv4': {'address': '10.77.5.3/24'}}]}"),
                 "interfaces[1].ipv4.address", "overlaps 10.77.0.2/16 of interfaces[0]");
    EXPECT_ERROR(J("{'interfaces': [{'name': 'a', 'ipv4': {'address': '10.77.0.2/24', 'gateway': '10.77.0.1'}},"
                   "                {'name': 'b', 'ipv4': {'address': '10.77.1.2/24', 'gateway': '10.77.1.1'}}]}"),
                 "interfaces[1].ipv4.gateway", "interfaces[0] already has a gateway");
    load_ok(J("{'interfaces': [{'name': 'a', 'ipv4': {'address': '10.77.0.2/24'}},"
              "                {'name': 'b', 'ipv4': {'address': '10.77.1.2/24'}}, {'name': 'c'}]}"),
            &cfg);
    assert_int_equal(cfg.n_ifaces, 3);
}

static void test_empty_interfaces(void **state)
{
    (void)state;
    EXPECT_ERROR(J("{'interfaces': []}"), "interfaces", "is empty (expected 1..8 interfaces)");
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
    load_ok(J(buf), &cfg);
    assert_int_equal(cfg.n_ifaces, CONF_MAX_IFACES);

    snprintf(buf + o, sizeof buf - o, ", {'name': 'extra'}]}");
    EXPECT_ERROR(J(buf), "interfaces", "has 9 entries (at most 8 interfaces are supported)");
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
    load_ok(doc4(body), &cfg);
    assert_int_equal(cfg.ifaces[0].n_neigh, CONF_MAX_NEIGH);
    assert_int_equal(cfg.ifaces[0].neigh[63].ip, 0x0a4d0000 + 73);
    assert_int_equal(cfg.ifaces[0].neigh[63].mac.b[5], 73);
    snprintf(body + o, sizeof body - o, ", {'ip': '10.77.0.200', 'mac': '02:00:00:77:00:c8'}]");
    EXPECT_ERROR(doc4(body), "interfaces[0].neighbors", "has 65 entries (at most 64)");

    EXPECT_ERROR(doc4("'neighbors': [{'ip': '10.77.1.9', 'mac': '02:00:00:77:00:09'}]"),
                 "interfaces[0].neighbors[0].ip", "is not in 10.77.0.0/24");
    EXPECT_ERROR(doc4("'neighbors': [{'ip': '10.77.0.2', 'mac': '02:00:00:77:00:09'}]"),
                 "interfaces[0].neighbors[0].ip", "is the interface's own address");
    EXPECT_ERROR(doc4("'neighbors': [{'ip': '10.77.0.255', 'mac': '02:00:00:77:00:09'}]"),
                 "interfaces[0].neighbors[0].ip", "is the broadcast address");
    EXPECT_ERROR(doc4("'neighbors': [{'ip': '10.77.0.9', 'mac': '02:00:00:77:00:09'},"
                      "              {'ip': '10.77.0.9', 'mac': '02:00:00:77:00:0a'}]"),
                 "interfaces[0].neighbors[1].ip",
                 "\"10.77.0.9\" is already listed in interfaces[0].neighbors[0]");
    EXPECT_ERROR(doc4("'neighbors': [{'ip': '10.77.0.9/32', 'mac': '02:00:00:77:00:09'}]"),
                 "interfaces[0].neighbors[0].ip", "is not an IPv4 address");
    EXPECT_ERROR(doc("'neighbors': [{'ip': '10.77.0.9', 'mac': '02:00:00:77:00:09'}]", ""),
                 "interfaces[0].neighbors", "static neighbours need interfaces[0].ipv4.address");
}

static void test_static_neighbours_fit_cache(void **state)
{
    (void)state;
    EXPECT_ERROR(J("{'interfaces': [{'name': 'tcpip0', 'ipv4': {'address': '10.77.0.2/24'},"
                   "  'neighbors': [{'ip': '10.77.0.9', 'mac': '02:00:00:77:00:09'},"
                   "                {'ip': '10.77.0.10', 'mac': '02:00:00:77:00:0a'}]}],"
                   " 'stack': {'arp': {'cache_size': 1}}}"),
                 "stack.arp.cache_size", "1 is smaller than the 2 static neighbours");
}

static void test_host_side(void **state)
{
    struct tcpipd_config cfg;

    (void)state;
    EXPECT_ERROR(doc4("'host': {'configure': true, 'ipv4': '10.77.1.1/24'}"),
                 "interfaces[0].host.ipv4",
                 "\"10.77.1.1/24\" is not in 10.77.0.0/24, the subnet of interfaces[0].ipv4.address");
    EXPECT_ERROR(doc4("'host': {'configure': true, 'ipv4': '10.77.0.1/16'}"),
                 "interfaces[0].host.ipv4", "is not in 10.77.0.0/24");
    EXPECT_ERROR(doc4("'host': {'configure': true, 'ipv4': '10.77.0.2/24'}"),
                 "interfaces[0].host.ipv4", "is the stack's own address");
    EXPECT_ERROR(doc4("'host': {'configure': true, 'ipv4': '10.77.0.255/24'}"),
                 "interfaces[0].host.ipv4", "is the broadcast address");
    EXPECT_ERROR(doc4("'host': {'configure': true, 'ipv4': '10.77.0.1'}"),
                 "interfaces[0].host.ipv4", "has no prefix length");
    EXPECT_ERROR(doc("'host': {'configure': true, 'ipv4': '10.77.0.1/24'}", ""),
                 "interfaces[0].host.ipv4", "needs interfaces[0].ipv4.address");
    load_ok(doc4("'host': {'configure': true, 'ipv4': '10.77.0.1/24'}"), &cfg);
    assert_true(cfg.ifaces[0].host.configure);
    assert_int_equal(cfg.ifaces[0].host.ipv4_addr, 0x0a4d0001);
}

/* ---- TCP services and tunables ---- */

static void test_tcp_services(void **state)
{
    struct tcpipd_config cfg;

    (void)state;
    load_ok(doc("", "'services': {'tcp_echo': {'enabled': true, 'port': 7007},"
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
    load_ok(doc("", "'services': {'udp_echo': {'enabled': true}, 'tcp_echo': {'enabled': true},"
                    "             'udp_discard': {'enabled': true, 'port': 19},"
                    "             'tcp_chargen': {'enabled': true}}"),
            &cfg);
    assert_int_equal(cfg.services.udp_echo.port, 7);
    assert_int_equal(cfg.services.tcp_echo.port, 7);

    /* Two enabled TCP services on one port clash; a disabled one does not. */
    EXPECT_ERROR(doc("", "'services': {'tcp_echo': {'enabled': true},"
                         "             'tcp_chargen': {'enabled': true, 'port': 7}}"),
                 "services.tcp_chargen.port", "port 7 is already used by services.tcp_echo");
    EXPECT_ERROR(doc("", "'services': {'tcp_discard': {'enabled': true, 'port': 5000},"
                         "             'tcp_chargen': {'enabled': true, 'port': 5000}}"),
                 "services.tcp_chargen.port", "port 5000 is already used by services.tcp_discard");
    load_ok(doc("", "'services': {'tcp_echo': {'enabled': false},"
                    "             'tcp_chargen': {'enabled': true, 'port': 7}}"),
            &cfg);
    assert_int_equal(cfg.services.tcp_chargen.port, 7);

    EXPECT_ERROR(doc("", "'services': {'tcp_echo': {'enabled': 'yes'}}"),
                 "services.tcp_echo.enabled", "expected a boolean (true or false), got a string");
    EXPECT_ERROR(doc("", "'services': {'tcp_discard': {'port': 0}}"), "services.tcp_discard.port",
                 "0 is out of range (expected 1..65535)");
    EXPECT_ERROR(doc("", "'services': {'tcp_chargen': {'port': 65536}}"),
                 "services.tcp_chargen.port", "65536 is out of range (expected 1..65535)");
    EXPECT_ERROR(doc("", "'services': {'tcp_chargen': []}"), "services.tcp_chargen",
                 "expected an object, got an array");
    EXPECT_ERROR(doc("", "'services': {'tcp_echo': {}, 'tcp_echo': {}}"), "services.tcp_echo",
                 "duplicate key");
}

/* Every stack.tcp key set away from its default. */
static void test_tcp_tunables_values(void **state)
{
    struct tcpipd_config cfg;
    const struct stack_tcp_config *t = &cfg.stack.tcp;

    (void)state;
    load_ok(doc("", "'stack': {'tcp': {'sndbuf': 4096, 'rcvbuf': 67108864, 'max_conns': 100,"
                    " 'syn_backlog': 8, 'max_backlog': 65535, 'ooo_max_ranges': 4,"
                    " 'rto_initial_ms': 3000, 'rto_min_ms': 50, 'rto_max_ms': 60000,"
                    " 'syn_retries': 2, 'synack_retries': 3, 'retries2': 8,"
                    " 'delack_ms': 500, 'delack_segs': 1, 'time_wait_ms': 1000,"
                    " 'fin_wait2_ms': 30000, 'keepalive_idle_s': 600, 'keepalive_intvl_s': 10,"
                    " 'keepalive_cnt': 3, 'congestion_control': 'newreno', 'sack': false,"
                    " 'timestamps': false, 'window_scaling': false, 'syncookies': 'always'}}"),
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

    /* The other choices, and one key leaves the rest at their defaults. */
    load_ok(doc("", "'stack': {'tcp': {'congestion_control': 'cubic', 'syncookies': 'never'}}"),
            &cfg);
    assert_int_equal(t->cc, TCP_CC_CUBIC);
    assert_int_equal(t->syncookies, 0);
    assert_int_equal(t->sndbuf, 262144);
    assert_true(t->sack);
    load_ok(doc("", "'stack': {'tcp': {'syncookies': 'auto', 'sack': true}}"), &cfg);
    assert_int_equal(t->syncookies, 1);
    /* RFC 6298 bounds may meet: min == initial == max. */
    load_ok(doc("", "'stack': {'tcp': {'rto_min_ms': 1000, 'rto_initial_ms': 1000,"
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
    static const char *const bools[] = {"sack", "timestamps", "window_scaling"};

    (void)state;
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        char json[256], path[64], phrase[96];
        snprintf(path, sizeof path, "stack.tcp.%s", keys[i].key);

        snprintf(json, sizeof json, "'stack': {'tcp': {'%s': %s}}", keys[i].key, keys[i].lo);
        snprintf(phrase, sizeof phrase, "%s is out of range %s", keys[i].lo, keys[i].range);
        EXPECT_ERROR(doc("", json), path, phrase);

        snprintf(json, sizeof json, "'stack': {'tcp': {'%s': %s}}", keys[i].key, keys[i].hi);
        snprintf(phrase, sizeof phrase, "%s is out of range %s", keys[i].hi, keys[i].range);
        EXPECT_ERROR(doc("", json), path, phrase);

        snprintf(json, sizeof json, "'stack': {'tcp': {'%s': '100'}}", keys[i].key);
        EXPECT_ERROR(doc("", json), path, "expected a number, got a string");
        snprintf(json, sizeof json, "'stack': {'tcp': {'%s': true}}", keys[i].key);
        EXPECT_ERROR(doc("", json), path, "expected a number, got a boolean");
        snprintf(json, sizeof json, "'stack': {'tcp': {'%s': 10.5}}", keys[i].key);
        EXPECT_ERROR(doc("", json), path, "10.5 is not an integer");
    }
    for (size_t i = 0; i < sizeof bools / sizeof bools[0]; i++) {
        char json[128], path[64];
        snprintf(path, sizeof path, "stack.tcp.%s", bools[i]);
        snprintf(json, sizeof json, "'stack': {'tcp': {'%s': 1}}", bools[i]);
        EXPECT_ERROR(doc("", json), path, "expected a boolean (true or false), got a number");
        snprintf(json, sizeof json, "'stack': {'tcp': {'%s': 'true'}}", bools[i]);
        EXPECT_ERROR(doc("", json), path, "expected a boolean (true or false), got a string");
    }
    EXPECT_ERROR(doc("", "'stack': {'tcp': {'congestion_control': 'reno'}}"),
                 "stack.tcp.congestion_control",
                 "\"reno\" is not one of the choices (expected \"cubic\" or \"newreno\")");
    EXPECT_ERROR(doc("", "'stack': {'tcp': {'congestion_control': 'CUBIC'}}"),
                 "stack.tcp.congestion_control", "\"CUBIC\" is not one of the choices");
    EXPECT_ERROR(doc("", "'stack': {'tcp': {'congestion_control': 1}}"),
                 "stack.tcp.congestion_control", "expected a string, got a number");
    EXPECT_ERROR(doc("", "'stack': {'tcp': {'syncookies': true}}"), "stack.tcp.syncookies",
                 "expected a string, got a boolean");
    EXPECT_ERROR(doc("", "'stack': {'tcp': {'syncookies': 'sometimes'}}"),
                 "stack.tcp.syncookies",
                 "\"sometimes\" is not one of the choices (expected \"never\", \"auto\" or \"always\")");
    EXPECT_ERROR(doc("", "'stack': {'tcp': []}"), "stack.tcp", "expected an object, got an array");
    EXPECT_ERROR(doc("", "'stack': {'tcp': {'sndbuf': 8192, 'sndbuf': 8192}}"), "stack.tcp.sndbuf",
                 "duplicate key");
}

/* RFC 6298 2.4/2.5: the RTO lives in [rto_min, rto_max], the first one too. */
static void test_tcp_rto_cross_checks(void **state)
{
    (void)state;
    EXPECT_ERROR(doc("", "'stack': {'tcp': {'rto_min_ms': 5000, 'rto_max_ms': 4000,"
                         " 'rto_initial_ms': 4500}}"),
                 "stack.tcp.rto_min_ms", "5000 is above stack.tcp.rto_max_ms (4000)");
    EXPECT_ERROR(doc("", "'stack': {'tcp': {'rto_initial_ms': 100}}"), "stack.tcp.rto_initial_ms",
                 "100 is below stack.tcp.rto_min_ms (200)");
    EXPECT_ERROR(doc("", "'stack': {'tcp': {'rto_min_ms': 2000}}"), "stack.tcp.rto_initial_ms",
                 "1000 is below stack.tcp.rto_min_ms (2000)");
    EXPECT_ERROR(doc("", "'stack': {'tcp': {'rto_max_ms': 500}}"), "stack.tcp.rto_initial_ms",
                 "1000 is above stack.tcp.rto_max_ms (500)");
    EXPECT_ERROR(doc("", "'stack': {'tcp': {'rto_initial_ms': 200000}}"),
                 "stack.tcp.rto_initial_ms", "200000 is above stack.tcp.rto_max_ms (120000)");
    EXPECT_ERROR(doc("", "'stack': {'tcp': {'rto_max_ms': 100}}"), "stack.tcp.rto_min_ms",
                 "200 is above stack.tcp.rto_max_ms (100)");
}

/* ---- services, log level ---- */

static void test_duplicate_service_ports(void **state)
{
    struct tcpipd_config cfg;

    (void)state;
    EXPECT_ERROR(doc("", "'services': {'udp_echo': {'enabled': true},"
                         "             'udp_discard': {'enabled': true, 'port': 7}}"),
                 "services.udp_discard.port", "port 7 is already used by services.udp_echo");
    EXPECT_ERROR(doc("", "'services': {'udp_echo': {'enabled': true, 'port': 5000},"
                         "             'udp_discard': {'enabled': true, 'port': 5000}}"),
                 "services.udp_discard.port", "port 5000 is already used");
    load_ok(doc("", "'services': {'udp_echo': {'enabled': true, 'port': 5000},"
                    "             'udp_discard': {'enabled': true, 'port': 5001}}"),
            &cfg);
    assert_int_equal(cfg.services.udp_echo.port, 5000);
    assert_int_equal(cfg.services.udp_discard.port, 5001);
}

static void test_bad_log_level(void **state)
{
    (void)state;
    EXPECT_ERROR(doc("", "'log_level': 'verbose'"), "log_level",
                 "\"verbose\" is not a log level (expected \"error\", \"warning\", \"info\" or \"debug\")");
    EXPECT_ERROR(doc("", "'log_level': 'INFO'"), "log_level", "is not a log level");
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
    const char *bad = J("{'interfaces': []}");

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
        cmocka_unit_test(test_bad_log_level),
        cmocka_unit_test(test_unreadable_file),
        cmocka_unit_test(test_oversized_file),
        cmocka_unit_test(test_file_error_prefix),
        cmocka_unit_test(test_error_buffer_sizes),
        cmocka_unit_test(test_mutations),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
