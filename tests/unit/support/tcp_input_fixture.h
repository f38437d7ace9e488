/* tcp_input_fixture.h - the fixture shared by test_tcp_input.c and
 * test_tcp_security.c: one stack per test (freed by the teardown even when
 * an assertion fails half-way), an established connection, and hand-built
 * peer segments, including raw frames that can be corrupted byte by byte. */

#ifndef TESTS_UNIT_SUPPORT_TCP_INPUT_FIXTURE_H
#define TESTS_UNIT_SUPPORT_TCP_INPUT_FIXTURE_H

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "stack/sock/tcp_impl.h"
#include "stack/wire/eth.h"
#include "tests/unit/support/bytes.h"
#include "tests/unit/support/tcp_peer.h"

#define PORT 80
#define TCP_AT (ETH_HLEN + 20) /* tp_frame: IPv4 header without options */

struct stack_env *tin_env_open(env_tweak_fn tweak);

void tin_env_close(struct stack_env *e);

int tin_teardown_env(void **state);

/* ---- fixture ---- */

struct conn {
    struct stack_env *e;
    struct tcp_sock *l, *c;
    uint32_t peer_nxt;           /* the peer's next sequence number */
    uint32_t peer_base;          /* first byte of the peer's stream */
    uint32_t our_nxt;            /* what the peer acknowledges */
    uint32_t tsval, tsecr;
};

uint8_t tin_pat(uint32_t i);

void tin_fill(uint8_t *buf, uint32_t from, size_t len);

void tin_open_conn(struct conn *k, env_tweak_fn tweak);

void tin_close_conn(struct conn *k);

struct tcp_options tin_ts_opt(const struct conn *k);

/* A segment on the connection with timestamps and window 502. */
void tin_seg(struct conn *k, uint8_t flags, uint32_t seq, uint32_t ack, const void *data,
             size_t len);

void tin_data(struct conn *k, size_t len);

size_t tin_drain(struct stack_env *e);

/* Everything readable matches the stream from `from`; returns the count. */
size_t tin_read_check(struct conn *k, uint32_t from);

/* Recompute the TCP checksum of a tp_frame frame (n bytes with padding). */
void tin_fix_tcp_csum(uint8_t *f, size_t n);

/* Cut the frame so that the TCP segment is tcp_len bytes, with a
 * consistent IPv4 header. Returns the new frame length. */
size_t tin_cut_tcp(uint8_t *f, size_t tcp_len);

void tin_assert_established(struct conn *k);

#endif
