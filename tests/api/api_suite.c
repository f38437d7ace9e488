/* api_suite.c - the cross-backend API suite of libtcpip.
 *
 *   api_suite --local ADDR --peer ADDR [--label NAME] [--only CASE] [--list]
 *
 * One program, the same cases, whichever backend TCPIP_BACKEND selects:
 * the kernel backend ("socket") is the reference, and the direct backend
 * (tcpipd) must give the same results. In every case the socket under test
 * is a libtcpip socket on the stack whose address is --local, and its peer
 * is a plain kernel socket (libc calls, never tcpip_*) bound to --peer. The
 * cases that have two sides run with the libtcpip socket on each side
 * (client and server, the one that resets and the one that is reset).
 *
 * The family is the addresses': two IPv4 addresses run every case over
 * AF_INET, two IPv6 ones (e.g. fd77::2 and fd77::1) over AF_INET6.
 *
 * Output: "ok - LABEL: case" / "not ok - LABEL: case" per case (counted by
 * tests/run.sh through test_api.sh), with "# " lines naming, on failure,
 * the exact call and the expected vs actual result. Exit 0 iff all passed.
 *
 * Each case runs in its own child process under alarm(CASE_SECS), so a
 * hang or a crash fails that case only; every wait inside is a bounded
 * poll. It sends packets: run it inside a network namespace
 * (tests/integration/test_api.sh). */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#ifdef API_SUITE_PLAIN
/* api_suite_plain: the same cases as an unmodified program makes them,
 * with the BSD calls themselves, linked with no libtcpip; run under
 * tcpip-run it tests libtcpip-preload.so (the "preload" runs of
 * test_api.sh). The kernel peer's sockets are made with the raw system
 * call, which no preload library sees; every other call on them passes
 * through the library to the C library. */
#define tcpip_socket socket
#define tcpip_bind bind
#define tcpip_listen listen
#define tcpip_accept accept
#define tcpip_accept4 accept4
#define tcpip_connect connect
#define tcpip_send send
#define tcpip_recv recv
#define tcpip_sendto sendto
#define tcpip_recvfrom recvfrom
#define tcpip_sendmsg sendmsg
#define tcpip_recvmsg recvmsg
#define tcpip_read read
#define tcpip_write write
#define tcpip_shutdown shutdown
#define tcpip_close close
#define tcpip_getsockname getsockname
#define tcpip_getpeername getpeername
#define tcpip_setsockopt setsockopt
#define tcpip_getsockopt getsockopt
#define tcpip_init(backend, path) 0
#define tcpip_backend_name() (getenv("LD_PRELOAD") != NULL ? "preload" : "plain kernel calls")
#define kern_sys_socket(domain, type, protocol) ((int)syscall(SYS_socket, domain, type, protocol))
#else
#include "client-lib/tcpip.h"
#define kern_sys_socket(domain, type, protocol) socket(domain, type, protocol)
#endif

#define CASE_SECS 20
#define WAIT_MS 5000

/* An address of the suite's family: the cases are written once for
 * AF_INET and AF_INET6. As input to bind/connect/sendto the whole union's
 * size is passed (both Linux and libtcpip accept a longer length); as
 * output the length must be the family's (addr_len). */
union inaddr {
    struct sockaddr sa;
    struct sockaddr_in in;
    struct sockaddr_in6 in6;
};

static int family = AF_INET;          /* of --local and --peer */
static union inaddr local_addr;       /* the stack under test */
static union inaddr peer_addr;        /* the kernel peer */
static const char *label = "api";

/* ---- reporting ---- */

static void note(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("# ", stdout);
    vprintf(fmt, ap);
    fputs("\n", stdout);
    va_end(ap);
}

/* The length getsockname/accept/recvfrom report for the family. */
static socklen_t addr_len(void)
{
    return family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
}

static uint16_t port_of(const union inaddr *a)
{
    return ntohs(a->sa.sa_family == AF_INET6 ? a->in6.sin6_port : a->in.sin_port);
}

static bool same_ip(const union inaddr *a, const union inaddr *b)
{
    if (a->sa.sa_family != b->sa.sa_family)
        return false;
    if (a->sa.sa_family == AF_INET6)
        return memcmp(&a->in6.sin6_addr, &b->in6.sin6_addr, 16) == 0;
    return a->in.sin_addr.s_addr == b->in.sin_addr.s_addr;
}

/* The unspecified address of the family (0.0.0.0 or ::) with a port. */
static union inaddr any_addr(uint16_t port)
{
    union inaddr r;
    memset(&r, 0, sizeof(r));
    r.sa.sa_family = (sa_family_t)family;
    if (family == AF_INET6)
        r.in6.sin6_port = htons(port);
    else
        r.in.sin_port = htons(port);
    return r;
}

/* "10.77.0.2:49152" or "[fd77::2]:49152" in a static buffer (one of
 * four, for one printf). */
static const char *fmt_addr(const union inaddr *sa)
{
    static char bufs[4][64];
    static int next;
    char *b = bufs[next++ % 4];
    char ip[INET6_ADDRSTRLEN] = "?";
    if (sa->sa.sa_family == AF_INET6) {
        inet_ntop(AF_INET6, &sa->in6.sin6_addr, ip, sizeof(ip));
        snprintf(b, 64, "[%s]:%u", ip, port_of(sa));
    } else {
        inet_ntop(AF_INET, &sa->in.sin_addr, ip, sizeof(ip));
        snprintf(b, 64, "%s:%u", ip, port_of(sa));
    }
    return b;
}

static const char *errname(int e)
{
    switch (e) {
    case 0: return "0";
    case ECONNREFUSED: return "ECONNREFUSED";
    case ECONNRESET: return "ECONNRESET";
    case EINPROGRESS: return "EINPROGRESS";
    case EADDRINUSE: return "EADDRINUSE";
    case EINVAL: return "EINVAL";
    case ENOPROTOOPT: return "ENOPROTOOPT";
    case ENOTCONN: return "ENOTCONN";
    case EPIPE: return "EPIPE";
    case EAGAIN: return "EAGAIN";
    case ETIMEDOUT: return "ETIMEDOUT";
    case EOPNOTSUPP: return "EOPNOTSUPP";
    default: return strerror(e);
    }
}

/* Every check: on failure, one "# " line with the call and what differed,
 * then the case ends through its `out:` label (which closes its fds). */
#define CHECK(cond, ...)                                                                    \
    do {                                                                                    \
        if (!(cond)) {                                                                      \
            note(__VA_ARGS__);                                                              \
            goto out;                                                                       \
        }                                                                                   \
    } while (0)

/* A call that must fail with `want`: rc -1 and errno want. */
#define CHECK_ERRNO(call_text, rc, want)                                                    \
    do {                                                                                    \
        int e_ = errno;                                                                     \
        if ((rc) != -1 || e_ != (want)) {                                                   \
            note("%s: expected -1/%s, got %ld/%s", call_text, errname(want), (long)(rc),   \
                 (rc) == -1 ? errname(e_) : "-");                                           \
            goto out;                                                                       \
        }                                                                                   \
    } while (0)

/* A call that must succeed (rc >= 0). */
#define CHECK_OK(call_text, rc)                                                             \
    do {                                                                                    \
        if ((rc) < 0) {                                                                     \
            note("%s: expected success, got -1/%s", call_text, errname(errno));            \
            goto out;                                                                       \
        }                                                                                   \
    } while (0)

static void close_lib(int *fd)
{
    if (*fd >= 0)
        tcpip_close(*fd);
    *fd = -1;
}

static void close_kern(int *fd)
{
    if (*fd >= 0)
        close(*fd);
    *fd = -1;
}

static bool same_addr(const union inaddr *a, const union inaddr *b)
{
    return same_ip(a, b) && port_of(a) == port_of(b);
}

static union inaddr with_port(const union inaddr *a, uint16_t port)
{
    union inaddr r = *a;
    if (r.sa.sa_family == AF_INET6)
        r.in6.sin6_port = htons(port);
    else
        r.in.sin_port = htons(port);
    return r;
}

/* poll one fd: its revents, 0 on timeout, -1 on error. */
static int wait_fd(int fd, short events, int ms)
{
    struct pollfd p = {.fd = fd, .events = events};
    int n = poll(&p, 1, ms);
    return n <= 0 ? n : p.revents;
}

/* ---- the kernel peer: plain libc sockets, bounded by SO_RCVTIMEO ---- */

/* A kernel socket bound to the peer address, port 0; NULL name ok. */
static int kern_socket(int type, union inaddr *name)
{
    int fd = kern_sys_socket(family, type, 0);
    if (fd < 0)
        return -1;
    struct timeval tv = {.tv_sec = WAIT_MS / 1000};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    union inaddr a = with_port(&peer_addr, 0);
    socklen_t len = sizeof(a);
    if (bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 ||
        (name != NULL && getsockname(fd, (struct sockaddr *)name, &len) < 0)) {
        close(fd);
        return -1;
    }
    return fd;
}

static int kern_listener(union inaddr *name)
{
    int fd = kern_socket(SOCK_STREAM, name);
    if (fd >= 0 && listen(fd, 16) < 0) {
        close(fd);
        return -1;
    }
    return fd;
}

/* accept on a kernel listener, bounded. */
static int kern_accept(int lfd)
{
    if (wait_fd(lfd, POLLIN, WAIT_MS) <= 0)
        return -1;
    int fd = accept(lfd, NULL, NULL);
    if (fd >= 0) {
        struct timeval tv = {.tv_sec = WAIT_MS / 1000};
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    }
    return fd;
}

/* Read exactly len bytes from a kernel socket (0 ok, -1 short/error). */
static int kern_read_exact(int fd, char *buf, size_t len)
{
    size_t got = 0;
    while (got < len) {
        ssize_t n = recv(fd, buf + got, len - got, 0);
        if (n <= 0)
            return -1;
        got += (size_t)n;
    }
    return 0;
}

/* ---- the socket under test ---- */

/* tcpip_recv after waiting for POLLIN; -2 when nothing came in time. */
static ssize_t lib_recv_wait(int fd, void *buf, size_t len, int flags)
{
    if (wait_fd(fd, POLLIN, WAIT_MS) <= 0)
        return -2;
    return tcpip_recv(fd, buf, len, flags);
}

/* Read exactly len bytes from a libtcpip socket (0 ok, -1 short/error). */
static int lib_read_exact(int fd, char *buf, size_t len)
{
    size_t got = 0;
    while (got < len) {
        ssize_t n = lib_recv_wait(fd, buf + got, len - got, 0);
        if (n <= 0)
            return -1;
        got += (size_t)n;
    }
    return 0;
}

/* A connected pair: libtcpip client *lfd to a kernel listener, accepted
 * as *kfd. 0 or -1 (with a note). */
static int pair_lib_client(int *lfd, int *kfd)
{
    union inaddr srv;
    int ls = kern_listener(&srv);
    if (ls < 0) {
        note("kernel listener on %s: %s", fmt_addr(&peer_addr), strerror(errno));
        return -1;
    }
    *lfd = tcpip_socket(family, SOCK_STREAM, 0);
    if (*lfd < 0 || tcpip_connect(*lfd, (struct sockaddr *)&srv, sizeof(srv)) < 0) {
        note("tcpip_connect(%s): %s", fmt_addr(&srv), strerror(errno));
        close(ls);
        return -1;
    }
    *kfd = kern_accept(ls);
    close(ls);
    if (*kfd < 0) {
        note("kernel accept of the libtcpip client: nothing within %d ms", WAIT_MS);
        return -1;
    }
    return 0;
}

