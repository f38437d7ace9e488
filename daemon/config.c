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
 * configuration alone. The reference of every key is conf/REFERENCE.md. */
#include "daemon/config.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "stack/wire/addr.h"

/* A config file is a few KB; a cap keeps a wrong path (a log, /dev/zero)
 * from eating memory. */
#define CONF_MAX_BYTES (1024 * 1024)
#define PATH_LEN 160          /* a key path; user-supplied keys are cut short */
#define QUOTE_MAX 48          /* bytes of a user string shown in a message */
#define QUOTE_LEN (QUOTE_MAX * 4 + 8)
#define CONTEXT_BYTES 16      /* text shown each side of a syntax error */

struct loader {
    const char *origin;       /* file name, or NULL for a string */
    const char *text;         /* the document, for line:column */
    char *err;
    size_t errlen;
};

/* ---- messages ---- */

static void set_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;

    if (err == NULL || errlen == 0)
        return;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

/* "KEYPATH: PROBLEM" (with "FILE: " in front for files). Returns -1. */
static int fail(struct loader *L, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail(struct loader *L, const char *path, const char *fmt, ...)
{
    char msg[CONF_ERR_LEN];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (L->origin != NULL)
        set_err(L->err, L->errlen, "%s: %s: %s", L->origin, path, msg);
    else
        set_err(L->err, L->errlen, "%s: %s", path, msg);
    return -1;
}

/* Line and column (1-based; columns count UTF-8 characters, as editors do)
 * of pos inside text. */
static void line_col(const char *text, const char *pos, size_t *line, size_t *col)
{
    *line = 1;
    *col = 1;
    for (const char *p = text; p < pos && *p != '\0'; p++) {
        if (*p == '\n') {
            (*line)++;
            *col = 1;
        } else if (((unsigned char)*p & 0xc0) != 0x80) {
            (*col)++;
        }
    }
}

/* "FILE:LINE:COL: PROBLEM", or "line L, column C: PROBLEM" for strings. */
static int fail_at(struct loader *L, const char *pos, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail_at(struct loader *L, const char *pos, const char *fmt, ...)
{
    char msg[CONF_ERR_LEN];
    size_t line, col;
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    line_col(L->text, pos, &line, &col);
    if (L->origin != NULL)
        set_err(L->err, L->errlen, "%s:%zu:%zu: %s", L->origin, line, col, msg);
    else
        set_err(L->err, L->errlen, "line %zu, column %zu: %s", line, col, msg);
    return -1;
}

/* Copy n bytes of user text into out (size outlen), escaping what would
 * break a one-line message, and quotes and backslashes too if the text goes
 * between double quotes. Returns the number of bytes written. */
static size_t escape(char *out, size_t outlen, const char *s, size_t n, bool quotes)
{
    static const char hex[] = "0123456789abcdef";
    size_t o = 0;

    for (size_t i = 0; i < n && s[i] != '\0'; i++) {
        unsigned char c = (unsigned char)s[i];
        if (o + 5 >= outlen)
            break;
        if (quotes && (c == '"' || c == '\\')) {
            out[o++] = '\\';
            out[o++] = (char)c;
        } else if (c == '\n') {
            out[o++] = '\\';
            out[o++] = 'n';
        } else if (c == '\t') {
            out[o++] = '\\';
            out[o++] = 't';
        } else if (c < 0x20 || c == 0x7f) {
            out[o++] = '\\';
            out[o++] = 'x';
            out[o++] = hex[c >> 4];
            out[o++] = hex[c & 15];
        } else {
            out[o++] = (char)c;
        }
    }
    out[o] = '\0';
    return o;
}

/* A user string as it appears in a message: "quoted", escaped, cut short. */
static const char *quote(char out[QUOTE_LEN], const char *s)
{
    size_t n = strlen(s);
    size_t o;

    out[0] = '"';
    o = 1 + escape(out + 1, QUOTE_LEN - 6, s, n < QUOTE_MAX ? n : QUOTE_MAX, true);
    if (n > QUOTE_MAX) {
        memcpy(out + o, "...", 3);
        o += 3;
    }
    out[o++] = '"';
    out[o] = '\0';
    return out;
}

/* Write a key path; a path longer than PATH_LEN is cut, which only
 * shortens a message. */
static void path_printf(char out[PATH_LEN], const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void path_printf(char out[PATH_LEN], const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(out, PATH_LEN, fmt, ap);
    va_end(ap);
}

/* parent.key; keys that are not plain identifiers are written quoted,
 * parent["odd key"], so that "mtu " does not read as "mtu". */
static void key_path(char out[PATH_LEN], const char *parent, const char *key)
{
    char q[QUOTE_LEN];
    bool plain = key[0] != '\0' && strlen(key) <= QUOTE_MAX;

    for (const char *p = key; *p != '\0' && plain; p++) {
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
              (*p >= '0' && *p <= '9') || *p == '_' || *p == '-'))
            plain = false;
    }
    if (plain && parent[0] == '\0')
        path_printf(out, "%s", key);
    else if (plain)
        path_printf(out, "%s.%s", parent, key);
    else
        path_printf(out, "%s[%s]", parent, quote(q, key));
}

static void index_path(char out[PATH_LEN], const char *parent, size_t i)
{
    path_printf(out, "%s[%zu]", parent, i);
}

static const char *type_name(const cJSON *item)
{
    switch (item->type & 0xff) {
    case cJSON_False:
    case cJSON_True: return "a boolean";
    case cJSON_NULL: return "null";
    case cJSON_Number: return "a number";
    case cJSON_String: return "a string";
    case cJSON_Array: return "an array";
    case cJSON_Object: return "an object";
    default: return "an invalid value";
    }
}

/* ---- typed access ---- */

static int expect_type(struct loader *L, const cJSON *item, const char *path, int types,
                       const char *what)
{
    if ((item->type & types) == 0)
        return fail(L, path, "expected %s, got %s", what, type_name(item));
    return 0;
}

/* Reject keys not in keys[] and keys given twice (cJSON keeps both copies
 * of a duplicate and lookups would silently take the first). Stops at the
 * first bad key, so a huge object costs at most n_keys compares per key. */
static int check_keys(struct loader *L, const cJSON *obj, const char *path,
                      const char *const *keys, size_t n_keys)
{
    uint32_t seen = 0;

    for (const cJSON *it = obj->child; it != NULL; it = it->next) {
        const char *name = it->string != NULL ? it->string : "";
        char sub[PATH_LEN];
        size_t k = 0;

        while (k < n_keys && strcmp(name, keys[k]) != 0)
            k++;
        key_path(sub, path, name);
        if (k == n_keys) {
            char list[256];
            size_t o = 0;
            list[0] = '\0';
            for (size_t j = 0; j < n_keys && o < sizeof list; j++) {
                int r = snprintf(list + o, sizeof list - o, "%s%s", j ? ", " : "", keys[j]);
                if (r < 0)
                    break;
                o += (size_t)r;
            }
            return fail(L, sub, "unknown key (expected one of: %s)", list);
        }
        if (seen & (1u << k))
            return fail(L, sub, "duplicate key");
        seen |= 1u << k;
    }
    return 0;
}

/* Print a finite JSON number for a message: integers exactly, others
 * briefly. */
static void number_text(char *out, size_t n, double d)
{
    if (d > -9e15 && d < 9e15 && d == (double)(long long)d)
        snprintf(out, n, "%lld", (long long)d);
    else
        snprintf(out, n, "%.15g", d);
}

/* An integer in lo..hi. cJSON stores numbers as double; check that it is
 * whole and in range before converting, so no value can overflow the cast. */
static int get_int(struct loader *L, const cJSON *item, const char *path, long long lo,
                   long long hi, long long *out)
{
    char num[64];
    double d;

    if (expect_type(L, item, path, cJSON_Number, "a number") < 0)
        return -1;
    d = item->valuedouble;
    /* cJSON turns 1e999 into infinity. */
    if (!isfinite(d))
        return fail(L, path, "the number is too large in magnitude (expected %lld..%lld)", lo, hi);
    number_text(num, sizeof num, d);
    if (d > -9e15 && d < 9e15 && d != (double)(long long)d)
        return fail(L, path, "%s is not an integer", num);
    if (!(d >= (double)lo && d <= (double)hi))
        return fail(L, path, "%s is out of range (expected %lld..%lld)", num, lo, hi);
    *out = (long long)d;
    return 0;
}

/* Optional members: 0 if absent, 1 if present and valid, -1 on error. */
static int opt_int(struct loader *L, const cJSON *obj, const char *path, const char *key,
                   long long lo, long long hi, long long *out)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, key);
    char sub[PATH_LEN];

    if (item == NULL)
        return 0;
    key_path(sub, path, key);
    return get_int(L, item, sub, lo, hi, out) < 0 ? -1 : 1;
}

