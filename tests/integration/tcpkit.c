/* tcpkit.c - the kernel side of test_tcp_kernel.sh and test_ipv6.sh: small
 * TCP (and one UDP) clients and servers on Linux sockets, each bounded by
 * a timeout, each printing one result line and exiting 0 only if what it
 * checked held.
 *
 *   tcpkit stream HOST PORT IN OUT SECS   send file IN, half-close, read
 *                                         until EOF into OUT, concurrently
 *   tcpkit chargen HOST PORT BYTES SECS   read BYTES, check RFC 864 lines
 *   tcpkit many HOST PORT N SECS          N connections at once, each sends
 *                                         a line and expects it back
 *   tcpkit refused HOST PORT              exit 0 iff connect() fails with
 *                                         ECONNREFUSED
 *   tcpkit sink ADDR PORT BYTES SECS      accept one, read until EOF, check
 *                                         the pattern and the count
 *   tcpkit source ADDR PORT BYTES SECS    accept one, send BYTES of the
 *                                         pattern, half-close, wait for EOF
 *   tcpkit udp HOST PORT BYTES SECS       BYTES of the pattern through a UDP
 *                                         echo, 64 datagrams in flight,
 *                                         resent when the echo is late,
 *                                         every echoed byte checked
 *
 * HOST and ADDR are IPv4 or IPv6 addresses ("10.77.0.2", "fd77::2").
 *
 * The pattern (shared with bench/stackpeer.c): byte i is byte i%4 of a hash
 * of the word index i/4, so a lost, duplicated or reordered segment shows
 * up at its offset. Built by the test script with plain `cc`. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define IO_CHUNK 65536

static uint8_t pattern_byte(uint64_t i)
{
    uint32_t x = (uint32_t)(i / 4) * 2654435761u;
    x ^= x >> 15;
    return (uint8_t)(x >> (8 * (i % 4)));
}

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Milliseconds left until deadline, for poll(); 0 once it has passed. */
static int left_ms(uint64_t deadline)
{
    uint64_t n = now_ms();
    return n >= deadline ? 0 : (int)(deadline - n);
}

/* An IPv4 or IPv6 socket address (the IPv6 tests pass "fd77::2"). */
struct kaddr {
    struct sockaddr_storage ss;
    socklen_t len;
};

static int parse_addr(const char *host, const char *port, struct kaddr *ka)
{
    struct sockaddr_in *sin = (struct sockaddr_in *)&ka->ss;
    struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ka->ss;

    memset(ka, 0, sizeof *ka);
    if (inet_pton(AF_INET, host, &sin->sin_addr) == 1) {
        sin->sin_family = AF_INET;
        sin->sin_port = htons((uint16_t)atoi(port));
        ka->len = sizeof *sin;
        return 0;
    }
    if (inet_pton(AF_INET6, host, &sin6->sin6_addr) == 1) {
        sin6->sin6_family = AF_INET6;
        sin6->sin6_port = htons((uint16_t)atoi(port));
        ka->len = sizeof *sin6;
        return 0;
    }
    fprintf(stderr, "tcpkit: bad address %s\n", host);
    return -1;
}

static void set_nonblock(int fd)
{
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
}

/* Blocking connect bounded by secs; the fd (non-blocking) or -1. */
static int connect_to(const struct kaddr *sa, int secs)
{
    int fd = socket(sa->ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0)
        return -1;
    if (connect(fd, (const struct sockaddr *)&sa->ss, sa->len) == 0)
        return fd;
    if (errno != EINPROGRESS) {
        perror("tcpkit: connect");
        close(fd);
        return -1;
    }
    struct pollfd p = {.fd = fd, .events = POLLOUT};
    int err = 0;
    socklen_t len = sizeof err;
    if (poll(&p, 1, secs * 1000) != 1 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0 ||
        err != 0) {
        fprintf(stderr, "tcpkit: connect: %s\n", err ? strerror(err) : "timed out");
        close(fd);
        return -1;
    }
    return fd;
}

