/* test_wire_icmp6_nd.c - Neighbor Discovery (RFC 4861) messages, options
 * and validity predicates. MLD is in test_wire_icmp6_mld.c. */
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

/* Captured with tcpdump on a veth pair between two network namespaces
 * (02:77:00:00:00:01 fd77::1, 02:77:00:00:00:02 fd77::2), Ethernet header
 * removed. */

/* NS fd77::1 -> ff02::1:ff00:2, target fd77::2, SLLA 02:77:00:00:00:01. */
static const uint8_t real_ns[72] = {
    0x60, 0x00, 0x00, 0x00, 0x00, 0x20, 0x3a, 0xff, 0xfd, 0x77, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01,
    0xff, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01,
    0xff, 0x00, 0x00, 0x02, 0x87, 0x00, 0x7c, 0x32, 0x00, 0x00, 0x00, 0x00,
    0xfd, 0x77, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x02, 0x01, 0x01, 0x02, 0x77, 0x00, 0x00, 0x00, 0x01,
};

/* NA fd77::2 -> fd77::1, S|O, target fd77::2, TLLA 02:77:00:00:00:02. */
static const uint8_t real_na[72] = {
    0x60, 0x00, 0x00, 0x00, 0x00, 0x20, 0x3a, 0xff, 0xfd, 0x77, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02,
    0xfd, 0x77, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x01, 0x88, 0x00, 0x1a, 0xbe, 0x60, 0x00, 0x00, 0x00,
    0xfd, 0x77, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x02, 0x02, 0x01, 0x02, 0x77, 0x00, 0x00, 0x00, 0x02,
};

/* DAD NS :: -> ff02::1:ff00:2 for fe80::77:ff:fe00:2 with a Nonce option
 * (type 14, RFC 7527). */
static const uint8_t real_dad_ns[72] = {
    0x60, 0x00, 0x00, 0x00, 0x00, 0x20, 0x3a, 0xff, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0xff, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01,
    0xff, 0x00, 0x00, 0x02, 0x87, 0x00, 0x17, 0xff, 0x00, 0x00, 0x00, 0x00,
    0xfe, 0x80, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x77, 0x00, 0xff,
    0xfe, 0x00, 0x00, 0x02, 0x0e, 0x01, 0x60, 0x19, 0x7b, 0xd0, 0x7a, 0xba,
};

/* RS fe80::77:ff:fe00:2 -> ff02::2 with SLLA. */
static const uint8_t real_rs[56] = {
    0x60, 0x00, 0x00, 0x00, 0x00, 0x10, 0x3a, 0xff, 0xfe, 0x80, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x77, 0x00, 0xff, 0xfe, 0x00, 0x00, 0x02,
    0xff, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x02, 0x85, 0x00, 0x7a, 0x3c, 0x00, 0x00, 0x00, 0x00,
    0x01, 0x01, 0x02, 0x77, 0x00, 0x00, 0x00, 0x02,
};

/* RA fe80::77:ff:fe00:2 -> ff02::1: hop limit 64, lifetime 0, SLLA, MTU
 * 1400, prefix fd77::/64 L|A valid 86400 preferred 14400. Sent from a raw
 * socket (Linux has no RA sender of its own) and accepted by the receiving
 * kernel: it formed fd77::77:ff:fe00:1 and took MTU 1400. */
static const uint8_t real_ra[104] = {
    0x60, 0x05, 0xa5, 0x8c, 0x00, 0x40, 0x3a, 0xff, 0xfe, 0x80, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x77, 0x00, 0xff, 0xfe, 0x00, 0x00, 0x02,
    0xff, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x01, 0x86, 0x00, 0x63, 0x96, 0x40, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x01, 0x02, 0x77,
    0x00, 0x00, 0x00, 0x02, 0x05, 0x01, 0x00, 0x00, 0x00, 0x00, 0x05, 0x78,
    0x03, 0x04, 0x40, 0xc0, 0x00, 0x01, 0x51, 0x80, 0x00, 0x00, 0x38, 0x40,
    0x00, 0x00, 0x00, 0x00, 0xfd, 0x77, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
};

