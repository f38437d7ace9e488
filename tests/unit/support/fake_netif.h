/* fake_netif.h - a netif for unit tests that records every frame sent.
 * It has send_offload too; the stack uses it only for an interface whose
 * netif_config.offloads asks for offloads.
 *
 * Use fake_netif_ops with a struct fake_netif as ctx in stack_netif_add.
 * Frames are copied (the stack's buffer is gone after send returns) and
 * kept in order until fake_netif_clear(). */
#ifndef TESTS_FAKE_NETIF_H
#define TESTS_FAKE_NETIF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "stack/stack.h"

#define FAKE_NETIF_MAX_FRAMES 512

struct fake_frame {
    uint8_t *data;
    size_t len;
    bool offloaded;              /* came through send_offload */
    struct netif_tx_offload off; /* what it asked of the device */
};

struct fake_netif {
    struct fake_frame frames[FAKE_NETIF_MAX_FRAMES];
    size_t n;                /* frames recorded */
    size_t overflow;         /* frames sent while full (not recorded) */
    size_t total;            /* every send call that succeeded */
    int fail_with;           /* if non-zero, send returns -fail_with */
    size_t taken;            /* frames consumed by tcp_peer's tp_take */
};

extern const struct netif_ops fake_netif_ops;

void fake_netif_init(struct fake_netif *f);
/* Free the recorded frames and start over (fail_with is kept). */
void fake_netif_clear(struct fake_netif *f);
/* The i-th recorded frame, or NULL. */
const struct fake_frame *fake_netif_frame(const struct fake_netif *f, size_t i);
/* The last recorded frame, or NULL. */
const struct fake_frame *fake_netif_last(const struct fake_netif *f);

#endif
