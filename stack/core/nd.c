/* nd.c - Neighbor Discovery (RFC 4861): the IPv6 neighbour cache with
 * Neighbor Unreachability Detection, NS/NA in and out, and the bounded
 * queue of packets waiting for resolution.
 *
 * The cache is a fixed array of cfg.arp_cache_size entries (the same knob
 * as ARP), scanned linearly. States (RFC 4861 7.3.2):
 *   INCOMPLETE  multicast NS to the solicited-node group every retrans_ns,
 *               at most MAX_MULTICAST_SOLICIT; packets wait (at most
 *               cfg.arp_pending_per_entry per entry, the oldest pushed out,
 *               and cfg.arp_pending_max for the whole cache: core/pending.h),
 *               dropped on failure.
 *   REACHABLE   confirmed within reachable_ns (solicited NA).
 *   STALE       unconfirmed; the first packet sent moves it to DELAY.
 *   DELAY       after DELAY_FIRST_PROBE_TIME without confirmation: PROBE.
 *   PROBE       unicast NS every retrans_ns, MAX_UNICAST_SOLICIT, then gone.
 * Router discovery and addresses are in addrconf.c.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "stack/core/nd.h"
#include "stack/wire/eth.h"

int nd_init(struct stack *s)
{
    struct nd_table *t = calloc(1, sizeof *t);
    if (t == NULL)
        return -ENOMEM;
    t->size = s->cfg.arp_cache_size;
    t->entries = calloc(t->size, sizeof *t->entries);
    if (t->entries == NULL) {
        free(t);
        return -ENOMEM;
    }
    t->reachable_ns = ND_REACHABLE_TIME_NS;
    t->retrans_ns = ND_RETRANS_TIMER_NS;
    s->nd = t;
    return 0;
}

static uint32_t pending_free(struct stack *s, struct nd_entry *e)
{
    return pending_queue_free(&e->pend, &s->nd->n_pending);
}

static void entry_clear(struct stack *s, struct nd_entry *e)
{
    ctr_add(s, CTR_ND_PENDING_DROPPED, pending_free(s, e));
    memset(e, 0, sizeof *e);
}

void nd_free(struct stack *s)
{
    if (s->nd == NULL)
        return;
    for (uint32_t i = 0; i < s->nd->size; i++)
        pending_free(s, &s->nd->entries[i]);
    free(s->nd->entries);
    free(s->nd);
    s->nd = NULL;
}

static struct nd_entry *nd_lookup(struct stack *s, int ifindex, const uint8_t ip[16])
{
    for (uint32_t i = 0; i < s->nd->size; i++) {
        struct nd_entry *e = &s->nd->entries[i];
        if (e->state != ND_FREE && e->ifindex == ifindex && memcmp(e->ip, ip, 16) == 0)
            return e;
    }
    return NULL;
}

/* A free slot, or the least recently confirmed one; entries that are
 * resolving (packets waiting) are taken last. */
static struct nd_entry *nd_alloc(struct stack *s, int ifindex, const uint8_t ip[16],
                                 uint64_t now)
{
    struct nd_entry *victim = NULL;
    for (uint32_t i = 0; i < s->nd->size; i++) {
        struct nd_entry *e = &s->nd->entries[i];
        if (e->state == ND_FREE) {
            victim = e;
            break;
        }
        if (victim == NULL ||
            neigh_evict_before(e->state == ND_INCOMPLETE, e->updated,
                               victim->state == ND_INCOMPLETE, victim->updated))
            victim = e;
    }
    if (victim == NULL)
        return NULL;
    if (victim->state != ND_FREE) {
        ctr_inc(s, CTR_ND_CACHE_EVICTIONS);
        entry_clear(s, victim);
    }
    victim->ifindex = ifindex;
    memcpy(victim->ip, ip, 16);
    victim->updated = now;
    victim->used = now;
    return victim;
}

