/* test_wire_checksum.c - the Internet checksum (RFC 1071) and pseudo-headers.
 *
 * The fast implementation (64-bit words, memcpy loads, folded carries) is
 * checked against known vectors and against a byte-at-a-time reference
 * over pseudo-random data at every alignment. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "stack/wire/checksum.h"
#include "stack/wire/wire.h"
#include "tests/unit/support/bytes.h"

/* Fixed-seed LCG (Knuth's MMIX constants) so failures reproduce. */
static uint64_t lcg_state;

static uint8_t lcg_byte(void)
{
    lcg_state = lcg_state * 6364136223846793005ull + 1442695040888963407ull;
    return (uint8_t)(lcg_state >> 56);
}

static void fill_random(uint8_t *p, size_t len, uint64_t seed)
{
    lcg_state = seed;
    for (size_t i = 0; i < len; i++)
        p[i] = lcg_byte();
}

/* The partial sum as a 16-bit one's complement value (undo the final
 * complement of inet_csum_fold). */
static uint16_t folded(uint32_t sum)
{
    return (uint16_t)~inet_csum_fold(sum);
}

static void test_rfc1071_example(void **state)
{
    (void)state;
    /* RFC 1071 section 3: the sum of 00 01 f2 03 f4 f5 f6 f7 is ddf2. */
    static const uint8_t b[] = {0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7};
    assert_int_equal(folded(inet_csum_add(0, b, sizeof b)), 0xddf2);
    assert_int_equal(inet_csum(b, sizeof b), 0x220d);
    assert_int_equal(ref_csum(b, sizeof b), 0x220d);
}

static void test_rfc1071_example_split(void **state)
{
    (void)state;
    static const uint8_t b[] = {0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7};
    /* Any split at an even offset gives the same sum. */
    for (size_t cut = 0; cut <= sizeof b; cut += 2) {
        uint32_t s = inet_csum_add(0, b, cut);
        s = inet_csum_add(s, b + cut, sizeof b - cut);
        assert_int_equal(inet_csum_fold(s), 0x220d);
    }
}

static void test_empty_span(void **state)
{
    (void)state;
    uint8_t b[1] = {0xaa};
    assert_int_equal(inet_csum(b, 0), 0xffff);
    assert_int_equal(folded(inet_csum_add(0x1234, b, 0)), 0x1234);
}

static void test_odd_lengths(void **state)
{
    (void)state;
    static const uint8_t one[] = {0xab};
    assert_int_equal(inet_csum(one, 1), (uint16_t)~0xab00);
    static const uint8_t three[] = {0x01, 0x02, 0x03};
    assert_int_equal(inet_csum(three, 3), (uint16_t)~0x0402);
    /* RFC 1071 example minus its last byte: the f6 becomes f600. */
    static const uint8_t seven[] = {0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6};
    uint32_t expect = 0x0001 + 0xf203 + 0xf4f5 + 0xf600;
    expect = (expect & 0xffff) + (expect >> 16);
    assert_int_equal(inet_csum(seven, 7), (uint16_t)~expect);
    /* Odd tails after each of the fast paths (32-, 8-byte loops). */
    uint8_t buf[80];
    fill_random(buf, sizeof buf, 7);
    for (size_t len = 1; len < sizeof buf; len += 2)
        assert_int_equal(inet_csum(buf, len), ref_csum(buf, len));
}

static void test_all_ones_and_zeros(void **state)
{
    (void)state;
    uint8_t ones[256], zeros[256];
    memset(ones, 0xff, sizeof ones);
    memset(zeros, 0, sizeof zeros);
    for (size_t len = 2; len <= sizeof ones; len += 2) {
        /* Sum of 0xffff words is 0xffff (-0): checksum 0. */
        assert_int_equal(inet_csum(ones, len), 0x0000);
        /* Sum of zeros is +0: checksum 0xffff, never 0. */
        assert_int_equal(inet_csum(zeros, len), 0xffff);
    }
    /* ff ff ff -> ffff + ff00 = 1feff -> ff00 -> checksum 00ff. */
    assert_int_equal(inet_csum(ones, 3), 0x00ff);
    assert_int_equal(inet_csum(ones, 1), 0x00ff);
}

static void test_wikipedia_ipv4_header(void **state)
{
    (void)state;
    /* The classic example header: 192.168.0.1 -> 192.168.0.199, UDP,
     * checksum b861. */
    uint8_t h[] = {0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11,
                   0xb8, 0x61, 0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7};
    assert_int_equal(inet_csum(h, sizeof h), 0);
    h[10] = 0;
    h[11] = 0;
    assert_int_equal(inet_csum(h, sizeof h), 0xb861);
}

