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
#define ACCEPT_OFF_LOCAL 8
#define ACCEPT_OFF_REMOTE 28
/* INFO: the one-byte fields, then the u32s, then the u64s. */
#define INFO_OFF_U32 8
#define INFO_OFF_U64 (INFO_OFF_U32 + 4 * IPC_INFO_U32)

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

static bool type_is_request(uint8_t type)
{
    return type >= IPC_OP_OPEN && type <= IPC_OP_GETINFO;
}

static bool type_known(uint8_t type)
{
    return type_is_request(type) || type == IPC_MSG_REPLY || type == IPC_MSG_ACCEPT ||
           type == IPC_MSG_INFO;
}

bool ipc_request_takes_fd(uint8_t type)
{
    return type_is_request(type) && type != IPC_OP_OPEN;
}

/* The exact body length of each type (every type has a fixed layout). */
static uint32_t body_len_of(uint8_t type)
{
    switch (type) {
    case IPC_OP_OPEN: return 8;
    case IPC_OP_BIND:
    case IPC_OP_CONNECT: return 20;
    case IPC_OP_LISTEN:
    case IPC_OP_SHUTDOWN: return 4;
    case IPC_OP_SETOPT:
    case IPC_OP_GETOPT: return 8;
    case IPC_OP_LOOKUP:
    case IPC_OP_GETNAME:
    case IPC_OP_GETERR:
    case IPC_OP_GETINFO: return 0;
    case IPC_MSG_REPLY: return IPC_REPLY_LEN;
    case IPC_MSG_ACCEPT: return IPC_ACCEPT_LEN;
    case IPC_MSG_INFO: return IPC_INFO_LEN;
    default: return 0;
    }
}

/* Version 2 defines no header flag: any bit set is malformed, so that a
 * later version can give the bits a meaning safely. */
static void put_hdr(uint8_t *buf, uint8_t type, uint32_t body_len)
{
    put32(buf, IPC_MAGIC);
    buf[4] = IPC_VERSION;
    buf[5] = type;
    put16(buf + 6, 0);
    put32(buf + 8, body_len);
}

/* Start a message: the header, a zeroed body. Returns the total length,
 * or 0 if it does not fit in cap (then buf is untouched). */
static size_t begin(uint8_t *buf, size_t cap, uint8_t type)
{
    size_t total = IPC_HDR_LEN + (size_t)body_len_of(type);

    if (buf == NULL || cap < total)
        return 0;
    put_hdr(buf, type, (uint32_t)(total - IPC_HDR_LEN));
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
    size_t n = begin(buf, cap, IPC_OP_OPEN);

    if (n == 0)
        return 0;
    buf[IPC_HDR_LEN] = m->proto;
    buf[IPC_HDR_LEN + 1] = m->family;
    return n;
}

size_t ipc_encode_addr_req(uint8_t *buf, size_t cap, uint8_t type,
                           const struct ipc_addr_req *m)
{
    size_t n;

    if (type != IPC_OP_BIND && type != IPC_OP_CONNECT)
        return 0;
    n = begin(buf, cap, type);
    if (n == 0)
        return 0;
    ipc_encode_endpoint(buf + IPC_HDR_LEN, &m->ep);
    return n;
}

size_t ipc_encode_listen(uint8_t *buf, size_t cap, const struct ipc_listen *m)
{
    size_t n = begin(buf, cap, IPC_OP_LISTEN);

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
    n = begin(buf, cap, type);
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
    n = begin(buf, cap, type);
    if (n == 0)
        return 0;
    put32(buf + IPC_HDR_LEN, m->name);
    put32(buf + IPC_HDR_LEN + 4, from_i32(m->value));
    return n;
}

size_t ipc_encode_empty(uint8_t *buf, size_t cap, uint8_t type)
{
    if (type != IPC_OP_LOOKUP && type != IPC_OP_GETNAME && type != IPC_OP_GETERR &&
        type != IPC_OP_GETINFO)
        return 0;
    return begin(buf, cap, type);
}

size_t ipc_encode_reply(uint8_t *buf, size_t cap, const struct ipc_reply *m)
{
    size_t n = begin(buf, cap, IPC_MSG_REPLY);
    uint8_t *b;

    if (n == 0)
        return 0;
    b = buf + IPC_HDR_LEN;
    put32(b, from_i32(m->err));
    put32(b + 4, from_i32(m->value));
    put64(b + 8, m->sock_id);
    b[16] = m->proto;
    b[17] = m->family;
    b[18] = m->state;
    b[19] = m->flags;
    ipc_encode_endpoint(b + REPLY_OFF_LOCAL, &m->local);
    ipc_encode_endpoint(b + REPLY_OFF_REMOTE, &m->remote);
    return n;
}

