/* test_sim_tcp.c - TCP between two stacks over a faulty simulated link:
 * bulk transfers both ways at once, verified byte for byte, over many
 * seeds and a few fixed scenarios (DESIGN.md "Tests", layer 2).
 *
 *   test_sim_tcp                          every scenario, default seeds
 *   test_sim_tcp --scenario NAME          one scenario
 *   test_sim_tcp --seed N --scenario NAME replay one run (add --trace for
 *                                         one line per frame event)
 *   test_sim_tcp --seeds K                K seeds per selected scenario
 *   test_sim_tcp --verbose                one line per run
 *   test_sim_tcp --list                   the scenarios
 *   test_sim_tcp --classic                the scenarios without RACK-TLP and PRR
 *   test_sim_tcp --short                  only the short-transfer figures:
 *                                         median and p99 of a 10-segment
 *                                         transfer at 1% and 5% loss, with
 *                                         and without RACK-TLP + PRR
 *
 * Each scenario is one cmocka test: the fixed ones run FIXED_SEEDS seeds,
 * "random" runs RANDOM_SEEDS in the plain build and SIM_SANITIZED_SEEDS
 * in a sanitizer build (TCPIP_SIM_SEEDS=K overrides both). One more test
 * checks that a seed replays exactly. A failure prints the seed, the
 * scenario, the state of both ends and the command that replays it. */
#include <errno.h>
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "tests/sim/sim_flow.h"

#define MIB (1024ull * 1024ull)
#define BULK_BYTES (8 * MIB)
#define RANDOM_SEEDS 200
#define SIM_SANITIZED_SEEDS 24
#define FIXED_SEEDS 2
#define MAX_FAILURES_SHOWN 5

#if defined(__SANITIZE_ADDRESS__)
#define SIM_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SIM_SANITIZED 1
#endif
#endif
#ifndef SIM_SANITIZED
#define SIM_SANITIZED 0
#endif

struct scenario {
    const char *name;
    const char *what;
    bool many_seeds;            /* the random sweep, not a fixed case */
    void (*setup)(uint64_t seed, struct simlink_config *lc, struct flow_params *fp);
    /* Extra checks on a finished run; fills why and returns false on failure. */
    bool (*check)(const struct flow_result *r, char *why, size_t len);
};

/* Command-line options. */
static const char *prog = "build/tests/sim/test_sim_tcp";
static uint64_t opt_seed;        /* 0: the default seeds */
static unsigned opt_seeds;       /* 0: the default count */
static bool opt_verbose, opt_trace, opt_short, opt_classic;

static void base_config(uint64_t seed, struct simlink_config *lc, struct flow_params *fp)
{
    memset(lc, 0, sizeof *lc);
    memset(fp, 0, sizeof *fp);
    lc->seed = seed;
    /* 8 MiB each way at 10% loss takes minutes of simulated time; TIME-WAIT
     * adds 60 s. */
    lc->max_time_ns = 3600 * NS_PER_SEC;
    lc->max_steps = 5000000;
    for (int side = 0; side < 2; side++) {
        lc->fault[side].delay_ns = 1 * NS_PER_MS;
        lc->fault[side].rate_bps = 1000000000ull;
    }
    fp->bytes[SIM_A] = BULK_BYTES;
    fp->bytes[SIM_B] = BULK_BYTES;
}

/* ---- scenarios ---- */

static void setup_clean(uint64_t seed, struct simlink_config *lc, struct flow_params *fp)
{
    base_config(seed, lc, fp);
}

static bool check_clean(const struct flow_result *r, char *why, size_t len)
{
    /* 2 x 8 MiB over 1 Gbit/s and a 2 ms RTT: about 0.1 s when the
     * windows open as they should (slow start, window scaling). */
    if (r->transfer_ns > 500 * NS_PER_MS) {
        snprintf(why, len, "took %.3f s of simulated time on a perfect link (want < 0.5 s)",
                 (double)r->transfer_ns / 1e9);
        return false;
    }
    for (int side = 0; side < 2; side++) {
        if (r->side[side].rsts_sent != 0) {
            snprintf(why, len, "%s sent %" PRIu64 " RSTs", simlink_side_name(side),
                     r->side[side].rsts_sent);
            return false;
        }
        if (r->side[side].retrans != 0 || r->side[side].timeouts != 0) {
            snprintf(why, len, "%s retransmitted %" PRIu64 " segments (%" PRIu64
                     " RTOs) on a perfect link", simlink_side_name(side),
                     r->side[side].retrans, r->side[side].timeouts);
            return false;
        }
    }
    return true;
}

