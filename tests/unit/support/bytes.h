/* bytes.h - byte-level helpers shared by the codec unit tests.
 *
 * tail_copy puts a span at the very end of its own heap block, so that a
 * parser reading even one byte past the span is an ASan error (the whole
 * point of the malformed-input tests). ref_sum/ref_csum are a plain RFC
 * 1071 loop, independent of stack/wire/checksum.c, to build and check
 * test packets with. */
#ifndef TESTS_BYTES_H
#define TESTS_BYTES_H

#include <stddef.h>
#include <stdint.h>

#include "stack/wire/addr.h"

/* Copy len bytes (len may be 0) so that they end exactly at the end of a
 * heap block; returns the start of the copy (asserts on allocation
 * failure). Release with tail_free(). */
uint8_t *tail_copy(const uint8_t *src, size_t len);
void tail_free(uint8_t *p);

/* RFC 1071: the one's complement sum of big-endian 16-bit words, an odd
 * tail padded with a zero byte, carries folded. ref_csum is its
 * complement, the value that goes in a checksum field. */
uint16_t ref_sum(const uint8_t *p, size_t len);
uint16_t ref_csum(const uint8_t *p, size_t len);

/* fd77::<last>, the test IPv6 prefix. */
struct ip_addr ip_addr_fd77(uint8_t last);

#endif
