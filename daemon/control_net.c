/* control_net.c - the control channel's network views: `addr`, `route`,
 * `neigh` and the address list of `status` (see control.h and
 * docs/control.md). */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>

#include "daemon/control_int.h"

/* The stack's interfaces, lo first (NULL with *n = 0 if no memory). */
static struct netif_info *netifs_all(const struct control_env *env, size_t *n)
{
    size_t total = stack_netif_list(env->stack, NULL, 0);
    struct netif_info *list = calloc(total > 0 ? total : 1, sizeof *list);
    *n = 0;
    if (list == NULL)
        return NULL;
    *n = stack_netif_list(env->stack, list, total);
    if (*n > total)
        *n = total;
    return list;
}

static const char *iface_name(const struct netif_info *ifs, size_t n, int ifindex)
{
    for (size_t i = 0; i < n; i++)
        if (ifs[i].ifindex == ifindex)
            return ifs[i].name;
    return "?";
}

static void add_ip4(cJSON *o, const char *key, uint32_t host_order)
{
    char buf[16];
    cJSON_AddStringToObject(o, key, ip4_format(host_order, buf, sizeof buf));
}

/* A lifetime in seconds, null for "forever" (STACK_LIFETIME_FOREVER). */
static void add_lifetime(cJSON *o, const char *key, uint32_t seconds)
{
    if (seconds == STACK_LIFETIME_FOREVER)
        cJSON_AddNullToObject(o, key);
    else
        cJSON_AddNumberToObject(o, key, seconds);
}

/* The stack's IPv6 addresses (NULL with *n = 0 if none or no memory). */
static struct addr6_info *addr6_all(const struct control_env *env, size_t *n)
{
    *n = 0;
    size_t total = stack_addr6_list(env->stack, NULL, 0, env->now_ns);
    if (total == 0)
        return NULL;
    struct addr6_info *list = calloc(total, sizeof *list);
    if (list == NULL)
        return NULL;
    *n = stack_addr6_list(env->stack, list, total, env->now_ns);
    if (*n > total)
        *n = total;
    return list;
}

/* The stack's IPv4 addresses (NULL with *n = 0 if none or no memory). */
static struct addr4_info *addr4_all(const struct control_env *env, size_t *n)
{
    *n = 0;
    size_t total = stack_addr4_list(env->stack, NULL, 0, env->now_ns);
    if (total == 0)
        return NULL;
    struct addr4_info *list = calloc(total, sizeof *list);
    if (list == NULL)
        return NULL;
    *n = stack_addr4_list(env->stack, list, total, env->now_ns);
    if (*n > total)
        *n = total;
    return list;
}

/* An address row of interface ifname, appended to arr: {"ifname",
 * "family"} and what the caller adds (NULL: no memory). */
static cJSON *addr_row(cJSON *arr, const char *ifname, const char *family)
{
    cJSON *o = cJSON_CreateObject();
    if (o == NULL)
        return NULL;
    cJSON_AddItemToArray(arr, o);
    cJSON_AddStringToObject(o, "ifname", ifname);
    cJSON_AddStringToObject(o, "family", family);
    return o;
}

/* Every address of the stack: per interface (lo first) its IPv4 ones then
 * its IPv6 ones, as `ip addr`; full rows for `addr`, "A/LEN" (and the
 * IPv6 state) for `status`. */
