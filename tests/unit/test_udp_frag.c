/* test_udp_frag.c - UDP datagrams above the MTU are fragmented at the
 * source, as Linux does: IPv4 (RFC 791 3.2: DF clear, one Identification)
 * and IPv6 (RFC 8200 4.5: Fragment headers). The fragments are turned
 * around (addresses swapped, which changes no checksum) and fed back to
 * the same stack, whose reassembly must give the original datagram to a
 * socket on the destination port. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "stack/core/stack_impl.h"
#include "stack/wire/eth.h"
#include "stack/wire/ipv6.h"
#include "stack/wire/udp.h"
#include "tests/unit/support/env6.h"
#include "tests/unit/support/frames6.h"

#define PORT 7

static uint8_t data[65527];
static uint8_t got[65536];

static void fill(void)
{
    for (size_t i = 0; i < sizeof data; i++)
        data[i] = (uint8_t)(i * 13 + (i >> 8));
}

static void swap(uint8_t *a, uint8_t *b, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        uint8_t t = a[i];
        a[i] = b[i];
        b[i] = t;
    }
}

/* Turn frame i around (MACs and IP addresses swapped) and feed it back. */
static void turn_around(struct stack_env *e, size_t i, bool v6)
{
    const struct fake_frame *f = fake_netif_frame(&e->nif, i);
    assert_non_null(f);
    static uint8_t buf[FRAME_MAX];
    assert_true(f->len <= sizeof buf);
    memcpy(buf, f->data, f->len);
    swap(buf, buf + 6, 6);
    if (v6)
        swap(buf + ETH_HLEN + 8, buf + ETH_HLEN + 24, 16);
    else
        swap(buf + ETH_HLEN + 12, buf + ETH_HLEN + 16, 4);
    stack_input(e->s, e->ifindex, buf, f->len, e->now);
}

/* IPv4: the frames sent are fragments of one datagram as RFC 791 3.2
 * says; n_frags of them. */
static void check_frags4(const struct stack_env *e, size_t from, size_t n_frags)
{
    assert_int_equal(e->nif.n - from, n_frags);
    uint16_t id = 0;
    size_t next = 0;
    for (size_t i = from; i < e->nif.n; i++) {
        struct parsed_frame pf;
        env_frame(e, i, &pf);
        assert_true(pf.is_ipv4);
        assert_true(e->nif.frames[i].len <= ETH_HLEN + ENV_MTU);
        assert_int_equal(pf.ip.frag & IPV4_FLAG_DF, 0);
        if (i == from)
            id = pf.ip.id;
        assert_int_equal(pf.ip.id, id);
        assert_int_equal((size_t)(pf.ip.frag & IPV4_FRAG_OFF_MASK) * 8, next);
        bool last = i + 1 == e->nif.n;
        assert_int_equal((pf.ip.frag & IPV4_FLAG_MF) != 0, !last);
        if (!last)
            assert_int_equal(pf.ip.payload_len % 8, 0);
        next += pf.ip.payload_len;
    }
}

static void round_trip4(size_t len, size_t n_frags)
{
    struct stack_env *e = env_new(NULL, false);
    env_learn(e, ENV_IP_PEER, &env_mac_peer);
    struct udp_sock *rx = udp_sock_open(e->s, NULL, NULL);
    struct ip_endpoint l = env_ep(0, PORT);
    assert_int_equal(udp_sock_bind(rx, &l), 0);
    struct udp_sock *tx = udp_sock_open(e->s, NULL, NULL);
    struct ip_endpoint peer = env_ep(ENV_IP_PEER, PORT);
    assert_int_equal(udp_sock_sendto(tx, data, len, &peer, e->now), (int)len);
    check_frags4(e, 0, n_frags);
    assert_int_equal(env_ctr(e, CTR_IPV4_TX_FRAGMENTS), n_frags);
    size_t sent = e->nif.n;
    /* Fed back in reverse order, reassembly must still give it whole. */
    for (size_t i = sent; i-- > 0;)
        turn_around(e, i, false);
    assert_int_equal(env_ctr(e, CTR_IPV4_REASM_OKS), 1);
    struct ip_endpoint from;
    assert_int_equal(udp_sock_recvfrom(rx, got, sizeof got, &from), (int)len);
    assert_memory_equal(got, data, len);
    udp_sock_close(tx);
    udp_sock_close(rx);
    env_free(e);
}

