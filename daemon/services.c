/* services.c - see services.h. */
#include "daemon/services.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/log.h"

enum service_proto {
    SERVICE_UDP,
    SERVICE_TCP,
};

struct service;
struct tcp_conn;

struct service_def {
    const char *name;
    enum service_proto proto;
    const char *rfc;
    /* UDP: one whole datagram of len bytes arrived from src. */
    void (*on_datagram)(struct service *svc, const uint8_t *data, size_t len,
                        const struct ip_endpoint *src);
    /* TCP: the connection may be readable and/or writable; move what can
     * be moved now. Called from stack callbacks and right after accept. */
    void (*on_ready)(struct tcp_conn *c, uint64_t now);
    size_t conn_buf;             /* TCP: bytes of buffer per connection */
};

struct service {
    const struct service_def *def;
    struct services *owner;
    uint16_t port;
    struct udp_sock *us;
    struct tcp_sock *listener;
    struct tcp_conn *conns;      /* live connections, doubly linked */
    struct service_stats stats;
};

/* One accepted TCP connection. */
struct tcp_conn {
    struct service *svc;
    struct tcp_sock *ts;
    struct tcp_conn *prev, *next;  /* in svc->conns */
    struct tcp_conn *next_close;   /* in owner->closing while closing */
    bool closing;                  /* done: waits for services_flush */
    bool peer_eof;                 /* the peer's FIN was read */
    size_t chargen_pos;            /* offset in the pattern of the next byte */
    size_t held, held_off;         /* echo: bytes in buf, from held_off on */
    uint8_t *buf;                  /* echo: SERVICES_ECHO_BUF bytes while bytes
                                      are held or being read, else NULL */
};

/* RFC 864: the 95 printing characters as a ring; line N is characters
 * N .. N+71 (mod 95) and CR LF. After 95 lines the pattern repeats. */
#define CHARGEN_RING 95
#define CHARGEN_LINE_BYTES (SERVICES_CHARGEN_LINE + 2)
#define CHARGEN_PATTERN (CHARGEN_RING * CHARGEN_LINE_BYTES)
/* Bytes offered to TCP per send: the pattern is stored once more than a
 * period long, so that from any offset in it this many bytes follow
 * contiguously. A whole TSO segment (64 KiB) per call, not a 7 KB period:
 * TCP sends what it is given, and small gifts make small segments. */
#define CHARGEN_SEND_MAX 65536

struct services {
    struct stack *stack;
    services_clock_fn clock;
    void *clock_ctx;
    struct service svc[SERVICES_MAX];
    size_t n;
    struct tcp_conn *closing;    /* to be closed by services_flush */
    uint8_t chargen[CHARGEN_PATTERN + CHARGEN_SEND_MAX];
    uint8_t buf[SERVICES_DGRAM_MAX]; /* one datagram (or discarded chunk) at a time, shared */
};

/* Datagrams drained per readiness event. The queue is bounded by the
 * socket's rcvbuf anyway; this only guards against a stack that would
 * loop our own replies back to us. */
#define SERVICES_DRAIN_MAX 1024

/* Echo must not answer a service that answers back: a datagram spoofed
 * from another host's echo (or chargen...) port would make the two bounce
 * it forever (the "UDP echo loop", CVE-1999-0103). Like inetd, we ignore
 * sources on the ports of those small services, and port 0, which cannot
 * be replied to. */
static bool loop_prone_port(uint16_t port)
{
    static const uint16_t ports[] = {0, 7, 13, 17, 19, 37};
    for (size_t i = 0; i < sizeof ports / sizeof ports[0]; i++)
        if (ports[i] == port)
            return true;
    return false;
}

static void echo_datagram(struct service *svc, const uint8_t *data, size_t len,
                          const struct ip_endpoint *src)
{
    if (loop_prone_port(src->port)) {
        svc->stats.drop_loop++;
        return;
    }
    struct services *sv = svc->owner;
    uint64_t now = sv->clock(sv->clock_ctx);
    /* RFC 862: "send back any data received" - to the source, as one datagram. */
    int rc = udp_sock_sendto(svc->us, data, len, src, now);
    if (rc < 0) {
        svc->stats.tx_errors++;
        if (log_enabled(STACK_LOG_DEBUG)) {
            char a[IP_ADDR_STRLEN];
            log_msg(STACK_LOG_DEBUG, "service: udp echo: reply to %s:%u not sent: %s",
                    ip_addr_format(&src->addr, a, sizeof a), (unsigned)src->port,
                    strerror(-rc));
        }
        return;
    }
    svc->stats.tx_datagrams++;
    svc->stats.tx_bytes += len;
}

