/* icmp4.c - ICMP for IPv4 (RFC 792, RFC 1122 3.2.2): echo replies, the
 * errors we send (rate limited) and the errors we receive (handed to the
 * transport that sent the quoted datagram). */
#include <errno.h>
#include <string.h>

#include "stack/core/stack_impl.h"
#include "stack/wire/icmp4.h"
#include "stack/wire/ipv4.h"

/* RFC 1812 4.3.2.3: an error quotes as much of the original as fits in a
 * 576-byte datagram (Linux does the same). */
#define ICMP4_ERROR_MAX 576

/* Linux icmp_err_convert[], indexed by the destination unreachable code. */
static const int unreach_errno[] = {
    ENETUNREACH,  /* 0 net unreachable */
    EHOSTUNREACH, /* 1 host unreachable */
    ENOPROTOOPT,  /* 2 protocol unreachable */
    ECONNREFUSED, /* 3 port unreachable */
    EMSGSIZE,     /* 4 fragmentation needed and DF set */
    EOPNOTSUPP,   /* 5 source route failed */
    ENETUNREACH,  /* 6 destination network unknown */
    EHOSTDOWN,    /* 7 destination host unknown */
    ENONET,       /* 8 source host isolated */
    ENETUNREACH,  /* 9 network administratively prohibited */
    EHOSTUNREACH, /* 10 host administratively prohibited */
    ENETUNREACH,  /* 11 network unreachable for TOS */
    EHOSTUNREACH, /* 12 host unreachable for TOS */
    EHOSTUNREACH, /* 13 communication administratively prohibited */
    EHOSTUNREACH, /* 14 host precedence violation */
    EHOSTUNREACH, /* 15 precedence cutoff in effect */
};

int icmp4_errno(uint8_t type, uint8_t code)
{
    switch (type) {
    case ICMP4_DEST_UNREACH:
        if (code < sizeof unreach_errno / sizeof unreach_errno[0])
            return unreach_errno[code];
        return EHOSTUNREACH; /* as Linux for codes past its table */
    case ICMP4_TIME_EXCEEDED:
        return EHOSTUNREACH;
    case ICMP4_PARAM_PROBLEM:
        return EPROTO;
    default:
        return 0; /* source quench (RFC 6633: ignored), redirect, ... */
    }
}

/* RFC 1122 3.2.2: ICMP errors are never sent about ICMP errors. Unknown
 * types are treated as errors, as Linux does. */
static bool icmp4_type_is_query(uint8_t type)
{
    switch (type) {
    case ICMP4_ECHO_REPLY:
    case ICMP4_ECHO_REQUEST:
    case 9:  /* router advertisement */
    case 10: /* router solicitation */
    case 13: /* timestamp */
    case 14: /* timestamp reply */
    case 15: /* information request */
    case 16: /* information reply */
    case 17: /* address mask request */
    case 18: /* address mask reply */
        return true;
    default:
        return false;
    }
}

static void echo_reply(struct stack *s, const struct ipv4_view *ip, const struct icmp4_view *ic,
                       uint64_t now)
{
    struct ipv4_route rt;
    if (ipv4_route(s, ip->src, ip->dst, &rt) != 0)
        return;
    /* RFC 792: the data goes back entire (same identifier, sequence
     * number and data). A request that came in fragments may need
     * fragments to go back: ipv4_output_frag cuts what exceeds the MTU. */
    uint8_t small[PBUF_FRAME_SIZE];
    struct pbuf p;
    uint8_t *hdr = pbuf_large_init(&p, small, ICMP4_HLEN + ic->body_len);
    if (hdr == NULL)
        return;
    memcpy(hdr + ICMP4_HLEN, ic->body, ic->body_len);
    icmp4_emit(hdr, ICMP4_ECHO_REPLY, 0, ic->rest, ic->body_len);
    if (ipv4_output_frag(s, &rt, &p, ip->src, IPPROTO_ICMP_, now) == 0)
        ctr_inc(s, CTR_ICMP4_TX_ECHO_REPLIES);
    pbuf_large_free(&p, small);
}

/* RFC 1191: "fragmentation needed and DF set" about one of ours. The
 * Next-Hop MTU is in the low 16 bits of the header's second word (0 from
 * a router older than RFC 1191: then the plateau below the size of the
 * datagram that did not fit, 7.1). A report about a TCP segment counts
 * only if that segment is in flight (RFC 5927 4.1: a blind attacker
 * cannot guess it); one that would not lower anything is ignored. */
static bool frag_needed(struct stack *s, const struct icmp4_view *ic, const struct icmp4_quote *q,
                        uint64_t now)
{
    ctr_inc(s, CTR_ICMP4_RX_FRAG_NEEDED);
    struct ip_addr src = ip_addr_v4(q->src), dst = ip_addr_v4(q->dst);
    if (q->proto == IPPROTO_TCP_ &&
        !tcp_quote_in_flight(s, &src, &dst, q->sport, q->dport, q->l4, q->l4_len)) {
        ctr_inc(s, CTR_ICMP4_RX_DROP_PMTU_STALE);
        return false;
    }
    uint32_t mtu = ic->rest & 0xffffu;
    if (mtu == 0)
        mtu = pmtu_plateau_below(q->total_len);
    /* A "next hop" as large as the datagram that did not fit is bogus. */
    if (q->total_len != 0 && mtu >= q->total_len)
        return false;
    return ip_pmtu_update(s, &dst, mtu, now);
}

