/* test_icmp6.c - ICMPv6 (RFC 4443) as the stack handles it: Packet Too Big
 * and the path MTU cache (RFC 8201), quotes that are not ours, ND messages
 * checked on the input path (RFC 4861), MLD queries answered with an
 * MLDv2 report (RFC 3810). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "stack/core/ipv6_impl.h"
#include "stack/wire/eth.h"
#include "tests/unit/support/frames6.h"

static const uint8_t far_dst[16] = {0xfd, 0x77, [14] = 1, [15] = 0x23};

static struct stack_env *ready(void)
{
    struct stack_env *e = env6_ready(env6_tweak_no_slaac);
    f6_learn_peer(e);
    return e;
}

/* A Packet Too Big from the peer about a packet we sent to far_dst. */
static void ptb(struct stack_env *e, const uint8_t quoted_src[16], uint32_t mtu)
{
    uint8_t quote[IPV6_HLEN + 8] = {0};
    struct ipv6_emit_args a = {.next_header = IPV6_NH_UDP, .hop_limit = 64, .payload_len = 1400};
    memcpy(a.src, quoted_src, 16);
    memcpy(a.dst, far_dst, 16);
    ipv6_emit(quote, &a);
    wr16(quote + IPV6_HLEN, 5000);
    wr16(quote + IPV6_HLEN + 2, 53);
    uint8_t msg[128], f[256];
    size_t n = f6_icmp(msg, env6_peer, env6_us, ICMP6_PACKET_TOO_BIG, 0, mtu, quote,
                       sizeof quote);
    env_input(e, f, f6_packet(f, sizeof f, env6_peer, env6_us, IPV6_NH_ICMPV6, 64, msg, n));
}

static void test_packet_too_big(void **state)
{
    (void)state;
    struct stack_env *e = ready();
    struct netif *nif = netif_get(e->s, e->ifindex);
    assert_int_equal(ipv6_path_mtu(e->s, nif, far_dst), ENV_MTU);
    ptb(e, env6_us, 1400);
    assert_int_equal(env_ctr(e, CTR_ICMP6_RX_PKT_TOO_BIG), 1);
    assert_int_equal(env_ctr(e, CTR_IPV6_PMTU_UPDATES), 1);
    assert_int_equal(ipv6_path_mtu(e->s, nif, far_dst), 1400);
    assert_int_equal(ipv6_path_mtu(e->s, nif, env6_peer), ENV_MTU);
    /* Never raised by a PTB (RFC 8201 4)... */
    ptb(e, env6_us, 1450);
    assert_int_equal(ipv6_path_mtu(e->s, nif, far_dst), 1400);
    /* ...never below 1280. */
    ptb(e, env6_us, 600);
    assert_int_equal(ipv6_path_mtu(e->s, nif, far_dst), IPV6_MIN_MTU);
    /* An output above it is refused. */
    struct ip_addr dst = ipv6_addr_tag(far_dst);
    struct ip_route rt;
    assert_int_equal(ip_route(e->s, &dst, NULL, &rt), 0);
    static uint8_t buf[PBUF_FRAME_SIZE];
    struct pbuf p;
    pbuf_init(&p, buf, sizeof buf, PBUF_HEADROOM);
    assert_non_null(pbuf_append(&p, IPV6_MIN_MTU - IPV6_HLEN + 1));
    assert_int_equal(ip_output(e->s, &rt, &p, &dst, IPV6_NH_NONE, e->now), -EMSGSIZE);
    /* Tried again after 10 minutes. */
    env_advance(e, PMTU6_EXPIRE_NS);
    assert_int_equal(ipv6_path_mtu(e->s, nif, far_dst), ENV_MTU);
    env_free(e);
}

/* An error about a packet we did not send is dropped (RFC 5927 4.1). */
static void test_quote_not_ours(void **state)
{
    (void)state;
    struct stack_env *e = ready();
    ptb(e, far_dst, 1300);
    assert_int_equal(env_ctr(e, CTR_ICMP6_RX_DROP_BAD_QUOTE), 1);
    assert_int_equal(env_ctr(e, CTR_IPV6_PMTU_UPDATES), 0);
    env_free(e);
}

static void test_bad_checksum(void **state)
{
    (void)state;
    struct stack_env *e = ready();
    uint8_t msg[64], f[256];
    size_t n = f6_echo(msg, env6_peer, env6_us, 1, 1, 8);
    msg[ICMP6_HLEN] ^= 1;
    env_input(e, f, f6_packet(f, sizeof f, env6_peer, env6_us, IPV6_NH_ICMPV6, 64, msg, n));
    assert_int_equal(env_ctr(e, CTR_ICMP6_RX_DROP_BAD_CSUM), 1);
    assert_int_equal(e->nif.n, 0);
    env_free(e);
}

/* RFC 4861 7.1.1: an NS with a hop limit other than 255 is dropped before
 * ND sees it; with 255 it is answered. */
