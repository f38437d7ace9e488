/* test_stack_offload.c - checksum and segmentation offload (a TAP with
 * IFF_VNET_HDR, a virtio-net device): what the stack asks of the device,
 * and what it trusts from it. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "stack/wire/checksum.h"
#include "stack/wire/eth.h"
#include "stack/wire/icmp6.h"
#include "stack/wire/tcp.h"
#include "tests/unit/support/env6.h"
#include "tests/unit/support/frames6.h"
#include "tests/unit/support/tcp_peer.h"

static void with_offloads(struct stack_config *cfg, struct netif_config *ncfg)
{
    (void)cfg;
    ncfg->offloads = NETIF_OFFLOAD_TX_CSUM | NETIF_OFFLOAD_TSO4;
}

/* Finish a partial checksum as the device would and check the segment
 * against the pseudo-header of its IP version (RFC 9293 3.1 for IPv4,
 * RFC 8200 8.1 for IPv6, as the Ethernet type says); the segment's
 * length is the IP header's (IPv4 Total Length less 20, IPv6 Payload
 * Length: we send no extension headers). */
static void assert_partial_csum_completes(const struct fake_frame *f)
{
    assert_true(f->offloaded);
    assert_true(f->off.csum_partial);
    assert_int_equal(f->off.csum_offset, 16);
    bool v6 = rd16(f->data + 12) == ETHERTYPE_IPV6;
    size_t l4 = f->off.csum_start;
    assert_int_equal(l4, ETH_HLEN + (v6 ? IPV6_HLEN : 20));
    uint8_t *copy = malloc(f->len);
    assert_non_null(copy);
    memcpy(copy, f->data, f->len);
    const uint8_t *ip = copy + ETH_HLEN;
    size_t seg;
    struct ip_addr s, d;
    if (v6) {
        assert_int_equal(ip[6], IPV6_NH_TCP);
        seg = rd16(ip + 4);
        s = ipv6_addr_tag(ip + 8);
        d = ipv6_addr_tag(ip + 24);
    } else {
        seg = (size_t)rd16(ip + 2) - 20;
        s = ip_addr_v4(ENV_IP_US);
        d = ip_addr_v4(ENV_IP_PEER);
    }
    assert_true(l4 + seg <= f->len);
    uint16_t sum = inet_csum(copy + l4, seg);
    copy[l4 + 16] = (uint8_t)(sum >> 8);
    copy[l4 + 17] = (uint8_t)sum;
    struct tcp_view t;
    assert_int_equal(tcp_parse(copy + l4, seg, &s, &d, &t), WIRE_OK);
    free(copy);
}

/* ---- IPv6 (env6.h: we are fd77::2, the peer fd77::9) ---- */

#define PEER6_PORT 40000

static void with_offloads6(struct stack_config *cfg, struct netif_config *ncfg)
{
    env6_tweak_no_slaac(cfg, ncfg);
    ncfg->offloads = NETIF_OFFLOAD_TX_CSUM | NETIF_OFFLOAD_TSO6;
}

/* Checksum offload and TSO for IPv4 only: IPv6 must not get TSO. */
static void with_offloads6_no_tso6(struct stack_config *cfg, struct netif_config *ncfg)
{
    env6_tweak_no_slaac(cfg, ncfg);
    ncfg->offloads = NETIF_OFFLOAD_TX_CSUM | NETIF_OFFLOAD_TSO4;
}

/* A segment from the peer (port PEER6_PORT) to us, payload of any size,
 * its checksum right over the IPv6 pseudo-header. */
static size_t seg6_frame(uint8_t *f, size_t cap, uint16_t dport, uint32_t seq, uint32_t ack,
                         uint8_t flags, const struct tcp_options *opt, const uint8_t *data,
                         size_t len)
{
    size_t tcap = TCP_MAX_HLEN + len;
    uint8_t *tcp = malloc(tcap);
    assert_non_null(tcp);
    size_t optlen = opt != NULL ? tcp_options_emit(tcp + TCP_HLEN, TCP_MAX_OPTLEN, opt) : 0;
    if (len > 0)
        memcpy(tcp + TCP_HLEN + optlen, data, len);
    struct tcp_emit_args a = {
        .sport = PEER6_PORT, .dport = dport, .seq = seq, .ack = ack, .flags = flags,
        .window = 65535,
    };
    struct ip_addr s = ipv6_addr_tag(env6_peer), d = ipv6_addr_tag(env6_us);
    tcp_emit(tcp, &a, optlen, len, &s, &d);
    size_t n = f6_packet(f, cap, env6_peer, env6_us, IPV6_NH_TCP, 64, tcp, TCP_HLEN + optlen + len);
    free(tcp);
    assert_true(n > 0);
    return n;
}

