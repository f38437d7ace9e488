/* notify.c - see notify.h. The protocol is small enough that linking
 * libsystemd for it would cost more than it saves: one datagram socket,
 * one sendto() per state change. */
#include "daemon/notify.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

bool notify_enabled(const struct notify *n)
{
    return n->active;
}

/* Parse a decimal unsigned number that is all digits; false otherwise. */
static bool parse_u64(const char *s, uint64_t *out)
{
    if (s == NULL || *s < '0' || *s > '9')
        return false;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno != 0 || *end != '\0')
        return false;
    *out = (uint64_t)v;
    return true;
}

/* NOTIFY_SOCKET -> sockaddr_un. "/path" is a file system socket, "@name"
 * an abstract one (the '@' stands for the leading NUL byte; the length,
 * not a terminator, delimits the name). */
static int parse_address(struct notify *n, const char *path, char *err, size_t errlen)
{
    size_t len = strlen(path);
    if (path[0] != '/' && path[0] != '@') {
        snprintf(err, errlen, "NOTIFY_SOCKET \"%.64s\" is neither an absolute path nor an @abstract name",
                 path);
        return -1;
    }
    if (len < 2 || len > sizeof n->addr.sun_path - 1) {
        snprintf(err, errlen, "NOTIFY_SOCKET \"%.64s\" has a bad length (%zu)", path, len);
        return -1;
    }
    memset(&n->addr, 0, sizeof n->addr);
    n->addr.sun_family = AF_UNIX;
    memcpy(n->addr.sun_path, path, len);
    if (path[0] == '@')
        n->addr.sun_path[0] = '\0';
    n->addr_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len);
    return 0;
}

int notify_init(struct notify *n, const char *socket_path, const char *watchdog_usec,
                const char *watchdog_pid, pid_t self, char *err, size_t errlen)
{
    memset(n, 0, sizeof *n);
    n->fd = -1;
    if (errlen > 0)
        err[0] = '\0';
    if (socket_path == NULL || socket_path[0] == '\0')
        return 0;
    if (parse_address(n, socket_path, err, errlen) != 0)
        return -1;
    n->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (n->fd < 0) {
        snprintf(err, errlen, "NOTIFY_SOCKET: socket(AF_UNIX, SOCK_DGRAM): %s", strerror(errno));
        n->fd = -1;
        return -1;
    }
    n->active = true;

    /* sd_watchdog_enabled(3): WATCHDOG_PID, when set, names the process
     * the manager expects the keep-alives from; another pid (a child that
     * inherited the environment) must stay quiet. */
    if (watchdog_usec == NULL)
        return 0;
    uint64_t usec, pid;
    if (!parse_u64(watchdog_usec, &usec) || usec == 0) {
        snprintf(err, errlen, "WATCHDOG_USEC \"%.32s\" is not a positive number; watchdog off",
                 watchdog_usec);
        return -1;
    }
    if (watchdog_pid != NULL) {
        if (!parse_u64(watchdog_pid, &pid) || pid == 0) {
            snprintf(err, errlen, "WATCHDOG_PID \"%.32s\" is not a pid; watchdog off",
                     watchdog_pid);
            return -1;
        }
        if (pid != (uint64_t)self)
            return 0;
    }
    n->watchdog_usec = usec;
    return 0;
}

int notify_init_from_env(struct notify *n, char *err, size_t errlen)
{
    return notify_init(n, getenv("NOTIFY_SOCKET"), getenv("WATCHDOG_USEC"),
                       getenv("WATCHDOG_PID"), getpid(), err, errlen);
}

int notify_send(const struct notify *n, const char *msg)
{
    if (!n->active)
        return 0;
    size_t len = strlen(msg);
    ssize_t sent;
    do {
        /* MSG_NOSIGNAL: a vanished manager must not kill us with SIGPIPE;
         * MSG_DONTWAIT: nor block the loop if its queue is full. */
        sent = sendto(n->fd, msg, len, MSG_NOSIGNAL | MSG_DONTWAIT,
                      (const struct sockaddr *)&n->addr, n->addr_len);
    } while (sent < 0 && errno == EINTR);
    if (sent < 0)
        return -errno;
    return (size_t)sent == len ? 0 : -EMSGSIZE;
}

int notify_ready(const struct notify *n, const char *status)
{
    char msg[NOTIFY_MSG_MAX];
    if (status == NULL)
        return notify_send(n, "READY=1");
    snprintf(msg, sizeof msg, "READY=1\nSTATUS=%s", status);
    return notify_send(n, msg);
}

int notify_status(const struct notify *n, const char *text)
{
    char msg[NOTIFY_MSG_MAX];
    snprintf(msg, sizeof msg, "STATUS=%s", text);
    return notify_send(n, msg);
}

int notify_reloading(const struct notify *n, uint64_t now_usec)
{
    char msg[64];
    snprintf(msg, sizeof msg, "RELOADING=1\nMONOTONIC_USEC=%llu", (unsigned long long)now_usec);
    return notify_send(n, msg);
}

int notify_stopping(const struct notify *n)
{
    return notify_send(n, "STOPPING=1");
}

int notify_watchdog(const struct notify *n)
{
    return notify_send(n, "WATCHDOG=1");
}

double notify_watchdog_interval(const struct notify *n)
{
    if (!n->active || n->watchdog_usec == 0)
        return 0.0;
    /* sd_watchdog_enabled(3) advises pinging at half the timeout. */
    return (double)n->watchdog_usec / 2.0 / 1e6;
}

int notify_refresh_status(struct notify *n)
{
    if (!n->active || n->status_fn == NULL)
        return 0;
    char text[NOTIFY_MSG_MAX - 16];
    text[0] = '\0';
    n->status_fn(n->status_ctx, text, sizeof text);
    if (strcmp(text, n->last_status) == 0)
        return 0;
    int rc = notify_status(n, text);
    if (rc == 0)
        snprintf(n->last_status, sizeof n->last_status, "%s", text);
    return rc;
}

static void watchdog_fired(struct ev_loop *loop, ev_timer *w, int revents)
{
    (void)loop;
    (void)revents;
    struct notify *n = w->data;
    /* A failed send is not fatal: the manager restarts us if it matters. */
    (void)notify_watchdog(n);
}

static void status_fired(struct ev_loop *loop, ev_timer *w, int revents)
{
    (void)loop;
    (void)revents;
    (void)notify_refresh_status(w->data);
}

void notify_start(struct notify *n, struct ev_loop *loop, notify_status_fn status_fn,
                  void *status_ctx)
{
    n->status_fn = status_fn;
    n->status_ctx = status_ctx;
    if (!n->active)
        return;
    n->loop = loop;
    double wd = notify_watchdog_interval(n);
    if (wd > 0.0) {
        ev_timer_init(&n->watchdog_timer, watchdog_fired, wd, wd);
        n->watchdog_timer.data = n;
        ev_timer_start(loop, &n->watchdog_timer);
    }
    if (status_fn != NULL) {
        ev_timer_init(&n->status_timer, status_fired, NOTIFY_STATUS_PERIOD_S,
                      NOTIFY_STATUS_PERIOD_S);
        n->status_timer.data = n;
        ev_timer_start(loop, &n->status_timer);
    }
}

void notify_close(struct notify *n)
{
    if (n->loop != NULL) {
        if (ev_is_active(&n->watchdog_timer))
            ev_timer_stop(n->loop, &n->watchdog_timer);
        if (ev_is_active(&n->status_timer))
            ev_timer_stop(n->loop, &n->status_timer);
        n->loop = NULL;
    }
    if (n->active)
        close(n->fd);
    n->active = false;
    n->fd = -1;
}
