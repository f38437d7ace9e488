/* icmp6.c - ICMPv6 (RFC 4443), ND (RFC 4861) and MLDv2 (RFC 3810) codecs. */
#include "stack/wire/icmp6.h"

#include "stack/wire/checksum.h"

int icmp6_parse(const uint8_t *buf, size_t len, const struct ip_addr *src,
                const struct ip_addr *dst, struct icmp6_view *out)
{
    if (len < ICMP6_HLEN)
        return WIRE_ETRUNC;
    /* RFC 4443 2.3: the checksum covers the IPv6 pseudo-header (RFC 8200
     * 8.1, next header 58) and the whole message. */
    uint32_t sum = inet_pseudo_sum(src, dst, IPV6_NH_ICMPV6, (uint32_t)len);
    if (inet_csum_fold(inet_csum_add(sum, buf, len)) != 0)
        return WIRE_ECSUM;
    out->type = buf[0];
    out->code = buf[1];
    out->rest = rd32(buf + 4);
    out->body = buf + ICMP6_HLEN;
    out->body_len = len - ICMP6_HLEN;
    out->len = len;
    return WIRE_OK;
}

void icmp6_emit(uint8_t *buf, uint8_t type, uint8_t code, uint32_t rest, size_t body_len,
                const struct ip_addr *src, const struct ip_addr *dst)
{
    size_t len = ICMP6_HLEN + body_len;
    buf[0] = type;
    buf[1] = code;
    wr16(buf + 2, 0);
    wr32(buf + 4, rest);
    uint32_t sum = inet_pseudo_sum(src, dst, IPV6_NH_ICMPV6, (uint32_t)len);
    wr16(buf + 2, inet_csum_fold(inet_csum_add(sum, buf, len)));
}

/* The quote is what a router saw of a packet we sent: its hop limit and
 * even payload length may differ, and RFC 4443 2.4 (c) cuts it to fit
 * 1280 bytes, so only what locates our socket is required. */
int icmp6_parse_quote(const uint8_t *body, size_t len, struct icmp6_quote *out)
{
    if (len < IPV6_HLEN)
        return WIRE_ETRUNC;
    if (body[0] >> 4 != 6)
        return WIRE_EVERSION;
    memset(out, 0, sizeof *out);
    memcpy(out->src, body + 8, 16);
    memcpy(out->dst, body + 24, 16);
    out->next_header = body[6];

    size_t plen = len - IPV6_HLEN;
    /* A sane payload length shorter than the quote means the rest is
     * padding or RFC 4884 extensions, not the original packet. */
    size_t stated = rd16(body + 4);
    if (stated != 0 && stated < plen)
        plen = stated;

    struct ipv6_chain chain;
    if (ipv6_walk_quote(body + IPV6_HLEN, plen, out->next_header, &chain) != WIRE_OK)
        return WIRE_OK; /* header cut inside the chain: addresses only */
    out->proto_known = true;
    out->proto = chain.proto;
    out->l4 = chain.upper;
    out->l4_len = chain.upper_len;
    /* A non-first fragment carries no transport header. */
    bool first = !chain.has_frag || chain.frag_offset == 0;
    if (first && chain.proto != IPV6_NH_NONE && chain.upper_len >= 4) {
        out->has_ports = true;
        out->sport = rd16(chain.upper);
        out->dport = rd16(chain.upper + 2);
    }
    return WIRE_OK;
}

/* ---- Neighbor Discovery messages (RFC 4861 4.1-4.5) ---- */

static int nd_fixed(const struct icmp6_view *m, uint8_t type, size_t fixed_len,
                    const uint8_t **options, size_t *options_len)
{
    if (m->type != type)
        return WIRE_EBADHDR;
    if (m->len < fixed_len)
        return WIRE_ETRUNC;
    *options = m->body + (fixed_len - ICMP6_HLEN);
    *options_len = m->len - fixed_len;
    return WIRE_OK;
}

int nd_parse_rs(const struct icmp6_view *m, struct nd_rs *out)
{
    return nd_fixed(m, ICMP6_ND_RS, ND_RS_LEN, &out->options, &out->options_len);
}

