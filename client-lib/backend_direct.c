/* backend_direct.c - the "direct" backend: sockets of tcpipd's own stack.
 *
 * A socket is one fd: the data fd the daemon passes back at IPC_OP_OPEN
 * (or with an ACCEPT), an end of a socketpair whose other end the daemon
 * holds. It carries the data itself: the raw byte stream for TCP,
 * IPC_MSG_ACCEPTs for a listener, one datagram per SOCK_SEQPACKET message
 * for UDP (behind a 20-byte endpoint while unconnected). Requests about
 * it go on a session of this process with the fd attached (ipc/ipc.h,
 * ipc/PROTOCOL.md); nothing else is per socket, so dup, fork, exec and
 * SCM_RIGHTS need nothing from us and close(2) is all a close takes.
 *
 * The aim is that every call returns what the kernel backend returns for
 * the same situation; where Linux checks an argument before doing
 * anything, this file checks it the same way before asking the daemon. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/uio.h>
#include <unistd.h>

#include "client-lib/internal.h"

/* Datagrams queued in the old framing that a UDP connect throws away
 * before the daemon switches (PROTOCOL.md 7.3): at most this many tries. */
#define UDP_REFRAME_TRIES 16

static int fail(int err)
{
    errno = err;
    return -1;
}

static enum dsock_state state_of(uint8_t st)
{
    switch (st) {
    case IPC_ST_CONNECTING: return DSOCK_CONNECTING;
    case IPC_ST_CONNECTED: return DSOCK_CONNECTED;
    case IPC_ST_LISTENING: return DSOCK_LISTENING;
    case IPC_ST_CLOSED: return DSOCK_DEAD;
    default: return DSOCK_NEW;
    }
}

/* What a reply says of the socket is the daemon's word: take it. */
static void apply_reply(struct dsock *ds, const struct ipc_reply *r)
{
    if (r->proto == 0)
        return;
    ds->state = state_of(r->state);
    if (r->flags & IPC_SF_WR_SHUT)
        ds->wr_shut = true;
    if (r->flags & IPC_SF_RD_SHUT)
        ds->rd_shut = true;
    libtcpip_dsock_changed(ds);
}

/* The daemon is gone, or the socket failed: no fast path any more. */
static void set_dead(struct dsock *ds)
{
    ds->state = DSOCK_DEAD;
    libtcpip_dsock_changed(ds);
}

int libtcpip_request(int fd, struct dsock *ds, const uint8_t *msg, size_t len,
                     struct ipc_reply *reply)
{
    int rc = libtcpip_call(fd, msg, len, reply, NULL, true, NULL);
    if (rc == EPROTO || rc == EPROTONOSUPPORT || rc == EMFILE || rc == ENOMEM)
        return rc;
    if (rc != 0) {
        /* No tcpipd to answer: it went away, and its sockets with it. */
        set_dead(ds);
        return ENETDOWN;
    }
    if (reply->err == ENOTSOCK) {
        /* The daemon does not know a socket we know: it restarted (or the
         * socket failed long ago and was forgotten). */
        set_dead(ds);
        return ENETDOWN;
    }
    apply_reply(ds, reply);
    return reply->err;
}

struct dsock *libtcpip_sock_discover(int fd)
{
    int domain = 0, type = 0;
    socklen_t len = sizeof domain;

    if (libtcpip_sys.fcntl(fd, F_GETFD) < 0) {
        errno = EBADF;
        return NULL;
    }
    /* Only an AF_UNIX stream or seqpacket socket can be one of ours. */
    if (libtcpip_sys.getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &len) != 0 ||
        domain != AF_UNIX) {
        errno = ENOTSOCK;
        return NULL;
    }
    len = sizeof type;
    if (libtcpip_sys.getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) != 0 ||
        (type != SOCK_STREAM && type != SOCK_SEQPACKET)) {
        errno = ENOTSOCK;
        return NULL;
    }
    /* The daemon made every data fd's socketpair: a Unix socket whose
     * peer is another process is not one, and costs no request. */
    struct ucred cred;
    len = sizeof cred;
    pid_t daemon = libtcpip_daemon_pid(true);
    if (daemon != 0 && (libtcpip_sys.getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0 ||
                        cred.pid != daemon)) {
        errno = ENOTSOCK;
        return NULL;
    }
    uint8_t msg[IPC_MAX_MSG];
    struct ipc_reply reply;
    size_t n = ipc_encode_empty(msg, sizeof msg, IPC_OP_LOOKUP);
    int rc = libtcpip_call(fd, msg, n, &reply, NULL, true, NULL);
    if (rc != 0 || reply.err != 0 || reply.proto == 0 ||
        (reply.proto == IPC_PROTO_TCP) != (type == SOCK_STREAM)) {
        errno = ENOTSOCK;
        return NULL;
    }
    struct dsock *ds =
        libtcpip_dsock_new(reply.proto, reply.family == IPC_AF_INET6 ? AF_INET6 : AF_INET);
    if (ds == NULL) {
        errno = ENOMEM;
        return NULL;
    }
    apply_reply(ds, &reply);
    if (reply.remote.family != IPC_AF_UNSPEC)
        ds->remote = reply.remote;
    if (libtcpip_table_set(fd, ds) != 0) {
        libtcpip_dsock_put(ds);
        errno = ENOMEM;
        return NULL;
    }
    return ds;
}

