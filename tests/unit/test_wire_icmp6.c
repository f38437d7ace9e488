/* test_wire_icmp6.c - ICMPv6 codec (RFC 4443): checksum, echo, errors and
 * the quoted invoking packet. ND and MLD are in test_wire_icmp6_nd.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "stack/wire/icmp6.h"
#include "stack/wire/ipv6.h"
#include "tests/unit/support/bytes.h"

/* Captured with tcpdump on a veth pair between two network namespaces
 * (fd77::1 and fd77::2), Ethernet header removed. */

/* ping -6 -c1 -s 16 -p 10 fd77::2: id 23924 seq 1, flow label 0x3aad1. */
static const uint8_t real_echo_request[64] = {
    0x60, 0x03, 0xaa, 0xd1, 0x00, 0x18, 0x3a, 0x40, 0xfd, 0x77, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01,
    0xfd, 0x77, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x02, 0x80, 0x00, 0x8f, 0xc1, 0x5d, 0x74, 0x00, 0x01,
    0xd0, 0xf6, 0x0b, 0x6b, 0x00, 0x00, 0x00, 0x00, 0xb5, 0x21, 0x06, 0x00,
    0x00, 0x00, 0x00, 0x00,
};

/* The kernel's echo reply. */
static const uint8_t real_echo_reply[64] = {
    0x60, 0x03, 0xbd, 0x73, 0x00, 0x18, 0x3a, 0x40, 0xfd, 0x77, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02,
    0xfd, 0x77, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x01, 0x81, 0x00, 0x8e, 0xc1, 0x5d, 0x74, 0x00, 0x01,
    0xd0, 0xf6, 0x0b, 0x6b, 0x00, 0x00, 0x00, 0x00, 0xb5, 0x21, 0x06, 0x00,
    0x00, 0x00, 0x00, 0x00,
};

/* Port unreachable for UDP fd77::1:33554 -> fd77::2:9999 "hello\n" (the
 * quoted UDP checksum is the partial one of veth checksum offload). */
static const uint8_t real_port_unreach[102] = {
    0x60, 0x01, 0x6d, 0x63, 0x00, 0x3e, 0x3a, 0x40, 0xfd, 0x77, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02,
    0xfd, 0x77, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x01, 0x01, 0x04, 0x1d, 0x46, 0x00, 0x00, 0x00, 0x00,
    0x60, 0x02, 0x90, 0xe9, 0x00, 0x0e, 0x11, 0x40, 0xfd, 0x77, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01,
    0xfd, 0x77, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x02, 0x83, 0x12, 0x27, 0x0f, 0x00, 0x0e, 0xfb, 0x11,
    0x68, 0x65, 0x6c, 0x6c, 0x6f, 0x0a,
};

/* A whole IPv6 packet, copied to the end of a heap block and parsed down
 * to its ICMPv6 message. */
struct pkt {
    uint8_t *copy;
    struct ipv6_view ip;
    struct ipv6_chain chain;
    struct ip_addr src, dst;
    struct icmp6_view m;
};

static int load(struct pkt *p, const uint8_t *bytes, size_t len)
{
    p->copy = tail_copy(bytes, len);
    assert_int_equal(ipv6_parse(p->copy, len, &p->ip), WIRE_OK);
    assert_int_equal(ipv6_walk(&p->ip, &p->chain), WIRE_OK);
    assert_int_equal(p->chain.proto, IPV6_NH_ICMPV6);
    p->src = ipv6_addr_tag(p->ip.src);
    p->dst = ipv6_addr_tag(p->ip.dst);
    return icmp6_parse(p->chain.upper, p->chain.upper_len, &p->src, &p->dst, &p->m);
}

static void unload(struct pkt *p)
{
    tail_free(p->copy);
}

/* The ICMPv6 part of a captured packet without extension headers. */
#define ICMP_OF(a) ((a) + IPV6_HLEN)
#define ICMP_LEN(a) (sizeof(a) - IPV6_HLEN)

static void test_parse_real_echo_request(void **state)
{
    (void)state;
    struct pkt p;
    assert_int_equal(load(&p, real_echo_request, sizeof real_echo_request), WIRE_OK);
    assert_int_equal(p.m.type, ICMP6_ECHO_REQUEST);
    assert_int_equal(p.m.code, 0);
    assert_int_equal(icmp6_echo_id(&p.m), 23924);
    assert_int_equal(icmp6_echo_seq(&p.m), 1);
    assert_int_equal(p.m.len, 24);
    assert_int_equal(p.m.body_len, 16);
    assert_ptr_equal(p.m.body, p.copy + 48);
    assert_false(icmp6_is_error(p.m.type));
    unload(&p);
}

