/* test_daemon_ipc.c - the IPC server (daemon/ipc_server.c, ipc_tcp.c,
 * ipc_udp.c) moving data: TCP connect (echoed both ways, refused, the
 * plug), listen and accept, requests named by the fd, backpressure, UDP
 * both framings, a client killed mid-transfer, the buffer budget, a
 * peer's reset reported through GETERR, and what ends a socket: the last
 * close of every copy of its fd. The
 * fixture (tests/unit/support/daemon_ipc_fixture.h) joins the daemon's
 * stack in memory to a peer stack, on a fake clock; every wait is bounded
 * in rounds, never in time. Access control and limits are in
 * test_daemon_ipc_limits.c. */

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

static void tcp_connected(struct fixture *f, uint16_t port, int *ctl, int *data)
{
    *ctl = dipc_ctl_connect(f);
    assert_int_equal(dipc_open_sock(f, *ctl, IPC_PROTO_TCP, data), 0);
    assert_int_equal(dipc_connect(f, *ctl, *data, dipc_ep4(PEER_IP, port)), 0);
    struct ipc_reply r = dipc_empty_req(f, *ctl, *data, IPC_OP_GETNAME);
    assert_int_equal(r.err, 0);
    assert_int_equal(r.state, IPC_ST_CONNECTED);
    assert_int_equal(r.proto, IPC_PROTO_TCP);
    assert_int_equal(r.remote.family, IPC_AF_INET);
    assert_int_equal(r.remote.port, port);
    assert_int_equal(r.local.family, IPC_AF_INET);
}

/* Connections of the daemon's stack that are not yet closed by anybody. */
static size_t live_conns(struct fixture *f)
{
    struct tcp_conn_info info[64];
    size_t n = stack_tcp_list(f->daemon, info, 64), live = 0;
    assert_true(n <= 64);
    for (size_t i = 0; i < n; i++)
        if (!info[i].orphan)
            live++;
    return live;
}

/* ---- tests ---- */

static void test_connect_echo_both_ways(void **state)
{
    struct fixture *f = *state;
    dipc_start(f);
    int ctl, data;
    tcp_connected(f, 7, &ctl, &data);
    enum { LEN = 300000 };
    uint8_t *tx = malloc(LEN), *rx = malloc(LEN);
    assert_non_null(tx);
    assert_non_null(rx);
    for (size_t i = 0; i < LEN; i++)
        tx[i] = (uint8_t)(i * 7 + i / 251);
    size_t sent = 0, got = 0;
    for (int i = 0; i < MAX_ROUNDS && got < LEN; i++) {
        if (sent < LEN) {
            ssize_t w = send(data, tx + sent, LEN - sent, MSG_DONTWAIT | MSG_NOSIGNAL);
            if (w > 0)
                sent += (size_t)w;
            if (sent == LEN) /* our FIN after the data */
                assert_int_equal(dipc_shutdown(f, ctl, data, 1).err, 0);
        }
        ssize_t r = recv(data, rx + got, LEN - got, MSG_DONTWAIT);
        if (r > 0)
            got += (size_t)r;
        dipc_pump(f);
    }
    assert_int_equal(got, LEN);
    assert_memory_equal(tx, rx, LEN);
    /* The echo service closes after our FIN: EOF on the data fd. */
    assert_true(dipc_closed_by_daemon(f, data));
    struct ipc_server_stats st;
    ipc_server_get_stats(f->srv, &st);
    assert_true(st.bytes_to_stack == LEN && st.bytes_from_stack == LEN);
    /* GETERR after a clean end: 0. */
    struct ipc_reply r = dipc_empty_req(f, ctl, data, IPC_OP_GETERR);
    assert_int_equal(r.err, 0);
    assert_int_equal(r.value, 0);
    close(data);
    close(ctl);
    dipc_pump_n(f, 50);
    assert_int_equal(dipc_socket_count(f), 0);
    assert_int_equal(live_conns(f), 0);
    free(tx);
    free(rx);
}

