/* test_util_ring.c - the byte ring buffer (stack/util/ring.h): wrap-around
 * at every head position, out-of-order writes past the end with a later
 * commit, contiguous spans, resize, clamps, cap 0, and a seeded random
 * run against a plain linear reference buffer. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
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
            /* Move head to shift: fill, drain. */
            ring_consume(&r, ring_len(&r));
            size_t pre = shift;
            fill_pattern(in, pre, 0);
            assert_int_equal(ring_write(&r, in, pre), pre);
            assert_int_equal(ring_consume(&r, pre), pre);
            assert_int_equal(ring_len(&r), 0);

            fill_pattern(in, n, (uint8_t)(shift * 31 + n));
            assert_int_equal(ring_write(&r, in, n), n);
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
    /* head at 6: the free space wraps. */
    assert_int_equal(ring_write(&r, in, 6), 6);
    assert_int_equal(ring_consume(&r, 6), 6);
    assert_int_equal(ring_write(&r, "ab", 2), 2); /* data at 6..7 */
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
    /* Consuming keeps write_at bytes in place. */
    assert_int_equal(ring_consume(&r, 9), 9);
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
    assert_int_equal(ring_write(&r, "123456", 6), 6);
    assert_int_equal(ring_consume(&r, 6), 6);
    assert_int_equal(ring_write(&r, "ab", 2), 2);
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
    assert_int_equal(ring_write(&r, in, 6), 6);
    assert_int_equal(ring_consume(&r, 6), 6);
    assert_int_equal(ring_write(&r, in, 7), 7); /* wraps: 6,7,0..4 */
    assert_int_equal(ring_resize(&r, 6), -EINVAL);
    assert_int_equal(ring_len(&r), 7);
    assert_int_equal(ring_resize(&r, 16), 0);
    assert_int_equal(ring_len(&r), 7);
    assert_int_equal(ring_space(&r), 9);
    assert_int_equal(ring_peek(&r, 0, out, sizeof out), 7);
    assert_memory_equal(out, in, 7);
    const uint8_t *p = NULL;
    assert_int_equal(ring_span(&r, 0, &p), 7); /* contiguous again */
    assert_int_equal(ring_write(&r, in, 8), 8);
    assert_int_equal(ring_resize(&r, 15), 0); /* shrink to exactly len */
    assert_int_equal(ring_space(&r), 0);
    assert_int_equal(ring_read(&r, out, sizeof out), 15);
    assert_memory_equal(out, in, 7);
    assert_memory_equal(out + 7, in, 8);
    ring_free(&r);
}

/* The reference: data[0..len) in order, plus what we know of the free
 * space (free_[k] at offset k past the end, known only where written). */
#define MODEL_MAX 64
struct model {
    uint8_t data[MODEL_MAX];
    uint8_t data_known[MODEL_MAX];
    size_t len;
    uint8_t free_[MODEL_MAX];
    uint8_t free_known[MODEL_MAX];
    size_t cap;
};

static void model_take_free(struct model *m, size_t n)
{
    memmove(m->free_, m->free_ + n, MODEL_MAX - n);
    memmove(m->free_known, m->free_known + n, MODEL_MAX - n);
    memset(m->free_known + MODEL_MAX - n, 0, n);
}

static void model_check(const struct model *m, const struct ring *r)
{
    uint8_t out[MODEL_MAX];
    assert_int_equal(ring_len(r), m->len);
    assert_int_equal(ring_space(r), m->cap - m->len);
    assert_int_equal(ring_peek(r, 0, out, sizeof out), m->len);
    for (size_t i = 0; i < m->len; i++) {
        if (m->data_known[i])
            assert_int_equal(out[i], m->data[i]);
    }
    uint8_t spans[MODEL_MAX];
    assert_int_equal(gather_spans(r, 0, spans, sizeof spans), m->len);
    assert_memory_equal(spans, out, m->len);
}

static void test_random_vs_linear_model(void **state)
{
    (void)state;
    uint32_t seed = 0x5eed1234u;
    struct ring r;
    struct model m;
    memset(&m, 0, sizeof m);
    m.cap = 13;
    assert_int_equal(ring_init(&r, m.cap), 0);
    uint8_t buf[MODEL_MAX + 4], out[MODEL_MAX + 4];
    uint8_t next = 0;
    for (int op = 0; op < 20000; op++) {
        uint32_t x = xorshift(&seed);
        size_t n = xorshift(&seed) % (m.cap + 3);
        size_t off = xorshift(&seed) % (m.cap + 2);
        for (size_t i = 0; i < n; i++)
            buf[i] = next++;
        size_t space = m.cap - m.len;
        switch (x % 8) {
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
            break;
        }
        case 6: { /* commit */
            size_t want = n < space ? n : space;
            assert_int_equal(ring_commit(&r, n), want);
            memcpy(m.data + m.len, m.free_, want);
            memcpy(m.data_known + m.len, m.free_known, want);
            m.len += want;
            model_take_free(&m, want);
            break;
        }
        default: /* resize, now and then */
            if (x % 64 == 7) {
                size_t cap = m.len + xorshift(&seed) % (MODEL_MAX - m.len + 1);
                assert_int_equal(ring_resize(&r, cap), 0);
                m.cap = cap;
                memset(m.free_known, 0, sizeof m.free_known);
            }
            break;
        }
        model_check(&m, &r);
    }
    ring_free(&r);
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
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