static const struct eth_addr mac1 = {{0x02, 0x77, 0x00, 0x00, 0x00, 0x01}};
static const struct eth_addr mac2 = {{0x02, 0x77, 0x00, 0x00, 0x00, 0x02}};

struct pkt {
    uint8_t *copy;
    struct ipv6_view ip;
    struct ipv6_chain chain;
    struct icmp6_view m;
};

/* Parse a captured packet down to its ICMPv6 message. */
static void load(struct pkt *p, const uint8_t *bytes, size_t len)
{
    p->copy = tail_copy(bytes, len);
    assert_int_equal(ipv6_parse(p->copy, len, &p->ip), WIRE_OK);
    assert_int_equal(ipv6_walk(&p->ip, &p->chain), WIRE_OK);
    assert_int_equal(p->chain.proto, IPV6_NH_ICMPV6);
    struct ip_addr src = ipv6_addr_tag(p->ip.src), dst = ipv6_addr_tag(p->ip.dst);
    assert_int_equal(icmp6_parse(p->chain.upper, p->chain.upper_len, &src, &dst, &p->m),
                     WIRE_OK);
}

static void unload(struct pkt *p)
{
    tail_free(p->copy);
}

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

/* The first option of a type, asserting it is there. */
static struct nd_opt opt_of(const uint8_t *opts, size_t len, uint8_t type)
{
    struct nd_opt o;
    assert_true(nd_opt_find(opts, len, type, &o));
    return o;
}

static void test_real_ns(void **state)
{
    (void)state;
    struct pkt p;
    load(&p, real_ns, sizeof real_ns);
    assert_int_equal(nd_check_ns(&p.ip, &p.m), ND_VALID);
    struct nd_ns ns;
    assert_int_equal(nd_parse_ns(&p.m, &ns), WIRE_OK);
    struct ip_addr t = ipv6_addr_tag(ns.target), f2 = ip_addr_fd77(2);
    assert_true(ip_addr_eq(&t, &f2));
    assert_int_equal(ns.options_len, 8);
    struct eth_addr mac;
    struct nd_opt o = opt_of(ns.options, ns.options_len, ND_OPT_SLLA);
    assert_int_equal(nd_opt_lladdr(&o, &mac), WIRE_OK);
    assert_true(eth_addr_eq(&mac, &mac1));
    assert_false(nd_opt_find(ns.options, ns.options_len, ND_OPT_TLLA, &o));
    unload(&p);

    /* Rebuilt byte for byte. */
    uint8_t buf[32];
    assert_int_equal(nd_opt_emit_lladdr(buf + ND_NS_LEN, ND_OPT_SLLA, &mac1), 8);
    struct ip_addr src = ip_addr_fd77(1), dst = v6("ff02::1:ff00:2");
    assert_int_equal(nd_emit_ns(buf, f2.u.v6, 8, &src, &dst), 32);
    assert_memory_equal(buf, real_ns + IPV6_HLEN, 32);
}