void nd_send_icmp(struct stack *s, struct netif *nif, const uint8_t src[16],
                  const uint8_t dst[16], const struct eth_addr *dst_mac, const uint8_t *msg,
                  size_t len)
{
    uint8_t buf[PBUF_VNET_HLEN + ETH_HLEN + IPV6_HLEN + 128];
    struct pbuf p;
    if (len > 128)
        return; /* our ND messages are small: a bug if not */
    pbuf_init(&p, buf, sizeof buf, PBUF_VNET_HLEN + ETH_HLEN + IPV6_HLEN);
    if (pbuf_append_copy(&p, msg, len) != 0)
        return;
    uint8_t *hdr = pbuf_prepend(&p, IPV6_HLEN);
    if (hdr == NULL)
        return;
    struct ipv6_emit_args a = {
        .next_header = IPV6_NH_ICMPV6,
        .hop_limit = ND_HOP_LIMIT, /* RFC 4861 7.1: 255 proves on-link */
        .payload_len = (uint16_t)len,
    };
    memcpy(a.src, src, 16);
    memcpy(a.dst, dst, 16);
    ipv6_emit(hdr, &a);
    (void)eth_output(s, nif, &p, dst_mac, ETHERTYPE_IPV6);
}

bool nd_pick_source(const struct netif *nif, uint8_t out[16])
{
    const struct netif_addr6 *any = NULL;
    for (size_t i = 0; i < NETIF_MAX_ADDR6; i++) {
        const struct netif_addr6 *a = &nif->addr6[i];
        if (a->state != ADDR6_PREFERRED && a->state != ADDR6_DEPRECATED)
            continue;
        if (ipv6_addr_is_link_local(a->addr)) {
            memcpy(out, a->addr, 16);
            return true;
        }
        if (any == NULL)
            any = a;
    }
    if (any == NULL)
        return false;
    memcpy(out, any->addr, 16);
    return true;
}

/* Send an NS for target. dad: from :: without SLLA (RFC 4862 5.4.2).
 * unicast_to: the known MAC (NUD probe, RFC 4861 7.2.2), else the
 * solicited-node group. hint: the source of the packet that caused it. */
static void send_ns(struct stack *s, struct netif *nif, const uint8_t target[16], bool dad,
                    const struct eth_addr *unicast_to, const uint8_t *hint)
{
    uint8_t msg[ND_NS_LEN + ND_OPT_LLADDR_LEN];
    uint8_t src[16] = {0}, dst[16];
    size_t opts = 0;

    if (!dad) {
        /* RFC 4861 7.2.2: the prompting packet's source if it is ours. */
        const struct netif_addr6 *h = hint != NULL ? addrconf_find(nif, hint) : NULL;
        if (h != NULL && (h->state == ADDR6_PREFERRED || h->state == ADDR6_DEPRECATED))
            memcpy(src, hint, 16);
        else if (!nd_pick_source(nif, src))
            return; /* no usable address yet: nothing may be sent */
        opts = nd_opt_emit_lladdr(msg + ND_NS_LEN, ND_OPT_SLLA, &nif->mac);
    }
    struct eth_addr mac;
    if (unicast_to != NULL) {
        memcpy(dst, target, 16);
        mac = *unicast_to;
    } else {
        ipv6_solicited_node(target, dst);
        ipv6_multicast_mac(dst, &mac);
    }
    struct ip_addr as = ipv6_addr_tag(src), ad = ipv6_addr_tag(dst);
    size_t len = nd_emit_ns(msg, target, opts, &as, &ad);
    nd_send_icmp(s, nif, src, dst, &mac, msg, len);
    ctr_inc(s, dad ? CTR_ND_TX_DAD_NS : CTR_ND_TX_NS);
}

void nd_dad_send(struct stack *s, struct netif *nif, const uint8_t target[16])
{
    send_ns(s, nif, target, true, NULL, NULL);
}

/* Send the packets that waited for e, in order. */
static void pending_flush(struct stack *s, struct netif *nif, struct nd_entry *e)
{
    pending_queue_flush(s, nif, &e->pend, &s->nd->n_pending, &e->mac, ETHERTYPE_IPV6,
                        CTR_ND_PENDING_DROPPED);
}

