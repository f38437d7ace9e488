/* test_daemon_control.c - tcpipd's control channel (daemon/control*.c):
 * request parsing, the reply document of every command against a stack
 * with a fake netif and the built-in services, error replies for garbage
 * and oversized requests, and the libev server itself on a socket in a
 * temp directory (driven with non-blocking loop iterations, bounded).
 * The IPv6 views are in test_daemon_control6.c; the fixture is
 * support/control_fixture.h's. */
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
#include "tests/unit/support/control_fixture.h"
#include "tests/unit/support/stack_env.h"

static int setup(void **state)
{
    *state = ctl_fixture_new(NULL);
    return 0;
}

static void assert_error(struct ctl_fixture *f, const char *req, int errnum, const char *needle)
{
    cJSON *doc = ctl_ask(f, req);
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
    struct ctl_fixture *f = *state;
    cJSON *doc = ctl_ask(f, "status\n");
    const cJSON *d = ctl_ok_data(doc);
    assert_string_equal(ctl_str(d, "version"), "9.9.9");
    assert_int_equal(ctl_number(d, "pid"), 4242);
    assert_int_equal(ctl_number(d, "uid"), 0);
    assert_int_equal(ctl_number(d, "uptime_s"), 65);
    assert_int_equal(ctl_number(d, "interfaces"), 1);
    assert_int_equal(ctl_number(d, "tcp_connections"), 1); /* the echo listener */
    const cJSON *svcs = cJSON_GetObjectItemCaseSensitive(d, "services");
    assert_int_equal(cJSON_GetArraySize(svcs), 2);
    const cJSON *cap = cJSON_GetObjectItemCaseSensitive(d, "capture");
    assert_true(cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(cap, "active")));
    cJSON_Delete(doc);
}

static void test_link_addr_route(void **state)
{
    struct ctl_fixture *f = *state;
    cJSON *doc = ctl_ask(f, "link\n");
    const cJSON *d = ctl_ok_data(doc);
    assert_int_equal(cJSON_GetArraySize(d), 2);
    const cJSON *l = cJSON_GetArrayItem(d, 0);
    assert_string_equal(ctl_str(l, "name"), "lo"); /* first, as `ip link` */
    assert_string_equal(ctl_str(l, "type"), "loopback");
    assert_int_equal(ctl_number(l, "mtu"), STACK_LOOPBACK_MTU);
    assert_true(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(l, "mac")));
    l = cJSON_GetArrayItem(d, 1);
    assert_string_equal(ctl_str(l, "name"), "tcpip0");
    assert_string_equal(ctl_str(l, "mac"), "02:00:00:00:00:02");
    assert_int_equal(ctl_number(l, "mtu"), 1500);
    assert_true(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(l, "up")));
    assert_int_equal(ctl_number(l, "tx_frames"), env_ctr(f->e, CTR_ETH_TX_FRAMES));
    assert_int_equal(ctl_number(l, "rx_frames"), env_ctr(f->e, CTR_ETH_RX_FRAMES));
    cJSON_Delete(doc);

    doc = ctl_ask(f, "addr\n");
    d = ctl_ok_data(doc);
    assert_int_equal(cJSON_GetArraySize(d), 3); /* lo: 127.0.0.1/8, ::1/128 */
    const cJSON *a = cJSON_GetArrayItem(d, 0);
    assert_string_equal(ctl_str(a, "ifname"), "lo");
    assert_string_equal(ctl_str(a, "address"), "127.0.0.1");
    assert_string_equal(ctl_str(a, "scope"), "host");
    a = cJSON_GetArrayItem(d, 1);
    assert_string_equal(ctl_str(a, "address"), "::1");
    assert_string_equal(ctl_str(a, "scope"), "host");
    a = cJSON_GetArrayItem(d, 2);
    assert_string_equal(ctl_str(a, "ifname"), "tcpip0");
    assert_string_equal(ctl_str(a, "family"), "inet");
    assert_string_equal(ctl_str(a, "address"), "10.77.0.2");
    assert_int_equal(ctl_number(a, "prefix_len"), 24);
    assert_string_equal(ctl_str(a, "broadcast"), "10.77.0.255");
    cJSON_Delete(doc);

    doc = ctl_ask(f, "route\n");
    d = ctl_ok_data(doc);
    assert_int_equal(cJSON_GetArraySize(d), 2);
    const cJSON *r0 = cJSON_GetArrayItem(d, 0), *r1 = cJSON_GetArrayItem(d, 1);
    assert_string_equal(ctl_str(r0, "dst"), "10.77.0.0/24");
    assert_true(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(r0, "gateway")));
    assert_string_equal(ctl_str(r0, "scope"), "link");
    assert_string_equal(ctl_str(r1, "dst"), "default");
    assert_string_equal(ctl_str(r1, "gateway"), "10.77.0.1");
    assert_string_equal(ctl_str(r1, "dev"), "tcpip0");
    assert_string_equal(ctl_str(r1, "src"), "10.77.0.2");
    cJSON_Delete(doc);
}

