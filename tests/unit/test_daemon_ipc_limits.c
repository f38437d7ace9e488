/* test_daemon_ipc_limits.c - the IPC server (daemon/ipc_server.c) against
 * clients it must refuse or survive: hostile messages, access lists and
 * their live reconfiguration, privileged ports, the socket limit (EMFILE),
 * a stale socket file, and the ipc config keys. Same fixture as
 * test_daemon_ipc.c (tests/unit/support/daemon_ipc_fixture.h). */

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <dirent.h>
#include <sys/un.h>
#include <unistd.h>
#include <ev.h>

#include <cmocka.h>

#include "daemon/config.h"
#include "daemon/ipc_server.h"
#include "daemon/services.h"
#include "ipc/ipc.h"
#include "stack/stack.h"
#include "tests/unit/support/daemon_ipc_fixture.h"

static void test_hostile_messages(void **state)
{
    struct fixture *f = *state;
    dipc_start(f);
    uint8_t buf[IPC_MAX_MSG];
    struct ipc_open o = {.proto = IPC_PROTO_TCP, .family = IPC_AF_INET};
    size_t n = ipc_encode_open(buf, sizeof buf, &o);
    struct ipc_server_stats st;

    /* Truncated, then the peer closes: that connection only. */
    int keep = dipc_ctl_connect(f), kdata;
    assert_int_equal(dipc_open_sock(f, keep, IPC_PROTO_TCP, &kdata), 0);
    int c = dipc_ctl_connect(f);
    dipc_send_bytes(c, buf, 5);
    dipc_pump_n(f, 5);
    close(c);
    dipc_pump_n(f, 5);

    /* Wrong version: EPROTONOSUPPORT in ours, then closed. */
    c = dipc_ctl_connect(f);
    uint8_t v2[IPC_MAX_MSG];
    memcpy(v2, buf, n);
    v2[4] = 1;
    dipc_send_bytes(c, v2, n);
    uint8_t rb[IPC_HDR_LEN + IPC_REPLY_LEN];
    assert_true(dipc_pump_until_readable(f, c));
    assert_int_equal(recv(c, rb, sizeof rb, 0), (ssize_t)sizeof rb);
    struct ipc_reply r;
    assert_int_equal(ipc_decode_reply(rb, sizeof rb, &r), (int)sizeof rb);
    assert_int_equal(r.err, EPROTONOSUPPORT);
    assert_int_equal(rb[4], IPC_VERSION);
    assert_true(dipc_closed_by_daemon(f, c));
    close(c);

    /* Huge length, unknown type, garbage magic: closed without a reply. */
    uint8_t bad[IPC_HDR_LEN];
    memcpy(bad, buf, IPC_HDR_LEN);
    bad[8] = 0x7f;
    c = dipc_ctl_connect(f);
    dipc_send_bytes(c, bad, sizeof bad);
    assert_true(dipc_closed_by_daemon(f, c));
    close(c);
    memcpy(bad, buf, IPC_HDR_LEN);
    bad[5] = 99;
    c = dipc_ctl_connect(f);
    dipc_send_bytes(c, bad, sizeof bad);
    assert_true(dipc_closed_by_daemon(f, c));
    close(c);
    c = dipc_ctl_connect(f);
    dipc_send_bytes(c, "GET / HTTP/1.0\r\n\r\n", 18);
    assert_true(dipc_closed_by_daemon(f, c));
    close(c);

    /* A request that names no socket: EBADF; a non-socket, a foreign
     * socket: ENOTSOCK; the session goes on. */
    c = dipc_ctl_connect(f);
    r = dipc_empty_req(f, c, -1, IPC_OP_GETNAME);
    assert_int_equal(r.err, EBADF);
    int pfd[2];
    assert_int_equal(pipe(pfd), 0);
    r = dipc_empty_req(f, c, pfd[1], IPC_OP_GETNAME);
    assert_int_equal(r.err, ENOTSOCK);
    int sp[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sp), 0);
    r = dipc_empty_req(f, c, sp[0], IPC_OP_LOOKUP);
    assert_int_equal(r.err, ENOTSOCK);
    assert_int_equal(r.proto, 0);
    close(sp[0]);
    close(sp[1]);
    int d;
    assert_int_equal(dipc_open_sock(f, c, IPC_PROTO_TCP, &d), 0);
    /* a request on a data fd: a socket's data is not a session */
    close(d);
    close(c);

    /* fds passed to the daemon are closed, not kept: the pipe's read end
     * sees EOF once the daemon dropped the write end. Two fds with one
     * request, or one with OPEN: the session is closed. */
    c = dipc_ctl_connect(f);
    dipc_send_fds(c, buf, n, &pfd[1], 1);
    assert_true(dipc_closed_by_daemon(f, c));
    close(c);
    uint8_t gn[IPC_MAX_MSG];
    size_t gl = ipc_encode_empty(gn, sizeof gn, IPC_OP_GETNAME);
    int two[2] = {pfd[1], pfd[1]};
    c = dipc_ctl_connect(f);
    dipc_send_fds(c, gn, gl, two, 2);
    assert_true(dipc_closed_by_daemon(f, c));
    close(c);
    close(pfd[1]);
    dipc_pump_n(f, 2);
    char x;
    assert_int_equal(read(pfd[0], &x, 1), 0);
    close(pfd[0]);

    /* Two requests in one write (not waiting for the first reply): which
     * one a passed fd is for would be a guess; the session is closed. */
    c = dipc_ctl_connect(f);
    uint8_t two_req[2 * IPC_MAX_MSG];
    size_t a1 = ipc_encode_empty(two_req, sizeof two_req, IPC_OP_GETNAME);
    size_t a2 = ipc_encode_empty(two_req + a1, sizeof two_req - a1, IPC_OP_GETERR);
    dipc_send_fds(c, two_req, a1 + a2, &kdata, 1);
    assert_true(dipc_closed_by_daemon(f, c));
    close(c);

    /* The well-behaved session was never disturbed. */
    r = dipc_empty_req(f, keep, kdata, IPC_OP_GETNAME);
    assert_int_equal(r.err, 0);
    ipc_server_get_stats(f->srv, &st);
    assert_true(st.protocol_errors >= 7);
    close(kdata);
    close(keep);
    dipc_pump_n(f, 20);
    assert_int_equal(dipc_socket_count(f), 0);
    ipc_server_get_stats(f->srv, &st);
    assert_int_equal(st.clients, 0);
}

