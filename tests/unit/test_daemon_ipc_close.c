/* test_daemon_ipc_close.c - how a socket of the IPC server ends and how it
 * half-closes (ipc/PROTOCOL.md 6.5, 6.7, 7.1): a socket is its data fd, so
 * it ends at the last close of every copy (dup, fork, SCM_RIGHTS), never
 * at one copy's; SHUTDOWN sends our FIN in every state where Linux does
 * (issue 12.1), SHUT_RD leaves queued data readable (12.8); a close with
 * unread data resets, a close with unsent data flushes. The peer is a
 * plain tcp_sock on the second stack of the fixture
 * (tests/unit/support/daemon_ipc_fixture.h). */

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
#include <unistd.h>
#include <ev.h>

#include <cmocka.h>

#include "daemon/ipc_server.h"
#include "ipc/ipc.h"
#include "stack/stack.h"
#include "tests/unit/support/daemon_ipc_fixture.h"

#define PORT 6100

struct peer {
    struct tcp_sock *listener;
    struct tcp_sock *conn;
};

static void peer_event(void *user, struct tcp_sock *ts, int events)
{
    (void)user;
    (void)ts;
    (void)events;
}

/* A connection from a socket of the IPC server (ctl, data) to a tcp_sock
 * of the peer stack. */
static void connect_pair(struct fixture *f, struct peer *p, int *ctl, int *data)
{
    p->listener = tcp_sock_open(f->peer, peer_event, NULL);
    struct ip_endpoint any = {.addr = ip_addr_v4(0), .port = PORT};
    assert_int_equal(tcp_sock_bind(p->listener, &any), 0);
    assert_int_equal(tcp_sock_listen(p->listener, 4), 0);
    *ctl = dipc_ctl_connect(f);
    assert_int_equal(dipc_open_sock(f, *ctl, IPC_PROTO_TCP, data), 0);
    assert_int_equal(dipc_connect(f, *ctl, *data, dipc_ep4(PEER_IP, PORT)), 0);
    int err = 0;
    p->conn = NULL;
    for (int i = 0; i < 100 && p->conn == NULL; i++) {
        dipc_pump(f);
        p->conn = tcp_sock_accept(p->listener, peer_event, NULL, &err);
    }
    assert_non_null(p->conn);
}

static void peer_free(struct fixture *f, struct peer *p)
{
    if (p->conn != NULL)
        tcp_sock_abort(p->conn, f->now);
    tcp_sock_close(p->listener, f->now);
}

/* What the peer reads within n rounds: bytes (>0), 0 at our FIN, or a
 * negative errno (-ECONNRESET at our RST, -EAGAIN if nothing came). */
static long peer_read(struct fixture *f, struct peer *p, void *buf, size_t len, int rounds)
{
    long n = -EAGAIN;
    for (int i = 0; i < rounds && n == -EAGAIN; i++) {
        dipc_pump(f);
        n = tcp_sock_recv(p->conn, buf, len, f->now);
    }
    return n;
}

/* A copy of the data fd (dup, a forked child's, one passed by SCM_RIGHTS)
 * is the same socket: closing one copy ends nothing, the last one ends it
 * (issue 10: echo_server --fork). */
static void test_last_close_ends_it(void **state)
{
    struct fixture *f = *state;
    dipc_start(f);
    struct peer p;
    int ctl, data;
    connect_pair(f, &p, &ctl, &data);
    int copy = dup(data);
    assert_true(copy >= 0);
    close(data); /* the "parent" closes its copy */
    dipc_pump_n(f, 20);
    assert_int_equal(dipc_socket_count(f), 1);
    char buf[16];
    assert_int_equal(peer_read(f, &p, buf, sizeof buf, 20), -EAGAIN); /* no FIN, no RST */
    /* the "child" goes on both ways */
    dipc_send_bytes(copy, "from child", 10);
    assert_int_equal(peer_read(f, &p, buf, sizeof buf, 200), 10);
    assert_int_equal(tcp_sock_send(p.conn, "ok", 2, f->now), 2);
    assert_true(dipc_pump_until_readable(f, copy));
    assert_int_equal(recv(copy, buf, sizeof buf, 0), 2);
    /* requests about it go on a session of its own */
    int ctl2 = dipc_ctl_connect(f);
    struct ipc_reply r = dipc_empty_req(f, ctl2, copy, IPC_OP_GETNAME);
    assert_int_equal(r.err, 0);
    assert_int_equal(r.remote.port, PORT);
    close(ctl2);
    close(ctl);
    dipc_pump_n(f, 20);
    assert_int_equal(dipc_socket_count(f), 1); /* sessions do not hold sockets */
    /* the last copy: a graceful close, the peer reads our FIN */
    close(copy);
    assert_int_equal(peer_read(f, &p, buf, sizeof buf, 200), 0);
    assert_int_equal(dipc_socket_count(f), 0);
    peer_free(f, &p);
}

