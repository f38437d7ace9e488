/* tap.h - a Linux TAP device (Documentation/networking/tuntap.rst).
 *
 * The daemon's end of the link is a file descriptor on /dev/net/tun that
 * reads and writes whole Ethernet frames (IFF_TAP | IFF_NO_PI: no packet
 * info header). The kernel's end is a network interface of the same name:
 * the "host side", with its own MAC and, for the demo, an address.
 * tap_open() creates the device, or attaches to an existing persistent one
 * (`ip tuntap add mode tap name X`, possibly owned by our user). All calls
 * are ioctls; nothing forks `ip`. Errors come back as -errno with a
 * one-line explanation in err. */
#ifndef TCPIPD_TAP_H
#define TCPIPD_TAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "stack/stack.h"

#define TAP_DEV_PATH "/dev/net/tun"

struct tap {
    int fd;                      /* -1 when closed; O_NONBLOCK, O_CLOEXEC */
    char name[16];               /* IFNAMSIZ, as the kernel named it */
    bool persistent;             /* existed before us and outlives us */
    bool vnet;                   /* frames carry a virtio_net_hdr (offloads) */
    bool tso6;                   /* the kernel took TUN_F_TSO6 too */
};

/* Open (or attach to) the TAP device called name. */
int tap_open(struct tap *t, const char *name, char *err, size_t errlen);
/* The same with IFF_VNET_HDR and checksum + TCP segmentation offload
 * (TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6, or without TSO6 if the kernel
 * refuses it: see t->tso6): the kernel and we exchange TCP packets of
 * up to 64 KiB and leave checksums to "the hardware" -- each other.
 * Use tap_read_frame/tap_write_frame on it. */
int tap_open_offload(struct tap *t, const char *name, char *err, size_t errlen);
/* Read one frame into buf: returns its length (or -1/errno, 0) and points
 * *frame at it; *csum_ok says the kernel vouches for its TCP/UDP checksum. */
ssize_t tap_read_frame(struct tap *t, uint8_t *buf, size_t cap, const uint8_t **frame,
                       bool *csum_ok);
/* Write one frame with the offload work o asks for (NULL: none). Returns
 * the frame bytes written or -1/errno. */
ssize_t tap_write_frame(struct tap *t, const uint8_t *frame, size_t len,
                        const struct netif_tx_offload *o);
/* Bytes a read needs room for beyond the frame (the virtio header). */
#define TAP_VNET_HDR_LEN 10
/* Close the fd: a device we created disappears, a persistent one stays. */
void tap_close(struct tap *t);

/* Host side: read / set the MTU (SIOCGIFMTU / SIOCSIFMTU). */
int tap_get_mtu(const char *name, unsigned *mtu, char *err, size_t errlen);
int tap_set_mtu(const char *name, unsigned mtu, char *err, size_t errlen);
/* Host side: 1 if IFF_UP, 0 if down, or -errno. */
int tap_is_up(const char *name, char *err, size_t errlen);
/* Host side: bring the link up (SIOCSIFFLAGS IFF_UP) and, if prefix_len is
 * not 0xff, set addr/prefix_len (host order) with SIOCSIFADDR and
 * SIOCSIFNETMASK. */
int tap_host_configure(const char *name, uint32_t addr, uint8_t prefix_len, char *err,
                       size_t errlen);
/* Host side: add the IPv6 address addr/prefix_len (network order bytes,
 * 1..128) with SIOCSIFADDR on an AF_INET6 socket, first setting this
 * device's disable_ipv6 to 0 if it is 1. An address that is already there
 * is not an error. */
int tap_host_configure6(const char *name, const uint8_t addr[16], uint8_t prefix_len, char *err,
                        size_t errlen);

#endif
