/* preload.c - libtcpip-preload.so: unmodified programs on tcpipd.
 *
 *   LD_PRELOAD=libtcpip-preload.so program     (or: tcpip-run program)
 *
 * The C library's socket calls are replaced by these: an AF_INET or
 * AF_INET6 TCP or UDP socket is opened on tcpipd through libtcpip's
 * direct backend (a real fd: the data socketpair end, PROTOCOL.md 1), and
 * every later call on such an fd is the direct backend's. Every other fd
 * (files, pipes, AF_UNIX, AF_NETLINK, raw sockets) goes to the C library
 * untouched: the wrappers of read, write, close... cost one lookup in the
 * lock-free kind map (internal.h) before the real call.
 *
 * A TCP socket's fd is its byte stream, so read and write on it go
 * straight to the kernel too; the library steps in only where Linux's
 * answer differs from a socketpair's (end of file after a reset, EPIPE
 * that is really ECONNRESET, SIGPIPE), for framed (unconnected) UDP, and
 * for every request (bind, connect, options...).
 *
 * The library's own calls (its sessions with the daemon, the data fds)
 * go through libtcpip_sys, which the constructor points past these
 * wrappers (dlsym RTLD_NEXT) before anything else runs; a wrapper called
 * earlier (another library's constructor) does it first.
 *
 * Name resolution is not intercepted: the C library's resolver uses its
 * own internal socket calls, which no preload sees (tcpip-run(1)). */
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "client-lib/internal.h"

#define PRELOAD_EXPORT __attribute__((visibility("default")))

/* glibc's, called by the _FORTIFY_SOURCE variants on overflow. */
extern void __chk_fail(void) __attribute__((noreturn));

static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static atomic_bool ready;
/* The program entered a seccomp sandbox (sshd's pre-authentication
 * child): from now on only the plain system calls it expects, no
 * sessions, no sendmsg for a write. */
static atomic_bool sandboxed;
/* The "cannot reach tcpipd" line is said once per process. */
static atomic_int complained_pid;
/* The process whose memory this is: set at start and in a fork's child
 * (pthread_atfork). A vfork child (posix_spawn, Python's subprocess)
 * shares its parent's memory and runs under another pid until it execs:
 * its close_range(3, ~0) must not empty its parent's map. */
static atomic_int owner_pid;

static void forked_child(void)
{
    atomic_store(&owner_pid, (int)getpid());
}

/* Whether this process may change the fd map (not a vfork child). */
static bool map_is_ours(void)
{
    return atomic_load(&owner_pid) == (int)getpid();
}

static int fail(int err)
{
    errno = err;
    return -1;
}

/* ---- start-up ---- */

static void *next_sym(const char *name)
{
    void *p = dlsym(RTLD_NEXT, name);
    if (p == NULL) {
        /* Without the real call there is nothing to fall back on. */
        static const char msg[] = "libtcpip-preload: the C library lacks a function it needs\n";
        (void)!write(2, msg, sizeof msg - 1);
        abort();
    }
    return p;
}

static void load_sys(void)
{
    struct libtcpip_sys *s = &libtcpip_sys;
#define NEXT(field, name) s->field = (__typeof__(s->field))next_sym(name)
    NEXT(socket, "socket");
    NEXT(connect, "connect");
    NEXT(close, "close");
    NEXT(sendmsg, "sendmsg");
    NEXT(recvmsg, "recvmsg");
    NEXT(send, "send");
    NEXT(recv, "recv");
    NEXT(poll, "poll");
    NEXT(fcntl, "fcntl");
    NEXT(getsockopt, "getsockopt");
    NEXT(setsockopt, "setsockopt");
    NEXT(ioctl, "ioctl");
    NEXT(dup3, "dup3");
    NEXT(bind, "bind");
    NEXT(listen, "listen");
    NEXT(accept, "accept");
    NEXT(accept4, "accept4");
    NEXT(shutdown, "shutdown");
    NEXT(getsockname, "getsockname");
    NEXT(getpeername, "getpeername");
    NEXT(read, "read");
    NEXT(write, "write");
    NEXT(readv, "readv");
    NEXT(writev, "writev");
    NEXT(sendto, "sendto");
    NEXT(recvfrom, "recvfrom");
    NEXT(sendmmsg, "sendmmsg");
    NEXT(recvmmsg, "recvmmsg");
    NEXT(dup, "dup");
    NEXT(dup2, "dup2");
    NEXT(close_range, "close_range");
    NEXT(closefrom, "closefrom");
    NEXT(prctl, "prctl");
#undef NEXT
    /* The socket path now: some programs empty their environment before
     * they fork workers (nginx keeps only TZ). */
    const char *path = getenv("TCPIP_SOCKET");
    if (path != NULL && path[0] != '\0' && libtcpip_direct_set_path(path) != 0) {
        static const char msg[] = "libtcpip-preload: TCPIP_SOCKET is too long for a Unix socket path\n";
        (void)!libtcpip_sys.write(2, msg, sizeof msg - 1);
    }
    atomic_store(&owner_pid, (int)getpid());
    pthread_atfork(NULL, NULL, forked_child);
    atomic_store_explicit(&ready, true, memory_order_release);
}