/* A connected pair the other way: a kernel client *kfd accepted by a
 * libtcpip listener as *lfd. */
static int pair_lib_server(int *lfd, int *kfd)
{
    int ls = tcpip_socket(family, SOCK_STREAM, 0);
    union inaddr a = with_port(&local_addr, 0);
    socklen_t alen = sizeof(a);
    if (ls < 0 || tcpip_bind(ls, (struct sockaddr *)&a, sizeof(a)) < 0 ||
        tcpip_listen(ls, 16) < 0 || tcpip_getsockname(ls, (struct sockaddr *)&a, &alen) < 0) {
        note("libtcpip listener on %s: %s", fmt_addr(&local_addr), strerror(errno));
        if (ls >= 0)
            tcpip_close(ls);
        return -1;
    }
    *kfd = kern_socket(SOCK_STREAM, NULL);
    if (*kfd < 0 || connect(*kfd, (struct sockaddr *)&a, sizeof(a)) < 0) {
        note("kernel connect(%s): %s", fmt_addr(&a), strerror(errno));
        tcpip_close(ls);
        return -1;
    }
    if (wait_fd(ls, POLLIN, WAIT_MS) <= 0) {
        note("libtcpip listener not readable within %d ms", WAIT_MS);
        tcpip_close(ls);
        return -1;
    }
    *lfd = tcpip_accept(ls, NULL, NULL);
    tcpip_close(ls);
    if (*lfd < 0) {
        note("tcpip_accept: %s", strerror(errno));
        return -1;
    }
    return 0;
}

/* ---- the cases ---- */

/* connect(2) ERRORS: a RST in answer to the SYN (RFC 9293 3.10.7.1: a
 * port with no listener) is ECONNREFUSED. The kernel port is bound but
 * not listening, so nobody else can take it during the case. */
static bool case_refused(void)
{
    bool pass = false;
    int kfd = -1, fd = -1;
    union inaddr closed;
    kfd = kern_socket(SOCK_STREAM, &closed);
    CHECK(kfd >= 0, "kernel bind %s: %s", fmt_addr(&peer_addr), strerror(errno));
    fd = tcpip_socket(family, SOCK_STREAM, 0);
    CHECK_OK("tcpip_socket(family, SOCK_STREAM)", fd);
    int rc = tcpip_connect(fd, (struct sockaddr *)&closed, sizeof(closed));
    char what[96];
    snprintf(what, sizeof(what), "tcpip_connect(%s) [closed port]", fmt_addr(&closed));
    CHECK_ERRNO(what, rc, ECONNREFUSED);
    pass = true;
out:
    close_lib(&fd);
    close_kern(&kfd);
    return pass;
}

/* A listener is readable exactly when accept will not block; accept
 * gives the peer's name; the new socket carries bytes both ways. */
static bool case_accept_poll(void)
{
    bool pass = false;
    int ls = -1, kfd = -1, fd = -1;
    union inaddr a = with_port(&local_addr, 0), kname, from, name;
    socklen_t alen = sizeof(a), flen = sizeof(from), nlen = sizeof(name);
    char buf[8];

    ls = tcpip_socket(family, SOCK_STREAM, 0);
    CHECK_OK("tcpip_socket", ls);
    CHECK_OK("tcpip_bind(local:0)", tcpip_bind(ls, (struct sockaddr *)&a, sizeof(a)));
    CHECK_OK("tcpip_listen(16)", tcpip_listen(ls, 16));
    CHECK_OK("tcpip_getsockname(listener)", tcpip_getsockname(ls, (struct sockaddr *)&a, &alen));
    int ev = wait_fd(ls, POLLIN, 100);
    CHECK(ev == 0, "poll(listener, POLLIN) with no connection: expected timeout, got revents 0x%x",
          ev);
    kfd = kern_socket(SOCK_STREAM, &kname);
    CHECK(kfd >= 0 && connect(kfd, (struct sockaddr *)&a, sizeof(a)) == 0,
          "kernel connect(%s): %s", fmt_addr(&a), strerror(errno));
    ev = wait_fd(ls, POLLIN, WAIT_MS);
    CHECK(ev > 0 && (ev & POLLIN), "poll(listener, POLLIN) after a connect: expected POLLIN, got %d",
          ev);
    fd = tcpip_accept(ls, (struct sockaddr *)&from, &flen);
    CHECK_OK("tcpip_accept after POLLIN", fd);
    CHECK(flen == addr_len() && same_addr(&from, &kname),
          "tcpip_accept peer: expected %s, got %s (len %u)", fmt_addr(&kname), fmt_addr(&from),
          (unsigned)flen);
    CHECK_OK("tcpip_getsockname(accepted)", tcpip_getsockname(fd, (struct sockaddr *)&name, &nlen));
    CHECK(same_addr(&name, &a), "tcpip_getsockname(accepted): expected %s, got %s", fmt_addr(&a),
          fmt_addr(&name));
    CHECK(send(kfd, "ping", 4, 0) == 4, "kernel send: %s", strerror(errno));
    CHECK(lib_read_exact(fd, buf, 4) == 0 && memcmp(buf, "ping", 4) == 0,
          "tcpip_recv on the accepted socket: expected \"ping\"");
    CHECK(tcpip_send(fd, "pong", 4, 0) == 4, "tcpip_send(accepted): %s", strerror(errno));
    CHECK(kern_read_exact(kfd, buf, 4) == 0 && memcmp(buf, "pong", 4) == 0,
          "kernel recv: expected \"pong\"");
    pass = true;
out:
    close_lib(&fd);
    close_lib(&ls);
    close_kern(&kfd);
    return pass;
}

/* RFC 9293 3.6 half-close: after shutdown(SHUT_WR) the peer reads all the
 * data then EOF, and can still send the other way. lib_is_client: the
 * libtcpip socket connects (else it is accepted); it is the one that
 * half-closes in both placements, since that is the call under test. */
static bool half_close(bool lib_is_client)
{
    bool pass = false;
    int fd = -1, kfd = -1;
    char buf[16];
    if ((lib_is_client ? pair_lib_client(&fd, &kfd) : pair_lib_server(&fd, &kfd)) < 0)
        goto out;
    CHECK(tcpip_send(fd, "request", 7, 0) == 7, "tcpip_send: %s", strerror(errno));
    CHECK_OK("tcpip_shutdown(SHUT_WR)", tcpip_shutdown(fd, SHUT_WR));
    CHECK(kern_read_exact(kfd, buf, 7) == 0 && memcmp(buf, "request", 7) == 0,
          "kernel recv: expected \"request\" before the FIN");
    ssize_t n = recv(kfd, buf, sizeof(buf), 0);
    CHECK(n == 0, "kernel recv after tcpip_shutdown(SHUT_WR): expected 0 (EOF), got %zd/%s", n,
          n < 0 ? errname(errno) : "-");
    CHECK(send(kfd, "reply", 5, 0) == 5, "kernel send after the FIN: %s", strerror(errno));
    CHECK(shutdown(kfd, SHUT_WR) == 0, "kernel shutdown: %s", strerror(errno));
    CHECK(lib_read_exact(fd, buf, 5) == 0 && memcmp(buf, "reply", 5) == 0,
          "tcpip_recv after own SHUT_WR: expected \"reply\"");
    n = lib_recv_wait(fd, buf, sizeof(buf), 0);
    CHECK(n == 0, "tcpip_recv at the peer's FIN: expected 0, got %zd/%s", n,
          n == -1 ? errname(errno) : n == -2 ? "poll timeout" : "-");
    pass = true;
out:
    close_lib(&fd);
    close_kern(&kfd);
    return pass;
}

static bool case_half_close_client(void) { return half_close(true); }
static bool case_half_close_server(void) { return half_close(false); }

/* The kernel peer aborts (SO_LINGER {1,0}: close sends RST, RFC 9293
 * 3.10.4 ABORT); the libtcpip side's tcpip_recv says ECONNRESET. */
static bool case_reset_by_peer(void)
{
    bool pass = false;
    int fd = -1, kfd = -1;
    char buf[16];
    if (pair_lib_client(&fd, &kfd) < 0)
        goto out;
    struct linger lg = {.l_onoff = 1, .l_linger = 0};
    CHECK(setsockopt(kfd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)) == 0, "kernel SO_LINGER: %s",
          strerror(errno));
    close_kern(&kfd);
    ssize_t n = lib_recv_wait(fd, buf, sizeof(buf), 0);
    int e = errno;
    CHECK(n == -1 && e == ECONNRESET,
          "tcpip_recv after the peer's RST: expected -1/ECONNRESET, got %zd/%s", n,
          n == -1 ? errname(e) : n == -2 ? "poll timeout" : "-");
    /* Linux reports the reset once; after it, writes see EPIPE. */
    n = tcpip_send(fd, "x", 1, MSG_NOSIGNAL);
    e = errno;
    CHECK(n == -1 && e == EPIPE, "tcpip_send after ECONNRESET: expected -1/EPIPE, got %zd/%s", n,
          n == -1 ? errname(e) : "-");
    pass = true;
out:
    close_lib(&fd);
    close_kern(&kfd);
    return pass;
}

/* The libtcpip socket aborts: tcpip_setsockopt(SO_LINGER {1,0}) then
 * tcpip_close sends RST; the kernel peer's recv says ECONNRESET. Both
 * placements: the accepted side exercises the lazily attached control
 * channel. */
static bool reset_by_lib(bool lib_is_client)
{
    bool pass = false;
    int fd = -1, kfd = -1;
    char buf[16];
    if ((lib_is_client ? pair_lib_client(&fd, &kfd) : pair_lib_server(&fd, &kfd)) < 0)
        goto out;
    struct linger lg = {.l_onoff = 1, .l_linger = 0};
    CHECK_OK("tcpip_setsockopt(SO_LINGER {1,0})",
             tcpip_setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)));
    struct linger back = {0};
    socklen_t blen = sizeof(back);
    CHECK_OK("tcpip_getsockopt(SO_LINGER)", tcpip_getsockopt(fd, SOL_SOCKET, SO_LINGER, &back, &blen));
    CHECK(blen == sizeof(back) && back.l_onoff == 1 && back.l_linger == 0,
          "tcpip_getsockopt(SO_LINGER): expected {1,0} len %zu, got {%d,%d} len %u", sizeof(back),
          back.l_onoff, back.l_linger, (unsigned)blen);
    close_lib(&fd);
    ssize_t n = recv(kfd, buf, sizeof(buf), 0);
    int e = errno;
    CHECK(n == -1 && e == ECONNRESET,
          "kernel recv after tcpip_close with SO_LINGER {1,0}: expected -1/ECONNRESET, got %zd/%s",
          n, n == -1 ? errname(e) : "-");
    pass = true;
out:
    close_lib(&fd);
    close_kern(&kfd);
    return pass;
}