/* Issue 12.1: the everyday server that reads to EOF, then shuts down for
 * writing: CLOSE-WAIT, and our FIN goes out at once, with the data. */
static void test_shut_wr_in_close_wait(void **state)
{
    struct fixture *f = *state;
    dipc_start(f);
    struct peer p;
    int ctl, data;
    connect_pair(f, &p, &ctl, &data);
    assert_int_equal(tcp_sock_shutdown(p.conn, 1, f->now), 0); /* the peer's FIN */
    assert_true(dipc_closed_by_daemon(f, data));                 /* EOF for us */
    char out[1000];
    memset(out, 'd', sizeof out);
    dipc_send_bytes(data, out, sizeof out);
    assert_int_equal(dipc_shutdown(f, ctl, data, 1).err, 0);
    char in[2000];
    size_t got = 0;
    long n;
    while ((n = peer_read(f, &p, in + got, sizeof in - got, 200)) > 0)
        got += (size_t)n;
    assert_int_equal(got, sizeof out);
    assert_int_equal(n, 0); /* and the FIN, before any close */
    assert_int_equal(dipc_socket_count(f), 1);
    close(data);
    close(ctl);
    dipc_pump_n(f, 20);
    assert_int_equal(dipc_socket_count(f), 0);
    peer_free(f, &p);
}

/* SHUT_RDWR, or SHUT_RD then SHUT_WR: the FIN goes at once too; the fd
 * is not closed for it. */
static void test_shut_rdwr_sends_fin(void **state)
{
    struct fixture *f = *state;
    dipc_start(f);
    struct peer p;
    int ctl, data;
    connect_pair(f, &p, &ctl, &data);
    dipc_send_bytes(data, "last", 4);
    struct ipc_reply r = dipc_shutdown(f, ctl, data, 2);
    assert_int_equal(r.err, 0);
    assert_int_equal(r.flags, IPC_SF_RD_SHUT | IPC_SF_WR_SHUT);
    char in[16];
    assert_int_equal(peer_read(f, &p, in, sizeof in, 200), 4);
    assert_int_equal(peer_read(f, &p, in, sizeof in, 200), 0);
    assert_true(dipc_closed_by_daemon(f, data)); /* our reads see EOF */
    assert_int_equal(dipc_socket_count(f), 1);
    /* a second SHUT_WR changes nothing */
    assert_int_equal(dipc_shutdown(f, ctl, data, 1).err, 0);
    close(data);
    close(ctl);
    dipc_pump_n(f, 20);
    assert_int_equal(dipc_socket_count(f), 0);
    peer_free(f, &p);
}

/* Issue 12.8: after SHUT_RD the data already received stays readable (as
 * Linux), then EOF. */
static void test_shut_rd_keeps_queued_data(void **state)
{
    struct fixture *f = *state;
    dipc_start(f);
    struct peer p;
    int ctl, data;
    connect_pair(f, &p, &ctl, &data);
    char out[1000];
    memset(out, 'q', sizeof out);
    assert_int_equal(tcp_sock_send(p.conn, out, sizeof out, f->now), (long)sizeof out);
    dipc_pump_n(f, 50);
    assert_int_equal(dipc_shutdown(f, ctl, data, 0).err, 0);
    dipc_pump_n(f, 10);
    char in[2000];
    size_t got = 0;
    ssize_t n;
    while ((n = recv(data, in + got, sizeof in - got, MSG_DONTWAIT)) > 0)
        got += (size_t)n;
    assert_int_equal(got, sizeof out);
    assert_int_equal(n, 0);
    /* the write side is untouched */
    dipc_send_bytes(data, "still", 5);
    assert_int_equal(peer_read(f, &p, in, sizeof in, 200), 5);
    close(data);
    close(ctl);
    dipc_pump_n(f, 20);
    peer_free(f, &p);
}

/* RFC 2525 2.17, as Linux: the last close with received data unread
 * resets the connection. */