static int opt_bool(struct loader *L, const cJSON *obj, const char *path, const char *key,
                    bool *out)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, key);
    char sub[PATH_LEN];

    if (item == NULL)
        return 0;
    key_path(sub, path, key);
    if (expect_type(L, item, sub, cJSON_True | cJSON_False, "a boolean (true or false)") < 0)
        return -1;
    *out = cJSON_IsTrue(item);
    return 1;
}

static int opt_string(struct loader *L, const cJSON *obj, const char *path, const char *key,
                      const char **out)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, key);
    char sub[PATH_LEN];

    if (item == NULL)
        return 0;
    key_path(sub, path, key);
    if (expect_type(L, item, sub, cJSON_String, "a string") < 0)
        return -1;
    *out = item->valuestring;
    return 1;
}

/* An object member that must be an object (or array); NULL if absent. */
static int opt_container(struct loader *L, const cJSON *obj, const char *path, const char *key,
                         int type, const cJSON **out)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, key);
    char sub[PATH_LEN];

    *out = NULL;
    if (item == NULL)
        return 0;
    key_path(sub, path, key);
    if (expect_type(L, item, sub, type, type == cJSON_Object ? "an object" : "an array") < 0)
        return -1;
    *out = item;
    return 1;
}

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

/* A TAP device name as Linux accepts it (dev_valid_name()): 1..15 bytes,
 * not "." or "..", no '/', ':' or whitespace. We also refuse '%', which
 * TUNSETIFF treats as a template ("tap%d" becomes tap0, tap1...) so the
 * device would not have the configured name, and anything outside
 * printable ASCII, which tools and logs mangle. */
static int check_ifname(struct loader *L, const char *path, const char *s)
{
    char q[QUOTE_LEN];
    size_t n = strlen(s);

    quote(q, s);
    if (n == 0)
        return fail(L, path, "must not be empty (expected 1..%d characters)", STACK_IFNAMSIZ - 1);
    if (n >= STACK_IFNAMSIZ)
        return fail(L, path, "%s is too long (%zu characters, at most %d: the kernel's IFNAMSIZ)",
                    q, n, STACK_IFNAMSIZ - 1);
    if (strcmp(s, ".") == 0 || strcmp(s, "..") == 0)
        return fail(L, path, "%s is not a valid interface name", q);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '/' || c == ':' || c == '%')
            return fail(L, path, "%s contains '%c', which is not allowed in an interface name",
                        q, c);
        if (c <= 0x20 || c >= 0x7f)
            return fail(L, path,
                        "%s contains whitespace or a non-ASCII character (expected printable ASCII)",
                        q);
    }
    return 0;
}

/* A MAC we may put on the wire as a source or a neighbour: unicast and not
 * zero (IEEE 802: the I/G bit, the lowest bit of the first byte, marks
 * group addresses). */