static void test_permission_refused(void **state)
{
    struct fixture *f = *state;
    f->ipc.allow_uids[0] = (uint32_t)getuid() + 1;
    f->ipc.n_allow_uids = 1;
    dipc_start(f);
    /* Refused at once, before any request: no fd of ours held for it. */
    int c = dipc_ctl_connect(f);
    uint8_t rb[IPC_HDR_LEN + IPC_REPLY_LEN];
    assert_true(dipc_pump_until_readable(f, c));
    assert_int_equal(recv(c, rb, sizeof rb, 0), (ssize_t)sizeof rb);
    struct ipc_reply r;
    assert_int_equal(ipc_decode_reply(rb, sizeof rb, &r), (int)sizeof rb);
    assert_int_equal(r.err, EACCES);
    assert_true(dipc_closed_by_daemon(f, c));
    close(c);
    struct ipc_server_stats st;
    ipc_server_get_stats(f->srv, &st);
    assert_int_equal(st.clients_refused, 1);
    assert_int_equal(st.clients, 0);
    assert_int_equal(dipc_socket_count(f), 0);
}

/* Sessions are bounded per uid and in all; one that never sends a
 * request is closed after pending_timeout_ms (issue 14.1). */
static void test_session_limits(void **state)
{
    struct fixture *f = *state;
    f->ipc.max_clients_per_uid = 2;
    f->ipc.pending_timeout_ms = 100;
    dipc_start(f);
    int a = dipc_ctl_connect(f), b = dipc_ctl_connect(f), c = dipc_ctl_connect(f);
    uint8_t rb[IPC_HDR_LEN + IPC_REPLY_LEN];
    assert_true(dipc_pump_until_readable(f, c));
    assert_int_equal(recv(c, rb, sizeof rb, 0), (ssize_t)sizeof rb);
    struct ipc_reply r;
    assert_int_equal(ipc_decode_reply(rb, sizeof rb, &r), (int)sizeof rb);
    assert_int_equal(r.err, EMFILE);
    assert_true(dipc_closed_by_daemon(f, c));
    close(c);
    struct ipc_server_stats st;
    ipc_server_get_stats(f->srv, &st);
    assert_int_equal(st.clients, 2);
    assert_int_equal(st.pending, 2);
    assert_int_equal(st.clients_limited, 1);
    /* a request makes a session established; silence closes the other */
    int d;
    assert_int_equal(dipc_open_sock(f, a, IPC_PROTO_UDP, &d), 0);
    for (int i = 0; i < 30; i++) {
        usleep(10000);
        dipc_pump(f);
    }
    assert_true(dipc_closed_by_daemon(f, b));
    close(b);
    ipc_server_get_stats(f->srv, &st);
    assert_int_equal(st.clients, 1);
    assert_int_equal(st.pending, 0);
    assert_int_equal(st.clients_timed_out, 1);
    r = dipc_empty_req(f, a, d, IPC_OP_GETNAME);
    assert_int_equal(r.err, 0);
    close(d);
    close(a);
    dipc_pump_n(f, 3);
    ipc_server_get_stats(f->srv, &st);
    assert_int_equal(st.clients, 0);
}

