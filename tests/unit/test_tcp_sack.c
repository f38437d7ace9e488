/* test_tcp_sack.c - the sender's SACK scoreboard (stack/sock/tcp_sack.h):
 * RFC 2018 block validation and merging, RFC 6675 IsLost / SetPipe /
 * NextSeg, checked against a per-byte reference on random boards, at a
 * plain base and across the 2^32 wrap. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "stack/sock/tcp_sack.h"
#include "stack/sock/tcp_seq.h"

/* Every test runs at each base: plain, and with the window straddling 0. */
static const uint32_t bases[] = {1000u, 0xffffff00u, 0xfffff800u};
#define N_BASES (sizeof(bases) / sizeof(bases[0]))

static struct tcp_sack_block blk(uint32_t base, uint32_t l, uint32_t r)
{
    struct tcp_sack_block b = {base + l, base + r};
    return b;
}

static uint32_t add(struct tcp_scoreboard *sb, uint32_t base, uint32_t una, uint32_t nxt,
                    uint32_t l, uint32_t r, uint32_t *n_bad)
{
    struct tcp_sack_block b = blk(base, l, r);
    return sb_update(sb, base + una, base + nxt, &b, 1, n_bad);
}

/* Board holds exactly these offsets (pairs), and sacked matches. */
static void assert_board(const struct tcp_scoreboard *sb, uint32_t base,
                         const uint32_t *pairs, uint32_t n)
{
    assert_int_equal(sb->n, n);
    uint32_t total = 0;
    for (uint32_t i = 0; i < n; i++) {
        assert_int_equal(sb->r[i].left, base + pairs[2 * i]);
        assert_int_equal(sb->r[i].right, base + pairs[2 * i + 1]);
        total += pairs[2 * i + 1] - pairs[2 * i];
    }
    assert_int_equal(sb->sacked, total);
}

static void test_bad_blocks_ignored(void **state)
{
    (void)state;
    for (size_t k = 0; k < N_BASES; k++) {
        uint32_t b = bases[k];
        struct tcp_scoreboard sb;
        sb_clear(&sb);
        uint32_t n_bad = 0;
        /* una = 100, nxt = 1000 */
        assert_int_equal(add(&sb, b, 100, 1000, 50, 90, &n_bad), 0);    /* below una */
        assert_int_equal(add(&sb, b, 100, 1000, 50, 150, &n_bad), 0);   /* straddles una */
        assert_int_equal(add(&sb, b, 100, 1000, 100, 150, &n_bad), 0);  /* left == una */
        assert_int_equal(add(&sb, b, 100, 1000, 900, 1001, &n_bad), 0); /* past nxt */
        assert_int_equal(add(&sb, b, 100, 1000, 1000, 1100, &n_bad), 0);
        assert_int_equal(add(&sb, b, 100, 1000, 300, 300, &n_bad), 0);  /* empty */
        assert_int_equal(add(&sb, b, 100, 1000, 300, 200, &n_bad), 0);  /* reversed */
        assert_int_equal(n_bad, 7);
        assert_int_equal(sb.n, 0);
        assert_int_equal(sb.sacked, 0);
        /* Edges that are fine: left = una + 1, right = nxt. */
        assert_int_equal(add(&sb, b, 100, 1000, 101, 200, &n_bad), 99);
        assert_int_equal(add(&sb, b, 100, 1000, 900, 1000, &n_bad), 100);
        assert_int_equal(n_bad, 7);
        /* NULL n_bad is allowed. */
        assert_int_equal(add(&sb, b, 100, 1000, 10, 20, NULL), 0);
        const uint32_t want[] = {101, 200, 900, 1000};
        assert_board(&sb, b, want, 2);
        /* Mixed ACK: good blocks used, bad ones counted. */
        struct tcp_sack_block mix[3] = {blk(b, 300, 400), blk(b, 0, 50), blk(b, 500, 600)};
        n_bad = 0;
        assert_int_equal(sb_update(&sb, b + 100, b + 1000, mix, 3, &n_bad), 200);
        assert_int_equal(n_bad, 1);
    }
}

