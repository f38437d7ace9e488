/* config_json.c - the JSON helpers shared by the config loader
 * (daemon/config*.c): messages in the one "KEYPATH: PROBLEM" form, key
 * paths, user text made safe to print, and typed getters for members that
 * check the type, the range and unknown or duplicate keys. Declared in
 * config_json.h; see config.c for the loader itself. */
#include "daemon/config_json.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* ---- messages ---- */


void conf_set_err(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;

    if (err == NULL || errlen == 0)
        return;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

/* "KEYPATH: PROBLEM" (with "FILE: " in front for files). Returns -1. */

int conf_fail(struct conf_loader *L, const char *path, const char *fmt, ...)
{
    char msg[CONF_ERR_LEN];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (L->origin != NULL)
        conf_set_err(L->err, L->errlen, "%s: %s: %s", L->origin, path, msg);
    else
        conf_set_err(L->err, L->errlen, "%s: %s", path, msg);
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

int conf_fail_at(struct conf_loader *L, const char *pos, const char *fmt, ...)
{
    char msg[CONF_ERR_LEN];
    size_t line, col;
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    line_col(L->text, pos, &line, &col);
    if (L->origin != NULL)
        conf_set_err(L->err, L->errlen, "%s:%zu:%zu: %s", L->origin, line, col, msg);
    else
        conf_set_err(L->err, L->errlen, "line %zu, column %zu: %s", line, col, msg);
    return -1;
}

/* Copy n bytes of user text into out (size outlen), escaping what would
 * break a one-line message, and quotes and backslashes too if the text goes
 * between double quotes. Returns the number of bytes written. */
size_t conf_escape(char *out, size_t outlen, const char *s, size_t n, bool quotes)
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
const char *conf_quote(char out[QUOTE_LEN], const char *s)
{
    size_t n = strlen(s);
    size_t o;

    out[0] = '"';
    o = 1 + conf_escape(out + 1, QUOTE_LEN - 6, s, n < QUOTE_MAX ? n : QUOTE_MAX, true);
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

void conf_path_printf(char out[PATH_LEN], const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(out, PATH_LEN, fmt, ap);
    va_end(ap);
}

/* parent.key; keys that are not plain identifiers are written quoted,
 * parent["odd key"], so that "mtu " does not read as "mtu". */
void conf_key_path(char out[PATH_LEN], const char *parent, const char *key)
{
    char q[QUOTE_LEN];
    bool plain = key[0] != '\0' && strlen(key) <= QUOTE_MAX;

    for (const char *p = key; *p != '\0' && plain; p++) {
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
              (*p >= '0' && *p <= '9') || *p == '_' || *p == '-'))
            plain = false;
    }
    if (plain && parent[0] == '\0')
        conf_path_printf(out, "%s", key);
    else if (plain)
        conf_path_printf(out, "%s.%s", parent, key);
    else
        conf_path_printf(out, "%s[%s]", parent, conf_quote(q, key));
}

void conf_index_path(char out[PATH_LEN], const char *parent, size_t i)
{
    conf_path_printf(out, "%s[%zu]", parent, i);
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

int conf_expect_type(struct conf_loader *L, const cJSON *item, const char *path, int types,
                     const char *what)
{
    if ((item->type & types) == 0)
        return conf_fail(L, path, "expected %s, got %s", what, type_name(item));
    return 0;
}

/* Reject keys not in keys[] and keys given twice (cJSON keeps both copies
 * of a duplicate and lookups would silently take the first). Stops at the
 * first bad key, so a huge object costs at most n_keys compares per key. */
int conf_check_keys(struct conf_loader *L, const cJSON *obj, const char *path,
                    const char *const *keys, size_t n_keys)
{
    uint32_t seen = 0;

    for (const cJSON *it = obj->child; it != NULL; it = it->next) {
        const char *name = it->string != NULL ? it->string : "";
        char sub[PATH_LEN];
        size_t k = 0;

        while (k < n_keys && strcmp(name, keys[k]) != 0)
            k++;
        conf_key_path(sub, path, name);
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
            return conf_fail(L, sub, "unknown key (expected one of: %s)", list);
        }
        if (seen & (1u << k))
            return conf_fail(L, sub, "duplicate key");
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
int conf_get_int(struct conf_loader *L, const cJSON *item, const char *path, long long lo,
                 long long hi, long long *out)
{
    char num[64];
    double d;

    if (conf_expect_type(L, item, path, cJSON_Number, "a number") < 0)
        return -1;
    d = item->valuedouble;
    /* cJSON turns 1e999 into infinity. */
    if (!isfinite(d))
        return conf_fail(L, path, "the number is too large in magnitude (expected %lld..%lld)",
                         lo, hi);
    number_text(num, sizeof num, d);
    if (d > -9e15 && d < 9e15 && d != (double)(long long)d)
        return conf_fail(L, path, "%s is not an integer", num);
    if (!(d >= (double)lo && d <= (double)hi))
        return conf_fail(L, path, "%s is out of range (expected %lld..%lld)", num, lo, hi);
    *out = (long long)d;
    return 0;
}

/* Optional members: 0 if absent, 1 if present and valid, -1 on error. */
int conf_opt_int(struct conf_loader *L, const cJSON *obj, const char *path, const char *key,
                 long long lo, long long hi, long long *out)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, key);
    char sub[PATH_LEN];

    if (item == NULL)
        return 0;
    conf_key_path(sub, path, key);
    return conf_get_int(L, item, sub, lo, hi, out) < 0 ? -1 : 1;
}

int conf_opt_bool(struct conf_loader *L, const cJSON *obj, const char *path, const char *key,
                  bool *out)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, key);
    char sub[PATH_LEN];

    if (item == NULL)
        return 0;
    conf_key_path(sub, path, key);
    if (conf_expect_type(L, item, sub, cJSON_True | cJSON_False, "a boolean (true or false)") < 0)
        return -1;
    *out = cJSON_IsTrue(item);
    return 1;
}

