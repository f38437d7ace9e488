/* ipc_server.c - see ipc_server.h. The listening Unix socket, one control
 * connection per socket (ipc/PROTOCOL.md sections 3 to 6), credentials
 * and the deferred closing of sockets. The limits and the socket table
 * are in ipc_sock.c, the TCP and UDP specifics in ipc_tcp.c, ipc_udp.c. */
#include "daemon/ipc_server.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/random.h>
#include <sys/un.h>
#include <unistd.h>

#include "daemon/ipc_server_int.h"
#include "daemon/log.h"

/* Room for the fds a hostile client may attach to a request: all of them
 * are received, then closed (the kernel drops what does not fit). */
#define IPC_CMSG_FDS 64

uint64_t ipc_now(const struct ipc_server *srv)
{
    return srv->clock(srv->clock_ctx);
}

/* ---- control connections ---- */

static void client_close(struct ipc_client *c, bool abort_sock)
{
    if (c->dead)
        return;
    c->dead = true;
    ev_io_stop(c->srv->loop, &c->io);
    close(c->fd);
    c->fd = -1;
    c->srv->st.clients--;
    struct ipc_sock *s = c->sock;
    c->sock = NULL;
    if (s == NULL)
        return;
    s->ctl = NULL;
    if (abort_sock) {
        /* PROTOCOL.md 3: a malformed message aborts the socket. */
        if (s->fd >= 0)
            shutdown(s->fd, SHUT_RDWR);
        ipc_sock_kill(s, true);
    } else if (s->proto == IPC_PROTO_TCP) {
        ipc_tcp_ctl_gone(s);
    } else if (ipc_fd_hung_up(s->fd)) {
        ipc_sock_kill(s, false);
    }
}

static void client_fail(struct ipc_client *c, const char *why)
{
    log_msg(STACK_LOG_WARN, "ipc: pid %ld uid %lu: %s; closing the connection", (long)c->pid,
            (unsigned long)c->uid, why);
    c->srv->st.protocol_errors++;
    client_close(c, true);
}

