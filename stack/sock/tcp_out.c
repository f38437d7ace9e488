/* tcp_out.c - TCP output: segments with options and payload, the send
 * policy (windows, congestion window, Nagle, sender SWS avoidance), loss
 * recovery transmissions and RSTs.
 *
 * A segment is built in one buffer on the C stack (pbuf with headroom):
 * payload copied once from the send ring, then the TCP header with its
 * options, then IPv4 and Ethernet in front by the layers below. */
#include <errno.h>

#include "stack/sock/tcp_impl.h"
#include "stack/wire/ipv4.h"

/* Upper bound of segments one tcp_output call sends (a window of 64 MiB
 * at a 1460-byte MSS is ~46000; the ACK clock brings the rest). */
#define TCP_OUTPUT_BURST 64

uint16_t tcp_mtu_mss(const struct netif *nif, uint8_t family)
{
    if (family != IP_FAMILY_V6)
        return (uint16_t)(nif->mtu - 40);
    uint32_t mtu = nif->mtu6 != 0 && nif->mtu6 < nif->mtu ? nif->mtu6 : nif->mtu;
    /* RFC 8200 5: every IPv6 link carries 1280 bytes. */
    if (mtu < 1280)
        mtu = 1280;
    return (uint16_t)(mtu - 60);
}

void tcp_update_mss(struct tcp_sock *ts)
{
    uint32_t mtu_mss = ts->rt.nif != NULL ? tcp_mtu_mss(ts->rt.nif, ts->t.raddr.family)
                                          : TCP_DEFAULT_MSS;
    /* RFC 1191, RFC 8201 4, RFC 4821: the path MTU an ICMP error or a
     * black hole lowered bounds what we send; the MSS we advertise stays
     * the link's. */
    if (ts->rt.nif != NULL) {
        uint32_t hdr = ts->t.raddr.family == IP_FAMILY_V6 ? 60 : 40;
        uint32_t pmtu = ip_path_mtu(ts->s, ts->rt.nif, &ts->t.raddr);
        if (pmtu > hdr && pmtu - hdr < mtu_mss)
            mtu_mss = pmtu - hdr;
    }
    uint32_t m = ts->peer_mss < mtu_mss ? ts->peer_mss : mtu_mss;
    if (ts->user_mss != 0 && ts->user_mss < m)
        m = ts->user_mss; /* TCP_MAXSEG: Linux's mss_clamp */
    /* Every segment then carries NOP NOP TS (RFC 7323 3): the payload
     * room shrinks by 12, as Linux's mss_cache does. */
    if (ts->ts_ok)
        m -= TCP_TS_OPTLEN;
    if (m < TCP_MIN_MSS - TCP_TS_OPTLEN)
        m = TCP_MIN_MSS - TCP_TS_OPTLEN;
    ts->smss = (uint16_t)m;
    if (ts->cc.ops != NULL)
        tcp_cc_set_mss(&ts->cc, m);
}

uint32_t tcp_flight(const struct tcp_sock *ts)
{
    return ts->snd_max - ts->snd_una;
}

/* Free receive space, capped at what the window field can say. */
static uint32_t rcv_space(const struct tcp_sock *ts)
{
    uint64_t space = ring_space(&ts->rcvbuf);
    uint64_t cap = (uint64_t)TCP_MAX_WINDOW << ts->rcv_wscale;
    if (ts->rd_shut)
        return ts->rcvbuf.limit > 0 ? (uint32_t)(space < cap ? space : cap) : 0;
    return (uint32_t)(space < cap ? space : cap);
}

uint32_t tcp_rcv_window(const struct tcp_sock *ts)
{
    uint32_t space = rcv_space(ts);
    uint32_t adv = seq_gt(ts->rcv_adv, ts->rcv_nxt) ? ts->rcv_adv - ts->rcv_nxt : 0;
    /* RFC 9293 3.8.6.2.2 (receiver SWS avoidance): open the window only
     * by a useful amount, min(half the buffer, one MSS); RFC 9293 3.8.6:
     * never move the right edge back. */
    uint32_t thresh = ts->rcvbuf.limit / 2 < ts->rmss ? (uint32_t)ts->rcvbuf.limit / 2 : ts->rmss;
    if (space <= adv || space - adv < thresh)
        return adv;
    return space;
}

