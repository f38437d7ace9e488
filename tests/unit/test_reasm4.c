/* test_reasm4.c - IPv4 reassembly (RFC 791 3.2, RFC 815) with Linux's
 * choices: overlaps drop the datagram, 30 s timeout with Time Exceeded
 * code 1 (RFC 792, RFC 1122 3.3.2), bounded memory with eviction; and the
 * fragmented echo reply to a 3000-byte ping, on a fake clock. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "stack/core/stack_impl.h"
#include "tests/unit/support/stack_env.h"

#define ECHO_DATA 3000 /* as ping -s 3000 */
#define ECHO_LEN (ICMP4_HLEN + ECHO_DATA)

static uint8_t echo_msg[ECHO_LEN];

static struct stack_env *ready(void)
{
    struct stack_env *e = env_new(NULL, false);
    env_learn(e, ENV_IP_PEER, &env_mac_peer);
    for (size_t i = 0; i < ECHO_DATA; i++)
        echo_msg[ICMP4_HLEN + i] = (uint8_t)(i * 7);
    icmp4_emit(echo_msg, ICMP4_ECHO_REQUEST, 0, 0x00770001u, ECHO_DATA);
    return e;
}

/* A fragment from the peer to dst: data bytes at off, MF as more. */
static void frag_to(struct stack_env *e, uint32_t dst, uint8_t proto, uint16_t id, size_t off,
                    bool more, const uint8_t *data, size_t len)
{
    uint8_t f[FRAME_MAX];
    struct ipv4_emit_args a = {
        .id = id,
        .frag = (uint16_t)((off / 8) | (more ? IPV4_FLAG_MF : 0)),
        .proto = proto,
        .src = ENV_IP_PEER,
        .dst = dst,
    };
    const struct eth_addr *mac = dst == ENV_IP_US ? &env_mac_us : &frame_broadcast_mac;
    size_t n = frame_ipv4(f, sizeof f, mac, &env_mac_peer, &a, data, len);
    assert_true(n > 0);
    env_input(e, f, n);
}

/* Fragment [off, off + len) of the echo request, datagram id; MF unless
 * it ends the message. */
static void frag(struct stack_env *e, uint16_t id, size_t off, size_t len)
{
    frag_to(e, ENV_IP_US, IPPROTO_ICMP_, id, off, off + len < ECHO_LEN, echo_msg + off, len);
}

/* Put the IPv4 fragments of protocol proto we sent back together in
 * whole (cap bytes); checks what RFC 791 3.2 asks of them. Returns the
 * datagram's length; *n_frags the fragments seen. */
static size_t collect(const struct stack_env *e, uint8_t proto, uint8_t *whole, size_t cap,
                      size_t *n_frags)
{
    size_t got = 0, end = 0, frags = 0;
    uint16_t id = 0;
    bool last_seen = false;
    for (size_t i = 0; i < e->nif.n; i++) {
        struct parsed_frame pf;
        const struct fake_frame *f = fake_netif_frame(&e->nif, i);
        if (frame_parse(f->data, f->len, &pf) != 0 || !pf.is_ipv4 || pf.ip.proto != proto)
            continue;
        assert_true(f->len <= ETH_HLEN + ENV_MTU);
        assert_int_equal(pf.ip.src, ENV_IP_US);
        assert_int_equal(pf.ip.dst, ENV_IP_PEER);
        assert_int_equal(pf.ip.frag & IPV4_FLAG_DF, 0);
        if (frags == 0)
            id = pf.ip.id;
        assert_int_equal(pf.ip.id, id);
        size_t off = (size_t)(pf.ip.frag & IPV4_FRAG_OFF_MASK) * 8;
        bool more = (pf.ip.frag & IPV4_FLAG_MF) != 0;
        if (more)
            assert_int_equal(pf.ip.payload_len % 8, 0);
        else
            last_seen = true;
        assert_true(off + pf.ip.payload_len <= cap);
        memcpy(whole + off, pf.ip.payload, pf.ip.payload_len);
        got += pf.ip.payload_len;
        if (off + pf.ip.payload_len > end)
            end = off + pf.ip.payload_len;
        frags++;
    }
    assert_true(last_seen);
    assert_int_equal(got, end); /* no overlap, no hole */
    *n_frags = frags;
    return end;
}

