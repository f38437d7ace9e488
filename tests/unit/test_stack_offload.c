/* test_stack_offload.c - checksum and segmentation offload (a TAP with
 * IFF_VNET_HDR, a virtio-net device): what the stack asks of the device,
 * and what it trusts from it. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "stack/wire/checksum.h"
#include "stack/wire/eth.h"
#include "tests/unit/support/tcp_peer.h"

static void with_offloads(struct stack_config *cfg, struct netif_config *ncfg)
{
    (void)cfg;
    ncfg->offloads = NETIF_OFFLOAD_TX_CSUM | NETIF_OFFLOAD_TSO4;
}

/* Finish a partial checksum as the device would and check the segment. */
static void assert_partial_csum_completes(const struct fake_frame *f)
{
    assert_true(f->offloaded);
    assert_true(f->off.csum_partial);
    size_t l4 = f->off.csum_start;
    assert_int_equal(l4, ETH_HLEN + 20);
    assert_int_equal(f->off.csum_offset, 16);
    uint8_t *copy = malloc(f->len);
    assert_non_null(copy);
    memcpy(copy, f->data, f->len);
    size_t ip_total = (size_t)copy[ETH_HLEN + 2] << 8 | copy[ETH_HLEN + 3];
    size_t seg = ip_total - 20;
    uint16_t sum = inet_csum(copy + l4, seg);
    copy[l4 + 16] = (uint8_t)(sum >> 8);
    copy[l4 + 17] = (uint8_t)sum;
    struct ip_addr s = ip_addr_v4(ENV_IP_US), d = ip_addr_v4(ENV_IP_PEER);
    struct tcp_view t;
    assert_int_equal(tcp_parse(copy + l4, seg, &s, &d, &t), WIRE_OK);
    free(copy);
}

/* With TSO the stack hands the device one segment of many MSS, asks it to
 * cut them at the MSS and to finish the checksum; without offloads it
 * never exceeds the MTU. */
static void test_tso_segment_and_partial_checksum(void **state)
{
    (void)state;
    struct stack_env *e = tp_env(with_offloads);
    struct tcp_options o = tp_linux_syn_options(100);
    struct tcp_sock *c = tp_connect_conn(e, 7000, &o, NULL);
    tp_clear(e);
    static uint8_t data[200000];
    for (size_t i = 0; i < sizeof data; i++)
        data[i] = (uint8_t)(i * 7);
    assert_true(tcp_sock_send(c, data, sizeof data, e->now) > 0);
    assert_true(e->nif.n >= 1);
    const struct fake_frame *f = &e->nif.frames[0];
    /* Initial window 10 MSS (RFC 6928) in one TSO segment. */
    assert_int_equal(f->off.gso_type, NETIF_GSO_TCPV4);
    assert_int_equal(f->off.gso_size, 1448); /* 1460 less the timestamps */
    assert_int_equal(f->off.hdr_len, ETH_HLEN + 20 + 32);
    assert_true(f->len > 10000);
    assert_true(f->len <= 14 + 65535);
    assert_partial_csum_completes(f);
    tcp_sock_abort(c, e->now);
    env_free(e);
}

/* A pure ACK still asks only for the checksum, no segmentation. */
static void test_small_segments_partial_only(void **state)
{
    (void)state;
    struct stack_env *e = tp_env(with_offloads);
    struct tcp_options o = tp_linux_syn_options(100);
    struct tcp_sock *c = tp_connect_conn(e, 7000, &o, NULL);
    tp_clear(e);
    assert_int_equal(tcp_sock_send(c, "x", 1, e->now), 1);
    assert_int_equal(e->nif.n, 1);
    assert_int_equal(e->nif.frames[0].off.gso_size, 0);
    assert_partial_csum_completes(&e->nif.frames[0]);
    tcp_sock_abort(c, e->now);
    env_free(e);
}

/* A segment whose checksum the device vouched for is taken even though
 * its checksum field only holds the pseudo-header sum; the same bytes
 * through plain stack_input are a checksum drop. Frames larger than the
 * MTU (a GSO packet from the kernel) are taken whole. */
static void test_rx_csum_ok_trusted(void **state)
{
    (void)state;
    struct stack_env *e = tp_env(NULL);
    struct tcp_sock *l = tp_listen(e, 80, 4);
    struct tp_out sa;
    struct tcp_sock *c = tp_accept_conn(e, l, 80, 1000, NULL, &sa);
    static uint8_t big[4000];
    memset(big, 'q', sizeof big);
    uint8_t f[FRAME_MAX];
    size_t n = tp_frame(f, sizeof f, &(struct tp_seg){.dport = 80, .seq = 1001,
                                                      .ack = sa.t.seq + 1,
                                                      .flags = TCP_FLAG_ACK, .payload = big,
                                                      .len = 1500});
    /* Spoil the checksum as a NEEDS_CSUM packet would have it. */
    f[ETH_HLEN + 20 + 16] ^= 0x5a;
    uint64_t bad = env_ctr(e, CTR_TCP_RX_DROP_BAD_CSUM);
    env_input(e, f, n);
    assert_int_equal(env_ctr(e, CTR_TCP_RX_DROP_BAD_CSUM), bad + 1);
    assert_int_equal(tcp_sock_readable(c), 0);
    stack_input_offload(e->s, e->ifindex, f, n, STACK_RX_CSUM_OK, e->now);
    assert_int_equal(tcp_sock_readable(c), 1500);
    tcp_sock_abort(c, e->now);
    tcp_sock_close(l, e->now);
    env_free(e);
}

/* A TSO segment that waits for ARP keeps its offload request. */
static void test_arp_pending_keeps_offload(void **state)
{
    (void)state;
    struct stack_env *e = env_new(with_offloads, false);
    struct tcp_sock *c = tcp_sock_open(e->s, NULL, NULL);
    struct ip_endpoint to = env_ep(ENV_IP_PEER, TP_PEER_PORT);
    assert_int_equal(tcp_sock_connect(c, &to, e->now), -EINPROGRESS);
    /* The SYN waits for ARP: only the request went out. */
    assert_int_equal(e->nif.n, 1);
    env_learn(e, ENV_IP_PEER, &env_mac_peer);
    /* env_learn clears the frames; the flushed SYN was sent before that,
     * so check with a fresh retransmission instead. */
    env_advance(e, 2 * NS_PER_SEC);
    assert_true(e->nif.n >= 1);
    const struct fake_frame *f = &e->nif.frames[e->nif.n - 1];
    assert_partial_csum_completes(f);
    tcp_sock_abort(c, e->now);
    env_free(e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tso_segment_and_partial_checksum),
        cmocka_unit_test(test_small_segments_partial_only),
        cmocka_unit_test(test_rx_csum_ok_trusted),
        cmocka_unit_test(test_arp_pending_keeps_offload),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
