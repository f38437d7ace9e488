/* test_ipc_malformed.c - every way a tcpipd <-> libtcpip message (ipc/ipc.h,
 * ipc/PROTOCOL.md) can be malformed: truncation, header errors, body length
 * per type, flags, enum and field values, and random bytes. Malformed
 * inputs go through tail_copy so that a decoder reading one byte too far is
 * an ASan error. Good input is in test_ipc.c. */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ipc/ipc.h"
#include "tests/unit/support/bytes.h"
#include "tests/unit/support/ipc_msgs.h"

static int hdr_of(const uint8_t *src, size_t len, struct ipc_hdr *out)
{
    uint8_t *p = tail_copy(src, len);
    int rc = ipc_decode_hdr(p, len, out);
    tail_free(p);
    return rc;
}

static int request_rc(const uint8_t *src, size_t len)
{
    struct ipc_request r;
    return tipc_request_of(src, len, &r);
}

/* A request of `type` with a raw body (header written by hand). */
static size_t raw_msg(uint8_t *buf, uint8_t type, uint16_t flags, const uint8_t *body,
                      uint32_t body_len)
{
    buf[0] = 'T';
    buf[1] = 'C';
    buf[2] = 'P';
    buf[3] = 'I';
    buf[4] = IPC_VERSION;
    buf[5] = type;
    buf[6] = (uint8_t)(flags >> 8);
    buf[7] = (uint8_t)flags;
    buf[8] = (uint8_t)(body_len >> 24);
    buf[9] = (uint8_t)(body_len >> 16);
    buf[10] = (uint8_t)(body_len >> 8);
    buf[11] = (uint8_t)body_len;
    if (body_len > 0)
        memcpy(buf + IPC_HDR_LEN, body, body_len);
    return IPC_HDR_LEN + body_len;
}

/* ---- truncation ---- */

static void test_every_truncation(void **state)
{
    (void)state;
    struct sample s[N_SAMPLES];

    tipc_make_samples(s);
    for (int i = 0; i < N_SAMPLES; i++) {
        assert_int_equal(tipc_sample_rc(&s[i], s[i].buf, s[i].len), (int)s[i].len);
        for (size_t len = 0; len < s[i].len; len++) {
            int rc = tipc_sample_rc(&s[i], s[i].buf, len);
            if (rc != IPC_ETRUNC)
                fail_msg("%s cut to %zu bytes: %d, want IPC_ETRUNC", s[i].name, len, rc);
        }
    }
}

static void test_hdr_truncation(void **state)
{
    (void)state;
    struct ipc_hdr h;
    uint8_t buf[IPC_MAX_MSG];
    size_t n = ipc_encode_empty(buf, sizeof buf, IPC_OP_GETNAME);

    for (size_t len = 0; len < IPC_HDR_LEN; len++)
        assert_int_equal(hdr_of(buf, len, &h), IPC_ETRUNC);
    assert_int_equal(hdr_of(buf, n, &h), IPC_OK);
    assert_int_equal(ipc_decode_hdr(NULL, 0, &h), IPC_ETRUNC);
}

/* ---- header errors ---- */

static void test_bad_magic(void **state)
{
    (void)state;
    struct sample s[N_SAMPLES];
    struct ipc_hdr h;

    tipc_make_samples(s);
    for (int i = 0; i < N_SAMPLES; i++) {
        for (int byte = 0; byte < 4; byte++) {
            uint8_t m[IPC_MAX_MSG];
            memcpy(m, s[i].buf, s[i].len);
            m[byte] ^= 0x20; /* "tCPI", "TcPI", ... */
            assert_int_equal(tipc_sample_rc(&s[i], m, s[i].len), IPC_EMAGIC);
            assert_int_equal(hdr_of(m, s[i].len, &h), IPC_EMAGIC);
        }
    }
}

static void test_bad_version(void **state)
{
    (void)state;
    static const uint8_t versions[] = {0, 1, 3, 0x80, 0xff};
    struct sample s[N_SAMPLES];
    struct ipc_hdr h;

    tipc_make_samples(s);
    for (int i = 0; i < N_SAMPLES; i++) {
        for (size_t v = 0; v < sizeof versions; v++) {
            uint8_t m[IPC_MAX_MSG];
            memcpy(m, s[i].buf, s[i].len);
            m[4] = versions[v];
            assert_int_equal(tipc_sample_rc(&s[i], m, s[i].len), IPC_EVERSION);
            /* Only the header is needed to tell the version apart, and the
             * peer's version is reported (PROTOCOL.md, "Versions"). */
            memset(&h, 0, sizeof h);
            assert_int_equal(hdr_of(m, IPC_HDR_LEN, &h), IPC_EVERSION);
            assert_int_equal(h.version, versions[v]);
            assert_int_equal(h.type, s[i].buf[5]);
        }
    }
}