/* The echo reply, sent in fragments, put back together. */
static void check_reply(struct stack_env *e)
{
    static uint8_t whole[ECHO_LEN];
    size_t frags;
    size_t n = collect(e, IPPROTO_ICMP_, whole, sizeof whole, &frags);
    assert_int_equal(n, ECHO_LEN);
    assert_int_equal(frags, 3); /* 1480 + 1480 + 48 */
    struct icmp4_view ic;
    assert_int_equal(icmp4_parse(whole, n, &ic), WIRE_OK);
    assert_int_equal(ic.type, ICMP4_ECHO_REPLY);
    assert_int_equal(ic.rest, 0x00770001u);
    assert_memory_equal(ic.body, echo_msg + ICMP4_HLEN, ECHO_DATA);
    assert_int_equal(env_ctr(e, CTR_IPV4_TX_FRAGMENTS), 3);
    assert_int_equal(env_ctr(e, CTR_ICMP4_TX_ECHO_REPLIES), 1);
}

/* ICMP Time Exceeded messages sent (code checked). */
static size_t time_exceeded(const struct stack_env *e, struct parsed_frame *last)
{
    size_t n = 0;
    for (size_t i = 0; i < e->nif.n; i++) {
        struct parsed_frame pf;
        const struct fake_frame *f = fake_netif_frame(&e->nif, i);
        if (frame_parse(f->data, f->len, &pf) != 0 || !pf.is_icmp ||
            pf.icmp.type != ICMP4_TIME_EXCEEDED)
            continue;
        *last = pf;
        n++;
    }
    return n;
}

static void test_in_order(void **state)
{
    (void)state;
    struct stack_env *e = ready();
    frag(e, 1, 0, 1480);
    frag(e, 1, 1480, 1480);
    assert_int_equal(e->nif.n, 0);
    frag(e, 1, 2960, ECHO_LEN - 2960);
    assert_int_equal(env_ctr(e, CTR_IPV4_REASM_REQDS), 3);
    assert_int_equal(env_ctr(e, CTR_IPV4_REASM_OKS), 1);
    assert_int_equal(env_ctr(e, CTR_IPV4_REASM_FAILS), 0);
    assert_int_equal(env_ctr(e, CTR_ICMP4_RX_ECHO_REQUESTS), 1);
    check_reply(e);
    /* Nothing left behind. */
    assert_true(reasm4_next_deadline(e->s) == STACK_NO_DEADLINE);
    env_advance(e, 31 * NS_PER_SEC);
    assert_int_equal(env_ctr(e, CTR_IPV4_REASM_TIMEOUTS), 0);
    env_free(e);
}

static void test_reverse_order(void **state)
{
    (void)state;
    struct stack_env *e = ready();
    frag(e, 2, 2960, ECHO_LEN - 2960);
    frag(e, 2, 1480, 1480);
    frag(e, 2, 0, 1480);
    assert_int_equal(env_ctr(e, CTR_IPV4_REASM_OKS), 1);
    check_reply(e);
    env_free(e);
}

static void test_shuffled(void **state)
{
    (void)state;
    struct stack_env *e = ready();
    /* Six pieces of 512 (the last 448), in a fixed shuffled order. */
    static const size_t order[] = {3, 0, 5, 2, 4, 1};
    for (size_t i = 0; i < 6; i++) {
        size_t off = order[i] * 512;
        size_t len = off + 512 <= ECHO_LEN ? 512 : ECHO_LEN - off;
        frag(e, 3, off, len);
        assert_int_equal(env_ctr(e, CTR_IPV4_REASM_OKS), i == 5 ? 1 : 0);
    }
    assert_int_equal(env_ctr(e, CTR_IPV4_REASM_REQDS), 6);
    check_reply(e);
    env_free(e);
}