static bool case_reset_by_lib_client(void) { return reset_by_lib(true); }
static bool case_reset_by_lib_server(void) { return reset_by_lib(false); }

/* RFC 2525 2.17 (and Linux): closing a socket with received data never
 * read sends RST, not FIN: the peer's recv says ECONNRESET. */
static bool case_close_unread(void)
{
    bool pass = false;
    int fd = -1, kfd = -1;
    char buf[16];
    if (pair_lib_client(&fd, &kfd) < 0)
        goto out;
    CHECK(send(kfd, "unread", 6, 0) == 6, "kernel send: %s", strerror(errno));
    CHECK(wait_fd(fd, POLLIN, WAIT_MS) > 0, "the bytes never reached the libtcpip socket");
    close_lib(&fd);
    ssize_t n = recv(kfd, buf, sizeof(buf), 0);
    int e = errno;
    CHECK(n == -1 && e == ECONNRESET,
          "kernel recv after tcpip_close with 6 bytes unread: expected -1/ECONNRESET, got %zd/%s",
          n, n == -1 ? errname(e) : "-");
    pass = true;
out:
    close_lib(&fd);
    close_kern(&kfd);
    return pass;
}

/* close(2) on a TCP socket is graceful (RFC 9293 3.10.4 CLOSE): every
 * byte already accepted by send is still delivered, then the FIN. The
 * send buffers are filled first (MSG_DONTWAIT until EAGAIN, the peer not
 * reading), so bytes are still queued inside the stack at close time. */
static bool case_close_flushes(void)
{
    bool pass = false;
    int fd = -1, kfd = -1;
    static char chunk[65536], in[65536];
    size_t sent = 0, got = 0;
    memset(chunk, 'z', sizeof(chunk));
    if (pair_lib_client(&fd, &kfd) < 0)
        goto out;
    /* Bounded: 64 MiB is far beyond any default buffer sizes. */
    while (sent < 64u * 1024 * 1024) {
        ssize_t n = tcpip_send(fd, chunk, sizeof(chunk), MSG_DONTWAIT | MSG_NOSIGNAL);
        if (n < 0) {
            CHECK(errno == EAGAIN || errno == EWOULDBLOCK,
                  "tcpip_send(MSG_DONTWAIT) filling the buffers: expected EAGAIN at the end, got %s",
                  errname(errno));
            break;
        }
        sent += (size_t)n;
    }
    note("%zu bytes queued before tcpip_close", sent);
    close_lib(&fd);
    for (;;) {
        ssize_t n = recv(kfd, in, sizeof(in), 0);
        if (n <= 0) {
            int e = errno;
            CHECK(n == 0 && got == sent,
                  "kernel recv after tcpip_close: expected all %zu bytes then 0 (EOF), got %zu "
                  "bytes then %zd/%s", sent, got, n, n < 0 ? errname(e) : "-");
            break;
        }
        got += (size_t)n;
        CHECK(got <= sent, "kernel recv: more bytes (%zu) than were sent (%zu)", got, sent);
    }
    pass = true;
out:
    close_lib(&fd);
    close_kern(&kfd);
    return pass;
}

/* connect(2) on a non-blocking socket: EINPROGRESS, then POLLOUT, then
 * SO_ERROR holds the outcome. refused: to a closed port, SO_ERROR is
 * ECONNREFUSED. */
static bool nonblock_connect(bool refused)
{
    bool pass = false;
    int ls = -1, fd = -1, kfd = -1;
    union inaddr srv, name, peer;
    socklen_t nlen = sizeof(name), plen = sizeof(peer);
    char buf[8];
    ls = refused ? kern_socket(SOCK_STREAM, &srv) : kern_listener(&srv);
    CHECK(ls >= 0, "kernel socket on %s: %s", fmt_addr(&peer_addr), strerror(errno));
    fd = tcpip_socket(family, SOCK_STREAM | SOCK_NONBLOCK, 0);
    CHECK_OK("tcpip_socket(SOCK_STREAM|SOCK_NONBLOCK)", fd);
    int rc = tcpip_connect(fd, (struct sockaddr *)&srv, sizeof(srv));
    CHECK_ERRNO("tcpip_connect (non-blocking)", rc, EINPROGRESS);
    int ev = wait_fd(fd, POLLOUT, WAIT_MS);
    CHECK(ev > 0 && (ev & POLLOUT), "poll(POLLOUT) after EINPROGRESS: expected POLLOUT, got %d", ev);
    int err = -1;
    socklen_t elen = sizeof(err);
    CHECK_OK("tcpip_getsockopt(SO_ERROR)", tcpip_getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen));
    int want = refused ? ECONNREFUSED : 0;
    CHECK(err == want, "tcpip_getsockopt(SO_ERROR) after POLLOUT: expected %s, got %s",
          errname(want), errname(err));
    if (refused) {
        pass = true;
        goto out;
    }
    CHECK_OK("tcpip_getpeername", tcpip_getpeername(fd, (struct sockaddr *)&peer, &plen));
    CHECK(same_addr(&peer, &srv), "tcpip_getpeername: expected %s, got %s", fmt_addr(&srv),
          fmt_addr(&peer));
    CHECK_OK("tcpip_getsockname", tcpip_getsockname(fd, (struct sockaddr *)&name, &nlen));
    union inaddr unspec = any_addr(0);
    CHECK(port_of(&name) != 0 && !same_ip(&name, &unspec),
          "tcpip_getsockname of a connected socket: expected an address and a port, got %s",
          fmt_addr(&name));
    kfd = kern_accept(ls);
    CHECK(kfd >= 0, "kernel accept: nothing within %d ms", WAIT_MS);
    /* Nothing to read yet on a non-blocking socket: EAGAIN. */
    ssize_t n = tcpip_recv(fd, buf, sizeof(buf), 0);
    int e = errno;
    CHECK(n == -1 && (e == EAGAIN || e == EWOULDBLOCK),
          "tcpip_recv with nothing queued (non-blocking): expected -1/EAGAIN, got %zd/%s", n,
          n == -1 ? errname(e) : "-");
    CHECK(tcpip_send(fd, "hi", 2, 0) == 2, "tcpip_send: %s", strerror(errno));
    CHECK(kern_read_exact(kfd, buf, 2) == 0 && memcmp(buf, "hi", 2) == 0,
          "kernel recv: expected \"hi\"");
    pass = true;
out:
    close_kern(&kfd);
    close_lib(&fd);
    close_kern(&ls);
    return pass;
}

static bool case_nonblock_connect(void) { return nonblock_connect(false); }
static bool case_nonblock_connect_refused(void) { return nonblock_connect(true); }

/* A libtcpip UDP socket bound to local:0 and a kernel UDP socket; *lname
 * is the libtcpip socket's name. */
static int udp_pair(int *fd, int *kfd, union inaddr *lname, union inaddr *kname)
{
    union inaddr a = with_port(&local_addr, 0);
    socklen_t alen = sizeof(*lname);
    *kfd = kern_socket(SOCK_DGRAM, kname);
    *fd = tcpip_socket(family, SOCK_DGRAM, 0);
    if (*kfd < 0 || *fd < 0 || tcpip_bind(*fd, (struct sockaddr *)&a, sizeof(a)) < 0 ||
        tcpip_getsockname(*fd, (struct sockaddr *)lname, &alen) < 0) {
        note("UDP sockets: %s", strerror(errno));
        return -1;
    }
    return 0;
}

/* RFC 768: one datagram in, one datagram out, its size kept both ways. */
static bool case_udp_boundaries(void)
{
    bool pass = false;
    int fd = -1, kfd = -1;
    union inaddr lname, kname;
    static const size_t sizes[3] = {1, 1400, 700};
    static char out_buf[1400], in_buf[2048];
    for (size_t i = 0; i < sizeof(out_buf); i++)
        out_buf[i] = (char)(i * 7 + 1);
    if (udp_pair(&fd, &kfd, &lname, &kname) < 0)
        goto out;
    /* kernel -> libtcpip */
    for (int i = 0; i < 3; i++)
        CHECK(sendto(kfd, out_buf, sizes[i], 0, (struct sockaddr *)&lname, sizeof(lname)) ==
                  (ssize_t)sizes[i],
              "kernel sendto(%s): %s", fmt_addr(&lname), strerror(errno));
    for (int i = 0; i < 3; i++) {
        union inaddr from;
        socklen_t flen = sizeof(from);
        CHECK(wait_fd(fd, POLLIN, WAIT_MS) > 0, "datagram %d (%zu bytes) never arrived", i, sizes[i]);
        ssize_t n = tcpip_recvfrom(fd, in_buf, sizeof(in_buf), 0, (struct sockaddr *)&from, &flen);
        CHECK(n == (ssize_t)sizes[i] && memcmp(in_buf, out_buf, sizes[i]) == 0,
              "tcpip_recvfrom #%d: expected %zu bytes, got %zd/%s", i, sizes[i], n,
              n < 0 ? errname(errno) : "-");
        CHECK(flen == addr_len() && same_addr(&from, &kname),
              "tcpip_recvfrom #%d source: expected %s, got %s", i, fmt_addr(&kname),
              fmt_addr(&from));
    }
    /* libtcpip -> kernel */
    for (int i = 0; i < 3; i++) {
        ssize_t n =
            tcpip_sendto(fd, out_buf, sizes[i], 0, (struct sockaddr *)&kname, sizeof(kname));
        CHECK(n == (ssize_t)sizes[i], "tcpip_sendto(%zu bytes): expected %zu, got %zd/%s",
              sizes[i], sizes[i], n, n < 0 ? errname(errno) : "-");
    }
    for (int i = 0; i < 3; i++) {
        union inaddr from;
        socklen_t flen = sizeof(from);
        ssize_t n = recvfrom(kfd, in_buf, sizeof(in_buf), 0, (struct sockaddr *)&from, &flen);
        CHECK(n == (ssize_t)sizes[i] && memcmp(in_buf, out_buf, sizes[i]) == 0,
              "kernel recvfrom #%d: expected %zu bytes, got %zd/%s", i, sizes[i], n,
              n < 0 ? errname(errno) : "-");
        CHECK(same_addr(&from, &lname), "kernel recvfrom #%d source: expected %s, got %s", i,
              fmt_addr(&lname), fmt_addr(&from));
    }
    pass = true;
out:
    close_lib(&fd);
    close_kern(&kfd);
    return pass;
}

/* The largest datagram each way, as Linux sends and takes it: 65507
 * bytes over IPv4 (v4-mapped included), 65527 over IPv6 (RFC 8200: 65535
 * less the UDP header), fragmented on the way (RFC 791 3.2, RFC 8200
 * 4.5); one byte more is EMSGSIZE. */
