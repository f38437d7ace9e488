/* test_sim_link.c - the simulated link itself, checked with UDP datagrams
 * (which have no retransmission to hide what the link did): every fault
 * happens at about its configured rate, nothing else happens, and a seed
 * replays exactly. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tests/sim/simlink.h"

#define N_DGRAMS 4000
#define PORT_A 7000
#define PORT_B 7001

struct rx_log {
    uint32_t seq[2 * N_DGRAMS];
    size_t n;
    uint64_t hash;              /* of (arrival time, seq) in order */
};

struct udp_pair {
    struct simlink *l;
    struct udp_sock *a, *b;
    struct rx_log rx;
};

static struct ip_endpoint ep(uint32_t ip, uint16_t port)
{
    struct ip_endpoint e;
    memset(&e, 0, sizeof e);
    e.addr = ip_addr_v4(ip);
    e.port = port;
    return e;
}

static void on_b(void *user, struct udp_sock *us, int events)
{
    struct udp_pair *p = user;
    if (!(events & UDP_EV_READABLE))
        return;
    uint8_t buf[2048];
    for (int i = 0; i < 64; i++) {
        int n = udp_sock_recvfrom(us, buf, sizeof buf, NULL);
        if (n < 0)
            return;
        assert_true(n >= 4);
        uint32_t seq;
        memcpy(&seq, buf, 4);
        assert_true(p->rx.n < 2 * N_DGRAMS);
        p->rx.seq[p->rx.n++] = seq;
        p->rx.hash = sim_mix64(p->rx.hash ^ p->l->now) + seq;
    }
}

static struct udp_pair *pair_new(const struct simlink_config *lc)
{
    struct udp_pair *p = calloc(1, sizeof *p);
    assert_non_null(p);
    p->l = simlink_new(lc);
    assert_non_null(p->l);
    p->a = udp_sock_open(simlink_stack(p->l, SIM_A), NULL, NULL);
    p->b = udp_sock_open(simlink_stack(p->l, SIM_B), on_b, p);
    assert_non_null(p->a);
    assert_non_null(p->b);
    struct ip_endpoint la = ep(SIM_IP_A, PORT_A), lb = ep(SIM_IP_B, PORT_B);
    assert_int_equal(udp_sock_bind(p->a, &la), 0);
    assert_int_equal(udp_sock_bind(p->b, &lb), 0);
    /* Let the gratuitous ARPs of stack_netif_add pass, and start counting
     * from here. */
    for (int i = 0; i < 100 && simlink_step(p->l, STACK_NO_DEADLINE) == SIM_STEP_OK; i++)
        ;
    assert_int_equal(simlink_in_flight(p->l), 0);
    memset(&p->l->dir[SIM_A].st, 0, sizeof p->l->dir[SIM_A].st);
    memset(&p->l->dir[SIM_B].st, 0, sizeof p->l->dir[SIM_B].st);
    return p;
}

static void pair_free(struct udp_pair *p)
{
    udp_sock_close(p->a);
    udp_sock_close(p->b);
    simlink_free(p->l);
    free(p);
}

/* Send N_DGRAMS of size bytes from A, one every gap_ns, then drain. */
static void pair_run(struct udp_pair *p, size_t size, uint64_t gap_ns)
{
    uint8_t buf[2048] = {0};
    struct ip_endpoint to = ep(SIM_IP_B, PORT_B);
    assert_true(size >= 4 && size <= sizeof buf);
    for (uint32_t seq = 0; seq < N_DGRAMS; seq++) {
        memcpy(buf, &seq, 4);
        assert_int_equal(udp_sock_sendto(p->a, buf, size, &to, p->l->now), (int)size);
        /* The sender's own timer is the next send. */
        uint64_t until = p->l->now + gap_ns;
        for (int i = 0; i < 100000 && p->l->now < until; i++)
            assert_int_equal(simlink_step(p->l, until), SIM_STEP_OK);
        assert_true(p->l->now == until);
    }
    for (int i = 0; i < 1000000; i++) {
        enum sim_step_result r = simlink_step(p->l, STACK_NO_DEADLINE);
        if (r == SIM_STEP_IDLE)
            break;
        assert_int_equal(r, SIM_STEP_OK);
    }
    assert_int_equal(simlink_in_flight(p->l), 0);
}

static void base(struct simlink_config *lc, uint64_t seed)
{
    memset(lc, 0, sizeof *lc);
    lc->seed = seed;
    lc->max_time_ns = 3600 * NS_PER_SEC;
    lc->max_steps = 10000000;
    for (int side = 0; side < 2; side++)
        lc->fault[side].delay_ns = NS_PER_MS;
}

