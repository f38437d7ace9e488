/* test_tcp_security.c - hostile TCP input: the ACK checks and RFC 5961 blind
 * attacks (in-window RST and SYN, the challenge-ACK rate limit), SYN
 * cookies when the SYN queue is full or always on, and a seeded mutation
 * loop over valid frames. Each case shows a counted drop or the RFC's
 * answer; plainly malformed input is in test_tcp_input.c. */

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "stack/sock/tcp_impl.h"
#include "stack/wire/eth.h"
#include "tests/unit/support/bytes.h"
#include "tests/unit/support/tcp_peer.h"
#include "tests/unit/support/tcp_input_fixture.h"

static void tweak_cookies_always(struct stack_config *cfg, struct netif_config *ncfg)
{
    (void)ncfg;
    cfg->tcp.syncookies = 2;
}

static void tweak_small_synq(struct stack_config *cfg, struct netif_config *ncfg)
{
    (void)ncfg;
    cfg->tcp.syncookies = 1;
    cfg->tcp.syn_backlog = 2;
}

/* ---- ACK checks (RFC 9293 3.10.7.4 fifth, RFC 5961 5.2) ---- */

static void test_ack_of_unsent_data(void **state)
{
    (void)state;
    struct conn k;
    tin_open_conn(&k, NULL);
    uint64_t unsent = env_ctr(k.e, CTR_TCP_RX_DROP_ACK_UNSENT);
    uint8_t d[10];
    tin_fill(d, 0, sizeof d);
    tin_seg(&k, TCP_FLAG_ACK, k.peer_nxt, k.our_nxt + 5000, d, sizeof d);
    assert_int_equal(env_ctr(k.e, CTR_TCP_RX_DROP_ACK_UNSENT), unsent + 1);
    struct tp_out a;
    tp_take(k.e, &a);
    assert_int_equal(a.t.flags, TCP_FLAG_ACK);
    assert_int_equal(a.t.seq, k.our_nxt);
    assert_int_equal(a.t.ack, k.peer_nxt);
    assert_int_equal(tcp_sock_readable(k.c), 0); /* dropped, data too */
    tin_assert_established(&k);
    tin_close_conn(&k);
}

/* Issue 12 item 2, RFC 7323 4.3 / RFC 9293 3.10.7.4: TS.Recent comes only
 * from an acceptable segment. A forged segment in the window whose ACK is
 * beyond SND.NXT (or too old, RFC 5961 5.2), or a SYN or a RST that is
 * challenged, carries a TSval far in the future: it is answered and
 * dropped, and the peer's next genuine segment must still pass PAWS. */
static void check_forged_ts_ignored(uint8_t flags, uint32_t seq_off, int32_t ack_off)
{
    struct conn k;
    tin_open_conn(&k, NULL);
    uint64_t paws = env_ctr(k.e, CTR_TCP_RX_DROP_PAWS);
    struct tcp_options forged = {.has_ts = true, .ts_val = k.tsval + 0x10000000u,
                                 .ts_ecr = k.tsecr};
    tp_send(k.e, &(struct tp_seg){.dport = PORT, .seq = k.peer_nxt + seq_off,
                                  .ack = k.our_nxt + (uint32_t)ack_off, .flags = flags,
                                  .window = 502, .opt = &forged});
    struct tp_out a;
    if (flags & (TCP_FLAG_ACK | TCP_FLAG_RST | TCP_FLAG_SYN)) {
        tp_take(k.e, &a); /* the challenge ACK */
        assert_int_equal(a.t.flags, TCP_FLAG_ACK);
        assert_int_equal(a.t.opt.ts_ecr, k.tsval); /* not the forged TSval */
    }
    assert_int_equal(tp_pending(k.e), 0);
    tin_assert_established(&k);
    /* The genuine peer goes on with its own clock. */
    k.tsval++;
    tin_data(&k, 100);
    assert_int_equal(env_ctr(k.e, CTR_TCP_RX_DROP_PAWS), paws);
    assert_int_equal(tin_read_check(&k, 0), 100);
    tin_close_conn(&k);
}