static void test_real_na(void **state)
{
    (void)state;
    struct pkt p;
    load(&p, real_na, sizeof real_na);
    assert_int_equal(nd_check_na(&p.ip, &p.m), ND_VALID);
    struct nd_na na;
    assert_int_equal(nd_parse_na(&p.m, &na), WIRE_OK);
    assert_false(na.router);
    assert_true(na.solicited);
    assert_true(na.override);
    assert_int_equal(na.target[15], 2);
    struct eth_addr mac;
    struct nd_opt o = opt_of(na.options, na.options_len, ND_OPT_TLLA);
    assert_int_equal(nd_opt_lladdr(&o, &mac), WIRE_OK);
    assert_true(eth_addr_eq(&mac, &mac2));
    /* Multicast destination with S set is invalid (RFC 4861 7.1.2). */
    set_addr(p.ip.dst, "ff02::1");
    assert_int_equal(nd_check_na(&p.ip, &p.m), ND_SOLICITED_MCAST);
    unload(&p);

    uint8_t buf[32];
    nd_opt_emit_lladdr(buf + ND_NA_LEN, ND_OPT_TLLA, &mac2);
    struct ip_addr src = ip_addr_fd77(2), dst = ip_addr_fd77(1);
    assert_int_equal(nd_emit_na(buf, ND_NA_FLAG_SOLICITED | ND_NA_FLAG_OVERRIDE, src.u.v6, 8,
                                &src, &dst),
                     32);
    assert_memory_equal(buf, real_na + IPV6_HLEN, 32);
    /* An unsolicited NA to all-nodes, with R. */
    struct ip_addr all = v6("ff02::1");
    nd_emit_na(buf, ND_NA_FLAG_ROUTER | ND_NA_FLAG_OVERRIDE, src.u.v6, 8, &src, &all);
    struct icmp6_view m;
    assert_int_equal(icmp6_parse(buf, 32, &src, &all, &m), WIRE_OK);
    struct ipv6_view ip = {.version = 6, .hop_limit = 255};
    memcpy(ip.src, src.u.v6, 16);
    memcpy(ip.dst, all.u.v6, 16);
    assert_int_equal(nd_check_na(&ip, &m), ND_VALID);
    assert_int_equal(nd_parse_na(&m, &na), WIRE_OK);
    assert_true(na.router);
    assert_false(na.solicited);
}

static void test_real_dad_ns(void **state)
{
    (void)state;
    struct pkt p;
    load(&p, real_dad_ns, sizeof real_dad_ns);
    assert_true(ipv6_addr_is_unspecified(p.ip.src));
    assert_int_equal(nd_check_ns(&p.ip, &p.m), ND_VALID);
    /* The Nonce option (14) is unknown to us and just iterated over. */
    struct nd_opt_iter it;
    struct nd_opt o;
    struct nd_ns ns;
    assert_int_equal(nd_parse_ns(&p.m, &ns), WIRE_OK);
    nd_opt_iter_init(&it, ns.options, ns.options_len);
    assert_int_equal(nd_opt_next(&it, &o), 1);
    assert_int_equal(o.type, 14);
    assert_int_equal(o.len, 8);
    assert_int_equal(nd_opt_next(&it, &o), 0);
    /* From :: it must go to a solicited-node group... */
    set_addr(p.ip.dst, "ff02::1");
    assert_int_equal(nd_check_ns(&p.ip, &p.m), ND_BAD_DEST);
    set_addr(p.ip.dst, "ff02::1:ff00:2");
    /* ...and carry no source link-layer address. */
    p.copy[IPV6_HLEN + ND_NS_LEN] = ND_OPT_SLLA;
    assert_int_equal(nd_check_ns(&p.ip, &p.m), ND_SLLA_FROM_UNSPEC);
    unload(&p);
}

static void test_real_rs(void **state)
{
    (void)state;
    struct pkt p;
    load(&p, real_rs, sizeof real_rs);
    assert_int_equal(nd_check_rs(&p.ip, &p.m), ND_VALID);
    struct nd_rs rs;
    assert_int_equal(nd_parse_rs(&p.m, &rs), WIRE_OK);
    struct eth_addr mac;
    struct nd_opt o = opt_of(rs.options, rs.options_len, ND_OPT_SLLA);
    assert_int_equal(nd_opt_lladdr(&o, &mac), WIRE_OK);
    assert_true(eth_addr_eq(&mac, &mac2));
    /* RFC 4861 6.1.1: from :: no SLLA. */
    struct ipv6_view ip = p.ip;
    memset(ip.src, 0, 16);
    assert_int_equal(nd_check_rs(&ip, &p.m), ND_SLLA_FROM_UNSPEC);
    unload(&p);

    uint8_t buf[16];
    nd_opt_emit_lladdr(buf + ND_RS_LEN, ND_OPT_SLLA, &mac2);
    struct ip_addr src = v6("fe80::77:ff:fe00:2"), dst = v6("ff02::2");
    assert_int_equal(nd_emit_rs(buf, 8, &src, &dst), 16);
    assert_memory_equal(buf, real_rs + IPV6_HLEN, 16);
}

