/* route.c - the route table of both families: static routes (the config,
 * `tcpipctl route add`) and DHCP's, looked up by longest prefix and then
 * metric (RFC 1812 5.2.4.3's order, as Linux's FIB). The routes an
 * address brings (its subnet, `proto kernel`) and IPv6's RA routes are not
 * stored here: core/ipv4.c and core/ipv6.c weigh them against the table. */
#include <errno.h>
#include <string.h>

#include "stack/core/stack_impl.h"
#include "stack/wire/ipv6.h"

/* Do a and b agree in their first len bits (both the family's width)? */
static bool prefix_eq(const struct ip_addr *a, const struct ip_addr *b, unsigned len)
{
    if (a->family != b->family)
        return false;
    if (a->family == IP_FAMILY_V4) {
        uint32_t m = ip4_mask(len);
        return (a->u.v4 & m) == (b->u.v4 & m);
    }
    unsigned full = len / 8, rest = len % 8;
    if (memcmp(a->u.v6, b->u.v6, full) != 0)
        return false;
    return rest == 0 || ((a->u.v6[full] ^ b->u.v6[full]) & (uint8_t)(0xff << (8 - rest))) == 0;
}

static unsigned family_bits(uint8_t family)
{
    return family == IP_FAMILY_V4 ? 32 : 128;
}

/* The interface through which a gateway is reachable: on-link on ifindex
 * (or any interface when -1); NULL if none. */
static struct netif *gateway_netif(struct stack *s, const struct ip_addr *gw, int ifindex)
{
    for (int i = 0; i < s->n_netifs; i++) {
        struct netif *nif = &s->netifs[i];
        if (!nif->up || (ifindex >= 0 && nif->index != ifindex))
            continue;
        if (gw->family == IP_FAMILY_V4 && netif_ip4_on_link(nif, gw->u.v4) != NULL)
            return nif;
        /* Static addresses count from when they are added, DAD or not
         * (nd_on_link_len), as the config's routes come up with them. */
        unsigned len;
        if (gw->family == IP_FAMILY_V6 && nif->ipv6 &&
            (ipv6_addr_is_link_local(gw->u.v6) ? ifindex >= 0
                                               : nd_on_link_len(s, nif, gw->u.v6, &len)))
            return nif;
    }
    return NULL;
}

/* Where route r sends packets now: interface and next hop; false if it
 * cannot be used (its gateway is no longer on-link, its interface gone). */
static bool route_resolve(struct stack *s, const struct stack_route *r, const struct ip_addr *dst,
                          struct netif **nif, struct ip_addr *next_hop)
{
    if (r->gateway.family == IP_FAMILY_NONE) {
        *nif = netif_get(s, r->ifindex);
        *next_hop = *dst;
        return *nif != NULL;
    }
    *nif = gateway_netif(s, &r->gateway, r->ifindex);
    *next_hop = r->gateway;
    return *nif != NULL;
}

const struct stack_route *route_lookup(struct stack *s, const struct ip_addr *dst,
                                       const struct netif *pref, struct netif **nif,
                                       struct ip_addr *next_hop)
{
    const struct stack_route *best = NULL;
    struct netif *best_nif = NULL;
    struct ip_addr best_hop = {0};
    for (size_t i = 0; i < STACK_MAX_ROUTES; i++) {
        const struct route_entry *e = &s->routes[i];
        if (!e->in_use || e->r.dst.family != dst->family ||
            !prefix_eq(&e->r.dst, dst, e->r.prefix_len))
            continue;
        struct netif *n;
        struct ip_addr hop;
        if (!route_resolve(s, &e->r, dst, &n, &hop))
            continue;
        /* Longest prefix, then lowest metric, then the bound address's
         * interface, then the first added. */
        if (best != NULL) {
            if (e->r.prefix_len != best->prefix_len) {
                if (e->r.prefix_len < best->prefix_len)
                    continue;
            } else if (e->r.metric != best->metric) {
                if (e->r.metric > best->metric)
                    continue;
            } else if (pref == NULL || n != pref || best_nif == pref) {
                continue;
            }
        }
        best = &e->r;
        best_nif = n;
        best_hop = hop;
    }
    if (best != NULL) {
        *nif = best_nif;
        *next_hop = best_hop;
    }
    return best;
}

