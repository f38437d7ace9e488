/* test_wire_tcp.c - TCP header codec (stack/wire/tcp.c): parsing real
 * segments, emitting them (captures reproduced byte for byte, checksums,
 * option layouts) and malformed segments.
 *
 * Checksums are checked against a reference sum computed here, not with
 * the stack's own checksum code. Malformed inputs are parsed from heap
 * copies of exactly their length so that ASan catches any over-read. The
 * option area's parsing rules and the fuzz loops are in
 * test_wire_tcp_options.c. */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "stack/wire/tcp.h"
#include "tests/unit/support/bytes.h"
#include "tests/unit/support/wire_tcp_segs.h"

/* A Linux-style SYN 10.77.0.2:40000 -> 10.77.0.1:80, ISN 0x12345678,
 * window 64240, options MSS 1460, SACK-perm, TS (0xa1b2c3d4, 0), NOP, WS 7.
 * Checksum computed independently (Python, RFC 1071). */
static const uint8_t syn4[40] = {
    0x9c, 0x40, 0x00, 0x50, 0x12, 0x34, 0x56, 0x78, 0x00, 0x00, 0x00, 0x00,
    0xa0, 0x02, 0xfa, 0xf0, 0xcd, 0xae, 0x00, 0x00, 0x02, 0x04, 0x05, 0xb4,
    0x04, 0x02, 0x08, 0x0a, 0xa1, 0xb2, 0xc3, 0xd4, 0x00, 0x00, 0x00, 0x00,
    0x01, 0x03, 0x03, 0x07,
};

/* The SYN-ACK back: ISN 0x9abcdef0, ack 0x12345679, window 65160,
 * MSS 1460, SACK-perm, TS (0x01020304, 0xa1b2c3d4), NOP, WS 7. */
static const uint8_t synack4[40] = {
    0x00, 0x50, 0x9c, 0x40, 0x9a, 0xbc, 0xde, 0xf0, 0x12, 0x34, 0x56, 0x79,
    0xa0, 0x12, 0xfe, 0x88, 0x4c, 0x52, 0x00, 0x00, 0x02, 0x04, 0x05, 0xb4,
    0x04, 0x02, 0x08, 0x0a, 0x01, 0x02, 0x03, 0x04, 0xa1, 0xb2, 0xc3, 0xd4,
    0x01, 0x03, 0x03, 0x07,
};

/* A data segment: PSH|ACK, window 502, NOP NOP TS (0xa1b2c3e0,
 * 0x01020304), payload "hello" (odd length, for the checksum's sake). */
static const uint8_t data4[37] = {
    0x9c, 0x40, 0x00, 0x50, 0x12, 0x34, 0x56, 0x79, 0x9a, 0xbc, 0xde, 0xf1,
    0x80, 0x18, 0x01, 0xf6, 0x33, 0xc6, 0x00, 0x00, 0x01, 0x01, 0x08, 0x0a,
    0xa1, 0xb2, 0xc3, 0xe0, 0x01, 0x02, 0x03, 0x04, 0x68, 0x65, 0x6c, 0x6c,
    0x6f,
};

/* A SYN over IPv6 fd77::2 -> fd77::1, MSS 1440, window 64800. */
static const uint8_t syn6[40] = {
    0x9c, 0x40, 0x00, 0x50, 0x12, 0x34, 0x56, 0x78, 0x00, 0x00, 0x00, 0x00,
    0xa0, 0x02, 0xfd, 0x20, 0xe5, 0x3c, 0x00, 0x00, 0x02, 0x04, 0x05, 0xa0,
    0x04, 0x02, 0x08, 0x0a, 0xa1, 0xb2, 0xc3, 0xd4, 0x00, 0x00, 0x00, 0x00,
    0x01, 0x03, 0x03, 0x07,
};

/* Build a segment 10.77.0.2:40000 -> 10.77.0.1:80 at buf with the given
 * option bytes (optlen a multiple of 4, <= 40) and payload_len pattern
 * bytes, with a correct checksum. Returns its length. */