struct dsock *libtcpip_sock_get(int fd)
{
    struct dsock *ds = libtcpip_table_get(fd);

    if (ds != NULL)
        return ds;
    return libtcpip_sock_discover(fd);
}

static bool fd_nonblocking(int fd)
{
    int fl = libtcpip_sys.fcntl(fd, F_GETFL);
    return fl >= 0 && (fl & O_NONBLOCK);
}

/* O_NONBLOCK on an fd just received from the daemon: a fresh socketpair
 * end has no file status flag but its access mode, which F_SETFL ignores,
 * so one call does what F_GETFL + F_SETFL would. */
static int fresh_fd_nonblock(int fd)
{
    return libtcpip_sys.fcntl(fd, F_SETFL, O_NONBLOCK);
}

/* The largest UDP payload to ep, as Linux's udp_sendmsg and
 * udpv6_sendmsg allow it: an IPv6 datagram's length field leaves 65527
 * bytes, an IPv4 one's 65507; an IPv6 socket sending to a v4-mapped
 * address sends IPv4. The connected peer (family 0) is taken to be of the
 * socket's family, or of its remote's. */
static size_t dgram_max(const struct dsock *ds, const struct ipc_endpoint *ep)
{
    static const uint8_t v4mapped[12] = {[10] = 0xff, [11] = 0xff};
    if (ds->family != AF_INET6)
        return IPC_DGRAM_MAX;
    const struct ipc_endpoint *to = ep->family != IPC_AF_UNSPEC ? ep : &ds->remote;
    if (to->family == IPC_AF_INET ||
        (to->family == IPC_AF_INET6 && memcmp(to->addr, v4mapped, sizeof v4mapped) == 0))
        return IPC_DGRAM_MAX;
    return IPC_DGRAM_MAX6;
}

/* SO_ERROR from the daemon (reading it clears it, as in Linux). 0 with
 * *so_error, or the errno of the request itself. */
int libtcpip_get_so_error(int fd, struct dsock *ds, int *so_error)
{
    uint8_t msg[IPC_MAX_MSG];
    struct ipc_reply reply;
    size_t len = ipc_encode_empty(msg, sizeof msg, IPC_OP_GETERR);
    int rc = libtcpip_request(fd, ds, msg, len, &reply);

    *so_error = 0;
    if (rc == 0) {
        *so_error = reply.value;
        /* The reply went through the decoder, but value is an int32 we
         * hand to errno: only a plausible errno passes. */
        if (*so_error < 0 || *so_error > 4095)
            rc = EPROTO;
    }
    return rc;
}

/* The error that explains an end of file, a reset or EPIPE on a data fd:
 * ECONNRESET, ETIMEDOUT, ECONNREFUSED... or 0 for none; ENETDOWN when
 * tcpipd itself is gone. */
static int pending_error(int fd, struct dsock *ds)
{
    int so_error;
    int rc = libtcpip_get_so_error(fd, ds, &so_error);

    if (rc == ENETDOWN)
        return ENETDOWN;
    return rc == 0 ? so_error : 0;
}

/* Whether the daemon closed its end (PROTOCOL.md 7.1: the socket failed,
 * or tcpipd went away): POLLHUP on ours. A clean end of stream (the
 * peer's FIN) only shuts our reading side. */
static bool peer_closed(int fd)
{
    struct pollfd p = {.fd = fd, .events = 0};
    return libtcpip_sys.poll(&p, 1, 0) == 1 && (p.revents & POLLHUP) != 0;
}

/* The end of a TCP stream as a read of the data fd saw it: end of file
 * (n 0), or ECONNRESET (n -1: the daemon closed its end with bytes of
 * ours unread). Linux's answer: 0 after the peer's FIN; after a failure
 * (the daemon closed its end, POLLHUP) the connection's error, once
 * (ECONNRESET, ETIMEDOUT...; ENETDOWN: tcpipd is gone), then 0. */
static ssize_t stream_recv_end(int fd, struct dsock *ds, ssize_t n)
{
    if (n == 0 && !peer_closed(fd))
        return 0;
    int pending = pending_error(fd, ds);
    if (pending != 0)
        return fail(pending);
    return n == 0 ? 0 : fail(ECONNRESET);
}

/* A send found the TCP connection gone (the data fd said EPIPE or
 * ECONNRESET, or the socket failed before): Linux reports the
 * connection's error once, without SIGPIPE; after that EPIPE, with
 * SIGPIPE unless MSG_NOSIGNAL. */
