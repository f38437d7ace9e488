/* ipc_tcp.c - TCP sockets of the IPC server: the requests (ipc/PROTOCOL.md
 * section 6) and the byte stream on the data fd (section 7), with
 * backpressure both ways: the data fd is read only while the TCP send
 * buffer has room, and the stack is read only while the data fd takes
 * what was read (RFC 9293 3.8.6: the receive window then closes). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "daemon/ipc_server_int.h"
#include "daemon/log.h"

static void tcp_event(void *user, struct tcp_sock *ts, int events);
static void listener_pump(struct ipc_sock *s);

/* ---- the data fd ---- */

/* The stream ends with error err (positive errno): the application's
 * writes fail from now on (PROTOCOL.md 7). */
static void app_stream_fail(struct ipc_sock *s, int err)
{
    s->err = err;
    shutdown(s->fd, SHUT_RDWR);
    s->app_eof = true;
    ev_io_stop(s->srv->loop, &s->rd);
}

/* Application -> stack: read only what the send buffer takes now, straight
 * into its free space (no copy through a buffer of ours). */
static void pump_in(struct ipc_sock *s)
{
    struct ipc_server *srv = s->srv;
    for (int i = 0; i < 16 && !s->dead && !s->app_eof; i++) {
        struct stack_span sp[2];
        size_t runs = tcp_sock_send_space(s->ts, sp);
        if (runs == 0) {
            long e = tcp_sock_writable(s->ts) > 0 ? tcp_sock_send(s->ts, NULL, 0, ipc_now(srv)) : 0;
            if (e < 0) {
                app_stream_fail(s, (int)-e); /* a pending error: reset, timeout... */
                return;
            }
            ev_io_stop(srv->loop, &s->rd); /* TCP_EV_WRITABLE restarts it */
            return;
        }
        struct iovec iov[2];
        size_t room = 0;
        for (size_t k = 0; k < runs; k++) {
            iov[k].iov_base = sp[k].p;
            iov[k].iov_len = sp[k].len;
            room += sp[k].len;
        }
        struct msghdr mh = {.msg_iov = iov, .msg_iovlen = runs};
        ssize_t n = recvmsg(s->fd, &mh, MSG_DONTWAIT);
        if (n < 0 && (errno == EAGAIN || errno == EINTR))
            return;
        if (n <= 0) {
            /* EOF: every byte the application wrote is in the stack now. */
            s->app_eof = true;
            ev_io_stop(srv->loop, &s->rd);
            if (ipc_fd_hung_up(s->fd)) {
                /* A close, not a shutdown(SHUT_WR): tcp_sock_close then
                 * decides FIN or RST as Linux's close() does (RST with
                 * SO_LINGER {1, 0} or unread data, RFC 2525 2.17), so no
                 * FIN may go out first. */
                s->hup = true;
                if (s->ctl == NULL)
                    ipc_sock_kill(s, s->pend_len > 0);
                return;
            }
            /* shutdown(SHUT_WR): our FIN after the queued data. */
            (void)tcp_sock_shutdown(s->ts, 1, ipc_now(srv));
            return;
        }
        size_t took = tcp_sock_send_commit(s->ts, (size_t)n, ipc_now(srv));
        if (took < (size_t)n) {
            /* Nothing ran between the two calls, so this cannot happen;
             * losing bytes is not an option, so it would end the stream. */
            app_stream_fail(s, EIO);
            return;
        }
        s->bytes_to_stack += (uint64_t)n;
        srv->st.bytes_to_stack += (uint64_t)n;
        /* A short read drained the fd: skip the recv that would only say
         * EAGAIN (one syscall per request in a request/response exchange).
         * What arrives later, EOF included, wakes the level-triggered
         * watcher again. */
        if ((size_t)n < room)
            return;
    }
}

