/* test_reasm6.c - IPv6 reassembly (RFC 8200 4.5, RFC 5722 overlaps,
 * RFC 6946 atomic fragments, 60 s timeout, bounded memory) and the
 * fragmented echo reply, with a fake clock. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "stack/core/ipv6_impl.h"
#include "stack/wire/eth.h"
#include "tests/unit/support/frames6.h"

#define ECHO_DATA 3000   /* as ping -6 -s 3000 */

static uint8_t echo_msg[ICMP6_HLEN + ECHO_DATA];
static size_t echo_len;

static struct stack_env *ready(void)
{
    struct stack_env *e = env6_ready(env6_tweak_no_slaac);
    f6_learn_peer(e);
    echo_len = f6_echo(echo_msg, env6_peer, env6_us, 0x77, 1, ECHO_DATA);
    return e;
}

/* Fragment [off, off + len) of the echo request, datagram id. */
static void frag(struct stack_env *e, uint32_t id, size_t off, size_t len)
{
    uint8_t f[FRAME_MAX];
    bool more = off + len < echo_len;
    size_t n = f6_frag(f, sizeof f, env6_peer, env6_us, IPV6_NH_ICMPV6, off, more, id,
                       echo_msg + off, len);
    assert_true(n > 0);
    env_input(e, f, n);
}

/* The echo reply the stack sent in fragments, put back together. */
static void check_reply(struct stack_env *e)
{
    uint8_t whole[ICMP6_HLEN + ECHO_DATA];
    size_t got = 0, frags = 0;
    uint32_t id = 0;
    for (size_t i = 0; i < e->nif.n; i++) {
        const struct fake_frame *f = fake_netif_frame(&e->nif, i);
        struct ipv6_view ip;
        if (f->len < ETH_HLEN || rd16(f->data + 12) != ETHERTYPE_IPV6 ||
            ipv6_parse(f->data + ETH_HLEN, f->len - ETH_HLEN, &ip) != WIRE_OK ||
            ip.next_header != IPV6_NH_FRAGMENT)
            continue;
        assert_true(f->len <= ETH_HLEN + ENV_MTU);
        assert_memory_equal(ip.src, env6_us, 16);
        assert_memory_equal(ip.dst, env6_peer, 16);
        struct ipv6_chain c;
        assert_int_equal(ipv6_walk(&ip, &c), WIRE_OK);
        assert_true(c.has_frag);
        assert_int_equal(c.proto, IPV6_NH_ICMPV6);
        if (frags == 0)
            id = c.frag_id;
        assert_int_equal(c.frag_id, id);
        size_t off = (size_t)c.frag_offset * 8;
        assert_int_equal(off, got);
        assert_true(off + c.upper_len <= sizeof whole);
        memcpy(whole + off, c.upper, c.upper_len);
        got += c.upper_len;
        frags++;
        assert_int_equal(c.frag_more, got < sizeof whole);
    }
    assert_int_equal(frags, 3);
    assert_int_equal(got, sizeof whole);
    struct ip_addr as = ipv6_addr_tag(env6_us), ad = ipv6_addr_tag(env6_peer);
    struct icmp6_view m;
    assert_int_equal(icmp6_parse(whole, got, &as, &ad, &m), WIRE_OK);
    assert_int_equal(m.type, ICMP6_ECHO_REPLY);
    assert_int_equal(icmp6_echo_id(&m), 0x77);
    assert_memory_equal(m.body, echo_msg + ICMP6_HLEN, ECHO_DATA);
    assert_int_equal(env_ctr(e, CTR_IPV6_TX_FRAGMENTS), 3);
}

