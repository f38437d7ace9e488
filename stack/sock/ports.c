/* ports.c - see ports.h. */
#include "stack/sock/ports.h"

#include "stack/sock/sock_addr.h"
#include "stack/wire/wire.h"

uint16_t ephemeral_port_pick(const uint8_t key[SIPHASH_KEY_LEN], uint32_t *counter,
                             const struct ip_addr *local, const struct ip_addr *remote,
                             uint16_t rport, port_taken_fn taken, void *ctx)
{
    uint8_t msg[2 * SOCK_ADDR_BYTES + 2];
    sock_addr_bytes(msg, local);
    sock_addr_bytes(msg + SOCK_ADDR_BYTES, remote);
    wr16(msg + 2 * SOCK_ADDR_BYTES, rport);
    uint32_t offset = (uint32_t)siphash24(key, msg, sizeof msg);
    uint32_t n = EPHEMERAL_MAX - EPHEMERAL_MIN + 1;
    for (uint32_t i = 0; i < n; i++) {
        uint16_t port = (uint16_t)(EPHEMERAL_MIN + (offset + *counter) % n);
        (*counter)++;
        if (!taken(ctx, port))
            return port;
    }
    return 0;
}
