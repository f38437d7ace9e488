/* test_tcp_closed.c - TCP segments for which no connection exists
 * (RFC 9293 3.10.7.1): validation drops, RST answers, and the addresses
 * that never get one. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "stack/wire/checksum.h"
#include "stack/wire/tcp.h"
#include "tests/unit/support/stack_env.h"

#define PEER_PORT 40000
#define OUR_PORT 80

struct seg {
    const struct eth_addr *eth_dst; /* NULL: our MAC */
    uint32_t src, dst;              /* 0: the peer, us */
    uint16_t sport, dport;
    uint32_t seq, ack;
    uint8_t flags;
    const char *payload;            /* NULL: none */
};

/* Ethernet + IPv4 + TCP with a correct checksum; the TCP segment's bytes
 * are also left in tcp[] (tcp_len) for tests that break them. */
static size_t seg_frame(uint8_t *f, size_t cap, const struct seg *sg, uint8_t *tcp,
                        size_t *tcp_len)
{
    uint32_t src = sg->src != 0 ? sg->src : ENV_IP_PEER;
    uint32_t dst = sg->dst != 0 ? sg->dst : ENV_IP_US;
    size_t plen = sg->payload != NULL ? strlen(sg->payload) : 0;
    if (plen > 0)
        memcpy(tcp + TCP_HLEN, sg->payload, plen);
    struct tcp_emit_args a = {.sport = sg->sport, .dport = sg->dport, .seq = sg->seq,
                              .ack = sg->ack, .flags = sg->flags, .window = 64240};
    struct ip_addr s = ip_addr_v4(src), d = ip_addr_v4(dst);
    tcp_emit(tcp, &a, 0, plen, &s, &d);
    *tcp_len = TCP_HLEN + plen;
    struct ipv4_emit_args ip = {.frag = IPV4_FLAG_DF, .ttl = 64, .proto = IPPROTO_TCP_,
                                .src = src, .dst = dst};
    const struct eth_addr *eth_dst = sg->eth_dst != NULL ? sg->eth_dst : &env_mac_us;
    size_t n = frame_ipv4(f, cap, eth_dst, &env_mac_peer, &ip, tcp, *tcp_len);
    assert_true(n > 0);
    return n;
}

static size_t seg_to_us(uint8_t *f, size_t cap, const struct seg *sg)
{
    uint8_t tcp[TCP_MAX_HLEN + 256];
    size_t tl;
    return seg_frame(f, cap, sg, tcp, &tl);
}

static struct stack_env *env_tcp(void)
{
    struct stack_env *e = env_new(NULL, false);
    env_learn(e, ENV_IP_PEER, &env_mac_peer);
    return e;
}

/* The one frame sent: an IPv4 TCP segment us:80 -> peer:40000 whose
 * checksum verifies; decoded into *t. */
static void sent_rst(struct stack_env *e, struct tcp_view *t)
{
    assert_int_equal(e->nif.n, 1);
    struct parsed_frame pf;
    env_frame(e, 0, &pf);
    assert_true(pf.is_ipv4);
    assert_true(eth_addr_eq(&pf.eth.dst, &env_mac_peer));
    assert_int_equal(pf.ip.proto, IPPROTO_TCP_);
    assert_int_equal(pf.ip.src, ENV_IP_US);
    assert_int_equal(pf.ip.dst, ENV_IP_PEER);
    struct ip_addr s = ip_addr_v4(pf.ip.src), d = ip_addr_v4(pf.ip.dst);
    assert_int_equal(tcp_parse(pf.ip.payload, pf.ip.payload_len, &s, &d, t), WIRE_OK);
    assert_int_equal(t->sport, OUR_PORT);
    assert_int_equal(t->dport, PEER_PORT);
    assert_int_equal(t->data_off, TCP_HLEN);
    assert_int_equal(t->payload_len, 0);
    assert_int_equal(t->window, 0);
    assert_int_equal(env_ctr(e, CTR_TCP_TX_RSTS), 1);
    assert_int_equal(env_ctr(e, CTR_TCP_TX_SEGS), 1);
}

/* RFC 9293 3.10.7.1: no ACK -> <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>. */
static void test_syn_gets_rst_ack(void **state)
{
    (void)state;
    struct stack_env *e = env_tcp();
    uint8_t f[FRAME_MAX];
    struct seg sg = {.sport = PEER_PORT, .dport = OUR_PORT, .seq = 1000, .flags = TCP_FLAG_SYN};
    env_input(e, f, seg_to_us(f, sizeof f, &sg));
    assert_int_equal(env_ctr(e, CTR_TCP_RX_SEGS), 1);
    assert_int_equal(env_ctr(e, CTR_TCP_RX_NO_SOCKET), 1);
    assert_int_equal(env_ctr(e, CTR_IPV4_RX_DROP_UNKNOWN_PROTO), 0);
    struct tcp_view t;
    sent_rst(e, &t);
    assert_int_equal(t.flags, TCP_FLAG_RST | TCP_FLAG_ACK);
    assert_int_equal(t.seq, 0);
    assert_int_equal(t.ack, 1001);
    env_free(e);
}

