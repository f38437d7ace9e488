/* test_ipv4.c - IPv4 input validation, local delivery, routing and output. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "stack/wire/checksum.h"
#include "tests/unit/support/stack_env.h"

#define IP_OFF ETH_HLEN

/* Recompute the header checksum after a test changed the header. */
static void fix_csum(uint8_t *frame)
{
    uint8_t *ip = frame + IP_OFF;
    size_t ihl = (size_t)(ip[0] & 0x0f) * 4;
    if (ihl < IPV4_HLEN)
        ihl = IPV4_HLEN;
    ip[10] = ip[11] = 0;
    wr16(ip + 10, inet_csum(ip, ihl));
}

struct fixture {
    struct stack_env *e;
    struct udp_sock *us; /* bound to *:9 */
    uint8_t f[FRAME_MAX];
    size_t n;            /* a valid UDP frame peer:1234 -> us:9 in f */
};

static void fixture_init(struct fixture *fx, env_tweak_fn tweak)
{
    fx->e = env_new(tweak, false);
    fx->us = udp_sock_open(fx->e->s, NULL, NULL);
    assert_non_null(fx->us);
    struct ip_endpoint l = env_ep(0, 9);
    assert_int_equal(udp_sock_bind(fx->us, &l), 0);
    fx->n = env_udp_to_us(fx->f, sizeof fx->f, 1234, 9, "payload!", 8);
    assert_true(fx->n > 0);
}

static void fixture_done(struct fixture *fx)
{
    udp_sock_close(fx->us);
    env_free(fx->e);
}

/* Feed a mutated copy of the valid frame; expect one count of ctr and no
 * delivery. */
static void expect_drop(struct fixture *fx, uint8_t *g, size_t n, enum stack_counter ctr)
{
    uint64_t before = env_ctr(fx->e, ctr);
    uint64_t delivered = env_ctr(fx->e, CTR_IPV4_RX_DELIVERED);
    env_input(fx->e, g, n);
    assert_int_equal(env_ctr(fx->e, ctr), before + 1);
    assert_int_equal(env_ctr(fx->e, CTR_IPV4_RX_DELIVERED), delivered);
    assert_int_equal(udp_sock_peek_size(fx->us), -EAGAIN);
}

static void test_valid_delivered(void **state)
{
    (void)state;
    struct fixture fx;
    fixture_init(&fx, NULL);
    env_input(fx.e, fx.f, fx.n);
    assert_int_equal(env_ctr(fx.e, CTR_IPV4_RX), 1);
    assert_int_equal(env_ctr(fx.e, CTR_IPV4_RX_DELIVERED), 1);
    assert_int_equal(udp_sock_peek_size(fx.us), 8);
    fixture_done(&fx);
}

static void test_header_drops(void **state)
{
    (void)state;
    struct fixture fx;
    fixture_init(&fx, NULL);
    uint8_t g[FRAME_MAX];

    memcpy(g, fx.f, fx.n);
    g[IP_OFF] = 0x65; /* version 6 */
    fix_csum(g);
    expect_drop(&fx, g, fx.n, CTR_IPV4_RX_DROP_BAD_VERSION);

    memcpy(g, fx.f, fx.n);
    g[IP_OFF] = 0x44; /* IHL 4 */
    fix_csum(g);
    expect_drop(&fx, g, fx.n, CTR_IPV4_RX_DROP_BAD_HEADER);

    memcpy(g, fx.f, fx.n);
    wr16(g + IP_OFF + 2, 200); /* total length past the frame */
    fix_csum(g);
    expect_drop(&fx, g, fx.n, CTR_IPV4_RX_DROP_BAD_LENGTH);

    memcpy(g, fx.f, fx.n);
    wr16(g + IP_OFF + 2, 19); /* total length below the header */
    fix_csum(g);
    expect_drop(&fx, g, fx.n, CTR_IPV4_RX_DROP_BAD_LENGTH);

    memcpy(g, fx.f, fx.n);
    g[IP_OFF + 10] ^= 0x40; /* checksum */
    expect_drop(&fx, g, fx.n, CTR_IPV4_RX_DROP_BAD_CSUM);

    expect_drop(&fx, fx.f, IP_OFF + 12, CTR_IPV4_RX_DROP_TRUNCATED);

    memcpy(g, fx.f, fx.n);
    g[IP_OFF + 8] = 0; /* TTL 0 */
    fix_csum(g);
    expect_drop(&fx, g, fx.n, CTR_IPV4_RX_DROP_TTL_ZERO);
    fixture_done(&fx);
}

