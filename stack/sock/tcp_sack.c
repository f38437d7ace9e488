/* tcp_sack.c - the sender's SACK scoreboard (RFC 2018, RFC 6675).
 *
 * The board is a short sorted array of disjoint, non-touching ranges
 * [left, right) above SND.UNA. Everything is O(TCP_SB_MAX) per call; the
 * RFC 6675 routines are computed from range boundaries, never per byte.
 *
 * Conventions (the header leaves them to us):
 * - HighRxt is taken as an EXCLUSIVE end: high_rxt is one past the highest
 *   retransmitted byte, so bytes in [una, high_rxt) count as retransmitted
 *   in SetPipe and high_rxt == una means "nothing retransmitted". NextSeg
 *   then starts its search at high_rxt itself, the first byte not yet
 *   retransmitted.
 * - IsLost(seq) counts a SACKed range as "above seq" when its left edge is
 *   > seq, and counts SACKed bytes with sequence number > seq. For an
 *   unSACKed seq, the only case RFC 6675 asks about, both are exactly the
 *   RFC's wording.
 * - sb_update's return value counts, block by block, the bytes that were
 *   not on the board when the block was applied. If the board overflows,
 *   dropped bytes were still counted (the peer did SACK them), so a later
 *   ACK that reports them again counts them again. */
#include "stack/sock/tcp_sack.h"

#include "stack/sock/tcp_seq.h"

void sb_clear(struct tcp_scoreboard *sb)
{
    sb->n = 0;
    sb->sacked = 0;
}

static uint32_t range_len(const struct tcp_sack_block *b)
{
    return b->right - b->left;
}

/* Bytes of [lo, hi) covered by the board; lo <= hi in sequence space. */
static uint32_t sacked_in(const struct tcp_scoreboard *sb, uint32_t lo, uint32_t hi)
{
    uint32_t total = 0;
    for (uint32_t i = 0; i < sb->n; i++) {
        uint32_t a = seq_max(sb->r[i].left, lo);
        uint32_t b = seq_min(sb->r[i].right, hi);
        if (seq_lt(a, b))
            total += b - a;
    }
    return total;
}

/* Bytes of [lo, hi) NOT covered by the board; empty if hi <= lo. */
static uint32_t unsacked_in(const struct tcp_scoreboard *sb, uint32_t lo, uint32_t hi)
{
    if (!seq_lt(lo, hi))
        return 0;
    return (hi - lo) - sacked_in(sb, lo, hi);
}

/* RFC 2018 4 / RFC 6675 5: a block counts only if
 * SND.UNA < left < right <= SND.NXT. Written as window tests
 * (left in [una + 1, nxt), right in [left + 1, nxt + 1)) so a block 2^31
 * away cannot sneak through an ambiguous comparison. */
static bool block_valid(uint32_t una, uint32_t snd_nxt, const struct tcp_sack_block *b)
{
    return seq_between(b->left, una + 1, snd_nxt) &&
           seq_between(b->right, b->left + 1, snd_nxt + 1);
}

static void remove_ranges(struct tcp_scoreboard *sb, uint32_t first, uint32_t count)
{
    for (uint32_t i = first; i + count < sb->n; i++)
        sb->r[i] = sb->r[i + count];
    sb->n -= count;
}

/* Merge [left, right) into the board; returns the bytes it newly covers. */
static uint32_t insert_range(struct tcp_scoreboard *sb, uint32_t left, uint32_t right)
{
    /* Ranges that overlap or touch the block form a contiguous run
     * [first, end) because the board is sorted and disjoint. */
    uint32_t first = 0;
    while (first < sb->n && seq_lt(sb->r[first].right, left))
        first++;
    uint32_t end = first;
    uint32_t covered = 0;
    uint32_t merged_left = left;
    uint32_t merged_right = right;
    while (end < sb->n && seq_leq(sb->r[end].left, right)) {
        const struct tcp_sack_block *r = &sb->r[end];
        uint32_t a = seq_max(r->left, left);
        uint32_t b = seq_min(r->right, right);
        if (seq_lt(a, b))
            covered += b - a;
        merged_left = seq_min(merged_left, r->left);
        merged_right = seq_max(merged_right, r->right);
        sb->sacked -= range_len(r);
        end++;
    }
    uint32_t newly = (right - left) - covered;

    if (end > first) {
        /* Swallow r[first..end) into r[first]. */
        sb->r[first].left = merged_left;
        sb->r[first].right = merged_right;
        remove_ranges(sb, first + 1, end - first - 1);
    } else {
        /* A new, separate range goes in at index first. When the board is
         * full the highest range goes (header contract): that is the new
         * block itself when it lies above everything. */
        if (sb->n == TCP_SB_MAX) {
            if (first == sb->n)
                return newly;
            sb->n--;
            sb->sacked -= range_len(&sb->r[sb->n]);
        }
        for (uint32_t i = sb->n; i > first; i--)
            sb->r[i] = sb->r[i - 1];
        sb->r[first].left = merged_left;
        sb->r[first].right = merged_right;
        sb->n++;
    }
    sb->sacked += merged_right - merged_left;
    return newly;
}

