/* token_bucket.c - see token_bucket.h. */
#include "stack/util/token_bucket.h"

void token_bucket_init(struct token_bucket *tb, uint32_t rate_per_sec, uint32_t burst)
{
    tb->cost_ns = rate_per_sec == 0 ? 0 : 1000000000ull / rate_per_sec;
    if (rate_per_sec != 0 && tb->cost_ns == 0)
        tb->cost_ns = 1;
    tb->cap_ns = tb->cost_ns * burst;
    tb->credit_ns = 0;
    tb->last = 0;
    tb->started = false;
}

bool token_bucket_take(struct token_bucket *tb, uint64_t now)
{
    if (tb->cost_ns == 0)
        return true;
    if (!tb->started) {
        tb->started = true;
        tb->credit_ns = tb->cap_ns;
        tb->last = now;
    } else if (now > tb->last) {
        uint64_t elapsed = now - tb->last;
        uint64_t room = tb->cap_ns - tb->credit_ns;
        tb->credit_ns += elapsed < room ? elapsed : room;
        tb->last = now;
    }
    if (tb->credit_ns < tb->cost_ns)
        return false;
    tb->credit_ns -= tb->cost_ns;
    return true;
}
