/* addrconf.c - IPv6 address configuration (RFC 4862) and router discovery
 * (RFC 4861 6.3): the link-local address from the MAC (modified EUI-64,
 * RFC 4291 2.5.1) or, in stable-privacy mode, from RFC 7217's keyed hash
 * (addrconf_stable.c), static addresses from the config, duplicate address
 * detection before any address is used, SLAAC from advertised prefixes,
 * router solicitations at start, and router advertisements (default
 * routers, on-link prefixes, MTU, hop limit, timers).
 */
#include <errno.h>
#include <string.h>

#include "stack/core/nd.h"
#include "stack/util/siphash.h"

static const uint8_t all_routers[16] = {0xff, 0x02, [15] = 2}; /* RFC 4291 2.7.1 */

/* RFC 4861 4.6.2 and RFC 4862 5.5.3: 0xffffffff seconds is infinity. */
#define ND_INFINITY 0xffffffffu

static uint64_t lifetime_end(uint64_t now, uint32_t seconds)
{
    if (seconds == ND_INFINITY)
        return 0;
    return nd_add_sat(now, (uint64_t)seconds * NS_PER_SEC);
}

static bool prefix_match(const uint8_t a[16], const uint8_t b[16], unsigned len)
{
    unsigned bytes = len / 8, bits = len % 8;
    if (len > 128)
        return false;
    if (memcmp(a, b, bytes) != 0)
        return false;
    if (bits == 0)
        return true;
    uint8_t mask = (uint8_t)(0xff << (8 - bits));
    return (a[bytes] & mask) == (b[bytes] & mask);
}

/* RFC 4291 2.5.1 / appendix A: the interface identifier from a 48-bit MAC,
 * ff:fe in the middle and the universal/local bit inverted. */
static void eui64_iid(const struct eth_addr *mac, uint8_t out[8])
{
    out[0] = mac->b[0] ^ 0x02;
    out[1] = mac->b[1];
    out[2] = mac->b[2];
    out[3] = 0xff;
    out[4] = 0xfe;
    out[5] = mac->b[3];
    out[6] = mac->b[4];
    out[7] = mac->b[5];
}

struct netif_addr6 *addrconf_find(struct netif *nif, const uint8_t a[16])
{
    for (size_t i = 0; i < NETIF_MAX_ADDR6; i++) {
        struct netif_addr6 *x = &nif->addr6[i];
        if (x->state != ADDR6_UNUSED && memcmp(x->addr, a, 16) == 0)
            return x;
    }
    return NULL;
}

static void log_addr(const struct stack *s, int level, const struct netif *nif,
                     const struct netif_addr6 *a, const char *what)
{
    char txt[IP_ADDR_STRLEN];
    stack_log(s, level, "nd: %s: %s/%u %s", nif->name,
              ip6_addr_format(a->addr, txt, sizeof txt), (unsigned)a->prefix_len, what);
}

/* RFC 4862 5.4.2: the first NS waits a random delay in [0,
 * MAX_RTR_SOLICITATION_DELAY) (1 s, RFC 4861 10), so hosts coming up
 * together do not collide -- and so the link is really up when it goes
 * (a freshly attached TAP may not pass it on at once). The stack has no
 * random source: the delay is a keyed hash of the address, unpredictable
 * from outside and the same on every run; its bound is
 * stack_config.nd_dad_max_delay_ns (1 s; 0 = none). */
static uint64_t dad_delay(const struct stack *s, const uint8_t addr[16])
{
    uint64_t max = s->cfg.nd_dad_max_delay_ns;
    if (max == 0)
        return 0;
    uint8_t msg[1 + 16];
    msg[0] = 'D';
    memcpy(msg + 1, addr, 16);
    return siphash24(s->cfg.key, msg, sizeof msg) % max;
}

/* Start DAD: the first NS after dad_delay (at once if that is 0). */
static void dad_start(struct stack *s, struct netif *nif, struct netif_addr6 *a, uint64_t now)
{
    a->state = ADDR6_TENTATIVE;
    /* RFC 4862 5.4.2: join the solicited-node group before the first NS
     * (RFC 3810 6.1: and say so). */
    mld_addr_added(s, nif, a->addr, now);
    uint64_t delay = dad_delay(s, a->addr);
    if (delay == 0) {
        a->dad_left = ND_DAD_TRANSMITS - 1;
        a->dad_timer = nd_add_sat(now, s->nd->retrans_ns);
        nd_dad_send(s, nif, a->addr);
        return;
    }
    a->dad_left = ND_DAD_TRANSMITS;
    a->dad_timer = nd_add_sat(now, delay);
}

