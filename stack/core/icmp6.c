/* icmp6.c - ICMPv6 for a host (RFC 4443): echo replies, the errors we send
 * (RFC 4443 2.4 rules and a rate limit), the errors we receive (to the
 * transport that sent the quoted packet; Packet Too Big to the path MTU
 * cache, RFC 8201), ND messages (checked, then to core/nd.c) and MLD
 * queries (answered with an MLDv2 report, RFC 3810). */
#include <errno.h>
#include <string.h>

#include "stack/core/ipv6_impl.h"
#include "stack/core/nd.h"
#include "stack/wire/icmp6.h"
#include "stack/wire/ipv6.h"

/* Linux icmpv6_err_convert: errno for an ICMPv6 error; 0 if none. */
static int icmp6_errno(uint8_t type, uint8_t code)
{
    switch (type) {
    case ICMP6_DEST_UNREACH:
        switch (code) {
        case ICMP6_NO_ROUTE:
            return ENETUNREACH;
        case ICMP6_ADMIN_PROHIB:
        case ICMP6_SRC_POLICY:
        case ICMP6_REJECT_ROUTE:
            return EACCES;
        case ICMP6_PORT_UNREACH:
            return ECONNREFUSED;
        default:
            return EHOSTUNREACH;
        }
    case ICMP6_PACKET_TOO_BIG:
        return EMSGSIZE;
    case ICMP6_PARAM_PROBLEM:
        return EPROTO;
    case ICMP6_TIME_EXCEEDED:
        return EHOSTUNREACH;
    default:
        return 0;
    }
}

/* ---- echo (RFC 4443 4) ---- */

static void echo_reply(struct stack *s, struct netif *nif, const struct ipv6_view *ip,
                       const struct icmp6_view *m, uint64_t now)
{
    /* RFC 4443 4.2: the reply comes from a unicast address of ours: the
     * request's destination, or, for a multicast request, one of the
     * interface's. */
    const uint8_t *hint = ipv6_addr_is_multicast(ip->dst) ? NULL : ip->dst;
    struct ip_route rt;
    if (ipv6_route(s, ip->src, hint, &rt) != 0)
        return;
    if (ipv6_addr_is_unspecified(rt.src.u.v6) || rt.nif != nif)
        return;
    /* The data goes back entire and unmodified (RFC 4443 4.2): a request
     * that came in fragments may need fragments to go back. */
    uint8_t small[PBUF_FRAME_SIZE];
    struct pbuf p;
    uint8_t *hdr = pbuf_large_init(&p, small, ICMP6_HLEN + m->body_len);
    if (hdr == NULL)
        return;
    memcpy(hdr + ICMP6_HLEN, m->body, m->body_len);
    /* Same identifier, sequence number and data. */
    struct ip_addr dst = ipv6_addr_tag(ip->src);
    icmp6_emit(hdr, ICMP6_ECHO_REPLY, 0, m->rest, m->body_len, &rt.src, &dst);
    if (ipv6_output_frag(s, &rt, &p, ip->src, IPV6_NH_ICMPV6, 0, now) == 0)
        ctr_inc(s, CTR_ICMP6_TX_ECHO_REPLIES);
    pbuf_large_free(&p, small);
}

/* ---- errors in ---- */

