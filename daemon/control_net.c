/* control_net.c - the control channel's network views: `addr`, `route`,
 * `neigh` and the address list of `status` (see control.h and
 * docs/control.md). */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>

#include "daemon/control_int.h"

static const struct control_iface *iface_by_index(const struct control_env *env, int ifindex)
{
    for (size_t i = 0; i < env->n_ifaces; i++)
        if (env->ifaces[i].ifindex == ifindex)
            return &env->ifaces[i];
    return NULL;
}

static const char *iface_name(const struct control_env *env, int ifindex)
{
    const struct control_iface *ci = iface_by_index(env, ifindex);
    return ci != NULL ? ci->name : "?";
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

/* An address row of interface ci, appended to arr: {"ifname", "family"}
 * and what the caller adds (NULL: no memory). */
static cJSON *addr_row(cJSON *arr, const struct control_iface *ci, const char *family)
{
    cJSON *o = cJSON_CreateObject();
    if (o == NULL)
        return NULL;
    cJSON_AddItemToArray(arr, o);
    cJSON_AddStringToObject(o, "ifname", ci->name);
    cJSON_AddStringToObject(o, "family", family);
    return o;
}

/* Every address, both families, as "A/LEN" with its interface (and the
 * DAD/lifetime state for IPv6), for `status`. */
cJSON *control_status_addresses(const struct control_env *env)
{
    cJSON *arr = cJSON_CreateArray();
    size_t n6;
    struct addr6_info *list6 = addr6_all(env, &n6);
    for (size_t i = 0; arr != NULL && i < env->n_ifaces; i++) {
        const struct control_iface *ci = &env->ifaces[i];
        char ip[IP_ADDR_STRLEN], buf[IP_ADDR_STRLEN + 4];
        if (ci->has_ipv4) {
            cJSON *o = addr_row(arr, ci, "inet");
            if (o == NULL)
                break;
            snprintf(buf, sizeof buf, "%s/%u", ip4_format(ci->ipv4_addr, ip, sizeof ip),
                     (unsigned)ci->ipv4_prefix_len);
            cJSON_AddStringToObject(o, "address", buf);
        }
        for (size_t j = 0; j < n6; j++) {
            const struct addr6_info *a = &list6[j];
            if (a->ifindex != ci->ifindex)
                continue;
            cJSON *o = addr_row(arr, ci, "inet6");
            if (o == NULL)
                break;
            snprintf(buf, sizeof buf, "%s/%u", ip_addr_format(&a->addr, ip, sizeof ip),
                     (unsigned)a->prefix_len);
            cJSON_AddStringToObject(o, "address", buf);
            cJSON_AddStringToObject(o, "state", a->state);
        }
    }
    free(list6);
    return arr;
}

/* One IPv6 address of ci, as a row of arr (NULL: no memory). */
static cJSON *addr6_json(cJSON *arr, const struct control_iface *ci, const struct addr6_info *a)
{
    char ip[IP_ADDR_STRLEN];
    cJSON *o = addr_row(arr, ci, "inet6");
    if (o == NULL)
        return NULL;
    cJSON_AddStringToObject(o, "address", ip_addr_format(&a->addr, ip, sizeof ip));
    cJSON_AddNumberToObject(o, "prefix_len", a->prefix_len);
    cJSON_AddStringToObject(o, "scope", a->link_local ? "link" : "global");
    cJSON_AddStringToObject(o, "state", a->state);
    cJSON_AddBoolToObject(o, "dynamic", a->autoconf);
    cJSON_AddBoolToObject(o, "stable_privacy", a->stable_privacy);
    add_lifetime(o, "valid_lft_s", a->valid_s);
    add_lifetime(o, "preferred_lft_s", a->preferred_s);
    return o;
}

/* Per interface its IPv4 address, then its IPv6 ones, as `ip addr`. */
cJSON *control_cmd_addr(const struct control_env *env)
{
    cJSON *arr = cJSON_CreateArray();
    size_t n6;
    struct addr6_info *list6 = addr6_all(env, &n6);
    for (size_t i = 0; arr != NULL && i < env->n_ifaces; i++) {
        const struct control_iface *ci = &env->ifaces[i];
        if (ci->has_ipv4) {
            cJSON *o = addr_row(arr, ci, "inet");
            if (o == NULL)
                break;
            add_ip4(o, "address", ci->ipv4_addr);
            cJSON_AddNumberToObject(o, "prefix_len", ci->ipv4_prefix_len);
            uint32_t mask = ip4_mask(ci->ipv4_prefix_len);
            if (ci->ipv4_prefix_len < 31)
                add_ip4(o, "broadcast", (ci->ipv4_addr & mask) | ~mask);
            cJSON_AddStringToObject(o, "scope", "global");
        }
        for (size_t j = 0; j < n6; j++) {
            if (list6[j].ifindex != ci->ifindex)
                continue;
            if (addr6_json(arr, ci, &list6[j]) == NULL)
                break;
        }
    }
    free(list6);
    return arr;
}

/* The stack's IPv6 routes (stack_route6_list: on-link prefixes, then
 * default routers), appended to arr. */
static void add_routes6(const struct control_env *env, cJSON *arr)
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
        cJSON_AddStringToObject(o, "dev", iface_name(env, r->ifindex));
        cJSON_AddStringToObject(o, "scope", r->has_gateway ? "global" : "link");
        cJSON_AddStringToObject(o, "proto", r->origin == ROUTE6_RA ? "ra" : "kernel");
        /* The source is chosen per destination (ipv6_route): none to show. */
        cJSON_AddNullToObject(o, "src");
        add_lifetime(o, "expires_s", r->lifetime_s);
    }
    free(list);
}