static void test_ts_recent_only_from_acceptable(void **state)
{
    (void)state;
    check_forged_ts_ignored(TCP_FLAG_ACK, 0, 5000);                 /* ACK > SND.NXT */
    check_forged_ts_ignored(TCP_FLAG_ACK, 0, -(int32_t)(1u << 30)); /* ACK too old */
    check_forged_ts_ignored(TCP_FLAG_SYN | TCP_FLAG_ACK, 0, 0);     /* SYN: challenge */
    check_forged_ts_ignored(TCP_FLAG_RST, 10, 0);                   /* RST not at RCV.NXT */
    check_forged_ts_ignored(0, 0, 0);                               /* no ACK bit: dropped */
}

static void test_ack_too_old_challenged(void **state)
{
    (void)state;
    struct conn k;
    tin_open_conn(&k, NULL);
    uint64_t old = env_ctr(k.e, CTR_TCP_RX_DROP_OLD_ACK);
    uint64_t ch = env_ctr(k.e, CTR_TCP_TX_CHALLENGE_ACKS);
    uint8_t d[10];
    tin_fill(d, 0, sizeof d);
    /* MAX.SND.WND is 502 << 7; this is far below SND.UNA - that. */
    tin_seg(&k, TCP_FLAG_ACK, k.peer_nxt, k.our_nxt - 200000, d, sizeof d);
    assert_int_equal(env_ctr(k.e, CTR_TCP_RX_DROP_OLD_ACK), old + 1);
    assert_int_equal(env_ctr(k.e, CTR_TCP_TX_CHALLENGE_ACKS), ch + 1);
    struct tp_out a;
    tp_take(k.e, &a);
    assert_int_equal(a.t.flags, TCP_FLAG_ACK);
    assert_int_equal(a.t.ack, k.peer_nxt);
    assert_int_equal(tcp_sock_readable(k.c), 0);
    /* Just inside SND.UNA - MAX.SND.WND is an acceptable old duplicate. */
    tin_seg(&k, TCP_FLAG_ACK, k.peer_nxt, k.our_nxt - 1000, d, sizeof d);
    k.peer_nxt += 10;
    assert_int_equal(env_ctr(k.e, CTR_TCP_RX_DROP_OLD_ACK), old + 1);
    assert_int_equal(tin_read_check(&k, 0), 10);
    tin_assert_established(&k);
    tin_close_conn(&k);
}

/* ---- RFC 5961 ---- */

static void test_syn_on_established_challenge(void **state)
{
    (void)state;
    struct conn k;
    tin_open_conn(&k, NULL);
    uint64_t ch = env_ctr(k.e, CTR_TCP_TX_CHALLENGE_ACKS);
    /* In window and at RCV.NXT exactly: neither resets (RFC 5961 4.2). */
    const uint32_t seqs[] = {k.peer_nxt, k.peer_nxt + 100, k.peer_nxt - 1000000};
    for (size_t i = 0; i < 3; i++) {
        struct tcp_options o = tin_ts_opt(&k);
        tp_send(k.e, &(struct tp_seg){.dport = PORT, .seq = seqs[i], .flags = TCP_FLAG_SYN,
                                      .opt = &o});
        struct tp_out a;
        tp_take(k.e, &a);
        assert_int_equal(a.t.flags, TCP_FLAG_ACK);
        assert_int_equal(a.t.seq, k.our_nxt);
        assert_int_equal(a.t.ack, k.peer_nxt);
        tin_assert_established(&k);
    }
    /* The first two are challenge ACKs; the out-of-window one is just
     * the RFC 9293 ACK for an unacceptable segment. */
    assert_true(env_ctr(k.e, CTR_TCP_TX_CHALLENGE_ACKS) >= ch + 2);
    tin_data(&k, 20);
    assert_int_equal(tin_read_check(&k, 0), 20);
    tin_close_conn(&k);
}

