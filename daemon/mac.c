/* mac.c - see mac.h. */
#include "daemon/mac.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* FNV-1a over the bytes, then the splitmix64 finalizer so that every input
 * bit reaches the 46 bits we keep. Not a secret: the machine id is salted
 * and cut to 46 bits, which cannot be turned back into it. */
static uint64_t fnv1a(uint64_t h, const void *data, size_t len)
{
    const uint8_t *p = data;
    for (size_t i = 0; i < len; i++) {
        h ^= p[i];
        h *= 0x100000001b3ull;
    }
    return h;
}

static uint64_t mix64(uint64_t x)
{
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ull;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebull;
    x ^= x >> 31;
    return x;
}

void mac_derive(const void *seed, size_t seed_len, const char *ifname, struct eth_addr *out)
{
    /* The salt keeps this value unrelated to other hashes of the machine id;
     * the NUL separators keep ("ab","c") and ("a","bc") apart. */
    static const char salt[] = "tcpipd-mac-v1";
    uint64_t h = 0xcbf29ce484222325ull;
    h = fnv1a(h, salt, sizeof salt);
    h = fnv1a(h, seed, seed_len);
    h = fnv1a(h, "", 1);
    h = fnv1a(h, ifname, strlen(ifname));
    h = mix64(h);
    for (int i = 0; i < 6; i++)
        out->b[i] = (uint8_t)(h >> (8 * i));
    /* IEEE 802-2014 8.2.2: bit 0 of the first octet is I/G (clear: unicast),
     * bit 1 is U/L (set: locally administered, never a vendor's OUI). */
    out->b[0] = (uint8_t)((out->b[0] & 0xfe) | 0x02);
}

int mac_auto(const char *path, const char *ifname, struct eth_addr *out)
{
    char id[128];
    size_t n = 0;
    FILE *f = fopen(path != NULL ? path : MAC_MACHINE_ID_PATH, "re");
    if (f != NULL) {
        n = fread(id, 1, sizeof id - 1, f);
        fclose(f);
    }
    /* machine-id(5): 32 hex digits and a newline; only the digits count, so
     * that an editor's missing or extra newline does not move the MAC. */
    while (n > 0 && (id[n - 1] == '\n' || id[n - 1] == '\r' || id[n - 1] == ' '))
        n--;
    if (n > 0) {
        mac_derive(id, n, ifname, out);
        return 0;
    }
    char host[256];
    if (gethostname(host, sizeof host) != 0)
        host[0] = '\0';
    host[sizeof host - 1] = '\0';
    mac_derive(host, strlen(host), ifname, out);
    return 1;
}
