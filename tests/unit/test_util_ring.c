/* test_util_ring.c - the byte ring buffer (stack/util/ring.h): wrap-around
 * at every head position, out-of-order writes past the end with a later
 * commit, contiguous spans, resize, clamps, limit 0, memory that grows
 * with what is held and goes when it drains (issue 14 item 2), and seeded
 * random runs against a plain linear reference buffer, small and large. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "stack/util/ring.h"

static uint32_t xorshift(uint32_t *s)
{
    uint32_t x = *s;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    *s = x;
    return x;
}

static void fill_pattern(uint8_t *p, size_t n, uint8_t base)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (uint8_t)(base + i * 7);
}

/* Concatenate ring_span runs from off to the end into out; returns bytes. */
static size_t gather_spans(const struct ring *r, size_t off, uint8_t *out, size_t max)
{
    size_t got = 0;
    for (size_t guard = 0; guard < 4 && off + got < ring_len(r); guard++) {
        const uint8_t *p = NULL;
        size_t run = ring_span(r, off + got, &p);
        assert_true(run > 0);
        assert_non_null(p);
        assert_true(got + run <= max);
        memcpy(out + got, p, run);
        got += run;
    }
    return got;
}

/* For every head position and every fill level, what goes in comes out. */
static void wrap_all_offsets(size_t cap)
{
    struct ring r;
    assert_int_equal(ring_init(&r, cap), 0);
    uint8_t in[32], out[32], spans[32];
    assert_true(cap <= sizeof in);
    for (size_t shift = 0; shift < cap; shift++) {
        for (size_t n = 0; n <= cap; n++) {
            /* Move head to shift + 1 (mod cap): a drained ring gives its
             * memory back and starts again at 0, so a sentinel byte holds
             * the head in place while the data goes in behind it. */
            ring_consume(&r, ring_len(&r));
            uint8_t pre[32];
            fill_pattern(pre, shift + 1, 0);
            assert_int_equal(ring_write(&r, pre, shift + 1), shift + 1);
            assert_int_equal(ring_consume(&r, shift), shift);
            assert_int_equal(ring_len(&r), 1);

            fill_pattern(in, n, (uint8_t)(shift * 31 + n));
            size_t first = n < cap - 1 ? n : cap - 1;
            assert_int_equal(ring_write(&r, in, first), first);
            assert_int_equal(ring_consume(&r, 1), 1); /* the sentinel */
            assert_int_equal(ring_write(&r, in + first, n - first), n - first);
            assert_int_equal(ring_len(&r), n);
            assert_int_equal(ring_space(&r), cap - n);
            for (size_t off = 0; off <= n; off++) {
                memset(out, 0, sizeof out);
                assert_int_equal(ring_peek(&r, off, out, sizeof out), n - off);
                assert_memory_equal(out, in + off, n - off);
                assert_int_equal(gather_spans(&r, off, spans, sizeof spans), n - off);
                assert_memory_equal(spans, in + off, n - off);
            }
            memset(out, 0, sizeof out);
            assert_int_equal(ring_read(&r, out, sizeof out), n);
            assert_memory_equal(out, in, n);
            assert_int_equal(ring_len(&r), 0);
        }
    }
    ring_free(&r);
}

static void test_wrap_cap7(void **state)
{
    (void)state;
    wrap_all_offsets(7);
}

static void test_wrap_cap16(void **state)
{
    (void)state;
    wrap_all_offsets(16);
}

