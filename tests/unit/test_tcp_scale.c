/* test_tcp_scale.c - TCP with thousands of connections (issue 14 item 3):
 * the connection hash grows with the connections and shrinks after them,
 * lookups stay right across every resize, and the timers of many
 * connections fire each at its own deadline, in order, through the timer
 * heap (stack_next_deadline is the earliest of them all). Timing is not
 * asserted here: bench/run.sh measures it. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "stack/sock/tcp_impl.h"
#include "tests/unit/support/tcp_peer.h"

#define PORT 80
#define N_CONNS 3000
#define SPORT0 10000

static void small_buffers(struct stack_config *cfg, struct netif_config *ncfg)
{
    (void)ncfg;
    cfg->tcp.sndbuf = 4096;
    cfg->tcp.rcvbuf = 4096;
    cfg->tcp.syn_backlog = 1024;
    cfg->tcp.max_backlog = 4096;
}

struct many {
    struct stack_env *e;
    struct tcp_sock *l;
    struct tcp_sock *c[N_CONNS];
    uint32_t our_isn[N_CONNS];
};

static uint32_t peer_isn(uint32_t i)
{
    return 1000u + i * 100000u;
}

/* N_CONNS handshakes from the peer's ports SPORT0.. (no options). */
static void open_many(struct many *m)
{
    m->e = tp_env(small_buffers);
    m->l = tp_listen(m->e, PORT, 4096);
    for (uint32_t i = 0; i < N_CONNS; i++) {
        uint16_t sport = (uint16_t)(SPORT0 + i);
        tp_send(m->e, &(struct tp_seg){.sport = sport, .dport = PORT, .seq = peer_isn(i),
                                       .flags = TCP_FLAG_SYN});
        struct tp_out sa;
        tp_take(m->e, &sa);
        assert_int_equal(sa.t.flags, TCP_FLAG_SYN | TCP_FLAG_ACK);
        m->our_isn[i] = sa.t.seq;
        tp_send(m->e, &(struct tp_seg){.sport = sport, .dport = PORT, .seq = peer_isn(i) + 1,
                                       .ack = sa.t.seq + 1, .flags = TCP_FLAG_ACK});
        int err;
        m->c[i] = tcp_sock_accept(m->l, NULL, NULL, &err);
        assert_non_null(m->c[i]);
        tp_clear(m->e);
    }
}

static void close_many(struct many *m)
{
    for (uint32_t i = 0; i < N_CONNS; i++)
        if (m->c[i] != NULL)
            tcp_sock_abort(m->c[i], m->e->now);
    tcp_sock_close(m->l, m->e->now);
    env_free(m->e);
}

static void send_byte(struct many *m, uint32_t i, uint32_t off)
{
    tp_send(m->e, &(struct tp_seg){.sport = (uint16_t)(SPORT0 + i), .dport = PORT,
                                   .seq = peer_isn(i) + 1 + off, .ack = m->our_isn[i] + 1,
                                   .flags = TCP_FLAG_ACK, .payload = "x", .len = 1});
}

/* The hash doubles past one connection per bucket and halves below one
 * per four: 3000 connections on >= 2048 buckets, back to the minimum after
 * they are gone; data finds its connection throughout. */
static void test_hash_grows_and_shrinks(void **state)
{
    (void)state;
    static struct many m;
    open_many(&m);
    struct tcp_table *tb = m.e->s->tcp;
    assert_int_equal(tb->n_hashed, N_CONNS);
    assert_true(tb->hash_size >= 2048);
    assert_true(tb->hash_size <= 2 * N_CONNS);
    for (uint32_t i = 0; i < N_CONNS; i += 97) {
        send_byte(&m, i, 0);
        assert_int_equal(tcp_sock_readable(m.c[i]), 1);
    }
    /* Close all but a few: the table follows them down, and the ones
     * left are still found. */
    for (uint32_t i = 0; i < N_CONNS; i++) {
        if (i % 1000 == 1)
            continue;
        tcp_sock_abort(m.c[i], m.e->now);
        m.c[i] = NULL;
    }
    assert_int_equal(tb->n_hashed, 3);
    assert_int_equal(tb->hash_size, TCP_HASH_MIN);
    tp_clear(m.e);
    for (uint32_t i = 1; i < N_CONNS; i += 1000) {
        send_byte(&m, i, i % 97 == 0 ? 1 : 0);
        assert_true(tcp_sock_readable(m.c[i]) >= 1);
    }
    assert_int_equal(env_ctr(m.e, CTR_TCP_RX_NO_SOCKET), 0);
    close_many(&m);
}

/* Each connection's delayed ACK at its own time: the stack's deadline is
 * always the earliest, and a poll sends exactly the ACKs that are due, in
 * order, whatever the others do. */
static void test_timers_fire_in_order(void **state)
{
    (void)state;
    static struct many m;
    open_many(&m);
    struct stack_env *e = m.e;
    /* Out of quickack mode (TCP_QUICKACK 0, Linux's pingpong): the first
     * byte of each connection is then ACKed by its delayed-ACK timer. */
    for (uint32_t i = 0; i < N_CONNS; i++)
        assert_int_equal(tcp_sock_setopt(m.c[i], TCP_OPT_QUICKACK, 0), 0);
    const uint64_t step = 10 * 1000; /* 10 us between connections */
    uint64_t t0 = e->now;
    /* Last connection first, so the heap is filled against its order. */
    for (uint32_t k = 0; k < N_CONNS; k++) {
        uint32_t i = N_CONNS - 1 - k;
        e->now = t0 + (uint64_t)i * step;
        send_byte(&m, i, 0);
    }
    e->now = t0 + (uint64_t)N_CONNS * step;
    assert_int_equal(tp_pending(e), 0);
    const uint64_t delack = e->cfg.tcp.delack_ns;
    assert_int_equal(stack_next_deadline(e->s), t0 + delack);
    /* Half of them due. */
    uint32_t half = N_CONNS / 2;
    e->now = t0 + delack + (uint64_t)(half - 1) * step;
    stack_poll(e->s, e->now);
    assert_int_equal(e->nif.total, half);
    for (uint32_t i = 0; i < half && i < FAKE_NETIF_MAX_FRAMES; i++) {
        struct tp_out a;
        tp_take(e, &a);
        assert_int_equal(a.t.flags, TCP_FLAG_ACK);
        assert_int_equal(a.t.dport, SPORT0 + i);
        assert_int_equal(a.t.ack, peer_isn(i) + 2);
    }
    tp_clear(e);
    assert_int_equal(stack_next_deadline(e->s), t0 + delack + (uint64_t)half * step);
    /* A stopped timer moves its connection on: the next one's ACK leaves
     * with data instead, and the deadline is the one after it. */
    assert_int_equal(tcp_sock_send(m.c[half], "y", 1, e->now), 1);
    tp_clear(e);
    assert_int_equal(stack_next_deadline(e->s), t0 + delack + (uint64_t)(half + 1) * step);
    /* The rest. */
    e->now = t0 + delack + (uint64_t)N_CONNS * step;
    stack_poll(e->s, e->now);
    assert_int_equal(e->nif.total, N_CONNS - half - 1);
    tp_clear(e);
    /* Nothing is due now but the retransmission of the one byte sent. */
    assert_true(stack_next_deadline(e->s) > e->now);
    assert_int_equal(m.c[half]->tnode.when, m.c[half]->timer[TCP_T_RTX]);
    assert_int_equal(e->s->tcp->timers.n, 1);
    close_many(&m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hash_grows_and_shrinks),
        cmocka_unit_test(test_timers_fire_in_order),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
