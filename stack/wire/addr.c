/* addr.c - address comparison, parsing and formatting. */
#include "stack/wire/addr.h"

#include <stdio.h>

bool ip_addr_eq(const struct ip_addr *a, const struct ip_addr *b)
{
    if (a->family != b->family)
        return false;
    if (a->family == IP_FAMILY_V4)
        return a->u.v4 == b->u.v4;
    if (a->family == IP_FAMILY_V6)
        return memcmp(a->u.v6, b->u.v6, 16) == 0;
    return true; /* two "no address" values */
}

/* The unspecified address: 0.0.0.0, :: or no address at all (a socket
 * that was never bound). */
bool ip_addr_is_any(const struct ip_addr *a)
{
    if (a->family == IP_FAMILY_V4)
        return a->u.v4 == 0;
    if (a->family == IP_FAMILY_V6) {
        for (int i = 0; i < 16; i++)
            if (a->u.v6[i] != 0)
                return false;
        return true;
    }
    return true;
}

/* Strict dotted quad, as inet_pton(AF_INET): exactly four decimal octets
 * 0..255 of one to three digits, no leading zeros (inet_aton would read
 * "010" as octal 8, so we refuse the ambiguity), no signs, no spaces, no
 * trailing bytes. */
int ip4_parse(const char *s, uint32_t *out)
{
    if (s == NULL)
        return -1;
    uint32_t addr = 0;
    for (int part = 0; part < 4; part++) {
        if (part > 0) {
            if (*s != '.')
                return -1;
            s++;
        }
        if (*s < '0' || *s > '9')
            return -1; /* empty part or junk */
        unsigned v = 0;
        int digits = 0;
        while (*s >= '0' && *s <= '9') {
            if (digits == 3)
                return -1;
            if (digits == 1 && v == 0)
                return -1; /* leading zero */
            v = v * 10 + (unsigned)(*s - '0');
            digits++;
            s++;
        }
        if (v > 255)
            return -1;
        addr = addr << 8 | v;
    }
    if (*s != '\0')
        return -1;
    *out = addr;
    return 0;
}

char *ip4_format(uint32_t host_order, char *buf, size_t len)
{
    if (len == 0)
        return buf;
    snprintf(buf, len, "%u.%u.%u.%u", (unsigned)(host_order >> 24),
             (unsigned)(host_order >> 16 & 0xff), (unsigned)(host_order >> 8 & 0xff),
             (unsigned)(host_order & 0xff));
    return buf;
}

/* RFC 5952 section 4: lowercase hex, no leading zeros in a group, the
 * longest run of two or more zero groups (the first one on a tie) becomes
 * "::". Section 5: IPv4-mapped addresses end in dotted decimal. */
static void ip6_format(const uint8_t a[16], char *out)
{
    static const char hex[] = "0123456789abcdef";
    uint16_t g[8];
    for (int i = 0; i < 8; i++)
        g[i] = (uint16_t)(a[2 * i] << 8 | a[2 * i + 1]);

    int best = -1, best_len = 0;
    for (int i = 0; i < 8;) {
        if (g[i] != 0) {
            i++;
            continue;
        }
        int j = i;
        while (j < 8 && g[j] == 0)
            j++;
        if (j - i > best_len) {
            best = i;
            best_len = j - i;
        }
        i = j;
    }
    if (best_len < 2)
        best = -1; /* RFC 5952 4.2.2: never "::" for a single zero group */

    bool mapped = g[0] == 0 && g[1] == 0 && g[2] == 0 && g[3] == 0 && g[4] == 0 &&
                  g[5] == 0xffff;
    int groups = mapped ? 6 : 8;
    char *p = out;
    for (int i = 0; i < groups; i++) {
        if (i == best) {
            *p++ = ':';
            *p++ = ':';
            i += best_len - 1;
            continue;
        }
        if (i > 0 && i != best + best_len)
            *p++ = ':';
        bool started = false;
        for (int shift = 12; shift >= 0; shift -= 4) {
            unsigned nib = (unsigned)(g[i] >> shift) & 0xf;
            if (nib != 0 || started || shift == 0) {
                *p++ = hex[nib];
                started = true;
            }
        }
    }
    if (mapped) {
        /* "::ffff:" is already written; the last group ended without ':'. */
        *p++ = ':';
        p += sprintf(p, "%u.%u.%u.%u", a[12], a[13], a[14], a[15]);
    }
    *p = '\0';
}

