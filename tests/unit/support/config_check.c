/* config_check.c - see config_check.h. */

#include <errno.h>
#include <glob.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "daemon/config.h"
#include "tests/unit/support/config_check.h"

const char *cf_J(const char *s)
{
    static char buf[64 * 1024];
    size_t n = strlen(s);

    assert_true(n < sizeof buf);
    for (size_t i = 0; i <= n; i++)
        buf[i] = s[i] == '\'' ? '"' : s[i];
    return buf;
}

const char *cf_doc(const char *iface_rest, const char *top_rest)
{
    static char buf[64 * 1024];
    int n = snprintf(buf, sizeof buf, "{'interfaces': [{'name': 'tcpip0'%s%s}]%s%s}",
                     iface_rest[0] ? ", " : "", iface_rest, top_rest[0] ? ", " : "", top_rest);

    assert_true(n > 0 && (size_t)n < sizeof buf);
    return cf_J(buf);
}

const char *cf_doc4(const char *iface_rest)
{
    static char buf[64 * 1024];
    int n = snprintf(buf, sizeof buf, "'ipv4': {'address': '10.77.0.2/24'}%s%s",
                     iface_rest[0] ? ", " : "", iface_rest);

    assert_true(n > 0 && (size_t)n < sizeof buf);
    return cf_doc(buf, "");
}

void cf_load_ok(const char *json, struct tcpipd_config *cfg)
{
    char err[CONF_ERR_LEN] = "";
    int rc = config_load_string(json, cfg, err, sizeof err);

    if (rc != 0)
        print_error("unexpected error: %s\n  in: %s\n", err, json);
    assert_int_equal(rc, 0);
}

/* The load fails, the message starts with "path: " and contains phrase,
 * is one line, and *cfg is byte for byte what it was before. */
static void cf_check_error(int rc, const struct tcpipd_config *before, const struct tcpipd_config *after,
                           const char *err, const char *path, const char *phrase, const char *what,
                           const char *file, int line)
{
    size_t plen = strlen(path);
    bool ok = rc == -1 && memcmp(before, after, sizeof *before) == 0 &&
              strncmp(err, path, plen) == 0 && err[plen] == ':' && err[plen + 1] == ' ' &&
              strstr(err + plen, phrase) != NULL && strchr(err, '\n') == NULL;

    if (!ok) {
        print_error("%s:%d: rc=%d, cfg %s\n  error:    %s\n  expected: %s: ...%s...\n  input:    %s\n",
                    file, line, rc,
                    memcmp(before, after, sizeof *before) == 0 ? "untouched" : "MODIFIED", err,
                    path, phrase, what);
        _fail(file, line);
    }
}

void cf_expect_error_at(const char *json, const char *path, const char *phrase,
                            const char *file, int line)
{
    struct tcpipd_config cfg, before;
    char err[CONF_ERR_LEN] = "";
    int rc;

    memset(&cfg, 0xa5, sizeof cfg);
    memcpy(&before, &cfg, sizeof cfg);
    rc = config_load_string(json, &cfg, err, sizeof err);
    cf_check_error(rc, &before, &cfg, err, path, phrase, json, file, line);
}