static void test_connect_refused(void **state)
{
    struct fixture *f = *state;
    dipc_start(f);
    int ctl = dipc_ctl_connect(f), data;
    assert_int_equal(dipc_open_sock(f, ctl, IPC_PROTO_TCP, &data), 0);
    /* EINPROGRESS at once; the fd is plugged (not writable) meanwhile and
     * GETERR answers at once, 0 while pending (issue 12.6). */
    struct ipc_reply r = dipc_addr_req(f, ctl, data, IPC_OP_CONNECT, dipc_ep4(PEER_IP, 5556));
    assert_int_equal(r.err, EINPROGRESS);
    assert_int_equal(r.state, IPC_ST_CONNECTING);
    assert_int_equal(r.local.family, IPC_AF_INET);
    assert_true(r.local.port != 0);
    assert_false(dipc_writable(data));
    r = dipc_empty_req(f, ctl, data, IPC_OP_GETERR);
    assert_int_equal(r.err, 0);
    assert_int_equal(r.value, 0);
    /* The refusal: POLLOUT with POLLERR and POLLHUP, as Linux reports a
     * failed connect, and SO_ERROR says why (once). */
    for (int i = 0; i < MAX_ROUNDS && !dipc_writable(data); i++)
        dipc_pump(f);
    struct pollfd p = {.fd = data, .events = POLLIN | POLLOUT};
    assert_int_equal(poll(&p, 1, 0), 1);
    assert_true(p.revents & POLLOUT);
    assert_true(p.revents & POLLERR);
    assert_true(p.revents & POLLHUP);
    r = dipc_empty_req(f, ctl, data, IPC_OP_GETERR);
    assert_int_equal(r.err, 0);
    assert_int_equal(r.value, ECONNREFUSED);
    assert_int_equal(r.state, IPC_ST_CLOSED);
    r = dipc_opt_req(f, ctl, data, IPC_OP_GETOPT, IPC_SO_ERROR, 0);
    assert_int_equal(r.value, 0);
    /* the failed socket still has its local name */
    r = dipc_empty_req(f, ctl, data, IPC_OP_GETNAME);
    assert_int_equal(r.err, 0);
    assert_true(r.local.port != 0);
    close(data);
    close(ctl);
    dipc_pump_n(f, 10);
    assert_int_equal(dipc_socket_count(f), 0);
}

struct peer_conn {
    struct tcp_sock *ts;
};

static void peer_event(void *user, struct tcp_sock *ts, int events)
{
    (void)user;
    (void)ts;
    (void)events;
}

