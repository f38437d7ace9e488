/* test_daemon_ipc.c - the IPC server (daemon/ipc_server.c, ipc_tcp.c,
 * ipc_udp.c) on a real libev loop and real Unix sockets in a temporary
 * directory, its stack joined in memory to a second stack that runs the
 * built-in services (echo 7, discard 9, chargen 19) and plain tcp_sock_*
 * peers. The test speaks ipc/PROTOCOL.md with ipc/ipc.c. The stacks run on
 * a fake clock; every wait is bounded in rounds, never in time. */
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

#include <cmocka.h>
#include <ev.h>

#include "daemon/config.h"
#include "daemon/ipc_server.h"
#include "daemon/services.h"
#include "ipc/ipc.h"
#include "stack/stack.h"

#define DAEMON_IP 0x0a4d0002u /* 10.77.0.2: the stack tcpipd serves */
#define PEER_IP 0x0a4d0009u   /* 10.77.0.9: services and test peers */
#define QUEUE_MAX 16384
#define ROUND_NS (10 * 1000ull)
#define MAX_ROUNDS 20000

static const struct eth_addr daemon_mac = {{0x02, 0x00, 0x00, 0x77, 0x00, 0x02}};
static const struct eth_addr peer_mac = {{0x02, 0x00, 0x00, 0x77, 0x00, 0x09}};

struct queued {
    uint8_t *data;
    size_t len;
};
struct queue {
    struct queued q[QUEUE_MAX];
    size_t n;
};

struct fixture {
    struct stack *daemon, *peer;
    int daemon_if, peer_if;
    struct queue *from_daemon, *from_peer;
    uint64_t now;
    struct netif_static_neigh daemon_neigh, peer_neigh;
    struct tcpipd_config peer_cfg;
    struct services *sv;
    struct ev_loop *loop;
    struct conf_ipc ipc;
    struct ipc_server *srv;
    char dir[64];
    int fds_at_setup;
};

/* Open fds of this process: the daemon must not leak any (passed fds,
 * data fds, control connections). */
static int count_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    assert_non_null(d);
    int n = 0;
    while (readdir(d) != NULL)
        n++;
    closedir(d);
    return n;
}

static int queue_send(void *ctx, const uint8_t *frame, size_t len)
{
    struct queue *q = ctx;
    if (q->n >= QUEUE_MAX)
        return 0;
    uint8_t *copy = malloc(len);
    assert_non_null(copy);
    memcpy(copy, frame, len);
    q->q[q->n].data = copy;
    q->q[q->n].len = len;
    q->n++;
    return 0;
}
static const struct netif_ops queue_ops = {.send = queue_send};

static void queue_clear(struct queue *q)
{
    for (size_t i = 0; i < q->n; i++)
        free(q->q[i].data);
    q->n = 0;
}

static uint64_t fake_clock(void *ctx)
{
    return ((struct fixture *)ctx)->now;
}

