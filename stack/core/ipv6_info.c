/* ipv6_info.c - the IPv6 address and route tables as tools see them
 * (stack_addr6_list, stack_route6_list in stack.h): read-only views of
 * the interfaces' addresses (core/addrconf.c) and of the router and
 * prefix lists (core/nd.h), with lifetimes turned into seconds left.
 */
#include <string.h>

#include "stack/core/nd.h"

static const char *addr6_state_text(enum addr6_state st)
{
    switch (st) {
    case ADDR6_TENTATIVE:
        return "tentative";
    case ADDR6_PREFERRED:
        return "preferred";
    case ADDR6_DEPRECATED:
        return "deprecated";
    case ADDR6_DUPLICATE:
        return "duplicate";
    case ADDR6_UNUSED:
        break;
    }
    return "?";
}

size_t stack_addr6_list(const struct stack *s, struct addr6_info *out, size_t max, uint64_t now)
{
    size_t n = 0;
    /* lo (::1) first, as `ip -6 addr` lists it. */
    for (int i = -1; i < s->n_netifs && i < STACK_MAX_NETIFS; i++) {
        const struct netif *nif = i < 0 ? &s->lo : &s->netifs[i];
        if (!nif->ipv6 || !nif->up)
            continue;
        for (size_t j = 0; j < NETIF_MAX_ADDR6; j++) {
            const struct netif_addr6 *a = &nif->addr6[j];
            if (a->state == ADDR6_UNUSED)
                continue;
            if (out != NULL && n < max) {
                struct addr6_info *ai = &out[n];
                memset(ai, 0, sizeof *ai);
                ai->ifindex = nif->index;
                ai->addr = ipv6_addr_tag(a->addr);
                ai->prefix_len = a->prefix_len;
                ai->state = addr6_state_text(a->state);
                ai->autoconf = a->autoconf;
                ai->stable_privacy = a->stable;
                ai->link_local = ipv6_addr_is_link_local(a->addr);
                ai->loopback = nif->loopback;
                ai->valid_s = seconds_left(a->valid_until, now);
                /* RFC 4862 5.5.4: past its preferred lifetime an address is
                 * deprecated: 0 left, even before poll marks it. */
                ai->preferred_s = a->state == ADDR6_DEPRECATED
                                      ? 0
                                      : seconds_left(a->preferred_until, now);
            }
            n++;
        }
    }
    return n;
}

/* out = a with the bits past len cleared. */
static void prefix_of(const uint8_t a[16], unsigned len, uint8_t out[16])
{
    memset(out, 0, 16);
    if (len > 128)
        len = 128;
    memcpy(out, a, len / 8);
    if (len % 8 != 0)
        out[len / 8] = (uint8_t)(a[len / 8] & (0xff << (8 - len % 8)));
}

/* The routes collected so far (at most max of them are in out). */
struct route6_list {
    struct route6_info *out;
    size_t max;
    size_t n;
};

/* Whether ifindex already has an on-link route for prefix/len. Only what
 * was copied can be compared: with a short out, a duplicate past max is
 * counted (the count stays an upper bound, as the callers need). */
static bool route_seen(const struct route6_list *l, int ifindex, const uint8_t prefix[16],
                       uint8_t len)
{
    size_t have = l->n < l->max ? l->n : l->max;
    for (size_t i = 0; l->out != NULL && i < have; i++) {
        const struct route6_info *r = &l->out[i];
        if (r->ifindex == ifindex && r->prefix_len == len && !r->has_gateway &&
            memcmp(r->dst.u.v6, prefix, 16) == 0)
            return true;
    }
    return false;
}

static void route_add_prefix(struct route6_list *l, int ifindex, const uint8_t addr[16],
                             uint8_t len, enum route6_origin origin, uint32_t lifetime_s)
{
    uint8_t prefix[16];
    prefix_of(addr, len, prefix);
    if (route_seen(l, ifindex, prefix, len))
        return;
    if (l->out != NULL && l->n < l->max) {
        struct route6_info *r = &l->out[l->n];
        memset(r, 0, sizeof *r);
        r->ifindex = ifindex;
        r->dst = ipv6_addr_tag(prefix);
        r->prefix_len = len;
        r->origin = origin;
        r->lifetime_s = lifetime_s;
        r->metric = 256; /* Linux's metric for a prefix route */
    }
    l->n++;
}

