/* config_iface.c - the "interfaces" array of tcpipd's config: TAP names,
 * MACs, MTU, IPv4 address and gateway, static neighbours, IPv6 (static
 * addresses, SLAAC), the host side of the TAP, and the rules between
 * interfaces (distinct names, disjoint subnets and prefixes, one default
 * route). Keys are documented in conf/REFERENCE.md. */
#include "daemon/config_json.h"

#include <stdio.h>
#include <string.h>

#include "stack/wire/addr.h"
#include "stack/wire/ipv6.h"

/* ---- values ---- */

/* A TAP device name as Linux accepts it (dev_valid_name()): 1..15 bytes,
 * not "." or "..", no '/', ':' or whitespace. We also refuse '%', which
 * TUNSETIFF treats as a template ("tap%d" becomes tap0, tap1...) so the
 * device would not have the configured name, and anything outside
 * printable ASCII, which tools and logs mangle. */
static int check_ifname(struct conf_loader *L, const char *path, const char *s)
{
    char q[QUOTE_LEN];
    size_t n = strlen(s);

    conf_quote(q, s);
    if (n == 0)
        return conf_fail(L, path, "must not be empty (expected 1..%d characters)",
                         STACK_IFNAMSIZ - 1);
    if (n >= STACK_IFNAMSIZ)
        return conf_fail(L, path, "%s is too long (%zu characters, at most %d: the kernel's IFNAMSIZ)",
                         q, n, STACK_IFNAMSIZ - 1);
    if (strcmp(s, ".") == 0 || strcmp(s, "..") == 0)
        return conf_fail(L, path, "%s is not a valid interface name", q);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '/' || c == ':' || c == '%')
            return conf_fail(L, path, "%s contains '%c', which is not allowed in an interface name",
                             q, c);
        if (c <= 0x20 || c >= 0x7f)
            return conf_fail(L, path,
                             "%s contains whitespace or a non-ASCII character (expected printable ASCII)",
                             q);
    }
    return 0;
}

/* A MAC we may put on the wire as a source or a neighbour: unicast and not
 * zero (IEEE 802: the I/G bit, the lowest bit of the first byte, marks
 * group addresses). */
static int parse_unicast_mac(struct conf_loader *L, const char *path, const char *s, bool auto_ok,
                             struct eth_addr *out)
{
    static const struct eth_addr zero;
    const char *hint = auto_ok ? "a unicast MAC such as \"02:00:00:77:00:02\", or \"auto\""
                               : "a unicast MAC such as \"02:00:00:77:00:09\"";
    char q[QUOTE_LEN];
    struct eth_addr mac;

    conf_quote(q, s);
    if (eth_addr_parse(s, &mac) != 0)
        return conf_fail(L, path, "%s is not a MAC address (expected %s)", q, hint);
    if (eth_addr_is_broadcast(&mac))
        return conf_fail(L, path, "%s is the broadcast address (expected %s)", q, hint);
    if (eth_addr_is_multicast(&mac))
        return conf_fail(L, path, "%s is a multicast address (expected %s)", q, hint);
    if (eth_addr_eq(&mac, &zero))
        return conf_fail(L, path, "%s is all zeros (expected %s)", q, hint);
    *out = mac;
    return 0;
}

enum prefix_split {
    PREFIX_OK,
    PREFIX_NO_SLASH,             /* no "/len" at all */
    PREFIX_BAD,                  /* not "addr/len" with len in digits */
};

/* Split "addr/len" into the address text (into a[asize]) and the length:
 * one to max_digits digits without a leading zero, its range left to the
 * caller, so that "/", "/-1", "/024", "/24x" and "/ 24" get the format
 * message and a long number the range one. */
static enum prefix_split split_prefix(const char *s, char *a, size_t asize, int max_digits,
                                      unsigned *len)
{
    const char *slash = strchr(s, '/');
    const char *p;
    unsigned v = 0;
    size_t alen;

    if (slash == NULL)
        return PREFIX_NO_SLASH;
    alen = (size_t)(slash - s);
    if (alen == 0 || alen >= asize)
        return PREFIX_BAD;
    memcpy(a, s, alen);
    a[alen] = '\0';
    for (p = slash + 1; *p >= '0' && *p <= '9' && p - slash <= max_digits; p++)
        v = v * 10 + (unsigned)(*p - '0');
    if (p == slash + 1 || *p != '\0' || (slash[1] == '0' && p - slash > 2))
        return PREFIX_BAD;
    *len = v;
    return PREFIX_OK;
}

