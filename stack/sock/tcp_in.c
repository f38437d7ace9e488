/* tcp_in.c - TCP input (RFC 9293 3.10.7).
 *
 * Every segment is validated here, then matched to a connection. No TCP
 * sockets exist yet, so every valid segment finds the CLOSED state and is
 * answered as RFC 9293 3.10.7.1 says; the state machine will hang off the
 * demux point below. */
#include "stack/core/stack_impl.h"
#include "stack/wire/ipv4.h"
#include "stack/wire/tcp.h"
#include "stack/wire/wire.h"

#define IP4_BROADCAST 0xffffffffu

static void count_parse_error(struct stack *s, int err)
{
    switch (err) {
    case WIRE_ECSUM:
        ctr_inc(s, CTR_TCP_RX_DROP_BAD_CSUM);
        break;
    case WIRE_EBADHDR: /* data offset < 5, malformed option area */
    case WIRE_EBADLEN: /* data offset past the end of the segment */
        ctr_inc(s, CTR_TCP_RX_DROP_BAD_HEADER);
        break;
    default: /* WIRE_ETRUNC, and anything a newer parser may add */
        ctr_inc(s, CTR_TCP_RX_DROP_TRUNCATED);
        break;
    }
}

/* Addresses and ports no TCP connection can have: TCP is unicast only
 * (RFC 1122 4.2.3.10: a SYN to a broadcast or multicast address is
 * ignored), port 0 is reserved, and a segment from our own address to
 * itself (the "LAND" attack) would make us answer ourselves. */
static bool bad_endpoints(struct netif *nif, const struct ipv4_view *ip,
                          const struct tcp_view *t, bool to_broadcast)
{
    if (to_broadcast || ip->dst == IP4_BROADCAST || netif_is_subnet_bcast(nif, ip->dst))
        return true;
    uint8_t dst_first = (uint8_t)(ip->dst >> 24), src_first = (uint8_t)(ip->src >> 24);
    if (dst_first >= 224 || src_first >= 224 || ip->src == IP4_BROADCAST ||
        netif_is_subnet_bcast(nif, ip->src))
        return true;
    if (t->sport == 0 || t->dport == 0)
        return true;
    return ip->src == ip->dst;
}

/* RFC 9293 3.10.7.1, CLOSED: "An incoming segment containing a RST is
 * discarded. An incoming segment not containing a RST causes a RST to be
 * sent in response": <SEQ=SEG.ACK><CTL=RST> if the segment has ACK, else
 * <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>. The RST's numbers come from
 * the segment alone, so the peer accepts it without a connection. */
static void reply_closed(struct stack *s, const struct ipv4_view *ip,
                         const struct tcp_view *t, uint64_t now)
{
    if (t->flags & TCP_FLAG_RST)
        return;
    struct tcp_emit_args a = {
        .sport = t->dport,
        .dport = t->sport,
        .window = 0,
    };
    if (t->flags & TCP_FLAG_ACK) {
        a.seq = t->ack;
        a.flags = TCP_FLAG_RST;
    } else {
        a.seq = 0;
        a.ack = t->seq + tcp_seg_len(t); /* wraps mod 2^32 as it should */
        a.flags = TCP_FLAG_RST | TCP_FLAG_ACK;
    }
    if (tcp_output_bare(s, ip->dst, ip->src, &a, now) == 0)
        ctr_inc(s, CTR_TCP_TX_RSTS);
}

void tcp_input(struct stack *s, struct netif *nif, const struct ipv4_view *ip,
               bool to_broadcast, uint64_t now)
{
    struct tcp_view t;
    struct ip_addr src = ip_addr_v4(ip->src), dst = ip_addr_v4(ip->dst);

    ctr_inc(s, CTR_TCP_RX_SEGS);
    int err = tcp_parse(ip->payload, ip->payload_len, &src, &dst, &t);
    if (err != WIRE_OK) {
        count_parse_error(s, err);
        return;
    }
    if (bad_endpoints(nif, ip, &t, to_broadcast)) {
        ctr_inc(s, CTR_TCP_RX_DROP_BAD_ADDR);
        return;
    }
    /* Connection demux goes here. Until then nothing listens. */
    ctr_inc(s, CTR_TCP_RX_NO_SOCKET);
    reply_closed(s, ip, &t, now);
}
