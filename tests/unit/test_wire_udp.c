/* test_wire_udp.c - UDP codec (RFC 768, RFC 8200 8.1). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "stack/wire/udp.h"
#include "tests/unit/support/bytes.h"

/* UDP 10.77.9.1:33554 -> 10.77.9.2:9999 "hello\n", sent by bash's
 * /dev/udp and captured on a veth. The veth's checksum offload left only
 * the pseudo-header sum (26bc) in the field; the complete checksum eb37
 * (computed independently) is filled in here. */
static const uint8_t real_udp[14] = {
    0x83, 0x12, 0x27, 0x0f, 0x00, 0x0e, 0xeb, 0x37, 0x68, 0x65, 0x6c, 0x6c, 0x6f, 0x0a,
};

/* 10.77.0.1:1234 -> 10.77.0.2:53 "abc": odd payload length, checksum 21d2. */
static const uint8_t odd_udp[11] = {
    0x04, 0xd2, 0x00, 0x35, 0x00, 0x0b, 0x21, 0xd2, 0x61, 0x62, 0x63,
};

/* [fd77::1]:5000 -> [fd77::2]:7 "ping", checksum 1284. */
static const uint8_t v6_udp[12] = {
    0x13, 0x88, 0x00, 0x07, 0x00, 0x0c, 0x12, 0x84, 0x70, 0x69, 0x6e, 0x67,
};

static struct ip_addr src9, dst9, src0, dst0, src6, dst6;

static int setup(void **state)
{
    (void)state;
    src9 = ip_addr_v4(0x0a4d0901);
    dst9 = ip_addr_v4(0x0a4d0902);
    src0 = ip_addr_v4(0x0a4d0001);
    dst0 = ip_addr_v4(0x0a4d0002);
    src6 = ip_addr_fd77(1);
    dst6 = ip_addr_fd77(2);
    return 0;
}

static int parse_copy(const uint8_t *src, size_t len, const struct ip_addr *s,
                      const struct ip_addr *d)
{
    uint8_t *p = tail_copy(src, len);
    struct udp_view u;
    int rc = udp_parse(p, len, s, d, &u);
    tail_free(p);
    return rc;
}

static void test_parse_real(void **state)
{
    (void)state;
    uint8_t *p = tail_copy(real_udp, sizeof real_udp);
    struct udp_view u;
    assert_int_equal(udp_parse(p, sizeof real_udp, &src9, &dst9, &u), WIRE_OK);
    assert_int_equal(u.sport, 33554);
    assert_int_equal(u.dport, 9999);
    assert_int_equal(u.len, 14);
    assert_int_equal(u.csum, 0xeb37);
    assert_ptr_equal(u.payload, p + 8);
    assert_int_equal(u.payload_len, 6);
    assert_memory_equal(u.payload, "hello\n", 6);
    tail_free(p);
}

static void test_parse_odd_payload(void **state)
{
    (void)state;
    struct udp_view u;
    assert_int_equal(udp_parse(odd_udp, sizeof odd_udp, &src0, &dst0, &u), WIRE_OK);
    assert_int_equal(u.sport, 1234);
    assert_int_equal(u.dport, 53);
    assert_int_equal(u.payload_len, 3);
    assert_memory_equal(u.payload, "abc", 3);
}

static void test_parse_v6(void **state)
{
    (void)state;
    struct udp_view u;
    assert_int_equal(udp_parse(v6_udp, sizeof v6_udp, &src6, &dst6, &u), WIRE_OK);
    assert_int_equal(u.sport, 5000);
    assert_int_equal(u.dport, 7);
    assert_int_equal(u.payload_len, 4);
    assert_memory_equal(u.payload, "ping", 4);
    /* The same bytes between other addresses do not verify. */
    struct ip_addr other = ip_addr_fd77(3);
    assert_int_equal(udp_parse(v6_udp, sizeof v6_udp, &src6, &other, &u), WIRE_ECSUM);
}

static void test_parse_header_only(void **state)
{
    (void)state;
    uint8_t b[8];
    udp_emit(b, 9, 9, 0, &src0, &dst0);
    uint8_t *p = tail_copy(b, 8);
    struct udp_view u;
    assert_int_equal(udp_parse(p, 8, &src0, &dst0, &u), WIRE_OK);
    assert_int_equal(u.len, 8);
    assert_int_equal(u.payload_len, 0);
    tail_free(p);
}

static void test_parse_truncated(void **state)
{
    (void)state;
    for (size_t len = 0; len < UDP_HLEN; len++)
        assert_int_equal(parse_copy(real_udp, len, &src9, &dst9), WIRE_ETRUNC);
}