/* A new TENTATIVE address; NULL if the table is full (counted). */
static struct netif_addr6 *addr_add(struct stack *s, struct netif *nif, const uint8_t a[16],
                                    uint8_t prefix_len, bool autoconf)
{
    for (size_t i = 0; i < NETIF_MAX_ADDR6; i++) {
        struct netif_addr6 *x = &nif->addr6[i];
        if (x->state != ADDR6_UNUSED)
            continue;
        memset(x, 0, sizeof *x);
        x->state = ADDR6_TENTATIVE;
        memcpy(x->addr, a, 16);
        x->prefix_len = prefix_len;
        x->autoconf = autoconf;
        return x;
    }
    ctr_inc(s, CTR_ND_ADDR_TABLE_FULL);
    return NULL;
}

static bool stable_mode(const struct netif *nif)
{
    return nif->addr_gen_mode == NETIF_ADDR_GEN_STABLE_PRIVACY;
}

/* RFC 7217 5: the address in a /64 prefix (its first 8 bytes) with
 * DAD_Counter *counter (raised past reserved IIDs); false if none. */
static bool stable_addr(const struct netif *nif, const uint8_t prefix[16], uint8_t *counter,
                        uint8_t out[16])
{
    memcpy(out, prefix, 8);
    return addrconf_stable_iid(nif, prefix, counter, out + 8);
}

/* The SLAAC entry of a stable-privacy interface in a /64 prefix, in any
 * state: after RFC 7217 6 regenerations its IID is not the one of
 * DAD_Counter 0, so it is found by prefix. */
static struct netif_addr6 *stable_find(struct netif *nif, const uint8_t prefix[16])
{
    for (size_t i = 0; i < NETIF_MAX_ADDR6; i++) {
        struct netif_addr6 *x = &nif->addr6[i];
        if (x->state != ADDR6_UNUSED && x->stable && x->autoconf && x->prefix_len == 64 &&
            memcmp(x->addr, prefix, 8) == 0)
            return x;
    }
    return NULL;
}

void addrconf_netif_up(struct stack *s, struct netif *nif, uint64_t now)
{
    if (nif->cur_hop_limit == 0)
        nif->cur_hop_limit = 64; /* RFC 8200 / IANA default */
    /* RFC 4862 5.3: fe80::/64 and the interface identifier; RFC 7217 5
     * forms it with the same function as SLAAC ones, prefix fe80::/64. */
    static const uint8_t ll_prefix[16] = {0xfe, 0x80};
    uint8_t ll[16], counter = 0;
    bool have_ll = true;
    if (stable_mode(nif)) {
        have_ll = stable_addr(nif, ll_prefix, &counter, ll);
        if (!have_ll)
            stack_log(s, STACK_LOG_ERR, "nd: %s: no usable RFC 7217 link-local address",
                      nif->name);
    } else {
        memcpy(ll, ll_prefix, 8);
        eui64_iid(&nif->mac, ll + 8);
    }
    if (have_ll && addrconf_find(nif, ll) == NULL) {
        struct netif_addr6 *a = addr_add(s, nif, ll, 64, false);
        if (a != NULL) {
            a->stable = stable_mode(nif);
            a->dad_counter = counter;
        }
    }
    /* Every address not yet checked: RFC 4862 5.4, static ones too. */
    for (size_t i = 0; i < NETIF_MAX_ADDR6; i++) {
        struct netif_addr6 *a = &nif->addr6[i];
        if (a->state == ADDR6_TENTATIVE && a->dad_timer == 0)
            dad_start(s, nif, a, now);
    }
    /* RFC 4861 6.3.7: solicit routers; the first one now (from :: while
     * the link-local address is tentative, which 6.3.7 allows). */
    if (nif->index >= 0 && nif->index < STACK_MAX_NETIFS) {
        s->nd->rs_left[nif->index] = ND_MAX_RTR_SOLICITATIONS;
        s->nd->rs_timer[nif->index] = now;
    }
}

/* RFC 7217 6: a stable address DAD found duplicate is formed again in the
 * same entry with DAD_Counter + 1 (other IID, same prefix and lifetimes)
 * and checked again, at most IDGEN_RETRIES times; then it stays
 * duplicate. */