/* Write pend into the data fd. true when it is empty. */
static bool pend_flush(struct ipc_sock *s)
{
    struct ipc_server *srv = s->srv;
    while (s->pend_len > 0) {
        ssize_t w = send(s->fd, s->pend + s->pend_off, s->pend_len, MSG_DONTWAIT | MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0 && errno == EAGAIN) {
            ev_io_start(srv->loop, &s->wr);
            return false;
        }
        if (w < 0) {
            /* EPIPE: the application shut its reading side or is gone. */
            s->pend_len = 0;
            s->rd_shut = true;
            break;
        }
        s->bytes_from_stack += (uint64_t)w;
        srv->st.bytes_from_stack += (uint64_t)w;
        s->pend_off += (size_t)w;
        s->pend_len -= (size_t)w;
    }
    s->pend_off = 0;
    ev_io_stop(srv->loop, &s->wr);
    return true;
}

static void data_shut_wr(struct ipc_sock *s)
{
    if (!s->data_shut && s->fd >= 0)
        shutdown(s->fd, SHUT_WR);
    s->data_shut = true;
}

/* Stack -> application, as far as the data fd takes it. */
static void pump_out(struct ipc_sock *s)
{
    for (int i = 0; i < 64 && !s->dead && (!s->data_shut || s->rd_shut); i++) {
        if (!s->rd_shut && !pend_flush(s))
            return;
        long n = tcp_sock_recv(s->ts, s->pend, IPC_PEND_CAP, ipc_now(s->srv));
        if (n == -EAGAIN)
            return;
        if (n == 0) {
            /* The peer's FIN, after all its data: EOF for the reader. */
            s->peer_eof = true;
            data_shut_wr(s);
            return;
        }
        if (n < 0) {
            /* Reset, timeout, ICMP: remembered for GETERR; the reader
             * sees EOF, a writer EPIPE (PROTOCOL.md 7). */
            s->err = (int)-n;
            shutdown(s->fd, SHUT_RDWR);
            s->data_shut = true;
            s->app_eof = true;
            ev_io_stop(s->srv->loop, &s->rd);
            return;
        }
        if (s->rd_shut)
            continue; /* SHUT_RD: acknowledged and dropped, as Linux */
        s->pend_len = (size_t)n;
    }
}

static void data_readable(struct ev_loop *loop, ev_io *w, int revents)
{
    (void)loop;
    (void)revents;
    struct ipc_sock *s = w->data;
    if (s->listening) {
        /* Nothing is written on a listener's fd: watch for EOF (close). */
        ssize_t n = recv(s->fd, s->srv->io_buf, IPC_IO_CHUNK, MSG_DONTWAIT);
        if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
            ev_io_stop(s->srv->loop, &s->rd);
            s->hup = true;
            if (s->ctl == NULL)
                ipc_sock_kill(s, false);
        }
        return;
    }
    pump_in(s);
}

static void data_writable(struct ev_loop *loop, ev_io *w, int revents)
{
    (void)loop;
    (void)revents;
    struct ipc_sock *s = w->data;
    if (s->listening)
        listener_pump(s);
    else
        pump_out(s);
}

/* Charge s's buffers, make the data socketpair: 0 or a positive errno. */
static int data_pair(struct ipc_sock *s, int *fd_out)
{
    struct ipc_server *srv = s->srv;
    int snd = 0, rcv = 0;
    (void)tcp_sock_getopt(s->ts, TCP_OPT_SNDBUF, &snd);
    (void)tcp_sock_getopt(s->ts, TCP_OPT_RCVBUF, &rcv);
    uint64_t charge = (uint64_t)snd + (uint64_t)rcv + IPC_PEND_CAP;
    if (s->owner->buffer - s->charge + charge > srv->cfg.max_buffer_per_client)
        return ENOBUFS;
    s->owner->buffer = s->owner->buffer - s->charge + charge;
    s->charge = charge;
    s->pend = malloc(IPC_PEND_CAP);
    if (s->pend == NULL)
        return ENOMEM;
    int err = ipc_sock_pair(s, SOCK_STREAM, fd_out);
    if (err != 0)
        return err;
    ev_io_init(&s->rd, data_readable, s->fd, EV_READ);
    ev_io_init(&s->wr, data_writable, s->fd, EV_WRITE);
    s->rd.data = s->wr.data = s;
    return 0;
}

int ipc_tcp_open(struct ipc_sock *s, int *fd_out)
{
    s->ts = tcp_sock_open(s->srv->stack, tcp_event, s);
    if (s->ts == NULL)
        return ENOMEM;
    /* socket(2)'s domain: an AF_INET6 listener on :: is dual-stack. */
    (void)tcp_sock_set_family(s->ts, s->family == IPC_AF_INET6 ? IP_FAMILY_V6 : IP_FAMILY_V4);
    return data_pair(s, fd_out);
}