static void set_lladdr(struct stack *s, struct netif *nif, struct nd_entry *e,
                       const struct eth_addr *mac, enum nd_state st, uint64_t now)
{
    bool was_incomplete = e->state == ND_INCOMPLETE;
    e->mac = *mac;
    e->state = st;
    e->updated = now;
    e->probes = 0;
    e->timer = 0;
    if (was_incomplete)
        pending_flush(s, nif, e);
}

void nd_learn_lladdr(struct stack *s, struct netif *nif, const uint8_t ip[16],
                     const struct eth_addr *mac, bool is_router, uint64_t now)
{
    /* RFC 4861 7.2.3 / 6.3.4: create STALE, or STALE if the address
     * changed; an unchanged address leaves the state alone. */
    struct nd_entry *e = nd_lookup(s, nif->index, ip);
    if (e == NULL) {
        e = nd_alloc(s, nif->index, ip, now);
        if (e == NULL)
            return;
        set_lladdr(s, nif, e, mac, ND_STALE, now);
    } else if (e->state == ND_INCOMPLETE || !eth_addr_eq(&e->mac, mac)) {
        set_lladdr(s, nif, e, mac, ND_STALE, now);
    }
    if (is_router)
        e->is_router = true;
}

void nd_router_gone(struct stack *s, const struct netif *nif, const uint8_t ip[16])
{
    for (size_t i = 0; i < ND_MAX_ROUTERS; i++) {
        struct nd_router *r = &s->nd->routers[i];
        if (r->in_use && r->ifindex == nif->index && memcmp(r->addr, ip, 16) == 0)
            memset(r, 0, sizeof *r);
    }
}

static bool addr_usable(const struct netif_addr6 *a)
{
    return a != NULL && (a->state == ADDR6_PREFERRED || a->state == ADDR6_DEPRECATED);
}

/* Answer an NS for one of our addresses (RFC 4861 7.2.4). */
static void send_na(struct stack *s, struct netif *nif, const uint8_t target[16],
                    const uint8_t ns_src[16], const struct eth_addr *ns_slla)
{
    uint8_t msg[ND_NA_LEN + ND_OPT_LLADDR_LEN];
    uint8_t dst[16];
    struct eth_addr mac;
    uint32_t flags = ND_NA_FLAG_OVERRIDE;

    if (ipv6_addr_is_unspecified(ns_src)) {
        /* To all-nodes, S clear: the asker has no address yet. */
        static const uint8_t all_nodes[16] = {0xff, 0x02, [15] = 1};
        memcpy(dst, all_nodes, 16);
        ipv6_multicast_mac(dst, &mac);
    } else {
        memcpy(dst, ns_src, 16);
        flags |= ND_NA_FLAG_SOLICITED;
        if (ns_slla != NULL) {
            mac = *ns_slla;
        } else {
            struct nd_entry *e = nd_lookup(s, nif->index, ns_src);
            if (e == NULL || e->state == ND_INCOMPLETE) {
                /* RFC 4861 7.2.4 allows resolving first; we skip it (Linux
                 * does the same for an NS without SLLA it cannot place). */
                ctr_inc(s, CTR_ND_RX_DROP_INVALID);
                return;
            }
            mac = e->mac;
        }
    }
    size_t opts = nd_opt_emit_lladdr(msg + ND_NA_LEN, ND_OPT_TLLA, &nif->mac);
    struct ip_addr as = ipv6_addr_tag(target), ad = ipv6_addr_tag(dst);
    size_t len = nd_emit_na(msg, flags, target, opts, &as, &ad);
    nd_send_icmp(s, nif, target, dst, &mac, msg, len);
    ctr_inc(s, CTR_ND_TX_NA);
}