static void setup_loss10(uint64_t seed, struct simlink_config *lc, struct flow_params *fp)
{
    base_config(seed, lc, fp);
    for (int side = 0; side < 2; side++)
        lc->fault[side].loss_ppm = 100000;
}

static bool check_recovered(const struct flow_result *r, char *why, size_t len)
{
    for (int side = 0; side < 2; side++) {
        if (r->link[side].lost > 0 && r->side[side].retrans == 0) {
            snprintf(why, len, "%" PRIu64 " frames from %s lost, none retransmitted",
                     r->link[side].lost, simlink_side_name(side));
            return false;
        }
    }
    return true;
}

static void setup_reorder(uint64_t seed, struct simlink_config *lc, struct flow_params *fp)
{
    base_config(seed, lc, fp);
    for (int side = 0; side < 2; side++) {
        struct sim_fault *f = &lc->fault[side];
        f->reorder_ppm = 200000;
        f->reorder_frames = 4;
        f->reorder_delay_ns = 3 * NS_PER_MS;
        f->jitter_ns = 500000; /* 0.5 ms on 1 ms: more reordering */
    }
}

static void setup_mtu576(uint64_t seed, struct simlink_config *lc, struct flow_params *fp)
{
    base_config(seed, lc, fp);
    /* A believes in 1500; only B's SYN MSS option keeps A's segments
     * within the 576-byte wire (RFC 9293 3.7.1, RFC 879). */
    lc->netif_mtu[SIM_A] = 1500;
    lc->netif_mtu[SIM_B] = 576;
    for (int side = 0; side < 2; side++) {
        lc->fault[side].mtu = 576;
        lc->fault[side].loss_ppm = 10000;
    }
}

static bool check_mtu576(const struct flow_result *r, char *why, size_t len)
{
    for (int side = 0; side < 2; side++) {
        if (r->link[side].too_big != 0) {
            snprintf(why, len, "%s sent %" PRIu64 " frames above the 576-byte MTU",
                     simlink_side_name(side), r->link[side].too_big);
            return false;
        }
        if (r->side[side].mss <= 0 || r->side[side].mss > 536) {
            snprintf(why, len, "%s uses MSS %d, want 1..536", simlink_side_name(side),
                     r->side[side].mss);
            return false;
        }
    }
    return check_recovered(r, why, len);
}

static void setup_zerowin(uint64_t seed, struct simlink_config *lc, struct flow_params *fp)
{
    base_config(seed, lc, fp);
    /* B stops reading for 30 s: A's window closes and only persist probes
     * (RFC 9293 3.8.6.1) keep A asking. */
    fp->pause_after[SIM_B] = 1 * MIB;
    fp->pause_ns = 30 * NS_PER_SEC;
    /* B sends little, so that its segments are not what tells A about the
     * window all along (an ACK with a zero window re-arms the persist
     * timer, as Linux's tcp_ack_probe does): A must probe on its own. */
    fp->bytes[SIM_B] = 256 * 1024;
}

static bool check_zerowin(const struct flow_result *r, char *why, size_t len)
{
    if (r->side[SIM_A].persist_probes == 0) {
        snprintf(why, len, "A sent no zero-window probe while B did not read for 30 s");
        return false;
    }
    return check_recovered(r, why, len);
}

/* RFC 1122 4.2.2.17: the probe interval grows exponentially. From a
 * 200 ms RTO, 30 s of zero window take about 8 probes, not one per RTO. */
static bool check_zerowin_backoff(const struct flow_result *r, char *why, size_t len)
{
    if (r->side[SIM_A].persist_probes > 16) {
        snprintf(why, len, "A sent %" PRIu64 " zero-window probes in 30 s: no exponential "
                 "backoff (RFC 1122 4.2.2.17)", r->side[SIM_A].persist_probes);
        return false;
    }
    return check_zerowin(r, why, len);
}

