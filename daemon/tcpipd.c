/* tcpipd.c - see tcpipd.h. */
#include "daemon/tcpipd.h"

#include <errno.h>
#include <ev.h>
#include <malloc.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "daemon/capture.h"
#include "daemon/cli.h"
#include "daemon/ipc_server.h"
#include "daemon/control.h"
#include "daemon/log.h"
#include "daemon/mac.h"
#include "daemon/metrics.h"
#include "daemon/notify.h"
#include "daemon/privdrop.h"
#include "daemon/services.h"
#include "daemon/tap.h"
#include "stack/stack.h"

struct tcpipd_iface {
    struct tcpipd *d;
    struct tap tap;
    int ifindex;                 /* the stack's; -1 until added */
    struct eth_addr mac;
    ev_io io;
    uint8_t *buf;                /* TCPIPD_FRAME_BUF bytes */
    int last_tx_errno;           /* log a failing write once, not per frame */
};

struct tcpipd {
    struct ev_loop *loop;
    struct tcpipd_config cfg;
    char *config_path;
    int log_override;
    struct stack *stack;
    struct services *services;
    struct ipc_server *ipc;      /* NULL without an "ipc" config */
    struct capture *capture;     /* pcap of the TAP traffic (capture.h) */
    struct control *control;     /* tcpipctl's socket (control.h) */
    struct control_env control_env;
    struct tcpipd_iface ifaces[CONF_MAX_IFACES];
    size_t n_ifaces;             /* opened so far */
    ev_timer timer;
    ev_timer trim;               /* gives freed heap memory back (memory_setup) */
    ev_timer stats_timer;        /* "stats": the Prometheus textfile */
    int stats_errno;             /* log a failing write once */
    ev_prepare prepare;
    ev_signal sig_int, sig_term, sig_hup;
    struct notify notify;        /* sd_notify(3) to systemd, if it asked */
    int exit_status;
};

uint64_t tcpipd_now_ns(void)
{
    struct timespec ts;
    /* CLOCK_MONOTONIC cannot fail on Linux with a valid pointer. */
    (void)clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * NS_PER_SEC + (uint64_t)ts.tv_nsec;
}

/* Descriptors the daemon needs beside one per IPC socket and per session:
 * TAPs, the control socket and its clients, the capture file, libev's
 * own, the reserves. */
#define FD_OVERHEAD 256

/* Every IPC socket costs the daemon one descriptor (its end of the data
 * socketpair) and every session one: raise the soft RLIMIT_NOFILE to the
 * hard one (and, with the privilege for it, the hard one to what the
 * limits need), then lower ipc.max_sockets to what fits, saying so, so
 * that the limit is an errno for the client (ENFILE) and never a daemon
 * that cannot accept (ipc/PROTOCOL.md 8). */
static void fd_limit_setup(struct conf_ipc *ipc)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
        return;
    rlim_t need = (rlim_t)ipc->max_sockets + ipc->max_clients + FD_OVERHEAD;
    if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < need) {
        struct rlimit more = {need, need};
        if (setrlimit(RLIMIT_NOFILE, &more) == 0)
            rl = more;
    }
    if (rl.rlim_cur != rl.rlim_max) {
        rlim_t old = rl.rlim_cur;
        rl.rlim_cur = rl.rlim_max;
        if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
            rl.rlim_cur = old;
    }
    if (rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur >= need)
        return;
    rlim_t room = rl.rlim_cur > (rlim_t)ipc->max_clients + FD_OVERHEAD + 16
                      ? rl.rlim_cur - ipc->max_clients - FD_OVERHEAD
                      : 16;
    log_msg(STACK_LOG_WARN, "ipc.max_sockets %u with ipc.max_clients %u needs %llu file "
            "descriptors, RLIMIT_NOFILE allows %llu: using ipc.max_sockets %llu (raise "
            "LimitNOFILE= or ulimit -n)", ipc->max_sockets, ipc->max_clients,
            (unsigned long long)need, (unsigned long long)rl.rlim_cur, (unsigned long long)room);
    ipc->max_sockets = (uint32_t)room;
}

static uint64_t services_clock(void *ctx)
{
    (void)ctx;
    return tcpipd_now_ns();
}

static void fatal(struct tcpipd *d, const char *what)
{
    log_msg(STACK_LOG_ERR, "%s; shutting down", what);
    d->exit_status = TCPIPD_EXIT_RUNTIME;
    ev_break(d->loop, EVBREAK_ALL);
}

/* ---- the TAP as a netif ---- */

static int tap_send_frame(struct tcpipd_iface *ifc, const uint8_t *frame, size_t len,
                          const struct netif_tx_offload *o)
{
    ssize_t n;
    do {
        n = tap_write_frame(&ifc->tap, frame, len, o);
    } while (n < 0 && errno == EINTR);
    int e = n < 0 ? errno : (size_t)n != len ? EIO : 0;
    if (e == 0) {
        capture_frame(ifc->d->capture, frame, len);
        ifc->last_tx_errno = 0;
        return 0;
    }
    /* EAGAIN: the TAP queue is full; the stack counts the drop. Anything
     * else (EIO while the host side is down...) is worth one line, not one
     * per frame. */
    if (e != EAGAIN && e != ifc->last_tx_errno)
        log_msg(STACK_LOG_WARN, "tap: %s: write failed: %s (dropping frames until it works)",
                ifc->tap.name, strerror(e));
    ifc->last_tx_errno = e;
    return -e;
}

