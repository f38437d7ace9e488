/* tcp_impl.h - the inside of a TCP connection (the TCB of RFC 9293 3.3.1)
 * and the functions the TCP files share. Not public: stack/stack.h is.
 *
 * Files:
 *   sock/tcp.c        the socket API, the connection table and its demux
 *                     (dual stack: sock/sock_addr.h), ports, events, freeing
 *   sock/tcp_opt.c    socket options, names, the connection views
 *   sock/tcp_in.c     input: validation, LISTEN, SYN-SENT, the
 *                     synchronized states (RFC 9293 3.10.7), ACK
 *                     processing and loss recovery, data, FIN
 *   sock/tcp_out.c    output: segments, options, windows, Nagle,
 *                     retransmission, RSTs
 *   sock/tcp_timer.c  timers: retransmission, persist, delayed ACK,
 *                     keepalive, TIME-WAIT, FIN-WAIT-2
 *   sock/tcp_cc*.c    congestion control; tcp_rtt.c RTO; tcp_sack.c the
 *                     SACK scoreboard; tcp_isn.c ISNs and SYN cookies
 *   sock/tcp_rack.c   RACK-TLP (RFC 8985): the transmission log, time-based
 *                     loss detection, the tail loss probe's timer
 */
#ifndef TCPIP_SOCK_TCP_IMPL_H
#define TCPIP_SOCK_TCP_IMPL_H

#include <stdbool.h>
#include <stdint.h>

#include "stack/core/stack_impl.h"
#include "stack/sock/tcp_cc.h"
#include "stack/sock/tcp_isn.h"
#include "stack/sock/tcp_rtt.h"
#include "stack/sock/tcp_sack.h"
#include "stack/sock/tcp_seq.h"
#include "stack/util/assembler.h"
#include "stack/util/ring.h"
#include "stack/util/timer_heap.h"
#include "stack/wire/tcp.h"

#define TCP_HASH_MIN 256         /* connection buckets (4-tuple) at least; the
                                    table doubles past one connection per
                                    bucket and halves below one per four */
#define TCP_LHASH_SIZE 64        /* listener/bound buckets (local port) */
#define TCP_DEFAULT_MSS 536      /* RFC 9293 3.7.1: when the peer sends none */
#define TCP_MIN_MSS 88           /* Linux TCP_MIN_MSS: floor for a tiny MSS */
#define TCP_TS_OPTLEN 12         /* NOP NOP TS, on every segment once agreed */
#define TCP_MAX_WINDOW 65535u    /* unscaled window field */
#define TCP_PAWS_24DAYS_MS (24ull * 24 * 3600 * 1000) /* RFC 7323 5.5 */
#define TCP_MAX_QUICKACKS 16     /* Linux TCP_MAX_QUICKACKS */
#define TCP_CORK_MAX_NS (200ull * 1000000ull) /* tcp(7): TCP_CORK's 200 ms ceiling */
#define TCP_MAX_USER_MSS 32767   /* Linux MAX_TCP_WINDOW, TCP_MAXSEG's ceiling */

/* Timers, each an absolute `now` or 0 when off. A connection sits in
 * the table's timer heap once, at the earliest of them
 * (tcp_timer_earliest): a new timer is one more entry here, armed and
 * stopped with tcp_timer_set/tcp_timer_stop, and tcp_poll runs it. */
enum tcp_timer {
    TCP_T_RTX,                   /* retransmission (also SYN, SYN-ACK, FIN) */
    TCP_T_PERSIST,               /* zero-window probe */
    TCP_T_DELACK,                /* delayed ACK */
    TCP_T_KEEPALIVE,             /* keepalive idle / probe interval */
    TCP_T_LINGER,                /* TIME-WAIT 2MSL, orphaned FIN-WAIT-2 */
    TCP_T_CORK,                  /* TCP_CORK's 200 ms ceiling; uncork (due at once) */
    TCP_T_RACK,                  /* RACK reordering timer (RFC 8985 6.3) */
    TCP_T_TLP,                   /* tail loss probe (RFC 8985 7.2) */
    TCP_T_COUNT
};

/* The transmission log of RACK (sock/tcp_rack.c): one record per range
 * sent, in sequence order, contiguous over [SND.UNA, SND.MAX). */
#define TXR_RETRANS 0x1          /* sent more than once */
#define TXR_SACKED 0x2           /* SACKed */
#define TXR_LOST 0x4             /* deemed lost and not resent since */

