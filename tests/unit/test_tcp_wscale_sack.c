/* test_tcp_wscale_sack.c - what the negotiated TCP options drive, against a
 * scripted peer (tests/unit/support/tcp_peer.h): window scaling arithmetic
 * (RFC 7323 2.3) with 1 MiB transfers, sequence number wrap, SACK as
 * receiver (RFC 2018 4) and as sender (RFC 6675), and NewReno without SACK
 * (RFC 6582). The negotiation itself is in test_tcp_options.c. */

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "stack/sock/tcp_impl.h"
#include "tests/unit/support/tcp_peer.h"
#include "tests/unit/support/tcp_options_fixture.h"

static void tweak_newreno(struct stack_config *cfg, struct netif_config *ncfg)
{
    (void)ncfg;
    cfg->tcp.cc = TCP_CC_NEWRENO;
}

/* RFC 6675's DupThresh recovery, without RACK (its own tests are scripts). */
static void tweak_no_rack(struct stack_config *cfg, struct netif_config *ncfg)
{
    (void)ncfg;
    cfg->tcp.rack = false;
}

/* ---- window scaling arithmetic (RFC 7323 2.3) ---- */

static void test_wscale_advertised_field_is_shifted(void **state)
{
    (void)state;
    struct conn k;
    struct tcp_options o = tp_linux_syn_options(100);
    struct tp_out sa;
    tov_open_passive(&k, NULL, &o, 1000, &sa);
    /* RFC 7323 2.2: the SYN-ACK's own window is never scaled. */
    assert_int_equal(sa.t.window, TCP_MAX_WINDOW);
    assert_int_equal(sa.t.opt.wscale, 3);
    struct tcp_conn_info ci;
    tcp_sock_info(k.c, &ci);
    assert_int_equal(ci.rcv_wscale, 3);
    assert_int_equal(ci.snd_wscale, 7);
    /* The peer's field (502 in the third ACK) << 7. */
    assert_int_equal(ci.snd_wnd, 502u << 7);
    uint8_t d[1000];
    tov_fill(d, 0, sizeof d);
    tov_peer_data(&k, d, sizeof d, k.our_base);
    env_advance(k.e, 100 * NS_PER_MS);
    struct tp_out a;
    assert_true(tov_take(&k, &a));
    assert_int_equal(a.t.ack, k.peer_nxt);
    tcp_sock_info(k.c, &ci);
    assert_int_equal(ci.rcv_wnd, 262144u - 1000u);
    assert_int_equal(a.t.window, (262144u - 1000u) >> 3);

    /* The peer shrinks its window to 10 << 7 = 1280 bytes: no more than
     * that goes out. */
    k.win = 10;
    tov_peer_ack(&k, k.our_base, NULL, 0);
    tcp_sock_info(k.c, &ci);
    assert_int_equal(ci.snd_wnd, 1280);
    tov_drain(&k);
    tov_send_all(&k, 0, 5000);
    struct tp_out s;
    size_t sent = 0;
    while (tov_take(&k, &s))
        sent += s.t.payload_len;
    assert_int_equal(sent, 1280);
    tov_close_conn(&k);
}

/* Us -> peer: 1 MiB through a window only scaling can express. */
static void test_1mib_send_into_scaled_window(void **state)
{
    (void)state;
    struct conn k;
    struct tcp_options o = tp_linux_syn_options(100);
    tov_open_passive(&k, NULL, &o, 1000, NULL);
    k.win = 65535; /* << 7: 8 MiB */
    tov_peer_ack(&k, k.our_base, NULL, 0);
    uint8_t chunk[8192];
    uint32_t queued = 0, got = 0, acked = 0, max_flight = 0;
    for (int iter = 0; iter < 20000 && acked < MIB; iter++) {
        while (queued < MIB) {
            size_t n = MIB - queued < sizeof chunk ? MIB - queued : sizeof chunk;
            tov_fill(chunk, queued, n);
            long r = tcp_sock_send(k.c, chunk, n, k.e->now);
            if (r <= 0)
                break;
            queued += (uint32_t)r;
        }
        /* One round trip: take the whole flight, then the peer ACKs
         * every second segment of it (what the ACKs release is the next
         * round). */
        uint32_t ends[512];
        size_t n_ends = 0;
        struct tp_out s;
        while (tov_take(&k, &s)) {
            if (s.t.payload_len == 0)
                continue;
            assert_int_equal(s.t.seq, k.our_base + got);
            for (size_t i = 0; i < s.t.payload_len; i++)
                assert_int_equal(s.t.payload[i], tov_pat(got + (uint32_t)i));
            got += (uint32_t)s.t.payload_len;
            assert_true(n_ends < 512);
            ends[n_ends++] = got;
        }
        tp_clear(k.e);
        if (got - acked > max_flight)
            max_flight = got - acked;
        env_advance(k.e, NS_PER_MS);
        for (size_t i = 1; i < n_ends; i += 2)
            tov_peer_ack(&k, k.our_base + ends[i], NULL, 0);
        if (n_ends > 0)
            tov_peer_ack(&k, k.our_base + got, NULL, 0);
        acked = got;
    }
    assert_int_equal(acked, MIB);
    assert_true(max_flight > TCP_MAX_WINDOW);
    struct tcp_conn_info ci;
    tcp_sock_info(k.c, &ci);
    assert_int_equal(ci.send_queue, 0);
    assert_int_equal(ci.retransmits, 0);
    tov_close_conn(&k);
}

