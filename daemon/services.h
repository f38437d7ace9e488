/* services.h - small built-in services, inetd style, on the direct stack.
 *
 * They prove the stack end to end without any client: UDP echo (RFC 862)
 * sends every datagram back to its source, UDP discard (RFC 863) drops it.
 * Each service is a row of a table (name, protocol, handler); TCP echo,
 * discard and chargen are new rows plus a TCP branch, not a new design. */
#ifndef TCPIPD_SERVICES_H
#define TCPIPD_SERVICES_H

#include <stddef.h>
#include <stdint.h>

#include "daemon/config.h"
#include "stack/stack.h"

#define SERVICES_MAX 8
/* Largest UDP payload over IPv4 (65535 - 20 - 8): no datagram is cut. */
#define SERVICES_DGRAM_MAX 65507

/* The stack wants `now` for every send; the services ask the caller's clock. */
typedef uint64_t (*services_clock_fn)(void *ctx);

struct service_stats {
    uint64_t rx_datagrams;
    uint64_t rx_bytes;
    uint64_t tx_datagrams;
    uint64_t tx_bytes;
    uint64_t tx_errors;          /* the stack refused the reply */
    uint64_t drop_loop;          /* echo from a port that would answer back */
    uint64_t drop_truncated;     /* cannot happen with SERVICES_DGRAM_MAX; counted anyway */
};

struct service_info {
    const char *name;            /* "echo" */
    const char *proto;           /* "udp" */
    uint16_t port;
    struct service_stats stats;
};

struct services;

/* Open and bind every enabled service of cfg->services on 0.0.0.0.
 * NULL with a message in err if one cannot be bound (then none is open). */
struct services *services_start(struct stack *s, const struct tcpipd_config *cfg,
                                services_clock_fn clock, void *clock_ctx, char *err,
                                size_t errlen);
/* Close every socket and free. NULL is fine. */
void services_stop(struct services *sv);

size_t services_count(const struct services *sv);
/* 0, or -1 if i is out of range. */
int services_info(const struct services *sv, size_t i, struct service_info *out);

#endif
