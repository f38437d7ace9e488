/* test_tcp_cc.c - congestion control (stack/sock/tcp_cc.h): NewReno
 * (RFC 5681, RFC 3465, RFC 6928) and CUBIC (RFC 9438).
 *
 * Round trips are simulated with a fake clock: each round the sender has
 * a full cwnd in flight and every segment of it is acknowledged, spread
 * over one RTT; after each ACK the sender refills the window, so the
 * flight before the next ACK is cwnd again. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "stack/sock/tcp_cc.h"

#define MS 1000000ull
#define SEC 1000000000ull
#define MSS 1448u

/* One round trip: ACK every segment of the cwnd the round started with. */
static void round_trip(struct tcp_cc *cc, uint64_t *now, uint64_t rtt)
{
    uint32_t segs = cc->cwnd / cc->mss;
    if (segs == 0)
        segs = 1;
    for (uint32_t i = 0; i < segs; i++) {
        uint64_t t = *now + rtt * (i + 1) / segs;
        cc->ops->on_ack(cc, cc->mss, cc->cwnd, rtt, t);
    }
    *now += rtt;
}

/* A round trip with `chunks` stretch ACKs covering the whole cwnd. */
static void round_trip_stretch(struct tcp_cc *cc, uint64_t *now, uint64_t rtt, uint32_t chunks)
{
    uint32_t part = cc->cwnd / chunks;
    for (uint32_t i = 0; i < chunks; i++)
        cc->ops->on_ack(cc, part, cc->cwnd, rtt, *now + rtt * (i + 1) / chunks);
    *now += rtt;
}

/* ---- shared ---- */

static void test_ops_for(void **state)
{
    (void)state;
    assert_string_equal(tcp_cc_ops_for(TCP_CC_NEWRENO)->name, "newreno");
    assert_string_equal(tcp_cc_ops_for(TCP_CC_CUBIC)->name, "cubic");
    struct tcp_cc cc;
    tcp_cc_init(&cc, TCP_CC_CUBIC, MSS, 0);
    assert_ptr_equal(cc.ops, tcp_cc_ops_for(TCP_CC_CUBIC));
    assert_int_equal(cc.mss, MSS);
}

/* RFC 6928 2: min(10*MSS, max(2*MSS, 14600)), for both controllers. */
static void test_initial_window(void **state)
{
    (void)state;
    const enum tcp_cc_algo algos[] = {TCP_CC_NEWRENO, TCP_CC_CUBIC};
    for (int a = 0; a < 2; a++) {
        struct tcp_cc cc;
        tcp_cc_init(&cc, algos[a], 1460, 0);
        assert_int_equal(cc.cwnd, 14600);
        assert_int_equal(cc.ssthresh, UINT32_MAX);
        tcp_cc_init(&cc, algos[a], 536, 0);
        assert_int_equal(cc.cwnd, 5360);
        tcp_cc_init(&cc, algos[a], 9000, 0);
        assert_int_equal(cc.cwnd, 18000);
        tcp_cc_init(&cc, algos[a], 1448, 0);
        assert_int_equal(cc.cwnd, 14480);
    }
}

/* Slow start doubles cwnd per RTT (RFC 5681 3.1), for both. */
static void test_slow_start_doubles(void **state)
{
    (void)state;
    const enum tcp_cc_algo algos[] = {TCP_CC_NEWRENO, TCP_CC_CUBIC};
    for (int a = 0; a < 2; a++) {
        struct tcp_cc cc;
        uint64_t now = 1 * SEC;
        tcp_cc_init(&cc, algos[a], MSS, now);
        for (uint32_t r = 1; r <= 5; r++) {
            round_trip(&cc, &now, 50 * MS);
            assert_int_equal(cc.cwnd, (10u << r) * MSS);
        }
    }
}