/* ---- listeners: each established connection becomes an ACCEPT ---- */

/* Take one connection off the stack's queue, with its socket and data
 * fds. NULL when the queue is empty (or on failure: the connection is
 * then reset). */
static struct ipc_sock *accepted_new(struct ipc_sock *ls, int *app_fd)
{
    struct tcp_conn_info info;
    tcp_sock_info(ls->ts, &info);
    if (info.accept_queue == 0)
        return NULL;
    struct ipc_sock *s = ipc_sock_new(ls->srv, ls->owner, IPC_PROTO_TCP, ls->family, 0);
    if (s == NULL)
        return NULL;
    int err = 0;
    s->ts = tcp_sock_accept(ls->ts, tcp_event, s, &err);
    if (s->ts == NULL) {
        ipc_sock_kill(s, true);
        return NULL;
    }
    s->connected = true;
    s->bound = true;
    s->attached_once = false;
    if (data_pair(s, app_fd) != 0) {
        ipc_sock_kill(s, true);
        return NULL;
    }
    ev_io_start(s->srv->loop, &s->rd);
    return s;
}

/* Send the held ACCEPT; true if sent (or dropped for good). */
static bool accept_send(struct ipc_sock *ls, struct ipc_sock *s, int app_fd)
{
    struct ipc_accept a;
    struct ip_endpoint ep;
    memset(&a, 0, sizeof a);
    a.sock_id = s->id;
    a.token = s->token;
    (void)tcp_sock_getsockname(s->ts, &ep);
    ipc_ep_from_stack(&a.local, &ep);
    (void)tcp_sock_getpeername(s->ts, &ep);
    ipc_ep_from_stack(&a.remote, &ep);
    uint8_t buf[IPC_MAX_MSG];
    size_t n = ipc_encode_accept(buf, sizeof buf, &a);
    struct iovec iov = {.iov_base = buf, .iov_len = n};
    union {
        struct cmsghdr h;
        char b[CMSG_SPACE(sizeof(int))];
    } cm;
    memset(&cm, 0, sizeof cm);
    struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = cm.b,
                        .msg_controllen = sizeof cm.b};
    struct cmsghdr *h = CMSG_FIRSTHDR(&mh);
    h->cmsg_level = SOL_SOCKET;
    h->cmsg_type = SCM_RIGHTS;
    h->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(h), &app_fd, sizeof app_fd);
    ssize_t w;
    do {
        w = sendmsg(ls->fd, &mh, MSG_DONTWAIT | MSG_NOSIGNAL);
    } while (w < 0 && errno == EINTR);
    if (w < 0 && errno == EAGAIN) {
        ev_io_start(ls->srv->loop, &ls->wr);
        return false;
    }
    if (w != (ssize_t)n) {
        /* The listener's reader is gone (or a short write: impossible for
         * 68 bytes on a stream with room): the connection cannot be
         * delivered; reset it. */
        ipc_sock_kill(s, true);
    }
    return true;
}

/* Move established connections to the application while its limits and
 * its listener fd allow. At most one connection is held back (accepted
 * from the stack, its ACCEPT waiting for room in the fd). */
static void listener_pump(struct ipc_sock *ls)
{
    struct ipc_server *srv = ls->srv;
    ev_io_stop(srv->loop, &ls->wr);
    for (int i = 0; i < 256 && !ls->dead; i++) {
        if (ls->held_sock != NULL) {
            if (!accept_send(ls, ls->held_sock, ls->held_fd))
                return;
            close(ls->held_fd);
            ls->held_sock = NULL;
            ls->held_fd = -1;
        }
        /* PROTOCOL.md 7: at the socket limit, connections stay queued. */
        if (ipc_sock_charge_check(srv, ls->owner, 0) != 0)
            return;
        int app_fd = -1;
        struct ipc_sock *s = accepted_new(ls, &app_fd);
        if (s == NULL)
            return;
        ls->held_sock = s;
        ls->held_fd = app_fd;
    }
}