static void ns_input(struct stack *s, struct netif *nif, const struct ipv6_view *ip,
                     const struct icmp6_view *m, uint64_t now)
{
    struct nd_ns ns;
    if (nd_parse_ns(m, &ns) != WIRE_OK || !nd_opts_valid(ns.options, ns.options_len)) {
        ctr_inc(s, CTR_ND_RX_DROP_INVALID);
        return;
    }
    ctr_inc(s, CTR_ND_RX_NS);
    struct nd_opt opt;
    struct eth_addr slla;
    bool have_slla = nd_opt_find(ns.options, ns.options_len, ND_OPT_SLLA, &opt) &&
                     nd_opt_lladdr(&opt, &slla) == WIRE_OK;
    bool from_unspec = ipv6_addr_is_unspecified(ip->src);

    struct netif_addr6 *a = addrconf_find(nif, ns.target);
    if (a != NULL && a->state == ADDR6_TENTATIVE) {
        /* RFC 4862 5.4.3: an NS from :: for a tentative address is another
         * node doing DAD for it; from a unicast source it is resolution by
         * someone who should not know it yet: ignore. */
        if (from_unspec)
            addrconf_dad_failed(s, nif, a, now);
        return;
    }
    if (!addr_usable(a)) {
        ctr_inc(s, CTR_ND_RX_NOT_FOR_US);
        return;
    }
    if (!from_unspec && have_slla)
        nd_learn_lladdr(s, nif, ip->src, &slla, false, now);
    send_na(s, nif, ns.target, ip->src, have_slla ? &slla : NULL);
}

static void na_input(struct stack *s, struct netif *nif, const struct ipv6_view *ip,
                     const struct icmp6_view *m, uint64_t now)
{
    struct nd_na na;
    (void)ip;
    if (nd_parse_na(m, &na) != WIRE_OK || !nd_opts_valid(na.options, na.options_len)) {
        ctr_inc(s, CTR_ND_RX_DROP_INVALID);
        return;
    }
    ctr_inc(s, CTR_ND_RX_NA);
    struct netif_addr6 *a = addrconf_find(nif, na.target);
    if (a != NULL) {
        if (a->state == ADDR6_TENTATIVE) {
            addrconf_dad_failed(s, nif, a, now); /* RFC 4862 5.4.4 */
        } else if (addr_usable(a)) {
            char txt[IP_ADDR_STRLEN];
            ctr_inc(s, CTR_ND_ADDR_CONFLICTS);
            stack_log(s, STACK_LOG_WARN, "nd: %s: another node claims %s", nif->name,
                      ip6_addr_format(na.target, txt, sizeof txt));
        }
        return;
    }
    struct nd_entry *e = nd_lookup(s, nif->index, na.target);
    if (e == NULL)
        return; /* RFC 4861 7.2.5: no entry, silently discard */
    struct nd_opt opt;
    struct eth_addr tlla;
    bool have_tlla = nd_opt_find(na.options, na.options_len, ND_OPT_TLLA, &opt) &&
                     nd_opt_lladdr(&opt, &tlla) == WIRE_OK;

    if (e->state == ND_INCOMPLETE) {
        if (!have_tlla)
            return;
        set_lladdr(s, nif, e, &tlla, na.solicited ? ND_REACHABLE : ND_STALE, now);
        e->is_router = na.router;
        return;
    }
    bool same = !have_tlla || eth_addr_eq(&tlla, &e->mac);
    if (!na.override && !same) {
        /* RFC 4861 7.2.5: keep the cached address; REACHABLE -> STALE. */
        if (e->state == ND_REACHABLE)
            e->state = ND_STALE;
        return;
    }
    if (have_tlla && !same) {
        e->mac = tlla;
        e->state = ND_STALE;
        e->updated = now;
    }
    if (na.solicited) {
        e->state = ND_REACHABLE;
        e->updated = now;
        e->probes = 0;
        e->timer = 0;
    }
    if (e->is_router && !na.router)
        nd_router_gone(s, nif, na.target);
    e->is_router = na.router;
}

void nd_input(struct stack *s, struct netif *nif, const struct ipv6_view *ip,
              const struct icmp6_view *m, uint64_t now)
{
    if (s->nd == NULL || !nif->ipv6)
        return;
    switch (m->type) {
    case ICMP6_ND_NS:
        ns_input(s, nif, ip, m, now);
        break;
    case ICMP6_ND_NA:
        na_input(s, nif, ip, m, now);
        break;
    case ICMP6_ND_RA:
        ctr_inc(s, CTR_ND_RX_RA);
        addrconf_ra_input(s, nif, ip, m, now);
        break;
    case ICMP6_ND_RS:
        ctr_inc(s, CTR_ND_RX_IGNORED); /* we are not a router (RFC 4861 6.2.6) */
        break;
    default:
        /* Redirect (RFC 4861 8.3): hosts may ignore it; we do. */
        ctr_inc(s, CTR_ND_RX_IGNORED);
        break;
    }
}

