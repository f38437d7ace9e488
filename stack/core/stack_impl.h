/* stack_impl.h - the inside of struct stack, shared by stack/core and
 * stack/sock. Not part of the public API (that is stack/stack.h).
 *
 * Module map (one protocol per file):
 *   core/stack.c    stack_new/free, input dispatch entry, poll, deadline, log
 *   core/netif.c    interfaces: add, lookup, IPv4 addresses and their tests
 *   core/netif_ctl.c interfaces, addresses, static neighbours for tools and
 *                   live changes (lists, add/del, MTU)
 *   core/loopback.c `lo`: 127/8, ::1 and our own addresses, a bounded queue
 *   core/route.c    the route table (static, DHCP), longest prefix + metric
 *   core/eth.c      Ethernet in/out
 *   core/pending.c  packets waiting for a neighbour (ARP and ND share it)
 *   core/arp.c      ARP and the IPv4 neighbour cache
 *   core/ipv4.c     IPv4 in/out, routing, transport error dispatch
 *   core/icmp4.c    ICMPv4 echo, errors in and out, rate limit
 *   core/ipv6.c     IPv6 in/out, extension headers, routing, path MTU
 *   core/reasm.c    fragment reassembly engine, both families (reasm.h)
 *   core/reasm4.c   IPv4 fragment reassembly (on the engine)
 *   core/reasm6.c   IPv6 fragment reassembly (on the engine)
 *   core/icmp6.c    ICMPv6 echo, errors in and out, ND/MLD dispatch
 *   core/nd.c       neighbour discovery: cache with NUD, NS/NA
 *   core/addrconf.c addresses: link-local, static, DAD, SLAAC, routers, prefixes
 *   core/addrconf_stable.c RFC 7217 stable-privacy interface identifiers
 *   core/mld.c      MLDv2 reports (joins, leaves, query answers)
 *   core/ipv6_info.c IPv6 addresses and routes for tools
 *   core/ip.c       family dispatch: routes, output, local addresses
 *   sock/udp.c      UDP sockets, demux (sock/ports.c: RFC 6056 ports)
 *   sock/tcp*.c     TCP: see sock/tcp_impl.h for its files
 */
#ifndef TCPIP_CORE_STACK_IMPL_H
#define TCPIP_CORE_STACK_IMPL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "stack/core/pbuf.h"
#include "stack/core/pending.h"
#include "stack/stack.h"
#include "stack/util/token_bucket.h"
#include "stack/wire/ipv4.h"

/* ---- interfaces ---- */

/* An IPv6 address of an interface (core/addrconf.c). */
#define NETIF_MAX_ADDR6 8
enum addr6_state {
    ADDR6_UNUSED = 0,
    ADDR6_TENTATIVE,             /* DAD running (RFC 4862 5.4): not usable yet */
    ADDR6_PREFERRED,
    ADDR6_DEPRECATED,            /* usable, not chosen as a source for new use */
    ADDR6_DUPLICATE,             /* DAD failed: never used */
};
struct netif_addr6 {
    enum addr6_state state;
    uint8_t addr[16];
    uint8_t prefix_len;
    bool autoconf;               /* from SLAAC (RFC 4862 5.5.3) */
    bool stable;                 /* RFC 7217 IID: formed again on a DAD failure */
    uint8_t dad_counter;         /* RFC 7217 5: DAD_Counter of the IID */
    uint8_t idgen_retries;       /* RFC 7217 6: times formed again so far */
    uint64_t valid_until;        /* `now` it expires; 0 = forever */
    uint64_t preferred_until;    /* 0 = forever */
    uint32_t dad_left;           /* NS still to send */
    uint64_t dad_timer;          /* next DAD step; 0 = none */
};

struct netif_addr4 {
    uint32_t addr;               /* host order; 0 = unused slot */
    uint8_t prefix_len;
    uint32_t mask;
    bool dynamic;                /* a DHCP lease (core/dhcp4.c) */
    uint64_t valid_until;        /* `now` it expires; 0 = forever */
    uint64_t preferred_until;    /* 0 = forever */
};