struct tcp_txrec {
    uint32_t seq, end;           /* [seq, end), a FIN included */
    uint64_t xmit;               /* `now` of the last transmission */
    uint32_t txn;                /* its number (orders sends of one instant) */
    uint8_t flags;               /* TXR_* */
};

struct tcp_txlog {
    struct tcp_txrec *r;         /* records r[lo..hi) */
    uint32_t lo, hi, cap;
};

struct tcp_sock {
    struct stack *s;
    tcp_event_fn cb;
    void *user;
    enum tcp_state state;
    int error;                   /* pending, like SO_ERROR */
    int soft_error;              /* last ICMP error: reported instead of ETIMEDOUT */
    int ev_pending;              /* TCP_EV_* to deliver at the next flush */

    /* Lists: every socket, a hash chain (4-tuple for connections, local
     * port for bound/listening ones), the reap list of freed-later ones. */
    struct tcp_sock *all_next, **all_pprev;
    struct tcp_sock *hash_next, **hash_pprev;
    uint32_t hash_val;           /* keyed hash of the 4-tuple, while in_hash */
    bool in_hash, in_lhash;
    struct tcp_sock *reap_next;
    bool zombie;                 /* freed at the next reap; touch nothing */
    bool orphan;                 /* closed by the user: cb is never called */

    /* Addresses. */
    struct tcp_tuple t;          /* laddr/lport valid once bound, raddr/rport once connecting;
                                    wire form: an IPv4 peer of an IPv6 socket is IPv4 here
                                    (sock/sock_addr.h) */
    bool bound;
    uint8_t family;              /* socket(2)'s domain: IP_FAMILY_V4/V6, NONE = not yet said */
    bool v6only;                 /* IPV6_V6ONLY (RFC 3493 5.3) */
    struct ip_route rt;          /* cached route to the peer */

    /* Listener: SYN queue (children in SYN-RECEIVED, counted) and accept
     * queue (children ESTABLISHED or later, in order). */
    struct tcp_sock *parent;     /* listener of an unaccepted child */
    struct tcp_sock *acc_head, *acc_tail, *acc_next;
    bool in_acceptq;
    uint32_t n_synq, n_acceptq, backlog;

    /* Options set by the user. */
    bool nodelay, keepalive, reuseaddr, linger0;
    bool cork;                   /* TCP_CORK */
    uint16_t user_mss;           /* TCP_MAXSEG set (0: not set) */
    uint8_t tos;                 /* IP_TOS of IPv4 segments (ECN bits 0) */
    uint8_t tclass;              /* IPV6_TCLASS of IPv6 segments (ECN bits 0) */
    uint32_t keep_idle_s, keep_intvl_s, keep_cnt;
    uint32_t sndbuf_size, rcvbuf_size;

    /* Send sequence space (RFC 9293 3.3.1). snd_max is the highest
     * SND.NXT ever sent; after a timeout snd_nxt goes back to snd_una
     * (go-back-N) and snd_max remembers how far we had been. */
    uint32_t iss, snd_una, snd_nxt, snd_max;
    uint32_t snd_wnd, snd_wl1, snd_wl2, max_snd_wnd;
    uint32_t buf_seq;            /* sequence number of sndbuf's first byte */
    bool syn_acked;
    bool fin_queued;             /* shutdown(SHUT_WR)/close: FIN after the data */
    bool fin_sent;               /* the FIN has a sequence number (snd_max past it) */
    uint32_t fin_seq;            /* its sequence number, valid once fin_queued */
    uint32_t push_seq;           /* end of the last application write: the segment
                                    holding the byte before it has PSH */
    bool hold_more;              /* inside a TCP_SEND_MORE send: hold a partial tail */
    bool force_push;             /* the cork timer fired: send a partial tail */

    /* Receive sequence space. */
    uint32_t irs, rcv_nxt;
    uint32_t rcv_adv;            /* right edge advertised: never moved left (RFC 9293 3.8.6) */
    uint32_t last_ack_sent;      /* RCV.NXT in our last ACK (RFC 7323 4.3) */
    bool fin_rcvd;               /* the peer's FIN is in order: EOF after the data */
    bool fin_pending;            /* a FIN arrived out of order, at fin_pending_seq */
    uint32_t fin_pending_seq;
    bool had_conn;               /* a connection was started (ENOTCONN vs EOF) */
    bool rd_shut;                /* SHUT_RD: new data is dropped */

