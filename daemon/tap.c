/* tap.c - see tap.h. */
#include "daemon/tap.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
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

int tap_open(struct tap *t, const char *name, char *err, size_t errlen)
{
    t->fd = -1;
    t->name[0] = '\0';
    t->persistent = false;

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
    t->fd = fd;
    memcpy(t->name, ifr.ifr_name, IFNAMSIZ);
    t->name[IFNAMSIZ - 1] = '\0';
    return 0;
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