static void test_real_ra(void **state)
{
    (void)state;
    struct pkt p;
    load(&p, real_ra, sizeof real_ra);
    assert_int_equal(nd_check_ra(&p.ip, &p.m), ND_VALID);
    struct nd_ra ra;
    assert_int_equal(nd_parse_ra(&p.m, &ra), WIRE_OK);
    assert_int_equal(ra.cur_hop_limit, 64);
    assert_false(ra.managed);
    assert_false(ra.other);
    assert_int_equal(ra.router_lifetime, 0);
    assert_int_equal(ra.reachable_time, 0);
    assert_int_equal(ra.retrans_timer, 0);
    assert_int_equal(ra.options_len, 48);

    struct eth_addr mac;
    struct nd_opt o = opt_of(ra.options, ra.options_len, ND_OPT_SLLA);
    assert_int_equal(nd_opt_lladdr(&o, &mac), WIRE_OK);
    assert_true(eth_addr_eq(&mac, &mac2));
    uint32_t mtu = 0;
    o = opt_of(ra.options, ra.options_len, ND_OPT_MTU);
    assert_int_equal(nd_opt_mtu(&o, &mtu), WIRE_OK);
    assert_int_equal(mtu, 1400);
    struct nd_prefix_info pi;
    o = opt_of(ra.options, ra.options_len, ND_OPT_PREFIX);
    assert_int_equal(nd_opt_prefix(&o, &pi), WIRE_OK);
    assert_int_equal(pi.prefix_len, 64);
    assert_true(pi.on_link);
    assert_true(pi.autonomous);
    assert_int_equal(pi.valid_lifetime, 86400);
    assert_int_equal(pi.preferred_lifetime, 14400);
    struct ip_addr pfx = ipv6_addr_tag(pi.prefix), want = v6("fd77::");
    assert_true(ip_addr_eq(&pfx, &want));
    /* RFC 4861 6.1.2: only from a link-local source. */
    struct ipv6_view ip = p.ip;
    set_addr(ip.src, "fd77::2");
    assert_int_equal(nd_check_ra(&ip, &p.m), ND_BAD_SOURCE);
    unload(&p);

    uint8_t buf[64];
    size_t n = 0;
    n += nd_opt_emit_lladdr(buf + ND_RA_LEN + n, ND_OPT_SLLA, &mac2);
    n += nd_opt_emit_mtu(buf + ND_RA_LEN + n, 1400);
    n += nd_opt_emit_prefix(buf + ND_RA_LEN + n, &pi);
    struct nd_ra out = {.cur_hop_limit = 64};
    struct ip_addr src = v6("fe80::77:ff:fe00:2"), dst = v6("ff02::1");
    assert_int_equal(nd_emit_ra(buf, &out, n, &src, &dst), 64);
    assert_memory_equal(buf, real_ra + IPV6_HLEN, 64);
}

static void test_ra_round_trip(void **state)
{
    (void)state;
    uint8_t buf[ND_RA_LEN + ND_OPT_PREFIX_LEN];
    struct nd_prefix_info pi = {.prefix_len = 48, .on_link = false, .autonomous = true,
                                .valid_lifetime = 0xffffffffu,
                                .preferred_lifetime = 0xffffffffu};
    set_addr(pi.prefix, "2001:db8:1::");
    size_t n = nd_opt_emit_prefix(buf + ND_RA_LEN, &pi);
    struct nd_ra ra = {.cur_hop_limit = 0, .managed = true, .other = true,
                       .router_lifetime = 1800, .reachable_time = 30000,
                       .retrans_timer = 1000};
    struct ip_addr src = v6("fe80::1"), dst = v6("ff02::1");
    assert_int_equal(nd_emit_ra(buf, &ra, n, &src, &dst), sizeof buf);
    struct icmp6_view m;
    assert_int_equal(icmp6_parse(buf, sizeof buf, &src, &dst, &m), WIRE_OK);
    struct nd_ra back;
    assert_int_equal(nd_parse_ra(&m, &back), WIRE_OK);
    assert_true(back.managed && back.other);
    assert_int_equal(back.router_lifetime, 1800);
    assert_int_equal(back.reachable_time, 30000);
    assert_int_equal(back.retrans_timer, 1000);
    struct nd_prefix_info got;
    struct nd_opt o = opt_of(back.options, back.options_len, ND_OPT_PREFIX);
    assert_int_equal(nd_opt_prefix(&o, &got), WIRE_OK);
    assert_int_equal(got.prefix_len, 48);
    assert_false(got.on_link);
    assert_true(got.autonomous);
    assert_int_equal(got.valid_lifetime, 0xffffffffu);
    assert_memory_equal(got.prefix, pi.prefix, 16);
}

