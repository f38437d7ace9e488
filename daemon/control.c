/* control.c - the control channel's libev server (see control.h).
 *
 * Each client is a small struct with its fd, one ev_io (read, then write)
 * and one ev_timer (the whole exchange must finish within
 * CONTROL_CLIENT_TIMEOUT_S). Nothing blocks the loop: the listener and
 * every client are O_NONBLOCK, a request is gathered across reads, and a
 * large reply is written as the socket drains. */
#include "daemon/control.h"

#include <errno.h>
#include <ev.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "daemon/log.h"

#define ACCEPT_BATCH 16

struct control_client {
    struct control *ctl;
    int fd;
    ev_io io;
    ev_timer timer;
    struct ucred cred;
    bool denied;                 /* not root nor our uid: answered with EACCES */
    char req[CONTROL_REQUEST_MAX];
    size_t req_len;
    char *reply;                 /* malloc'd; NULL while reading */
    size_t reply_len, reply_off;
    struct control_client *next;
};

struct control {
    struct ev_loop *loop;
    struct control_env *env;
    int fd;
    ev_io io;
    char path[CONTROL_PATH_MAX];
    dev_t dev;                   /* the socket file we made, to remove only ours */
    ino_t ino;
    struct control_client *clients;
    size_t n_clients;
    /* A descriptor kept free so that tcpipctl is answered even when the
     * daemon's descriptor table is full (clients of the IPC socket used
     * it up): given up for one accept, taken back when a client goes. */
    int reserve_fd;
    ev_timer backoff;            /* accept paused: no fd even with the reserve */
    double emfile_logged_at;
};

#define CONTROL_BACKOFF_SEC 0.1
#define CONTROL_EMFILE_LOG_SEC 5.0

static void reserve_take(struct control *ctl)
{
    if (ctl->reserve_fd < 0)
        ctl->reserve_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
}

static void client_close(struct control_client *cl)
{
    struct control *ctl = cl->ctl;
    ev_io_stop(ctl->loop, &cl->io);
    ev_timer_stop(ctl->loop, &cl->timer);
    close(cl->fd);
    for (struct control_client **p = &ctl->clients; *p != NULL; p = &(*p)->next) {
        if (*p == cl) {
            *p = cl->next;
            break;
        }
    }
    ctl->n_clients--;
    free(cl->reply);
    free(cl);
    reserve_take(ctl);
}

/* Write what the socket takes; close when all is sent or on error. */
static void client_write(struct control_client *cl)
{
    while (cl->reply_off < cl->reply_len) {
        ssize_t n = send(cl->fd, cl->reply + cl->reply_off, cl->reply_len - cl->reply_off,
                         MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EAGAIN)
            return;              /* the io watcher is on EV_WRITE */
        if (n <= 0) {
            log_msg(STACK_LOG_DEBUG, "control: pid %ld: reply not delivered: %s",
                    (long)cl->cred.pid, n < 0 ? strerror(errno) : "short write");
            client_close(cl);
            return;
        }
        cl->reply_off += (size_t)n;
    }
    client_close(cl);
}

/* Switch the client from reading to writing reply (which it owns). */
static void client_reply(struct control_client *cl, char *reply)
{
    struct control *ctl = cl->ctl;
    if (reply == NULL) {
        log_msg(STACK_LOG_ERR, "control: out of memory building a reply");
        client_close(cl);
        return;
    }
    /* One document per connection, ended by a newline so that `nc -U`
     * and shell pipelines see a complete line. */
    size_t len = strlen(reply);
    char *buf = realloc(reply, len + 2);
    if (buf == NULL) {
        free(reply);
        log_msg(STACK_LOG_ERR, "control: out of memory building a reply");
        client_close(cl);
        return;
    }
    buf[len] = '\n';
    buf[len + 1] = '\0';
    cl->reply = buf;
    cl->reply_len = len + 1;
    ev_io_stop(ctl->loop, &cl->io);
    ev_io_set(&cl->io, cl->fd, EV_WRITE);
    ev_io_start(ctl->loop, &cl->io);
    shutdown(cl->fd, SHUT_RD);
    client_write(cl);
}

