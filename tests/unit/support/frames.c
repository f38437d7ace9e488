/* frames.c - see frames.h. */
#include <string.h>

#include "tests/unit/support/frames.h"

const struct eth_addr frame_broadcast_mac = {{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}};

static size_t pad60(uint8_t *buf, size_t len, size_t cap)
{
    if (len < ETH_MIN_FRAME && cap >= ETH_MIN_FRAME) {
        memset(buf + len, 0, ETH_MIN_FRAME - len);
        return ETH_MIN_FRAME;
    }
    return len;
}

size_t frame_arp(uint8_t *buf, size_t cap, const struct eth_addr *eth_dst,
                 const struct eth_addr *eth_src, uint16_t op, const struct eth_addr *sha,
                 uint32_t spa, const struct eth_addr *tha, uint32_t tpa)
{
    if (cap < ETH_HLEN + ARP_LEN)
        return 0;
    eth_emit(buf, eth_dst, eth_src, ETHERTYPE_ARP);
    struct arp_view a = {.op = op, .sha = *sha, .spa = spa, .tha = *tha, .tpa = tpa};
    arp_emit(buf + ETH_HLEN, &a);
    return pad60(buf, ETH_HLEN + ARP_LEN, cap);
}

size_t frame_ipv4(uint8_t *buf, size_t cap, const struct eth_addr *eth_dst,
                  const struct eth_addr *eth_src, const struct ipv4_emit_args *ip,
                  const void *payload, size_t len)
{
    if (cap < ETH_HLEN + IPV4_HLEN + len || len > 65535 - IPV4_HLEN)
        return 0;
    struct ipv4_emit_args a = *ip;
    if (a.ttl == 0)
        a.ttl = 64;
    a.payload_len = (uint16_t)len;
    eth_emit(buf, eth_dst, eth_src, ETHERTYPE_IPV4);
    if (len > 0)
        memmove(buf + ETH_HLEN + IPV4_HLEN, payload, len);
    ipv4_emit(buf + ETH_HLEN, &a);
    return pad60(buf, ETH_HLEN + IPV4_HLEN + len, cap);
}

size_t frame_udp(uint8_t *buf, size_t cap, const struct eth_addr *eth_dst,
                 const struct eth_addr *eth_src, uint32_t src, uint32_t dst, uint16_t sport,
                 uint16_t dport, const void *payload, size_t len)
{
    size_t off = ETH_HLEN + IPV4_HLEN;
    if (cap < off + UDP_HLEN + len)
        return 0;
    if (len > 0)
        memmove(buf + off + UDP_HLEN, payload, len);
    struct ip_addr s = ip_addr_v4(src), d = ip_addr_v4(dst);
    udp_emit(buf + off, sport, dport, len, &s, &d);
    struct ipv4_emit_args ip = {
        .frag = IPV4_FLAG_DF, .ttl = 64, .proto = IPPROTO_UDP_, .src = src, .dst = dst};
    return frame_ipv4(buf, cap, eth_dst, eth_src, &ip, buf + off, UDP_HLEN + len);
}

size_t frame_icmp4(uint8_t *buf, size_t cap, const struct eth_addr *eth_dst,
                   const struct eth_addr *eth_src, uint32_t src, uint32_t dst, uint8_t type,
                   uint8_t code, uint32_t rest, const void *body, size_t len)
{
    size_t off = ETH_HLEN + IPV4_HLEN;
    if (cap < off + ICMP4_HLEN + len)
        return 0;
    if (len > 0)
        memmove(buf + off + ICMP4_HLEN, body, len);
    icmp4_emit(buf + off, type, code, rest, len);
    struct ipv4_emit_args ip = {
        .frag = IPV4_FLAG_DF, .ttl = 64, .proto = IPPROTO_ICMP_, .src = src, .dst = dst};
    return frame_ipv4(buf, cap, eth_dst, eth_src, &ip, buf + off, ICMP4_HLEN + len);
}

int frame_parse(const uint8_t *frame, size_t len, struct parsed_frame *out)
{
    memset(out, 0, sizeof *out);
    if (eth_parse(frame, len, &out->eth) != WIRE_OK)
        return -1;
    if (out->eth.ethertype == ETHERTYPE_ARP) {
        out->is_arp = arp_parse(out->eth.payload, out->eth.payload_len, &out->arp) == WIRE_OK;
        return 0;
    }
    if (out->eth.ethertype != ETHERTYPE_IPV4)
        return 0;
    if (ipv4_parse(out->eth.payload, out->eth.payload_len, &out->ip) != WIRE_OK)
        return 0;
    out->is_ipv4 = true;
    if (out->ip.proto == IPPROTO_ICMP_) {
        out->is_icmp = icmp4_parse(out->ip.payload, out->ip.payload_len, &out->icmp) == WIRE_OK;
    } else if (out->ip.proto == IPPROTO_UDP_) {
        struct ip_addr s = ip_addr_v4(out->ip.src), d = ip_addr_v4(out->ip.dst);
        out->is_udp =
            udp_parse(out->ip.payload, out->ip.payload_len, &s, &d, &out->udp) == WIRE_OK;
    }
    return 0;
}
