/* test_icmp4.c - ICMPv4: echo, errors sent (policy and rate limit) and
 * errors received (handed to UDP sockets). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "stack/core/stack_impl.h"
#include "tests/unit/support/stack_env.h"

#define IP_OFF ETH_HLEN

static void echo_exact(size_t size)
{
    struct stack_env *e = env_new(NULL, false);
    env_learn(e, ENV_IP_PEER, &env_mac_peer);
    uint8_t data[1500];
    for (size_t i = 0; i < sizeof data; i++)
        data[i] = (uint8_t)(i * 7 + 3);
    uint8_t f[FRAME_MAX];
    size_t n = frame_icmp4(f, sizeof f, &env_mac_us, &env_mac_peer, ENV_IP_PEER, ENV_IP_US,
                           ICMP4_ECHO_REQUEST, 0, 0x4d2b0007u, data, size);
    env_input(e, f, n);
    assert_int_equal(env_ctr(e, CTR_ICMP4_RX_ECHO_REQUESTS), 1);
    assert_int_equal(env_ctr(e, CTR_ICMP4_TX_ECHO_REPLIES), 1);
    assert_int_equal(e->nif.n, 1);

    struct parsed_frame pf;
    env_frame(e, 0, &pf);
    assert_true(pf.is_icmp); /* checksum verified */
    assert_true(eth_addr_eq(&pf.eth.dst, &env_mac_peer));
    assert_int_equal(pf.ip.src, ENV_IP_US);
    assert_int_equal(pf.ip.dst, ENV_IP_PEER);
    assert_int_equal(pf.icmp.type, ICMP4_ECHO_REPLY);
    assert_int_equal(pf.icmp.code, 0);
    assert_int_equal(pf.icmp.rest, 0x4d2b0007u);
    assert_int_equal(pf.icmp.body_len, size);
    /* Byte for byte: the ICMP message past type/code/checksum is the same. */
    const uint8_t *req = f + IP_OFF + IPV4_HLEN;
    const uint8_t *rep = pf.ip.payload;
    assert_int_equal(pf.ip.payload_len, ICMP4_HLEN + size);
    assert_memory_equal(rep + 4, req + 4, 4 + size);
    env_free(e);
}

static void test_echo_0(void **state)
{
    (void)state;
    echo_exact(0);
}

static void test_echo_56(void **state)
{
    (void)state;
    echo_exact(56);
}

static void test_echo_1472(void **state)
{
    (void)state;
    echo_exact(1472);
}

/* A request larger than our MTU (it came whole here; in life it comes in
 * fragments, tests/unit/test_reasm4.c): the reply goes back entire, in
 * fragments (RFC 791 3.2). */
static void test_echo_above_mtu_fragmented(void **state)
{
    (void)state;
    struct stack_env *e = env_new(NULL, false);
    env_learn(e, ENV_IP_PEER, &env_mac_peer);
    uint8_t data[1473] = {0};
    uint8_t f[FRAME_MAX];
    size_t n = frame_icmp4(f, sizeof f, &env_mac_us, &env_mac_peer, ENV_IP_PEER, ENV_IP_US,
                           ICMP4_ECHO_REQUEST, 0, 1, data, sizeof data);
    env_input(e, f, n);
    assert_int_equal(e->nif.n, 2);
    assert_int_equal(env_ctr(e, CTR_ICMP4_TX_ECHO_REPLIES), 1);
    assert_int_equal(env_ctr(e, CTR_IPV4_TX_FRAGMENTS), 2);
    struct parsed_frame pf;
    env_frame(e, 0, &pf);
    assert_int_equal(pf.ip.frag, IPV4_FLAG_MF);
    assert_int_equal(pf.ip.total_len, 1500);
    env_frame(e, 1, &pf);
    assert_int_equal(pf.ip.frag, 1480 / 8);
    assert_int_equal(pf.ip.total_len, IPV4_HLEN + ICMP4_HLEN + 1473 - 1480);
    env_free(e);
}

