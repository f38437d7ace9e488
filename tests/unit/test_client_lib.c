/* test_client_lib.c - libtcpip's logic without a daemon or the network:
 * sockaddr conversion (checked like Linux does), the backend choice from
 * the environment, the socket backend as the kernel's own calls (on a Unix
 * socketpair), and the fd table. The direct backend against a fake tcpipd
 * is in test_client_direct.c. */

#include <errno.h>
#include <fcntl.h>
#include <dirent.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "client-lib/internal.h"
#include "tests/unit/support/client_fixture.h"

/* ---- sockaddr conversion ---- */

static void test_sockaddr_in_round_trip(void **state)
{
    struct sockaddr_in in = tcl_sin4("10.77.0.2", 8080), out;
    struct ipc_endpoint ep;
    socklen_t len = sizeof out;

    (void)state;
    assert_int_equal(libtcpip_sockaddr_to_ep(AF_INET, (struct sockaddr *)&in, sizeof in, false,
                                             &ep), 0);
    assert_int_equal(ep.family, IPC_AF_INET);
    assert_int_equal(ep.port, 8080);
    assert_memory_equal(ep.addr, "\x0a\x4d\x00\x02", 4);
    assert_int_equal(libtcpip_ep_to_sockaddr(AF_INET, &ep, (struct sockaddr *)&out, &len), 0);
    assert_int_equal(len, sizeof out);
    assert_int_equal(out.sin_family, AF_INET);
    assert_int_equal(out.sin_port, in.sin_port);
    assert_int_equal(out.sin_addr.s_addr, in.sin_addr.s_addr);
}

static void test_sockaddr_checks_like_linux(void **state)
{
    struct sockaddr_in in = tcl_sin4("10.77.0.2", 80);
    struct sockaddr_in6 in6;
    struct sockaddr sa_unspec = { .sa_family = AF_UNSPEC };
    struct ipc_endpoint ep;

    (void)state;
    memset(&in6, 0, sizeof in6);
    in6.sin6_family = AF_INET6;
    /* short length: EINVAL; wrong family: EAFNOSUPPORT */
    assert_int_equal(libtcpip_sockaddr_to_ep(AF_INET, (struct sockaddr *)&in, sizeof in - 1,
                                             false, &ep), EINVAL);
    /* as move_addr_to_kernel: NULL with a length EFAULT, a length past
     * sockaddr_storage EINVAL (before anything is read) */
    assert_int_equal(libtcpip_sockaddr_to_ep(AF_INET, NULL, sizeof in, false, &ep), EFAULT);
    assert_int_equal(libtcpip_sockaddr_to_ep(AF_INET, NULL, 0, false, &ep), EINVAL);
    assert_int_equal(libtcpip_sockaddr_to_ep(AF_INET, NULL, 129, false, &ep), EINVAL);
    assert_int_equal(libtcpip_sockaddr_to_ep(AF_INET, (struct sockaddr *)&in, (socklen_t)-1,
                                             false, &ep), EINVAL);
    assert_int_equal(libtcpip_sockaddr_to_ep(AF_INET, (struct sockaddr *)&in6, sizeof in6,
                                             false, &ep), EAFNOSUPPORT);
    assert_int_equal(libtcpip_sockaddr_to_ep(AF_INET6, (struct sockaddr *)&in, sizeof in6,
                                             false, &ep), EAFNOSUPPORT);
    assert_int_equal(libtcpip_sockaddr_to_ep(AF_INET6, (struct sockaddr *)&in6, 23, false, &ep),
                     EINVAL);
    /* the RFC 2133 size (24, no scope id) is enough */
    assert_int_equal(libtcpip_sockaddr_to_ep(AF_INET6, (struct sockaddr *)&in6, 24, false, &ep),
                     0);
    /* AF_UNSPEC: bind takes it only with INADDR_ANY (inet_bind) */
    assert_int_equal(libtcpip_sockaddr_to_ep(AF_INET, &sa_unspec, sizeof sa_unspec, false, &ep),
                     0);
    assert_int_equal(ep.family, IPC_AF_INET);
    sa_unspec.sa_data[2] = 10;
    assert_int_equal(libtcpip_sockaddr_to_ep(AF_INET, &sa_unspec, sizeof sa_unspec, false, &ep),
                     EAFNOSUPPORT);
    /* connect/sendto take it as "no address" */
    assert_int_equal(libtcpip_sockaddr_to_ep(AF_INET, &sa_unspec, sizeof sa_unspec, true, &ep),
                     0);
    assert_int_equal(ep.family, IPC_AF_UNSPEC);
}