int conf_opt_string(struct conf_loader *L, const cJSON *obj, const char *path, const char *key,
                    const char **out)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, key);
    char sub[PATH_LEN];

    if (item == NULL)
        return 0;
    conf_key_path(sub, path, key);
    if (conf_expect_type(L, item, sub, cJSON_String, "a string") < 0)
        return -1;
    *out = item->valuestring;
    return 1;
}

/* An object member that must be an object (or array); NULL if absent. */
int conf_opt_container(struct conf_loader *L, const cJSON *obj, const char *path, const char *key,
                       int type, const cJSON **out)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, key);
    char sub[PATH_LEN];

    *out = NULL;
    if (item == NULL)
        return 0;
    conf_key_path(sub, path, key);
    if (conf_expect_type(L, item, sub, type, type == cJSON_Object ? "an object" : "an array") < 0)
        return -1;
    *out = item;
    return 1;
}

/* Type check plus key check for an object at path. */
int conf_check_object(struct conf_loader *L, const cJSON *obj, const char *path,
                      const char *const *keys, size_t n_keys)
{
    if (conf_expect_type(L, obj, path, cJSON_Object, "an object") < 0)
        return -1;
    return conf_check_keys(L, obj, path, keys, n_keys);
}

/* A duration in ms (or s) into nanoseconds; the ranges keep it far from
 * overflowing 64 bits. */
int conf_opt_duration(struct conf_loader *L, const cJSON *obj, const char *path, const char *key,
                      long long lo, long long hi, uint64_t unit_ns, uint64_t *out)
{
    long long v;
    int r = conf_opt_int(L, obj, path, key, lo, hi, &v);

    if (r > 0)
        *out = (uint64_t)v * unit_ns;
    return r;
}

int conf_opt_u32(struct conf_loader *L, const cJSON *obj, const char *path, const char *key,
                 long long lo, long long hi, uint32_t *out)
{
    long long v;
    int r = conf_opt_int(L, obj, path, key, lo, hi, &v);

    if (r > 0)
        *out = (uint32_t)v;
    return r;
}

/* A string member that must be one of names[]; *out is its index. */
int conf_opt_choice(struct conf_loader *L, const cJSON *obj, const char *path, const char *key,
                    const char *const *names, size_t n_names, const char *expected,
                    uint8_t *out)
{
    char sub[PATH_LEN], q[QUOTE_LEN];
    const char *s;
    int r = conf_opt_string(L, obj, path, key, &s);

    if (r <= 0)
        return r;
    for (size_t i = 0; i < n_names; i++) {
        if (strcmp(s, names[i]) == 0) {
            *out = (uint8_t)i;
            return 1;
        }
    }
    conf_key_path(sub, path, key);
    return conf_fail(L, sub, "%s is not one of the choices (expected %s)", conf_quote(q, s),
                     expected);
}
