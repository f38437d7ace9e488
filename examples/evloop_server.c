/* evloop_server.c - a TCP echo server for many clients from one thread.
 *
 *   evloop_server [--bind ADDR] [--max-clients N] PORT
 *
 * One epoll loop serves every client: the listener and all connections are
 * non-blocking, accept drains the backlog on each wake-up, and each client
 * has a small pending buffer for the bytes the peer has not taken yet. This
 * works on libtcpip because its sockets are real file descriptors (the
 * direct backend hands out one end of a socketpair), so epoll sees them.
 *
 * Flow control, the same way for every client: while a client's pending
 * buffer holds bytes, the server stops reading from it (EPOLLIN off) and
 * waits for EPOLLOUT; so a client that sends but never reads only fills
 * its own socket buffers and never the server's memory.
 *
 * The open-file limit is raised to its hard maximum at start, since 1000+
 * clients need 1000+ descriptors. Runs until killed; SIGTERM or SIGINT
 * stop it cleanly. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <unistd.h>

#include <tcpip.h>

#define PENDING_MAX 16384
#define EVENTS_PER_WAIT 256

struct client {
    int fd;
    size_t pending_len;  /* bytes read but not yet written back */
    size_t pending_off;  /* how many of them are already written */
    char pending[PENDING_MAX];
};

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
    (void)sig;
    stop_requested = 1;
}

static void usage(FILE *out)
{
    fprintf(out,
            "usage: evloop_server [--bind ADDR] [--max-clients N] PORT\n"
            "  TCP echo server: many clients at once from one thread (epoll).\n"
            "  --bind ADDR        IPv4 address to listen on (default 0.0.0.0)\n"
            "  --max-clients N    refuse (close) connections beyond N (default 4096)\n"
            "  environment: TCPIP_BACKEND=direct|socket, TCPIP_SOCKET=PATH\n");
}

/* Raise RLIMIT_NOFILE's soft limit to the hard one; report, never fail. */
static void raise_fd_limit(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
            fprintf(stderr, "evloop_server: setrlimit NOFILE: %s\n", strerror(errno));
    }
}

/* Which events a client wants: input while nothing is pending, output
 * while something is. */
static uint32_t client_events(const struct client *c)
{
    return c->pending_len > c->pending_off ? EPOLLOUT : EPOLLIN;
}

static void client_close(int ep, struct client *c, long *nclients)
{
    epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
    tcpip_close(c->fd);
    free(c);
    (*nclients)--;
}

/* Write what is pending. 0: all written or would block; -1: error. */
static int client_flush(struct client *c)
{
    while (c->pending_off < c->pending_len) {
        ssize_t n = tcpip_send(c->fd, c->pending + c->pending_off,
                               c->pending_len - c->pending_off, MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                return 0;
            return -1;
        }
        c->pending_off += (size_t)n;
    }
    c->pending_off = c->pending_len = 0;
    return 0;
}

/* Handle readiness on one client. Returns false when it should close. */
static bool client_ready(struct client *c, uint32_t events)
{
    /* A hang-up or error while bytes are pending: the flush fails and the
     * client is closed (ignoring it would spin: epoll keeps reporting it). */
    if (c->pending_len > 0 && (events & (EPOLLOUT | EPOLLHUP | EPOLLERR))) {
        if (client_flush(c) < 0) {
            if (errno != EPIPE && errno != ECONNRESET)
                fprintf(stderr, "evloop_server: send: %s\n", strerror(errno));
            return false;
        }
    }
    if ((events & (EPOLLIN | EPOLLHUP | EPOLLERR)) && c->pending_len == 0) {
        ssize_t n = tcpip_recv(c->fd, c->pending, sizeof(c->pending), 0);
        if (n == 0)
            return false; /* the client's FIN */
        if (n < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
                return true;
            if (errno != ECONNRESET)
                fprintf(stderr, "evloop_server: recv: %s\n", strerror(errno));
            return false;
        }
        c->pending_len = (size_t)n;
        c->pending_off = 0;
        if (client_flush(c) < 0) {
            if (errno != EPIPE && errno != ECONNRESET)
                fprintf(stderr, "evloop_server: send: %s\n", strerror(errno));
            return false;
        }
    }
    return true;
}

