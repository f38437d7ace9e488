/* frames6.c - see frames6.h. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "stack/wire/eth.h"
#include "tests/unit/support/frames6.h"

size_t f6_packet(uint8_t *buf, size_t cap, const uint8_t src[16], const uint8_t dst[16],
                 uint8_t nh, uint8_t hl, const void *payload, size_t len)
{
    size_t n = ETH_HLEN + IPV6_HLEN + len;
    if (n > cap || cap < 60)
        return 0;
    struct eth_addr mac = env_mac_us;
    if (ipv6_addr_is_multicast(dst))
        ipv6_multicast_mac(dst, &mac);
    eth_emit(buf, &mac, &env_mac_peer, ETHERTYPE_IPV6);
    struct ipv6_emit_args a = {.next_header = nh, .hop_limit = hl, .payload_len = (uint16_t)len};
    memcpy(a.src, src, 16);
    memcpy(a.dst, dst, 16);
    ipv6_emit(buf + ETH_HLEN, &a);
    if (len > 0)
        memcpy(buf + ETH_HLEN + IPV6_HLEN, payload, len);
    if (n < 60) {
        memset(buf + n, 0, 60 - n);
        n = 60;
    }
    return n;
}

size_t f6_icmp(uint8_t *msg, const uint8_t src[16], const uint8_t dst[16], uint8_t type,
               uint8_t code, uint32_t rest, const void *body, size_t len)
{
    if (len > 0)
        memmove(msg + ICMP6_HLEN, body, len);
    struct ip_addr as = ipv6_addr_tag(src), ad = ipv6_addr_tag(dst);
    icmp6_emit(msg, type, code, rest, len, &as, &ad);
    return ICMP6_HLEN + len;
}

size_t f6_echo(uint8_t *msg, const uint8_t src[16], const uint8_t dst[16], uint16_t id,
               uint16_t seq, size_t len)
{
    for (size_t i = 0; i < len; i++)
        msg[ICMP6_HLEN + i] = (uint8_t)i;
    struct ip_addr as = ipv6_addr_tag(src), ad = ipv6_addr_tag(dst);
    icmp6_emit(msg, ICMP6_ECHO_REQUEST, 0, (uint32_t)id << 16 | seq, len, &as, &ad);
    return ICMP6_HLEN + len;
}

size_t f6_frag(uint8_t *buf, size_t cap, const uint8_t src[16], const uint8_t dst[16],
               uint8_t nh, size_t off, bool more, uint32_t id, const uint8_t *data,
               size_t len)
{
    uint8_t pl[IPV6_FRAG_HLEN + 9000];
    if (len > 9000)
        return 0;
    pl[0] = nh;
    pl[1] = 0;
    wr16(pl + 2, (uint16_t)((off / 8) << 3 | (more ? 1 : 0)));
    wr32(pl + 4, id);
    memcpy(pl + IPV6_FRAG_HLEN, data, len);
    return f6_packet(buf, cap, src, dst, IPV6_NH_FRAGMENT, 64, pl, IPV6_FRAG_HLEN + len);
}

void f6_input(struct stack_env *e, const uint8_t *frame, size_t len)
{
    env_input(e, frame, len);
}

void f6_learn_peer(struct stack_env *e)
{
    uint8_t msg[128], f[256];
    size_t n = env6_ns(msg, env6_peer, env6_us, env6_us, &env_mac_peer);
    size_t fl = f6_packet(f, sizeof f, env6_peer, env6_us, IPV6_NH_ICMPV6, 255, msg, n);
    assert_true(fl > 0);
    env_input(e, f, fl);
    fake_netif_clear(&e->nif);
}
