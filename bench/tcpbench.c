/* tcpbench.c - TCP measurements with kernel sockets, for `make bench`.
 *
 *   tcpbench send HOST PORT SECS        bulk send to a discard server
 *   tcpbench recv HOST PORT SECS        bulk receive from a chargen server
 *   tcpbench rr HOST PORT SECS CPU      1-byte request/response to echo,
 *                                       pinned to CPU (-1: not pinned)
 *   tcpbench cps HOST PORT SECS PAR     connect+close, PAR processes
 *   tcpbench hold HOST PORT N SECS SRC...
 *                                       open N idle connections, spread
 *                                       over the source addresses SRC (an
 *                                       address has one port range), print
 *                                       "RESULT held N" once all are up,
 *                                       keep them SECS or until stdin
 *                                       closes, then close them all
 *   tcpbench churn HOST PORT N BYTES SECS SRC...
 *                                       rounds of N concurrent connections
 *                                       to an echo server, each sending
 *                                       BYTES and checking them back, then
 *                                       closing; rounds start for SECS (each
 *                                       has 30 s to finish); prints rounds,
 *                                       connections and bytes (a memory
 *                                       soak's load: tests/long/). We close
 *                                       first: run it where TIME_WAIT is
 *                                       bounded (tcp_max_tw_buckets), or the
 *                                       kernel's port search slows connect
 *   tcpbench server ADDR ECHO DISCARD CHARGEN [CPU]
 *                                       the same three services on kernel
 *                                       sockets, one thread, epoll (the
 *                                       baseline's peer); runs until killed;
 *                                       TCPBENCH_NODELAY=0: no TCP_NODELAY
 *                                       per accepted connection
 *
 * Built with -DTCPBENCH_LIBTCPIP and linked with libtcpip, this file is
 * build/bench/tcpipserver: the same server on tcpipd's stack through
 * libtcpip's direct backend (TCPIP_SOCKET names the daemon's socket), so
 * that the built-in services and an application behind the IPC hop are
 * measured with the very same service code.
 *
 * HOST and ADDR are IPv4 or IPv6 addresses (10.77.0.2, fd77::2).
 *
 * Each client prints one machine-readable line, "RESULT key value [unit]",
 * and diagnostics on stderr. Every measurement is bounded by SECS (plus a
 * few seconds of grace for connecting and draining). */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifdef TCPBENCH_LIBTCPIP
#include "client-lib/tcpip.h"
#endif

#define CHUNK 65536
#define RR_MAX 1000000
#define GRACE_S 5
/* Deep accept queue: on a small machine 8 connect+close clients can starve
 * the one server thread, and a full queue drops SYNs, which stalls a client
 * for a whole 1 s retransmission: the figure would measure that, not TCP.
 * (run.sh raises net.core.somaxconn in the server's namespace to match.) */
#define SERVER_BACKLOG 65535

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* An IPv4 or IPv6 address and port, as the command line gave it. */
union bench_sa {
    struct sockaddr sa;
    struct sockaddr_in in;
    struct sockaddr_in6 in6;
};

static socklen_t sa_len(const union bench_sa *sa)
{
    return sa->sa.sa_family == AF_INET6 ? sizeof sa->in6 : sizeof sa->in;
}

static int parse_addr(const char *host, const char *port, union bench_sa *sa)
{
    memset(sa, 0, sizeof *sa);
    uint16_t p = htons((uint16_t)atoi(port));
    if (inet_pton(AF_INET, host, &sa->in.sin_addr) == 1) {
        sa->in.sin_family = AF_INET;
        sa->in.sin_port = p;
        return 0;
    }
    if (inet_pton(AF_INET6, host, &sa->in6.sin6_addr) == 1) {
        sa->in6.sin6_family = AF_INET6;
        sa->in6.sin6_port = p;
        return 0;
    }
    fprintf(stderr, "tcpbench: bad address %s\n", host);
    return -1;
}

/* A blocking socket connected to sa, with send/receive timeouts so that no
 * call blocks past the measurement's bound. */
