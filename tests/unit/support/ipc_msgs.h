/* ipc_msgs.h - helpers for the ipc/ codec tests (test_ipc.c,
 * test_ipc_malformed.c): one message of each kind encoded into a buffer,
 * endpoints, and a sample of every message type to mutate. */

#ifndef TESTS_UNIT_SUPPORT_IPC_MSGS_H
#define TESTS_UNIT_SUPPORT_IPC_MSGS_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ipc/ipc.h"
#include "tests/unit/support/bytes.h"

/* ---- helpers ---- */

int tipc_request_of(const uint8_t *src, size_t len, struct ipc_request *out);

int tipc_reply_of(const uint8_t *src, size_t len, struct ipc_reply *out);

int tipc_accept_of(const uint8_t *src, size_t len, struct ipc_accept *out);

int tipc_info_of(const uint8_t *src, size_t len, struct ipc_info *out);

struct ipc_endpoint tipc_ep4(uint8_t a, uint8_t b, uint8_t c, uint8_t d, uint16_t port);

/* [fd77::last]:port */
struct ipc_endpoint tipc_ep6(uint8_t last, uint16_t port);

/* One valid encoding of every message type, for the table-driven tests. */
enum which { REQ, REP, ACC, INF };

struct sample {
    const char *name;
    enum which which;
    uint8_t buf[IPC_MAX_MSG];
    size_t len;
};

#define N_SAMPLES 15

void tipc_make_samples(struct sample s[N_SAMPLES]);

int tipc_sample_rc(const struct sample *s, const uint8_t *buf, size_t len);

#endif