static void test_bad_sources(void **state)
{
    (void)state;
    struct fixture fx;
    fixture_init(&fx, NULL);
    const uint32_t bad[] = {0xffffffffu, 0xe0000001u, 0, 0x7f000001u, ENV_IP_BCAST,
                            0xf0000001u};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        uint8_t g[FRAME_MAX];
        size_t n = frame_udp(g, sizeof g, &env_mac_us, &env_mac_peer, bad[i], ENV_IP_US, 1234,
                             9, "x", 1);
        expect_drop(&fx, g, n, CTR_IPV4_RX_DROP_BAD_SRC);
    }
    assert_int_equal(fx.e->nif.n, 0); /* and certainly no ICMP to them */
    fixture_done(&fx);
}

static void test_not_for_us(void **state)
{
    (void)state;
    struct fixture fx;
    fixture_init(&fx, NULL);
    uint8_t g[FRAME_MAX];
    size_t n = frame_udp(g, sizeof g, &env_mac_us, &env_mac_peer, ENV_IP_PEER, ENV_IP_US + 1,
                         1234, 9, "x", 1);
    expect_drop(&fx, g, n, CTR_IPV4_RX_DROP_NOT_FOR_US);
    n = frame_udp(g, sizeof g, &env_mac_us, &env_mac_peer, ENV_IP_PEER, 0xe0000001u, 1234, 9,
                  "x", 1);
    expect_drop(&fx, g, n, CTR_IPV4_RX_DROP_NOT_FOR_US);
    /* RFC 1122 3.3.6: our unicast address in a link-layer broadcast. */
    n = frame_udp(g, sizeof g, &frame_broadcast_mac, &env_mac_peer, ENV_IP_PEER, ENV_IP_US,
                  1234, 9, "x", 1);
    expect_drop(&fx, g, n, CTR_IPV4_RX_DROP_NOT_FOR_US);
    assert_int_equal(fx.e->nif.n, 0); /* we do not forward */
    fixture_done(&fx);
}

/* RFC 791 3.2: fragments go to reassembly (tests/unit/test_reasm4.c has
 * the details); a malformed one is refused before it. */
static void test_fragments_to_reassembly(void **state)
{
    (void)state;
    struct fixture fx;
    fixture_init(&fx, NULL);
    uint8_t g[FRAME_MAX];
    memcpy(g, fx.f, fx.n);
    wr16(g + IP_OFF + 6, IPV4_FLAG_MF); /* first fragment: 16 bytes, held */
    fix_csum(g);
    expect_drop(&fx, g, fx.n, CTR_IPV4_REASM_REQDS);
    memcpy(g, fx.f, fx.n);
    wr16(g + IP_OFF + 6, 100); /* last fragment, offset 800: held, a hole between */
    fix_csum(g);
    expect_drop(&fx, g, fx.n, CTR_IPV4_REASM_REQDS);
    memcpy(g, fx.f, fx.n);
    wr16(g + IP_OFF + 2, IPV4_HLEN + 15); /* 15 bytes, not the last: malformed */
    wr16(g + IP_OFF + 6, IPV4_FLAG_MF | 10);
    fix_csum(g);
    expect_drop(&fx, g, fx.n, CTR_IPV4_RX_DROP_FRAGMENT);
    assert_int_equal(env_ctr(fx.e, CTR_IPV4_REASM_OKS), 0);
    assert_int_equal(fx.e->nif.n, 0);
    fixture_done(&fx);
}

