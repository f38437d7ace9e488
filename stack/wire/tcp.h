/* tcp.h - TCP header and options (RFC 9293 3.1, 3.2; RFC 7323; RFC 2018).
 *
 * Pure codec: tcp_parse() checks lengths and the checksum and decodes the
 * options it knows; tcp_options_emit() and tcp_emit() build a header in
 * place in front of a payload the caller has already placed. Sequence
 * numbers are carried as raw uint32_t; compare them only with
 * stack/sock/tcp_seq.h.
 */
#ifndef TCPIP_WIRE_TCP_H
#define TCPIP_WIRE_TCP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "stack/wire/addr.h"
#include "stack/wire/wire.h"

#define TCP_HLEN 20          /* without options */
#define TCP_MAX_HLEN 60      /* data offset is 4 bits of 32-bit words */
#define TCP_MAX_OPTLEN (TCP_MAX_HLEN - TCP_HLEN)

/* Control bits, as they sit in byte 13 of the header (RFC 9293 3.1,
 * RFC 3168 for ECE/CWR). */
#define TCP_FLAG_FIN 0x01
#define TCP_FLAG_SYN 0x02
#define TCP_FLAG_RST 0x04
#define TCP_FLAG_PSH 0x08
#define TCP_FLAG_ACK 0x10
#define TCP_FLAG_URG 0x20
#define TCP_FLAG_ECE 0x40
#define TCP_FLAG_CWR 0x80

/* Option kinds and their fixed lengths (IANA "TCP Option Kind Numbers"). */
#define TCP_OPT_EOL 0
#define TCP_OPT_NOP 1
#define TCP_OPT_MSS 2
#define TCP_OPT_WSCALE 3
#define TCP_OPT_SACK_PERM 4
#define TCP_OPT_SACK 5
#define TCP_OPT_TS 8

#define TCP_OPTLEN_MSS 4
#define TCP_OPTLEN_WSCALE 3
#define TCP_OPTLEN_SACK_PERM 2
#define TCP_OPTLEN_TS 10
#define TCP_OPTLEN_SACK_BLOCK 8  /* per block, after the 2-byte kind+length */

#define TCP_MAX_WSCALE 14    /* RFC 7323 2.3 */
#define TCP_MAX_SACK_BLOCKS 4 /* RFC 2018 3: at most 4 fit in 40 bytes */

struct tcp_sack_block {
    uint32_t left;           /* first sequence number of the block */
    uint32_t right;          /* sequence number just past the block */
};

/* The options this stack understands. A has_* flag says the option was
 * present with its correct length; absent options leave their value 0. */
struct tcp_options {
    bool has_mss;
    uint16_t mss;            /* as received; 0 is reported, the socket clamps */
    bool has_wscale;
    uint8_t wscale;          /* shift count, already clamped to 14 */
    bool wscale_clamped;     /* the peer sent more than 14 (RFC 7323 2.3) */
    bool sack_permitted;
    bool has_ts;
    uint32_t ts_val;
    uint32_t ts_ecr;
    uint8_t n_sack;          /* 0..4 blocks in sack[] */
    struct tcp_sack_block sack[TCP_MAX_SACK_BLOCKS];
};

struct tcp_view {
    uint16_t sport;
    uint16_t dport;
    uint32_t seq;
    uint32_t ack;
    uint8_t data_off;        /* header length in bytes (20..60) */
    uint8_t flags;           /* TCP_FLAG_*; the reserved bits are ignored */
    uint16_t window;         /* as sent, not yet scaled */
    uint16_t csum;
    uint16_t urg_ptr;
    const uint8_t *options;  /* data_off - 20 raw bytes */
    size_t options_len;
    struct tcp_options opt;  /* options decoded */
    const uint8_t *payload;
    size_t payload_len;      /* everything after the header in the span */
};

/* Parse the TCP segment in buf (the whole IP payload, len bytes) sent from
 * src to dst. Refuses with:
 *   WIRE_ETRUNC   len < 20
 *   WIRE_EBADHDR  data offset < 5 words, or a malformed option area
 *                 (see tcp_options_parse)
 *   WIRE_EBADLEN  data offset reaches past len
 *   WIRE_ECSUM    the checksum over the pseudo-header and the segment fails
 * On success fills *out, whose pointers point into buf; on error *out
 * holds nothing the caller may use. */
