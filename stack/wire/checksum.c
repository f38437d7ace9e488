/* checksum.c - the Internet checksum (RFC 1071).
 *
 * The one's complement sum does not care about byte order or word size
 * (RFC 1071 section 2, properties B and C): we add the span as native
 * 64-bit words with an end-around carry, fold to 16 bits, and swap the
 * bytes once at the end on a little-endian host. Loads go through memcpy,
 * so any alignment is fine and the compiler turns them into plain loads.
 *
 * Partial sums handed between calls stay below 2^18 (folded on entry),
 * so callers can chain any number of spans without overflowing 32 bits.
 */
#include "stack/wire/checksum.h"

#include <string.h>

/* Fold a wide end-around-carry sum to 16 bits. Never maps a non-zero sum
 * to 0 (which matters: +0 and -0 are different checksum results). */
static uint16_t fold64(uint64_t acc)
{
    acc = (acc & 0xffffffffu) + (acc >> 32); /* <= 0x1fffffffe */
    acc = (acc & 0xffffffffu) + (acc >> 32); /* <= 0xffffffff */
    acc = (acc & 0xffffu) + (acc >> 16);     /* <= 0x1fffe */
    acc = (acc & 0xffffu) + (acc >> 16);     /* <= 0xffff */
    return (uint16_t)acc;
}

static uint64_t add_carry(uint64_t acc, uint64_t w)
{
    acc += w;
    return acc + (acc < w); /* end-around carry */
}

/* Sum of len bytes as big-endian 16-bit words (odd tail padded with a
 * zero byte), folded to 16 bits. */
static uint16_t span_sum(const uint8_t *p, size_t len)
{
    uint64_t acc = 0;
    uint64_t w0, w1, w2, w3;

    while (len >= 32) {
        memcpy(&w0, p, 8);
        memcpy(&w1, p + 8, 8);
        memcpy(&w2, p + 16, 8);
        memcpy(&w3, p + 24, 8);
        acc = add_carry(acc, w0);
        acc = add_carry(acc, w1);
        acc = add_carry(acc, w2);
        acc = add_carry(acc, w3);
        p += 32;
        len -= 32;
    }
    while (len >= 8) {
        memcpy(&w0, p, 8);
        acc = add_carry(acc, w0);
        p += 8;
        len -= 8;
    }
    if (len > 0) {
        /* The tail starts at an even offset of the span, so zero-filling
         * the rest of a word pads the odd byte exactly as RFC 1071 says. */
        uint8_t tail[8] = {0};
        memcpy(tail, p, len);
        memcpy(&w0, tail, 8);
        acc = add_carry(acc, w0);
    }

    uint16_t s = fold64(acc);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    s = (uint16_t)(s << 8 | s >> 8);
#elif !(defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__)
#error "unknown byte order"
#endif
    return s;
}

uint32_t inet_csum_add(uint32_t sum, const void *data, size_t len)
{
    uint32_t s = (sum & 0xffffu) + (sum >> 16); /* <= 0x1fffe */
    return s + span_sum((const uint8_t *)data, len); /* <= 0x2fffd */
}

uint16_t inet_csum_fold(uint32_t sum)
{
    return (uint16_t)~fold64(sum);
}

uint16_t inet_csum(const void *data, size_t len)
{
    return inet_csum_fold(inet_csum_add(0, data, len));
}

static uint32_t addr_sum(const struct ip_addr *a)
{
    if (a->family == IP_FAMILY_V4)
        return (a->u.v4 >> 16) + (a->u.v4 & 0xffffu);
    if (a->family == IP_FAMILY_V6)
        return inet_csum_add(0, a->u.v6, 16);
    return 0;
}

/* RFC 768 (IPv4: src, dst, zero, proto, 16-bit length) and RFC 8200 8.1
 * (IPv6: src, dst, 32-bit length, three zero bytes, next header). Both
 * reduce to the same sum of words: the addresses, the length split into
 * 16-bit halves, and the protocol number as a word of its own. */
uint32_t inet_pseudo_sum(const struct ip_addr *src, const struct ip_addr *dst,
                         uint8_t proto, uint32_t len)
{
    uint64_t acc = (uint64_t)addr_sum(src) + addr_sum(dst) + proto + (len >> 16) +
                   (len & 0xffffu);
    return fold64(acc);
}
