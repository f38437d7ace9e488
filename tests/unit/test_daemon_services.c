/* test_daemon_services.c - built-in UDP echo and discard (daemon/services.c)
 * driven through a real stack with a capturing netif and a fake clock. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "daemon/config.h"
#include "daemon/services.h"
#include "stack/stack.h"
#include "stack/wire/eth.h"
#include "stack/wire/icmp4.h"
#include "stack/wire/ipv4.h"
#include "stack/wire/udp.h"

#define STACK_IP 0x0a4d0002u /* 10.77.0.2 */
#define PEER_IP 0x0a4d0001u  /* 10.77.0.1 */
#define MAX_FRAMES 64
#define FRAME_MAX 1600

static const struct eth_addr stack_mac = {{0x02, 0x00, 0x00, 0x00, 0x00, 0x02}};
static const struct eth_addr peer_mac = {{0x02, 0x00, 0x00, 0x00, 0x00, 0x01}};

struct frame {
    size_t len;
    uint8_t b[FRAME_MAX];
};

struct fixture {
    struct stack *s;
    int ifindex;
    uint64_t now;
    struct tcpipd_config cfg;
    struct services *sv;
    struct frame sent[MAX_FRAMES];
    size_t n_sent;
    struct netif_static_neigh neigh;
};

static int capture_send(void *ctx, const uint8_t *frame, size_t len)
{
    struct fixture *f = ctx;
    if (f->n_sent >= MAX_FRAMES || len > FRAME_MAX)
        return -ENOBUFS;
    memcpy(f->sent[f->n_sent].b, frame, len);
    f->sent[f->n_sent].len = len;
    f->n_sent++;
    return 0;
}

static const struct netif_ops capture_ops = {.send = capture_send};

static uint64_t fake_clock(void *ctx)
{
    return ((struct fixture *)ctx)->now;
}

/* A stack with one interface; the peer's MAC is a static entry so replies
 * leave at once instead of waiting for ARP. Services are up to the test. */
static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);
    assert_non_null(f);
    struct stack_config sc;
    stack_config_defaults(&sc);
    memset(sc.key, 0x5a, sizeof sc.key);
    f->s = stack_new(&sc);
    assert_non_null(f->s);
    f->now = 1 * NS_PER_SEC;
    f->neigh.ip = PEER_IP;
    f->neigh.mac = peer_mac;
    struct netif_config nc;
    memset(&nc, 0, sizeof nc);
    snprintf(nc.name, sizeof nc.name, "test0");
    nc.mac = stack_mac;
    nc.mtu = 1500;
    nc.ipv4_addr = STACK_IP;
    nc.ipv4_prefix_len = 24;
    nc.neigh = &f->neigh;
    nc.n_neigh = 1;
    f->ifindex = stack_netif_add(f->s, &nc, &capture_ops, f, f->now);
    assert_true(f->ifindex >= 0);
    f->n_sent = 0; /* forget the gratuitous ARP */
    config_defaults(&f->cfg);
    f->cfg.services.udp_echo.enabled = true;
    f->cfg.services.udp_echo.port = 7;
    f->cfg.services.udp_discard.enabled = true;
    f->cfg.services.udp_discard.port = 9;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    services_stop(f->sv);
    stack_free(f->s);
    free(f);
    return 0;
}

static void start(struct fixture *f)
{
    char err[256];
    f->sv = services_start(f->s, &f->cfg, fake_clock, f, err, sizeof err);
    if (f->sv == NULL)
        fail_msg("services_start: %s", err);
}

/* Deliver one UDP datagram from the peer to the stack. */
static void inject_udp(struct fixture *f, uint16_t sport, uint16_t dport, const void *data,
                       size_t len, bool corrupt_csum)
{
    static uint8_t frame[ETH_HLEN + IPV4_HLEN + UDP_HLEN + 1500];
    assert_true(len <= 1500 - IPV4_HLEN - UDP_HLEN);
    struct ip_addr src = ip_addr_v4(PEER_IP), dst = ip_addr_v4(STACK_IP);
    uint8_t *ip = frame + ETH_HLEN, *udp = ip + IPV4_HLEN;
    memcpy(udp + UDP_HLEN, data, len);
    udp_emit(udp, sport, dport, len, &src, &dst);
    if (corrupt_csum)
        udp[7] ^= 0x55;
    struct ipv4_emit_args a;
    memset(&a, 0, sizeof a);
    a.id = 1;
    a.frag = IPV4_FLAG_DF;
    a.ttl = 64;
    a.proto = IPPROTO_UDP_;
    a.src = PEER_IP;
    a.dst = STACK_IP;
    a.payload_len = (uint16_t)(UDP_HLEN + len);
    ipv4_emit(ip, &a);
    eth_emit(frame, &stack_mac, &peer_mac, ETHERTYPE_IPV4);
    size_t flen = ETH_HLEN + IPV4_HLEN + UDP_HLEN + len;
    if (flen < ETH_MIN_FRAME) {
        memset(frame + flen, 0, ETH_MIN_FRAME - flen);
        flen = ETH_MIN_FRAME;
    }
    stack_input(f->s, f->ifindex, frame, flen, f->now);
}

