/* arp.c - ARP (RFC 826) and the IPv4 neighbour cache.
 *
 * The cache is a fixed array of cfg.arp_cache_size entries, scanned
 * linearly (256 by default: cheap next to a system call). States follow
 * Linux's neighbour table in spirit:
 *   INCOMPLETE  broadcast requests every arp_retry_ns, at most
 *               arp_max_retries; packets wait in a bounded queue
 *               (arp_pending_per_entry per entry, the oldest pushed out, and
 *               arp_pending_max for the whole cache: core/pending.h). On
 *               failure they are dropped and their senders get EHOSTUNREACH.
 *   REACHABLE   confirmed within arp_reachable_ns (RFC 1122 2.3.2.1).
 *   STALE       still used; the first use sends a unicast request to the
 *               known MAC (up to arp_max_retries, then the entry goes);
 *               unused for ARP_GC_STALE_NS, it is dropped.
 *   PERMANENT   static entries from the config: never expire or change.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "stack/core/stack_impl.h"
#include "stack/wire/arp.h"
#include "stack/wire/eth.h"

/* An unused STALE entry is forgotten after this (Linux gc_stale_time). */
#define ARP_GC_STALE_NS (60 * NS_PER_SEC)
/* At most one conflict warning per interface per this (the counter counts
 * every one): a flood of forged ARP must not flood the log. */
#define ARP_CONFLICT_LOG_NS (1 * NS_PER_SEC)

static const struct eth_addr eth_broadcast = {{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}};

