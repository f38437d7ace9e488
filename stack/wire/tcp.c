/* tcp.c - TCP header and options codec (RFC 9293 3.1, 3.2; RFC 7323;
 * RFC 2018). See tcp.h for the contract. */
#include "stack/wire/tcp.h"

#include <assert.h>
#include <string.h>

#include "stack/wire/checksum.h"
#include "stack/wire/ipv4.h"

/* Decode one well-delimited option whose kind is not EOL or NOP. body
 * points at the bytes after kind and length, body_len = length - 2. A known
 * kind with the wrong length is ignored, like an unknown kind. */
static void tcp_option_decode(uint8_t kind, const uint8_t *body, size_t body_len,
                              struct tcp_options *out)
{
    switch (kind) {
    case TCP_OPT_MSS:
        if (body_len != TCP_OPTLEN_MSS - 2)
            return;
        out->has_mss = true;
        out->mss = rd16(body);
        return;
    case TCP_OPT_WSCALE:
        if (body_len != TCP_OPTLEN_WSCALE - 2)
            return;
        out->has_wscale = true;
        /* RFC 7323 2.3: a shift above 14 MUST be used as 14. */
        if (body[0] > TCP_MAX_WSCALE) {
            out->wscale = TCP_MAX_WSCALE;
            out->wscale_clamped = true;
        } else {
            out->wscale = body[0];
            out->wscale_clamped = false;
        }
        return;
    case TCP_OPT_SACK_PERM:
        if (body_len != TCP_OPTLEN_SACK_PERM - 2)
            return;
        out->sack_permitted = true;
        return;
    case TCP_OPT_TS:
        if (body_len != TCP_OPTLEN_TS - 2)
            return;
        out->has_ts = true;
        out->ts_val = rd32(body);
        out->ts_ecr = rd32(body + 4);
        return;
    case TCP_OPT_SACK: {
        /* RFC 2018 3: length 2 + 8n; n is 1..4 within a 40-byte area. */
        size_t n = body_len / TCP_OPTLEN_SACK_BLOCK;
        if (body_len % TCP_OPTLEN_SACK_BLOCK != 0 || n == 0 || n > TCP_MAX_SACK_BLOCKS)
            return;
        out->n_sack = (uint8_t)n;
        for (size_t i = 0; i < n; i++) {
            out->sack[i].left = rd32(body + i * TCP_OPTLEN_SACK_BLOCK);
            out->sack[i].right = rd32(body + i * TCP_OPTLEN_SACK_BLOCK + 4);
        }
        return;
    }
    default:
        /* RFC 9293 3.1 (MUST-6): ignore options we do not implement. */
        return;
    }
}

int tcp_options_parse(const uint8_t *opts, size_t len, struct tcp_options *out)
{
    memset(out, 0, sizeof *out);
    size_t i = 0;
    while (i < len) {
        uint8_t kind = opts[i];
        if (kind == TCP_OPT_EOL)
            break; /* the rest is padding */
        if (kind == TCP_OPT_NOP) {
            i++;
            continue;
        }
        /* RFC 9293 3.1 (MUST-68): every other kind has a length byte. */
        if (len - i < 2)
            goto malformed;
        uint8_t olen = opts[i + 1];
        /* RFC 9293 3.1 (MUST-7): an illegal length (below 2, or past the
         * end) leaves the following option boundaries unknown. */
        if (olen < 2 || olen > len - i)
            goto malformed;
        tcp_option_decode(kind, opts + i + 2, (size_t)olen - 2, out);
        i += olen; /* olen >= 2: the loop always advances */
    }
    return WIRE_OK;

malformed:
    memset(out, 0, sizeof *out);
    return WIRE_EBADHDR;
}

static int parse(const uint8_t *buf, size_t len, const struct ip_addr *src,
                 const struct ip_addr *dst, bool verify_csum, struct tcp_view *out);

int tcp_parse(const uint8_t *buf, size_t len, const struct ip_addr *src,
              const struct ip_addr *dst, struct tcp_view *out)
{
    return parse(buf, len, src, dst, true, out);
}

int tcp_parse_nocsum(const uint8_t *buf, size_t len, struct tcp_view *out)
{
    return parse(buf, len, NULL, NULL, false, out);
}

static int parse(const uint8_t *buf, size_t len, const struct ip_addr *src,
                 const struct ip_addr *dst, bool verify_csum, struct tcp_view *out)
{
    if (len < TCP_HLEN)
        return WIRE_ETRUNC;
    size_t data_off = (size_t)(buf[12] >> 4) * 4;
    if (data_off < TCP_HLEN)
        return WIRE_EBADHDR;
    if (data_off > len)
        return WIRE_EBADLEN;

    /* RFC 9293 3.1: the checksum covers the pseudo-header, the header, the
     * options and the data. Summing a correct segment including its
     * checksum field gives all ones, so the folded complement is 0. */
    if (verify_csum) {
        uint32_t sum = inet_pseudo_sum(src, dst, IPPROTO_TCP_, (uint32_t)len);
        sum = inet_csum_add(sum, buf, len);
        if (inet_csum_fold(sum) != 0)
            return WIRE_ECSUM;
    }

    memset(out, 0, sizeof *out);
    out->sport = rd16(buf);
    out->dport = rd16(buf + 2);
    out->seq = rd32(buf + 4);
    out->ack = rd32(buf + 8);
    out->data_off = (uint8_t)data_off;
    out->flags = buf[13];
    out->window = rd16(buf + 14);
    out->csum = rd16(buf + 16);
    out->urg_ptr = rd16(buf + 18);
    out->options = buf + TCP_HLEN;
    out->options_len = data_off - TCP_HLEN;
    out->payload = buf + data_off;
    out->payload_len = len - data_off;

    int err = tcp_options_parse(out->options, out->options_len, &out->opt);
    if (err != WIRE_OK)
        return err;
    return WIRE_OK;
}

