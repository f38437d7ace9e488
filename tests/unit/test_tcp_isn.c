/* test_tcp_isn.c - RFC 6528 ISNs, timestamp offsets and SYN cookies
 * (stack/sock/tcp_isn.h), all with fixed keys and a fake clock. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "stack/sock/tcp_isn.h"

static const uint8_t key_a[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
static const uint8_t key_b[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 17};

static const uint16_t table_mss[] = {536, 1300, 1440, 1460};

#define PERIOD TCP_COOKIE_PERIOD_NS

static uint32_t xorshift(uint32_t *s)
{
    uint32_t x = *s;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    *s = x;
    return x;
}

/* 10.77.0.1:80 (us) <- 10.77.0.2:40000, built by hand so that the union's
 * tail and the padding hold garbage the hash must not see. */
static struct tcp_tuple tuple_v4(uint8_t garbage)
{
    struct tcp_tuple t;
    memset(&t, garbage, sizeof t);
    t.laddr.family = IP_FAMILY_V4;
    t.laddr.u.v4 = 0x0a4d0001u;
    t.raddr.family = IP_FAMILY_V4;
    t.raddr.u.v4 = 0x0a4d0002u;
    t.lport = 80;
    t.rport = 40000;
    return t;
}

/* The same address bytes under the IPv6 family tag. */
static struct tcp_tuple tuple_v6_like_v4(void)
{
    struct tcp_tuple t;
    memset(&t, 0, sizeof t);
    const uint8_t l[16] = {0x0a, 0x4d, 0x00, 0x01};
    const uint8_t r[16] = {0x0a, 0x4d, 0x00, 0x02};
    t.laddr.family = IP_FAMILY_V6;
    memcpy(t.laddr.u.v6, l, 16);
    t.raddr.family = IP_FAMILY_V6;
    memcpy(t.raddr.u.v6, r, 16);
    t.lport = 80;
    t.rport = 40000;
    return t;
}

/* Variants of the v4 tuple, each differing in one field. */
#define N_VARIANTS 6
static struct tcp_tuple tuple_variant(int i)
{
    struct tcp_tuple t = tuple_v4(0);
    switch (i) {
    case 1: t.laddr.u.v4 ^= 1; break;
    case 2: t.raddr.u.v4 ^= 0x100; break;
    case 3: t.lport = 81; break;
    case 4: t.rport = 40001; break;
    case 5: /* local and remote swapped */
        t.laddr.u.v4 = 0x0a4d0002u;
        t.raddr.u.v4 = 0x0a4d0001u;
        t.lport = 40000;
        t.rport = 80;
        break;
    default: break;
    }
    return t;
}

static void test_isn_per_tuple_and_key(void **state)
{
    (void)state;
    uint64_t now = 123456789012ull;
    uint32_t isn[N_VARIANTS];
    for (int i = 0; i < N_VARIANTS; i++) {
        struct tcp_tuple t = tuple_variant(i);
        isn[i] = tcp_isn(key_a, &t, now);
        for (int j = 0; j < i; j++)
            assert_int_not_equal(isn[i], isn[j]);
        assert_int_not_equal(tcp_isn(key_b, &t, now), isn[i]);
        assert_int_equal(tcp_isn(key_a, &t, now), isn[i]); /* deterministic */
    }
}

/* Only the family-tagged address bytes count: padding and the unused tail
 * of the address union do not, and IPv6 differs from IPv4. */
static void test_isn_hashes_fields_not_struct(void **state)
{
    (void)state;
    struct tcp_tuple a = tuple_v4(0x00);
    struct tcp_tuple b = tuple_v4(0xa5);
    struct tcp_tuple c = tuple_v4(0xff);
    assert_int_equal(tcp_isn(key_a, &a, 0), tcp_isn(key_a, &b, 0));
    assert_int_equal(tcp_isn(key_a, &a, 0), tcp_isn(key_a, &c, 0));
    assert_int_equal(tcp_ts_offset(key_a, &a), tcp_ts_offset(key_a, &b));
    struct tcp_tuple v6 = tuple_v6_like_v4();
    assert_int_not_equal(tcp_isn(key_a, &a, 0), tcp_isn(key_a, &v6, 0));
    assert_int_not_equal(tcp_ts_offset(key_a, &a), tcp_ts_offset(key_a, &v6));
}