static bool same_route(const struct stack_route *a, const struct stack_route *b)
{
    return a->dst.family == b->dst.family && a->prefix_len == b->prefix_len &&
           prefix_eq(&a->dst, &b->dst, family_bits(a->dst.family)) && a->metric == b->metric &&
           a->ifindex == b->ifindex;
}

int route_add(struct stack *s, const struct stack_route *r, uint64_t now)
{
    uint8_t fam = r->dst.family;
    if ((fam != IP_FAMILY_V4 && fam != IP_FAMILY_V6) || r->prefix_len > family_bits(fam))
        return -EINVAL;
    /* Host bits set: `ip route` says "Invalid prefix for given prefix length". */
    struct ip_addr net = r->dst;
    if (fam == IP_FAMILY_V4)
        net.u.v4 &= ip4_mask(r->prefix_len);
    else
        for (unsigned b = r->prefix_len; b < 128; b++)
            net.u.v6[b / 8] &= (uint8_t)~(0x80u >> (b % 8));
    if (!prefix_eq(&net, &r->dst, family_bits(fam)))
        return -EINVAL;
    if (r->ifindex >= 0 && netif_get(s, r->ifindex) == NULL)
        return -ENODEV;
    if (r->gateway.family == IP_FAMILY_NONE) {
        if (r->ifindex < 0)
            return -EINVAL; /* neither a gateway nor an interface */
    } else {
        if (r->gateway.family != fam)
            return -EINVAL;
        /* RFC 1122 3.3.1.1: a gateway is on a connected network; Linux
         * says "Nexthop has invalid gateway". A link-local IPv6 gateway
         * needs its interface (RFC 4007 6). */
        if (gateway_netif(s, &r->gateway, r->ifindex) == NULL)
            return -EINVAL;
        if (fam == IP_FAMILY_V4 && netif_by_ip4(s, r->gateway.u.v4) != NULL)
            return -EINVAL;
        if (fam == IP_FAMILY_V6 && netif_by_ip6(s, r->gateway.u.v6) != NULL)
            return -EINVAL;
    }
    struct route_entry *free_slot = NULL;
    for (size_t i = 0; i < STACK_MAX_ROUTES; i++) {
        struct route_entry *e = &s->routes[i];
        if (e->in_use && same_route(&e->r, r))
            return -EEXIST;
        if (!e->in_use && free_slot == NULL)
            free_slot = e;
    }
    if (free_slot == NULL)
        return -ENOSPC;
    memset(free_slot, 0, sizeof *free_slot);
    free_slot->in_use = true;
    free_slot->r = *r;
    free_slot->r.dst = net;
    free_slot->r.lifetime_s = 0;
    free_slot->r.src = (struct ip_addr){0};
    if (r->lifetime_s != STACK_LIFETIME_FOREVER && r->lifetime_s != 0)
        free_slot->expires = now + (uint64_t)r->lifetime_s * NS_PER_SEC;
    return 0;
}

int stack_route_add(struct stack *s, const struct stack_route *r)
{
    if (s == NULL || r == NULL)
        return -EINVAL;
    struct stack_route c = *r;
    c.lifetime_s = STACK_LIFETIME_FOREVER;
    if (c.proto != ROUTE_PROTO_DHCP)
        c.proto = ROUTE_PROTO_STATIC;
    return route_add(s, &c, 0);
}