static int parse_unicast_mac(struct loader *L, const char *path, const char *s, bool auto_ok,
                             struct eth_addr *out)
{
    static const struct eth_addr zero;
    const char *hint = auto_ok ? "a unicast MAC such as \"02:00:00:77:00:02\", or \"auto\""
                               : "a unicast MAC such as \"02:00:00:77:00:09\"";
    char q[QUOTE_LEN];
    struct eth_addr mac;

    quote(q, s);
    if (eth_addr_parse(s, &mac) != 0)
        return fail(L, path, "%s is not a MAC address (expected %s)", q, hint);
    if (eth_addr_is_broadcast(&mac))
        return fail(L, path, "%s is the broadcast address (expected %s)", q, hint);
    if (eth_addr_is_multicast(&mac))
        return fail(L, path, "%s is a multicast address (expected %s)", q, hint);
    if (eth_addr_eq(&mac, &zero))
        return fail(L, path, "%s is all zeros (expected %s)", q, hint);
    *out = mac;
    return 0;
}

/* "a.b.c.d/len" with the length written out. */
static int parse_prefix(struct loader *L, const char *path, const char *s, uint32_t *addr,
                        uint8_t *len)
{
    char q[QUOTE_LEN];
    char a[16];
    const char *slash = strchr(s, '/');
    const char *p;
    unsigned v = 0;
    size_t alen;

    quote(q, s);
    if (slash == NULL) {
        if (ip4_parse(s, addr) == 0)
            return fail(L, path, "%s has no prefix length (expected a.b.c.d/len, e.g. \"%s/24\")",
                        q, s);
        return fail(L, path, "%s is not an IPv4 prefix (expected a.b.c.d/len)", q);
    }
    alen = (size_t)(slash - s);
    if (alen == 0 || alen >= sizeof a)
        return fail(L, path, "%s is not an IPv4 prefix (expected a.b.c.d/len)", q);
    memcpy(a, s, alen);
    a[alen] = '\0';
    if (ip4_parse(a, addr) != 0)
        return fail(L, path, "%s is not an IPv4 prefix (expected a.b.c.d/len)", q);
    /* One to three digits without a leading zero, like the octets; "100"
     * gets the range message, "/", "/-1", "/024", "/24x" and "/ 24" the
     * format one. */
    for (p = slash + 1; *p >= '0' && *p <= '9' && p - slash <= 3; p++)
        v = v * 10 + (unsigned)(*p - '0');
    if (p == slash + 1 || *p != '\0' || (slash[1] == '0' && p - slash > 2))
        return fail(L, path, "%s is not an IPv4 prefix (expected a.b.c.d/len)", q);
    if (v > 32)
        return fail(L, path, "%s: prefix length %u is out of range (expected 0..32)", q, v);
    *len = (uint8_t)v;
    return 0;
}

/* An address a host may own or talk to as a unicast peer. With a subnet
 * (prefix_len >= 0) also refuse its network and broadcast addresses;
 * /31 (RFC 3021) and /32 have neither. */
static int check_unicast_ip(struct loader *L, const char *path, const char *q, uint32_t a,
                            int prefix_len)
{
    char net[16];

    /* RFC 1122 3.2.1.3 (a), (b): {0, <Host-number>} is "this network",
     * only ever a source during start-up. */
    if ((a >> 24) == 0)
        return fail(L, path, "%s is in 0.0.0.0/8 (\"this network\", not a host address)", q);
    /* RFC 1122 3.2.1.3 (g). */
    if ((a >> 24) == 127)
        return fail(L, path, "%s is a loopback address (127.0.0.0/8)", q);
    if ((a >> 28) == 0xe)
        return fail(L, path, "%s is a multicast address (224.0.0.0/4)", q);
    if (a == 0xffffffffu)
        return fail(L, path, "%s is the limited broadcast address", q);
    /* RFC 1112 4: class E is reserved. */
    if ((a >> 28) == 0xf)
        return fail(L, path, "%s is a reserved address (240.0.0.0/4)", q);
    if (prefix_len >= 0 && prefix_len <= 30) {
        uint32_t mask = ip4_mask((unsigned)prefix_len);
        ip4_format(a & mask, net, sizeof net);
        /* RFC 1122 3.2.1.3 (c), (d): all-zeros and all-ones host parts. */
        if ((a & ~mask) == 0)
            return fail(L, path, "%s is the network address of %s/%d (expected a host address)",
                        q, net, prefix_len);
        if ((a & ~mask) == ~mask)
            return fail(L, path, "%s is the broadcast address of %s/%d (expected a host address)",
                        q, net, prefix_len);
    }
    return 0;
}

static int parse_ip(struct loader *L, const char *path, const char *s, uint32_t *out)
{
    char q[QUOTE_LEN];

    if (ip4_parse(s, out) != 0)
        return fail(L, path, "%s is not an IPv4 address (expected a.b.c.d)", quote(q, s));
    return 0;
}

/* ---- sections ---- */

static const char *const root_keys[] = {"log_level", "interfaces", "services", "stack"};
static const char *const iface_keys[] = {"name", "mac", "mtu", "ipv4", "neighbors", "host"};
static const char *const ipv4_keys[] = {"address", "gateway"};
static const char *const neigh_keys[] = {"ip", "mac"};
static const char *const host_keys[] = {"configure", "ipv4"};
static const char *const services_keys[] = {"udp_echo", "udp_discard", "tcp_echo", "tcp_discard",
                                            "tcp_chargen"};
static const char *const service_keys[] = {"enabled", "port"};
static const char *const stack_keys[] = {"arp", "ip", "icmp", "udp", "tcp"};
static const char *const arp_keys[] = {"cache_size", "reachable_ms", "retry_ms", "max_retries",
                                       "pending_max"};