static void test_in_order(void **state)
{
    (void)state;
    struct stack_env *e = ready();
    frag(e, 1, 0, 1448);
    frag(e, 1, 1448, 1448);
    assert_int_equal(e->nif.n, 0);
    frag(e, 1, 2896, echo_len - 2896);
    assert_int_equal(env_ctr(e, CTR_IPV6_REASM_FRAGS), 3);
    assert_int_equal(env_ctr(e, CTR_IPV6_REASM_OK), 1);
    assert_int_equal(env_ctr(e, CTR_ICMP6_RX_ECHO_REQUESTS), 1);
    check_reply(e);
    assert_int_equal(env_ctr(e, CTR_ICMP6_TX_ECHO_REPLIES), 1);
    /* Nothing left behind. */
    env_advance(e, 61 * NS_PER_SEC);
    assert_int_equal(env_ctr(e, CTR_IPV6_REASM_DROP_TIMEOUT), 0);
    env_free(e);
}

static void test_out_of_order(void **state)
{
    (void)state;
    struct stack_env *e = ready();
    frag(e, 2, 2896, echo_len - 2896);
    frag(e, 2, 0, 1448);
    frag(e, 2, 1448, 1448);
    assert_int_equal(env_ctr(e, CTR_IPV6_REASM_OK), 1);
    check_reply(e);
    env_free(e);
}

/* RFC 5722: an overlap drops the whole datagram, later fragments too. */
static void test_overlap(void **state)
{
    (void)state;
    struct stack_env *e = ready();
    frag(e, 3, 0, 1448);
    frag(e, 3, 1440, 1448); /* overlaps the first by 8 bytes */
    assert_int_equal(env_ctr(e, CTR_IPV6_REASM_DROP_OVERLAP), 1);
    frag(e, 3, 1448, 1448);
    frag(e, 3, 2896, echo_len - 2896);
    assert_int_equal(env_ctr(e, CTR_IPV6_REASM_OK), 0);
    assert_int_equal(env_ctr(e, CTR_ICMP6_RX_ECHO_REQUESTS), 0);
    assert_int_equal(e->nif.n, 0);
    /* Gone after the timeout, silently (the datagram was dropped). */
    env_advance(e, 61 * NS_PER_SEC);
    assert_int_equal(env_ctr(e, CTR_IPV6_REASM_DROP_TIMEOUT), 0);
    assert_int_equal(env6_count(e, ICMP6_TIME_EXCEEDED), 0);
    env_free(e);
}

/* An exact duplicate (a link that duplicated a frame) is dropped alone. */
static void test_duplicate(void **state)
{
    (void)state;
    struct stack_env *e = ready();
    frag(e, 4, 0, 1448);
    frag(e, 4, 0, 1448);
    assert_int_equal(env_ctr(e, CTR_IPV6_REASM_DROP_DUP), 1);
    frag(e, 4, 1448, 1448);
    frag(e, 4, 2896, echo_len - 2896);
    assert_int_equal(env_ctr(e, CTR_IPV6_REASM_OK), 1);
    check_reply(e);
    env_free(e);
}

/* RFC 8200 4.5: 60 s, then Time Exceeded code 1 if the first fragment came. */
static void test_timeout(void **state)
{
    (void)state;
    struct stack_env *e = ready();
    frag(e, 5, 0, 1448);
    frag(e, 6, 1448, 1448); /* another datagram, without its first fragment */
    env_advance(e, 59 * NS_PER_SEC);
    assert_int_equal(env_ctr(e, CTR_IPV6_REASM_DROP_TIMEOUT), 0);
    assert_true(stack_next_deadline(e->s) <= e->now + 1 * NS_PER_SEC);
    env_advance(e, 1 * NS_PER_SEC);
    assert_int_equal(env_ctr(e, CTR_IPV6_REASM_DROP_TIMEOUT), 2);
    /* The peer's entry aged out in a minute: the error waits for its NA. */
    uint8_t na[128], f[256];
    size_t nl = env6_na(na, env6_peer, env6_us, ND_NA_FLAG_SOLICITED | ND_NA_FLAG_OVERRIDE,
                        env6_peer, &env_mac_peer);
    env_input(e, f, f6_packet(f, sizeof f, env6_peer, env6_us, IPV6_NH_ICMPV6, 255, na, nl));
    assert_int_equal(env6_count(e, ICMP6_TIME_EXCEEDED), 1);
    struct env6_out o;
    env6_last(e, ICMP6_TIME_EXCEEDED, &o);
    assert_int_equal(o.m.code, ICMP6_REASSEMBLY_TIME);
    assert_memory_equal(o.ip.dst, env6_peer, 16);
    /* The quote is the first fragment, fragment header included. */
    assert_int_equal(o.m.body_len, ICMP6_ERROR_MAX_QUOTE);
    assert_int_equal(o.m.body[6], IPV6_NH_FRAGMENT);
    assert_int_equal(rd32(o.m.body + IPV6_HLEN + 4), 5);
    /* A late fragment starts a new datagram, which completes nothing. */
    frag(e, 5, 1448, 1448);
    frag(e, 5, 2896, echo_len - 2896);
    assert_int_equal(env_ctr(e, CTR_IPV6_REASM_OK), 0);
    env_free(e);
}

