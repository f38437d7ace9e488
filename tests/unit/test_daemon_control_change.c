/* test_daemon_control_change.c - live changes on the control channel
 * (daemon/control_change.c): addr/route/neigh add|del and link set mtu,
 * each visible at once in the views; and every malformed or hostile
 * request refused with the config's message and an errno, the stack left
 * as it was. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "daemon/control.h"
#include "tests/unit/support/control_fixture.h"
#include "tests/unit/support/env6.h"
#include "tests/unit/support/stack_env.h"

static int setup(void **state)
{
    *state = ctl_fixture_new(env6_tweak);
    struct ctl_fixture *f = *state;
    env_advance(f->e, 2 * NS_PER_SEC); /* DAD of the IPv6 addresses */
    f->env.now_ns = f->e->now;
    return 0;
}

static void assert_error(struct ctl_fixture *f, const char *req, int errnum, const char *needle)
{
    cJSON *doc = ctl_ask(f, req);
    const cJSON *e = cJSON_GetObjectItemCaseSensitive(doc, "error");
    const cJSON *n = cJSON_GetObjectItemCaseSensitive(doc, "errno");
    if (!cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(doc, "ok")) || !cJSON_IsString(e) ||
        !cJSON_IsNumber(n))
        fail_msg("\"%s\": not an error reply", req);
    if (n->valueint != errnum || strstr(e->valuestring, needle) == NULL)
        fail_msg("\"%s\": errno %d \"%s\", wanted %d \"%s\"", req, n->valueint, e->valuestring,
                 errnum, needle);
    cJSON_Delete(doc);
}

/* Does a view row have key == value (and, if key2, key2 == value2)? */
static bool has_row(struct ctl_fixture *f, const char *view, const char *key, const char *value,
                    const char *key2, const char *value2)
{
    cJSON *doc = ctl_ask(f, view);
    const cJSON *d = ctl_ok_data(doc), *o;
    bool found = false;
    cJSON_ArrayForEach(o, d)
    {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
        const cJSON *v2 = key2 != NULL ? cJSON_GetObjectItemCaseSensitive(o, key2) : NULL;
        if (cJSON_IsString(v) && strcmp(v->valuestring, value) == 0 &&
            (key2 == NULL || (cJSON_IsString(v2) && strcmp(v2->valuestring, value2) == 0)))
            found = true;
    }
    cJSON_Delete(doc);
    return found;
}

static void ok_change(struct ctl_fixture *f, const char *req)
{
    cJSON *doc = ctl_ask(f, req);
    const cJSON *ok = cJSON_GetObjectItemCaseSensitive(doc, "ok");
    if (!cJSON_IsTrue(ok))
        fail_msg("\"%s\": %s", req,
                 cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(doc, "error")));
    assert_true(cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(doc, "data")));
    cJSON_Delete(doc);
}

static void test_addr_add_del(void **state)
{
    struct ctl_fixture *f = *state;
    ok_change(f, "addr add 10.77.5.2/24 dev tcpip0\n");
    assert_true(has_row(f, "addr\n", "address", "10.77.5.2", "ifname", "tcpip0"));
    assert_true(has_row(f, "route\n", "dst", "10.77.5.0/24", NULL, NULL));
    assert_error(f, "addr add 10.77.5.2/24 dev tcpip0\n", EEXIST, "already one of our addresses");
    ok_change(f, "addr del 10.77.5.2/24 dev tcpip0\n");
    assert_false(has_row(f, "addr\n", "address", "10.77.5.2", NULL, NULL));
    assert_error(f, "addr del 10.77.5.2/24 dev tcpip0\n", EADDRNOTAVAIL,
                 "\"10.77.5.2/24\" is not an address of tcpip0");
    /* IPv6: tentative first (DAD), then preferred. */
    ok_change(f, "addr add fd77:5::2/64 dev tcpip0\n");
    assert_true(has_row(f, "addr\n", "address", "fd77:5::2", "state", "tentative"));
    env_advance(f->e, 2 * NS_PER_SEC);
    f->env.now_ns = f->e->now;
    assert_true(has_row(f, "addr\n", "address", "fd77:5::2", "state", "preferred"));
    ok_change(f, "addr del fd77:5::2/64 dev tcpip0\n");
    assert_false(has_row(f, "addr\n", "address", "fd77:5::2", NULL, NULL));
}

