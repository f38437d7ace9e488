/* ipv4.c - IPv4 (RFC 791, RFC 1122 3.2/3.3) for a host: input validation,
 * reassembly hand-off (core/reasm4.c), local delivery, routing (on-link or
 * via the default gateway), output, and fragmentation of what UDP and
 * ICMP send above the MTU. We never forward. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "stack/core/stack_impl.h"
#include "stack/util/siphash.h"
#include "stack/wire/eth.h"
#include "stack/wire/icmp4.h"
#include "stack/wire/ipv4.h"

#define IP4_BROADCAST 0xffffffffu

static const struct eth_addr eth_broadcast = {{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}};

/* RFC 1122 3.2.1.3: a source that cannot be a host's own address: "this
 * network" 0/8 (we do not do DHCP), loopback 127/8, multicast 224/4 and
 * reserved 240/4 including the limited broadcast. */
static bool ip4_bad_source(uint32_t a)
{
    uint8_t first = (uint8_t)(a >> 24);
    return first == 0 || first == 127 || first >= 224;
}

static void count_parse_error(struct stack *s, int err)
{
    switch (err) {
    case WIRE_EVERSION:
        ctr_inc(s, CTR_IPV4_RX_DROP_BAD_VERSION);
        break;
    case WIRE_EBADHDR:
        ctr_inc(s, CTR_IPV4_RX_DROP_BAD_HEADER);
        break;
    case WIRE_EBADLEN:
        ctr_inc(s, CTR_IPV4_RX_DROP_BAD_LENGTH);
        break;
    case WIRE_ECSUM:
        ctr_inc(s, CTR_IPV4_RX_DROP_BAD_CSUM);
        break;
    default: /* WIRE_ETRUNC, and anything a newer parser may add */
        ctr_inc(s, CTR_IPV4_RX_DROP_TRUNCATED);
        break;
    }
}

/* Hand a whole (unfragmented or reassembled) datagram to its protocol. */
static void deliver(struct stack *s, struct netif *nif, const struct ipv4_view *ip,
                    const uint8_t *pkt, bool to_broadcast, uint64_t now)
{
    /* Options (ip->options) are skipped: only a pending source route
     * (ipv4_input) is acted on. */
    struct ip_rx rx = {
        .nif = nif,
        .src = ip_addr_v4(ip->src),
        .dst = ip_addr_v4(ip->dst),
        .payload = ip->payload,
        .len = ip->payload_len,
        .to_broadcast = to_broadcast,
        .v4 = ip,
        .pkt = pkt,
    };
    switch (ip->proto) {
    case IPPROTO_ICMP_:
        ctr_inc(s, CTR_IPV4_RX_DELIVERED);
        icmp4_input(s, ip, to_broadcast, now);
        break;
    case IPPROTO_UDP_:
        ctr_inc(s, CTR_IPV4_RX_DELIVERED);
        udp_input(s, &rx, now);
        break;
    case IPPROTO_TCP_:
        ctr_inc(s, CTR_IPV4_RX_DELIVERED);
        tcp_input(s, &rx, now);
        break;
    default:
        /* RFC 1122 3.2.2.1: protocol unreachable. */
        ctr_inc(s, CTR_IPV4_RX_DROP_UNKNOWN_PROTO);
        icmp4_send_error(s, nif, ip, pkt, to_broadcast, ICMP4_DEST_UNREACH,
                         ICMP4_PROTO_UNREACH, now);
        break;
    }
}

/* RFC 791 3.2: a fragment goes to reassembly; the datagram it completes,
 * if any, on through the normal input. */
static void fragment_input(struct stack *s, struct netif *nif, const struct ipv4_view *ip,
                           const uint8_t *buf, bool to_broadcast, uint64_t now)
{
    size_t whole_len = 0;
    uint8_t *whole = reasm4_input(s, nif, ip, buf, now, &whole_len);
    if (whole == NULL)
        return;
    struct ipv4_view w;
    if (ipv4_parse(whole, whole_len, &w) == WIRE_OK) {
        /* A device's checksum verdict was about the last fragment, not
         * the datagram: the transport checks it again. */
        unsigned flags = s->rx_flags;
        s->rx_flags = 0;
        deliver(s, nif, &w, whole, to_broadcast, now);
        s->rx_flags = flags;
    }
    free(whole);
}

