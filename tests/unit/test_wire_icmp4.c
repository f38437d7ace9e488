/* test_wire_icmp4.c - ICMPv4 codec (RFC 792, RFC 1122 3.2.2). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "stack/wire/icmp4.h"
#include "stack/wire/ipv4.h"
#include "tests/unit/support/bytes.h"

/* ICMP part of a Linux `ping -c1` request captured on a veth: id 4915
 * (0x1333), seq 1, 8-byte timestamp + the bytes 0x10..0x37. */
static const uint8_t real_echo_request[64] = {
    0x08, 0x00, 0xab, 0xc0, 0x13, 0x33, 0x00, 0x01, 0x7c, 0xc8, 0x0b, 0x6b, 0x00, 0x00,
    0x00, 0x00, 0xe5, 0x04, 0x0d, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10, 0x11, 0x12, 0x13,
    0x14, 0x15, 0x16, 0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f, 0x20, 0x21,
    0x22, 0x23, 0x24, 0x25, 0x26, 0x27, 0x28, 0x29, 0x2a, 0x2b, 0x2c, 0x2d, 0x2e, 0x2f,
    0x30, 0x31, 0x32, 0x33, 0x34, 0x35, 0x36, 0x37,
};

/* The kernel's echo reply to it. */
static const uint8_t real_echo_reply[64] = {
    0x00, 0x00, 0xb3, 0xc0, 0x13, 0x33, 0x00, 0x01, 0x7c, 0xc8, 0x0b, 0x6b, 0x00, 0x00,
    0x00, 0x00, 0xe5, 0x04, 0x0d, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10, 0x11, 0x12, 0x13,
    0x14, 0x15, 0x16, 0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f, 0x20, 0x21,
    0x22, 0x23, 0x24, 0x25, 0x26, 0x27, 0x28, 0x29, 0x2a, 0x2b, 0x2c, 0x2d, 0x2e, 0x2f,
    0x30, 0x31, 0x32, 0x33, 0x34, 0x35, 0x36, 0x37,
};

/* The kernel's port unreachable for UDP 10.77.9.1:33554 -> 10.77.9.2:9999
 * "hello\n": the quote is the whole original datagram (20 + 14 bytes). */
static const uint8_t real_port_unreach[42] = {
    0x03, 0x03, 0xe8, 0x34, 0x00, 0x00, 0x00, 0x00, 0x45, 0x00, 0x00, 0x22, 0x0b, 0x6f,
    0x40, 0x00, 0x40, 0x11, 0x08, 0xc0, 0x0a, 0x4d, 0x09, 0x01, 0x0a, 0x4d, 0x09, 0x02,
    0x83, 0x12, 0x27, 0x0f, 0x00, 0x0e, 0x26, 0xbc, 0x68, 0x65, 0x6c, 0x6c, 0x6f, 0x0a,
};

/* The quoted datagram alone (body of the port unreachable). */
#define QUOTE (real_port_unreach + 8)
#define QUOTE_LEN (sizeof real_port_unreach - 8)

static int parse_copy(const uint8_t *src, size_t len)
{
    uint8_t *p = tail_copy(src, len);
    struct icmp4_view v;
    int rc = icmp4_parse(p, len, &v);
    tail_free(p);
    return rc;
}

static int quote_copy(const uint8_t *src, size_t len)
{
    uint8_t *p = tail_copy(src, len);
    struct icmp4_quote q;
    int rc = icmp4_parse_quote(p, len, &q);
    tail_free(p);
    return rc;
}

static void test_parse_real_echo_request(void **state)
{
    (void)state;
    uint8_t *p = tail_copy(real_echo_request, sizeof real_echo_request);
    struct icmp4_view v;
    assert_int_equal(icmp4_parse(p, sizeof real_echo_request, &v), WIRE_OK);
    assert_int_equal(v.type, ICMP4_ECHO_REQUEST);
    assert_int_equal(v.code, 0);
    assert_int_equal(v.rest, 0x13330001); /* id 4915, seq 1 */
    assert_int_equal(v.rest >> 16, 4915);
    assert_int_equal(v.rest & 0xffff, 1);
    assert_ptr_equal(v.body, p + 8);
    assert_int_equal(v.body_len, 56);
    assert_int_equal(v.body[55], 0x37);
    tail_free(p);
}

static void test_parse_real_echo_reply(void **state)
{
    (void)state;
    struct icmp4_view v;
    assert_int_equal(icmp4_parse(real_echo_reply, sizeof real_echo_reply, &v), WIRE_OK);
    assert_int_equal(v.type, ICMP4_ECHO_REPLY);
    assert_int_equal(v.code, 0);
    assert_int_equal(v.rest, 0x13330001);
    assert_int_equal(v.body_len, 56);
}

