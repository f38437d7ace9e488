/* tap.c - see tap.h. */
#include "daemon/tap.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <linux/ipv6.h>
#include <linux/virtio_net.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/uio.h>
#include <sys/socket.h>
#include <unistd.h>

/* A hint for the errors an operator meets in practice. */
static const char *tap_hint(int e)
{
    switch (e) {
    case EPERM:
    case EACCES:
        return " (need CAP_NET_ADMIN, or a persistent TAP owned by this user)";
    case ENOENT:
    case ENODEV:
        return " (is the tun module loaded?)";
    case EBUSY:
        return " (already attached to another process?)";
    case EINVAL:
        return " (a device of that name exists and is not a TAP?)";
    default:
        return "";
    }
}

static int ifreq_for(struct ifreq *ifr, const char *name, char *err, size_t errlen)
{
    memset(ifr, 0, sizeof *ifr);
    size_t n = strlen(name);
    if (n == 0 || n >= IFNAMSIZ) {
        snprintf(err, errlen, "bad interface name \"%s\" (1..%d characters)", name,
                 IFNAMSIZ - 1);
        return -EINVAL;
    }
    memcpy(ifr->ifr_name, name, n + 1);
    return 0;
}

static int open_tap(struct tap *t, const char *name, bool offload, char *err, size_t errlen)
{
    t->fd = -1;
    t->name[0] = '\0';
    t->persistent = false;
    t->vnet = false;
    t->tso6 = false;

    struct ifreq ifr;
    int rc = ifreq_for(&ifr, name, err, errlen);
    if (rc < 0)
        return rc;
    int fd = open(TAP_DEV_PATH, O_RDWR | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        int e = errno;
        snprintf(err, errlen, "cannot open TAP %s: %s: %s%s", name, TAP_DEV_PATH, strerror(e),
                 tap_hint(e));
        return -e;
    }
    /* IFF_NO_PI: frames start with the Ethernet header. TUNSETIFF creates
     * the device, or attaches to an existing persistent one if we may. */
    ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
    if (offload)
        ifr.ifr_flags |= IFF_VNET_HDR;
    if (ioctl(fd, TUNSETIFF, &ifr) != 0) {
        int e = errno;
        snprintf(err, errlen, "cannot open TAP %s: %s%s", name, strerror(e), tap_hint(e));
        close(fd);
        return -e;
    }
    /* TUNGETIFF reports IFF_PERSIST for a device made by `ip tuntap add`. */
    struct ifreq got;
    memset(&got, 0, sizeof got);
    if (ioctl(fd, TUNGETIFF, &got) == 0)
        t->persistent = (got.ifr_flags & IFF_PERSIST) != 0;
    if (offload) {
        /* Frames carry a struct virtio_net_hdr in front (10 bytes); the
         * kernel may hand us TCP/UDP with the checksum left to finish and
         * TCPv4 and TCPv6 packets of up to 64 KiB, and takes the same from
         * us. A kernel that refuses TUN_F_TSO6 (EINVAL for a flag it does
         * not know) still gets checksum and TCPv4 offload: IPv6 TCP then
         * goes in MSS-sized segments both ways. */
        int hdr = (int)sizeof(struct virtio_net_hdr);
        bool tso6 = true;
        rc = ioctl(fd, TUNSETVNETHDRSZ, &hdr);
        if (rc == 0) {
            rc = ioctl(fd, TUNSETOFFLOAD, (unsigned long)(TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6));
            if (rc != 0 && errno == EINVAL) {
                tso6 = false;
                rc = ioctl(fd, TUNSETOFFLOAD, (unsigned long)(TUN_F_CSUM | TUN_F_TSO4));
            }
        }
        if (rc != 0) {
            int e = errno;
            snprintf(err, errlen, "cannot set offloads on TAP %s: %s", name, strerror(e));
            close(fd);
            return -e;
        }
        t->vnet = true;
        t->tso6 = tso6;
    }
    t->fd = fd;
    memcpy(t->name, ifr.ifr_name, IFNAMSIZ);
    t->name[IFNAMSIZ - 1] = '\0';
    return 0;
}

int tap_open(struct tap *t, const char *name, char *err, size_t errlen)
{
    return open_tap(t, name, false, err, errlen);
}

int tap_open_offload(struct tap *t, const char *name, char *err, size_t errlen)
{
    return open_tap(t, name, true, err, errlen);
}

