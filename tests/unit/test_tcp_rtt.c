/* test_tcp_rtt.c - the RTO estimator (stack/sock/tcp_rtt.h, RFC 6298). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "stack/sock/tcp_rtt.h"

#define MS 1000000ull
#define SEC 1000000000ull

/* RFC 6298 2.1: before any sample the RTO is the initial value, clamped. */
static void test_initial_rto(void **state)
{
    (void)state;
    struct tcp_rtt r;
    tcp_rtt_init(&r, 1 * SEC, 200 * MS, 60 * SEC);
    assert_false(r.valid);
    assert_int_equal(r.rto, 1 * SEC);
    tcp_rtt_init(&r, 100 * MS, 200 * MS, 60 * SEC);
    assert_int_equal(r.rto, 200 * MS);
    tcp_rtt_init(&r, 100 * SEC, 200 * MS, 60 * SEC);
    assert_int_equal(r.rto, 60 * SEC);
}

/* RFC 6298 2.2: SRTT = R, RTTVAR = R/2, RTO = SRTT + max(G, 4*RTTVAR). */
static void test_first_sample(void **state)
{
    (void)state;
    struct tcp_rtt r;
    tcp_rtt_init(&r, 1 * SEC, 200 * MS, 60 * SEC);
    tcp_rtt_sample(&r, 100 * MS);
    assert_true(r.valid);
    assert_int_equal(r.srtt, 100 * MS);
    assert_int_equal(r.rttvar, 50 * MS);
    assert_int_equal(r.rto, 300 * MS);
}

/* RFC 6298 2.3 by hand, RTTVAR from the old SRTT, then SRTT:
 *   R=100ms: SRTT 100,     RTTVAR 50,   RTO 300
 *   R=200ms: RTTVAR (3*50 + 100)/4 = 62.5,  SRTT (7*100 + 200)/8 = 112.5,
 *            RTO 112.5 + 250 = 362.5
 *   R=50ms:  RTTVAR (3*62.5 + 62.5)/4 = 62.5, SRTT (7*112.5 + 50)/8 =
 *            104.6875, RTO 354.6875
 *   R=104.6875ms: RTTVAR (3*62.5 + 0)/4 = 46.875, SRTT unchanged,
 *            RTO 104.6875 + 187.5 = 292.1875 */
static void test_sample_sequence(void **state)
{
    (void)state;
    struct tcp_rtt r;
    tcp_rtt_init(&r, 1 * SEC, 200 * MS, 60 * SEC);
    tcp_rtt_sample(&r, 100 * MS);
    tcp_rtt_sample(&r, 200 * MS);
    assert_int_equal(r.rttvar, 62500000);
    assert_int_equal(r.srtt, 112500000);
    assert_int_equal(r.rto, 362500000);
    tcp_rtt_sample(&r, 50 * MS);
    assert_int_equal(r.rttvar, 62500000);
    assert_int_equal(r.srtt, 104687500);
    assert_int_equal(r.rto, 354687500);
    tcp_rtt_sample(&r, 104687500);
    assert_int_equal(r.rttvar, 46875000);
    assert_int_equal(r.srtt, 104687500);
    assert_int_equal(r.rto, 292187500);
}

/* A steady path converges: RTTVAR decays, SRTT stays. */
static void test_steady_samples_converge(void **state)
{
    (void)state;
    struct tcp_rtt r;
    tcp_rtt_init(&r, 1 * SEC, 0, 60 * SEC);
    for (int i = 0; i < 200; i++)
        tcp_rtt_sample(&r, 40 * MS);
    assert_int_equal(r.srtt, 40 * MS);
    assert_true(r.rttvar < 1 * MS / 4);
    /* 4*RTTVAR below G: the G term takes over. */
    assert_int_equal(r.rto, 40 * MS + TCP_RTT_G_NS);
}

