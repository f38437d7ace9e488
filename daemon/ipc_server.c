/* ipc_server.c - see ipc_server.h. The listening Unix socket, sessions
 * (ipc/PROTOCOL.md sections 3 to 6): credentials, the limits on sessions,
 * reading requests with the data fd that names their socket, replies;
 * and the deferred closing of sockets. The socket table and the data fds
 * are in ipc_sock.c, TCP and UDP in ipc_tcp.c, ipc_udp.c. */
#include "daemon/ipc_server.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "daemon/ipc_server_int.h"
#include "daemon/log.h"

/* Room for the fds a hostile client may attach to a request: all of them
 * are received, then closed (the kernel drops what does not fit). */
#define IPC_CMSG_FDS 16
/* After accept(2) found no free descriptor: pause this long. */
#define IPC_BACKOFF_SEC 0.1
/* One log line about descriptor exhaustion per this many seconds at most. */
#define IPC_EMFILE_LOG_SEC 5.0

/* ---- per-uid session counts ---- */

static struct ipc_uid_use *uid_use(struct ipc_server *srv, uid_t uid, bool create)
{
    for (struct ipc_uid_use *u = srv->uids; u != NULL; u = u->next)
        if (u->uid == uid)
            return u;
    if (!create)
        return NULL;
    struct ipc_uid_use *u = calloc(1, sizeof *u);
    if (u == NULL)
        return NULL;
    u->uid = uid;
    u->next = srv->uids;
    srv->uids = u;
    return u;
}

static void uid_use_put(struct ipc_server *srv, uid_t uid, bool was_pending)
{
    struct ipc_uid_use *u = uid_use(srv, uid, false);
    if (u == NULL)
        return;
    u->clients--;
    if (was_pending)
        u->pending--;
    if (u->clients > 0)
        return;
    for (struct ipc_uid_use **pp = &srv->uids; *pp != NULL; pp = &(*pp)->next)
        if (*pp == u) {
            *pp = u->next;
            break;
        }
    free(u);
}

static void client_unpend(struct ipc_client *c)
{
    if (!c->pending)
        return;
    c->pending = false;
    c->srv->pending--;
    struct ipc_uid_use *u = uid_use(c->srv, c->uid, false);
    if (u != NULL)
        u->pending--;
}

/* ---- sessions ---- */

static void client_close(struct ipc_client *c)
{
    if (c->dead)
        return;
    struct ipc_server *srv = c->srv;
    c->dead = true;
    ev_io_stop(srv->loop, &c->io);
    close(c->fd);
    c->fd = -1;
    if (c->in_fd >= 0)
        close(c->in_fd);
    c->in_fd = -1;
    bool was_pending = c->pending;
    if (c->pending) {
        c->pending = false;
        srv->pending--;
    }
    uid_use_put(srv, c->uid, was_pending);
    srv->st.clients--;
}

static void client_fail(struct ipc_client *c, const char *why)
{
    log_msg(STACK_LOG_WARN, "ipc: pid %ld uid %lu: %s; closing the session", (long)c->pid,
            (unsigned long)c->uid, why);
    c->srv->st.protocol_errors++;
    client_close(c);
}

/* Send one message (a REPLY or an INFO), with fd attached if fd >= 0.
 * 0, or -1: the client is then closed (it does not read its replies). */
static int client_send(struct ipc_client *c, const uint8_t *buf, size_t n, int fd)
{
    struct iovec iov = {.iov_base = (void *)buf, .iov_len = n};
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
    /* One request, one reply at most 144 bytes: a full socket means the
     * client sends requests without reading the replies. */
    client_fail(c, w < 0 ? strerror(errno) : "reply did not fit (client not reading)");
    return -1;
}

static int client_reply(struct ipc_client *c, const struct ipc_reply *r, int fd)
{
    uint8_t buf[IPC_MAX_MSG];
    size_t n = ipc_encode_reply(buf, sizeof buf, r);
    return client_send(c, buf, n, fd);
}

/* A refusal before any request (limits, credentials): the reply, then
 * close. No fd of the client's is kept a moment longer than this. */
static void refuse_fd(int fd, int err)
{
    uint8_t buf[IPC_MAX_MSG];
    struct ipc_reply r;
    memset(&r, 0, sizeof r);
    r.err = err;
    size_t n = ipc_encode_reply(buf, sizeof buf, &r);
    (void)send(fd, buf, n, MSG_NOSIGNAL | MSG_DONTWAIT);
    close(fd);
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
    ipc_reply_sock(r, s);
    ipc_ep_unspec(&r->local, o->family);
    (void)client_reply(c, r, app_fd);
    close(app_fd);
    r->err = -1; /* sent */
}