/* The window field and the right edge it promises (RFC 7323 2.3: the
 * field is the window shifted right; rounding down may move the edge
 * left by less than 2^shift, which 2.4 accepts). */
static uint16_t window_field(struct tcp_sock *ts, bool syn)
{
    uint32_t wnd = tcp_rcv_window(ts);
    uint32_t field;
    if (syn) /* RFC 7323 2.2: the window in a SYN is never scaled */
        field = wnd > TCP_MAX_WINDOW ? TCP_MAX_WINDOW : wnd;
    else
        field = wnd >> ts->rcv_wscale;
    if (field > TCP_MAX_WINDOW)
        field = TCP_MAX_WINDOW;
    uint32_t right = ts->rcv_nxt + (syn ? field : field << ts->rcv_wscale);
    if (seq_gt(right, ts->rcv_adv))
        ts->rcv_adv = right;
    return (uint16_t)field;
}

/* Options of a SYN (ours) or SYN-ACK (what the peer offered). */
static void syn_options(struct tcp_sock *ts, struct tcp_options *o, uint64_t now)
{
    const struct stack_tcp_config *c = &ts->s->cfg.tcp;
    bool synack = ts->state == TCP_SYN_RECEIVED;
    o->has_mss = true;
    o->mss = ts->rmss;
    if (synack ? ts->wscale_ok : c->window_scaling) {
        o->has_wscale = true;
        o->wscale = ts->rcv_wscale;
    }
    o->sack_permitted = synack ? ts->sack_ok : c->sack;
    if (synack ? ts->ts_ok : c->timestamps) {
        o->has_ts = true;
        o->ts_val = tcp_ts_now(ts, now);
        o->ts_ecr = synack ? ts->ts_recent : 0;
    }
}

/* SACK blocks for the receiver's out-of-order data (RFC 2018 4). */
static void sack_options(struct tcp_sock *ts, struct tcp_options *o)
{
    if (!ts->sack_ok || ts->ooo.r == NULL || asm_empty(&ts->ooo))
        return;
    struct asm_range r[TCP_MAX_SACK_BLOCKS];
    size_t max = o->has_ts ? 3 : 4; /* 40 bytes of options: RFC 2018 3 */
    size_t n = asm_recent(&ts->ooo, r, max);
    for (size_t i = 0; i < n; i++) {
        o->sack[i].left = ts->rcv_nxt + r[i].start;
        o->sack[i].right = ts->rcv_nxt + r[i].end;
    }
    o->n_sack = (uint8_t)n;
}

/* Build and send one segment: [seq, seq + len) of the send buffer's data
 * (len 0 for control segments), flags as given. Returns 0 or -errno. */