static inline void ensure_init(void)
{
    if (__builtin_expect(!atomic_load_explicit(&ready, memory_order_acquire), 0))
        pthread_once(&init_once, load_sys);
}

/* The kind of fd, the C library's table ready. */
static inline int kind_of_fd(int fd)
{
    ensure_init();
    return libtcpip_kind(fd);
}

/* A data fd of tcpipd this process did not make: check the peer (the
 * daemon made the socketpair), then ask (LOOKUP), which maps it. */
static void adopt(int fd, pid_t daemon)
{
    int domain = 0, type = 0;
    struct ucred cred;
    socklen_t len = sizeof domain;

    if (libtcpip_sys.getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &len) != 0 ||
        domain != AF_UNIX)
        return;
    len = sizeof type;
    if (libtcpip_sys.getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) != 0 ||
        (type != SOCK_STREAM && type != SOCK_SEQPACKET))
        return;
    len = sizeof cred;
    if (libtcpip_sys.getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0 ||
        cred.pid <= 0)
        return;
    if (daemon == 0)
        daemon = libtcpip_daemon_pid(true);
    if (daemon == 0 || cred.pid != daemon)
        return;
    struct dsock *ds = libtcpip_sock_discover(fd);
    libtcpip_dsock_put(ds);
}

/* Whether fd is a Unix stream or seqpacket socket with a peer process:
 * what a data fd looks like, before any question to the daemon. */
static bool unix_candidate(int fd)
{
    int domain = 0, type = 0;
    struct ucred cred;
    socklen_t len = sizeof domain;

    if (libtcpip_sys.getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &len) != 0 ||
        domain != AF_UNIX)
        return false;
    len = sizeof type;
    if (libtcpip_sys.getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) != 0 ||
        (type != SOCK_STREAM && type != SOCK_SEQPACKET))
        return false;
    len = sizeof cred;
    return libtcpip_sys.getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0 &&
           cred.pid > 0;
}

/* fds this process got without us: across exec (sshd's re-exec with
 * the connection on fds 0 and 1, inetd-style children, systemd's
 * LISTEN_FDS). The daemon is asked only when some fd looks like one of
 * its data fds, and only if it can be reached. */
static void adopt_inherited(void)
{
    DIR *dir = opendir("/proc/self/fd");
    if (dir == NULL)
        return;
    int *cand = NULL;
    size_t n = 0, cap = 0;
    struct dirent *e;
    while ((e = readdir(dir)) != NULL) {
        char *end;
        long fd = strtol(e->d_name, &end, 10);
        if (*end != '\0' || end == e->d_name || fd < 0 || fd > INT_MAX || fd == dirfd(dir))
            continue;
        if (!unix_candidate((int)fd))
            continue;
        if (n == cap) {
            size_t ncap = cap ? cap * 2 : 16;
            int *grown = realloc(cand, ncap * sizeof *cand);
            if (grown == NULL)
                break;
            cand = grown;
            cap = ncap;
        }
        cand[n++] = (int)fd;
    }
    closedir(dir);
    pid_t daemon = n > 0 ? libtcpip_daemon_pid(true) : 0;
    for (size_t i = 0; daemon != 0 && i < n; i++)
        adopt(cand[i], daemon);
    free(cand);
}

__attribute__((constructor)) static void preload_start(void)
{
    ensure_init();
    adopt_inherited();
}