static size_t make_seg(uint8_t *buf, const uint8_t *opts, size_t optlen,
                       size_t payload_len)
{
    struct ip_addr s = ip_addr_v4(CLIENT4), d = ip_addr_v4(SERVER4);
    size_t hlen = TCP_HLEN + optlen;
    memset(buf, 0, hlen);
    buf[0] = 0x9c, buf[1] = 0x40, buf[2] = 0x00, buf[3] = 0x50;
    buf[4] = 0x11, buf[5] = 0x22, buf[6] = 0x33, buf[7] = 0x44;
    buf[8] = 0x55, buf[9] = 0x66, buf[10] = 0x77, buf[11] = 0x88;
    buf[12] = (uint8_t)((hlen / 4) << 4);
    buf[13] = TCP_FLAG_ACK;
    buf[14] = 0x10, buf[15] = 0x00;
    if (optlen > 0)
        memcpy(buf + TCP_HLEN, opts, optlen);
    for (size_t i = 0; i < payload_len; i++)
        buf[hlen + i] = (uint8_t)(i * 7 + 1);
    twt_fix_csum(buf, hlen + payload_len, &s, &d);
    return hlen + payload_len;
}

/* Parse from a heap copy of exactly len bytes (ASan catches over-reads).
 * The view's pointers are dangling afterwards; use only its values. */
static int parse_exact(const uint8_t *buf, size_t len, const struct ip_addr *src,
                       const struct ip_addr *dst, struct tcp_view *out)
{
    uint8_t *copy = tail_copy(buf, len);
    int err = tcp_parse(copy, len, src, dst, out);
    tail_free(copy);
    return err;
}

static int parse4(const uint8_t *buf, size_t len, struct tcp_view *out)
{
    struct ip_addr s = ip_addr_v4(CLIENT4), d = ip_addr_v4(SERVER4);
    return parse_exact(buf, len, &s, &d, out);
}

/* ---- real segments ----------------------------------------------------- */

static void test_parse_linux_syn(void **state)
{
    (void)state;
    struct tcp_view v;
    struct ip_addr s = ip_addr_v4(CLIENT4), d = ip_addr_v4(SERVER4);
    assert_int_equal(tcp_parse(syn4, sizeof syn4, &s, &d, &v), WIRE_OK);
    assert_int_equal(v.sport, 40000);
    assert_int_equal(v.dport, 80);
    assert_int_equal(v.seq, 0x12345678);
    assert_int_equal(v.ack, 0);
    assert_int_equal(v.data_off, 40);
    assert_int_equal(v.flags, TCP_FLAG_SYN);
    assert_int_equal(v.window, 64240);
    assert_int_equal(v.csum, 0xcdae);
    assert_int_equal(v.urg_ptr, 0);
    assert_ptr_equal(v.options, syn4 + 20);
    assert_int_equal(v.options_len, 20);
    assert_ptr_equal(v.payload, syn4 + 40);
    assert_int_equal(v.payload_len, 0);
    assert_true(v.opt.has_mss);
    assert_int_equal(v.opt.mss, 1460);
    assert_true(v.opt.sack_permitted);
    assert_true(v.opt.has_ts);
    assert_int_equal(v.opt.ts_val, 0xa1b2c3d4);
    assert_int_equal(v.opt.ts_ecr, 0);
    assert_true(v.opt.has_wscale);
    assert_int_equal(v.opt.wscale, 7);
    assert_false(v.opt.wscale_clamped);
    assert_int_equal(v.opt.n_sack, 0);
    assert_int_equal(tcp_seg_len(&v), 1); /* the SYN takes one number */
}

