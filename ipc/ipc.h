/* ipc.h - the Unix-domain protocol between tcpipd and its clients
 * (libtcpip's direct backend). The full description, with the life of a
 * connection, is ipc/PROTOCOL.md; this header is its C form.
 *
 * Shared by daemon/ and client-lib/; depends on libc only (no stack/
 * types: addresses travel as struct ipc_endpoint).
 *
 * Model: one socket of the application = one Unix stream connection to
 * the daemon (the *control* connection, kept by the library) plus one
 * *data* fd the daemon passes back with SCM_RIGHTS at IPC_OP_OPEN (an end
 * of a socketpair): that fd is what the application holds, polls, reads
 * and writes. For TCP the data fd is SOCK_STREAM and carries the raw byte
 * stream; for a listener it carries IPC_MSG_ACCEPT messages, each with the
 * new connection's data fd attached; for UDP it is SOCK_SEQPACKET, one
 * datagram per message behind a struct ipc_dgram_hdr.
 *
 * Every message on a control connection (and every ACCEPT on a listener's
 * data fd) is a 12-byte header and a body of fixed layout; all integers in
 * network byte order; every length and enum checked by ipc_decode_*().
 */
#ifndef TCPIP_IPC_H
#define TCPIP_IPC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define IPC_MAGIC 0x54435049u    /* "TCPI" */
#define IPC_VERSION 1            /* the version this code speaks */
#define IPC_HDR_LEN 12
#define IPC_MAX_BODY 256         /* larger bodies are a protocol error */
#define IPC_MAX_MSG (IPC_HDR_LEN + IPC_MAX_BODY)
#define IPC_DEFAULT_PATH "/run/tcpipd/tcpipd.sock"

/* Message types. Requests go client -> daemon on the control connection,
 * each answered by exactly one IPC_MSG_REPLY (in order). */
enum ipc_type {
    IPC_OP_OPEN = 1,             /* new socket: body ipc_open; reply + data fd */
    IPC_OP_ATTACH = 2,           /* make this connection the control of an
                                    accepted socket: body ipc_attach */
    IPC_OP_BIND = 3,             /* body ipc_addr_req */
    IPC_OP_LISTEN = 4,           /* body ipc_listen */
    IPC_OP_CONNECT = 5,          /* body ipc_addr_req (+ IPC_F_NONBLOCK) */
    IPC_OP_SHUTDOWN = 6,         /* body ipc_u32 (0 RD, 1 WR, 2 RDWR) */
    IPC_OP_SETOPT = 7,           /* body ipc_opt */
    IPC_OP_GETOPT = 8,           /* body ipc_opt (value ignored) */
    IPC_OP_GETNAME = 9,          /* empty body: reply carries both names */
    IPC_OP_GETERR = 10,          /* empty: SO_ERROR; while a non-blocking
                                    connect is in progress the reply waits
                                    for its outcome */
    IPC_MSG_REPLY = 64,          /* body ipc_reply */
    IPC_MSG_ACCEPT = 65,         /* on a listener's data fd: body ipc_accept + fd */
};

/* Header flags. */
#define IPC_F_NONBLOCK 0x0001    /* CONNECT: reply at once with EINPROGRESS */

enum ipc_proto { IPC_PROTO_TCP = 6, IPC_PROTO_UDP = 17 };
enum ipc_family { IPC_AF_UNSPEC = 0, IPC_AF_INET = 4, IPC_AF_INET6 = 6 };

/* Socket options, as their Linux names. */
enum ipc_optname {
    IPC_SO_REUSEADDR = 1,
    IPC_SO_KEEPALIVE = 2,
    IPC_SO_RCVBUF = 3,
    IPC_SO_SNDBUF = 4,
    IPC_SO_ERROR = 5,            /* GETOPT only */
    IPC_SO_LINGER = 6,           /* value: -1 off, else the linger seconds */
    IPC_TCP_NODELAY = 7,
    IPC_TCP_KEEPIDLE = 8,
    IPC_TCP_KEEPINTVL = 9,
    IPC_TCP_KEEPCNT = 10,
    IPC_TCP_MAXSEG = 11,         /* GETOPT only */
    IPC_SO_TYPE = 12,            /* GETOPT only */
    IPC_IPV6_V6ONLY = 13,
    IPC_OPT_MAX = 13
};

struct ipc_hdr {
    uint32_t magic;
    uint8_t version;
    uint8_t type;                /* enum ipc_type */
    uint16_t flags;
    uint32_t len;                /* body bytes, <= IPC_MAX_BODY */
};

/* 20 bytes on the wire: family u8, pad u8 (0), port u16, addr[16]
 * (IPv4 in the first 4 bytes, the rest 0). */
#define IPC_ENDPOINT_LEN 20
struct ipc_endpoint {
    uint8_t family;              /* enum ipc_family */
    uint16_t port;               /* host order */
    uint8_t addr[16];            /* network order */
};

