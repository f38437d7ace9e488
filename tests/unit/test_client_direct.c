/* test_client_direct.c - libtcpip's direct backend against a fake tcpipd
 * (tests/unit/support/client_fixture.h): its side of the IPC protocol
 * (ipc/PROTOCOL.md) for every call, hostile and missing daemons, errno
 * semantics, fd leaks, accept, UDP and threads.
 *
 * The test plays the daemon's side of each data fd itself. Nothing here
 * touches an IP socket. */

#include <arpa/inet.h>
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
#include <unistd.h>

#include <cmocka.h>

#include "client-lib/internal.h"
#include "tests/unit/support/client_fixture.h"

/* Start the fake daemon (tests/unit/support/client_fixture.h) and point
 * the library's direct backend at its socket. This half lives here, not in
 * the fixture, because it calls libtcpip, which only the client tests link. */
static int fake_setup(void **state)
{
    struct sockaddr_un a;

    (void)state;
    memset(&tcl_fk, 0, sizeof tcl_fk);
    pthread_mutex_init(&tcl_fk.mu, NULL);
    tcl_fk.connect_err = EINPROGRESS;
    snprintf(tcl_fk.dir, sizeof tcl_fk.dir, "/tmp/tcpip-clientlib.XXXXXX");
    assert_non_null(mkdtemp(tcl_fk.dir));
    snprintf(tcl_fk.path, sizeof tcl_fk.path, "%s/tcpipd.sock", tcl_fk.dir);
    memset(&a, 0, sizeof a);
    a.sun_family = AF_UNIX;
    snprintf(a.sun_path, sizeof a.sun_path, "%s", tcl_fk.path);
    tcl_fk.listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    assert_true(tcl_fk.listen_fd >= 0);
    assert_int_equal(bind(tcl_fk.listen_fd, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(listen(tcl_fk.listen_fd, 16), 0);
    assert_int_equal(pipe2(tcl_fk.stop, O_CLOEXEC), 0);
    assert_int_equal(pthread_create(&tcl_fk.thread, NULL, tcl_fake_main, NULL), 0);
    libtcpip_reset_backend();
    assert_int_equal(tcpip_init(TCPIP_BACKEND_DIRECT, tcl_fk.path), 0);
    return 0;
}

static int fake_teardown(void **state)
{
    (void)state;
    assert_int_equal(write(tcl_fk.stop[1], "x", 1), 1);
    pthread_join(tcl_fk.thread, NULL);
    close(tcl_fk.stop[0]);
    close(tcl_fk.stop[1]);
    close(tcl_fk.listen_fd);
    for (int i = 0; i < tcl_fk.npeers; i++)
        close(tcl_fk.peers[i]);
    unlink(tcl_fk.path);
    rmdir(tcl_fk.dir);
    pthread_mutex_destroy(&tcl_fk.mu);
    libtcpip_reset_backend();
    libtcpip_sessions_reset();
    libtcpip_table_clear();
    return 0;
}

/* The fds of the library's own, without its pooled sessions: what a
 * socket leaves behind once closed must be nothing. */
static int lib_fds(void)
{
    libtcpip_sessions_reset();
    return tcl_count_fds();
}

/* After the first socket the choice is final. */
static void test_backend_final_after_socket(void **state)
{
    (void)state;
    int fd = tcpip_socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    assert_int_equal(tcpip_init(TCPIP_BACKEND_DIRECT, tcl_fk.path), 0);
    assert_int_equal(tcpip_init(TCPIP_BACKEND_SOCKET, NULL), -1);
    assert_int_equal(errno, EBUSY);
    assert_int_equal(tcpip_init(TCPIP_BACKEND_DIRECT, "/elsewhere.sock"), -1);
    assert_int_equal(errno, EBUSY);
    assert_string_equal(tcpip_backend_name(), "direct");
    assert_int_equal(tcpip_close(fd), 0);
}

static void test_unknown_fd(void **state)
{
    int p[2];
    char c = 0;

    (void)state;
    assert_int_equal(pipe(p), 0);
    assert_int_equal(tcpip_send(p[1], &c, 1, 0), -1);
    assert_int_equal(errno, ENOTSOCK);
    assert_int_equal(tcpip_listen(p[0], 1), -1);
    assert_int_equal(errno, ENOTSOCK);
    /* tcpip_read and tcpip_write take any fd, as read(2) and write(2)
     * (tcpip/bsd.h maps those names to them) */
    assert_int_equal(tcpip_write(p[1], "x", 1), 1);
    assert_int_equal(tcpip_read(p[0], &c, 1), 1);
    assert_int_equal(c, 'x');
    /* a Unix socket that is no socket of the daemon: read(2) too */
    int sp[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sp), 0);
    assert_int_equal(tcpip_write(sp[0], "y", 1), 1);
    assert_int_equal(tcpip_read(sp[1], &c, 1), 1);
    assert_int_equal(c, 'y');
    close(sp[0]);
    close(sp[1]);
    /* close works on any fd, as close(2) */
    assert_int_equal(tcpip_close(p[0]), 0);
    assert_int_equal(tcpip_close(p[1]), 0);
    assert_int_equal(tcpip_recv(p[0], &c, 1, 0), -1);
    assert_int_equal(errno, EBADF);
}

/* ---- the direct backend against the fake daemon ---- */

static void test_socket_arguments(void **state)
{
    (void)state;
    assert_int_equal(tcpip_socket(AF_UNIX, SOCK_STREAM, 0), -1);
    assert_int_equal(errno, EAFNOSUPPORT);
    assert_int_equal(tcpip_socket(AF_INET, SOCK_STREAM, IPPROTO_UDP), -1);
    assert_int_equal(errno, EPROTONOSUPPORT);
    assert_int_equal(tcpip_socket(AF_INET, SOCK_SEQPACKET, 0), -1);
    assert_int_equal(errno, ESOCKTNOSUPPORT);
    assert_int_equal(tcl_fake_requests(), 0);   /* refused before asking the daemon */
}

static void test_socket_open_and_close(void **state)
{
    (void)state;
    int before = lib_fds();
    int fd = tcpip_socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    assert_true(fd >= 0);
    assert_int_equal(tcl_fk.last.h.type, IPC_OP_OPEN);
    assert_int_equal(tcl_fk.last.u.open.proto, IPC_PROTO_TCP);
    assert_int_equal(tcl_fk.last.u.open.family, IPC_AF_INET);
    assert_true(fcntl(fd, F_GETFL) & O_NONBLOCK);
    assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
    int type = 0;
    socklen_t len = sizeof type;
    assert_int_equal(tcpip_getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len), 0);
    assert_int_equal(type, SOCK_STREAM);
    assert_int_equal(tcpip_close(fd), 0);
    assert_int_equal(lib_fds(), before);   /* the socket is its fd: nothing else left */
    /* close(2) instead of tcpip_close leaves nothing behind either */
    fd = tcpip_socket(AF_INET, SOCK_DGRAM, 0);
    assert_true(fd >= 0);
    assert_int_equal(close(fd), 0);
    assert_int_equal(lib_fds(), before);
}