static bool case_udp_largest(void)
{
    bool pass = false;
    int fd = -1, kfd = -1;
    union inaddr lname, kname;
    static char out_buf[65528], in_buf[65536];
    for (size_t i = 0; i < sizeof(out_buf); i++)
        out_buf[i] = (char)(i * 13 + 5);
    if (udp_pair(&fd, &kfd, &lname, &kname) < 0)
        goto out;
    bool v6 = family == AF_INET6 && !IN6_IS_ADDR_V4MAPPED(&kname.in6.sin6_addr);
    size_t max = v6 ? 65527 : 65507;
    int rcvbuf = 1 << 20;
    (void)setsockopt(kfd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
    /* kernel -> libtcpip */
    CHECK(sendto(kfd, out_buf, max, 0, (struct sockaddr *)&lname, sizeof(lname)) == (ssize_t)max,
          "kernel sendto(%zu bytes): %s", max, strerror(errno));
    ssize_t n = lib_recv_wait(fd, in_buf, sizeof(in_buf), 0);
    CHECK(n == (ssize_t)max && memcmp(in_buf, out_buf, max) == 0,
          "tcpip_recv of a %zu-byte datagram: got %zd/%s", max, n, n < 0 ? errname(errno) : "-");
    /* libtcpip -> kernel */
    n = tcpip_sendto(fd, out_buf, max, 0, (struct sockaddr *)&kname, sizeof(kname));
    CHECK(n == (ssize_t)max, "tcpip_sendto(%zu bytes): got %zd/%s", max, n,
          n < 0 ? errname(errno) : "-");
    CHECK(wait_fd(kfd, POLLIN, WAIT_MS) > 0, "the %zu-byte datagram never reached the kernel", max);
    n = recv(kfd, in_buf, sizeof(in_buf), 0);
    CHECK(n == (ssize_t)max && memcmp(in_buf, out_buf, max) == 0,
          "kernel recv of the %zu-byte datagram: got %zd", max, n);
    n = tcpip_sendto(fd, out_buf, max + 1, 0, (struct sockaddr *)&kname, sizeof(kname));
    CHECK_ERRNO("tcpip_sendto(one byte past the largest)", n, EMSGSIZE);
    pass = true;
out:
    close_lib(&fd);
    close_kern(&kfd);
    return pass;
}

/* recv(2): a datagram longer than the buffer is truncated and the rest
 * discarded (the next recv gets the next datagram); with MSG_TRUNC the
 * return value is the datagram's real length (Linux, udp(7)). A zero-
 * length datagram is a datagram. */
static bool case_udp_truncation(void)
{
    bool pass = false;
    int fd = -1, kfd = -1;
    union inaddr lname, kname;
    char big[300], small[50];
    memset(big, 'A', sizeof(big));
    if (udp_pair(&fd, &kfd, &lname, &kname) < 0)
        goto out;
    const struct sockaddr *to = (struct sockaddr *)&lname;
    CHECK(sendto(kfd, big, 200, 0, to, sizeof(lname)) == 200 &&
              sendto(kfd, "tail", 4, 0, to, sizeof(lname)) == 4 &&
              sendto(kfd, big, 300, 0, to, sizeof(lname)) == 300 &&
              sendto(kfd, big, 0, 0, to, sizeof(lname)) == 0,
          "kernel sendto: %s", strerror(errno));
    ssize_t n = lib_recv_wait(fd, small, sizeof(small), 0);
    CHECK(n == (ssize_t)sizeof(small),
          "tcpip_recv(50-byte buffer) of a 200-byte datagram: expected 50, got %zd", n);
    n = lib_recv_wait(fd, small, sizeof(small), 0);
    CHECK(n == 4 && memcmp(small, "tail", 4) == 0,
          "tcpip_recv after a truncated datagram: expected the next one (4 bytes), got %zd", n);
    n = lib_recv_wait(fd, small, sizeof(small), MSG_TRUNC);
    CHECK(n == 300, "tcpip_recv(50-byte buffer, MSG_TRUNC) of a 300-byte datagram: expected 300, "
                    "got %zd/%s", n, n == -1 ? errname(errno) : "-");
    n = lib_recv_wait(fd, small, sizeof(small), 0);
    CHECK(n == 0, "tcpip_recv of a zero-length datagram: expected 0, got %zd/%s", n,
          n == -1 ? errname(errno) : n == -2 ? "poll timeout" : "-");
    pass = true;
out:
    close_lib(&fd);
    close_kern(&kfd);
    return pass;
}

/* SO_REUSEADDR (socket(7)): a listener's port whose old connection is in
 * TIME_WAIT (RFC 9293 3.6.1) binds again with SO_REUSEADDR, and without
 * it fails with EADDRINUSE. The libtcpip side closes first, so the
 * TIME_WAIT is on the stack under test. */
static bool case_reuseaddr(void)
{
    bool pass = false;
    int ls = -1, fd = -1, kfd = -1, again = -1;
    int one = 1;
    union inaddr a = with_port(&local_addr, 0);
    socklen_t alen = sizeof(a);
    char buf[4];

    ls = tcpip_socket(family, SOCK_STREAM, 0);
    CHECK_OK("tcpip_socket", ls);
    CHECK_OK("tcpip_setsockopt(SO_REUSEADDR, 1)",
             tcpip_setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)));
    CHECK_OK("tcpip_bind(local:0)", tcpip_bind(ls, (struct sockaddr *)&a, sizeof(a)));
    CHECK_OK("tcpip_listen", tcpip_listen(ls, 16));
    CHECK_OK("tcpip_getsockname", tcpip_getsockname(ls, (struct sockaddr *)&a, &alen));
    kfd = kern_socket(SOCK_STREAM, NULL);
    CHECK(kfd >= 0 && connect(kfd, (struct sockaddr *)&a, sizeof(a)) == 0, "kernel connect(%s): %s",
          fmt_addr(&a), strerror(errno));
    CHECK(wait_fd(ls, POLLIN, WAIT_MS) > 0, "listener not readable within %d ms", WAIT_MS);
    fd = tcpip_accept(ls, NULL, NULL);
    CHECK_OK("tcpip_accept", fd);
    close_lib(&fd); /* active close: TIME_WAIT will be ours */
    CHECK(recv(kfd, buf, sizeof(buf), 0) == 0, "kernel recv: expected EOF after tcpip_close");
    close_kern(&kfd);
    close_lib(&ls);
    /* Let the kernel's FIN reach the stack: the socket goes FIN-WAIT-2 ->
     * TIME-WAIT. Bounded: a short fixed pause is all it needs locally. */
    usleep(200 * 1000);

    again = tcpip_socket(family, SOCK_STREAM, 0);
    CHECK_OK("tcpip_socket", again);
    char what[96];
    snprintf(what, sizeof(what), "tcpip_bind(%s) without SO_REUSEADDR, port in TIME_WAIT",
             fmt_addr(&a));
    int rc = tcpip_bind(again, (struct sockaddr *)&a, sizeof(a));
    CHECK_ERRNO(what, rc, EADDRINUSE);
    close_lib(&again);

    again = tcpip_socket(family, SOCK_STREAM, 0);
    CHECK_OK("tcpip_socket", again);
    CHECK_OK("tcpip_setsockopt(SO_REUSEADDR, 1)",
             tcpip_setsockopt(again, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)));
    snprintf(what, sizeof(what), "tcpip_bind(%s) with SO_REUSEADDR, port in TIME_WAIT",
             fmt_addr(&a));
    CHECK_OK(what, tcpip_bind(again, (struct sockaddr *)&a, sizeof(a)));
    CHECK_OK("tcpip_listen on the reused port", tcpip_listen(again, 16));
    kfd = kern_socket(SOCK_STREAM, NULL);
    CHECK(kfd >= 0 && connect(kfd, (struct sockaddr *)&a, sizeof(a)) == 0,
          "kernel connect to the reused port: %s", strerror(errno));
    pass = true;
out:
    close_lib(&again);
    close_lib(&fd);
    close_lib(&ls);
    close_kern(&kfd);
    return pass;
}

/* Set an int option and read it back: 0 if it reads `want`. */
static bool opt_roundtrip(int fd, int level, int name, const char *text, int set, int want)
{
    int got = -1;
    socklen_t len = sizeof(got);
    if (tcpip_setsockopt(fd, level, name, &set, sizeof(set)) < 0) {
        note("tcpip_setsockopt(%s, %d): expected 0, got -1/%s", text, set, errname(errno));
        return false;
    }
    if (tcpip_getsockopt(fd, level, name, &got, &len) < 0) {
        note("tcpip_getsockopt(%s): expected success, got -1/%s", text, errname(errno));
        return false;
    }
    if (got != want || len != sizeof(got)) {
        note("tcpip_getsockopt(%s) after setting %d: expected %d, got %d (len %u)", text, set, want,
             got, (unsigned)len);
        return false;
    }
    return true;
}

/* Options set on a TCP socket read back as set (tcp(7), socket(7));
 * buffer sizes read back at least as large as asked (Linux doubles them
 * for bookkeeping; a stack may clamp to its range, reported in a note).
 * Out-of-range values fail with EINVAL; a TCP option on UDP is refused. */
static bool case_options(void)
{
    bool pass = false;
    int fd = -1, ufd = -1, one = 1, v;
    socklen_t len;
    fd = tcpip_socket(family, SOCK_STREAM, 0);
    CHECK_OK("tcpip_socket", fd);
    CHECK(opt_roundtrip(fd, IPPROTO_TCP, TCP_NODELAY, "TCP_NODELAY", 1, 1), "TCP_NODELAY");
    CHECK(opt_roundtrip(fd, IPPROTO_TCP, TCP_NODELAY, "TCP_NODELAY", 0, 0), "TCP_NODELAY off");
    CHECK(opt_roundtrip(fd, SOL_SOCKET, SO_KEEPALIVE, "SO_KEEPALIVE", 1, 1), "SO_KEEPALIVE");
    CHECK(opt_roundtrip(fd, IPPROTO_TCP, TCP_KEEPIDLE, "TCP_KEEPIDLE", 30, 30), "TCP_KEEPIDLE");
    CHECK(opt_roundtrip(fd, IPPROTO_TCP, TCP_KEEPINTVL, "TCP_KEEPINTVL", 5, 5), "TCP_KEEPINTVL");
    CHECK(opt_roundtrip(fd, IPPROTO_TCP, TCP_KEEPCNT, "TCP_KEEPCNT", 4, 4), "TCP_KEEPCNT");
    CHECK(opt_roundtrip(fd, SOL_SOCKET, SO_REUSEADDR, "SO_REUSEADDR", 7, 1),
          "SO_REUSEADDR (any non-zero reads 1)");

    static const struct {
        int name;
        const char *text;
    } bufs[2] = {{SO_RCVBUF, "SO_RCVBUF"}, {SO_SNDBUF, "SO_SNDBUF"}};
    for (int i = 0; i < 2; i++) {
        int set = 65536;
        CHECK_OK(bufs[i].text, tcpip_setsockopt(fd, SOL_SOCKET, bufs[i].name, &set, sizeof(set)));
        v = -1;
        len = sizeof(v);
        CHECK_OK(bufs[i].text, tcpip_getsockopt(fd, SOL_SOCKET, bufs[i].name, &v, &len));
        note("%s set %d reads back %d", bufs[i].text, set, v);
        CHECK(v >= set, "tcpip_getsockopt(%s) after setting %d: expected >= %d, got %d",
              bufs[i].text, set, set, v);
    }
    v = -1;
    len = sizeof(v);
    CHECK_OK("tcpip_getsockopt(SO_TYPE)", tcpip_getsockopt(fd, SOL_SOCKET, SO_TYPE, &v, &len));
    CHECK(v == SOCK_STREAM, "tcpip_getsockopt(SO_TYPE): expected %d, got %d", SOCK_STREAM, v);

    v = 0;
    int rc = tcpip_setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &v, sizeof(v));
    CHECK_ERRNO("tcpip_setsockopt(TCP_KEEPCNT, 0)", rc, EINVAL);
    v = 0;
    rc = tcpip_setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &v, sizeof(v));
    CHECK_ERRNO("tcpip_setsockopt(TCP_KEEPIDLE, 0)", rc, EINVAL);

    ufd = tcpip_socket(family, SOCK_DGRAM, 0);
    CHECK_OK("tcpip_socket(SOCK_DGRAM)", ufd);
    rc = tcpip_setsockopt(ufd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    CHECK_ERRNO("tcpip_setsockopt(UDP socket, TCP_NODELAY)", rc, ENOPROTOOPT);
    v = -1;
    len = sizeof(v);
    CHECK_OK("tcpip_getsockopt(UDP, SO_TYPE)", tcpip_getsockopt(ufd, SOL_SOCKET, SO_TYPE, &v, &len));
    CHECK(v == SOCK_DGRAM, "tcpip_getsockopt(UDP, SO_TYPE): expected %d, got %d", SOCK_DGRAM, v);
    pass = true;
out:
    close_lib(&fd);
    close_lib(&ufd);
    return pass;
}

