/* tcp.c - TCP sockets: the API of stack/stack.h, the connection table
 * and its demux, ports, events and freeing.
 *
 * A socket is bound (in lhash by local port) or has a connection (in hash
 * by 4-tuple). Listeners stay in lhash; their children are hashed by
 * 4-tuple from the SYN on. A socket is never freed in the middle of the
 * stack's own processing: tcp_free_later() unhashes it and the reap at the
 * end of the outermost call frees it, so loops over the lists stay safe
 * whatever the callbacks do. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "stack/sock/ports.h"
#include "stack/sock/sock_addr.h"
#include "stack/sock/tcp_impl.h"
#include "stack/util/siphash.h"

static const char *const state_names[TCP_STATE_COUNT] = {
    "CLOSED", "LISTEN", "SYN-SENT", "SYN-RECEIVED", "ESTABLISHED", "FIN-WAIT-1",
    "FIN-WAIT-2", "CLOSE-WAIT", "CLOSING", "LAST-ACK", "TIME-WAIT",
};

const char *tcp_state_name(enum tcp_state st)
{
    return (unsigned)st < TCP_STATE_COUNT ? state_names[st] : "?";
}

/* ---- table ---- */

int tcp_table_init(struct stack *s)
{
    s->tcp = calloc(1, sizeof *s->tcp);
    if (s->tcp == NULL)
        return -ENOMEM;
    s->tcp->hash = calloc(TCP_HASH_MIN, sizeof *s->tcp->hash);
    s->tcp->hash_size = TCP_HASH_MIN;
    timer_heap_init(&s->tcp->timers);
    if (s->tcp->hash == NULL) {
        free(s->tcp);
        s->tcp = NULL;
        return -ENOMEM;
    }
    /* RFC 5961 10 asks for a limit on challenge ACKs; Linux allows 1000/s. */
    token_bucket_init(&s->tcp->challenge_bucket, 1000, 100);
    s->tcp->txbuf_cap = PBUF_HEADROOM + STACK_TSO_MAX_IP + 64;
    s->tcp->txbuf = malloc(s->tcp->txbuf_cap);
    if (s->tcp->txbuf == NULL) {
        free(s->tcp->hash);
        free(s->tcp);
        s->tcp = NULL;
        return -ENOMEM;
    }
    return 0;
}

static void sock_release(struct tcp_sock *ts)
{
    tcp_txlog_free(&ts->txlog);
    ring_free(&ts->sndbuf);
    ring_free(&ts->rcvbuf);
    asm_free(&ts->ooo);
}

void tcp_table_free(struct stack *s)
{
    if (s->tcp == NULL)
        return;
    timer_heap_free(&s->tcp->timers); /* first: it touches the sockets' nodes */
    struct tcp_sock *ts = s->tcp->all;
    while (ts != NULL) {
        struct tcp_sock *next = ts->all_next;
        sock_release(ts);
        free(ts);
        ts = next;
    }
    free(s->tcp->txbuf);
    free(s->tcp->hash);
    free(s->tcp);
    s->tcp = NULL;
}

static uint32_t tuple_hash(const struct stack *s, const struct tcp_tuple *t)
{
    uint8_t msg[2 * SOCK_ADDR_BYTES + 4];
    sock_addr_bytes(msg, &t->laddr);
    sock_addr_bytes(msg + SOCK_ADDR_BYTES, &t->raddr);
    wr16(msg + 2 * SOCK_ADDR_BYTES, t->lport);
    wr16(msg + 2 * SOCK_ADDR_BYTES + 2, t->rport);
    /* Keyed, so a peer cannot aim many connections at one bucket. The
     * table's size is a power of two: the low bits pick the bucket. */
    return (uint32_t)siphash24(s->cfg.key, msg, sizeof msg);
}

static bool tuple_eq(const struct tcp_tuple *a, const struct tcp_tuple *b)
{
    return a->lport == b->lport && a->rport == b->rport && ip_addr_eq(&a->laddr, &b->laddr) &&
           ip_addr_eq(&a->raddr, &b->raddr);
}

static void push_chain(struct tcp_sock **head, struct tcp_sock *ts)
{
    ts->hash_next = *head;
    if (*head != NULL)
        (*head)->hash_pprev = &ts->hash_next;
    ts->hash_pprev = head;
    *head = ts;
}

/* Move every connection into a table of size buckets (a power of two).
 * Without memory for it the old table stays: longer chains, still right. */
static void hash_resize(struct tcp_table *tb, uint32_t size)
{
    struct tcp_sock **nh = calloc(size, sizeof *nh);
    if (nh == NULL)
        return;
    for (uint32_t i = 0; i < tb->hash_size; i++) {
        struct tcp_sock *ts = tb->hash[i];
        while (ts != NULL) {
            struct tcp_sock *next = ts->hash_next;
            push_chain(&nh[ts->hash_val & (size - 1)], ts);
            ts = next;
        }
    }
    free(tb->hash);
    tb->hash = nh;
    tb->hash_size = size;
}