    /* Negotiated options. */
    uint16_t peer_mss;           /* from the SYN (clamped), or 536 */
    uint16_t smss;               /* payload bytes per full segment we send */
    uint16_t rmss;               /* MSS we advertised */
    uint8_t snd_wscale, rcv_wscale;
    bool wscale_ok, sack_ok, ts_ok;
    uint32_t ts_offset;          /* added to our ms clock in TSval */
    uint32_t ts_recent;          /* TS.Recent (RFC 7323 4.3) */
    uint64_t ts_recent_age;      /* `now` when it was set */

    struct ring sndbuf;
    struct ring rcvbuf;
    struct assembler ooo;

    /* RTT measurement (one timed segment at a time, Karn) and the RTO. */
    struct tcp_rtt rtt;
    bool rtt_timing;
    uint32_t rtt_seq;            /* timing ends when this is acked */
    uint64_t rtt_start;
    uint32_t backoff;            /* consecutive RTO expiries */
    uint32_t retries;            /* retransmissions of the current head */

    /* Congestion control and loss recovery (RFC 5681/6582/6675). */
    struct tcp_cc cc;
    struct tcp_scoreboard sb;
    bool in_recovery;
    uint32_t recover;            /* RFC 6582 "recover" */
    uint32_t high_rxt;           /* RFC 6675 HighRxt, exclusive end */
    uint32_t dupacks;
    uint64_t last_send;          /* for the RFC 5681 4.1 idle restart */

    /* RACK-TLP (RFC 8985, sock/tcp_rack.c): the most recently sent segment
     * delivered so far (RACK.xmit_ts, end_seq, rtt), the highest delivered
     * (RACK.fack), whether reordering was seen; TLP's one probe. */
    struct tcp_txlog txlog;
    bool rack_valid, rack_reordering;
    uint8_t rack_reo_mult;       /* RACK.reo_wnd_mult (1 + spurious retransmissions seen) */
    uint8_t rack_reo_persist;    /* RACK.reo_wnd_persist: recoveries left at that size */
    uint64_t rack_xmit, rack_rtt;
    uint32_t rack_txn, rack_fack; /* RACK.end_seq's role: the send order */
    uint32_t tx_count;           /* transmissions numbered (tcp_txrec.txn) */
    bool tlp_pending, tlp_retrans;
    uint32_t tlp_end;            /* TLP.end_seq: SND.NXT after the probe */
    /* PRR (RFC 6937): bytes delivered and sent since recovery began, and
     * the flight then (RecoverFS). */
    uint32_t prr_delivered, prr_out, prr_recover_fs;

    /* ACK policy. */
    uint32_t segs_unacked;       /* full segments received since our last ACK */
    uint32_t rcv_mss_est;        /* largest payload seen: what "full" means */
    bool ack_now;                /* send an ACK at the next output */
    /* Linux's quickack and pingpong modes: the first segments of data (and
     * those after an idle time above the RTO) are ACKed at once, so a
     * peer's slow start and short exchanges do not wait for the delayed
     * ACK; once we answer data within the delayed-ACK time (a
     * request/response exchange), ACKs wait to ride on the answer. */
    uint8_t quickacks;           /* ACKs of new data still to send at once */
    bool pingpong;               /* interactive: delay ACKs (no quickack) */
    bool data_rcvd;              /* some data arrived (quickack at the first) */
    uint64_t last_data_recv;     /* `now` of the last in-order data */

    /* Timers and their probes. */
    uint64_t timer[TCP_T_COUNT];
    struct timer_node tnode;     /* in tcp_table.timers at tcp_timer_earliest() */
    struct tcp_sock *due_next;   /* tcp_poll's list of connections due */
    uint64_t last_recv;          /* any segment from the peer (keepalive idle) */
    uint32_t probes;             /* unanswered persist or keepalive probes */
    uint32_t persist_backoff;    /* persist interval exponent: kept across
                                    answered probes (RFC 1122 4.2.2.17), reset
                                    when the window opens */

    uint64_t retransmits;        /* for the connection view */
    /* TCP_INFO counters (tcp_sock_info). */
    uint64_t bytes_sent, bytes_retrans, bytes_acked, bytes_received;
    uint64_t segs_out, segs_in, data_segs_out, data_segs_in;
    uint64_t last_data_sent, last_ack_recv;
    uint64_t last_oow_ack;       /* `now` of the last ACK to an out-of-window segment */
};

