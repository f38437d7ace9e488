/* ipc_udp.c - UDP sockets of the IPC server (ipc/PROTOCOL.md 6 and 7): a
 * SOCK_SEQPACKET data fd, one message per datagram behind a 20-byte
 * endpoint. Bounded both ways: outgoing datagrams are read one at a time
 * and sent at once (the stack queues nothing for UDP beyond ARP); incoming
 * ones the application's end cannot take are dropped and counted, as a
 * full receive buffer drops them on Linux. */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "daemon/ipc_server_int.h"

/* Stack -> application. */
static void udp_deliver(struct ipc_sock *s)
{
    struct ipc_server *srv = s->srv;
    uint8_t *buf = srv->io_buf;
    for (int i = 0; i < 64 && !s->dead; i++) {
        struct ip_endpoint src;
        int n = udp_sock_recvfrom(s->us, buf + IPC_DGRAM_HDR_LEN, IPC_IO_CHUNK, &src);
        if (n < 0)
            return;
        size_t len = (size_t)n > IPC_IO_CHUNK ? IPC_IO_CHUNK : (size_t)n;
        struct ipc_endpoint ep;
        ipc_ep_from_stack(&ep, &src);
        ipc_encode_endpoint(buf, &ep);
        ssize_t w = send(s->fd, buf, IPC_DGRAM_HDR_LEN + len, MSG_DONTWAIT | MSG_NOSIGNAL);
        if (w < 0) {
            srv->st.dgrams_dropped++;
            continue;
        }
        s->bytes_from_stack += len;
        srv->st.bytes_from_stack += len;
    }
}

static void udp_event(void *user, struct udp_sock *us, int events)
{
    (void)us;
    struct ipc_sock *s = user;
    if (s->dead)
        return;
    if (events & UDP_EV_READABLE)
        udp_deliver(s);
}

/* Application -> stack: one datagram per message. */
static void udp_readable(struct ev_loop *loop, ev_io *w, int revents)
{
    (void)loop;
    (void)revents;
    struct ipc_sock *s = w->data;
    struct ipc_server *srv = s->srv;
    for (int i = 0; i < 64 && !s->dead; i++) {
        ssize_t n = recv(s->fd, srv->io_buf, sizeof srv->io_buf, MSG_DONTWAIT | MSG_TRUNC);
        if (n < 0 && (errno == EAGAIN || errno == EINTR))
            return;
        if (n <= 0) {
            /* EOF: the application closed its end. */
            ev_io_stop(srv->loop, &s->rd);
            s->hup = true;
            if (s->ctl == NULL)
                ipc_sock_kill(s, false);
            return;
        }
        struct ipc_endpoint ep;
        struct ip_endpoint dst;
        if ((size_t)n < IPC_DGRAM_HDR_LEN || (size_t)n > sizeof srv->io_buf ||
            ipc_decode_endpoint(srv->io_buf, &ep) != IPC_OK ||
            (ep.family != IPC_AF_UNSPEC && ep.family != s->family)) {
            srv->st.dgrams_dropped++; /* a library bug: PROTOCOL.md 7 */
            continue;
        }
        size_t len = (size_t)n - IPC_DGRAM_HDR_LEN;
        int rc;
        if (ep.family == IPC_AF_UNSPEC) {
            rc = udp_sock_sendto(s->us, srv->io_buf + IPC_DGRAM_HDR_LEN, len, NULL, ipc_now(srv));
        } else {
            (void)ipc_ep_to_stack(&dst, &ep);
            rc = udp_sock_sendto(s->us, srv->io_buf + IPC_DGRAM_HDR_LEN, len, &dst, ipc_now(srv));
        }
        if (rc < 0) {
            s->err = -rc; /* the next GETERR tells the application */
            srv->st.dgrams_dropped++;
            continue;
        }
        s->bytes_to_stack += len;
        srv->st.bytes_to_stack += len;
    }
}

int ipc_udp_open(struct ipc_sock *s, int *fd_out)
{
    s->us = udp_sock_open(s->srv->stack, udp_event, s);
    if (s->us == NULL)
        return ENOMEM;
    /* socket(2)'s domain: an AF_INET6 socket on :: is dual-stack. */
    (void)udp_sock_set_family(s->us, s->family == IPC_AF_INET6 ? IP_FAMILY_V6 : IP_FAMILY_V4);
    int err = ipc_sock_pair(s, SOCK_SEQPACKET, fd_out);
    if (err != 0)
        return err;
    ev_io_init(&s->rd, udp_readable, s->fd, EV_READ);
    ev_io_init(&s->wr, udp_readable, s->fd, EV_WRITE); /* unused; stopped at kill */
    s->rd.data = s->wr.data = s;
    ev_io_start(s->srv->loop, &s->rd);
    return 0;
}

static void udp_names(struct ipc_sock *s, struct ipc_reply *r)
{
    struct ip_endpoint ep;
    if (udp_sock_getsockname(s->us, &ep) == 0 && ep.addr.family != IP_FAMILY_NONE)
        ipc_ep_from_stack(&r->local, &ep);
    else
        ipc_ep_unspec(&r->local, s->family);
}

void ipc_udp_request(struct ipc_client *c, const struct ipc_request *q, struct ipc_reply *r)
{
    struct ipc_sock *s = c->sock;
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
        if (q->u.addr.ep.family == IPC_AF_UNSPEC) {
            /* connect(AF_UNSPEC) dissolves the association; the stack has
             * no call for it: say so rather than pretend. */
            r->err = s->connected ? EOPNOTSUPP : 0;
        } else if (q->u.addr.ep.family != s->family ||
                   ipc_ep_to_stack(&ep, &q->u.addr.ep) != 0) {
            r->err = EAFNOSUPPORT;
        } else if ((rc = udp_sock_connect(s->us, &ep)) != 0) {
            r->err = -rc;
        } else {
            s->connected = s->bound = true;
            ipc_ep_from_stack(&r->remote, &ep);
        }
        udp_names(s, r);
        break;
    case IPC_OP_SHUTDOWN:
        r->err = s->connected ? 0 : ENOTCONN;
        break;
    case IPC_OP_SETOPT:
        if (q->u.opt.name == IPC_IPV6_V6ONLY) {
            /* PROTOCOL.md 6.6: IPv4 socket ENOPROTOOPT, after bind EINVAL. */
            r->err = s->family != IPC_AF_INET6 ? ENOPROTOOPT
                     : s->bound ? EINVAL
                                : -udp_sock_setopt(s->us, UDP_OPT_V6ONLY, q->u.opt.value != 0);
            break;
        }
        r->err = q->u.opt.name == IPC_SO_REUSEADDR || q->u.opt.name == IPC_SO_RCVBUF ||
                         q->u.opt.name == IPC_SO_SNDBUF || q->u.opt.name == IPC_SO_LINGER
                     ? 0 : ENOPROTOOPT;
        break;
    case IPC_OP_GETOPT:
        if (q->u.opt.name == IPC_IPV6_V6ONLY) {
            if (s->family != IPC_AF_INET6)
                r->err = ENOPROTOOPT;
            else
                r->err = -udp_sock_getopt(s->us, UDP_OPT_V6ONLY, &r->value);
        } else if (q->u.opt.name == IPC_SO_TYPE) {
            r->value = SOCK_DGRAM;
        } else if (q->u.opt.name == IPC_SO_ERROR) {
            r->value = s->err != 0 ? s->err : udp_sock_error(s->us);
            s->err = 0;
        } else {
            r->err = ENOPROTOOPT;
        }
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
}