static void test_unknown_protocol(void **state)
{
    (void)state;
    struct fixture fx;
    fixture_init(&fx, NULL);
    env_learn(fx.e, ENV_IP_PEER, &env_mac_peer);
    uint8_t g[FRAME_MAX];
    struct ipv4_emit_args ip = {.frag = IPV4_FLAG_DF, .ttl = 64, .proto = 99,
                                .src = ENV_IP_PEER, .dst = ENV_IP_US};
    size_t n = frame_ipv4(g, sizeof g, &env_mac_us, &env_mac_peer, &ip, "0123456789", 10);
    expect_drop(&fx, g, n, CTR_IPV4_RX_DROP_UNKNOWN_PROTO);
    /* RFC 1122 3.2.2.1: protocol unreachable, quoting the datagram. */
    assert_int_equal(fx.e->nif.n, 1);
    struct parsed_frame pf;
    env_frame(fx.e, 0, &pf);
    assert_true(pf.is_icmp);
    assert_int_equal(pf.icmp.type, ICMP4_DEST_UNREACH);
    assert_int_equal(pf.icmp.code, ICMP4_PROTO_UNREACH);
    assert_int_equal(pf.ip.dst, ENV_IP_PEER);
    assert_int_equal(pf.icmp.body_len, IPV4_HLEN + 10);
    assert_memory_equal(pf.icmp.body, g + IP_OFF, IPV4_HLEN + 10);

    /* TCP is known: delivered to TCP, not counted as unknown, and no
     * protocol unreachable (this junk's byte 12, '2', is a data offset of
     * 3 words: a TCP header drop, no answer). */
    fake_netif_clear(&fx.e->nif);
    ip.proto = IPPROTO_TCP_;
    n = frame_ipv4(g, sizeof g, &env_mac_us, &env_mac_peer, &ip, "01234567890123456789", 20);
    uint64_t unknown = env_ctr(fx.e, CTR_IPV4_RX_DROP_UNKNOWN_PROTO);
    uint64_t delivered = env_ctr(fx.e, CTR_IPV4_RX_DELIVERED);
    env_input(fx.e, g, n);
    assert_int_equal(env_ctr(fx.e, CTR_IPV4_RX_DROP_UNKNOWN_PROTO), unknown);
    assert_int_equal(env_ctr(fx.e, CTR_IPV4_RX_DELIVERED), delivered + 1);
    assert_int_equal(env_ctr(fx.e, CTR_TCP_RX_SEGS), 1);
    assert_int_equal(env_ctr(fx.e, CTR_TCP_RX_DROP_BAD_HEADER), 1);
    assert_int_equal(fx.e->nif.n, 0);
    fixture_done(&fx);
}

static void test_options_skipped(void **state)
{
    (void)state;
    struct fixture fx;
    fixture_init(&fx, NULL);
    /* Rebuild the frame with IHL 6: four bytes of options (NOP x3, EOL). */
    uint8_t g[FRAME_MAX];
    memcpy(g, fx.f, IP_OFF + IPV4_HLEN);
    uint8_t opts[4] = {1, 1, 1, 0};
    memcpy(g + IP_OFF + IPV4_HLEN, opts, 4);
    size_t l4 = UDP_HLEN + 8; /* UDP header + "payload!" (fx.f is padded) */
    memcpy(g + IP_OFF + 24, fx.f + IP_OFF + IPV4_HLEN, l4);
    g[IP_OFF] = 0x46;
    wr16(g + IP_OFF + 2, (uint16_t)(24 + l4));
    fix_csum(g);
    env_input(fx.e, g, IP_OFF + 24 + l4);
    assert_int_equal(env_ctr(fx.e, CTR_IPV4_RX_DELIVERED), 1);
    char buf[16];
    assert_int_equal(udp_sock_recvfrom(fx.us, buf, sizeof buf, NULL), 8);
    assert_memory_equal(buf, "payload!", 8);
    fixture_done(&fx);
}

/* The valid frame rebuilt with an 8-byte source route option (one
 * address, 10.77.0.9) whose pointer is ptr; returns the frame length. */
static size_t frame_with_srr(const struct fixture *fx, uint8_t *g, uint8_t type, uint8_t ptr)
{
    memcpy(g, fx->f, IP_OFF + IPV4_HLEN);
    const uint8_t opts[8] = {type, 7, ptr, 10, 77, 0, 9, 0};
    memcpy(g + IP_OFF + IPV4_HLEN, opts, sizeof opts);
    size_t l4 = UDP_HLEN + 8;
    memcpy(g + IP_OFF + 28, fx->f + IP_OFF + IPV4_HLEN, l4);
    g[IP_OFF] = 0x47;
    wr16(g + IP_OFF + 2, (uint16_t)(28 + l4));
    fix_csum(g);
    return IP_OFF + 28 + l4;
}

/* Issue 14: a source route with hops left asks a host to forward; it is
 * dropped and counted (Linux accept_source_route=0). An exhausted one
 * reached its destination: delivered. */
static void test_source_route_dropped(void **state)
{
    (void)state;
    struct fixture fx;
    fixture_init(&fx, NULL);
    uint8_t g[FRAME_MAX];
    size_t n = frame_with_srr(&fx, g, 0x83, 4);
    expect_drop(&fx, g, n, CTR_IPV4_RX_DROP_SOURCE_ROUTE);
    n = frame_with_srr(&fx, g, 0x89, 4);
    expect_drop(&fx, g, n, CTR_IPV4_RX_DROP_SOURCE_ROUTE);
    assert_int_equal(fx.e->nif.total, 0); /* nothing answered */
    n = frame_with_srr(&fx, g, 0x83, 8);
    env_input(fx.e, g, n);
    assert_int_equal(env_ctr(fx.e, CTR_IPV4_RX_DELIVERED), 1);
    assert_int_equal(env_ctr(fx.e, CTR_IPV4_RX_DROP_SOURCE_ROUTE), 2);
    assert_int_equal(udp_sock_peek_size(fx.us), 8);
    fixture_done(&fx);
}

