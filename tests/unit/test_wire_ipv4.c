/* test_wire_ipv4.c - IPv4 header codec (RFC 791, RFC 1122 3.2.1). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "stack/wire/ipv4.h"
#include "tests/unit/support/bytes.h"

/* A Linux `ping -c1 10.77.9.2` request captured on a veth (Ethernet header
 * stripped): DF, TTL 64, id 10167, 56 data bytes. */
static const uint8_t real_ping_request[84] = {
    0x45, 0x00, 0x00, 0x54, 0x27, 0xb7, 0x40, 0x00, 0x40, 0x01, 0xec, 0x55, 0x0a, 0x4d,
    0x09, 0x01, 0x0a, 0x4d, 0x09, 0x02, 0x08, 0x00, 0xab, 0xc0, 0x13, 0x33, 0x00, 0x01,
    0x7c, 0xc8, 0x0b, 0x6b, 0x00, 0x00, 0x00, 0x00, 0xe5, 0x04, 0x0d, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19, 0x1a, 0x1b,
    0x1c, 0x1d, 0x1e, 0x1f, 0x20, 0x21, 0x22, 0x23, 0x24, 0x25, 0x26, 0x27, 0x28, 0x29,
    0x2a, 0x2b, 0x2c, 0x2d, 0x2e, 0x2f, 0x30, 0x31, 0x32, 0x33, 0x34, 0x35, 0x36, 0x37,
};

/* The kernel's port unreachable answer to a UDP datagram: TOS 0xc0 (network
 * control), no DF, total length 62. */
static const uint8_t real_port_unreach[62] = {
    0x45, 0xc0, 0x00, 0x3e, 0xd8, 0x7c, 0x00, 0x00, 0x40, 0x01, 0x7a, 0xe6, 0x0a, 0x4d,
    0x09, 0x02, 0x0a, 0x4d, 0x09, 0x01, 0x03, 0x03, 0xe8, 0x34, 0x00, 0x00, 0x00, 0x00,
    0x45, 0x00, 0x00, 0x22, 0x0b, 0x6f, 0x40, 0x00, 0x40, 0x11, 0x08, 0xc0, 0x0a, 0x4d,
    0x09, 0x01, 0x0a, 0x4d, 0x09, 0x02, 0x83, 0x12, 0x27, 0x0f, 0x00, 0x0e, 0x26, 0xbc,
    0x68, 0x65, 0x6c, 0x6c, 0x6f, 0x0a,
};

/* Recompute the header checksum of a header of ihl bytes. */
static void fix_csum(uint8_t *h, size_t ihl)
{
    h[10] = 0;
    h[11] = 0;
    wr16(h + 10, ref_csum(h, ihl));
}

/* Parse a copy that ends exactly at the end of a heap block, so any read
 * past the span is an ASan error. */
static int parse_copy(const uint8_t *src, size_t len, struct ipv4_view *v)
{
    uint8_t *p = tail_copy(src, len);
    int rc = ipv4_parse(p, len, v);
    tail_free(p);
    return rc;
}

static void test_parse_real_ping(void **state)
{
    (void)state;
    struct ipv4_view ip;
    assert_int_equal(ipv4_parse(real_ping_request, sizeof real_ping_request, &ip), WIRE_OK);
    assert_int_equal(ip.ihl, 20);
    assert_int_equal(ip.tos, 0);
    assert_int_equal(ip.total_len, 84);
    assert_int_equal(ip.id, 10167);
    assert_int_equal(ip.frag, IPV4_FLAG_DF);
    assert_false(ipv4_is_fragment(&ip));
    assert_int_equal(ip.ttl, 64);
    assert_int_equal(ip.proto, IPPROTO_ICMP_);
    assert_int_equal(ip.src, 0x0a4d0901);
    assert_int_equal(ip.dst, 0x0a4d0902);
    assert_int_equal(ip.options_len, 0);
    assert_ptr_equal(ip.payload, real_ping_request + 20);
    assert_int_equal(ip.payload_len, 64);
    assert_int_equal(ip.payload[0], 8); /* ICMP echo request */
}