static ssize_t stream_send_end(int fd, struct dsock *ds, int flags)
{
    int pending = pending_error(fd, ds);
    if (pending != 0)
        return fail(pending);
    if (!(flags & MSG_NOSIGNAL))
        raise(SIGPIPE);
    return fail(EPIPE);
}

/* A connected UDP socket's fd gave an empty message: an empty datagram,
 * the doorbell of an ICMP error (PROTOCOL.md 7.3), or tcpipd gone. 0 (an
 * empty datagram, or EOF after SHUT_RD) or -1 with the error. */
static ssize_t dgram_empty(int fd, struct dsock *ds)
{
    if (ds->rd_shut)
        return 0;
    if (peer_closed(fd))
        return fail(ENETDOWN);
    int pending = pending_error(fd, ds);
    return pending != 0 ? fail(pending) : 0;
}

/* Whether fd is still a Unix socket, as every data fd is. The preload
 * library's map can outlive an fd closed behind its back (fclose of an
 * fdopen'ed socket closes it inside the C library), and a file or pipe
 * that reuses the number must never be asked about. */
static bool still_unix(int fd)
{
    int domain = 0;
    socklen_t len = sizeof domain;
    return libtcpip_sys.getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &len) == 0 &&
           domain == AF_UNIX;
}

ssize_t libtcpip_fast_recv_end(int fd, ssize_t n, int err)
{
    struct dsock *ds = libtcpip_table_get(fd);
    ssize_t r = n;

    if (ds != NULL && !still_unix(fd)) {
        libtcpip_table_drop(fd);
        libtcpip_dsock_put(ds);
        ds = NULL;
    }
    errno = err;
    if (ds == NULL)
        return r;
    if (ds->proto == IPC_PROTO_TCP)
        r = (n == 0 || err == ECONNRESET) ? stream_recv_end(fd, ds, n) : n;
    else if (n == 0)
        r = dgram_empty(fd, ds);
    int saved = errno;
    libtcpip_dsock_put(ds);
    errno = saved;
    return r;
}

ssize_t libtcpip_fast_send_end(int fd, int err, int flags)
{
    struct dsock *ds = libtcpip_table_get(fd);
    ssize_t r;

    if (ds != NULL && !still_unix(fd)) {
        libtcpip_table_drop(fd);
        libtcpip_dsock_put(ds);
        ds = NULL;
    }
    if (ds == NULL || ds->proto != IPC_PROTO_TCP || (err != EPIPE && err != ECONNRESET)) {
        libtcpip_dsock_put(ds);
        return fail(err);
    }
    r = stream_send_end(fd, ds, flags);
    int saved = errno;
    libtcpip_dsock_put(ds);
    errno = saved;
    return r;
}

static int d_socket(int domain, int type, int protocol)
{
    int flags = type & (SOCK_NONBLOCK | SOCK_CLOEXEC);
    int base = type & ~(SOCK_NONBLOCK | SOCK_CLOEXEC);
    struct ipc_open open_req = { 0 };
    uint8_t msg[IPC_MAX_MSG];
    struct ipc_reply reply;
    int data_fd = -1, want_type, got_type = 0, rc;
    socklen_t tlen = sizeof got_type;

    if (domain != AF_INET && domain != AF_INET6)
        return fail(EAFNOSUPPORT);
    if (base < 0 || base > 0xf)
        return fail(EINVAL);
    if (base == SOCK_STREAM && (protocol == 0 || protocol == IPPROTO_TCP))
        open_req.proto = IPC_PROTO_TCP;
    else if (base == SOCK_DGRAM && (protocol == 0 || protocol == IPPROTO_UDP))
        open_req.proto = IPC_PROTO_UDP;
    else if (base == SOCK_STREAM || base == SOCK_DGRAM)
        return fail(EPROTONOSUPPORT);
    else
        return fail(ESOCKTNOSUPPORT);
    open_req.family = domain == AF_INET ? IPC_AF_INET : IPC_AF_INET6;
    want_type = open_req.proto == IPC_PROTO_TCP ? SOCK_STREAM : SOCK_SEQPACKET;

    size_t len = ipc_encode_open(msg, sizeof msg, &open_req);
    rc = libtcpip_call(-1, msg, len, &reply, &data_fd, (flags & SOCK_CLOEXEC) != 0, NULL);
    if (rc == 0 && reply.err != 0)
        rc = reply.err;
    /* With no tcpipd to ask, rc is what connect(2) said (ENOENT, EACCES,
     * ECONNREFUSED); tcpip_strerror names the socket path. */
    if (rc == 0 && data_fd < 0)
        rc = EPROTO;             /* a successful OPEN always passes the data fd */
    /* The fd must be what the protocol promises for this protocol. */
    if (rc == 0 && (libtcpip_sys.getsockopt(data_fd, SOL_SOCKET, SO_TYPE, &got_type, &tlen) !=
                        0 ||
                    got_type != want_type))
        rc = EPROTO;
    if (rc == 0 && (flags & SOCK_NONBLOCK) && fresh_fd_nonblock(data_fd) < 0)
        rc = errno;
    struct dsock *ds = NULL;
    if (rc == 0) {
        ds = libtcpip_dsock_new(open_req.proto, domain);
        rc = ds == NULL ? ENOMEM : libtcpip_table_set(data_fd, ds);
        libtcpip_dsock_put(ds);
    }
    if (rc != 0) {
        if (data_fd >= 0)
            libtcpip_sys.close(data_fd);
        return fail(rc);
    }
    return data_fd;
}