ssize_t tap_read_frame(struct tap *t, uint8_t *buf, size_t cap, const uint8_t **frame,
                       bool *csum_ok)
{
    ssize_t n = read(t->fd, buf, cap);
    *frame = buf;
    *csum_ok = false;
    if (n <= 0 || !t->vnet)
        return n;
    struct virtio_net_hdr h;
    if ((size_t)n < sizeof h) {
        errno = EIO; /* the kernel always writes the header: not a TAP? */
        return -1;
    }
    memcpy(&h, buf, sizeof h);
    /* NEEDS_CSUM: a local sender left the checksum for "hardware" to do,
     * so the bytes are as sent; DATA_VALID: already verified. Either way
     * the stack must not check it again (it would fail on NEEDS_CSUM). */
    *csum_ok = (h.flags & (VIRTIO_NET_HDR_F_NEEDS_CSUM | VIRTIO_NET_HDR_F_DATA_VALID)) != 0;
    *frame = buf + sizeof h;
    return n - (ssize_t)sizeof h;
}

ssize_t tap_write_frame(struct tap *t, const uint8_t *frame, size_t len,
                        const struct netif_tx_offload *o)
{
    if (!t->vnet)
        return write(t->fd, frame, len);
    struct virtio_net_hdr h;
    memset(&h, 0, sizeof h);
    if (o != NULL && o->csum_partial) {
        h.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
        h.csum_start = o->csum_start;
        h.csum_offset = o->csum_offset;
    }
    /* virtio spec 5.1.6.2: gso_type says which protocol the device cuts;
     * hdr_len covers Ethernet + IP + TCP headers, copied to every piece. */
    if (o != NULL && o->gso_size > 0 &&
        (o->gso_type == NETIF_GSO_TCPV4 || o->gso_type == NETIF_GSO_TCPV6)) {
        h.gso_type = o->gso_type == NETIF_GSO_TCPV6 ? VIRTIO_NET_HDR_GSO_TCPV6
                                                    : VIRTIO_NET_HDR_GSO_TCPV4;
        h.gso_size = o->gso_size;
        h.hdr_len = o->hdr_len;
    }
    struct iovec iov[2] = {
        {.iov_base = &h, .iov_len = sizeof h},
        {.iov_base = (void *)frame, .iov_len = len},
    };
    ssize_t n = writev(t->fd, iov, 2);
    if (n < 0)
        return n;
    return n >= (ssize_t)sizeof h ? n - (ssize_t)sizeof h : 0;
}

void tap_close(struct tap *t)
{
    if (t->fd >= 0)
        close(t->fd);
    t->fd = -1;
}

/* Interface ioctls go through any socket; AF_INET is needed for addresses. */
static int ctl_socket(char *err, size_t errlen)
{
    int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (s < 0) {
        int e = errno;
        snprintf(err, errlen, "socket(AF_INET): %s", strerror(e));
        return -e;
    }
    return s;
}

static int if_ioctl(const char *name, unsigned long req, struct ifreq *ifr, const char *what,
                    char *err, size_t errlen)
{
    int s = ctl_socket(err, errlen);
    if (s < 0)
        return s;
    int rc = 0;
    if (ioctl(s, req, ifr) != 0) {
        rc = -errno;
        snprintf(err, errlen, "%s: %s: %s%s", name, what, strerror(-rc),
                 rc == -EPERM ? " (need CAP_NET_ADMIN)" : "");
    }
    close(s);
    return rc;
}

int tap_get_mtu(const char *name, unsigned *mtu, char *err, size_t errlen)
{
    struct ifreq ifr;
    int rc = ifreq_for(&ifr, name, err, errlen);
    if (rc < 0)
        return rc;
    rc = if_ioctl(name, SIOCGIFMTU, &ifr, "get MTU", err, errlen);
    if (rc < 0)
        return rc;
    *mtu = (unsigned)ifr.ifr_mtu;
    return 0;
}

int tap_set_mtu(const char *name, unsigned mtu, char *err, size_t errlen)
{
    struct ifreq ifr;
    int rc = ifreq_for(&ifr, name, err, errlen);
    if (rc < 0)
        return rc;
    ifr.ifr_mtu = (int)mtu;
    return if_ioctl(name, SIOCSIFMTU, &ifr, "set MTU", err, errlen);
}

int tap_is_up(const char *name, char *err, size_t errlen)
{
    struct ifreq ifr;
    int rc = ifreq_for(&ifr, name, err, errlen);
    if (rc < 0)
        return rc;
    rc = if_ioctl(name, SIOCGIFFLAGS, &ifr, "get flags", err, errlen);
    if (rc < 0)
        return rc;
    return (ifr.ifr_flags & IFF_UP) != 0;
}

static void set_sin(struct sockaddr *sa, uint32_t host_order)
{
    struct sockaddr_in sin;
    memset(&sin, 0, sizeof sin);
    sin.sin_family = AF_INET;
    sin.sin_addr.s_addr = htonl(host_order);
    memcpy(sa, &sin, sizeof sin);
}

