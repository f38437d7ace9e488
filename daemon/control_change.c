/* control_change.c - the control channel's live changes, as `ip` makes
 * them (docs/control.md):
 *
 *   addr add|del PREFIX dev NAME                 10.77.5.2/24, fd77::5:2/112
 *   route add|del TO [via GW] [dev NAME] [metric N]
 *   neigh add IP lladdr MAC dev NAME | neigh del IP dev NAME
 *   link set [dev] NAME mtu N
 *
 * Values go through the config's own parsers (config_iface.c,
 * config_route.c), so a bad one gets the message the config file would
 * give; what only the running stack can say (the address is taken, the
 * gateway is off-link now, the table is full) comes back with its errno.
 * The reply's data is the view the change touched (addr, route, neigh or
 * link), already showing it. */
#include <cjson/cJSON.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/config.h"
#include "daemon/control_int.h"

static int fail(char *err, size_t errlen, int e, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int fail(char *err, size_t errlen, int e, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return -e;
}

static int take(struct control_request *req, const char *w, char *err, size_t errlen)
{
    if (req->n_args == CONTROL_ARGS)
        return fail(err, errlen, EINVAL, "too many arguments");
    if (strlen(w) >= CONTROL_ARG_MAX)
        return fail(err, errlen, EINVAL, "\"%.20s...\" is too long", w);
    memcpy(req->args[req->n_args++], w, strlen(w) + 1);
    return 0;
}

/* words[first..n): the object, then "key value" pairs among keys[]
 * (each at most once, in any order); required ones marked by '!'. */
static int take_pairs(char *const *words, size_t n, size_t first, const char *const *keys,
                      size_t n_keys, struct control_request *req, char *err, size_t errlen)
{
    if (first >= n)
        return fail(err, errlen, EINVAL, "missing the %s", "address");
    int rc = take(req, words[first], err, errlen);
    bool seen[8] = {false};
    for (size_t i = first + 1; rc == 0 && i < n; i += 2) {
        size_t k = 0;
        while (k < n_keys && strcmp(words[i], keys[k] + (keys[k][0] == '!')) != 0)
            k++;
        if (k == n_keys)
            return fail(err, errlen, EINVAL, "unknown word \"%s\"", words[i]);
        if (seen[k])
            return fail(err, errlen, EINVAL, "\"%s\" given twice", words[i]);
        if (i + 1 == n)
            return fail(err, errlen, EINVAL, "\"%s\" needs a value", words[i]);
        seen[k] = true;
        rc = take(req, words[i], err, errlen);
        if (rc == 0)
            rc = take(req, words[i + 1], err, errlen);
    }
    for (size_t k = 0; rc == 0 && k < n_keys; k++)
        if (keys[k][0] == '!' && !seen[k])
            return fail(err, errlen, EINVAL, "\"%s\" is required", keys[k] + 1);
    return rc;
}

int control_parse_change(char *const *words, size_t n, struct control_request *req, char *err,
                         size_t errlen)
{
    static const char *const addr_keys[] = {"!dev"};
    static const char *const route_keys[] = {"via", "dev", "metric"};
    static const char *const neigh_add_keys[] = {"!lladdr", "!dev"};
    static const char *const neigh_del_keys[] = {"!dev"};
    bool add = strcmp(words[1], "add") == 0, del = strcmp(words[1], "del") == 0;

    req->n_args = 0;
    if (strcmp(words[0], "link") == 0) {
        /* link set [dev] NAME mtu N */
        size_t i = 2;
        if (strcmp(words[1], "set") != 0)
            return fail(err, errlen, EINVAL, "usage: link set [dev] NAME mtu N");
        if (i < n && strcmp(words[i], "dev") == 0)
            i++;
        if (n != i + 3 || strcmp(words[i + 1], "mtu") != 0)
            return fail(err, errlen, EINVAL, "usage: link set [dev] NAME mtu N");
        req->cmd = CONTROL_CMD_LINK_SET_MTU;
        if (take(req, words[i], err, errlen) < 0 || take(req, words[i + 2], err, errlen) < 0)
            return -EINVAL;
        return 0;
    }
    if (!add && !del)
        return fail(err, errlen, EINVAL, "unknown %s request \"%s\" (expected add or del)",
                    words[0], words[1]);
    if (strcmp(words[0], "addr") == 0) {
        req->cmd = add ? CONTROL_CMD_ADDR_ADD : CONTROL_CMD_ADDR_DEL;
        return take_pairs(words, n, 2, addr_keys, 1, req, err, errlen);
    }
    if (strcmp(words[0], "route") == 0) {
        req->cmd = add ? CONTROL_CMD_ROUTE_ADD : CONTROL_CMD_ROUTE_DEL;
        return take_pairs(words, n, 2, route_keys, 3, req, err, errlen);
    }
    req->cmd = add ? CONTROL_CMD_NEIGH_ADD : CONTROL_CMD_NEIGH_DEL;
    return take_pairs(words, n, 2, add ? neigh_add_keys : neigh_del_keys, add ? 2 : 1, req, err,
                      errlen);
}

/* The value after key in req->args (pairs after the object), or NULL. */
static const char *arg(const struct control_request *req, const char *key)
{
    for (size_t i = 1; i + 1 < req->n_args; i += 2)
        if (strcmp(req->args[i], key) == 0)
            return req->args[i + 1];
    return NULL;
}

static char *error_reply(int e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static char *error_reply(int e, const char *fmt, ...)
{
    char msg[CONF_ERR_LEN];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return control_error_reply(e, msg);
}

/* The stack's index of interface name (lo included), or an error reply. */
static int dev_index(const struct control_env *env, const char *name, char **reply)
{
    int i = stack_netif_by_name(env->stack, name);
    if (i < 0)
        *reply = error_reply(ENODEV, "dev: \"%s\" is not one of the interfaces", name);
    return i;
}

static char *addr_change(struct control_env *env, const struct control_request *req)
{
    char err[CONF_ERR_LEN], *reply = NULL;
    struct ip_addr a;
    uint8_t len;
    const char *dev = arg(req, "dev");
    if (config_parse_addr_prefix(req->args[0], "address", &a, &len, err, sizeof err) < 0)
        return control_error_reply(EINVAL, err);
    int idx = dev_index(env, dev, &reply);
    if (idx < 0)
        return reply;
    bool add = req->cmd == CONTROL_CMD_ADDR_ADD;
    int rc;
    if (a.family == IP_FAMILY_V4)
        rc = add ? stack_addr4_add(env->stack, idx, a.u.v4, len, env->now_ns)
                 : stack_addr4_del(env->stack, idx, a.u.v4, len);
    else
        rc = add ? stack_addr6_add(env->stack, idx, a.u.v6, len, env->now_ns)
                 : stack_addr6_del(env->stack, idx, a.u.v6, len);
    switch (rc) {
    case 0:
        return control_ok_reply(control_cmd_addr(env));
    case -EEXIST:
        return error_reply(EEXIST, "address: \"%s\" is already one of our addresses", req->args[0]);
    case -ENOSPC:
        return error_reply(ENOSPC, "address: %s has no room for another address (at most %d)",
                           dev, a.family == IP_FAMILY_V4 ? NETIF_MAX_ADDR4 : 8);
    case -EADDRNOTAVAIL:
        return error_reply(EADDRNOTAVAIL, "address: \"%s\" is not an address of %s", req->args[0],
                           dev);
    case -EAFNOSUPPORT:
        return error_reply(EAFNOSUPPORT, "dev: IPv6 is off on %s (its config has no \"ipv6\")", dev);
    case -EINVAL:
        if (idx == STACK_LOOPBACK_IFINDEX)
            return error_reply(EINVAL, "dev: lo's addresses do not change");
        return error_reply(EINVAL, "address: \"%s\" cannot be an address of %s", req->args[0], dev);
    default:
        return error_reply(-rc, "address: %s", strerror(-rc));
    }
}

/* The running stack's interfaces and subnets, as the config's route
 * checks see the file's. */
static void stack_view(const struct control_env *env, struct conf_route_view *v)
{
    memset(v, 0, sizeof *v);
    struct netif_info ifs[STACK_MAX_NETIFS + 1];
    size_t nif = stack_netif_list(env->stack, ifs, STACK_MAX_NETIFS + 1);
    size_t n4 = stack_addr4_list(env->stack, NULL, 0, env->now_ns);
    size_t n6 = stack_addr6_list(env->stack, NULL, 0, env->now_ns);
    struct addr4_info *l4 = calloc(n4 + 1, sizeof *l4);
    struct addr6_info *l6 = calloc(n6 + 1, sizeof *l6);
    if (l4 != NULL)
        n4 = stack_addr4_list(env->stack, l4, n4, env->now_ns);
    if (l6 != NULL)
        n6 = stack_addr6_list(env->stack, l6, n6, env->now_ns);
    for (size_t i = 0; i < nif && i <= STACK_MAX_NETIFS && v->n < STACK_MAX_NETIFS; i++) {
        if (ifs[i].loopback)
            continue;
        struct conf_route_view_iface *vi = &v->ifaces[v->n++];
        memcpy(vi->name, ifs[i].name, sizeof vi->name);
        for (size_t k = 0; l4 != NULL && k < n4 && vi->n_v4 < NETIF_MAX_ADDR4; k++)
            if (l4[k].ifindex == ifs[i].ifindex)
                vi->v4[vi->n_v4++] = (struct netif_addr4_config){l4[k].addr, l4[k].prefix_len};
        for (size_t k = 0; l6 != NULL && k < n6; k++) {
            if (l6[k].ifindex != ifs[i].ifindex)
                continue;
            vi->ipv6 = true;
            /* Like the config: the prefixes of static addresses. */
            if (!l6[k].autoconf && !l6[k].link_local && vi->n_v6 < NETIF_MAX_ADDR6_VIEW) {
                struct netif_addr6_config *c = &vi->v6[vi->n_v6++];
                memcpy(c->addr, l6[k].addr.u.v6, 16);
                c->prefix_len = l6[k].prefix_len;
            }
        }
    }
    free(l4);
    free(l6);
}

/* The route request as the config's JSON object, through its parser
 * (checked against the running interfaces for an add; for a del, only
 * its syntax: its gateway may have left our subnets). */
static int route_from_args(const struct control_env *env, const struct control_request *req,
                           bool check, struct conf_route *out, char *err, size_t errlen)
{
    cJSON *o = cJSON_CreateObject();
    if (o == NULL)
        return fail(err, errlen, ENOMEM, "out of memory");
    cJSON_AddStringToObject(o, "to", req->args[0]);
    const char *via = arg(req, "via"), *dev = arg(req, "dev"), *metric = arg(req, "metric");
    if (via != NULL)
        cJSON_AddStringToObject(o, "via", via);
    if (dev != NULL)
        cJSON_AddStringToObject(o, "dev", dev);
    if (metric != NULL) {
        /* Digits are a number to the parser, which checks the range;
         * anything else stays a string, which it refuses by name. */
        if (strlen(metric) <= 10 && strspn(metric, "0123456789") == strlen(metric))
            cJSON_AddNumberToObject(o, "metric", (double)strtoull(metric, NULL, 10));
        else
            cJSON_AddStringToObject(o, "metric", metric);
    }
    char *json = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    if (json == NULL)
        return fail(err, errlen, ENOMEM, "out of memory");
    struct conf_route_view view;
    if (check)
        stack_view(env, &view);
    int rc = config_parse_route_json(json, "route", check ? &view : NULL, out, err, errlen);
    free(json);
    return rc < 0 ? -EINVAL : 0;
}

static char *route_change(struct control_env *env, const struct control_request *req)
{
    char err[CONF_ERR_LEN], *reply = NULL;
    struct conf_route cr;
    bool add = req->cmd == CONTROL_CMD_ROUTE_ADD;
    const char *via = arg(req, "via");
    int rc = route_from_args(env, req, add, &cr, err, sizeof err);
    if (rc < 0)
        return control_error_reply(-rc, err);
    cr.r.ifindex = -1;
    if (cr.dev[0] != '\0' && (cr.r.ifindex = dev_index(env, cr.dev, &reply)) < 0)
        return reply;
    if (add) {
        rc = stack_route_add(env->stack, &cr.r);
    } else {
        if (arg(req, "metric") == NULL)
            cr.r.metric = UINT32_MAX; /* any metric */
        if (via == NULL)
            cr.r.gateway.family = IP_FAMILY_NONE;
        rc = stack_route_del(env->stack, &cr.r);
    }
    switch (rc) {
    case 0:
        return control_ok_reply(control_cmd_route(env));
    case -EEXIST:
        return error_reply(EEXIST, "route: %s is there already (the same prefix, metric and dev)",
                           req->args[0]);
    case -ENOSPC:
        return error_reply(ENOSPC, "route: the table is full (%d routes)", STACK_MAX_ROUTES);
    case -ESRCH:
        return error_reply(ESRCH, "route: no route %s%s%s to delete", req->args[0],
                           via != NULL ? " via " : "", via != NULL ? via : "");
    case -EINVAL:
        return error_reply(EINVAL, "route: the stack refused %s (its gateway is not on-link "
                                   "there now)",
                           req->args[0]);
    default:
        return error_reply(-rc, "route: %s", strerror(-rc));
    }
}

static char *neigh_change(struct control_env *env, const struct control_request *req)
{
    char err[CONF_ERR_LEN], *reply = NULL;
    bool add = req->cmd == CONTROL_CMD_NEIGH_ADD;
    const char *dev = arg(req, "dev"), *mac_s = arg(req, "lladdr");
    struct ip_addr ip;
    struct eth_addr mac;
    if (strchr(req->args[0], ':') != NULL)
        return error_reply(EAFNOSUPPORT, "neigh: static IPv6 neighbours are not supported "
                                         "(ND learns them)");
    if (config_parse_neigh(req->args[0], add ? mac_s : "02:00:00:00:00:01", "neigh", &ip, &mac,
                           err, sizeof err) < 0)
        return control_error_reply(EINVAL, err);
    int idx = dev_index(env, dev, &reply);
    if (idx < 0)
        return reply;
    int rc = add ? stack_neigh_add(env->stack, idx, &ip, &mac, env->now_ns)
                 : stack_neigh_del(env->stack, idx, &ip);
    switch (rc) {
    case 0:
        return control_ok_reply(control_cmd_neigh(env));
    case -EINVAL:
        if (idx == STACK_LOOPBACK_IFINDEX)
            return error_reply(EINVAL, "dev: lo has no neighbours");
        return error_reply(EINVAL, "neigh.ip: \"%s\" is not a neighbour on a subnet of %s (nor "
                                   "one of our addresses or a broadcast)",
                           req->args[0], dev);
    case -ENOSPC:
        return error_reply(ENOSPC, "neigh: the neighbour cache is full of static entries");
    case -ENOENT:
        return error_reply(ENOENT, "neigh.ip: no entry for %s on %s", req->args[0], dev);
    default:
        return error_reply(-rc, "neigh: %s", strerror(-rc));
    }
}

static char *link_change(struct control_env *env, const struct control_request *req)
{
    char *reply = NULL, err[CONF_ERR_LEN] = "";
    const char *name = req->args[0], *mtu_s = req->args[1];
    int idx = dev_index(env, name, &reply);
    if (idx < 0)
        return reply;
    /* The config's "mtu": RFC 791's 68 up to a 9000-byte jumbo frame. */
    unsigned long mtu = 0;
    if (strlen(mtu_s) > 5 || strspn(mtu_s, "0123456789") != strlen(mtu_s) || mtu_s[0] == '\0')
        return error_reply(EINVAL, "mtu: \"%s\" is not an integer", mtu_s);
    mtu = strtoul(mtu_s, NULL, 10);
    if (mtu < 68 || mtu > 9000)
        return error_reply(EINVAL, "mtu: %lu is out of range (expected 68..9000)", mtu);
    if (idx == STACK_LOOPBACK_IFINDEX)
        return error_reply(EINVAL, "dev: lo's MTU does not change");
    /* The kernel side first: it must not send frames the stack would
     * now call too big. */
    if (env->set_host_mtu != NULL &&
        env->set_host_mtu(env->set_host_mtu_ctx, name, (unsigned)mtu, err, sizeof err) < 0)
        return error_reply(EPERM, "mtu: the host side of %s keeps its MTU: %s", name, err);
    int rc = stack_netif_set_mtu(env->stack, idx, (uint32_t)mtu);
    if (rc < 0)
        return error_reply(-rc, "mtu: %s", strerror(-rc));
    return control_ok_reply(control_cmd_link(env));
}

char *control_change(struct control_env *env, const struct control_request *req)
{
    switch (req->cmd) {
    case CONTROL_CMD_ADDR_ADD:
    case CONTROL_CMD_ADDR_DEL:
        return addr_change(env, req);
    case CONTROL_CMD_ROUTE_ADD:
    case CONTROL_CMD_ROUTE_DEL:
        return route_change(env, req);
    case CONTROL_CMD_NEIGH_ADD:
    case CONTROL_CMD_NEIGH_DEL:
        return neigh_change(env, req);
    case CONTROL_CMD_LINK_SET_MTU:
        return link_change(env, req);
    default:
        return control_error_reply(EINVAL, "not a change");
    }
}