static void test_ipv4_4000(void **state)
{
    (void)state;
    round_trip4(4000, 3); /* 4008 bytes: 1480 + 1480 + 1048 */
}

static void test_ipv4_65507(void **state)
{
    (void)state;
    round_trip4(65507, 45); /* 65515 bytes: 44 x 1480 + 395 */
}

/* What fits is still one frame with DF (RFC 1191); past 65507 bytes
 * IPv4's total length cannot say it. */
static void test_ipv4_limits(void **state)
{
    (void)state;
    struct stack_env *e = env_new(NULL, false);
    env_learn(e, ENV_IP_PEER, &env_mac_peer);
    struct udp_sock *tx = udp_sock_open(e->s, NULL, NULL);
    struct ip_endpoint peer = env_ep(ENV_IP_PEER, PORT);
    assert_int_equal(udp_sock_sendto(tx, data, 1472, &peer, e->now), 1472);
    assert_int_equal(e->nif.n, 1);
    struct parsed_frame pf;
    env_frame(e, 0, &pf);
    assert_int_equal(pf.ip.frag, IPV4_FLAG_DF);
    assert_int_equal(pf.ip.total_len, 1500);
    static uint8_t big[65508];
    assert_int_equal(udp_sock_sendto(tx, big, sizeof big, &peer, e->now), -EMSGSIZE);
    assert_int_equal(e->nif.n, 1);
    assert_int_equal(env_ctr(e, CTR_UDP_TX_DROP_TOO_BIG), 1);
    assert_int_equal(env_ctr(e, CTR_IPV4_TX_FRAGMENTS), 0);
    udp_sock_close(tx);
    env_free(e);
}

/* The Identification of the first fragment of the next datagram tx
 * sends to dst (4000 bytes: 3 fragments). */
static uint16_t frag_id4(struct stack_env *e, struct udp_sock *tx, uint32_t dst)
{
    size_t from = e->nif.n;
    struct ip_endpoint to = env_ep(dst, PORT);
    assert_int_equal(udp_sock_sendto(tx, data, 4000, &to, e->now), 4000);
    check_frags4(e, from, 3);
    struct parsed_frame pf;
    env_frame(e, from, &pf);
    return pf.ip.id;
}

/* RFC 6864 4.1, RFC 7739 5.2: IDs to one destination follow a counter
 * (no repeat within 65536 datagrams), offset by a keyed hash of the
 * destination, so the IDs a host sees to itself say nothing of those to
 * another host, and two stacks with other keys do not share them. */
static void test_ipv4_ids(void **state)
{
    (void)state;
    uint32_t other = ENV_IP_PEER + 1;
    struct eth_addr mac_other = {{0x02, 0x77, 0, 0, 0, 0x0a}};
    struct stack_env *e = env_new(NULL, false);
    env_learn(e, ENV_IP_PEER, &env_mac_peer);
    env_learn(e, other, &mac_other);
    struct udp_sock *tx = udp_sock_open(e->s, NULL, NULL);
    uint16_t a1 = frag_id4(e, tx, ENV_IP_PEER);
    uint16_t b1 = frag_id4(e, tx, other);
    uint16_t a2 = frag_id4(e, tx, ENV_IP_PEER);
    uint16_t b2 = frag_id4(e, tx, other);
    assert_int_equal((uint16_t)(a2 - a1), 2); /* one counter for the stack */
    assert_int_equal((uint16_t)(b2 - b1), 2);
    assert_true((uint16_t)(b1 - a1) != 1); /* not the next number: hashed apart */
    udp_sock_close(tx);
    env_free(e);
}

