/* tcpip.c - libtcpip's public API (tcpip.h): choose the backend once,
 * then hand every call to it.
 *
 * The choice is made by tcpip_init() or, failing that, by TCPIP_BACKEND
 * at the first call, and becomes final at the first tcpip_socket(): after
 * that, sockets of one backend exist and the other backend could not
 * serve them. The hot path (every send and recv) reads the choice with
 * one atomic load; the mutex is taken only to make or change it. */
#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "client-lib/internal.h"

/* Only the tcpip_* names leave libtcpip.so (-fvisibility=hidden). */
#define TCPIP_EXPORT __attribute__((visibility("default")))

static pthread_mutex_t choice_lock = PTHREAD_MUTEX_INITIALIZER;
static _Atomic(const struct libtcpip_ops *) chosen;
static atomic_bool choice_final;

int libtcpip_parse_backend(const char *name)
{
    if (name == NULL || name[0] == '\0')
        return TCPIP_BACKEND_DEFAULT;
    if (strcmp(name, "direct") == 0)
        return TCPIP_BACKEND_DIRECT;
    if (strcmp(name, "socket") == 0)
        return TCPIP_BACKEND_SOCKET;
    return -1;
}

void libtcpip_reset_backend(void)
{
    pthread_mutex_lock(&choice_lock);
    atomic_store(&chosen, NULL);
    atomic_store(&choice_final, false);
    libtcpip_direct_set_path(NULL);
    pthread_mutex_unlock(&choice_lock);
}

/* DEFAULT resolved through the environment: the ops, or NULL (EINVAL:
 * TCPIP_BACKEND names no backend). */
static const struct libtcpip_ops *ops_of(int backend)
{
    if (backend == TCPIP_BACKEND_DEFAULT)
        backend = libtcpip_parse_backend(getenv("TCPIP_BACKEND"));
    switch (backend) {
    case TCPIP_BACKEND_DEFAULT:
    case TCPIP_BACKEND_DIRECT: return &libtcpip_direct_ops;
    case TCPIP_BACKEND_SOCKET: return &libtcpip_socket_ops;
    default: return NULL;
    }
}

/* The backend to use, chosen now if nobody chose yet; make_final: a
 * socket is about to exist. NULL with errno EINVAL if TCPIP_BACKEND is
 * not a backend's name. */
static const struct libtcpip_ops *backend(bool make_final)
{
    const struct libtcpip_ops *ops = atomic_load(&chosen);

    if (ops != NULL && (!make_final || atomic_load(&choice_final)))
        return ops;
    pthread_mutex_lock(&choice_lock);
    ops = atomic_load(&chosen);
    if (ops == NULL) {
        ops = ops_of(TCPIP_BACKEND_DEFAULT);
        atomic_store(&chosen, ops);
    }
    if (ops != NULL && make_final)
        atomic_store(&choice_final, true);
    pthread_mutex_unlock(&choice_lock);
    if (ops == NULL)
        errno = EINVAL;
    return ops;
}

TCPIP_EXPORT int tcpip_init(enum tcpip_backend which, const char *daemon_path)
{
    const struct libtcpip_ops *ops;
    int rc = 0;

    if (which != TCPIP_BACKEND_DEFAULT && which != TCPIP_BACKEND_DIRECT &&
        which != TCPIP_BACKEND_SOCKET) {
        errno = EINVAL;
        return -1;
    }
    pthread_mutex_lock(&choice_lock);
    ops = ops_of(which);
    if (ops == NULL) {
        rc = EINVAL;
    } else if (atomic_load(&choice_final)) {
        /* Sockets exist: the same choice again is harmless, another is not. */
        if (ops != atomic_load(&chosen))
            rc = EBUSY;
        else if (ops == &libtcpip_direct_ops && daemon_path != NULL &&
                 strcmp(daemon_path, libtcpip_direct_path()) != 0)
            rc = EBUSY;
    } else {
        rc = libtcpip_direct_set_path(daemon_path);
        if (rc == 0)
            atomic_store(&chosen, ops);
    }
    pthread_mutex_unlock(&choice_lock);
    if (rc != 0) {
        errno = rc;
        return -1;
    }
    return 0;
}

TCPIP_EXPORT const char *tcpip_backend_name(void)
{
    const struct libtcpip_ops *ops = backend(false);
    return ops != NULL ? ops->name : "invalid";
}

TCPIP_EXPORT int tcpip_socket(int domain, int type, int protocol)
{
    const struct libtcpip_ops *ops = backend(true);
    return ops != NULL ? ops->socket(domain, type, protocol) : -1;
}

TCPIP_EXPORT int tcpip_bind(int fd, const struct sockaddr *addr, socklen_t len)
{
    const struct libtcpip_ops *ops = backend(false);
    return ops != NULL ? ops->bind(fd, addr, len) : -1;
}

TCPIP_EXPORT int tcpip_listen(int fd, int backlog)
{
    const struct libtcpip_ops *ops = backend(false);
    return ops != NULL ? ops->listen(fd, backlog) : -1;
}

TCPIP_EXPORT int tcpip_accept(int fd, struct sockaddr *addr, socklen_t *len)
{
    const struct libtcpip_ops *ops = backend(false);
    return ops != NULL ? ops->accept4(fd, addr, len, 0) : -1;
}

