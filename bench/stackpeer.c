/* stackpeer.c - the direct stack on a TAP of its own, opening a TCP
 * connection OUT to a kernel listener: the other half of the kernel tests
 * (tcpipd's services only ever accept).
 *
 *   stackpeer [--tap NAME] [--ip A.B.C.D/LEN] [--host-ip A.B.C.D/LEN]
 *             --connect IP:PORT (--send BYTES | --recv) [--timeout SECS]
 *
 * --send: send BYTES of the pattern (as tests/integration/tcpkit.c), then
 * SHUT_WR, then read until the peer's FIN. --recv: read until EOF, checking
 * the pattern at every offset. One result line on stdout:
 *   stackpeer: sent|received N bytes in MS ms (X MB/s), pattern ok|BAD
 * Exit 0 on success, 1 on a transfer failure, 2 on a setup error.
 *
 * The I/O loop is deliberately plain (poll on the TAP fd, timeout from
 * stack_next_deadline()), with a CLOCK_MONOTONIC clock and a getrandom()
 * key, like tcpipd. Run it inside a network namespace: it creates the TAP
 * (default tcpip1: stack 10.77.1.2/24, host side 10.77.1.1/24). */
#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "daemon/tap.h"
#include "stack/stack.h"

#define FRAME_BUF 65536
#define READ_BATCH 64
#define APP_CHUNK 65536

static uint8_t pattern_byte(uint64_t i)
{
    uint32_t x = (uint32_t)(i / 4) * 2654435761u;
    x ^= x >> 15;
    return (uint8_t)(x >> (8 * (i % 4)));
}

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * NS_PER_SEC + (uint64_t)ts.tv_nsec;
}

struct peer {
    struct tap tap;
    struct stack *stack;
    struct tcp_sock *ts;
    bool sending;                /* --send, else --recv */
    uint64_t want, sent, got;
    long long bad_at;
    bool connected, shut, eof, failed, closed;
    uint64_t t_connected;
};

static void on_log(void *ctx, int level, const char *msg)
{
    (void)ctx;
    if (level <= STACK_LOG_WARN)
        fprintf(stderr, "stackpeer: stack: %s\n", msg);
}

static int tap_send(void *ctx, const uint8_t *frame, size_t len)
{
    struct peer *p = ctx;
    ssize_t n;
    do {
        n = write(p->tap.fd, frame, len);
    } while (n < 0 && errno == EINTR);
    if (n < 0)
        return -errno;
    return (size_t)n == len ? 0 : -EIO;
}

static const struct netif_ops tap_ops = {.send = tap_send};

static void on_event(void *user, struct tcp_sock *ts, int events)
{
    struct peer *p = user;
    (void)ts;
    if (events & TCP_EV_CONNECTED && !p->connected) {
        p->connected = true;
        p->t_connected = now_ns();
    }
    if (events & TCP_EV_CLOSED)
        p->closed = true;
}

/* Move application data: the stack's callbacks only set flags; all sends
 * and receives happen here, once per loop turn. */
static void pump(struct peer *p, uint64_t now)
{
    static uint8_t buf[APP_CHUNK];
    if (p->failed || !p->connected)
        return;
    while (p->sending && p->sent < p->want) {
        size_t len = p->want - p->sent < APP_CHUNK ? (size_t)(p->want - p->sent) : APP_CHUNK;
        for (size_t i = 0; i < len; i++)
            buf[i] = pattern_byte(p->sent + i);
        long n = tcp_sock_send(p->ts, buf, len, now);
        if (n == -EAGAIN)
            break;
        if (n < 0) {
            fprintf(stderr, "stackpeer: send: %s\n", strerror((int)-n));
            p->failed = true;
            return;
        }
        p->sent += (uint64_t)n;
    }
    if (p->sending && p->sent == p->want && !p->shut) {
        tcp_sock_shutdown(p->ts, 1, now);
        p->shut = true;
    }
    while (!p->eof) {
        long n = tcp_sock_recv(p->ts, buf, sizeof buf, now);
        if (n == -EAGAIN)
            break;
        if (n < 0) {
            fprintf(stderr, "stackpeer: recv: %s\n", strerror((int)-n));
            p->failed = true;
            return;
        }
        if (n == 0) {
            p->eof = true;
            break;
        }
        for (long i = 0; i < n && p->bad_at < 0; i++)
            if (buf[i] != pattern_byte(p->got + (uint64_t)i))
                p->bad_at = (long long)(p->got + (uint64_t)i);
        p->got += (uint64_t)n;
    }
}