static int tap_send(void *ctx, const uint8_t *frame, size_t len)
{
    return tap_send_frame(ctx, frame, len, NULL);
}

static int tap_send_offload(void *ctx, const uint8_t *frame, size_t len,
                            const struct netif_tx_offload *o)
{
    return tap_send_frame(ctx, frame, len, o);
}

static const struct netif_ops tap_netif_ops = {
    .send = tap_send,
    .send_offload = tap_send_offload,
};

static void tap_readable(struct ev_loop *loop, ev_io *w, int revents)
{
    (void)loop;
    (void)revents;
    struct tcpipd_iface *ifc = w->data;
    struct tcpipd *d = ifc->d;
    /* A batch per wakeup amortises the loop's overhead; the bound keeps
     * one busy interface from starving the others and the timers. */
    for (int i = 0; i < TCPIPD_READ_BATCH; i++) {
        const uint8_t *frame;
        bool csum_ok;
        ssize_t n = tap_read_frame(&ifc->tap, ifc->buf, TCPIPD_FRAME_BUF, &frame, &csum_ok);
        if (n < 0) {
            if (errno == EAGAIN)
                return;
            if (errno == EINTR)
                continue;
            char what[128];
            snprintf(what, sizeof what, "tap: %s: read failed: %s", ifc->tap.name,
                     strerror(errno));
            ev_io_stop(d->loop, &ifc->io);
            fatal(d, what);
            return;
        }
        if (n == 0)
            return;
        capture_frame(d->capture, frame, (size_t)n);
        stack_input_offload(d->stack, ifc->ifindex, frame, (size_t)n,
                            csum_ok ? STACK_RX_CSUM_OK : 0, tcpipd_now_ns());
    }
}

/* ---- the stack's timers ---- */

static void timer_fired(struct ev_loop *loop, ev_timer *w, int revents)
{
    (void)loop;
    (void)revents;
    struct tcpipd *d = w->data;
    stack_poll(d->stack, tcpipd_now_ns());
}

/* ---- memory that comes back ----
 *
 * The stack's buffers follow the bytes queued (util/ring.h), so after a
 * burst of connections most of what they used is free again; glibc keeps
 * it unless told. malloc_trim every few seconds returns the free pages
 * inside the heap (issue 14: RSS went 37 -> 395 MB over a churn soak and
 * never came down). A fixed mmap threshold above the default socket
 * buffers keeps them in the heap, where a ring that drains and refills
 * reuses warm pages instead of an mmap, page faults and an munmap each
 * time (and it turns off glibc's habit of moving the threshold). */
#define TCPIPD_MMAP_THRESHOLD (1024 * 1024)
#define TCPIPD_TRIM_INTERVAL_S 5.0

static void trim_fired(struct ev_loop *loop, ev_timer *w, int revents)
{
    (void)loop;
    (void)w;
    (void)revents;
    (void)malloc_trim(0);
}

static void memory_setup(struct tcpipd *d)
{
    (void)mallopt(M_MMAP_THRESHOLD, TCPIPD_MMAP_THRESHOLD);
    (void)mallopt(M_TRIM_THRESHOLD, 2 * TCPIPD_MMAP_THRESHOLD);
    ev_timer_init(&d->trim, trim_fired, TCPIPD_TRIM_INTERVAL_S, TCPIPD_TRIM_INTERVAL_S);
    d->trim.data = d;
    ev_timer_start(d->loop, &d->trim);
    ev_unref(d->loop); /* housekeeping: keeps no loop alive on its own */
}

/* Before the loop sleeps: point the one timer at the stack's next deadline,
 * whatever the callbacks of this iteration did to it. */
static void before_sleep(struct ev_loop *loop, ev_prepare *w, int revents)
{
    (void)revents;
    struct tcpipd *d = w->data;
    /* Close the service connections that this iteration's stack_input and
     * stack_poll calls finished (callbacks may not close their socket). */
    services_flush(d->services, tcpipd_now_ns());
    ipc_server_flush(d->ipc, tcpipd_now_ns());
    uint64_t deadline = stack_next_deadline(d->stack);
    ev_timer_stop(loop, &d->timer);
    if (deadline == STACK_NO_DEADLINE)
        return;
    /* libev times the timer from its cached loop time; refresh it so that
     * the time spent in this iteration's callbacks does not fire it early. */
    ev_now_update(loop);
    uint64_t now = tcpipd_now_ns();
    double delay = deadline <= now ? 0.0 : (double)(deadline - now) / (double)NS_PER_SEC;
    ev_timer_set(&d->timer, delay, 0.0);
    ev_timer_start(loop, &d->timer);
}

/* ---- the Prometheus textfile ("stats") ---- */

