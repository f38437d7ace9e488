/* echo_server.c - a TCP echo server (RFC 862) on libtcpip.
 *
 *   echo_server [--fork] [--bind ADDR] PORT
 *
 * Listens on ADDR:PORT (default 0.0.0.0) and sends back every byte each
 * client sends until the client closes. One client at a time, or with
 * --fork one child process per client. The backend is chosen by
 * TCPIP_BACKEND ("direct": the tcpipd stack, "socket": the host kernel).
 *
 * The program uses only tcpip.h for the sockets; everything else is libc. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <tcpip.h>

static void usage(FILE *out)
{
    fprintf(out,
            "usage: echo_server [--fork] [--bind ADDR] PORT\n"
            "  TCP echo server: every byte a client sends comes back.\n"
            "  --fork       serve each client in its own child process\n"
            "  --bind ADDR  IPv4 address to listen on (default 0.0.0.0)\n"
            "  environment: TCPIP_BACKEND=direct|socket, TCPIP_SOCKET=PATH\n");
}

/* Send all of buf: a stream socket may take less than asked. */
static int send_all(int fd, const char *buf, size_t len)
{
    while (len > 0) {
        ssize_t n = tcpip_send(fd, buf, len, MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        buf += n;
        len -= (size_t)n;
    }
    return 0;
}

/* Echo until the peer closes. Returns 0 on a clean end, -1 on an error
 * (already reported). */
static int serve_client(int fd, const char *who)
{
    char buf[16384];
    for (;;) {
        ssize_t n = tcpip_recv(fd, buf, sizeof(buf), 0);
        if (n == 0)
            return 0; /* the peer's FIN, after all its data */
        if (n < 0) {
            if (errno == EINTR)
                continue;
            fprintf(stderr, "echo_server: recv from %s: %s\n", who, strerror(errno));
            return -1;
        }
        if (send_all(fd, buf, (size_t)n) < 0) {
            fprintf(stderr, "echo_server: send to %s: %s\n", who, strerror(errno));
            return -1;
        }
    }
}

int main(int argc, char **argv)
{
    bool use_fork = false;
    const char *bind_addr = "0.0.0.0";
    const char *port_arg = NULL;

    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            usage(stdout);
            return 0;
        } else if (strcmp(argv[i], "--fork") == 0) {
            use_fork = true;
        } else if (strcmp(argv[i], "--bind") == 0 && i + 1 < argc) {
            bind_addr = argv[++i];
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
        fprintf(stderr, "echo_server: bad port '%s': expected 0..65535\n", port_arg);
        return 2;
    }
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    if (inet_pton(AF_INET, bind_addr, &sa.sin_addr) != 1) {
        fprintf(stderr, "echo_server: bad address '%s': expected dotted IPv4\n", bind_addr);
        return 2;
    }

    /* A client that goes away mid-write must not kill the server. */
    signal(SIGPIPE, SIG_IGN);
    /* --fork: children are reaped by the kernel, no zombies to wait for. */
    if (use_fork)
        signal(SIGCHLD, SIG_IGN);

    int lfd = tcpip_socket(AF_INET, SOCK_STREAM, 0);
    if (lfd < 0) {
        fprintf(stderr, "echo_server: socket (backend %s): %s\n", tcpip_backend_name(),
                strerror(errno));
        return 1;
    }
    int one = 1;
    /* Restart at once even if old connections linger in TIME_WAIT. */
    if (tcpip_setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0)
        fprintf(stderr, "echo_server: SO_REUSEADDR: %s (continuing)\n", strerror(errno));
    if (tcpip_bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
        fprintf(stderr, "echo_server: bind %s:%ld: %s\n", bind_addr, port, strerror(errno));
        tcpip_close(lfd);
        return 1;
    }
    if (tcpip_listen(lfd, 128) < 0) {
        fprintf(stderr, "echo_server: listen: %s\n", strerror(errno));
        tcpip_close(lfd);
        return 1;
    }
    /* Print the real port (PORT 0 asks for an ephemeral one). */
    struct sockaddr_in got;
    socklen_t got_len = sizeof(got);
    if (tcpip_getsockname(lfd, (struct sockaddr *)&got, &got_len) == 0)
        printf("echo_server: listening on %s:%u (backend %s)\n", bind_addr,
               ntohs(got.sin_port), tcpip_backend_name());
    fflush(stdout);

    for (;;) {
        struct sockaddr_in peer;
        socklen_t peer_len = sizeof(peer);
        int cfd = tcpip_accept(lfd, (struct sockaddr *)&peer, &peer_len);
        if (cfd < 0) {
            if (errno == EINTR || errno == ECONNABORTED)
                continue;
            fprintf(stderr, "echo_server: accept: %s\n", strerror(errno));
            tcpip_close(lfd);
            return 1;
        }
        char who[INET_ADDRSTRLEN + 8];
        char ip[INET_ADDRSTRLEN] = "?";
        inet_ntop(AF_INET, &peer.sin_addr, ip, sizeof(ip));
        snprintf(who, sizeof(who), "%s:%u", ip, ntohs(peer.sin_port));

        if (!use_fork) {
            serve_client(cfd, who);
            tcpip_close(cfd);
            continue;
        }
        pid_t pid = fork();
        if (pid < 0) {
            fprintf(stderr, "echo_server: fork: %s\n", strerror(errno));
            tcpip_close(cfd);
            continue;
        }
        if (pid == 0) {
            /* The child needs only the connection. */
            tcpip_close(lfd);
            int rc = serve_client(cfd, who);
            tcpip_close(cfd);
            _exit(rc == 0 ? 0 : 1);
        }
        tcpip_close(cfd); /* the parent's copy; the child's stays open */
    }
}