int tcp_parse(const uint8_t *buf, size_t len, const struct ip_addr *src,
              const struct ip_addr *dst, struct tcp_view *out);

/* tcp_parse without the checksum check, for a segment whose device
 * already vouched for it (virtio NEEDS_CSUM/DATA_VALID, STACK_RX_CSUM_OK). */
int tcp_parse_nocsum(const uint8_t *buf, size_t len, struct tcp_view *out);

/* Decode len bytes of option area into *out (zeroed first).
 *
 * RFC 9293 3.1: EOL ends the list, NOP is one byte, every other kind has a
 * length byte that counts kind and length. A length below 2, a length that
 * runs past the area, or a kind in the last byte with no room for its
 * length make the whole area malformed: returns WIRE_EBADHDR and leaves
 * *out zeroed. RFC 9293 3.1 (MUST-7) only says an illegal option length must
 * be handled, suggesting a reset; since the option boundaries after such a
 * length cannot be known, we refuse the segment (the caller drops it).
 *
 * A known option with the wrong length for its kind (MSS != 4, WS != 3,
 * SACK-permitted != 2, TS != 10, SACK not 2 + 8n with n in 1..4) is still
 * well delimited, so it is skipped like an unknown option (RFC 9293 3.1
 * MUST-6: ignore options one does not implement) rather than trusted or
 * treated as fatal; Linux does the same. Unknown kinds are skipped by their
 * length. If an option appears twice the last one wins. A window scale
 * above 14 is used as 14 and flagged (RFC 7323 2.3). Returns WIRE_OK. */
int tcp_options_parse(const uint8_t *opts, size_t len, struct tcp_options *out);

/* Bytes tcp_options_emit() writes for o (always a multiple of 4), or 0 if
 * o cannot be encoded (n_sack > 4). It can exceed the 40 bytes a header
 * holds: the caller picks what fits, e.g. at most 3 SACK blocks alongside
 * timestamps (RFC 2018 3). */
size_t tcp_options_len(const struct tcp_options *o);

/* Write the options present in o at buf, in the order Linux uses, which
 * keeps every 4-byte-aligned field aligned and needs no trailing padding:
 *   MSS | SACK-perm TS (or NOP NOP TS) | NOP NOP SACK-perm (if no TS) |
 *   NOP WS | NOP NOP SACK
 * wscale is clamped to 14. Returns the bytes written, a multiple of 4, or 0
 * if cap is smaller than tcp_options_len(o) or o cannot be encoded; 0 is
 * also the answer for "no options". */
size_t tcp_options_emit(uint8_t *buf, size_t cap, const struct tcp_options *o);

struct tcp_emit_args {
    uint16_t sport;
    uint16_t dport;
    uint32_t seq;
    uint32_t ack;
    uint8_t flags;           /* TCP_FLAG_* */
    uint16_t window;         /* already scaled down by the sender's shift */
    uint16_t urg_ptr;
};

/* Write the 20-byte fixed header at buf. options_len bytes of options (a
 * multiple of 4, at most 40, as returned by tcp_options_emit) and then
 * payload_len bytes of payload must already follow it. Sets the data
 * offset, zeroes the reserved bits and computes the checksum with the
 * pseudo-header of src/dst. */
void tcp_emit(uint8_t *buf, const struct tcp_emit_args *a, size_t options_len,
              size_t payload_len, const struct ip_addr *src,
              const struct ip_addr *dst);

/* Write the 20-byte header like tcp_emit, but leave in the checksum field
 * only the folded pseudo-header sum, for a device to finish (checksum
 * offload, NETIF_OFFLOAD_TX_CSUM: "CHECKSUM_PARTIAL"). */
void tcp_emit_partial(uint8_t *buf, const struct tcp_emit_args *a, size_t options_len,
                      size_t payload_len, const struct ip_addr *src, const struct ip_addr *dst);

/* SEG.LEN (RFC 9293 3.3.1): the payload plus one for SYN and one for FIN,
 * the sequence space the segment occupies. */
static inline uint32_t tcp_seg_len(const struct tcp_view *v)
{
    uint32_t n = (uint32_t)v->payload_len;
    if (v->flags & TCP_FLAG_SYN)
        n++;
    if (v->flags & TCP_FLAG_FIN)
        n++;
    return n;
}

#endif
