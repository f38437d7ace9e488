/* frames6.h - IPv6 frames for the IPv6/ICMPv6/reassembly unit tests, built
 * with the wire/ emitters: from the peer fd77::9 (02:00:00:00:00:09) of
 * env6.h to the stack. */
#ifndef TESTS_FRAMES6_H
#define TESTS_FRAMES6_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tests/unit/support/env6.h"

/* Ethernet (to our MAC, or 33:33:... for a multicast dst) + IPv6 header
 * (hop limit hl) + payload. Returns the frame length (>= 60). */
size_t f6_packet(uint8_t *buf, size_t cap, const uint8_t src[16], const uint8_t dst[16],
                 uint8_t nh, uint8_t hl, const void *payload, size_t len);
/* An ICMPv6 message (checksum over src/dst) in msg; returns its length. */
size_t f6_icmp(uint8_t *msg, const uint8_t src[16], const uint8_t dst[16], uint8_t type,
               uint8_t code, uint32_t rest, const void *body, size_t len);
/* An echo request of len data bytes (pattern i & 0xff) in msg. */
size_t f6_echo(uint8_t *msg, const uint8_t src[16], const uint8_t dst[16], uint16_t id,
               uint16_t seq, size_t len);
/* A fragment frame: fragment header (nh, offset in bytes, more, id) and
 * data bytes. */
size_t f6_frag(uint8_t *buf, size_t cap, const uint8_t src[16], const uint8_t dst[16],
               uint8_t nh, size_t off, bool more, uint32_t id, const uint8_t *data,
               size_t len);
/* Make the stack know the peer's MAC (an NS from fd77::9 for fd77::2 with
 * its SLLA), then clear the recorded frames. */
void f6_learn_peer(struct stack_env *e);
/* Feed a frame. */
void f6_input(struct stack_env *e, const uint8_t *frame, size_t len);

#endif