/* "a.b.c.d/len" with the length written out. */
static int parse_prefix(struct conf_loader *L, const char *path, const char *s, uint32_t *addr,
                        uint8_t *len)
{
    char q[QUOTE_LEN];
    char a[16];
    unsigned v = 0;

    conf_quote(q, s);
    /* One to three digits, like the octets; "100" gets the range message. */
    enum prefix_split r = split_prefix(s, a, sizeof a, 3, &v);
    if (r == PREFIX_NO_SLASH) {
        if (ip4_parse(s, addr) == 0)
            return conf_fail(L, path, "%s has no prefix length (expected a.b.c.d/len, e.g. \"%s/24\")",
                             q, s);
        return conf_fail(L, path, "%s is not an IPv4 prefix (expected a.b.c.d/len)", q);
    }
    if (r != PREFIX_OK || ip4_parse(a, addr) != 0)
        return conf_fail(L, path, "%s is not an IPv4 prefix (expected a.b.c.d/len)", q);
    if (v > 32)
        return conf_fail(L, path, "%s: prefix length %u is out of range (expected 0..32)", q, v);
    *len = (uint8_t)v;
    return 0;
}

/* An address a host may own or talk to as a unicast peer. With a subnet
 * (prefix_len >= 0) also refuse its network and broadcast addresses;
 * /31 (RFC 3021) and /32 have neither. */
static int check_unicast_ip(struct conf_loader *L, const char *path, const char *q, uint32_t a,
                            int prefix_len)
{
    char net[16];

    /* RFC 1122 3.2.1.3 (a), (b): {0, <Host-number>} is "this network",
     * only ever a source during start-up. */
    if ((a >> 24) == 0)
        return conf_fail(L, path, "%s is in 0.0.0.0/8 (\"this network\", not a host address)", q);
    /* RFC 1122 3.2.1.3 (g). */
    if ((a >> 24) == 127)
        return conf_fail(L, path, "%s is a loopback address (127.0.0.0/8)", q);
    if ((a >> 28) == 0xe)
        return conf_fail(L, path, "%s is a multicast address (224.0.0.0/4)", q);
    if (a == 0xffffffffu)
        return conf_fail(L, path, "%s is the limited broadcast address", q);
    /* RFC 1112 4: class E is reserved. */
    if ((a >> 28) == 0xf)
        return conf_fail(L, path, "%s is a reserved address (240.0.0.0/4)", q);
    if (prefix_len >= 0 && prefix_len <= 30) {
        uint32_t mask = ip4_mask((unsigned)prefix_len);
        ip4_format(a & mask, net, sizeof net);
        /* RFC 1122 3.2.1.3 (c), (d): all-zeros and all-ones host parts. */
        if ((a & ~mask) == 0)
            return conf_fail(L, path, "%s is the network address of %s/%d (expected a host address)",
                             q, net, prefix_len);
        if ((a & ~mask) == ~mask)
            return conf_fail(L, path, "%s is the broadcast address of %s/%d (expected a host address)",
                             q, net, prefix_len);
    }
    return 0;
}

static int parse_ip(struct conf_loader *L, const char *path, const char *s, uint32_t *out)
{
    char q[QUOTE_LEN];

    if (ip4_parse(s, out) != 0)
        return conf_fail(L, path, "%s is not an IPv4 address (expected a.b.c.d)", conf_quote(q, s));
    return 0;
}

/* ---- IPv6 values ---- */

#define PREFIX6_HINT "expected addr/len, e.g. \"fd77::2/64\""

/* "addr/len" (RFC 4291 2.3) with the length written out: 1..128, digits
 * without a leading zero. */
static int parse_prefix6(struct conf_loader *L, const char *path, const char *s, uint8_t addr[16],
                         uint8_t *len)
{
    char q[QUOTE_LEN];
    char a[IP_ADDR_STRLEN];
    unsigned v = 0;

    conf_quote(q, s);
    enum prefix_split r = split_prefix(s, a, sizeof a, 4, &v);
    if (r == PREFIX_NO_SLASH) {
        if (ip6_parse(s, addr) == 0)
            return conf_fail(L, path, "%s has no prefix length (expected addr/len, e.g. \"%s/64\")",
                             q, s);
        return conf_fail(L, path, "%s is not an IPv6 prefix (" PREFIX6_HINT ")", q);
    }
    if (r != PREFIX_OK || ip6_parse(a, addr) != 0)
        return conf_fail(L, path, "%s is not an IPv6 prefix (" PREFIX6_HINT ")", q);
    if (v < 1 || v > 128)
        return conf_fail(L, path, "%s: prefix length %u is out of range (expected 1..128)", q, v);
    *len = (uint8_t)v;
    return 0;
}

/* Do a and b agree in their first len bits? */
static bool prefix6_eq(const uint8_t a[16], const uint8_t b[16], unsigned len)
{
    unsigned full = len / 8, rest = len % 8;

    if (memcmp(a, b, full) != 0)
        return false;
    if (rest == 0)
        return true;
    return ((a[full] ^ b[full]) & (uint8_t)(0xff << (8 - rest))) == 0;
}

