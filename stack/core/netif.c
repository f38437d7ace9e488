/* netif.c - network interfaces: validation, bring-up, address lookups. */
#include <errno.h>
#include <string.h>

#include "stack/core/stack_impl.h"
#include "stack/wire/ipv6.h"

struct netif *netif_get(struct stack *s, int ifindex)
{
    if (ifindex < 0 || ifindex >= s->n_netifs || !s->netifs[ifindex].up)
        return NULL;
    return &s->netifs[ifindex];
}

struct netif *netif_get_any(struct stack *s, int ifindex)
{
    if (ifindex == STACK_LOOPBACK_IFINDEX)
        return &s->lo;
    return netif_get(s, ifindex);
}

bool netif_has_ip4(const struct netif *nif, uint32_t addr)
{
    if (addr == 0)
        return false;
    for (size_t k = 0; k < NETIF_MAX_ADDR4; k++)
        if (nif->addr4[k].addr == addr)
            return true;
    return false;
}

struct netif *netif_by_ip4(struct stack *s, uint32_t addr)
{
    if (addr == 0)
        return NULL;
    /* RFC 1122 3.2.1.3 (g): all of 127/8 is this host's, through lo. */
    if ((addr >> 24) == 127)
        return &s->lo;
    for (int i = 0; i < s->n_netifs; i++) {
        if (s->netifs[i].up && netif_has_ip4(&s->netifs[i], addr))
            return &s->netifs[i];
    }
    return NULL;
}

const struct netif_addr4 *netif_ip4_on_link(const struct netif *nif, uint32_t dst)
{
    const struct netif_addr4 *best = NULL;
    for (size_t k = 0; k < NETIF_MAX_ADDR4; k++) {
        const struct netif_addr4 *a = &nif->addr4[k];
        if (a->addr != 0 && (dst & a->mask) == (a->addr & a->mask) &&
            (best == NULL || a->prefix_len > best->prefix_len))
            best = a;
    }
    return best;
}

uint32_t netif_ip4_source(const struct netif *nif, uint32_t dst)
{
    const struct netif_addr4 *a = netif_ip4_on_link(nif, dst);
    if (a != NULL)
        return a->addr;
    for (size_t k = 0; k < NETIF_MAX_ADDR4; k++)
        if (nif->addr4[k].addr != 0)
            return nif->addr4[k].addr;
    return 0;
}

bool netif_is_subnet_bcast(const struct netif *nif, uint32_t addr)
{
    /* RFC 3021: a /31 has no broadcast address; a /32 has no subnet. */
    for (size_t k = 0; k < NETIF_MAX_ADDR4; k++) {
        const struct netif_addr4 *a = &nif->addr4[k];
        if (a->addr != 0 && a->prefix_len < 31 && addr == (a->addr | ~a->mask))
            return true;
    }
    return false;
}

bool netif_is_ip4_broadcast(const struct netif *nif, uint32_t addr)
{
    return addr == 0xffffffffu || netif_is_subnet_bcast(nif, addr); /* RFC 919 7 */
}

/* A unicast address a host may own: not 0/8, loopback, multicast or
 * reserved (RFC 1122 3.2.1.3, RFC 5735). */
bool ip4_is_unicast(uint32_t a)
{
    uint8_t first = (uint8_t)(a >> 24);
    return first != 0 && first != 127 && first < 224;
}

/* A host address of addr/prefix_len: unicast, and neither the network
 * nor the broadcast address of a subnet that has them (RFC 3021: /31 and
 * /32 have neither). */
static bool ip4_host_ok(uint32_t addr, uint8_t prefix_len)
{
    if (prefix_len > 32 || !ip4_is_unicast(addr))
        return false;
    uint32_t mask = ip4_mask(prefix_len);
    if (prefix_len < 31 && ((addr & ~mask) == ~mask || (addr & ~mask) == 0))
        return false;
    return true;
}

int netif_addr4_add(struct stack *s, struct netif *nif, uint32_t addr, uint8_t prefix_len,
                    bool dynamic, uint64_t valid_until)
{
    if (!ip4_host_ok(addr, prefix_len))
        return -EINVAL;
    if (netif_by_ip4(s, addr) != NULL)
        return -EEXIST;
    for (size_t k = 0; k < NETIF_MAX_ADDR4; k++) {
        struct netif_addr4 *a = &nif->addr4[k];
        if (a->addr != 0)
            continue;
        memset(a, 0, sizeof *a);
        a->addr = addr;
        a->prefix_len = prefix_len;
        a->mask = ip4_mask(prefix_len);
        a->dynamic = dynamic;
        a->valid_until = valid_until;
        return 0;
    }
    return -ENOSPC;
}