static int d_bind(int fd, const struct sockaddr *addr, socklen_t len)
{
    struct dsock *ds = libtcpip_sock_get(fd);
    struct ipc_addr_req req;
    struct ipc_reply reply;
    uint8_t msg[IPC_MAX_MSG];
    int rc;

    if (ds == NULL)
        return -1;
    rc = libtcpip_sockaddr_to_ep(ds->family, addr, len, false, &req.ep);
    if (rc == 0) {
        size_t n = ipc_encode_addr_req(msg, sizeof msg, IPC_OP_BIND, &req);
        rc = libtcpip_request(fd, ds, msg, n, &reply);
    }
    libtcpip_dsock_put(ds);
    return rc == 0 ? 0 : fail(rc);
}

/* Linux's default net.core.somaxconn: what a negative backlog means. */
#define DEFAULT_SOMAXCONN 4096

static int d_listen(int fd, int backlog)
{
    struct dsock *ds = libtcpip_sock_get(fd);
    struct ipc_listen req = { .backlog = backlog < 0 ? DEFAULT_SOMAXCONN : backlog };
    struct ipc_reply reply;
    uint8_t msg[IPC_MAX_MSG];
    int rc;

    if (ds == NULL)
        return -1;
    if (ds->proto != IPC_PROTO_TCP) {
        rc = EOPNOTSUPP;
    } else {
        size_t n = ipc_encode_listen(msg, sizeof msg, &req);
        rc = libtcpip_request(fd, ds, msg, n, &reply);
    }
    libtcpip_dsock_put(ds);
    return rc == 0 ? 0 : fail(rc);
}

/* A blocking connect: the daemon answered EINPROGRESS and plugged the
 * fd, which polls writable when the outcome is known (PROTOCOL.md 7.2).
 * SO_SNDTIMEO bounds the wait, as Linux's connect. */
static int connect_wait(int fd, struct dsock *ds)
{
    struct timeval tv = {0, 0};
    socklen_t tl = sizeof tv;
    int timeout = -1;
    if (libtcpip_sys.getsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, &tl) == 0 &&
        (tv.tv_sec > 0 || tv.tv_usec > 0)) {
        long long ms = (long long)tv.tv_sec * 1000 + (tv.tv_usec + 999) / 1000;
        timeout = ms > INT_MAX ? INT_MAX : (int)ms;
    }
    struct pollfd p = {.fd = fd, .events = POLLOUT};
    int n = libtcpip_sys.poll(&p, 1, timeout);
    if (n < 0)
        return errno;            /* EINTR: the connect goes on, as Linux */
    if (n == 0)
        return EINPROGRESS;      /* SO_SNDTIMEO expired */
    int so_error = 0;
    int rc = libtcpip_get_so_error(fd, ds, &so_error);
    if (rc != 0)
        return rc;
    if (so_error != 0)
        return so_error;
    ds->state = DSOCK_CONNECTED;
    libtcpip_dsock_changed(ds);
    return 0;
}

/* Drop what a UDP socket's fd holds in the framing it is leaving. */
static void udp_drain(int fd)
{
    uint8_t b[IPC_DGRAM_HDR_LEN];
    for (int i = 0; i < 4096; i++)
        if (libtcpip_sys.recv(fd, b, sizeof b, MSG_DONTWAIT | MSG_TRUNC) < 0)
            break;
}

static int d_connect(int fd, const struct sockaddr *addr, socklen_t len)
{
    struct dsock *ds = libtcpip_sock_get(fd);
    struct ipc_addr_req req;
    struct ipc_reply reply;
    uint8_t msg[IPC_MAX_MSG];
    int rc;

    if (ds == NULL)
        return -1;
    rc = libtcpip_sockaddr_to_ep(ds->family, addr, len, true, &req.ep);
    size_t n = ipc_encode_addr_req(msg, sizeof msg, IPC_OP_CONNECT, &req);
    if (rc == 0 && ds->proto == IPC_PROTO_UDP) {
        /* The daemon answers EINPROGRESS while datagrams of the old
         * framing wait in the fd: throw them away and ask again. */
        for (int i = 0; i < UDP_REFRAME_TRIES; i++) {
            rc = libtcpip_request(fd, ds, msg, n, &reply);
            if (rc != EINPROGRESS)
                break;
            udp_drain(fd);
            rc = EAGAIN;
        }
        if (rc == 0) {
            pthread_mutex_lock(&ds->lock);
            ds->remote = reply.remote;
            pthread_mutex_unlock(&ds->lock);
        }
    } else if (rc == 0) {
        rc = libtcpip_request(fd, ds, msg, n, &reply);
        if (rc == EINPROGRESS && !fd_nonblocking(fd))
            rc = connect_wait(fd, ds);
    }
    libtcpip_dsock_put(ds);
    return rc == 0 ? 0 : fail(rc);
}

