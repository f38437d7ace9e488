/* tcp_rack.c - time-based loss detection and the tail loss probe (RACK-TLP,
 * RFC 8985), and the transmission log they need.
 *
 * The log holds one record per transmitted range of [SND.UNA, SND.MAX):
 * its last transmission time and whether it was retransmitted, SACKed or
 * deemed lost. Records are sorted by sequence number and contiguous; a
 * retransmission or a SACK edge inside a record splits it. A record covers
 * what one tcp_output step sent (one segment, or a TSO super-segment), so
 * the log is as long as the flight in segments; it is capped, and past the
 * cap new data extends the last record (its time stays the older one: loss
 * is then found later, never wrongly). It is freed whenever nothing is in
 * flight, so idle connections hold no log.
 *
 * RACK (RFC 8985 6): a segment is lost when a segment sent after it was
 * delivered (cumulatively acknowledged or SACKed) and more than RACK.rtt +
 * RACK.reo_wnd has passed since it was sent. TLP (RFC 8985 7): with data
 * in flight and no recovery under way, if no ACK comes within about two
 * round trips, send one probe (new data, or the last segment again) so that
 * a lost tail is reported by SACK and repaired by fast recovery, not by the
 * retransmission timeout. */
#include <stdlib.h>
#include <string.h>

#include "stack/sock/tcp_impl.h"

#define TXLOG_INIT 16
#define TXLOG_MAX 4096           /* records per connection, at most */
#define TCP_WCDELACK_NS (200ull * NS_PER_MS) /* RFC 8985 7.2 WCDelAckT */
#define TCP_TLP_MIN_EXTRA_NS (2ull * NS_PER_MS) /* RFC 8985 7.2: PTO += 2 ms */

void tcp_txlog_free(struct tcp_txlog *l)
{
    free(l->r);
    memset(l, 0, sizeof *l);
}

void tcp_txlog_clear_marks(struct tcp_txlog *l)
{
    for (uint32_t i = l->lo; i < l->hi; i++)
        l->r[i].flags &= (uint8_t)~(TXR_SACKED | TXR_LOST);
}

static uint32_t txlog_len(const struct tcp_txlog *l)
{
    return l->hi - l->lo;
}

/* Room for one more record at the end; false if the log is at its cap. */
static bool txlog_reserve(struct tcp_txlog *l)
{
    if (l->hi < l->cap)
        return true;
    if (l->lo > 0) {
        memmove(l->r, l->r + l->lo, (size_t)txlog_len(l) * sizeof *l->r);
        l->hi -= l->lo;
        l->lo = 0;
        if (l->hi < l->cap)
            return true;
    }
    if (l->cap >= TXLOG_MAX)
        return false;
    uint32_t cap = l->cap == 0 ? TXLOG_INIT : l->cap * 2;
    struct tcp_txrec *r = realloc(l->r, (size_t)cap * sizeof *r);
    if (r == NULL)
        return false;
    l->r = r;
    l->cap = cap;
    return true;
}

/* Split the record holding seq (strictly inside it) in two at seq. */
static void txlog_split(struct tcp_txlog *l, uint32_t seq)
{
    for (uint32_t i = l->lo; i < l->hi; i++) {
        struct tcp_txrec *x = &l->r[i];
        if (!seq_lt(x->seq, seq) || !seq_lt(seq, x->end))
            continue;
        uint32_t k = i - l->lo;
        if (!txlog_reserve(l))
            return; /* keep it whole: coarser, still correct */
        i = l->lo + k; /* the records may have moved */
        memmove(&l->r[i + 1], &l->r[i], (size_t)(l->hi - i) * sizeof *l->r);
        l->hi++;
        l->r[i].end = seq;
        l->r[i + 1].seq = seq;
        return;
    }
}

void tcp_txlog_sent(struct tcp_sock *ts, uint32_t seq, uint32_t end, uint64_t now)
{
    struct tcp_txlog *l = &ts->txlog;
    if (!seq_lt(seq, end))
        return;
    uint32_t last = txlog_len(l) > 0 ? l->r[l->hi - 1].end : seq;
    if (seq_lt(seq, last)) {
        /* A retransmission (maybe running into new data). */
        uint32_t rend = seq_lt(end, last) ? end : last;
        txlog_split(l, seq);
        txlog_split(l, rend);
        uint32_t txn = ++ts->tx_count;
        for (uint32_t i = l->lo; i < l->hi; i++) {
            struct tcp_txrec *x = &l->r[i];
            if (seq_leq(seq, x->seq) && seq_leq(x->end, rend)) {
                x->xmit = now;
                x->txn = txn;
                x->flags = (uint8_t)((x->flags | TXR_RETRANS) & ~TXR_LOST);
            }
        }
        seq = rend;
        if (!seq_lt(seq, end))
            return;
    }
    if (txlog_len(l) > 0 && seq != l->r[l->hi - 1].end) {
        /* A gap (cannot happen: transmissions are contiguous); start over
         * rather than keep a log with holes. */
        l->lo = l->hi = 0;
    }
    if (!txlog_reserve(l)) {
        l->r[l->hi - 1].end = end; /* at the cap: the last record grows */
        return;
    }
    struct tcp_txrec *x = &l->r[l->hi++];
    x->seq = seq;
    x->end = end;
    x->xmit = now;
    x->txn = ++ts->tx_count;
    x->flags = 0;
}

