/* fuzz_wire.c - libFuzzer target: every wire parser on arbitrary bytes.
 *
 * Each parser runs on the raw input, and the parsers are also chained
 * (Ethernet -> IPv4 -> ICMP/UDP/TCP, Ethernet -> IPv6 -> extension headers
 * -> ICMPv6/ND/MLD/UDP/TCP) so the inner ones see the spans the stack would
 * hand them. ICMPv6 messages are also handed to the ND and MLD decoders
 * without their checksum verified, since random bytes rarely carry a good
 * one. A parser must never read outside its span; ASan
 * catches that because libFuzzer's buffer is exactly `size` bytes. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "stack/wire/addr.h"
#include "stack/wire/arp.h"
#include "stack/wire/dhcp4.h"
#include "stack/wire/eth.h"
#include "stack/wire/icmp4.h"
#include "stack/wire/icmp6.h"
#include "stack/wire/ipv4.h"
#include "stack/wire/ipv6.h"
#include "stack/wire/tcp.h"
#include "stack/wire/udp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Walk what a successful parse returned, so a bad pointer/length pair in a
 * view shows up as an ASan report here rather than later in the stack. */
static unsigned touch(const uint8_t *p, size_t len)
{
    unsigned sum = 0;
    for (size_t i = 0; i < len; i++)
        sum += p[i];
    return sum;
}

static void parse_transport(uint8_t proto, const uint8_t *buf, size_t len,
                            const struct ip_addr *src, const struct ip_addr *dst)
{
    struct icmp4_view icmp;
    struct icmp4_quote quote;
    struct udp_view udp;
    struct tcp_view tcp;
    struct tcp_options opts;

    if (proto == 1 && icmp4_parse(buf, len, &icmp) == 0) {
        touch(icmp.body, icmp.body_len);
        if (icmp4_parse_quote(icmp.body, icmp.body_len, &quote) == 0)
            touch(quote.l4, quote.l4_len);
    }
    if (proto == 17 && udp_parse(buf, len, src, dst, &udp) == 0) {
        touch(udp.payload, udp.payload_len);
        struct dhcp4_view dv;
        (void)dhcp4_parse(udp.payload, udp.payload_len, &dv);
    }
    if (proto == 6 && tcp_parse(buf, len, src, dst, &tcp) == 0) {
        touch(tcp.options, tcp.options_len);
        touch(tcp.payload, tcp.payload_len);
        if (tcp_options_parse(tcp.options, tcp.options_len, &opts) != 0)
            return;
    }
}

/* Every ND option decoder on every option of a span. */
static void walk_nd_options(const uint8_t *opts, size_t len)
{
    struct nd_opt_iter it;
    struct nd_opt opt;
    struct eth_addr mac;
    struct nd_prefix_info pi;
    uint32_t mtu;
    nd_opt_iter_init(&it, opts, len);
    while (nd_opt_next(&it, &opt) == 1) {
        touch(opt.data, opt.len);
        (void)nd_opt_lladdr(&opt, &mac);
        (void)nd_opt_prefix(&opt, &pi);
        (void)nd_opt_mtu(&opt, &mtu);
        uint8_t addrs[ND_DNS_MAX_PER_OPT][16];
        char names[ND_DNS_MAX_PER_OPT][ND_DNSSL_NAME_MAX];
        size_t n;
        uint32_t life;
        if (nd_opt_rdnss(&opt, &life, addrs, ND_DNS_MAX_PER_OPT, &n) == 0)
            touch(addrs[0], n * 16);
        if (nd_opt_dnssl(&opt, &life, names, ND_DNS_MAX_PER_OPT, &n) == 0)
            for (size_t i = 0; i < n; i++)
                touch((const uint8_t *)names[i], strlen(names[i]));
    }
    (void)nd_opts_valid(opts, len);
    (void)nd_opt_find(opts, len, ND_OPT_PREFIX, &opt);
}

/* The ICMPv6 view of buf without the checksum check (icmp6_parse's layout). */
static int icmp6_view_nocsum(const uint8_t *buf, size_t len, struct icmp6_view *m)
{
    if (len < ICMP6_HLEN)
        return -1;
    m->type = buf[0];
    m->code = buf[1];
    m->rest = rd32(buf + 4);
    m->body = buf + ICMP6_HLEN;
    m->body_len = len - ICMP6_HLEN;
    m->len = len;
    return 0;
}

/* Everything the ND/MLD/error layers would do with an ICMPv6 message. */
static void parse_icmp6_message(const struct ipv6_view *ip, const struct icmp6_view *m)
{
    struct icmp6_quote quote;
    struct nd_rs rs;
    struct nd_ra ra;
    struct nd_ns ns;
    struct nd_na na;
    struct nd_redirect rd;
    struct mld_query mq;

    touch(m->body, m->body_len);
    if (icmp6_parse_quote(m->body, m->body_len, &quote) == 0 && quote.proto_known)
        touch(quote.l4, quote.l4_len);
    (void)nd_check_rs(ip, m);
    (void)nd_check_ra(ip, m);
    (void)nd_check_ns(ip, m);
    (void)nd_check_na(ip, m);
    (void)nd_check_redirect(ip, m);
    if (nd_parse_rs(m, &rs) == 0)
        walk_nd_options(rs.options, rs.options_len);
    if (nd_parse_ra(m, &ra) == 0)
        walk_nd_options(ra.options, ra.options_len);
    if (nd_parse_ns(m, &ns) == 0)
        walk_nd_options(ns.options, ns.options_len);
    if (nd_parse_na(m, &na) == 0)
        walk_nd_options(na.options, na.options_len);
    if (nd_parse_redirect(m, &rd) == 0)
        walk_nd_options(rd.options, rd.options_len);
    if (mld_parse_query(m, &mq) == 0)
        touch(mq.sources, (size_t)mq.nsources * 16);
}

