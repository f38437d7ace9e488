/* test_wire_ipv6.c - IPv6 header, extension header chain (RFC 8200) and
 * address helpers (RFC 4291, RFC 5952). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <cmocka.h>

#include "stack/wire/addr.h"
#include "stack/wire/ipv6.h"
#include "tests/unit/support/bytes.h"

/* Captured with tcpdump on a veth pair between two network namespaces
 * (02:77:00:00:00:01 fd77::1, 02:77:00:00:00:02 fd77::2), Ethernet
 * header removed. */

/* MLDv2 report fe80::77:ff:fe00:2 -> ff02::16 behind a hop-by-hop header
 * with Router Alert 0 and a PadN. */
static const uint8_t real_mld_report[76] = {
    0x60, 0x00, 0x00, 0x00, 0x00, 0x24, 0x00, 0x01, 0xfe, 0x80, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x77, 0x00, 0xff, 0xfe, 0x00, 0x00, 0x02,
    0xff, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x16, 0x3a, 0x00, 0x05, 0x02, 0x00, 0x00, 0x01, 0x00,
    0x8f, 0x00, 0x71, 0x8e, 0x00, 0x00, 0x00, 0x01, 0x04, 0x00, 0x00, 0x00,
    0xff, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01,
    0xff, 0x00, 0x00, 0x02,
};

/* ping -6 -c1 -s 16 -p 10 fd77::2: id 23924 seq 1, flow label 0x3aad1. */
static const uint8_t real_echo_request[64] = {
    0x60, 0x03, 0xaa, 0xd1, 0x00, 0x18, 0x3a, 0x40, 0xfd, 0x77, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01,
    0xfd, 0x77, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x02, 0x80, 0x00, 0x8f, 0xc1, 0x5d, 0x74, 0x00, 0x01,
    0xd0, 0xf6, 0x0b, 0x6b, 0x00, 0x00, 0x00, 0x00, 0xb5, 0x21, 0x06, 0x00,
    0x00, 0x00, 0x00, 0x00,
};

static const uint8_t fd77_1[16] = {0xfd, 0x77, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};

static const uint8_t fd77_2[16] = {0xfd, 0x77, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2};
static const uint8_t all_nodes[16] = {0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};

/* A packet fd77::1 -> dst with the given first Next Header and payload,
 * placed at the end of its heap block. */
static uint8_t *packet(const uint8_t dst[16], uint8_t nh, const uint8_t *pl, size_t plen)
{
    uint8_t buf[IPV6_HLEN + 2048];
    assert_true(plen <= 2048);
    struct ipv6_emit_args a = {.next_header = nh, .hop_limit = 64,
                               .payload_len = (uint16_t)plen};
    memcpy(a.src, fd77_1, 16);
    memcpy(a.dst, dst, 16);
    ipv6_emit(buf, &a);
    memcpy(buf + IPV6_HLEN, pl, plen);
    return tail_copy(buf, IPV6_HLEN + plen);
}

/* Parse and walk; the chain's pointers die with the copy, so tests look at
 * offsets and lengths. */
static int walk_to(const uint8_t dst[16], uint8_t nh, const uint8_t *pl, size_t plen,
                   struct ipv6_chain *c)
{
    uint8_t *p = packet(dst, nh, pl, plen);
    struct ipv6_view ip;
    assert_int_equal(ipv6_parse(p, IPV6_HLEN + plen, &ip), WIRE_OK);
    int rc = ipv6_walk(&ip, c);
    if (rc == WIRE_OK) {
        assert_ptr_equal(c->upper, ip.payload + (c->offset - IPV6_HLEN));
        assert_int_equal(c->upper_len, plen - (c->offset - IPV6_HLEN));
        assert_int_equal(c->action, IPV6_ACT_NONE);
    }
    tail_free(p);
    return rc;
}

static int walk(uint8_t nh, const uint8_t *pl, size_t plen, struct ipv6_chain *c)
{
    return walk_to(fd77_2, nh, pl, plen, c);
}

/* ---- ipv6_parse / ipv6_emit ---- */