static void test_parse_synack(void **state)
{
    (void)state;
    struct tcp_view v;
    struct ip_addr s = ip_addr_v4(SERVER4), d = ip_addr_v4(CLIENT4);
    assert_int_equal(tcp_parse(synack4, sizeof synack4, &s, &d, &v), WIRE_OK);
    assert_int_equal(v.sport, 80);
    assert_int_equal(v.dport, 40000);
    assert_int_equal(v.seq, 0x9abcdef0);
    assert_int_equal(v.ack, 0x12345679);
    assert_int_equal(v.flags, TCP_FLAG_SYN | TCP_FLAG_ACK);
    assert_int_equal(v.window, 65160);
    assert_int_equal(v.opt.mss, 1460);
    assert_true(v.opt.sack_permitted);
    assert_int_equal(v.opt.ts_val, 0x01020304);
    assert_int_equal(v.opt.ts_ecr, 0xa1b2c3d4);
    assert_int_equal(v.opt.wscale, 7);
    assert_int_equal(tcp_seg_len(&v), 1);
    /* The pseudo-header sum does not see the direction (addition commutes),
     * but it does see a different address. */
    assert_int_equal(tcp_parse(synack4, sizeof synack4, &d, &s, &v), WIRE_OK);
    struct ip_addr other = ip_addr_v4(0x0a4d0003);
    assert_int_equal(tcp_parse(synack4, sizeof synack4, &other, &d, &v), WIRE_ECSUM);
}

static void test_parse_data_segment(void **state)
{
    (void)state;
    struct tcp_view v;
    struct ip_addr s = ip_addr_v4(CLIENT4), d = ip_addr_v4(SERVER4);
    assert_int_equal(tcp_parse(data4, sizeof data4, &s, &d, &v), WIRE_OK);
    assert_int_equal(v.seq, 0x12345679);
    assert_int_equal(v.ack, 0x9abcdef1);
    assert_int_equal(v.flags, TCP_FLAG_PSH | TCP_FLAG_ACK);
    assert_int_equal(v.window, 502);
    assert_int_equal(v.data_off, 32);
    assert_int_equal(v.options_len, 12);
    assert_false(v.opt.has_mss);
    assert_false(v.opt.has_wscale);
    assert_false(v.opt.sack_permitted);
    assert_true(v.opt.has_ts);
    assert_int_equal(v.opt.ts_val, 0xa1b2c3e0);
    assert_int_equal(v.opt.ts_ecr, 0x01020304);
    assert_int_equal(v.payload_len, 5);
    assert_ptr_equal(v.payload, data4 + 32);
    assert_memory_equal(v.payload, "hello", 5);
    assert_int_equal(tcp_seg_len(&v), 5);
}

static void test_parse_syn_ipv6(void **state)
{
    (void)state;
    struct tcp_view v;
    struct ip_addr s = ip_addr_fd77(2), d = ip_addr_fd77(1);
    assert_int_equal(tcp_parse(syn6, sizeof syn6, &s, &d, &v), WIRE_OK);
    assert_int_equal(v.opt.mss, 1440);
    assert_int_equal(v.window, 64800);
    /* The same segment checked against IPv4 addresses must fail. */
    struct ip_addr s4 = ip_addr_v4(CLIENT4), d4 = ip_addr_v4(SERVER4);
    assert_int_equal(tcp_parse(syn6, sizeof syn6, &s4, &d4, &v), WIRE_ECSUM);
}

static void test_seg_len_counts_syn_and_fin(void **state)
{
    (void)state;
    struct tcp_view v;
    memset(&v, 0, sizeof v);
    v.payload_len = 100;
    assert_int_equal(tcp_seg_len(&v), 100);
    v.flags = TCP_FLAG_FIN | TCP_FLAG_ACK;
    assert_int_equal(tcp_seg_len(&v), 101);
    v.flags = TCP_FLAG_SYN | TCP_FLAG_FIN;
    assert_int_equal(tcp_seg_len(&v), 102);
}

/* ---- emit -------------------------------------------------------------- */

/* Emitting the same fields must reproduce the captured bytes exactly:
 * option layout, data offset, checksum. */
