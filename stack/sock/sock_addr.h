/* sock_addr.h - dual-stack addressing shared by UDP and TCP sockets.
 *
 * An AF_INET6 socket may talk IPv4 through IPv4-mapped addresses
 * (::ffff:a.b.c.d, RFC 4291 2.5.5.2; RFC 3493 3.7) unless IPV6_V6ONLY is
 * set (RFC 3493 5.3). Inside the stack a socket keeps its addresses in
 * wire form (an IPv4 peer is an IPv4 address, whatever the socket's
 * family) and maps them only when it shows them to its user: that keeps
 * the demux, the 4-tuple hash and the pseudo-header sums one code path.
 *
 * A socket's coverage is the set of local addresses it accepts packets
 * for: per family nothing, one address, or all of them. Two sockets on
 * one port conflict when their coverages meet (Linux: 0.0.0.0:80 and a
 * dual-stack [::]:80 conflict; with IPV6_V6ONLY they do not). */
#ifndef TCPIP_SOCK_SOCK_ADDR_H
#define TCPIP_SOCK_SOCK_ADDR_H

#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "stack/wire/addr.h"
#include "stack/wire/ipv6.h"
#include "stack/wire/wire.h"

static inline bool sock_addr_is_v4_mapped(const struct ip_addr *a)
{
    return a->family == IP_FAMILY_V6 && ipv6_addr_is_v4_mapped(a->u.v6);
}

/* A family a socket can take (socket(2)'s AF_INET or AF_INET6). */
static inline bool sock_family_valid(uint8_t fam)
{
    return fam == IP_FAMILY_V4 || fam == IP_FAMILY_V6;
}

/* An address serialized for hashing (4-tuple buckets, ephemeral ports,
 * ISNs and cookies): the family byte, then 16 address bytes (IPv4: the 4
 * bytes big-endian, then 12 zero bytes). Never the struct's own bytes,
 * whose padding and union tail are not ours to hash. */
#define SOCK_ADDR_BYTES 17

static inline void sock_addr_bytes(uint8_t out[SOCK_ADDR_BYTES], const struct ip_addr *a)
{
    memset(out, 0, SOCK_ADDR_BYTES);
    out[0] = a->family;
    if (a->family == IP_FAMILY_V4)
        wr32(out + 1, a->u.v4);
    else if (a->family == IP_FAMILY_V6)
        memcpy(out + 1, a->u.v6, 16);
}

/* ::ffff:a.b.c.d -> a.b.c.d; anything else unchanged. */
static inline struct ip_addr sock_addr_unmap(const struct ip_addr *a)
{
    if (!sock_addr_is_v4_mapped(a))
        return *a;
    const uint8_t *b = a->u.v6 + 12;
    return ip_addr_v4((uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3]);
}

/* a.b.c.d -> ::ffff:a.b.c.d; anything else unchanged. */
static inline struct ip_addr sock_addr_map(const struct ip_addr *a)
{
    if (a->family != IP_FAMILY_V4)
        return *a;
    struct ip_addr r;
    memset(&r, 0, sizeof r);
    r.family = IP_FAMILY_V6;
    r.u.v6[10] = 0xff;
    r.u.v6[11] = 0xff;
    r.u.v6[12] = (uint8_t)(a->u.v4 >> 24);
    r.u.v6[13] = (uint8_t)(a->u.v4 >> 16);
    r.u.v6[14] = (uint8_t)(a->u.v4 >> 8);
    r.u.v6[15] = (uint8_t)a->u.v4;
    return r;
}

/* What a socket of family fam shows its user for a wire address. */
static inline struct ip_addr sock_addr_show(uint8_t fam, const struct ip_addr *wire)
{
    return fam == IP_FAMILY_V6 ? sock_addr_map(wire) : *wire;
}

/* The unspecified address of a socket family (:: or 0.0.0.0). */
static inline struct ip_addr sock_addr_any(uint8_t fam)
{
    struct ip_addr r = ip_addr_v4(0);
    if (fam == IP_FAMILY_V6) {
        memset(&r, 0, sizeof r);
        r.family = IP_FAMILY_V6;
    }
    return r;
}

/* An address a user gives a socket of family *fam (IP_FAMILY_NONE: not
 * decided yet; it then takes the address's family), into wire form.
 * 0, -EAFNOSUPPORT (the other family), -EINVAL (no family), or
 * -ENETUNREACH for an IPv4-mapped address on a V6ONLY socket (what Linux
 * answers to connect/sendto; bind turns it into EINVAL). */
static inline int sock_addr_in(uint8_t *fam, bool v6only, const struct ip_addr *user,
                               struct ip_addr *wire)
{
    if (!sock_family_valid(user->family))
        return -EINVAL;
    if (*fam != IP_FAMILY_NONE && *fam != user->family)
        return -EAFNOSUPPORT;
    if (sock_addr_is_v4_mapped(user) && v6only)
        return -ENETUNREACH;
    *fam = user->family;
    *wire = sock_addr_unmap(user);
    return 0;
}

/* Does a socket bound to local (wire form; socket family fam, v6only)
 * take packets for the wire address dst? */
static inline bool sock_addr_covers(const struct ip_addr *local, uint8_t fam, bool v6only,
                                    const struct ip_addr *dst)
{
    if (local->family == dst->family)
        return ip_addr_is_any(local) || ip_addr_eq(local, dst);
    /* RFC 3493 3.7: a dual-stack wildcard also takes IPv4. */
    return dst->family == IP_FAMILY_V4 && fam == IP_FAMILY_V6 && !v6only &&
           local->family == IP_FAMILY_V6 && ip_addr_is_any(local);
}

/* Do two bound sockets' coverages meet (a port conflict)? */
static inline bool sock_addr_overlap(const struct ip_addr *a, uint8_t afam, bool a6only,
                                     const struct ip_addr *b, uint8_t bfam, bool b6only)
{
    if (a->family == b->family)
        return ip_addr_is_any(a) || ip_addr_is_any(b) || ip_addr_eq(a, b);
    /* Different wire families meet only in IPv4 through a dual-stack
     * wildcard. */
    if (a->family == IP_FAMILY_V6)
        return afam == IP_FAMILY_V6 && !a6only && ip_addr_is_any(a) && b->family == IP_FAMILY_V4;
    return bfam == IP_FAMILY_V6 && !b6only && ip_addr_is_any(b) && a->family == IP_FAMILY_V4;
}

/* Lower is a better demux match for a packet to dst: the exact address,
 * then a wildcard of the packet's family, then a dual-stack wildcard
 * (Linux's compute_score prefers the native family). -1: no match. */
static inline int sock_addr_rank(const struct ip_addr *local, uint8_t fam, bool v6only,
                                 const struct ip_addr *dst)
{
    if (!sock_addr_covers(local, fam, v6only, dst))
        return -1;
    if (local->family == dst->family && !ip_addr_is_any(local))
        return 0;
    return local->family == dst->family ? 1 : 2;
}

#endif