static int send_segment(struct tcp_sock *ts, uint32_t seq, uint8_t flags, uint32_t len,
                        uint64_t now)
{
    struct stack *s = ts->s;
    struct pbuf p;
    /* One buffer per stack, big enough for a TSO segment: a segment is
     * built and sent before the next one starts. */
    pbuf_init(&p, s->tcp->txbuf, s->tcp->txbuf_cap, PBUF_HEADROOM);

    if (len > 0) {
        uint8_t *dst = pbuf_append(&p, len);
        if (dst == NULL)
            return -EMSGSIZE;
        size_t off = (size_t)(seq - ts->buf_seq);
        if (ring_peek(&ts->sndbuf, off, dst, len) != len)
            return -EINVAL; /* a bug: sending data we do not hold */
    }

    struct tcp_options o = {0};
    bool syn = (flags & TCP_FLAG_SYN) != 0;
    if (syn) {
        syn_options(ts, &o, now);
    } else {
        /* RFC 7323 3.2: once agreed, TSopt on every segment, and it
         * SHOULD be on a RST too (as Linux's active resets carry it). */
        if (ts->ts_ok) {
            o.has_ts = true;
            o.ts_val = tcp_ts_now(ts, now);
            o.ts_ecr = ts->ts_recent;
        }
        if ((flags & TCP_FLAG_ACK) && !(flags & TCP_FLAG_RST))
            sack_options(ts, &o);
    }
    /* RFC 6691: the MSS counts data only; options must fit beside it in
     * the path MTU. Data segments carry as many SACK blocks as fit (often
     * none next to a full segment with timestamps); pure ACKs all four. */
    uint32_t room = (uint32_t)ts->smss + (ts->ts_ok ? TCP_TS_OPTLEN : 0);
    while (o.n_sack > 0 && len + tcp_options_len(&o) > room)
        o.n_sack--;
    uint8_t optbuf[TCP_MAX_OPTLEN];
    size_t optlen = tcp_options_emit(optbuf, sizeof optbuf, &o);
    uint8_t *hdr = pbuf_prepend(&p, TCP_HLEN + optlen);
    if (hdr == NULL)
        return -ENOBUFS;
    for (size_t i = 0; i < optlen; i++)
        hdr[TCP_HLEN + i] = optbuf[i];

    struct tcp_emit_args a = {
        .sport = ts->t.lport,
        .dport = ts->t.rport,
        .seq = seq,
        .ack = (flags & TCP_FLAG_ACK) ? ts->rcv_nxt : 0,
        .flags = flags,
        .window = (flags & TCP_FLAG_RST) ? 0 : window_field(ts, syn),
    };
    uint32_t offloads = ts->rt.nif != NULL ? ts->rt.nif->offloads : 0;
    if (offloads & NETIF_OFFLOAD_TX_CSUM) {
        /* The device sums the segment (and cuts it, if it is a TSO one):
         * the checksum field holds the pseudo-header sum, IPv4's (RFC 9293
         * 3.1) or IPv6's (RFC 8200 8.1), over the length of this whole
         * segment; the device redoes it per cut segment. */
        tcp_emit_partial(hdr, &a, optlen, len, &ts->t.laddr, &ts->t.raddr);
        p.csum_partial = true;
        p.l4_abs = p.off;
        p.csum_offset = 16;
        p.l4_hlen = (uint16_t)(TCP_HLEN + optlen);
        if (len > ts->smss) {
            /* Only tso_max makes a segment this long, and only with the
             * offload for its family. */
            p.gso_size = ts->smss;
            p.gso_type = ts->t.raddr.family == IP_FAMILY_V6 ? NETIF_GSO_TCPV6 : NETIF_GSO_TCPV4;
        }
    } else {
        tcp_emit(hdr, &a, optlen, len, &ts->t.laddr, &ts->t.raddr);
    }

    /* RFC 1122 4.2.4.2: the TOS the application chose, on every segment. */
    p.tos = ts->t.raddr.family == IP_FAMILY_V6 ? ts->tclass : ts->tos;
    int err = ip_output(s, &ts->rt, &p, &ts->t.raddr, IPPROTO_TCP_, now);
    if (err == -EMSGSIZE || err == -EADDRNOTAVAIL || err == -ENOBUFS)
        return err;
    ctr_inc(s, CTR_TCP_TX_SEGS);
    ctr_add(s, CTR_TCP_TX_DATA_BYTES, len);
    ts->segs_out++;
    if (len > 0) {
        ts->data_segs_out++;
        ts->bytes_sent += len;
        ts->last_data_sent = now;
    }
    if (flags & TCP_FLAG_ACK) {
        /* Linux tcp_dec_quickack_mode: one quick ACK spent per ACK of
         * new data. */
        if (ts->quickacks > 0 && ts->last_ack_sent != ts->rcv_nxt)
            ts->quickacks--;
        /* Every segment with ACK acknowledges everything so far. */
        ts->last_ack_sent = ts->rcv_nxt;
        ts->ack_now = false;
        ts->segs_unacked = 0;
        tcp_timer_stop(ts, TCP_T_DELACK);
    }
    ts->last_send = now;
    return 0;
}

/* The sequence number of a segment without data (Linux
 * tcp_acceptable_seq): the highest we sent, so a receiver that already
 * has what we are resending after a timeout still finds it acceptable,
 * but never past the right edge of its window. */
static uint32_t acceptable_seq(const struct tcp_sock *ts)
{
    uint32_t wnd_end = ts->snd_una + ts->snd_wnd;
    return seq_leq(ts->snd_max, wnd_end) ? ts->snd_max : wnd_end;
}

void tcp_send_ack(struct tcp_sock *ts, uint64_t now)
{
    send_segment(ts, acceptable_seq(ts), TCP_FLAG_ACK, 0, now);
}

/* RFC 9293 3.8.6.1 / RFC 1122 4.2.2.17 (zero-window probe) and 4.2.3.6
 * (keepalive): a segment with an old sequence number, which every TCP
 * must answer with an ACK showing its current window. Linux probes the
 * same way, without data. */