static void test_parse_real_echo_request(void **state)
{
    (void)state;
    uint8_t *p = tail_copy(real_echo_request, sizeof real_echo_request);
    struct ipv6_view v;
    assert_int_equal(ipv6_parse(p, sizeof real_echo_request, &v), WIRE_OK);
    assert_int_equal(v.version, 6);
    assert_int_equal(v.tclass, 0);
    assert_int_equal(v.flow, 0x3aad1);
    assert_int_equal(v.payload_len, 24);
    assert_int_equal(v.next_header, IPV6_NH_ICMPV6);
    assert_int_equal(v.hop_limit, 64);
    assert_memory_equal(v.src, fd77_1, 16);
    assert_memory_equal(v.dst, fd77_2, 16);
    assert_ptr_equal(v.payload, p + 40);
    tail_free(p);
}

static void test_emit_real_echo_request_header(void **state)
{
    (void)state;
    struct ipv6_emit_args a = {.tclass = 0, .flow = 0x3aad1, .next_header = 58,
                               .hop_limit = 64, .payload_len = 24};
    memcpy(a.src, fd77_1, 16);
    memcpy(a.dst, fd77_2, 16);
    uint8_t h[IPV6_HLEN];
    ipv6_emit(h, &a);
    assert_memory_equal(h, real_echo_request, IPV6_HLEN);
}

static void test_emit_parse_round_trip(void **state)
{
    (void)state;
    /* Traffic class and flow label straddle nibble boundaries. */
    uint8_t buf[IPV6_HLEN + 3] = {0};
    struct ipv6_emit_args a = {.tclass = 0xb8, .flow = 0xfffff, .next_header = 17,
                               .hop_limit = 1, .payload_len = 3};
    memcpy(a.src, all_nodes, 16);
    memcpy(a.dst, fd77_1, 16);
    ipv6_emit(buf, &a);
    assert_int_equal(buf[0], 0x6b);
    assert_int_equal(buf[1], 0x8f);
    struct ipv6_view v;
    assert_int_equal(ipv6_parse(buf, sizeof buf, &v), WIRE_OK);
    assert_int_equal(v.tclass, 0xb8);
    assert_int_equal(v.flow, 0xfffff);
    assert_int_equal(v.hop_limit, 1);
    assert_int_equal(v.payload_len, 3);
    /* Flow bits above 20 are not ours to send. */
    a.flow = 0xfff00001;
    a.tclass = 0;
    ipv6_emit(buf, &a);
    assert_int_equal(rd32(buf), 0x60000001);
}

static void test_parse_truncated(void **state)
{
    (void)state;
    for (size_t len = 0; len < IPV6_HLEN; len++) {
        uint8_t *p = tail_copy(real_echo_request, len);
        struct ipv6_view v;
        assert_int_equal(ipv6_parse(p, len, &v), WIRE_ETRUNC);
        tail_free(p);
    }
}

static void test_parse_payload_len_past_frame(void **state)
{
    (void)state;
    /* Every cut between the fixed header and the end of the payload. */
    for (size_t len = IPV6_HLEN; len < sizeof real_echo_request; len++) {
        uint8_t *p = tail_copy(real_echo_request, len);
        struct ipv6_view v;
        assert_int_equal(ipv6_parse(p, len, &v), WIRE_EBADLEN);
        tail_free(p);
    }
}

static void test_parse_padding_ignored(void **state)
{
    (void)state;
    uint8_t buf[sizeof real_echo_request + 10];
    memcpy(buf, real_echo_request, sizeof real_echo_request);
    memset(buf + sizeof real_echo_request, 0xee, 10);
    struct ipv6_view v;
    assert_int_equal(ipv6_parse(buf, sizeof buf, &v), WIRE_OK);
    assert_int_equal(v.payload_len, 24);
}

static void test_parse_bad_version(void **state)
{
    (void)state;
    uint8_t buf[sizeof real_echo_request];
    for (unsigned ver = 0; ver < 16; ver++) {
        if (ver == 6)
            continue;
        memcpy(buf, real_echo_request, sizeof buf);
        buf[0] = (uint8_t)(ver << 4 | (buf[0] & 0x0f));
        struct ipv6_view v;
        assert_int_equal(ipv6_parse(buf, sizeof buf, &v), WIRE_EVERSION);
    }
}