static void client_request(struct control_client *cl, size_t len)
{
    struct control *ctl = cl->ctl;
    /* Log the request's first word only: a capture path is the client's
     * business and the debug log is not an audit trail. */
    int word = 0;
    while ((size_t)word < len && word < 32 && cl->req[word] != ' ' && cl->req[word] != '\n')
        word++;
    log_msg(STACK_LOG_DEBUG, "control: request \"%.*s\" from pid %ld uid %u gid %u", word,
            cl->req, (long)cl->cred.pid, (unsigned)cl->cred.uid, (unsigned)cl->cred.gid);
    struct timespec ts;
    (void)clock_gettime(CLOCK_MONOTONIC, &ts);
    ctl->env->now_ns = (uint64_t)ts.tv_sec * NS_PER_SEC + (uint64_t)ts.tv_nsec;
    if (cl->denied) {
        char msg[128];
        snprintf(msg, sizeof msg, "permission denied: uid %u is neither root nor tcpipd's uid %u",
                 (unsigned)cl->cred.uid, ctl->env->uid);
        log_msg(STACK_LOG_WARN, "control: refused pid %ld uid %u: not root nor our uid",
                (long)cl->cred.pid, (unsigned)cl->cred.uid);
        client_reply(cl, control_error_reply(EACCES, msg));
        return;
    }
    client_reply(cl, control_handle(ctl->env, cl->req, len));
}

static void client_io(struct ev_loop *loop, ev_io *w, int revents)
{
    (void)loop;
    struct control_client *cl = w->data;
    if (revents & EV_WRITE) {
        client_write(cl);
        return;
    }
    for (int i = 0; i < 4; i++) {
        size_t room = sizeof cl->req - cl->req_len;
        if (room == 0) {
            client_reply(cl, control_error_reply(EMSGSIZE, "request longer than 1023 bytes"));
            return;
        }
        ssize_t n = recv(cl->fd, cl->req + cl->req_len, room, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EAGAIN)
            return;
        if (n < 0) {
            client_close(cl);
            return;
        }
        if (n == 0) {
            /* EOF: a request without its newline still counts
             * (`printf status | nc -U`); nothing at all is just a close. */
            if (cl->req_len == 0) {
                client_close(cl);
                return;
            }
            client_request(cl, cl->req_len);
            return;
        }
        const char *nl = memchr(cl->req + cl->req_len, '\n', (size_t)n);
        cl->req_len += (size_t)n;
        if (nl != NULL) {
            /* Anything after the newline is ignored: one request per
             * connection. */
            client_request(cl, (size_t)(nl - cl->req) + 1);
            return;
        }
    }
}

static void client_timeout(struct ev_loop *loop, ev_timer *w, int revents)
{
    (void)loop;
    (void)revents;
    struct control_client *cl = w->data;
    log_msg(STACK_LOG_DEBUG, "control: pid %ld: no complete exchange within %.0f s; dropped",
            (long)cl->cred.pid, CONTROL_CLIENT_TIMEOUT_S);
    client_close(cl);
}

static void client_new(struct control *ctl, int fd)
{
    struct control_client *cl = calloc(1, sizeof *cl);
    if (cl == NULL) {
        close(fd);
        return;
    }
    cl->ctl = ctl;
    cl->fd = fd;
    socklen_t clen = sizeof cl->cred;
    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cl->cred, &clen) != 0) {
        cl->cred.pid = 0;
        cl->cred.uid = (uid_t)-1;
        cl->cred.gid = (gid_t)-1;
    }
    cl->next = ctl->clients;
    ctl->clients = cl;
    ctl->n_clients++;
    ev_io_init(&cl->io, client_io, fd, EV_READ);
    cl->io.data = cl;
    ev_timer_init(&cl->timer, client_timeout, CONTROL_CLIENT_TIMEOUT_S, 0.0);
    cl->timer.data = cl;
    /* Only root and the daemon's own user for now; the IPC issue brings
     * the configured ACLs. The request is still read (bounded, with the
     * timeout) before the refusal goes out: a client that is answered
     * before it has sent would see EPIPE instead of the reason. */
    cl->denied = cl->cred.uid != 0 && cl->cred.uid != (uid_t)ctl->env->uid;
    ev_timer_start(ctl->loop, &cl->timer);
    ev_io_start(ctl->loop, &cl->io);
}

