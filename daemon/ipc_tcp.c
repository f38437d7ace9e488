/* ipc_tcp.c - TCP sockets of the IPC server: the requests (ipc/PROTOCOL.md
 * section 6) and the byte stream on the data fd (section 7), with
 * backpressure both ways and no copy of our own: the application's bytes
 * are read straight into the TCP send buffer, and received bytes are
 * written to the data fd straight from the TCP receive buffer, which
 * keeps whatever the application's end cannot take yet (RFC 9293 3.8.6:
 * the receive window then closes).
 *
 * What the data fd says, and how:
 *   peer's FIN, after its data   shutdown(fd, SHUT_WR): the app reads EOF
 *   the connection failed        our end closed (ipc_sock_bury): EOF, POLLHUP,
 *                                writes EPIPE; SO_ERROR from the tomb
 *   connect under way            the app's end is "plugged": its send
 *                                buffer is filled, so it polls not writable
 *                                until the connection is established
 *   the app closed its last copy EPOLLRDHUP on our end (the app never shuts
 *                                its end down itself; the library asks us)
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "daemon/ipc_server_int.h"
#include "daemon/log.h"

static void tcp_event(void *user, struct tcp_sock *ts, int events);
static void listener_pump(struct ipc_sock *s);

static bool can_send_state(enum tcp_state st)
{
    return st == TCP_ESTABLISHED || st == TCP_CLOSE_WAIT || st == TCP_SYN_SENT ||
           st == TCP_SYN_RECEIVED;
}

static bool fd_hup(int fd)
{
    struct pollfd p = {.fd = fd, .events = 0};
    return poll(&p, 1, 0) == 1 && (p.revents & POLLHUP) != 0;
}

/* The pending error of our end: ECONNRESET when the application closed it
 * with bytes we had sent still unread (the kernel says so, unix(7)). */
static int fd_error(int fd)
{
    int e = 0;
    socklen_t len = sizeof e;
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &len) != 0)
        return 0;
    return e;
}

static void data_shut_wr(struct ipc_sock *s)
{
    if (!s->data_shut && s->fd >= 0)
        shutdown(s->fd, SHUT_WR);
    s->data_shut = true;
}

/* Our FIN, once: after the application's SHUTDOWN(WR) and its bytes. */
static void send_fin(struct ipc_sock *s)
{
    if (s->fin_sent)
        return;
    s->fin_sent = true;
    (void)tcp_sock_shutdown(s->ts, 1, ipc_now(s->srv));
}

/* Every copy of the application's end is closed. */
static void app_closed(struct ipc_sock *s)
{
    if (s->dead)
        return;
    s->app_gone = true;
    /* RFC 2525 2.17, as Linux's close(): bytes delivered and never read
     * mean a RST, and what is still unsent goes with it. */
    if (s->fd >= 0 && fd_error(s->fd) == ECONNRESET) {
        ipc_sock_kill(s, true);
        return;
    }
    if (s->connected && !s->app_eof && !s->fin_sent && can_send_state(tcp_sock_state(s->ts))) {
        /* Its last bytes may still wait in our end: they go out first,
         * then the FIN (pump_in ends the socket at EOF). */
        s->app_pending = true;
        ipc_sock_again(s);
        return;
    }
    ipc_sock_kill(s, false);
}

/* EOF read from the data fd. */
static void app_eof(struct ipc_sock *s)
{
    s->app_eof = true;
    s->app_pending = false;
    /* With our write side still open, a hang-up without POLLHUP is the
     * application's own shutdown(fd, SHUT_WR) (a program bypassing the
     * library): a FIN after its data, as Linux. Otherwise it closed. */
    if (!s->data_shut && !fd_hup(s->fd)) {
        send_fin(s);
        return;
    }
    app_closed(s);
}

/* ---- application -> stack ---- */

/* Bytes the application wrote after its SHUTDOWN(WR) (another process
 * sharing the fd): read and dropped, counted (PROTOCOL.md 6.5). */