static void test_addr_refused(void **state)
{
    struct ctl_fixture *f = *state;
    assert_error(f, "addr add 10.77.5.0/24 dev tcpip0\n", EINVAL,
                 "address: \"10.77.5.0/24\" is the network address of 10.77.5.0/24");
    assert_error(f, "addr add 10.77.5.255/24 dev tcpip0\n", EINVAL, "is the broadcast address");
    assert_error(f, "addr add 127.0.0.2/8 dev tcpip0\n", EINVAL, "loopback");
    assert_error(f, "addr add 224.1.1.1/8 dev tcpip0\n", EINVAL, "multicast");
    assert_error(f, "addr add 10.77.5.2 dev tcpip0\n", EINVAL, "has no prefix length");
    assert_error(f, "addr add 10.77.5.2/33 dev tcpip0\n", EINVAL, "out of range (expected 0..32)");
    assert_error(f, "addr add banana/8 dev tcpip0\n", EINVAL, "is not an IPv4 prefix");
    assert_error(f, "addr add ::1/128 dev tcpip0\n", EINVAL, "loopback");
    assert_error(f, "addr add ff02::1/64 dev tcpip0\n", EINVAL, "multicast");
    assert_error(f, "addr add fd77::1/129 dev tcpip0\n", EINVAL, "out of range (expected 1..128)");
    assert_error(f, "addr add 10.77.0.2/24 dev tcpip0\n", EEXIST, "already");
    assert_error(f, "addr add 10.77.5.2/24 dev eth9\n", ENODEV,
                 "dev: \"eth9\" is not one of the interfaces");
    assert_error(f, "addr add 10.77.5.2/24 dev lo\n", EINVAL, "lo's addresses do not change");
    assert_error(f, "addr add 10.77.5.2/24\n", EINVAL, "\"dev\" is required");
    assert_error(f, "addr add 10.77.5.2/24 dev\n", EINVAL, "\"dev\" needs a value");
    assert_error(f, "addr add 10.77.5.2/24 dev tcpip0 dev tcpip0\n", EINVAL, "given twice");
    assert_error(f, "addr add 10.77.5.2/24 device tcpip0\n", EINVAL, "unknown word \"device\"");
    assert_error(f, "addr flush dev tcpip0\n", EINVAL, "expected add or del");
    char big[300];
    snprintf(big, sizeof big, "addr add 10.77.5.2/24 dev %0200d\n", 1);
    assert_error(f, big, EINVAL, "is too long");
    /* The table is bounded. */
    char req[64];
    int rc = 0;
    for (int i = 0; i < NETIF_MAX_ADDR4 + 1 && rc == 0; i++) {
        snprintf(req, sizeof req, "addr add 10.77.%d.2/24 dev tcpip0\n", 10 + i);
        cJSON *doc = ctl_ask(f, req);
        rc = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(doc, "ok")) ? 0 : -1;
        if (rc != 0)
            assert_int_equal(ctl_number(doc, "errno"), ENOSPC);
        cJSON_Delete(doc);
    }
    assert_int_equal(rc, -1);
}

static void test_route_add_del(void **state)
{
    struct ctl_fixture *f = *state;
    ok_change(f, "route add 10.99.0.0/16 via 10.77.0.1 dev tcpip0 metric 7\n");
    cJSON *doc = ctl_ask(f, "route\n");
    const cJSON *d = ctl_ok_data(doc), *o, *r = NULL;
    cJSON_ArrayForEach(o, d) if (strcmp(ctl_str(o, "dst"), "10.99.0.0/16") == 0) r = o;
    assert_non_null(r);
    assert_string_equal(ctl_str(r, "gateway"), "10.77.0.1");
    assert_string_equal(ctl_str(r, "proto"), "static");
    assert_int_equal(ctl_number(r, "metric"), 7);
    assert_string_equal(ctl_str(r, "src"), "10.77.0.2");
    cJSON_Delete(doc);
    /* Used at once. */
    struct ipv4_route rt;
    assert_int_equal(ipv4_route(f->e->s, 0x0a630101u, 0, &rt), 0);
    assert_int_equal(rt.next_hop, ENV_IP_GW);
    assert_error(f, "route add 10.99.0.0/16 via 10.77.0.1 dev tcpip0 metric 7\n", EEXIST,
                 "there already");
    ok_change(f, "route add fd77:9::/64 via fd77::1\n");
    assert_true(has_row(f, "route\n", "dst", "fd77:9::/64", "proto", "static"));
    ok_change(f, "route add default via fe80::1 dev tcpip0 metric 10\n");
    ok_change(f, "route del 10.99.0.0/16\n"); /* any gateway, dev and metric */
    assert_false(has_row(f, "route\n", "dst", "10.99.0.0/16", NULL, NULL));
    assert_error(f, "route del 10.99.0.0/16\n", ESRCH, "no route 10.99.0.0/16 to delete");
    ok_change(f, "route del fd77:9::/64 via fd77::1\n");
    assert_false(has_row(f, "route\n", "dst", "fd77:9::/64", NULL, NULL));
}