static void test_merge(void **state)
{
    (void)state;
    for (size_t k = 0; k < N_BASES; k++) {
        uint32_t b = bases[k];
        struct tcp_scoreboard sb;
        sb_clear(&sb);
        assert_int_equal(add(&sb, b, 0, 5000, 1000, 1100, NULL), 100);
        assert_int_equal(add(&sb, b, 0, 5000, 300, 400, NULL), 100);
        assert_int_equal(add(&sb, b, 0, 5000, 600, 700, NULL), 100);
        const uint32_t w1[] = {300, 400, 600, 700, 1000, 1100};
        assert_board(&sb, b, w1, 3);
        /* Overlap on the right of one range. */
        assert_int_equal(add(&sb, b, 0, 5000, 650, 750, NULL), 50);
        const uint32_t w2[] = {300, 400, 600, 750, 1000, 1100};
        assert_board(&sb, b, w2, 3);
        /* Touching on the left merges too. */
        assert_int_equal(add(&sb, b, 0, 5000, 200, 300, NULL), 100);
        const uint32_t w3[] = {200, 400, 600, 750, 1000, 1100};
        assert_board(&sb, b, w3, 3);
        /* Touching on the right. */
        assert_int_equal(add(&sb, b, 0, 5000, 1100, 1150, NULL), 50);
        const uint32_t w4[] = {200, 400, 600, 750, 1000, 1150};
        assert_board(&sb, b, w4, 3);
        /* Exact duplicate and contained duplicate add nothing. */
        assert_int_equal(add(&sb, b, 0, 5000, 600, 750, NULL), 0);
        assert_int_equal(add(&sb, b, 0, 5000, 210, 220, NULL), 0);
        assert_board(&sb, b, w4, 3);
        /* Swallow all three at once: only the holes are new. */
        assert_int_equal(add(&sb, b, 0, 5000, 100, 1200, NULL),
                         100 + 200 + 250 + 50);
        const uint32_t w5[] = {100, 1200};
        assert_board(&sb, b, w5, 1);
        /* Bridging two ranges exactly through touching. */
        sb_clear(&sb);
        add(&sb, b, 0, 5000, 100, 200, NULL);
        add(&sb, b, 0, 5000, 300, 400, NULL);
        assert_int_equal(add(&sb, b, 0, 5000, 200, 300, NULL), 100);
        const uint32_t w6[] = {100, 400};
        assert_board(&sb, b, w6, 1);
        /* Duplicates within one ACK count once. */
        sb_clear(&sb);
        struct tcp_sack_block dup[3] = {blk(b, 100, 200), blk(b, 150, 250), blk(b, 100, 200)};
        assert_int_equal(sb_update(&sb, b, b + 5000, dup, 3, NULL), 150);
        const uint32_t w7[] = {100, 250};
        assert_board(&sb, b, w7, 1);
    }
}