uint32_t sb_update(struct tcp_scoreboard *sb, uint32_t una, uint32_t snd_nxt,
                   const struct tcp_sack_block *blocks, uint32_t n, uint32_t *n_bad)
{
    uint32_t newly = 0;
    for (uint32_t i = 0; i < n; i++) {
        if (!block_valid(una, snd_nxt, &blocks[i])) {
            if (n_bad)
                (*n_bad)++;
            continue;
        }
        newly += insert_range(sb, blocks[i].left, blocks[i].right);
    }
    return newly;
}

void sb_advance(struct tcp_scoreboard *sb, uint32_t una)
{
    /* Ranges wholly at or below una are acknowledged cumulatively now. */
    uint32_t drop = 0;
    while (drop < sb->n && seq_leq(sb->r[drop].right, una)) {
        sb->sacked -= range_len(&sb->r[drop]);
        drop++;
    }
    remove_ranges(sb, 0, drop);
    /* A range straddling una keeps only its part above it. */
    if (sb->n > 0 && seq_lt(sb->r[0].left, una)) {
        sb->sacked -= una - sb->r[0].left;
        sb->r[0].left = una;
    }
}

bool sb_is_sacked(const struct tcp_scoreboard *sb, uint32_t seq)
{
    for (uint32_t i = 0; i < sb->n; i++) {
        if (seq_between(seq, sb->r[i].left, sb->r[i].right))
            return true;
    }
    return false;
}

uint32_t sb_high_sacked(const struct tcp_scoreboard *sb, uint32_t una)
{
    if (sb->n == 0)
        return una;
    return sb->r[sb->n - 1].right;
}

/* (DupThresh - 1) * SMSS, in 64 bits so a silly mss cannot wrap. */
static uint64_t lost_bytes_threshold(uint32_t mss)
{
    return (uint64_t)(TCP_DUPTHRESH - 1) * mss;
}

bool sb_is_lost(const struct tcp_scoreboard *sb, uint32_t seq, uint32_t mss)
{
    /* RFC 6675 4 IsLost(SeqNum). */
    uint32_t ranges_above = 0;
    uint64_t bytes_above = 0;
    for (uint32_t i = 0; i < sb->n; i++) {
        const struct tcp_sack_block *r = &sb->r[i];
        if (seq_gt(r->left, seq)) {
            ranges_above++;
            bytes_above += range_len(r);
        } else if (seq_gt(r->right - 1, seq)) {
            bytes_above += (r->right - 1) - seq;
        }
    }
    return ranges_above >= TCP_DUPTHRESH || bytes_above > lost_bytes_threshold(mss);
}

/* Both IsLost rules only weaken as seq grows (fewer ranges and fewer bytes
 * lie above it), so IsLost(s) holds exactly for s below some boundary.
 * Returns that boundary: IsLost(s) <=> s < boundary. *any is false when
 * IsLost holds nowhere (the boundary is then meaningless). */
static uint32_t lost_boundary(const struct tcp_scoreboard *sb, uint32_t mss, bool *any)
{
    uint32_t boundary = 0;
    *any = false;
    /* Count rule: DupThresh ranges start above s iff s is below the left
     * edge of the DupThresh-th highest range. */
    if (sb->n >= TCP_DUPTHRESH) {
        boundary = sb->r[sb->n - TCP_DUPTHRESH].left;
        *any = true;
    }
    /* Byte rule: walk down from the top until the SACKed bytes exceed
     * the threshold; inside range i, bytes above s are right - 1 - s, so
     * the rule holds for s < right - 1 - (threshold - bytes above it). */
    uint64_t threshold = lost_bytes_threshold(mss);
    uint64_t above = 0;
    for (uint32_t i = sb->n; i > 0; i--) {
        const struct tcp_sack_block *r = &sb->r[i - 1];
        if (above + range_len(r) > threshold) {
            uint32_t by_bytes = r->right - 1 - (uint32_t)(threshold - above);
            boundary = *any ? seq_max(boundary, by_bytes) : by_bytes;
            *any = true;
            break;
        }
        above += range_len(r);
    }
    return boundary;
}