static void test_echo_to_broadcast_ignored(void **state)
{
    (void)state;
    struct stack_env *e = env_new(NULL, false);
    env_learn(e, ENV_IP_PEER, &env_mac_peer);
    uint8_t f[FRAME_MAX];
    size_t n = frame_icmp4(f, sizeof f, &frame_broadcast_mac, &env_mac_peer, ENV_IP_PEER,
                           0xffffffffu, ICMP4_ECHO_REQUEST, 0, 1, "ping", 4);
    env_input(e, f, n);
    n = frame_icmp4(f, sizeof f, &frame_broadcast_mac, &env_mac_peer, ENV_IP_PEER,
                    ENV_IP_BCAST, ICMP4_ECHO_REQUEST, 0, 1, "ping", 4);
    env_input(e, f, n);
    /* Subnet broadcast address in a unicast frame: still a broadcast. */
    n = frame_icmp4(f, sizeof f, &env_mac_us, &env_mac_peer, ENV_IP_PEER, ENV_IP_BCAST,
                    ICMP4_ECHO_REQUEST, 0, 1, "ping", 4);
    env_input(e, f, n);
    assert_int_equal(env_ctr(e, CTR_ICMP4_RX_DROP_BROADCAST_ECHO), 3);
    assert_int_equal(e->nif.n, 0);
    env_free(e);
}

static void test_port_unreachable_quotes_original(void **state)
{
    (void)state;
    struct stack_env *e = env_new(NULL, false);
    env_learn(e, ENV_IP_PEER, &env_mac_peer);
    uint8_t f[FRAME_MAX];
    size_t n = env_udp_to_us(f, sizeof f, 4444, 5555, "closed?", 7);
    env_input(e, f, n);
    assert_int_equal(env_ctr(e, CTR_UDP_RX_NO_PORT), 1);
    assert_int_equal(env_ctr(e, CTR_ICMP4_TX_DEST_UNREACH), 1);
    assert_int_equal(e->nif.n, 1);
    struct parsed_frame pf;
    env_frame(e, 0, &pf);
    assert_true(pf.is_icmp);
    assert_int_equal(pf.icmp.type, ICMP4_DEST_UNREACH);
    assert_int_equal(pf.icmp.code, ICMP4_PORT_UNREACH);
    assert_int_equal(pf.icmp.rest, 0);
    assert_int_equal(pf.ip.src, ENV_IP_US);
    assert_int_equal(pf.ip.dst, ENV_IP_PEER);
    size_t orig = IPV4_HLEN + UDP_HLEN + 7;
    assert_int_equal(pf.icmp.body_len, orig);
    assert_memory_equal(pf.icmp.body, f + IP_OFF, orig);
    env_free(e);
}

static void test_port_unreachable_quote_limit(void **state)
{
    (void)state;
    struct stack_env *e = env_new(NULL, false);
    env_learn(e, ENV_IP_PEER, &env_mac_peer);
    uint8_t data[1000];
    memset(data, 0xab, sizeof data);
    uint8_t f[FRAME_MAX];
    size_t n = env_udp_to_us(f, sizeof f, 4444, 5555, data, sizeof data);
    env_input(e, f, n);
    struct parsed_frame pf;
    env_frame(e, 0, &pf);
    assert_true(pf.is_icmp);
    /* RFC 1812 4.3.2.3: no more than 576 bytes in all. */
    assert_int_equal(pf.ip.total_len, 576);
    assert_int_equal(pf.icmp.body_len, 576 - IPV4_HLEN - ICMP4_HLEN);
    assert_memory_equal(pf.icmp.body, f + IP_OFF, pf.icmp.body_len);
    env_free(e);
}

static void slow_icmp(struct stack_config *cfg, struct netif_config *ncfg)
{
    (void)ncfg;
    cfg->icmp_rate_per_sec = 10;
    cfg->icmp_burst = 5;
}

static size_t count_icmp(const struct stack_env *e)
{
    size_t n = 0;
    for (size_t i = 0; i < e->nif.n; i++) {
        struct parsed_frame pf;
        env_frame(e, i, &pf);
        n += pf.is_icmp;
    }
    return n;
}

