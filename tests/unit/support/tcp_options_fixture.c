/* tcp_options_fixture.c - see tcp_options_fixture.h. */

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "stack/sock/tcp_impl.h"
#include "tests/unit/support/tcp_peer.h"
#include "tests/unit/support/tcp_options_fixture.h"

/* The test's live environment, freed by the teardown if an assertion
 * ended the test early (so ASan reports only real leaks). */
static struct stack_env *tov_live_env;

struct stack_env *tov_env_open(env_tweak_fn tweak)
{
    assert_null(tov_live_env);
    tov_live_env = tp_env(tweak);
    return tov_live_env;
}

void tov_env_close(struct stack_env *e)
{
    assert_ptr_equal(e, tov_live_env);
    env_free(e);
    tov_live_env = NULL;
}

int tov_teardown_env(void **state)
{
    (void)state;
    if (tov_live_env != NULL)
        env_free(tov_live_env);
    tov_live_env = NULL;
    return 0;
}

uint8_t tov_pat(uint32_t i)
{
    return (uint8_t)(i * 31u + (i >> 9));
}

void tov_fill(uint8_t *buf, uint32_t from, size_t len)
{
    for (size_t i = 0; i < len; i++)
        buf[i] = tov_pat(from + (uint32_t)i);
}

void tov_open_passive(struct conn *k, env_tweak_fn tweak, const struct tcp_options *opt,
                         uint32_t peer_isn, struct tp_out *synack)
{
    memset(k, 0, sizeof *k);
    k->e = tov_env_open(tweak);
    k->l = tp_listen(k->e, PORT, 8);
    struct tp_out sa;
    k->c = tp_accept_conn(k->e, k->l, PORT, peer_isn, opt, &sa);
    k->our_base = sa.t.seq + 1;
    k->peer_base = peer_isn + 1;
    k->peer_nxt = peer_isn + 1;
    k->ts = opt != NULL && opt->has_ts && sa.t.opt.has_ts;
    k->tsval = opt != NULL ? opt->ts_val + 1 : 0;
    k->tsecr = sa.t.opt.ts_val;
    k->win = 502;
    assert_int_equal(tcp_sock_setopt(k->c, TCP_OPT_NODELAY, 1), 0);
    if (synack != NULL)
        *synack = sa;
}

void tov_close_conn(struct conn *k)
{
    tcp_sock_abort(k->c, k->e->now);
    tcp_sock_close(k->l, k->e->now);
    tov_env_close(k->e);
}

void tov_peer_seg(struct conn *k, uint8_t flags, uint32_t seq, uint32_t ack, const void *data,
                     size_t len, const struct tcp_sack_block *sack, uint8_t n_sack)
{
    struct tcp_options o = {0};
    if (k->ts) {
        o.has_ts = true;
        o.ts_val = k->tsval;
        o.ts_ecr = k->tsecr;
    }
    for (uint8_t i = 0; i < n_sack; i++)
        o.sack[i] = sack[i];
    o.n_sack = n_sack;
    bool any = o.has_ts || n_sack > 0;
    tp_send(k->e, &(struct tp_seg){.dport = PORT, .seq = seq, .ack = ack, .flags = flags,
                                   .window = k->win, .opt = any ? &o : NULL,
                                   .payload = data, .len = len});
}

void tov_peer_data(struct conn *k, const void *data, size_t len, uint32_t ack)
{
    tov_peer_seg(k, TCP_FLAG_ACK | TCP_FLAG_PSH, k->peer_nxt, ack, data, len, NULL, 0);
    k->peer_nxt += (uint32_t)len;
}

void tov_peer_ack(struct conn *k, uint32_t ack, const struct tcp_sack_block *sack,
                     uint8_t n_sack)
{
    tov_peer_seg(k, TCP_FLAG_ACK, k->peer_nxt, ack, NULL, 0, sack, n_sack);
}

bool tov_take(struct conn *k, struct tp_out *o)
{
    if (!tp_try_take(k->e, o))
        return false;
    if (o->t.opt.has_ts)
        k->tsecr = o->t.opt.ts_val;
    return true;
}

size_t tov_drain(struct conn *k)
{
    struct tp_out o;
    size_t n = 0;
    while (tov_take(k, &o))
        n++;
    tp_clear(k->e);
    return n;
}

void tov_send_all(struct conn *k, uint32_t from, size_t len)
{
    uint8_t buf[16384];
    assert_true(len <= sizeof buf);
    tov_fill(buf, from, len);
    assert_int_equal(tcp_sock_send(k->c, buf, len, k->e->now), (long)len);
}
