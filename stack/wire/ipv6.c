/* ipv6.c - IPv6 header and extension header chain (RFC 8200). */
#include "stack/wire/ipv6.h"

int ipv6_parse(const uint8_t *buf, size_t len, struct ipv6_view *out)
{
    if (len < IPV6_HLEN)
        return WIRE_ETRUNC;
    if (buf[0] >> 4 != 6)
        return WIRE_EVERSION;
    size_t payload_len = rd16(buf + 4);
    uint8_t next_header = buf[6];
    /* RFC 2675 3: a zero Payload Length with a hop-by-hop header carries a
     * Jumbo Payload option; we do not take jumbograms. */
    if (payload_len == 0 && next_header == IPV6_NH_HOPOPTS)
        return WIRE_EUNSUPP;
    /* RFC 8200 3: the payload length counts what follows the fixed header.
     * A span longer than that is link padding, a shorter one a cut packet. */
    if (payload_len > len - IPV6_HLEN)
        return WIRE_EBADLEN;

    out->version = 6;
    out->tclass = (uint8_t)(rd16(buf) >> 4);
    out->flow = rd32(buf) & 0xfffff;
    out->next_header = next_header;
    out->hop_limit = buf[7];
    memcpy(out->src, buf + 8, 16);
    memcpy(out->dst, buf + 24, 16);
    out->payload = buf + IPV6_HLEN;
    out->payload_len = payload_len;
    return WIRE_OK;
}

void ipv6_emit(uint8_t *buf, const struct ipv6_emit_args *a)
{
    wr32(buf, (uint32_t)6 << 28 | (uint32_t)a->tclass << 20 | (a->flow & 0xfffff));
    wr16(buf + 4, a->payload_len);
    buf[6] = a->next_header;
    buf[7] = a->hop_limit;
    memcpy(buf + 8, a->src, 16);
    memcpy(buf + 24, a->dst, 16);
}

/* Record a refusal. Offsets given here count from the IPv6 header. */
static int refuse(struct ipv6_chain *c, int err, enum ipv6_walk_action action,
                  uint8_t code, size_t pointer)
{
    c->action = action;
    c->pp_code = code;
    c->pp_pointer = (uint32_t)pointer;
    return err;
}

/* RFC 8200 4.2: the TLV-encoded options of a hop-by-hop or destination
 * options header occupying pl[off, off + hlen). */
static int walk_options(const uint8_t *pl, size_t off, size_t hlen, bool hop_by_hop,
                        struct ipv6_chain *c)
{
    size_t i = off + 2;
    size_t end = off + hlen;
    while (i < end) {
        uint8_t type = pl[i];
        if (type == IPV6_OPT_PAD1) {
            i++;
            continue;
        }
        /* An option whose length byte or data runs past the header is a
         * malformed header; RFC 8200 names no ICMP for it (Linux drops). */
        if (end - i < 2)
            return refuse(c, WIRE_EBADHDR, IPV6_ACT_DROP, 0, 0);
        size_t olen = 2 + (size_t)pl[i + 1];
        if (olen > end - i)
            return refuse(c, WIRE_EBADHDR, IPV6_ACT_DROP, 0, 0);
        if (type == IPV6_OPT_PADN) {
            /* RFC 8200 4.2: contents are zero on send, not checked here. */
        } else if (hop_by_hop && type == IPV6_OPT_ROUTER_ALERT) {
            /* RFC 2711 2.1: Opt Data Len is 2. */
            if (olen != 4)
                return refuse(c, WIRE_EBADHDR, IPV6_ACT_DROP, 0, 0);
            c->router_alert = true;
            c->router_alert_value = rd16(pl + i + 2);
        } else {
            /* RFC 8200 4.2: the two high bits of an unrecognized type say
             * what to do; the pointer is the option type byte. */
            switch (type >> 6) {
            case 0:
                break; /* skip over it */
            case 1:
                return refuse(c, WIRE_EUNSUPP, IPV6_ACT_DROP, 0, 0);
            case 2:
                return refuse(c, WIRE_EUNSUPP, IPV6_ACT_PARAM_PROBLEM_ANY_DST,
                              ICMP6_PP_OPTION, IPV6_HLEN + i);
            default:
                return refuse(c, WIRE_EUNSUPP, IPV6_ACT_PARAM_PROBLEM, ICMP6_PP_OPTION,
                              IPV6_HLEN + i);
            }
        }
        i += olen;
    }
    return WIRE_OK;
}

/* The walk shared by ipv6_walk (strict) and ipv6_walk_quote (lenient).
 * pl/plen is the payload after the fixed header; internal offsets count
 * from pl, reported ones from the IPv6 header (+ IPV6_HLEN). */
static int walk(const uint8_t *pl, size_t plen, uint8_t nh, bool strict,
                struct ipv6_chain *c)
{
    memset(c, 0, sizeof *c);
    size_t off = 0;
    size_t nh_ptr = 6; /* Next Header field of the fixed header */
    int rc = WIRE_OK;