void ipc_tcp_resume_listeners(struct ipc_server *srv)
{
    for (struct ipc_sock *s = srv->socks; s != NULL; s = s->next)
        if (s->listening && !s->dead && s->proto == IPC_PROTO_TCP)
            listener_pump(s);
}

/* ---- stack events ---- */

static void fill_names(struct ipc_sock *s, struct ipc_reply *r)
{
    struct ip_endpoint ep;
    if (tcp_sock_getsockname(s->ts, &ep) == 0 && ep.addr.family != IP_FAMILY_NONE)
        ipc_ep_from_stack(&r->local, &ep);
    else
        ipc_ep_unspec(&r->local, s->family);
    if (tcp_sock_getpeername(s->ts, &ep) == 0)
        ipc_ep_from_stack(&r->remote, &ep);
}

/* The connect finished (err 0) or failed: answer whoever waits. */
static void connect_done(struct ipc_sock *s, int err)
{
    s->connecting = false;
    if (err == 0) {
        s->connected = true;
        ev_io_start(s->srv->loop, &s->rd);
    }
    struct ipc_client *c = s->ctl;
    if (c == NULL || c->waiting == IPC_WAIT_NONE) {
        if (err != 0)
            s->err = err;
        return;
    }
    struct ipc_reply r;
    memset(&r, 0, sizeof r);
    r.sock_id = s->id;
    if (c->waiting == IPC_WAIT_CONNECT) {
        r.err = err;
        if (err == 0)
            fill_names(s, &r);
    } else {
        r.value = err; /* GETERR: the outcome, cleared */
    }
    ipc_client_resume(c, &r);
}

static void tcp_event(void *user, struct tcp_sock *ts, int events)
{
    (void)ts;
    struct ipc_sock *s = user;
    if (s == NULL || s->dead)
        return;
    if (s->listening) {
        if (events & TCP_EV_ACCEPT)
            listener_pump(s);
        return;
    }
    if (s->connecting && (events & TCP_EV_CONNECTED))
        connect_done(s, 0);
    if (s->connecting && (events & (TCP_EV_ERROR | TCP_EV_CLOSED))) {
        int e = tcp_sock_error(s->ts);
        connect_done(s, e != 0 ? e : ECONNREFUSED);
        return;
    }
    if (!s->connected)
        return;
    if (events & (TCP_EV_READABLE | TCP_EV_ERROR | TCP_EV_CLOSED))
        pump_out(s);
    if ((events & TCP_EV_ERROR) && !s->data_shut) {
        int e = tcp_sock_error(s->ts);
        if (e != 0) {
            s->err = e;
            shutdown(s->fd, SHUT_RDWR);
            s->data_shut = true;
            s->app_eof = true;
            ev_io_stop(s->srv->loop, &s->rd);
        }
    }
    if ((events & TCP_EV_WRITABLE) && !s->app_eof && !s->dead)
        ev_io_start(s->srv->loop, &s->rd);
}

/* ---- requests ---- */

static int opt_map(uint32_t name, enum tcp_sockopt *out)
{
    switch (name) {
    case IPC_SO_REUSEADDR: *out = TCP_OPT_REUSEADDR; return 0;
    case IPC_SO_KEEPALIVE: *out = TCP_OPT_KEEPALIVE; return 0;
    case IPC_SO_RCVBUF: *out = TCP_OPT_RCVBUF; return 0;
    case IPC_SO_SNDBUF: *out = TCP_OPT_SNDBUF; return 0;
    case IPC_TCP_NODELAY: *out = TCP_OPT_NODELAY; return 0;
    case IPC_TCP_KEEPIDLE: *out = TCP_OPT_KEEPIDLE; return 0;
    case IPC_TCP_KEEPINTVL: *out = TCP_OPT_KEEPINTVL; return 0;
    case IPC_TCP_KEEPCNT: *out = TCP_OPT_KEEPCNT; return 0;
    case IPC_TCP_MAXSEG: *out = TCP_OPT_MAXSEG; return 0;
    default: return -1;
    }
}

