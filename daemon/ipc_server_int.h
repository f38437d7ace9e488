/* ipc_server_int.h - internal to daemon/ipc_*.c: the server's objects and
 * the functions its files share. ipc_server.c: the listening socket and
 * the sessions (requests and replies); ipc_sock.c: endpoints, per-client
 * limits, the socket table (by SO_COOKIE), data socketpairs, the epoll set
 * that watches them, and the end of a socket; ipc_tcp.c: TCP sockets and
 * their byte stream; ipc_udp.c: UDP sockets and their datagrams. */
#ifndef TCPIPD_IPC_SERVER_INT_H
#define TCPIPD_IPC_SERVER_INT_H

#include <stdbool.h>

#include "daemon/ipc_server.h"
#include "ipc/ipc.h"

/* A read from a data fd, and a UDP datagram: at most this many bytes. */
#define IPC_IO_CHUNK 65536
/* Budget charged for a UDP socket (its stack receive queue plus one
 * datagram in flight), against max_buffer_per_client. */
#define IPC_UDP_CHARGE (212992u + 65536u)
/* Sessions that have not sent their first request: at most this many in
 * all and per uid (more are refused at once), for at most
 * cfg.pending_timeout_ms each. */
#define IPC_MAX_PENDING 256
#define IPC_MAX_PENDING_PER_UID 64
/* Sockets whose connection ended with an error keep answering (SO_ERROR,
 * names) after their data fd is closed on our side: at most this many,
 * the oldest forgotten first. */
#define IPC_MAX_TOMBS 4096
/* Work done for one socket per turn of the loop before the others get a
 * turn (the rest waits on the "again" list). */
#define IPC_TURN_OPS 16

/* Usage of one peer process (SO_PEERCRED pid): the limits are per client. */
struct ipc_owner {
    struct ipc_owner *next;
    pid_t pid;
    uid_t uid;
    uint32_t refs;               /* sessions + sockets */
    uint32_t sockets;
    uint64_t buffer;             /* bytes charged */
};

/* One session: a Unix connection from a client process. Requests on any
 * socket whose data fd comes with them. */
struct ipc_client {
    struct ipc_server *srv;
    struct ipc_client *next;
    int fd;
    ev_io io;
    pid_t pid;
    uid_t uid;
    gid_t gid;
    bool pending;                /* no request yet: counts in the pending limits */
    bool dead;                   /* freed by ipc_server_flush */
    double since;                /* accepted at, ev_now (the pending deadline) */
    struct ipc_owner *owner;
    int in_fd;                   /* the fd that came with the request being read */
    size_t in_len;
    uint8_t in[IPC_MAX_MSG];
};

/* Per uid: sessions open and pending. */
struct ipc_uid_use {
    struct ipc_uid_use *next;
    uid_t uid;
    uint32_t clients, pending;
};

/* One socket served to an application. */
struct ipc_sock {
    struct ipc_server *srv;
    struct ipc_sock *next, *prev;    /* srv->socks, or srv->tombs */
    struct ipc_sock *hnext;          /* cookie hash chain */
    struct ipc_sock *again_next;     /* srv->again: more work next turn */
    struct ipc_sock *bury_next;      /* srv->burying: stack socket to close */
    uint64_t id;
    uint64_t cookie;             /* SO_COOKIE of the application's end */
    uint8_t proto, family;       /* enum ipc_proto, enum ipc_family */
    struct ipc_owner *owner;
    uint64_t charge;             /* bytes charged against the owner */
    struct tcp_sock *ts;
    struct udp_sock *us;
    int fd;                      /* the daemon's end of the data socketpair; -1 in a tomb */
    uint32_t ep_events;          /* what it is registered for in srv->ep */
    bool bound, listening, connecting, connected;
    bool tomb;                   /* ended with an error: only answers requests */
    bool app_gone;               /* every copy of the application's end is closed */
    bool app_eof;                /* nothing more will be read from the data fd */
    bool app_pending;            /* EPOLLIN seen but not read out (send buffer full) */
    bool hup_seen;               /* EPOLLRDHUP seen: read on to the end of file */
    bool so_broadcast;           /* TCP: SO_BROADCAST as set (no effect) */
    bool linger_on;              /* TCP: SO_LINGER as set, read back as set */
    int linger_secs;
    bool wr_shut;                /* SHUTDOWN(WR) asked: FIN after fin_at bytes */
    bool fin_sent;
    bool rd_shut;                /* SHUTDOWN(RD) asked */
    bool data_shut;              /* shutdown(fd, SHUT_WR) done: the app reads EOF */
    bool out_blocked;            /* the data fd is full; EPOLLOUT armed */
    bool in_again;
    bool dead;                   /* waiting for ipc_server_flush */
    bool abort;                  /* flush resets instead of closing */
    int err;                     /* pending error (GETERR), positive errno */
    uint64_t fin_at;             /* bytes_to_stack at which our FIN goes */
    /* TCP connect: the application's end, plugged (PROTOCOL.md 7.2). */
    int plug_fd;
    size_t plug_len;
    int plug_sndbuf;
    /* UDP: datagrams carry no endpoint (connected) */
    bool unframed;
    /* listener: accepted, ACCEPT not yet sent */
    struct ipc_sock *held_sock;
    int held_fd;
    uint64_t held_cookie;
    /* names kept for a tomb */
    struct ipc_endpoint tomb_local, tomb_remote;
    uint64_t bytes_to_stack, bytes_from_stack, bytes_dropped;
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
    ev_timer backoff;            /* accept paused after EMFILE/ENFILE */
    ev_timer pending_timer;      /* closes sessions past their first-request deadline */
    int reserve_fd;              /* kept free for EMFILE (see server_accept) */
    double emfile_logged_at;
    uint64_t emfile_count;
    int ep;                      /* epoll set of the data fds (edge-triggered) */
    ev_io ep_io;
    ev_idle again_idle;          /* keeps the loop turning while srv->again is not empty */
    uid_t self_uid;
    struct ipc_client *clients;
    struct ipc_uid_use *uids;
    uint32_t pending;
    struct ipc_sock *socks;      /* live sockets */
    struct ipc_sock *tombs, *tombs_tail;
    uint32_t n_tombs;
    struct ipc_sock *closing;    /* dead, closed by ipc_server_flush */
    struct ipc_sock *burying;    /* tombs whose stack socket flush closes */
    struct ipc_sock *again;      /* sockets with work left */
    struct ipc_sock **hash;      /* by cookie, live and tombs */
    size_t hash_size, hash_count;
    struct ipc_owner *owners;
    uint64_t next_id;
    bool socket_freed;           /* listeners may accept again */
    struct ipc_server_stats st;
    uint8_t io_buf[IPC_IO_CHUNK + IPC_DGRAM_HDR_LEN];
};

