/* eth.h - Ethernet II frames. */
#ifndef TCPIP_WIRE_ETH_H
#define TCPIP_WIRE_ETH_H

#include <stddef.h>
#include <stdint.h>

#include "stack/wire/addr.h"
#include "stack/wire/wire.h"

#define ETH_HLEN 14
#define ETH_MIN_FRAME 60 /* without FCS; shorter frames are padded on output */
#define ETHERTYPE_IPV4 0x0800
#define ETHERTYPE_ARP 0x0806
#define ETHERTYPE_VLAN 0x8100
#define ETHERTYPE_QINQ 0x88a8
#define ETHERTYPE_IPV6 0x86dd

struct eth_view {
    struct eth_addr dst;
    struct eth_addr src;
    uint16_t ethertype;      /* host order; < 0x0600 means an 802.3 length */
    const uint8_t *payload;
    size_t payload_len;      /* includes any padding up to 60 bytes */
};

/* WIRE_ETRUNC if len < ETH_HLEN. */
int eth_parse(const uint8_t *frame, size_t len, struct eth_view *out);
/* Write a 14-byte header at buf. */
void eth_emit(uint8_t *buf, const struct eth_addr *dst, const struct eth_addr *src,
              uint16_t ethertype);

#endif