static void discard_datagram(struct service *svc, const uint8_t *data, size_t len,
                             const struct ip_endpoint *src)
{
    /* RFC 863: "simply throw away any data received"; counted on receipt. */
    (void)svc;
    (void)data;
    (void)len;
    (void)src;
}

static const struct service_def udp_echo_def = {"echo", SERVICE_UDP, "RFC 862", echo_datagram,
                                                NULL, 0};
static const struct service_def udp_discard_def = {"discard", SERVICE_UDP, "RFC 863",
                                                   discard_datagram, NULL, 0};

static void udp_event(void *user, struct udp_sock *us, int events)
{
    struct service *svc = user;
    if (events & UDP_EV_ERROR) {
        /* An unconnected socket's errors (ICMP about one peer) concern no
         * one else; clear them so they do not fail the next reply. */
        int e = udp_sock_error(us);
        if (e != 0)
            log_msg(STACK_LOG_DEBUG, "service: udp %s: socket error: %s", svc->def->name,
                    strerror(e > 0 ? e : -e));
    }
    if (!(events & UDP_EV_READABLE))
        return;
    struct services *sv = svc->owner;
    for (int i = 0; i < SERVICES_DRAIN_MAX; i++) {
        struct ip_endpoint src;
        memset(&src, 0, sizeof src);
        int n = udp_sock_recvfrom(us, sv->buf, sizeof sv->buf, &src);
        if (n == -EAGAIN)
            break;
        if (n < 0) {
            log_msg(STACK_LOG_WARN, "service: udp %s: receive failed: %s", svc->def->name,
                    strerror(-n));
            break;
        }
        svc->stats.rx_datagrams++;
        svc->stats.rx_bytes += (uint64_t)n;
        if ((size_t)n > sizeof sv->buf) {
            svc->stats.drop_truncated++;
            continue;
        }
        svc->def->on_datagram(svc, sv->buf, (size_t)n, &src);
    }
}

/* [::]:port. One dual-stack socket per service, as Linux daemons bind [::]
 * (RFC 3493 3.7): IPv6 peers directly, IPv4 ones as ::ffff:a.b.c.d. */
static struct ip_endpoint service_any6(uint16_t port)
{
    struct ip_endpoint local;
    memset(&local, 0, sizeof local);
    local.addr.family = IP_FAMILY_V6;
    local.port = port;
    return local;
}

static int udp_service_open(struct services *sv, struct service *svc, char *err, size_t errlen)
{
    svc->us = udp_sock_open(sv->stack, udp_event, svc);
    if (svc->us == NULL) {
        snprintf(err, errlen, "service udp %s: cannot open a socket: out of memory",
                 svc->def->name);
        return -ENOMEM;
    }
    struct ip_endpoint local = service_any6(svc->port);
    int rc = udp_sock_set_family(svc->us, IP_FAMILY_V6);
    if (rc == 0)
        rc = udp_sock_bind(svc->us, &local);
    if (rc < 0) {
        snprintf(err, errlen, "service udp %s: cannot bind [::]:%u: %s", svc->def->name,
                 (unsigned)svc->port, strerror(-rc));
        udp_sock_close(svc->us);
        svc->us = NULL;
        return rc;
    }
    return 0;
}

/* ---- TCP ---- */

/* Bounds on the loops below. The stack's buffers bound the work anyway
 * (rcvbuf / SERVICES_ECHO_BUF reads, sndbuf / pattern writes); these only
 * guard against a stack that would keep saying "more". Events are edge
 * style, so a loop must normally run to EAGAIN, hence generous bounds. */
#define SERVICES_ACCEPT_MAX 65536
#define SERVICES_IO_MAX 4096

/* The connection is done: take it off the event path now, close it in
 * services_flush() (a callback may not close its own socket). */
static void conn_finish(struct tcp_conn *c, int err)
{
    if (c->closing)
        return;
    c->closing = true;
    struct service *svc = c->svc;
    if (err != 0) {
        svc->stats.conn_errors++;
        log_msg(STACK_LOG_DEBUG, "service: tcp %s: connection error: %s", svc->def->name,
                strerror(err));
    }
    c->next_close = svc->owner->closing;
    svc->owner->closing = c;
}