int nd_parse_ra(const struct icmp6_view *m, struct nd_ra *out)
{
    int rc = nd_fixed(m, ICMP6_ND_RA, ND_RA_LEN, &out->options, &out->options_len);
    if (rc != WIRE_OK)
        return rc;
    /* RFC 4861 4.2: Cur Hop Limit, M|O|reserved, Router Lifetime. */
    out->cur_hop_limit = (uint8_t)(m->rest >> 24);
    uint8_t flags = (uint8_t)(m->rest >> 16);
    out->managed = (flags & ND_RA_FLAG_MANAGED) != 0;
    out->other = (flags & ND_RA_FLAG_OTHER) != 0;
    out->router_lifetime = (uint16_t)m->rest;
    out->reachable_time = rd32(m->body);
    out->retrans_timer = rd32(m->body + 4);
    return WIRE_OK;
}

int nd_parse_ns(const struct icmp6_view *m, struct nd_ns *out)
{
    int rc = nd_fixed(m, ICMP6_ND_NS, ND_NS_LEN, &out->options, &out->options_len);
    if (rc != WIRE_OK)
        return rc;
    memcpy(out->target, m->body, 16);
    return WIRE_OK;
}

int nd_parse_na(const struct icmp6_view *m, struct nd_na *out)
{
    int rc = nd_fixed(m, ICMP6_ND_NA, ND_NA_LEN, &out->options, &out->options_len);
    if (rc != WIRE_OK)
        return rc;
    out->router = (m->rest & ND_NA_FLAG_ROUTER) != 0;
    out->solicited = (m->rest & ND_NA_FLAG_SOLICITED) != 0;
    out->override = (m->rest & ND_NA_FLAG_OVERRIDE) != 0;
    memcpy(out->target, m->body, 16);
    return WIRE_OK;
}

int nd_parse_redirect(const struct icmp6_view *m, struct nd_redirect *out)
{
    int rc = nd_fixed(m, ICMP6_ND_REDIRECT, ND_REDIRECT_LEN, &out->options,
                      &out->options_len);
    if (rc != WIRE_OK)
        return rc;
    memcpy(out->target, m->body, 16);
    memcpy(out->dest, m->body + 16, 16);
    return WIRE_OK;
}

size_t nd_emit_rs(uint8_t *buf, size_t options_len, const struct ip_addr *src,
                  const struct ip_addr *dst)
{
    icmp6_emit(buf, ICMP6_ND_RS, 0, 0, ND_RS_LEN - ICMP6_HLEN + options_len, src, dst);
    return ND_RS_LEN + options_len;
}

size_t nd_emit_ra(uint8_t *buf, const struct nd_ra *ra, size_t options_len,
                  const struct ip_addr *src, const struct ip_addr *dst)
{
    uint8_t flags = (uint8_t)((ra->managed ? ND_RA_FLAG_MANAGED : 0) |
                              (ra->other ? ND_RA_FLAG_OTHER : 0));
    uint32_t rest = (uint32_t)ra->cur_hop_limit << 24 | (uint32_t)flags << 16 |
                    ra->router_lifetime;
    wr32(buf + 8, ra->reachable_time);
    wr32(buf + 12, ra->retrans_timer);
    icmp6_emit(buf, ICMP6_ND_RA, 0, rest, ND_RA_LEN - ICMP6_HLEN + options_len, src, dst);
    return ND_RA_LEN + options_len;
}

size_t nd_emit_ns(uint8_t *buf, const uint8_t target[16], size_t options_len,
                  const struct ip_addr *src, const struct ip_addr *dst)
{
    memcpy(buf + 8, target, 16);
    icmp6_emit(buf, ICMP6_ND_NS, 0, 0, ND_NS_LEN - ICMP6_HLEN + options_len, src, dst);
    return ND_NS_LEN + options_len;
}

