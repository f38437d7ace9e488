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
    /* SERVICE_TCP: echo, discard, chargen once the stack has TCP */
};

struct service;

struct service_def {
    const char *name;
    enum service_proto proto;
    const char *rfc;
    /* UDP: one whole datagram of len bytes arrived from src. */
    void (*on_datagram)(struct service *svc, const uint8_t *data, size_t len,
                        const struct ip_endpoint *src);
};

struct service {
    const struct service_def *def;
    struct services *owner;
    uint16_t port;
    struct udp_sock *us;
    struct service_stats stats;
};

struct services {
    struct stack *stack;
    services_clock_fn clock;
    void *clock_ctx;
    struct service svc[SERVICES_MAX];
    size_t n;
    uint8_t buf[SERVICES_DGRAM_MAX]; /* one datagram at a time, shared */
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

static const struct service_def udp_echo_def = {"echo", SERVICE_UDP, "RFC 862", echo_datagram};
static const struct service_def udp_discard_def = {"discard", SERVICE_UDP, "RFC 863",
                                                   discard_datagram};

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

static int udp_service_open(struct services *sv, struct service *svc, char *err, size_t errlen)
{
    svc->us = udp_sock_open(sv->stack, udp_event, svc);
    if (svc->us == NULL) {
        snprintf(err, errlen, "service udp %s: cannot open a socket: out of memory",
                 svc->def->name);
        return -ENOMEM;
    }
    struct ip_endpoint local;
    memset(&local, 0, sizeof local);
    local.addr = ip_addr_v4(0);
    local.port = svc->port;
    int rc = udp_sock_bind(svc->us, &local);
    if (rc < 0) {
        snprintf(err, errlen, "service udp %s: cannot bind 0.0.0.0:%u: %s", svc->def->name,
                 (unsigned)svc->port, strerror(-rc));
        udp_sock_close(svc->us);
        svc->us = NULL;
        return rc;
    }
    return 0;
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
    };
    struct services *sv = calloc(1, sizeof *sv);
    if (sv == NULL) {
        snprintf(err, errlen, "services: out of memory");
        return NULL;
    }
    sv->stack = s;
    sv->clock = clock;
    sv->clock_ctx = clock_ctx;
    for (size_t i = 0; i < sizeof wanted / sizeof wanted[0]; i++) {
        if (!wanted[i].conf->enabled)
            continue;
        struct service *svc = &sv->svc[sv->n];
        svc->def = wanted[i].def;
        svc->owner = sv;
        svc->port = wanted[i].conf->port;
        if (udp_service_open(sv, svc, err, errlen) < 0) {
            services_stop(sv);
            return NULL;
        }
        sv->n++;
        log_msg(STACK_LOG_INFO, "service: udp %s listening on 0.0.0.0:%u (%s)", svc->def->name,
                (unsigned)svc->port, svc->def->rfc);
    }
    return sv;
}

void services_stop(struct services *sv)
{
    if (sv == NULL)
        return;
    for (size_t i = 0; i < sv->n; i++)
        if (sv->svc[i].us != NULL)
            udp_sock_close(sv->svc[i].us);
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
    out->proto = svc->def->proto == SERVICE_UDP ? "udp" : "?";
    out->port = svc->port;
    out->stats = svc->stats;
    return 0;
}
