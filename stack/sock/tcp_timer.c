/* tcp_timer.c - TCP timers: retransmission (RFC 6298), persist (RFC 9293
 * 3.8.6.1), delayed ACK (RFC 1122 4.2.3.2), keepalive (RFC 1122
 * 4.2.3.6), TIME-WAIT (2*MSL) and the orphaned FIN-WAIT-2 limit, TCP_CORK's
 * ceiling, RACK's reordering timer and the tail loss probe (RFC 8985).
 *
 * Each connection keeps absolute deadlines (0 = off) and sits in the
 * table's timer heap (util/timer_heap.h) at the earliest of them, so
 * stack_next_deadline() is O(1), arming or stopping a timer is O(log n)
 * and tcp_poll() touches only the connections that are due: its cost per
 * expiry does not grow with the number of connections (at 50,000 idle
 * connections, a walk of all of them at every delayed ACK took seconds). */
#include <errno.h>
#include <stddef.h>

#include "stack/sock/tcp_impl.h"

uint64_t tcp_timer_earliest(const struct tcp_sock *ts)
{
    uint64_t first = 0;
    for (int t = 0; t < TCP_T_COUNT; t++)
        if (ts->timer[t] != 0 && (first == 0 || ts->timer[t] < first))
            first = ts->timer[t];
    return first;
}

/* Put the connection at its earliest deadline in the heap (or take it
 * out). A socket being freed never goes back in. The heap has room for
 * every socket (sock_alloc reserves it), so this cannot fail. */
static void timer_sync(struct tcp_sock *ts)
{
    struct timer_heap *h = &ts->s->tcp->timers;
    uint64_t first = ts->zombie ? 0 : tcp_timer_earliest(ts);
    if (first == 0)
        timer_heap_remove(h, &ts->tnode);
    else
        (void)timer_heap_set(h, &ts->tnode, first);
}

void tcp_timer_set(struct tcp_sock *ts, enum tcp_timer t, uint64_t when)
{
    if (when == 0)
        when = 1;
    ts->timer[t] = when;
    timer_sync(ts);
}

void tcp_timer_stop(struct tcp_sock *ts, enum tcp_timer t)
{
    if (ts->timer[t] == 0)
        return;
    ts->timer[t] = 0;
    timer_sync(ts);
}

void tcp_timer_stop_all(struct tcp_sock *ts)
{
    for (int t = 0; t < TCP_T_COUNT; t++)
        ts->timer[t] = 0;
    timer_heap_remove(&ts->s->tcp->timers, &ts->tnode);
}

void tcp_timer_arm_rtx(struct tcp_sock *ts, uint64_t now)
{
    tcp_timer_set(ts, TCP_T_RTX, now + tcp_rtt_backoff(&ts->rtt, ts->backoff));
}

static bool synchronized(enum tcp_state st)
{
    return st == TCP_ESTABLISHED || st == TCP_FIN_WAIT_1 || st == TCP_FIN_WAIT_2 ||
           st == TCP_CLOSE_WAIT;
}

void tcp_keepalive_reset(struct tcp_sock *ts, uint64_t now)
{
    if (!ts->keepalive || !synchronized(ts->state)) {
        tcp_timer_stop(ts, TCP_T_KEEPALIVE);
        return;
    }
    ts->probes = ts->timer[TCP_T_PERSIST] != 0 ? ts->probes : 0;
    tcp_timer_set(ts, TCP_T_KEEPALIVE, now + (uint64_t)ts->keep_idle_s * NS_PER_SEC);
}

/* RFC 6298 5.4-5.7 and RFC 5681 3.1: back off, shrink the window, resend
 * from the first unacknowledged byte; give up after the configured number
 * of tries (RFC 1122 4.2.3.5 R2) with ETIMEDOUT. */
