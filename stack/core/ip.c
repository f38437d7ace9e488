/* ip.c - what the transports see of IP, whatever the family: a route,
 * an output, "is this address ours", "tell the sender the port is
 * closed". IPv4 is core/ipv4.c; IPv6 plugs in here without another
 * change to UDP or TCP. */
#include <errno.h>

#include "stack/core/stack_impl.h"
#include "stack/wire/icmp4.h"
#include "stack/wire/icmp6.h"
#include "stack/wire/ipv6.h"

int ip_route(struct stack *s, const struct ip_addr *dst, const struct ip_addr *src_hint,
             struct ip_route *rt)
{
    if (dst->family == IP_FAMILY_V6) {
        const uint8_t *hint6 = NULL;
        if (src_hint != NULL && src_hint->family == IP_FAMILY_V6)
            hint6 = src_hint->u.v6;
        return ipv6_route(s, dst->u.v6, hint6, rt);
    }
    if (dst->family != IP_FAMILY_V4)
        return -EAFNOSUPPORT;
    uint32_t hint = 0;
    if (src_hint != NULL && src_hint->family == IP_FAMILY_V4)
        hint = src_hint->u.v4;
    struct ipv4_route r4;
    int err = ipv4_route(s, dst->u.v4, hint, &r4);
    if (err != 0)
        return err;
    rt->nif = r4.nif;
    rt->src = ip_addr_v4(r4.src);
    rt->next_hop = ip_addr_v4(r4.next_hop);
    rt->broadcast = r4.broadcast;
    return 0;
}

/* The family's output; frag: may fragment (UDP, ICMP). */
static int output(struct stack *s, const struct ip_route *rt, struct pbuf *p,
                  const struct ip_addr *dst, uint8_t proto, bool frag, uint64_t now)
{
    /* IPv6 hop limit 0: the interface's default. */
    if (dst->family == IP_FAMILY_V6 && rt->src.family == IP_FAMILY_V6)
        return frag ? ipv6_output_frag(s, rt, p, dst->u.v6, proto, 0, now)
                    : ipv6_output(s, rt, p, dst->u.v6, proto, 0, now);
    if (dst->family != IP_FAMILY_V4 || rt->src.family != IP_FAMILY_V4)
        return -EAFNOSUPPORT;
    struct ipv4_route r4 = {
        .nif = rt->nif,
        .src = rt->src.u.v4,
        .next_hop = rt->next_hop.u.v4,
        .broadcast = rt->broadcast,
    };
    return frag ? ipv4_output_frag(s, &r4, p, dst->u.v4, proto, now)
                : ipv4_output(s, &r4, p, dst->u.v4, proto, now);
}

int ip_output(struct stack *s, const struct ip_route *rt, struct pbuf *p,
              const struct ip_addr *dst, uint8_t proto, uint64_t now)
{
    return output(s, rt, p, dst, proto, false, now);
}

int ip_output_frag(struct stack *s, const struct ip_route *rt, struct pbuf *p,
                   const struct ip_addr *dst, uint8_t proto, uint64_t now)
{
    return output(s, rt, p, dst, proto, true, now);
}

bool ip_addr_is_local(struct stack *s, const struct ip_addr *a)
{
    if (a->family == IP_FAMILY_V4)
        return netif_by_ip4(s, a->u.v4) != NULL;
    if (a->family == IP_FAMILY_V6)
        return netif_by_ip6(s, a->u.v6) != NULL;
    return false;
}

void ip_port_unreachable(struct stack *s, const struct ip_rx *rx, uint64_t now)
{
    /* RFC 1122 4.1.3.1 (icmp4_send_error skips broadcasts and applies
     * the rate limit). */
    if (rx->v4 != NULL)
        icmp4_send_error(s, rx->nif, rx->v4, rx->pkt, rx->to_broadcast, ICMP4_DEST_UNREACH,
                         ICMP4_PORT_UNREACH, now);
    else if (rx->src.family == IP_FAMILY_V6 && rx->pkt != NULL)
        /* RFC 4443 3.1: code 4; icmp6_send_error applies 2.4 (e) and the
         * rate limit. The packet's own length is in its header. */
        icmp6_send_error(s, rx->nif, rx->pkt, IPV6_HLEN + rd16(rx->pkt + 4),
                         ICMP6_DEST_UNREACH, ICMP6_PORT_UNREACH, 0, rx->to_broadcast, now);
}