/* The listener's daemon is gone (EOF on its fd): Linux has no such state,
 * and a listener that polls readable forever with an error on every
 * accept makes an event loop spin. Say ENETDOWN once, and put a quiet fd
 * in its place (a Unix listener nobody can reach, keeping the fd's flags)
 * so that poll and epoll stop reporting it (PROTOCOL.md 7.1). */
static int listener_gone(int fd, struct dsock *ds)
{
    set_dead(ds);
    int q = libtcpip_sys.socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (q >= 0) {
        int fdfl = libtcpip_sys.fcntl(fd, F_GETFD);
        int fl = libtcpip_sys.fcntl(fd, F_GETFL);
        struct sockaddr_un_short {
            sa_family_t family;
        } sa = {AF_UNIX};
        /* bind with only the family autobinds an unused abstract name */
        if (libtcpip_sys.bind(q, (struct sockaddr *)&sa, sizeof sa) == 0 &&
            libtcpip_sys.listen(q, 1) == 0 &&
            libtcpip_sys.dup3(q, fd, fdfl >= 0 && (fdfl & FD_CLOEXEC) ? O_CLOEXEC : 0) >= 0 &&
            fl >= 0)
            (void)libtcpip_sys.fcntl(fd, F_SETFL, fl & O_NONBLOCK);
        libtcpip_sys.close(q);
    }
    return ENETDOWN;
}

static int d_accept4(int fd, struct sockaddr *addr, socklen_t *len, int flags)
{
    struct dsock *ds = libtcpip_sock_get(fd);
    struct dsock *conn = NULL;
    struct ipc_accept acc;
    int new_fd = -1, rc;

    if (ds == NULL)
        return -1;
    if ((flags & ~(SOCK_NONBLOCK | SOCK_CLOEXEC)) != 0)
        rc = EINVAL;
    else if (addr != NULL && len == NULL)
        rc = EFAULT;
    else if (len != NULL && (int)*len < 0)
        rc = EINVAL;
    else if (ds->proto != IPC_PROTO_TCP)
        rc = EOPNOTSUPP;
    else if (ds->state == DSOCK_DEAD)
        rc = ENETDOWN;
    else if (ds->state != DSOCK_LISTENING)
        rc = EINVAL;
    else
        rc = libtcpip_recv_accept(fd, &acc, &new_fd, (flags & SOCK_CLOEXEC) != 0);
    if (rc == ECONNRESET)
        rc = listener_gone(fd, ds);
    if (rc == 0 && (flags & SOCK_NONBLOCK) && fresh_fd_nonblock(new_fd) < 0)
        rc = errno;
    if (rc == 0) {
        conn = libtcpip_dsock_new(IPC_PROTO_TCP, ds->family);
        rc = conn == NULL ? ENOMEM : 0;
    }
    if (rc == 0) {
        conn->sock_id = acc.sock_id;
        conn->state = DSOCK_CONNECTED;
        conn->names_cached = true;
        conn->local = acc.local;
        conn->remote = acc.remote;
        rc = libtcpip_table_set(new_fd, conn);
    }
    libtcpip_dsock_put(conn);
    if (rc == 0 && addr != NULL)
        libtcpip_ep_to_sockaddr(ds->family, &acc.remote, addr, len);
    libtcpip_dsock_put(ds);
    if (rc != 0) {
        if (new_fd >= 0) {
            libtcpip_table_drop(new_fd);
            libtcpip_sys.close(new_fd);
        }
        return fail(rc);
    }
    return new_fd;
}

/* ---- data ---- */

/* setsockopt TCP_CORK for MSG_MORE (PROTOCOL.md 7.1): on for a send that
 * says more follows, off (which pushes) at the first one that does not. */
static int cork_set(int fd, struct dsock *ds, bool on)
{
    uint8_t msg[IPC_MAX_MSG];
    struct ipc_reply reply;
    struct ipc_opt o = {.name = IPC_TCP_CORK, .value = on};
    size_t n = ipc_encode_opt(msg, sizeof msg, IPC_OP_SETOPT, &o);
    int rc = libtcpip_request(fd, ds, msg, n, &reply);
    if (rc == 0) {
        ds->corked = on;
        libtcpip_dsock_changed(ds);
    }
    return rc;
}

