/* tcp_cc_cubic.c - CUBIC (RFC 9438), integer only.
 *
 * Units: windows in bytes, the curve's time in milliseconds. With
 * C = 0.4 segments/s^3 and W in bytes (SMSS bytes per segment):
 *   W_cubic(t) = origin +/- 2 * SMSS * |t - K|^3 / 5e9     (t, K in ms)
 *   K^3 = (origin - cwnd_epoch) / SMSS / C * 1e9             (ms^3)
 *
 * State (struct tcp_cc.cubic), named after RFC 9438:
 *   w_max       cwnd_prior: cwnd just before the last reduction (4.3, 4.6)
 *   w_last_max  the RFC's W_max after fast convergence (4.7): the value
 *               the next loss compares cwnd against
 *   origin      the curve's plateau for this epoch: max(W_max, cwnd_epoch)
 *   k_ms        K (4.2), w_est the Reno-friendly estimate (4.3)
 *   min_rtt     smallest srtt seen, the RTT used when srtt is not known
 *
 * Overflow: SMSS <= 65535 (tcp_cc.c), |t - K| is capped at 2^21 ms (35
 * minutes) so |t - K|^3 < 2^63, and curve values saturate at UINT32_MAX. */
#include "stack/sock/tcp_cc_impl.h"

#define NS_PER_MS 1000000ull
/* beta_cubic = 0.7 (RFC 9438 4.6). */
#define BETA_NUM 7u
#define BETA_DEN 10u
/* alpha_cubic = 3 * (1 - beta) / (1 + beta) = 9/17 (RFC 9438 4.3). */
#define ALPHA_NUM 9u
#define ALPHA_DEN 17u
/* 1 / C in ms^3 per segment: 1e9 / 0.4. */
#define INV_C_MS3 2500000000ull
/* C in segments per ms^3 as a fraction 2 / 5e9. */
#define C_DEN_MS3 5000000000ull
#define DT_MAX_MS (1ull << 21)

/* floor(cbrt(x)) by bisection: cbrt(2^64) < 2642246, so mid^3 of any
 * mid below that bound fits a uint64_t. At most 22 rounds. */
static uint64_t cbrt_u64(uint64_t x)
{
    uint64_t lo = 0, hi = 2642246; /* lo^3 <= x < hi^3 */
    while (hi - lo > 1) {
        uint64_t mid = lo + (hi - lo) / 2;
        if (mid * mid * mid <= x)
            lo = mid;
        else
            hi = mid;
    }
    return lo;
}

/* RFC 9438 4.2 eq. 2: K = cbrt((W_max - cwnd_epoch) / C), here in ms. */
static uint32_t cubic_k_ms(uint32_t origin, uint32_t cwnd_epoch, uint32_t mss)
{
    if (origin <= cwnd_epoch)
        return 0;
    uint64_t diff = origin - cwnd_epoch; /* < 2^32, times 2.5e9 < 2^64 */
    return (uint32_t)cbrt_u64(diff * INV_C_MS3 / mss);
}

/* RFC 9438 4.2 eq. 1: W_cubic(t) = C * (t - K)^3 + W_max, in bytes. */
static uint64_t cubic_w(const struct tcp_cc *cc, uint64_t t_ms)
{
    uint64_t k = cc->cubic.k_ms;
    uint64_t dt = t_ms > k ? t_ms - k : k - t_ms;
    if (dt > DT_MAX_MS)
        dt = DT_MAX_MS;
    uint64_t cube = dt * dt * dt;
    /* cube * 2 * SMSS / 5e9, split so that no product passes 2^50. */
    uint64_t offset = (cube / C_DEN_MS3) * 2 * cc->mss
                      + (cube % C_DEN_MS3) * 2 * cc->mss / C_DEN_MS3;
    if (t_ms >= k)
        return (uint64_t)cc->cubic.origin + offset;
    return offset >= cc->cubic.origin ? 0 : cc->cubic.origin - offset;
}

static void cubic_init(struct tcp_cc *cc, uint64_t now)
{
    (void)now;
    cc->cwnd = tcp_cc_initial_window(cc->mss);
    cc->ssthresh = UINT32_MAX; /* RFC 5681 3.1 */
    cc->bytes_acked = 0;
    cc->cubic.epoch_start = 0;
    cc->cubic.w_max = 0;
    cc->cubic.w_last_max = 0;
    cc->cubic.k_ms = 0;
    cc->cubic.origin = 0;
    cc->cubic.w_est = 0;
    cc->cubic.min_rtt = 0;
}

/* RFC 9438 4.2: a congestion avoidance stage begins. Its curve goes from
 * cwnd_epoch (now) to the plateau W_max; with no loss yet, or cwnd already
 * above W_max, the plateau is cwnd itself and K = 0 (straight into the
 * convex region). W_est starts at cwnd_epoch (4.3). */
static void cubic_start_epoch(struct tcp_cc *cc, uint64_t now)
{
    cc->cubic.epoch_start = now ? now : 1; /* 0 means "no epoch" */
    cc->bytes_acked = 0;
    if (cc->cubic.w_last_max > cc->cwnd)
        cc->cubic.origin = cc->cubic.w_last_max;
    else
        cc->cubic.origin = cc->cwnd;
    cc->cubic.k_ms = cubic_k_ms(cc->cubic.origin, cc->cwnd, cc->mss);
    cc->cubic.w_est = cc->cwnd;
}

