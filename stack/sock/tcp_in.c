/* tcp_in.c - TCP input (RFC 9293 3.10.7): validation, demux, LISTEN
 * (with the SYN queue, the accept queue and SYN cookies), SYN-SENT, and
 * the synchronized states: sequence check with PAWS (RFC 7323), RST and
 * SYN with RFC 5961's challenge ACKs, ACK processing with congestion
 * control and loss recovery (RFC 5681, 6582, 6675), data with the
 * out-of-order queue and delayed ACKs, FIN. */
#include <errno.h>

#include "stack/sock/tcp_impl.h"
#include "stack/wire/ipv4.h"
#include "stack/wire/ipv6.h"
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
static bool bad_endpoints(const struct ip_rx *rx, const struct tcp_view *t)
{
    if (rx->to_broadcast)
        return true;
    if (t->sport == 0 || t->dport == 0)
        return true;
    /* src == dst from a link is the "land" attack; on lo it is how a
     * host talks to its own address. */
    if (ip_addr_eq(&rx->src, &rx->dst) && !rx->nif->loopback)
        return true;
    if (rx->src.family == IP_FAMILY_V4) {
        uint32_t src = rx->src.u.v4, dst = rx->dst.u.v4;
        if (dst == IP4_BROADCAST || netif_is_subnet_bcast(rx->nif, dst))
            return true;
        if ((dst >> 24) >= 224 || (src >> 24) >= 224 || src == IP4_BROADCAST ||
            netif_is_subnet_bcast(rx->nif, src))
            return true;
    } else if (ipv6_addr_is_multicast(rx->src.u.v6) || ipv6_addr_is_multicast(rx->dst.u.v6)) {
        return true; /* IPv6 multicast (RFC 4291 2.7) */
    } else if (ipv6_addr_is_unspecified(rx->src.u.v6) || ipv6_addr_is_v4_mapped(rx->src.u.v6) ||
               ipv6_addr_is_v4_mapped(rx->dst.u.v6)) {
        /* RFC 4291 2.5.2: :: is never a source; IPv4-mapped addresses
         * (2.5.5.2) belong to the API, not the wire (Linux drops them in
         * tcp_v6_conn_request too). */
        return true;
    }
    return false;
}

/* RFC 9293 3.10.7.1, CLOSED: "An incoming segment containing a RST is
 * discarded. An incoming segment not containing a RST causes a RST to be
 * sent in response": <SEQ=SEG.ACK><CTL=RST> if the segment has ACK, else
 * <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>. The RST's numbers come from
 * the segment alone, so the peer accepts it without a connection. */
static void reply_rst(struct stack *s, const struct ip_rx *rx, const struct tcp_view *t,
                      uint64_t now)
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
    if (tcp_output_bare(s, &rx->dst, &rx->src, &a, NULL, now) == 0)
        ctr_inc(s, CTR_TCP_TX_RSTS);
}

/* RFC 5961 3.2, 4.2, 5.2: answer with an ACK, within a global rate limit
 * (RFC 5961 10) so the answers cannot be used as an amplifier or an
 * oracle at line rate. */
static void challenge_ack(struct tcp_sock *ts, uint64_t now)
{
    if (!token_bucket_take(&ts->s->tcp->challenge_bucket, now)) {
        ctr_inc(ts->s, CTR_TCP_CHALLENGE_ACK_LIMITED);
        return;
    }
    ctr_inc(ts->s, CTR_TCP_TX_CHALLENGE_ACKS);
    tcp_send_ack(ts, now);
}

/* The options of the peer's SYN decide what the connection uses. */
static void apply_syn_options(struct tcp_sock *ts, const struct tcp_view *t, uint64_t now)
{
    const struct stack_tcp_config *c = &ts->s->cfg.tcp;
    const struct tcp_options *o = &t->opt;
    /* RFC 9293 3.7.1: no option means 536. An MSS of 0 is as good as
     * none; a tiny one is raised to a floor (Linux does the same) so a
     * peer cannot make us cut the stream into 1-byte segments. */
    if (!o->has_mss || o->mss == 0)
        ts->peer_mss = TCP_DEFAULT_MSS;
    else
        ts->peer_mss = o->mss < TCP_MIN_MSS ? TCP_MIN_MSS : o->mss;
    /* RFC 7323 2.2: scaling only when both sides sent the option. */
    ts->wscale_ok = c->window_scaling && o->has_wscale;
    ts->snd_wscale = ts->wscale_ok ? o->wscale : 0;
    if (!ts->wscale_ok)
        ts->rcv_wscale = 0;
    ts->sack_ok = c->sack && o->sack_permitted;
    ts->ts_ok = c->timestamps && o->has_ts;
    if (ts->ts_ok) {
        ts->ts_recent = o->ts_val;
        ts->ts_recent_age = now;
    }
    tcp_update_mss(ts);
}

/* ---- LISTEN (RFC 9293 3.10.7.2) ---- */

static uint32_t ts_clock(const struct tcp_sock *l, const struct tcp_tuple *t, uint64_t now)
{
    return (uint32_t)(now / 1000000u) + tcp_ts_offset(l->s->cfg.key, t);
}

static uint8_t listener_wscale(const struct tcp_sock *l)
{
    uint8_t shift = 0;
    while (shift < TCP_MAX_WSCALE && (l->rcvbuf_size >> shift) > TCP_MAX_WINDOW)
        shift++;
    return shift;
}

/* A stateless SYN-ACK whose ISN is a cookie (the SYN queue is full). */
static void send_cookie_synack(struct tcp_sock *l, const struct ip_rx *rx,
                               const struct tcp_view *t, const struct tcp_tuple *tu,
                               uint64_t now)
{
    const struct stack_tcp_config *c = &l->s->cfg.tcp;
    uint16_t asked = t->opt.has_mss && t->opt.mss != 0 ? t->opt.mss : TCP_DEFAULT_MSS;
    uint16_t ours = tcp_mtu_mss(rx->nif, rx->src.family);
    if (l->user_mss != 0 && l->user_mss < ours)
        ours = l->user_mss;
    if (asked > ours)
        asked = ours;
    uint16_t mss_used;
    uint32_t cookie = tcp_cookie_make(l->s->cfg.key, tu, t->seq, asked, now, &mss_used);
    struct tcp_options o = {.has_mss = true, .mss = ours};
    /* Without timestamps there is nowhere to keep window scaling and
     * SACK: the connection goes without them, as on Linux. */
    if (c->timestamps && t->opt.has_ts) {
        struct tcp_cookie_opts co = {
            .mss = mss_used,
            .has_ts = true,
            .sack = c->sack && t->opt.sack_permitted,
            .wscale = c->window_scaling && t->opt.has_wscale ? t->opt.wscale : 0xf,
        };
        uint32_t base = ts_clock(l, tu, now);
        uint32_t v = tcp_cookie_tsval(base, &co);
        if (seq_gt(v, base))
            v -= 32; /* never ahead of the clock later segments use (PAWS) */
        o.has_ts = true;
        o.ts_val = v;
        o.ts_ecr = t->opt.ts_val;
        o.sack_permitted = co.sack;
        if (co.wscale != 0xf) {
            o.has_wscale = true;
            o.wscale = listener_wscale(l);
        }
    }
    struct tcp_emit_args a = {
        .sport = t->dport, .dport = t->sport, .seq = cookie, .ack = t->seq + 1,
        .flags = TCP_FLAG_SYN | TCP_FLAG_ACK, .window = (uint16_t)(l->rcvbuf_size > 65535 ? 65535 : l->rcvbuf_size),
    };
    if (tcp_output_bare(l->s, &rx->dst, &rx->src, &a, &o, now) == 0)
        ctr_inc(l->s, CTR_TCP_SYNCOOKIES_SENT);
}

