/* direct_opt.c - setsockopt/getsockopt on the direct backend: Linux's
 * (level, name) pairs mapped onto the protocol's option names
 * (ipc/PROTOCOL.md 6.6). What Linux refuses before looking at the socket
 * (unknown option, short length, an option of another protocol or
 * family, setting a read-only one) is refused here without a request. */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <string.h>

#include "client-lib/internal.h"

static int fail(int err)
{
    errno = err;
    return -1;
}

/* The protocol's name for (level, name) on ds, or 0 with *err set
 * (ENOPROTOOPT: not an option of this socket). */
static uint32_t opt_name(const struct dsock *ds, int level, int name, int *err)
{
    *err = ENOPROTOOPT;
    if (level == SOL_SOCKET) {
        switch (name) {
        case SO_REUSEADDR: return IPC_SO_REUSEADDR;
        case SO_KEEPALIVE: return IPC_SO_KEEPALIVE;
        case SO_RCVBUF: return IPC_SO_RCVBUF;
        case SO_SNDBUF: return IPC_SO_SNDBUF;
        case SO_ERROR: return IPC_SO_ERROR;
        case SO_LINGER: return IPC_SO_LINGER;
        case SO_TYPE: return IPC_SO_TYPE;
        default: return 0;
        }
    }
    if (level == IPPROTO_TCP && ds->proto == IPC_PROTO_TCP) {
        switch (name) {
        case TCP_NODELAY: return IPC_TCP_NODELAY;
        case TCP_KEEPIDLE: return IPC_TCP_KEEPIDLE;
        case TCP_KEEPINTVL: return IPC_TCP_KEEPINTVL;
        case TCP_KEEPCNT: return IPC_TCP_KEEPCNT;
        case TCP_MAXSEG: return IPC_TCP_MAXSEG;
        default: return 0;
        }
    }
    if (level == IPPROTO_IPV6 && ds->family == AF_INET6 && name == IPV6_V6ONLY)
        return IPC_IPV6_V6ONLY;
    return 0;
}

int libtcpip_direct_setsockopt(int fd, int level, int name, const void *val, socklen_t len)
{
    struct dsock *ds = libtcpip_sock_get(fd);
    struct ipc_opt req = { 0 };
    struct ipc_reply reply;
    uint8_t msg[IPC_MAX_MSG];
    int rc;

    if (ds == NULL)
        return -1;
    req.name = opt_name(ds, level, name, &rc);
    /* Read-only options: Linux says ENOPROTOOPT for SO_ERROR and SO_TYPE. */
    if (req.name == IPC_SO_ERROR || req.name == IPC_SO_TYPE || req.name == IPC_TCP_MAXSEG)
        req.name = 0;
    if (req.name != 0) {
        rc = 0;
        if (req.name == IPC_SO_LINGER) {
            struct linger lg;
            if (val == NULL || len < (socklen_t)sizeof lg) {
                rc = EINVAL;
            } else {
                memcpy(&lg, val, sizeof lg);
                /* Linux reads a negative linger time as "for ever" (it
                 * is compared unsigned); 0 would mean "reset" instead. */
                req.value = !lg.l_onoff ? -1 : lg.l_linger < 0 ? INT32_MAX : lg.l_linger;
            }
        } else if (val == NULL || len < (socklen_t)sizeof(int)) {
            rc = EINVAL;
        } else {
            memcpy(&req.value, val, sizeof(int));
        }
    }
    if (rc == 0) {
        size_t n = ipc_encode_opt(msg, sizeof msg, IPC_OP_SETOPT, &req);
        rc = libtcpip_ctl_request(ds, msg, n, &reply);
    }
    libtcpip_dsock_put(ds);
    return rc == 0 ? 0 : fail(rc);
}

int libtcpip_direct_getsockopt(int fd, int level, int name, void *val, socklen_t *len)
{
    struct dsock *ds = libtcpip_sock_get(fd);
    struct ipc_opt req = { 0 };
    struct ipc_reply reply;
    uint8_t msg[IPC_MAX_MSG];
    int value = 0, rc;

    if (ds == NULL)
        return -1;
    req.name = opt_name(ds, level, name, &rc);
    if (req.name == 0) {
        /* rc is ENOPROTOOPT */
    } else if (len == NULL || val == NULL) {
        rc = EFAULT;
    } else if ((int)*len < 0) {
        rc = EINVAL;
    } else if (req.name == IPC_SO_TYPE) {
        rc = 0;                  /* known here; no need to ask */
        value = ds->proto == IPC_PROTO_TCP ? SOCK_STREAM : SOCK_DGRAM;
    } else if (req.name == IPC_SO_ERROR) {
        rc = libtcpip_get_so_error(ds, &value);
        if (rc == ECONNRESET) {  /* the daemon is gone, and the connection with it */
            value = ECONNRESET;
            rc = 0;
        }
    } else {
        size_t n = ipc_encode_opt(msg, sizeof msg, IPC_OP_GETOPT, &req);
        rc = libtcpip_ctl_request(ds, msg, n, &reply);
        if (rc == 0)
            value = reply.value;
    }
    if (rc == 0 && req.name == IPC_SO_LINGER) {
        struct linger lg = { .l_onoff = value >= 0, .l_linger = value >= 0 ? value : 0 };
        socklen_t n = *len < (socklen_t)sizeof lg ? *len : (socklen_t)sizeof lg;
        memcpy(val, &lg, n);
        *len = n;
    } else if (rc == 0) {
        socklen_t n = *len < (socklen_t)sizeof value ? *len : (socklen_t)sizeof value;
        memcpy(val, &value, n);
        *len = n;
    }
    libtcpip_dsock_put(ds);
    return rc == 0 ? 0 : fail(rc);
}