/* fds passed to us with SCM_RIGHTS on a socket that is not tcpipd's. */
static void adopt_passed(const struct msghdr *m)
{
    if (m == NULL || m->msg_control == NULL || m->msg_controllen < sizeof(struct cmsghdr) ||
        atomic_load(&sandboxed))
        return;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(m); c != NULL; c = CMSG_NXTHDR((struct msghdr *)m, c)) {
        if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS ||
            c->cmsg_len < CMSG_LEN(0))
            continue;
        size_t nfd = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        for (size_t i = 0; i < nfd; i++) {
            int fd;
            memcpy(&fd, CMSG_DATA(c) + i * sizeof fd, sizeof fd);
            if (libtcpip_kind(fd) == DKIND_NONE)
                adopt(fd, 0);
        }
    }
}

/* tcpipd could not be reached: one line, naming the socket, once. */
static void complain(int err)
{
    if (err != ENOENT && err != ECONNREFUSED && err != EACCES && err != ENOTDIR &&
        err != ENAMETOOLONG && err != EPERM)
        return;
    int me = (int)getpid();
    if (atomic_exchange(&complained_pid, me) == me)
        return;
    const char *why = libtcpip_reach_error();
    char line[400];
    int len = snprintf(line, sizeof line, "%s: tcpip: %s\n", program_invocation_short_name,
                       why != NULL ? why : strerror(err));
    if (len > 0)
        (void)!libtcpip_sys.write(2, line, (size_t)len < sizeof line ? (size_t)len
                                                                     : sizeof line - 1);
}

/* ---- sockets ---- */

/* What goes to tcpipd: TCP and UDP over IPv4 and IPv6. Anything else
 * (raw, SCTP, ICMP "ping" sockets, other families) is the kernel's. */