/* The third ACK of a cookie handshake: rebuild the connection. NULL if
 * the cookie is not ours (the caller answers with a RST). */
static struct tcp_sock *cookie_child(struct tcp_sock *l, const struct tcp_view *t,
                                     const struct tcp_tuple *tu, uint64_t now)
{
    uint16_t mss;
    if (!tcp_cookie_check(l->s->cfg.key, tu, t->seq - 1, t->ack - 1, now, &mss)) {
        ctr_inc(l->s, CTR_TCP_SYNCOOKIES_FAILED);
        return NULL;
    }
    if (l->n_acceptq >= l->backlog) {
        ctr_inc(l->s, CTR_TCP_LISTEN_OVERFLOWS);
        return NULL;
    }
    struct tcp_sock *ts = tcp_child_new(l, tu, now);
    if (ts == NULL)
        return NULL;
    ts->iss = t->ack - 1;
    ts->snd_una = ts->snd_nxt = ts->snd_max = t->ack;
    ts->buf_seq = t->ack;
    ts->syn_acked = true;
    ts->irs = t->seq - 1;
    ts->rcv_nxt = ts->last_ack_sent = t->seq;
    /* The window our SYN-ACK offered (unscaled, as in any SYN). */
    ts->rcv_adv = t->seq + (l->rcvbuf_size > TCP_MAX_WINDOW ? TCP_MAX_WINDOW : l->rcvbuf_size);
    ts->peer_mss = mss;
    const struct stack_tcp_config *c = &l->s->cfg.tcp;
    if (t->opt.has_ts && c->timestamps) {
        struct tcp_cookie_opts co;
        tcp_cookie_ts_decode(t->opt.ts_ecr, &co);
        ts->ts_ok = true;
        ts->ts_recent = t->opt.ts_val;
        ts->ts_recent_age = now;
        ts->sack_ok = co.sack && c->sack;
        ts->wscale_ok = co.wscale != 0xf && c->window_scaling;
        ts->snd_wscale = ts->wscale_ok ? (co.wscale > 14 ? 14 : co.wscale) : 0;
        ts->rcv_wscale = ts->wscale_ok ? listener_wscale(l) : 0;
    } else {
        ts->snd_wscale = ts->rcv_wscale = 0;
    }
    ts->snd_wnd = (uint32_t)t->window << ts->snd_wscale;
    ts->max_snd_wnd = ts->snd_wnd;
    ts->snd_wl1 = t->seq;
    ts->snd_wl2 = t->ack;
    tcp_update_mss(ts);
    tcp_cc_init(&ts->cc, (enum tcp_cc_algo)c->cc, ts->smss, now);
    ts->had_conn = true;
    tcp_set_state(ts, TCP_ESTABLISHED, now);
    ctr_inc(l->s, CTR_TCP_SYNCOOKIES_RECV);
    ctr_inc(l->s, CTR_TCP_PASSIVE_OPENS);
    tcp_child_established(ts);
    return ts;
}

/* Returns the child to continue processing the segment with, if any. */
static struct tcp_sock *listen_input(struct tcp_sock *l, const struct ip_rx *rx,
                                     const struct tcp_view *t, const struct tcp_tuple *tu,
                                     uint64_t now)
{
    struct stack *s = l->s;
    const struct stack_tcp_config *c = &s->cfg.tcp;
    if (t->flags & TCP_FLAG_RST)
        return NULL; /* "An incoming RST should be ignored" */
    if (t->flags & TCP_FLAG_ACK) {
        if (!(t->flags & TCP_FLAG_SYN) && c->syncookies != 0) {
            struct tcp_sock *ts = cookie_child(l, t, tu, now);
            if (ts != NULL)
                return ts;
        }
        /* "Any acknowledgment is bad if it arrives on a connection still
         * in the LISTEN state": <SEQ=SEG.ACK><CTL=RST>. */
        ctr_inc(s, CTR_TCP_RX_DROP_LISTEN);
        reply_rst(s, rx, t, now);
        return NULL;
    }
    if (!(t->flags & TCP_FLAG_SYN)) {
        ctr_inc(s, CTR_TCP_RX_DROP_LISTEN);
        return NULL;
    }
    if (t->flags & TCP_FLAG_FIN) {
        ctr_inc(s, CTR_TCP_RX_DROP_BAD_FLAGS); /* SYN+FIN: Linux drops it too */
        return NULL;
    }
    if (l->n_acceptq >= l->backlog) {
        /* Linux drops SYNs while the accept queue is full: the peer
         * retries, and by then the application may have caught up. */
        ctr_inc(s, CTR_TCP_LISTEN_OVERFLOWS);
        return NULL;
    }
    /* A full SYN queue, or a connection table already at max_conns (a
     * flood spread over several listeners): a cookie needs no state. */
    bool table_full = s->tcp->n_conns >= c->max_conns;
    if (c->syncookies == 2 || l->n_synq >= c->syn_backlog ||
        (table_full && c->syncookies == 1)) {
        if (c->syncookies == 0) {
            ctr_inc(s, CTR_TCP_LISTEN_DROPS);
            return NULL;
        }
        send_cookie_synack(l, rx, t, tu, now);
        return NULL;
    }
    struct tcp_sock *ts = tcp_child_new(l, tu, now);
    if (ts == NULL)
        return NULL;
    ts->had_conn = true;
    ts->irs = t->seq;
    ts->rcv_nxt = ts->rcv_adv = ts->last_ack_sent = t->seq + 1;
    apply_syn_options(ts, t, now);
    ts->snd_wnd = t->window; /* RFC 7323 2.2: a SYN's window is not scaled */
    ts->max_snd_wnd = ts->snd_wnd;
    ts->snd_wl1 = t->seq;
    ts->snd_wl2 = ts->iss;
    ts->recover = ts->iss;
    ctr_inc(s, CTR_TCP_PASSIVE_OPENS);
    tcp_send_syn(ts, now);
    return NULL;
}

/* RFC 6298 5.7: if the SYN (or SYN-ACK) timed out and no RTT sample
 * came of the handshake, data starts with an RTO of 3 s, not 1 s. */
