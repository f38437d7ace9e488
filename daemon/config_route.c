/* config_route.c - the "routes" array of tcpipd's config, and the same
 * parser for the control channel's `route add|del` (one object, checked
 * against the running stack's interfaces instead of the file's):
 *
 *   "routes": [
 *     { "to": "10.77.9.0/24", "via": "10.77.1.1", "dev": "tcpip1", "metric": 10 },
 *     { "to": "default", "via": "fd77:1::1" },
 *     { "to": "fd77:9::/64", "dev": "tcpip1" }
 *   ]
 *
 * "to" is "default" or a prefix of either family with its host bits
 * clear; "via" a unicast gateway of the same family, on one of our
 * subnets (RFC 1122 3.3.1.1; a link-local IPv6 one needs "dev", RFC 4007
 * 6); "dev" one of the interfaces; "metric" 0..4294967294 (default 0 for
 * IPv4, 1024 for IPv6, as `ip route add`). Keys in conf/REFERENCE.md. */
#include "daemon/config_json.h"

#include <stdio.h>
#include <string.h>

#include "stack/wire/addr.h"
#include "stack/wire/ipv6.h"

static const char *const route_keys[] = {"to", "via", "dev", "metric"};

#define METRIC6_DEFAULT 1024u    /* `ip -6 route add` without a metric */

/* Do a and b agree in their first len bits? */
static bool same_prefix(const struct ip_addr *a, const struct ip_addr *b, unsigned len)
{
    if (a->family != b->family)
        return false;
    if (a->family == IP_FAMILY_V4)
        return ((a->u.v4 ^ b->u.v4) & ip4_mask(len)) == 0;
    unsigned full = len / 8, rest = len % 8;
    if (memcmp(a->u.v6, b->u.v6, full) != 0)
        return false;
    return rest == 0 || ((a->u.v6[full] ^ b->u.v6[full]) & (uint8_t)(0xff << (8 - rest))) == 0;
}

/* "to": "default" (family from "via"), or "A/LEN" of either family. */
static int parse_to(struct conf_loader *L, const char *path, const char *s, struct stack_route *r,
                    bool *is_default)
{
    char q[QUOTE_LEN], a[IP_ADDR_STRLEN], net[IP_ADDR_STRLEN];
    const char *slash = strchr(s, '/');

    conf_quote(q, s);
    *is_default = strcmp(s, "default") == 0;
    if (*is_default) {
        r->prefix_len = 0;
        return 0;
    }
    size_t alen = slash != NULL ? (size_t)(slash - s) : 0;
    if (slash == NULL || alen == 0 || alen >= sizeof a)
        return conf_fail(L, path, "%s is not a prefix (expected \"default\", a.b.c.d/len or addr/len)",
                         q);
    memcpy(a, s, alen);
    a[alen] = '\0';
    unsigned len = 0;
    const char *p = slash + 1;
    int digits = 0;
    for (; *p >= '0' && *p <= '9' && digits < 4; p++, digits++)
        len = len * 10 + (unsigned)(*p - '0');
    if (digits == 0 || *p != '\0' || (slash[1] == '0' && digits > 1))
        return conf_fail(L, path, "%s is not a prefix (expected \"default\", a.b.c.d/len or addr/len)",
                         q);
    uint32_t a4;
    uint8_t a6[16];
    if (ip4_parse(a, &a4) == 0) {
        if (len > 32)
            return conf_fail(L, path, "%s: prefix length %u is out of range (expected 0..32)", q, len);
        r->dst = ip_addr_v4(a4);
    } else if (ip6_parse(a, a6) == 0) {
        if (len > 128)
            return conf_fail(L, path, "%s: prefix length %u is out of range (expected 0..128)", q, len);
        r->dst = ipv6_addr_tag(a6);
    } else {
        return conf_fail(L, path, "%s is not a prefix (expected \"default\", a.b.c.d/len or addr/len)",
                         q);
    }
    r->prefix_len = (uint8_t)len;
    /* `ip route`: "Invalid prefix for given prefix length". */
    struct ip_addr clear = r->dst;
    if (clear.family == IP_FAMILY_V4) {
        clear.u.v4 &= ip4_mask(len);
        if (clear.u.v4 != r->dst.u.v4)
            return conf_fail(L, path, "%s has host bits set (expected \"%s/%u\")", q,
                             ip4_format(clear.u.v4, net, sizeof net), len);
    } else {
        for (unsigned b = len; b < 128; b++)
            clear.u.v6[b / 8] &= (uint8_t)~(0x80u >> (b % 8));
        if (memcmp(clear.u.v6, r->dst.u.v6, 16) != 0)
            return conf_fail(L, path, "%s has host bits set (expected \"%s/%u\")", q,
                             ip6_addr_format(clear.u.v6, net, sizeof net), len);
    }
    return 0;
}

static const struct conf_route_view_iface *view_iface(const struct conf_route_view *v,
                                                      const char *name)
{
    for (size_t i = 0; i < v->n; i++)
        if (strcmp(v->ifaces[i].name, name) == 0)
            return &v->ifaces[i];
    return NULL;
}

