/* pending.h - packets waiting for their next hop's link-layer address.
 *
 * ARP (core/arp.c) and neighbour discovery (core/nd.c) both keep, per
 * INCOMPLETE cache entry, a FIFO of copies of the IP packets sent to that
 * next hop (RFC 1122 2.3.2.2, RFC 4861 7.2.2). As Linux's unres_qlen and
 * unres_qlen_bytes, each entry holds at most a number of packets and of
 * bytes, and a new packet pushes the entry's oldest out (the newest says
 * most about what the sender wants now); a total over the whole cache
 * bounds the memory when many entries resolve at once. A burst of new
 * peers therefore keeps one SYN-ACK each instead of the first few taking
 * the whole queue. This is that queue, once: each caller keeps its own
 * queued-packet total, its own limits and its own counters, and says what
 * to do with a packet that can no longer be sent.
 */
#ifndef TCPIP_CORE_PENDING_H
#define TCPIP_CORE_PENDING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "stack/core/pbuf.h"
#include "stack/counters.h"

struct stack;
struct netif;
struct eth_addr;

/* A packet waiting for its next hop's MAC: the IP packet, header first. */
struct pending_pkt {
    struct pending_pkt *next;
    size_t len;
    /* The pbuf's offload work, with l4 relative to pkt. */
    bool csum_partial;
    uint16_t l4_rel, csum_offset, l4_hlen, gso_size;
    uint8_t gso_type;
    uint8_t pkt[];
};

/* Linux's unres_qlen_bytes default (SK_WMEM_MAX): IP bytes one entry
 * may hold, whatever its packet limit says. */
#define PENDING_ENTRY_BYTES_MAX 212992u

/* One cache entry's packets, oldest first. */
struct pending_queue {
    struct pending_pkt *head, *tail;
    uint32_t n;                  /* packets queued */
    uint32_t bytes;              /* their IP bytes */
};

/* Queue a copy of p (its data and offload fields) at the tail of q. If q
 * already holds entry_max packets or PENDING_ENTRY_BYTES_MAX bytes, its
 * oldest packets are freed first and counted in *evicted (the caller
 * counts them as drops). Returns 0 and counts it in *total, or -1 when
 * the total (*total at total_max), entry_max 0, the packet's size or
 * memory says no (the caller counts the drop; nothing was evicted). */
int pending_queue_push(struct pending_queue *q, uint32_t *total, uint32_t total_max,
                       uint32_t entry_max, const struct pbuf *p, uint32_t *evicted);

/* Resolved: send q's packets to mac, in the order they came, and empty q.
 * A packet that cannot get a buffer is counted in drop_ctr. */
void pending_queue_flush(struct stack *s, struct netif *nif, struct pending_queue *q,
                         uint32_t *total, const struct eth_addr *mac, uint16_t ethertype,
                         enum stack_counter drop_ctr);

/* Free q's packets unsent; returns how many there were. */
uint32_t pending_queue_free(struct pending_queue *q, uint32_t *total);

/* Take q's packets out of it (and out of *total) without freeing them: the
 * caller may clear the entry first, then hand the list to
 * pending_list_fail(). */
struct pending_pkt *pending_queue_take(struct pending_queue *q, uint32_t *total);

/* Resolution failed: count each packet of list in drop_ctr, tell its sender
 * through unreachable(s, pkt, len) and free it. */
void pending_list_fail(struct stack *s, struct pending_pkt *list, enum stack_counter drop_ctr,
                       void (*unreachable)(struct stack *s, const uint8_t *pkt, size_t len));

#endif