static void syn_timeout_rto(struct tcp_sock *ts)
{
    const uint64_t three_s = 3 * NS_PER_SEC;
    if (ts->retries == 0 || ts->rtt.valid || ts->rtt.rto >= three_s)
        return;
    ts->rtt.rto = three_s < ts->rtt.max_rto ? three_s : ts->rtt.max_rto;
}

/* ---- SYN-SENT (RFC 9293 3.10.7.3) ---- */

static void syn_sent_input(struct tcp_sock *ts, const struct ip_rx *rx,
                           const struct tcp_view *t, uint64_t now)
{
    struct stack *s = ts->s;
    bool has_ack = (t->flags & TCP_FLAG_ACK) != 0;
    if (has_ack && !seq_between(t->ack, ts->iss + 1, ts->snd_max + 1)) {
        /* "If SEG.ACK =< ISS or SEG.ACK > SND.NXT, send a reset (unless
         * the RST bit is set, if so drop the segment and return)". */
        reply_rst(s, rx, t, now);
        return;
    }
    if (t->flags & TCP_FLAG_RST) {
        /* RFC 5961 3.2 / RFC 9293: only a RST acknowledging our SYN. */
        if (has_ack) {
            ctr_inc(s, CTR_TCP_ATTEMPT_FAILS);
            ctr_inc(s, CTR_TCP_RX_RSTS);
            tcp_done(ts, ECONNREFUSED, now);
        } else {
            ctr_inc(s, CTR_TCP_RX_RST_IGNORED);
        }
        return;
    }
    if (!(t->flags & TCP_FLAG_SYN))
        return;
    if (t->flags & TCP_FLAG_FIN) {
        ctr_inc(s, CTR_TCP_RX_DROP_BAD_FLAGS);
        return;
    }
    ts->irs = t->seq;
    ts->rcv_nxt = ts->rcv_adv = ts->last_ack_sent = t->seq + 1;
    apply_syn_options(ts, t, now);
    ts->snd_wnd = t->window;
    ts->max_snd_wnd = ts->snd_wnd;
    ts->snd_wl1 = t->seq;
    ts->snd_wl2 = t->ack;
    ts->recover = ts->iss;
    ts->last_recv = now;
    if (has_ack) {
        ts->snd_una = t->ack;
        ts->syn_acked = true;
        if (ts->rtt_timing && seq_geq(t->ack, ts->rtt_seq))
            tcp_rtt_sample(&ts->rtt, now - ts->rtt_start);
        ts->rtt_timing = false;
        syn_timeout_rto(ts);
        ts->backoff = ts->retries = 0;
        tcp_timer_stop(ts, TCP_T_RTX);
        tcp_set_state(ts, TCP_ESTABLISHED, now);
        tcp_keepalive_reset(ts, now);
        tcp_notify(ts, TCP_EV_CONNECTED | TCP_EV_WRITABLE);
        /* Data in the SYN-ACK is not taken (rare; the peer resends it). */
        ts->ack_now = true;
        if (ts->fin_queued)
            ts->fin_seq = ts->buf_seq + (uint32_t)ring_len(&ts->sndbuf);
        tcp_output(ts, now);
        return;
    }
    /* Simultaneous open (RFC 9293 3.5, figure 8): SYN-RECEIVED and a
     * SYN-ACK with our original ISS. */
    tcp_set_state(ts, TCP_SYN_RECEIVED, now);
    ts->snd_max = ts->iss; /* the SYN-ACK is the first send of this SYN */
    tcp_timer_stop(ts, TCP_T_RTX);
    tcp_send_syn(ts, now);
}

/* ---- synchronized states (RFC 9293 3.10.7.4) ---- */

/* RFC 9293 3.10.7.4, first check: is any of the segment in the window? */
static bool acceptable(const struct tcp_sock *ts, uint32_t seq, uint32_t len)
{
    uint32_t wnd = seq_gt(ts->rcv_adv, ts->rcv_nxt) ? ts->rcv_adv - ts->rcv_nxt : 0;
    if (len == 0) {
        if (wnd == 0)
            return seq == ts->rcv_nxt;
        return seq_between(seq, ts->rcv_nxt, ts->rcv_nxt + wnd);
    }
    if (wnd == 0) {
        /* "special allowance should be made to accept valid ACKs, URGs,
         * and RSTs": take the segment at RCV.NXT for its control part;
         * process_data finds no room for its text and drops it. */
        return seq == ts->rcv_nxt;
    }
    return seq_between(seq, ts->rcv_nxt, ts->rcv_nxt + wnd) ||
           seq_between(seq + len - 1, ts->rcv_nxt, ts->rcv_nxt + wnd);
}

static void reset_by_peer(struct tcp_sock *ts, uint64_t now)
{
    struct stack *s = ts->s;
    ctr_inc(s, CTR_TCP_RX_RSTS);
    switch (ts->state) {
    case TCP_SYN_RECEIVED:
        ctr_inc(s, CTR_TCP_ATTEMPT_FAILS);
        /* From a passive open the child just goes away ("return to
         * LISTEN"); from a simultaneous open the user hears of it. */
        tcp_done(ts, ts->parent != NULL ? 0 : ECONNREFUSED, now);
        break;
    case TCP_ESTABLISHED:
    case TCP_FIN_WAIT_1:
    case TCP_FIN_WAIT_2:
    case TCP_CLOSE_WAIT:
        ctr_inc(s, CTR_TCP_ESTAB_RESETS);
        tcp_done(ts, ECONNRESET, now);
        break;
    default: /* CLOSING, LAST-ACK, TIME-WAIT: "enter CLOSED" quietly */
        tcp_done(ts, 0, now);
        break;
    }
}

/* Our FIN is acknowledged: the state moves on (RFC 9293 3.10.7.4, fifth
 * check, per state). */
static void fin_acked(struct tcp_sock *ts, uint64_t now)
{
    switch (ts->state) {
    case TCP_FIN_WAIT_1:
        tcp_set_state(ts, TCP_FIN_WAIT_2, now);
        if (ts->orphan)
            tcp_timer_set(ts, TCP_T_LINGER, now + ts->s->cfg.tcp.fin_wait2_ns);
        break;
    case TCP_CLOSING:
        tcp_set_state(ts, TCP_TIME_WAIT, now);
        break;
    case TCP_LAST_ACK:
        tcp_done(ts, 0, now);
        break;
    default:
        break;
    }
}

/* Loss detected: enter fast recovery (RFC 5681 3.2, RFC 6582 3.2, RFC
 * 6675 5, RFC 8985 6.2) and, unless RACK chose what to resend, retransmit
 * the first unacknowledged segment. */
