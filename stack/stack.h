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
    uint32_t arp_pending_max;    /* packets waiting for resolution, all entries; default 1024 */
    uint32_t arp_pending_per_entry; /* of those, per neighbour (ARP and ND; Linux
                                       unres_qlen), the oldest pushed out; default 101 */
    /* IPv4 */
    uint8_t ip_default_ttl;      /* default 64 */
    /* ICMP error rate limit: token bucket (like Linux icmp_ratelimit) */
    uint32_t icmp_rate_per_sec;  /* default 1000 */
    uint32_t icmp_burst;         /* default 50 */
    /* IPv6 neighbour discovery */
    uint64_t nd_dad_max_delay_ns; /* DAD's first NS waits up to this (RFC 4862
                                     5.4.2 MAX_RTR_SOLICITATION_DELAY); default 1 s */
    /* UDP */
    uint32_t udp_rcvbuf;         /* bytes queued per socket; default 212992 */
    /* TCP (RFC 9293 and friends); the defaults follow Linux where it has one */
    struct stack_tcp_config {
        uint32_t sndbuf;         /* send buffer bytes per connection; default 262144 */
        uint32_t rcvbuf;         /* receive buffer bytes (window ceiling); default 262144 */
        uint32_t max_conns;      /* connections of all states; default 16384 */
        uint32_t syn_backlog;    /* SYN_RECEIVED per listener before cookies; default 256 */
        uint32_t max_backlog;    /* ceiling of listen(backlog); default 4096 (somaxconn) */
        uint32_t ooo_max_ranges; /* out-of-order ranges kept per connection; default 32 */
        uint64_t rto_initial_ns; /* RFC 6298 2.1: 1 s */
        uint64_t rto_min_ns;     /* Linux TCP_RTO_MIN: 200 ms */
        uint64_t rto_max_ns;     /* Linux TCP_RTO_MAX: 120 s */
        uint32_t syn_retries;    /* SYN retransmissions before ETIMEDOUT; 6 */
        uint32_t synack_retries; /* 5 */
        uint32_t retries2;       /* data retransmissions before ETIMEDOUT; 15 */
        uint64_t delack_ns;      /* delayed-ACK timeout, <= 500 ms (RFC 1122); 40 ms */
        uint32_t delack_segs;    /* ACK at least every this many full segments; 2 */
        uint64_t time_wait_ns;   /* 2*MSL; 60 s as Linux */
        uint64_t fin_wait2_ns;   /* orphaned FIN_WAIT_2 timeout; 60 s */
        uint64_t keepalive_idle_ns;  /* 7200 s */
        uint64_t keepalive_intvl_ns; /* 75 s */
        uint32_t keepalive_cnt;      /* 9 */
        uint8_t cc;              /* enum tcp_cc_algo; default CUBIC */
        bool sack;               /* offer/accept SACK; default true */
        bool timestamps;         /* RFC 7323 timestamps; default true */
        bool window_scaling;     /* default true */
        uint8_t syncookies;      /* 0 never, 1 when the SYN queue is full (default), 2 always */
        bool rack;               /* RACK time-based loss detection (RFC 8985), SACK
                                    connections; else RFC 6675's DupThresh; default true */
        bool tlp;                /* tail loss probe (RFC 8985 7); default true */
        bool prr;                /* proportional rate reduction in recovery (RFC 6937);
                                    else cwnd = ssthresh at once; default true */
    } tcp;
};

enum tcp_cc_algo {
    TCP_CC_NEWRENO = 0,          /* RFC 5681 + RFC 6582 */
    TCP_CC_CUBIC = 1,            /* RFC 9438 */
};

/* Fill every field with its default (key zeroed, log NULL). */
void stack_config_defaults(struct stack_config *cfg);

/* Offloads (netif_config.offloads), as a virtio-net device or a TAP with
 * IFF_VNET_HDR offers them: the device finishes TCP/UDP checksums, and cuts
 * TCP segments of up to 64 KiB into MTU-sized ones (TSO/GSO). */
#define NETIF_OFFLOAD_TX_CSUM 0x1u
#define NETIF_OFFLOAD_TSO4 0x2u      /* needs NETIF_OFFLOAD_TX_CSUM */
#define NETIF_OFFLOAD_TSO6 0x4u      /* TCP over IPv6; needs NETIF_OFFLOAD_TX_CSUM */

/* The virtio-net gso_type of a TSO frame (virtio spec 5.1.6.2). */
enum netif_gso_type { NETIF_GSO_NONE = 0, NETIF_GSO_TCPV4 = 1, NETIF_GSO_TCPV6 = 2 };