static void setup_zerowin_lossy(uint64_t seed, struct simlink_config *lc, struct flow_params *fp)
{
    setup_zerowin(seed, lc, fp);
    /* A lost window update must not deadlock: the probes find the window. */
    for (int side = 0; side < 2; side++)
        lc->fault[side].loss_ppm = 50000;
}

static void setup_simopen(uint64_t seed, struct simlink_config *lc, struct flow_params *fp)
{
    base_config(seed, lc, fp);
    fp->simultaneous_open = true;
}

/* RFC 9293 3.5 figure 8: each side went SYN-SENT -> SYN-RECEIVED ->
 * ESTABLISHED on its own connect, no listener, no reset. */
static bool check_simopen(const struct flow_result *r, char *why, size_t len)
{
    for (int side = 0; side < 2; side++) {
        const struct flow_side_stats *st = &r->side[side];
        if (st->active_opens != 1 || st->passive_opens != 0 || st->established != 1 ||
            st->rsts_sent != 0) {
            snprintf(why, len, "%s: active opens %" PRIu64 ", passive %" PRIu64
                     ", established %" PRIu64 ", RSTs sent %" PRIu64 " (want 1, 0, 1, 0)",
                     simlink_side_name(side), st->active_opens, st->passive_opens,
                     st->established, st->rsts_sent);
            return false;
        }
    }
    return true;
}

static void setup_corrupt(uint64_t seed, struct simlink_config *lc, struct flow_params *fp)
{
    base_config(seed, lc, fp);
    for (int side = 0; side < 2; side++)
        lc->fault[side].corrupt_ppm = 20000;
}

static bool check_corrupt(const struct flow_result *r, char *why, size_t len)
{
    for (int side = 0; side < 2; side++) {
        if (r->link[1 - side].corrupted > 0 && r->side[side].bad_csum == 0) {
            snprintf(why, len, "%s got %" PRIu64 " corrupted frames, counted no bad TCP "
                     "checksum", simlink_side_name(side), r->link[1 - side].corrupted);
            return false;
        }
    }
    return check_recovered(r, why, len);
}

/* Seed-driven faults: loss spread over 0..10% by seed, the rest drawn. */
static void setup_random(uint64_t seed, struct simlink_config *lc, struct flow_params *fp)
{
    base_config(seed, lc, fp);
    struct sim_rng r;
    sim_rng_seed(&r, sim_mix64(seed ^ 0x52414e44u));
    uint32_t loss = (uint32_t)(seed % 11) * 10000;
    for (int side = 0; side < 2; side++) {
        struct sim_fault *f = &lc->fault[side];
        f->loss_ppm = loss;
        f->dup_ppm = (uint32_t)sim_rng_below(&r, 20001);
        f->reorder_ppm = (uint32_t)sim_rng_below(&r, 50001);
        f->reorder_frames = 1 + (uint32_t)sim_rng_below(&r, 5);
        f->reorder_delay_ns = (1 + sim_rng_below(&r, 20)) * NS_PER_MS;
        f->delay_ns = 100000 + sim_rng_below(&r, 20 * NS_PER_MS);
        f->jitter_ns = sim_rng_below(&r, f->delay_ns / 2 + 1);
        f->corrupt_ppm = sim_rng_below(&r, 2) ? (uint32_t)sim_rng_below(&r, 10001) : 0;
        static const uint64_t rates[] = {0, 10000000ull, 100000000ull, 1000000000ull};
        f->rate_bps = rates[sim_rng_below(&r, 4)];
    }
}

static const struct scenario scenarios[] = {
    {"clean", "no faults: no retransmission at all", false, setup_clean, check_clean},
    {"loss10", "10% loss both ways", false, setup_loss10, check_recovered},
    {"reorder", "20% held back 4 frames + jitter", false, setup_reorder, NULL},
    {"mtu576", "576-byte wire, A's netif says 1500", false, setup_mtu576, check_mtu576},
    {"zerowin", "B stops reading 30 s", false, setup_zerowin, check_zerowin_backoff},
    {"zerowin_lossy", "B stops reading 30 s, 5% loss", false, setup_zerowin_lossy,
     check_zerowin},
    {"simopen", "simultaneous open", false, setup_simopen, check_simopen},
    {"corrupt", "2% of frames with one bit flipped", false, setup_corrupt, check_corrupt},
    {"random", "loss 0..10% by seed, dup, reorder, delay, jitter, corruption", true,
     setup_random, check_recovered},
};
#define N_SCENARIOS (sizeof scenarios / sizeof scenarios[0])