/* RFC 3465 2.2: a stretch ACK grows slow start by at most L = 2 SMSS. */
static void test_slow_start_abc_limit(void **state)
{
    (void)state;
    struct tcp_cc cc;
    tcp_cc_init(&cc, TCP_CC_NEWRENO, MSS, 0);
    cc.ops->on_ack(&cc, 8 * MSS, cc.cwnd, 0, 1);
    assert_int_equal(cc.cwnd, 12 * MSS);
    cc.ops->on_ack(&cc, 100, cc.cwnd, 0, 2);
    assert_int_equal(cc.cwnd, 12 * MSS + 100);
}

/* Slow start stops at ssthresh and congestion avoidance takes over. */
static void test_transition_at_ssthresh(void **state)
{
    (void)state;
    const enum tcp_cc_algo algos[] = {TCP_CC_NEWRENO, TCP_CC_CUBIC};
    for (int a = 0; a < 2; a++) {
        struct tcp_cc cc;
        uint64_t now = 1 * SEC;
        tcp_cc_init(&cc, algos[a], MSS, now);
        cc.ssthresh = 25 * MSS;
        round_trip(&cc, &now, 100 * MS);
        assert_int_equal(cc.cwnd, 20 * MSS);
        round_trip(&cc, &now, 100 * MS); /* would be 40 in slow start */
        assert_true(cc.cwnd >= 25 * MSS);
        assert_true(cc.cwnd <= 27 * MSS);
        uint32_t before = cc.cwnd;
        round_trip(&cc, &now, 100 * MS);
        /* Congestion avoidance: about one segment, far from doubling. */
        assert_true(cc.cwnd > before);
        assert_true(cc.cwnd <= before + 3 * MSS);
    }
}

/* Only a cwnd-limited sender grows cwnd: the flight must fill at least
 * half of cwnd (tcp_cc.c's documented rule). */
static void test_no_growth_when_app_limited(void **state)
{
    (void)state;
    const enum tcp_cc_algo algos[] = {TCP_CC_NEWRENO, TCP_CC_CUBIC};
    for (int a = 0; a < 2; a++) {
        struct tcp_cc cc;
        tcp_cc_init(&cc, algos[a], MSS, 0);
        cc.cwnd = 20 * MSS;
        uint64_t now = 1 * SEC;
        /* Slow start, flight 5 of 20 segments. */
        for (int i = 0; i < 1000; i++)
            cc.ops->on_ack(&cc, MSS, 5 * MSS, 100 * MS, now + (uint64_t)i * MS);
        assert_int_equal(cc.cwnd, 20 * MSS);
        /* Congestion avoidance, flight 9 of 20 segments, for 100 s. */
        cc.ssthresh = 20 * MSS;
        for (int i = 0; i < 1000; i++)
            cc.ops->on_ack(&cc, MSS, 9 * MSS, 100 * MS, now + (uint64_t)i * 100 * MS);
        assert_int_equal(cc.cwnd, 20 * MSS);
        /* Exactly half: growth resumes. */
        cc.ops->on_ack(&cc, 20 * MSS, 10 * MSS, 100 * MS, now + 200 * SEC);
        assert_true(cc.cwnd > 20 * MSS);
    }
}

static void test_set_mss_keeps_segments(void **state)
{
    (void)state;
    struct tcp_cc cc;
    tcp_cc_init(&cc, TCP_CC_NEWRENO, 1460, 0);
    cc.cwnd = 20 * 1460;
    tcp_cc_set_mss(&cc, 1000);
    assert_int_equal(cc.mss, 1000);
    assert_int_equal(cc.cwnd, 20 * 1000);
    assert_int_equal(cc.ssthresh, UINT32_MAX);
    cc.ssthresh = 30 * 1000;
    tcp_cc_set_mss(&cc, 500);
    assert_int_equal(cc.cwnd, 20 * 500);
    assert_int_equal(cc.ssthresh, 30 * 500);
    /* An absurd MSS is capped to what the 16-bit option can say. */
    tcp_cc_set_mss(&cc, 100000);
    assert_int_equal(cc.mss, 65535);
}

