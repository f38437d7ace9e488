/* control.h - tcpipd's control channel, for tcpipctl (docs/control.md).
 *
 * A Unix stream socket (default /run/tcpipd/control.sock). A client sends
 * one request line ("sockets\n", "capture start /tmp/x.pcap\n"), the
 * daemon answers one JSON document and closes:
 *   {"ok":true,"data":...}   or   {"ok":false,"error":"...","errno":N}
 * Requests are bounded (CONTROL_REQUEST_MAX bytes with the newline); every
 * client is non-blocking on the daemon's loop and dropped after
 * CONTROL_CLIENT_TIMEOUT_S. Access: the peer's SO_PEERCRED uid must be 0
 * or the daemon's own uid (finer ACLs come with the IPC server).
 *
 * Two halves: control_cmd.c parses a request and builds the reply from a
 * struct control_env (no I/O: the unit tests call it with a fake netif);
 * control.c is the libev server around it. */
#ifndef TCPIPD_CONTROL_H
#define TCPIPD_CONTROL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "daemon/capture.h"
#include "daemon/ipc_server.h"
#include "daemon/services.h"
#include "stack/stack.h"

#define CONTROL_DEFAULT_PATH "/run/tcpipd/control.sock"
#define CONTROL_DEFAULT_MODE 0660
#define CONTROL_REQUEST_MAX 1024
#define CONTROL_CLIENT_TIMEOUT_S 5.0
#define CONTROL_MAX_CLIENTS 32
#define CONTROL_PATH_MAX 108         /* sizeof sun_path */

/* An interface as the daemon configured it (the stack has no query API). */
struct control_iface {
    char name[STACK_IFNAMSIZ];
    int ifindex;
    struct eth_addr mac;
    uint16_t mtu;
    bool up;
    bool has_ipv4;
    uint32_t ipv4_addr;              /* host order */
    uint8_t ipv4_prefix_len;
    uint32_t ipv4_gateway;           /* 0: none */
};

/* What the commands read. The daemon fills it once at start; now_ns is
 * set for each request. */
struct control_env {
    struct stack *stack;
    /* The daemon's own pointer: a SIGHUP reload replaces the services.
     * NULL, or *services NULL: no services. */
    struct services *const *services;
    struct capture *capture;         /* may be NULL: capture commands fail */
    /* The daemon's IPC server pointer (NULL, or *ipc NULL: no clients):
     * who owns each socket an application opened. */
    struct ipc_server *const *ipc;
    struct control_iface ifaces[STACK_MAX_NETIFS];
    size_t n_ifaces;
    uint64_t started_ns;             /* monotonic, at start */
    uint64_t now_ns;                 /* monotonic, this request */
    /* Optional: bring the kernel side of a TAP to a new MTU (it needs
     * CAP_NET_ADMIN, which the daemon may have dropped): 0, or -errno with
     * a message in err. NULL: the stack's side only. */
    int (*set_host_mtu)(void *ctx, const char *ifname, unsigned mtu, char *err, size_t errlen);
    void *set_host_mtu_ctx;
    long pid;                        /* the daemon's */
    unsigned uid;                    /* the daemon's effective uid */
    const char *version;
};

enum control_cmd {
    CONTROL_CMD_STATUS,
    CONTROL_CMD_LINK,
    CONTROL_CMD_ADDR,
    CONTROL_CMD_NEIGH,
    CONTROL_CMD_ROUTE,
    CONTROL_CMD_SOCKETS,
    CONTROL_CMD_STATS,
    CONTROL_CMD_CAPTURE_START,
    CONTROL_CMD_CAPTURE_STOP,
    CONTROL_CMD_CAPTURE_STATUS,
    /* Live changes (daemon/control_change.c), as `ip` makes them. */
    CONTROL_CMD_ADDR_ADD,        /* addr add|del PREFIX dev NAME */
    CONTROL_CMD_ADDR_DEL,
    CONTROL_CMD_ROUTE_ADD,       /* route add|del TO [via GW] [dev NAME] [metric N] */
    CONTROL_CMD_ROUTE_DEL,
    CONTROL_CMD_NEIGH_ADD,       /* neigh add IP lladdr MAC dev NAME */
    CONTROL_CMD_NEIGH_DEL,       /* neigh del IP dev NAME */
    CONTROL_CMD_LINK_SET_MTU,    /* link set [dev] NAME mtu N */
    CONTROL_CMD_STATS_PROMETHEUS, /* stats prometheus: the exposition text */
};

#define CONTROL_ARG_MAX 64           /* one word of a change request */
#define CONTROL_ARGS 8

struct control_request {
    enum control_cmd cmd;
    /* capture start PATH [MAX_BYTES] [FILTER...] */
    char path[CAPTURE_PATH_MAX];
    uint64_t max_bytes;              /* 0: the default */
    char filter[CAPTURE_FILTER_TEXT_MAX];
    /* A change's words after the verb, as key/value where `ip` has them:
     * the first is the object (PREFIX, TO, IP or NAME), then pairs. */
    char args[CONTROL_ARGS][CONTROL_ARG_MAX];
    size_t n_args;
};

/* Parse one request of len bytes (a trailing "\n" or "\r\n" is allowed,
 * no other control characters or NULs). 0, or -errno (-EINVAL unknown or
 * malformed, -EMSGSIZE too long) with a message in err. */
int control_parse_request(const char *line, size_t len, struct control_request *req, char *err,
                          size_t errlen);

/* The reply document for one request line: a NUL-terminated JSON text
 * the caller frees, or NULL if out of memory. Capture commands act on
 * env->capture. */
char *control_handle(struct control_env *env, const char *line, size_t len);
/* {"ok":false,"error":msg,"errno":errnum} (errnum positive), or NULL. */
char *control_error_reply(int errnum, const char *msg);

struct ev_loop;
struct control;

/* Listen on path with the given file mode. A stale socket file (nobody
 * answers on it) is replaced; a live one or a non-socket file is an
 * error. The parent directory is created (0755) if missing. env must
 * outlive the server. NULL with a message in err (errno set). */
struct control *control_start(struct ev_loop *loop, const char *path, unsigned mode,
                              struct control_env *env, char *err, size_t errlen);
/* Close every client and the listener, remove the socket file (if it is
 * still ours). NULL is fine. */
void control_stop(struct control *c);

#endif
