/* addr.h - family-tagged addresses and endpoints.
 *
 * Every layer above wire/ passes addresses as struct ip_addr so that IPv6
 * is a new protocol module, not a change of every signature. IPv4 lives in
 * the first four bytes of v.bytes (network byte order) and also in v4 as a
 * host-order integer for cheap prefix arithmetic.
 */
#ifndef TCPIP_WIRE_ADDR_H
#define TCPIP_WIRE_ADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

enum ip_family { IP_FAMILY_NONE = 0, IP_FAMILY_V4 = 4, IP_FAMILY_V6 = 6 };

struct ip_addr {
    uint8_t family;      /* enum ip_family */
    union {
        uint32_t v4;     /* host byte order */
        uint8_t v6[16];  /* network byte order */
    } u;
};

struct ip_endpoint {
    struct ip_addr addr;
    uint16_t port;       /* host byte order */
};

struct eth_addr {
    uint8_t b[6];
};

#define IP_ADDR_STRLEN 46 /* INET6_ADDRSTRLEN */
#define ETH_ADDR_STRLEN 18

static inline struct ip_addr ip_addr_v4(uint32_t host_order)
{
    struct ip_addr a;
    memset(&a, 0, sizeof a);
    a.family = IP_FAMILY_V4;
    a.u.v4 = host_order;
    return a;
}

bool ip_addr_eq(const struct ip_addr *a, const struct ip_addr *b);
bool ip_addr_is_any(const struct ip_addr *a);

/* Parse "a.b.c.d" strictly (four decimal octets 0..255, no leading junk).
 * Returns 0 and fills *out (host order), or -1. */
int ip4_parse(const char *s, uint32_t *out);
/* Format into buf (>= 16 bytes). Returns buf. */
char *ip4_format(uint32_t host_order, char *buf, size_t len);
/* Format any family into buf (>= IP_ADDR_STRLEN). Returns buf. */
char *ip_addr_format(const struct ip_addr *a, char *buf, size_t len);

/* Parse an IPv6 address in text form (RFC 4291 2.2: up to eight groups of
 * one to four hex digits, at most one "::", an optional trailing dotted
 * quad), as strictly as inet_pton(AF_INET6): no zone, no prefix, no
 * spaces. Returns 0 and fills out[16] (network order), or -1. */
int ip6_parse(const char *s, uint8_t out[16]);
/* RFC 5952 canonical text of a 16-byte address into buf (>= IP_ADDR_STRLEN).
 * Returns buf. */
char *ip6_addr_format(const uint8_t a[16], char *buf, size_t len);

/* Parse "aa:bb:cc:dd:ee:ff". Returns 0 or -1. */
int eth_addr_parse(const char *s, struct eth_addr *out);

/* The value of one hex digit (either case), or -1. */
int hex_digit(char c);
char *eth_addr_format(const struct eth_addr *a, char *buf, size_t len);

static inline bool eth_addr_is_broadcast(const struct eth_addr *a)
{
    static const uint8_t ff[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    return memcmp(a->b, ff, 6) == 0;
}

static inline bool eth_addr_is_multicast(const struct eth_addr *a)
{
    return (a->b[0] & 1) != 0;
}

static inline bool eth_addr_eq(const struct eth_addr *a, const struct eth_addr *b)
{
    return memcmp(a->b, b->b, 6) == 0;
}

/* Host-order netmask of a prefix length 0..32. */
static inline uint32_t ip4_mask(unsigned prefix_len)
{
    return prefix_len == 0 ? 0 : 0xffffffffu << (32 - prefix_len);
}

#endif