/* One session serves every socket of the process, one request at a time
 * each: 10 sockets and 30 requests cost one Unix connection. */
static void test_sessions_shared(void **state)
{
    int fds[10], one = 1;

    (void)state;
    int before = lib_fds();
    for (int i = 0; i < 10; i++) {
        fds[i] = tcpip_socket(AF_INET, SOCK_STREAM, 0);
        assert_true(fds[i] >= 0);
        assert_int_equal(tcpip_setsockopt(fds[i], SOL_SOCKET, SO_KEEPALIVE, &one, sizeof one), 0);
        assert_int_equal(tcl_fk.last_fd_peer, tcl_fk.npeers - 1); /* the fd named it */
    }
    assert_int_equal(tcl_count_fds(), before + 10 + 1);
    for (int i = 0; i < 10; i++)
        assert_int_equal(tcpip_close(fds[i]), 0);
    assert_int_equal(lib_fds(), before);
}

static void test_daemon_absent(void **state)
{
    char path[96];
    struct sockaddr_un a;

    (void)state;
    snprintf(path, sizeof path, "%s/none.sock", tcl_fk.dir);
    libtcpip_reset_backend();
    assert_int_equal(tcpip_init(TCPIP_BACKEND_DIRECT, path), 0);
    assert_int_equal(tcpip_socket(AF_INET, SOCK_STREAM, 0), -1);
    assert_int_equal(errno, ENOENT);
    /* the help names the socket path, not a bare ENOENT */
    assert_non_null(strstr(tcpip_strerror(ENOENT), path));
    assert_non_null(strstr(tcpip_strerror(ENOENT), "tcpipd"));
    assert_string_equal(tcpip_strerror(EINVAL), strerror(EINVAL));
    /* bound but nobody listening: what connect(2) says */
    int s = socket(AF_UNIX, SOCK_STREAM, 0);
    memset(&a, 0, sizeof a);
    a.sun_family = AF_UNIX;
    snprintf(a.sun_path, sizeof a.sun_path, "%s", path);
    assert_int_equal(bind(s, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(tcpip_socket(AF_INET, SOCK_DGRAM, 0), -1);
    assert_int_equal(errno, ECONNREFUSED);
    close(s);
    unlink(path);
}

static void check_open_fails(enum fake_mode mode, int want_errno)
{
    int before = lib_fds();

    tcl_fake_set(mode, FAKE_OK, 0);
    errno = 0;
    assert_int_equal(tcpip_socket(AF_INET, SOCK_STREAM, 0), -1);
    assert_int_equal(errno, want_errno);
    assert_int_equal(lib_fds(), before);   /* nothing leaked, stray fds included */
}

static void test_open_hostile_replies(void **state)
{
    (void)state;
    check_open_fails(FAKE_NO_FD, EPROTO);
    check_open_fails(FAKE_TWO_FDS, EPROTO);
    check_open_fails(FAKE_PIPE_FD, EPROTO);
    check_open_fails(FAKE_BAD_MAGIC, EPROTO);
    check_open_fails(FAKE_BAD_LEN, EPROTO);
    check_open_fails(FAKE_BAD_ERRNO, EPROTO);
    check_open_fails(FAKE_OTHER_VERSION, EPROTONOSUPPORT);
    check_open_fails(FAKE_TRUNCATED, ENETDOWN);
    check_open_fails(FAKE_HANGUP, ENETDOWN);
}

/* tcpipd goes away (PROTOCOL.md 7.1): every call on its sockets fails
 * with ENETDOWN, SO_ERROR says ENETDOWN, close works. */
static void test_daemon_gone_mid_life(void **state)
{
    struct sockaddr_in a = tcl_sin4("10.77.0.1", 7);

    (void)state;
    int fd = tcpip_socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    tcl_fake_set(FAKE_OK, FAKE_HANGUP, 0);
    assert_int_equal(tcpip_bind(fd, (struct sockaddr *)&a, sizeof a), -1);
    assert_int_equal(errno, ENETDOWN);
    /* a restarted daemon does not know the socket: ENETDOWN as well */
    tcl_fake_set(FAKE_OK, FAKE_UNKNOWN, 0);
    assert_int_equal(tcpip_listen(fd, 5), -1);
    assert_int_equal(errno, ENETDOWN);
    int err = 0;
    socklen_t len = sizeof err;
    tcl_fake_set(FAKE_OK, FAKE_HANGUP, 0);
    assert_int_equal(tcpip_getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len), 0);
    assert_int_equal(err, ENETDOWN);
    assert_int_equal(tcpip_close(fd), 0);
}

/* The daemon dies under a connection: its end of the data fd closes and
 * nobody answers. recv and send say ENETDOWN, not a FIN. */
static void test_daemon_gone_under_connection(void **state)
{
    struct sockaddr_in b = tcl_sin4("10.77.0.2", 80);
    char buf[4];

    (void)state;
    int fd = tcpip_socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    assert_int_equal(tcpip_connect(fd, (struct sockaddr *)&b, sizeof b), 0);
    tcl_fake_set(FAKE_OK, FAKE_HANGUP, 0);
    assert_int_equal(shutdown(tcl_fake_peer(), SHUT_RDWR), 0);
    assert_int_equal(tcpip_recv(fd, buf, sizeof buf, 0), -1);
    assert_int_equal(errno, ENETDOWN);
    assert_int_equal(tcpip_send(fd, "x", 1, MSG_NOSIGNAL), -1);
    assert_int_equal(errno, ENETDOWN);
    assert_int_equal(tcpip_close(fd), 0);
}

/* A malformed reply fails that call with EPROTO and costs its session
 * (we no longer know where the next message starts); the next request
 * goes on a new one. */
static void test_malformed_reply(void **state)
{
    (void)state;
    int fd = tcpip_socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    tcl_fake_set(FAKE_OK, FAKE_STRAY_FD, 0);
    int before = lib_fds();
    assert_int_equal(tcpip_listen(fd, 5), -1);
    assert_int_equal(errno, EPROTO);
    assert_int_equal(lib_fds(), before);   /* the stray fd was closed */
    tcl_fake_set(FAKE_OK, FAKE_BAD_MAGIC, 0);
    assert_int_equal(tcpip_listen(fd, 5), -1);
    assert_int_equal(errno, EPROTO);
    tcl_fake_set(FAKE_OK, FAKE_OK, 0);
    assert_int_equal(tcpip_listen(fd, 5), 0);
    assert_int_equal(tcpip_close(fd), 0);
}

static void test_bind_connect_requests(void **state)
{
    struct sockaddr_in a = tcl_sin4("10.77.0.1", 5555), b = tcl_sin4("10.77.0.2", 80);

    (void)state;
    int fd = tcpip_socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    assert_int_equal(tcpip_bind(fd, (struct sockaddr *)&a, sizeof a - 1), -1);
    assert_int_equal(errno, EINVAL);
    assert_int_equal(tcpip_bind(fd, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(tcl_fk.last.h.type, IPC_OP_BIND);
    assert_int_equal(tcl_fk.last.u.addr.ep.port, 5555);
    assert_memory_equal(tcl_fk.last.u.addr.ep.addr, "\x0a\x4d\x00\x01", 4);
    /* the daemon's errno comes back as is */
    tcl_fake_set(FAKE_OK, FAKE_OK, EADDRINUSE);
    assert_int_equal(tcpip_bind(fd, (struct sockaddr *)&a, sizeof a), -1);
    assert_int_equal(errno, EADDRINUSE);
    /* a refusal the daemon knows at once */
    tcl_fake_set(FAKE_OK, FAKE_OK, 0);
    pthread_mutex_lock(&tcl_fk.mu);
    tcl_fk.connect_err = ECONNREFUSED;
    pthread_mutex_unlock(&tcl_fk.mu);
    assert_int_equal(tcpip_connect(fd, (struct sockaddr *)&b, sizeof b), -1);
    assert_int_equal(errno, ECONNREFUSED);
    assert_int_equal(tcl_fk.last.h.type, IPC_OP_CONNECT);
    assert_int_equal(tcl_fk.last.h.flags, 0);
    /* a blocking connect: EINPROGRESS from the daemon, the library waits
     * for the fd to poll writable, then asks for the outcome */
    pthread_mutex_lock(&tcl_fk.mu);
    tcl_fk.connect_err = EINPROGRESS;
    tcl_fk.geterr_value = ETIMEDOUT;
    pthread_mutex_unlock(&tcl_fk.mu);
    assert_int_equal(tcpip_connect(fd, (struct sockaddr *)&b, sizeof b), -1);
    assert_int_equal(errno, ETIMEDOUT);
    assert_int_equal(tcl_fk.last.h.type, IPC_OP_GETERR);
    int fd2 = tcpip_socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd2 >= 0);
    assert_int_equal(tcpip_connect(fd2, (struct sockaddr *)&b, sizeof b), 0);
    assert_int_equal(tcl_fk.last.h.type, IPC_OP_GETERR);
    assert_int_equal(tcpip_close(fd), 0);
    assert_int_equal(tcpip_close(fd2), 0);
}

static void test_nonblocking_connect_and_so_error(void **state)
{
    struct sockaddr_in b = tcl_sin4("10.77.0.2", 80);
    int err = -1;
    socklen_t len = sizeof err;

    (void)state;
    int fd = tcpip_socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    assert_true(fd >= 0);
    int n = tcl_fake_requests();
    assert_int_equal(tcpip_connect(fd, (struct sockaddr *)&b, sizeof b), -1);
    assert_int_equal(errno, EINPROGRESS);
    assert_int_equal(tcl_fake_requests(), n + 1); /* no waiting, no GETERR */
    /* SO_ERROR while the connect is under way: 0 at once (PROTOCOL.md 6.7) */
    assert_int_equal(tcpip_getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len), 0);
    assert_int_equal(err, 0);
    pthread_mutex_lock(&tcl_fk.mu);
    tcl_fk.geterr_value = ECONNREFUSED;
    pthread_mutex_unlock(&tcl_fk.mu);
    assert_int_equal(tcpip_getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len), 0);
    assert_int_equal(tcl_fk.last.h.type, IPC_OP_GETERR);
    assert_int_equal(err, ECONNREFUSED);
    assert_int_equal(len, sizeof err);
    assert_int_equal(tcpip_getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len), 0);
    assert_int_equal(err, 0);                 /* read once, then cleared */
    assert_int_equal(tcpip_close(fd), 0);
}