static bool ours(int domain, int type, int protocol)
{
    int base = type & ~(SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (domain != AF_INET && domain != AF_INET6)
        return false;
    if (base == SOCK_STREAM)
        return protocol == 0 || protocol == IPPROTO_TCP;
    if (base == SOCK_DGRAM)
        return protocol == 0 || protocol == IPPROTO_UDP;
    return false;
}

PRELOAD_EXPORT int socket(int domain, int type, int protocol)
{
    ensure_init();
    if (!ours(domain, type, protocol))
        return libtcpip_sys.socket(domain, type, protocol);
    int fd = libtcpip_direct_ops.socket(domain, type, protocol);
    if (fd < 0) {
        int err = errno;
        complain(err);
        errno = err;
    }
    return fd;
}

PRELOAD_EXPORT int bind(int fd, const struct sockaddr *addr, socklen_t len)
{
    if (kind_of_fd(fd) == DKIND_NONE)
        return libtcpip_sys.bind(fd, addr, len);
    return libtcpip_direct_ops.bind(fd, addr, len);
}

PRELOAD_EXPORT int listen(int fd, int backlog)
{
    if (kind_of_fd(fd) == DKIND_NONE)
        return libtcpip_sys.listen(fd, backlog);
    return libtcpip_direct_ops.listen(fd, backlog);
}

PRELOAD_EXPORT int accept(int fd, struct sockaddr *addr, socklen_t *len)
{
    if (kind_of_fd(fd) == DKIND_NONE)
        return libtcpip_sys.accept(fd, addr, len);
    return libtcpip_direct_ops.accept4(fd, addr, len, 0);
}

PRELOAD_EXPORT int accept4(int fd, struct sockaddr *addr, socklen_t *len, int flags)
{
    if (kind_of_fd(fd) == DKIND_NONE)
        return libtcpip_sys.accept4(fd, addr, len, flags);
    return libtcpip_direct_ops.accept4(fd, addr, len, flags);
}

PRELOAD_EXPORT int connect(int fd, const struct sockaddr *addr, socklen_t len)
{
    if (kind_of_fd(fd) == DKIND_NONE)
        return libtcpip_sys.connect(fd, addr, len);
    return libtcpip_direct_ops.connect(fd, addr, len);
}

PRELOAD_EXPORT int shutdown(int fd, int how)
{
    if (kind_of_fd(fd) == DKIND_NONE)
        return libtcpip_sys.shutdown(fd, how);
    return libtcpip_direct_ops.shutdown(fd, how);
}

PRELOAD_EXPORT int getsockname(int fd, struct sockaddr *addr, socklen_t *len)
{
    if (kind_of_fd(fd) == DKIND_NONE)
        return libtcpip_sys.getsockname(fd, addr, len);
    return libtcpip_direct_ops.getsockname(fd, addr, len);
}

PRELOAD_EXPORT int getpeername(int fd, struct sockaddr *addr, socklen_t *len)
{
    if (kind_of_fd(fd) == DKIND_NONE)
        return libtcpip_sys.getpeername(fd, addr, len);
    return libtcpip_direct_ops.getpeername(fd, addr, len);
}

PRELOAD_EXPORT int getsockopt(int fd, int level, int name, void *val, socklen_t *len)
{
    if (kind_of_fd(fd) == DKIND_NONE)
        return libtcpip_sys.getsockopt(fd, level, name, val, len);
    return libtcpip_direct_ops.getsockopt(fd, level, name, val, len);
}

PRELOAD_EXPORT int setsockopt(int fd, int level, int name, const void *val, socklen_t len)
{
    if (kind_of_fd(fd) == DKIND_NONE)
        return libtcpip_sys.setsockopt(fd, level, name, val, len);
    return libtcpip_direct_ops.setsockopt(fd, level, name, val, len);
}

/* ---- data ---- */

/* Flags a TCP stream's plain send may carry straight to the data fd; any
 * other (MSG_MORE: the cork, MSG_OOB...) takes the library's way. */
#define STREAM_SEND_FLAGS (MSG_DONTWAIT | MSG_NOSIGNAL)
#define STREAM_RECV_FLAGS (MSG_DONTWAIT | MSG_PEEK | MSG_WAITALL)
#define DGRAM_RECV_FLAGS (MSG_DONTWAIT | MSG_PEEK | MSG_TRUNC)

/* One buffer through the library (sendmsg/recvmsg). */
static ssize_t lib_send(int fd, const void *buf, size_t len, int flags,
                        const struct sockaddr *to, socklen_t tolen)
{
    struct iovec iov = {.iov_base = (void *)buf, .iov_len = len};
    struct msghdr m = {.msg_name = (void *)to, .msg_namelen = to != NULL ? tolen : 0,
                       .msg_iov = &iov, .msg_iovlen = 1};
    return libtcpip_direct_ops.sendmsg(fd, &m, flags);
}

static ssize_t lib_recv(int fd, void *buf, size_t len, int flags, struct sockaddr *from,
                        socklen_t *fromlen)
{
    if (from != NULL && fromlen == NULL)
        return fail(EFAULT);
    struct iovec iov = {.iov_base = buf, .iov_len = len};
    struct msghdr m = {.msg_name = from, .msg_namelen = from != NULL ? *fromlen : 0,
                       .msg_iov = &iov, .msg_iovlen = 1};
    ssize_t n = libtcpip_direct_ops.recvmsg(fd, &m, flags);
    if (n >= 0 && from != NULL)
        *fromlen = m.msg_namelen;
    return n;
}

/* The end of a plain read of a stream or connected datagram fd: most
 * results stand; an end of file, an empty datagram or ECONNRESET asks
 * the library what Linux would say (not in a sandbox: it cannot ask). */
static inline ssize_t recv_result(int fd, int kind, ssize_t n, size_t want)
{
    if (n > 0 || atomic_load_explicit(&sandboxed, memory_order_relaxed))
        return n;
    if (n == 0 && (want > 0 || kind == DKIND_DGRAM))
        return libtcpip_fast_recv_end(fd, 0, 0);
    if (n < 0 && errno == ECONNRESET && kind == DKIND_STREAM)
        return libtcpip_fast_recv_end(fd, -1, ECONNRESET);
    return n;
}

/* The end of a plain send of a stream fd: EPIPE and ECONNRESET ask the
 * library (a reset, a timeout, tcpipd gone; SIGPIPE as Linux raises it);
 * ENOTSOCK means the number is no socket any more (closed behind our
 * back): plain write(2) then, on whatever it now is. */
static ssize_t send_error(int fd, int flags, const void *buf, size_t len, bool is_write)
{
    int err = errno;
    if (err == ENOTSOCK) {
        libtcpip_table_drop(fd);
        return is_write ? libtcpip_sys.write(fd, buf, len) : fail(ENOTSOCK);
    }
    if (err != EPIPE && err != ECONNRESET)
        return -1;
    return libtcpip_fast_send_end(fd, err, flags);
}

static size_t iov_total(const struct iovec *iov, int cnt)
{
    size_t total = 0;
    for (int i = 0; i < cnt; i++)
        total += iov[i].iov_len;
    return total;
}

/* The library said ENOTSOCK to a read or write of an fd the map knows:
 * the number was closed behind our back (fclose of an fdopen'ed socket)
 * and reused for a file or a pipe. Forget it; true: do the plain call. */
static bool stale(int fd, ssize_t n)
{
    if (n >= 0 || errno != ENOTSOCK)
        return false;
    libtcpip_table_drop(fd);
    return true;
}

PRELOAD_EXPORT ssize_t read(int fd, void *buf, size_t len)
{
    int kind = kind_of_fd(fd);
    if (kind == DKIND_NONE)
        return libtcpip_sys.read(fd, buf, len);
    if (kind == DKIND_OTHER) {
        ssize_t n = lib_recv(fd, buf, len, 0, NULL, NULL);
        return stale(fd, n) ? libtcpip_sys.read(fd, buf, len) : n;
    }
    return recv_result(fd, kind, libtcpip_sys.read(fd, buf, len), len);
}

PRELOAD_EXPORT ssize_t __read_chk(int fd, void *buf, size_t len, size_t buflen)
{
    if (len > buflen)
        __chk_fail();
    return read(fd, buf, len);
}

PRELOAD_EXPORT ssize_t write(int fd, const void *buf, size_t len)
{
    int kind = kind_of_fd(fd);
    if (kind == DKIND_NONE || atomic_load_explicit(&sandboxed, memory_order_relaxed))
        return libtcpip_sys.write(fd, buf, len);
    if (kind != DKIND_STREAM) {
        ssize_t n = lib_send(fd, buf, len, 0, NULL, 0);
        return stale(fd, n) ? libtcpip_sys.write(fd, buf, len) : n;
    }
    /* MSG_NOSIGNAL: the kernel's SIGPIPE on a socketpair whose other end
     * the daemon closed would come where Linux reports ECONNRESET. */
    ssize_t n = libtcpip_sys.send(fd, buf, len, MSG_NOSIGNAL);
    return n >= 0 ? n : send_error(fd, 0, buf, len, true);
}

PRELOAD_EXPORT ssize_t readv(int fd, const struct iovec *iov, int cnt)
{
    int kind = kind_of_fd(fd);
    if (kind == DKIND_NONE)
        return libtcpip_sys.readv(fd, iov, cnt);
    if (cnt < 0 || cnt > IOV_MAX)
        return fail(EINVAL);
    if (kind == DKIND_OTHER) {
        struct msghdr m = {.msg_iov = (struct iovec *)iov, .msg_iovlen = (size_t)cnt};
        ssize_t n = libtcpip_direct_ops.recvmsg(fd, &m, 0);
        return stale(fd, n) ? libtcpip_sys.readv(fd, iov, cnt) : n;
    }
    ssize_t n = libtcpip_sys.readv(fd, iov, cnt);
    if (n == 0)
        return recv_result(fd, kind, 0, iov_total(iov, cnt));
    return recv_result(fd, kind, n, 1);
}

PRELOAD_EXPORT ssize_t writev(int fd, const struct iovec *iov, int cnt)
{
    int kind = kind_of_fd(fd);
    if (kind == DKIND_NONE || atomic_load_explicit(&sandboxed, memory_order_relaxed))
        return libtcpip_sys.writev(fd, iov, cnt);
    if (cnt < 0 || cnt > IOV_MAX)
        return fail(EINVAL);
    struct msghdr m = {.msg_iov = (struct iovec *)iov, .msg_iovlen = (size_t)cnt};
    if (kind != DKIND_STREAM) {
        ssize_t n = libtcpip_direct_ops.sendmsg(fd, &m, 0);
        return stale(fd, n) ? libtcpip_sys.writev(fd, iov, cnt) : n;
    }
    ssize_t n = libtcpip_sys.sendmsg(fd, &m, MSG_NOSIGNAL);
    if (n >= 0)
        return n;
    if (errno == ENOTSOCK) {
        libtcpip_table_drop(fd);
        return libtcpip_sys.writev(fd, iov, cnt);
    }
    if (errno != EPIPE && errno != ECONNRESET)
        return -1;
    return libtcpip_fast_send_end(fd, errno, 0);
}

PRELOAD_EXPORT ssize_t send(int fd, const void *buf, size_t len, int flags)
{
    int kind = kind_of_fd(fd);
    if (kind == DKIND_NONE)
        return libtcpip_sys.send(fd, buf, len, flags);
    if (kind != DKIND_STREAM || (flags & ~STREAM_SEND_FLAGS) != 0)
        return lib_send(fd, buf, len, flags, NULL, 0);
    ssize_t n = libtcpip_sys.send(fd, buf, len, flags | MSG_NOSIGNAL);
    return n >= 0 ? n : send_error(fd, flags, buf, len, false);
}

PRELOAD_EXPORT ssize_t recv(int fd, void *buf, size_t len, int flags)
{
    int kind = kind_of_fd(fd);
    if (kind == DKIND_NONE)
        return libtcpip_sys.recv(fd, buf, len, flags);
    int fast = kind == DKIND_STREAM ? STREAM_RECV_FLAGS : DGRAM_RECV_FLAGS;
    if (kind == DKIND_OTHER || (flags & ~fast) != 0)
        return lib_recv(fd, buf, len, flags, NULL, NULL);
    return recv_result(fd, kind, libtcpip_sys.recv(fd, buf, len, flags), len);
}

PRELOAD_EXPORT ssize_t __recv_chk(int fd, void *buf, size_t len, size_t buflen, int flags)
{
    if (len > buflen)
        __chk_fail();
    return recv(fd, buf, len, flags);
}

PRELOAD_EXPORT ssize_t sendto(int fd, const void *buf, size_t len, int flags,
                              const struct sockaddr *to, socklen_t tolen)
{
    if (kind_of_fd(fd) == DKIND_NONE)
        return libtcpip_sys.sendto(fd, buf, len, flags, to, tolen);
    if (to == NULL)
        return send(fd, buf, len, flags);
    return lib_send(fd, buf, len, flags, to, tolen);
}

PRELOAD_EXPORT ssize_t recvfrom(int fd, void *buf, size_t len, int flags, struct sockaddr *from,
                                socklen_t *fromlen)
{
    if (kind_of_fd(fd) == DKIND_NONE)
        return libtcpip_sys.recvfrom(fd, buf, len, flags, from, fromlen);
    if (from == NULL)
        return recv(fd, buf, len, flags);
    return lib_recv(fd, buf, len, flags, from, fromlen);
}

PRELOAD_EXPORT ssize_t __recvfrom_chk(int fd, void *buf, size_t len, size_t buflen, int flags,
                                      struct sockaddr *from, socklen_t *fromlen)
{
    if (len > buflen)
        __chk_fail();
    return recvfrom(fd, buf, len, flags, from, fromlen);
}

PRELOAD_EXPORT ssize_t sendmsg(int fd, const struct msghdr *m, int flags)
{
    if (kind_of_fd(fd) == DKIND_NONE)
        return libtcpip_sys.sendmsg(fd, m, flags);
    return libtcpip_direct_ops.sendmsg(fd, m, flags);
}

PRELOAD_EXPORT ssize_t recvmsg(int fd, struct msghdr *m, int flags)
{
    if (kind_of_fd(fd) != DKIND_NONE)
        return libtcpip_direct_ops.recvmsg(fd, m, flags);
    ssize_t n = libtcpip_sys.recvmsg(fd, m, flags);
    if (n >= 0) {
        int saved = errno;
        adopt_passed(m);
        errno = saved;
    }
    return n;
}

/* Linux caps a batch at UIO_MAXIOV messages. */
#define MMSG_MAX 1024

PRELOAD_EXPORT int sendmmsg(int fd, struct mmsghdr *v, unsigned int n, int flags)
{
    if (kind_of_fd(fd) == DKIND_NONE)
        return libtcpip_sys.sendmmsg(fd, v, n, flags);
    if (n > MMSG_MAX)
        n = MMSG_MAX;
    if (n > 0 && v == NULL)
        return fail(EFAULT);
    unsigned int i;
    for (i = 0; i < n; i++) {
        ssize_t r = libtcpip_direct_ops.sendmsg(fd, &v[i].msg_hdr, flags);
        if (r < 0) {
            /* as Linux: the error only if nothing was sent */
            if (i == 0)
                return -1;
            break;
        }
        v[i].msg_len = (unsigned int)r;
    }
    return (int)i;
}

static long long ns_now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (long long)t.tv_sec * 1000000000LL + t.tv_nsec;
}

