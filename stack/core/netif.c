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

struct netif *netif_by_ip4(struct stack *s, uint32_t addr)
{
    if (addr == 0)
        return NULL;
    for (int i = 0; i < s->n_netifs; i++) {
        if (s->netifs[i].up && s->netifs[i].ip4 == addr)
            return &s->netifs[i];
    }
    return NULL;
}

bool netif_is_subnet_bcast(const struct netif *nif, uint32_t addr)
{
    /* RFC 3021: a /31 has no broadcast address; a /32 has no subnet. */
    if (nif->ip4 == 0 || nif->prefix_len >= 31)
        return false;
    return addr == (nif->ip4 | ~nif->mask);
}

bool netif_is_ip4_broadcast(const struct netif *nif, uint32_t addr)
{
    return addr == 0xffffffffu || netif_is_subnet_bcast(nif, addr); /* RFC 919 7 */
}

/* A unicast address a host may own: not 0/8, loopback, multicast or
 * reserved (RFC 1122 3.2.1.3, RFC 5735). */
static bool ip4_is_unicast(uint32_t a)
{
    uint8_t first = (uint8_t)(a >> 24);
    return first != 0 && first != 127 && first < 224;
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
    if (cfg->ipv4_prefix_len > 32)
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
        for (int i = 0; i < s->n_netifs; i++) {
            if (s->netifs[i].ip4 == cfg->ipv4_addr)
                return -EINVAL;
        }
    } else if (cfg->ipv4_gateway != 0) {
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
    nif->ip4 = cfg->ipv4_addr;
    nif->prefix_len = cfg->ipv4_prefix_len;
    nif->mask = ip4_mask(cfg->ipv4_prefix_len);
    nif->gateway = cfg->ipv4_gateway;
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
    if (nif->ip4 != 0)
        arp_announce(s, nif); /* RFC 5227 2.3: announce our address */
    nd_netif_up(s, nif, now);
    return index;
}