static bool host_part6_is_zero(const uint8_t a[16], unsigned len)
{
    static const uint8_t zero[16];
    uint8_t host[16];

    memcpy(host, a, 16);
    for (unsigned i = 0; i < 16; i++) {
        if (i * 8 + 8 <= len)
            host[i] = 0;
        else if (i * 8 < len)
            host[i] &= (uint8_t)(0xff >> (len - i * 8));
    }
    return memcmp(host, zero, 16) == 0;
}

/* An address an interface may own (RFC 4291 2.5, 2.6.1, 2.7). */
static int check_unicast_ip6(struct conf_loader *L, const char *path, const char *q,
                             const uint8_t a[16], unsigned prefix_len)
{
    char net[IP_ADDR_STRLEN];

    if (ipv6_addr_is_unspecified(a))
        return conf_fail(L, path, "%s is the unspecified address (::, never an interface's address)", q);
    if (ipv6_addr_is_loopback(a))
        return conf_fail(L, path, "%s is the loopback address (::1)", q);
    if (ipv6_addr_is_multicast(a))
        return conf_fail(L, path, "%s is a multicast address (ff00::/8)", q);
    if (ipv6_addr_is_v4_mapped(a))
        return conf_fail(L, path, "%s is an IPv4-mapped address (::ffff:0:0/96; use ipv4.address)", q);
    /* RFC 4291 2.6.1: the all-zeros interface id of a subnet is the
     * Subnet-Router anycast address (/127 and /128 have none, RFC 6164). */
    if (prefix_len < 127 && host_part6_is_zero(a, prefix_len))
        return conf_fail(L, path,
                         "%s is the Subnet-Router anycast address of %s/%u (RFC 4291 2.6.1; expected a host address)",
                         q, ip6_addr_format(a, net, sizeof net), prefix_len);
    return 0;
}

/* ---- the RFC 7217 secret ---- */

#define SECRET_HINT "expected an IPv6 address as in Linux's stable_secret, e.g. " \
                    "\"fd77:1234:5678:9abc:def0:1234:5678:9abc\", or 32 hex digits"

/* "stable_secret": 128 bits, either in the form of Linux's sysctl
 * net.ipv6.conf.X.stable_secret (an IPv6 address) or as 32 hex digits.
 * The value is a secret: messages never repeat it (they go to logs). */
static int parse_secret(struct conf_loader *L, const char *path, const char *s,
                        uint8_t out[NETIF_STABLE_SECRET_LEN])
{
    static const uint8_t zero[NETIF_STABLE_SECRET_LEN];
    size_t n = strlen(s), digits = 0;

    while (digits < n && hex_digit(s[digits]) >= 0)
        digits++;
    if (n > 0 && digits == n) {
        /* Only hex digits: must be exactly 32 of them. */
        if (n != 2 * NETIF_STABLE_SECRET_LEN)
            return conf_fail(L, path, "the secret has %zu hex digits (expected 32: 128 bits)", n);
        for (size_t i = 0; i < NETIF_STABLE_SECRET_LEN; i++)
            out[i] = (uint8_t)(hex_digit(s[2 * i]) << 4 | hex_digit(s[2 * i + 1]));
    } else if (ip6_parse(s, out) != 0) {
        return conf_fail(L, path, "the secret is not in a known form (" SECRET_HINT ")");
    }
    if (memcmp(out, zero, sizeof zero) == 0)
        return conf_fail(L, path, "the secret is all zeros (expected a random one, e.g. from "
                                  "`od -An -tx1 -N16 /dev/urandom | tr -d ' \\n'`)");
    return 0;
}

/* ---- sections ---- */

static const char *const iface_keys[] = {"name", "mac", "mtu", "ipv4", "ipv6", "neighbors", "host"};
static const char *const ipv4_keys[] = {"address", "addresses", "gateway", "dhcp"};
static const char *const neigh_keys[] = {"ip", "mac"};
static const char *const ipv6_keys[] = {"addresses", "slaac", "addr_gen_mode", "stable_secret"};
/* Indexed by enum netif_addr_gen_mode; Linux's names (addr_gen_mode 0
 * and 2). */
static const char *const addr_gen_names[] = {"eui64", "stable-privacy"};
static const char *const host_keys[] = {"configure", "ipv4", "ipv6"};

/* "ipv4.addresses": more addresses of the interface, as `ip addr add`
 * puts several on one device, each checked as "address" is. */
static int parse_ipv4_more(struct conf_loader *L, const cJSON *obj, const char *path,
                           struct conf_iface *ifc)
{
    const cJSON *arr;
    char apath[PATH_LEN];
    size_t i = 0;