static uint64_t add_sat(uint64_t a, uint64_t b)
{
    return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

int arp_init(struct stack *s)
{
    s->arp.size = s->cfg.arp_cache_size;
    s->arp.entries = calloc(s->arp.size, sizeof *s->arp.entries);
    s->arp.n_pending = 0;
    return s->arp.entries == NULL ? -ENOMEM : 0;
}

/* Free the packets of an entry; returns how many there were. */
static uint32_t pending_free(struct stack *s, struct arp_entry *e)
{
    return pending_queue_free(&e->pend, &s->arp.n_pending);
}

static void entry_clear(struct stack *s, struct arp_entry *e)
{
    uint32_t dropped = pending_free(s, e);
    ctr_add(s, CTR_ARP_PENDING_DROPPED, dropped);
    memset(e, 0, sizeof *e);
}

void arp_free(struct stack *s)
{
    if (s->arp.entries == NULL)
        return;
    for (uint32_t i = 0; i < s->arp.size; i++)
        pending_free(s, &s->arp.entries[i]);
    free(s->arp.entries);
    s->arp.entries = NULL;
}

void arp_forget_netif(struct stack *s, int ifindex)
{
    for (uint32_t i = 0; i < s->arp.size; i++) {
        struct arp_entry *e = &s->arp.entries[i];
        if (e->in_use && e->ifindex == ifindex)
            entry_clear(s, e);
    }
}

static struct arp_entry *arp_lookup(struct stack *s, int ifindex, uint32_t ip)
{
    for (uint32_t i = 0; i < s->arp.size; i++) {
        struct arp_entry *e = &s->arp.entries[i];
        if (e->in_use && e->ifindex == ifindex && e->ip == ip)
            return e;
    }
    return NULL;
}

bool arp_known_mac(struct stack *s, const struct netif *nif, uint32_t ip, struct eth_addr *mac)
{
    const struct arp_entry *e = arp_lookup(s, nif->index, ip);
    if (e == NULL || e->state == NEIGH_INCOMPLETE)
        return false;
    *mac = e->mac;
    return true;
}

int arp_forget(struct stack *s, int ifindex, uint32_t ip)
{
    struct arp_entry *e = arp_lookup(s, ifindex, ip);
    if (e == NULL)
        return -ENOENT;
    entry_clear(s, e);
    return 0;
}

/* A free slot, or the oldest non-static one reused. Entries with packets
 * waiting are taken last: evicting them drops those packets. */
static struct arp_entry *arp_alloc(struct stack *s, int ifindex, uint32_t ip, uint64_t now)
{
    struct arp_entry *victim = NULL;
    for (uint32_t i = 0; i < s->arp.size; i++) {
        struct arp_entry *e = &s->arp.entries[i];
        if (!e->in_use) {
            victim = e;
            break;
        }
        if (e->state == NEIGH_PERMANENT)
            continue;
        if (victim == NULL ||
            neigh_evict_before(e->state == NEIGH_INCOMPLETE, e->updated,
                               victim->state == NEIGH_INCOMPLETE, victim->updated))
            victim = e;
    }
    if (victim == NULL)
        return NULL; /* every slot is static */
    if (victim->in_use) {
        ctr_inc(s, CTR_ARP_CACHE_EVICTIONS);
        entry_clear(s, victim);
    }
    victim->in_use = true;
    victim->ifindex = ifindex;
    victim->ip = ip;
    victim->updated = now;
    victim->used = now;
    return victim;
}

/* Build and send one ARP packet from our address spa. eth_dst: where the
 * frame goes. */
static void arp_send(struct stack *s, struct netif *nif, uint16_t op,
                     const struct eth_addr *eth_dst, uint32_t spa, const struct eth_addr *tha,
                     uint32_t tpa)
{
    uint8_t buf[PBUF_VNET_HLEN + ETH_HLEN + ETH_MIN_FRAME];
    struct pbuf p;
    pbuf_init(&p, buf, sizeof buf, PBUF_VNET_HLEN + ETH_HLEN);
    uint8_t *body = pbuf_append(&p, ARP_LEN);
    if (body == NULL)
        return;
    struct arp_view a = {
        .op = op,
        .sha = nif->mac,
        .spa = spa,
        .tha = *tha,
        .tpa = tpa,
    };
    arp_emit(body, &a);
    (void)eth_output(s, nif, &p, eth_dst, ETHERTYPE_ARP);
}

/* A request for ip: broadcast while resolving, unicast to the known MAC
 * when refreshing (RFC 1122 2.3.2.1 suggests unicast polls). */
static void arp_send_request(struct stack *s, struct netif *nif, uint32_t ip,
                             const struct eth_addr *unicast_to)
{
    static const struct eth_addr zero;
    /* RFC 826 with several addresses: speak from the one of ip's subnet. */
    arp_send(s, nif, ARP_OP_REQUEST, unicast_to != NULL ? unicast_to : &eth_broadcast,
             netif_ip4_source(nif, ip), &zero, ip);
    ctr_inc(s, CTR_ARP_TX_REQUESTS);
}

void arp_announce(struct stack *s, struct netif *nif, uint32_t addr)
{
    static const struct eth_addr zero;
    /* RFC 5227 2.3: an ARP request with sender and target both our address. */
    arp_send(s, nif, ARP_OP_REQUEST, &eth_broadcast, addr, &zero, addr);
    ctr_inc(s, CTR_ARP_TX_GRATUITOUS);
}

void arp_probe(struct stack *s, struct netif *nif, uint32_t tpa)
{
    static const struct eth_addr zero;
    arp_send(s, nif, ARP_OP_REQUEST, &eth_broadcast, 0, &zero, tpa);
    ctr_inc(s, CTR_ARP_TX_REQUESTS);
}

int arp_add_static(struct stack *s, struct netif *nif, uint32_t ip,
                   const struct eth_addr *mac, uint64_t now)
{
    struct arp_entry *e = arp_lookup(s, nif->index, ip);
    if (e == NULL)
        e = arp_alloc(s, nif->index, ip, now);
    if (e == NULL)
        return -ENOSPC;
    ctr_add(s, CTR_ARP_PENDING_DROPPED, pending_free(s, e));
    e->state = NEIGH_PERMANENT;
    e->mac = *mac;
    e->updated = now;
    e->probing = false;
    e->requests = 0;
    return 0;
}

/* Send the packets that waited for e, in the order they came. */
static void pending_flush(struct stack *s, struct netif *nif, struct arp_entry *e)
{
    pending_queue_flush(s, nif, &e->pend, &s->arp.n_pending, &e->mac, ETHERTYPE_IPV4,
                        CTR_ARP_PENDING_DROPPED);
}

/* The neighbour answered or spoke to us: its MAC is confirmed. */
static void entry_confirm(struct stack *s, struct netif *nif, struct arp_entry *e,
                          const struct eth_addr *mac, uint64_t now)
{
    bool was_incomplete = e->state == NEIGH_INCOMPLETE;
    e->mac = *mac;
    e->state = NEIGH_REACHABLE;
    e->updated = now;
    e->probing = false;
    e->requests = 0;
    if (was_incomplete)
        pending_flush(s, nif, e);
}

static void conflict_warn(struct stack *s, struct netif *nif, uint32_t addr,
                          const struct eth_addr *mac, uint64_t now)
{
    ctr_inc(s, CTR_ARP_CONFLICTS);
    if (nif->conflict_logged && now - nif->conflict_logged_at < ARP_CONFLICT_LOG_NS)
        return;
    nif->conflict_logged = true;
    nif->conflict_logged_at = now;
    char ip[16], hw[ETH_ADDR_STRLEN];
    stack_log(s, STACK_LOG_WARN, "arp: %s: address conflict: %s is claimed by %s", nif->name,
              ip4_format(addr, ip, sizeof ip), eth_addr_format(mac, hw, sizeof hw));
}

void arp_input(struct stack *s, struct netif *nif, const uint8_t *buf, size_t len,
               uint64_t now)
{
    struct arp_view a;

    ctr_inc(s, CTR_ARP_RX);
    int err = arp_parse(buf, len, &a);
    if (err == WIRE_EUNSUPP) {
        ctr_inc(s, CTR_ARP_RX_DROP_UNSUPPORTED);
        return;
    }
    if (err != WIRE_OK) {
        ctr_inc(s, CTR_ARP_RX_DROP_MALFORMED);
        return;
    }
    /* A group or zero sender MAC would poison the cache. */
    static const struct eth_addr zero;
    if (eth_addr_is_multicast(&a.sha) || eth_addr_eq(&a.sha, &zero)) {
        ctr_inc(s, CTR_ARP_RX_DROP_MALFORMED);
        return;
    }
    if (a.op == ARP_OP_REQUEST) {
        ctr_inc(s, CTR_ARP_RX_REQUESTS);
    } else if (a.op == ARP_OP_REPLY) {
        ctr_inc(s, CTR_ARP_RX_REPLIES);
    } else {
        ctr_inc(s, CTR_ARP_RX_DROP_BAD_OP);
        return;
    }
    if (nif->dhcp4 != NULL) /* RFC 5227: a DHCP lease being probed */
        dhcp4_arp_input(s, nif, a.spa, a.tpa, a.spa == 0, &a.sha, now);
    if (nif->addr4[0].addr == 0 || eth_addr_eq(&a.sha, &nif->mac))
        return; /* nothing to answer for, or our own frame looped back */

    if (netif_has_ip4(nif, a.spa)) {
        /* Someone else uses our address (RFC 5227 2.4). Do not learn it. */
        conflict_warn(s, nif, a.spa, &a.sha, now);
        return;
    }

    /* RFC 826 packet reception: update an entry for the sender if we have
     * one (merge), add one if we are the target. spa 0 is an RFC 5227 probe:
     * nothing to learn. */
    bool for_us = netif_has_ip4(nif, a.tpa);
    if (a.spa != 0) {
        struct arp_entry *e = arp_lookup(s, nif->index, a.spa);
        if (e != NULL && e->state != NEIGH_PERMANENT) {
            if (for_us || e->state == NEIGH_INCOMPLETE) {
                entry_confirm(s, nif, e, &a.sha, now);
            } else if (!eth_addr_eq(&e->mac, &a.sha)) {
                /* Overheard broadcast with a new MAC: use it, but it is not
                 * a confirmation that the neighbour hears us. */
                e->mac = a.sha;
                e->state = NEIGH_STALE;
                e->probing = false;
                e->requests = 0;
                e->updated = now;
            }
        } else if (e == NULL && for_us) {
            e = arp_alloc(s, nif->index, a.spa, now);
            if (e != NULL)
                entry_confirm(s, nif, e, &a.sha, now);
        }
    }

    if (for_us && a.op == ARP_OP_REQUEST) {
        arp_send(s, nif, ARP_OP_REPLY, &a.sha, a.tpa, &a.sha, a.spa);
        ctr_inc(s, CTR_ARP_TX_REPLIES);
    }
}

int arp_output(struct stack *s, struct netif *nif, uint32_t next_hop, struct pbuf *p,
               uint64_t now)
{
    struct arp_entry *e = arp_lookup(s, nif->index, next_hop);

    if (e != NULL && e->state != NEIGH_INCOMPLETE) {
        e->used = now;
        if (e->state == NEIGH_REACHABLE && now >= add_sat(e->updated, s->cfg.arp_reachable_ns))
            e->state = NEIGH_STALE;
        if (e->state == NEIGH_STALE && !e->probing) {
            /* Keep using the old MAC while we ask it to confirm. */
            e->probing = true;
            e->requests = 1;
            e->timer = add_sat(now, s->cfg.arp_retry_ns);
            arp_send_request(s, nif, next_hop, &e->mac);
        }
        return eth_output(s, nif, p, &e->mac, ETHERTYPE_IPV4);
    }

    if (e == NULL) {
        e = arp_alloc(s, nif->index, next_hop, now);
        if (e == NULL) {
            ctr_inc(s, CTR_ARP_PENDING_DROPPED);
            return 0;
        }
        e->state = NEIGH_INCOMPLETE;
        e->requests = 1;
        e->timer = add_sat(now, s->cfg.arp_retry_ns);
        arp_send_request(s, nif, next_hop, NULL);
    }

    uint32_t evicted;
    int pushed = pending_queue_push(&e->pend, &s->arp.n_pending, s->cfg.arp_pending_max,
                                    s->cfg.arp_pending_per_entry, p, &evicted);
    ctr_add(s, CTR_ARP_PENDING_DROPPED, evicted);
    if (pushed != 0) {
        ctr_inc(s, CTR_ARP_PENDING_DROPPED);
        return 0;
    }
    ctr_inc(s, CTR_ARP_PENDING_QUEUED);
    return 0;
}

/* RFC 1122 2.3.2.2 / Linux: locally generated packets are reported as if
 * an ICMP host unreachable had arrived. */
static void packet_unreachable(struct stack *s, const uint8_t *pkt, size_t len)
{
    ipv4_packet_error(s, pkt, len, EHOSTUNREACH);
}

/* Resolution failed: forget the entry first (a sender told about it may
 * send again at once), then drop its packets and tell their senders. */
static void resolve_failed(struct stack *s, struct arp_entry *e)
{
    char ip[16];
    stack_log(s, STACK_LOG_DEBUG, "arp: %s: no answer from %s",
              s->netifs[e->ifindex].name, ip4_format(e->ip, ip, sizeof ip));
    struct pending_pkt *p = pending_queue_take(&e->pend, &s->arp.n_pending);
    memset(e, 0, sizeof *e);
    ctr_inc(s, CTR_ARP_RESOLVE_FAILED);
    pending_list_fail(s, p, CTR_ARP_PENDING_DROPPED, packet_unreachable);
}

void arp_poll(struct stack *s, uint64_t now)
{
    for (uint32_t i = 0; i < s->arp.size; i++) {
        struct arp_entry *e = &s->arp.entries[i];
        if (!e->in_use || e->state == NEIGH_PERMANENT)
            continue;
        struct netif *nif = &s->netifs[e->ifindex];

        if (e->state == NEIGH_INCOMPLETE) {
            if (now < e->timer)
                continue;
            if (e->requests < s->cfg.arp_max_retries) {
                e->requests++;
                e->timer = add_sat(now, s->cfg.arp_retry_ns);
                arp_send_request(s, nif, e->ip, NULL);
            } else {
                resolve_failed(s, e);
            }
            continue;
        }
        if (e->state == NEIGH_REACHABLE && now >= add_sat(e->updated, s->cfg.arp_reachable_ns))
            e->state = NEIGH_STALE;
        if (e->state != NEIGH_STALE)
            continue;
        if (e->probing) {
            if (now < e->timer)
                continue;
            if (e->requests < s->cfg.arp_max_retries) {
                e->requests++;
                e->timer = add_sat(now, s->cfg.arp_retry_ns);
                arp_send_request(s, nif, e->ip, &e->mac);
            } else {
                memset(e, 0, sizeof *e); /* the neighbour is gone */
            }
            continue;
        }
        uint64_t last = e->used > e->updated ? e->used : e->updated;
        if (now >= add_sat(last, ARP_GC_STALE_NS))
            memset(e, 0, sizeof *e);
    }
}

uint64_t arp_next_deadline(const struct stack *s)
{
    uint64_t next = STACK_NO_DEADLINE;
    for (uint32_t i = 0; i < s->arp.size; i++) {
        const struct arp_entry *e = &s->arp.entries[i];
        uint64_t t;
        if (!e->in_use)
            continue;
        switch (e->state) {
        case NEIGH_INCOMPLETE:
            t = e->timer;
            break;
        case NEIGH_REACHABLE:
            t = add_sat(e->updated, s->cfg.arp_reachable_ns);
            break;
        case NEIGH_STALE:
            if (e->probing)
                t = e->timer;
            else
                t = add_sat(e->used > e->updated ? e->used : e->updated, ARP_GC_STALE_NS);
            break;
        default:
            continue;
        }
        if (t < next)
            next = t;
    }
    return next;
}

size_t stack_neigh_list(const struct stack *s, struct neigh_info *out, size_t max)
{
    size_t n = 0;
    for (uint32_t i = 0; i < s->arp.size; i++) {
        const struct arp_entry *e = &s->arp.entries[i];
        if (!e->in_use)
            continue;
        if (out != NULL && n < max) {
            struct neigh_info *ni = &out[n];
            memset(ni, 0, sizeof *ni);
            ni->ifindex = e->ifindex;
            ni->ip = ip_addr_v4(e->ip);
            if (e->state != NEIGH_INCOMPLETE)
                ni->mac = e->mac;
            ni->state = e->state;
            ni->updated = e->updated;
        }
        n++;
    }
    /* Then the IPv6 neighbours (core/nd.c). */
    size_t m = nd_neigh_list(s, out != NULL && n < max ? out + n : NULL, n < max ? max - n : 0);
    return n + m;
}

const char *neigh_state_name(enum neigh_state st)
{
    switch (st) {
    case NEIGH_INCOMPLETE:
        return "INCOMPLETE";
    case NEIGH_REACHABLE:
        return "REACHABLE";
    case NEIGH_STALE:
        return "STALE";
    case NEIGH_PERMANENT:
        return "PERMANENT";
    case NEIGH_DELAY:
        return "DELAY";
    case NEIGH_PROBE:
        return "PROBE";
    }
    return "?";
}
