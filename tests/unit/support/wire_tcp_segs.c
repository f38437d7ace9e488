/* wire_tcp_segs.c - see wire_tcp_segs.h. */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "stack/wire/tcp.h"
#include "tests/unit/support/bytes.h"
#include "tests/unit/support/wire_tcp_segs.h"

uint16_t twt_ref_tcp_csum(const uint8_t *seg, size_t len,
                             const struct ip_addr *src, const struct ip_addr *dst)
{
    uint8_t ph[40];
    size_t phlen;
    if (src->family == IP_FAMILY_V4) {
        uint32_t s = src->u.v4, d = dst->u.v4;
        uint8_t p4[12] = {
            (uint8_t)(s >> 24), (uint8_t)(s >> 16), (uint8_t)(s >> 8), (uint8_t)s,
            (uint8_t)(d >> 24), (uint8_t)(d >> 16), (uint8_t)(d >> 8), (uint8_t)d,
            0, 6, (uint8_t)(len >> 8), (uint8_t)len,
        };
        memcpy(ph, p4, sizeof p4);
        phlen = sizeof p4;
    } else {
        memcpy(ph, src->u.v6, 16);
        memcpy(ph + 16, dst->u.v6, 16);
        uint8_t tail[8] = {(uint8_t)(len >> 24), (uint8_t)(len >> 16),
                           (uint8_t)(len >> 8), (uint8_t)len, 0, 0, 0, 6};
        memcpy(ph + 32, tail, 8);
        phlen = 40;
    }
    uint64_t sum = 0;
    for (size_t i = 0; i < phlen; i += 2)
        sum += (uint32_t)(ph[i] << 8 | ph[i + 1]);
    for (size_t i = 0; i < len; i += 2) {
        if (i == 16)
            continue; /* the checksum field itself */
        uint8_t hi = seg[i];
        uint8_t lo = i + 1 < len ? seg[i + 1] : 0;
        sum += (uint32_t)(hi << 8 | lo);
    }
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)~sum;
}

void twt_fix_csum(uint8_t *seg, size_t len, const struct ip_addr *src,
                     const struct ip_addr *dst)
{
    uint16_t c = twt_ref_tcp_csum(seg, len, src, dst);
    seg[16] = (uint8_t)(c >> 8);
    seg[17] = (uint8_t)c;
}

int twt_opts_exact(const uint8_t *opts, size_t len, struct tcp_options *out)
{
    uint8_t *copy = tail_copy(opts, len);
    int err = tcp_options_parse(copy, len, out);
    tail_free(copy);
    return err;
}

bool twt_options_all_zero(const struct tcp_options *o)
{
    static const struct tcp_options zero;
    return memcmp(o, &zero, sizeof zero) == 0;
}

void twt_assert_options_equal(const struct tcp_options *a, const struct tcp_options *b)
{
    assert_int_equal(a->has_mss, b->has_mss);
    assert_int_equal(a->mss, b->mss);
    assert_int_equal(a->has_wscale, b->has_wscale);
    assert_int_equal(a->wscale, b->wscale);
    assert_int_equal(a->sack_permitted, b->sack_permitted);
    assert_int_equal(a->has_ts, b->has_ts);
    assert_int_equal(a->ts_val, b->ts_val);
    assert_int_equal(a->ts_ecr, b->ts_ecr);
    assert_int_equal(a->n_sack, b->n_sack);
    for (int i = 0; i < a->n_sack; i++) {
        assert_int_equal(a->sack[i].left, b->sack[i].left);
        assert_int_equal(a->sack[i].right, b->sack[i].right);
    }
}
