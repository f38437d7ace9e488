/* tcp_isn.c - see tcp_isn.h.
 *
 * Every value here is SipHash-2-4 (util/siphash.h) of a message built byte
 * by byte: never of struct bytes, whose padding and union tails are not
 * ours to hash. A leading tag byte separates the uses, so an ISN never
 * reveals a timestamp offset or a cookie hash of the same tuple.
 *
 * Message layout (all integers big-endian):
 *   [0]      tag (TAG_*)
 *   [1..17]  local address:  family byte, then 16 address bytes
 *                            (IPv4: the 4 bytes, then 12 zero bytes)
 *   [18..34] remote address: the same
 *   [35..36] local port, [37..38] remote port
 *   [39..]   per-use extras (cookies: peer ISN, count)
 */
#include "stack/sock/tcp_isn.h"

#include <stddef.h>
#include <string.h>

#include "stack/sock/sock_addr.h"
#include "stack/util/siphash.h"
#include "stack/wire/wire.h"

enum {
    TAG_ISN = 1,
    TAG_TS_OFFSET = 2,
    TAG_COOKIE_H1 = 3,
    TAG_COOKIE_H2 = 4,
};

#define ADDR_BYTES SOCK_ADDR_BYTES
#define TUPLE_MSG_LEN (1 + 2 * ADDR_BYTES + 2 + 2)
#define MSG_MAX (TUPLE_MSG_LEN + 4 + 4)

/* Fills msg[0 .. TUPLE_MSG_LEN) and returns TUPLE_MSG_LEN. */
static size_t put_tuple(uint8_t msg[MSG_MAX], uint8_t tag, const struct tcp_tuple *t)
{
    msg[0] = tag;
    sock_addr_bytes(msg + 1, &t->laddr);
    sock_addr_bytes(msg + 1 + ADDR_BYTES, &t->raddr);
    wr16(msg + 1 + 2 * ADDR_BYTES, t->lport);
    wr16(msg + 1 + 2 * ADDR_BYTES + 2, t->rport);
    return TUPLE_MSG_LEN;
}

static uint32_t tuple_hash(const uint8_t key[16], uint8_t tag, const struct tcp_tuple *t)
{
    uint8_t msg[MSG_MAX];
    size_t n = put_tuple(msg, tag, t);
    return (uint32_t)siphash24(key, msg, n);
}

uint32_t tcp_isn(const uint8_t key[16], const struct tcp_tuple *t, uint64_t now)
{
    /* RFC 6528 3: M ticks every 4 us and wraps at 2^32 (about 4.77 h). */
    uint32_t m = (uint32_t)(now / 4000u);
    return m + tuple_hash(key, TAG_ISN, t);
}

uint32_t tcp_ts_offset(const uint8_t key[16], const struct tcp_tuple *t)
{
    return tuple_hash(key, TAG_TS_OFFSET, t);
}

/* ---- SYN cookies ----------------------------------------------------
 *
 * Layout (Linux's syncookies.c scheme, reworked):
 *
 *   cookie = H1(tuple, peer_isn)
 *          + (count << 24)
 *          + ((H2(tuple, peer_isn, count) + MSS_STRIDE * mss_index) & 0xffffff)
 *
 *   count = now / TCP_COOKIE_PERIOD_NS (a 32-bit counter; its low 8 bits
 *   ride in the top byte, whitened by H1 so the cookie does not leak the
 *   time). The low 24 bits carry the MSS index, whitened by H2, which also
 *   binds the full count.
 *
 * Check: d = cookie - H1; age = (count_now - (d >> 24)) mod 256 must be
 * <= TCP_COOKIE_MAX_AGE; then (d - H2(.., count_now - age)) & 0xffffff
 * must be MSS_STRIDE * i for a table index i. A forgery passes with odds
 * about (MAX_AGE + 1) / 256 * 4 / 2^24. The index is scaled by 3 so that
 * valid low fields differ by 3, 6 or 9, never by a power of two: one
 * flipped bit cannot turn a cookie into a valid one for another MSS
 * (with a plain index, flipping bit 0 would).
 */
#define COOKIE_FIELD_MASK 0xffffffu
#define MSS_STRIDE 3u

/* Linux's IPv4 table: the common MSS values seen in SYNs. */
static const uint16_t cookie_mss_table[] = {536, 1300, 1440, 1460};
#define COOKIE_MSS_COUNT (sizeof cookie_mss_table / sizeof cookie_mss_table[0])

