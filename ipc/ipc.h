/* ipc.h - the Unix-domain protocol between tcpipd and its clients
 * (libtcpip's direct backend). The full description is ipc/PROTOCOL.md;
 * this header is its C form.
 *
 * Shared by daemon/ and client-lib/; depends on libc only (no stack/
 * types: addresses travel as struct ipc_endpoint).
 *
 * Model (version 2): a socket of the application is ONE file descriptor,
 * an end of a socketpair the daemon made: the *data fd*. It carries the
 * raw byte stream (TCP), IPC_MSG_ACCEPT messages (a listener) or one
 * datagram per SOCK_SEQPACKET message (UDP). Requests about a socket
 * (bind, connect, options...) travel on a *session*: a Unix stream
 * connection to the daemon that any number of sockets share; each such
 * request carries the socket's data fd in SCM_RIGHTS, which names the
 * socket (the daemon knows its sockets by the fd's SO_COOKIE) and proves
 * that the caller holds it. So dup, fork and SCM_RIGHTS need nothing of
 * the protocol, and the socket ends when the last copy of its data fd is
 * closed, as a kernel socket does.
 *
 * Every message is a 12-byte header and a body of fixed layout; all
 * integers in network byte order; every length and enum checked by
 * ipc_decode_*().
 */
#ifndef TCPIP_IPC_H
#define TCPIP_IPC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define IPC_MAGIC 0x54435049u    /* "TCPI" */
#define IPC_VERSION 2            /* the version this code speaks */
#define IPC_HDR_LEN 12
#define IPC_MAX_BODY 256         /* larger bodies are a protocol error */
#define IPC_MAX_MSG (IPC_HDR_LEN + IPC_MAX_BODY)
#define IPC_DEFAULT_PATH "/run/tcpipd/tcpipd.sock"

/* Message types. Requests go client -> daemon on a session, each
 * answered by exactly one IPC_MSG_REPLY (or IPC_MSG_INFO), in order. Every
 * request but OPEN carries exactly one fd: the data fd of the socket it is
 * about. */
enum ipc_type {
    IPC_OP_OPEN = 1,             /* new socket: body ipc_open; reply + data fd */
    IPC_OP_LOOKUP = 2,           /* empty: what socket the fd is (reply fields) */
    IPC_OP_BIND = 3,             /* body ipc_addr_req */
    IPC_OP_LISTEN = 4,           /* body ipc_listen */
    IPC_OP_CONNECT = 5,          /* body ipc_addr_req; never waits: 0,
                                    EINPROGRESS (TCP) or an error */
    IPC_OP_SHUTDOWN = 6,         /* body ipc_u32 (0 RD, 1 WR, 2 RDWR) */
    IPC_OP_SETOPT = 7,           /* body ipc_opt */
    IPC_OP_GETOPT = 8,           /* body ipc_opt (value ignored) */
    IPC_OP_GETNAME = 9,          /* empty body: reply carries both names */
    IPC_OP_GETERR = 10,          /* empty: SO_ERROR, read and cleared; never waits */
    IPC_OP_GETINFO = 11,         /* empty: TCP_INFO; answered by IPC_MSG_INFO */
    IPC_MSG_REPLY = 64,          /* body ipc_reply */
    IPC_MSG_ACCEPT = 65,         /* on a listener's data fd: body ipc_accept + fd */
    IPC_MSG_INFO = 66,           /* body ipc_info: the answer to a GETINFO */
};

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
    IPC_TCP_MAXSEG = 11,
    IPC_SO_TYPE = 12,            /* GETOPT only */
    IPC_IPV6_V6ONLY = 13,
    IPC_SO_BROADCAST = 14,       /* UDP */
    IPC_SO_REUSEPORT = 15,
    IPC_IP_TOS = 16,             /* IPv4 sockets (and v4 traffic of IPv6 ones) */
    IPC_IPV6_TCLASS = 17,        /* IPv6 sockets */
    IPC_TCP_CORK = 18,
    IPC_TCP_QUICKACK = 19,
    IPC_OPT_MAX = 19
};

/* Socket states a reply reports (the daemon's view). */
enum ipc_state {
    IPC_ST_NEW = 0,              /* opened, maybe bound */
    IPC_ST_CONNECTING = 1,       /* TCP connect under way */
    IPC_ST_CONNECTED = 2,        /* TCP established (or finishing); UDP with a peer */
    IPC_ST_LISTENING = 3,
    IPC_ST_CLOSED = 4,           /* TCP: the connection ended with an error */
    IPC_ST_MAX = 4
};
/* Reply flags: what the socket has been shut down for. */
#define IPC_SF_RD_SHUT 0x01
#define IPC_SF_WR_SHUT 0x02
#define IPC_SF_ALL 0x03

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
/* The one reply: err is 0 or a positive Linux errno; value for GETOPT
 * and GETERR; what the socket is (sock_id, proto, family, state, flags:
 * every reply about a socket says it, LOOKUP exists for that alone); the
 * endpoints for OPEN/LOOKUP/BIND/LISTEN/CONNECT/GETNAME (unused: family 0).
 * 4 + 4 + 8 + 1 + 1 + 1 + 1 + 4 (pad) + 20 + 20 = 64 bytes. */
