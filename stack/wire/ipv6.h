/* ipv6.h - IPv6 header and extension header chain (RFC 8200).
 *
 * ipv6_parse checks the fixed 40-byte header; ipv6_walk follows the
 * extension headers after it (hop-by-hop, routing, fragment, destination
 * options) with every length checked against the payload, and says either
 * where the upper-layer header starts or what to do with a bad packet:
 * drop it silently, or drop it and send an ICMPv6 Parameter Problem with a
 * given code and pointer. Nothing here keeps state or allocates.
 */
#ifndef TCPIP_WIRE_IPV6_H
#define TCPIP_WIRE_IPV6_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "stack/wire/addr.h"
#include "stack/wire/wire.h"

#define IPV6_HLEN 40
#define IPV6_MIN_MTU 1280    /* RFC 8200 5 */
/* Extension headers ipv6_walk follows before giving up (RFC 8504 5.3 lets a
 * node limit the chain; Linux stops around the same depth). */
#define IPV6_MAX_EXT 8

/* Next Header values (IANA "Assigned Internet Protocol Numbers"). */
#define IPV6_NH_HOPOPTS 0
#define IPV6_NH_TCP 6
#define IPV6_NH_UDP 17
#define IPV6_NH_ROUTING 43
#define IPV6_NH_FRAGMENT 44
#define IPV6_NH_ESP 50
#define IPV6_NH_AH 51
#define IPV6_NH_ICMPV6 58
#define IPV6_NH_NONE 59
#define IPV6_NH_DSTOPTS 60

/* Options in hop-by-hop and destination options headers (RFC 8200 4.2). */
#define IPV6_OPT_PAD1 0
#define IPV6_OPT_PADN 1
#define IPV6_OPT_ROUTER_ALERT 5   /* RFC 2711, hop-by-hop only */
#define IPV6_OPT_ROUTER_ALERT_MLD 0 /* its value for MLD (RFC 2711 2.1) */

#define IPV6_FRAG_HLEN 8

struct ipv6_view {
    uint8_t version;         /* always 6 after a successful parse */
    uint8_t tclass;
    uint32_t flow;           /* 20-bit flow label */
    uint8_t next_header;
    uint8_t hop_limit;
    uint8_t src[16];
    uint8_t dst[16];
    const uint8_t *payload;  /* right after the fixed header */
    size_t payload_len;      /* the Payload Length field; bytes past it in
                              * the span (link padding) are not included */
};

/* Validates len >= 40 (WIRE_ETRUNC), version 6 (WIRE_EVERSION), and that
 * 40 + payload length fits the span (WIRE_EBADLEN); bytes past it are link
 * padding and are ignored. A payload length of 0 in front of a hop-by-hop
 * header announces a jumbogram (RFC 2675), which we do not support
 * (WIRE_EUNSUPP). */
int ipv6_parse(const uint8_t *buf, size_t len, struct ipv6_view *out);

struct ipv6_emit_args {
    uint8_t tclass;
    uint32_t flow;           /* low 20 bits used */
    uint8_t next_header;
    uint8_t hop_limit;
    uint8_t src[16];
    uint8_t dst[16];
    uint16_t payload_len;
};

/* Write the 40-byte header at buf. */
void ipv6_emit(uint8_t *buf, const struct ipv6_emit_args *a);

/* What the caller does with a packet ipv6_walk refused. */
enum ipv6_walk_action {
    IPV6_ACT_NONE = 0,       /* walk succeeded */
    IPV6_ACT_DROP,           /* discard silently */
    /* Discard and send Parameter Problem (pp_code, pp_pointer), subject to
     * RFC 4443 2.4 (e): not if the destination was multicast. */
    IPV6_ACT_PARAM_PROBLEM,
    /* RFC 8200 4.2 option action 10: discard and send Parameter Problem
     * code 2 even if the destination was multicast (RFC 4443 2.4 (e.3)
     * exception 2). */
    IPV6_ACT_PARAM_PROBLEM_ANY_DST,
};

/* Parameter Problem codes (RFC 4443 3.4). */
#define ICMP6_PP_HEADER 0        /* erroneous header field */
#define ICMP6_PP_NEXT_HEADER 1   /* unrecognized Next Header type */
#define ICMP6_PP_OPTION 2        /* unrecognized IPv6 option */

struct ipv6_chain {
    /* On success: the upper-layer protocol and where its header starts.
     * Offsets count from the first byte of the IPv6 header, as ICMPv6
     * Parameter Problem pointers do. */
    uint8_t proto;           /* e.g. IPV6_NH_TCP, or IPV6_NH_NONE */
    size_t offset;
    size_t proto_ptr;        /* the Next Header field that named proto: the
                              * pointer of a code 1 Parameter Problem if the
                              * caller does not know proto */
    const uint8_t *upper;    /* ip payload + (offset - 40) */
    size_t upper_len;
    unsigned count;          /* extension headers walked */