static bool discard_in(struct ipc_sock *s)
{
    struct ipc_server *srv = s->srv;
    for (int i = 0; i < IPC_TURN_OPS; i++) {
        ssize_t n = recv(s->fd, srv->io_buf, IPC_IO_CHUNK, MSG_DONTWAIT);
        if (n < 0 && (errno == EAGAIN || errno == EINTR))
            return true;
        if (n <= 0) {
            app_eof(s);
            return true;
        }
        s->bytes_dropped += (uint64_t)n;
        srv->st.bytes_dropped += (uint64_t)n;
    }
    return false;
}

static void pump_in(struct ipc_sock *s)
{
    struct ipc_server *srv = s->srv;
    if (s->dead || s->app_eof || !s->connected || s->fd < 0)
        return;
    if (s->fin_sent) {
        if (!discard_in(s))
            ipc_sock_again(s);
        return;
    }
    for (int i = 0; i < IPC_TURN_OPS; i++) {
        struct stack_span sp[2];
        size_t runs = tcp_sock_send_space(s->ts, sp);
        if (runs == 0) {
            /* The send buffer is full (TCP_EV_WRITABLE resumes), or the
             * connection can no longer send: tcp_event buries it. */
            s->app_pending = true;
            return;
        }
        struct iovec iov[2];
        size_t room = 0;
        for (size_t k = 0; k < runs; k++) {
            iov[k].iov_base = sp[k].p;
            iov[k].iov_len = sp[k].len;
            room += sp[k].len;
        }
        if (s->wr_shut && s->fin_at - s->bytes_to_stack < room) {
            /* Only up to the SHUTDOWN(WR) mark. */
            size_t left = (size_t)(s->fin_at - s->bytes_to_stack);
            room = left;
            for (size_t k = 0; k < runs; k++) {
                if (iov[k].iov_len > left)
                    iov[k].iov_len = left;
                left -= iov[k].iov_len;
            }
        }
        struct msghdr mh = {.msg_iov = iov, .msg_iovlen = runs};
        ssize_t n = room > 0 ? recvmsg(s->fd, &mh, MSG_DONTWAIT) : 0;
        if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
            s->app_pending = false;
            return;
        }
        if (n < 0 && errno == ECONNRESET) {
            /* Closed with unread data (the kernel reports it once our
             * queue is empty): a RST, as app_closed. */
            s->app_gone = true;
            ipc_sock_kill(s, true);
            return;
        }
        if (n < 0 || (n == 0 && room > 0)) {
            app_eof(s);
            return;
        }
        if (n > 0) {
            /* A read that filled the room is likely the middle of a write:
             * no PSH for it (RFC 9293 3.9.1: PSH ends a write; a short
             * read is the end of what the application wrote). */
            int more = (size_t)n == room && !s->hup_seen ? TCP_SEND_MORE : 0;
            size_t took = tcp_sock_send_commit_flags(s->ts, (size_t)n, more, ipc_now(srv));
            if (took < (size_t)n) {
                /* Nothing ran between the two calls, so this cannot
                 * happen; losing bytes is not an option: end the stream. */
                ipc_sock_bury(s, EIO);
                return;
            }
            s->bytes_to_stack += (uint64_t)n;
            srv->st.bytes_to_stack += (uint64_t)n;
        }
        if (s->wr_shut && s->bytes_to_stack == s->fin_at) {
            send_fin(s);
            if (!discard_in(s))
                ipc_sock_again(s);
            return;
        }
        /* A short read drained the fd: skip the recv that would only say
         * EAGAIN (one syscall per request in a request/response exchange).
         * What arrives later makes a new edge; but an end of file that
         * came with this edge (hup_seen) is read now, there is no other. */
        if ((size_t)n < room && !s->hup_seen) {
            s->app_pending = false;
            return;
        }
    }
    s->app_pending = true;
    ipc_sock_again(s);
}