static void sock_request(struct ipc_client *c, struct ipc_sock *s, const struct ipc_request *q,
                         int *fd, struct ipc_reply *r)
{
    if (q->h.type == IPC_OP_GETINFO) {
        struct ipc_info info;
        if (s->proto != IPC_PROTO_TCP) {
            r->err = ENOPROTOOPT;
            return;
        }
        ipc_tcp_info(s, &info);
        uint8_t buf[IPC_MAX_MSG];
        size_t n = ipc_encode_info(buf, sizeof buf, &info);
        (void)client_send(c, buf, n, -1);
        r->err = -1; /* sent */
        return;
    }
    if (q->h.type == IPC_OP_LOOKUP) {
        /* The reply's socket fields are the answer; the names too. */
        struct ipc_request g = *q;
        g.h.type = IPC_OP_GETNAME;
        if (s->proto == IPC_PROTO_TCP)
            ipc_tcp_request(c, s, &g, fd, r);
        else
            ipc_udp_request(c, s, &g, r);
        return;
    }
    if (s->proto == IPC_PROTO_TCP)
        ipc_tcp_request(c, s, q, fd, r);
    else
        ipc_udp_request(c, s, q, r);
}

/* Answer one request. fd: what came with it (-1 if nothing); consumed. */
static void handle_request(struct ipc_client *c, const struct ipc_request *q, int fd)
{
    struct ipc_reply r;
    memset(&r, 0, sizeof r);
    client_unpend(c);
    if (q->h.type == IPC_OP_OPEN) {
        if (fd >= 0) {
            close(fd);
            client_fail(c, "a file descriptor attached to OPEN");
            return;
        }
        sock_open(c, &q->u.open, &r);
    } else if (fd < 0) {
        r.err = EBADF; /* PROTOCOL.md 5: the request names no socket */
    } else {
        struct ipc_sock *s = ipc_sock_by_fd(c->srv, fd);
        if (s == NULL)
            r.err = ENOTSOCK; /* not a socket of this daemon */
        else
            sock_request(c, s, q, &fd, &r);
    }
    if (fd >= 0)
        close(fd);
    if (r.err >= 0 && !c->dead)
        (void)client_reply(c, &r, -1);
}

/* Decode and answer the request in c->in once it is whole. A session has
 * one request in flight at a time (PROTOCOL.md 5): bytes past it are a
 * client that does not wait for its replies, which would also make it
 * ambiguous which request a passed fd belongs to. */
static void client_process(struct ipc_client *c)
{
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
        if (client_reply(c, &r, -1) == 0)
            client_close(c);
        return;
    }
    if (n < 0) {
        client_fail(c, ipc_strerror(n));
        return;
    }
    if ((size_t)n != c->in_len) {
        client_fail(c, "a request sent before the reply to the previous one was read");
        return;
    }
    int fd = c->in_fd;
    c->in_fd = -1;
    c->in_len = 0;
    handle_request(c, &q, fd);
}

/* Take the fds that came with a read: at most one per request. false: the
 * client sent more (a protocol error; all of them are closed). */
