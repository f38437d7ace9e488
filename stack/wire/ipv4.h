/* ipv4.h - IPv4 header (RFC 791). */
#ifndef TCPIP_WIRE_IPV4_H
#define TCPIP_WIRE_IPV4_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "stack/wire/addr.h"
#include "stack/wire/wire.h"

#define IPV4_HLEN 20         /* without options */
#define IPV4_MAX_HLEN 60
#define IPPROTO_ICMP_ 1
#define IPPROTO_TCP_ 6
#define IPPROTO_UDP_ 17
#define IPPROTO_ICMPV6_ 58
#define IPV4_FLAG_DF 0x4000
#define IPV4_FLAG_MF 0x2000
#define IPV4_FRAG_OFF_MASK 0x1fff

struct ipv4_view {
    uint8_t ihl;             /* header length in bytes (20..60) */
    uint8_t tos;
    uint16_t total_len;
    uint16_t id;
    uint16_t frag;           /* flags + offset, host order */
    uint8_t ttl;
    uint8_t proto;
    uint32_t src;            /* host order */
    uint32_t dst;            /* host order */
    const uint8_t *options;  /* ihl - 20 bytes, skipped by the stack */
    size_t options_len;
    const uint8_t *payload;
    size_t payload_len;      /* total_len - ihl; link padding excluded */
};

/* Validates version == 4 (WIRE_EVERSION), IHL >= 5 (WIRE_EBADHDR),
 * len >= IHL and total_len in [IHL, len] (WIRE_ETRUNC / WIRE_EBADLEN) and the
 * header checksum (WIRE_ECSUM). Bytes past total_len (Ethernet padding) are
 * ignored. */
int ipv4_parse(const uint8_t *buf, size_t len, struct ipv4_view *out);

static inline bool ipv4_is_fragment(const struct ipv4_view *ip)
{
    return (ip->frag & (IPV4_FLAG_MF | IPV4_FRAG_OFF_MASK)) != 0;
}

/* RFC 791 3.1 options a host looks at. */
#define IPV4_OPT_EOL 0
#define IPV4_OPT_NOP 1
#define IPV4_OPT_LSRR 0x83       /* loose source and record route */
#define IPV4_OPT_SSRR 0x89       /* strict source and record route */

enum ipv4_srr {
    IPV4_SRR_NONE,           /* no source route option */
    IPV4_SRR_DONE,           /* one whose route is exhausted: we are its destination */
    IPV4_SRR_PENDING,        /* one that still names hops after us (or a
                                malformed one that cannot say it does not) */
};

/* Walk the options (EOL ends them, NOP is one byte, every other option
 * has a length of at least 2 that must fit) and say whether a loose or
 * strict source route (RFC 791 3.1) still has hops to go: its pointer
 * (1-based, at least 4) is not past its length. A list that runs past
 * its span stops the walk. */
enum ipv4_srr ipv4_source_route(const uint8_t *opts, size_t len);

struct ipv4_emit_args {
    uint8_t tos;
    uint16_t id;
    uint16_t frag;           /* e.g. IPV4_FLAG_DF */
    uint8_t ttl;
    uint8_t proto;
    uint32_t src;            /* host order */
    uint32_t dst;
    uint16_t payload_len;
};

/* Write a 20-byte header (no options) with its checksum at buf. */
void ipv4_emit(uint8_t *buf, const struct ipv4_emit_args *a);

#endif