static void test_parse_jumbo_refused(void **state)
{
    (void)state;
    /* RFC 2675: payload length 0 + hop-by-hop with a Jumbo option. */
    uint8_t buf[IPV6_HLEN + 16] = {0};
    memcpy(buf, real_echo_request, IPV6_HLEN);
    wr16(buf + 4, 0);
    buf[6] = IPV6_NH_HOPOPTS;
    static const uint8_t hbh[8] = {58, 0, 0xc2, 4, 0, 0x01, 0, 0x08};
    memcpy(buf + IPV6_HLEN, hbh, 8);
    struct ipv6_view v;
    assert_int_equal(ipv6_parse(buf, sizeof buf, &v), WIRE_EUNSUPP);
    /* Payload length 0 with No Next Header is an empty, valid packet. */
    buf[6] = IPV6_NH_NONE;
    assert_int_equal(ipv6_parse(buf, IPV6_HLEN, &v), WIRE_OK);
    assert_int_equal(v.payload_len, 0);
    struct ipv6_chain c;
    assert_int_equal(ipv6_walk(&v, &c), WIRE_OK);
    assert_int_equal(c.proto, IPV6_NH_NONE);
    assert_int_equal(c.upper_len, 0);
}

/* ---- ipv6_walk ---- */

static void test_walk_no_extension_headers(void **state)
{
    (void)state;
    uint8_t *p = tail_copy(real_echo_request, sizeof real_echo_request);
    struct ipv6_view v;
    struct ipv6_chain c;
    assert_int_equal(ipv6_parse(p, sizeof real_echo_request, &v), WIRE_OK);
    assert_int_equal(ipv6_walk(&v, &c), WIRE_OK);
    assert_int_equal(c.proto, IPV6_NH_ICMPV6);
    assert_int_equal(c.offset, 40);
    assert_int_equal(c.proto_ptr, 6);
    assert_int_equal(c.count, 0);
    assert_false(c.has_frag);
    assert_false(c.router_alert);
    assert_ptr_equal(c.upper, p + 40);
    assert_int_equal(c.upper_len, 24);
    tail_free(p);
}

static void test_walk_real_mld_router_alert(void **state)
{
    (void)state;
    uint8_t *p = tail_copy(real_mld_report, sizeof real_mld_report);
    struct ipv6_view v;
    struct ipv6_chain c;
    assert_int_equal(ipv6_parse(p, sizeof real_mld_report, &v), WIRE_OK);
    assert_int_equal(v.hop_limit, 1);
    assert_int_equal(ipv6_walk(&v, &c), WIRE_OK);
    assert_int_equal(c.proto, IPV6_NH_ICMPV6);
    assert_int_equal(c.offset, 48);
    assert_int_equal(c.proto_ptr, 40);
    assert_int_equal(c.count, 1);
    assert_true(c.router_alert);
    assert_int_equal(c.router_alert_value, IPV6_OPT_ROUTER_ALERT_MLD);
    assert_int_equal(c.upper_len, 28);
    assert_int_equal(c.upper[0], 143);
    tail_free(p);
}

static void test_walk_full_chain(void **state)
{
    (void)state;
    /* hop-by-hop, destination options, routing (type 0, segments left 0:
     * ignored), fragment (first, M), UDP. */
    static const uint8_t pl[] = {
        60, 0, 1, 4, 0, 0, 0, 0,                        /* HBH: PadN 4 */
        43, 1, 0, 1, 1, 0xff, 1, 8, 1, 2, 3, 4, 5, 6, 7, 8, /* DST: Pad1, PadN, PadN */
        44, 0, 0, 0, 0, 0, 0, 0,                        /* RH0, segments left 0 */
        17, 0, 0x00, 0x01, 0xde, 0xad, 0xbe, 0xef,      /* frag off 0, M */
        0x83, 0x12, 0x27, 0x0f, 0, 16, 0, 0,            /* UDP header */
        1, 2, 3, 4, 5, 6, 7, 8,
    };
    struct ipv6_chain c;
    assert_int_equal(walk(IPV6_NH_HOPOPTS, pl, sizeof pl, &c), WIRE_OK);
    assert_int_equal(c.count, 4);
    assert_int_equal(c.proto, IPV6_NH_UDP);
    assert_int_equal(c.offset, 40 + 40);
    assert_int_equal(c.proto_ptr, 40 + 32);
    assert_true(c.has_frag);
    assert_int_equal(c.frag_offset, 0);
    assert_true(c.frag_more);
    assert_int_equal(c.frag_id, 0xdeadbeef);
    assert_int_equal(c.frag_hdr_off, 40 + 32);
    assert_int_equal(c.frag_nh_ptr, 40 + 24);
    assert_false(c.router_alert);
}