static ssize_t tcp_send(int fd, struct dsock *ds, const struct msghdr *m, int flags)
{
    int err;

    if (flags & MSG_OOB) {
        err = EOPNOTSUPP;        /* no urgent data here */
    } else if (ds->state == DSOCK_NEW || ds->state == DSOCK_LISTENING || ds->wr_shut) {
        err = EPIPE;             /* RFC 9293 3.10.2: SEND on a closed or listening socket */
    } else if (ds->state == DSOCK_DEAD) {
        return stream_send_end(fd, ds, flags);
    } else {
        bool more = (flags & MSG_MORE) != 0;
        if (more != ds->corked && more && cork_set(fd, ds, true) != 0)
            more = false;        /* no cork: send as is */
        struct msghdr c = *m;
        c.msg_name = NULL;       /* TCP ignores the address, as Linux */
        c.msg_namelen = 0;
        c.msg_control = NULL;
        c.msg_controllen = 0;
        /* MSG_NOSIGNAL always: an EPIPE may turn out to be a reset. */
        ssize_t n = libtcpip_sys.sendmsg(fd, &c, (flags & MSG_DONTWAIT) | MSG_NOSIGNAL);
        if (n >= 0) {
            if (!more && ds->corked)
                (void)cork_set(fd, ds, false);
            return n;
        }
        err = errno;
        if (err == EPIPE || err == ECONNRESET)
            return stream_send_end(fd, ds, flags);
    }
    /* Linux raises SIGPIPE with EPIPE unless MSG_NOSIGNAL. */
    if (err == EPIPE && !(flags & MSG_NOSIGNAL))
        raise(SIGPIPE);
    return fail(err);
}

static ssize_t tcp_recv(int fd, struct dsock *ds, struct msghdr *m, int flags)
{
    if (flags & MSG_OOB)
        return fail(EINVAL);     /* Linux, with no urgent data */
    if (ds->state == DSOCK_NEW || ds->state == DSOCK_LISTENING)
        return fail(ENOTCONN);
    size_t want = 0;
    for (size_t i = 0; i < (size_t)m->msg_iovlen; i++)
        want += m->msg_iov[i].iov_len;
    struct msghdr c = *m;
    c.msg_name = NULL;
    c.msg_namelen = 0;
    c.msg_control = NULL;
    c.msg_controllen = 0;
    ssize_t n = libtcpip_sys.recvmsg(fd, &c, flags & (MSG_DONTWAIT | MSG_PEEK | MSG_WAITALL |
                                                      MSG_TRUNC));
    m->msg_flags = c.msg_flags;
    m->msg_namelen = 0;          /* a stream has no per-message address */
    m->msg_controllen = 0;
    if ((n == 0 && want > 0) || (n < 0 && errno == ECONNRESET))
        return stream_recv_end(fd, ds, n);
    return n;
}

/* A connected UDP socket's pending ICMP error (PROTOCOL.md 7.3): an empty
 * message at the head of the fd rings for it. 0, or the error (the empty
 * message consumed). */
static int udp_doorbell(int fd, struct dsock *ds)
{
    ssize_t n = libtcpip_sys.recv(fd, NULL, 0, MSG_PEEK | MSG_DONTWAIT | MSG_TRUNC);
    if (n != 0 || peer_closed(fd))
        return 0;
    int pending = pending_error(fd, ds);
    if (pending != 0)
        (void)libtcpip_sys.recv(fd, NULL, 0, MSG_DONTWAIT);
    return pending;
}

