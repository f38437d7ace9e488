/* internal.h - what the files of libtcpip share and nothing else sees.
 *
 * Every name here is hidden in libtcpip.so (-fvisibility=hidden); in
 * libtcpip.a they carry the libtcpip_ prefix so that they cannot clash
 * with an application's own symbols. The unit test links libtcpip.a and
 * calls them directly; the preload library (client-lib/preload.c) is
 * built from the same objects. */
#ifndef TCPIP_CLIENT_INTERNAL_H
#define TCPIP_CLIENT_INTERNAL_H

#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <time.h>

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
    ssize_t (*sendmsg)(int fd, const struct msghdr *msg, int flags);
    ssize_t (*recvmsg)(int fd, struct msghdr *msg, int flags);
    int (*shutdown)(int fd, int how);
    int (*close)(int fd);
    int (*getsockname)(int fd, struct sockaddr *addr, socklen_t *len);
    int (*getpeername)(int fd, struct sockaddr *addr, socklen_t *len);
    int (*setsockopt)(int fd, int level, int name, const void *val, socklen_t len);
    int (*getsockopt)(int fd, int level, int name, void *val, socklen_t *len);
};

extern const struct libtcpip_ops libtcpip_socket_ops;
extern const struct libtcpip_ops libtcpip_direct_ops;

/* ---- sys.c: the C library's own calls ----
 * In libtcpip these are libc's functions; the preload library points them
 * past its own wrappers (dlsym RTLD_NEXT) before anything runs, so that
 * the library's own sockets never loop back into it. */
struct libtcpip_sys {
    int (*socket)(int, int, int);
    int (*connect)(int, const struct sockaddr *, socklen_t);
    int (*close)(int);
    ssize_t (*sendmsg)(int, const struct msghdr *, int);
    ssize_t (*recvmsg)(int, struct msghdr *, int);
    ssize_t (*send)(int, const void *, size_t, int);
    ssize_t (*recv)(int, void *, size_t, int);
    int (*poll)(struct pollfd *, nfds_t, int);
    int (*fcntl)(int, int, ...);
    int (*getsockopt)(int, int, int, void *, socklen_t *);
    int (*setsockopt)(int, int, int, const void *, socklen_t);
    int (*ioctl)(int, unsigned long, ...);
    int (*dup3)(int, int, int);
    int (*bind)(int, const struct sockaddr *, socklen_t);
    int (*listen)(int, int);
    /* The rest only the preload library calls (client-lib/preload.c). */
    int (*accept)(int, struct sockaddr *, socklen_t *);
    int (*accept4)(int, struct sockaddr *, socklen_t *, int);
    int (*shutdown)(int, int);
    int (*getsockname)(int, struct sockaddr *, socklen_t *);
    int (*getpeername)(int, struct sockaddr *, socklen_t *);
    ssize_t (*read)(int, void *, size_t);
    ssize_t (*write)(int, const void *, size_t);
    ssize_t (*readv)(int, const struct iovec *, int);
    ssize_t (*writev)(int, const struct iovec *, int);
    ssize_t (*sendto)(int, const void *, size_t, int, const struct sockaddr *, socklen_t);
    ssize_t (*recvfrom)(int, void *, size_t, int, struct sockaddr *, socklen_t *);
    int (*sendmmsg)(int, struct mmsghdr *, unsigned int, int);
    int (*recvmmsg)(int, struct mmsghdr *, unsigned int, int, struct timespec *);
    int (*dup)(int);
    int (*dup2)(int, int);
    int (*close_range)(unsigned int, unsigned int, int);
    void (*closefrom)(int);
    int (*prctl)(int, ...);
};
extern struct libtcpip_sys libtcpip_sys;

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

/* ---- direct_table.c: what this process knows of its direct sockets ----
 *
 * The daemon knows every socket by its data fd (PROTOCOL.md 1); this is
 * a cache, indexed by fd number, of what this process learnt about them:
 * their kind (needed on every send and receive: UDP framing), the names
 * an accept gave, and what this process itself did (a shutdown). A dup of
 * the fd shares the entry; an fd the cache does not know (inherited
 * across exec, received by SCM_RIGHTS, dup'ed by a program that calls
 * dup(2) directly) is asked of the daemon (LOOKUP) once. */