int ipc_client_reply(struct ipc_client *c, const struct ipc_reply *r, int fd)
{
    uint8_t buf[IPC_MAX_MSG];
    size_t n = ipc_encode_reply(buf, sizeof buf, r);
    struct iovec iov = {.iov_base = buf, .iov_len = n};
    struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
    union {
        struct cmsghdr h;
        char b[CMSG_SPACE(sizeof(int))];
    } cm;
    if (fd >= 0) {
        memset(&cm, 0, sizeof cm);
        mh.msg_control = cm.b;
        mh.msg_controllen = sizeof cm.b;
        struct cmsghdr *h = CMSG_FIRSTHDR(&mh);
        h->cmsg_level = SOL_SOCKET;
        h->cmsg_type = SCM_RIGHTS;
        h->cmsg_len = CMSG_LEN(sizeof(int));
        memcpy(CMSG_DATA(h), &fd, sizeof fd);
    }
    ssize_t w;
    do {
        w = sendmsg(c->fd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
    } while (w < 0 && errno == EINTR);
    if (w == (ssize_t)n)
        return 0;
    /* One request, one 76-byte reply: a full socket means the client sends
     * requests without reading the replies. */
    client_fail(c, w < 0 ? strerror(errno) : "reply did not fit (client not reading)");
    return -1;
}

static void client_process(struct ipc_client *c);

void ipc_client_resume(struct ipc_client *c, const struct ipc_reply *r)
{
    c->waiting = IPC_WAIT_NONE;
    if (ipc_client_reply(c, r, -1) < 0)
        return;
    ev_io_start(c->srv->loop, &c->io);
    client_process(c);
}

static void sock_open(struct ipc_client *c, const struct ipc_open *o, struct ipc_reply *r)
{
    struct ipc_server *srv = c->srv;
    uint64_t charge = o->proto == IPC_PROTO_UDP ? IPC_UDP_CHARGE : 0;
    int e = ipc_sock_charge_check(srv, c->owner, charge);
    if (e != 0) {
        r->err = e;
        return;
    }
    struct ipc_sock *s = ipc_sock_new(srv, c->owner, o->proto, o->family, charge);
    if (s == NULL) {
        r->err = ENOMEM;
        return;
    }
    int app_fd = -1;
    e = o->proto == IPC_PROTO_TCP ? ipc_tcp_open(s, &app_fd) : ipc_udp_open(s, &app_fd);
    if (e != 0) {
        ipc_sock_kill(s, true);
        r->err = e;
        return;
    }
    s->ctl = c;
    c->sock = s;
    r->sock_id = s->id;
    ipc_ep_unspec(&r->local, o->family);
    (void)ipc_client_reply(c, r, app_fd);
    close(app_fd);
    r->err = -1; /* sent */
}

static void sock_attach(struct ipc_client *c, const struct ipc_attach *a, struct ipc_reply *r)
{
    struct ipc_sock *s = c->srv->socks;
    while (s != NULL && s->id != a->sock_id)
        s = s->next;
    /* A socket that ended is indistinguishable from an unknown id here;
     * PROTOCOL.md 7 wants success + GETERR then, which needs a tombstone:
     * EBADF is the nearest honest answer. */
    if (s == NULL || s->proto != IPC_PROTO_TCP || s->token == 0 || s->token != a->token ||
        s->listening) {
        r->err = EBADF;
        return;
    }
    if (s->attached_once) {
        r->err = EALREADY;
        return;
    }
    s->attached_once = true;
    s->ctl = c;
    c->sock = s;
    r->sock_id = s->id;
}

static void handle_request(struct ipc_client *c, const struct ipc_request *q)
{
    struct ipc_reply r;
    memset(&r, 0, sizeof r);
    uint8_t t = q->h.type;
    if (t == IPC_OP_OPEN || t == IPC_OP_ATTACH) {
        if (c->sock != NULL)
            r.err = EINVAL; /* PROTOCOL.md 5: only on a fresh connection */
        else if (t == IPC_OP_OPEN)
            sock_open(c, &q->u.open, &r);
        else
            sock_attach(c, &q->u.attach, &r);
    } else if (c->sock == NULL) {
        r.err = EBADF;
    } else {
        r.sock_id = c->sock->id;
        if (c->sock->proto == IPC_PROTO_TCP)
            ipc_tcp_request(c, q, &r);
        else
            ipc_udp_request(c, q, &r);
    }
    if (r.err >= 0 && c->waiting == IPC_WAIT_NONE && !c->dead)
        (void)ipc_client_reply(c, &r, -1);
}

/* Decode and answer every whole request in c->in, unless one waits. */
static void client_process(struct ipc_client *c)
{
    for (int guard = 0; guard < IPC_MAX_MSG && !c->dead && c->waiting == IPC_WAIT_NONE &&
                        c->in_len > 0; guard++) {
        struct ipc_request q;
        int n = ipc_decode_request(c->in, c->in_len, &q);
        if (n == IPC_ETRUNC)
            return;
        if (n == IPC_EVERSION) {
            /* PROTOCOL.md 4: one reply in our version, then close. */
            struct ipc_reply r;
            memset(&r, 0, sizeof r);
            r.err = EPROTONOSUPPORT;
            log_msg(STACK_LOG_INFO, "ipc: pid %ld uid %lu: protocol version %u not spoken",
                    (long)c->pid, (unsigned long)c->uid, (unsigned)c->in[4]);
            if (ipc_client_reply(c, &r, -1) == 0)
                client_close(c, true);
            return;
        }
        if (n < 0) {
            client_fail(c, ipc_strerror(n));
            return;
        }
        memmove(c->in, c->in + n, c->in_len - (size_t)n);
        c->in_len -= (size_t)n;
        handle_request(c, &q);
    }
    /* While a request waits, reading goes on (to see the client hang up)
     * but nothing more is decoded until its reply is sent. */
}

/* Read what the client sent; any fd it attached is closed (no request
 * carries one: a client passing fds is buggy or probing for a leak). */
static void client_readable(struct ev_loop *loop, ev_io *w, int revents)
{
    (void)loop;
    (void)revents;
    struct ipc_client *c = w->data;
    union {
        struct cmsghdr h;
        char b[CMSG_SPACE(sizeof(int) * IPC_CMSG_FDS)];
    } cm;
    uint8_t drain[IPC_MAX_MSG];
    bool refused = c->refused;
    if (!refused && c->in_len == sizeof c->in) {
        /* Only while a request waits: the client pipelines more than a
         * whole message; read again once the wait is over. */
        ev_io_stop(c->srv->loop, &c->io);
        return;
    }
    struct iovec iov = {.iov_base = refused ? drain : c->in + c->in_len,
                        .iov_len = refused ? sizeof drain : sizeof c->in - c->in_len};
    struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = cm.b,
                        .msg_controllen = sizeof cm.b};
    ssize_t n = recvmsg(c->fd, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
    if (n < 0 && (errno == EAGAIN || errno == EINTR))
        return;
    int passed = 0;
    for (struct cmsghdr *h = CMSG_FIRSTHDR(&mh); n >= 0 && h != NULL; h = CMSG_NXTHDR(&mh, h)) {
        if (h->cmsg_level != SOL_SOCKET || h->cmsg_type != SCM_RIGHTS)
            continue;
        size_t k = (h->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        for (size_t i = 0; i < k; i++) {
            int fd;
            memcpy(&fd, CMSG_DATA(h) + i * sizeof(int), sizeof fd);
            close(fd);
            passed++;
        }
    }
    if (n <= 0) {
        if (n < 0)
            log_msg(STACK_LOG_DEBUG, "ipc: pid %ld: read: %s", (long)c->pid, strerror(errno));
        if (c->in_len > 0 && n == 0 && !refused)
            client_fail(c, "connection closed in the middle of a request");
        else
            client_close(c, false);
        return;
    }
    if (refused) {
        struct ipc_reply r;
        memset(&r, 0, sizeof r);
        r.err = EACCES;
        if (ipc_client_reply(c, &r, -1) == 0)
            client_close(c, false);
        return;
    }
    if (passed > 0 || (mh.msg_flags & MSG_CTRUNC) != 0) {
        client_fail(c, "file descriptors attached to a request (closed)");
        return;
    }
    c->in_len += (size_t)n;
    client_process(c);
}

static bool creds_allowed(const struct ipc_server *srv, uid_t uid, gid_t gid)
{
    const struct conf_ipc *cfg = &srv->cfg;
    /* No lists: root and the daemon's own user, like a 0600 socket file. */
    if (cfg->n_allow_uids == 0 && cfg->n_allow_gids == 0)
        return uid == 0 || uid == srv->self_uid;
    for (size_t i = 0; i < cfg->n_allow_uids; i++)
        if (cfg->allow_uids[i] == (uint32_t)uid)
            return true;
    for (size_t i = 0; i < cfg->n_allow_gids; i++)
        if (cfg->allow_gids[i] == (uint32_t)gid)
            return true;
    return false;
}

static void server_accept(struct ev_loop *loop, ev_io *w, int revents)
{
    (void)revents;
    struct ipc_server *srv = w->data;
    for (int i = 0; i < 64; i++) {
        int fd = accept4(srv->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
                log_msg(STACK_LOG_WARN, "ipc: accept: %s", strerror(errno));
            return;
        }
        struct ucred cr;
        socklen_t len = sizeof cr;
        if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) != 0) {
            log_msg(STACK_LOG_WARN, "ipc: SO_PEERCRED: %s", strerror(errno));
            close(fd);
            continue;
        }
        struct ipc_client *c = calloc(1, sizeof *c);
        struct ipc_owner *o = c != NULL ? ipc_owner_get(srv, cr.pid, cr.uid) : NULL;
        if (o == NULL) {
            log_msg(STACK_LOG_WARN, "ipc: pid %ld: out of memory", (long)cr.pid);
            free(c);
            close(fd);
            continue;
        }
        c->srv = srv;
        c->fd = fd;
        c->pid = cr.pid;
        c->uid = cr.uid;
        c->gid = cr.gid;
        c->owner = o;
        c->refused = !creds_allowed(srv, cr.uid, cr.gid);
        if (c->refused) {
            srv->st.clients_refused++;
            log_msg(STACK_LOG_WARN, "ipc: pid %ld uid %lu gid %lu not allowed (ipc.allow_uids, "
                    "ipc.allow_gids): EACCES", (long)cr.pid, (unsigned long)cr.uid,
                    (unsigned long)cr.gid);
        }
        ev_io_init(&c->io, client_readable, fd, EV_READ);
        c->io.data = c;
        ev_io_start(loop, &c->io);
        c->next = srv->clients;
        srv->clients = c;
        srv->st.clients++;
        srv->st.clients_total++;
    }
}

