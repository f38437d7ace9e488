/* reasm4.c - reassembly of IPv4 fragments (RFC 791 3.2, RFC 815) on the
 * shared engine (core/reasm.c), with Linux's choices: overlaps drop the
 * whole datagram (as since 2018, and as RFC 5722 for IPv6), a 30 s
 * timeout (ipfrag_time), the oldest datagram evicted when full. */
#include <errno.h>
#include <string.h>

#include "stack/core/reasm.h"
#include "stack/wire/checksum.h"
#include "stack/wire/icmp4.h"
#include "stack/wire/ipv4.h"

/* RFC 792: Time Exceeded code 1, "fragment reassembly time exceeded". */
#define ICMP4_REASM_TIME 1

/* RFC 1122 3.3.2: Time Exceeded when the timer runs out, if the first
 * fragment arrived (it is what we quote, RFC 792); icmp4_send_error adds
 * the rate limit and RFC 1122 3.2.2's rules. Never about a datagram to a
 * broadcast address (multicast ones never get here: ipv4_input drops
 * them as not ours). */
static void expire4(struct stack *s, int ifindex, const uint8_t *first, size_t first_len,
                    uint64_t now)
{
    struct netif *nif = netif_get(s, ifindex);
    struct ipv4_view ip;
    if (first == NULL || nif == NULL || ipv4_parse(first, first_len, &ip) != WIRE_OK)
        return;
    icmp4_send_error(s, nif, &ip, first, netif_is_ip4_broadcast(nif, ip.dst),
                     ICMP4_TIME_EXCEEDED, ICMP4_REASM_TIME, now);
}

/* RFC 791 3.2: the first fragment's header (options included: those
 * copied or not, it is the one that had them all) with the total length
 * of the whole, the fragment field cleared and a new checksum. */
static void finish4(uint8_t *pkt, size_t len, const uint8_t *first, size_t hdr_len, size_t aux)
{
    (void)first;
    (void)aux;
    wr16(pkt + 2, (uint16_t)len);
    wr16(pkt + 6, 0);
    wr16(pkt + 10, 0);
    wr16(pkt + 10, inet_csum(pkt, hdr_len));
}

static const struct reasm_policy policy4 = {
    .max_dgrams = REASM4_MAX_DATAGRAMS,
    .mem_max = REASM4_MEM_MAX,
    .timeout_ns = REASM4_TIMEOUT_NS,
    .max_pkt = 65535, /* RFC 791 3.1: Total Length is 16 bits */
    .evict_oldest = true,
    .expire = expire4,
    .finish = finish4,
    .c_frags = CTR_IPV4_REASM_REQDS,
    .c_ok = CTR_IPV4_REASM_OKS,
    .c_dup = CTR_MAX, /* dropped alone, like Linux, and not a failure */
    .c_overlap = CTR_IPV4_REASM_OVERLAPS,
    .c_dead = CTR_MAX, /* later fragments of a dropped datagram: fails only */
    .c_timeout = CTR_IPV4_REASM_TIMEOUTS,
    .c_memory = CTR_MAX,
    .c_bad = CTR_MAX,
    .c_evicted = CTR_IPV4_REASM_EVICTED,
    .c_fail = CTR_IPV4_REASM_FAILS,
};

int reasm4_init(struct stack *s)
{
    s->reasm4 = reasm_new(&policy4);
    return s->reasm4 == NULL ? -ENOMEM : 0;
}

void reasm4_free(struct stack *s)
{
    reasm_free(s->reasm4);
    s->reasm4 = NULL;
}

/* A fragment that cannot be part of any datagram, refused before the
 * engine sees it. */
static uint8_t *refuse(struct stack *s)
{
    ctr_inc(s, CTR_IPV4_RX_DROP_FRAGMENT);
    ctr_inc(s, CTR_IPV4_REASM_FAILS);
    return NULL;
}

uint8_t *reasm4_input(struct stack *s, struct netif *nif, const struct ipv4_view *ip,
                      const uint8_t *pkt, uint64_t now, size_t *out_len)
{
    size_t off = (size_t)(ip->frag & IPV4_FRAG_OFF_MASK) * 8;
    size_t n = ip->payload_len;
    bool more = (ip->frag & IPV4_FLAG_MF) != 0;
    /* RFC 791 3.2: every fragment but the last carries a multiple of 8
     * bytes; a fragment with no data adds nothing (Linux drops it too). */
    if (n == 0 || (more && n % 8 != 0))
        return refuse(s);
    if (s->reasm4 == NULL) {
        ctr_inc(s, CTR_IPV4_REASM_REQDS);
        ctr_inc(s, CTR_IPV4_REASM_FAILS);
        return NULL;
    }
    /* RFC 791 3.2: source, destination, protocol and identification name
     * the datagram. */
    struct reasm_frag f = {
        .key_len = 11,
        .ifindex = nif->index,
        .off = off,
        .len = n,
        .more = more,
        .data = ip->payload,
        /* RFC 791 3.1: the whole datagram, header included, must fit the
         * 16-bit Total Length; a fragment that runs past it (the "ping of
         * death") drops the datagram. The first fragment's header may be
         * longer than this one's: the result is checked again (max_pkt). */
        .end_max = 65535 - (size_t)ip->ihl,
        .pkt = pkt,
        .pkt_len = ip->total_len,
        .hdr_len = ip->ihl,
    };
    wr32(f.key, ip->src);
    wr32(f.key + 4, ip->dst);
    f.key[8] = ip->proto;
    wr16(f.key + 9, ip->id);
    return reasm_add(s, s->reasm4, &f, now, out_len);
}

void reasm4_poll(struct stack *s, uint64_t now)
{
    reasm_poll(s, s->reasm4, now);
}

uint64_t reasm4_next_deadline(const struct stack *s)
{
    return reasm_next_deadline(s->reasm4);
}
