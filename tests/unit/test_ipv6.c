/* test_ipv6.c - IPv6 input (RFC 8200: validation, extension headers,
 * delivery), routing with source selection and output, through a fake
 * netif. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "stack/wire/eth.h"
#include "stack/wire/udp.h"
#include "tests/unit/support/frames6.h"

static const uint8_t other[16] = {0xfd, 0x77, [15] = 0x55}; /* not ours */

static struct stack_env *ready(void)
{
    struct stack_env *e = env6_ready(env6_tweak_no_slaac);
    f6_learn_peer(e);
    return e;
}

static void feed(struct stack_env *e, const uint8_t src[16], const uint8_t dst[16], uint8_t nh,
                 const void *payload, size_t len)
{
    uint8_t f[FRAME_MAX];
    size_t n = f6_packet(f, sizeof f, src, dst, nh, 64, payload, len);
    assert_true(n > 0);
    env_input(e, f, n);
}

static void test_echo_reply(void **state)
{
    (void)state;
    struct stack_env *e = ready();
    uint8_t msg[256];
    size_t n = f6_echo(msg, env6_peer, env6_us, 0x1234, 7, 100);
    uint64_t delivered = env_ctr(e, CTR_IPV6_RX_DELIVERED); /* the NS of f6_learn_peer */
    feed(e, env6_peer, env6_us, IPV6_NH_ICMPV6, msg, n);

    assert_int_equal(env_ctr(e, CTR_IPV6_RX_DELIVERED), delivered + 1);
    assert_int_equal(env_ctr(e, CTR_ICMP6_TX_ECHO_REPLIES), 1);
    assert_int_equal(env6_count(e, ICMP6_ECHO_REPLY), 1);
    struct env6_out o;
    env6_last(e, ICMP6_ECHO_REPLY, &o);
    assert_true(eth_addr_eq(&o.eth_dst, &env_mac_peer));
    assert_memory_equal(o.ip.src, env6_us, 16);
    assert_memory_equal(o.ip.dst, env6_peer, 16);
    assert_int_equal(o.ip.hop_limit, 64);
    assert_int_equal(icmp6_echo_id(&o.m), 0x1234);
    assert_int_equal(icmp6_echo_seq(&o.m), 7);
    assert_int_equal(o.m.body_len, 100);
    assert_memory_equal(o.m.body, msg + ICMP6_HLEN, 100);
    env_free(e);
}

/* The reply to a link-local address comes from it. */
static void test_echo_link_local(void **state)
{
    (void)state;
    struct stack_env *e = ready();
    static const uint8_t peer_ll[16] = {0xfe, 0x80, [15] = 9};
    uint8_t msg[64];
    size_t n = f6_echo(msg, peer_ll, env6_ll_us, 1, 1, 8);
    feed(e, peer_ll, env6_ll_us, IPV6_NH_ICMPV6, msg, n);
    assert_int_equal(env_ctr(e, CTR_ICMP6_RX_ECHO_REQUESTS), 1);
    /* The peer's link-local MAC is unknown: the reply waits for an NA. */
    assert_int_equal(env6_count(e, ICMP6_ND_NS), 1);
    struct env6_out o;
    env6_last(e, ICMP6_ND_NS, &o);
    assert_memory_equal(o.ip.src, env6_ll_us, 16);
    env_free(e);
}

/* RFC 4443 4.2: an echo to all-nodes is answered from a unicast address. */
static void test_echo_multicast(void **state)
{
    (void)state;
    struct stack_env *e = ready();
    uint8_t msg[64];
    size_t n = f6_echo(msg, env6_peer, env6_all_nodes, 1, 1, 8);
    feed(e, env6_peer, env6_all_nodes, IPV6_NH_ICMPV6, msg, n);
    assert_int_equal(env6_count(e, ICMP6_ECHO_REPLY), 1);
    struct env6_out o;
    env6_last(e, ICMP6_ECHO_REPLY, &o);
    assert_memory_equal(o.ip.src, env6_us, 16);
    env_free(e);
}

