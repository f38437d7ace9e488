/* test_ipc.c - the tcpipd <-> libtcpip message codec (ipc/ipc.h,
 * ipc/PROTOCOL.md): byte layouts, round trips, and every way a message
 * can be malformed. Malformed inputs go through tail_copy so that a
 * decoder reading one byte too far is an ASan error. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ipc/ipc.h"
#include "tests/unit/support/bytes.h"

/* ---- helpers ---- */

static int request_of(const uint8_t *src, size_t len, struct ipc_request *out)
{
    uint8_t *p = tail_copy(src, len);
    int rc = ipc_decode_request(p, len, out);
    tail_free(p);
    return rc;
}

static int reply_of(const uint8_t *src, size_t len, struct ipc_reply *out)
{
    uint8_t *p = tail_copy(src, len);
    int rc = ipc_decode_reply(p, len, out);
    tail_free(p);
    return rc;
}

static int accept_of(const uint8_t *src, size_t len, struct ipc_accept *out)
{
    uint8_t *p = tail_copy(src, len);
    int rc = ipc_decode_accept(p, len, out);
    tail_free(p);
    return rc;
}

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
    return request_of(src, len, &r);
}

static struct ipc_endpoint ep4(uint8_t a, uint8_t b, uint8_t c, uint8_t d, uint16_t port)
{
    struct ipc_endpoint ep;
    memset(&ep, 0, sizeof ep);
    ep.family = IPC_AF_INET;
    ep.port = port;
    ep.addr[0] = a;
    ep.addr[1] = b;
    ep.addr[2] = c;
    ep.addr[3] = d;
    return ep;
}

/* [fd77::last]:port */
static struct ipc_endpoint ep6(uint8_t last, uint16_t port)
{
    struct ipc_endpoint ep;
    memset(&ep, 0, sizeof ep);
    ep.family = IPC_AF_INET6;
    ep.port = port;
    ep.addr[0] = 0xfd;
    ep.addr[1] = 0x77;
    ep.addr[15] = last;
    return ep;
}

static void assert_ep_equal(const struct ipc_endpoint *a, const struct ipc_endpoint *b)
{
    assert_int_equal(a->family, b->family);
    assert_int_equal(a->port, b->port);
    assert_memory_equal(a->addr, b->addr, 16);
}

/* One valid encoding of every message type, for the table-driven tests. */
enum which { REQ, REP, ACC };
struct sample {
    const char *name;
    enum which which;
    uint8_t buf[IPC_MAX_MSG];
    size_t len;
};
#define N_SAMPLES 14

static void make_samples(struct sample s[N_SAMPLES])
{
    struct ipc_open open4 = {IPC_PROTO_TCP, IPC_AF_INET};
    struct ipc_open open6 = {IPC_PROTO_UDP, IPC_AF_INET6};
    struct ipc_attach at = {7, 0x1234};
    struct ipc_addr_req bind = {ep4(10, 77, 0, 1, 7)};
    struct ipc_addr_req conn = {ep6(2, 80)};
    struct ipc_listen li = {128};
    struct ipc_u32 sh = {2};
    struct ipc_opt so = {IPC_SO_RCVBUF, 65536};
    struct ipc_opt go = {IPC_TCP_MAXSEG, 0};
    struct ipc_reply rep;
    struct ipc_accept acc;
    int i = 0;

    memset(&rep, 0, sizeof rep);
    rep.sock_id = 9;
    rep.local = ep4(10, 77, 0, 1, 40000);
    memset(&acc, 0, sizeof acc);
    acc.sock_id = 10;
    acc.token = 11;
    acc.local = ep6(1, 7);
    acc.remote = ep6(2, 50000);
    memset(s, 0, sizeof(struct sample) * N_SAMPLES);

#define ADD(nm, w, expr) \
    do { \
        s[i].name = nm; \
        s[i].which = w; \
        s[i].len = expr; \
        assert_true(s[i].len > 0); \
        i++; \
    } while (0)
    ADD("open4", REQ, ipc_encode_open(s[i].buf, IPC_MAX_MSG, &open4));
    ADD("open6", REQ, ipc_encode_open(s[i].buf, IPC_MAX_MSG, &open6));
    ADD("attach", REQ, ipc_encode_attach(s[i].buf, IPC_MAX_MSG, &at));
    ADD("bind", REQ, ipc_encode_addr_req(s[i].buf, IPC_MAX_MSG, IPC_OP_BIND, 0, &bind));
    ADD("connect", REQ,
        ipc_encode_addr_req(s[i].buf, IPC_MAX_MSG, IPC_OP_CONNECT, IPC_F_NONBLOCK, &conn));
    ADD("listen", REQ, ipc_encode_listen(s[i].buf, IPC_MAX_MSG, &li));
    ADD("shutdown", REQ, ipc_encode_u32(s[i].buf, IPC_MAX_MSG, IPC_OP_SHUTDOWN, &sh));
    ADD("setopt", REQ, ipc_encode_opt(s[i].buf, IPC_MAX_MSG, IPC_OP_SETOPT, &so));
    ADD("getopt", REQ, ipc_encode_opt(s[i].buf, IPC_MAX_MSG, IPC_OP_GETOPT, &go));
    ADD("getname", REQ, ipc_encode_empty(s[i].buf, IPC_MAX_MSG, IPC_OP_GETNAME));
    ADD("geterr", REQ, ipc_encode_empty(s[i].buf, IPC_MAX_MSG, IPC_OP_GETERR));
    ADD("reply", REP, ipc_encode_reply(s[i].buf, IPC_MAX_MSG, &rep));
    ADD("accept", ACC, ipc_encode_accept(s[i].buf, IPC_MAX_MSG, &acc));
    ADD("connect_block", REQ, ipc_encode_addr_req(s[i].buf, IPC_MAX_MSG, IPC_OP_CONNECT, 0, &bind));
#undef ADD
    assert_int_equal(i, N_SAMPLES);
}