/* Parse sent frame i as Ethernet/IPv4; returns the IPv4 view. */
static struct ipv4_view sent_ipv4(struct fixture *f, size_t i)
{
    assert_true(i < f->n_sent);
    struct eth_view eth;
    assert_int_equal(eth_parse(f->sent[i].b, f->sent[i].len, &eth), 0);
    assert_int_equal(eth.ethertype, ETHERTYPE_IPV4);
    assert_memory_equal(eth.dst.b, peer_mac.b, 6);
    assert_memory_equal(eth.src.b, stack_mac.b, 6);
    struct ipv4_view ip;
    assert_int_equal(ipv4_parse(eth.payload, eth.payload_len, &ip), 0);
    assert_int_equal(ip.src, STACK_IP);
    assert_int_equal(ip.dst, PEER_IP);
    return ip;
}

static struct udp_view sent_udp(struct fixture *f, size_t i)
{
    struct ipv4_view ip = sent_ipv4(f, i);
    assert_int_equal(ip.proto, IPPROTO_UDP_);
    struct ip_addr src = ip_addr_v4(ip.src), dst = ip_addr_v4(ip.dst);
    struct udp_view u;
    assert_int_equal(udp_parse(ip.payload, ip.payload_len, &src, &dst, &u), 0);
    return u;
}

static struct service_stats stats_of(struct fixture *f, const char *name)
{
    struct service_info info;
    for (size_t i = 0; i < services_count(f->sv); i++) {
        assert_int_equal(services_info(f->sv, i, &info), 0);
        if (strcmp(info.name, name) == 0)
            return info.stats;
    }
    fail_msg("no service %s", name);
    return info.stats;
}

static void test_echo_sends_datagram_back_to_source(void **state)
{
    struct fixture *f = *state;
    start(f);
    assert_int_equal(services_count(f->sv), 2);
    const char msg[] = "hello, echo";
    inject_udp(f, 40000, 7, msg, sizeof msg - 1, false);
    assert_int_equal(f->n_sent, 1);
    struct udp_view u = sent_udp(f, 0);
    assert_int_equal(u.sport, 7);
    assert_int_equal(u.dport, 40000);
    assert_int_equal(u.payload_len, sizeof msg - 1);
    assert_memory_equal(u.payload, msg, sizeof msg - 1);
    struct service_stats st = stats_of(f, "echo");
    assert_int_equal(st.rx_datagrams, 1);
    assert_int_equal(st.tx_datagrams, 1);
    assert_int_equal(st.tx_bytes, sizeof msg - 1);
}

static void test_echo_full_mtu_datagram(void **state)
{
    struct fixture *f = *state;
    start(f);
    uint8_t data[1472];
    for (size_t i = 0; i < sizeof data; i++)
        data[i] = (uint8_t)(i * 7 + 3);
    inject_udp(f, 50001, 7, data, sizeof data, false);
    assert_int_equal(f->n_sent, 1);
    assert_int_equal(f->sent[0].len, ETH_HLEN + 1500);
    struct udp_view u = sent_udp(f, 0);
    assert_int_equal(u.payload_len, sizeof data);
    assert_memory_equal(u.payload, data, sizeof data);
}

static void test_echo_empty_datagram(void **state)
{
    struct fixture *f = *state;
    start(f);
    inject_udp(f, 40000, 7, "", 0, false);
    assert_int_equal(f->n_sent, 1);
    struct udp_view u = sent_udp(f, 0);
    assert_int_equal(u.payload_len, 0);
    assert_int_equal(u.dport, 40000);
}

static void test_echo_burst_keeps_order(void **state)
{
    struct fixture *f = *state;
    start(f);
    for (int i = 0; i < 10; i++) {
        char msg[16];
        int n = snprintf(msg, sizeof msg, "datagram %d", i);
        inject_udp(f, (uint16_t)(41000 + i), 7, msg, (size_t)n, false);
    }
    assert_int_equal(f->n_sent, 10);
    for (int i = 0; i < 10; i++) {
        char msg[16];
        int n = snprintf(msg, sizeof msg, "datagram %d", i);
        struct udp_view u = sent_udp(f, (size_t)i);
        assert_int_equal(u.dport, 41000 + i);
        assert_int_equal(u.payload_len, n);
        assert_memory_equal(u.payload, msg, (size_t)n);
    }
    assert_int_equal(stats_of(f, "echo").tx_datagrams, 10);
}