static void stable_regenerate(struct stack *s, struct netif *nif, struct netif_addr6 *a,
                              uint64_t now)
{
    if (a->idgen_retries >= ADDRCONF_IDGEN_RETRIES) {
        char txt[IP_ADDR_STRLEN];
        uint8_t prefix[16] = {0};
        memcpy(prefix, a->addr, 8);
        stack_log(s, STACK_LOG_WARN,
                  "nd: %s: no address in %s/64: still a duplicate after %u new stable addresses "
                  "(RFC 7217 6, IDGEN_RETRIES), giving up",
                  nif->name, ip6_addr_format(prefix, txt, sizeof txt),
                  (unsigned)ADDRCONF_IDGEN_RETRIES);
        return;
    }
    uint8_t addr[16], counter = (uint8_t)(a->dad_counter + 1);
    /* A result equal to another entry (a static one) would need another
     * DAD_Counter too; as likely as a reserved IID: just stop there. */
    if (!stable_addr(nif, a->addr, &counter, addr) || addrconf_find(nif, addr) != NULL)
        return;
    memcpy(a->addr, addr, 16);
    a->dad_counter = counter;
    a->idgen_retries++;
    ctr_inc(s, CTR_ND_ADDR_REGENERATED);
    log_addr(s, STACK_LOG_INFO, nif, a, "formed again after DAD failed (RFC 7217 6)");
    dad_start(s, nif, a, now);
}

void addrconf_dad_failed(struct stack *s, struct netif *nif, struct netif_addr6 *a, uint64_t now)
{
    /* RFC 4862 5.4.5: the address is not used; logged for the operator. */
    a->state = ADDR6_DUPLICATE;
    a->dad_timer = 0;
    a->dad_left = 0;
    ctr_inc(s, CTR_ND_DAD_DUPLICATES);
    log_addr(s, STACK_LOG_WARN, nif, a, "is a duplicate address (DAD failed), not used");
    mld_addr_removed(s, nif, a->addr); /* RFC 3810 6.1: leave its group */
    /* EUI-64 and static addresses stay duplicate (RFC 4862 5.4.5). */
    if (a->stable)
        stable_regenerate(s, nif, a, now);
}

static void send_rs(struct stack *s, struct netif *nif)
{
    uint8_t msg[ND_RS_LEN + ND_OPT_LLADDR_LEN];
    uint8_t src[16] = {0};
    size_t opts = 0;
    /* RFC 4861 4.1: SLLA only with a source address. */
    if (nd_pick_source(nif, src) && ipv6_addr_is_link_local(src))
        opts = nd_opt_emit_lladdr(msg + ND_RS_LEN, ND_OPT_SLLA, &nif->mac);
    else
        memset(src, 0, sizeof src);
    struct eth_addr mac;
    ipv6_multicast_mac(all_routers, &mac);
    struct ip_addr as = ipv6_addr_tag(src), ad = ipv6_addr_tag(all_routers);
    size_t len = nd_emit_rs(msg, opts, &as, &ad);
    nd_send_icmp(s, nif, src, all_routers, &mac, msg, len);
    ctr_inc(s, CTR_ND_TX_RS);
}

static void router_update(struct stack *s, struct netif *nif, const uint8_t addr[16],
                          uint16_t lifetime_s, uint64_t now)
{
    struct nd_router *free_slot = NULL;
    for (size_t i = 0; i < ND_MAX_ROUTERS; i++) {
        struct nd_router *r = &s->nd->routers[i];
        if (!r->in_use) {
            if (free_slot == NULL)
                free_slot = r;
            continue;
        }
        if (r->ifindex == nif->index && memcmp(r->addr, addr, 16) == 0) {
            if (lifetime_s == 0)
                memset(r, 0, sizeof *r); /* RFC 4861 6.3.4: time out now */
            else
                r->expires = nd_add_sat(now, (uint64_t)lifetime_s * NS_PER_SEC);
            return;
        }
    }
    if (lifetime_s == 0)
        return;
    if (free_slot == NULL) {
        ctr_inc(s, CTR_ND_ROUTERS_IGNORED);
        return;
    }
    free_slot->in_use = true;
    free_slot->ifindex = nif->index;
    memcpy(free_slot->addr, addr, 16);
    free_slot->expires = nd_add_sat(now, (uint64_t)lifetime_s * NS_PER_SEC);
}

