/* test_daemon_notify.c - the sd_notify protocol (daemon/notify.c) against
 * a datagram socket the test binds and points NOTIFY_SOCKET at: each state
 * change must arrive as exactly one datagram with exactly the text
 * sd_notify(3) defines. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cmocka.h>

#include "daemon/notify.h"

struct listener {
    int fd;
    char dir[64];
    char path[96];               /* what NOTIFY_SOCKET would say */
};

static void listener_bind(struct listener *l, bool abstract)
{
    struct sockaddr_un a;
    memset(&a, 0, sizeof a);
    a.sun_family = AF_UNIX;
    l->dir[0] = '\0';
    socklen_t alen;
    if (abstract) {
        snprintf(l->path, sizeof l->path, "@tcpipd-notify-test-%ld", (long)getpid());
        size_t len = strlen(l->path);
        memcpy(a.sun_path, l->path, len);
        a.sun_path[0] = '\0';
        alen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len);
    } else {
        snprintf(l->dir, sizeof l->dir, "/tmp/tcpipd-notify.XXXXXX");
        assert_non_null(mkdtemp(l->dir));
        snprintf(l->path, sizeof l->path, "%s/notify", l->dir);
        snprintf(a.sun_path, sizeof a.sun_path, "%s", l->path);
        alen = sizeof a;
    }
    l->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    assert_true(l->fd >= 0);
    assert_int_equal(bind(l->fd, (struct sockaddr *)&a, alen), 0);
}

static void listener_close(struct listener *l)
{
    close(l->fd);
    if (l->dir[0] != '\0') {
        unlink(l->path);
        rmdir(l->dir);
    }
}

/* The next datagram, NUL-terminated; asserts that one is waiting (the
 * sender has already returned, so it is queued: no waiting, no timing). */
static void expect_msg(struct listener *l, const char *want)
{
    char buf[NOTIFY_MSG_MAX + 1];
    ssize_t n = recv(l->fd, buf, sizeof buf - 1, MSG_DONTWAIT);
    assert_true(n >= 0);
    buf[n] = '\0';
    assert_string_equal(buf, want);
}

static void expect_nothing(struct listener *l)
{
    char buf[16];
    ssize_t n = recv(l->fd, buf, sizeof buf, MSG_DONTWAIT);
    assert_int_equal(n, -1);
    assert_int_equal(errno, EAGAIN);
}

static void test_no_socket_is_a_quiet_no_op(void **state)
{
    (void)state;
    struct notify n;
    char err[256];
    assert_int_equal(notify_init(&n, NULL, "1000000", NULL, 42, err, sizeof err), 0);
    assert_false(notify_enabled(&n));
    assert_int_equal(notify_ready(&n, NULL), 0);
    assert_int_equal(notify_stopping(&n), 0);
    assert_true(notify_watchdog_interval(&n) == 0.0);
    notify_close(&n);
    assert_int_equal(notify_init(&n, "", NULL, NULL, 42, err, sizeof err), 0);
    assert_false(notify_enabled(&n));
    notify_close(&n);
}

static void test_exact_messages_on_a_path_socket(void **state)
{
    (void)state;
    struct listener l;
    listener_bind(&l, false);
    struct notify n;
    char err[256];
    assert_int_equal(notify_init(&n, l.path, NULL, NULL, 42, err, sizeof err), 0);
    assert_true(notify_enabled(&n));

    assert_int_equal(notify_ready(&n, NULL), 0);
    expect_msg(&l, "READY=1");
    assert_int_equal(notify_ready(&n, "serving 1 interface(s), 0 connection(s)"), 0);
    expect_msg(&l, "READY=1\nSTATUS=serving 1 interface(s), 0 connection(s)");
    assert_int_equal(notify_status(&n, "serving 2 interface(s), 7 connection(s)"), 0);
    expect_msg(&l, "STATUS=serving 2 interface(s), 7 connection(s)");
    assert_int_equal(notify_reloading(&n, 123456789ULL), 0);
    expect_msg(&l, "RELOADING=1\nMONOTONIC_USEC=123456789");
    assert_int_equal(notify_stopping(&n), 0);
    expect_msg(&l, "STOPPING=1");
    assert_int_equal(notify_watchdog(&n), 0);
    expect_msg(&l, "WATCHDOG=1");
    expect_nothing(&l);

    notify_close(&n);
    notify_close(&n); /* twice is harmless */
    listener_close(&l);
}

static void test_abstract_socket_name(void **state)
{
    (void)state;
    struct listener l;
    listener_bind(&l, true);
    struct notify n;
    char err[256];
    assert_int_equal(notify_init(&n, l.path, NULL, NULL, 42, err, sizeof err), 0);
    assert_int_equal(notify_ready(&n, NULL), 0);
    expect_msg(&l, "READY=1");
    notify_close(&n);
    listener_close(&l);
}

static void test_bad_socket_address_is_refused(void **state)
{
    (void)state;
    struct notify n;
    char err[256];
    assert_int_equal(notify_init(&n, "relative/path", NULL, NULL, 42, err, sizeof err), -1);
    assert_false(notify_enabled(&n));
    assert_non_null(strstr(err, "NOTIFY_SOCKET"));
    assert_int_equal(notify_ready(&n, NULL), 0); /* still a no-op */
    notify_close(&n);

    char long_path[200];
    memset(long_path, 'x', sizeof long_path - 1);
    long_path[0] = '/';
    long_path[sizeof long_path - 1] = '\0';
    assert_int_equal(notify_init(&n, long_path, NULL, NULL, 42, err, sizeof err), -1);
    assert_false(notify_enabled(&n));
    notify_close(&n);
}

