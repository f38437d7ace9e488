/* ring.h - a byte ring buffer: a TCP connection's send and receive queues.
 *
 * Fixed capacity chosen at init (the socket buffer size), one malloc, no
 * growth behind the caller's back. Besides plain append/consume it can
 * write into its free space at an offset past the end without committing
 * (ring_write_at) and commit later (ring_commit): the receive side keeps
 * out-of-order TCP data there, in the window it advertised, so the
 * out-of-order queue costs no extra memory (the ranges are tracked by
 * util/assembler.h). All sizes are explicit; nothing reads past len. */
#ifndef TCPIP_UTIL_RING_H
#define TCPIP_UTIL_RING_H

#include <stddef.h>
#include <stdint.h>

struct ring {
    uint8_t *buf;
    size_t cap;
    size_t head;                 /* index of the first byte */
    size_t len;                  /* committed bytes */
};

/* 0, or -ENOMEM. cap 0 is allowed (an empty ring that takes nothing). */
int ring_init(struct ring *r, size_t cap);
void ring_free(struct ring *r);
/* Change the capacity keeping the data (cap must be >= len). 0, -EINVAL,
 * -ENOMEM (the ring is then unchanged). Bytes written with ring_write_at
 * but not committed are lost. */
int ring_resize(struct ring *r, size_t cap);

static inline size_t ring_len(const struct ring *r) { return r->len; }
static inline size_t ring_space(const struct ring *r) { return r->cap - r->len; }

/* Append min(n, space) bytes; returns how many. */
size_t ring_write(struct ring *r, const void *src, size_t n);
/* Copy min(n, len) bytes out and consume them; returns how many. */
size_t ring_read(struct ring *r, void *dst, size_t n);
/* Copy up to n bytes starting off bytes into the data, without consuming;
 * returns how many (0 if off >= len). */
size_t ring_peek(const struct ring *r, size_t off, void *dst, size_t n);
/* Drop min(n, len) bytes from the front; returns how many. */
size_t ring_consume(struct ring *r, size_t n);
/* Write n bytes into the free space starting off bytes past the end of the
 * data, without making them data; clamped to the free space (returns the
 * bytes written). */
size_t ring_write_at(struct ring *r, size_t off, const void *src, size_t n);
/* Make the next n bytes of free space (filled by ring_write_at) data;
 * clamped to the space, returns how many. */
size_t ring_commit(struct ring *r, size_t n);
/* A pointer to the contiguous run of data starting off bytes in, and its
 * length (0 if off >= len): for copying straight into a frame. */
size_t ring_span(const struct ring *r, size_t off, const uint8_t **p);
/* The free space after the data as at most two contiguous runs (the
 * second when it wraps), for a caller that fills it in place (a read
 * straight from a socket) and then calls ring_commit. Returns how many
 * runs (0 when full); p[i], n[i] are set for those only. */
size_t ring_free_spans(struct ring *r, uint8_t *p[2], size_t n[2]);

#endif
