/* test_pmtu.c - IPv4 path MTU discovery (RFC 1191) with RFC 5927's checks,
 * and TCP's black-hole detection (RFC 4821 10.3) for both families
 * (core/pmtu.c, core/icmp4.c, the TCP hooks): "fragmentation needed"
 * about a segment in flight lowers the path and TCP's segments follow;
 * one about a sequence number not in flight, a bogus or tiny MTU, a
 * router's zero MTU (plateaus); expiry after 10 minutes; UDP fragments to
 * the path; full-sized segments lost three times with no ICMP lower the
 * path to 1024 bytes of payload. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "stack/core/stack_impl.h"
#include "stack/wire/ipv6.h"
#include "tests/unit/support/tcp_peer.h"

/* An ICMP "fragmentation needed" from a router on the path (the peer's
 * address will do) quoting the first 8 bytes of segment seg, with mtu as
 * the Next-Hop MTU. */
static void frag_needed(struct stack_env *e, const struct tp_out *seg, uint32_t seq_delta,
                        uint16_t total_len, uint32_t mtu)
{
    uint8_t quote[20 + 8];
    struct ipv4_emit_args ip = {.frag = IPV4_FLAG_DF, .ttl = 64, .proto = IPPROTO_TCP_,
                                .src = ENV_IP_US, .dst = ENV_IP_PEER,
                                .payload_len = (uint16_t)(total_len - 20)};
    ipv4_emit(quote, &ip);
    memcpy(quote + 20, seg->data, 8);
    uint32_t seq = seg->t.seq + seq_delta;
    quote[24] = (uint8_t)(seq >> 24);
    quote[25] = (uint8_t)(seq >> 16);
    quote[26] = (uint8_t)(seq >> 8);
    quote[27] = (uint8_t)seq;
    uint8_t f[FRAME_MAX];
    size_t n = frame_icmp4(f, sizeof f, &env_mac_us, &env_mac_peer, ENV_IP_PEER, ENV_IP_US, 3, 4,
                           mtu, quote, sizeof quote);
    env_input(e, f, n);
}

/* An established connection with a full-sized segment in flight. */
static struct tcp_sock *connected(struct stack_env *e, struct tp_out *seg)
{
    struct tcp_options o = tp_linux_syn_options(1000);
    struct tcp_sock *c = tp_connect_conn(e, 9000, &o, NULL);
    static uint8_t data[8000];
    assert_true(tcp_sock_send(c, data, sizeof data, e->now) > 0);
    tp_take(e, seg);
    assert_int_equal(seg->t.payload_len, 1448); /* 1500 - 40 - 12 of timestamps */
    return c;
}

static uint32_t path_mtu(struct stack_env *e)
{
    struct ip_addr peer = ip_addr_v4(ENV_IP_PEER);
    return ip_path_mtu(e->s, netif_get(e->s, e->ifindex), &peer);
}

static void test_frag_needed_lowers_tcp_mss(void **state)
{
    (void)state;
    struct stack_env *e = tp_env(NULL);
    struct tp_out seg;
    struct tcp_sock *c = connected(e, &seg);
    frag_needed(e, &seg, 0, 1500, 1280);
    assert_int_equal(env_ctr(e, CTR_IPV4_PMTU_UPDATES), 1);
    assert_int_equal(path_mtu(e), 1280);
    struct tcp_conn_info ci;
    tcp_sock_info(c, &ci);
    assert_int_equal(ci.mss, 1280 - 40 - 12);
    assert_int_equal(tcp_sock_error(c), 0); /* never an error for the socket */
    /* What goes from now on fits: the retransmission at the RTO too. */
    tp_clear(e);
    env_advance(e, 2 * NS_PER_SEC);
    struct tp_out r;
    int n = 0;
    while (tp_try_take(e, &r)) {
        assert_true(r.t.payload_len <= 1280 - 40 - 12);
        n++;
    }
    assert_true(n > 0);
    tcp_sock_abort(c, e->now);
    env_free(e);
}