static void test_broadcast_delivery(void **state)
{
    (void)state;
    struct fixture fx;
    fixture_init(&fx, NULL);
    uint8_t g[FRAME_MAX];
    size_t n = frame_udp(g, sizeof g, &frame_broadcast_mac, &env_mac_peer, ENV_IP_PEER,
                         0xffffffffu, 1234, 9, "x", 1);
    env_input(fx.e, g, n);
    n = frame_udp(g, sizeof g, &frame_broadcast_mac, &env_mac_peer, ENV_IP_PEER, ENV_IP_BCAST,
                  1234, 9, "y", 1);
    env_input(fx.e, g, n);
    assert_int_equal(env_ctr(fx.e, CTR_IPV4_RX_DELIVERED), 2);
    fixture_done(&fx);
}

static void test_route_on_link_and_gateway(void **state)
{
    (void)state;
    struct stack_env *e = env_new(NULL, false);
    struct udp_sock *us = udp_sock_open(e->s, NULL, NULL);
    struct ip_endpoint near = env_ep(ENV_IP_PEER, 7), far = env_ep(ENV_IP_FAR, 7);

    assert_int_equal(udp_sock_sendto(us, "n", 1, &near, e->now), 1);
    struct parsed_frame pf;
    env_frame(e, 0, &pf);
    assert_true(pf.is_arp);
    assert_int_equal(pf.arp.tpa, ENV_IP_PEER);

    fake_netif_clear(&e->nif);
    assert_int_equal(udp_sock_sendto(us, "f", 1, &far, e->now), 1);
    env_frame(e, 0, &pf);
    assert_true(pf.is_arp);
    assert_int_equal(pf.arp.tpa, ENV_IP_GW); /* off-link: ask for the gateway */

    fake_netif_clear(&e->nif);
    uint8_t f[64];
    size_t n = frame_arp(f, sizeof f, &env_mac_us, &env_mac_gw, ARP_OP_REPLY, &env_mac_gw,
                         ENV_IP_GW, &env_mac_us, ENV_IP_US);
    env_input(e, f, n);
    assert_int_equal(e->nif.n, 1);
    env_frame(e, 0, &pf);
    assert_true(pf.is_udp);
    assert_true(eth_addr_eq(&pf.eth.dst, &env_mac_gw));
    assert_int_equal(pf.ip.dst, ENV_IP_FAR);
    udp_sock_close(us);
    env_free(e);
}

static void test_no_route(void **state)
{
    (void)state;
    struct stack_env *e = env_new(env_no_gateway, false);
    struct udp_sock *us = udp_sock_open(e->s, NULL, NULL);
    struct ip_endpoint far = env_ep(ENV_IP_FAR, 7);
    assert_int_equal(udp_sock_sendto(us, "f", 1, &far, e->now), -ENETUNREACH);
    assert_int_equal(env_ctr(e, CTR_IPV4_TX_DROP_NO_ROUTE), 1);
    /* Multicast has no route either (no group support); loopback goes
     * through lo (test_loopback.c), never to the link. */
    struct ip_endpoint lo = env_ep(0x7f000001u, 7), mc = env_ep(0xe0000001u, 7);
    assert_int_equal(udp_sock_sendto(us, "f", 1, &lo, e->now), 1);
    assert_int_equal(udp_sock_sendto(us, "f", 1, &mc, e->now), -ENETUNREACH);
    assert_int_equal(e->nif.n, 0);
    udp_sock_close(us);
    env_free(e);
}

static void test_output_header(void **state)
{
    (void)state;
    struct stack_env *e = env_new(NULL, false);
    env_learn(e, ENV_IP_PEER, &env_mac_peer);
    struct udp_sock *us = udp_sock_open(e->s, NULL, NULL);
    struct ip_endpoint near = env_ep(ENV_IP_PEER, 7);
    assert_int_equal(udp_sock_sendto(us, "a", 1, &near, e->now), 1);
    assert_int_equal(udp_sock_sendto(us, "b", 1, &near, e->now), 1);
    struct parsed_frame p0, p1;
    env_frame(e, 0, &p0);
    env_frame(e, 1, &p1);
    assert_true(p0.is_ipv4 && p1.is_ipv4); /* header checksum verified */
    assert_int_equal(p0.ip.frag, IPV4_FLAG_DF);
    assert_int_equal(p0.ip.ttl, e->cfg.ip_default_ttl);
    assert_int_equal(p0.ip.ihl, IPV4_HLEN);
    assert_int_equal(p0.ip.tos, 0);
    assert_int_equal((uint16_t)(p0.ip.id + 1), p1.ip.id);
    assert_int_equal(p0.ip.total_len, IPV4_HLEN + UDP_HLEN + 1);
    assert_int_equal(e->nif.frames[0].len, 60); /* short frames are padded */
    assert_int_equal(env_ctr(e, CTR_IPV4_TX), 2);
    udp_sock_close(us);
    env_free(e);
}

