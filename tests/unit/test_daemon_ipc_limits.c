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

    /* Wrong version: EPROTONOSUPPORT in version 1, then closed. */
    c = dipc_ctl_connect(f);
    uint8_t v2[IPC_MAX_MSG];
    memcpy(v2, buf, n);
    v2[4] = 2;
    dipc_send_bytes(c, v2, n);
    uint8_t rb[IPC_HDR_LEN + IPC_REPLY_LEN];
    assert_true(dipc_pump_until_readable(f, c));
    assert_int_equal(recv(c, rb, sizeof rb, 0), (ssize_t)sizeof rb);
    struct ipc_reply r;
    assert_int_equal(ipc_decode_reply(rb, sizeof rb, &r), (int)sizeof rb);
    assert_int_equal(r.err, EPROTONOSUPPORT);
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

    /* A request before OPEN: EBADF; OPEN twice: EINVAL. */
    c = dipc_ctl_connect(f);
    r = dipc_empty_req(f, c, IPC_OP_GETNAME);
    assert_int_equal(r.err, EBADF);
    int d;
    assert_int_equal(dipc_open_sock(f, c, IPC_PROTO_TCP, &d), 0);
    r = dipc_request(f, c, buf, n);
    assert_int_equal(r.err, EINVAL);
    close(d);
    close(c);

    /* fds passed to the daemon are closed, not kept: the pipe's read end
     * sees EOF once the daemon dropped the write end. */
    int pfd[2];
    assert_int_equal(pipe(pfd), 0);
    c = dipc_ctl_connect(f);
    union {
        struct cmsghdr h;
        char b[CMSG_SPACE(sizeof(int))];
    } cm;
    memset(&cm, 0, sizeof cm);
    struct iovec iov = {.iov_base = buf, .iov_len = n};
    struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = cm.b,
                        .msg_controllen = sizeof cm.b};
    struct cmsghdr *h = CMSG_FIRSTHDR(&mh);
    h->cmsg_level = SOL_SOCKET;
    h->cmsg_type = SCM_RIGHTS;
    h->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(h), &pfd[1], sizeof(int));
    assert_int_equal(sendmsg(c, &mh, 0), (ssize_t)n);
    close(pfd[1]);
    assert_true(dipc_closed_by_daemon(f, c));
    close(c);
    char x;
    assert_int_equal(read(pfd[0], &x, 1), 0);
    close(pfd[0]);

    /* The well-behaved connection was never disturbed. */
    r = dipc_empty_req(f, keep, IPC_OP_GETNAME);
    assert_int_equal(r.err, 0);
    ipc_server_get_stats(f->srv, &st);
    assert_true(st.protocol_errors >= 5);
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
    int c = dipc_ctl_connect(f), d;
    assert_int_equal(dipc_open_sock(f, c, IPC_PROTO_TCP, &d), EACCES);
    assert_true(dipc_closed_by_daemon(f, c));
    close(c);
    struct ipc_server_stats st;
    ipc_server_get_stats(f->srv, &st);
    assert_int_equal(st.clients_refused, 1);
    assert_int_equal(dipc_socket_count(f), 0);
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
    assert_int_equal(dipc_open_sock(f, c, IPC_PROTO_TCP, &d), EACCES);
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
    struct ipc_reply r = dipc_addr_req(f, c, IPC_OP_BIND, 0, dipc_ep4(0, 80));
    assert_int_equal(r.err, EACCES);
    r = dipc_addr_req(f, c, IPC_OP_BIND, 0, dipc_ep4(0, 8080));
    assert_int_equal(r.err, 0);
    close(d);
    close(c);
}

static void test_socket_limit_emfile(void **state)
{
    struct fixture *f = *state;
    f->ipc.max_sockets_per_client = 2;
    dipc_start(f);
    int c[3], d[3];
    for (int i = 0; i < 3; i++)
        c[i] = dipc_ctl_connect(f);
    assert_int_equal(dipc_open_sock(f, c[0], IPC_PROTO_TCP, &d[0]), 0);
    assert_int_equal(dipc_open_sock(f, c[1], IPC_PROTO_UDP, &d[1]), 0);
    assert_int_equal(dipc_open_sock(f, c[2], IPC_PROTO_TCP, &d[2]), EMFILE);
    uint32_t socks = 0;
    uint64_t bytes = 0;
    assert_int_equal(ipc_server_client_usage(f->srv, getpid(), &socks, &bytes), 0);
    assert_int_equal(socks, 2);
    /* One closed: room again. */
    close(d[0]);
    close(c[0]);
    dipc_pump_n(f, 5);
    assert_int_equal(dipc_open_sock(f, c[2], IPC_PROTO_TCP, &d[2]), 0);
    for (int i = 1; i < 3; i++) {
        close(d[i]);
        close(c[i]);
    }
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
             "\"max_sockets_per_client\": 8, \"max_buffer_per_client\": 1048576}}", base);
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
        cmocka_unit_test_setup_teardown(test_privileged_port, dipc_setup, dipc_teardown),
        cmocka_unit_test_setup_teardown(test_socket_limit_emfile, dipc_setup, dipc_teardown),
        cmocka_unit_test_setup_teardown(test_stale_socket_replaced, dipc_setup, dipc_teardown),
        cmocka_unit_test(test_config_keys),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
