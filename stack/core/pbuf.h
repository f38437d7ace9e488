/* pbuf.h - a packet buffer with headroom.
 *
 * The output path builds a frame in ONE buffer: the payload goes in first,
 * at an offset that leaves room in front, and each layer then prepends its
 * header in place (transport, IP, Ethernet). No copy per layer and no
 * malloc per packet: callers put the buffer on the C stack
 * (PBUF_FRAME_SIZE bytes). The headroom also keeps 12 bytes for a future
 * virtio-net header (IFF_VNET_HDR offloads) in front of the Ethernet header.
 */
#ifndef TCPIP_CORE_PBUF_H
#define TCPIP_CORE_PBUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define PBUF_VNET_HLEN 12    /* struct virtio_net_hdr_mrg_rxbuf */
#define PBUF_MAX_L2_HLEN 14  /* Ethernet II, no VLAN tag */
#define PBUF_MAX_L3_HLEN 60  /* IPv4 with options; IPv6 is 40 + ext headers */
#define PBUF_MAX_L4_HLEN 60  /* TCP with options */
#define PBUF_HEADROOM (PBUF_VNET_HLEN + PBUF_MAX_L2_HLEN + PBUF_MAX_L3_HLEN + PBUF_MAX_L4_HLEN)
#define PBUF_MAX_MTU 9000
/* Headroom + the largest IP packet + room to pad a short frame to 60. */
#define PBUF_FRAME_SIZE (PBUF_HEADROOM + PBUF_MAX_MTU + 64)

struct pbuf {
    uint8_t *buf;
    size_t cap;
    size_t off;              /* first byte of data */
    size_t len;              /* bytes of data */
    /* Offload work for the device (NETIF_OFFLOAD_*), set by the transport:
     * l4_abs is the L4 header's index in buf, so it survives the headers
     * prepended in front of it. */
    bool csum_partial;
    size_t l4_abs;
    uint16_t csum_offset;
    uint16_t l4_hlen;
    uint16_t gso_size;
    uint8_t gso_type;
    /* The IPv4 TOS / IPv6 Traffic Class byte of the packet (the socket's
     * IP_TOS or IPV6_TCLASS, RFC 1122 4.2.4.2, RFC 3542 6.5); 0 default. */
    uint8_t tos;
};

static inline void pbuf_init(struct pbuf *p, uint8_t *buf, size_t cap, size_t headroom)
{
    p->buf = buf;
    p->cap = cap;
    p->off = headroom <= cap ? headroom : cap;
    p->len = 0;
    p->csum_partial = false;
    p->l4_abs = 0;
    p->csum_offset = 0;
    p->l4_hlen = 0;
    p->gso_size = 0;
    p->gso_type = 0;
    p->tos = 0;
}

static inline uint8_t *pbuf_data(const struct pbuf *p)
{
    return p->buf + p->off;
}

/* Grow the data n bytes to the front; NULL if the headroom is too small. */
static inline uint8_t *pbuf_prepend(struct pbuf *p, size_t n)
{
    if (n > p->off)
        return NULL;
    p->off -= n;
    p->len += n;
    return p->buf + p->off;
}

/* Grow the data n bytes at the end; returns the first new byte, or NULL. */
static inline uint8_t *pbuf_append(struct pbuf *p, size_t n)
{
    if (n > p->cap - p->off - p->len)
        return NULL;
    uint8_t *tail = p->buf + p->off + p->len;
    p->len += n;
    return tail;
}

/* Append a copy of n bytes; -1 if they do not fit. */
static inline int pbuf_append_copy(struct pbuf *p, const void *src, size_t n)
{
    uint8_t *dst = pbuf_append(p, n);
    if (dst == NULL)
        return -1;
    if (n > 0)
        memcpy(dst, src, n);
    return 0;
}

/* A pbuf holding len bytes of a packet that may be larger than a frame
 * (UDP and echo replies, fragmented on the way out): in small (a
 * PBUF_FRAME_SIZE buffer on the caller's stack) when it fits, else in a
 * malloc'd one. Returns the len bytes to fill, or NULL (no memory);
 * pbuf_large_free releases what was taken. */
static inline uint8_t *pbuf_large_init(struct pbuf *p, uint8_t *small, size_t len)
{
    size_t cap = PBUF_HEADROOM + len + 64;
    uint8_t *buf = cap <= PBUF_FRAME_SIZE ? small : malloc(cap);
    if (buf == NULL)
        return NULL;
    pbuf_init(p, buf, cap, PBUF_HEADROOM);
    return pbuf_append(p, len); /* fits: cap was made for it */
}

static inline void pbuf_large_free(struct pbuf *p, const uint8_t *small)
{
    if (p->buf != small)
        free(p->buf);
}

#endif