/* RFC 8985 6.2 RACK_sent_after(t1, seq1, t2, seq2), with the order of
 * transmission breaking a tie of times rather than the sequence number: a
 * retransmission and new data sent in one instant are ordered as sent. */
static bool sent_after(uint64_t t1, uint32_t n1, uint64_t t2, uint32_t n2)
{
    return t1 > t2 || (t1 == t2 && seq_gt(n1, n2));
}

/* A record was delivered (cumulatively ACKed or SACKed) by this ACK:
 * RFC 8985 6.2 steps 1-3 (RACK.xmit_ts, end_seq, rtt; reordering). */
static void rack_delivered(struct tcp_sock *ts, const struct tcp_txrec *x,
                           const struct tcp_options *o, uint64_t now)
{
    uint64_t rtt = now > x->xmit ? now - x->xmit : 0;
    /* A retransmission whose ACK echoes an older timestamp than the
     * retransmission's was answered by the original: the "loss" was
     * reordering (RFC 3522's test). RFC 8985 6.2 step 4 widens the
     * reordering window on such evidence (D-SACK there; timestamps here,
     * which our peers send without D-SACK). */
    if ((x->flags & TXR_RETRANS) && ts->ts_ok && o != NULL && o->has_ts &&
        seq_lt(o->ts_ecr, tcp_ts_now(ts, x->xmit))) {
        ts->rack_reordering = true;
        if (ts->rack_reo_mult < 16)
            ts->rack_reo_mult++;
        ts->rack_reo_persist = 16;
    }
    /* Step 2: a retransmitted segment's ACK may be for the original: use
     * it only if the RTT cannot be the original's (Linux: < min_rtt). */
    if ((x->flags & TXR_RETRANS) && ts->rtt.valid && rtt < ts->rtt.min_rtt)
        return;
    if (ts->rack_valid && !(x->flags & TXR_RETRANS) && seq_lt(x->end, ts->rack_fack))
        ts->rack_reordering = true; /* 6.2 step 3: delivered out of order */
    if (!ts->rack_valid || seq_gt(x->end, ts->rack_fack))
        ts->rack_fack = x->end;
    if (!ts->rack_valid || sent_after(x->xmit, x->txn, ts->rack_xmit, ts->rack_txn)) {
        ts->rack_valid = true;
        ts->rack_rtt = rtt;
        ts->rack_xmit = x->xmit;
        ts->rack_txn = x->txn;
    }
}

void tcp_rack_on_ack(struct tcp_sock *ts, uint32_t ack, const struct tcp_options *o,
                     uint64_t now)
{
    struct tcp_txlog *l = &ts->txlog;
    /* SACK edges inside records: split so a record is all or nothing. */
    if (ts->sb.n > 0) {
        for (uint32_t b = 0; b < ts->sb.n; b++) {
            txlog_split(l, ts->sb.r[b].left);
            txlog_split(l, ts->sb.r[b].right);
        }
    }
    txlog_split(l, ack);
    /* Cumulatively acknowledged records leave the log. */
    while (txlog_len(l) > 0 && seq_leq(l->r[l->lo].end, ack)) {
        struct tcp_txrec *x = &l->r[l->lo];
        if (!(x->flags & TXR_SACKED))
            rack_delivered(ts, x, o, now);
        l->lo++;
    }
    if (txlog_len(l) == 0) {
        /* Nothing in flight: give the memory back (an idle connection
         * holds none; the next send allocates again). */
        tcp_txlog_free(l);
        return;
    }
    /* Newly SACKed ones stay, marked. */
    for (uint32_t i = l->lo; i < l->hi && ts->sb.n > 0; i++) {
        struct tcp_txrec *x = &l->r[i];
        if ((x->flags & TXR_SACKED) || !sb_is_sacked(&ts->sb, x->seq) ||
            !sb_is_sacked(&ts->sb, x->end - 1))
            continue;
        x->flags = (uint8_t)((x->flags | TXR_SACKED) & ~TXR_LOST);
        rack_delivered(ts, x, o, now);
    }
}

/* RFC 8985 6.2 step 4: the reordering window. Without reordering seen, 0
 * in recovery or once DupThresh segments are SACKed (behave as the
 * DupThresh rule); else a quarter of the minimum RTT, at most SRTT. */
static uint64_t rack_reo_wnd(const struct tcp_sock *ts)
{
    if (!ts->rack_reordering) {
        if (ts->in_recovery)
            return 0;
        if (ts->sb.sacked >= (uint32_t)TCP_DUPTHRESH * ts->smss)
            return 0;
    }
    uint64_t mult = ts->rack_reo_mult > 0 ? ts->rack_reo_mult : 1;
    uint64_t w = ts->rtt.valid ? mult * ts->rtt.min_rtt / 4 : 0;
    if (ts->rtt.valid && w > ts->rtt.srtt)
        w = ts->rtt.srtt;
    return w;
}

