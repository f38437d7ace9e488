/* config.c - load and validate tcpipd's JSON configuration (cJSON).
 *
 * The loader is strict on purpose: a typo in a key or a value that does not
 * fit must stop the daemon with a message that names the key, never be
 * ignored or clamped. Every message is one line, "KEYPATH: PROBLEM", e.g.
 *   interfaces[0].mtu: 70000 is out of range (expected 68..9000)
 * and config_load_file() puts "FILE: " in front. Syntax errors say where:
 *   conf/x.json:3:17: invalid JSON near '"mtu": 1500,}'
 *
 * The document is parsed into a private struct and copied to *cfg only when
 * everything checked out, so a failed reload (SIGHUP) leaves the running
 * configuration alone. The reference of every key is conf/REFERENCE.md.
 *
 * This file holds the entry points, the top level, "log_level" and
 * "services"; config_iface.c parses "interfaces", config_stack.c "stack",
 * and config_json.c has the helpers they share (config_json.h). */
#include "daemon/config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "daemon/config_json.h"

/* A config file is a few KB; a cap keeps a wrong path (a log, /dev/zero)
 * from eating memory. */
#define CONF_MAX_BYTES (1024 * 1024)
#define CONTEXT_BYTES 16      /* text shown each side of a syntax error */

/* ---- values ---- */

int config_log_level_parse(const char *s)
{
    if (s == NULL)
        return -1;
    if (strcmp(s, "error") == 0)
        return STACK_LOG_ERR;
    if (strcmp(s, "warning") == 0)
        return STACK_LOG_WARN;
    if (strcmp(s, "info") == 0)
        return STACK_LOG_INFO;
    if (strcmp(s, "debug") == 0)
        return STACK_LOG_DEBUG;
    return -1;
}

/* Never NULL, so that it can go straight into a printf. */
const char *config_log_level_name(int level)
{
    switch (level) {
    case STACK_LOG_ERR: return "error";
    case STACK_LOG_WARN: return "warning";
    case STACK_LOG_INFO: return "info";
    case STACK_LOG_DEBUG: return "debug";
    default: return "unknown";
    }
}

/* ---- sections ---- */

static const char *const root_keys[] = {"log_level", "user", "interfaces", "routes", "services",
                                        "stack", "ipc", "control", "capture", "stats"};
static const char *const services_keys[] = {"udp_echo", "udp_discard", "tcp_echo", "tcp_discard",
                                            "tcp_chargen"};
static const char *const service_keys[] = {"enabled", "port"};

static int parse_service(struct conf_loader *L, const cJSON *obj, const char *path,
                         struct conf_service *svc)
{
    long long v;
    int r;

    if (conf_check_object(L, obj, path, service_keys, N_KEYS(service_keys)) < 0)
        return -1;
    if (conf_opt_bool(L, obj, path, "enabled", &svc->enabled) < 0)
        return -1;
    r = conf_opt_int(L, obj, path, "port", 1, 65535, &v);
    if (r < 0)
        return -1;
    if (r > 0)
        svc->port = (uint16_t)v;
    return 0;
}

/* The services, in the order a port clash is reported: the later of two
 * enabled services on one port of one protocol names the earlier. */
struct service_slot {
    const char *key;
    bool tcp;
    struct conf_service *svc;
};