static int parse_prefix(const char *s, uint32_t *addr, uint8_t *len)
{
    char tmp[32];
    const char *slash = strchr(s, '/');
    if (slash == NULL || (size_t)(slash - s) >= sizeof tmp)
        return -1;
    memcpy(tmp, s, (size_t)(slash - s));
    tmp[slash - s] = '\0';
    int l = atoi(slash + 1);
    if (ip4_parse(tmp, addr) != 0 || l < 1 || l > 32)
        return -1;
    *len = (uint8_t)l;
    return 0;
}

static int parse_endpoint(const char *s, struct ip_endpoint *ep)
{
    char tmp[32];
    const char *colon = strchr(s, ':');
    uint32_t a;
    if (colon == NULL || (size_t)(colon - s) >= sizeof tmp)
        return -1;
    memcpy(tmp, s, (size_t)(colon - s));
    tmp[colon - s] = '\0';
    int port = atoi(colon + 1);
    if (ip4_parse(tmp, &a) != 0 || port < 1 || port > 65535)
        return -1;
    ep->addr = ip_addr_v4(a);
    ep->port = (uint16_t)port;
    return 0;
}

static int usage(void)
{
    fprintf(stderr, "usage: stackpeer [--tap NAME] [--ip A.B.C.D/LEN] [--host-ip A.B.C.D/LEN]\n"
                    "                 --connect IP:PORT (--send BYTES | --recv) [--timeout SECS]\n");
    return 2;
}

/* Run the stack until done() or the deadline; false on timeout/error. */
static bool run_loop(struct peer *p, uint8_t *frame, uint64_t deadline,
                     bool (*done)(const struct peer *))
{
    while (!done(p)) {
        uint64_t now = now_ns();
        if (now >= deadline)
            return false;
        pump(p, now);
        if (done(p))
            break;
        uint64_t next = stack_next_deadline(p->stack);
        uint64_t until = next < deadline ? next : deadline;
        int ms = until <= now ? 0 : (int)((until - now + NS_PER_MS - 1) / NS_PER_MS);
        if (ms > 100)
            ms = 100;
        struct pollfd pfd = {.fd = p->tap.fd, .events = POLLIN};
        if (poll(&pfd, 1, ms) < 0 && errno != EINTR) {
            perror("stackpeer: poll");
            return false;
        }
        for (int i = 0; i < READ_BATCH && (pfd.revents & POLLIN); i++) {
            ssize_t n = read(p->tap.fd, frame, FRAME_BUF);
            if (n <= 0)
                break;
            stack_input(p->stack, 0, frame, (size_t)n, now_ns());
        }
        now = now_ns();
        if (stack_next_deadline(p->stack) <= now)
            stack_poll(p->stack, now);
    }
    return true;
}

static bool transfer_done(const struct peer *p)
{
    return p->failed || p->eof;
}

static bool closed_done(const struct peer *p)
{
    return p->closed;
}

