/* tcp_options_fixture.h - the fixture shared by test_tcp_options.c and
 * test_tcp_wscale_sack.c: one stack per test (freed by the teardown even
 * when an assertion fails half-way), one passively opened connection and
 * the peer's view of it (sequence numbers, options it sends), and helpers
 * to send, take and drain segments. */

#ifndef TESTS_UNIT_SUPPORT_TCP_OPTIONS_FIXTURE_H
#define TESTS_UNIT_SUPPORT_TCP_OPTIONS_FIXTURE_H

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "stack/sock/tcp_impl.h"
#include "tests/unit/support/tcp_peer.h"

#define PORT 80
#define MIB (1024u * 1024u)

struct stack_env *tov_env_open(env_tweak_fn tweak);

void tov_env_close(struct stack_env *e);

int tov_teardown_env(void **state);

/* ---- fixture: one connection and the peer's view of it ---- */

struct conn {
    struct stack_env *e;
    struct tcp_sock *l, *c;
    uint32_t peer_nxt;           /* the peer's next sequence number */
    uint32_t our_base;           /* our ISS + 1: first byte of our stream */
    uint32_t peer_base;          /* peer ISS + 1: first byte of its stream */
    bool ts;                     /* timestamps agreed */
    uint32_t tsval;              /* the peer's clock */
    uint32_t tsecr;              /* the last TSval we sent */
    uint16_t win;                /* the peer's window field */
};

/* Byte i of a test stream. */
uint8_t tov_pat(uint32_t i);

void tov_fill(uint8_t *buf, uint32_t from, size_t len);

/* Passive open on PORT; opt is the peer's SYN options (NULL: none). */
void tov_open_passive(struct conn *k, env_tweak_fn tweak, const struct tcp_options *opt,
                      uint32_t peer_isn, struct tp_out *synack);

void tov_close_conn(struct conn *k);

/* A segment from the peer with its timestamps and optional SACK blocks. */
void tov_peer_seg(struct conn *k, uint8_t flags, uint32_t seq, uint32_t ack, const void *data,
                  size_t len, const struct tcp_sack_block *sack, uint8_t n_sack);

/* In-order data from the peer. */
void tov_peer_data(struct conn *k, const void *data, size_t len, uint32_t ack);

void tov_peer_ack(struct conn *k, uint32_t ack, const struct tcp_sack_block *sack, uint8_t n_sack);

/* Take the next segment, remembering its TSval for the peer's TSecr. */
bool tov_take(struct conn *k, struct tp_out *o);

/* Take every pending segment; returns how many (and forgets the frames). */
size_t tov_drain(struct conn *k);

void tov_send_all(struct conn *k, uint32_t from, size_t len);

#endif