/* Sockets without a control connection whose data fd is no longer read
 * (backpressure, or after EOF) would not notice the application closing
 * it: look for POLLHUP now and then. */
static void sweep(struct ev_loop *loop, ev_timer *w, int revents)
{
    (void)loop;
    (void)revents;
    struct ipc_server *srv = w->data;
    struct ipc_sock *next;
    for (struct ipc_sock *s = srv->socks; s != NULL; s = next) {
        next = s->next;
        if (s->ctl == NULL && !s->dead && ipc_fd_hung_up(s->fd)) {
            s->hup = true;
            if (s->proto == IPC_PROTO_TCP)
                ipc_tcp_ctl_gone(s);
            else
                ipc_sock_kill(s, false);
        }
    }
}

void ipc_server_flush(struct ipc_server *srv, uint64_t now)
{
    if (srv == NULL)
        return;
    while (srv->closing != NULL) {
        struct ipc_sock *s = srv->closing;
        srv->closing = s->next;
        if (s->proto == IPC_PROTO_TCP)
            ipc_tcp_flush(s, now);
        else if (s->us != NULL)
            udp_sock_close(s->us);
        ipc_owner_put(srv, s->owner);
        free(s->pend);
        free(s);
    }
    struct ipc_client **pp = &srv->clients;
    while (*pp != NULL) {
        struct ipc_client *c = *pp;
        if (c->dead) {
            *pp = c->next;
            ipc_owner_put(srv, c->owner);
            free(c);
        } else {
            pp = &c->next;
        }
    }
    if (srv->socket_freed) {
        srv->socket_freed = false;
        ipc_tcp_resume_listeners(srv);
    }
}

