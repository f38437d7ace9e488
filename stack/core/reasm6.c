/* reasm6.c - reassembly of IPv6 fragments (RFC 8200 4.5), with overlapping
 * fragments dropping the whole datagram (RFC 5722), atomic fragments kept
 * apart (RFC 6946), a 60 s timeout and a memory cap for all datagrams. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "stack/core/ipv6_impl.h"
#include "stack/wire/icmp6.h"

struct frag6 {
    struct frag6 *next;          /* sorted by offset */
    size_t off;                  /* in bytes */
    size_t len;
    uint8_t data[];
};

struct reasm6_dgram {
    bool in_use;
    /* RFC 5722 3: after an overlap, the fragments still to come are
     * discarded too: the key is kept, without data, until it expires. */
    bool dead;
    int ifindex;
    uint8_t src[16], dst[16];
    uint32_t id;
    uint64_t expires;
    struct frag6 *frags;
    bool have_last;
    size_t total;                /* fragmentable part's length, once known */
    /* The offset-0 fragment as it came (whole packet): its unfragmentable
     * part heads the result, and it is what a Time Exceeded quotes. */
    uint8_t *first;
    size_t first_len;
    size_t first_frag_hdr_off;   /* where its fragment header starts */
    size_t first_nh_ptr;         /* the Next Header field naming it */
    size_t mem;                  /* bytes this datagram holds */
};

struct reasm6 {
    struct reasm6_dgram d[REASM6_MAX_DATAGRAMS];
    size_t mem;                  /* bytes held, all datagrams */
};

int reasm6_init(struct stack *s)
{
    s->reasm6 = calloc(1, sizeof *s->reasm6);
    return s->reasm6 == NULL ? -ENOMEM : 0;
}

static void dgram_release(struct reasm6 *r, struct reasm6_dgram *d)
{
    struct frag6 *f = d->frags;
    for (size_t guard = 0; f != NULL && guard < 65536; guard++) {
        struct frag6 *next = f->next;
        free(f);
        f = next;
    }
    free(d->first);
    r->mem -= d->mem;
    d->frags = NULL;
    d->first = NULL;
    d->first_len = 0;
    d->mem = 0;
}

static void dgram_clear(struct reasm6 *r, struct reasm6_dgram *d)
{
    dgram_release(r, d);
    memset(d, 0, sizeof *d);
}

void reasm6_free(struct stack *s)
{
    if (s->reasm6 == NULL)
        return;
    for (size_t i = 0; i < REASM6_MAX_DATAGRAMS; i++)
        dgram_clear(s->reasm6, &s->reasm6->d[i]);
    free(s->reasm6);
    s->reasm6 = NULL;
}

/* RFC 8200 4.5: a datagram is known by source, destination and
 * Identification. A free slot for a new one, or NULL. */
static struct reasm6_dgram *dgram_find(struct reasm6 *r, const struct ipv6_view *ip,
                                       uint32_t id, struct reasm6_dgram **free_slot)
{
    *free_slot = NULL;
    for (size_t i = 0; i < REASM6_MAX_DATAGRAMS; i++) {
        struct reasm6_dgram *d = &r->d[i];
        if (!d->in_use) {
            if (*free_slot == NULL)
                *free_slot = d;
            continue;
        }
        if (d->id == id && memcmp(d->src, ip->src, 16) == 0 && memcmp(d->dst, ip->dst, 16) == 0)
            return d;
    }
    return NULL;
}

/* Drop the data of d but remember its key until it expires. */
static void dgram_kill(struct reasm6 *r, struct reasm6_dgram *d)
{
    dgram_release(r, d);
    d->dead = true;
}

/* Every byte from 0 to total present, and the first fragment here. */
static bool dgram_complete(const struct reasm6_dgram *d)
{
    if (!d->have_last || d->first == NULL)
        return false;
    size_t covered = 0;
    for (const struct frag6 *f = d->frags; f != NULL; f = f->next) {
        if (f->off != covered)
            return false;
        covered += f->len;
    }
    return covered == d->total;
}

