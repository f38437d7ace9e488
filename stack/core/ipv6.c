/* ipv6.c - IPv6 (RFC 8200) for a host: input validation, the extension
 * header chain, reassembly hand-off, local delivery; routing with source
 * selection (RFC 6724, simplified), output, path MTU (RFC 8201). We never
 * forward. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "stack/core/ipv6_impl.h"
#include "stack/util/siphash.h"
#include "stack/wire/eth.h"
#include "stack/wire/icmp6.h"
#include "stack/wire/ipv6.h"

struct ipv6_state {
    uint32_t frag_id;            /* next Identification of a fragment we send */
};

static const uint8_t all_nodes[16] = {0xff, 0x02, [15] = 0x01};

/* RFC 7112 5: Parameter Problem code 3, "IPv6 First Fragment has
 * incomplete IPv6 Header Chain" (not in wire/ipv6.h's ICMP6_PP_*). */
#define ICMP6_PP_INCOMPLETE_CHAIN 3

int ipv6_init(struct stack *s)
{
    s->ipv6 = calloc(1, sizeof *s->ipv6);
    if (s->ipv6 == NULL)
        return -ENOMEM;
    if (reasm6_init(s) != 0) {
        free(s->ipv6);
        s->ipv6 = NULL;
        return -ENOMEM;
    }
    /* RFC 7739 5: Identification values should not be predictable; start
     * where the key says. */
    s->ipv6->frag_id = (uint32_t)s->cfg.key[2] << 24 | (uint32_t)s->cfg.key[3] << 16 |
                       (uint32_t)s->cfg.key[4] << 8 | s->cfg.key[5];
    /* RFC 4443 2.4 (f): rate-limit the errors we send. */
    token_bucket_init(&s->icmp6_bucket, s->cfg.icmp_rate_per_sec, s->cfg.icmp_burst);
    return 0;
}

void ipv6_free(struct stack *s)
{
    reasm6_free(s);
    free(s->ipv6);
    s->ipv6 = NULL;
}

void ipv6_poll(struct stack *s, uint64_t now)
{
    reasm6_poll(s, now);
}

uint64_t ipv6_next_deadline(const struct stack *s)
{
    return reasm6_next_deadline(s); /* path MTU expiry: core/pmtu.c */
}

/* ---- addresses ---- */

static bool addr6_usable(const struct netif_addr6 *a)
{
    /* RFC 4862 5.4: a tentative address is not ours yet. */
    return a->state == ADDR6_PREFERRED || a->state == ADDR6_DEPRECATED;
}

struct netif *netif_by_ip6(struct stack *s, const uint8_t addr[16])
{
    if (ipv6_addr_is_loopback(addr))
        return &s->lo; /* RFC 4291 2.5.3: ::1 is lo's */
    for (int i = 0; i < s->n_netifs; i++) {
        struct netif *nif = &s->netifs[i];
        if (!nif->up || !nif->ipv6)
            continue;
        for (size_t k = 0; k < NETIF_MAX_ADDR6; k++) {
            if (addr6_usable(&nif->addr6[k]) && memcmp(nif->addr6[k].addr, addr, 16) == 0)
                return nif;
        }
    }
    return NULL;
}

bool netif_joined6(const struct netif *nif, const uint8_t group[16])
{
    if (!nif->ipv6)
        return false;
    /* RFC 4291 2.8: every node listens to the link-local all-nodes group. */
    if (memcmp(group, all_nodes, 16) == 0)
        return true;
    if (!ipv6_addr_is_solicited_node(group))
        return false;
    for (size_t k = 0; k < NETIF_MAX_ADDR6; k++) {
        const struct netif_addr6 *a = &nif->addr6[k];
        /* RFC 4862 5.4.2: joined while tentative too, so DAD hears NS. */
        if (a->state == ADDR6_UNUSED || a->state == ADDR6_DUPLICATE)
            continue;
        uint8_t sn[16];
        ipv6_solicited_node(a->addr, sn);
        if (memcmp(sn, group, 16) == 0)
            return true;
    }
    return false;
}

/* ---- path MTU (RFC 8201; the cache is core/pmtu.c) ---- */

uint32_t ipv6_path_mtu(struct stack *s, const struct netif *nif, const uint8_t dst[16])
{
    struct ip_addr d = ipv6_addr_tag(dst);
    return ip_path_mtu(s, nif, &d);
}

