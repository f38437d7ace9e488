/* test_wire_icmp6_mld.c - MLDv2 (RFC 3810): the Version 2 Multicast
 * Listener Report we send, the queries we answer. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <cmocka.h>

#include "stack/wire/icmp6.h"
#include "stack/wire/ipv6.h"
#include "tests/unit/support/bytes.h"

/* Captured with tcpdump on a veth pair between two network namespaces,
 * Ethernet header removed. */
/* MLDv2 report fe80::77:ff:fe00:2 -> ff02::16: HBH (Router Alert 0, PadN),
 * one CHANGE_TO_EXCLUDE record for ff02::1:ff00:2. */
static const uint8_t real_mld_report[76] = {
    0x60, 0x00, 0x00, 0x00, 0x00, 0x24, 0x00, 0x01, 0xfe, 0x80, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x77, 0x00, 0xff, 0xfe, 0x00, 0x00, 0x02,
    0xff, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x16, 0x3a, 0x00, 0x05, 0x02, 0x00, 0x00, 0x01, 0x00,
    0x8f, 0x00, 0x71, 0x8e, 0x00, 0x00, 0x00, 0x01, 0x04, 0x00, 0x00, 0x00,
    0xff, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01,
    0xff, 0x00, 0x00, 0x02,
};

static struct ip_addr v6(const char *s)
{
    uint8_t b[16];
    assert_int_equal(inet_pton(AF_INET6, s, b), 1);
    return ipv6_addr_tag(b);
}

static void set_addr(uint8_t out[16], const char *s)
{
    assert_int_equal(inet_pton(AF_INET6, s, out), 1);
}

static void test_real_mld_report(void **state)
{
    (void)state;
    uint8_t *c = tail_copy(real_mld_report, sizeof real_mld_report);
    struct ipv6_view ip;
    struct ipv6_chain chain;
    struct icmp6_view m;
    assert_int_equal(ipv6_parse(c, sizeof real_mld_report, &ip), WIRE_OK);
    assert_int_equal(ipv6_walk(&ip, &chain), WIRE_OK);
    assert_true(chain.router_alert);
    assert_int_equal(ip.hop_limit, MLD2_HOP_LIMIT);
    struct ip_addr s = ipv6_addr_tag(ip.src), d = ipv6_addr_tag(ip.dst);
    assert_int_equal(icmp6_parse(chain.upper, chain.upper_len, &s, &d, &m), WIRE_OK);
    assert_int_equal(m.type, ICMP6_MLD2_REPORT);
    assert_int_equal(m.rest, 1);
    tail_free(c);
    /* Joining ff02::1:ff00:2, rebuilt byte for byte. */
    struct mld2_record rec = {.type = MLD2_CHANGE_TO_EXCLUDE};
    set_addr(rec.group, "ff02::1:ff00:2");
    uint8_t buf[MLD2_REPORT_LEN(1)];
    struct ip_addr src = v6("fe80::77:ff:fe00:2"), dst = v6("ff02::16");
    assert_int_equal(mld2_emit_report(buf, &rec, 1, &src, &dst), 28);
    assert_memory_equal(buf, real_mld_report + IPV6_HLEN + 8, 28);
}

static void test_mld_report_records(void **state)
{
    (void)state;
    struct mld2_record recs[3] = {{.type = MLD2_MODE_IS_EXCLUDE},
                                  {.type = MLD2_CHANGE_TO_INCLUDE},
                                  {.type = MLD2_CHANGE_TO_EXCLUDE}};
    set_addr(recs[0].group, "ff02::1:ff00:1");
    set_addr(recs[1].group, "ff05::2");
    set_addr(recs[2].group, "ff02::fb");
    uint8_t buf[MLD2_REPORT_LEN(3)];
    struct ip_addr src = v6("fe80::1"), dst = v6("ff02::16");
    assert_int_equal(mld2_emit_report(buf, recs, 3, &src, &dst), 68);
    struct icmp6_view m;
    assert_int_equal(icmp6_parse(buf, sizeof buf, &src, &dst, &m), WIRE_OK);
    assert_int_equal(m.rest, 3);
    for (int i = 0; i < 3; i++) {
        const uint8_t *r = m.body + 20 * i;
        assert_int_equal(r[0], recs[i].type);
        assert_int_equal(r[1], 0);
        assert_int_equal(rd16(r + 2), 0);
        assert_memory_equal(r + 4, recs[i].group, 16);
    }
    /* No records: just the header. */
    assert_int_equal(mld2_emit_report(buf, recs, 0, &src, &dst), 8);
}

