/* token_bucket.h - a token bucket for rate limits (ICMP errors, later RSTs
 * and challenge ACKs), driven by the caller's `now`.
 *
 * Tokens are kept as nanoseconds of credit: one token costs 1e9/rate ns,
 * the bucket holds at most burst tokens, and elapsed time refills it. This
 * is Linux's icmp_global_allow() idea without floating point. */
#ifndef TCPIP_UTIL_TOKEN_BUCKET_H
#define TCPIP_UTIL_TOKEN_BUCKET_H

#include <stdbool.h>
#include <stdint.h>

struct token_bucket {
    uint64_t cost_ns;        /* credit one token takes; 0 = unlimited */
    uint64_t cap_ns;         /* burst * cost_ns */
    uint64_t credit_ns;
    uint64_t last;           /* `now` of the last refill */
    bool started;            /* the first take fills the bucket */
};

/* rate_per_sec 0 means no limit; burst 0 means nothing passes. */
void token_bucket_init(struct token_bucket *tb, uint32_t rate_per_sec, uint32_t burst);
/* Take one token if there is one: true = allowed. */
bool token_bucket_take(struct token_bucket *tb, uint64_t now);

#endif