/* EOF or EPIPE on the data fd: GETERR tells a reset from a FIN. */
static void test_tcp_errors_behind_eof(void **state)
{
    struct sockaddr_in b = tcl_sin4("10.77.0.2", 80);
    char buf[16];

    (void)state;
    int fd = tcpip_socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    assert_int_equal(tcpip_recv(fd, buf, sizeof buf, 0), -1);
    assert_int_equal(errno, ENOTCONN);        /* never connected */
    tcl_fake_set(FAKE_OK, FAKE_OK, 0);
    pthread_mutex_lock(&tcl_fk.mu);
    tcl_fk.connect_err = 0;
    pthread_mutex_unlock(&tcl_fk.mu);
    assert_int_equal(tcpip_connect(fd, (struct sockaddr *)&b, sizeof b), 0);
    int peer = tcl_fake_peer();
    assert_int_equal(write(peer, "hi", 2), 2);
    assert_int_equal(tcpip_recv(fd, buf, sizeof buf, 0), 2);
    assert_memory_equal(buf, "hi", 2);
    /* the daemon saw a RST: error recorded, its end closed (POLLHUP) */
    pthread_mutex_lock(&tcl_fk.mu);
    tcl_fk.geterr_value = ECONNRESET;
    pthread_mutex_unlock(&tcl_fk.mu);
    assert_int_equal(shutdown(peer, SHUT_RDWR), 0);
    assert_int_equal(tcpip_recv(fd, buf, sizeof buf, 0), -1);
    assert_int_equal(errno, ECONNRESET);
    assert_int_equal(tcpip_recv(fd, buf, sizeof buf, 0), 0);   /* then plain EOF */
    assert_int_equal(tcpip_recv(fd, buf, 0, 0), 0);            /* no GETERR for len 0 */
    pthread_mutex_lock(&tcl_fk.mu);
    tcl_fk.geterr_value = ETIMEDOUT;
    pthread_mutex_unlock(&tcl_fk.mu);
    assert_int_equal(tcpip_send(fd, "x", 1, 0), -1);           /* no SIGPIPE either */
    assert_int_equal(errno, ETIMEDOUT);
    assert_int_equal(tcpip_send(fd, "x", 1, MSG_NOSIGNAL), -1);
    assert_int_equal(errno, EPIPE);
    assert_int_equal(tcpip_close(fd), 0);
}

