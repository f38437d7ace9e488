/* tcp_input_fixture.c - see tcp_input_fixture.h. */

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "stack/sock/tcp_impl.h"
#include "stack/wire/eth.h"
#include "tests/unit/support/bytes.h"
#include "tests/unit/support/tcp_peer.h"
#include "tests/unit/support/tcp_input_fixture.h"

/* The test's live environment, freed by the teardown if an assertion
 * ended the test early (so ASan reports only real leaks). */
static struct stack_env *tin_live_env;

struct stack_env *tin_env_open(env_tweak_fn tweak)
{
    assert_null(tin_live_env);
    tin_live_env = tp_env(tweak);
    return tin_live_env;
}

void tin_env_close(struct stack_env *e)
{
    assert_ptr_equal(e, tin_live_env);
    env_free(e);
    tin_live_env = NULL;
}

int tin_teardown_env(void **state)
{
    (void)state;
    if (tin_live_env != NULL)
        env_free(tin_live_env);
    tin_live_env = NULL;
    return 0;
}

uint8_t tin_pat(uint32_t i)
{
    return (uint8_t)(i * 131u + (i >> 8) + 7u);
}

void tin_fill(uint8_t *buf, uint32_t from, size_t len)
{
    for (size_t i = 0; i < len; i++)
        buf[i] = tin_pat(from + (uint32_t)i);
}

void tin_open_conn(struct conn *k, env_tweak_fn tweak)
{
    memset(k, 0, sizeof *k);
    k->e = tin_env_open(tweak);
    k->l = tp_listen(k->e, PORT, 8);
    struct tcp_options o = tp_linux_syn_options(100);
    struct tp_out sa;
    k->c = tp_accept_conn(k->e, k->l, PORT, 1000, &o, &sa);
    k->peer_base = k->peer_nxt = 1001;
    k->our_nxt = sa.t.seq + 1;
    k->tsval = 101;
    k->tsecr = sa.t.opt.ts_val;
}

void tin_close_conn(struct conn *k)
{
    if (k->c != NULL)
        tcp_sock_abort(k->c, k->e->now);
    tcp_sock_close(k->l, k->e->now);
    tin_env_close(k->e);
}

struct tcp_options tin_ts_opt(const struct conn *k)
{
    struct tcp_options o = {.has_ts = true, .ts_val = k->tsval, .ts_ecr = k->tsecr};
    return o;
}

void tin_seg(struct conn *k, uint8_t flags, uint32_t seq, uint32_t ack, const void *data,
                size_t len)
{
    struct tcp_options o = tin_ts_opt(k);
    tp_send(k->e, &(struct tp_seg){.dport = PORT, .seq = seq, .ack = ack, .flags = flags,
                                   .window = 502, .opt = &o, .payload = data, .len = len});
}

void tin_data(struct conn *k, size_t len)
{
    uint8_t d[1500];
    assert_true(len <= sizeof d);
    tin_fill(d, k->peer_nxt - k->peer_base, len);
    tin_seg(k, TCP_FLAG_ACK | TCP_FLAG_PSH, k->peer_nxt, k->our_nxt, d, len);
    k->peer_nxt += (uint32_t)len;
}

size_t tin_drain(struct stack_env *e)
{
    struct tp_out o;
    size_t n = 0;
    while (tp_try_take(e, &o))
        n++;
    tp_clear(e);
    return n;
}

size_t tin_read_check(struct conn *k, uint32_t from)
{
    uint8_t buf[4096];
    size_t total = 0;
    for (int i = 0; i < 1000; i++) {
        long n = tcp_sock_recv(k->c, buf, sizeof buf, k->e->now);
        if (n <= 0)
            break;
        for (long j = 0; j < n; j++)
            assert_int_equal(buf[j], tin_pat(from + (uint32_t)(total + (size_t)j)));
        total += (size_t)n;
    }
    return total;
}

void tin_fix_tcp_csum(uint8_t *f, size_t n)
{
    uint8_t *tcp = f + TCP_AT;
    /* From the IPv4 total length: short frames carry Ethernet padding. */
    size_t len = (size_t)((f[ETH_HLEN + 2] << 8) | f[ETH_HLEN + 3]) - 20;
    assert_true(TCP_AT + len <= n);
    uint8_t ph[12];
    memcpy(ph, f + ETH_HLEN + 12, 8);
    ph[8] = 0;
    ph[9] = 6;
    ph[10] = (uint8_t)(len >> 8);
    ph[11] = (uint8_t)len;
    tcp[16] = tcp[17] = 0;
    uint32_t sum = (uint32_t)ref_sum(ph, sizeof ph) + ref_sum(tcp, len);
    while (sum > 0xffff)
        sum = (sum & 0xffff) + (sum >> 16);
    uint16_t c = (uint16_t)~sum;
    tcp[16] = (uint8_t)(c >> 8);
    tcp[17] = (uint8_t)c;
}

size_t tin_cut_tcp(uint8_t *f, size_t tcp_len)
{
    uint8_t *ip = f + ETH_HLEN;
    size_t tot = 20 + tcp_len;
    ip[2] = (uint8_t)(tot >> 8);
    ip[3] = (uint8_t)tot;
    ip[10] = ip[11] = 0;
    uint16_t c = ref_csum(ip, 20);
    ip[10] = (uint8_t)(c >> 8);
    ip[11] = (uint8_t)c;
    return ETH_HLEN + tot;
}

void tin_assert_established(struct conn *k)
{
    assert_int_equal(tcp_sock_state(k->c), TCP_ESTABLISHED);
    assert_int_equal(tcp_sock_error(k->c), 0);
}
