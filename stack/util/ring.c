/* ring.c - see ring.h.
 *
 * The data is the len bytes starting at buf[head], wrapping at cap. The
 * free space follows it: offset k past the end lives at
 * buf[(head + len + k) % cap]; hi says how far from head written bytes
 * reach. Every copy is split into at most two memcpy()s at the wrap
 * point; cap 0 (nothing allocated) never divides. */
#include "stack/util/ring.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* Physical index of logical position pos (0 = head), pos < 2 * cap. */
static size_t ring_index(const struct ring *r, size_t pos)
{
    size_t i = r->head + pos;
    return i >= r->cap ? i - r->cap : i;
}

/* Copy n bytes into the ring at logical position pos (pos + n <= cap). */
static void copy_in(struct ring *r, size_t pos, const uint8_t *src, size_t n)
{
    if (n == 0)
        return;
    size_t i = ring_index(r, pos);
    size_t first = r->cap - i < n ? r->cap - i : n;
    memcpy(r->buf + i, src, first);
    memcpy(r->buf, src + first, n - first);
}

/* Copy n bytes out of the ring from logical position pos (pos + n <= cap). */
static void copy_out(const struct ring *r, size_t pos, uint8_t *dst, size_t n)
{
    if (n == 0)
        return;
    size_t i = ring_index(r, pos);
    size_t first = r->cap - i < n ? r->cap - i : n;
    memcpy(dst, r->buf + i, first);
    memcpy(dst + first, r->buf, n - first);
}

/* Move the first hi bytes to an allocation of cap bytes (hi <= cap),
 * head back to 0; cap 0 frees. 0 or -ENOMEM (unchanged). */
static int realloc_to(struct ring *r, size_t cap)
{
    uint8_t *nbuf = NULL;
    if (cap > 0) {
        nbuf = malloc(cap);
        if (nbuf == NULL)
            return -ENOMEM;
        copy_out(r, 0, nbuf, r->hi);
    }
    free(r->buf);
    r->buf = nbuf;
    r->cap = cap;
    r->head = 0;
    return 0;
}

int ring_init(struct ring *r, size_t limit)
{
    r->buf = NULL;
    r->cap = 0;
    r->limit = limit;
    r->head = 0;
    r->len = 0;
    r->hi = 0;
    return 0;
}

void ring_free(struct ring *r)
{
    free(r->buf);
    ring_init(r, 0);
}

int ring_reserve(struct ring *r, size_t need)
{
    if (need <= r->cap)
        return 0;
    if (need > r->limit)
        return -EINVAL;
    size_t cap = r->cap < RING_MIN_ALLOC ? RING_MIN_ALLOC : r->cap;
    while (cap < need)
        cap *= 2;
    if (cap > r->limit)
        cap = r->limit;
    return realloc_to(r, cap);
}

/* Little left: give memory back. Nothing held (no data, nothing written
 * ahead): free it all. An eighth or less of a larger allocation: halve
 * it, keeping room for twice what is held (copying that little is cheap,
 * and the next burst doubles it again). */
static void maybe_shrink(struct ring *r)
{
    if (r->hi == 0) {
        (void)realloc_to(r, 0);
        return;
    }
    if (r->cap > RING_MIN_ALLOC && r->hi <= r->cap / 8) {
        size_t cap = r->cap / 2;
        while (cap / 2 >= RING_MIN_ALLOC && cap / 2 >= 2 * r->hi)
            cap /= 2;
        (void)realloc_to(r, cap); /* without memory, keep the larger one */
    }
}

int ring_resize(struct ring *r, size_t limit)
{
    if (limit < r->len || limit < r->hi)
        return -EINVAL;
    if (r->cap > limit && realloc_to(r, limit) != 0)
        return -ENOMEM;
    r->limit = limit;
    if (r->hi == 0)
        (void)realloc_to(r, 0);
    return 0;
}

size_t ring_write(struct ring *r, const void *src, size_t n)
{
    size_t space = ring_space(r);
    if (n > space)
        n = space;
    if (n == 0)
        return 0;
    if (ring_reserve(r, r->len + n) != 0) {
        n = r->cap > r->len ? r->cap - r->len : 0;
        if (n == 0)
            return 0;
    }
    copy_in(r, r->len, src, n);
    r->len += n;
    if (r->hi < r->len)
        r->hi = r->len;
    return n;
}

size_t ring_read(struct ring *r, void *dst, size_t n)
{
    n = ring_peek(r, 0, dst, n);
    return ring_consume(r, n);
}

size_t ring_peek(const struct ring *r, size_t off, void *dst, size_t n)
{
    if (off >= r->len)
        return 0;
    if (n > r->len - off)
        n = r->len - off;
    copy_out(r, off, dst, n);
    return n;
}

size_t ring_consume(struct ring *r, size_t n)
{
    if (n > r->len)
        n = r->len;
    if (n == 0)
        return 0;
    r->head = ring_index(r, n);
    r->len -= n;
    /* Written-ahead bytes keep their place relative to the data: they
     * sit at head + len + off and must stay put until committed. */
    r->hi -= n;
    maybe_shrink(r);
    return n;
}

size_t ring_write_at(struct ring *r, size_t off, const void *src, size_t n)
{
    size_t space = ring_space(r);
    if (off >= space)
        return 0;
    if (n > space - off)
        n = space - off;
    if (n == 0)
        return 0;
    size_t end = r->len + off + n;
    if (ring_reserve(r, end) != 0) {
        if (r->cap <= r->len + off)
            return 0;
        n = r->cap - r->len - off;
        end = r->cap;
    }
    copy_in(r, r->len + off, src, n);
    if (r->hi < end)
        r->hi = end;
    return n;
}

size_t ring_commit(struct ring *r, size_t n)
{
    size_t space = ring_space(r);
    if (n > space)
        n = space;
    if (n > r->cap - r->len)
        n = r->cap - r->len; /* never past what is allocated (and was filled) */
    r->len += n;
    if (r->hi < r->len)
        r->hi = r->len;
    return n;
}

size_t ring_free_spans(struct ring *r, uint8_t *p[2], size_t n[2])
{
    if (ring_space(r) == 0)
        return 0;
    if (r->cap == r->len) {
        /* A caller filling in place is usually a stream (an application
         * writing through the IPC): offer a good part of a TSO segment at
         * once, not a page, so it needs few reads to fill the ring. */
        size_t want = r->cap < RING_SPAN_ALLOC ? RING_SPAN_ALLOC : 2 * r->cap;
        if (want > r->limit)
            want = r->limit;
        if (ring_reserve(r, want) != 0)
            return 0;
    }
    size_t space = r->cap - r->len;
    size_t i = ring_index(r, r->len);
    size_t run = r->cap - i;
    if (run >= space) {
        p[0] = r->buf + i;
        n[0] = space;
        return 1;
    }
    p[0] = r->buf + i;
    n[0] = run;
    p[1] = r->buf;
    n[1] = space - run;
    return 2;
}

size_t ring_span(const struct ring *r, size_t off, const uint8_t **p)
{
    if (off >= r->len) {
        *p = NULL;
        return 0;
    }
    size_t i = ring_index(r, off);
    size_t run = r->cap - i;
    if (run > r->len - off)
        run = r->len - off;
    *p = r->buf + i;
    return run;
}