size_t tcp_options_len(const struct tcp_options *o)
{
    if (o->n_sack > TCP_MAX_SACK_BLOCKS)
        return 0;
    size_t n = 0;
    if (o->has_mss)
        n += TCP_OPTLEN_MSS;
    if (o->has_ts)
        n += 2 + TCP_OPTLEN_TS;            /* SACK-perm or NOP NOP, then TS */
    else if (o->sack_permitted)
        n += 2 + TCP_OPTLEN_SACK_PERM;     /* NOP NOP SACK-perm */
    if (o->has_wscale)
        n += 1 + TCP_OPTLEN_WSCALE;        /* NOP WS */
    if (o->n_sack > 0)
        n += 2 + 2 + (size_t)o->n_sack * TCP_OPTLEN_SACK_BLOCK; /* NOP NOP SACK */
    return n;
}

size_t tcp_options_emit(uint8_t *buf, size_t cap, const struct tcp_options *o)
{
    size_t need = tcp_options_len(o);
    if (need == 0 || need > cap)
        return 0;

    /* Every group below is a multiple of 4 bytes, so 32-bit fields stay
     * aligned and the area needs no EOL padding (RFC 9293 3.1). */
    uint8_t *p = buf;
    if (o->has_mss) {
        p[0] = TCP_OPT_MSS;
        p[1] = TCP_OPTLEN_MSS;
        wr16(p + 2, o->mss);
        p += TCP_OPTLEN_MSS;
    }
    if (o->has_ts) {
        if (o->sack_permitted) {
            p[0] = TCP_OPT_SACK_PERM;
            p[1] = TCP_OPTLEN_SACK_PERM;
        } else {
            p[0] = TCP_OPT_NOP;
            p[1] = TCP_OPT_NOP;
        }
        p[2] = TCP_OPT_TS;
        p[3] = TCP_OPTLEN_TS;
        wr32(p + 4, o->ts_val);
        wr32(p + 8, o->ts_ecr);
        p += 2 + TCP_OPTLEN_TS;
    } else if (o->sack_permitted) {
        p[0] = TCP_OPT_NOP;
        p[1] = TCP_OPT_NOP;
        p[2] = TCP_OPT_SACK_PERM;
        p[3] = TCP_OPTLEN_SACK_PERM;
        p += 2 + TCP_OPTLEN_SACK_PERM;
    }
    if (o->has_wscale) {
        p[0] = TCP_OPT_NOP;
        p[1] = TCP_OPT_WSCALE;
        p[2] = TCP_OPTLEN_WSCALE;
        /* RFC 7323 2.3: never send a shift above 14. */
        p[3] = o->wscale > TCP_MAX_WSCALE ? TCP_MAX_WSCALE : o->wscale;
        p += 1 + TCP_OPTLEN_WSCALE;
    }
    if (o->n_sack > 0) {
        p[0] = TCP_OPT_NOP;
        p[1] = TCP_OPT_NOP;
        p[2] = TCP_OPT_SACK;
        p[3] = (uint8_t)(2 + o->n_sack * TCP_OPTLEN_SACK_BLOCK);
        p += 4;
        for (size_t i = 0; i < o->n_sack; i++) {
            wr32(p, o->sack[i].left);
            wr32(p + 4, o->sack[i].right);
            p += TCP_OPTLEN_SACK_BLOCK;
        }
    }
    assert((size_t)(p - buf) == need);
    return need;
}

static void emit_header(uint8_t *buf, const struct tcp_emit_args *a, size_t hlen)
{
    wr16(buf, a->sport);
    wr16(buf + 2, a->dport);
    wr32(buf + 4, a->seq);
    wr32(buf + 8, a->ack);
    buf[12] = (uint8_t)((hlen / 4) << 4); /* reserved bits zero (RFC 9293 3.1) */
    buf[13] = a->flags;
    wr16(buf + 14, a->window);
    wr16(buf + 16, 0);
    wr16(buf + 18, a->urg_ptr);
}

void tcp_emit_partial(uint8_t *buf, const struct tcp_emit_args *a, size_t options_len,
                      size_t payload_len, const struct ip_addr *src, const struct ip_addr *dst)
{
    assert(options_len % 4 == 0 && options_len <= TCP_MAX_OPTLEN);
    size_t hlen = TCP_HLEN + options_len;
    emit_header(buf, a, hlen);
    /* The device sums the segment from here on and stores the complement:
     * leave the pseudo-header sum, uncomplemented (Linux tcp_v4_send_check). */
    uint32_t sum = inet_pseudo_sum(src, dst, IPPROTO_TCP_, (uint32_t)(hlen + payload_len));
    wr16(buf + 16, (uint16_t)~inet_csum_fold(sum));
}

void tcp_emit(uint8_t *buf, const struct tcp_emit_args *a, size_t options_len,
              size_t payload_len, const struct ip_addr *src,
              const struct ip_addr *dst)
{
    /* The data offset counts 32-bit words, so options come padded. */
    assert(options_len % 4 == 0 && options_len <= TCP_MAX_OPTLEN);
    size_t hlen = TCP_HLEN + options_len;
    size_t total = hlen + payload_len;
    emit_header(buf, a, hlen);

    uint32_t sum = inet_pseudo_sum(src, dst, IPPROTO_TCP_, (uint32_t)total);
    sum = inet_csum_add(sum, buf, total);
    /* Unlike UDP, TCP has no "no checksum" value: 0 is sent as 0. */
    wr16(buf + 16, inet_csum_fold(sum));
}