static void test_bad_type(void **state)
{
    (void)state;
    static const uint8_t types[] = {0, 12, 13, 63, 67, 0x80, 0xff};
    uint8_t buf[IPC_MAX_MSG];
    struct ipc_hdr h;
    struct ipc_reply rep;
    struct ipc_accept acc;

    for (size_t i = 0; i < sizeof types; i++) {
        size_t n = raw_msg(buf, types[i], 0, NULL, 0);
        assert_int_equal(hdr_of(buf, n, &h), IPC_ETYPE);
        assert_int_equal(request_rc(buf, n), IPC_ETYPE);
        assert_int_equal(tipc_reply_of(buf, n, &rep), IPC_ETYPE);
        assert_int_equal(tipc_accept_of(buf, n, &acc), IPC_ETYPE);
    }
}

/* A message valid in one direction is IPC_ETYPE in another. */
static void test_wrong_direction(void **state)
{
    (void)state;
    struct sample s[N_SAMPLES];
    struct ipc_request q;
    struct ipc_reply r;
    struct ipc_accept a;

    tipc_make_samples(s);
    for (int i = 0; i < N_SAMPLES; i++) {
        if (s[i].which != REQ)
            assert_int_equal(tipc_request_of(s[i].buf, s[i].len, &q), IPC_ETYPE);
        if (s[i].which != REP)
            assert_int_equal(tipc_reply_of(s[i].buf, s[i].len, &r), IPC_ETYPE);
        if (s[i].which != ACC)
            assert_int_equal(tipc_accept_of(s[i].buf, s[i].len, &a), IPC_ETYPE);
        if (s[i].which != INF) {
            struct ipc_info in;
            assert_int_equal(tipc_info_of(s[i].buf, s[i].len, &in), IPC_ETYPE);
        }
    }
}

static void test_too_big(void **state)
{
    (void)state;
    static const uint32_t lens[] = {IPC_MAX_BODY + 1, 0x10000, 0x7fffffff, 0xffffffff};
    uint8_t buf[IPC_MAX_MSG];
    struct ipc_hdr h;
    struct ipc_reply rep;

    for (size_t i = 0; i < sizeof lens / sizeof lens[0]; i++) {
        raw_msg(buf, IPC_OP_OPEN, 0, NULL, 0);
        buf[8] = (uint8_t)(lens[i] >> 24);
        buf[9] = (uint8_t)(lens[i] >> 16);
        buf[10] = (uint8_t)(lens[i] >> 8);
        buf[11] = (uint8_t)lens[i];
        assert_int_equal(hdr_of(buf, IPC_HDR_LEN, &h), IPC_ETOOBIG);
        assert_int_equal(h.len, lens[i]);
        assert_int_equal(request_rc(buf, IPC_HDR_LEN), IPC_ETOOBIG);
        buf[5] = IPC_MSG_REPLY;
        assert_int_equal(tipc_reply_of(buf, IPC_HDR_LEN, &rep), IPC_ETOOBIG);
    }
    /* IPC_MAX_BODY itself is a legal header (if a wrong body for OPEN). */
    raw_msg(buf, IPC_OP_OPEN, 0, NULL, 0);
    buf[10] = IPC_MAX_BODY >> 8;
    buf[11] = IPC_MAX_BODY & 0xff;
    assert_int_equal(hdr_of(buf, IPC_HDR_LEN, &h), IPC_OK);
    assert_int_equal(h.len, IPC_MAX_BODY);
}

/* ---- body length per type ---- */