static void test_close_unread_resets(void **state)
{
    struct fixture *f = *state;
    dipc_start(f);
    struct peer p;
    int ctl, data;
    connect_pair(f, &p, &ctl, &data);
    assert_int_equal(tcp_sock_send(p.conn, "unread", 6, f->now), 6);
    assert_true(dipc_pump_until_readable(f, data));
    close(data);
    close(ctl);
    char in[8];
    assert_int_equal(peer_read(f, &p, in, sizeof in, 200), -ECONNRESET);
    dipc_pump_n(f, 10);
    assert_int_equal(dipc_socket_count(f), 0);
    tcp_sock_close(p.conn, f->now);
    p.conn = NULL;
    peer_free(f, &p);
}

/* A close with data still on its way: every byte, then the FIN. */
static void test_close_flushes(void **state)
{
    struct fixture *f = *state;
    dipc_start(f);
    struct peer p;
    int ctl, data;
    connect_pair(f, &p, &ctl, &data);
    enum { LEN = 200000 };
    uint8_t *out = malloc(LEN), *in = malloc(LEN + 1);
    assert_non_null(out);
    assert_non_null(in);
    for (size_t i = 0; i < LEN; i++)
        out[i] = (uint8_t)(i * 13);
    size_t sent = 0;
    while (sent < LEN) {
        ssize_t w = send(data, out + sent, LEN - sent, MSG_DONTWAIT | MSG_NOSIGNAL);
        if (w > 0)
            sent += (size_t)w;
        else
            break;
    }
    close(data);
    close(ctl);
    size_t got = 0;
    long n;
    for (int i = 0; i < 2000; i++) {
        n = peer_read(f, &p, in + got, LEN + 1 - got, 50);
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    assert_int_equal(got, sent);
    assert_memory_equal(in, out, sent);
    assert_int_equal(n, 0);
    free(out);
    free(in);
    peer_free(f, &p);
}

/* A program that calls shutdown(2) on the fd itself (not through the
 * library): SHUT_WR is still our FIN after its data, and the socket stays
 * until its close. */
static void test_plain_shutdown_wr(void **state)
{
    struct fixture *f = *state;
    dipc_start(f);
    struct peer p;
    int ctl, data;
    connect_pair(f, &p, &ctl, &data);
    dipc_send_bytes(data, "bye", 3);
    assert_int_equal(shutdown(data, SHUT_WR), 0);
    char in[8];
    assert_int_equal(peer_read(f, &p, in, sizeof in, 200), 3);
    assert_int_equal(peer_read(f, &p, in, sizeof in, 200), 0);
    assert_int_equal(dipc_socket_count(f), 1);
    assert_int_equal(tcp_sock_send(p.conn, "back", 4, f->now), 4);
    assert_true(dipc_pump_until_readable(f, data));
    assert_int_equal(recv(data, in, sizeof in, 0), 4);
    close(data);
    close(ctl);
    dipc_pump_n(f, 20);
    assert_int_equal(dipc_socket_count(f), 0);
    peer_free(f, &p);
}

/* A socket that never connected: its close frees its port at once. */
static void test_close_unconnected_frees_port(void **state)
{
    struct fixture *f = *state;
    dipc_start(f);
    int ctl = dipc_ctl_connect(f), a, b;
    assert_int_equal(dipc_open_sock(f, ctl, IPC_PROTO_TCP, &a), 0);
    assert_int_equal(dipc_addr_req(f, ctl, a, IPC_OP_BIND, dipc_ep4(0, 7777)).err, 0);
    close(a);
    dipc_pump_n(f, 2);
    assert_int_equal(dipc_open_sock(f, ctl, IPC_PROTO_TCP, &b), 0);
    assert_int_equal(dipc_addr_req(f, ctl, b, IPC_OP_BIND, dipc_ep4(0, 7777)).err, 0);
    close(b);
    close(ctl);
    dipc_pump_n(f, 2);
    assert_int_equal(dipc_socket_count(f), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_last_close_ends_it, dipc_setup, dipc_teardown),
        cmocka_unit_test_setup_teardown(test_shut_wr_in_close_wait, dipc_setup, dipc_teardown),
        cmocka_unit_test_setup_teardown(test_shut_rdwr_sends_fin, dipc_setup, dipc_teardown),
        cmocka_unit_test_setup_teardown(test_shut_rd_keeps_queued_data, dipc_setup,
                                        dipc_teardown),
        cmocka_unit_test_setup_teardown(test_close_unread_resets, dipc_setup, dipc_teardown),
        cmocka_unit_test_setup_teardown(test_close_flushes, dipc_setup, dipc_teardown),
        cmocka_unit_test_setup_teardown(test_plain_shutdown_wr, dipc_setup, dipc_teardown),
        cmocka_unit_test_setup_teardown(test_close_unconnected_frees_port, dipc_setup,
                                        dipc_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