static void enter_recovery(struct tcp_sock *ts, uint64_t now)
{
    struct stack *s = ts->s;
    ctr_inc(s, CTR_TCP_FAST_RETRANS);
    /* RFC 6937 3.1: PRR starts counting; RecoverFS is the flight now. */
    ts->prr_delivered = 0;
    ts->prr_out = 0;
    ts->prr_recover_fs = tcp_flight(ts);
    tcp_timer_stop(ts, TCP_T_TLP);
    ts->tlp_pending = false;
    ctr_inc(s, ts->sack_ok ? CTR_TCP_SACK_RECOVERIES : CTR_TCP_RENO_RECOVERIES);
    /* RFC 5681 3.2 step 2: what limited transmit sent beyond cwnd is not
     * part of the FlightSize ssthresh is computed from. */
    uint32_t flight = tcp_flight(ts);
    if (flight > ts->cc.cwnd)
        flight = ts->cc.cwnd;
    ts->cc.ops->on_loss(&ts->cc, flight, now);
    ts->in_recovery = true;
    ts->recover = ts->snd_max;
    ts->high_rxt = ts->snd_una;
    if (!tcp_rack_on(ts))
        tcp_retransmit_head(ts, now);
}

/* RFC 6937 3.1, on each ACK in recovery: the data it delivered (cumulative
 * and SACKed, net) lets out sndcnt more: in proportion to ssthresh /
 * RecoverFS while the pipe is above ssthresh, then up to ssthresh with the
 * slow-start reduction bound (PRR-SSRB). cwnd = pipe + sndcnt; the first
 * transmission of a recovery always goes (the fast retransmit). */
static void prr_on_ack(struct tcp_sock *ts, int64_t delivered)
{
    if (!ts->s->cfg.tcp.prr || delivered <= 0)
        return;
    ts->prr_delivered += (uint32_t)delivered;
    uint64_t pipe = tcp_recovery_pipe(ts);
    uint64_t ssthresh = ts->cc.ssthresh;
    uint64_t fs = ts->prr_recover_fs > 0 ? ts->prr_recover_fs : 1;
    int64_t sndcnt;
    if (pipe > ssthresh) {
        uint64_t allowed = ((uint64_t)ts->prr_delivered * ssthresh + fs - 1) / fs;
        sndcnt = (int64_t)allowed - (int64_t)ts->prr_out;
    } else {
        int64_t limit = (int64_t)ts->prr_delivered - (int64_t)ts->prr_out;
        if (limit < delivered)
            limit = delivered;
        limit += ts->smss;
        sndcnt = (int64_t)(ssthresh - pipe) < limit ? (int64_t)(ssthresh - pipe) : limit;
    }
    if (ts->prr_out == 0 && sndcnt < ts->smss)
        sndcnt = ts->smss;
    if (sndcnt < 0)
        sndcnt = 0;
    uint64_t cwnd = pipe + (uint64_t)sndcnt;
    ts->cc.cwnd = cwnd > UINT32_MAX ? UINT32_MAX : (uint32_t)cwnd;
}

/* RFC 8985 6.2/6.3: after an ACK or at the reordering timeout, RACK marks
 * what it deems lost; a first loss (not of data sent before the last
 * timeout, RFC 6582 3.2 step 1) starts fast recovery. */
static void rack_check(struct tcp_sock *ts, uint64_t now)
{
    if (tcp_rack_detect_loss(ts, now) > 0 && !ts->in_recovery &&
        seq_geq(ts->snd_una, ts->recover) && ts->state != TCP_CLOSED)
        enter_recovery(ts, now);
}

void tcp_rack_timeout(struct tcp_sock *ts, uint64_t now)
{
    if (!tcp_rack_on(ts))
        return;
    bool was = ts->in_recovery;
    rack_check(ts, now);
    if (ts->in_recovery && !was)
        prr_on_ack(ts, ts->smss); /* nothing delivered: PRR's forced first send */
    if (ts->in_recovery || tcp_rack_lost_bytes(ts) > 0)
        tcp_output(ts, now);
}

/* An ACK that acknowledges new data: SND.UNA moves to ack. */
static void new_ack(struct tcp_sock *ts, uint32_t ack, uint64_t now)
{
    uint32_t flight = tcp_flight(ts);
    uint32_t acked = ack - ts->snd_una;
    if (!ts->syn_acked) {
        ts->syn_acked = true;
        acked--;
    }
    ts->bytes_acked += acked;
    uint32_t in_buf = seq_gt(ack, ts->buf_seq) ? ack - ts->buf_seq : 0;
    size_t held = ring_len(&ts->sndbuf);
    if (in_buf > held)
        in_buf = (uint32_t)held; /* the rest is our FIN */
    ring_consume(&ts->sndbuf, in_buf);
    ts->buf_seq += in_buf;
    /* RFC 6298 / Karn: one timed segment at a time. */
    if (ts->rtt_timing && seq_geq(ack, ts->rtt_seq)) {
        tcp_rtt_sample(&ts->rtt, now - ts->rtt_start);
        ts->rtt_timing = false;
    }
    ts->snd_una = ack;
    if (seq_lt(ts->snd_nxt, ack))
        ts->snd_nxt = ack;
    if (seq_lt(ts->high_rxt, ack))
        ts->high_rxt = ack;
    sb_advance(&ts->sb, ack);
    ts->backoff = 0;
    ts->retries = 0;
    ts->probes = 0;

    if (ts->in_recovery) {
        if (seq_geq(ack, ts->recover)) {
            /* RFC 6582 3.2 step 3: a full ACK ends recovery. */
            ts->in_recovery = false;
            tcp_rack_recovery_end(ts);
            ts->dupacks = 0;
            ts->cc.ops->on_recovery_end(&ts->cc, now);
        } else if (!ts->sack_ok) {
            /* Partial ACK (RFC 6582 3.2 step 4): the next hole is the new
             * head; retransmit it, and count the ACKed segments out of
             * the duplicate-ACK estimate of what left the network. */
            uint32_t segs = acked / ts->smss;
            ts->dupacks = ts->dupacks > segs ? ts->dupacks - segs : 0;
            ts->high_rxt = ts->snd_una;
        }
    } else {
        ts->dupacks = 0;
        ts->cc.ops->on_ack(&ts->cc, acked, flight, ts->rtt.valid ? ts->rtt.srtt : 0, now);
    }
    /* RFC 8985 7.4: the probe's episode ends when it is acknowledged; if
     * the probe was a retransmission, it repaired a loss (without D-SACK
     * we cannot tell an original that was only late): the congestion
     * response of a loss, done at once (Linux's CWR). */
    if (ts->tlp_pending && seq_geq(ack, ts->tlp_end)) {
        ts->tlp_pending = false;
        if (ts->tlp_retrans && !ts->in_recovery) {
            ctr_inc(ts->s, CTR_TCP_TLP_RECOVERIES);
            ts->cc.ops->on_loss(&ts->cc, flight, now);
            ts->cc.ops->on_recovery_end(&ts->cc, now);
        }
    }
    /* RFC 6298 5.2, 5.3. */
    if (ts->snd_una == ts->snd_max) {
        tcp_timer_stop(ts, TCP_T_RTX);
        tcp_timer_stop(ts, TCP_T_RACK);
    } else {
        tcp_timer_arm_rtx(ts, now);
    }
    tcp_tlp_arm(ts, now);
    if (in_buf > 0)
        tcp_notify(ts, TCP_EV_WRITABLE);
    if (ts->fin_sent && seq_geq(ack, ts->fin_seq + 1))
        fin_acked(ts, now);
}