static void test_bad_source_and_dest(void **state)
{
    (void)state;
    struct stack_env *e = ready();
    uint64_t icmp_rx = env_ctr(e, CTR_ICMP6_RX); /* the NS of f6_learn_peer */
    uint8_t msg[64];
    size_t n = f6_echo(msg, env6_all_nodes, env6_us, 1, 1, 8);
    feed(e, env6_all_nodes, env6_us, IPV6_NH_ICMPV6, msg, n);
    assert_int_equal(env_ctr(e, CTR_IPV6_RX_DROP_BAD_SRC), 1);

    n = f6_echo(msg, env6_peer, other, 1, 1, 8);
    feed(e, env6_peer, other, IPV6_NH_ICMPV6, msg, n);
    assert_int_equal(env_ctr(e, CTR_IPV6_RX_DROP_NOT_FOR_US), 1);

    /* A group we did not join (ff02::2, all-routers). */
    static const uint8_t all_routers[16] = {0xff, 0x02, [15] = 2};
    n = f6_echo(msg, env6_peer, all_routers, 1, 1, 8);
    feed(e, env6_peer, all_routers, IPV6_NH_ICMPV6, msg, n);
    assert_int_equal(env_ctr(e, CTR_IPV6_RX_DROP_NOT_FOR_US), 2);
    assert_int_equal(env_ctr(e, CTR_ICMP6_RX), icmp_rx);
    assert_int_equal(e->nif.n, 0);
    env_free(e);
}

static void test_bad_lengths(void **state)
{
    (void)state;
    struct stack_env *e = ready();
    uint8_t f[FRAME_MAX];
    uint8_t msg[64];
    size_t n = f6_echo(msg, env6_peer, env6_us, 1, 1, 8);
    size_t fl = f6_packet(f, sizeof f, env6_peer, env6_us, IPV6_NH_ICMPV6, 64, msg, n);
    /* Payload length past the frame. */
    wr16(f + ETH_HLEN + 4, 400);
    env_input(e, f, fl);
    assert_int_equal(env_ctr(e, CTR_IPV6_RX_DROP_BAD_LENGTH), 1);
    /* Shorter than the fixed header. */
    env_input(e, f, ETH_HLEN + 20);
    assert_int_equal(env_ctr(e, CTR_IPV6_RX_DROP_TRUNCATED), 1);
    /* Version 4 in an IPv6 frame. */
    fl = f6_packet(f, sizeof f, env6_peer, env6_us, IPV6_NH_ICMPV6, 64, msg, n);
    f[ETH_HLEN] = 0x45;
    env_input(e, f, fl);
    assert_int_equal(env_ctr(e, CTR_IPV6_RX_DROP_BAD_VERSION), 1);
    assert_int_equal(e->nif.n, 0);
    env_free(e);
}

static void test_unknown_next_header(void **state)
{
    (void)state;
    struct stack_env *e = ready();
    uint8_t body[16] = {0};
    feed(e, env6_peer, env6_us, 253, body, sizeof body);
    assert_int_equal(env_ctr(e, CTR_IPV6_RX_DROP_UNKNOWN_PROTO), 1);
    assert_int_equal(env6_count(e, ICMP6_PARAM_PROBLEM), 1);
    struct env6_out o;
    env6_last(e, ICMP6_PARAM_PROBLEM, &o);
    assert_int_equal(o.m.code, ICMP6_PP_NEXT_HEADER);
    assert_int_equal(o.m.rest, 6); /* the Next Header field */
    assert_int_equal(o.m.body_len, IPV6_HLEN + sizeof body);
    assert_memory_equal(o.ip.dst, env6_peer, 16);

    /* Not to multicast (RFC 4443 2.4 (e.3)). */
    fake_netif_clear(&e->nif);
    feed(e, env6_peer, env6_all_nodes, 253, body, sizeof body);
    assert_int_equal(env_ctr(e, CTR_IPV6_RX_DROP_UNKNOWN_PROTO), 2);
    assert_int_equal(e->nif.n, 0);

    /* No Next Header: nothing, silently. */
    feed(e, env6_peer, env6_us, IPV6_NH_NONE, body, sizeof body);
    assert_int_equal(env_ctr(e, CTR_IPV6_RX_NO_NEXT_HEADER), 1);
    assert_int_equal(e->nif.n, 0);
    env_free(e);
}

/* Destination options with an unknown option: action 10 answers even a
 * multicast destination, action 11 does not (RFC 8200 4.2). */
