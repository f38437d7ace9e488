/* test_util_assembler.c - the out-of-order range tracker
 * (stack/util/assembler.h): merging of overlapping and touching ranges,
 * the max-ranges cap, asm_advance, recency order for SACK (RFC 2018 4),
 * and a seeded random run against a plain bitmap. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "stack/util/assembler.h"

static uint32_t xorshift(uint32_t *s)
{
    uint32_t x = *s;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    *s = x;
    return x;
}

/* Assert the ranges are exactly the pairs in want[] (start, end, ...). */
static void expect_ranges(const struct assembler *a, const uint32_t *want, uint32_t n)
{
    assert_int_equal(a->n, n);
    for (uint32_t i = 0; i < n; i++) {
        assert_int_equal(a->r[i].start, want[2 * i]);
        assert_int_equal(a->r[i].end, want[2 * i + 1]);
    }
}

static void test_empty_and_len_zero(void **state)
{
    (void)state;
    struct assembler a;
    assert_int_equal(asm_init(&a, 4), 0);
    assert_true(asm_empty(&a));
    assert_int_equal(asm_bytes(&a), 0);
    assert_int_equal(asm_add(&a, 5, 0), 0);
    assert_true(asm_empty(&a));
    assert_int_equal(asm_advance(&a, 10), 0);
    struct asm_range out[4];
    assert_int_equal(asm_recent(&a, out, 4), 0);
    asm_free(&a);
}

/* Segments arriving one after another past a hole grow one range. */
static void test_in_order_after_hole(void **state)
{
    (void)state;
    struct assembler a;
    assert_int_equal(asm_init(&a, 4), 0);
    for (uint32_t i = 0; i < 10; i++)
        assert_int_equal(asm_add(&a, 100 + 10 * i, 10), 0);
    const uint32_t want[] = {100, 200};
    expect_ranges(&a, want, 1);
    assert_int_equal(asm_bytes(&a), 100);
    assert_false(asm_empty(&a));
    asm_free(&a);
}

static void test_holes_and_touching(void **state)
{
    (void)state;
    struct assembler a;
    assert_int_equal(asm_init(&a, 8), 0);
    assert_int_equal(asm_add(&a, 30, 10), 0);
    assert_int_equal(asm_add(&a, 10, 10), 0);
    assert_int_equal(asm_add(&a, 50, 5), 0);
    const uint32_t w1[] = {10, 20, 30, 40, 50, 55};
    expect_ranges(&a, w1, 3);
    /* [20,30) touches both neighbours: one range. */
    assert_int_equal(asm_add(&a, 20, 10), 0);
    const uint32_t w2[] = {10, 40, 50, 55};
    expect_ranges(&a, w2, 2);
    /* Touching on the right only ([45,50) meets 50). */
    assert_int_equal(asm_add(&a, 45, 5), 0);
    const uint32_t w3[] = {10, 40, 45, 55};
    expect_ranges(&a, w3, 2);
    /* A one-byte gap stays a gap. */
    assert_int_equal(asm_add(&a, 41, 3), 0);
    const uint32_t w4[] = {10, 40, 41, 44, 45, 55};
    expect_ranges(&a, w4, 3);
    assert_int_equal(asm_bytes(&a), 30 + 3 + 10);
    asm_free(&a);
}

static void test_overlaps_either_side(void **state)
{
    (void)state;
    struct assembler a;
    assert_int_equal(asm_init(&a, 8), 0);
    assert_int_equal(asm_add(&a, 100, 50), 0);
    assert_int_equal(asm_add(&a, 90, 20), 0); /* overlaps the left edge */
    const uint32_t w1[] = {90, 150};
    expect_ranges(&a, w1, 1);
    assert_int_equal(asm_add(&a, 140, 30), 0); /* overlaps the right edge */
    const uint32_t w2[] = {90, 170};
    expect_ranges(&a, w2, 1);
    assert_int_equal(asm_add(&a, 95, 10), 0); /* inside: no change */
    expect_ranges(&a, w2, 1);
    assert_int_equal(asm_add(&a, 80, 100), 0); /* covers it all */
    const uint32_t w3[] = {80, 180};
    expect_ranges(&a, w3, 1);
    asm_free(&a);
}

static void test_swallow_several(void **state)
{
    (void)state;
    struct assembler a;
    assert_int_equal(asm_init(&a, 8), 0);
    assert_int_equal(asm_add(&a, 5, 5), 0);
    assert_int_equal(asm_add(&a, 20, 5), 0);
    assert_int_equal(asm_add(&a, 30, 5), 0);
    assert_int_equal(asm_add(&a, 40, 5), 0);
    assert_int_equal(asm_add(&a, 60, 5), 0);
    /* [18, 42) swallows [20,25) and [30,35) and overlaps [40,45). */
    assert_int_equal(asm_add(&a, 18, 24), 0);
    const uint32_t w1[] = {5, 10, 18, 45, 60, 65};
    expect_ranges(&a, w1, 3);
    /* [10, 60) touches everything: one range. */
    assert_int_equal(asm_add(&a, 10, 50), 0);
    const uint32_t w2[] = {5, 65};
    expect_ranges(&a, w2, 1);
    asm_free(&a);
}

