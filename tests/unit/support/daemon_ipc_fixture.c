/* daemon_ipc_fixture.c - see daemon_ipc_fixture.h. */

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

static const struct eth_addr dipc_daemon_mac = {{0x02, 0x00, 0x00, 0x77, 0x00, 0x02}};

static const struct eth_addr dipc_peer_mac = {{0x02, 0x00, 0x00, 0x77, 0x00, 0x09}};

/* Open fds of this process: the daemon must not leak any (passed fds,
 * data fds, control connections). */
static int dipc_count_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    assert_non_null(d);
    int n = 0;
    while (readdir(d) != NULL)
        n++;
    closedir(d);
    return n;
}

static int dipc_queue_send(void *ctx, const uint8_t *frame, size_t len)
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

static const struct netif_ops dipc_queue_ops = {.send = dipc_queue_send};

static void dipc_queue_clear(struct queue *q)
{
    for (size_t i = 0; i < q->n; i++)
        free(q->q[i].data);
    q->n = 0;
}

uint64_t dipc_fake_clock(void *ctx)
{
    return ((struct fixture *)ctx)->now;
}

static struct stack *dipc_make_stack(struct fixture *f, uint8_t key, uint32_t ip,
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
    *ifindex = stack_netif_add(s, &nc, &dipc_queue_ops, out, f->now);
    assert_true(*ifindex >= 0);
    return s;
}

int dipc_setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);
    assert_non_null(f);
    f->from_daemon = calloc(1, sizeof *f->from_daemon);
    f->from_peer = calloc(1, sizeof *f->from_peer);
    assert_non_null(f->from_daemon);
    assert_non_null(f->from_peer);
    f->fds_at_setup = dipc_count_fds();
    f->now = NS_PER_SEC;
    f->daemon_neigh.ip = PEER_IP;
    f->daemon_neigh.mac = dipc_peer_mac;
    f->peer_neigh.ip = DAEMON_IP;
    f->peer_neigh.mac = dipc_daemon_mac;
    f->daemon = dipc_make_stack(f, 0x11, DAEMON_IP, &dipc_daemon_mac, &f->daemon_neigh, f->from_daemon,
                           &f->daemon_if);
    f->peer = dipc_make_stack(f, 0x22, PEER_IP, &dipc_peer_mac, &f->peer_neigh, f->from_peer, &f->peer_if);
    dipc_queue_clear(f->from_daemon);
    dipc_queue_clear(f->from_peer);
    config_defaults(&f->peer_cfg);
    f->peer_cfg.services.tcp_echo.enabled = true;
    f->peer_cfg.services.tcp_discard.enabled = true;
    f->peer_cfg.services.tcp_chargen.enabled = true;
    f->peer_cfg.services.udp_echo.enabled = true;
    char err[256];
    f->sv = services_start(f->peer, &f->peer_cfg, dipc_fake_clock, f, err, sizeof err);
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

int dipc_teardown(void **state)
{
    struct fixture *f = *state;
    ipc_server_stop(f->srv);
    services_stop(f->sv);
    stack_free(f->daemon);
    stack_free(f->peer);
    ev_loop_destroy(f->loop);
    int leaked = dipc_count_fds() - f->fds_at_setup;
    rmdir(f->dir);
    dipc_queue_clear(f->from_daemon);
    dipc_queue_clear(f->from_peer);
    free(f->from_daemon);
    free(f->from_peer);
    free(f);
    assert_int_equal(leaked, 0);
    return 0;
}

void dipc_start(struct fixture *f)
{
    char err[256];
    f->srv = ipc_server_start(f->loop, f->daemon, &f->ipc, dipc_fake_clock, f, err, sizeof err);
    if (f->srv == NULL)
        fail_msg("ipc_server_start: %s", err);
}

/* ---- the loop, the link and the clock ---- */

static size_t dipc_deliver(struct fixture *f, struct queue *q, struct stack *s, int ifindex)
{
    size_t n = q->n;
    for (size_t i = 0; i < n; i++) {
        stack_input(s, ifindex, q->q[i].data, q->q[i].len, f->now);
        free(q->q[i].data);
    }
    q->n = 0;
    return n;
}

static void dipc_flush_all(struct fixture *f)
{
    ipc_server_flush(f->srv, f->now);
    services_flush(f->sv, f->now);
}

void dipc_pump(struct fixture *f)
{
    ev_run(f->loop, EVRUN_NOWAIT);
    dipc_flush_all(f);
    size_t moved = dipc_deliver(f, f->from_peer, f->daemon, f->daemon_if);
    dipc_flush_all(f);
    moved += dipc_deliver(f, f->from_daemon, f->peer, f->peer_if);
    dipc_flush_all(f);
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
    dipc_flush_all(f);
}

void dipc_pump_n(struct fixture *f, int n)
{
    for (int i = 0; i < n; i++)
        dipc_pump(f);
}

static bool dipc_fd_readable(int fd)
{
    struct pollfd p = {.fd = fd, .events = POLLIN};
    return poll(&p, 1, 0) == 1;
}

bool dipc_pump_until_readable(struct fixture *f, int fd)
{
    for (int i = 0; i < MAX_ROUNDS; i++) {
        if (dipc_fd_readable(fd))
            return true;
        dipc_pump(f);
    }
    return false;
}

int dipc_ctl_connect(struct fixture *f)
{
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    assert_true(fd >= 0);
    struct sockaddr_un sa;
    memset(&sa, 0, sizeof sa);
    sa.sun_family = AF_UNIX;
    snprintf(sa.sun_path, sizeof sa.sun_path, "%s", f->ipc.path);
    assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    dipc_pump(f); /* accept */
    return fd;
}

