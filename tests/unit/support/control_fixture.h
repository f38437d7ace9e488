/* control_fixture.h - the fixture shared by test_daemon_control.c and
 * test_daemon_control6.c: a stack_env stack with the built-in services
 * (echo 7 on UDP and TCP), a capture, and the control_env of one
 * interface "tcpip0" that daemon/control*.c answers requests about; plus
 * helpers to ask a request and read its JSON reply. The clock is the
 * stack_env's fake one. */
#ifndef TESTS_UNIT_SUPPORT_CONTROL_FIXTURE_H
#define TESTS_UNIT_SUPPORT_CONTROL_FIXTURE_H

#include <stdint.h>

#include <cjson/cJSON.h>

#include "daemon/config.h"
#include "daemon/control.h"
#include "tests/unit/support/stack_env.h"

struct ctl_fixture {
    struct stack_env *e;
    struct tcpipd_config *cfg;
    struct services *sv;
    struct capture *cap;
    struct control_env env;
    struct tcp_sock *client;
    char dir[64];
};

/* A fixture (the control env's clock 65 s after start); tweak: the
 * env_new tweak, e.g. env6_tweak for an interface with IPv6 (fd77::2/64,
 * SLAAC). Fails the test on error. */
struct ctl_fixture *ctl_fixture_new(env_tweak_fn tweak);

/* cmocka teardown for *state = a ctl_fixture. */
int ctl_teardown(void **state);

/* Run a request; return the parsed document (caller deletes). */
cJSON *ctl_ask(struct ctl_fixture *f, const char *req);

/* The "data" of an {"ok": true} reply, or fail. */
const cJSON *ctl_ok_data(const cJSON *doc);

/* o[key] as a string / a number, or fail. */
const char *ctl_str(const cJSON *o, const char *key);
double ctl_number(const cJSON *o, const char *key);

#endif