/* ACK set -> <SEQ=SEG.ACK><CTL=RST>, no ACK bit. */
static void test_ack_gets_rst_with_seg_ack(void **state)
{
    (void)state;
    struct stack_env *e = env_tcp();
    uint8_t f[FRAME_MAX];
    struct seg sg = {.sport = PEER_PORT, .dport = OUR_PORT, .seq = 5, .ack = 0xdeadbeef,
                     .flags = TCP_FLAG_ACK | TCP_FLAG_PSH, .payload = "data"};
    env_input(e, f, seg_to_us(f, sizeof f, &sg));
    struct tcp_view t;
    sent_rst(e, &t);
    assert_int_equal(t.flags, TCP_FLAG_RST);
    assert_int_equal(t.seq, 0xdeadbeef);
    assert_int_equal(t.ack, 0);
    env_free(e);
}

/* SEG.LEN counts the data and the FIN; the sum wraps mod 2^32. */
static void test_data_fin_ack_covers_all(void **state)
{
    (void)state;
    struct stack_env *e = env_tcp();
    uint8_t f[FRAME_MAX];
    struct seg sg = {.sport = PEER_PORT, .dport = OUR_PORT, .seq = 0xfffffffau,
                     .flags = TCP_FLAG_FIN, .payload = "0123456789"};
    env_input(e, f, seg_to_us(f, sizeof f, &sg));
    struct tcp_view t;
    sent_rst(e, &t);
    assert_int_equal(t.flags, TCP_FLAG_RST | TCP_FLAG_ACK);
    assert_int_equal(t.seq, 0);
    assert_int_equal(t.ack, 0xfffffffau + 11u); /* 5 after the wrap */
    assert_int_equal(t.ack, 5);
    env_free(e);
}

/* "An incoming segment containing a RST is discarded." */
static void test_rst_gets_nothing(void **state)
{
    (void)state;
    struct stack_env *e = env_tcp();
    uint8_t f[FRAME_MAX];
    struct seg sg = {.sport = PEER_PORT, .dport = OUR_PORT, .seq = 7, .flags = TCP_FLAG_RST};
    env_input(e, f, seg_to_us(f, sizeof f, &sg));
    sg.flags = TCP_FLAG_RST | TCP_FLAG_ACK;
    sg.ack = 99;
    env_input(e, f, seg_to_us(f, sizeof f, &sg));
    assert_int_equal(env_ctr(e, CTR_TCP_RX_NO_SOCKET), 2);
    assert_int_equal(env_ctr(e, CTR_TCP_TX_RSTS), 0);
    assert_int_equal(env_ctr(e, CTR_TCP_TX_SEGS), 0);
    assert_int_equal(e->nif.n, 0);
    env_free(e);
}

/* Rebuild the frame around a changed TCP segment, with correct IP. */
static size_t reframe(uint8_t *f, size_t cap, const uint8_t *tcp, size_t tl)
{
    struct ipv4_emit_args ip = {.frag = IPV4_FLAG_DF, .ttl = 64, .proto = IPPROTO_TCP_,
                                .src = ENV_IP_PEER, .dst = ENV_IP_US};
    return frame_ipv4(f, cap, &env_mac_us, &env_mac_peer, &ip, tcp, tl);
}

static void tcp_fix_csum(uint8_t *tcp, size_t tl)
{
    struct ip_addr s = ip_addr_v4(ENV_IP_PEER), d = ip_addr_v4(ENV_IP_US);
    tcp[16] = tcp[17] = 0;
    uint32_t sum = inet_pseudo_sum(&s, &d, IPPROTO_TCP_, (uint32_t)tl);
    wr16(tcp + 16, inet_csum_fold(inet_csum_add(sum, tcp, tl)));
}

static void expect_silent_drop(struct stack_env *e, const uint8_t *f, size_t n,
                               enum stack_counter c)
{
    uint64_t before = env_ctr(e, c);
    uint64_t segs = env_ctr(e, CTR_TCP_RX_SEGS);
    env_input(e, f, n);
    assert_int_equal(env_ctr(e, CTR_TCP_RX_SEGS), segs + 1);
    assert_int_equal(env_ctr(e, c), before + 1);
    assert_int_equal(env_ctr(e, CTR_TCP_RX_NO_SOCKET), 0);
    assert_int_equal(env_ctr(e, CTR_TCP_TX_SEGS), 0);
    assert_int_equal(e->nif.n, 0);
}

