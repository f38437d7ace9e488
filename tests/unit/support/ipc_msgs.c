/* ipc_msgs.c - see ipc_msgs.h. */

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

int tipc_request_of(const uint8_t *src, size_t len, struct ipc_request *out)
{
    uint8_t *p = tail_copy(src, len);
    int rc = ipc_decode_request(p, len, out);
    tail_free(p);
    return rc;
}

int tipc_reply_of(const uint8_t *src, size_t len, struct ipc_reply *out)
{
    uint8_t *p = tail_copy(src, len);
    int rc = ipc_decode_reply(p, len, out);
    tail_free(p);
    return rc;
}

int tipc_accept_of(const uint8_t *src, size_t len, struct ipc_accept *out)
{
    uint8_t *p = tail_copy(src, len);
    int rc = ipc_decode_accept(p, len, out);
    tail_free(p);
    return rc;
}

int tipc_info_of(const uint8_t *src, size_t len, struct ipc_info *out)
{
    uint8_t *p = tail_copy(src, len);
    int rc = ipc_decode_info(p, len, out);
    tail_free(p);
    return rc;
}

struct ipc_endpoint tipc_ep4(uint8_t a, uint8_t b, uint8_t c, uint8_t d, uint16_t port)
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

struct ipc_endpoint tipc_ep6(uint8_t last, uint16_t port)
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

void tipc_make_samples(struct sample s[N_SAMPLES])
{
    struct ipc_open open4 = {IPC_PROTO_TCP, IPC_AF_INET};
    struct ipc_open open6 = {IPC_PROTO_UDP, IPC_AF_INET6};
    struct ipc_addr_req bind = {tipc_ep4(10, 77, 0, 1, 7)};
    struct ipc_addr_req conn = {tipc_ep6(2, 80)};
    struct ipc_listen li = {128};
    struct ipc_u32 sh = {2};
    struct ipc_opt so = {IPC_SO_RCVBUF, 65536};
    struct ipc_opt go = {IPC_TCP_MAXSEG, 0};
    struct ipc_reply rep;
    struct ipc_accept acc;
    struct ipc_info info;
    int i = 0;

    memset(&rep, 0, sizeof rep);
    rep.sock_id = 9;
    rep.local = tipc_ep4(10, 77, 0, 1, 40000);
    memset(&acc, 0, sizeof acc);
    acc.sock_id = 10;
    memset(&info, 0, sizeof info);
    info.state = 1;
    info.rtt = 100;
    acc.local = tipc_ep6(1, 7);
    acc.remote = tipc_ep6(2, 50000);
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
    ADD("lookup", REQ, ipc_encode_empty(s[i].buf, IPC_MAX_MSG, IPC_OP_LOOKUP));
    ADD("bind", REQ, ipc_encode_addr_req(s[i].buf, IPC_MAX_MSG, IPC_OP_BIND, &bind));
    ADD("connect", REQ,
        ipc_encode_addr_req(s[i].buf, IPC_MAX_MSG, IPC_OP_CONNECT, &conn));
    ADD("listen", REQ, ipc_encode_listen(s[i].buf, IPC_MAX_MSG, &li));
    ADD("shutdown", REQ, ipc_encode_u32(s[i].buf, IPC_MAX_MSG, IPC_OP_SHUTDOWN, &sh));
    ADD("setopt", REQ, ipc_encode_opt(s[i].buf, IPC_MAX_MSG, IPC_OP_SETOPT, &so));
    ADD("getopt", REQ, ipc_encode_opt(s[i].buf, IPC_MAX_MSG, IPC_OP_GETOPT, &go));
    ADD("getname", REQ, ipc_encode_empty(s[i].buf, IPC_MAX_MSG, IPC_OP_GETNAME));
    ADD("geterr", REQ, ipc_encode_empty(s[i].buf, IPC_MAX_MSG, IPC_OP_GETERR));
    ADD("reply", REP, ipc_encode_reply(s[i].buf, IPC_MAX_MSG, &rep));
    ADD("accept", ACC, ipc_encode_accept(s[i].buf, IPC_MAX_MSG, &acc));
    ADD("getinfo", REQ, ipc_encode_empty(s[i].buf, IPC_MAX_MSG, IPC_OP_GETINFO));
    ADD("info", INF, ipc_encode_info(s[i].buf, IPC_MAX_MSG, &info));
#undef ADD
    assert_int_equal(i, N_SAMPLES);
}

int tipc_sample_rc(const struct sample *s, const uint8_t *buf, size_t len)
{
    struct ipc_request q;
    struct ipc_reply r;
    struct ipc_accept a;
    struct ipc_info in;

    switch (s->which) {
    case REQ: return tipc_request_of(buf, len, &q);
    case REP: return tipc_reply_of(buf, len, &r);
    case INF: return tipc_info_of(buf, len, &in);
    default: return tipc_accept_of(buf, len, &a);
    }
}
