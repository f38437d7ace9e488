/* test_tcp_seq.c - sequence number comparisons (stack/sock/tcp_seq.h),
 * RFC 9293 3.4 / RFC 1982 modular arithmetic. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "stack/sock/tcp_seq.h"

static void test_plain_order(void **state)
{
    (void)state;
    assert_true(seq_lt(1, 2));
    assert_false(seq_lt(2, 1));
    assert_false(seq_lt(5, 5));
    assert_true(seq_leq(5, 5));
    assert_true(seq_leq(4, 5));
    assert_false(seq_leq(6, 5));
    assert_true(seq_gt(2, 1));
    assert_false(seq_gt(5, 5));
    assert_true(seq_geq(5, 5));
    assert_true(seq_geq(6, 5));
    assert_false(seq_geq(4, 5));
}

static void test_diff_values(void **state)
{
    (void)state;
    assert_int_equal(seq_diff(0, 0), 0);
    assert_int_equal(seq_diff(10, 3), 7);
    assert_int_equal(seq_diff(3, 10), -7);
    assert_int_equal(seq_diff(0, 0xffffffffu), 1);
    assert_int_equal(seq_diff(0xffffffffu, 0), -1);
    assert_int_equal(seq_diff(0x7fffffffu, 0), INT32_MAX);
    assert_int_equal(seq_diff(0x80000000u, 0), INT32_MIN);
    assert_int_equal(seq_diff(0x80000001u, 0), -INT32_MAX);
    assert_int_equal(seq_diff(0, 0x80000001u), INT32_MAX);
}

/* Around 2^32: numbers just below the top are before numbers just past 0. */
static void test_wrap_around_zero(void **state)
{
    (void)state;
    assert_true(seq_lt(0xffffffffu, 0));
    assert_true(seq_gt(0, 0xffffffffu));
    assert_true(seq_lt(0xfffffff0u, 0x10));
    assert_true(seq_leq(0xfffffff0u, 0x10));
    assert_true(seq_gt(0x10, 0xfffffff0u));
    assert_true(seq_geq(0x10, 0xfffffff0u));
    assert_false(seq_gt(0xfffffff0u, 0x10));
    for (uint32_t d = 1; d < 1000; d++) {
        uint32_t a = 0xffffffffu - 500;
        assert_true(seq_lt(a, a + d));
        assert_true(seq_gt(a + d, a));
        assert_false(seq_geq(a, a + d));
    }
}

/* Around 2^31: the largest forward distance is 2^31 - 1; one more and
 * the order flips. Exactly 2^31 is undefined (RFC 1982 3.2): both read as
 * "less", which this test pins so a change is noticed. */
static void test_half_space_distances(void **state)
{
    (void)state;
    static const uint32_t bases[] = {0, 1, 0x7fffffffu, 0x80000000u, 0xfffffffeu, 0x12345678u};
    for (size_t i = 0; i < sizeof bases / sizeof bases[0]; i++) {
        uint32_t a = bases[i];
        assert_true(seq_lt(a, a + 0x7fffffffu));
        assert_true(seq_gt(a + 0x7fffffffu, a));
        assert_true(seq_gt(a, a + 0x80000001u)); /* wrapped: behind us */
        assert_true(seq_lt(a + 0x80000001u, a));
        assert_true(seq_lt(a, a + 0x80000000u));
        assert_true(seq_lt(a + 0x80000000u, a));
    }
}

static uint32_t lcg_next(uint32_t *s)
{
    *s = *s * 1664525u + 1013904223u;
    return *s;
}

/* For random pairs, the four comparisons agree with each other and with
 * the signed distance. */
static void test_random_pairs_consistent(void **state)
{
    (void)state;
    uint32_t seed = 99;
    for (int i = 0; i < 200000; i++) {
        uint32_t a = lcg_next(&seed), b = lcg_next(&seed);
        if (i % 4 == 0)
            b = a + (lcg_next(&seed) % 2001) - 1000; /* near each other */
        if (b - a == 0x80000000u)
            continue;
        bool lt = seq_lt(a, b), gt = seq_gt(a, b), eq = a == b;
        assert_int_equal(lt + gt + eq, 1);
        assert_int_equal(seq_leq(a, b), lt || eq);
        assert_int_equal(seq_geq(a, b), gt || eq);
        assert_int_equal(seq_lt(b, a), gt); /* antisymmetric */
        assert_int_equal(seq_diff(a, b), -seq_diff(b, a));
        assert_int_equal(seq_max(a, b), lt ? b : a);
        assert_int_equal(seq_min(a, b), lt ? a : b);
    }
}

static void test_between_plain(void **state)
{
    (void)state;
    assert_true(seq_between(100, 100, 200));
    assert_true(seq_between(150, 100, 200));
    assert_true(seq_between(199, 100, 200));
    assert_false(seq_between(200, 100, 200)); /* hi is excluded */
    assert_false(seq_between(99, 100, 200));
    assert_false(seq_between(0x80000064u, 100, 200));
}