void ipv4_input(struct stack *s, struct netif *nif, const uint8_t *buf, size_t len,
                bool link_multicast, uint64_t now)
{
    struct ipv4_view ip;

    ctr_inc(s, CTR_IPV4_RX);
    int err = ipv4_parse(buf, len, &ip);
    if (err != WIRE_OK) {
        count_parse_error(s, err);
        return;
    }
    /* lo carries 127/8 both ways; no link may (RFC 1122 3.2.1.3 (g)). */
    bool bad_src = nif->loopback ? (ip.src >> 24) == 0 || (ip.src >> 24) >= 224
                                 : ip4_bad_source(ip.src);
    if (bad_src || netif_is_subnet_bcast(nif, ip.src)) {
        ctr_inc(s, CTR_IPV4_RX_DROP_BAD_SRC);
        return;
    }
    if (!nif->loopback && (ip.dst >> 24) == 127) {
        ctr_inc(s, CTR_IPV4_RX_DROP_MARTIAN);
        return;
    }
    /* RFC 1122 3.2.1.7: nobody may send TTL 0; such a datagram is bogus. */
    if (ip.ttl == 0) {
        ctr_inc(s, CTR_IPV4_RX_DROP_TTL_ZERO);
        return;
    }
    /* RFC 2131: a DHCP reply may come before we have an address, to
     * the one being offered or to broadcast; the client takes it. */
    if (nif->dhcp4 != NULL && ip.proto == IPPROTO_UDP_ && !ipv4_is_fragment(&ip) &&
        ip.payload_len >= 8 && rd16(ip.payload) == 67 && rd16(ip.payload + 2) == 68) {
        dhcp4_input(s, nif, &ip, now);
        return;
    }
    bool ip_broadcast = netif_is_ip4_broadcast(nif, ip.dst);
    /* RFC 1122 3.3.4.2: the weak host model, any of our addresses will do. */
    bool ours = netif_by_ip4(s, ip.dst) != NULL;
    /* RFC 1122 3.3.6: a unicast datagram that came as a link-layer
     * broadcast is discarded. */
    if (!ip_broadcast && (!ours || link_multicast)) {
        ctr_inc(s, CTR_IPV4_RX_DROP_NOT_FOR_US);
        return;
    }
    /* RFC 1122 3.3.5: a host does not forward. A source route that still
     * names hops after us asks for exactly that; Linux drops it
     * (accept_source_route=0) rather than answer a spoofable path. Both
     * options are copied into every fragment (RFC 791 3.1). */
    if (ipv4_source_route(ip.options, ip.options_len) == IPV4_SRR_PENDING) {
        ctr_inc(s, CTR_IPV4_RX_DROP_SOURCE_ROUTE);
        return;
    }
    bool to_broadcast = ip_broadcast || link_multicast;
    if (ipv4_is_fragment(&ip)) {
        fragment_input(s, nif, &ip, buf, to_broadcast, now);
        return;
    }
    deliver(s, nif, &ip, buf, to_broadcast, now);
}

static int no_route(struct stack *s)
{
    ctr_inc(s, CTR_IPV4_TX_DROP_NO_ROUTE);
    return -ENETUNREACH;
}

/* The connected route for dst: the interface with the longest subnet
 * holding it (the bound address's interface on a tie). */
static struct netif *connected(struct stack *s, uint32_t dst, const struct netif *pref,
                               uint8_t *plen)
{
    struct netif *best = NULL;
    for (int i = 0; i < s->n_netifs; i++) {
        struct netif *n = &s->netifs[i];
        const struct netif_addr4 *a = n->up ? netif_ip4_on_link(n, dst) : NULL;
        if (a == NULL)
            continue;
        if (best == NULL || a->prefix_len > *plen || (a->prefix_len == *plen && n == pref)) {
            best = n;
            *plen = a->prefix_len;
        }
    }
    return best;
}