static int connect_to(const union bench_sa *sa, int timeout_s)
{
    int fd = socket(sa->sa.sa_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    struct timeval tv = {.tv_sec = timeout_s};
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    if (connect(fd, &sa->sa, sa_len(sa)) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

static void pin_cpu(int cpu)
{
    if (cpu < 0)
        return;
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    if (sched_setaffinity(0, sizeof set, &set) != 0)
        perror("tcpbench: sched_setaffinity");
}

/* ---- clients ---- */

static int cmd_send(const union bench_sa *sa, int secs)
{
    static uint8_t buf[CHUNK];
    memset(buf, 'x', sizeof buf);
    int fd = connect_to(sa, secs + GRACE_S);
    if (fd < 0) {
        perror("tcpbench: send: connect");
        return 1;
    }
    uint64_t t0 = now_ns(), end = t0 + (uint64_t)secs * 1000000000ull, bytes = 0;
    while (now_ns() < end) {
        ssize_t n = write(fd, buf, sizeof buf);
        if (n <= 0) {
            perror("tcpbench: send: write");
            close(fd);
            return 1;
        }
        bytes += (uint64_t)n;
    }
    /* Count the time until the discard server has read it all: it closes
     * on our FIN, after the last byte. */
    shutdown(fd, SHUT_WR);
    while (read(fd, buf, sizeof buf) > 0)
        ;
    uint64_t t1 = now_ns();
    close(fd);
    printf("RESULT send_MBps %.1f\n", (double)bytes * 1e3 / (double)(t1 - t0));
    return 0;
}

static int cmd_recv(const union bench_sa *sa, int secs)
{
    static uint8_t buf[CHUNK];
    int fd = connect_to(sa, secs + GRACE_S);
    if (fd < 0) {
        perror("tcpbench: recv: connect");
        return 1;
    }
    uint64_t t0 = now_ns(), end = t0 + (uint64_t)secs * 1000000000ull, bytes = 0, t1;
    while ((t1 = now_ns()) < end) {
        ssize_t n = read(fd, buf, sizeof buf);
        if (n <= 0) {
            fprintf(stderr, "tcpbench: recv: %s\n", n == 0 ? "EOF" : strerror(errno));
            close(fd);
            return 1;
        }
        bytes += (uint64_t)n;
    }
    close(fd);
    printf("RESULT recv_MBps %.1f\n", (double)bytes * 1e3 / (double)(t1 - t0));
    return 0;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static int cmd_rr(const union bench_sa *sa, int secs, int cpu)
{
    pin_cpu(cpu);
    uint64_t *lat = malloc(RR_MAX * sizeof *lat);
    int fd = connect_to(sa, 2);
    if (fd < 0 || lat == NULL) {
        perror("tcpbench: rr: connect");
        free(lat);
        return 1;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    uint64_t end = now_ns() + (uint64_t)secs * 1000000000ull;
    size_t n = 0;
    char c = 'r';
    while (n < RR_MAX && now_ns() < end) {
        uint64_t t0 = now_ns();
        if (write(fd, &c, 1) != 1 || read(fd, &c, 1) != 1) {
            perror("tcpbench: rr");
            close(fd);
            free(lat);
            return 1;
        }
        lat[n++] = now_ns() - t0;
    }
    close(fd);
    if (n == 0) {
        free(lat);
        return 1;
    }
    qsort(lat, n, sizeof *lat, cmp_u64);
    printf("RESULT rr_p50_us %.1f\n", (double)lat[n / 2] / 1e3);
    printf("RESULT rr_p99_us %.1f\n", (double)lat[n * 99 / 100] / 1e3);
    printf("RESULT rr_count %zu\n", n);
    free(lat);
    return 0;
}

/* connect + close for secs in one process; the count on stdout of the child. */
static uint64_t cps_worker(const union bench_sa *sa, int secs, uint64_t *failures)
{
    uint64_t end = now_ns() + (uint64_t)secs * 1000000000ull, count = 0;
    while (now_ns() < end) {
        int fd = connect_to(sa, 2);
        if (fd < 0) {
            (*failures)++;
            if (*failures > 1000)
                break;
            continue;
        }
        close(fd);
        count++;
    }
    return count;
}

static int cmd_cps(const union bench_sa *sa, int secs, int par)
{
    int pfd[2];
    if (par < 1 || par > 64 || pipe(pfd) != 0)
        return 2;
    pid_t pids[64];
    uint64_t t0 = now_ns();
    for (int i = 0; i < par; i++) {
        pids[i] = fork();
        if (pids[i] == 0) {
            uint64_t fails = 0, r[2];
            r[0] = cps_worker(sa, secs, &fails);
            r[1] = fails;
            if (write(pfd[1], r, sizeof r) != (ssize_t)sizeof r)
                _exit(1);
            _exit(0);
        }
    }
    close(pfd[1]);
    uint64_t total = 0, fails = 0, r[2];
    while (read(pfd[0], r, sizeof r) == (ssize_t)sizeof r) {
        total += r[0];
        fails += r[1];
    }
    for (int i = 0; i < par; i++)
        if (pids[i] > 0)
            waitpid(pids[i], NULL, 0);
    double s = (double)(now_ns() - t0) / 1e9;
    if (fails)
        fprintf(stderr, "tcpbench: cps: %llu failed connects\n", (unsigned long long)fails);
    printf("RESULT cps %.0f\n", (double)total / s);
    return total > 0 ? 0 : 1;
}

/* Idle connections for the scale rows (issue 14 item 3): N connections
 * to sa, HOLD_INFLIGHT handshakes at a time (a listener's SYN queue is
 * small), bound to the source addresses in turn without a port
 * (IP_BIND_ADDRESS_NO_PORT: the port is chosen per 4-tuple at connect). */
#define HOLD_INFLIGHT 128
#define HOLD_MAX 200000

static int hold_open_one(const union bench_sa *sa, const union bench_sa *src)
{
    int fd = socket(sa->sa.sa_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0)
        return -1;
    int one = 1;
    setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
    if (bind(fd, &src->sa, sa_len(src)) != 0 ||
        (connect(fd, &sa->sa, sa_len(sa)) != 0 && errno != EINPROGRESS)) {
        close(fd);
        return -1;
    }
    return fd;
}

/* Idle until end or until whoever started us closes our stdin. */
static void hold_idle(uint64_t end)
{
    struct pollfd pfd = {.fd = 0, .events = POLLIN};
    while (now_ns() < end) {
        uint64_t left_ms = (end - now_ns()) / 1000000u;
        int r = poll(&pfd, 1, left_ms > 1000 ? 1000 : (int)left_ms);
        if (r > 0) {
            char c;
            if (read(0, &c, 1) <= 0)
                return;
        }
    }
}

/* One process's share: open n connections, report how many are up on
 * report_fd, idle, close them. */
static int hold_worker(const union bench_sa *sa, long n, uint64_t end, const union bench_sa *src,
                       int n_src, int report_fd)
{
    int *fds = malloc((size_t)n * sizeof *fds);
    int ep = epoll_create1(EPOLL_CLOEXEC);
    long opened = 0, up = 0, failed = 0, inflight = 0;
    struct epoll_event evs[256];
    while (fds != NULL && ep >= 0 && up < n && now_ns() < end && failed < 1000) {
        while (inflight < HOLD_INFLIGHT && opened < n) {
            int fd = hold_open_one(sa, &src[opened % n_src]);
            if (fd < 0) {
                failed++;
                break;
            }
            struct epoll_event ev = {.events = EPOLLOUT, .data.fd = fd};
            epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
            fds[opened++] = fd;
            inflight++;
        }
        int k = epoll_wait(ep, evs, 256, 100);
        for (int i = 0; i < k; i++) {
            int err = 0;
            socklen_t len = sizeof err;
            getsockopt(evs[i].data.fd, SOL_SOCKET, SO_ERROR, &err, &len);
            epoll_ctl(ep, EPOLL_CTL_DEL, evs[i].data.fd, NULL);
            inflight--;
            if (err != 0) {
                if (failed++ == 0)
                    fprintf(stderr, "tcpbench: hold: connect: %s\n", strerror(err));
                continue;
            }
            up++;
        }
    }
    if (ep >= 0)
        close(ep);
    if (write(report_fd, &up, sizeof up) != (ssize_t)sizeof up)
        up = -1;
    if (up == n)
        hold_idle(end);
    for (long i = 0; i < opened; i++)
        close(fds[i]);
    free(fds);
    return up == n ? 0 : 1;
}

static int cmd_hold(const union bench_sa *sa, long n, int secs, char **srcs, int n_src)
{
    if (n < 1 || n > HOLD_MAX || n_src < 1)
        return 2;
    union bench_sa *src = calloc((size_t)n_src, sizeof *src);
    if (src == NULL)
        return 1;
    for (int i = 0; i < n_src; i++)
        if (parse_addr(srcs[i], "0", &src[i]) != 0)
            return 2;
    /* One descriptor per connection: as many per process as the hard limit
     * allows (raising it takes CAP_SYS_RESOURCE), and more processes. */
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
        return 1;
    rl.rlim_cur = rl.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur < 1064) {
        perror("tcpbench: hold: RLIMIT_NOFILE");
        return 1;
    }
    long per = (long)rl.rlim_cur - 64;
    if (per > n)
        per = n;
    int n_workers = (int)((n + per - 1) / per), rfd[2];
    if (n_workers > 64 || pipe(rfd) != 0)
        return 1;
    uint64_t t0 = now_ns(), end = t0 + (uint64_t)secs * 1000000000ull;
    pid_t pids[64];
    for (int w = 0; w < n_workers; w++) {
        long share = w < n_workers - 1 ? per : n - per * (n_workers - 1);
        pids[w] = fork();
        if (pids[w] == 0) {
            close(rfd[0]);
            _exit(hold_worker(sa, share, end, src, n_src, rfd[1]));
        }
    }
    close(rfd[1]);
    long up = 0, got;
    int reported = 0;
    while (reported < n_workers && read(rfd[0], &got, sizeof got) == (ssize_t)sizeof got) {
        up += got;
        reported++;
    }
    close(rfd[0]);
    fprintf(stderr, "tcpbench: hold: %ld of %ld connections up in %.1f s (%d processes)\n", up, n,
            (double)(now_ns() - t0) / 1e9, n_workers);
    if (up == n) {
        printf("RESULT held %ld\n", up);
        fflush(stdout);
        hold_idle(end);
    }
    /* The workers idle on the same stdin; any still there goes now. */
    for (int w = 0; w < n_workers; w++)
        if (pids[w] > 0) {
            kill(pids[w], SIGTERM);
            waitpid(pids[w], NULL, 0);
        }
    free(src);
    return up == n ? 0 : 1;
}

/* ---- churn: connections that carry data, round after round ---- */

struct churn_conn {
    int fd;
    size_t sent, got;
    bool connected;
};

/* The byte at stream offset i: a pattern that shows misplaced bytes. */
static uint8_t churn_byte(size_t i)
{
    return (uint8_t)(i * 131u + (i >> 9));
}

/* A round that takes longer has lost connections. */
#define CHURN_ROUND_MAX_S 30

/* One round: n connections at once (HOLD_INFLIGHT handshakes at a time),
 * each sends bytes and reads them back, within CHURN_ROUND_MAX_S. Returns
 * connections completed, -1 on a wrong byte. */
static long churn_round(const union bench_sa *sa, long n, size_t bytes,
                        const union bench_sa *src, int n_src, uint64_t *moved)
{
    struct churn_conn *cs = calloc((size_t)n, sizeof *cs);
    uint8_t *out = malloc(CHUNK), *in = malloc(CHUNK);
    int ep = epoll_create1(EPOLL_CLOEXEC);
    long opened = 0, done = 0, failed = 0, connecting = 0;
    if (cs == NULL || out == NULL || in == NULL || ep < 0)
        goto out;
    struct epoll_event evs[256];
    uint64_t end = now_ns() + (uint64_t)CHURN_ROUND_MAX_S * 1000000000ull;
    while (done + failed < n && now_ns() < end) {
        while (connecting < HOLD_INFLIGHT && opened < n) {
            struct churn_conn *c = &cs[opened];
            c->fd = hold_open_one(sa, &src[opened % n_src]);
            opened++;
            if (c->fd < 0) {
                failed++;
                continue;
            }
            struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT, .data.ptr = c};
            epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev);
            connecting++;
        }
        int k = epoll_wait(ep, evs, 256, 100);
        for (int i = 0; i < k; i++) {
            struct churn_conn *c = evs[i].data.ptr;
            bool bad = (evs[i].events & EPOLLERR) != 0;
            if (!c->connected && !bad && (evs[i].events & EPOLLOUT)) {
                c->connected = true;
                connecting--;
            }
            while (!bad && c->connected && c->sent < bytes && (evs[i].events & EPOLLOUT)) {
                size_t m = bytes - c->sent < CHUNK ? bytes - c->sent : CHUNK;
                for (size_t j = 0; j < m; j++)
                    out[j] = churn_byte(c->sent + j);
                ssize_t w = write(c->fd, out, m);
                if (w < 0) {
                    bad = errno != EAGAIN;
                    break;
                }
                c->sent += (size_t)w;
            }
            while (!bad && c->connected && (evs[i].events & (EPOLLIN | EPOLLHUP))) {
                ssize_t r = read(c->fd, in, CHUNK);
                if (r < 0) {
                    bad = errno != EAGAIN;
                    break;
                }
                if (r == 0) {
                    bad = c->got < bytes;
                    break;
                }
                for (ssize_t j = 0; j < r; j++)
                    if (in[j] != churn_byte(c->got + (size_t)j)) {
                        fprintf(stderr, "tcpbench: churn: wrong byte at %zu\n", c->got + (size_t)j);
                        done = -1;
                        goto out;
                    }
                c->got += (size_t)r;
            }
            if (bad || c->got >= bytes) {
                if (!c->connected)
                    connecting--;
                epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
                close(c->fd);
                c->fd = -1;
                if (bad)
                    failed++;
                else
                    done++;
                *moved += c->got;
            } else if (c->sent >= bytes) {
                struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
                epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
            }
        }
    }
out:
    if (cs != NULL)
        for (long i = 0; i < opened; i++)
            if (cs[i].fd >= 0)
                close(cs[i].fd);
    if (ep >= 0)
        close(ep);
    if (failed > 0)
        fprintf(stderr, "tcpbench: churn: %ld of %ld connections failed\n", failed, n);
    free(cs);
    free(out);
    free(in);
    return done;
}

static int cmd_churn(const union bench_sa *sa, long n, size_t bytes, int secs, char **srcs,
                     int n_src)
{
    if (n < 1 || n > HOLD_MAX || n_src < 1)
        return 2;
    union bench_sa *src = calloc((size_t)n_src, sizeof *src);
    if (src == NULL)
        return 1;
    for (int i = 0; i < n_src; i++)
        if (parse_addr(srcs[i], "0", &src[i]) != 0)
            return 2;
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
        rl.rlim_cur = rl.rlim_max;
        (void)setrlimit(RLIMIT_NOFILE, &rl);
        if ((rlim_t)n + 64 > rl.rlim_cur) {
            fprintf(stderr, "tcpbench: churn: %ld connections need more descriptors\n", n);
            return 2;
        }
    }
    uint64_t t0 = now_ns(), end = t0 + (uint64_t)secs * 1000000000ull, moved = 0;
    long rounds = 0, conns = 0, short_rounds = 0;
    while (now_ns() < end) {
        long d = churn_round(sa, n, bytes, src, n_src, &moved);
        if (d < 0) {
            free(src);
            return 1;
        }
        rounds++;
        conns += d;
        if (d < n)
            short_rounds++;
        printf("# round %ld: %ld connections, %.1f s\n", rounds, d,
               (double)(now_ns() - t0) / 1e9);
        fflush(stdout);
    }
    printf("RESULT churn_rounds %ld\n", rounds);
    printf("RESULT churn_conns %ld\n", conns);
    printf("RESULT churn_MB %.1f\n", (double)moved / 1e6);
    printf("RESULT churn_short_rounds %ld\n", short_rounds);
    free(src);
    return short_rounds == 0 ? 0 : 1;
}

/* ---- server: echo, discard, chargen on kernel sockets or libtcpip ---- */

/* The server's socket calls, the only ones that differ between the two
 * builds. Data moves with plain read()/write() in both: a libtcpip TCP
 * socket is a real fd carrying the raw byte stream (ipc/PROTOCOL.md 7),
 * and tcpip_recv() would add a GETERR round trip to the daemon at every
 * end of file, which this server has no use for. */
#ifdef TCPBENCH_LIBTCPIP
#define SERVER_API "libtcpip"
static int srv_start(void)
{
    /* Explicitly direct: TCPIP_BACKEND=socket must not quietly turn the
     * libtcpip figures into kernel ones. */
    if (tcpip_init(TCPIP_BACKEND_DIRECT, NULL) != 0) {
        perror("tcpipserver: tcpip_init");
        return -1;
    }
    return 0;
}
static int srv_socket(int family, int type) { return tcpip_socket(family, type, 0); }
static int srv_bind(int fd, const union bench_sa *sa)
{
    return tcpip_bind(fd, &sa->sa, sa_len(sa));
}
static int srv_listen(int fd, int backlog) { return tcpip_listen(fd, backlog); }
static int srv_accept(int fd) { return tcpip_accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC); }
static int srv_setsockopt(int fd, int level, int name, int value)
{
    return tcpip_setsockopt(fd, level, name, &value, sizeof value);
}
static int srv_close(int fd) { return tcpip_close(fd); }
/* An accepted libtcpip socket has no control connection until an option
 * call needs one (PROTOCOL.md 7): a per-connection TCP_NODELAY would cost
 * a fresh Unix connection and an ATTACH round trip per accept. The stack's
 * accepted sockets inherit it from the listener instead. */