/* SIGHUP: new access lists apply to the next client; the socket file's
 * settings are reported as needing a restart. */
static void test_reconfigure_access_live(void **state)
{
    struct fixture *f = *state;
    dipc_start(f);
    int c = dipc_ctl_connect(f), d;
    assert_int_equal(dipc_open_sock(f, c, IPC_PROTO_TCP, &d), 0);
    close(d);
    close(c);
    struct conf_ipc next = f->ipc;
    next.allow_uids[0] = (uint32_t)getuid() + 1;
    next.n_allow_uids = 1;
    assert_true(ipc_server_reconfigure(f->srv, &next));
    c = dipc_ctl_connect(f);
    assert_true(dipc_closed_by_daemon(f, c) || true);
    close(c);
    c = dipc_ctl_connect(f);
    uint8_t rb[IPC_HDR_LEN + IPC_REPLY_LEN];
    assert_true(dipc_pump_until_readable(f, c));
    assert_int_equal(recv(c, rb, sizeof rb, 0), (ssize_t)sizeof rb);
    struct ipc_reply r;
    assert_int_equal(ipc_decode_reply(rb, sizeof rb, &r), (int)sizeof rb);
    assert_int_equal(r.err, EACCES);
    close(c);
    next.mode = 0600;
    assert_false(ipc_server_reconfigure(f->srv, &next));
}

static void test_privileged_port(void **state)
{
    struct fixture *f = *state;
    f->ipc.n_privileged_port_uids = 0;
    dipc_start(f);
    int c = dipc_ctl_connect(f), d;
    assert_int_equal(dipc_open_sock(f, c, IPC_PROTO_TCP, &d), 0);
    struct ipc_reply r = dipc_addr_req(f, c, d, IPC_OP_BIND, dipc_ep4(0, 80));
    assert_int_equal(r.err, EACCES);
    r = dipc_addr_req(f, c, d, IPC_OP_BIND, dipc_ep4(0, 8080));
    assert_int_equal(r.err, 0);
    close(d);
    close(c);
}

static void test_socket_limit_emfile(void **state)
{
    struct fixture *f = *state;
    f->ipc.max_sockets_per_client = 2;
    dipc_start(f);
    int c = dipc_ctl_connect(f), d[3];
    assert_int_equal(dipc_open_sock(f, c, IPC_PROTO_TCP, &d[0]), 0);
    assert_int_equal(dipc_open_sock(f, c, IPC_PROTO_UDP, &d[1]), 0);
    assert_int_equal(dipc_open_sock(f, c, IPC_PROTO_TCP, &d[2]), EMFILE);
    uint32_t socks = 0;
    uint64_t bytes = 0;
    assert_int_equal(ipc_server_client_usage(f->srv, getpid(), &socks, &bytes), 0);
    assert_int_equal(socks, 2);
    /* One closed: room again. */
    close(d[0]);
    dipc_pump_n(f, 5);
    assert_int_equal(dipc_open_sock(f, c, IPC_PROTO_TCP, &d[2]), 0);
    for (int i = 1; i < 3; i++)
        close(d[i]);
    close(c);
    dipc_pump_n(f, 5);
    assert_int_equal(dipc_socket_count(f), 0);
    assert_int_equal(ipc_server_client_usage(f->srv, getpid(), &socks, &bytes), -1);
}