static void test_emit_real_echo_reply(void **state)
{
    (void)state;
    /* The kernel's reply: same id, seq and data, type 129, addresses
     * swapped; our checksum must match its. */
    uint8_t buf[24];
    memcpy(buf + 8, ICMP_OF(real_echo_request) + 8, 16);
    struct ip_addr me = ip_addr_fd77(2), peer = ip_addr_fd77(1);
    icmp6_emit(buf, ICMP6_ECHO_REPLY, 0, 23924u << 16 | 1, 16, &me, &peer);
    assert_memory_equal(buf, ICMP_OF(real_echo_reply), 24);

    struct pkt p;
    assert_int_equal(load(&p, real_echo_reply, sizeof real_echo_reply), WIRE_OK);
    assert_int_equal(p.m.type, ICMP6_ECHO_REPLY);
    assert_int_equal(p.m.rest, 23924u << 16 | 1);
    unload(&p);
}

static void test_parse_truncated(void **state)
{
    (void)state;
    struct ip_addr a = ip_addr_fd77(1), b = ip_addr_fd77(2);
    for (size_t len = 0; len < ICMP6_HLEN; len++) {
        uint8_t *c = tail_copy(ICMP_OF(real_echo_request), len);
        struct icmp6_view m;
        assert_int_equal(icmp6_parse(c, len, &a, &b, &m), WIRE_ETRUNC);
        tail_free(c);
    }
}

static void test_parse_bad_checksum(void **state)
{
    (void)state;
    struct ip_addr a = ip_addr_fd77(1), b = ip_addr_fd77(2);
    const uint8_t *msg = ICMP_OF(real_echo_request);
    size_t len = ICMP_LEN(real_echo_request);
    struct icmp6_view m;
    /* Any single bit flip. */
    for (size_t byte = 0; byte < len; byte++) {
        for (int bit = 0; bit < 8; bit++) {
            uint8_t *c = tail_copy(msg, len);
            c[byte] ^= (uint8_t)(1u << bit);
            assert_int_equal(icmp6_parse(c, len, &a, &b, &m), WIRE_ECSUM);
            tail_free(c);
        }
    }
    /* The pseudo-header counts: other addresses, either order. */
    struct ip_addr x = ip_addr_fd77(3);
    assert_int_equal(icmp6_parse(msg, len, &a, &b, &m), WIRE_OK);
    assert_int_equal(icmp6_parse(msg, len, &a, &x, &m), WIRE_ECSUM);
    assert_int_equal(icmp6_parse(msg, len, &x, &b, &m), WIRE_ECSUM);
    /* Every cut message (the length is in the pseudo-header too). */
    for (size_t cut = ICMP6_HLEN; cut < len; cut++)
        assert_int_equal(icmp6_parse(msg, cut, &a, &b, &m), WIRE_ECSUM);
}

static void test_parse_real_port_unreach(void **state)
{
    (void)state;
    struct pkt p;
    assert_int_equal(load(&p, real_port_unreach, sizeof real_port_unreach), WIRE_OK);
    assert_int_equal(p.m.type, ICMP6_DEST_UNREACH);
    assert_int_equal(p.m.code, ICMP6_PORT_UNREACH);
    assert_int_equal(p.m.rest, 0);
    assert_true(icmp6_is_error(p.m.type));
    assert_int_equal(p.m.body_len, 54);

    struct icmp6_quote q;
    assert_int_equal(icmp6_parse_quote(p.m.body, p.m.body_len, &q), WIRE_OK);
    struct ip_addr qs = ipv6_addr_tag(q.src), qd = ipv6_addr_tag(q.dst);
    struct ip_addr f1 = ip_addr_fd77(1), f2 = ip_addr_fd77(2);
    assert_true(ip_addr_eq(&qs, &f1));
    assert_true(ip_addr_eq(&qd, &f2));
    assert_int_equal(q.next_header, IPV6_NH_UDP);
    assert_true(q.proto_known);
    assert_int_equal(q.proto, IPV6_NH_UDP);
    assert_true(q.has_ports);
    assert_int_equal(q.sport, 33554);
    assert_int_equal(q.dport, 9999);
    assert_ptr_equal(q.l4, p.m.body + 40);
    assert_int_equal(q.l4_len, 14);
    unload(&p);
}