size_t nd_emit_na(uint8_t *buf, uint32_t flags, const uint8_t target[16],
                  size_t options_len, const struct ip_addr *src, const struct ip_addr *dst)
{
    memcpy(buf + 8, target, 16);
    uint32_t rest = flags & (ND_NA_FLAG_ROUTER | ND_NA_FLAG_SOLICITED | ND_NA_FLAG_OVERRIDE);
    icmp6_emit(buf, ICMP6_ND_NA, 0, rest, ND_NA_LEN - ICMP6_HLEN + options_len, src, dst);
    return ND_NA_LEN + options_len;
}

size_t nd_emit_redirect(uint8_t *buf, const uint8_t target[16], const uint8_t dest[16],
                        size_t options_len, const struct ip_addr *src,
                        const struct ip_addr *dst)
{
    memcpy(buf + 8, target, 16);
    memcpy(buf + 24, dest, 16);
    icmp6_emit(buf, ICMP6_ND_REDIRECT, 0, 0, ND_REDIRECT_LEN - ICMP6_HLEN + options_len,
               src, dst);
    return ND_REDIRECT_LEN + options_len;
}

/* ---- ND options (RFC 4861 4.6) ---- */

void nd_opt_iter_init(struct nd_opt_iter *it, const uint8_t *options, size_t len)
{
    it->p = options;
    it->len = len;
    it->off = 0;
}

int nd_opt_next(struct nd_opt_iter *it, struct nd_opt *opt)
{
    if (it->off >= it->len)
        return 0;
    size_t left = it->len - it->off;
    if (left < 2)
        return WIRE_EBADLEN;
    const uint8_t *p = it->p + it->off;
    /* RFC 4861 4.6: Length counts 8-byte units including type and length;
     * 0 is invalid and "nodes MUST silently discard an ND packet that
     * contains an option with length zero". */
    size_t olen = (size_t)p[1] * 8;
    if (olen == 0 || olen > left)
        return WIRE_EBADLEN;
    opt->type = p[0];
    opt->data = p;
    opt->len = olen;
    it->off += olen;
    return 1;
}

bool nd_opts_valid(const uint8_t *options, size_t len)
{
    struct nd_opt_iter it;
    struct nd_opt opt;
    int rc;
    nd_opt_iter_init(&it, options, len);
    /* Each step consumes at least 8 bytes, so this ends. */
    while ((rc = nd_opt_next(&it, &opt)) == 1) {
    }
    return rc == 0;
}

bool nd_opt_find(const uint8_t *options, size_t len, uint8_t type, struct nd_opt *out)
{
    struct nd_opt_iter it;
    struct nd_opt opt;
    nd_opt_iter_init(&it, options, len);
    while (nd_opt_next(&it, &opt) == 1) {
        if (opt.type == type) {
            *out = opt;
            return true;
        }
    }
    return false;
}

int nd_opt_lladdr(const struct nd_opt *opt, struct eth_addr *out)
{
    if (opt->type != ND_OPT_SLLA && opt->type != ND_OPT_TLLA)
        return WIRE_EBADHDR;
    if (opt->len != ND_OPT_LLADDR_LEN)
        return WIRE_EBADLEN; /* RFC 2464 6: length 1 on Ethernet */
    memcpy(out->b, opt->data + 2, 6);
    return WIRE_OK;
}

int nd_opt_prefix(const struct nd_opt *opt, struct nd_prefix_info *out)
{
    if (opt->type != ND_OPT_PREFIX)
        return WIRE_EBADHDR;
    if (opt->len != ND_OPT_PREFIX_LEN)
        return WIRE_EBADLEN; /* RFC 4861 4.6.2: length 4 */
    const uint8_t *p = opt->data;
    if (p[2] > 128)
        return WIRE_EBADHDR;
    out->prefix_len = p[2];
    out->on_link = (p[3] & ND_PREFIX_FLAG_ONLINK) != 0;
    out->autonomous = (p[3] & ND_PREFIX_FLAG_AUTO) != 0;
    out->valid_lifetime = rd32(p + 4);
    out->preferred_lifetime = rd32(p + 8);
    memcpy(out->prefix, p + 16, 16);
    return WIRE_OK;
}