static int sample_rc(const struct sample *s, const uint8_t *buf, size_t len)
{
    struct ipc_request q;
    struct ipc_reply r;
    struct ipc_accept a;

    switch (s->which) {
    case REQ: return request_of(buf, len, &q);
    case REP: return reply_of(buf, len, &r);
    default: return accept_of(buf, len, &a);
    }
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

/* ---- exact bytes: the layout in PROTOCOL.md, network byte order ---- */

static void test_open_bytes(void **state)
{
    (void)state;
    static const uint8_t want[20] = {
        0x54, 0x43, 0x50, 0x49, 0x01, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x08,
        0x06, 0x04, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    };
    struct ipc_open m = {IPC_PROTO_TCP, IPC_AF_INET};
    uint8_t buf[IPC_MAX_MSG];
    struct ipc_request r;

    assert_int_equal(ipc_encode_open(buf, sizeof buf, &m), sizeof want);
    assert_memory_equal(buf, want, sizeof want);
    assert_int_equal(request_of(want, sizeof want, &r), (int)sizeof want);
    assert_int_equal(r.h.magic, IPC_MAGIC);
    assert_int_equal(r.h.version, IPC_VERSION);
    assert_int_equal(r.h.type, IPC_OP_OPEN);
    assert_int_equal(r.h.flags, 0);
    assert_int_equal(r.h.len, 8);
    assert_int_equal(r.u.open.proto, IPC_PROTO_TCP);
    assert_int_equal(r.u.open.family, IPC_AF_INET);
}

static void test_connect_bytes(void **state)
{
    (void)state;
    /* CONNECT, NONBLOCK, 10.77.0.2:8080 */
    static const uint8_t want[32] = {
        0x54, 0x43, 0x50, 0x49, 0x01, 0x05, 0x00, 0x01, 0x00, 0x00, 0x00, 0x14,
        0x04, 0x00, 0x1f, 0x90, 0x0a, 0x4d, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    };
    struct ipc_addr_req m = {ep4(10, 77, 0, 2, 8080)};
    uint8_t buf[IPC_MAX_MSG];
    struct ipc_request r;

    assert_int_equal(ipc_encode_addr_req(buf, sizeof buf, IPC_OP_CONNECT, IPC_F_NONBLOCK, &m),
                     sizeof want);
    assert_memory_equal(buf, want, sizeof want);
    assert_int_equal(request_of(want, sizeof want, &r), (int)sizeof want);
    assert_int_equal(r.h.type, IPC_OP_CONNECT);
    assert_int_equal(r.h.flags, IPC_F_NONBLOCK);
    assert_ep_equal(&r.u.addr.ep, &m.ep);
}

static void test_reply_bytes(void **state)
{
    (void)state;
    struct ipc_reply m, got;
    uint8_t buf[IPC_MAX_MSG];

    memset(&m, 0, sizeof m);
    m.err = 111; /* ECONNREFUSED */
    m.value = -1;
    m.sock_id = 0x0102030405060708ull;
    m.token = 0x1112131415161718ull;
    m.local = ep6(1, 0x1234);
    assert_int_equal(ipc_encode_reply(buf, sizeof buf, &m), IPC_HDR_LEN + IPC_REPLY_LEN);
    assert_int_equal(buf[5], IPC_MSG_REPLY);
    assert_int_equal(buf[11], IPC_REPLY_LEN);
    static const uint8_t body_head[24] = {
        0x00, 0x00, 0x00, 0x6f, 0xff, 0xff, 0xff, 0xff, 0x01, 0x02, 0x03, 0x04,
        0x05, 0x06, 0x07, 0x08, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18,
    };
    assert_memory_equal(buf + 12, body_head, sizeof body_head);
    /* local at body offset 24: family 6, pad 0, port 0x1234, fd77::1 */
    assert_int_equal(buf[12 + 24], 6);
    assert_int_equal(buf[12 + 25], 0);
    assert_int_equal(buf[12 + 26], 0x12);
    assert_int_equal(buf[12 + 27], 0x34);
    assert_int_equal(buf[12 + 28], 0xfd);
    assert_int_equal(buf[12 + 43], 1);
    /* remote at body offset 44: family 0, all zero */
    for (int i = 44; i < 64; i++)
        assert_int_equal(buf[12 + i], 0);

    assert_int_equal(reply_of(buf, IPC_HDR_LEN + IPC_REPLY_LEN, &got), IPC_HDR_LEN + IPC_REPLY_LEN);
    assert_int_equal(got.err, 111);
    assert_int_equal(got.value, -1);
    assert_true(got.sock_id == m.sock_id);
    assert_true(got.token == m.token);
    assert_ep_equal(&got.local, &m.local);
    assert_ep_equal(&got.remote, &m.remote);
}

/* ---- round trips of every type ---- */

static void test_round_trip_requests(void **state)
{
    (void)state;
    uint8_t buf[IPC_MAX_MSG];
    struct ipc_request r;
    size_t n;

    struct ipc_open open = {IPC_PROTO_UDP, IPC_AF_INET6};
    n = ipc_encode_open(buf, sizeof buf, &open);
    assert_int_equal(request_of(buf, n, &r), (int)n);
    assert_int_equal(r.h.type, IPC_OP_OPEN);
    assert_int_equal(r.u.open.proto, IPC_PROTO_UDP);
    assert_int_equal(r.u.open.family, IPC_AF_INET6);

    struct ipc_attach at = {0xfedcba9876543210ull, 0xffffffffffffffffull};
    n = ipc_encode_attach(buf, sizeof buf, &at);
    assert_int_equal(n, IPC_HDR_LEN + 16);
    assert_int_equal(request_of(buf, n, &r), (int)n);
    assert_int_equal(r.h.type, IPC_OP_ATTACH);
    assert_true(r.u.attach.sock_id == at.sock_id);
    assert_true(r.u.attach.token == at.token);

    struct ipc_addr_req bind = {ep6(9, 65535)};
    n = ipc_encode_addr_req(buf, sizeof buf, IPC_OP_BIND, 0, &bind);
    assert_int_equal(request_of(buf, n, &r), (int)n);
    assert_int_equal(r.h.type, IPC_OP_BIND);
    assert_int_equal(r.h.flags, 0);
    assert_ep_equal(&r.u.addr.ep, &bind.ep);

    /* connect(AF_UNSPEC): the all-zero endpoint is valid in a request. */
    struct ipc_addr_req none;
    memset(&none, 0, sizeof none);
    n = ipc_encode_addr_req(buf, sizeof buf, IPC_OP_CONNECT, 0, &none);
    assert_int_equal(request_of(buf, n, &r), (int)n);
    assert_int_equal(r.u.addr.ep.family, IPC_AF_UNSPEC);

    struct ipc_listen li = {0};
    n = ipc_encode_listen(buf, sizeof buf, &li);
    assert_int_equal(request_of(buf, n, &r), (int)n);
    assert_int_equal(r.h.type, IPC_OP_LISTEN);
    assert_int_equal(r.u.listen.backlog, 0);
    li.backlog = INT32_MAX;
    n = ipc_encode_listen(buf, sizeof buf, &li);
    assert_int_equal(request_of(buf, n, &r), (int)n);
    assert_int_equal(r.u.listen.backlog, INT32_MAX);

    for (uint32_t how = 0; how <= 2; how++) {
        struct ipc_u32 sh = {how};
        n = ipc_encode_u32(buf, sizeof buf, IPC_OP_SHUTDOWN, &sh);
        assert_int_equal(request_of(buf, n, &r), (int)n);
        assert_int_equal(r.h.type, IPC_OP_SHUTDOWN);
        assert_int_equal(r.u.u32.value, how);
    }

    for (uint32_t name = IPC_SO_REUSEADDR; name <= IPC_OPT_MAX; name++) {
        struct ipc_opt so = {name, -(int32_t)name * 1000};
        n = ipc_encode_opt(buf, sizeof buf, IPC_OP_SETOPT, &so);
        assert_int_equal(request_of(buf, n, &r), (int)n);
        assert_int_equal(r.h.type, IPC_OP_SETOPT);
        assert_int_equal(r.u.opt.name, name);
        assert_int_equal(r.u.opt.value, so.value);
        n = ipc_encode_opt(buf, sizeof buf, IPC_OP_GETOPT, &so);
        assert_int_equal(request_of(buf, n, &r), (int)n);
        assert_int_equal(r.h.type, IPC_OP_GETOPT);
        assert_int_equal(r.u.opt.name, name);
    }
    struct ipc_opt lim = {IPC_SO_LINGER, INT32_MIN};
    n = ipc_encode_opt(buf, sizeof buf, IPC_OP_SETOPT, &lim);
    assert_int_equal(request_of(buf, n, &r), (int)n);
    assert_int_equal(r.u.opt.value, INT32_MIN);

    n = ipc_encode_empty(buf, sizeof buf, IPC_OP_GETNAME);
    assert_int_equal(n, IPC_HDR_LEN);
    assert_int_equal(request_of(buf, n, &r), IPC_HDR_LEN);
    assert_int_equal(r.h.type, IPC_OP_GETNAME);
    n = ipc_encode_empty(buf, sizeof buf, IPC_OP_GETERR);
    assert_int_equal(request_of(buf, n, &r), IPC_HDR_LEN);
    assert_int_equal(r.h.type, IPC_OP_GETERR);
}

static void test_round_trip_accept(void **state)
{
    (void)state;
    struct ipc_accept m, got;
    uint8_t buf[IPC_MAX_MSG];
    size_t n;

    memset(&m, 0, sizeof m);
    m.sock_id = 77;
    m.token = 0xa5a5a5a5a5a5a5a5ull;
    m.local = ep4(10, 77, 0, 1, 7);
    m.remote = ep4(10, 77, 0, 2, 33333);
    n = ipc_encode_accept(buf, sizeof buf, &m);
    assert_int_equal(n, IPC_HDR_LEN + IPC_ACCEPT_LEN);
    assert_int_equal(accept_of(buf, n, &got), (int)n);
    assert_true(got.sock_id == m.sock_id);
    assert_true(got.token == m.token);
    assert_ep_equal(&got.local, &m.local);
    assert_ep_equal(&got.remote, &m.remote);
}

/* Two messages back to back: the decoder takes exactly the first. */
static void test_stream_of_messages(void **state)
{
    (void)state;
    uint8_t buf[2 * IPC_MAX_MSG];
    struct ipc_listen li = {5};
    struct ipc_request r;
    size_t a = ipc_encode_listen(buf, sizeof buf, &li);
    size_t b = ipc_encode_empty(buf + a, sizeof buf - a, IPC_OP_GETERR);

    assert_int_equal(request_of(buf, a + b, &r), (int)a);
    assert_int_equal(r.u.listen.backlog, 5);
    assert_int_equal(request_of(buf + a, b, &r), (int)b);
    assert_int_equal(r.h.type, IPC_OP_GETERR);
}

/* ---- truncation ---- */

static void test_every_truncation(void **state)
{
    (void)state;
    struct sample s[N_SAMPLES];

    make_samples(s);
    for (int i = 0; i < N_SAMPLES; i++) {
        assert_int_equal(sample_rc(&s[i], s[i].buf, s[i].len), (int)s[i].len);
        for (size_t len = 0; len < s[i].len; len++) {
            int rc = sample_rc(&s[i], s[i].buf, len);
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

    make_samples(s);
    for (int i = 0; i < N_SAMPLES; i++) {
        for (int byte = 0; byte < 4; byte++) {
            uint8_t m[IPC_MAX_MSG];
            memcpy(m, s[i].buf, s[i].len);
            m[byte] ^= 0x20; /* "tCPI", "TcPI", ... */
            assert_int_equal(sample_rc(&s[i], m, s[i].len), IPC_EMAGIC);
            assert_int_equal(hdr_of(m, s[i].len, &h), IPC_EMAGIC);
        }
    }
}

static void test_bad_version(void **state)
{
    (void)state;
    static const uint8_t versions[] = {0, 2, 3, 0x80, 0xff};
    struct sample s[N_SAMPLES];
    struct ipc_hdr h;

    make_samples(s);
    for (int i = 0; i < N_SAMPLES; i++) {
        for (size_t v = 0; v < sizeof versions; v++) {
            uint8_t m[IPC_MAX_MSG];
            memcpy(m, s[i].buf, s[i].len);
            m[4] = versions[v];
            assert_int_equal(sample_rc(&s[i], m, s[i].len), IPC_EVERSION);
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
    static const uint8_t types[] = {0, 11, 12, 63, 66, 0x80, 0xff};
    uint8_t buf[IPC_MAX_MSG];
    struct ipc_hdr h;
    struct ipc_reply rep;
    struct ipc_accept acc;

    for (size_t i = 0; i < sizeof types; i++) {
        size_t n = raw_msg(buf, types[i], 0, NULL, 0);
        assert_int_equal(hdr_of(buf, n, &h), IPC_ETYPE);
        assert_int_equal(request_rc(buf, n), IPC_ETYPE);
        assert_int_equal(reply_of(buf, n, &rep), IPC_ETYPE);
        assert_int_equal(accept_of(buf, n, &acc), IPC_ETYPE);
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

    make_samples(s);
    for (int i = 0; i < N_SAMPLES; i++) {
        if (s[i].which != REQ)
            assert_int_equal(request_of(s[i].buf, s[i].len, &q), IPC_ETYPE);
        if (s[i].which != REP)
            assert_int_equal(reply_of(s[i].buf, s[i].len, &r), IPC_ETYPE);
        if (s[i].which != ACC)
            assert_int_equal(accept_of(s[i].buf, s[i].len, &a), IPC_ETYPE);
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
        assert_int_equal(reply_of(buf, IPC_HDR_LEN, &rep), IPC_ETOOBIG);
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
        {IPC_OP_OPEN, 8}, {IPC_OP_ATTACH, 16}, {IPC_OP_BIND, 20}, {IPC_OP_LISTEN, 4},
        {IPC_OP_CONNECT, 20}, {IPC_OP_SHUTDOWN, 4}, {IPC_OP_SETOPT, 8}, {IPC_OP_GETOPT, 8},
        {IPC_OP_GETNAME, 0}, {IPC_OP_GETERR, 0}, {IPC_MSG_REPLY, IPC_REPLY_LEN},
        {IPC_MSG_ACCEPT, IPC_ACCEPT_LEN},
    };
    uint8_t body[IPC_MAX_BODY];
    uint8_t buf[IPC_MAX_MSG];
    struct ipc_reply rep;
    struct ipc_accept acc;

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
                rc = reply_of(buf, n, &rep);
            else if (types[i].type == IPC_MSG_ACCEPT)
                rc = accept_of(buf, n, &acc);
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
    struct ipc_addr_req a = {ep4(10, 77, 0, 2, 80)};
    uint8_t buf[IPC_MAX_MSG];

    make_samples(s);
    for (int i = 0; i < N_SAMPLES; i++) {
        for (int bit = 0; bit < 16; bit++) {
            uint8_t m[IPC_MAX_MSG];
            uint16_t flags;
            memcpy(m, s[i].buf, s[i].len);
            flags = (uint16_t)(((m[6] << 8) | m[7]) ^ (1u << bit));
            m[6] = (uint8_t)(flags >> 8);
            m[7] = (uint8_t)flags;
            int rc = sample_rc(&s[i], m, s[i].len);
            /* Clearing NONBLOCK on a CONNECT, or setting it, stays valid. */
            if (m[5] == IPC_OP_CONNECT && (flags & ~IPC_F_NONBLOCK) == 0)
                assert_int_equal(rc, (int)s[i].len);
            else if (rc != IPC_EBODY)
                fail_msg("%s with flags %#x: %d, want IPC_EBODY", s[i].name, flags, rc);
        }
    }
    /* The encoder refuses what the decoder would refuse. */
    assert_int_equal(ipc_encode_addr_req(buf, sizeof buf, IPC_OP_BIND, IPC_F_NONBLOCK, &a), 0);
    assert_int_equal(ipc_encode_addr_req(buf, sizeof buf, IPC_OP_CONNECT, 0x0002, &a), 0);
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
        assert_int_equal(reply_of(buf, ipc_encode_reply(buf, sizeof buf, &m), &got), IPC_EBODY);
    }
    m.err = 4095;
    assert_int_equal(reply_of(buf, ipc_encode_reply(buf, sizeof buf, &m), &got),
                     IPC_HDR_LEN + IPC_REPLY_LEN);
    assert_int_equal(got.err, 4095);
}

/* ---- endpoints ---- */

static void test_endpoint_decode(void **state)
{
    (void)state;
    uint8_t raw[IPC_ENDPOINT_LEN];
    struct ipc_endpoint ep;

    /* IPv4 10.77.0.1:80 */
    memset(raw, 0, sizeof raw);
    raw[0] = IPC_AF_INET;
    raw[3] = 80;
    raw[4] = 10;
    raw[5] = 77;
    raw[7] = 1;
    assert_int_equal(ipc_decode_endpoint(raw, &ep), IPC_OK);
    assert_int_equal(ep.port, 80);
    assert_int_equal(ep.addr[0], 10);
    assert_int_equal(ep.addr[3], 1);
    for (int i = 4; i < 16; i++)
        assert_int_equal(ep.addr[i], 0);
    /* every byte after the IPv4 address must be zero */
    for (int i = 8; i < IPC_ENDPOINT_LEN; i++) {
        uint8_t m[IPC_ENDPOINT_LEN];
        memcpy(m, raw, sizeof m);
        m[i] = 0x01;
        assert_int_equal(ipc_decode_endpoint(m, &ep), IPC_EBODY);
    }
    /* the pad byte, for each family */
    static const uint8_t fams[] = {IPC_AF_UNSPEC, IPC_AF_INET, IPC_AF_INET6};
    for (size_t f = 0; f < sizeof fams; f++) {
        uint8_t m[IPC_ENDPOINT_LEN];
        memset(m, 0, sizeof m);
        m[0] = fams[f];
        assert_int_equal(ipc_decode_endpoint(m, &ep), IPC_OK);
        m[1] = 0x80;
        assert_int_equal(ipc_decode_endpoint(m, &ep), IPC_EBODY);
    }
    /* unknown families */
    static const uint8_t bad_fam[] = {1, 2, 5, 7, 10, 0xff};
    for (size_t f = 0; f < sizeof bad_fam; f++) {
        uint8_t m[IPC_ENDPOINT_LEN];
        memset(m, 0, sizeof m);
        m[0] = bad_fam[f];
        assert_int_equal(ipc_decode_endpoint(m, &ep), IPC_EBODY);
    }
    /* UNSPEC is all zero: a port or an address byte is malformed */
    for (int i = 2; i < IPC_ENDPOINT_LEN; i++) {
        uint8_t m[IPC_ENDPOINT_LEN];
        memset(m, 0, sizeof m);
        m[i] = 1;
        assert_int_equal(ipc_decode_endpoint(m, &ep), IPC_EBODY);
    }
    /* IPv6: every address byte is the address */
    for (int i = 2; i < IPC_ENDPOINT_LEN; i++) {
        uint8_t m[IPC_ENDPOINT_LEN];
        memset(m, 0, sizeof m);
        m[0] = IPC_AF_INET6;
        m[i] = 0xff;
        assert_int_equal(ipc_decode_endpoint(m, &ep), IPC_OK);
    }
}

/* The encoder writes the canonical form, whatever junk the struct holds
 * in bytes the family does not use. */
static void test_endpoint_encode_canonical(void **state)
{
    (void)state;
    struct ipc_endpoint ep, back;
    uint8_t raw[IPC_ENDPOINT_LEN];

    memset(&ep, 0xee, sizeof ep);
    ep.family = IPC_AF_INET;
    ep.port = 0x0102;
    ipc_encode_endpoint(raw, &ep);
    assert_int_equal(raw[0], IPC_AF_INET);
    assert_int_equal(raw[1], 0);
    assert_int_equal(raw[2], 0x01);
    assert_int_equal(raw[3], 0x02);
    for (int i = 4; i < 8; i++)
        assert_int_equal(raw[i], 0xee);
    for (int i = 8; i < IPC_ENDPOINT_LEN; i++)
        assert_int_equal(raw[i], 0);
    assert_int_equal(ipc_decode_endpoint(raw, &back), IPC_OK);

    memset(&ep, 0xee, sizeof ep);
    ep.family = IPC_AF_UNSPEC;
    ipc_encode_endpoint(raw, &ep);
    for (int i = 0; i < IPC_ENDPOINT_LEN; i++)
        assert_int_equal(raw[i], 0);
}

/* A bad endpoint inside a message makes the whole message IPC_EBODY. */
static void test_endpoint_in_messages(void **state)
{
    (void)state;
    struct sample s[N_SAMPLES];
    struct ipc_accept acc;

    make_samples(s);
    for (int i = 0; i < N_SAMPLES; i++) {
        size_t off[2];
        int n_off = 0;
        uint8_t t = s[i].buf[5];
        if (t == IPC_OP_BIND || t == IPC_OP_CONNECT)
            off[n_off++] = IPC_HDR_LEN;
        if (t == IPC_MSG_REPLY) {
            off[n_off++] = IPC_HDR_LEN + 24;
            off[n_off++] = IPC_HDR_LEN + 44;
        }
        if (t == IPC_MSG_ACCEPT) {
            off[n_off++] = IPC_HDR_LEN + 16;
            off[n_off++] = IPC_HDR_LEN + 36;
        }
        for (int k = 0; k < n_off; k++) {
            uint8_t m[IPC_MAX_MSG];
            memcpy(m, s[i].buf, s[i].len);
            m[off[k] + 1] = 1; /* pad */
            assert_int_equal(sample_rc(&s[i], m, s[i].len), IPC_EBODY);
            memcpy(m, s[i].buf, s[i].len);
            m[off[k]] = 5; /* family */
            assert_int_equal(sample_rc(&s[i], m, s[i].len), IPC_EBODY);
            memcpy(m, s[i].buf, s[i].len);
            m[off[k]] = IPC_AF_INET; /* IPv6 bytes under an IPv4 family */
            m[off[k] + 19] |= 1;
            assert_int_equal(sample_rc(&s[i], m, s[i].len), IPC_EBODY);
        }
    }

    /* An accepted connection has both ends. */
    struct ipc_accept a;
    uint8_t buf[IPC_MAX_MSG];
    memset(&a, 0, sizeof a);
    a.local = ep4(10, 77, 0, 1, 7);
    assert_int_equal(accept_of(buf, ipc_encode_accept(buf, sizeof buf, &a), &acc), IPC_EBODY);
    a.remote = a.local;
    a.local.family = IPC_AF_UNSPEC;
    assert_int_equal(accept_of(buf, ipc_encode_accept(buf, sizeof buf, &a), &acc), IPC_EBODY);
}

/* ---- encoders: capacity and types ---- */

static void test_encode_cap(void **state)
{
    (void)state;
    struct ipc_open open = {IPC_PROTO_TCP, IPC_AF_INET};
    struct ipc_attach at = {7, 0x1234};
    struct ipc_addr_req bind = {ep4(10, 77, 0, 1, 7)};
    struct ipc_listen li = {128};
    struct ipc_u32 sh = {2};
    struct ipc_opt so = {IPC_SO_RCVBUF, 65536};
    struct ipc_reply rep;
    struct ipc_accept acc;

    memset(&rep, 0, sizeof rep);
    memset(&acc, 0, sizeof acc);
    acc.local = ep6(1, 7);
    acc.remote = ep6(2, 50000);
    for (size_t cap = 0; cap < IPC_HDR_LEN + IPC_REPLY_LEN; cap++) {
        uint8_t buf[IPC_MAX_MSG];
        size_t want;
        memset(buf, 0xcc, sizeof buf);
#define CHECK(len, expr) \
    do { \
        want = (cap >= (len)) ? (len) : 0; \
        assert_int_equal((expr), want); \
    } while (0)
        CHECK(20u, ipc_encode_open(buf, cap, &open));
        CHECK(28u, ipc_encode_attach(buf, cap, &at));
        CHECK(32u, ipc_encode_addr_req(buf, cap, IPC_OP_BIND, 0, &bind));
        CHECK(16u, ipc_encode_listen(buf, cap, &li));
        CHECK(16u, ipc_encode_u32(buf, cap, IPC_OP_SHUTDOWN, &sh));
        CHECK(20u, ipc_encode_opt(buf, cap, IPC_OP_SETOPT, &so));
        CHECK(12u, ipc_encode_empty(buf, cap, IPC_OP_GETNAME));
        CHECK(76u, ipc_encode_reply(buf, cap, &rep));
        CHECK(68u, ipc_encode_accept(buf, cap, &acc));
#undef CHECK
    }
    /* A refused encode leaves the buffer untouched. */
    uint8_t buf[IPC_MAX_MSG];
    memset(buf, 0xcc, sizeof buf);
    assert_int_equal(ipc_encode_reply(buf, IPC_HDR_LEN + IPC_REPLY_LEN - 1, &rep), 0);
    for (size_t i = 0; i < sizeof buf; i++)
        assert_int_equal(buf[i], 0xcc);
    assert_int_equal(ipc_encode_empty(NULL, 0, IPC_OP_GETERR), 0);
}

static void test_encode_wrong_type(void **state)
{
    (void)state;
    uint8_t buf[IPC_MAX_MSG];
    struct ipc_addr_req a = {ep4(10, 77, 0, 1, 7)};
    struct ipc_u32 v = {0};
    struct ipc_opt o = {IPC_SO_TYPE, 0};

    assert_int_equal(ipc_encode_addr_req(buf, sizeof buf, IPC_OP_LISTEN, 0, &a), 0);
    assert_int_equal(ipc_encode_addr_req(buf, sizeof buf, IPC_MSG_REPLY, 0, &a), 0);
    assert_int_equal(ipc_encode_u32(buf, sizeof buf, IPC_OP_LISTEN, &v), 0);
    assert_int_equal(ipc_encode_u32(buf, sizeof buf, 0, &v), 0);
    assert_int_equal(ipc_encode_opt(buf, sizeof buf, IPC_OP_SHUTDOWN, &o), 0);
    assert_int_equal(ipc_encode_empty(buf, sizeof buf, IPC_OP_OPEN), 0);
    assert_int_equal(ipc_encode_empty(buf, sizeof buf, IPC_MSG_ACCEPT), 0);
}

/* ---- strings ---- */

static void test_strerror(void **state)
{
    (void)state;
    const char *seen[7];

    for (int e = IPC_OK; e >= IPC_EBODY; e--) {
        const char *s = ipc_strerror(e);
        assert_non_null(s);
        assert_true(strlen(s) > 0);
        seen[-e] = s;
        for (int k = 0; k < -e; k++)
            assert_string_not_equal(seen[k], s);
    }
    assert_string_equal(ipc_strerror(-7), "unknown ipc error");
    assert_string_equal(ipc_strerror(42), "unknown ipc error");
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

    make_samples(s);
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
        cmocka_unit_test(test_open_bytes),
        cmocka_unit_test(test_connect_bytes),
        cmocka_unit_test(test_reply_bytes),
        cmocka_unit_test(test_round_trip_requests),
        cmocka_unit_test(test_round_trip_accept),
        cmocka_unit_test(test_stream_of_messages),
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
        cmocka_unit_test(test_endpoint_decode),
        cmocka_unit_test(test_endpoint_encode_canonical),
        cmocka_unit_test(test_endpoint_in_messages),
        cmocka_unit_test(test_encode_cap),
        cmocka_unit_test(test_encode_wrong_type),
        cmocka_unit_test(test_strerror),
        cmocka_unit_test(test_random_bytes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
