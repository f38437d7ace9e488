/* addrconf_stable.c - RFC 7217 stable, semantically opaque interface
 * identifiers: the IID of an address formed by SLAAC (and of the
 * link-local one) is a keyed hash of the prefix, the interface name and a
 * DAD counter, so it does not reveal the MAC (unlike modified EUI-64, RFC
 * 4291 2.5.1), differs from network to network (no tracking across
 * networks), and stays the same on one network across restarts. Used when
 * the interface's addr_gen_mode is NETIF_ADDR_GEN_STABLE_PRIVACY; the
 * regeneration after DAD failure (RFC 7217 6) is in addrconf.c.
 */
#include <string.h>

#include "stack/core/nd.h"
#include "stack/util/siphash.h"

/* Tries before giving up on a non-reserved IID; each one is reserved with
 * a probability of about 2^-50. */
#define STABLE_IID_TRIES 8

_Static_assert(NETIF_STABLE_SECRET_LEN == SIPHASH_KEY_LEN, "the secret is the SipHash key");

bool addrconf_iid_reserved(const uint8_t iid[8])
{
    static const uint8_t zero[8];
    /* RFC 4291 2.6.1: all zeros, the Subnet-Router anycast address. */
    if (memcmp(iid, zero, 8) == 0)
        return true;
    /* RFC 5453 / RFC 4291: 0200:5EFF:FE00:0000-0200:5EFF:FEFF:FFFF, the
     * identifiers of the IANA Ethernet block (including
     * 0200:5EFF:FE00:5213, Proxy Mobile IPv6, RFC 6543). */
    if (iid[0] == 0x02 && iid[1] == 0x00 && iid[2] == 0x5e && iid[3] == 0xff && iid[4] == 0xfe)
        return true;
    /* RFC 2526: FDFF:FFFF:FFFF:FF80-FDFF:FFFF:FFFF:FFFF, the reserved
     * subnet anycast addresses. */
    static const uint8_t anycast[7] = {0xfd, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    return memcmp(iid, anycast, 7) == 0 && iid[7] >= 0x80;
}

bool addrconf_stable_iid(const struct netif *nif, const uint8_t prefix[8],
                         uint8_t *dad_counter, uint8_t out[8])
{
    /* RFC 7217 5: RID = F(Prefix, Net_Iface, Network_ID, DAD_Counter,
     * secret_key). F is SipHash-2-4, a keyed PRF whose key is the 128-bit
     * secret_key; its input is Prefix (8 bytes) | Net_Iface (the interface
     * name, as Linux uses it too) | DAD_Counter (1 byte). Network_ID is
     * optional in RFC 7217 5 and left out: the stack does not know the
     * network's name (an SSID, say). The counter's fixed place at the end
     * keeps the encoding unambiguous for names of different lengths. */
    uint8_t msg[8 + STACK_IFNAMSIZ + 1];
    size_t name_len = strnlen(nif->name, STACK_IFNAMSIZ);
    memcpy(msg, prefix, 8);
    memcpy(msg + 8, nif->name, name_len);
    for (unsigned t = 0; t < STABLE_IID_TRIES; t++) {
        msg[8 + name_len] = *dad_counter;
        uint64_t rid = siphash24(nif->stable_secret, msg, 8 + name_len + 1);
        /* RFC 7217 5: the IID is the low 64 bits of RID: all of it. */
        for (int i = 7; i >= 0; i--) {
            out[i] = (uint8_t)rid;
            rid >>= 8;
        }
        /* RFC 7217 5: a reserved IID (RFC 5453) is not used: raise
         * DAD_Counter and compute again. */
        if (!addrconf_iid_reserved(out))
            return true;
        (*dad_counter)++;
    }
    return false;
}