static void test_rate_limit(void **state)
{
    (void)state;
    struct stack_env *e = env_new(slow_icmp, false);
    env_learn(e, ENV_IP_PEER, &env_mac_peer);
    uint8_t f[FRAME_MAX];
    size_t n = env_udp_to_us(f, sizeof f, 4444, 5555, "x", 1);
    for (int i = 0; i < 10; i++)
        env_input(e, f, n);
    assert_int_equal(count_icmp(e), 5); /* the burst */
    assert_int_equal(env_ctr(e, CTR_ICMP4_TX_RATELIMITED), 5);
    assert_int_equal(env_ctr(e, CTR_UDP_RX_NO_PORT), 10);

    /* 10/s: one token back after 100 ms. */
    e->now += 100 * NS_PER_MS;
    env_input(e, f, n);
    env_input(e, f, n);
    assert_int_equal(count_icmp(e), 6);
    assert_int_equal(env_ctr(e, CTR_ICMP4_TX_RATELIMITED), 6);

    /* A long pause refills only up to the burst. */
    e->now += 3600 * NS_PER_SEC;
    for (int i = 0; i < 10; i++)
        env_input(e, f, n);
    assert_int_equal(count_icmp(e), 11);
    assert_int_equal(env_ctr(e, CTR_ICMP4_TX_RATELIMITED), 11);
    env_free(e);
}

/* Call the error policy directly with crafted views: some of these cases
 * cannot come from today's input path. */
static void test_no_error_about_errors(void **state)
{
    (void)state;
    struct stack_env *e = env_new(NULL, false);
    env_learn(e, ENV_IP_PEER, &env_mac_peer);
    struct netif *nif = netif_get(e->s, e->ifindex);
    assert_non_null(nif);

    uint8_t pkt[IPV4_HLEN + 8] = {0};
    struct ipv4_emit_args a = {.ttl = 64, .proto = IPPROTO_ICMP_, .src = ENV_IP_PEER,
                               .dst = ENV_IP_US, .payload_len = 8};
    ipv4_emit(pkt, &a);
    struct ipv4_view ip;
    assert_int_equal(ipv4_parse(pkt, sizeof pkt, &ip), WIRE_OK);

    pkt[IPV4_HLEN] = ICMP4_DEST_UNREACH; /* an ICMP error */
    icmp4_send_error(e->s, nif, &ip, pkt, false, ICMP4_DEST_UNREACH, 2, e->now);
    pkt[IPV4_HLEN] = 42; /* unknown type: treated as an error */
    icmp4_send_error(e->s, nif, &ip, pkt, false, ICMP4_DEST_UNREACH, 2, e->now);
    assert_int_equal(e->nif.n, 0);

    pkt[IPV4_HLEN] = ICMP4_ECHO_REQUEST; /* a query is fine */
    icmp4_send_error(e->s, nif, &ip, pkt, false, ICMP4_DEST_UNREACH, 2, e->now);
    assert_int_equal(e->nif.n, 1);

    /* Broadcast destination, non-first fragment, group source: nothing. */
    icmp4_send_error(e->s, nif, &ip, pkt, true, ICMP4_DEST_UNREACH, 2, e->now);
    struct ipv4_view frag = ip;
    frag.frag = 10;
    icmp4_send_error(e->s, nif, &frag, pkt, false, ICMP4_DEST_UNREACH, 2, e->now);
    struct ipv4_view mc = ip;
    mc.src = 0xe0000001u;
    icmp4_send_error(e->s, nif, &mc, pkt, false, ICMP4_DEST_UNREACH, 2, e->now);
    struct ipv4_view bc = ip;
    bc.src = ENV_IP_BCAST;
    icmp4_send_error(e->s, nif, &bc, pkt, false, ICMP4_DEST_UNREACH, 2, e->now);
    assert_int_equal(e->nif.n, 1);
    /* The first fragment (offset 0, MF) may get one. */
    struct ipv4_view first = ip;
    first.frag = IPV4_FLAG_MF;
    icmp4_send_error(e->s, nif, &first, pkt, false, ICMP4_DEST_UNREACH, 2, e->now);
    assert_int_equal(e->nif.n, 2);
    env_free(e);
}

struct errs {
    int n;
};

static void on_event(void *user, struct udp_sock *us, int ev)
{
    (void)us;
    struct errs *errs = user;
    if (ev & UDP_EV_ERROR)
        errs->n++;
}

/* A connected socket, a datagram it sent (its IP packet in sent[]). */
struct conn {
    struct stack_env *e;
    struct udp_sock *us;
    struct errs errs;
    uint8_t sent[128];
    size_t sent_len;
};