static void stats_write(struct ev_loop *loop, ev_timer *w, int revents)
{
    (void)loop;
    (void)revents;
    struct tcpipd *d = w->data;
    d->control_env.now_ns = tcpipd_now_ns();
    int rc = metrics_write_textfile(&d->control_env, d->cfg.stats.path);
    if (rc != 0 && -rc != d->stats_errno)
        log_msg(STACK_LOG_WARN, "stats: cannot write %s: %s (retrying every %us)",
                d->cfg.stats.path, strerror(-rc), d->cfg.stats.interval_s);
    else if (rc == 0 && d->stats_errno != 0)
        log_msg(STACK_LOG_INFO, "stats: writing %s again", d->cfg.stats.path);
    d->stats_errno = -rc;
}

/* ---- signals ---- */

static void on_stop_signal(struct ev_loop *loop, ev_signal *w, int revents)
{
    (void)revents;
    log_msg(STACK_LOG_INFO, "%s: shutting down", w->signum == SIGINT ? "SIGINT" : "SIGTERM");
    ev_break(loop, EVBREAK_ALL);
}

/* STATUS= text for systemd: what `systemctl status` shows. */
static void status_text(void *ctx, char *buf, size_t len)
{
    struct tcpipd *d = ctx;
    uint64_t conns = 0;
    struct service_info si;
    for (size_t i = 0; services_info(d->services, i, &si) == 0; i++)
        conns += si.stats.conns_active;
    snprintf(buf, len, "serving %zu interface(s), %llu connection(s)", d->n_ifaces,
             (unsigned long long)conns);
}

/* Whether the interfaces of b differ from a's: a running TAP is not
 * reopened (the daemon may no longer hold the privilege to open one). */
static bool ifaces_differ(const struct tcpipd_config *a, const struct tcpipd_config *b)
{
    if (a->n_ifaces != b->n_ifaces)
        return true;
    for (size_t i = 0; i < a->n_ifaces; i++) {
        const struct conf_iface *x = &a->ifaces[i], *y = &b->ifaces[i];
        if (strcmp(x->name, y->name) != 0 || x->has_mac != y->has_mac ||
            (x->has_mac && !eth_addr_eq(&x->mac, &y->mac)) || x->mtu != y->mtu ||
            x->has_ipv4 != y->has_ipv4 || x->ipv4_addr != y->ipv4_addr ||
            x->ipv4_prefix_len != y->ipv4_prefix_len || x->ipv4_gateway != y->ipv4_gateway ||
            x->n_addr4 != y->n_addr4 || x->dhcp4 != y->dhcp4 ||
            memcmp(x->addr4, y->addr4, x->n_addr4 * sizeof x->addr4[0]) != 0 ||
            x->n_neigh != y->n_neigh ||
            memcmp(x->neigh, y->neigh, x->n_neigh * sizeof x->neigh[0]) != 0 ||
            x->host.configure != y->host.configure || x->host.has_ipv4 != y->host.has_ipv4 ||
            x->host.ipv4_addr != y->host.ipv4_addr ||
            x->host.ipv4_prefix_len != y->host.ipv4_prefix_len ||
            x->has_ipv6 != y->has_ipv6 || x->slaac != y->slaac || x->n_addr6 != y->n_addr6 ||
            x->addr_gen_mode != y->addr_gen_mode ||
            memcmp(x->stable_secret, y->stable_secret, sizeof x->stable_secret) != 0 ||
            memcmp(x->addr6, y->addr6, x->n_addr6 * sizeof x->addr6[0]) != 0 ||
            x->host.has_ipv6 != y->host.has_ipv6 ||
            memcmp(x->host.ipv6_addr, y->host.ipv6_addr, 16) != 0 ||
            x->host.ipv6_prefix_len != y->host.ipv6_prefix_len)
            return true;
    }
    if (a->n_routes != b->n_routes)
        return true;
    for (size_t i = 0; i < a->n_routes; i++) {
        const struct conf_route *x = &a->routes[i], *y = &b->routes[i];
        if (strcmp(x->dev, y->dev) != 0 || x->r.prefix_len != y->r.prefix_len ||
            x->r.metric != y->r.metric || !ip_addr_eq(&x->r.dst, &y->r.dst) ||
            x->r.gateway.family != y->r.gateway.family ||
            (x->r.gateway.family != IP_FAMILY_NONE && !ip_addr_eq(&x->r.gateway, &y->r.gateway)))
            return true;
    }
    return false;
}

static bool services_differ(const struct tcpipd_config *a, const struct tcpipd_config *b)
{
    const struct conf_service *x[] = { &a->services.udp_echo, &a->services.udp_discard,
                                       &a->services.tcp_echo, &a->services.tcp_discard,
                                       &a->services.tcp_chargen };
    const struct conf_service *y[] = { &b->services.udp_echo, &b->services.udp_discard,
                                       &b->services.tcp_echo, &b->services.tcp_discard,
                                       &b->services.tcp_chargen };
    for (size_t i = 0; i < sizeof x / sizeof x[0]; i++)
        if (x[i]->enabled != y[i]->enabled || (x[i]->enabled && x[i]->port != y[i]->port))
            return true;
    return false;
}

/* Restart the built-in services on next's ports. Live service connections
 * end (the listeners they hang off go away). If next cannot be served, the
 * old set is put back. 0 if next was applied. */
