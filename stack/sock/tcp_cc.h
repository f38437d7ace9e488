/* tcp_cc.h - congestion control behind a small interface.
 *
 * The connection owns loss detection and recovery (tcp_in.c: dupacks,
 * SACK, RFC 6582 / RFC 6675); a controller only decides cwnd and ssthresh
 * at these events. Two controllers: NewReno (RFC 5681, RFC 6582) and
 * CUBIC (RFC 9438). All values in bytes, times in ns; integer arithmetic
 * only (no libm, no floating point). */
#ifndef TCPIP_SOCK_TCP_CC_H
#define TCPIP_SOCK_TCP_CC_H

#include <stdint.h>

#include "stack/stack.h"

struct tcp_cc;

struct tcp_cc_ops {
    const char *name;            /* "newreno", "cubic" */
    /* Fresh connection: cwnd = initial window (RFC 6928: 10 segments, as
     * Linux), ssthresh "arbitrarily high" (RFC 5681 3.1). */
    void (*init)(struct tcp_cc *cc, uint64_t now);
    /* `acked` bytes of new data were cumulatively acknowledged outside
     * recovery; flight was the bytes in flight before this ACK; srtt is
     * the current smoothed RTT (0 if none yet). Slow start below ssthresh
     * (RFC 5681 3.1, with RFC 3465 L = 2 SMSS per ACK), else congestion
     * avoidance. Must not grow cwnd when the flight did not fill it
     * (RFC 7661 spirit: no growth while application-limited). */
    void (*on_ack)(struct tcp_cc *cc, uint32_t acked, uint32_t flight, uint64_t srtt,
                   uint64_t now);
    /* Loss detected by dupacks/SACK, entering fast recovery: set ssthresh
     * (NewReno: max(flight/2, 2*SMSS), RFC 5681 eq. 4; CUBIC: beta 0.7,
     * RFC 9438 4.6) and cwnd = ssthresh. */
    void (*on_loss)(struct tcp_cc *cc, uint32_t flight, uint64_t now);
    /* Fast recovery ended by a full ACK (RFC 6582 3.2 step 3): cwnd =
     * ssthresh (or the controller's equivalent). */
    void (*on_recovery_end)(struct tcp_cc *cc, uint64_t now);
    /* Retransmission timeout (RFC 5681 3.1 eq. 4 and the cwnd = 1 SMSS
     * loss window; CUBIC per RFC 9438 4.8). */
    void (*on_rto)(struct tcp_cc *cc, uint32_t flight, uint64_t now);
    /* RFC 5681 4.1: after an idle period longer than an RTO, cwnd =
     * min(cwnd, initial window). CUBIC also resets its epoch. */
    void (*on_idle_restart)(struct tcp_cc *cc, uint64_t now);
};

struct tcp_cc {
    const struct tcp_cc_ops *ops;
    uint32_t mss;                /* SMSS, bytes */
    uint32_t cwnd;               /* bytes */
    uint32_t ssthresh;           /* bytes */
    uint32_t bytes_acked;        /* congestion avoidance accumulator (RFC 3465) */
    /* CUBIC (RFC 9438) state; unused by NewReno. */
    struct {
        uint64_t epoch_start;    /* ns; 0 = no epoch */
        uint32_t w_max;          /* bytes, cwnd before the last reduction */
        uint32_t w_last_max;     /* for fast convergence (4.7) */
        uint32_t k_ms;           /* K in milliseconds */
        uint32_t origin;         /* bytes, the curve's plateau */
        uint32_t w_est;          /* bytes, Reno-friendly estimate (4.3) */
        uint64_t min_rtt;        /* ns, smallest srtt seen */
    } cubic;
};

const struct tcp_cc_ops *tcp_cc_ops_for(enum tcp_cc_algo algo);
/* Set up cc for a connection with this SMSS. */
void tcp_cc_init(struct tcp_cc *cc, enum tcp_cc_algo algo, uint32_t mss, uint64_t now);
/* The MSS changed (path MTU, options): keep cwnd's segments count sane. */
void tcp_cc_set_mss(struct tcp_cc *cc, uint32_t mss);

#endif