static void conn_init(struct conn *c)
{
    memset(c, 0, sizeof *c);
    c->e = env_new(NULL, false);
    env_learn(c->e, ENV_IP_PEER, &env_mac_peer);
    c->us = udp_sock_open(c->e->s, on_event, &c->errs);
    struct ip_endpoint peer = env_ep(ENV_IP_PEER, 53);
    assert_int_equal(udp_sock_connect(c->us, &peer), 0);
    assert_int_equal(udp_sock_sendto(c->us, "query", 5, NULL, c->e->now), 5);
    const struct fake_frame *fr = fake_netif_last(&c->e->nif);
    assert_non_null(fr);
    c->sent_len = IPV4_HLEN + UDP_HLEN + 5;
    memcpy(c->sent, fr->data + IP_OFF, c->sent_len);
    fake_netif_clear(&c->e->nif);
}

static void conn_done(struct conn *c)
{
    udp_sock_close(c->us);
    env_free(c->e);
}

static void conn_icmp(struct conn *c, uint8_t type, uint8_t code, const uint8_t *quote,
                      size_t len)
{
    uint8_t f[FRAME_MAX];
    size_t n = frame_icmp4(f, sizeof f, &env_mac_us, &env_mac_peer, ENV_IP_PEER, ENV_IP_US, type,
                           code, 0, quote, len);
    env_input(c->e, f, n);
}

static void test_incoming_errors_to_socket(void **state)
{
    (void)state;
    static const struct {
        uint8_t type, code;
        int err;
    } cases[] = {
        {ICMP4_DEST_UNREACH, ICMP4_PORT_UNREACH, ECONNREFUSED},
        {ICMP4_DEST_UNREACH, ICMP4_NET_UNREACH, ENETUNREACH},
        {ICMP4_DEST_UNREACH, ICMP4_HOST_UNREACH, EHOSTUNREACH},
        {ICMP4_DEST_UNREACH, ICMP4_PROTO_UNREACH, ENOPROTOOPT},
        {ICMP4_DEST_UNREACH, ICMP4_FRAG_NEEDED, EMSGSIZE},
        {ICMP4_DEST_UNREACH, ICMP4_ADMIN_PROHIB, EHOSTUNREACH}, /* Linux, not EACCES */
        {ICMP4_TIME_EXCEEDED, 0, EHOSTUNREACH},
        {ICMP4_PARAM_PROBLEM, 0, EPROTO},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct conn c;
        conn_init(&c);
        conn_icmp(&c, cases[i].type, cases[i].code, c.sent, c.sent_len);
        assert_int_equal(c.errs.n, 1);
        assert_int_equal(udp_sock_error(c.us), cases[i].err);
        assert_int_equal(c.e->nif.n, 0); /* never an error about an error */
        conn_done(&c);
    }
}

static void test_incoming_error_other_flow_ignored(void **state)
{
    (void)state;
    struct conn c;
    conn_init(&c);
    uint8_t q[128];
    memcpy(q, c.sent, c.sent_len);
    wr16(q + IPV4_HLEN + 2, 54); /* another destination port */
    conn_icmp(&c, ICMP4_DEST_UNREACH, ICMP4_PORT_UNREACH, q, c.sent_len);
    assert_int_equal(c.errs.n, 0);
    assert_int_equal(udp_sock_error(c.us), 0);
    /* Source quench and redirects are counted, not acted on. */
    conn_icmp(&c, ICMP4_SOURCE_QUENCH, 0, c.sent, c.sent_len);
    conn_icmp(&c, ICMP4_REDIRECT, 0, c.sent, c.sent_len);
    assert_int_equal(c.errs.n, 0);
    assert_int_equal(env_ctr(c.e, CTR_ICMP4_RX_OTHER), 2);
    conn_done(&c);
}

