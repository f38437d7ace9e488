/* config_ipc.c - the "ipc" object: where the daemon's Unix socket lives,
 * who may use it, and the per-client limits (conf/REFERENCE.md section
 * "ipc", ipc/PROTOCOL.md section 8). Users and groups are given as a
 * number or a name; names are looked up once, when the file is read. */
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/config_json.h"
#include "ipc/ipc.h"

static const char *const ipc_keys[] = {"path", "owner", "group", "mode", "allow_uids",
                                       "allow_gids", "privileged_port_uids",
                                       "max_sockets_per_client", "max_sockets",
                                       "max_buffer_per_client", "max_clients",
                                       "max_clients_per_uid", "pending_timeout_ms"};

void conf_ipc_defaults(struct conf_ipc *ipc)
{
    memset(ipc, 0, sizeof *ipc);
    snprintf(ipc->path, sizeof ipc->path, "%s", IPC_DEFAULT_PATH);
    ipc->mode = 0660;
    /* Only root may bind ports below 1024, as on Linux without
     * CAP_NET_BIND_SERVICE. */
    ipc->privileged_port_uids[0] = 0;
    ipc->n_privileged_port_uids = 1;
    ipc->max_sockets_per_client = 1024;  /* Linux's default RLIMIT_NOFILE */
    ipc->max_sockets = 16384;            /* the stack's default max_conns */
    ipc->max_buffer_per_client = 1024ull * 1024 * 1024;
    ipc->max_clients = 4096;
    ipc->max_clients_per_uid = 1024;
    ipc->pending_timeout_ms = 5000;
}

/* A uid or gid: a whole number 0..2^32-2, or a name the system knows. */
static int parse_id(struct conf_loader *L, const cJSON *item, const char *path, bool group,
                    uint32_t *out)
{
    char q[QUOTE_LEN];

    if (cJSON_IsNumber(item)) {
        long long v;
        if (conf_get_int(L, item, path, 0, 0xfffffffeLL, &v) < 0)
            return -1;
        *out = (uint32_t)v;
        return 0;
    }
    if (!cJSON_IsString(item) || item->valuestring[0] == '\0')
        return conf_fail(L, path, "expected a %s name or a number", group ? "group" : "user");
    if (group) {
        const struct group *gr = getgrnam(item->valuestring);
        if (gr == NULL)
            return conf_fail(L, path, "%s is not a known group", conf_quote(q, item->valuestring));
        *out = (uint32_t)gr->gr_gid;
    } else {
        const struct passwd *pw = getpwnam(item->valuestring);
        if (pw == NULL)
            return conf_fail(L, path, "%s is not a known user", conf_quote(q, item->valuestring));
        *out = (uint32_t)pw->pw_uid;
    }
    return 0;
}

static int parse_id_list(struct conf_loader *L, const cJSON *obj, const char *key, bool group,
                         uint32_t *out, size_t *n_out)
{
    const cJSON *arr;
    char path[PATH_LEN], sub[PATH_LEN];
    size_t n = 0;

    if (conf_opt_container(L, obj, "ipc", key, cJSON_Array, &arr) < 0)
        return -1;
    if (arr == NULL)
        return 0;
    conf_key_path(path, "ipc", key);
    if (cJSON_GetArraySize(arr) > CONF_IPC_MAX_IDS)
        return conf_fail(L, path, "has %d entries (at most %d)", cJSON_GetArraySize(arr),
                         CONF_IPC_MAX_IDS);
    for (const cJSON *el = arr->child; el != NULL; el = el->next, n++) {
        conf_index_path(sub, path, n);
        if (parse_id(L, el, sub, group, &out[n]) < 0)
            return -1;
    }
    *n_out = n;
    return 0;
}