static struct stack *make_stack(struct fixture *f, uint8_t key, uint32_t ip,
                                const struct eth_addr *mac, struct netif_static_neigh *neigh,
                                struct queue *out, int *ifindex)
{
    struct stack_config sc;
    stack_config_defaults(&sc);
    memset(sc.key, key, sizeof sc.key);
    struct stack *s = stack_new(&sc);
    assert_non_null(s);
    struct netif_config nc;
    memset(&nc, 0, sizeof nc);
    snprintf(nc.name, sizeof nc.name, "link%u", (unsigned)key);
    nc.mac = *mac;
    nc.mtu = 1500;
    nc.ipv4_addr = ip;
    nc.ipv4_prefix_len = 24;
    nc.neigh = neigh;
    nc.n_neigh = 1;
    *ifindex = stack_netif_add(s, &nc, &queue_ops, out, f->now);
    assert_true(*ifindex >= 0);
    return s;
}

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);
    assert_non_null(f);
    f->from_daemon = calloc(1, sizeof *f->from_daemon);
    f->from_peer = calloc(1, sizeof *f->from_peer);
    assert_non_null(f->from_daemon);
    assert_non_null(f->from_peer);
    f->fds_at_setup = count_fds();
    f->now = NS_PER_SEC;
    f->daemon_neigh.ip = PEER_IP;
    f->daemon_neigh.mac = peer_mac;
    f->peer_neigh.ip = DAEMON_IP;
    f->peer_neigh.mac = daemon_mac;
    f->daemon = make_stack(f, 0x11, DAEMON_IP, &daemon_mac, &f->daemon_neigh, f->from_daemon,
                           &f->daemon_if);
    f->peer = make_stack(f, 0x22, PEER_IP, &peer_mac, &f->peer_neigh, f->from_peer, &f->peer_if);
    queue_clear(f->from_daemon);
    queue_clear(f->from_peer);
    config_defaults(&f->peer_cfg);
    f->peer_cfg.services.tcp_echo.enabled = true;
    f->peer_cfg.services.tcp_discard.enabled = true;
    f->peer_cfg.services.tcp_chargen.enabled = true;
    f->peer_cfg.services.udp_echo.enabled = true;
    char err[256];
    f->sv = services_start(f->peer, &f->peer_cfg, fake_clock, f, err, sizeof err);
    assert_non_null(f->sv);
    f->loop = ev_loop_new(EVFLAG_AUTO);
    assert_non_null(f->loop);
    snprintf(f->dir, sizeof f->dir, "/tmp/test_daemon_ipc.XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    struct tcpipd_config *tmp = malloc(sizeof *tmp);
    assert_non_null(tmp);
    config_defaults(tmp);
    f->ipc = tmp->ipc;
    free(tmp);
    f->ipc.enabled = true;
    snprintf(f->ipc.path, sizeof f->ipc.path, "%s/tcpipd.sock", f->dir);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    ipc_server_stop(f->srv);
    services_stop(f->sv);
    stack_free(f->daemon);
    stack_free(f->peer);
    ev_loop_destroy(f->loop);
    int leaked = count_fds() - f->fds_at_setup;
    rmdir(f->dir);
    queue_clear(f->from_daemon);
    queue_clear(f->from_peer);
    free(f->from_daemon);
    free(f->from_peer);
    free(f);
    assert_int_equal(leaked, 0);
    return 0;
}

static void start(struct fixture *f)
{
    char err[256];
    f->srv = ipc_server_start(f->loop, f->daemon, &f->ipc, fake_clock, f, err, sizeof err);
    if (f->srv == NULL)
        fail_msg("ipc_server_start: %s", err);
}

/* ---- the loop, the link and the clock ---- */

static size_t deliver(struct fixture *f, struct queue *q, struct stack *s, int ifindex)
{
    size_t n = q->n;
    for (size_t i = 0; i < n; i++) {
        stack_input(s, ifindex, q->q[i].data, q->q[i].len, f->now);
        free(q->q[i].data);
    }
    q->n = 0;
    return n;
}

static void flush_all(struct fixture *f)
{
    ipc_server_flush(f->srv, f->now);
    services_flush(f->sv, f->now);
}

/* One round: the loop's ready callbacks, frames both ways, and if nothing
 * moved, the clock jumps to the next timer. */
static void pump(struct fixture *f)
{
    ev_run(f->loop, EVRUN_NOWAIT);
    flush_all(f);
    size_t moved = deliver(f, f->from_peer, f->daemon, f->daemon_if);
    flush_all(f);
    moved += deliver(f, f->from_daemon, f->peer, f->peer_if);
    flush_all(f);
    if (moved > 0) {
        f->now += ROUND_NS;
    } else {
        uint64_t a = stack_next_deadline(f->daemon), b = stack_next_deadline(f->peer);
        uint64_t d = a < b ? a : b;
        if (d != STACK_NO_DEADLINE && d > f->now)
            f->now = d;
    }
    stack_poll(f->daemon, f->now);
    stack_poll(f->peer, f->now);
    flush_all(f);
}

static void pump_n(struct fixture *f, int n)
{
    for (int i = 0; i < n; i++)
        pump(f);
}

static bool fd_readable(int fd)
{
    struct pollfd p = {.fd = fd, .events = POLLIN};
    return poll(&p, 1, 0) == 1;
}

/* Pump until fd is readable; false if it never gets so. */
static bool pump_until_readable(struct fixture *f, int fd)
{
    for (int i = 0; i < MAX_ROUNDS; i++) {
        if (fd_readable(fd))
            return true;
        pump(f);
    }
    return false;
}

