/* frames.h - build and take apart Ethernet frames in unit tests, with the
 * wire/ emitters and parsers. Builders return the frame length (padded to
 * 60 bytes like a real NIC would deliver it) or 0 if cap is too small. */
#ifndef TESTS_FRAMES_H
#define TESTS_FRAMES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "stack/wire/addr.h"
#include "stack/wire/arp.h"
#include "stack/wire/eth.h"
#include "stack/wire/icmp4.h"
#include "stack/wire/ipv4.h"
#include "stack/wire/udp.h"

#define FRAME_MAX (ETH_HLEN + 9000)

extern const struct eth_addr frame_broadcast_mac;

/* Ethernet header + ARP body. */
size_t frame_arp(uint8_t *buf, size_t cap, const struct eth_addr *eth_dst,
                 const struct eth_addr *eth_src, uint16_t op, const struct eth_addr *sha,
                 uint32_t spa, const struct eth_addr *tha, uint32_t tpa);

/* Ethernet + IPv4 header (DF, TTL 64 unless ip says otherwise: fields of
 * ip that are zero get those defaults except tos/frag/id) + payload. */
size_t frame_ipv4(uint8_t *buf, size_t cap, const struct eth_addr *eth_dst,
                  const struct eth_addr *eth_src, const struct ipv4_emit_args *ip,
                  const void *payload, size_t len);

/* Ethernet + IPv4 + UDP with a correct checksum. */
size_t frame_udp(uint8_t *buf, size_t cap, const struct eth_addr *eth_dst,
                 const struct eth_addr *eth_src, uint32_t src, uint32_t dst, uint16_t sport,
                 uint16_t dport, const void *payload, size_t len);

/* Ethernet + IPv4 + ICMP (header + body, checksummed). */
size_t frame_icmp4(uint8_t *buf, size_t cap, const struct eth_addr *eth_dst,
                   const struct eth_addr *eth_src, uint32_t src, uint32_t dst, uint8_t type,
                   uint8_t code, uint32_t rest, const void *body, size_t len);

/* A frame taken apart. Flags say which layers parsed. */
struct parsed_frame {
    struct eth_view eth;
    bool is_arp, is_ipv4, is_icmp, is_udp;
    struct arp_view arp;
    struct ipv4_view ip;
    struct icmp4_view icmp;
    struct udp_view udp;
};
/* 0 if the Ethernet header parsed (upper layers as flagged), -1 if not. */
int frame_parse(const uint8_t *frame, size_t len, struct parsed_frame *out);

#endif