static void test_parse_real_port_unreach(void **state)
{
    (void)state;
    struct ipv4_view ip;
    assert_int_equal(parse_copy(real_port_unreach, sizeof real_port_unreach, &ip), WIRE_OK);
    assert_int_equal(ip.tos, 0xc0);
    assert_int_equal(ip.frag, 0);
    assert_int_equal(ip.id, 55420);
    assert_int_equal(ip.src, 0x0a4d0902);
    assert_int_equal(ip.dst, 0x0a4d0901);
    assert_int_equal(ip.payload_len, 42);
}

static void test_parse_wikipedia_header(void **state)
{
    (void)state;
    /* The classic example header (checksum b861), followed by its 95
     * payload bytes. */
    uint8_t pkt[0x73] = {0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11,
                         0xb8, 0x61, 0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7};
    struct ipv4_view ip;
    assert_int_equal(parse_copy(pkt, sizeof pkt, &ip), WIRE_OK);
    assert_int_equal(ip.proto, IPPROTO_UDP_);
    assert_int_equal(ip.src, 0xc0a80001);
    assert_int_equal(ip.dst, 0xc0a800c7);
    assert_int_equal(ip.payload_len, 0x73 - 20);
    /* Only the header arrived: total_len points past the span. */
    assert_int_equal(parse_copy(pkt, 20, &ip), WIRE_EBADLEN);
}

static void test_parse_ethernet_padding_ignored(void **state)
{
    (void)state;
    /* A 20-byte header + 8-byte ICMP in a 46-byte minimum Ethernet payload. */
    uint8_t buf[46];
    memset(buf, 0, sizeof buf);
    memcpy(buf, real_ping_request, 28);
    wr16(buf + 2, 28);
    fix_csum(buf, 20);
    memset(buf + 28, 0xa5, sizeof buf - 28); /* junk padding */
    struct ipv4_view ip;
    assert_int_equal(parse_copy(buf, sizeof buf, &ip), WIRE_OK);
    assert_int_equal(ip.total_len, 28);
    assert_int_equal(ip.payload_len, 8);
}

static void test_parse_header_only_datagram(void **state)
{
    (void)state;
    /* total_len == IHL: a datagram with an empty payload is valid. */
    uint8_t h[20];
    memcpy(h, real_ping_request, 20);
    wr16(h + 2, 20);
    fix_csum(h, 20);
    struct ipv4_view ip;
    assert_int_equal(parse_copy(h, 20, &ip), WIRE_OK);
    assert_int_equal(ip.payload_len, 0);
}

static void test_parse_options(void **state)
{
    (void)state;
    /* IHL 6: a router alert option (RFC 2113) before an 8-byte payload. */
    uint8_t pkt[32];
    memcpy(pkt, real_ping_request, 20);
    pkt[0] = 0x46;
    wr16(pkt + 2, 32);
    pkt[20] = 0x94;
    pkt[21] = 0x04;
    pkt[22] = 0x00;
    pkt[23] = 0x00;
    memset(pkt + 24, 0x42, 8);
    fix_csum(pkt, 24);
    struct ipv4_view ip;
    /* pkt is exactly sized: ASan guards the stack array too. */
    assert_int_equal(ipv4_parse(pkt, sizeof pkt, &ip), WIRE_OK);
    assert_int_equal(ip.ihl, 24);
    assert_int_equal(ip.options_len, 4);
    assert_int_equal(ip.options[0], 0x94);
    assert_int_equal(ip.payload_len, 8);
    assert_int_equal(ip.payload[0], 0x42);
    /* The checksum covers the options too. */
    pkt[23] = 1;
    assert_int_equal(parse_copy(pkt, sizeof pkt, &ip), WIRE_ECSUM);
}