char *ip_addr_format(const struct ip_addr *a, char *buf, size_t len)
{
    char tmp[IP_ADDR_STRLEN];
    if (len == 0)
        return buf;
    if (a->family == IP_FAMILY_V4)
        return ip4_format(a->u.v4, buf, len);
    if (a->family == IP_FAMILY_V6)
        ip6_format(a->u.v6, tmp);
    else
        snprintf(tmp, sizeof tmp, "none");
    snprintf(buf, len, "%s", tmp);
    return buf;
}

int hex_digit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Exactly "xx:xx:xx:xx:xx:xx": two hex digits per byte, either case. */
int eth_addr_parse(const char *s, struct eth_addr *out)
{
    struct eth_addr a;
    if (s == NULL)
        return -1;
    for (int i = 0; i < 6; i++) {
        const char *p = s + 3 * i;
        int hi = hex_digit(p[0]);
        if (hi < 0)
            return -1;
        int lo = hex_digit(p[1]);
        if (lo < 0)
            return -1;
        a.b[i] = (uint8_t)(hi << 4 | lo);
        char sep = p[2];
        if (sep != (i == 5 ? '\0' : ':'))
            return -1;
    }
    *out = a;
    return 0;
}

char *eth_addr_format(const struct eth_addr *a, char *buf, size_t len)
{
    if (len == 0)
        return buf;
    snprintf(buf, len, "%02x:%02x:%02x:%02x:%02x:%02x", a->b[0], a->b[1], a->b[2],
             a->b[3], a->b[4], a->b[5]);
    return buf;
}

/* RFC 4291 2.2 text forms. Walk groups left to right; "::" records where
 * the run of zero groups goes and the groups after it are moved to the
 * end once their count is known. */
int ip6_parse(const char *s, uint8_t out[16])
{
    uint16_t g[8];
    int n = 0;
    int gap = -1; /* index of the group "::" stands in front of */
    if (s == NULL)
        return -1;
    const char *p = s;
    if (p[0] == ':') {
        if (p[1] != ':')
            return -1; /* a single leading colon */
        gap = 0;
        p += 2;
    }
    while (*p != '\0') {
        const char *start = p;
        unsigned v = 0;
        int digits = 0;
        while (hex_digit(*p) >= 0) {
            if (digits == 4)
                return -1;
            v = v << 4 | (unsigned)hex_digit(*p);
            digits++;
            p++;
        }
        if (*p == '.') {
            /* RFC 4291 2.2 form 3: a dotted quad as the last 32 bits. */
            uint32_t v4;
            if (n > 6 || ip4_parse(start, &v4) != 0)
                return -1;
            g[n++] = (uint16_t)(v4 >> 16);
            g[n++] = (uint16_t)v4;
            break;
        }
        if (digits == 0 || n == 8)
            return -1;
        g[n++] = (uint16_t)v;
        if (*p == '\0')
            break;
        if (*p != ':')
            return -1;
        p++;
        if (*p == ':') {
            if (gap >= 0)
                return -1; /* a second "::" */
            gap = n;
            p++;
        } else if (*p == '\0') {
            return -1; /* a single trailing colon */
        }
    }
    if (gap < 0 && n != 8)
        return -1;
    if (gap >= 0 && n > 7)
        return -1; /* "::" stands for at least one group */

    uint16_t full[8] = {0};
    if (gap < 0) {
        memcpy(full, g, sizeof full);
    } else {
        for (int i = 0; i < gap; i++)
            full[i] = g[i];
        int tail = n - gap;
        for (int i = 0; i < tail; i++)
            full[8 - tail + i] = g[gap + i];
    }
    for (int i = 0; i < 8; i++) {
        out[2 * i] = (uint8_t)(full[i] >> 8);
        out[2 * i + 1] = (uint8_t)full[i];
    }
    return 0;
}

char *ip6_addr_format(const uint8_t a[16], char *buf, size_t len)
{
    struct ip_addr t;
    memset(&t, 0, sizeof t);
    t.family = IP_FAMILY_V6;
    memcpy(t.u.v6, a, 16);
    return ip_addr_format(&t, buf, len);
}