static void test_fold(void **state)
{
    (void)state;
    assert_int_equal(inet_csum_fold(0), 0xffff);
    assert_int_equal(inet_csum_fold(0xffff), 0x0000);
    assert_int_equal(inet_csum_fold(0x1fffe), 0x0000);
    assert_int_equal(inet_csum_fold(0x10000), 0xfffe);
    assert_int_equal(inet_csum_fold(0xffffffffu), 0x0000);
    assert_int_equal(inet_csum_fold(0x2ddf0), 0x220d);
    assert_int_equal(inet_csum_fold(0x12345678), (uint16_t)~(0x1234 + 0x5678));
}

static void test_every_alignment_vs_reference(void **state)
{
    (void)state;
    enum { MAXLEN = 300 };
    uint8_t *buf = malloc(MAXLEN + 8);
    assert_non_null(buf);
    for (size_t off = 0; off < 8; off++) {
        for (size_t len = 0; len <= MAXLEN; len++) {
            fill_random(buf + off, len, 0x5eed0000u + off * 1000 + len);
            assert_int_equal(inet_csum(buf + off, len), ref_csum(buf + off, len));
        }
    }
    free(buf);
}

static void test_exact_size_allocations(void **state)
{
    (void)state;
    /* Each span in its own exact-size heap block: a load past the end (a
     * wide read of the tail) is caught by ASan. */
    for (size_t len = 1; len <= 70; len++) {
        for (size_t off = 0; off < 8 && off < len; off++) {
            uint8_t *m = malloc(len);
            assert_non_null(m);
            fill_random(m, len, len * 31 + off);
            size_t n = len - off;
            assert_int_equal(inet_csum(m + off, n), ref_csum(m + off, n));
            free(m);
        }
    }
}

static void test_large_random(void **state)
{
    (void)state;
    enum { LEN = 70000 }; /* bigger than any IP datagram */
    uint8_t *buf = malloc(LEN + 8);
    assert_non_null(buf);
    for (size_t off = 0; off < 8; off++) {
        fill_random(buf + off, LEN, 99 + off);
        assert_int_equal(inet_csum(buf + off, LEN), ref_csum(buf + off, LEN));
        assert_int_equal(inet_csum(buf + off, LEN - 1), ref_csum(buf + off, LEN - 1));
    }
    memset(buf, 0xff, LEN);
    assert_int_equal(inet_csum(buf, LEN), 0);
    free(buf);
}

static void test_chained_spans(void **state)
{
    (void)state;
    uint8_t buf[1000];
    fill_random(buf, sizeof buf, 4242);
    uint16_t want = ref_csum(buf, sizeof buf);
    /* Spans of every even size, the last one taking the remainder. */
    for (size_t step = 2; step <= 64; step += 2) {
        uint32_t s = 0;
        size_t pos = 0;
        while (pos < sizeof buf) {
            size_t n = sizeof buf - pos < step ? sizeof buf - pos : step;
            s = inet_csum_add(s, buf + pos, n);
            pos += n;
        }
        assert_int_equal(inet_csum_fold(s), want);
    }
    /* An odd final span. */
    uint32_t s = inet_csum_add(0, buf, 500);
    s = inet_csum_add(s, buf + 500, 499);
    assert_int_equal(inet_csum_fold(s), ref_csum(buf, 999));
}

static void test_chained_no_overflow(void **state)
{
    (void)state;
    /* A million all-ones spans: the running partial sum must stay
     * bounded and the result exact. */
    static const uint8_t ff[4] = {0xff, 0xff, 0xff, 0xff};
    static const uint8_t one[2] = {0x00, 0x01};
    uint32_t s = 0;
    for (int i = 0; i < 1000000; i++) {
        s = inet_csum_add(s, ff, sizeof ff);
        assert_true(s <= 0x3ffff);
    }
    assert_int_equal(inet_csum_fold(s), 0);
    s = inet_csum_add(s, one, 2);
    assert_int_equal(folded(s), 0x0001); /* -0 + 1 = 1 */
    /* Starting from the largest incoming partial sum. */
    s = inet_csum_add(0xffffffffu, one, 2);
    assert_int_equal(folded(s), 0x0001);
}

static void test_pseudo_v4(void **state)
{
    (void)state;
    struct ip_addr src = ip_addr_v4(0x0a4d0901); /* 10.77.9.1 */
    struct ip_addr dst = ip_addr_v4(0x0a4d0902); /* 10.77.9.2 */
    /* 0a4d + 0901 + 0a4d + 0902 + 0011 + 000e = 26bc. Linux left exactly
     * this value in the UDP checksum field of a frame captured on a veth
     * with checksum offload (the pseudo-header part of the sum). */
    assert_int_equal(folded(inet_pseudo_sum(&src, &dst, 17, 14)), 0x26bc);

    /* Same as summing the RFC 768 pseudo-header bytes. */
    static const uint8_t ph[12] = {10, 77, 9, 1, 10, 77, 9, 2, 0, 6, 0x05, 0xdc};
    assert_int_equal(folded(inet_pseudo_sum(&src, &dst, 6, 1500)), ref_sum(ph, sizeof ph));

    /* Swapping src and dst does not change the sum. */
    assert_int_equal(folded(inet_pseudo_sum(&dst, &src, 6, 1500)), ref_sum(ph, sizeof ph));
}