/* Bind path; a socket file nobody answers on (a daemon that died) is
 * replaced, a live one is left alone. */
static int listen_unix(struct ipc_server *srv, char *err, size_t errlen)
{
    struct sockaddr_un sa;
    memset(&sa, 0, sizeof sa);
    sa.sun_family = AF_UNIX;
    snprintf(sa.sun_path, sizeof sa.sun_path, "%s", srv->cfg.path);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        snprintf(err, errlen, "ipc: socket: %s", strerror(errno));
        return -1;
    }
    if (bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0 && errno == EADDRINUSE) {
        int probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        int rc = probe < 0 ? -1 : connect(probe, (struct sockaddr *)&sa, sizeof sa);
        int e = errno;
        if (probe >= 0)
            close(probe);
        if (rc == 0) {
            snprintf(err, errlen, "ipc.path: %s: another daemon is listening there", sa.sun_path);
            close(fd);
            return -1;
        }
        if (e == ECONNREFUSED)
            unlink(sa.sun_path);
        errno = EADDRINUSE;
        if (bind(fd, (struct sockaddr *)&sa, sizeof sa) == 0)
            errno = 0;
    } else {
        errno = 0;
    }
    if (errno != 0) {
        snprintf(err, errlen, "ipc.path: %s: cannot bind: %s", sa.sun_path, strerror(errno));
        close(fd);
        return -1;
    }
    srv->path_created = true;
    srv->fd = fd;
    if (chmod(sa.sun_path, (mode_t)srv->cfg.mode) != 0 ||
        ((srv->cfg.has_owner || srv->cfg.has_group) &&
         chown(sa.sun_path, srv->cfg.has_owner ? (uid_t)srv->cfg.owner : (uid_t)-1,
               srv->cfg.has_group ? (gid_t)srv->cfg.group : (gid_t)-1) != 0)) {
        snprintf(err, errlen, "ipc.path: %s: cannot set owner/mode: %s", sa.sun_path,
                 strerror(errno));
        return -1;
    }
    if (listen(fd, 128) != 0) {
        snprintf(err, errlen, "ipc.path: %s: listen: %s", sa.sun_path, strerror(errno));
        return -1;
    }
    return 0;
}