static void emit_and_compare(const uint8_t *want, size_t want_len,
                             const struct tcp_emit_args *a,
                             const struct tcp_options *o, const uint8_t *payload,
                             size_t payload_len, const struct ip_addr *src,
                             const struct ip_addr *dst)
{
    uint8_t buf[TCP_MAX_HLEN + 64];
    memset(buf, 0xee, sizeof buf);
    size_t olen = tcp_options_emit(buf + TCP_HLEN, TCP_MAX_OPTLEN, o);
    assert_int_equal(olen, tcp_options_len(o));
    assert_int_equal(olen % 4, 0);
    if (payload_len > 0)
        memcpy(buf + TCP_HLEN + olen, payload, payload_len);
    tcp_emit(buf, a, olen, payload_len, src, dst);
    assert_int_equal(TCP_HLEN + olen + payload_len, want_len);
    assert_memory_equal(buf, want, want_len);
    assert_int_equal(buf[want_len], 0xee); /* nothing written past the end */
}

static void test_emit_reproduces_captures(void **state)
{
    (void)state;
    struct ip_addr c4 = ip_addr_v4(CLIENT4), s4 = ip_addr_v4(SERVER4);
    struct tcp_options o;

    memset(&o, 0, sizeof o);
    o.has_mss = true, o.mss = 1460;
    o.sack_permitted = true;
    o.has_ts = true, o.ts_val = 0xa1b2c3d4, o.ts_ecr = 0;
    o.has_wscale = true, o.wscale = 7;
    struct tcp_emit_args a = {.sport = 40000, .dport = 80, .seq = 0x12345678,
                              .flags = TCP_FLAG_SYN, .window = 64240};
    emit_and_compare(syn4, sizeof syn4, &a, &o, NULL, 0, &c4, &s4);

    o.ts_val = 0x01020304, o.ts_ecr = 0xa1b2c3d4;
    struct tcp_emit_args b = {.sport = 80, .dport = 40000, .seq = 0x9abcdef0,
                              .ack = 0x12345679, .flags = TCP_FLAG_SYN | TCP_FLAG_ACK,
                              .window = 65160};
    emit_and_compare(synack4, sizeof synack4, &b, &o, NULL, 0, &s4, &c4);

    memset(&o, 0, sizeof o);
    o.has_ts = true, o.ts_val = 0xa1b2c3e0, o.ts_ecr = 0x01020304;
    struct tcp_emit_args c = {.sport = 40000, .dport = 80, .seq = 0x12345679,
                              .ack = 0x9abcdef1, .flags = TCP_FLAG_PSH | TCP_FLAG_ACK,
                              .window = 502};
    emit_and_compare(data4, sizeof data4, &c, &o, (const uint8_t *)"hello", 5, &c4, &s4);

    struct ip_addr c6 = ip_addr_fd77(2), s6 = ip_addr_fd77(1);
    memset(&o, 0, sizeof o);
    o.has_mss = true, o.mss = 1440;
    o.sack_permitted = true;
    o.has_ts = true, o.ts_val = 0xa1b2c3d4;
    o.has_wscale = true, o.wscale = 7;
    a.window = 64800;
    emit_and_compare(syn6, sizeof syn6, &a, &o, NULL, 0, &c6, &s6);
}

/* tcp_emit's checksum agrees with the reference for many lengths, odd and
 * even, both families, and parses back to the same fields. */
