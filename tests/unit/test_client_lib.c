/* test_client_lib.c - libtcpip without the network: sockaddr conversion,
 * the backend choice, the fd table, and the direct backend's side of the
 * IPC protocol (ipc/PROTOCOL.md) against a fake tcpipd.
 *
 * The fake daemon is a thread serving a Unix socket in a temporary
 * directory: it decodes each request with the real ipc/ codec and answers
 * as told (well, or with a malformed reply, a hang-up, stray fds). The
 * test plays the daemon's side of each data fd itself. Nothing here
 * touches an IP socket. */
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

/* ---- the fake daemon ---- */

enum fake_mode {
    FAKE_OK = 0,
    FAKE_HANGUP,                 /* close the connection instead of replying */
    FAKE_TRUNCATED,              /* half a reply, then close */
    FAKE_BAD_MAGIC,
    FAKE_BAD_LEN,                /* header announces 63 body bytes */
    FAKE_BAD_ERRNO,              /* err outside 0..4095 */
    FAKE_OTHER_VERSION,
    FAKE_NO_FD,                  /* OPEN ok without the data fd */
    FAKE_TWO_FDS,                /* OPEN ok with two fds */
    FAKE_PIPE_FD,                /* OPEN ok with a pipe as the "socket" */
    FAKE_STRAY_FD,               /* a non-OPEN reply carrying an fd */
};

#define FAKE_MAX_CONNS 8
#define FAKE_MAX_PEERS 256
#define FAKE_MAX_FD 4096

struct fake_conn {
    int fd;
    uint8_t buf[IPC_MAX_MSG];
    size_t len;
};

struct fake {
    char dir[64];
    char path[96];
    int listen_fd;
    int stop[2];
    pthread_t thread;
    pthread_mutex_t mu;
    /* what to do (set by the test before the call) */
    enum fake_mode mode_open;
    enum fake_mode mode_other;
    int op_err;                  /* err for requests other than OPEN/ATTACH */
    int connect_nb_err;          /* err for CONNECT with IPC_F_NONBLOCK */
    int geterr_value;            /* pending error, cleared when read */
    int opt_value;
    struct ipc_endpoint name_local, name_remote;
    uint64_t accept_id, accept_token;   /* what ATTACH must prove */
    /* what happened */
    int requests;
    struct ipc_request last;
    int attaches;
    int peers[FAKE_MAX_PEERS];   /* the daemon's end of each data fd */
    int npeers;
    /* Every fd the fake holds, so that the leak checks count only the
     * library's; changed only under mu, together with the open/close. */
    bool own[FAKE_MAX_FD];
};

static struct fake fk;

static void own_fd(int fd, bool owned)
{
    if (fd >= 0 && fd < FAKE_MAX_FD)
        fk.own[fd] = owned;
}

static int send_fds(int fd, const void *buf, size_t len, const int *fds, int nfds)
{
    union {
        char buf[CMSG_SPACE(sizeof(int) * 4)];
        struct cmsghdr align;
    } cbuf;
    struct iovec iov = { .iov_base = (void *)buf, .iov_len = len };
    struct msghdr msg;

    memset(&msg, 0, sizeof msg);
    memset(&cbuf, 0, sizeof cbuf);
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    if (nfds > 0) {
        msg.msg_control = cbuf.buf;
        msg.msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)nfds);
        struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int) * (size_t)nfds);
        memcpy(CMSG_DATA(c), fds, sizeof(int) * (size_t)nfds);
    }
    return sendmsg(fd, &msg, MSG_NOSIGNAL) == (ssize_t)len ? 0 : -1;
}