int ipv4_route(struct stack *s, uint32_t dst, uint32_t src_hint, struct ipv4_route *rt)
{
    struct netif *pref = netif_by_ip4(s, src_hint);
    struct netif *nif = NULL;

    memset(rt, 0, sizeof *rt);
    uint8_t first = (uint8_t)(dst >> 24);
    /* 127/8 and our own addresses: through lo, as Linux's local table
     * (the source is the destination itself, or 127.0.0.1). */
    if (first == 127 || (dst != 0 && netif_by_ip4(s, dst) != NULL)) {
        rt->nif = &s->lo;
        rt->next_hop = dst;
        rt->src = pref != NULL ? src_hint : first == 127 ? 0x7f000001u : dst;
        return 0;
    }
    /* 0/8, multicast (no group support yet), reserved 240/4. */
    if (dst != IP4_BROADCAST && (first == 0 || first >= 224))
        return no_route(s);
    /* A loopback source never goes on a link (RFC 1122 3.2.1.3 (g));
     * Linux refuses it with EINVAL. */
    if (pref != NULL && pref->loopback) {
        ctr_inc(s, CTR_IPV4_TX_DROP_NO_ROUTE);
        return -EINVAL;
    }

    if (dst == IP4_BROADCAST) {
        /* Limited broadcast: out of the bound address's interface, else the
         * first one that has an address. */
        nif = pref;
        for (int i = 0; nif == NULL && i < s->n_netifs; i++) {
            if (s->netifs[i].up && s->netifs[i].addr4[0].addr != 0)
                nif = &s->netifs[i];
        }
        if (nif == NULL)
            return no_route(s);
        rt->broadcast = true;
        rt->next_hop = dst;
    } else {
        /* Longest prefix over the subnets of our addresses (metric 0) and
         * the route table; a subnet wins a tie (RFC 1122 3.3.1.1). */
        uint8_t plen = 0;
        nif = connected(s, dst, pref, &plen);
        struct ip_addr dst_a = ip_addr_v4(dst), hop;
        struct netif *via = NULL;
        const struct stack_route *r = route_lookup(s, &dst_a, pref, &via, &hop);
        if (r != NULL && (nif == NULL || r->prefix_len > plen)) {
            nif = via;
            rt->next_hop = hop.u.v4;
        } else if (nif != NULL) {
            rt->next_hop = dst;
        } else {
            return no_route(s);
        }
        rt->broadcast = rt->next_hop == dst && netif_is_subnet_bcast(nif, dst);
    }
    rt->nif = nif;
    rt->src = pref != NULL ? src_hint : netif_ip4_source(nif, rt->next_hop);
    return 0;
}

/* The IPv4 packet in p (header first) to the link. */
static int send_packet(struct stack *s, const struct ipv4_route *rt, struct pbuf *p,
                       uint64_t now)
{
    ctr_inc(s, CTR_IPV4_TX);
    if (rt->nif->loopback)
        return loopback_output(s, p, IP_FAMILY_V4, now);
    if (rt->broadcast)
        return eth_output(s, rt->nif, p, &eth_broadcast, ETHERTYPE_IPV4);
    return arp_output(s, rt->nif, rt->next_hop, p, now);
}

int ipv4_output(struct stack *s, const struct ipv4_route *rt, struct pbuf *p,
                uint32_t dst, uint8_t proto, uint64_t now)
{
    struct netif *nif = rt->nif;

    if (rt->src == 0) {
        ctr_inc(s, CTR_IPV4_TX_DROP_NO_SRC);
        return -EADDRNOTAVAIL;
    }
    /* We set DF (RFC 1191 path MTU discovery): what does not fit is the
     * caller's (ipv4_output_frag fragments UDP and ICMP; TCP sends at most
     * an MSS). A TSO segment is cut to the MTU by the device. */
    size_t max = p->gso_size > 0 ? STACK_TSO_MAX_IP - IPV4_HLEN : (size_t)nif->mtu - IPV4_HLEN;
    if (p->len > max) {
        ctr_inc(s, CTR_IPV4_TX_DROP_TOO_BIG);
        return -EMSGSIZE;
    }
    uint8_t *hdr = pbuf_prepend(p, IPV4_HLEN);
    if (hdr == NULL)
        return -ENOBUFS; /* a caller left no headroom: a bug */
    struct ipv4_emit_args a = {
        .tos = p->tos,
        .id = s->ip_id++,
        .frag = IPV4_FLAG_DF,
        .ttl = s->cfg.ip_default_ttl,
        .proto = proto,
        .src = rt->src,
        .dst = dst,
        .payload_len = (uint16_t)(p->len - IPV4_HLEN),
    };
    ipv4_emit(hdr, &a);
    return send_packet(s, rt, p, now);
}