static void do_setopt(struct ipc_sock *s, const struct ipc_opt *o, struct ipc_reply *r)
{
    enum tcp_sockopt opt;
    int v = o->value;
    if (o->name == IPC_SO_ERROR || o->name == IPC_TCP_MAXSEG || o->name == IPC_SO_TYPE) {
        r->err = ENOPROTOOPT;
        return;
    }
    if (o->name == IPC_SO_LINGER) {
        if (v < -1) {
            r->err = EINVAL;
            return;
        }
        /* Only linger 0 (RST at close) changes what the stack does: a
         * close never blocks here, the daemon finishes it. */
        r->err = -tcp_sock_setopt(s->ts, TCP_OPT_LINGER_ZERO, v == 0);
        return;
    }
    if (o->name == IPC_IPV6_V6ONLY) {
        r->err = s->family != IPC_AF_INET6 ? ENOPROTOOPT
                 : s->bound                ? EINVAL
                                           : -tcp_sock_setopt(s->ts, TCP_OPT_V6ONLY, v != 0);
        return;
    }
    if (opt_map(o->name, &opt) != 0) {
        r->err = ENOPROTOOPT;
        return;
    }
    if (opt == TCP_OPT_REUSEADDR || opt == TCP_OPT_KEEPALIVE || opt == TCP_OPT_NODELAY)
        v = v != 0;
    if (opt == TCP_OPT_SNDBUF || opt == TCP_OPT_RCVBUF) {
        int old = 0;
        (void)tcp_sock_getopt(s->ts, opt, &old);
        uint64_t next = s->owner->buffer - (uint64_t)old + (uint64_t)(v < 0 ? 0 : v);
        if (v > old && next > s->srv->cfg.max_buffer_per_client) {
            r->err = ENOBUFS;
            return;
        }
        r->err = -tcp_sock_setopt(s->ts, opt, v);
        int now = old;
        (void)tcp_sock_getopt(s->ts, opt, &now);
        s->owner->buffer = s->owner->buffer - (uint64_t)old + (uint64_t)now;
        s->charge = s->charge - (uint64_t)old + (uint64_t)now;
        return;
    }
    r->err = -tcp_sock_setopt(s->ts, opt, v);
}

static void do_getopt(struct ipc_client *c, struct ipc_sock *s, const struct ipc_opt *o,
                      struct ipc_reply *r)
{
    enum tcp_sockopt opt;
    int v = 0;
    (void)c;
    switch (o->name) {
    case IPC_SO_ERROR:
        r->value = s->err != 0 ? s->err : tcp_sock_error(s->ts);
        s->err = 0;
        return;
    case IPC_SO_TYPE:
        r->value = SOCK_STREAM;
        return;
    case IPC_SO_LINGER:
        (void)tcp_sock_getopt(s->ts, TCP_OPT_LINGER_ZERO, &v);
        r->value = v ? 0 : -1;
        return;
    case IPC_IPV6_V6ONLY:
        if (s->family != IPC_AF_INET6)
            r->err = ENOPROTOOPT;
        else
            r->err = -tcp_sock_getopt(s->ts, TCP_OPT_V6ONLY, &r->value);
        return;
    default:
        break;
    }
    if (opt_map(o->name, &opt) != 0) {
        r->err = ENOPROTOOPT;
        return;
    }
    r->err = -tcp_sock_getopt(s->ts, opt, &v);
    r->value = v;
}

static void do_connect(struct ipc_client *c, struct ipc_sock *s, const struct ipc_request *q,
                       struct ipc_reply *r)
{
    struct ip_endpoint ep;
    if (s->listening || s->connected) {
        r->err = EISCONN;
        return;
    }
    if (s->connecting) {
        r->err = EALREADY;
        return;
    }
    if (q->u.addr.ep.family != s->family || ipc_ep_to_stack(&ep, &q->u.addr.ep) != 0) {
        r->err = EAFNOSUPPORT;
        return;
    }
    int rc = tcp_sock_connect(s->ts, &ep, ipc_now(s->srv));
    if (rc != -EINPROGRESS && rc != 0) {
        r->err = -rc;
        return;
    }
    s->bound = true;
    s->connecting = true;
    if (rc == 0 || tcp_sock_state(s->ts) == TCP_ESTABLISHED) {
        connect_done(s, 0);
        fill_names(s, r);
        return;
    }
    if (q->h.flags & IPC_F_NONBLOCK) {
        r->err = EINPROGRESS;
        fill_names(s, r);
        return;
    }
    c->waiting = IPC_WAIT_CONNECT;
}