/* RFC 4861 6.3.4: the L flag. */
static void onlink_update(struct stack *s, struct netif *nif, const struct nd_prefix_info *pi,
                          uint64_t now)
{
    struct nd_prefix *free_slot = NULL;
    for (size_t i = 0; i < ND_MAX_PREFIXES; i++) {
        struct nd_prefix *p = &s->nd->prefixes[i];
        if (!p->in_use) {
            if (free_slot == NULL)
                free_slot = p;
            continue;
        }
        if (p->ifindex == nif->index && p->len == pi->prefix_len &&
            prefix_match(p->prefix, pi->prefix, pi->prefix_len)) {
            if (pi->valid_lifetime == 0)
                memset(p, 0, sizeof *p);
            else
                p->expires = lifetime_end(now, pi->valid_lifetime);
            return;
        }
    }
    if (pi->valid_lifetime == 0)
        return;
    if (free_slot == NULL) {
        ctr_inc(s, CTR_ND_PREFIXES_IGNORED);
        return;
    }
    free_slot->in_use = true;
    free_slot->ifindex = nif->index;
    memcpy(free_slot->prefix, pi->prefix, 16);
    free_slot->len = pi->prefix_len;
    free_slot->expires = lifetime_end(now, pi->valid_lifetime);
}

/* RFC 4862 5.5.3: the A flag. */
static void slaac_update(struct stack *s, struct netif *nif, const struct nd_prefix_info *pi,
                         uint64_t now)
{
    if (pi->preferred_lifetime > pi->valid_lifetime) /* (c) */
        return;
    if (pi->prefix_len != 64) {
        /* (d): prefix + our 64-bit interface id must make 128 bits. */
        ctr_inc(s, CTR_ND_PREFIXES_IGNORED);
        return;
    }
    uint8_t addr[16], counter = 0;
    struct netif_addr6 *a;
    bool stable = stable_mode(nif);
    if (stable) {
        /* RFC 7217 5: the IID from the prefix, name, DAD_Counter, secret. */
        a = stable_find(nif, pi->prefix);
        if (a == NULL) {
            if (!stable_addr(nif, pi->prefix, &counter, addr))
                return;
            a = addrconf_find(nif, addr);
        }
    } else {
        memcpy(addr, pi->prefix, 8);
        eui64_iid(&nif->mac, addr + 8);
        a = addrconf_find(nif, addr);
    }
    if (a != NULL && !a->autoconf)
        return; /* configured statically: the config wins */
    if (a == NULL) {
        if (pi->valid_lifetime == 0)
            return;
        a = addr_add(s, nif, addr, 64, true);
        if (a == NULL)
            return;
        a->stable = stable;
        a->dad_counter = counter;
        a->valid_until = lifetime_end(now, pi->valid_lifetime);
        a->preferred_until = lifetime_end(now, pi->preferred_lifetime);
        ctr_inc(s, CTR_ND_SLAAC_ADDRS);
        log_addr(s, STACK_LOG_INFO, nif, a, "formed from a router advertisement (SLAAC)");
        dad_start(s, nif, a, now);
        return;
    }
    if (a->state == ADDR6_DUPLICATE)
        return;
    /* (e): preferred lifetime as advertised; the valid lifetime only
     * shrinks below two hours when the remaining one is already shorter,
     * so a forged RA cannot kill the address at once. */
    a->preferred_until = lifetime_end(now, pi->preferred_lifetime);
    if (a->state == ADDR6_DEPRECATED && pi->preferred_lifetime > 0)
        a->state = ADDR6_PREFERRED;
    uint64_t remaining = a->valid_until == 0 ? UINT64_MAX
                         : a->valid_until > now ? a->valid_until - now
                                                : 0;
    uint64_t adv = pi->valid_lifetime == ND_INFINITY
                       ? UINT64_MAX
                       : (uint64_t)pi->valid_lifetime * NS_PER_SEC;
    if (adv > ND_TWO_HOURS_NS || adv > remaining)
        a->valid_until = lifetime_end(now, pi->valid_lifetime);
    else if (remaining > ND_TWO_HOURS_NS)
        a->valid_until = nd_add_sat(now, ND_TWO_HOURS_NS);
    /* else: remaining <= 2 h and adv <= remaining: ignore. */
}

