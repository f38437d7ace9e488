/* pending.c - the bounded queue of packets waiting for address resolution,
 * shared by ARP and neighbour discovery (see pending.h). */
#include <stdlib.h>
#include <string.h>

#include "stack/core/pending.h"
#include "stack/core/stack_impl.h"

/* Unlink and free q's oldest packet. */
static void drop_head(struct pending_queue *q, uint32_t *total)
{
    struct pending_pkt *old = q->head;
    q->head = old->next;
    if (q->head == NULL)
        q->tail = NULL;
    q->n--;
    q->bytes -= (uint32_t)old->len;
    (*total)--;
    free(old);
}

int pending_queue_push(struct pending_queue *q, uint32_t *total, uint32_t total_max,
                       uint32_t entry_max, const struct pbuf *p, uint32_t *evicted)
{
    *evicted = 0;
    if (entry_max == 0 || p->len > PENDING_ENTRY_BYTES_MAX)
        return -1;
    /* Room in the entry is made from its own oldest packets; the total
     * is only refused when this entry has nothing of its own to give. */
    bool entry_full = q->n >= entry_max || q->bytes + p->len > PENDING_ENTRY_BYTES_MAX;
    if (!entry_full && *total >= total_max)
        return -1;
    struct pending_pkt *pp = malloc(sizeof *pp + p->len);
    if (pp == NULL)
        return -1;
    while (q->head != NULL &&
           (q->n >= entry_max || q->bytes + p->len > PENDING_ENTRY_BYTES_MAX)) {
        drop_head(q, total);
        (*evicted)++;
    }
    pp->next = NULL;
    pp->len = p->len;
    pp->csum_partial = p->csum_partial;
    pp->l4_rel = (uint16_t)(p->csum_partial || p->gso_size > 0 ? p->l4_abs - p->off : 0);
    pp->csum_offset = p->csum_offset;
    pp->l4_hlen = p->l4_hlen;
    pp->gso_size = p->gso_size;
    pp->gso_type = p->gso_type;
    memcpy(pp->pkt, pbuf_data(p), p->len);
    if (q->tail != NULL)
        q->tail->next = pp;
    else
        q->head = pp;
    q->tail = pp;
    q->n++;
    q->bytes += (uint32_t)p->len;
    (*total)++;
    return 0;
}

void pending_queue_flush(struct stack *s, struct netif *nif, struct pending_queue *q,
                         uint32_t *total, const struct eth_addr *mac, uint16_t ethertype,
                         enum stack_counter drop_ctr)
{
    struct pending_pkt *p = q->head;
    q->head = q->tail = NULL;
    q->n = q->bytes = 0;
    while (p != NULL) {
        struct pending_pkt *next = p->next;
        /* Sized for this packet: a TSO segment is bigger than any frame. */
        size_t cap = PBUF_HEADROOM + p->len + 64;
        uint8_t *buf = malloc(cap);
        if (buf != NULL) {
            struct pbuf pb;
            pbuf_init(&pb, buf, cap, PBUF_HEADROOM);
            if (pbuf_append_copy(&pb, p->pkt, p->len) == 0) {
                pb.csum_partial = p->csum_partial;
                pb.l4_abs = pb.off + p->l4_rel;
                pb.csum_offset = p->csum_offset;
                pb.l4_hlen = p->l4_hlen;
                pb.gso_size = p->gso_size;
                pb.gso_type = p->gso_type;
                (void)eth_output(s, nif, &pb, mac, ethertype);
            }
            free(buf);
        } else {
            ctr_inc(s, drop_ctr);
        }
        (*total)--;
        free(p);
        p = next;
    }
}

uint32_t pending_queue_free(struct pending_queue *q, uint32_t *total)
{
    uint32_t n = 0;
    struct pending_pkt *p = q->head;
    while (p != NULL) {
        struct pending_pkt *next = p->next;
        free(p);
        p = next;
        n++;
    }
    q->head = q->tail = NULL;
    q->n = q->bytes = 0;
    *total -= n;
    return n;
}

struct pending_pkt *pending_queue_take(struct pending_queue *q, uint32_t *total)
{
    struct pending_pkt *list = q->head;
    *total -= q->n;
    q->head = q->tail = NULL;
    q->n = q->bytes = 0;
    return list;
}

void pending_list_fail(struct stack *s, struct pending_pkt *list, enum stack_counter drop_ctr,
                       void (*unreachable)(struct stack *s, const uint8_t *pkt, size_t len))
{
    while (list != NULL) {
        struct pending_pkt *next = list->next;
        ctr_inc(s, drop_ctr);
        unreachable(s, list->pkt, list->len);
        free(list);
        list = next;
    }
}