static void test_redirect(void **state)
{
    (void)state;
    uint8_t buf[ND_REDIRECT_LEN + 8];
    uint8_t target[16], dest[16];
    set_addr(target, "fe80::99");
    set_addr(dest, "fd77::5");
    nd_opt_emit_lladdr(buf + ND_REDIRECT_LEN, ND_OPT_TLLA, &mac2);
    struct ip_addr src = v6("fe80::1"), dst = ip_addr_fd77(1);
    assert_int_equal(nd_emit_redirect(buf, target, dest, 8, &src, &dst), sizeof buf);
    struct icmp6_view m;
    assert_int_equal(icmp6_parse(buf, sizeof buf, &src, &dst, &m), WIRE_OK);
    struct nd_redirect r;
    assert_int_equal(nd_parse_redirect(&m, &r), WIRE_OK);
    assert_memory_equal(r.target, target, 16);
    assert_memory_equal(r.dest, dest, 16);
    assert_int_equal(r.options_len, 8);

    struct ipv6_view ip = {.version = 6, .hop_limit = 255};
    memcpy(ip.src, src.u.v6, 16);
    memcpy(ip.dst, dst.u.v6, 16);
    assert_int_equal(nd_check_redirect(&ip, &m), ND_VALID);
    /* RFC 4861 8.1: target link-local or equal to the destination. */
    set_addr(buf + 8, "fd77::6");
    assert_int_equal(nd_check_redirect(&ip, &m), ND_BAD_DEST);
    set_addr(buf + 8, "fd77::5");
    assert_int_equal(nd_check_redirect(&ip, &m), ND_VALID);
    /* Destination not multicast. */
    set_addr(buf + 24, "ff02::5");
    assert_int_equal(nd_check_redirect(&ip, &m), ND_BAD_DEST);
    set_addr(buf + 24, "fd77::5");
    set_addr(ip.src, "fd77::9");
    assert_int_equal(nd_check_redirect(&ip, &m), ND_BAD_SOURCE);
}

/* Each captured ND message with its predicate. */
struct nd_case {
    const uint8_t *bytes;
    size_t len;
    enum nd_check (*check)(const struct ipv6_view *, const struct icmp6_view *);
    size_t fixed;
};

static const struct nd_case nd_cases[] = {
    {real_ns, sizeof real_ns, nd_check_ns, ND_NS_LEN},
    {real_na, sizeof real_na, nd_check_na, ND_NA_LEN},
    {real_dad_ns, sizeof real_dad_ns, nd_check_ns, ND_NS_LEN},
    {real_rs, sizeof real_rs, nd_check_rs, ND_RS_LEN},
    {real_ra, sizeof real_ra, nd_check_ra, ND_RA_LEN},
};
#define N_CASES (sizeof nd_cases / sizeof nd_cases[0])

static void test_check_hop_limit(void **state)
{
    (void)state;
    /* RFC 4861: hop limit 255 proves the sender is on-link. */
    for (size_t i = 0; i < N_CASES; i++) {
        struct pkt p;
        load(&p, nd_cases[i].bytes, nd_cases[i].len);
        for (unsigned hl = 0; hl < 255; hl++) {
            p.ip.hop_limit = (uint8_t)hl;
            assert_int_equal(nd_cases[i].check(&p.ip, &p.m), ND_BAD_HOP_LIMIT);
        }
        p.ip.hop_limit = 255;
        assert_int_equal(nd_cases[i].check(&p.ip, &p.m), ND_VALID);
        unload(&p);
    }
}

