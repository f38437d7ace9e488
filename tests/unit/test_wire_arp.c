/* test_wire_arp.c - ARP codec (RFC 826). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "stack/wire/arp.h"
#include "tests/unit/support/bytes.h"

/* Captured on a veth (Ethernet header stripped): who has 10.77.9.2? tell
 * 10.77.9.1 (02:77:00:00:00:01). */
static const uint8_t real_request[ARP_LEN] = {
    0x00, 0x01, 0x08, 0x00, 0x06, 0x04, 0x00, 0x01, 0x02, 0x77, 0x00, 0x00, 0x00, 0x01,
    0x0a, 0x4d, 0x09, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x0a, 0x4d, 0x09, 0x02,
};

/* ... and its answer: 10.77.9.2 is at 02:77:00:00:00:02. */
static const uint8_t real_reply[ARP_LEN] = {
    0x00, 0x01, 0x08, 0x00, 0x06, 0x04, 0x00, 0x02, 0x02, 0x77, 0x00, 0x00, 0x00, 0x02,
    0x0a, 0x4d, 0x09, 0x02, 0x02, 0x77, 0x00, 0x00, 0x00, 0x01, 0x0a, 0x4d, 0x09, 0x01,
};

static const struct eth_addr mac1 = {{0x02, 0x77, 0x00, 0x00, 0x00, 0x01}};
static const struct eth_addr mac2 = {{0x02, 0x77, 0x00, 0x00, 0x00, 0x02}};
static const struct eth_addr zero_mac = {{0, 0, 0, 0, 0, 0}};

static int parse_copy(const uint8_t *src, size_t len, struct arp_view *v)
{
    uint8_t *p = tail_copy(src, len);
    int rc = arp_parse(p, len, v);
    tail_free(p);
    return rc;
}

static void test_parse_real_request(void **state)
{
    (void)state;
    struct arp_view a;
    assert_int_equal(parse_copy(real_request, ARP_LEN, &a), WIRE_OK);
    assert_int_equal(a.op, ARP_OP_REQUEST);
    assert_true(eth_addr_eq(&a.sha, &mac1));
    assert_int_equal(a.spa, 0x0a4d0901);
    assert_true(eth_addr_eq(&a.tha, &zero_mac));
    assert_int_equal(a.tpa, 0x0a4d0902);
}

static void test_parse_real_reply(void **state)
{
    (void)state;
    struct arp_view a;
    assert_int_equal(parse_copy(real_reply, ARP_LEN, &a), WIRE_OK);
    assert_int_equal(a.op, ARP_OP_REPLY);
    assert_true(eth_addr_eq(&a.sha, &mac2));
    assert_int_equal(a.spa, 0x0a4d0902);
    assert_true(eth_addr_eq(&a.tha, &mac1));
    assert_int_equal(a.tpa, 0x0a4d0901);
}

static void test_parse_with_padding(void **state)
{
    (void)state;
    /* On the wire ARP is padded to the 60-byte frame minimum: 46 bytes. */
    uint8_t buf[46];
    memset(buf, 0, sizeof buf);
    memcpy(buf, real_request, ARP_LEN);
    struct arp_view a;
    assert_int_equal(parse_copy(buf, sizeof buf, &a), WIRE_OK);
    assert_int_equal(a.op, ARP_OP_REQUEST);
    assert_int_equal(a.tpa, 0x0a4d0902);
}

static void test_parse_truncated(void **state)
{
    (void)state;
    for (size_t len = 0; len < ARP_LEN; len++) {
        struct arp_view a;
        assert_int_equal(parse_copy(real_request, len, &a), WIRE_ETRUNC);
    }
}

static void test_parse_wrong_htype(void **state)
{
    (void)state;
    static const uint16_t bad[] = {0, 6 /* IEEE 802 */, 0x0100, 0xffff};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        uint8_t buf[ARP_LEN];
        memcpy(buf, real_request, ARP_LEN);
        wr16(buf, bad[i]);
        struct arp_view a;
        assert_int_equal(parse_copy(buf, ARP_LEN, &a), WIRE_EUNSUPP);
    }
}

static void test_parse_wrong_ptype(void **state)
{
    (void)state;
    static const uint16_t bad[] = {0, 0x86dd, 0x0008, 0x0806};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        uint8_t buf[ARP_LEN];
        memcpy(buf, real_request, ARP_LEN);
        wr16(buf + 2, bad[i]);
        struct arp_view a;
        assert_int_equal(parse_copy(buf, ARP_LEN, &a), WIRE_EUNSUPP);
    }
}

