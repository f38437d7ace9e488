/* tcpip/bsd.h - the BSD socket names for libtcpip's, for programs
 * ported by hand:
 *
 *   #include <tcpip/bsd.h>      (after or instead of the system headers)
 *
 * socket(), connect(), read(), close()... then call tcpip_socket(),
 * tcpip_connect(), tcpip_read(), tcpip_close()...: the program runs on
 * the backend libtcpip chooses (TCPIP_BACKEND; tcpipd by default), built
 * with `pkg-config --cflags --libs tcpip`. read(), write() and close()
 * work on every fd, files and pipes included (libtcpip passes what is not
 * its socket to the C library). The names are function-like macros: a
 * name not followed by "(" (a function pointer, a struct member) is left
 * alone, but a call through a member of that name (ops->read(...)) is
 * renamed too; include this header last. To run a program unchanged, use
 * tcpip-run(1) instead. */
#ifndef TCPIP_BSD_H
#define TCPIP_BSD_H

/* The system's declarations first, so that the macros below never
 * rename them. */
#include <sys/socket.h>
#include <sys/types.h>
#include <unistd.h>

#include <tcpip.h>

#define socket(domain, type, protocol) tcpip_socket(domain, type, protocol)
#define bind(fd, addr, len) tcpip_bind(fd, addr, len)
#define listen(fd, backlog) tcpip_listen(fd, backlog)
#define accept(fd, addr, len) tcpip_accept(fd, addr, len)
#define accept4(fd, addr, len, flags) tcpip_accept4(fd, addr, len, flags)
#define connect(fd, addr, len) tcpip_connect(fd, addr, len)
#define send(fd, buf, len, flags) tcpip_send(fd, buf, len, flags)
#define recv(fd, buf, len, flags) tcpip_recv(fd, buf, len, flags)
#define sendto(fd, buf, len, flags, to, tolen) tcpip_sendto(fd, buf, len, flags, to, tolen)
#define recvfrom(fd, buf, len, flags, from, fromlen) \
    tcpip_recvfrom(fd, buf, len, flags, from, fromlen)
#define sendmsg(fd, msg, flags) tcpip_sendmsg(fd, msg, flags)
#define recvmsg(fd, msg, flags) tcpip_recvmsg(fd, msg, flags)
#define shutdown(fd, how) tcpip_shutdown(fd, how)
#define close(fd) tcpip_close(fd)
#define getsockname(fd, addr, len) tcpip_getsockname(fd, addr, len)
#define getpeername(fd, addr, len) tcpip_getpeername(fd, addr, len)
#define setsockopt(fd, level, name, val, len) tcpip_setsockopt(fd, level, name, val, len)
#define getsockopt(fd, level, name, val, len) tcpip_getsockopt(fd, level, name, val, len)
#define read(fd, buf, len) tcpip_read(fd, buf, len)
#define write(fd, buf, len) tcpip_write(fd, buf, len)

#endif
