/* simlink.h - two stacks joined by an in-memory Ethernet link with seeded
 * fault injection, driven by a fake clock (DESIGN.md "Tests", layer 2).
 *
 * Stack A is 10.77.0.1/24, stack B 10.77.0.2/24, each with one interface
 * and the other as a static neighbour, so no ARP is needed. A frame sent
 * by one stack is queued with a delivery time; simlink_step() moves the
 * clock to the next event (a frame due, a held-back frame's deadline, a
 * stack deadline), delivers the frames due and runs the stacks' timers.
 * No real time passes: hours of TCP run in milliseconds, and a run is
 * fully determined by its seed. Every run is bounded in simulated time
 * and in steps. */
#ifndef TESTS_SIM_SIMLINK_H
#define TESTS_SIM_SIMLINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "stack/stack.h"

#define SIM_IP_A 0x0a4d0001u /* 10.77.0.1 */
#define SIM_IP_B 0x0a4d0002u /* 10.77.0.2 */
#define SIM_PREFIX 24
#define SIM_START_NS (1000 * NS_PER_SEC)

/* Frames above this are refused by the link (and counted as too big). */
#define SIM_FRAME_MAX 2048
#define SIM_QUEUE_DEFAULT 4096 /* frames in flight per direction */
#define SIM_HELD_MAX 16        /* held-back (reordered) frames per direction */

enum { SIM_A = 0, SIM_B = 1 };

/* ---- deterministic PRNG: splitmix64 (Steele, Lea, Flood 2014) ---- */

struct sim_rng {
    uint64_t state;
};

void sim_rng_seed(struct sim_rng *r, uint64_t seed);
uint64_t sim_rng_next(struct sim_rng *r);
/* Uniform in [0, n) (n > 0); [0] when n == 0. */
uint64_t sim_rng_below(struct sim_rng *r, uint64_t n);
/* True with probability ppm / 1e6. */
bool sim_rng_chance(struct sim_rng *r, uint32_t ppm);
/* The splitmix64 finaliser on its own: a stateless 64-bit mix. */
uint64_t sim_mix64(uint64_t x);

/* Faults of one direction. Probabilities are parts per million, decided
 * per frame from the link's one seeded PRNG. */
struct sim_fault {
    uint32_t loss_ppm;          /* frame dropped */
    uint32_t dup_ppm;           /* frame delivered twice (own jitter each) */
    uint32_t reorder_ppm;       /* frame held back ... */
    uint32_t reorder_frames;    /* ... until this many later frames passed (>= 1) */
    uint64_t reorder_delay_ns;  /* ... or this long, whichever comes first */
    uint32_t corrupt_ppm;       /* one random bit of the IPv4 datagram flipped */
    uint64_t delay_ns;          /* fixed one-way delay */
    uint64_t jitter_ns;         /* plus uniform 0..jitter_ns (reorders too) */
    uint64_t rate_bps;          /* serialisation rate, bits/s; 0 = infinite */
    uint16_t mtu;               /* IP MTU of the wire; 0 = SIM_FRAME_MAX - 14 */
    uint32_t queue_max;         /* frames in flight; 0 = SIM_QUEUE_DEFAULT */
};

/* What happened in one direction. */
struct sim_dir_stats {
    uint64_t sent;              /* frames handed to the link by the sender */
    uint64_t delivered;         /* stack_input calls on the receiver */
    uint64_t lost;
    uint64_t duplicated;
    uint64_t reordered;
    uint64_t corrupted;         /* delivered with a flipped bit */
    uint64_t too_big;           /* above the wire MTU: dropped */
    uint64_t queue_full;        /* no room in flight: tail drop */
    uint64_t bytes;             /* frame bytes delivered */
};

struct simlink_config {
    uint64_t seed;
    struct sim_fault fault[2];  /* [SIM_A]: A->B, [SIM_B]: B->A */
    uint16_t netif_mtu[2];      /* each stack's interface MTU; 0 = 1500 */
    /* Each stack's config; NULL = stack_config_defaults(). The key is
     * always derived from the seed (distinct per stack). */
    const struct stack_config *stack_cfg[2];
    uint64_t max_time_ns;       /* simulated time allowed, from SIM_START_NS */
    uint64_t max_steps;         /* events allowed */
};

struct sim_frame;

struct sim_held {
    struct sim_frame *f;
    uint32_t frames_left;       /* later frames still to pass it */
    uint64_t deadline;          /* released at this time at the latest */
};

struct sim_dir {
    struct sim_fault fault;
    struct sim_dir_stats st;
    struct sim_frame **heap;    /* min-heap on (due, order) */
    size_t n, cap;
    struct sim_held held[SIM_HELD_MAX];
    size_t n_held;
    uint64_t wire_free_at;      /* when the serialiser is next idle */
};

struct simlink;

/* What the link did with a frame, for traces and captures. */
enum sim_tap_event {
    SIM_TAP_LOST,               /* dropped by the loss draw */
    SIM_TAP_TOO_BIG,            /* above the wire MTU */
    SIM_TAP_QUEUE_FULL,         /* no room in flight */
    SIM_TAP_HELD,               /* held back to be reordered */
    SIM_TAP_DUP,                /* a second copy was queued */
    SIM_TAP_DELIVER,            /* handed to the receiver now */
    SIM_TAP_DELIVER_CORRUPT,    /* the same, with one bit flipped */
};
/* Called for every frame event; from is the sending side. */
typedef void (*sim_tap_fn)(void *ctx, const struct simlink *l, int from,
                           enum sim_tap_event ev, const uint8_t *frame, size_t len);

/* One end: the netif ops context of a stack. */
struct sim_end {
    struct simlink *link;
    int side;                   /* SIM_A or SIM_B */
    struct stack *s;
    int ifindex;
};

struct simlink {
    struct sim_end end[2];
    struct sim_dir dir[2];      /* indexed by the sending side */
    struct sim_rng rng;
    uint64_t now;
    uint64_t order;             /* tie-break: frames due together keep send order */
    uint64_t steps;
    uint64_t max_time;          /* absolute */
    uint64_t max_steps;
    sim_tap_fn tap;             /* NULL, or set after simlink_new */
    void *tap_ctx;
};

enum sim_step_result {
    SIM_STEP_OK,                /* the clock moved (or events at now ran) */
    SIM_STEP_IDLE,              /* nothing scheduled at all */
    SIM_STEP_LIMIT,             /* max_time or max_steps reached */
};

/* NULL on allocation failure or if a stack refused its config. */
struct simlink *simlink_new(const struct simlink_config *cfg);
void simlink_free(struct simlink *l);

static inline struct stack *simlink_stack(struct simlink *l, int side)
{
    return l->end[side].s;
}

/* Move the clock to the next event -- the earliest of a frame due, a
 * held frame's deadline, either stack's deadline, and app_deadline (the
 * caller's own timer, or STACK_NO_DEADLINE) -- deliver at most one frame
 * due by then and run the timers of the stacks that are due. */
enum sim_step_result simlink_step(struct simlink *l, uint64_t app_deadline);
/* When the link or a stack next has something to do (STACK_NO_DEADLINE
 * if nothing). */
uint64_t simlink_next_event(const struct simlink *l);
/* Frames queued or held in both directions. */
size_t simlink_in_flight(const struct simlink *l);

/* Sum of the receiver-side counters that a corrupted frame can end up in
 * (bad checksums, bad headers, wrong address...): each corrupted delivery
 * must raise this sum by exactly one. */
uint64_t simlink_integrity_drops(const struct stack *s);

/* "A" or "B". */
const char *simlink_side_name(int side);

#endif
