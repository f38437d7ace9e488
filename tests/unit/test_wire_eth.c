/* test_wire_eth.c - Ethernet II header codec. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "stack/wire/eth.h"
#include "tests/unit/support/bytes.h"

/* Captured on a veth: 02:77:00:00:00:01 asks who has 10.77.9.2. */
static const uint8_t arp_request_frame[42] = {
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02, 0x77, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06,
    0x00, 0x01, 0x08, 0x00, 0x06, 0x04, 0x00, 0x01, 0x02, 0x77, 0x00, 0x00, 0x00, 0x01,
    0x0a, 0x4d, 0x09, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x0a, 0x4d, 0x09, 0x02,
};

/* Captured: the start of an IPv4 ping request 02:77::01 -> 02:77::02. */
static const uint8_t ipv4_frame_head[18] = {
    0x02, 0x77, 0x00, 0x00, 0x00, 0x02, 0x02, 0x77, 0x00, 0x00, 0x00, 0x01, 0x08, 0x00,
    0x45, 0x00, 0x00, 0x54,
};

/* Captured: an IPv6 MLD report to 33:33:00:00:00:16 (first 20 bytes). */
static const uint8_t ipv6_frame_head[20] = {
    0x33, 0x33, 0x00, 0x00, 0x00, 0x16, 0x02, 0x77, 0x00, 0x00, 0x00, 0x02, 0x86, 0xdd,
    0x60, 0x00, 0x00, 0x00, 0x00, 0x24,
};

static const struct eth_addr mac1 = {{0x02, 0x77, 0x00, 0x00, 0x00, 0x01}};
static const struct eth_addr mac2 = {{0x02, 0x77, 0x00, 0x00, 0x00, 0x02}};
static const struct eth_addr bcast = {{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}};

static void test_parse_arp_broadcast(void **state)
{
    (void)state;
    struct eth_view v;
    assert_int_equal(eth_parse(arp_request_frame, sizeof arp_request_frame, &v), WIRE_OK);
    assert_true(eth_addr_eq(&v.dst, &bcast));
    assert_true(eth_addr_is_broadcast(&v.dst));
    assert_true(eth_addr_eq(&v.src, &mac1));
    assert_int_equal(v.ethertype, ETHERTYPE_ARP);
    assert_ptr_equal(v.payload, arp_request_frame + ETH_HLEN);
    assert_int_equal(v.payload_len, 28);
}

static void test_parse_ipv4(void **state)
{
    (void)state;
    struct eth_view v;
    assert_int_equal(eth_parse(ipv4_frame_head, sizeof ipv4_frame_head, &v), WIRE_OK);
    assert_true(eth_addr_eq(&v.dst, &mac2));
    assert_true(eth_addr_eq(&v.src, &mac1));
    assert_int_equal(v.ethertype, ETHERTYPE_IPV4);
    assert_ptr_equal(v.payload, ipv4_frame_head + 14);
    assert_int_equal(v.payload_len, 4);
    assert_int_equal(v.payload[0], 0x45);
}

static void test_parse_ipv6_multicast(void **state)
{
    (void)state;
    struct eth_view v;
    assert_int_equal(eth_parse(ipv6_frame_head, sizeof ipv6_frame_head, &v), WIRE_OK);
    assert_int_equal(v.ethertype, ETHERTYPE_IPV6);
    assert_true(eth_addr_is_multicast(&v.dst));
    assert_false(eth_addr_is_broadcast(&v.dst));
    assert_true(eth_addr_eq(&v.src, &mac2));
    assert_int_equal(v.payload_len, 6);
}

static void test_parse_vlan_reported(void **state)
{
    (void)state;
    /* 802.1Q and 802.1ad tags are not refused here: the core counts them. */
    uint8_t f[18] = {0};
    memcpy(f, mac2.b, 6);
    memcpy(f + 6, mac1.b, 6);
    static const uint16_t tpids[] = {ETHERTYPE_VLAN, ETHERTYPE_QINQ};
    for (size_t i = 0; i < 2; i++) {
        wr16(f + 12, tpids[i]);
        wr16(f + 14, 0x0064);         /* VLAN 100 */
        wr16(f + 16, ETHERTYPE_IPV4); /* the inner type */
        struct eth_view v;
        assert_int_equal(eth_parse(f, sizeof f, &v), WIRE_OK);
        assert_int_equal(v.ethertype, tpids[i]);
        assert_ptr_equal(v.payload, f + 14);
        assert_int_equal(v.payload_len, 4);
    }
}