static void send6(struct stack_env *e, uint16_t dport, uint32_t seq, uint32_t ack, uint8_t flags,
                  const struct tcp_options *opt)
{
    uint8_t f[256];
    f6_input(e, f, seg6_frame(f, sizeof f, dport, seq, ack, flags, opt, NULL, 0));
}

/* Passive open on [fd77::2]:80 from a peer with MSS 1440 and no
 * timestamps: our send MSS is 1440 (1500 - 60). Returns the connection,
 * the listener in *lp and our ISN in *isn; no frames are left recorded. */
static struct tcp_sock *accept6(struct stack_env *e, struct tcp_sock **lp, uint32_t *isn)
{
    struct tcp_sock *l = tcp_sock_open(e->s, NULL, NULL);
    assert_int_equal(tcp_sock_set_family(l, IP_FAMILY_V6), 0);
    struct ip_endpoint any;
    memset(&any, 0, sizeof any);
    any.addr = ipv6_addr_tag(env6_us);
    any.port = 80;
    assert_int_equal(tcp_sock_bind(l, &any), 0);
    assert_int_equal(tcp_sock_listen(l, 4), 0);
    struct tcp_options o = {.has_mss = true, .mss = 1440};
    send6(e, 80, 1000, 0, TCP_FLAG_SYN, &o);
    assert_int_equal(e->nif.n, 1);
    const struct fake_frame *fr = fake_netif_frame(&e->nif, 0);
    struct ipv6_view ip;
    assert_int_equal(ipv6_parse(fr->data + ETH_HLEN, fr->len - ETH_HLEN, &ip), WIRE_OK);
    struct tcp_view t;
    assert_int_equal(tcp_parse_nocsum(ip.payload, ip.payload_len, &t), WIRE_OK);
    assert_int_equal(t.flags, TCP_FLAG_SYN | TCP_FLAG_ACK);
    *isn = t.seq;
    fake_netif_clear(&e->nif);
    send6(e, 80, 1001, t.seq + 1, TCP_FLAG_ACK, NULL);
    int err = -1;
    struct tcp_sock *c = tcp_sock_accept(l, NULL, NULL, &err);
    assert_non_null(c);
    assert_int_equal(err, 0);
    fake_netif_clear(&e->nif);
    *lp = l;
    return c;
}

static struct stack_env *ready6(env_tweak_fn tweak)
{
    struct stack_env *e = env6_ready(tweak);
    f6_learn_peer(e);
    return e;
}

/* The IPv6 Payload Length of a recorded frame, checked against its size
 * (a TSO frame is never padded). */
static size_t v6_payload_len(const struct fake_frame *f)
{
    assert_int_equal(rd16(f->data + 12), ETHERTYPE_IPV6);
    size_t pl = rd16(f->data + ETH_HLEN + 4);
    assert_int_equal(f->len, ETH_HLEN + IPV6_HLEN + pl);
    return pl;
}

/* With TSO the stack hands the device one segment of many MSS, asks it to
 * cut them at the MSS and to finish the checksum; without offloads it
 * never exceeds the MTU. */