static void test_parse_max_ihl(void **state)
{
    (void)state;
    /* IHL 15: 40 bytes of NOP options, the largest header. */
    uint8_t pkt[64];
    memcpy(pkt, real_ping_request, 20);
    pkt[0] = 0x4f;
    wr16(pkt + 2, 64);
    memset(pkt + 20, 0x01, 40);
    memset(pkt + 60, 0x99, 4);
    fix_csum(pkt, 60);
    struct ipv4_view ip;
    /* pkt is exactly sized: ASan guards the stack array too. */
    assert_int_equal(ipv4_parse(pkt, sizeof pkt, &ip), WIRE_OK);
    assert_int_equal(ip.ihl, IPV4_MAX_HLEN);
    assert_int_equal(ip.options_len, 40);
    assert_int_equal(ip.payload_len, 4);
    assert_int_equal(ip.payload[0], 0x99);
}

static void test_parse_truncated(void **state)
{
    (void)state;
    for (size_t len = 0; len < IPV4_HLEN; len++) {
        struct ipv4_view ip;
        assert_int_equal(parse_copy(real_ping_request, len, &ip), WIRE_ETRUNC);
    }
}

static void test_parse_truncated_payload(void **state)
{
    (void)state;
    /* Every cut inside the payload: total_len (84) runs past the span. */
    for (size_t len = IPV4_HLEN; len < sizeof real_ping_request; len++) {
        struct ipv4_view ip;
        assert_int_equal(parse_copy(real_ping_request, len, &ip), WIRE_EBADLEN);
    }
}

static void test_parse_ihl_past_span(void **state)
{
    (void)state;
    /* For every IHL 6..15, spans from 20 bytes up to IHL-1 end inside the
     * options: refused before the options or the checksum are read. */
    for (unsigned ihl_words = 6; ihl_words <= 15; ihl_words++) {
        size_t ihl = ihl_words * 4;
        uint8_t pkt[60];
        memset(pkt, 0x01, sizeof pkt);
        memcpy(pkt, real_ping_request, 20);
        pkt[0] = (uint8_t)(0x40 | ihl_words);
        wr16(pkt + 2, (uint16_t)ihl);
        fix_csum(pkt, ihl);
        for (size_t len = IPV4_HLEN; len < ihl; len++) {
            struct ipv4_view ip;
            assert_int_equal(parse_copy(pkt, len, &ip), WIRE_ETRUNC);
        }
        struct ipv4_view ip;
        assert_int_equal(parse_copy(pkt, ihl, &ip), WIRE_OK);
        assert_int_equal(ip.ihl, ihl);
    }
}

static void test_parse_ihl_below_5(void **state)
{
    (void)state;
    for (unsigned ihl_words = 0; ihl_words < 5; ihl_words++) {
        uint8_t pkt[84];
        memcpy(pkt, real_ping_request, sizeof pkt);
        pkt[0] = (uint8_t)(0x40 | ihl_words);
        fix_csum(pkt, 20);
        struct ipv4_view ip;
        assert_int_equal(parse_copy(pkt, sizeof pkt, &ip), WIRE_EBADHDR);
    }
}

static void test_parse_wrong_version(void **state)
{
    (void)state;
    static const uint8_t versions[] = {0, 1, 5, 6, 15};
    for (size_t i = 0; i < sizeof versions; i++) {
        uint8_t pkt[84];
        memcpy(pkt, real_ping_request, sizeof pkt);
        pkt[0] = (uint8_t)(versions[i] << 4 | 5);
        fix_csum(pkt, 20);
        struct ipv4_view ip;
        assert_int_equal(parse_copy(pkt, sizeof pkt, &ip), WIRE_EVERSION);
    }
    /* An IPv6 header handed to the IPv4 parser. */
    uint8_t v6[40] = {0x60, 0x00, 0x00, 0x00, 0x00, 0x00, 0x3a, 0x40};
    struct ipv4_view ip;
    assert_int_equal(parse_copy(v6, sizeof v6, &ip), WIRE_EVERSION);
}