static void test_emit_real_port_unreach(void **state)
{
    (void)state;
    /* Quote the original datagram (the body of the captured error). */
    uint8_t buf[62];
    memcpy(buf + 8, ICMP_OF(real_port_unreach) + 8, 54);
    struct ip_addr me = ip_addr_fd77(2), peer = ip_addr_fd77(1);
    icmp6_emit(buf, ICMP6_DEST_UNREACH, ICMP6_PORT_UNREACH, 0, 54, &me, &peer);
    assert_memory_equal(buf, ICMP_OF(real_port_unreach), sizeof buf);
}

/* An error of the given type carrying the quote, parsed back. */
static void error_round_trip(uint8_t type, uint8_t code, uint32_t rest)
{
    uint8_t buf[ICMP6_HLEN + 54];
    memcpy(buf + 8, ICMP_OF(real_port_unreach) + 8, 54);
    struct ip_addr me = ip_addr_fd77(2), peer = ip_addr_fd77(1);
    icmp6_emit(buf, type, code, rest, 54, &me, &peer);
    struct icmp6_view m;
    assert_int_equal(icmp6_parse(buf, sizeof buf, &me, &peer, &m), WIRE_OK);
    assert_int_equal(m.type, type);
    assert_int_equal(m.code, code);
    assert_int_equal(m.rest, rest);
    assert_true(icmp6_is_error(m.type));
    struct icmp6_quote q;
    assert_int_equal(icmp6_parse_quote(m.body, m.body_len, &q), WIRE_OK);
    assert_int_equal(q.dport, 9999);
}

static void test_errors_round_trip(void **state)
{
    (void)state;
    /* RFC 4443 3.2: the MTU in the second word; 3.4: the pointer. */
    error_round_trip(ICMP6_PACKET_TOO_BIG, 0, 1280);
    error_round_trip(ICMP6_PACKET_TOO_BIG, 0, 0xffffffffu);
    error_round_trip(ICMP6_TIME_EXCEEDED, ICMP6_HOP_LIMIT, 0);
    error_round_trip(ICMP6_TIME_EXCEEDED, ICMP6_REASSEMBLY_TIME, 0);
    error_round_trip(ICMP6_PARAM_PROBLEM, ICMP6_PP_HEADER, 42);
    error_round_trip(ICMP6_PARAM_PROBLEM, ICMP6_PP_NEXT_HEADER, 6);
    error_round_trip(ICMP6_PARAM_PROBLEM, ICMP6_PP_OPTION, 0x12345);
    error_round_trip(ICMP6_DEST_UNREACH, ICMP6_NO_ROUTE, 0);
    error_round_trip(ICMP6_DEST_UNREACH, ICMP6_ADDR_UNREACH, 0);
    /* RFC 4443 2.4 (c): the error fits the 1280-byte minimum MTU. */
    assert_int_equal(ICMP6_ERROR_MAX_QUOTE, 1232);
    assert_int_equal(icmp6_error_quote_len(54), 54);
    assert_int_equal(icmp6_error_quote_len(1232), 1232);
    assert_int_equal(icmp6_error_quote_len(1500), 1232);
    assert_int_equal(IPV6_HLEN + ICMP6_HLEN + icmp6_error_quote_len(65575), IPV6_MIN_MTU);
}

static void test_quote_every_length(void **state)
{
    (void)state;
    const uint8_t *orig = ICMP_OF(real_port_unreach) + 8; /* 54 bytes */
    for (size_t len = 0; len <= 54; len++) {
        uint8_t *c = tail_copy(orig, len);
        struct icmp6_quote q;
        int rc = icmp6_parse_quote(c, len, &q);
        if (len < IPV6_HLEN) {
            assert_int_equal(rc, WIRE_ETRUNC);
        } else {
            assert_int_equal(rc, WIRE_OK);
            assert_int_equal(q.next_header, IPV6_NH_UDP);
            assert_true(q.proto_known);
            assert_int_equal(q.l4_len, len - IPV6_HLEN);
            assert_int_equal(q.has_ports, len >= IPV6_HLEN + 4);
            if (q.has_ports)
                assert_int_equal(q.sport, 33554);
        }
        tail_free(c);
    }
}

static void test_quote_wrong_version(void **state)
{
    (void)state;
    uint8_t q6[54];
    memcpy(q6, ICMP_OF(real_port_unreach) + 8, 54);
    q6[0] = 0x45;
    struct icmp6_quote q;
    assert_int_equal(icmp6_parse_quote(q6, sizeof q6, &q), WIRE_EVERSION);
}