/* ---- NewReno ---- */

/* RFC 5681 3.1 / RFC 3465: about one SMSS per RTT. */
static void test_newreno_ca_one_mss_per_rtt(void **state)
{
    (void)state;
    struct tcp_cc cc;
    uint64_t now = 1 * SEC;
    tcp_cc_init(&cc, TCP_CC_NEWRENO, MSS, now);
    cc.cwnd = cc.ssthresh = 50 * MSS;
    for (int r = 0; r < 20; r++)
        round_trip(&cc, &now, 100 * MS);
    assert_int_equal(cc.cwnd, 70 * MSS);
    /* Stretch ACKs count bytes the same way. */
    for (int r = 0; r < 10; r++)
        round_trip_stretch(&cc, &now, 100 * MS, 4);
    assert_int_equal(cc.cwnd, 80 * MSS);
}

static void test_newreno_loss_events(void **state)
{
    (void)state;
    struct tcp_cc cc;
    tcp_cc_init(&cc, TCP_CC_NEWRENO, MSS, 0);
    cc.cwnd = 100 * MSS;
    /* RFC 5681 eq. 4: max(FlightSize / 2, 2 SMSS). */
    cc.ops->on_loss(&cc, 80 * MSS, 1);
    assert_int_equal(cc.ssthresh, 40 * MSS);
    assert_int_equal(cc.cwnd, 40 * MSS);
    cc.cwnd = 45 * MSS; /* whatever recovery did meanwhile */
    cc.ops->on_recovery_end(&cc, 2);
    assert_int_equal(cc.cwnd, 40 * MSS);
    cc.ops->on_loss(&cc, 1 * MSS, 3);
    assert_int_equal(cc.ssthresh, 2 * MSS);
    assert_int_equal(cc.cwnd, 2 * MSS);
    /* RTO: loss window of 1 SMSS, then slow start up to ssthresh. */
    cc.cwnd = 100 * MSS;
    cc.ops->on_rto(&cc, 60 * MSS, 4);
    assert_int_equal(cc.ssthresh, 30 * MSS);
    assert_int_equal(cc.cwnd, 1 * MSS);
    uint64_t now = 10 * SEC;
    for (int r = 0; r < 5; r++)
        round_trip(&cc, &now, 100 * MS);
    assert_int_equal(cc.cwnd, 30 * MSS); /* 1,2,4,8,16, then capped */
    /* RFC 5681 4.1: restart window min(cwnd, IW). */
    cc.cwnd = 100 * MSS;
    cc.ops->on_idle_restart(&cc, now);
    assert_int_equal(cc.cwnd, 10 * MSS);
    cc.cwnd = 5 * MSS;
    cc.ops->on_idle_restart(&cc, now);
    assert_int_equal(cc.cwnd, 5 * MSS);
}

static void test_newreno_huge_window_hours(void **state)
{
    (void)state;
    struct tcp_cc cc;
    uint64_t now = 1 * SEC;
    tcp_cc_init(&cc, TCP_CC_NEWRENO, MSS, now);
    cc.cwnd = cc.ssthresh = 1u << 30;
    /* 10 simulated hours of 1 s round trips, 16 stretch ACKs each. */
    for (int r = 0; r < 36000; r++) {
        uint32_t before = cc.cwnd;
        round_trip_stretch(&cc, &now, 1 * SEC, 16);
        assert_true(cc.cwnd >= before);
        assert_true(cc.cwnd <= before + MSS);
    }
    assert_true(cc.cwnd > (1u << 30));
    cc.ops->on_loss(&cc, cc.cwnd, now);
    assert_true(cc.cwnd >= (1u << 29));
}

/* ---- CUBIC ---- */

/* Put a CUBIC connection at cwnd = w segments, lose, end recovery and
 * take the first congestion avoidance ACK at `now` (starts the epoch). */