void tcp_send_probe(struct tcp_sock *ts, uint64_t now)
{
    send_segment(ts, ts->snd_una - 1, TCP_FLAG_ACK, 0, now);
}

void tcp_send_rst(struct tcp_sock *ts, uint64_t now)
{
    if (send_segment(ts, acceptable_seq(ts), TCP_FLAG_RST | TCP_FLAG_ACK, 0, now) == 0)
        ctr_inc(ts->s, CTR_TCP_TX_RSTS);
}

void tcp_send_syn(struct tcp_sock *ts, uint64_t now)
{
    uint8_t flags = TCP_FLAG_SYN;
    if (ts->state == TCP_SYN_RECEIVED)
        flags |= TCP_FLAG_ACK;
    if (ts->snd_max != ts->iss) {
        ctr_inc(ts->s, CTR_TCP_RETRANS_SEGS);
        ts->retransmits++;
        ts->rtt_timing = false; /* Karn */
    } else {
        ts->rtt_timing = true;
        ts->rtt_seq = ts->iss + 1;
        ts->rtt_start = now;
    }
    send_segment(ts, ts->iss, flags, 0, now);
    ts->snd_nxt = ts->iss + 1;
    if (seq_lt(ts->snd_max, ts->snd_nxt))
        ts->snd_max = ts->snd_nxt;
    if (ts->timer[TCP_T_RTX] == 0)
        tcp_timer_arm_rtx(ts, now);
}

/* Bytes of data held from seq to the end of the send buffer. */
static uint32_t data_after(const struct tcp_sock *ts, uint32_t seq)
{
    uint32_t end = ts->buf_seq + (uint32_t)ring_len(&ts->sndbuf);
    return seq_lt(seq, end) ? end - seq : 0;
}

/* Send [seq, seq + len) (plus the FIN if it sits right after), counting
 * a retransmission when it was sent before. */
static int transmit(struct tcp_sock *ts, uint32_t seq, uint32_t len, bool fin, uint64_t now)
{
    uint8_t flags = TCP_FLAG_ACK;
    if (fin)
        flags |= TCP_FLAG_FIN;
    /* PSH on the segment that ends an application write (RFC 9293
     * 3.9.1 SEND "PUSH flag"; Linux marks the last skb of each sendmsg
     * without MSG_MORE). */
    if (len > 0 && seq_lt(seq, ts->push_seq) && seq_leq(ts->push_seq, seq + len))
        flags |= TCP_FLAG_PSH;
    bool rtx = seq_lt(seq, ts->snd_max);
    int err = send_segment(ts, seq, flags, len, now);
    if (err != 0)
        return err;
    uint32_t end = seq + len + (fin ? 1 : 0);
    if (tcp_rack_on(ts))
        tcp_txlog_sent(ts, seq, end, now);
    if (ts->in_recovery)
        ts->prr_out += len + (fin ? 1 : 0);
    if (rtx) {
        ctr_inc(ts->s, CTR_TCP_RETRANS_SEGS);
        ts->retransmits++;
        ts->bytes_retrans += len;
        /* RFC 6298 3 (Karn): no RTT sample across a retransmission. */
        ts->rtt_timing = false;
    } else if (!ts->rtt_timing && len > 0) {
        ts->rtt_timing = true;
        ts->rtt_seq = end;
        ts->rtt_start = now;
    }
    /* Linux tcp_event_data_sent: new data within the delayed-ACK time of
     * the peer's last data is an answer: the exchange is interactive
     * (pingpong), and ACKs may wait to ride on answers. */
    if (!rtx && len > 0 && ts->data_rcvd &&
        now - ts->last_data_recv < ts->s->cfg.tcp.delack_ns)
        ts->pingpong = true;
    if (fin) {
        ts->fin_sent = true;
        /* RFC 9293 3.10.4 (CLOSE): ESTABLISHED -> FIN-WAIT-1,
         * CLOSE-WAIT -> LAST-ACK once the FIN is out. */
        if (ts->state == TCP_ESTABLISHED)
            tcp_set_state(ts, TCP_FIN_WAIT_1, now);
        else if (ts->state == TCP_CLOSE_WAIT)
            tcp_set_state(ts, TCP_LAST_ACK, now);
    }
    if (seq_gt(end, ts->snd_max))
        ts->snd_max = end;
    /* RFC 6298 5.1: start the timer when it is not running. */
    if (ts->timer[TCP_T_RTX] == 0)
        tcp_timer_arm_rtx(ts, now);
    tcp_timer_stop(ts, TCP_T_PERSIST);
    /* RFC 8985 7.2: new data sent: the probe timer counts from now. */
    if (!rtx)
        tcp_tlp_arm(ts, now);
    return 0;
}

