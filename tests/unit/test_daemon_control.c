/* test_daemon_control.c - tcpipd's control channel (daemon/control*.c):
 * request parsing, the reply document of every command against a stack
 * with a fake netif and the built-in services, error replies for garbage
 * and oversized requests, and the libev server itself on a socket in a
 * temp directory (driven with non-blocking loop iterations, bounded). */
#include <errno.h>
#include <ev.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <cmocka.h>

#include "daemon/config.h"
#include "daemon/control.h"
#include "daemon/log.h"
#include "daemon/services.h"
#include "tests/unit/support/env6.h"
#include "tests/unit/support/stack_env.h"

struct fixture {
    struct stack_env *e;
    struct tcpipd_config *cfg;
    struct services *sv;
    struct capture *cap;
    struct control_env env;
    struct tcp_sock *client;
    char dir[64];
};

static uint64_t fake_clock(void *ctx)
{
    struct fixture *f = ctx;
    return f->e->now;
}

/* tweak: env6_tweak for an interface with IPv6 (fd77::2/64, SLAAC). */
static struct fixture *fixture_new(env_tweak_fn tweak)
{
    struct fixture *f = calloc(1, sizeof *f);
    assert_non_null(f);
    f->e = env_new(tweak, false);
    f->cfg = calloc(1, sizeof *f->cfg);
    assert_non_null(f->cfg);
    config_defaults(f->cfg);
    f->cfg->services.udp_echo = (struct conf_service){.enabled = true, .port = 7};
    f->cfg->services.tcp_echo = (struct conf_service){.enabled = true, .port = 7};
    char err[CONF_ERR_LEN];
    f->sv = services_start(f->e->s, f->cfg, fake_clock, f, err, sizeof err);
    if (f->sv == NULL)
        fail_msg("services_start: %s", err);
    f->cap = capture_new();
    assert_non_null(f->cap);

    struct control_env *env = &f->env;
    env->stack = f->e->s;
    env->services = &f->sv;
    env->capture = f->cap;
    env->n_ifaces = 1;
    struct control_iface *ci = &env->ifaces[0];
    snprintf(ci->name, sizeof ci->name, "tcpip0");
    ci->ifindex = f->e->ifindex;
    ci->mac = env_mac_us;
    ci->mtu = ENV_MTU;
    ci->up = true;
    ci->has_ipv4 = true;
    ci->ipv4_addr = ENV_IP_US;
    ci->ipv4_prefix_len = ENV_PREFIX;
    ci->ipv4_gateway = ENV_IP_GW;
    env->started_ns = f->e->now;
    env->now_ns = f->e->now + 65 * NS_PER_SEC;
    env->pid = 4242;
    env->uid = 0;
    env->version = "9.9.9";