/* Answer one request; false: close the connection. */
static bool fake_handle(struct fake_conn *c, const struct ipc_request *req)
{
    struct ipc_reply r;
    uint8_t out[IPC_MAX_MSG];
    int pair[2] = { -1, -1 }, extra[2] = { -1, -1 };
    int fds[2], nfds = 0;
    enum fake_mode mode;

    memset(&r, 0, sizeof r);
    pthread_mutex_lock(&fk.mu);
    fk.requests++;
    fk.last = *req;
    mode = req->h.type == IPC_OP_OPEN ? fk.mode_open : fk.mode_other;
    switch (req->h.type) {
    case IPC_OP_OPEN:
        r.sock_id = 100 + (uint64_t)fk.npeers;
        r.local.family = req->u.open.family;
        if (socketpair(AF_UNIX, (req->u.open.proto == IPC_PROTO_TCP ? SOCK_STREAM
                                                                     : SOCK_SEQPACKET) |
                                    SOCK_CLOEXEC,
                       0, pair) != 0)
            r.err = ENFILE;
        break;
    case IPC_OP_ATTACH:
        fk.attaches++;
        r.err = req->u.attach.sock_id == fk.accept_id && req->u.attach.token == fk.accept_token
                    ? 0
                    : EBADF;
        r.sock_id = req->u.attach.sock_id;
        break;
    case IPC_OP_CONNECT:
        r.err = (req->h.flags & IPC_F_NONBLOCK) ? fk.connect_nb_err : fk.op_err;
        break;
    case IPC_OP_GETERR:
        r.value = fk.geterr_value;
        fk.geterr_value = 0;
        break;
    case IPC_OP_GETOPT:
        r.value = fk.opt_value;
        r.err = fk.op_err;
        break;
    case IPC_OP_GETNAME:
        r.local = fk.name_local;
        r.remote = fk.name_remote;
        break;
    default:
        r.err = fk.op_err;
        break;
    }
    own_fd(pair[0], true);
    own_fd(pair[1], true);
    if (pair[0] >= 0 && fk.npeers < FAKE_MAX_PEERS) {
        fk.peers[fk.npeers++] = pair[0];
    } else if (pair[0] >= 0) {
        own_fd(pair[0], false);
        close(pair[0]);
    }

    if (mode == FAKE_BAD_ERRNO)
        r.err = 5000;
    size_t n = ipc_encode_reply(out, sizeof out, &r);
    if (pair[1] >= 0 && mode != FAKE_NO_FD && mode != FAKE_PIPE_FD)
        fds[nfds++] = pair[1];
    if (mode == FAKE_TWO_FDS || mode == FAKE_PIPE_FD || mode == FAKE_STRAY_FD) {
        if (pipe2(extra, O_CLOEXEC) == 0) {
            own_fd(extra[0], true);
            own_fd(extra[1], true);
            fds[nfds++] = extra[0];
        }
    }
    if (mode == FAKE_BAD_MAGIC)
        out[0] ^= 0xff;
    if (mode == FAKE_BAD_LEN)
        out[11] = 63;
    if (mode == FAKE_OTHER_VERSION)
        out[4] = IPC_VERSION + 1;
    if (mode == FAKE_TRUNCATED)
        n = 30;
    bool keep = mode != FAKE_HANGUP && mode != FAKE_TRUNCATED;
    if (mode != FAKE_HANGUP)
        send_fds(c->fd, out, n, fds, nfds);
    if (pair[1] >= 0) {
        own_fd(pair[1], false);
        close(pair[1]);
    }
    if (extra[0] >= 0) {
        own_fd(extra[0], false);
        own_fd(extra[1], false);
        close(extra[0]);
        close(extra[1]);
    }
    pthread_mutex_unlock(&fk.mu);
    return keep;
}

static void *fake_main(void *arg)
{
    struct fake_conn conns[FAKE_MAX_CONNS];
    int nconns = 0;

    (void)arg;
    /* Bounded: the test stops us long before. */
    for (int iter = 0; iter < 1000000; iter++) {
        struct pollfd p[2 + FAKE_MAX_CONNS];
        p[0] = (struct pollfd){ .fd = fk.stop[0], .events = POLLIN };
        p[1] = (struct pollfd){ .fd = fk.listen_fd, .events = POLLIN };
        for (int i = 0; i < nconns; i++)
            p[2 + i] = (struct pollfd){ .fd = conns[i].fd, .events = POLLIN };
        if (poll(p, (nfds_t)(2 + nconns), 10000) <= 0)
            continue;
        if (p[0].revents)
            break;
        int polled = nconns;     /* connections accepted below wait a turn */
        if (p[1].revents & POLLIN) {
            pthread_mutex_lock(&fk.mu);
            int fd = accept4(fk.listen_fd, NULL, NULL, SOCK_CLOEXEC);
            own_fd(fd, true);
            if (fd >= 0 && nconns < FAKE_MAX_CONNS) {
                conns[nconns].fd = fd;
                conns[nconns].len = 0;
                nconns++;
            } else if (fd >= 0) {
                own_fd(fd, false);
                close(fd);
            }
            pthread_mutex_unlock(&fk.mu);
        }
        for (int i = polled - 1; i >= 0; i--) {
            if (p[2 + i].revents == 0)
                continue;
            struct fake_conn *c = &conns[i];
            ssize_t got = recv(c->fd, c->buf + c->len, sizeof c->buf - c->len, 0);
            bool keep = got > 0;
            if (keep)
                c->len += (size_t)got;
            while (keep) {
                struct ipc_request req;
                int used = ipc_decode_request(c->buf, c->len, &req);
                if (used == IPC_ETRUNC)
                    break;
                keep = used > 0 && fake_handle(c, &req);
                if (keep) {
                    memmove(c->buf, c->buf + used, c->len - (size_t)used);
                    c->len -= (size_t)used;
                }
            }
            if (!keep) {
                pthread_mutex_lock(&fk.mu);
                own_fd(c->fd, false);
                close(c->fd);
                pthread_mutex_unlock(&fk.mu);
                conns[i] = conns[--nconns];
            }
        }
    }
    for (int i = 0; i < nconns; i++)
        close(conns[i].fd);
    return NULL;
}