static void test_wrong_body_length(void **state)
{
    (void)state;
    static const struct {
        uint8_t type;
        uint32_t len;
    } types[] = {
        {IPC_OP_OPEN, 8}, {IPC_OP_LOOKUP, 0}, {IPC_OP_BIND, 20}, {IPC_OP_LISTEN, 4},
        {IPC_OP_CONNECT, 20}, {IPC_OP_SHUTDOWN, 4}, {IPC_OP_SETOPT, 8}, {IPC_OP_GETOPT, 8},
        {IPC_OP_GETNAME, 0}, {IPC_OP_GETERR, 0}, {IPC_OP_GETINFO, 0},
        {IPC_MSG_REPLY, IPC_REPLY_LEN}, {IPC_MSG_ACCEPT, IPC_ACCEPT_LEN},
        {IPC_MSG_INFO, IPC_INFO_LEN},
    };
    uint8_t body[IPC_MAX_BODY];
    uint8_t buf[IPC_MAX_MSG];
    struct ipc_reply rep;
    struct ipc_accept acc;
    struct ipc_info info;

    memset(body, 0, sizeof body);
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
        uint32_t bad[] = {0, 1, types[i].len - 1, types[i].len + 1, types[i].len + 4,
                          IPC_MAX_BODY};
        for (size_t j = 0; j < sizeof bad / sizeof bad[0]; j++) {
            if (bad[j] == types[i].len || bad[j] > IPC_MAX_BODY)
                continue; /* len 0 - 1 wraps: skipped */
            size_t n = raw_msg(buf, types[i].type, 0, body, bad[j]);
            int rc;
            if (types[i].type == IPC_MSG_REPLY)
                rc = tipc_reply_of(buf, n, &rep);
            else if (types[i].type == IPC_MSG_ACCEPT)
                rc = tipc_accept_of(buf, n, &acc);
            else if (types[i].type == IPC_MSG_INFO)
                rc = tipc_info_of(buf, n, &info);
            else
                rc = request_rc(buf, n);
            if (rc != IPC_EBODY)
                fail_msg("type %u body %u: %d, want IPC_EBODY", types[i].type, bad[j], rc);
            /* The header alone already tells: no waiting for the body. */
            if (types[i].type < IPC_MSG_REPLY)
                assert_int_equal(request_rc(buf, IPC_HDR_LEN), IPC_EBODY);
        }
    }
}

/* ---- flags ---- */

static void test_flags(void **state)
{
    (void)state;
    struct sample s[N_SAMPLES];

    tipc_make_samples(s);
    for (int i = 0; i < N_SAMPLES; i++) {
        for (int bit = 0; bit < 16; bit++) {
            uint8_t m[IPC_MAX_MSG];
            uint16_t flags;
            memcpy(m, s[i].buf, s[i].len);
            flags = (uint16_t)(((m[6] << 8) | m[7]) ^ (1u << bit));
            m[6] = (uint8_t)(flags >> 8);
            m[7] = (uint8_t)flags;
            int rc = tipc_sample_rc(&s[i], m, s[i].len);
            /* Version 2 defines no flag: every bit is malformed. */
            if (rc != IPC_EBODY)
                fail_msg("%s with flags %#x: %d, want IPC_EBODY", s[i].name, flags, rc);
        }
    }
}

/* ---- enum and field values ---- */

static void test_open_fields(void **state)
{
    (void)state;
    uint8_t body[8], buf[IPC_MAX_MSG];
    static const uint8_t bad_proto[] = {0, 1, 7, 16, 18, 0xff};
    static const uint8_t bad_family[] = {0, 1, 2, 5, 7, 10, 0xff};

    for (size_t i = 0; i < sizeof bad_proto; i++) {
        memset(body, 0, sizeof body);
        body[0] = bad_proto[i];
        body[1] = IPC_AF_INET;
        assert_int_equal(request_rc(buf, raw_msg(buf, IPC_OP_OPEN, 0, body, 8)), IPC_EBODY);
    }
    for (size_t i = 0; i < sizeof bad_family; i++) {
        memset(body, 0, sizeof body);
        body[0] = IPC_PROTO_TCP;
        body[1] = bad_family[i];
        assert_int_equal(request_rc(buf, raw_msg(buf, IPC_OP_OPEN, 0, body, 8)), IPC_EBODY);
    }
    for (int pad = 2; pad < 8; pad++) {
        memset(body, 0, sizeof body);
        body[0] = IPC_PROTO_UDP;
        body[1] = IPC_AF_INET6;
        assert_int_equal(request_rc(buf, raw_msg(buf, IPC_OP_OPEN, 0, body, 8)), 20);
        body[pad] = 1;
        assert_int_equal(request_rc(buf, raw_msg(buf, IPC_OP_OPEN, 0, body, 8)), IPC_EBODY);
    }
}

static void test_listen_backlog(void **state)
{
    (void)state;
    static const int32_t bad[] = {-1, -128, INT32_MIN};
    uint8_t buf[IPC_MAX_MSG];

    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct ipc_listen li = {bad[i]};
        size_t n = ipc_encode_listen(buf, sizeof buf, &li);
        assert_int_equal(n, IPC_HDR_LEN + 4);
        assert_int_equal(request_rc(buf, n), IPC_EBODY);
    }
}