/* ---- the client side of the protocol ---- */

static int ctl_connect(struct fixture *f)
{
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    assert_true(fd >= 0);
    struct sockaddr_un sa;
    memset(&sa, 0, sizeof sa);
    sa.sun_family = AF_UNIX;
    snprintf(sa.sun_path, sizeof sa.sun_path, "%s", f->ipc.path);
    assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    pump(f); /* accept */
    return fd;
}

static void send_bytes(int fd, const void *buf, size_t n)
{
    assert_int_equal(send(fd, buf, n, MSG_NOSIGNAL), (ssize_t)n);
}

/* Wait for one REPLY (and an fd if one comes). 0, or -1 at EOF. */
static int get_reply(struct fixture *f, int fd, struct ipc_reply *r, int *passed)
{
    uint8_t buf[IPC_HDR_LEN + IPC_REPLY_LEN];
    union {
        struct cmsghdr h;
        char b[CMSG_SPACE(sizeof(int))];
    } cm;
    if (passed != NULL)
        *passed = -1;
    if (!pump_until_readable(f, fd))
        fail_msg("no reply");
    struct iovec iov = {.iov_base = buf, .iov_len = sizeof buf};
    struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = cm.b,
                        .msg_controllen = sizeof cm.b};
    ssize_t n = recvmsg(fd, &mh, MSG_CMSG_CLOEXEC);
    if (n <= 0)
        return -1;
    assert_int_equal(n, (ssize_t)sizeof buf);
    struct cmsghdr *h = CMSG_FIRSTHDR(&mh);
    if (h != NULL && h->cmsg_type == SCM_RIGHTS) {
        assert_non_null(passed);
        memcpy(passed, CMSG_DATA(h), sizeof(int));
    }
    assert_int_equal(ipc_decode_reply(buf, sizeof buf, r), (int)sizeof buf);
    return 0;
}

/* Whether the daemon closed fd (EOF), after pumping. */
static bool closed_by_daemon(struct fixture *f, int fd)
{
    uint8_t b[IPC_MAX_MSG];
    if (!pump_until_readable(f, fd))
        return false;
    return recv(fd, b, sizeof b, MSG_DONTWAIT) == 0;
}

static struct ipc_endpoint ep4(uint32_t ip, uint16_t port)
{
    struct ipc_endpoint ep;
    memset(&ep, 0, sizeof ep);
    ep.family = IPC_AF_INET;
    ep.port = port;
    ep.addr[0] = (uint8_t)(ip >> 24);
    ep.addr[1] = (uint8_t)(ip >> 16);
    ep.addr[2] = (uint8_t)(ip >> 8);
    ep.addr[3] = (uint8_t)ip;
    return ep;
}

static struct ipc_reply request(struct fixture *f, int ctl, const uint8_t *buf, size_t n)
{
    struct ipc_reply r;
    send_bytes(ctl, buf, n);
    assert_int_equal(get_reply(f, ctl, &r, NULL), 0);
    return r;
}

/* OPEN: returns the reply's err; *data the data fd (non-blocking). */
static int open_sock(struct fixture *f, int ctl, uint8_t proto, int *data)
{
    uint8_t buf[IPC_MAX_MSG];
    struct ipc_open o = {.proto = proto, .family = IPC_AF_INET};
    size_t n = ipc_encode_open(buf, sizeof buf, &o);
    send_bytes(ctl, buf, n);
    struct ipc_reply r;
    assert_int_equal(get_reply(f, ctl, &r, data), 0);
    if (r.err == 0) {
        assert_true(*data >= 0);
        assert_int_equal(fcntl(*data, F_SETFL, O_NONBLOCK), 0);
    } else {
        assert_int_equal(*data, -1);
    }
    return r.err;
}

static struct ipc_reply addr_req(struct fixture *f, int ctl, uint8_t type, uint16_t flags,
                                 struct ipc_endpoint ep)
{
    uint8_t buf[IPC_MAX_MSG];
    struct ipc_addr_req a = {.ep = ep};
    size_t n = ipc_encode_addr_req(buf, sizeof buf, type, flags, &a);
    return request(f, ctl, buf, n);
}