static void test_neigh(void **state)
{
    struct ctl_fixture *f = *state;
    env_learn(f->e, ENV_IP_PEER, &env_mac_peer);
    f->env.now_ns = f->e->now + 1500 * NS_PER_MS;
    cJSON *doc = ctl_ask(f, "neigh\n");
    const cJSON *d = ctl_ok_data(doc);
    assert_int_equal(cJSON_GetArraySize(d), 1);
    const cJSON *n = cJSON_GetArrayItem(d, 0);
    assert_string_equal(ctl_str(n, "address"), "10.77.0.9");
    assert_string_equal(ctl_str(n, "mac"), "02:00:00:00:00:09");
    assert_string_equal(ctl_str(n, "ifname"), "tcpip0");
    assert_string_equal(ctl_str(n, "state"), neigh_state_name(NEIGH_REACHABLE));
    assert_int_equal(ctl_number(n, "age_ms"), 1500);
    cJSON_Delete(doc);
}

static void test_sockets(void **state)
{
    struct ctl_fixture *f = *state;
    env_learn(f->e, ENV_IP_PEER, &env_mac_peer);
    f->client = tcp_sock_open(f->e->s, NULL, NULL);
    assert_non_null(f->client);
    struct ip_endpoint peer = env_ep(ENV_IP_PEER, 8080);
    assert_int_equal(tcp_sock_connect(f->client, &peer, f->e->now), -EINPROGRESS);

    cJSON *doc = ctl_ask(f, "sockets\n");
    const cJSON *d = ctl_ok_data(doc);
    const cJSON *tcp = cJSON_GetObjectItemCaseSensitive(d, "tcp");
    const cJSON *udp = cJSON_GetObjectItemCaseSensitive(d, "udp");
    assert_int_equal(cJSON_GetArraySize(tcp), 2);
    bool saw_listen = false, saw_syn_sent = false;
    const cJSON *s;
    cJSON_ArrayForEach(s, tcp)
    {
        const cJSON *own = cJSON_GetObjectItemCaseSensitive(s, "owner");
        assert_int_equal(ctl_number(own, "pid"), 4242);
        assert_string_equal(ctl_str(own, "name"), "tcpipd");
        if (strcmp(ctl_str(s, "state"), "LISTEN") == 0) {
            saw_listen = true;
            assert_string_equal(ctl_str(s, "local"), "[::]:7");
            assert_string_equal(ctl_str(s, "remote"), "*:*");
            assert_null(cJSON_GetObjectItemCaseSensitive(s, "cwnd"));
        } else {
            saw_syn_sent = true;
            assert_string_equal(ctl_str(s, "state"), "SYN-SENT");
            assert_string_equal(ctl_str(s, "remote"), "10.77.0.9:8080");
            assert_true(strncmp(ctl_str(s, "local"), "10.77.0.2:", 10) == 0);
            assert_true(ctl_number(s, "cwnd") > 0);
            assert_true(ctl_number(s, "rto_us") >= 1000000);
            ctl_number(s, "srtt_us");
            ctl_number(s, "recv_q");
            ctl_number(s, "send_q");
            assert_true(strlen(ctl_str(s, "cc")) > 0);
        }
    }
    assert_true(saw_listen && saw_syn_sent);
    assert_int_equal(cJSON_GetArraySize(udp), 1);
    const cJSON *u = cJSON_GetArrayItem(udp, 0);
    assert_string_equal(ctl_str(u, "local"), "[::]:7");
    assert_string_equal(ctl_str(u, "service"), "echo");
    assert_string_equal(ctl_str(u, "state"), "UNCONN");
    const cJSON *own = cJSON_GetObjectItemCaseSensitive(u, "owner");
    assert_string_equal(ctl_str(own, "name"), "tcpipd");
    cJSON_Delete(doc);
}