static void test_rst_in_window_challenge_then_exact_resets(void **state)
{
    (void)state;
    struct conn k;
    tin_open_conn(&k, NULL);
    uint64_t ch = env_ctr(k.e, CTR_TCP_TX_CHALLENGE_ACKS);
    tin_seg(&k, TCP_FLAG_RST, k.peer_nxt + 1, 0, NULL, 0);
    assert_int_equal(env_ctr(k.e, CTR_TCP_TX_CHALLENGE_ACKS), ch + 1);
    struct tp_out a;
    tp_take(k.e, &a);
    assert_int_equal(a.t.flags, TCP_FLAG_ACK);
    assert_int_equal(a.t.ack, k.peer_nxt);
    tin_assert_established(&k);
    /* Outside the window: ignored, counted, no answer. */
    uint64_t ign = env_ctr(k.e, CTR_TCP_RX_RST_IGNORED);
    tin_seg(&k, TCP_FLAG_RST, k.peer_nxt + 10000000, 0, NULL, 0);
    assert_int_equal(env_ctr(k.e, CTR_TCP_RX_RST_IGNORED), ign + 1);
    assert_int_equal(tin_drain(k.e), 0);
    /* Exactly RCV.NXT: reset. */
    uint64_t rsts = env_ctr(k.e, CTR_TCP_RX_RSTS);
    tin_seg(&k, TCP_FLAG_RST, k.peer_nxt, 0, NULL, 0);
    assert_int_equal(env_ctr(k.e, CTR_TCP_RX_RSTS), rsts + 1);
    assert_int_equal(tcp_sock_state(k.c), TCP_CLOSED);
    assert_int_equal(tcp_sock_error(k.c), ECONNRESET);
    assert_int_equal(tin_drain(k.e), 0);
    tin_close_conn(&k);
}

static void test_challenge_ack_rate_limit(void **state)
{
    (void)state;
    struct conn k;
    tin_open_conn(&k, NULL);
    uint64_t ch = env_ctr(k.e, CTR_TCP_TX_CHALLENGE_ACKS);
    uint64_t lim = env_ctr(k.e, CTR_TCP_CHALLENGE_ACK_LIMITED);
    size_t acks = 0;
    /* 2000 in-window RSTs over one fake second (every 0.5 ms). */
    for (uint32_t i = 0; i < 2000; i++) {
        tin_seg(&k, TCP_FLAG_RST, k.peer_nxt + 1 + (i % 50000), 0, NULL, 0);
        if (i % 100 == 99)
            acks += tin_drain(k.e);
        env_advance(k.e, NS_PER_MS / 2);
    }
    acks += tin_drain(k.e);
    uint64_t sent = env_ctr(k.e, CTR_TCP_TX_CHALLENGE_ACKS) - ch;
    uint64_t limited = env_ctr(k.e, CTR_TCP_CHALLENGE_ACK_LIMITED) - lim;
    assert_int_equal(sent + limited, 2000);
    assert_int_equal(acks, sent);
    /* At most the burst plus one second's rate (RFC 5961 10, Linux's
     * 1000/s): the rest are counted, not sent. */
    assert_true(sent <= 100 + 1000 + 1);
    assert_true(limited >= 2000 - 1101);
    tin_assert_established(&k);
    tin_data(&k, 10);
    assert_int_equal(tin_read_check(&k, 0), 10);
    tin_close_conn(&k);
}

/* ---- SYN cookies ---- */