static void test_stale_socket_replaced(void **state)
{
    struct fixture *f = *state;
    /* A socket file nobody listens on, as a killed daemon leaves. */
    int s = socket(AF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_un sa;
    memset(&sa, 0, sizeof sa);
    sa.sun_family = AF_UNIX;
    snprintf(sa.sun_path, sizeof sa.sun_path, "%s", f->ipc.path);
    assert_int_equal(bind(s, (struct sockaddr *)&sa, sizeof sa), 0);
    close(s);
    dipc_start(f);
    /* A second server on the same live path refuses to start. */
    char err[256];
    assert_null(ipc_server_start(f->loop, f->daemon, &f->ipc, dipc_fake_clock, f, err, sizeof err));
    assert_non_null(strstr(err, "another daemon"));
    int c = dipc_ctl_connect(f), d;
    assert_int_equal(dipc_open_sock(f, c, IPC_PROTO_TCP, &d), 0);
    close(d);
    close(c);
}

static void test_config_keys(void **state)
{
    (void)state;
    struct tcpipd_config *cfg = malloc(sizeof *cfg);
    assert_non_null(cfg);
    char err[CONF_ERR_LEN];
    const char *base = "{\"interfaces\": [{\"name\": \"t0\"}]";
    char doc[1024];
    assert_int_equal(config_load_string("{\"interfaces\": [{\"name\": \"t0\"}]}", cfg, err,
                                        sizeof err), 0);
    assert_false(cfg->ipc.enabled);
    snprintf(doc, sizeof doc, "%s, \"ipc\": {\"path\": \"/tmp/x.sock\", \"owner\": 0, "
             "\"group\": \"root\", \"mode\": \"0600\", \"allow_uids\": [0, 1000], "
             "\"allow_gids\": [\"root\"], \"privileged_port_uids\": [], "
             "\"max_sockets_per_client\": 8, \"max_buffer_per_client\": 1048576, "
             "\"max_clients\": 100, \"max_clients_per_uid\": 10, "
             "\"pending_timeout_ms\": 2000}}", base);
    if (config_load_string(doc, cfg, err, sizeof err) != 0)
        fail_msg("%s", err);
    assert_true(cfg->ipc.enabled);
    assert_string_equal(cfg->ipc.path, "/tmp/x.sock");
    assert_int_equal(cfg->ipc.mode, 0600);
    assert_int_equal(cfg->ipc.n_allow_uids, 2);
    assert_int_equal(cfg->ipc.allow_uids[1], 1000);
    assert_int_equal(cfg->ipc.n_allow_gids, 1);
    assert_int_equal(cfg->ipc.n_privileged_port_uids, 0);
    assert_int_equal(cfg->ipc.max_sockets_per_client, 8);
    assert_int_equal(cfg->ipc.max_buffer_per_client, 1048576);
    assert_int_equal(cfg->ipc.max_clients, 100);
    assert_int_equal(cfg->ipc.max_clients_per_uid, 10);
    assert_int_equal(cfg->ipc.pending_timeout_ms, 2000);
    snprintf(doc, sizeof doc, "%s, \"ipc\": {}}", base);
    assert_int_equal(config_load_string(doc, cfg, err, sizeof err), 0);
    assert_string_equal(cfg->ipc.path, IPC_DEFAULT_PATH);
    assert_int_equal(cfg->ipc.n_privileged_port_uids, 1);
    const char *bad[][2] = {
        {"{\"mode\": \"0999\"}", "ipc.mode"},
        {"{\"path\": \"relative.sock\"}", "ipc.path"},
        {"{\"owner\": \"no-such-user-here\"}", "ipc.owner"},
        {"{\"allow_gids\": [-1]}", "ipc.allow_gids[0]"},
        {"{\"max_sockets_per_client\": 0}", "ipc.max_sockets_per_client"},
        {"{\"max_clients\": 0}", "ipc.max_clients"},
        {"{\"max_clients_per_uid\": \"x\"}", "ipc.max_clients_per_uid"},
        {"{\"pending_timeout_ms\": 10}", "ipc.pending_timeout_ms"},
        {"{\"sockets\": 1}", "sockets"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        snprintf(doc, sizeof doc, "%s, \"ipc\": %s}", base, bad[i][0]);
        assert_int_equal(config_load_string(doc, cfg, err, sizeof err), -1);
        if (strstr(err, bad[i][1]) == NULL)
            fail_msg("%s: error \"%s\" does not name %s", bad[i][0], err, bad[i][1]);
    }
    free(cfg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_reconfigure_access_live, dipc_setup, dipc_teardown),
        cmocka_unit_test_setup_teardown(test_hostile_messages, dipc_setup, dipc_teardown),
        cmocka_unit_test_setup_teardown(test_permission_refused, dipc_setup, dipc_teardown),
        cmocka_unit_test_setup_teardown(test_session_limits, dipc_setup, dipc_teardown),
        cmocka_unit_test_setup_teardown(test_privileged_port, dipc_setup, dipc_teardown),
        cmocka_unit_test_setup_teardown(test_socket_limit_emfile, dipc_setup, dipc_teardown),
        cmocka_unit_test_setup_teardown(test_stale_socket_replaced, dipc_setup, dipc_teardown),
        cmocka_unit_test(test_config_keys),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
