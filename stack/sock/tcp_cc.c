/* tcp_cc.c - choosing a congestion controller and the pieces NewReno and
 * CUBIC share: the initial window, slow start, the application-limited
 * rule and MSS changes. */
#include "stack/sock/tcp_cc.h"
#include "stack/sock/tcp_cc_impl.h"

/* The MSS option is 16 bits (RFC 9293 3.2), so no SMSS is above this; the
 * cap also keeps the controllers' products (bytes * SMSS) far from 2^64. */
#define TCP_CC_MSS_MAX 65535u

static uint32_t sane_mss(uint32_t mss)
{
    if (mss == 0)
        return 1;
    return mss > TCP_CC_MSS_MAX ? TCP_CC_MSS_MAX : mss;
}

uint32_t tcp_cc_add_sat(uint32_t a, uint64_t b)
{
    uint64_t sum = (uint64_t)a + b;
    if (b > UINT32_MAX || sum > UINT32_MAX)
        return UINT32_MAX;
    return (uint32_t)sum;
}

uint32_t tcp_cc_floor_2mss(const struct tcp_cc *cc, uint64_t v)
{
    uint64_t floor = 2ull * cc->mss;
    if (v < floor)
        v = floor;
    return v > UINT32_MAX ? UINT32_MAX : (uint32_t)v;
}

uint32_t tcp_cc_initial_window(uint32_t mss)
{
    /* RFC 6928 2 (and Linux's 10 segments for the usual MSS). */
    uint64_t ten = 10ull * mss;
    uint64_t two = 2ull * mss;
    uint64_t cap = two > 14600 ? two : 14600;
    return (uint32_t)(ten < cap ? ten : cap);
}

/* RFC 7661 spirit: cwnd only grows while the sender actually uses it. The
 * rule (as Linux's tcp_is_cwnd_limited in slow start): the flight before
 * this ACK filled at least half of cwnd. A sender that keeps half its window
 * idle can thus still push cwnd up to twice what it uses, and no further. */
bool tcp_cc_cwnd_limited(const struct tcp_cc *cc, uint32_t flight)
{
    return 2ull * flight >= cc->cwnd;
}

void tcp_cc_slow_start(struct tcp_cc *cc, uint32_t acked)
{
    /* RFC 3465 2.2: cwnd += min(N, L*SMSS) per ACK, L = 2 (RFC 5681 3.1
     * allows byte counting with that limit). Growth stops at ssthresh;
     * congestion avoidance takes over from there on the next ACK. */
    uint64_t inc = acked;
    if (inc > 2ull * cc->mss)
        inc = 2ull * cc->mss;
    uint32_t cwnd = tcp_cc_add_sat(cc->cwnd, inc);
    cc->cwnd = cwnd > cc->ssthresh ? cc->ssthresh : cwnd;
}

const struct tcp_cc_ops *tcp_cc_ops_for(enum tcp_cc_algo algo)
{
    switch (algo) {
    case TCP_CC_NEWRENO:
        return &tcp_cc_newreno_ops;
    case TCP_CC_CUBIC:
        return &tcp_cc_cubic_ops;
    }
    return &tcp_cc_cubic_ops; /* the default (stack.h) for unknown values */
}

void tcp_cc_init(struct tcp_cc *cc, enum tcp_cc_algo algo, uint32_t mss, uint64_t now)
{
    *cc = (struct tcp_cc){0};
    cc->ops = tcp_cc_ops_for(algo);
    cc->mss = sane_mss(mss);
    cc->ops->init(cc, now);
}

/* Rescale a byte count from the old SMSS to the new one, keeping the number
 * of segments it stands for. */
static uint32_t rescale(uint32_t bytes, uint32_t old_mss, uint32_t new_mss)
{
    if (bytes == UINT32_MAX)
        return UINT32_MAX; /* "arbitrarily high" stays so */
    uint64_t v = (uint64_t)bytes * new_mss / old_mss;
    return v > UINT32_MAX ? UINT32_MAX : (uint32_t)v;
}

void tcp_cc_set_mss(struct tcp_cc *cc, uint32_t mss)
{
    uint32_t old = cc->mss ? cc->mss : 1;
    uint32_t new_mss = sane_mss(mss);
    if (new_mss == old)
        return;
    /* Windows are counted in segments by the path (and by Linux); keep the
     * counts when the segment size changes, never below 1 segment (cwnd)
     * or 2 segments (ssthresh, RFC 5681 eq. 4). */
    cc->mss = new_mss;
    cc->cwnd = rescale(cc->cwnd, old, new_mss);
    if (cc->cwnd < new_mss)
        cc->cwnd = new_mss;
    if (cc->ssthresh != UINT32_MAX)
        cc->ssthresh = tcp_cc_floor_2mss(cc, rescale(cc->ssthresh, old, new_mss));
    cc->bytes_acked = 0;
    cc->cubic.w_max = rescale(cc->cubic.w_max, old, new_mss);
    cc->cubic.w_last_max = rescale(cc->cubic.w_last_max, old, new_mss);
    cc->cubic.origin = rescale(cc->cubic.origin, old, new_mss);
    cc->cubic.w_est = rescale(cc->cubic.w_est, old, new_mss);
}
