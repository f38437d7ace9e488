/* timer_heap.c - see timer_heap.h.
 *
 * The usual array heap: the children of slot i are 2i+1 and 2i+2, every
 * node is no later than its children. Each move writes the node's new
 * slot back into it, so a node can be found from itself. */
#include "stack/util/timer_heap.h"

#include <errno.h>
#include <stdlib.h>

#define TIMER_HEAP_MIN_CAP 16u
/* More nodes than any caller needs (TCP's max_conns is at most 2^20). */
#define TIMER_HEAP_MAX_NODES (1u << 26)

void timer_heap_init(struct timer_heap *h)
{
    h->v = NULL;
    h->n = h->cap = h->reserved = 0;
}

void timer_heap_free(struct timer_heap *h)
{
    for (uint32_t i = 0; i < h->n; i++)
        h->v[i]->slot = 0;
    free(h->v);
    timer_heap_init(h);
}

static int resize(struct timer_heap *h, uint32_t cap)
{
    struct timer_node **v = realloc(h->v, (size_t)cap * sizeof *v);
    if (v == NULL)
        return -ENOMEM;
    h->v = v;
    h->cap = cap;
    return 0;
}

int timer_heap_reserve(struct timer_heap *h, int32_t n)
{
    if (n < 0) {
        uint32_t give = (uint32_t)-(int64_t)n;
        h->reserved = give > h->reserved ? 0 : h->reserved - give;
        /* Shrink when a quarter full, keeping room for what is queued
         * and promised; a failed shrink just keeps the larger array. */
        uint32_t need = h->reserved > h->n ? h->reserved : h->n;
        if (h->cap > TIMER_HEAP_MIN_CAP && need < h->cap / 4)
            (void)resize(h, h->cap / 2 > TIMER_HEAP_MIN_CAP ? h->cap / 2 : TIMER_HEAP_MIN_CAP);
        return 0;
    }
    if ((uint64_t)h->reserved + (uint32_t)n > TIMER_HEAP_MAX_NODES)
        return -ENOMEM;
    uint32_t want = h->reserved + (uint32_t)n;
    if (want > h->cap) {
        uint32_t cap = h->cap < TIMER_HEAP_MIN_CAP ? TIMER_HEAP_MIN_CAP : h->cap;
        while (cap < want)
            cap *= 2;
        if (resize(h, cap) != 0)
            return -ENOMEM;
    }
    h->reserved = want;
    return 0;
}

static void place(struct timer_heap *h, uint32_t i, struct timer_node *x)
{
    h->v[i] = x;
    x->slot = i + 1;
}

static void sift_up(struct timer_heap *h, uint32_t i)
{
    struct timer_node *x = h->v[i];
    while (i > 0) {
        uint32_t parent = (i - 1) / 2;
        if (h->v[parent]->when <= x->when)
            break;
        place(h, i, h->v[parent]);
        i = parent;
    }
    place(h, i, x);
}

static void sift_down(struct timer_heap *h, uint32_t i)
{
    struct timer_node *x = h->v[i];
    for (;;) {
        uint32_t child = 2 * i + 1;
        if (child >= h->n)
            break;
        if (child + 1 < h->n && h->v[child + 1]->when < h->v[child]->when)
            child++;
        if (x->when <= h->v[child]->when)
            break;
        place(h, i, h->v[child]);
        i = child;
    }
    place(h, i, x);
}

int timer_heap_set(struct timer_heap *h, struct timer_node *x, uint64_t when)
{
    if (x->slot != 0) {
        uint64_t old = x->when;
        x->when = when;
        if (when < old)
            sift_up(h, x->slot - 1);
        else if (when > old)
            sift_down(h, x->slot - 1);
        return 0;
    }
    if (h->n == h->cap && resize(h, h->cap < TIMER_HEAP_MIN_CAP ? TIMER_HEAP_MIN_CAP
                                                                 : h->cap * 2) != 0)
        return -ENOMEM;
    x->when = when;
    place(h, h->n++, x);
    sift_up(h, h->n - 1);
    return 0;
}

void timer_heap_remove(struct timer_heap *h, struct timer_node *x)
{
    if (x->slot == 0)
        return;
    uint32_t i = x->slot - 1;
    x->slot = 0;
    struct timer_node *last = h->v[--h->n];
    if (last == x)
        return;
    /* The last node fills the hole, then goes up or down to its place. */
    place(h, i, last);
    if (i > 0 && h->v[(i - 1) / 2]->when > last->when)
        sift_up(h, i);
    else
        sift_down(h, i);
}