static bool take_fds(struct ipc_client *c, struct msghdr *mh)
{
    bool ok = (mh->msg_flags & MSG_CTRUNC) == 0;
    for (struct cmsghdr *h = CMSG_FIRSTHDR(mh); h != NULL; h = CMSG_NXTHDR(mh, h)) {
        if (h->cmsg_level != SOL_SOCKET || h->cmsg_type != SCM_RIGHTS)
            continue;
        size_t k = (h->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        for (size_t i = 0; i < k; i++) {
            int fd;
            memcpy(&fd, CMSG_DATA(h) + i * sizeof(int), sizeof fd);
            if (ok && c->in_fd < 0) {
                c->in_fd = fd;
            } else {
                close(fd);
                ok = false;
            }
        }
    }
    return ok;
}

static void client_readable(struct ev_loop *loop, ev_io *w, int revents)
{
    (void)loop;
    (void)revents;
    struct ipc_client *c = w->data;
    union {
        struct cmsghdr h;
        char b[CMSG_SPACE(sizeof(int) * IPC_CMSG_FDS)];
    } cm;
    /* At most what completes the request being read: a client that
     * pipelines shows up as bytes past it (client_process). */
    size_t want = sizeof c->in - c->in_len;
    if (want == 0) {
        client_fail(c, "request buffer full");
        return;
    }
    struct iovec iov = {.iov_base = c->in + c->in_len, .iov_len = want};
    struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = cm.b,
                        .msg_controllen = sizeof cm.b};
    ssize_t n = recvmsg(c->fd, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
    if (n < 0 && (errno == EAGAIN || errno == EINTR))
        return;
    bool fds_ok = n >= 0 ? take_fds(c, &mh) : true;
    if (n <= 0) {
        if (n < 0)
            log_msg(STACK_LOG_DEBUG, "ipc: pid %ld: read: %s", (long)c->pid, strerror(errno));
        if (c->in_len > 0 && n == 0)
            client_fail(c, "session closed in the middle of a request");
        else
            client_close(c);
        return;
    }
    if (!fds_ok) {
        client_fail(c, "more than one file descriptor attached to a request (closed)");
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

/* The limits on sessions (PROTOCOL.md 8): 0 or the errno to refuse with. */
static int session_limits(struct ipc_server *srv, uid_t uid)
{
    struct ipc_uid_use *u = uid_use(srv, uid, false);
    uint32_t clients = u != NULL ? u->clients : 0, pending = u != NULL ? u->pending : 0;
    if (srv->st.clients >= srv->cfg.max_clients || srv->pending >= IPC_MAX_PENDING)
        return ENFILE;
    if (clients >= srv->cfg.max_clients_per_uid || pending >= IPC_MAX_PENDING_PER_UID)
        return EMFILE;
    return 0;
}

static void new_session(struct ipc_server *srv, int fd)
{
    struct ucred cr;
    socklen_t len = sizeof cr;
    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) != 0) {
        log_msg(STACK_LOG_WARN, "ipc: SO_PEERCRED: %s", strerror(errno));
        close(fd);
        return;
    }
    if (!creds_allowed(srv, cr.uid, cr.gid)) {
        srv->st.clients_refused++;
        log_msg(STACK_LOG_WARN, "ipc: pid %ld uid %lu gid %lu not allowed (ipc.allow_uids, "
                "ipc.allow_gids): EACCES", (long)cr.pid, (unsigned long)cr.uid,
                (unsigned long)cr.gid);
        refuse_fd(fd, EACCES);
        return;
    }
    int lim = session_limits(srv, cr.uid);
    if (lim != 0) {
        srv->st.clients_limited++;
        log_msg(STACK_LOG_DEBUG, "ipc: pid %ld uid %lu: session refused: %s", (long)cr.pid,
                (unsigned long)cr.uid, strerror(lim));
        refuse_fd(fd, lim);
        return;
    }
    struct ipc_client *c = calloc(1, sizeof *c);
    struct ipc_uid_use *u = c != NULL ? uid_use(srv, cr.uid, true) : NULL;
    struct ipc_owner *o = u != NULL ? ipc_owner_get(srv, cr.pid, cr.uid) : NULL;
    if (o == NULL) {
        log_msg(STACK_LOG_WARN, "ipc: pid %ld: out of memory", (long)cr.pid);
        free(c);
        refuse_fd(fd, ENOMEM);
        return;
    }
    u->clients++;
    u->pending++;
    srv->pending++;
    c->srv = srv;
    c->fd = fd;
    c->in_fd = -1;
    c->pid = cr.pid;
    c->uid = cr.uid;
    c->gid = cr.gid;
    c->owner = o;
    c->pending = true;
    c->since = ev_now(srv->loop);
    ev_io_init(&c->io, client_readable, fd, EV_READ);
    c->io.data = c;
    ev_io_start(srv->loop, &c->io);
    c->next = srv->clients;
    srv->clients = c;
    srv->st.clients++;
    srv->st.clients_total++;
    if (!ev_is_active(&srv->pending_timer)) {
        ev_timer_set(&srv->pending_timer, srv->cfg.pending_timeout_ms / 1000.0, 0.);
        ev_timer_start(srv->loop, &srv->pending_timer);
    }
}

static void backoff_done(struct ev_loop *loop, ev_timer *w, int revents)
{
    (void)revents;
    struct ipc_server *srv = w->data;
    ev_io_start(loop, &srv->io);
}

/* accept(2) found the descriptor table full (ours or the system's). The
 * waiting client must not hang, and the level-triggered watcher must not
 * spin: with the fd kept in reserve for this moment, take the client,
 * tell it ENFILE and close it; then pause accepting a little (as nginx
 * does), logging once per IPC_EMFILE_LOG_NS. */
static void accept_exhausted(struct ipc_server *srv, int err)
{
    srv->st.accept_fd_exhausted++;
    srv->emfile_count++;
    double now = ev_now(srv->loop);
    if (srv->emfile_logged_at == 0 || now - srv->emfile_logged_at >= IPC_EMFILE_LOG_SEC) {
        log_msg(STACK_LOG_WARN, "ipc: accept: %s (%llu times); refusing clients with ENFILE "
                "for a moment (raise LimitNOFILE, or lower ipc.max_sockets)", strerror(err),
                (unsigned long long)srv->emfile_count);
        srv->emfile_logged_at = now;
        srv->emfile_count = 0;
    }
    if (srv->reserve_fd >= 0) {
        close(srv->reserve_fd);
        srv->reserve_fd = -1;
        int fd = accept4(srv->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd >= 0)
            refuse_fd(fd, ENFILE);
        srv->reserve_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    }
    ev_io_stop(srv->loop, &srv->io);
    ev_timer_set(&srv->backoff, IPC_BACKOFF_SEC, 0.);
    ev_timer_start(srv->loop, &srv->backoff);
}

static void server_accept(struct ev_loop *loop, ev_io *w, int revents)
{
    (void)loop;
    (void)revents;
    struct ipc_server *srv = w->data;
    for (int i = 0; i < 64; i++) {
        int fd = accept4(srv->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM)
                accept_exhausted(srv, errno);
            else if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
                log_msg(STACK_LOG_WARN, "ipc: accept: %s", strerror(errno));
            return;
        }
        if (srv->reserve_fd < 0)
            srv->reserve_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
        new_session(srv, fd);
    }
}