/* Is gw on one of vi's subnets (IPv6: a prefix of its static addresses,
 * or link-local)? Not one of its own addresses in *own. */
static bool on_link(const struct conf_route_view_iface *vi, const struct ip_addr *gw, bool *own)
{
    bool found = false;
    if (gw->family == IP_FAMILY_V4) {
        for (size_t k = 0; k < vi->n_v4; k++) {
            struct ip_addr a = ip_addr_v4(vi->v4[k].addr);
            *own = *own || a.u.v4 == gw->u.v4;
            found = found || same_prefix(&a, gw, vi->v4[k].prefix_len);
        }
        return found;
    }
    if (!vi->ipv6)
        return false;
    if (ipv6_addr_is_link_local(gw->u.v6))
        return true;
    for (size_t k = 0; k < vi->n_v6; k++) {
        struct ip_addr a = ipv6_addr_tag(vi->v6[k].addr);
        *own = *own || memcmp(a.u.v6, gw->u.v6, 16) == 0;
        found = found || same_prefix(&a, gw, vi->v6[k].prefix_len);
    }
    return found;
}

static int parse_route(struct conf_loader *L, const cJSON *obj, const char *path,
                       const struct conf_route_view *view, struct conf_route *out)
{
    char sub[PATH_LEN], q[QUOTE_LEN], ip[IP_ADDR_STRLEN];
    const char *to = NULL, *via = NULL, *dev = NULL;
    bool is_default = false;
    int r;

    memset(out, 0, sizeof *out);
    out->r.ifindex = -1;
    out->r.proto = ROUTE_PROTO_STATIC;
    if (conf_check_object(L, obj, path, route_keys, N_KEYS(route_keys)) < 0)
        return -1;
    conf_key_path(sub, path, "to");
    if ((r = conf_opt_string(L, obj, path, "to", &to)) < 0)
        return -1;
    if (r == 0)
        return conf_fail(L, sub, "required key is missing");
    if (parse_to(L, sub, to, &out->r, &is_default) < 0)
        return -1;
    if (conf_opt_string(L, obj, path, "via", &via) < 0 ||
        conf_opt_string(L, obj, path, "dev", &dev) < 0)
        return -1;
    if (via == NULL && dev == NULL && view != NULL)
        return conf_fail(L, path, "needs \"via\" (a gateway) or \"dev\" (an interface)");

    const struct conf_route_view_iface *vi = NULL;
    conf_key_path(sub, path, "dev");
    if (dev != NULL) {
        vi = view != NULL ? view_iface(view, dev) : NULL;
        if (view != NULL && vi == NULL)
            return conf_fail(L, sub, "%s is not one of the interfaces", conf_quote(q, dev));
        if (strlen(dev) >= sizeof out->dev)
            return conf_fail(L, sub, "%s is too long for an interface name", conf_quote(q, dev));
        memcpy(out->dev, dev, strlen(dev) + 1);
    }

    conf_key_path(sub, path, "via");
    if (via != NULL) {
        uint32_t a4;
        uint8_t a6[16];
        conf_quote(q, via);
        if (ip4_parse(via, &a4) == 0)
            out->r.gateway = ip_addr_v4(a4);
        else if (ip6_parse(via, a6) == 0)
            out->r.gateway = ipv6_addr_tag(a6);
        else
            return conf_fail(L, sub, "%s is not an IPv4 or IPv6 address", q);
        if (is_default) {
            out->r.dst = out->r.gateway;
            memset(&out->r.dst.u, 0, sizeof out->r.dst.u);
        } else if (out->r.gateway.family != out->r.dst.family) {
            return conf_fail(L, sub, "%s is not an %s address (the family of \"to\")", q,
                             out->r.dst.family == IP_FAMILY_V4 ? "IPv4" : "IPv6");
        }
        const struct ip_addr *g = &out->r.gateway;
        if (g->family == IP_FAMILY_V4 &&
            ((g->u.v4 >> 24) == 0 || (g->u.v4 >> 24) == 127 || (g->u.v4 >> 28) >= 0xe))
            return conf_fail(L, sub, "%s is not a unicast host address", q);
        if (g->family == IP_FAMILY_V6 &&
            (ipv6_addr_is_unspecified(g->u.v6) || ipv6_addr_is_loopback(g->u.v6) ||
             ipv6_addr_is_multicast(g->u.v6) || ipv6_addr_is_v4_mapped(g->u.v6)))
            return conf_fail(L, sub, "%s is not a unicast address", q);
        if (g->family == IP_FAMILY_V6 && ipv6_addr_is_link_local(g->u.v6) && dev == NULL)
            return conf_fail(L, sub, "%s is link-local: \"dev\" must say on which link (RFC 4007)",
                             q);
        /* RFC 1122 3.3.1.1: the gateway is on a connected network (no
         * view: a route being deleted, whose gateway may have gone). */
        bool own = false, found = view == NULL;
        for (size_t i = 0; view != NULL && i < view->n && !found; i++) {
            const struct conf_route_view_iface *c = &view->ifaces[i];
            if (vi != NULL && c != vi)
                continue;
            found = on_link(c, g, &own);
        }
        if (own)
            return conf_fail(L, sub, "%s is one of our own addresses", q);
        if (!found)
            return conf_fail(L, sub, "%s is not on-link (not in a subnet of %s; a gateway must be on one of our subnets)",
                             q, vi != NULL ? vi->name : "any interface");
    } else if (is_default && view == NULL) {
        out->r.dst = ip_addr_v4(0); /* `ip route del default`: IPv4's */
    } else if (is_default) {
        return conf_fail(L, path, "\"default\" needs \"via\" (its gateway says the family; "
                                  "or write 0.0.0.0/0 or ::/0 with \"dev\")");
    }

    uint8_t fam = out->r.dst.family;
    long long mv = 0;
    conf_key_path(sub, path, "metric");
    if ((r = conf_opt_int(L, obj, path, "metric", 0, 4294967294LL, &mv)) < 0)
        return -1;
    out->r.metric = r > 0 ? (uint32_t)mv : fam == IP_FAMILY_V6 ? METRIC6_DEFAULT : 0;
    (void)ip;
    return 0;
}