TCPIP_EXPORT int tcpip_accept4(int fd, struct sockaddr *addr, socklen_t *len, int flags)
{
    const struct libtcpip_ops *ops = backend(false);
    return ops != NULL ? ops->accept4(fd, addr, len, flags) : -1;
}

TCPIP_EXPORT int tcpip_connect(int fd, const struct sockaddr *addr, socklen_t len)
{
    const struct libtcpip_ops *ops = backend(false);
    return ops != NULL ? ops->connect(fd, addr, len) : -1;
}

TCPIP_EXPORT ssize_t tcpip_sendmsg(int fd, const struct msghdr *msg, int flags)
{
    const struct libtcpip_ops *ops = backend(false);
    return ops != NULL ? ops->sendmsg(fd, msg, flags) : -1;
}

TCPIP_EXPORT ssize_t tcpip_recvmsg(int fd, struct msghdr *msg, int flags)
{
    const struct libtcpip_ops *ops = backend(false);
    return ops != NULL ? ops->recvmsg(fd, msg, flags) : -1;
}

TCPIP_EXPORT ssize_t tcpip_sendto(int fd, const void *buf, size_t len, int flags,
                                  const struct sockaddr *to, socklen_t tolen)
{
    struct iovec iov = {.iov_base = (void *)buf, .iov_len = len};
    struct msghdr m = {.msg_name = (void *)to, .msg_namelen = to != NULL ? tolen : 0,
                       .msg_iov = &iov, .msg_iovlen = 1};
    return tcpip_sendmsg(fd, &m, flags);
}

TCPIP_EXPORT ssize_t tcpip_send(int fd, const void *buf, size_t len, int flags)
{
    return tcpip_sendto(fd, buf, len, flags, NULL, 0);
}

TCPIP_EXPORT ssize_t tcpip_recvfrom(int fd, void *buf, size_t len, int flags,
                                    struct sockaddr *from, socklen_t *fromlen)
{
    if (from != NULL && fromlen == NULL) {
        errno = EFAULT;
        return -1;
    }
    struct iovec iov = {.iov_base = buf, .iov_len = len};
    struct msghdr m = {.msg_name = from, .msg_namelen = from != NULL ? *fromlen : 0,
                       .msg_iov = &iov, .msg_iovlen = 1};
    ssize_t n = tcpip_recvmsg(fd, &m, flags);
    if (n >= 0 && from != NULL)
        *fromlen = m.msg_namelen;
    return n;
}

TCPIP_EXPORT ssize_t tcpip_recv(int fd, void *buf, size_t len, int flags)
{
    return tcpip_recvfrom(fd, buf, len, flags, NULL, NULL);
}

/* tcpip_read and tcpip_write take every fd, as read(2) and write(2) do
 * (tcpip/bsd.h maps those names here): what is no socket of the backend
 * (a file, a pipe, a terminal) goes to the C library. */
TCPIP_EXPORT ssize_t tcpip_read(int fd, void *buf, size_t len)
{
    ssize_t n = tcpip_recvfrom(fd, buf, len, 0, NULL, NULL);
    if (n < 0 && errno == ENOTSOCK)
        return libtcpip_sys.read(fd, buf, len);
    return n;
}

TCPIP_EXPORT ssize_t tcpip_write(int fd, const void *buf, size_t len)
{
    ssize_t n = tcpip_sendto(fd, buf, len, 0, NULL, 0);
    if (n < 0 && errno == ENOTSOCK)
        return libtcpip_sys.write(fd, buf, len);
    return n;
}

TCPIP_EXPORT const char *tcpip_strerror(int err)
{
    const char *why = libtcpip_reach_error();
    /* The errors of reaching tcpipd itself: say where we looked. */
    if (why != NULL && (err == ENOENT || err == ECONNREFUSED || err == EACCES ||
                        err == ENETDOWN || err == ENOTDIR))
        return why;
    return strerror(err);
}

TCPIP_EXPORT int tcpip_shutdown(int fd, int how)
{
    const struct libtcpip_ops *ops = backend(false);
    return ops != NULL ? ops->shutdown(fd, how) : -1;
}

TCPIP_EXPORT int tcpip_close(int fd)
{
    const struct libtcpip_ops *ops = backend(false);
    return ops != NULL ? ops->close(fd) : -1;
}

TCPIP_EXPORT int tcpip_getsockname(int fd, struct sockaddr *addr, socklen_t *len)
{
    const struct libtcpip_ops *ops = backend(false);
    return ops != NULL ? ops->getsockname(fd, addr, len) : -1;
}

TCPIP_EXPORT int tcpip_getpeername(int fd, struct sockaddr *addr, socklen_t *len)
{
    const struct libtcpip_ops *ops = backend(false);
    return ops != NULL ? ops->getpeername(fd, addr, len) : -1;
}

TCPIP_EXPORT int tcpip_setsockopt(int fd, int level, int name, const void *val, socklen_t len)
{
    const struct libtcpip_ops *ops = backend(false);
    return ops != NULL ? ops->setsockopt(fd, level, name, val, len) : -1;
}

TCPIP_EXPORT int tcpip_getsockopt(int fd, int level, int name, void *val, socklen_t *len)
{
    const struct libtcpip_ops *ops = backend(false);
    return ops != NULL ? ops->getsockopt(fd, level, name, val, len) : -1;
}
