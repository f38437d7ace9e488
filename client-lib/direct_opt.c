/* direct_opt.c - setsockopt/getsockopt on the direct backend: Linux's
 * (level, name) pairs mapped onto the protocol's option names
 * (ipc/PROTOCOL.md 6.6), answered here when this process knows the
 * answer, or set on the data fd itself when the kernel's socket under it
 * does the work (timeouts, low-water marks). What Linux refuses before
 * looking at the socket (unknown option, short length, an option of
 * another protocol or family, setting a read-only one) is refused here
 * without a request. */
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

/* Options the data fd's own socket implements exactly as a TCP or UDP
 * socket would: the kernel does the work. A UDP socket's buffers are the
 * data fd's (the daemon sends each datagram on at once and drops what
 * the application's end has no room for, PROTOCOL.md 7.3), so its
 * SO_RCVBUF and SO_SNDBUF are the fd's too, doubled and clamped as Linux
 * does for any socket. */
static bool fd_local(const struct dsock *ds, int level, int name)
{
    if (level != SOL_SOCKET)
        return false;
    if (name == SO_RCVTIMEO || name == SO_SNDTIMEO || name == SO_RCVLOWAT)
        return true;
    return ds->proto == IPC_PROTO_UDP && (name == SO_RCVBUF || name == SO_SNDBUF);
}

/* The protocol's name for (level, name) on ds, or 0 (ENOPROTOOPT: not an
 * option of this socket). */
static uint32_t opt_name(const struct dsock *ds, int level, int name)
{
    bool tcp = ds->proto == IPC_PROTO_TCP;
    if (level == SOL_SOCKET) {
        switch (name) {
        case SO_REUSEADDR: return IPC_SO_REUSEADDR;
        case SO_REUSEPORT: return IPC_SO_REUSEPORT;
        case SO_KEEPALIVE: return IPC_SO_KEEPALIVE;
        case SO_RCVBUF: return IPC_SO_RCVBUF;
        case SO_SNDBUF: return IPC_SO_SNDBUF;
        case SO_ERROR: return IPC_SO_ERROR;
        case SO_LINGER: return IPC_SO_LINGER;
        case SO_TYPE: return IPC_SO_TYPE;
        case SO_BROADCAST: return IPC_SO_BROADCAST;
        default: return 0;
        }
    }
    if (level == IPPROTO_TCP && tcp) {
        switch (name) {
        case TCP_NODELAY: return IPC_TCP_NODELAY;
        case TCP_KEEPIDLE: return IPC_TCP_KEEPIDLE;
        case TCP_KEEPINTVL: return IPC_TCP_KEEPINTVL;
        case TCP_KEEPCNT: return IPC_TCP_KEEPCNT;
        case TCP_MAXSEG: return IPC_TCP_MAXSEG;
        case TCP_CORK: return IPC_TCP_CORK;
        case TCP_QUICKACK: return IPC_TCP_QUICKACK;
        default: return 0;
        }
    }
    /* IP_TOS applies to IPv4 sockets and to the IPv4 traffic of an IPv6
     * one, as in Linux. */
    if (level == IPPROTO_IP && name == IP_TOS)
        return IPC_IP_TOS;
    if (level == IPPROTO_IPV6 && ds->family == AF_INET6) {
        if (name == IPV6_V6ONLY)
            return IPC_IPV6_V6ONLY;
        if (name == IPV6_TCLASS)
            return IPC_IPV6_TCLASS;
    }
    return 0;
}

/* The answers this process has without asking (SO_DOMAIN and friends). */
static bool opt_known(int fd, struct dsock *ds, int level, int name, int *value)
{
    (void)fd;
    if (level != SOL_SOCKET)
        return false;
    switch (name) {
    case SO_TYPE: *value = ds->proto == IPC_PROTO_TCP ? SOCK_STREAM : SOCK_DGRAM; return true;
    case SO_DOMAIN: *value = ds->family; return true;
    case SO_PROTOCOL: *value = ds->proto == IPC_PROTO_TCP ? IPPROTO_TCP : IPPROTO_UDP; return true;
    case SO_ACCEPTCONN: *value = ds->state == DSOCK_LISTENING; return true;
    default: return false;
    }
}

int libtcpip_direct_setsockopt(int fd, int level, int name, const void *val, socklen_t len)
{
    struct dsock *ds = libtcpip_sock_get(fd);
    struct ipc_opt req = { 0 };
    struct ipc_reply reply;
    uint8_t msg[IPC_MAX_MSG];
    int rc = ENOPROTOOPT;

    if (ds == NULL)
        return -1;
    if (fd_local(ds, level, name)) {
        libtcpip_dsock_put(ds);
        return libtcpip_sys.setsockopt(fd, level, name, val, len);
    }
    req.name = opt_name(ds, level, name);
    /* Read-only options: Linux says ENOPROTOOPT for SO_ERROR and SO_TYPE. */
    if (req.name == IPC_SO_ERROR || req.name == IPC_SO_TYPE)
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
        rc = libtcpip_request(fd, ds, msg, n, &reply);
        if (rc == 0 && req.name == IPC_TCP_CORK) {
            ds->corked = false;  /* the application's own cork now */
            libtcpip_dsock_changed(ds);
        }
    }
    libtcpip_dsock_put(ds);
    return rc == 0 ? 0 : fail(rc);
}

/* glibc's struct tcp_info stops at tcpi_total_retrans; Linux's goes on
 * (linux/tcp.h), and programs that ask for more get these too. */