static void test_pseudo_v4_real_udp(void **state)
{
    (void)state;
    /* UDP 10.77.9.1:33554 -> 10.77.9.2:9999 "hello\n", checksum eb37. */
    static const uint8_t udp[] = {0x83, 0x12, 0x27, 0x0f, 0x00, 0x0e, 0xeb, 0x37, 0x68,
                                  0x65, 0x6c, 0x6c, 0x6f, 0x0a};
    struct ip_addr src = ip_addr_v4(0x0a4d0901);
    struct ip_addr dst = ip_addr_v4(0x0a4d0902);
    uint32_t s = inet_pseudo_sum(&src, &dst, 17, sizeof udp);
    assert_int_equal(inet_csum_fold(inet_csum_add(s, udp, sizeof udp)), 0);
    /* The wrong protocol or length breaks it. */
    s = inet_pseudo_sum(&src, &dst, 6, sizeof udp);
    assert_int_not_equal(inet_csum_fold(inet_csum_add(s, udp, sizeof udp)), 0);
    s = inet_pseudo_sum(&src, &dst, 17, sizeof udp + 2);
    assert_int_not_equal(inet_csum_fold(inet_csum_add(s, udp, sizeof udp)), 0);
}

static struct ip_addr v6(const uint8_t b[16])
{
    struct ip_addr a;
    memset(&a, 0, sizeof a);
    a.family = IP_FAMILY_V6;
    memcpy(a.u.v6, b, 16);
    return a;
}

static void test_pseudo_v6_real_mld(void **state)
{
    (void)state;
    /* An MLDv2 report Linux sent from fe80::77:ff:fe00:2 to ff02::16
     * (tcpdump: "icmp6 sum ok"); ICMPv6 uses the RFC 8200 8.1
     * pseudo-header with next header 58. */
    static const uint8_t src_b[16] = {0xfe, 0x80, 0, 0, 0, 0, 0, 0,
                                      0x00, 0x77, 0x00, 0xff, 0xfe, 0x00, 0x00, 0x02};
    static const uint8_t dst_b[16] = {0xff, 0x02, 0, 0, 0, 0, 0, 0,
                                      0, 0, 0, 0, 0, 0, 0, 0x16};
    static const uint8_t icmp[28] = {0x8f, 0x00, 0x71, 0x8e, 0x00, 0x00, 0x00, 0x01,
                                     0x04, 0x00, 0x00, 0x00, 0xff, 0x02, 0x00, 0x00,
                                     0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01,
                                     0xff, 0x00, 0x00, 0x02};
    struct ip_addr src = v6(src_b), dst = v6(dst_b);
    uint32_t s = inet_pseudo_sum(&src, &dst, 58, sizeof icmp);
    assert_int_equal(inet_csum_fold(inet_csum_add(s, icmp, sizeof icmp)), 0);
}

static void test_pseudo_v6_vs_bytes(void **state)
{
    (void)state;
    /* RFC 8200 8.1 layout: src(16) dst(16) length(4) zero(3) next(1),
     * including a length above 16 bits (jumbograms, RFC 2675). */
    static const uint32_t lens[] = {0, 8, 1280, 65535, 65536, 0x12345678u};
    for (size_t k = 0; k < sizeof lens / sizeof lens[0]; k++) {
        uint8_t ph[40];
        fill_random(ph, 32, 1000 + k);
        wr32(ph + 32, lens[k]);
        ph[36] = ph[37] = ph[38] = 0;
        ph[39] = 17;
        struct ip_addr src = v6(ph), dst = v6(ph + 16);
        assert_int_equal(folded(inet_pseudo_sum(&src, &dst, 17, lens[k])),
                         ref_sum(ph, sizeof ph));
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rfc1071_example),
        cmocka_unit_test(test_rfc1071_example_split),
        cmocka_unit_test(test_empty_span),
        cmocka_unit_test(test_odd_lengths),
        cmocka_unit_test(test_all_ones_and_zeros),
        cmocka_unit_test(test_wikipedia_ipv4_header),
        cmocka_unit_test(test_fold),
        cmocka_unit_test(test_every_alignment_vs_reference),
        cmocka_unit_test(test_exact_size_allocations),
        cmocka_unit_test(test_large_random),
        cmocka_unit_test(test_chained_spans),
        cmocka_unit_test(test_chained_no_overflow),
        cmocka_unit_test(test_pseudo_v4),
        cmocka_unit_test(test_pseudo_v4_real_udp),
        cmocka_unit_test(test_pseudo_v6_real_mld),
        cmocka_unit_test(test_pseudo_v6_vs_bytes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
