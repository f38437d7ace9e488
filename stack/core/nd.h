/* nd.h - inside of Neighbor Discovery (RFC 4861) and address configuration
 * (RFC 4862), shared by core/nd.c (neighbour cache, NS/NA, NUD) and
 * core/addrconf.c (addresses, DAD, SLAAC, router and prefix lists, RS/RA).
 * The rest of the stack uses the nd_* functions of stack_impl.h. */
#ifndef TCPIP_CORE_ND_H
#define TCPIP_CORE_ND_H

#include "stack/core/stack_impl.h"
#include "stack/wire/icmp6.h"
#include "stack/wire/ipv6.h"

/* RFC 4861 10: host constants. */
#define ND_MAX_MULTICAST_SOLICIT 3
#define ND_MAX_UNICAST_SOLICIT 3
#define ND_REACHABLE_TIME_NS (30 * NS_PER_SEC)
#define ND_RETRANS_TIMER_NS (1 * NS_PER_SEC)
#define ND_DELAY_FIRST_PROBE_NS (5 * NS_PER_SEC)
#define ND_MAX_RTR_SOLICITATIONS 3
#define ND_RTR_SOLICITATION_INTERVAL_NS (4 * NS_PER_SEC)
/* An unused STALE entry is forgotten after this (Linux gc_stale_time). */
#define ND_GC_STALE_NS (60 * NS_PER_SEC)
/* RFC 4862 5.1: DupAddrDetectTransmits; RetransTimer between them. */
#define ND_DAD_TRANSMITS 1
/* RFC 4862 5.5.3 (e): the "two hours" rule. */
#define ND_TWO_HOURS_NS (7200 * NS_PER_SEC)
#define ND_MAX_ROUTERS 4             /* per stack; more are ignored */
#define ND_MAX_PREFIXES 8
#define ND_MAX_RDNSS 4               /* RFC 8106 5.3.1: DNS servers kept, all interfaces */
#define ND_MAX_DNSSL 4

/* RFC 3810 9.1, 9.11: Robustness Variable (each State Change Report goes
 * out this many times) and Unsolicited Report Interval between them. */
#define MLD_ROBUSTNESS 2
#define MLD_UNSOLICITED_INTERVAL_NS (1 * NS_PER_SEC)
/* Per interface: every joined group, plus left ones still reported. */
#define MLD_MAX_PENDING (2 * NETIF_MAX_ADDR6)

/* A solicited-node group we listen to, or whose leave is still being
 * reported; a free slot is neither joined nor has reports left. */
struct mld_pending {
    uint8_t group[16];
    bool joined;
    uint8_t type;                /* MLD2_CHANGE_TO_EXCLUDE (join) or _INCLUDE (leave) */
    uint8_t left;                /* reports still to send */
};

enum nd_state {
    ND_FREE = 0,
    ND_INCOMPLETE,               /* multicast NS sent, packets queued */
    ND_REACHABLE,                /* confirmed within reachable_ns */
    ND_STALE,                    /* unconfirmed; used, which moves it to DELAY */
    ND_DELAY,                    /* used while STALE: wait for upper-layer hints */
    ND_PROBE,                    /* unicast NS every retrans_ns */
};

struct nd_entry {
    enum nd_state state;
    int ifindex;
    uint8_t ip[16];
    struct eth_addr mac;
    bool is_router;
    uint64_t updated;            /* last confirmation or creation */
    uint64_t used;               /* last packet sent through it */
    uint64_t timer;              /* INCOMPLETE/DELAY/PROBE: next step */
    uint32_t probes;             /* NS sent in this state */
    struct pending_queue pend;   /* INCOMPLETE: packets waiting */
};

struct nd_router {
    bool in_use;
    int ifindex;
    uint8_t addr[16];            /* link-local (RFC 4861 6.1.2) */
    uint64_t expires;
};

struct nd_prefix {
    bool in_use;
    int ifindex;
    uint8_t prefix[16];
    uint8_t len;
    uint64_t expires;            /* 0 = infinity */
};

/* RFC 8106: a DNS server or search domain from an RA, until expires. */
struct nd_dns {
    bool in_use;
    int ifindex;
    uint8_t addr[16];            /* RDNSS */
    char name[ND_DNSSL_NAME_MAX]; /* DNSSL */
    uint64_t expires;            /* 0: infinity */
};