/* bind(2) to port 0 picks an ephemeral port, which getsockname reports
 * (TCP and UDP, a specific address and the wildcard); getpeername of an
 * unconnected socket is ENOTCONN. */
static bool case_getsockname(void)
{
    bool pass = false;
    int fds[4] = {-1, -1, -1, -1};
    static const int types[4] = {SOCK_STREAM, SOCK_DGRAM, SOCK_STREAM, SOCK_DGRAM};
    for (int i = 0; i < 4; i++) {
        union inaddr a = with_port(&local_addr, 0), got;
        if (i >= 2)
            a = any_addr(0);
        socklen_t len = sizeof(got);
        const char *t = types[i] == SOCK_STREAM ? "TCP" : "UDP";
        fds[i] = tcpip_socket(family, types[i], 0);
        CHECK_OK("tcpip_socket", fds[i]);
        CHECK_OK("tcpip_bind(port 0)", tcpip_bind(fds[i], (struct sockaddr *)&a, sizeof(a)));
        memset(&got, 0, sizeof(got));
        CHECK_OK("tcpip_getsockname", tcpip_getsockname(fds[i], (struct sockaddr *)&got, &len));
        CHECK(len == addr_len() && got.sa.sa_family == family && same_ip(&got, &a) &&
                  port_of(&got) != 0,
              "%s tcpip_getsockname after bind(%s): expected that address, a non-zero port, "
              "len %zu; got %s len %u",
              t, fmt_addr(&a), (size_t)addr_len(), fmt_addr(&got), (unsigned)len);
        len = sizeof(got);
        int rc = tcpip_getpeername(fds[i], (struct sockaddr *)&got, &len);
        CHECK_ERRNO("tcpip_getpeername (unconnected)", rc, ENOTCONN);
    }
    pass = true;
out:
    for (int i = 0; i < 4; i++)
        close_lib(&fds[i]);
    return pass;
}

/* ---- Linux's socket semantics: sharing, closing, UDP, options, input ---- */

/* Wait for a child of a case; true if it exited 0. */
static bool child_ok(pid_t pid, const char *what)
{
    int st;
    while (waitpid(pid, &st, 0) < 0) {
        if (errno != EINTR) {
            note("%s: waitpid: %s", what, strerror(errno));
            return false;
        }
    }
    if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
        return true;
    note("%s: child %s %d", what, WIFEXITED(st) ? "exited" : "killed by signal",
         WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
    return false;
}

/* Echo everything read back until end of file, then close: 0 or 1. */
static int echo_until_eof(int fd)
{
    static char buf[65536];
    for (;;) {
        ssize_t n = lib_recv_wait(fd, buf, sizeof(buf), 0);
        if (n == 0)
            break;
        if (n < 0)
            return 1;
        for (ssize_t off = 0; off < n;) {
            ssize_t w = tcpip_send(fd, buf + off, (size_t)(n - off), 0);
            if (w <= 0)
                return 1;
            off += w;
        }
    }
    return tcpip_close(fd) == 0 ? 0 : 1;
}

/* The kernel peer writes `total` bytes of a pattern while reading the
 * echo (one poll loop, both ways at once), half-closes, and reads to end
 * of file: true if every byte came back in order and nothing was reset. */
static bool kern_echo_check(int kfd, size_t total)
{
    static char out_buf[65536], in_buf[65536];
    size_t sent = 0, got = 0;
    bool shut = false;
    int fl = fcntl(kfd, F_GETFL);
    if (fl < 0 || fcntl(kfd, F_SETFL, fl | O_NONBLOCK) < 0) {
        note("fcntl O_NONBLOCK: %s", strerror(errno));
        return false;
    }
    for (int rounds = 0; rounds < 100000; rounds++) {
        struct pollfd p = {.fd = kfd, .events = POLLIN | (sent < total ? POLLOUT : 0)};
        int n = poll(&p, 1, WAIT_MS);
        if (n <= 0) {
            note("echo stalled: %zu of %zu bytes sent, %zu back", sent, total, got);
            return false;
        }
        if ((p.revents & POLLOUT) && sent < total) {
            size_t chunk = total - sent < sizeof(out_buf) ? total - sent : sizeof(out_buf);
            for (size_t i = 0; i < chunk; i++)
                out_buf[i] = (char)((sent + i) * 31 + 7);
            ssize_t w = send(kfd, out_buf, chunk, MSG_NOSIGNAL);
            if (w < 0 && errno != EAGAIN) {
                note("kernel send after %zu bytes: %s", sent, errname(errno));
                return false;
            }
            if (w > 0)
                sent += (size_t)w;
        }
        if (sent == total && !shut) {
            shutdown(kfd, SHUT_WR);
            shut = true;
        }
        if (p.revents & (POLLIN | POLLHUP | POLLERR)) {
            ssize_t r = recv(kfd, in_buf, sizeof(in_buf), 0);
            if (r < 0 && errno == EAGAIN)
                continue;
            if (r < 0) {
                note("kernel recv after %zu bytes back: %s", got, errname(errno));
                return false;
            }
            if (r == 0)
                break;
            for (ssize_t i = 0; i < r; i++)
                if (in_buf[i] != (char)((got + (size_t)i) * 31 + 7)) {
                    note("echo byte %zu differs", got + (size_t)i);
                    return false;
                }
            got += (size_t)r;
        }
    }
    if (got != total) {
        note("echo: %zu of %zu bytes came back before end of file", got, total);
        return false;
    }
    return true;
}

/* A connection shared by fork (examples/echo_server --fork): the parent
 * closes its copy while received bytes wait unread in it; the child
 * echoes 4 MiB that the kernel writes while reading. Only the last close
 * ends the socket (close(2), socket(7)): no reset, every byte back. */
static bool case_fork_shared(void)
{
    bool pass = false;
    int fd = -1, kfd = -1, go[2] = {-1, -1};
    pid_t pid = -1;
    if (pipe(go) < 0 || pair_lib_server(&fd, &kfd) < 0)
        goto out;
    pid = fork();
    CHECK(pid >= 0, "fork: %s", strerror(errno));
    if (pid == 0) {
        char c;
        close(go[1]);
        if (read(go[0], &c, 1) != 1)
            _exit(1);
        _exit(echo_until_eof(fd));
    }
    CHECK(send(kfd, "unread", 6, 0) == 6, "kernel send: %s", strerror(errno));
    usleep(100 * 1000);          /* the bytes reach the shared fd, unread */
    close_lib(&fd);              /* the parent's copy: not the last */
    CHECK(write(go[1], "g", 1) == 1, "pipe: %s", strerror(errno));
    char first[6];
    CHECK(kern_read_exact(kfd, first, sizeof(first)) == 0 && memcmp(first, "unread", 6) == 0,
          "the child's echo of the bytes that were unread at the parent's close never came");
    CHECK(kern_echo_check(kfd, 4 << 20), "4 MiB echo through the child");
    pass = true;
out:
    if (pid > 0 && !child_ok(pid, "echo child"))
        pass = false;
    if (go[0] >= 0)
        close(go[0]);
    if (go[1] >= 0)
        close(go[1]);
    close_lib(&fd);
    close_kern(&kfd);
    return pass;
}

/* dup(2): either copy works, closing one leaves the other (a graceful
 * close at the last: the peer reads end of file, not a reset). */
static bool case_dup_shared(void)
{
    bool pass = false;
    int fd = -1, kfd = -1, d = -1;
    char buf[8];
    if (pair_lib_client(&fd, &kfd) < 0)
        goto out;
    d = dup(fd);
    CHECK_OK("dup", d);
    close_lib(&fd);
    CHECK(tcpip_send(d, "ping", 4, 0) == 4, "tcpip_send on the dup: %s", errname(errno));
    CHECK(kern_read_exact(kfd, buf, 4) == 0 && memcmp(buf, "ping", 4) == 0,
          "the kernel did not read what the dup sent");
    CHECK(send(kfd, "pong", 4, 0) == 4, "kernel send: %s", strerror(errno));
    CHECK(lib_read_exact(d, buf, 4) == 0 && memcmp(buf, "pong", 4) == 0,
          "the dup did not read what the kernel sent");
    union inaddr peer;
    socklen_t plen = sizeof(peer);
    CHECK_OK("tcpip_getpeername on the dup", tcpip_getpeername(d, (struct sockaddr *)&peer, &plen));
    close_lib(&d);
    ssize_t n = recv(kfd, buf, sizeof(buf), 0);
    CHECK(n == 0, "kernel recv after the last close: expected 0 (FIN), got %zd/%s", n,
          n < 0 ? errname(errno) : "-");
    pass = true;
out:
    close_lib(&d);
    close_lib(&fd);
    close_kern(&kfd);
    return pass;
}

/* SCM_RIGHTS (unix(7)): a connected socket passed to a process that did
 * not make it works there, and the sender's close ends nothing. */
static bool case_scm_rights(void)
{
    bool pass = false;
    int fd = -1, kfd = -1, sp[2] = {-1, -1};
    pid_t pid = -1;
    char buf[16];
    CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sp) == 0, "socketpair: %s", strerror(errno));
    pid = fork();
    CHECK(pid >= 0, "fork: %s", strerror(errno));
    if (pid == 0) {
        /* made before the socket: the fd can only come by SCM_RIGHTS */
        union {
            char buf[CMSG_SPACE(sizeof(int))];
            struct cmsghdr align;
        } cb;
        char c;
        struct iovec iov = {.iov_base = &c, .iov_len = 1};
        struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = cb.buf,
                           .msg_controllen = sizeof(cb.buf)};
        close(sp[0]);
        if (wait_fd(sp[1], POLLIN, WAIT_MS) <= 0 || recvmsg(sp[1], &m, 0) != 1)
            _exit(2);
        struct cmsghdr *cm = CMSG_FIRSTHDR(&m);
        if (cm == NULL || cm->cmsg_type != SCM_RIGHTS)
            _exit(3);
        int got;
        memcpy(&got, CMSG_DATA(cm), sizeof(got));
        char in[8];
        if (tcpip_send(got, "from child", 10, 0) != 10)
            _exit(4);
        if (lib_read_exact(got, in, 8) != 0 || memcmp(in, "to child", 8) != 0)
            _exit(5);
        _exit(tcpip_close(got) == 0 ? 0 : 6);
    }
    close(sp[1]);
    sp[1] = -1;
    if (pair_lib_client(&fd, &kfd) < 0)
        goto out;
    {
        union {
            char buf[CMSG_SPACE(sizeof(int))];
            struct cmsghdr align;
        } cb;
        memset(&cb, 0, sizeof(cb));
        struct iovec iov = {.iov_base = "f", .iov_len = 1};
        struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = cb.buf,
                           .msg_controllen = sizeof(cb.buf)};
        struct cmsghdr *cm = CMSG_FIRSTHDR(&m);
        cm->cmsg_level = SOL_SOCKET;
        cm->cmsg_type = SCM_RIGHTS;
        cm->cmsg_len = CMSG_LEN(sizeof(int));
        memcpy(CMSG_DATA(cm), &fd, sizeof(fd));
        CHECK(sendmsg(sp[0], &m, 0) == 1, "sendmsg(SCM_RIGHTS): %s", strerror(errno));
    }
    close_lib(&fd);              /* the sender's copy */
    CHECK(kern_read_exact(kfd, buf, 10) == 0 && memcmp(buf, "from child", 10) == 0,
          "the kernel did not read what the receiving process sent");
    CHECK(send(kfd, "to child", 8, 0) == 8, "kernel send: %s", strerror(errno));
    ssize_t n = recv(kfd, buf, sizeof(buf), 0);
    CHECK(n == 0, "kernel recv after the receiver's close: expected 0 (FIN), got %zd/%s", n,
          n < 0 ? errname(errno) : "-");
    pass = true;