static void test_shutdown_order(void **state)
{
    struct sockaddr_in b = tcl_sin4("10.77.0.2", 80);
    char c;

    (void)state;
    int fd = tcpip_socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    assert_int_equal(tcpip_shutdown(fd, 7), -1);
    assert_int_equal(errno, EINVAL);
    tcl_fake_set(FAKE_OK, FAKE_OK, ENOTCONN);
    assert_int_equal(tcpip_shutdown(fd, SHUT_WR), -1);
    assert_int_equal(errno, ENOTCONN);
    tcl_fake_set(FAKE_OK, FAKE_OK, 0);
    assert_int_equal(tcpip_connect(fd, (struct sockaddr *)&b, sizeof b), 0);
    int peer = tcl_fake_peer();
    assert_int_equal(write(fd, "z", 1), 1);
    assert_int_equal(tcpip_shutdown(fd, SHUT_WR), 0);
    assert_int_equal(tcl_fk.last.h.type, IPC_OP_SHUTDOWN);
    assert_int_equal(tcl_fk.last.u.u32.value, 1);
    /* the daemon does the FIN; the fd itself is not shut down, so that
     * its close stays the daemon's sign of the last close */
    assert_int_equal(read(peer, &c, 1), 1);
    struct pollfd p = {.fd = peer, .events = POLLIN | POLLRDHUP};
    assert_int_equal(poll(&p, 1, 0), 0);
    /* this process's writes after SHUT_WR: EPIPE, without a request */
    int n = tcl_fake_requests();
    assert_int_equal(tcpip_send(fd, "z", 1, MSG_NOSIGNAL), -1);
    assert_int_equal(errno, EPIPE);
    assert_int_equal(tcl_fake_requests(), n);
    assert_int_equal(tcpip_close(fd), 0);
    /* now the daemon sees the last close, once the fake daemon's thread
     * has closed the copy the SHUTDOWN request carried (it does so after
     * replying, so not necessarily before our close): wait for it */
    assert_int_equal(poll(&p, 1, 5000), 1);
    assert_true(p.revents & POLLRDHUP);
}