static int reload_services(struct tcpipd *d, const struct tcpipd_config *next)
{
    char err[CONF_ERR_LEN];
    services_stop(d->services);
    d->services = services_start(d->stack, next, services_clock, d, err, sizeof err);
    if (d->services != NULL)
        return 0;
    log_msg(STACK_LOG_ERR, "reload: services: %s; keeping the previous services", err);
    d->services = services_start(d->stack, &d->cfg, services_clock, d, err, sizeof err);
    if (d->services == NULL)
        log_msg(STACK_LOG_ERR, "reload: cannot restart the previous services either: %s", err);
    return -1;
}

/* SIGHUP: re-read the file. A bad file keeps the running configuration
 * whole. What can change live does (log level, built-in services); what
 * cannot (interfaces: a TAP is opened once, before privileges are dropped;
 * stack tunables: fixed at stack creation) is logged and not applied. */
static void on_hup(struct ev_loop *loop, ev_signal *w, int revents)
{
    (void)loop;
    (void)revents;
    struct tcpipd *d = w->data;
    char err[CONF_ERR_LEN];
    /* sd_notify(3): RELOADING=1 with the CLOCK_MONOTONIC time, READY=1 when
     * done, whatever the outcome: the service keeps running either way. */
    (void)notify_reloading(&d->notify, tcpipd_now_ns() / 1000);
    struct tcpipd_config *next = malloc(sizeof *next);
    if (next == NULL) {
        log_msg(STACK_LOG_ERR, "reload: out of memory; keeping the running configuration");
        (void)notify_ready(&d->notify, NULL);
        return;
    }
    if (config_load_file(d->config_path, next, err, sizeof err) != 0) {
        log_msg(STACK_LOG_ERR, "reload: %s; keeping the running configuration", err);
        free(next);
        (void)notify_ready(&d->notify, NULL);
        return;
    }
    if (ifaces_differ(&d->cfg, next))
        log_msg(STACK_LOG_WARN, "reload: interface changes in %s need a restart; not applied "
                "(routes, addresses, neighbours and MTU change live with tcpipctl)",
                d->config_path);
    if (memcmp(&d->cfg.stack, &next->stack, sizeof next->stack) != 0)
        /* Both come from config_defaults(), which zeroes the whole struct
         * first, so padding compares equal. */
        log_msg(STACK_LOG_WARN, "reload: stack tunable changes in %s need a restart; not applied",
                d->config_path);
    if (strcmp(d->cfg.stats.path, next->stats.path) != 0 ||
        d->cfg.stats.interval_s != next->stats.interval_s)
        log_msg(STACK_LOG_WARN, "reload: a change of \"stats\" in %s needs a restart; not applied",
                d->config_path);
    if (strcmp(d->cfg.user, next->user) != 0)
        log_msg(STACK_LOG_WARN, "reload: a change of user in %s needs a restart; not applied",
                d->config_path);
    d->cfg.log_level = next->log_level;
    if (d->log_override < 0)
        log_set_level(next->log_level);
    const char *ipc = "off";
    if (d->ipc != NULL && next->ipc.enabled) {
        fd_limit_setup(&next->ipc);
        if (!ipc_server_reconfigure(d->ipc, &next->ipc))
            log_msg(STACK_LOG_WARN, "reload: ipc socket path/owner/mode changes in %s need a "
                    "restart; access lists and limits applied", d->config_path);
        d->cfg.ipc = next->ipc;
        ipc = "access lists and limits applied";
    } else if ((d->ipc != NULL) != next->ipc.enabled) {
        log_msg(STACK_LOG_WARN, "reload: turning the ipc socket %s needs a restart; not applied",
                next->ipc.enabled ? "on" : "off");
        ipc = "unchanged";
    }
    const char *svc = "unchanged";
    if (services_differ(&d->cfg, next)) {
        if (reload_services(d, next) == 0) {
            d->cfg.services = next->services;
            svc = "restarted";
        } else {
            svc = "kept (error)";
        }
    }
    log_msg(STACK_LOG_INFO, "reload: %s read, log level %s, services %s (%zu), ipc %s",
            d->config_path, config_log_level_name(log_get_level()), svc,
            services_count(d->services), ipc);
    free(next);
    (void)notify_ready(&d->notify, NULL);
    (void)notify_refresh_status(&d->notify);
}

/* ---- startup ---- */

/* See privdrop.h. A failure is fatal: better not to run than to run with
 * privileges the admin asked us to give up. */
static int drop_privileges(struct tcpipd *d)
{
    char err[CONF_ERR_LEN];
    if (d->cfg.user[0] != '\0') {
        if (privdrop_switch_user(d->cfg.user, err, sizeof err) != 0) {
            log_msg(STACK_LOG_ERR, "%s", err);
            return -1;
        }
        log_msg(STACK_LOG_INFO, "running as user %s (uid %u, gid %u), no capabilities",
                d->cfg.user, (unsigned)getuid(), (unsigned)getgid());
    }
    if (privdrop_clear_caps(err, sizeof err) != 0) {
        log_msg(STACK_LOG_ERR, "%s", err);
        return -1;
    }
    return 0;
}

