/* test_daemon_cli.c - tcpipd's command line (daemon/cli.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "daemon/cli.h"
#include "stack/stack.h"

/* cli_parse() on "tcpipd" followed by the NULL-terminated arguments. */
static enum cli_action parse(struct cli_opts *o, char *err, size_t errlen, ...)
{
    char *argv[16] = {"tcpipd"};
    int argc = 1;
    va_list ap;
    va_start(ap, errlen);
    for (char *a = va_arg(ap, char *); a != NULL; a = va_arg(ap, char *)) {
        assert_true(argc < 16);
        argv[argc++] = a;
    }
    va_end(ap);
    return cli_parse(argc, argv, o, err, errlen);
}

static void test_no_arguments_runs_default_config(void **state)
{
    (void)state;
    struct cli_opts o;
    char err[256];
    char *argv[] = {"tcpipd"};
    assert_int_equal(cli_parse(1, argv, &o, err, sizeof err), CLI_RUN);
    assert_string_equal(o.config_path, TCPIPD_DEFAULT_CONFIG);
    assert_int_equal(o.log_level, -1);
}

static void test_config_path_spellings(void **state)
{
    (void)state;
    struct cli_opts o;
    char err[256];
    assert_int_equal(parse(&o, err, sizeof err, "-c", "a.json", NULL), CLI_RUN);
    assert_string_equal(o.config_path, "a.json");
    assert_int_equal(parse(&o, err, sizeof err, "--config", "b.json", NULL), CLI_RUN);
    assert_string_equal(o.config_path, "b.json");
    assert_int_equal(parse(&o, err, sizeof err, "--config=c.json", NULL), CLI_RUN);
    assert_string_equal(o.config_path, "c.json");
    assert_int_equal(parse(&o, err, sizeof err, "-cd.json", NULL), CLI_RUN);
    assert_string_equal(o.config_path, "d.json");
    /* the last one wins, as with most tools */
    assert_int_equal(parse(&o, err, sizeof err, "-c", "x", "-c", "y", NULL), CLI_RUN);
    assert_string_equal(o.config_path, "y");
}

static void test_config_needs_a_value(void **state)
{
    (void)state;
    struct cli_opts o;
    char err[256];
    assert_int_equal(parse(&o, err, sizeof err, "-c", NULL), CLI_ERROR);
    assert_non_null(strstr(err, "-c needs a FILE"));
    assert_int_equal(parse(&o, err, sizeof err, "--config=", NULL), CLI_ERROR);
    assert_non_null(strstr(err, "empty FILE"));
}

static void test_log_level(void **state)
{
    (void)state;
    struct cli_opts o;
    char err[256];
    assert_int_equal(parse(&o, err, sizeof err, "-l", "debug", NULL), CLI_RUN);
    assert_int_equal(o.log_level, STACK_LOG_DEBUG);
    assert_int_equal(parse(&o, err, sizeof err, "--log-level=warning", NULL), CLI_RUN);
    assert_int_equal(o.log_level, STACK_LOG_WARN);
    assert_int_equal(parse(&o, err, sizeof err, "--log-level", "error", NULL), CLI_RUN);
    assert_int_equal(o.log_level, STACK_LOG_ERR);
    assert_int_equal(parse(&o, err, sizeof err, "-l", "loud", NULL), CLI_ERROR);
    assert_non_null(strstr(err, "\"loud\""));
    assert_int_equal(parse(&o, err, sizeof err, "-l", NULL), CLI_ERROR);
    assert_non_null(strstr(err, "needs a LEVEL"));
}

static void test_help_and_version_win(void **state)
{
    (void)state;
    struct cli_opts o;
    char err[256];
    assert_int_equal(parse(&o, err, sizeof err, "-h", NULL), CLI_HELP);
    assert_int_equal(parse(&o, err, sizeof err, "--help", NULL), CLI_HELP);
    assert_int_equal(parse(&o, err, sizeof err, "-V", NULL), CLI_VERSION);
    assert_int_equal(parse(&o, err, sizeof err, "--version", NULL), CLI_VERSION);
    assert_int_equal(parse(&o, err, sizeof err, "-c", "x.json", "--version", NULL), CLI_VERSION);
}

static void test_check_config_and_foreground(void **state)
{
    (void)state;
    struct cli_opts o;
    char err[256];
    assert_int_equal(parse(&o, err, sizeof err, "--check-config", "-c", "z.json", NULL), CLI_CHECK_CONFIG);
    assert_string_equal(o.config_path, "z.json");
    assert_int_equal(parse(&o, err, sizeof err, "-f", "-c", "z.json", NULL), CLI_RUN);
    assert_int_equal(parse(&o, err, sizeof err, "--foreground", NULL), CLI_RUN);
}

static void test_unknown_and_stray_arguments(void **state)
{
    (void)state;
    struct cli_opts o;
    char err[256];
    assert_int_equal(parse(&o, err, sizeof err, "--bogus", NULL), CLI_ERROR);
    assert_string_equal(err, "unknown option --bogus");
    assert_int_equal(parse(&o, err, sizeof err, "-x", NULL), CLI_ERROR);
    assert_string_equal(err, "unknown option -x");
    assert_int_equal(parse(&o, err, sizeof err, "file.json", NULL), CLI_ERROR);
    assert_string_equal(err, "unexpected argument \"file.json\"");
    /* "--configure" is not "--config" with a value glued on */
    assert_int_equal(parse(&o, err, sizeof err, "--configure", NULL), CLI_ERROR);
}

static void test_usage_mentions_options_and_exit_codes(void **state)
{
    (void)state;
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_non_null(f);
    cli_usage(f, "tcpipd");
    assert_int_equal(fclose(f), 0);
    assert_non_null(strstr(buf, "--check-config"));
    assert_non_null(strstr(buf, "--log-level"));
    assert_non_null(strstr(buf, TCPIPD_DEFAULT_CONFIG));
    assert_non_null(strstr(buf, "Exit status"));
    free(buf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_no_arguments_runs_default_config),
        cmocka_unit_test(test_config_path_spellings),
        cmocka_unit_test(test_config_needs_a_value),
        cmocka_unit_test(test_log_level),
        cmocka_unit_test(test_help_and_version_win),
        cmocka_unit_test(test_check_config_and_foreground),
        cmocka_unit_test(test_unknown_and_stray_arguments),
        cmocka_unit_test(test_usage_mentions_options_and_exit_codes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