static void test_overflow_drops_highest(void **state)
{
    (void)state;
    for (size_t k = 0; k < N_BASES; k++) {
        uint32_t b = bases[k];
        struct tcp_scoreboard sb;
        sb_clear(&sb);
        /* Ranges [100i+10, 100i+20) for i = 1..16. */
        for (uint32_t i = 1; i <= TCP_SB_MAX; i++)
            assert_int_equal(add(&sb, b, 0, 4000, 100 * i + 10, 100 * i + 20, NULL), 10);
        assert_int_equal(sb.n, TCP_SB_MAX);
        assert_int_equal(sb.sacked, 10 * TCP_SB_MAX);
        /* One above everything: it is itself the highest, so it goes. */
        add(&sb, b, 0, 4000, 3000, 3010, NULL);
        assert_int_equal(sb.n, TCP_SB_MAX);
        assert_int_equal(sb_high_sacked(&sb, b), b + 100 * TCP_SB_MAX + 20);
        assert_false(sb_is_sacked(&sb, b + 3000));
        assert_int_equal(sb.sacked, 10 * TCP_SB_MAX);
        /* One low: it stays and the top range goes. */
        add(&sb, b, 0, 4000, 50, 60, NULL);
        assert_int_equal(sb.n, TCP_SB_MAX);
        assert_true(sb_is_sacked(&sb, b + 55));
        assert_int_equal(sb.r[0].left, b + 50);
        assert_int_equal(sb_high_sacked(&sb, b), b + 100 * (TCP_SB_MAX - 1) + 20);
        assert_false(sb_is_sacked(&sb, b + 100 * TCP_SB_MAX + 15));
        assert_int_equal(sb.sacked, 10 * TCP_SB_MAX);
        /* Merging into a full board still works and frees a slot. */
        /* [115, 215) joins [110, 120) and [210, 220): 90 bytes new. */
        assert_int_equal(add(&sb, b, 0, 4000, 115, 215, NULL), 90);
        assert_int_equal(sb.n, TCP_SB_MAX - 1);
        assert_int_equal(sb.sacked, 10 * TCP_SB_MAX + 90);
        /* Flood: many blocks in one ACK, board stays bounded and sorted. */
        struct tcp_sack_block many[40];
        for (uint32_t i = 0; i < 40; i++)
            many[i] = blk(b, 2000 + 40 * i, 2000 + 40 * i + 5);
        sb_update(&sb, b, b + 4000, many, 40, NULL);
        assert_int_equal(sb.n, TCP_SB_MAX);
        for (uint32_t i = 1; i < sb.n; i++)
            assert_true(seq_lt(sb.r[i - 1].right, sb.r[i].left));
    }
}

static void test_advance(void **state)
{
    (void)state;
    for (size_t k = 0; k < N_BASES; k++) {
        uint32_t b = bases[k];
        struct tcp_scoreboard sb;
        sb_clear(&sb);
        add(&sb, b, 0, 5000, 100, 200, NULL);
        add(&sb, b, 0, 5000, 300, 400, NULL);
        add(&sb, b, 0, 5000, 500, 600, NULL);
        sb_advance(&sb, b + 50); /* below everything: no change */
        const uint32_t w0[] = {100, 200, 300, 400, 500, 600};
        assert_board(&sb, b, w0, 3);
        sb_advance(&sb, b + 200); /* exactly the right edge of the first */
        const uint32_t w1[] = {300, 400, 500, 600};
        assert_board(&sb, b, w1, 2);
        sb_advance(&sb, b + 350); /* partially into a range */
        const uint32_t w2[] = {350, 400, 500, 600};
        assert_board(&sb, b, w2, 2);
        assert_false(sb_is_sacked(&sb, b + 349));
        assert_true(sb_is_sacked(&sb, b + 350));
        sb_advance(&sb, b + 550); /* drop one, trim the next */
        const uint32_t w3[] = {550, 600};
        assert_board(&sb, b, w3, 1);
        sb_advance(&sb, b + 700); /* past everything */
        assert_board(&sb, b, NULL, 0);
        assert_int_equal(sb_high_sacked(&sb, b + 700), b + 700);
    }
}