/* RFC 7323 4.3 (R3): TS.Recent from a segment covering Last.ACK.sent,
 * and only from an acceptable one (RFC 9293 3.10.7.4 order, as Linux's
 * tcp_replace_ts_recent after tcp_ack): a segment in the window that is
 * then dropped (RST or SYN challenged, no ACK bit, an ACK of data never
 * sent or too old) must not move it, or one forged segment with a TSval
 * far ahead would make every genuine one fail PAWS. */
static void update_ts_recent(struct tcp_sock *ts, const struct tcp_view *t, uint64_t now)
{
    if (ts->ts_ok && t->opt.has_ts && seq_leq(t->seq, ts->last_ack_sent) &&
        seq_geq(t->opt.ts_val, ts->ts_recent)) {
        ts->ts_recent = t->opt.ts_val;
        ts->ts_recent_age = now;
    }
}

/* The fifth check: ACK processing. false = drop the segment. */
static bool ack_segment(struct tcp_sock *ts, const struct tcp_view *t, uint64_t now);

static bool process_ack(struct tcp_sock *ts, const struct tcp_view *t, uint64_t now)
{
    uint32_t prior_una = ts->snd_una;
    uint32_t prior_sacked = ts->sb.sacked;
    bool was_recovering = ts->in_recovery;
    bool prior_synced = ts->state != TCP_SYN_RECEIVED;
    if (!ack_segment(ts, t, now))
        return false;
    if (!prior_synced || ts->state == TCP_CLOSED || ts->zombie)
        return true;
    if (tcp_rack_on(ts)) {
        tcp_rack_on_ack(ts, ts->snd_una, &t->opt, now);
        rack_check(ts, now);
    }
    if (ts->in_recovery) {
        /* RFC 6937: DeliveredData = delta(SND.UNA) + delta(SACKed); without
         * SACK a duplicate ACK stands for one segment. */
        int64_t delivered = (int64_t)(uint32_t)(ts->snd_una - prior_una);
        if (ts->sack_ok)
            delivered += (int64_t)ts->sb.sacked - (int64_t)prior_sacked;
        else if (delivered == 0)
            delivered = ts->smss;
        if (!was_recovering && delivered <= 0)
            delivered = ts->smss; /* the ACK that started recovery */
        prr_on_ack(ts, delivered);
    }
    return true;
}

static bool ack_segment(struct tcp_sock *ts, const struct tcp_view *t, uint64_t now)
{
    struct stack *s = ts->s;
    uint32_t ack = t->ack;
    if (ts->state == TCP_SYN_RECEIVED) {
        if (!seq_between(ack, ts->snd_una + 1, ts->snd_max + 1)) {
            /* <SEQ=SEG.ACK><CTL=RST> */
            struct tcp_emit_args a = {.sport = ts->t.lport, .dport = ts->t.rport,
                                      .seq = ack, .flags = TCP_FLAG_RST};
            /* RFC 7323 3.2: with the timestamps the SYN agreed on. */
            struct tcp_options o = {.has_ts = ts->ts_ok, .ts_val = tcp_ts_now(ts, now),
                                    .ts_ecr = ts->ts_recent};
            if (tcp_output_bare(s, &ts->t.laddr, &ts->t.raddr, &a, ts->ts_ok ? &o : NULL,
                                now) == 0)
                ctr_inc(s, CTR_TCP_TX_RSTS);
            return false;
        }
        struct tcp_sock *l = ts->parent;
        if (l != NULL && l->n_acceptq >= l->backlog) {
            /* Linux: drop the ACK, stay in SYN-RECEIVED; the SYN-ACK is
             * resent and the next ACK may find room. */
            ctr_inc(s, CTR_TCP_LISTEN_OVERFLOWS);
            return false;
        }
        update_ts_recent(ts, t, now);
        ts->snd_wnd = (uint32_t)t->window << ts->snd_wscale;
        ts->max_snd_wnd = ts->snd_wnd;
        ts->snd_wl1 = t->seq;
        ts->snd_wl2 = ack;
        tcp_set_state(ts, TCP_ESTABLISHED, now);
        tcp_keepalive_reset(ts, now);
        syn_timeout_rto(ts);
        new_ack(ts, ack, now);
        if (l != NULL)
            tcp_child_established(ts);
        else
            tcp_notify(ts, TCP_EV_CONNECTED | TCP_EV_WRITABLE);
        return true;
    }
    if (seq_gt(ack, ts->snd_max)) {
        /* RFC 9293: "If the ACK acks something not yet sent (SEG.ACK >
         * SND.NXT) then send an ACK, drop the segment". */
        ctr_inc(s, CTR_TCP_RX_DROP_ACK_UNSENT);
        challenge_ack(ts, now);
        return false;
    }
    if (seq_lt(ack, ts->snd_una - ts->max_snd_wnd)) {
        /* RFC 5961 5.2: too old to be a duplicate: a blind injection. */
        ctr_inc(s, CTR_TCP_RX_DROP_OLD_ACK);
        challenge_ack(ts, now);
        return false;
    }
    update_ts_recent(ts, t, now);
    uint32_t newly_sacked = 0;
    if (ts->sack_ok && t->opt.n_sack > 0) {
        uint32_t bad = 0;
        newly_sacked = sb_update(&ts->sb, ts->snd_una, ts->snd_max, t->opt.sack, t->opt.n_sack,
                                 &bad);
        ctr_add(s, CTR_TCP_RX_SACK_BAD_BLOCKS, bad);
    }
    uint32_t wnd = (uint32_t)t->window << ts->snd_wscale;
    bool window_changed = wnd != ts->snd_wnd;
    /* RFC 9293 3.10.7.4: update the send window only from a newer
     * segment (SND.WL1/WL2), so an old one cannot shrink it. */
    if (seq_lt(ts->snd_wl1, t->seq) || (ts->snd_wl1 == t->seq && seq_leq(ts->snd_wl2, ack))) {
        ts->snd_wnd = wnd;
        ts->snd_wl1 = t->seq;
        ts->snd_wl2 = ack;
        if (wnd > ts->max_snd_wnd)
            ts->max_snd_wnd = wnd;
        if (wnd > 0) {
            tcp_timer_stop(ts, TCP_T_PERSIST);
            ts->persist_backoff = 0;
        }
    }
    /* The peer answers: probes (persist or keepalive) are not going
     * unanswered, whatever the window says (RFC 1122 4.2.2.17: keep
     * probing a zero window as long as the receiver answers). */
    ts->probes = 0;
    if (seq_gt(ack, ts->snd_una)) {
        new_ack(ts, ack, now);
        return true;
    }
    /* ack == SND.UNA or a little older: a duplicate (RFC 5681 2: no
     * data, no SYN/FIN, same window, data outstanding). */
    bool dup = ack == ts->snd_una && t->payload_len == 0 &&
               !(t->flags & (TCP_FLAG_SYN | TCP_FLAG_FIN)) && !window_changed &&
               ts->snd_max != ts->snd_una;
    if (!dup && !(ts->sack_ok && newly_sacked > 0 && ack == ts->snd_una))
        return true;
    if (ts->in_recovery) {
        if (!ts->sack_ok)
            ts->dupacks++; /* one more segment left the network */
        return true;
    }
    ts->dupacks++;
    if (tcp_rack_on(ts))
        return true; /* RFC 8985: RACK decides (process_ack) */
    bool lost = ts->dupacks >= TCP_DUPTHRESH ||
                (ts->sack_ok && sb_is_lost(&ts->sb, ts->snd_una, ts->smss));
    /* RFC 6582 3.2 step 1: not for data sent before the last timeout. */
    if (lost && seq_gt(ack, ts->recover - 1) && ts->state != TCP_CLOSED)
        enter_recovery(ts, now);
    return true;
}