static void test_emit_checksum_and_roundtrip(void **state)
{
    (void)state;
    struct ip_addr c4 = ip_addr_v4(CLIENT4), s4 = ip_addr_v4(SERVER4);
    struct ip_addr c6 = ip_addr_fd77(2), s6 = ip_addr_fd77(1);
    uint8_t buf[TCP_MAX_HLEN + 300];
    for (int fam = 0; fam < 2; fam++) {
        const struct ip_addr *src = fam ? &c6 : &c4, *dst = fam ? &s6 : &s4;
        for (size_t plen = 0; plen <= 257; plen++) {
            struct tcp_options o;
            memset(&o, 0, sizeof o);
            o.has_ts = true, o.ts_val = (uint32_t)plen * 1000003u, o.ts_ecr = ~(uint32_t)plen;
            size_t olen = tcp_options_emit(buf + TCP_HLEN, TCP_MAX_OPTLEN, &o);
            assert_int_equal(olen, 12);
            for (size_t i = 0; i < plen; i++)
                buf[TCP_HLEN + olen + i] = (uint8_t)(i * 31 + plen);
            struct tcp_emit_args a = {
                .sport = (uint16_t)(1000 + plen), .dport = 443,
                .seq = 0xfffffff0u + (uint32_t)plen, .ack = 0x80000000u ^ (uint32_t)plen,
                .flags = (uint8_t)(TCP_FLAG_ACK | (plen & 0xff)), .window = (uint16_t)(plen * 251),
                .urg_ptr = (uint16_t)plen,
            };
            size_t total = TCP_HLEN + olen + plen;
            tcp_emit(buf, &a, olen, plen, src, dst);
            uint16_t got = (uint16_t)(buf[16] << 8 | buf[17]);
            uint16_t want = twt_ref_tcp_csum(buf, total, src, dst);
            /* 0x0000 and 0xffff are the same one's complement number. */
            if (!(got == want || (got == 0 && want == 0xffff) || (got == 0xffff && want == 0)))
                fail_msg("plen %zu fam %d: csum %04x want %04x", plen, fam, got, want);
            assert_int_equal(buf[12] >> 4, (TCP_HLEN + olen) / 4);
            assert_int_equal(buf[12] & 0x0f, 0); /* reserved bits zero */

            struct tcp_view v;
            assert_int_equal(parse_exact(buf, total, src, dst, &v), WIRE_OK);
            assert_int_equal(v.sport, a.sport);
            assert_int_equal(v.dport, a.dport);
            assert_int_equal(v.seq, a.seq);
            assert_int_equal(v.ack, a.ack);
            assert_int_equal(v.flags, a.flags);
            assert_int_equal(v.window, a.window);
            assert_int_equal(v.urg_ptr, a.urg_ptr);
            assert_int_equal(v.payload_len, plen);
            twt_assert_options_equal(&v.opt, &o);
        }
    }
}

static void test_emit_no_options(void **state)
{
    (void)state;
    struct ip_addr c4 = ip_addr_v4(CLIENT4), s4 = ip_addr_v4(SERVER4);
    struct tcp_options o;
    memset(&o, 0, sizeof o);
    uint8_t buf[TCP_HLEN];
    assert_int_equal(tcp_options_len(&o), 0);
    assert_int_equal(tcp_options_emit(buf, sizeof buf, &o), 0);
    struct tcp_emit_args a = {.sport = 1, .dport = 2, .seq = 3, .ack = 4,
                              .flags = TCP_FLAG_RST | TCP_FLAG_ACK};
    tcp_emit(buf, &a, 0, 0, &c4, &s4);
    assert_int_equal(buf[12], 0x50);
    struct tcp_view v;
    assert_int_equal(parse_exact(buf, sizeof buf, &c4, &s4, &v), WIRE_OK);
    assert_int_equal(v.flags, TCP_FLAG_RST | TCP_FLAG_ACK);
    assert_int_equal(v.options_len, 0);
    assert_true(twt_options_all_zero(&v.opt));
}

static void test_options_emit_layouts(void **state)
{
    (void)state;
    struct tcp_options o;
    uint8_t buf[64];

    /* SACK-perm without TS: NOP NOP SACK-perm. */
    memset(&o, 0, sizeof o);
    o.sack_permitted = true;
    static const uint8_t sp[] = {1, 1, 4, 2};
    assert_int_equal(tcp_options_emit(buf, sizeof buf, &o), sizeof sp);
    assert_memory_equal(buf, sp, sizeof sp);

    /* TS without SACK-perm: NOP NOP TS. */
    memset(&o, 0, sizeof o);
    o.has_ts = true, o.ts_val = 0x01020304, o.ts_ecr = 0x05060708;
    static const uint8_t ts[] = {1, 1, 8, 10, 1, 2, 3, 4, 5, 6, 7, 8};
    assert_int_equal(tcp_options_emit(buf, sizeof buf, &o), sizeof ts);
    assert_memory_equal(buf, ts, sizeof ts);

    /* MSS + WS only: MSS, NOP WS. */
    memset(&o, 0, sizeof o);
    o.has_mss = true, o.mss = 536;
    o.has_wscale = true, o.wscale = 0;
    static const uint8_t mw[] = {2, 4, 0x02, 0x18, 1, 3, 3, 0};
    assert_int_equal(tcp_options_emit(buf, sizeof buf, &o), sizeof mw);
    assert_memory_equal(buf, mw, sizeof mw);

    /* An ACK with TS and two SACK blocks: NOP NOP TS, NOP NOP SACK. */
    memset(&o, 0, sizeof o);
    o.has_ts = true, o.ts_val = 1, o.ts_ecr = 2;
    o.n_sack = 2;
    o.sack[0].left = 0x10, o.sack[0].right = 0x20;
    o.sack[1].left = 0xfffffff0u, o.sack[1].right = 0x5;
    static const uint8_t ts_sack[] = {
        1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2,
        1, 1, 5, 18, 0, 0, 0, 0x10, 0, 0, 0, 0x20,
        0xff, 0xff, 0xff, 0xf0, 0, 0, 0, 5,
    };
    assert_int_equal(tcp_options_emit(buf, sizeof buf, &o), sizeof ts_sack);
    assert_memory_equal(buf, ts_sack, sizeof ts_sack);
}