struct tcpipd *tcpipd_new(const struct tcpipd_config *cfg, const char *config_path,
                          int log_override)
{
    struct tcpipd *d = calloc(1, sizeof *d);
    if (d == NULL)
        return NULL;
    d->config_path = strdup(config_path);
    if (d->config_path == NULL) {
        free(d);
        return NULL;
    }
    d->cfg = *cfg;
    d->log_override = log_override;
    for (size_t i = 0; i < CONF_MAX_IFACES; i++) {
        d->ifaces[i].tap.fd = -1;
        d->ifaces[i].ifindex = -1;
    }
    return d;
}

/* "off", or the static addresses (else "link-local"), and "+ slaac". */
static void iface_ipv6_describe(const struct conf_iface *ci, char *buf, size_t len)
{
    char a6[IP_ADDR_STRLEN];
    size_t used = 0;

    snprintf(buf, len, "%s", !ci->has_ipv6 ? "off" : ci->n_addr6 ? "" : "link-local");
    for (size_t k = 0; ci->has_ipv6 && k < ci->n_addr6 && (used = strlen(buf)) < len; k++)
        snprintf(buf + used, len - used, "%s%s/%u", k ? " " : "",
                 ip6_addr_format(ci->addr6[k].addr, a6, sizeof a6), ci->addr6[k].prefix_len);
    used = strlen(buf);
    if (ci->has_ipv6 && ci->slaac && used < len)
        snprintf(buf + used, len - used, " + slaac");
}

static int iface_start(struct tcpipd *d, size_t i)
{
    const struct conf_iface *ci = &d->cfg.ifaces[i];
    struct tcpipd_iface *ifc = &d->ifaces[i];
    char err[256];
    char mac_s[ETH_ADDR_STRLEN], a[16], gw[16], host[128], a6[IP_ADDR_STRLEN];
    ifc->d = d;

    if (ci->has_mac) {
        ifc->mac = ci->mac;
    } else if (mac_auto(NULL, ci->name, &ifc->mac) != 0) {
        log_msg(STACK_LOG_WARN, "tap: %s: cannot read %s; \"auto\" MAC derived from the host name",
                ci->name, MAC_MACHINE_ID_PATH);
    }

    int rc = tap_open_offload(&ifc->tap, ci->name, err, sizeof err);
    if (rc < 0) {
        log_msg(STACK_LOG_ERR, "%s", err);
        return TCPIPD_EXIT_RUNTIME;
    }
    d->n_ifaces = i + 1;

    /* The host side must not send frames larger than the stack takes. */
    unsigned host_mtu = 0;
    if (tap_get_mtu(ifc->tap.name, &host_mtu, err, sizeof err) == 0 && host_mtu != ci->mtu &&
        tap_set_mtu(ifc->tap.name, ci->mtu, err, sizeof err) < 0)
        log_msg(STACK_LOG_WARN, "tap: %s; the host side keeps mtu %u", err, host_mtu);

    host[0] = '\0';
    if (ci->host.configure) {
        rc = tap_host_configure(ifc->tap.name, ci->host.ipv4_addr,
                                ci->host.has_ipv4 ? ci->host.ipv4_prefix_len : 0xff, err,
                                sizeof err);
        if (rc < 0) {
            log_msg(STACK_LOG_ERR, "tap: cannot configure the host side: %s", err);
            return TCPIPD_EXIT_RUNTIME;
        }
        if (ci->host.has_ipv6) {
            rc = tap_host_configure6(ifc->tap.name, ci->host.ipv6_addr, ci->host.ipv6_prefix_len,
                                     err, sizeof err);
            if (rc < 0) {
                log_msg(STACK_LOG_ERR, "tap: cannot configure the host side: %s", err);
                return TCPIPD_EXIT_RUNTIME;
            }
        }
        if (ci->host.has_ipv4)
            snprintf(host, sizeof host, ", host side %s/%u",
                     ip4_format(ci->host.ipv4_addr, a, sizeof a), (unsigned)ci->host.ipv4_prefix_len);
        if (ci->host.has_ipv6)
            snprintf(host + strlen(host), sizeof host - strlen(host), "%s%s/%u",
                     ci->host.has_ipv4 ? " and " : ", host side ",
                     ip6_addr_format(ci->host.ipv6_addr, a6, sizeof a6), ci->host.ipv6_prefix_len);
    } else if (tap_is_up(ifc->tap.name, err, sizeof err) == 0) {
        /* Not our job (host.configure is false), but worth saying. */
        log_msg(STACK_LOG_INFO, "tap: %s is down on the host side; `ip link set %s up` to use it",
                ifc->tap.name, ifc->tap.name);
    }

    ifc->buf = malloc(TCPIPD_FRAME_BUF);
    if (ifc->buf == NULL) {
        log_msg(STACK_LOG_ERR, "tap: %s: out of memory", ifc->tap.name);
        return TCPIPD_EXIT_RUNTIME;
    }

    struct netif_config nc;
    memset(&nc, 0, sizeof nc);
    memcpy(nc.name, ifc->tap.name, sizeof nc.name);
    nc.name[sizeof nc.name - 1] = '\0';
    nc.mac = ifc->mac;
    nc.mtu = ci->mtu;
    if (ci->has_ipv4) {
        nc.ipv4_addr = ci->ipv4_addr;
        nc.ipv4_prefix_len = ci->ipv4_prefix_len;
        nc.ipv4_gateway = ci->ipv4_gateway;
        nc.n_addr4 = ci->n_addr4;
        memcpy(nc.addr4, ci->addr4, ci->n_addr4 * sizeof nc.addr4[0]);
    }
    nc.dhcp4 = ci->dhcp4;
    nc.neigh = ci->neigh;
    nc.n_neigh = ci->n_neigh;
    nc.ipv6 = ci->has_ipv6;
    nc.slaac = ci->slaac;
    nc.addr_gen_mode = ci->addr_gen_mode;
    memcpy(nc.stable_secret, ci->stable_secret, sizeof nc.stable_secret);
    nc.n_addr6 = ci->n_addr6;
    memcpy(nc.addr6, ci->addr6, ci->n_addr6 * sizeof nc.addr6[0]);
    if (ifc->tap.vnet) {
        nc.offloads = NETIF_OFFLOAD_TX_CSUM | NETIF_OFFLOAD_TSO4 |
                      (ifc->tap.tso6 ? NETIF_OFFLOAD_TSO6 : 0u);
        if (!ifc->tap.tso6 && ci->has_ipv6)
            log_msg(STACK_LOG_INFO, "tap: %s: the kernel refused TSO6; IPv6 TCP goes in "
                    "MSS-sized segments", ifc->tap.name);
    }
    rc = stack_netif_add(d->stack, &nc, &tap_netif_ops, ifc, tcpipd_now_ns());
    if (rc < 0) {
        log_msg(STACK_LOG_ERR, "stack: cannot add interface %s: %s", ifc->tap.name, strerror(-rc));
        return TCPIPD_EXIT_RUNTIME;
    }
    ifc->ifindex = rc;

    ev_io_init(&ifc->io, tap_readable, ifc->tap.fd, EV_READ);
    ifc->io.data = ifc;
    ev_io_start(d->loop, &ifc->io);

    eth_addr_format(&ifc->mac, mac_s, sizeof mac_s);
    char ip[24] = "none";
    if (ci->dhcp4)
        snprintf(ip, sizeof ip, "dhcp");
    if (ci->has_ipv4)
        snprintf(ip, sizeof ip, "%s/%u", ip4_format(ci->ipv4_addr, a, sizeof a),
                 (unsigned)ci->ipv4_prefix_len);
    if (ci->has_ipv4 && ci->ipv4_gateway != 0)
        ip4_format(ci->ipv4_gateway, gw, sizeof gw);
    else
        snprintf(gw, sizeof gw, "none");
    char ip6[NETIF_MAX_STATIC_ADDR6 * (IP_ADDR_STRLEN + 6) + 32];
    iface_ipv6_describe(ci, ip6, sizeof ip6);
    log_msg(STACK_LOG_INFO, "tap: %s up, mtu %u, mac %s%s, ipv4 %s, gateway %s, ipv6 %s%s (%s)",
            ifc->tap.name, (unsigned)ci->mtu, mac_s, ci->has_mac ? "" : " (auto)", ip, gw, ip6,
            host, ifc->tap.persistent ? "attached to a persistent device" : "created");
    return TCPIPD_EXIT_OK;
}

