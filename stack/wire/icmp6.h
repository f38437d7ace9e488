/* icmp6.h - ICMPv6 (RFC 4443), Neighbor Discovery messages and options
 * (RFC 4861) and the MLDv2 messages we need (RFC 3810).
 *
 * Parsers take the ICMPv6 message (the upper-layer span ipv6_walk found)
 * plus the IPv6 source and destination for the pseudo-header checksum.
 * The nd_check_* predicates are the validity rules of RFC 4861 for each ND
 * message, as pure functions of the parsed views; the ND layer drops what
 * they refuse.
 */
#ifndef TCPIP_WIRE_ICMP6_H
#define TCPIP_WIRE_ICMP6_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "stack/wire/addr.h"
#include "stack/wire/ipv6.h"
#include "stack/wire/wire.h"

#define ICMP6_HLEN 8

/* Types (RFC 4443 2.1, RFC 4861 4, RFC 3810 5). */
#define ICMP6_DEST_UNREACH 1
#define ICMP6_PACKET_TOO_BIG 2
#define ICMP6_TIME_EXCEEDED 3
#define ICMP6_PARAM_PROBLEM 4
#define ICMP6_ECHO_REQUEST 128
#define ICMP6_ECHO_REPLY 129
#define ICMP6_MLD_QUERY 130
#define ICMP6_ND_RS 133
#define ICMP6_ND_RA 134
#define ICMP6_ND_NS 135
#define ICMP6_ND_NA 136
#define ICMP6_ND_REDIRECT 137
#define ICMP6_MLD2_REPORT 143

/* Destination Unreachable codes (RFC 4443 3.1). */
#define ICMP6_NO_ROUTE 0
#define ICMP6_ADMIN_PROHIB 1
#define ICMP6_BEYOND_SCOPE 2
#define ICMP6_ADDR_UNREACH 3
#define ICMP6_PORT_UNREACH 4
#define ICMP6_SRC_POLICY 5
#define ICMP6_REJECT_ROUTE 6
/* Time Exceeded codes (RFC 4443 3.3). */
#define ICMP6_HOP_LIMIT 0
#define ICMP6_REASSEMBLY_TIME 1
/* Parameter Problem codes are ICMP6_PP_* in ipv6.h. */

/* RFC 4443 2.4 (c): an error carries as much of the invoking packet as fits
 * without the error exceeding the minimum MTU. */
#define ICMP6_ERROR_MAX_QUOTE (IPV6_MIN_MTU - IPV6_HLEN - ICMP6_HLEN)

/* How many bytes of an invoking packet of invoking_len bytes (its IPv6
 * header included) an error quotes. */
static inline size_t icmp6_error_quote_len(size_t invoking_len)
{
    return invoking_len < ICMP6_ERROR_MAX_QUOTE ? invoking_len : ICMP6_ERROR_MAX_QUOTE;
}

struct icmp6_view {
    uint8_t type;
    uint8_t code;
    uint32_t rest;           /* bytes 4..7: id/seq, MTU, pointer, flags... */
    const uint8_t *body;     /* after the 8-byte header */
    size_t body_len;
    size_t len;              /* the whole message: 8 + body_len */
};

/* WIRE_ETRUNC if len < 8; verifies the checksum over the IPv6
 * pseudo-header of src/dst and all len bytes (RFC 4443 2.3, WIRE_ECSUM). */
int icmp6_parse(const uint8_t *buf, size_t len, const struct ip_addr *src,
                const struct ip_addr *dst, struct icmp6_view *out);

/* Write the 8-byte header at buf and the checksum over the pseudo-header,
 * the header and body_len bytes the caller has already placed after it. */
void icmp6_emit(uint8_t *buf, uint8_t type, uint8_t code, uint32_t rest, size_t body_len,
                const struct ip_addr *src, const struct ip_addr *dst);

/* Echo (RFC 4443 4): identifier and sequence number live in rest. */
static inline uint16_t icmp6_echo_id(const struct icmp6_view *m)
{
    return (uint16_t)(m->rest >> 16);
}

static inline uint16_t icmp6_echo_seq(const struct icmp6_view *m)
{
    return (uint16_t)m->rest;
}

static inline bool icmp6_is_error(uint8_t type)
{
    return type < 128; /* RFC 4443 2.1 */
}

