/* reasm.c - fragment reassembly for both families (see reasm.h): the
 * fragments of a datagram in a list sorted by offset, RFC 5722 overlap
 * handling, a timeout from the first fragment, and a cap on datagrams and
 * bytes. Nothing here knows a header layout. */
#include "stack/core/reasm.h"

#include <stdlib.h>
#include <string.h>

struct reasm_piece {
    struct reasm_piece *next;    /* sorted by offset */
    size_t off;                  /* in bytes */
    size_t len;
    uint8_t data[];
};

struct reasm_dgram {
    bool in_use;
    /* RFC 5722 3: after an overlap, the fragments still to come are
     * discarded too: the key is kept, without data, until it expires. */
    bool dead;
    int ifindex;
    uint8_t key[REASM_KEY_MAX];
    size_t key_len;
    uint64_t expires;
    struct reasm_piece *pieces;
    bool have_last;
    size_t total;                /* fragmentable part's length, once known */
    /* The offset-0 fragment as it came (whole packet): its header heads
     * the result, and it is what a Time Exceeded quotes. */
    uint8_t *first;
    size_t first_len;
    size_t first_hdr_len;
    size_t first_aux;
    size_t mem;                  /* bytes this datagram holds */
};

struct reasm {
    const struct reasm_policy *pol;
    size_t mem;                  /* bytes held, all datagrams */
    struct reasm_dgram d[];      /* pol->max_dgrams */
};

static void bump(struct stack *s, enum stack_counter c)
{
    if (c < CTR_MAX)
        ctr_inc(s, c);
}

/* A failure: its own counter and the family's total. */
static void fail(struct stack *s, const struct reasm *r, enum stack_counter c)
{
    bump(s, c);
    bump(s, r->pol->c_fail);
}

struct reasm *reasm_new(const struct reasm_policy *pol)
{
    struct reasm *r = calloc(1, sizeof *r + pol->max_dgrams * sizeof r->d[0]);
    if (r != NULL)
        r->pol = pol;
    return r;
}

static void dgram_release(struct reasm *r, struct reasm_dgram *d)
{
    struct reasm_piece *p = d->pieces;
    for (size_t guard = 0; p != NULL && guard < 65536; guard++) {
        struct reasm_piece *next = p->next;
        free(p);
        p = next;
    }
    free(d->first);
    r->mem -= d->mem;
    d->pieces = NULL;
    d->first = NULL;
    d->first_len = 0;
    d->mem = 0;
}

static void dgram_clear(struct reasm *r, struct reasm_dgram *d)
{
    dgram_release(r, d);
    memset(d, 0, sizeof *d);
}

/* Drop the data of d but remember its key until it expires. */
static void dgram_kill(struct reasm *r, struct reasm_dgram *d)
{
    dgram_release(r, d);
    d->dead = true;
}

void reasm_free(struct reasm *r)
{
    if (r == NULL)
        return;
    for (size_t i = 0; i < r->pol->max_dgrams; i++)
        dgram_clear(r, &r->d[i]);
    free(r);
}

/* The datagram of f's key, or NULL and a free slot (or NULL) for it. */
static struct reasm_dgram *dgram_find(struct reasm *r, const struct reasm_frag *f,
                                      struct reasm_dgram **free_slot)
{
    *free_slot = NULL;
    for (size_t i = 0; i < r->pol->max_dgrams; i++) {
        struct reasm_dgram *d = &r->d[i];
        if (!d->in_use) {
            if (*free_slot == NULL)
                *free_slot = d;
            continue;
        }
        if (d->key_len == f->key_len && memcmp(d->key, f->key, f->key_len) == 0)
            return d;
    }
    return NULL;
}

/* Make room by evicting the oldest datagram other than keep (Linux's
 * inet_frag eviction, simplified). false if there is none. */
static bool evict_oldest(struct stack *s, struct reasm *r, const struct reasm_dgram *keep)
{
    struct reasm_dgram *victim = NULL;
    for (size_t i = 0; i < r->pol->max_dgrams; i++) {
        struct reasm_dgram *d = &r->d[i];
        if (d->in_use && d != keep && (victim == NULL || d->expires < victim->expires))
            victim = d;
    }
    if (victim == NULL)
        return false;
    fail(s, r, r->pol->c_evicted);
    dgram_clear(r, victim);
    return true;
}

/* Every byte from 0 to total present, and the first fragment here. */
static bool dgram_complete(const struct reasm_dgram *d)
{
    if (!d->have_last || d->first == NULL)
        return false;
    size_t covered = 0;
    for (const struct reasm_piece *p = d->pieces; p != NULL; p = p->next) {
        if (p->off != covered)
            return false;
        covered += p->len;
    }
    return covered == d->total;
}

/* The first fragment's header, then the data; the adapter fixes the
 * header. NULL if too large or no memory. */
static uint8_t *dgram_build(const struct reasm *r, const struct reasm_dgram *d,
                            size_t *out_len)
{
    size_t hdr = d->first_hdr_len;
    size_t len = hdr + d->total;
    if (len > r->pol->max_pkt || hdr >= d->first_len)
        return NULL;
    uint8_t *pkt = malloc(len);
    if (pkt == NULL)
        return NULL;
    memcpy(pkt, d->first, hdr);
    for (const struct reasm_piece *p = d->pieces; p != NULL; p = p->next)
        memcpy(pkt + hdr + p->off, p->data, p->len);
    r->pol->finish(pkt, len, d->first, hdr, d->first_aux);
    *out_len = len;
    return pkt;
}

/* The datagram for f: found, or a new one (evicting if the policy says
 * so). NULL if refused (counted). */