    conf_key_path(apath, path, "addresses");
    if (conf_opt_container(L, obj, path, "addresses", cJSON_Array, &arr) < 0)
        return -1;
    if (arr == NULL)
        return 0;
    int n = cJSON_GetArraySize(arr);
    if (n > NETIF_MAX_STATIC_ADDR4)
        return conf_fail(L, apath, "has %d entries (at most %d more IPv4 addresses)", n,
                         NETIF_MAX_STATIC_ADDR4);
    for (const cJSON *el = arr->child; el != NULL; el = el->next, i++) {
        struct netif_addr4_config *a = &ifc->addr4[i];
        char ep[PATH_LEN], q[QUOTE_LEN];

        conf_index_path(ep, apath, i);
        if (conf_expect_type(L, el, ep, cJSON_String, "a string such as \"10.77.5.2/24\"") < 0)
            return -1;
        if (parse_prefix(L, ep, el->valuestring, &a->addr, &a->prefix_len) < 0)
            return -1;
        conf_quote(q, el->valuestring);
        if (check_unicast_ip(L, ep, q, a->addr, a->prefix_len) < 0)
            return -1;
        if (a->addr == ifc->ipv4_addr)
            return conf_fail(L, ep, "%s is already %s.address", q, path);
        for (size_t j = 0; j < i; j++)
            if (ifc->addr4[j].addr == a->addr)
                return conf_fail(L, ep, "%s is already listed in %s[%zu]", q, apath, j);
    }
    ifc->n_addr4 = i;
    return 0;
}

static int parse_ipv4(struct conf_loader *L, const cJSON *obj, const char *path,
                      struct conf_iface *ifc)
{
    const char *s;
    char sub[PATH_LEN], q[QUOTE_LEN], net[16];
    uint32_t mask, gw;
    int r;

    if (conf_check_object(L, obj, path, ipv4_keys, N_KEYS(ipv4_keys)) < 0)
        return -1;
    /* "dhcp": true: RFC 2131's client brings the address, the routes and
     * the MTU; nothing static beside it. */
    if (conf_opt_bool(L, obj, path, "dhcp", &ifc->dhcp4) < 0)
        return -1;
    if (ifc->dhcp4) {
        static const char *const not_with_dhcp[] = {"address", "addresses", "gateway"};
        for (size_t k = 0; k < N_KEYS(not_with_dhcp); k++) {
            if (cJSON_GetObjectItemCaseSensitive(obj, not_with_dhcp[k]) == NULL)
                continue;
            conf_key_path(sub, path, not_with_dhcp[k]);
            return conf_fail(L, sub, "not with %s.dhcp (the lease brings the address and routes)",
                             path);
        }
        return 0;
    }
    conf_key_path(sub, path, "address");
    r = conf_opt_string(L, obj, path, "address", &s);
    if (r < 0)
        return -1;
    if (r == 0)
        return conf_fail(L, sub, "required key is missing (or \"dhcp\": true)");
    if (parse_prefix(L, sub, s, &ifc->ipv4_addr, &ifc->ipv4_prefix_len) < 0)
        return -1;
    if (check_unicast_ip(L, sub, conf_quote(q, s), ifc->ipv4_addr, ifc->ipv4_prefix_len) < 0)
        return -1;
    ifc->has_ipv4 = true;
    if (parse_ipv4_more(L, obj, path, ifc) < 0)
        return -1;

    conf_key_path(sub, path, "gateway");
    r = conf_opt_string(L, obj, path, "gateway", &s);
    if (r <= 0)
        return r;
    if (parse_ip(L, sub, s, &gw) < 0)
        return -1;
    conf_quote(q, s);
    mask = ip4_mask(ifc->ipv4_prefix_len);
    ip4_format(ifc->ipv4_addr & mask, net, sizeof net);
    /* The gateway is the next hop for off-link traffic: we must be able to
     * ARP for it, so it has to be on our own subnet. */
    if (((gw ^ ifc->ipv4_addr) & mask) != 0)
        return conf_fail(L, sub, "%s is not in %s/%u, the subnet of %s.address (a gateway must be on-link)",
                         q, net, ifc->ipv4_prefix_len, path);
    if (gw == ifc->ipv4_addr)
        return conf_fail(L, sub, "%s is the interface's own address (%s.address)", q, path);
    if (check_unicast_ip(L, sub, q, gw, ifc->ipv4_prefix_len) < 0)
        return -1;
    ifc->ipv4_gateway = gw;
    return 0;
}