cJSON *control_cmd_route(const struct control_env *env)
{
    cJSON *arr = cJSON_CreateArray();
    /* On-link prefixes first, then default routes, as `ip route` lists. */
    for (int pass = 0; pass < 2 && arr != NULL; pass++) {
        for (size_t i = 0; i < env->n_ifaces; i++) {
            const struct control_iface *ci = &env->ifaces[i];
            if (!ci->has_ipv4 || (pass == 1 && ci->ipv4_gateway == 0))
                continue;
            cJSON *o = cJSON_CreateObject();
            if (o == NULL)
                break;
            cJSON_AddItemToArray(arr, o);
            cJSON_AddStringToObject(o, "family", "inet");
            if (pass == 0) {
                char net[16], dst[24];
                uint32_t mask = ip4_mask(ci->ipv4_prefix_len);
                snprintf(dst, sizeof dst, "%s/%u", ip4_format(ci->ipv4_addr & mask, net, sizeof net),
                         (unsigned)ci->ipv4_prefix_len);
                cJSON_AddStringToObject(o, "dst", dst);
                cJSON_AddNullToObject(o, "gateway");
                cJSON_AddStringToObject(o, "dev", ci->name);
                cJSON_AddStringToObject(o, "scope", "link");
                cJSON_AddStringToObject(o, "proto", "kernel");
            } else {
                cJSON_AddStringToObject(o, "dst", "default");
                add_ip4(o, "gateway", ci->ipv4_gateway);
                cJSON_AddStringToObject(o, "dev", ci->name);
                cJSON_AddStringToObject(o, "scope", "global");
                cJSON_AddStringToObject(o, "proto", "static");
            }
            add_ip4(o, "src", ci->ipv4_addr);
            cJSON_AddNullToObject(o, "expires_s");
        }
    }
    if (arr != NULL)
        add_routes6(env, arr);
    return arr;
}

cJSON *control_cmd_neigh(const struct control_env *env)
{
    size_t n = stack_neigh_list(env->stack, NULL, 0);
    struct neigh_info *list = calloc(n > 0 ? n : 1, sizeof *list);
    cJSON *arr = list != NULL ? cJSON_CreateArray() : NULL;
    if (arr == NULL) {
        free(list);
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
        cJSON_AddStringToObject(o, "ifname", iface_name(env, ni->ifindex));
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
    return arr;
}