size_t ipc_encode_accept(uint8_t *buf, size_t cap, const struct ipc_accept *m)
{
    size_t n = begin(buf, cap, IPC_MSG_ACCEPT);
    uint8_t *b;

    if (n == 0)
        return 0;
    b = buf + IPC_HDR_LEN;
    put64(b, m->sock_id);
    ipc_encode_endpoint(b + ACCEPT_OFF_LOCAL, &m->local);
    ipc_encode_endpoint(b + ACCEPT_OFF_REMOTE, &m->remote);
    return n;
}

/* The u32 fields of ipc_info in wire order. */
static uint32_t *info_u32(struct ipc_info *m, size_t i)
{
    uint32_t *f[IPC_INFO_U32] = {
        &m->rto, &m->ato, &m->snd_mss, &m->rcv_mss, &m->unacked, &m->sacked,
        &m->lost, &m->retrans, &m->last_data_sent, &m->last_data_recv,
        &m->last_ack_recv, &m->pmtu, &m->rcv_ssthresh, &m->rtt, &m->rttvar,
        &m->snd_ssthresh, &m->snd_cwnd, &m->advmss, &m->reordering, &m->rcv_space,
        &m->total_retrans, &m->snd_wnd, &m->rcv_wnd,
    };
    return f[i];
}

static uint64_t *info_u64(struct ipc_info *m, size_t i)
{
    uint64_t *f[4] = {&m->bytes_acked, &m->bytes_received, &m->segs_out, &m->segs_in};
    return f[i];
}

size_t ipc_encode_info(uint8_t *buf, size_t cap, const struct ipc_info *m)
{
    size_t n = begin(buf, cap, IPC_MSG_INFO);
    struct ipc_info c = *m;
    uint8_t *b;

    if (n == 0)
        return 0;
    b = buf + IPC_HDR_LEN;
    b[0] = c.state;
    b[1] = c.ca_state;
    b[2] = c.retransmits;
    b[3] = c.probes;
    b[4] = c.backoff;
    b[5] = c.options;
    b[6] = c.snd_wscale;
    b[7] = c.rcv_wscale;
    for (size_t i = 0; i < IPC_INFO_U32; i++)
        put32(b + INFO_OFF_U32 + 4 * i, *info_u32(&c, i));
    for (size_t i = 0; i < 4; i++)
        put64(b + INFO_OFF_U64 + 8 * i, *info_u64(&c, i));
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
    if (want_request ? !type_is_request(h->type) : h->type != want_type)
        return IPC_ETYPE;
    if (h->flags != 0)
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
    case IPC_OP_LOOKUP:
    case IPC_OP_GETNAME:
    case IPC_OP_GETERR:
    case IPC_OP_GETINFO:
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
    r.proto = b[16];
    r.family = b[17];
    r.state = b[18];
    r.flags = b[19];
    if (r.proto != 0 && r.proto != IPC_PROTO_TCP && r.proto != IPC_PROTO_UDP)
        return IPC_EBODY;
    if (r.family != IPC_AF_UNSPEC && r.family != IPC_AF_INET && r.family != IPC_AF_INET6)
        return IPC_EBODY;
    if (r.state > IPC_ST_MAX || (r.flags & ~IPC_SF_ALL) != 0 || !all_zero(b + 20, 4))
        return IPC_EBODY;
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
    if (ipc_decode_endpoint(b + ACCEPT_OFF_LOCAL, &a.local) != IPC_OK ||
        ipc_decode_endpoint(b + ACCEPT_OFF_REMOTE, &a.remote) != IPC_OK)
        return IPC_EBODY;
    /* An accepted connection always has both ends. */
    if (a.local.family == IPC_AF_UNSPEC || a.remote.family == IPC_AF_UNSPEC)
        return IPC_EBODY;
    *out = a;
    return n;
}

int ipc_decode_info(const uint8_t *buf, size_t len, struct ipc_info *out)
{
    struct ipc_hdr h;
    struct ipc_info m;
    const uint8_t *b;
    int n = decode_frame(buf, len, &h, false, IPC_MSG_INFO);

    if (n < 0)
        return n;
    b = buf + IPC_HDR_LEN;
    memset(&m, 0, sizeof m);
    m.state = b[0];
    m.ca_state = b[1];
    m.retransmits = b[2];
    m.probes = b[3];
    m.backoff = b[4];
    m.options = b[5];
    m.snd_wscale = b[6];
    m.rcv_wscale = b[7];
    /* Linux's TCP states are 1..11; wscale is at most 14 (RFC 7323 2.3). */
    if (m.state < 1 || m.state > 11 || m.snd_wscale > 14 || m.rcv_wscale > 14)
        return IPC_EBODY;
    for (size_t i = 0; i < IPC_INFO_U32; i++)
        *info_u32(&m, i) = get32(b + INFO_OFF_U32 + 4 * i);
    for (size_t i = 0; i < 4; i++)
        *info_u64(&m, i) = get64(b + INFO_OFF_U64 + 8 * i);
    *out = m;
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