static void unhash(struct tcp_sock *ts)
{
    if (ts->in_hash || ts->in_lhash) {
        *ts->hash_pprev = ts->hash_next;
        if (ts->hash_next != NULL)
            ts->hash_next->hash_pprev = ts->hash_pprev;
        ts->hash_next = NULL;
    }
    if (ts->in_hash) {
        struct tcp_table *tb = ts->s->tcp;
        tb->n_hashed--;
        /* Halve below one connection per four buckets: the table follows
         * the load down as well as up. */
        if (tb->hash_size > TCP_HASH_MIN && tb->n_hashed < tb->hash_size / 4)
            hash_resize(tb, tb->hash_size / 2);
    }
    ts->in_hash = ts->in_lhash = false;
}

void tcp_hash_connection(struct tcp_sock *ts)
{
    unhash(ts);
    struct tcp_table *tb = ts->s->tcp;
    /* Double past one connection per bucket (at most 2^30 buckets). */
    if (tb->n_hashed >= tb->hash_size && tb->hash_size < (1u << 30))
        hash_resize(tb, tb->hash_size * 2);
    ts->hash_val = tuple_hash(ts->s, &ts->t);
    push_chain(&tb->hash[ts->hash_val & (tb->hash_size - 1)], ts);
    ts->in_hash = true;
    tb->n_hashed++;
}

static void hash_bound(struct tcp_sock *ts)
{
    unhash(ts);
    push_chain(&ts->s->tcp->lhash[ts->t.lport % TCP_LHASH_SIZE], ts);
    ts->in_lhash = true;
}

struct tcp_sock *tcp_lookup(struct stack *s, const struct tcp_tuple *t)
{
    struct tcp_table *tb = s->tcp;
    uint32_t h = tuple_hash(s, t);
    for (struct tcp_sock *ts = tb->hash[h & (tb->hash_size - 1)]; ts != NULL; ts = ts->hash_next)
        if (ts->hash_val == h && tuple_eq(&ts->t, t))
            return ts;
    /* No connection: a listener on the port, the exact address first,
     * then a wildcard of the segment's family, then a dual-stack one. */
    struct tcp_sock *best = NULL;
    int best_rank = 3;
    for (struct tcp_sock *ts = s->tcp->lhash[t->lport % TCP_LHASH_SIZE]; ts != NULL;
         ts = ts->hash_next) {
        if (ts->state != TCP_LISTEN || ts->t.lport != t->lport)
            continue;
        int rank = sock_addr_rank(&ts->t.laddr, ts->family, ts->v6only, &t->laddr);
        if (rank == 0)
            return ts;
        if (rank > 0 && rank < best_rank) {
            best = ts;
            best_rank = rank;
        }
    }
    return best;
}

/* Is lport on laddr taken for a new bind? Listeners always conflict;
 * others unless both sides asked for SO_REUSEADDR or the other one is in
 * TIME-WAIT and we asked (Linux's rules, simplified). */
static bool port_taken(struct stack *s, const struct tcp_sock *me, const struct ip_addr *laddr,
                       uint16_t lport)
{
    uint8_t fam = me != NULL ? me->family : IP_FAMILY_NONE;
    bool v6only = me != NULL && me->v6only;
    for (struct tcp_sock *o = s->tcp->all; o != NULL; o = o->all_next) {
        if (o == me || o->zombie || !o->bound || o->t.lport != lport)
            continue;
        if (!sock_addr_overlap(laddr, fam, v6only, &o->t.laddr, o->family, o->v6only))
            continue;
        if (o->state == TCP_LISTEN)
            return true;
        bool reuse = me != NULL && me->reuseaddr;
        if (reuse && (o->reuseaddr || o->state == TCP_TIME_WAIT || o->state == TCP_CLOSED))
            continue;
        return true;
    }
    return false;
}

struct port_walk {
    struct stack *s;
    const struct tcp_sock *me;
    const struct ip_addr *local;
};

static bool walk_port_taken(void *ctx, uint16_t port)
{
    const struct port_walk *w = ctx;
    return port_taken(w->s, w->me, w->local, port);
}

/* RFC 6056 3.3.3 (algorithm 3), as for UDP. For a connect the 4-tuple must
 * be free; for a bind (remote any) the port. */
static uint16_t ephemeral_port(struct stack *s, const struct tcp_sock *me,
                               const struct ip_addr *local, const struct ip_addr *remote,
                               uint16_t rport)
{
    struct port_walk w = {s, me, local};
    return ephemeral_port_pick(s->cfg.key, &s->tcp->next_ephemeral, local, remote, rport,
                               walk_port_taken, &w);
}

/* ---- sockets ---- */