static void test_options(void **state)
{
    int one = 1, v = 0;
    socklen_t len = sizeof v;
    struct linger lg = { .l_onoff = 1, .l_linger = 5 };

    (void)state;
    int fd = tcpip_socket(AF_INET, SOCK_STREAM, 0);
    int u = tcpip_socket(AF_INET, SOCK_DGRAM, 0);
    assert_true(fd >= 0 && u >= 0);
    assert_int_equal(tcpip_setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one), 0);
    assert_int_equal(tcl_fk.last.h.type, IPC_OP_SETOPT);
    assert_int_equal(tcl_fk.last.u.opt.name, IPC_TCP_NODELAY);
    assert_int_equal(tcl_fk.last.u.opt.value, 1);
    assert_int_equal(tcpip_setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg), 0);
    assert_int_equal(tcl_fk.last.u.opt.name, IPC_SO_LINGER);
    assert_int_equal(tcl_fk.last.u.opt.value, 5);
    lg.l_onoff = 0;
    assert_int_equal(tcpip_setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg), 0);
    assert_int_equal(tcl_fk.last.u.opt.value, -1);
    int n = tcl_fake_requests();
    /* answered here, as Linux answers them */
    assert_int_equal(tcpip_setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, 2), -1);
    assert_int_equal(errno, EINVAL);
    assert_int_equal(tcpip_setsockopt(fd, SOL_SOCKET, SO_PRIORITY, &one, sizeof one), -1);
    assert_int_equal(errno, ENOPROTOOPT);
    assert_int_equal(tcpip_setsockopt(u, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one), -1);
    assert_int_equal(errno, ENOPROTOOPT);
    assert_int_equal(tcpip_setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one), -1);
    assert_int_equal(errno, ENOPROTOOPT);
    assert_int_equal(tcpip_setsockopt(fd, SOL_SOCKET, SO_TYPE, &one, sizeof one), -1);
    assert_int_equal(errno, ENOPROTOOPT);
    assert_int_equal(tcl_fake_requests(), n);
    /* getsockopt: the value, and the length as Linux trims it */
    pthread_mutex_lock(&tcl_fk.mu);
    tcl_fk.opt_value = 212992;
    pthread_mutex_unlock(&tcl_fk.mu);
    assert_int_equal(tcpip_getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &v, &len), 0);
    assert_int_equal(tcl_fk.last.u.opt.name, IPC_SO_RCVBUF);
    assert_int_equal(v, 212992);
    assert_int_equal(len, sizeof v);
    pthread_mutex_lock(&tcl_fk.mu);
    tcl_fk.opt_value = 7;
    pthread_mutex_unlock(&tcl_fk.mu);
    len = sizeof lg;
    assert_int_equal(tcpip_getsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, &len), 0);
    assert_int_equal(lg.l_onoff, 1);
    assert_int_equal(lg.l_linger, 7);
    len = sizeof v;
    assert_int_equal(tcpip_getsockopt(u, SOL_SOCKET, SO_TYPE, &v, &len), 0);
    assert_int_equal(v, SOCK_DGRAM);
    n = tcl_fake_requests();
    assert_int_equal(tcpip_getsockopt(u, SOL_SOCKET, SO_DOMAIN, &v, &len), 0);
    assert_int_equal(v, AF_INET);
    assert_int_equal(tcpip_getsockopt(u, SOL_SOCKET, SO_PROTOCOL, &v, &len), 0);
    assert_int_equal(v, IPPROTO_UDP);
    assert_int_equal(tcl_fake_requests(), n);
    /* SO_RCVTIMEO and SO_SNDTIMEO live on the fd itself: the kernel
     * times reads and writes out exactly as a TCP socket's */
    struct timeval tv = {2, 0}, tv2;
    socklen_t tl = sizeof tv2;
    assert_int_equal(tcpip_setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv), 0);
    assert_int_equal(tcpip_getsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv2, &tl), 0);
    assert_int_equal(tv2.tv_sec, 2);
    assert_int_equal(tcl_fake_requests(), n);
    /* TCP_INFO from the daemon's INFO */
    struct tcp_info ti;
    len = sizeof ti;
    assert_int_equal(tcpip_getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len), 0);
    assert_int_equal(len, sizeof ti);
    assert_int_equal(ti.tcpi_state, 1);
    assert_int_equal(ti.tcpi_rtt, 1234);
    assert_int_equal(ti.tcpi_rttvar, 56);
    assert_int_equal(ti.tcpi_snd_cwnd, 10);
    assert_int_equal(ti.tcpi_snd_mss, 1448);
    len = 8;
    assert_int_equal(tcpip_getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len), 0);
    assert_int_equal(len, 8);
    /* Linux's ip_getsockopt: a TCP level on an IPv4 UDP socket */
    assert_int_equal(tcpip_getsockopt(u, IPPROTO_TCP, TCP_INFO, &ti, &len), -1);
    assert_int_equal(errno, EOPNOTSUPP);
    assert_int_equal(tcpip_close(fd), 0);
    assert_int_equal(tcpip_close(u), 0);
}

static void test_names(void **state)
{
    struct sockaddr_in a;
    socklen_t len = sizeof a;

    (void)state;
    int fd = tcpip_socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    pthread_mutex_lock(&tcl_fk.mu);
    tcl_fk.name_local = tcl_ep4(10, 77, 0, 1, 40000);
    memset(&tcl_fk.name_remote, 0, sizeof tcl_fk.name_remote);
    pthread_mutex_unlock(&tcl_fk.mu);
    assert_int_equal(tcpip_getsockname(fd, (struct sockaddr *)&a, &len), 0);
    assert_int_equal(tcl_fk.last.h.type, IPC_OP_GETNAME);
    assert_int_equal(ntohs(a.sin_port), 40000);
    assert_int_equal(tcpip_getpeername(fd, (struct sockaddr *)&a, &len), -1);
    assert_int_equal(errno, ENOTCONN);
    pthread_mutex_lock(&tcl_fk.mu);
    tcl_fk.name_remote = tcl_ep4(10, 77, 0, 2, 80);
    pthread_mutex_unlock(&tcl_fk.mu);
    assert_int_equal(tcpip_getpeername(fd, (struct sockaddr *)&a, &len), 0);
    assert_int_equal(a.sin_addr.s_addr, htonl(0x0a4d0002));
    assert_int_equal(tcpip_close(fd), 0);
}

/* The test plays the daemon: one ACCEPT with the connection's fd. */
static int send_accept(int peer, uint64_t id, int conn_fd, int extra_fd)
{
    struct ipc_accept acc = { .sock_id = id };
    uint8_t msg[IPC_MAX_MSG];
    int fds[2] = { conn_fd, extra_fd };

    acc.local = tcl_ep4(10, 77, 0, 1, 7);
    acc.remote = tcl_ep4(10, 77, 0, 2, 50000);
    size_t n = ipc_encode_accept(msg, sizeof msg, &acc);
    return tcl_send_fds(peer, msg, n, fds, extra_fd >= 0 ? 2 : conn_fd >= 0 ? 1 : 0);
}

