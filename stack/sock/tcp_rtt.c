/* tcp_rtt.c - the retransmission timer's estimator (RFC 6298).
 *
 * Integer nanoseconds throughout. A sample is capped at TCP_RTT_SAMPLE_MAX
 * (about 3.3 days, far above any sane max_rto) so that 7*SRTT and
 * 4*RTTVAR below can never overflow a uint64_t. */
#include "stack/sock/tcp_rtt.h"

/* 2^48 ns ~ 78 hours: samples above it say nothing more about the path. */
#define TCP_RTT_SAMPLE_MAX (1ull << 48)

/* RFC 6298 2.4, 2.5: the RTO lives in [min_rto, max_rto]. If the caller
 * configured min above max, max wins (the upper bound is the safety one). */
static uint64_t clamp_rto(const struct tcp_rtt *r, uint64_t rto)
{
    if (rto < r->min_rto)
        rto = r->min_rto;
    if (rto > r->max_rto)
        rto = r->max_rto;
    return rto;
}

void tcp_rtt_init(struct tcp_rtt *r, uint64_t initial, uint64_t min_rto, uint64_t max_rto)
{
    r->valid = false;
    r->srtt = 0;
    r->rttvar = 0;
    r->min_rtt = 0;
    r->min_rto = min_rto;
    r->max_rto = max_rto;
    /* RFC 6298 2.1: until a measurement is made, RTO = initial (1 s). */
    r->rto = clamp_rto(r, initial);
}

void tcp_rtt_sample(struct tcp_rtt *r, uint64_t rtt_ns)
{
    uint64_t sample = rtt_ns > TCP_RTT_SAMPLE_MAX ? TCP_RTT_SAMPLE_MAX : rtt_ns;

    if (!r->valid || sample < r->min_rtt)
        r->min_rtt = sample;
    if (!r->valid) {
        /* RFC 6298 2.2: first measurement R: SRTT = R, RTTVAR = R/2. */
        r->srtt = sample;
        r->rttvar = sample / 2;
        r->valid = true;
    } else {
        /* RFC 6298 2.3: RTTVAR is updated first, from the old SRTT:
         *   RTTVAR = (1 - 1/4) * RTTVAR + 1/4 * |SRTT - R'|
         *   SRTT   = (1 - 1/8) * SRTT   + 1/8 * R'
         * Both values are <= 2^48, so 3*RTTVAR and 7*SRTT fit. */
        uint64_t delta = r->srtt > sample ? r->srtt - sample : sample - r->srtt;
        r->rttvar = (3 * r->rttvar + delta) / 4;
        r->srtt = (7 * r->srtt + sample) / 8;
    }
    /* RFC 6298 2.2/2.3: RTO = SRTT + max(G, K*RTTVAR), K = 4. */
    uint64_t var = 4 * r->rttvar;
    if (var < TCP_RTT_G_NS)
        var = TCP_RTT_G_NS;
    r->rto = clamp_rto(r, r->srtt + var);
}

uint64_t tcp_rtt_backoff(const struct tcp_rtt *r, uint32_t backoff)
{
    /* RFC 6298 5.5: double the RTO per expiry, up to max_rto. Doubling
     * stops as soon as max is reached, so at most 64 rounds run and
     * nothing overflows whatever `backoff` is. */
    uint64_t rto = r->rto;
    if (rto == 0)
        return 0;    /* only with min_rto 0: doubling nothing stays nothing */
    for (uint32_t i = 0; i < backoff && rto < r->max_rto; i++) {
        if (rto > r->max_rto / 2) {
            rto = r->max_rto;
            break;
        }
        rto *= 2;
    }
    return rto > r->max_rto ? r->max_rto : rto;
}
