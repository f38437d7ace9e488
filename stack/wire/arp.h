/* arp.h - ARP for IPv4 over Ethernet (RFC 826). */
#ifndef TCPIP_WIRE_ARP_H
#define TCPIP_WIRE_ARP_H

#include <stddef.h>
#include <stdint.h>

#include "stack/wire/addr.h"
#include "stack/wire/wire.h"

#define ARP_LEN 28
#define ARP_OP_REQUEST 1
#define ARP_OP_REPLY 2

struct arp_view {
    uint16_t op;
    struct eth_addr sha;
    uint32_t spa;            /* host order */
    struct eth_addr tha;
    uint32_t tpa;            /* host order */
};

/* Accepts only htype 1 (Ethernet), ptype 0x0800, hlen 6, plen 4
 * (WIRE_EUNSUPP otherwise); WIRE_ETRUNC if len < 28. Trailing padding ok. */
int arp_parse(const uint8_t *buf, size_t len, struct arp_view *out);
/* Write 28 bytes at buf. */
void arp_emit(uint8_t *buf, const struct arp_view *a);

#endif
