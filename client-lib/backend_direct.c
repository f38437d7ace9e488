/* backend_direct.c - the "direct" backend: sockets of tcpipd's own stack.
 *
 * Per socket (ipc/ipc.h, ipc/PROTOCOL.md): a control connection to the
 * daemon for requests (bind, listen, connect, options, names, errors) and
 * the data fd the daemon passes back at IPC_OP_OPEN, which the
 * application holds and which carries the data itself: the raw byte
 * stream for TCP, IPC_MSG_ACCEPTs for a listener, one datagram per
 * SOCK_SEQPACKET message behind a 20-byte endpoint header for UDP.
 *
 * The aim is that every call returns what the kernel backend returns for
 * the same situation; where Linux checks an argument before doing
 * anything, this file checks it the same way before asking the daemon. */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/uio.h>
#include <unistd.h>

#include "client-lib/internal.h"

static int fail(int err)
{
    errno = err;
    return -1;
}

/* The entry for fd with a reference, or NULL with errno as the kernel
 * gives for a descriptor that is not a socket (or not open at all). */
struct dsock *libtcpip_sock_get(int fd)
{
    struct dsock *ds = libtcpip_table_get(fd);

    if (ds == NULL)
        errno = fcntl(fd, F_GETFD) < 0 ? EBADF : ENOTSOCK;
    return ds;
}

static bool fd_nonblocking(int fd)
{
    int fl = fcntl(fd, F_GETFL);
    return fl >= 0 && (fl & O_NONBLOCK);
}

/* O_NONBLOCK on an fd just received from the daemon: a fresh socketpair
 * end has no file status flag but its access mode, which F_SETFL ignores,
 * so one call does what F_GETFL + F_SETFL would. */
static int fresh_fd_nonblock(int fd)
{
    return fcntl(fd, F_SETFL, O_NONBLOCK);
}

/* The largest UDP payload to ep, as Linux's udp_sendmsg and
 * udpv6_sendmsg allow it: an IPv6 datagram's length field leaves 65527
 * bytes, an IPv4 one's 65507; an IPv6 socket sending to a v4-mapped
 * address sends IPv4. The connected peer (family 0) is taken to be of the
 * socket's family. */
static size_t dgram_max(const struct dsock *ds, const struct ipc_endpoint *ep)
{
    static const uint8_t v4mapped[12] = {[10] = 0xff, [11] = 0xff};
    if (ds->family != AF_INET6)
        return IPC_DGRAM_MAX;
    if (ep->family == IPC_AF_INET || (ep->family == IPC_AF_INET6 &&
                                      memcmp(ep->addr, v4mapped, sizeof v4mapped) == 0))
        return IPC_DGRAM_MAX;
    return IPC_DGRAM_MAX6;
}

static bool fd_cloexec(int fd)
{
    int fl = fcntl(fd, F_GETFD);
    return fl >= 0 && (fl & FD_CLOEXEC);
}

/* An accepted socket has no control connection until it needs one: then
 * it opens one and proves with the token from the ACCEPT that it holds
 * the connection's fd. ds->lock held. 0 or a positive errno. */
static int ctl_attach(struct dsock *ds)
{
    uint8_t msg[IPC_MAX_MSG];
    struct ipc_attach a = { .sock_id = ds->sock_id, .token = ds->token };
    struct ipc_reply reply;
    bool cloexec = fd_cloexec(ds->data_fd);
    size_t len = ipc_encode_attach(msg, sizeof msg, &a);
    int ctl = libtcpip_ctl_connect(cloexec);
    int rc;

    if (ctl < 0)
        return errno == ENOENT || errno == ECONNREFUSED ? ECONNRESET : errno;
    rc = libtcpip_ctl_call(ctl, msg, len, &reply, NULL, cloexec);
    if (rc == 0)
        rc = reply.err;
    if (rc != 0) {
        close(ctl);
        return rc;
    }
    ds->ctl_fd = ctl;
    return 0;
}