static const char *const ip_keys[] = {"default_ttl"};
static const char *const icmp_keys[] = {"rate_limit_per_sec", "burst"};
static const char *const udp_keys[] = {"rcvbuf_bytes"};
static const char *const tcp_keys[] = {
    "sndbuf", "rcvbuf", "max_conns", "syn_backlog", "max_backlog", "ooo_max_ranges",
    "rto_initial_ms", "rto_min_ms", "rto_max_ms", "syn_retries", "synack_retries", "retries2",
    "delack_ms", "delack_segs", "time_wait_ms", "fin_wait2_ms", "keepalive_idle_s",
    "keepalive_intvl_s", "keepalive_cnt", "congestion_control", "sack", "timestamps",
    "window_scaling", "syncookies"};

#define N_KEYS(a) (sizeof(a) / sizeof((a)[0]))

/* Type check plus key check for an object at path. */
static int check_object(struct loader *L, const cJSON *obj, const char *path,
                        const char *const *keys, size_t n_keys)
{
    if (expect_type(L, obj, path, cJSON_Object, "an object") < 0)
        return -1;
    return check_keys(L, obj, path, keys, n_keys);
}

static int parse_ipv4(struct loader *L, const cJSON *obj, const char *path, struct conf_iface *ifc)
{
    const char *s;
    char sub[PATH_LEN], q[QUOTE_LEN], net[16];
    uint32_t mask, gw;
    int r;

    if (check_object(L, obj, path, ipv4_keys, N_KEYS(ipv4_keys)) < 0)
        return -1;
    key_path(sub, path, "address");
    r = opt_string(L, obj, path, "address", &s);
    if (r < 0)
        return -1;
    if (r == 0)
        return fail(L, sub, "required key is missing");
    if (parse_prefix(L, sub, s, &ifc->ipv4_addr, &ifc->ipv4_prefix_len) < 0)
        return -1;
    if (check_unicast_ip(L, sub, quote(q, s), ifc->ipv4_addr, ifc->ipv4_prefix_len) < 0)
        return -1;
    ifc->has_ipv4 = true;

    key_path(sub, path, "gateway");
    r = opt_string(L, obj, path, "gateway", &s);
    if (r <= 0)
        return r;
    if (parse_ip(L, sub, s, &gw) < 0)
        return -1;
    quote(q, s);
    mask = ip4_mask(ifc->ipv4_prefix_len);
    ip4_format(ifc->ipv4_addr & mask, net, sizeof net);
    /* The gateway is the next hop for off-link traffic: we must be able to
     * ARP for it, so it has to be on our own subnet. */
    if (((gw ^ ifc->ipv4_addr) & mask) != 0)
        return fail(L, sub, "%s is not in %s/%u, the subnet of %s.address (a gateway must be on-link)",
                    q, net, ifc->ipv4_prefix_len, path);
    if (gw == ifc->ipv4_addr)
        return fail(L, sub, "%s is the interface's own address (%s.address)", q, path);
    if (check_unicast_ip(L, sub, q, gw, ifc->ipv4_prefix_len) < 0)
        return -1;
    ifc->ipv4_gateway = gw;
    return 0;
}

static int parse_neighbors(struct loader *L, const cJSON *arr, const char *path,
                           const char *iface_path, struct conf_iface *ifc)
{
    uint32_t mask = ip4_mask(ifc->ipv4_prefix_len);
    int n = cJSON_GetArraySize(arr);
    size_t i = 0;
    char net[16];

    ip4_format(ifc->ipv4_addr & mask, net, sizeof net);
    if (n > CONF_MAX_NEIGH)
        return fail(L, path, "has %d entries (at most %d)", n, CONF_MAX_NEIGH);
    if (n > 0 && !ifc->has_ipv4)
        return fail(L, path, "static neighbours need %s.ipv4.address (they must be on its subnet)",
                    iface_path);
    for (const cJSON *el = arr->child; el != NULL; el = el->next, i++) {
        struct netif_static_neigh *nb = &ifc->neigh[i];
        char ep[PATH_LEN], sub[PATH_LEN], q[QUOTE_LEN];
        const char *s;
        int r;

        index_path(ep, path, i);
        if (check_object(L, el, ep, neigh_keys, N_KEYS(neigh_keys)) < 0)
            return -1;

        key_path(sub, ep, "ip");
        r = opt_string(L, el, ep, "ip", &s);
        if (r < 0)
            return -1;
        if (r == 0)
            return fail(L, sub, "required key is missing");
        if (parse_ip(L, sub, s, &nb->ip) < 0)
            return -1;
        quote(q, s);
        /* We only ever ARP for on-link next hops; an entry elsewhere would
         * never be used, which is surely not what was meant. */
        if (((nb->ip ^ ifc->ipv4_addr) & mask) != 0)
            return fail(L, sub, "%s is not in %s/%u, the subnet of %s.ipv4.address", q, net,
                        ifc->ipv4_prefix_len, iface_path);
        if (nb->ip == ifc->ipv4_addr)
            return fail(L, sub, "%s is the interface's own address", q);
        if (check_unicast_ip(L, sub, q, nb->ip, ifc->ipv4_prefix_len) < 0)
            return -1;
        for (size_t j = 0; j < i; j++) {
            if (ifc->neigh[j].ip == nb->ip)
                return fail(L, sub, "%s is already listed in %s[%zu]", q, path, j);
        }

        key_path(sub, ep, "mac");
        r = opt_string(L, el, ep, "mac", &s);
        if (r < 0)
            return -1;
        if (r == 0)
            return fail(L, sub, "required key is missing");
        if (parse_unicast_mac(L, sub, s, false, &nb->mac) < 0)
            return -1;
    }
    ifc->n_neigh = i;
    return 0;
}

static int parse_host(struct loader *L, const cJSON *obj, const char *path, const char *iface_path,
                      struct conf_iface *ifc)
{
    struct conf_host_side *h = &ifc->host;
    char sub[PATH_LEN], q[QUOTE_LEN], net[16];
    const char *s;
    uint32_t mask;
    int r;

