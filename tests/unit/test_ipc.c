/* test_ipc.c - the tcpipd <-> libtcpip message codec (ipc/ipc.h,
 * ipc/PROTOCOL.md) on good input: exact byte layouts, round trips of every
 * type, endpoints, the encoders' capacity checks and the error strings.
 * Every way a message can be malformed is in test_ipc_malformed.c. */

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

static void assert_ep_equal(const struct ipc_endpoint *a, const struct ipc_endpoint *b)
{
    assert_int_equal(a->family, b->family);
    assert_int_equal(a->port, b->port);
    assert_memory_equal(a->addr, b->addr, 16);
}

/* ---- exact bytes: the layout in PROTOCOL.md, network byte order ---- */

static void test_open_bytes(void **state)
{
    (void)state;
    static const uint8_t want[20] = {
        0x54, 0x43, 0x50, 0x49, 0x02, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x08,
        0x06, 0x04, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    };
    struct ipc_open m = {IPC_PROTO_TCP, IPC_AF_INET};
    uint8_t buf[IPC_MAX_MSG];
    struct ipc_request r;

    assert_int_equal(ipc_encode_open(buf, sizeof buf, &m), sizeof want);
    assert_memory_equal(buf, want, sizeof want);
    assert_int_equal(tipc_request_of(want, sizeof want, &r), (int)sizeof want);
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
    /* CONNECT 10.77.0.2:8080 */
    static const uint8_t want[32] = {
        0x54, 0x43, 0x50, 0x49, 0x02, 0x05, 0x00, 0x00, 0x00, 0x00, 0x00, 0x14,
        0x04, 0x00, 0x1f, 0x90, 0x0a, 0x4d, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    };
    struct ipc_addr_req m = {tipc_ep4(10, 77, 0, 2, 8080)};
    uint8_t buf[IPC_MAX_MSG];
    struct ipc_request r;

    assert_int_equal(ipc_encode_addr_req(buf, sizeof buf, IPC_OP_CONNECT, &m), sizeof want);
    assert_memory_equal(buf, want, sizeof want);
    assert_int_equal(tipc_request_of(want, sizeof want, &r), (int)sizeof want);
    assert_int_equal(r.h.type, IPC_OP_CONNECT);
    assert_int_equal(r.h.flags, 0);
    assert_true(ipc_request_takes_fd(r.h.type));
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
    m.proto = IPC_PROTO_TCP;
    m.family = IPC_AF_INET6;
    m.state = IPC_ST_CONNECTING;
    m.flags = IPC_SF_WR_SHUT;
    m.local = tipc_ep6(1, 0x1234);
    assert_int_equal(ipc_encode_reply(buf, sizeof buf, &m), IPC_HDR_LEN + IPC_REPLY_LEN);
    assert_int_equal(buf[5], IPC_MSG_REPLY);
    assert_int_equal(buf[11], IPC_REPLY_LEN);
    static const uint8_t body_head[24] = {
        0x00, 0x00, 0x00, 0x6f, 0xff, 0xff, 0xff, 0xff, 0x01, 0x02, 0x03, 0x04,
        0x05, 0x06, 0x07, 0x08, 0x06, 0x06, 0x01, 0x02, 0x00, 0x00, 0x00, 0x00,
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

    assert_int_equal(tipc_reply_of(buf, IPC_HDR_LEN + IPC_REPLY_LEN, &got), IPC_HDR_LEN + IPC_REPLY_LEN);
    assert_int_equal(got.err, 111);
    assert_int_equal(got.value, -1);
    assert_true(got.sock_id == m.sock_id);
    assert_int_equal(got.proto, IPC_PROTO_TCP);
    assert_int_equal(got.family, IPC_AF_INET6);
    assert_int_equal(got.state, IPC_ST_CONNECTING);
    assert_int_equal(got.flags, IPC_SF_WR_SHUT);
    assert_ep_equal(&got.local, &m.local);
    assert_ep_equal(&got.remote, &m.remote);

    /* What the socket fields may hold, and the pad after them. */
    uint8_t bad[IPC_MAX_MSG];
    size_t n = ipc_encode_reply(buf, sizeof buf, &m);
    const struct {
        size_t off;
        uint8_t v;
    } cases[] = {{16, 7}, {17, 5}, {18, IPC_ST_MAX + 1}, {19, 0x04}, {20, 1}, {23, 1}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        memcpy(bad, buf, n);
        bad[IPC_HDR_LEN + cases[i].off] = cases[i].v;
        assert_int_equal(tipc_reply_of(bad, n, &got), IPC_EBODY);
    }
}

/* INFO: every field in its place, and back. */
static void test_info_round_trip(void **state)
{
    (void)state;
    struct ipc_info m, got;
    uint8_t buf[IPC_MAX_MSG];

    memset(&m, 0, sizeof m);
    m.state = 1;
    m.options = 7;
    m.snd_wscale = 7;
    m.rcv_wscale = 14;
    m.rto = 200000;
    m.snd_mss = 1448;
    m.rtt = 123;
    m.rttvar = 45;
    m.snd_cwnd = 10;
    m.total_retrans = 3;
    m.rcv_wnd = 0xfedcba98u;
    m.bytes_acked = 0x0102030405060708ull;
    m.segs_in = 99;
    size_t n = ipc_encode_info(buf, sizeof buf, &m);
    assert_int_equal(n, IPC_HDR_LEN + IPC_INFO_LEN);
    assert_int_equal(buf[5], IPC_MSG_INFO);
    assert_int_equal(ipc_decode_info(buf, n, &got), (int)n);
    assert_memory_equal(&got, &m, sizeof m);
    /* rto is the first u32, at body offset 8 */
    assert_int_equal(buf[IPC_HDR_LEN + 8 + 2], 0x0d);
    /* Linux states are 1..11; window scales at most 14. */
    uint8_t bad[IPC_MAX_MSG];
    memcpy(bad, buf, n);
    bad[IPC_HDR_LEN] = 0;
    assert_int_equal(ipc_decode_info(bad, n, &got), IPC_EBODY);
    bad[IPC_HDR_LEN] = 12;
    assert_int_equal(ipc_decode_info(bad, n, &got), IPC_EBODY);
    memcpy(bad, buf, n);
    bad[IPC_HDR_LEN + 7] = 15;
    assert_int_equal(ipc_decode_info(bad, n, &got), IPC_EBODY);
    /* truncated: wait for more */
    assert_int_equal(ipc_decode_info(buf, n - 1, &got), IPC_ETRUNC);
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
    assert_int_equal(tipc_request_of(buf, n, &r), (int)n);
    assert_int_equal(r.h.type, IPC_OP_OPEN);
    assert_int_equal(r.u.open.proto, IPC_PROTO_UDP);
    assert_int_equal(r.u.open.family, IPC_AF_INET6);

    assert_false(ipc_request_takes_fd(IPC_OP_OPEN));
    assert_false(ipc_request_takes_fd(IPC_MSG_REPLY));

    struct ipc_addr_req bind = {tipc_ep6(9, 65535)};
    n = ipc_encode_addr_req(buf, sizeof buf, IPC_OP_BIND, &bind);
    assert_int_equal(tipc_request_of(buf, n, &r), (int)n);
    assert_int_equal(r.h.type, IPC_OP_BIND);
    assert_int_equal(r.h.flags, 0);
    assert_ep_equal(&r.u.addr.ep, &bind.ep);

    /* connect(AF_UNSPEC): the all-zero endpoint is valid in a request. */
    struct ipc_addr_req none;
    memset(&none, 0, sizeof none);
    n = ipc_encode_addr_req(buf, sizeof buf, IPC_OP_CONNECT, &none);
    assert_int_equal(tipc_request_of(buf, n, &r), (int)n);
    assert_int_equal(r.u.addr.ep.family, IPC_AF_UNSPEC);

    struct ipc_listen li = {0};
    n = ipc_encode_listen(buf, sizeof buf, &li);
    assert_int_equal(tipc_request_of(buf, n, &r), (int)n);
    assert_int_equal(r.h.type, IPC_OP_LISTEN);
    assert_int_equal(r.u.listen.backlog, 0);
    li.backlog = INT32_MAX;
    n = ipc_encode_listen(buf, sizeof buf, &li);
    assert_int_equal(tipc_request_of(buf, n, &r), (int)n);
    assert_int_equal(r.u.listen.backlog, INT32_MAX);

    for (uint32_t how = 0; how <= 2; how++) {
        struct ipc_u32 sh = {how};
        n = ipc_encode_u32(buf, sizeof buf, IPC_OP_SHUTDOWN, &sh);
        assert_int_equal(tipc_request_of(buf, n, &r), (int)n);
        assert_int_equal(r.h.type, IPC_OP_SHUTDOWN);
        assert_int_equal(r.u.u32.value, how);
    }

    for (uint32_t name = IPC_SO_REUSEADDR; name <= IPC_OPT_MAX; name++) {
        struct ipc_opt so = {name, -(int32_t)name * 1000};
        n = ipc_encode_opt(buf, sizeof buf, IPC_OP_SETOPT, &so);
        assert_int_equal(tipc_request_of(buf, n, &r), (int)n);
        assert_int_equal(r.h.type, IPC_OP_SETOPT);
        assert_int_equal(r.u.opt.name, name);
        assert_int_equal(r.u.opt.value, so.value);
        n = ipc_encode_opt(buf, sizeof buf, IPC_OP_GETOPT, &so);
        assert_int_equal(tipc_request_of(buf, n, &r), (int)n);
        assert_int_equal(r.h.type, IPC_OP_GETOPT);
        assert_int_equal(r.u.opt.name, name);
    }
    struct ipc_opt lim = {IPC_SO_LINGER, INT32_MIN};
    n = ipc_encode_opt(buf, sizeof buf, IPC_OP_SETOPT, &lim);
    assert_int_equal(tipc_request_of(buf, n, &r), (int)n);
    assert_int_equal(r.u.opt.value, INT32_MIN);

    n = ipc_encode_empty(buf, sizeof buf, IPC_OP_GETNAME);
    assert_int_equal(n, IPC_HDR_LEN);
    assert_int_equal(tipc_request_of(buf, n, &r), IPC_HDR_LEN);
    assert_int_equal(r.h.type, IPC_OP_GETNAME);
    for (uint8_t t = IPC_OP_LOOKUP; t <= IPC_OP_GETINFO; t++) {
        if (t != IPC_OP_LOOKUP && t != IPC_OP_GETERR && t != IPC_OP_GETINFO)
            continue;
        n = ipc_encode_empty(buf, sizeof buf, t);
        assert_int_equal(tipc_request_of(buf, n, &r), IPC_HDR_LEN);
        assert_int_equal(r.h.type, t);
        assert_true(ipc_request_takes_fd(t));
    }
}

static void test_round_trip_accept(void **state)
{
    (void)state;
    struct ipc_accept m, got;
    uint8_t buf[IPC_MAX_MSG];
    size_t n;

    memset(&m, 0, sizeof m);
    m.sock_id = 77;
    m.local = tipc_ep4(10, 77, 0, 1, 7);
    m.remote = tipc_ep4(10, 77, 0, 2, 33333);
    n = ipc_encode_accept(buf, sizeof buf, &m);
    assert_int_equal(n, IPC_HDR_LEN + IPC_ACCEPT_LEN);
    assert_int_equal(tipc_accept_of(buf, n, &got), (int)n);
    assert_true(got.sock_id == m.sock_id);
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

    assert_int_equal(tipc_request_of(buf, a + b, &r), (int)a);
    assert_int_equal(r.u.listen.backlog, 5);
    assert_int_equal(tipc_request_of(buf + a, b, &r), (int)b);
    assert_int_equal(r.h.type, IPC_OP_GETERR);
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

    tipc_make_samples(s);
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
            off[n_off++] = IPC_HDR_LEN + 8;
            off[n_off++] = IPC_HDR_LEN + 28;
        }
        for (int k = 0; k < n_off; k++) {
            uint8_t m[IPC_MAX_MSG];
            memcpy(m, s[i].buf, s[i].len);
            m[off[k] + 1] = 1; /* pad */
            assert_int_equal(tipc_sample_rc(&s[i], m, s[i].len), IPC_EBODY);
            memcpy(m, s[i].buf, s[i].len);
            m[off[k]] = 5; /* family */
            assert_int_equal(tipc_sample_rc(&s[i], m, s[i].len), IPC_EBODY);
            memcpy(m, s[i].buf, s[i].len);
            m[off[k]] = IPC_AF_INET; /* IPv6 bytes under an IPv4 family */
            m[off[k] + 19] |= 1;
            assert_int_equal(tipc_sample_rc(&s[i], m, s[i].len), IPC_EBODY);
        }
    }

    /* An accepted connection has both ends. */
    struct ipc_accept a;
    uint8_t buf[IPC_MAX_MSG];
    memset(&a, 0, sizeof a);
    a.local = tipc_ep4(10, 77, 0, 1, 7);
    assert_int_equal(tipc_accept_of(buf, ipc_encode_accept(buf, sizeof buf, &a), &acc), IPC_EBODY);
    a.remote = a.local;
    a.local.family = IPC_AF_UNSPEC;
    assert_int_equal(tipc_accept_of(buf, ipc_encode_accept(buf, sizeof buf, &a), &acc), IPC_EBODY);
}