/* IPv6 packet -> extension headers -> upper layer, as the stack would. */
static void parse_ipv6(const uint8_t *buf, size_t len)
{
    struct ipv6_view ip;
    struct ipv6_chain chain;
    struct icmp6_view icmp;

    if (ipv6_parse(buf, len, &ip) != 0)
        return;
    touch(ip.payload, ip.payload_len);
    if (ipv6_walk(&ip, &chain) != 0) {
        (void)ipv6_walk_wants_icmp(&chain, &ip);
        return;
    }
    touch(chain.upper, chain.upper_len);
    (void)mld_query_acceptable(&ip, chain.router_alert);
    struct ip_addr src = ipv6_addr_tag(ip.src);
    struct ip_addr dst = ipv6_addr_tag(ip.dst);
    if (chain.has_frag && (chain.frag_offset != 0 || chain.frag_more))
        return; /* a fragment: reassembly's business */
    if (chain.proto == IPV6_NH_ICMPV6) {
        if (icmp6_parse(chain.upper, chain.upper_len, &src, &dst, &icmp) == 0)
            parse_icmp6_message(&ip, &icmp);
        if (icmp6_view_nocsum(chain.upper, chain.upper_len, &icmp) == 0)
            parse_icmp6_message(&ip, &icmp);
        return;
    }
    parse_transport(chain.proto, chain.upper, chain.upper_len, &src, &dst);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct eth_view eth;
    struct arp_view arp;
    struct ipv4_view ip;
    struct icmp4_view icmp;
    struct icmp4_quote quote;
    struct udp_view udp;
    struct tcp_view tcp;
    struct tcp_options opts;
    struct ip_addr src = { .family = IP_FAMILY_V4 };
    struct ip_addr dst = { .family = IP_FAMILY_V4 };

    /* Every parser on the raw bytes. */
    if (eth_parse(data, size, &eth) == 0)
        touch(eth.payload, eth.payload_len);
    (void)arp_parse(data, size, &arp);
    (void)ipv4_source_route(data, size); /* the option walk on raw bytes */
    if (ipv4_parse(data, size, &ip) == 0) {
        touch(ip.options, ip.options_len);
        (void)ipv4_source_route(ip.options, ip.options_len);
        touch(ip.payload, ip.payload_len);
    }
    if (icmp4_parse(data, size, &icmp) == 0)
        touch(icmp.body, icmp.body_len);
    if (icmp4_parse_quote(data, size, &quote) == 0)
        touch(quote.l4, quote.l4_len);
    src.u.v4 = 0x0a4d0002;
    dst.u.v4 = 0x0a4d0001;
    if (udp_parse(data, size, &src, &dst, &udp) == 0)
        touch(udp.payload, udp.payload_len);
    if (tcp_parse(data, size, &src, &dst, &tcp) == 0)
        touch(tcp.payload, tcp.payload_len);
    (void)tcp_options_parse(data, size, &opts);
    struct dhcp4_view dhcp;
    (void)dhcp4_parse(data, size, &dhcp);

    /* The IPv6 parsers on the raw bytes too. */
    struct ipv6_view ip6 = {.version = 6, .hop_limit = 255};
    struct icmp6_view icmp6;
    struct icmp6_quote quote6;
    struct ipv6_chain chain6;
    parse_ipv6(data, size);
    if (icmp6_parse_quote(data, size, &quote6) == 0 && quote6.proto_known)
        touch(quote6.l4, quote6.l4_len);
    uint8_t first_nh = size > 0 && data[0] % 2 ? IPV6_NH_DSTOPTS : IPV6_NH_HOPOPTS;
    (void)ipv6_walk_quote(data, size, first_nh, &chain6);
    if (icmp6_view_nocsum(data, size, &icmp6) == 0)
        parse_icmp6_message(&ip6, &icmp6);
    walk_nd_options(data, size);

    /* The chain the stack follows: frame -> ARP, IPv4 or IPv6 -> transport. */
    if (eth_parse(data, size, &eth) != 0)
        return 0;
    if (eth.ethertype == 0x0806) {
        (void)arp_parse(eth.payload, eth.payload_len, &arp);
        return 0;
    }
    if (eth.ethertype == 0x86dd) {
        parse_ipv6(eth.payload, eth.payload_len);
        return 0;
    }
    if (eth.ethertype != 0x0800 || ipv4_parse(eth.payload, eth.payload_len, &ip) != 0)
        return 0;
    src.u.v4 = ip.src;
    dst.u.v4 = ip.dst;
    parse_transport(ip.proto, ip.payload, ip.payload_len, &src, &dst);
    return 0;
}
