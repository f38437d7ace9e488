/* fuzz_wire.c - libFuzzer target: every wire parser on arbitrary bytes.
 *
 * Each parser runs on the raw input, and the parsers are also chained
 * (Ethernet -> IPv4 -> ICMP/UDP/TCP) so the inner ones see the spans the
 * stack would hand them. A parser must never read outside its span; ASan
 * catches that because libFuzzer's buffer is exactly `size` bytes. */
#include <stddef.h>
#include <stdint.h>

#include "stack/wire/addr.h"
#include "stack/wire/arp.h"
#include "stack/wire/eth.h"
#include "stack/wire/icmp4.h"
#include "stack/wire/ipv4.h"
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
    if (proto == 17 && udp_parse(buf, len, src, dst, &udp) == 0)
        touch(udp.payload, udp.payload_len);
    if (proto == 6 && tcp_parse(buf, len, src, dst, &tcp) == 0) {
        touch(tcp.options, tcp.options_len);
        touch(tcp.payload, tcp.payload_len);
        if (tcp_options_parse(tcp.options, tcp.options_len, &opts) != 0)
            return;
    }
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
    if (ipv4_parse(data, size, &ip) == 0) {
        touch(ip.options, ip.options_len);
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

    /* The chain the stack follows: frame -> ARP or IPv4 -> transport. */
    if (eth_parse(data, size, &eth) != 0)
        return 0;
    if (eth.ethertype == 0x0806) {
        (void)arp_parse(eth.payload, eth.payload_len, &arp);
        return 0;
    }
    if (eth.ethertype != 0x0800 || ipv4_parse(eth.payload, eth.payload_len, &ip) != 0)
        return 0;
    src.u.v4 = ip.src;
    dst.u.v4 = ip.dst;
    parse_transport(ip.proto, ip.payload, ip.payload_len, &src, &dst);
    return 0;
}