int main(int argc, char **argv)
{
    const char *tap_name = "tcpip1", *ip = "10.77.1.2/24", *host_ip = "10.77.1.1/24";
    const char *connect_to = NULL;
    long long send_bytes = -1;
    bool recv_mode = false;
    int timeout_s = 60;
    for (int i = 1; i < argc; i++) {
        bool has = i + 1 < argc;
        if (strcmp(argv[i], "--tap") == 0 && has)
            tap_name = argv[++i];
        else if (strcmp(argv[i], "--ip") == 0 && has)
            ip = argv[++i];
        else if (strcmp(argv[i], "--host-ip") == 0 && has)
            host_ip = argv[++i];
        else if (strcmp(argv[i], "--connect") == 0 && has)
            connect_to = argv[++i];
        else if (strcmp(argv[i], "--send") == 0 && has)
            send_bytes = atoll(argv[++i]);
        else if (strcmp(argv[i], "--recv") == 0)
            recv_mode = true;
        else if (strcmp(argv[i], "--timeout") == 0 && has)
            timeout_s = atoi(argv[++i]);
        else
            return usage();
    }
    struct ip_endpoint remote;
    uint32_t addr, host_addr;
    uint8_t plen, host_plen;
    if (connect_to == NULL || (send_bytes < 0) == !recv_mode || timeout_s <= 0 ||
        parse_endpoint(connect_to, &remote) != 0 || parse_prefix(ip, &addr, &plen) != 0 ||
        parse_prefix(host_ip, &host_addr, &host_plen) != 0)
        return usage();

    struct peer p;
    memset(&p, 0, sizeof p);
    p.sending = !recv_mode;
    p.want = send_bytes < 0 ? 0 : (uint64_t)send_bytes;
    p.bad_at = -1;
    char err[256];
    if (tap_open(&p.tap, tap_name, err, sizeof err) < 0 ||
        tap_host_configure(p.tap.name, host_addr, host_plen, err, sizeof err) < 0) {
        fprintf(stderr, "stackpeer: %s\n", err);
        tap_close(&p.tap);
        return 2;
    }

    struct stack_config sc;
    stack_config_defaults(&sc);
    if (getrandom(sc.key, sizeof sc.key, 0) != (ssize_t)sizeof sc.key) {
        perror("stackpeer: getrandom");
        tap_close(&p.tap);
        return 2;
    }
    sc.log = on_log;
    p.stack = stack_new(&sc);
    uint8_t *frame = malloc(FRAME_BUF);
    struct netif_config nc;
    memset(&nc, 0, sizeof nc);
    snprintf(nc.name, sizeof nc.name, "%s", p.tap.name);
    nc.mac = (struct eth_addr){{0x02, 0x77, 0x00, 0x00, 0x01, 0x02}};
    nc.mtu = 1500;
    nc.ipv4_addr = addr;
    nc.ipv4_prefix_len = plen;
    int rc = -ENOMEM;
    if (p.stack != NULL && frame != NULL)
        rc = stack_netif_add(p.stack, &nc, &tap_ops, &p, now_ns());
    if (rc < 0) {
        fprintf(stderr, "stackpeer: stack setup: %s\n", strerror(-rc));
        stack_free(p.stack);
        free(frame);
        tap_close(&p.tap);
        return 2;
    }

    int status = 1;
    uint64_t t0 = now_ns(), deadline = t0 + (uint64_t)timeout_s * NS_PER_SEC;
    p.ts = tcp_sock_open(p.stack, on_event, &p);
    rc = p.ts == NULL ? -ENOMEM : tcp_sock_connect(p.ts, &remote, now_ns());
    if (rc != 0 && rc != -EINPROGRESS) {
        fprintf(stderr, "stackpeer: connect: %s\n", strerror(-rc));
    } else if (!run_loop(&p, frame, deadline, transfer_done) || p.failed) {
        int e = p.ts ? tcp_sock_error(p.ts) : 0;
        fprintf(stderr, "stackpeer: %s after sent %llu, received %llu%s%s\n",
                p.failed ? "failed" : "timeout", (unsigned long long)p.sent,
                (unsigned long long)p.got, e ? ": " : "", e ? strerror(-e) : "");
    } else {
        uint64_t t1 = now_ns(), start = p.connected ? p.t_connected : t0;
        double ms = (double)(t1 - start) / 1e6;
        uint64_t bytes = p.sending ? p.sent : p.got;
        printf("stackpeer: %s %llu bytes in %.0f ms (%.1f MB/s), pattern %s\n",
               p.sending ? "sent" : "received", (unsigned long long)bytes, ms,
               ms > 0 ? (double)bytes / 1e3 / ms : 0.0, p.bad_at < 0 ? "ok" : "BAD");
        if (p.bad_at >= 0)
            printf("stackpeer: first bad byte at offset %lld\n", p.bad_at);
        status = p.bad_at < 0 ? 0 : 1;
    }
    if (p.ts != NULL) {
        /* Hand it to the stack and let the FIN exchange finish, briefly:
         * the kernel side should not see a RST for a clean transfer. */
        tcp_sock_close(p.ts, now_ns());
        p.ts = NULL;
        uint64_t linger = now_ns() + 200 * NS_PER_MS;
        p.failed = true; /* pump() has no socket any more */
        (void)run_loop(&p, frame, linger, closed_done);
    }
    stack_free(p.stack);
    free(frame);
    tap_close(&p.tap);
    return status;
}
