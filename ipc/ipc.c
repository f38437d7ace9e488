/* ipc.c - encode and decode the tcpipd <-> libtcpip messages (ipc.h,
 * ipc/PROTOCOL.md). libc only: both the daemon and the client library
 * link this file.
 *
 * The decoders are the daemon's first line against a hostile or buggy
 * client, so they are strict: every length exact for its type, every enum
 * in range, every pad byte zero, flags only where a type defines them.
 * Anything the decoders accept, the encoders write back byte for byte
 * (the fuzz target checks this), so there is exactly one encoding of each
 * message. The encoders write endpoints in that canonical form (unused
 * address bytes zero), so they never produce an endpoint the decoder
 * rejects unless its family is unknown. */
#include "ipc/ipc.h"

#include <string.h>

/* Body offsets shared by the reply and the accept: two endpoints at the
 * end of the body. */
#define REPLY_OFF_LOCAL 24
#define REPLY_OFF_REMOTE 44
#define ACCEPT_OFF_LOCAL 16
#define ACCEPT_OFF_REMOTE 36

/* The largest errno a reply may carry: Linux never returns more than
 * MAX_ERRNO (4095) as an error. */
#define IPC_MAX_ERRNO 4095

/* ---- big-endian helpers ---- */

static void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static void put64(uint8_t *p, uint64_t v)
{
    put32(p, (uint32_t)(v >> 32));
    put32(p + 4, (uint32_t)v);
}

static uint16_t get16(const uint8_t *p)
{
    return (uint16_t)((p[0] << 8) | p[1]);
}