/* Peer -> us: 1 MiB, the peer filling all the window we advertise. */
static void test_1mib_receive_into_scaled_window(void **state)
{
    (void)state;
    struct conn k;
    struct tcp_options o = tp_linux_syn_options(100);
    tov_open_passive(&k, NULL, &o, 1000, NULL);
    uint32_t right = k.peer_base + 65535; /* from the third ACK: at least that */
    uint32_t sent = 0, read = 0, max_unread = 0;
    uint8_t seg[1448];
    uint8_t rbuf[65536];
    for (int iter = 0; iter < 20000 && read < MIB; iter++) {
        /* Fill the advertised window. */
        for (int i = 0; i < 400 && sent < MIB; i++) {
            uint32_t room = right - (k.peer_base + sent);
            if ((int32_t)room <= 0)
                break;
            uint32_t n = MIB - sent < sizeof seg ? MIB - sent : (uint32_t)sizeof seg;
            if (n > room)
                n = room;
            tov_fill(seg, sent, n);
            tov_peer_data(&k, seg, n, k.our_base);
            sent += n;
            if (sent - read > max_unread)
                max_unread = sent - read;
            struct tp_out a;
            while (tov_take(&k, &a)) {
                uint32_t r = a.t.ack + ((uint32_t)a.t.window << 3);
                if ((int32_t)(r - right) > 0)
                    right = r;
            }
            tp_clear(k.e);
        }
        long n = tcp_sock_recv(k.c, rbuf, sizeof rbuf, k.e->now);
        if (n > 0) {
            for (long i = 0; i < n; i++)
                assert_int_equal(rbuf[i], tov_pat(read + (uint32_t)i));
            read += (uint32_t)n;
        }
        env_advance(k.e, 50 * NS_PER_MS); /* delayed ACKs */
        struct tp_out a;
        while (tov_take(&k, &a)) {
            uint32_t r = a.t.ack + ((uint32_t)a.t.window << 3);
            if ((int32_t)(r - right) > 0)
                right = r;
        }
        tp_clear(k.e);
    }
    assert_int_equal(read, MIB);
    /* More than 64 KiB was accepted in one window: it was scaled. */
    assert_true(max_unread > TCP_MAX_WINDOW);
    assert_int_equal(env_ctr(k.e, CTR_TCP_RX_DROP_OUT_OF_WINDOW), 0);
    tov_close_conn(&k);
}

/* ---- sequence number wrap ---- */