/* The fds of this process that the fake daemon does not hold. */
static int count_fds(void)
{
    struct dirent *e;
    int n = 0;

    pthread_mutex_lock(&fk.mu);
    DIR *d = opendir("/proc/self/fd");
    assert_non_null(d);
    while ((e = readdir(d)) != NULL) {
        int fd = atoi(e->d_name);
        if (e->d_name[0] >= '0' && e->d_name[0] <= '9' && fd < FAKE_MAX_FD && !fk.own[fd])
            n++;
    }
    closedir(d);
    pthread_mutex_unlock(&fk.mu);
    return n;
}

static int fake_setup(void **state)
{
    struct sockaddr_un a;

    (void)state;
    memset(&fk, 0, sizeof fk);
    pthread_mutex_init(&fk.mu, NULL);
    fk.connect_nb_err = EINPROGRESS;
    snprintf(fk.dir, sizeof fk.dir, "/tmp/tcpip-clientlib.XXXXXX");
    assert_non_null(mkdtemp(fk.dir));
    snprintf(fk.path, sizeof fk.path, "%s/tcpipd.sock", fk.dir);
    memset(&a, 0, sizeof a);
    a.sun_family = AF_UNIX;
    snprintf(a.sun_path, sizeof a.sun_path, "%s", fk.path);
    fk.listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    assert_true(fk.listen_fd >= 0);
    assert_int_equal(bind(fk.listen_fd, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(listen(fk.listen_fd, 16), 0);
    assert_int_equal(pipe2(fk.stop, O_CLOEXEC), 0);
    assert_int_equal(pthread_create(&fk.thread, NULL, fake_main, NULL), 0);
    libtcpip_reset_backend();
    assert_int_equal(tcpip_init(TCPIP_BACKEND_DIRECT, fk.path), 0);
    return 0;
}

static int fake_teardown(void **state)
{
    (void)state;
    assert_int_equal(write(fk.stop[1], "x", 1), 1);
    pthread_join(fk.thread, NULL);
    close(fk.stop[0]);
    close(fk.stop[1]);
    close(fk.listen_fd);
    for (int i = 0; i < fk.npeers; i++)
        close(fk.peers[i]);
    unlink(fk.path);
    rmdir(fk.dir);
    pthread_mutex_destroy(&fk.mu);
    libtcpip_reset_backend();
    return 0;
}

static void fake_set(enum fake_mode open_mode, enum fake_mode other_mode, int op_err)
{
    pthread_mutex_lock(&fk.mu);
    fk.mode_open = open_mode;
    fk.mode_other = other_mode;
    fk.op_err = op_err;
    pthread_mutex_unlock(&fk.mu);
}

static int fake_requests(void)
{
    pthread_mutex_lock(&fk.mu);
    int n = fk.requests;
    pthread_mutex_unlock(&fk.mu);
    return n;
}

/* The daemon's end of the newest socket's data fd. */
static int fake_peer(void)
{
    pthread_mutex_lock(&fk.mu);
    int fd = fk.npeers > 0 ? fk.peers[fk.npeers - 1] : -1;
    pthread_mutex_unlock(&fk.mu);
    assert_true(fd >= 0);
    return fd;
}

static struct sockaddr_in sin4(const char *dotted, uint16_t port)
{
    struct sockaddr_in s;
    unsigned a, b, c, d;

    memset(&s, 0, sizeof s);
    assert_int_equal(sscanf(dotted, "%u.%u.%u.%u", &a, &b, &c, &d), 4);
    s.sin_family = AF_INET;
    s.sin_port = htons(port);
    s.sin_addr.s_addr = htonl((uint32_t)(a << 24 | b << 16 | c << 8 | d));
    return s;
}

static struct ipc_endpoint ep4(uint8_t a, uint8_t b, uint8_t c, uint8_t d, uint16_t port)
{
    struct ipc_endpoint ep;

    memset(&ep, 0, sizeof ep);
    ep.family = IPC_AF_INET;
    ep.port = port;
    ep.addr[0] = a;
    ep.addr[1] = b;
    ep.addr[2] = c;
    ep.addr[3] = d;
    return ep;
}


/* ---- sockaddr conversion ---- */

static void test_sockaddr_in_round_trip(void **state)
{
    struct sockaddr_in in = sin4("10.77.0.2", 8080), out;
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
    struct sockaddr_in in = sin4("10.77.0.2", 80);
    struct sockaddr_in6 in6;
    struct sockaddr sa_unspec = { .sa_family = AF_UNSPEC };
    struct ipc_endpoint ep;

    (void)state;
    memset(&in6, 0, sizeof in6);
    in6.sin6_family = AF_INET6;
    /* short length: EINVAL; wrong family: EAFNOSUPPORT */
    assert_int_equal(libtcpip_sockaddr_to_ep(AF_INET, (struct sockaddr *)&in, sizeof in - 1,
                                             false, &ep), EINVAL);
    assert_int_equal(libtcpip_sockaddr_to_ep(AF_INET, NULL, sizeof in, false, &ep), EINVAL);
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
    ep = ep4(10, 77, 0, 2, 9);
    len = sizeof out;
    assert_int_equal(libtcpip_ep_to_sockaddr(AF_INET6, &ep, (struct sockaddr *)&out, &len), 0);
    assert_int_equal(out.sin6_family, AF_INET6);
    assert_memory_equal(&out.sin6_addr, "\0\0\0\0\0\0\0\0\0\0\xff\xff\x0a\x4d\x00\x02", 16);
    assert_int_equal(ntohs(out.sin6_port), 9);
}

static void test_sockaddr_out_truncates_like_kernel(void **state)
{
    struct ipc_endpoint ep = ep4(10, 77, 0, 1, 0x1234), none;
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

/* After the first socket the choice is final. */
static void test_backend_final_after_socket(void **state)
{
    (void)state;
    int fd = tcpip_socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    assert_int_equal(tcpip_init(TCPIP_BACKEND_DIRECT, fk.path), 0);
    assert_int_equal(tcpip_init(TCPIP_BACKEND_SOCKET, NULL), -1);
    assert_int_equal(errno, EBUSY);
    assert_int_equal(tcpip_init(TCPIP_BACKEND_DIRECT, "/elsewhere.sock"), -1);
    assert_int_equal(errno, EBUSY);
    assert_string_equal(tcpip_backend_name(), "direct");
    assert_int_equal(tcpip_close(fd), 0);
}

/* ---- the fd table ---- */

static void test_table_grows_and_forgets(void **state)
{
    (void)state;
    struct dsock *a = libtcpip_dsock_new(3, -1, IPC_PROTO_TCP, AF_INET);
    struct dsock *b = libtcpip_dsock_new(5000, -1, IPC_PROTO_UDP, AF_INET6);
    assert_non_null(a);
    assert_non_null(b);
    assert_int_equal(libtcpip_table_insert(a), 0);
    assert_int_equal(libtcpip_table_insert(b), 0);
    assert_true(libtcpip_table_capacity() > 5000);
    assert_int_equal(libtcpip_table_insert(a), EEXIST);
    struct dsock *g = libtcpip_table_get(5000);
    assert_ptr_equal(g, b);
    assert_int_equal(g->proto, IPC_PROTO_UDP);
    libtcpip_dsock_put(g);
    assert_null(libtcpip_table_get(4999));
    assert_null(libtcpip_table_get(-1));
    assert_null(libtcpip_table_get(1 << 30));
    /* a removed entry lives on while a user holds it */
    g = libtcpip_table_get(3);
    assert_ptr_equal(libtcpip_table_remove(3), a);
    assert_null(libtcpip_table_get(3));
    assert_int_equal(g->data_fd, 3);
    libtcpip_dsock_put(g);
    libtcpip_dsock_put(a);
    libtcpip_dsock_put(libtcpip_table_remove(5000));
    assert_null(libtcpip_table_remove(5000));
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
    assert_int_equal(fake_requests(), 0);   /* refused before asking the daemon */
}

static void test_socket_open_and_close(void **state)
{
    (void)state;
    int before = count_fds();
    int fd = tcpip_socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    assert_true(fd >= 0);
    assert_int_equal(fk.last.h.type, IPC_OP_OPEN);
    assert_int_equal(fk.last.u.open.proto, IPC_PROTO_TCP);
    assert_int_equal(fk.last.u.open.family, IPC_AF_INET);
    assert_true(fcntl(fd, F_GETFL) & O_NONBLOCK);
    assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
    int type = 0;
    socklen_t len = sizeof type;
    assert_int_equal(tcpip_getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len), 0);
    assert_int_equal(type, SOCK_STREAM);
    assert_int_equal(tcpip_close(fd), 0);
    assert_int_equal(count_fds(), before);   /* data and control fds both gone */
}

static void test_daemon_absent(void **state)
{
    char path[96];
    struct sockaddr_un a;

    (void)state;
    snprintf(path, sizeof path, "%s/none.sock", fk.dir);
    libtcpip_reset_backend();
    assert_int_equal(tcpip_init(TCPIP_BACKEND_DIRECT, path), 0);
    assert_int_equal(tcpip_socket(AF_INET, SOCK_STREAM, 0), -1);
    assert_int_equal(errno, ENOENT);
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
    int before = count_fds();

    fake_set(mode, FAKE_OK, 0);
    errno = 0;
    assert_int_equal(tcpip_socket(AF_INET, SOCK_STREAM, 0), -1);
    assert_int_equal(errno, want_errno);
    assert_int_equal(count_fds(), before);   /* nothing leaked, stray fds included */
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
    check_open_fails(FAKE_TRUNCATED, ECONNRESET);
    check_open_fails(FAKE_HANGUP, ECONNRESET);
}

static void test_daemon_gone_mid_life(void **state)
{
    struct sockaddr_in a = sin4("10.77.0.1", 7);

    (void)state;
    int fd = tcpip_socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    fake_set(FAKE_OK, FAKE_HANGUP, 0);
    assert_int_equal(tcpip_bind(fd, (struct sockaddr *)&a, sizeof a), -1);
    assert_int_equal(errno, ECONNRESET);
    /* the socket is dead; later calls fail at once, no request sent */
    fake_set(FAKE_OK, FAKE_OK, 0);
    int n = fake_requests();
    assert_int_equal(tcpip_listen(fd, 5), -1);
    assert_int_equal(errno, ECONNRESET);
    assert_int_equal(fake_requests(), n);
    int err = 0;
    socklen_t len = sizeof err;
    assert_int_equal(tcpip_getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len), 0);
    assert_int_equal(err, ECONNRESET);
    assert_int_equal(tcpip_close(fd), 0);
}

/* The daemon dies under a connection: its end of the data fd closes and
 * so does the control connection. recv reports a reset, not a FIN. */
static void test_daemon_gone_under_connection(void **state)
{
    struct sockaddr_in b = sin4("10.77.0.2", 80);
    char buf[4];

    (void)state;
    int fd = tcpip_socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    assert_int_equal(tcpip_connect(fd, (struct sockaddr *)&b, sizeof b), 0);
    fake_set(FAKE_OK, FAKE_HANGUP, 0);
    assert_int_equal(shutdown(fake_peer(), SHUT_RDWR), 0);
    assert_int_equal(tcpip_recv(fd, buf, sizeof buf, 0), -1);
    assert_int_equal(errno, ECONNRESET);
    assert_int_equal(tcpip_send(fd, "x", 1, MSG_NOSIGNAL), -1);
    assert_int_equal(errno, ECONNRESET);
    assert_int_equal(tcpip_close(fd), 0);
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

static void test_malformed_reply_kills_socket(void **state)
{
    (void)state;
    int fd = tcpip_socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    fake_set(FAKE_OK, FAKE_STRAY_FD, 0);
    int before = count_fds();
    assert_int_equal(tcpip_listen(fd, 5), -1);
    assert_int_equal(errno, EPROTO);
    assert_int_equal(count_fds(), before);   /* the stray fd was closed */
    fake_set(FAKE_OK, FAKE_OK, 0);
    assert_int_equal(tcpip_listen(fd, 5), -1);
    assert_int_equal(errno, EPROTO);
    assert_int_equal(tcpip_close(fd), 0);
}

static void test_bind_connect_requests(void **state)
{
    struct sockaddr_in a = sin4("10.77.0.1", 5555), b = sin4("10.77.0.2", 80);

    (void)state;
    int fd = tcpip_socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    assert_int_equal(tcpip_bind(fd, (struct sockaddr *)&a, sizeof a - 1), -1);
    assert_int_equal(errno, EINVAL);
    assert_int_equal(tcpip_bind(fd, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(fk.last.h.type, IPC_OP_BIND);
    assert_int_equal(fk.last.u.addr.ep.port, 5555);
    assert_memory_equal(fk.last.u.addr.ep.addr, "\x0a\x4d\x00\x01", 4);
    /* the daemon's errno comes back as is */
    fake_set(FAKE_OK, FAKE_OK, EADDRINUSE);
    assert_int_equal(tcpip_bind(fd, (struct sockaddr *)&a, sizeof a), -1);
    assert_int_equal(errno, EADDRINUSE);
    /* blocking connect: no NONBLOCK flag */
    fake_set(FAKE_OK, FAKE_OK, ECONNREFUSED);
    assert_int_equal(tcpip_connect(fd, (struct sockaddr *)&b, sizeof b), -1);
    assert_int_equal(errno, ECONNREFUSED);
    assert_int_equal(fk.last.h.type, IPC_OP_CONNECT);
    assert_int_equal(fk.last.h.flags, 0);
    fake_set(FAKE_OK, FAKE_OK, 0);
    assert_int_equal(tcpip_connect(fd, (struct sockaddr *)&b, sizeof b), 0);
    assert_int_equal(tcpip_close(fd), 0);
}

static void test_nonblocking_connect_and_so_error(void **state)
{
    struct sockaddr_in b = sin4("10.77.0.2", 80);
    int err = -1;
    socklen_t len = sizeof err;

    (void)state;
    int fd = tcpip_socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    assert_true(fd >= 0);
    assert_int_equal(tcpip_connect(fd, (struct sockaddr *)&b, sizeof b), -1);
    assert_int_equal(errno, EINPROGRESS);
    assert_int_equal(fk.last.h.flags, IPC_F_NONBLOCK);
    pthread_mutex_lock(&fk.mu);
    fk.geterr_value = ECONNREFUSED;
    pthread_mutex_unlock(&fk.mu);
    assert_int_equal(tcpip_getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len), 0);
    assert_int_equal(fk.last.h.type, IPC_OP_GETERR);
    assert_int_equal(err, ECONNREFUSED);
    assert_int_equal(len, sizeof err);
    assert_int_equal(tcpip_getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len), 0);
    assert_int_equal(err, 0);                 /* read once, then cleared */
    assert_int_equal(tcpip_close(fd), 0);
}

/* EOF or EPIPE on the data fd: GETERR tells a reset from a FIN. */
static void test_tcp_errors_behind_eof(void **state)
{
    struct sockaddr_in b = sin4("10.77.0.2", 80);
    char buf[16];

    (void)state;
    int fd = tcpip_socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    assert_int_equal(tcpip_recv(fd, buf, sizeof buf, 0), -1);
    assert_int_equal(errno, ENOTCONN);        /* never connected */
    assert_int_equal(tcpip_connect(fd, (struct sockaddr *)&b, sizeof b), 0);
    int peer = fake_peer();
    assert_int_equal(write(peer, "hi", 2), 2);
    assert_int_equal(tcpip_recv(fd, buf, sizeof buf, 0), 2);
    assert_memory_equal(buf, "hi", 2);
    /* the daemon saw a RST: error recorded, its end shut down */
    pthread_mutex_lock(&fk.mu);
    fk.geterr_value = ECONNRESET;
    pthread_mutex_unlock(&fk.mu);
    assert_int_equal(shutdown(peer, SHUT_RDWR), 0);
    assert_int_equal(tcpip_recv(fd, buf, sizeof buf, 0), -1);
    assert_int_equal(errno, ECONNRESET);
    assert_int_equal(tcpip_recv(fd, buf, sizeof buf, 0), 0);   /* then plain EOF */
    assert_int_equal(tcpip_recv(fd, buf, 0, 0), 0);            /* no GETERR for len 0 */
    pthread_mutex_lock(&fk.mu);
    fk.geterr_value = ETIMEDOUT;
    pthread_mutex_unlock(&fk.mu);
    assert_int_equal(tcpip_send(fd, "x", 1, 0), -1);           /* no SIGPIPE either */
    assert_int_equal(errno, ETIMEDOUT);
    assert_int_equal(tcpip_send(fd, "x", 1, MSG_NOSIGNAL), -1);
    assert_int_equal(errno, EPIPE);
    assert_int_equal(tcpip_close(fd), 0);
}

static void test_shutdown_order(void **state)
{
    struct sockaddr_in b = sin4("10.77.0.2", 80);
    char c;

    (void)state;
    int fd = tcpip_socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    assert_int_equal(tcpip_shutdown(fd, 7), -1);
    assert_int_equal(errno, EINVAL);
    fake_set(FAKE_OK, FAKE_OK, ENOTCONN);
    assert_int_equal(tcpip_shutdown(fd, SHUT_WR), -1);
    assert_int_equal(errno, ENOTCONN);
    fake_set(FAKE_OK, FAKE_OK, 0);
    assert_int_equal(tcpip_connect(fd, (struct sockaddr *)&b, sizeof b), 0);
    int peer = fake_peer();
    assert_int_equal(write(fd, "z", 1), 1);
    assert_int_equal(tcpip_shutdown(fd, SHUT_WR), 0);
    assert_int_equal(fk.last.h.type, IPC_OP_SHUTDOWN);
    assert_int_equal(fk.last.u.u32.value, 1);
    /* the daemon reads the byte, then end of file: its cue for the FIN */
    assert_int_equal(read(peer, &c, 1), 1);
    assert_int_equal(read(peer, &c, 1), 0);
    assert_int_equal(tcpip_close(fd), 0);
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
    assert_int_equal(fk.last.h.type, IPC_OP_SETOPT);
    assert_int_equal(fk.last.u.opt.name, IPC_TCP_NODELAY);
    assert_int_equal(fk.last.u.opt.value, 1);
    assert_int_equal(tcpip_setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg), 0);
    assert_int_equal(fk.last.u.opt.name, IPC_SO_LINGER);
    assert_int_equal(fk.last.u.opt.value, 5);
    lg.l_onoff = 0;
    assert_int_equal(tcpip_setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg), 0);
    assert_int_equal(fk.last.u.opt.value, -1);
    int n = fake_requests();
    /* answered here, as Linux answers them */
    assert_int_equal(tcpip_setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, 2), -1);
    assert_int_equal(errno, EINVAL);
    assert_int_equal(tcpip_setsockopt(fd, SOL_SOCKET, SO_BROADCAST, &one, sizeof one), -1);
    assert_int_equal(errno, ENOPROTOOPT);
    assert_int_equal(tcpip_setsockopt(u, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one), -1);
    assert_int_equal(errno, ENOPROTOOPT);
    assert_int_equal(tcpip_setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one), -1);
    assert_int_equal(errno, ENOPROTOOPT);
    assert_int_equal(tcpip_setsockopt(fd, SOL_SOCKET, SO_TYPE, &one, sizeof one), -1);
    assert_int_equal(errno, ENOPROTOOPT);
    assert_int_equal(fake_requests(), n);
    /* getsockopt: the value, and the length as Linux trims it */
    pthread_mutex_lock(&fk.mu);
    fk.opt_value = 212992;
    pthread_mutex_unlock(&fk.mu);
    assert_int_equal(tcpip_getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &v, &len), 0);
    assert_int_equal(fk.last.u.opt.name, IPC_SO_RCVBUF);
    assert_int_equal(v, 212992);
    assert_int_equal(len, sizeof v);
    pthread_mutex_lock(&fk.mu);
    fk.opt_value = 7;
    pthread_mutex_unlock(&fk.mu);
    len = sizeof lg;
    assert_int_equal(tcpip_getsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, &len), 0);
    assert_int_equal(lg.l_onoff, 1);
    assert_int_equal(lg.l_linger, 7);
    len = sizeof v;
    assert_int_equal(tcpip_getsockopt(u, SOL_SOCKET, SO_TYPE, &v, &len), 0);
    assert_int_equal(v, SOCK_DGRAM);
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
    pthread_mutex_lock(&fk.mu);
    fk.name_local = ep4(10, 77, 0, 1, 40000);
    memset(&fk.name_remote, 0, sizeof fk.name_remote);
    pthread_mutex_unlock(&fk.mu);
    assert_int_equal(tcpip_getsockname(fd, (struct sockaddr *)&a, &len), 0);
    assert_int_equal(fk.last.h.type, IPC_OP_GETNAME);
    assert_int_equal(ntohs(a.sin_port), 40000);
    assert_int_equal(tcpip_getpeername(fd, (struct sockaddr *)&a, &len), -1);
    assert_int_equal(errno, ENOTCONN);
    pthread_mutex_lock(&fk.mu);
    fk.name_remote = ep4(10, 77, 0, 2, 80);
    pthread_mutex_unlock(&fk.mu);
    assert_int_equal(tcpip_getpeername(fd, (struct sockaddr *)&a, &len), 0);
    assert_int_equal(a.sin_addr.s_addr, htonl(0x0a4d0002));
    assert_int_equal(tcpip_close(fd), 0);
}