/* RFC 6528 3: M is a 4-microsecond timer. */
static void test_isn_clock(void **state)
{
    (void)state;
    struct tcp_tuple t = tuple_v4(0);
    uint64_t base = 4000ull * 1000000ull; /* on a tick */
    uint32_t isn0 = tcp_isn(key_a, &t, base);
    assert_int_equal(tcp_isn(key_a, &t, base + 3999), isn0);
    assert_int_equal(tcp_isn(key_a, &t, base + 4000), isn0 + 1);
    assert_int_equal(tcp_isn(key_a, &t, base + 4000ull * 250), isn0 + 250); /* 1 ms */
    assert_int_equal(tcp_isn(key_a, &t, base + 1000000000ull), isn0 + 250000u); /* 1 s */
    /* M wraps at 2^32 ticks. */
    assert_int_equal(tcp_isn(key_a, &t, base + 4000ull * (1ull << 32)), isn0);
}

static void test_ts_offset(void **state)
{
    (void)state;
    uint32_t off[N_VARIANTS];
    for (int i = 0; i < N_VARIANTS; i++) {
        struct tcp_tuple t = tuple_variant(i);
        off[i] = tcp_ts_offset(key_a, &t);
        for (int j = 0; j < i; j++)
            assert_int_not_equal(off[i], off[j]);
        assert_int_not_equal(tcp_ts_offset(key_b, &t), off[i]);
        /* Domain separation: not the ISN's hash (M = 0 at now 0). */
        assert_int_not_equal(off[i], tcp_isn(key_a, &t, 0));
    }
}

/* Every table MSS, made at the start or end of a period, checks now and
 * up to TCP_COOKIE_MAX_AGE periods later, not after. */
static void test_cookie_round_trip(void **state)
{
    (void)state;
    struct tcp_tuple t = tuple_v4(0);
    const uint64_t made_at[] = {1000 * PERIOD, 1000 * PERIOD + PERIOD - 1, 255 * PERIOD + 7,
                                3 * PERIOD / 2};
    for (size_t m = 0; m < 4; m++) {
        for (size_t w = 0; w < sizeof made_at / sizeof made_at[0]; w++) {
            uint64_t now = made_at[w];
            uint32_t peer_isn = 0x12345678u + (uint32_t)(m * 977 + w);
            uint16_t used = 0;
            uint32_t c = tcp_cookie_make(key_a, &t, peer_isn, table_mss[m], now, &used);
            assert_int_equal(used, table_mss[m]);
            uint64_t base = now - now % PERIOD;
            for (uint64_t age = 0; age <= TCP_COOKIE_MAX_AGE; age++) {
                const uint64_t at[] = {base + age * PERIOD, base + age * PERIOD + PERIOD - 1};
                for (size_t k = 0; k < 2; k++) {
                    if (at[k] < now)
                        continue;
                    uint16_t got = 0;
                    assert_true(tcp_cookie_check(key_a, &t, peer_isn, c, at[k], &got));
                    assert_int_equal(got, table_mss[m]);
                }
            }
            uint16_t got = 0;
            uint64_t too_old = base + (TCP_COOKIE_MAX_AGE + 1) * PERIOD;
            assert_false(tcp_cookie_check(key_a, &t, peer_isn, c, too_old, &got));
            assert_false(tcp_cookie_check(key_a, &t, peer_isn, c, too_old + 50 * PERIOD, &got));
            /* A cookie from the future (clock went back) is not ours. */
            if (base >= PERIOD)
                assert_false(tcp_cookie_check(key_a, &t, peer_isn, c, base - 1, &got));
        }
    }
}

/* The MSS settles on the largest table entry <= asked, the smallest below. */
static void test_cookie_mss_choice(void **state)
{
    (void)state;
    struct tcp_tuple t = tuple_v4(0);
    const uint16_t asked[] = {0, 100, 535, 536, 537, 1299, 1300, 1439, 1440, 1459, 1460, 1461,
                              9000, 65535};
    const uint16_t want[] = {536, 536, 536, 536, 536, 536, 1300, 1300, 1440, 1440, 1460, 1460,
                             1460, 1460};
    for (size_t i = 0; i < sizeof asked / sizeof asked[0]; i++) {
        uint16_t used = 0, got = 0;
        uint32_t c = tcp_cookie_make(key_a, &t, 99, asked[i], 5 * PERIOD, &used);
        assert_int_equal(used, want[i]);
        assert_true(tcp_cookie_check(key_a, &t, 99, c, 5 * PERIOD, &got));
        assert_int_equal(got, want[i]);
    }
}