static void process_fin(struct tcp_sock *ts, uint64_t now)
{
    ts->rcv_nxt++;
    ts->fin_rcvd = true;
    ts->fin_pending = false;
    tcp_notify(ts, TCP_EV_READABLE);
    switch (ts->state) {
    case TCP_SYN_RECEIVED:
    case TCP_ESTABLISHED:
        /* RFC 9293: "send an acknowledgment for the FIN" -- within the
         * delayed-ACK time (RFC 1122 4.2.3.2), as Linux does in its
         * "pingpong" mode: an application that closes as soon as it reads
         * the end of file sends its FIN with this ACK, one segment (and
         * one wake-up of the peer) less per connection. */
        if (ts->timer[TCP_T_DELACK] == 0)
            tcp_timer_set(ts, TCP_T_DELACK, now + ts->s->cfg.tcp.delack_ns);
        ts->pingpong = true; /* Linux tcp_fin: inet_csk_enter_pingpong_mode */
        tcp_set_state(ts, TCP_CLOSE_WAIT, now);
        break;
    case TCP_FIN_WAIT_1:
        ts->ack_now = true;
        /* Our FIN acked already is handled in new_ack (FIN-WAIT-2). */
        tcp_set_state(ts, TCP_CLOSING, now);
        break;
    case TCP_FIN_WAIT_2:
        ts->ack_now = true;
        tcp_set_state(ts, TCP_TIME_WAIT, now);
        break;
    default:
        ts->ack_now = true;
        break;
    }
}

/* Linux tcp_event_data_recv / tcp_incr_quickack: at the first data of a
 * connection, and after the peer sent none for longer than the RTO (its
 * slow start begins again), the next ACKs go at once: up to
 * TCP_MAX_QUICKACKS, and no more than half the window's segments. */
static void quickack_on_data(struct tcp_sock *ts, uint64_t now)
{
    if (!ts->data_rcvd || now - ts->last_data_recv > ts->rtt.rto) {
        uint32_t mss = ts->rcv_mss_est > 0 ? ts->rcv_mss_est : ts->rmss;
        uint32_t n = mss > 0 ? tcp_rcv_window(ts) / (2 * mss) : 0;
        if (n < 2)
            n = 2;
        if (n > TCP_MAX_QUICKACKS)
            n = TCP_MAX_QUICKACKS;
        if (n > ts->quickacks)
            ts->quickacks = (uint8_t)n;
    }
    ts->data_rcvd = true;
    ts->last_data_recv = now;
}

/* The seventh check: segment text. seq is at or past RCV.NXT (trimmed). */
static void process_data(struct tcp_sock *ts, uint32_t seq, const uint8_t *data, uint32_t len,
                         bool fin, uint64_t now)
{
    struct stack *s = ts->s;
    const struct stack_tcp_config *c = &s->cfg.tcp;
    uint32_t off = seq - ts->rcv_nxt;
    /* Never past the buffer, whatever the window said. */
    size_t space = ring_space(&ts->rcvbuf);
    if (off >= space) {
        ts->ack_now = true;
        ctr_inc(s, CTR_TCP_RX_DROP_OUT_OF_WINDOW);
        return;
    }
    if (len > space - off) {
        len = (uint32_t)(space - off);
        fin = false;
    }
    if (off > 0) {
        /* Out of order: keep it in the ring's free space, remember the
         * range, and send a duplicate ACK at once (RFC 5681 4.2, 3.2). */
        ts->ack_now = true;
        if (len > 0) {
            /* Memory for it first: the assembler must only name bytes
             * the ring really holds. */
            if (ring_reserve(&ts->rcvbuf, ring_len(&ts->rcvbuf) + off + len) != 0) {
                ctr_inc(s, CTR_TCP_RX_DROP_NO_MEMORY);
                return;
            }
            if (asm_add(&ts->ooo, off, len) != 0) {
                ctr_inc(s, CTR_TCP_RX_DROP_OOO_FULL);
                return;
            }
            ring_write_at(&ts->rcvbuf, off, data, len);
            ctr_inc(s, CTR_TCP_RX_OUT_OF_ORDER);
        }
        if (fin) {
            ts->fin_pending = true;
            ts->fin_pending_seq = seq + len;
        }
        return;
    }
    if (len > 0) {
        size_t w = ring_write(&ts->rcvbuf, data, len);
        ts->rcv_nxt += (uint32_t)w;
        ts->bytes_received += w;
        ctr_add(s, CTR_TCP_RX_DATA_BYTES, w);
        uint32_t more = asm_advance(&ts->ooo, (uint32_t)w);
        if (more > 0) {
            ring_commit(&ts->rcvbuf, more);
            ts->rcv_nxt += more;
            ts->bytes_received += more;
            ctr_add(s, CTR_TCP_RX_DATA_BYTES, more);
            ts->ack_now = true; /* RFC 5681 4.2: a hole was filled */
        }
        tcp_notify(ts, TCP_EV_READABLE);
        /* "Full" is the largest segment the peer sends (its MSS less
         * its options), as Linux estimates rcv_mss. */
        if (len > ts->rcv_mss_est)
            ts->rcv_mss_est = len < ts->rmss ? len : ts->rmss;
        if (len >= ts->rcv_mss_est)
            ts->segs_unacked += len / ts->rcv_mss_est; /* a GSO packet is many */
        quickack_on_data(ts, now);
    }
    if (fin)
        process_fin(ts, now);
    else if (ts->fin_pending && ts->fin_pending_seq == ts->rcv_nxt)
        process_fin(ts, now);
    if (len > 0) {
        /* RFC 1122 4.2.3.2 / RFC 5681 4.2: ACK at least every second
         * full segment, and within the delayed-ACK timeout; at once in
         * quickack mode (unless the FIN just made the exchange
         * interactive: its ACK rides on our answer, as on Linux). */
        if (ts->segs_unacked >= c->delack_segs || !asm_empty(&ts->ooo) ||
            (ts->quickacks > 0 && !ts->pingpong))
            ts->ack_now = true;
        else if (ts->timer[TCP_T_DELACK] == 0)
            tcp_timer_set(ts, TCP_T_DELACK, now + c->delack_ns);
    }
}