int nd_output(struct stack *s, struct netif *nif, const uint8_t next_hop[16], struct pbuf *p,
              uint64_t now)
{
    struct nd_entry *e = nd_lookup(s, nif->index, next_hop);
    const uint8_t *hint = p->len >= IPV6_HLEN ? pbuf_data(p) + 8 : NULL;

    if (e != NULL && e->state != ND_INCOMPLETE) {
        e->used = now;
        if (e->state == ND_REACHABLE &&
            now >= nd_add_sat(e->updated, s->nd->reachable_ns))
            e->state = ND_STALE;
        if (e->state == ND_STALE) {
            /* RFC 4861 7.3.3: first use of a STALE entry starts DELAY. */
            e->state = ND_DELAY;
            e->timer = nd_add_sat(now, ND_DELAY_FIRST_PROBE_NS);
            e->probes = 0;
        }
        return eth_output(s, nif, p, &e->mac, ETHERTYPE_IPV6);
    }
    if (e == NULL) {
        e = nd_alloc(s, nif->index, next_hop, now);
        if (e == NULL) {
            ctr_inc(s, CTR_ND_PENDING_DROPPED);
            return 0;
        }
        e->state = ND_INCOMPLETE;
        e->probes = 1;
        e->timer = nd_add_sat(now, s->nd->retrans_ns);
        send_ns(s, nif, next_hop, false, NULL, hint);
    }
    uint32_t evicted;
    int pushed = pending_queue_push(&e->pend, &s->nd->n_pending, s->cfg.arp_pending_max,
                                    s->cfg.arp_pending_per_entry, p, &evicted);
    ctr_add(s, CTR_ND_PENDING_DROPPED, evicted);
    if (pushed != 0) {
        ctr_inc(s, CTR_ND_PENDING_DROPPED);
        return 0;
    }
    ctr_inc(s, CTR_ND_PENDING_QUEUED);
    return 0;
}

/* Tell the transport that sent pkt (one of ours, header first) that it
 * cannot be delivered, as ARP does for IPv4. */
static void packet_unreachable(struct stack *s, const uint8_t *pkt, size_t len)
{
    struct ipv6_view ip;
    struct ipv6_chain c;
    if (ipv6_parse(pkt, len, &ip) != WIRE_OK || ipv6_walk(&ip, &c) != WIRE_OK ||
        c.upper_len < 8)
        return;
    struct ip_addr src = ipv6_addr_tag(ip.src), dst = ipv6_addr_tag(ip.dst);
    uint16_t sport = (uint16_t)(c.upper[0] << 8 | c.upper[1]);
    uint16_t dport = (uint16_t)(c.upper[2] << 8 | c.upper[3]);
    if (c.proto == IPV6_NH_TCP)
        tcp_error(s, &src, &dst, sport, dport, EHOSTUNREACH, c.upper, c.upper_len, true);
    else if (c.proto == IPV6_NH_UDP)
        udp_error(s, &src, &dst, sport, dport, EHOSTUNREACH);
}

/* RFC 4861 7.3.3: resolution failed: the queued packets are dropped and
 * their senders told (Linux: EHOSTUNREACH, as for ICMPv6 Address
 * Unreachable). The entry goes first: a sender may send again at once. */
static void resolve_failed(struct stack *s, struct nd_entry *e)
{
    char txt[IP_ADDR_STRLEN];
    stack_log(s, STACK_LOG_DEBUG, "nd: %s: no answer from %s", s->netifs[e->ifindex].name,
              ip6_addr_format(e->ip, txt, sizeof txt));
    ctr_inc(s, CTR_ND_RESOLVE_FAILED);
    struct pending_pkt *p = pending_queue_take(&e->pend, &s->nd->n_pending);
    memset(e, 0, sizeof *e);
    pending_list_fail(s, p, CTR_ND_PENDING_DROPPED, packet_unreachable);
}