static void test_gone_manager_gives_an_error_not_a_crash(void **state)
{
    (void)state;
    struct listener l;
    listener_bind(&l, false);
    struct notify n;
    char err[256];
    assert_int_equal(notify_init(&n, l.path, NULL, NULL, 42, err, sizeof err), 0);
    listener_close(&l); /* socket file removed */
    assert_true(notify_ready(&n, NULL) < 0);
    notify_close(&n);
}

static void test_watchdog_usec_and_pid(void **state)
{
    (void)state;
    struct listener l;
    listener_bind(&l, false);
    struct notify n;
    char err[256];

    /* Unset WATCHDOG_PID: ours. Ping at half the timeout. */
    assert_int_equal(notify_init(&n, l.path, "3000000", NULL, 42, err, sizeof err), 0);
    assert_true(notify_watchdog_interval(&n) == 1.5);
    notify_close(&n);
    /* WATCHDOG_PID is us. */
    assert_int_equal(notify_init(&n, l.path, "3000000", "42", 42, err, sizeof err), 0);
    assert_true(notify_watchdog_interval(&n) == 1.5);
    notify_close(&n);
    /* Another process's watchdog: not ours to feed. */
    assert_int_equal(notify_init(&n, l.path, "3000000", "43", 42, err, sizeof err), 0);
    assert_true(notify_enabled(&n));
    assert_true(notify_watchdog_interval(&n) == 0.0);
    notify_close(&n);
    /* Malformed values: reported, watchdog off, notifications still on. */
    assert_int_equal(notify_init(&n, l.path, "soon", NULL, 42, err, sizeof err), -1);
    assert_non_null(strstr(err, "WATCHDOG_USEC"));
    assert_true(notify_enabled(&n));
    assert_true(notify_watchdog_interval(&n) == 0.0);
    notify_close(&n);
    assert_int_equal(notify_init(&n, l.path, "0", NULL, 42, err, sizeof err), -1);
    assert_true(notify_watchdog_interval(&n) == 0.0);
    notify_close(&n);
    assert_int_equal(notify_init(&n, l.path, "3000000", "-1", 42, err, sizeof err), -1);
    assert_non_null(strstr(err, "WATCHDOG_PID"));
    assert_true(notify_watchdog_interval(&n) == 0.0);
    notify_close(&n);
    listener_close(&l);
}

struct status_src {
    int conns;
    int calls;
};

static void status_text(void *ctx, char *buf, size_t len)
{
    struct status_src *s = ctx;
    s->calls++;
    snprintf(buf, len, "serving 1 interface(s), %d connection(s)", s->conns);
}

/* The timers' callbacks are invoked directly (ev_invoke): what they send
 * is tested, not when libev fires them. */
static void test_timers_send_watchdog_and_changed_status(void **state)
{
    (void)state;
    struct listener l;
    listener_bind(&l, false);
    struct notify n;
    char err[256];
    assert_int_equal(notify_init(&n, l.path, "2000000", NULL, 42, err, sizeof err), 0);
    struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
    assert_non_null(loop);
    struct status_src src = { 0, 0 };
    notify_start(&n, loop, status_text, &src);
    assert_true(ev_is_active(&n.watchdog_timer));
    assert_true(ev_is_active(&n.status_timer));
    assert_true(n.watchdog_timer.repeat == 1.0);

    ev_invoke(loop, &n.watchdog_timer, EV_TIMER);
    expect_msg(&l, "WATCHDOG=1");

    ev_invoke(loop, &n.status_timer, EV_TIMER);
    expect_msg(&l, "STATUS=serving 1 interface(s), 0 connection(s)");
    ev_invoke(loop, &n.status_timer, EV_TIMER); /* unchanged: nothing sent */
    expect_nothing(&l);
    src.conns = 3;
    assert_int_equal(notify_refresh_status(&n), 0);
    expect_msg(&l, "STATUS=serving 1 interface(s), 3 connection(s)");
    assert_int_equal(src.calls, 3);

    notify_close(&n);
    assert_false(ev_is_active(&n.watchdog_timer));
    assert_false(ev_is_active(&n.status_timer));
    ev_loop_destroy(loop);
    listener_close(&l);
}

static void test_no_watchdog_timer_without_watchdog_usec(void **state)
{
    (void)state;
    struct listener l;
    listener_bind(&l, false);
    struct notify n;
    char err[256];
    assert_int_equal(notify_init(&n, l.path, NULL, NULL, 42, err, sizeof err), 0);
    struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
    assert_non_null(loop);
    notify_start(&n, loop, NULL, NULL);
    assert_false(ev_is_active(&n.watchdog_timer));
    assert_false(ev_is_active(&n.status_timer));
    notify_close(&n);
    ev_loop_destroy(loop);
    listener_close(&l);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_no_socket_is_a_quiet_no_op),
        cmocka_unit_test(test_exact_messages_on_a_path_socket),
        cmocka_unit_test(test_abstract_socket_name),
        cmocka_unit_test(test_bad_socket_address_is_refused),
        cmocka_unit_test(test_gone_manager_gives_an_error_not_a_crash),
        cmocka_unit_test(test_watchdog_usec_and_pid),
        cmocka_unit_test(test_timers_send_watchdog_and_changed_status),
        cmocka_unit_test(test_no_watchdog_timer_without_watchdog_usec),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