/* RFC 5927 4.1: a sequence number not in flight is a blind guess. */
static void test_stale_quote_ignored(void **state)
{
    (void)state;
    struct stack_env *e = tp_env(NULL);
    struct tp_out seg;
    struct tcp_sock *c = connected(e, &seg);
    frag_needed(e, &seg, 100000, 1500, 1280); /* far past SND.NXT */
    frag_needed(e, &seg, (uint32_t)-1, 1500, 1280); /* before SND.UNA */
    assert_int_equal(env_ctr(e, CTR_ICMP4_RX_DROP_PMTU_STALE), 2);
    assert_int_equal(env_ctr(e, CTR_IPV4_PMTU_UPDATES), 0);
    assert_int_equal(path_mtu(e), 1500);
    /* Acknowledged data is not in flight any more either. */
    tp_send(e, &(struct tp_seg){.dport = seg.t.sport, .sport = TP_PEER_PORT, .seq = 9001,
                                .ack = seg.t.seq + seg.t.payload_len, .flags = TCP_FLAG_ACK});
    frag_needed(e, &seg, 0, 1500, 1280);
    assert_int_equal(env_ctr(e, CTR_ICMP4_RX_DROP_PMTU_STALE), 3);
    assert_int_equal(path_mtu(e), 1500);
    tcp_sock_abort(c, e->now);
    env_free(e);
}

static void test_bogus_and_plateau_mtus(void **state)
{
    (void)state;
    struct stack_env *e = tp_env(NULL);
    struct tp_out seg;
    struct tcp_sock *c = connected(e, &seg);
    /* As large as the datagram that did not fit: bogus. */
    frag_needed(e, &seg, 0, 1500, 1500);
    frag_needed(e, &seg, 0, 1500, 9000);
    assert_int_equal(path_mtu(e), 1500);
    /* RFC 1191 7.1: a router that says 0: the plateau below 1500. */
    frag_needed(e, &seg, 0, 1500, 0);
    assert_int_equal(path_mtu(e), 1492);
    /* Tiny: no lower than Linux's min_pmtu 552 (RFC 5927 7). */
    frag_needed(e, &seg, 0, 1500, 68);
    assert_int_equal(path_mtu(e), PMTU4_MIN);
    /* Never raised by another report. */
    frag_needed(e, &seg, 0, 1500, 1400);
    assert_int_equal(path_mtu(e), PMTU4_MIN);
    /* RFC 1191 6.3: after 10 minutes the larger size is tried again. */
    env_advance(e, PMTU_EXPIRE_NS);
    assert_int_equal(path_mtu(e), 1500);
    tcp_sock_abort(c, e->now);
    env_free(e);
}

/* UDP: fragments are cut to the path MTU, and the socket hears EMSGSIZE
 * as on Linux. */
static void test_udp_follows_path(void **state)
{
    (void)state;
    struct stack_env *e = tp_env(NULL);
    struct udp_sock *u = udp_sock_open(e->s, NULL, NULL);
    struct ip_endpoint peer = env_ep(ENV_IP_PEER, 7);
    assert_int_equal(udp_sock_connect(u, &peer), 0);
    static uint8_t big[1400];
    assert_int_equal(udp_sock_sendto(u, big, sizeof big, NULL, e->now), (int)sizeof big);
    const struct fake_frame *fr = fake_netif_last(&e->nif);
    uint8_t quote[28];
    memcpy(quote, fr->data + 14, sizeof quote);
    fake_netif_clear(&e->nif);
    uint8_t f[FRAME_MAX];
    size_t n = frame_icmp4(f, sizeof f, &env_mac_us, &env_mac_peer, ENV_IP_PEER, ENV_IP_US, 3, 4,
                           1000, quote, sizeof quote);
    env_input(e, f, n);
    assert_int_equal(udp_sock_error(u), EMSGSIZE);
    assert_int_equal(path_mtu(e), 1000);
    assert_int_equal(udp_sock_sendto(u, big, sizeof big, NULL, e->now), (int)sizeof big);
    assert_int_equal(e->nif.n, 2);
    for (size_t i = 0; i < e->nif.n; i++)
        assert_true(e->nif.frames[i].len <= 14 + 1000);
    udp_sock_close(u);
    env_free(e);
}

/* RFC 4821 10.3: the path eats full-sized segments and says nothing.
 * After three timeouts the path is taken to 1024 bytes of payload, and
 * the retransmissions fit; ACKs then come back. */
