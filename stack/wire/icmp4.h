/* icmp4.h - ICMP for IPv4 (RFC 792). */
#ifndef TCPIP_WIRE_ICMP4_H
#define TCPIP_WIRE_ICMP4_H

#include <stddef.h>
#include <stdint.h>

#include "stack/wire/wire.h"

#define ICMP4_HLEN 8
#define ICMP4_ECHO_REPLY 0
#define ICMP4_DEST_UNREACH 3
#define ICMP4_SOURCE_QUENCH 4
#define ICMP4_REDIRECT 5
#define ICMP4_ECHO_REQUEST 8
#define ICMP4_TIME_EXCEEDED 11
#define ICMP4_PARAM_PROBLEM 12

/* Destination unreachable codes */
#define ICMP4_NET_UNREACH 0
#define ICMP4_HOST_UNREACH 1
#define ICMP4_PROTO_UNREACH 2
#define ICMP4_PORT_UNREACH 3
#define ICMP4_FRAG_NEEDED 4
#define ICMP4_ADMIN_PROHIB 13

struct icmp4_view {
    uint8_t type;
    uint8_t code;
    uint32_t rest;           /* bytes 4..7: id/seq, unused, next-hop MTU... */
    const uint8_t *body;     /* after the 8-byte header */
    size_t body_len;
};

/* Verifies the checksum over all len bytes (WIRE_ECSUM), WIRE_ETRUNC if
 * len < 8. */
int icmp4_parse(const uint8_t *buf, size_t len, struct icmp4_view *out);

/* For errors (unreachable, time exceeded, param problem): the quoted
 * original datagram, parsed leniently: its IPv4 header must be complete and
 * at least 8 bytes of its payload present (RFC 792), total_len may exceed
 * what was quoted. Returns 0 and fills the fields, or a wire_err. */
struct icmp4_quote {
    uint8_t proto;
    uint16_t total_len;      /* the original's Total Length (RFC 1191 5: its size) */
    uint32_t src, dst;       /* host order: the original sender and target */
    uint16_t sport, dport;   /* first 4 bytes of the payload (TCP/UDP ports) */
    const uint8_t *l4;       /* start of the quoted transport header */
    size_t l4_len;
};
int icmp4_parse_quote(const uint8_t *body, size_t len, struct icmp4_quote *out);

/* Write the 8-byte header at buf and compute the checksum over the header
 * plus body_len bytes that the caller has already placed right after it. */
void icmp4_emit(uint8_t *buf, uint8_t type, uint8_t code, uint32_t rest, size_t body_len);

#endif
