/* sim_flow.c - see sim_flow.h. */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/sim/sim_flow.h"

#define CHUNK 65536
#define PUMP_ROUNDS 64          /* send/recv calls per side per step, at most */

struct app {
    struct flow *fl;
    int side;
    struct tcp_sock *ts;
    uint64_t tx_key, rx_key;    /* my stream, the peer's stream */
    uint64_t tx_total, tx_done;
    uint64_t rx_expect, rx_done;
    bool up;                    /* reached a synchronized state */
    uint64_t up_at;             /* when */
    uint64_t rx_full_at;        /* when the last expected byte was read */
    bool shut_sent, eof, closed_ev;
    uint64_t pause_after, pause_until;
    bool paused;
};

struct flow {
    struct simlink *l;
    const struct flow_params *fp;
    struct flow_result *res;
    struct tcp_sock *listener;  /* B's, unless simultaneous open */
    bool accept_ready;
    struct app app[2];
    uint8_t buf[CHUNK];
    uint8_t want[CHUNK];
};

/* splitmix64's finaliser, here again so that it inlines: the streams are
 * generated and checked at every byte, the hottest loop of the test. */
static inline uint64_t stream_word(uint64_t key, uint64_t block)
{
    uint64_t x = key + block;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

/* Byte pos of the stream is byte pos % 8 of word pos / 8 as memcpy lays
 * it out: whatever the host's byte order, every path agrees. */
void flow_stream_fill(uint8_t *buf, uint64_t key, uint64_t off, size_t n)
{
    size_t i = 0;
    uint8_t w[8];
    while (i < n && (off + i) % 8 != 0) { /* the head, up to a word */
        uint64_t pos = off + i, v = stream_word(key, pos / 8);
        memcpy(w, &v, 8);
        buf[i++] = w[pos % 8];
    }
    for (; i + 8 <= n; i += 8) {
        uint64_t v = stream_word(key, (off + i) / 8);
        memcpy(buf + i, &v, 8);
    }
    for (; i < n; i++) { /* the tail */
        uint64_t pos = off + i, v = stream_word(key, pos / 8);
        memcpy(w, &v, 8);
        buf[i] = w[pos % 8];
    }
}

/* Record the first failure only, with the state of both ends. */
static void fail(struct flow *fl, const char *fmt, ...)
{
    struct flow_result *r = fl->res;
    if (!r->ok)
        return;
    r->ok = false;
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    size_t off = (size_t)snprintf(r->why, sizeof r->why, "%s [t=%.3fs", msg,
                                  (double)(fl->l->now - SIM_START_NS) / 1e9);
    for (int side = 0; side < 2 && off < sizeof r->why; side++) {
        const struct app *a = &fl->app[side];
        if (a->ts == NULL) {
            off += (size_t)snprintf(r->why + off, sizeof r->why - off, "; %s: no socket",
                                    simlink_side_name(side));
            continue;
        }
        struct tcp_conn_info ci;
        tcp_sock_info(a->ts, &ci);
        const uint64_t *c = stack_counters(simlink_stack(fl->l, side));
        off += (size_t)snprintf(r->why + off, sizeof r->why - off,
                                "; %s %s tx %" PRIu64 "/%" PRIu64 " rx %" PRIu64 "/%" PRIu64
                                "%s snd_wnd %u rcv_wnd %u cwnd %u sq %u rq %u rto %" PRIu64
                                "us backoff %u drops: paws %" PRIu64 " oow %" PRIu64
                                " ooo_full %" PRIu64,
                                simlink_side_name(side), tcp_state_name(ci.state), a->tx_done,
                                a->tx_total, a->rx_done, a->rx_expect, a->eof ? " eof" : "",
                                ci.snd_wnd, ci.rcv_wnd, ci.cwnd, ci.send_queue, ci.recv_queue,
                                ci.rto_us, ci.backoff, c[CTR_TCP_RX_DROP_PAWS],
                                c[CTR_TCP_RX_DROP_OUT_OF_WINDOW], c[CTR_TCP_RX_DROP_OOO_FULL]);
    }
    if (off < sizeof r->why)
        snprintf(r->why + off, sizeof r->why - off, "]");
}

static void on_sock(void *user, struct tcp_sock *ts, int events)
{
    struct app *a = user;
    if (events & TCP_EV_ERROR) {
        int err = tcp_sock_error(ts);
        if (err != 0)
            fail(a->fl, "%s: socket error %d (%s)", simlink_side_name(a->side), err,
                 strerror(err < 0 ? -err : err));
    }
    if (events & TCP_EV_CLOSED)
        a->closed_ev = true;
}

static void on_listener(void *user, struct tcp_sock *ts, int events)
{
    struct flow *fl = user;
    (void)ts;
    if (events & TCP_EV_ACCEPT)
        fl->accept_ready = true;
}

static bool synchronized(enum tcp_state st)
{
    return st != TCP_CLOSED && st != TCP_LISTEN && st != TCP_SYN_SENT &&
           st != TCP_SYN_RECEIVED;
}

static void app_send(struct flow *fl, struct app *a, uint64_t now)
{
    for (int round = 0; round < PUMP_ROUNDS && a->tx_done < a->tx_total; round++) {
        size_t room = tcp_sock_writable(a->ts);
        if (room == 0)
            return;
        uint64_t left = a->tx_total - a->tx_done;
        size_t n = room < CHUNK ? room : CHUNK;
        if (n > left)
            n = (size_t)left;
        flow_stream_fill(fl->buf, a->tx_key, a->tx_done, n);
        long r = tcp_sock_send(a->ts, fl->buf, n, now);
        if (r == -EAGAIN)
            return;
        if (r <= 0 || (size_t)r > n) {
            fail(fl, "%s: send(%zu) returned %ld", simlink_side_name(a->side), n, r);
            return;
        }
        a->tx_done += (uint64_t)r;
    }
    if (a->tx_done == a->tx_total && !a->shut_sent) {
        int r = tcp_sock_shutdown(a->ts, 1, now);
        if (r != 0)
            fail(fl, "%s: shutdown(SHUT_WR) returned %d", simlink_side_name(a->side), r);
        a->shut_sent = true;
    }
}

static void app_recv(struct flow *fl, struct app *a, uint64_t now)
{
    if (a->pause_after != 0 && !a->paused && a->rx_done >= a->pause_after) {
        a->paused = true;
        a->pause_until = now + fl->fp->pause_ns;
    }
    if (a->paused && now < a->pause_until)
        return;
    for (int round = 0; round < PUMP_ROUNDS && !a->eof; round++) {
        long r = tcp_sock_recv(a->ts, fl->buf, CHUNK, now);
        if (r == -EAGAIN)
            return;
        if (r == 0) {
            a->eof = true;
            if (a->rx_done != a->rx_expect)
                fail(fl, "%s: EOF after %" PRIu64 " of %" PRIu64 " bytes",
                     simlink_side_name(a->side), a->rx_done, a->rx_expect);
            return;
        }
        if (r < 0 || r > CHUNK) {
            fail(fl, "%s: recv returned %ld", simlink_side_name(a->side), r);
            return;
        }
        if (a->rx_done + (uint64_t)r > a->rx_expect) {
            fail(fl, "%s: %" PRIu64 " bytes received, only %" PRIu64 " were sent",
                 simlink_side_name(a->side), a->rx_done + (uint64_t)r, a->rx_expect);
            return;
        }
        flow_stream_fill(fl->want, a->rx_key, a->rx_done, (size_t)r);
        if (memcmp(fl->buf, fl->want, (size_t)r) != 0) {
            size_t i = 0;
            while (fl->buf[i] == fl->want[i])
                i++;
            fail(fl, "%s: byte %" PRIu64 " is 0x%02x, sent 0x%02x",
                 simlink_side_name(a->side), a->rx_done + i, fl->buf[i], fl->want[i]);
            return;
        }
        a->rx_done += (uint64_t)r;
        if (a->rx_done == a->rx_expect)
            a->rx_full_at = now;
    }
}

static void take_accept(struct flow *fl)
{
    struct app *b = &fl->app[SIM_B];
    if (fl->listener == NULL || b->ts != NULL || !fl->accept_ready)
        return;
    int err = 0;
    b->ts = tcp_sock_accept(fl->listener, on_sock, b, &err);
    if (b->ts == NULL) {
        if (err != -EAGAIN)
            fail(fl, "accept failed: %d", err);
        fl->accept_ready = false;
        return;
    }
    struct ip_endpoint peer, a_local;
    if (tcp_sock_getpeername(b->ts, &peer) != 0 ||
        tcp_sock_getsockname(fl->app[SIM_A].ts, &a_local) != 0 || peer.addr.u.v4 != SIM_IP_A ||
        peer.port != a_local.port)
        fail(fl, "accepted connection has the wrong peer (port %u, A is on %u)", peer.port,
             a_local.port);
}

static void pump(struct flow *fl)
{
    uint64_t now = fl->l->now;
    take_accept(fl);
    for (int side = 0; side < 2; side++) {
        struct app *a = &fl->app[side];
        if (a->ts == NULL)
            continue;
        if (!a->up) {
            a->up = synchronized(tcp_sock_state(a->ts));
            if (!a->up)
                continue;
            a->up_at = now;
        }
        app_recv(fl, a, now);
        app_send(fl, a, now);
    }
}

/* The app's own timer: the end of a receive pause. */
static uint64_t app_deadline(const struct flow *fl)
{
    uint64_t t = STACK_NO_DEADLINE;
    for (int side = 0; side < 2; side++) {
        const struct app *a = &fl->app[side];
        if (a->paused && a->pause_until > fl->l->now && a->pause_until < t)
            t = a->pause_until;
    }
    return t;
}

static struct ip_endpoint ep(uint32_t ip, uint16_t port)
{
    struct ip_endpoint e;
    memset(&e, 0, sizeof e);
    e.addr = ip_addr_v4(ip);
    e.port = port;
    return e;
}

static void open_sockets(struct flow *fl)
{
    struct app *a = &fl->app[SIM_A], *b = &fl->app[SIM_B];
    uint64_t now = fl->l->now;
    a->ts = tcp_sock_open(simlink_stack(fl->l, SIM_A), on_sock, a);
    if (a->ts == NULL) {
        fail(fl, "tcp_sock_open failed on A");
        return;
    }
    if (fl->fp->simultaneous_open) {
        /* RFC 9293 3.5 figure 8: both SYNs cross on the wire. */
        b->ts = tcp_sock_open(simlink_stack(fl->l, SIM_B), on_sock, b);
        if (b->ts == NULL) {
            fail(fl, "tcp_sock_open failed on B");
            return;
        }
        struct ip_endpoint la = ep(SIM_IP_A, FLOW_SIMOPEN_PORT_A);
        struct ip_endpoint lb = ep(SIM_IP_B, FLOW_SIMOPEN_PORT_B);
        int ra = tcp_sock_bind(a->ts, &la), rb = tcp_sock_bind(b->ts, &lb);
        if (ra != 0 || rb != 0) {
            fail(fl, "bind for simultaneous open: A %d, B %d", ra, rb);
            return;
        }
        ra = tcp_sock_connect(a->ts, &lb, now);
        rb = tcp_sock_connect(b->ts, &la, now);
        if (ra != -EINPROGRESS || rb != -EINPROGRESS)
            fail(fl, "simultaneous connect: A %d, B %d (want -EINPROGRESS)", ra, rb);
        return;
    }
    fl->listener = tcp_sock_open(simlink_stack(fl->l, SIM_B), on_listener, fl);
    if (fl->listener == NULL) {
        fail(fl, "tcp_sock_open failed on B");
        return;
    }
    struct ip_endpoint lb = ep(SIM_IP_B, FLOW_PORT_B);
    int r = tcp_sock_bind(fl->listener, &lb);
    if (r == 0)
        r = tcp_sock_listen(fl->listener, 16);
    if (r != 0) {
        fail(fl, "B: bind+listen returned %d", r);
        return;
    }
    r = tcp_sock_connect(a->ts, &lb, now);
    if (r != -EINPROGRESS)
        fail(fl, "A: connect returned %d (want -EINPROGRESS)", r);
}

static bool transfer_done(const struct flow *fl)
{
    for (int side = 0; side < 2; side++) {
        const struct app *a = &fl->app[side];
        if (a->ts == NULL || !a->eof || !a->shut_sent)
            return false;
    }
    return true;
}

static bool both_finished(const struct flow *fl)
{
    for (int side = 0; side < 2; side++) {
        enum tcp_state st = tcp_sock_state(fl->app[side].ts);
        if (st != TCP_TIME_WAIT && st != TCP_CLOSED)
            return false;
    }
    return true;
}

/* Step until cond holds (checked after every pump), a failure, the link
 * idling, or a limit. */
static bool run_until(struct flow *fl, bool (*cond)(const struct flow *), const char *what)
{
    for (;;) {
        pump(fl);
        if (!fl->res->ok)
            return false;
        if (cond(fl))
            return true;
        enum sim_step_result r = simlink_step(fl->l, app_deadline(fl));
        if (r == SIM_STEP_IDLE) {
            fail(fl, "stalled before %s: nothing scheduled on the link or in either stack",
                 what);
            return false;
        }
        if (r == SIM_STEP_LIMIT) {
            fail(fl, "limit before %s (%" PRIu64 " steps)", what, fl->l->steps);
            return false;
        }
    }
}

static void collect(struct flow *fl)
{
    struct flow_result *r = fl->res;
    for (int side = 0; side < 2; side++) {
        const uint64_t *c = stack_counters(simlink_stack(fl->l, side));
        struct flow_side_stats *st = &r->side[side];
        st->retrans = c[CTR_TCP_RETRANS_SEGS];
        st->timeouts = c[CTR_TCP_TIMEOUTS];
        st->fast_retrans = c[CTR_TCP_FAST_RETRANS];
        st->persist_probes = c[CTR_TCP_PERSIST_PROBES];
        st->bad_csum = c[CTR_TCP_RX_DROP_BAD_CSUM];
        st->integrity_drops = simlink_integrity_drops(simlink_stack(fl->l, side));
        st->sack_recoveries = c[CTR_TCP_SACK_RECOVERIES];
        st->reno_recoveries = c[CTR_TCP_RENO_RECOVERIES];
        st->ooo = c[CTR_TCP_RX_OUT_OF_ORDER];
        st->dup_data = c[CTR_TCP_RX_DUP_DATA];
        st->active_opens = c[CTR_TCP_ACTIVE_OPENS];
        st->passive_opens = c[CTR_TCP_PASSIVE_OPENS];
        st->established = c[CTR_TCP_CONN_ESTABLISHED];
        st->rsts_sent = c[CTR_TCP_TX_RSTS];
        r->link[side] = fl->l->dir[side].st;
        r->received[side] = fl->app[side].rx_done;
    }
    r->steps = fl->l->steps;
    r->total_ns = fl->l->now - SIM_START_NS;
}

/* Close everything, let TIME-WAIT run out, and check nothing is left. */
static void finish(struct flow *fl)
{
    uint64_t now = fl->l->now;
    for (int side = 0; side < 2; side++) {
        if (fl->app[side].ts != NULL) {
            tcp_sock_close(fl->app[side].ts, now);
            fl->app[side].ts = NULL;
        }
    }
    if (fl->listener != NULL) {
        tcp_sock_close(fl->listener, now);
        fl->listener = NULL;
    }
    enum sim_step_result r = SIM_STEP_OK;
    while (r == SIM_STEP_OK)
        r = simlink_step(fl->l, STACK_NO_DEADLINE);
    if (r == SIM_STEP_LIMIT) {
        fail(fl, "limit while closing (TIME-WAIT never ended?)");
        return;
    }
    for (int side = 0; side < 2; side++) {
        struct tcp_conn_info left[4];
        size_t n = stack_tcp_list(simlink_stack(fl->l, side), left, 4);
        if (n != 0)
            fail(fl, "%s still holds %zu TCP socket(s) after close, first %s",
                 simlink_side_name(side), n, tcp_state_name(left[0].state));
    }
}

void flow_run(const struct simlink_config *lc, const struct flow_params *fp,
              struct flow_result *res)
{
    memset(res, 0, sizeof *res);
    res->ok = true;
    struct flow *fl = calloc(1, sizeof *fl);
    if (fl == NULL) {
        res->ok = false;
        snprintf(res->why, sizeof res->why, "out of memory");
        return;
    }
    fl->fp = fp;
    fl->res = res;
    fl->l = simlink_new(lc);
    if (fl->l == NULL) {
        res->ok = false;
        snprintf(res->why, sizeof res->why, "simlink_new failed");
        free(fl);
        return;
    }
    fl->l->tap = fp->tap;
    fl->l->tap_ctx = fp->tap_ctx;
    struct sim_rng keys;
    sim_rng_seed(&keys, sim_mix64(lc->seed ^ 0x57524541u));
    uint64_t stream_key[2] = {sim_rng_next(&keys), sim_rng_next(&keys)};
    for (int side = 0; side < 2; side++) {
        struct app *a = &fl->app[side];
        a->fl = fl;
        a->side = side;
        a->tx_key = stream_key[side];
        a->rx_key = stream_key[1 - side];
        a->tx_total = fp->bytes[side];
        a->rx_expect = fp->bytes[1 - side];
        a->pause_after = fp->pause_after[side];
    }

    open_sockets(fl);
    if (res->ok && run_until(fl, transfer_done, "both EOFs")) {
        res->transfer_ns = fl->l->now - SIM_START_NS;
        for (int side = 0; side < 2; side++) {
            res->up_ns[side] = fl->app[side].up_at - SIM_START_NS;
            res->rx_full_ns[side] = fl->app[side].rx_full_at != 0
                                        ? fl->app[side].rx_full_at - SIM_START_NS : 0;
        }
        for (int side = 0; side < 2; side++) {
            if (tcp_sock_getopt(fl->app[side].ts, TCP_OPT_MAXSEG, &res->side[side].mss) != 0)
                res->side[side].mss = -1;
        }
        if (run_until(fl, both_finished, "TIME-WAIT/CLOSED on both sides")) {
            for (int side = 0; side < 2; side++) {
                if (!fl->app[side].closed_ev)
                    fail(fl, "%s: no TCP_EV_CLOSED", simlink_side_name(side));
            }
        }
    }
    if (res->ok)
        finish(fl);
    collect(fl);
    /* After a failure, sockets may still be open: stack_free takes them. */
    simlink_free(fl->l);
    free(fl);
}