static int parse_neighbors(struct conf_loader *L, const cJSON *arr, const char *path,
                           const char *iface_path, struct conf_iface *ifc)
{
    uint32_t mask = ip4_mask(ifc->ipv4_prefix_len);
    int n = cJSON_GetArraySize(arr);
    size_t i = 0;
    char net[16];

    ip4_format(ifc->ipv4_addr & mask, net, sizeof net);
    if (n > CONF_MAX_NEIGH)
        return conf_fail(L, path, "has %d entries (at most %d)", n, CONF_MAX_NEIGH);
    if (n > 0 && !ifc->has_ipv4)
        return conf_fail(L, path, "static neighbours need %s.ipv4.address (they must be on its subnet)",
                         iface_path);
    for (const cJSON *el = arr->child; el != NULL; el = el->next, i++) {
        struct netif_static_neigh *nb = &ifc->neigh[i];
        char ep[PATH_LEN], sub[PATH_LEN], q[QUOTE_LEN];
        const char *s;
        int r;

        conf_index_path(ep, path, i);
        if (conf_check_object(L, el, ep, neigh_keys, N_KEYS(neigh_keys)) < 0)
            return -1;

        conf_key_path(sub, ep, "ip");
        r = conf_opt_string(L, el, ep, "ip", &s);
        if (r < 0)
            return -1;
        if (r == 0)
            return conf_fail(L, sub, "required key is missing");
        if (parse_ip(L, sub, s, &nb->ip) < 0)
            return -1;
        conf_quote(q, s);
        /* We only ever ARP for on-link next hops; an entry elsewhere would
         * never be used, which is surely not what was meant. */
        if (((nb->ip ^ ifc->ipv4_addr) & mask) != 0)
            return conf_fail(L, sub, "%s is not in %s/%u, the subnet of %s.ipv4.address", q, net,
                             ifc->ipv4_prefix_len, iface_path);
        if (nb->ip == ifc->ipv4_addr)
            return conf_fail(L, sub, "%s is the interface's own address", q);
        if (check_unicast_ip(L, sub, q, nb->ip, ifc->ipv4_prefix_len) < 0)
            return -1;
        for (size_t j = 0; j < i; j++) {
            if (ifc->neigh[j].ip == nb->ip)
                return conf_fail(L, sub, "%s is already listed in %s[%zu]", q, path, j);
        }

        conf_key_path(sub, ep, "mac");
        r = conf_opt_string(L, el, ep, "mac", &s);
        if (r < 0)
            return -1;
        if (r == 0)
            return conf_fail(L, sub, "required key is missing");
        if (parse_unicast_mac(L, sub, s, false, &nb->mac) < 0)
            return -1;
    }
    ifc->n_neigh = i;
    return 0;
}

static int parse_host4(struct conf_loader *L, const char *sub, const char *s,
                       const char *iface_path, struct conf_iface *ifc)
{
    struct conf_host_side *h = &ifc->host;
    char q[QUOTE_LEN], net[16];
    uint32_t mask;

    if (parse_prefix(L, sub, s, &h->ipv4_addr, &h->ipv4_prefix_len) < 0)
        return -1;
    conf_quote(q, s);
    if (!ifc->has_ipv4)
        return conf_fail(L, sub, "needs %s.ipv4.address (the host side must share its subnet)",
                         iface_path);
    /* The kernel and the stack sit on the two ends of one link: the same
     * subnet, the same mask, two different addresses. */
    mask = ip4_mask(ifc->ipv4_prefix_len);
    ip4_format(ifc->ipv4_addr & mask, net, sizeof net);
    if (h->ipv4_prefix_len != ifc->ipv4_prefix_len || ((h->ipv4_addr ^ ifc->ipv4_addr) & mask) != 0)
        return conf_fail(L, sub, "%s is not in %s/%u, the subnet of %s.ipv4.address (expected the same subnet and length)",
                         q, net, ifc->ipv4_prefix_len, iface_path);
    if (h->ipv4_addr == ifc->ipv4_addr)
        return conf_fail(L, sub, "%s is the stack's own address (%s.ipv4.address); the host side needs another one",
                         q, iface_path);
    if (check_unicast_ip(L, sub, q, h->ipv4_addr, h->ipv4_prefix_len) < 0)
        return -1;
    h->has_ipv4 = true;
    return 0;
}

/* "addr_gen_mode" and "stable_secret" of "ipv6": how the link-local and
 * SLAAC interface identifiers are formed. "eui64" (the default) from the
 * MAC (RFC 4291 2.5.1); "stable-privacy" from RFC 7217's keyed hash, which
 * needs the secret key, and only then is one given. */
static int parse_addr_gen(struct conf_loader *L, const cJSON *obj, const char *path,
                          struct conf_iface *ifc)
{
    char mpath[PATH_LEN], spath[PATH_LEN];
    const char *secret = NULL;
    int r;

    conf_key_path(mpath, path, "addr_gen_mode");
    conf_key_path(spath, path, "stable_secret");
    ifc->addr_gen_mode = NETIF_ADDR_GEN_EUI64;
    memset(ifc->stable_secret, 0, sizeof ifc->stable_secret);
    if (conf_opt_choice(L, obj, path, "addr_gen_mode", addr_gen_names, N_KEYS(addr_gen_names),
                        "\"eui64\" or \"stable-privacy\"", &ifc->addr_gen_mode) < 0)
        return -1;
    if ((r = conf_opt_string(L, obj, path, "stable_secret", &secret)) < 0)
        return -1;
    if (ifc->addr_gen_mode == NETIF_ADDR_GEN_STABLE_PRIVACY) {
        if (r == 0)
            return conf_fail(L, spath, "required when %s is \"stable-privacy\"", mpath);
        return parse_secret(L, spath, secret, ifc->stable_secret);
    }
    if (r > 0)
        return conf_fail(L, spath, "only used with %s \"stable-privacy\" (it is \"%s\")", mpath,
                         addr_gen_names[ifc->addr_gen_mode]);
    return 0;
}

