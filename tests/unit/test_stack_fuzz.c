/* test_stack_fuzz.c - thousands of mutated frames through stack_input.
 *
 * Valid ARP, IPv4, ICMP and UDP frames are bit-flipped, overwritten,
 * truncated and extended by a fixed-seed LCG. The point is the ASan+UBSan
 * build: no crash, no read past a buffer, no leak. Then every frame must
 * be accounted for: the drop and delivery counters of each layer add up to
 * what that layer received. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "stack/wire/checksum.h"
#include "tests/unit/support/stack_env.h"

#define ITERATIONS 20000

struct lcg {
    uint64_t x;
};

static uint32_t lcg_next(struct lcg *r)
{
    /* Knuth's MMIX constants; the high half is the good half. */
    r->x = r->x * 6364136223846793005ull + 1442695040888963407ull;
    return (uint32_t)(r->x >> 33);
}

static uint32_t lcg_below(struct lcg *r, uint32_t n)
{
    return n == 0 ? 0 : lcg_next(r) % n;
}

struct seed {
    uint8_t data[1600];
    size_t len;
};

static const struct eth_addr zero_mac;

static size_t make_seeds(struct seed *seeds, const uint8_t *our_udp, size_t our_udp_len)
{
    size_t k = 0;
    uint8_t body[64];
    for (size_t i = 0; i < sizeof body; i++)
        body[i] = (uint8_t)i;

    seeds[k].len = frame_arp(seeds[k].data, sizeof seeds[k].data, &frame_broadcast_mac,
                             &env_mac_peer, ARP_OP_REQUEST, &env_mac_peer, ENV_IP_PEER,
                             &zero_mac, ENV_IP_US);
    k++;
    seeds[k].len = frame_arp(seeds[k].data, sizeof seeds[k].data, &env_mac_us, &env_mac_gw,
                             ARP_OP_REPLY, &env_mac_gw, ENV_IP_GW, &env_mac_us, ENV_IP_US);
    k++;
    seeds[k].len = env_udp_to_us(seeds[k].data, sizeof seeds[k].data, 5000, 7, body, 40);
    k++;
    seeds[k].len = env_udp_to_us(seeds[k].data, sizeof seeds[k].data, 5000, 9999, body, 12);
    k++;
    seeds[k].len = frame_udp(seeds[k].data, sizeof seeds[k].data, &frame_broadcast_mac,
                             &env_mac_peer, ENV_IP_PEER, 0xffffffffu, 68, 7, body, 20);
    k++;
    seeds[k].len = frame_icmp4(seeds[k].data, sizeof seeds[k].data, &env_mac_us, &env_mac_peer,
                               ENV_IP_PEER, ENV_IP_US, ICMP4_ECHO_REQUEST, 0, 0x00010002u, body,
                               56);
    k++;
    seeds[k].len = frame_icmp4(seeds[k].data, sizeof seeds[k].data, &env_mac_us, &env_mac_peer,
                               ENV_IP_PEER, ENV_IP_US, ICMP4_DEST_UNREACH, ICMP4_PORT_UNREACH,
                               0, our_udp, our_udp_len);
    k++;
    seeds[k].len = frame_icmp4(seeds[k].data, sizeof seeds[k].data, &env_mac_us, &env_mac_gw,
                               ENV_IP_GW, ENV_IP_US, ICMP4_TIME_EXCEEDED, 0, 0, our_udp,
                               our_udp_len);
    k++;
    struct ipv4_emit_args ip = {.ttl = 9, .proto = 47, .src = ENV_IP_PEER, .dst = ENV_IP_US};
    seeds[k].len = frame_ipv4(seeds[k].data, sizeof seeds[k].data, &env_mac_us, &env_mac_peer,
                              &ip, body, 30);
    k++;
    for (size_t i = 0; i < k; i++)
        assert_true(seeds[i].len > 0);
    return k;
}

/* Make the IPv4 header checksum right again half of the time, so that
 * mutations past the IP header reach ICMP and UDP. */
static void maybe_fix_ip(struct lcg *r, uint8_t *f, size_t len)
{
    if (lcg_below(r, 2) != 0 || len < ETH_HLEN + IPV4_HLEN || rd16(f + 12) != ETHERTYPE_IPV4)
        return;
    uint8_t *ip = f + ETH_HLEN;
    size_t ihl = (size_t)(ip[0] & 0x0f) * 4;
    if (ihl < IPV4_HLEN || ETH_HLEN + ihl > len)
        return;
    ip[10] = ip[11] = 0;
    wr16(ip + 10, inet_csum(ip, ihl));
}