static void conn_free(struct tcp_conn *c, uint64_t now)
{
    struct service *svc = c->svc;
    if (c->prev != NULL)
        c->prev->next = c->next;
    else
        svc->conns = c->next;
    if (c->next != NULL)
        c->next->prev = c->prev;
    /* A socket handed to close belongs to the stack: it sends what is
     * queued and a FIN (or a RST if unread data is left, RFC 2525 2.17). */
    tcp_sock_close(c->ts, now);
    svc->stats.buffered_bytes -= c->held;
    svc->stats.conns_active--;
    svc->stats.conns_closed++;
    free(c->buf);
    free(c);
}

/* A read that returned no data: EOF, EAGAIN or an error. */
static void read_stopped(struct tcp_conn *c, long n)
{
    if (n == 0)
        c->peer_eof = true;
    else if (n != -EAGAIN)
        conn_finish(c, (int)-n);
}

/* Send held bytes; true when all are gone, false if the send buffer is
 * full or the connection failed. */
static bool echo_flush(struct tcp_conn *c, uint64_t now)
{
    struct service *svc = c->svc;
    for (int i = 0; i < SERVICES_IO_MAX && c->held > 0; i++) {
        long n = tcp_sock_send(c->ts, c->buf + c->held_off, c->held, now);
        if (n == -EAGAIN)
            return false;
        if (n <= 0) {
            conn_finish(c, n < 0 ? (int)-n : EIO);
            return false;
        }
        c->held_off += (size_t)n;
        c->held -= (size_t)n;
        svc->stats.tx_bytes += (uint64_t)n;
        svc->stats.buffered_bytes -= (uint64_t)n;
    }
    if (c->held == 0)
        c->held_off = 0;
    return c->held == 0;
}

/* RFC 862: "send back any data received". Read only while nothing is
 * held: a peer that does not read our answers gets a closing window. The
 * buffer exists only while there is something to echo (issue 14: an
 * idle connection costs no buffer). */
static void echo_ready(struct tcp_conn *c, uint64_t now)
{
    struct service *svc = c->svc;
    for (int i = 0; i < SERVICES_IO_MAX && !c->closing; i++) {
        if (!echo_flush(c, now) || c->peer_eof)
            break;
        uint8_t *dst = svc->owner->buf;
        size_t cap = 1; /* nothing readable: only EOF, an error or EAGAIN can come */
        if (tcp_sock_readable(c->ts) > 0) {
            if (c->buf == NULL && (c->buf = malloc(svc->def->conn_buf)) == NULL) {
                conn_finish(c, ENOMEM);
                break;
            }
            dst = c->buf;
            cap = svc->def->conn_buf;
        }
        long n = tcp_sock_recv(c->ts, dst, cap, now);
        if (n <= 0) {
            read_stopped(c, n);
            break;
        }
        c->held = (size_t)n;
        c->held_off = 0;
        svc->stats.rx_bytes += (uint64_t)n;
        svc->stats.buffered_bytes += (uint64_t)n;
    }
    if (c->held == 0) {
        free(c->buf);
        c->buf = NULL;
    }
    /* Everything echoed and the peer is done: our FIN follows the data
     * (RFC 9293 3.6), then the socket goes to the stack to finish. */
    if (!c->closing && c->peer_eof && c->held == 0) {
        (void)tcp_sock_shutdown(c->ts, 1, now);
        conn_finish(c, 0);
    }
}

/* Read and drop everything readable. */
static void drain(struct tcp_conn *c, uint64_t now)
{
    struct service *svc = c->svc;
    struct services *sv = svc->owner;
    for (int i = 0; i < SERVICES_IO_MAX && !c->closing && !c->peer_eof; i++) {
        long n = tcp_sock_recv(c->ts, sv->buf, sizeof sv->buf, now);
        if (n <= 0) {
            read_stopped(c, n);
            break;
        }
        svc->stats.rx_bytes += (uint64_t)n;
    }
}

/* RFC 863: "simply throw away any data received"; at the peer's FIN,
 * close our side too. */
static void discard_ready(struct tcp_conn *c, uint64_t now)
{
    drain(c, now);
    if (!c->closing && c->peer_eof)
        conn_finish(c, 0);
}

/* RFC 864: send the pattern whenever there is room, discard what comes
 * in. A peer's FIN only ends its direction; like inetd's chargen we go on
 * until the connection fails or the peer resets it. */
