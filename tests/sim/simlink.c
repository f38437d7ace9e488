/* simlink.c - see simlink.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "tests/sim/simlink.h"

#define ETH_HDR_LEN 14
#define ETHERTYPE_IPV4 0x0800

struct sim_frame {
    uint64_t due;               /* delivery time */
    uint64_t order;             /* send order, breaks ties on due */
    size_t len;
    uint8_t data[];
};

static const struct eth_addr sim_mac[2] = {
    {{0x02, 0x00, 0x00, 0x77, 0x00, 0x01}},
    {{0x02, 0x00, 0x00, 0x77, 0x00, 0x02}},
};
static const uint32_t sim_ip[2] = {SIM_IP_A, SIM_IP_B};

/* ---- PRNG ---- */

uint64_t sim_mix64(uint64_t x)
{
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

void sim_rng_seed(struct sim_rng *r, uint64_t seed)
{
    r->state = seed;
}

uint64_t sim_rng_next(struct sim_rng *r)
{
    r->state += 0x9e3779b97f4a7c15ull;
    return sim_mix64(r->state);
}

uint64_t sim_rng_below(struct sim_rng *r, uint64_t n)
{
    if (n == 0)
        return 0;
    /* The modulo bias is at most n / 2^64: irrelevant for fault rates. */
    return sim_rng_next(r) % n;
}

bool sim_rng_chance(struct sim_rng *r, uint32_t ppm)
{
    if (ppm == 0)
        return false;
    return sim_rng_below(r, 1000000) < ppm;
}

const char *simlink_side_name(int side)
{
    return side == SIM_A ? "A" : "B";
}

/* ---- the in-flight queue: a binary min-heap on (due, order) ---- */

static bool frame_before(const struct sim_frame *a, const struct sim_frame *b)
{
    if (a->due != b->due)
        return a->due < b->due;
    return a->order < b->order;
}

static void tap(const struct simlink *l, int from, enum sim_tap_event ev, const uint8_t *frame,
                size_t len)
{
    if (l->tap != NULL)
        l->tap(l->tap_ctx, l, from, ev, frame, len);
}

static void heap_push(struct sim_dir *d, struct sim_frame *f)
{
    /* The caller checked n < cap. */
    size_t i = d->n++;
    d->heap[i] = f;
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (!frame_before(d->heap[i], d->heap[parent]))
            break;
        struct sim_frame *tmp = d->heap[i];
        d->heap[i] = d->heap[parent];
        d->heap[parent] = tmp;
        i = parent;
    }
}

static struct sim_frame *heap_pop(struct sim_dir *d)
{
    struct sim_frame *top = d->heap[0];
    d->n--;
    d->heap[0] = d->heap[d->n];
    size_t i = 0;
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < d->n && frame_before(d->heap[l], d->heap[m]))
            m = l;
        if (r < d->n && frame_before(d->heap[r], d->heap[m]))
            m = r;
        if (m == i)
            break;
        struct sim_frame *tmp = d->heap[i];
        d->heap[i] = d->heap[m];
        d->heap[m] = tmp;
        i = m;
    }
    return top;
}

/* ---- sending: the netif ops of both ends ---- */

static uint16_t wire_mtu(const struct sim_fault *f)
{
    return f->mtu != 0 ? f->mtu : (uint16_t)(SIM_FRAME_MAX - ETH_HDR_LEN);
}

/* Queue one copy of a frame. `depart` is when its last bit left the
 * sender; jitter is drawn per copy, so copies may pass each other. */