/* What a frame handed to send_offload still needs from the device. */
struct netif_tx_offload {
    bool csum_partial;           /* finish the checksum: sum from csum_start to
                                    the end, stored at csum_start + csum_offset
                                    (the field holds the pseudo-header sum) */
    uint16_t csum_start;         /* bytes from the frame start to the L4 header */
    uint16_t csum_offset;        /* 16 for TCP, 6 for UDP */
    uint16_t hdr_len;            /* Ethernet + IP + TCP header bytes */
    uint16_t gso_size;           /* payload bytes per segment to cut; 0 = none */
    uint8_t gso_type;            /* enum netif_gso_type */
};

/* A network interface as the stack sees it: a way to send a frame. */
struct netif_ops {
    /* Send one Ethernet frame of len bytes. Return 0, or -errno: the frame is
     * then dropped and counted (CTR_ETH_TX_DROP_ERROR). */
    int (*send)(void *ctx, const uint8_t *frame, size_t len);
    /* Optional: send a frame with the offload work o describes (only used
     * when netif_config.offloads asks for it). Same return as send. */
    int (*send_offload)(void *ctx, const uint8_t *frame, size_t len,
                        const struct netif_tx_offload *o);
};

/* The largest IPv4 packet a TSO segment makes (RFC 791 total length);
 * for IPv6 the same 16 bits bound the payload after the fixed header
 * (RFC 8200 3 Payload Length; no jumbograms). */
#define STACK_TSO_MAX_IP 65535u

struct netif_static_neigh {
    uint32_t ip;                 /* host order */
    struct eth_addr mac;
};

/* IPv4 addresses per interface (the first from ipv4_addr, the others from
 * netif_config.addr4 or stack_addr4_add), each bringing its subnet
 * on-link as `ip addr add` does. */
#define NETIF_MAX_ADDR4 8
#define NETIF_MAX_STATIC_ADDR4 (NETIF_MAX_ADDR4 - 1)
struct netif_addr4_config {
    uint32_t addr;               /* host order */
    uint8_t prefix_len;          /* 0..32 */
};

#define NETIF_MAX_STATIC_ADDR6 4

struct netif_addr6_config {
    uint8_t addr[16];
    uint8_t prefix_len;          /* 1..128 */
};

/* How the interface identifier of the link-local and SLAAC addresses is
 * formed (netif_config.addr_gen_mode; Linux's addr_gen_mode). */
enum netif_addr_gen_mode {
    NETIF_ADDR_GEN_EUI64 = 0,          /* from the MAC (RFC 4291 2.5.1) */
    NETIF_ADDR_GEN_STABLE_PRIVACY = 1, /* RFC 7217: keyed hash of prefix, name,
                                          DAD counter and stable_secret */
};

#define NETIF_STABLE_SECRET_LEN 16

