/* sim_flow.h - a bidirectional bulk transfer between the two stacks of a
 * simlink, verified byte for byte.
 *
 * A connects to B's listener (or both connect to each other at once).
 * Each side sends a pseudo-random byte stream keyed by the seed, then
 * shutdown(SHUT_WR); each side checks every received byte against the
 * peer's stream, the total length and the EOF. Then both sockets must
 * reach TIME-WAIT or CLOSED, and after close() and TIME-WAIT both stacks
 * must hold no connection at all. Never asserts: a failure is reported in
 * the result, so the caller can print the seed and a replay command. */
#ifndef TESTS_SIM_FLOW_H
#define TESTS_SIM_FLOW_H

#include <stdbool.h>
#include <stdint.h>

#include "tests/sim/simlink.h"

#define FLOW_PORT_B 5001        /* B's listener */
#define FLOW_SIMOPEN_PORT_A 40000
#define FLOW_SIMOPEN_PORT_B 40001

struct flow_params {
    uint64_t bytes[2];          /* what each side sends */
    bool simultaneous_open;     /* both bind and connect to each other */
    /* Receiver stall (zero window): side i stops reading once it has
     * pause_after[i] bytes (0: never), for pause_ns, then resumes. */
    uint64_t pause_after[2];
    uint64_t pause_ns;
    sim_tap_fn tap;             /* frame events (traces), or NULL */
    void *tap_ctx;
};

/* Counters copied out of each stack before it is freed. */
struct flow_side_stats {
    uint64_t retrans, timeouts, fast_retrans, persist_probes;
    uint64_t bad_csum, integrity_drops;
    uint64_t sack_recoveries, reno_recoveries, ooo, dup_data;
    uint64_t active_opens, passive_opens, established, rsts_sent;
    int mss;                    /* TCP_OPT_MAXSEG of the connection */
};

struct flow_result {
    bool ok;
    char why[1024];              /* first failure, with the state of both ends */
    uint64_t transfer_ns;       /* start to both EOFs, simulated */
    uint64_t up_ns[2];          /* start to each side's connection established */
    uint64_t rx_full_ns[2];     /* start to each side having read all it expects */
    uint64_t total_ns;          /* start to both stacks empty */
    uint64_t steps;
    uint64_t received[2];       /* bytes each side read */
    struct flow_side_stats side[2];
    struct sim_dir_stats link[2];
};

/* Run one transfer on a new simlink made from lc; fills *res. */
void flow_run(const struct simlink_config *lc, const struct flow_params *fp,
              struct flow_result *res);

/* Byte i of the stream with this key (what the sender sends). */
void flow_stream_fill(uint8_t *buf, uint64_t key, uint64_t off, size_t n);

#endif