int nd_opt_mtu(const struct nd_opt *opt, uint32_t *mtu)
{
    if (opt->type != ND_OPT_MTU)
        return WIRE_EBADHDR;
    if (opt->len != ND_OPT_MTU_LEN)
        return WIRE_EBADLEN; /* RFC 4861 4.6.4: length 1 */
    *mtu = rd32(opt->data + 4);
    return WIRE_OK;
}

int nd_opt_rdnss(const struct nd_opt *opt, uint32_t *lifetime, uint8_t (*addrs)[16], size_t max,
                 size_t *n)
{
    if (opt->type != ND_OPT_RDNSS)
        return WIRE_EBADHDR;
    /* RFC 8106 5.1: 8 bytes, then 16 per address; at least one. */
    if (opt->len < 24 || (opt->len - 8) % 16 != 0)
        return WIRE_EBADLEN;
    *lifetime = rd32(opt->data + 4);
    *n = 0;
    for (size_t off = 8; off + 16 <= opt->len && *n < max; off += 16)
        memcpy(addrs[(*n)++], opt->data + off, 16);
    return WIRE_OK;
}

static bool dns_label_char(uint8_t c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '-' || c == '_';
}

int nd_opt_dnssl(const struct nd_opt *opt, uint32_t *lifetime, char (*names)[ND_DNSSL_NAME_MAX],
                 size_t max, size_t *n)
{
    if (opt->type != ND_OPT_DNSSL)
        return WIRE_EBADHDR;
    if (opt->len < 16)
        return WIRE_EBADLEN; /* RFC 8106 5.2: length 2 at least */
    *lifetime = rd32(opt->data + 4);
    *n = 0;
    const uint8_t *p = opt->data;
    size_t off = 8, len = opt->len;
    while (off < len) {
        if (p[off] == 0) {
            /* Padding to the end: all zero (RFC 8106 5.2). */
            for (; off < len; off++)
                if (p[off] != 0)
                    return WIRE_EBADHDR;
            break;
        }
        char name[ND_DNSSL_NAME_MAX];
        size_t nlen = 0;
        for (;;) {
            if (off >= len)
                return WIRE_EBADHDR; /* a name without its root label */
            uint8_t l = p[off++];
            if (l == 0)
                break;
            /* RFC 1035 3.1: 63 at most; 0xc0 is a pointer, not allowed here. */
            if (l > 63 || l > len - off)
                return WIRE_EBADHDR;
            if (nlen + (nlen > 0) + l > ND_DNSSL_NAME_MAX - 1)
                return WIRE_EBADHDR;
            if (nlen > 0)
                name[nlen++] = '.';
            for (uint8_t i = 0; i < l; i++) {
                if (!dns_label_char(p[off + i]))
                    return WIRE_EBADHDR;
                name[nlen++] = (char)p[off + i];
            }
            off += l;
        }
        name[nlen] = '\0';
        if (*n < max)
            memcpy(names[(*n)++], name, nlen + 1);
    }
    return WIRE_OK;
}

size_t nd_opt_emit_lladdr(uint8_t *buf, uint8_t type, const struct eth_addr *mac)
{
    buf[0] = type;
    buf[1] = 1;
    memcpy(buf + 2, mac->b, 6);
    return ND_OPT_LLADDR_LEN;
}

size_t nd_opt_emit_prefix(uint8_t *buf, const struct nd_prefix_info *pi)
{
    buf[0] = ND_OPT_PREFIX;
    buf[1] = 4;
    buf[2] = pi->prefix_len;
    buf[3] = (uint8_t)((pi->on_link ? ND_PREFIX_FLAG_ONLINK : 0) |
                       (pi->autonomous ? ND_PREFIX_FLAG_AUTO : 0));
    wr32(buf + 4, pi->valid_lifetime);
    wr32(buf + 8, pi->preferred_lifetime);
    wr32(buf + 12, 0); /* Reserved2 */
    memcpy(buf + 16, pi->prefix, 16);
    return ND_OPT_PREFIX_LEN;
}

