/* test_daemon_control6.c - tcpipd's control channel with IPv6
 * (daemon/control_net.c): addr, route, status and neigh with static,
 * link-local and SLAAC addresses, RA prefixes, a default router and ND
 * entries in their NUD states. The fixture is control_fixture.h's. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <cmocka.h>

#include "daemon/log.h"
#include "tests/unit/support/control_fixture.h"
#include "tests/unit/support/env6.h"
#include "tests/unit/support/stack_env.h"

/* IPv6 on, DAD done (1 s), then an RA from fe80::1: router lifetime
 * 1800 s, prefix fd77:1::/64 (L and A) valid 3600 s, preferred 1800 s;
 * the DAD of the SLAAC address done too. Requests at RA + 11 s. */
static int setup6(void **state)
{
    struct ctl_fixture *f = ctl_fixture_new(env6_tweak);
    env_advance(f->e, 1 * NS_PER_SEC);
    uint8_t msg[256];
    struct nd_ra ra = {.router_lifetime = 1800};
    struct nd_prefix_info pi = {.prefix = {0xfd, 0x77, 0x00, 0x01}, .prefix_len = 64,
                                .on_link = true, .autonomous = true, .valid_lifetime = 3600,
                                .preferred_lifetime = 1800};
    size_t n = env6_ra(msg, &ra, &pi, 0);
    env6_nd_input(f->e, env6_router, env6_all_nodes, msg, n);
    env_advance(f->e, 1 * NS_PER_SEC);
    f->env.now_ns = f->e->now + 10 * NS_PER_SEC;
    *state = f;
    return 0;
}

/* The cJSON object of arr whose key is val, or fail. */
static const cJSON *find_obj(const cJSON *arr, const char *key, const char *val)
{
    const cJSON *o;
    cJSON_ArrayForEach(o, arr)
    {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
        if (cJSON_IsString(v) && strcmp(v->valuestring, val) == 0)
            return o;
    }
    fail_msg("no %s \"%s\"", key, val);
    return NULL;
}

static bool is_null(const cJSON *o, const char *key)
{
    return cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(o, key));
}

/* addr, route and status with IPv6: static, link-local and SLAAC
 * addresses with state and lifetimes; prefixes and the default router. */
static void test_ipv6_addr_route_status(void **state)
{
    struct ctl_fixture *f = *state;
    cJSON *doc = ctl_ask(f, "addr\n");
    const cJSON *d = ctl_ok_data(doc);
    assert_int_equal(cJSON_GetArraySize(d), 6); /* lo's two first */
    assert_string_equal(ctl_str(cJSON_GetArrayItem(d, 0), "ifname"), "lo");
    assert_string_equal(ctl_str(cJSON_GetArrayItem(d, 2), "family"), "inet"); /* IPv4 first */
    const cJSON *a = find_obj(d, "address", "fd77::2");
    assert_string_equal(ctl_str(a, "family"), "inet6");
    assert_int_equal(ctl_number(a, "prefix_len"), 64);
    assert_string_equal(ctl_str(a, "scope"), "global");
    assert_string_equal(ctl_str(a, "state"), "preferred");
    assert_true(cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(a, "dynamic")));
    assert_true(cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(a, "stable_privacy")));
    assert_true(is_null(a, "valid_lft_s") && is_null(a, "preferred_lft_s"));
    a = find_obj(d, "address", "fe80::ff:fe00:2");
    assert_string_equal(ctl_str(a, "scope"), "link");
    a = find_obj(d, "address", "fd77:1::ff:fe00:2");
    assert_true(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(a, "dynamic")));
    assert_int_equal(ctl_number(a, "valid_lft_s"), 3600 - 11);
    assert_int_equal(ctl_number(a, "preferred_lft_s"), 1800 - 11);
    cJSON_Delete(doc);

    doc = ctl_ask(f, "route\n");
    d = ctl_ok_data(doc);
    assert_int_equal(cJSON_GetArraySize(d), 2 + 4); /* IPv4: prefix, default */
    const cJSON *r = find_obj(d, "dst", "fd77::/64");
    assert_string_equal(ctl_str(r, "family"), "inet6");
    assert_string_equal(ctl_str(r, "proto"), "kernel");
    assert_string_equal(ctl_str(r, "dev"), "tcpip0");
    assert_true(is_null(r, "gateway") && is_null(r, "expires_s"));
    r = find_obj(d, "dst", "fd77:1::/64");
    assert_string_equal(ctl_str(r, "proto"), "ra");
    assert_int_equal(ctl_number(r, "expires_s"), 3600 - 11);
    find_obj(d, "dst", "fe80::/64");
    r = find_obj(d, "gateway", "fe80::1");
    assert_string_equal(ctl_str(r, "dst"), "default");
    assert_string_equal(ctl_str(r, "family"), "inet6");
    assert_string_equal(ctl_str(r, "scope"), "global");
    assert_int_equal(ctl_number(r, "expires_s"), 1800 - 11);
    cJSON_Delete(doc);

    doc = ctl_ask(f, "status\n");
    d = cJSON_GetObjectItemCaseSensitive(ctl_ok_data(doc), "addresses");
    assert_int_equal(cJSON_GetArraySize(d), 6);
    assert_string_equal(ctl_str(find_obj(d, "address", "10.77.0.2/24"), "family"), "inet");
    assert_string_equal(ctl_str(find_obj(d, "address", "fd77::2/64"), "state"), "preferred");
    cJSON_Delete(doc);
}

/* neigh lists ND entries with their NUD state (DELAY after use). */
static void test_ipv6_neigh(void **state)
{
    struct ctl_fixture *f = *state;
    /* The router's SLLA came with the RA: STALE; sending through it: DELAY. */
    assert_int_equal(env6_send(f->e, env6_router, 20), 0);
    f->env.now_ns = f->e->now;
    cJSON *doc = ctl_ask(f, "neigh\n");
    const cJSON *n = find_obj(ctl_ok_data(doc), "address", "fe80::1");
    assert_string_equal(ctl_str(n, "family"), "inet6");
    assert_string_equal(ctl_str(n, "mac"), "02:00:00:00:00:01");
    assert_string_equal(ctl_str(n, "state"), "DELAY");
    cJSON_Delete(doc);
}

int main(void)
{
    FILE *devnull = fopen("/dev/null", "w");
    log_set_stream(devnull, false);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_ipv6_addr_route_status, setup6, ctl_teardown),
        cmocka_unit_test_setup_teardown(test_ipv6_neigh, setup6, ctl_teardown),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    log_set_stream(NULL, false);
    if (devnull != NULL)
        fclose(devnull);
    return rc;
}
