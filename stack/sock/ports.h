/* ports.h - ephemeral local ports, shared by UDP and TCP sockets.
 *
 * RFC 6056 3.3.3 (algorithm 3, "simple hash-based"): start at a keyed
 * hash of the connection's addresses and remote port plus a per-table
 * counter, then walk the range until the caller's test finds a free port.
 */
#ifndef TCPIP_SOCK_PORTS_H
#define TCPIP_SOCK_PORTS_H

#include <stdbool.h>
#include <stdint.h>

#include "stack/util/siphash.h"
#include "stack/wire/addr.h"

/* RFC 6056 2.1 / Linux ip_local_port_range. */
#define EPHEMERAL_MIN 32768u
#define EPHEMERAL_MAX 60999u

/* Is port in use for the caller's purpose? ctx is the caller's own. */
typedef bool (*port_taken_fn)(void *ctx, uint16_t port);

/* A free port for local -> remote:rport, or 0 when the whole range is
 * taken. *counter is the table's algorithm-3 counter: advanced once per
 * port tried. */
uint16_t ephemeral_port_pick(const uint8_t key[SIPHASH_KEY_LEN], uint32_t *counter,
                             const struct ip_addr *local, const struct ip_addr *remote,
                             uint16_t rport, port_taken_fn taken, void *ctx);

#endif