/* The invoking packet quoted in an error (types 1..4), parsed leniently:
 * its fixed IPv6 header must be complete (WIRE_ETRUNC, WIRE_EVERSION);
 * its extension headers are followed as far as the quote goes; its payload
 * length may exceed what was quoted. */
struct icmp6_quote {
    uint8_t src[16];         /* the original sender and target */
    uint8_t dst[16];
    uint8_t next_header;     /* of the quoted fixed header */
    bool proto_known;        /* the chain was walked to an upper layer */
    uint8_t proto;           /* that upper layer, valid if proto_known */
    bool has_ports;          /* proto_known, not a non-first fragment, and
                              * at least 4 bytes of the upper header */
    uint16_t sport, dport;   /* first 4 bytes of the upper header */
    const uint8_t *l4;       /* quoted upper-layer header (proto_known) */
    size_t l4_len;
};
int icmp6_parse_quote(const uint8_t *body, size_t len, struct icmp6_quote *out);

/* ---- Neighbor Discovery (RFC 4861 4) ---- */

/* Fixed lengths of each ND message, ICMP header included: the minimum
 * "ICMP length" of the validation rules. Options follow. */
#define ND_RS_LEN 8
#define ND_RA_LEN 16
#define ND_NS_LEN 24
#define ND_NA_LEN 24
#define ND_REDIRECT_LEN 40
#define ND_HOP_LIMIT 255     /* sent and required on receipt */

#define ND_RA_FLAG_MANAGED 0x80
#define ND_RA_FLAG_OTHER 0x40
#define ND_NA_FLAG_ROUTER 0x80000000u
#define ND_NA_FLAG_SOLICITED 0x40000000u
#define ND_NA_FLAG_OVERRIDE 0x20000000u

struct nd_rs {
    const uint8_t *options;
    size_t options_len;
};

struct nd_ra {
    uint8_t cur_hop_limit;   /* 0: unspecified */
    bool managed;            /* M */
    bool other;              /* O */
    uint16_t router_lifetime; /* seconds, 0: not a default router */
    uint32_t reachable_time; /* ms, 0: unspecified */
    uint32_t retrans_timer;  /* ms, 0: unspecified */
    const uint8_t *options;
    size_t options_len;
};

struct nd_ns {
    uint8_t target[16];
    const uint8_t *options;
    size_t options_len;
};

struct nd_na {
    bool router, solicited, override;
    uint8_t target[16];
    const uint8_t *options;
    size_t options_len;
};

struct nd_redirect {
    uint8_t target[16];      /* the better first hop */
    uint8_t dest[16];        /* the destination being redirected */
    const uint8_t *options;
    size_t options_len;
};

/* Fill the typed view from a parsed message of the matching type.
 * WIRE_EBADHDR for another type, WIRE_ETRUNC if shorter than the fixed
 * part. Options are not checked here (see nd_opts_valid). */
int nd_parse_rs(const struct icmp6_view *m, struct nd_rs *out);
int nd_parse_ra(const struct icmp6_view *m, struct nd_ra *out);
int nd_parse_ns(const struct icmp6_view *m, struct nd_ns *out);
int nd_parse_na(const struct icmp6_view *m, struct nd_na *out);
int nd_parse_redirect(const struct icmp6_view *m, struct nd_redirect *out);

/* Emit the fixed part of an ND message at buf, with options_len bytes of
 * options the caller has already written after it (at buf + ND_*_LEN, see
 * nd_opt_emit_*), and the checksum. Return the message length. */
size_t nd_emit_rs(uint8_t *buf, size_t options_len, const struct ip_addr *src,
                  const struct ip_addr *dst);
size_t nd_emit_ra(uint8_t *buf, const struct nd_ra *ra, size_t options_len,
                  const struct ip_addr *src, const struct ip_addr *dst);
size_t nd_emit_ns(uint8_t *buf, const uint8_t target[16], size_t options_len,
                  const struct ip_addr *src, const struct ip_addr *dst);
/* flags: ND_NA_FLAG_* */
size_t nd_emit_na(uint8_t *buf, uint32_t flags, const uint8_t target[16],
                  size_t options_len, const struct ip_addr *src, const struct ip_addr *dst);
