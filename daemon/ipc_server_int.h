/* ipc_server_int.h - internal to daemon/ipc_*.c: the server's objects and
 * the functions its files share. ipc_server.c: the listening socket,
 * control connections, requests; ipc_sock.c: endpoints, per-client
 * limits, the socket table and closing; ipc_tcp.c: TCP sockets and their
 * byte stream; ipc_udp.c: UDP sockets and their datagrams. */
#ifndef TCPIPD_IPC_SERVER_INT_H
#define TCPIPD_IPC_SERVER_INT_H

#include <stdbool.h>

#include "daemon/ipc_server.h"
#include "ipc/ipc.h"
#include "stack/util/siphash.h"

/* Bytes taken off a TCP socket and not yet written to a full data fd.
 * Small next to the TCP receive buffer (the real buffer: while this is
 * full nothing is read from it, so the window closes), but 64 KiB so a
 * bulk transfer wakes the application once per 64 KiB, not per 16: the
 * wake-ups were the cost (make bench, bench/README.md). */
#define IPC_PEND_CAP 65536
/* A read from a data fd: at most this many bytes per call. */
#define IPC_IO_CHUNK 65536
/* Budget charged for a UDP socket (its stack receive queue plus one
 * datagram in flight), against max_buffer_per_client. */
#define IPC_UDP_CHARGE (212992u + 65536u)
/* How often sockets without a control connection are checked for a
 * data fd the application has closed everywhere (POLLHUP). */
#define IPC_HUP_SWEEP_SEC 1.0

/* Usage of one peer process (SO_PEERCRED pid): the limits are per client. */
struct ipc_owner {
    struct ipc_owner *next;
    pid_t pid;
    uid_t uid;
    uint32_t refs;               /* control connections + sockets */
    uint32_t sockets;
    uint64_t buffer;             /* bytes charged */
};

enum ipc_wait {
    IPC_WAIT_NONE,
    IPC_WAIT_CONNECT,            /* blocking CONNECT: reply on the outcome */
    IPC_WAIT_GETERR,             /* GETERR during a non-blocking connect */
};

/* One control connection. */
struct ipc_client {
    struct ipc_server *srv;
    struct ipc_client *next;
    int fd;
    ev_io io;
    pid_t pid;
    uid_t uid;
    gid_t gid;
    bool refused;                /* credentials not allowed: EACCES, then close */
    bool dead;                   /* freed by ipc_server_flush */
    struct ipc_owner *owner;
    struct ipc_sock *sock;       /* NULL while fresh */
    enum ipc_wait waiting;       /* requests after this one wait */
    size_t in_len;
    uint8_t in[IPC_MAX_MSG];
};

/* One socket served to an application. */
struct ipc_sock {
    struct ipc_server *srv;
    struct ipc_sock *next;
    uint64_t id, token;
    uint8_t proto, family;       /* enum ipc_proto, enum ipc_family */
    struct ipc_owner *owner;
    uint64_t charge;             /* bytes charged against the owner */
    struct ipc_client *ctl;      /* NULL: none (yet, or any more) */
    bool attached_once;          /* ATTACH done: a second one is EALREADY */
    struct tcp_sock *ts;
    struct udp_sock *us;
    int fd;                      /* the daemon's end of the data socketpair */
    ev_io rd, wr;
    bool bound, listening, connecting, connected;
    bool app_eof;                /* EOF read from the data fd: our FIN is queued */
    bool peer_eof;               /* the peer's FIN read from the stack */
    bool data_shut;              /* shutdown(fd, SHUT_WR) done */
    bool rd_shut;                /* SHUT_RD: incoming data is discarded */
    bool hup;                    /* the application's end is closed */
    bool dead;                   /* waiting for ipc_server_flush */
    bool abort;                  /* flush resets instead of closing */
    int err;                     /* pending error (GETERR), positive errno */
    struct ipc_sock *held_sock;  /* listener: accepted, ACCEPT not yet sent */
    int held_fd;                 /* ... and the app's end of its data fd */
    size_t pend_off, pend_len;   /* TCP -> app bytes waiting in pend */
    uint8_t *pend;               /* IPC_PEND_CAP bytes (TCP only) */
    uint64_t bytes_to_stack, bytes_from_stack;
};