static struct ipc_reply empty_req(struct fixture *f, int ctl, uint8_t type)
{
    uint8_t buf[IPC_MAX_MSG];
    size_t n = ipc_encode_empty(buf, sizeof buf, type);
    return request(f, ctl, buf, n);
}

static void tcp_connected(struct fixture *f, uint16_t port, int *ctl, int *data)
{
    *ctl = ctl_connect(f);
    assert_int_equal(open_sock(f, *ctl, IPC_PROTO_TCP, data), 0);
    struct ipc_reply r = addr_req(f, *ctl, IPC_OP_CONNECT, 0, ep4(PEER_IP, port));
    assert_int_equal(r.err, 0);
    assert_int_equal(r.remote.family, IPC_AF_INET);
    assert_int_equal(r.remote.port, port);
    assert_int_equal(r.local.family, IPC_AF_INET);
}

static size_t socket_count(struct fixture *f)
{
    struct ipc_server_stats st;
    ipc_server_get_stats(f->srv, &st);
    assert_int_equal(ipc_server_list(f->srv, NULL, 0), st.sockets);
    return (size_t)st.sockets;
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
    start(f);
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
            if (sent == LEN)
                shutdown(data, SHUT_WR); /* our FIN after the data */
        }
        ssize_t r = recv(data, rx + got, LEN - got, MSG_DONTWAIT);
        if (r > 0)
            got += (size_t)r;
        pump(f);
    }
    assert_int_equal(got, LEN);
    assert_memory_equal(tx, rx, LEN);
    /* The echo service closes after our FIN: EOF on the data fd. */
    assert_true(closed_by_daemon(f, data));
    struct ipc_server_stats st;
    ipc_server_get_stats(f->srv, &st);
    assert_true(st.bytes_to_stack == LEN && st.bytes_from_stack == LEN);
    /* GETERR after a clean end: 0. */
    struct ipc_reply r = empty_req(f, ctl, IPC_OP_GETERR);
    assert_int_equal(r.err, 0);
    assert_int_equal(r.value, 0);
    close(data);
    close(ctl);
    pump_n(f, 50);
    assert_int_equal(socket_count(f), 0);
    assert_int_equal(live_conns(f), 0);
    free(tx);
    free(rx);
}