struct nd_table {
    struct nd_entry *entries;    /* cfg.arp_cache_size slots */
    uint32_t size;
    uint32_t n_pending;
    uint64_t reachable_ns;       /* RA Reachable Time, else 30 s */
    uint64_t retrans_ns;         /* RA Retrans Timer, else 1 s */
    struct nd_router routers[ND_MAX_ROUTERS];
    struct nd_prefix prefixes[ND_MAX_PREFIXES];
    struct nd_dns rdnss[ND_MAX_RDNSS];
    struct nd_dns dnssl[ND_MAX_DNSSL];
    /* Router solicitation per interface (RFC 4861 6.3.7). */
    uint32_t rs_left[STACK_MAX_NETIFS];
    uint64_t rs_timer[STACK_MAX_NETIFS];
    /* Joined groups and unsolicited MLD reports per interface (RFC 3810
     * 6.1): one timer for all. */
    struct mld_pending mld[STACK_MAX_NETIFS][MLD_MAX_PENDING];
    uint64_t mld_timer[STACK_MAX_NETIFS]; /* next report, if any pending */
};

static inline uint64_t nd_add_sat(uint64_t a, uint64_t b)
{
    return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

/* ---- core/nd.c, for addrconf.c ---- */

/* Send an ICMPv6 ND message msg (len bytes, checksum already set for
 * src/dst) with hop limit 255 to dst_mac. */
void nd_send_icmp(struct stack *s, struct netif *nif, const uint8_t src[16],
                  const uint8_t dst[16], const struct eth_addr *dst_mac, const uint8_t *msg,
                  size_t len);
/* A DAD probe for target: NS from :: to its solicited-node group. */
void nd_dad_send(struct stack *s, struct netif *nif, const uint8_t target[16]);
/* A usable address of nif to send from (link-local first), or false. */
bool nd_pick_source(const struct netif *nif, uint8_t out[16]);
/* Learn (or refresh) a neighbour's link-layer address from an SLLA option
 * of an RS/RA/NS (RFC 4861 7.2.3, 6.3.4): STALE if new or changed. */
void nd_learn_lladdr(struct stack *s, struct netif *nif, const uint8_t ip[16],
                     const struct eth_addr *mac, bool is_router, uint64_t now);
/* A neighbour is no longer a router (NA with R clear, RFC 4861 7.2.5). */
void nd_router_gone(struct stack *s, const struct netif *nif, const uint8_t ip[16]);

/* ---- core/addrconf.c, for nd.c ---- */

/* The address entry of nif equal to a (any state but UNUSED), or NULL. */
struct netif_addr6 *addrconf_find(struct netif *nif, const uint8_t a[16]);
/* DAD saw another node with a (RFC 4862 5.4.5). An RFC 7217 address is
 * then formed again in the same entry (RFC 7217 6), its DAD starting at now. */
void addrconf_dad_failed(struct stack *s, struct netif *nif, struct netif_addr6 *a,
                         uint64_t now);

void addrconf_ra_input(struct stack *s, struct netif *nif, const struct ipv6_view *ip,
                       const struct icmp6_view *m, uint64_t now);
void addrconf_netif_up(struct stack *s, struct netif *nif, uint64_t now);
void addrconf_poll(struct stack *s, uint64_t now);
uint64_t addrconf_next_deadline(const struct stack *s);

/* ---- core/addrconf_stable.c: RFC 7217 interface identifiers ---- */

/* RFC 7217 6: a stable address found duplicate is formed again at most
 * this many times (IDGEN_RETRIES, default 3). */
#define ADDRCONF_IDGEN_RETRIES 3

/* RFC 5453 (the IANA registry of reserved IPv6 interface identifiers):
 * is iid one no address may be formed from? */
bool addrconf_iid_reserved(const uint8_t iid[8]);
/* RFC 7217 5: the stable, semantically opaque IID of nif in the /64
 * prefix (its first 8 bytes), from DAD_Counter *dad_counter, into out.
 * A reserved result raises *dad_counter and is computed again; false if
 * no usable IID came out (never in practice: 2^-50 per try). */
bool addrconf_stable_iid(const struct netif *nif, const uint8_t prefix[8],
                         uint8_t *dad_counter, uint8_t out[8]);

/* ---- core/mld.c: unsolicited MLDv2 reports (RFC 3810 6.1) ---- */

/* Send one MLDv2 report of n records on nif to ff02::16 (hop limit 1,
 * Router Alert, link-local or :: source); 0 if it went out. Also used by
 * icmp6.c to answer queries. */
int mld_send_report(struct stack *s, struct netif *nif, const struct mld2_record *recs,
                    size_t n, uint64_t now);
/* addr was added to nif (tentative too, RFC 4862 5.4.2): join its
 * solicited-node group unless another address already did. */
void mld_addr_added(struct stack *s, struct netif *nif, const uint8_t addr[16], uint64_t now);
/* addr left nif (expired, or DAD failed; its entry no longer counts):
 * leave its solicited-node group unless another address still needs it. */
void mld_addr_removed(struct stack *s, struct netif *nif, const uint8_t addr[16]);
void mld_poll(struct stack *s, struct netif *nif, uint64_t now);
/* When mld_poll has a report to send on nif; 0 if none is pending. */
uint64_t mld_next_deadline(const struct stack *s, const struct netif *nif);

#endif