out:
    if (pid > 0 && !child_ok(pid, "SCM_RIGHTS receiver"))
        pass = false;
    if (sp[0] >= 0)
        close(sp[0]);
    if (sp[1] >= 0)
        close(sp[1]);
    close_lib(&fd);
    close_kern(&kfd);
    return pass;
}

static int count_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    int n = 0;
    if (d == NULL)
        return -1;
    while (readdir(d) != NULL)
        n++;
    closedir(d);
    return n;
}

/* close(2), not tcpip_close, on sockets of every kind: nothing is left
 * behind in the process (the daemon's side ends with the last close). */
static bool case_close_no_leak(void)
{
    bool pass = false;
    int fd = -1, kfd = -1, before = -1, after = -1;
    /* once first: whatever the library keeps per process (its sessions) */
    for (int round = 0; round < 11; round++) {
        if (round == 1)
            before = count_fds();
        CHECK(pair_lib_client(&fd, &kfd) == 0, "round %d: client pair", round);
        close(fd);
        fd = -1;
        close_kern(&kfd);
        CHECK(pair_lib_server(&fd, &kfd) == 0, "round %d: server pair", round);
        close(fd);
        fd = -1;
        close_kern(&kfd);
        int u = tcpip_socket(family, SOCK_DGRAM, 0);
        CHECK_OK("tcpip_socket(SOCK_DGRAM)", u);
        close(u);
    }
    after = count_fds();
    CHECK(before > 0 && after == before, "open fds: %d after the first round, %d after ten more",
          before, after);
    pass = true;
out:
    close_lib(&fd);
    close_kern(&kfd);
    return pass;
}

/* A connected UDP socket with read(2) and write(2) (udp(7)): one
 * datagram per call each way, no framing; write on an unconnected one is
 * EDESTADDRREQ. */
static bool case_udp_read_write(void)
{
    bool pass = false;
    int fd = -1, kfd = -1, u = -1;
    union inaddr lname, kname;
    static const size_t sizes[3] = {3, 1400, 1};
    static char out_buf[1400], in_buf[2048];
    for (size_t i = 0; i < sizeof(out_buf); i++)
        out_buf[i] = (char)(i * 5 + 3);
    if (udp_pair(&fd, &kfd, &lname, &kname) < 0)
        goto out;
    CHECK_OK("tcpip_connect(UDP, the kernel's socket)",
             tcpip_connect(fd, (struct sockaddr *)&kname, sizeof(kname)));
    for (int i = 0; i < 3; i++)
        CHECK(write(fd, out_buf, sizes[i]) == (ssize_t)sizes[i], "write(2) of %zu bytes: %s",
              sizes[i], errname(errno));
    for (int i = 0; i < 3; i++) {
        CHECK(wait_fd(kfd, POLLIN, WAIT_MS) > 0, "datagram %d never reached the kernel", i);
        ssize_t n = recv(kfd, in_buf, sizeof(in_buf), 0);
        CHECK(n == (ssize_t)sizes[i] && memcmp(in_buf, out_buf, sizes[i]) == 0,
              "kernel recv #%d: expected %zu bytes, got %zd", i, sizes[i], n);
    }
    for (int i = 0; i < 3; i++)
        CHECK(sendto(kfd, out_buf, sizes[i], 0, (struct sockaddr *)&lname, sizeof(lname)) ==
                  (ssize_t)sizes[i],
              "kernel sendto: %s", strerror(errno));
    for (int i = 0; i < 3; i++) {
        CHECK(wait_fd(fd, POLLIN, WAIT_MS) > 0, "datagram %d never arrived", i);
        ssize_t n = read(fd, in_buf, sizeof(in_buf));
        CHECK(n == (ssize_t)sizes[i] && memcmp(in_buf, out_buf, sizes[i]) == 0,
              "read(2) #%d: expected %zu bytes, got %zd/%s", i, sizes[i], n,
              n < 0 ? errname(errno) : "-");
    }
    u = tcpip_socket(family, SOCK_DGRAM, 0);
    CHECK_OK("tcpip_socket(SOCK_DGRAM)", u);
    ssize_t n = tcpip_write(u, "x", 1);
    CHECK_ERRNO("tcpip_write on an unconnected UDP socket", n, EDESTADDRREQ);
    n = tcpip_send(u, "x", 1, 0);
    CHECK_ERRNO("tcpip_send on an unconnected UDP socket", n, EDESTADDRREQ);
    pass = true;
out:
    close_lib(&u);
    close_lib(&fd);
    close_kern(&kfd);
    return pass;
}

/* ICMP port unreachable on a connected UDP socket (RFC 1122 4.1.3.3,
 * udp(7)): the next receive fails with ECONNREFUSED, and so does the next
 * send after another one. */
static bool case_udp_refused(void)
{
    bool pass = false;
    int fd = -1, k = -1;
    union inaddr closed;
    char buf[8];
    k = kern_socket(SOCK_DGRAM, &closed);   /* a port, then nobody on it */
    CHECK(k >= 0, "kernel UDP socket: %s", strerror(errno));
    close_kern(&k);
    fd = tcpip_socket(family, SOCK_DGRAM, 0);
    CHECK_OK("tcpip_socket(SOCK_DGRAM)", fd);
    CHECK_OK("tcpip_connect(a closed port)", tcpip_connect(fd, (struct sockaddr *)&closed, sizeof(closed)));
    CHECK(tcpip_send(fd, "x", 1, 0) == 1, "tcpip_send: %s", errname(errno));
    CHECK(wait_fd(fd, POLLIN, WAIT_MS) > 0, "no error reported within %d ms", WAIT_MS);
    ssize_t n = tcpip_recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
    CHECK_ERRNO("tcpip_recv after ICMP port unreachable", n, ECONNREFUSED);
    CHECK(tcpip_send(fd, "y", 1, 0) == 1, "tcpip_send after the error was read: %s",
          errname(errno));
    CHECK(wait_fd(fd, POLLIN, WAIT_MS) > 0, "no second error within %d ms", WAIT_MS);
    n = tcpip_send(fd, "z", 1, 0);
    CHECK_ERRNO("tcpip_send after ICMP port unreachable", n, ECONNREFUSED);
    pass = true;
out:
    close_lib(&fd);
    close_kern(&k);
    return pass;
}

static long long ms_now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* SO_RCVTIMEO and SO_SNDTIMEO (socket(7)): read back as set; a receive
 * with nothing to read and a send into full buffers give up after the
 * timeout with EAGAIN. */
static bool case_timeouts(void)
{
    bool pass = false;
    int fd = -1, kfd = -1;
    struct timeval tv = {.tv_sec = 0, .tv_usec = 200000}, got;
    socklen_t len = sizeof(got);
    static char buf[65536];
    if (pair_lib_client(&fd, &kfd) < 0)
        goto out;
    CHECK_OK("tcpip_setsockopt(SO_RCVTIMEO)",
             tcpip_setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)));
    CHECK_OK("tcpip_setsockopt(SO_SNDTIMEO)",
             tcpip_setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)));
    CHECK_OK("tcpip_getsockopt(SO_RCVTIMEO)",
             tcpip_getsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &got, &len));
    CHECK(len == sizeof(got) && got.tv_sec == 0 && got.tv_usec == 200000,
          "SO_RCVTIMEO reads %ld.%06ld", (long)got.tv_sec, (long)got.tv_usec);
    long long t0 = ms_now();
    ssize_t n = tcpip_recv(fd, buf, 16, 0);
    long long waited = ms_now() - t0;
    CHECK_ERRNO("tcpip_recv with nothing to read", n, EAGAIN);
    CHECK(waited >= 150 && waited < 5000, "tcpip_recv gave up after %lld ms (timeout 200)", waited);
    /* The kernel reads nothing: fill every buffer on the way, until a
     * send gives up. One that times out after some bytes returns them
     * (a short count); one with no room at all fails with EAGAIN. */
    int rounds = 0;
    for (; rounds < 4096; rounds++) {
        t0 = ms_now();
        n = tcpip_send(fd, buf, sizeof(buf), 0);
        waited = ms_now() - t0;
        if (n < 0)
            break;
    }
    CHECK(rounds < 4096, "256 MiB went out with the peer reading nothing");
    CHECK_ERRNO("tcpip_send into full buffers", n, EAGAIN);
    CHECK(waited >= 150 && waited < 5000, "tcpip_send gave up after %lld ms (timeout 200)", waited);
    pass = true;
out:
    close_lib(&fd);
    close_kern(&kfd);
    return pass;
}

/* More options as Linux has them (socket(7), ip(7), ipv6(7), tcp(7)):
 * SO_BROADCAST, SO_LINGER, IP_TOS, IPV6_TCLASS, IPV6_V6ONLY, TCP_CORK,
 * and TCP_MAXSEG set before connecting bounds the MSS used. */