PRELOAD_EXPORT int recvmmsg(int fd, struct mmsghdr *v, unsigned int n, int flags,
                            struct timespec *timeout)
{
    if (kind_of_fd(fd) == DKIND_NONE) {
        int got = libtcpip_sys.recvmmsg(fd, v, n, flags, timeout);
        for (int i = 0; i < got; i++)
            adopt_passed(&v[i].msg_hdr);
        return got;
    }
    if (n > MMSG_MAX)
        n = MMSG_MAX;
    if (n > 0 && v == NULL)
        return fail(EFAULT);
    if (timeout != NULL && (timeout->tv_sec < 0 || timeout->tv_nsec < 0 ||
                            timeout->tv_nsec >= 1000000000L))
        return fail(EINVAL);
    long long deadline = 0;
    if (timeout != NULL)
        deadline = ns_now() + (long long)timeout->tv_sec * 1000000000LL + timeout->tv_nsec;
    int one = flags & ~MSG_WAITFORONE;
    unsigned int i;
    for (i = 0; i < n; i++) {
        ssize_t r = libtcpip_direct_ops.recvmsg(fd, &v[i].msg_hdr, one);
        if (r < 0) {
            if (i == 0)
                return -1;
            break;
        }
        v[i].msg_len = (unsigned int)r;
        if (flags & MSG_WAITFORONE)
            one |= MSG_DONTWAIT;
        /* Linux looks at the timeout after each datagram, as here */
        if (timeout != NULL && ns_now() >= deadline) {
            i++;
            break;
        }
    }
    return (int)i;
}

