/* test_wire_tcp_options.c - the TCP option area parser (stack/wire/tcp.c,
 * RFC 9293 3.1 and 3.2, RFC 7323, RFC 2018): illegal and wrong lengths,
 * NOPs and EOL, clamped window scale, SACK blocks, unknown and duplicate
 * options, and seeded fuzz loops over options and whole segments.
 * Inputs are parsed from heap copies of exactly their length so that ASan
 * catches any over-read. */

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

/* ---- option area rules ------------------------------------------------- */

static void test_options_illegal_lengths(void **state)
{
    (void)state;
    struct tcp_options o;
    /* Length 0 and 1 for known and unknown kinds, at start and after
     * valid options: malformed, and *out is left zeroed. */
    static const uint8_t kinds[] = {2, 3, 4, 5, 8, 30, 254, 255};
    for (size_t k = 0; k < sizeof kinds; k++) {
        for (uint8_t l = 0; l < 2; l++) {
            uint8_t a[8] = {2, 4, 5, 0xb4, kinds[k], l, 0, 0};
            assert_int_equal(twt_opts_exact(a + 4, 4, &o), WIRE_EBADHDR);
            assert_true(twt_options_all_zero(&o));
            assert_int_equal(twt_opts_exact(a, 8, &o), WIRE_EBADHDR);
            assert_true(twt_options_all_zero(&o)); /* the MSS before is not kept */
        }
    }
    /* Length past the end of the area, by one and by a lot. */
    static const uint8_t over1[] = {1, 2, 4, 5, 0xb4};
    assert_int_equal(twt_opts_exact(over1, 4, &o), WIRE_EBADHDR);
    assert_int_equal(twt_opts_exact(over1, 5, &o), WIRE_OK);
    static const uint8_t over255[] = {254, 255, 0, 0};
    assert_int_equal(twt_opts_exact(over255, 4, &o), WIRE_EBADHDR);
    /* A length that exactly fills the area is fine. */
    static const uint8_t exact[] = {254, 4, 0xaa, 0xbb};
    assert_int_equal(twt_opts_exact(exact, 4, &o), WIRE_OK);
    /* A kind in the last byte with no room for its length byte. */
    static const uint8_t lastkind[] = {1, 1, 1, 2};
    assert_int_equal(twt_opts_exact(lastkind, 4, &o), WIRE_EBADHDR);
    static const uint8_t onlykind[] = {8};
    assert_int_equal(twt_opts_exact(onlykind, 1, &o), WIRE_EBADHDR);
    /* ...but a NOP or EOL there is fine. */
    static const uint8_t lastnop[] = {2, 4, 5, 0xb4, 1};
    assert_int_equal(twt_opts_exact(lastnop, 5, &o), WIRE_OK);
    assert_int_equal(o.mss, 1460);
}

static void test_options_empty_and_nops(void **state)
{
    (void)state;
    struct tcp_options o;
    assert_int_equal(tcp_options_parse(NULL, 0, &o), WIRE_OK);
    assert_true(twt_options_all_zero(&o));

    uint8_t a[TCP_MAX_OPTLEN];
    memset(a, TCP_OPT_NOP, sizeof a);
    assert_int_equal(twt_opts_exact(a, sizeof a, &o), WIRE_OK);
    assert_true(twt_options_all_zero(&o));

    /* 36 NOPs then an MSS in the last 4 bytes. */
    a[36] = 2, a[37] = 4, a[38] = 0x23, a[39] = 0x28;
    assert_int_equal(twt_opts_exact(a, sizeof a, &o), WIRE_OK);
    assert_true(o.has_mss);
    assert_int_equal(o.mss, 9000);

    /* An all-EOL area (zero padding) is empty. */
    memset(a, TCP_OPT_EOL, sizeof a);
    assert_int_equal(twt_opts_exact(a, sizeof a, &o), WIRE_OK);
    assert_true(twt_options_all_zero(&o));
}