    snprintf(f->dir, sizeof f->dir, "/tmp/tcpip-control-test.XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    return f;
}

static int setup(void **state)
{
    *state = fixture_new(NULL);
    return 0;
}

/* IPv6 on, DAD done (1 s), then an RA from fe80::1: router lifetime
 * 1800 s, prefix fd77:1::/64 (L and A) valid 3600 s, preferred 1800 s;
 * the DAD of the SLAAC address done too. Requests at RA + 11 s. */
static int setup6(void **state)
{
    struct fixture *f = fixture_new(env6_tweak);
    env_advance(f->e, 1 * NS_PER_SEC);
    uint8_t msg[256];
    struct nd_ra ra = {.router_lifetime = 1800};
    struct nd_prefix_info pi = {.prefix = {0xfd, 0x77, 0x00, 0x01}, .prefix_len = 64,
                                .on_link = true, .autonomous = true, .valid_lifetime = 3600,
                                .preferred_lifetime = 1800};
    size_t n = env6_ra(msg, &ra, &pi, 0);
    env6_nd_input(f->e, env6_router, env6_all_nodes, msg, n);
    env_advance(f->e, 1 * NS_PER_SEC);
    f->env.now_ns = f->e->now + 10 * NS_PER_SEC;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    char p[128];
    capture_free(f->cap);
    snprintf(p, sizeof p, "%s/c.pcap", f->dir);
    unlink(p);
    snprintf(p, sizeof p, "%s/control.sock", f->dir);
    unlink(p);
    rmdir(f->dir);
    if (f->client != NULL)
        tcp_sock_abort(f->client, f->e->now);
    services_stop(f->sv);
    env_free(f->e);
    free(f->cfg);
    free(f);
    return 0;
}

/* Run a request; return the parsed document (caller deletes). */
static cJSON *ask(struct fixture *f, const char *req)
{
    char *text = control_handle(&f->env, req, strlen(req));
    assert_non_null(text);
    cJSON *doc = cJSON_Parse(text);
    if (doc == NULL)
        fail_msg("reply to \"%s\" is not JSON: %s", req, text);
    free(text);
    return doc;
}

static const cJSON *ok_data(const cJSON *doc)
{
    const cJSON *ok = cJSON_GetObjectItemCaseSensitive(doc, "ok");
    if (!cJSON_IsTrue(ok)) {
        char *s = cJSON_PrintUnformatted(doc);
        fail_msg("not ok: %s", s);
    }
    const cJSON *data = cJSON_GetObjectItemCaseSensitive(doc, "data");
    assert_non_null(data);
    return data;
}

static void assert_error(struct fixture *f, const char *req, int errnum, const char *needle)
{
    cJSON *doc = ask(f, req);
    assert_true(cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(doc, "ok")));
    const cJSON *e = cJSON_GetObjectItemCaseSensitive(doc, "error");
    const cJSON *n = cJSON_GetObjectItemCaseSensitive(doc, "errno");
    assert_true(cJSON_IsString(e));
    assert_true(cJSON_IsNumber(n));
    if (n->valueint != errnum || strstr(e->valuestring, needle) == NULL)
        fail_msg("\"%s\": errno %d \"%s\", wanted %d \"%s\"", req, n->valueint, e->valuestring,
                 errnum, needle);
    assert_null(cJSON_GetObjectItemCaseSensitive(doc, "data"));
    cJSON_Delete(doc);
}

static const char *str(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!cJSON_IsString(v))
        fail_msg("key %s is not a string", key);
    return v->valuestring;
}

static double number(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!cJSON_IsNumber(v))
        fail_msg("key %s is not a number", key);
    return v->valuedouble;
}

/* ---- parsing ---- */

static void test_parse_requests(void **state)
{
    (void)state;
    struct control_request r;
    char err[256];
    assert_int_equal(control_parse_request("status\n", 7, &r, err, sizeof err), 0);
    assert_int_equal(r.cmd, CONTROL_CMD_STATUS);
    assert_int_equal(control_parse_request("sockets\r\n", 9, &r, err, sizeof err), 0);
    assert_int_equal(r.cmd, CONTROL_CMD_SOCKETS);
    assert_int_equal(control_parse_request("  stats ", 8, &r, err, sizeof err), 0);
    assert_int_equal(r.cmd, CONTROL_CMD_STATS);
    assert_int_equal(control_parse_request("neigh", 5, &r, err, sizeof err), 0);
    assert_int_equal(r.cmd, CONTROL_CMD_NEIGH);
    assert_int_equal(control_parse_request("capture", 7, &r, err, sizeof err), 0);
    assert_int_equal(r.cmd, CONTROL_CMD_CAPTURE_STATUS);
    assert_int_equal(control_parse_request("capture stop\n", 13, &r, err, sizeof err), 0);
    assert_int_equal(r.cmd, CONTROL_CMD_CAPTURE_STOP);

    const char *cs = "capture start /tmp/a.pcap 100000 tcp and  port 7\n";
    assert_int_equal(control_parse_request(cs, strlen(cs), &r, err, sizeof err), 0);
    assert_int_equal(r.cmd, CONTROL_CMD_CAPTURE_START);
    assert_string_equal(r.path, "/tmp/a.pcap");
    assert_int_equal(r.max_bytes, 100000);
    assert_string_equal(r.filter, "tcp and port 7");
    cs = "capture start /tmp/b.pcap arp";
    assert_int_equal(control_parse_request(cs, strlen(cs), &r, err, sizeof err), 0);
    assert_int_equal(r.max_bytes, 0);
    assert_string_equal(r.filter, "arp");
}

