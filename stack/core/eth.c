/* eth.c - Ethernet II input validation and output. */
#include <errno.h>
#include <string.h>

#include "stack/core/stack_impl.h"
#include "stack/wire/eth.h"

void eth_input(struct stack *s, struct netif *nif, const uint8_t *frame, size_t len,
               uint64_t now)
{
    struct eth_view eth;

    ctr_inc(s, CTR_ETH_RX_FRAMES);
    ctr_add(s, CTR_ETH_RX_BYTES, len);
    nif->rx_packets++;
    nif->rx_bytes += len;
    if (eth_parse(frame, len, &eth) != WIRE_OK) {
        ctr_inc(s, CTR_ETH_RX_DROP_SHORT);
        return;
    }
    bool link_multicast = eth_addr_is_multicast(&eth.dst); /* broadcast included */
    if (!link_multicast && !eth_addr_eq(&eth.dst, &nif->mac)) {
        ctr_inc(s, CTR_ETH_RX_DROP_NOT_FOR_US);
        return;
    }
    /* IEEE 802.3: the group bit is never set in a source address. */
    if (eth_addr_is_multicast(&eth.src)) {
        ctr_inc(s, CTR_ETH_RX_DROP_BAD_SRC);
        return;
    }
    switch (eth.ethertype) {
    case ETHERTYPE_ARP:
        arp_input(s, nif, eth.payload, eth.payload_len, now);
        break;
    case ETHERTYPE_IPV4:
        ipv4_input(s, nif, eth.payload, eth.payload_len, link_multicast, now);
        break;
    case ETHERTYPE_IPV6:
        /* Frames to our MAC or to a 33:33 group (RFC 2464 7); ipv6_input
         * keeps the groups the interface joined. */
        ipv6_input(s, nif, eth.payload, eth.payload_len, link_multicast, now);
        break;
    case ETHERTYPE_VLAN:
    case ETHERTYPE_QINQ:
        ctr_inc(s, CTR_ETH_RX_DROP_VLAN);
        break;
    default:
        /* Includes 802.3 length fields (< 0x0600). */
        ctr_inc(s, CTR_ETH_RX_DROP_UNKNOWN_TYPE);
        break;
    }
}

int eth_output(struct stack *s, struct netif *nif, struct pbuf *p,
               const struct eth_addr *dst, uint16_t ethertype)
{
    uint8_t *hdr = pbuf_prepend(p, ETH_HLEN);
    if (hdr == NULL) {
        ctr_inc(s, CTR_ETH_TX_DROP_ERROR); /* a caller left no headroom: a bug */
        return -ENOBUFS;
    }
    eth_emit(hdr, dst, &nif->mac, ethertype);
    if (p->len < ETH_MIN_FRAME) {
        /* IEEE 802.3 minimum frame: pad with zeros (the FCS is the NIC's). */
        size_t pad = ETH_MIN_FRAME - p->len;
        uint8_t *tail = pbuf_append(p, pad);
        if (tail == NULL) {
            ctr_inc(s, CTR_ETH_TX_DROP_ERROR);
            return -ENOBUFS;
        }
        memset(tail, 0, pad);
    }
    int err;
    if ((p->csum_partial || p->gso_size > 0) && nif->ops.send_offload != NULL) {
        struct netif_tx_offload o = {
            .csum_partial = p->csum_partial,
            .csum_start = (uint16_t)(p->l4_abs - p->off),
            .csum_offset = p->csum_offset,
            .hdr_len = (uint16_t)(p->l4_abs - p->off + p->l4_hlen),
            .gso_size = p->gso_size,
            .gso_type = p->gso_type,
        };
        err = nif->ops.send_offload(nif->ctx, pbuf_data(p), p->len, &o);
    } else {
        err = nif->ops.send(nif->ctx, pbuf_data(p), p->len);
    }
    if (err != 0) {
        ctr_inc(s, CTR_ETH_TX_DROP_ERROR);
        nif->tx_dropped++;
        return err < 0 ? err : -EIO;
    }
    ctr_inc(s, CTR_ETH_TX_FRAMES);
    ctr_add(s, CTR_ETH_TX_BYTES, p->len);
    nif->tx_packets++;
    nif->tx_bytes += p->len;
    return 0;
}