static cJSON *addresses_json(const struct control_env *env, bool full)
{
    cJSON *arr = cJSON_CreateArray();
    size_t nif, n4, n6;
    struct netif_info *ifs = netifs_all(env, &nif);
    struct addr4_info *l4 = addr4_all(env, &n4);
    struct addr6_info *l6 = addr6_all(env, &n6);
    for (size_t i = 0; arr != NULL && i < nif; i++) {
        const struct netif_info *ni = &ifs[i];
        char ip[IP_ADDR_STRLEN], buf[IP_ADDR_STRLEN + 4];
        for (size_t j = 0; j < n4; j++) {
            const struct addr4_info *a = &l4[j];
            if (a->ifindex != ni->ifindex)
                continue;
            cJSON *o = addr_row(arr, ni->name, "inet");
            if (o == NULL)
                break;
            if (!full) {
                snprintf(buf, sizeof buf, "%s/%u", ip4_format(a->addr, ip, sizeof ip),
                         (unsigned)a->prefix_len);
                cJSON_AddStringToObject(o, "address", buf);
                continue;
            }
            add_ip4(o, "address", a->addr);
            cJSON_AddNumberToObject(o, "prefix_len", a->prefix_len);
            uint32_t mask = ip4_mask(a->prefix_len);
            if (a->prefix_len < 31 && !ni->loopback)
                add_ip4(o, "broadcast", (a->addr & mask) | ~mask);
            cJSON_AddStringToObject(o, "scope", ni->loopback ? "host" : "global");
            cJSON_AddBoolToObject(o, "dynamic", a->dynamic);
            struct dhcp4_info di;
            if (a->dynamic && stack_dhcp4_info(env->stack, ni->ifindex, &di, env->now_ns) &&
                di.addr == a->addr) {
                cJSON *l = cJSON_AddObjectToObject(o, "dhcp");
                if (l != NULL) {
                    add_ip4(l, "server", di.server);
                    cJSON_AddStringToObject(l, "state", di.state);
                    add_lifetime(l, "renew_s", di.renew_s);
                    add_lifetime(l, "rebind_s", di.rebind_s);
                }
            }
            add_lifetime(o, "valid_lft_s", a->valid_s);
            add_lifetime(o, "preferred_lft_s", a->preferred_s);
        }
        for (size_t j = 0; j < n6; j++) {
            const struct addr6_info *a = &l6[j];
            if (a->ifindex != ni->ifindex)
                continue;
            cJSON *o = addr_row(arr, ni->name, "inet6");
            if (o == NULL)
                break;
            if (!full) {
                snprintf(buf, sizeof buf, "%s/%u", ip_addr_format(&a->addr, ip, sizeof ip),
                         (unsigned)a->prefix_len);
                cJSON_AddStringToObject(o, "address", buf);
                cJSON_AddStringToObject(o, "state", a->state);
                continue;
            }
            cJSON_AddStringToObject(o, "address", ip_addr_format(&a->addr, ip, sizeof ip));
            cJSON_AddNumberToObject(o, "prefix_len", a->prefix_len);
            cJSON_AddStringToObject(o, "scope",
                                    a->loopback ? "host" : a->link_local ? "link" : "global");
            cJSON_AddStringToObject(o, "state", a->state);
            cJSON_AddBoolToObject(o, "dynamic", a->autoconf);
            cJSON_AddBoolToObject(o, "stable_privacy", a->stable_privacy);
            add_lifetime(o, "valid_lft_s", a->valid_s);
            add_lifetime(o, "preferred_lft_s", a->preferred_s);
        }
    }
    free(l6);
    free(l4);
    free(ifs);
    return arr;
}

/* Each DHCP client's state and lease, for `status` (and DNS servers). */
cJSON *control_status_dhcp(const struct control_env *env)
{
    cJSON *arr = cJSON_CreateArray();
    size_t nif;
    struct netif_info *ifs = netifs_all(env, &nif);
    for (size_t i = 0; arr != NULL && i < nif; i++) {
        struct dhcp4_info di;
        if (ifs[i].loopback || !stack_dhcp4_info(env->stack, ifs[i].ifindex, &di, env->now_ns))
            continue;
        cJSON *o = cJSON_CreateObject();
        if (o == NULL)
            break;
        cJSON_AddItemToArray(arr, o);
        char ip[16], buf[24];
        cJSON_AddStringToObject(o, "ifname", ifs[i].name);
        cJSON_AddStringToObject(o, "state", di.state);
        if (di.addr == 0) {
            cJSON_AddNullToObject(o, "address");
            continue;
        }
        snprintf(buf, sizeof buf, "%s/%u", ip4_format(di.addr, ip, sizeof ip),
                 (unsigned)di.prefix_len);
        cJSON_AddStringToObject(o, "address", buf);
        add_ip4(o, "server", di.server);
        if (di.router != 0)
            add_ip4(o, "router", di.router);
        else
            cJSON_AddNullToObject(o, "router");
        cJSON *dns = cJSON_AddArrayToObject(o, "dns");
        for (size_t k = 0; dns != NULL && k < di.n_dns; k++)
            cJSON_AddItemToArray(dns, cJSON_CreateString(ip4_format(di.dns[k], ip, sizeof ip)));
        cJSON_AddNumberToObject(o, "routes", (double)di.n_routes);
        if (di.mtu != 0)
            cJSON_AddNumberToObject(o, "mtu", di.mtu);
        else
            cJSON_AddNullToObject(o, "mtu");
        add_lifetime(o, "lease_s", di.lease_s);
        add_lifetime(o, "renew_s", di.renew_s);
        add_lifetime(o, "rebind_s", di.rebind_s);
        add_lifetime(o, "expires_s", di.expires_s);
    }
    free(ifs);
    return arr;
}

