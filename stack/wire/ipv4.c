/* ipv4.c - IPv4 header (RFC 791 section 3.1). */
#include "stack/wire/ipv4.h"

#include "stack/wire/checksum.h"

int ipv4_parse(const uint8_t *buf, size_t len, struct ipv4_view *out)
{
    if (len < IPV4_HLEN)
        return WIRE_ETRUNC;
    if (buf[0] >> 4 != 4)
        return WIRE_EVERSION; /* RFC 1122 3.2.1.1 */
    size_t ihl = (size_t)(buf[0] & 0x0f) * 4;
    if (ihl < IPV4_HLEN)
        return WIRE_EBADHDR;
    if (len < ihl)
        return WIRE_ETRUNC; /* options run past the span */
    size_t total_len = rd16(buf + 2);
    /* RFC 1812 5.2.2: the total length must cover the header and fit in
     * what the link delivered. A span longer than total_len is link
     * padding (Ethernet's 60-byte minimum), not payload. */
    if (total_len < ihl || total_len > len)
        return WIRE_EBADLEN;
    if (inet_csum(buf, ihl) != 0)
        return WIRE_ECSUM; /* RFC 1122 3.2.1.2 */

    out->ihl = (uint8_t)ihl;
    out->tos = buf[1];
    out->total_len = (uint16_t)total_len;
    out->id = rd16(buf + 4);
    out->frag = rd16(buf + 6);
    out->ttl = buf[8];
    out->proto = buf[9];
    out->src = rd32(buf + 12);
    out->dst = rd32(buf + 16);
    out->options = buf + IPV4_HLEN;
    out->options_len = ihl - IPV4_HLEN;
    out->payload = buf + ihl;
    out->payload_len = total_len - ihl;
    return WIRE_OK;
}

enum ipv4_srr ipv4_source_route(const uint8_t *opts, size_t len)
{
    enum ipv4_srr found = IPV4_SRR_NONE;
    size_t i = 0;
    while (i < len) {
        uint8_t type = opts[i];
        if (type == IPV4_OPT_EOL)
            break;
        if (type == IPV4_OPT_NOP) {
            i++;
            continue;
        }
        if (len - i < 2 || opts[i + 1] < 2 || opts[i + 1] > len - i)
            break; /* a length that cannot be: stop (the loop always advanced) */
        size_t olen = opts[i + 1];
        if (type == IPV4_OPT_LSRR || type == IPV4_OPT_SSRR) {
            /* "If the pointer is greater than the length, the source
             * route is empty"; a short option has no pointer at all. */
            if (olen < 3 || opts[i + 2] <= olen)
                return IPV4_SRR_PENDING;
            found = IPV4_SRR_DONE;
        }
        i += olen;
    }
    return found;
}

/* The caller keeps payload_len <= 65515 (IPV4_HLEN + payload fits the
 * 16-bit total length); larger datagrams are fragmented before this. */
void ipv4_emit(uint8_t *buf, const struct ipv4_emit_args *a)
{
    buf[0] = 0x45; /* version 4, IHL 5: we never send options */
    buf[1] = a->tos;
    wr16(buf + 2, (uint16_t)(IPV4_HLEN + a->payload_len));
    wr16(buf + 4, a->id);
    wr16(buf + 6, a->frag);
    buf[8] = a->ttl;
    buf[9] = a->proto;
    wr16(buf + 10, 0);
    wr32(buf + 12, a->src);
    wr32(buf + 16, a->dst);
    wr16(buf + 10, inet_csum(buf, IPV4_HLEN));
}