static void test_is_lost_rules(void **state)
{
    (void)state;
    const uint32_t mss = 100;
    for (size_t k = 0; k < N_BASES; k++) {
        uint32_t b = bases[k];
        struct tcp_scoreboard sb;
        sb_clear(&sb);
        /* Count rule: three 10-byte ranges (30 bytes, far below 2*mss). */
        add(&sb, b, 0, 5000, 1000, 1010, NULL);
        add(&sb, b, 0, 5000, 1100, 1110, NULL);
        assert_false(sb_is_lost(&sb, b + 0, mss));
        add(&sb, b, 0, 5000, 1200, 1210, NULL);
        assert_true(sb_is_lost(&sb, b + 0, mss));
        assert_true(sb_is_lost(&sb, b + 999, mss));
        assert_false(sb_is_lost(&sb, b + 1000, mss)); /* only 2 start above */
        assert_false(sb_is_lost(&sb, b + 1050, mss));
        uint32_t s = 0;
        assert_int_equal(sb_next_lost(&sb, b, b + 5000, b, mss, &s), 100);
        assert_int_equal(s, b);

        /* Bytes rule: one range of 201 bytes = more than 2 * mss. */
        sb_clear(&sb);
        add(&sb, b, 0, 5000, 1000, 1200, NULL);
        assert_false(sb_is_lost(&sb, b + 500, mss)); /* exactly 200: not more */
        add(&sb, b, 0, 5000, 1200, 1201, NULL);
        assert_true(sb_is_lost(&sb, b + 500, mss));
        assert_true(sb_is_lost(&sb, b + 999, mss));
        /* Bytes rule across two ranges: 150 + 60 above 0, 60 above 1150. */
        sb_clear(&sb);
        add(&sb, b, 0, 5000, 1000, 1150, NULL);
        add(&sb, b, 0, 5000, 1300, 1360, NULL);
        assert_true(sb_is_lost(&sb, b + 999, mss));
        assert_false(sb_is_lost(&sb, b + 1200, mss));
        /* Empty board: nothing is lost, nothing to retransmit. */
        sb_clear(&sb);
        assert_false(sb_is_lost(&sb, b, mss));
        assert_int_equal(sb_next_lost(&sb, b, b + 5000, b, mss, &s), 0);
    }
}

static void test_pipe_simple(void **state)
{
    (void)state;
    const uint32_t mss = 100;
    for (size_t k = 0; k < N_BASES; k++) {
        uint32_t b = bases[k];
        struct tcp_scoreboard sb;
        sb_clear(&sb);
        /* Nothing SACKed: all 1000 bytes in flight. */
        assert_int_equal(sb_pipe(&sb, b, b + 1000, b, mss), 1000);
        /* Segments 0..9 of 100; 3,5,7 SACKed -> segment 0..2 lost (count
         * rule below 300), rest unSACKed and not lost: 1000-300-300 = 400. */
        add(&sb, b, 0, 1000, 300, 400, NULL);
        add(&sb, b, 0, 1000, 500, 600, NULL);
        add(&sb, b, 0, 1000, 700, 800, NULL);
        assert_int_equal(sb_pipe(&sb, b, b + 1000, b, mss), 400);
        /* Retransmitted the first 150 bytes (HighRxt exclusive = 150). */
        assert_int_equal(sb_pipe(&sb, b, b + 1000, b + 150, mss), 550);
        /* Retransmitted everything lost: 400 + 300. */
        assert_int_equal(sb_pipe(&sb, b, b + 1000, b + 300, mss), 700);
        /* NextSeg walks the holes below the boundary, then stops. */
        uint32_t s = 0;
        assert_int_equal(sb_next_lost(&sb, b, b + 1000, b, mss, &s), 100);
        assert_int_equal(s, b);
        assert_int_equal(sb_next_lost(&sb, b, b + 1000, b + 250, mss, &s), 50);
        assert_int_equal(s, b + 250);
        assert_int_equal(sb_next_lost(&sb, b, b + 1000, b + 300, mss, &s), 0);
    }
}

/* RFC 6675 NextSeg rule 3: holes below the highest SACKed byte, lost or
 * not, from HighRxt on. */
