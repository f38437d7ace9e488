/* wire_tcp_segs.h - helpers for the TCP wire codec tests (test_wire_tcp.c,
 * test_wire_tcp_options.c): the test addresses, a reference checksum
 * computed here rather than with the stack's own code (and a fixer that
 * writes it into a segment), exact-length option parsing from a heap copy
 * so that ASan catches any over-read, and option comparison. */

#ifndef TESTS_UNIT_SUPPORT_WIRE_TCP_SEGS_H
#define TESTS_UNIT_SUPPORT_WIRE_TCP_SEGS_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "stack/wire/tcp.h"
#include "tests/unit/support/bytes.h"

/* ---- fixtures ---------------------------------------------------------- */

#define CLIENT4 0x0a4d0002u /* 10.77.0.2 */

#define SERVER4 0x0a4d0001u /* 10.77.0.1 */

/* Reference Internet checksum of a TCP segment with its pseudo-header,
 * treating the checksum field as zero. Written from RFC 1071 / RFC 9293
 * 3.1 / RFC 8200 8.1, independent of stack/wire/checksum.c. */
uint16_t twt_ref_tcp_csum(const uint8_t *seg, size_t len, const struct ip_addr *src,
                          const struct ip_addr *dst);

void twt_fix_csum(uint8_t *seg, size_t len, const struct ip_addr *src, const struct ip_addr *dst);

int twt_opts_exact(const uint8_t *opts, size_t len, struct tcp_options *out);

bool twt_options_all_zero(const struct tcp_options *o);

void twt_assert_options_equal(const struct tcp_options *a, const struct tcp_options *b);

#endif
