/* test_stack_eth.c - Ethernet input validation and output. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "tests/unit/support/stack_env.h"

static const struct eth_addr zero_mac;

/* A valid ARP request for us, to mutate. */
static size_t arp_frame(uint8_t *f, size_t cap)
{
    return frame_arp(f, cap, &frame_broadcast_mac, &env_mac_peer, ARP_OP_REQUEST, &env_mac_peer,
                     ENV_IP_PEER, &zero_mac, ENV_IP_US);
}

static void test_rx_counters(void **state)
{
    (void)state;
    struct stack_env *e = env_new(NULL, false);
    uint8_t f[64];
    size_t n = arp_frame(f, sizeof f);
    env_input(e, f, n);
    assert_int_equal(env_ctr(e, CTR_ETH_RX_FRAMES), 1);
    assert_int_equal(env_ctr(e, CTR_ETH_RX_BYTES), n);
    assert_int_equal(env_ctr(e, CTR_ARP_RX), 1);
    /* The reply: 60 bytes counted on the way out (+ the gratuitous ARP). */
    assert_int_equal(env_ctr(e, CTR_ETH_TX_FRAMES), 2);
    assert_int_equal(env_ctr(e, CTR_ETH_TX_BYTES), 120);
    env_free(e);
}

static void test_drops(void **state)
{
    (void)state;
    struct stack_env *e = env_new(NULL, false);
    uint8_t f[64], g[64];
    size_t n = arp_frame(f, sizeof f);

    env_input(e, f, ETH_HLEN - 1);
    env_input(e, f, 0);
    assert_int_equal(env_ctr(e, CTR_ETH_RX_DROP_SHORT), 2);

    memcpy(g, f, n);
    memcpy(g, env_mac_peer.b, 6); /* unicast, not to us */
    env_input(e, g, n);
    assert_int_equal(env_ctr(e, CTR_ETH_RX_DROP_NOT_FOR_US), 1);

    memcpy(g, f, n);
    wr16(g + 12, ETHERTYPE_VLAN);
    env_input(e, g, n);
    wr16(g + 12, ETHERTYPE_QINQ);
    env_input(e, g, n);
    assert_int_equal(env_ctr(e, CTR_ETH_RX_DROP_VLAN), 2);

    memcpy(g, f, n);
    g[6] |= 0x01; /* group bit in the source */
    env_input(e, g, n);
    memset(g + 6, 0xff, 6); /* broadcast source */
    env_input(e, g, n);
    assert_int_equal(env_ctr(e, CTR_ETH_RX_DROP_BAD_SRC), 2);

    memcpy(g, f, n);
    wr16(g + 12, 0x88b5); /* IEEE 802 local experimental ethertype */
    env_input(e, g, n);
    wr16(g + 12, 46); /* an 802.3 length field */
    env_input(e, g, n);
    assert_int_equal(env_ctr(e, CTR_ETH_RX_DROP_UNKNOWN_TYPE), 2);

    assert_int_equal(env_ctr(e, CTR_ETH_RX_FRAMES), 9);
    assert_int_equal(env_ctr(e, CTR_ARP_RX), 0);
    assert_int_equal(e->nif.n, 0);
    env_free(e);
}

static void test_multicast_destination_accepted(void **state)
{
    (void)state;
    struct stack_env *e = env_new(NULL, false);
    uint8_t f[64];
    size_t n = arp_frame(f, sizeof f);
    static const uint8_t mcast[6] = {0x01, 0x00, 0x5e, 0x00, 0x00, 0x01};
    memcpy(f, mcast, 6);
    env_input(e, f, n);
    /* Layer 2 takes it; ARP answers the request. */
    assert_int_equal(env_ctr(e, CTR_ARP_RX), 1);
    assert_int_equal(e->nif.n, 1);
    env_free(e);
}

static void test_output_padding(void **state)
{
    (void)state;
    struct stack_env *e = env_new(NULL, true);
    /* The gratuitous ARP: 42 bytes of content padded with zeros to 60. */
    const struct fake_frame *fr = fake_netif_frame(&e->nif, 0);
    assert_non_null(fr);
    assert_int_equal(fr->len, ETH_MIN_FRAME);
    for (size_t i = ETH_HLEN + ARP_LEN; i < fr->len; i++)
        assert_int_equal(fr->data[i], 0);
    env_free(e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rx_counters),
        cmocka_unit_test(test_drops),
        cmocka_unit_test(test_multicast_destination_accepted),
        cmocka_unit_test(test_output_padding),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