static void test_parse_bad_requests(void **state)
{
    (void)state;
    static const struct {
        const char *req;
        int rc;
        const char *needle;
    } bad[] = {
        {"", -EINVAL, "empty"},
        {"\n", -EINVAL, "empty"},
        {"bogus\n", -EINVAL, "unknown request \"bogus\""},
        {"status now\n", -EINVAL, "takes no arguments"},
        {"STATUS\n", -EINVAL, "unknown request"},
        {"capture begin\n", -EINVAL, "unknown capture request"},
        {"capture start\n", -EINVAL, "usage"},
        {"capture start rel.pcap\n", -EINVAL, "not absolute"},
        {"capture start /a 12x\n", -EINVAL, "max_bytes"},
        {"capture stop now\n", -EINVAL, "no arguments"},
        {"stat\x01us\n", -EINVAL, "control character"},
        {"status\n\n", -EINVAL, "control character"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct control_request r;
        char err[256] = "";
        int rc = control_parse_request(bad[i].req, strlen(bad[i].req), &r, err, sizeof err);
        if (rc != bad[i].rc || strstr(err, bad[i].needle) == NULL)
            fail_msg("request %zu: rc %d err \"%s\"", i, rc, err);
    }
    /* A NUL inside the request. */
    struct control_request r;
    char err[256];
    assert_int_equal(control_parse_request("sta\0tus\n", 8, &r, err, sizeof err), -EINVAL);
    /* Longer than the bound. */
    char big[CONTROL_REQUEST_MAX + 10];
    memset(big, 'a', sizeof big);
    assert_int_equal(control_parse_request(big, sizeof big, &r, err, sizeof err), -EMSGSIZE);
}

/* ---- replies ---- */

static void test_status(void **state)
{
    struct fixture *f = *state;
    cJSON *doc = ask(f, "status\n");
    const cJSON *d = ok_data(doc);
    assert_string_equal(str(d, "version"), "9.9.9");
    assert_int_equal(number(d, "pid"), 4242);
    assert_int_equal(number(d, "uid"), 0);
    assert_int_equal(number(d, "uptime_s"), 65);
    assert_int_equal(number(d, "interfaces"), 1);
    assert_int_equal(number(d, "tcp_connections"), 1); /* the echo listener */
    const cJSON *svcs = cJSON_GetObjectItemCaseSensitive(d, "services");
    assert_int_equal(cJSON_GetArraySize(svcs), 2);
    const cJSON *cap = cJSON_GetObjectItemCaseSensitive(d, "capture");
    assert_true(cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(cap, "active")));
    cJSON_Delete(doc);
}

static void test_link_addr_route(void **state)
{
    struct fixture *f = *state;
    cJSON *doc = ask(f, "link\n");
    const cJSON *d = ok_data(doc);
    assert_int_equal(cJSON_GetArraySize(d), 1);
    const cJSON *l = cJSON_GetArrayItem(d, 0);
    assert_string_equal(str(l, "name"), "tcpip0");
    assert_string_equal(str(l, "mac"), "02:00:00:00:00:02");
    assert_int_equal(number(l, "mtu"), 1500);
    assert_true(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(l, "up")));
    assert_int_equal(number(l, "tx_frames"), env_ctr(f->e, CTR_ETH_TX_FRAMES));
    assert_int_equal(number(l, "rx_frames"), env_ctr(f->e, CTR_ETH_RX_FRAMES));
    cJSON_Delete(doc);

    doc = ask(f, "addr\n");
    d = ok_data(doc);
    assert_int_equal(cJSON_GetArraySize(d), 1);
    const cJSON *a = cJSON_GetArrayItem(d, 0);
    assert_string_equal(str(a, "ifname"), "tcpip0");
    assert_string_equal(str(a, "family"), "inet");
    assert_string_equal(str(a, "address"), "10.77.0.2");
    assert_int_equal(number(a, "prefix_len"), 24);
    assert_string_equal(str(a, "broadcast"), "10.77.0.255");
    cJSON_Delete(doc);

    doc = ask(f, "route\n");
    d = ok_data(doc);
    assert_int_equal(cJSON_GetArraySize(d), 2);
    const cJSON *r0 = cJSON_GetArrayItem(d, 0), *r1 = cJSON_GetArrayItem(d, 1);
    assert_string_equal(str(r0, "dst"), "10.77.0.0/24");
    assert_true(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(r0, "gateway")));
    assert_string_equal(str(r0, "scope"), "link");
    assert_string_equal(str(r1, "dst"), "default");
    assert_string_equal(str(r1, "gateway"), "10.77.0.1");
    assert_string_equal(str(r1, "dev"), "tcpip0");
    assert_string_equal(str(r1, "src"), "10.77.0.2");
    cJSON_Delete(doc);
}