#define NODELAY_PER_CONN false
#else
#define SERVER_API "kernel sockets"
static int srv_start(void) { return 0; }
static int srv_socket(int family, int type) { return socket(family, type, 0); }
static int srv_bind(int fd, const union bench_sa *sa)
{
    return bind(fd, &sa->sa, sa_len(sa));
}
static int srv_listen(int fd, int backlog) { return listen(fd, backlog); }
static int srv_accept(int fd) { return accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC); }
static int srv_setsockopt(int fd, int level, int name, int value)
{
    return setsockopt(fd, level, name, &value, sizeof value);
}
static int srv_close(int fd) { return close(fd); }
/* TCPBENCH_NODELAY=0: leave TCP_NODELAY alone on accepted sockets, as
 * tcpipserver does; run under tcpip-run, the same work as tcpipserver,
 * so that the two differ by the interposition alone. */
#define NODELAY_PER_CONN nodelay_per_conn()
static bool nodelay_per_conn(void)
{
    const char *v = getenv("TCPBENCH_NODELAY");
    return v == NULL || strcmp(v, "0") != 0;
}
#endif

enum svc { SVC_ECHO, SVC_DISCARD, SVC_CHARGEN };

struct conn {
    int fd;
    enum svc svc;
    size_t pend_off, pend_len;   /* echo: bytes read, not yet written back */
    size_t chargen_pos;
    uint8_t *buf;
    uint32_t events;             /* what epoll watches for now */
};