static void test_listen_accept(void **state)
{
    struct fixture *f = *state;
    dipc_start(f);
    int ctl = dipc_ctl_connect(f), lfd;
    assert_int_equal(dipc_open_sock(f, ctl, IPC_PROTO_TCP, &lfd), 0);
    struct ipc_reply r = dipc_addr_req(f, ctl, lfd, IPC_OP_BIND, dipc_ep4(0, 8080));
    assert_int_equal(r.err, 0);
    assert_int_equal(r.local.port, 8080);
    uint8_t buf[IPC_MAX_MSG];
    struct ipc_listen l = {.backlog = 16};
    r = dipc_request(f, ctl, lfd, buf, ipc_encode_listen(buf, sizeof buf, &l));
    assert_int_equal(r.err, 0);
    assert_int_equal(r.state, IPC_ST_LISTENING);

    struct tcp_sock *p = tcp_sock_open(f->peer, peer_event, NULL);
    struct ip_endpoint dst = {.addr = ip_addr_v4(DAEMON_IP), .port = 8080};
    assert_int_equal(tcp_sock_connect(p, &dst, f->now), -EINPROGRESS);
    assert_true(dipc_pump_until_readable(f, lfd));

    /* One ACCEPT of 60 bytes with one fd. */
    union {
        struct cmsghdr h;
        char b[CMSG_SPACE(sizeof(int))];
    } cm;
    struct iovec iov = {.iov_base = buf, .iov_len = IPC_HDR_LEN + IPC_ACCEPT_LEN};
    struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = cm.b,
                        .msg_controllen = sizeof cm.b};
    assert_int_equal(recvmsg(lfd, &mh, MSG_CMSG_CLOEXEC), IPC_HDR_LEN + IPC_ACCEPT_LEN);
    struct ipc_accept a;
    assert_int_equal(ipc_decode_accept(buf, IPC_HDR_LEN + IPC_ACCEPT_LEN, &a),
                     IPC_HDR_LEN + IPC_ACCEPT_LEN);
    struct cmsghdr *h = CMSG_FIRSTHDR(&mh);
    assert_non_null(h);
    int afd;
    memcpy(&afd, CMSG_DATA(h), sizeof afd);
    assert_int_equal(a.local.port, 8080);
    assert_int_equal(a.remote.family, IPC_AF_INET);

    /* Data both ways on the accepted fd at once. */
    dipc_send_bytes(afd, "hello", 5);
    char in[16];
    long n = -EAGAIN;
    for (int i = 0; i < 1000 && n == -EAGAIN; i++) {
        dipc_pump(f);
        n = tcp_sock_recv(p, in, sizeof in, f->now);
    }
    assert_int_equal(n, 5);
    assert_memory_equal(in, "hello", 5);
    assert_int_equal(tcp_sock_send(p, "world", 5, f->now), 5);
    assert_true(dipc_pump_until_readable(f, afd));
    assert_int_equal(recv(afd, in, sizeof in, 0), 5);
    assert_memory_equal(in, "world", 5);

    /* Requests about it: its fd names it, on any session (a second
     * process, a second thread), no attaching. */
    int ctl2 = dipc_ctl_connect(f);
    r = dipc_empty_req(f, ctl2, afd, IPC_OP_LOOKUP);
    assert_int_equal(r.err, 0);
    assert_true(r.sock_id == a.sock_id);
    assert_int_equal(r.proto, IPC_PROTO_TCP);
    assert_int_equal(r.family, IPC_AF_INET);
    assert_int_equal(r.state, IPC_ST_CONNECTED);
    assert_int_equal(r.remote.port, a.remote.port);
    r = dipc_empty_req(f, ctl, afd, IPC_OP_GETNAME);
    assert_int_equal(r.local.port, 8080);
    /* TCP_INFO of it */
    uint8_t info_req[IPC_MAX_MSG];
    size_t n_req = ipc_encode_empty(info_req, sizeof info_req, IPC_OP_GETINFO);
    dipc_send_fds(ctl2, info_req, n_req, &afd, 1);
    assert_true(dipc_pump_until_readable(f, ctl2));
    uint8_t ib[IPC_HDR_LEN + IPC_INFO_LEN];
    assert_int_equal(recv(ctl2, ib, sizeof ib, 0), (ssize_t)sizeof ib);
    struct ipc_info info;
    assert_int_equal(ipc_decode_info(ib, sizeof ib, &info), (int)sizeof ib);
    assert_int_equal(info.state, 1); /* ESTABLISHED */
    assert_true(info.snd_mss > 0);
    assert_true(info.snd_cwnd > 0);
    close(ctl2);

    assert_int_equal(dipc_socket_count(f), 2);
    close(afd);
    close(lfd);
    close(ctl);
    dipc_pump_n(f, 50);
    assert_int_equal(dipc_socket_count(f), 0);
    tcp_sock_abort(p, f->now);
}

/* A reader that stops: the daemon holds a bounded amount, the TCP window
 * closes behind it, and nothing more is taken from the stack. */