static void mutate(struct lcg *r, uint8_t *f, size_t *len, size_t cap)
{
    uint32_t rounds = 1 + lcg_below(r, 4);
    for (uint32_t i = 0; i < rounds; i++) {
        switch (lcg_below(r, 5)) {
        case 0: /* flip a bit */
        case 1:
            if (*len > 0) {
                size_t at = lcg_below(r, (uint32_t)*len);
                f[at] ^= (uint8_t)(1u << lcg_below(r, 8));
            }
            break;
        case 2: /* overwrite a byte, often in the headers */
            if (*len > 0) {
                size_t span = *len < 64 ? *len : 64;
                f[lcg_below(r, (uint32_t)span)] = (uint8_t)lcg_next(r);
            }
            break;
        case 3: /* truncate */
            *len = lcg_below(r, (uint32_t)*len + 1);
            break;
        case 4: /* extend with junk */
        {
            size_t add = lcg_below(r, 64);
            if (*len + add > cap)
                add = cap - *len;
            for (size_t j = 0; j < add; j++)
                f[*len + j] = (uint8_t)lcg_next(r);
            *len += add;
            break;
        }
        }
    }
    maybe_fix_ip(r, f, *len);
}

static void drain(struct udp_sock *us)
{
    uint8_t buf[2048];
    for (int i = 0; i < 10000 && udp_sock_recvfrom(us, buf, sizeof buf, NULL) >= 0; i++)
        ;
}