static void test_peer_sequence_wraps(void **state)
{
    (void)state;
    struct conn k;
    struct tcp_options o = tp_linux_syn_options(100);
    tov_open_passive(&k, NULL, &o, 0xfffffff0u, NULL);
    /* Ten 1000-byte segments from 0xfffffff1 cross 2^32 in the first.
     * The third arrives before the second: out of order across the wrap. */
    uint8_t seg[1000];
    uint32_t base = k.peer_base;
    tov_fill(seg, 0, 1000);
    tov_peer_seg(&k, TCP_FLAG_ACK, base, k.our_base, seg, 1000, NULL, 0);
    tov_fill(seg, 2000, 1000);
    tov_peer_seg(&k, TCP_FLAG_ACK, base + 2000, k.our_base, seg, 1000, NULL, 0);
    tov_fill(seg, 1000, 1000);
    tov_peer_seg(&k, TCP_FLAG_ACK, base + 1000, k.our_base, seg, 1000, NULL, 0);
    for (uint32_t i = 3; i < 10; i++) {
        tov_fill(seg, i * 1000, 1000);
        tov_peer_seg(&k, TCP_FLAG_ACK, base + i * 1000, k.our_base, seg, 1000, NULL, 0);
    }
    env_advance(k.e, 100 * NS_PER_MS);
    struct tp_out a;
    uint32_t last_ack = 0;
    while (tov_take(&k, &a))
        last_ack = a.t.ack;
    assert_int_equal(last_ack, (uint32_t)(0xfffffff1u + 10000u));
    uint8_t buf[10000];
    assert_int_equal(tcp_sock_recv(k.c, buf, sizeof buf, k.e->now), 10000);
    for (uint32_t i = 0; i < 10000; i++)
        assert_int_equal(buf[i], tov_pat(i));
    assert_int_equal(env_ctr(k.e, CTR_TCP_RX_DROP_OUT_OF_WINDOW), 0);
    tov_close_conn(&k);
}

/* Our ISS is not ours to choose, but it is a known function of the key,
 * the tuple and the clock (RFC 6528): move the fake clock so that it sits
 * 3000 below 2^32, then send 20000 bytes across the wrap. */
static void test_our_sequence_wraps(void **state)
{
    (void)state;
    struct stack_env *e = tov_env_open(NULL);
    struct tcp_tuple tu = {.laddr = ip_addr_v4(ENV_IP_US), .raddr = ip_addr_v4(ENV_IP_PEER),
                           .lport = PORT, .rport = TP_PEER_PORT};
    uint32_t f = tcp_isn(e->cfg.key, &tu, 0);
    uint32_t target = 0xfffff448u; /* 2^32 - 3000 */
    uint64_t tick = e->now / 4000u + 1;
    uint32_t delta = target - f - (uint32_t)tick;
    uint64_t when = (tick + delta) * 4000u;
    assert_true(when > e->now);
    env_advance(e, when - e->now);
    assert_int_equal(tcp_isn(e->cfg.key, &tu, e->now), target);
    env_learn(e, ENV_IP_PEER, &env_mac_peer); /* hours passed: ARP again */

    struct conn k;
    memset(&k, 0, sizeof k);
    k.e = e;
    k.l = tp_listen(e, PORT, 8);
    struct tcp_options o = tp_linux_syn_options(100);
    struct tp_out sa;
    k.c = tp_accept_conn(e, k.l, PORT, 5000, &o, &sa);
    assert_int_equal(sa.t.seq, target);
    k.our_base = sa.t.seq + 1;
    k.peer_nxt = 5001;
    k.ts = true;
    k.tsval = 101;
    k.tsecr = sa.t.opt.ts_val;
    k.win = 65535;
    tov_peer_ack(&k, k.our_base, NULL, 0);

    uint32_t got = 0;
    bool crossed = false;
    uint8_t buf[10000];
    for (uint32_t part = 0; part < 2; part++) {
        tov_fill(buf, part * 10000, sizeof buf);
        assert_int_equal(tcp_sock_send(k.c, buf, sizeof buf, e->now), 10000);
        struct tp_out s;
        for (int iter = 0; iter < 100 && got < (part + 1) * 10000; iter++) {
            while (tov_take(&k, &s)) {
                if (s.t.payload_len == 0)
                    continue;
                assert_int_equal(s.t.seq, k.our_base + got);
                if (s.t.seq + (uint32_t)s.t.payload_len < s.t.seq)
                    crossed = true;
                for (size_t i = 0; i < s.t.payload_len; i++)
                    assert_int_equal(s.t.payload[i], tov_pat(got + (uint32_t)i));
                got += (uint32_t)s.t.payload_len;
                tov_peer_ack(&k, k.our_base + got, NULL, 0);
            }
            tp_clear(e);
        }
    }
    assert_int_equal(got, 20000);
    assert_true(crossed); /* a segment spanned 2^32 (1448-byte segments from 2^32 - 2999) */
    struct tcp_conn_info ci;
    tcp_sock_info(k.c, &ci);
    assert_int_equal(ci.send_queue, 0);
    assert_int_equal(ci.retransmits, 0);
    tov_close_conn(&k);
}

/* ---- SACK ---- */