/* ---- frame trace (--trace) ---- */

static const char *tap_name(enum sim_tap_event ev)
{
    switch (ev) {
    case SIM_TAP_LOST: return "LOST";
    case SIM_TAP_TOO_BIG: return "TOOBIG";
    case SIM_TAP_QUEUE_FULL: return "QFULL";
    case SIM_TAP_HELD: return "HELD";
    case SIM_TAP_DUP: return "DUP";
    case SIM_TAP_DELIVER: return "RECV";
    case SIM_TAP_DELIVER_CORRUPT: return "CORRUPT";
    }
    return "?";
}

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void trace_tap(void *ctx, const struct simlink *l, int from, enum sim_tap_event ev,
                      const uint8_t *f, size_t len)
{
    FILE *out = ctx;
    fprintf(out, "%12.6f %s>%s %-7s ", (double)(l->now - SIM_START_NS) / 1e9,
            simlink_side_name(from), simlink_side_name(1 - from), tap_name(ev));
    size_t ihl = len >= 15 ? (size_t)(f[14] & 0x0f) * 4 : 0;
    if (len < 14 + 20 || f[12] != 0x08 || f[13] != 0x00 || f[14 + 9] != 6 ||
        len < 14 + ihl + 20) {
        fprintf(out, "non-TCP frame, %zu bytes\n", len);
        return;
    }
    const uint8_t *t = f + 14 + ihl;
    size_t ip_len = (size_t)(f[16] << 8 | f[17]);
    size_t doff = (size_t)(t[12] >> 4) * 4;
    long payload = (long)ip_len - (long)ihl - (long)doff;
    uint8_t fl = t[13];
    fprintf(out, "%u>%u %s%s%s%s%s seq %u ack %u win %u len %ld\n",
            (unsigned)(t[0] << 8 | t[1]), (unsigned)(t[2] << 8 | t[3]), fl & 0x02 ? "S" : "",
            fl & 0x01 ? "F" : "", fl & 0x04 ? "R" : "", fl & 0x08 ? "P" : "",
            fl & 0x10 ? "." : "", be32(t + 4), be32(t + 8), (unsigned)(t[14] << 8 | t[15]),
            payload);
}

/* ---- running ---- */

struct totals {
    unsigned runs, failed;
    uint64_t bytes, retrans, fast, rtos, probes, lost, corrupted, bad_csum, steps;
    uint64_t sim_ns, max_sim_ns;
    uint64_t max_sim_seed;
};