/* One request on ds's control connection. 0 with *reply filled, or a
 * positive errno: the daemon's answer, or the channel's failure. After
 * ECONNRESET, EPROTO or EPROTONOSUPPORT the channel is out of step with
 * the daemon (PROTOCOL.md 3, 4): the socket is dead and every later call
 * fails the same way. */
int libtcpip_ctl_request(struct dsock *ds, const uint8_t *msg, size_t len, struct ipc_reply *reply)
{
    int rc = 0;

    pthread_mutex_lock(&ds->lock);
    if (ds->ctl_err != 0)
        rc = ds->ctl_err;
    else if (ds->ctl_fd < 0)
        rc = ctl_attach(ds);
    if (rc == 0) {
        rc = libtcpip_ctl_call(ds->ctl_fd, msg, len, reply, NULL, fd_cloexec(ds->data_fd));
        if (rc == ECONNRESET || rc == EPROTO || rc == EPROTONOSUPPORT) {
            ds->ctl_err = rc;
            shutdown(ds->ctl_fd, SHUT_RDWR);
        }
    }
    if (rc == 0)
        rc = reply->err;
    pthread_mutex_unlock(&ds->lock);
    return rc;
}

/* SO_ERROR from the daemon (reading it clears it, as in Linux). 0 with
 * *so_error, or the errno of the request itself. */