static void test_parse_total_len_below_ihl(void **state)
{
    (void)state;
    static const uint16_t lens[] = {0, 1, 19};
    for (size_t i = 0; i < sizeof lens / sizeof lens[0]; i++) {
        uint8_t pkt[84];
        memcpy(pkt, real_ping_request, sizeof pkt);
        wr16(pkt + 2, lens[i]);
        fix_csum(pkt, 20);
        struct ipv4_view ip;
        assert_int_equal(parse_copy(pkt, sizeof pkt, &ip), WIRE_EBADLEN);
    }
    /* With options, total_len between 20 and IHL is still below IHL. */
    uint8_t pkt[40];
    memset(pkt, 0x01, sizeof pkt);
    memcpy(pkt, real_ping_request, 20);
    pkt[0] = 0x48; /* IHL 32 bytes */
    wr16(pkt + 2, 28);
    fix_csum(pkt, 32);
    struct ipv4_view ip;
    assert_int_equal(parse_copy(pkt, sizeof pkt, &ip), WIRE_EBADLEN);
}

static void test_parse_total_len_past_span(void **state)
{
    (void)state;
    static const uint16_t lens[] = {85, 1500, 0xffff};
    for (size_t i = 0; i < sizeof lens / sizeof lens[0]; i++) {
        uint8_t pkt[84];
        memcpy(pkt, real_ping_request, sizeof pkt);
        wr16(pkt + 2, lens[i]);
        fix_csum(pkt, 20);
        struct ipv4_view ip;
        assert_int_equal(parse_copy(pkt, sizeof pkt, &ip), WIRE_EBADLEN);
    }
}

static void test_parse_bad_checksum(void **state)
{
    (void)state;
    uint8_t pkt[84];
    memcpy(pkt, real_ping_request, sizeof pkt);
    struct ipv4_view ip;
    /* A router decremented the TTL without updating the checksum. */
    pkt[8] = 63;
    assert_int_equal(parse_copy(pkt, sizeof pkt, &ip), WIRE_ECSUM);
    /* A zeroed checksum field is not "no checksum" in IPv4. */
    memcpy(pkt, real_ping_request, sizeof pkt);
    pkt[10] = 0;
    pkt[11] = 0;
    assert_int_equal(parse_copy(pkt, sizeof pkt, &ip), WIRE_ECSUM);
}

static void test_parse_every_bit_flip_refused(void **state)
{
    (void)state;
    /* One flipped bit anywhere in the header changes the one's complement
     * sum, so it is always refused: as ECSUM, or earlier by the field
     * check it broke (version, IHL, total length). */
    for (size_t byte = 0; byte < IPV4_HLEN; byte++) {
        for (int bit = 0; bit < 8; bit++) {
            uint8_t pkt[84];
            memcpy(pkt, real_ping_request, sizeof pkt);
            pkt[byte] ^= (uint8_t)(1u << bit);
            struct ipv4_view ip;
            int rc = parse_copy(pkt, sizeof pkt, &ip);
            if (byte == 0 || byte == 2 || byte == 3)
                assert_true(rc < 0);
            else
                assert_int_equal(rc, WIRE_ECSUM);
        }
    }
    /* A flipped bit in the payload is not the IP layer's business. */
    uint8_t pkt[84];
    memcpy(pkt, real_ping_request, sizeof pkt);
    pkt[50] ^= 0x10;
    struct ipv4_view ip;
    assert_int_equal(parse_copy(pkt, sizeof pkt, &ip), WIRE_OK);
}

static void test_is_fragment(void **state)
{
    (void)state;
    struct ipv4_view ip;
    memset(&ip, 0, sizeof ip);
    ip.frag = 0;
    assert_false(ipv4_is_fragment(&ip));
    ip.frag = IPV4_FLAG_DF;
    assert_false(ipv4_is_fragment(&ip));
    ip.frag = IPV4_FLAG_MF; /* first fragment */
    assert_true(ipv4_is_fragment(&ip));
    ip.frag = 185; /* last fragment, offset 1480 */
    assert_true(ipv4_is_fragment(&ip));
    ip.frag = IPV4_FLAG_MF | 1;
    assert_true(ipv4_is_fragment(&ip));
}