/* RFC 6946: an atomic fragment is handled on its own and leaves a
 * datagram with the same id alone. */
static void test_atomic(void **state)
{
    (void)state;
    struct stack_env *e = ready();
    frag(e, 7, 0, 1448); /* pending datagram 7 */
    uint8_t msg[64], f[256];
    size_t n = f6_echo(msg, env6_peer, env6_us, 9, 9, 16);
    size_t fl = f6_frag(f, sizeof f, env6_peer, env6_us, IPV6_NH_ICMPV6, 0, false, 7, msg, n);
    env_input(e, f, fl);
    assert_int_equal(env_ctr(e, CTR_IPV6_RX_ATOMIC_FRAGS), 1);
    assert_int_equal(env6_count(e, ICMP6_ECHO_REPLY), 1);
    frag(e, 7, 1448, 1448);
    frag(e, 7, 2896, echo_len - 2896);
    assert_int_equal(env_ctr(e, CTR_IPV6_REASM_OK), 1);
    env_free(e);
}

/* The last fragment fixes the length: a fragment past it is bad. */
static void test_inconsistent_length(void **state)
{
    (void)state;
    struct stack_env *e = ready();
    frag(e, 8, 2896, echo_len - 2896); /* last */
    uint8_t f[FRAME_MAX];
    size_t n = f6_frag(f, sizeof f, env6_peer, env6_us, IPV6_NH_ICMPV6, 2896, true, 8,
                       echo_msg, 1448);
    env_input(e, f, n);
    assert_int_equal(env_ctr(e, CTR_IPV6_REASM_DROP_BAD), 1);
    frag(e, 8, 0, 1448);
    frag(e, 8, 1448, 1448);
    assert_int_equal(env_ctr(e, CTR_IPV6_REASM_OK), 0);
    env_free(e);
}

/* Bounded: past REASM6_MAX_DATAGRAMS datagrams, new fragments are
 * dropped and counted; memory comes back when they expire. */
static void test_bounded(void **state)
{
    (void)state;
    struct stack_env *e = ready();
    for (uint32_t id = 100; id < 100 + REASM6_MAX_DATAGRAMS + 5; id++)
        frag(e, id, 1448, 1448);
    assert_int_equal(env_ctr(e, CTR_IPV6_REASM_DROP_MEMORY), 5);
    env_advance(e, 61 * NS_PER_SEC);
    assert_int_equal(env_ctr(e, CTR_IPV6_REASM_DROP_TIMEOUT), REASM6_MAX_DATAGRAMS);
    frag(e, 1, 0, 1448);
    frag(e, 1, 1448, 1448);
    frag(e, 1, 2896, echo_len - 2896);
    assert_int_equal(env_ctr(e, CTR_IPV6_REASM_OK), 1);
    env_free(e);
}

/* A non-final fragment whose length is not a multiple of 8: Parameter
 * Problem code 0 at the Payload Length (RFC 8200 4.5). */