/* "ipv6": {"addresses": [...], "slaac": bool, "addr_gen_mode": ...,
 * "stable_secret": ...}. Its presence turns IPv6 on (the link-local
 * address comes from the MAC, RFC 4291 2.5.1, unless addr_gen_mode is
 * "stable-privacy", RFC 7217). */
static int parse_ipv6(struct conf_loader *L, const cJSON *obj, const char *path,
                      struct conf_iface *ifc)
{
    const cJSON *arr;
    char apath[PATH_LEN];
    size_t i = 0;
    int n;

    if (conf_check_object(L, obj, path, ipv6_keys, N_KEYS(ipv6_keys)) < 0)
        return -1;
    ifc->has_ipv6 = true;
    /* RFC 4862 5.5.3: hosts form addresses from advertised prefixes unless
     * told not to; Linux's autoconf default is on as well. */
    ifc->slaac = true;
    if (conf_opt_bool(L, obj, path, "slaac", &ifc->slaac) < 0)
        return -1;
    if (parse_addr_gen(L, obj, path, ifc) < 0)
        return -1;

    conf_key_path(apath, path, "addresses");
    if (conf_opt_container(L, obj, path, "addresses", cJSON_Array, &arr) < 0)
        return -1;
    if (arr == NULL)
        return 0;
    n = cJSON_GetArraySize(arr);
    if (n > NETIF_MAX_STATIC_ADDR6)
        return conf_fail(L, apath, "has %d entries (at most %d static IPv6 addresses)", n,
                         NETIF_MAX_STATIC_ADDR6);
    for (const cJSON *el = arr->child; el != NULL; el = el->next, i++) {
        struct netif_addr6_config *a = &ifc->addr6[i];
        char ep[PATH_LEN], q[QUOTE_LEN];

        conf_index_path(ep, apath, i);
        if (conf_expect_type(L, el, ep, cJSON_String, "a string such as \"fd77::2/64\"") < 0)
            return -1;
        if (parse_prefix6(L, ep, el->valuestring, a->addr, &a->prefix_len) < 0)
            return -1;
        conf_quote(q, el->valuestring);
        if (check_unicast_ip6(L, ep, q, a->addr, a->prefix_len) < 0)
            return -1;
        for (size_t j = 0; j < i; j++) {
            if (memcmp(ifc->addr6[j].addr, a->addr, 16) == 0)
                return conf_fail(L, ep, "%s is already listed in %s[%zu]", q, apath, j);
        }
    }
    ifc->n_addr6 = i;
    return 0;
}

/* host.ipv6: the kernel side shares a prefix (same length) with one of
 * the stack's static addresses, like host.ipv4 shares the subnet. */
static int parse_host6(struct conf_loader *L, const char *sub, const char *s,
                       const char *iface_path, struct conf_iface *ifc)
{
    struct conf_host_side *h = &ifc->host;
    char q[QUOTE_LEN];
    bool shares = false;

    if (parse_prefix6(L, sub, s, h->ipv6_addr, &h->ipv6_prefix_len) < 0)
        return -1;
    conf_quote(q, s);
    if (!ifc->has_ipv6)
        return conf_fail(L, sub, "needs %s.ipv6 (IPv6 on the interface, with a static address in the same prefix)",
                         iface_path);
    if (check_unicast_ip6(L, sub, q, h->ipv6_addr, h->ipv6_prefix_len) < 0)
        return -1;
    for (size_t j = 0; j < ifc->n_addr6; j++) {
        const struct netif_addr6_config *a = &ifc->addr6[j];

        if (memcmp(a->addr, h->ipv6_addr, 16) == 0)
            return conf_fail(L, sub, "%s is the stack's own address (%s.ipv6.addresses[%zu]); the host side needs another one",
                             q, iface_path, j);
        if (a->prefix_len == h->ipv6_prefix_len &&
            prefix6_eq(a->addr, h->ipv6_addr, a->prefix_len))
            shares = true;
    }
    if (!shares)
        return conf_fail(L, sub, "%s is not in the prefix of any of %s.ipv6.addresses (expected the same prefix and length as one of them)",
                         q, iface_path);
    h->has_ipv6 = true;
    return 0;
}

