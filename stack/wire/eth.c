/* eth.c - Ethernet II header. */
#include "stack/wire/eth.h"

#include <string.h>

/* VLAN-tagged frames are not refused here: the ethertype (0x8100/0x88a8)
 * is reported and the core decides (and counts) what to do with them. */
int eth_parse(const uint8_t *frame, size_t len, struct eth_view *out)
{
    if (len < ETH_HLEN)
        return WIRE_ETRUNC;
    memcpy(out->dst.b, frame, 6);
    memcpy(out->src.b, frame + 6, 6);
    out->ethertype = rd16(frame + 12);
    out->payload = frame + ETH_HLEN;
    out->payload_len = len - ETH_HLEN;
    return WIRE_OK;
}

void eth_emit(uint8_t *buf, const struct eth_addr *dst, const struct eth_addr *src,
              uint16_t ethertype)
{
    memcpy(buf, dst->b, 6);
    memcpy(buf + 6, src->b, 6);
    wr16(buf + 12, ethertype);
}