static void test_emit_real_ping_header(void **state)
{
    (void)state;
    struct ipv4_emit_args a = {
        .tos = 0,
        .id = 10167,
        .frag = IPV4_FLAG_DF,
        .ttl = 64,
        .proto = IPPROTO_ICMP_,
        .src = 0x0a4d0901,
        .dst = 0x0a4d0902,
        .payload_len = 64,
    };
    uint8_t buf[IPV4_HLEN + 1];
    memset(buf, 0xee, sizeof buf);
    ipv4_emit(buf, &a);
    /* Byte for byte what Linux sent, checksum ec55 included. */
    assert_memory_equal(buf, real_ping_request, IPV4_HLEN);
    assert_int_equal(buf[IPV4_HLEN], 0xee);
}

static void test_emit_real_port_unreach_header(void **state)
{
    (void)state;
    struct ipv4_emit_args a = {
        .tos = 0xc0,
        .id = 55420,
        .frag = 0,
        .ttl = 64,
        .proto = IPPROTO_ICMP_,
        .src = 0x0a4d0902,
        .dst = 0x0a4d0901,
        .payload_len = 42,
    };
    uint8_t buf[IPV4_HLEN];
    ipv4_emit(buf, &a);
    assert_memory_equal(buf, real_port_unreach, IPV4_HLEN);
}

static void test_emit_parse_round_trip(void **state)
{
    (void)state;
    static const uint16_t lens[] = {0, 1, 8, 1480, 65515};
    uint8_t *pkt = calloc(1, 65535);
    assert_non_null(pkt);
    for (size_t i = 0; i < sizeof lens / sizeof lens[0]; i++) {
        struct ipv4_emit_args a = {
            .tos = 0x2e,
            .id = (uint16_t)(0xfff0 + i),
            .frag = (uint16_t)(IPV4_FLAG_MF | (i * 100)),
            .ttl = (uint8_t)(255 - i),
            .proto = IPPROTO_UDP_,
            .src = 0xffffffff - (uint32_t)i,
            .dst = 0x0a4d0000 + (uint32_t)i,
            .payload_len = lens[i],
        };
        ipv4_emit(pkt, &a);
        assert_int_equal(ref_csum(pkt, IPV4_HLEN), 0);
        struct ipv4_view ip;
        assert_int_equal(ipv4_parse(pkt, IPV4_HLEN + lens[i], &ip), WIRE_OK);
        assert_int_equal(ip.ihl, 20);
        assert_int_equal(ip.tos, a.tos);
        assert_int_equal(ip.total_len, IPV4_HLEN + lens[i]);
        assert_int_equal(ip.id, a.id);
        assert_int_equal(ip.frag, a.frag);
        assert_int_equal(ip.ttl, a.ttl);
        assert_int_equal(ip.proto, a.proto);
        assert_int_equal(ip.src, a.src);
        assert_int_equal(ip.dst, a.dst);
        assert_int_equal(ip.payload_len, lens[i]);
        assert_ptr_equal(ip.payload, pkt + IPV4_HLEN);
        assert_int_equal(ipv4_is_fragment(&ip), i > 0 || (a.frag & IPV4_FLAG_MF) != 0);
    }
    free(pkt);
}