static void test_sack_blocks_most_recent_first(void **state)
{
    (void)state;
    struct conn k;
    struct tcp_options o = tp_linux_syn_options(100);
    tov_open_passive(&k, NULL, &o, 1000, NULL);
    uint32_t r = k.peer_nxt;
    uint8_t d[100];
    struct tp_out a;
    const uint32_t offs[3] = {100, 300, 500};
    for (int i = 0; i < 3; i++) {
        tov_fill(d, offs[i], sizeof d);
        tov_peer_seg(&k, TCP_FLAG_ACK, r + offs[i], k.our_base, d, sizeof d, NULL, 0);
        assert_true(tov_take(&k, &a));
        assert_int_equal(a.t.ack, r);
        assert_int_equal(a.t.opt.n_sack, i + 1);
        /* RFC 2018 4: the first block holds the segment just received,
         * the others follow in order of recency. */
        for (int j = 0; j <= i; j++) {
            assert_int_equal(a.t.opt.sack[j].left, r + offs[i - j]);
            assert_int_equal(a.t.opt.sack[j].right, r + offs[i - j] + 100);
        }
    }
    /* Fill [200, 300): it joins the first two blocks, which is now the
     * most recent one. */
    tov_fill(d, 200, sizeof d);
    tov_peer_seg(&k, TCP_FLAG_ACK, r + 200, k.our_base, d, sizeof d, NULL, 0);
    assert_true(tov_take(&k, &a));
    assert_int_equal(a.t.opt.n_sack, 2);
    assert_int_equal(a.t.opt.sack[0].left, r + 100);
    assert_int_equal(a.t.opt.sack[0].right, r + 400);
    assert_int_equal(a.t.opt.sack[1].left, r + 500);
    assert_int_equal(a.t.opt.sack[1].right, r + 600);
    /* Fill [0, 100): three blocks delivered, only [500, 600) left. */
    tov_fill(d, 0, sizeof d);
    tov_peer_seg(&k, TCP_FLAG_ACK, r, k.our_base, d, sizeof d, NULL, 0);
    assert_true(tov_take(&k, &a));
    assert_int_equal(a.t.ack, r + 400);
    assert_int_equal(a.t.opt.n_sack, 1);
    assert_int_equal(a.t.opt.sack[0].left, r + 500);
    /* Fill [400, 500): everything up to 600 is in order. */
    tov_fill(d, 400, sizeof d);
    tov_peer_seg(&k, TCP_FLAG_ACK, r + 400, k.our_base, d, sizeof d, NULL, 0);
    tov_drain(&k);
    uint8_t buf[1000];
    assert_int_equal(tcp_sock_recv(k.c, buf, sizeof buf, k.e->now), 600);
    for (uint32_t i = 0; i < 600; i++)
        assert_int_equal(buf[i], tov_pat(i));
    tov_close_conn(&k);
}

/* RFC 2018 3: 40 bytes of options hold 4 blocks, 3 next to timestamps. */
static void check_sack_cap(bool with_ts, uint8_t want)
{
    struct conn k;
    struct tcp_options o = tp_linux_syn_options(100);
    o.has_ts = with_ts;
    tov_open_passive(&k, NULL, &o, 1000, NULL);
    uint32_t r = k.peer_nxt;
    uint8_t d[10];
    struct tp_out a;
    for (uint32_t i = 1; i <= 5; i++) {
        tov_fill(d, i * 100, sizeof d);
        tov_peer_seg(&k, TCP_FLAG_ACK, r + i * 100, k.our_base, d, sizeof d, NULL, 0);
    }
    uint8_t n = 0;
    while (tov_take(&k, &a))
        n = a.t.opt.n_sack;
    assert_int_equal(n, want);
    assert_int_equal(a.t.opt.sack[0].left, r + 500);
    assert_int_equal(a.t.opt.sack[1].left, r + 400);
    assert_int_equal(a.t.data_off, 20 + (with_ts ? 12 : 0) + 4 + 8 * want);
    tov_close_conn(&k);
}

static void test_sack_block_count_fits_options(void **state)
{
    (void)state;
    check_sack_cap(true, 3);
    check_sack_cap(false, 4);
}