static void test_connect_refused(void **state)
{
    struct fixture *f = *state;
    start(f);
    int ctl = ctl_connect(f), data;
    assert_int_equal(open_sock(f, ctl, IPC_PROTO_TCP, &data), 0);
    struct ipc_reply r = addr_req(f, ctl, IPC_OP_CONNECT, 0, ep4(PEER_IP, 5555));
    assert_int_equal(r.err, ECONNREFUSED);
    close(data);
    close(ctl);

    /* Non-blocking: EINPROGRESS at once, GETERR waits for the outcome. */
    ctl = ctl_connect(f);
    assert_int_equal(open_sock(f, ctl, IPC_PROTO_TCP, &data), 0);
    r = addr_req(f, ctl, IPC_OP_CONNECT, IPC_F_NONBLOCK, ep4(PEER_IP, 5556));
    assert_int_equal(r.err, EINPROGRESS);
    assert_int_equal(r.local.family, IPC_AF_INET);
    assert_true(r.local.port != 0);
    r = empty_req(f, ctl, IPC_OP_GETERR);
    assert_int_equal(r.err, 0);
    assert_int_equal(r.value, ECONNREFUSED);
    close(data);
    close(ctl);
    pump_n(f, 10);
    assert_int_equal(socket_count(f), 0);
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

static void test_listen_accept_attach(void **state)
{
    struct fixture *f = *state;
    start(f);
    int ctl = ctl_connect(f), lfd;
    assert_int_equal(open_sock(f, ctl, IPC_PROTO_TCP, &lfd), 0);
    struct ipc_reply r = addr_req(f, ctl, IPC_OP_BIND, 0, ep4(0, 8080));
    assert_int_equal(r.err, 0);
    assert_int_equal(r.local.port, 8080);
    uint8_t buf[IPC_MAX_MSG];
    struct ipc_listen l = {.backlog = 16};
    r = request(f, ctl, buf, ipc_encode_listen(buf, sizeof buf, &l));
    assert_int_equal(r.err, 0);

    struct tcp_sock *p = tcp_sock_open(f->peer, peer_event, NULL);
    struct ip_endpoint dst = {.addr = ip_addr_v4(DAEMON_IP), .port = 8080};
    assert_int_equal(tcp_sock_connect(p, &dst, f->now), -EINPROGRESS);
    assert_true(pump_until_readable(f, lfd));

    /* One ACCEPT of 68 bytes with one fd. */
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
    send_bytes(afd, "hello", 5);
    char in[16];
    long n = -EAGAIN;
    for (int i = 0; i < 1000 && n == -EAGAIN; i++) {
        pump(f);
        n = tcp_sock_recv(p, in, sizeof in, f->now);
    }
    assert_int_equal(n, 5);
    assert_memory_equal(in, "hello", 5);
    assert_int_equal(tcp_sock_send(p, "world", 5, f->now), 5);
    assert_true(pump_until_readable(f, afd));
    assert_int_equal(recv(afd, in, sizeof in, 0), 5);
    assert_memory_equal(in, "world", 5);

    /* ATTACH: a wrong token is EBADF; the right one works once. */
    int actl = ctl_connect(f);
    struct ipc_attach at = {.sock_id = a.sock_id, .token = a.token ^ 1};
    r = request(f, actl, buf, ipc_encode_attach(buf, sizeof buf, &at));
    assert_int_equal(r.err, EBADF);
    at.token = a.token;
    r = request(f, actl, buf, ipc_encode_attach(buf, sizeof buf, &at));
    assert_int_equal(r.err, 0);
    assert_true(r.sock_id == a.sock_id);
    r = empty_req(f, actl, IPC_OP_GETNAME);
    assert_int_equal(r.remote.port, a.remote.port);
    int actl2 = ctl_connect(f);
    r = request(f, actl2, buf, ipc_encode_attach(buf, sizeof buf, &at));
    assert_int_equal(r.err, EALREADY);
    close(actl2);

    assert_int_equal(socket_count(f), 2);
    close(afd);
    close(actl);
    close(lfd);
    close(ctl);
    pump_n(f, 50);
    assert_int_equal(socket_count(f), 0);
    tcp_sock_abort(p, f->now);
}

/* A reader that stops: the daemon holds a bounded amount, the TCP window
 * closes behind it, and nothing more is taken from the stack. */
static void test_backpressure_bounded(void **state)
{
    struct fixture *f = *state;
    start(f);
    int ctl, data;
    tcp_connected(f, 19, &ctl, &data); /* chargen: sends forever */
    pump_n(f, 3000);
    struct ipc_server_stats a, b;
    ipc_server_get_stats(f->srv, &a);
    pump_n(f, 3000);
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
        pump_n(f, 20);
    }
    ipc_server_get_stats(f->srv, &b);
    assert_true(b.bytes_from_stack > a.bytes_from_stack);
    close(data);
    close(ctl);
    pump_n(f, 50);
    assert_int_equal(socket_count(f), 0);
}