static void test_parse_real_port_unreach(void **state)
{
    (void)state;
    struct icmp4_view v;
    assert_int_equal(icmp4_parse(real_port_unreach, sizeof real_port_unreach, &v), WIRE_OK);
    assert_int_equal(v.type, ICMP4_DEST_UNREACH);
    assert_int_equal(v.code, ICMP4_PORT_UNREACH);
    assert_int_equal(v.rest, 0);
    assert_int_equal(v.body_len, 34);

    struct icmp4_quote q;
    assert_int_equal(icmp4_parse_quote(v.body, v.body_len, &q), WIRE_OK);
    assert_int_equal(q.proto, IPPROTO_UDP_);
    assert_int_equal(q.src, 0x0a4d0901);
    assert_int_equal(q.dst, 0x0a4d0902);
    assert_int_equal(q.sport, 33554);
    assert_int_equal(q.dport, 9999);
    assert_ptr_equal(q.l4, v.body + 20);
    assert_int_equal(q.l4_len, 14);
}

static void test_parse_header_only(void **state)
{
    (void)state;
    /* An echo request with no data: id 1, seq 0, checksum f7fe. */
    static const uint8_t m[8] = {0x08, 0x00, 0xf7, 0xfe, 0x00, 0x01, 0x00, 0x00};
    assert_int_equal(ref_csum(m, 8), 0);
    uint8_t *p = tail_copy(m, 8);
    struct icmp4_view v;
    assert_int_equal(icmp4_parse(p, 8, &v), WIRE_OK);
    assert_int_equal(v.body_len, 0);
    assert_int_equal(v.rest, 0x00010000);
    tail_free(p);
}

static void test_parse_truncated(void **state)
{
    (void)state;
    for (size_t len = 0; len < ICMP4_HLEN; len++)
        assert_int_equal(parse_copy(real_echo_request, len), WIRE_ETRUNC);
}

static void test_parse_bad_checksum(void **state)
{
    (void)state;
    /* Any single bit flip, header or data, breaks the checksum. */
    for (size_t byte = 0; byte < sizeof real_echo_request; byte++) {
        for (int bit = 0; bit < 8; bit += 3) {
            uint8_t m[64];
            memcpy(m, real_echo_request, sizeof m);
            m[byte] ^= (uint8_t)(1u << bit);
            assert_int_equal(parse_copy(m, sizeof m), WIRE_ECSUM);
        }
    }
    /* A zero checksum field is not "no checksum". */
    uint8_t m[64];
    memcpy(m, real_echo_request, sizeof m);
    m[2] = m[3] = 0;
    assert_int_equal(parse_copy(m, sizeof m), WIRE_ECSUM);
}

static void test_parse_cut_message_fails_checksum(void **state)
{
    (void)state;
    /* The checksum covers every byte: a message cut short (or with a byte
     * appended) no longer verifies. (No tail of this message happens to sum
     * to -0, so every cut must be caught.) */
    for (size_t len = ICMP4_HLEN; len < sizeof real_echo_request; len++)
        assert_int_equal(parse_copy(real_echo_request, len), WIRE_ECSUM);
    uint8_t m[65];
    memcpy(m, real_echo_request, 64);
    m[64] = 0x01;
    assert_int_equal(parse_copy(m, sizeof m), WIRE_ECSUM);
}

static void test_emit_real_echo_reply(void **state)
{
    (void)state;
    /* Turn the request into the reply the way a stack does: same rest and
     * body, type 0. The result must be what Linux sent, checksum b3c0. */
    uint8_t m[64 + 1];
    memcpy(m, real_echo_request, 64);
    m[64] = 0xee;
    icmp4_emit(m, ICMP4_ECHO_REPLY, 0, 0x13330001, 56);
    assert_memory_equal(m, real_echo_reply, 64);
    assert_int_equal(m[64], 0xee);
}

static void test_emit_real_port_unreach(void **state)
{
    (void)state;
    uint8_t m[42];
    memset(m, 0xee, 8);
    memcpy(m + 8, QUOTE, QUOTE_LEN);
    icmp4_emit(m, ICMP4_DEST_UNREACH, ICMP4_PORT_UNREACH, 0, QUOTE_LEN);
    assert_memory_equal(m, real_port_unreach, sizeof m);
}

