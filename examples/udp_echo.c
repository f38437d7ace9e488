/* udp_echo.c - a UDP echo server (RFC 862) on libtcpip.
 *
 *   udp_echo [--bind ADDR] [--count N] PORT
 *
 * Every datagram received on ADDR:PORT goes back to its sender unchanged.
 * UDP keeps message boundaries, so one recvfrom is one datagram and one
 * sendto one reply. The buffer is the largest IPv4 UDP payload (65507
 * bytes), so nothing is truncated. --count N exits after N datagrams (for
 * tests); the default is to run until killed. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <tcpip.h>

/* RFC 768 length field minus the UDP and IPv4 headers. */
#define UDP_MAX_PAYLOAD 65507

static void usage(FILE *out)
{
    fprintf(out,
            "usage: udp_echo [--bind ADDR] [--count N] PORT\n"
            "  UDP echo server: each datagram goes back to its sender.\n"
            "  --bind ADDR  IPv4 address to bind (default 0.0.0.0)\n"
            "  --count N    exit after echoing N datagrams\n"
            "  environment: TCPIP_BACKEND=direct|socket, TCPIP_SOCKET=PATH\n");
}

int main(int argc, char **argv)
{
    const char *bind_addr = "0.0.0.0";
    const char *port_arg = NULL;
    long count = -1;

    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            usage(stdout);
            return 0;
        } else if (strcmp(argv[i], "--bind") == 0 && i + 1 < argc) {
            bind_addr = argv[++i];
        } else if (strcmp(argv[i], "--count") == 0 && i + 1 < argc) {
            count = atol(argv[++i]);
            if (count <= 0) {
                fprintf(stderr, "udp_echo: bad --count '%s': expected N > 0\n", argv[i]);
                return 2;
            }
        } else if (argv[i][0] != '-' && port_arg == NULL) {
            port_arg = argv[i];
        } else {
            usage(stderr);
            return 2;
        }
    }
    if (port_arg == NULL) {
        usage(stderr);
        return 2;
    }
    char *end;
    long port = strtol(port_arg, &end, 10);
    if (*end != '\0' || port < 0 || port > 65535) {
        fprintf(stderr, "udp_echo: bad port '%s': expected 0..65535\n", port_arg);
        return 2;
    }
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    if (inet_pton(AF_INET, bind_addr, &sa.sin_addr) != 1) {
        fprintf(stderr, "udp_echo: bad address '%s': expected dotted IPv4\n", bind_addr);
        return 2;
    }

    int fd = tcpip_socket(AF_INET, SOCK_DGRAM, 0);
    if (fd < 0) {
        fprintf(stderr, "udp_echo: socket (backend %s): %s\n", tcpip_backend_name(),
                strerror(errno));
        return 1;
    }
    if (tcpip_bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
        fprintf(stderr, "udp_echo: bind %s:%ld: %s\n", bind_addr, port, strerror(errno));
        tcpip_close(fd);
        return 1;
    }
    struct sockaddr_in got;
    socklen_t got_len = sizeof(got);
    if (tcpip_getsockname(fd, (struct sockaddr *)&got, &got_len) == 0)
        printf("udp_echo: listening on %s:%u (backend %s)\n", bind_addr, ntohs(got.sin_port),
               tcpip_backend_name());
    fflush(stdout);

    static char buf[UDP_MAX_PAYLOAD];
    for (long done = 0; count < 0 || done < count;) {
        struct sockaddr_in from;
        socklen_t from_len = sizeof(from);
        ssize_t n = tcpip_recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &from_len);
        if (n < 0) {
            /* ECONNREFUSED: an ICMP port unreachable for an earlier reply;
             * that sender is gone, the server is not. */
            if (errno == EINTR || errno == ECONNREFUSED)
                continue;
            fprintf(stderr, "udp_echo: recvfrom: %s\n", strerror(errno));
            tcpip_close(fd);
            return 1;
        }
        if (tcpip_sendto(fd, buf, (size_t)n, 0, (struct sockaddr *)&from, from_len) < 0) {
            /* One lost reply is what UDP promises anyway: report, go on. */
            char ip[INET_ADDRSTRLEN] = "?";
            inet_ntop(AF_INET, &from.sin_addr, ip, sizeof(ip));
            fprintf(stderr, "udp_echo: sendto %s:%u: %s\n", ip, ntohs(from.sin_port),
                    strerror(errno));
        }
        done++;
    }
    tcpip_close(fd);
    return 0;
}