static void test_walk_fragment_fields(void **state)
{
    (void)state;
    /* Last fragment at offset 185 * 8 = 1480, id 0x01020304, 5 bytes. */
    uint8_t pl[13] = {17, 0, 0x05, 0xc8, 1, 2, 3, 4, 'a', 'b', 'c', 'd', 'e'};
    struct ipv6_chain c;
    assert_int_equal(walk(IPV6_NH_FRAGMENT, pl, sizeof pl, &c), WIRE_OK);
    assert_true(c.has_frag);
    assert_int_equal(c.frag_offset, 185);
    assert_false(c.frag_more);
    assert_int_equal(c.frag_id, 0x01020304);
    assert_int_equal(c.frag_hdr_off, 40);
    assert_int_equal(c.frag_nh_ptr, 6);
    assert_int_equal(c.proto, 17);
    assert_int_equal(c.offset, 48);
    assert_int_equal(c.upper_len, 5);
    /* Reserved bits are ignored (RFC 8200 4.5). */
    pl[1] = 0xff;
    pl[3] |= 0x06;
    assert_int_equal(walk(IPV6_NH_FRAGMENT, pl, sizeof pl, &c), WIRE_OK);
    assert_int_equal(c.frag_offset, 185);
    assert_false(c.frag_more);
}

static void test_walk_tiny_and_overlapping_fragments(void **state)
{
    (void)state;
    /* Reassembly judges these; the codec reports their fields. A tiny
     * first fragment with 8 bytes of data, then one overlapping it. */
    uint8_t tiny[16] = {17, 0, 0x00, 0x01, 0, 0, 0, 7, 1, 2, 3, 4, 5, 6, 7, 8};
    uint8_t over[24] = {17, 0, 0x00, 0x08, 0, 0, 0, 7};
    struct ipv6_chain c;
    assert_int_equal(walk(IPV6_NH_FRAGMENT, tiny, sizeof tiny, &c), WIRE_OK);
    assert_int_equal(c.frag_offset, 0);
    assert_true(c.frag_more);
    assert_int_equal(c.upper_len, 8);
    assert_int_equal(walk(IPV6_NH_FRAGMENT, over, sizeof over, &c), WIRE_OK);
    assert_int_equal(c.frag_offset, 1);
    assert_false(c.frag_more);
    assert_int_equal(c.frag_id, 7);
    assert_int_equal(c.upper_len, 16);
    /* A fragment header with no data at all still parses. */
    assert_int_equal(walk(IPV6_NH_FRAGMENT, over, 8, &c), WIRE_OK);
    assert_int_equal(c.upper_len, 0);
}

static void test_walk_fragment_not_multiple_of_8(void **state)
{
    (void)state;
    uint8_t pl[8 + 13] = {17, 0, 0x00, 0x01, 0, 0, 0, 9};
    struct ipv6_chain c;
    /* RFC 8200 4.5: M set and a length not a multiple of 8: code 0 at
     * the Payload Length field. */
    assert_int_equal(walk(IPV6_NH_FRAGMENT, pl, sizeof pl, &c), WIRE_EBADHDR);
    assert_int_equal(c.action, IPV6_ACT_PARAM_PROBLEM);
    assert_int_equal(c.pp_code, ICMP6_PP_HEADER);
    assert_int_equal(c.pp_pointer, 4);
    /* The last fragment may have any length. */
    pl[3] = 0x00;
    assert_int_equal(walk(IPV6_NH_FRAGMENT, pl, sizeof pl, &c), WIRE_OK);
}