/* ---- stack -> application ---- */

static void pump_out(struct ipc_sock *s)
{
    struct ipc_server *srv = s->srv;
    for (int i = 0; i < IPC_TURN_OPS; i++) {
        if (s->dead || s->tomb || s->data_shut || s->fd < 0)
            return;
        struct stack_span sp[2];
        size_t runs = tcp_sock_recv_spans(s->ts, sp);
        if (runs == 0) {
            uint8_t none;
            long r = tcp_sock_recv(s->ts, &none, 1, ipc_now(srv));
            if (r == 0) {
                /* The peer's FIN after all its data, or our SHUT_RD after
                 * what was queued: EOF for the reader. */
                data_shut_wr(s);
            } else if (r < 0 && r != -EAGAIN) {
                /* Reset, timeout, ICMP: the reader has had every byte. */
                ipc_sock_bury(s, (int)-r);
            }
            return;
        }
        struct iovec iov[2];
        size_t total = 0;
        for (size_t k = 0; k < runs; k++) {
            iov[k].iov_base = sp[k].p;
            iov[k].iov_len = sp[k].len;
            total += sp[k].len;
        }
        struct msghdr mh = {.msg_iov = iov, .msg_iovlen = runs};
        ssize_t w = sendmsg(s->fd, &mh, MSG_DONTWAIT | MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0 && errno == EAGAIN) {
            s->out_blocked = true;
            ipc_sock_watch(s, s->ep_events | EPOLLOUT);
            return;
        }
        if (w < 0) {
            /* EPIPE: every copy of the application's end is closed;
             * EPOLLRDHUP tells the rest. */
            return;
        }
        (void)tcp_sock_recv_consume(s->ts, (size_t)w, ipc_now(srv));
        s->bytes_from_stack += (uint64_t)w;
        srv->st.bytes_from_stack += (uint64_t)w;
        if ((size_t)w < total) {
            s->out_blocked = true;
            ipc_sock_watch(s, s->ep_events | EPOLLOUT);
            return;
        }
    }
    ipc_sock_again(s);
}

/* ---- the data fd's events ---- */

void ipc_tcp_events(struct ipc_sock *s, uint32_t events)
{
    if (s->listening) {
        if (events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR)) {
            s->app_gone = true;
            ipc_sock_kill(s, false);
            return;
        }
        if (events & EPOLLOUT)
            listener_pump(s);
        return;
    }
    if (events & EPOLLOUT) {
        s->out_blocked = false;
        ipc_sock_watch(s, s->ep_events & ~(uint32_t)EPOLLOUT);
    }
    if (events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR)) {
        s->hup_seen = true;
        if ((events & EPOLLHUP) || s->data_shut)
            app_closed(s);
        else
            s->app_pending = true; /* its own SHUT_WR: read to EOF, then FIN */
    }
    if (events == 0 || (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)))
        s->app_pending = true;
    if (s->app_pending && s->connected)
        pump_in(s);
    if (s->connected && !s->out_blocked)
        pump_out(s);
    if (s->app_gone && !s->dead && !s->connected)
        ipc_sock_kill(s, false); /* never connected: nothing to finish */
}

/* ---- the connect plug ---- */

/* While a connect is under way the application's end must not poll
 * writable (PROTOCOL.md 7.2): with the fd that came with CONNECT, shrink
 * its send buffer to the minimum and fill it from its own side. The bytes
 * wait at the head of our end, and we keep the fd to undo it. 0 or an
 * errno. */
static int plug(struct ipc_sock *s, int app_fd)
{
    int sndbuf = 0, one = 1;
    socklen_t len = sizeof sndbuf;
    if (getsockopt(app_fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, &len) != 0 ||
        setsockopt(app_fd, SOL_SOCKET, SO_SNDBUF, &one, sizeof one) != 0)
        return EIO;
    size_t total = 0;
    for (int i = 0; i < 64; i++) {
        ssize_t n = send(app_fd, s->srv->io_buf, IPC_IO_CHUNK, MSG_DONTWAIT | MSG_NOSIGNAL);
        if (n <= 0)
            break;
        total += (size_t)n;
    }
    s->plug_fd = app_fd;
    s->plug_len = total;
    s->plug_sndbuf = sndbuf;
    return 0;
}

