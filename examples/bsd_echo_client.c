/* bsd_echo_client.c - a BSD-sockets program ported to libtcpip by one
 * #include: <tcpip/bsd.h> renames socket(), connect(), read(), write(),
 * close()... to their tcpip_ twins, and nothing else changes.
 *
 *   bsd_echo_client ADDR PORT MESSAGE
 *
 * Connects to ADDR:PORT (IPv4 or IPv6), writes MESSAGE, half-closes,
 * reads the reply until the server closes and copies it to standard
 * output. read() and write() on standard input and output (not sockets)
 * still work: libtcpip passes what is not its socket to the C library.
 *
 * Exit status: 0 if the reply was MESSAGE itself, 1 otherwise, 2 on bad
 * arguments. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <tcpip/bsd.h>

int main(int argc, char **argv)
{
    union {
        struct sockaddr sa;
        struct sockaddr_in in;
        struct sockaddr_in6 in6;
    } addr;
    socklen_t addr_len;

    if (argc != 4) {
        fprintf(stderr, "usage: bsd_echo_client ADDR PORT MESSAGE\n");
        return 2;
    }
    memset(&addr, 0, sizeof addr);
    int port = atoi(argv[2]);
    if (inet_pton(AF_INET, argv[1], &addr.in.sin_addr) == 1) {
        addr.in.sin_family = AF_INET;
        addr.in.sin_port = htons((uint16_t)port);
        addr_len = sizeof addr.in;
    } else if (inet_pton(AF_INET6, argv[1], &addr.in6.sin6_addr) == 1) {
        addr.in6.sin6_family = AF_INET6;
        addr.in6.sin6_port = htons((uint16_t)port);
        addr_len = sizeof addr.in6;
    } else {
        fprintf(stderr, "bsd_echo_client: %s is not an IP address\n", argv[1]);
        return 2;
    }

    int fd = socket(addr.sa.sa_family, SOCK_STREAM, 0);
    if (fd < 0) {
        fprintf(stderr, "bsd_echo_client: socket: %s\n", tcpip_strerror(errno));
        return 1;
    }
    if (connect(fd, &addr.sa, addr_len) < 0) {
        fprintf(stderr, "bsd_echo_client: connect: %s\n", strerror(errno));
        close(fd);
        return 1;
    }
    const char *msg = argv[3];
    size_t len = strlen(msg);
    if (write(fd, msg, len) != (ssize_t)len || shutdown(fd, SHUT_WR) < 0) {
        fprintf(stderr, "bsd_echo_client: write: %s\n", strerror(errno));
        close(fd);
        return 1;
    }
    char reply[4096];
    size_t got = 0;
    for (;;) {
        ssize_t n = read(fd, reply + got, sizeof reply - got);
        if (n < 0) {
            fprintf(stderr, "bsd_echo_client: read: %s\n", strerror(errno));
            close(fd);
            return 1;
        }
        if (n == 0 || got + (size_t)n == sizeof reply) {
            got += (size_t)n;
            break;
        }
        got += (size_t)n;
    }
    close(fd);
    /* standard output is no socket: tcpip_write hands it to write(2) */
    if (got > 0 && write(1, reply, got) != (ssize_t)got)
        return 1;
    return got == len && memcmp(reply, msg, len) == 0 ? 0 : 1;
}