static void test_mutated_frames(void **state)
{
    (void)state;
    struct stack_env *e = env_new(NULL, false);
    struct udp_sock *open7 = udp_sock_open(e->s, NULL, NULL);
    struct ip_endpoint l;
    memset(&l, 0, sizeof l);
    l.addr = ip_addr_v4(0);
    l.port = 7;
    assert_int_equal(udp_sock_bind(open7, &l), 0);
    /* A connected socket, for the ICMP errors quoting its datagram. */
    struct udp_sock *conn = udp_sock_open(e->s, NULL, NULL);
    struct ip_endpoint peer = l;
    peer.addr = ip_addr_v4(ENV_IP_PEER);
    peer.port = 53;
    assert_int_equal(udp_sock_connect(conn, &peer), 0);
    env_learn(e, ENV_IP_PEER, &env_mac_peer);
    assert_int_equal(udp_sock_sendto(conn, "query", 5, NULL, e->now), 5);
    const struct fake_frame *sent = fake_netif_last(&e->nif);
    assert_non_null(sent);
    uint8_t our_udp[64];
    size_t our_udp_len = IPV4_HLEN + UDP_HLEN + 5;
    memcpy(our_udp, sent->data + ETH_HLEN, our_udp_len);
    fake_netif_clear(&e->nif);

    struct seed seeds[16];
    size_t n_seeds = make_seeds(seeds, our_udp, our_udp_len);
    const uint64_t *c = stack_counters(e->s);
    uint64_t rx_before = c[CTR_ETH_RX_FRAMES];

    struct lcg r = {.x = 0x7463706970ull}; /* fixed seed */
    uint8_t f[1700];
    for (int it = 0; it < ITERATIONS; it++) {
        const struct seed *sd = &seeds[lcg_below(&r, (uint32_t)n_seeds)];
        memcpy(f, sd->data, sd->len);
        size_t len = sd->len;
        mutate(&r, f, &len, sizeof f);
        env_input(e, f, len);
        /* Every frame we send is well formed and within the MTU. */
        for (size_t i = 0; i < e->nif.n; i++) {
            struct parsed_frame pf;
            assert_true(e->nif.frames[i].len <= ENV_MTU + ETH_HLEN);
            assert_true(e->nif.frames[i].len >= ETH_MIN_FRAME);
            env_frame(e, i, &pf);
            assert_true(pf.is_arp || pf.is_ipv4);
        }
        fake_netif_clear(&e->nif);
        if (it % 64 == 0) {
            drain(open7);
            drain(conn);
            (void)udp_sock_error(conn);
            env_advance(e, 300 * NS_PER_MS);
        }
    }

    print_message("frames %llu: arp %llu, ipv4 %llu (delivered %llu), icmp %llu, udp %llu "
                  "(delivered %llu), sent %llu\n",
                  (unsigned long long)c[CTR_ETH_RX_FRAMES], (unsigned long long)c[CTR_ARP_RX],
                  (unsigned long long)c[CTR_IPV4_RX], (unsigned long long)c[CTR_IPV4_RX_DELIVERED],
                  (unsigned long long)c[CTR_ICMP4_RX], (unsigned long long)c[CTR_UDP_RX],
                  (unsigned long long)c[CTR_UDP_RX_DELIVERED],
                  (unsigned long long)c[CTR_ETH_TX_FRAMES]);
    /* Each layer's input is fully accounted for. */
    assert_int_equal(c[CTR_ETH_RX_FRAMES] - rx_before, ITERATIONS);
    assert_int_equal(c[CTR_ETH_RX_FRAMES],
                     c[CTR_ETH_RX_DROP_SHORT] + c[CTR_ETH_RX_DROP_NOT_FOR_US] +
                         c[CTR_ETH_RX_DROP_BAD_SRC] + c[CTR_ETH_RX_DROP_VLAN] +
                         c[CTR_ETH_RX_DROP_UNKNOWN_TYPE] + c[CTR_ARP_RX] + c[CTR_IPV4_RX]);
    assert_int_equal(c[CTR_ARP_RX], c[CTR_ARP_RX_DROP_MALFORMED] +
                                        c[CTR_ARP_RX_DROP_UNSUPPORTED] +
                                        c[CTR_ARP_RX_DROP_BAD_OP] + c[CTR_ARP_RX_REQUESTS] +
                                        c[CTR_ARP_RX_REPLIES]);
    /* A fragment is refused or goes to reassembly; a reassembled
     * datagram is delivered (or refused) as one more. */
    assert_int_equal(c[CTR_IPV4_RX] + c[CTR_IPV4_REASM_OKS],
                     c[CTR_IPV4_RX_DROP_TRUNCATED] + c[CTR_IPV4_RX_DROP_BAD_VERSION] +
                         c[CTR_IPV4_RX_DROP_BAD_HEADER] + c[CTR_IPV4_RX_DROP_BAD_LENGTH] +
                         c[CTR_IPV4_RX_DROP_BAD_CSUM] + c[CTR_IPV4_RX_DROP_BAD_SRC] +
                         c[CTR_IPV4_RX_DROP_TTL_ZERO] + c[CTR_IPV4_RX_DROP_NOT_FOR_US] +
                         c[CTR_IPV4_RX_DROP_FRAGMENT] + c[CTR_IPV4_REASM_REQDS] +
                         c[CTR_IPV4_RX_DROP_UNKNOWN_PROTO] + c[CTR_IPV4_RX_DROP_SOURCE_ROUTE] +
                         c[CTR_IPV4_RX_DELIVERED]);
    assert_int_equal(c[CTR_IPV4_RX_DELIVERED], c[CTR_ICMP4_RX] + c[CTR_UDP_RX] + c[CTR_TCP_RX_SEGS]);
    assert_int_equal(c[CTR_TCP_RX_SEGS], c[CTR_TCP_RX_DROP_TRUNCATED] + c[CTR_TCP_RX_DROP_BAD_HEADER] +
                                             c[CTR_TCP_RX_DROP_BAD_CSUM] + c[CTR_TCP_RX_DROP_BAD_ADDR] +
                                             c[CTR_TCP_RX_NO_SOCKET]);
    assert_int_equal(c[CTR_ICMP4_RX],
                     c[CTR_ICMP4_RX_DROP_TRUNCATED] + c[CTR_ICMP4_RX_DROP_BAD_CSUM] +
                         c[CTR_ICMP4_RX_ECHO_REQUESTS] + c[CTR_ICMP4_RX_ECHO_REPLIES] +
                         c[CTR_ICMP4_RX_DEST_UNREACH] + c[CTR_ICMP4_RX_TIME_EXCEEDED] +
                         c[CTR_ICMP4_RX_PARAM_PROBLEM] + c[CTR_ICMP4_RX_OTHER]);
    assert_int_equal(c[CTR_UDP_RX], c[CTR_UDP_RX_DROP_TRUNCATED] + c[CTR_UDP_RX_DROP_BAD_LENGTH] +
                                        c[CTR_UDP_RX_DROP_BAD_CSUM] + c[CTR_UDP_RX_NO_PORT] +
                                        c[CTR_UDP_RX_DELIVERED] + c[CTR_UDP_RX_DROP_RCVBUF]);
    /* The mutations reached every layer. */
    assert_true(c[CTR_ARP_RX_REQUESTS] > 0);
    assert_true(c[CTR_IPV4_RX_DROP_BAD_CSUM] > 0);
    assert_true(c[CTR_ICMP4_RX_ECHO_REQUESTS] > 0);
    assert_true(c[CTR_ICMP4_RX_DROP_BAD_CSUM] > 0);
    assert_true(c[CTR_UDP_RX_DELIVERED] > 0);
    assert_true(c[CTR_UDP_RX_DROP_BAD_CSUM] > 0);
    assert_true(c[CTR_ETH_RX_DROP_SHORT] > 0);

    /* Run the timers dry: everything pending resolves or fails, no leak. */
    for (int i = 0; i < 1000 && stack_next_deadline(e->s) != STACK_NO_DEADLINE; i++) {
        e->now = stack_next_deadline(e->s);
        stack_poll(e->s, e->now);
    }
    fake_netif_clear(&e->nif);
    udp_sock_close(open7);
    udp_sock_close(conn);
    env_free(e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mutated_frames),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
