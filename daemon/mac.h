/* mac.h - a stable MAC address for an interface configured with "mac": "auto".
 *
 * The address must survive restarts, or the host's neighbour caches (and a
 * DHCP server's leases, later) would see a new machine every time. Like
 * systemd-networkd's MACAddressPolicy=persistent, it is derived from
 * /etc/machine-id and the interface name, so two machines, or two
 * interfaces on one machine, get different addresses. */
#ifndef TCPIPD_MAC_H
#define TCPIPD_MAC_H

#include <stddef.h>

#include "stack/wire/addr.h"

#define MAC_MACHINE_ID_PATH "/etc/machine-id"

/* Deterministic: hash seed and ifname into a locally administered
 * (IEEE 802 U/L bit set) unicast (I/G bit clear) address. */
void mac_derive(const void *seed, size_t seed_len, const char *ifname, struct eth_addr *out);

/* mac_derive() with the machine id read from path (NULL: /etc/machine-id).
 * If it cannot be read, the host name is the seed instead: still stable
 * across restarts, but not across renames. Returns 0 when the machine id
 * was used, 1 when the fallback was. */
int mac_auto(const char *path, const char *ifname, struct eth_addr *out);

#endif