int libtcpip_get_so_error(struct dsock *ds, int *so_error)
{
    uint8_t msg[IPC_MAX_MSG];
    struct ipc_reply reply;
    size_t len = ipc_encode_empty(msg, sizeof msg, IPC_OP_GETERR);
    int rc = libtcpip_ctl_request(ds, msg, len, &reply);

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

/* The error that explains an end of file or EPIPE on a TCP data fd:
 * ECONNRESET, ETIMEDOUT... or 0 for a clean close. If the daemon itself
 * is gone, the connection is gone with it: ECONNRESET. */
static int pending_error(struct dsock *ds)
{
    int so_error;
    int rc = libtcpip_get_so_error(ds, &so_error);

    if (rc == ECONNRESET)
        return ECONNRESET;
    return rc == 0 ? so_error : 0;
}

static int d_socket(int domain, int type, int protocol)
{
    int flags = type & (SOCK_NONBLOCK | SOCK_CLOEXEC);
    int base = type & ~(SOCK_NONBLOCK | SOCK_CLOEXEC);
    struct ipc_open open_req = { 0 };
    uint8_t msg[IPC_MAX_MSG];
    struct ipc_reply reply;
    int ctl, data_fd = -1, want_type, got_type = 0, rc;
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

    ctl = libtcpip_ctl_connect(flags & SOCK_CLOEXEC);
    if (ctl < 0)
        return -1;               /* ENOENT, ECONNREFUSED, EACCES: as connect(2) says */
    size_t len = ipc_encode_open(msg, sizeof msg, &open_req);
    rc = libtcpip_ctl_call(ctl, msg, len, &reply, &data_fd, flags & SOCK_CLOEXEC);
    if (rc == 0 && reply.err != 0)
        rc = reply.err;
    if (rc == 0 && data_fd < 0)
        rc = EPROTO;             /* a successful OPEN always passes the data fd */
    /* The fd must be what the protocol promises for this protocol. */
    if (rc == 0 && (getsockopt(data_fd, SOL_SOCKET, SO_TYPE, &got_type, &tlen) != 0 ||
                    got_type != want_type))
        rc = EPROTO;
    if (rc == 0 && (flags & SOCK_NONBLOCK) && fresh_fd_nonblock(data_fd) < 0)
        rc = errno;
    struct dsock *ds = NULL;
    if (rc == 0) {
        ds = libtcpip_dsock_new(data_fd, ctl, open_req.proto, domain);
        rc = ds == NULL ? ENOMEM : 0;
    }
    if (rc == 0) {
        ds->sock_id = reply.sock_id;
        ds->token = reply.token;
        rc = libtcpip_table_insert(ds);
        if (rc != 0) {
            ds->ctl_fd = -1;     /* closed below */
            libtcpip_dsock_put(ds);
        }
    }
    if (rc != 0) {
        if (data_fd >= 0)
            close(data_fd);
        close(ctl);
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
        size_t n = ipc_encode_addr_req(msg, sizeof msg, IPC_OP_BIND, 0, &req);
        rc = libtcpip_ctl_request(ds, msg, n, &reply);
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
        rc = libtcpip_ctl_request(ds, msg, n, &reply);
        if (rc == 0)
            ds->state = DSOCK_LISTENING;
    }
    libtcpip_dsock_put(ds);
    return rc == 0 ? 0 : fail(rc);
}

static int d_connect(int fd, const struct sockaddr *addr, socklen_t len)
{
    struct dsock *ds = libtcpip_sock_get(fd);
    struct ipc_addr_req req;
    struct ipc_reply reply;
    uint8_t msg[IPC_MAX_MSG];
    uint16_t flags = 0;
    int rc;

    if (ds == NULL)
        return -1;
    rc = libtcpip_sockaddr_to_ep(ds->family, addr, len, true, &req.ep);
    if (rc == 0) {
        if (ds->proto == IPC_PROTO_TCP && fd_nonblocking(ds->data_fd))
            flags = IPC_F_NONBLOCK;
        size_t n = ipc_encode_addr_req(msg, sizeof msg, IPC_OP_CONNECT, flags, &req);
        rc = libtcpip_ctl_request(ds, msg, n, &reply);
    }
    if (rc == 0 || rc == EISCONN)
        ds->state = req.ep.family == IPC_AF_UNSPEC ? DSOCK_NEW : DSOCK_CONNECTED;
    else if (rc == EINPROGRESS || rc == EALREADY)
        ds->state = DSOCK_CONNECTING;
    libtcpip_dsock_put(ds);
    return rc == 0 ? 0 : fail(rc);
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
    else if (ds->state != DSOCK_LISTENING)
        rc = EINVAL;
    else
        rc = libtcpip_recv_accept(ds->data_fd, &acc, &new_fd, flags & SOCK_CLOEXEC);
    if (rc == 0 && (flags & SOCK_NONBLOCK) && fresh_fd_nonblock(new_fd) < 0)
        rc = errno;
    if (rc == 0) {
        conn = libtcpip_dsock_new(new_fd, -1, IPC_PROTO_TCP, ds->family);
        rc = conn == NULL ? ENOMEM : 0;
    }
    if (rc == 0) {
        conn->sock_id = acc.sock_id;
        conn->token = acc.token;
        conn->state = DSOCK_CONNECTED;
        conn->names_cached = true;
        conn->local = acc.local;
        conn->remote = acc.remote;
        rc = libtcpip_table_insert(conn);
        if (rc != 0)
            libtcpip_dsock_put(conn);
    }
    if (rc == 0 && addr != NULL)
        libtcpip_ep_to_sockaddr(ds->family, &acc.remote, addr, len);
    libtcpip_dsock_put(ds);
    if (rc != 0) {
        if (new_fd >= 0)
            close(new_fd);
        return fail(rc);
    }
    return new_fd;
}

/* ---- data ---- */

static ssize_t tcp_send(struct dsock *ds, const void *buf, size_t len, int flags)
{
    ssize_t n;
    int err;

    if (ds->state == DSOCK_NEW || ds->state == DSOCK_LISTENING) {
        err = EPIPE;             /* RFC 9293 3.10.2: SEND on a closed or listening socket */
    } else {
        /* MSG_NOSIGNAL always: an EPIPE may turn out to be a reset. */
        n = send(ds->data_fd, buf, len, flags | MSG_NOSIGNAL);
        if (n >= 0)
            return n;
        err = errno;
        if (err == EPIPE || err == ECONNRESET) {
            int pending = pending_error(ds);
            if (pending != 0)
                return fail(pending);
            err = EPIPE;
        }
    }
    /* Linux raises SIGPIPE with EPIPE unless MSG_NOSIGNAL. */
    if (err == EPIPE && !(flags & MSG_NOSIGNAL))
        raise(SIGPIPE);
    return fail(err);
}

static ssize_t tcp_recv(struct dsock *ds, void *buf, size_t len, int flags)
{
    ssize_t n;

    if (ds->state == DSOCK_NEW || ds->state == DSOCK_LISTENING)
        return fail(ENOTCONN);
    n = recv(ds->data_fd, buf, len, flags);
    if (n == 0 && len > 0) {
        /* End of file: a FIN, or the daemon closed its end after a reset
         * or a timeout. Only the daemon knows which. */
        int pending = pending_error(ds);
        return pending != 0 ? fail(pending) : 0;
    }
    if (n < 0 && errno == ECONNRESET) {
        int pending = pending_error(ds);
        return fail(pending != 0 ? pending : ECONNRESET);
    }
    return n;
}

static ssize_t udp_send(struct dsock *ds, const void *buf, size_t len, int flags,
                        const struct sockaddr *to, socklen_t tolen)
{
    uint8_t hdr[IPC_DGRAM_HDR_LEN];
    struct ipc_endpoint ep;
    struct iovec iov[2];
    struct msghdr msg;
    ssize_t n;
    int rc;

    memset(&ep, 0, sizeof ep);
    if (to != NULL) {
        rc = libtcpip_sockaddr_to_ep(ds->family, to, tolen, true, &ep);
        if (rc != 0)
            return fail(rc);
        if (ep.family != IPC_AF_UNSPEC && ep.port == 0)
            return fail(EINVAL); /* udp_sendmsg: no datagrams to port 0 */
    }
    /* No address: the connected peer, which the daemon keeps (family 0). */
    if (ep.family == IPC_AF_UNSPEC && ds->state != DSOCK_CONNECTED)
        return fail(EDESTADDRREQ);
    if (len > dgram_max(ds, &ep))
        return fail(EMSGSIZE);
    ipc_encode_endpoint(hdr, &ep);
    iov[0].iov_base = hdr;
    iov[0].iov_len = sizeof hdr;
    iov[1].iov_base = (void *)buf;
    iov[1].iov_len = len;
    memset(&msg, 0, sizeof msg);
    msg.msg_iov = iov;
    msg.msg_iovlen = 2;
    /* After shutdown(SHUT_WR): EPIPE and, as for a UDP socket, no SIGPIPE. */
    n = sendmsg(ds->data_fd, &msg, flags | MSG_NOSIGNAL);
    if (n < 0)
        return -1;
    if ((size_t)n < sizeof hdr)
        return fail(EPROTO);
    return n - (ssize_t)sizeof hdr;
}

static ssize_t udp_recv(struct dsock *ds, void *buf, size_t len, int flags,
                        struct sockaddr *from, socklen_t *fromlen)
{
    uint8_t hdr[IPC_DGRAM_HDR_LEN];
    struct ipc_endpoint ep;
    struct iovec iov[2];
    struct msghdr msg;
    ssize_t n;

    iov[0].iov_base = hdr;
    iov[0].iov_len = sizeof hdr;
    iov[1].iov_base = buf;
    iov[1].iov_len = len;
    memset(&msg, 0, sizeof msg);
    msg.msg_iov = iov;
    msg.msg_iovlen = 2;
    /* MSG_TRUNC passes through: a SOCK_SEQPACKET recv then returns the
     * whole message's length, as UDP's does. */
    n = recvmsg(ds->data_fd, &msg, flags);
    if (n <= 0)
        return n;                /* 0: the daemon closed (shut down for reading) */
    if ((size_t)n < sizeof hdr || ipc_decode_endpoint(hdr, &ep) != IPC_OK ||
        ep.family == IPC_AF_UNSPEC)
        return fail(EPROTO);
    if (from != NULL)
        libtcpip_ep_to_sockaddr(ds->family, &ep, from, fromlen);
    return n - (ssize_t)sizeof hdr;
}

static ssize_t d_sendto(int fd, const void *buf, size_t len, int flags,
                        const struct sockaddr *to, socklen_t tolen)
{
    struct dsock *ds = libtcpip_sock_get(fd);
    ssize_t n;

    if (ds == NULL)
        return -1;
    /* TCP ignores the address, as Linux does on a connected socket. */
    if (ds->proto == IPC_PROTO_TCP)
        n = tcp_send(ds, buf, len, flags);
    else
        n = udp_send(ds, buf, len, flags, to, tolen);
    int saved = errno;
    libtcpip_dsock_put(ds);
    errno = saved;
    return n;
}

static ssize_t d_recvfrom(int fd, void *buf, size_t len, int flags, struct sockaddr *from,
                          socklen_t *fromlen)
{
    struct dsock *ds = libtcpip_sock_get(fd);
    ssize_t n;

    if (ds == NULL)
        return -1;
    if (from != NULL && fromlen == NULL) {
        n = fail(EFAULT);
    } else if (from != NULL && (int)*fromlen < 0) {
        n = fail(EINVAL);
    } else if (ds->proto == IPC_PROTO_TCP) {
        n = tcp_recv(ds, buf, len, flags);
        if (n >= 0 && from != NULL)
            *fromlen = 0;        /* a stream has no per-message address */
    } else {
        n = udp_recv(ds, buf, len, flags, from, fromlen);
    }
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
        size_t n = ipc_encode_u32(msg, sizeof msg, IPC_OP_SHUTDOWN, &req);
        rc = libtcpip_ctl_request(ds, msg, n, &reply);
        /* PROTOCOL.md 6.5: the daemon sends our FIN when it reads end of
         * file on the data fd, after the last byte we wrote; SHUT_RD is
         * all the daemon's (it shuts its own end's write side). */
        if (rc == 0 && how != SHUT_RD)
            shutdown(ds->data_fd, SHUT_WR);
    }
    libtcpip_dsock_put(ds);
    return rc == 0 ? 0 : fail(rc);
}