static bool case_options_more(void)
{
    bool pass = false;
    int fd = -1, ufd = -1, kfd = -1, ls = -1, rc;
    socklen_t len;
    fd = tcpip_socket(family, SOCK_STREAM, 0);
    CHECK_OK("tcpip_socket", fd);
    ufd = tcpip_socket(family, SOCK_DGRAM, 0);
    CHECK_OK("tcpip_socket(SOCK_DGRAM)", ufd);
    CHECK(opt_roundtrip(ufd, SOL_SOCKET, SO_BROADCAST, "SO_BROADCAST", 1, 1), "SO_BROADCAST");
    CHECK(opt_roundtrip(fd, IPPROTO_TCP, TCP_CORK, "TCP_CORK", 1, 1), "TCP_CORK");
    CHECK(opt_roundtrip(fd, IPPROTO_TCP, TCP_CORK, "TCP_CORK", 0, 0), "TCP_CORK off");
    CHECK(opt_roundtrip(fd, IPPROTO_IP, IP_TOS, "IP_TOS", 0x10, 0x10), "IP_TOS");
    CHECK(opt_roundtrip(ufd, IPPROTO_IP, IP_TOS, "IP_TOS (UDP)", 0x20, 0x20), "IP_TOS UDP");
    struct linger lg = {.l_onoff = 1, .l_linger = 5}, lgot;
    CHECK_OK("tcpip_setsockopt(SO_LINGER {1,5})",
             tcpip_setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)));
    len = sizeof(lgot);
    CHECK_OK("tcpip_getsockopt(SO_LINGER)", tcpip_getsockopt(fd, SOL_SOCKET, SO_LINGER, &lgot, &len));
    CHECK(len == sizeof(lgot) && lgot.l_onoff == 1 && lgot.l_linger == 5,
          "SO_LINGER reads {%d,%d}", lgot.l_onoff, lgot.l_linger);
    rc = tcpip_setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg) - 1);
    CHECK_ERRNO("tcpip_setsockopt(SO_LINGER, short length)", rc, EINVAL);
    int v = 0x28;
    if (family == AF_INET6) {
        CHECK(opt_roundtrip(fd, IPPROTO_IPV6, IPV6_TCLASS, "IPV6_TCLASS", 0x28, 0x28), "IPV6_TCLASS");
        CHECK(opt_roundtrip(ufd, IPPROTO_IPV6, IPV6_V6ONLY, "IPV6_V6ONLY", 1, 1), "IPV6_V6ONLY");
        CHECK(opt_roundtrip(ufd, IPPROTO_IPV6, IPV6_V6ONLY, "IPV6_V6ONLY", 0, 0), "IPV6_V6ONLY off");
    } else {
        rc = tcpip_setsockopt(fd, IPPROTO_IPV6, IPV6_TCLASS, &v, sizeof(v));
        CHECK_ERRNO("tcpip_setsockopt(IPv4 socket, IPV6_TCLASS)", rc, ENOPROTOOPT);
    }
    /* TCP_MAXSEG before connect: the MSS of the connection is at most it */
    close_lib(&fd);
    fd = tcpip_socket(family, SOCK_STREAM, 0);
    CHECK_OK("tcpip_socket", fd);
    v = 1000;
    CHECK_OK("tcpip_setsockopt(TCP_MAXSEG, 1000)",
             tcpip_setsockopt(fd, IPPROTO_TCP, TCP_MAXSEG, &v, sizeof(v)));
    union inaddr srv;
    ls = kern_listener(&srv);
    CHECK(ls >= 0, "kernel listener: %s", strerror(errno));
    CHECK_OK("tcpip_connect", tcpip_connect(fd, (struct sockaddr *)&srv, sizeof(srv)));
    kfd = kern_accept(ls);
    CHECK(kfd >= 0, "kernel accept: nothing");
    v = -1;
    len = sizeof(v);
    CHECK_OK("tcpip_getsockopt(TCP_MAXSEG)", tcpip_getsockopt(fd, IPPROTO_TCP, TCP_MAXSEG, &v, &len));
    CHECK(v > 0 && v <= 1000, "TCP_MAXSEG after connect with 1000 set: got %d", v);
    pass = true;
out:
    close_lib(&fd);
    close_lib(&ufd);
    close_kern(&kfd);
    close_kern(&ls);
    return pass;
}

/* TCP_INFO (tcp(7)) after a few exchanges: ESTABLISHED, an RTT, its
 * variance and the RTO, a congestion window, an MSS, no retransmission. */
static bool case_tcp_info(void)
{
    bool pass = false;
    int fd = -1, kfd = -1;
    char buf[8];
    struct tcp_info ti;
    socklen_t len = sizeof(ti);
    if (pair_lib_client(&fd, &kfd) < 0)
        goto out;
    for (int i = 0; i < 10; i++) {
        CHECK(tcpip_send(fd, "ping", 4, 0) == 4, "tcpip_send: %s", errname(errno));
        CHECK(kern_read_exact(kfd, buf, 4) == 0, "kernel read");
        CHECK(send(kfd, "pong", 4, 0) == 4, "kernel send: %s", strerror(errno));
        CHECK(lib_read_exact(fd, buf, 4) == 0, "tcpip_recv");
    }
    memset(&ti, 0, sizeof(ti));
    CHECK_OK("tcpip_getsockopt(TCP_INFO)", tcpip_getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len));
    CHECK(len == sizeof(ti), "TCP_INFO length %u, expected %zu", (unsigned)len, sizeof(ti));
    CHECK(ti.tcpi_state == 1, "tcpi_state %u, expected 1 (TCP_ESTABLISHED)", ti.tcpi_state);
    /* rttvar may be 0 on a link this steady (Linux's is, over veth) */
    CHECK(ti.tcpi_rtt > 0 && ti.tcpi_rttvar < 1000000 && ti.tcpi_rto > 0,
          "tcpi_rtt %u, tcpi_rttvar %u, tcpi_rto %u: expected an RTT, a sane variance, an RTO",
          ti.tcpi_rtt, ti.tcpi_rttvar, ti.tcpi_rto);
    CHECK(ti.tcpi_snd_cwnd > 0, "tcpi_snd_cwnd %u", ti.tcpi_snd_cwnd);
    CHECK(ti.tcpi_snd_mss >= 500 && ti.tcpi_snd_mss <= 65535, "tcpi_snd_mss %u", ti.tcpi_snd_mss);
    CHECK(ti.tcpi_retransmits == 0 && ti.tcpi_total_retrans == 0,
          "tcpi_retransmits %u, tcpi_total_retrans %u on a clean link", ti.tcpi_retransmits,
          ti.tcpi_total_retrans);
    len = sizeof(ti);
    int ufd = tcpip_socket(family, SOCK_DGRAM, 0);
    CHECK_OK("tcpip_socket(SOCK_DGRAM)", ufd);
    int rc = tcpip_getsockopt(ufd, IPPROTO_TCP, TCP_INFO, &ti, &len);
    int e = errno;
    tcpip_close(ufd);
    errno = e;
    /* Linux: EOPNOTSUPP from an IPv4 UDP socket, ENOPROTOOPT from IPv6's */
    CHECK_ERRNO("tcpip_getsockopt(UDP, TCP_INFO)", rc, family == AF_INET ? EOPNOTSUPP : ENOPROTOOPT);
    pass = true;
out:
    close_lib(&fd);
    close_kern(&kfd);
    return pass;
}

/* TCP_CORK and MSG_MORE (tcp(7)): a partial segment waits (Linux holds
 * it up to 200 ms) until uncorked or a send without MSG_MORE. */
static bool case_cork(void)
{
    bool pass = false;
    int fd = -1, kfd = -1, one = 1, zero = 0;
    char buf[8];
    if (pair_lib_client(&fd, &kfd) < 0)
        goto out;
    CHECK_OK("tcpip_setsockopt(TCP_CORK, 1)",
             tcpip_setsockopt(fd, IPPROTO_TCP, TCP_CORK, &one, sizeof(one)));
    CHECK(tcpip_send(fd, "ab", 2, 0) == 2 && tcpip_send(fd, "cd", 2, 0) == 2, "tcpip_send: %s",
          errname(errno));
    CHECK(wait_fd(kfd, POLLIN, 50) == 0, "corked bytes arrived within 50 ms");
    CHECK_OK("tcpip_setsockopt(TCP_CORK, 0)",
             tcpip_setsockopt(fd, IPPROTO_TCP, TCP_CORK, &zero, sizeof(zero)));
    CHECK(kern_read_exact(kfd, buf, 4) == 0 && memcmp(buf, "abcd", 4) == 0,
          "the kernel did not read the uncorked bytes");
    CHECK(tcpip_send(fd, "ef", 2, MSG_MORE) == 2, "tcpip_send(MSG_MORE): %s", errname(errno));
    CHECK(wait_fd(kfd, POLLIN, 50) == 0, "bytes sent with MSG_MORE arrived within 50 ms");
    CHECK(tcpip_send(fd, "gh", 2, 0) == 2, "tcpip_send: %s", errname(errno));
    CHECK(kern_read_exact(kfd, buf, 4) == 0 && memcmp(buf, "efgh", 4) == 0,
          "the kernel did not read the MSG_MORE bytes after the last send");
    pass = true;
out:
    close_lib(&fd);
    close_kern(&kfd);
    return pass;
}

/* Bad input gets the kernel's errno, never a crash: short, oversized and
 * foreign addresses, a NULL address, an iovec count past UIO_MAXIOV, an fd
 * never opened, a pipe, bad lengths. */
