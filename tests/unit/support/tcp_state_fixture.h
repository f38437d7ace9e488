/* tcp_state_fixture.h - the scripted-peer fixture shared by test_tcp_state.c
 * and test_tcp_timers.c: one stack per test (freed by the teardown even when
 * an assertion fails half-way), a connection opened actively or passively,
 * and exact-segment expectations on what we send.
 *
 * Unless a test says otherwise the peer's SYN carries only MSS 1460, so no
 * timestamps, SACK or window scaling: our window field is then the plain
 * 65535 and the segments are easy to predict. */

#ifndef TESTS_UNIT_SUPPORT_TCP_STATE_FIXTURE_H
#define TESTS_UNIT_SUPPORT_TCP_STATE_FIXTURE_H

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "tests/unit/support/tcp_peer.h"

#define PEER_ISN 700000u
#define LISTEN_PORT 80
#define MS NS_PER_MS
#define SEC NS_PER_SEC
#define ACK TCP_FLAG_ACK
#define SYN TCP_FLAG_SYN
#define FIN TCP_FLAG_FIN
#define RST TCP_FLAG_RST
#define PSH TCP_FLAG_PSH

static const struct tcp_options tst_mss_only = {.has_mss = true, .mss = 1460};

struct stack_env *tst_new_env(env_tweak_fn tweak);

void tst_end_env(struct stack_env *e);

int tst_teardown(void **state);

/* One connection and the sequence numbers both sides are at. */
struct conn {
    struct stack_env *e;
    struct tcp_sock *c;
    uint16_t port;               /* our port */
    uint16_t peer_port;
    uint32_t snd;                /* our next sequence number (SND.NXT) */
    uint32_t rcv;                /* the peer's next one (RCV.NXT) */
};

/* An active open in ESTABLISHED, the handshake answered at once. */
void tst_open_active(struct conn *k, env_tweak_fn tweak, const struct tcp_options *o);

/* A segment from the peer on the connection. */
void tst_peer(struct conn *k, uint32_t seq, uint32_t ack, uint8_t flags, const void *data,
              size_t len);

/* Take the next segment we sent and check its flags (exactly), seq, ack
 * (when ACK is set) and payload length. */
void tst_expect_seg(struct stack_env *e, struct tp_out *o, uint8_t flags, uint32_t seq, uint32_t ack,
                    size_t len);

void tst_expect_none(struct stack_env *e);

/* Let ns pass in two steps: nothing is sent at ns - 1, and then at ns. */
void tst_advance_exactly(struct stack_env *e, uint64_t ns);

/* A SYN from sport to the listener; returns our SYN-ACK. */
void tst_peer_syn(struct stack_env *e, uint16_t sport, uint32_t isn, struct tp_out *synack);

/* The third ACK of the handshake from sport. */
void tst_peer_third_ack(struct stack_env *e, uint16_t sport, uint32_t isn,
                        const struct tp_out *synack);

#endif