static void test_hostile_messages(void **state)
{
    struct fixture *f = *state;
    start(f);
    uint8_t buf[IPC_MAX_MSG];
    struct ipc_open o = {.proto = IPC_PROTO_TCP, .family = IPC_AF_INET};
    size_t n = ipc_encode_open(buf, sizeof buf, &o);
    struct ipc_server_stats st;

    /* Truncated, then the peer closes: that connection only. */
    int keep = ctl_connect(f), kdata;
    assert_int_equal(open_sock(f, keep, IPC_PROTO_TCP, &kdata), 0);
    int c = ctl_connect(f);
    send_bytes(c, buf, 5);
    pump_n(f, 5);
    close(c);
    pump_n(f, 5);

    /* Wrong version: EPROTONOSUPPORT in version 1, then closed. */
    c = ctl_connect(f);
    uint8_t v2[IPC_MAX_MSG];
    memcpy(v2, buf, n);
    v2[4] = 2;
    send_bytes(c, v2, n);
    uint8_t rb[IPC_HDR_LEN + IPC_REPLY_LEN];
    assert_true(pump_until_readable(f, c));
    assert_int_equal(recv(c, rb, sizeof rb, 0), (ssize_t)sizeof rb);
    struct ipc_reply r;
    assert_int_equal(ipc_decode_reply(rb, sizeof rb, &r), (int)sizeof rb);
    assert_int_equal(r.err, EPROTONOSUPPORT);
    assert_true(closed_by_daemon(f, c));
    close(c);

    /* Huge length, unknown type, garbage magic: closed without a reply. */
    uint8_t bad[IPC_HDR_LEN];
    memcpy(bad, buf, IPC_HDR_LEN);
    bad[8] = 0x7f;
    c = ctl_connect(f);
    send_bytes(c, bad, sizeof bad);
    assert_true(closed_by_daemon(f, c));
    close(c);
    memcpy(bad, buf, IPC_HDR_LEN);
    bad[5] = 99;
    c = ctl_connect(f);
    send_bytes(c, bad, sizeof bad);
    assert_true(closed_by_daemon(f, c));
    close(c);
    c = ctl_connect(f);
    send_bytes(c, "GET / HTTP/1.0\r\n\r\n", 18);
    assert_true(closed_by_daemon(f, c));
    close(c);

    /* A request before OPEN: EBADF; OPEN twice: EINVAL. */
    c = ctl_connect(f);
    r = empty_req(f, c, IPC_OP_GETNAME);
    assert_int_equal(r.err, EBADF);
    int d;
    assert_int_equal(open_sock(f, c, IPC_PROTO_TCP, &d), 0);
    r = request(f, c, buf, n);
    assert_int_equal(r.err, EINVAL);
    close(d);
    close(c);

    /* fds passed to the daemon are closed, not kept: the pipe's read end
     * sees EOF once the daemon dropped the write end. */
    int pfd[2];
    assert_int_equal(pipe(pfd), 0);
    c = ctl_connect(f);
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
    assert_true(closed_by_daemon(f, c));
    close(c);
    char x;
    assert_int_equal(read(pfd[0], &x, 1), 0);
    close(pfd[0]);

    /* The well-behaved connection was never disturbed. */
    r = empty_req(f, keep, IPC_OP_GETNAME);
    assert_int_equal(r.err, 0);
    ipc_server_get_stats(f->srv, &st);
    assert_true(st.protocol_errors >= 5);
    close(kdata);
    close(keep);
    pump_n(f, 20);
    assert_int_equal(socket_count(f), 0);
    ipc_server_get_stats(f->srv, &st);
    assert_int_equal(st.clients, 0);
}

static void test_permission_refused(void **state)
{
    struct fixture *f = *state;
    f->ipc.allow_uids[0] = (uint32_t)getuid() + 1;
    f->ipc.n_allow_uids = 1;
    start(f);
    int c = ctl_connect(f), d;
    assert_int_equal(open_sock(f, c, IPC_PROTO_TCP, &d), EACCES);
    assert_true(closed_by_daemon(f, c));
    close(c);
    struct ipc_server_stats st;
    ipc_server_get_stats(f->srv, &st);
    assert_int_equal(st.clients_refused, 1);
    assert_int_equal(socket_count(f), 0);
}

/* SIGHUP: new access lists apply to the next client; the socket file's
 * settings are reported as needing a restart. */
static void test_reconfigure_access_live(void **state)
{
    struct fixture *f = *state;
    start(f);
    int c = ctl_connect(f), d;
    assert_int_equal(open_sock(f, c, IPC_PROTO_TCP, &d), 0);
    close(d);
    close(c);
    struct conf_ipc next = f->ipc;
    next.allow_uids[0] = (uint32_t)getuid() + 1;
    next.n_allow_uids = 1;
    assert_true(ipc_server_reconfigure(f->srv, &next));
    c = ctl_connect(f);
    assert_int_equal(open_sock(f, c, IPC_PROTO_TCP, &d), EACCES);
    close(c);
    next.mode = 0600;
    assert_false(ipc_server_reconfigure(f->srv, &next));
}