static struct tcp_sock *sock_alloc(struct stack *s, tcp_event_fn cb, void *user)
{
    struct tcp_sock *ts = calloc(1, sizeof *ts);
    if (ts == NULL)
        return NULL;
    /* Room in the timer heap now, so arming a timer never fails later. */
    if (timer_heap_reserve(&s->tcp->timers, 1) != 0) {
        free(ts);
        return NULL;
    }
    ts->s = s;
    ts->cb = cb;
    ts->user = user;
    ts->state = TCP_CLOSED;
    const struct stack_tcp_config *c = &s->cfg.tcp;
    ts->sndbuf_size = c->sndbuf;
    ts->rcvbuf_size = c->rcvbuf;
    ts->keep_idle_s = (uint32_t)(c->keepalive_idle_ns / NS_PER_SEC);
    ts->keep_intvl_s = (uint32_t)(c->keepalive_intvl_ns / NS_PER_SEC);
    ts->keep_cnt = c->keepalive_cnt;
    ts->t.laddr = ip_addr_v4(0);
    ts->t.raddr = ip_addr_v4(0);
    tcp_rtt_init(&ts->rtt, c->rto_initial_ns, c->rto_min_ns, c->rto_max_ns);
    struct tcp_table *tb = s->tcp;
    ts->all_next = tb->all;
    if (tb->all != NULL)
        tb->all->all_pprev = &ts->all_next;
    ts->all_pprev = &tb->all;
    tb->all = ts;
    return ts;
}

struct tcp_sock *tcp_sock_open(struct stack *s, tcp_event_fn cb, void *user)
{
    if (s == NULL || s->tcp == NULL)
        return NULL;
    return sock_alloc(s, cb, user);
}

int tcp_alloc_buffers(struct tcp_sock *ts)
{
    /* The rings take memory only while they hold bytes (util/ring.h). */
    if (!ring_is_open(&ts->sndbuf) && ring_init(&ts->sndbuf, ts->sndbuf_size) != 0)
        return -ENOMEM;
    if (!ring_is_open(&ts->rcvbuf) && ring_init(&ts->rcvbuf, ts->rcvbuf_size) != 0)
        return -ENOMEM;
    if (ts->ooo.r == NULL && asm_init(&ts->ooo, ts->s->cfg.tcp.ooo_max_ranges) != 0)
        return -ENOMEM;
    return 0;
}

/* Our receive window shift (RFC 7323 2.2): the smallest that lets the
 * 16-bit field cover the whole receive buffer. */
static uint8_t pick_rcv_wscale(uint32_t rcvbuf)
{
    uint8_t shift = 0;
    while (shift < TCP_MAX_WSCALE && (rcvbuf >> shift) > TCP_MAX_WINDOW)
        shift++;
    return shift;
}

/* State every new connection starts from (active or passive). */
static void conn_init(struct tcp_sock *ts, uint64_t now)
{
    const struct stack_tcp_config *c = &ts->s->cfg.tcp;
    ts->iss = tcp_isn(ts->s->cfg.key, &ts->t, now);
    ts->snd_una = ts->snd_nxt = ts->snd_max = ts->iss;
    ts->buf_seq = ts->iss + 1;
    ts->push_seq = ts->buf_seq;
    ts->ts_offset = tcp_ts_offset(ts->s->cfg.key, &ts->t);
    ts->rcv_wscale = c->window_scaling ? pick_rcv_wscale(ts->rcvbuf_size) : 0;
    ts->rmss = tcp_mtu_mss(ts->rt.nif, ts->t.raddr.family);
    if (ts->user_mss != 0 && ts->user_mss < ts->rmss)
        ts->rmss = ts->user_mss; /* TCP_MAXSEG: Linux tcp_advertise_mss */
    ts->peer_mss = TCP_DEFAULT_MSS;
    tcp_update_mss(ts);
    tcp_cc_init(&ts->cc, (enum tcp_cc_algo)c->cc, ts->smss, now);
    ts->last_recv = now;
    ts->had_conn = true;
    ts->recover = ts->iss;
    ts->s->tcp->n_conns++;
}

struct tcp_sock *tcp_child_new(struct tcp_sock *l, const struct tcp_tuple *t, uint64_t now)
{
    struct stack *s = l->s;
    if (s->tcp->n_conns >= s->cfg.tcp.max_conns) {
        ctr_inc(s, CTR_TCP_RX_DROP_NO_MEMORY);
        return NULL;
    }
    struct tcp_sock *ts = sock_alloc(s, NULL, NULL);
    if (ts == NULL) {
        ctr_inc(s, CTR_TCP_RX_DROP_NO_MEMORY);
        return NULL;
    }
    ts->t = *t;
    ts->bound = true;
    ts->family = l->family;
    ts->v6only = l->v6only;
    ts->parent = l;
    ts->nodelay = l->nodelay;
    ts->keepalive = l->keepalive;
    ts->keep_idle_s = l->keep_idle_s;
    ts->keep_intvl_s = l->keep_intvl_s;
    ts->keep_cnt = l->keep_cnt;
    ts->sndbuf_size = l->sndbuf_size;
    ts->rcvbuf_size = l->rcvbuf_size;
    ts->linger0 = l->linger0;
    ts->cork = l->cork;
    ts->user_mss = l->user_mss;
    ts->tos = l->tos;
    ts->tclass = l->tclass;
    if (ip_route(s, &t->raddr, &t->laddr, &ts->rt) != 0 || ts->rt.broadcast ||
        tcp_alloc_buffers(ts) != 0) {
        ctr_inc(s, CTR_TCP_RX_DROP_NO_MEMORY);
        tcp_free_later(ts);
        return NULL;
    }
    conn_init(ts, now);
    ts->state = TCP_SYN_RECEIVED;
    tcp_hash_connection(ts);
    l->n_synq++;
    return ts;
}

