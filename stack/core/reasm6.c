/* reasm6.c - reassembly of IPv6 fragments (RFC 8200 4.5), with overlapping
 * fragments dropping the whole datagram (RFC 5722), atomic fragments kept
 * apart (RFC 6946), a 60 s timeout and a memory cap for all datagrams: the
 * IPv6 side of the shared engine (core/reasm.c). */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "stack/core/ipv6_impl.h"
#include "stack/core/reasm.h"
#include "stack/wire/icmp6.h"

/* RFC 8200 4.5: Time Exceeded code 1 to the source, only if the first
 * fragment arrived; it is what we quote. */
static void expire6(struct stack *s, int ifindex, const uint8_t *first, size_t first_len,
                    uint64_t now)
{
    struct netif *nif = netif_get(s, ifindex);
    if (first != NULL && nif != NULL)
        icmp6_send_error(s, nif, first, first_len, ICMP6_TIME_EXCEEDED, ICMP6_REASSEMBLY_TIME,
                         0, false, now);
}

/* The reassembled packet (RFC 8200 4.5): the first fragment's
 * unfragmentable part with the Next Header that named the fragment header
 * changed to the fragment header's own, and the payload length fixed.
 * hdr_len is where the fragment header started; aux the Next Header
 * field that named it. */
static void finish6(uint8_t *pkt, size_t len, const uint8_t *first, size_t hdr_len, size_t aux)
{
    if (aux < hdr_len)
        pkt[aux] = first[hdr_len];
    wr16(pkt + 4, (uint16_t)(len - IPV6_HLEN));
}

static const struct reasm_policy policy6 = {
    .max_dgrams = REASM6_MAX_DATAGRAMS,
    .mem_max = REASM6_MEM_MAX,
    .timeout_ns = REASM6_TIMEOUT_NS, /* RFC 8200 4.5: 60 s */
    .max_pkt = IPV6_HLEN + 65535,
    .evict_oldest = false,
    .expire = expire6,
    .finish = finish6,
    .c_frags = CTR_IPV6_REASM_FRAGS,
    .c_ok = CTR_IPV6_REASM_OK,
    .c_dup = CTR_IPV6_REASM_DROP_DUP,
    .c_overlap = CTR_IPV6_REASM_DROP_OVERLAP,
    .c_dead = CTR_IPV6_REASM_DROP_OVERLAP,
    .c_timeout = CTR_IPV6_REASM_DROP_TIMEOUT,
    .c_memory = CTR_IPV6_REASM_DROP_MEMORY,
    .c_bad = CTR_IPV6_REASM_DROP_BAD,
    .c_evicted = CTR_MAX,
    .c_fail = CTR_MAX,
};

int reasm6_init(struct stack *s)
{
    s->reasm6 = reasm_new(&policy6);
    return s->reasm6 == NULL ? -ENOMEM : 0;
}

void reasm6_free(struct stack *s)
{
    reasm_free(s->reasm6);
    s->reasm6 = NULL;
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
    if (s->reasm6 == NULL) {
        ctr_inc(s, CTR_IPV6_REASM_FRAGS);
        ctr_inc(s, CTR_IPV6_REASM_DROP_MEMORY);
        return NULL;
    }
    /* RFC 8200 4.5: a datagram is known by source, destination and
     * Identification. */
    struct reasm_frag f = {
        .key_len = 36,
        .ifindex = nif->index,
        .off = (size_t)c->frag_offset * 8,
        .len = c->upper_len,
        .more = c->frag_more,
        .data = c->upper,
        .end_max = SIZE_MAX, /* the whole packet is checked when built */
        .pkt = pkt,
        .pkt_len = len,
        .hdr_len = c->frag_hdr_off,
        .aux = c->frag_nh_ptr,
    };
    memcpy(f.key, ip->src, 16);
    memcpy(f.key + 16, ip->dst, 16);
    wr32(f.key + 32, c->frag_id);
    return reasm_add(s, s->reasm6, &f, now, out_len);
}

void reasm6_poll(struct stack *s, uint64_t now)
{
    reasm_poll(s, s->reasm6, now);
}

uint64_t reasm6_next_deadline(const struct stack *s)
{
    return reasm_next_deadline(s->reasm6);
}