/* The reassembled packet (RFC 8200 4.5): the first fragment's
 * unfragmentable part with the Next Header that named the fragment header
 * changed to the fragment header's own, and the payload length fixed. */
static uint8_t *dgram_build(const struct reasm6_dgram *d, size_t *out_len)
{
    size_t unfrag = d->first_frag_hdr_off;
    size_t len = unfrag + d->total;
    if (len - IPV6_HLEN > 65535)
        return NULL;
    uint8_t *pkt = malloc(len);
    if (pkt == NULL)
        return NULL;
    memcpy(pkt, d->first, unfrag);
    pkt[d->first_nh_ptr] = d->first[d->first_frag_hdr_off];
    wr16(pkt + 4, (uint16_t)(len - IPV6_HLEN));
    for (const struct frag6 *f = d->frags; f != NULL; f = f->next)
        memcpy(pkt + unfrag + f->off, f->data, f->len);
    *out_len = len;
    return pkt;
}

uint8_t *reasm6_unfragment(const uint8_t *pkt, size_t len, const struct ipv6_chain *c,
                           size_t *out_len)
{
    size_t fh = c->frag_hdr_off;
    if (fh + IPV6_FRAG_HLEN > len || c->frag_nh_ptr >= fh)
        return NULL;
    uint8_t *out = malloc(len - IPV6_FRAG_HLEN);
    if (out == NULL)
        return NULL;
    memcpy(out, pkt, fh);
    memcpy(out + fh, pkt + fh + IPV6_FRAG_HLEN, len - fh - IPV6_FRAG_HLEN);
    out[c->frag_nh_ptr] = pkt[fh];
    wr16(out + 4, (uint16_t)(len - IPV6_FRAG_HLEN - IPV6_HLEN));
    *out_len = len - IPV6_FRAG_HLEN;
    return out;
}