/* ---- events and the end of connections ---- */

void tcp_notify(struct tcp_sock *ts, int events)
{
    ts->ev_pending |= events;
}

void tcp_flush_events(struct tcp_sock *ts)
{
    int ev = ts->ev_pending;
    ts->ev_pending = 0;
    if (ev == 0 || ts->orphan || ts->zombie || ts->cb == NULL)
        return;
    ts->cb(ts->user, ts, ev);
}

static void acceptq_remove(struct tcp_sock *l, struct tcp_sock *ts)
{
    struct tcp_sock **pp = &l->acc_head, *prev = NULL;
    while (*pp != NULL && *pp != ts) {
        prev = *pp;
        pp = &(*pp)->acc_next;
    }
    if (*pp == NULL)
        return;
    *pp = ts->acc_next;
    if (l->acc_tail == ts)
        l->acc_tail = prev;
    ts->acc_next = NULL;
    ts->in_acceptq = false;
    l->n_acceptq--;
}

/* Cut a child from its listener (it died, or was accepted). */
static void detach_child(struct tcp_sock *ts)
{
    struct tcp_sock *l = ts->parent;
    if (l == NULL)
        return;
    if (ts->in_acceptq)
        acceptq_remove(l, ts);
    else if (l->n_synq > 0)
        l->n_synq--;
    ts->parent = NULL;
}

void tcp_child_established(struct tcp_sock *ts)
{
    struct tcp_sock *l = ts->parent;
    if (l == NULL || ts->in_acceptq)
        return;
    if (l->n_synq > 0)
        l->n_synq--;
    ts->acc_next = NULL;
    if (l->acc_tail != NULL)
        l->acc_tail->acc_next = ts;
    else
        l->acc_head = ts;
    l->acc_tail = ts;
    ts->in_acceptq = true;
    l->n_acceptq++;
    tcp_notify(l, TCP_EV_ACCEPT | TCP_EV_READABLE);
}

void tcp_free_later(struct tcp_sock *ts)
{
    if (ts->zombie)
        return;
    struct tcp_table *tb = ts->s->tcp;
    detach_child(ts);
    unhash(ts);
    ts->zombie = true;
    timer_heap_remove(&tb->timers, &ts->tnode);
    ts->reap_next = tb->reap;
    tb->reap = ts;
    if (tb->depth == 0)
        tcp_reap(ts->s);
}

void tcp_reap(struct stack *s)
{
    struct tcp_table *tb = s->tcp;
    while (tb->reap != NULL) {
        struct tcp_sock *ts = tb->reap;
        tb->reap = ts->reap_next;
        *ts->all_pprev = ts->all_next;
        if (ts->all_next != NULL)
            ts->all_next->all_pprev = ts->all_pprev;
        sock_release(ts);
        free(ts);
        (void)timer_heap_reserve(&tb->timers, -1);
    }
}

static bool is_conn_state(enum tcp_state st)
{
    return st != TCP_CLOSED && st != TCP_LISTEN;
}

void tcp_set_state(struct tcp_sock *ts, enum tcp_state st, uint64_t now)
{
    enum tcp_state old = ts->state;
    if (old == st)
        return;
    ts->state = st;
    if (st == TCP_ESTABLISHED)
        ctr_inc(ts->s, CTR_TCP_CONN_ESTABLISHED);
    if (st == TCP_TIME_WAIT) {
        /* Only the numbers are needed now: give the buffers back. */
        tcp_timer_stop_all(ts);
        ring_free(&ts->sndbuf);
        tcp_txlog_free(&ts->txlog);
        asm_free(&ts->ooo);
        if (ts->orphan || ring_len(&ts->rcvbuf) == 0)
            ring_free(&ts->rcvbuf);
        tcp_timer_set(ts, TCP_T_LINGER, now + ts->s->cfg.tcp.time_wait_ns);
        tcp_notify(ts, TCP_EV_CLOSED | TCP_EV_READABLE);
    }
    if (st == TCP_CLOSED) {
        tcp_timer_stop_all(ts);
        if (is_conn_state(old) && ts->s->tcp->n_conns > 0)
            ts->s->tcp->n_conns--;
        if (ts->orphan || ts->parent != NULL) {
            tcp_free_later(ts);
            return;
        }
        /* The user still holds it: keep what it may read, unhash (the
         * 4-tuple is free again), keep the bound port reserved. */
        ring_free(&ts->sndbuf);
        tcp_txlog_free(&ts->txlog);
        asm_free(&ts->ooo);
        unhash(ts);
        ts->bound = false;
        tcp_notify(ts, TCP_EV_CLOSED | TCP_EV_READABLE | TCP_EV_WRITABLE);
    }
}