static void error_input(struct stack *s, const struct icmp6_view *m, uint64_t now)
{
    struct icmp6_quote q;
    if (icmp6_parse_quote(m->body, m->body_len, &q) != WIRE_OK) {
        ctr_inc(s, CTR_ICMP6_RX_DROP_BAD_QUOTE);
        return;
    }
    /* The quoted packet must be one we sent (RFC 5927 4.1, RFC 4443 2.4
     * (d) pass it to the upper layer that sent it). */
    if (netif_by_ip6(s, q.src) == NULL) {
        ctr_inc(s, CTR_ICMP6_RX_DROP_BAD_QUOTE);
        return;
    }
    if (m->type == ICMP6_PACKET_TOO_BIG) {
        /* RFC 8201 4: lower the path MTU toward the quoted destination;
         * TCP reads it back for its MSS, so no error is raised to a
         * socket (Linux treats PTB as not fatal either). */
        struct ip_addr src = ipv6_addr_tag(q.src), dst = ipv6_addr_tag(q.dst);
        bool tcp = q.has_ports && q.proto == IPV6_NH_TCP;
        /* RFC 5927 4.1: about TCP, only if the quoted segment is in flight. */
        if (tcp && !tcp_quote_in_flight(s, &src, &dst, q.sport, q.dport, q.l4, q.l4_len)) {
            ctr_inc(s, CTR_ICMP6_RX_DROP_PMTU_STALE);
            return;
        }
        ipv6_pmtu_update(s, q.dst, m->rest, now);
        if (tcp)
            tcp_error(s, &src, &dst, q.sport, q.dport, EMSGSIZE, q.l4, q.l4_len, false);
        return;
    }
    int err = icmp6_errno(m->type, m->code);
    if (err == 0 || !q.has_ports)
        return;
    struct ip_addr src = ipv6_addr_tag(q.src), dst = ipv6_addr_tag(q.dst);
    switch (q.proto) {
    case IPV6_NH_UDP:
        udp_error(s, &src, &dst, q.sport, q.dport, err);
        break;
    case IPV6_NH_TCP:
        tcp_error(s, &src, &dst, q.sport, q.dport, err, q.l4, q.l4_len, false);
        break;
    default:
        break;
    }
}

/* ---- ND (RFC 4861) and MLD (RFC 3810) ---- */

static void nd_message(struct stack *s, struct netif *nif, const struct ipv6_view *ip,
                       const struct icmp6_view *m, uint64_t now)
{
    enum nd_check ck;
    switch (m->type) {
    case ICMP6_ND_RS:
        ck = nd_check_rs(ip, m);
        break;
    case ICMP6_ND_RA:
        ck = nd_check_ra(ip, m);
        break;
    case ICMP6_ND_NS:
        ck = nd_check_ns(ip, m);
        break;
    case ICMP6_ND_NA:
        ck = nd_check_na(ip, m);
        break;
    default:
        ck = nd_check_redirect(ip, m);
        break;
    }
    /* RFC 4861 6.1, 7.1, 8.1: an invalid message is silently discarded
     * (hop limit 255 is among the checks: it proves the sender on-link). */
    if (ck != ND_VALID) {
        ctr_inc(s, CTR_ICMP6_RX_DROP_BAD_ND);
        return;
    }
    ctr_inc(s, CTR_ICMP6_RX_ND);
    nd_input(s, nif, ip, m, now);
}

/* Send nif's groups in one MLDv2 report (core/mld.c: to ff02::16 with hop
 * limit 1 and a Router Alert, RFC 3810 5.2, 6.2). type: MLD2_MODE_IS_EXCLUDE. */
static void mld_report(struct stack *s, struct netif *nif, uint8_t type, uint64_t now)
{
    struct mld2_record recs[NETIF_MAX_ADDR6];
    size_t n = 0;
    for (size_t k = 0; k < NETIF_MAX_ADDR6; k++) {
        const struct netif_addr6 *a = &nif->addr6[k];
        if (a->state == ADDR6_UNUSED || a->state == ADDR6_DUPLICATE)
            continue;
        uint8_t sn[16];
        ipv6_solicited_node(a->addr, sn);
        bool dup = false;
        for (size_t i = 0; i < n && !dup; i++)
            dup = memcmp(recs[i].group, sn, 16) == 0;
        if (dup)
            continue;
        recs[n].type = type;
        memcpy(recs[n].group, sn, 16);
        n++;
    }
    /* RFC 3810 6: ff02::1 is never reported. */
    if (n > 0 && mld_send_report(s, nif, recs, n, now) == 0)
        ctr_inc(s, CTR_ICMP6_TX_MLD_REPORTS);
}