/* RFC 8106 5.3.1: a server or domain from an RA: refreshed if known (a
 * zero lifetime removes it), else added; a full table gives up the entry
 * that expires first. match: same entry? */
static void dns_update(struct nd_dns *table, size_t size, int ifindex, const uint8_t *addr,
                       const char *name, uint32_t lifetime, uint64_t now)
{
    struct nd_dns *e = NULL, *victim = NULL;
    for (size_t i = 0; i < size; i++) {
        struct nd_dns *d = &table[i];
        if (d->in_use && d->expires != 0 && d->expires <= now)
            d->in_use = false; /* expired */
        if (d->in_use && d->ifindex == ifindex &&
            (addr != NULL ? memcmp(d->addr, addr, 16) == 0 : strcmp(d->name, name) == 0))
            e = d;
        if (!d->in_use && victim == NULL)
            victim = d;
    }
    if (lifetime == 0) {
        if (e != NULL)
            e->in_use = false;
        return;
    }
    if (e == NULL) {
        if (victim == NULL) /* full: the one that expires first goes */
            for (size_t i = 0; i < size; i++)
                if (table[i].expires != 0 &&
                    (victim == NULL || table[i].expires < victim->expires))
                    victim = &table[i];
        if (victim == NULL)
            return; /* every entry has an infinite lifetime */
        e = victim;
        memset(e, 0, sizeof *e);
        e->in_use = true;
        e->ifindex = ifindex;
        if (addr != NULL)
            memcpy(e->addr, addr, 16);
        else
            memcpy(e->name, name, strlen(name) + 1);
    }
    e->expires = lifetime == 0xffffffffu ? 0 : lifetime_end(now, lifetime);
}

static void dns_options(struct stack *s, struct netif *nif, const struct nd_opt *opt,
                        uint64_t now)
{
    uint32_t lifetime;
    size_t n;
    if (opt->type == ND_OPT_RDNSS) {
        uint8_t addrs[ND_DNS_MAX_PER_OPT][16];
        if (nd_opt_rdnss(opt, &lifetime, addrs, ND_DNS_MAX_PER_OPT, &n) != WIRE_OK) {
            ctr_inc(s, CTR_ND_RX_DNS_IGNORED);
            return;
        }
        for (size_t i = 0; i < n; i++) {
            /* A server must be a unicast address (RFC 8106 5.1). */
            if (ipv6_addr_is_multicast(addrs[i]) || ipv6_addr_is_unspecified(addrs[i]) ||
                ipv6_addr_is_loopback(addrs[i])) {
                ctr_inc(s, CTR_ND_RX_DNS_IGNORED);
                continue;
            }
            dns_update(s->nd->rdnss, ND_MAX_RDNSS, nif->index, addrs[i], NULL, lifetime, now);
        }
        return;
    }
    char names[ND_DNS_MAX_PER_OPT][ND_DNSSL_NAME_MAX];
    if (nd_opt_dnssl(opt, &lifetime, names, ND_DNS_MAX_PER_OPT, &n) != WIRE_OK) {
        ctr_inc(s, CTR_ND_RX_DNS_IGNORED);
        return;
    }
    for (size_t i = 0; i < n; i++)
        dns_update(s->nd->dnssl, ND_MAX_DNSSL, nif->index, NULL, names[i], lifetime, now);
}

size_t stack_dns6_list(const struct stack *s, struct dns6_info *out, size_t max, uint64_t now)
{
    size_t n = 0;
    if (s->nd == NULL)
        return 0;
    for (int pass = 0; pass < 2; pass++) {
        const struct nd_dns *t = pass == 0 ? s->nd->rdnss : s->nd->dnssl;
        size_t size = pass == 0 ? ND_MAX_RDNSS : ND_MAX_DNSSL;
        for (size_t i = 0; i < size; i++) {
            const struct nd_dns *d = &t[i];
            if (!d->in_use || (d->expires != 0 && d->expires <= now))
                continue;
            if (out != NULL && n < max) {
                struct dns6_info *o = &out[n];
                memset(o, 0, sizeof *o);
                o->ifindex = d->ifindex;
                o->search = pass == 1;
                if (pass == 0)
                    o->server = ipv6_addr_tag(d->addr);
                else
                    memcpy(o->domain, d->name, sizeof o->domain);
                o->lifetime_s = d->expires == 0 ? STACK_LIFETIME_FOREVER
                                                : (uint32_t)((d->expires - now) / NS_PER_SEC);
            }
            n++;
        }
    }
    return n;
}