static bool case_bad_input(void)
{
    bool pass = false;
    int fd = -1, p[2] = {-1, -1}, rc, v = 1;
    union inaddr a = with_port(&local_addr, 0);
    struct sockaddr_storage big;
    char buf[8];
    socklen_t len;
    fd = tcpip_socket(family, SOCK_STREAM, 0);
    CHECK_OK("tcpip_socket", fd);
    rc = tcpip_bind(fd, (struct sockaddr *)&a, 3);
    CHECK_ERRNO("tcpip_bind(3-byte address)", rc, EINVAL);
    memset(&big, 0, sizeof(big));
    memcpy(&big, &a, sizeof(a));
    rc = tcpip_bind(fd, (struct sockaddr *)&big, sizeof(big) + 1);
    CHECK_ERRNO("tcpip_bind(address longer than sockaddr_storage)", rc, EINVAL);
    union inaddr un = a;
    un.sa.sa_family = AF_UNIX;
    rc = tcpip_bind(fd, (struct sockaddr *)&un, sizeof(un));
    CHECK_ERRNO("tcpip_bind(AF_UNIX family)", rc, EAFNOSUPPORT);
    rc = tcpip_connect(fd, NULL, sizeof(a));
    CHECK_ERRNO("tcpip_connect(NULL address)", rc, EFAULT);
    struct iovec iov = {.iov_base = buf, .iov_len = 1};
    struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 100000};
    ssize_t n = tcpip_sendmsg(fd, &m, 0);
    CHECK_ERRNO("tcpip_sendmsg(100000 iovecs)", n, EMSGSIZE);
    n = tcpip_recvmsg(fd, &m, MSG_DONTWAIT);
    CHECK_ERRNO("tcpip_recvmsg(100000 iovecs)", n, EMSGSIZE);
    /* readv/writev/recvmmsg/sendmmsg themselves (interposed by the preload
     * library, the data fd's own otherwise): the kernel's checks */
    /* volatile: counts the compiler cannot see, as a buggy program's */
    volatile int neg = -1, over = IOV_MAX + 1;
    n = readv(fd, &iov, neg);
    CHECK_ERRNO("readv(-1 iovecs)", n, EINVAL);
    n = writev(fd, &iov, over);
    CHECK_ERRNO("writev(IOV_MAX + 1 iovecs)", n, EINVAL);
    rc = recvmmsg(fd, NULL, 1, MSG_DONTWAIT, NULL);
    CHECK_ERRNO("recvmmsg(NULL vector)", rc, EFAULT);
    rc = sendmmsg(fd, NULL, 1, 0);
    CHECK_ERRNO("sendmmsg(NULL vector)", rc, EFAULT);
    len = (socklen_t)-1;
    rc = tcpip_getsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &v, &len);
    CHECK_ERRNO("tcpip_getsockopt(negative length)", rc, EINVAL);
    rc = tcpip_setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &v, 2);
    CHECK_ERRNO("tcpip_setsockopt(TCP_NODELAY, 2-byte value)", rc, EINVAL);
    len = (socklen_t)-1;
    rc = tcpip_getsockname(fd, (struct sockaddr *)&a, &len);
    CHECK_ERRNO("tcpip_getsockname(negative length)", rc, EINVAL);
    rc = tcpip_socket(family, SOCK_STREAM, IPPROTO_UDP);
    CHECK_ERRNO("tcpip_socket(SOCK_STREAM, IPPROTO_UDP)", rc, EPROTONOSUPPORT);
    /* an fd never opened */
    int never = 1000;
    while (fcntl(never, F_GETFD) >= 0 && never < 1100)
        never++;
    n = tcpip_send(never, "x", 1, 0);
    CHECK_ERRNO("tcpip_send(an fd never opened)", n, EBADF);
    n = tcpip_recv(never, buf, 1, 0);
    CHECK_ERRNO("tcpip_recv(an fd never opened)", n, EBADF);
    rc = tcpip_connect(never, (struct sockaddr *)&a, sizeof(a));
    CHECK_ERRNO("tcpip_connect(an fd never opened)", rc, EBADF);
    len = sizeof(v);
    rc = tcpip_getsockopt(never, SOL_SOCKET, SO_ERROR, &v, &len);
    CHECK_ERRNO("tcpip_getsockopt(an fd never opened)", rc, EBADF);
    rc = tcpip_close(never);
    CHECK_ERRNO("tcpip_close(an fd never opened)", rc, EBADF);
    /* a pipe is no socket */
    CHECK(pipe(p) == 0, "pipe: %s", strerror(errno));
    rc = tcpip_connect(p[0], (struct sockaddr *)&a, sizeof(a));
    CHECK_ERRNO("tcpip_connect(a pipe)", rc, ENOTSOCK);
    len = sizeof(a);
    rc = tcpip_getsockname(p[0], (struct sockaddr *)&a, &len);
    CHECK_ERRNO("tcpip_getsockname(a pipe)", rc, ENOTSOCK);
    rc = tcpip_listen(p[1], 1);
    CHECK_ERRNO("tcpip_listen(a pipe)", rc, ENOTSOCK);
    pass = true;
out:
    if (p[0] >= 0)
        close(p[0]);
    if (p[1] >= 0)
        close(p[1]);
    close_lib(&fd);
    return pass;
}

/* ---- the driver ---- */

static const struct {
    const char *id;
    const char *title;
    bool (*run)(void);
} cases[] = {
    {"refused", "connect to a closed port: ECONNREFUSED", case_refused},
    {"accept_poll", "listener readable (POLLIN) exactly when accept will not block",
     case_accept_poll},
    {"half_close_client", "half-close by the connecting side: peer reads EOF, still sends",
     case_half_close_client},
    {"half_close_server", "half-close by the accepted side: peer reads EOF, still sends",
     case_half_close_server},
    {"reset_by_peer", "peer's SO_LINGER {1,0} close: tcpip_recv ECONNRESET, then EPIPE",
     case_reset_by_peer},
    {"reset_by_lib_client", "connecting side's tcpip_close with SO_LINGER {1,0}: peer ECONNRESET",
     case_reset_by_lib_client},
    {"reset_by_lib_server", "accepted side's tcpip_close with SO_LINGER {1,0}: peer ECONNRESET",
     case_reset_by_lib_server},
    {"close_unread", "tcpip_close with unread received data: peer gets ECONNRESET",
     case_close_unread},
    {"close_flushes", "tcpip_close with full send buffers: the peer reads every byte, then EOF",
     case_close_flushes},
    {"nonblock_connect", "non-blocking connect: EINPROGRESS, POLLOUT, SO_ERROR 0",
     case_nonblock_connect},
    {"nonblock_refused", "non-blocking connect to a closed port: SO_ERROR ECONNREFUSED",
     case_nonblock_connect_refused},
    {"udp_boundaries", "UDP: three datagrams of different sizes keep their boundaries",
     case_udp_boundaries},
    {"udp_truncation", "UDP: truncation, MSG_TRUNC, zero-length datagram", case_udp_truncation},
    {"udp_largest", "UDP: the largest datagram each way (65507 IPv4, 65527 IPv6), one more EMSGSIZE",
     case_udp_largest},
    {"reuseaddr", "SO_REUSEADDR bind over TIME_WAIT (EADDRINUSE without it)", case_reuseaddr},
    {"options", "options round trip (NODELAY, KEEPALIVE, KEEPIDLE/INTVL/CNT, RCVBUF/SNDBUF)",
     case_options},
    {"getsockname", "getsockname after bind to port 0: a non-zero port", case_getsockname},
    {"fork_shared", "shared by fork: the parent's close with unread bytes ends nothing; 4 MiB echo",
     case_fork_shared},
    {"dup_shared", "dup(2): either copy works; the last close is a FIN", case_dup_shared},
    {"scm_rights", "passed by SCM_RIGHTS: works in the receiver; the sender's close ends nothing",
     case_scm_rights},
    {"close_no_leak", "close(2) on sockets of every kind leaves no fd behind", case_close_no_leak},
    {"udp_read_write", "UDP: connected read(2)/write(2) keep datagrams, unframed; unconnected EDESTADDRREQ",
     case_udp_read_write},
    {"udp_refused", "UDP: ICMP port unreachable: ECONNREFUSED on the next recv and the next send",
     case_udp_refused},
    {"timeouts", "SO_RCVTIMEO/SO_SNDTIMEO: read back, then EAGAIN after the timeout",
     case_timeouts},
    {"options_more", "options: SO_BROADCAST, SO_LINGER, IP_TOS, IPV6_TCLASS/V6ONLY, TCP_CORK, TCP_MAXSEG",
     case_options_more},
    {"tcp_info", "TCP_INFO: state, rtt, rttvar, cwnd, mss, no retransmits", case_tcp_info},
    {"cork", "TCP_CORK and MSG_MORE hold a partial segment until uncorked", case_cork},
    {"bad_input", "bad input: addresses, iovec count, unopened fd, a pipe: the kernel's errno",
     case_bad_input},
};
#define NCASES (sizeof(cases) / sizeof(cases[0]))

/* Run one case in a child: a hang (alarm) or a crash fails it alone. */
static bool run_case(size_t i)
{
    fflush(stdout);
    pid_t pid = fork();
    if (pid < 0) {
        note("fork: %s", strerror(errno));
        return false;
    }
    if (pid == 0) {
        alarm(CASE_SECS);
        bool pass = cases[i].run();
        fflush(stdout);
        _exit(pass ? 0 : 1);
    }
    int st;
    while (waitpid(pid, &st, 0) < 0) {
        if (errno != EINTR) {
            note("waitpid: %s", strerror(errno));
            return false;
        }
    }
    if (WIFSIGNALED(st)) {
        note("%s: %s", cases[i].id,
             WTERMSIG(st) == SIGALRM ? "timed out (hung in a call)" : strsignal(WTERMSIG(st)));
        return false;
    }
    return WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

static void usage(FILE *out)
{
    fprintf(out, "usage: api_suite --local ADDR --peer ADDR [--label NAME] [--only CASE] [--list]\n"
                 "  --local ADDR  address of the stack under test (TCPIP_BACKEND)\n"
                 "  --peer ADDR   address of the kernel peer (a local kernel address)\n"
                 "  Both IPv4 or both IPv6: the cases run over AF_INET or AF_INET6.\n"
                 "  --label NAME  prefix of each result line (default \"api\")\n"
                 "  --only CASE   run one case (ids: --list)\n"
                 "  Prints \"ok - NAME: case\" / \"not ok - ...\"; exit 0 iff all passed.\n"
                 "  Sends packets: run it inside a network namespace.\n");
}

static bool parse_ip(const char *s, union inaddr *sa)
{
    memset(sa, 0, sizeof(*sa));
    if (inet_pton(AF_INET, s, &sa->in.sin_addr) == 1) {
        sa->sa.sa_family = AF_INET;
        return true;
    }
    if (inet_pton(AF_INET6, s, &sa->in6.sin6_addr) == 1) {
        sa->sa.sa_family = AF_INET6;
        return true;
    }
    return false;
}

int main(int argc, char **argv)
{
    const char *only = NULL;
    bool have_local = false, have_peer = false;
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        const char *val = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(arg, "--help") == 0) {
            usage(stdout);
            return 0;
        } else if (strcmp(arg, "--list") == 0) {
            for (size_t c = 0; c < NCASES; c++)
                printf("%-18s %s\n", cases[c].id, cases[c].title);
            return 0;
        } else if (val != NULL && strcmp(arg, "--local") == 0) {
            have_local = parse_ip(val, &local_addr);
            i++;
        } else if (val != NULL && strcmp(arg, "--peer") == 0) {
            have_peer = parse_ip(val, &peer_addr);
            i++;
        } else if (val != NULL && strcmp(arg, "--label") == 0) {
            label = val;
            i++;
        } else if (val != NULL && strcmp(arg, "--only") == 0) {
            only = val;
            i++;
        } else {
            usage(stderr);
            return 2;
        }
    }
    if (!have_local || !have_peer || local_addr.sa.sa_family != peer_addr.sa.sa_family) {
        fprintf(stderr, "api_suite: --local and --peer must be two IPv4 or two IPv6 addresses\n");
        usage(stderr);
        return 2;
    }
    family = local_addr.sa.sa_family;
    /* The backend is fixed before any case forks, so every child uses it. */
    if (tcpip_init(TCPIP_BACKEND_DEFAULT, NULL) < 0) {
        fprintf(stderr, "api_suite: tcpip_init: %s (TCPIP_BACKEND=%s)\n", strerror(errno),
                getenv("TCPIP_BACKEND") ? getenv("TCPIP_BACKEND") : "");
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    note("%s: backend %s, stack under test %s, kernel peer %s", label, tcpip_backend_name(),
         fmt_addr(&local_addr), fmt_addr(&peer_addr));

    int failed = 0, ran = 0;
    for (size_t i = 0; i < NCASES; i++) {
        if (only != NULL && strcmp(only, cases[i].id) != 0)
            continue;
        ran++;
        bool pass = run_case(i);
        printf("%s - %s: %s [%s]\n", pass ? "ok" : "not ok", label, cases[i].title, cases[i].id);
        fflush(stdout);
        if (!pass)
            failed++;
    }
    if (ran == 0) {
        fprintf(stderr, "api_suite: no case named '%s' (see --list)\n", only);
        return 2;
    }
    note("%s: %d of %d cases passed", label, ran - failed, ran);
    return failed == 0 ? 0 : 1;
}