static bool run_one(const struct scenario *sc, uint64_t seed, struct totals *tot)
{
    struct simlink_config lc;
    struct flow_params fp;
    sc->setup(seed, &lc, &fp);
    struct stack_config classic[2];
    if (opt_classic) {
        /* --classic: RFC 6675 DupThresh recovery, no TLP, no PRR. */
        for (int side = 0; side < 2; side++) {
            if (lc.stack_cfg[side] != NULL)
                classic[side] = *lc.stack_cfg[side];
            else
                stack_config_defaults(&classic[side]);
            classic[side].tcp.rack = classic[side].tcp.tlp = classic[side].tcp.prr = false;
            lc.stack_cfg[side] = &classic[side];
        }
    }
    if (opt_trace) {
        fp.tap = trace_tap;
        fp.tap_ctx = stdout;
    }

    struct flow_result r;
    flow_run(&lc, &fp, &r);
    /* Every corrupted frame must be dropped by exactly one integrity check
     * of the receiver (RFC 1071 sums catch every single-bit error). */
    for (int side = 0; side < 2 && r.ok; side++) {
        uint64_t corrupted = r.link[1 - side].corrupted;
        if (r.side[side].integrity_drops != corrupted) {
            r.ok = false;
            snprintf(r.why, sizeof r.why, "%s got %" PRIu64 " corrupted frames but dropped %"
                     PRIu64 " as damaged", simlink_side_name(side), corrupted,
                     r.side[side].integrity_drops);
        }
    }
    if (r.ok && sc->check != NULL)
        r.ok = sc->check(&r, r.why, sizeof r.why);

    tot->runs++;
    for (int side = 0; side < 2; side++) {
        tot->bytes += r.received[side];
        tot->retrans += r.side[side].retrans;
        tot->fast += r.side[side].fast_retrans;
        tot->rtos += r.side[side].timeouts;
        tot->probes += r.side[side].persist_probes;
        tot->lost += r.link[side].lost;
        tot->corrupted += r.link[side].corrupted;
        tot->bad_csum += r.side[side].bad_csum;
    }
    tot->steps += r.steps;
    tot->sim_ns += r.transfer_ns;
    if (r.transfer_ns > tot->max_sim_ns) {
        tot->max_sim_ns = r.transfer_ns;
        tot->max_sim_seed = seed;
    }
    if (opt_verbose || !r.ok)
        printf("sim: %s seed %" PRIu64 ": %s transfer %.3fs total %.3fs steps %" PRIu64
               " retrans %" PRIu64 "+%" PRIu64 " rto %" PRIu64 "+%" PRIu64 " lost %" PRIu64
               "+%" PRIu64 " mss %d/%d\n",
               sc->name, seed, r.ok ? "ok" : "FAILED", (double)r.transfer_ns / 1e9,
               (double)r.total_ns / 1e9, r.steps, r.side[0].retrans, r.side[1].retrans,
               r.side[0].timeouts, r.side[1].timeouts, r.link[0].lost, r.link[1].lost,
               r.side[0].mss, r.side[1].mss);
    if (!r.ok) {
        tot->failed++;
        if (tot->failed <= MAX_FAILURES_SHOWN) {
            printf("sim: FAIL scenario %s seed %" PRIu64 ": %s\n", sc->name, seed, r.why);
            printf("sim: replay: %s --seed %" PRIu64 " --scenario %s [--trace]\n", prog, seed,
                   sc->name);
        }
    }
    return r.ok;
}

static unsigned seeds_for(const struct scenario *sc)
{
    if (opt_seeds != 0)
        return opt_seeds;
    if (!sc->many_seeds)
        return FIXED_SEEDS;
    const char *env = getenv("TCPIP_SIM_SEEDS");
    if (env != NULL && atoi(env) > 0)
        return (unsigned)atoi(env);
    return SIM_SANITIZED ? SIM_SANITIZED_SEEDS : RANDOM_SEEDS;
}

static double real_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void test_scenario(void **state)
{
    const struct scenario *sc = *state;
    struct totals tot;
    memset(&tot, 0, sizeof tot);
    double t0 = real_seconds();
    if (opt_seed != 0) {
        run_one(sc, opt_seed, &tot);
    } else {
        unsigned n = seeds_for(sc);
        for (unsigned i = 1; i <= n; i++)
            run_one(sc, i, &tot);
    }
    double real = real_seconds() - t0;
    printf("sim: %-13s %u seeds, %u failed, %.1f MiB verified, retrans %" PRIu64
           " (fast %" PRIu64 ", rto %" PRIu64 "), probes %" PRIu64 ", lost %" PRIu64
           ", corrupted %" PRIu64 " (bad tcp csum %" PRIu64 "), sim %.1fs (max %.1fs seed %"
           PRIu64 "), steps %" PRIu64 ", real %.2fs\n",
           sc->name, tot.runs, tot.failed, (double)tot.bytes / (double)MIB, tot.retrans,
           tot.fast, tot.rtos, tot.probes, tot.lost, tot.corrupted, tot.bad_csum,
           (double)tot.sim_ns / 1e9, (double)tot.max_sim_ns / 1e9, tot.max_sim_seed, tot.steps,
           real);
    fflush(stdout);
    if (tot.failed != 0)
        fail_msg("%s: %u of %u runs failed (replay lines above)", sc->name, tot.failed,
                 tot.runs);
}