static void test_walk_fragment_past_65535(void **state)
{
    (void)state;
    /* Offset 8191 * 8 = 65528 plus 16 bytes ends past 65535: code 0 at
     * the Fragment Offset field (RFC 8200 4.5). */
    uint8_t pl[8 + 8 + 16] = {44, 0, 1, 4, 0, 0, 0, 0, 17, 0, 0xff, 0xf8, 0, 0, 0, 1};
    struct ipv6_chain c;
    assert_int_equal(walk(IPV6_NH_DSTOPTS, pl, sizeof pl, &c), WIRE_EBADHDR);
    assert_int_equal(c.action, IPV6_ACT_PARAM_PROBLEM);
    assert_int_equal(c.pp_code, ICMP6_PP_HEADER);
    assert_int_equal(c.pp_pointer, 40 + 8 + 2);
    /* 7 bytes fit exactly up to 65535. */
    assert_int_equal(walk(IPV6_NH_DSTOPTS, pl, 8 + 8 + 7, &c), WIRE_OK);
    assert_int_equal(c.frag_offset, 8191);
}

static void test_walk_hop_by_hop_not_first(void **state)
{
    (void)state;
    /* RFC 8200 4.1: destination options naming hop-by-hop: code 1 at the
     * destination header's Next Header byte. */
    static const uint8_t pl[] = {0, 0, 1, 4, 0, 0, 0, 0, 59, 0, 1, 4, 0, 0, 0, 0};
    struct ipv6_chain c;
    assert_int_equal(walk(IPV6_NH_DSTOPTS, pl, sizeof pl, &c), WIRE_EBADHDR);
    assert_int_equal(c.action, IPV6_ACT_PARAM_PROBLEM);
    assert_int_equal(c.pp_code, ICMP6_PP_NEXT_HEADER);
    assert_int_equal(c.pp_pointer, 40);
    /* Two hop-by-hop headers in a row: the same, at the first one. */
    static const uint8_t twice[] = {0, 0, 1, 4, 0, 0, 0, 0, 59, 0, 1, 4, 0, 0, 0, 0};
    assert_int_equal(walk(IPV6_NH_HOPOPTS, twice, sizeof twice, &c), WIRE_EBADHDR);
    assert_int_equal(c.pp_code, ICMP6_PP_NEXT_HEADER);
    assert_int_equal(c.pp_pointer, 40);
}

/* n destination options headers of 8 bytes each, then No Next Header. */
static size_t dst_chain(uint8_t *pl, unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        uint8_t h[8] = {i + 1 == n ? IPV6_NH_NONE : IPV6_NH_DSTOPTS, 0, 1, 4, 0, 0, 0, 0};
        memcpy(pl + 8 * i, h, 8);
    }
    return 8 * (size_t)n;
}

static void test_walk_too_many_headers(void **state)
{
    (void)state;
    uint8_t pl[8 * 40];
    struct ipv6_chain c;
    size_t n = dst_chain(pl, IPV6_MAX_EXT);
    assert_int_equal(walk(IPV6_NH_DSTOPTS, pl, n, &c), WIRE_OK);
    assert_int_equal(c.count, IPV6_MAX_EXT);
    assert_int_equal(c.proto, IPV6_NH_NONE);
    for (unsigned k = IPV6_MAX_EXT + 1; k <= 40; k++) {
        n = dst_chain(pl, k);
        assert_int_equal(walk(IPV6_NH_DSTOPTS, pl, n, &c), WIRE_EUNSUPP);
        assert_int_equal(c.action, IPV6_ACT_DROP);
        assert_int_equal(c.count, IPV6_MAX_EXT);
    }
}

static void test_walk_every_truncation(void **state)
{
    (void)state;
    /* The same chain as test_walk_full_chain, every payload length. */
    static const uint8_t pl[] = {
        60, 0, 1, 4, 0, 0, 0, 0,
        43, 1, 0, 1, 1, 0xff, 1, 8, 1, 2, 3, 4, 5, 6, 7, 8,
        44, 0, 0, 0, 0, 0, 0, 0,
        17, 0, 0x00, 0x00, 0, 0, 0, 1,
        0x83, 0x12, 0x27, 0x0f, 0, 16, 0, 0,
    };
    /* (Length 0 with hop-by-hop is the jumbogram case ipv6_parse refuses.) */
    for (size_t len = 1; len <= sizeof pl; len++) {
        struct ipv6_chain c;
        int rc = walk(IPV6_NH_HOPOPTS, pl, len, &c);
        if (len < 40) {
            assert_int_equal(rc, WIRE_ETRUNC);
            assert_int_equal(c.action, IPV6_ACT_DROP);
        } else {
            assert_int_equal(rc, WIRE_OK);
            assert_int_equal(c.upper_len, len - 40);
        }
    }
}

