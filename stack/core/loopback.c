/* loopback.c - `lo`, as Linux has it: 127.0.0.1/8 and ::1/128, and the
 * interface through which the stack reaches its own addresses (RFC 1122
 * 3.2.1.3 (g), RFC 4291 2.5.3). No link layer: ipv4.c and ipv6.c hand it
 * whole IP packets; it never ARPs, never runs ND or DAD.
 *
 * A packet sent to lo is copied into a bounded FIFO and taken in by the
 * next stack_poll, as Linux's loopback_xmit queues to the backlog that a
 * softirq drains: the sender's call (a TCP output in the middle of its
 * bookkeeping) never re-enters the stack. stack_next_deadline says "now"
 * while the queue holds anything. Each poll delivers only what was queued
 * before it started, so two local programs answering each other (an echo
 * to an echo) take one poll per exchange and never spin. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "stack/core/stack_impl.h"

void loopback_init(struct stack *s)
{
    struct netif *lo = &s->lo;
    memset(lo, 0, sizeof *lo);
    lo->up = true;
    lo->loopback = true;
    lo->index = STACK_LOOPBACK_IFINDEX;
    memcpy(lo->name, "lo", 3);
    lo->mtu = STACK_LOOPBACK_MTU;
    lo->addr4[0].addr = 0x7f000001u; /* 127.0.0.1/8 */
    lo->addr4[0].prefix_len = 8;
    lo->addr4[0].mask = ip4_mask(8);
    lo->ipv6 = true;
    lo->cur_hop_limit = 64;
    /* ::1/128, usable at once: no DAD on lo (RFC 4862 5.4 is for links). */
    lo->addr6[0].state = ADDR6_PREFERRED;
    lo->addr6[0].addr[15] = 1;
    lo->addr6[0].prefix_len = 128;
    memset(&s->lo_queue, 0, sizeof s->lo_queue);
}

void loopback_free(struct stack *s)
{
    struct lo_packet *p = s->lo_queue.head;
    while (p != NULL) {
        struct lo_packet *next = p->next;
        free(p);
        p = next;
    }
    memset(&s->lo_queue, 0, sizeof s->lo_queue);
}

int loopback_output(struct stack *s, struct pbuf *p, uint8_t family, uint64_t now)
{
    struct lo_queue *q = &s->lo_queue;
    struct netif *lo = &s->lo;
    /* Bounded like every queue of the stack: a sender that outruns the
     * polls loses packets, counted, as on Linux's full backlog. */
    if (q->n >= STACK_LOOPBACK_QUEUE_MAX || q->bytes + p->len > STACK_LOOPBACK_QUEUE_BYTES) {
        lo->tx_dropped++;
        ctr_inc(s, CTR_LO_DROP_QUEUE_FULL);
        return -ENOBUFS;
    }
    struct lo_packet *pk = malloc(sizeof *pk + p->len);
    if (pk == NULL) {
        lo->tx_dropped++;
        ctr_inc(s, CTR_LO_DROP_QUEUE_FULL);
        return -ENOBUFS;
    }
    pk->next = NULL;
    pk->queued = now;
    pk->len = p->len;
    pk->family = family;
    memcpy(pk->data, pbuf_data(p), p->len);
    if (q->tail != NULL)
        q->tail->next = pk;
    else
        q->head = pk;
    q->tail = pk;
    q->n++;
    q->bytes += p->len;
    lo->tx_packets++;
    lo->tx_bytes += p->len;
    ctr_inc(s, CTR_LO_TX_PACKETS);
    return 0;
}

void loopback_poll(struct stack *s, uint64_t now)
{
    struct lo_queue *q = &s->lo_queue;
    /* Only what is queued now: what these deliveries send waits for the
     * next poll. */
    uint32_t budget = q->n;
    while (budget-- > 0 && q->head != NULL) {
        struct lo_packet *pk = q->head;
        q->head = pk->next;
        if (q->head == NULL)
            q->tail = NULL;
        q->n--;
        q->bytes -= pk->len;
        s->lo.rx_packets++;
        s->lo.rx_bytes += pk->len;
        ctr_inc(s, CTR_LO_RX_PACKETS);
        if (pk->family == IP_FAMILY_V6)
            ipv6_input(s, &s->lo, pk->data, pk->len, false, now);
        else
            ipv4_input(s, &s->lo, pk->data, pk->len, false, now);
        free(pk);
    }
}

uint64_t loopback_next_deadline(const struct stack *s)
{
    return s->lo_queue.head != NULL ? s->lo_queue.head->queued : STACK_NO_DEADLINE;
}
