/* ring.c - see ring.h.
 *
 * The data is the len bytes starting at buf[head], wrapping at cap. The
 * free space follows it: offset k past the end lives at
 * buf[(head + len + k) % cap]. Every copy is split into at most two
 * memcpy()s at the wrap point; cap 0 never divides. */
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

/* Copy n bytes into the ring at logical position pos (n <= cap). */
static void copy_in(struct ring *r, size_t pos, const uint8_t *src, size_t n)
{
    if (n == 0)
        return;
    size_t i = ring_index(r, pos);
    size_t first = r->cap - i < n ? r->cap - i : n;
    memcpy(r->buf + i, src, first);
    memcpy(r->buf, src + first, n - first);
}

/* Copy n bytes out of the ring from logical position pos (n <= cap). */
static void copy_out(const struct ring *r, size_t pos, uint8_t *dst, size_t n)
{
    if (n == 0)
        return;
    size_t i = ring_index(r, pos);
    size_t first = r->cap - i < n ? r->cap - i : n;
    memcpy(dst, r->buf + i, first);
    memcpy(dst + first, r->buf, n - first);
}

int ring_init(struct ring *r, size_t cap)
{
    r->buf = NULL;
    r->cap = 0;
    r->head = 0;
    r->len = 0;
    if (cap == 0)
        return 0;
    r->buf = malloc(cap);
    if (r->buf == NULL)
        return -ENOMEM;
    r->cap = cap;
    return 0;
}

void ring_free(struct ring *r)
{
    free(r->buf);
    r->buf = NULL;
    r->cap = 0;
    r->head = 0;
    r->len = 0;
}

int ring_resize(struct ring *r, size_t cap)
{
    if (cap < r->len)
        return -EINVAL;
    uint8_t *nbuf = NULL;
    if (cap > 0) {
        nbuf = malloc(cap);
        if (nbuf == NULL)
            return -ENOMEM;
        copy_out(r, 0, nbuf, r->len);
    }
    free(r->buf);
    r->buf = nbuf;
    r->cap = cap;
    r->head = 0;
    return 0;
}

size_t ring_write(struct ring *r, const void *src, size_t n)
{
    size_t space = ring_space(r);
    if (n > space)
        n = space;
    copy_in(r, r->len, src, n);
    r->len += n;
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
    /* head is kept even when the ring empties: out-of-order bytes put
     * there by ring_write_at sit at head + len + off and must stay put
     * until they are committed. */
    return n;
}

size_t ring_write_at(struct ring *r, size_t off, const void *src, size_t n)
{
    size_t space = ring_space(r);
    if (off >= space)
        return 0;
    if (n > space - off)
        n = space - off;
    copy_in(r, r->len + off, src, n);
    return n;
}

size_t ring_commit(struct ring *r, size_t n)
{
    size_t space = ring_space(r);
    if (n > space)
        n = space;
    r->len += n;
    return n;
}

size_t ring_free_spans(struct ring *r, uint8_t *p[2], size_t n[2])
{
    size_t space = ring_space(r);
    if (space == 0)
        return 0;
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