static void test_tso_segment_and_partial_checksum(void **state)
{
    (void)state;
    struct stack_env *e = tp_env(with_offloads);
    struct tcp_options o = tp_linux_syn_options(100);
    struct tcp_sock *c = tp_connect_conn(e, 7000, &o, NULL);
    tp_clear(e);
    static uint8_t data[200000];
    for (size_t i = 0; i < sizeof data; i++)
        data[i] = (uint8_t)(i * 7);
    assert_true(tcp_sock_send(c, data, sizeof data, e->now) > 0);
    assert_true(e->nif.n >= 1);
    const struct fake_frame *f = &e->nif.frames[0];
    /* Initial window 10 MSS (RFC 6928) in one TSO segment. */
    assert_int_equal(f->off.gso_type, NETIF_GSO_TCPV4);
    assert_int_equal(f->off.gso_size, 1448); /* 1460 less the timestamps */
    assert_int_equal(f->off.hdr_len, ETH_HLEN + 20 + 32);
    assert_true(f->len > 10000);
    assert_true(f->len <= 14 + 65535);
    assert_partial_csum_completes(f);
    tcp_sock_abort(c, e->now);
    env_free(e);
}

/* A pure ACK still asks only for the checksum, no segmentation. */
static void test_small_segments_partial_only(void **state)
{
    (void)state;
    struct stack_env *e = tp_env(with_offloads);
    struct tcp_options o = tp_linux_syn_options(100);
    struct tcp_sock *c = tp_connect_conn(e, 7000, &o, NULL);
    tp_clear(e);
    assert_int_equal(tcp_sock_send(c, "x", 1, e->now), 1);
    assert_int_equal(e->nif.n, 1);
    assert_int_equal(e->nif.frames[0].off.gso_size, 0);
    assert_partial_csum_completes(&e->nif.frames[0]);
    tcp_sock_abort(c, e->now);
    env_free(e);
}

/* A segment whose checksum the device vouched for is taken even though
 * its checksum field only holds the pseudo-header sum; the same bytes
 * through plain stack_input are a checksum drop. Frames larger than the
 * MTU (a GSO packet from the kernel) are taken whole. */
static void test_rx_csum_ok_trusted(void **state)
{
    (void)state;
    struct stack_env *e = tp_env(NULL);
    struct tcp_sock *l = tp_listen(e, 80, 4);
    struct tp_out sa;
    struct tcp_sock *c = tp_accept_conn(e, l, 80, 1000, NULL, &sa);
    static uint8_t big[4000];
    memset(big, 'q', sizeof big);
    uint8_t f[FRAME_MAX];
    size_t n = tp_frame(f, sizeof f, &(struct tp_seg){.dport = 80, .seq = 1001,
                                                      .ack = sa.t.seq + 1,
                                                      .flags = TCP_FLAG_ACK, .payload = big,
                                                      .len = 1500});
    /* Spoil the checksum as a NEEDS_CSUM packet would have it. */
    f[ETH_HLEN + 20 + 16] ^= 0x5a;
    uint64_t bad = env_ctr(e, CTR_TCP_RX_DROP_BAD_CSUM);
    env_input(e, f, n);
    assert_int_equal(env_ctr(e, CTR_TCP_RX_DROP_BAD_CSUM), bad + 1);
    assert_int_equal(tcp_sock_readable(c), 0);
    stack_input_offload(e->s, e->ifindex, f, n, STACK_RX_CSUM_OK, e->now);
    assert_int_equal(tcp_sock_readable(c), 1500);
    tcp_sock_abort(c, e->now);
    tcp_sock_close(l, e->now);
    env_free(e);
}

/* A TSO segment that waits for ARP keeps its offload request. */
static void test_arp_pending_keeps_offload(void **state)
{
    (void)state;
    struct stack_env *e = env_new(with_offloads, false);
    struct tcp_sock *c = tcp_sock_open(e->s, NULL, NULL);
    struct ip_endpoint to = env_ep(ENV_IP_PEER, TP_PEER_PORT);
    assert_int_equal(tcp_sock_connect(c, &to, e->now), -EINPROGRESS);
    /* The SYN waits for ARP: only the request went out. */
    assert_int_equal(e->nif.n, 1);
    env_learn(e, ENV_IP_PEER, &env_mac_peer);
    /* env_learn clears the frames; the flushed SYN was sent before that,
     * so check with a fresh retransmission instead. */
    env_advance(e, 2 * NS_PER_SEC);
    assert_true(e->nif.n >= 1);
    const struct fake_frame *f = &e->nif.frames[e->nif.n - 1];
    assert_partial_csum_completes(f);
    tcp_sock_abort(c, e->now);
    env_free(e);
}