/* An exact duplicate (a link that duplicated a frame) is dropped alone. */
static void test_duplicate(void **state)
{
    (void)state;
    struct stack_env *e = ready();
    frag(e, 4, 0, 1480);
    frag(e, 4, 0, 1480);
    frag(e, 4, 1480, 1480);
    frag(e, 4, 2960, ECHO_LEN - 2960);
    frag(e, 4, 2960, ECHO_LEN - 2960); /* after: a new datagram, held */
    assert_int_equal(env_ctr(e, CTR_IPV4_REASM_OKS), 1);
    assert_int_equal(env_ctr(e, CTR_IPV4_REASM_OVERLAPS), 0);
    assert_int_equal(env_ctr(e, CTR_IPV4_REASM_FAILS), 0);
    check_reply(e);
    env_free(e);
}

/* Overlapping data drops the whole datagram (Linux since 2018, RFC 5722
 * for IPv6), and its later fragments with it. */
static void test_overlap(void **state)
{
    (void)state;
    struct stack_env *e = ready();
    frag(e, 5, 0, 1480);
    frag(e, 5, 1472, 1480); /* overlaps the first by 8 bytes */
    assert_int_equal(env_ctr(e, CTR_IPV4_REASM_OVERLAPS), 1);
    assert_int_equal(env_ctr(e, CTR_IPV4_REASM_FAILS), 1);
    frag(e, 5, 1480, 1480);
    frag(e, 5, 2960, ECHO_LEN - 2960);
    assert_int_equal(env_ctr(e, CTR_IPV4_REASM_OKS), 0);
    assert_int_equal(env_ctr(e, CTR_ICMP4_RX_ECHO_REQUESTS), 0);
    assert_int_equal(e->nif.n, 0);
    /* Gone at the timeout, silently: it was dropped already. */
    env_advance(e, 31 * NS_PER_SEC);
    assert_int_equal(env_ctr(e, CTR_IPV4_REASM_TIMEOUTS), 0);
    struct parsed_frame pf;
    assert_int_equal(time_exceeded(e, &pf), 0);
    env_free(e);
}

/* RFC 791 3.1: Total Length is 16 bits. A last fragment that puts the
 * end past 65535 (the "ping of death") drops the datagram. */
static void test_total_too_long(void **state)
{
    (void)state;
    struct stack_env *e = ready();
    frag(e, 6, 0, 1480);
    frag_to(e, ENV_IP_US, IPPROTO_ICMP_, 6, 65528, false, echo_msg, 16);
    assert_int_equal(env_ctr(e, CTR_IPV4_REASM_FAILS), 1);
    /* The rest of the datagram is refused too (counted as failures). */
    frag(e, 6, 1480, 1480);
    frag(e, 6, 2960, ECHO_LEN - 2960);
    assert_int_equal(env_ctr(e, CTR_IPV4_REASM_FAILS), 3);
    assert_int_equal(env_ctr(e, CTR_IPV4_REASM_OKS), 0);
    /* Alone, it leaves nothing behind. */
    frag_to(e, ENV_IP_US, IPPROTO_ICMP_, 7, 65520, false, echo_msg, 24);
    assert_int_equal(env_ctr(e, CTR_IPV4_REASM_FAILS), 4);
    assert_true(reasm4_next_deadline(e->s) == e->now + REASM4_TIMEOUT_NS); /* datagram 6 only */
    env_advance(e, 31 * NS_PER_SEC);
    assert_int_equal(env_ctr(e, CTR_IPV4_REASM_TIMEOUTS), 0);
    assert_int_equal(e->nif.n, 0);
    env_free(e);
}

/* RFC 791 3.2: a fragment other than the last carries a multiple of 8
 * bytes; a fragment with nothing in it adds nothing. Both are refused. */