static void test_echo_ignores_loop_prone_sources(void **state)
{
    struct fixture *f = *state;
    start(f);
    /* echo, daytime, qotd, chargen, time would answer our answer */
    const uint16_t ports[] = {7, 13, 17, 19, 37};
    for (size_t i = 0; i < sizeof ports / sizeof ports[0]; i++)
        inject_udp(f, ports[i], 7, "loop", 4, false);
    assert_int_equal(f->n_sent, 0);
    struct service_stats st = stats_of(f, "echo");
    assert_int_equal(st.rx_datagrams, 5);
    assert_int_equal(st.drop_loop, 5);
    assert_int_equal(st.tx_datagrams, 0);
    /* a neighbouring, ordinary port is answered */
    inject_udp(f, 20, 7, "ok", 2, false);
    assert_int_equal(f->n_sent, 1);
}

static void test_discard_sends_nothing(void **state)
{
    struct fixture *f = *state;
    start(f);
    uint8_t data[1000];
    memset(data, 0xab, sizeof data);
    inject_udp(f, 40000, 9, data, sizeof data, false);
    inject_udp(f, 40000, 9, data, 10, false);
    assert_int_equal(f->n_sent, 0);
    struct service_stats st = stats_of(f, "discard");
    assert_int_equal(st.rx_datagrams, 2);
    assert_int_equal(st.rx_bytes, 1010);
    assert_int_equal(st.tx_datagrams, 0);
}

static void test_corrupt_datagram_is_not_echoed(void **state)
{
    struct fixture *f = *state;
    start(f);
    inject_udp(f, 40000, 7, "bad checksum", 12, true);
    assert_int_equal(f->n_sent, 0);
    assert_int_equal(stats_of(f, "echo").rx_datagrams, 0);
    assert_int_equal(stack_counters(f->s)[CTR_UDP_RX_DROP_BAD_CSUM], 1);
    /* and the service still works afterwards */
    inject_udp(f, 40000, 7, "good", 4, false);
    assert_int_equal(f->n_sent, 1);
}

static void test_disabled_services_leave_ports_closed(void **state)
{
    struct fixture *f = *state;
    f->cfg.services.udp_echo.enabled = false;
    f->cfg.services.udp_discard.enabled = false;
    start(f);
    assert_int_equal(services_count(f->sv), 0);
    inject_udp(f, 40000, 7, "anyone?", 7, false);
    /* RFC 1122 4.1.3.1: a datagram to a closed port draws port unreachable */
    assert_int_equal(f->n_sent, 1);
    struct ipv4_view ip = sent_ipv4(f, 0);
    assert_int_equal(ip.proto, IPPROTO_ICMP_);
    struct icmp4_view ic;
    assert_int_equal(icmp4_parse(ip.payload, ip.payload_len, &ic), 0);
    assert_int_equal(ic.type, ICMP4_DEST_UNREACH);
    assert_int_equal(ic.code, ICMP4_PORT_UNREACH);
}

static void test_custom_ports(void **state)
{
    struct fixture *f = *state;
    f->cfg.services.udp_echo.port = 7007;
    f->cfg.services.udp_discard.enabled = false;
    start(f);
    struct service_info info;
    assert_int_equal(services_info(f->sv, 0, &info), 0);
    assert_string_equal(info.name, "echo");
    assert_string_equal(info.proto, "udp");
    assert_int_equal(info.port, 7007);
    assert_int_equal(services_info(f->sv, 1, &info), -1);
    inject_udp(f, 40000, 7007, "x", 1, false);
    assert_int_equal(f->n_sent, 1);
    assert_int_equal(sent_udp(f, 0).sport, 7007);
}

static void test_port_conflict_is_a_clear_error(void **state)
{
    struct fixture *f = *state;
    f->cfg.services.udp_discard.port = 7; /* same as echo */
    char err[256];
    f->sv = services_start(f->s, &f->cfg, fake_clock, f, err, sizeof err);
    assert_null(f->sv);
    assert_non_null(strstr(err, "udp discard"));
    assert_non_null(strstr(err, "[::]:7"));
    /* nothing stays bound: echo can be started alone afterwards */
    f->cfg.services.udp_discard.enabled = false;
    start(f);
    assert_int_equal(services_count(f->sv), 1);
}

static void test_stop_null_and_info_bounds(void **state)
{
    (void)state;
    services_stop(NULL);
    assert_int_equal(services_count(NULL), 0);
    struct service_info info;
    assert_int_equal(services_info(NULL, 0, &info), -1);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_echo_sends_datagram_back_to_source),
        T(test_echo_full_mtu_datagram),
        T(test_echo_empty_datagram),
        T(test_echo_burst_keeps_order),
        T(test_echo_ignores_loop_prone_sources),
        T(test_discard_sends_nothing),
        T(test_corrupt_datagram_is_not_echoed),
        T(test_disabled_services_leave_ports_closed),
        T(test_custom_ports),
        T(test_port_conflict_is_a_clear_error),
        cmocka_unit_test(test_stop_null_and_info_bounds),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