void ipv6_pmtu_update(struct stack *s, const uint8_t dst[16], uint32_t mtu, uint64_t now)
{
    struct ip_addr d = ipv6_addr_tag(dst);
    (void)ip_pmtu_update(s, &d, mtu, now);
}

/* ---- input ---- */

static void count_parse_error(struct stack *s, int err)
{
    switch (err) {
    case WIRE_EVERSION:
        ctr_inc(s, CTR_IPV6_RX_DROP_BAD_VERSION);
        break;
    case WIRE_EBADLEN:
        ctr_inc(s, CTR_IPV6_RX_DROP_BAD_LENGTH);
        break;
    case WIRE_EUNSUPP:
        ctr_inc(s, CTR_IPV6_RX_DROP_JUMBO);
        break;
    default:
        ctr_inc(s, CTR_IPV6_RX_DROP_TRUNCATED);
        break;
    }
}

/* Hand the upper layer of a complete (unfragmented or reassembled)
 * packet to its protocol. */
static void deliver(struct stack *s, struct netif *nif, const uint8_t *pkt,
                    const struct ipv6_view *ip, const struct ipv6_chain *c,
                    bool to_multicast, uint64_t now)
{
    struct ip_rx rx = {
        .nif = nif,
        .src = ipv6_addr_tag(ip->src),
        .dst = ipv6_addr_tag(ip->dst),
        .payload = c->upper,
        .len = c->upper_len,
        .to_broadcast = to_multicast,
        .v4 = NULL,
        .pkt = pkt,
    };
    switch (c->proto) {
    case IPV6_NH_ICMPV6:
        ctr_inc(s, CTR_IPV6_RX_DELIVERED);
        icmp6_input(s, nif, ip, c->upper, c->upper_len, now);
        break;
    case IPV6_NH_UDP:
        ctr_inc(s, CTR_IPV6_RX_DELIVERED);
        udp_input(s, &rx, now);
        break;
    case IPV6_NH_TCP:
        ctr_inc(s, CTR_IPV6_RX_DELIVERED);
        tcp_input(s, &rx, now);
        break;
    case IPV6_NH_NONE:
        /* RFC 8200 4.7: nothing follows; the packet is done. */
        ctr_inc(s, CTR_IPV6_RX_NO_NEXT_HEADER);
        break;
    default:
        /* RFC 8200 4: an unrecognized Next Header is Parameter Problem
         * code 1 pointing at the field that named it. */
        ctr_inc(s, CTR_IPV6_RX_DROP_UNKNOWN_PROTO);
        icmp6_send_error(s, nif, pkt, IPV6_HLEN + ip->payload_len, ICMP6_PARAM_PROBLEM,
                         ICMP6_PP_NEXT_HEADER, (uint32_t)c->proto_ptr, to_multicast, now);
        break;
    }
}

/* Parse and walk pkt; deliver it, or start/continue reassembly. nested:
 * pkt is itself the result of reassembly (one level only). */
