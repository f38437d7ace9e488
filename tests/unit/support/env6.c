/* env6.c - see env6.h. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "stack/wire/eth.h"
#include "tests/unit/support/env6.h"

const uint8_t env6_us[16] = {0xfd, 0x77, [15] = 2};
const uint8_t env6_ll_us[16] = {0xfe, 0x80, [11] = 0xff, [12] = 0xfe, [15] = 2};
const uint8_t env6_peer[16] = {0xfd, 0x77, [15] = 9};
const uint8_t env6_router[16] = {0xfe, 0x80, [15] = 1};
const uint8_t env6_all_nodes[16] = {0xff, 0x02, [15] = 1};
const uint8_t env6_unspec[16];

struct ip_endpoint env6_ep(const uint8_t addr[16], uint16_t port)
{
    struct ip_endpoint ep;
    memset(&ep, 0, sizeof ep);
    ep.addr = ipv6_addr_tag(addr);
    ep.port = port;
    return ep;
}

void env6_tweak_no_static(struct stack_config *cfg, struct netif_config *ncfg)
{
    /* DAD's first NS at once: the tests step the clock by RetransTimer;
     * test_addrconf covers the RFC 4862 5.4.2 delay itself. */
    cfg->nd_dad_max_delay_ns = 0;
    ncfg->ipv6 = true;
    ncfg->slaac = true;
}

void env6_tweak(struct stack_config *cfg, struct netif_config *ncfg)
{
    env6_tweak_no_static(cfg, ncfg);
    memcpy(ncfg->addr6[0].addr, env6_us, 16);
    ncfg->addr6[0].prefix_len = 64;
    ncfg->n_addr6 = 1;
}

void env6_tweak_no_slaac(struct stack_config *cfg, struct netif_config *ncfg)
{
    env6_tweak(cfg, ncfg);
    ncfg->slaac = false;
}

struct stack_env *env6_ready(env_tweak_fn tweak)
{
    struct stack_env *e = env_new(tweak != NULL ? tweak : env6_tweak, false);
    env_advance(e, 1 * NS_PER_SEC);
    fake_netif_clear(&e->nif);
    return e;
}

void env6_nd_input(struct stack_env *e, const uint8_t src[16], const uint8_t dst[16],
                   const uint8_t *msg, size_t len)
{
    uint8_t pkt[IPV6_HLEN + 256];
    assert_true(len <= 256);
    struct ipv6_emit_args a = {
        .next_header = IPV6_NH_ICMPV6,
        .hop_limit = ND_HOP_LIMIT,
        .payload_len = (uint16_t)len,
    };
    memcpy(a.src, src, 16);
    memcpy(a.dst, dst, 16);
    ipv6_emit(pkt, &a);
    memcpy(pkt + IPV6_HLEN, msg, len);
    struct ipv6_view ip;
    assert_int_equal(ipv6_parse(pkt, IPV6_HLEN + len, &ip), WIRE_OK);
    struct ip_addr as = ipv6_addr_tag(src), ad = ipv6_addr_tag(dst);
    struct icmp6_view m;
    assert_int_equal(icmp6_parse(ip.payload, ip.payload_len, &as, &ad, &m), WIRE_OK);
    nd_input(e->s, netif_get(e->s, e->ifindex), &ip, &m, e->now);
}

void env6_frame_input(struct stack_env *e, const struct eth_addr *src_mac,
                      const uint8_t src[16], const uint8_t dst[16], const uint8_t *msg,
                      size_t len)
{
    uint8_t f[ETH_HLEN + IPV6_HLEN + 256];
    assert_true(len <= 256);
    struct eth_addr dst_mac = env_mac_us;
    if (ipv6_addr_is_multicast(dst))
        ipv6_multicast_mac(dst, &dst_mac);
    eth_emit(f, &dst_mac, src_mac, ETHERTYPE_IPV6);
    struct ipv6_emit_args a = {
        .next_header = IPV6_NH_ICMPV6,
        .hop_limit = ND_HOP_LIMIT,
        .payload_len = (uint16_t)len,
    };
    memcpy(a.src, src, 16);
    memcpy(a.dst, dst, 16);
    ipv6_emit(f + ETH_HLEN, &a);
    memcpy(f + ETH_HLEN + IPV6_HLEN, msg, len);
    env_input(e, f, ETH_HLEN + IPV6_HLEN + len);
}