size_t nd_opt_emit_mtu(uint8_t *buf, uint32_t mtu)
{
    buf[0] = ND_OPT_MTU;
    buf[1] = 1;
    wr16(buf + 2, 0);
    wr32(buf + 4, mtu);
    return ND_OPT_MTU_LEN;
}

/* ---- ND validity ---- */

/* The checks every ND message shares (RFC 4861 6.1.x, 7.1.x, 8.1): the
 * hop limit proves the packet was not forwarded, code 0, the fixed part
 * present, every option with a non-zero length. The checksum was checked
 * by icmp6_parse. */
static enum nd_check nd_common(const struct ipv6_view *ip, const struct icmp6_view *m,
                               uint8_t type, size_t fixed_len)
{
    if (m->type != type)
        return ND_BAD_TYPE;
    if (ip->hop_limit != ND_HOP_LIMIT)
        return ND_BAD_HOP_LIMIT;
    if (m->code != 0)
        return ND_BAD_CODE;
    if (m->len < fixed_len)
        return ND_TOO_SHORT;
    if (!nd_opts_valid(m->body + (fixed_len - ICMP6_HLEN), m->len - fixed_len))
        return ND_BAD_OPTION;
    return ND_VALID;
}

static bool has_option(const struct icmp6_view *m, size_t fixed_len, uint8_t type)
{
    struct nd_opt opt;
    return nd_opt_find(m->body + (fixed_len - ICMP6_HLEN), m->len - fixed_len, type, &opt);
}

/* RFC 4861 6.1.1 */
enum nd_check nd_check_rs(const struct ipv6_view *ip, const struct icmp6_view *m)
{
    enum nd_check rc = nd_common(ip, m, ICMP6_ND_RS, ND_RS_LEN);
    if (rc != ND_VALID)
        return rc;
    if (ipv6_addr_is_unspecified(ip->src) && has_option(m, ND_RS_LEN, ND_OPT_SLLA))
        return ND_SLLA_FROM_UNSPEC;
    return ND_VALID;
}

/* RFC 4861 6.1.2 */
enum nd_check nd_check_ra(const struct ipv6_view *ip, const struct icmp6_view *m)
{
    enum nd_check rc = nd_common(ip, m, ICMP6_ND_RA, ND_RA_LEN);
    if (rc != ND_VALID)
        return rc;
    if (!ipv6_addr_is_link_local(ip->src))
        return ND_BAD_SOURCE;
    return ND_VALID;
}

/* RFC 4861 7.1.1 */
enum nd_check nd_check_ns(const struct ipv6_view *ip, const struct icmp6_view *m)
{
    enum nd_check rc = nd_common(ip, m, ICMP6_ND_NS, ND_NS_LEN);
    if (rc != ND_VALID)
        return rc;
    if (ipv6_addr_is_multicast(m->body))
        return ND_MCAST_TARGET;
    if (ipv6_addr_is_unspecified(ip->src)) {
        /* Duplicate Address Detection (RFC 4862 5.4.3). */
        if (!ipv6_addr_is_solicited_node(ip->dst))
            return ND_BAD_DEST;
        if (has_option(m, ND_NS_LEN, ND_OPT_SLLA))
            return ND_SLLA_FROM_UNSPEC;
    }
    return ND_VALID;
}

/* RFC 4861 7.1.2 */
enum nd_check nd_check_na(const struct ipv6_view *ip, const struct icmp6_view *m)
{
    enum nd_check rc = nd_common(ip, m, ICMP6_ND_NA, ND_NA_LEN);
    if (rc != ND_VALID)
        return rc;
    if (ipv6_addr_is_multicast(m->body))
        return ND_MCAST_TARGET;
    if (ipv6_addr_is_multicast(ip->dst) && (m->rest & ND_NA_FLAG_SOLICITED) != 0)
        return ND_SOLICITED_MCAST;
    return ND_VALID;
}

/* RFC 4861 8.1 (that the source is our current first hop for the
 * destination is state, left to the caller). */