/* Accept every connection waiting in the backlog. */
static void accept_all(int ep, int lfd, long *nclients, long max_clients)
{
    for (;;) {
        int fd = tcpip_accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                return;
            if (errno == EINTR || errno == ECONNABORTED)
                continue;
            /* EMFILE/ENFILE: out of descriptors; the connection stays in
             * the backlog until a client leaves. */
            fprintf(stderr, "evloop_server: accept: %s\n", strerror(errno));
            return;
        }
        struct client *c = NULL;
        if (*nclients < max_clients)
            c = malloc(sizeof(*c));
        if (c == NULL) {
            tcpip_close(fd);
            continue;
        }
        c->fd = fd;
        c->pending_len = c->pending_off = 0;
        struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
        if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0) {
            fprintf(stderr, "evloop_server: epoll_ctl add: %s\n", strerror(errno));
            tcpip_close(fd);
            free(c);
            continue;
        }
        (*nclients)++;
    }
}

int main(int argc, char **argv)
{
    const char *bind_addr = "0.0.0.0";
    const char *port_arg = NULL;
    long max_clients = 4096;

    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            usage(stdout);
            return 0;
        } else if (strcmp(argv[i], "--bind") == 0 && i + 1 < argc) {
            bind_addr = argv[++i];
        } else if (strcmp(argv[i], "--max-clients") == 0 && i + 1 < argc) {
            max_clients = atol(argv[++i]);
            if (max_clients <= 0) {
                fprintf(stderr, "evloop_server: bad --max-clients '%s'\n", argv[i]);
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
        fprintf(stderr, "evloop_server: bad port '%s': expected 0..65535\n", port_arg);
        return 2;
    }
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    if (inet_pton(AF_INET, bind_addr, &sa.sin_addr) != 1) {
        fprintf(stderr, "evloop_server: bad address '%s': expected dotted IPv4\n", bind_addr);
        return 2;
    }

    raise_fd_limit();
    signal(SIGPIPE, SIG_IGN);
    struct sigaction sact = {.sa_handler = on_signal};
    sigaction(SIGTERM, &sact, NULL);
    sigaction(SIGINT, &sact, NULL);

    int lfd = tcpip_socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    if (lfd < 0) {
        fprintf(stderr, "evloop_server: socket (backend %s): %s\n", tcpip_backend_name(),
                strerror(errno));
        return 1;
    }
    int one = 1;
    if (tcpip_setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0)
        fprintf(stderr, "evloop_server: SO_REUSEADDR: %s (continuing)\n", strerror(errno));
    if (tcpip_bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
        fprintf(stderr, "evloop_server: bind %s:%ld: %s\n", bind_addr, port, strerror(errno));
        tcpip_close(lfd);
        return 1;
    }
    /* A deep backlog: 1000 clients may connect in one burst. */
    if (tcpip_listen(lfd, 4096) < 0) {
        fprintf(stderr, "evloop_server: listen: %s\n", strerror(errno));
        tcpip_close(lfd);
        return 1;
    }
    int ep = epoll_create1(EPOLL_CLOEXEC);
    if (ep < 0) {
        fprintf(stderr, "evloop_server: epoll_create1: %s\n", strerror(errno));
        tcpip_close(lfd);
        return 1;
    }
    /* The listener is told apart from clients by a NULL data pointer. */
    struct epoll_event lev = {.events = EPOLLIN, .data.ptr = NULL};
    if (epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &lev) < 0) {
        fprintf(stderr, "evloop_server: epoll_ctl listener: %s\n", strerror(errno));
        close(ep);
        tcpip_close(lfd);
        return 1;
    }
    struct sockaddr_in got;
    socklen_t got_len = sizeof(got);
    if (tcpip_getsockname(lfd, (struct sockaddr *)&got, &got_len) == 0)
        printf("evloop_server: listening on %s:%u (backend %s)\n", bind_addr,
               ntohs(got.sin_port), tcpip_backend_name());
    fflush(stdout);

    long nclients = 0;
    int rc = 0;
    struct epoll_event events[EVENTS_PER_WAIT];
    while (!stop_requested) {
        int n = epoll_wait(ep, events, EVENTS_PER_WAIT, -1);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            fprintf(stderr, "evloop_server: epoll_wait: %s\n", strerror(errno));
            rc = 1;
            break;
        }
        for (int i = 0; i < n; i++) {
            struct client *c = events[i].data.ptr;
            if (c == NULL) {
                accept_all(ep, lfd, &nclients, max_clients);
                continue;
            }
            uint32_t before = client_events(c);
            if (!client_ready(c, events[i].events)) {
                client_close(ep, c, &nclients);
                continue;
            }
            uint32_t after = client_events(c);
            if (after != before) {
                struct epoll_event ev = {.events = after, .data.ptr = c};
                epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
            }
        }
    }
    /* Clients still connected are closed by exit; the kernel (or tcpipd,
     * seeing the hang-up) finishes them. */
    printf("evloop_server: stopping with %ld clients\n", nclients);
    close(ep);
    tcpip_close(lfd);
    return rc;
}