void addrconf_ra_input(struct stack *s, struct netif *nif, const struct ipv6_view *ip,
                       const struct icmp6_view *m, uint64_t now)
{
    struct nd_ra ra;
    if (nd_parse_ra(m, &ra) != WIRE_OK || !nd_opts_valid(ra.options, ra.options_len) ||
        !ipv6_addr_is_link_local(ip->src)) {
        ctr_inc(s, CTR_ND_RX_DROP_INVALID);
        return;
    }
    if (nif->index >= 0 && nif->index < STACK_MAX_NETIFS)
        s->nd->rs_left[nif->index] = 0; /* RFC 4861 6.3.7: a router answered */

    /* RFC 4861 6.3.4: parameters, when specified. */
    if (ra.cur_hop_limit != 0)
        nif->cur_hop_limit = ra.cur_hop_limit;
    if (ra.reachable_time != 0 && ra.reachable_time <= 3600000) /* MAX_REACHABLE_TIME */
        s->nd->reachable_ns = (uint64_t)ra.reachable_time * NS_PER_MS;
    if (ra.retrans_timer != 0)
        s->nd->retrans_ns = (uint64_t)ra.retrans_timer * NS_PER_MS;
    router_update(s, nif, ip->src, ra.router_lifetime, now);

    struct nd_opt_iter it;
    struct nd_opt opt;
    nd_opt_iter_init(&it, ra.options, ra.options_len);
    for (unsigned guard = 0; guard < 256 && nd_opt_next(&it, &opt) == 1; guard++) {
        if (opt.type == ND_OPT_SLLA) {
            struct eth_addr mac;
            if (nd_opt_lladdr(&opt, &mac) == WIRE_OK)
                nd_learn_lladdr(s, nif, ip->src, &mac, true, now);
        } else if (opt.type == ND_OPT_MTU) {
            uint32_t mtu;
            /* Ignore an MTU below the IPv6 minimum or above the link's. */
            if (nd_opt_mtu(&opt, &mtu) == WIRE_OK && mtu >= IPV6_MIN_MTU && mtu <= nif->mtu)
                nif->mtu6 = mtu;
        } else if (opt.type == ND_OPT_RDNSS || opt.type == ND_OPT_DNSSL) {
            dns_options(s, nif, &opt, now); /* RFC 8106 */
        } else if (opt.type == ND_OPT_PREFIX) {
            struct nd_prefix_info pi;
            if (nd_opt_prefix(&opt, &pi) != WIRE_OK || ipv6_addr_is_link_local(pi.prefix))
                continue; /* RFC 4861 6.3.4 / RFC 4862 5.5.3 (b) */
            if (pi.on_link)
                onlink_update(s, nif, &pi, now);
            if (pi.autonomous && nif->slaac)
                slaac_update(s, nif, &pi, now);
        }
    }
}

bool nd_default_router(struct stack *s, const struct netif *nif, uint8_t out[16])
{
    /* RFC 4861 6.3.6: prefer a router not known to be unreachable. */
    const struct nd_router *fallback = NULL;
    if (s->nd == NULL)
        return false;
    for (size_t i = 0; i < ND_MAX_ROUTERS; i++) {
        const struct nd_router *r = &s->nd->routers[i];
        if (!r->in_use || r->ifindex != nif->index)
            continue;
        bool incomplete = false;
        for (uint32_t j = 0; j < s->nd->size; j++) {
            const struct nd_entry *e = &s->nd->entries[j];
            if (e->state != ND_FREE && e->ifindex == nif->index &&
                memcmp(e->ip, r->addr, 16) == 0) {
                incomplete = e->state == ND_INCOMPLETE;
                break;
            }
        }
        if (!incomplete) {
            memcpy(out, r->addr, 16);
            return true;
        }
        if (fallback == NULL)
            fallback = r;
    }
    if (fallback == NULL)
        return false;
    memcpy(out, fallback->addr, 16);
    return true;
}

