/* ipc_udp.c - UDP sockets of the IPC server (ipc/PROTOCOL.md 6 and 7): a
 * SOCK_SEQPACKET data fd, one message per datagram. An unconnected socket
 * puts the peer in a 20-byte endpoint in front of each datagram; a
 * connected one sends and receives bare payloads, so that read(2) and
 * write(2) on it behave as on a kernel UDP socket. Bounded both ways:
 * outgoing datagrams are read and sent at once (the stack queues nothing
 * for UDP beyond ARP); incoming ones the application's end cannot take
 * are dropped and counted, as a full receive buffer drops them on Linux. */
#include <errno.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>
#include <linux/sockios.h>

#include "daemon/ipc_server_int.h"

/* Stack -> application. */
static void udp_deliver(struct ipc_sock *s)
{
    struct ipc_server *srv = s->srv;
    uint8_t *buf = srv->io_buf;
    size_t hdr = s->unframed ? 0 : IPC_DGRAM_HDR_LEN;
    for (int i = 0; i < 64 && !s->dead; i++) {
        struct ip_endpoint src;
        int n = udp_sock_recvfrom(s->us, buf + hdr, IPC_IO_CHUNK, &src);
        if (n < 0)
            return;
        if (s->data_shut)
            continue; /* SHUT_RD: dropped, as Linux does */
        size_t len = (size_t)n > IPC_IO_CHUNK ? IPC_IO_CHUNK : (size_t)n;
        if (hdr > 0) {
            struct ipc_endpoint ep;
            ipc_ep_from_stack(&ep, &src);
            ipc_encode_endpoint(buf, &ep);
        }
        ssize_t w = send(s->fd, buf, hdr + len, MSG_DONTWAIT | MSG_NOSIGNAL);
        if (w < 0) {
            srv->st.dgrams_dropped++;
            continue;
        }
        s->bytes_from_stack += len;
        srv->st.bytes_from_stack += len;
    }
}

/* An ICMP error for a connected socket: it becomes the pending error, and
 * an empty message wakes a reader blocked in recv or poll; the library
 * asks GETERR when it reads one (PROTOCOL.md 7.3). */
static void udp_error(struct ipc_sock *s)
{
    int e = udp_sock_error(s->us);
    if (e == 0)
        return;
    s->err = e;
    if (s->unframed && !s->data_shut)
        (void)send(s->fd, "", 0, MSG_DONTWAIT | MSG_NOSIGNAL);
}

static void udp_event(void *user, struct udp_sock *us, int events)
{
    (void)us;
    struct ipc_sock *s = user;
    if (s->dead)
        return;
    if (events & UDP_EV_READABLE)
        udp_deliver(s);
    if (events & UDP_EV_ERROR)
        udp_error(s);
}

/* Application -> stack: one datagram per message. */
static void udp_readable(struct ipc_sock *s)
{
    struct ipc_server *srv = s->srv;
    size_t hdr = s->unframed ? 0 : IPC_DGRAM_HDR_LEN;
    for (int i = 0; i < 64 && !s->dead; i++) {
        ssize_t n = recv(s->fd, srv->io_buf, sizeof srv->io_buf, MSG_DONTWAIT | MSG_TRUNC);
        if (n < 0 && (errno == EAGAIN || errno == EINTR))
            return;
        if (n < 0) {
            ipc_sock_kill(s, false);
            return;
        }
        if (s->wr_shut) {
            srv->st.dgrams_dropped++; /* after SHUT_WR (another process) */
            continue;
        }
        struct ipc_endpoint ep;
        struct ip_endpoint dst;
        if ((size_t)n < hdr || (size_t)n > sizeof srv->io_buf ||
            (hdr > 0 && (ipc_decode_endpoint(srv->io_buf, &ep) != IPC_OK ||
                         (ep.family != IPC_AF_UNSPEC && ep.family != s->family)))) {
            srv->st.dgrams_dropped++; /* a library bug: PROTOCOL.md 7.3 */
            continue;
        }
        size_t len = (size_t)n - hdr;
        int rc;
        if (hdr == 0 || ep.family == IPC_AF_UNSPEC) {
            rc = udp_sock_sendto(s->us, srv->io_buf + hdr, len, NULL, ipc_now(srv));
        } else {
            (void)ipc_ep_to_stack(&dst, &ep);
            rc = udp_sock_sendto(s->us, srv->io_buf + hdr, len, &dst, ipc_now(srv));
        }
        if (rc < 0) {
            s->err = -rc; /* the next GETERR tells the application */
            srv->st.dgrams_dropped++;
            continue;
        }
        s->bytes_to_stack += len;
        srv->st.bytes_to_stack += len;
    }
    ipc_sock_again(s);
}