static void test_cookie_rejects_other_connection(void **state)
{
    (void)state;
    uint64_t now = 77 * PERIOD + 12345;
    uint32_t peer_isn = 0xfffffff0u;
    struct tcp_tuple t = tuple_variant(0);
    uint16_t used = 0, got = 0;
    uint32_t c = tcp_cookie_make(key_a, &t, peer_isn, 1460, now, &used);
    assert_true(tcp_cookie_check(key_a, &t, peer_isn, c, now, &got));
    for (int i = 1; i < N_VARIANTS; i++) {
        struct tcp_tuple o = tuple_variant(i);
        assert_false(tcp_cookie_check(key_a, &o, peer_isn, c, now, &got));
    }
    struct tcp_tuple v6 = tuple_v6_like_v4();
    assert_false(tcp_cookie_check(key_a, &v6, peer_isn, c, now, &got));
    const uint32_t other_isn[] = {peer_isn + 1, peer_isn - 1, peer_isn + 16, 0, peer_isn ^ 0x80000000u};
    for (size_t i = 0; i < sizeof other_isn / sizeof other_isn[0]; i++)
        assert_false(tcp_cookie_check(key_a, &t, other_isn[i], c, now, &got));
    assert_false(tcp_cookie_check(key_b, &t, peer_isn, c, now, &got));
}

/* No single flipped bit turns a cookie into a valid one, for any MSS and
 * any accepted age. */
static void test_cookie_bit_flips(void **state)
{
    (void)state;
    struct tcp_tuple t = tuple_v4(0);
    int accepted = 0, tried = 0;
    for (size_t m = 0; m < 4; m++) {
        for (uint32_t p = 0; p < 8; p++) {
            uint32_t peer_isn = 0x9e3779b9u * (p + 1);
            uint64_t now = (1000 + p) * PERIOD + p;
            uint16_t used = 0;
            uint32_t c = tcp_cookie_make(key_a, &t, peer_isn, table_mss[m], now, &used);
            for (uint64_t age = 0; age <= TCP_COOKIE_MAX_AGE; age++) {
                for (int bit = 0; bit < 32; bit++) {
                    uint16_t got = 0;
                    tried++;
                    if (tcp_cookie_check(key_a, &t, peer_isn, c ^ (1u << bit),
                                         now + age * PERIOD, &got))
                        accepted++;
                }
            }
        }
    }
    assert_int_equal(tried, 4 * 8 * (TCP_COOKIE_MAX_AGE + 1) * 32);
    assert_int_equal(accepted, 0);
}

/* Random guesses: a forgery passes with odds about 2^-28 each. */
static void test_cookie_random_forgeries(void **state)
{
    (void)state;
    struct tcp_tuple t = tuple_v4(0);
    uint32_t seed = 0xc00c1e5u;
    int accepted = 0;
    for (int i = 0; i < 20000; i++) {
        uint16_t got = 0;
        uint32_t guess = xorshift(&seed);
        if (tcp_cookie_check(key_a, &t, 4242, guess, 500 * PERIOD, &got))
            accepted++;
    }
    assert_int_equal(accepted, 0);
}

/* Low 5 bits of the TSval: wscale (0xf = none) and SACK; never ahead of
 * ts_now, at most one 32-tick block behind. */
static void test_cookie_tsval(void **state)
{
    (void)state;
    const uint32_t ts_now[] = {0, 1, 31, 32, 0x12345660u, 0x1234567fu, 0xffffffffu, 0xffffffe0u};
    for (size_t n = 0; n < sizeof ts_now / sizeof ts_now[0]; n++) {
        for (uint8_t ws = 0; ws <= 0xf; ws++) { /* 0..14 shifts, 0xf none */
            for (int sack = 0; sack <= 1; sack++) {
                struct tcp_cookie_opts o = {.mss = 1460, .has_ts = true, .sack = sack,
                                            .wscale = ws};
                uint32_t tsval = tcp_cookie_tsval(ts_now[n], &o);
                assert_true((uint32_t)(ts_now[n] - tsval) < 64u);
                assert_int_equal(tsval & 0xf, ws);
                struct tcp_cookie_opts d;
                memset(&d, 0, sizeof d);
                tcp_cookie_ts_decode(tsval, &d);
                assert_true(d.has_ts);
                assert_int_equal(d.wscale, ws);
                assert_int_equal(d.sack, sack);
            }
        }
    }
    /* A shift above 14 that is not 0xf ("none") is sent as 14: RFC 7323
     * 2.3 caps the shift at 14. */
    struct tcp_cookie_opts big = {.has_ts = true, .sack = false, .wscale = 20};
    struct tcp_cookie_opts d;
    tcp_cookie_ts_decode(tcp_cookie_tsval(1000, &big), &d);
    assert_int_equal(d.wscale, 14);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_isn_per_tuple_and_key),
        cmocka_unit_test(test_isn_hashes_fields_not_struct),
        cmocka_unit_test(test_isn_clock),
        cmocka_unit_test(test_ts_offset),
        cmocka_unit_test(test_cookie_round_trip),
        cmocka_unit_test(test_cookie_mss_choice),
        cmocka_unit_test(test_cookie_rejects_other_connection),
        cmocka_unit_test(test_cookie_bit_flips),
        cmocka_unit_test(test_cookie_random_forgeries),
        cmocka_unit_test(test_cookie_tsval),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