void tcp_retransmit_head(struct tcp_sock *ts, uint64_t now)
{
    uint32_t seq = ts->snd_una;
    uint32_t len = data_after(ts, seq);
    if (len > ts->smss)
        len = ts->smss;
    bool fin = ts->fin_queued && seq + len == ts->fin_seq && seq_lt(seq + len, ts->snd_max);
    if (len == 0 && !fin)
        return;
    if (transmit(ts, seq, len, fin, now) == 0 && seq_gt(seq + len, ts->high_rxt))
        ts->high_rxt = seq + len + (fin ? 1 : 0);
}

/* RACK's in-flight count; RFC 6675 SetPipe with SACK; without it, the
 * NewReno estimate: what is outstanding less one segment per duplicate ACK
 * (each left the network), as Linux counts "sacked_out" for Reno. */
uint32_t tcp_recovery_pipe(const struct tcp_sock *ts)
{
    if (tcp_rack_on(ts))
        return tcp_rack_pipe(ts);
    if (ts->sack_ok)
        return sb_pipe(&ts->sb, ts->snd_una, ts->snd_max, ts->high_rxt, ts->smss);
    uint32_t flight = tcp_flight(ts);
    uint64_t gone = (uint64_t)ts->dupacks * ts->smss;
    return gone >= flight ? 0 : flight - (uint32_t)gone;
}

/* Resend [seq, seq + len) in recovery (with the FIN if it sits right
 * after) and move HighRxt past it. true if sent. */
static bool recovery_send(struct tcp_sock *ts, uint32_t seq, uint32_t len, uint64_t now)
{
    uint32_t held = data_after(ts, seq);
    if (len > held)
        len = held;
    bool fin = ts->fin_sent && seq + len == ts->fin_seq;
    if (len == 0 && !fin)
        return false;
    if (transmit(ts, seq, len, fin, now) != 0)
        return false;
    uint32_t end = seq + len + (fin ? 1 : 0);
    if (seq_gt(end, ts->high_rxt))
        ts->high_rxt = end;
    return true;
}

/* One loss-recovery transmission (RFC 6675 NextSeg rule 1, or RFC 6582's
 * retransmission of the first unacknowledged segment). true if sent. */
static bool recovery_retransmit(struct tcp_sock *ts, uint64_t now)
{
    uint32_t seq = 0, len;
    if (tcp_rack_on(ts)) {
        len = tcp_rack_next_lost(ts, &seq); /* RFC 8985: what RACK marked lost */
    } else if (ts->sack_ok) {
        len = sb_next_lost(&ts->sb, ts->snd_una, ts->snd_max, ts->high_rxt, ts->smss, &seq);
    } else {
        if (seq_gt(ts->high_rxt, ts->snd_una))
            return false; /* the head went out already; wait for the ACK */
        seq = ts->snd_una;
        len = data_after(ts, seq);
        if (len > ts->smss)
            len = ts->smss;
    }
    return recovery_send(ts, seq, len, now);
}

/* RFC 6675 4 NextSeg rule 3, when neither a lost segment (rule 1) nor new
 * data (rule 2) can go: the first hole below the highest SACKed byte not
 * yet resent, lost or not. After a partial ACK the next hole often has too
 * few SACKs above it to count as lost, and would wait for the RTO. (Rule
 * 4's rescue retransmission is not used: it resends the tail while it is
 * merely in flight; the tail loss probe covers a lost tail.) */
static bool recovery_fallback(struct tcp_sock *ts, uint64_t now)
{
    if (!ts->sack_ok || tcp_rack_on(ts))
        return false; /* RACK marks holes lost by time instead */
    uint32_t seq = 0;
    uint32_t len = sb_next_hole(&ts->sb, ts->snd_una, ts->snd_max, ts->high_rxt, ts->smss, &seq);
    return len > 0 && recovery_send(ts, seq, len, now);
}

