/* siphash.h - SipHash-2-4 (Aumasson & Bernstein, 2012), a keyed hash.
 *
 * Used where an attacker must not predict or collide our choices from the
 * outside: RFC 6056 ephemeral ports now, RFC 6528 ISNs and SYN cookies
 * later. The key comes from the caller's random source (stack_config.key). */
#ifndef TCPIP_UTIL_SIPHASH_H
#define TCPIP_UTIL_SIPHASH_H

#include <stddef.h>
#include <stdint.h>

#define SIPHASH_KEY_LEN 16

uint64_t siphash24(const uint8_t key[SIPHASH_KEY_LEN], const void *data, size_t len);

#endif