int config_parse_route_json(const char *json, const char *path, const struct conf_route_view *view,
                            struct conf_route *out, char *err, size_t errlen)
{
    struct conf_loader L = {.origin = NULL, .text = json, .err = err, .errlen = errlen};
    cJSON *obj = cJSON_Parse(json);
    if (obj == NULL)
        return conf_fail(&L, path, "is not a JSON object");
    int rc = parse_route(&L, obj, path, view, out);
    cJSON_Delete(obj);
    return rc;
}

void config_route_view_from_config(const struct tcpipd_config *cfg, struct conf_route_view *v)
{
    memset(v, 0, sizeof *v);
    for (size_t i = 0; i < cfg->n_ifaces && i < STACK_MAX_NETIFS; i++) {
        const struct conf_iface *ci = &cfg->ifaces[i];
        struct conf_route_view_iface *vi = &v->ifaces[v->n++];
        memcpy(vi->name, ci->name, sizeof vi->name);
        if (ci->has_ipv4) {
            vi->v4[vi->n_v4++] = (struct netif_addr4_config){ci->ipv4_addr, ci->ipv4_prefix_len};
            for (size_t k = 0; k < ci->n_addr4 && vi->n_v4 < NETIF_MAX_ADDR4; k++)
                vi->v4[vi->n_v4++] = ci->addr4[k];
        }
        vi->ipv6 = ci->has_ipv6;
        for (size_t k = 0; ci->has_ipv6 && k < ci->n_addr6 && vi->n_v6 < NETIF_MAX_ADDR6_VIEW; k++)
            vi->v6[vi->n_v6++] = ci->addr6[k];
    }
}

/* Two entries for one destination, metric and interface: the stack would
 * refuse the second (EEXIST). */
static bool duplicate(const struct conf_route *a, const struct conf_route *b)
{
    return a->r.dst.family == b->r.dst.family && a->r.prefix_len == b->r.prefix_len &&
           same_prefix(&a->r.dst, &b->r.dst, a->r.dst.family == IP_FAMILY_V4 ? 32 : 128) &&
           a->r.metric == b->r.metric && strcmp(a->dev, b->dev) == 0;
}

int conf_parse_routes(struct conf_loader *L, const cJSON *arr, struct tcpipd_config *cfg)
{
    struct conf_route_view view;
    size_t i = 0;

    if (conf_expect_type(L, arr, "routes", cJSON_Array, "an array") < 0)
        return -1;
    int n = cJSON_GetArraySize(arr);
    if (n > CONF_MAX_ROUTES)
        return conf_fail(L, "routes", "has %d entries (at most %d routes)", n, CONF_MAX_ROUTES);
    config_route_view_from_config(cfg, &view);
    for (const cJSON *el = arr->child; el != NULL; el = el->next, i++) {
        char path[PATH_LEN];
        conf_index_path(path, "routes", i);
        if (parse_route(L, el, path, &view, &cfg->routes[i]) < 0)
            return -1;
        for (size_t j = 0; j < i; j++)
            if (duplicate(&cfg->routes[j], &cfg->routes[i]))
                return conf_fail(L, path, "is the same route as routes[%zu] (prefix, metric and dev)",
                                 j);
        /* The interfaces' "gateway" is a default route of metric 0 too. */
        const struct conf_route *r = &cfg->routes[i];
        for (size_t k = 0; k < cfg->n_ifaces; k++)
            if (r->r.dst.family == IP_FAMILY_V4 && r->r.prefix_len == 0 && r->r.metric == 0 &&
                cfg->ifaces[k].ipv4_gateway != 0 &&
                (r->dev[0] == '\0' || strcmp(r->dev, cfg->ifaces[k].name) == 0))
                return conf_fail(L, path, "is the same default route as interfaces[%zu].ipv4.gateway (give it another metric)",
                                 k);
    }
    cfg->n_routes = i;
    return 0;
}