static void test_options_emit_cap_and_limits(void **state)
{
    (void)state;
    struct tcp_options o;
    uint8_t buf[64];

    memset(&o, 0, sizeof o);
    o.has_mss = true, o.mss = 1460;
    o.has_ts = true;
    o.sack_permitted = true;
    o.has_wscale = true, o.wscale = 7;
    assert_int_equal(tcp_options_len(&o), 20);
    for (size_t cap = 0; cap < 20; cap++) {
        memset(buf, 0xee, sizeof buf);
        assert_int_equal(tcp_options_emit(buf, cap, &o), 0);
        assert_int_equal(buf[0], 0xee); /* nothing written on refusal */
    }
    assert_int_equal(tcp_options_emit(buf, 20, &o), 20);

    /* TS with 4 SACK blocks needs 48 bytes: more than a header holds. */
    memset(&o, 0, sizeof o);
    o.has_ts = true;
    o.n_sack = 4;
    assert_int_equal(tcp_options_len(&o), 48);
    assert_int_equal(tcp_options_emit(buf, TCP_MAX_OPTLEN, &o), 0);
    o.n_sack = 3;
    assert_int_equal(tcp_options_emit(buf, TCP_MAX_OPTLEN, &o), 40);

    /* More than 4 SACK blocks cannot be encoded at all. */
    o.n_sack = 5;
    assert_int_equal(tcp_options_len(&o), 0);
    assert_int_equal(tcp_options_emit(buf, sizeof buf, &o), 0);
}

static void test_options_emit_clamps_wscale(void **state)
{
    (void)state;
    struct tcp_options o, back;
    uint8_t buf[8];
    memset(&o, 0, sizeof o);
    o.has_wscale = true;
    o.wscale = 200;
    assert_int_equal(tcp_options_emit(buf, sizeof buf, &o), 4);
    assert_int_equal(buf[3], TCP_MAX_WSCALE);
    assert_int_equal(twt_opts_exact(buf, 4, &back), WIRE_OK);
    assert_int_equal(back.wscale, 14);
    assert_false(back.wscale_clamped);
}

/* Every combination of MSS / WS / SACK-perm / TS / 0..4 SACK blocks
 * round-trips through emit and parse, alone and inside a segment. */