static void enqueue_copy(struct simlink *l, int from, const uint8_t *frame, size_t len,
                         uint64_t depart)
{
    struct sim_dir *d = &l->dir[from];
    struct sim_frame *f = NULL;
    if (d->n + d->n_held < d->cap)
        f = malloc(sizeof *f + len);
    if (f == NULL) {
        d->st.queue_full++;
        tap(l, from, SIM_TAP_QUEUE_FULL, frame, len);
        return;
    }
    memcpy(f->data, frame, len);
    f->len = len;
    f->due = depart + d->fault.delay_ns + sim_rng_below(&l->rng, d->fault.jitter_ns + 1);
    f->order = l->order++;

    if (d->n_held < SIM_HELD_MAX && sim_rng_chance(&l->rng, d->fault.reorder_ppm)) {
        struct sim_held *h = &d->held[d->n_held++];
        h->f = f;
        h->frames_left = d->fault.reorder_frames > 0 ? d->fault.reorder_frames : 1;
        h->deadline = f->due + d->fault.reorder_delay_ns;
        d->st.reordered++;
        tap(l, from, SIM_TAP_HELD, frame, len);
        return;
    }
    heap_push(d, f);

    /* Held frames that this one overtook enough times go right behind it. */
    size_t i = 0;
    while (i < d->n_held) {
        struct sim_held *h = &d->held[i];
        if (--h->frames_left > 0) {
            i++;
            continue;
        }
        struct sim_frame *hf = h->f;
        if (hf->due < f->due)
            hf->due = f->due;
        hf->order = l->order++;
        heap_push(d, hf);
        d->held[i] = d->held[--d->n_held];
    }
}

static int sim_send(void *ctx, const uint8_t *frame, size_t len)
{
    struct sim_end *end = ctx;
    struct simlink *l = end->link;
    struct sim_dir *d = &l->dir[end->side];

    d->st.sent++;
    if (len > SIM_FRAME_MAX || len > (size_t)wire_mtu(&d->fault) + ETH_HDR_LEN) {
        d->st.too_big++;
        tap(l, end->side, SIM_TAP_TOO_BIG, frame, len);
        return 0; /* the wire takes it and drops it, as a real one would */
    }
    if (sim_rng_chance(&l->rng, d->fault.loss_ppm)) {
        d->st.lost++;
        tap(l, end->side, SIM_TAP_LOST, frame, len);
        return 0;
    }

    /* Serialisation: a frame leaves once the previous one has. */
    uint64_t depart = l->now > d->wire_free_at ? l->now : d->wire_free_at;
    if (d->fault.rate_bps != 0)
        depart += (uint64_t)len * 8 * NS_PER_SEC / d->fault.rate_bps;
    d->wire_free_at = depart;

    enqueue_copy(l, end->side, frame, len, depart);
    if (sim_rng_chance(&l->rng, d->fault.dup_ppm)) {
        d->st.duplicated++;
        tap(l, end->side, SIM_TAP_DUP, frame, len);
        enqueue_copy(l, end->side, frame, len, depart);
    }
    return 0;
}

static const struct netif_ops sim_netif_ops = {
    .send = sim_send,
};

/* ---- delivery ---- */

/* Flip one bit inside the IPv4 datagram (header or payload, never the
 * Ethernet header or padding: a real NIC's FCS would catch those, and
 * padding is covered by no checksum). Returns whether it flipped one. */
static bool corrupt_frame(struct simlink *l, struct sim_frame *f)
{
    if (f->len < ETH_HDR_LEN + 20)
        return false;
    uint16_t type = (uint16_t)(f->data[12] << 8 | f->data[13]);
    if (type != ETHERTYPE_IPV4)
        return false;
    size_t ip_len = (size_t)(f->data[ETH_HDR_LEN + 2] << 8 | f->data[ETH_HDR_LEN + 3]);
    if (ip_len < 20 || ip_len > f->len - ETH_HDR_LEN)
        return false;
    uint64_t bit = sim_rng_below(&l->rng, (uint64_t)ip_len * 8);
    f->data[ETH_HDR_LEN + bit / 8] ^= (uint8_t)(1u << (bit % 8));
    return true;
}

