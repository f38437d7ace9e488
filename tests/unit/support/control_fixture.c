/* control_fixture.c - see control_fixture.h. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <cmocka.h>

#include "daemon/services.h"
#include "tests/unit/support/control_fixture.h"

static uint64_t ctl_fake_clock(void *ctx)
{
    struct ctl_fixture *f = ctx;
    return f->e->now;
}

struct ctl_fixture *ctl_fixture_new(env_tweak_fn tweak)
{
    struct ctl_fixture *f = calloc(1, sizeof *f);
    assert_non_null(f);
    f->e = env_new(tweak, false);
    f->cfg = calloc(1, sizeof *f->cfg);
    assert_non_null(f->cfg);
    config_defaults(f->cfg);
    f->cfg->services.udp_echo = (struct conf_service){.enabled = true, .port = 7};
    f->cfg->services.tcp_echo = (struct conf_service){.enabled = true, .port = 7};
    char err[CONF_ERR_LEN];
    f->sv = services_start(f->e->s, f->cfg, ctl_fake_clock, f, err, sizeof err);
    if (f->sv == NULL)
        fail_msg("services_start: %s", err);
    f->cap = capture_new();
    assert_non_null(f->cap);

    struct control_env *env = &f->env;
    env->stack = f->e->s;
    env->services = &f->sv;
    env->capture = f->cap;
    env->n_ifaces = 1;
    struct control_iface *ci = &env->ifaces[0];
    snprintf(ci->name, sizeof ci->name, "tcpip0");
    ci->ifindex = f->e->ifindex;
    ci->mac = env_mac_us;
    ci->mtu = ENV_MTU;
    ci->up = true;
    ci->has_ipv4 = true;
    ci->ipv4_addr = ENV_IP_US;
    ci->ipv4_prefix_len = ENV_PREFIX;
    ci->ipv4_gateway = ENV_IP_GW;
    env->started_ns = f->e->now;
    env->now_ns = f->e->now + 65 * NS_PER_SEC;
    env->pid = 4242;
    env->uid = 0;
    env->version = "9.9.9";

    snprintf(f->dir, sizeof f->dir, "/tmp/tcpip-control-test.XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    return f;
}

int ctl_teardown(void **state)
{
    struct ctl_fixture *f = *state;
    char p[128];
    capture_free(f->cap);
    snprintf(p, sizeof p, "%s/c.pcap", f->dir);
    unlink(p);
    snprintf(p, sizeof p, "%s/control.sock", f->dir);
    unlink(p);
    rmdir(f->dir);
    if (f->client != NULL)
        tcp_sock_abort(f->client, f->e->now);
    services_stop(f->sv);
    env_free(f->e);
    free(f->cfg);
    free(f);
    return 0;
}

/* Run a request; return the parsed document (caller deletes). */
cJSON *ctl_ask(struct ctl_fixture *f, const char *req)
{
    char *text = control_handle(&f->env, req, strlen(req));
    assert_non_null(text);
    cJSON *doc = cJSON_Parse(text);
    if (doc == NULL)
        fail_msg("reply to \"%s\" is not JSON: %s", req, text);
    free(text);
    return doc;
}

const cJSON *ctl_ok_data(const cJSON *doc)
{
    const cJSON *ok = cJSON_GetObjectItemCaseSensitive(doc, "ok");
    if (!cJSON_IsTrue(ok)) {
        char *s = cJSON_PrintUnformatted(doc);
        fail_msg("not ok: %s", s);
    }
    const cJSON *data = cJSON_GetObjectItemCaseSensitive(doc, "data");
    assert_non_null(data);
    return data;
}

const char *ctl_str(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!cJSON_IsString(v))
        fail_msg("key %s is not a string", key);
    return v->valuestring;
}

double ctl_number(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!cJSON_IsNumber(v))
        fail_msg("key %s is not a number", key);
    return v->valuedouble;
}