static int parse_services(struct conf_loader *L, const cJSON *obj, struct tcpipd_config *cfg)
{
    const struct service_slot slots[] = {
        {"udp_echo", false, &cfg->services.udp_echo},
        {"udp_discard", false, &cfg->services.udp_discard},
        {"tcp_echo", true, &cfg->services.tcp_echo},
        {"tcp_discard", true, &cfg->services.tcp_discard},
        {"tcp_chargen", true, &cfg->services.tcp_chargen},
    };
    const size_t n = sizeof slots / sizeof slots[0];
    const cJSON *sect;
    char sub[PATH_LEN];

    if (conf_check_object(L, obj, "services", services_keys, N_KEYS(services_keys)) < 0)
        return -1;
    for (size_t i = 0; i < n; i++) {
        conf_key_path(sub, "services", slots[i].key);
        if (conf_opt_container(L, obj, "services", slots[i].key, cJSON_Object, &sect) < 0)
            return -1;
        if (sect != NULL && parse_service(L, sect, sub, slots[i].svc) < 0)
            return -1;
    }
    /* A disabled service holds no port, and TCP and UDP ports are separate
     * spaces (tcp_echo and udp_echo both on 7 is the classic setup), so
     * only two enabled services of one protocol can clash. */
    for (size_t i = 1; i < n; i++) {
        const struct conf_service *a = slots[i].svc;
        if (!a->enabled)
            continue;
        for (size_t j = 0; j < i; j++) {
            const struct conf_service *b = slots[j].svc;
            if (b->enabled && slots[j].tcp == slots[i].tcp && b->port == a->port) {
                conf_path_printf(sub, "services.%s.port", slots[i].key);
                return conf_fail(L, sub, "port %u is already used by services.%s", a->port,
                                 slots[j].key);
            }
        }
    }
    return 0;
}

/* "user": a name useradd(8) would take (its default NAME_REGEX, with
 * upper case, digits and '.' allowed as Debian does). Whether the user
 * exists is checked when the daemon switches to it, not here: a file is
 * valid or not whatever machine it is checked on. */