static int d_close(int fd)
{
    struct dsock *ds = libtcpip_table_remove(fd);
    int rc;

    if (ds == NULL)
        return close(fd);        /* not ours: close(2) has the answer */
    /* Data the daemon delivered and the application never read sits in
     * our end of the socketpair, where the daemon cannot see it: Linux
     * answers such a close with a RST (RFC 2525 2.17), so ask for one
     * (SO_LINGER {1, 0}) before closing. Best effort: a failure here
     * still closes. */
    int unread = 0;
    if (ds->proto == IPC_PROTO_TCP && ioctl(fd, FIONREAD, &unread) == 0 && unread > 0) {
        uint8_t msg[IPC_MAX_MSG];
        struct ipc_reply reply;
        struct ipc_opt o = {.name = IPC_SO_LINGER, .value = 0};
        size_t n = ipc_encode_opt(msg, sizeof msg, IPC_OP_SETOPT, &o);
        (void)libtcpip_ctl_request(ds, msg, n, &reply);
    }
    rc = close(fd);
    int saved = errno;
    /* Wake any thread still waiting for a reply on the control connection;
     * the fd itself goes with the last reference. */
    if (ds->ctl_fd >= 0)
        shutdown(ds->ctl_fd, SHUT_RDWR);
    libtcpip_dsock_put(ds);
    errno = saved;
    return rc;
}

static int get_names(struct dsock *ds, struct ipc_endpoint *local, struct ipc_endpoint *remote)
{
    uint8_t msg[IPC_MAX_MSG];
    struct ipc_reply reply;
    int rc;

    if (ds->names_cached) {
        *local = ds->local;
        *remote = ds->remote;
        return 0;
    }
    size_t n = ipc_encode_empty(msg, sizeof msg, IPC_OP_GETNAME);
    rc = libtcpip_ctl_request(ds, msg, n, &reply);
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
        rc = get_names(ds, &local, &remote);
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
    .sendto = d_sendto,
    .recvfrom = d_recvfrom,
    .shutdown = d_shutdown,
    .close = d_close,
    .getsockname = d_getsockname,
    .getpeername = d_getpeername,
    .setsockopt = libtcpip_direct_setsockopt,
    .getsockopt = libtcpip_direct_getsockopt,
};