    bool router_alert;       /* RFC 2711 option in the hop-by-hop header */
    uint16_t router_alert_value;

    /* A fragment header ends the walk: what follows it is the fragmentable
     * part, whose headers are only reliable after reassembly. proto and
     * offset then describe the start of that part. */
    bool has_frag;
    uint16_t frag_offset;    /* in 8-byte units */
    bool frag_more;          /* M flag */
    uint32_t frag_id;
    size_t frag_hdr_off;     /* offset of the fragment header (= length of
                              * the unfragmentable part) */
    size_t frag_nh_ptr;      /* the Next Header field that named it */

    /* On failure. */
    enum ipv6_walk_action action;
    uint8_t pp_code;         /* ICMP6_PP_* */
    uint32_t pp_pointer;
};

/* Walk the extension headers of a parsed packet. Returns WIRE_OK with the
 * upper layer in *out, or a negative wire_err with out->action saying what
 * to do:
 *   WIRE_ETRUNC    a header runs past the payload (drop)
 *   WIRE_EBADHDR   malformed option area or header field (drop, or
 *                  Parameter Problem code 0/1)
 *   WIRE_EUNSUPP   more than IPV6_MAX_EXT headers (drop), an unknown option
 *                  whose action is not "skip" (drop or Parameter Problem
 *                  code 2), a routing header with segments left (Parameter
 *                  Problem code 0 at its type field)
 * After a refusal proto/offset name the header where the walk stopped. */
int ipv6_walk(const struct ipv6_view *ip, struct ipv6_chain *out);

/* The lenient walk of a quoted packet inside an ICMPv6 error (used by
 * icmp6_parse_quote): payload/len are what follows the quoted fixed header,
 * next_header its Next Header field. No option or routing processing (the
 * quote is a packet we sent), no rule about where hop-by-hop may appear.
 * Returns WIRE_OK with proto/offset/upper filled, or WIRE_ETRUNC with
 * proto/offset naming the header that the quote cuts (WIRE_EUNSUPP past
 * IPV6_MAX_EXT headers). Fragment fields are filled as for ipv6_walk. */
int ipv6_walk_quote(const uint8_t *payload, size_t len, uint8_t next_header,
                    struct ipv6_chain *out);

/* Whether the caller should answer a refused packet with a Parameter
 * Problem, given the destination (RFC 4443 2.4 (e.3)). The other rules of
 * 2.4 (e) (source unspecified or multicast, rate limit) are the caller's. */
bool ipv6_walk_wants_icmp(const struct ipv6_chain *c, const struct ipv6_view *ip);

/* ---- addresses (RFC 4291) ---- */

static inline bool ipv6_addr_is_multicast(const uint8_t a[16])
{
    return a[0] == 0xff; /* RFC 4291 2.7 */
}

static inline bool ipv6_addr_is_link_local(const uint8_t a[16])
{
    return a[0] == 0xfe && (a[1] & 0xc0) == 0x80; /* fe80::/10, 2.5.6 */
}

bool ipv6_addr_is_unspecified(const uint8_t a[16]); /* ::, 2.5.2 */
bool ipv6_addr_is_loopback(const uint8_t a[16]);    /* ::1, 2.5.3 */
bool ipv6_addr_is_v4_mapped(const uint8_t a[16]);   /* ::ffff:0:0/96, 2.5.5.2 */
/* ff02::1:ff00:0/104, RFC 4291 2.7.1 */
bool ipv6_addr_is_solicited_node(const uint8_t a[16]);

/* Multicast scope (low nibble of byte 1, RFC 4291 2.7); 0 if unicast. */
static inline unsigned ipv6_addr_mcast_scope(const uint8_t a[16])
{
    return ipv6_addr_is_multicast(a) ? (unsigned)(a[1] & 0x0f) : 0;
}

/* ff02::1:ffXX:XXXX from the low 24 bits of a (RFC 4291 2.7.1). */
void ipv6_solicited_node(const uint8_t a[16], uint8_t out[16]);
/* 33:33 + the low 32 bits of a multicast address (RFC 2464 7). */
void ipv6_multicast_mac(const uint8_t a[16], struct eth_addr *out);

/* The family-tagged form of a 16-byte address, for the pseudo-header sums
 * and socket lookups. */
static inline struct ip_addr ipv6_addr_tag(const uint8_t a[16])
{
    struct ip_addr r;
    memset(&r, 0, sizeof r);
    r.family = IP_FAMILY_V6;
    memcpy(r.u.v6, a, 16);
    return r;
}

#endif