static void test_bad_lengths(void **state)
{
    (void)state;
    struct stack_env *e = ready();
    frag_to(e, ENV_IP_US, IPPROTO_ICMP_, 8, 0, true, echo_msg, 1001);
    assert_int_equal(env_ctr(e, CTR_IPV4_RX_DROP_FRAGMENT), 1);
    frag_to(e, ENV_IP_US, IPPROTO_ICMP_, 8, 0, true, echo_msg, 0);
    frag_to(e, ENV_IP_US, IPPROTO_ICMP_, 8, 1480, false, echo_msg, 0);
    assert_int_equal(env_ctr(e, CTR_IPV4_RX_DROP_FRAGMENT), 3);
    assert_int_equal(env_ctr(e, CTR_IPV4_REASM_FAILS), 3);
    assert_int_equal(env_ctr(e, CTR_IPV4_REASM_REQDS), 0);
    /* Nothing was held: no timer, and the good fragments still work. */
    assert_true(reasm4_next_deadline(e->s) == STACK_NO_DEADLINE);
    frag(e, 8, 0, 1480);
    frag(e, 8, 1480, 1480);
    frag(e, 8, 2960, ECHO_LEN - 2960);
    check_reply(e);
    env_free(e);
}

/* 30 s (Linux ipfrag_time), then Time Exceeded code 1 if the first
 * fragment came (RFC 1122 3.3.2), never about a broadcast. */
static void test_timeout(void **state)
{
    (void)state;
    struct stack_env *e = ready();
    frag(e, 9, 0, 1480);
    frag(e, 10, 1480, 1480); /* another datagram, without its first fragment */
    frag_to(e, ENV_IP_BCAST, IPPROTO_ICMP_, 11, 0, true, echo_msg, 1480); /* to broadcast */
    env_advance(e, 29 * NS_PER_SEC);
    assert_int_equal(env_ctr(e, CTR_IPV4_REASM_TIMEOUTS), 0);
    assert_true(stack_next_deadline(e->s) <= e->now + 1 * NS_PER_SEC);
    env_advance(e, 1 * NS_PER_SEC);
    assert_int_equal(env_ctr(e, CTR_IPV4_REASM_TIMEOUTS), 3);
    assert_int_equal(env_ctr(e, CTR_IPV4_REASM_FAILS), 3);
    struct parsed_frame pf;
    assert_int_equal(time_exceeded(e, &pf), 1);
    assert_int_equal(pf.icmp.code, 1);
    assert_int_equal(pf.ip.dst, ENV_IP_PEER);
    assert_int_equal(pf.ip.src, ENV_IP_US);
    /* The quote is the first fragment: its header (id 9, MF) and data. */
    assert_true(pf.icmp.body_len >= IPV4_HLEN + 8);
    assert_int_equal(rd16(pf.icmp.body + 4), 9);
    assert_int_equal(rd16(pf.icmp.body + 6), IPV4_FLAG_MF);
    assert_memory_equal(pf.icmp.body + IPV4_HLEN, echo_msg, 8);
    /* A late fragment starts a new datagram, which completes nothing. */
    frag(e, 9, 1480, 1480);
    frag(e, 9, 2960, ECHO_LEN - 2960);
    assert_int_equal(env_ctr(e, CTR_IPV4_REASM_OKS), 0);
    env_free(e);
}