static void test_sockaddr_in6_and_v4_mapped(void **state)
{
    struct sockaddr_in6 in6, out;
    struct ipc_endpoint ep;
    socklen_t len = sizeof out;

    (void)state;
    memset(&in6, 0, sizeof in6);
    in6.sin6_family = AF_INET6;
    in6.sin6_port = htons(7);
    memcpy(&in6.sin6_addr, "\xfd\x77\0\0\0\0\0\0\0\0\0\0\0\0\0\x01", 16);
    assert_int_equal(libtcpip_sockaddr_to_ep(AF_INET6, (struct sockaddr *)&in6, sizeof in6,
                                             false, &ep), 0);
    assert_int_equal(ep.family, IPC_AF_INET6);
    assert_int_equal(ep.port, 7);
    assert_memory_equal(ep.addr, &in6.sin6_addr, 16);
    assert_int_equal(libtcpip_ep_to_sockaddr(AF_INET6, &ep, (struct sockaddr *)&out, &len), 0);
    assert_int_equal(len, sizeof out);
    assert_memory_equal(&out.sin6_addr, &in6.sin6_addr, 16);
    /* An IPv4 endpoint on an IPv6 socket reads back v4-mapped. */
    ep = tcl_ep4(10, 77, 0, 2, 9);
    len = sizeof out;
    assert_int_equal(libtcpip_ep_to_sockaddr(AF_INET6, &ep, (struct sockaddr *)&out, &len), 0);
    assert_int_equal(out.sin6_family, AF_INET6);
    assert_memory_equal(&out.sin6_addr, "\0\0\0\0\0\0\0\0\0\0\xff\xff\x0a\x4d\x00\x02", 16);
    assert_int_equal(ntohs(out.sin6_port), 9);
}

static void test_sockaddr_out_truncates_like_kernel(void **state)
{
    struct ipc_endpoint ep = tcl_ep4(10, 77, 0, 1, 0x1234), none;
    uint8_t buf[32];
    socklen_t len = 4;
    struct sockaddr_in out;

    (void)state;
    memset(buf, 0xaa, sizeof buf);
    assert_int_equal(libtcpip_ep_to_sockaddr(AF_INET, &ep, (struct sockaddr *)buf, &len), 0);
    assert_int_equal(len, sizeof(struct sockaddr_in));  /* the full size */
    assert_int_equal(buf[4], 0xaa);                      /* only 4 bytes written */
    assert_int_equal(buf[2], 0x12);
    /* unbound: the family's unspecified address */
    memset(&none, 0, sizeof none);
    len = sizeof out;
    assert_int_equal(libtcpip_ep_to_sockaddr(AF_INET, &none, (struct sockaddr *)&out, &len), 0);
    assert_int_equal(out.sin_family, AF_INET);
    assert_int_equal(out.sin_addr.s_addr, 0);
    assert_int_equal(out.sin_port, 0);
    assert_int_equal(libtcpip_ep_to_sockaddr(AF_INET, &ep, (struct sockaddr *)&out, NULL),
                     EINVAL);
}

/* ---- backend choice ---- */