static void test_options_roundtrip_every_combination(void **state)
{
    (void)state;
    struct ip_addr c4 = ip_addr_v4(CLIENT4), s4 = ip_addr_v4(SERVER4);
    int fitted = 0;
    for (unsigned mask = 0; mask < 16; mask++) {
        for (uint8_t n = 0; n <= TCP_MAX_SACK_BLOCKS; n++) {
            struct tcp_options o, back;
            memset(&o, 0, sizeof o);
            o.has_mss = mask & 1;
            o.mss = o.has_mss ? (uint16_t)(1000 + mask) : 0;
            o.has_wscale = (mask & 2) != 0;
            o.wscale = o.has_wscale ? (uint8_t)(mask % 15) : 0;
            o.sack_permitted = (mask & 4) != 0;
            o.has_ts = (mask & 8) != 0;
            o.ts_val = o.has_ts ? 0xdeadbeef ^ mask : 0;
            o.ts_ecr = o.has_ts ? 0x0badf00d + n : 0;
            o.n_sack = n;
            for (uint8_t i = 0; i < n; i++) {
                o.sack[i].left = 0xfffff000u + i * 0x1000u;
                o.sack[i].right = o.sack[i].left + 0x800u;
            }

            uint8_t area[64];
            size_t need = tcp_options_len(&o);
            size_t olen = tcp_options_emit(area, sizeof area, &o);
            assert_int_equal(olen, need);
            assert_int_equal(olen % 4, 0);
            assert_int_equal(twt_opts_exact(area, olen, &back), WIRE_OK);
            twt_assert_options_equal(&back, &o);

            size_t in_hdr = tcp_options_emit(area, TCP_MAX_OPTLEN, &o);
            if (need > TCP_MAX_OPTLEN) {
                assert_int_equal(in_hdr, 0);
                continue;
            }
            assert_int_equal(in_hdr, need);
            fitted++;

            uint8_t seg[TCP_MAX_HLEN + 3];
            memcpy(seg + TCP_HLEN, area, olen);
            memcpy(seg + TCP_HLEN + olen, "abc", 3);
            struct tcp_emit_args a = {.sport = 5, .dport = 6, .seq = 7,
                                      .flags = TCP_FLAG_ACK, .window = 8};
            tcp_emit(seg, &a, olen, 3, &c4, &s4);
            struct tcp_view v;
            assert_int_equal(parse_exact(seg, TCP_HLEN + olen + 3, &c4, &s4, &v), WIRE_OK);
            assert_int_equal(v.options_len, olen);
            assert_int_equal(v.payload_len, 3);
            twt_assert_options_equal(&v.opt, &o);
        }
    }
    /* Of the 16 x 5 = 80 combinations, 18 need more than 40 bytes (e.g.
     * TS with 4 SACK blocks, or MSS + WS + TS with 3); counted by hand. */
    assert_int_equal(fitted, 62);
}

/* ---- malformed segments ------------------------------------------------ */

static void test_parse_truncated_each_length(void **state)
{
    (void)state;
    struct tcp_view v;
    for (size_t len = 0; len < TCP_HLEN; len++)
        assert_int_equal(parse4(syn4, len, &v), WIRE_ETRUNC);
}

static void test_parse_data_offset_too_small(void **state)
{
    (void)state;
    struct ip_addr s = ip_addr_v4(CLIENT4), d = ip_addr_v4(SERVER4);
    struct tcp_view v;
    uint8_t seg[40];
    for (unsigned off = 0; off < 5; off++) {
        memcpy(seg, syn4, sizeof seg);
        seg[12] = (uint8_t)(off << 4);
        twt_fix_csum(seg, sizeof seg, &s, &d); /* only the offset is wrong */
        assert_int_equal(parse4(seg, sizeof seg, &v), WIRE_EBADHDR);
    }
    /* Offset 5 with the options then read as payload is fine. */
    memcpy(seg, syn4, sizeof seg);
    seg[12] = 0x50;
    twt_fix_csum(seg, sizeof seg, &s, &d);
    assert_int_equal(parse4(seg, sizeof seg, &v), WIRE_OK);
    assert_int_equal(v.payload_len, 20);
    assert_false(v.opt.has_mss);
}