/* Send ten full segments (nodelay, IW10) and return their size. */
static uint32_t send_ten(struct conn *k, uint32_t seqs[10])
{
    struct tcp_conn_info ci;
    tcp_sock_info(k->c, &ci);
    uint32_t mss = ci.mss;
    assert_true(ci.cwnd >= 10 * mss);
    tov_send_all(k, 0, 10 * mss);
    struct tp_out s;
    for (int i = 0; i < 10; i++) {
        assert_true(tov_take(k, &s));
        assert_int_equal(s.t.payload_len, mss);
        seqs[i] = s.t.seq;
        assert_int_equal(seqs[i], k->our_base + (uint32_t)i * mss);
    }
    assert_false(tov_take(k, &s));
    tp_clear(k->e);
    return mss;
}

static void test_sack_sender_retransmits_only_holes(void **state)
{
    (void)state;
    struct conn k;
    struct tcp_options o = tp_linux_syn_options(100);
    tov_open_passive(&k, NULL, &o, 1000, NULL);
    k.win = 65535;
    tov_peer_ack(&k, k.our_base, NULL, 0);
    tov_drain(&k);
    uint32_t seq[10];
    uint32_t mss = send_ten(&k, seq);
    /* Segments numbered #1..#10: #1 arrives, #2 and #5 are lost. */
    uint32_t una = seq[1];
    struct tcp_sack_block b[2] = {
        {seq[5], seq[9] + mss}, /* #6..#10, the most recent */
        {seq[2], seq[4]},       /* #3..#4 */
    };
    tov_peer_ack(&k, una, NULL, 0);
    for (int i = 0; i < 3; i++)
        tov_peer_ack(&k, una, b, 2);
    struct tp_out s;
    uint32_t rtx[10];
    size_t n = 0;
    while (tov_take(&k, &s) && n < 10) {
        if (s.t.payload_len > 0)
            rtx[n++] = s.t.seq;
    }
    assert_int_equal(env_ctr(k.e, CTR_TCP_SACK_RECOVERIES), 1);
    assert_int_equal(n, 2);
    assert_int_equal(rtx[0], seq[1]);
    assert_int_equal(rtx[1], seq[4]);
    tp_clear(k.e);
    /* The holes arrive: a full ACK, nothing else is resent. */
    tov_peer_ack(&k, seq[9] + mss, NULL, 0);
    n = 0;
    while (tov_take(&k, &s))
        if (s.t.payload_len > 0)
            n++;
    assert_int_equal(n, 0);
    struct tcp_conn_info ci;
    tcp_sock_info(k.c, &ci);
    assert_int_equal(ci.retransmits, 2);
    assert_int_equal(ci.send_queue, 0);
    tov_close_conn(&k);
}

static void test_sack_blocks_outside_window_ignored(void **state)
{
    (void)state;
    struct conn k;
    struct tcp_options o = tp_linux_syn_options(100);
    tov_open_passive(&k, NULL, &o, 1000, NULL);
    k.win = 65535;
    tov_peer_ack(&k, k.our_base, NULL, 0);
    tov_drain(&k);
    uint32_t seq[10];
    uint32_t mss = send_ten(&k, seq);
    uint32_t nxt = seq[9] + mss;
    uint64_t bad = env_ctr(k.e, CTR_TCP_RX_SACK_BAD_BLOCKS);
    /* Past SND.NXT, far past it, and wholly below SND.UNA. */
    struct tcp_sack_block b[3] = {
        {nxt, nxt + mss},
        {nxt + 100000, nxt + 200000},
        {seq[0] - 2000, seq[0] - 1000},
    };
    for (int i = 0; i < 3; i++)
        tov_peer_ack(&k, seq[0], b, 3);
    assert_int_equal(env_ctr(k.e, CTR_TCP_RX_SACK_BAD_BLOCKS), bad + 9);
    /* They made nothing look lost... but three true duplicate ACKs
     * (RFC 5681) still trigger one fast retransmit of the head only. */
    struct tp_out s;
    size_t n = 0;
    while (tov_take(&k, &s))
        if (s.t.payload_len > 0) {
            assert_int_equal(s.t.seq, seq[0]);
            n++;
        }
    assert_true(n <= 1);
    tov_close_conn(&k);
}