static void test_next_hole(void **state)
{
    (void)state;
    const uint32_t mss = 100;
    for (size_t k = 0; k < N_BASES; k++) {
        uint32_t b = bases[k];
        struct tcp_scoreboard sb;
        sb_clear(&sb);
        uint32_t s = 0;
        assert_int_equal(sb_next_hole(&sb, b, b + 1000, b, mss, &s), 0);
        /* Only 700..800 SACKed: nothing is lost, yet 0..700 are holes. */
        add(&sb, b, 0, 1000, 700, 800, NULL);
        assert_int_equal(sb_next_lost(&sb, b, b + 1000, b, mss, &s), 0);
        assert_int_equal(sb_next_hole(&sb, b, b + 1000, b, mss, &s), 100);
        assert_int_equal(s, b);
        assert_int_equal(sb_next_hole(&sb, b, b + 1000, b + 650, mss, &s), 50);
        assert_int_equal(s, b + 650);
        /* Nothing above the highest SACKed byte is a hole. */
        assert_int_equal(sb_next_hole(&sb, b, b + 1000, b + 700, mss, &s), 0);
        /* Skips SACKed ranges. */
        add(&sb, b, 0, 1000, 900, 950, NULL);
        assert_int_equal(sb_next_hole(&sb, b, b + 1000, b + 700, mss, &s), 100);
        assert_int_equal(s, b + 800);
    }
}

/* ---- randomized check against a per-byte reference ---- */

#define WIN_MAX 4000u

struct rng {
    uint32_t s;
};

static uint32_t rng_next(struct rng *r)
{
    /* xorshift32: deterministic, seeded, good enough for test inputs. */
    uint32_t x = r->s;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    r->s = x;
    return x;
}

static uint32_t rng_below(struct rng *r, uint32_t n)
{
    return n ? rng_next(r) % n : 0;
}

struct ref {
    uint32_t win;             /* bytes [0, win) relative to una */
    bool sacked[WIN_MAX + 1];
    uint32_t runs_above[WIN_MAX + 1]; /* runs starting at offset > i */
    uint32_t bytes_above[WIN_MAX + 1]; /* sacked bytes at offset > i */
};

static void ref_compute(struct ref *ref)
{
    uint32_t runs = 0;
    uint32_t bytes = 0;
    ref->runs_above[ref->win] = 0;
    ref->bytes_above[ref->win] = 0;
    for (uint32_t i = ref->win; i > 0; i--) {
        uint32_t off = i - 1;
        ref->runs_above[off] = runs;
        ref->bytes_above[off] = bytes;
        if (ref->sacked[off]) {
            bytes++;
            if (off == 0 || !ref->sacked[off - 1])
                runs++;
        }
    }
}

static bool ref_is_lost(const struct ref *ref, uint32_t off, uint32_t mss)
{
    return ref->runs_above[off] >= TCP_DUPTHRESH ||
           ref->bytes_above[off] > (TCP_DUPTHRESH - 1) * mss;
}