static void test_shutdown_how(void **state)
{
    (void)state;
    static const uint32_t bad[] = {3, 4, 0x100, 0x80000000u, 0xffffffffu};
    uint8_t buf[IPC_MAX_MSG];

    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct ipc_u32 v = {bad[i]};
        size_t n = ipc_encode_u32(buf, sizeof buf, IPC_OP_SHUTDOWN, &v);
        assert_int_equal(request_rc(buf, n), IPC_EBODY);
    }
}

static void test_optname(void **state)
{
    (void)state;
    static const uint32_t bad[] = {0, IPC_OPT_MAX + 1, 0x100, 0x80000000u, 0xffffffffu};
    uint8_t buf[IPC_MAX_MSG];

    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct ipc_opt o = {bad[i], 1};
        assert_int_equal(request_rc(buf, ipc_encode_opt(buf, sizeof buf, IPC_OP_SETOPT, &o)),
                         IPC_EBODY);
        assert_int_equal(request_rc(buf, ipc_encode_opt(buf, sizeof buf, IPC_OP_GETOPT, &o)),
                         IPC_EBODY);
    }
}

static void test_reply_err_range(void **state)
{
    (void)state;
    static const int32_t bad[] = {-1, -111, 4096, INT32_MAX, INT32_MIN};
    struct ipc_reply m, got;
    uint8_t buf[IPC_MAX_MSG];

    memset(&m, 0, sizeof m);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        m.err = bad[i];
        assert_int_equal(tipc_reply_of(buf, ipc_encode_reply(buf, sizeof buf, &m), &got), IPC_EBODY);
    }
    m.err = 4095;
    assert_int_equal(tipc_reply_of(buf, ipc_encode_reply(buf, sizeof buf, &m), &got),
                     IPC_HDR_LEN + IPC_REPLY_LEN);
    assert_int_equal(got.err, 4095);
}

/* ---- random bytes: never a crash, never more than the input ---- */

static uint32_t rng_next(uint32_t *s)
{
    /* xorshift32: fixed seed, reproducible */
    uint32_t x = *s;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    *s = x;
    return x;
}

static void test_random_bytes(void **state)
{
    (void)state;
    uint32_t seed = 0x1badcafe;
    struct sample s[N_SAMPLES];
    int accepted = 0;

    tipc_make_samples(s);
    for (int iter = 0; iter < 20000; iter++) {
        uint8_t buf[IPC_MAX_MSG + 8];
        size_t len = rng_next(&seed) % sizeof buf;
        for (size_t i = 0; i < sizeof buf; i++)
            buf[i] = (uint8_t)rng_next(&seed);
        /* Half the time start from a valid message with a few bytes
         * flipped, to get past the header checks. */
        if (iter & 1) {
            const struct sample *v = &s[rng_next(&seed) % N_SAMPLES];
            len = v->len + rng_next(&seed) % 4;
            memcpy(buf, v->buf, v->len);
            for (int k = 0; k < 3; k++) {
                size_t at = IPC_HDR_LEN + rng_next(&seed) % (len - IPC_HDR_LEN + 1);
                if (at < len && (rng_next(&seed) & 3) != 0)
                    buf[at] = (uint8_t)rng_next(&seed);
            }
        }
        uint8_t *p = tail_copy(buf, len);
        struct ipc_hdr h;
        struct ipc_request q;
        struct ipc_reply r;
        struct ipc_accept a;
        int rc[3] = {ipc_decode_request(p, len, &q), ipc_decode_reply(p, len, &r),
                     ipc_decode_accept(p, len, &a)};
        int hrc = ipc_decode_hdr(p, len, &h);
        tail_free(p);
        assert_true(hrc <= 0 && hrc >= IPC_EBODY);
        for (int k = 0; k < 3; k++) {
            assert_true(rc[k] >= IPC_EBODY);
            assert_true(rc[k] <= (int)len);
            if (rc[k] > 0) {
                assert_int_equal(hrc, IPC_OK);
                accepted++;
            }
        }
    }
    /* The mutated half must reach the accepting path sometimes. */
    assert_true(accepted > 100);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_truncation),
        cmocka_unit_test(test_hdr_truncation),
        cmocka_unit_test(test_bad_magic),
        cmocka_unit_test(test_bad_version),
        cmocka_unit_test(test_bad_type),
        cmocka_unit_test(test_wrong_direction),
        cmocka_unit_test(test_too_big),
        cmocka_unit_test(test_wrong_body_length),
        cmocka_unit_test(test_flags),
        cmocka_unit_test(test_open_fields),
        cmocka_unit_test(test_listen_backlog),
        cmocka_unit_test(test_shutdown_how),
        cmocka_unit_test(test_optname),
        cmocka_unit_test(test_reply_err_range),
        cmocka_unit_test(test_random_bytes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