struct netif_config {
    char name[STACK_IFNAMSIZ];
    struct eth_addr mac;
    uint16_t mtu;                /* IP MTU, 68..9000; frames are mtu + 14 */
    uint32_t ipv4_addr;          /* host order; 0 = no IPv4 address */
    uint8_t ipv4_prefix_len;     /* 0..32 */
    uint32_t ipv4_gateway;       /* host order; 0 = no default route (else one,
                                    metric 0, as stack_route_add) */
    struct netif_addr4_config addr4[NETIF_MAX_STATIC_ADDR4]; /* more IPv4 addresses */
    size_t n_addr4;
    /* DHCPv4 client (core/dhcp4.c, RFC 2131): the interface's IPv4
     * address, routes and MTU come from a lease (then ipv4_addr is 0).
     * dhcp4_previous: an address from an earlier lease to ask for again
     * (INIT-REBOOT), 0 for none. */
    bool dhcp4;
    uint32_t dhcp4_previous;
    uint32_t offloads;           /* NETIF_OFFLOAD_*; needs ops->send_offload */
    /* IPv6 (RFC 8200, 4861, 4862): on if ipv6 is set. The link-local
     * address comes from the MAC (modified EUI-64, RFC 4291 2.5.1) unless
     * addr_gen_mode says otherwise; static
     * addresses and SLAAC ones (RFC 4862, if slaac) are used after DAD. */
    bool ipv6;
    bool slaac;
    /* enum netif_addr_gen_mode. With NETIF_ADDR_GEN_STABLE_PRIVACY the
     * link-local and SLAAC interface identifiers are RFC 7217's, keyed
     * with stable_secret (which the caller keeps secret and the same
     * across restarts); static addresses are never affected. */
    uint8_t addr_gen_mode;
    uint8_t stable_secret[NETIF_STABLE_SECRET_LEN];
    struct netif_addr6_config addr6[NETIF_MAX_STATIC_ADDR6];
    size_t n_addr6;
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

/* ---- interfaces, for tools (`tcpipctl link`) and live changes ---- */

/* The loopback interface `lo` (core/loopback.c), always there: 127.0.0.1/8
 * and ::1/128, and the way to our own addresses (as Linux's local
 * routes). Packets to it wait in a bounded queue and are taken in by the
 * next stack_poll (stack_next_deadline says "now"), never from inside the
 * call that sent them. Its index is never one stack_netif_add returns. */
#define STACK_LOOPBACK_IFINDEX STACK_MAX_NETIFS
#define STACK_LOOPBACK_MTU 65535
#define STACK_LOOPBACK_QUEUE_MAX 1000      /* packets, as Linux's netdev_max_backlog */
#define STACK_LOOPBACK_QUEUE_BYTES (4u << 20)

struct netif_info {
    int ifindex;
    char name[STACK_IFNAMSIZ];
    struct eth_addr mac;         /* zero for lo */
    uint32_t mtu;
    bool up;
    bool loopback;
    uint64_t rx_packets, rx_bytes, tx_packets, tx_bytes; /* frames (lo: packets) */
    uint64_t rx_dropped, tx_dropped;
};
/* lo first, then every interface; returns how many exist. */
size_t stack_netif_list(const struct stack *s, struct netif_info *out, size_t max);
/* The index of the interface named name (lo included), or -ENODEV. */
int stack_netif_by_name(const struct stack *s, const char *name);
/* Change an interface's IP MTU (68..9000; not lo): new segments and
 * datagrams follow it at once, TCP connections through it recompute their
 * MSS. 0, -EINVAL, -ENODEV. */
int stack_netif_set_mtu(struct stack *s, int ifindex, uint32_t mtu);

/* ---- IPv4 addresses (`tcpipctl addr`, `addr add|del`, DHCP) ---- */

struct addr4_info {
    int ifindex;
    uint32_t addr;               /* host order */
    uint8_t prefix_len;
    bool dynamic;                /* a DHCP lease */
    uint32_t valid_s;            /* seconds left, or STACK_LIFETIME_FOREVER */
    uint32_t preferred_s;
};
/* Every interface's addresses, lo's first; returns how many exist. */
size_t stack_addr4_list(const struct stack *s, struct addr4_info *out, size_t max, uint64_t now);
/* Add addr/prefix_len to an interface (not lo) and announce it
 * (gratuitous ARP, RFC 5227 3). 0, or -EINVAL (not a host address of that
 * subnet: 0/8, 127/8, multicast, class E, the network or broadcast
 * address), -EEXIST (ours already, on any interface), -ENOSPC
 * (NETIF_MAX_ADDR4), -ENODEV. */
int stack_addr4_add(struct stack *s, int ifindex, uint32_t addr, uint8_t prefix_len,
                    uint64_t now);
/* Remove it; connections from it fail as their packets find no source.
 * 0, -EADDRNOTAVAIL (not there with that length), -ENODEV. */
int stack_addr4_del(struct stack *s, int ifindex, uint32_t addr, uint8_t prefix_len);

/* A static IPv6 address (RFC 4291 2.5: unicast, not ::, ::1, v4-mapped),
 * TENTATIVE until duplicate address detection says it is ours (RFC 4862
 * 5.4); its prefix on-link. 0, -EINVAL, -EEXIST, -ENOSPC, -EAFNOSUPPORT
 * (IPv6 off on that interface), -ENODEV. */
int stack_addr6_add(struct stack *s, int ifindex, const uint8_t addr[16], uint8_t prefix_len,
                    uint64_t now);
/* Remove one (static, SLAAC or link-local): 0, -EADDRNOTAVAIL, -ENODEV. */
int stack_addr6_del(struct stack *s, int ifindex, const uint8_t addr[16], uint8_t prefix_len);

/* ---- DHCPv4 client (`tcpipctl addr`/`status`) ---- */

struct dhcp4_info {
    int ifindex;
    const char *state;           /* "init", "selecting", "requesting", "probing",
                                    "bound", "renewing", "rebinding", "init-reboot",
                                    "rebooting", "stopped" */
    uint32_t addr;               /* the lease (0 while none is held) */
    uint8_t prefix_len;
    uint32_t server, router;     /* router 0: none (or RFC 3442 routes) */
    uint32_t dns[4];
    size_t n_dns;
    uint16_t mtu;                /* 0: none offered */
    size_t n_routes;             /* RFC 3442 routes taken */
    uint32_t lease_s;            /* the lease's length, STACK_LIFETIME_FOREVER */
    uint32_t renew_s, rebind_s, expires_s; /* seconds to T1, T2, expiry (0: passed) */
};
/* The DHCP client of ifindex; false if it has none. */
bool stack_dhcp4_info(const struct stack *s, int ifindex, struct dhcp4_info *out, uint64_t now);
/* A clean stop: RELEASE every lease (RFC 2131 4.4.6) and remove it. */
void stack_dhcp4_release(struct stack *s, uint64_t now);

/* ---- DNS servers and search domains from RAs (RFC 8106) ---- */

struct dns6_info {
    int ifindex;
    bool search;                 /* a DNSSL domain; else an RDNSS server */
    struct ip_addr server;
    char domain[254];
    uint32_t lifetime_s;         /* STACK_LIFETIME_FOREVER: infinity */
};
/* Servers, then domains, that have not expired; returns how many. (The
 * stack resolves no names: they are for tools and the operator.) */
size_t stack_dns6_list(const struct stack *s, struct dns6_info *out, size_t max, uint64_t now);

/* ---- routes (`tcpipctl route`, `route add|del`, config "routes") ---- */

enum route_proto {
    ROUTE_PROTO_KERNEL,          /* an address's subnet (`proto kernel`) */
    ROUTE_PROTO_STATIC,          /* the config or `route add` */
    ROUTE_PROTO_DHCP,            /* from a DHCP lease (router, RFC 3442) */
    ROUTE_PROTO_RA,              /* IPv6 router advertisement */
};
#define STACK_MAX_ROUTES 64
struct stack_route {
    struct ip_addr dst;          /* the prefix, host bits zero; family says which table */
    uint8_t prefix_len;          /* 0: a default route */
    struct ip_addr gateway;      /* IP_FAMILY_NONE: on-link through ifindex */
    int ifindex;                 /* -1: the interface the gateway is on-link on */
    uint32_t metric;             /* lower wins among equal prefixes */
    uint8_t proto;               /* enum route_proto */
    uint32_t lifetime_s;         /* lists: seconds left, STACK_LIFETIME_FOREVER */
    struct ip_addr src;          /* lists, IPv4: the source it would use (0 if none) */
};
/* Longest prefix wins; then the lowest metric (an address's own subnet
 * counts as metric 0; a router from an RA as 1024, as Linux). A gateway
 * must be on-link (on one of our subnets, or link-local with an
 * interface). 0, or -EINVAL (host bits set, bad family mix, gateway not
 * on-link, or a link-local one without an interface), -EEXIST (the same
 * prefix, metric and interface), -ENOSPC (STACK_MAX_ROUTES), -ENODEV. */
int stack_route_add(struct stack *s, const struct stack_route *r);
/* Remove the route with r's prefix and, where set (gateway family,
 * ifindex >= 0, metric != UINT32_MAX), gateway, interface and metric.
 * 0 or -ESRCH. Kernel and RA routes are not in the table. */
int stack_route_del(struct stack *s, const struct stack_route *r);
/* IPv4 routes, as `ip route`: each address's subnet, then the table.
 * Returns how many exist. (IPv6: stack_route6_list.) */
size_t stack_route4_list(const struct stack *s, struct stack_route *out, size_t max,
                         uint64_t now);

/* ---- static neighbours (`neigh add|del`) ---- */

/* A PERMANENT entry (IPv4: ARP; IPv6: ND) on an interface. 0, -EINVAL (not
 * a unicast address or MAC, not on-link), -ENOSPC, -ENODEV. */
int stack_neigh_add(struct stack *s, int ifindex, const struct ip_addr *ip,
                    const struct eth_addr *mac, uint64_t now);
/* Forget an entry (static or learnt). 0, -ENOENT, -ENODEV. */
int stack_neigh_del(struct stack *s, int ifindex, const struct ip_addr *ip);

/* One received Ethernet frame. Never trusts a length; bad input is dropped
 * and counted. The frame is not kept after the call returns. */
void stack_input(struct stack *s, int ifindex, const uint8_t *frame, size_t len, uint64_t now);

/* Flags of stack_input_offload. */
#define STACK_RX_CSUM_OK 0x1u    /* the device vouches for the TCP/UDP checksum
                                    (virtio NEEDS_CSUM or DATA_VALID): it is not
                                    checked again; the frame may exceed the MTU
                                    (a GSO packet of up to 64 KiB) */
/* stack_input for a frame with what the device says about it. */
void stack_input_offload(struct stack *s, int ifindex, const uint8_t *frame, size_t len,
                         unsigned rx_flags, uint64_t now);

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
    /* IPv6 only (RFC 4861 7.3.2); ARP entries never take these. */
    NEIGH_DELAY,                 /* used while STALE: waiting before probing */
    NEIGH_PROBE,                 /* unicast solicitations being sent */
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

/* IPv6 addresses and routes, for tools (`tcpipctl addr`, `route`, as
 * `ip -6 addr` / `ip -6 route` show them). Lifetimes are the seconds left
 * at `now`, rounded down, or STACK_LIFETIME_FOREVER. */
#define STACK_LIFETIME_FOREVER UINT32_MAX
struct addr6_info {
    int ifindex;
    struct ip_addr addr;         /* IP_FAMILY_V6 */
    uint8_t prefix_len;
    const char *state;           /* "tentative", "preferred", "deprecated", "duplicate" */
    bool autoconf;               /* formed by SLAAC (RFC 4862 5.5.3); else static */
    bool stable_privacy;         /* its interface id is RFC 7217's, not EUI-64 */
    bool link_local;             /* fe80::/10 (RFC 4291 2.5.6): scope link */
    bool loopback;               /* lo's ::1: scope host */
    uint32_t valid_s;            /* STACK_LIFETIME_FOREVER: no expiry */
    uint32_t preferred_s;
};
/* Copy up to max addresses (every interface, table order); returns how
 * many exist (may exceed max). */
size_t stack_addr6_list(const struct stack *s, struct addr6_info *out, size_t max, uint64_t now);

enum route6_origin {
    ROUTE6_KERNEL,               /* the prefix of one of our static or link-local
                                    addresses (`proto kernel`) */
    ROUTE6_RA,                   /* from a router advertisement (`proto ra`) */
    ROUTE6_STATIC,               /* the config or `route add` (`proto static`) */
};
struct route6_info {
    int ifindex;
    struct ip_addr dst;          /* the prefix, host bits zero; :: for default */
    uint8_t prefix_len;          /* 0: a default route */
    bool has_gateway;            /* default routes: via gateway */
    struct ip_addr gateway;
    enum route6_origin origin;
    uint32_t lifetime_s;         /* STACK_LIFETIME_FOREVER: no expiry */
    uint32_t metric;             /* kernel 256, RA 1024, static as given (Linux's) */
};
/* On-link prefixes (those of usable static and link-local addresses, then
 * those RAs advertised with the L flag), static routes, and then default routers, as
 * `ip -6 route` lists them; each prefix once per interface. Returns how
 * many exist (may exceed max). The RA's router preference (RFC 4191) is
 * not parsed, so it is not reported. */
size_t stack_route6_list(const struct stack *s, struct route6_info *out, size_t max,
                         uint64_t now);

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
/* Dual stack (RFC 3493 3.7, 5.3), as Linux: a socket's family is
 * socket(2)'s domain. Without this call it is the family of the first
 * address given to bind/connect/sendto (IPv4 if none). An IPv6 socket
 * takes IPv4-mapped addresses (::ffff:a.b.c.d) for IPv4 peers, and
 * bound to :: also receives IPv4 unless V6ONLY; its peers and names are
 * then shown as IPv4-mapped. Before bind: 0, -EINVAL (bound, or not
 * IP_FAMILY_V4/V6). The same for TCP below. */
int udp_sock_set_family(struct udp_sock *us, uint8_t family);
enum udp_sockopt {
    UDP_OPT_V6ONLY,              /* bool, IPv6 sockets, before bind (else -EINVAL) */
    UDP_OPT_TOS,                 /* IP_TOS: the TOS byte of every IPv4 datagram sent
                                    (RFC 1122 4.2.4.2; ECN bits included, as Linux for
                                    UDP); the value's low 8 bits, as Linux; default 0 */
    UDP_OPT_TCLASS,              /* IPV6_TCLASS (RFC 3542 6.5): -1..255, -1 = default 0;
                                    IPv6 sockets only (else -ENOPROTOOPT) */
    UDP_OPT_BROADCAST,           /* bool: SO_BROADCAST, needed to send to a broadcast
                                    address (else -EACCES, as Linux) */
};
/* 0, -EINVAL, -ENOPROTOOPT (V6ONLY on an IPv4 socket). */
int udp_sock_setopt(struct udp_sock *us, enum udp_sockopt opt, int value);
int udp_sock_getopt(const struct udp_sock *us, enum udp_sockopt opt, int *value);
/* Bind to a local address (any = 0.0.0.0 or ::) and port (0 = ephemeral,
 * RFC 6056). 0, or -EADDRINUSE, -EADDRNOTAVAIL (not one of our addresses),
 * -EINVAL (already bound; IPv4-mapped on a V6ONLY socket), -EAFNOSUPPORT
 * (the other family). */
int udp_sock_bind(struct udp_sock *us, const struct ip_endpoint *local);
/* Set the default peer; ICMP errors about it become socket errors
 * (ECONNREFUSED, EHOSTUNREACH...), as on Linux. Binds an ephemeral port
 * first if needed. */
int udp_sock_connect(struct udp_sock *us, const struct ip_endpoint *remote);
/* Send one datagram to dst (NULL: the connected peer). Binds an ephemeral
 * port if unbound. A datagram that fits the path MTU goes whole (DF set
 * over IPv4, RFC 1191); a larger one is fragmented, as Linux does (IPv4:
 * DF clear, one Identification, RFC 791 3.2; IPv6: Fragment headers with
 * an unpredictable Identification, RFC 8200 4.5, RFC 7739). Returns len,
 * or -EMSGSIZE (len above 65507 bytes over IPv4, 65527 over IPv6: the
 * 16-bit length fields, no jumbograms), -EDESTADDRREQ, -ENETUNREACH (no
 * route), -EINVAL, -EAFNOSUPPORT, -ENOBUFS (no memory for a large one),
 * or a pending error. A datagram waiting for ARP or ND counts as sent
 * (bounded queue: a long train of fragments may lose some while
 * resolving); if resolution fails, the socket gets EHOSTUNREACH. */
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

/* The per-socket view, for `tcpipctl sockets` (like ss -uan). */
struct udp_sock_info {
    struct ip_endpoint local;
    struct ip_endpoint remote;   /* the connected peer; zero if not connected */
    bool connected;
    uint32_t recv_queue;         /* bytes queued, datagram overhead included (as Linux) */
    void *user;
    const struct udp_sock *sock; /* to match the socket in tools' own tables */
};
void udp_sock_info(const struct udp_sock *us, struct udp_sock_info *out);
/* Copy up to max views of the sockets that have a port (bound, or bound
 * by a send or connect); returns how many exist (may exceed max). */
size_t stack_udp_list(const struct stack *s, struct udp_sock_info *out, size_t max);

/* ---- TCP sockets (RFC 9293) ----
 *
 * Linux semantics: errors are -errno as Linux's socket calls would set
 * errno. A socket handed to tcp_sock_close() belongs to the stack from then
 * on (it finishes sending, FIN, TIME_WAIT...) and its callback is never
 * called again. Events are edge-style hints; the caller re-checks with the
 * calls below. Callbacks run from inside stack_input/stack_poll or an API
 * call; they may call any tcp_sock_* function except close/abort of the
 * socket they are called for (defer that, as libev users do anyway). */

struct tcp_sock;

enum tcp_event {
    TCP_EV_READABLE = 1,         /* data, EOF, or an error to read */
    TCP_EV_WRITABLE = 2,         /* send buffer space, or connected */
    TCP_EV_ACCEPT = 4,           /* listener: a connection waits in accept */
    TCP_EV_CONNECTED = 8,        /* active open completed */
    TCP_EV_ERROR = 16,           /* pending error set (tcp_sock_error) */
    TCP_EV_CLOSED = 32,          /* reached CLOSED or TIME_WAIT (after EOF
                                    both ways, RST or timeout) */
};
typedef void (*tcp_event_fn)(void *user, struct tcp_sock *ts, int events);

enum tcp_state {
    TCP_CLOSED, TCP_LISTEN, TCP_SYN_SENT, TCP_SYN_RECEIVED, TCP_ESTABLISHED,
    TCP_FIN_WAIT_1, TCP_FIN_WAIT_2, TCP_CLOSE_WAIT, TCP_CLOSING, TCP_LAST_ACK,
    TCP_TIME_WAIT,
    TCP_STATE_COUNT
};
/* "ESTABLISHED", "SYN-SENT", ... as RFC 9293 spells them. */
const char *tcp_state_name(enum tcp_state st);

enum tcp_sockopt {
    TCP_OPT_NODELAY,             /* bool: disable Nagle */
    TCP_OPT_KEEPALIVE,           /* bool: SO_KEEPALIVE */
    TCP_OPT_KEEPIDLE,            /* seconds, 1..32767 */
    TCP_OPT_KEEPINTVL,           /* seconds, 1..32767 */
    TCP_OPT_KEEPCNT,             /* 1..127 */
    TCP_OPT_SNDBUF,              /* bytes; set before connect/listen */
    TCP_OPT_RCVBUF,              /* bytes; set before connect/listen (wscale) */
    TCP_OPT_REUSEADDR,           /* bool: bind over TIME_WAIT connections */
    TCP_OPT_LINGER_ZERO,         /* bool: close() sends RST, as SO_LINGER {1, 0} */
    TCP_OPT_MAXSEG,              /* TCP_MAXSEG: read, the MSS in use (the value set, before
                                    a connection); set 0 or 88..32767 before connect/listen:
                                    clamps the MSS we advertise and send, as Linux */
    TCP_OPT_V6ONLY,              /* bool: IPV6_V6ONLY (IPv6 sockets, before bind) */
    TCP_OPT_QUICKACK,            /* bool, as Linux's TCP_QUICKACK: 1 = ACK data at once
                                    (quickack mode), 0 = delay ACKs (pingpong); not
                                    permanent: the stack moves between the modes */
    TCP_OPT_CORK,                /* bool, as Linux's TCP_CORK: hold a partial segment
                                    until it is full, the socket is uncorked (it goes at
                                    the next stack_poll) or 200 ms passed; a FIN pushes */
    TCP_OPT_TOS,                 /* IP_TOS: the TOS byte of every IPv4 segment (RFC 1122
                                    4.2.4.2); the value's low 8 bits, its 2 ECN bits ignored
                                    (the stack owns them, as Linux for TCP); default 0 */
    TCP_OPT_TCLASS,              /* IPV6_TCLASS (RFC 3542 6.5) for IPv6 segments: -1..255,
                                    -1 = default 0, ECN bits ignored; IPv6 sockets only
                                    (else -ENOPROTOOPT) */
};

/* Flags of tcp_sock_send_flags / tcp_sock_send_commit_flags. Without
 * TCP_SEND_MORE the bytes end an application write: the segment that
 * carries the last of them has PSH (RFC 9293 3.9.1, as Linux marks the
 * end of each sendmsg). */
enum tcp_send_flag {
    TCP_SEND_MORE = 1,           /* MSG_MORE: the write goes on; no PSH, and a partial
                                    last segment is not sent by this call (it goes with
                                    the next write, or as Nagle allows when ACKs come) */
};

/* NULL on allocation failure. */
struct tcp_sock *tcp_sock_open(struct stack *s, tcp_event_fn cb, void *user);
/* The socket's family, as udp_sock_set_family (a listener on :: of an
 * IPv6 socket accepts IPv4 connections unless V6ONLY; they are shown as
 * IPv4-mapped). 0 or -EINVAL (bound, or not IP_FAMILY_V4/V6). */
int tcp_sock_set_family(struct tcp_sock *ts, uint8_t family);
/* 0, -EADDRINUSE, -EADDRNOTAVAIL, -EINVAL (already bound), -EAFNOSUPPORT. */
int tcp_sock_bind(struct tcp_sock *ts, const struct ip_endpoint *local);
/* Passive open; binds an ephemeral port if unbound. backlog is clamped to
 * [1, max_backlog]. 0, -EINVAL (connected), -EADDRINUSE. */
int tcp_sock_listen(struct tcp_sock *ts, int backlog);
/* Take one established connection off the listener's accept queue; it gets
 * cb/user. NULL with *err = -EAGAIN when empty (-EINVAL: not listening). */
struct tcp_sock *tcp_sock_accept(struct tcp_sock *ts, tcp_event_fn cb, void *user, int *err);
/* Active open: sends a SYN and returns -EINPROGRESS (TCP_EV_CONNECTED or
 * TCP_EV_ERROR follow), or at once -ENETUNREACH, -EADDRNOTAVAIL, -EISCONN,
 * -EALREADY, -EADDRNOTAVAIL (no free 4-tuple), -EAFNOSUPPORT. */
int tcp_sock_connect(struct tcp_sock *ts, const struct ip_endpoint *remote, uint64_t now);
/* Queue up to len bytes; returns the bytes taken (> 0), -EAGAIN (buffer
 * full), -EPIPE (shut down for writing, or closed), -ENOTCONN, or a
 * pending error (-ECONNRESET...). During SYN-SENT the data is queued and
 * goes out once the connection is established. */
long tcp_sock_send(struct tcp_sock *ts, const void *buf, size_t len, uint64_t now);
/* tcp_sock_send with TCP_SEND_* flags (tcp_sock_send is flags 0). */
long tcp_sock_send_flags(struct tcp_sock *ts, const void *buf, size_t len, int flags,
                         uint64_t now);
/* The same without a copy through the caller's buffer: the free space of
 * the send buffer as at most two runs, to be filled in place (a read
 * straight from a socket), then handed to TCP with tcp_sock_send_commit.
 * No other call on the socket may come in between. Returns the number of
 * runs, 0 when tcp_sock_send would not take a byte (ask it, with len 0,
 * for the reason). */
struct stack_span {
    uint8_t *p;
    size_t len;
};
size_t tcp_sock_send_space(struct tcp_sock *ts, struct stack_span out[2]);
/* Queue the first n bytes of the runs tcp_sock_send_space gave (clamped
 * to them) and send what TCP may; returns the bytes queued. */
size_t tcp_sock_send_commit(struct tcp_sock *ts, size_t n, uint64_t now);
/* The same with TCP_SEND_* flags (tcp_sock_send_commit is flags 0: the
 * bytes end a write). */
size_t tcp_sock_send_commit_flags(struct tcp_sock *ts, size_t n, int flags, uint64_t now);
/* Copy out up to len bytes: > 0 bytes, 0 at EOF (the peer's FIN), -EAGAIN,
 * -ENOTCONN, or a pending error. Reading opens the window. */
long tcp_sock_recv(struct tcp_sock *ts, void *buf, size_t len, uint64_t now);
/* The same without a copy into the caller's buffer: the in-order bytes
 * received and not yet read, as at most two runs (the second when the
 * buffer wraps), left in place for a caller that writes them straight to
 * a socket and then consumes what it wrote. No other call on the socket
 * may come in between. Returns the number of runs; 0 when none (then
 * tcp_sock_recv with len 0 tells EOF, -EAGAIN or the error). */
size_t tcp_sock_recv_spans(struct tcp_sock *ts, struct stack_span out[2]);
/* Consume the first n bytes of those runs (clamped to what is there), as
 * tcp_sock_recv would: the window opens. Returns the bytes consumed. */
size_t tcp_sock_recv_consume(struct tcp_sock *ts, size_t n, uint64_t now);
/* how: 0 = SHUT_RD, 1 = SHUT_WR, 2 = SHUT_RDWR. SHUT_WR sends a FIN after
 * the queued data. 0 or -ENOTCONN. */
int tcp_sock_shutdown(struct tcp_sock *ts, int how, uint64_t now);
/* Give the socket to the stack: queued data is sent, then a FIN; a RST at
 * once instead if unread data is left (RFC 2525 2.17, as Linux) or with
 * LINGER_ZERO. A listener resets its unaccepted connections. */
void tcp_sock_close(struct tcp_sock *ts, uint64_t now);
/* Send a RST (if synchronized) and free at once. */
void tcp_sock_abort(struct tcp_sock *ts, uint64_t now);
/* Return and clear the pending error (0 if none), like SO_ERROR. */
int tcp_sock_error(struct tcp_sock *ts);
/* 0, -EINVAL (bad value), -ENOPROTOOPT. */
int tcp_sock_setopt(struct tcp_sock *ts, enum tcp_sockopt opt, int value);
int tcp_sock_getopt(const struct tcp_sock *ts, enum tcp_sockopt opt, int *value);
int tcp_sock_getsockname(const struct tcp_sock *ts, struct ip_endpoint *out);
/* -ENOTCONN unless a peer is known. */
int tcp_sock_getpeername(const struct tcp_sock *ts, struct ip_endpoint *out);
enum tcp_state tcp_sock_state(const struct tcp_sock *ts);
/* Bytes readable now; bytes of free send buffer now. */
size_t tcp_sock_readable(const struct tcp_sock *ts);
size_t tcp_sock_writable(const struct tcp_sock *ts);

/* The per-connection view, for `tcpipctl sockets` (like ss -tni). */
struct tcp_conn_info {
    enum tcp_state state;
    struct ip_endpoint local, remote;
    uint32_t snd_wnd, rcv_wnd;   /* bytes, scaled */
    uint8_t snd_wscale, rcv_wscale;
    uint16_t mss;                /* send MSS */
    bool sack, timestamps;
    uint32_t cwnd, ssthresh;     /* bytes */
    uint64_t srtt_us, rttvar_us, rto_us;
    uint32_t send_queue, recv_queue; /* bytes buffered */
    uint64_t retransmits;        /* segments retransmitted, total */
    uint32_t backoff;            /* consecutive RTOs now */
    uint32_t accept_queue, backlog; /* listeners */
    const char *cc;              /* "cubic" or "newreno" */
    bool orphan;                 /* closed by its user, finishing in the stack */
    void *user;
    const struct tcp_sock *sock; /* to match the socket in tools' own tables */
    /* What Linux's TCP_INFO (struct tcp_info) and `ss -i` show. Segment
     * counts are in units of the send MSS, as Linux's. */
    bool wscale_ok;              /* window scaling agreed (the shifts above apply) */
    bool in_recovery;            /* fast recovery (Linux CA_Recovery) */
    uint32_t retries;            /* tcpi_retransmits: unanswered RTOs of the head */
    uint32_t probes;             /* tcpi_probes: unanswered zero-window/keepalive probes */
    uint16_t rcv_mss;            /* largest segment received (Linux's rcv_mss estimate) */
    uint16_t advmss;             /* MSS we advertised */
    uint32_t pmtu;               /* path MTU the send MSS follows */
    uint32_t snd_cwnd_segs, snd_ssthresh_segs; /* cwnd, ssthresh (0x7fffffff: infinite) */
    uint32_t unacked;            /* segments sent, not cumulatively acknowledged */
    uint32_t sacked;             /* of those, SACKed */
    uint32_t lost;               /* of those, deemed lost */
    uint32_t reordering;         /* the duplicate threshold in use */
    uint64_t min_rtt_us;         /* smallest RTT sample (0: none) */
    uint64_t bytes_sent;         /* payload bytes sent, retransmissions included */
    uint64_t bytes_retrans;      /* payload bytes retransmitted */
    uint64_t bytes_acked;        /* tcpi_bytes_acked (RFC 4898 HCThruOctetsAcked) */
    uint64_t bytes_received;     /* tcpi_bytes_received (RFC 4898 HCThruOctetsReceived) */
    uint64_t segs_out, segs_in;  /* segments sent / received, all kinds */
    uint64_t data_segs_out, data_segs_in; /* with payload */
    /* `now` (the stack's clock, ns) of the last data sent, data received and
     * ACK received; 0 = never. tcpi_last_* are the ages: (now - t) / 1e6 ms. */
    uint64_t last_data_sent_ns, last_data_recv_ns, last_ack_recv_ns;
};
void tcp_sock_info(const struct tcp_sock *ts, struct tcp_conn_info *out);
/* Copy up to max views (listeners, connections, TIME_WAIT); returns how
 * many exist (may exceed max). */
size_t stack_tcp_list(const struct stack *s, struct tcp_conn_info *out, size_t max);

#endif