static void test_emit_parse_round_trip(void **state)
{
    (void)state;
    /* Odd and even body lengths; stale bytes in the checksum field must
     * not leak into the result. */
    for (size_t body_len = 0; body_len <= 67; body_len++) {
        uint8_t m[8 + 67];
        memset(m, 0xff, 8);
        for (size_t i = 0; i < body_len; i++)
            m[8 + i] = (uint8_t)(i * 7 + body_len);
        icmp4_emit(m, ICMP4_TIME_EXCEEDED, 1, 0xdeadbeef, body_len);
        assert_int_equal(ref_csum(m, 8 + body_len), 0);
        struct icmp4_view v;
        assert_int_equal(icmp4_parse(m, 8 + body_len, &v), WIRE_OK);
        assert_int_equal(v.type, ICMP4_TIME_EXCEEDED);
        assert_int_equal(v.code, 1);
        assert_int_equal(v.rest, 0xdeadbeef);
        assert_int_equal(v.body_len, body_len);
        assert_ptr_equal(v.body, m + 8);
    }
}

static void test_emit_frag_needed_mtu(void **state)
{
    (void)state;
    /* RFC 1191: the next-hop MTU in the low 16 bits of "rest". */
    uint8_t m[8 + 28];
    memcpy(m + 8, QUOTE, 28);
    icmp4_emit(m, ICMP4_DEST_UNREACH, ICMP4_FRAG_NEEDED, 1400, 28);
    assert_int_equal(rd16(m + 6), 1400);
    struct icmp4_view v;
    assert_int_equal(icmp4_parse(m, sizeof m, &v), WIRE_OK);
    assert_int_equal(v.rest & 0xffff, 1400);
    struct icmp4_quote q;
    assert_int_equal(icmp4_parse_quote(v.body, v.body_len, &q), WIRE_OK);
    assert_int_equal(q.dport, 9999);
    assert_int_equal(q.l4_len, 8);
}

static void test_quote_minimal(void **state)
{
    (void)state;
    /* RFC 792: IP header + 64 bits of data is all a router must quote. */
    uint8_t *p = tail_copy(QUOTE, 28);
    struct icmp4_quote q;
    assert_int_equal(icmp4_parse_quote(p, 28, &q), WIRE_OK);
    assert_int_equal(q.proto, IPPROTO_UDP_);
    assert_int_equal(q.sport, 33554);
    assert_int_equal(q.dport, 9999);
    assert_int_equal(q.l4_len, 8);
    assert_ptr_equal(q.l4, p + 20);
    tail_free(p);
}

static void test_quote_too_short(void **state)
{
    (void)state;
    /* Every length below header + 8 bytes. */
    for (size_t len = 0; len < 28; len++)
        assert_int_equal(quote_copy(QUOTE, len), WIRE_ETRUNC);
}

static void test_quote_options(void **state)
{
    (void)state;
    /* Quoted header with IHL 6: the ports come after the options. */
    uint8_t b[24 + 8];
    memcpy(b, QUOTE, 20);
    b[0] = 0x46;
    b[20] = 0x94;
    b[21] = 0x04;
    b[22] = 0x00;
    b[23] = 0x00;
    memcpy(b + 24, QUOTE + 20, 8);
    wr16(b + 2, 24 + 14);
    struct icmp4_quote q;
    /* b is exactly sized: ASan guards the stack array. */
    assert_int_equal(icmp4_parse_quote(b, sizeof b, &q), WIRE_OK);
    assert_int_equal(q.sport, 33554);
    assert_int_equal(q.dport, 9999);
    assert_ptr_equal(q.l4, b + 24);
    assert_int_equal(q.l4_len, 8);
    /* One byte short of IHL + 8. */
    for (size_t len = 20; len < sizeof b; len++)
        assert_int_equal(quote_copy(b, len), WIRE_ETRUNC);
}

static void test_quote_ihl_past_span(void **state)
{
    (void)state;
    /* IHL 15 claims 60 header bytes in a 34-byte quote. */
    uint8_t b[34];
    memcpy(b, QUOTE, sizeof b);
    b[0] = 0x4f;
    assert_int_equal(quote_copy(b, sizeof b), WIRE_ETRUNC);
    /* And with just one byte missing (60 + 8 - 1). */
    uint8_t big[67];
    memset(big, 0, sizeof big);
    memcpy(big, QUOTE, 20);
    big[0] = 0x4f;
    assert_int_equal(quote_copy(big, sizeof big), WIRE_ETRUNC);
}