/* ---- descriptors ---- */

PRELOAD_EXPORT int close(int fd)
{
    if (kind_of_fd(fd) != DKIND_NONE && map_is_ours())
        libtcpip_table_drop(fd);  /* the daemon sees the last close itself */
    /* A program that closes fds it did not open (closefrom-style loops)
     * may close one of the library's sessions: it leaves the pool. */
    if (fd >= 0 && libtcpip_sessions_maybe((unsigned)fd, (unsigned)fd) && map_is_ours())
        libtcpip_sessions_forget((unsigned)fd, (unsigned)fd);
    return libtcpip_sys.close(fd);
}

PRELOAD_EXPORT int close_range(unsigned int first, unsigned int last, int flags)
{
    ensure_init();
    /* Forget the fds only if they will be closed: not for a bad call,
     * nor for CLOSE_RANGE_CLOEXEC (which only marks them). */
    if (first <= last && (flags & ~(CLOSE_RANGE_UNSHARE | CLOSE_RANGE_CLOEXEC)) == 0 &&
        !(flags & CLOSE_RANGE_CLOEXEC) && map_is_ours()) {
        libtcpip_table_drop_range(first, last);
        libtcpip_sessions_forget(first, last);
    }
    return libtcpip_sys.close_range(first, last, flags);
}