static void check_random_board(struct rng *rng, uint32_t base, struct ref *ref)
{
    const uint32_t mss = 100;
    struct tcp_scoreboard sb;
    sb_clear(&sb);
    memset(ref->sacked, 0, sizeof(ref->sacked));
    ref->win = 1 + rng_below(rng, WIN_MAX);
    uint32_t una = base;
    uint32_t nxt = base + ref->win;

    /* Up to 4 ACKs of up to 4 blocks: at most 16 = TCP_SB_MAX ranges, so
     * no overflow and the reference stays exact. Blocks snap to mss half
     * the time, so the byte rule's thresholds are hit exactly. */
    uint32_t n_acks = 1 + rng_below(rng, 4);
    for (uint32_t a = 0; a < n_acks; a++) {
        struct tcp_sack_block blocks[TCP_MAX_SACK_BLOCKS];
        uint32_t nb = rng_below(rng, TCP_MAX_SACK_BLOCKS + 1);
        uint32_t want_new = 0;
        bool tmp[WIN_MAX + 1];
        memcpy(tmp, ref->sacked, sizeof(tmp));
        for (uint32_t i = 0; i < nb; i++) {
            uint32_t l = rng_below(rng, ref->win + 1);
            uint32_t len = 1 + rng_below(rng, 250);
            if (rng_below(rng, 2)) {
                l -= l % mss;
                len = mss * (1 + rng_below(rng, 3));
            }
            uint32_t r = l + len;
            if (r > ref->win)
                r = ref->win;
            blocks[i] = blk(base, l, r);
            if (l > 0 && l < r) {
                for (uint32_t o = l; o < r; o++) {
                    if (!tmp[o])
                        want_new++;
                    tmp[o] = true;
                }
            }
        }
        uint32_t bad = 0;
        uint32_t got_new = sb_update(&sb, una, nxt, blocks, nb, &bad);
        assert_int_equal(got_new, want_new);
        memcpy(ref->sacked, tmp, sizeof(tmp));
    }
    ref_compute(ref);

    /* Board shape: sorted, disjoint, not touching, in (una, nxt]. */
    uint32_t total = 0;
    for (uint32_t i = 0; i < sb.n; i++) {
        assert_true(seq_lt(una, sb.r[i].left));
        assert_true(seq_lt(sb.r[i].left, sb.r[i].right));
        assert_true(seq_leq(sb.r[i].right, nxt));
        if (i > 0)
            assert_true(seq_lt(sb.r[i - 1].right, sb.r[i].left));
        total += sb.r[i].right - sb.r[i].left;
    }
    assert_int_equal(sb.sacked, total);

    uint32_t high = 0;
    for (uint32_t o = 0; o < ref->win; o++) {
        assert_int_equal(sb_is_sacked(&sb, base + o), ref->sacked[o]);
        assert_int_equal(sb_is_lost(&sb, base + o, mss), ref_is_lost(ref, o, mss));
        if (ref->sacked[o])
            high = o + 1;
    }
    assert_int_equal(sb_high_sacked(&sb, una), base + high);

    /* SetPipe for a few HighRxt values, including una and nxt. */
    for (uint32_t t = 0; t < 4; t++) {
        uint32_t hr = t == 0 ? 0 : t == 1 ? ref->win : rng_below(rng, ref->win + 1);
        uint32_t want = 0;
        for (uint32_t o = 0; o < ref->win; o++) {
            if (ref->sacked[o])
                continue;
            if (!ref_is_lost(ref, o, mss))
                want++;
            if (o < hr)
                want++;
        }
        assert_int_equal(sb_pipe(&sb, una, nxt, base + hr, mss), want);

        /* NextSeg rule 1 from this HighRxt. */
        uint32_t want_seq = 0;
        uint32_t want_len = 0;
        for (uint32_t o = hr; o < high; o++) {
            if (!ref->sacked[o] && ref_is_lost(ref, o, mss)) {
                want_seq = o;
                while (o < ref->win && !ref->sacked[o] && want_len < mss) {
                    want_len++;
                    o++;
                }
                break;
            }
        }
        uint32_t got_seq = 0;
        uint32_t got_len = sb_next_lost(&sb, una, nxt, base + hr, mss, &got_seq);
        assert_int_equal(got_len, want_len);
        if (want_len)
            assert_int_equal(got_seq, base + want_seq);
    }

    /* Advance to a random point: the board keeps exactly what lies above. */
    uint32_t cut = rng_below(rng, ref->win + 1);
    sb_advance(&sb, base + cut);
    uint32_t above = 0;
    for (uint32_t o = cut; o < ref->win; o++)
        above += ref->sacked[o];
    assert_int_equal(sb.sacked, above);
    for (uint32_t i = 0; i < sb.n; i++)
        assert_true(seq_leq(base + cut, sb.r[i].left));
}

static void test_random_against_reference(void **state)
{
    (void)state;
    static struct ref ref; /* large; keep it off the stack */
    for (size_t k = 0; k < N_BASES; k++) {
        struct rng rng = {0x9e3779b9u + (uint32_t)k};
        for (uint32_t iter = 0; iter < 300; iter++)
            check_random_board(&rng, bases[k], &ref);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bad_blocks_ignored),
        cmocka_unit_test(test_merge),
        cmocka_unit_test(test_overflow_drops_highest),
        cmocka_unit_test(test_advance),
        cmocka_unit_test(test_is_lost_rules),
        cmocka_unit_test(test_pipe_simple),
        cmocka_unit_test(test_next_hole),
        cmocka_unit_test(test_random_against_reference),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