enum dsock_state {
    DSOCK_NEW = 0,               /* opened (maybe bound) */
    DSOCK_CONNECTING,            /* non-blocking connect under way */
    DSOCK_CONNECTED,             /* TCP established (or accepted); UDP with a peer */
    DSOCK_LISTENING,
    DSOCK_DEAD,                  /* the connection failed, or tcpipd went away */
};

/* What a plain read(2) or write(2) on a direct socket's fd may do
 * without the library, kept per fd number in a map read without a lock
 * (the preload library reads it on every read and write of the process,
 * files and pipes included: one load says "not ours"). */
enum dsock_kind {
    DKIND_NONE = 0,              /* not a direct socket this process knows */
    DKIND_STREAM,                /* TCP connecting or connected: the fd is the byte stream */
    DKIND_DGRAM,                 /* UDP connected: the fd carries bare datagrams */
    DKIND_OTHER,                 /* anything else: every call goes through the library */
};

struct dsock {
    uint64_t sock_id;
    uint8_t proto;               /* IPC_PROTO_TCP or IPC_PROTO_UDP */
    int family;                  /* AF_INET or AF_INET6 */
    _Atomic enum dsock_state state; /* read without the lock on the data path */
    _Atomic bool wr_shut;        /* SHUT_WR asked by this process: EPIPE */
    _Atomic bool rd_shut;
    bool names_cached;           /* local/remote known without asking (accepted) */
    bool corked;                 /* TCP_CORK set by a send with MSG_MORE */
    struct ipc_endpoint local;
    struct ipc_endpoint remote;
    pthread_mutex_t lock;        /* names_cached, corked, local, remote */
    unsigned refs;               /* guarded by the table lock */
    unsigned nfds;               /* table slots naming it (table lock) */
    int fd_hint;                 /* one of them (table lock) */
};

/* The kind map: fd -> enum dsock_kind, in chunks of 4096 fds made on
 * first use and never freed, so that a reader needs no lock: an fd of no
 * chunk is DKIND_NONE. Written under the table lock only. fds from
 * LIBTCPIP_MAX_FD on cannot hold a direct socket (EMFILE). */
#define LIBTCPIP_KIND_CHUNK_BITS 12
#define LIBTCPIP_KIND_CHUNK (1u << LIBTCPIP_KIND_CHUNK_BITS)
#define LIBTCPIP_MAX_FD (1 << 24)
extern _Atomic(_Atomic uint8_t *) libtcpip_kind_map[LIBTCPIP_MAX_FD / LIBTCPIP_KIND_CHUNK];

static inline int libtcpip_kind(int fd)
{
    if (fd < 0 || fd >= LIBTCPIP_MAX_FD)
        return DKIND_NONE;
    _Atomic uint8_t *chunk = atomic_load_explicit(
        &libtcpip_kind_map[(unsigned)fd >> LIBTCPIP_KIND_CHUNK_BITS], memory_order_acquire);
    if (chunk == NULL)
        return DKIND_NONE;
    return atomic_load_explicit(&chunk[(unsigned)fd & (LIBTCPIP_KIND_CHUNK - 1)],
                                memory_order_relaxed);
}

/* A new entry (refs 1: the caller's). */
struct dsock *libtcpip_dsock_new(uint8_t proto, int family);
/* Put ds at fd (growing the table; another entry there is replaced: its
 * fd was closed behind our back). 0 or ENOMEM. Takes a reference. */
int libtcpip_table_set(int fd, struct dsock *ds);
/* The entry at fd with a reference the caller must put, or NULL. */
struct dsock *libtcpip_table_get(int fd);
void libtcpip_dsock_put(struct dsock *ds);
/* Forget fd (close): true if it was a direct socket. */
bool libtcpip_table_drop(int fd);
/* Forget every fd from first to last (close_range, closefrom). */
void libtcpip_table_drop_range(unsigned first, unsigned last);
/* ds's state, shutdown or cork changed: the kind of every fd naming it
 * follows. */
void libtcpip_dsock_changed(struct dsock *ds);
/* fd2 names the same socket as fd (dup2 and friends): true if fd was a
 * direct socket (fd2 forgotten otherwise). */
bool libtcpip_table_dup(int fd, int fd2);
/* Forget every fd (a test's reset). */
void libtcpip_table_clear(void);
/* Slots allocated (tests: growth). */
size_t libtcpip_table_capacity(void);

/* ---- direct_ctl.c: sessions with the daemon ---- */

/* The daemon's socket path: set by tcpip_init, else TCPIP_SOCKET, else
 * IPC_DEFAULT_PATH. 0 or ENAMETOOLONG. */