static void test_walk_length_runs_past_end(void **state)
{
    (void)state;
    struct ipv6_chain c;
    /* Hdr Ext Len 1 (16 bytes) with 8 present; 255 (2048 bytes, the
     * largest, which would wrap an 8-bit sum) with 16 present. */
    uint8_t pl[16] = {59, 1, 1, 4, 0, 0, 0, 0};
    for (unsigned hlen = 1; hlen < 256; hlen++) {
        pl[1] = (uint8_t)hlen;
        assert_int_equal(walk(IPV6_NH_DSTOPTS, pl, 8, &c), WIRE_ETRUNC);
        assert_int_equal(c.action, IPV6_ACT_DROP);
        if (hlen > 1) {
            assert_int_equal(walk(IPV6_NH_ROUTING, pl, 16, &c), WIRE_ETRUNC);
            assert_int_equal(walk(IPV6_NH_HOPOPTS, pl, 16, &c), WIRE_ETRUNC);
        }
    }
    /* A header shorter than its 8-byte minimum. */
    for (size_t len = 0; len < 8; len++) {
        assert_int_equal(walk(IPV6_NH_FRAGMENT, pl, len, &c), WIRE_ETRUNC);
        assert_int_equal(walk(IPV6_NH_DSTOPTS, pl, len, &c), WIRE_ETRUNC);
    }
}