static uint32_t get32(const uint8_t *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

static uint64_t get64(const uint8_t *p)
{
    return ((uint64_t)get32(p) << 32) | get32(p + 4);
}

/* Two's complement conversions without implementation-defined casts. */
static uint32_t from_i32(int32_t v)
{
    return (uint32_t)v;
}

static int32_t to_i32(uint32_t v)
{
    if (v <= (uint32_t)INT32_MAX)
        return (int32_t)v;
    return (int32_t)(v - 0x80000000u) - INT32_MAX - 1;
}

/* ---- messages and their body lengths ---- */

static bool type_known(uint8_t type)
{
    return (type >= IPC_OP_OPEN && type <= IPC_OP_GETERR) || type == IPC_MSG_REPLY ||
           type == IPC_MSG_ACCEPT;
}

/* The exact body length of each type (every type has a fixed layout). */
static uint32_t body_len_of(uint8_t type)
{
    switch (type) {
    case IPC_OP_OPEN: return 8;
    case IPC_OP_ATTACH: return 16;
    case IPC_OP_BIND:
    case IPC_OP_CONNECT: return 20;
    case IPC_OP_LISTEN:
    case IPC_OP_SHUTDOWN: return 4;
    case IPC_OP_SETOPT:
    case IPC_OP_GETOPT: return 8;
    case IPC_OP_GETNAME:
    case IPC_OP_GETERR: return 0;
    case IPC_MSG_REPLY: return IPC_REPLY_LEN;
    case IPC_MSG_ACCEPT: return IPC_ACCEPT_LEN;
    default: return 0;
    }
}

/* The header flags a type may carry; any other bit set is malformed, so
 * that a later version can give the bits a meaning safely. */
static uint16_t flags_allowed(uint8_t type)
{
    return type == IPC_OP_CONNECT ? IPC_F_NONBLOCK : 0;
}

static void put_hdr(uint8_t *buf, uint8_t type, uint16_t flags, uint32_t body_len)
{
    put32(buf, IPC_MAGIC);
    buf[4] = IPC_VERSION;
    buf[5] = type;
    put16(buf + 6, flags);
    put32(buf + 8, body_len);
}

/* Start a message: the header, a zeroed body. Returns the total length,
 * or 0 if it does not fit in cap (then buf is untouched). */
static size_t begin(uint8_t *buf, size_t cap, uint8_t type, uint16_t flags)
{
    size_t total = IPC_HDR_LEN + (size_t)body_len_of(type);

    if (buf == NULL || cap < total)
        return 0;
    put_hdr(buf, type, flags, (uint32_t)(total - IPC_HDR_LEN));
    memset(buf + IPC_HDR_LEN, 0, total - IPC_HDR_LEN);
    return total;
}

/* ---- encoders ---- */

void ipc_encode_endpoint(uint8_t out[IPC_ENDPOINT_LEN], const struct ipc_endpoint *ep)
{
    memset(out, 0, IPC_ENDPOINT_LEN);
    out[0] = ep->family;
    switch (ep->family) {
    case IPC_AF_UNSPEC:
        /* "No address": port and address stay zero. */
        break;
    case IPC_AF_INET:
        put16(out + 2, ep->port);
        memcpy(out + 4, ep->addr, 4);
        break;
    default:
        /* IPv6, or an unknown family the peer will reject as written. */
        put16(out + 2, ep->port);
        memcpy(out + 4, ep->addr, 16);
        break;
    }
}

size_t ipc_encode_open(uint8_t *buf, size_t cap, const struct ipc_open *m)
{
    size_t n = begin(buf, cap, IPC_OP_OPEN, 0);

    if (n == 0)
        return 0;
    buf[IPC_HDR_LEN] = m->proto;
    buf[IPC_HDR_LEN + 1] = m->family;
    return n;
}

size_t ipc_encode_attach(uint8_t *buf, size_t cap, const struct ipc_attach *m)
{
    size_t n = begin(buf, cap, IPC_OP_ATTACH, 0);

    if (n == 0)
        return 0;
    put64(buf + IPC_HDR_LEN, m->sock_id);
    put64(buf + IPC_HDR_LEN + 8, m->token);
    return n;
}

size_t ipc_encode_addr_req(uint8_t *buf, size_t cap, uint8_t type, uint16_t flags,
                           const struct ipc_addr_req *m)
{
    size_t n;

    if ((type != IPC_OP_BIND && type != IPC_OP_CONNECT) || (flags & ~flags_allowed(type)) != 0)
        return 0;
    n = begin(buf, cap, type, flags);
    if (n == 0)
        return 0;
    ipc_encode_endpoint(buf + IPC_HDR_LEN, &m->ep);
    return n;
}

size_t ipc_encode_listen(uint8_t *buf, size_t cap, const struct ipc_listen *m)
{
    size_t n = begin(buf, cap, IPC_OP_LISTEN, 0);

    if (n == 0)
        return 0;
    put32(buf + IPC_HDR_LEN, from_i32(m->backlog));
    return n;
}

size_t ipc_encode_u32(uint8_t *buf, size_t cap, uint8_t type, const struct ipc_u32 *m)
{
    size_t n;

    if (type != IPC_OP_SHUTDOWN)
        return 0;
    n = begin(buf, cap, type, 0);
    if (n == 0)
        return 0;
    put32(buf + IPC_HDR_LEN, m->value);
    return n;
}

size_t ipc_encode_opt(uint8_t *buf, size_t cap, uint8_t type, const struct ipc_opt *m)
{
    size_t n;

    if (type != IPC_OP_SETOPT && type != IPC_OP_GETOPT)
        return 0;
    n = begin(buf, cap, type, 0);
    if (n == 0)
        return 0;
    put32(buf + IPC_HDR_LEN, m->name);
    put32(buf + IPC_HDR_LEN + 4, from_i32(m->value));
    return n;
}

size_t ipc_encode_empty(uint8_t *buf, size_t cap, uint8_t type)
{
    if (type != IPC_OP_GETNAME && type != IPC_OP_GETERR)
        return 0;
    return begin(buf, cap, type, 0);
}

size_t ipc_encode_reply(uint8_t *buf, size_t cap, const struct ipc_reply *m)
{
    size_t n = begin(buf, cap, IPC_MSG_REPLY, 0);
    uint8_t *b;

    if (n == 0)
        return 0;
    b = buf + IPC_HDR_LEN;
    put32(b, from_i32(m->err));
    put32(b + 4, from_i32(m->value));
    put64(b + 8, m->sock_id);
    put64(b + 16, m->token);
    ipc_encode_endpoint(b + REPLY_OFF_LOCAL, &m->local);
    ipc_encode_endpoint(b + REPLY_OFF_REMOTE, &m->remote);
    return n;
}

size_t ipc_encode_accept(uint8_t *buf, size_t cap, const struct ipc_accept *m)
{
    size_t n = begin(buf, cap, IPC_MSG_ACCEPT, 0);
    uint8_t *b;

    if (n == 0)
        return 0;
    b = buf + IPC_HDR_LEN;
    put64(b, m->sock_id);
    put64(b + 8, m->token);
    ipc_encode_endpoint(b + ACCEPT_OFF_LOCAL, &m->local);
    ipc_encode_endpoint(b + ACCEPT_OFF_REMOTE, &m->remote);
    return n;
}

/* ---- decoders ---- */

/* *h is filled whenever the 12 bytes are there, even on an error, so that
 * on IPC_EVERSION the caller can read the peer's version (PROTOCOL.md,
 * "Versions"). */
int ipc_decode_hdr(const uint8_t *buf, size_t len, struct ipc_hdr *h)
{
    if (len < IPC_HDR_LEN)
        return IPC_ETRUNC;
    h->magic = get32(buf);
    h->version = buf[4];
    h->type = buf[5];
    h->flags = get16(buf + 6);
    h->len = get32(buf + 8);
    if (h->magic != IPC_MAGIC)
        return IPC_EMAGIC;
    if (h->version != IPC_VERSION)
        return IPC_EVERSION;
    if (!type_known(h->type))
        return IPC_ETYPE;
    if (h->len > IPC_MAX_BODY)
        return IPC_ETOOBIG;
    return IPC_OK;
}

static bool all_zero(const uint8_t *p, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (p[i] != 0)
            return false;
    return true;
}

int ipc_decode_endpoint(const uint8_t in[IPC_ENDPOINT_LEN], struct ipc_endpoint *out)
{
    uint8_t family = in[0];
    uint16_t port = get16(in + 2);

    if (in[1] != 0)
        return IPC_EBODY;
    switch (family) {
    case IPC_AF_UNSPEC:
        /* The one "no address" encoding: everything zero. */
        if (port != 0 || !all_zero(in + 4, 16))
            return IPC_EBODY;
        break;
    case IPC_AF_INET:
        if (!all_zero(in + 8, 12))
            return IPC_EBODY;
        break;
    case IPC_AF_INET6:
        break;
    default:
        return IPC_EBODY;
    }
    memset(out, 0, sizeof *out);
    out->family = family;
    out->port = port;
    memcpy(out->addr, in + 4, family == IPC_AF_INET ? 4 : 16);
    return IPC_OK;
}

/* The checks every whole-message decoder shares: a header that decodes,
 * a type this decoder accepts, flags the type allows, the type's exact
 * body length, and all of it present. Returns the message length or an
 * ipc_err. The body-length check comes before the truncation check: a
 * header that announces the wrong length is malformed however many bytes
 * follow, so a stream reader need not wait for them. */
static int decode_frame(const uint8_t *buf, size_t len, struct ipc_hdr *h, bool want_request,
                        uint8_t want_type)
{
    int rc = ipc_decode_hdr(buf, len, h);

    if (rc != IPC_OK)
        return rc;
    if (want_request ? !(h->type >= IPC_OP_OPEN && h->type <= IPC_OP_GETERR)
                     : h->type != want_type)
        return IPC_ETYPE;
    if ((h->flags & ~flags_allowed(h->type)) != 0)
        return IPC_EBODY;
    if (h->len != body_len_of(h->type))
        return IPC_EBODY;
    if (len - IPC_HDR_LEN < h->len)
        return IPC_ETRUNC;
    return (int)(IPC_HDR_LEN + h->len);
}

static int decode_request_body(const uint8_t *b, struct ipc_request *out)
{
    switch (out->h.type) {
    case IPC_OP_OPEN:
        if (b[0] != IPC_PROTO_TCP && b[0] != IPC_PROTO_UDP)
            return IPC_EBODY;
        if (b[1] != IPC_AF_INET && b[1] != IPC_AF_INET6)
            return IPC_EBODY;
        if (!all_zero(b + 2, 6))
            return IPC_EBODY;
        out->u.open.proto = b[0];
        out->u.open.family = b[1];
        return IPC_OK;
    case IPC_OP_ATTACH:
        out->u.attach.sock_id = get64(b);
        out->u.attach.token = get64(b + 8);
        return IPC_OK;
    case IPC_OP_BIND:
    case IPC_OP_CONNECT:
        return ipc_decode_endpoint(b, &out->u.addr.ep);
    case IPC_OP_LISTEN:
        out->u.listen.backlog = to_i32(get32(b));
        return out->u.listen.backlog >= 0 ? IPC_OK : IPC_EBODY;
    case IPC_OP_SHUTDOWN:
        out->u.u32.value = get32(b);
        return out->u.u32.value <= 2 ? IPC_OK : IPC_EBODY;
    case IPC_OP_SETOPT:
    case IPC_OP_GETOPT:
        out->u.opt.name = get32(b);
        out->u.opt.value = to_i32(get32(b + 4));
        if (out->u.opt.name < IPC_SO_REUSEADDR || out->u.opt.name > IPC_OPT_MAX)
            return IPC_EBODY;
        return IPC_OK;
    case IPC_OP_GETNAME:
    case IPC_OP_GETERR:
        return IPC_OK;
    default:
        return IPC_ETYPE;
    }
}

int ipc_decode_request(const uint8_t *buf, size_t len, struct ipc_request *out)
{
    struct ipc_request r;
    int n, rc;

    memset(&r, 0, sizeof r);
    n = decode_frame(buf, len, &r.h, true, 0);
    if (n < 0)
        return n;
    rc = decode_request_body(buf + IPC_HDR_LEN, &r);
    if (rc != IPC_OK)
        return rc;
    *out = r;
    return n;
}

int ipc_decode_reply(const uint8_t *buf, size_t len, struct ipc_reply *out)
{
    struct ipc_hdr h;
    struct ipc_reply r;
    const uint8_t *b;
    int n = decode_frame(buf, len, &h, false, IPC_MSG_REPLY);

    if (n < 0)
        return n;
    b = buf + IPC_HDR_LEN;
    memset(&r, 0, sizeof r);
    r.err = to_i32(get32(b));
    if (r.err < 0 || r.err > IPC_MAX_ERRNO)
        return IPC_EBODY;
    r.value = to_i32(get32(b + 4));
    r.sock_id = get64(b + 8);
    r.token = get64(b + 16);
    if (ipc_decode_endpoint(b + REPLY_OFF_LOCAL, &r.local) != IPC_OK ||
        ipc_decode_endpoint(b + REPLY_OFF_REMOTE, &r.remote) != IPC_OK)
        return IPC_EBODY;
    *out = r;
    return n;
}

int ipc_decode_accept(const uint8_t *buf, size_t len, struct ipc_accept *out)
{
    struct ipc_hdr h;
    struct ipc_accept a;
    const uint8_t *b;
    int n = decode_frame(buf, len, &h, false, IPC_MSG_ACCEPT);

    if (n < 0)
        return n;
    b = buf + IPC_HDR_LEN;
    memset(&a, 0, sizeof a);
    a.sock_id = get64(b);
    a.token = get64(b + 8);
    if (ipc_decode_endpoint(b + ACCEPT_OFF_LOCAL, &a.local) != IPC_OK ||
        ipc_decode_endpoint(b + ACCEPT_OFF_REMOTE, &a.remote) != IPC_OK)
        return IPC_EBODY;
    /* An accepted connection always has both ends. */
    if (a.local.family == IPC_AF_UNSPEC || a.remote.family == IPC_AF_UNSPEC)
        return IPC_EBODY;
    *out = a;
    return n;
}

const char *ipc_strerror(int err)
{
    switch (err) {
    case IPC_OK: return "ok";
    case IPC_ETRUNC: return "message truncated (more bytes needed)";
    case IPC_EMAGIC: return "bad magic (not the tcpipd protocol)";
    case IPC_EVERSION: return "unsupported protocol version";
    case IPC_ETYPE: return "unknown message type, or wrong for this direction";
    case IPC_ETOOBIG: return "message body longer than IPC_MAX_BODY";
    case IPC_EBODY: return "bad body length or field value for the message type";
    default: return "unknown ipc error";
    }
}