struct tcp_table {
    struct tcp_sock **hash;      /* hash_size buckets by 4-tuple */
    uint32_t hash_size;          /* a power of two, >= TCP_HASH_MIN */
    uint32_t n_hashed;           /* sockets in hash */
    struct tcp_sock *lhash[TCP_LHASH_SIZE]; /* bound, not connected: by local port */
    struct tcp_sock *all;
    struct tcp_sock *reap;
    uint32_t n_conns;            /* sockets with a connection (not listeners or fresh) */
    uint32_t next_ephemeral;
    uint32_t depth;              /* > 0 inside tcp_input/tcp_poll: frees wait */
    struct token_bucket challenge_bucket; /* RFC 5961 10: rate limit */
    struct timer_heap timers;    /* every socket with a timer, by its earliest */
    uint8_t *txbuf;              /* one segment being built (TSO-sized) */
    size_t txbuf_cap;
};

/* A TSO segment: IP total length at most 65535 with the largest headers. */
#define TCP_TSO_MAX_PAYLOAD (STACK_TSO_MAX_IP - 20 - TCP_MAX_HLEN)
/* Over IPv6 the 16-bit Payload Length counts the TCP header and data but
 * not the fixed 40-byte header (RFC 8200 3); we send no extension headers. */
#define TCP_TSO6_MAX_PAYLOAD (STACK_TSO_MAX_IP - TCP_MAX_HLEN)

/* ---- sock/tcp.c ---- */
int tcp_table_init(struct stack *s);
void tcp_table_free(struct stack *s);
/* The connection for a segment to us, or a listener on its port, or NULL. */
struct tcp_sock *tcp_lookup(struct stack *s, const struct tcp_tuple *t);
/* A child of listener l for a SYN from tuple t (SYN-RECEIVED, hashed).
 * NULL on allocation failure or the connection limit (counted). */
struct tcp_sock *tcp_child_new(struct tcp_sock *l, const struct tcp_tuple *t, uint64_t now);
/* Allocate the buffers of a connection; 0 or -ENOMEM. */
int tcp_alloc_buffers(struct tcp_sock *ts);
/* Move to a state; entering CLOSED or TIME-WAIT releases what is no longer
 * needed and notifies; CLOSED unhashes (and frees orphans). */
void tcp_set_state(struct tcp_sock *ts, enum tcp_state st, uint64_t now);
/* The connection is over with err (0: normal end): CLOSED, events. */
void tcp_done(struct tcp_sock *ts, int err, uint64_t now);
/* Remember events for the socket's next flush. */
void tcp_notify(struct tcp_sock *ts, int events);
/* Deliver pending events (if the socket has a user). */
void tcp_flush_events(struct tcp_sock *ts);
/* A handshake finished on child ts: move it to its listener's accept queue. */
void tcp_child_established(struct tcp_sock *ts);
/* Free now if outside the stack, else at the end of the current call. */
void tcp_free_later(struct tcp_sock *ts);
void tcp_reap(struct stack *s);
/* Rehash a socket under its full 4-tuple (connect, accept). */
void tcp_hash_connection(struct tcp_sock *ts);

/* ---- sock/tcp_in.c ---- */
/* tcp_input is declared in stack_impl.h. */
/* RFC 8985 6.3: the RACK reordering timer fired. */
void tcp_rack_timeout(struct tcp_sock *ts, uint64_t now);
/* Our timestamp clock, in ms. */
static inline uint32_t tcp_ts_now(const struct tcp_sock *ts, uint64_t now)
{
    return (uint32_t)(now / 1000000u) + ts->ts_offset;
}

/* ---- sock/tcp_out.c ---- */
/* Send whatever the windows, Nagle and the ACK policy allow. */
void tcp_output(struct tcp_sock *ts, uint64_t now);
/* A pure ACK now (also window updates, challenge ACKs, probes with
 * seq = SND.UNA - 1 when probe). */
void tcp_send_ack(struct tcp_sock *ts, uint64_t now);
void tcp_send_probe(struct tcp_sock *ts, uint64_t now);
/* RST for a synchronized connection: <SEQ=SND.NXT><CTL=RST>. */
void tcp_send_rst(struct tcp_sock *ts, uint64_t now);
/* SYN or SYN-ACK (by state) with our options. */
void tcp_send_syn(struct tcp_sock *ts, uint64_t now);
/* Retransmit the first unacknowledged segment (timeout, fast retransmit). */
void tcp_retransmit_head(struct tcp_sock *ts, uint64_t now);
/* The window we would advertise now, in bytes (before scaling). */
uint32_t tcp_rcv_window(const struct tcp_sock *ts);
/* After the application read: send a window update if it opened enough
 * (RFC 9293 3.8.6.2.2 receiver SWS avoidance). */