    if (check_object(L, obj, path, host_keys, N_KEYS(host_keys)) < 0)
        return -1;
    if (opt_bool(L, obj, path, "configure", &h->configure) < 0)
        return -1;
    key_path(sub, path, "ipv4");
    r = opt_string(L, obj, path, "ipv4", &s);
    if (r <= 0)
        return r;
    if (parse_prefix(L, sub, s, &h->ipv4_addr, &h->ipv4_prefix_len) < 0)
        return -1;
    quote(q, s);
    if (!ifc->has_ipv4)
        return fail(L, sub, "needs %s.ipv4.address (the host side must share its subnet)",
                    iface_path);
    /* The kernel and the stack sit on the two ends of one link: the same
     * subnet, the same mask, two different addresses. */
    mask = ip4_mask(ifc->ipv4_prefix_len);
    ip4_format(ifc->ipv4_addr & mask, net, sizeof net);
    if (h->ipv4_prefix_len != ifc->ipv4_prefix_len || ((h->ipv4_addr ^ ifc->ipv4_addr) & mask) != 0)
        return fail(L, sub, "%s is not in %s/%u, the subnet of %s.ipv4.address (expected the same subnet and length)",
                    q, net, ifc->ipv4_prefix_len, iface_path);
    if (h->ipv4_addr == ifc->ipv4_addr)
        return fail(L, sub, "%s is the stack's own address (%s.ipv4.address); the host side needs another one",
                    q, iface_path);
    if (check_unicast_ip(L, sub, q, h->ipv4_addr, h->ipv4_prefix_len) < 0)
        return -1;
    h->has_ipv4 = true;
    return 0;
}

static int parse_iface(struct loader *L, const cJSON *obj, const char *path, struct conf_iface *ifc)
{
    const cJSON *sect;
    const char *s;
    char sub[PATH_LEN];
    long long v;
    int r;

    memset(ifc, 0, sizeof *ifc);
    ifc->mtu = 1500;
    if (check_object(L, obj, path, iface_keys, N_KEYS(iface_keys)) < 0)
        return -1;

    key_path(sub, path, "name");
    r = opt_string(L, obj, path, "name", &s);
    if (r < 0)
        return -1;
    if (r == 0)
        return fail(L, sub, "required key is missing");
    if (check_ifname(L, sub, s) < 0)
        return -1;
    memcpy(ifc->name, s, strlen(s) + 1); /* checked: < STACK_IFNAMSIZ */

    key_path(sub, path, "mac");
    r = opt_string(L, obj, path, "mac", &s);
    if (r < 0)
        return -1;
    if (r > 0 && strcmp(s, "auto") != 0) {
        if (parse_unicast_mac(L, sub, s, true, &ifc->mac) < 0)
            return -1;
        ifc->has_mac = true;
    }

    /* RFC 791: every host must accept 68-byte datagrams; 9000 is the usual
     * jumbo frame. */
    r = opt_int(L, obj, path, "mtu", 68, 9000, &v);
    if (r < 0)
        return -1;
    if (r > 0)
        ifc->mtu = (uint16_t)v;

    key_path(sub, path, "ipv4");
    if (opt_container(L, obj, path, "ipv4", cJSON_Object, &sect) < 0)
        return -1;
    if (sect != NULL && parse_ipv4(L, sect, sub, ifc) < 0)
        return -1;

    key_path(sub, path, "neighbors");
    if (opt_container(L, obj, path, "neighbors", cJSON_Array, &sect) < 0)
        return -1;
    if (sect != NULL && parse_neighbors(L, sect, sub, path, ifc) < 0)
        return -1;

    key_path(sub, path, "host");
    if (opt_container(L, obj, path, "host", cJSON_Object, &sect) < 0)
        return -1;
    if (sect != NULL && parse_host(L, sect, sub, path, ifc) < 0)
        return -1;
    return 0;
}

/* Rules between interfaces: distinct names, disjoint subnets (a route
 * lookup must find exactly one interface) and at most one default route. */
static int check_iface_against(struct loader *L, const struct tcpipd_config *cfg, size_t i)
{
    const struct conf_iface *a = &cfg->ifaces[i];
    char sub[PATH_LEN], ip[16];

    for (size_t j = 0; j < i; j++) {
        const struct conf_iface *b = &cfg->ifaces[j];

        if (strcmp(a->name, b->name) == 0) {
            path_printf(sub, "interfaces[%zu].name", i);
            return fail(L, sub, "\"%s\" is already used by interfaces[%zu]", a->name, j);
        }
        if (a->has_ipv4 && b->has_ipv4) {
            unsigned shorter = a->ipv4_prefix_len < b->ipv4_prefix_len ? a->ipv4_prefix_len
                                                                       : b->ipv4_prefix_len;
            if (((a->ipv4_addr ^ b->ipv4_addr) & ip4_mask(shorter)) == 0) {
                path_printf(sub, "interfaces[%zu].ipv4.address", i);
                ip4_format(b->ipv4_addr, ip, sizeof ip);
                return fail(L, sub, "overlaps %s/%u of interfaces[%zu] (each interface needs its own subnet)",
                            ip, b->ipv4_prefix_len, j);
            }
        }
        if (a->ipv4_gateway != 0 && b->ipv4_gateway != 0) {
            path_printf(sub, "interfaces[%zu].ipv4.gateway", i);
            return fail(L, sub, "interfaces[%zu] already has a gateway (only one default route is supported)",
                        j);
        }
    }
    return 0;
}

static int parse_interfaces(struct loader *L, const cJSON *arr, struct tcpipd_config *cfg)
{
    int n;
    size_t i = 0;

    if (expect_type(L, arr, "interfaces", cJSON_Array, "an array") < 0)
        return -1;
    n = cJSON_GetArraySize(arr);
    if (n == 0)
        return fail(L, "interfaces", "is empty (expected 1..%d interfaces)", CONF_MAX_IFACES);
    if (n > CONF_MAX_IFACES)
        return fail(L, "interfaces", "has %d entries (at most %d interfaces are supported)", n,
                    CONF_MAX_IFACES);
    for (const cJSON *el = arr->child; el != NULL; el = el->next, i++) {
        char path[PATH_LEN];

        index_path(path, "interfaces", i);
        if (parse_iface(L, el, path, &cfg->ifaces[i]) < 0)
            return -1;
        if (check_iface_against(L, cfg, i) < 0)
            return -1;
    }
    cfg->n_ifaces = i;
    return 0;
}

