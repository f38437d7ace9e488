/* config_control.c - the "control" and "capture" sections of the config
 * (docs/control.md, conf/REFERENCE.md):
 *   "control": { "enabled": true, "path": "/run/tcpipd/control.sock", "mode": "0660" }
 *   "capture": { "path": "/var/tmp/tcpipd.pcap", "max_bytes": 10000000, "filter": "tcp" } */
#include <string.h>

#include "daemon/capture.h"
#include "daemon/config_json.h"

static const char *const control_keys[] = {"enabled", "path", "mode"};
static const char *const capture_keys[] = {"path", "max_bytes", "filter"};
static const char *const stats_keys[] = {"path", "interval"};

/* An absolute path shorter than cap, copied into out. */
static int parse_path(struct conf_loader *L, const cJSON *obj, const char *section, char *out,
                      size_t cap, const char *limit_why, bool *present)
{
    const char *s;
    char path[PATH_LEN], q[QUOTE_LEN];
    int r = conf_opt_string(L, obj, section, "path", &s);
    if (r <= 0)
        return r;
    conf_key_path(path, section, "path");
    if (s[0] != '/')
        return conf_fail(L, path, "%s is not an absolute path", conf_quote(q, s));
    if (strlen(s) >= cap)
        return conf_fail(L, path, "%s is longer than %zu bytes (%s)", conf_quote(q, s), cap - 1,
                         limit_why);
    memcpy(out, s, strlen(s) + 1);
    *present = true;
    return 0;
}

/* "0660": a file mode in octal, as chmod(1) takes it. A string, because
 * JSON has no octal numbers and 432 would read as nonsense. */
static int parse_mode(struct conf_loader *L, const cJSON *obj, unsigned *out)
{
    const char *s;
    char q[QUOTE_LEN];
    int r = conf_opt_string(L, obj, "control", "mode", &s);
    if (r <= 0)
        return r;
    size_t n = strlen(s);
    unsigned v = 0;
    bool ok = n >= 3 && n <= 4;
    for (size_t i = 0; ok && i < n; i++) {
        ok = s[i] >= '0' && s[i] <= '7';
        v = v * 8 + (unsigned)(s[i] - '0');
    }
    if (!ok || v > 0777)
        return conf_fail(L, "control.mode",
                         "%s is not a file mode (expected octal digits, e.g. \"0660\")",
                         conf_quote(q, s));
    if ((v & 0600) != 0600)
        return conf_fail(L, "control.mode",
                         "%s leaves the owner unable to use the socket (expected e.g. \"0660\")",
                         conf_quote(q, s));
    *out = v;
    return 0;
}

int conf_parse_control(struct conf_loader *L, const cJSON *obj, struct conf_control *ctl)
{
    if (conf_check_object(L, obj, "control", control_keys, N_KEYS(control_keys)) < 0)
        return -1;
    if (conf_opt_bool(L, obj, "control", "enabled", &ctl->enabled) < 0)
        return -1;
    if (parse_path(L, obj, "control", ctl->path, sizeof ctl->path,
                   "the limit of a Unix socket path", &ctl->path_set) < 0)
        return -1;
    return parse_mode(L, obj, &ctl->mode);
}

int conf_parse_capture(struct conf_loader *L, const cJSON *obj, struct conf_capture *cap)
{
    const char *s;
    bool has_path = false;
    long long v;
    if (conf_check_object(L, obj, "capture", capture_keys, N_KEYS(capture_keys)) < 0)
        return -1;
    if (parse_path(L, obj, "capture", cap->path, sizeof cap->path, "the capture path limit",
                   &has_path) < 0)
        return -1;
    if (!has_path)
        return conf_fail(L, "capture.path", "required key is missing");
    /* The file header and one record header at least; 1 TiB at most. */
    int r = conf_opt_int(L, obj, "capture", "max_bytes",
                         CAPTURE_FILE_HEADER_LEN + CAPTURE_RECORD_HEADER_LEN, 1LL << 40, &v);
    if (r < 0)
        return -1;
    if (r > 0)
        cap->max_bytes = (uint64_t)v;
    r = conf_opt_string(L, obj, "capture", "filter", &s);
    if (r < 0)
        return -1;
    if (r > 0) {
        struct capture_filter f;
        char err[256];
        if (capture_filter_parse(s, &f, err, sizeof err) != 0)
            return conf_fail(L, "capture.filter", "%s",
                             strncmp(err, "filter: ", 8) == 0 ? err + 8 : err);
        if (strlen(s) >= sizeof cap->filter)
            return conf_fail(L, "capture.filter", "longer than %zu bytes", sizeof cap->filter - 1);
        memcpy(cap->filter, s, strlen(s) + 1);
    }
    return 0;
}

/* "stats": {"path": "/run/tcpipd/tcpipd.prom", "interval": 15}: a
 * Prometheus textfile written every interval seconds (daemon/metrics.h). */
int conf_parse_stats(struct conf_loader *L, const cJSON *obj, struct conf_stats *st)
{
    bool has_path = false;
    long long v;
    if (conf_check_object(L, obj, "stats", stats_keys, N_KEYS(stats_keys)) < 0)
        return -1;
    if (parse_path(L, obj, "stats", st->path, sizeof st->path, "the textfile path limit",
                   &has_path) < 0)
        return -1;
    if (!has_path)
        return conf_fail(L, "stats.path", "required key is missing");
    int r = conf_opt_int(L, obj, "stats", "interval", 1, 3600, &v);
    if (r < 0)
        return -1;
    st->interval_s = r > 0 ? (uint32_t)v : 15;
    return 0;
}