/* RFC 8106: DNS servers and search domains learnt from RAs, for `status`. */
cJSON *control_status_dns6(const struct control_env *env)
{
    cJSON *arr = cJSON_CreateArray();
    size_t n = stack_dns6_list(env->stack, NULL, 0, env->now_ns);
    struct dns6_info *list = calloc(n > 0 ? n : 1, sizeof *list);
    size_t nif;
    struct netif_info *ifs = netifs_all(env, &nif);
    if (list != NULL)
        n = stack_dns6_list(env->stack, list, n, env->now_ns);
    for (size_t i = 0; arr != NULL && list != NULL && i < n; i++) {
        char ip[IP_ADDR_STRLEN];
        cJSON *o = cJSON_CreateObject();
        if (o == NULL)
            break;
        cJSON_AddItemToArray(arr, o);
        cJSON_AddStringToObject(o, "ifname", iface_name(ifs, nif, list[i].ifindex));
        cJSON_AddStringToObject(o, "type", list[i].search ? "search" : "server");
        cJSON_AddStringToObject(o, "value", list[i].search
                                                ? list[i].domain
                                                : ip_addr_format(&list[i].server, ip, sizeof ip));
        add_lifetime(o, "lifetime_s", list[i].lifetime_s);
    }
    free(list);
    free(ifs);
    return arr;
}

cJSON *control_status_addresses(const struct control_env *env)
{
    return addresses_json(env, false);
}

cJSON *control_cmd_addr(const struct control_env *env)
{
    return addresses_json(env, true);
}

static const char *proto_name(uint8_t proto)
{
    switch (proto) {
    case ROUTE_PROTO_KERNEL:
        return "kernel";
    case ROUTE_PROTO_DHCP:
        return "dhcp";
    case ROUTE_PROTO_RA:
        return "ra";
    default:
        return "static";
    }
}

/* The stack's IPv6 routes (stack_route6_list: on-link prefixes, static
 * routes, then default routers), appended to arr. */
static void add_routes6(const struct control_env *env, cJSON *arr, const struct netif_info *ifs,
                        size_t nif)
{
    size_t n = stack_route6_list(env->stack, NULL, 0, env->now_ns);
    if (n == 0)
        return;
    struct route6_info *list = calloc(n, sizeof *list);
    if (list == NULL)
        return;
    size_t got = stack_route6_list(env->stack, list, n, env->now_ns);
    if (got < n)
        n = got;
    for (size_t i = 0; i < n; i++) {
        const struct route6_info *r = &list[i];
        char ip[IP_ADDR_STRLEN], dst[IP_ADDR_STRLEN + 4];
        cJSON *o = cJSON_CreateObject();
        if (o == NULL)
            break;
        cJSON_AddItemToArray(arr, o);
        cJSON_AddStringToObject(o, "family", "inet6");
        if (r->prefix_len == 0) {
            cJSON_AddStringToObject(o, "dst", "default");
        } else {
            snprintf(dst, sizeof dst, "%s/%u", ip_addr_format(&r->dst, ip, sizeof ip),
                     (unsigned)r->prefix_len);
            cJSON_AddStringToObject(o, "dst", dst);
        }
        if (r->has_gateway)
            cJSON_AddStringToObject(o, "gateway", ip_addr_format(&r->gateway, ip, sizeof ip));
        else
            cJSON_AddNullToObject(o, "gateway");
        cJSON_AddStringToObject(o, "dev", iface_name(ifs, nif, r->ifindex));
        cJSON_AddStringToObject(o, "scope", r->has_gateway ? "global" : "link");
        cJSON_AddStringToObject(o, "proto",
                                r->origin == ROUTE6_RA       ? "ra"
                                : r->origin == ROUTE6_STATIC ? "static"
                                                             : "kernel");
        cJSON_AddNumberToObject(o, "metric", r->metric);
        /* The source is chosen per destination (ipv6_route): none to show. */
        cJSON_AddNullToObject(o, "src");
        add_lifetime(o, "expires_s", r->lifetime_s);
    }
    free(list);
}