/* A segment that needs another range beyond max is refused and changes
 * nothing; one that merges is still taken. */
static void test_exceed_max(void **state)
{
    (void)state;
    struct assembler a;
    assert_int_equal(asm_init(&a, 3), 0);
    assert_int_equal(asm_add(&a, 10, 5), 0);
    assert_int_equal(asm_add(&a, 30, 5), 0);
    assert_int_equal(asm_add(&a, 50, 5), 0);
    struct asm_range before[3];
    memcpy(before, a.r, sizeof before);
    uint32_t clock = a.clock;
    assert_int_equal(asm_add(&a, 70, 5), -1);
    assert_int_equal(asm_add(&a, 1, 5), -1);
    assert_int_equal(asm_add(&a, 20, 5), -1);
    assert_int_equal(a.n, 3);
    assert_memory_equal(a.r, before, sizeof before);
    assert_int_equal(a.clock, clock);
    assert_int_equal(asm_add(&a, 15, 5), 0); /* touches [10,15) */
    assert_int_equal(asm_add(&a, 55, 20), 0); /* extends [50,55) */
    const uint32_t w[] = {10, 20, 30, 35, 50, 75};
    expect_ranges(&a, w, 3);
    /* With one slot free again (after a merge), a new range fits. */
    assert_int_equal(asm_add(&a, 20, 10), 0);
    assert_int_equal(asm_add(&a, 100, 1), 0);
    const uint32_t w2[] = {10, 35, 50, 75, 100, 101};
    expect_ranges(&a, w2, 3);
    asm_free(&a);
}

static void test_advance_shifts_and_forgets(void **state)
{
    (void)state;
    struct assembler a;
    assert_int_equal(asm_init(&a, 4), 0);
    assert_int_equal(asm_add(&a, 10, 10), 0);
    assert_int_equal(asm_add(&a, 30, 10), 0);
    assert_int_equal(asm_add(&a, 50, 10), 0);
    /* In-order data short of the first range: everything shifts. */
    assert_int_equal(asm_advance(&a, 5), 0);
    const uint32_t w1[] = {5, 15, 25, 35, 45, 55};
    expect_ranges(&a, w1, 3);
    /* Past the first range's start: its remaining 7 bytes are in order,
     * and the point moves past them too (8 + 7 = 15). */
    assert_int_equal(asm_advance(&a, 8), 7);
    const uint32_t w2[] = {10, 20, 30, 40};
    expect_ranges(&a, w2, 2);
    /* Exactly to a range's start: its whole length is in order. */
    assert_int_equal(asm_advance(&a, 10), 10);
    const uint32_t w3[] = {10, 20};
    expect_ranges(&a, w3, 1);
    /* Exactly to a range's end: forgotten, nothing in order past 0. */
    assert_int_equal(asm_advance(&a, 20), 0);
    assert_true(asm_empty(&a));
    asm_free(&a);
}

/* An advance that jumps over whole ranges forgets them and reports only
 * the one straddling the new point. */
static void test_advance_across_ranges(void **state)
{
    (void)state;
    struct assembler a;
    assert_int_equal(asm_init(&a, 4), 0);
    assert_int_equal(asm_add(&a, 10, 10), 0);
    assert_int_equal(asm_add(&a, 30, 10), 0);
    assert_int_equal(asm_add(&a, 50, 10), 0);
    assert_int_equal(asm_add(&a, 70, 10), 0);
    assert_int_equal(asm_advance(&a, 55), 5); /* [50,60) straddles; point now 60 */
    const uint32_t w[] = {10, 20};
    expect_ranges(&a, w, 1);
    assert_int_equal(asm_advance(&a, 1000), 0);
    assert_true(asm_empty(&a));
    asm_clear(&a);
    assert_true(asm_empty(&a));
    asm_free(&a);
}