static void test_clamp_min(void **state)
{
    (void)state;
    struct tcp_rtt r;
    tcp_rtt_init(&r, 1 * SEC, 200 * MS, 60 * SEC);
    tcp_rtt_sample(&r, 1 * MS);   /* 1 + max(1, 2) = 3 ms */
    assert_int_equal(r.srtt, 1 * MS);
    assert_int_equal(r.rto, 200 * MS);
    /* A zero sample is used (a fast LAN), the floor still holds. */
    tcp_rtt_init(&r, 1 * SEC, 200 * MS, 60 * SEC);
    tcp_rtt_sample(&r, 0);
    assert_true(r.valid);
    assert_int_equal(r.srtt, 0);
    assert_int_equal(r.rto, 200 * MS);
    /* With no minimum, the G term is the floor: 100us + 1ms. */
    tcp_rtt_init(&r, 1 * SEC, 0, 60 * SEC);
    tcp_rtt_sample(&r, 100000);
    assert_int_equal(r.rto, 100000 + TCP_RTT_G_NS);
}

static void test_clamp_max(void **state)
{
    (void)state;
    struct tcp_rtt r;
    tcp_rtt_init(&r, 1 * SEC, 200 * MS, 60 * SEC);
    tcp_rtt_sample(&r, 30 * SEC); /* 30 + 60 = 90 s */
    assert_int_equal(r.rto, 60 * SEC);
    /* Absurd samples neither overflow nor escape the clamp. */
    tcp_rtt_sample(&r, UINT64_MAX);
    assert_int_equal(r.rto, 60 * SEC);
    assert_true(r.srtt > 30 * SEC);
    tcp_rtt_init(&r, 1 * SEC, 200 * MS, 60 * SEC);
    tcp_rtt_sample(&r, UINT64_MAX);
    tcp_rtt_sample(&r, UINT64_MAX);
    assert_int_equal(r.rto, 60 * SEC);
}

/* RFC 6298 5.5: 1 s, 2 s, 4 s ... up to max. */
static void test_backoff_sequence(void **state)
{
    (void)state;
    struct tcp_rtt r;
    tcp_rtt_init(&r, 1 * SEC, 200 * MS, 60 * SEC);
    const uint64_t want[] = {1, 2, 4, 8, 16, 32, 60, 60, 60};
    for (uint32_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
        assert_int_equal(tcp_rtt_backoff(&r, i), want[i] * SEC);
    assert_int_equal(r.rto, 1 * SEC); /* backoff does not change the estimator */
}

static void test_backoff_huge(void **state)
{
    (void)state;
    struct tcp_rtt r;
    tcp_rtt_init(&r, 1 * SEC, 200 * MS, 60 * SEC);
    assert_int_equal(tcp_rtt_backoff(&r, 63), 60 * SEC);
    assert_int_equal(tcp_rtt_backoff(&r, 64), 60 * SEC);
    assert_int_equal(tcp_rtt_backoff(&r, 1000), 60 * SEC);
    assert_int_equal(tcp_rtt_backoff(&r, UINT32_MAX), 60 * SEC);
    /* A max near the top of the range: doubling must not wrap. */
    tcp_rtt_init(&r, 3, 1, UINT64_MAX);
    assert_int_equal(tcp_rtt_backoff(&r, 62), 3ull << 62);
    assert_int_equal(tcp_rtt_backoff(&r, 63), UINT64_MAX);
    assert_int_equal(tcp_rtt_backoff(&r, 1000), UINT64_MAX);
    assert_int_equal(tcp_rtt_backoff(&r, 10), 3ull << 10);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_initial_rto),
        cmocka_unit_test(test_first_sample),
        cmocka_unit_test(test_sample_sequence),
        cmocka_unit_test(test_steady_samples_converge),
        cmocka_unit_test(test_clamp_min),
        cmocka_unit_test(test_clamp_max),
        cmocka_unit_test(test_backoff_sequence),
        cmocka_unit_test(test_backoff_huge),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