/* TIME-WAIT and a new SYN (RFC 9293 3.10.7.4 via RFC 1122 4.2.2.13 and
 * RFC 6191): a SYN above the old connection's sequence space (or with a
 * newer timestamp) may start a new incarnation. */
static bool timewait_reusable(const struct tcp_sock *ts, const struct tcp_view *t)
{
    if (!(t->flags & TCP_FLAG_SYN) || (t->flags & (TCP_FLAG_ACK | TCP_FLAG_RST)))
        return false;
    if (ts->ts_ok && t->opt.has_ts)
        return seq_gt(t->opt.ts_val, ts->ts_recent);
    return seq_gt(t->seq, ts->rcv_nxt);
}

/* Linux tcp_oow_rate_limited (tcp_invalid_ratelimit, 500 ms): a bare
 * segment outside the window or failing PAWS is answered with an ACK at
 * most twice a second per connection, so two confused ends (or a forger)
 * cannot keep an ACK storm going. Segments with data are always answered:
 * their ACK may be what the sender's recovery waits for. */
#define TCP_OOW_ACK_INTERVAL_NS (500 * NS_PER_MS)

static bool oow_rate_limited(struct tcp_sock *ts, const struct tcp_view *t, uint64_t now)
{
    if (t->payload_len > 0 || (t->flags & (TCP_FLAG_SYN | TCP_FLAG_FIN)))
        return false;
    if (ts->last_oow_ack != 0 && now - ts->last_oow_ack < TCP_OOW_ACK_INTERVAL_NS) {
        ctr_inc(ts->s, CTR_TCP_OOW_ACK_LIMITED);
        return true;
    }
    ts->last_oow_ack = now;
    return false;
}

static void sync_input(struct tcp_sock *ts, const struct tcp_view *t, uint64_t now)
{
    struct stack *s = ts->s;
    ts->segs_in++;
    if (t->payload_len > 0)
        ts->data_segs_in++;
    uint32_t seq = t->seq;
    uint32_t seglen = tcp_seg_len(t);
    const uint8_t *data = t->payload;
    uint32_t len = (uint32_t)t->payload_len;
    bool syn = (t->flags & TCP_FLAG_SYN) != 0;
    bool fin = (t->flags & TCP_FLAG_FIN) != 0;

    /* RFC 7323 5.3 (PAWS): a timestamp older than TS.Recent marks an
     * old duplicate; unless TS.Recent is over 24 days old. */
    if (ts->ts_ok && t->opt.has_ts && !(t->flags & TCP_FLAG_RST) &&
        seq_lt(t->opt.ts_val, ts->ts_recent)) {
        if (now - ts->ts_recent_age < TCP_PAWS_24DAYS_MS * 1000000ull) {
            ctr_inc(s, CTR_TCP_RX_DROP_PAWS);
            if (oow_rate_limited(ts, t, now))
                return;
            ts->ack_now = true;
            tcp_output(ts, now);
            return;
        }
        ts->ts_recent = t->opt.ts_val;
    }

    /* Simultaneous open (RFC 9293 3.5 figure 8, line 6 on the other
     * side): in SYN-RECEIVED without a listener, the peer's SYN-ACK for
     * our SYN completes the handshake. Its SYN is old news (RCV.NXT is
     * past it), so it skips the checks below, as in Linux's
     * tcp_validate_incoming. */
    if (ts->state == TCP_SYN_RECEIVED && ts->parent == NULL &&
        (t->flags & (TCP_FLAG_SYN | TCP_FLAG_ACK | TCP_FLAG_RST)) == (TCP_FLAG_SYN | TCP_FLAG_ACK) &&
        seq == ts->irs && t->ack == ts->snd_max && len == 0) {
        ts->last_recv = now;
        if (process_ack(ts, t, now))
            tcp_output(ts, now);
        return;
    }
    /* SYN-RECEIVED: the peer resent its SYN, so our SYN-ACK was lost:
     * send it again (Linux tcp_check_req). Its sequence number is below
     * RCV.NXT, so the first check would only ACK it, with a sequence
     * number the peer cannot accept before our SYN. */
    if (ts->state == TCP_SYN_RECEIVED && (t->flags & (TCP_FLAG_SYN | TCP_FLAG_ACK | TCP_FLAG_RST |
                                                    TCP_FLAG_FIN)) == TCP_FLAG_SYN &&
        seq == ts->irs) {
        tcp_send_syn(ts, now);
        return;
    }

    /* First check: sequence number. */
    if (!acceptable(ts, seq, seglen)) {
        if (ts->state == TCP_TIME_WAIT && fin)
            tcp_timer_set(ts, TCP_T_LINGER, now + s->cfg.tcp.time_wait_ns);
        if (!(t->flags & TCP_FLAG_RST)) {
            ctr_inc(s, seglen > 0 && seq_lt(seq + seglen, ts->rcv_nxt + 1) ? CTR_TCP_RX_DUP_DATA
                                                                     : CTR_TCP_RX_DROP_OUT_OF_WINDOW);
            if (oow_rate_limited(ts, t, now))
                return;
            ts->ack_now = true;
            if (ts->state == TCP_TIME_WAIT)
                tcp_send_ack(ts, now);
            else
                tcp_output(ts, now);
        } else {
            ctr_inc(s, CTR_TCP_RX_RST_IGNORED);
        }
        return;
    }
    /* Second check: RST (RFC 5961 3.2). */
    if (t->flags & TCP_FLAG_RST) {
        if (seq == ts->rcv_nxt)
            reset_by_peer(ts, now);
        else
            challenge_ack(ts, now);
        return;
    }
    /* Fourth check: SYN (RFC 5961 4.2: challenge, never reset). */
    if (syn) {
        challenge_ack(ts, now);
        return;
    }
    /* Fifth check: "if the ACK bit is off drop the segment". */
    if (!(t->flags & TCP_FLAG_ACK)) {
        ctr_inc(s, CTR_TCP_RX_DROP_BAD_FLAGS);
        return;
    }
    ts->last_recv = now;
    ts->last_ack_recv = now;
    if (ts->keepalive && ts->timer[TCP_T_KEEPALIVE] != 0)
        tcp_keepalive_reset(ts, now);
    if (!process_ack(ts, t, now))
        return;
    if (ts->state == TCP_CLOSED || ts->zombie)
        return;
    if (ts->state == TCP_TIME_WAIT) {
        if (fin) {
            /* A retransmitted FIN: ACK it and restart 2*MSL. */
            ts->ack_now = true;
            tcp_send_ack(ts, now);
            tcp_timer_set(ts, TCP_T_LINGER, now + s->cfg.tcp.time_wait_ns);
        } else if (len > 0) {
            /* RFC 9293: "Ignore the segment text"; as Linux's
             * tcp_timewait_state_process, say so with an ACK, so a peer
             * that lost our last ACK learns where we are. */
            tcp_send_ack(ts, now);
        }
        return;
    }

    /* Sixth check: URG. Urgent data is delivered inline (RFC 6093); the
     * pointer is never used as an index. */
    if (t->flags & TCP_FLAG_URG)
        ctr_inc(s, CTR_TCP_RX_URGENT);

    /* Seventh and eighth: text and FIN, only where the peer may still
     * send. Trim what we have already. */
    bool may_receive = ts->state == TCP_ESTABLISHED || ts->state == TCP_FIN_WAIT_1 ||
                       ts->state == TCP_FIN_WAIT_2 || ts->state == TCP_SYN_RECEIVED;
    if (len > 0)
        ctr_inc(s, CTR_TCP_RX_DATA_SEGS);
    /* New data for a connection its application closed (or shut both
     * ways) can never be read: say so with a RST rather than take it, as
     * Linux's tcp_rcv_state_process does with RCV_SHUTDOWN in FIN-WAIT-1/2
     * (TCPAbortOnData; RFC 1122 4.2.2.13 and RFC 9293 3.10.4 "CLOSE":
     * the user can receive no more); otherwise a sender would fill the
     * window and probe it until the FIN-WAIT-2 timeout. A FIN queued
     * behind data the peer's window holds back leaves us ESTABLISHED
     * here, where Linux is in FIN-WAIT-1 already: the same. */
    bool closed_for_reading = ts->orphan || (ts->rd_shut && ts->fin_queued);
    bool fin_wait = ts->state == TCP_FIN_WAIT_1 || ts->state == TCP_FIN_WAIT_2 ||
                    (ts->state == TCP_ESTABLISHED && ts->fin_queued);
    if (closed_for_reading && fin_wait && len > 0 && seq_gt(seq + len, ts->rcv_nxt)) {
        ctr_inc(s, CTR_TCP_ABORT_ON_DATA);
        tcp_send_rst(ts, now);
        tcp_done(ts, ts->orphan ? 0 : ECONNRESET, now);
        return;
    }
    if (may_receive && !ts->fin_rcvd && (len > 0 || fin)) {
        if (seq_lt(seq, ts->rcv_nxt)) {
            uint32_t skip = ts->rcv_nxt - seq;
            if (skip >= len) {
                /* All the text is old; only a FIN can be new. */
                if (!(fin && seq + len == ts->rcv_nxt)) {
                    ctr_inc(s, CTR_TCP_RX_DUP_DATA);
                    ts->ack_now = true;
                    tcp_output(ts, now);
                    return;
                }
                data += len;
                len = 0;
            } else {
                data += skip;
                len -= skip;
            }
            seq = ts->rcv_nxt;
        }
        /* After SHUT_RD alone the data is still taken and stays readable
         * until the application has it all, then reads see end of file
         * (Linux: RCV_SHUTDOWN only stops tcp_recvmsg at an empty queue;
         * issue 12 item 8). */
        process_data(ts, seq, data, len, fin, now);
    }
    tcp_output(ts, now);
}

