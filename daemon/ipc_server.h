/* ipc_server.h - the daemon's side of ipc/PROTOCOL.md: the Unix socket
 * applications (libtcpip's direct backend) connect to, their sessions,
 * the data fds they get back (one per socket: the socket itself), and the
 * per-client limits.
 *
 * Runs on the daemon's libev loop. Stack callbacks may not close their own
 * socket, so sockets that end are queued and closed by ipc_server_flush(),
 * which the loop's "before sleep" hook calls (as services_flush()). */
#ifndef TCPIPD_IPC_SERVER_H
#define TCPIPD_IPC_SERVER_H

#include <ev.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "daemon/config.h"
#include "stack/stack.h"

struct ipc_server;

typedef uint64_t (*ipc_clock_fn)(void *ctx);

/* Create the listening socket at cfg->path (a stale socket file left by a
 * dead daemon is replaced; a live one is an error), chown/chmod it, start
 * accepting. cfg is copied. NULL with a message in err on failure. */
struct ipc_server *ipc_server_start(struct ev_loop *loop, struct stack *stack,
                                    const struct conf_ipc *cfg, ipc_clock_fn clock,
                                    void *clock_ctx, char *err, size_t errlen);
/* Close the sockets that ended during this loop iteration. */
void ipc_server_flush(struct ipc_server *srv, uint64_t now);
/* Close every client and socket (TCP: as if the applications closed them),
 * remove the socket file, free. NULL is fine. */
void ipc_server_stop(struct ipc_server *srv);

/* SIGHUP: take the new access lists and limits (they apply from the next
 * request; sockets already open stay). Returns false if the socket file's
 * settings (path, owner, group, mode) changed too: those need a restart. */
bool ipc_server_reconfigure(struct ipc_server *srv, const struct conf_ipc *cfg);
/* Lower max_sockets to what the descriptor limit allows (tcpipd.c). */
void ipc_server_clamp_sockets(struct ipc_server *srv, uint32_t max_sockets);
/* The daemon's own uid, allowed in when no allow list is set: call again
 * after a privilege drop. */
void ipc_server_set_self_uid(struct ipc_server *srv, uid_t uid);

/* Counters, for the control channel and STATUS=. */
struct ipc_server_stats {
    uint64_t clients;            /* sessions open now */
    uint64_t pending;            /* ... of which have not sent a request yet */
    uint64_t sockets;            /* sockets open now (TCP, listeners, UDP) */
    uint64_t tombs;              /* ended with an error, still answering SO_ERROR */
    uint64_t tombs_total;        /* sockets that ended with an error, since start */
    uint64_t clients_total;      /* accepted since start */
    uint64_t clients_refused;    /* SO_PEERCRED not allowed */
    uint64_t clients_limited;    /* refused: max_clients, per uid, or pending limits */
    uint64_t clients_timed_out;  /* no first request within pending_timeout_ms */
    uint64_t accept_fd_exhausted; /* accept(2) found no free fd (EMFILE/ENFILE) */
    uint64_t protocol_errors;    /* connections closed for a malformed message */
    uint64_t bytes_to_stack;     /* read from data fds, given to the stack */
    uint64_t bytes_from_stack;   /* written to data fds */
    uint64_t dgrams_dropped;     /* UDP: malformed from the app, or app's end full */
    uint64_t bytes_dropped;      /* TCP: written by the app after its SHUT_WR */
    uint64_t buffer_bytes;       /* buffer bytes charged to all clients now */
};
void ipc_server_get_stats(const struct ipc_server *srv, struct ipc_server_stats *out);

/* One socket and who owns it, for `tcpipctl sockets`. Exactly one of tcp
 * and udp is set; the pointers are valid until the loop runs again. */
struct ipc_sock_owner {
    uint64_t sock_id;
    struct tcp_sock *tcp;
    struct udp_sock *udp;
    pid_t pid;                   /* SO_PEERCRED of the owner */
    uid_t uid;
    uint64_t bytes_to_stack, bytes_from_stack;
};
/* Copy up to max entries into out; returns how many sockets exist. */
size_t ipc_server_list(const struct ipc_server *srv, struct ipc_sock_owner *out, size_t max);

/* Per-client (per peer pid) usage, for tests and tools: sockets and the
 * buffer bytes charged against max_buffer_per_client. -1 if that pid has
 * no socket and no connection. */
int ipc_server_client_usage(const struct ipc_server *srv, pid_t pid, uint32_t *sockets,
                            uint64_t *buffer_bytes);

#endif
