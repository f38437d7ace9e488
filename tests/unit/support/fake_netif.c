/* fake_netif.c - see fake_netif.h. */
#include <stdlib.h>
#include <string.h>

#include "tests/unit/support/fake_netif.h"

static int record(struct fake_netif *f, const uint8_t *frame, size_t len,
                  const struct netif_tx_offload *o)
{
    if (f->fail_with != 0)
        return -f->fail_with;
    f->total++;
    if (f->n >= FAKE_NETIF_MAX_FRAMES) {
        f->overflow++;
        return 0;
    }
    uint8_t *copy = malloc(len > 0 ? len : 1);
    if (copy == NULL) {
        f->overflow++;
        return 0;
    }
    memcpy(copy, frame, len);
    f->frames[f->n].data = copy;
    f->frames[f->n].len = len;
    f->frames[f->n].offloaded = o != NULL;
    if (o != NULL)
        f->frames[f->n].off = *o;
    else
        memset(&f->frames[f->n].off, 0, sizeof f->frames[f->n].off);
    f->n++;
    return 0;
}

static int fake_send(void *ctx, const uint8_t *frame, size_t len)
{
    return record(ctx, frame, len, NULL);
}

static int fake_send_offload(void *ctx, const uint8_t *frame, size_t len,
                             const struct netif_tx_offload *o)
{
    return record(ctx, frame, len, o);
}

const struct netif_ops fake_netif_ops = {
    .send = fake_send,
    .send_offload = fake_send_offload,
};

void fake_netif_init(struct fake_netif *f)
{
    memset(f, 0, sizeof *f);
}

void fake_netif_clear(struct fake_netif *f)
{
    for (size_t i = 0; i < f->n; i++)
        free(f->frames[i].data);
    f->n = 0;
    f->overflow = 0;
    f->total = 0;
    f->taken = 0;
}

const struct fake_frame *fake_netif_frame(const struct fake_netif *f, size_t i)
{
    return i < f->n ? &f->frames[i] : NULL;
}

const struct fake_frame *fake_netif_last(const struct fake_netif *f)
{
    return f->n > 0 ? &f->frames[f->n - 1] : NULL;
}