static void test_backend_parse(void **state)
{
    (void)state;
    assert_int_equal(libtcpip_parse_backend(NULL), TCPIP_BACKEND_DEFAULT);
    assert_int_equal(libtcpip_parse_backend(""), TCPIP_BACKEND_DEFAULT);
    assert_int_equal(libtcpip_parse_backend("direct"), TCPIP_BACKEND_DIRECT);
    assert_int_equal(libtcpip_parse_backend("socket"), TCPIP_BACKEND_SOCKET);
    assert_int_equal(libtcpip_parse_backend("kernel"), -1);
}

static void test_backend_from_env(void **state)
{
    (void)state;
    libtcpip_reset_backend();
    unsetenv("TCPIP_BACKEND");
    assert_string_equal(tcpip_backend_name(), "direct");
    libtcpip_reset_backend();
    setenv("TCPIP_BACKEND", "socket", 1);
    assert_string_equal(tcpip_backend_name(), "socket");
    /* tcpip_init overrides the environment before the first socket */
    assert_int_equal(tcpip_init(TCPIP_BACKEND_DIRECT, NULL), 0);
    assert_string_equal(tcpip_backend_name(), "direct");
    libtcpip_reset_backend();
    setenv("TCPIP_BACKEND", "bogus", 1);
    errno = 0;
    assert_int_equal(tcpip_init(TCPIP_BACKEND_DEFAULT, NULL), -1);
    assert_int_equal(errno, EINVAL);
    errno = 0;
    assert_int_equal(tcpip_socket(AF_INET, SOCK_STREAM, 0), -1);
    assert_int_equal(errno, EINVAL);
    assert_int_equal(tcpip_init((enum tcpip_backend)7, NULL), -1);
    unsetenv("TCPIP_BACKEND");
    libtcpip_reset_backend();
}

static void test_daemon_path_from_env(void **state)
{
    char longpath[200];

    (void)state;
    libtcpip_reset_backend();
    unsetenv("TCPIP_SOCKET");
    assert_string_equal(libtcpip_direct_path(), IPC_DEFAULT_PATH);
    setenv("TCPIP_SOCKET", "/tmp/x.sock", 1);
    assert_string_equal(libtcpip_direct_path(), "/tmp/x.sock");
    assert_int_equal(tcpip_init(TCPIP_BACKEND_DIRECT, "/tmp/y.sock"), 0);
    assert_string_equal(libtcpip_direct_path(), "/tmp/y.sock");
    memset(longpath, 'a', sizeof longpath - 1);
    longpath[sizeof longpath - 1] = '\0';
    assert_int_equal(tcpip_init(TCPIP_BACKEND_DIRECT, longpath), -1);
    assert_int_equal(errno, ENAMETOOLONG);
    unsetenv("TCPIP_SOCKET");
    libtcpip_reset_backend();
}

/* ---- the fd table ---- */

static void test_table_grows_and_forgets(void **state)
{
    (void)state;
    struct dsock *a = libtcpip_dsock_new(IPC_PROTO_TCP, AF_INET);
    struct dsock *b = libtcpip_dsock_new(IPC_PROTO_UDP, AF_INET6);
    assert_non_null(a);
    assert_non_null(b);
    assert_int_equal(libtcpip_table_set(3, a), 0);
    assert_int_equal(libtcpip_table_set(5000, b), 0);
    assert_true(libtcpip_table_capacity() > 5000);
    struct dsock *g = libtcpip_table_get(5000);
    assert_ptr_equal(g, b);
    assert_int_equal(g->proto, IPC_PROTO_UDP);
    libtcpip_dsock_put(g);
    assert_null(libtcpip_table_get(4999));
    assert_null(libtcpip_table_get(-1));
    assert_null(libtcpip_table_get(1 << 30));
    /* dup: the new number shares the entry; the old one replaced */
    assert_true(libtcpip_table_dup(3, 4999));
    g = libtcpip_table_get(4999);
    assert_ptr_equal(g, a);
    libtcpip_dsock_put(g);
    assert_true(libtcpip_table_dup(3, 5000)); /* dup2 over b: b forgotten */
    g = libtcpip_table_get(5000);
    assert_ptr_equal(g, a);
    libtcpip_dsock_put(g);
    assert_false(libtcpip_table_dup(7, 5000)); /* an unknown fd over it: forgotten too */
    assert_null(libtcpip_table_get(5000));
    /* a dropped entry lives on while a user holds it */
    g = libtcpip_table_get(3);
    assert_true(libtcpip_table_drop(3));
    assert_false(libtcpip_table_drop(3));
    assert_null(libtcpip_table_get(3));
    assert_int_equal(g->proto, IPC_PROTO_TCP);
    libtcpip_dsock_put(g);
    assert_true(libtcpip_table_drop(4999));
    libtcpip_dsock_put(a);
    libtcpip_dsock_put(b);
}