PRELOAD_EXPORT void closefrom(int lowfd)
{
    ensure_init();
    if (lowfd >= 0 && map_is_ours()) {
        libtcpip_table_drop_range((unsigned)lowfd, UINT_MAX);
        libtcpip_sessions_forget((unsigned)lowfd, UINT_MAX);
    }
    libtcpip_sys.closefrom(lowfd);
}

/* newfd now names what oldfd names (or nothing of ours). */
static void dup_result(int oldfd, int newfd)
{
    if (newfd < 0 || newfd == oldfd)
        return;
    if ((libtcpip_kind(oldfd) != DKIND_NONE || libtcpip_kind(newfd) != DKIND_NONE) &&
        map_is_ours())
        libtcpip_table_dup(oldfd, newfd);
}

PRELOAD_EXPORT int dup(int fd)
{
    ensure_init();
    int r = libtcpip_sys.dup(fd);
    dup_result(fd, r);
    return r;
}

/* dup2/dup3 over one of the library's sessions closes it first. */
static void dup_over(int fd, int fd2)
{
    if (fd2 >= 0 && fd2 != fd && libtcpip_sessions_maybe((unsigned)fd2, (unsigned)fd2) &&
        map_is_ours())
        libtcpip_sessions_forget((unsigned)fd2, (unsigned)fd2);
}