static void test_backpressure_bounded(void **state)
{
    struct fixture *f = *state;
    dipc_start(f);
    int ctl, data;
    tcp_connected(f, 19, &ctl, &data); /* chargen: sends forever */
    dipc_pump_n(f, 3000);
    struct ipc_server_stats a, b;
    ipc_server_get_stats(f->srv, &a);
    dipc_pump_n(f, 3000);
    ipc_server_get_stats(f->srv, &b);
    assert_true(a.bytes_from_stack > 0);
    assert_true(b.bytes_from_stack == a.bytes_from_stack);
    /* socketpair buffers are a few hundred KB at most */
    assert_true(b.bytes_from_stack < 8u * 1024 * 1024);
    struct tcp_conn_info info[4];
    assert_int_equal(stack_tcp_list(f->daemon, info, 4), 1);
    assert_true(info[0].recv_queue <= 262144);
    /* Reading resumes the flow. */
    uint8_t buf[65536];
    for (int i = 0; i < 50; i++) {
        while (recv(data, buf, sizeof buf, MSG_DONTWAIT) > 0) {
        }
        dipc_pump_n(f, 20);
    }
    ipc_server_get_stats(f->srv, &b);
    assert_true(b.bytes_from_stack > a.bytes_from_stack);
    close(data);
    close(ctl);
    dipc_pump_n(f, 50);
    assert_int_equal(dipc_socket_count(f), 0);
}

/* A client killed in the middle of a transfer: both fds close at once;
 * everything it held is freed and the connection is closed. */
static void test_client_killed_mid_transfer(void **state)
{
    struct fixture *f = *state;
    dipc_start(f);
    int ctl, data;
    tcp_connected(f, 7, &ctl, &data); /* echo: data pending both ways */
    uint8_t buf[32768];
    memset(buf, 'k', sizeof buf);
    for (int i = 0; i < 200; i++) {
        (void)send(data, buf, sizeof buf, MSG_DONTWAIT | MSG_NOSIGNAL);
        dipc_pump(f);
    }
    struct ipc_server_stats held;
    ipc_server_get_stats(f->srv, &held);
    assert_int_equal(held.sockets, 1);
    assert_true(held.buffer_bytes > 0); /* its buffers are charged to it */
    close(data);
    close(ctl);
    dipc_pump_n(f, 100);
    assert_int_equal(dipc_socket_count(f), 0);
    assert_int_equal(live_conns(f), 0);
    dipc_pump_n(f, 10);
    uint32_t socks;
    uint64_t bytes;
    assert_int_equal(ipc_server_client_usage(f->srv, getpid(), &socks, &bytes), -1);
    struct ipc_server_stats st;
    ipc_server_get_stats(f->srv, &st);
    assert_int_equal(st.clients, 0);
    assert_int_equal(st.sockets, 0);
    assert_int_equal(st.buffer_bytes, 0);
}