static void test_options_eol_in_middle(void **state)
{
    (void)state;
    struct tcp_options o;
    /* Options after EOL are not options: the WS is not seen, and neither
     * is the garbage that would otherwise be malformed. */
    static const uint8_t a[] = {2, 4, 5, 0xb4, 0, 3, 3, 7};
    assert_int_equal(twt_opts_exact(a, sizeof a, &o), WIRE_OK);
    assert_true(o.has_mss);
    assert_false(o.has_wscale);
    static const uint8_t b[] = {1, 1, 4, 2, 0, 8, 0, 1, 2, 3, 4, 5};
    assert_int_equal(twt_opts_exact(b, sizeof b, &o), WIRE_OK);
    assert_true(o.sack_permitted);
    assert_false(o.has_ts);
}

static void test_options_wscale_clamped(void **state)
{
    (void)state;
    struct tcp_options o;
    static const uint8_t shifts[] = {15, 16, 100, 255};
    for (size_t i = 0; i < sizeof shifts; i++) {
        uint8_t a[4] = {1, 3, 3, shifts[i]};
        assert_int_equal(twt_opts_exact(a, sizeof a, &o), WIRE_OK);
        assert_true(o.has_wscale);
        assert_int_equal(o.wscale, 14);
        assert_true(o.wscale_clamped);
    }
    for (uint8_t s = 0; s <= 14; s++) {
        uint8_t a[4] = {1, 3, 3, s};
        assert_int_equal(twt_opts_exact(a, sizeof a, &o), WIRE_OK);
        assert_int_equal(o.wscale, s);
        assert_false(o.wscale_clamped);
    }
}

static void test_options_sack_blocks(void **state)
{
    (void)state;
    struct tcp_options o;
    uint8_t a[48];
    /* 1..4 blocks parse; a 5th (length 42, only possible outside a real
     * 40-byte header) makes the option ignored. */
    for (uint8_t n = 1; n <= 5; n++) {
        memset(a, 0, sizeof a);
        a[0] = TCP_OPT_NOP;
        a[1] = TCP_OPT_NOP;
        a[2] = TCP_OPT_SACK;
        a[3] = (uint8_t)(2 + 8 * n);
        for (uint8_t i = 0; i < n; i++) {
            uint8_t *b = a + 4 + 8 * i;
            b[0] = 0xff, b[1] = 0xff, b[2] = 0xff, b[3] = (uint8_t)(0xf0 + i);
            b[4] = 0x00, b[5] = 0x00, b[6] = 0x01, b[7] = i;
        }
        size_t len = 4 + 8 * (size_t)n;
        if (len % 4 != 0)
            len += 4 - len % 4;
        assert_int_equal(twt_opts_exact(a, len, &o), WIRE_OK);
        if (n <= 4) {
            assert_int_equal(o.n_sack, n);
            for (uint8_t i = 0; i < n; i++) {
                assert_int_equal(o.sack[i].left, 0xfffffff0u + i);
                assert_int_equal(o.sack[i].right, 0x100u + i);
            }
        } else {
            assert_int_equal(o.n_sack, 0);
        }
    }
    /* Lengths that are not 2 + 8n are ignored; later options still count. */
    static const uint8_t bad_lens[] = {2, 3, 9, 11, 17, 25, 33};
    for (size_t i = 0; i < sizeof bad_lens; i++) {
        memset(a, 0, sizeof a);
        a[0] = TCP_OPT_SACK;
        a[1] = bad_lens[i];
        size_t at = bad_lens[i];
        a[at] = 2, a[at + 1] = 4, a[at + 2] = 0x05, a[at + 3] = 0xb4;
        assert_int_equal(twt_opts_exact(a, at + 4, &o), WIRE_OK);
        assert_int_equal(o.n_sack, 0);
        assert_true(o.has_mss);
    }
}