static void test_privileged_port(void **state)
{
    struct fixture *f = *state;
    f->ipc.n_privileged_port_uids = 0;
    start(f);
    int c = ctl_connect(f), d;
    assert_int_equal(open_sock(f, c, IPC_PROTO_TCP, &d), 0);
    struct ipc_reply r = addr_req(f, c, IPC_OP_BIND, 0, ep4(0, 80));
    assert_int_equal(r.err, EACCES);
    r = addr_req(f, c, IPC_OP_BIND, 0, ep4(0, 8080));
    assert_int_equal(r.err, 0);
    close(d);
    close(c);
}

static void test_socket_limit_emfile(void **state)
{
    struct fixture *f = *state;
    f->ipc.max_sockets_per_client = 2;
    start(f);
    int c[3], d[3];
    for (int i = 0; i < 3; i++)
        c[i] = ctl_connect(f);
    assert_int_equal(open_sock(f, c[0], IPC_PROTO_TCP, &d[0]), 0);
    assert_int_equal(open_sock(f, c[1], IPC_PROTO_UDP, &d[1]), 0);
    assert_int_equal(open_sock(f, c[2], IPC_PROTO_TCP, &d[2]), EMFILE);
    uint32_t socks = 0;
    uint64_t bytes = 0;
    assert_int_equal(ipc_server_client_usage(f->srv, getpid(), &socks, &bytes), 0);
    assert_int_equal(socks, 2);
    /* One closed: room again. */
    close(d[0]);
    close(c[0]);
    pump_n(f, 5);
    assert_int_equal(open_sock(f, c[2], IPC_PROTO_TCP, &d[2]), 0);
    for (int i = 1; i < 3; i++) {
        close(d[i]);
        close(c[i]);
    }
    pump_n(f, 5);
    assert_int_equal(socket_count(f), 0);
    assert_int_equal(ipc_server_client_usage(f->srv, getpid(), &socks, &bytes), -1);
}

/* A client killed in the middle of a transfer: both fds close at once;
 * everything it held is freed and the connection is closed. */
static void test_client_killed_mid_transfer(void **state)
{
    struct fixture *f = *state;
    start(f);
    int ctl, data;
    tcp_connected(f, 7, &ctl, &data); /* echo: data pending both ways */
    uint8_t buf[32768];
    memset(buf, 'k', sizeof buf);
    for (int i = 0; i < 200; i++) {
        (void)send(data, buf, sizeof buf, MSG_DONTWAIT | MSG_NOSIGNAL);
        pump(f);
    }
    close(data);
    close(ctl);
    pump_n(f, 100);
    assert_int_equal(socket_count(f), 0);
    assert_int_equal(live_conns(f), 0);
    uint32_t socks;
    uint64_t bytes;
    assert_int_equal(ipc_server_client_usage(f->srv, getpid(), &socks, &bytes), -1);
    struct ipc_server_stats st;
    ipc_server_get_stats(f->srv, &st);
    assert_int_equal(st.clients, 0);
}

static void test_udp_echo(void **state)
{
    struct fixture *f = *state;
    start(f);
    int c = ctl_connect(f), d;
    assert_int_equal(open_sock(f, c, IPC_PROTO_UDP, &d), 0);
    struct ipc_reply r = addr_req(f, c, IPC_OP_BIND, 0, ep4(0, 4000));
    assert_int_equal(r.err, 0);
    assert_int_equal(r.local.port, 4000);
    uint8_t msg[IPC_DGRAM_HDR_LEN + 4];
    struct ipc_endpoint to = ep4(PEER_IP, 7);
    ipc_encode_endpoint(msg, &to);
    memcpy(msg + IPC_DGRAM_HDR_LEN, "ping", 4);
    send_bytes(d, msg, sizeof msg);
    assert_true(pump_until_readable(f, d));
    uint8_t in[128];
    assert_int_equal(recv(d, in, sizeof in, 0), IPC_DGRAM_HDR_LEN + 4);
    struct ipc_endpoint from;
    assert_int_equal(ipc_decode_endpoint(in, &from), IPC_OK);
    assert_int_equal(from.port, 7);
    assert_memory_equal(from.addr, to.addr, 4);
    assert_memory_equal(in + IPC_DGRAM_HDR_LEN, "ping", 4);
    /* A malformed datagram message is dropped and counted. */
    send_bytes(d, "xy", 2);
    pump_n(f, 3);
    struct ipc_server_stats st;
    ipc_server_get_stats(f->srv, &st);
    assert_int_equal(st.dgrams_dropped, 1);
    uint8_t buf[IPC_MAX_MSG];
    struct ipc_listen l = {.backlog = 1};
    r = request(f, c, buf, ipc_encode_listen(buf, sizeof buf, &l));
    assert_int_equal(r.err, EOPNOTSUPP);
    close(d);
    close(c);
    pump_n(f, 3);
    assert_int_equal(socket_count(f), 0);
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
    start(f);
    /* A second server on the same live path refuses to start. */
    char err[256];
    assert_null(ipc_server_start(f->loop, f->daemon, &f->ipc, fake_clock, f, err, sizeof err));
    assert_non_null(strstr(err, "another daemon"));
    int c = ctl_connect(f), d;
    assert_int_equal(open_sock(f, c, IPC_PROTO_TCP, &d), 0);
    close(d);
    close(c);
}