void tcp_done(struct tcp_sock *ts, int err, uint64_t now)
{
    if (err != 0 && !ts->orphan) {
        ts->error = err;
        tcp_notify(ts, TCP_EV_ERROR | TCP_EV_READABLE | TCP_EV_WRITABLE);
    }
    tcp_set_state(ts, TCP_CLOSED, now);
}

/* ---- the API ---- */

int tcp_sock_set_family(struct tcp_sock *ts, uint8_t family)
{
    if (ts == NULL || ts->bound || ts->state != TCP_CLOSED || ts->had_conn ||
        !sock_family_valid(family))
        return -EINVAL;
    ts->family = family;
    ts->t.laddr = sock_addr_any(family);
    ts->t.raddr = sock_addr_any(family);
    return 0;
}

int tcp_sock_bind(struct tcp_sock *ts, const struct ip_endpoint *local)
{
    if (ts == NULL || local == NULL)
        return -EINVAL;
    if (ts->bound || ts->state != TCP_CLOSED)
        return -EINVAL;
    uint8_t fam = ts->family;
    struct ip_addr laddr;
    int err = sock_addr_in(&fam, ts->v6only, &local->addr, &laddr);
    if (err != 0)
        return err == -ENETUNREACH ? -EINVAL : err; /* Linux: mapped on V6ONLY */
    if (!ip_addr_is_any(&laddr) && !ip_addr_is_local(ts->s, &laddr))
        return -EADDRNOTAVAIL;
    ts->family = fam;
    uint16_t port = local->port;
    if (port == 0) {
        struct ip_addr none = sock_addr_any(laddr.family);
        port = ephemeral_port(ts->s, ts, &laddr, &none, 0);
        if (port == 0)
            return -EADDRINUSE;
    } else if (port_taken(ts->s, ts, &laddr, port)) {
        return -EADDRINUSE;
    }
    ts->t.laddr = laddr;
    ts->t.lport = port;
    ts->bound = true;
    hash_bound(ts);
    return 0;
}

int tcp_sock_listen(struct tcp_sock *ts, int backlog)
{
    if (ts == NULL)
        return -EINVAL;
    if (ts->state == TCP_LISTEN) {
        ts->backlog = backlog < 1 ? 1 : (uint32_t)backlog; /* Linux lets it change */
        if (ts->backlog > ts->s->cfg.tcp.max_backlog)
            ts->backlog = ts->s->cfg.tcp.max_backlog;
        return 0;
    }
    if (ts->state != TCP_CLOSED || ring_is_open(&ts->rcvbuf))
        return -EINVAL;
    if (!ts->bound) {
        uint8_t fam = ts->family == IP_FAMILY_V6 ? IP_FAMILY_V6 : IP_FAMILY_V4;
        struct ip_endpoint any = {.addr = sock_addr_any(fam), .port = 0};
        int err = tcp_sock_bind(ts, &any);
        if (err != 0)
            return err;
    } else if (port_taken(ts->s, ts, &ts->t.laddr, ts->t.lport)) {
        return -EADDRINUSE;
    }
    uint32_t b = backlog < 1 ? 1 : (uint32_t)backlog;
    ts->backlog = b > ts->s->cfg.tcp.max_backlog ? ts->s->cfg.tcp.max_backlog : b;
    ts->state = TCP_LISTEN;
    return 0;
}

struct tcp_sock *tcp_sock_accept(struct tcp_sock *ts, tcp_event_fn cb, void *user, int *err)
{
    int dummy;
    if (err == NULL)
        err = &dummy;
    if (ts == NULL || ts->state != TCP_LISTEN) {
        *err = -EINVAL;
        return NULL;
    }
    struct tcp_sock *c = ts->acc_head;
    if (c == NULL) {
        *err = -EAGAIN;
        return NULL;
    }
    acceptq_remove(ts, c);
    c->parent = NULL;
    c->cb = cb;
    c->user = user;
    *err = 0;
    /* Whatever happened before accept is news to the new owner. */
    int ev = TCP_EV_WRITABLE;
    if (tcp_sock_readable(c) > 0 || c->fin_rcvd || c->error != 0)
        ev |= TCP_EV_READABLE;
    tcp_notify(c, ev);
    return c;
}