static void test_clamps(void **state)
{
    (void)state;
    struct ring r;
    assert_int_equal(ring_init(&r, 8), 0);
    uint8_t in[20], out[20];
    fill_pattern(in, sizeof in, 1);
    assert_int_equal(ring_write(&r, in, 20), 8);
    assert_int_equal(ring_write(&r, in, 1), 0);
    assert_int_equal(ring_space(&r), 0);
    assert_int_equal(ring_peek(&r, 8, out, 5), 0);
    assert_int_equal(ring_peek(&r, 100, out, 5), 0);
    assert_int_equal(ring_peek(&r, 6, out, 5), 2);
    assert_memory_equal(out, in + 6, 2);
    assert_int_equal(ring_consume(&r, 3), 3);
    assert_int_equal(ring_read(&r, out, 20), 5);
    assert_memory_equal(out, in + 3, 5);
    assert_int_equal(ring_consume(&r, 1), 0);
    assert_int_equal(ring_read(&r, out, 1), 0);
    const uint8_t *p = in;
    assert_int_equal(ring_span(&r, 0, &p), 0);
    /* write_at and commit clamp to the free space. */
    assert_int_equal(ring_write(&r, in, 2), 2);
    assert_int_equal(ring_write_at(&r, 6, in, 5), 0);
    assert_int_equal(ring_write_at(&r, 5, in, 5), 1);
    assert_int_equal(ring_write_at(&r, 0, in, 0), 0);
    assert_int_equal(ring_commit(&r, 100), 6);
    assert_int_equal(ring_len(&r), 8);
    assert_int_equal(ring_commit(&r, 1), 0);
    ring_free(&r);
}

static void test_cap_zero(void **state)
{
    (void)state;
    struct ring r;
    assert_int_equal(ring_init(&r, 0), 0);
    uint8_t b[4] = {1, 2, 3, 4};
    assert_int_equal(ring_len(&r), 0);
    assert_int_equal(ring_space(&r), 0);
    assert_int_equal(ring_write(&r, b, 4), 0);
    assert_int_equal(ring_read(&r, b, 4), 0);
    assert_int_equal(ring_peek(&r, 0, b, 4), 0);
    assert_int_equal(ring_consume(&r, 4), 0);
    assert_int_equal(ring_write_at(&r, 0, b, 4), 0);
    assert_int_equal(ring_commit(&r, 4), 0);
    const uint8_t *p = b;
    assert_int_equal(ring_span(&r, 0, &p), 0);
    /* Grow from 0 and back. */
    assert_int_equal(ring_resize(&r, 4), 0);
    assert_int_equal(ring_write(&r, b, 4), 4);
    assert_int_equal(ring_resize(&r, 0), -EINVAL);
    assert_int_equal(ring_consume(&r, 4), 4);
    assert_int_equal(ring_resize(&r, 0), 0);
    assert_int_equal(ring_space(&r), 0);
    ring_free(&r);
    ring_free(&r); /* a freed ring frees again harmlessly */
}

/* Out-of-order data written past the end, across the wrap, and committed
 * once the hole before it fills. */