PRELOAD_EXPORT int dup2(int fd, int fd2)
{
    ensure_init();
    dup_over(fd, fd2);
    int r = libtcpip_sys.dup2(fd, fd2);
    dup_result(fd, r);
    return r;
}

PRELOAD_EXPORT int dup3(int fd, int fd2, int flags)
{
    ensure_init();
    dup_over(fd, fd2);
    int r = libtcpip_sys.dup3(fd, fd2, flags);
    dup_result(fd, r);
    return r;
}

/* fcntl's third argument is an int or a pointer: it is passed on as the
 * C library passes it to the kernel, a register's worth. */
static int do_fcntl(int fd, int cmd, void *arg)
{
    ensure_init();
    int r = libtcpip_sys.fcntl(fd, cmd, arg);
    if ((cmd == F_DUPFD || cmd == F_DUPFD_CLOEXEC) && r >= 0)
        dup_result(fd, r);
    return r;
}

PRELOAD_EXPORT int fcntl(int fd, int cmd, ...)
{
    va_list ap;
    va_start(ap, cmd);
    void *arg = va_arg(ap, void *);
    va_end(ap);
    return do_fcntl(fd, cmd, arg);
}

PRELOAD_EXPORT int fcntl64(int fd, int cmd, ...)
{
    va_list ap;
    va_start(ap, cmd);
    void *arg = va_arg(ap, void *);
    va_end(ap);
    return do_fcntl(fd, cmd, arg);
}

/* FIONREAD as Linux answers it: a TCP listener has no byte count
 * (EINVAL); an unconnected UDP socket's next message carries the
 * 20-byte endpoint before the datagram the program will read. */
static int fionread(int fd, int kind, int *out)
{
    int n = 0;
    if (libtcpip_sys.ioctl(fd, FIONREAD, &n) < 0)
        return -1;
    if (kind == DKIND_OTHER) {
        struct dsock *ds = libtcpip_table_get(fd);
        int err = 0;
        if (ds != NULL && ds->proto == IPC_PROTO_TCP && ds->state == DSOCK_LISTENING)
            err = EINVAL;
        else if (ds != NULL && ds->proto == IPC_PROTO_UDP && ds->state != DSOCK_CONNECTED &&
                 n > 0)
            n = n >= IPC_DGRAM_HDR_LEN ? n - IPC_DGRAM_HDR_LEN : 0;
        libtcpip_dsock_put(ds);
        if (err != 0)
            return fail(err);
    }
    if (out == NULL)
        return fail(EFAULT);
    *out = n;
    return 0;
}

PRELOAD_EXPORT int ioctl(int fd, unsigned long request, ...)
{
    va_list ap;
    va_start(ap, request);
    void *arg = va_arg(ap, void *);
    va_end(ap);
    int kind = kind_of_fd(fd);
    if (kind != DKIND_NONE && request == FIONREAD)
        return fionread(fd, kind, arg);
    /* FIONBIO and the rest: the data fd's own (O_NONBLOCK is its flag) */
    return libtcpip_sys.ioctl(fd, request, arg);
}

/* ---- processes ---- */

PRELOAD_EXPORT int prctl(int option, ...)
{
    va_list ap;
    va_start(ap, option);
    unsigned long a2 = va_arg(ap, unsigned long);
    unsigned long a3 = va_arg(ap, unsigned long);
    unsigned long a4 = va_arg(ap, unsigned long);
    unsigned long a5 = va_arg(ap, unsigned long);
    va_end(ap);
    ensure_init();
    /* A seccomp filter may kill the process for any system call it did
     * not expect: from here on, only the program's own calls. */
    if (option == PR_SET_SECCOMP)
        atomic_store(&sandboxed, true);
    return libtcpip_sys.prctl(option, a2, a3, a4, a5);
}