int stack_route_del(struct stack *s, const struct stack_route *r)
{
    if (s == NULL || r == NULL)
        return -EINVAL;
    for (size_t i = 0; i < STACK_MAX_ROUTES; i++) {
        struct route_entry *e = &s->routes[i];
        if (!e->in_use || e->r.dst.family != r->dst.family || e->r.prefix_len != r->prefix_len ||
            !prefix_eq(&e->r.dst, &r->dst, family_bits(r->dst.family)))
            continue;
        if (r->gateway.family != IP_FAMILY_NONE &&
            !prefix_eq(&e->r.gateway, &r->gateway, family_bits(r->dst.family)))
            continue;
        if (r->ifindex >= 0 && e->r.ifindex != r->ifindex)
            continue;
        if (r->metric != UINT32_MAX && e->r.metric != r->metric)
            continue;
        e->in_use = false;
        return 0;
    }
    return -ESRCH;
}

void route_flush_proto(struct stack *s, int ifindex, uint8_t proto)
{
    for (size_t i = 0; i < STACK_MAX_ROUTES; i++) {
        struct route_entry *e = &s->routes[i];
        if (e->in_use && e->r.proto == proto && e->r.ifindex == ifindex)
            e->in_use = false;
    }
}

void route_poll(struct stack *s, uint64_t now)
{
    for (size_t i = 0; i < STACK_MAX_ROUTES; i++) {
        struct route_entry *e = &s->routes[i];
        if (e->in_use && e->expires != 0 && now >= e->expires)
            e->in_use = false;
    }
}

uint64_t route_next_deadline(const struct stack *s)
{
    uint64_t d = STACK_NO_DEADLINE;
    for (size_t i = 0; i < STACK_MAX_ROUTES; i++) {
        const struct route_entry *e = &s->routes[i];
        if (e->in_use && e->expires != 0 && e->expires < d)
            d = e->expires;
    }
    return d;
}

size_t stack_route4_list(const struct stack *s, struct stack_route *out, size_t max,
                         uint64_t now)
{
    size_t n = 0;
    /* Each address's subnet, as `ip route` lists the kernel's routes. */
    for (int i = 0; i < s->n_netifs && i < STACK_MAX_NETIFS; i++) {
        const struct netif *nif = &s->netifs[i];
        if (!nif->up)
            continue;
        for (size_t k = 0; k < NETIF_MAX_ADDR4; k++) {
            const struct netif_addr4 *a = &nif->addr4[k];
            if (a->addr == 0)
                continue;
            /* Two addresses of one subnet make one route. */
            bool seen = false;
            for (size_t j = 0; j < k; j++)
                seen = seen || (nif->addr4[j].addr != 0 &&
                                nif->addr4[j].prefix_len == a->prefix_len &&
                                (nif->addr4[j].addr & a->mask) == (a->addr & a->mask));
            if (seen)
                continue;
            if (out != NULL && n < max) {
                struct stack_route *r = &out[n];
                memset(r, 0, sizeof *r);
                r->dst = ip_addr_v4(a->addr & a->mask);
                r->prefix_len = a->prefix_len;
                r->ifindex = nif->index;
                r->proto = ROUTE_PROTO_KERNEL;
                r->lifetime_s = STACK_LIFETIME_FOREVER;
                r->src = ip_addr_v4(a->addr);
            }
            n++;
        }
    }
    for (size_t i = 0; i < STACK_MAX_ROUTES; i++) {
        const struct route_entry *e = &s->routes[i];
        if (!e->in_use || e->r.dst.family != IP_FAMILY_V4)
            continue;
        if (out != NULL && n < max) {
            struct stack_route *r = &out[n];
            *r = e->r;
            r->lifetime_s = seconds_left(e->expires, now);
            struct netif *nif;
            struct ip_addr hop;
            r->src = ip_addr_v4(0);
            if (route_resolve((struct stack *)s, &e->r, &e->r.dst, &nif, &hop)) {
                r->src = ip_addr_v4(netif_ip4_source(nif, hop.u.v4));
                if (r->ifindex < 0)
                    r->ifindex = nif->index;
            }
        }
        n++;
    }
    return n;
}