static void test_bad_fragment_length(void **state)
{
    (void)state;
    struct stack_env *e = ready();
    uint8_t f[FRAME_MAX];
    size_t n = f6_frag(f, sizeof f, env6_peer, env6_us, IPV6_NH_ICMPV6, 0, true, 9,
                       echo_msg, 1001);
    env_input(e, f, n);
    assert_int_equal(env_ctr(e, CTR_IPV6_REASM_FRAGS), 0);
    assert_int_equal(env6_count(e, ICMP6_PARAM_PROBLEM), 1);
    struct env6_out o;
    env6_last(e, ICMP6_PARAM_PROBLEM, &o);
    assert_int_equal(o.m.code, ICMP6_PP_HEADER);
    assert_int_equal(o.m.rest, 4);
    env_free(e);
}

/* RFC 7112: a first fragment that cuts the header chain is refused with
 * Parameter Problem code 3. */
static void test_incomplete_chain(void **state)
{
    (void)state;
    struct stack_env *e = ready();
    uint8_t dstopts[16] = {IPV6_NH_ICMPV6, 2}; /* claims 24 bytes, 16 present */
    uint8_t f[FRAME_MAX];
    size_t n = f6_frag(f, sizeof f, env6_peer, env6_us, IPV6_NH_DSTOPTS, 0, true, 10,
                       dstopts, sizeof dstopts);
    env_input(e, f, n);
    assert_int_equal(env_ctr(e, CTR_IPV6_REASM_DROP_BAD), 1);
    assert_int_equal(env_ctr(e, CTR_IPV6_REASM_FRAGS), 0);
    assert_int_equal(env6_count(e, ICMP6_PARAM_PROBLEM), 1);
    struct env6_out o;
    env6_last(e, ICMP6_PARAM_PROBLEM, &o);
    assert_int_equal(o.m.code, 3);
    env_free(e);
}

/* A device's "checksum OK" was about one fragment, never about the
 * packet they make: a reassembled UDP datagram with a bad checksum is
 * dropped even when every fragment came with STACK_RX_CSUM_OK. */
static void test_reassembled_csum_checked(void **state)
{
    (void)state;
    struct stack_env *e = ready();
    struct udp_sock *us = udp_sock_open(e->s, NULL, NULL);
    assert_non_null(us);
    assert_int_equal(udp_sock_set_family(us, IP_FAMILY_V6), 0);
    struct ip_endpoint any = {.addr = {.family = IP_FAMILY_V6}, .port = 9};
    assert_int_equal(udp_sock_bind(us, &any), 0);
    static uint8_t dgram[UDP_HLEN + 2000];
    memset(dgram, 'u', sizeof dgram);
    wr16(dgram, 5000);
    wr16(dgram + 2, 9);
    wr16(dgram + 4, (uint16_t)sizeof dgram);
    wr16(dgram + 6, 0x1234); /* wrong, and not 0 */
    uint8_t f[FRAME_MAX];
    size_t half = 1232;
    size_t n = f6_frag(f, sizeof f, env6_peer, env6_us, IPV6_NH_UDP, 0, true, 9, dgram, half);
    assert_true(n > 0);
    stack_input_offload(e->s, e->ifindex, f, n, STACK_RX_CSUM_OK, e->now);
    n = f6_frag(f, sizeof f, env6_peer, env6_us, IPV6_NH_UDP, half, false, 9, dgram + half,
                sizeof dgram - half);
    assert_true(n > 0);
    stack_input_offload(e->s, e->ifindex, f, n, STACK_RX_CSUM_OK, e->now);
    assert_int_equal(env_ctr(e, CTR_IPV6_REASM_OK), 1);
    assert_int_equal(env_ctr(e, CTR_UDP_RX_DROP_BAD_CSUM), 1);
    assert_int_equal(udp_sock_peek_size(us), -EAGAIN);
    udp_sock_close(us);
    env_free(e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_in_order),
        cmocka_unit_test(test_reassembled_csum_checked),
        cmocka_unit_test(test_out_of_order),
        cmocka_unit_test(test_overlap),
        cmocka_unit_test(test_duplicate),
        cmocka_unit_test(test_timeout),
        cmocka_unit_test(test_atomic),
        cmocka_unit_test(test_inconsistent_length),
        cmocka_unit_test(test_bounded),
        cmocka_unit_test(test_bad_fragment_length),
        cmocka_unit_test(test_incomplete_chain),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