size_t nd_emit_redirect(uint8_t *buf, const uint8_t target[16], const uint8_t dest[16],
                        size_t options_len, const struct ip_addr *src,
                        const struct ip_addr *dst);

/* ---- ND options (RFC 4861 4.6) ---- */

#define ND_OPT_SLLA 1
#define ND_OPT_TLLA 2
#define ND_OPT_PREFIX 3
#define ND_OPT_REDIRECTED 4
#define ND_OPT_MTU 5
#define ND_OPT_RDNSS 25      /* RFC 8106 5.1 */
#define ND_OPT_DNSSL 31      /* RFC 8106 5.2 */
#define ND_DNS_MAX_PER_OPT 4 /* addresses or names kept from one option */
#define ND_DNSSL_NAME_MAX 254 /* a name of at most 253 characters, and its NUL */
#define ND_OPT_LLADDR_LEN 8  /* Ethernet (RFC 2464 6): length 1 */
#define ND_OPT_PREFIX_LEN 32
#define ND_OPT_MTU_LEN 8
#define ND_PREFIX_FLAG_ONLINK 0x80 /* L */
#define ND_PREFIX_FLAG_AUTO 0x40   /* A */

struct nd_opt {
    uint8_t type;
    const uint8_t *data;     /* the whole option, type byte first */
    size_t len;              /* in bytes, a non-zero multiple of 8 */
};

struct nd_opt_iter {
    const uint8_t *p;
    size_t len;
    size_t off;
};

void nd_opt_iter_init(struct nd_opt_iter *it, const uint8_t *options, size_t len);
/* 1 and *opt for the next option, 0 at the end, or WIRE_EBADLEN for an
 * option of length 0 or one that runs past the end; RFC 4861 4.6 makes the
 * whole message invalid then, and the iterator stays at the bad option. */
int nd_opt_next(struct nd_opt_iter *it, struct nd_opt *opt);
/* Every option well-formed (the "all included options have a length
 * greater than zero" rule, and none runs past the message). */
bool nd_opts_valid(const uint8_t *options, size_t len);
/* First option of the given type, or false (also for invalid options). */
bool nd_opt_find(const uint8_t *options, size_t len, uint8_t type, struct nd_opt *out);

struct nd_prefix_info {
    uint8_t prefix_len;      /* 0..128 */
    bool on_link;            /* L */
    bool autonomous;         /* A */
    uint32_t valid_lifetime; /* seconds, 0xffffffff: infinity */
    uint32_t preferred_lifetime;
    uint8_t prefix[16];
};

/* Typed decoding; WIRE_EBADLEN if the option has the wrong length for its
 * type (the ND layer ignores such an option), WIRE_EBADHDR for a prefix
 * length over 128 or the wrong type. */
int nd_opt_lladdr(const struct nd_opt *opt, struct eth_addr *out);
int nd_opt_prefix(const struct nd_opt *opt, struct nd_prefix_info *out);
int nd_opt_mtu(const struct nd_opt *opt, uint32_t *mtu);
/* RFC 8106 5.1: lifetime and up to max server addresses (length 3, 5,
 * 7...: WIRE_EBADLEN otherwise). */
int nd_opt_rdnss(const struct nd_opt *opt, uint32_t *lifetime, uint8_t (*addrs)[16], size_t max,
                 size_t *n);
/* RFC 8106 5.2: lifetime and up to max search domains, decoded from DNS
 * wire form (RFC 1035 3.1) to dotted text. WIRE_EBADLEN below length 2,
 * WIRE_EBADHDR for a label past the option, a name over 253 characters,
 * a compression pointer, a character other than a letter, digit, '-' or
 * '_', or non-zero bytes in the padding. */
int nd_opt_dnssl(const struct nd_opt *opt, uint32_t *lifetime, char (*names)[ND_DNSSL_NAME_MAX],
                 size_t max, size_t *n);

/* Write an option at buf and return its length. */
size_t nd_opt_emit_lladdr(uint8_t *buf, uint8_t type, const struct eth_addr *mac);
size_t nd_opt_emit_prefix(uint8_t *buf, const struct nd_prefix_info *pi);
size_t nd_opt_emit_mtu(uint8_t *buf, uint32_t mtu);

