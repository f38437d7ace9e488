/* udp.h - UDP header (RFC 768). */
#ifndef TCPIP_WIRE_UDP_H
#define TCPIP_WIRE_UDP_H

#include <stddef.h>
#include <stdint.h>

#include "stack/wire/addr.h"
#include "stack/wire/wire.h"

#define UDP_HLEN 8

struct udp_view {
    uint16_t sport;
    uint16_t dport;
    uint16_t len;            /* the header's length field */
    uint16_t csum;           /* 0 means "not computed" (IPv4 only) */
    const uint8_t *payload;
    size_t payload_len;      /* len - 8 */
};

/* Checks 8 <= length field <= len (WIRE_EBADLEN), WIRE_ETRUNC if len < 8, and
 * the checksum with the pseudo-header of src/dst unless it is zero over
 * IPv4 (RFC 768: zero means the sender did not compute one). A zero
 * checksum over IPv6 is refused (RFC 8200 8.1). */
int udp_parse(const uint8_t *buf, size_t len, const struct ip_addr *src,
              const struct ip_addr *dst, struct udp_view *out);

/* Write the 8-byte header at buf; the payload (payload_len bytes) must
 * already follow it. Computes the checksum (0 is sent as 0xffff). */
/* udp_parse without the checksum check, for a datagram whose device
 * already vouched for it (STACK_RX_CSUM_OK). Lengths are still checked. */
int udp_parse_nocsum(const uint8_t *buf, size_t len, struct udp_view *out);

void udp_emit(uint8_t *buf, uint16_t sport, uint16_t dport, size_t payload_len,
              const struct ip_addr *src, const struct ip_addr *dst);

#endif