static void deliver(struct simlink *l, int from)
{
    struct sim_dir *d = &l->dir[from];
    struct sim_end *to = &l->end[1 - from];
    struct sim_frame *f = heap_pop(d);

    enum sim_tap_event ev = SIM_TAP_DELIVER;
    if (sim_rng_chance(&l->rng, d->fault.corrupt_ppm) && corrupt_frame(l, f)) {
        d->st.corrupted++;
        ev = SIM_TAP_DELIVER_CORRUPT;
    }
    tap(l, from, ev, f->data, f->len);
    d->st.delivered++;
    d->st.bytes += f->len;
    stack_input(to->s, to->ifindex, f->data, f->len, l->now);
    free(f);
}

/* Held frames whose deadline passed join the queue, due now. */
static void release_expired(struct simlink *l, struct sim_dir *d)
{
    size_t i = 0;
    while (i < d->n_held) {
        struct sim_held *h = &d->held[i];
        if (h->deadline > l->now) {
            i++;
            continue;
        }
        h->f->due = l->now;
        h->f->order = l->order++;
        heap_push(d, h->f);
        d->held[i] = d->held[--d->n_held];
    }
}

/* The earliest event; dl[] gets each stack's deadline (stack_next_deadline
 * may scan tables: ask once per step). */
static uint64_t next_event(const struct simlink *l, uint64_t dl[2])
{
    uint64_t t = STACK_NO_DEADLINE;
    for (int side = 0; side < 2; side++) {
        const struct sim_dir *d = &l->dir[side];
        if (d->n > 0 && d->heap[0]->due < t)
            t = d->heap[0]->due;
        for (size_t i = 0; i < d->n_held; i++) {
            if (d->held[i].deadline < t)
                t = d->held[i].deadline;
        }
        dl[side] = stack_next_deadline(l->end[side].s);
        if (dl[side] < t)
            t = dl[side];
    }
    return t;
}

uint64_t simlink_next_event(const struct simlink *l)
{
    uint64_t dl[2];
    return next_event(l, dl);
}

enum sim_step_result simlink_step(struct simlink *l, uint64_t app_deadline)
{
    uint64_t dl[2];
    uint64_t t = next_event(l, dl);
    if (app_deadline < t)
        t = app_deadline;
    if (t == STACK_NO_DEADLINE)
        return SIM_STEP_IDLE;
    if (t > l->max_time || l->steps >= l->max_steps)
        return SIM_STEP_LIMIT;
    l->steps++;
    if (t > l->now)
        l->now = t;

    for (int side = 0; side < 2; side++)
        release_expired(l, &l->dir[side]);

    /* One frame per step, the earliest of both directions, so that the
     * stacks see events in time order even with zero delay. */
    int from = -1;
    for (int side = 0; side < 2; side++) {
        const struct sim_dir *d = &l->dir[side];
        if (d->n == 0 || d->heap[0]->due > l->now)
            continue;
        if (from < 0 || frame_before(d->heap[0], l->dir[from].heap[0]))
            from = side;
    }
    if (from >= 0)
        deliver(l, from);

    /* A timer the delivery itself armed for now runs next step. */
    for (int side = 0; side < 2; side++) {
        if (dl[side] <= l->now)
            stack_poll(l->end[side].s, l->now);
    }
    return SIM_STEP_OK;
}

size_t simlink_in_flight(const struct simlink *l)
{
    return l->dir[0].n + l->dir[0].n_held + l->dir[1].n + l->dir[1].n_held;
}

uint64_t simlink_integrity_drops(const struct stack *s)
{
    static const enum stack_counter drops[] = {
        CTR_ETH_RX_DROP_SHORT,       CTR_ETH_RX_DROP_NOT_FOR_US,
        CTR_IPV4_RX_DROP_TRUNCATED,  CTR_IPV4_RX_DROP_BAD_VERSION,
        CTR_IPV4_RX_DROP_BAD_HEADER, CTR_IPV4_RX_DROP_BAD_LENGTH,
        CTR_IPV4_RX_DROP_BAD_CSUM,   CTR_IPV4_RX_DROP_BAD_SRC,
        CTR_IPV4_RX_DROP_TTL_ZERO,   CTR_IPV4_RX_DROP_NOT_FOR_US,
        CTR_IPV4_RX_DROP_FRAGMENT,   CTR_IPV4_RX_DROP_UNKNOWN_PROTO,
        CTR_IPV4_RX_DROP_SOURCE_ROUTE,
        CTR_TCP_RX_DROP_TRUNCATED,   CTR_TCP_RX_DROP_BAD_HEADER,
        CTR_TCP_RX_DROP_BAD_CSUM,    CTR_TCP_RX_DROP_BAD_ADDR,
    };
    const uint64_t *c = stack_counters(s);
    uint64_t sum = 0;
    for (size_t i = 0; i < sizeof drops / sizeof drops[0]; i++)
        sum += c[drops[i]];
    return sum;
}