static void test_route_refused(void **state)
{
    struct ctl_fixture *f = *state;
    assert_error(f, "route add 10.99.0.1/16 via 10.77.0.1\n", EINVAL,
                 "route.to: \"10.99.0.1/16\" has host bits set (expected \"10.99.0.0/16\")");
    assert_error(f, "route add 10.99.0.0/16 via 10.77.9.1\n", EINVAL,
                 "route.via: \"10.77.9.1\" is not on-link (not in a subnet of any interface");
    assert_error(f, "route add 10.99.0.0/16 via fd77::1\n", EINVAL, "is not an IPv4 address");
    assert_error(f, "route add 10.99.0.0/16 via 10.77.0.2\n", EINVAL, "one of our own addresses");
    assert_error(f, "route add 10.99.0.0/16\n", EINVAL, "needs \"via\" (a gateway) or \"dev\"");
    assert_error(f, "route add default dev tcpip0\n", EINVAL, "\"default\" needs \"via\"");
    assert_error(f, "route add 10.99.0.0/16 via 10.77.0.1 metric -1\n", EINVAL, "route.metric");
    assert_error(f, "route add 10.99.0.0/16 via 10.77.0.1 metric 99999999999\n", EINVAL,
                 "route.metric");
    assert_error(f, "route add 10.99.0.0/16 via 10.77.0.1 dev eth7\n", EINVAL,
                 "route.dev: \"eth7\" is not one of the interfaces");
    assert_error(f, "route add fd77:9::/64 via fe80::1\n", EINVAL, "is link-local");
    assert_error(f, "route add nowhere via 10.77.0.1\n", EINVAL, "is not a prefix");
    assert_error(f, "route add 10.99.0.0/16 via 10.77.0.1 via 10.77.0.9\n", EINVAL, "given twice");
    assert_error(f, "route add 10.99.0.0/16 via 10.77.0.1 table 5\n", EINVAL,
                 "unknown word \"table\"");
    assert_error(f, "route change 10.99.0.0/16 via 10.77.0.1\n", EINVAL, "expected add or del");
}

static void test_neigh_add_del(void **state)
{
    struct ctl_fixture *f = *state;
    ok_change(f, "neigh add 10.77.0.9 lladdr 02:00:00:00:00:09 dev tcpip0\n");
    assert_true(has_row(f, "neigh\n", "address", "10.77.0.9", "state", "PERMANENT"));
    ok_change(f, "neigh del 10.77.0.9 dev tcpip0\n");
    assert_false(has_row(f, "neigh\n", "address", "10.77.0.9", NULL, NULL));
    assert_error(f, "neigh del 10.77.0.9 dev tcpip0\n", ENOENT, "no entry for 10.77.0.9 on tcpip0");
    assert_error(f, "neigh add 10.77.0.9 lladdr ff:ff:ff:ff:ff:ff dev tcpip0\n", EINVAL,
                 "neigh.mac: \"ff:ff:ff:ff:ff:ff\" is the broadcast address");
    assert_error(f, "neigh add 10.77.0.9 lladdr 01:00:5e:00:00:01 dev tcpip0\n", EINVAL,
                 "multicast");
    assert_error(f, "neigh add 10.77.0.9 lladdr 00:00:00:00:00:00 dev tcpip0\n", EINVAL,
                 "all zeros");
    assert_error(f, "neigh add 10.77.0.9 lladdr zz dev tcpip0\n", EINVAL, "is not a MAC address");
    assert_error(f, "neigh add 10.77.9.9 lladdr 02:00:00:00:00:09 dev tcpip0\n", EINVAL,
                 "is not a neighbour on a subnet of tcpip0");
    assert_error(f, "neigh add 10.77.0.2 lladdr 02:00:00:00:00:09 dev tcpip0\n", EINVAL,
                 "is not a neighbour");
    assert_error(f, "neigh add 127.0.0.5 lladdr 02:00:00:00:00:09 dev tcpip0\n", EINVAL,
                 "loopback");
    assert_error(f, "neigh add 10.77.0.9 dev tcpip0\n", EINVAL, "\"lladdr\" is required");
    assert_error(f, "neigh add fd77::9 lladdr 02:00:00:00:00:09 dev tcpip0\n", EAFNOSUPPORT,
                 "static IPv6 neighbours are not supported");
    assert_error(f, "neigh add 10.77.0.9 lladdr 02:00:00:00:00:09 dev lo\n", EINVAL,
                 "lo has no neighbours");
}