int netif_addr4_del(struct netif *nif, uint32_t addr, uint8_t prefix_len)
{
    for (size_t k = 0; k < NETIF_MAX_ADDR4; k++) {
        struct netif_addr4 *a = &nif->addr4[k];
        if (a->addr != 0 && a->addr == addr && a->prefix_len == prefix_len) {
            /* Keep the order of the others: the first stays the first. */
            memmove(a, a + 1, (NETIF_MAX_ADDR4 - k - 1) * sizeof *a);
            memset(&nif->addr4[NETIF_MAX_ADDR4 - 1], 0, sizeof *a);
            return 0;
        }
    }
    return -EADDRNOTAVAIL;
}

static bool mac_is_unicast(const struct eth_addr *m)
{
    static const struct eth_addr zero;
    return !eth_addr_is_multicast(m) && !eth_addr_eq(m, &zero);
}

static int netif_config_check(const struct stack *s, const struct netif_config *cfg,
                              const struct netif_ops *ops)
{
    if (ops == NULL || ops->send == NULL)
        return -EINVAL;
    size_t name_len = strnlen(cfg->name, STACK_IFNAMSIZ);
    if (name_len == 0 || name_len == STACK_IFNAMSIZ)
        return -EINVAL;
    for (int i = 0; i < s->n_netifs; i++) {
        if (strcmp(s->netifs[i].name, cfg->name) == 0)
            return -EINVAL;
    }
    if (!mac_is_unicast(&cfg->mac))
        return -EINVAL;
    if (cfg->mtu < 68 || cfg->mtu > PBUF_MAX_MTU) /* RFC 791: every host takes 68 */
        return -EINVAL;
    if (cfg->ipv4_prefix_len > 32 || cfg->n_addr4 > NETIF_MAX_STATIC_ADDR4)
        return -EINVAL;
    if (cfg->ipv4_addr != 0) {
        if (!ip4_is_unicast(cfg->ipv4_addr))
            return -EINVAL;
        uint32_t mask = ip4_mask(cfg->ipv4_prefix_len);
        /* The network's own broadcast address cannot be a host's. */
        if (cfg->ipv4_prefix_len < 31 && (cfg->ipv4_addr & ~mask) == ~mask)
            return -EINVAL;
        if (cfg->ipv4_gateway != 0) {
            /* RFC 1122 3.3.1.1: the gateway must be on a connected network. */
            if (!ip4_is_unicast(cfg->ipv4_gateway) || cfg->ipv4_gateway == cfg->ipv4_addr ||
                (cfg->ipv4_gateway & mask) != (cfg->ipv4_addr & mask))
                return -EINVAL;
        }
        if (netif_by_ip4((struct stack *)s, cfg->ipv4_addr) != NULL)
            return -EINVAL;
    } else if (cfg->ipv4_gateway != 0 || cfg->n_addr4 > 0) {
        return -EINVAL;
    }
    /* DHCP brings the address; a static one beside it is not supported. */
    if (cfg->dhcp4 && cfg->ipv4_addr != 0)
        return -EINVAL;
    for (size_t i = 0; i < cfg->n_addr4; i++) {
        const struct netif_addr4_config *a = &cfg->addr4[i];
        if (!ip4_host_ok(a->addr, a->prefix_len) || a->addr == cfg->ipv4_addr ||
            netif_by_ip4((struct stack *)s, a->addr) != NULL)
            return -EINVAL;
        for (size_t j = 0; j < i; j++)
            if (cfg->addr4[j].addr == a->addr)
                return -EINVAL;
    }
    if (cfg->n_addr6 > NETIF_MAX_STATIC_ADDR6)
        return -EINVAL;
    if (cfg->addr_gen_mode != NETIF_ADDR_GEN_EUI64 &&
        cfg->addr_gen_mode != NETIF_ADDR_GEN_STABLE_PRIVACY)
        return -EINVAL;
    for (size_t i = 0; i < cfg->n_addr6; i++) {
        /* RFC 4291 2.5: an interface's unicast address. */
        const uint8_t *a = cfg->addr6[i].addr;
        if (cfg->addr6[i].prefix_len == 0 || cfg->addr6[i].prefix_len > 128 ||
            ipv6_addr_is_multicast(a) || ipv6_addr_is_unspecified(a) ||
            ipv6_addr_is_loopback(a) || ipv6_addr_is_v4_mapped(a))
            return -EINVAL;
    }
    if (cfg->n_neigh > 0 && cfg->neigh == NULL)
        return -EINVAL;
    if (cfg->n_neigh > s->cfg.arp_cache_size)
        return -EINVAL;
    for (size_t i = 0; i < cfg->n_neigh; i++) {
        if (!ip4_is_unicast(cfg->neigh[i].ip) || !mac_is_unicast(&cfg->neigh[i].mac))
            return -EINVAL;
    }
    return 0;
}

