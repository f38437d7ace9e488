/* config_json.h - internal to daemon/config*.c: the loader state and the
 * JSON helpers every section parser shares, and the section parsers that
 * live in files of their own. Not a public header (that is config.h).
 *
 * Every helper reports through conf_fail(), so each message has the one
 * form "KEYPATH: PROBLEM" ("FILE: KEYPATH: PROBLEM" for files), and returns
 * -1 after writing it. Key paths are written like "interfaces[0].ipv4.address". */
#ifndef TCPIPD_CONFIG_JSON_H
#define TCPIPD_CONFIG_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "daemon/config.h"

#define PATH_LEN 160          /* a key path; user-supplied keys are cut short */
#define QUOTE_MAX 48          /* bytes of a user string shown in a message */
#define QUOTE_LEN (QUOTE_MAX * 4 + 8)

#define N_KEYS(a) (sizeof(a) / sizeof((a)[0]))

struct conf_loader {
    const char *origin;       /* file name, or NULL for a string */
    const char *text;         /* the document, for line:column */
    char *err;
    size_t errlen;
};

/* ---- messages (config_json.c) ---- */

/* printf into err (errlen bytes); nothing if err is NULL or errlen 0. */
void conf_set_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* "KEYPATH: PROBLEM" (with "FILE: " in front for files). Returns -1. */
int conf_fail(struct conf_loader *L, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* "FILE:LINE:COL: PROBLEM", or "line L, column C: PROBLEM" for strings,
 * pos pointing into L->text. Returns -1. */
int conf_fail_at(struct conf_loader *L, const char *pos, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Up to n bytes of user text into out, made safe for a one-line message. */
size_t conf_escape(char *out, size_t outlen, const char *s, size_t n, bool quotes);
/* A user string as it appears in a message: "quoted", escaped, cut short. */
const char *conf_quote(char out[QUOTE_LEN], const char *s);

/* ---- key paths ---- */

void conf_path_printf(char out[PATH_LEN], const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void conf_key_path(char out[PATH_LEN], const char *parent, const char *key);   /* parent.key */
void conf_index_path(char out[PATH_LEN], const char *parent, size_t i);        /* parent[i] */

/* ---- typed access: 0 on success, -1 after conf_fail() ---- */

int conf_expect_type(struct conf_loader *L, const cJSON *item, const char *path, int types,
                     const char *what);
/* Unknown and duplicate keys are errors; n_keys is at most 32. */
int conf_check_keys(struct conf_loader *L, const cJSON *obj, const char *path,
                    const char *const *keys, size_t n_keys);
/* conf_expect_type(object) plus conf_check_keys(). */
int conf_check_object(struct conf_loader *L, const cJSON *obj, const char *path,
                      const char *const *keys, size_t n_keys);
/* A whole number in lo..hi. */
int conf_get_int(struct conf_loader *L, const cJSON *item, const char *path, long long lo,
                 long long hi, long long *out);

/* Optional members obj[key] (path is obj's): 0 if absent (*out untouched),
 * 1 if present and valid, -1 on error. */
int conf_opt_int(struct conf_loader *L, const cJSON *obj, const char *path, const char *key,
                 long long lo, long long hi, long long *out);
int conf_opt_u32(struct conf_loader *L, const cJSON *obj, const char *path, const char *key,
                 long long lo, long long hi, uint32_t *out);
/* An integer count of unit_ns (NS_PER_MS, NS_PER_SEC), stored in ns. */
int conf_opt_duration(struct conf_loader *L, const cJSON *obj, const char *path, const char *key,
                      long long lo, long long hi, uint64_t unit_ns, uint64_t *out);
int conf_opt_bool(struct conf_loader *L, const cJSON *obj, const char *path, const char *key,
                  bool *out);
/* *out points into the cJSON tree. */
int conf_opt_string(struct conf_loader *L, const cJSON *obj, const char *path, const char *key,
                    const char **out);
/* A string that must be one of names[]; *out is its index; expected is
 * the list as the message shows it. */
int conf_opt_choice(struct conf_loader *L, const cJSON *obj, const char *path, const char *key,
                    const char *const *names, size_t n_names, const char *expected,
                    uint8_t *out);
/* type is cJSON_Object or cJSON_Array; *out is NULL if absent. */
int conf_opt_container(struct conf_loader *L, const cJSON *obj, const char *path,
                       const char *key, int type, const cJSON **out);

/* ---- sections in their own files: 0, or -1 after conf_fail() ---- */

/* config_iface.c: the "interfaces" array into cfg->ifaces, n_ifaces. */
int conf_parse_interfaces(struct conf_loader *L, const cJSON *arr, struct tcpipd_config *cfg);
/* config_route.c: "routes", after the interfaces (checked against them). */
int conf_parse_routes(struct conf_loader *L, const cJSON *arr, struct tcpipd_config *cfg);
/* config_stack.c: the "stack" object over the defaults already in *st. */
int conf_parse_stack(struct conf_loader *L, const cJSON *obj, struct stack_config *st);
/* config_control.c: the "control" and "capture" objects. */
int conf_parse_control(struct conf_loader *L, const cJSON *obj, struct conf_control *ctl);
int conf_parse_capture(struct conf_loader *L, const cJSON *obj, struct conf_capture *cap);
int conf_parse_stats(struct conf_loader *L, const cJSON *obj, struct conf_stats *st);
/* config_ipc.c: the "ipc" object into *ipc (defaults set by conf_ipc_defaults). */
void conf_ipc_defaults(struct conf_ipc *ipc);
int conf_parse_ipc(struct conf_loader *L, const cJSON *obj, struct conf_ipc *ipc);

#endif