static void test_parse_length_below_8(void **state)
{
    (void)state;
    for (uint16_t ulen = 0; ulen < UDP_HLEN; ulen++) {
        uint8_t b[14];
        memcpy(b, real_udp, sizeof b);
        wr16(b + 4, ulen);
        assert_int_equal(parse_copy(b, sizeof b, &src9, &dst9), WIRE_EBADLEN);
        /* Also with a zero (unchecked) checksum: the length check stands. */
        b[6] = b[7] = 0;
        assert_int_equal(parse_copy(b, sizeof b, &src9, &dst9), WIRE_EBADLEN);
    }
}

static void test_parse_length_past_span(void **state)
{
    (void)state;
    /* The datagram cut at every length between the header and its end. */
    for (size_t len = UDP_HLEN; len < sizeof real_udp; len++)
        assert_int_equal(parse_copy(real_udp, len, &src9, &dst9), WIRE_EBADLEN);
    /* Length fields larger than the span. */
    static const uint16_t lens[] = {15, 1500, 0xffff};
    for (size_t i = 0; i < sizeof lens / sizeof lens[0]; i++) {
        uint8_t b[14];
        memcpy(b, real_udp, sizeof b);
        wr16(b + 4, lens[i]);
        b[6] = b[7] = 0;
        assert_int_equal(parse_copy(b, sizeof b, &src9, &dst9), WIRE_EBADLEN);
    }
}

static void test_parse_trailing_bytes_ignored(void **state)
{
    (void)state;
    /* Bytes past the UDP length field (IP slack) are neither payload nor
     * checksummed. */
    uint8_t b[14 + 5];
    memcpy(b, real_udp, 14);
    memset(b + 14, 0x5a, 5);
    struct udp_view u;
    assert_int_equal(udp_parse(b, sizeof b, &src9, &dst9, &u), WIRE_OK);
    assert_int_equal(u.len, 14);
    assert_int_equal(u.payload_len, 6);
}

static void test_parse_bad_checksum(void **state)
{
    (void)state;
    /* Every single bit flip in header or payload (except the length
     * field, which fails its own check or the sum). */
    for (size_t byte = 0; byte < sizeof real_udp; byte++) {
        for (int bit = 0; bit < 8; bit++) {
            uint8_t b[14];
            memcpy(b, real_udp, sizeof b);
            b[byte] ^= (uint8_t)(1u << bit);
            int rc = parse_copy(b, sizeof b, &src9, &dst9);
            if (byte == 4 || byte == 5)
                assert_true(rc == WIRE_EBADLEN || rc == WIRE_ECSUM);
            else
                assert_int_equal(rc, WIRE_ECSUM);
        }
    }
}

static void test_parse_pseudo_header_matters(void **state)
{
    (void)state;
    /* Right bytes, wrong addresses: the pseudo-header is in the sum. */
    struct ip_addr other = ip_addr_v4(0x0a4d0903);
    assert_int_equal(parse_copy(real_udp, sizeof real_udp, &src9, &other), WIRE_ECSUM);
    assert_int_equal(parse_copy(real_udp, sizeof real_udp, &other, &dst9), WIRE_ECSUM);
    /* Swapped src/dst sum the same (the sum is commutative). */
    assert_int_equal(parse_copy(real_udp, sizeof real_udp, &dst9, &src9), WIRE_OK);
}

static void test_parse_zero_checksum_v4_accepted(void **state)
{
    (void)state;
    /* RFC 768: a zero checksum means the sender did not compute one. */
    uint8_t b[14];
    memcpy(b, real_udp, sizeof b);
    b[6] = b[7] = 0;
    struct udp_view u;
    assert_int_equal(udp_parse(b, sizeof b, &src9, &dst9, &u), WIRE_OK);
    assert_int_equal(u.csum, 0);
    assert_int_equal(u.payload_len, 6);
    /* Even with a corrupted payload nothing can be checked. */
    b[10] ^= 0xff;
    assert_int_equal(udp_parse(b, sizeof b, &src9, &dst9, &u), WIRE_OK);
}

static void test_parse_zero_checksum_v6_refused(void **state)
{
    (void)state;
    /* RFC 8200 8.1: over IPv6 the UDP checksum is mandatory. */
    uint8_t b[12];
    memcpy(b, v6_udp, sizeof b);
    b[6] = b[7] = 0;
    assert_int_equal(parse_copy(b, sizeof b, &src6, &dst6), WIRE_ECSUM);
}