static void test_quote_ihl_below_5(void **state)
{
    (void)state;
    for (uint8_t ihl = 0; ihl < 5; ihl++) {
        uint8_t b[34];
        memcpy(b, QUOTE, sizeof b);
        b[0] = (uint8_t)(0x40 | ihl);
        assert_int_equal(quote_copy(b, sizeof b), WIRE_EBADHDR);
    }
}

static void test_quote_wrong_version(void **state)
{
    (void)state;
    static const uint8_t versions[] = {0, 6, 15};
    for (size_t i = 0; i < sizeof versions; i++) {
        uint8_t b[34];
        memcpy(b, QUOTE, sizeof b);
        b[0] = (uint8_t)(versions[i] << 4 | 5);
        assert_int_equal(quote_copy(b, sizeof b), WIRE_EVERSION);
    }
}

static void test_quote_lenient(void **state)
{
    (void)state;
    /* The quoted header as a router saw it: TTL decremented, checksum
     * stale, and a total length larger than what was quoted (the router
     * quoted only 8 bytes of a 1500-byte datagram). Still usable. */
    uint8_t b[28];
    memcpy(b, QUOTE, 28);
    b[8] = 1;
    wr16(b + 10, 0x1234);
    wr16(b + 2, 1500);
    struct icmp4_quote q;
    assert_int_equal(icmp4_parse_quote(b, sizeof b, &q), WIRE_OK);
    assert_int_equal(q.dport, 9999);
    assert_int_equal(q.l4_len, 8);
    /* A nonsense total length (smaller than the header) is ignored too. */
    wr16(b + 2, 3);
    assert_int_equal(icmp4_parse_quote(b, sizeof b, &q), WIRE_OK);
    assert_int_equal(q.l4_len, 8);
}

static void test_quote_trailing_padding_trimmed(void **state)
{
    (void)state;
    /* A quote padded past the original datagram (RFC 4884 pads to 128
     * bytes before extensions): l4_len stops at the quoted total length. */
    uint8_t b[128];
    memset(b, 0, sizeof b);
    memcpy(b, QUOTE, QUOTE_LEN);
    struct icmp4_quote q;
    assert_int_equal(icmp4_parse_quote(b, sizeof b, &q), WIRE_OK);
    assert_int_equal(q.l4_len, 14);
    assert_int_equal(q.sport, 33554);
}

static void test_quote_tcp(void **state)
{
    (void)state;
    /* A quoted TCP SYN 10.77.0.1:40000 -> 10.77.0.2:80 (8 bytes of it). */
    uint8_t b[28] = {0x45, 0x00, 0x00, 0x3c, 0x00, 0x01, 0x40, 0x00, 0x01, 0x06,
                     0x00, 0x00, 0x0a, 0x4d, 0x00, 0x01, 0x0a, 0x4d, 0x00, 0x02};
    wr16(b + 20, 40000);
    wr16(b + 22, 80);
    wr32(b + 24, 0x01020304); /* sequence number */
    struct icmp4_quote q;
    assert_int_equal(icmp4_parse_quote(b, sizeof b, &q), WIRE_OK);
    assert_int_equal(q.proto, IPPROTO_TCP_);
    assert_int_equal(q.src, 0x0a4d0001);
    assert_int_equal(q.dst, 0x0a4d0002);
    assert_int_equal(q.sport, 40000);
    assert_int_equal(q.dport, 80);
    assert_int_equal(rd32(q.l4 + 4), 0x01020304);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_real_echo_request),
        cmocka_unit_test(test_parse_real_echo_reply),
        cmocka_unit_test(test_parse_real_port_unreach),
        cmocka_unit_test(test_parse_header_only),
        cmocka_unit_test(test_parse_truncated),
        cmocka_unit_test(test_parse_bad_checksum),
        cmocka_unit_test(test_parse_cut_message_fails_checksum),
        cmocka_unit_test(test_emit_real_echo_reply),
        cmocka_unit_test(test_emit_real_port_unreach),
        cmocka_unit_test(test_emit_parse_round_trip),
        cmocka_unit_test(test_emit_frag_needed_mtu),
        cmocka_unit_test(test_quote_minimal),
        cmocka_unit_test(test_quote_too_short),
        cmocka_unit_test(test_quote_options),
        cmocka_unit_test(test_quote_ihl_past_span),
        cmocka_unit_test(test_quote_ihl_below_5),
        cmocka_unit_test(test_quote_wrong_version),
        cmocka_unit_test(test_quote_lenient),
        cmocka_unit_test(test_quote_trailing_padding_trimmed),
        cmocka_unit_test(test_quote_tcp),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
