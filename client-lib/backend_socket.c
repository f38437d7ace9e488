/* backend_socket.c - the "socket" backend: the host kernel's own sockets.
 *
 * A thin pass-through, on purpose: this backend is the reference that
 * the direct backend and the cross-backend tests are held to, so it adds
 * no behaviour of its own. */
#include <unistd.h>

#include "client-lib/internal.h"

static int sk_bind(int fd, const struct sockaddr *addr, socklen_t len)
{
    return bind(fd, addr, len);
}

static int sk_connect(int fd, const struct sockaddr *addr, socklen_t len)
{
    return connect(fd, addr, len);
}

static int sk_accept4(int fd, struct sockaddr *addr, socklen_t *len, int flags)
{
    return accept4(fd, addr, len, flags);
}

static ssize_t sk_sendmsg(int fd, const struct msghdr *msg, int flags)
{
    return sendmsg(fd, msg, flags);
}

static ssize_t sk_recvmsg(int fd, struct msghdr *msg, int flags)
{
    return recvmsg(fd, msg, flags);
}

static int sk_getsockname(int fd, struct sockaddr *addr, socklen_t *len)
{
    return getsockname(fd, addr, len);
}

static int sk_getpeername(int fd, struct sockaddr *addr, socklen_t *len)
{
    return getpeername(fd, addr, len);
}

static int sk_getsockopt(int fd, int level, int name, void *val, socklen_t *len)
{
    return getsockopt(fd, level, name, val, len);
}

const struct libtcpip_ops libtcpip_socket_ops = {
    .name = "socket",
    .socket = socket,
    .bind = sk_bind,
    .listen = listen,
    .accept4 = sk_accept4,
    .connect = sk_connect,
    .sendmsg = sk_sendmsg,
    .recvmsg = sk_recvmsg,
    .shutdown = shutdown,
    .close = close,
    .getsockname = sk_getsockname,
    .getpeername = sk_getpeername,
    .setsockopt = setsockopt,
    .getsockopt = sk_getsockopt,
};