/* ---- setup ---- */

static int end_init(struct simlink *l, const struct simlink_config *cfg, int side)
{
    struct sim_end *end = &l->end[side];
    end->link = l;
    end->side = side;

    struct stack_config sc;
    if (cfg->stack_cfg[side] != NULL)
        sc = *cfg->stack_cfg[side];
    else
        stack_config_defaults(&sc);
    /* Distinct keys, so the two ends pick different ISNs and ports. */
    struct sim_rng kr;
    sim_rng_seed(&kr, sim_mix64(cfg->seed) ^ (uint64_t)(side + 1) * 0x5851f42d4c957f2dull);
    for (size_t i = 0; i < sizeof sc.key; i += 8) {
        uint64_t v = sim_rng_next(&kr);
        memcpy(sc.key + i, &v, sizeof sc.key - i < 8 ? sizeof sc.key - i : 8);
    }
    end->s = stack_new(&sc);
    if (end->s == NULL)
        return -errno;

    struct netif_static_neigh peer = {.ip = sim_ip[1 - side], .mac = sim_mac[1 - side]};
    struct netif_config nc;
    memset(&nc, 0, sizeof nc);
    memcpy(nc.name, side == SIM_A ? "simA" : "simB", 5);
    nc.mac = sim_mac[side];
    nc.mtu = cfg->netif_mtu[side] != 0 ? cfg->netif_mtu[side] : 1500;
    nc.ipv4_addr = sim_ip[side];
    nc.ipv4_prefix_len = SIM_PREFIX;
    nc.neigh = &peer;
    nc.n_neigh = 1;
    end->ifindex = stack_netif_add(end->s, &nc, &sim_netif_ops, end, l->now);
    return end->ifindex < 0 ? end->ifindex : 0;
}

struct simlink *simlink_new(const struct simlink_config *cfg)
{
    struct simlink *l = calloc(1, sizeof *l);
    if (l == NULL)
        return NULL;
    sim_rng_seed(&l->rng, cfg->seed);
    l->now = SIM_START_NS;
    l->max_time = SIM_START_NS + cfg->max_time_ns;
    l->max_steps = cfg->max_steps;
    for (int side = 0; side < 2; side++) {
        struct sim_dir *d = &l->dir[side];
        d->fault = cfg->fault[side];
        d->cap = d->fault.queue_max != 0 ? d->fault.queue_max : SIM_QUEUE_DEFAULT;
        d->heap = calloc(d->cap, sizeof *d->heap);
        if (d->heap == NULL) {
            simlink_free(l);
            return NULL;
        }
    }
    /* Sending only queues, so A's gratuitous ARP simply waits for B. */
    for (int side = 0; side < 2; side++) {
        if (end_init(l, cfg, side) != 0) {
            simlink_free(l);
            return NULL;
        }
    }
    return l;
}

void simlink_free(struct simlink *l)
{
    if (l == NULL)
        return;
    for (int side = 0; side < 2; side++) {
        stack_free(l->end[side].s);
        struct sim_dir *d = &l->dir[side];
        while (d->n > 0)
            free(heap_pop(d));
        for (size_t i = 0; i < d->n_held; i++)
            free(d->held[i].f);
        free(d->heap);
    }
    free(l);
}