static void test_unknown_option(void **state)
{
    (void)state;
    struct stack_env *e = ready();
    uint8_t pl[64];
    memset(pl, 0, sizeof pl);
    pl[0] = IPV6_NH_NONE;
    pl[1] = 0;
    pl[2] = 0x80; /* action 10 */
    pl[3] = 4;
    feed(e, env6_peer, env6_all_nodes, IPV6_NH_DSTOPTS, pl, 8);
    assert_int_equal(env_ctr(e, CTR_IPV6_RX_DROP_BAD_EXT), 1);
    assert_int_equal(env6_count(e, ICMP6_PARAM_PROBLEM), 1);
    struct env6_out o;
    env6_last(e, ICMP6_PARAM_PROBLEM, &o);
    assert_int_equal(o.m.code, ICMP6_PP_OPTION);
    assert_int_equal(o.m.rest, 42);
    assert_memory_equal(o.ip.src, env6_us, 16); /* a unicast source */

    fake_netif_clear(&e->nif);
    pl[2] = 0xc0; /* action 11 */
    feed(e, env6_peer, env6_all_nodes, IPV6_NH_DSTOPTS, pl, 8);
    assert_int_equal(env_ctr(e, CTR_IPV6_RX_DROP_BAD_EXT), 2);
    assert_int_equal(e->nif.n, 0);
    feed(e, env6_peer, env6_us, IPV6_NH_DSTOPTS, pl, 8);
    assert_int_equal(env6_count(e, ICMP6_PARAM_PROBLEM), 1);

    /* Action 01: silently dropped. */
    fake_netif_clear(&e->nif);
    pl[2] = 0x40;
    feed(e, env6_peer, env6_us, IPV6_NH_DSTOPTS, pl, 8);
    assert_int_equal(env_ctr(e, CTR_IPV6_RX_DROP_BAD_EXT), 4);
    assert_int_equal(e->nif.n, 0);
    env_free(e);
}

/* RFC 5095: a routing header type 0 with segments left is refused. */
static void test_routing_type0(void **state)
{
    (void)state;
    struct stack_env *e = ready();
    uint8_t pl[24] = {IPV6_NH_NONE, 2, 0, 1};
    feed(e, env6_peer, env6_us, IPV6_NH_ROUTING, pl, sizeof pl);
    assert_int_equal(env6_count(e, ICMP6_PARAM_PROBLEM), 1);
    struct env6_out o;
    env6_last(e, ICMP6_PARAM_PROBLEM, &o);
    assert_int_equal(o.m.code, ICMP6_PP_HEADER);
    assert_int_equal(o.m.rest, 42);
    env_free(e);
}

/* No error about an ICMPv6 error (RFC 4443 2.4 (e.1)). */
static void test_no_error_about_error(void **state)
{
    (void)state;
    struct stack_env *e = ready();
    uint8_t pl[128];
    memset(pl, 0, sizeof pl);
    pl[0] = IPV6_NH_ICMPV6;
    pl[2] = 0xc0; /* unknown option, action 11 */
    pl[3] = 4;
    uint8_t quote[48] = {0x60};
    size_t n = f6_icmp(pl + 8, env6_peer, env6_us, ICMP6_DEST_UNREACH, 0, 0, quote,
                       sizeof quote);
    feed(e, env6_peer, env6_us, IPV6_NH_DSTOPTS, pl, 8 + n);
    assert_int_equal(env_ctr(e, CTR_IPV6_RX_DROP_BAD_EXT), 1);
    assert_int_equal(env_ctr(e, CTR_ICMP6_TX_SUPPRESSED), 1);
    assert_int_equal(e->nif.n, 0);
    env_free(e);
}

static void tweak_burst2(struct stack_config *cfg, struct netif_config *ncfg)
{
    env6_tweak_no_slaac(cfg, ncfg);
    cfg->icmp_burst = 2;
    cfg->icmp_rate_per_sec = 1;
}

/* RFC 4443 2.4 (f): errors are rate limited. */
static void test_error_rate_limit(void **state)
{
    (void)state;
    struct stack_env *e = env6_ready(tweak_burst2);
    f6_learn_peer(e);
    uint8_t body[8] = {0};
    for (int i = 0; i < 4; i++)
        feed(e, env6_peer, env6_us, 253, body, sizeof body);
    assert_int_equal(env6_count(e, ICMP6_PARAM_PROBLEM), 2);
    assert_int_equal(env_ctr(e, CTR_ICMP6_TX_RATELIMITED), 2);
    env_advance(e, 1 * NS_PER_SEC);
    feed(e, env6_peer, env6_us, 253, body, sizeof body);
    assert_int_equal(env6_count(e, ICMP6_PARAM_PROBLEM), 3);
    env_free(e);
}

/* UDP to a closed port: Destination Unreachable code 4 (RFC 4443 3.1). */
static void test_udp_port_unreachable(void **state)
{
    (void)state;
    struct stack_env *e = ready();
    uint8_t pl[UDP_HLEN + 4];
    struct ip_addr as = ipv6_addr_tag(env6_peer), ad = ipv6_addr_tag(env6_us);
    memcpy(pl + UDP_HLEN, "ping", 4);
    udp_emit(pl, 4000, 9999, 4, &as, &ad);
    feed(e, env6_peer, env6_us, IPV6_NH_UDP, pl, sizeof pl);
    assert_int_equal(env_ctr(e, CTR_UDP_RX_NO_PORT), 1);
    assert_int_equal(env6_count(e, ICMP6_DEST_UNREACH), 1);
    struct env6_out o;
    env6_last(e, ICMP6_DEST_UNREACH, &o);
    assert_int_equal(o.m.code, ICMP6_PORT_UNREACH);
    assert_int_equal(env_ctr(e, CTR_ICMP6_TX_DEST_UNREACH), 1);
    env_free(e);
}

