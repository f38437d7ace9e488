/* netif_ctl.c - interfaces, IPv4 addresses and static neighbours as tools
 * see and change them at run time (`tcpipctl link`, `addr add|del`,
 * `neigh add|del`, `link set mtu`, and the DHCP client): lists, and
 * changes checked as strictly as the config's. */
#include <errno.h>
#include <string.h>

#include "stack/core/stack_impl.h"

static void netif_info_of(const struct netif *nif, struct netif_info *out)
{
    memset(out, 0, sizeof *out);
    out->ifindex = nif->index;
    memcpy(out->name, nif->name, sizeof out->name);
    out->name[sizeof out->name - 1] = '\0';
    out->mac = nif->mac;
    out->mtu = nif->mtu;
    out->up = nif->up;
    out->loopback = nif->loopback;
    out->rx_packets = nif->rx_packets;
    out->rx_bytes = nif->rx_bytes;
    out->tx_packets = nif->tx_packets;
    out->tx_bytes = nif->tx_bytes;
    out->rx_dropped = nif->rx_dropped;
    out->tx_dropped = nif->tx_dropped;
}

size_t stack_netif_list(const struct stack *s, struct netif_info *out, size_t max)
{
    size_t n = 0;
    if (out != NULL && n < max)
        netif_info_of(&s->lo, &out[n]);
    n++;
    for (int i = 0; i < s->n_netifs && i < STACK_MAX_NETIFS; i++) {
        if (!s->netifs[i].up)
            continue;
        if (out != NULL && n < max)
            netif_info_of(&s->netifs[i], &out[n]);
        n++;
    }
    return n;
}

int stack_netif_by_name(const struct stack *s, const char *name)
{
    if (name == NULL)
        return -ENODEV;
    if (strcmp(name, s->lo.name) == 0)
        return STACK_LOOPBACK_IFINDEX;
    for (int i = 0; i < s->n_netifs && i < STACK_MAX_NETIFS; i++)
        if (s->netifs[i].up && strncmp(s->netifs[i].name, name, STACK_IFNAMSIZ) == 0)
            return i;
    return -ENODEV;
}

int stack_netif_set_mtu(struct stack *s, int ifindex, uint32_t mtu)
{
    struct netif *nif = netif_get_any(s, ifindex);
    if (nif == NULL)
        return -ENODEV;
    /* RFC 791: every host takes 68; the frame buffers hold 9000. */
    if (nif->loopback || mtu < 68 || mtu > PBUF_MAX_MTU)
        return -EINVAL;
    if (nif->mtu == mtu)
        return 0;
    nif->mtu = mtu;
    tcp_netif_mtu_changed(s, nif);
    return 0;
}

static void addr4_append(const struct netif *nif, struct addr4_info *out, size_t max,
                         size_t *n, uint64_t now)
{
    for (size_t k = 0; k < NETIF_MAX_ADDR4; k++) {
        const struct netif_addr4 *a = &nif->addr4[k];
        if (a->addr == 0)
            continue;
        if (out != NULL && *n < max) {
            struct addr4_info *o = &out[*n];
            memset(o, 0, sizeof *o);
            o->ifindex = nif->index;
            o->addr = a->addr;
            o->prefix_len = a->prefix_len;
            o->dynamic = a->dynamic;
            o->valid_s = seconds_left(a->valid_until, now);
            o->preferred_s = seconds_left(a->preferred_until, now);
        }
        (*n)++;
    }
}

size_t stack_addr4_list(const struct stack *s, struct addr4_info *out, size_t max, uint64_t now)
{
    size_t n = 0;
    addr4_append(&s->lo, out, max, &n, now);
    for (int i = 0; i < s->n_netifs && i < STACK_MAX_NETIFS; i++)
        if (s->netifs[i].up)
            addr4_append(&s->netifs[i], out, max, &n, now);
    return n;
}

int stack_addr4_add(struct stack *s, int ifindex, uint32_t addr, uint8_t prefix_len,
                    uint64_t now)
{
    (void)now;
    struct netif *nif = netif_get(s, ifindex); /* not lo: its addresses are fixed */
    if (nif == NULL)
        return ifindex == STACK_LOOPBACK_IFINDEX ? -EINVAL : -ENODEV;
    int err = netif_addr4_add(s, nif, addr, prefix_len, false, 0);
    if (err != 0)
        return err;
    arp_announce(s, nif, addr); /* RFC 5227 3: announce a new address */
    return 0;
}

int stack_addr4_del(struct stack *s, int ifindex, uint32_t addr, uint8_t prefix_len)
{
    struct netif *nif = netif_get(s, ifindex);
    if (nif == NULL)
        return ifindex == STACK_LOOPBACK_IFINDEX ? -EINVAL : -ENODEV;
    return netif_addr4_del(nif, addr, prefix_len);
}

static bool mac_ok(const struct eth_addr *m)
{
    static const struct eth_addr zero;
    return !eth_addr_is_multicast(m) && !eth_addr_eq(m, &zero);
}

int stack_neigh_add(struct stack *s, int ifindex, const struct ip_addr *ip,
                    const struct eth_addr *mac, uint64_t now)
{
    struct netif *nif = netif_get(s, ifindex);
    if (nif == NULL)
        return ifindex == STACK_LOOPBACK_IFINDEX ? -EINVAL : -ENODEV;
    if (ip == NULL || mac == NULL || !mac_ok(mac))
        return -EINVAL;
    if (ip->family != IP_FAMILY_V4)
        return -EAFNOSUPPORT; /* static ND entries: not yet */
    /* As the config: a unicast neighbour on one of the interface's
     * subnets, not one of our addresses. */
    if (!ip4_is_unicast(ip->u.v4) || netif_ip4_on_link(nif, ip->u.v4) == NULL ||
        netif_by_ip4(s, ip->u.v4) != NULL || netif_is_subnet_bcast(nif, ip->u.v4))
        return -EINVAL;
    return arp_add_static(s, nif, ip->u.v4, mac, now);
}

int stack_neigh_del(struct stack *s, int ifindex, const struct ip_addr *ip)
{
    struct netif *nif = netif_get(s, ifindex);
    if (nif == NULL)
        return ifindex == STACK_LOOPBACK_IFINDEX ? -EINVAL : -ENODEV;
    if (ip == NULL)
        return -EINVAL;
    if (ip->family != IP_FAMILY_V4)
        return -EAFNOSUPPORT;
    return arp_forget(s, ifindex, ip->u.v4);
}