struct tcp_info_linux {
    struct tcp_info base;        /* 104 bytes */
    uint64_t pacing_rate, max_pacing_rate, bytes_acked, bytes_received;
    uint32_t segs_out, segs_in;
};

/* TCP_INFO: the daemon's INFO mapped onto Linux's struct tcp_info, as
 * much of it as fits in *len. */
static int get_tcp_info(int fd, struct dsock *ds, void *val, socklen_t *len)
{
    uint8_t msg[IPC_MAX_MSG];
    struct ipc_reply reply;
    struct ipc_info in;
    struct tcp_info_linux tl;
    struct tcp_info *ti = &tl.base;
    size_t n = ipc_encode_empty(msg, sizeof msg, IPC_OP_GETINFO);
    int rc = libtcpip_call(fd, msg, n, &reply, NULL, true, &in);
    if (rc != 0 && rc != EPROTO && rc != EPROTONOSUPPORT && rc != EMFILE && rc != ENOMEM) {
        ds->state = DSOCK_DEAD;
        libtcpip_dsock_changed(ds);
        rc = ENETDOWN;
    }
    if (rc == 0 && reply.err != 0)
        rc = reply.err == ENOTSOCK ? ENETDOWN : reply.err;
    if (rc != 0)
        return rc;
    memset(&tl, 0, sizeof tl);
    ti->tcpi_state = in.state;
    ti->tcpi_ca_state = in.ca_state;
    ti->tcpi_retransmits = in.retransmits;
    ti->tcpi_probes = in.probes;
    ti->tcpi_backoff = in.backoff;
    ti->tcpi_options = in.options;
    ti->tcpi_snd_wscale = in.snd_wscale;
    ti->tcpi_rcv_wscale = in.rcv_wscale;
    ti->tcpi_rto = in.rto;
    ti->tcpi_ato = in.ato;
    ti->tcpi_snd_mss = in.snd_mss;
    ti->tcpi_rcv_mss = in.rcv_mss;
    ti->tcpi_unacked = in.unacked;
    ti->tcpi_sacked = in.sacked;
    ti->tcpi_lost = in.lost;
    ti->tcpi_retrans = in.retrans;
    ti->tcpi_last_data_sent = in.last_data_sent;
    ti->tcpi_last_data_recv = in.last_data_recv;
    ti->tcpi_last_ack_recv = in.last_ack_recv;
    ti->tcpi_pmtu = in.pmtu;
    ti->tcpi_rcv_ssthresh = in.rcv_ssthresh;
    ti->tcpi_rtt = in.rtt;
    ti->tcpi_rttvar = in.rttvar;
    ti->tcpi_snd_ssthresh = in.snd_ssthresh;
    ti->tcpi_snd_cwnd = in.snd_cwnd;
    ti->tcpi_advmss = in.advmss;
    ti->tcpi_reordering = in.reordering;
    ti->tcpi_rcv_space = in.rcv_space;
    ti->tcpi_total_retrans = in.total_retrans;
    tl.bytes_acked = in.bytes_acked;
    tl.bytes_received = in.bytes_received;
    tl.segs_out = in.segs_out > UINT32_MAX ? UINT32_MAX : (uint32_t)in.segs_out;
    tl.segs_in = in.segs_in > UINT32_MAX ? UINT32_MAX : (uint32_t)in.segs_in;
    socklen_t copy = *len < (socklen_t)sizeof tl ? *len : (socklen_t)sizeof tl;
    memcpy(val, &tl, copy);
    *len = copy;
    return 0;
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
    if (fd_local(ds, level, name)) {
        libtcpip_dsock_put(ds);
        return libtcpip_sys.getsockopt(fd, level, name, val, len);
    }
    if (level == SOL_SOCKET && name == SO_BINDTODEVICE) {
        /* No socket here is bound to a device: Linux's answer for that is
         * an empty name (sshd asks, for its routing domain). */
        libtcpip_dsock_put(ds);
        if (len == NULL)
            return fail(EFAULT);
        if ((int)*len < 0)
            return fail(EINVAL);
        *len = 0;
        return 0;
    }
    req.name = opt_name(ds, level, name);
    bool known = opt_known(fd, ds, level, name, &value);
    bool info = level == IPPROTO_TCP && name == TCP_INFO && ds->proto == IPC_PROTO_TCP;
    if (level == IPPROTO_TCP && ds->proto == IPC_PROTO_UDP && ds->family == AF_INET) {
        /* Linux's ip_getsockopt, for a level that is not IP's: an IPv4
         * UDP socket says EOPNOTSUPP (IPv6's ipv6_getsockopt and every
         * setsockopt say ENOPROTOOPT). */
        rc = EOPNOTSUPP;
    } else if (req.name == 0 && !known && !info) {
        rc = ENOPROTOOPT;
    } else if (len == NULL || val == NULL) {
        rc = EFAULT;
    } else if ((int)*len < 0) {
        rc = EINVAL;
    } else if (info) {
        rc = get_tcp_info(fd, ds, val, len);
        libtcpip_dsock_put(ds);
        return rc == 0 ? 0 : fail(rc);
    } else if (known) {
        rc = 0;
    } else if (req.name == IPC_SO_ERROR) {
        rc = libtcpip_get_so_error(fd, ds, &value);
        if (rc == ENETDOWN) {    /* tcpipd is gone, and the connection with it */
            value = ENETDOWN;
            rc = 0;
        }
    } else {
        size_t n = ipc_encode_opt(msg, sizeof msg, IPC_OP_GETOPT, &req);
        rc = libtcpip_request(fd, ds, msg, n, &reply);
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