/* RFC 2018 4: the range last grown first, then by descending stamp. */
static void test_recent_order(void **state)
{
    (void)state;
    struct assembler a;
    assert_int_equal(asm_init(&a, 8), 0);
    assert_int_equal(asm_add(&a, 10, 5), 0); /* A */
    assert_int_equal(asm_add(&a, 30, 5), 0); /* B */
    assert_int_equal(asm_add(&a, 50, 5), 0); /* C */
    assert_int_equal(asm_add(&a, 70, 5), 0); /* D */
    assert_int_equal(asm_add(&a, 35, 5), 0); /* B grows: B D C A */
    struct asm_range out[8];
    assert_int_equal(asm_recent(&a, out, 8), 4);
    assert_int_equal(out[0].start, 30);
    assert_int_equal(out[0].end, 40);
    assert_int_equal(out[1].start, 70);
    assert_int_equal(out[2].start, 50);
    assert_int_equal(out[3].start, 10);
    /* Only the three most recent when asked for three. */
    memset(out, 0, sizeof out);
    assert_int_equal(asm_recent(&a, out, 3), 3);
    assert_int_equal(out[0].start, 30);
    assert_int_equal(out[1].start, 70);
    assert_int_equal(out[2].start, 50);
    assert_int_equal(out[3].start, 0); /* untouched */
    /* A duplicate inside A makes A the first block again. */
    assert_int_equal(asm_add(&a, 11, 2), 0);
    assert_int_equal(asm_recent(&a, out, 1), 1);
    assert_int_equal(out[0].start, 10);
    /* A merge of C and D via [55,70): the merged range comes first. */
    assert_int_equal(asm_add(&a, 55, 15), 0);
    assert_int_equal(asm_recent(&a, out, 8), 3);
    assert_int_equal(out[0].start, 50);
    assert_int_equal(out[0].end, 75);
    assert_int_equal(out[1].start, 10);
    assert_int_equal(out[2].start, 30);
    assert_int_equal(asm_recent(&a, out, 0), 0);
    asm_free(&a);
}

/* The reference: one flag per offset, 0 = the in-order point. */
#define BITS 256
#define SPAN 200
#define MAX_RANGES 5

static uint32_t bitmap_runs(const uint8_t *held, uint32_t *runs, uint32_t max_runs)
{
    uint32_t n = 0;
    for (uint32_t i = 0; i < BITS; i++) {
        if (held[i] && (i == 0 || !held[i - 1])) {
            uint32_t j = i;
            while (j < BITS && held[j])
                j++;
            if (n < max_runs) {
                runs[2 * n] = i;
                runs[2 * n + 1] = j;
            }
            n++;
        }
    }
    return n;
}

static void test_random_vs_bitmap(void **state)
{
    (void)state;
    uint32_t seed = 0xa55e3b1du;
    struct assembler a;
    assert_int_equal(asm_init(&a, MAX_RANGES), 0);
    uint8_t held[BITS] = {0};
    uint32_t refused = 0, delivered = 0;
    for (int op = 0; op < 20000; op++) {
        uint32_t x = xorshift(&seed);
        if (x % 5 != 0) {
            uint32_t off = 1 + xorshift(&seed) % SPAN;
            uint32_t len = xorshift(&seed) % 24;
            uint8_t next[BITS];
            memcpy(next, held, sizeof next);
            memset(next + off, 1, len);
            uint32_t runs[2 * (BITS / 2)];
            uint32_t n = bitmap_runs(next, runs, BITS / 2);
            int rc = asm_add(&a, off, len);
            if (n > MAX_RANGES) {
                assert_int_equal(rc, -1);
                refused++;
            } else {
                assert_int_equal(rc, 0);
                memcpy(held, next, sizeof held);
                if (len > 0) {
                    /* The range holding this segment is reported first. */
                    struct asm_range first;
                    assert_int_equal(asm_recent(&a, &first, 1), 1);
                    assert_true(first.start <= off && off + len <= first.end);
                }
            }
        } else {
            uint32_t adv = xorshift(&seed) % 40;
            /* Expected: bytes from the new point on that are held. */
            uint32_t want = 0;
            while (adv + want < BITS && held[adv + want])
                want++;
            if (adv == 0)
                want = 0; /* a zero advance moves nothing */
            assert_int_equal(asm_advance(&a, adv), want);
            delivered += want;
            uint8_t next[BITS] = {0};
            /* The in-order point moves past the delivered bytes too. */
            for (uint32_t i = adv + want; i < BITS; i++)
                next[i - adv - want] = held[i];
            memcpy(held, next, sizeof held);
        }
        uint32_t runs[2 * MAX_RANGES];
        uint32_t n = bitmap_runs(held, runs, MAX_RANGES);
        expect_ranges(&a, runs, n);
        uint32_t bytes = 0;
        for (uint32_t i = 0; i < BITS; i++)
            bytes += held[i];
        assert_int_equal(asm_bytes(&a), bytes);
        /* asm_recent: the same ranges, by strictly descending stamp. */
        struct asm_range out[MAX_RANGES];
        assert_int_equal(asm_recent(&a, out, MAX_RANGES), n);
        for (uint32_t i = 1; i < n; i++)
            assert_true(out[i - 1].stamp > out[i].stamp);
    }
    /* The run went through both paths many times. */
    assert_true(refused > 100);
    assert_true(delivered > 100);
    asm_free(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_empty_and_len_zero),
        cmocka_unit_test(test_in_order_after_hole),
        cmocka_unit_test(test_holes_and_touching),
        cmocka_unit_test(test_overlaps_either_side),
        cmocka_unit_test(test_swallow_several),
        cmocka_unit_test(test_exceed_max),
        cmocka_unit_test(test_advance_shifts_and_forgets),
        cmocka_unit_test(test_advance_across_ranges),
        cmocka_unit_test(test_recent_order),
        cmocka_unit_test(test_random_vs_bitmap),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