struct netif {
    bool up;
    /* IPv6 (core/ipv6.c, core/nd.c, core/addrconf.c). */
    bool ipv6;
    bool slaac;
    uint8_t addr_gen_mode;       /* enum netif_addr_gen_mode */
    uint8_t stable_secret[NETIF_STABLE_SECRET_LEN]; /* RFC 7217 5: secret_key */
    struct netif_addr6 addr6[NETIF_MAX_ADDR6];
    uint32_t mtu6;               /* from an RA MTU option (RFC 4861 6.3.4); 0 = mtu */
    uint8_t cur_hop_limit;       /* from RAs, default 64 */
    uint32_t offloads;           /* NETIF_OFFLOAD_*, only with ops.send_offload */
    int index;
    bool loopback;               /* `lo` (core/loopback.c): no link layer */
    char name[STACK_IFNAMSIZ];
    struct eth_addr mac;
    uint32_t mtu;                /* IP MTU */
    /* IPv4 addresses (core/netif.c helpers), in the order they came: the
     * first is the one ARP speaks from when no other fits. */
    struct netif_addr4 addr4[NETIF_MAX_ADDR4];
    struct netif_ops ops;
    void *ctx;
    uint64_t conflict_logged_at; /* rate limit of the ARP conflict warning */
    bool conflict_logged;
    struct dhcp4_client *dhcp4;  /* core/dhcp4.c; NULL: no DHCP on it */
    /* Frames (lo: packets) through this interface, for `tcpipctl link`. */
    uint64_t rx_packets, rx_bytes, tx_packets, tx_bytes, rx_dropped, tx_dropped;
};

/* ---- neighbour cache (core/arp.c) ---- */

/* The eviction order of a full neighbour cache, ARP's and ND's alike: an
 * entry still resolving (its packets waiting) is kept over a resolved one,
 * then the least recently confirmed goes first. Should the candidate go
 * before the victim chosen so far? */
static inline bool neigh_evict_before(bool cand_resolving, uint64_t cand_updated,
                                      bool victim_resolving, uint64_t victim_updated)
{
    return (victim_resolving && !cand_resolving) ||
           (victim_resolving == cand_resolving && cand_updated < victim_updated);
}

struct arp_entry {
    bool in_use;
    enum neigh_state state;
    int ifindex;
    uint32_t ip;                 /* host order */
    struct eth_addr mac;
    uint64_t updated;            /* last confirmation (or creation) */
    uint64_t used;               /* last packet sent through it */
    uint64_t timer;              /* next request due (INCOMPLETE or probing) */
    uint32_t requests;           /* requests sent in this resolution/probe */
    bool probing;                /* STALE entry being refreshed */
    struct pending_queue pend;   /* INCOMPLETE: packets waiting */
};

struct arp_cache {
    struct arp_entry *entries;   /* cfg.arp_cache_size slots */
    uint32_t size;
    uint32_t n_pending;          /* queued packets, all entries */
};

/* ---- UDP socket table (sock/udp.c) ---- */

#define UDP_HASH_SIZE 64         /* buckets keyed by local port */

struct udp_table {
    struct udp_sock *hash[UDP_HASH_SIZE]; /* bound sockets */
    struct udp_sock *all;        /* every open socket, for stack_free */
    uint32_t next_ephemeral;     /* RFC 6056 algorithm 3 counter */
};

struct reasm;                    /* core/reasm.c */

/* ---- routes (core/route.c) ---- */

struct route_entry {
    bool in_use;
    struct stack_route r;        /* lifetime_s and src unused here */
    uint64_t expires;            /* `now` it goes; 0 = never */
};

/* ---- path MTU (core/pmtu.c) ---- */

#define PMTU_CACHE_SIZE 64
#define PMTU_EXPIRE_NS (600 * NS_PER_SEC)   /* RFC 1191 6.3, RFC 8201 4: 10 minutes */
#define PMTU4_MIN 552                       /* Linux's min_pmtu (RFC 5927 7) */
#define PMTU_BLACKHOLE_BASE_MSS 1024        /* RFC 4821 7.2 search_low; Linux tcp_base_mss */
#define PMTU_BLACKHOLE_RTOS 3               /* Linux tcp_retries1: RTOs before suspecting */
struct pmtu_entry {
    bool in_use;
    bool blackhole;              /* lowered by TCP's black-hole detection */
    struct ip_addr dst;
    uint32_t mtu;
    uint64_t expires;
};