static void input_packet(struct stack *s, struct netif *nif, const uint8_t *pkt, size_t len,
                         bool link_multicast, bool nested, uint64_t now)
{
    struct ipv6_view ip;
    int err = ipv6_parse(pkt, len, &ip);
    if (err != WIRE_OK) {
        count_parse_error(s, err);
        return;
    }
    size_t pkt_len = IPV6_HLEN + ip.payload_len; /* without link padding */
    bool to_multicast = ipv6_addr_is_multicast(ip.dst) || link_multicast;

    struct ipv6_chain c;
    if (ipv6_walk(&ip, &c) != WIRE_OK) {
        ctr_inc(s, CTR_IPV6_RX_DROP_BAD_EXT);
        /* RFC 4443 2.4 (e.3/e.4): the walk says whether the destination
         * allows an error; icmp6_send_error applies the other rules. */
        bool any_dst = c.action == IPV6_ACT_PARAM_PROBLEM_ANY_DST;
        if (ipv6_walk_wants_icmp(&c, &ip) && (any_dst || !link_multicast))
            icmp6_send_error(s, nif, pkt, pkt_len, ICMP6_PARAM_PROBLEM, c.pp_code,
                             c.pp_pointer, link_multicast, now);
        return;
    }
    if (!c.has_frag) {
        deliver(s, nif, pkt, &ip, &c, to_multicast, now);
        return;
    }
    if (nested) {
        /* A fragment header inside a reassembled datagram. */
        ctr_inc(s, CTR_IPV6_REASM_DROP_BAD);
        return;
    }
    size_t whole_len = 0;
    uint8_t *whole;
    if (c.frag_offset == 0 && !c.frag_more) {
        /* RFC 6946 4: an atomic fragment is processed on its own, never
         * mixed with a reassembly queue. */
        ctr_inc(s, CTR_IPV6_RX_ATOMIC_FRAGS);
        whole = reasm6_unfragment(pkt, pkt_len, &c, &whole_len);
        if (whole == NULL)
            ctr_inc(s, CTR_IPV6_REASM_DROP_MEMORY);
    } else {
        /* RFC 7112 5 (RFC 8200 4.5): a first fragment must hold the whole
         * header chain up to the upper-layer header; else it is dropped
         * with Parameter Problem code 3. */
        struct ipv6_chain rest;
        if (c.frag_offset == 0 &&
            ipv6_walk_quote(c.upper, c.upper_len, c.proto, &rest) != WIRE_OK) {
            ctr_inc(s, CTR_IPV6_REASM_DROP_BAD);
            if (!to_multicast)
                icmp6_send_error(s, nif, pkt, pkt_len, ICMP6_PARAM_PROBLEM,
                                 ICMP6_PP_INCOMPLETE_CHAIN, 0, link_multicast, now);
            return;
        }
        whole = reasm6_input(s, nif, pkt, pkt_len, &ip, &c, now, &whole_len);
    }
    if (whole == NULL)
        return;
    /* A device's checksum verdict was about the last fragment, not the
     * packet: the transport checks it again (as ipv4.c does). */
    unsigned flags = s->rx_flags;
    s->rx_flags = 0;
    input_packet(s, nif, whole, whole_len, link_multicast, true, now);
    s->rx_flags = flags;
    free(whole);
}

void ipv6_input(struct stack *s, struct netif *nif, const uint8_t *buf, size_t len,
                bool link_multicast, uint64_t now)
{
    ctr_inc(s, CTR_IPV6_RX);
    if (!nif->ipv6) {
        ctr_inc(s, CTR_IPV6_RX_DROP_NOT_FOR_US);
        return;
    }
    struct ipv6_view ip;
    int err = ipv6_parse(buf, len, &ip);
    if (err != WIRE_OK) {
        count_parse_error(s, err);
        return;
    }
    /* RFC 4291 2.7: a multicast address is never a source; nor is the
     * loopback address on a link (RFC 4291 2.5.3). */
    if (ipv6_addr_is_multicast(ip.src) || (ipv6_addr_is_loopback(ip.src) && !nif->loopback)) {
        ctr_inc(s, CTR_IPV6_RX_DROP_BAD_SRC);
        return;
    }
    if (ipv6_addr_is_loopback(ip.dst) && !nif->loopback) {
        ctr_inc(s, CTR_IPV6_RX_DROP_MARTIAN);
        return;
    }
    /* A host keeps what is addressed to one of its usable addresses (the
     * weak host model, as Linux) or to a group the interface joined. A
     * tentative address receives nothing but ND (RFC 4862 5.4), which
     * comes to the solicited-node group. */
    bool ours;
    if (ipv6_addr_is_multicast(ip.dst))
        ours = netif_joined6(nif, ip.dst);
    else
        ours = netif_by_ip6(s, ip.dst) != NULL;
    if (!ours) {
        ctr_inc(s, CTR_IPV6_RX_DROP_NOT_FOR_US);
        return;
    }
    /* The Hop Limit is not checked here: a host may receive 0 (only
     * forwarding decrements it, RFC 8200 3); ND and MLD demand 255 and 1
     * on their own (core/icmp6.c). */
    input_packet(s, nif, buf, len, link_multicast, false, now);
}

/* ---- routing ---- */

/* Length of the common prefix of a and b, in bits (RFC 6724 2.2). */
static unsigned common_prefix_len(const uint8_t a[16], const uint8_t b[16])
{
    unsigned n = 0;
    for (size_t i = 0; i < 16; i++) {
        uint8_t x = a[i] ^ b[i];
        if (x == 0) {
            n += 8;
            continue;
        }
        while ((x & 0x80) == 0) {
            n++;
            x = (uint8_t)(x << 1);
        }
        break;
    }
    return n;
}