static void test_accept(void **state)
{
    struct sockaddr_in a;
    socklen_t len = sizeof a;
    int pair[2], one = 1;
    char buf[8];

    (void)state;
    int lfd = tcpip_socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    assert_true(lfd >= 0);
    assert_int_equal(tcpip_accept(lfd, NULL, NULL), -1);
    assert_int_equal(errno, EINVAL);          /* not listening */
    assert_int_equal(tcpip_listen(lfd, 16), 0);
    assert_int_equal(tcl_fk.last.u.listen.backlog, 16);
    int peer = tcl_fake_peer();
    assert_int_equal(tcpip_accept(lfd, NULL, NULL), -1);
    assert_int_equal(errno, EAGAIN);          /* nothing yet, non-blocking */

    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, pair), 0);
    tcl_fake_adopt(pair[0], pair[1], IPC_ST_CONNECTED);
    assert_int_equal(send_accept(peer, 9, pair[1], -1), 0);
    close(pair[1]);
    int n = tcl_fake_requests();
    int c = tcpip_accept4(lfd, (struct sockaddr *)&a, &len, SOCK_CLOEXEC | SOCK_NONBLOCK);
    assert_true(c >= 0);
    assert_int_equal(len, sizeof a);
    assert_int_equal(ntohs(a.sin_port), 50000);
    assert_true(fcntl(c, F_GETFD) & FD_CLOEXEC);
    assert_true(fcntl(c, F_GETFL) & O_NONBLOCK);
    /* names without asking; data at once */
    assert_int_equal(tcpip_getsockname(c, (struct sockaddr *)&a, &len), 0);
    assert_int_equal(ntohs(a.sin_port), 7);
    assert_int_equal(tcl_fake_requests(), n);
    assert_int_equal(write(pair[0], "abc", 3), 3);
    assert_int_equal(tcpip_recv(c, buf, sizeof buf, 0), 3);
    /* a request about it names it by its fd; no attaching */
    assert_int_equal(tcpip_setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one), 0);
    assert_int_equal(tcl_fk.last.h.type, IPC_OP_SETOPT);
    assert_int_equal(tcl_fk.last_fd_peer, tcl_fk.npeers - 1);
    assert_int_equal(tcpip_close(c), 0);

    /* hostile: two fds, no fd, garbage: EPROTO, and no fd left behind */
    int before = lib_fds();
    int pair2[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, pair2), 0);
    assert_int_equal(send_accept(peer, 10, pair2[0], pair2[1]), 0);
    close(pair2[0]);
    close(pair2[1]);
    assert_int_equal(tcpip_accept(lfd, NULL, NULL), -1);
    assert_int_equal(errno, EPROTO);
    assert_int_equal(send_accept(peer, 11, -1, -1), 0);
    assert_int_equal(tcpip_accept(lfd, NULL, NULL), -1);
    assert_int_equal(errno, EPROTO);
    assert_int_equal(lib_fds(), before);
    /* the daemon closed the listener: ENETDOWN once, and the fd no longer
     * polls readable (no event loop spins on it) */
    shutdown(peer, SHUT_RDWR);
    assert_int_equal(tcpip_accept(lfd, NULL, NULL), -1);
    assert_int_equal(errno, ENETDOWN);
    struct pollfd p = {.fd = lfd, .events = POLLIN};
    assert_int_equal(poll(&p, 1, 0), 0);
    assert_true(fcntl(lfd, F_GETFL) & O_NONBLOCK);
    assert_int_equal(tcpip_accept(lfd, NULL, NULL), -1);
    assert_int_equal(errno, ENETDOWN);
    assert_int_equal(tcpip_close(lfd), 0);
}

/* A copy of a socket's fd made behind the library's back (dup(2), a
 * child after exec, SCM_RIGHTS) is the same socket: the library asks the
 * daemon what it is (LOOKUP) once, and every call works on it. */
static void test_dup_behind_our_back(void **state)
{
    struct sockaddr_in b = tcl_sin4("10.77.0.2", 80);
    int one = 1, v = 0;
    socklen_t len = sizeof v;

    (void)state;
    int fd = tcpip_socket(AF_INET, SOCK_DGRAM, 0);
    assert_true(fd >= 0);
    int d = dup(fd);
    assert_true(d >= 0);
    assert_int_equal(tcpip_setsockopt(d, SOL_SOCKET, SO_BROADCAST, &one, sizeof one), 0);
    assert_int_equal(tcl_fk.last.h.type, IPC_OP_SETOPT);
    assert_int_equal(tcl_fk.last_fd_peer, tcl_fk.npeers - 1);
    assert_int_equal(tcpip_getsockopt(d, SOL_SOCKET, SO_TYPE, &v, &len), 0);
    assert_int_equal(v, SOCK_DGRAM);
    /* connect on one, send on the other */
    pthread_mutex_lock(&tcl_fk.mu);
    tcl_fk.connect_err = 0;
    pthread_mutex_unlock(&tcl_fk.mu);
    assert_int_equal(tcpip_connect(fd, (struct sockaddr *)&b, sizeof b), 0);
    assert_int_equal(tcpip_close(fd), 0);
    /* the copy still works: the socket lives while one copy does */
    int peer = tcl_fake_peer();
    assert_int_equal(write(peer, "hi", 2), 2);
    char buf[4];
    /* d's entry learnt the framing when it was looked up: unconnected */
    assert_int_equal(tcpip_close(d), 0);
    (void)buf;
    /* a non-socket and a foreign socket are ENOTSOCK, after a look */
    int p[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, p), 0);
    assert_int_equal(tcpip_listen(p[0], 1), -1);
    assert_int_equal(errno, ENOTSOCK);
    close(p[0]);
    close(p[1]);
}