/* ---- loopback (core/loopback.c) ---- */

struct lo_packet {
    struct lo_packet *next;
    uint64_t queued;             /* `now` it was sent */
    size_t len;
    uint8_t family;              /* IP_FAMILY_V4/V6 */
    uint8_t data[];              /* the IP packet, header first */
};
struct lo_queue {
    struct lo_packet *head, *tail;
    uint32_t n;
    size_t bytes;
};

/* ---- the stack ---- */

struct stack {
    struct stack_config cfg;
    struct netif netifs[STACK_MAX_NETIFS];
    int n_netifs;
    struct netif lo;             /* core/loopback.c; index STACK_LOOPBACK_IFINDEX */
    struct lo_queue lo_queue;
    struct route_entry routes[STACK_MAX_ROUTES];
    struct pmtu_entry pmtu[PMTU_CACHE_SIZE]; /* core/pmtu.c */
    struct arp_cache arp;
    struct udp_table udp;
    struct tcp_table *tcp;       /* sock/tcp_impl.h */
    struct nd_table *nd;         /* core/nd.c */
    struct reasm *reasm4;        /* core/reasm4.c (engine: core/reasm.c) */
    struct reasm *reasm6;        /* core/reasm6.c (engine: core/reasm.c) */
    struct ipv6_state *ipv6;     /* core/ipv6.c: path MTU cache, fragment ids */
    struct token_bucket icmp6_bucket;
    struct token_bucket icmp_bucket;
    uint16_t ip_id;              /* IPv4 identification, per stack */
    uint64_t ctr[CTR_MAX];
    unsigned rx_flags;           /* STACK_RX_* of the frame being processed */
};

static inline void ctr_inc(struct stack *s, enum stack_counter c)
{
    s->ctr[c]++;
}

static inline void ctr_add(struct stack *s, enum stack_counter c, uint64_t n)
{
    s->ctr[c] += n;
}

/* Seconds from now until end (a `now` value; 0 = never: FOREVER), rounded
 * down, for the lists tools read (lifetimes of addresses, routes, leases).
 * A finite lifetime never reads as "forever". */
static inline uint32_t seconds_left(uint64_t end, uint64_t now)
{
    if (end == 0)
        return STACK_LIFETIME_FOREVER;
    if (end <= now)
        return 0;
    uint64_t s = (end - now) / NS_PER_SEC;
    return s >= STACK_LIFETIME_FOREVER ? STACK_LIFETIME_FOREVER - 1 : (uint32_t)s;
}