/* 2 = link-local, 14 = global, as RFC 4291 2.7 scope values. */
static unsigned addr_scope(const uint8_t a[16])
{
    if (ipv6_addr_is_multicast(a))
        return ipv6_addr_mcast_scope(a);
    return ipv6_addr_is_link_local(a) ? 2 : 14;
}

/* RFC 6724 5, rules 2, 3 and 8: is candidate a better source than best
 * for dst? */
static bool better_source(const struct netif_addr6 *a, const struct netif_addr6 *best,
                          const uint8_t dst[16])
{
    if (best == NULL)
        return true;
    unsigned sa = addr_scope(a->addr), sb = addr_scope(best->addr), sd = addr_scope(dst);
    /* Rule 2: prefer the appropriate scope. */
    if (sa != sb) {
        if (sa < sb)
            return sa >= sd;
        return sb < sd;
    }
    /* Rule 3: avoid deprecated addresses. */
    bool da = a->state == ADDR6_DEPRECATED, db = best->state == ADDR6_DEPRECATED;
    if (da != db)
        return db;
    /* Rule 8: longest matching prefix. */
    return common_prefix_len(a->addr, dst) > common_prefix_len(best->addr, dst);
}

static const struct netif_addr6 *select_source(const struct netif *nif, const uint8_t dst[16])
{
    const struct netif_addr6 *best = NULL;
    for (size_t k = 0; k < NETIF_MAX_ADDR6; k++) {
        const struct netif_addr6 *a = &nif->addr6[k];
        if (addr6_usable(a) && better_source(a, best, dst))
            best = a;
    }
    return best;
}

static int no_route(struct stack *s)
{
    ctr_inc(s, CTR_IPV6_TX_DROP_NO_ROUTE);
    return -ENETUNREACH;
}

/* Is there an RA default router on any interface? */
static bool any_default_router(struct stack *s)
{
    uint8_t r[16];
    for (int i = 0; i < s->n_netifs; i++)
        if (s->netifs[i].up && s->netifs[i].ipv6 && nd_default_router(s, &s->netifs[i], r))
            return true;
    return false;
}

static struct netif *first_ipv6_netif(struct stack *s)
{
    for (int i = 0; i < s->n_netifs; i++) {
        if (s->netifs[i].up && s->netifs[i].ipv6)
            return &s->netifs[i];
    }
    return NULL;
}

int ipv6_route(struct stack *s, const uint8_t dst[16], const uint8_t *src_hint,
               struct ip_route *rt)
{
    memset(rt, 0, sizeof rt[0]);
    bool hinted = src_hint != NULL && !ipv6_addr_is_unspecified(src_hint);
    struct netif *pref = NULL;
    if (hinted) {
        pref = netif_by_ip6(s, src_hint);
        if (pref == NULL) {
            ctr_inc(s, CTR_IPV6_TX_DROP_NO_SRC);
            return -EADDRNOTAVAIL;
        }
    }
    /* ::, and v4-mapped (those go out as IPv4, a transport's business),
     * are unreachable. */
    if (ipv6_addr_is_unspecified(dst) || ipv6_addr_is_v4_mapped(dst))
        return no_route(s);
    /* ::1 and our own addresses: through lo, as Linux's local table (the
     * source is the destination itself). */
    if (netif_by_ip6(s, dst) != NULL) {
        rt->nif = &s->lo;
        rt->next_hop = ipv6_addr_tag(dst);
        rt->src = ipv6_addr_tag(hinted ? src_hint : dst);
        return 0;
    }
    /* RFC 4291 2.5.3: ::1 never goes on a link. */
    if (pref != NULL && pref->loopback)
        return no_route(s);