int tcp_sock_connect(struct tcp_sock *ts, const struct ip_endpoint *remote, uint64_t now)
{
    if (ts == NULL || remote == NULL)
        return -EINVAL;
    uint8_t fam = ts->family;
    struct ip_addr raddr;
    int err = sock_addr_in(&fam, ts->v6only, &remote->addr, &raddr);
    if (err != 0)
        return err;
    if (ts->state == TCP_SYN_SENT || ts->state == TCP_SYN_RECEIVED)
        return -EALREADY;
    if (ts->state == TCP_LISTEN)
        return -EINVAL;
    if (ts->state != TCP_CLOSED || ring_is_open(&ts->sndbuf))
        return -EISCONN;
    if (ip_addr_is_any(&raddr) || remote->port == 0)
        return -EINVAL;
    /* TCP is unicast only. */
    if (raddr.family == IP_FAMILY_V4 && ((raddr.u.v4 >> 24) >= 224 || raddr.u.v4 == 0xffffffffu))
        return -ENETUNREACH;
    if (raddr.family == IP_FAMILY_V6 && ipv6_addr_is_multicast(raddr.u.v6))
        return -ENETUNREACH;
    /* Bound to one family's address, the socket cannot reach the other
     * (a dual-stack wildcard can: its IPv4 source is chosen now). */
    const struct ip_addr *hint = NULL;
    if (ts->bound && ts->t.laddr.family == raddr.family)
        hint = &ts->t.laddr;
    else if (ts->bound && !ip_addr_is_any(&ts->t.laddr))
        return -ENETUNREACH;
    struct ip_route rt;
    err = ip_route(ts->s, &raddr, hint, &rt);
    if (err != 0)
        return err;
    if (rt.broadcast)
        return -ENETUNREACH;
    if (ts->s->tcp->n_conns >= ts->s->cfg.tcp.max_conns)
        return -EAGAIN;
    struct tcp_tuple t = {
        .laddr = rt.src, .raddr = raddr,
        .lport = ts->t.lport, .rport = remote->port,
    };
    if (!ts->bound) {
        struct ip_addr any = sock_addr_any(raddr.family);
        t.lport = ephemeral_port(ts->s, ts, &any, &raddr, remote->port);
        if (t.lport == 0)
            return -EADDRNOTAVAIL;
    }
    struct tcp_sock *o = tcp_lookup(ts->s, &t);
    if (o != NULL && o->state != TCP_LISTEN) {
        if (o->state != TCP_TIME_WAIT || !ts->reuseaddr)
            return -EADDRNOTAVAIL;
        tcp_set_state(o, TCP_CLOSED, now); /* reuse the TIME-WAIT tuple */
    }
    ts->rt = rt;
    ts->t = t;
    ts->bound = true;
    ts->family = fam;
    if (tcp_alloc_buffers(ts) != 0)
        return -ENOMEM;
    conn_init(ts, now);
    ts->state = TCP_SYN_SENT;
    tcp_hash_connection(ts);
    ctr_inc(ts->s, CTR_TCP_ACTIVE_OPENS);
    tcp_send_syn(ts, now);
    return -EINPROGRESS;
}

static bool can_send_state(enum tcp_state st)
{
    return st == TCP_ESTABLISHED || st == TCP_CLOSE_WAIT || st == TCP_SYN_SENT ||
           st == TCP_SYN_RECEIVED;
}

/* Data was queued: out at once when established (in SYN-SENT it waits
 * for the handshake). Without TCP_SEND_MORE the queued bytes end a write:
 * PSH goes on the segment carrying the last of them; with it, this call
 * holds back a partial last segment (Linux tcp_push with MSG_MORE). */
static void send_queued(struct tcp_sock *ts, int flags, uint64_t now)
{
    if (!(flags & TCP_SEND_MORE))
        ts->push_seq = ts->buf_seq + (uint32_t)ring_len(&ts->sndbuf);
    if (ts->state == TCP_ESTABLISHED || ts->state == TCP_CLOSE_WAIT) {
        ts->s->tcp->depth++;
        ts->hold_more = (flags & TCP_SEND_MORE) != 0;
        tcp_output(ts, now);
        ts->hold_more = false;
        ts->s->tcp->depth--;
        tcp_reap(ts->s);
    }
}

long tcp_sock_send(struct tcp_sock *ts, const void *buf, size_t len, uint64_t now)
{
    return tcp_sock_send_flags(ts, buf, len, 0, now);
}

long tcp_sock_send_flags(struct tcp_sock *ts, const void *buf, size_t len, int flags,
                         uint64_t now)
{
    if (ts == NULL || (buf == NULL && len > 0))
        return -EINVAL;
    if (ts->error != 0) {
        int e = ts->error;
        ts->error = 0;
        return -e;
    }
    if (ts->fin_queued)
        return -EPIPE;
    if (!can_send_state(ts->state)) {
        if (ts->state == TCP_LISTEN || (ts->state == TCP_CLOSED && !ts->had_conn))
            return -ENOTCONN;
        return -EPIPE;
    }
    if (len == 0)
        return 0;
    size_t n = ring_write(&ts->sndbuf, buf, len);
    if (n == 0)
        return -EAGAIN;
    send_queued(ts, flags, now);
    return (long)n;
}