static void test_check_code_length_type(void **state)
{
    (void)state;
    for (size_t i = 0; i < N_CASES; i++) {
        struct pkt p;
        load(&p, nd_cases[i].bytes, nd_cases[i].len);
        struct icmp6_view m = p.m;
        m.code = 1;
        assert_int_equal(nd_cases[i].check(&p.ip, &m), ND_BAD_CODE);
        /* Every length below the fixed part. */
        for (size_t len = ICMP6_HLEN; len < nd_cases[i].fixed; len++) {
            m = p.m;
            m.len = len;
            m.body_len = len - ICMP6_HLEN;
            assert_int_equal(nd_cases[i].check(&p.ip, &m), ND_TOO_SHORT);
        }
        m = p.m;
        m.type = ICMP6_ECHO_REQUEST;
        assert_int_equal(nd_cases[i].check(&p.ip, &m), ND_BAD_TYPE);
        unload(&p);
    }
    struct icmp6_view m = {.type = ICMP6_ND_NS, .len = 23};
    struct nd_ns ns;
    struct nd_ra ra;
    assert_int_equal(nd_parse_ns(&m, &ns), WIRE_ETRUNC);
    assert_int_equal(nd_parse_ra(&m, &ra), WIRE_EBADHDR);
}

static void test_parse_every_truncation(void **state)
{
    (void)state;
    /* The typed parsers on every cut of each captured message (a copy at
     * the end of its block, so reading past the cut is an ASan error). */
    for (size_t i = 0; i < N_CASES; i++) {
        const uint8_t *msg = nd_cases[i].bytes + IPV6_HLEN;
        size_t full = nd_cases[i].len - IPV6_HLEN;
        for (size_t len = ICMP6_HLEN; len <= full; len++) {
            uint8_t *c = tail_copy(msg, len);
            struct icmp6_view m = {.type = c[0], .code = c[1], .rest = rd32(c + 4),
                                   .body = c + 8, .body_len = len - 8, .len = len};
            struct nd_rs rs;
            struct nd_ra ra;
            struct nd_ns ns;
            struct nd_na na;
            int rc;
            switch (m.type) {
            case ICMP6_ND_RS:
                rc = nd_parse_rs(&m, &rs);
                break;
            case ICMP6_ND_RA:
                rc = nd_parse_ra(&m, &ra);
                break;
            case ICMP6_ND_NS:
                rc = nd_parse_ns(&m, &ns);
                break;
            default:
                rc = nd_parse_na(&m, &na);
                break;
            }
            assert_int_equal(rc, len < nd_cases[i].fixed ? WIRE_ETRUNC : WIRE_OK);
            struct nd_redirect rd;
            m.type = ICMP6_ND_REDIRECT;
            assert_int_equal(nd_parse_redirect(&m, &rd),
                             len < ND_REDIRECT_LEN ? WIRE_ETRUNC : WIRE_OK);
            tail_free(c);
        }
    }
}

static void test_check_option_length_zero(void **state)
{
    (void)state;
    /* RFC 4861 4.6: an option of length 0 invalidates the message; so
     * does one running past the end. */
    for (size_t i = 0; i < N_CASES; i++) {
        struct pkt p;
        load(&p, nd_cases[i].bytes, nd_cases[i].len);
        uint8_t *opt_len = p.copy + IPV6_HLEN + nd_cases[i].fixed + 1;
        uint8_t saved = *opt_len;
        *opt_len = 0;
        assert_int_equal(nd_cases[i].check(&p.ip, &p.m), ND_BAD_OPTION);
        /* One 8-byte unit more than all the options together. */
        *opt_len = (uint8_t)((nd_cases[i].len - IPV6_HLEN - nd_cases[i].fixed) / 8 + 1);
        assert_int_equal(nd_cases[i].check(&p.ip, &p.m), ND_BAD_OPTION);
        *opt_len = 0xff;
        assert_int_equal(nd_cases[i].check(&p.ip, &p.m), ND_BAD_OPTION);
        *opt_len = saved;
        assert_int_equal(nd_cases[i].check(&p.ip, &p.m), ND_VALID);
        unload(&p);
    }
}