/* A query from fe80::1 with the given code, body bytes after the group. */
static size_t query(uint8_t *buf, uint16_t mrc, const char *group, const uint8_t *extra,
                    size_t extra_len)
{
    set_addr(buf + 8, group);
    memcpy(buf + 24, extra, extra_len);
    struct ip_addr src = v6("fe80::1"), dst = v6("ff02::1");
    icmp6_emit(buf, ICMP6_MLD_QUERY, 0, (uint32_t)mrc << 16, 16 + extra_len, &src, &dst);
    return 24 + extra_len;
}

static int parse_query(const uint8_t *buf, size_t len, struct mld_query *q)
{
    struct ip_addr src = v6("fe80::1"), dst = v6("ff02::1");
    struct icmp6_view m;
    assert_int_equal(icmp6_parse(buf, len, &src, &dst, &m), WIRE_OK);
    return mld_parse_query(&m, q);
}

static void test_mld_query(void **state)
{
    (void)state;
    uint8_t buf[128];
    struct mld_query q;
    /* MLDv2 general query: 10 s, S=0, QRV 2, QQIC 125, no sources. */
    static const uint8_t v2[4] = {0x02, 125, 0, 0};
    size_t n = query(buf, 10000, "::", v2, 4);
    assert_int_equal(parse_query(buf, n, &q), WIRE_OK);
    assert_int_equal(q.version, 2);
    assert_int_equal(q.max_resp_ms, 10000);
    assert_true(ipv6_addr_is_unspecified(q.group));
    assert_false(q.suppress);
    assert_int_equal(q.qrv, 2);
    assert_int_equal(q.qqi_s, 125);
    assert_int_equal(q.nsources, 0);
    /* Group-and-source specific, floating point codes (RFC 3810 5.1.3,
     * 5.1.9): 0x8000 = 0x1000 << 3, 0xffff = 0x1fff << 10. */
    uint8_t v2s[4 + 32] = {0x0a, 0xff, 0, 2};
    n = query(buf, 0xffff, "ff05::2", v2s, sizeof v2s);
    assert_int_equal(parse_query(buf, n, &q), WIRE_OK);
    assert_int_equal(q.max_resp_ms, 0x1fffu << 10);
    assert_true(q.suppress);
    assert_int_equal(q.qrv, 2);
    assert_int_equal(q.qqi_s, 0x1fu << 10);
    assert_int_equal(q.nsources, 2);
    n = query(buf, 0x8000, "ff05::2", v2s, sizeof v2s);
    assert_int_equal(parse_query(buf, n, &q), WIRE_OK);
    assert_int_equal(q.max_resp_ms, 32768);
    /* Sources past the end. */
    v2s[3] = 3;
    n = query(buf, 1000, "ff05::2", v2s, sizeof v2s);
    assert_int_equal(parse_query(buf, n, &q), WIRE_EBADLEN);
    /* MLDv1 query (24 bytes); 25..27 ignored. */
    n = query(buf, 0x9000, "ff02::fb", v2, 0);
    assert_int_equal(parse_query(buf, n, &q), WIRE_OK);
    assert_int_equal(q.version, 1);
    assert_int_equal(q.max_resp_ms, 0x9000);
    for (size_t extra = 1; extra < 4; extra++) {
        n = query(buf, 1000, "::", v2, extra);
        assert_int_equal(parse_query(buf, n, &q), WIRE_EBADLEN);
    }
    struct icmp6_view m = {.type = ICMP6_MLD_QUERY, .len = 23};
    assert_int_equal(mld_parse_query(&m, &q), WIRE_ETRUNC);
    m.type = ICMP6_MLD2_REPORT;
    assert_int_equal(mld_parse_query(&m, &q), WIRE_EBADHDR);
}

static void test_mld_query_acceptable(void **state)
{
    (void)state;
    struct ipv6_view ip = {.version = 6, .hop_limit = 1};
    set_addr(ip.src, "fe80::1");
    set_addr(ip.dst, "ff02::1");
    assert_true(mld_query_acceptable(&ip, true));
    assert_false(mld_query_acceptable(&ip, false));
    ip.hop_limit = 2;
    assert_false(mld_query_acceptable(&ip, true));
    ip.hop_limit = 1;
    set_addr(ip.src, "fd77::1");
    assert_false(mld_query_acceptable(&ip, true));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_real_mld_report),
        cmocka_unit_test(test_mld_report_records),
        cmocka_unit_test(test_mld_query),
        cmocka_unit_test(test_mld_query_acceptable),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