/* ---- ND validity (RFC 4861 6.1.1, 6.1.2, 7.1.1, 7.1.2, 8.1) ---- */

enum nd_check {
    ND_VALID = 0,
    ND_BAD_TYPE,             /* not the message the predicate is for */
    ND_BAD_HOP_LIMIT,        /* IP Hop Limit is not 255 */
    ND_BAD_CODE,             /* ICMP Code is not 0 */
    ND_TOO_SHORT,            /* ICMP length below the fixed part */
    ND_BAD_OPTION,           /* an option of length 0 or past the end */
    ND_BAD_SOURCE,           /* RA/Redirect source not link-local */
    ND_MCAST_TARGET,         /* NS/NA target is multicast */
    ND_BAD_DEST,             /* NS from :: not to a solicited-node group;
                              * Redirect destination multicast; Redirect
                              * target neither link-local nor the dest */
    ND_SLLA_FROM_UNSPEC,     /* RS/NS from :: with a source link-layer option */
    ND_SOLICITED_MCAST,      /* NA to multicast with the S flag */
};

enum nd_check nd_check_rs(const struct ipv6_view *ip, const struct icmp6_view *m);
enum nd_check nd_check_ra(const struct ipv6_view *ip, const struct icmp6_view *m);
enum nd_check nd_check_ns(const struct ipv6_view *ip, const struct icmp6_view *m);
enum nd_check nd_check_na(const struct ipv6_view *ip, const struct icmp6_view *m);
enum nd_check nd_check_redirect(const struct ipv6_view *ip, const struct icmp6_view *m);

/* ---- MLDv2 (RFC 3810) ---- */

#define MLD_QUERY_V1_LEN 24  /* RFC 3810 8.1: 24 bytes is an MLDv1 query */
#define MLD_QUERY_V2_LEN 28
#define MLD2_RECORD_LEN 20   /* a record with no sources or aux data */
#define MLD2_REPORT_LEN(n) (ICMP6_HLEN + (size_t)(n) * MLD2_RECORD_LEN)
#define MLD2_HOP_LIMIT 1

/* Record types (RFC 3810 5.2.12). */
#define MLD2_MODE_IS_INCLUDE 1
#define MLD2_MODE_IS_EXCLUDE 2
#define MLD2_CHANGE_TO_INCLUDE 3
#define MLD2_CHANGE_TO_EXCLUDE 4

struct mld_query {
    uint8_t version;         /* 1 (24 bytes) or 2 (>= 28 bytes) */
    uint32_t max_resp_ms;    /* decoded Maximum Response Code */
    uint8_t group[16];       /* :: for a general query */
    bool suppress;           /* S flag (v2) */
    uint8_t qrv;             /* robustness variable (v2), 0: unset */
    uint32_t qqi_s;          /* decoded QQIC in seconds (v2) */
    uint16_t nsources;
    const uint8_t *sources;  /* nsources * 16 bytes */
};

/* WIRE_EBADHDR if not a query, WIRE_ETRUNC below 24 bytes, WIRE_EBADLEN
 * for 25..27 bytes (RFC 3810 8.1: ignore) or sources past the end. */
int mld_parse_query(const struct icmp6_view *m, struct mld_query *out);

/* RFC 3810 5 and 6.2: an MLD query is accepted only from a link-local
 * source, with hop limit 1 and a Router Alert option in a hop-by-hop header
 * (router_alert as ipv6_walk reported it). */
bool mld_query_acceptable(const struct ipv6_view *ip, bool router_alert);

struct mld2_record {
    uint8_t type;            /* MLD2_* */
    uint8_t group[16];
};

/* Write a Version 2 Multicast Listener Report with n source-less records
 * (MLD2_CHANGE_TO_EXCLUDE to join, MLD2_CHANGE_TO_INCLUDE to leave,
 * MLD2_MODE_IS_EXCLUDE to answer a query) into buf, which holds
 * MLD2_REPORT_LEN(n) bytes; n <= 65535. Returns the length. The caller
 * sends it to ff02::16 with hop limit 1 and a Router Alert. */
size_t mld2_emit_report(uint8_t *buf, const struct mld2_record *recs, size_t n,
                        const struct ip_addr *src, const struct ip_addr *dst);

#endif