static bool in_order(const struct rx_log *rx)
{
    for (size_t i = 1; i < rx->n; i++) {
        if (rx->seq[i] <= rx->seq[i - 1])
            return false;
    }
    return true;
}

/* A perfect link delivers everything, in order, after the delay. */
static void test_clean(void **state)
{
    (void)state;
    struct simlink_config lc;
    base(&lc, 1);
    struct udp_pair *p = pair_new(&lc);
    uint64_t t0 = p->l->now;
    pair_run(p, 100, 10000);
    assert_int_equal(p->rx.n, N_DGRAMS);
    assert_true(in_order(&p->rx));
    const struct sim_dir_stats *st = &p->l->dir[SIM_A].st;
    assert_int_equal(st->lost + st->duplicated + st->reordered + st->corrupted, 0);
    /* The last datagram left at t0 + (N-1) gaps and took 1 ms. */
    assert_true(p->l->now >= t0 + (N_DGRAMS - 1) * 10000ull + NS_PER_MS);
    pair_free(p);
}

/* 10% loss drops about 10%, and exactly what the link counted. */
static void test_loss(void **state)
{
    (void)state;
    struct simlink_config lc;
    base(&lc, 2);
    lc.fault[SIM_A].loss_ppm = 100000;
    struct udp_pair *p = pair_new(&lc);
    pair_run(p, 100, 10000);
    const struct sim_dir_stats *st = &p->l->dir[SIM_A].st;
    assert_int_equal(p->rx.n + st->lost, N_DGRAMS);
    assert_in_range(st->lost, N_DGRAMS / 10 - 100, N_DGRAMS / 10 + 100);
    assert_true(in_order(&p->rx));
    pair_free(p);
}

static void test_dup(void **state)
{
    (void)state;
    struct simlink_config lc;
    base(&lc, 3);
    lc.fault[SIM_A].dup_ppm = 50000;
    struct udp_pair *p = pair_new(&lc);
    pair_run(p, 100, 10000);
    const struct sim_dir_stats *st = &p->l->dir[SIM_A].st;
    assert_int_equal(p->rx.n, N_DGRAMS + st->duplicated);
    assert_in_range(st->duplicated, N_DGRAMS / 20 - 70, N_DGRAMS / 20 + 70);
    pair_free(p);
}

/* Held frames come after exactly k later ones (no jitter, no timeout). */
static void test_reorder(void **state)
{
    (void)state;
    struct simlink_config lc;
    base(&lc, 4);
    lc.fault[SIM_A].reorder_ppm = 100000;
    lc.fault[SIM_A].reorder_frames = 3;
    lc.fault[SIM_A].reorder_delay_ns = 10 * NS_PER_SEC;
    struct udp_pair *p = pair_new(&lc);
    pair_run(p, 100, 10000);
    const struct sim_dir_stats *st = &p->l->dir[SIM_A].st;
    assert_int_equal(p->rx.n, N_DGRAMS);
    assert_in_range(st->reordered, N_DGRAMS / 10 - 100, N_DGRAMS / 10 + 100);
    size_t late = 0;
    for (size_t i = 1; i < p->rx.n; i++)
        late += p->rx.seq[i] < p->rx.seq[i - 1];
    assert_true(late > 0);
    pair_free(p);
}

/* A held frame with nothing behind it is released by its deadline. */
static void test_reorder_deadline(void **state)
{
    (void)state;
    struct simlink_config lc;
    base(&lc, 5);
    lc.fault[SIM_A].reorder_ppm = 1000000;
    lc.fault[SIM_A].reorder_frames = 1000;
    lc.fault[SIM_A].reorder_delay_ns = 50 * NS_PER_MS;
    struct udp_pair *p = pair_new(&lc);
    struct ip_endpoint to = ep(SIM_IP_B, PORT_B);
    uint32_t seq = 7;
    uint64_t t0 = p->l->now;
    assert_int_equal(udp_sock_sendto(p->a, &seq, 4, &to, t0), 4);
    for (int i = 0; i < 100 && p->rx.n == 0; i++)
        assert_int_equal(simlink_step(p->l, STACK_NO_DEADLINE), SIM_STEP_OK);
    assert_int_equal(p->rx.n, 1);
    assert_int_equal(p->l->now, t0 + NS_PER_MS + 50 * NS_PER_MS);
    pair_free(p);
}