static void test_write_at_commit_wrap(void **state)
{
    (void)state;
    struct ring r;
    assert_int_equal(ring_init(&r, 10), 0);
    uint8_t in[10], out[10];
    fill_pattern(in, sizeof in, 40);
    /* head at 6: the free space wraps (one byte keeps it from draining). */
    assert_int_equal(ring_write(&r, in, 6), 6);
    assert_int_equal(ring_write(&r, "a", 1), 1);
    assert_int_equal(ring_consume(&r, 6), 6);
    assert_int_equal(ring_write(&r, "b", 1), 1); /* data "ab" at 6..7 */
    /* Bytes 3..6 past the end: physical 11..14 -> 1..4 (wraps past 9). */
    assert_int_equal(ring_write_at(&r, 3, "DEFG", 4), 4);
    assert_int_equal(ring_len(&r), 2);  /* not data yet */
    assert_int_equal(ring_write_at(&r, 0, "ABC", 3), 3);
    assert_int_equal(ring_commit(&r, 7), 7);
    assert_int_equal(ring_len(&r), 9);
    assert_int_equal(ring_peek(&r, 0, out, sizeof out), 9);
    assert_memory_equal(out, "abABCDEFG", 9);
    uint8_t spans[10];
    assert_int_equal(gather_spans(&r, 0, spans, sizeof spans), 9);
    assert_memory_equal(spans, "abABCDEFG", 9);
    /* The first span stops at the wrap: physical 6..9. */
    const uint8_t *p = NULL;
    assert_int_equal(ring_span(&r, 0, &p), 4);
    assert_memory_equal(p, "abAB", 4);
    assert_int_equal(ring_span(&r, 4, &p), 5);
    assert_memory_equal(p, "CDEFG", 5);
    assert_int_equal(ring_span(&r, 9, &p), 0);
    /* Consuming keeps write_at bytes in place: written ahead of an
     * empty ring, they keep its memory. */
    assert_int_equal(ring_consume(&r, 5), 5);
    assert_int_equal(ring_write_at(&r, 3, "Q", 1), 1);
    assert_int_equal(ring_consume(&r, 4), 4);
    assert_int_equal(ring_len(&r), 0);
    assert_non_null(r.buf);
    assert_int_equal(ring_commit(&r, 4), 4);
    assert_int_equal(ring_peek(&r, 3, out, 1), 1);
    assert_int_equal(out[0], 'Q');
    assert_int_equal(ring_consume(&r, 4), 4);
    assert_null(r.buf); /* drained: given back */
    assert_int_equal(ring_write_at(&r, 1, "yz", 2), 2);
    assert_int_equal(ring_write(&r, "x", 1), 1);
    assert_int_equal(ring_commit(&r, 2), 2);
    assert_int_equal(ring_read(&r, out, sizeof out), 3);
    assert_memory_equal(out, "xyz", 3);
    ring_free(&r);
}

/* The free space as runs to fill in place: one run, two when it wraps,
 * none when full; filled and committed, they read back in order. */
static void test_free_spans(void **state)
{
    (void)state;
    struct ring r;
    uint8_t *p[2];
    size_t n[2];
    uint8_t out[10];
    assert_int_equal(ring_init(&r, 10), 0);
    assert_int_equal(ring_free_spans(&r, p, n), 1);
    assert_ptr_equal(p[0], r.buf);
    assert_int_equal(n[0], 10);
    /* head at 6, 2 bytes of data: free space 8..9 then 0..5. */
    assert_int_equal(ring_write(&r, "123456a", 7), 7);
    assert_int_equal(ring_consume(&r, 6), 6);
    assert_int_equal(ring_write(&r, "b", 1), 1);
    assert_int_equal(ring_free_spans(&r, p, n), 2);
    assert_ptr_equal(p[0], r.buf + 8);
    assert_int_equal(n[0], 2);
    assert_ptr_equal(p[1], r.buf);
    assert_int_equal(n[1], 6);
    memcpy(p[0], "cd", 2);
    memcpy(p[1], "efg", 3);
    assert_int_equal(ring_commit(&r, 5), 5);
    assert_int_equal(ring_peek(&r, 0, out, sizeof out), 7);
    assert_memory_equal(out, "abcdefg", 7);
    /* The rest: one run (physical 3..5), then full. */
    assert_int_equal(ring_free_spans(&r, p, n), 1);
    assert_ptr_equal(p[0], r.buf + 3);
    assert_int_equal(n[0], 3);
    assert_int_equal(ring_commit(&r, 3), 3);
    assert_int_equal(ring_free_spans(&r, p, n), 0);
    ring_free(&r);
}

