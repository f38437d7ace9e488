/* tcp_state_fixture.c - see tcp_state_fixture.h. */

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "tests/unit/support/tcp_peer.h"
#include "tests/unit/support/tcp_state_fixture.h"

/* ---- fixture helpers ---- */

/* The test's stack, freed by the teardown even when an assertion fails
 * half-way (so a failing test does not also show up as leaks). */
static struct stack_env *tst_cur_env;

struct stack_env *tst_new_env(env_tweak_fn tweak)
{
    tst_cur_env = tp_env(tweak);
    return tst_cur_env;
}

void tst_end_env(struct stack_env *e)
{
    assert_ptr_equal(e, tst_cur_env);
    env_free(e);
    tst_cur_env = NULL;
}

int tst_teardown(void **state)
{
    (void)state;
    if (tst_cur_env != NULL)
        env_free(tst_cur_env);
    tst_cur_env = NULL;
    return 0;
}

void tst_open_active(struct conn *k, env_tweak_fn tweak, const struct tcp_options *o)
{
    k->e = tst_new_env(tweak);
    struct tp_out syn;
    k->c = tp_connect_conn(k->e, PEER_ISN, o != NULL ? o : &tst_mss_only, &syn);
    k->port = syn.t.sport;
    k->peer_port = TP_PEER_PORT;
    k->snd = syn.t.seq + 1;
    k->rcv = PEER_ISN + 1;
    assert_int_equal(tp_pending(k->e), 0);
}

void tst_peer(struct conn *k, uint32_t seq, uint32_t ack, uint8_t flags, const void *data,
                 size_t len)
{
    tp_send(k->e, &(struct tp_seg){.sport = k->peer_port, .dport = k->port, .seq = seq,
                                   .ack = ack, .flags = flags, .payload = data, .len = len});
}

void tst_expect_seg(struct stack_env *e, struct tp_out *o, uint8_t flags, uint32_t seq,
                       uint32_t ack, size_t len)
{
    struct tp_out tmp;
    if (o == NULL)
        o = &tmp;
    tp_take(e, o);
    assert_int_equal(o->t.flags, flags);
    assert_int_equal(o->t.seq, seq);
    if (flags & ACK)
        assert_int_equal(o->t.ack, ack);
    else
        assert_int_equal(o->t.ack, 0);
    assert_int_equal(o->t.payload_len, len);
}

void tst_expect_none(struct stack_env *e)
{
    assert_int_equal(tp_pending(e), 0);
}

void tst_advance_exactly(struct stack_env *e, uint64_t ns)
{
    env_advance(e, ns - 1);
    tst_expect_none(e);
    env_advance(e, 1);
}

void tst_peer_syn(struct stack_env *e, uint16_t sport, uint32_t isn, struct tp_out *synack)
{
    tp_send(e, &(struct tp_seg){.sport = sport, .dport = LISTEN_PORT, .seq = isn,
                                .flags = SYN, .opt = &tst_mss_only});
    if (synack != NULL) {
        tp_take(e, synack);
        assert_int_equal(synack->t.flags, SYN | ACK);
        assert_int_equal(synack->t.ack, isn + 1);
    }
}

void tst_peer_third_ack(struct stack_env *e, uint16_t sport, uint32_t isn,
                           const struct tp_out *synack)
{
    tp_send(e, &(struct tp_seg){.sport = sport, .dport = LISTEN_PORT, .seq = isn + 1,
                                .ack = synack->t.seq + 1, .flags = ACK});
}