void tcp_input(struct stack *s, const struct ip_rx *rx, uint64_t now)
{
    struct tcp_view t;

    ctr_inc(s, CTR_TCP_RX_SEGS);
    int err = (s->rx_flags & STACK_RX_CSUM_OK)
                  ? tcp_parse_nocsum(rx->payload, rx->len, &t)
                  : tcp_parse(rx->payload, rx->len, &rx->src, &rx->dst, &t);
    if (err != WIRE_OK) {
        count_parse_error(s, err);
        return;
    }
    if (bad_endpoints(rx, &t)) {
        ctr_inc(s, CTR_TCP_RX_DROP_BAD_ADDR);
        return;
    }
    struct tcp_tuple tu = {.laddr = rx->dst, .raddr = rx->src, .lport = t.dport, .rport = t.sport};
    struct tcp_sock *ts = tcp_lookup(s, &tu);
    if (ts != NULL && ts->state == TCP_TIME_WAIT && timewait_reusable(ts, &t)) {
        ctr_inc(s, CTR_TCP_TIMEWAIT_REUSED);
        s->tcp->depth++;
        tcp_set_state(ts, TCP_CLOSED, now);
        s->tcp->depth--;
        tcp_reap(s);
        ts = tcp_lookup(s, &tu);
    }
    if (ts == NULL) {
        ctr_inc(s, CTR_TCP_RX_NO_SOCKET);
        reply_rst(s, rx, &t, now);
        return;
    }
    s->tcp->depth++;
    struct tcp_sock *listener = NULL;
    if (ts->state == TCP_LISTEN) {
        listener = ts;
        ts = listen_input(ts, rx, &t, &tu, now);
        if (ts != NULL)
            sync_input(ts, &t, now); /* a cookie ACK may carry data */
    } else if (ts->state == TCP_SYN_SENT) {
        ts->segs_in++;
        syn_sent_input(ts, rx, &t, now);
    } else {
        struct tcp_sock *parent = ts->parent;
        sync_input(ts, &t, now);
        if (parent != NULL && !parent->zombie)
            listener = parent;
    }
    if (ts != NULL)
        tcp_flush_events(ts);
    if (listener != NULL)
        tcp_flush_events(listener);
    s->tcp->depth--;
    tcp_reap(s);
}

/* An ICMP error (or our own ARP failure) about a segment we sent, as
 * Linux's tcp_v4_err: the quoted sequence number must lie in SND.UNA ..
 * SND.NXT (RFC 5927 4.1, against blind attacks); a connection attempt
 * fails at once with the error (RFC 1122 4.2.3.9 allows aborting on
 * "hard" errors; Linux does it in SYN-SENT), later the error is only
 * remembered and reported if the connection times out. */
void tcp_error(struct stack *s, const struct ip_addr *src, const struct ip_addr *dst,
               uint16_t sport, uint16_t dport, int err, const uint8_t *l4, size_t l4_len,
               bool local)
{
    if (s->tcp == NULL || l4 == NULL || l4_len < 8)
        return;
    struct tcp_tuple tu = {.laddr = *src, .raddr = *dst, .lport = sport, .rport = dport};
    struct tcp_sock *ts = tcp_lookup(s, &tu);
    if (ts == NULL || ts->state == TCP_LISTEN || ts->state == TCP_TIME_WAIT)
        return;
    uint32_t seq = rd32(l4 + 4);
    if (!local && !seq_between(seq, ts->snd_una, ts->snd_max + 1))
        return;
    if (err == EMSGSIZE) {
        /* Packet Too Big (RFC 8201 4) or fragmentation needed (RFC 1191;
         * core/icmp*.c lowered the path MTU already): send smaller
         * segments from now on; the lost one goes again, cut to the new
         * MSS, at the retransmission timeout. Never an error for the
         * socket. */
        if (ts->state != TCP_SYN_SENT)
            tcp_update_mss(ts);
        return;
    }
    s->tcp->depth++;
    if (ts->state == TCP_SYN_SENT) {
        ctr_inc(s, CTR_TCP_ATTEMPT_FAILS);
        tcp_done(ts, err, 0);
    } else {
        ts->soft_error = err;
    }
    tcp_flush_events(ts);
    s->tcp->depth--;
    tcp_reap(s);
}