/* Sessions that have not sent a request within pending_timeout_ms. */
static void pending_expire(struct ev_loop *loop, ev_timer *w, int revents)
{
    (void)revents;
    struct ipc_server *srv = w->data;
    /* The loop's own clock, as the timer's (the stack's may be a test's). */
    double now = ev_now(loop);
    double limit = srv->cfg.pending_timeout_ms / 1000.0;
    double next = 0;
    for (struct ipc_client *c = srv->clients; c != NULL; c = c->next) {
        if (c->dead || !c->pending)
            continue;
        if (now - c->since >= limit) {
            srv->st.clients_timed_out++;
            log_msg(STACK_LOG_DEBUG, "ipc: pid %ld uid %lu: no request within %u ms; closing",
                    (long)c->pid, (unsigned long)c->uid, srv->cfg.pending_timeout_ms);
            client_close(c);
        } else if (next == 0 || c->since + limit - now < next) {
            next = c->since + limit - now;
        }
    }
    if (next > 0) {
        ev_timer_set(w, next + 0.001, 0.);
        ev_timer_start(loop, w);
    }
}

void ipc_server_flush(struct ipc_server *srv, uint64_t now)
{
    if (srv == NULL)
        return;
    /* Tombs' stack sockets first: a tomb may also be on the closing list
     * (evicted), which frees it. */
    while (srv->burying != NULL) {
        struct ipc_sock *s = srv->burying;
        srv->burying = s->bury_next;
        s->bury_next = NULL;
        if (s->ts != NULL)
            tcp_sock_close(s->ts, now);
        s->ts = NULL;
    }
    while (srv->closing != NULL) {
        struct ipc_sock *s = srv->closing;
        srv->closing = s->next;
        if (s->proto == IPC_PROTO_TCP)
            ipc_tcp_flush(s, now);
        else if (s->us != NULL)
            udp_sock_close(s->us);
        ipc_owner_put(srv, s->owner);
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
    /* The backlog is where clients wait while we are busy: as deep as the
     * kernel allows (somaxconn caps it). */
    if (listen(fd, 4096) != 0) {
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
    srv->ep = -1;
    srv->reserve_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    ev_timer_init(&srv->backoff, backoff_done, IPC_BACKOFF_SEC, 0.);
    srv->backoff.data = srv;
    ev_timer_init(&srv->pending_timer, pending_expire, 1., 0.);
    srv->pending_timer.data = srv;
    if (ipc_ep_start(srv) != 0) {
        snprintf(err, errlen, "ipc: epoll_create1: %s", strerror(errno));
        ipc_server_stop(srv);
        return NULL;
    }
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
    log_msg(STACK_LOG_INFO, "ipc: listening on %s (mode %04o)", cfg->path, (unsigned)cfg->mode);
    return srv;
}

void ipc_server_stop(struct ipc_server *srv)
{
    if (srv == NULL)
        return;
    while (srv->socks != NULL)
        ipc_sock_kill(srv->socks, false);
    while (srv->tombs != NULL)
        ipc_sock_kill(srv->tombs, false);
    for (struct ipc_client *c = srv->clients; c != NULL; c = c->next)
        client_close(c);
    ipc_server_flush(srv, ipc_now(srv));
    ev_timer_stop(srv->loop, &srv->backoff);
    ev_timer_stop(srv->loop, &srv->pending_timer);
    if (srv->fd >= 0) {
        ev_io_stop(srv->loop, &srv->io);
        close(srv->fd);
    }
    ipc_ep_stop(srv);
    if (srv->reserve_fd >= 0)
        close(srv->reserve_fd);
    if (srv->path_created)
        unlink(srv->cfg.path);
    free(srv->hash);
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
    c->max_clients = cfg->max_clients;
    c->max_clients_per_uid = cfg->max_clients_per_uid;
    c->pending_timeout_ms = cfg->pending_timeout_ms;
    return !file_changed;
}

void ipc_server_clamp_sockets(struct ipc_server *srv, uint32_t max_sockets)
{
    if (srv != NULL && srv->cfg.max_sockets > max_sockets)
        srv->cfg.max_sockets = max_sockets;
}
