/* client_fixture.c - see client_fixture.h. */

#include <errno.h>
#include <fcntl.h>
#include <dirent.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cmocka.h>

#include "client-lib/internal.h"
#include "tests/unit/support/client_fixture.h"

struct fake tcl_fk;

static void tcl_own_fd(int fd, bool owned)
{
    if (fd >= 0 && fd < FAKE_MAX_FD)
        tcl_fk.own[fd] = owned;
}

int tcl_send_fds(int fd, const void *buf, size_t len, const int *fds, int nfds)
{
    union {
        char buf[CMSG_SPACE(sizeof(int) * 4)];
        struct cmsghdr align;
    } cbuf;
    struct iovec iov = { .iov_base = (void *)buf, .iov_len = len };
    struct msghdr msg;

    memset(&msg, 0, sizeof msg);
    memset(&cbuf, 0, sizeof cbuf);
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    if (nfds > 0) {
        msg.msg_control = cbuf.buf;
        msg.msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)nfds);
        struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int) * (size_t)nfds);
        memcpy(CMSG_DATA(c), fds, sizeof(int) * (size_t)nfds);
    }
    return sendmsg(fd, &msg, MSG_NOSIGNAL) == (ssize_t)len ? 0 : -1;
}

static int tcl_peer_of(int fd)
{
    uint64_t cookie = 0;
    socklen_t len = sizeof cookie;
    if (fd < 0 || getsockopt(fd, SOL_SOCKET, SO_COOKIE, &cookie, &len) != 0)
        return -1;
    for (int i = 0; i < tcl_fk.npeers; i++)
        if (tcl_fk.cookies[i] == cookie)
            return i;
    return -1;
}

static void tcl_add_peer(int peer, int app_end, uint8_t proto, uint8_t family, uint8_t state)
{
    uint64_t cookie = 0;
    socklen_t len = sizeof cookie;
    assert_int_equal(getsockopt(app_end, SOL_SOCKET, SO_COOKIE, &cookie, &len), 0);
    if (tcl_fk.npeers >= FAKE_MAX_PEERS) {
        tcl_own_fd(peer, false);
        close(peer);
        return;
    }
    int i = tcl_fk.npeers++;
    tcl_fk.peers[i] = peer;
    tcl_fk.cookies[i] = cookie;
    tcl_fk.protos[i] = proto;
    tcl_fk.families[i] = family;
    tcl_fk.states[i] = state;
}

void tcl_fake_adopt(int peer, int app_end, uint8_t state)
{
    pthread_mutex_lock(&tcl_fk.mu);
    tcl_own_fd(peer, true);
    tcl_add_peer(peer, app_end, IPC_PROTO_TCP, IPC_AF_INET, state);
    pthread_mutex_unlock(&tcl_fk.mu);
}

/* Answer one request (fd: what came with it, or -1); false: close the
 * connection. */