static void test_udp_echo(void **state)
{
    struct fixture *f = *state;
    dipc_start(f);
    int c = dipc_ctl_connect(f), d;
    assert_int_equal(dipc_open_sock(f, c, IPC_PROTO_UDP, &d), 0);
    struct ipc_reply r = dipc_addr_req(f, c, d, IPC_OP_BIND, dipc_ep4(0, 4000));
    assert_int_equal(r.err, 0);
    assert_int_equal(r.local.port, 4000);
    assert_int_equal(r.proto, IPC_PROTO_UDP);
    uint8_t msg[IPC_DGRAM_HDR_LEN + 4];
    struct ipc_endpoint to = dipc_ep4(PEER_IP, 7);
    ipc_encode_endpoint(msg, &to);
    memcpy(msg + IPC_DGRAM_HDR_LEN, "ping", 4);
    dipc_send_bytes(d, msg, sizeof msg);
    assert_true(dipc_pump_until_readable(f, d));
    uint8_t in[128];
    assert_int_equal(recv(d, in, sizeof in, 0), IPC_DGRAM_HDR_LEN + 4);
    struct ipc_endpoint from;
    assert_int_equal(ipc_decode_endpoint(in, &from), IPC_OK);
    assert_int_equal(from.port, 7);
    assert_memory_equal(from.addr, to.addr, 4);
    assert_memory_equal(in + IPC_DGRAM_HDR_LEN, "ping", 4);
    /* A malformed datagram message is dropped and counted. */
    dipc_send_bytes(d, "xy", 2);
    dipc_pump_n(f, 3);
    struct ipc_server_stats st;
    ipc_server_get_stats(f->srv, &st);
    assert_int_equal(st.dgrams_dropped, 1);
    uint8_t buf[IPC_MAX_MSG];
    struct ipc_listen l = {.backlog = 1};
    r = dipc_request(f, c, d, buf, ipc_encode_listen(buf, sizeof buf, &l));
    assert_int_equal(r.err, EOPNOTSUPP);

    /* Connected: bare datagrams both ways (PROTOCOL.md 7.3). */
    r = dipc_addr_req(f, c, d, IPC_OP_CONNECT, dipc_ep4(PEER_IP, 7));
    assert_int_equal(r.err, 0);
    assert_int_equal(r.state, IPC_ST_CONNECTED);
    assert_int_equal(r.remote.port, 7);
    dipc_send_bytes(d, "pong!", 5);
    assert_true(dipc_pump_until_readable(f, d));
    assert_int_equal(recv(d, in, sizeof in, 0), 5);
    assert_memory_equal(in, "pong!", 5);
    /* An empty datagram is one too. */
    dipc_send_bytes(d, "", 0);
    assert_true(dipc_pump_until_readable(f, d));
    assert_int_equal(recv(d, in, sizeof in, MSG_DONTWAIT), 0);
    /* Back to unconnected: framed again. */
    struct ipc_endpoint none;
    memset(&none, 0, sizeof none);
    r = dipc_addr_req(f, c, d, IPC_OP_CONNECT, none);
    assert_int_equal(r.err, 0);
    assert_int_equal(r.state, IPC_ST_NEW);
    dipc_send_bytes(d, msg, sizeof msg);
    assert_true(dipc_pump_until_readable(f, d));
    assert_int_equal(recv(d, in, sizeof in, 0), IPC_DGRAM_HDR_LEN + 4);
    close(d);
    close(c);
    dipc_pump_n(f, 3);
    assert_int_equal(dipc_socket_count(f), 0);
}

/* The switch of framing waits until no datagram of the old one is left
 * in the application's end: EINPROGRESS until it has read them. */
static void test_udp_reframe_waits(void **state)
{
    struct fixture *f = *state;
    dipc_start(f);
    int c = dipc_ctl_connect(f), d;
    assert_int_equal(dipc_open_sock(f, c, IPC_PROTO_UDP, &d), 0);
    uint8_t msg[IPC_DGRAM_HDR_LEN + 4];
    struct ipc_endpoint to = dipc_ep4(PEER_IP, 7);
    ipc_encode_endpoint(msg, &to);
    memcpy(msg + IPC_DGRAM_HDR_LEN, "ping", 4);
    dipc_send_bytes(d, msg, sizeof msg);
    assert_true(dipc_pump_until_readable(f, d));
    struct ipc_reply r = dipc_addr_req(f, c, d, IPC_OP_CONNECT, to);
    assert_int_equal(r.err, EINPROGRESS);
    uint8_t in[64];
    assert_int_equal(recv(d, in, sizeof in, 0), IPC_DGRAM_HDR_LEN + 4);
    r = dipc_addr_req(f, c, d, IPC_OP_CONNECT, to);
    assert_int_equal(r.err, 0);
    close(d);
    close(c);
    dipc_pump_n(f, 3);
    assert_int_equal(dipc_socket_count(f), 0);
}

/* A connected UDP socket's ICMP port unreachable: ECONNREFUSED pending,
 * and an empty message wakes the reader (PROTOCOL.md 7.3). */