static int parse_user(struct conf_loader *L, const cJSON *root, struct tcpipd_config *cfg)
{
    const char *s;
    char q[QUOTE_LEN];
    int r = conf_opt_string(L, root, "", "user", &s);
    if (r <= 0)
        return r;
    size_t len = strlen(s);
    if (len == 0)
        return conf_fail(L, "user", "is empty (expected a user name, or leave the key out)");
    if (len > CONF_USER_LEN - 1)
        return conf_fail(L, "user", "%s is too long (expected at most %d characters)",
                         conf_quote(q, s), CONF_USER_LEN - 1);
    bool ok = (s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z') || s[0] == '_';
    for (size_t i = 1; ok && i < len; i++) {
        char c = s[i];
        ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
             c == '_' || c == '-' || c == '.' || (c == '$' && i == len - 1);
    }
    if (!ok)
        return conf_fail(L, "user",
                         "%s is not a valid user name (expected letters, digits, '_', '-' and "
                         "'.', starting with a letter or '_')",
                         conf_quote(q, s));
    memcpy(cfg->user, s, len + 1);
    return 0;
}

static int parse_root(struct conf_loader *L, const cJSON *root, struct tcpipd_config *cfg)
{
    const cJSON *sect;
    const char *s;
    size_t n_static = 0;
    int r;

    if (conf_expect_type(L, root, "top level", cJSON_Object, "an object") < 0)
        return -1;
    if (conf_check_keys(L, root, "", root_keys, N_KEYS(root_keys)) < 0)
        return -1;

    r = conf_opt_string(L, root, "", "log_level", &s);
    if (r < 0)
        return -1;
    if (r > 0) {
        char q[QUOTE_LEN];
        cfg->log_level = config_log_level_parse(s);
        if (cfg->log_level < 0)
            return conf_fail(L, "log_level",
                             "%s is not a log level (expected \"error\", \"warning\", \"info\" or \"debug\")",
                             conf_quote(q, s));
    }

    if (parse_user(L, root, cfg) < 0)
        return -1;

    sect = cJSON_GetObjectItemCaseSensitive(root, "interfaces");
    if (sect == NULL)
        return conf_fail(L, "interfaces", "required key is missing");
    if (conf_parse_interfaces(L, sect, cfg) < 0)
        return -1;

    sect = cJSON_GetObjectItemCaseSensitive(root, "routes");
    if (sect != NULL && conf_parse_routes(L, sect, cfg) < 0)
        return -1;

    if (conf_opt_container(L, root, "", "services", cJSON_Object, &sect) < 0)
        return -1;
    if (sect != NULL && parse_services(L, sect, cfg) < 0)
        return -1;

    if (conf_opt_container(L, root, "", "stack", cJSON_Object, &sect) < 0)
        return -1;
    if (sect != NULL && conf_parse_stack(L, sect, &cfg->stack) < 0)
        return -1;

    if (conf_opt_container(L, root, "", "control", cJSON_Object, &sect) < 0)
        return -1;
    if (sect != NULL && conf_parse_control(L, sect, &cfg->control) < 0)
        return -1;
    if (conf_opt_container(L, root, "", "capture", cJSON_Object, &sect) < 0)
        return -1;
    if (sect != NULL && conf_parse_capture(L, sect, &cfg->capture) < 0)
        return -1;

    if (conf_opt_container(L, root, "", "stats", cJSON_Object, &sect) < 0)
        return -1;
    if (sect != NULL && conf_parse_stats(L, sect, &cfg->stats) < 0)
        return -1;

    if (conf_opt_container(L, root, "", "ipc", cJSON_Object, &sect) < 0)
        return -1;
    if (sect != NULL && conf_parse_ipc(L, sect, &cfg->ipc) < 0)
        return -1;

    /* Static entries live in the neighbour cache and are never evicted:
     * they must all fit, with room to spare being the user's business. */
    for (size_t i = 0; i < cfg->n_ifaces; i++)
        n_static += cfg->ifaces[i].n_neigh;
    if (n_static > cfg->stack.arp_cache_size)
        return conf_fail(L, "stack.arp.cache_size",
                         "%u is smaller than the %zu static neighbours configured (each takes a cache entry)",
                         cfg->stack.arp_cache_size, n_static);
    return 0;
}

/* cJSON decodes "\u0000" into a NUL byte that silently cuts the string
 * short ("tcp\u0000x" would load as "tcp"); find it to refuse it. The text
 * has already parsed, so its strings are well formed. */
static const char *find_nul_escape(const char *text)
{
    bool in_string = false;

    for (const char *p = text; *p != '\0'; p++) {
        if (!in_string) {
            in_string = *p == '"';
        } else if (*p == '"') {
            in_string = false;
        } else if (*p == '\\') {
            if (p[1] == 'u' && strncmp(p + 2, "0000", 4) == 0)
                return p;
            if (p[1] != '\0')
                p++; /* skip the escaped character, e.g. \" */
        }
    }
    return NULL;
}

/* A syntax error: say where, and show the text around it. cJSON's error
 * position is where its parser stopped, which can be a character or so past
 * the real mistake, hence context on both sides. */
static int fail_syntax(struct conf_loader *L, const char *pos)
{
    const char *start = pos, *end = pos;
    char ctx[CONTEXT_BYTES * 2 * 4 + 8];

    while (start > L->text && start[-1] != '\n' && pos - start < CONTEXT_BYTES)
        start--;
    while (*end != '\0' && *end != '\n' && end - pos < CONTEXT_BYTES)
        end++;
    /* Do not cut a UTF-8 character in two. */
    while (start < pos && ((unsigned char)*start & 0xc0) == 0x80)
        start++;
    while (end > pos && ((unsigned char)*end & 0xc0) == 0x80)
        end--;
    conf_escape(ctx, sizeof ctx, start, (size_t)(end - start), false);
    if (ctx[0] == '\0')
        return conf_fail_at(L, pos, "invalid JSON at end of input");
    return conf_fail_at(L, pos, "invalid JSON near '%s'", ctx);
}

/* Parse text (NUL-terminated, len bytes) into *cfg. */
static int load_text(struct conf_loader *L, const char *text, size_t len, struct tcpipd_config *cfg)
{
    struct tcpipd_config tmp;
    const char *end = NULL;
    const char *p;
    cJSON *root;
    int rc;

    L->text = text;
    if (len > CONF_MAX_BYTES)
        return conf_fail(L, "top level", "the document is too large (%zu bytes, at most %d)", len,
                         CONF_MAX_BYTES);
    p = text;
    while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
        p++;
    if (*p == '\0')
        return conf_fail(L, "top level", "the document is empty (expected a JSON object)");

    root = cJSON_ParseWithOpts(text, &end, 1);
    if (root == NULL)
        return fail_syntax(L, end != NULL ? end : text);
    p = find_nul_escape(text);
    if (p != NULL) {
        cJSON_Delete(root);
        return conf_fail_at(L, p, "\\u0000 is not allowed in a string");
    }

    config_defaults(&tmp);
    rc = parse_root(L, root, &tmp);
    cJSON_Delete(root);
    if (rc < 0)
        return -1;
    *cfg = tmp;
    return 0;
}

/* ---- entry points ---- */

void config_defaults(struct tcpipd_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->log_level = STACK_LOG_INFO;
    cfg->services.udp_echo.port = 7;     /* RFC 862 */
    cfg->services.udp_discard.port = 9;  /* RFC 863 */
    cfg->services.tcp_echo.port = 7;     /* RFC 862 */
    cfg->services.tcp_discard.port = 9;  /* RFC 863 */
    cfg->services.tcp_chargen.port = 19; /* RFC 864 */
    stack_config_defaults(&cfg->stack);
    cfg->control.enabled = true;
    memcpy(cfg->control.path, CONF_CONTROL_DEFAULT_PATH, sizeof CONF_CONTROL_DEFAULT_PATH);
    cfg->control.mode = 0660;
    conf_ipc_defaults(&cfg->ipc);
}

int config_load_string(const char *json, struct tcpipd_config *cfg, char *err, size_t errlen)
{
    struct conf_loader L = {.origin = NULL, .text = json, .err = err, .errlen = errlen};

    if (json == NULL || cfg == NULL) {
        conf_set_err(err, errlen, "config_load_string: no document");
        return -1;
    }
    return load_text(&L, json, strlen(json), cfg);
}

/* Read a whole file, at most CONF_MAX_BYTES, NUL-terminated. Works for
 * pipes too (tcpipd -c <(...)), hence read() until EOF, not st_size. */
static int read_file(const char *path, char **out, size_t *len, char *err, size_t errlen)
{
    struct stat st;
    char *buf;
    size_t n = 0;
    int fd, e;

    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        conf_set_err(err, errlen, "%s: cannot read: %s", path, strerror(errno));
        return -1;
    }
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > CONF_MAX_BYTES) {
        conf_set_err(err, errlen, "%s: file is too large (%lld bytes, at most %d)", path,
                     (long long)st.st_size, CONF_MAX_BYTES);
        close(fd);
        return -1;
    }
    buf = malloc(CONF_MAX_BYTES + 2);
    if (buf == NULL) {
        conf_set_err(err, errlen, "%s: cannot read: %s", path, strerror(ENOMEM));
        close(fd);
        return -1;
    }
    for (;;) {
        ssize_t r = read(fd, buf + n, CONF_MAX_BYTES + 1 - n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            e = errno;
            conf_set_err(err, errlen, "%s: cannot read: %s", path, strerror(e));
            goto fail;
        }
        if (r == 0)
            break;
        n += (size_t)r;
        if (n > CONF_MAX_BYTES) {
            conf_set_err(err, errlen, "%s: file is too large (more than %d bytes)", path,
                         CONF_MAX_BYTES);
            goto fail;
        }
    }
    close(fd);
    buf[n] = '\0';
    *out = buf;
    *len = n;
    return 0;

fail:
    close(fd);
    free(buf);
    return -1;
}

int config_load_file(const char *path, struct tcpipd_config *cfg, char *err, size_t errlen)
{
    struct conf_loader L = {.origin = path, .text = NULL, .err = err, .errlen = errlen};
    const char *nul;
    char *text;
    size_t len;
    int rc;

    if (path == NULL || cfg == NULL) {
        conf_set_err(err, errlen, "config_load_file: no file name");
        return -1;
    }
    if (read_file(path, &text, &len, err, errlen) < 0)
        return -1;
    L.text = text;
    /* A NUL would end the document early for cJSON; say so instead. */
    nul = memchr(text, '\0', len);
    if (nul != NULL)
        rc = conf_fail_at(&L, nul, "the file contains a NUL byte (expected UTF-8 JSON text)");
    else
        rc = load_text(&L, text, len, cfg);
    free(text);
    return rc;
}