static int parse_host(struct conf_loader *L, const cJSON *obj, const char *path,
                      const char *iface_path, struct conf_iface *ifc)
{
    char sub[PATH_LEN];
    const char *s;
    int r;

    if (conf_check_object(L, obj, path, host_keys, N_KEYS(host_keys)) < 0)
        return -1;
    if (conf_opt_bool(L, obj, path, "configure", &ifc->host.configure) < 0)
        return -1;
    conf_key_path(sub, path, "ipv4");
    r = conf_opt_string(L, obj, path, "ipv4", &s);
    if (r < 0)
        return -1;
    if (r > 0 && parse_host4(L, sub, s, iface_path, ifc) < 0)
        return -1;
    conf_key_path(sub, path, "ipv6");
    r = conf_opt_string(L, obj, path, "ipv6", &s);
    if (r < 0)
        return -1;
    if (r > 0 && parse_host6(L, sub, s, iface_path, ifc) < 0)
        return -1;
    return 0;
}

static int parse_iface(struct conf_loader *L, const cJSON *obj, const char *path,
                       struct conf_iface *ifc)
{
    const cJSON *sect;
    const char *s;
    char sub[PATH_LEN];
    long long v;
    int r;

    memset(ifc, 0, sizeof *ifc);
    ifc->mtu = 1500;
    if (conf_check_object(L, obj, path, iface_keys, N_KEYS(iface_keys)) < 0)
        return -1;

    conf_key_path(sub, path, "name");
    r = conf_opt_string(L, obj, path, "name", &s);
    if (r < 0)
        return -1;
    if (r == 0)
        return conf_fail(L, sub, "required key is missing");
    if (check_ifname(L, sub, s) < 0)
        return -1;
    memcpy(ifc->name, s, strlen(s) + 1); /* checked: < STACK_IFNAMSIZ */

    conf_key_path(sub, path, "mac");
    r = conf_opt_string(L, obj, path, "mac", &s);
    if (r < 0)
        return -1;
    if (r > 0 && strcmp(s, "auto") != 0) {
        if (parse_unicast_mac(L, sub, s, true, &ifc->mac) < 0)
            return -1;
        ifc->has_mac = true;
    }

    /* RFC 791: every host must accept 68-byte datagrams; 9000 is the usual
     * jumbo frame. */
    r = conf_opt_int(L, obj, path, "mtu", 68, 9000, &v);
    if (r < 0)
        return -1;
    if (r > 0)
        ifc->mtu = (uint16_t)v;

    conf_key_path(sub, path, "ipv4");
    if (conf_opt_container(L, obj, path, "ipv4", cJSON_Object, &sect) < 0)
        return -1;
    if (sect != NULL && parse_ipv4(L, sect, sub, ifc) < 0)
        return -1;

    conf_key_path(sub, path, "ipv6");
    if (conf_opt_container(L, obj, path, "ipv6", cJSON_Object, &sect) < 0)
        return -1;
    if (sect != NULL && parse_ipv6(L, sect, sub, ifc) < 0)
        return -1;

    conf_key_path(sub, path, "neighbors");
    if (conf_opt_container(L, obj, path, "neighbors", cJSON_Array, &sect) < 0)
        return -1;
    if (sect != NULL && parse_neighbors(L, sect, sub, path, ifc) < 0)
        return -1;

    conf_key_path(sub, path, "host");
    if (conf_opt_container(L, obj, path, "host", cJSON_Object, &sect) < 0)
        return -1;
    if (sect != NULL && parse_host(L, sect, sub, path, ifc) < 0)
        return -1;
    return 0;
}

/* Global prefixes of two interfaces must not overlap, or a route lookup
 * would find two. Link-local ones (fe80::/10) are per link (RFC 4291
 * 2.5.6) and may repeat. */
static int check_prefixes6_disjoint(struct conf_loader *L, const struct conf_iface *a, size_t i,
                                    const struct conf_iface *b, size_t j)
{
    char sub[PATH_LEN], ip[IP_ADDR_STRLEN];

    for (size_t k = 0; k < a->n_addr6; k++) {
        const struct netif_addr6_config *x = &a->addr6[k];

        if (ipv6_addr_is_link_local(x->addr))
            continue;
        for (size_t m = 0; m < b->n_addr6; m++) {
            const struct netif_addr6_config *y = &b->addr6[m];
            unsigned shorter = x->prefix_len < y->prefix_len ? x->prefix_len : y->prefix_len;

            if (!prefix6_eq(x->addr, y->addr, shorter))
                continue;
            conf_path_printf(sub, "interfaces[%zu].ipv6.addresses[%zu]", i, k);
            return conf_fail(L, sub, "overlaps %s/%u of interfaces[%zu] (each interface needs its own prefix)",
                             ip6_addr_format(y->addr, ip, sizeof ip), y->prefix_len, j);
        }
    }
    return 0;
}

/* Rules between interfaces: distinct names, disjoint subnets (a route
 * lookup must find exactly one interface) and at most one default route. */