int libtcpip_direct_set_path(const char *path);
const char *libtcpip_direct_path(void);
/* A new session (close-on-exec): fd, or -1/errno as connect(2) to the
 * Unix path gives; the failure is remembered for tcpip_strerror. */
int libtcpip_session_connect(void);
/* One request, with sock_fd attached (-1: none, OPEN), on a session of
 * this process (taken from a small pool, made if none is free, given back
 * after; a session is never shared by two requests at once). 0 with
 * *reply filled (reply->err may be non-zero: the daemon's answer), or a
 * positive errno: what connect(2) said when no session could be made
 * (ENOENT, ECONNREFUSED, EACCES...), ENETDOWN when the daemon hung up
 * before answering, EPROTO when
 * it answered something that is not a valid reply, EPROTONOSUPPORT when
 * it answered in another protocol version, EMFILE when a passed fd could
 * not be received. fd_out (OPEN): the data fd of a successful reply,
 * received close-on-exec if cloexec;
 * info (GETINFO): the INFO body. Every fd not handed out is closed. */
int libtcpip_call(int sock_fd, const uint8_t *msg, size_t len, struct ipc_reply *reply,
                  int *fd_out, bool cloexec, struct ipc_info *info);
/* The daemon's pid (SO_PEERCRED of a session), the peer of each of its
 * data fds; 0 when unknown. ask: make a session if none was made yet
 * (0 still if the daemon cannot be reached). */
pid_t libtcpip_daemon_pid(bool ask);
/* Why the last session could not be made, for tcpip_strerror. */
const char *libtcpip_reach_error(void);
/* The application closes fds first..last itself: idle sessions among
 * them leave the pool (unclosed). Cheap when none can be (a hint). */
void libtcpip_sessions_forget(unsigned first, unsigned last);
/* Whether an idle session may be among first..last (no lock: a hint). */
bool libtcpip_sessions_maybe(unsigned first, unsigned last);
/* Take (true) or give back the sessions' locks: around fork(2). */
void libtcpip_sessions_lock(bool lock);
/* Forget this process's sessions (tests; a fork does it by itself). */
void libtcpip_sessions_reset(void);
/* Receive one IPC_MSG_ACCEPT and its fd from a listener's data fd.
 * 0, or a positive errno (EAGAIN, EINTR, EPROTO, EMFILE, ECONNRESET). */
int libtcpip_recv_accept(int listen_fd, struct ipc_accept *acc, int *fd_out, bool cloexec);

/* ---- backend_direct.c, direct_opt.c ---- */

/* The entry for fd with a reference (put it), asking the daemon if this
 * process does not know fd; NULL with errno EBADF or ENOTSOCK as the
 * kernel says for a descriptor that is not a socket (of tcpipd). */
struct dsock *libtcpip_sock_get(int fd);
/* Whether fd is a data fd of tcpipd this process does not know yet: an
 * AF_UNIX stream or seqpacket socket whose peer is the daemon (checked
 * with LOOKUP). Adds it to the table. */
struct dsock *libtcpip_sock_discover(int fd);
/* One request about the socket at fd: 0 with *reply, or a positive
 * errno (the daemon's, or the channel's). The reply's state updates ds. */
int libtcpip_request(int fd, struct dsock *ds, const uint8_t *msg, size_t len,
                     struct ipc_reply *reply);
/* SO_ERROR via GETERR (read and cleared): 0 with *so_error, or errno. */
int libtcpip_get_so_error(int fd, struct dsock *ds, int *so_error);
/* The preload library's plain read or write of a direct socket's fd
 * (libtcpip_kind STREAM or DGRAM) ended where the library must explain:
 * recv: the fd's read gave n (0: end of file or an empty message; -1
 * with err); send: the fd's send failed with err (EPIPE, ECONNRESET).
 * What Linux returns instead: n, or -1 with errno (the connection's
 * error, ENETDOWN; SIGPIPE raised as Linux unless MSG_NOSIGNAL). */
ssize_t libtcpip_fast_recv_end(int fd, ssize_t n, int err);
ssize_t libtcpip_fast_send_end(int fd, int err, int flags);
int libtcpip_direct_setsockopt(int fd, int level, int name, const void *val, socklen_t len);
int libtcpip_direct_getsockopt(int fd, int level, int name, void *val, socklen_t *len);

#endif
