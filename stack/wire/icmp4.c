/* icmp4.c - ICMP for IPv4 (RFC 792). */
#include "stack/wire/icmp4.h"

#include "stack/wire/checksum.h"
#include "stack/wire/ipv4.h"

int icmp4_parse(const uint8_t *buf, size_t len, struct icmp4_view *out)
{
    if (len < ICMP4_HLEN)
        return WIRE_ETRUNC;
    /* RFC 792: the checksum covers the whole ICMP message. */
    if (inet_csum(buf, len) != 0)
        return WIRE_ECSUM;
    out->type = buf[0];
    out->code = buf[1];
    out->rest = rd32(buf + 4);
    out->body = buf + ICMP4_HLEN;
    out->body_len = len - ICMP4_HLEN;
    return WIRE_OK;
}

/* The quoted header is what the router saw, not what we sent: its TTL,
 * checksum and even total length may have been changed on the way, so only
 * what we need to find our socket is checked (RFC 1122 3.2.2: the quote is
 * the IP header plus at least the first 8 data bytes). */
int icmp4_parse_quote(const uint8_t *body, size_t len, struct icmp4_quote *out)
{
    if (len < IPV4_HLEN)
        return WIRE_ETRUNC;
    if (body[0] >> 4 != 4)
        return WIRE_EVERSION;
    size_t ihl = (size_t)(body[0] & 0x0f) * 4;
    if (ihl < IPV4_HLEN)
        return WIRE_EBADHDR;
    if (len < ihl + 8)
        return WIRE_ETRUNC;

    size_t l4_len = len - ihl;
    /* A sane total length shorter than the quote means the rest is padding
     * or RFC 4884 extensions, not the original datagram. */
    size_t total_len = rd16(body + 2);
    if (total_len >= ihl + 8 && total_len - ihl < l4_len)
        l4_len = total_len - ihl;

    out->proto = body[9];
    out->total_len = (uint16_t)total_len;
    out->src = rd32(body + 12);
    out->dst = rd32(body + 16);
    out->l4 = body + ihl;
    out->l4_len = l4_len;
    out->sport = rd16(out->l4);
    out->dport = rd16(out->l4 + 2);
    return WIRE_OK;
}

void icmp4_emit(uint8_t *buf, uint8_t type, uint8_t code, uint32_t rest, size_t body_len)
{
    buf[0] = type;
    buf[1] = code;
    wr16(buf + 2, 0);
    wr32(buf + 4, rest);
    wr16(buf + 2, inet_csum(buf, ICMP4_HLEN + body_len));
}