static void test_buffer_budget_enobufs(void **state)
{
    struct fixture *f = *state;
    f->ipc.max_buffer_per_client = 65536; /* less than one TCP socket's buffers */
    start(f);
    int c = ctl_connect(f), d;
    assert_int_equal(open_sock(f, c, IPC_PROTO_TCP, &d), ENOBUFS);
    close(c);
    pump_n(f, 3);
    assert_int_equal(socket_count(f), 0);
}

/* A reset by the peer: the reader sees the data then EOF, GETERR says why. */
static void test_peer_reset_geterr(void **state)
{
    struct fixture *f = *state;
    start(f);
    struct tcp_sock *l = tcp_sock_open(f->peer, peer_event, NULL);
    struct ip_endpoint any = {.addr = ip_addr_v4(0), .port = 6000};
    assert_int_equal(tcp_sock_bind(l, &any), 0);
    assert_int_equal(tcp_sock_listen(l, 4), 0);
    int ctl, data;
    tcp_connected(f, 6000, &ctl, &data);
    struct tcp_sock *p = NULL;
    int err = 0;
    for (int i = 0; i < 100 && p == NULL; i++) {
        pump(f);
        p = tcp_sock_accept(l, peer_event, NULL, &err);
    }
    assert_non_null(p);
    assert_int_equal(tcp_sock_send(p, "bye", 3, f->now), 3);
    pump_n(f, 5);
    tcp_sock_abort(p, f->now);
    char in[8];
    assert_true(pump_until_readable(f, data));
    assert_int_equal(recv(data, in, sizeof in, 0), 3);
    assert_true(closed_by_daemon(f, data));
    struct ipc_reply r = empty_req(f, ctl, IPC_OP_GETERR);
    assert_int_equal(r.err, 0);
    assert_int_equal(r.value, ECONNRESET);
    r = empty_req(f, ctl, IPC_OP_GETERR); /* cleared */
    assert_int_equal(r.value, 0);
    close(data);
    close(ctl);
    pump_n(f, 10);
    assert_int_equal(socket_count(f), 0);
    tcp_sock_close(l, f->now);
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
        cmocka_unit_test_setup_teardown(test_connect_echo_both_ways, setup, teardown),
        cmocka_unit_test_setup_teardown(test_connect_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reconfigure_access_live, setup, teardown),
        cmocka_unit_test_setup_teardown(test_listen_accept_attach, setup, teardown),
        cmocka_unit_test_setup_teardown(test_backpressure_bounded, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hostile_messages, setup, teardown),
        cmocka_unit_test_setup_teardown(test_permission_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_privileged_port, setup, teardown),
        cmocka_unit_test_setup_teardown(test_socket_limit_emfile, setup, teardown),
        cmocka_unit_test_setup_teardown(test_client_killed_mid_transfer, setup, teardown),
        cmocka_unit_test_setup_teardown(test_udp_echo, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stale_socket_replaced, setup, teardown),
        cmocka_unit_test_setup_teardown(test_buffer_budget_enobufs, setup, teardown),
        cmocka_unit_test_setup_teardown(test_peer_reset_geterr, setup, teardown),
        cmocka_unit_test(test_config_keys),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