static ssize_t udp_send(int fd, struct dsock *ds, const struct msghdr *m, int flags)
{
    uint8_t hdr[IPC_DGRAM_HDR_LEN];
    struct ipc_endpoint ep;
    struct iovec small[9], *iov = small;
    size_t len = 0;
    ssize_t n;
    int rc;

    if (flags & MSG_OOB)
        return fail(EOPNOTSUPP);
    if ((size_t)m->msg_iovlen > IOV_MAX)
        return fail(EMSGSIZE);
    for (size_t i = 0; i < (size_t)m->msg_iovlen; i++)
        len += m->msg_iov[i].iov_len;
    memset(&ep, 0, sizeof ep);
    if (m->msg_name != NULL) {
        rc = libtcpip_sockaddr_to_ep(ds->family, m->msg_name, m->msg_namelen, true, &ep);
        if (rc != 0)
            return fail(rc);
        if (ep.family != IPC_AF_UNSPEC && ep.port == 0)
            return fail(EINVAL); /* udp_sendmsg: no datagrams to port 0 */
    }
    bool connected = ds->state == DSOCK_CONNECTED;
    if (ds->wr_shut)
        return fail(EPIPE);      /* UDP: EPIPE without SIGPIPE, as Linux */
    /* No address: the connected peer, which the daemon keeps (family 0). */
    if (ep.family == IPC_AF_UNSPEC && !connected)
        return fail(EDESTADDRREQ);
    if (connected && ep.family != IPC_AF_UNSPEC)
        return fail(EISCONN);    /* a divergence: PROTOCOL.md 7.3 */
    if (len > dgram_max(ds, &ep))
        return fail(EMSGSIZE);
    struct msghdr c;
    memset(&c, 0, sizeof c);
    if (connected) {
        rc = udp_doorbell(fd, ds);
        if (rc != 0)
            return fail(rc);
        c.msg_iov = m->msg_iov;
        c.msg_iovlen = m->msg_iovlen;
    } else {
        size_t cnt = (size_t)m->msg_iovlen + 1;
        if (cnt > sizeof small / sizeof small[0]) {
            iov = malloc(cnt * sizeof *iov);
            if (iov == NULL)
                return fail(ENOBUFS);
        }
        ipc_encode_endpoint(hdr, &ep);
        iov[0].iov_base = hdr;
        iov[0].iov_len = sizeof hdr;
        for (size_t i = 0; i < (size_t)m->msg_iovlen; i++)
            iov[i + 1] = m->msg_iov[i];
        c.msg_iov = iov;
        c.msg_iovlen = cnt;
    }
    n = libtcpip_sys.sendmsg(fd, &c, (flags & MSG_DONTWAIT) | MSG_NOSIGNAL);
    int saved = errno;
    if (iov != small)
        free(iov);
    if (n < 0)
        return fail(saved == EPIPE && peer_closed(fd) ? ENETDOWN : saved);
    if (!connected)
        n -= (ssize_t)sizeof hdr;
    return n;
}

static ssize_t udp_recv(int fd, struct dsock *ds, struct msghdr *m, int flags)
{
    uint8_t hdr[IPC_DGRAM_HDR_LEN];
    struct ipc_endpoint ep;
    struct iovec small[9], *iov = small;
    struct msghdr c;
    ssize_t n;

    if (flags & MSG_OOB)
        return fail(EINVAL);
    if ((size_t)m->msg_iovlen > IOV_MAX)
        return fail(EMSGSIZE);
    bool connected = ds->state == DSOCK_CONNECTED;
    memset(&c, 0, sizeof c);
    if (connected) {
        c.msg_iov = m->msg_iov;
        c.msg_iovlen = m->msg_iovlen;
    } else {
        size_t cnt = (size_t)m->msg_iovlen + 1;
        if (cnt > sizeof small / sizeof small[0]) {
            iov = malloc(cnt * sizeof *iov);
            if (iov == NULL)
                return fail(ENOBUFS);
        }
        iov[0].iov_base = hdr;
        iov[0].iov_len = sizeof hdr;
        for (size_t i = 0; i < (size_t)m->msg_iovlen; i++)
            iov[i + 1] = m->msg_iov[i];
        c.msg_iov = iov;
        c.msg_iovlen = cnt;
    }
    /* MSG_TRUNC passes through: a SOCK_SEQPACKET recv then returns the
     * whole message's length, as UDP's does. */
    n = libtcpip_sys.recvmsg(fd, &c, flags & (MSG_DONTWAIT | MSG_PEEK | MSG_TRUNC));
    int saved = errno;
    if (iov != small)
        free(iov);
    m->msg_flags = c.msg_flags;
    m->msg_controllen = 0;
    if (n < 0)
        return fail(saved);
    if (connected) {
        if (n == 0 && dgram_empty(fd, ds) < 0)
            return -1;
        if (m->msg_name != NULL) {
            struct ipc_endpoint peer;
            pthread_mutex_lock(&ds->lock);
            peer = ds->remote;
            pthread_mutex_unlock(&ds->lock);
            libtcpip_ep_to_sockaddr(ds->family, &peer, m->msg_name, &m->msg_namelen);
        }
        return n;
    }
    if (n == 0) {
        /* SHUT_RD done, or the daemon gone */
        if (!ds->rd_shut && peer_closed(fd))
            return fail(ENETDOWN);
        return 0;
    }
    if ((size_t)n < sizeof hdr || ipc_decode_endpoint(hdr, &ep) != IPC_OK ||
        ep.family == IPC_AF_UNSPEC)
        return fail(EPROTO);
    if (m->msg_name != NULL)
        libtcpip_ep_to_sockaddr(ds->family, &ep, m->msg_name, &m->msg_namelen);
    return n - (ssize_t)sizeof hdr;
}

static ssize_t d_sendmsg(int fd, const struct msghdr *m, int flags)
{
    struct dsock *ds = libtcpip_sock_get(fd);
    ssize_t n;

    if (ds == NULL)
        return -1;
    /* Linux's order: the count first (UIO_MAXIOV), then the pointers. */
    if (m != NULL && (size_t)m->msg_iovlen > IOV_MAX)
        n = fail(EMSGSIZE);
    else if (m == NULL || (m->msg_iovlen > 0 && m->msg_iov == NULL))
        n = fail(EFAULT);
    else if (ds->proto == IPC_PROTO_TCP)
        n = tcp_send(fd, ds, m, flags);
    else
        n = udp_send(fd, ds, m, flags);
    int saved = errno;
    libtcpip_dsock_put(ds);
    errno = saved;
    return n;
}