static void test_check_multicast_target(void **state)
{
    (void)state;
    struct pkt p;
    load(&p, real_ns, sizeof real_ns);
    p.copy[IPV6_HLEN + 8] = 0xff;
    assert_int_equal(nd_check_ns(&p.ip, &p.m), ND_MCAST_TARGET);
    unload(&p);
    load(&p, real_na, sizeof real_na);
    p.copy[IPV6_HLEN + 8] = 0xff;
    assert_int_equal(nd_check_na(&p.ip, &p.m), ND_MCAST_TARGET);
    unload(&p);
}

static void test_opt_iter_every_truncation(void **state)
{
    (void)state;
    /* The RA's options: SLLA (8), MTU (8), prefix (32). */
    const uint8_t *opts = real_ra + IPV6_HLEN + ND_RA_LEN;
    for (size_t len = 0; len <= 48; len++) {
        uint8_t *c = tail_copy(opts, len);
        bool boundary = len == 0 || len == 8 || len == 16 || len == 48;
        assert_int_equal(nd_opts_valid(c, len), boundary);
        struct nd_opt_iter it;
        struct nd_opt o;
        nd_opt_iter_init(&it, c, len);
        int n = 0, rc;
        while ((rc = nd_opt_next(&it, &o)) == 1) {
            assert_true(o.data + o.len <= c + len);
            n++;
        }
        assert_int_equal(rc, boundary ? 0 : WIRE_EBADLEN);
        assert_true(n <= 3);
        tail_free(c);
    }
    /* Length 0 stops the iterator where it is, without looping. */
    static const uint8_t zero[16] = {1, 1, 2, 0x77, 0, 0, 0, 2, 5, 0, 0, 0, 0, 0, 5, 0x78};
    struct nd_opt_iter it;
    struct nd_opt o;
    nd_opt_iter_init(&it, zero, sizeof zero);
    assert_int_equal(nd_opt_next(&it, &o), 1);
    assert_int_equal(nd_opt_next(&it, &o), WIRE_EBADLEN);
    assert_int_equal(nd_opt_next(&it, &o), WIRE_EBADLEN);
    assert_false(nd_opt_find(zero, sizeof zero, ND_OPT_MTU, &o));
}

static void test_opt_typed_wrong_length(void **state)
{
    (void)state;
    uint8_t b[32] = {0};
    struct nd_opt o = {.type = ND_OPT_SLLA, .data = b, .len = 16};
    struct eth_addr mac;
    uint32_t mtu;
    struct nd_prefix_info pi;
    assert_int_equal(nd_opt_lladdr(&o, &mac), WIRE_EBADLEN);
    o.type = ND_OPT_MTU;
    assert_int_equal(nd_opt_mtu(&o, &mtu), WIRE_EBADLEN);
    assert_int_equal(nd_opt_lladdr(&o, &mac), WIRE_EBADHDR);
    o.type = ND_OPT_PREFIX;
    assert_int_equal(nd_opt_prefix(&o, &pi), WIRE_EBADLEN);
    assert_int_equal(nd_opt_mtu(&o, &mtu), WIRE_EBADHDR);
    o.len = 32;
    b[2] = 129;
    assert_int_equal(nd_opt_prefix(&o, &pi), WIRE_EBADHDR);
    b[2] = 128;
    assert_int_equal(nd_opt_prefix(&o, &pi), WIRE_OK);
    o.type = ND_OPT_SLLA;
    assert_int_equal(nd_opt_prefix(&o, &pi), WIRE_EBADHDR);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_real_ns),
        cmocka_unit_test(test_real_na),
        cmocka_unit_test(test_real_dad_ns),
        cmocka_unit_test(test_real_rs),
        cmocka_unit_test(test_real_ra),
        cmocka_unit_test(test_ra_round_trip),
        cmocka_unit_test(test_redirect),
        cmocka_unit_test(test_check_hop_limit),
        cmocka_unit_test(test_check_code_length_type),
        cmocka_unit_test(test_parse_every_truncation),
        cmocka_unit_test(test_check_option_length_zero),
        cmocka_unit_test(test_check_multicast_target),
        cmocka_unit_test(test_opt_iter_every_truncation),
        cmocka_unit_test(test_opt_typed_wrong_length),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