/* RFC 864: 72 characters from a ring of the 95 printable ones, then CR LF;
 * each line starts one further along. The pattern repeats every 95 lines;
 * the buffer holds it plus one chunk, so any offset has CHUNK contiguous
 * bytes after it. */
#define CG_PERIOD (95 * 74)
static uint8_t chargen_buf[CG_PERIOD + CHUNK];

static void chargen_init(void)
{
    for (size_t i = 0; i < sizeof chargen_buf; i++) {
        size_t line = (i / 74) % 95, col = i % 74;
        chargen_buf[i] = col < 72 ? (uint8_t)(0x20 + (line + col) % 95) : col == 72 ? '\r' : '\n';
    }
}

static int listen_on(const char *addr, const char *port)
{
    union bench_sa sa;
    if (parse_addr(addr, port, &sa) != 0)
        return -1;
    int fd = srv_socket(sa.sa.sa_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (fd < 0) {
        perror("tcpbench: server: socket");
        return -1;
    }
    srv_setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, 1);
    srv_setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, 1);
    if (srv_bind(fd, &sa) != 0 || srv_listen(fd, SERVER_BACKLOG) != 0) {
        perror("tcpbench: server: bind/listen");
        srv_close(fd);
        return -1;
    }
    return fd;
}

static void conn_close(int ep, struct conn *c)
{
    epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
    srv_close(c->fd);
    free(c->buf);
    free(c);
}