static void mtu_576(struct stack_config *cfg, struct netif_config *ncfg)
{
    cfg->ip_default_ttl = 17;
    ncfg->mtu = 576;
}

static void test_mtu(void **state)
{
    (void)state;
    struct stack_env *e = env_new(mtu_576, false);
    env_learn(e, ENV_IP_PEER, &env_mac_peer);
    struct udp_sock *us = udp_sock_open(e->s, NULL, NULL);
    struct ip_endpoint near = env_ep(ENV_IP_PEER, 7);
    uint8_t data[600] = {0};
    assert_int_equal(udp_sock_sendto(us, data, 548, &near, e->now), 548);
    struct parsed_frame pf;
    env_frame(e, 0, &pf);
    assert_int_equal(pf.ip.total_len, 576);
    assert_int_equal(pf.ip.ttl, 17);
    assert_int_equal(pf.ip.frag, IPV4_FLAG_DF);
    /* One byte more: two fragments, 552 bytes (a multiple of 8) and 5,
     * DF clear (RFC 791 3.2). */
    assert_int_equal(udp_sock_sendto(us, data, 549, &near, e->now), 549);
    assert_int_equal(env_ctr(e, CTR_IPV4_TX_DROP_TOO_BIG), 0);
    assert_int_equal(e->nif.n, 3);
    env_frame(e, 1, &pf);
    assert_int_equal(pf.ip.total_len, IPV4_HLEN + 552);
    assert_int_equal(pf.ip.frag, IPV4_FLAG_MF);
    assert_int_equal(pf.ip.ttl, 17);
    uint16_t id = pf.ip.id;
    env_frame(e, 2, &pf);
    assert_int_equal(pf.ip.total_len, IPV4_HLEN + 5);
    assert_int_equal(pf.ip.frag, 552 / 8);
    assert_int_equal(pf.ip.id, id);
    assert_int_equal(env_ctr(e, CTR_IPV4_TX_FRAGMENTS), 2);
    udp_sock_close(us);
    env_free(e);
}

static void test_netif_without_address(void **state)
{
    (void)state;
    struct stack_env *e = env_new(env_no_gateway, false);
    /* A second interface with no address gets nothing and sends nothing. */
    struct fake_netif nif2;
    fake_netif_init(&nif2);
    struct netif_config c;
    memset(&c, 0, sizeof c);
    strcpy(c.name, "tcpip1");
    c.mac = (struct eth_addr){{0x02, 0, 0, 0, 0, 0x22}};
    c.mtu = 1500;
    int idx = stack_netif_add(e->s, &c, &fake_netif_ops, &nif2, e->now);
    assert_int_equal(idx, 1);
    assert_int_equal(nif2.n, 0);
    uint8_t g[FRAME_MAX];
    size_t n = frame_udp(g, sizeof g, &c.mac, &env_mac_peer, ENV_IP_PEER, 0x0a4e0001u, 1, 2,
                         "x", 1);
    stack_input(e->s, idx, g, n, e->now);
    assert_int_equal(env_ctr(e, CTR_IPV4_RX_DROP_NOT_FOR_US), 1);
    assert_int_equal(nif2.n, 0);
    fake_netif_clear(&nif2);
    env_free(e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid_delivered),
        cmocka_unit_test(test_header_drops),
        cmocka_unit_test(test_bad_sources),
        cmocka_unit_test(test_not_for_us),
        cmocka_unit_test(test_fragments_to_reassembly),
        cmocka_unit_test(test_unknown_protocol),
        cmocka_unit_test(test_options_skipped),
        cmocka_unit_test(test_source_route_dropped),
        cmocka_unit_test(test_broadcast_delivery),
        cmocka_unit_test(test_route_on_link_and_gateway),
        cmocka_unit_test(test_no_route),
        cmocka_unit_test(test_output_header),
        cmocka_unit_test(test_mtu),
        cmocka_unit_test(test_netif_without_address),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