/* RCV.NXT =< SEG.SEQ < RCV.NXT + RCV.WND with the window across 2^32. */
static void test_between_wrapped_window(void **state)
{
    (void)state;
    uint32_t lo = 0xfffffff0u, hi = 0x10;
    assert_true(seq_between(0xfffffff0u, lo, hi));
    assert_true(seq_between(0xffffffffu, lo, hi));
    assert_true(seq_between(0, lo, hi));
    assert_true(seq_between(0xf, lo, hi));
    assert_false(seq_between(0x10, lo, hi));
    assert_false(seq_between(0xffffffefu, lo, hi));
    assert_false(seq_between(0x7fffffffu, lo, hi));
    /* Exhaustively across the edges: exactly the 32 numbers in the window. */
    int inside = 0;
    for (uint32_t x = 0xffffff00u; x != 0x100; x++)
        inside += seq_between(x, lo, hi);
    assert_int_equal(inside, 32);
}

static void test_between_empty_and_huge(void **state)
{
    (void)state;
    /* An empty window (RCV.WND = 0) holds nothing. */
    static const uint32_t xs[] = {0, 1, 0x7fffffffu, 0x80000000u, 0xffffffffu};
    for (size_t i = 0; i < sizeof xs / sizeof xs[0]; i++) {
        assert_false(seq_between(xs[i], xs[i], xs[i]));
        assert_false(seq_between(xs[i] + 1, xs[i], xs[i]));
    }
    /* Windows wider than 2^31, which seq_lt cannot express, still work. */
    uint32_t lo = 0x40000000u, hi = lo + 0xc0000000u; /* wraps to 0 */
    assert_true(seq_between(lo, lo, hi));
    assert_true(seq_between(0xffffffffu, lo, hi));
    assert_false(seq_between(0, lo, hi));
    assert_false(seq_between(0x3fffffffu, lo, hi));
    /* The widest window, 2^32 - 1 numbers from 6 round to 4, excludes
     * only hi = 5. */
    assert_false(seq_between(5, 6, 5));
    assert_true(seq_between(6, 6, 5));
    assert_true(seq_between(0, 6, 5));
    assert_true(seq_between(4, 6, 5));
}

/* The "SND.UNA < SEG.ACK =< SND.NXT" form via between(ack, una + 1, nxt + 1),
 * with UNA and NXT on either side of 2^32. */
static void test_between_ack_form(void **state)
{
    (void)state;
    uint32_t una = 0xfffffffau, nxt = 0x5;
    assert_false(seq_between(una, una + 1, nxt + 1));
    assert_true(seq_between(una + 1, una + 1, nxt + 1));
    assert_true(seq_between(0, una + 1, nxt + 1));
    assert_true(seq_between(nxt, una + 1, nxt + 1));
    assert_false(seq_between(nxt + 1, una + 1, nxt + 1));
    /* Nothing outstanding (una == nxt): no ack is new. */
    assert_false(seq_between(nxt, nxt + 1, nxt + 1));
}

static void test_between_matches_lt(void **state)
{
    (void)state;
    /* For windows under 2^31, between agrees with lo <= x && x < hi. */
    uint32_t seed = 7;
    for (int i = 0; i < 200000; i++) {
        uint32_t lo = lcg_next(&seed);
        uint32_t hi = lo + lcg_next(&seed) % 0x80000000u;
        uint32_t x = i % 2 ? lcg_next(&seed) : lo + lcg_next(&seed) % 0x10000u - 0x8000u;
        if (x - lo == 0x80000000u || hi - x == 0x80000000u)
            continue;
        assert_int_equal(seq_between(x, lo, hi), seq_leq(lo, x) && seq_lt(x, hi));
    }
}

static void test_max_min_across_wrap(void **state)
{
    (void)state;
    assert_int_equal(seq_max(0xfffffff0u, 0x10), 0x10);
    assert_int_equal(seq_min(0xfffffff0u, 0x10), 0xfffffff0u);
    assert_int_equal(seq_max(0x10, 0xfffffff0u), 0x10);
    assert_int_equal(seq_min(0x10, 0xfffffff0u), 0xfffffff0u);
    assert_int_equal(seq_max(7, 7), 7);
    assert_int_equal(seq_min(7, 7), 7);
    assert_int_equal(seq_max(0x7fffffffu, 0x80000000u), 0x80000000u);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plain_order),
        cmocka_unit_test(test_diff_values),
        cmocka_unit_test(test_wrap_around_zero),
        cmocka_unit_test(test_half_space_distances),
        cmocka_unit_test(test_random_pairs_consistent),
        cmocka_unit_test(test_between_plain),
        cmocka_unit_test(test_between_wrapped_window),
        cmocka_unit_test(test_between_empty_and_huge),
        cmocka_unit_test(test_between_ack_form),
        cmocka_unit_test(test_between_matches_lt),
        cmocka_unit_test(test_max_min_across_wrap),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