static void test_parse_wrong_hlen(void **state)
{
    (void)state;
    static const uint8_t bad[] = {0, 4, 8, 20, 255};
    for (size_t i = 0; i < sizeof bad; i++) {
        uint8_t buf[ARP_LEN];
        memcpy(buf, real_request, ARP_LEN);
        buf[4] = bad[i];
        struct arp_view a;
        assert_int_equal(parse_copy(buf, ARP_LEN, &a), WIRE_EUNSUPP);
    }
}

static void test_parse_wrong_plen(void **state)
{
    (void)state;
    static const uint8_t bad[] = {0, 6, 16, 255};
    for (size_t i = 0; i < sizeof bad; i++) {
        uint8_t buf[ARP_LEN];
        memcpy(buf, real_request, ARP_LEN);
        buf[5] = bad[i];
        struct arp_view a;
        assert_int_equal(parse_copy(buf, ARP_LEN, &a), WIRE_EUNSUPP);
    }
}

static void test_parse_long_hlen_plen_refused_not_read(void **state)
{
    (void)state;
    /* hlen/plen that would make the packet longer than the span must be
     * refused from the fixed fields alone, never followed. */
    uint8_t buf[ARP_LEN];
    memcpy(buf, real_request, ARP_LEN);
    buf[4] = 255;
    buf[5] = 255;
    struct arp_view a;
    assert_int_equal(parse_copy(buf, ARP_LEN, &a), WIRE_EUNSUPP);
}

static void test_parse_other_opcodes_reported(void **state)
{
    (void)state;
    /* RARP (3/4) and unknown opcodes are reported for the caller to drop. */
    static const uint16_t ops[] = {0, 3, 4, 0xffff};
    for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++) {
        uint8_t buf[ARP_LEN];
        memcpy(buf, real_request, ARP_LEN);
        wr16(buf + 6, ops[i]);
        struct arp_view a;
        assert_int_equal(parse_copy(buf, ARP_LEN, &a), WIRE_OK);
        assert_int_equal(a.op, ops[i]);
    }
}

static void test_emit_real_reply(void **state)
{
    (void)state;
    struct arp_view a = {
        .op = ARP_OP_REPLY, .sha = mac2, .spa = 0x0a4d0902, .tha = mac1, .tpa = 0x0a4d0901,
    };
    uint8_t buf[ARP_LEN + 1];
    memset(buf, 0xee, sizeof buf);
    arp_emit(buf, &a);
    assert_memory_equal(buf, real_reply, ARP_LEN);
    assert_int_equal(buf[ARP_LEN], 0xee); /* exactly 28 bytes written */
}

static void test_emit_real_request(void **state)
{
    (void)state;
    struct arp_view a = {
        .op = ARP_OP_REQUEST, .sha = mac1, .spa = 0x0a4d0901, .tha = zero_mac, .tpa = 0x0a4d0902,
    };
    uint8_t buf[ARP_LEN];
    arp_emit(buf, &a);
    assert_memory_equal(buf, real_request, ARP_LEN);
}

static void test_round_trip(void **state)
{
    (void)state;
    struct arp_view in = {
        .op = ARP_OP_REQUEST,
        .sha = {{0xde, 0xad, 0xbe, 0xef, 0x00, 0x01}},
        .spa = 0xc0a80001,
        .tha = {{0xff, 0xee, 0xdd, 0xcc, 0xbb, 0xaa}},
        .tpa = 0xffffffff,
    };
    uint8_t buf[ARP_LEN];
    arp_emit(buf, &in);
    struct arp_view out;
    assert_int_equal(parse_copy(buf, ARP_LEN, &out), WIRE_OK);
    assert_int_equal(out.op, in.op);
    assert_true(eth_addr_eq(&out.sha, &in.sha));
    assert_true(eth_addr_eq(&out.tha, &in.tha));
    assert_int_equal(out.spa, in.spa);
    assert_int_equal(out.tpa, in.tpa);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_real_request),
        cmocka_unit_test(test_parse_real_reply),
        cmocka_unit_test(test_parse_with_padding),
        cmocka_unit_test(test_parse_truncated),
        cmocka_unit_test(test_parse_wrong_htype),
        cmocka_unit_test(test_parse_wrong_ptype),
        cmocka_unit_test(test_parse_wrong_hlen),
        cmocka_unit_test(test_parse_wrong_plen),
        cmocka_unit_test(test_parse_long_hlen_plen_refused_not_read),
        cmocka_unit_test(test_parse_other_opcodes_reported),
        cmocka_unit_test(test_emit_real_reply),
        cmocka_unit_test(test_emit_real_request),
        cmocka_unit_test(test_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