static void cubic_after_loss(struct tcp_cc *cc, uint32_t mss, uint32_t w, uint64_t now)
{
    tcp_cc_init(cc, TCP_CC_CUBIC, mss, now);
    cc->cwnd = w * mss;
    cc->ops->on_loss(cc, cc->cwnd, now);
    cc->ops->on_recovery_end(cc, now);
}

static void test_cubic_loss_events(void **state)
{
    (void)state;
    struct tcp_cc cc;
    cubic_after_loss(&cc, MSS, 100, 5 * SEC);
    /* RFC 9438 4.6: ssthresh = cwnd * 0.7, cwnd = ssthresh. */
    assert_int_equal(cc.ssthresh, 70 * MSS);
    assert_int_equal(cc.cwnd, 70 * MSS);
    assert_int_equal(cc.cubic.w_max, 100 * MSS);
    assert_int_equal(cc.cubic.w_last_max, 100 * MSS);
    assert_int_equal(cc.cubic.epoch_start, 0);
    /* 4.8: RTO: ssthresh from beta, cwnd = 1 SMSS. */
    tcp_cc_init(&cc, TCP_CC_CUBIC, MSS, 0);
    cc.cwnd = 100 * MSS;
    cc.ops->on_rto(&cc, 100 * MSS, 1);
    assert_int_equal(cc.ssthresh, 70 * MSS);
    assert_int_equal(cc.cwnd, MSS);
    assert_int_equal(cc.cubic.epoch_start, 0);
    /* The 2 SMSS floor. */
    cc.cwnd = 2 * MSS;
    cc.ops->on_loss(&cc, 2 * MSS, 2);
    assert_int_equal(cc.ssthresh, 2 * MSS);
    assert_int_equal(cc.cwnd, 2 * MSS);
    /* Idle restart: min(cwnd, IW) and a new epoch. */
    cc.cwnd = cc.ssthresh = 50 * MSS;
    uint64_t now = 10 * SEC;
    round_trip(&cc, &now, 100 * MS);
    assert_true(cc.cubic.epoch_start != 0);
    cc.ops->on_idle_restart(&cc, now);
    assert_int_equal(cc.cwnd, 10 * MSS);
    assert_int_equal(cc.cubic.epoch_start, 0);
}

/* RFC 9438 4.2 eq. 2: K = cbrt(W_max (1 - beta) / C). W_max = 100
 * segments: cbrt(30 / 0.4) = cbrt(75) = 4.2172 s. W_max = 1000:
 * cbrt(750) = 9.0856 s. Independent of the SMSS. */
static void test_cubic_k(void **state)
{
    (void)state;
    const struct { uint32_t w, mss, k_ms; } cases[] = {
        {100, 1448, 4217}, {100, 536, 4217}, {1000, 1448, 9086}, {10, 1000, 1957},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct tcp_cc cc;
        cubic_after_loss(&cc, cases[i].mss, cases[i].w, 5 * SEC);
        cc.ops->on_ack(&cc, cc.mss, cc.cwnd, 100 * MS, 5 * SEC);
        assert_int_equal(cc.cubic.origin, cases[i].w * cases[i].mss);
        assert_in_range(cc.cubic.k_ms, cases[i].k_ms - 1, cases[i].k_ms + 1);
    }
}

/* After a loss, cwnd climbs back to W_max at about t = K. */
static void test_cubic_returns_to_wmax_at_k(void **state)
{
    (void)state;
    struct tcp_cc cc;
    uint64_t start = 5 * SEC, now = start;
    cubic_after_loss(&cc, MSS, 100, now);
    /* 100 ms rounds up to t = K = 4.2 s. */
    for (int r = 0; r < 42; r++)
        round_trip(&cc, &now, 100 * MS);
    assert_true(cc.cwnd < 100 * MSS + 3 * MSS);
    assert_true(cc.cwnd > 100 * MSS - 3 * MSS);
    /* And stayed below W_max well before K. */
    cubic_after_loss(&cc, MSS, 100, start);
    now = start;
    for (int r = 0; r < 20; r++)
        round_trip(&cc, &now, 100 * MS);
    assert_true(cc.cwnd < 97 * MSS);
    assert_true(cc.cwnd > 80 * MSS);
}