/* The test plays the daemon: one ACCEPT with the connection's fd. */
static int send_accept(int peer, uint64_t id, uint64_t token, int conn_fd, int extra_fd)
{
    struct ipc_accept acc = { .sock_id = id, .token = token };
    uint8_t msg[IPC_MAX_MSG];
    int fds[2] = { conn_fd, extra_fd };

    acc.local = ep4(10, 77, 0, 1, 7);
    acc.remote = ep4(10, 77, 0, 2, 50000);
    size_t n = ipc_encode_accept(msg, sizeof msg, &acc);
    return send_fds(peer, msg, n, fds, extra_fd >= 0 ? 2 : conn_fd >= 0 ? 1 : 0);
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
    assert_int_equal(fk.last.u.listen.backlog, 16);
    int peer = fake_peer();
    assert_int_equal(tcpip_accept(lfd, NULL, NULL), -1);
    assert_int_equal(errno, EAGAIN);          /* nothing yet, non-blocking */

    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, pair), 0);
    pthread_mutex_lock(&fk.mu);
    fk.accept_id = 9;
    fk.accept_token = 0x1122334455667788ull;
    pthread_mutex_unlock(&fk.mu);
    assert_int_equal(send_accept(peer, 9, 0x1122334455667788ull, pair[1], -1), 0);
    close(pair[1]);
    int n = fake_requests();
    int c = tcpip_accept4(lfd, (struct sockaddr *)&a, &len, SOCK_CLOEXEC | SOCK_NONBLOCK);
    assert_true(c >= 0);
    assert_int_equal(len, sizeof a);
    assert_int_equal(ntohs(a.sin_port), 50000);
    assert_true(fcntl(c, F_GETFD) & FD_CLOEXEC);
    assert_true(fcntl(c, F_GETFL) & O_NONBLOCK);
    /* names without asking; data at once */
    assert_int_equal(tcpip_getsockname(c, (struct sockaddr *)&a, &len), 0);
    assert_int_equal(ntohs(a.sin_port), 7);
    assert_int_equal(fake_requests(), n);
    assert_int_equal(write(pair[0], "abc", 3), 3);
    assert_int_equal(tcpip_recv(c, buf, sizeof buf, 0), 3);
    /* the first control request attaches with the token */
    assert_int_equal(tcpip_setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one), 0);
    assert_int_equal(fk.attaches, 1);
    assert_int_equal(fk.last.h.type, IPC_OP_SETOPT);
    assert_int_equal(tcpip_setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one), 0);
    assert_int_equal(fk.attaches, 1);
    assert_int_equal(tcpip_close(c), 0);
    close(pair[0]);

    /* hostile: two fds, no fd, garbage: EPROTO, and no fd left behind */
    int before = count_fds();
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, pair), 0);
    assert_int_equal(send_accept(peer, 10, 1, pair[0], pair[1]), 0);
    close(pair[0]);
    close(pair[1]);
    assert_int_equal(tcpip_accept(lfd, NULL, NULL), -1);
    assert_int_equal(errno, EPROTO);
    assert_int_equal(send_accept(peer, 11, 1, -1, -1), 0);
    assert_int_equal(tcpip_accept(lfd, NULL, NULL), -1);
    assert_int_equal(errno, EPROTO);
    assert_int_equal(count_fds(), before);
    /* the daemon closed the listener: an error, not a hang */
    shutdown(peer, SHUT_RDWR);
    assert_int_equal(tcpip_accept(lfd, NULL, NULL), -1);
    assert_int_equal(errno, ECONNRESET);
    assert_int_equal(tcpip_close(lfd), 0);
}