static void mld_query(struct stack *s, struct netif *nif, const struct ipv6_view *ip,
                      const struct icmp6_view *m, uint64_t now)
{
    struct mld_query q;
    struct ipv6_chain c;
    /* The Router Alert is in the packet's hop-by-hop header: walk again. */
    if (mld_parse_query(m, &q) != WIRE_OK || ipv6_walk(ip, &c) != WIRE_OK ||
        !mld_query_acceptable(ip, c.router_alert)) {
        ctr_inc(s, CTR_ICMP6_RX_DROP_BAD_MLD);
        return;
    }
    ctr_inc(s, CTR_ICMP6_RX_MLD_QUERIES);
    /* RFC 3810 6.2: a query for a group we have not joined needs nothing.
     * We answer at once rather than after a random delay (no randomness
     * in the stack): one small report per query. */
    if (!ipv6_addr_is_unspecified(q.group) && !netif_joined6(nif, q.group))
        return;
    mld_report(s, nif, MLD2_MODE_IS_EXCLUDE, now);
}

void icmp6_input(struct stack *s, struct netif *nif, const struct ipv6_view *ip,
                 const uint8_t *msg, size_t len, uint64_t now)
{
    struct icmp6_view m;
    ctr_inc(s, CTR_ICMP6_RX);
    struct ip_addr src = ipv6_addr_tag(ip->src), dst = ipv6_addr_tag(ip->dst);
    int err = icmp6_parse(msg, len, &src, &dst, &m);
    if (err == WIRE_ECSUM) {
        ctr_inc(s, CTR_ICMP6_RX_DROP_BAD_CSUM);
        return;
    }
    if (err != WIRE_OK) {
        ctr_inc(s, CTR_ICMP6_RX_DROP_TRUNCATED);
        return;
    }
    switch (m.type) {
    case ICMP6_ECHO_REQUEST:
        ctr_inc(s, CTR_ICMP6_RX_ECHO_REQUESTS);
        /* RFC 4443 4.2: answered even when sent to multicast (as Linux). */
        echo_reply(s, nif, ip, &m, now);
        break;
    case ICMP6_ECHO_REPLY:
        ctr_inc(s, CTR_ICMP6_RX_ECHO_REPLIES);
        break;
    case ICMP6_DEST_UNREACH:
        ctr_inc(s, CTR_ICMP6_RX_DEST_UNREACH);
        error_input(s, &m, now);
        break;
    case ICMP6_PACKET_TOO_BIG:
        ctr_inc(s, CTR_ICMP6_RX_PKT_TOO_BIG);
        error_input(s, &m, now);
        break;
    case ICMP6_TIME_EXCEEDED:
        ctr_inc(s, CTR_ICMP6_RX_TIME_EXCEEDED);
        error_input(s, &m, now);
        break;
    case ICMP6_PARAM_PROBLEM:
        ctr_inc(s, CTR_ICMP6_RX_PARAM_PROBLEM);
        error_input(s, &m, now);
        break;
    case ICMP6_ND_RS:
    case ICMP6_ND_RA:
    case ICMP6_ND_NS:
    case ICMP6_ND_NA:
    case ICMP6_ND_REDIRECT:
        nd_message(s, nif, ip, &m, now);
        break;
    case ICMP6_MLD_QUERY:
        mld_query(s, nif, ip, &m, now);
        break;
    default:
        /* RFC 4443 2.4 (b): unknown informational messages are dropped;
         * unknown errors go nowhere without a transport to tell. */
        ctr_inc(s, CTR_ICMP6_RX_OTHER);
        break;
    }
}

/* ---- errors out (RFC 4443 2.4) ---- */

/* Is the packet an ICMPv6 error or a Redirect (RFC 4443 2.4 (e.1, e.2))?
 * Unknown types below 128 count as errors. */