static void on_rtx_timeout(struct tcp_sock *ts, uint64_t now)
{
    const struct stack_tcp_config *c = &ts->s->cfg.tcp;
    ctr_inc(ts->s, CTR_TCP_TIMEOUTS);
    uint32_t limit = c->retries2;
    if (ts->state == TCP_SYN_SENT)
        limit = c->syn_retries;
    else if (ts->state == TCP_SYN_RECEIVED)
        limit = c->synack_retries;
    if (ts->retries >= limit) {
        ctr_inc(ts->s, CTR_TCP_CONN_TIMEOUTS);
        if (ts->state == TCP_SYN_SENT || ts->state == TCP_SYN_RECEIVED)
            ctr_inc(ts->s, CTR_TCP_ATTEMPT_FAILS);
        else
            tcp_send_rst(ts, now);
        /* Linux tcp_write_err: the last ICMP error, if any, says more. */
        tcp_done(ts, ts->soft_error != 0 ? ts->soft_error : ETIMEDOUT, now);
        return;
    }
    ts->retries++;
    if (ts->backoff < 64)
        ts->backoff++;
    /* RFC 4821 10.3: full-sized segments timing out again and again with
     * no ICMP error may be a path MTU black hole (a filtered "fragmentation
     * needed" or Packet Too Big): after Linux's tcp_retries1 timeouts,
     * lower the path and resend smaller (core/pmtu.c; it expires, and the
     * full size is tried again, in 10 minutes). */
    if (ts->retries == PMTU_BLACKHOLE_RTOS && synchronized(ts->state) && ts->rt.nif != NULL &&
        tcp_flight(ts) > ts->smss) {
        uint32_t hdr = ts->t.raddr.family == IP_FAMILY_V6 ? 60 : 40;
        uint32_t mtu = (uint32_t)ts->smss + (ts->ts_ok ? TCP_TS_OPTLEN : 0) + hdr;
        if (ip_pmtu_blackhole(ts->s, &ts->t.raddr, mtu, now))
            tcp_update_mss(ts);
    }
    if (ts->state == TCP_SYN_SENT || ts->state == TCP_SYN_RECEIVED) {
        ctr_inc(ts->s, CTR_TCP_SYN_RETRANS);
        tcp_send_syn(ts, now);
        tcp_timer_arm_rtx(ts, now);
        return;
    }
    /* Only the first expiry of a series takes the window down (RFC 5681
     * 3.1: ssthresh from the flight at the first loss). */
    if (ts->backoff == 1)
        ts->cc.ops->on_rto(&ts->cc, tcp_flight(ts), now);
    else
        ts->cc.cwnd = ts->cc.mss;
    ts->in_recovery = false;
    ts->dupacks = 0;
    ts->recover = ts->snd_max; /* RFC 6582 4: no fast retransmit for older data */
    ts->high_rxt = ts->snd_una;
    /* The receiver may have reneged on what it SACKed (RFC 2018 8):
     * forget it rather than wait forever for data we would skip. RACK's
     * marks go with it (go-back-N resends everything), and so does a
     * probe in flight (RFC 8985 7.3: the RTO takes over). */
    sb_clear(&ts->sb);
    tcp_txlog_clear_marks(&ts->txlog);
    ts->tlp_pending = false;
    tcp_timer_stop(ts, TCP_T_TLP);
    tcp_timer_stop(ts, TCP_T_RACK);
    ts->rtt_timing = false;
    ts->snd_nxt = ts->snd_una;
    tcp_timer_stop(ts, TCP_T_RTX);
    tcp_output(ts, now);
    tcp_timer_arm_rtx(ts, now);
}

static void on_persist(struct tcp_sock *ts, uint64_t now)
{
    if (ts->probes >= ts->s->cfg.tcp.retries2) {
        /* Linux tcp_probe_timer: a peer that answers nothing is gone. */
        ctr_inc(ts->s, CTR_TCP_CONN_TIMEOUTS);
        tcp_send_rst(ts, now);
        tcp_done(ts, ETIMEDOUT, now);
        return;
    }
    ctr_inc(ts->s, CTR_TCP_PERSIST_PROBES);
    ts->probes++;
    if (ts->persist_backoff < 64)
        ts->persist_backoff++;
    tcp_send_probe(ts, now);
    tcp_timer_set(ts, TCP_T_PERSIST, now + tcp_rtt_backoff(&ts->rtt, ts->persist_backoff));
}

