/* test_daemon_log.c - log lines, levels and journal detection (daemon/log.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "daemon/log.h"
#include "stack/stack.h"

struct capture {
    char *buf;
    size_t len;
    FILE *f;
};

static int setup(void **state)
{
    struct capture *c = calloc(1, sizeof *c);
    assert_non_null(c);
    c->f = open_memstream(&c->buf, &c->len);
    assert_non_null(c->f);
    log_init("/usr/sbin/tcpipd");
    log_set_level(STACK_LOG_INFO);
    *state = c;
    return 0;
}

static int teardown(void **state)
{
    struct capture *c = *state;
    log_set_stream(NULL, false);
    fclose(c->f);
    free(c->buf);
    free(c);
    return 0;
}

static const char *captured(struct capture *c)
{
    fflush(c->f);
    return c->buf;
}

static void test_plain_line_has_name_pid_level(void **state)
{
    struct capture *c = *state;
    log_set_stream(c->f, false);
    log_msg(STACK_LOG_INFO, "tap: %s up, mtu %d", "tcpip0", 1500);
    char want[128];
    snprintf(want, sizeof want, "tcpipd[%ld]: info: tap: tcpip0 up, mtu 1500\n", (long)getpid());
    assert_string_equal(captured(c), want);
}

static void test_journal_line_has_priority_prefix(void **state)
{
    struct capture *c = *state;
    log_set_stream(c->f, true);
    log_msg(STACK_LOG_WARN, "w");
    log_msg(STACK_LOG_ERR, "e");
    log_msg(STACK_LOG_INFO, "i");
    assert_string_equal(captured(c), "<4>warning: w\n<3>error: e\n<6>info: i\n");
}

static void test_level_filters(void **state)
{
    struct capture *c = *state;
    log_set_stream(c->f, true);
    log_set_level(STACK_LOG_WARN);
    assert_false(log_enabled(STACK_LOG_INFO));
    assert_true(log_enabled(STACK_LOG_ERR));
    log_msg(STACK_LOG_DEBUG, "no");
    log_msg(STACK_LOG_INFO, "no");
    log_msg(STACK_LOG_WARN, "yes");
    log_set_level(STACK_LOG_DEBUG);
    log_msg(STACK_LOG_DEBUG, "dbg");
    assert_string_equal(captured(c), "<4>warning: yes\n<7>debug: dbg\n");
    assert_int_equal(log_get_level(), STACK_LOG_DEBUG);
}

static void test_one_message_one_line(void **state)
{
    struct capture *c = *state;
    log_set_stream(c->f, true);
    log_msg(STACK_LOG_INFO, "two\nlines\tand\r%s", "more");
    assert_string_equal(captured(c), "<6>info: two lines and more\n");
}

static void test_long_message_is_cut_but_ends_the_line(void **state)
{
    struct capture *c = *state;
    log_set_stream(c->f, false);
    char big[3 * LOG_LINE_MAX];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    log_msg(STACK_LOG_ERR, "%s", big);
    const char *out = captured(c);
    assert_true(strlen(out) <= LOG_LINE_MAX);
    assert_int_equal(out[strlen(out) - 1], '\n');
    assert_int_equal(strchr(out, '\n') - out, (long)strlen(out) - 1);
}

static void test_stack_messages_are_routed(void **state)
{
    struct capture *c = *state;
    log_set_stream(c->f, true);
    log_stack(NULL, STACK_LOG_WARN, "arp: 10.77.0.1 claims our address");
    log_stack(NULL, STACK_LOG_DEBUG, "filtered");
    assert_string_equal(captured(c), "<4>warning: stack: arp: 10.77.0.1 claims our address\n");
}

static void test_level_labels(void **state)
{
    (void)state;
    assert_string_equal(log_level_label(0), "error");
    assert_string_equal(log_level_label(STACK_LOG_ERR), "error");
    assert_string_equal(log_level_label(STACK_LOG_WARN), "warning");
    assert_string_equal(log_level_label(5), "warning");
    assert_string_equal(log_level_label(STACK_LOG_INFO), "info");
    assert_string_equal(log_level_label(STACK_LOG_DEBUG), "debug");
}

static void test_journal_stream_matching(void **state)
{
    (void)state;
    FILE *f = tmpfile();
    assert_non_null(f);
    struct stat st;
    assert_int_equal(fstat(fileno(f), &st), 0);
    char env[64];
    snprintf(env, sizeof env, "%llu:%llu", (unsigned long long)st.st_dev,
             (unsigned long long)st.st_ino);
    assert_true(log_journal_stream_matches(env, fileno(f)));
    /* a stale variable (stderr redirected since) must not match */
    snprintf(env, sizeof env, "%llu:%llu", (unsigned long long)st.st_dev,
             (unsigned long long)st.st_ino + 1);
    assert_false(log_journal_stream_matches(env, fileno(f)));
    assert_false(log_journal_stream_matches(NULL, fileno(f)));
    assert_false(log_journal_stream_matches("", fileno(f)));
    assert_false(log_journal_stream_matches("12", fileno(f)));
    assert_false(log_journal_stream_matches("12:", fileno(f)));
    assert_false(log_journal_stream_matches(":34", fileno(f)));
    assert_false(log_journal_stream_matches("12:34x", fileno(f)));
    assert_false(log_journal_stream_matches("99999999999999999999999:1", fileno(f)));
    assert_false(log_journal_stream_matches("1:1", -1));
    fclose(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_plain_line_has_name_pid_level, setup, teardown),
        cmocka_unit_test_setup_teardown(test_journal_line_has_priority_prefix, setup, teardown),
        cmocka_unit_test_setup_teardown(test_level_filters, setup, teardown),
        cmocka_unit_test_setup_teardown(test_one_message_one_line, setup, teardown),
        cmocka_unit_test_setup_teardown(test_long_message_is_cut_but_ends_the_line, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_stack_messages_are_routed, setup, teardown),
        cmocka_unit_test(test_level_labels),
        cmocka_unit_test(test_journal_stream_matching),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