static void test_neigh(void **state)
{
    struct fixture *f = *state;
    env_learn(f->e, ENV_IP_PEER, &env_mac_peer);
    f->env.now_ns = f->e->now + 1500 * NS_PER_MS;
    cJSON *doc = ask(f, "neigh\n");
    const cJSON *d = ok_data(doc);
    assert_int_equal(cJSON_GetArraySize(d), 1);
    const cJSON *n = cJSON_GetArrayItem(d, 0);
    assert_string_equal(str(n, "address"), "10.77.0.9");
    assert_string_equal(str(n, "mac"), "02:00:00:00:00:09");
    assert_string_equal(str(n, "ifname"), "tcpip0");
    assert_string_equal(str(n, "state"), neigh_state_name(NEIGH_REACHABLE));
    assert_int_equal(number(n, "age_ms"), 1500);
    cJSON_Delete(doc);
}

/* The cJSON object of arr whose key is val, or fail. */
static const cJSON *find_obj(const cJSON *arr, const char *key, const char *val)
{
    const cJSON *o;
    cJSON_ArrayForEach(o, arr)
    {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
        if (cJSON_IsString(v) && strcmp(v->valuestring, val) == 0)
            return o;
    }
    fail_msg("no %s \"%s\"", key, val);
    return NULL;
}

static bool is_null(const cJSON *o, const char *key)
{
    return cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(o, key));
}

/* addr, route and status with IPv6: static, link-local and SLAAC
 * addresses with state and lifetimes; prefixes and the default router. */
static void test_ipv6_addr_route_status(void **state)
{
    struct fixture *f = *state;
    cJSON *doc = ask(f, "addr\n");
    const cJSON *d = ok_data(doc);
    assert_int_equal(cJSON_GetArraySize(d), 4);
    assert_string_equal(str(cJSON_GetArrayItem(d, 0), "family"), "inet"); /* IPv4 first */
    const cJSON *a = find_obj(d, "address", "fd77::2");
    assert_string_equal(str(a, "family"), "inet6");
    assert_int_equal(number(a, "prefix_len"), 64);
    assert_string_equal(str(a, "scope"), "global");
    assert_string_equal(str(a, "state"), "preferred");
    assert_true(cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(a, "dynamic")));
    assert_true(is_null(a, "valid_lft_s") && is_null(a, "preferred_lft_s"));
    a = find_obj(d, "address", "fe80::ff:fe00:2");
    assert_string_equal(str(a, "scope"), "link");
    a = find_obj(d, "address", "fd77:1::ff:fe00:2");
    assert_true(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(a, "dynamic")));
    assert_int_equal(number(a, "valid_lft_s"), 3600 - 11);
    assert_int_equal(number(a, "preferred_lft_s"), 1800 - 11);
    cJSON_Delete(doc);

    doc = ask(f, "route\n");
    d = ok_data(doc);
    assert_int_equal(cJSON_GetArraySize(d), 2 + 4); /* IPv4: prefix, default */
    const cJSON *r = find_obj(d, "dst", "fd77::/64");
    assert_string_equal(str(r, "family"), "inet6");
    assert_string_equal(str(r, "proto"), "kernel");
    assert_string_equal(str(r, "dev"), "tcpip0");
    assert_true(is_null(r, "gateway") && is_null(r, "expires_s"));
    r = find_obj(d, "dst", "fd77:1::/64");
    assert_string_equal(str(r, "proto"), "ra");
    assert_int_equal(number(r, "expires_s"), 3600 - 11);
    find_obj(d, "dst", "fe80::/64");
    r = find_obj(d, "gateway", "fe80::1");
    assert_string_equal(str(r, "dst"), "default");
    assert_string_equal(str(r, "family"), "inet6");
    assert_string_equal(str(r, "scope"), "global");
    assert_int_equal(number(r, "expires_s"), 1800 - 11);
    cJSON_Delete(doc);

    doc = ask(f, "status\n");
    d = cJSON_GetObjectItemCaseSensitive(ok_data(doc), "addresses");
    assert_int_equal(cJSON_GetArraySize(d), 4);
    assert_string_equal(str(find_obj(d, "address", "10.77.0.2/24"), "family"), "inet");
    assert_string_equal(str(find_obj(d, "address", "fd77::2/64"), "state"), "preferred");
    cJSON_Delete(doc);
}