/* ---- stream: full duplex through an echo service ---- */

static int cmd_stream(const char *host, const char *port, const char *in, const char *out,
                      int secs)
{
    struct kaddr sa;
    if (parse_addr(host, port, &sa) != 0)
        return 2;
    FILE *fi = fopen(in, "rb"), *fo = fopen(out, "wb");
    if (fi == NULL || fo == NULL) {
        perror("tcpkit: open");
        return 2;
    }
    uint64_t t0 = now_ms(), deadline = t0 + (uint64_t)secs * 1000;
    int fd = connect_to(&sa, secs);
    if (fd < 0)
        return 1;
    static uint8_t sbuf[IO_CHUNK], rbuf[IO_CHUNK];
    size_t spos = 0, slen = 0;
    bool in_eof = false, shut = false, peer_eof = false;
    uint64_t sent = 0, got = 0;
    while (!peer_eof) {
        int ms = left_ms(deadline);
        if (ms == 0) {
            fprintf(stderr, "tcpkit: stream: timeout after sent %llu, received %llu\n",
                    (unsigned long long)sent, (unsigned long long)got);
            return 1;
        }
        if (spos == slen && !in_eof) {
            slen = fread(sbuf, 1, sizeof sbuf, fi);
            spos = 0;
            in_eof = slen == 0;
        }
        if (in_eof && !shut) {
            /* Half-close: the echo sends its FIN after the last byte. */
            shutdown(fd, SHUT_WR);
            shut = true;
        }
        struct pollfd p = {.fd = fd, .events = POLLIN | (shut ? 0 : POLLOUT)};
        if (poll(&p, 1, ms) < 0 && errno != EINTR)
            return 1;
        if (p.revents & (POLLIN | POLLERR | POLLHUP)) {
            ssize_t n = read(fd, rbuf, sizeof rbuf);
            if (n == 0) {
                peer_eof = true;
            } else if (n > 0) {
                fwrite(rbuf, 1, (size_t)n, fo);
                got += (uint64_t)n;
            } else if (errno != EAGAIN && errno != EINTR) {
                perror("tcpkit: stream: read");
                return 1;
            }
        }
        if (!shut && (p.revents & POLLOUT) && spos < slen) {
            ssize_t n = write(fd, sbuf + spos, slen - spos);
            if (n > 0) {
                spos += (size_t)n;
                sent += (uint64_t)n;
            } else if (n < 0 && errno != EAGAIN && errno != EINTR) {
                perror("tcpkit: stream: write");
                return 1;
            }
        }
    }
    close(fd);
    fclose(fi);
    fclose(fo);
    uint64_t ms = now_ms() - t0;
    printf("stream: sent %llu received %llu in %llu ms (%.1f MB/s each way)\n",
           (unsigned long long)sent, (unsigned long long)got, (unsigned long long)ms,
           ms ? (double)sent / 1e3 / (double)ms : 0.0);
    return 0;
}

/* ---- chargen: RFC 864 line structure ---- */

/* The 95 printable ASCII characters, 0x20..0x7e, in a ring. */
static int ring_next(int c) { return c == 0x7e ? 0x20 : c + 1; }