/* After a timeout snd_nxt went back to snd_una: skip what the peer SACKed
 * since (cleared at the timeout, so only fresh reports count). */
static void skip_sacked(struct tcp_sock *ts)
{
    for (uint32_t i = 0; i < ts->sb.n; i++) {
        const struct tcp_sack_block *b = &ts->sb.r[i];
        if (seq_leq(b->left, ts->snd_nxt) && seq_lt(ts->snd_nxt, b->right))
            ts->snd_nxt = b->right;
    }
}

/* The most payload one segment may carry: one MSS, or with TSO as many
 * whole MSS as an IP packet holds (the device cuts them). */
static uint32_t tso_max(const struct tcp_sock *ts)
{
    /* NETIF_OFFLOAD_TSO4 cuts IPv4 segments, NETIF_OFFLOAD_TSO6 IPv6 ones.
     * smss already follows the IPv6 path MTU (tcp_update_mss), so every
     * segment the device cuts fits the path. */
    if (ts->rt.nif == NULL)
        return ts->smss;
    bool v6 = ts->t.raddr.family == IP_FAMILY_V6;
    uint32_t need = v6 ? NETIF_OFFLOAD_TSO6 : NETIF_OFFLOAD_TSO4;
    if (!(ts->rt.nif->offloads & need))
        return ts->smss;
    uint32_t segs = (v6 ? TCP_TSO6_MAX_PAYLOAD : TCP_TSO_MAX_PAYLOAD) / ts->smss;
    return segs * ts->smss;
}

/* The next segment from snd_nxt, if the policy allows one now. */
static bool send_next(struct tcp_sock *ts, uint64_t now)
{
    if (ts->sack_ok && seq_lt(ts->snd_nxt, ts->snd_max))
        skip_sacked(ts);
    uint32_t seq = ts->snd_nxt;
    uint32_t avail = data_after(ts, seq);
    uint32_t wnd_end = ts->snd_una + ts->snd_wnd;
    uint32_t lim = wnd_end;
    if (!ts->in_recovery) {
        uint32_t cwnd_end = ts->snd_una + ts->cc.cwnd;
        /* RFC 3042 / RFC 5681 3.2 (limited transmit): on each of the
         * first two duplicate ACKs a segment of new data may go out if the
         * peer's window allows, with the flight at most cwnd + 2 SMSS;
         * cwnd itself is not changed. Each duplicate ACK says a segment
         * left the network, so the ACK clock keeps running and the third
         * one (fast retransmit) comes sooner, instead of the RTO. */
        if (ts->dupacks > 0 && !seq_lt(seq, ts->snd_max)) {
            uint32_t extra = ts->dupacks < 2 ? ts->dupacks : 2;
            cwnd_end += extra * (uint32_t)ts->smss;
        }
        if (seq_lt(cwnd_end, lim))
            lim = cwnd_end;
    }
    uint32_t can = seq_gt(lim, seq) ? lim - seq : 0;
    uint32_t max_seg = tso_max(ts);
    uint32_t len = avail < max_seg ? avail : max_seg;
    bool window_limited = len > can;
    if (window_limited) {
        len = can;
        /* A TSO segment cut by the window ends on a segment boundary, so
         * the device does not emit a runt (sender SWS avoidance). */
        if (len > ts->smss)
            len -= len % ts->smss;
    }
    /* TCP_CORK / MSG_MORE: a partial last segment waits for more data
     * (the whole ones before it go; Linux tcp_mss_split_point). A FIN to
     * send pushes everything, as Linux's tcp_send_fin. */
    bool hold_tail = (ts->cork || ts->hold_more) && !ts->force_push && !ts->fin_queued &&
                     !window_limited && !seq_lt(seq, ts->snd_max);
    if (hold_tail && len > ts->smss && len % ts->smss != 0)
        len -= len % ts->smss;
    bool fin_here = ts->fin_queued && seq + len == ts->fin_seq && !window_limited;
    bool fin = fin_here && (!ts->fin_sent || seq_lt(seq + len, ts->snd_max));
    if (len == 0 && !fin)
        return false;
    bool in_flight = ts->snd_max != ts->snd_una;
    if (len < ts->smss && !fin && !seq_lt(seq, ts->snd_max)) {
        /* RFC 1122 4.2.3.4 (sender SWS avoidance with Nagle): a short
         * segment only if it is all we have and either Nagle is off or
         * nothing is unacknowledged, or it is half the largest window the
         * peer offered, or nothing is in flight (no ACK would come to
         * clock us: the override). */
        bool all_we_have = !window_limited;
        if (hold_tail && all_we_have) {
            if (ts->cork && ts->timer[TCP_T_CORK] == 0)
                tcp_timer_set(ts, TCP_T_CORK, now + TCP_CORK_MAX_NS);
            return false;
        }
        bool ok = (all_we_have && (ts->nodelay || !in_flight)) ||
                  (ts->max_snd_wnd > 0 && len >= ts->max_snd_wnd / 2) || !in_flight;
        if (!ok)
            return false;
    }
    if (transmit(ts, seq, len, fin, now) != 0)
        return false;
    ts->snd_nxt = seq + len + (fin ? 1 : 0);
    return true;
}