/* Concave, then a plateau near W_max, then convex (RFC 9438 4.4, 4.5):
 * growth per second slows approaching W_max and speeds up after. W_max
 * = 1000 segments so the curve, not the Reno estimate, decides. */
static void test_cubic_concave_then_convex(void **state)
{
    (void)state;
    struct tcp_cc cc;
    uint64_t now = 5 * SEC;
    uint32_t at[16];
    cubic_after_loss(&cc, MSS, 1000, now);
    /* K = 9.1 s: sample cwnd every second for 15 s (100 ms rounds). */
    at[0] = cc.cwnd;
    for (int s = 1; s < 16; s++) {
        for (int r = 0; r < 10; r++)
            round_trip(&cc, &now, 100 * MS);
        at[s] = cc.cwnd;
    }
    uint32_t early = at[2] - at[1];   /* 1-2 s: concave, fast */
    uint32_t near = at[9] - at[8];    /* 8-9 s: near the plateau */
    uint32_t late = at[15] - at[14];  /* 14-15 s: convex, fast again */
    assert_true(early > 4 * near);
    assert_true(late > 4 * near);
    assert_true(at[9] > 990 * MSS && at[9] < 1010 * MSS);
    for (int s = 1; s < 16; s++)
        assert_true(at[s] >= at[s - 1]);
}

/* RFC 9438 4.3: with very short RTTs the Reno-friendly estimate (about
 * alpha = 0.53 segments per RTT) outgrows the curve, which moves with
 * time: 40 rounds of 100 us take 4 ms, the curve moves < 1 segment. */
static void test_cubic_reno_friendly_small_rtt(void **state)
{
    (void)state;
    struct tcp_cc cc;
    uint64_t now = 5 * SEC;
    cubic_after_loss(&cc, MSS, 100, now);
    for (int r = 0; r < 40; r++)
        round_trip(&cc, &now, 100000);
    assert_true(cc.cwnd >= 85 * MSS);  /* 70 + ~0.5 * 40 */
    assert_true(cc.cwnd <= 95 * MSS);
    assert_int_equal(cc.cwnd, cc.cubic.w_est);
    /* The same 40 rounds at 100 ms follow the curve instead (t + RTT =
     * 4.1 s, W_cubic ~ 100 segments), well above the Reno estimate. */
    now = 5 * SEC;
    cubic_after_loss(&cc, MSS, 100, now);
    for (int r = 0; r < 40; r++)
        round_trip(&cc, &now, 100 * MS);
    assert_true(cc.cwnd > cc.cubic.w_est + 5 * MSS);
    assert_true(cc.cwnd >= 97 * MSS);
}

/* RFC 9438 4.7: a loss before regaining the last W_max lowers W_max to
 * cwnd * (1 + beta) / 2; a loss above it takes cwnd as is. */
static void test_cubic_fast_convergence(void **state)
{
    (void)state;
    struct tcp_cc cc;
    uint64_t now = 5 * SEC;
    cubic_after_loss(&cc, MSS, 100, now);
    /* Grow for 2 s (to about 90 segments, below W_max = 100). */
    for (int r = 0; r < 20; r++)
        round_trip(&cc, &now, 100 * MS);
    uint32_t cwnd = cc.cwnd;
    assert_true(cwnd < 100 * MSS);
    cc.ops->on_loss(&cc, cwnd, now);
    assert_int_equal(cc.cubic.w_max, cwnd);
    assert_int_equal(cc.cubic.w_last_max, (uint32_t)((uint64_t)cwnd * 17 / 20));
    assert_int_equal(cc.ssthresh, (uint32_t)((uint64_t)cwnd * 7 / 10));
    cc.ops->on_recovery_end(&cc, now);
    cc.ops->on_ack(&cc, MSS, cc.cwnd, 100 * MS, now);
    assert_int_equal(cc.cubic.origin, cc.cubic.w_last_max); /* the lowered plateau */
    /* Without a premature loss, W_max is the cwnd at the loss. */
    for (int r = 0; r < 100; r++)
        round_trip(&cc, &now, 100 * MS);
    cwnd = cc.cwnd;
    assert_true(cwnd > cc.cubic.w_last_max);
    cc.ops->on_loss(&cc, cwnd, now);
    assert_int_equal(cc.cubic.w_last_max, cwnd);
}