bool nd_on_link(const struct stack *s, const struct netif *nif, const uint8_t dst[16])
{
    if (ipv6_addr_is_link_local(dst))
        return true;
    /* Static addresses bring their prefix on-link, as `ip addr add` does. */
    for (size_t i = 0; i < NETIF_MAX_ADDR6; i++) {
        const struct netif_addr6 *a = &nif->addr6[i];
        if ((a->state == ADDR6_PREFERRED || a->state == ADDR6_DEPRECATED) && !a->autoconf &&
            a->prefix_len < 128 && prefix_match(a->addr, dst, a->prefix_len))
            return true;
    }
    if (s->nd == NULL)
        return false;
    for (size_t i = 0; i < ND_MAX_PREFIXES; i++) {
        const struct nd_prefix *p = &s->nd->prefixes[i];
        if (p->in_use && p->ifindex == nif->index && prefix_match(p->prefix, dst, p->len))
            return true;
    }
    return false;
}

bool nd_on_link_len(const struct stack *s, const struct netif *nif, const uint8_t dst[16],
                    unsigned *len)
{
    bool found = false;
    *len = 0;
    if (ipv6_addr_is_link_local(dst)) {
        *len = 10; /* fe80::/10 (RFC 4291 2.5.6) */
        found = true;
    }
    /* Static addresses bring their prefix on-link, as `ip addr add` does,
     * from the moment they are added (tentative ones too). */
    for (size_t i = 0; i < NETIF_MAX_ADDR6; i++) {
        const struct netif_addr6 *a = &nif->addr6[i];
        if (a->state == ADDR6_UNUSED || a->state == ADDR6_DUPLICATE || a->autoconf ||
            a->prefix_len == 0 || a->prefix_len > 128 || !prefix_match(a->addr, dst, a->prefix_len))
            continue;
        if (!found || a->prefix_len > *len)
            *len = a->prefix_len;
        found = true;
    }
    if (s->nd == NULL)
        return found;
    for (size_t i = 0; i < ND_MAX_PREFIXES; i++) {
        const struct nd_prefix *p = &s->nd->prefixes[i];
        if (p->in_use && p->ifindex == nif->index && prefix_match(p->prefix, dst, p->len)) {
            if (!found || p->len > *len)
                *len = p->len;
            found = true;
        }
    }
    return found;
}

static void addr_poll(struct stack *s, struct netif *nif, struct netif_addr6 *a, uint64_t now)
{
    if (a->state == ADDR6_UNUSED)
        return;
    if (a->valid_until != 0 && now >= a->valid_until) {
        log_addr(s, STACK_LOG_INFO, nif, a, "expired (valid lifetime over)");
        uint8_t gone[16];
        memcpy(gone, a->addr, 16);
        memset(a, 0, sizeof *a); /* RFC 4862 5.5.4 */
        mld_addr_removed(s, nif, gone); /* RFC 3810 6.1: leave its group */
        return;
    }
    if (a->state == ADDR6_TENTATIVE && a->dad_timer != 0 && now >= a->dad_timer) {
        if (a->dad_left > 0) {
            a->dad_left--;
            a->dad_timer = nd_add_sat(now, s->nd->retrans_ns);
            nd_dad_send(s, nif, a->addr);
            return;
        }
        /* RFC 4862 5.4: no one answered: the address is ours. */
        a->dad_timer = 0;
        a->state = ADDR6_PREFERRED;
        log_addr(s, STACK_LOG_INFO, nif, a, "ready (DAD done)");
    }
    if (a->state == ADDR6_PREFERRED && a->preferred_until != 0 && now >= a->preferred_until)
        a->state = ADDR6_DEPRECATED; /* RFC 4862 5.5.4 */
}

void addrconf_poll(struct stack *s, uint64_t now)
{
    for (int n = 0; n < s->n_netifs && n < STACK_MAX_NETIFS; n++) {
        struct netif *nif = &s->netifs[n];
        if (!nif->up || !nif->ipv6)
            continue;
        for (size_t i = 0; i < NETIF_MAX_ADDR6; i++)
            addr_poll(s, nif, &nif->addr6[i], now);
        if (s->nd->rs_left[n] > 0 && now >= s->nd->rs_timer[n]) {
            s->nd->rs_left[n]--;
            s->nd->rs_timer[n] = nd_add_sat(now, ND_RTR_SOLICITATION_INTERVAL_NS);
            send_rs(s, nif);
        }
        mld_poll(s, nif, now);
    }
    for (size_t i = 0; i < ND_MAX_ROUTERS; i++) {
        struct nd_router *r = &s->nd->routers[i];
        if (r->in_use && now >= r->expires)
            memset(r, 0, sizeof *r);
    }
    for (size_t i = 0; i < ND_MAX_PREFIXES; i++) {
        struct nd_prefix *p = &s->nd->prefixes[i];
        if (p->in_use && p->expires != 0 && now >= p->expires)
            memset(p, 0, sizeof *p);
    }
}