/* The connection is up: take the plug out and give the application's end
 * its send buffer back (Linux doubles what setsockopt gets). */
static void unplug(struct ipc_sock *s)
{
    while (s->plug_len > 0) {
        size_t want = s->plug_len < IPC_IO_CHUNK ? s->plug_len : IPC_IO_CHUNK;
        ssize_t n = recv(s->fd, s->srv->io_buf, want, MSG_DONTWAIT);
        if (n <= 0)
            break; /* cannot happen: the bytes are queued */
        s->plug_len -= (size_t)n;
    }
    if (s->plug_fd >= 0) {
        int half = s->plug_sndbuf / 2;
        (void)setsockopt(s->plug_fd, SOL_SOCKET, SO_SNDBUF, &half, sizeof half);
        close(s->plug_fd);
    }
    s->plug_fd = -1;
    s->plug_len = 0;
}

/* ---- opening, accepting ---- */

/* Charge s's buffers, make the data socketpair: 0 or a positive errno. */
static int data_pair(struct ipc_sock *s, uint32_t events, int *fd_out)
{
    struct ipc_server *srv = s->srv;
    int snd = 0, rcv = 0;
    (void)tcp_sock_getopt(s->ts, TCP_OPT_SNDBUF, &snd);
    (void)tcp_sock_getopt(s->ts, TCP_OPT_RCVBUF, &rcv);
    uint64_t charge = (uint64_t)snd + (uint64_t)rcv;
    if (s->owner->buffer - s->charge + charge > srv->cfg.max_buffer_per_client)
        return ENOBUFS;
    s->owner->buffer = s->owner->buffer - s->charge + charge;
    s->charge = charge;
    return ipc_sock_pair(s, SOCK_STREAM, events, fd_out);
}

int ipc_tcp_open(struct ipc_sock *s, int *fd_out)
{
    s->ts = tcp_sock_open(s->srv->stack, tcp_event, s);
    if (s->ts == NULL)
        return ENOMEM;
    /* socket(2)'s domain: an AF_INET6 listener on :: is dual-stack. */
    (void)tcp_sock_set_family(s->ts, s->family == IPC_AF_INET6 ? IP_FAMILY_V6 : IP_FAMILY_V4);
    /* Data is not read before the connection exists; the fd is watched
     * for the application's close (and its data, later) from the start. */
    return data_pair(s, EPOLLIN, fd_out);
}

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
    if (data_pair(s, EPOLLIN, app_fd) != 0) {
        ipc_sock_kill(s, true);
        return NULL;
    }
    return s;
}