size_t tcp_sock_send_space(struct tcp_sock *ts, struct stack_span out[2])
{
    if (ts == NULL || ts->error != 0 || ts->fin_queued || !can_send_state(ts->state))
        return 0;
    uint8_t *p[2];
    size_t n[2];
    size_t runs = ring_free_spans(&ts->sndbuf, p, n);
    for (size_t i = 0; i < runs; i++) {
        out[i].p = p[i];
        out[i].len = n[i];
    }
    return runs;
}

size_t tcp_sock_send_commit(struct tcp_sock *ts, size_t n, uint64_t now)
{
    return tcp_sock_send_commit_flags(ts, n, 0, now);
}

size_t tcp_sock_send_commit_flags(struct tcp_sock *ts, size_t n, int flags, uint64_t now)
{
    if (ts == NULL || n == 0 || ts->error != 0 || ts->fin_queued || !can_send_state(ts->state))
        return 0;
    n = ring_commit(&ts->sndbuf, n);
    send_queued(ts, flags, now);
    return n;
}

/* After the application took bytes out of the receive buffer: the window
 * it frees may be worth announcing (RFC 9293 3.8.6.2.2). */
static void recv_taken(struct tcp_sock *ts, uint64_t now)
{
    if (ts->state == TCP_CLOSED || ts->state == TCP_TIME_WAIT)
        return;
    ts->s->tcp->depth++;
    tcp_window_update(ts, now);
    ts->s->tcp->depth--;
    tcp_reap(ts->s);
}

size_t tcp_sock_recv_spans(struct tcp_sock *ts, struct stack_span out[2])
{
    if (ts == NULL)
        return 0;
    size_t runs = 0, off = 0;
    while (runs < 2) {
        const uint8_t *p;
        size_t n = ring_span(&ts->rcvbuf, off, &p);
        if (n == 0)
            break;
        out[runs].p = (uint8_t *)p; /* the caller only reads it */
        out[runs].len = n;
        off += n;
        runs++;
    }
    return runs;
}

size_t tcp_sock_recv_consume(struct tcp_sock *ts, size_t n, uint64_t now)
{
    if (ts == NULL || n == 0)
        return 0;
    n = ring_consume(&ts->rcvbuf, n);
    if (n > 0)
        recv_taken(ts, now);
    return n;
}

long tcp_sock_recv(struct tcp_sock *ts, void *buf, size_t len, uint64_t now)
{
    if (ts == NULL || (buf == NULL && len > 0))
        return -EINVAL;
    size_t avail = ring_len(&ts->rcvbuf);
    if (avail > 0 && len > 0) {
        size_t n = ring_read(&ts->rcvbuf, buf, len);
        recv_taken(ts, now);
        return (long)n;
    }
    if (ts->error != 0) {
        int e = ts->error;
        ts->error = 0;
        return -e;
    }
    if (ts->fin_rcvd || ts->rd_shut)
        return 0;
    if (ts->state == TCP_LISTEN || (ts->state == TCP_CLOSED && !ts->had_conn))
        return -ENOTCONN;
    if (ts->state == TCP_CLOSED)
        return 0; /* after a reset (reported once) reads see EOF, as on Linux */
    if (len == 0)
        return 0;
    return -EAGAIN;
}

int tcp_sock_shutdown(struct tcp_sock *ts, int how, uint64_t now)
{
    if (ts == NULL || how < 0 || how > 2)
        return -EINVAL;
    if (ts->state == TCP_CLOSED || ts->state == TCP_LISTEN || ts->state == TCP_SYN_SENT) {
        if (ts->state == TCP_SYN_SENT && how != 0) {
            /* Linux: shutdown during connect aborts it. */
            tcp_done(ts, 0, now);
            return 0;
        }
        return -ENOTCONN;
    }
    if (how == 0 || how == 2)
        ts->rd_shut = true;
    if ((how == 1 || how == 2) && !ts->fin_queued) {
        ts->fin_queued = true;
        ts->fin_seq = ts->buf_seq + (uint32_t)ring_len(&ts->sndbuf);
        ts->s->tcp->depth++;
        if (ts->state == TCP_ESTABLISHED || ts->state == TCP_CLOSE_WAIT)
            tcp_output(ts, now);
        ts->s->tcp->depth--;
        tcp_reap(ts->s);
    }
    return 0;
}