struct ipc_server {
    struct ev_loop *loop;
    struct stack *stack;
    struct conf_ipc cfg;
    ipc_clock_fn clock;
    void *clock_ctx;
    int fd;                      /* listening socket; -1 if none */
    bool path_created;           /* remove cfg.path at stop */
    ev_io io;
    ev_timer sweep;
    uid_t self_uid;
    struct ipc_client *clients;
    struct ipc_sock *socks;
    struct ipc_sock *closing;    /* dead, closed by ipc_server_flush */
    struct ipc_owner *owners;
    uint64_t next_id;
    uint8_t token_key[SIPHASH_KEY_LEN]; /* tokens are a keyed hash of the id */
    bool token_key_set;          /* false: getrandom failed, no token matches */
    bool socket_freed;           /* listeners may accept again */
    struct ipc_server_stats st;
    uint8_t io_buf[IPC_IO_CHUNK + IPC_DGRAM_HDR_LEN];
};

/* ipc_sock.c */
struct ipc_owner *ipc_owner_get(struct ipc_server *srv, pid_t pid, uid_t uid);
void ipc_owner_put(struct ipc_server *srv, struct ipc_owner *o);
/* ipc_server.c */
uint64_t ipc_now(const struct ipc_server *srv);
/* Send one REPLY on c (with fd attached if fd >= 0). 0 or -1 (the client
 * is then closed: it does not read its replies). */
int ipc_client_reply(struct ipc_client *c, const struct ipc_reply *r, int fd);
/* The reply for a waiting request resolved: send it, resume reading. */
void ipc_client_resume(struct ipc_client *c, const struct ipc_reply *r);
/* A socket ends: watchers stopped, fd closed, limits released; the stack
 * socket is closed (or reset if abort) by ipc_server_flush. */
void ipc_sock_kill(struct ipc_sock *s, bool abort);
/* A new socket charged to owner: EMFILE/ENFILE/ENOBUFS as positive errno. */
int ipc_sock_charge_check(struct ipc_server *srv, struct ipc_owner *o, uint64_t bytes);
struct ipc_sock *ipc_sock_new(struct ipc_server *srv, struct ipc_owner *o, uint8_t proto,
                              uint8_t family, uint64_t charge);
/* The data socketpair of s, of type SOCK_STREAM (TCP) or SOCK_SEQPACKET
 * (UDP): s->fd is the daemon's end, non-blocking; *app_fd the
 * application's, blocking as a fresh socket(2) is (the library changes it
 * as it is told). 0, or ENFILE, ENOMEM or EIO. */
int ipc_sock_pair(struct ipc_sock *s, int type, int *app_fd);
/* Whether the application's end of s->fd is gone. */
bool ipc_fd_hung_up(int fd);
void ipc_ep_from_stack(struct ipc_endpoint *out, const struct ip_endpoint *in);
int ipc_ep_to_stack(struct ip_endpoint *out, const struct ipc_endpoint *in);
void ipc_ep_unspec(struct ipc_endpoint *out, uint8_t family);
bool ipc_port_allowed(const struct ipc_server *srv, uid_t uid, uint16_t port);

/* ipc_tcp.c: 0 and *fd_out = the app's end, or a positive errno. */
int ipc_tcp_open(struct ipc_sock *s, int *fd_out);
/* Handle one request on a TCP socket; fills r (or sets c->waiting). */
void ipc_tcp_request(struct ipc_client *c, const struct ipc_request *q, struct ipc_reply *r);
void ipc_tcp_resume_listeners(struct ipc_server *srv);
/* Control connection gone: does the socket end now? */
void ipc_tcp_ctl_gone(struct ipc_sock *s);
void ipc_tcp_flush(struct ipc_sock *s, uint64_t now);

/* ipc_udp.c */
int ipc_udp_open(struct ipc_sock *s, int *fd_out);
void ipc_udp_request(struct ipc_client *c, const struct ipc_request *q, struct ipc_reply *r);

#endif