static int cmd_chargen(const char *host, const char *port, long long want, int secs)
{
    struct kaddr sa;
    if (parse_addr(host, port, &sa) != 0)
        return 2;
    uint64_t t0 = now_ms(), deadline = t0 + (uint64_t)secs * 1000;
    int fd = connect_to(&sa, secs);
    if (fd < 0)
        return 1;
    static uint8_t buf[IO_CHUNK];
    long long got = 0, lines = 0;
    int col = 0, prev = -1, line_first = -1;
    /* RFC 864: lines of 72 printable characters and CR LF; each character is
     * the next of the ring after the previous one, and each line starts one
     * further along than the line before. The starting character is the
     * server's choice. */
    while (got < want) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        int ms = left_ms(deadline);
        if (ms == 0 || poll(&p, 1, ms) <= 0) {
            fprintf(stderr, "tcpkit: chargen: timeout after %lld bytes\n", got);
            return 1;
        }
        ssize_t n = read(fd, buf, sizeof buf);
        if (n == 0) {
            fprintf(stderr, "tcpkit: chargen: EOF after %lld bytes\n", got);
            return 1;
        }
        if (n < 0) {
            if (errno == EAGAIN || errno == EINTR)
                continue;
            perror("tcpkit: chargen: read");
            return 1;
        }
        for (ssize_t i = 0; i < n && got < want; i++, got++) {
            int c = buf[i];
            bool good;
            if (col < 72) {
                if (col == 0)
                    good = line_first < 0 ? (c >= 0x20 && c <= 0x7e) : c == ring_next(line_first);
                else
                    good = c == ring_next(prev);
                if (col == 0)
                    line_first = c;
                prev = c;
            } else {
                good = c == (col == 72 ? '\r' : '\n');
            }
            if (!good) {
                fprintf(stderr, "tcpkit: chargen: bad byte 0x%02x at offset %lld (line %lld col %d)\n",
                        c, got, lines, col);
                return 1;
            }
            if (++col == 74) {
                col = 0;
                lines++;
            }
        }
    }
    close(fd);
    printf("chargen: %lld bytes, %lld full lines, pattern ok, %llu ms\n", got, lines,
           (unsigned long long)(now_ms() - t0));
    return 0;
}

/* ---- many: concurrent connections to echo ---- */

struct conn {
    int fd;
    int state;                   /* 0 connecting, 1 sent, 2 done, 3 failed */
    char msg[32];
    size_t len, got;
    char rbuf[32];
};