/* neigh lists ND entries with their NUD state (DELAY after use). */
static void test_ipv6_neigh(void **state)
{
    struct fixture *f = *state;
    /* The router's SLLA came with the RA: STALE; sending through it: DELAY. */
    assert_int_equal(env6_send(f->e, env6_router, 20), 0);
    f->env.now_ns = f->e->now;
    cJSON *doc = ask(f, "neigh\n");
    const cJSON *n = find_obj(ok_data(doc), "address", "fe80::1");
    assert_string_equal(str(n, "family"), "inet6");
    assert_string_equal(str(n, "mac"), "02:00:00:00:00:01");
    assert_string_equal(str(n, "state"), "DELAY");
    cJSON_Delete(doc);
}

static void test_sockets(void **state)
{
    struct fixture *f = *state;
    env_learn(f->e, ENV_IP_PEER, &env_mac_peer);
    f->client = tcp_sock_open(f->e->s, NULL, NULL);
    assert_non_null(f->client);
    struct ip_endpoint peer = env_ep(ENV_IP_PEER, 8080);
    assert_int_equal(tcp_sock_connect(f->client, &peer, f->e->now), -EINPROGRESS);

    cJSON *doc = ask(f, "sockets\n");
    const cJSON *d = ok_data(doc);
    const cJSON *tcp = cJSON_GetObjectItemCaseSensitive(d, "tcp");
    const cJSON *udp = cJSON_GetObjectItemCaseSensitive(d, "udp");
    assert_int_equal(cJSON_GetArraySize(tcp), 2);
    bool saw_listen = false, saw_syn_sent = false;
    const cJSON *s;
    cJSON_ArrayForEach(s, tcp)
    {
        const cJSON *own = cJSON_GetObjectItemCaseSensitive(s, "owner");
        assert_int_equal(number(own, "pid"), 4242);
        assert_string_equal(str(own, "name"), "tcpipd");
        if (strcmp(str(s, "state"), "LISTEN") == 0) {
            saw_listen = true;
            assert_string_equal(str(s, "local"), "[::]:7");
            assert_string_equal(str(s, "remote"), "*:*");
            assert_null(cJSON_GetObjectItemCaseSensitive(s, "cwnd"));
        } else {
            saw_syn_sent = true;
            assert_string_equal(str(s, "state"), "SYN-SENT");
            assert_string_equal(str(s, "remote"), "10.77.0.9:8080");
            assert_true(strncmp(str(s, "local"), "10.77.0.2:", 10) == 0);
            assert_true(number(s, "cwnd") > 0);
            assert_true(number(s, "rto_us") >= 1000000);
            number(s, "srtt_us");
            number(s, "recv_q");
            number(s, "send_q");
            assert_true(strlen(str(s, "cc")) > 0);
        }
    }
    assert_true(saw_listen && saw_syn_sent);
    assert_int_equal(cJSON_GetArraySize(udp), 1);
    const cJSON *u = cJSON_GetArrayItem(udp, 0);
    assert_string_equal(str(u, "local"), "[::]:7");
    assert_string_equal(str(u, "service"), "echo");
    assert_string_equal(str(u, "state"), "UNCONN");
    assert_non_null(strstr(str(d, "udp_source"), "built-in services"));
    cJSON_Delete(doc);
}