static void test_syncookies_always(void **state)
{
    (void)state;
    struct stack_env *e = tin_env_open(tweak_cookies_always);
    struct tcp_sock *l = tp_listen(e, PORT, 8);
    struct tcp_options o = tp_linux_syn_options(1000);
    tp_send(e, &(struct tp_seg){.dport = PORT, .seq = 7000, .flags = TCP_FLAG_SYN, .opt = &o});
    assert_int_equal(env_ctr(e, CTR_TCP_SYNCOOKIES_SENT), 1);
    struct tp_out sa;
    tp_take(e, &sa);
    assert_int_equal(sa.t.flags, TCP_FLAG_SYN | TCP_FLAG_ACK);
    assert_int_equal(sa.t.ack, 7001);
    assert_true(sa.t.opt.has_mss);
    assert_true(sa.t.opt.has_ts);
    assert_true(sa.t.opt.sack_permitted);
    assert_true(sa.t.opt.has_wscale);
    assert_int_equal(sa.t.opt.ts_ecr, 1000);
    /* No state: only the listener exists. */
    struct tcp_conn_info list[4];
    assert_int_equal(stack_tcp_list(e->s, list, 4), 1);
    assert_int_equal(list[0].state, TCP_LISTEN);

    /* A forged third ACK: wrong acknowledgment number. */
    struct tcp_options ao = {.has_ts = true, .ts_val = 1001, .ts_ecr = sa.t.opt.ts_val};
    tp_send(e, &(struct tp_seg){.dport = PORT, .seq = 7001, .ack = sa.t.seq + 1 + 12345,
                                .flags = TCP_FLAG_ACK, .opt = &ao, .window = 502});
    assert_int_equal(env_ctr(e, CTR_TCP_SYNCOOKIES_FAILED), 1);
    struct tp_out r;
    tp_take(e, &r);
    assert_int_equal(r.t.flags & TCP_FLAG_RST, TCP_FLAG_RST);
    assert_int_equal(r.t.seq, sa.t.seq + 1 + 12345);
    assert_int_equal(stack_tcp_list(e->s, NULL, 0), 1);

    /* The right one. */
    tp_send(e, &(struct tp_seg){.dport = PORT, .seq = 7001, .ack = sa.t.seq + 1,
                                .flags = TCP_FLAG_ACK, .opt = &ao, .window = 502});
    assert_int_equal(env_ctr(e, CTR_TCP_SYNCOOKIES_RECV), 1);
    int err = 0;
    struct tcp_sock *c = tcp_sock_accept(l, NULL, NULL, &err);
    assert_non_null(c);
    assert_int_equal(tcp_sock_state(c), TCP_ESTABLISHED);
    struct tcp_conn_info ci;
    tcp_sock_info(c, &ci);
    assert_int_equal(ci.mss, 1460 - TCP_TS_OPTLEN);
    assert_int_equal(ci.snd_wscale, 7);
    assert_int_equal(ci.rcv_wscale, sa.t.opt.wscale);
    assert_true(ci.sack);
    assert_true(ci.timestamps);
    assert_int_equal(ci.snd_wnd, 502u << 7);
    /* And it carries data both ways. */
    uint8_t d[50];
    tin_fill(d, 0, sizeof d);
    ao.ts_val = 1002;
    tp_send(e, &(struct tp_seg){.dport = PORT, .seq = 7001, .ack = sa.t.seq + 1,
                                .flags = TCP_FLAG_ACK | TCP_FLAG_PSH, .opt = &ao,
                                .window = 502, .payload = d, .len = sizeof d});
    uint8_t buf[64];
    assert_int_equal(tcp_sock_recv(c, buf, sizeof buf, e->now), 50);
    assert_memory_equal(buf, d, 50);
    assert_int_equal(tcp_sock_send(c, "x", 1, e->now), 1);
    tcp_sock_abort(c, e->now);
    tcp_sock_close(l, e->now);
    tin_env_close(e);
}

/* Without timestamps there is nowhere to keep wscale and SACK: a cookie
 * connection goes without them (as Linux), and the third ACK may carry
 * data. A cookie older than its lifetime fails. */
static void test_syncookies_without_ts_and_expired(void **state)
{
    (void)state;
    struct stack_env *e = tin_env_open(tweak_cookies_always);
    struct tcp_sock *l = tp_listen(e, PORT, 8);
    struct tcp_options o = tp_linux_syn_options(1000);
    o.has_ts = false;
    o.mss = 1400; /* the cookie table rounds down to 1300 */
    tp_send(e, &(struct tp_seg){.dport = PORT, .seq = 9000, .flags = TCP_FLAG_SYN, .opt = &o});
    struct tp_out sa;
    tp_take(e, &sa);
    assert_true(sa.t.opt.has_mss);
    assert_false(sa.t.opt.has_ts);
    assert_false(sa.t.opt.has_wscale);
    assert_false(sa.t.opt.sack_permitted);
    uint8_t d[30];
    tin_fill(d, 0, sizeof d);
    tp_send(e, &(struct tp_seg){.dport = PORT, .seq = 9001, .ack = sa.t.seq + 1,
                                .flags = TCP_FLAG_ACK | TCP_FLAG_PSH, .window = 502,
                                .payload = d, .len = sizeof d});
    assert_int_equal(env_ctr(e, CTR_TCP_SYNCOOKIES_RECV), 1);
    int err = 0;
    struct tcp_sock *c = tcp_sock_accept(l, NULL, NULL, &err);
    assert_non_null(c);
    struct tcp_conn_info ci;
    tcp_sock_info(c, &ci);
    assert_int_equal(ci.mss, 1300);
    assert_int_equal(ci.snd_wscale, 0);
    assert_int_equal(ci.rcv_wscale, 0);
    assert_false(ci.sack);
    assert_false(ci.timestamps);
    assert_int_equal(ci.snd_wnd, 502);
    uint8_t buf[64];
    assert_int_equal(tcp_sock_recv(c, buf, sizeof buf, e->now), 30);
    assert_memory_equal(buf, d, 30);
    tcp_sock_abort(c, e->now);
    tp_clear(e);

    /* A cookie answered 200 s later is stale. */
    tp_send(e, &(struct tp_seg){.dport = PORT, .sport = 41000, .seq = 100,
                                .flags = TCP_FLAG_SYN, .opt = &o});
    tp_take(e, &sa);
    env_advance(e, 200 * NS_PER_SEC);
    env_learn(e, ENV_IP_PEER, &env_mac_peer);
    tp_send(e, &(struct tp_seg){.dport = PORT, .sport = 41000, .seq = 101,
                                .ack = sa.t.seq + 1, .flags = TCP_FLAG_ACK});
    assert_int_equal(env_ctr(e, CTR_TCP_SYNCOOKIES_FAILED), 1);
    struct tp_out r;
    tp_take(e, &r);
    assert_true(r.t.flags & TCP_FLAG_RST);
    assert_null(tcp_sock_accept(l, NULL, NULL, &err));
    assert_int_equal(err, -EAGAIN);
    tcp_sock_close(l, e->now);
    tin_env_close(e);
}