static void test_nd_hop_limit(void **state)
{
    (void)state;
    struct stack_env *e = ready();
    uint8_t msg[128], f[256];
    size_t n = env6_ns(msg, env6_peer, env6_us, env6_us, &env_mac_peer);
    env_input(e, f, f6_packet(f, sizeof f, env6_peer, env6_us, IPV6_NH_ICMPV6, 64, msg, n));
    assert_int_equal(env_ctr(e, CTR_ICMP6_RX_DROP_BAD_ND), 1);
    assert_int_equal(e->nif.n, 0);
    uint64_t nd = env_ctr(e, CTR_ICMP6_RX_ND);
    env_input(e, f, f6_packet(f, sizeof f, env6_peer, env6_us, IPV6_NH_ICMPV6, 255, msg, n));
    assert_int_equal(env_ctr(e, CTR_ICMP6_RX_ND), nd + 1);
    assert_int_equal(env6_count(e, ICMP6_ND_NA), 1);
    env_free(e);
}

/* A general MLD query from a router: hop limit 1, Router Alert in a
 * hop-by-hop header. */
static size_t mld_query_frame(uint8_t *f, size_t cap, bool router_alert)
{
    static const uint8_t router[16] = {0xfe, 0x80, [15] = 1};
    uint8_t pl[8 + MLD_QUERY_V2_LEN];
    memset(pl, 0, sizeof pl);
    pl[0] = IPV6_NH_ICMPV6;
    if (router_alert) {
        pl[2] = IPV6_OPT_ROUTER_ALERT;
        pl[3] = 2;
    } else {
        pl[2] = IPV6_OPT_PADN;
        pl[3] = 2;
    }
    pl[6] = IPV6_OPT_PADN;
    uint8_t body[MLD_QUERY_V2_LEN - ICMP6_HLEN] = {0}; /* group ::, no sources */
    body[16] = 2;  /* QRV */
    body[17] = 125; /* QQIC */
    f6_icmp(pl + 8, router, env6_all_nodes, ICMP6_MLD_QUERY, 0, (uint32_t)1000 << 16, body,
            sizeof body);
    return f6_packet(f, cap, router, env6_all_nodes, IPV6_NH_HOPOPTS, 1, pl, sizeof pl);
}

static void test_mld_query(void **state)
{
    (void)state;
    struct stack_env *e = ready();
    uint8_t f[256];
    env_input(e, f, mld_query_frame(f, sizeof f, false));
    assert_int_equal(env_ctr(e, CTR_ICMP6_RX_DROP_BAD_MLD), 1);
    assert_int_equal(e->nif.n, 0);

    env_input(e, f, mld_query_frame(f, sizeof f, true));
    assert_int_equal(env_ctr(e, CTR_ICMP6_RX_MLD_QUERIES), 1);
    assert_int_equal(env_ctr(e, CTR_ICMP6_TX_MLD_REPORTS), 1);
    assert_int_equal(e->nif.n, 1);
    const struct fake_frame *fr = fake_netif_frame(&e->nif, 0);
    struct ipv6_view ip;
    assert_int_equal(ipv6_parse(fr->data + ETH_HLEN, fr->len - ETH_HLEN, &ip), WIRE_OK);
    static const uint8_t mld_routers[16] = {0xff, 0x02, [15] = 0x16};
    assert_memory_equal(ip.dst, mld_routers, 16);
    assert_memory_equal(ip.src, env6_ll_us, 16);
    assert_int_equal(ip.hop_limit, 1);
    assert_int_equal(fr->data[0], 0x33);
    struct ipv6_chain c;
    assert_int_equal(ipv6_walk(&ip, &c), WIRE_OK);
    assert_true(c.router_alert);
    assert_int_equal(c.proto, IPV6_NH_ICMPV6);
    struct ip_addr as = ipv6_addr_tag(ip.src), ad = ipv6_addr_tag(ip.dst);
    struct icmp6_view m;
    assert_int_equal(icmp6_parse(c.upper, c.upper_len, &as, &ad, &m), WIRE_OK);
    assert_int_equal(m.type, ICMP6_MLD2_REPORT);
    /* Two records: the solicited-node groups of fd77::2 and of the
     * link-local address (ff02::1:ff00:2, the same group: one record). */
    assert_int_equal(m.rest & 0xffff, 1);
    assert_int_equal(m.body[0], MLD2_MODE_IS_EXCLUDE);
    uint8_t sn[16];
    ipv6_solicited_node(env6_us, sn);
    assert_memory_equal(m.body + 4, sn, 16);
    env_free(e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_packet_too_big),
        cmocka_unit_test(test_quote_not_ours),
        cmocka_unit_test(test_bad_checksum),
        cmocka_unit_test(test_nd_hop_limit),
        cmocka_unit_test(test_mld_query),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