static void backoff_done(struct ev_loop *loop, ev_timer *w, int revents)
{
    (void)revents;
    struct control *ctl = w->data;
    ev_io_start(loop, &ctl->io);
}

/* accept(2) found no free descriptor: use the one kept in reserve for this
 * client; without it, pause accepting a moment instead of spinning on a
 * level-triggered watcher (one log line per CONTROL_EMFILE_LOG_SEC). */
static int accept_exhausted(struct control *ctl, int err)
{
    double now = ev_now(ctl->loop);
    if (ctl->emfile_logged_at == 0 || now - ctl->emfile_logged_at >= CONTROL_EMFILE_LOG_SEC) {
        log_msg(STACK_LOG_WARN, "control: accept: %s; serving from the reserved descriptor",
                strerror(err));
        ctl->emfile_logged_at = now;
    }
    if (ctl->reserve_fd >= 0) {
        close(ctl->reserve_fd);
        ctl->reserve_fd = -1;
        int fd = accept4(ctl->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd >= 0)
            return fd;
        reserve_take(ctl);
    }
    ev_io_stop(ctl->loop, &ctl->io);
    ev_timer_set(&ctl->backoff, CONTROL_BACKOFF_SEC, 0.);
    ev_timer_start(ctl->loop, &ctl->backoff);
    return -1;
}

static void listener_io(struct ev_loop *loop, ev_io *w, int revents)
{
    (void)loop;
    (void)revents;
    struct control *ctl = w->data;
    for (int i = 0; i < ACCEPT_BATCH; i++) {
        int fd = accept4(ctl->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0 && (errno == EMFILE || errno == ENFILE)) {
            fd = accept_exhausted(ctl, errno);
            if (fd < 0)
                return;
        } else if (fd < 0) {
            if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
                log_msg(STACK_LOG_WARN, "control: accept: %s", strerror(errno));
            return;
        }
        if (ctl->n_clients >= CONTROL_MAX_CLIENTS) {
            /* Bounded: a flood of idle clients costs us nothing more. */
            log_msg(STACK_LOG_WARN, "control: %d clients already; refusing one",
                    CONTROL_MAX_CLIENTS);
            close(fd);
            continue;
        }
        client_new(ctl, fd);
    }
}

/* Is someone listening on path? Decides whether an existing socket file
 * is stale (a crashed daemon's) or live (another tcpipd's). */
static bool socket_is_live(const char *path)
{
    /* Non-blocking: a live daemon with a full backlog answers EAGAIN
     * instead of stalling our start-up. */
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return false;
    struct sockaddr_un sa;
    memset(&sa, 0, sizeof sa);
    sa.sun_family = AF_UNIX;
    memcpy(sa.sun_path, path, strlen(path) + 1);
    bool live = connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0 || errno == EAGAIN;
    close(fd);
    return live;
}

static int prepare_path(const char *path, char *err, size_t errlen)
{
    /* The parent, e.g. /run/tcpipd: systemd's RuntimeDirectory makes it;
     * when run by hand we make the last level. */
    char dir[CONTROL_PATH_MAX];
    memcpy(dir, path, strlen(path) + 1);
    char *slash = strrchr(dir, '/');
    if (slash != NULL && slash != dir) {
        *slash = '\0';
        if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
            int e = errno;
            snprintf(err, errlen, "control: cannot create %s: %s", dir, strerror(e));
            return -e;
        }
    }
    struct stat st;
    if (lstat(path, &st) != 0)
        return errno == ENOENT ? 0 : -errno;
    if (!S_ISSOCK(st.st_mode)) {
        snprintf(err, errlen, "control: %s exists and is not a socket; not replacing it", path);
        return -EEXIST;
    }
    if (socket_is_live(path)) {
        snprintf(err, errlen, "control: %s is in use (another tcpipd running?)", path);
        return -EADDRINUSE;
    }
    log_msg(STACK_LOG_INFO, "control: replacing stale socket %s", path);
    if (unlink(path) != 0 && errno != ENOENT) {
        int e = errno;
        snprintf(err, errlen, "control: cannot remove stale %s: %s", path, strerror(e));
        return -e;
    }
    return 0;
}