static int parse_service(struct loader *L, const cJSON *obj, const char *path,
                         struct conf_service *svc)
{
    long long v;
    int r;

    if (check_object(L, obj, path, service_keys, N_KEYS(service_keys)) < 0)
        return -1;
    if (opt_bool(L, obj, path, "enabled", &svc->enabled) < 0)
        return -1;
    r = opt_int(L, obj, path, "port", 1, 65535, &v);
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

static int parse_services(struct loader *L, const cJSON *obj, struct tcpipd_config *cfg)
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

    if (check_object(L, obj, "services", services_keys, N_KEYS(services_keys)) < 0)
        return -1;
    for (size_t i = 0; i < n; i++) {
        key_path(sub, "services", slots[i].key);
        if (opt_container(L, obj, "services", slots[i].key, cJSON_Object, &sect) < 0)
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
                path_printf(sub, "services.%s.port", slots[i].key);
                return fail(L, sub, "port %u is already used by services.%s", a->port,
                            slots[j].key);
            }
        }
    }
    return 0;
}

/* A duration in ms (or s) into nanoseconds; the ranges keep it far from
 * overflowing 64 bits. */
static int opt_duration(struct loader *L, const cJSON *obj, const char *path, const char *key,
                        long long lo, long long hi, uint64_t unit_ns, uint64_t *out)
{
    long long v;
    int r = opt_int(L, obj, path, key, lo, hi, &v);

    if (r > 0)
        *out = (uint64_t)v * unit_ns;
    return r;
}

static int opt_u32(struct loader *L, const cJSON *obj, const char *path, const char *key,
                   long long lo, long long hi, uint32_t *out)
{
    long long v;
    int r = opt_int(L, obj, path, key, lo, hi, &v);

    if (r > 0)
        *out = (uint32_t)v;
    return r;
}

/* A string member that must be one of names[]; *out is its index. */
static int opt_choice(struct loader *L, const cJSON *obj, const char *path, const char *key,
                      const char *const *names, size_t n_names, const char *expected,
                      uint8_t *out)
{
    char sub[PATH_LEN], q[QUOTE_LEN];
    const char *s;
    int r = opt_string(L, obj, path, key, &s);

    if (r <= 0)
        return r;
    for (size_t i = 0; i < n_names; i++) {
        if (strcmp(s, names[i]) == 0) {
            *out = (uint8_t)i;
            return 1;
        }
    }
    key_path(sub, path, key);
    return fail(L, sub, "%s is not one of the choices (expected %s)", quote(q, s), expected);
}

/* TCP tunables (struct stack_tcp_config). Ranges are what makes sense for
 * a host stack; the defaults follow Linux (stack/core/stack_config.c). */