static void test_malformed_quotes(void **state)
{
    (void)state;
    struct conn c;
    conn_init(&c);
    uint8_t q[128];

    conn_icmp(&c, ICMP4_DEST_UNREACH, ICMP4_PORT_UNREACH, c.sent, IPV4_HLEN + 4); /* short */
    memcpy(q, c.sent, c.sent_len);
    q[0] = 0x65; /* quoted version 6 */
    conn_icmp(&c, ICMP4_DEST_UNREACH, ICMP4_PORT_UNREACH, q, c.sent_len);
    memcpy(q, c.sent, c.sent_len);
    q[0] = 0x4f; /* quoted IHL 60 > what is quoted */
    conn_icmp(&c, ICMP4_DEST_UNREACH, ICMP4_PORT_UNREACH, q, c.sent_len);
    memcpy(q, c.sent, c.sent_len);
    wr32(q + 12, ENV_IP_PEER); /* not a datagram we sent */
    conn_icmp(&c, ICMP4_TIME_EXCEEDED, 0, q, c.sent_len);
    conn_icmp(&c, ICMP4_PARAM_PROBLEM, 0, NULL, 0); /* nothing quoted */
    assert_int_equal(env_ctr(c.e, CTR_ICMP4_RX_DROP_BAD_QUOTE), 5);
    assert_int_equal(c.errs.n, 0);
    assert_int_equal(env_ctr(c.e, CTR_ICMP4_RX_DEST_UNREACH), 3);
    assert_int_equal(env_ctr(c.e, CTR_ICMP4_RX_TIME_EXCEEDED), 1);
    assert_int_equal(env_ctr(c.e, CTR_ICMP4_RX_PARAM_PROBLEM), 1);
    conn_done(&c);
}

static void test_icmp_header_drops(void **state)
{
    (void)state;
    struct stack_env *e = env_new(NULL, false);
    env_learn(e, ENV_IP_PEER, &env_mac_peer);
    uint8_t f[FRAME_MAX];
    size_t n = frame_icmp4(f, sizeof f, &env_mac_us, &env_mac_peer, ENV_IP_PEER, ENV_IP_US,
                           ICMP4_ECHO_REQUEST, 0, 1, "abcd", 4);
    f[IP_OFF + IPV4_HLEN + 8] ^= 1; /* corrupt the data: bad checksum */
    env_input(e, f, n);
    assert_int_equal(env_ctr(e, CTR_ICMP4_RX_DROP_BAD_CSUM), 1);

    struct ipv4_emit_args ip = {.ttl = 64, .proto = IPPROTO_ICMP_, .src = ENV_IP_PEER,
                                .dst = ENV_IP_US};
    n = frame_ipv4(f, sizeof f, &env_mac_us, &env_mac_peer, &ip, "\x08\x00\xf7", 3);
    env_input(e, f, n);
    assert_int_equal(env_ctr(e, CTR_ICMP4_RX_DROP_TRUNCATED), 1);

    n = frame_icmp4(f, sizeof f, &env_mac_us, &env_mac_peer, ENV_IP_PEER, ENV_IP_US,
                    ICMP4_ECHO_REPLY, 0, 1, "abcd", 4);
    env_input(e, f, n);
    assert_int_equal(env_ctr(e, CTR_ICMP4_RX_ECHO_REPLIES), 1);
    assert_int_equal(env_ctr(e, CTR_ICMP4_RX), 3);
    assert_int_equal(e->nif.n, 0);
    env_free(e);
}

static void test_errno_table(void **state)
{
    (void)state;
    assert_int_equal(icmp4_errno(ICMP4_DEST_UNREACH, 99), EHOSTUNREACH);
    assert_int_equal(icmp4_errno(ICMP4_DEST_UNREACH, 7), EHOSTDOWN);
    assert_int_equal(icmp4_errno(ICMP4_SOURCE_QUENCH, 0), 0);
    assert_int_equal(icmp4_errno(ICMP4_ECHO_REPLY, 0), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_echo_0),
        cmocka_unit_test(test_echo_56),
        cmocka_unit_test(test_echo_1472),
        cmocka_unit_test(test_echo_above_mtu_fragmented),
        cmocka_unit_test(test_echo_to_broadcast_ignored),
        cmocka_unit_test(test_port_unreachable_quotes_original),
        cmocka_unit_test(test_port_unreachable_quote_limit),
        cmocka_unit_test(test_rate_limit),
        cmocka_unit_test(test_no_error_about_errors),
        cmocka_unit_test(test_incoming_errors_to_socket),
        cmocka_unit_test(test_incoming_error_other_flow_ignored),
        cmocka_unit_test(test_malformed_quotes),
        cmocka_unit_test(test_icmp_header_drops),
        cmocka_unit_test(test_errno_table),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