static void test_stats(void **state)
{
    struct fixture *f = *state;
    cJSON *doc = ask(f, "stats\n");
    const cJSON *d = ok_data(doc);
    /* Every counter, grouped by its prefix, in the stack's order. */
    size_t total = 0;
    const cJSON *g;
    cJSON_ArrayForEach(g, d) total += (size_t)cJSON_GetArraySize(g);
    assert_int_equal(total, CTR_MAX);
    assert_string_equal(cJSON_GetArrayItem(d, 0)->string, "eth");
    const cJSON *eth = cJSON_GetObjectItemCaseSensitive(d, "eth");
    assert_int_equal(number(eth, "tx_frames"), env_ctr(f->e, CTR_ETH_TX_FRAMES));
    assert_non_null(cJSON_GetObjectItemCaseSensitive(d, "tcp"));
    assert_non_null(cJSON_GetObjectItemCaseSensitive(d, "arp"));
    cJSON_Delete(doc);
}

static void test_capture_commands(void **state)
{
    struct fixture *f = *state;
    char req[256];
    assert_error(f, "capture stop\n", ENOENT, "no capture");
    snprintf(req, sizeof req, "capture start %s/c.pcap 4096 tcp and port 7\n", f->dir);
    cJSON *doc = ask(f, req);
    const cJSON *d = ok_data(doc);
    assert_true(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(d, "active")));
    assert_int_equal(number(d, "max_bytes"), 4096);
    assert_string_equal(str(d, "filter"), "tcp and port 7");
    cJSON_Delete(doc);
    assert_true(capture_active(f->cap));
    assert_error(f, req, EBUSY, "already running");
    doc = ask(f, "capture\n");
    assert_true(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(ok_data(doc), "active")));
    cJSON_Delete(doc);
    doc = ask(f, "capture stop\n");
    d = ok_data(doc);
    assert_true(cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(d, "active")));
    assert_int_equal(number(d, "bytes"), 24);
    cJSON_Delete(doc);

    snprintf(req, sizeof req, "capture start %s/c.pcap tcp or udp\n", f->dir);
    assert_error(f, req, EINVAL, "filter");
    snprintf(req, sizeof req, "capture start %s/nodir/c.pcap\n", f->dir);
    assert_error(f, req, ENOENT, "cannot open");
    f->env.capture = NULL;
    assert_error(f, "capture\n", ENOTSUP, "not available");
}

