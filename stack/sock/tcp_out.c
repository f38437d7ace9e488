/* tcp_out.c - TCP output: build one segment in a pbuf with headroom and
 * hand it to ipv4_output. For now only bare control segments (RSTs); the
 * connection's send path will add options and payload here. */
#include <errno.h>

#include "stack/core/stack_impl.h"
#include "stack/wire/ipv4.h"
#include "stack/wire/tcp.h"

int tcp_output_bare(struct stack *s, uint32_t src, uint32_t dst,
                    const struct tcp_emit_args *a, uint64_t now)
{
    struct ipv4_route rt;
    /* The answer leaves from the address the segment came to (src), so
     * the peer can match it to the connection it tried. */
    int err = ipv4_route(s, dst, src, &rt);
    if (err != 0)
        return err;
    if (rt.broadcast)
        return -EHOSTUNREACH; /* never a TCP segment to a broadcast */

    uint8_t buf[PBUF_HEADROOM + TCP_HLEN + 64];
    struct pbuf p;
    pbuf_init(&p, buf, sizeof buf, PBUF_HEADROOM);
    uint8_t *hdr = pbuf_prepend(&p, TCP_HLEN);
    if (hdr == NULL)
        return -ENOBUFS;
    struct ip_addr src_a = ip_addr_v4(rt.src), dst_a = ip_addr_v4(dst);
    tcp_emit(hdr, a, 0, 0, &src_a, &dst_a);

    err = ipv4_output(s, &rt, &p, dst, IPPROTO_TCP_, now);
    if (err == -EMSGSIZE || err == -EADDRNOTAVAIL || err == -ENOBUFS)
        return err;
    /* As for UDP: a frame the netif refused is counted at the link. */
    ctr_inc(s, CTR_TCP_TX_SEGS);
    return 0;
}