static int parse_tcp(struct loader *L, const cJSON *obj, struct stack_tcp_config *t)
{
    /* Index = value: enum tcp_cc_algo and the syncookies modes. */
    static const char *const cc_names[] = {[TCP_CC_NEWRENO] = "newreno", [TCP_CC_CUBIC] = "cubic"};
    static const char *const cookie_names[] = {"never", "auto", "always"};
    const char *P = "stack.tcp";
    /* 4 KiB (one page, a few segments) to 64 MiB (Linux's tcp_rmem max). */
    const long long buf_lo = 4096, buf_hi = 64LL * 1024 * 1024;
    uint8_t choice;
    bool b;
    int r;

    if (check_keys(L, obj, P, tcp_keys, N_KEYS(tcp_keys)) < 0)
        return -1;
    if (opt_u32(L, obj, P, "sndbuf", buf_lo, buf_hi, &t->sndbuf) < 0 ||
        opt_u32(L, obj, P, "rcvbuf", buf_lo, buf_hi, &t->rcvbuf) < 0 ||
        opt_u32(L, obj, P, "max_conns", 1, 1048576, &t->max_conns) < 0 ||
        opt_u32(L, obj, P, "syn_backlog", 1, 65536, &t->syn_backlog) < 0 ||
        opt_u32(L, obj, P, "max_backlog", 1, 65535, &t->max_backlog) < 0 ||
        opt_u32(L, obj, P, "ooo_max_ranges", 1, 1024, &t->ooo_max_ranges) < 0)
        return -1;
    if (opt_duration(L, obj, P, "rto_initial_ms", 1, 600000, NS_PER_MS, &t->rto_initial_ns) < 0 ||
        opt_duration(L, obj, P, "rto_min_ms", 1, 60000, NS_PER_MS, &t->rto_min_ns) < 0 ||
        opt_duration(L, obj, P, "rto_max_ms", 1, 600000, NS_PER_MS, &t->rto_max_ns) < 0)
        return -1;
    /* Linux's own limits: tcp_syn_retries 1..127, the others fit a u8. */
    if (opt_u32(L, obj, P, "syn_retries", 1, 127, &t->syn_retries) < 0 ||
        opt_u32(L, obj, P, "synack_retries", 1, 255, &t->synack_retries) < 0 ||
        opt_u32(L, obj, P, "retries2", 1, 255, &t->retries2) < 0)
        return -1;
    /* RFC 1122 4.2.3.2: the ACK delay MUST be less than 0.5 s (RFC 5681
     * 4.2: within 500 ms). RFC 5681 4.2 also wants an ACK for at least
     * every second full-sized segment; larger values are stretch ACKs,
     * allowed for experiments only. */
    if (opt_duration(L, obj, P, "delack_ms", 1, 500, NS_PER_MS, &t->delack_ns) < 0)
        return -1;
    if (opt_u32(L, obj, P, "delack_segs", 1, 16, &t->delack_segs) < 0)
        return -1;
    if (opt_duration(L, obj, P, "time_wait_ms", 1000, 600000, NS_PER_MS, &t->time_wait_ns) < 0 ||
        opt_duration(L, obj, P, "fin_wait2_ms", 1000, 600000, NS_PER_MS, &t->fin_wait2_ns) < 0)
        return -1;
    /* Linux's TCP_KEEPIDLE/TCP_KEEPINTVL/TCP_KEEPCNT ranges. */
    if (opt_duration(L, obj, P, "keepalive_idle_s", 1, 32767, NS_PER_SEC,
                     &t->keepalive_idle_ns) < 0 ||
        opt_duration(L, obj, P, "keepalive_intvl_s", 1, 32767, NS_PER_SEC,
                     &t->keepalive_intvl_ns) < 0 ||
        opt_u32(L, obj, P, "keepalive_cnt", 1, 127, &t->keepalive_cnt) < 0)
        return -1;
    if ((r = opt_choice(L, obj, P, "congestion_control", cc_names, N_KEYS(cc_names),
                        "\"cubic\" or \"newreno\"", &choice)) < 0)
        return -1;
    if (r > 0)
        t->cc = choice;
    if ((r = opt_bool(L, obj, P, "sack", &b)) < 0)
        return -1;
    if (r > 0)
        t->sack = b;
    if ((r = opt_bool(L, obj, P, "timestamps", &b)) < 0)
        return -1;
    if (r > 0)
        t->timestamps = b;
    if ((r = opt_bool(L, obj, P, "window_scaling", &b)) < 0)
        return -1;
    if (r > 0)
        t->window_scaling = b;
    if ((r = opt_choice(L, obj, P, "syncookies", cookie_names, N_KEYS(cookie_names),
                        "\"never\", \"auto\" or \"always\"", &choice)) < 0)
        return -1;
    if (r > 0)
        t->syncookies = choice;

    /* RFC 6298 2.4/2.5: the timer is clamped to [min, max]; a first RTO
     * outside that would be clamped at once, which is surely a mistake. */
    if (t->rto_min_ns > t->rto_max_ns)
        return fail(L, "stack.tcp.rto_min_ms", "%llu is above stack.tcp.rto_max_ms (%llu)",
                    (unsigned long long)(t->rto_min_ns / NS_PER_MS),
                    (unsigned long long)(t->rto_max_ns / NS_PER_MS));
    if (t->rto_initial_ns < t->rto_min_ns)
        return fail(L, "stack.tcp.rto_initial_ms", "%llu is below stack.tcp.rto_min_ms (%llu)",
                    (unsigned long long)(t->rto_initial_ns / NS_PER_MS),
                    (unsigned long long)(t->rto_min_ns / NS_PER_MS));
    if (t->rto_initial_ns > t->rto_max_ns)
        return fail(L, "stack.tcp.rto_initial_ms", "%llu is above stack.tcp.rto_max_ms (%llu)",
                    (unsigned long long)(t->rto_initial_ns / NS_PER_MS),
                    (unsigned long long)(t->rto_max_ns / NS_PER_MS));
    return 0;
}

static int parse_stack(struct loader *L, const cJSON *obj, struct stack_config *st)
{
    const cJSON *sect;
    long long v;
    int r;

    if (check_object(L, obj, "stack", stack_keys, N_KEYS(stack_keys)) < 0)
        return -1;

    if (opt_container(L, obj, "stack", "arp", cJSON_Object, &sect) < 0)
        return -1;
    if (sect != NULL) {
        if (check_keys(L, sect, "stack.arp", arp_keys, N_KEYS(arp_keys)) < 0)
            return -1;
        if ((r = opt_int(L, sect, "stack.arp", "cache_size", 1, 65536, &v)) < 0)
            return -1;
        if (r > 0)
            st->arp_cache_size = (uint32_t)v;
        if ((r = opt_int(L, sect, "stack.arp", "reachable_ms", 1000, 3600000, &v)) < 0)
            return -1;
        if (r > 0)
            st->arp_reachable_ns = (uint64_t)v * NS_PER_MS;
        if ((r = opt_int(L, sect, "stack.arp", "retry_ms", 100, 60000, &v)) < 0)
            return -1;
        if (r > 0)
            st->arp_retry_ns = (uint64_t)v * NS_PER_MS;
        if ((r = opt_int(L, sect, "stack.arp", "max_retries", 1, 20, &v)) < 0)
            return -1;
        if (r > 0)
            st->arp_max_retries = (uint32_t)v;
        if ((r = opt_int(L, sect, "stack.arp", "pending_max", 0, 65536, &v)) < 0)
            return -1;
        if (r > 0)
            st->arp_pending_max = (uint32_t)v;
    }

    if (opt_container(L, obj, "stack", "ip", cJSON_Object, &sect) < 0)
        return -1;
    if (sect != NULL) {
        if (check_keys(L, sect, "stack.ip", ip_keys, N_KEYS(ip_keys)) < 0)
            return -1;
        if ((r = opt_int(L, sect, "stack.ip", "default_ttl", 1, 255, &v)) < 0)
            return -1;
        if (r > 0)
            st->ip_default_ttl = (uint8_t)v;
    }

    if (opt_container(L, obj, "stack", "icmp", cJSON_Object, &sect) < 0)
        return -1;
    if (sect != NULL) {
        if (check_keys(L, sect, "stack.icmp", icmp_keys, N_KEYS(icmp_keys)) < 0)
            return -1;
        /* 0 turns the rate limit off (every error is sent). */
        if ((r = opt_int(L, sect, "stack.icmp", "rate_limit_per_sec", 0, 1000000, &v)) < 0)
            return -1;
        if (r > 0)
            st->icmp_rate_per_sec = (uint32_t)v;
        if ((r = opt_int(L, sect, "stack.icmp", "burst", 1, 1000000, &v)) < 0)
            return -1;
        if (r > 0)
            st->icmp_burst = (uint32_t)v;
    }

    if (opt_container(L, obj, "stack", "udp", cJSON_Object, &sect) < 0)
        return -1;
    if (sect != NULL) {
        if (check_keys(L, sect, "stack.udp", udp_keys, N_KEYS(udp_keys)) < 0)
            return -1;
        if ((r = opt_int(L, sect, "stack.udp", "rcvbuf_bytes", 1024, 67108864, &v)) < 0)
            return -1;
        if (r > 0)
            st->udp_rcvbuf = (uint32_t)v;
    }

    if (opt_container(L, obj, "stack", "tcp", cJSON_Object, &sect) < 0)
        return -1;
    if (sect != NULL && parse_tcp(L, sect, &st->tcp) < 0)
        return -1;
    return 0;
}