static bool tcl_fake_handle(struct fake_conn *c, const struct ipc_request *req, int fd)
{
    struct ipc_reply r;
    uint8_t out[IPC_MAX_MSG];
    int pair[2] = { -1, -1 }, extra[2] = { -1, -1 };
    int fds[2], nfds = 0;
    enum fake_mode mode;

    memset(&r, 0, sizeof r);
    pthread_mutex_lock(&tcl_fk.mu);
    tcl_fk.requests++;
    tcl_fk.last = *req;
    int pi = tcl_peer_of(fd);
    tcl_fk.last_fd_peer = pi;
    mode = req->h.type == IPC_OP_OPEN ? tcl_fk.mode_open : tcl_fk.mode_other;
    switch (req->h.type) {
    case IPC_OP_OPEN:
        r.sock_id = 100 + (uint64_t)tcl_fk.npeers;
        r.local.family = req->u.open.family;
        r.proto = req->u.open.proto;
        r.family = req->u.open.family;
        if (socketpair(AF_UNIX, (req->u.open.proto == IPC_PROTO_TCP ? SOCK_STREAM
                                                                     : SOCK_SEQPACKET) |
                                    SOCK_CLOEXEC,
                       0, pair) != 0)
            r.err = ENFILE;
        break;
    case IPC_OP_CONNECT:
        r.err = tcl_fk.connect_err;
        if (pi >= 0 && (r.err == 0 || r.err == EINPROGRESS))
            tcl_fk.states[pi] = r.err == 0 ? IPC_ST_CONNECTED : IPC_ST_CONNECTING;
        if (pi >= 0 && r.err == 0 && tcl_fk.protos[pi] == IPC_PROTO_UDP)
            r.remote = req->u.addr.ep;
        break;
    case IPC_OP_LISTEN:
        r.err = tcl_fk.op_err;
        if (pi >= 0 && r.err == 0)
            tcl_fk.states[pi] = IPC_ST_LISTENING;
        break;
    case IPC_OP_GETERR:
        r.value = tcl_fk.geterr_value;
        tcl_fk.geterr_value = 0;
        if (pi >= 0 && tcl_fk.states[pi] == IPC_ST_CONNECTING)
            tcl_fk.states[pi] = r.value == 0 ? IPC_ST_CONNECTED : IPC_ST_CLOSED;
        break;
    case IPC_OP_GETOPT:
        r.value = tcl_fk.opt_value;
        r.err = tcl_fk.op_err;
        break;
    case IPC_OP_LOOKUP:
    case IPC_OP_GETNAME:
        r.local = tcl_fk.name_local;
        r.remote = tcl_fk.name_remote;
        break;
    default:
        r.err = tcl_fk.op_err;
        break;
    }
    if (req->h.type != IPC_OP_OPEN && pi >= 0) {
        r.proto = tcl_fk.protos[pi];
        r.family = tcl_fk.families[pi];
        r.state = tcl_fk.states[pi];
        r.sock_id = 100 + (uint64_t)pi;
    } else if (req->h.type != IPC_OP_OPEN) {
        r.err = fd < 0 ? EBADF : ENOTSOCK;
    }
    if (mode == FAKE_UNKNOWN && req->h.type != IPC_OP_OPEN) {
        memset(&r, 0, sizeof r);
        r.err = ENOTSOCK;
    }
    tcl_own_fd(pair[0], true);
    tcl_own_fd(pair[1], true);
    if (pair[0] >= 0)
        tcl_add_peer(pair[0], pair[1], req->u.open.proto, req->u.open.family, IPC_ST_NEW);

    if (mode == FAKE_BAD_ERRNO)
        r.err = 5000;
    size_t n;
    if (req->h.type == IPC_OP_GETINFO && r.err == 0 && mode == FAKE_OK) {
        struct ipc_info info;
        memset(&info, 0, sizeof info);
        info.state = 1;
        info.rtt = 1234;
        info.rttvar = 56;
        info.snd_cwnd = 10;
        info.snd_mss = 1448;
        info.total_retrans = 2;
        n = ipc_encode_info(out, sizeof out, &info);
    } else {
        n = ipc_encode_reply(out, sizeof out, &r);
    }
    if (pair[1] >= 0 && mode != FAKE_NO_FD && mode != FAKE_PIPE_FD)
        fds[nfds++] = pair[1];
    if (mode == FAKE_TWO_FDS || mode == FAKE_PIPE_FD || mode == FAKE_STRAY_FD) {
        if (pipe2(extra, O_CLOEXEC) == 0) {
            tcl_own_fd(extra[0], true);
            tcl_own_fd(extra[1], true);
            fds[nfds++] = extra[0];
        }
    }
    if (mode == FAKE_BAD_MAGIC)
        out[0] ^= 0xff;
    if (mode == FAKE_BAD_LEN)
        out[11] = 63;
    if (mode == FAKE_OTHER_VERSION)
        out[4] = IPC_VERSION + 1;
    if (mode == FAKE_TRUNCATED)
        n = 30;
    bool keep = mode != FAKE_HANGUP && mode != FAKE_TRUNCATED;
    if (mode != FAKE_HANGUP)
        tcl_send_fds(c->fd, out, n, fds, nfds);
    if (pair[1] >= 0) {
        tcl_own_fd(pair[1], false);
        close(pair[1]);
    }
    if (extra[0] >= 0) {
        tcl_own_fd(extra[0], false);
        tcl_own_fd(extra[1], false);
        close(extra[0]);
        close(extra[1]);
    }
    pthread_mutex_unlock(&tcl_fk.mu);
    return keep;
}