void tcp_output(struct tcp_sock *ts, uint64_t now)
{
    switch (ts->state) {
    case TCP_ESTABLISHED:
    case TCP_CLOSE_WAIT:
    case TCP_FIN_WAIT_1:
    case TCP_CLOSING:
    case TCP_LAST_ACK:
        break;
    case TCP_SYN_RECEIVED:
    case TCP_FIN_WAIT_2:
    case TCP_TIME_WAIT:
        if (ts->ack_now)
            tcp_send_ack(ts, now);
        return;
    default:
        return;
    }
    /* RFC 5681 4.1: after an idle period longer than the RTO the ACK
     * clock is gone; restart from the initial window. */
    if (ts->snd_max == ts->snd_una && ts->last_send != 0 &&
        now - ts->last_send > ts->rtt.rto && ts->cc.ops != NULL)
        ts->cc.ops->on_idle_restart(&ts->cc, now);

    bool sent = false;
    for (int i = 0; i < TCP_OUTPUT_BURST; i++) {
        if (ts->in_recovery) {
            /* RFC 6675 5 (C): while cwnd - pipe >= 1 SMSS; with PRR (RFC
             * 6937) cwnd is pipe + sndcnt: send while any of it is left
             * (prr_out makes up for a segment larger than the rest). */
            uint32_t pipe = tcp_recovery_pipe(ts);
            uint64_t need = ts->s->cfg.tcp.prr ? 1 : ts->smss;
            if ((uint64_t)pipe + need > ts->cc.cwnd)
                break;
            if (recovery_retransmit(ts, now)) {
                sent = true;
                continue;
            }
        }
        if (!send_next(ts, now)) {
            if (ts->in_recovery && recovery_fallback(ts, now)) {
                sent = true;
                continue;
            }
            break;
        }
        sent = true;
    }
    if (!sent && ts->ack_now)
        tcp_send_ack(ts, now);

    /* RFC 9293 3.8.6.1: data waits, the peer's window is shut (or too
     * small for a segment, sender SWS avoidance) and nothing is in flight
     * to bring an ACK: probe it. Data held by TCP_CORK or MSG_MORE in an
     * open window has its own timer. */
    uint32_t waiting = data_after(ts, ts->snd_nxt);
    uint32_t wnd_end = ts->snd_una + ts->snd_wnd;
    uint32_t usable = seq_gt(wnd_end, ts->snd_nxt) ? wnd_end - ts->snd_nxt : 0;
    if (ts->snd_max == ts->snd_una && waiting > 0 && usable < waiting && usable < ts->smss &&
        ts->timer[TCP_T_RTX] == 0 && ts->timer[TCP_T_PERSIST] == 0) {
        uint64_t rto = tcp_rtt_backoff(&ts->rtt, ts->persist_backoff);
        tcp_timer_set(ts, TCP_T_PERSIST, now + rto);
    }
}

/* RFC 8985 7.3: the probe timeout fired with no ACK since: send one
 * segment of new data if the peer's window takes it, else the last segment
 * again, so that its ACK (with SACK) shows what the tail lost; then restart
 * the retransmission timer. One probe until its ACK. */
