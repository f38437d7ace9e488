/* config_check.h - helpers for the configuration loader's tests
 * (test_config.c, test_config_values.c): build JSON documents around a
 * fragment, load them, and check that a bad one fails with
 * "KEYPATH: PROBLEM" naming the right key while leaving *cfg exactly as it
 * was (EXPECT_ERROR reports the caller's line). */

#ifndef TESTS_UNIT_SUPPORT_CONFIG_CHECK_H
#define TESTS_UNIT_SUPPORT_CONFIG_CHECK_H

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

/* Tests write JSON with single quotes to stay readable; this turns them
 * into double quotes. The result lives until the next call. */
const char *cf_J(const char *s);

/* A document with one interface "tcpip0" whose other members are
 * iface_rest (may be ""), and extra top-level members top_rest. */
const char *cf_doc(const char *iface_rest, const char *top_rest);

/* An interface with an IPv4 address, plus iface_rest. */
const char *cf_doc4(const char *iface_rest);

void cf_load_ok(const char *json, struct tcpipd_config *cfg);

void cf_expect_error_at(const char *json, const char *path, const char *phrase, const char *file,
                        int line);

#define EXPECT_ERROR(json, path, phrase) cf_expect_error_at(json, path, phrase, __FILE__, __LINE__)

#endif