static void test_newreno_fast_retransmit_and_partial_ack(void **state)
{
    (void)state;
    struct conn k;
    struct tcp_options o = tp_linux_syn_options(100);
    o.sack_permitted = false;
    tov_open_passive(&k, tweak_newreno, &o, 1000, NULL);
    k.win = 65535;
    tov_peer_ack(&k, k.our_base, NULL, 0);
    tov_drain(&k);
    uint32_t seq[10];
    uint32_t mss = send_ten(&k, seq);
    /* #1 arrives, #2 is lost, #3 and #4 arrive (dupacks), #5 lost, the
     * rest arrive. */
    tov_peer_ack(&k, seq[1], NULL, 0);
    tov_peer_ack(&k, seq[1], NULL, 0);
    tov_peer_ack(&k, seq[1], NULL, 0);
    struct tp_out s;
    assert_false(tov_take(&k, &s)); /* two dupacks: nothing yet */
    tov_peer_ack(&k, seq[1], NULL, 0);
    assert_true(tov_take(&k, &s));
    assert_int_equal(s.t.seq, seq[1]);
    assert_int_equal(s.t.payload_len, mss);
    assert_int_equal(env_ctr(k.e, CTR_TCP_FAST_RETRANS), 1);
    assert_int_equal(env_ctr(k.e, CTR_TCP_RENO_RECOVERIES), 1);
    /* More dupacks for #6..#10 arriving: no other retransmission. */
    for (int i = 0; i < 5; i++)
        tov_peer_ack(&k, seq[1], NULL, 0);
    while (tov_take(&k, &s))
        assert_true(s.t.seq != seq[1] && s.t.seq != seq[4]);
    tp_clear(k.e);
    /* Partial ACK up to #5 (RFC 6582 3.2 step 4): #5 goes out at once. */
    tov_peer_ack(&k, seq[4], NULL, 0);
    bool saw = false;
    while (tov_take(&k, &s))
        if (s.t.payload_len > 0) {
            assert_int_equal(s.t.seq, seq[4]);
            saw = true;
        }
    assert_true(saw);
    tp_clear(k.e);
    /* Full ACK: recovery over, nothing else resent. */
    tov_peer_ack(&k, seq[9] + mss, NULL, 0);
    size_t n = 0;
    while (tov_take(&k, &s))
        if (s.t.payload_len > 0)
            n++;
    assert_int_equal(n, 0);
    struct tcp_conn_info ci;
    tcp_sock_info(k.c, &ci);
    assert_int_equal(ci.retransmits, 2);
    assert_int_equal(ci.send_queue, 0);
    tov_close_conn(&k);
}

/* Issue 12 item 3, RFC 3042 / RFC 5681 3.2 (limited transmit): with new
 * data waiting and the peer's window open, each of the first two
 * duplicate ACKs sends one new segment (flight up to cwnd + 2 SMSS, cwnd
 * unchanged); the third starts fast retransmit. With and without SACK. */
static void check_limited_transmit(bool sack)
{
    struct conn k;
    struct tcp_options o = tp_linux_syn_options(100);
    o.sack_permitted = sack;
    tov_open_passive(&k, sack ? tweak_no_rack : tweak_newreno, &o, 1000, NULL);
    k.win = 65535;
    tov_peer_ack(&k, k.our_base, NULL, 0);
    tov_drain(&k);
    struct tcp_conn_info ci;
    tcp_sock_info(k.c, &ci);
    uint32_t mss = ci.mss, cwnd = ci.cwnd;
    assert_int_equal(cwnd, 10 * mss);
    tov_send_all(&k, 0, 7 * mss); /* 10 go now, 4 wait for the window */
    tov_send_all(&k, 7 * mss, 7 * mss);
    struct tp_out s;
    for (int i = 0; i < 10; i++)
        assert_true(tov_take(&k, &s));
    assert_false(tov_take(&k, &s));
    uint32_t base = k.our_base;
    /* #1 is lost; #2, #3, #4 arrive and each brings a duplicate ACK. */
    for (int d = 1; d <= 3; d++) {
        struct tcp_sack_block b = {base + mss, base + (uint32_t)(d + 1) * mss};
        tov_peer_ack(&k, base, sack ? &b : NULL, sack ? 1 : 0);
        assert_true(tov_take(&k, &s));
        if (d < 3) {
            /* New data: #11, then #12, full-sized. */
            assert_int_equal(s.t.seq, base + (uint32_t)(9 + d) * mss);
            assert_int_equal(s.t.payload_len, mss);
            tcp_sock_info(k.c, &ci);
            assert_int_equal(ci.cwnd, cwnd); /* not inflated */
        } else {
            /* Fast retransmit of #1. */
            assert_int_equal(s.t.seq, base);
            assert_int_equal(env_ctr(k.e, CTR_TCP_FAST_RETRANS), 1);
        }
        while (tov_take(&k, &s))
            assert_true(s.t.seq != base + 12 * mss || d == 3);
    }
    /* RFC 5681 3.2: ssthresh from the flight without the limited-transmit
     * segments (NewReno: half of 10 segments). */
    if (!sack) {
        tcp_sock_info(k.c, &ci);
        assert_int_equal(ci.ssthresh, 5 * mss);
    }
    tov_close_conn(&k);
}