void tcp_tlp_fire(struct tcp_sock *ts, uint64_t now)
{
    if (ts->tlp_pending || ts->in_recovery || tcp_flight(ts) == 0 || !ts->sack_ok ||
        seq_lt(ts->snd_nxt, ts->snd_max))
        return;
    switch (ts->state) {
    case TCP_ESTABLISHED:
    case TCP_CLOSE_WAIT:
    case TCP_FIN_WAIT_1:
    case TCP_CLOSING:
    case TCP_LAST_ACK:
        break;
    default:
        return;
    }
    ts->tlp_pending = true;
    uint32_t seq = ts->snd_nxt;
    uint32_t avail = data_after(ts, seq);
    uint32_t wnd_end = ts->snd_una + ts->snd_wnd;
    uint32_t room = seq_gt(wnd_end, seq) ? wnd_end - seq : 0;
    int err;
    if (avail > 0 && room > 0) {
        uint32_t len = avail < ts->smss ? avail : ts->smss;
        if (len > room)
            len = room;
        bool fin = ts->fin_queued && !ts->fin_sent && seq + len == ts->fin_seq;
        ts->tlp_retrans = false;
        err = transmit(ts, seq, len, fin, now);
        if (err == 0)
            ts->snd_nxt = seq + len + (fin ? 1 : 0);
    } else {
        uint32_t dend = ts->fin_sent ? ts->fin_seq : ts->snd_max;
        uint32_t len = dend - ts->snd_una;
        if (seq_lt(dend, ts->snd_una))
            len = 0;
        if (len > ts->smss)
            len = ts->smss;
        if (len == 0 && !ts->fin_sent) {
            ts->tlp_pending = false;
            return;
        }
        ts->tlp_retrans = true;
        err = transmit(ts, dend - len, len, ts->fin_sent, now);
    }
    if (err != 0) {
        ts->tlp_pending = false;
        return;
    }
    ts->tlp_end = ts->snd_max;
    ctr_inc(ts->s, CTR_TCP_TLP_PROBES);
    tcp_timer_arm_rtx(ts, now);
}

void tcp_window_update(struct tcp_sock *ts, uint64_t now)
{
    if (ts->state != TCP_ESTABLISHED && ts->state != TCP_FIN_WAIT_1 &&
        ts->state != TCP_FIN_WAIT_2)
        return;
    uint32_t adv = seq_gt(ts->rcv_adv, ts->rcv_nxt) ? ts->rcv_adv - ts->rcv_nxt : 0;
    uint32_t wnd = tcp_rcv_window(ts);
    /* Linux's rule (__tcp_cleanup_rbuf): tell the peer when the window
     * grew by two segments, or from nothing: smaller news can wait for
     * the next ACK. */
    uint32_t grow = wnd > adv ? wnd - adv : 0;
    if (grow >= 2u * ts->rmss || (adv == 0 && grow > 0) || grow >= ts->rcvbuf.limit / 2)
        tcp_send_ack(ts, now);
}

/* ---- segments without a connection ---- */

int tcp_output_bare(struct stack *s, const struct ip_addr *src, const struct ip_addr *dst,
                    const struct tcp_emit_args *a, const struct tcp_options *o, uint64_t now)
{
    struct ip_route rt;
    /* The answer leaves from the address the segment came to (src), so
     * the peer can match it to the connection it tried. */
    int err = ip_route(s, dst, src, &rt);
    if (err != 0)
        return err;
    if (rt.broadcast)
        return -EHOSTUNREACH; /* never a TCP segment to a broadcast */

    uint8_t buf[PBUF_HEADROOM + TCP_MAX_HLEN + 64];
    struct pbuf p;
    pbuf_init(&p, buf, sizeof buf, PBUF_HEADROOM);
    uint8_t optbuf[TCP_MAX_OPTLEN];
    size_t optlen = o != NULL ? tcp_options_emit(optbuf, sizeof optbuf, o) : 0;
    uint8_t *hdr = pbuf_prepend(&p, TCP_HLEN + optlen);
    if (hdr == NULL)
        return -ENOBUFS;
    for (size_t i = 0; i < optlen; i++)
        hdr[TCP_HLEN + i] = optbuf[i];
    tcp_emit(hdr, a, optlen, 0, &rt.src, dst);

    err = ip_output(s, &rt, &p, dst, IPPROTO_TCP_, now);
    if (err == -EMSGSIZE || err == -EADDRNOTAVAIL || err == -ENOBUFS)
        return err;
    /* As for UDP: a frame the netif refused is counted at the link. */
    ctr_inc(s, CTR_TCP_TX_SEGS);
    return 0;
}
