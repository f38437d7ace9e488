/* stack.h - public API of the direct stack.
 *
 * The stack is sans-I/O: it never reads a clock, a device or a random
 * source. The caller passes `now` (monotonic nanoseconds) into every entry
 * point and a random key at creation; frames go out through a netif's ops
 * table; stack_next_deadline() says when stack_poll() must run next.
 * Nothing here is global: two stacks in one process (the simulated-link
 * tests) never share state. Not thread-safe: one thread drives a stack. */
#ifndef TCPIP_STACK_H
#define TCPIP_STACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "stack/counters.h"
#include "stack/wire/addr.h"

#define NS_PER_MS 1000000ull
#define NS_PER_SEC 1000000000ull
#define STACK_NO_DEADLINE UINT64_MAX
#define STACK_MAX_NETIFS 8
#define STACK_IFNAMSIZ 16

/* Log levels, numerically as syslog's. */
enum stack_log_level {
    STACK_LOG_ERR = 3,
    STACK_LOG_WARN = 4,
    STACK_LOG_INFO = 6,
    STACK_LOG_DEBUG = 7,
};

typedef void (*stack_log_fn)(void *ctx, int level, const char *msg);

struct stack_config {
    uint8_t key[16];             /* secret from the caller's random source */
    stack_log_fn log;            /* may be NULL */
    void *log_ctx;
    /* ARP (RFC 826, RFC 1122 2.3.2) */
    uint32_t arp_cache_size;     /* entries, incl. static ones; default 256 */
    uint64_t arp_reachable_ns;   /* an entry is trusted this long; default 30 s */
    uint64_t arp_retry_ns;       /* between requests while resolving; default 1 s */
    uint32_t arp_max_retries;    /* requests before giving up; default 3 */
    uint32_t arp_pending_max;    /* packets waiting for resolution, all entries; default 64 */
    /* IPv4 */
    uint8_t ip_default_ttl;      /* default 64 */
    /* ICMP error rate limit: token bucket (like Linux icmp_ratelimit) */
    uint32_t icmp_rate_per_sec;  /* default 1000 */
    uint32_t icmp_burst;         /* default 50 */
    /* UDP */
    uint32_t udp_rcvbuf;         /* bytes queued per socket; default 212992 */
};

/* Fill every field with its default (key zeroed, log NULL). */
void stack_config_defaults(struct stack_config *cfg);

/* A network interface as the stack sees it: a way to send a frame. */
struct netif_ops {
    /* Send one Ethernet frame of len bytes. Return 0, or -errno: the frame is
     * then dropped and counted (CTR_ETH_TX_DROP_ERROR). */
    int (*send)(void *ctx, const uint8_t *frame, size_t len);
};

struct netif_static_neigh {
    uint32_t ip;                 /* host order */
    struct eth_addr mac;
};

struct netif_config {
    char name[STACK_IFNAMSIZ];
    struct eth_addr mac;
    uint16_t mtu;                /* IP MTU, 68..9000; frames are mtu + 14 */
    uint32_t ipv4_addr;          /* host order; 0 = no IPv4 address */
    uint8_t ipv4_prefix_len;     /* 0..32 */
    uint32_t ipv4_gateway;       /* host order; 0 = no default route */
    const struct netif_static_neigh *neigh;
    size_t n_neigh;
};

struct stack;

/* NULL on allocation failure or a bad config (errno set: ENOMEM/EINVAL). */
struct stack *stack_new(const struct stack_config *cfg);
void stack_free(struct stack *s);

/* Add an interface and bring it up: it sends a gratuitous ARP for its
 * address. Returns the interface index (>= 0) or -errno (-EINVAL for a bad
 * config, -ENOSPC when STACK_MAX_NETIFS are in use). */
int stack_netif_add(struct stack *s, const struct netif_config *cfg,
                    const struct netif_ops *ops, void *ctx, uint64_t now);

/* One received Ethernet frame. Never trusts a length; bad input is dropped
 * and counted. The frame is not kept after the call returns. */