/* ipc_sock.c */
struct ipc_owner *ipc_owner_get(struct ipc_server *srv, pid_t pid, uid_t uid);
void ipc_owner_put(struct ipc_server *srv, struct ipc_owner *o);
/* A new socket charged to owner: EMFILE/ENFILE/ENOBUFS as positive errno. */
int ipc_sock_charge_check(struct ipc_server *srv, struct ipc_owner *o, uint64_t bytes);
struct ipc_sock *ipc_sock_new(struct ipc_server *srv, struct ipc_owner *o, uint8_t proto,
                              uint8_t family, uint64_t charge);
/* The data socketpair of s, of type SOCK_STREAM (TCP) or SOCK_SEQPACKET
 * (UDP): s->fd is the daemon's end, registered in the epoll set for
 * `events` (EPOLLRDHUP is always added); *app_fd the application's,
 * blocking as a fresh socket(2) is; s->cookie names it. 0, or ENFILE,
 * ENOMEM or EIO. */
int ipc_sock_pair(struct ipc_sock *s, int type, uint32_t events, int *app_fd);
/* Change what s->fd is watched for (EPOLLRDHUP stays). */
void ipc_sock_watch(struct ipc_sock *s, uint32_t events);
/* The socket an application's fd names (its SO_COOKIE), live or tomb, or
 * NULL. */
struct ipc_sock *ipc_sock_by_fd(struct ipc_server *srv, int fd);
/* A socket ends: its fd is closed, limits released; the stack socket is
 * closed (or reset if abort) by ipc_server_flush. */
void ipc_sock_kill(struct ipc_sock *s, bool abort);
/* A TCP connection ended with error err: the data fd is closed on our
 * side (the application sees EOF and POLLHUP), the stack socket goes, and
 * a tomb keeps answering SO_ERROR and the names (PROTOCOL.md 7.1). */
void ipc_sock_bury(struct ipc_sock *s, int err);
/* Work left for s: run it on a later turn. */
void ipc_sock_again(struct ipc_sock *s);
/* The reply's fields that describe s. */
void ipc_reply_sock(struct ipc_reply *r, const struct ipc_sock *s);
void ipc_ep_from_stack(struct ipc_endpoint *out, const struct ip_endpoint *in);
int ipc_ep_to_stack(struct ip_endpoint *out, const struct ipc_endpoint *in);
void ipc_ep_unspec(struct ipc_endpoint *out, uint8_t family);
bool ipc_port_allowed(const struct ipc_server *srv, uid_t uid, uint16_t port);
/* The epoll set: create, dispatch, destroy. */
int ipc_ep_start(struct ipc_server *srv);
void ipc_ep_stop(struct ipc_server *srv);
uint64_t ipc_now(const struct ipc_server *srv);
/* Receive a socket's app fd (in a request) and read its SO_COOKIE. */
bool ipc_fd_cookie(int fd, uint64_t *cookie);

/* ipc_tcp.c */
int ipc_tcp_open(struct ipc_sock *s, int *fd_out);
/* Handle one request on a TCP socket; fills r. fd: the application's end
 * that came with the request; the call may keep it (setting *fd to -1). */
void ipc_tcp_request(struct ipc_client *c, struct ipc_sock *s, const struct ipc_request *q,
                     int *fd, struct ipc_reply *r);
void ipc_tcp_info(struct ipc_sock *s, struct ipc_info *out);
void ipc_tcp_resume_listeners(struct ipc_server *srv);
/* Events of the data fd (EPOLL* bits), and work left from an earlier turn. */
void ipc_tcp_events(struct ipc_sock *s, uint32_t events);
void ipc_tcp_flush(struct ipc_sock *s, uint64_t now);

/* ipc_udp.c */
int ipc_udp_open(struct ipc_sock *s, int *fd_out);
void ipc_udp_request(struct ipc_client *c, struct ipc_sock *s, const struct ipc_request *q,
                     struct ipc_reply *r);
void ipc_udp_events(struct ipc_sock *s, uint32_t events);

#endif