static void test_syncookies_when_synq_full(void **state)
{
    (void)state;
    struct stack_env *e = tin_env_open(tweak_small_synq);
    struct tcp_sock *l = tp_listen(e, PORT, 8);
    struct tcp_options o = tp_linux_syn_options(1000);
    for (uint16_t i = 0; i < 3; i++) {
        tp_send(e, &(struct tp_seg){.dport = PORT, .sport = (uint16_t)(41000 + i),
                                    .seq = 7000, .flags = TCP_FLAG_SYN, .opt = &o});
        struct tp_out sa;
        tp_take(e, &sa);
        assert_int_equal(sa.t.flags, TCP_FLAG_SYN | TCP_FLAG_ACK);
        assert_int_equal(env_ctr(e, CTR_TCP_SYNCOOKIES_SENT), i < 2 ? 0 : 1);
    }
    /* The listener and two SYN-RECEIVED children; the third kept nothing. */
    assert_int_equal(stack_tcp_list(e->s, NULL, 0), 3);
    tcp_sock_close(l, e->now);
    tin_env_close(e);
}

static void tweak_small_table(struct stack_config *cfg, struct netif_config *ncfg)
{
    (void)ncfg;
    cfg->tcp.syncookies = 1;
    cfg->tcp.syn_backlog = 2;
    cfg->tcp.max_conns = 3;
}

/* Issue 14: a flood spread over two listeners fills max_conns before
 * either SYN queue is full; the next SYN still gets a cookie, and the
 * cookie's ACK then makes a connection once a slot is free. */
static void test_syncookies_when_table_full(void **state)
{
    (void)state;
    struct stack_env *e = tin_env_open(tweak_small_table);
    struct tcp_sock *l1 = tp_listen(e, PORT, 8);
    struct tcp_sock *l2 = tp_listen(e, PORT + 1, 8);
    struct tcp_options o = tp_linux_syn_options(1000);
    const uint16_t dports[] = {PORT, PORT + 1, PORT + 1, PORT};
    struct tp_out sa;
    for (uint16_t i = 0; i < 4; i++) {
        tp_send(e, &(struct tp_seg){.dport = dports[i], .sport = (uint16_t)(42000 + i),
                                    .seq = 9000, .flags = TCP_FLAG_SYN, .opt = &o});
        tp_take(e, &sa);
        assert_int_equal(sa.t.flags, TCP_FLAG_SYN | TCP_FLAG_ACK);
        assert_int_equal(env_ctr(e, CTR_TCP_SYNCOOKIES_SENT), i < 3 ? 0 : 1);
    }
    /* Two listeners, three children (the table's max); no fourth. */
    assert_int_equal(stack_tcp_list(e->s, NULL, 0), 5);
    assert_int_equal(env_ctr(e, CTR_TCP_RX_DROP_NO_MEMORY), 0);
    /* The peer resets one of l2's children: a slot is free, and the
     * cookie's ACK becomes a connection on l1. */
    tp_send(e, &(struct tp_seg){.dport = PORT + 1, .sport = 42001, .seq = 9001,
                                .flags = TCP_FLAG_RST});
    assert_int_equal(stack_tcp_list(e->s, NULL, 0), 4);
    tp_clear(e);
    struct tcp_options a = {.has_ts = true, .ts_val = 1001, .ts_ecr = sa.t.opt.ts_val};
    tp_send(e, &(struct tp_seg){.dport = PORT, .sport = 42003, .seq = 9001,
                                .ack = sa.t.seq + 1, .flags = TCP_FLAG_ACK, .opt = &a});
    assert_int_equal(env_ctr(e, CTR_TCP_SYNCOOKIES_RECV), 1);
    int err;
    struct tcp_sock *c = tcp_sock_accept(l1, NULL, NULL, &err);
    assert_non_null(c);
    assert_int_equal(tcp_sock_state(c), TCP_ESTABLISHED);
    tcp_sock_abort(c, e->now);
    tcp_sock_close(l1, e->now);
    tcp_sock_close(l2, e->now);
    tin_env_close(e);
}