static void test_quote_trailing_bytes_trimmed(void **state)
{
    (void)state;
    /* Payload length 14 but 20 bytes follow the header (RFC 4884
     * extension or padding): the transport span is the stated 14. A
     * larger payload length than quoted is the usual cut quote. */
    uint8_t q6[60] = {0};
    memcpy(q6, ICMP_OF(real_port_unreach) + 8, 54);
    struct icmp6_quote q;
    assert_int_equal(icmp6_parse_quote(q6, sizeof q6, &q), WIRE_OK);
    assert_int_equal(q.l4_len, 14);
    wr16(q6 + 4, 1000);
    assert_int_equal(icmp6_parse_quote(q6, sizeof q6, &q), WIRE_OK);
    assert_int_equal(q.l4_len, 20);
}

/* A quoted header fd77::1 -> fd77::2 followed by pl. */
static size_t quote_with(uint8_t *buf, uint8_t nh, const uint8_t *pl, size_t plen)
{
    memcpy(buf, ICMP_OF(real_port_unreach) + 8, IPV6_HLEN);
    buf[6] = nh;
    wr16(buf + 4, (uint16_t)plen);
    memcpy(buf + IPV6_HLEN, pl, plen);
    return IPV6_HLEN + plen;
}

static void test_quote_extension_headers(void **state)
{
    (void)state;
    uint8_t buf[128];
    struct icmp6_quote q;
    /* Destination options then TCP ports 443 -> 50000. */
    static const uint8_t dst_tcp[] = {6, 0, 1, 4, 0, 0, 0, 0, 0x01, 0xbb, 0xc3, 0x50, 0, 0, 0, 1};
    size_t n = quote_with(buf, IPV6_NH_DSTOPTS, dst_tcp, sizeof dst_tcp);
    assert_int_equal(icmp6_parse_quote(buf, n, &q), WIRE_OK);
    assert_int_equal(q.next_header, IPV6_NH_DSTOPTS);
    assert_true(q.proto_known);
    assert_int_equal(q.proto, IPV6_NH_TCP);
    assert_true(q.has_ports);
    assert_int_equal(q.sport, 443);
    assert_int_equal(q.dport, 50000);
    assert_ptr_equal(q.l4, buf + 48);
    /* The quote ends inside the extension header: addresses only. */
    for (size_t cut = IPV6_HLEN; cut < IPV6_HLEN + 8; cut++) {
        uint8_t *c = tail_copy(buf, cut);
        assert_int_equal(icmp6_parse_quote(c, cut, &q), WIRE_OK);
        assert_false(q.proto_known);
        assert_false(q.has_ports);
        assert_int_equal(q.dst[15], 2);
        tail_free(c);
    }
    /* First fragment: ports present; later fragment: none. */
    uint8_t frag[] = {17, 0, 0x00, 0x01, 0, 0, 0, 5, 0x83, 0x12, 0x27, 0x0f};
    n = quote_with(buf, IPV6_NH_FRAGMENT, frag, sizeof frag);
    assert_int_equal(icmp6_parse_quote(buf, n, &q), WIRE_OK);
    assert_true(q.has_ports);
    assert_int_equal(q.dport, 9999);
    frag[3] = 0x08;
    n = quote_with(buf, IPV6_NH_FRAGMENT, frag, sizeof frag);
    assert_int_equal(icmp6_parse_quote(buf, n, &q), WIRE_OK);
    assert_true(q.proto_known);
    assert_int_equal(q.proto, IPV6_NH_UDP);
    assert_false(q.has_ports);
    /* No Next Header has no ports. */
    n = quote_with(buf, IPV6_NH_NONE, frag, sizeof frag);
    assert_int_equal(icmp6_parse_quote(buf, n, &q), WIRE_OK);
    assert_false(q.has_ports);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_real_echo_request),
        cmocka_unit_test(test_emit_real_echo_reply),
        cmocka_unit_test(test_parse_truncated),
        cmocka_unit_test(test_parse_bad_checksum),
        cmocka_unit_test(test_parse_real_port_unreach),
        cmocka_unit_test(test_emit_real_port_unreach),
        cmocka_unit_test(test_errors_round_trip),
        cmocka_unit_test(test_quote_every_length),
        cmocka_unit_test(test_quote_wrong_version),
        cmocka_unit_test(test_quote_trailing_bytes_trimmed),
        cmocka_unit_test(test_quote_extension_headers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