void tcp_window_update(struct tcp_sock *ts, uint64_t now);
/* Bytes of the send buffer sent and not acknowledged (SYN/FIN included). */
uint32_t tcp_flight(const struct tcp_sock *ts);
/* In recovery: the bytes in the network (RACK, RFC 6675 SetPipe, or the
 * NewReno estimate). */
uint32_t tcp_recovery_pipe(const struct tcp_sock *ts);
/* RFC 8985 7.3: the TLP timer fired: send the probe. */
void tcp_tlp_fire(struct tcp_sock *ts, uint64_t now);
/* Pick SMSS from the peer's MSS, our MTU and the options. */
void tcp_update_mss(struct tcp_sock *ts);
/* The MSS an interface allows for a wire family: the MTU less 40 bytes
 * of IPv4 + TCP headers, or 60 of IPv6 + TCP (RFC 8200 5, RFC 9293
 * 3.7.1) with the RA's MTU (RFC 4861 6.3.4) if one lowered it. */
uint16_t tcp_mtu_mss(const struct netif *nif, uint8_t family);

/* ---- sock/tcp_rack.c ---- */
static inline bool tcp_rack_on(const struct tcp_sock *ts)
{
    return ts->sack_ok && ts->s->cfg.tcp.rack;
}
void tcp_txlog_free(struct tcp_txlog *l);
/* Forget SACK and loss marks (after a timeout the scoreboard is cleared). */
void tcp_txlog_clear_marks(struct tcp_txlog *l);
/* [seq, end) was sent now (new data, or a retransmission). */
void tcp_txlog_sent(struct tcp_sock *ts, uint32_t seq, uint32_t end, uint64_t now);
/* An ACK moved SND.UNA to ack and/or the scoreboard: drop acknowledged
 * records, mark SACKed ones, update RACK (RFC 8985 6.2 steps 1-3). */
void tcp_rack_on_ack(struct tcp_sock *ts, uint32_t ack, const struct tcp_options *o,
                     uint64_t now);
/* Fast recovery ended (RFC 8985 6.2 step 4: the reordering window shrinks
 * back after 16 recoveries without a spurious retransmission). */
void tcp_rack_recovery_end(struct tcp_sock *ts);
/* RFC 8985 6.2 step 5: mark lost what RACK says is; (re)arms the
 * reordering timer for the rest. Returns the records newly marked. */
uint32_t tcp_rack_detect_loss(struct tcp_sock *ts, uint64_t now);
/* The first record deemed lost: its start in *seq, its length (at most
 * SMSS); 0 if none. */
uint32_t tcp_rack_next_lost(const struct tcp_sock *ts, uint32_t *seq);
/* Bytes in flight: sent, neither SACKed nor deemed lost. */
uint32_t tcp_rack_pipe(const struct tcp_sock *ts);
uint32_t tcp_rack_lost_bytes(const struct tcp_sock *ts);
/* (Re)arm or stop the TLP timer (RFC 8985 7.2) after a send or an ACK. */
void tcp_tlp_arm(struct tcp_sock *ts, uint64_t now);

/* ---- sock/tcp_timer.c ---- */
void tcp_timer_set(struct tcp_sock *ts, enum tcp_timer t, uint64_t when);
void tcp_timer_stop(struct tcp_sock *ts, enum tcp_timer t);
/* Stop every timer of the connection. */
void tcp_timer_stop_all(struct tcp_sock *ts);
/* The connection's earliest deadline: the soonest of its timers, or 0 if
 * none runs. Its place in the timer heap. */
uint64_t tcp_timer_earliest(const struct tcp_sock *ts);
/* (Re)arm the retransmission timer with the current RTO and backoff. */
void tcp_timer_arm_rtx(struct tcp_sock *ts, uint64_t now);
void tcp_poll(struct stack *s, uint64_t now);
uint64_t tcp_next_deadline(const struct stack *s);
/* Keepalive: (re)arm from now if enabled and synchronized. */
void tcp_keepalive_reset(struct tcp_sock *ts, uint64_t now);

#endif