void dipc_send_bytes(int fd, const void *buf, size_t n)
{
    assert_int_equal(send(fd, buf, n, MSG_NOSIGNAL), (ssize_t)n);
}

/* Wait for one REPLY (and an fd if one comes). 0, or -1 at EOF. */
static int dipc_get_reply(struct fixture *f, int fd, struct ipc_reply *r, int *passed)
{
    uint8_t buf[IPC_HDR_LEN + IPC_REPLY_LEN];
    union {
        struct cmsghdr h;
        char b[CMSG_SPACE(sizeof(int))];
    } cm;
    if (passed != NULL)
        *passed = -1;
    if (!dipc_pump_until_readable(f, fd))
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

bool dipc_closed_by_daemon(struct fixture *f, int fd)
{
    uint8_t b[IPC_MAX_MSG];
    if (!dipc_pump_until_readable(f, fd))
        return false;
    return recv(fd, b, sizeof b, MSG_DONTWAIT) == 0;
}

struct ipc_endpoint dipc_ep4(uint32_t ip, uint16_t port)
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

void dipc_send_fds(int ctl, const void *buf, size_t n, const int *fds, int nfds)
{
    union {
        struct cmsghdr h;
        char b[CMSG_SPACE(sizeof(int) * 4)];
    } cm;
    memset(&cm, 0, sizeof cm);
    struct iovec iov = {.iov_base = (void *)buf, .iov_len = n};
    struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
    assert_true(nfds <= 4);
    if (nfds > 0) {
        mh.msg_control = cm.b;
        mh.msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)nfds);
        struct cmsghdr *h = CMSG_FIRSTHDR(&mh);
        h->cmsg_level = SOL_SOCKET;
        h->cmsg_type = SCM_RIGHTS;
        h->cmsg_len = CMSG_LEN(sizeof(int) * (size_t)nfds);
        memcpy(CMSG_DATA(h), fds, sizeof(int) * (size_t)nfds);
    }
    assert_int_equal(sendmsg(ctl, &mh, MSG_NOSIGNAL), (ssize_t)n);
}

struct ipc_reply dipc_request(struct fixture *f, int ctl, int fd, const uint8_t *buf, size_t n)
{
    struct ipc_reply r;
    dipc_send_fds(ctl, buf, n, &fd, fd >= 0 ? 1 : 0);
    assert_int_equal(dipc_get_reply(f, ctl, &r, NULL), 0);
    return r;
}

int dipc_open_sock(struct fixture *f, int ctl, uint8_t proto, int *data)
{
    uint8_t buf[IPC_MAX_MSG];
    struct ipc_open o = {.proto = proto, .family = IPC_AF_INET};
    size_t n = ipc_encode_open(buf, sizeof buf, &o);
    dipc_send_bytes(ctl, buf, n);
    struct ipc_reply r;
    assert_int_equal(dipc_get_reply(f, ctl, &r, data), 0);
    if (r.err == 0) {
        assert_true(*data >= 0);
        assert_int_equal(fcntl(*data, F_SETFL, O_NONBLOCK), 0);
    } else {
        assert_int_equal(*data, -1);
    }
    return r.err;
}

struct ipc_reply dipc_addr_req(struct fixture *f, int ctl, int fd, uint8_t type,
                               struct ipc_endpoint ep)
{
    uint8_t buf[IPC_MAX_MSG];
    struct ipc_addr_req a = {.ep = ep};
    size_t n = ipc_encode_addr_req(buf, sizeof buf, type, &a);
    return dipc_request(f, ctl, fd, buf, n);
}

struct ipc_reply dipc_empty_req(struct fixture *f, int ctl, int fd, uint8_t type)
{
    uint8_t buf[IPC_MAX_MSG];
    size_t n = ipc_encode_empty(buf, sizeof buf, type);
    return dipc_request(f, ctl, fd, buf, n);
}

struct ipc_reply dipc_opt_req(struct fixture *f, int ctl, int fd, uint8_t type, uint32_t name,
                              int32_t value)
{
    uint8_t buf[IPC_MAX_MSG];
    struct ipc_opt o = {.name = name, .value = value};
    size_t n = ipc_encode_opt(buf, sizeof buf, type, &o);
    return dipc_request(f, ctl, fd, buf, n);
}

struct ipc_reply dipc_shutdown(struct fixture *f, int ctl, int fd, uint32_t how)
{
    uint8_t buf[IPC_MAX_MSG];
    struct ipc_u32 u = {.value = how};
    size_t n = ipc_encode_u32(buf, sizeof buf, IPC_OP_SHUTDOWN, &u);
    return dipc_request(f, ctl, fd, buf, n);
}

bool dipc_writable(int fd)
{
    struct pollfd p = {.fd = fd, .events = POLLOUT};
    return poll(&p, 1, 0) == 1 && (p.revents & POLLOUT);
}

int dipc_connect(struct fixture *f, int ctl, int fd, struct ipc_endpoint ep)
{
    struct ipc_reply r = dipc_addr_req(f, ctl, fd, IPC_OP_CONNECT, ep);
    if (r.err != EINPROGRESS)
        return r.err;
    /* PROTOCOL.md 7.2: not writable until the outcome is known. */
    assert_false(dipc_writable(fd));
    for (int i = 0; i < MAX_ROUNDS && !dipc_writable(fd); i++)
        dipc_pump(f);
    assert_true(dipc_writable(fd));
    r = dipc_empty_req(f, ctl, fd, IPC_OP_GETERR);
    assert_int_equal(r.err, 0);
    return r.value;
}

size_t dipc_socket_count(struct fixture *f)
{
    struct ipc_server_stats st;
    ipc_server_get_stats(f->srv, &st);
    assert_int_equal(ipc_server_list(f->srv, NULL, 0), st.sockets);
    return (size_t)st.sockets;
}
