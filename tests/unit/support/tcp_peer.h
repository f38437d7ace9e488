/* tcp_peer.h - a scripted TCP peer for unit tests of the stack's TCP.
 *
 * The stack under test is the stack_env one (10.77.0.2, fake netif, fake
 * clock); the peer is 10.77.0.9 and exists only as the segments the test
 * builds (tp_send) and the segments it reads back (tp_take). Sequence
 * numbers are the test's to choose; options are a struct tcp_options. */
#ifndef TESTS_TCP_PEER_H
#define TESTS_TCP_PEER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "stack/stack.h"
#include "stack/wire/tcp.h"
#include "tests/unit/support/stack_env.h"

#define TP_PEER_PORT 40000

/* A segment from the peer. Zero fields take defaults: src/dst the peer
 * and us, sport TP_PEER_PORT, window 65535. */
struct tp_seg {
    uint32_t src, dst;           /* 0: peer, us */
    uint16_t sport, dport;       /* sport 0: TP_PEER_PORT */
    uint32_t seq, ack;
    uint8_t flags;
    uint16_t window;             /* 0 means 0 only with zero_window */
    bool zero_window;
    uint16_t urg_ptr;
    const struct tcp_options *opt; /* NULL: none */
    const void *payload;
    size_t len;
};

/* A segment the stack sent, decoded (payload copied). */
struct tp_out {
    uint32_t src, dst;
    uint8_t tos;                 /* the IPv4 header's TOS byte */
    struct tcp_view t;           /* pointers into data[] */
    uint8_t data[2048];          /* the whole TCP segment */
    size_t seg_len;
};

/* A stack_env with the peer's MAC learned (no ARP in the way), frames
 * cleared. tweak as for env_new. */
struct stack_env *tp_env(env_tweak_fn tweak);
/* Build the segment into a frame and feed it to the stack now. */
void tp_send(struct stack_env *e, const struct tp_seg *sg);
/* Build the frame only (for tests that break bytes). Returns its length;
 * the TCP segment starts at ETH_HLEN + 20. */
size_t tp_frame(uint8_t *buf, size_t cap, const struct tp_seg *sg);
/* How many TCP segments the stack has sent and not been taken. */
size_t tp_pending(const struct stack_env *e);
/* Take the oldest sent TCP segment (asserts there is one and that it
 * parses with a good checksum). Non-TCP frames are skipped. */
void tp_take(struct stack_env *e, struct tp_out *out);
/* Take one if there is one; false if none. */
bool tp_try_take(struct stack_env *e, struct tp_out *out);
/* Forget everything sent so far. */
void tp_clear(struct stack_env *e);

/* Open a listener on 0.0.0.0:port with backlog (asserts). */
struct tcp_sock *tp_listen(struct stack_env *e, uint16_t port, int backlog);
/* Full passive open: the peer sends SYN (seq peer_isn, options opt), the
 * stack answers SYN-ACK (returned in synack if not NULL), the peer ACKs;
 * returns the accepted socket. */
struct tcp_sock *tp_accept_conn(struct stack_env *e, struct tcp_sock *l, uint16_t port,
                                uint32_t peer_isn, const struct tcp_options *opt,
                                struct tp_out *synack);
/* Full active open to the peer's TP_PEER_PORT: connect, take the SYN
 * (into syn if not NULL), answer SYN-ACK with peer_isn and opt, take the
 * ACK. Returns the socket (ESTABLISHED). */
struct tcp_sock *tp_connect_conn(struct stack_env *e, uint32_t peer_isn,
                                 const struct tcp_options *opt, struct tp_out *syn);

/* The usual options of a Linux SYN: MSS 1460, SACK, TS, wscale 7. */
struct tcp_options tp_linux_syn_options(uint32_t ts_val);

#endif
