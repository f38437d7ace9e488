/* tcpip.h - libtcpip: BSD sockets on the tcpip userspace stack.
 *
 * The same calls run on two backends:
 *   direct  the tcpipd daemon's own TCP/IP stack, over its Unix socket
 *           (TCPIP_SOCKET or /run/tcpipd/tcpipd.sock)
 *   socket  the host kernel's sockets (the reference behaviour)
 * chosen by tcpip_init() or, if the program never calls it, by the
 * environment variable TCPIP_BACKEND ("direct" or "socket"; default
 * "direct").
 *
 * Every call returns what its POSIX namesake returns and sets errno as
 * Linux would: -1 with errno. A socket is one real file descriptor: poll,
 * select, epoll, libev and friends work on it, fork, dup and SCM_RIGHTS
 * share it, and it ends when its last copy is closed (close(2) or
 * tcpip_close, either). For a TCP socket and a connected UDP socket plain
 * read(), write(), send() and recv() work on the fd; use the tcpip_ calls
 * to get ECONNRESET/ETIMEDOUT where a plain read sees end of file, and
 * for an unconnected UDP socket (its datagrams carry the peer's address).
 * Shut a socket down with tcpip_shutdown, never shutdown(2). All calls are
 * thread-safe.
 *
 * See libtcpip(3). */
#ifndef TCPIP_H
#define TCPIP_H

#include <stddef.h>
#include <sys/socket.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

enum tcpip_backend {
    TCPIP_BACKEND_DEFAULT = 0,   /* TCPIP_BACKEND from the environment, else direct */
    TCPIP_BACKEND_DIRECT = 1,
    TCPIP_BACKEND_SOCKET = 2,
};

/* Choose the backend (once, before the first socket; later calls with a
 * different backend fail with EBUSY). daemon_path: the direct backend's
 * socket, NULL for TCPIP_SOCKET or the default. 0 or -1/errno. */
int tcpip_init(enum tcpip_backend backend, const char *daemon_path);
/* The backend in use ("direct" or "socket"). */
const char *tcpip_backend_name(void);

/* domain AF_INET or AF_INET6; type SOCK_STREAM or SOCK_DGRAM, optionally
 * | SOCK_NONBLOCK | SOCK_CLOEXEC; protocol 0 or the matching IPPROTO_*. */
int tcpip_socket(int domain, int type, int protocol);
int tcpip_bind(int fd, const struct sockaddr *addr, socklen_t len);
int tcpip_listen(int fd, int backlog);
int tcpip_accept(int fd, struct sockaddr *addr, socklen_t *len);
int tcpip_accept4(int fd, struct sockaddr *addr, socklen_t *len, int flags);
/* Blocking, or -1/EINPROGRESS on a non-blocking socket: then wait for
 * POLLOUT and read the outcome with getsockopt(SOL_SOCKET, SO_ERROR). */
int tcpip_connect(int fd, const struct sockaddr *addr, socklen_t len);
ssize_t tcpip_send(int fd, const void *buf, size_t len, int flags);
ssize_t tcpip_sendmsg(int fd, const struct msghdr *msg, int flags);
ssize_t tcpip_recvmsg(int fd, struct msghdr *msg, int flags);
/* read(2)/write(2) with the socket's semantics (an unconnected UDP
 * socket's framing, errors after end of file), as recv/send with flags 0. */
ssize_t tcpip_read(int fd, void *buf, size_t len);
ssize_t tcpip_write(int fd, const void *buf, size_t len);
ssize_t tcpip_recv(int fd, void *buf, size_t len, int flags);
ssize_t tcpip_sendto(int fd, const void *buf, size_t len, int flags,
                     const struct sockaddr *to, socklen_t tolen);
ssize_t tcpip_recvfrom(int fd, void *buf, size_t len, int flags, struct sockaddr *from,
                       socklen_t *fromlen);
int tcpip_shutdown(int fd, int how);
int tcpip_close(int fd);
int tcpip_getsockname(int fd, struct sockaddr *addr, socklen_t *len);
int tcpip_getpeername(int fd, struct sockaddr *addr, socklen_t *len);
/* SOL_SOCKET: SO_REUSEADDR, SO_KEEPALIVE, SO_RCVBUF,
 * SO_SNDBUF, SO_ERROR, SO_LINGER, SO_TYPE, SO_DOMAIN, SO_PROTOCOL,
 * SO_ACCEPTCONN, SO_BROADCAST, SO_RCVTIMEO, SO_SNDTIMEO, SO_RCVLOWAT;
 * IPPROTO_TCP: TCP_NODELAY, TCP_CORK, TCP_QUICKACK, TCP_KEEPIDLE,
 * TCP_KEEPINTVL, TCP_KEEPCNT, TCP_MAXSEG, TCP_INFO (get); IPPROTO_IP: IP_TOS;
 * IPPROTO_IPV6: IPV6_V6ONLY, IPV6_TCLASS. Others: -1/ENOPROTOOPT. */
int tcpip_setsockopt(int fd, int level, int name, const void *val, socklen_t len);
int tcpip_getsockopt(int fd, int level, int name, void *val, socklen_t *len);

/* strerror(err), or for the errors of reaching tcpipd (ENOENT,
 * ECONNREFUSED, EACCES from tcpip_socket; ENETDOWN once it went away) a
 * sentence naming the socket path that was tried. Thread-local buffer. */
const char *tcpip_strerror(int err);

#ifdef __cplusplus
}
#endif

#endif