static void chargen_ready(struct tcp_conn *c, uint64_t now)
{
    struct service *svc = c->svc;
    const uint8_t *pat = svc->owner->chargen;
    drain(c, now);
    for (int i = 0; i < SERVICES_IO_MAX && !c->closing; i++) {
        long n = tcp_sock_send(c->ts, pat + c->chargen_pos, CHARGEN_SEND_MAX, now);
        if (n == -EAGAIN)
            break;
        if (n <= 0) {
            conn_finish(c, n < 0 ? (int)-n : EIO);
            break;
        }
        svc->stats.tx_bytes += (uint64_t)n;
        c->chargen_pos = (c->chargen_pos + (size_t)n) % CHARGEN_PATTERN;
    }
}

static void conn_event(void *user, struct tcp_sock *ts, int events)
{
    struct tcp_conn *c = user;
    (void)ts;
    if (c->closing)
        return;
    uint64_t now = c->svc->owner->clock(c->svc->owner->clock_ctx);
    /* Move what can still be moved first: data may sit readable before
     * the error or the end (a FIN behind data, a RST after it). */
    c->svc->def->on_ready(c, now);
    if (c->closing)
        return;
    if (events & (TCP_EV_ERROR | TCP_EV_CLOSED)) {
        int err = tcp_sock_error(c->ts);
        if (err < 0)
            err = -err;
        /* CLOSED without an error: the exchange ended normally, e.g. our
         * FIN was acknowledged after the peer's. */
        if (err != 0 || (events & TCP_EV_CLOSED))
            conn_finish(c, err);
    }
}

static void listener_event(void *user, struct tcp_sock *ls, int events)
{
    struct service *svc = user;
    struct services *sv = svc->owner;
    if (events & TCP_EV_ERROR) {
        int e = tcp_sock_error(ls);
        if (e != 0)
            log_msg(STACK_LOG_WARN, "service: tcp %s: listener error: %s", svc->def->name,
                    strerror(e > 0 ? e : -e));
    }
    if (!(events & TCP_EV_ACCEPT))
        return;
    uint64_t now = sv->clock(sv->clock_ctx);
    for (int i = 0; i < SERVICES_ACCEPT_MAX; i++) {
        struct tcp_conn *c = calloc(1, sizeof *c); /* buffers come with data */
        int err = 0;
        struct tcp_sock *ts = tcp_sock_accept(ls, conn_event, c, &err);
        if (ts == NULL) {
            free(c);
            if (err != -EAGAIN)
                log_msg(STACK_LOG_WARN, "service: tcp %s: accept failed: %s", svc->def->name,
                        strerror(err < 0 ? -err : err));
            return;
        }
        if (c == NULL) {
            /* No memory to serve it: refuse it rather than leave it
             * unserved. Abort is fine here: ts is not the socket this
             * callback was called for. */
            svc->stats.accept_errors++;
            tcp_sock_abort(ts, now);
            continue;
        }
        c->svc = svc;
        c->ts = ts;
        c->next = svc->conns;
        if (svc->conns != NULL)
            svc->conns->prev = c;
        svc->conns = c;
        svc->stats.conns_accepted++;
        svc->stats.conns_active++;
        /* Data (even a FIN) may have come with the handshake, and chargen
         * starts talking at once: no event will say so. */
        svc->def->on_ready(c, now);
    }
}

static int tcp_service_open(struct services *sv, struct service *svc, char *err, size_t errlen)
{
    svc->listener = tcp_sock_open(sv->stack, listener_event, svc);
    if (svc->listener == NULL) {
        snprintf(err, errlen, "service tcp %s: cannot open a socket: out of memory",
                 svc->def->name);
        return -ENOMEM;
    }
    struct ip_endpoint local = service_any6(svc->port);
    int rc = tcp_sock_set_family(svc->listener, IP_FAMILY_V6);
    if (rc == 0)
        rc = tcp_sock_bind(svc->listener, &local);
    const char *what = "bind";
    if (rc == 0) {
        /* The stack clamps the backlog to stack.tcp.max_backlog. */
        rc = tcp_sock_listen(svc->listener, 128);
        what = "listen on";
    }
    if (rc < 0) {
        snprintf(err, errlen, "service tcp %s: cannot %s [::]:%u: %s", svc->def->name, what,
                 (unsigned)svc->port, strerror(-rc));
        tcp_sock_close(svc->listener, sv->clock(sv->clock_ctx));
        svc->listener = NULL;
        return rc;
    }
    return 0;
}

