/* internal.h - what the files of libtcpip share and nothing else sees.
 *
 * Every name here is hidden in libtcpip.so (-fvisibility=hidden); in
 * libtcpip.a they carry the libtcpip_ prefix so that they cannot clash
 * with an application's own symbols. The unit test links libtcpip.a and
 * calls them directly. */
#ifndef TCPIP_CLIENT_INTERNAL_H
#define TCPIP_CLIENT_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "client-lib/tcpip.h"
#include "ipc/ipc.h"

/* One backend: the BSD calls, each with its POSIX contract. */
struct libtcpip_ops {
    const char *name;
    int (*socket)(int domain, int type, int protocol);
    int (*bind)(int fd, const struct sockaddr *addr, socklen_t len);
    int (*listen)(int fd, int backlog);
    int (*accept4)(int fd, struct sockaddr *addr, socklen_t *len, int flags);
    int (*connect)(int fd, const struct sockaddr *addr, socklen_t len);
    ssize_t (*sendto)(int fd, const void *buf, size_t len, int flags,
                      const struct sockaddr *to, socklen_t tolen);
    ssize_t (*recvfrom)(int fd, void *buf, size_t len, int flags, struct sockaddr *from,
                        socklen_t *fromlen);
    int (*shutdown)(int fd, int how);
    int (*close)(int fd);
    int (*getsockname)(int fd, struct sockaddr *addr, socklen_t *len);
    int (*getpeername)(int fd, struct sockaddr *addr, socklen_t *len);
    int (*setsockopt)(int fd, int level, int name, const void *val, socklen_t len);
    int (*getsockopt)(int fd, int level, int name, void *val, socklen_t *len);
};

extern const struct libtcpip_ops libtcpip_socket_ops;
extern const struct libtcpip_ops libtcpip_direct_ops;

/* ---- tcpip.c: backend choice ---- */

/* "direct" -> DIRECT, "socket" -> SOCKET, NULL or "" -> DEFAULT, anything
 * else -> -1. */
int libtcpip_parse_backend(const char *name);
/* Forget the chosen backend (tests only: the choice is otherwise final). */
void libtcpip_reset_backend(void);

/* ---- sockaddr.c: sockaddr <-> struct ipc_endpoint ---- */

/* Check and convert an application's address for a socket of `family`
 * (AF_INET or AF_INET6), as Linux checks it in bind/connect/sendto:
 * 0, or a positive errno (EINVAL short length, EAFNOSUPPORT wrong family).
 * AF_UNSPEC is accepted only when allow_unspec (connect: dissolve the
 * association; sendto: no address) and gives family IPC_AF_UNSPEC. */
int libtcpip_sockaddr_to_ep(int family, const struct sockaddr *addr, socklen_t len,
                            bool allow_unspec, struct ipc_endpoint *ep);
/* Write ep into the application's buffer the way the kernel does: at
 * most *len bytes copied, *len set to the full size of the address. An
 * IPC_AF_UNSPEC endpoint is written as the unspecified address of
 * `family` (an unbound socket's name). 0, or EINVAL (NULL len, negative). */
int libtcpip_ep_to_sockaddr(int family, const struct ipc_endpoint *ep,
                            struct sockaddr *addr, socklen_t *len);

/* ---- direct_table.c: fd -> direct socket ---- */

enum dsock_state {
    DSOCK_NEW = 0,               /* opened (maybe bound) */
    DSOCK_CONNECTING,            /* non-blocking connect under way */
    DSOCK_CONNECTED,             /* TCP established (or accepted); UDP with a peer */
    DSOCK_LISTENING,
};

struct dsock {
    int data_fd;                 /* what the application holds */
    int ctl_fd;                  /* control connection; -1 until ATTACH (accepted) */
    int ctl_err;                 /* != 0: the control channel is unusable, this errno */
    uint64_t sock_id;
    uint64_t token;
    uint8_t proto;               /* IPC_PROTO_TCP or IPC_PROTO_UDP */
    int family;                  /* AF_INET or AF_INET6 */
    _Atomic enum dsock_state state;   /* read without the lock by send/recv */
    bool names_cached;           /* local/remote known without asking (accepted) */
    struct ipc_endpoint local;
    struct ipc_endpoint remote;
    pthread_mutex_t lock;        /* one request at a time on ctl_fd */
    unsigned refs;               /* guarded by the table lock */
};

/* A new entry (refs 1: the table's), not yet in the table. */
struct dsock *libtcpip_dsock_new(int data_fd, int ctl_fd, uint8_t proto, int family);
/* Put ds at ds->data_fd (growing the table). 0 or ENOMEM; EEXIST if that
 * slot is taken (it cannot be: the kernel gave us the fd). */
int libtcpip_table_insert(struct dsock *ds);
/* The entry at fd with a reference the caller must put, or NULL. */
struct dsock *libtcpip_table_get(int fd);
void libtcpip_dsock_put(struct dsock *ds);
/* Take the entry out of the table (the table's reference moves to the
 * caller), or NULL. */
struct dsock *libtcpip_table_remove(int fd);
/* Slots allocated (tests: growth). */
size_t libtcpip_table_capacity(void);

/* ---- direct_ctl.c: the control channel ---- */

/* The daemon's socket path: set by tcpip_init, else TCPIP_SOCKET, else
 * IPC_DEFAULT_PATH. 0 or ENAMETOOLONG. */
int libtcpip_direct_set_path(const char *path);
const char *libtcpip_direct_path(void);
/* A new control connection (cloexec as asked): fd, or -1/errno as
 * connect(2) to the Unix path gives. */
int libtcpip_ctl_connect(bool cloexec);
/* Send one request (msg, len bytes) on ctl and read its reply. With
 * fd_out (OPEN), a successful reply must carry exactly one fd, stored in
 * *fd_out (else -1); any other reply carrying an fd is malformed. 0 with
 * *reply filled (reply->err may be non-zero: the daemon's answer), or a
 * positive errno: ECONNRESET when the daemon went away, EPROTO when it
 * answered something that is not a valid reply, EPROTONOSUPPORT when it
 * answered in another protocol version, EMFILE when the fd could not be
 * received. Every fd not handed out is closed. */
int libtcpip_ctl_call(int ctl_fd, const uint8_t *msg, size_t len, struct ipc_reply *reply,
                      int *fd_out, bool cloexec);
/* Receive one IPC_MSG_ACCEPT and its fd from a listener's data fd.
 * 0, or a positive errno (EAGAIN, EINTR, EPROTO, EMFILE, ECONNRESET). */
int libtcpip_recv_accept(int listen_fd, struct ipc_accept *acc, int *fd_out, bool cloexec);

/* ---- backend_direct.c, direct_opt.c ---- */

/* The entry for fd with a reference (put it), or NULL with errno EBADF
 * or ENOTSOCK as the kernel says for a non-socket. */
struct dsock *libtcpip_sock_get(int fd);
/* One request on ds's control connection (attaching an accepted socket
 * first): 0 with *reply, or a positive errno (the daemon's, or the
 * channel's: then the socket is dead, PROTOCOL.md 3). */
int libtcpip_ctl_request(struct dsock *ds, const uint8_t *msg, size_t len,
                         struct ipc_reply *reply);
/* SO_ERROR via GETERR (read and cleared): 0 with *so_error, or errno. */
int libtcpip_get_so_error(struct dsock *ds, int *so_error);
int libtcpip_direct_setsockopt(int fd, int level, int name, const void *val, socklen_t len);
int libtcpip_direct_getsockopt(int fd, int level, int name, void *val, socklen_t *len);

#endif