/* The kind map (internal.h) follows the table and every state change:
 * a fast kind only where a plain read or write is right for every fd
 * naming the socket. */
static void test_kind_map(void **state)
{
    (void)state;
    struct dsock *t = libtcpip_dsock_new(IPC_PROTO_TCP, AF_INET);
    struct dsock *u = libtcpip_dsock_new(IPC_PROTO_UDP, AF_INET);
    assert_non_null(t);
    assert_non_null(u);
    assert_int_equal(libtcpip_kind(10), DKIND_NONE);
    assert_int_equal(libtcpip_kind(-1), DKIND_NONE);
    assert_int_equal(libtcpip_kind(1 << 30), DKIND_NONE);
    /* new TCP: not connected (read must say ENOTCONN): the library's way */
    assert_int_equal(libtcpip_table_set(10, t), 0);
    assert_int_equal(libtcpip_kind(10), DKIND_OTHER);
    assert_true(libtcpip_table_dup(10, 9000));          /* a second chunk */
    assert_int_equal(libtcpip_kind(9000), DKIND_OTHER);
    /* connected: both fds become the stream */
    t->state = DSOCK_CONNECTED;
    libtcpip_dsock_changed(t);
    assert_int_equal(libtcpip_kind(10), DKIND_STREAM);
    assert_int_equal(libtcpip_kind(9000), DKIND_STREAM);
    /* corked by MSG_MORE, or shut for writing: the library's way again */
    t->corked = true;
    libtcpip_dsock_changed(t);
    assert_int_equal(libtcpip_kind(9000), DKIND_OTHER);
    t->corked = false;
    t->wr_shut = true;
    libtcpip_dsock_changed(t);
    assert_int_equal(libtcpip_kind(10), DKIND_OTHER);
    /* UDP: framed while unconnected, bare datagrams once connected */
    assert_int_equal(libtcpip_table_set(11, u), 0);
    assert_int_equal(libtcpip_kind(11), DKIND_OTHER);
    u->state = DSOCK_CONNECTED;
    libtcpip_dsock_changed(u);
    assert_int_equal(libtcpip_kind(11), DKIND_DGRAM);
    u->state = DSOCK_DEAD;
    libtcpip_dsock_changed(u);
    assert_int_equal(libtcpip_kind(11), DKIND_OTHER);
    /* dup2 of u over 10: 10 names u; close_range forgets a span */
    assert_true(libtcpip_table_dup(11, 10));
    assert_int_equal(libtcpip_kind(10), DKIND_OTHER);
    libtcpip_table_drop_range(10, 11);
    assert_int_equal(libtcpip_kind(10), DKIND_NONE);
    assert_int_equal(libtcpip_kind(11), DKIND_NONE);
    assert_int_equal(libtcpip_kind(9000), DKIND_OTHER);
    libtcpip_table_drop_range(12, UINT32_MAX);
    assert_int_equal(libtcpip_kind(9000), DKIND_NONE);
    assert_null(libtcpip_table_get(9000));
    /* past the map: no socket of ours can live there */
    assert_int_equal(libtcpip_table_set(LIBTCPIP_MAX_FD, t), EMFILE);
    assert_int_equal(libtcpip_kind(LIBTCPIP_MAX_FD), DKIND_NONE);
    libtcpip_dsock_put(t);
    libtcpip_dsock_put(u);
}

