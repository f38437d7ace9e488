/* timer_heap.h - a binary min-heap of deadlines: the TCP connections'
 * timers, one node per connection at its earliest deadline.
 *
 * Intrusive: the node lives in the caller's struct and remembers its slot,
 * so moving or removing one is O(log n) and finding the earliest is O(1)
 * (libev's and Go's timers, the 4.4BSD callout's idea without the wheel).
 * The slot array grows by doubling and halves when it is a quarter full;
 * a caller that reserves room for every node it may insert
 * (timer_heap_reserve) never sees an insert fail. Nothing here knows
 * about clocks: `when` is whatever the caller compares. */
#ifndef TCPIP_UTIL_TIMER_HEAP_H
#define TCPIP_UTIL_TIMER_HEAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct timer_node {
    uint64_t when;               /* the key; valid while queued */
    uint32_t slot;               /* index + 1 in the heap, 0 = not queued */
};

struct timer_heap {
    struct timer_node **v;       /* v[0] is the earliest */
    uint32_t n;                  /* nodes queued */
    uint32_t cap;                /* slots allocated */
    uint32_t reserved;           /* slots promised by timer_heap_reserve */
};

void timer_heap_init(struct timer_heap *h);
void timer_heap_free(struct timer_heap *h);

/* Promise room for n more nodes than promised so far (n may be
 * negative to give a promise back: the array may then shrink). 0, or
 * -ENOMEM (no memory, or above 2^26 nodes; nothing changed). */
int timer_heap_reserve(struct timer_heap *h, int32_t n);

static inline bool timer_node_queued(const struct timer_node *x)
{
    return x->slot != 0;
}

/* Queue x at when, or move it there if queued. 0, or -ENOMEM when the
 * array could not grow (only without a reservation; x is then unqueued). */
int timer_heap_set(struct timer_heap *h, struct timer_node *x, uint64_t when);
/* Unqueue x (nothing if it is not queued). */
void timer_heap_remove(struct timer_heap *h, struct timer_node *x);
/* The earliest node, or NULL. */
static inline struct timer_node *timer_heap_min(const struct timer_heap *h)
{
    return h->n > 0 ? h->v[0] : NULL;
}

#endif