static void test_link_mtu(void **state)
{
    struct ctl_fixture *f = *state;
    ok_change(f, "link set dev tcpip0 mtu 1400\n");
    cJSON *doc = ctl_ask(f, "link\n");
    const cJSON *l = cJSON_GetArrayItem(ctl_ok_data(doc), 1);
    assert_string_equal(ctl_str(l, "name"), "tcpip0");
    assert_int_equal(ctl_number(l, "mtu"), 1400);
    cJSON_Delete(doc);
    ok_change(f, "link set tcpip0 mtu 1500\n");
    assert_error(f, "link set tcpip0 mtu 67\n", EINVAL, "mtu: 67 is out of range (expected 68..9000)");
    assert_error(f, "link set tcpip0 mtu 9001\n", EINVAL, "out of range");
    assert_error(f, "link set tcpip0 mtu 1e3\n", EINVAL, "is not an integer");
    assert_error(f, "link set tcpip0 mtu 99999999999999\n", EINVAL, "is not an integer");
    assert_error(f, "link set lo mtu 1500\n", EINVAL, "lo's MTU does not change");
    assert_error(f, "link set eth3 mtu 1500\n", ENODEV, "is not one of the interfaces");
    assert_error(f, "link set tcpip0 txqueuelen 5\n", EINVAL, "usage: link set");
    assert_error(f, "link up tcpip0\n", EINVAL, "usage: link set");
}

/* stats: Linux's nstat names beside ours; the Prometheus exposition. */
static void test_stats_names_and_prometheus(void **state)
{
    struct ctl_fixture *f = *state;
    cJSON *doc = ctl_ask(f, "stats\n");
    const cJSON *ns = cJSON_GetObjectItemCaseSensitive(ctl_ok_data(doc), "nstat");
    assert_non_null(ns);
    assert_int_equal(ctl_number(ns, "TcpActiveOpens"), env_ctr(f->e, CTR_TCP_ACTIVE_OPENS));
    assert_int_equal(ctl_number(ns, "IpInReceives"), env_ctr(f->e, CTR_IPV4_RX));
    assert_int_equal(ctl_number(ns, "TcpExtTCPSynRetrans"), env_ctr(f->e, CTR_TCP_SYN_RETRANS));
    cJSON_Delete(doc);
    doc = ctl_ask(f, "stats prometheus\n");
    const cJSON *d = cJSON_GetObjectItemCaseSensitive(doc, "data");
    assert_true(cJSON_IsString(d));
    assert_non_null(strstr(d->valuestring, "# TYPE tcpipd_tcp_active_opens_total counter\n"));
    assert_non_null(strstr(d->valuestring, "tcpipd_netstat_TcpActiveOpens "));
    assert_non_null(strstr(d->valuestring, "tcpipd_interface_rx_packets_total{interface=\"tcpip0\"} "));
    cJSON_Delete(doc);
    assert_error(f, "stats openmetrics\n", EINVAL, "takes no arguments");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_addr_add_del, setup, ctl_teardown),
        cmocka_unit_test_setup_teardown(test_addr_refused, setup, ctl_teardown),
        cmocka_unit_test_setup_teardown(test_route_add_del, setup, ctl_teardown),
        cmocka_unit_test_setup_teardown(test_route_refused, setup, ctl_teardown),
        cmocka_unit_test_setup_teardown(test_neigh_add_del, setup, ctl_teardown),
        cmocka_unit_test_setup_teardown(test_link_mtu, setup, ctl_teardown),
        cmocka_unit_test_setup_teardown(test_stats_names_and_prometheus, setup, ctl_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
