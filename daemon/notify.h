/* notify.h - the systemd service notification protocol (sd_notify(3)),
 * implemented directly: no libsystemd.
 *
 * The service manager passes NOTIFY_SOCKET, the address of an AF_UNIX
 * datagram socket: a path ("/run/systemd/notify") or, with a leading '@',
 * a name in the abstract namespace. Each state change is one datagram of
 * newline-separated KEY=VALUE lines:
 *   READY=1                       start-up done (Type=notify waits for it)
 *   STATUS=serving 1 interface(s), 0 connection(s)
 *   RELOADING=1 + MONOTONIC_USEC  a SIGHUP reload began (READY=1 ends it)
 *   STOPPING=1                    shutting down
 *   WATCHDOG=1                    keep-alive, every WATCHDOG_USEC / 2
 * Without NOTIFY_SOCKET every call is a no-op returning 0: tcpipd run by
 * hand or by another supervisor behaves the same.
 *
 * The watchdog and the periodic STATUS refresh are libev timers on the
 * daemon's loop, so a hung loop stops the keep-alives and systemd
 * restarts the service: that is the point of WatchdogSec. */
#ifndef TCPIPD_NOTIFY_H
#define TCPIPD_NOTIFY_H

#include <ev.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/un.h>

/* Longest message we build (STATUS lines included). */
#define NOTIFY_MSG_MAX 512
/* How often STATUS= is refreshed (and only sent when it changed). */
#define NOTIFY_STATUS_PERIOD_S 5.0

/* Fills buf with the text after "STATUS=" (one line, no newline). */
typedef void (*notify_status_fn)(void *ctx, char *buf, size_t len);

struct notify {
    bool active;                 /* false: not under a service manager */
    int fd;                      /* the datagram socket while active */
    struct sockaddr_un addr;
    socklen_t addr_len;
    uint64_t watchdog_usec;      /* 0: no watchdog asked for */
    struct ev_loop *loop;        /* set by notify_start */
    ev_timer watchdog_timer;
    ev_timer status_timer;
    notify_status_fn status_fn;
    void *status_ctx;
    char last_status[NOTIFY_MSG_MAX];
};

/* Set up from explicit values (the environment's, or a test's):
 * socket_path is NOTIFY_SOCKET (NULL or "" = none), watchdog_usec and
 * watchdog_pid are WATCHDOG_USEC / WATCHDOG_PID (NULL = unset), self is
 * our pid. The watchdog is on only if watchdog_usec is a positive number
 * and watchdog_pid is unset or equals self (sd_watchdog_enabled(3)).
 * 0 on success (also when there is no socket); -1 with a message in err
 * if a value is malformed: the notifier is then inactive, which the
 * daemon logs and survives. */
int notify_init(struct notify *n, const char *socket_path, const char *watchdog_usec,
                const char *watchdog_pid, pid_t self, char *err, size_t errlen);
/* notify_init() with NOTIFY_SOCKET, WATCHDOG_USEC, WATCHDOG_PID, getpid(). */
int notify_init_from_env(struct notify *n, char *err, size_t errlen);
bool notify_enabled(const struct notify *n);

/* Send one datagram as is. 0, or -errno (logged by the caller if wanted). */
int notify_send(const struct notify *n, const char *msg);
/* "READY=1\nSTATUS=<status>", status may be NULL. */
int notify_ready(const struct notify *n, const char *status);
/* "STATUS=<text>". */
int notify_status(const struct notify *n, const char *text);
/* "RELOADING=1\nMONOTONIC_USEC=<now_usec>" (CLOCK_MONOTONIC, as systemd
 * wants it for Type=notify-reload). */
int notify_reloading(const struct notify *n, uint64_t now_usec);
/* "STOPPING=1". */
int notify_stopping(const struct notify *n);
/* "WATCHDOG=1". */
int notify_watchdog(const struct notify *n);

/* The keep-alive period: WATCHDOG_USEC / 2 in seconds, 0 if off. */
double notify_watchdog_interval(const struct notify *n);

/* Start the watchdog timer (if asked for) and the STATUS refresh timer on
 * loop; status_fn may be NULL (no refresh). Nothing is started without a
 * socket. */
void notify_start(struct notify *n, struct ev_loop *loop, notify_status_fn status_fn,
                  void *status_ctx);
/* Build the status text now and send it if it changed since the last one.
 * 0 if sent or unchanged. */
int notify_refresh_status(struct notify *n);
/* Stop the timers and close the socket. Safe on a zeroed (memset 0),
 * inactive or already closed notifier. */
void notify_close(struct notify *n);

#endif