/* Every corrupted datagram is dropped by a checksum and counted. */
static void test_corrupt(void **state)
{
    (void)state;
    struct simlink_config lc;
    base(&lc, 6);
    lc.fault[SIM_A].corrupt_ppm = 100000;
    struct udp_pair *p = pair_new(&lc);
    pair_run(p, 1000, 10000);
    const struct sim_dir_stats *st = &p->l->dir[SIM_A].st;
    const uint64_t *c = stack_counters(simlink_stack(p->l, SIM_B));
    assert_true(st->corrupted > N_DGRAMS / 20);
    assert_int_equal(p->rx.n + st->corrupted, N_DGRAMS);
    /* A flip inside the IP header is an IPv4 drop, elsewhere a UDP one. */
    assert_int_equal(c[CTR_UDP_RX_DROP_BAD_CSUM] + simlink_integrity_drops(simlink_stack(p->l, SIM_B)),
                     st->corrupted);
    assert_true(c[CTR_UDP_RX_DROP_BAD_CSUM] > c[CTR_IPV4_RX_DROP_BAD_CSUM]);
    pair_free(p);
}

/* Frames above the wire MTU vanish, counted; smaller ones pass. */
static void test_mtu(void **state)
{
    (void)state;
    struct simlink_config lc;
    base(&lc, 7);
    lc.fault[SIM_A].mtu = 576;
    struct udp_pair *p = pair_new(&lc);
    struct ip_endpoint to = ep(SIM_IP_B, PORT_B);
    uint8_t buf[1200] = {0};
    assert_int_equal(udp_sock_sendto(p->a, buf, 576 - 28, &to, p->l->now), 576 - 28);
    assert_int_equal(udp_sock_sendto(p->a, buf, 576 - 27, &to, p->l->now), 576 - 27);
    for (int i = 0; i < 100 && simlink_step(p->l, STACK_NO_DEADLINE) == SIM_STEP_OK; i++)
        ;
    assert_int_equal(p->rx.n, 1);
    assert_int_equal(p->l->dir[SIM_A].st.too_big, 1);
    pair_free(p);
}

/* Serialisation: 1000-byte frames at 8 Mbit/s take 1 ms each. */
static void test_rate(void **state)
{
    (void)state;
    struct simlink_config lc;
    base(&lc, 8);
    lc.fault[SIM_A].rate_bps = 8000000;
    lc.fault[SIM_A].delay_ns = 0;
    struct udp_pair *p = pair_new(&lc);
    struct ip_endpoint to = ep(SIM_IP_B, PORT_B);
    uint8_t buf[1000 - 42] = {0};
    uint64_t t0 = p->l->now;
    for (int i = 0; i < 10; i++)
        assert_int_equal(udp_sock_sendto(p->a, buf, sizeof buf, &to, t0), (int)sizeof buf);
    for (int i = 0; i < 100 && p->rx.n < 10; i++)
        assert_int_equal(simlink_step(p->l, STACK_NO_DEADLINE), SIM_STEP_OK);
    assert_int_equal(p->rx.n, 10);
    assert_int_equal(p->l->now, t0 + 10 * NS_PER_MS);
    pair_free(p);
}

/* Everything at once, twice with one seed: the same arrivals. */
static void test_deterministic(void **state)
{
    (void)state;
    uint64_t hash[3];
    for (int run = 0; run < 3; run++) {
        struct simlink_config lc;
        base(&lc, run < 2 ? 9 : 10);
        struct sim_fault *f = &lc.fault[SIM_A];
        f->loss_ppm = 50000;
        f->dup_ppm = 50000;
        f->reorder_ppm = 50000;
        f->reorder_frames = 2;
        f->reorder_delay_ns = 5 * NS_PER_MS;
        f->jitter_ns = 300000;
        f->corrupt_ppm = 10000;
        struct udp_pair *p = pair_new(&lc);
        pair_run(p, 200, 100000);
        hash[run] = p->rx.hash;
        pair_free(p);
    }
    assert_true(hash[0] == hash[1]);
    assert_true(hash[0] != hash[2]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_clean),
        cmocka_unit_test(test_loss),
        cmocka_unit_test(test_dup),
        cmocka_unit_test(test_reorder),
        cmocka_unit_test(test_reorder_deadline),
        cmocka_unit_test(test_corrupt),
        cmocka_unit_test(test_mtu),
        cmocka_unit_test(test_rate),
        cmocka_unit_test(test_deterministic),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