static void test_stats(void **state)
{
    struct ctl_fixture *f = *state;
    cJSON *doc = ctl_ask(f, "stats\n");
    const cJSON *d = ctl_ok_data(doc);
    /* Every counter, grouped by its prefix, in the stack's order. */
    size_t total = 0;
    const cJSON *g;
    cJSON_ArrayForEach(g, d) if (strcmp(g->string, "nstat") != 0) total +=
        (size_t)cJSON_GetArraySize(g);
    assert_int_equal(total, CTR_MAX); /* and "nstat", Linux's names (test_daemon_control_change) */
    assert_string_equal(cJSON_GetArrayItem(d, 0)->string, "eth");
    const cJSON *eth = cJSON_GetObjectItemCaseSensitive(d, "eth");
    assert_int_equal(ctl_number(eth, "tx_frames"), env_ctr(f->e, CTR_ETH_TX_FRAMES));
    assert_non_null(cJSON_GetObjectItemCaseSensitive(d, "tcp"));
    assert_non_null(cJSON_GetObjectItemCaseSensitive(d, "arp"));
    cJSON_Delete(doc);
}

static void test_capture_commands(void **state)
{
    struct ctl_fixture *f = *state;
    char req[256];
    assert_error(f, "capture stop\n", ENOENT, "no capture");
    snprintf(req, sizeof req, "capture start %s/c.pcap 4096 tcp and port 7\n", f->dir);
    cJSON *doc = ctl_ask(f, req);
    const cJSON *d = ctl_ok_data(doc);
    assert_true(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(d, "active")));
    assert_int_equal(ctl_number(d, "max_bytes"), 4096);
    assert_string_equal(ctl_str(d, "filter"), "tcp and port 7");
    cJSON_Delete(doc);
    assert_true(capture_active(f->cap));
    assert_error(f, req, EBUSY, "already running");
    doc = ctl_ask(f, "capture\n");
    assert_true(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(ctl_ok_data(doc), "active")));
    cJSON_Delete(doc);
    doc = ctl_ask(f, "capture stop\n");
    d = ctl_ok_data(doc);
    assert_true(cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(d, "active")));
    assert_int_equal(ctl_number(d, "bytes"), 24);
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
    struct ctl_fixture *f = *state;
    assert_error(f, "hello\n", EINVAL, "unknown request");
    assert_error(f, "\x16\x03\x01\x02\x00\n", EINVAL, "control character");
    assert_error(f, "link eth0\n", EINVAL, "usage: link set [dev] NAME mtu N");
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
    struct ctl_fixture *f = *state;
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
    assert_string_equal(ctl_str(ctl_ok_data(doc), "version"), "9.9.9");
    cJSON_Delete(doc);

    /* A larger reply. */
    server_exchange(loop, path, "sockets\n", 8, buf, sizeof buf);
    doc = cJSON_Parse(buf);
    assert_non_null(cJSON_GetObjectItemCaseSensitive(ctl_ok_data(doc), "tcp"));
    cJSON_Delete(doc);

    /* Oversized request: an error, and the connection closes. */
    static char big[4096];
    memset(big, 'x', sizeof big);
    server_exchange(loop, path, big, sizeof big, buf, sizeof buf);
    doc = cJSON_Parse(buf);
    assert_non_null(doc);
    assert_true(cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(doc, "ok")));
    assert_int_equal(ctl_number(doc, "errno"), EMSGSIZE);
    cJSON_Delete(doc);

    /* Garbage. */
    server_exchange(loop, path, "\xff\xfe\x01\n", 4, buf, sizeof buf);
    doc = cJSON_Parse(buf);
    assert_non_null(doc);
    assert_int_equal(ctl_number(doc, "errno"), EINVAL);
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
        cmocka_unit_test_setup_teardown(test_status, setup, ctl_teardown),
        cmocka_unit_test_setup_teardown(test_link_addr_route, setup, ctl_teardown),
        cmocka_unit_test_setup_teardown(test_neigh, setup, ctl_teardown),
        cmocka_unit_test_setup_teardown(test_sockets, setup, ctl_teardown),
        cmocka_unit_test_setup_teardown(test_stats, setup, ctl_teardown),
        cmocka_unit_test_setup_teardown(test_capture_commands, setup, ctl_teardown),
        cmocka_unit_test_setup_teardown(test_error_replies, setup, ctl_teardown),
        cmocka_unit_test_setup_teardown(test_server, setup, ctl_teardown),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    log_set_stream(NULL, false);
    if (devnull != NULL)
        fclose(devnull);
    return rc;
}
