/* stack.c - the stack object: create/free, input entry, timers, logging.
 *
 * Everything the stack knows lives in struct stack (stack_impl.h): no
 * globals, so two stacks in one process (simulated links) never meet. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stack/core/stack_impl.h"

void stack_log(const struct stack *s, int level, const char *fmt, ...)
{
    if (s->cfg.log == NULL)
        return;
    char line[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    s->cfg.log(s->cfg.log_ctx, level, line);
}

static bool config_ok(const struct stack_config *cfg)
{
    /* Zero here would mean an empty cache, a busy loop of ARP requests or
     * datagrams sent with TTL 0 (RFC 1122 3.2.1.7 forbids that). */
    return cfg->arp_cache_size > 0 && cfg->arp_retry_ns > 0 && cfg->arp_max_retries > 0 &&
           cfg->ip_default_ttl > 0;
}

struct stack *stack_new(const struct stack_config *cfg)
{
    if (cfg == NULL || !config_ok(cfg)) {
        errno = EINVAL;
        return NULL;
    }
    struct stack *s = calloc(1, sizeof *s);
    if (s == NULL) {
        errno = ENOMEM;
        return NULL;
    }
    s->cfg = *cfg;
    loopback_init(s);
    if (arp_init(s) != 0)
        goto fail_arp;
    udp_table_init(s);
    if (tcp_table_init(s) != 0)
        goto fail_tcp;
    if (nd_init(s) != 0)
        goto fail_nd;
    if (ipv6_init(s) != 0)
        goto fail_ipv6;
    if (reasm4_init(s) != 0)
        goto fail_reasm4;
    token_bucket_init(&s->icmp_bucket, cfg->icmp_rate_per_sec, cfg->icmp_burst);
    /* Start the IP id somewhere the key decides rather than at 0. */
    s->ip_id = (uint16_t)(cfg->key[0] << 8 | cfg->key[1]);
    return s;

    /* Undo what was set up, in reverse (each *_init frees its own part
     * when it fails). */
fail_reasm4:
    ipv6_free(s);
fail_ipv6:
    nd_free(s);
fail_nd:
    tcp_table_free(s);
    udp_table_free(s);
fail_tcp:
    arp_free(s);
fail_arp:
    free(s);
    errno = ENOMEM;
    return NULL;
}

void stack_free(struct stack *s)
{
    if (s == NULL)
        return;
    for (int i = 0; i < s->n_netifs; i++)
        dhcp4_free(&s->netifs[i]);
    reasm4_free(s);
    ipv6_free(s);
    nd_free(s);
    tcp_table_free(s);
    udp_table_free(s);
    arp_free(s);
    loopback_free(s);
    free(s);
}

void stack_input(struct stack *s, int ifindex, const uint8_t *frame, size_t len, uint64_t now)
{
    struct netif *nif = netif_get(s, ifindex);
    if (nif == NULL || frame == NULL)
        return;
    eth_input(s, nif, frame, len, now);
}

void stack_input_offload(struct stack *s, int ifindex, const uint8_t *frame, size_t len,
                         unsigned rx_flags, uint64_t now)
{
    struct netif *nif = netif_get(s, ifindex);
    if (nif == NULL || frame == NULL)
        return;
    s->rx_flags = rx_flags;
    eth_input(s, nif, frame, len, now);
    s->rx_flags = 0;
}

void stack_poll(struct stack *s, uint64_t now)
{
    loopback_poll(s, now);
    route_poll(s, now);
    pmtu_poll(s, now);
    dhcp4_poll(s, now);
    arp_poll(s, now);
    reasm4_poll(s, now);
    nd_poll(s, now);
    ipv6_poll(s, now);
    tcp_poll(s, now);
}

uint64_t stack_next_deadline(const struct stack *s)
{
    /* The ICMP token bucket refills from `now` when used: no timer. */
    uint64_t a = arp_next_deadline(s), t = tcp_next_deadline(s), n = nd_next_deadline(s);
    uint64_t next = a < t ? a : t;
    if (n < next)
        next = n;
    uint64_t r4 = reasm4_next_deadline(s);
    if (r4 < next)
        next = r4;
    uint64_t v6 = ipv6_next_deadline(s); /* reassembly, path MTU expiry */
    if (v6 < next)
        next = v6;
    uint64_t lo = loopback_next_deadline(s); /* packets to take in: now */
    if (lo < next)
        next = lo;
    uint64_t rt = route_next_deadline(s);
    if (rt < next)
        next = rt;
    uint64_t pm = pmtu_next_deadline(s);
    if (pm < next)
        next = pm;
    uint64_t dh = dhcp4_next_deadline(s);
    return dh < next ? dh : next;
}

const uint64_t *stack_counters(const struct stack *s)
{
    return s->ctr;
}