static bool is_icmp6_error_or_redirect(const struct ipv6_view *ip)
{
    struct ipv6_chain c;
    if (ipv6_walk_quote(ip->payload, ip->payload_len, ip->next_header, &c) != WIRE_OK)
        return false;
    if (c.proto != IPV6_NH_ICMPV6 || (c.has_frag && c.frag_offset != 0) || c.upper_len < 1)
        return false;
    return icmp6_is_error(c.upper[0]) || c.upper[0] == ICMP6_ND_REDIRECT;
}

void icmp6_send_error(struct stack *s, struct netif *nif, const uint8_t *pkt, size_t len,
                      uint8_t type, uint8_t code, uint32_t param, bool to_multicast,
                      uint64_t now)
{
    (void)nif;
    struct ipv6_view ip;
    if (ipv6_parse(pkt, len, &ip) != WIRE_OK)
        return;
    /* (e.3, e.4): not about a packet to a multicast address (IP or link),
     * except Packet Too Big and Parameter Problem code 2. */
    bool multicast = to_multicast || ipv6_addr_is_multicast(ip.dst);
    bool exempt = type == ICMP6_PACKET_TOO_BIG ||
                  (type == ICMP6_PARAM_PROBLEM && code == ICMP6_PP_OPTION);
    /* (e.1, e.2): not about an error or a Redirect. (e.5, e.6): not to a
     * source that does not name one node. */
    if ((multicast && !exempt) || is_icmp6_error_or_redirect(&ip) ||
        ipv6_addr_is_unspecified(ip.src) || ipv6_addr_is_multicast(ip.src)) {
        ctr_inc(s, CTR_ICMP6_TX_SUPPRESSED);
        return;
    }
    /* From the address the packet was sent to if it is ours (RFC 4443
     * 2.2 (a)), else the best one toward the source (2.2 (b)). */
    const uint8_t *hint = netif_by_ip6(s, ip.dst) != NULL ? ip.dst : NULL;
    struct ip_route rt;
    if (ipv6_route(s, ip.src, hint, &rt) != 0 || ipv6_addr_is_unspecified(rt.src.u.v6))
        return;
    /* (f): rate limited. */
    if (!token_bucket_take(&s->icmp6_bucket, now)) {
        ctr_inc(s, CTR_ICMP6_TX_RATELIMITED);
        return;
    }
    /* (c): as much of the packet as fits in the minimum MTU (and ours). */
    size_t quote = icmp6_error_quote_len(IPV6_HLEN + ip.payload_len);
    size_t room = ipv6_path_mtu(s, rt.nif, ip.src) - IPV6_HLEN - ICMP6_HLEN;
    if (quote > room)
        quote = room;
    uint8_t buf[PBUF_HEADROOM + IPV6_MIN_MTU + 64];
    struct pbuf p;
    pbuf_init(&p, buf, sizeof buf, PBUF_HEADROOM);
    uint8_t *hdr = pbuf_append(&p, ICMP6_HLEN + quote);
    if (hdr == NULL)
        return;
    memcpy(hdr + ICMP6_HLEN, pkt, quote);
    struct ip_addr dst = ipv6_addr_tag(ip.src);
    icmp6_emit(hdr, type, code, param, quote, &rt.src, &dst);
    if (ipv6_output(s, &rt, &p, ip.src, IPV6_NH_ICMPV6, 0, now) != 0)
        return;
    switch (type) {
    case ICMP6_DEST_UNREACH:
        ctr_inc(s, CTR_ICMP6_TX_DEST_UNREACH);
        break;
    case ICMP6_TIME_EXCEEDED:
        ctr_inc(s, CTR_ICMP6_TX_TIME_EXCEEDED);
        break;
    case ICMP6_PARAM_PROBLEM:
        ctr_inc(s, CTR_ICMP6_TX_PARAM_PROBLEM);
        break;
    default:
        break;
    }
}