enum nd_check nd_check_redirect(const struct ipv6_view *ip, const struct icmp6_view *m)
{
    enum nd_check rc = nd_common(ip, m, ICMP6_ND_REDIRECT, ND_REDIRECT_LEN);
    if (rc != ND_VALID)
        return rc;
    if (!ipv6_addr_is_link_local(ip->src))
        return ND_BAD_SOURCE;
    const uint8_t *target = m->body;
    const uint8_t *dest = m->body + 16;
    if (ipv6_addr_is_multicast(dest))
        return ND_BAD_DEST;
    if (!ipv6_addr_is_link_local(target) && memcmp(target, dest, 16) != 0)
        return ND_BAD_DEST;
    return ND_VALID;
}

/* ---- MLD (RFC 3810) ---- */

/* RFC 3810 5.1.3: codes from 32768 are a floating point value. */
static uint32_t mld_decode_mrc(uint16_t code)
{
    if (code < 32768)
        return code;
    uint32_t mant = code & 0x0fff;
    unsigned exp = (code >> 12) & 0x7;
    return (mant | 0x1000) << (exp + 3);
}

/* RFC 3810 5.1.9: the same for the 8-bit QQIC. */
static uint32_t mld_decode_qqic(uint8_t code)
{
    if (code < 128)
        return code;
    uint32_t mant = code & 0x0f;
    unsigned exp = (code >> 4) & 0x7;
    return (mant | 0x10) << (exp + 3);
}

int mld_parse_query(const struct icmp6_view *m, struct mld_query *out)
{
    if (m->type != ICMP6_MLD_QUERY)
        return WIRE_EBADHDR;
    if (m->len < MLD_QUERY_V1_LEN)
        return WIRE_ETRUNC;
    /* RFC 3810 8.1: 24 bytes is MLDv1, 28 or more MLDv2, anything between
     * is ignored. */
    if (m->len > MLD_QUERY_V1_LEN && m->len < MLD_QUERY_V2_LEN)
        return WIRE_EBADLEN;
    memset(out, 0, sizeof *out);
    uint16_t code = (uint16_t)(m->rest >> 16);
    memcpy(out->group, m->body, 16);
    if (m->len == MLD_QUERY_V1_LEN) {
        out->version = 1;
        out->max_resp_ms = code; /* RFC 2710 3.4: plain milliseconds */
        return WIRE_OK;
    }
    out->version = 2;
    out->max_resp_ms = mld_decode_mrc(code);
    const uint8_t *p = m->body + 16;
    out->suppress = (p[0] & 0x08) != 0;
    out->qrv = p[0] & 0x07;
    out->qqi_s = mld_decode_qqic(p[1]);
    out->nsources = rd16(p + 2);
    if ((size_t)out->nsources * 16 > m->len - MLD_QUERY_V2_LEN)
        return WIRE_EBADLEN;
    out->sources = p + 4;
    return WIRE_OK;
}

bool mld_query_acceptable(const struct ipv6_view *ip, bool router_alert)
{
    return ip->hop_limit == MLD2_HOP_LIMIT && ipv6_addr_is_link_local(ip->src) &&
           router_alert;
}

size_t mld2_emit_report(uint8_t *buf, const struct mld2_record *recs, size_t n,
                        const struct ip_addr *src, const struct ip_addr *dst)
{
    /* RFC 3810 5.2: the header's second word is Reserved | Nr of Mcast
     * Address Records; each record is type, aux len 0, no sources, group. */
    uint8_t *p = buf + ICMP6_HLEN;
    for (size_t i = 0; i < n; i++, p += MLD2_RECORD_LEN) {
        p[0] = recs[i].type;
        p[1] = 0;
        wr16(p + 2, 0);
        memcpy(p + 4, recs[i].group, 16);
    }
    icmp6_emit(buf, ICMP6_MLD2_REPORT, 0, (uint32_t)(n & 0xffff), n * MLD2_RECORD_LEN, src,
               dst);
    return MLD2_REPORT_LEN(n);
}