struct control *control_start(struct ev_loop *loop, const char *path, unsigned mode,
                              struct control_env *env, char *err, size_t errlen)
{
    if (errlen > 0)
        err[0] = '\0';
    if (path == NULL || path[0] != '/' || strlen(path) >= CONTROL_PATH_MAX) {
        snprintf(err, errlen, "control: path must be absolute and shorter than %d characters",
                 CONTROL_PATH_MAX);
        errno = EINVAL;
        return NULL;
    }
    int rc = prepare_path(path, err, errlen);
    if (rc < 0) {
        if (err[0] == '\0')
            snprintf(err, errlen, "control: %s: %s", path, strerror(-rc));
        errno = -rc;
        return NULL;
    }
    struct control *ctl = calloc(1, sizeof *ctl);
    if (ctl == NULL) {
        snprintf(err, errlen, "control: out of memory");
        errno = ENOMEM;
        return NULL;
    }
    ctl->loop = loop;
    ctl->env = env;
    ctl->reserve_fd = -1;
    reserve_take(ctl);
    ev_timer_init(&ctl->backoff, backoff_done, CONTROL_BACKOFF_SEC, 0.);
    ctl->backoff.data = ctl;
    memcpy(ctl->path, path, strlen(path) + 1);
    ctl->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int e = 0;
    struct sockaddr_un sa;
    memset(&sa, 0, sizeof sa);
    sa.sun_family = AF_UNIX;
    memcpy(sa.sun_path, path, strlen(path) + 1);
    /* The mode is set on the file right after bind; until then the umask
     * keeps it no wider than 0660. */
    mode_t old_umask = umask(0117);
    if (ctl->fd < 0 || bind(ctl->fd, (struct sockaddr *)&sa, sizeof sa) != 0)
        e = errno;
    umask(old_umask);
    struct stat st;
    if (e == 0 && (chmod(path, (mode_t)mode) != 0 || stat(path, &st) != 0))
        e = errno;
    if (e == 0 && listen(ctl->fd, 64) != 0)
        e = errno;
    if (e != 0) {
        snprintf(err, errlen, "control: cannot listen on %s: %s", path, strerror(e));
        if (ctl->fd >= 0)
            close(ctl->fd);
        if (ctl->reserve_fd >= 0)
            close(ctl->reserve_fd);
        free(ctl);
        errno = e;
        return NULL;
    }
    ctl->dev = st.st_dev;
    ctl->ino = st.st_ino;
    ev_io_init(&ctl->io, listener_io, ctl->fd, EV_READ);
    ctl->io.data = ctl;
    ev_io_start(loop, &ctl->io);
    log_msg(STACK_LOG_INFO, "control: listening on %s (mode %04o)", path, mode);
    return ctl;
}

void control_stop(struct control *ctl)
{
    if (ctl == NULL)
        return;
    while (ctl->clients != NULL)
        client_close(ctl->clients);
    ev_io_stop(ctl->loop, &ctl->io);
    ev_timer_stop(ctl->loop, &ctl->backoff);
    close(ctl->fd);
    if (ctl->reserve_fd >= 0)
        close(ctl->reserve_fd);
    /* Remove the file only if it is still the one we made (a newer daemon
     * may have replaced it). */
    struct stat st;
    if (lstat(ctl->path, &st) == 0 && st.st_dev == ctl->dev && st.st_ino == ctl->ino)
        unlink(ctl->path);
    free(ctl);
}
