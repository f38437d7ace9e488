/* sockaddr.c - the application's struct sockaddr <-> the protocol's
 * struct ipc_endpoint, with the checks and errnos of Linux's inet_bind,
 * inet_stream_connect/ip4_datagram_connect and udp_sendmsg (and their
 * IPv6 twins), so that the direct backend rejects exactly what the
 * kernel backend rejects. */
#include <errno.h>
#include <netinet/in.h>
#include <stddef.h>
#include <string.h>

#include "client-lib/internal.h"

/* Linux accepts the RFC 2133 sockaddr_in6 without sin6_scope_id. */
#define SIN6_LEN_RFC2133 24

int libtcpip_sockaddr_to_ep(int family, const struct sockaddr *addr, socklen_t len,
                            bool allow_unspec, struct ipc_endpoint *ep)
{
    memset(ep, 0, sizeof *ep);
    /* move_addr_to_kernel's checks come first: a length past any address
     * is EINVAL, an address the kernel could not read EFAULT. */
    if ((int)len < 0 || len > (socklen_t)sizeof(struct sockaddr_storage))
        return EINVAL;
    if (addr == NULL && len > 0)
        return EFAULT;
    if (addr == NULL || len < (socklen_t)sizeof addr->sa_family)
        return EINVAL;
    if (addr->sa_family == AF_UNSPEC && allow_unspec) {
        ep->family = IPC_AF_UNSPEC;
        return 0;
    }
    if (family == AF_INET) {
        struct sockaddr_in sin;
        if (len < (socklen_t)sizeof sin)
            return EINVAL;
        memcpy(&sin, addr, sizeof sin);
        /* inet_bind's quirk, kept for old programs: AF_UNSPEC with
         * INADDR_ANY binds like AF_INET. */
        if (addr->sa_family != AF_INET &&
            (addr->sa_family != AF_UNSPEC || sin.sin_addr.s_addr != htonl(INADDR_ANY)))
            return EAFNOSUPPORT;
        ep->family = IPC_AF_INET;
        ep->port = ntohs(sin.sin_port);
        memcpy(ep->addr, &sin.sin_addr, 4);
        return 0;
    }
    if (family == AF_INET6) {
        struct sockaddr_in6 sin6;
        if (len < SIN6_LEN_RFC2133)
            return EINVAL;
        if (addr->sa_family != AF_INET6)
            return EAFNOSUPPORT;
        memset(&sin6, 0, sizeof sin6);
        memcpy(&sin6, addr, len < (socklen_t)sizeof sin6 ? len : sizeof sin6);
        /* A v4-mapped address (::ffff:a.b.c.d) travels as IPv6 too: the
         * daemon decides what a dual-stack socket does with it. */
        ep->family = IPC_AF_INET6;
        ep->port = ntohs(sin6.sin6_port);
        memcpy(ep->addr, &sin6.sin6_addr, 16);
        return 0;
    }
    return EAFNOSUPPORT;
}

int libtcpip_ep_to_sockaddr(int family, const struct ipc_endpoint *ep,
                            struct sockaddr *addr, socklen_t *len)
{
    union {
        struct sockaddr_in sin;
        struct sockaddr_in6 sin6;
    } u;
    socklen_t full;

    if (len == NULL || (int)*len < 0)
        return EINVAL;
    memset(&u, 0, sizeof u);
    /* The name has the socket's family: on an AF_INET6 socket an IPv4
     * endpoint is reported v4-mapped (::ffff:a.b.c.d), as Linux does for
     * a dual-stack socket; an unbound socket reports the unspecified
     * address. */
    int out_family = (family == AF_INET6 || ep->family == IPC_AF_INET6) ? AF_INET6 : AF_INET;
    if (out_family == AF_INET6) {
        u.sin6.sin6_family = AF_INET6;
        u.sin6.sin6_port = htons(ep->port);
        if (ep->family == IPC_AF_INET6) {
            memcpy(&u.sin6.sin6_addr, ep->addr, 16);
        } else if (ep->family == IPC_AF_INET) {
            u.sin6.sin6_addr.s6_addr[10] = 0xff;
            u.sin6.sin6_addr.s6_addr[11] = 0xff;
            memcpy(&u.sin6.sin6_addr.s6_addr[12], ep->addr, 4);
        }
        full = sizeof u.sin6;
    } else {
        u.sin.sin_family = AF_INET;
        u.sin.sin_port = htons(ep->port);
        memcpy(&u.sin.sin_addr, ep->addr, 4);
        full = sizeof u.sin;
    }
    if (addr != NULL)
        memcpy(addr, &u, *len < full ? *len : full);
    *len = full;
    return 0;
}