#define IPC_REPLY_LEN 64
struct ipc_reply {
    int32_t err;
    int32_t value;
    uint64_t sock_id;
    uint8_t proto;               /* enum ipc_proto, 0 on a reply about no socket */
    uint8_t family;              /* IPC_AF_INET/INET6, 0 on a reply about no socket */
    uint8_t state;               /* enum ipc_state */
    uint8_t flags;               /* IPC_SF_* */
    struct ipc_endpoint local;
    struct ipc_endpoint remote;
};
/* ACCEPT on a listener's data fd, with the new connection's data fd
 * attached (SCM_RIGHTS): 8 + 20 + 20 = 48 bytes. */
#define IPC_ACCEPT_LEN 48
struct ipc_accept {
    uint64_t sock_id;
    struct ipc_endpoint local;
    struct ipc_endpoint remote;
};
/* INFO: a TCP socket's state in the terms of Linux's struct tcp_info
 * (times in microseconds, sizes in bytes, cwnd/ssthresh in segments).
 * 8 one-byte fields, 23 u32, 4 u64 = 132 bytes. */
#define IPC_INFO_LEN 132
#define IPC_INFO_U32 23
struct ipc_info {
    uint8_t state;               /* Linux's TCP_ESTABLISHED (1) ... TCP_CLOSING (11) */
    uint8_t ca_state, retransmits, probes, backoff;
    uint8_t options;             /* TCPI_OPT_TIMESTAMPS 1, SACK 2, WSCALE 4 */
    uint8_t snd_wscale, rcv_wscale;
    uint32_t rto, ato, snd_mss, rcv_mss, unacked, sacked, lost, retrans;
    uint32_t last_data_sent, last_data_recv, last_ack_recv, pmtu, rcv_ssthresh;
    uint32_t rtt, rttvar, snd_ssthresh, snd_cwnd, advmss, reordering, rcv_space;
    uint32_t total_retrans, snd_wnd, rcv_wnd;
    uint64_t bytes_acked, bytes_received, segs_out, segs_in;
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
size_t ipc_encode_addr_req(uint8_t *buf, size_t cap, uint8_t type,
                           const struct ipc_addr_req *m);  /* BIND or CONNECT */
size_t ipc_encode_listen(uint8_t *buf, size_t cap, const struct ipc_listen *m);
size_t ipc_encode_u32(uint8_t *buf, size_t cap, uint8_t type, const struct ipc_u32 *m);
size_t ipc_encode_opt(uint8_t *buf, size_t cap, uint8_t type, const struct ipc_opt *m);
size_t ipc_encode_empty(uint8_t *buf, size_t cap, uint8_t type); /* LOOKUP, GETNAME, GETERR, GETINFO */
size_t ipc_encode_reply(uint8_t *buf, size_t cap, const struct ipc_reply *m);
size_t ipc_encode_accept(uint8_t *buf, size_t cap, const struct ipc_accept *m);
size_t ipc_encode_info(uint8_t *buf, size_t cap, const struct ipc_info *m);
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
        struct ipc_addr_req addr;
        struct ipc_listen listen;
        struct ipc_u32 u32;
        struct ipc_opt opt;
    } u;
};
/* Whether a request of this type carries a socket's data fd (all but OPEN). */
bool ipc_request_takes_fd(uint8_t type);
/* Decode one whole request (header + body, len bytes). Checks the body
 * length per type exactly, enum values (proto, family, optname, shutdown
 * how, endpoint family and padding), backlog >= 0, flags 0. Returns the bytes the
 * message took (> 0), IPC_ETRUNC if more bytes are needed, or another
 * ipc_err for a malformed message (the daemon closes that connection). */
int ipc_decode_request(const uint8_t *buf, size_t len, struct ipc_request *out);
/* The same for a reply and an accept (daemon -> client). */
int ipc_decode_reply(const uint8_t *buf, size_t len, struct ipc_reply *out);
int ipc_decode_accept(const uint8_t *buf, size_t len, struct ipc_accept *out);
int ipc_decode_info(const uint8_t *buf, size_t len, struct ipc_info *out);
/* An endpoint: IPC_OK or IPC_EBODY (unknown family, non-zero pad, IPv4
 * with bytes 4..15 not 0). */
int ipc_decode_endpoint(const uint8_t in[IPC_ENDPOINT_LEN], struct ipc_endpoint *out);

#endif