/* The config's "routes", once every interface is up (a route names its
 * interface by name; the stack checks its gateway is on-link). */
static int routes_setup(struct tcpipd *d)
{
    for (size_t i = 0; i < d->cfg.n_routes; i++) {
        const struct conf_route *cr = &d->cfg.routes[i];
        struct stack_route r = cr->r;
        char dst[IP_ADDR_STRLEN], gw[IP_ADDR_STRLEN] = "-";
        ip_addr_format(&r.dst, dst, sizeof dst);
        if (r.gateway.family != IP_FAMILY_NONE)
            ip_addr_format(&r.gateway, gw, sizeof gw);
        r.ifindex = -1;
        if (cr->dev[0] != '\0') {
            r.ifindex = stack_netif_by_name(d->stack, cr->dev);
            if (r.ifindex < 0) {
                log_msg(STACK_LOG_ERR, "routes[%zu]: no interface %s", i, cr->dev);
                return -1;
            }
        }
        int rc = stack_route_add(d->stack, &r);
        if (rc != 0) {
            log_msg(STACK_LOG_ERR, "routes[%zu]: %s/%u via %s: %s", i, dst, r.prefix_len, gw,
                    strerror(-rc));
            return -1;
        }
        log_msg(STACK_LOG_INFO, "route %s/%u via %s%s%s metric %u", dst, r.prefix_len, gw,
                cr->dev[0] ? " dev " : "", cr->dev, r.metric);
    }
    return 0;
}

/* ---- control channel and capture (docs/control.md) ---- */

/* The capture from the config starts before the interfaces come up, so it
 * holds their first frames (the gratuitous ARP). The admin asked for it:
 * a file that cannot be written stops the start-up. */
static int capture_setup(struct tcpipd *d)
{
    char err[512];
    d->capture = capture_new();
    if (d->capture == NULL) {
        log_msg(STACK_LOG_ERR, "capture: out of memory");
        return -1;
    }
    const struct conf_capture *cc = &d->cfg.capture;
    if (cc->path[0] != '\0' &&
        capture_start(d->capture, cc->path, cc->max_bytes, cc->filter[0] ? cc->filter : NULL, err,
                      sizeof err) < 0) {
        log_msg(STACK_LOG_ERR, "capture: %s", err);
        return -1;
    }
    return 0;
}