static void on_keepalive(struct tcp_sock *ts, uint64_t now)
{
    if (!ts->keepalive || !synchronized(ts->state))
        return;
    if (ts->snd_max != ts->snd_una || ring_len(&ts->sndbuf) > 0) {
        /* Data in flight has its own timer; check again later. */
        tcp_timer_set(ts, TCP_T_KEEPALIVE, now + (uint64_t)ts->keep_intvl_s * NS_PER_SEC);
        return;
    }
    if (ts->probes >= ts->keep_cnt) {
        ctr_inc(ts->s, CTR_TCP_CONN_TIMEOUTS);
        tcp_send_rst(ts, now);
        tcp_done(ts, ETIMEDOUT, now);
        return;
    }
    ctr_inc(ts->s, CTR_TCP_KEEPALIVE_PROBES);
    ts->probes++;
    tcp_send_probe(ts, now);
    tcp_timer_set(ts, TCP_T_KEEPALIVE, now + (uint64_t)ts->keep_intvl_s * NS_PER_SEC);
}

static void run_timers(struct tcp_sock *ts, uint64_t now)
{
    for (int t = 0; t < TCP_T_COUNT; t++) {
        if (ts->timer[t] == 0 || ts->timer[t] > now || ts->zombie)
            continue;
        ts->timer[t] = 0;
        switch ((enum tcp_timer)t) {
        case TCP_T_RTX:
            on_rtx_timeout(ts, now);
            break;
        case TCP_T_PERSIST:
            on_persist(ts, now);
            break;
        case TCP_T_DELACK:
            if (ts->state != TCP_CLOSED && ts->state != TCP_LISTEN) {
                ctr_inc(ts->s, CTR_TCP_DELAYED_ACKS);
                /* Linux tcp_delack_timer_handler: the answer did not come
                 * in time to carry the ACK: leave pingpong mode. */
                ts->pingpong = false;
                tcp_send_ack(ts, now);
            }
            break;
        case TCP_T_KEEPALIVE:
            on_keepalive(ts, now);
            break;
        case TCP_T_RACK:
            tcp_rack_timeout(ts, now);
            break;
        case TCP_T_TLP:
            tcp_tlp_fire(ts, now);
            break;
        case TCP_T_CORK:
            /* tcp(7): corked output waits at most 200 ms; after an uncork
             * (due at once) the usual rules (Nagle, TCP_NODELAY) apply. */
            ts->force_push = ts->cork;
            tcp_output(ts, now);
            ts->force_push = false;
            break;
        case TCP_T_LINGER:
            /* 2*MSL over (RFC 9293 3.10.8), or an orphan gave up waiting
             * for the peer's FIN (Linux tcp_fin_timeout). */
            if (ts->state == TCP_FIN_WAIT_2)
                tcp_send_rst(ts, now);
            tcp_set_state(ts, TCP_CLOSED, now);
            break;
        default:
            break;
        }
        if (ts->state == TCP_CLOSED)
            break;
    }
}

static struct tcp_sock *sock_of_node(struct timer_node *n)
{
    return (struct tcp_sock *)(void *)((char *)n - offsetof(struct tcp_sock, tnode));
}

void tcp_poll(struct stack *s, uint64_t now)
{
    struct tcp_table *tb = s->tcp;
    struct timer_node *n;
    if (tb == NULL || (n = timer_heap_min(&tb->timers)) == NULL || n->when > now)
        return;
    tb->depth++;
    /* Take every connection due off the heap first, earliest first: a
     * handler that arms a timer at `now` again (or one of another
     * connection) waits for the next poll instead of looping here. The
     * sockets stay allocated while depth > 0, so the list stays valid
     * whatever the callbacks close. */
    struct tcp_sock *due = NULL, **tail = &due;
    while ((n = timer_heap_min(&tb->timers)) != NULL && n->when <= now) {
        struct tcp_sock *ts = sock_of_node(n);
        timer_heap_remove(&tb->timers, n);
        ts->due_next = NULL;
        *tail = ts;
        tail = &ts->due_next;
    }
    for (struct tcp_sock *ts = due; ts != NULL; ts = ts->due_next) {
        if (ts->zombie)
            continue;
        run_timers(ts, now);
        tcp_flush_events(ts);
        timer_sync(ts);
    }
    tb->depth--;
    tcp_reap(s);
}

uint64_t tcp_next_deadline(const struct stack *s)
{
    struct timer_node *n = s->tcp != NULL ? timer_heap_min(&s->tcp->timers) : NULL;
    return n != NULL ? n->when : STACK_NO_DEADLINE;
}