cJSON *control_cmd_route(const struct control_env *env)
{
    cJSON *arr = cJSON_CreateArray();
    size_t nif;
    struct netif_info *ifs = netifs_all(env, &nif);
    size_t n = stack_route4_list(env->stack, NULL, 0, env->now_ns);
    struct stack_route *list = calloc(n > 0 ? n : 1, sizeof *list);
    if (arr == NULL || list == NULL) {
        cJSON_Delete(arr);
        free(list);
        free(ifs);
        return NULL;
    }
    size_t got = stack_route4_list(env->stack, list, n, env->now_ns);
    if (got < n)
        n = got;
    /* Subnets, then the table (default routes among them), as `ip route`. */
    for (size_t i = 0; i < n; i++) {
        const struct stack_route *r = &list[i];
        char ip[16], dst[24];
        cJSON *o = cJSON_CreateObject();
        if (o == NULL)
            break;
        cJSON_AddItemToArray(arr, o);
        cJSON_AddStringToObject(o, "family", "inet");
        if (r->prefix_len == 0) {
            cJSON_AddStringToObject(o, "dst", "default");
        } else {
            snprintf(dst, sizeof dst, "%s/%u", ip4_format(r->dst.u.v4, ip, sizeof ip),
                     (unsigned)r->prefix_len);
            cJSON_AddStringToObject(o, "dst", dst);
        }
        bool gw = r->gateway.family == IP_FAMILY_V4;
        if (gw)
            add_ip4(o, "gateway", r->gateway.u.v4);
        else
            cJSON_AddNullToObject(o, "gateway");
        cJSON_AddStringToObject(o, "dev", iface_name(ifs, nif, r->ifindex));
        cJSON_AddStringToObject(o, "scope", gw ? "global" : "link");
        cJSON_AddStringToObject(o, "proto", proto_name(r->proto));
        cJSON_AddNumberToObject(o, "metric", r->metric);
        if (r->src.family == IP_FAMILY_V4 && r->src.u.v4 != 0)
            add_ip4(o, "src", r->src.u.v4);
        else
            cJSON_AddNullToObject(o, "src");
        add_lifetime(o, "expires_s", r->lifetime_s);
    }
    add_routes6(env, arr, ifs, nif);
    free(list);
    free(ifs);
    return arr;
}

cJSON *control_cmd_neigh(const struct control_env *env)
{
    size_t nifs;
    struct netif_info *ifs = netifs_all(env, &nifs);
    size_t n = stack_neigh_list(env->stack, NULL, 0);
    struct neigh_info *list = calloc(n > 0 ? n : 1, sizeof *list);
    cJSON *arr = list != NULL ? cJSON_CreateArray() : NULL;
    if (arr == NULL) {
        free(list);
        free(ifs);
        return NULL;
    }
    n = stack_neigh_list(env->stack, list, n);
    for (size_t i = 0; i < n; i++) {
        const struct neigh_info *ni = &list[i];
        char ip[IP_ADDR_STRLEN], mac[ETH_ADDR_STRLEN];
        cJSON *o = cJSON_CreateObject();
        if (o == NULL)
            break;
        cJSON_AddItemToArray(arr, o);
        cJSON_AddStringToObject(o, "ifname", iface_name(ifs, nifs, ni->ifindex));
        cJSON_AddStringToObject(o, "family", ni->ip.family == IP_FAMILY_V6 ? "inet6" : "inet");
        cJSON_AddStringToObject(o, "address", ip_addr_format(&ni->ip, ip, sizeof ip));
        if (ni->state == NEIGH_INCOMPLETE)
            cJSON_AddNullToObject(o, "mac");
        else
            cJSON_AddStringToObject(o, "mac", eth_addr_format(&ni->mac, mac, sizeof mac));
        cJSON_AddStringToObject(o, "state", neigh_state_name(ni->state));
        if (ni->state == NEIGH_PERMANENT || ni->updated > env->now_ns)
            cJSON_AddNullToObject(o, "age_ms");
        else
            cJSON_AddNumberToObject(o, "age_ms", (double)((env->now_ns - ni->updated) / NS_PER_MS));
    }
    free(list);
    free(ifs);
    return arr;
}