/* Read what a session sent, taking the fd that came with it. */
static ssize_t tcl_recv_request(struct fake_conn *c, int *fd)
{
    union {
        char buf[CMSG_SPACE(sizeof(int) * 4)];
        struct cmsghdr align;
    } cbuf;
    struct iovec iov = { .iov_base = c->buf + c->len, .iov_len = sizeof c->buf - c->len };
    struct msghdr mh;
    memset(&mh, 0, sizeof mh);
    mh.msg_iov = &iov;
    mh.msg_iovlen = 1;
    mh.msg_control = cbuf.buf;
    mh.msg_controllen = sizeof cbuf.buf;
    ssize_t got = recvmsg(c->fd, &mh, MSG_CMSG_CLOEXEC);
    for (struct cmsghdr *h = CMSG_FIRSTHDR(&mh); got > 0 && h != NULL; h = CMSG_NXTHDR(&mh, h)) {
        size_t k = (h->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        for (size_t i = 0; i < k; i++) {
            int f;
            memcpy(&f, CMSG_DATA(h) + i * sizeof(int), sizeof f);
            pthread_mutex_lock(&tcl_fk.mu);
            tcl_own_fd(f, true);
            pthread_mutex_unlock(&tcl_fk.mu);
            if (*fd < 0) {
                *fd = f;
            } else {
                pthread_mutex_lock(&tcl_fk.mu);
                tcl_own_fd(f, false);
                pthread_mutex_unlock(&tcl_fk.mu);
                close(f);
            }
        }
    }
    return got;
}

void *tcl_fake_main(void *arg)
{
    struct fake_conn conns[FAKE_MAX_CONNS];
    int nconns = 0;

    (void)arg;
    /* Bounded: the test stops us long before. */
    for (int iter = 0; iter < 1000000; iter++) {
        struct pollfd p[2 + FAKE_MAX_CONNS];
        p[0] = (struct pollfd){ .fd = tcl_fk.stop[0], .events = POLLIN };
        p[1] = (struct pollfd){ .fd = tcl_fk.listen_fd, .events = POLLIN };
        for (int i = 0; i < nconns; i++)
            p[2 + i] = (struct pollfd){ .fd = conns[i].fd, .events = POLLIN };
        if (poll(p, (nfds_t)(2 + nconns), 10000) <= 0)
            continue;
        if (p[0].revents)
            break;
        int polled = nconns;     /* connections accepted below wait a turn */
        if (p[1].revents & POLLIN) {
            pthread_mutex_lock(&tcl_fk.mu);
            int fd = accept4(tcl_fk.listen_fd, NULL, NULL, SOCK_CLOEXEC);
            tcl_own_fd(fd, true);
            if (fd >= 0 && nconns < FAKE_MAX_CONNS) {
                conns[nconns].fd = fd;
                conns[nconns].len = 0;
                nconns++;
            } else if (fd >= 0) {
                tcl_own_fd(fd, false);
                close(fd);
            }
            pthread_mutex_unlock(&tcl_fk.mu);
        }
        for (int i = polled - 1; i >= 0; i--) {
            if (p[2 + i].revents == 0)
                continue;
            struct fake_conn *c = &conns[i];
            int fd = -1;
            ssize_t got = tcl_recv_request(c, &fd);
            bool keep = got > 0;
            if (keep)
                c->len += (size_t)got;
            while (keep) {
                struct ipc_request req;
                int used = ipc_decode_request(c->buf, c->len, &req);
                if (used == IPC_ETRUNC)
                    break;
                keep = used > 0 && tcl_fake_handle(c, &req, fd);
                if (fd >= 0) {
                    pthread_mutex_lock(&tcl_fk.mu);
                    tcl_own_fd(fd, false);
                    pthread_mutex_unlock(&tcl_fk.mu);
                    close(fd);
                    fd = -1;
                }
                if (keep) {
                    memmove(c->buf, c->buf + used, c->len - (size_t)used);
                    c->len -= (size_t)used;
                }
            }
            if (fd >= 0) {
                pthread_mutex_lock(&tcl_fk.mu);
                tcl_own_fd(fd, false);
                pthread_mutex_unlock(&tcl_fk.mu);
                close(fd);
            }
            if (!keep) {
                pthread_mutex_lock(&tcl_fk.mu);
                tcl_own_fd(c->fd, false);
                close(c->fd);
                pthread_mutex_unlock(&tcl_fk.mu);
                conns[i] = conns[--nconns];
            }
        }
    }
    for (int i = 0; i < nconns; i++)
        close(conns[i].fd);
    return NULL;
}

int tcl_count_fds(void)
{
    struct dirent *e;
    int n = 0;

    pthread_mutex_lock(&tcl_fk.mu);
    DIR *d = opendir("/proc/self/fd");
    assert_non_null(d);
    while ((e = readdir(d)) != NULL) {
        int fd = atoi(e->d_name);
        if (e->d_name[0] >= '0' && e->d_name[0] <= '9' && fd < FAKE_MAX_FD && !tcl_fk.own[fd])
            n++;
    }
    closedir(d);
    pthread_mutex_unlock(&tcl_fk.mu);
    return n;
}

void tcl_fake_set(enum fake_mode open_mode, enum fake_mode other_mode, int op_err)
{
    pthread_mutex_lock(&tcl_fk.mu);
    tcl_fk.mode_open = open_mode;
    tcl_fk.mode_other = other_mode;
    tcl_fk.op_err = op_err;
    pthread_mutex_unlock(&tcl_fk.mu);
}

int tcl_fake_requests(void)
{
    pthread_mutex_lock(&tcl_fk.mu);
    int n = tcl_fk.requests;
    pthread_mutex_unlock(&tcl_fk.mu);
    return n;
}

int tcl_fake_peer(void)
{
    pthread_mutex_lock(&tcl_fk.mu);
    int fd = tcl_fk.npeers > 0 ? tcl_fk.peers[tcl_fk.npeers - 1] : -1;
    pthread_mutex_unlock(&tcl_fk.mu);
    assert_true(fd >= 0);
    return fd;
}

struct sockaddr_in tcl_sin4(const char *dotted, uint16_t port)
{
    struct sockaddr_in s;
    unsigned a, b, c, d;

    memset(&s, 0, sizeof s);
    assert_int_equal(sscanf(dotted, "%u.%u.%u.%u", &a, &b, &c, &d), 4);
    s.sin_family = AF_INET;
    s.sin_port = htons(port);
    s.sin_addr.s_addr = htonl((uint32_t)(a << 24 | b << 16 | c << 8 | d));
    return s;
}

struct ipc_endpoint tcl_ep4(uint8_t a, uint8_t b, uint8_t c, uint8_t d, uint16_t port)
{
    struct ipc_endpoint ep;

    memset(&ep, 0, sizeof ep);
    ep.family = IPC_AF_INET;
    ep.port = port;
    ep.addr[0] = a;
    ep.addr[1] = b;
    ep.addr[2] = c;
    ep.addr[3] = d;
    return ep;
}