uint32_t sb_lost_bytes(const struct tcp_scoreboard *sb, uint32_t una, uint32_t snd_nxt,
                       uint32_t mss)
{
    bool any_lost;
    uint32_t boundary = lost_boundary(sb, mss, &any_lost);
    if (!any_lost)
        return 0;
    return unsacked_in(sb, una, seq_min(seq_max(boundary, una), snd_nxt));
}

uint32_t sb_pipe(const struct tcp_scoreboard *sb, uint32_t una, uint32_t snd_nxt,
                 uint32_t high_rxt, uint32_t mss)
{
    /* RFC 6675 4 SetPipe, per unSACKed octet S1 in [una, snd_nxt):
     * (a) +1 if !IsLost(S1); (b) +1 if S1 was retransmitted, i.e.
     * S1 < high_rxt with our exclusive HighRxt. IsLost is true exactly
     * below the lost boundary, so (a) is the unSACKed bytes in
     * [boundary, snd_nxt) and (b) the unSACKed bytes in [una, high_rxt). */
    bool any_lost;
    uint32_t boundary = lost_boundary(sb, mss, &any_lost);
    uint32_t not_lost_from = una;
    if (any_lost)
        not_lost_from = seq_min(seq_max(boundary, una), snd_nxt);
    uint32_t rxt_end = seq_min(seq_max(high_rxt, una), snd_nxt);
    return unsacked_in(sb, not_lost_from, snd_nxt) + unsacked_in(sb, una, rxt_end);
}

/* The first unSACKed s >= max(high_rxt, una) below limit, and the length
 * of its unSACKed run (capped at mss); 0 if none. */
static uint32_t first_hole_below(const struct tcp_scoreboard *sb, uint32_t una,
                                 uint32_t snd_nxt, uint32_t high_rxt, uint32_t mss,
                                 uint32_t limit, uint32_t *seq)
{
    uint32_t s = seq_max(high_rxt, una);
    /* Step over SACKed ranges; the board is sorted, one pass suffices. */
    uint32_t i = 0;
    for (; i < sb->n; i++) {
        if (seq_leq(sb->r[i].right, s))
            continue;
        if (seq_leq(sb->r[i].left, s))
            s = sb->r[i].right;
        else
            break;
    }
    if (!seq_lt(s, limit))
        return 0;
    /* s < high SACKed, so a range starts above it: r[i] ends the run. */
    uint32_t run_end = seq_min(sb->r[i].left, snd_nxt);
    uint32_t len = run_end - s;
    *seq = s;
    return len < mss ? len : mss;
}

uint32_t sb_next_lost(const struct tcp_scoreboard *sb, uint32_t una, uint32_t snd_nxt,
                      uint32_t high_rxt, uint32_t mss, uint32_t *seq)
{
    /* RFC 6675 4 NextSeg (1): the lowest S2 not yet retransmitted
     * (S2 >= HighRxt, exclusive) that is unSACKed, below the highest
     * SACKed octet, and IsLost(S2). */
    bool any_lost;
    uint32_t boundary = lost_boundary(sb, mss, &any_lost);
    if (!any_lost || sb->n == 0 || mss == 0)
        return 0;
    uint32_t limit = seq_min(seq_min(boundary, sb_high_sacked(sb, una)), snd_nxt);
    return first_hole_below(sb, una, snd_nxt, high_rxt, mss, limit, seq);
}

uint32_t sb_next_hole(const struct tcp_scoreboard *sb, uint32_t una, uint32_t snd_nxt,
                      uint32_t high_rxt, uint32_t mss, uint32_t *seq)
{
    /* RFC 6675 4 NextSeg (3): an unSACKed S3 meeting (1.a) and (1.b),
     * not yet retransmitted and below the highest SACKed octet, without
     * (1.c) IsLost. */
    if (sb->n == 0 || mss == 0)
        return 0;
    uint32_t limit = seq_min(sb_high_sacked(sb, una), snd_nxt);
    return first_hole_below(sb, una, snd_nxt, high_rxt, mss, limit, seq);
}