/* An error about a datagram we sent: find who sent it and tell them. */
static void error_input(struct stack *s, const struct icmp4_view *ic, uint64_t now)
{
    struct icmp4_quote q;
    if (icmp4_parse_quote(ic->body, ic->body_len, &q) != WIRE_OK) {
        ctr_inc(s, CTR_ICMP4_RX_DROP_BAD_QUOTE);
        return;
    }
    /* The quoted datagram must be one of ours (RFC 5927 4.1: checks make
     * blind ICMP attacks harder; the transport checks its ports too). */
    if (netif_by_ip4(s, q.src) == NULL) {
        ctr_inc(s, CTR_ICMP4_RX_DROP_BAD_QUOTE);
        return;
    }
    if (ic->type == ICMP4_DEST_UNREACH && ic->code == ICMP4_FRAG_NEEDED) {
        bool lowered = frag_needed(s, ic, &q, now);
        /* Never an error for a TCP socket: it reads the new path MTU back
         * for its segments. A UDP socket hears EMSGSIZE, as on Linux. */
        if (q.proto == IPPROTO_TCP_) {
            if (lowered)
                ipv4_transport_error(s, q.proto, q.src, q.dst, q.sport, q.dport, EMSGSIZE, q.l4,
                                     q.l4_len, false);
            return;
        }
    }
    int err = icmp4_errno(ic->type, ic->code);
    if (err != 0)
        ipv4_transport_error(s, q.proto, q.src, q.dst, q.sport, q.dport, err, q.l4, q.l4_len,
                             false);
}

void icmp4_input(struct stack *s, const struct ipv4_view *ip,
                 bool to_broadcast, uint64_t now)
{
    struct icmp4_view ic;

    ctr_inc(s, CTR_ICMP4_RX);
    int err = icmp4_parse(ip->payload, ip->payload_len, &ic);
    if (err == WIRE_ECSUM) {
        ctr_inc(s, CTR_ICMP4_RX_DROP_BAD_CSUM);
        return;
    }
    if (err != WIRE_OK) {
        ctr_inc(s, CTR_ICMP4_RX_DROP_TRUNCATED);
        return;
    }
    switch (ic.type) {
    case ICMP4_ECHO_REQUEST:
        ctr_inc(s, CTR_ICMP4_RX_ECHO_REQUESTS);
        /* RFC 1122 3.2.2.6: a host MAY ignore echo requests to broadcast
         * (and not doing so makes us a smurf amplifier). */
        if (to_broadcast) {
            ctr_inc(s, CTR_ICMP4_RX_DROP_BROADCAST_ECHO);
            return;
        }
        echo_reply(s, ip, &ic, now);
        break;
    case ICMP4_ECHO_REPLY:
        ctr_inc(s, CTR_ICMP4_RX_ECHO_REPLIES); /* no ICMP sockets yet */
        break;
    case ICMP4_DEST_UNREACH:
        ctr_inc(s, CTR_ICMP4_RX_DEST_UNREACH);
        error_input(s, &ic, now);
        break;
    case ICMP4_TIME_EXCEEDED:
        ctr_inc(s, CTR_ICMP4_RX_TIME_EXCEEDED);
        error_input(s, &ic, now);
        break;
    case ICMP4_PARAM_PROBLEM:
        ctr_inc(s, CTR_ICMP4_RX_PARAM_PROBLEM);
        error_input(s, &ic, now);
        break;
    default:
        ctr_inc(s, CTR_ICMP4_RX_OTHER);
        break;
    }
}

void icmp4_send_error(struct stack *s, struct netif *nif, const struct ipv4_view *ip,
                      const uint8_t *pkt, bool to_broadcast, uint8_t type, uint8_t code,
                      uint64_t now)
{
    /* RFC 1122 3.2.2: never about a broadcast/multicast datagram, a
     * non-first fragment, a source that is not one host, or an ICMP error. */
    if (to_broadcast || (ip->frag & IPV4_FRAG_OFF_MASK) != 0)
        return;
    uint8_t first = (uint8_t)(ip->src >> 24);
    if (first == 0 || (first == 127 && !nif->loopback) || first >= 224 ||
        netif_is_subnet_bcast(nif, ip->src))
        return;
    if (ip->proto == IPPROTO_ICMP_ &&
        (ip->payload_len < 1 || !icmp4_type_is_query(ip->payload[0])))
        return;

    struct ipv4_route rt;
    if (ipv4_route(s, ip->src, ip->dst, &rt) != 0)
        return;
    if (!token_bucket_take(&s->icmp_bucket, now)) {
        ctr_inc(s, CTR_ICMP4_TX_RATELIMITED);
        return;
    }

    size_t quote = ip->total_len;
    size_t room = ICMP4_ERROR_MAX - IPV4_HLEN - ICMP4_HLEN;
    if ((size_t)rt.nif->mtu - IPV4_HLEN - ICMP4_HLEN < room)
        room = (size_t)rt.nif->mtu - IPV4_HLEN - ICMP4_HLEN;
    if (quote > room)
        quote = room;

    uint8_t buf[PBUF_HEADROOM + ICMP4_ERROR_MAX + 64];
    struct pbuf p;
    pbuf_init(&p, buf, sizeof buf, PBUF_HEADROOM);
    if (pbuf_append_copy(&p, pkt, quote) != 0)
        return;
    uint8_t *hdr = pbuf_prepend(&p, ICMP4_HLEN);
    if (hdr == NULL)
        return;
    icmp4_emit(hdr, type, code, 0, quote);
    if (ipv4_output(s, &rt, &p, ip->src, IPPROTO_ICMP_, now) == 0 &&
        type == ICMP4_DEST_UNREACH)
        ctr_inc(s, CTR_ICMP4_TX_DEST_UNREACH);
}
