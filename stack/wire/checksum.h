/* checksum.h - the Internet checksum (RFC 1071) and pseudo-header sums.
 *
 * Sums are carried as 32-bit partial sums in "network order arithmetic":
 * add spans with inet_csum_add, then fold and complement once. */
#ifndef TCPIP_WIRE_CHECKSUM_H
#define TCPIP_WIRE_CHECKSUM_H

#include <stddef.h>
#include <stdint.h>

#include "stack/wire/addr.h"

/* Add len bytes at data to a running partial sum. Spans of odd length are
 * allowed only as the last span of a checksum (RFC 1071 pads with zero). */
uint32_t inet_csum_add(uint32_t sum, const void *data, size_t len);
/* Fold a partial sum to 16 bits and return its one's complement, in host
 * order, ready for wr16(). */
uint16_t inet_csum_fold(uint32_t sum);
/* One-shot checksum of a span: inet_csum_fold(inet_csum_add(0, data, len)). */
uint16_t inet_csum(const void *data, size_t len);
/* Partial sum of the TCP/UDP pseudo-header for either family
 * (RFC 768, RFC 9293 3.1, RFC 8200 8.1). len is the upper-layer length. */
uint32_t inet_pseudo_sum(const struct ip_addr *src, const struct ip_addr *dst,
                         uint8_t proto, uint32_t len);

#endif