static int parse_mode(struct conf_loader *L, const cJSON *obj, uint32_t *mode)
{
    const char *s;
    char q[QUOTE_LEN];
    int r = conf_opt_string(L, obj, "ipc", "mode", &s);

    if (r <= 0)
        return r;
    size_t len = strlen(s);
    bool ok = len >= 3 && len <= 4;
    for (size_t i = 0; ok && i < len; i++)
        ok = s[i] >= '0' && s[i] <= '7';
    if (!ok)
        return conf_fail(L, "ipc.mode", "%s is not an octal mode (expected e.g. \"0660\")",
                         conf_quote(q, s));
    *mode = (uint32_t)strtoul(s, NULL, 8);
    if (*mode > 0777)
        return conf_fail(L, "ipc.mode", "%s sets special bits (expected 0000..0777)",
                         conf_quote(q, s));
    if ((*mode & 0600) != 0600)
        return conf_fail(L, "ipc.mode",
                         "%s leaves the owner unable to use the socket (expected e.g. \"0660\")",
                         conf_quote(q, s));
    return 0;
}

int conf_parse_ipc(struct conf_loader *L, const cJSON *obj, struct conf_ipc *ipc)
{
    const cJSON *item;
    const char *s;
    char q[QUOTE_LEN];
    long long v;
    int r;

    if (conf_check_object(L, obj, "ipc", ipc_keys, N_KEYS(ipc_keys)) < 0)
        return -1;
    ipc->enabled = true;
    r = conf_opt_string(L, obj, "ipc", "path", &s);
    if (r < 0)
        return -1;
    if (r > 0) {
        if (s[0] != '/')
            return conf_fail(L, "ipc.path", "%s is not an absolute path", conf_quote(q, s));
        if (strlen(s) >= sizeof ipc->path)
            return conf_fail(L, "ipc.path", "is %zu bytes long (at most %zu for a Unix socket)",
                             strlen(s), sizeof ipc->path - 1);
        snprintf(ipc->path, sizeof ipc->path, "%s", s);
    }
    item = cJSON_GetObjectItemCaseSensitive(obj, "owner");
    if (item != NULL) {
        if (parse_id(L, item, "ipc.owner", false, &ipc->owner) < 0)
            return -1;
        ipc->has_owner = true;
    }
    item = cJSON_GetObjectItemCaseSensitive(obj, "group");
    if (item != NULL) {
        if (parse_id(L, item, "ipc.group", true, &ipc->group) < 0)
            return -1;
        ipc->has_group = true;
    }
    if (parse_mode(L, obj, &ipc->mode) < 0)
        return -1;
    if (parse_id_list(L, obj, "allow_uids", false, ipc->allow_uids, &ipc->n_allow_uids) < 0 ||
        parse_id_list(L, obj, "allow_gids", true, ipc->allow_gids, &ipc->n_allow_gids) < 0 ||
        parse_id_list(L, obj, "privileged_port_uids", false, ipc->privileged_port_uids,
                      &ipc->n_privileged_port_uids) < 0)
        return -1;
    if (conf_opt_u32(L, obj, "ipc", "max_sockets_per_client", 1, 1000000,
                     &ipc->max_sockets_per_client) < 0)
        return -1;
    if (conf_opt_u32(L, obj, "ipc", "max_sockets", 1, 1000000, &ipc->max_sockets) < 0)
        return -1;
    r = conf_opt_int(L, obj, "ipc", "max_buffer_per_client", 4096, 1LL << 40, &v);
    if (r < 0)
        return -1;
    if (r > 0)
        ipc->max_buffer_per_client = (uint64_t)v;
    if (conf_opt_u32(L, obj, "ipc", "max_clients", 1, 1000000, &ipc->max_clients) < 0 ||
        conf_opt_u32(L, obj, "ipc", "max_clients_per_uid", 1, 1000000,
                     &ipc->max_clients_per_uid) < 0 ||
        conf_opt_u32(L, obj, "ipc", "pending_timeout_ms", 100, 600000,
                     &ipc->pending_timeout_ms) < 0)
        return -1;
    return 0;
}