static int cmd_many(const char *host, const char *port, int n, int secs)
{
    struct kaddr sa;
    if (parse_addr(host, port, &sa) != 0 || n <= 0)
        return 2;
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < (rlim_t)n + 16) {
        rl.rlim_cur = rl.rlim_max < (rlim_t)n + 16 ? rl.rlim_max : (rlim_t)n + 16;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    struct conn *c = calloc((size_t)n, sizeof *c);
    int ep = epoll_create1(EPOLL_CLOEXEC);
    if (c == NULL || ep < 0)
        return 2;
    uint64_t t0 = now_ms(), deadline = t0 + (uint64_t)secs * 1000;
    int done = 0, failed = 0;
    for (int i = 0; i < n; i++) {
        c[i].len = (size_t)snprintf(c[i].msg, sizeof c[i].msg, "hello %d\n", i);
        c[i].fd = socket(sa.ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (c[i].fd < 0 ||
            (connect(c[i].fd, (struct sockaddr *)&sa.ss, sa.len) != 0 && errno != EINPROGRESS)) {
            fprintf(stderr, "tcpkit: many: connect %d: %s\n", i, strerror(errno));
            c[i].state = 3;
            failed++;
            continue;
        }
        struct epoll_event ev = {.events = EPOLLOUT | EPOLLIN, .data.u32 = (uint32_t)i};
        epoll_ctl(ep, EPOLL_CTL_ADD, c[i].fd, &ev);
    }
    struct epoll_event evs[64];
    while (done + failed < n) {
        int ms = left_ms(deadline);
        if (ms == 0)
            break;
        int k = epoll_wait(ep, evs, 64, ms);
        for (int j = 0; j < k; j++) {
            struct conn *x = &c[evs[j].data.u32];
            if (x->state >= 2)
                continue;
            if (x->state == 0 && (evs[j].events & (EPOLLOUT | EPOLLERR | EPOLLHUP))) {
                int err = 0;
                socklen_t len = sizeof err;
                getsockopt(x->fd, SOL_SOCKET, SO_ERROR, &err, &len);
                /* The message is tiny: one write always takes it whole. */
                if (err != 0 || write(x->fd, x->msg, x->len) != (ssize_t)x->len) {
                    fprintf(stderr, "tcpkit: many: conn %u: %s\n", evs[j].data.u32,
                            strerror(err ? err : errno));
                    x->state = 3;
                    failed++;
                    close(x->fd);
                    continue;
                }
                x->state = 1;
                struct epoll_event ev = {.events = EPOLLIN, .data.u32 = evs[j].data.u32};
                epoll_ctl(ep, EPOLL_CTL_MOD, x->fd, &ev);
                continue;
            }
            if (x->state == 1 && (evs[j].events & (EPOLLIN | EPOLLERR | EPOLLHUP))) {
                ssize_t r = read(x->fd, x->rbuf + x->got, sizeof x->rbuf - x->got);
                if (r < 0 && (errno == EAGAIN || errno == EINTR))
                    continue;
                if (r > 0)
                    x->got += (size_t)r;
                if (x->got >= x->len || r <= 0) {
                    bool good = x->got == x->len && memcmp(x->rbuf, x->msg, x->len) == 0;
                    x->state = good ? 2 : 3;
                    if (good)
                        done++;
                    else
                        failed++;
                    close(x->fd);
                }
            }
        }
    }
    int pending = n - done - failed;
    for (int i = 0; i < n; i++)
        if (c[i].state < 2)
            close(c[i].fd);
    printf("many: %d of %d echoed, %d failed, %d unfinished, %llu ms\n", done, n, failed, pending,
           (unsigned long long)(now_ms() - t0));
    free(c);
    close(ep);
    return done == n ? 0 : 1;
}

/* ---- refused ---- */

static int cmd_refused(const char *host, const char *port)
{
    struct kaddr sa;
    if (parse_addr(host, port, &sa) != 0)
        return 2;
    int fd = socket(sa.ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct timeval tv = {.tv_sec = 5};
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    int rc = connect(fd, (struct sockaddr *)&sa.ss, sa.len);
    int e = errno;
    close(fd);
    printf("refused: connect returned %d: %s\n", rc, rc == 0 ? "connected" : strerror(e));
    return rc != 0 && e == ECONNREFUSED ? 0 : 1;
}

/* ---- sink / source: a kernel listener for the stack's active opens ---- */

static int accept_one(const char *addr, const char *port, int secs)
{
    struct kaddr sa;
    if (parse_addr(addr, port, &sa) != 0)
        return -1;
    int l = socket(sa.ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;
    setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(l, (struct sockaddr *)&sa.ss, sa.len) != 0 || listen(l, 4) != 0) {
        perror("tcpkit: bind/listen");
        return -1;
    }
    printf("listening on %s:%s\n", addr, port);
    fflush(stdout);
    struct pollfd p = {.fd = l, .events = POLLIN};
    if (poll(&p, 1, secs * 1000) != 1) {
        fprintf(stderr, "tcpkit: no connection within %d s\n", secs);
        return -1;
    }
    int fd = accept4(l, NULL, NULL, SOCK_CLOEXEC);
    close(l);
    if (fd >= 0)
        set_nonblock(fd);
    return fd;
}

static int cmd_sink(const char *addr, const char *port, long long want, int secs)
{
    int fd = accept_one(addr, port, secs);
    if (fd < 0)
        return 1;
    uint64_t t0 = now_ms(), deadline = t0 + (uint64_t)secs * 1000;
    static uint8_t buf[IO_CHUNK];
    long long got = 0, bad_at = -1;
    for (;;) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        int ms = left_ms(deadline);
        if (ms == 0 || poll(&p, 1, ms) <= 0) {
            fprintf(stderr, "tcpkit: sink: timeout after %lld bytes\n", got);
            return 1;
        }
        ssize_t n = read(fd, buf, sizeof buf);
        if (n == 0)
            break;
        if (n < 0) {
            if (errno == EAGAIN || errno == EINTR)
                continue;
            perror("tcpkit: sink: read");
            return 1;
        }
        for (ssize_t i = 0; i < n && bad_at < 0; i++)
            if (buf[i] != pattern_byte((uint64_t)(got + i)))
                bad_at = got + i;
        got += n;
    }
    close(fd);
    uint64_t ms = now_ms() - t0;
    printf("sink: received %lld bytes (want %lld), pattern %s, %llu ms\n", got, want,
           bad_at < 0 ? "ok" : "BAD", (unsigned long long)ms);
    if (bad_at >= 0)
        printf("sink: first bad byte at offset %lld\n", bad_at);
    return got == want && bad_at < 0 ? 0 : 1;
}

static int cmd_source(const char *addr, const char *port, long long want, int secs)
{
    int fd = accept_one(addr, port, secs);
    if (fd < 0)
        return 1;
    uint64_t t0 = now_ms(), deadline = t0 + (uint64_t)secs * 1000;
    static uint8_t buf[IO_CHUNK];
    long long sent = 0;
    bool eof = false;
    while (!eof) {
        struct pollfd p = {.fd = fd, .events = POLLIN | (sent < want ? POLLOUT : 0)};
        int ms = left_ms(deadline);
        if (ms == 0 || poll(&p, 1, ms) <= 0) {
            fprintf(stderr, "tcpkit: source: timeout after %lld bytes\n", sent);
            return 1;
        }
        if (p.revents & (POLLIN | POLLHUP | POLLERR)) {
            ssize_t n = read(fd, buf, sizeof buf);
            if (n == 0)
                eof = true;
            else if (n < 0 && errno != EAGAIN && errno != EINTR) {
                perror("tcpkit: source: read");
                return 1;
            }
        }
        if (sent < want && (p.revents & POLLOUT)) {
            size_t len = want - sent < IO_CHUNK ? (size_t)(want - sent) : IO_CHUNK;
            for (size_t i = 0; i < len; i++)
                buf[i] = pattern_byte((uint64_t)sent + i);
            ssize_t n = write(fd, buf, len);
            if (n > 0)
                sent += n;
            else if (n < 0 && errno != EAGAIN && errno != EINTR) {
                perror("tcpkit: source: write");
                return 1;
            }
            if (sent == want)
                shutdown(fd, SHUT_WR);
        }
    }
    close(fd);
    printf("source: sent %lld bytes, peer closed, %llu ms\n", sent,
           (unsigned long long)(now_ms() - t0));
    return sent == want ? 0 : 1;
}

/* ---- udp: BYTES through a UDP echo service, windowed, every byte checked ---- */

#define UDP_PAYLOAD 1200  /* fits one IPv6 packet on a 1500-byte link */
#define UDP_WINDOW 64     /* datagrams in flight */
#define UDP_RESEND_MS 200

/* Datagram seq: an 8-byte big-endian sequence number, then bytes
 * [seq*UDP_PAYLOAD, ...) of the pattern. */
static size_t udp_fill(uint8_t *buf, uint64_t seq, long long total)
{
    uint64_t off = seq * UDP_PAYLOAD;
    size_t n = (uint64_t)total - off < UDP_PAYLOAD ? (size_t)((uint64_t)total - off) : UDP_PAYLOAD;
    for (int i = 0; i < 8; i++)
        buf[i] = (uint8_t)(seq >> (56 - 8 * i));
    for (size_t i = 0; i < n; i++)
        buf[8 + i] = pattern_byte(off + i);
    return 8 + n;
}

static int cmd_udp(const char *host, const char *port, long long total, int secs)
{
    struct kaddr sa;
    if (parse_addr(host, port, &sa) != 0 || total <= 0)
        return 2;
    uint64_t n = ((uint64_t)total + UDP_PAYLOAD - 1) / UDP_PAYLOAD;
    uint64_t *sent_at = calloc(n, sizeof *sent_at);   /* 0 = not sent yet */
    uint8_t *acked = calloc(n, 1);
    int fd = socket(sa.ss.ss_family, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (sent_at == NULL || acked == NULL || fd < 0 ||
        connect(fd, (struct sockaddr *)&sa.ss, sa.len) != 0) {
        perror("tcpkit: udp: socket/connect");
        return 2;
    }
    uint64_t t0 = now_ms(), deadline = t0 + (uint64_t)secs * 1000;
    uint64_t base = 0, done = 0, resent = 0, bad = 0, dups = 0;
    static uint8_t sbuf[8 + UDP_PAYLOAD], rbuf[8 + UDP_PAYLOAD + 64], want[8 + UDP_PAYLOAD];
    while (done < n) {
        int ms = left_ms(deadline);
        if (ms == 0) {
            fprintf(stderr, "tcpkit: udp: timeout with %llu of %llu datagrams echoed\n",
                    (unsigned long long)done, (unsigned long long)n);
            return 1;
        }
        /* Send what the window allows: new datagrams, and old ones whose
         * echo is overdue (UDP may lose them anywhere). */
        uint64_t now = now_ms();
        for (uint64_t q = base; q < n && q < base + UDP_WINDOW; q++) {
            if (acked[q] || (sent_at[q] != 0 && now - sent_at[q] < UDP_RESEND_MS))
                continue;
            size_t len = udp_fill(sbuf, q, total);
            if (send(fd, sbuf, len, 0) < 0) {
                if (errno == EAGAIN || errno == ENOBUFS)
                    break;
                perror("tcpkit: udp: send");
                return 1;
            }
            if (sent_at[q] != 0)
                resent++;
            sent_at[q] = now;
        }
        struct pollfd p = {.fd = fd, .events = POLLIN};
        int wait = ms < 20 ? ms : 20;
        if (poll(&p, 1, wait) < 0 && errno != EINTR)
            return 1;
        for (int k = 0; k < 2 * UDP_WINDOW; k++) {
            ssize_t got = recv(fd, rbuf, sizeof rbuf, 0);
            if (got < 0) {
                if (errno == EAGAIN || errno == EINTR)
                    break;
                perror("tcpkit: udp: recv");
                return 1;
            }
            uint64_t q = 0;
            for (int i = 0; i < 8 && got >= 8; i++)
                q = q << 8 | rbuf[i];
            if (got < 8 || q >= n || (size_t)got != udp_fill(want, q, total) ||
                memcmp(rbuf, want, (size_t)got) != 0) {
                bad++;
                continue;
            }
            if (acked[q]) {
                dups++;
                continue;
            }
            acked[q] = 1;
            done++;
        }
        while (base < n && acked[base])
            base++;
    }
    close(fd);
    free(sent_at);
    free(acked);
    uint64_t ms = now_ms() - t0;
    printf("udp: %llu datagrams, %lld bytes echoed in %llu ms (%.1f MB/s each way), resent %llu, duplicates %llu, bad %llu\n",
           (unsigned long long)n, total, (unsigned long long)ms,
           ms ? (double)total / 1e3 / (double)ms : 0.0, (unsigned long long)resent,
           (unsigned long long)dups, (unsigned long long)bad);
    return bad == 0 ? 0 : 1;
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc == 7 && strcmp(argv[1], "stream") == 0)
        return cmd_stream(argv[2], argv[3], argv[4], argv[5], atoi(argv[6]));
    if (argc == 6 && strcmp(argv[1], "chargen") == 0)
        return cmd_chargen(argv[2], argv[3], atoll(argv[4]), atoi(argv[5]));
    if (argc == 6 && strcmp(argv[1], "many") == 0)
        return cmd_many(argv[2], argv[3], atoi(argv[4]), atoi(argv[5]));
    if (argc == 4 && strcmp(argv[1], "refused") == 0)
        return cmd_refused(argv[2], argv[3]);
    if (argc == 6 && strcmp(argv[1], "udp") == 0)
        return cmd_udp(argv[2], argv[3], atoll(argv[4]), atoi(argv[5]));
    if (argc == 6 && strcmp(argv[1], "sink") == 0)
        return cmd_sink(argv[2], argv[3], atoll(argv[4]), atoi(argv[5]));
    if (argc == 6 && strcmp(argv[1], "source") == 0)
        return cmd_source(argv[2], argv[3], atoll(argv[4]), atoi(argv[5]));
    fprintf(stderr, "usage: see the comment at the top of tcpkit.c\n");
    return 2;
}