static void test_udp_datagrams(void **state)
{
    struct sockaddr_in to = tcl_sin4("10.77.0.2", 9), from;
    socklen_t flen = sizeof from;
    uint8_t msg[64], hdr[IPC_DGRAM_HDR_LEN];
    struct ipc_endpoint ep;
    char buf[8];

    (void)state;
    int fd = tcpip_socket(AF_INET, SOCK_DGRAM, 0);
    assert_true(fd >= 0);
    int peer = tcl_fake_peer();
    assert_int_equal(tcpip_sendto(fd, "ping", 4, 0, (struct sockaddr *)&to, sizeof to), 4);
    assert_int_equal(recv(peer, msg, sizeof msg, 0), IPC_DGRAM_HDR_LEN + 4);
    assert_int_equal(ipc_decode_endpoint(msg, &ep), IPC_OK);
    assert_int_equal(ep.family, IPC_AF_INET);
    assert_int_equal(ep.port, 9);
    assert_memory_equal(msg + IPC_DGRAM_HDR_LEN, "ping", 4);
    /* refused here, as the kernel refuses them */
    assert_int_equal(tcpip_send(fd, "x", 1, 0), -1);
    assert_int_equal(errno, EDESTADDRREQ);
    to.sin_port = 0;
    assert_int_equal(tcpip_sendto(fd, "x", 1, 0, (struct sockaddr *)&to, sizeof to), -1);
    assert_int_equal(errno, EINVAL);
    to.sin_port = htons(9);
    char *big = calloc(1, IPC_DGRAM_MAX + 1);
    assert_non_null(big);
    assert_int_equal(tcpip_sendto(fd, big, IPC_DGRAM_MAX + 1, 0, (struct sockaddr *)&to,
                                  sizeof to), -1);
    assert_int_equal(errno, EMSGSIZE);
    free(big);
    /* receive: source address, truncation like UDP's */
    ep = tcl_ep4(10, 77, 0, 2, 54321);
    ipc_encode_endpoint(hdr, &ep);
    memcpy(msg, hdr, sizeof hdr);
    memcpy(msg + sizeof hdr, "hello world", 11);
    assert_int_equal(send(peer, msg, sizeof hdr + 11, 0), (ssize_t)sizeof hdr + 11);
    assert_int_equal(tcpip_recvfrom(fd, buf, 5, MSG_PEEK | MSG_TRUNC, NULL, NULL), 11);
    assert_int_equal(tcpip_recvfrom(fd, buf, 5, 0, (struct sockaddr *)&from, &flen), 5);
    assert_memory_equal(buf, "hello", 5);
    assert_int_equal(flen, sizeof from);
    assert_int_equal(ntohs(from.sin_port), 54321);
    assert_int_equal(from.sin_addr.s_addr, htonl(0x0a4d0002));
    /* hostile: shorter than the header, or a bad endpoint */
    assert_int_equal(send(peer, msg, 10, 0), 10);
    assert_int_equal(tcpip_recv(fd, buf, sizeof buf, 0), -1);
    assert_int_equal(errno, EPROTO);
    msg[0] = 9;
    assert_int_equal(send(peer, msg, sizeof hdr + 2, 0), (ssize_t)sizeof hdr + 2);
    assert_int_equal(tcpip_recv(fd, buf, sizeof buf, 0), -1);
    assert_int_equal(errno, EPROTO);
    assert_int_equal(tcpip_recv(fd, buf, sizeof buf, MSG_DONTWAIT), -1);
    assert_int_equal(errno, EAGAIN);
    /* connected: bare datagrams both ways, as read(2) and write(2) see a
     * kernel UDP socket (PROTOCOL.md 7.3) */
    pthread_mutex_lock(&tcl_fk.mu);
    tcl_fk.connect_err = 0;
    pthread_mutex_unlock(&tcl_fk.mu);
    assert_int_equal(tcpip_connect(fd, (struct sockaddr *)&to, sizeof to), 0);
    assert_int_equal(tcpip_send(fd, "y", 1, 0), 1);
    assert_int_equal(recv(peer, msg, sizeof msg, 0), 1);
    assert_int_equal(msg[0], 'y');
    assert_int_equal(write(fd, "zz", 2), 2);
    assert_int_equal(recv(peer, msg, sizeof msg, 0), 2);
    assert_int_equal(send(peer, "abc", 3, 0), 3);
    assert_int_equal(read(fd, buf, sizeof buf), 3);
    assert_int_equal(send(peer, "de", 2, 0), 2);
    assert_int_equal(tcpip_recvfrom(fd, buf, sizeof buf, 0, (struct sockaddr *)&from, &flen), 2);
    assert_int_equal(ntohs(from.sin_port), 9);    /* the connected peer */
    assert_int_equal(tcpip_sendto(fd, "x", 1, 0, (struct sockaddr *)&to, sizeof to), -1);
    assert_int_equal(errno, EISCONN);
    /* an ICMP error: an empty message rings, the next call says it */
    pthread_mutex_lock(&tcl_fk.mu);
    tcl_fk.geterr_value = ECONNREFUSED;
    pthread_mutex_unlock(&tcl_fk.mu);
    assert_int_equal(send(peer, "", 0, 0), 0);
    assert_int_equal(tcpip_send(fd, "y", 1, 0), -1);
    assert_int_equal(errno, ECONNREFUSED);
    assert_int_equal(tcpip_send(fd, "y", 1, 0), 1);
    assert_int_equal(recv(peer, msg, sizeof msg, 0), 1);
    pthread_mutex_lock(&tcl_fk.mu);
    tcl_fk.geterr_value = ECONNREFUSED;
    pthread_mutex_unlock(&tcl_fk.mu);
    assert_int_equal(send(peer, "", 0, 0), 0);
    assert_int_equal(tcpip_recv(fd, buf, sizeof buf, 0), -1);
    assert_int_equal(errno, ECONNREFUSED);
    /* a genuinely empty datagram is 0 bytes */
    assert_int_equal(send(peer, "", 0, 0), 0);
    assert_int_equal(tcpip_recv(fd, buf, sizeof buf, 0), 0);
    /* shut down for writing: the request, then EPIPE on send */
    assert_int_equal(tcpip_shutdown(fd, SHUT_WR), 0);
    assert_int_equal(tcl_fk.last.h.type, IPC_OP_SHUTDOWN);
    assert_int_equal(tcpip_send(fd, "y", 1, 0), -1);
    assert_int_equal(errno, EPIPE);
    assert_int_equal(tcpip_close(fd), 0);
}

/* The largest datagram, as Linux: 65527 bytes to an IPv6 address (its
 * length field leaves 65535 - 8), 65507 to IPv4, also when an IPv6
 * socket names it v4-mapped. */