static void test_udp_icmp_error_doorbell(void **state)
{
    struct fixture *f = *state;
    dipc_start(f);
    int c = dipc_ctl_connect(f), d;
    assert_int_equal(dipc_open_sock(f, c, IPC_PROTO_UDP, &d), 0);
    struct ipc_reply r = dipc_addr_req(f, c, d, IPC_OP_CONNECT, dipc_ep4(PEER_IP, 4444));
    assert_int_equal(r.err, 0);
    dipc_send_bytes(d, "anyone?", 7);
    assert_true(dipc_pump_until_readable(f, d));
    uint8_t in[16];
    assert_int_equal(recv(d, in, sizeof in, 0), 0);
    r = dipc_empty_req(f, c, d, IPC_OP_GETERR);
    assert_int_equal(r.value, ECONNREFUSED);
    r = dipc_empty_req(f, c, d, IPC_OP_GETERR);
    assert_int_equal(r.value, 0);
    close(d);
    close(c);
    dipc_pump_n(f, 3);
}

static void test_buffer_budget_enobufs(void **state)
{
    struct fixture *f = *state;
    f->ipc.max_buffer_per_client = 65536; /* less than one TCP socket's buffers */
    dipc_start(f);
    int c = dipc_ctl_connect(f), d;
    assert_int_equal(dipc_open_sock(f, c, IPC_PROTO_TCP, &d), ENOBUFS);
    close(c);
    dipc_pump_n(f, 3);
    assert_int_equal(dipc_socket_count(f), 0);
}

/* A reset by the peer: the reader sees the data then EOF, GETERR says why. */
static void test_peer_reset_geterr(void **state)
{
    struct fixture *f = *state;
    dipc_start(f);
    struct tcp_sock *l = tcp_sock_open(f->peer, peer_event, NULL);
    struct ip_endpoint any = {.addr = ip_addr_v4(0), .port = 6000};
    assert_int_equal(tcp_sock_bind(l, &any), 0);
    assert_int_equal(tcp_sock_listen(l, 4), 0);
    int ctl, data;
    tcp_connected(f, 6000, &ctl, &data);
    struct tcp_sock *p = NULL;
    int err = 0;
    for (int i = 0; i < 100 && p == NULL; i++) {
        dipc_pump(f);
        p = tcp_sock_accept(l, peer_event, NULL, &err);
    }
    assert_non_null(p);
    assert_int_equal(tcp_sock_send(p, "bye", 3, f->now), 3);
    dipc_pump_n(f, 5);
    tcp_sock_abort(p, f->now);
    char in[8];
    assert_true(dipc_pump_until_readable(f, data));
    assert_int_equal(recv(data, in, sizeof in, 0), 3);
    assert_true(dipc_closed_by_daemon(f, data));
    /* Our end is closed, not just shut: POLLHUP tells the library that
     * EOF here is an error (PROTOCOL.md 7.1); writes fail. */
    struct pollfd pl = {.fd = data, .events = 0};
    assert_int_equal(poll(&pl, 1, 0), 1);
    assert_true(pl.revents & POLLHUP);
    assert_int_equal(send(data, "x", 1, MSG_NOSIGNAL | MSG_DONTWAIT), -1);
    assert_int_equal(errno, EPIPE);
    struct ipc_reply r = dipc_empty_req(f, ctl, data, IPC_OP_GETERR);
    assert_int_equal(r.err, 0);
    assert_int_equal(r.value, ECONNRESET);
    assert_int_equal(r.state, IPC_ST_CLOSED);
    r = dipc_empty_req(f, ctl, data, IPC_OP_GETERR); /* cleared */
    assert_int_equal(r.value, 0);
    assert_int_equal(dipc_socket_count(f), 0); /* only a tomb answers */
    close(data);
    close(ctl);
    dipc_pump_n(f, 10);
    assert_int_equal(dipc_socket_count(f), 0);
    tcp_sock_close(l, f->now);
}