static void test_walk_options_pad(void **state)
{
    (void)state;
    struct ipv6_chain c;
    /* Six Pad1; PadN whose contents are not zero (not checked). */
    static const uint8_t pad1[8] = {59, 0, 0, 0, 0, 0, 0, 0};
    static const uint8_t padn[16] = {59, 1, 1, 12, 0xaa, 0xbb, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
    assert_int_equal(walk(IPV6_NH_DSTOPTS, pad1, 8, &c), WIRE_OK);
    assert_int_equal(walk(IPV6_NH_HOPOPTS, padn, 16, &c), WIRE_OK);
    assert_int_equal(c.proto, IPV6_NH_NONE);
    assert_int_equal(c.offset, 56);
}

static void test_walk_option_runs_past_header(void **state)
{
    (void)state;
    struct ipv6_chain c;
    /* PadN of 5 data bytes where 4 remain; an option type as the last
     * byte with no room for its length. */
    static const uint8_t over[8] = {59, 0, 1, 5, 0, 0, 0, 0};
    static const uint8_t nolen[8] = {59, 0, 1, 3, 0, 0, 0, 0x1e};
    /* The byte after the header would say "fits" if misread. */
    static const uint8_t next[16] = {59, 0, 1, 5, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
    assert_int_equal(walk(IPV6_NH_DSTOPTS, over, 8, &c), WIRE_EBADHDR);
    assert_int_equal(c.action, IPV6_ACT_DROP);
    assert_int_equal(walk(IPV6_NH_HOPOPTS, nolen, 8, &c), WIRE_EBADHDR);
    assert_int_equal(c.action, IPV6_ACT_DROP);
    assert_int_equal(walk(IPV6_NH_DSTOPTS, next, 16, &c), WIRE_EBADHDR);
}

static void test_walk_unknown_option_actions(void **state)
{
    (void)state;
    /* An unknown option with one data byte at byte 2 of the header
     * (pointer 42), then a PadN of one byte: 2 + 3 + 3 = 8. */
    uint8_t pl[16] = {59, 0, 0x00, 1, 0, 1, 1, 0};
    static const uint8_t types[4] = {0x1e, 0x5e, 0x9e, 0xde};
    struct ipv6_chain c;
    struct ipv6_view uni = {.version = 6}, mc = {.version = 6};
    memcpy(uni.dst, fd77_2, 16);
    memcpy(mc.dst, all_nodes, 16);
    for (int hbh = 0; hbh < 2; hbh++) {
        uint8_t nh = hbh ? IPV6_NH_HOPOPTS : IPV6_NH_DSTOPTS;
        /* 00: skip */
        pl[2] = types[0];
        assert_int_equal(walk(nh, pl, 8, &c), WIRE_OK);
        /* 01: discard silently */
        pl[2] = types[1];
        assert_int_equal(walk(nh, pl, 8, &c), WIRE_EUNSUPP);
        assert_int_equal(c.action, IPV6_ACT_DROP);
        assert_false(ipv6_walk_wants_icmp(&c, &uni));
        /* 10: Parameter Problem code 2 even to multicast */
        pl[2] = types[2];
        assert_int_equal(walk_to(all_nodes, nh, pl, 8, &c), WIRE_EUNSUPP);
        assert_int_equal(c.action, IPV6_ACT_PARAM_PROBLEM_ANY_DST);
        assert_int_equal(c.pp_code, ICMP6_PP_OPTION);
        assert_int_equal(c.pp_pointer, 42);
        assert_true(ipv6_walk_wants_icmp(&c, &uni));
        assert_true(ipv6_walk_wants_icmp(&c, &mc));
        /* 11: only if the destination was not multicast */
        pl[2] = types[3];
        assert_int_equal(walk(nh, pl, 8, &c), WIRE_EUNSUPP);
        assert_int_equal(c.action, IPV6_ACT_PARAM_PROBLEM);
        assert_int_equal(c.pp_code, ICMP6_PP_OPTION);
        assert_int_equal(c.pp_pointer, 42);
        assert_true(ipv6_walk_wants_icmp(&c, &uni));
        assert_false(ipv6_walk_wants_icmp(&c, &mc));
    }
    /* The pointer follows the option: after Pad1 and a PadN, at byte 5
     * of a second header (40 + 8 + 5). */
    uint8_t two[16] = {60, 0, 1, 4, 0, 0, 0, 0, 59, 0, 0, 1, 0, 0xc2, 0, 0};
    assert_int_equal(walk(IPV6_NH_HOPOPTS, two, 16, &c), WIRE_EUNSUPP);
    assert_int_equal(c.pp_pointer, 40 + 8 + 5);
    assert_int_equal(c.action, IPV6_ACT_PARAM_PROBLEM);
}

static void test_walk_router_alert(void **state)
{
    (void)state;
    struct ipv6_chain c;
    uint8_t pl[8] = {58, 0, 5, 2, 0x12, 0x34, 1, 0};
    assert_int_equal(walk(IPV6_NH_HOPOPTS, pl, 8, &c), WIRE_OK);
    assert_true(c.router_alert);
    assert_int_equal(c.router_alert_value, 0x1234);
    /* In destination options type 5 is just an unknown "skip" option. */
    assert_int_equal(walk(IPV6_NH_DSTOPTS, pl, 8, &c), WIRE_OK);
    assert_false(c.router_alert);
    /* RFC 2711: its length is 2. */
    uint8_t bad[8] = {58, 0, 5, 3, 0, 0, 0, 0};
    assert_int_equal(walk(IPV6_NH_HOPOPTS, bad, 8, &c), WIRE_EBADHDR);
    assert_int_equal(c.action, IPV6_ACT_DROP);
}

static void test_walk_routing(void **state)
{
    (void)state;
    struct ipv6_chain c;
    /* Type 0 with one address, segments left 1: refused (RFC 5095),
     * pointer at the Routing Type byte. */
    uint8_t rh0[24] = {59, 2, 0, 1};
    rh0[8] = 0xfd;
    assert_int_equal(walk(IPV6_NH_ROUTING, rh0, 24, &c), WIRE_EUNSUPP);
    assert_int_equal(c.action, IPV6_ACT_PARAM_PROBLEM);
    assert_int_equal(c.pp_code, ICMP6_PP_HEADER);
    assert_int_equal(c.pp_pointer, 42);
    /* Segments left 0: ignored, walk goes on. */
    rh0[3] = 0;
    assert_int_equal(walk(IPV6_NH_ROUTING, rh0, 24, &c), WIRE_OK);
    assert_int_equal(c.proto, IPV6_NH_NONE);
    assert_int_equal(c.offset, 64);
    /* Other types (2, 3, 4, 253) behave the same, behind a DST header. */
    static const uint8_t kinds[4] = {2, 3, 4, 253};
    for (int i = 0; i < 4; i++) {
        uint8_t pl[8 + 24] = {43, 0, 1, 4, 0, 0, 0, 0, 6, 2, kinds[i], 5};
        assert_int_equal(walk(IPV6_NH_DSTOPTS, pl, sizeof pl, &c), WIRE_EUNSUPP);
        assert_int_equal(c.pp_pointer, 40 + 8 + 2);
        pl[11] = 0;
        assert_int_equal(walk(IPV6_NH_DSTOPTS, pl, sizeof pl, &c), WIRE_OK);
        assert_int_equal(c.proto, IPV6_NH_TCP);
        assert_int_equal(c.proto_ptr, 48);
    }
}

static void test_walk_upper_layers_end_the_walk(void **state)
{
    (void)state;
    /* Whatever is not an extension header we follow is the upper layer,
     * including ESP/AH and unassigned numbers; the caller answers code 1
     * at proto_ptr for those it does not know. */
    static const uint8_t nhs[] = {6, 17, 50, 51, 58, 59, 135, 253, 255};
    uint8_t pl[8] = {0, 0, 1, 4, 0, 0, 0, 0};
    for (size_t i = 0; i < sizeof nhs; i++) {
        struct ipv6_chain c;
        pl[0] = nhs[i];
        assert_int_equal(walk(IPV6_NH_DSTOPTS, pl, 8, &c), WIRE_OK);
        assert_int_equal(c.proto, nhs[i]);
        assert_int_equal(c.proto_ptr, 40);
        assert_int_equal(c.offset, 48);
    }
}

static void test_walk_quote_lenient(void **state)
{
    (void)state;
    struct ipv6_chain c;
    /* No option processing: an option that would be refused is passed. */
    static const uint8_t pl[16] = {17, 0, 0xde, 1, 0, 1, 1, 0, 0x12, 0x34, 0x56, 0x78};
    assert_int_equal(ipv6_walk_quote(pl, 16, IPV6_NH_DSTOPTS, &c), WIRE_OK);
    assert_int_equal(c.proto, 17);
    assert_int_equal(c.offset, 48);
    assert_int_equal(c.upper_len, 8);
    /* Cut inside the header: truncated, naming where it stopped. */
    assert_int_equal(ipv6_walk_quote(pl, 7, IPV6_NH_DSTOPTS, &c), WIRE_ETRUNC);
    assert_int_equal(c.proto, IPV6_NH_DSTOPTS);
    assert_int_equal(c.offset, 40);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_real_echo_request),
        cmocka_unit_test(test_emit_real_echo_request_header),
        cmocka_unit_test(test_emit_parse_round_trip),
        cmocka_unit_test(test_parse_truncated),
        cmocka_unit_test(test_parse_payload_len_past_frame),
        cmocka_unit_test(test_parse_padding_ignored),
        cmocka_unit_test(test_parse_bad_version),
        cmocka_unit_test(test_parse_jumbo_refused),
        cmocka_unit_test(test_walk_no_extension_headers),
        cmocka_unit_test(test_walk_real_mld_router_alert),
        cmocka_unit_test(test_walk_full_chain),
        cmocka_unit_test(test_walk_fragment_fields),
        cmocka_unit_test(test_walk_tiny_and_overlapping_fragments),
        cmocka_unit_test(test_walk_fragment_not_multiple_of_8),
        cmocka_unit_test(test_walk_fragment_past_65535),
        cmocka_unit_test(test_walk_hop_by_hop_not_first),
        cmocka_unit_test(test_walk_too_many_headers),
        cmocka_unit_test(test_walk_every_truncation),
        cmocka_unit_test(test_walk_length_runs_past_end),
        cmocka_unit_test(test_walk_options_pad),
        cmocka_unit_test(test_walk_option_runs_past_header),
        cmocka_unit_test(test_walk_unknown_option_actions),
        cmocka_unit_test(test_walk_router_alert),
        cmocka_unit_test(test_walk_routing),
        cmocka_unit_test(test_walk_upper_layers_end_the_walk),
        cmocka_unit_test(test_walk_quote_lenient),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