/* ---- short transfers: RACK-TLP and PRR against RFC 6675 and the RTO ----
 *
 * Issue 12: the median and p99 time to deliver a short transfer (10
 * segments, A to B) at 1% and 5% loss both ways, over SHORT_SEEDS seeds,
 * with RACK-TLP + PRR (the defaults) and without (RFC 6675 DupThresh
 * recovery and the RTO, cwnd = ssthresh). The time runs from A's
 * connection being established to B having read the last byte, on a 2 ms
 * RTT: the handshake's own losses (SYN timeouts) are left out. */

#define SHORT_SEGS 10
#define SHORT_MSS 1448          /* 1500 - 40 - 12 (timestamps) */
#define SHORT_SEEDS 200

struct short_stats {
    unsigned failed;
    uint64_t median_ns, p99_ns, max_ns, rtos, tlps;
};

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static void short_run(uint32_t loss_ppm, bool modern, struct short_stats *st)
{
    static uint64_t t[SHORT_SEEDS];
    memset(st, 0, sizeof *st);
    for (unsigned i = 0; i < SHORT_SEEDS; i++) {
        struct simlink_config lc;
        struct flow_params fp;
        struct stack_config sc[2];
        base_config(i + 1, &lc, &fp);
        fp.bytes[SIM_A] = SHORT_SEGS * SHORT_MSS;
        fp.bytes[SIM_B] = 0;
        for (int side = 0; side < 2; side++) {
            lc.fault[side].loss_ppm = loss_ppm;
            stack_config_defaults(&sc[side]);
            sc[side].tcp.rack = sc[side].tcp.tlp = sc[side].tcp.prr = modern;
            lc.stack_cfg[side] = &sc[side];
        }
        struct flow_result r;
        flow_run(&lc, &fp, &r);
        if (!r.ok || r.rx_full_ns[SIM_B] < r.up_ns[SIM_A]) {
            st->failed++;
            printf("sim: short %s loss %u ppm seed %u FAILED: %s\n",
                   modern ? "rack" : "classic", loss_ppm, i + 1, r.why);
            t[i] = UINT64_MAX;
            continue;
        }
        t[i] = r.rx_full_ns[SIM_B] - r.up_ns[SIM_A];
        st->rtos += r.side[SIM_A].timeouts;
        if (opt_verbose)
            printf("sim: short %s loss %u ppm seed %u: %.1f ms, A's RTOs %" PRIu64 "\n",
                   modern ? "rack" : "classic", loss_ppm, i + 1, (double)t[i] / 1e6,
                   r.side[SIM_A].timeouts);
    }
    qsort(t, SHORT_SEEDS, sizeof t[0], cmp_u64);
    st->median_ns = (t[SHORT_SEEDS / 2 - 1] + t[SHORT_SEEDS / 2]) / 2;
    st->p99_ns = t[(SHORT_SEEDS * 99 + 99) / 100 - 1];
    st->max_ns = t[SHORT_SEEDS - 1];
}

/* Prints the figures; fails if a run failed or RACK-TLP's p99 is worse. */
static void test_short_transfers(void **state)
{
    (void)state;
    static const uint32_t losses[] = {10000, 50000};
    printf("sim: short transfer, %d segments A->B, %d seeds, RTT 2 ms, loss both ways; "
           "time from established to the last byte read:\n", SHORT_SEGS, SHORT_SEEDS);
    printf("sim:   loss  recovery                  median      p99      max   A's RTOs\n");
    bool worse = false;
    unsigned failed = 0;
    for (size_t i = 0; i < sizeof losses / sizeof losses[0]; i++) {
        struct short_stats s[2];
        for (int modern = 0; modern < 2; modern++) {
            short_run(losses[i], modern != 0, &s[modern]);
            failed += s[modern].failed;
            printf("sim:   %2u%%   %-22s %7.1fms %7.1fms %7.1fms %6" PRIu64 "\n",
                   losses[i] / 10000, modern ? "RACK-TLP + PRR" : "RFC 6675 + RTO",
                   (double)s[modern].median_ns / 1e6, (double)s[modern].p99_ns / 1e6,
                   (double)s[modern].max_ns / 1e6, s[modern].rtos);
        }
        if (s[1].p99_ns > s[0].p99_ns)
            worse = true;
    }
    fflush(stdout);
    if (failed != 0)
        fail_msg("%u short transfers failed", failed);
    if (worse)
        fail_msg("RACK-TLP's p99 is above the classic recovery's");
}