    struct netif *nif = NULL;
    uint8_t next_hop[16];
    memcpy(next_hop, dst, 16);
    if (ipv6_addr_is_multicast(dst) || ipv6_addr_is_link_local(dst)) {
        /* Without zone ids (RFC 4007), link scope means the bound
         * address's interface, else the first IPv6 one. */
        if (ipv6_addr_is_multicast(dst) && ipv6_addr_mcast_scope(dst) <= 1)
            return no_route(s); /* interface-local never leaves the node */
        nif = pref != NULL ? pref : first_ipv6_netif(s);
    } else {
        /* A static route longer than every on-link prefix wins (the
         * prefixes of our addresses and RAs count as Linux's metric 256;
         * a route of the same length does not beat them). */
        struct ip_addr dst_a = ipv6_addr_tag(dst), hop;
        struct netif *via = NULL;
        const struct stack_route *r = route_lookup(s, &dst_a, pref, &via, &hop);
        unsigned on_link_len = 0;
        bool on_link = false;
        for (int i = 0; i < s->n_netifs; i++) {
            struct netif *n = &s->netifs[i];
            unsigned len;
            if (n->up && n->ipv6 && nd_on_link_len(s, n, dst, &len) &&
                (!on_link || len > on_link_len || (len == on_link_len && n == pref))) {
                on_link = true;
                on_link_len = len;
                nif = n;
            }
        }
        if (r != NULL && (!on_link || r->prefix_len > on_link_len) &&
            (r->prefix_len > 0 || r->metric <= ND_DEFAULT_ROUTER_METRIC || !any_default_router(s))) {
            nif = via;
            memcpy(next_hop, hop.u.v6, 16);
        }
        if (nif == NULL) {
            /* RFC 4861 5.2: off-link goes to a default router. */
            if (pref != NULL && nd_default_router(s, pref, next_hop))
                nif = pref;
            for (int i = 0; nif == NULL && i < s->n_netifs; i++) {
                struct netif *n = &s->netifs[i];
                if (n->up && n->ipv6 && nd_default_router(s, n, next_hop))
                    nif = n;
            }
        }
    }
    if (nif == NULL)
        return no_route(s);
    rt->nif = nif;
    rt->next_hop = ipv6_addr_tag(next_hop);
    if (hinted) {
        rt->src = ipv6_addr_tag(src_hint);
        return 0;
    }
    const struct netif_addr6 *a = select_source(nif, dst);
    if (a != NULL) {
        rt->src = ipv6_addr_tag(a->addr);
    } else if (ipv6_addr_is_multicast(dst)) {
        /* RFC 4861 6.3.7, RFC 3810 5.2.13: before any address is usable,
         * RS and MLD reports go out from ::. */
        static const uint8_t unspecified[16];
        rt->src = ipv6_addr_tag(unspecified);
    } else {
        ctr_inc(s, CTR_IPV6_TX_DROP_NO_SRC);
        return -EADDRNOTAVAIL;
    }
    return 0;
}

/* ---- output ---- */

static uint8_t hop_limit_for(const struct netif *nif, uint8_t hop_limit)
{
    if (hop_limit != 0)
        return hop_limit;
    return nif->cur_hop_limit != 0 ? nif->cur_hop_limit : IPV6_DEFAULT_HOP_LIMIT;
}

/* The IPv6 packet in p (header first) to the link. */
static int send_packet(struct stack *s, const struct ip_route *rt, struct pbuf *p,
                       const uint8_t dst[16], uint64_t now)
{
    ctr_inc(s, CTR_IPV6_TX);
    if (rt->nif->loopback)
        return loopback_output(s, p, IP_FAMILY_V6, now);
    if (ipv6_addr_is_multicast(dst)) {
        /* RFC 2464 7: 33:33 and the low 32 bits of the group. */
        struct eth_addr mac;
        ipv6_multicast_mac(dst, &mac);
        return eth_output(s, rt->nif, p, &mac, ETHERTYPE_IPV6);
    }
    return nd_output(s, rt->nif, rt->next_hop.u.v6, p, now);
}