static void test_blackhole_detected(void **state)
{
    (void)state;
    struct stack_env *e = tp_env(NULL);
    struct tp_out seg;
    struct tcp_sock *c = connected(e, &seg);
    uint64_t waited = 0;
    while (env_ctr(e, CTR_TCP_TIMEOUTS) < PMTU_BLACKHOLE_RTOS && waited < 60 * NS_PER_SEC) {
        env_advance(e, 10 * NS_PER_MS);
        waited += 10 * NS_PER_MS;
    }
    assert_int_equal(env_ctr(e, CTR_TCP_TIMEOUTS), PMTU_BLACKHOLE_RTOS);
    assert_int_equal(env_ctr(e, CTR_TCP_PMTU_BLACKHOLES), 1);
    assert_int_equal(path_mtu(e), PMTU_BLACKHOLE_BASE_MSS + 40);
    struct tcp_conn_info ci;
    tcp_sock_info(c, &ci);
    assert_int_equal(ci.mss, PMTU_BLACKHOLE_BASE_MSS - 12);
    /* The retransmission after the third timeout already fits. */
    struct tp_out r, last = {0};
    while (tp_try_take(e, &r))
        last = r;
    assert_true(last.t.payload_len > 0 && last.t.payload_len <= PMTU_BLACKHOLE_BASE_MSS - 12);
    /* Lost again: halved, not below the floor. */
    while (env_ctr(e, CTR_TCP_TIMEOUTS) < 2 * PMTU_BLACKHOLE_RTOS && waited < 300 * NS_PER_SEC) {
        env_advance(e, 10 * NS_PER_MS);
        waited += 10 * NS_PER_MS;
    }
    assert_int_equal(env_ctr(e, CTR_TCP_PMTU_BLACKHOLES), 1); /* once per series */
    tcp_sock_abort(c, e->now);
    env_free(e);
}

/* The black-hole floor per family: 1024 + headers, then halves, never
 * below 552 (IPv4) or 1280 (IPv6). */
static void test_blackhole_steps(void **state)
{
    (void)state;
    struct stack_env *e = env_new(NULL, false);
    struct ip_addr v4 = ip_addr_v4(ENV_IP_PEER);
    static const uint8_t a6[16] = {0xfd, 0x77, [15] = 9};
    struct ip_addr v6 = ipv6_addr_tag(a6);
    assert_true(ip_pmtu_blackhole(e->s, &v4, 1500, e->now));
    assert_int_equal(ip_path_mtu(e->s, netif_get(e->s, e->ifindex), &v4), 1064);
    assert_true(ip_pmtu_blackhole(e->s, &v4, 1064, e->now));
    assert_int_equal(ip_path_mtu(e->s, netif_get(e->s, e->ifindex), &v4), 552);
    assert_false(ip_pmtu_blackhole(e->s, &v4, 552, e->now));
    assert_true(ip_pmtu_blackhole(e->s, &v6, 1500, e->now));
    assert_int_equal(ip_path_mtu(e->s, netif_get(e->s, e->ifindex), &v6), 1280);
    assert_false(ip_pmtu_blackhole(e->s, &v6, 1280, e->now));
    assert_int_equal(env_ctr(e, CTR_TCP_PMTU_BLACKHOLES), 3);
    /* The plateau table of RFC 1191 7.1. */
    assert_int_equal(pmtu_plateau_below(1500), 1492);
    assert_int_equal(pmtu_plateau_below(1492), 1006);
    assert_int_equal(pmtu_plateau_below(60000), 32000);
    assert_int_equal(pmtu_plateau_below(68), 68);
    env_free(e);
}

/* A bounded cache: more destinations than entries reuse the oldest. */
static void test_cache_bounded(void **state)
{
    (void)state;
    struct stack_env *e = env_new(NULL, false);
    for (uint32_t i = 0; i < PMTU_CACHE_SIZE + 10; i++) {
        struct ip_addr d = ip_addr_v4(0x0a4d0000u + 10 + i);
        e->now += NS_PER_MS;
        assert_true(ip_pmtu_update(e->s, &d, 1000, e->now));
    }
    struct ip_addr first = ip_addr_v4(0x0a4d0000u + 10), last = ip_addr_v4(0x0a4d0000u + 10 +
                                                                          PMTU_CACHE_SIZE + 9);
    struct netif *nif = netif_get(e->s, e->ifindex);
    assert_int_equal(ip_path_mtu(e->s, nif, &first), 1500); /* evicted */
    assert_int_equal(ip_path_mtu(e->s, nif, &last), 1000);
    env_free(e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_frag_needed_lowers_tcp_mss),
        cmocka_unit_test(test_stale_quote_ignored),
        cmocka_unit_test(test_bogus_and_plateau_mtus),
        cmocka_unit_test(test_udp_follows_path),
        cmocka_unit_test(test_blackhole_detected),
        cmocka_unit_test(test_blackhole_steps),
        cmocka_unit_test(test_cache_bounded),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