/* A replay command is only worth printing if a seed replays exactly:
 * the same seed twice gives the same run, frame for frame. */
static void test_deterministic(void **state)
{
    (void)state;
    struct flow_result r[2];
    for (int i = 0; i < 2; i++) {
        struct simlink_config lc;
        struct flow_params fp;
        setup_random(7, &lc, &fp);
        flow_run(&lc, &fp, &r[i]);
    }
    assert_int_equal(r[0].ok, r[1].ok);
    assert_string_equal(r[0].why, r[1].why);
    assert_int_equal(r[0].steps, r[1].steps);
    assert_int_equal(r[0].total_ns, r[1].total_ns);
    assert_memory_equal(r[0].link, r[1].link, sizeof r[0].link);
    assert_memory_equal(r[0].side, r[1].side, sizeof r[0].side);
}

static void usage(FILE *out)
{
    fprintf(out, "usage: %s [--scenario NAME] [--seed N | --seeds K] [--verbose] [--trace] "
                 "[--list] [--short] [--classic]\n", prog);
}

static const struct scenario *find_scenario(const char *name)
{
    for (size_t i = 0; i < N_SCENARIOS; i++) {
        if (strcmp(scenarios[i].name, name) == 0)
            return &scenarios[i];
    }
    return NULL;
}

static bool parse_u64(const char *s, uint64_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0' || v == 0 || s[0] == '-')
        return false;
    *out = v;
    return true;
}

int main(int argc, char **argv)
{
    const struct scenario *only = NULL;
    if (argc > 0)
        prog = argv[0];
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        uint64_t n;
        if (strcmp(a, "--scenario") == 0 && v != NULL) {
            only = find_scenario(v);
            if (only == NULL) {
                fprintf(stderr, "%s: no scenario %s (see --list)\n", prog, v);
                return 2;
            }
            i++;
        } else if (strcmp(a, "--seed") == 0 && v != NULL && parse_u64(v, &n)) {
            opt_seed = n;
            i++;
        } else if (strcmp(a, "--seeds") == 0 && v != NULL && parse_u64(v, &n) && n < 1000000) {
            opt_seeds = (unsigned)n;
            i++;
        } else if (strcmp(a, "--verbose") == 0) {
            opt_verbose = true;
        } else if (strcmp(a, "--trace") == 0) {
            opt_trace = true;
        } else if (strcmp(a, "--short") == 0) {
            opt_short = true;
        } else if (strcmp(a, "--classic") == 0) {
            opt_classic = true;
        } else if (strcmp(a, "--list") == 0) {
            for (size_t k = 0; k < N_SCENARIOS; k++)
                printf("%-14s %s\n", scenarios[k].name, scenarios[k].what);
            return 0;
        } else if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            usage(stdout);
            return 0;
        } else {
            usage(stderr);
            return 2;
        }
    }
    if (opt_trace && (opt_seed == 0 || only == NULL)) {
        fprintf(stderr, "%s: --trace needs --seed and --scenario\n", prog);
        return 2;
    }

    struct CMUnitTest tests[N_SCENARIOS + 2];
    size_t n = 0;
    if (only == NULL && opt_seed == 0) {
        memset(&tests[n], 0, sizeof tests[n]);
        tests[n].name = "deterministic";
        tests[n].test_func = test_deterministic;
        n++;
    }
    if ((only == NULL && opt_seed == 0) || opt_short) {
        memset(&tests[n], 0, sizeof tests[n]);
        tests[n].name = "short_transfers";
        tests[n].test_func = test_short_transfers;
        n++;
    }
    if (opt_short)
        return _cmocka_run_group_tests("sim_tcp", tests + n - 1, 1, NULL, NULL);
    for (size_t i = 0; i < N_SCENARIOS; i++) {
        if (only != NULL && only != &scenarios[i])
            continue;
        memset(&tests[n], 0, sizeof tests[n]);
        tests[n].name = scenarios[i].name;
        tests[n].test_func = test_scenario;
        tests[n].initial_state = (void *)&scenarios[i];
        n++;
    }
    return _cmocka_run_group_tests("sim_tcp", tests, n, NULL, NULL);
}