static void test_udp_size_limits(void **state)
{
    (void)state;
    int fd = tcpip_socket(AF_INET6, SOCK_DGRAM, 0);
    assert_true(fd >= 0);
    int peer = tcl_fake_peer();
    int big = IPC_DGRAM_HDR_LEN + IPC_DGRAM_MAX6 + 1;
    assert_int_equal(setsockopt(peer, SOL_SOCKET, SO_RCVBUF, &big, sizeof big), 0);
    struct sockaddr_in6 to6;
    memset(&to6, 0, sizeof to6);
    to6.sin6_family = AF_INET6;
    to6.sin6_port = htons(9);
    assert_int_equal(inet_pton(AF_INET6, "fd77::9", &to6.sin6_addr), 1);
    struct sockaddr_in6 mapped = to6;
    assert_int_equal(inet_pton(AF_INET6, "::ffff:10.77.0.9", &mapped.sin6_addr), 1);
    uint8_t *data = calloc(1, IPC_DGRAM_MAX6 + 1);
    uint8_t *msg = malloc(IPC_DGRAM_HDR_LEN + IPC_DGRAM_MAX6 + 1);
    assert_non_null(data);
    assert_non_null(msg);
    const struct sockaddr *a6 = (const struct sockaddr *)&to6;
    const struct sockaddr *am = (const struct sockaddr *)&mapped;
    assert_int_equal(tcpip_sendto(fd, data, IPC_DGRAM_MAX6, 0, a6, sizeof to6), IPC_DGRAM_MAX6);
    assert_int_equal(recv(peer, msg, IPC_DGRAM_HDR_LEN + IPC_DGRAM_MAX6 + 1, 0),
                     IPC_DGRAM_HDR_LEN + IPC_DGRAM_MAX6);
    assert_int_equal(tcpip_sendto(fd, data, IPC_DGRAM_MAX6 + 1, 0, a6, sizeof to6), -1);
    assert_int_equal(errno, EMSGSIZE);
    assert_int_equal(tcpip_sendto(fd, data, IPC_DGRAM_MAX, 0, am, sizeof mapped), IPC_DGRAM_MAX);
    assert_int_equal(recv(peer, msg, IPC_DGRAM_HDR_LEN + IPC_DGRAM_MAX6 + 1, 0),
                     IPC_DGRAM_HDR_LEN + IPC_DGRAM_MAX);
    assert_int_equal(tcpip_sendto(fd, data, IPC_DGRAM_MAX + 1, 0, am, sizeof mapped), -1);
    assert_int_equal(errno, EMSGSIZE);
    free(msg);
    free(data);
    assert_int_equal(tcpip_close(fd), 0);
}

/* Many threads, one fd each and one shared: every request gets its own
 * reply (a session each at a time), nothing crashes under the sanitizers. */
struct worker {
    int shared_fd;
    int ok;
};

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    int one = 1;

    for (int i = 0; i < 20; i++) {
        int fd = tcpip_socket(AF_INET, SOCK_STREAM, 0);
        if (fd < 0)
            continue;
        int type = 0;
        socklen_t len = sizeof type;
        if (tcpip_setsockopt(w->shared_fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof one) == 0 &&
            tcpip_getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) == 0 && type == SOCK_STREAM)
            w->ok++;
        tcpip_close(fd);
    }
    return NULL;
}

static void test_threads(void **state)
{
    pthread_t th[4];
    struct worker w[4];

    (void)state;
    int shared = tcpip_socket(AF_INET, SOCK_STREAM, 0);
    assert_true(shared >= 0);
    int before = lib_fds();
    for (int i = 0; i < 4; i++) {
        w[i] = (struct worker){ .shared_fd = shared };
        assert_int_equal(pthread_create(&th[i], NULL, worker_main, &w[i]), 0);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(th[i], NULL);
        assert_int_equal(w[i].ok, 20);
    }
    assert_int_equal(lib_fds(), before);
    assert_int_equal(tcpip_close(shared), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_unknown_fd, fake_setup, fake_teardown),
        cmocka_unit_test_setup_teardown(test_backend_final_after_socket, fake_setup,
                                        fake_teardown),
        cmocka_unit_test_setup_teardown(test_socket_arguments, fake_setup, fake_teardown),
        cmocka_unit_test_setup_teardown(test_socket_open_and_close, fake_setup, fake_teardown),
        cmocka_unit_test_setup_teardown(test_daemon_absent, fake_setup, fake_teardown),
        cmocka_unit_test_setup_teardown(test_open_hostile_replies, fake_setup, fake_teardown),
        cmocka_unit_test_setup_teardown(test_daemon_gone_mid_life, fake_setup, fake_teardown),
        cmocka_unit_test_setup_teardown(test_daemon_gone_under_connection, fake_setup,
                                        fake_teardown),
        cmocka_unit_test_setup_teardown(test_malformed_reply, fake_setup, fake_teardown),
        cmocka_unit_test_setup_teardown(test_sessions_shared, fake_setup, fake_teardown),
        cmocka_unit_test_setup_teardown(test_dup_behind_our_back, fake_setup, fake_teardown),
        cmocka_unit_test_setup_teardown(test_bind_connect_requests, fake_setup, fake_teardown),
        cmocka_unit_test_setup_teardown(test_nonblocking_connect_and_so_error, fake_setup,
                                        fake_teardown),
        cmocka_unit_test_setup_teardown(test_tcp_errors_behind_eof, fake_setup, fake_teardown),
        cmocka_unit_test_setup_teardown(test_shutdown_order, fake_setup, fake_teardown),
        cmocka_unit_test_setup_teardown(test_options, fake_setup, fake_teardown),
        cmocka_unit_test_setup_teardown(test_names, fake_setup, fake_teardown),
        cmocka_unit_test_setup_teardown(test_accept, fake_setup, fake_teardown),
        cmocka_unit_test_setup_teardown(test_udp_size_limits, fake_setup, fake_teardown),
        cmocka_unit_test_setup_teardown(test_udp_datagrams, fake_setup, fake_teardown),
        cmocka_unit_test_setup_teardown(test_threads, fake_setup, fake_teardown),
    };
    /* A test that fails must fail by assertion, not by SIGPIPE. */
    signal(SIGPIPE, SIG_IGN);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