/* `tcpipctl link set NAME mtu N`: the kernel side of the TAP first, so it
 * never sends what the stack would call too big. Once the daemon has
 * dropped CAP_NET_ADMIN this fails (EPERM) and the change is refused. */
static int set_host_mtu(void *ctx, const char *ifname, unsigned mtu, char *err, size_t errlen)
{
    struct tcpipd *d = ctx;
    for (size_t i = 0; i < d->n_ifaces; i++) {
        if (strcmp(d->ifaces[i].tap.name, ifname) != 0)
            continue;
        if (tap_set_mtu(ifname, mtu, err, errlen) < 0)
            return -EPERM;
        log_msg(STACK_LOG_INFO, "tap: %s: mtu %u (tcpipctl)", ifname, mtu);
        return 0;
    }
    return 0;
}

/* After the interfaces and services, before privileges are dropped (the
 * socket's directory is root's). A default path taken by another tcpipd
 * is not worth failing for; a path the admin chose is. */
static int control_setup(struct tcpipd *d)
{
    struct control_env *env = &d->control_env;
    env->stack = d->stack;
    env->services = &d->services;
    env->capture = d->capture;
    env->ipc = &d->ipc;
    for (size_t i = 0; i < d->n_ifaces && i < STACK_MAX_NETIFS; i++) {
        const struct conf_iface *ci = &d->cfg.ifaces[i];
        struct control_iface *out = &env->ifaces[i];
        memcpy(out->name, d->ifaces[i].tap.name, sizeof out->name);
        out->name[sizeof out->name - 1] = '\0';
        out->ifindex = d->ifaces[i].ifindex;
        out->mac = d->ifaces[i].mac;
        out->mtu = ci->mtu;
        out->up = true;
        out->has_ipv4 = ci->has_ipv4;
        out->ipv4_addr = ci->ipv4_addr;
        out->ipv4_prefix_len = ci->ipv4_prefix_len;
        out->ipv4_gateway = ci->ipv4_gateway;
        env->n_ifaces = i + 1;
    }
    env->set_host_mtu = set_host_mtu;
    env->set_host_mtu_ctx = d;
    env->started_ns = tcpipd_now_ns();
    env->pid = (long)getpid();
    env->uid = (unsigned)geteuid();
    env->version = TCPIPD_VERSION;
    if (!d->cfg.control.enabled)
        return 0;
    char err[512];
    err[0] = '\0';
    d->control = control_start(d->loop, d->cfg.control.path, d->cfg.control.mode, env, err,
                               sizeof err);
    if (d->control != NULL)
        return 0;
    if (d->cfg.control.path_set) {
        log_msg(STACK_LOG_ERR, "%s", err);
        return -1;
    }
    log_msg(STACK_LOG_WARN, "%s; running without a control channel", err);
    return 0;
}