void ipc_tcp_request(struct ipc_client *c, const struct ipc_request *q, struct ipc_reply *r)
{
    struct ipc_sock *s = c->sock;
    struct ipc_server *srv = s->srv;
    struct ip_endpoint ep;
    int rc;

    switch (q->h.type) {
    case IPC_OP_BIND:
        if (s->bound || s->listening || s->connecting || s->connected) {
            r->err = EINVAL;
        } else if (q->u.addr.ep.family != s->family ||
                   ipc_ep_to_stack(&ep, &q->u.addr.ep) != 0) {
            r->err = EAFNOSUPPORT;
        } else if (!ipc_port_allowed(srv, c->uid, ep.port)) {
            r->err = EACCES;
        } else {
            rc = tcp_sock_bind(s->ts, &ep);
            r->err = -rc;
            s->bound = rc == 0;
        }
        fill_names(s, r);
        break;
    case IPC_OP_LISTEN:
        if (s->connecting || s->connected) {
            r->err = EINVAL;
            break;
        }
        rc = tcp_sock_listen(s->ts, q->u.listen.backlog);
        r->err = -rc;
        if (rc == 0 && !s->listening) {
            s->listening = s->bound = true;
            /* The fd now only carries ACCEPTs; reading it finds the close. */
            ev_io_start(srv->loop, &s->rd);
            listener_pump(s);
        }
        fill_names(s, r);
        break;
    case IPC_OP_CONNECT:
        do_connect(c, s, q, r);
        break;
    case IPC_OP_SHUTDOWN:
        if (!s->connected) {
            r->err = ENOTCONN;
            break;
        }
        if (q->u.u32.value != 1) {
            /* SHUT_RD: the reader sees EOF; later data is dropped. */
            s->rd_shut = true;
            s->pend_len = 0;
            data_shut_wr(s);
            pump_out(s);
        }
        /* SHUT_WR: the FIN follows the EOF the library makes on the data
         * fd after this reply (PROTOCOL.md 6.5), so it goes after the data. */
        break;
    case IPC_OP_SETOPT:
        do_setopt(s, &q->u.opt, r);
        break;
    case IPC_OP_GETOPT:
        do_getopt(c, s, &q->u.opt, r);
        break;
    case IPC_OP_GETNAME:
        fill_names(s, r);
        break;
    case IPC_OP_GETERR:
        if (s->connecting) {
            c->waiting = IPC_WAIT_GETERR;
            break;
        }
        r->value = s->err != 0 ? s->err : tcp_sock_error(s->ts);
        s->err = 0;
        break;
    default:
        r->err = EINVAL;
        break;
    }
}

/* ---- the end of a socket ---- */

void ipc_tcp_ctl_gone(struct ipc_sock *s)
{
    if (s->dead)
        return;
    if (s->hup || ipc_fd_hung_up(s->fd)) {
        s->hup = true;
        enum tcp_state st = tcp_sock_state(s->ts);
        bool can_send = st == TCP_ESTABLISHED || st == TCP_CLOSE_WAIT || st == TCP_SYN_SENT ||
                        st == TCP_SYN_RECEIVED;
        if (!s->app_eof && can_send) {
            /* POLLHUP comes while the application's last bytes may still
             * sit in our end of the socketpair: read them to EOF first
             * (pump_in kills the socket there), however long the TCP send
             * buffer makes that take. A connection that can no longer
             * send loses them anyway (Linux: EPIPE), so it goes at once. */
            if (tcp_sock_writable(s->ts) > 0)
                ev_io_start(s->srv->loop, &s->rd);
            pump_in(s);
            return;
        }
        /* Bytes the application never read: Linux resets (RFC 2525 2.17). */
        ipc_sock_kill(s, s->pend_len > 0);
    }
}

void ipc_tcp_flush(struct ipc_sock *s, uint64_t now)
{
    if (s->held_sock != NULL) {
        close(s->held_fd);
        ipc_sock_kill(s->held_sock, true);
    }
    if (s->ts == NULL)
        return;
    if (s->abort)
        tcp_sock_abort(s->ts, now);
    else
        tcp_sock_close(s->ts, now);
    s->ts = NULL;
}
