/* services.h - small built-in services, inetd style, on the direct stack.
 *
 * They prove the stack end to end without any client: echo (RFC 862)
 * sends back what it gets, discard (RFC 863) drops it, chargen (RFC 864,
 * TCP only) sends a character pattern for as long as the peer reads.
 * Each service is a row of a table (name, protocol, handlers).
 *
 * TCP services are event driven: a listener per service, a small struct
 * per accepted connection. The stack's rule is that a callback must not
 * close the socket it is called for, so connections that are done go on a
 * pending-close list; services_flush() closes them and must run after
 * every stack_input batch and stack_poll (the daemon does it before its
 * loop sleeps). */
#ifndef TCPIPD_SERVICES_H
#define TCPIPD_SERVICES_H

#include <stddef.h>
#include <stdint.h>

#include "daemon/config.h"
#include "stack/stack.h"

#define SERVICES_MAX 8
/* The largest UDP payload, over IPv6 (65535 - 8; IPv4's is 65507): no
 * datagram is cut. */
#define SERVICES_DGRAM_MAX 65527
/* TCP echo: bytes read but not yet taken by the send buffer, per
 * connection. While they are held, echo reads nothing more, so a peer
 * that sends without reading fills our receive window and is stopped by
 * TCP flow control, not by our memory. */
#define SERVICES_ECHO_BUF 16384
/* RFC 864: 72 characters and CR LF per line. */
#define SERVICES_CHARGEN_LINE 72

/* The stack wants `now` for every send; the services ask the caller's clock. */
typedef uint64_t (*services_clock_fn)(void *ctx);

struct service_stats {
    uint64_t rx_datagrams;       /* UDP */
    uint64_t rx_bytes;           /* UDP and TCP: payload bytes received */
    uint64_t tx_datagrams;       /* UDP */
    uint64_t tx_bytes;           /* UDP and TCP: payload bytes the stack took */
    uint64_t tx_errors;          /* UDP: the stack refused the reply */
    uint64_t drop_loop;          /* UDP echo from a port that would answer back */
    uint64_t drop_truncated;     /* cannot happen with SERVICES_DGRAM_MAX; counted anyway */
    /* TCP */
    uint64_t conns_accepted;     /* connections taken off the listener */
    uint64_t conns_active;       /* open now (a gauge) */
    uint64_t conns_closed;       /* ended, for any reason */
    uint64_t conn_errors;        /* ended by an error: reset, timeout, ... */
    uint64_t accept_errors;      /* no memory for a connection: it was aborted */
    uint64_t buffered_bytes;     /* echo: read and not yet sent, all connections (a gauge) */
};

struct service_info {
    const char *name;            /* "echo" */
    const char *proto;           /* "udp" or "tcp" */
    uint16_t port;
    struct service_stats stats;
};

struct services;

/* Open and bind every enabled service of cfg->services on 0.0.0.0.
 * NULL with a message in err if one cannot be bound (then none is open). */
struct services *services_start(struct stack *s, const struct tcpipd_config *cfg,
                                services_clock_fn clock, void *clock_ctx, char *err,
                                size_t errlen);
/* Close the TCP connections that finished since the last call (see the
 * top of this file). Call it after stack_input/stack_poll, never from
 * inside a stack callback. NULL is fine. */
void services_flush(struct services *sv, uint64_t now);
/* Close every socket (listeners and live connections) and free. NULL is
 * fine. */
void services_stop(struct services *sv);

size_t services_count(const struct services *sv);
/* 0, or -1 if i is out of range. */
int services_info(const struct services *sv, size_t i, struct service_info *out);

#endif