static uint32_t cookie_h1(const uint8_t key[16], const struct tcp_tuple *t, uint32_t peer_isn)
{
    uint8_t msg[MSG_MAX];
    size_t n = put_tuple(msg, TAG_COOKIE_H1, t);
    wr32(msg + n, peer_isn);
    return (uint32_t)siphash24(key, msg, n + 4);
}

static uint32_t cookie_h2(const uint8_t key[16], const struct tcp_tuple *t, uint32_t peer_isn,
                          uint32_t count)
{
    uint8_t msg[MSG_MAX];
    size_t n = put_tuple(msg, TAG_COOKIE_H2, t);
    wr32(msg + n, peer_isn);
    wr32(msg + n + 4, count);
    return (uint32_t)siphash24(key, msg, n + 8);
}

/* The largest table MSS <= mss; the smallest if mss is below all of them
 * (536 is the RFC 9293 3.7.1 default every host takes anyway). */
static uint32_t mss_index(uint16_t mss)
{
    uint32_t idx = 0;
    for (uint32_t i = 0; i < COOKIE_MSS_COUNT; i++) {
        if (cookie_mss_table[i] <= mss)
            idx = i;
    }
    return idx;
}

uint32_t tcp_cookie_make(const uint8_t key[16], const struct tcp_tuple *t, uint32_t peer_isn,
                         uint16_t mss, uint64_t now, uint16_t *mss_used)
{
    uint32_t count = (uint32_t)(now / TCP_COOKIE_PERIOD_NS);
    uint32_t idx = mss_index(mss);
    uint32_t field = (cookie_h2(key, t, peer_isn, count) + MSS_STRIDE * idx) & COOKIE_FIELD_MASK;
    if (mss_used != NULL)
        *mss_used = cookie_mss_table[idx];
    return cookie_h1(key, t, peer_isn) + (count << 24) + field;
}

bool tcp_cookie_check(const uint8_t key[16], const struct tcp_tuple *t, uint32_t peer_isn,
                      uint32_t cookie, uint64_t now, uint16_t *mss_out)
{
    uint32_t count = (uint32_t)(now / TCP_COOKIE_PERIOD_NS);
    uint32_t d = cookie - cookie_h1(key, t, peer_isn);
    uint32_t age = (count - (d >> 24)) & 0xffu;
    if (age > TCP_COOKIE_MAX_AGE)
        return false;
    uint32_t made = count - age;
    uint32_t field = (d - cookie_h2(key, t, peer_isn, made)) & COOKIE_FIELD_MASK;
    if (field % MSS_STRIDE != 0 || field / MSS_STRIDE >= COOKIE_MSS_COUNT)
        return false;
    if (mss_out != NULL)
        *mss_out = cookie_mss_table[field / MSS_STRIDE];
    return true;
}

/* Low 5 bits of the cookie TSval: bits 0-3 the peer's window shift
 * (0xf = no window scaling), bit 4 SACK permitted. The peer echoes them
 * in TSecr (RFC 7323 4.3), so the third ACK brings them back. */
#define TS_OPT_BITS 5
#define TS_OPT_MASK ((1u << TS_OPT_BITS) - 1)
#define TS_WSCALE_MASK 0xfu
#define TS_SACK_BIT 0x10u
#define TS_WSCALE_NONE 0xfu
#define TS_WSCALE_MAX 14u /* RFC 7323 2.3 */

uint32_t tcp_cookie_tsval(uint32_t ts_now, const struct tcp_cookie_opts *o)
{
    uint32_t ws = o->wscale;
    if (ws != TS_WSCALE_NONE && ws > TS_WSCALE_MAX)
        ws = TS_WSCALE_MAX;
    uint32_t bits = ws | (o->sack ? TS_SACK_BIT : 0);
    uint32_t ts = (ts_now & ~TS_OPT_MASK) | bits;
    /* Never ahead of our clock: a TSval larger than the ones we send next
     * would make the peer's PAWS (RFC 7323 5) drop those as old. Step back
     * one 32-tick block instead (as Linux does). */
    if (bits > (ts_now & TS_OPT_MASK))
        ts -= 1u << TS_OPT_BITS;
    return ts;
}

void tcp_cookie_ts_decode(uint32_t ts_ecr, struct tcp_cookie_opts *o)
{
    o->has_ts = true;
    o->wscale = (uint8_t)(ts_ecr & TS_WSCALE_MASK);
    o->sack = (ts_ecr & TS_SACK_BIT) != 0;
}