static void cubic_on_ack(struct tcp_cc *cc, uint32_t acked, uint32_t flight, uint64_t srtt,
                         uint64_t now)
{
    if (srtt && (cc->cubic.min_rtt == 0 || srtt < cc->cubic.min_rtt))
        cc->cubic.min_rtt = srtt;
    if (acked == 0 || !tcp_cc_cwnd_limited(cc, flight))
        return;
    /* RFC 9438 4.10: standard slow start below ssthresh. */
    if (cc->cwnd < cc->ssthresh) {
        tcp_cc_slow_start(cc, acked);
        return;
    }
    if (cc->cubic.epoch_start == 0)
        cubic_start_epoch(cc, now);

    uint64_t t_ms = now > cc->cubic.epoch_start ? (now - cc->cubic.epoch_start) / NS_PER_MS : 0;
    uint64_t rtt = srtt ? srtt : cc->cubic.min_rtt;

    /* RFC 9438 4.3: W_est += alpha * segments_acked / cwnd (segments),
     * alpha = 1 once W_est reached cwnd_prior. In bytes:
     * alpha * acked * SMSS / cwnd. The fraction of a byte is dropped, which
     * only matters for windows of hundreds of MB, where the cubic curve
     * grows faster anyway. */
    uint64_t step = (uint64_t)acked * cc->mss;
    if (cc->cubic.w_est < cc->cubic.w_max)
        step = step * ALPHA_NUM / ALPHA_DEN;
    cc->cubic.w_est = tcp_cc_add_sat(cc->cubic.w_est, step / cc->cwnd);

    if (cubic_w(cc, t_ms) < cc->cubic.w_est) {
        /* RFC 9438 4.4: Reno-friendly region: cwnd = W_est. */
        if (cc->cubic.w_est > cc->cwnd)
            cc->cwnd = cc->cubic.w_est;
        return;
    }

    /* RFC 9438 4.2: target = W_cubic(t + RTT), within [cwnd, 1.5 cwnd];
     * 4.4/4.5: cwnd += (target - cwnd) / cwnd per SMSS acked. In bytes
     * that is (target - cwnd) * acked / cwnd; the remainder of the
     * division is carried in bytes_acked (always < cwnd) so slow growth
     * near the plateau is not rounded away. */
    uint64_t target = cubic_w(cc, t_ms + rtt / NS_PER_MS);
    uint64_t cwnd = cc->cwnd;
    if (target < cwnd)
        target = cwnd;
    if (target > cwnd + cwnd / 2)
        target = cwnd + cwnd / 2;
    uint64_t num = (target - cwnd) * acked + cc->bytes_acked; /* < 2^63 + 2^32 */
    cc->bytes_acked = (uint32_t)(num % cwnd);
    cc->cwnd = tcp_cc_add_sat(cc->cwnd, num / cwnd);
}

/* RFC 9438 4.6 and 4.7: remember where the loss happened and set
 * ssthresh = cwnd * beta_cubic, at least 2 SMSS. cwnd, not the flight
 * size, as Linux and Windows CUBIC do: a reduction from the flight size
 * collapses the window of an application-limited sender. */
static void cubic_reduce(struct tcp_cc *cc)
{
    uint32_t cwnd = cc->cwnd;
    /* 4.7 fast convergence: a loss before reaching the previous W_max
     * means a new flow is taking bandwidth: release some, plateau at
     * cwnd * (1 + beta) / 2. */
    if (cwnd < cc->cubic.w_last_max)
        cc->cubic.w_last_max = (uint32_t)((uint64_t)cwnd * (BETA_DEN + BETA_NUM) / (2 * BETA_DEN));
    else
        cc->cubic.w_last_max = cwnd;
    cc->cubic.w_max = cwnd; /* cwnd_prior */
    cc->ssthresh = tcp_cc_floor_2mss(cc, (uint64_t)cwnd * BETA_NUM / BETA_DEN);
    cc->cubic.epoch_start = 0;
    cc->bytes_acked = 0;
}

static void cubic_on_loss(struct tcp_cc *cc, uint32_t flight, uint64_t now)
{
    (void)flight;
    (void)now;
    cubic_reduce(cc);
    cc->cwnd = cc->ssthresh; /* 4.6: cwnd = max(ssthresh, 2 SMSS) */
}

static void cubic_on_recovery_end(struct tcp_cc *cc, uint64_t now)
{
    (void)now;
    /* The next ACK in congestion avoidance starts the epoch (4.2). */
    cc->cwnd = cc->ssthresh;
    cc->cubic.epoch_start = 0;
    cc->bytes_acked = 0;
}

static void cubic_on_rto(struct tcp_cc *cc, uint32_t flight, uint64_t now)
{
    (void)flight;
    (void)now;
    /* 4.8: ssthresh from beta_cubic as on loss, cwnd = 1 SMSS (RFC 5681
     * loss window); slow start then runs up to ssthresh. */
    cubic_reduce(cc);
    cc->cwnd = cc->mss;
}

static void cubic_on_idle_restart(struct tcp_cc *cc, uint64_t now)
{
    (void)now;
    /* RFC 5681 4.1 restart window; the curve's clock must not count the
     * idle time, so the epoch starts over with the next ACK. */
    uint32_t iw = tcp_cc_initial_window(cc->mss);
    if (cc->cwnd > iw)
        cc->cwnd = iw;
    cc->cubic.epoch_start = 0;
    cc->bytes_acked = 0;
}

const struct tcp_cc_ops tcp_cc_cubic_ops = {
    .name = "cubic",
    .init = cubic_init,
    .on_ack = cubic_on_ack,
    .on_loss = cubic_on_loss,
    .on_recovery_end = cubic_on_recovery_end,
    .on_rto = cubic_on_rto,
    .on_idle_restart = cubic_on_idle_restart,
};