/* ---- mutation loop ---- */

static uint64_t rng_state;

static uint32_t rnd(void)
{
    /* xorshift64*: seeded, so a failure replays. */
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return (uint32_t)((rng_state * 2685821657736338717ull) >> 32);
}

static void test_mutation_loop(void **state)
{
    (void)state;
    rng_state = 0x9e3779b97f4a7c15ull;
    struct conn k;
    tin_open_conn(&k, NULL);
    uint32_t read_total = 0;   /* bytes of the current connection read */
    uint32_t acked = 0;        /* stream offset our stack acknowledged */
    size_t resets = 0, reopened = 0, read_all = 0;
    uint8_t f[FRAME_MAX], d[400];
    for (uint32_t iter = 0; iter < 20000; iter++) {
        /* A valid segment: data near RCV.NXT, or a SYN/ACK to the
         * listener from another port. */
        uint32_t kind = rnd() % 8;
        size_t n;
        k.tsval++;
        struct tcp_options o = tin_ts_opt(&k);
        if (kind < 6) {
            uint32_t off = acked + (rnd() % 4 == 0 ? rnd() % 3000 : 0);
            size_t len = rnd() % 300;
            tin_fill(d, off, len);
            n = tp_frame(f, sizeof f, &(struct tp_seg){
                                          .dport = PORT, .seq = k.peer_base + off,
                                          .ack = k.our_nxt, .flags = TCP_FLAG_ACK | TCP_FLAG_PSH,
                                          .window = 502, .opt = &o, .payload = d, .len = len});
        } else {
            /* kind 6: a SYN; kind 7: an ACK with a random number (a
             * cookie to check). Both with a full set of options to break. */
            struct tcp_options so = tp_linux_syn_options(k.tsval);
            n = tp_frame(f, sizeof f, &(struct tp_seg){
                                          .dport = PORT, .sport = (uint16_t)(42000 + rnd() % 64),
                                          .seq = rnd(), .ack = kind == 7 ? rnd() : 0,
                                          .flags = kind == 6 ? TCP_FLAG_SYN : TCP_FLAG_ACK,
                                          .opt = &so});
        }
        /* Mutate: bit flips anywhere (checksum left stale), header-only
         * flips with the checksum fixed (reaching the state machine), or
         * a truncation. Never the sequence number or data offset of a
         * data segment with a fixed checksum: that would be a valid
         * segment with other bytes, which no TCP can tell. */
        uint32_t how = rnd() % 4;
        size_t tcp_len = (size_t)((f[ETH_HLEN + 2] << 8) | f[ETH_HLEN + 3]) - 20;
        size_t hlen = (size_t)(f[TCP_AT + 12] >> 4) * 4;
        if (how == 0) {
            /* One flip: the Internet checksum always catches a single
             * bit error (two can cancel out, which no TCP can see). */
            size_t at = ETH_HLEN + rnd() % (20 + tcp_len);
            f[at] ^= (uint8_t)(1u << (rnd() % 8));
        } else if (how == 1 || how == 2) {
            for (uint32_t b = rnd() % 3 + 1; b > 0; b--) {
                size_t at = rnd() % hlen;
                if (kind < 6 && (at < 8 || at == 12 || at >= 20))
                    continue; /* ports, seq, data offset, options: kept */
                f[TCP_AT + at] ^= (uint8_t)(1u << (rnd() % 8));
            }
            if (kind >= 6 && rnd() % 2 == 0) {
                size_t at = 20 + rnd() % (hlen > 20 ? hlen - 20 : 1);
                if (at < hlen)
                    f[TCP_AT + at] = (uint8_t)rnd();
            }
            tin_fix_tcp_csum(f, n);
        } else {
            size_t keep = rnd() % (tcp_len + 1);
            n = tin_cut_tcp(f, keep);
            if (rnd() % 2 == 0 && keep >= 18)
                tin_fix_tcp_csum(f, n);
        }
        env_input(k.e, f, n);

        /* What did we say? Our ACKs on the connection tell the peer how
         * far the stream got. */
        struct tp_out a;
        while (tp_try_take(k.e, &a)) {
            if (a.t.dport == TP_PEER_PORT && (a.t.flags & TCP_FLAG_ACK) &&
                !(a.t.flags & TCP_FLAG_RST)) {
                uint32_t off = a.t.ack - k.peer_base;
                if (off <= 10000000u && off > acked)
                    acked = off;
            }
        }
        tp_clear(k.e);
        /* The stream so far is exactly the peer's. */
        size_t got = tin_read_check(&k, read_total);
        read_total += (uint32_t)got;
        read_all += got;
        enum tcp_state st = tcp_sock_state(k.c);
        if (st != TCP_ESTABLISHED || iter % 5000 == 4999) {
            /* A mutated RST/FIN ended it (cleanly, we check): start over. */
            if (st == TCP_CLOSED) {
                int err = tcp_sock_error(k.c);
                assert_true(err == 0 || err == ECONNRESET);
                resets++;
            }
            tcp_sock_abort(k.c, k.e->now);
            int err = 0;
            for (int j = 0; j < 64; j++) {
                struct tcp_sock *extra = tcp_sock_accept(k.l, NULL, NULL, &err);
                if (extra == NULL)
                    break;
                tcp_sock_abort(extra, k.e->now);
            }
            env_advance(k.e, 200 * NS_PER_MS);
            tp_clear(k.e);
            struct tcp_options so = tp_linux_syn_options(k.tsval);
            struct tp_out sa;
            uint32_t isn = rnd();
            k.c = tp_accept_conn(k.e, k.l, PORT, isn, &so, &sa);
            k.peer_base = isn + 1;
            k.our_nxt = sa.t.seq + 1;
            k.tsval += 2;
            k.tsecr = sa.t.opt.ts_val;
            read_total = acked = 0;
            reopened++;
            tp_clear(k.e);
        }
        if (iter % 64 == 0)
            env_advance(k.e, 10 * NS_PER_MS);
    }
    /* The stack still serves: valid data goes through. */
    tin_assert_established(&k);
    k.peer_nxt = k.peer_base + acked;
    tin_data(&k, 1000);
    assert_int_equal(tin_read_check(&k, read_total), acked + 1000 - read_total);
    print_message("mutation loop: %zu resets, %zu reopened, %zu bytes read\n", resets, reopened,
                  read_all);
    assert_true(read_all > 100000); /* the loop did move data */
    tin_close_conn(&k);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_ack_of_unsent_data, tin_teardown_env),
        cmocka_unit_test_teardown(test_ack_too_old_challenged, tin_teardown_env),
        cmocka_unit_test_teardown(test_ts_recent_only_from_acceptable, tin_teardown_env),
        cmocka_unit_test_teardown(test_syn_on_established_challenge, tin_teardown_env),
        cmocka_unit_test_teardown(test_rst_in_window_challenge_then_exact_resets, tin_teardown_env),
        cmocka_unit_test_teardown(test_challenge_ack_rate_limit, tin_teardown_env),
        cmocka_unit_test_teardown(test_syncookies_always, tin_teardown_env),
        cmocka_unit_test_teardown(test_syncookies_without_ts_and_expired, tin_teardown_env),
        cmocka_unit_test_teardown(test_syncookies_when_synq_full, tin_teardown_env),
        cmocka_unit_test_teardown(test_syncookies_when_table_full, tin_teardown_env),
        cmocka_unit_test_teardown(test_mutation_loop, tin_teardown_env),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
