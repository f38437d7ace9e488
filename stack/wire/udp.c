/* udp.c - UDP header (RFC 768). */
#include "stack/wire/udp.h"

#include "stack/wire/checksum.h"
#include "stack/wire/ipv4.h"

static int parse(const uint8_t *buf, size_t len, const struct ip_addr *src,
                 const struct ip_addr *dst, bool verify_csum, struct udp_view *out)
{
    if (len < UDP_HLEN)
        return WIRE_ETRUNC;
    size_t ulen = rd16(buf + 4);
    /* Bytes past the length field (e.g. IP-layer slack) are not ours. */
    if (ulen < UDP_HLEN || ulen > len)
        return WIRE_EBADLEN;
    uint16_t csum = rd16(buf + 6);
    if (!verify_csum) {
        /* The device vouched for it (checksum offload). */
    } else if (csum == 0) {
        /* RFC 768: zero means "not computed"; RFC 8200 8.1: not allowed
         * over IPv6. */
        if (src->family != IP_FAMILY_V4)
            return WIRE_ECSUM;
    } else {
        uint32_t sum = inet_pseudo_sum(src, dst, IPPROTO_UDP_, (uint32_t)ulen);
        if (inet_csum_fold(inet_csum_add(sum, buf, ulen)) != 0)
            return WIRE_ECSUM;
    }
    out->sport = rd16(buf);
    out->dport = rd16(buf + 2);
    out->len = (uint16_t)ulen;
    out->csum = csum;
    out->payload = buf + UDP_HLEN;
    out->payload_len = ulen - UDP_HLEN;
    return WIRE_OK;
}

int udp_parse(const uint8_t *buf, size_t len, const struct ip_addr *src,
              const struct ip_addr *dst, struct udp_view *out)
{
    return parse(buf, len, src, dst, true, out);
}

int udp_parse_nocsum(const uint8_t *buf, size_t len, struct udp_view *out)
{
    return parse(buf, len, NULL, NULL, false, out);
}

/* The caller keeps payload_len <= 65527 so the length fits 16 bits. */
void udp_emit(uint8_t *buf, uint16_t sport, uint16_t dport, size_t payload_len,
              const struct ip_addr *src, const struct ip_addr *dst)
{
    size_t ulen = UDP_HLEN + payload_len;
    wr16(buf, sport);
    wr16(buf + 2, dport);
    wr16(buf + 4, (uint16_t)ulen);
    wr16(buf + 6, 0);
    uint32_t sum = inet_pseudo_sum(src, dst, IPPROTO_UDP_, (uint32_t)ulen);
    uint16_t csum = inet_csum_fold(inet_csum_add(sum, buf, ulen));
    /* RFC 768: a computed zero is sent as all ones, since zero on the wire
     * means "no checksum". */
    wr16(buf + 6, csum == 0 ? 0xffff : csum);
}