/* ---- encoders: capacity and types ---- */

static void test_encode_cap(void **state)
{
    (void)state;
    struct ipc_open open = {IPC_PROTO_TCP, IPC_AF_INET};
    struct ipc_addr_req bind = {tipc_ep4(10, 77, 0, 1, 7)};
    struct ipc_listen li = {128};
    struct ipc_u32 sh = {2};
    struct ipc_opt so = {IPC_SO_RCVBUF, 65536};
    struct ipc_reply rep;
    struct ipc_accept acc;
    struct ipc_info info;

    memset(&rep, 0, sizeof rep);
    memset(&acc, 0, sizeof acc);
    memset(&info, 0, sizeof info);
    info.state = 1;
    acc.local = tipc_ep6(1, 7);
    acc.remote = tipc_ep6(2, 50000);
    for (size_t cap = 0; cap < IPC_HDR_LEN + IPC_INFO_LEN + 1; cap++) {
        uint8_t buf[IPC_MAX_MSG];
        size_t want;
        memset(buf, 0xcc, sizeof buf);
#define CHECK(len, expr) \
    do { \
        want = (cap >= (len)) ? (len) : 0; \
        assert_int_equal((expr), want); \
    } while (0)
        CHECK(20u, ipc_encode_open(buf, cap, &open));
        CHECK(32u, ipc_encode_addr_req(buf, cap, IPC_OP_BIND, &bind));
        CHECK(16u, ipc_encode_listen(buf, cap, &li));
        CHECK(16u, ipc_encode_u32(buf, cap, IPC_OP_SHUTDOWN, &sh));
        CHECK(20u, ipc_encode_opt(buf, cap, IPC_OP_SETOPT, &so));
        CHECK(12u, ipc_encode_empty(buf, cap, IPC_OP_GETNAME));
        CHECK(76u, ipc_encode_reply(buf, cap, &rep));
        CHECK(60u, ipc_encode_accept(buf, cap, &acc));
        CHECK(144u, ipc_encode_info(buf, cap, &info));
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
    struct ipc_addr_req a = {tipc_ep4(10, 77, 0, 1, 7)};
    struct ipc_u32 v = {0};
    struct ipc_opt o = {IPC_SO_TYPE, 0};

    assert_int_equal(ipc_encode_addr_req(buf, sizeof buf, IPC_OP_LISTEN, &a), 0);
    assert_int_equal(ipc_encode_addr_req(buf, sizeof buf, IPC_MSG_REPLY, &a), 0);
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_open_bytes),
        cmocka_unit_test(test_connect_bytes),
        cmocka_unit_test(test_reply_bytes),
        cmocka_unit_test(test_info_round_trip),
        cmocka_unit_test(test_round_trip_requests),
        cmocka_unit_test(test_round_trip_accept),
        cmocka_unit_test(test_stream_of_messages),
        cmocka_unit_test(test_endpoint_decode),
        cmocka_unit_test(test_endpoint_encode_canonical),
        cmocka_unit_test(test_endpoint_in_messages),
        cmocka_unit_test(test_encode_cap),
        cmocka_unit_test(test_encode_wrong_type),
        cmocka_unit_test(test_strerror),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