static void test_options_wrong_lengths_ignored(void **state)
{
    (void)state;
    struct tcp_options o;
    /* For each known kind, a wrong but well-delimited length: the option is
     * skipped and the MSS after it still parsed. */
    struct {
        uint8_t kind;
        uint8_t len;
    } cases[] = {
        {TCP_OPT_MSS, 2}, {TCP_OPT_MSS, 3}, {TCP_OPT_MSS, 5}, {TCP_OPT_MSS, 6},
        {TCP_OPT_WSCALE, 2}, {TCP_OPT_WSCALE, 4},
        {TCP_OPT_SACK_PERM, 3}, {TCP_OPT_SACK_PERM, 4},
        {TCP_OPT_TS, 2}, {TCP_OPT_TS, 9}, {TCP_OPT_TS, 11}, {TCP_OPT_TS, 18},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint8_t a[40];
        memset(a, 0x5a, sizeof a); /* option body: nonzero junk */
        a[0] = cases[i].kind;
        a[1] = cases[i].len;
        size_t at = cases[i].len;
        a[at] = TCP_OPT_WSCALE, a[at + 1] = 3, a[at + 2] = 9;
        assert_int_equal(twt_opts_exact(a, at + 3, &o), WIRE_OK);
        assert_false(o.has_mss);
        assert_false(o.sack_permitted);
        assert_false(o.has_ts);
        assert_int_equal(o.ts_val, 0);
        assert_true(o.has_wscale);
        assert_int_equal(o.wscale, 9);
    }
}

static void test_options_mss_zero_reported(void **state)
{
    (void)state;
    struct tcp_options o;
    static const uint8_t a[] = {2, 4, 0, 0};
    assert_int_equal(twt_opts_exact(a, sizeof a, &o), WIRE_OK);
    assert_true(o.has_mss);
    assert_int_equal(o.mss, 0);
}

static void test_options_unknown_skipped(void **state)
{
    (void)state;
    struct tcp_options o;
    static const uint8_t a[] = {
        30, 6, 0xde, 0xad, 0xbe, 0xef,       /* MPTCP-ish */
        254, 4, 0xf9, 0x89,                  /* experimental */
        19, 18, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* MD5 */
        6, 2,                                /* obsolete echo, empty */
        2, 4, 0x05, 0xb4,
    };
    assert_int_equal(twt_opts_exact(a, sizeof a, &o), WIRE_OK);
    assert_true(o.has_mss);
    assert_int_equal(o.mss, 1460);
    assert_false(o.has_ts);
}

static void test_options_last_duplicate_wins(void **state)
{
    (void)state;
    struct tcp_options o;
    static const uint8_t a[] = {2, 4, 0x05, 0xb4, 2, 4, 0x02, 0x18, 1, 3, 3, 20, 1, 3, 3, 2};
    assert_int_equal(twt_opts_exact(a, sizeof a, &o), WIRE_OK);
    assert_int_equal(o.mss, 536);
    assert_int_equal(o.wscale, 2);
    assert_false(o.wscale_clamped);
}

/* ---- fuzz -------------------------------------------------------------- */

static uint32_t lcg_next(uint32_t *s)
{
    *s = *s * 1664525u + 1013904223u;
    return *s >> 8;
}

/* Random option areas biased towards real kinds and near-miss lengths.
 * Parsing must terminate, never read outside the area (ASan), return OK or
 * EBADHDR, leave *out zeroed on error and sane on success, and a decoded
 * result must survive emit + parse unchanged. */