static struct reasm_dgram *dgram_get(struct stack *s, struct reasm *r,
                                     const struct reasm_frag *f, uint64_t now)
{
    struct reasm_dgram *free_slot;
    struct reasm_dgram *d = dgram_find(r, f, &free_slot);
    if (d != NULL)
        return d;
    if (free_slot == NULL && r->pol->evict_oldest && evict_oldest(s, r, NULL))
        (void)dgram_find(r, f, &free_slot);
    if (free_slot == NULL) {
        fail(s, r, r->pol->c_memory);
        return NULL;
    }
    d = free_slot;
    memset(d, 0, sizeof *d);
    d->in_use = true;
    d->ifindex = f->ifindex;
    memcpy(d->key, f->key, f->key_len);
    d->key_len = f->key_len;
    /* RFC 791 3.2 / RFC 8200 4.5: the timer starts with the first
     * fragment that arrives. */
    d->expires = now + r->pol->timeout_ns;
    return d;
}

/* Are f's lengths consistent with d (RFC 791 3.2, RFC 8200 4.5: the last
 * fragment fixes the length; nothing may end past it, and a second last
 * fragment must agree)? */
static bool lengths_ok(const struct reasm_dgram *d, const struct reasm_frag *f)
{
    size_t end = f->off + f->len;
    if (end > f->end_max)
        return false;
    if (f->more)
        return !d->have_last || end <= d->total;
    if (d->have_last && end != d->total)
        return false;
    for (const struct reasm_piece *p = d->pieces; p != NULL; p = p->next) {
        if (p->off + p->len > end)
            return false;
    }
    return true;
}

uint8_t *reasm_add(struct stack *s, struct reasm *r, const struct reasm_frag *f, uint64_t now,
                   size_t *out_len)
{
    const struct reasm_policy *pol = r->pol;
    bump(s, pol->c_frags);
    size_t off = f->off, n = f->len, end = off + n;
    if (n == 0 || f->key_len > REASM_KEY_MAX) {
        fail(s, r, pol->c_bad); /* a fragment with no data */
        return NULL;
    }
    struct reasm_dgram *d = dgram_get(s, r, f, now);
    if (d == NULL)
        return NULL;
    if (d->dead) {
        fail(s, r, pol->c_dead);
        return NULL;
    }
    if (!lengths_ok(d, f)) {
        fail(s, r, pol->c_bad);
        if (d->pieces == NULL && d->first == NULL)
            dgram_clear(r, d); /* made for this fragment alone */
        else
            dgram_kill(r, d);
        return NULL;
    }

    /* RFC 5722 3: any overlap discards the whole datagram. An exact
     * duplicate (a link that duplicated a frame) is not an overlap of
     * different data at the same place: drop just it, as Linux does. */
    struct reasm_piece **link = &d->pieces;
    for (struct reasm_piece *p = d->pieces; p != NULL; p = p->next) {
        if (p->off == off && p->len == n && memcmp(p->data, f->data, n) == 0 &&
            (f->more || !d->have_last || d->total == end)) {
            bump(s, pol->c_dup);
            return NULL;
        }
        if (off < p->off + p->len && p->off < end) {
            fail(s, r, pol->c_overlap);
            dgram_kill(r, d);
            return NULL;
        }
        if (p->off < off)
            link = &p->next;
    }

    size_t cost = sizeof(struct reasm_piece) + n + (off == 0 ? f->pkt_len : 0);
    bool room = r->mem + cost <= pol->mem_max;
    while (!room && pol->evict_oldest && cost <= pol->mem_max && evict_oldest(s, r, d))
        room = r->mem + cost <= pol->mem_max;
    if (r->mem + cost > pol->mem_max) {
        fail(s, r, pol->c_memory);
        if (d->pieces == NULL)
            dgram_clear(r, d);
        return NULL;
    }
    struct reasm_piece *np = malloc(sizeof *np + n);
    uint8_t *first = off == 0 ? malloc(f->pkt_len) : NULL;
    if (np == NULL || (off == 0 && first == NULL)) {
        free(np);
        free(first);
        fail(s, r, pol->c_memory);
        if (d->pieces == NULL)
            dgram_clear(r, d);
        return NULL;
    }
    np->off = off;
    np->len = n;
    memcpy(np->data, f->data, n);
    np->next = *link;
    *link = np;
    if (first != NULL) {
        memcpy(first, f->pkt, f->pkt_len);
        d->first = first;
        d->first_len = f->pkt_len;
        d->first_hdr_len = f->hdr_len;
        d->first_aux = f->aux;
    }
    if (!f->more) {
        d->have_last = true;
        d->total = end;
    }
    d->mem += cost;
    r->mem += cost;

    if (!dgram_complete(d))
        return NULL;
    uint8_t *whole = dgram_build(r, d, out_len);
    if (whole == NULL)
        fail(s, r, pol->c_bad);
    else
        bump(s, pol->c_ok);
    dgram_clear(r, d);
    return whole;
}

void reasm_poll(struct stack *s, struct reasm *r, uint64_t now)
{
    if (r == NULL)
        return;
    for (size_t i = 0; i < r->pol->max_dgrams; i++) {
        struct reasm_dgram *d = &r->d[i];
        if (!d->in_use || now < d->expires)
            continue;
        if (!d->dead) {
            fail(s, r, r->pol->c_timeout);
            r->pol->expire(s, d->ifindex, d->first, d->first_len, now);
        }
        dgram_clear(r, d);
    }
}

uint64_t reasm_next_deadline(const struct reasm *r)
{
    uint64_t t = STACK_NO_DEADLINE;
    if (r == NULL)
        return t;
    for (size_t i = 0; i < r->pol->max_dgrams; i++) {
        const struct reasm_dgram *d = &r->d[i];
        if (d->in_use && d->expires < t)
            t = d->expires;
    }
    return t;
}