static void test_accepted_attach_refused(void **state)
{
    int pair[2], one = 1;

    (void)state;
    int lfd = tcpip_socket(AF_INET, SOCK_STREAM, 0);
    assert_true(lfd >= 0);
    assert_int_equal(tcpip_listen(lfd, 1), 0);
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, pair), 0);
    pthread_mutex_lock(&fk.mu);
    fk.accept_id = 9;
    fk.accept_token = 1;
    pthread_mutex_unlock(&fk.mu);
    assert_int_equal(send_accept(fake_peer(), 9, 2, pair[1], -1), 0);   /* wrong token */
    close(pair[1]);
    int c = tcpip_accept(lfd, NULL, NULL);
    assert_true(c >= 0);
    assert_int_equal(tcpip_setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one), -1);
    assert_int_equal(errno, EBADF);
    assert_int_equal(tcpip_close(c), 0);
    close(pair[0]);
    assert_int_equal(tcpip_close(lfd), 0);
}

static void test_udp_datagrams(void **state)
{
    struct sockaddr_in to = sin4("10.77.0.2", 9), from;
    socklen_t flen = sizeof from;
    uint8_t msg[64], hdr[IPC_DGRAM_HDR_LEN];
    struct ipc_endpoint ep;
    char buf[8];

    (void)state;
    int fd = tcpip_socket(AF_INET, SOCK_DGRAM, 0);
    assert_true(fd >= 0);
    int peer = fake_peer();
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
    /* connected: no address, the header says "the connected peer" */
    assert_int_equal(tcpip_connect(fd, (struct sockaddr *)&to, sizeof to), 0);
    assert_int_equal(tcpip_send(fd, "y", 1, 0), 1);
    assert_int_equal(recv(peer, msg, sizeof msg, 0), IPC_DGRAM_HDR_LEN + 1);
    assert_int_equal(ipc_decode_endpoint(msg, &ep), IPC_OK);
    assert_int_equal(ep.family, IPC_AF_UNSPEC);

    /* receive: source address, truncation like UDP's */
    ep = ep4(10, 77, 0, 2, 54321);
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
    /* shut down for writing: the request, then EPIPE on send */
    assert_int_equal(tcpip_shutdown(fd, SHUT_WR), 0);
    assert_int_equal(fk.last.h.type, IPC_OP_SHUTDOWN);
    assert_int_equal(tcpip_send(fd, "y", 1, 0), -1);
    assert_int_equal(errno, EPIPE);
    assert_int_equal(tcpip_close(fd), 0);
}