static ssize_t d_recvmsg(int fd, struct msghdr *m, int flags)
{
    struct dsock *ds = libtcpip_sock_get(fd);
    ssize_t n;

    if (ds == NULL)
        return -1;
    if (m != NULL && (size_t)m->msg_iovlen > IOV_MAX)
        n = fail(EMSGSIZE);
    else if (m == NULL || (m->msg_iovlen > 0 && m->msg_iov == NULL))
        n = fail(EFAULT);
    else if (m->msg_name != NULL && (int)m->msg_namelen < 0)
        n = fail(EINVAL);
    else if (ds->proto == IPC_PROTO_TCP)
        n = tcp_recv(fd, ds, m, flags);
    else
        n = udp_recv(fd, ds, m, flags);
    int saved = errno;
    libtcpip_dsock_put(ds);
    errno = saved;
    return n;
}

static int d_shutdown(int fd, int how)
{
    struct dsock *ds = libtcpip_sock_get(fd);
    struct ipc_u32 req = { .value = (uint32_t)how };
    struct ipc_reply reply;
    uint8_t msg[IPC_MAX_MSG];
    int rc;

    if (ds == NULL)
        return -1;
    if (how != SHUT_RD && how != SHUT_WR && how != SHUT_RDWR) {
        rc = EINVAL;
    } else {
        /* PROTOCOL.md 6.5: the daemon does it all (the FIN after the last
         * byte we wrote, EOF for our reads); the fd itself is never shut
         * down, so that its close stays visible to the daemon. */
        size_t n = ipc_encode_u32(msg, sizeof msg, IPC_OP_SHUTDOWN, &req);
        rc = libtcpip_request(fd, ds, msg, n, &reply);
        if (rc == 0 && how != SHUT_RD)
            ds->wr_shut = true;
        if (rc == 0 && how != SHUT_WR)
            ds->rd_shut = true;
        libtcpip_dsock_changed(ds);
    }
    libtcpip_dsock_put(ds);
    return rc == 0 ? 0 : fail(rc);
}

static int d_close(int fd)
{
    /* The daemon sees the last copy go (PROTOCOL.md 6.7): forgetting the
     * fd here is all there is to do. */
    libtcpip_table_drop(fd);
    return libtcpip_sys.close(fd);
}

static int get_names(int fd, struct dsock *ds, struct ipc_endpoint *local,
                     struct ipc_endpoint *remote)
{
    uint8_t msg[IPC_MAX_MSG];
    struct ipc_reply reply;
    int rc;

    pthread_mutex_lock(&ds->lock);
    bool cached = ds->names_cached;
    *local = ds->local;
    *remote = ds->remote;
    pthread_mutex_unlock(&ds->lock);
    if (cached)
        return 0;
    size_t n = ipc_encode_empty(msg, sizeof msg, IPC_OP_GETNAME);
    rc = libtcpip_request(fd, ds, msg, n, &reply);
    if (rc == 0) {
        *local = reply.local;
        *remote = reply.remote;
    }
    return rc;
}

static int d_getname(int fd, struct sockaddr *addr, socklen_t *len, bool peer)
{
    struct dsock *ds = libtcpip_sock_get(fd);
    struct ipc_endpoint local, remote;
    int rc;

    if (ds == NULL)
        return -1;
    if (len == NULL)
        rc = EFAULT;
    else if ((int)*len < 0)
        rc = EINVAL;
    else
        rc = get_names(fd, ds, &local, &remote);
    if (rc == 0 && peer && remote.family == IPC_AF_UNSPEC)
        rc = ENOTCONN;
    if (rc == 0)
        rc = libtcpip_ep_to_sockaddr(ds->family, peer ? &remote : &local, addr, len);
    libtcpip_dsock_put(ds);
    return rc == 0 ? 0 : fail(rc);
}

static int d_getsockname(int fd, struct sockaddr *addr, socklen_t *len)
{
    return d_getname(fd, addr, len, false);
}

static int d_getpeername(int fd, struct sockaddr *addr, socklen_t *len)
{
    return d_getname(fd, addr, len, true);
}

const struct libtcpip_ops libtcpip_direct_ops = {
    .name = "direct",
    .socket = d_socket,
    .bind = d_bind,
    .listen = d_listen,
    .accept4 = d_accept4,
    .connect = d_connect,
    .sendmsg = d_sendmsg,
    .recvmsg = d_recvmsg,
    .shutdown = d_shutdown,
    .close = d_close,
    .getsockname = d_getsockname,
    .getpeername = d_getpeername,
    .setsockopt = libtcpip_direct_setsockopt,
    .getsockopt = libtcpip_direct_getsockopt,
};