static void test_malformed_dropped(void **state)
{
    (void)state;
    struct stack_env *e = env_tcp();
    uint8_t f[FRAME_MAX], tcp[TCP_MAX_HLEN + 256], g[TCP_MAX_HLEN + 256];
    size_t tl;
    struct seg sg = {.sport = PEER_PORT, .dport = OUR_PORT, .seq = 1, .flags = TCP_FLAG_SYN,
                     .payload = "abcdefgh"};
    seg_frame(f, sizeof f, &sg, tcp, &tl);

    /* A flipped payload bit fails the checksum. */
    memcpy(g, tcp, tl);
    g[TCP_HLEN + 3] ^= 0x01;
    expect_silent_drop(e, f, reframe(f, sizeof f, g, tl), CTR_TCP_RX_DROP_BAD_CSUM);

    /* Data offset 4 words (< 5), checksum made right. */
    memcpy(g, tcp, tl);
    g[12] = (uint8_t)(4 << 4);
    tcp_fix_csum(g, tl);
    expect_silent_drop(e, f, reframe(f, sizeof f, g, tl), CTR_TCP_RX_DROP_BAD_HEADER);

    /* Data offset 15 words: past the 28-byte segment. */
    memcpy(g, tcp, tl);
    g[12] = (uint8_t)(15 << 4);
    tcp_fix_csum(g, tl);
    expect_silent_drop(e, f, reframe(f, sizeof f, g, tl), CTR_TCP_RX_DROP_BAD_HEADER);

    /* Shorter than a header; and empty. */
    expect_silent_drop(e, f, reframe(f, sizeof f, tcp, 19), CTR_TCP_RX_DROP_TRUNCATED);
    expect_silent_drop(e, f, reframe(f, sizeof f, tcp, 0), CTR_TCP_RX_DROP_TRUNCATED);

    assert_int_equal(env_ctr(e, CTR_IPV4_RX_DROP_UNKNOWN_PROTO), 0);
    env_free(e);
}

/* Never a RST to a broadcast destination, for port 0, or to ourselves. */
static void test_bad_addresses_silent(void **state)
{
    (void)state;
    struct stack_env *e = env_tcp();
    uint8_t f[FRAME_MAX];
    struct seg sg = {.sport = PEER_PORT, .dport = OUR_PORT, .seq = 1, .flags = TCP_FLAG_SYN};

    sg.dst = ENV_IP_BCAST; /* subnet directed broadcast, link broadcast */
    sg.eth_dst = &frame_broadcast_mac;
    expect_silent_drop(e, f, seg_to_us(f, sizeof f, &sg), CTR_TCP_RX_DROP_BAD_ADDR);
    sg.dst = 0xffffffffu; /* limited broadcast */
    expect_silent_drop(e, f, seg_to_us(f, sizeof f, &sg), CTR_TCP_RX_DROP_BAD_ADDR);
    sg.dst = 0;
    sg.eth_dst = NULL;

    sg.sport = 0;
    expect_silent_drop(e, f, seg_to_us(f, sizeof f, &sg), CTR_TCP_RX_DROP_BAD_ADDR);
    sg.sport = PEER_PORT;
    sg.dport = 0;
    expect_silent_drop(e, f, seg_to_us(f, sizeof f, &sg), CTR_TCP_RX_DROP_BAD_ADDR);
    sg.dport = OUR_PORT;

    /* LAND: from our own address and port to itself. */
    sg.src = ENV_IP_US;
    sg.sport = OUR_PORT;
    expect_silent_drop(e, f, seg_to_us(f, sizeof f, &sg), CTR_TCP_RX_DROP_BAD_ADDR);

    assert_int_equal(env_ctr(e, CTR_TCP_RX_DROP_BAD_ADDR), 5);
    env_free(e);
}

/* The counters are named in the tcp.* family. */
static void test_counter_names(void **state)
{
    (void)state;
    assert_string_equal(stack_counter_name(CTR_TCP_RX_SEGS), "tcp.rx_segs");
    assert_string_equal(stack_counter_name(CTR_TCP_TX_RSTS), "tcp.tx_rsts");
    assert_string_equal(stack_counter_name(CTR_TCP_RX_NO_SOCKET), "tcp.rx_no_socket");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_syn_gets_rst_ack),
        cmocka_unit_test(test_ack_gets_rst_with_seg_ack),
        cmocka_unit_test(test_data_fin_ack_covers_all),
        cmocka_unit_test(test_rst_gets_nothing),
        cmocka_unit_test(test_malformed_dropped),
        cmocka_unit_test(test_bad_addresses_silent),
        cmocka_unit_test(test_counter_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