/* Many threads, one fd each and one shared: every request gets its own
 * reply (the per-socket lock), nothing crashes under the sanitizers. */
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
    int before = count_fds();
    for (int i = 0; i < 4; i++) {
        w[i] = (struct worker){ .shared_fd = shared };
        assert_int_equal(pthread_create(&th[i], NULL, worker_main, &w[i]), 0);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(th[i], NULL);
        assert_int_equal(w[i].ok, 20);
    }
    assert_int_equal(count_fds(), before);
    assert_int_equal(tcpip_close(shared), 0);
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
        cmocka_unit_test(test_socket_backend_is_the_kernel),
        cmocka_unit_test_setup_teardown(test_malformed_reply_kills_socket, fake_setup,
                                        fake_teardown),
        cmocka_unit_test_setup_teardown(test_bind_connect_requests, fake_setup, fake_teardown),
        cmocka_unit_test_setup_teardown(test_nonblocking_connect_and_so_error, fake_setup,
                                        fake_teardown),
        cmocka_unit_test_setup_teardown(test_tcp_errors_behind_eof, fake_setup, fake_teardown),
        cmocka_unit_test_setup_teardown(test_shutdown_order, fake_setup, fake_teardown),
        cmocka_unit_test_setup_teardown(test_options, fake_setup, fake_teardown),
        cmocka_unit_test_setup_teardown(test_names, fake_setup, fake_teardown),
        cmocka_unit_test_setup_teardown(test_accept, fake_setup, fake_teardown),
        cmocka_unit_test_setup_teardown(test_accepted_attach_refused, fake_setup, fake_teardown),
        cmocka_unit_test_setup_teardown(test_udp_datagrams, fake_setup, fake_teardown),
        cmocka_unit_test_setup_teardown(test_threads, fake_setup, fake_teardown),
    };
    /* A test that fails must fail by assertion, not by SIGPIPE. */
    signal(SIGPIPE, SIG_IGN);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