/* Send the held ACCEPT; true if sent (or dropped for good). */
static bool accept_send(struct ipc_sock *ls, struct ipc_sock *s, int app_fd)
{
    struct ipc_accept a;
    struct ip_endpoint ep;
    memset(&a, 0, sizeof a);
    a.sock_id = s->id;
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
        ipc_sock_watch(ls, EPOLLOUT);
        return false;
    }
    if (w != (ssize_t)n) {
        /* The listener's reader is gone (or a short write: impossible for
         * 60 bytes on a stream with room): the connection cannot be
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
    ipc_sock_watch(ls, 0);
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
    if (s->tomb) {
        r->local = s->tomb_local;
        r->remote = s->tomb_remote;
        return;
    }
    if (tcp_sock_getsockname(s->ts, &ep) == 0 && ep.addr.family != IP_FAMILY_NONE)
        ipc_ep_from_stack(&r->local, &ep);
    else
        ipc_ep_unspec(&r->local, s->family);
    if (tcp_sock_getpeername(s->ts, &ep) == 0)
        ipc_ep_from_stack(&r->remote, &ep);
}

/* The connect finished (err 0) or failed. */
static void connect_done(struct ipc_sock *s, int err)
{
    s->connecting = false;
    if (err != 0) {
        /* Our end closes with the plug unread: the application's end gets
         * POLLERR, POLLHUP and POLLOUT at once, as a failed connect does
         * on Linux, and SO_ERROR says why. */
        ipc_sock_bury(s, err);
        return;
    }
    s->connected = true;
    unplug(s);
    s->app_pending = true;
    ipc_sock_again(s);
}

static void tcp_event(void *user, struct tcp_sock *ts, int events)
{
    (void)ts;
    struct ipc_sock *s = user;
    if (s == NULL || s->dead || s->tomb)
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
    if ((events & (TCP_EV_READABLE | TCP_EV_ERROR | TCP_EV_CLOSED)) && !s->out_blocked)
        pump_out(s);
    if ((events & TCP_EV_WRITABLE) && s->app_pending && !s->dead && !s->tomb)
        pump_in(s);
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
    case IPC_TCP_CORK: *out = TCP_OPT_CORK; return 0;
    case IPC_TCP_QUICKACK: *out = TCP_OPT_QUICKACK; return 0;
    case IPC_IP_TOS: *out = TCP_OPT_TOS; return 0;
    case IPC_IPV6_TCLASS: *out = TCP_OPT_TCLASS; return 0;
    default: return -1;
    }
}