/* TSO6: one segment of many MSS, the device to cut it at the MSS
 * (VIRTIO_NET_HDR_GSO_TCPV6) and to finish the checksum, which is seeded
 * with the IPv6 pseudo-header sum (RFC 8200 8.1). */
static void test_tso6_segment_and_partial_checksum(void **state)
{
    (void)state;
    struct stack_env *e = ready6(with_offloads6);
    struct tcp_sock *l;
    uint32_t isn;
    struct tcp_sock *c = accept6(e, &l, &isn);
    static uint8_t data[200000];
    for (size_t i = 0; i < sizeof data; i++)
        data[i] = (uint8_t)(i * 7);
    assert_true(tcp_sock_send(c, data, sizeof data, e->now) > 0);
    assert_true(e->nif.n >= 1);
    const struct fake_frame *f = &e->nif.frames[0];
    assert_true(f->offloaded);
    assert_int_equal(f->off.gso_type, NETIF_GSO_TCPV6);
    assert_int_equal(f->off.gso_size, 1440);
    assert_int_equal(f->off.hdr_len, ETH_HLEN + IPV6_HLEN + TCP_HLEN);
    /* Initial window 10 MSS (RFC 6928) in one segment. */
    size_t pl = v6_payload_len(f);
    assert_int_equal(pl, TCP_HLEN + 10 * 1440);
    assert_partial_csum_completes(f);
    /* The payload is the data from the start, not cut. */
    assert_memory_equal(f->data + ETH_HLEN + IPV6_HLEN + TCP_HLEN, data, 10 * 1440);
    tcp_sock_abort(c, e->now);
    tcp_sock_close(l, e->now);
    env_free(e);
}

/* Without TSO6 (TSO4 is no use to IPv6) every IPv6 segment fits the MTU,
 * and still asks the device only for its checksum. */
static void test_no_tso6_segments_fit_mtu(void **state)
{
    (void)state;
    struct stack_env *e = ready6(with_offloads6_no_tso6);
    struct tcp_sock *l;
    uint32_t isn;
    struct tcp_sock *c = accept6(e, &l, &isn);
    static uint8_t data[200000];
    memset(data, 'z', sizeof data);
    assert_true(tcp_sock_send(c, data, sizeof data, e->now) > 0);
    assert_true(e->nif.n >= 10);
    for (size_t i = 0; i < e->nif.n; i++) {
        const struct fake_frame *f = &e->nif.frames[i];
        assert_true(f->len <= ETH_HLEN + 1500);
        assert_int_equal(f->off.gso_size, 0);
        assert_int_equal(f->off.gso_type, NETIF_GSO_NONE);
        assert_int_equal(v6_payload_len(f), TCP_HLEN + 1440);
        assert_partial_csum_completes(f);
    }
    tcp_sock_abort(c, e->now);
    tcp_sock_close(l, e->now);
    env_free(e);
}

/* With TUN_F_TSO6 the kernel hands us IPv6 TCP segments of up to 64 KiB,
 * far above the MTU, with the checksum left to finish (virtio NEEDS_CSUM,
 * so the field holds only the pseudo-header sum): with STACK_RX_CSUM_OK
 * the stack takes one whole. */