/* fork while another thread holds the table's lock: the child must find
 * it free (pthread_atfork), or its first close of a socket hangs. */
static atomic_bool churn_stop;

static void *table_churn(void *arg)
{
    struct dsock *ds = arg;
    while (!atomic_load(&churn_stop)) {
        libtcpip_table_set(20, ds);
        libtcpip_table_drop(20);
    }
    return NULL;
}

static void test_fork_with_table_busy(void **state)
{
    (void)state;
    struct dsock *ds = libtcpip_dsock_new(IPC_PROTO_TCP, AF_INET);
    assert_non_null(ds);
    assert_int_equal(libtcpip_table_set(21, ds), 0);
    pthread_t t;
    atomic_store(&churn_stop, false);
    assert_int_equal(pthread_create(&t, NULL, table_churn, ds), 0);
    for (int i = 0; i < 200; i++) {
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
            alarm(5);            /* a child stuck on the lock dies of it */
            libtcpip_table_drop(21);
            _exit(libtcpip_kind(21) == DKIND_NONE ? 0 : 1);
        }
        int st;
        assert_int_equal(waitpid(pid, &st, 0), pid);
        if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
            fail_msg("fork %d: the child %s", i,
                     WIFSIGNALED(st) ? "hung on the table's lock" : "failed");
    }
    atomic_store(&churn_stop, true);
    pthread_join(t, NULL);
    libtcpip_table_drop(21);
    libtcpip_dsock_put(ds);
}

/* The socket backend is the kernel's calls, unchanged: shown on a Unix
 * socketpair, which sends nothing on any network. */
static void test_socket_backend_is_the_kernel(void **state)
{
    int sp[2], type = 0;
    socklen_t len = sizeof type;
    char buf[8];

    (void)state;
    libtcpip_reset_backend();
    assert_int_equal(tcpip_init(TCPIP_BACKEND_SOCKET, NULL), 0);
    assert_string_equal(tcpip_backend_name(), "socket");
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sp), 0);
    assert_int_equal(tcpip_getsockopt(sp[0], SOL_SOCKET, SO_TYPE, &type, &len), 0);
    assert_int_equal(type, SOCK_STREAM);
    assert_int_equal(tcpip_send(sp[0], "abc", 3, 0), 3);
    assert_int_equal(tcpip_recv(sp[1], buf, sizeof buf, 0), 3);
    assert_int_equal(tcpip_shutdown(sp[0], SHUT_WR), 0);
    assert_int_equal(tcpip_recv(sp[1], buf, sizeof buf, 0), 0);
    assert_int_equal(tcpip_listen(sp[0], 1), -1);
    assert_int_equal(errno, EINVAL);          /* what listen(2) says here */
    assert_int_equal(tcpip_close(sp[0]), 0);
    assert_int_equal(tcpip_close(sp[1]), 0);
    libtcpip_reset_backend();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sockaddr_in_round_trip),
        cmocka_unit_test(test_sockaddr_checks_like_linux),
        cmocka_unit_test(test_sockaddr_in6_and_v4_mapped),
        cmocka_unit_test(test_sockaddr_out_truncates_like_kernel),
        cmocka_unit_test(test_backend_parse),
        cmocka_unit_test(test_backend_from_env),
        cmocka_unit_test(test_daemon_path_from_env),
        cmocka_unit_test(test_table_grows_and_forgets),
        cmocka_unit_test(test_kind_map),
        cmocka_unit_test(test_fork_with_table_busy),
        cmocka_unit_test(test_socket_backend_is_the_kernel),
    };
    /* A test that fails must fail by assertion, not by SIGPIPE. */
    signal(SIGPIPE, SIG_IGN);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
