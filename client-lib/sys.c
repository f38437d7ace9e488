/* sys.c - the C library calls libtcpip makes for itself (internal.h).
 * libtcpip.so and .a use libc's own; the preload library redirects this
 * table to the next definitions after its own wrappers before the
 * program runs, so that the library's sessions and data fds never pass
 * through the wrappers again. */
#include <fcntl.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "client-lib/internal.h"

struct libtcpip_sys libtcpip_sys = {
    .socket = socket,
    .connect = connect,
    .close = close,
    .sendmsg = sendmsg,
    .recvmsg = recvmsg,
    .send = send,
    .recv = recv,
    .poll = poll,
    .fcntl = fcntl,
    .getsockopt = getsockopt,
    .setsockopt = setsockopt,
    .ioctl = ioctl,
    .dup3 = dup3,
    .bind = bind,
    .listen = listen,
    .accept = accept,
    .accept4 = accept4,
    .shutdown = shutdown,
    .getsockname = getsockname,
    .getpeername = getpeername,
    .read = read,
    .write = write,
    .readv = readv,
    .writev = writev,
    .sendto = sendto,
    .recvfrom = recvfrom,
    .sendmmsg = sendmmsg,
    .recvmmsg = recvmmsg,
    .dup = dup,
    .dup2 = dup2,
    .close_range = close_range,
    .closefrom = closefrom,
    .prctl = prctl,
};