/* Past REASM4_MAX_DATAGRAMS datagrams, the oldest is evicted, counted. */
static void test_datagram_cap(void **state)
{
    (void)state;
    struct stack_env *e = ready();
    for (uint16_t id = 100; id < 100 + REASM4_MAX_DATAGRAMS + 5; id++)
        frag(e, id, 1480, 1480);
    assert_int_equal(env_ctr(e, CTR_IPV4_REASM_EVICTED), 5);
    assert_int_equal(env_ctr(e, CTR_IPV4_REASM_FAILS), 5);
    /* A new datagram still gets through (evicting one more). */
    frag(e, 1, 0, 1480);
    frag(e, 1, 1480, 1480);
    frag(e, 1, 2960, ECHO_LEN - 2960);
    assert_int_equal(env_ctr(e, CTR_IPV4_REASM_EVICTED), 6);
    check_reply(e);
    /* The survivors time out; no Time Exceeded without first fragments. */
    env_advance(e, 31 * NS_PER_SEC);
    assert_int_equal(env_ctr(e, CTR_IPV4_REASM_TIMEOUTS), REASM4_MAX_DATAGRAMS - 1);
    env_free(e);
}

/* Past REASM4_MEM_MAX bytes, the oldest datagrams are evicted. */
static void test_byte_cap(void **state)
{
    (void)state;
    struct stack_env *e = ready();
    static uint8_t junk[1480];
    size_t per_dgram = 40 * 1480; /* never completed: no last fragment */
    size_t dgrams = REASM4_MEM_MAX / per_dgram + 3;
    for (uint16_t id = 0; id < dgrams; id++) {
        for (size_t k = 1; k <= 40; k++)
            frag_to(e, ENV_IP_US, IPPROTO_UDP_, (uint16_t)(200 + id), k * 1480, true, junk,
                    sizeof junk);
    }
    assert_true(env_ctr(e, CTR_IPV4_REASM_EVICTED) >= 3);
    assert_true(env_ctr(e, CTR_IPV4_REASM_EVICTED) < dgrams);
    assert_int_equal(env_ctr(e, CTR_IPV4_REASM_FAILS), env_ctr(e, CTR_IPV4_REASM_EVICTED));
    frag(e, 1, 0, 1480);
    frag(e, 1, 1480, 1480);
    frag(e, 1, 2960, ECHO_LEN - 2960);
    check_reply(e);
    env_free(e);
}

/* A fragmented UDP datagram reaches its socket whole. */
static void test_udp_delivered(void **state)
{
    (void)state;
    struct stack_env *e = ready();
    struct udp_sock *us = udp_sock_open(e->s, NULL, NULL);
    struct ip_endpoint l = env_ep(0, 9);
    assert_int_equal(udp_sock_bind(us, &l), 0);
    static uint8_t dgram[UDP_HLEN + 4000];
    for (size_t i = 0; i < 4000; i++)
        dgram[UDP_HLEN + i] = (uint8_t)(i ^ 0x5a);
    struct ip_addr src = ip_addr_v4(ENV_IP_PEER), dst = ip_addr_v4(ENV_IP_US);
    udp_emit(dgram, 5000, 9, 4000, &src, &dst);
    frag_to(e, ENV_IP_US, IPPROTO_UDP_, 12, 2960, false, dgram + 2960, sizeof dgram - 2960);
    frag_to(e, ENV_IP_US, IPPROTO_UDP_, 12, 0, true, dgram, 1480);
    frag_to(e, ENV_IP_US, IPPROTO_UDP_, 12, 1480, true, dgram + 1480, 1480);
    static uint8_t got[5000];
    struct ip_endpoint from;
    assert_int_equal(udp_sock_recvfrom(us, got, sizeof got, &from), 4000);
    assert_memory_equal(got, dgram + UDP_HLEN, 4000);
    assert_int_equal(from.port, 5000);
    udp_sock_close(us);
    env_free(e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_in_order),
        cmocka_unit_test(test_reverse_order),
        cmocka_unit_test(test_shuffled),
        cmocka_unit_test(test_duplicate),
        cmocka_unit_test(test_overlap),
        cmocka_unit_test(test_total_too_long),
        cmocka_unit_test(test_bad_lengths),
        cmocka_unit_test(test_timeout),
        cmocka_unit_test(test_datagram_cap),
        cmocka_unit_test(test_byte_cap),
        cmocka_unit_test(test_udp_delivered),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