    for (;;) {
        /* Where we stand, in case the walk stops here. */
        c->proto = nh;
        c->offset = IPV6_HLEN + off;
        c->proto_ptr = nh_ptr;
        c->upper = pl + off;
        c->upper_len = plen - off;

        if (nh != IPV6_NH_HOPOPTS && nh != IPV6_NH_ROUTING && nh != IPV6_NH_DSTOPTS &&
            nh != IPV6_NH_FRAGMENT)
            return WIRE_OK; /* an upper layer, or No Next Header */

        /* RFC 8200 4.1: hop-by-hop only right after the fixed header; else
         * Parameter Problem code 1 at the Next Header field naming it. */
        if (strict && nh == IPV6_NH_HOPOPTS && c->count != 0)
            return refuse(c, WIRE_EBADHDR, IPV6_ACT_PARAM_PROBLEM, ICMP6_PP_NEXT_HEADER,
                          nh_ptr);
        if (c->count == IPV6_MAX_EXT)
            return refuse(c, WIRE_EUNSUPP, IPV6_ACT_DROP, 0, 0);
        /* Every extension header is at least 8 bytes (RFC 8200 4). */
        if (plen - off < 8)
            return refuse(c, WIRE_ETRUNC, IPV6_ACT_DROP, 0, 0);

        if (nh == IPV6_NH_FRAGMENT) {
            /* RFC 8200 4.5: next header, reserved, offset(13)|res(2)|M, id. */
            uint16_t off_flags = rd16(pl + off + 2);
            c->has_frag = true;
            c->frag_offset = off_flags >> 3;
            c->frag_more = (off_flags & 1) != 0;
            c->frag_id = rd32(pl + off + 4);
            c->frag_hdr_off = IPV6_HLEN + off;
            c->frag_nh_ptr = nh_ptr;
            nh_ptr = IPV6_HLEN + off;
            nh = pl[off];
            off += IPV6_FRAG_HLEN;
            c->count++;
            c->proto = nh;
            c->offset = IPV6_HLEN + off;
            c->proto_ptr = nh_ptr;
            c->upper = pl + off;
            c->upper_len = plen - off;
            if (!strict)
                return WIRE_OK;
            size_t data_len = plen - off;
            /* RFC 8200 4.5: a fragment other than the last must carry a
             * multiple of 8 bytes: code 0 at the Payload Length field. */
            if (c->frag_more && data_len % 8 != 0)
                return refuse(c, WIRE_EBADHDR, IPV6_ACT_PARAM_PROBLEM, ICMP6_PP_HEADER, 4);
            /* ...and must not end past 65535 bytes: code 0 at the
             * Fragment Offset field. */
            if ((size_t)c->frag_offset * 8 + data_len > 65535)
                return refuse(c, WIRE_EBADHDR, IPV6_ACT_PARAM_PROBLEM, ICMP6_PP_HEADER,
                              c->frag_hdr_off + 2);
            return WIRE_OK;
        }

        /* Hdr Ext Len counts 8-byte units after the first 8: at most
         * 2048 bytes, computed in size_t so it cannot wrap. */
        size_t hlen = ((size_t)pl[off + 1] + 1) * 8;
        if (hlen > plen - off)
            return refuse(c, WIRE_ETRUNC, IPV6_ACT_DROP, 0, 0);
        if (strict && nh == IPV6_NH_ROUTING && pl[off + 3] != 0) {
            /* RFC 8200 4.4 and RFC 5095 3: we implement no routing type
             * (type 0 is deprecated), so segments left > 0 means Parameter
             * Problem code 0 pointing at the Routing Type. With segments
             * left 0 the header is ignored. */
            return refuse(c, WIRE_EUNSUPP, IPV6_ACT_PARAM_PROBLEM, ICMP6_PP_HEADER,
                          IPV6_HLEN + off + 2);
        }
        if (strict && nh != IPV6_NH_ROUTING) {
            rc = walk_options(pl, off, hlen, nh == IPV6_NH_HOPOPTS, c);
            if (rc != WIRE_OK)
                return rc;
        }
        nh_ptr = IPV6_HLEN + off;
        nh = pl[off];
        off += hlen;
        c->count++;
    }
}

int ipv6_walk(const struct ipv6_view *ip, struct ipv6_chain *out)
{
    return walk(ip->payload, ip->payload_len, ip->next_header, true, out);
}

int ipv6_walk_quote(const uint8_t *payload, size_t len, uint8_t next_header,
                    struct ipv6_chain *out)
{
    return walk(payload, len, next_header, false, out);
}

bool ipv6_walk_wants_icmp(const struct ipv6_chain *c, const struct ipv6_view *ip)
{
    if (c->action == IPV6_ACT_PARAM_PROBLEM_ANY_DST)
        return true;
    if (c->action == IPV6_ACT_PARAM_PROBLEM)
        return !ipv6_addr_is_multicast(ip->dst);
    return false;
}

static bool all_zero(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] != 0)
            return false;
    return true;
}

bool ipv6_addr_is_unspecified(const uint8_t a[16])
{
    return all_zero(a, 16);
}

bool ipv6_addr_is_loopback(const uint8_t a[16])
{
    return all_zero(a, 15) && a[15] == 1;
}

bool ipv6_addr_is_v4_mapped(const uint8_t a[16])
{
    return all_zero(a, 10) && a[10] == 0xff && a[11] == 0xff;
}

static const uint8_t solicited_prefix[13] = {0xff, 0x02, 0, 0, 0, 0, 0, 0,
                                             0,    0,    0, 1, 0xff};

bool ipv6_addr_is_solicited_node(const uint8_t a[16])
{
    return memcmp(a, solicited_prefix, sizeof solicited_prefix) == 0;
}

void ipv6_solicited_node(const uint8_t a[16], uint8_t out[16])
{
    uint8_t low[3] = {a[13], a[14], a[15]}; /* out may alias a */
    memcpy(out, solicited_prefix, sizeof solicited_prefix);
    memcpy(out + 13, low, 3);
}

void ipv6_multicast_mac(const uint8_t a[16], struct eth_addr *out)
{
    out->b[0] = 0x33;
    out->b[1] = 0x33;
    memcpy(out->b + 2, a + 12, 4);
}