/* Watch c for events; a system call only when that changes (an echo or
 * discard connection would otherwise pay an epoll_ctl at every wake-up). */
static void conn_want(int ep, struct conn *c, uint32_t events)
{
    if (c->events == events)
        return;
    struct epoll_event ev = {.events = events, .data.ptr = c};
    epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
    c->events = events;
}

/* Returns false when the connection is finished. */
static bool conn_io(int ep, struct conn *c, uint32_t events)
{
    if (events & EPOLLERR)
        return false;
    if (c->svc == SVC_CHARGEN) {
        if (events & (EPOLLIN | EPOLLHUP)) {
            uint8_t tmp[4096];
            ssize_t n = read(c->fd, tmp, sizeof tmp);
            if (n == 0 || (n < 0 && errno != EAGAIN))
                return false;
        }
        for (int i = 0; i < 16; i++) {
            ssize_t n = write(c->fd, chargen_buf + c->chargen_pos, CHUNK);
            if (n < 0)
                return errno == EAGAIN;
            c->chargen_pos = (c->chargen_pos + (size_t)n) % CG_PERIOD;
        }
        return true;
    }
    for (int i = 0; i < 16; i++) {
        if (c->pend_len > 0) {
            ssize_t w = write(c->fd, c->buf + c->pend_off, c->pend_len);
            if (w < 0) {
                if (errno != EAGAIN)
                    return false;
                /* Flow control: stop reading until the peer takes more. */
                conn_want(ep, c, EPOLLOUT);
                return true;
            }
            c->pend_off += (size_t)w;
            c->pend_len -= (size_t)w;
            continue;
        }
        ssize_t n = read(c->fd, c->buf, CHUNK);
        if (n == 0)
            return false;
        if (n < 0) {
            if (errno != EAGAIN)
                return false;
            conn_want(ep, c, EPOLLIN);
            return true;
        }
        if (c->svc == SVC_ECHO) {
            c->pend_off = 0;
            c->pend_len = (size_t)n;
        }
    }
    return true;
}