static const struct service_def tcp_echo_def = {"echo", SERVICE_TCP, "RFC 862", NULL, echo_ready,
                                                SERVICES_ECHO_BUF};
static const struct service_def tcp_discard_def = {"discard", SERVICE_TCP, "RFC 863", NULL,
                                                   discard_ready, 0};
static const struct service_def tcp_chargen_def = {"chargen", SERVICE_TCP, "RFC 864", NULL,
                                                   chargen_ready, 0};

static void chargen_fill(uint8_t *pat)
{
    for (size_t line = 0; line < CHARGEN_RING; line++) {
        uint8_t *p = pat + line * CHARGEN_LINE_BYTES;
        for (size_t i = 0; i < SERVICES_CHARGEN_LINE; i++)
            p[i] = (uint8_t)(' ' + (line + i) % CHARGEN_RING);
        p[SERVICES_CHARGEN_LINE] = '\r';
        p[SERVICES_CHARGEN_LINE + 1] = '\n';
    }
    for (size_t i = CHARGEN_PATTERN; i < CHARGEN_PATTERN + CHARGEN_SEND_MAX; i++)
        pat[i] = pat[i - CHARGEN_PATTERN];
}

void services_flush(struct services *sv, uint64_t now)
{
    if (sv == NULL)
        return;
    /* tcp_sock_close never calls back for the socket it closes, but take
     * the list first anyway so that nothing added meanwhile is lost. */
    while (sv->closing != NULL) {
        struct tcp_conn *c = sv->closing;
        sv->closing = c->next_close;
        conn_free(c, now);
    }
}

struct services *services_start(struct stack *s, const struct tcpipd_config *cfg,
                                services_clock_fn clock, void *clock_ctx, char *err,
                                size_t errlen)
{
    const struct {
        const struct conf_service *conf;
        const struct service_def *def;
    } wanted[] = {
        {&cfg->services.udp_echo, &udp_echo_def},
        {&cfg->services.udp_discard, &udp_discard_def},
        {&cfg->services.tcp_echo, &tcp_echo_def},
        {&cfg->services.tcp_discard, &tcp_discard_def},
        {&cfg->services.tcp_chargen, &tcp_chargen_def},
    };
    struct services *sv = calloc(1, sizeof *sv);
    if (sv == NULL) {
        snprintf(err, errlen, "services: out of memory");
        return NULL;
    }
    sv->stack = s;
    sv->clock = clock;
    sv->clock_ctx = clock_ctx;
    chargen_fill(sv->chargen);
    for (size_t i = 0; i < sizeof wanted / sizeof wanted[0]; i++) {
        if (!wanted[i].conf->enabled)
            continue;
        struct service *svc = &sv->svc[sv->n];
        svc->def = wanted[i].def;
        svc->owner = sv;
        svc->port = wanted[i].conf->port;
        bool tcp = svc->def->proto == SERVICE_TCP;
        int rc = tcp ? tcp_service_open(sv, svc, err, errlen)
                     : udp_service_open(sv, svc, err, errlen);
        if (rc < 0) {
            services_stop(sv);
            return NULL;
        }
        sv->n++;
        log_msg(STACK_LOG_INFO, "service: %s %s listening on [::]:%u (%s)", tcp ? "tcp" : "udp",
                svc->def->name, (unsigned)svc->port, svc->def->rfc);
    }
    return sv;
}

void services_stop(struct services *sv)
{
    if (sv == NULL)
        return;
    uint64_t now = sv->clock(sv->clock_ctx);
    /* Connections already done first (they are on both lists), then the
     * live ones, then the listeners, which reset what was never accepted. */
    services_flush(sv, now);
    for (size_t i = 0; i < sv->n; i++) {
        struct service *svc = &sv->svc[i];
        while (svc->conns != NULL)
            conn_free(svc->conns, now);
        if (svc->listener != NULL)
            tcp_sock_close(svc->listener, now);
        if (svc->us != NULL)
            udp_sock_close(svc->us);
    }
    free(sv);
}

size_t services_count(const struct services *sv)
{
    return sv != NULL ? sv->n : 0;
}

int services_info(const struct services *sv, size_t i, struct service_info *out)
{
    if (sv == NULL || i >= sv->n)
        return -1;
    const struct service *svc = &sv->svc[i];
    out->name = svc->def->name;
    out->proto = svc->def->proto == SERVICE_UDP ? "udp" : "tcp";
    out->port = svc->port;
    out->stats = svc->stats;
    return 0;
}