/* A first congestion avoidance stage without any loss: K = 0, the curve
 * is convex from cwnd upward. */
static void test_cubic_no_loss_epoch(void **state)
{
    (void)state;
    struct tcp_cc cc;
    uint64_t now = 5 * SEC;
    tcp_cc_init(&cc, TCP_CC_CUBIC, MSS, now);
    cc.cwnd = cc.ssthresh = 100 * MSS;
    round_trip(&cc, &now, 100 * MS);
    assert_int_equal(cc.cubic.k_ms, 0);
    assert_int_equal(cc.cubic.origin, 100 * MSS);
    for (int r = 0; r < 100; r++)
        round_trip(&cc, &now, 100 * MS);
    /* 10 s: W_cubic = 100 + 0.4 * 1000 = 500 segments. */
    assert_true(cc.cwnd > 450 * MSS && cc.cwnd < 520 * MSS);
}

/* cwnd near 1 GB and 10 simulated hours: no overflow (UBSan checks the
 * arithmetic), cwnd never shrinks without a loss, never passes
 * 1.5x per RTT, and a loss cuts it to 0.7x. */
static void test_cubic_huge_window_hours(void **state)
{
    (void)state;
    struct tcp_cc cc;
    uint64_t now = 5 * SEC;
    cubic_after_loss(&cc, MSS, (1u << 30) / MSS, now);
    for (int r = 0; r < 36000; r++) {
        uint32_t before = cc.cwnd;
        round_trip_stretch(&cc, &now, 1 * SEC, 16);
        assert_true(cc.cwnd >= before);
        assert_true((uint64_t)cc.cwnd <= (uint64_t)before * 3 / 2 + 16);
        if (r % 3600 == 3599) { /* a loss every simulated hour */
            before = cc.cwnd;
            cc.ops->on_loss(&cc, cc.cwnd, now);
            assert_int_equal(cc.cwnd, (uint32_t)((uint64_t)before * 7 / 10));
            cc.ops->on_recovery_end(&cc, now);
        }
    }
    assert_true(cc.cwnd >= (1u << 30));
    assert_true(cc.cubic.k_ms < 3600 * 1000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ops_for),
        cmocka_unit_test(test_initial_window),
        cmocka_unit_test(test_slow_start_doubles),
        cmocka_unit_test(test_slow_start_abc_limit),
        cmocka_unit_test(test_transition_at_ssthresh),
        cmocka_unit_test(test_no_growth_when_app_limited),
        cmocka_unit_test(test_set_mss_keeps_segments),
        cmocka_unit_test(test_newreno_ca_one_mss_per_rtt),
        cmocka_unit_test(test_newreno_loss_events),
        cmocka_unit_test(test_newreno_huge_window_hours),
        cmocka_unit_test(test_cubic_loss_events),
        cmocka_unit_test(test_cubic_k),
        cmocka_unit_test(test_cubic_returns_to_wmax_at_k),
        cmocka_unit_test(test_cubic_concave_then_convex),
        cmocka_unit_test(test_cubic_reno_friendly_small_rtt),
        cmocka_unit_test(test_cubic_fast_convergence),
        cmocka_unit_test(test_cubic_no_loss_epoch),
        cmocka_unit_test(test_cubic_huge_window_hours),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