void tcp_sock_abort(struct tcp_sock *ts, uint64_t now)
{
    if (ts == NULL || ts->zombie)
        return;
    if (ts->state == TCP_LISTEN) {
        tcp_sock_close(ts, now);
        return;
    }
    ts->orphan = true;
    enum tcp_state st = ts->state;
    if (st == TCP_SYN_RECEIVED || st == TCP_ESTABLISHED || st == TCP_FIN_WAIT_1 ||
        st == TCP_FIN_WAIT_2 || st == TCP_CLOSE_WAIT)
        tcp_send_rst(ts, now);
    if (is_conn_state(st) && ts->s->tcp->n_conns > 0)
        ts->s->tcp->n_conns--;
    ts->state = TCP_CLOSED;
    tcp_free_later(ts);
}

void tcp_sock_close(struct tcp_sock *ts, uint64_t now)
{
    if (ts == NULL || ts->zombie)
        return;
    struct stack *s = ts->s;
    s->tcp->depth++;
    ts->orphan = true;
    ts->cb = NULL;
    switch (ts->state) {
    case TCP_LISTEN:
        /* Unaccepted children are reset (Linux inet_csk_listen_stop). */
        for (struct tcp_sock *c = s->tcp->all; c != NULL; c = c->all_next)
            if (c->parent == ts && !c->zombie) {
                c->orphan = true;
                tcp_sock_abort(c, now);
            }
        ts->state = TCP_CLOSED;
        tcp_free_later(ts);
        break;
    case TCP_CLOSED:
    case TCP_SYN_SENT:
        if (ts->state == TCP_SYN_SENT && s->tcp->n_conns > 0)
            s->tcp->n_conns--;
        ts->state = TCP_CLOSED;
        tcp_free_later(ts);
        break;
    case TCP_TIME_WAIT:
    case TCP_CLOSING:
    case TCP_LAST_ACK:
    case TCP_FIN_WAIT_1:
    case TCP_FIN_WAIT_2:
        if (ring_len(&ts->rcvbuf) > 0 || ts->linger0) {
            tcp_sock_abort(ts, now);
            break;
        }
        if (ts->state == TCP_FIN_WAIT_2)
            tcp_timer_set(ts, TCP_T_LINGER, now + s->cfg.tcp.fin_wait2_ns);
        break;
    default: /* SYN-RECEIVED, ESTABLISHED, CLOSE-WAIT */
        /* RFC 2525 2.17 / RFC 9293 3.10.4: unread data means the
         * application lost it; say so with a RST, not a FIN. */
        if (ring_len(&ts->rcvbuf) > 0 || ts->linger0) {
            tcp_sock_abort(ts, now);
            break;
        }
        tcp_sock_shutdown(ts, 1, now);
        break;
    }
    s->tcp->depth--;
    tcp_reap(s);
}

int tcp_sock_error(struct tcp_sock *ts)
{
    if (ts == NULL)
        return 0;
    int e = ts->error;
    ts->error = 0;
    return e;
}

enum tcp_state tcp_sock_state(const struct tcp_sock *ts)
{
    return ts == NULL ? TCP_CLOSED : ts->state;
}

size_t tcp_sock_readable(const struct tcp_sock *ts)
{
    return ts == NULL ? 0 : ring_len(&ts->rcvbuf);
}

size_t tcp_sock_writable(const struct tcp_sock *ts)
{
    if (ts == NULL || ts->fin_queued || !can_send_state(ts->state))
        return 0;
    return ring_space(&ts->sndbuf);
}

void tcp_netif_mtu_changed(struct stack *s, const struct netif *nif)
{
    if (s->tcp == NULL)
        return;
    /* New connections read the MTU when they start; the running ones
     * through nif take the new one for their next segments (the MSS we
     * advertised stays what it was). */
    for (struct tcp_sock *ts = s->tcp->all; ts != NULL; ts = ts->all_next) {
        if (ts->zombie || ts->rt.nif != nif || ts->state == TCP_LISTEN ||
            ts->state == TCP_CLOSED || ts->state == TCP_TIME_WAIT)
            continue;
        tcp_update_mss(ts);
    }
}

bool tcp_quote_in_flight(struct stack *s, const struct ip_addr *src, const struct ip_addr *dst,
                         uint16_t sport, uint16_t dport, const uint8_t *l4, size_t l4_len)
{
    if (s->tcp == NULL || l4 == NULL || l4_len < 8)
        return false;
    struct tcp_tuple tu = {.laddr = *src, .raddr = *dst, .lport = sport, .rport = dport};
    const struct tcp_sock *ts = tcp_lookup(s, &tu);
    if (ts == NULL || ts->state == TCP_LISTEN || ts->state == TCP_TIME_WAIT)
        return false;
    /* RFC 5927 4.1: SND.UNA <= SEG.SEQ < SND.NXT (snd_max: the furthest
     * sent, also after a timeout rewound snd_nxt). */
    uint32_t seq = rd32(l4 + 4);
    return seq_between(seq, ts->snd_una, ts->snd_max + 1) && ts->snd_max != ts->snd_una;
}