void ipc_udp_events(struct ipc_sock *s, uint32_t events)
{
    if (events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR)) {
        /* Every copy of the application's end is closed; what it sent
         * before is dropped with the socket, as close(2) does. */
        s->app_gone = true;
        ipc_sock_kill(s, false);
        return;
    }
    udp_readable(s);
}

int ipc_udp_open(struct ipc_sock *s, int *fd_out)
{
    s->us = udp_sock_open(s->srv->stack, udp_event, s);
    if (s->us == NULL)
        return ENOMEM;
    /* socket(2)'s domain: an AF_INET6 socket on :: is dual-stack. */
    (void)udp_sock_set_family(s->us, s->family == IPC_AF_INET6 ? IP_FAMILY_V6 : IP_FAMILY_V4);
    return ipc_sock_pair(s, SOCK_SEQPACKET, EPOLLIN, fd_out);
}

static void udp_names(struct ipc_sock *s, struct ipc_reply *r)
{
    struct ip_endpoint ep;
    struct udp_sock_info info;
    if (udp_sock_getsockname(s->us, &ep) == 0 && ep.addr.family != IP_FAMILY_NONE)
        ipc_ep_from_stack(&r->local, &ep);
    else
        ipc_ep_unspec(&r->local, s->family);
    udp_sock_info(s->us, &info);
    if (info.connected)
        ipc_ep_from_stack(&r->remote, &info.remote);
}

/* connect(2) changes the framing of the data fd (PROTOCOL.md 7.3): the
 * switch may happen only while no datagram of the old framing waits in
 * the application's end (SIOCOUTQ: bytes we sent it that it has not read)
 * and none waits in ours. Then connect, or dissolve with family 0. */
static void udp_connect(struct ipc_sock *s, const struct ipc_endpoint *to, struct ipc_reply *r)
{
    struct ip_endpoint ep;
    int outq = 0;
    if (to->family != IPC_AF_UNSPEC &&
        (to->family != s->family || ipc_ep_to_stack(&ep, to) != 0)) {
        r->err = EAFNOSUPPORT;
        return;
    }
    if (to->family == IPC_AF_UNSPEC)
        memset(&ep, 0, sizeof ep);
    bool unframed = to->family != IPC_AF_UNSPEC;
    if (unframed != s->unframed) {
        udp_readable(s); /* what the application sent before, in the old framing */
        if (ioctl(s->fd, SIOCOUTQ, &outq) != 0 || outq != 0) {
            r->err = EINPROGRESS; /* read those off and ask again */
            return;
        }
    }
    int rc = udp_sock_connect(s->us, &ep);
    if (rc != 0) {
        r->err = -rc;
        return;
    }
    s->connected = unframed;
    s->bound = true;
    s->unframed = unframed;
    if (unframed)
        ipc_ep_from_stack(&r->remote, &ep);
}

