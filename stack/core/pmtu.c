/* pmtu.c - the path MTU of each destination, both families: lowered by
 * ICMP "fragmentation needed" (RFC 1191, IPv4) and Packet Too Big (RFC
 * 8201, IPv6) once the quote is checked (RFC 5927), and by TCP's black-hole
 * detection when full-sized segments vanish without an ICMP error (RFC
 * 4821 10.3, as Linux's tcp_mtu_probing). An entry expires after 10
 * minutes (RFC 1191 6.3, RFC 8201 4), and the larger size is tried again:
 * that is how a path that grew, or a black hole that was a loss, is
 * found. The cache is bounded; a full one reuses the entry that expires
 * first. */
#include <string.h>

#include "stack/core/stack_impl.h"
#include "stack/wire/ipv6.h"

/* RFC 1191 7.1's plateau table, for routers that send no Next-Hop MTU:
 * the largest plateau below the size of the datagram that did not fit. */
static const uint16_t plateaus[] = {32000, 17914, 8166, 4352, 2002, 1492, 1006, 508, 296, 68};

uint32_t pmtu_plateau_below(uint32_t size)
{
    for (size_t i = 0; i < sizeof plateaus / sizeof plateaus[0]; i++)
        if (plateaus[i] < size)
            return plateaus[i];
    return 68;
}

/* The least a path may be made: IPv6 links carry 1280 (RFC 8200 5);
 * IPv4's RFC 1191 floor is 68, but a host that believes anything below
 * 552 lets a forged ICMP error cut its segments to crumbs (RFC 5927 7),
 * so, as Linux's min_pmtu, nothing below 552 is taken. */
static uint32_t floor_of(uint8_t family)
{
    return family == IP_FAMILY_V6 ? IPV6_MIN_MTU : PMTU4_MIN;
}

static struct pmtu_entry *find(struct stack *s, const struct ip_addr *dst)
{
    for (size_t i = 0; i < PMTU_CACHE_SIZE; i++) {
        struct pmtu_entry *e = &s->pmtu[i];
        if (e->in_use && ip_addr_eq(&e->dst, dst))
            return e;
    }
    return NULL;
}

static uint32_t link_mtu(const struct netif *nif, uint8_t family)
{
    uint32_t mtu = nif->mtu;
    if (family != IP_FAMILY_V6)
        return mtu;
    if (nif->mtu6 != 0 && nif->mtu6 < mtu)
        mtu = nif->mtu6; /* RFC 4861 6.3.4: an RA may lower it */
    return mtu < IPV6_MIN_MTU ? IPV6_MIN_MTU : mtu;
}

uint32_t ip_path_mtu(struct stack *s, const struct netif *nif, const struct ip_addr *dst)
{
    uint32_t mtu = link_mtu(nif, dst->family);
    const struct pmtu_entry *e = find(s, dst);
    if (e != NULL && e->mtu < mtu)
        mtu = e->mtu;
    return mtu;
}

/* Set dst's entry to mtu (never raise one), expiring in 10 minutes.
 * True if the path MTU went down. */
static bool lower(struct stack *s, const struct ip_addr *dst, uint32_t mtu, bool blackhole,
                  uint64_t now)
{
    if (mtu < floor_of(dst->family))
        mtu = floor_of(dst->family);
    struct pmtu_entry *e = find(s, dst);
    if (e != NULL) {
        if (mtu >= e->mtu)
            return false;
    } else {
        for (size_t i = 0; i < PMTU_CACHE_SIZE; i++) {
            struct pmtu_entry *c = &s->pmtu[i];
            if (!c->in_use) {
                e = c;
                break;
            }
            if (e == NULL || c->expires < e->expires)
                e = c;
        }
        memset(e, 0, sizeof *e);
        e->in_use = true;
        e->dst = *dst;
    }
    e->mtu = mtu;
    e->blackhole = blackhole;
    e->expires = now + PMTU_EXPIRE_NS;
    ctr_inc(s, dst->family == IP_FAMILY_V6 ? CTR_IPV6_PMTU_UPDATES : CTR_IPV4_PMTU_UPDATES);
    return true;
}

bool ip_pmtu_update(struct stack *s, const struct ip_addr *dst, uint32_t mtu, uint64_t now)
{
    return lower(s, dst, mtu, false, now);
}

bool ip_pmtu_blackhole(struct stack *s, const struct ip_addr *dst, uint32_t mtu, uint64_t now)
{
    /* RFC 4821 7.2: search_low, 1024 bytes of segment (Linux's
     * tcp_base_mss) plus the headers; from there down, halve, to the
     * floor. IPv6's floor, 1280, is already above 1024 + 60. */
    uint32_t hdr = dst->family == IP_FAMILY_V6 ? 60 : 40;
    uint32_t base = PMTU_BLACKHOLE_BASE_MSS + hdr;
    uint32_t next = mtu > base ? base : mtu / 2;
    if (lower(s, dst, next, true, now)) {
        ctr_inc(s, CTR_TCP_PMTU_BLACKHOLES);
        return true;
    }
    return false;
}

void pmtu_poll(struct stack *s, uint64_t now)
{
    for (size_t i = 0; i < PMTU_CACHE_SIZE; i++) {
        struct pmtu_entry *e = &s->pmtu[i];
        if (e->in_use && now >= e->expires)
            e->in_use = false; /* RFC 1191 6.3, RFC 8201 4: try the larger MTU again */
    }
}

uint64_t pmtu_next_deadline(const struct stack *s)
{
    uint64_t d = STACK_NO_DEADLINE;
    for (size_t i = 0; i < PMTU_CACHE_SIZE; i++) {
        const struct pmtu_entry *e = &s->pmtu[i];
        if (e->in_use && e->expires < d)
            d = e->expires;
    }
    return d;
}