static int parse_root(struct loader *L, const cJSON *root, struct tcpipd_config *cfg)
{
    const cJSON *sect;
    const char *s;
    size_t n_static = 0;
    int r;

    if (expect_type(L, root, "top level", cJSON_Object, "an object") < 0)
        return -1;
    if (check_keys(L, root, "", root_keys, N_KEYS(root_keys)) < 0)
        return -1;

    r = opt_string(L, root, "", "log_level", &s);
    if (r < 0)
        return -1;
    if (r > 0) {
        char q[QUOTE_LEN];
        cfg->log_level = config_log_level_parse(s);
        if (cfg->log_level < 0)
            return fail(L, "log_level",
                        "%s is not a log level (expected \"error\", \"warning\", \"info\" or \"debug\")",
                        quote(q, s));
    }

    sect = cJSON_GetObjectItemCaseSensitive(root, "interfaces");
    if (sect == NULL)
        return fail(L, "interfaces", "required key is missing");
    if (parse_interfaces(L, sect, cfg) < 0)
        return -1;

    if (opt_container(L, root, "", "services", cJSON_Object, &sect) < 0)
        return -1;
    if (sect != NULL && parse_services(L, sect, cfg) < 0)
        return -1;

    if (opt_container(L, root, "", "stack", cJSON_Object, &sect) < 0)
        return -1;
    if (sect != NULL && parse_stack(L, sect, &cfg->stack) < 0)
        return -1;

    /* Static entries live in the neighbour cache and are never evicted:
     * they must all fit, with room to spare being the user's business. */
    for (size_t i = 0; i < cfg->n_ifaces; i++)
        n_static += cfg->ifaces[i].n_neigh;
    if (n_static > cfg->stack.arp_cache_size)
        return fail(L, "stack.arp.cache_size",
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
static int fail_syntax(struct loader *L, const char *pos)
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
    escape(ctx, sizeof ctx, start, (size_t)(end - start), false);
    if (ctx[0] == '\0')
        return fail_at(L, pos, "invalid JSON at end of input");
    return fail_at(L, pos, "invalid JSON near '%s'", ctx);
}

/* Parse text (NUL-terminated, len bytes) into *cfg. */
static int load_text(struct loader *L, const char *text, size_t len, struct tcpipd_config *cfg)
{
    struct tcpipd_config tmp;
    const char *end = NULL;
    const char *p;
    cJSON *root;
    int rc;

    L->text = text;
    if (len > CONF_MAX_BYTES)
        return fail(L, "top level", "the document is too large (%zu bytes, at most %d)", len,
                    CONF_MAX_BYTES);
    p = text;
    while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
        p++;
    if (*p == '\0')
        return fail(L, "top level", "the document is empty (expected a JSON object)");

    root = cJSON_ParseWithOpts(text, &end, 1);
    if (root == NULL)
        return fail_syntax(L, end != NULL ? end : text);
    p = find_nul_escape(text);
    if (p != NULL) {
        cJSON_Delete(root);
        return fail_at(L, p, "\\u0000 is not allowed in a string");
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
}

int config_load_string(const char *json, struct tcpipd_config *cfg, char *err, size_t errlen)
{
    struct loader L = {.origin = NULL, .text = json, .err = err, .errlen = errlen};

    if (json == NULL || cfg == NULL) {
        set_err(err, errlen, "config_load_string: no document");
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
        set_err(err, errlen, "%s: cannot read: %s", path, strerror(errno));
        return -1;
    }
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > CONF_MAX_BYTES) {
        set_err(err, errlen, "%s: file is too large (%lld bytes, at most %d)", path,
                (long long)st.st_size, CONF_MAX_BYTES);
        close(fd);
        return -1;
    }
    buf = malloc(CONF_MAX_BYTES + 2);
    if (buf == NULL) {
        set_err(err, errlen, "%s: cannot read: %s", path, strerror(ENOMEM));
        close(fd);
        return -1;
    }
    for (;;) {
        ssize_t r = read(fd, buf + n, CONF_MAX_BYTES + 1 - n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            e = errno;
            set_err(err, errlen, "%s: cannot read: %s", path, strerror(e));
            goto fail;
        }
        if (r == 0)
            break;
        n += (size_t)r;
        if (n > CONF_MAX_BYTES) {
            set_err(err, errlen, "%s: file is too large (more than %d bytes)", path,
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
    struct loader L = {.origin = path, .text = NULL, .err = err, .errlen = errlen};
    const char *nul;
    char *text;
    size_t len;
    int rc;

    if (path == NULL || cfg == NULL) {
        set_err(err, errlen, "config_load_file: no file name");
        return -1;
    }
    if (read_file(path, &text, &len, err, errlen) < 0)
        return -1;
    L.text = text;
    /* A NUL would end the document early for cJSON; say so instead. */
    nul = memchr(text, '\0', len);
    if (nul != NULL)
        rc = fail_at(&L, nul, "the file contains a NUL byte (expected UTF-8 JSON text)");
    else
        rc = load_text(&L, text, len, cfg);
    free(text);
    return rc;
}
