/* tcp_cc_newreno.c - NewReno's window (RFC 5681 3.1, RFC 6582, with
 * RFC 3465 byte counting). Recovery itself (which segment to resend,
 * partial ACKs) is the connection's job, tcp_in.c. */
#include "stack/sock/tcp_cc_impl.h"

static void newreno_init(struct tcp_cc *cc, uint64_t now)
{
    (void)now;
    cc->cwnd = tcp_cc_initial_window(cc->mss);
    cc->ssthresh = UINT32_MAX; /* RFC 5681 3.1: arbitrarily high */
    cc->bytes_acked = 0;
}

static void newreno_on_ack(struct tcp_cc *cc, uint32_t acked, uint32_t flight, uint64_t srtt,
                           uint64_t now)
{
    (void)srtt;
    (void)now;
    if (acked == 0 || !tcp_cc_cwnd_limited(cc, flight))
        return;
    if (cc->cwnd < cc->ssthresh) {
        tcp_cc_slow_start(cc, acked);
        return;
    }
    /* RFC 3465 2.1 / RFC 5681 3.1: appropriate byte counting in congestion
     * avoidance: one SMSS once a whole cwnd worth of bytes has been acked,
     * i.e. about one SMSS per RTT. The carry stays below cwnd. */
    uint64_t total = (uint64_t)cc->bytes_acked + acked;
    if (total >= cc->cwnd) {
        total -= cc->cwnd;
        cc->cwnd = tcp_cc_add_sat(cc->cwnd, cc->mss);
        if (total >= cc->cwnd)
            total = 0; /* a giant stretch ACK: one increase per ACK is enough */
    }
    cc->bytes_acked = (uint32_t)total;
}

static void newreno_on_loss(struct tcp_cc *cc, uint32_t flight, uint64_t now)
{
    (void)now;
    /* RFC 5681 3.2 step 2, eq. 4: ssthresh = max(FlightSize / 2, 2*SMSS).
     * The contract sets cwnd = ssthresh (no +3 SMSS inflation: the
     * connection accounts for the segments that left the network). */
    cc->ssthresh = tcp_cc_floor_2mss(cc, flight / 2);
    cc->cwnd = cc->ssthresh;
    cc->bytes_acked = 0;
}

static void newreno_on_recovery_end(struct tcp_cc *cc, uint64_t now)
{
    (void)now;
    /* RFC 6582 3.2 step 3, option (1): cwnd = ssthresh. */
    cc->cwnd = cc->ssthresh;
    cc->bytes_acked = 0;
}

static void newreno_on_rto(struct tcp_cc *cc, uint32_t flight, uint64_t now)
{
    (void)now;
    /* RFC 5681 3.1 eq. 4 and the loss window: cwnd = 1 SMSS. */
    cc->ssthresh = tcp_cc_floor_2mss(cc, flight / 2);
    cc->cwnd = cc->mss;
    cc->bytes_acked = 0;
}

static void newreno_on_idle_restart(struct tcp_cc *cc, uint64_t now)
{
    (void)now;
    /* RFC 5681 4.1: restart window = min(IW, cwnd). */
    uint32_t iw = tcp_cc_initial_window(cc->mss);
    if (cc->cwnd > iw)
        cc->cwnd = iw;
    cc->bytes_acked = 0;
}

const struct tcp_cc_ops tcp_cc_newreno_ops = {
    .name = "newreno",
    .init = newreno_init,
    .on_ack = newreno_on_ack,
    .on_loss = newreno_on_loss,
    .on_recovery_end = newreno_on_recovery_end,
    .on_rto = newreno_on_rto,
    .on_idle_restart = newreno_on_idle_restart,
};