static void test_parse_data_offset_past_buffer(void **state)
{
    (void)state;
    struct ip_addr s = ip_addr_v4(CLIENT4), d = ip_addr_v4(SERVER4);
    struct tcp_view v;
    uint8_t seg[64];

    /* The SYN claims 40 bytes of header; give it every shorter span. */
    for (size_t len = TCP_HLEN; len < sizeof syn4; len++) {
        memcpy(seg, syn4, len);
        twt_fix_csum(seg, len, &s, &d);
        assert_int_equal(parse4(seg, len, &v), WIRE_EBADLEN);
    }
    /* Offset 15 words (60 bytes) on a 40-byte segment. */
    memcpy(seg, syn4, sizeof syn4);
    seg[12] = 0xf0;
    twt_fix_csum(seg, sizeof syn4, &s, &d);
    assert_int_equal(parse4(seg, sizeof syn4, &v), WIRE_EBADLEN);
    /* Exactly 60 bytes with offset 15: accepted, all NOPs after the SYN's options. */
    memset(seg + 40, TCP_OPT_NOP, 20);
    twt_fix_csum(seg, 60, &s, &d);
    assert_int_equal(parse4(seg, 60, &v), WIRE_OK);
    assert_int_equal(v.data_off, 60);
    assert_int_equal(v.payload_len, 0);
    assert_int_equal(v.opt.wscale, 7);
}

static void test_parse_bad_checksum(void **state)
{
    (void)state;
    struct tcp_view v;
    uint8_t seg[sizeof data4];
    /* Flipping any single bit anywhere must be caught. */
    for (size_t i = 0; i < sizeof data4; i++) {
        for (int bit = 0; bit < 8; bit++) {
            memcpy(seg, data4, sizeof seg);
            seg[i] ^= (uint8_t)(1u << bit);
            int err = parse4(seg, sizeof seg, &v);
            if (i == 12 && bit >= 4)
                assert_true(err == WIRE_ECSUM || err == WIRE_EBADHDR || err == WIRE_EBADLEN);
            else
                assert_int_equal(err, WIRE_ECSUM);
        }
    }
    /* A segment cut short by one byte (IP length mismatch) fails too. */
    assert_int_equal(parse4(data4, sizeof data4 - 1, &v), WIRE_ECSUM);
    /* Zero in the checksum field is not "no checksum" for TCP. */
    memcpy(seg, data4, sizeof seg);
    seg[16] = 0, seg[17] = 0;
    assert_int_equal(parse4(seg, sizeof seg, &v), WIRE_ECSUM);
}

static void test_parse_malformed_options_refuse_segment(void **state)
{
    (void)state;
    struct tcp_view v;
    uint8_t seg[TCP_MAX_HLEN];
    static const uint8_t len0[] = {2, 0, 5, 0xb4};
    static const uint8_t len1[] = {1, 1, 8, 1};
    static const uint8_t past[] = {2, 4, 5, 0xb4, 1, 1, 8, 10}; /* TS cut at 8 bytes */
    static const uint8_t nolen[] = {1, 1, 1, 3};                 /* WS kind in last byte */

    assert_int_equal(parse4(seg, make_seg(seg, len0, 4, 0), &v), WIRE_EBADHDR);
    assert_int_equal(parse4(seg, make_seg(seg, len1, 4, 0), &v), WIRE_EBADHDR);
    /* The TS would run into the payload: the option area ends at data_off. */
    assert_int_equal(parse4(seg, make_seg(seg, past, 8, 10), &v), WIRE_EBADHDR);
    assert_int_equal(parse4(seg, make_seg(seg, nolen, 4, 0), &v), WIRE_EBADHDR);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_linux_syn),
        cmocka_unit_test(test_parse_synack),
        cmocka_unit_test(test_parse_data_segment),
        cmocka_unit_test(test_parse_syn_ipv6),
        cmocka_unit_test(test_seg_len_counts_syn_and_fin),
        cmocka_unit_test(test_emit_reproduces_captures),
        cmocka_unit_test(test_emit_checksum_and_roundtrip),
        cmocka_unit_test(test_emit_no_options),
        cmocka_unit_test(test_options_emit_layouts),
        cmocka_unit_test(test_options_emit_cap_and_limits),
        cmocka_unit_test(test_options_emit_clamps_wscale),
        cmocka_unit_test(test_options_roundtrip_every_combination),
        cmocka_unit_test(test_parse_truncated_each_length),
        cmocka_unit_test(test_parse_data_offset_too_small),
        cmocka_unit_test(test_parse_data_offset_past_buffer),
        cmocka_unit_test(test_parse_bad_checksum),
        cmocka_unit_test(test_parse_malformed_options_refuse_segment),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