/* Format and hand a line to cfg.log (if set). */
void stack_log(const struct stack *s, int level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* ---- core/netif.c ---- */

struct netif *netif_get(struct stack *s, int ifindex);
/* netif_get, or lo for STACK_LOOPBACK_IFINDEX. */
struct netif *netif_get_any(struct stack *s, int ifindex);
/* The interface that owns a unicast address, or NULL (lo for all of
 * 127.0.0.0/8, as Linux's local route). */
struct netif *netif_by_ip4(struct stack *s, uint32_t addr);
/* Is addr one of nif's IPv4 addresses? */
bool netif_has_ip4(const struct netif *nif, uint32_t addr);
/* nif's address whose subnet holds dst (the longest prefix), or NULL. */
const struct netif_addr4 *netif_ip4_on_link(const struct netif *nif, uint32_t dst);
/* The source nif uses toward dst: the address of dst's subnet, else its
 * first; 0 if it has none. */
uint32_t netif_ip4_source(const struct netif *nif, uint32_t dst);
/* Directed broadcast of one of the interface's subnets (not /31, /32). */
bool netif_is_subnet_bcast(const struct netif *nif, uint32_t addr);
/* A broadcast address for nif: the limited one or its subnet's. */
bool netif_is_ip4_broadcast(const struct netif *nif, uint32_t addr);
/* A unicast address a host may own: not 0/8, 127/8, multicast or class E. */
bool ip4_is_unicast(uint32_t a);
/* Add an IPv4 address to nif (no announcement). 0, -EINVAL, -EEXIST, -ENOSPC. */
int netif_addr4_add(struct stack *s, struct netif *nif, uint32_t addr, uint8_t prefix_len,
                    bool dynamic, uint64_t valid_until);
/* Remove it: 0 or -EADDRNOTAVAIL. */
int netif_addr4_del(struct netif *nif, uint32_t addr, uint8_t prefix_len);
/* TCP: an interface's MTU changed, or a path MTU: recompute the MSS of
 * the connections through nif (sock/tcp.c). */
void tcp_netif_mtu_changed(struct stack *s, const struct netif *nif);

/* ---- core/dhcp4.c ---- */

struct dhcp4_client;
/* Start a client on nif (previous: INIT-REBOOT's address or 0). 0, -ENOMEM. */
int dhcp4_start(struct stack *s, struct netif *nif, uint32_t previous, uint64_t now);
void dhcp4_free(struct netif *nif);
/* UDP 67 -> 68 on a DHCP interface (ipv4_input, before "is it ours"). */
void dhcp4_input(struct stack *s, struct netif *nif, const struct ipv4_view *ip, uint64_t now);
/* Every ARP packet on a DHCP interface: RFC 5227 conflict detection. */
void dhcp4_arp_input(struct stack *s, struct netif *nif, uint32_t spa, uint32_t tpa,
                     bool is_probe, const struct eth_addr *sha, uint64_t now);
void dhcp4_poll(struct stack *s, uint64_t now);
uint64_t dhcp4_next_deadline(const struct stack *s);

/* ---- core/loopback.c ---- */

void loopback_init(struct stack *s);
void loopback_free(struct stack *s);
/* Queue the IP packet in p (header first) for local delivery. Always
 * consumes p's bytes (copies); 0 or -ENOBUFS (queue full, counted). */
int loopback_output(struct stack *s, struct pbuf *p, uint8_t family, uint64_t now);
/* Deliver the packets queued before this call. */
void loopback_poll(struct stack *s, uint64_t now);
uint64_t loopback_next_deadline(const struct stack *s);

/* ---- core/pmtu.c ---- */

/* The path MTU toward dst through nif: the link's (IPv6: an RA's MTU,
 * never below 1280), or less if ICMP or black-hole detection said so. */
uint32_t ip_path_mtu(struct stack *s, const struct netif *nif, const struct ip_addr *dst);
/* An ICMP error says mtu (checked by the caller, RFC 5927): lower the
 * path (never raised, floored at 552 for IPv4 and 1280 for IPv6). True if
 * it went down. */
bool ip_pmtu_update(struct stack *s, const struct ip_addr *dst, uint32_t mtu, uint64_t now);
/* RFC 4821 10.3: segments of mtu bytes keep vanishing with no ICMP: a
 * black hole; lower the path to 1024 bytes of TCP payload (then halve).
 * True if it went down (counted as tcp.pmtu_blackholes). */
bool ip_pmtu_blackhole(struct stack *s, const struct ip_addr *dst, uint32_t mtu, uint64_t now);
/* RFC 1191 7.1: the plateau below size (a router that says MTU 0). */
uint32_t pmtu_plateau_below(uint32_t size);
void pmtu_poll(struct stack *s, uint64_t now);
uint64_t pmtu_next_deadline(const struct stack *s);
/* TCP (sock/tcp.c): is the quoted segment's sequence number one we sent
 * and is not acknowledged yet (RFC 5927 4.1)? */
bool tcp_quote_in_flight(struct stack *s, const struct ip_addr *src, const struct ip_addr *dst,
                         uint16_t sport, uint16_t dport, const uint8_t *l4, size_t l4_len);

/* ---- core/route.c ---- */

/* The best table route for dst of its family (longest prefix, lowest
 * metric; pref breaks ties), with the interface and next hop it uses;
 * NULL if none is usable. *plen its prefix length. */
const struct stack_route *route_lookup(struct stack *s, const struct ip_addr *dst,
                                       const struct netif *pref, struct netif **nif,
                                       struct ip_addr *next_hop);
void route_poll(struct stack *s, uint64_t now);
uint64_t route_next_deadline(const struct stack *s);
/* Add/remove with a `now` for lifetimes (DHCP); lifetime_s FOREVER = none. */
int route_add(struct stack *s, const struct stack_route *r, uint64_t now);
/* Remove every route of proto on ifindex (a DHCP lease ends). */
void route_flush_proto(struct stack *s, int ifindex, uint8_t proto);

/* ---- core/eth.c ---- */

void eth_input(struct stack *s, struct netif *nif, const uint8_t *frame, size_t len,
               uint64_t now);
/* Prepend the Ethernet header to p, pad to 60 bytes, send. 0 or -errno
 * (the frame is counted as dropped). */
int eth_output(struct stack *s, struct netif *nif, struct pbuf *p,
               const struct eth_addr *dst, uint16_t ethertype);

/* ---- core/arp.c ---- */

int arp_init(struct stack *s);
void arp_free(struct stack *s);
void arp_input(struct stack *s, struct netif *nif, const uint8_t *buf, size_t len,
               uint64_t now);
/* Send the IP packet in p (header first) to next_hop on nif: at once if the
 * MAC is known, else queued (bounded) while resolving. Always consumes p. */
int arp_output(struct stack *s, struct netif *nif, uint32_t next_hop, struct pbuf *p,
               uint64_t now);
/* Gratuitous ARP announcing addr, one of nif's addresses. */
void arp_announce(struct stack *s, struct netif *nif, uint32_t addr);
/* RFC 5227 2.1.1: an ARP probe for tpa (sender 0.0.0.0). */
void arp_probe(struct stack *s, struct netif *nif, uint32_t tpa);
/* A PERMANENT entry from the config. 0 or -ENOSPC. */
int arp_add_static(struct stack *s, struct netif *nif, uint32_t ip,
                   const struct eth_addr *mac, uint64_t now);
/* The MAC of ip on nif if resolved (no request is sent). */
bool arp_known_mac(struct stack *s, const struct netif *nif, uint32_t ip, struct eth_addr *mac);
/* Drop the entry of ip on ifindex (its waiting packets too): 0 or -ENOENT. */
int arp_forget(struct stack *s, int ifindex, uint32_t ip);
/* Drop every entry of an interface (undo of a failed stack_netif_add). */
void arp_forget_netif(struct stack *s, int ifindex);
void arp_poll(struct stack *s, uint64_t now);
uint64_t arp_next_deadline(const struct stack *s);

/* ---- core/ipv4.c ---- */

struct ipv4_route {
    struct netif *nif;
    uint32_t src;                /* source address to use */
    uint32_t next_hop;           /* dst on-link, else the gateway */
    bool broadcast;              /* send to ff:ff:ff:ff:ff:ff, no ARP */
};

/* link_multicast: the frame's destination MAC was broadcast/multicast. */
void ipv4_input(struct stack *s, struct netif *nif, const uint8_t *buf, size_t len,
                bool link_multicast, uint64_t now);
/* Pick interface, next hop and source for dst. src_hint (0 = any) is the
 * socket's bound address. 0 or -ENETUNREACH (counted). */
int ipv4_route(struct stack *s, uint32_t dst, uint32_t src_hint, struct ipv4_route *rt);
/* Prepend an IPv4 header to the transport packet in p and send it with
 * DF set (RFC 1191). 0, or -EMSGSIZE (above the MTU), -EADDRNOTAVAIL (no
 * source). */
int ipv4_output(struct stack *s, const struct ipv4_route *rt, struct pbuf *p,
                uint32_t dst, uint8_t proto, uint64_t now);
/* ipv4_output for UDP and ICMP: a packet that fits the MTU goes as one
 * datagram with DF; a larger one (up to 65515 bytes of payload) is sent
 * in fragments with DF clear and one Identification (RFC 791 3.2). */
int ipv4_output_frag(struct stack *s, const struct ipv4_route *rt, struct pbuf *p,
                     uint32_t dst, uint8_t proto, uint64_t now);

/* ---- core/reasm4.c: IPv4 reassembly (RFC 791 3.2, RFC 815) ---- */

/* RFC 791 leaves the timer to the host: 30 s as Linux's ipfrag_time. */
#define REASM4_TIMEOUT_NS (30 * NS_PER_SEC)
/* Datagrams being reassembled at once, all interfaces; then the oldest
 * is evicted. */
#define REASM4_MAX_DATAGRAMS 64
/* Bytes held, bookkeeping included (Linux: ipfrag_high_thresh, 4 MiB). */
#define REASM4_MEM_MAX (1u << 20)

int reasm4_init(struct stack *s);
void reasm4_free(struct stack *s);
/* A fragment (MF set or a non-zero offset) of the datagram ip, for us.
 * When it completes a datagram, returns it as a malloc'd IPv4 packet
 * (*out_len bytes, header with a zero fragment field and a fresh
 * checksum; the caller frees it); else NULL. Bad fragments are counted. */
uint8_t *reasm4_input(struct stack *s, struct netif *nif, const struct ipv4_view *ip,
                      const uint8_t *pkt, uint64_t now, size_t *out_len);
/* Expire datagrams: ICMP Time Exceeded code 1 if the first fragment came
 * (RFC 792, RFC 1122 3.3.2). */
void reasm4_poll(struct stack *s, uint64_t now);
uint64_t reasm4_next_deadline(const struct stack *s);
/* Hand a transport an error about a datagram we sent (src:sport ->
 * dst:dport): from an ICMP error (local false), or from a failed ARP
 * resolution (local true). l4 is the quoted transport header (l4_len
 * bytes, at least the 8 with the ports; TCP checks the sequence number). */
void ipv4_transport_error(struct stack *s, uint8_t proto, uint32_t src, uint32_t dst,
                          uint16_t sport, uint16_t dport, int err, const uint8_t *l4,
                          size_t l4_len, bool local);
/* The same for a whole IP packet we generated (ARP failure). */
void ipv4_packet_error(struct stack *s, const uint8_t *pkt, size_t len, int err);

/* ---- core/ip.c: what transports see of IP, whatever the family ---- */

/* Where a packet to dst goes: interface, source and next hop. */
struct ip_route {
    struct netif *nif;
    struct ip_addr src;          /* the source address to use */
    struct ip_addr next_hop;     /* dst on-link, else a router */
    bool broadcast;              /* IPv4 broadcast: ff:ff:ff:ff:ff:ff, no ARP */
};

/* A transport packet handed up by IPv4 (or, later, IPv6). */
struct ip_rx {
    struct netif *nif;
    struct ip_addr src, dst;
    const uint8_t *payload;      /* the transport header and data */
    size_t len;
    bool to_broadcast;           /* sent to a broadcast/multicast address (IP or link) */
    const struct ipv4_view *v4;  /* the IPv4 header (ICMPv4 errors), or NULL */
    const uint8_t *pkt;          /* the whole IP packet, header first */
};

/* Route to dst from src_hint (NULL or the any address: choose). 0, or
 * -ENETUNREACH, -EAFNOSUPPORT (a family without a route yet). */
int ip_route(struct stack *s, const struct ip_addr *dst, const struct ip_addr *src_hint,
             struct ip_route *rt);
/* Prepend the IP header to the transport packet in p and send it on rt.
 * 0, or -errno as ipv4_output. */
int ip_output(struct stack *s, const struct ip_route *rt, struct pbuf *p,
              const struct ip_addr *dst, uint8_t proto, uint64_t now);
/* ip_output, but a datagram above the (path) MTU is fragmented, for UDP
 * and ICMP (ipv4_output_frag, ipv6_output_frag). TCP never uses it. */
int ip_output_frag(struct stack *s, const struct ip_route *rt, struct pbuf *p,
                   const struct ip_addr *dst, uint8_t proto, uint64_t now);
/* Is a one of our unicast addresses? */
bool ip_addr_is_local(struct stack *s, const struct ip_addr *a);
/* An ICMP "port unreachable" (or the family's equivalent) about rx. */
void ip_port_unreachable(struct stack *s, const struct ip_rx *rx, uint64_t now);

/* ---- IPv6: core/ipv6.c, core/icmp6.c, core/reasm6.c, core/nd.c,
 *      core/addrconf.c ---- */

struct ipv6_view;
struct icmp6_view;
struct ipv6_chain;
struct nd_table;                 /* core/nd.c */
struct ipv6_state;               /* core/ipv6.c */

/* core/ipv6.c: input (validation, extension headers, reassembly,
 * delivery to ICMPv6/UDP/TCP through struct ip_rx) and output. */
void ipv6_input(struct stack *s, struct netif *nif, const uint8_t *buf, size_t len,
                bool link_multicast, uint64_t now);
/* Route to dst (host order bytes): interface, source (RFC 6724 rules 1,
 * 2, 3, 8 simplified: same address, same scope, avoid deprecated, longest
 * prefix), next hop (on-link prefix or default router). src_hint NULL or
 * :: = choose. 0 or -ENETUNREACH / -EADDRNOTAVAIL. */
int ipv6_route(struct stack *s, const uint8_t dst[16], const uint8_t *src_hint,
               struct ip_route *rt);
/* Prepend the IPv6 header and send (nd_output resolves the next hop;
 * multicast goes to 33:33:...). 0 or -errno (-EMSGSIZE above the path
 * MTU: this one never fragments; TCP sizes its segments instead). */
int ipv6_output(struct stack *s, const struct ip_route *rt, struct pbuf *p,
                const uint8_t dst[16], uint8_t proto, uint8_t hop_limit, uint64_t now);
/* ipv6_output, but a packet above the path MTU is sent in fragments (RFC
 * 8200 4.5) instead of refused: for UDP and echo replies. -EMSGSIZE
 * above 65535 bytes of payload (no jumbograms). */
int ipv6_output_frag(struct stack *s, const struct ip_route *rt, struct pbuf *p,
                     const uint8_t dst[16], uint8_t proto, uint8_t hop_limit, uint64_t now);
/* Is addr one of ours (PREFERRED or DEPRECATED), on any interface? */
struct netif *netif_by_ip6(struct stack *s, const uint8_t addr[16]);
/* Has nif joined group (all-nodes ff02::1, the solicited-node group of
 * each of its addresses, tentative ones included: RFC 4862 5.4.2)? */
bool netif_joined6(const struct netif *nif, const uint8_t group[16]);
/* The path MTU toward dst (RFC 8201: lowered by Packet Too Big, never
 * below 1280), or the interface's. */
uint32_t ipv6_path_mtu(struct stack *s, const struct netif *nif, const uint8_t dst[16]);
void ipv6_pmtu_update(struct stack *s, const uint8_t dst[16], uint32_t mtu, uint64_t now);
int ipv6_init(struct stack *s);
void ipv6_free(struct stack *s);
void ipv6_poll(struct stack *s, uint64_t now);
uint64_t ipv6_next_deadline(const struct stack *s);

/* core/icmp6.c (RFC 4443): echo, errors in (to transports) and out (rate
 * limited), ND and MLD dispatch. */
void icmp6_input(struct stack *s, struct netif *nif, const struct ipv6_view *ip,
                 const uint8_t *msg, size_t len, uint64_t now);
/* An error about the packet pkt (whole, header first) with RFC 4443 2.4
 * (e) applied (never about an error, a multicast destination except PTB
 * and option-code-2 Parameter Problems, an unspecified/multicast source)
 * and the rate limit. */
void icmp6_send_error(struct stack *s, struct netif *nif, const uint8_t *pkt, size_t len,
                      uint8_t type, uint8_t code, uint32_t param, bool to_multicast,
                      uint64_t now);

/* core/nd.c (RFC 4861): neighbour cache with NUD, router and prefix
 * lists, RS/RA/NS/NA processing. */
int nd_init(struct stack *s);
void nd_free(struct stack *s);
void nd_input(struct stack *s, struct netif *nif, const struct ipv6_view *ip,
              const struct icmp6_view *m, uint64_t now);
/* Send the IPv6 packet in p to next_hop on nif: at once if its MAC is
 * known, else queued (bounded) while resolving. Consumes p (copies). */
int nd_output(struct stack *s, struct netif *nif, const uint8_t next_hop[16], struct pbuf *p,
              uint64_t now);
/* The interface came up (or its addresses changed): link-local address,
 * DAD, router solicitation. */
void nd_netif_up(struct stack *s, struct netif *nif, uint64_t now);
/* The default router to use on nif (RFC 4861 6.3.6), false if none. */
bool nd_default_router(struct stack *s, const struct netif *nif, uint8_t out[16]);
/* Is dst on-link on nif (its prefixes, link-local)? */
bool nd_on_link(const struct stack *s, const struct netif *nif, const uint8_t dst[16]);
/* The same, as route lookup weighs it: the longest on-link prefix of nif
 * holding dst (static addresses, tentative ones included; RA prefixes;
 * fe80::/10) in *len; false if none. */
bool nd_on_link_len(const struct stack *s, const struct netif *nif, const uint8_t dst[16],
                    unsigned *len);
/* RA default routers weigh as Linux's metric 1024 against static routes. */
#define ND_DEFAULT_ROUTER_METRIC 1024
void nd_poll(struct stack *s, uint64_t now);
uint64_t nd_next_deadline(const struct stack *s);
/* For stack_neigh_list: copy ND entries after the ARP ones. */
size_t nd_neigh_list(const struct stack *s, struct neigh_info *out, size_t max);

/* ---- core/icmp4.c ---- */

/* to_broadcast: the datagram was addressed to a broadcast/multicast
 * address (IP or link layer). */
void icmp4_input(struct stack *s, const struct ipv4_view *ip,
                 bool to_broadcast, uint64_t now);
/* An ICMP error about the datagram ip (whose bytes start at pkt), subject
 * to RFC 1122 3.2.2 and the rate limit. */
void icmp4_send_error(struct stack *s, struct netif *nif, const struct ipv4_view *ip,
                      const uint8_t *pkt, bool to_broadcast, uint8_t type, uint8_t code,
                      uint64_t now);
/* errno for an ICMP error, as Linux's icmp_err_convert; 0 if none. */
int icmp4_errno(uint8_t type, uint8_t code);

/* ---- sock/udp.c ---- */

void udp_table_init(struct stack *s);
void udp_table_free(struct stack *s);
void udp_input(struct stack *s, const struct ip_rx *rx, uint64_t now);
/* An error about a datagram we sent from src:sport to dst:dport. */
void udp_error(struct stack *s, const struct ip_addr *src, const struct ip_addr *dst,
               uint16_t sport, uint16_t dport, int err);

/* ---- sock/tcp_in.c, sock/tcp_out.c ---- */

struct tcp_emit_args;
struct tcp_options;

/* A TCP segment for us (rx->payload). */
void tcp_input(struct stack *s, const struct ip_rx *rx, uint64_t now);
/* Build a segment without payload, with options o (NULL: none), src ->
 * dst, and send it. 0 or -errno from routing/output. */
int tcp_output_bare(struct stack *s, const struct ip_addr *src, const struct ip_addr *dst,
                    const struct tcp_emit_args *a, const struct tcp_options *o, uint64_t now);
void tcp_poll(struct stack *s, uint64_t now);
uint64_t tcp_next_deadline(const struct stack *s);
/* An error about a segment we sent (see ipv4_transport_error). */
void tcp_error(struct stack *s, const struct ip_addr *src, const struct ip_addr *dst,
               uint16_t sport, uint16_t dport, int err, const uint8_t *l4, size_t l4_len,
               bool local);
int tcp_table_init(struct stack *s);
void tcp_table_free(struct stack *s);

#endif