int tap_host_configure(const char *name, uint32_t addr, uint8_t prefix_len, char *err,
                       size_t errlen)
{
    struct ifreq ifr;
    int rc = ifreq_for(&ifr, name, err, errlen);
    if (rc < 0)
        return rc;
    if (prefix_len != 0xff) {
        if (prefix_len > 32) {
            snprintf(err, errlen, "%s: bad prefix length %u", name, (unsigned)prefix_len);
            return -EINVAL;
        }
        /* SIOCSIFADDR first: it resets the netmask to the classful one,
         * which SIOCSIFNETMASK then replaces. */
        set_sin(&ifr.ifr_addr, addr);
        rc = if_ioctl(name, SIOCSIFADDR, &ifr, "set address", err, errlen);
        if (rc < 0)
            return rc;
        uint32_t mask = prefix_len == 0 ? 0 : 0xffffffffu << (32 - prefix_len);
        rc = ifreq_for(&ifr, name, err, errlen);
        if (rc < 0)
            return rc;
        set_sin(&ifr.ifr_netmask, mask);
        rc = if_ioctl(name, SIOCSIFNETMASK, &ifr, "set netmask", err, errlen);
        if (rc < 0)
            return rc;
    }
    rc = ifreq_for(&ifr, name, err, errlen);
    if (rc < 0)
        return rc;
    rc = if_ioctl(name, SIOCGIFFLAGS, &ifr, "get flags", err, errlen);
    if (rc < 0)
        return rc;
    if ((ifr.ifr_flags & IFF_UP) != 0)
        return 0;
    ifr.ifr_flags = (short)(ifr.ifr_flags | IFF_UP);
    return if_ioctl(name, SIOCSIFFLAGS, &ifr, "bring up", err, errlen);
}

/* A TAP we just made inherits net.ipv6.conf.default.disable_ipv6; the
 * config asked for an IPv6 address on its host side, so turn IPv6 on for
 * this one device only (never "all" or "default"). */
static void enable_ipv6_on(const char *name)
{
    char path[96], v = '1';
    int fd;

    snprintf(path, sizeof path, "/proc/sys/net/ipv6/conf/%s/disable_ipv6", name);
    fd = open(path, O_RDWR | O_CLOEXEC);
    if (fd < 0)
        return; /* no IPv6 in the kernel: the ioctl below says so */
    if (read(fd, &v, 1) == 1 && v == '1' && lseek(fd, 0, SEEK_SET) == 0) {
        ssize_t n = write(fd, "0\n", 2);
        (void)n; /* if refused, the ioctl below fails with EACCES and says why */
    }
    close(fd);
}

/* SIOCSIFADDR on an AF_INET6 socket takes a struct in6_ifreq (linux/ipv6.h)
 * naming the interface by index (see ipv6(7)). EEXIST means the address is
 * already there (a persistent TAP kept it from our last run): fine. */
int tap_host_configure6(const char *name, const uint8_t addr[16], uint8_t prefix_len, char *err,
                        size_t errlen)
{
    struct ifreq ifr;
    struct in6_ifreq r6;
    int rc, s;

    if (prefix_len == 0 || prefix_len > 128) {
        snprintf(err, errlen, "%s: bad IPv6 prefix length %u", name, (unsigned)prefix_len);
        return -EINVAL;
    }
    rc = ifreq_for(&ifr, name, err, errlen);
    if (rc < 0)
        return rc;
    rc = if_ioctl(name, SIOCGIFINDEX, &ifr, "get index", err, errlen);
    if (rc < 0)
        return rc;
    enable_ipv6_on(name);
    s = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (s < 0) {
        rc = -errno;
        snprintf(err, errlen, "socket(AF_INET6): %s%s", strerror(-rc),
                 rc == -EAFNOSUPPORT ? " (IPv6 disabled in the kernel?)" : "");
        return rc;
    }
    memset(&r6, 0, sizeof r6);
    memcpy(&r6.ifr6_addr, addr, 16);
    r6.ifr6_prefixlen = prefix_len;
    r6.ifr6_ifindex = ifr.ifr_ifindex;
    if (ioctl(s, SIOCSIFADDR, &r6) != 0 && errno != EEXIST) {
        rc = -errno;
        snprintf(err, errlen, "%s: set IPv6 address: %s%s", name, strerror(-rc),
                 rc == -EPERM ? " (need CAP_NET_ADMIN)"
                 : rc == -EACCES ? " (IPv6 disabled on it? net.ipv6.conf.<if>.disable_ipv6)"
                                 : "");
    }
    close(s);
    return rc;
}
