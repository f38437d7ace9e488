/* tcp_rtt.h - the retransmission timer's estimator (RFC 6298).
 *
 * Times are nanoseconds. The caller decides which measurements are
 * samples (Karn's algorithm, RFC 6298 3: never from a retransmitted
 * segment unless timestamps tie the ACK to one transmission, RFC 7323 4). */
#ifndef TCPIP_SOCK_TCP_RTT_H
#define TCPIP_SOCK_TCP_RTT_H

#include <stdbool.h>
#include <stdint.h>

/* RFC 6298 2: clock granularity G, which the RTO's K*RTTVAR term never
 * goes below. 1 ms: our timestamps tick in milliseconds. */
#define TCP_RTT_G_NS 1000000ull

struct tcp_rtt {
    bool valid;                  /* a first sample has been taken */
    uint64_t srtt;
    uint64_t rttvar;
    uint64_t rto;                /* clamped to [min, max] */
    uint64_t min_rtt;            /* smallest sample (valid once valid) */
    uint64_t min_rto, max_rto;
};

/* RFC 6298 2.1: RTO = initial (clamped) until the first sample. */
void tcp_rtt_init(struct tcp_rtt *r, uint64_t initial, uint64_t min_rto, uint64_t max_rto);
/* RFC 6298 2.2 (first sample) and 2.3 (later ones, alpha 1/8, beta 1/4),
 * RTO = SRTT + max(G, 4*RTTVAR), clamped (2.4, 2.5). A sample of 0 counts
 * as 1 ns less than nothing: it is used (a LAN can be that fast). */
void tcp_rtt_sample(struct tcp_rtt *r, uint64_t rtt_ns);
/* RFC 6298 5.5: the RTO after `backoff` consecutive expiries, rto * 2^backoff,
 * clamped to max_rto without overflow for any backoff. */
uint64_t tcp_rtt_backoff(const struct tcp_rtt *r, uint32_t backoff);

#endif