/* IPv6: every frame a fragment (RFC 8200 4.5) of one datagram; returns
 * its Identification. */
static uint32_t check_frags6(const struct stack_env *e, size_t n_frags)
{
    assert_int_equal(e->nif.n, n_frags);
    uint32_t id = 0;
    size_t next = 0;
    for (size_t i = 0; i < e->nif.n; i++) {
        const struct fake_frame *f = fake_netif_frame(&e->nif, i);
        assert_true(f->len <= ETH_HLEN + ENV_MTU);
        struct ipv6_view ip;
        assert_int_equal(ipv6_parse(f->data + ETH_HLEN, f->len - ETH_HLEN, &ip), WIRE_OK);
        assert_int_equal(ip.next_header, IPV6_NH_FRAGMENT);
        struct ipv6_chain c;
        assert_int_equal(ipv6_walk(&ip, &c), WIRE_OK);
        assert_true(c.has_frag);
        assert_int_equal(c.proto, IPPROTO_UDP_);
        if (i == 0)
            id = c.frag_id;
        assert_int_equal(c.frag_id, id);
        assert_int_equal((size_t)c.frag_offset * 8, next);
        assert_int_equal(c.frag_more, i + 1 < e->nif.n);
        next += c.upper_len;
    }
    return id;
}

static uint32_t round_trip6(struct stack_env *e, size_t len, size_t n_frags)
{
    struct udp_sock *rx = udp_sock_open(e->s, NULL, NULL);
    assert_int_equal(udp_sock_set_family(rx, IP_FAMILY_V6), 0);
    struct ip_endpoint l = env6_ep(env6_unspec, PORT);
    assert_int_equal(udp_sock_bind(rx, &l), 0);
    struct udp_sock *tx = udp_sock_open(e->s, NULL, NULL);
    assert_int_equal(udp_sock_set_family(tx, IP_FAMILY_V6), 0);
    struct ip_endpoint peer = env6_ep(env6_peer, PORT);
    uint64_t before = env_ctr(e, CTR_IPV6_TX_FRAGMENTS);
    assert_int_equal(udp_sock_sendto(tx, data, len, &peer, e->now), (int)len);
    uint32_t id = check_frags6(e, n_frags);
    assert_int_equal(env_ctr(e, CTR_IPV6_TX_FRAGMENTS) - before, n_frags);
    size_t sent = e->nif.n;
    for (size_t i = sent; i-- > 0;)
        turn_around(e, i, true);
    struct ip_endpoint from;
    assert_int_equal(udp_sock_recvfrom(rx, got, sizeof got, &from), (int)len);
    assert_memory_equal(got, data, len);
    fake_netif_clear(&e->nif);
    udp_sock_close(tx);
    udp_sock_close(rx);
    return id;
}

static void test_ipv6_sizes(void **state)
{
    (void)state;
    struct stack_env *e = env6_ready(env6_tweak_no_slaac);
    f6_learn_peer(e);
    /* 1448 bytes of each fragment (1500 - 40 - 8, a multiple of 8). */
    uint32_t a = round_trip6(e, 4000, 3);   /* 4008 bytes */
    uint32_t b = round_trip6(e, 65507, 46); /* 65515 bytes */
    uint32_t c = round_trip6(e, 65527, 46); /* 65535: the most without jumbograms */
    assert_int_equal(env_ctr(e, CTR_IPV6_REASM_OK), 3);
    /* RFC 7739: not a counter one could predict from the last. */
    assert_true(a != b && b != c && b != a + 1 && c != b + 1);
    env_free(e);
}

int main(void)
{
    fill();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ipv4_4000),
        cmocka_unit_test(test_ipv4_65507),
        cmocka_unit_test(test_ipv4_limits),
        cmocka_unit_test(test_ipv4_ids),
        cmocka_unit_test(test_ipv6_sizes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