size_t env6_ns(uint8_t *buf, const uint8_t src[16], const uint8_t dst[16],
               const uint8_t target[16], const struct eth_addr *slla)
{
    size_t opts = slla != NULL ? nd_opt_emit_lladdr(buf + ND_NS_LEN, ND_OPT_SLLA, slla) : 0;
    struct ip_addr as = ipv6_addr_tag(src), ad = ipv6_addr_tag(dst);
    return nd_emit_ns(buf, target, opts, &as, &ad);
}

size_t env6_na(uint8_t *buf, const uint8_t src[16], const uint8_t dst[16], uint32_t flags,
               const uint8_t target[16], const struct eth_addr *tlla)
{
    size_t opts = tlla != NULL ? nd_opt_emit_lladdr(buf + ND_NA_LEN, ND_OPT_TLLA, tlla) : 0;
    struct ip_addr as = ipv6_addr_tag(src), ad = ipv6_addr_tag(dst);
    return nd_emit_na(buf, flags, target, opts, &as, &ad);
}

size_t env6_ra(uint8_t *buf, const struct nd_ra *ra, const struct nd_prefix_info *pi,
               uint32_t mtu)
{
    size_t opts = nd_opt_emit_lladdr(buf + ND_RA_LEN, ND_OPT_SLLA, &env_mac_gw);
    if (pi != NULL)
        opts += nd_opt_emit_prefix(buf + ND_RA_LEN + opts, pi);
    if (mtu != 0)
        opts += nd_opt_emit_mtu(buf + ND_RA_LEN + opts, mtu);
    struct ip_addr as = ipv6_addr_tag(env6_router), ad = ipv6_addr_tag(env6_all_nodes);
    return nd_emit_ra(buf, ra, opts, &as, &ad);
}

bool env6_out(const struct stack_env *e, size_t i, struct env6_out *out)
{
    const struct fake_frame *f = fake_netif_frame(&e->nif, i);
    if (f == NULL || f->len < ETH_HLEN)
        return false;
    if (((unsigned)f->data[12] << 8 | f->data[13]) != ETHERTYPE_IPV6)
        return false;
    memcpy(out->eth_dst.b, f->data, 6);
    if (ipv6_parse(f->data + ETH_HLEN, f->len - ETH_HLEN, &out->ip) != WIRE_OK ||
        out->ip.next_header != IPV6_NH_ICMPV6)
        return false;
    struct ip_addr as = ipv6_addr_tag(out->ip.src), ad = ipv6_addr_tag(out->ip.dst);
    return icmp6_parse(out->ip.payload, out->ip.payload_len, &as, &ad, &out->m) == WIRE_OK;
}

size_t env6_count(const struct stack_env *e, uint8_t type)
{
    size_t n = 0;
    struct env6_out o;
    for (size_t i = 0; i < e->nif.n; i++)
        if (env6_out(e, i, &o) && o.m.type == type)
            n++;
    return n;
}

void env6_last(const struct stack_env *e, uint8_t type, struct env6_out *out)
{
    bool found = false;
    struct env6_out o;
    for (size_t i = 0; i < e->nif.n; i++) {
        if (env6_out(e, i, &o) && o.m.type == type) {
            *out = o;
            found = true;
        }
    }
    assert_true(found);
}

struct netif_addr6 *env6_addr(struct stack_env *e, const uint8_t a[16])
{
    struct netif *nif = netif_get(e->s, e->ifindex);
    for (size_t i = 0; i < NETIF_MAX_ADDR6; i++) {
        if (nif->addr6[i].state != ADDR6_UNUSED && memcmp(nif->addr6[i].addr, a, 16) == 0)
            return &nif->addr6[i];
    }
    return NULL;
}

void env6_slaac_addr(const uint8_t p[16], uint8_t out[16])
{
    memcpy(out, p, 8);
    memcpy(out + 8, env6_ll_us + 8, 8);
}

int env6_send(struct stack_env *e, const uint8_t next_hop[16], size_t len)
{
    uint8_t buf[PBUF_HEADROOM + 512];
    struct pbuf p;
    assert_true(len <= 256);
    pbuf_init(&p, buf, sizeof buf, PBUF_HEADROOM);
    uint8_t *body = pbuf_append(&p, len);
    memset(body, 0xab, len);
    uint8_t *hdr = pbuf_prepend(&p, IPV6_HLEN);
    struct ipv6_emit_args a = {
        .next_header = IPV6_NH_UDP,
        .hop_limit = 64,
        .payload_len = (uint16_t)len,
    };
    memcpy(a.src, env6_us, 16);
    memcpy(a.dst, next_hop, 16);
    ipv6_emit(hdr, &a);
    return nd_output(e->s, netif_get(e->s, e->ifindex), next_hop, &p, e->now);
}