void stack_input(struct stack *s, int ifindex, const uint8_t *frame, size_t len, uint64_t now);

/* Run every timer due at or before now (ARP retries and expiry, ...). */
void stack_poll(struct stack *s, uint64_t now);

/* When stack_poll must next run, or STACK_NO_DEADLINE. */
uint64_t stack_next_deadline(const struct stack *s);

/* All counters, indexed by enum stack_counter (CTR_MAX entries). */
const uint64_t *stack_counters(const struct stack *s);

/* Neighbour cache, for tools (`tcpipctl neigh`). */
enum neigh_state {
    NEIGH_INCOMPLETE,            /* request sent, no answer yet */
    NEIGH_REACHABLE,             /* confirmed within arp_reachable_ns */
    NEIGH_STALE,                 /* usable; refreshed on next use */
    NEIGH_PERMANENT,             /* static entry from the config */
};
struct neigh_info {
    int ifindex;
    struct ip_addr ip;
    struct eth_addr mac;         /* zero while INCOMPLETE */
    enum neigh_state state;
    uint64_t updated;            /* `now` of the last confirmation */
};
/* Copy up to max entries into out; returns the number of entries in the
 * cache (may exceed max). */
size_t stack_neigh_list(const struct stack *s, struct neigh_info *out, size_t max);
const char *neigh_state_name(enum neigh_state st);

/* ---- UDP sockets (RFC 768) ---- */

struct udp_sock;

enum udp_event {
    UDP_EV_READABLE = 1,         /* a datagram was queued */
    UDP_EV_ERROR = 2,            /* a pending error was set (see udp_sock_error) */
};
/* Called from inside stack_input/stack_poll; may call udp_sock_recvfrom and
 * udp_sock_sendto, must not close the socket. */
typedef void (*udp_event_fn)(void *user, struct udp_sock *us, int events);

/* NULL on allocation failure. */
struct udp_sock *udp_sock_open(struct stack *s, udp_event_fn cb, void *user);
/* Close and free; queued datagrams are dropped. */
void udp_sock_close(struct udp_sock *us);
/* Bind to a local address (any = 0.0.0.0) and port (0 = ephemeral, RFC 6056).
 * 0, or -EADDRINUSE, -EADDRNOTAVAIL (not one of our addresses), -EINVAL
 * (already bound, or not IPv4), -EAFNOSUPPORT. */
int udp_sock_bind(struct udp_sock *us, const struct ip_endpoint *local);
/* Set the default peer; ICMP errors about it become socket errors
 * (ECONNREFUSED, EHOSTUNREACH...), as on Linux. Binds an ephemeral port
 * first if needed. */
int udp_sock_connect(struct udp_sock *us, const struct ip_endpoint *remote);
/* Send one datagram to dst (NULL: the connected peer). Binds an ephemeral
 * port if unbound. Returns len, or -EMSGSIZE (above the MTU: we set DF and
 * do not fragment), -EDESTADDRREQ, -ENETUNREACH (no route), -EINVAL,
 * -EAFNOSUPPORT, or a pending error. A datagram waiting for ARP counts as
 * sent; if resolution fails, the socket gets EHOSTUNREACH. */
int udp_sock_sendto(struct udp_sock *us, const void *data, size_t len,
                    const struct ip_endpoint *dst, uint64_t now);
/* Dequeue one datagram: copies min(len, size) bytes, returns the datagram's
 * full size (so size > len means it was truncated, like MSG_TRUNC), fills
 * *src if not NULL. -EAGAIN when the queue is empty. */
int udp_sock_recvfrom(struct udp_sock *us, void *buf, size_t len, struct ip_endpoint *src);
/* Bytes in the next queued datagram, or -EAGAIN. */
int udp_sock_peek_size(const struct udp_sock *us);
/* Return and clear the pending error (0 if none), like SO_ERROR. */
int udp_sock_error(struct udp_sock *us);
int udp_sock_getsockname(const struct udp_sock *us, struct ip_endpoint *out);

#endif