/* RFC 791 3.1: LSRR/SSRR with hops left, exhausted, absent, malformed. */
static void test_source_route_walk(void **state)
{
    (void)state;
    /* LSRR, length 11 (two addresses), pointer 4: two hops to go. */
    const uint8_t lsrr[] = {0x83, 11, 4, 10, 77, 0, 9, 10, 77, 0, 2, 0};
    assert_int_equal(ipv4_source_route(lsrr, sizeof lsrr), IPV4_SRR_PENDING);
    /* Pointer 8: the last address is still ahead. */
    const uint8_t lsrr_last[] = {1, 0x83, 11, 8, 10, 77, 0, 9, 10, 77, 0, 2};
    assert_int_equal(ipv4_source_route(lsrr_last, sizeof lsrr_last), IPV4_SRR_PENDING);
    /* Pointer 12 > length 11: exhausted, we are the destination. */
    const uint8_t ssrr_done[] = {0x89, 11, 12, 10, 77, 0, 9, 10, 77, 0, 2, 0};
    assert_int_equal(ipv4_source_route(ssrr_done, sizeof ssrr_done), IPV4_SRR_DONE);
    /* SSRR with hops, after a NOP and a record route (7). */
    const uint8_t ssrr[] = {1, 7, 7, 4, 0, 0, 0, 0, 0x89, 7, 4, 10, 77, 0, 9, 0};
    assert_int_equal(ipv4_source_route(ssrr, sizeof ssrr), IPV4_SRR_PENDING);
    /* Nothing but padding, a record route, a timestamp. */
    const uint8_t none[] = {1, 7, 7, 4, 0, 0, 0, 0, 68, 4, 5, 0, 0};
    assert_int_equal(ipv4_source_route(none, sizeof none), IPV4_SRR_NONE);
    assert_int_equal(ipv4_source_route(NULL, 0), IPV4_SRR_NONE);
    /* After EOL nothing counts. */
    const uint8_t eol[] = {0, 0x83, 7, 4, 10, 77, 0, 9};
    assert_int_equal(ipv4_source_route(eol, sizeof eol), IPV4_SRR_NONE);
    /* A route option too short for a pointer cannot say it is done. */
    const uint8_t short_srr[] = {0x83, 2, 0, 0};
    assert_int_equal(ipv4_source_route(short_srr, sizeof short_srr), IPV4_SRR_PENDING);
    /* Lengths that cannot be stop the walk: 0, 1, past the span. */
    const uint8_t len0[] = {7, 0, 0x83, 7, 4, 1, 2, 3, 4};
    assert_int_equal(ipv4_source_route(len0, sizeof len0), IPV4_SRR_NONE);
    const uint8_t len1[] = {7, 1, 0x83, 7, 4, 1, 2, 3, 4};
    assert_int_equal(ipv4_source_route(len1, sizeof len1), IPV4_SRR_NONE);
    const uint8_t past[] = {0x83, 40, 4, 1, 2, 3, 4, 0};
    assert_int_equal(ipv4_source_route(past, sizeof past), IPV4_SRR_NONE);
    const uint8_t lone_type[] = {1, 1, 1, 0x83};
    assert_int_equal(ipv4_source_route(lone_type, sizeof lone_type), IPV4_SRR_NONE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_real_ping),
        cmocka_unit_test(test_parse_real_port_unreach),
        cmocka_unit_test(test_parse_wikipedia_header),
        cmocka_unit_test(test_parse_ethernet_padding_ignored),
        cmocka_unit_test(test_parse_header_only_datagram),
        cmocka_unit_test(test_parse_options),
        cmocka_unit_test(test_parse_max_ihl),
        cmocka_unit_test(test_parse_truncated),
        cmocka_unit_test(test_parse_truncated_payload),
        cmocka_unit_test(test_parse_ihl_past_span),
        cmocka_unit_test(test_parse_ihl_below_5),
        cmocka_unit_test(test_parse_wrong_version),
        cmocka_unit_test(test_parse_total_len_below_ihl),
        cmocka_unit_test(test_parse_total_len_past_span),
        cmocka_unit_test(test_parse_bad_checksum),
        cmocka_unit_test(test_parse_every_bit_flip_refused),
        cmocka_unit_test(test_is_fragment),
        cmocka_unit_test(test_emit_real_ping_header),
        cmocka_unit_test(test_emit_real_port_unreach_header),
        cmocka_unit_test(test_emit_parse_round_trip),
        cmocka_unit_test(test_source_route_walk),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