static void test_rx_large_v6_segment(void **state)
{
    (void)state;
    struct stack_env *e = ready6(with_offloads6);
    struct tcp_sock *l;
    uint32_t isn;
    struct tcp_sock *c = accept6(e, &l, &isn);
    enum { N = 20000 };
    static uint8_t data[N];
    for (size_t i = 0; i < N; i++)
        data[i] = (uint8_t)(i * 13);
    static uint8_t f[ETH_HLEN + IPV6_HLEN + TCP_MAX_HLEN + N];
    size_t n = seg6_frame(f, sizeof f, 80, 1001, isn + 1, TCP_FLAG_ACK | TCP_FLAG_PSH, NULL,
                          data, N);
    assert_int_equal(n, ETH_HLEN + IPV6_HLEN + TCP_HLEN + N);
    f[ETH_HLEN + IPV6_HLEN + 16] ^= 0x5a; /* as NEEDS_CSUM leaves it */
    /* Through the plain path the spoilt checksum is a drop. */
    uint64_t bad = env_ctr(e, CTR_TCP_RX_DROP_BAD_CSUM);
    f6_input(e, f, n);
    assert_int_equal(env_ctr(e, CTR_TCP_RX_DROP_BAD_CSUM), bad + 1);
    assert_int_equal(tcp_sock_readable(c), 0);
    stack_input_offload(e->s, e->ifindex, f, n, STACK_RX_CSUM_OK, e->now);
    assert_int_equal(tcp_sock_readable(c), N);
    static uint8_t got[N];
    assert_int_equal(tcp_sock_recv(c, got, sizeof got, e->now), N);
    assert_memory_equal(got, data, N);
    tcp_sock_abort(c, e->now);
    tcp_sock_close(l, e->now);
    env_free(e);
}

/* RFC 8201 4: a Packet Too Big lowers the MSS to 1280 - 60; the TSO
 * segments after it are cut at that MSS, so every piece fits the path. */
static void test_tso6_gso_size_follows_pmtu(void **state)
{
    (void)state;
    struct stack_env *e = ready6(with_offloads6);
    struct tcp_sock *l;
    uint32_t isn;
    struct tcp_sock *c = accept6(e, &l, &isn);
    static uint8_t data[1440];
    memset(data, 'a', sizeof data);
    assert_int_equal(tcp_sock_send(c, data, sizeof data, e->now), (long)sizeof data);
    assert_int_equal(e->nif.n, 1);
    assert_int_equal(e->nif.frames[0].off.gso_size, 0); /* one MSS: nothing to cut */

    /* A router's PTB (MTU 1280) quoting as much of it as fits. */
    static const uint8_t router[16] = {0xfd, 0x77, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
    uint8_t msg[1400], f[1500];
    size_t m = f6_icmp(msg, router, env6_us, ICMP6_PACKET_TOO_BIG, 0, 1280,
                       e->nif.frames[0].data + ETH_HLEN, 1280 - 40 - 8);
    size_t n = f6_packet(f, sizeof f, router, env6_us, IPV6_NH_ICMPV6, 64, msg, m);
    fake_netif_clear(&e->nif);
    f6_input(e, f, n);
    int mss = 0;
    assert_int_equal(tcp_sock_getopt(c, TCP_OPT_MAXSEG, &mss), 0);
    assert_int_equal(mss, 1220);

    /* The peer acknowledges it after all; then a burst goes as TSO. */
    send6(e, 80, 1001, isn + 1 + 1440, TCP_FLAG_ACK, NULL);
    fake_netif_clear(&e->nif);
    static uint8_t more[100000];
    memset(more, 'b', sizeof more);
    assert_true(tcp_sock_send(c, more, sizeof more, e->now) > 0);
    assert_true(e->nif.n >= 1);
    const struct fake_frame *fr = &e->nif.frames[0];
    assert_int_equal(fr->off.gso_type, NETIF_GSO_TCPV6);
    assert_int_equal(fr->off.gso_size, 1220);
    size_t pl = v6_payload_len(fr);
    size_t payload = pl - TCP_HLEN;
    assert_true(payload > 1220);
    assert_int_equal(payload % 1220, 0);
    /* Each piece the device cuts: 40 + 20 + 1220 = 1280. */
    assert_true(IPV6_HLEN + TCP_HLEN + fr->off.gso_size <= 1280);
    assert_partial_csum_completes(fr);
    tcp_sock_abort(c, e->now);
    tcp_sock_close(l, e->now);
    env_free(e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tso_segment_and_partial_checksum),
        cmocka_unit_test(test_small_segments_partial_only),
        cmocka_unit_test(test_rx_csum_ok_trusted),
        cmocka_unit_test(test_arp_pending_keeps_offload),
        cmocka_unit_test(test_tso6_segment_and_partial_checksum),
        cmocka_unit_test(test_no_tso6_segments_fit_mtu),
        cmocka_unit_test(test_rx_large_v6_segment),
        cmocka_unit_test(test_tso6_gso_size_follows_pmtu),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