static void test_error_replies(void **state)
{
    struct fixture *f = *state;
    assert_error(f, "hello\n", EINVAL, "unknown request");
    assert_error(f, "\x16\x03\x01\x02\x00\n", EINVAL, "control character");
    assert_error(f, "link eth0\n", EINVAL, "no arguments");
    char big[CONTROL_REQUEST_MAX + 1];
    memset(big, 's', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    assert_error(f, big, EMSGSIZE, "longer than");
}

/* ---- the config keys ---- */

static const char *const base_config =
    "{\"interfaces\":[{\"name\":\"tcpip0\",\"ipv4\":{\"address\":\"10.77.0.2/24\"}}]";

static int load_with(const char *extra, struct tcpipd_config *cfg, char *err, size_t errlen)
{
    char doc[2048];
    snprintf(doc, sizeof doc, "%s%s%s}", base_config, extra[0] ? "," : "", extra);
    return config_load_string(doc, cfg, err, errlen);
}

static void test_config_keys(void **state)
{
    (void)state;
    struct tcpipd_config *cfg = calloc(1, sizeof *cfg);
    assert_non_null(cfg);
    char err[CONF_ERR_LEN];
    /* Defaults: the channel on at the default path, no capture. */
    assert_int_equal(load_with("", cfg, err, sizeof err), 0);
    assert_true(cfg->control.enabled);
    assert_false(cfg->control.path_set);
    assert_string_equal(cfg->control.path, CONTROL_DEFAULT_PATH);
    assert_int_equal(cfg->control.mode, 0660);
    assert_string_equal(cfg->capture.path, "");

    assert_int_equal(load_with("\"control\":{\"path\":\"/tmp/x.sock\",\"mode\":\"0600\"},"
                               "\"capture\":{\"path\":\"/tmp/x.pcap\",\"max_bytes\":5000,"
                               "\"filter\":\"tcp and port 7\"}",
                               cfg, err, sizeof err),
                     0);
    assert_true(cfg->control.path_set);
    assert_string_equal(cfg->control.path, "/tmp/x.sock");
    assert_int_equal(cfg->control.mode, 0600);
    assert_string_equal(cfg->capture.path, "/tmp/x.pcap");
    assert_int_equal(cfg->capture.max_bytes, 5000);
    assert_string_equal(cfg->capture.filter, "tcp and port 7");
    assert_int_equal(load_with("\"control\":{\"enabled\":false}", cfg, err, sizeof err), 0);
    assert_false(cfg->control.enabled);

    static const struct {
        const char *extra;
        const char *msg;
    } bad[] = {
        {"\"control\":{\"path\":\"rel.sock\"}", "control.path: \"rel.sock\" is not an absolute path"},
        {"\"control\":{\"path\":\"/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
         "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"}",
         "control.path: "},
        {"\"control\":{\"mode\":\"66x\"}", "control.mode: \"66x\" is not a file mode"},
        {"\"control\":{\"mode\":\"1777\"}", "control.mode: \"1777\" is not a file mode"},
        {"\"control\":{\"mode\":\"0066\"}", "control.mode: \"0066\" leaves the owner"},
        {"\"control\":{\"mode\":660}", "control.mode: expected a string"},
        {"\"control\":{\"socket\":\"/x\"}", "control.socket: unknown key"},
        {"\"control\":true", "control: expected an object"},
        {"\"capture\":{\"max_bytes\":100}", "capture.path: required key is missing"},
        {"\"capture\":{\"path\":\"x.pcap\"}", "capture.path: \"x.pcap\" is not an absolute path"},
        {"\"capture\":{\"path\":\"/x.pcap\",\"max_bytes\":10}", "capture.max_bytes: 10 is out of range"},
        {"\"capture\":{\"path\":\"/x.pcap\",\"filter\":\"tcp or udp\"}",
         "capture.filter: expected \"and\" before \"or\""},
        {"\"capture\":{\"path\":\"/x.pcap\",\"filter\":\"port 99999\"}",
         "capture.filter: port \"99999\" is not a number"},
        {"\"capture\":{\"path\":\"/x.pcap\",\"filter\":\"tcp\\nudp\"}",
         "capture.filter: contains a control character"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        err[0] = '\0';
        if (load_with(bad[i].extra, cfg, err, sizeof err) == 0 || strstr(err, bad[i].msg) == NULL)
            fail_msg("config %s: got \"%s\", wanted \"%s\"", bad[i].extra, err, bad[i].msg);
    }
    free(cfg);
}

/* ---- the server ---- */

static int client_connect(const char *path)
{
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
    assert_true(fd >= 0);
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    assert_true(strlen(path) < sizeof sa.sun_path);
    memcpy(sa.sun_path, path, strlen(path) + 1);
    assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    return fd;
}

/* Send req, run the loop until the daemon closes; the reply in buf. */
static size_t server_exchange(struct ev_loop *loop, const char *path, const char *req,
                              size_t req_len, char *buf, size_t cap)
{
    int fd = client_connect(path);
    size_t off = 0, got = 0;
    for (int i = 0; i < 10000; i++) {
        if (off < req_len) {
            ssize_t n = send(fd, req + off, req_len - off, MSG_NOSIGNAL);
            if (n > 0)
                off += (size_t)n;
        }
        ev_run(loop, EVRUN_NOWAIT);
        ssize_t n = recv(fd, buf + got, cap - 1 - got, 0);
        if (n == 0)
            break;
        if (n > 0)
            got += (size_t)n;
    }
    close(fd);
    buf[got] = '\0';
    return got;
}

static void test_server(void **state)
{
    struct fixture *f = *state;
    struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
    assert_non_null(loop);
    char path[100], err[256];
    snprintf(path, sizeof path, "%.60s/control.sock", f->dir);
    /* A stale socket file (nobody listening) is replaced. */
    int stale = socket(AF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    memcpy(sa.sun_path, path, strlen(path) + 1);
    assert_int_equal(bind(stale, (struct sockaddr *)&sa, sizeof sa), 0);
    close(stale);
    f->env.uid = (unsigned)geteuid();
    struct control *ctl = control_start(loop, path, 0600, &f->env, err, sizeof err);
    if (ctl == NULL)
        fail_msg("control_start: %s", err);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_true(S_ISSOCK(st.st_mode));
    assert_int_equal(st.st_mode & 0777, 0600);

    /* A second server on the live socket is refused. */
    struct ev_loop *loop2 = ev_loop_new(EVFLAG_AUTO);
    assert_null(control_start(loop2, path, 0600, &f->env, err, sizeof err));
    assert_non_null(strstr(err, "in use"));
    ev_loop_destroy(loop2);

    char buf[65536];
    server_exchange(loop, path, "status\n", 7, buf, sizeof buf);
    cJSON *doc = cJSON_Parse(buf);
    assert_non_null(doc);
    assert_true(buf[strlen(buf) - 1] == '\n');
    assert_string_equal(str(ok_data(doc), "version"), "9.9.9");
    cJSON_Delete(doc);

    /* A larger reply. */
    server_exchange(loop, path, "sockets\n", 8, buf, sizeof buf);
    doc = cJSON_Parse(buf);
    assert_non_null(cJSON_GetObjectItemCaseSensitive(ok_data(doc), "tcp"));
    cJSON_Delete(doc);

    /* Oversized request: an error, and the connection closes. */
    static char big[4096];
    memset(big, 'x', sizeof big);
    server_exchange(loop, path, big, sizeof big, buf, sizeof buf);
    doc = cJSON_Parse(buf);
    assert_non_null(doc);
    assert_true(cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(doc, "ok")));
    assert_int_equal(number(doc, "errno"), EMSGSIZE);
    cJSON_Delete(doc);

    /* Garbage. */
    server_exchange(loop, path, "\xff\xfe\x01\n", 4, buf, sizeof buf);
    doc = cJSON_Parse(buf);
    assert_non_null(doc);
    assert_int_equal(number(doc, "errno"), EINVAL);
    cJSON_Delete(doc);

    /* The refusal of a uid that is neither root nor the daemon's needs a
     * second user: tests/integration/test_tcpipctl.sh checks it. */
    control_stop(ctl);
    assert_int_equal(access(path, F_OK), -1); /* removed on stop */
    ev_loop_destroy(loop);
}

int main(void)
{
    FILE *devnull = fopen("/dev/null", "w");
    log_set_stream(devnull, false);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_requests),
        cmocka_unit_test(test_parse_bad_requests),
        cmocka_unit_test(test_config_keys),
        cmocka_unit_test_setup_teardown(test_status, setup, teardown),
        cmocka_unit_test_setup_teardown(test_link_addr_route, setup, teardown),
        cmocka_unit_test_setup_teardown(test_neigh, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sockets, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stats, setup, teardown),
        cmocka_unit_test_setup_teardown(test_capture_commands, setup, teardown),
        cmocka_unit_test_setup_teardown(test_error_replies, setup, teardown),
        cmocka_unit_test_setup_teardown(test_server, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ipv6_addr_route_status, setup6, teardown),
        cmocka_unit_test_setup_teardown(test_ipv6_neigh, setup6, teardown),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    log_set_stream(NULL, false);
    if (devnull != NULL)
        fclose(devnull);
    return rc;
}