static void test_parse_8023_length(void **state)
{
    (void)state;
    /* An 802.3 frame: the type field is a length (< 0x0600), reported as is. */
    uint8_t f[60] = {0};
    memcpy(f, mac2.b, 6);
    memcpy(f + 6, mac1.b, 6);
    wr16(f + 12, 46);
    struct eth_view v;
    assert_int_equal(eth_parse(f, sizeof f, &v), WIRE_OK);
    assert_int_equal(v.ethertype, 46);
    assert_true(v.ethertype < 0x0600);
}

static void test_parse_padding_included(void **state)
{
    (void)state;
    /* A 42-byte ARP padded to the 60-byte minimum: payload_len counts the
     * padding; the upper layer trims by its own length field. */
    uint8_t f[ETH_MIN_FRAME];
    memset(f, 0, sizeof f);
    memcpy(f, arp_request_frame, sizeof arp_request_frame);
    struct eth_view v;
    assert_int_equal(eth_parse(f, sizeof f, &v), WIRE_OK);
    assert_int_equal(v.payload_len, ETH_MIN_FRAME - ETH_HLEN);
}

static void test_parse_header_only(void **state)
{
    (void)state;
    uint8_t *p = tail_copy(ipv4_frame_head, ETH_HLEN);
    struct eth_view v;
    assert_int_equal(eth_parse(p, ETH_HLEN, &v), WIRE_OK);
    assert_int_equal(v.payload_len, 0);
    assert_ptr_equal(v.payload, p + ETH_HLEN);
    assert_int_equal(v.ethertype, ETHERTYPE_IPV4);
    tail_free(p);
}

static void test_parse_truncated(void **state)
{
    (void)state;
    for (size_t len = 0; len < ETH_HLEN; len++) {
        uint8_t *p = tail_copy(arp_request_frame, len);
        struct eth_view v;
        assert_int_equal(eth_parse(p, len, &v), WIRE_ETRUNC);
        tail_free(p);
    }
}

static void test_emit_exact_bytes(void **state)
{
    (void)state;
    uint8_t buf[ETH_HLEN + 2];
    memset(buf, 0xee, sizeof buf);
    eth_emit(buf, &bcast, &mac1, ETHERTYPE_ARP);
    assert_memory_equal(buf, arp_request_frame, ETH_HLEN);
    /* Nothing written past the 14-byte header. */
    assert_int_equal(buf[14], 0xee);
    assert_int_equal(buf[15], 0xee);

    eth_emit(buf, &mac2, &mac1, ETHERTYPE_IPV4);
    assert_memory_equal(buf, ipv4_frame_head, ETH_HLEN);
}

static void test_emit_parse_round_trip(void **state)
{
    (void)state;
    static const uint16_t types[] = {ETHERTYPE_IPV4, ETHERTYPE_ARP, ETHERTYPE_IPV6,
                                     ETHERTYPE_VLAN, 0x0000, 0xffff, 0x1234};
    struct eth_addr src = {{0x00, 0x11, 0x22, 0x33, 0x44, 0x55}};
    struct eth_addr dst = {{0xfe, 0xdc, 0xba, 0x98, 0x76, 0x54}};
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
        uint8_t f[ETH_MIN_FRAME] = {0};
        eth_emit(f, &dst, &src, types[i]);
        struct eth_view v;
        assert_int_equal(eth_parse(f, sizeof f, &v), WIRE_OK);
        assert_true(eth_addr_eq(&v.dst, &dst));
        assert_true(eth_addr_eq(&v.src, &src));
        assert_int_equal(v.ethertype, types[i]);
        assert_int_equal(v.payload_len, ETH_MIN_FRAME - ETH_HLEN);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_arp_broadcast),
        cmocka_unit_test(test_parse_ipv4),
        cmocka_unit_test(test_parse_ipv6_multicast),
        cmocka_unit_test(test_parse_vlan_reported),
        cmocka_unit_test(test_parse_8023_length),
        cmocka_unit_test(test_parse_padding_included),
        cmocka_unit_test(test_parse_header_only),
        cmocka_unit_test(test_parse_truncated),
        cmocka_unit_test(test_emit_exact_bytes),
        cmocka_unit_test(test_emit_parse_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