/* The options that reach the stack, set and read back as Linux does. */
static void test_options_round_trip(void **state)
{
    struct fixture *f = *state;
    dipc_start(f);
    int c = dipc_ctl_connect(f), t, u;
    assert_int_equal(dipc_open_sock(f, c, IPC_PROTO_TCP, &t), 0);
    assert_int_equal(dipc_open_sock(f, c, IPC_PROTO_UDP, &u), 0);
    static const struct {
        uint32_t name;
        int32_t set, get;
    } tcp[] = {
        {IPC_TCP_CORK, 5, 1},      {IPC_TCP_NODELAY, 1, 1}, {IPC_IP_TOS, 0x11, 0x10},
        {IPC_TCP_MAXSEG, 1200, 1200}, {IPC_SO_BROADCAST, 1, 1}, {IPC_SO_KEEPALIVE, 1, 1},
        /* SO_LINGER reads back its time, as Linux's {1, 5}; then off, and 0 */
        {IPC_SO_LINGER, 5, 5},     {IPC_SO_LINGER, -1, -1}, {IPC_SO_LINGER, 0, 0},
    };
    for (size_t i = 0; i < sizeof tcp / sizeof tcp[0]; i++) {
        struct ipc_reply r = dipc_opt_req(f, c, t, IPC_OP_SETOPT, tcp[i].name, tcp[i].set);
        if (r.err != 0)
            fail_msg("TCP SETOPT %u: %d", tcp[i].name, r.err);
        r = dipc_opt_req(f, c, t, IPC_OP_GETOPT, tcp[i].name, 0);
        assert_int_equal(r.err, 0);
        if (r.value != tcp[i].get)
            fail_msg("TCP GETOPT %u: %d, want %d", tcp[i].name, r.value, tcp[i].get);
    }
    /* an IPv4 socket has no IPV6_TCLASS; TCP_MAXSEG out of range */
    assert_int_equal(dipc_opt_req(f, c, t, IPC_OP_SETOPT, IPC_IPV6_TCLASS, 8).err, ENOPROTOOPT);
    assert_int_equal(dipc_opt_req(f, c, t, IPC_OP_SETOPT, IPC_TCP_MAXSEG, 10).err, EINVAL);
    /* UDP: TOS kept whole (ECN bits included, as Linux), a TCP option refused */
    assert_int_equal(dipc_opt_req(f, c, u, IPC_OP_SETOPT, IPC_IP_TOS, 0x11).err, 0);
    assert_int_equal(dipc_opt_req(f, c, u, IPC_OP_GETOPT, IPC_IP_TOS, 0).value, 0x11);
    assert_int_equal(dipc_opt_req(f, c, u, IPC_OP_SETOPT, IPC_TCP_CORK, 1).err, ENOPROTOOPT);
    assert_int_equal(dipc_opt_req(f, c, u, IPC_OP_SETOPT, IPC_SO_BROADCAST, 1).err, 0);
    assert_int_equal(dipc_opt_req(f, c, u, IPC_OP_GETOPT, IPC_SO_BROADCAST, 0).value, 1);
    close(t);
    close(u);
    close(c);
    dipc_pump_n(f, 3);
    assert_int_equal(dipc_socket_count(f), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_connect_echo_both_ways, dipc_setup, dipc_teardown),
        cmocka_unit_test_setup_teardown(test_connect_refused, dipc_setup, dipc_teardown),
        cmocka_unit_test_setup_teardown(test_listen_accept, dipc_setup, dipc_teardown),
        cmocka_unit_test_setup_teardown(test_backpressure_bounded, dipc_setup, dipc_teardown),
        cmocka_unit_test_setup_teardown(test_client_killed_mid_transfer, dipc_setup, dipc_teardown),
        cmocka_unit_test_setup_teardown(test_options_round_trip, dipc_setup, dipc_teardown),
        cmocka_unit_test_setup_teardown(test_udp_echo, dipc_setup, dipc_teardown),
        cmocka_unit_test_setup_teardown(test_udp_reframe_waits, dipc_setup, dipc_teardown),
        cmocka_unit_test_setup_teardown(test_udp_icmp_error_doorbell, dipc_setup, dipc_teardown),
        cmocka_unit_test_setup_teardown(test_buffer_budget_enobufs, dipc_setup, dipc_teardown),
        cmocka_unit_test_setup_teardown(test_peer_reset_geterr, dipc_setup, dipc_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
