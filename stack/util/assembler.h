/* assembler.h - which bytes past the in-order point have arrived.
 *
 * The TCP receive side keeps out-of-order data in its ring's free space
 * (util/ring.h); this tracks the ranges held, as offsets from the in-order
 * point (RCV.NXT), merged and sorted, at most max_ranges of them (the cap
 * on out-of-order state per connection: a segment that would need another
 * range is refused and counted by the caller). Each range remembers when
 * it last grew, so SACK blocks can be reported most recent first
 * (RFC 2018 4). Offsets are uint32_t: a TCP window is below 2^30. */
#ifndef TCPIP_UTIL_ASSEMBLER_H
#define TCPIP_UTIL_ASSEMBLER_H

#include <stddef.h>
#include <stdint.h>

struct asm_range {
    uint32_t start;              /* offset of the first byte held */
    uint32_t end;                /* offset just past the last byte held */
    uint32_t stamp;              /* assembler->clock when it last grew */
};

struct assembler {
    struct asm_range *r;         /* sorted by start, disjoint, not touching */
    uint32_t n;
    uint32_t max;
    uint32_t clock;              /* bumped on every add */
};

/* 0 or -ENOMEM; max_ranges >= 1. */
int asm_init(struct assembler *a, uint32_t max_ranges);
void asm_free(struct assembler *a);
void asm_clear(struct assembler *a);

/* Mark [off, off + len) as held (off > 0: offset 0 is the in-order point,
 * which the caller delivers itself). Overlaps and touching ranges merge.
 * 0, or -1 if it would take more than max ranges (nothing changes). len 0
 * is a no-op returning 0. */
int asm_add(struct assembler *a, uint32_t off, uint32_t len);
/* The in-order point moved n bytes forward (in-order data delivered).
 * Ranges shift down by n; bytes now below 0 are forgotten. If a range then
 * starts at or below offset 0 it is removed and its length past 0 is
 * returned: those bytes are in order now (the caller commits them and does
 * not call asm_advance for them). */
uint32_t asm_advance(struct assembler *a, uint32_t n);
/* Is any byte past offset 0 held? */
static inline int asm_empty(const struct assembler *a) { return a->n == 0; }
/* Total bytes held. */
uint32_t asm_bytes(const struct assembler *a);
/* Up to max ranges, the most recently grown first, then the others by
 * descending stamp (RFC 2018 4: the first SACK block reports the most
 * recent segment; later blocks repeat recent ones). Returns how many. */
size_t asm_recent(const struct assembler *a, struct asm_range *out, size_t max);

#endif