static void earliest(uint64_t *next, uint64_t t)
{
    if (t != 0 && t < *next)
        *next = t;
}

uint64_t addrconf_next_deadline(const struct stack *s)
{
    uint64_t next = STACK_NO_DEADLINE;
    for (int n = 0; n < s->n_netifs && n < STACK_MAX_NETIFS; n++) {
        const struct netif *nif = &s->netifs[n];
        if (!nif->up || !nif->ipv6)
            continue;
        for (size_t i = 0; i < NETIF_MAX_ADDR6; i++) {
            const struct netif_addr6 *a = &nif->addr6[i];
            if (a->state == ADDR6_UNUSED)
                continue;
            earliest(&next, a->valid_until);
            if (a->state == ADDR6_TENTATIVE)
                earliest(&next, a->dad_timer);
            if (a->state == ADDR6_PREFERRED)
                earliest(&next, a->preferred_until);
        }
        if (s->nd->rs_left[n] > 0)
            earliest(&next, s->nd->rs_timer[n] == 0 ? 1 : s->nd->rs_timer[n]);
        earliest(&next, mld_next_deadline(s, nif));
    }
    for (size_t i = 0; i < ND_MAX_ROUTERS; i++)
        if (s->nd->routers[i].in_use)
            earliest(&next, s->nd->routers[i].expires);
    for (size_t i = 0; i < ND_MAX_PREFIXES; i++)
        if (s->nd->prefixes[i].in_use)
            earliest(&next, s->nd->prefixes[i].expires);
    return next;
}

void nd_netif_up(struct stack *s, struct netif *nif, uint64_t now)
{
    if (s->nd == NULL || !nif->ipv6)
        return;
    addrconf_netif_up(s, nif, now);
    /* The first RS goes out at once (poll would wait for the next wakeup). */
    addrconf_poll(s, now);
}

/* ---- static addresses at run time (`tcpipctl addr add|del`) ---- */

int stack_addr6_add(struct stack *s, int ifindex, const uint8_t addr[16], uint8_t prefix_len,
                    uint64_t now)
{
    struct netif *nif = netif_get(s, ifindex);
    if (nif == NULL)
        return ifindex == STACK_LOOPBACK_IFINDEX ? -EINVAL : -ENODEV;
    if (!nif->ipv6 || s->nd == NULL)
        return -EAFNOSUPPORT;
    /* RFC 4291 2.5: a unicast address an interface may own. */
    if (prefix_len == 0 || prefix_len > 128 || ipv6_addr_is_multicast(addr) ||
        ipv6_addr_is_unspecified(addr) || ipv6_addr_is_loopback(addr) ||
        ipv6_addr_is_v4_mapped(addr))
        return -EINVAL;
    for (int i = 0; i < s->n_netifs; i++)
        if (s->netifs[i].up && addrconf_find(&s->netifs[i], addr) != NULL)
            return -EEXIST;
    struct netif_addr6 *a = addr_add(s, nif, addr, prefix_len, false);
    if (a == NULL)
        return -ENOSPC;
    log_addr(s, STACK_LOG_INFO, nif, a, "added");
    /* RFC 4862 5.4: usable once DAD says nobody else has it. */
    dad_start(s, nif, a, now);
    return 0;
}

int stack_addr6_del(struct stack *s, int ifindex, const uint8_t addr[16], uint8_t prefix_len)
{
    struct netif *nif = netif_get(s, ifindex);
    if (nif == NULL)
        return ifindex == STACK_LOOPBACK_IFINDEX ? -EINVAL : -ENODEV;
    struct netif_addr6 *a = addrconf_find(nif, addr);
    if (a == NULL || a->prefix_len != prefix_len)
        return -EADDRNOTAVAIL;
    log_addr(s, STACK_LOG_INFO, nif, a, "removed");
    uint8_t gone[16];
    memcpy(gone, a->addr, 16);
    memset(a, 0, sizeof *a);
    mld_addr_removed(s, nif, gone); /* RFC 3810 6.1: leave its group */
    return 0;
}