void nd_poll(struct stack *s, uint64_t now)
{
    if (s->nd == NULL)
        return;
    for (uint32_t i = 0; i < s->nd->size; i++) {
        struct nd_entry *e = &s->nd->entries[i];
        if (e->state == ND_FREE)
            continue;
        struct netif *nif = &s->netifs[e->ifindex];
        switch (e->state) {
        case ND_INCOMPLETE:
            if (now < e->timer)
                break;
            if (e->probes < ND_MAX_MULTICAST_SOLICIT) {
                e->probes++;
                e->timer = nd_add_sat(now, s->nd->retrans_ns);
                send_ns(s, nif, e->ip, false, NULL, NULL);
            } else {
                resolve_failed(s, e);
            }
            break;
        case ND_REACHABLE:
            if (now >= nd_add_sat(e->updated, s->nd->reachable_ns))
                e->state = ND_STALE;
            break;
        case ND_DELAY:
            if (now < e->timer)
                break;
            /* RFC 4861 7.3.3: no confirmation: PROBE with unicast NS. */
            e->state = ND_PROBE;
            e->probes = 1;
            e->timer = nd_add_sat(now, s->nd->retrans_ns);
            send_ns(s, nif, e->ip, false, &e->mac, NULL);
            break;
        case ND_PROBE:
            if (now < e->timer)
                break;
            if (e->probes < ND_MAX_UNICAST_SOLICIT) {
                e->probes++;
                e->timer = nd_add_sat(now, s->nd->retrans_ns);
                send_ns(s, nif, e->ip, false, &e->mac, NULL);
            } else {
                resolve_failed(s, e);
            }
            break;
        case ND_STALE: {
            uint64_t last = e->used > e->updated ? e->used : e->updated;
            if (now >= nd_add_sat(last, ND_GC_STALE_NS))
                entry_clear(s, e);
            break;
        }
        default:
            break;
        }
    }
    addrconf_poll(s, now);
}

uint64_t nd_next_deadline(const struct stack *s)
{
    if (s->nd == NULL)
        return STACK_NO_DEADLINE;
    uint64_t next = addrconf_next_deadline(s);
    for (uint32_t i = 0; i < s->nd->size; i++) {
        const struct nd_entry *e = &s->nd->entries[i];
        uint64_t t;
        switch (e->state) {
        case ND_INCOMPLETE:
        case ND_DELAY:
        case ND_PROBE:
            t = e->timer;
            break;
        case ND_REACHABLE:
            t = nd_add_sat(e->updated, s->nd->reachable_ns);
            break;
        case ND_STALE:
            t = nd_add_sat(e->used > e->updated ? e->used : e->updated, ND_GC_STALE_NS);
            break;
        default:
            continue;
        }
        if (t < next)
            next = t;
    }
    return next;
}

/* The NUD state as tools name it (RFC 4861 7.3.2, as `ip -6 neigh`). */
static enum neigh_state nd_state_public(enum nd_state st)
{
    switch (st) {
    case ND_INCOMPLETE:
        return NEIGH_INCOMPLETE;
    case ND_REACHABLE:
        return NEIGH_REACHABLE;
    case ND_DELAY:
        return NEIGH_DELAY;
    case ND_PROBE:
        return NEIGH_PROBE;
    case ND_STALE:
    case ND_FREE:
        break;
    }
    return NEIGH_STALE;
}

size_t nd_neigh_list(const struct stack *s, struct neigh_info *out, size_t max)
{
    size_t n = 0;
    if (s->nd == NULL)
        return 0;
    for (uint32_t i = 0; i < s->nd->size; i++) {
        const struct nd_entry *e = &s->nd->entries[i];
        if (e->state == ND_FREE)
            continue;
        if (out != NULL && n < max) {
            struct neigh_info *ni = &out[n];
            memset(ni, 0, sizeof *ni);
            ni->ifindex = e->ifindex;
            ni->ip = ipv6_addr_tag(e->ip);
            if (e->state != ND_INCOMPLETE)
                ni->mac = e->mac;
            ni->state = nd_state_public(e->state);
            ni->updated = e->updated;
        }
        n++;
    }
    return n;
}