struct ipc_open {                /* 8 bytes: proto u8, family u8, pad u16, pad u32 */
    uint8_t proto;               /* enum ipc_proto */
    uint8_t family;              /* IPC_AF_INET or IPC_AF_INET6 */
};
struct ipc_attach {              /* 16 bytes */
    uint64_t sock_id;
    uint64_t token;              /* from IPC_MSG_ACCEPT: proves the caller got the fd */
};
struct ipc_addr_req {            /* 20 bytes */
    struct ipc_endpoint ep;
};
struct ipc_listen {              /* 4 bytes */
    int32_t backlog;
};
struct ipc_u32 {                 /* 4 bytes */
    uint32_t value;
};
struct ipc_opt {                 /* 8 bytes */
    uint32_t name;               /* enum ipc_optname */
    int32_t value;
};
/* The one reply: err is 0 or a positive Linux errno; value for GETOPT;
 * the endpoints for OPEN/BIND/LISTEN/CONNECT/GETNAME (unused: family 0).
 * 4 + 4 + 8 + 8 + 20 + 20 = 64 bytes. */
#define IPC_REPLY_LEN 64
struct ipc_reply {
    int32_t err;
    int32_t value;
    uint64_t sock_id;
    uint64_t token;
    struct ipc_endpoint local;
    struct ipc_endpoint remote;
};
/* ACCEPT on a listener's data fd, with the new connection's data fd
 * attached (SCM_RIGHTS): 8 + 8 + 20 + 20 = 56 bytes. */
#define IPC_ACCEPT_LEN 56
struct ipc_accept {
    uint64_t sock_id;
    uint64_t token;
    struct ipc_endpoint local;
    struct ipc_endpoint remote;
};
/* In front of every UDP datagram on a SOCK_SEQPACKET data fd: the peer
 * (to send to, or received from). 20 bytes, then the payload. */
#define IPC_DGRAM_HDR_LEN IPC_ENDPOINT_LEN
#define IPC_DGRAM_MAX 65507      /* IPv4 UDP payload limit: 65535 - 20 - 8 */
#define IPC_DGRAM_MAX6 65527     /* IPv6's, without jumbograms: 65535 - 8 */

/* Errors of the decoders (negative, distinct from errno values). */
enum ipc_err {
    IPC_OK = 0,
    IPC_ETRUNC = -1,             /* fewer bytes than the header/body needs */
    IPC_EMAGIC = -2,             /* not our protocol */
    IPC_EVERSION = -3,           /* a version we do not speak */
    IPC_ETYPE = -4,              /* unknown type, or wrong for the direction */
    IPC_ETOOBIG = -5,            /* len > IPC_MAX_BODY */
    IPC_EBODY = -6,              /* body length wrong for the type, or a bad field */
};
const char *ipc_strerror(int err);

/* Encode a header + body into buf (cap >= IPC_MAX_MSG is always enough).
 * Each returns the total bytes written, or 0 if cap is too small. */
size_t ipc_encode_open(uint8_t *buf, size_t cap, const struct ipc_open *m);
size_t ipc_encode_attach(uint8_t *buf, size_t cap, const struct ipc_attach *m);
size_t ipc_encode_addr_req(uint8_t *buf, size_t cap, uint8_t type, uint16_t flags,
                           const struct ipc_addr_req *m);  /* BIND or CONNECT */
size_t ipc_encode_listen(uint8_t *buf, size_t cap, const struct ipc_listen *m);
size_t ipc_encode_u32(uint8_t *buf, size_t cap, uint8_t type, const struct ipc_u32 *m);
size_t ipc_encode_opt(uint8_t *buf, size_t cap, uint8_t type, const struct ipc_opt *m);
size_t ipc_encode_empty(uint8_t *buf, size_t cap, uint8_t type);   /* GETNAME, GETERR */
size_t ipc_encode_reply(uint8_t *buf, size_t cap, const struct ipc_reply *m);
size_t ipc_encode_accept(uint8_t *buf, size_t cap, const struct ipc_accept *m);
void ipc_encode_endpoint(uint8_t out[IPC_ENDPOINT_LEN], const struct ipc_endpoint *ep);

/* Decode the header at buf (len bytes available). IPC_OK and *h filled, or
 * IPC_ETRUNC (need more bytes: fewer than IPC_HDR_LEN), IPC_EMAGIC,
 * IPC_EVERSION, IPC_ETYPE (unknown type), IPC_ETOOBIG. */
int ipc_decode_hdr(const uint8_t *buf, size_t len, struct ipc_hdr *h);

/* A decoded request (client -> daemon). */
struct ipc_request {
    struct ipc_hdr h;
    union {
        struct ipc_open open;
        struct ipc_attach attach;
        struct ipc_addr_req addr;
        struct ipc_listen listen;
        struct ipc_u32 u32;
        struct ipc_opt opt;
    } u;
};
/* Decode one whole request (header + body, len bytes). Checks the body
 * length per type exactly, enum values (proto, family, optname, shutdown
 * how, endpoint family and padding), backlog >= 0. Returns the bytes the
 * message took (> 0), IPC_ETRUNC if more bytes are needed, or another
 * ipc_err for a malformed message (the daemon closes that connection). */
int ipc_decode_request(const uint8_t *buf, size_t len, struct ipc_request *out);
/* The same for a reply and an accept (daemon -> client). */
int ipc_decode_reply(const uint8_t *buf, size_t len, struct ipc_reply *out);
int ipc_decode_accept(const uint8_t *buf, size_t len, struct ipc_accept *out);
/* An endpoint: IPC_OK or IPC_EBODY (unknown family, non-zero pad, IPv4
 * with bytes 4..15 not 0). */
int ipc_decode_endpoint(const uint8_t in[IPC_ENDPOINT_LEN], struct ipc_endpoint *out);

#endif