uint8_t *reasm6_input(struct stack *s, struct netif *nif, const uint8_t *pkt, size_t len,
                      const struct ipv6_view *ip, const struct ipv6_chain *c, uint64_t now,
                      size_t *out_len)
{
    struct reasm6 *r = s->reasm6;
    ctr_inc(s, CTR_IPV6_REASM_FRAGS);
    if (r == NULL) {
        ctr_inc(s, CTR_IPV6_REASM_DROP_MEMORY);
        return NULL;
    }
    size_t off = (size_t)c->frag_offset * 8;
    size_t n = c->upper_len;
    size_t end = off + n;
    if (n == 0) {
        ctr_inc(s, CTR_IPV6_REASM_DROP_BAD); /* a fragment with no data */
        return NULL;
    }

    struct reasm6_dgram *free_slot;
    struct reasm6_dgram *d = dgram_find(r, ip, c->frag_id, &free_slot);
    if (d == NULL) {
        if (free_slot == NULL) {
            ctr_inc(s, CTR_IPV6_REASM_DROP_MEMORY);
            return NULL;
        }
        d = free_slot;
        memset(d, 0, sizeof *d);
        d->in_use = true;
        d->ifindex = nif->index;
        memcpy(d->src, ip->src, 16);
        memcpy(d->dst, ip->dst, 16);
        d->id = c->frag_id;
        /* RFC 8200 4.5: 60 s from the first fragment that arrived. */
        d->expires = now + REASM6_TIMEOUT_NS;
    }
    if (d->dead) {
        ctr_inc(s, CTR_IPV6_REASM_DROP_OVERLAP);
        return NULL;
    }

    /* RFC 8200 4.5: the last fragment fixes the length; nothing may end
     * past it, and a second last fragment must agree. */
    if (!c->frag_more) {
        bool bad = d->have_last && end != d->total;
        for (const struct frag6 *f = d->frags; !bad && f != NULL; f = f->next)
            bad = f->off + f->len > end;
        if (bad) {
            ctr_inc(s, CTR_IPV6_REASM_DROP_BAD);
            dgram_kill(r, d);
            return NULL;
        }
    } else if (d->have_last && end > d->total) {
        ctr_inc(s, CTR_IPV6_REASM_DROP_BAD);
        dgram_kill(r, d);
        return NULL;
    }

    /* RFC 5722 3: any overlap discards the whole datagram. An exact
     * duplicate (a link that duplicated a frame) is not an overlap of
     * different data at the same place: drop just it, as Linux does. */
    struct frag6 **link = &d->frags;
    for (struct frag6 *f = d->frags; f != NULL; f = f->next) {
        if (f->off == off && f->len == n && memcmp(f->data, c->upper, n) == 0 &&
            (c->frag_more || !d->have_last || d->total == end)) {
            ctr_inc(s, CTR_IPV6_REASM_DROP_DUP);
            return NULL;
        }
        if (off < f->off + f->len && f->off < end) {
            ctr_inc(s, CTR_IPV6_REASM_DROP_OVERLAP);
            dgram_kill(r, d);
            return NULL;
        }
        if (f->off < off)
            link = &f->next;
    }

    size_t cost = sizeof(struct frag6) + n + (off == 0 ? len : 0);
    if (r->mem + cost > REASM6_MEM_MAX) {
        ctr_inc(s, CTR_IPV6_REASM_DROP_MEMORY);
        if (d->frags == NULL)
            dgram_clear(r, d);
        return NULL;
    }
    struct frag6 *nf = malloc(sizeof *nf + n);
    uint8_t *first = off == 0 ? malloc(len) : NULL;
    if (nf == NULL || (off == 0 && first == NULL)) {
        free(nf);
        free(first);
        ctr_inc(s, CTR_IPV6_REASM_DROP_MEMORY);
        if (d->frags == NULL)
            dgram_clear(r, d);
        return NULL;
    }
    nf->off = off;
    nf->len = n;
    memcpy(nf->data, c->upper, n);
    nf->next = *link;
    *link = nf;
    if (first != NULL) {
        memcpy(first, pkt, len);
        d->first = first;
        d->first_len = len;
        d->first_frag_hdr_off = c->frag_hdr_off;
        d->first_nh_ptr = c->frag_nh_ptr;
    }
    if (!c->frag_more) {
        d->have_last = true;
        d->total = end;
    }
    d->mem += cost;
    r->mem += cost;

    if (!dgram_complete(d))
        return NULL;
    uint8_t *whole = dgram_build(d, out_len);
    if (whole == NULL)
        ctr_inc(s, CTR_IPV6_REASM_DROP_BAD);
    else
        ctr_inc(s, CTR_IPV6_REASM_OK);
    dgram_clear(r, d);
    return whole;
}

void reasm6_poll(struct stack *s, uint64_t now)
{
    struct reasm6 *r = s->reasm6;
    if (r == NULL)
        return;
    for (size_t i = 0; i < REASM6_MAX_DATAGRAMS; i++) {
        struct reasm6_dgram *d = &r->d[i];
        if (!d->in_use || now < d->expires)
            continue;
        if (!d->dead) {
            ctr_inc(s, CTR_IPV6_REASM_DROP_TIMEOUT);
            /* RFC 8200 4.5: Time Exceeded code 1 to the source, only if
             * the first fragment arrived; it is what we quote. */
            struct netif *nif = netif_get(s, d->ifindex);
            if (d->first != NULL && nif != NULL)
                icmp6_send_error(s, nif, d->first, d->first_len, ICMP6_TIME_EXCEEDED,
                                 ICMP6_REASSEMBLY_TIME, 0, false, now);
        }
        dgram_clear(r, d);
    }
}

uint64_t reasm6_next_deadline(const struct stack *s)
{
    uint64_t d = STACK_NO_DEADLINE;
    if (s->reasm6 == NULL)
        return d;
    for (size_t i = 0; i < REASM6_MAX_DATAGRAMS; i++) {
        const struct reasm6_dgram *g = &s->reasm6->d[i];
        if (g->in_use && g->expires < d)
            d = g->expires;
    }
    return d;
}