static void test_resize_keeps_wrapped_data(void **state)
{
    (void)state;
    struct ring r;
    assert_int_equal(ring_init(&r, 8), 0);
    uint8_t in[8], out[16];
    fill_pattern(in, sizeof in, 9);
    assert_int_equal(ring_write(&r, "junk..", 6), 6);
    assert_int_equal(ring_write(&r, in, 1), 1);
    assert_int_equal(ring_consume(&r, 6), 6);
    assert_int_equal(ring_write(&r, in + 1, 6), 6); /* wraps: 6,7,0..4 */
    const uint8_t *first = NULL;
    assert_int_equal(ring_span(&r, 0, &first), 2); /* physical 6..7, then 0.. */
    assert_int_equal(ring_resize(&r, 6), -EINVAL);
    assert_int_equal(ring_len(&r), 7);
    assert_int_equal(ring_resize(&r, 16), 0);
    assert_int_equal(ring_len(&r), 7);
    assert_int_equal(ring_space(&r), 9);
    assert_int_equal(ring_peek(&r, 0, out, sizeof out), 7);
    assert_memory_equal(out, in, 7);
    /* A larger limit moves nothing; the growth that needs room does. */
    const uint8_t *p = NULL;
    assert_int_equal(ring_span(&r, 0, &p), 2);
    assert_int_equal(ring_write(&r, in, 8), 8);
    assert_int_equal(ring_span(&r, 0, &p), 15); /* contiguous again */
    assert_int_equal(ring_resize(&r, 15), 0); /* shrink to exactly len */
    assert_int_equal(ring_space(&r), 0);
    assert_int_equal(ring_read(&r, out, sizeof out), 15);
    assert_memory_equal(out, in, 7);
    assert_memory_equal(out + 7, in, 8);
    ring_free(&r);
}

/* The reference: data[0..len) in order, plus what we know of the free
 * space (free_[k] at offset k past the end, known only where written),
 * and how far written-ahead bytes reach past the end (hi_off). */
struct model {
    uint8_t *data, *data_known;
    size_t len;
    uint8_t *free_, *free_known;
    size_t hi_off;
    size_t cap;                  /* the ring's limit */
    size_t max;                  /* the arrays' size */
};

static void model_take_free(struct model *m, size_t n)
{
    memmove(m->free_, m->free_ + n, m->max - n);
    memmove(m->free_known, m->free_known + n, m->max - n);
    memset(m->free_known + m->max - n, 0, n);
    m->hi_off = m->hi_off > n ? m->hi_off - n : 0;
}

static void model_check(const struct model *m, const struct ring *r, uint8_t *out,
                        uint8_t *spans)
{
    assert_int_equal(ring_len(r), m->len);
    assert_int_equal(ring_space(r), m->cap - m->len);
    assert_int_equal(ring_peek(r, 0, out, m->max), m->len);
    for (size_t i = 0; i < m->len; i++) {
        if (m->data_known[i])
            assert_int_equal(out[i], m->data[i]);
    }
    assert_int_equal(gather_spans(r, 0, spans, m->max), m->len);
    assert_memory_equal(spans, out, m->len);
    /* Memory: within the limit, never less than what is held, none when
     * nothing is. */
    assert_true(ring_alloc_size(r) <= m->cap);
    assert_true(ring_alloc_size(r) >= m->len + m->hi_off);
    if (m->len == 0 && m->hi_off == 0)
        assert_null(r->buf);
}

/* Seeded random operations on a ring of limit `limit` against the model;
 * resizes keep between len + written-ahead bytes and max. */