static int udp_setopt(struct ipc_sock *s, const struct ipc_opt *o)
{
    switch (o->name) {
    case IPC_IPV6_V6ONLY:
        /* PROTOCOL.md 6.6: IPv4 socket ENOPROTOOPT, after bind EINVAL. */
        if (s->family != IPC_AF_INET6)
            return ENOPROTOOPT;
        if (s->bound)
            return EINVAL;
        return -udp_sock_setopt(s->us, UDP_OPT_V6ONLY, o->value != 0);
    case IPC_SO_BROADCAST:
        return -udp_sock_setopt(s->us, UDP_OPT_BROADCAST, o->value != 0);
    case IPC_IP_TOS:
        return -udp_sock_setopt(s->us, UDP_OPT_TOS, o->value);
    case IPC_IPV6_TCLASS:
        return -udp_sock_setopt(s->us, UDP_OPT_TCLASS, o->value);
    case IPC_SO_REUSEADDR:
    case IPC_SO_RCVBUF:
    case IPC_SO_SNDBUF:
    case IPC_SO_LINGER:
        return 0; /* accepted as Linux does; no effect on a UDP socket here */
    default:
        return ENOPROTOOPT;
    }
}

static void udp_getopt(struct ipc_sock *s, const struct ipc_opt *o, struct ipc_reply *r)
{
    switch (o->name) {
    case IPC_IPV6_V6ONLY:
        if (s->family != IPC_AF_INET6)
            r->err = ENOPROTOOPT;
        else
            r->err = -udp_sock_getopt(s->us, UDP_OPT_V6ONLY, &r->value);
        return;
    case IPC_SO_BROADCAST:
        r->err = -udp_sock_getopt(s->us, UDP_OPT_BROADCAST, &r->value);
        return;
    case IPC_IP_TOS:
        r->err = -udp_sock_getopt(s->us, UDP_OPT_TOS, &r->value);
        return;
    case IPC_IPV6_TCLASS:
        r->err = -udp_sock_getopt(s->us, UDP_OPT_TCLASS, &r->value);
        return;
    case IPC_SO_TYPE:
        r->value = SOCK_DGRAM;
        return;
    case IPC_SO_ERROR:
        r->value = s->err != 0 ? s->err : udp_sock_error(s->us);
        s->err = 0;
        return;
    default:
        r->err = ENOPROTOOPT;
        return;
    }
}

void ipc_udp_request(struct ipc_client *c, struct ipc_sock *s, const struct ipc_request *q,
                     struct ipc_reply *r)
{
    struct ip_endpoint ep;
    int rc;

    switch (q->h.type) {
    case IPC_OP_BIND:
        if (s->bound || s->connected)
            r->err = EINVAL;
        else if (q->u.addr.ep.family != s->family || ipc_ep_to_stack(&ep, &q->u.addr.ep) != 0)
            r->err = EAFNOSUPPORT;
        else if (!ipc_port_allowed(s->srv, c->uid, ep.port))
            r->err = EACCES;
        else if ((rc = udp_sock_bind(s->us, &ep)) != 0)
            r->err = -rc;
        else
            s->bound = true;
        udp_names(s, r);
        break;
    case IPC_OP_LISTEN:
        r->err = EOPNOTSUPP;
        break;
    case IPC_OP_CONNECT:
        udp_connect(s, &q->u.addr.ep, r);
        udp_names(s, r);
        break;
    case IPC_OP_SHUTDOWN:
        if (!s->connected) {
            r->err = ENOTCONN;
            break;
        }
        if (q->u.u32.value != 1 && !s->data_shut) {
            /* SHUT_RD: what is queued stays readable, then EOF. */
            s->rd_shut = true;
            shutdown(s->fd, SHUT_WR);
            s->data_shut = true;
        }
        if (q->u.u32.value != 0)
            s->wr_shut = true; /* the library answers EPIPE from now on */
        break;
    case IPC_OP_SETOPT:
        r->err = udp_setopt(s, &q->u.opt);
        break;
    case IPC_OP_GETOPT:
        udp_getopt(s, &q->u.opt, r);
        break;
    case IPC_OP_GETNAME:
        udp_names(s, r);
        break;
    case IPC_OP_GETERR:
        r->value = s->err != 0 ? s->err : udp_sock_error(s->us);
        s->err = 0;
        break;
    default:
        r->err = EINVAL;
        break;
    }
    ipc_reply_sock(r, s);
}
