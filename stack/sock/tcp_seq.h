/* tcp_seq.h - sequence number arithmetic, the only way to compare them.
 *
 * RFC 9293 3.4: sequence numbers live in a space of 2^32 that wraps, so
 * "a < b" means "b is ahead of a by less than half the space" (RFC 1982
 * serial number arithmetic). We take the difference in uint32_t, where
 * wrap-around is defined, and read it as a signed 32-bit distance.
 *
 * Two numbers exactly 2^31 apart have no defined order (RFC 1982 3.2);
 * here each is then "less" than the other. TCP never gets there: windows
 * are at most 2^30 (RFC 7323 2.3) and segments at most 2^16.
 */
#ifndef TCPIP_SOCK_TCP_SEQ_H
#define TCPIP_SOCK_TCP_SEQ_H

#include <stdbool.h>
#include <stdint.h>

/* a - b as a signed distance in [-2^31, 2^31). Converting a uint32_t above
 * INT32_MAX to int32_t is implementation-defined in C11, so the upper half
 * is mapped by hand; compilers reduce this to a plain subtraction. */
static inline int32_t seq_diff(uint32_t a, uint32_t b)
{
    uint32_t d = a - b;
    if (d <= (uint32_t)INT32_MAX)
        return (int32_t)d;
    return (int32_t)(d - 0x80000000u) - INT32_MAX - 1;
}

static inline bool seq_lt(uint32_t a, uint32_t b)
{
    return seq_diff(a, b) < 0;
}

static inline bool seq_leq(uint32_t a, uint32_t b)
{
    return seq_diff(a, b) <= 0;
}

static inline bool seq_gt(uint32_t a, uint32_t b)
{
    return seq_diff(a, b) > 0;
}

static inline bool seq_geq(uint32_t a, uint32_t b)
{
    return seq_diff(a, b) >= 0;
}

/* lo <= x < hi in the window that starts at lo and runs forward to hi,
 * the shape of RFC 9293 3.4's acceptability test
 * "RCV.NXT =< SEG.SEQ < RCV.NXT+RCV.WND". Works for any window up to
 * 2^32 - 1 wide, wrapped or not; empty when lo == hi. For the
 * "SND.UNA < SEG.ACK =< SND.NXT" shape use seq_between(ack, una + 1, nxt + 1). */
static inline bool seq_between(uint32_t x, uint32_t lo, uint32_t hi)
{
    return (uint32_t)(x - lo) < (uint32_t)(hi - lo);
}

static inline uint32_t seq_max(uint32_t a, uint32_t b)
{
    return seq_lt(a, b) ? b : a;
}

static inline uint32_t seq_min(uint32_t a, uint32_t b)
{
    return seq_lt(a, b) ? a : b;
}

#endif