static void random_vs_model(size_t limit, size_t max, uint32_t seed, int ops)
{
    struct ring r;
    struct model m;
    memset(&m, 0, sizeof m);
    m.max = max;
    m.cap = limit;
    m.data = calloc(max, 1);
    m.data_known = calloc(max, 1);
    m.free_ = calloc(max, 1);
    m.free_known = calloc(max, 1);
    uint8_t *buf = calloc(max + 4, 1), *out = calloc(max + 4, 1), *spans = calloc(max, 1);
    assert_non_null(m.data);
    assert_non_null(m.data_known);
    assert_non_null(m.free_);
    assert_non_null(m.free_known);
    assert_non_null(buf);
    assert_non_null(out);
    assert_non_null(spans);
    assert_int_equal(ring_init(&r, m.cap), 0);
    uint8_t next = 0;
    size_t peak = 0;
    for (int op = 0; op < ops; op++) {
        uint32_t x = xorshift(&seed);
        /* Mostly small steps, now and then a large one. */
        size_t span = x % 4 == 0 ? m.cap + 3 : m.cap / 16 + 3;
        size_t n = xorshift(&seed) % span;
        size_t off = xorshift(&seed) % (x % 3 == 0 ? m.cap + 2 : m.cap / 16 + 2);
        for (size_t i = 0; i < n; i++)
            buf[i] = next++;
        size_t space = m.cap - m.len;
        switch ((x >> 8) % 8) {
        case 0: { /* write */
            size_t want = n < space ? n : space;
            assert_int_equal(ring_write(&r, buf, n), want);
            memcpy(m.data + m.len, buf, want);
            memset(m.data_known + m.len, 1, want);
            m.len += want;
            model_take_free(&m, want);
            break;
        }
        case 1: { /* read */
            size_t want = n < m.len ? n : m.len;
            assert_int_equal(ring_read(&r, out, n), want);
            for (size_t i = 0; i < want; i++) {
                if (m.data_known[i])
                    assert_int_equal(out[i], m.data[i]);
            }
            memmove(m.data, m.data + want, m.len - want);
            memmove(m.data_known, m.data_known + want, m.len - want);
            m.len -= want;
            break;
        }
        case 2: { /* peek at an offset */
            size_t want = off >= m.len ? 0 : (n < m.len - off ? n : m.len - off);
            assert_int_equal(ring_peek(&r, off, out, n), want);
            for (size_t i = 0; i < want; i++) {
                if (m.data_known[off + i])
                    assert_int_equal(out[i], m.data[off + i]);
            }
            break;
        }
        case 3: { /* consume */
            size_t want = n < m.len ? n : m.len;
            assert_int_equal(ring_consume(&r, n), want);
            memmove(m.data, m.data + want, m.len - want);
            memmove(m.data_known, m.data_known + want, m.len - want);
            m.len -= want;
            break;
        }
        case 4:
        case 5: { /* write_at */
            size_t want = off >= space ? 0 : (n < space - off ? n : space - off);
            assert_int_equal(ring_write_at(&r, off, buf, n), want);
            memcpy(m.free_ + off, buf, want);
            memset(m.free_known + off, 1, want);
            if (want > 0 && off + want > m.hi_off)
                m.hi_off = off + want;
            break;
        }
        case 6: { /* commit: what was filled, as TCP and the IPC do */
            size_t filled = m.hi_off;
            size_t want = n < filled ? n : filled;
            assert_int_equal(ring_commit(&r, want), want);
            memcpy(m.data + m.len, m.free_, want);
            memcpy(m.data_known + m.len, m.free_known, want);
            m.len += want;
            model_take_free(&m, want);
            break;
        }
        default: /* resize, now and then */
            if (x % 64 == 7) {
                size_t held = m.len + m.hi_off;
                size_t cap = held + xorshift(&seed) % (m.max - held + 1);
                if (cap == 0)
                    cap = 1;
                assert_int_equal(ring_resize(&r, cap), 0);
                m.cap = cap;
            }
            break;
        }
        if (ring_alloc_size(&r) > peak)
            peak = ring_alloc_size(&r);
        model_check(&m, &r, out, spans);
    }
    /* A large ring went past its first allocation at some point. */
    if (limit > 4 * RING_MIN_ALLOC)
        assert_true(peak > RING_MIN_ALLOC);
    ring_free(&r);
    free(m.data);
    free(m.data_known);
    free(m.free_);
    free(m.free_known);
    free(buf);
    free(out);
    free(spans);
}

static void test_random_vs_linear_model(void **state)
{
    (void)state;
    random_vs_model(13, 64, 0x5eed1234u, 20000);
}

/* Limits past RING_MIN_ALLOC: the growth and shrink paths. */
static void test_random_vs_linear_model_large(void **state)
{
    (void)state;
    random_vs_model(40000, 50000, 0xabcdef12u, 5000);
}

/* Issue 14 item 2: memory follows what is held. Nothing until the first
 * byte; doubling from RING_MIN_ALLOC up to the limit; halved when an
 * eighth or less is held; gone when drained. */