int ipv6_output(struct stack *s, const struct ip_route *rt, struct pbuf *p,
                const uint8_t dst[16], uint8_t proto, uint8_t hop_limit, uint64_t now)
{
    struct netif *nif = rt->nif;
    if (rt->src.family != IP_FAMILY_V6) {
        ctr_inc(s, CTR_IPV6_TX_DROP_NO_SRC);
        return -EADDRNOTAVAIL;
    }
    /* No fragmenting here (RFC 8200 5: only the source does it, in
     * ipv6_output_frag for UDP and echo replies; TCP sizes its segments to
     * the path MTU). A TSO segment is cut by the device: its Payload
     * Length still fits 16 bits (RFC 8200 3, no jumbograms), and each
     * piece the device cuts (headers + gso_size) must fit the path. */
    size_t path = (size_t)ipv6_path_mtu(s, nif, dst) - IPV6_HLEN;
    size_t max = p->gso_size > 0 ? STACK_TSO_MAX_IP : path;
    if (p->len > max || (p->gso_size > 0 && (size_t)p->l4_hlen + p->gso_size > path)) {
        ctr_inc(s, CTR_IPV6_TX_DROP_TOO_BIG);
        return -EMSGSIZE;
    }
    uint8_t *hdr = pbuf_prepend(p, IPV6_HLEN);
    if (hdr == NULL)
        return -ENOBUFS; /* a caller left no headroom: a bug */
    struct ipv6_emit_args a = {
        .tclass = p->tos,
        .next_header = proto,
        .hop_limit = hop_limit_for(nif, hop_limit),
        .payload_len = (uint16_t)(p->len - IPV6_HLEN),
    };
    memcpy(a.src, rt->src.u.v6, 16);
    memcpy(a.dst, dst, 16);
    ipv6_emit(hdr, &a);
    return send_packet(s, rt, p, dst, now);
}

int ipv6_output_frag(struct stack *s, const struct ip_route *rt, struct pbuf *p,
                     const uint8_t dst[16], uint8_t proto, uint8_t hop_limit, uint64_t now)
{
    struct netif *nif = rt->nif;
    uint32_t mtu = ipv6_path_mtu(s, nif, dst);
    if (p->len <= mtu - IPV6_HLEN)
        return ipv6_output(s, rt, p, dst, proto, hop_limit, now);
    /* RFC 8200 4.5: the reassembled Payload Length, which has no
     * fragment header, must fit 16 bits (no jumbograms). */
    if (rt->src.family != IP_FAMILY_V6 || p->len > 65535) {
        ctr_inc(s, CTR_IPV6_TX_DROP_TOO_BIG);
        return -EMSGSIZE;
    }
    /* RFC 8200 4.5: every fragment but the last carries a multiple of 8
     * bytes; each fits the path MTU with its headers. */
    size_t chunk = ((mtu - IPV6_HLEN - IPV6_FRAG_HLEN) / 8) * 8;
    /* RFC 7739 5.1: an Identification that an off-path host cannot
     * guess, from a keyed hash of the destination and a counter. */
    uint8_t seed[20];
    memcpy(seed, dst, 16);
    uint32_t ctr = s->ipv6 != NULL ? s->ipv6->frag_id++ : 0;
    memcpy(seed + 16, &ctr, 4);
    uint32_t id = (uint32_t)siphash24(s->cfg.key, seed, sizeof seed);
    const uint8_t *data = pbuf_data(p);
    int rc = 0;
    for (size_t off = 0; off < p->len; off += chunk) {
        size_t n = p->len - off < chunk ? p->len - off : chunk;
        bool more = off + n < p->len;
        uint8_t buf[PBUF_FRAME_SIZE];
        struct pbuf f;
        pbuf_init(&f, buf, sizeof buf, PBUF_HEADROOM);
        if (pbuf_append_copy(&f, data + off, n) != 0)
            return -ENOBUFS;
        uint8_t *fh = pbuf_prepend(&f, IPV6_FRAG_HLEN);
        uint8_t *hdr = pbuf_prepend(&f, IPV6_HLEN);
        if (fh == NULL || hdr == NULL)
            return -ENOBUFS;
        fh[0] = proto;
        fh[1] = 0;
        wr16(fh + 2, (uint16_t)((off / 8) << 3 | (more ? 1 : 0)));
        wr32(fh + 4, id);
        struct ipv6_emit_args a = {
            .tclass = p->tos,
            .next_header = IPV6_NH_FRAGMENT,
            .hop_limit = hop_limit_for(nif, hop_limit),
            .payload_len = (uint16_t)(f.len - IPV6_HLEN),
        };
        memcpy(a.src, rt->src.u.v6, 16);
        memcpy(a.dst, dst, 16);
        ipv6_emit(hdr, &a);
        ctr_inc(s, CTR_IPV6_TX_FRAGMENTS);
        int err = send_packet(s, rt, &f, dst, now);
        if (err != 0)
            rc = err;
    }
    return rc;
}