static int cmd_server(const char *addr, const char *ports[3], int cpu)
{
    pin_cpu(cpu);
    signal(SIGPIPE, SIG_IGN);
    chargen_init();
    if (srv_start() != 0)
        return 2;
    int ep = epoll_create1(EPOLL_CLOEXEC), lfd[3];
    for (int i = 0; i < 3; i++) {
        lfd[i] = listen_on(addr, ports[i]);
        if (lfd[i] < 0)
            return 2;
        /* Listeners are tagged by a small integer, connections by pointer. */
        struct epoll_event ev = {.events = EPOLLIN, .data.u64 = (uint64_t)i};
        epoll_ctl(ep, EPOLL_CTL_ADD, lfd[i], &ev);
    }
    printf("server: listening on %s ports %s %s %s (%s)\n", addr, ports[0], ports[1], ports[2],
           SERVER_API);
    fflush(stdout);
    struct epoll_event evs[64];
    for (;;) {
        int n = epoll_wait(ep, evs, 64, -1);
        for (int j = 0; j < n; j++) {
            if (evs[j].data.u64 < 3) {
                int i = (int)evs[j].data.u64;
                for (int k = 0; k < 64; k++) {
                    int fd = srv_accept(lfd[i]);
                    if (fd < 0)
                        break;
                    struct conn *c = calloc(1, sizeof *c);
                    c->fd = fd;
                    c->svc = (enum svc)i;
                    c->buf = malloc(CHUNK);
                    if (NODELAY_PER_CONN)
                        srv_setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, 1);
                    c->events = i == SVC_CHARGEN ? EPOLLIN | EPOLLOUT : EPOLLIN;
                    struct epoll_event ev = {.events = c->events, .data.ptr = c};
                    epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
                }
                continue;
            }
            struct conn *c = evs[j].data.ptr;
            if (!conn_io(ep, c, evs[j].events))
                conn_close(ep, c);
        }
    }
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    signal(SIGPIPE, SIG_IGN);
    union bench_sa sa;
    if (argc >= 6 && strcmp(argv[1], "server") == 0) {
        const char *ports[3] = {argv[3], argv[4], argv[5]};
        return cmd_server(argv[2], ports, argc >= 7 ? atoi(argv[6]) : -1);
    }
    if (argc < 5 || parse_addr(argv[2], argv[3], &sa) != 0) {
        fprintf(stderr, "usage: see the comment at the top of tcpbench.c\n");
        return 2;
    }
    int secs = atoi(argv[4]);
    if (secs < 1)
        secs = 1;
    if (strcmp(argv[1], "send") == 0)
        return cmd_send(&sa, secs);
    if (strcmp(argv[1], "recv") == 0)
        return cmd_recv(&sa, secs);
    if (strcmp(argv[1], "rr") == 0 && argc == 6)
        return cmd_rr(&sa, secs, atoi(argv[5]));
    if (strcmp(argv[1], "cps") == 0 && argc == 6)
        return cmd_cps(&sa, secs, atoi(argv[5]));
    if (strcmp(argv[1], "churn") == 0 && argc >= 8)
        return cmd_churn(&sa, atol(argv[4]), (size_t)atol(argv[5]), atoi(argv[6]), argv + 7,
                         argc - 7);
    if (strcmp(argv[1], "hold") == 0 && argc >= 7)
        return cmd_hold(&sa, atol(argv[4]), atoi(argv[5]), argv + 6, argc - 6);
    fprintf(stderr, "usage: see the comment at the top of tcpbench.c\n");
    return 2;
}