size_t stack_route6_list(const struct stack *s, struct route6_info *out, size_t max,
                         uint64_t now)
{
    struct route6_list l = {.out = out, .max = max, .n = 0};
    /* The prefixes nd_on_link() treats as on-link: those of usable
     * addresses we were given (static ones and the link-local one), as
     * `ip addr add` installs a prefix route. SLAAC addresses bring none:
     * their prefix is on-link only while an RA says so (RFC 4862 5.5.3). */
    for (int i = 0; i < s->n_netifs && i < STACK_MAX_NETIFS; i++) {
        const struct netif *nif = &s->netifs[i];
        if (!nif->ipv6)
            continue;
        for (size_t j = 0; j < NETIF_MAX_ADDR6; j++) {
            const struct netif_addr6 *a = &nif->addr6[j];
            if ((a->state != ADDR6_PREFERRED && a->state != ADDR6_DEPRECATED) || a->autoconf ||
                a->prefix_len >= 128)
                continue;
            route_add_prefix(&l, nif->index, a->addr, a->prefix_len, ROUTE6_KERNEL,
                             STACK_LIFETIME_FOREVER);
        }
    }
    if (s->nd == NULL)
        return l.n;
    /* RFC 4861 6.3.4: prefixes advertised with the L flag, until their
     * valid lifetime ends. */
    for (size_t i = 0; i < ND_MAX_PREFIXES; i++) {
        const struct nd_prefix *p = &s->nd->prefixes[i];
        if (p->in_use)
            route_add_prefix(&l, p->ifindex, p->prefix, p->len, ROUTE6_RA,
                             seconds_left(p->expires, now));
    }
    /* Static routes (the config, `route add`). */
    for (size_t i = 0; i < STACK_MAX_ROUTES; i++) {
        const struct route_entry *e = &s->routes[i];
        if (!e->in_use || e->r.dst.family != IP_FAMILY_V6)
            continue;
        if (out != NULL && l.n < max) {
            struct route6_info *ri = &out[l.n];
            memset(ri, 0, sizeof *ri);
            ri->ifindex = e->r.ifindex;
            if (ri->ifindex < 0)
                for (int k = 0; k < s->n_netifs; k++)
                    if (s->netifs[k].up && s->netifs[k].ipv6 &&
                        e->r.gateway.family == IP_FAMILY_V6 &&
                        nd_on_link_len(s, &s->netifs[k], e->r.gateway.u.v6, &(unsigned){0})) {
                        ri->ifindex = k;
                        break;
                    }
            ri->dst = e->r.dst;
            ri->prefix_len = e->r.prefix_len;
            ri->has_gateway = e->r.gateway.family == IP_FAMILY_V6;
            if (ri->has_gateway)
                ri->gateway = e->r.gateway;
            ri->origin = ROUTE6_STATIC;
            ri->lifetime_s = STACK_LIFETIME_FOREVER;
            ri->metric = e->r.metric;
        }
        l.n++;
    }
    /* RFC 4861 6.3.4: the default router list, each until its router
     * lifetime ends. */
    for (size_t i = 0; i < ND_MAX_ROUTERS; i++) {
        const struct nd_router *r = &s->nd->routers[i];
        if (!r->in_use)
            continue;
        if (out != NULL && l.n < max) {
            struct route6_info *ri = &out[l.n];
            memset(ri, 0, sizeof *ri);
            ri->ifindex = r->ifindex;
            ri->dst = ipv6_addr_tag((const uint8_t[16]){0});
            ri->prefix_len = 0;
            ri->has_gateway = true;
            ri->gateway = ipv6_addr_tag(r->addr);
            ri->origin = ROUTE6_RA;
            ri->metric = ND_DEFAULT_ROUTER_METRIC;
            /* Router expiry is never "infinity" (a 16-bit lifetime). */
            ri->lifetime_s = seconds_left(r->expires, now);
        }
        l.n++;
    }
    return l.n;
}