static int check_iface_against(struct conf_loader *L, const struct tcpipd_config *cfg, size_t i)
{
    const struct conf_iface *a = &cfg->ifaces[i];
    char sub[PATH_LEN], ip[16];

    for (size_t j = 0; j < i; j++) {
        const struct conf_iface *b = &cfg->ifaces[j];

        if (strcmp(a->name, b->name) == 0) {
            conf_path_printf(sub, "interfaces[%zu].name", i);
            return conf_fail(L, sub, "\"%s\" is already used by interfaces[%zu]", a->name, j);
        }
        /* Every address of a against every one of b ("address" is
         * index 0, "addresses"[k] is k + 1). */
        for (size_t ka = 0; a->has_ipv4 && b->has_ipv4 && ka <= a->n_addr4; ka++) {
            uint32_t xa = ka == 0 ? a->ipv4_addr : a->addr4[ka - 1].addr;
            unsigned la = ka == 0 ? a->ipv4_prefix_len : a->addr4[ka - 1].prefix_len;
            for (size_t kb = 0; kb <= b->n_addr4; kb++) {
                uint32_t xb = kb == 0 ? b->ipv4_addr : b->addr4[kb - 1].addr;
                unsigned lb = kb == 0 ? b->ipv4_prefix_len : b->addr4[kb - 1].prefix_len;
                unsigned shorter = la < lb ? la : lb;
                if (((xa ^ xb) & ip4_mask(shorter)) != 0)
                    continue;
                if (ka == 0)
                    conf_path_printf(sub, "interfaces[%zu].ipv4.address", i);
                else
                    conf_path_printf(sub, "interfaces[%zu].ipv4.addresses[%zu]", i, ka - 1);
                ip4_format(xb, ip, sizeof ip);
                return conf_fail(L, sub, "overlaps %s/%u of interfaces[%zu] (each interface needs its own subnet)",
                                 ip, lb, j);
            }
        }
        if (check_prefixes6_disjoint(L, a, i, b, j) < 0)
            return -1;
        if (a->ipv4_gateway != 0 && b->ipv4_gateway != 0) {
            conf_path_printf(sub, "interfaces[%zu].ipv4.gateway", i);
            return conf_fail(L, sub, "interfaces[%zu] already has a gateway (only one default route is supported)",
                             j);
        }
    }
    return 0;
}

int conf_parse_interfaces(struct conf_loader *L, const cJSON *arr, struct tcpipd_config *cfg)
{
    int n;
    size_t i = 0;

    if (conf_expect_type(L, arr, "interfaces", cJSON_Array, "an array") < 0)
        return -1;
    n = cJSON_GetArraySize(arr);
    if (n == 0)
        return conf_fail(L, "interfaces", "is empty (expected 1..%d interfaces)", CONF_MAX_IFACES);
    if (n > CONF_MAX_IFACES)
        return conf_fail(L, "interfaces", "has %d entries (at most %d interfaces are supported)", n,
                         CONF_MAX_IFACES);
    for (const cJSON *el = arr->child; el != NULL; el = el->next, i++) {
        char path[PATH_LEN];

        conf_index_path(path, "interfaces", i);
        if (parse_iface(L, el, path, &cfg->ifaces[i]) < 0)
            return -1;
        if (check_iface_against(L, cfg, i) < 0)
            return -1;
    }
    cfg->n_ifaces = i;
    return 0;
}

/* ---- the same checks for the control channel (config.h) ---- */

int config_parse_addr_prefix(const char *s, const char *path, struct ip_addr *addr,
                             uint8_t *prefix_len, char *err, size_t errlen)
{
    struct conf_loader L = {.origin = NULL, .text = NULL, .err = err, .errlen = errlen};
    char q[QUOTE_LEN];

    conf_quote(q, s);
    if (strchr(s, ':') != NULL) {
        uint8_t a6[16];
        if (parse_prefix6(&L, path, s, a6, prefix_len) < 0 ||
            check_unicast_ip6(&L, path, q, a6, *prefix_len) < 0)
            return -1;
        *addr = ipv6_addr_tag(a6);
        return 0;
    }
    uint32_t a4;
    if (parse_prefix(&L, path, s, &a4, prefix_len) < 0 ||
        check_unicast_ip(&L, path, q, a4, *prefix_len) < 0)
        return -1;
    *addr = ip_addr_v4(a4);
    return 0;
}

int config_parse_neigh(const char *ip, const char *mac, const char *path, struct ip_addr *addr,
                       struct eth_addr *out_mac, char *err, size_t errlen)
{
    struct conf_loader L = {.origin = NULL, .text = NULL, .err = err, .errlen = errlen};
    char sub[PATH_LEN], q[QUOTE_LEN];
    uint32_t a4;

    conf_key_path(sub, path, "ip");
    if (parse_ip(&L, sub, ip, &a4) < 0 || check_unicast_ip(&L, sub, conf_quote(q, ip), a4, -1) < 0)
        return -1;
    *addr = ip_addr_v4(a4);
    conf_key_path(sub, path, "mac");
    return parse_unicast_mac(&L, sub, mac, false, out_mac);
}
