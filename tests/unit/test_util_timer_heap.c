/* test_util_timer_heap.c - the deadline heap (stack/util/timer_heap.h):
 * order, moves both ways, removal from anywhere, equal keys, growth and
 * shrinking with reservations, and a seeded random run against a plain
 * array scanned for its minimum. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "stack/util/timer_heap.h"

static uint32_t xorshift(uint32_t *s)
{
    uint32_t x = *s;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    *s = x;
    return x;
}

/* Every parent no later than its children, every node's slot right. */
static void check_heap(const struct timer_heap *h)
{
    assert_true(h->n <= h->cap);
    for (uint32_t i = 0; i < h->n; i++) {
        assert_int_equal(h->v[i]->slot, i + 1);
        if (i > 0)
            assert_true(h->v[(i - 1) / 2]->when <= h->v[i]->when);
    }
}

static void test_order_and_moves(void **state)
{
    (void)state;
    struct timer_heap h;
    timer_heap_init(&h);
    assert_null(timer_heap_min(&h));
    struct timer_node x[5];
    memset(x, 0, sizeof x);
    const uint64_t when[5] = {50, 10, 40, 30, 20};
    assert_int_equal(timer_heap_reserve(&h, 5), 0);
    for (int i = 0; i < 5; i++) {
        assert_false(timer_node_queued(&x[i]));
        assert_int_equal(timer_heap_set(&h, &x[i], when[i]), 0);
        assert_true(timer_node_queued(&x[i]));
        check_heap(&h);
    }
    assert_ptr_equal(timer_heap_min(&h), &x[1]);
    /* Later: the next one comes first. Earlier: it jumps ahead. */
    assert_int_equal(timer_heap_set(&h, &x[1], 45), 0);
    check_heap(&h);
    assert_ptr_equal(timer_heap_min(&h), &x[4]);
    assert_int_equal(timer_heap_set(&h, &x[0], 5), 0);
    check_heap(&h);
    assert_ptr_equal(timer_heap_min(&h), &x[0]);
    /* The same key again changes nothing. */
    assert_int_equal(timer_heap_set(&h, &x[0], 5), 0);
    assert_ptr_equal(timer_heap_min(&h), &x[0]);
    /* Remove from the middle, the top, twice, and an unqueued one. */
    timer_heap_remove(&h, &x[2]);
    check_heap(&h);
    assert_false(timer_node_queued(&x[2]));
    timer_heap_remove(&h, &x[2]);
    timer_heap_remove(&h, &x[0]);
    check_heap(&h);
    assert_int_equal(h.n, 3);
    /* Drain in order: 20, 30, 45. */
    const uint64_t expect[3] = {20, 30, 45};
    for (int i = 0; i < 3; i++) {
        struct timer_node *m = timer_heap_min(&h);
        assert_non_null(m);
        assert_int_equal(m->when, expect[i]);
        timer_heap_remove(&h, m);
        check_heap(&h);
    }
    assert_null(timer_heap_min(&h));
    timer_heap_free(&h);
}

/* Equal deadlines are all kept and all come out. */
static void test_equal_keys(void **state)
{
    (void)state;
    struct timer_heap h;
    timer_heap_init(&h);
    struct timer_node x[40];
    memset(x, 0, sizeof x);
    for (int i = 0; i < 40; i++)
        assert_int_equal(timer_heap_set(&h, &x[i], 7), 0); /* no reservation: grows */
    check_heap(&h);
    int out = 0;
    struct timer_node *m;
    while ((m = timer_heap_min(&h)) != NULL) {
        assert_int_equal(m->when, 7);
        timer_heap_remove(&h, m);
        out++;
    }
    assert_int_equal(out, 40);
    timer_heap_free(&h);
}

/* Reservations grow the array by doubling; giving them back shrinks it
 * once it is a quarter full, never below what is queued; free unqueues
 * what is left. */
static void test_reserve_grow_shrink(void **state)
{
    (void)state;
    struct timer_heap h;
    timer_heap_init(&h);
    enum { N = 5000 };
    static struct timer_node x[N];
    memset(x, 0, sizeof x);
    for (int i = 0; i < N; i++) {
        assert_int_equal(timer_heap_reserve(&h, 1), 0);
        assert_int_equal(timer_heap_set(&h, &x[i], (uint64_t)(N - i)), 0);
    }
    check_heap(&h);
    assert_true(h.cap >= N && h.cap < 2 * N);
    uint32_t big = h.cap;
    for (int i = 0; i < N - 10; i++) {
        timer_heap_remove(&h, &x[i]);
        assert_int_equal(timer_heap_reserve(&h, -1), 0);
        assert_true(h.cap >= h.n && h.cap >= h.reserved);
    }
    check_heap(&h);
    assert_true(h.cap <= 64);
    assert_true(h.cap < big);
    /* A promise given back with nodes still queued keeps them. */
    assert_int_equal(timer_heap_reserve(&h, -100), 0);
    assert_int_equal(h.reserved, 0);
    assert_true(h.cap >= h.n);
    check_heap(&h);
    assert_int_equal(timer_heap_min(&h)->when, 1);
    timer_heap_free(&h);
    for (int i = 0; i < N; i++)
        assert_false(timer_node_queued(&x[i]));
    assert_int_equal(timer_heap_reserve(&h, INT32_MAX), -ENOMEM);
    assert_int_equal(h.reserved, 0);
    timer_heap_free(&h);
}

/* Random sets, moves and removals against a reference array. */
static void test_random_against_reference(void **state)
{
    (void)state;
    enum { N = 300 };
    struct timer_heap h;
    timer_heap_init(&h);
    struct timer_node x[N];
    memset(x, 0, sizeof x);
    uint64_t ref[N]; /* 0 = not queued */
    memset(ref, 0, sizeof ref);
    assert_int_equal(timer_heap_reserve(&h, N), 0);
    uint32_t seed = 12345;
    for (int step = 0; step < 200000; step++) {
        uint32_t r = xorshift(&seed);
        uint32_t i = r % N;
        switch ((r >> 16) % 4) {
        case 0:
        case 1:
            ref[i] = 1 + (xorshift(&seed) % 1000);
            assert_int_equal(timer_heap_set(&h, &x[i], ref[i]), 0);
            break;
        case 2:
            ref[i] = 0;
            timer_heap_remove(&h, &x[i]);
            break;
        default: {
            /* Pop the earliest, as tcp_poll does. */
            struct timer_node *m = timer_heap_min(&h);
            uint64_t best = 0;
            for (int k = 0; k < N; k++)
                if (ref[k] != 0 && (best == 0 || ref[k] < best))
                    best = ref[k];
            if (m == NULL) {
                assert_int_equal(best, 0);
                break;
            }
            assert_int_equal(m->when, best);
            uint32_t k = (uint32_t)(m - x);
            assert_true(k < N);
            assert_int_equal(ref[k], best);
            ref[k] = 0;
            timer_heap_remove(&h, m);
            break;
        }
        }
        if (step % 1000 == 0)
            check_heap(&h);
    }
    uint32_t queued = 0;
    for (int k = 0; k < N; k++) {
        assert_int_equal(timer_node_queued(&x[k]), ref[k] != 0);
        queued += ref[k] != 0;
    }
    assert_int_equal(h.n, queued);
    timer_heap_free(&h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_order_and_moves),
        cmocka_unit_test(test_equal_keys),
        cmocka_unit_test(test_reserve_grow_shrink),
        cmocka_unit_test(test_random_against_reference),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