int tcpipd_start(struct tcpipd *d)
{
    d->loop = ev_default_loop(EVFLAG_AUTO);
    if (d->loop == NULL) {
        log_msg(STACK_LOG_ERR, "cannot initialise the event loop (libev)");
        return TCPIPD_EXIT_RUNTIME;
    }
    log_msg(STACK_LOG_INFO, "config loaded from %s: %zu interface(s), log level %s",
            d->config_path, d->cfg.n_ifaces, config_log_level_name(log_get_level()));

    struct stack_config sc = d->cfg.stack;
    /* RFC 6528 / RFC 6056: the stack's ISNs and ephemeral ports hang on
     * this secret; it must be unpredictable, so no fallback to a weak source. */
    ssize_t got = getrandom(sc.key, sizeof sc.key, 0);
    if (got != (ssize_t)sizeof sc.key) {
        log_msg(STACK_LOG_ERR, "getrandom: %s", got < 0 ? strerror(errno) : "short read");
        return TCPIPD_EXIT_RUNTIME;
    }
    sc.log = log_stack;
    sc.log_ctx = NULL;
    d->stack = stack_new(&sc);
    explicit_bzero(sc.key, sizeof sc.key);
    if (d->stack == NULL) {
        log_msg(STACK_LOG_ERR, "cannot create the stack: %s", strerror(errno));
        return TCPIPD_EXIT_RUNTIME;
    }

    if (capture_setup(d) != 0)
        return TCPIPD_EXIT_RUNTIME;
    for (size_t i = 0; i < d->cfg.n_ifaces; i++) {
        int rc = iface_start(d, i);
        if (rc != TCPIPD_EXIT_OK)
            return rc;
    }

    if (routes_setup(d) != 0)
        return TCPIPD_EXIT_RUNTIME;

    char err[CONF_ERR_LEN];
    d->services = services_start(d->stack, &d->cfg, services_clock, d, err, sizeof err);
    if (d->services == NULL) {
        log_msg(STACK_LOG_ERR, "%s", err);
        return TCPIPD_EXIT_RUNTIME;
    }
    /* The application socket: before privileges go (its directory is
     * usually root's /run). */
    if (d->cfg.ipc.enabled) {
        fd_limit_setup(&d->cfg.ipc);
        d->ipc = ipc_server_start(d->loop, d->stack, &d->cfg.ipc, services_clock, d, err,
                                  sizeof err);
        if (d->ipc == NULL) {
            log_msg(STACK_LOG_ERR, "%s", err);
            return TCPIPD_EXIT_RUNTIME;
        }
    }

    ev_timer_init(&d->timer, timer_fired, 0.0, 0.0);
    d->timer.data = d;
    memory_setup(d);
    ev_prepare_init(&d->prepare, before_sleep);
    d->prepare.data = d;
    ev_prepare_start(d->loop, &d->prepare);
    ev_signal_init(&d->sig_int, on_stop_signal, SIGINT);
    ev_signal_init(&d->sig_term, on_stop_signal, SIGTERM);
    ev_signal_init(&d->sig_hup, on_hup, SIGHUP);
    d->sig_int.data = d->sig_term.data = d->sig_hup.data = d;
    ev_signal_start(d->loop, &d->sig_int);
    ev_signal_start(d->loop, &d->sig_term);
    ev_signal_start(d->loop, &d->sig_hup);

    /* Nothing from here on needs a privilege (a reload never opens a TAP),
     * so keep none. Whatever else needs one at start-up (the IPC and control
     * sockets in a root-owned directory) must be opened above this line. */
    if (control_setup(d) != 0)
        return TCPIPD_EXIT_RUNTIME;
    if (drop_privileges(d) != 0)
        return TCPIPD_EXIT_RUNTIME;
    if (d->cfg.stats.path[0] != '\0') {
        /* As the daemon's own user: the file is for node_exporter to read. */
        double every = (double)d->cfg.stats.interval_s;
        ev_timer_init(&d->stats_timer, stats_write, 0.0, every);
        d->stats_timer.data = d;
        ev_timer_start(d->loop, &d->stats_timer);
    }
    /* The control channel lets in root and "our" uid: the one after the drop. */
    d->control_env.uid = (unsigned)geteuid();
    ipc_server_set_self_uid(d->ipc, geteuid());

    /* READY=1 means clients can be served: the TAPs are up and the services
     * listen. Anything else clients need (the IPC socket) starts above this. */
    if (notify_init_from_env(&d->notify, err, sizeof err) != 0)
        log_msg(STACK_LOG_WARN, "systemd notify: %s", err);
    notify_start(&d->notify, d->loop, status_text, d);
    log_msg(STACK_LOG_INFO, "ready: %zu interface(s), %zu service(s)", d->n_ifaces,
            services_count(d->services));
    int nrc = notify_ready(&d->notify, NULL);
    if (nrc == 0)
        nrc = notify_refresh_status(&d->notify);
    if (nrc < 0)
        log_msg(STACK_LOG_WARN, "systemd notify: cannot send READY=1: %s", strerror(-nrc));
    return TCPIPD_EXIT_OK;
}

int tcpipd_run(struct tcpipd *d)
{
    d->exit_status = TCPIPD_EXIT_OK;
    ev_run(d->loop, 0);
    (void)notify_stopping(&d->notify);
    /* RFC 2131 4.4.6: a clean stop gives the leases back. */
    stack_dhcp4_release(d->stack, tcpipd_now_ns());
    const uint64_t *c = stack_counters(d->stack);
    log_msg(STACK_LOG_INFO, "stopped: %llu frames in, %llu frames out",
            (unsigned long long)c[CTR_ETH_RX_FRAMES], (unsigned long long)c[CTR_ETH_TX_FRAMES]);
    return d->exit_status;
}

void tcpipd_free(struct tcpipd *d)
{
    if (d == NULL)
        return;
    if (d->loop != NULL) {
        for (size_t i = 0; i < d->n_ifaces; i++)
            if (ev_is_active(&d->ifaces[i].io))
                ev_io_stop(d->loop, &d->ifaces[i].io);
        if (ev_is_active(&d->timer))
            ev_timer_stop(d->loop, &d->timer);
        if (ev_is_active(&d->trim)) {
            ev_ref(d->loop);
            ev_timer_stop(d->loop, &d->trim);
        }
        if (ev_is_active(&d->stats_timer))
            ev_timer_stop(d->loop, &d->stats_timer);
        if (ev_is_active(&d->prepare))
            ev_prepare_stop(d->loop, &d->prepare);
        if (ev_is_active(&d->sig_int))
            ev_signal_stop(d->loop, &d->sig_int);
        if (ev_is_active(&d->sig_term))
            ev_signal_stop(d->loop, &d->sig_term);
        if (ev_is_active(&d->sig_hup))
            ev_signal_stop(d->loop, &d->sig_hup);
    }
    notify_close(&d->notify);
    control_stop(d->control);
    /* Sockets belong to the stack: close them first. */
    ipc_server_stop(d->ipc);
    services_stop(d->services);
    if (d->stack != NULL)
        stack_free(d->stack);
    for (size_t i = 0; i < d->n_ifaces; i++) {
        tap_close(&d->ifaces[i].tap);
        free(d->ifaces[i].buf);
    }
    capture_free(d->capture);    /* after the last frame was sent */
    if (d->loop != NULL)
        ev_loop_destroy(d->loop);
    free(d->config_path);
    free(d);
}
