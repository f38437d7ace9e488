/* http_get.c - fetch one URL path with HTTP/1.0 over libtcpip.
 *
 *   http_get [--timeout SECS] HOST PORT [PATH]
 *
 * Connects to HOST:PORT (a dotted IPv4 address: there is no resolver in
 * the stack), sends "GET PATH HTTP/1.0" and copies the whole response,
 * headers included, to standard output until the server closes. HTTP/1.0
 * (RFC 1945) is used because its end of response is the end of the
 * connection: no chunked decoding, no Content-Length bookkeeping.
 *
 * Exit status: 0 if the response arrived, 1 on a network error, 2 on bad
 * arguments. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <tcpip.h>

static void usage(FILE *out)
{
    fprintf(out,
            "usage: http_get [--timeout SECS] HOST PORT [PATH]\n"
            "  HTTP/1.0 GET of PATH (default /) from HOST:PORT; the response,\n"
            "  headers included, goes to stdout.\n"
            "  HOST is a dotted IPv4 address. --timeout: give up after SECS\n"
            "  without progress (default 10).\n"
            "  environment: TCPIP_BACKEND=direct|socket, TCPIP_SOCKET=PATH\n");
}

/* Wait until fd is ready for `events` or secs pass: 1 ready, 0 timeout,
 * -1 error. poll works because libtcpip hands out real fds. */
static int wait_ready(int fd, short events, int secs)
{
    struct pollfd p = {.fd = fd, .events = events};
    for (;;) {
        int n = poll(&p, 1, secs * 1000);
        if (n < 0 && errno == EINTR)
            continue;
        return n;
    }
}

int main(int argc, char **argv)
{
    int timeout_s = 10;
    const char *args[3] = {NULL, NULL, "/"};
    int nargs = 0;

    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            usage(stdout);
            return 0;
        } else if (strcmp(argv[i], "--timeout") == 0 && i + 1 < argc) {
            timeout_s = atoi(argv[++i]);
            if (timeout_s <= 0) {
                fprintf(stderr, "http_get: bad --timeout '%s': expected seconds > 0\n", argv[i]);
                return 2;
            }
        } else if (nargs < 3 && (argv[i][0] != '-' || strcmp(argv[i], "-") == 0)) {
            args[nargs++] = argv[i];
        } else {
            usage(stderr);
            return 2;
        }
    }
    if (nargs < 2) {
        usage(stderr);
        return 2;
    }
    const char *host = args[0], *path = args[2];
    char *end;
    long port = strtol(args[1], &end, 10);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    if (*end != '\0' || port < 1 || port > 65535) {
        fprintf(stderr, "http_get: bad port '%s': expected 1..65535\n", args[1]);
        return 2;
    }
    if (inet_pton(AF_INET, host, &sa.sin_addr) != 1) {
        fprintf(stderr, "http_get: bad host '%s': expected a dotted IPv4 address\n", host);
        return 2;
    }
    /* A request line must not carry raw spaces or line breaks. */
    if (path[0] != '/' || strpbrk(path, " \r\n") != NULL) {
        fprintf(stderr, "http_get: bad path '%s': must start with / and have no spaces\n", path);
        return 2;
    }

    int fd = tcpip_socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    if (fd < 0) {
        fprintf(stderr, "http_get: socket (backend %s): %s\n", tcpip_backend_name(),
                strerror(errno));
        return 1;
    }
    /* A non-blocking connect bounded by the timeout: EINPROGRESS, wait for
     * POLLOUT, then SO_ERROR holds the outcome (connect(2)). */
    int err = 0;
    if (tcpip_connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
        if (errno != EINPROGRESS) {
            err = errno;
        } else if (wait_ready(fd, POLLOUT, timeout_s) <= 0) {
            err = ETIMEDOUT;
        } else {
            socklen_t len = sizeof(err);
            if (tcpip_getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
                err = errno;
        }
    }
    if (err != 0) {
        fprintf(stderr, "http_get: connect %s:%ld: %s\n", host, port, strerror(err));
        tcpip_close(fd);
        return 1;
    }

    char req[1024];
    int req_len = snprintf(req, sizeof(req),
                           "GET %s HTTP/1.0\r\nHost: %s:%ld\r\nUser-Agent: tcpip-http_get\r\n"
                           "Connection: close\r\n\r\n",
                           path, host, port);
    if (req_len < 0 || (size_t)req_len >= sizeof(req)) {
        fprintf(stderr, "http_get: path too long\n");
        tcpip_close(fd);
        return 2;
    }
    size_t sent = 0;
    while (sent < (size_t)req_len) {
        ssize_t n = tcpip_send(fd, req + sent, (size_t)req_len - sent, MSG_NOSIGNAL);
        if (n >= 0) {
            sent += (size_t)n;
        } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
            if (wait_ready(fd, POLLOUT, timeout_s) <= 0) {
                fprintf(stderr, "http_get: send: timed out after %d s\n", timeout_s);
                tcpip_close(fd);
                return 1;
            }
        } else if (errno != EINTR) {
            fprintf(stderr, "http_get: send: %s\n", strerror(errno));
            tcpip_close(fd);
            return 1;
        }
    }

    /* The response: everything until the server's FIN. */
    char buf[16384];
    size_t total = 0;
    for (;;) {
        ssize_t n = tcpip_recv(fd, buf, sizeof(buf), 0);
        if (n > 0) {
            total += (size_t)n;
            if (fwrite(buf, 1, (size_t)n, stdout) != (size_t)n) {
                fprintf(stderr, "http_get: writing stdout: %s\n", strerror(errno));
                tcpip_close(fd);
                return 1;
            }
        } else if (n == 0) {
            break;
        } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
            if (wait_ready(fd, POLLIN, timeout_s) <= 0) {
                fprintf(stderr, "http_get: recv: no data for %d s\n", timeout_s);
                tcpip_close(fd);
                return 1;
            }
        } else if (errno != EINTR) {
            fprintf(stderr, "http_get: recv: %s\n", strerror(errno));
            tcpip_close(fd);
            return 1;
        }
    }
    tcpip_close(fd);
    /* RFC 1945 6: a response has at least a status line; a connection
     * closed without one is a failure, not an empty document. */
    if (total == 0) {
        fprintf(stderr, "http_get: connection closed before any response\n");
        return 1;
    }
    if (fflush(stdout) != 0) {
        fprintf(stderr, "http_get: writing stdout: %s\n", strerror(errno));
        return 1;
    }
    return 0;
}
