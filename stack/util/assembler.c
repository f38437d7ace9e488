/* assembler.c - see assembler.h.
 *
 * The ranges live in one array sorted by start, disjoint and not touching
 * (a gap of at least one byte between neighbours), so a SACK block is a
 * range as is. max_ranges is small (a handful to a few dozen), so every
 * operation is a linear scan plus one memmove. */
#include "stack/util/assembler.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int asm_init(struct assembler *a, uint32_t max_ranges)
{
    a->r = NULL;
    a->n = 0;
    a->max = 0;
    a->clock = 0;
    if (max_ranges == 0)
        return -EINVAL;
    a->r = calloc(max_ranges, sizeof *a->r);
    if (a->r == NULL)
        return -ENOMEM;
    a->max = max_ranges;
    return 0;
}

void asm_free(struct assembler *a)
{
    free(a->r);
    a->r = NULL;
    a->n = 0;
    a->max = 0;
    a->clock = 0;
}

void asm_clear(struct assembler *a)
{
    a->n = 0;
    a->clock = 0;
}

int asm_add(struct assembler *a, uint32_t off, uint32_t len)
{
    if (len == 0)
        return 0;
    /* Windows are below 2^30 (RFC 7323 2.3), so this only guards junk. */
    uint32_t end = len > UINT32_MAX - off ? UINT32_MAX : off + len;

    /* first: the first range that overlaps or touches [off, end), i.e.
     * whose end reaches off. last: one past the last range whose start is
     * at or before end. Ranges first..last-1 all merge with the new one. */
    uint32_t first = 0;
    while (first < a->n && a->r[first].end < off)
        first++;
    uint32_t last = first;
    while (last < a->n && a->r[last].start <= end)
        last++;

    if (first == last) {
        /* Touches nothing: a new range at index first. */
        if (a->n >= a->max)
            return -1;
        memmove(&a->r[first + 1], &a->r[first], (a->n - first) * sizeof *a->r);
        a->r[first].start = off;
        a->r[first].end = end;
        a->n++;
    } else {
        struct asm_range *m = &a->r[first];
        if (off < m->start)
            m->start = off;
        if (a->r[last - 1].end > end)
            end = a->r[last - 1].end;
        m->end = end;
        uint32_t gone = last - first - 1;
        memmove(&a->r[first + 1], &a->r[last], (a->n - last) * sizeof *a->r);
        a->n -= gone;
    }
    /* RFC 2018 4: the first SACK block must be the one holding the segment
     * that triggered the ACK, so a segment that lands inside a range
     * (a duplicate) still makes that range the most recent. */
    a->r[first].stamp = ++a->clock;
    return 0;
}

uint32_t asm_advance(struct assembler *a, uint32_t n)
{
    if (n == 0)
        return 0;
    /* The range that reaches the new in-order point (at most one: ranges
     * are disjoint and never touch) leaves, and the point moves past it
     * too: the others shift by n plus its bytes. */
    uint32_t in_order = 0;
    for (uint32_t i = 0; i < a->n; i++) {
        const struct asm_range *g = &a->r[i];
        if (g->start <= n && g->end > n) {
            in_order = g->end - n;
            break;
        }
    }
    uint32_t shift = n + in_order;
    uint32_t keep = 0;
    for (uint32_t i = 0; i < a->n; i++) {
        struct asm_range *g = &a->r[i];
        if (g->end <= shift)
            continue; /* at or below the new in-order point: delivered or forgotten */
        a->r[keep] = *g;
        a->r[keep].start -= shift;
        a->r[keep].end -= shift;
        keep++;
    }
    a->n = keep;
    return in_order;
}

uint32_t asm_bytes(const struct assembler *a)
{
    uint32_t total = 0;
    for (uint32_t i = 0; i < a->n; i++)
        total += a->r[i].end - a->r[i].start;
    return total;
}

size_t asm_recent(const struct assembler *a, struct asm_range *out, size_t max)
{
    /* Insertion into out by age (clock - stamp, which stays right when the
     * clock wraps), keeping the max youngest. Stamps are unique: each add
     * stamps exactly one range with a fresh clock value. */
    size_t got = 0;
    for (uint32_t i = 0; i < a->n; i++) {
        uint32_t age = a->clock - a->r[i].stamp;
        size_t pos = got;
        while (pos > 0 && a->clock - out[pos - 1].stamp > age)
            pos--;
        if (pos >= max)
            continue;
        size_t move = (got < max ? got : max - 1) - pos;
        memmove(&out[pos + 1], &out[pos], move * sizeof *out);
        out[pos] = a->r[i];
        if (got < max)
            got++;
    }
    return got;
}