int ipv4_output_frag(struct stack *s, const struct ipv4_route *rt, struct pbuf *p,
                     uint32_t dst, uint8_t proto, uint64_t now)
{
    struct netif *nif = rt->nif;
    /* RFC 1191 with DF on what fits: fragments are cut to the path MTU a
     * "fragmentation needed" lowered, not only to the link's (as Linux). */
    struct ip_addr dst_a = ip_addr_v4(dst);
    uint32_t mtu = ip_path_mtu(s, nif, &dst_a);
    if (p->gso_size > 0 || p->len <= (size_t)mtu - IPV4_HLEN)
        return ipv4_output(s, rt, p, dst, proto, now);
    if (rt->src == 0) {
        ctr_inc(s, CTR_IPV4_TX_DROP_NO_SRC);
        return -EADDRNOTAVAIL;
    }
    /* RFC 791 3.1: Total Length is 16 bits; and a fragment must carry at
     * least 8 bytes (RFC 791 3.2: 68-byte minimum MTU). */
    if (p->len > 65535 - IPV4_HLEN || mtu < 68) {
        ctr_inc(s, CTR_IPV4_TX_DROP_TOO_BIG);
        return -EMSGSIZE;
    }
    /* RFC 791 3.2: every fragment but the last carries a multiple of 8
     * bytes; all carry one Identification and DF clear (we are the
     * source: the datagram may be fragmented, RFC 1122 3.3.3). */
    size_t chunk = (((size_t)mtu - IPV4_HLEN) / 8) * 8;
    /* RFC 6864 4.1 and RFC 7739 5.2 (its advice for IPv6, which holds
     * for IPv4): the Identification of a fragmented datagram must not be
     * guessable by an off-path host, who could otherwise slip a forged
     * fragment in. The counter plus a keyed hash of the destination and
     * protocol: a host that sees our IDs to itself learns nothing of
     * those to another, and IDs to one destination repeat only after
     * 65536 datagrams (RFC 4963 2). */
    uint8_t seed[5];
    memcpy(seed, &dst, 4);
    seed[4] = proto;
    uint16_t id = (uint16_t)(s->ip_id++ + (uint16_t)siphash24(s->cfg.key, seed, sizeof seed));
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
        uint8_t *hdr = pbuf_prepend(&f, IPV4_HLEN);
        if (hdr == NULL)
            return -ENOBUFS;
        struct ipv4_emit_args a = {
            .tos = p->tos,
            .id = id,
            .frag = (uint16_t)((off / 8) | (more ? IPV4_FLAG_MF : 0)),
            .ttl = s->cfg.ip_default_ttl,
            .proto = proto,
            .src = rt->src,
            .dst = dst,
            .payload_len = (uint16_t)n,
        };
        ipv4_emit(hdr, &a);
        ctr_inc(s, CTR_IPV4_TX_FRAGMENTS);
        int err = send_packet(s, rt, &f, now);
        if (err != 0)
            rc = err;
    }
    return rc;
}

void ipv4_transport_error(struct stack *s, uint8_t proto, uint32_t src, uint32_t dst,
                          uint16_t sport, uint16_t dport, int err, const uint8_t *l4,
                          size_t l4_len, bool local)
{
    struct ip_addr src_a = ip_addr_v4(src), dst_a = ip_addr_v4(dst);
    switch (proto) {
    case IPPROTO_UDP_:
        udp_error(s, &src_a, &dst_a, sport, dport, err);
        break;
    case IPPROTO_TCP_:
        tcp_error(s, &src_a, &dst_a, sport, dport, err, l4, l4_len, local);
        break;
    default:
        break;
    }
}

void ipv4_packet_error(struct stack *s, const uint8_t *pkt, size_t len, int err)
{
    /* Our own packet, but read it as carefully as any other. */
    if (len < IPV4_HLEN)
        return;
    size_t ihl = (size_t)(pkt[0] & 0x0f) * 4;
    if (ihl < IPV4_HLEN || len < ihl + 4)
        return;
    ipv4_transport_error(s, pkt[9], rd32(pkt + 12), rd32(pkt + 16), rd16(pkt + ihl),
                         rd16(pkt + ihl + 2), err, pkt + ihl, len - ihl, true);
}