struct ipc_server *ipc_server_start(struct ev_loop *loop, struct stack *stack,
                                    const struct conf_ipc *cfg, ipc_clock_fn clock,
                                    void *clock_ctx, char *err, size_t errlen)
{
    struct ipc_server *srv = calloc(1, sizeof *srv);
    if (srv == NULL) {
        snprintf(err, errlen, "ipc: out of memory");
        return NULL;
    }
    srv->loop = loop;
    srv->stack = stack;
    srv->cfg = *cfg;
    srv->clock = clock;
    srv->clock_ctx = clock_ctx;
    srv->self_uid = geteuid();
    srv->fd = -1;
    /* One draw for the life of the server: a socket's ATTACH token is
     * SipHash(key, id), as unguessable as a draw per socket, without a
     * getrandom(2) per accepted connection. */
    srv->token_key_set =
        getrandom(srv->token_key, sizeof srv->token_key, 0) == (ssize_t)sizeof srv->token_key;
    /* The runtime directory is systemd's (RuntimeDirectory=) when run as a
     * service; create its last level otherwise. */
    char dir[CONF_IPC_PATH_MAX];
    snprintf(dir, sizeof dir, "%s", cfg->path);
    char *slash = strrchr(dir, '/');
    if (slash != NULL && slash != dir) {
        *slash = '\0';
        if (mkdir(dir, 0755) != 0 && errno != EEXIST)
            log_msg(STACK_LOG_WARN, "ipc: cannot create %s: %s", dir, strerror(errno));
    }
    if (listen_unix(srv, err, errlen) != 0) {
        ipc_server_stop(srv);
        return NULL;
    }
    ev_io_init(&srv->io, server_accept, srv->fd, EV_READ);
    srv->io.data = srv;
    ev_io_start(loop, &srv->io);
    ev_timer_init(&srv->sweep, sweep, IPC_HUP_SWEEP_SEC, IPC_HUP_SWEEP_SEC);
    srv->sweep.data = srv;
    ev_timer_start(loop, &srv->sweep);
    /* Do not keep the loop alive for the sweep alone. */
    ev_unref(loop);
    log_msg(STACK_LOG_INFO, "ipc: listening on %s (mode %04o)", cfg->path, (unsigned)cfg->mode);
    return srv;
}

void ipc_server_stop(struct ipc_server *srv)
{
    if (srv == NULL)
        return;
    while (srv->socks != NULL) {
        struct ipc_sock *s = srv->socks;
        if (s->ctl != NULL)
            client_close(s->ctl, false);
        if (!s->dead && srv->socks == s)
            ipc_sock_kill(s, false);
    }
    for (struct ipc_client *c = srv->clients; c != NULL; c = c->next)
        client_close(c, false);
    ipc_server_flush(srv, ipc_now(srv));
    if (srv->fd >= 0) {
        ev_io_stop(srv->loop, &srv->io);
        if (ev_is_active(&srv->sweep)) {
            ev_ref(srv->loop);
            ev_timer_stop(srv->loop, &srv->sweep);
        }
        close(srv->fd);
    }
    if (srv->path_created)
        unlink(srv->cfg.path);
    free(srv);
}

void ipc_server_set_self_uid(struct ipc_server *srv, uid_t uid)
{
    if (srv != NULL)
        srv->self_uid = uid;
}

bool ipc_server_reconfigure(struct ipc_server *srv, const struct conf_ipc *cfg)
{
    if (srv == NULL)
        return false;
    /* Who may connect and the limits apply from the next request on; the
     * socket file itself (path, owner, group, mode) stays as it was made. */
    struct conf_ipc *c = &srv->cfg;
    bool file_changed = strcmp(c->path, cfg->path) != 0 || c->mode != cfg->mode ||
                        c->has_owner != cfg->has_owner || c->has_group != cfg->has_group ||
                        (cfg->has_owner && c->owner != cfg->owner) ||
                        (cfg->has_group && c->group != cfg->group);
    memcpy(c->allow_uids, cfg->allow_uids, sizeof c->allow_uids);
    c->n_allow_uids = cfg->n_allow_uids;
    memcpy(c->allow_gids, cfg->allow_gids, sizeof c->allow_gids);
    c->n_allow_gids = cfg->n_allow_gids;
    memcpy(c->privileged_port_uids, cfg->privileged_port_uids, sizeof c->privileged_port_uids);
    c->n_privileged_port_uids = cfg->n_privileged_port_uids;
    c->max_sockets_per_client = cfg->max_sockets_per_client;
    c->max_sockets = cfg->max_sockets;
    c->max_buffer_per_client = cfg->max_buffer_per_client;
    return !file_changed;
}