static void test_grows_and_shrinks(void **state)
{
    (void)state;
    struct ring r;
    static uint8_t in[300000], out[300000];
    fill_pattern(in, sizeof in, 3);
    assert_int_equal(ring_init(&r, 262144), 0);
    assert_int_equal(ring_alloc_size(&r), 0);
    assert_null(r.buf);
    assert_int_equal(ring_space(&r), 262144);
    assert_int_equal(ring_write(&r, in, 100), 100);
    assert_int_equal(ring_alloc_size(&r), RING_MIN_ALLOC);
    assert_int_equal(ring_write(&r, in + 100, RING_MIN_ALLOC), RING_MIN_ALLOC);
    assert_int_equal(ring_alloc_size(&r), 2 * RING_MIN_ALLOC);
    /* One large write: straight to the size that fits it, at most the limit. */
    assert_int_equal(ring_write(&r, in + 100 + RING_MIN_ALLOC, 200000), 200000);
    assert_int_equal(ring_alloc_size(&r), 262144);
    assert_int_equal(ring_write(&r, in + 200100 + RING_MIN_ALLOC, 90000),
                     262144 - 200100 - RING_MIN_ALLOC);
    assert_int_equal(ring_space(&r), 0);
    /* Drain to an eighth: halved, data intact. */
    size_t len = ring_len(&r);
    assert_int_equal(ring_read(&r, out, len - 30000), len - 30000);
    assert_memory_equal(out, in, len - 30000);
    assert_true(ring_alloc_size(&r) <= 131072);
    assert_true(ring_alloc_size(&r) >= 30000);
    assert_int_equal(ring_peek(&r, 0, out, 30000), 30000);
    assert_memory_equal(out, in + len - 30000, 30000);
    /* Drained: nothing left allocated. */
    assert_int_equal(ring_consume(&r, 30000), 30000);
    assert_int_equal(ring_alloc_size(&r), 0);
    assert_null(r.buf);
    assert_int_equal(ring_space(&r), 262144);
    /* Free spans grow the allocation on demand: an empty ring offers
     * RING_SPAN_ALLOC, a full allocation the double. */
    uint8_t *p[2];
    size_t n[2];
    assert_int_equal(ring_free_spans(&r, p, n), 1);
    assert_int_equal(n[0], RING_SPAN_ALLOC);
    memset(p[0], 'x', n[0]);
    assert_int_equal(ring_commit(&r, n[0]), RING_SPAN_ALLOC);
    assert_int_equal(ring_free_spans(&r, p, n), 1);
    assert_int_equal(n[0], RING_SPAN_ALLOC);
    assert_int_equal(ring_alloc_size(&r), 2 * RING_SPAN_ALLOC);
    /* Commit never reaches past the allocation. */
    assert_int_equal(ring_commit(&r, 200000), RING_SPAN_ALLOC);
    assert_int_equal(ring_len(&r), 2 * RING_SPAN_ALLOC);
    /* Up to the limit, not past it. */
    assert_int_equal(ring_free_spans(&r, p, n), 1);
    assert_int_equal(n[0], 262144 - 2 * RING_SPAN_ALLOC);
    assert_int_equal(ring_alloc_size(&r), 262144);
    /* Closing gives the limit back too. */
    ring_free(&r);
    assert_false(ring_is_open(&r));
    assert_int_equal(ring_space(&r), 0);
    assert_int_equal(ring_reserve(&r, 1), -EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_wrap_cap7),
        cmocka_unit_test(test_wrap_cap16),
        cmocka_unit_test(test_clamps),
        cmocka_unit_test(test_cap_zero),
        cmocka_unit_test(test_write_at_commit_wrap),
        cmocka_unit_test(test_free_spans),
        cmocka_unit_test(test_resize_keeps_wrapped_data),
        cmocka_unit_test(test_random_vs_linear_model),
        cmocka_unit_test(test_random_vs_linear_model_large),
        cmocka_unit_test(test_grows_and_shrinks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