static void test_emit_real(void **state)
{
    (void)state;
    uint8_t b[14 + 1];
    memset(b, 0xee, 8);
    memcpy(b + 8, "hello\n", 6);
    b[14] = 0xee;
    udp_emit(b, 33554, 9999, 6, &src9, &dst9);
    assert_memory_equal(b, real_udp, 14);
    assert_int_equal(b[14], 0xee);
}

static void test_emit_odd_and_v6(void **state)
{
    (void)state;
    uint8_t b[11];
    memcpy(b + 8, "abc", 3);
    udp_emit(b, 1234, 53, 3, &src0, &dst0);
    assert_memory_equal(b, odd_udp, sizeof b);

    uint8_t c[12];
    memcpy(c + 8, "ping", 4);
    udp_emit(c, 5000, 7, 4, &src6, &dst6);
    assert_memory_equal(c, v6_udp, sizeof c);
}

static void test_emit_zero_sent_as_ffff(void **state)
{
    (void)state;
    /* Find a payload whose checksum comes out as zero: emit once with a
     * zero word, then put that checksum into the word, which makes the
     * sum -0 (RFC 768: sent as all ones). */
    uint8_t b[10];
    b[8] = b[9] = 0;
    udp_emit(b, 4000, 5000, 2, &src0, &dst0);
    uint16_t c = rd16(b + 6);
    assert_int_not_equal(c, 0);
    wr16(b + 8, c);
    udp_emit(b, 4000, 5000, 2, &src0, &dst0);
    assert_int_equal(rd16(b + 6), 0xffff);
    /* And the receiver accepts it. */
    struct udp_view u;
    assert_int_equal(udp_parse(b, sizeof b, &src0, &dst0, &u), WIRE_OK);
    assert_int_equal(u.csum, 0xffff);

    /* The same over IPv6, where a zero on the wire would be refused. */
    b[8] = b[9] = 0;
    udp_emit(b, 4000, 5000, 2, &src6, &dst6);
    wr16(b + 8, rd16(b + 6));
    udp_emit(b, 4000, 5000, 2, &src6, &dst6);
    assert_int_equal(rd16(b + 6), 0xffff);
    assert_int_equal(udp_parse(b, sizeof b, &src6, &dst6, &u), WIRE_OK);
}

static void test_emit_parse_round_trip(void **state)
{
    (void)state;
    enum { MAXP = 1472 };
    uint8_t *b = malloc(UDP_HLEN + MAXP);
    assert_non_null(b);
    static const size_t lens[] = {0, 1, 2, 3, 7, 8, 9, 63, 64, 65, 511, 1471, 1472};
    for (size_t i = 0; i < sizeof lens / sizeof lens[0]; i++) {
        for (int fam = 0; fam < 2; fam++) {
            const struct ip_addr *s = fam ? &src6 : &src0;
            const struct ip_addr *d = fam ? &dst6 : &dst0;
            memset(b, 0xff, UDP_HLEN); /* stale header bytes must not matter */
            for (size_t k = 0; k < lens[i]; k++)
                b[UDP_HLEN + k] = (uint8_t)(k * 13 + i);
            udp_emit(b, (uint16_t)(1000 + i), 65535, lens[i], s, d);
            struct udp_view u;
            assert_int_equal(udp_parse(b, UDP_HLEN + lens[i], s, d, &u), WIRE_OK);
            assert_int_equal(u.sport, 1000 + i);
            assert_int_equal(u.dport, 65535);
            assert_int_equal(u.len, UDP_HLEN + lens[i]);
            assert_int_not_equal(u.csum, 0);
            assert_int_equal(u.payload_len, lens[i]);
            assert_ptr_equal(u.payload, b + UDP_HLEN);
        }
    }
    free(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_real),
        cmocka_unit_test(test_parse_odd_payload),
        cmocka_unit_test(test_parse_v6),
        cmocka_unit_test(test_parse_header_only),
        cmocka_unit_test(test_parse_truncated),
        cmocka_unit_test(test_parse_length_below_8),
        cmocka_unit_test(test_parse_length_past_span),
        cmocka_unit_test(test_parse_trailing_bytes_ignored),
        cmocka_unit_test(test_parse_bad_checksum),
        cmocka_unit_test(test_parse_pseudo_header_matters),
        cmocka_unit_test(test_parse_zero_checksum_v4_accepted),
        cmocka_unit_test(test_parse_zero_checksum_v6_refused),
        cmocka_unit_test(test_emit_real),
        cmocka_unit_test(test_emit_odd_and_v6),
        cmocka_unit_test(test_emit_zero_sent_as_ffff),
        cmocka_unit_test(test_emit_parse_round_trip),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