static void test_options_fuzz(void **state)
{
    (void)state;
    static const uint8_t kinds[] = {0, 1, 1, 1, 2, 3, 4, 5, 8, 19, 30, 254};
    uint32_t seed = 0x7c9u;
    int ok = 0, bad = 0;
    for (int iter = 0; iter < 100000; iter++) {
        size_t len = lcg_next(&seed) % (TCP_MAX_OPTLEN + 1);
        if (iter % 10 == 0)
            len = lcg_next(&seed) % 64; /* larger than any header holds */
        uint8_t *area = malloc(len > 0 ? len : 1);
        assert_non_null(area);
        size_t i = 0;
        while (i < len) {
            uint32_t r = lcg_next(&seed);
            if (r % 8 == 0) {
                area[i++] = (uint8_t)lcg_next(&seed); /* pure noise byte */
                continue;
            }
            uint8_t kind = kinds[r % sizeof kinds];
            area[i++] = kind;
            if (kind <= 1 || i >= len)
                continue;
            uint8_t olen;
            switch (lcg_next(&seed) % 4) {
            case 0: olen = (uint8_t)lcg_next(&seed); break;
            case 1: olen = (uint8_t)(lcg_next(&seed) % 3); break;
            default: olen = (uint8_t)(2 + lcg_next(&seed) % 36); break;
            }
            area[i++] = olen;
            for (size_t b = 2; b < olen && i < len; b++)
                area[i++] = (uint8_t)lcg_next(&seed);
        }

        struct tcp_options o;
        int err = tcp_options_parse(area, len, &o);
        free(area);
        if (err == WIRE_EBADHDR) {
            bad++;
            assert_true(twt_options_all_zero(&o));
            continue;
        }
        assert_int_equal(err, WIRE_OK);
        ok++;
        assert_true(o.n_sack <= TCP_MAX_SACK_BLOCKS);
        assert_true(o.wscale <= TCP_MAX_WSCALE);
        assert_true(o.has_wscale || (o.wscale == 0 && !o.wscale_clamped));
        assert_true(o.has_mss || o.mss == 0);
        assert_true(o.has_ts || (o.ts_val == 0 && o.ts_ecr == 0));

        uint8_t again[64];
        struct tcp_options back;
        size_t elen = tcp_options_emit(again, sizeof again, &o);
        assert_int_equal(elen, tcp_options_len(&o));
        assert_int_equal(tcp_options_parse(again, elen, &back), WIRE_OK);
        twt_assert_options_equal(&back, &o);
    }
    /* The generator must exercise both outcomes substantially. */
    assert_true(ok > 10000);
    assert_true(bad > 10000);
}

/* The same through tcp_parse: random option areas inside segments with a
 * valid checksum and a random data offset; the result must match
 * tcp_options_parse on the same bytes. */
static void test_segment_fuzz(void **state)
{
    (void)state;
    struct ip_addr s = ip_addr_v4(CLIENT4), d = ip_addr_v4(SERVER4);
    uint32_t seed = 12345;
    for (int iter = 0; iter < 20000; iter++) {
        size_t len = lcg_next(&seed) % 80;
        uint8_t *seg = malloc(len > 0 ? len : 1);
        assert_non_null(seg);
        for (size_t i = 0; i < len; i++)
            seg[i] = (uint8_t)lcg_next(&seed);
        if (len >= TCP_HLEN) {
            if (lcg_next(&seed) % 4 != 0)
                seg[12] = (uint8_t)((5 + lcg_next(&seed) % 11) << 4);
            twt_fix_csum(seg, len, &s, &d);
        }
        struct tcp_view v;
        int err = tcp_parse(seg, len, &s, &d, &v);
        if (len < TCP_HLEN) {
            assert_int_equal(err, WIRE_ETRUNC);
        } else {
            size_t off = (size_t)(seg[12] >> 4) * 4;
            if (off < TCP_HLEN) {
                assert_int_equal(err, WIRE_EBADHDR);
            } else if (off > len) {
                assert_int_equal(err, WIRE_EBADLEN);
            } else {
                struct tcp_options o;
                int oerr = tcp_options_parse(seg + TCP_HLEN, off - TCP_HLEN, &o);
                assert_int_equal(err, oerr);
                if (err == WIRE_OK) {
                    assert_int_equal(v.payload_len, len - off);
                    twt_assert_options_equal(&v.opt, &o);
                }
            }
        }
        free(seg);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_options_illegal_lengths),
        cmocka_unit_test(test_options_empty_and_nops),
        cmocka_unit_test(test_options_eol_in_middle),
        cmocka_unit_test(test_options_wscale_clamped),
        cmocka_unit_test(test_options_sack_blocks),
        cmocka_unit_test(test_options_wrong_lengths_ignored),
        cmocka_unit_test(test_options_mss_zero_reported),
        cmocka_unit_test(test_options_unknown_skipped),
        cmocka_unit_test(test_options_last_duplicate_wins),
        cmocka_unit_test(test_options_fuzz),
        cmocka_unit_test(test_segment_fuzz),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
