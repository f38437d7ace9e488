/* config_iface.c - the "interfaces" array of tcpipd's config: TAP names,
 * MACs, MTU, IPv4 address and gateway, static neighbours, the host side of
 * the TAP, and the rules between interfaces (distinct names, disjoint
 * subnets, one default route). Keys are documented in conf/REFERENCE.md. */
#include "daemon/config_json.h"

#include <stdio.h>
#include <string.h>

#include "stack/wire/addr.h"

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

/* "a.b.c.d/len" with the length written out. */
static int parse_prefix(struct conf_loader *L, const char *path, const char *s, uint32_t *addr,
                        uint8_t *len)
{
    char q[QUOTE_LEN];
    char a[16];
    const char *slash = strchr(s, '/');
    const char *p;
    unsigned v = 0;
    size_t alen;

    conf_quote(q, s);
    if (slash == NULL) {
        if (ip4_parse(s, addr) == 0)
            return conf_fail(L, path, "%s has no prefix length (expected a.b.c.d/len, e.g. \"%s/24\")",
                             q, s);
        return conf_fail(L, path, "%s is not an IPv4 prefix (expected a.b.c.d/len)", q);
    }
    alen = (size_t)(slash - s);
    if (alen == 0 || alen >= sizeof a)
        return conf_fail(L, path, "%s is not an IPv4 prefix (expected a.b.c.d/len)", q);
    memcpy(a, s, alen);
    a[alen] = '\0';
    if (ip4_parse(a, addr) != 0)
        return conf_fail(L, path, "%s is not an IPv4 prefix (expected a.b.c.d/len)", q);
    /* One to three digits without a leading zero, like the octets; "100"
     * gets the range message, "/", "/-1", "/024", "/24x" and "/ 24" the
     * format one. */
    for (p = slash + 1; *p >= '0' && *p <= '9' && p - slash <= 3; p++)
        v = v * 10 + (unsigned)(*p - '0');
    if (p == slash + 1 || *p != '\0' || (slash[1] == '0' && p - slash > 2))
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

/* ---- sections ---- */

static const char *const iface_keys[] = {"name", "mac", "mtu", "ipv4", "neighbors", "host"};
static const char *const ipv4_keys[] = {"address", "gateway"};
static const char *const neigh_keys[] = {"ip", "mac"};
static const char *const host_keys[] = {"configure", "ipv4"};

static int parse_ipv4(struct conf_loader *L, const cJSON *obj, const char *path,
                      struct conf_iface *ifc)
{
    const char *s;
    char sub[PATH_LEN], q[QUOTE_LEN], net[16];
    uint32_t mask, gw;
    int r;

    if (conf_check_object(L, obj, path, ipv4_keys, N_KEYS(ipv4_keys)) < 0)
        return -1;
    conf_key_path(sub, path, "address");
    r = conf_opt_string(L, obj, path, "address", &s);
    if (r < 0)
        return -1;
    if (r == 0)
        return conf_fail(L, sub, "required key is missing");
    if (parse_prefix(L, sub, s, &ifc->ipv4_addr, &ifc->ipv4_prefix_len) < 0)
        return -1;
    if (check_unicast_ip(L, sub, conf_quote(q, s), ifc->ipv4_addr, ifc->ipv4_prefix_len) < 0)
        return -1;
    ifc->has_ipv4 = true;

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

static int parse_host(struct conf_loader *L, const cJSON *obj, const char *path,
                      const char *iface_path, struct conf_iface *ifc)
{
    struct conf_host_side *h = &ifc->host;
    char sub[PATH_LEN], q[QUOTE_LEN], net[16];
    const char *s;
    uint32_t mask;
    int r;

    if (conf_check_object(L, obj, path, host_keys, N_KEYS(host_keys)) < 0)
        return -1;
    if (conf_opt_bool(L, obj, path, "configure", &h->configure) < 0)
        return -1;
    conf_key_path(sub, path, "ipv4");
    r = conf_opt_string(L, obj, path, "ipv4", &s);
    if (r <= 0)
        return r;
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
        if (a->has_ipv4 && b->has_ipv4) {
            unsigned shorter = a->ipv4_prefix_len < b->ipv4_prefix_len ? a->ipv4_prefix_len
                                                                       : b->ipv4_prefix_len;
            if (((a->ipv4_addr ^ b->ipv4_addr) & ip4_mask(shorter)) == 0) {
                conf_path_printf(sub, "interfaces[%zu].ipv4.address", i);
                ip4_format(b->ipv4_addr, ip, sizeof ip);
                return conf_fail(L, sub, "overlaps %s/%u of interfaces[%zu] (each interface needs its own subnet)",
                                 ip, b->ipv4_prefix_len, j);
            }
        }
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
