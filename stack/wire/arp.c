/* arp.c - ARP packets for IPv4 over Ethernet (RFC 826). */
#include "stack/wire/arp.h"

#include <string.h>

#define ARP_HTYPE_ETHER 1
#define ARP_PTYPE_IPV4 0x0800

/* Layout (RFC 826 "Packet format"): htype(2) ptype(2) hlen(1) plen(1)
 * op(2) sha(6) spa(4) tha(6) tpa(4). The opcode is reported as is: which
 * ones to answer is the neighbour cache's business. */
int arp_parse(const uint8_t *buf, size_t len, struct arp_view *out)
{
    if (len < ARP_LEN)
        return WIRE_ETRUNC;
    if (rd16(buf) != ARP_HTYPE_ETHER || rd16(buf + 2) != ARP_PTYPE_IPV4 ||
        buf[4] != 6 || buf[5] != 4)
        return WIRE_EUNSUPP;
    out->op = rd16(buf + 6);
    memcpy(out->sha.b, buf + 8, 6);
    out->spa = rd32(buf + 14);
    memcpy(out->tha.b, buf + 18, 6);
    out->tpa = rd32(buf + 24);
    return WIRE_OK;
}

void arp_emit(uint8_t *buf, const struct arp_view *a)
{
    wr16(buf, ARP_HTYPE_ETHER);
    wr16(buf + 2, ARP_PTYPE_IPV4);
    buf[4] = 6;
    buf[5] = 4;
    wr16(buf + 6, a->op);
    memcpy(buf + 8, a->sha.b, 6);
    wr32(buf + 14, a->spa);
    memcpy(buf + 18, a->tha.b, 6);
    wr32(buf + 24, a->tpa);
}