static void do_setopt(struct ipc_sock *s, const struct ipc_opt *o, struct ipc_reply *r)
{
    enum tcp_sockopt opt;
    int v = o->value;
    if (s->tomb)
        return; /* the connection is gone: nothing left to change */
    if (o->name == IPC_SO_ERROR || o->name == IPC_SO_TYPE) {
        r->err = ENOPROTOOPT;
        return;
    }
    if (o->name == IPC_SO_BROADCAST) {
        s->so_broadcast = v != 0; /* a flag Linux keeps on any socket; no effect on TCP */
        return;
    }
    if (o->name == IPC_SO_LINGER) {
        if (v < -1) {
            r->err = EINVAL;
            return;
        }
        /* Only linger 0 (RST at close) changes what the stack does: a
         * close never blocks here, the daemon finishes it. The time is
         * kept to be read back, as Linux does. */
        r->err = -tcp_sock_setopt(s->ts, TCP_OPT_LINGER_ZERO, v == 0);
        if (r->err == 0) {
            s->linger_on = v >= 0;
            s->linger_secs = v >= 0 ? v : 0;
        }
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
    if (opt == TCP_OPT_REUSEADDR || opt == TCP_OPT_KEEPALIVE || opt == TCP_OPT_NODELAY ||
        opt == TCP_OPT_CORK || opt == TCP_OPT_QUICKACK)
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

static void do_getopt(struct ipc_sock *s, const struct ipc_opt *o, struct ipc_reply *r)
{
    enum tcp_sockopt opt;
    int v = 0;
    switch (o->name) {
    case IPC_SO_ERROR:
        r->value = s->err != 0 ? s->err : s->ts != NULL ? tcp_sock_error(s->ts) : 0;
        s->err = 0;
        return;
    case IPC_SO_TYPE:
        r->value = SOCK_STREAM;
        return;
    case IPC_SO_BROADCAST:
        r->value = s->so_broadcast;
        return;
    default:
        break;
    }
    if (s->tomb) {
        r->value = o->name == IPC_SO_LINGER ? -1 : 0;
        return;
    }
    switch (o->name) {
    case IPC_SO_LINGER:
        (void)tcp_sock_getopt(s->ts, TCP_OPT_LINGER_ZERO, &v);
        r->value = v ? 0 : s->linger_on ? s->linger_secs : -1;
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

static void do_connect(struct ipc_sock *s, const struct ipc_request *q, int *fd,
                       struct ipc_reply *r)
{
    struct ip_endpoint ep;
    if (s->tomb) {
        r->err = ECONNABORTED;
        return;
    }
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
    if (rc == 0 || tcp_sock_state(s->ts) == TCP_ESTABLISHED) {
        s->connected = true;
        fill_names(s, r);
        return;
    }
    s->connecting = true;
    if (plug(s, *fd) == 0)
        *fd = -1; /* kept until the connection is up */
    r->err = EINPROGRESS;
    fill_names(s, r);
}

static void do_shutdown(struct ipc_sock *s, uint32_t how, struct ipc_reply *r)
{
    if (s->tomb || s->listening || (!s->connected && !s->connecting)) {
        r->err = ENOTCONN;
        return;
    }
    if (s->connecting) {
        /* Linux: shutdown during a connect aborts it (tcp_event follows). */
        r->err = -tcp_sock_shutdown(s->ts, (int)how, ipc_now(s->srv));
        return;
    }
    if (how != 1 && !s->rd_shut) {
        /* SHUT_RD: what is queued stays readable, then EOF; what comes
         * later is acknowledged and dropped (the stack does that). */
        s->rd_shut = true;
        (void)tcp_sock_shutdown(s->ts, 0, ipc_now(s->srv));
        pump_out(s);
    }
    if (how != 0 && !s->wr_shut) {
        /* SHUT_WR: our FIN goes after every byte the application wrote
         * before asking, which are all in our end now (PROTOCOL.md 6.5). */
        int inq = 0;
        if (ioctl(s->fd, FIONREAD, &inq) != 0 || inq < 0)
            inq = 0;
        s->wr_shut = true;
        s->fin_at = s->bytes_to_stack + (uint64_t)inq;
        if (s->app_eof || s->fin_at == s->bytes_to_stack)
            send_fin(s);
        else
            pump_in(s);
    }
}

void ipc_tcp_request(struct ipc_client *c, struct ipc_sock *s, const struct ipc_request *q,
                     int *fd, struct ipc_reply *r)
{
    struct ipc_server *srv = s->srv;
    struct ip_endpoint ep;
    int rc;

    ipc_reply_sock(r, s);
    switch (q->h.type) {
    case IPC_OP_BIND:
        if (s->tomb || s->bound || s->listening || s->connecting || s->connected) {
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
        if (s->tomb || s->connecting || s->connected) {
            r->err = EINVAL;
            break;
        }
        rc = tcp_sock_listen(s->ts, q->u.listen.backlog);
        r->err = -rc;
        if (rc == 0 && !s->listening) {
            s->listening = s->bound = true;
            /* The fd now only carries ACCEPTs: watched for its close and,
             * when an ACCEPT did not fit, for room. */
            ipc_sock_watch(s, 0);
            listener_pump(s);
        }
        fill_names(s, r);
        break;
    case IPC_OP_CONNECT:
        do_connect(s, q, fd, r);
        break;
    case IPC_OP_SHUTDOWN:
        do_shutdown(s, q->u.u32.value, r);
        break;
    case IPC_OP_SETOPT:
        do_setopt(s, &q->u.opt, r);
        break;
    case IPC_OP_GETOPT:
        do_getopt(s, &q->u.opt, r);
        break;
    case IPC_OP_GETNAME:
        fill_names(s, r);
        break;
    case IPC_OP_GETERR:
        /* Never waits (PROTOCOL.md 6.7): 0 while a connect is under way. */
        r->value = s->err != 0 ? s->err : s->ts != NULL ? tcp_sock_error(s->ts) : 0;
        s->err = 0;
        break;
    default:
        r->err = EINVAL;
        break;
    }
    ipc_reply_sock(r, s);
}

/* Linux's TCP state numbers (include/net/tcp_states.h). */
static uint8_t linux_state(enum tcp_state st)
{
    switch (st) {
    case TCP_ESTABLISHED: return 1;
    case TCP_SYN_SENT: return 2;
    case TCP_SYN_RECEIVED: return 3;
    case TCP_FIN_WAIT_1: return 4;
    case TCP_FIN_WAIT_2: return 5;
    case TCP_TIME_WAIT: return 6;
    case TCP_CLOSED: return 7;
    case TCP_CLOSE_WAIT: return 8;
    case TCP_LAST_ACK: return 9;
    case TCP_LISTEN: return 10;
    case TCP_CLOSING: return 11;
    default: return 7;
    }
}

static uint32_t clamp32(uint64_t v)
{
    return v > UINT32_MAX ? UINT32_MAX : (uint32_t)v;
}

static uint32_t age_ms(uint64_t now, uint64_t t)
{
    return t == 0 || t > now ? 0 : clamp32((now - t) / 1000000u);
}

void ipc_tcp_info(struct ipc_sock *s, struct ipc_info *out)
{
    memset(out, 0, sizeof *out);
    out->state = 7; /* CLOSE */
    if (s->ts == NULL)
        return;
    struct tcp_conn_info in;
    uint64_t now = ipc_now(s->srv);
    tcp_sock_info(s->ts, &in);
    out->state = linux_state(in.state);
    out->ca_state = in.in_recovery ? 3 : 0; /* TCP_CA_Recovery, TCP_CA_Open */
    out->retransmits = (uint8_t)(in.retries > 255 ? 255 : in.retries);
    out->probes = (uint8_t)(in.probes > 255 ? 255 : in.probes);
    out->backoff = (uint8_t)(in.backoff > 255 ? 255 : in.backoff);
    out->options = (uint8_t)((in.timestamps ? 1 : 0) | (in.sack ? 2 : 0) |
                             (in.wscale_ok ? 4 : 0));
    out->snd_wscale = in.wscale_ok ? (in.snd_wscale > 14 ? 14 : in.snd_wscale) : 0;
    out->rcv_wscale = in.wscale_ok ? (in.rcv_wscale > 14 ? 14 : in.rcv_wscale) : 0;
    out->rto = clamp32(in.rto_us);
    out->ato = 40000; /* the delayed-ACK time, as Linux reports its minimum */
    out->snd_mss = in.mss;
    out->rcv_mss = in.rcv_mss;
    out->advmss = in.advmss;
    out->unacked = in.unacked;
    out->sacked = in.sacked;
    out->lost = in.lost;
    out->retrans = in.retries;
    out->last_data_sent = age_ms(now, in.last_data_sent_ns);
    out->last_data_recv = age_ms(now, in.last_data_recv_ns);
    out->last_ack_recv = age_ms(now, in.last_ack_recv_ns);
    out->pmtu = in.pmtu;
    out->rcv_ssthresh = in.rcv_wnd;
    out->rtt = clamp32(in.srtt_us);
    out->rttvar = clamp32(in.rttvar_us);
    out->snd_ssthresh = in.snd_ssthresh_segs;
    out->snd_cwnd = in.snd_cwnd_segs;
    out->reordering = in.reordering;
    out->rcv_space = in.rcv_wnd;
    out->total_retrans = clamp32(in.retransmits);
    out->snd_wnd = in.snd_wnd;
    out->rcv_wnd = in.rcv_wnd;
    out->bytes_acked = in.bytes_acked;
    out->bytes_received = in.bytes_received;
    out->segs_out = in.segs_out;
    out->segs_in = in.segs_in;
}

void ipc_tcp_flush(struct ipc_sock *s, uint64_t now)
{
    if (s->held_sock != NULL) {
        close(s->held_fd);
        ipc_sock_kill(s->held_sock, true);
        s->held_sock = NULL;
        s->held_fd = -1;
    }
    if (s->ts == NULL)
        return;
    if (s->abort)
        tcp_sock_abort(s->ts, now);
    else
        tcp_sock_close(s->ts, now);
    s->ts = NULL;
}