static void test_route_source_selection(void **state)
{
    (void)state;
    struct stack_env *e = ready();
    struct ip_route rt;
    assert_int_equal(ipv6_route(e->s, env6_peer, NULL, &rt), 0);
    assert_memory_equal(rt.src.u.v6, env6_us, 16);
    assert_memory_equal(rt.next_hop.u.v6, env6_peer, 16);

    static const uint8_t peer_ll[16] = {0xfe, 0x80, [15] = 9};
    assert_int_equal(ipv6_route(e->s, peer_ll, NULL, &rt), 0);
    assert_memory_equal(rt.src.u.v6, env6_ll_us, 16);

    /* Off-link without a default router; our own address (through lo,
     * from itself); a hint that is not ours. */
    static const uint8_t far[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 1};
    assert_int_equal(ipv6_route(e->s, far, NULL, &rt), -ENETUNREACH);
    assert_int_equal(ipv6_route(e->s, env6_us, NULL, &rt), 0);
    assert_true(rt.nif->loopback);
    assert_memory_equal(rt.src.u.v6, env6_us, 16);
    assert_int_equal(ipv6_route(e->s, env6_peer, other, &rt), -EADDRNOTAVAIL);
    assert_int_equal(ipv6_route(e->s, env6_peer, env6_ll_us, &rt), 0);
    assert_memory_equal(rt.src.u.v6, env6_ll_us, 16);
    env_free(e);
}

/* ip_output over IPv6 refuses what exceeds the path MTU. */
static void test_output_too_big(void **state)
{
    (void)state;
    struct stack_env *e = ready();
    struct ip_addr dst = ipv6_addr_tag(env6_peer);
    struct ip_route rt;
    assert_int_equal(ip_route(e->s, &dst, NULL, &rt), 0);
    static uint8_t buf[PBUF_FRAME_SIZE];
    struct pbuf p;
    pbuf_init(&p, buf, sizeof buf, PBUF_HEADROOM);
    assert_non_null(pbuf_append(&p, ENV_MTU - IPV6_HLEN + 1));
    assert_int_equal(ip_output(e->s, &rt, &p, &dst, IPV6_NH_UDP, e->now), -EMSGSIZE);
    assert_int_equal(env_ctr(e, CTR_IPV6_TX_DROP_TOO_BIG), 1);
    pbuf_init(&p, buf, sizeof buf, PBUF_HEADROOM);
    assert_non_null(pbuf_append(&p, ENV_MTU - IPV6_HLEN));
    assert_int_equal(ip_output(e->s, &rt, &p, &dst, IPV6_NH_NONE, e->now), 0);
    assert_int_equal(e->nif.n, 1);
    assert_int_equal(e->nif.frames[0].len, ETH_HLEN + ENV_MTU);
    env_free(e);
}

/* Nothing for an interface without IPv6. */
static void test_ipv6_off(void **state)
{
    (void)state;
    struct stack_env *e = env_new(NULL, false);
    uint8_t msg[64];
    size_t n = f6_echo(msg, env6_peer, env6_us, 1, 1, 8);
    feed(e, env6_peer, env6_us, IPV6_NH_ICMPV6, msg, n);
    assert_int_equal(env_ctr(e, CTR_IPV6_RX_DROP_NOT_FOR_US), 1);
    assert_int_equal(e->nif.n, 0);
    env_free(e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_echo_reply),
        cmocka_unit_test(test_echo_link_local),
        cmocka_unit_test(test_echo_multicast),
        cmocka_unit_test(test_bad_source_and_dest),
        cmocka_unit_test(test_bad_lengths),
        cmocka_unit_test(test_unknown_next_header),
        cmocka_unit_test(test_unknown_option),
        cmocka_unit_test(test_routing_type0),
        cmocka_unit_test(test_no_error_about_error),
        cmocka_unit_test(test_error_rate_limit),
        cmocka_unit_test(test_udp_port_unreachable),
        cmocka_unit_test(test_route_source_selection),
        cmocka_unit_test(test_output_too_big),
        cmocka_unit_test(test_ipv6_off),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