static void test_limited_transmit(void **state)
{
    (void)state;
    check_limited_transmit(false);
    check_limited_transmit(true);
}

/* Issue 12 item 4, RFC 6675 4 NextSeg rule 3. Ten segments #1..#10
 * (seq[0..9]); the peer got what `got` says and SACKs it, one duplicate
 * ACK per arrival. Returns the retransmissions seen, in order, with no
 * time passing (no RTO). */
static size_t sack_recovery_run(struct conn *k, const bool got[10], uint32_t seq[10],
                                uint32_t *rtx, size_t max)
{
    struct tcp_options o = tp_linux_syn_options(100);
    tov_open_passive(k, tweak_no_rack, &o, 1000, NULL);
    k->win = 65535;
    tov_peer_ack(k, k->our_base, NULL, 0);
    tov_drain(k);
    uint32_t mss = send_ten(k, seq);
    size_t n = 0;
    struct tp_out s;
    for (int i = 0; i < 10; i++) {
        if (!got[i])
            continue;
        /* Received so far: #j for j <= i with got[j]. */
        int first_missing = 0;
        while (first_missing <= i && got[first_missing])
            first_missing++;
        uint32_t ack = seq[0] + (uint32_t)first_missing * mss;
        /* SACK blocks: the runs above the ACK, the one with #i first. */
        struct tcp_sack_block b[3];
        uint8_t nb = 0;
        int j = i;
        while (j > first_missing && nb < 3) {
            if (!got[j]) {
                j--;
                continue;
            }
            int hi = j;
            while (j - 1 > first_missing && got[j - 1])
                j--;
            b[nb].left = seq[0] + (uint32_t)j * mss;
            b[nb].right = seq[0] + (uint32_t)(hi + 1) * mss;
            nb++;
            j--;
        }
        tov_peer_ack(k, ack, b, nb);
        while (tov_take(k, &s))
            if (s.t.payload_len > 0 && n < max)
                rtx[n++] = s.t.seq;
    }
    return n;
}

static void test_sack_nextseg_rule3_hole_not_lost(void **state)
{
    (void)state;
    struct conn k;
    uint32_t seq[10], rtx[16];
    /* #2 and #8 lost: #2 has enough SACKs above it (IsLost), #8 only two
     * segments: rule 3 sends it as soon as nothing else can go. */
    const bool got[10] = {1, 0, 1, 1, 1, 1, 1, 0, 1, 1};
    size_t n = sack_recovery_run(&k, got, seq, rtx, 16);
    assert_int_equal(n, 2);
    assert_int_equal(rtx[0], seq[1]);
    assert_int_equal(rtx[1], seq[7]);
    assert_int_equal(env_ctr(k.e, CTR_TCP_TIMEOUTS), 0);
    tov_close_conn(&k);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_wscale_advertised_field_is_shifted, tov_teardown_env),
        cmocka_unit_test_teardown(test_1mib_send_into_scaled_window, tov_teardown_env),
        cmocka_unit_test_teardown(test_1mib_receive_into_scaled_window, tov_teardown_env),
        cmocka_unit_test_teardown(test_peer_sequence_wraps, tov_teardown_env),
        cmocka_unit_test_teardown(test_our_sequence_wraps, tov_teardown_env),
        cmocka_unit_test_teardown(test_sack_blocks_most_recent_first, tov_teardown_env),
        cmocka_unit_test_teardown(test_sack_block_count_fits_options, tov_teardown_env),
        cmocka_unit_test_teardown(test_sack_sender_retransmits_only_holes, tov_teardown_env),
        cmocka_unit_test_teardown(test_sack_blocks_outside_window_ignored, tov_teardown_env),
        cmocka_unit_test_teardown(test_newreno_fast_retransmit_and_partial_ack, tov_teardown_env),
        cmocka_unit_test_teardown(test_limited_transmit, tov_teardown_env),
        cmocka_unit_test_teardown(test_sack_nextseg_rule3_hole_not_lost, tov_teardown_env),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