void tcp_rack_recovery_end(struct tcp_sock *ts)
{
    if (ts->rack_reo_persist > 0 && --ts->rack_reo_persist == 0)
        ts->rack_reo_mult = 1;
}

uint32_t tcp_rack_detect_loss(struct tcp_sock *ts, uint64_t now)
{
    if (!ts->rack_valid)
        return 0;
    struct tcp_txlog *l = &ts->txlog;
    uint64_t reo = rack_reo_wnd(ts);
    uint64_t wait = 0;
    uint32_t newly = 0;
    for (uint32_t i = l->lo; i < l->hi; i++) {
        struct tcp_txrec *x = &l->r[i];
        if (x->flags & (TXR_SACKED | TXR_LOST))
            continue;
        /* Step 5: only segments sent before the one most recently
         * delivered can be judged. */
        if (sent_after(x->xmit, x->txn, ts->rack_xmit, ts->rack_txn))
            continue;
        uint64_t deadline = x->xmit + ts->rack_rtt + reo;
        if (deadline <= now) {
            x->flags |= TXR_LOST;
            newly++;
            ctr_inc(ts->s, CTR_TCP_RACK_LOST);
        } else if (deadline - now > wait) {
            wait = deadline - now;
        }
    }
    /* RFC 8985 6.3: the reordering timer for the rest. */
    if (wait > 0)
        tcp_timer_set(ts, TCP_T_RACK, now + wait);
    else
        tcp_timer_stop(ts, TCP_T_RACK);
    return newly;
}

uint32_t tcp_rack_next_lost(const struct tcp_sock *ts, uint32_t *seq)
{
    const struct tcp_txlog *l = &ts->txlog;
    for (uint32_t i = l->lo; i < l->hi; i++) {
        const struct tcp_txrec *x = &l->r[i];
        if ((x->flags & (TXR_LOST | TXR_SACKED)) != TXR_LOST)
            continue;
        *seq = x->seq;
        uint32_t len = x->end - x->seq;
        return len < ts->smss ? len : ts->smss;
    }
    return 0;
}

uint32_t tcp_rack_pipe(const struct tcp_sock *ts)
{
    /* In flight: neither SACKed nor deemed lost (a lost segment counts
     * again once retransmitted, which clears the mark). */
    const struct tcp_txlog *l = &ts->txlog;
    uint32_t pipe = 0;
    for (uint32_t i = l->lo; i < l->hi; i++)
        if (!(l->r[i].flags & (TXR_SACKED | TXR_LOST)))
            pipe += l->r[i].end - l->r[i].seq;
    return pipe;
}

uint32_t tcp_rack_lost_bytes(const struct tcp_sock *ts)
{
    const struct tcp_txlog *l = &ts->txlog;
    uint32_t lost = 0;
    for (uint32_t i = l->lo; i < l->hi; i++)
        if ((l->r[i].flags & (TXR_SACKED | TXR_LOST)) == TXR_LOST)
            lost += l->r[i].end - l->r[i].seq;
    return lost;
}

/* ---- TLP (RFC 8985 7) ---- */

static bool tlp_states(enum tcp_state st)
{
    return st == TCP_ESTABLISHED || st == TCP_CLOSE_WAIT || st == TCP_FIN_WAIT_1 ||
           st == TCP_CLOSING || st == TCP_LAST_ACK;
}

void tcp_tlp_arm(struct tcp_sock *ts, uint64_t now)
{
    const struct stack_tcp_config *c = &ts->s->cfg.tcp;
    uint32_t flight = tcp_flight(ts);
    /* 7.2: only with SACK, data in flight, no recovery (fast or after a
     * timeout), and one probe at a time. */
    if (!c->tlp || !ts->sack_ok || flight == 0 || ts->in_recovery || ts->backoff > 0 ||
        ts->tlp_pending || !tlp_states(ts->state) || seq_lt(ts->snd_nxt, ts->snd_max)) {
        tcp_timer_stop(ts, TCP_T_TLP);
        return;
    }
    uint64_t pto;
    if (ts->rtt.valid) {
        pto = 2 * ts->rtt.srtt;
        /* One segment in flight: the receiver may delay its ACK. */
        pto += flight <= ts->smss ? TCP_WCDELACK_NS : TCP_TLP_MIN_EXTRA_NS;
    } else {
        pto = NS_PER_SEC;
    }
    uint64_t when = now + pto;
    uint64_t rto = ts->timer[TCP_T_RTX];
    /* 7.2: "If Now() + PTO > TCP_RTO_expiration, PTO = TCP_RTO_expiration -
     * Now()": the probe goes in place of the timeout (a nanosecond before
     * it, so it runs first), keeping cwnd and the RTO unbacked-off. */
    if (rto != 0 && rto <= when)
        when = rto > now + 1 ? rto - 1 : now + 1;
    tcp_timer_set(ts, TCP_T_TLP, when);
}
