/* ring.h - a byte ring buffer: a TCP connection's send and receive queues.
 *
 * Its limit (the socket buffer size) is chosen at init, but memory follows
 * the bytes actually held, as Linux charges a socket for the skbs it
 * queues rather than for its configured size: nothing is allocated until
 * the first byte, the allocation doubles (from RING_MIN_ALLOC, never past
 * the limit) when more must fit, halves when what it holds falls to an
 * eighth of it, and is freed when the ring drains. An idle connection so
 * costs no buffer memory at all. Growing or shrinking moves the bytes to
 * a new allocation (head back to 0); spans and pointers handed out are
 * only valid until the next call that changes the ring.
 *
 * Besides plain append/consume it can write into its free space at an
 * offset past the end without committing (ring_write_at) and commit later
 * (ring_commit): the receive side keeps out-of-order TCP data there, in
 * the window it advertised, so the out-of-order queue costs no extra
 * memory (the ranges are tracked by util/assembler.h); such bytes are kept
 * across a reallocation. All sizes are explicit; nothing reads past len. */
#ifndef TCPIP_UTIL_RING_H
#define TCPIP_UTIL_RING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The first allocation, and the smallest a ring shrinks to (unless its
 * limit is smaller). */
#define RING_MIN_ALLOC 4096u
/* What ring_free_spans offers an empty (or full) allocation at least. */
#define RING_SPAN_ALLOC 65536u

struct ring {
    uint8_t *buf;                /* NULL while nothing is held */
    size_t cap;                  /* bytes allocated */
    size_t limit;                /* the most it may hold (0: closed) */
    size_t head;                 /* index of the first byte */
    size_t len;                  /* committed bytes */
    size_t hi;                   /* bytes from head that matter: data and
                                    written-ahead bytes (>= len) */
};

/* An empty ring that may hold up to limit bytes. Allocates nothing;
 * returns 0 (the -ENOMEM of a failed allocation shows later as a write
 * that takes less). limit 0 is a ring that takes nothing. */
int ring_init(struct ring *r, size_t limit);
/* Free its memory and close it (limit 0). Harmless twice. */
void ring_free(struct ring *r);
/* Change the limit keeping the data (limit must be >= len and not cut
 * written-ahead bytes). 0, -EINVAL, -ENOMEM (the ring is then unchanged). */
int ring_resize(struct ring *r, size_t limit);

static inline size_t ring_len(const struct ring *r) { return r->len; }
/* Room before the limit (whether or not it is allocated yet). */
static inline size_t ring_space(const struct ring *r) { return r->limit - r->len; }
/* Has it been set up and not freed (a limit)? */
static inline bool ring_is_open(const struct ring *r) { return r->limit != 0; }
/* Bytes of memory it holds now. */
static inline size_t ring_alloc_size(const struct ring *r) { return r->cap; }

/* Make room for `need` bytes from head (need <= limit), data and
 * written-ahead bytes included. 0, or -ENOMEM / -EINVAL (above the
 * limit); nothing changes then. */
int ring_reserve(struct ring *r, size_t need);

/* Append min(n, space) bytes (less if memory runs out); returns how many. */
size_t ring_write(struct ring *r, const void *src, size_t n);
/* Copy min(n, len) bytes out and consume them; returns how many. */
size_t ring_read(struct ring *r, void *dst, size_t n);
/* Copy up to n bytes starting off bytes into the data, without consuming;
 * returns how many (0 if off >= len). */
size_t ring_peek(const struct ring *r, size_t off, void *dst, size_t n);
/* Drop min(n, len) bytes from the front; returns how many. The memory
 * shrinks or goes once little or nothing is left. */
size_t ring_consume(struct ring *r, size_t n);
/* Write n bytes into the free space starting off bytes past the end of the
 * data, without making them data; clamped to the free space (and to what
 * could be allocated); returns the bytes written. */
size_t ring_write_at(struct ring *r, size_t off, const void *src, size_t n);
/* Make the next n bytes of free space (filled by ring_write_at or through
 * ring_free_spans) data; clamped to the space and to the allocation,
 * returns how many. */
size_t ring_commit(struct ring *r, size_t n);
/* A pointer to the contiguous run of data starting off bytes in, and its
 * length (0 if off >= len): for copying straight into a frame. */
size_t ring_span(const struct ring *r, size_t off, const uint8_t **p);
/* The free space after the data, in the current allocation, as at most two
 * contiguous runs (the second when it wraps), for a caller that fills it
 * in place (a read straight from a socket) and then calls ring_commit.
 * When the allocation is full but the limit is not, it grows first (to
 * RING_SPAN_ALLOC, then doubling). Returns how many runs (0 when full, or
 * without memory); p[i], n[i] are set for those only. */
size_t ring_free_spans(struct ring *r, uint8_t *p[2], size_t n[2]);

#endif