int stack_netif_add(struct stack *s, const struct netif_config *cfg,
                    const struct netif_ops *ops, void *ctx, uint64_t now)
{
    if (cfg == NULL)
        return -EINVAL;
    int err = netif_config_check(s, cfg, ops);
    if (err != 0) {
        stack_log(s, STACK_LOG_ERR, "netif: %.*s: bad interface configuration",
                  STACK_IFNAMSIZ, cfg->name);
        return err;
    }
    if (s->n_netifs >= STACK_MAX_NETIFS)
        return -ENOSPC;

    int index = s->n_netifs;
    struct netif *nif = &s->netifs[index];
    memset(nif, 0, sizeof *nif);
    nif->index = index;
    memcpy(nif->name, cfg->name, strnlen(cfg->name, STACK_IFNAMSIZ));
    nif->mac = cfg->mac;
    nif->mtu = cfg->mtu;
    if (cfg->ipv4_addr != 0) {
        /* Checked above; only a /0../30 network address could fail here. */
        nif->addr4[0].addr = cfg->ipv4_addr;
        nif->addr4[0].prefix_len = cfg->ipv4_prefix_len;
        nif->addr4[0].mask = ip4_mask(cfg->ipv4_prefix_len);
        for (size_t i = 0; i < cfg->n_addr4; i++) {
            nif->addr4[i + 1].addr = cfg->addr4[i].addr;
            nif->addr4[i + 1].prefix_len = cfg->addr4[i].prefix_len;
            nif->addr4[i + 1].mask = ip4_mask(cfg->addr4[i].prefix_len);
        }
    }
    nif->ops = *ops;
    nif->ctx = ctx;
    /* Offloads need the op that carries them; TSO needs checksum offload. */
    if (ops->send_offload != NULL && (cfg->offloads & NETIF_OFFLOAD_TX_CSUM) != 0)
        nif->offloads = cfg->offloads & (NETIF_OFFLOAD_TX_CSUM | NETIF_OFFLOAD_TSO4 |
                                         NETIF_OFFLOAD_TSO6);
    nif->up = true;
    /* IPv6 (RFC 4862 5.4): static addresses start TENTATIVE; nd_netif_up
     * adds the link-local one and runs DAD on all of them. */
    nif->ipv6 = cfg->ipv6;
    nif->slaac = cfg->slaac;
    nif->addr_gen_mode = cfg->addr_gen_mode;
    memcpy(nif->stable_secret, cfg->stable_secret, sizeof nif->stable_secret);
    nif->cur_hop_limit = 64;
    if (cfg->ipv6) {
        for (size_t i = 0; i < cfg->n_addr6 && i < NETIF_MAX_STATIC_ADDR6; i++) {
            nif->addr6[i].state = ADDR6_TENTATIVE;
            memcpy(nif->addr6[i].addr, cfg->addr6[i].addr, 16);
            nif->addr6[i].prefix_len = cfg->addr6[i].prefix_len;
        }
    }
    s->n_netifs++;

    for (size_t i = 0; i < cfg->n_neigh; i++) {
        err = arp_add_static(s, nif, cfg->neigh[i].ip, &cfg->neigh[i].mac, now);
        if (err != 0) {
            /* Cache full of other interfaces' static entries: undo. The
             * interface sent nothing yet. */
            stack_log(s, STACK_LOG_ERR, "netif: %s: no room for static neighbours", nif->name);
            arp_forget_netif(s, index);
            nif->up = false;
            s->n_netifs--;
            return err;
        }
    }
    if (cfg->ipv4_gateway != 0) {
        /* The interface's default route, as `ip route add default via`. */
        struct stack_route r = {
            .dst = ip_addr_v4(0), .prefix_len = 0, .gateway = ip_addr_v4(cfg->ipv4_gateway),
            .ifindex = index, .metric = 0, .proto = ROUTE_PROTO_STATIC,
        };
        (void)route_add(s, &r, now); /* a fresh interface's route cannot clash */
    }
    for (size_t k = 0; k < NETIF_MAX_ADDR4; k++)
        if (nif->addr4[k].addr != 0)
            arp_announce(s, nif, nif->addr4[k].addr); /* RFC 5227 2.3 */
    if (cfg->dhcp4 && dhcp4_start(s, nif, cfg->dhcp4_previous, now) != 0)
        stack_log(s, STACK_LOG_ERR, "netif: %s: no memory for the DHCP client", nif->name);
    nd_netif_up(s, nif, now);
    return index;
}
