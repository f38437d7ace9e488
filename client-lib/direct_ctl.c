/* direct_ctl.c - the direct backend's side of the IPC protocol (ipc/ipc.h,
 * ipc/PROTOCOL.md): connecting to tcpipd, one request/reply exchange on a
 * control connection (with the data fd the daemon passes by SCM_RIGHTS),
 * and receiving an IPC_MSG_ACCEPT from a listener's data fd.
 *
 * Everything the daemon sends is checked by the ipc/ decoders; anything
 * that does not decode is EPROTO and never trusted further. Every fd that
 * arrives and is not the one expected is closed, so a confused or hostile
 * daemon cannot leak descriptors into the application. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/un.h>
#include <unistd.h>

#include "client-lib/internal.h"

/* More fds than the protocol ever sends in one message (it sends one):
 * room to receive and close a hostile peer's extras instead of having
 * the kernel drop them with MSG_CTRUNC. */
#define MAX_FDS_PER_MSG 4

static pthread_mutex_t path_lock = PTHREAD_MUTEX_INITIALIZER;
static char daemon_path[sizeof(((struct sockaddr_un *)0)->sun_path)];

int libtcpip_direct_set_path(const char *path)
{
    int rc = 0;

    pthread_mutex_lock(&path_lock);
    if (path == NULL || path[0] == '\0')
        daemon_path[0] = '\0';
    else if (strlen(path) >= sizeof daemon_path)
        rc = ENAMETOOLONG;
    else
        snprintf(daemon_path, sizeof daemon_path, "%s", path);
    pthread_mutex_unlock(&path_lock);
    return rc;
}

const char *libtcpip_direct_path(void)
{
    const char *env = getenv("TCPIP_SOCKET");

    /* daemon_path is written only by tcpip_init before the first socket. */
    if (daemon_path[0] != '\0')
        return daemon_path;
    if (env != NULL && env[0] != '\0')
        return env;
    return IPC_DEFAULT_PATH;
}

int libtcpip_ctl_connect(bool cloexec)
{
    struct sockaddr_un sun;
    const char *path = libtcpip_direct_path();
    int fd, rc;

    memset(&sun, 0, sizeof sun);
    sun.sun_family = AF_UNIX;
    if (strlen(path) >= sizeof sun.sun_path) {
        errno = ENAMETOOLONG;
        return -1;
    }
    memcpy(sun.sun_path, path, strlen(path));
    fd = socket(AF_UNIX, SOCK_STREAM | (cloexec ? SOCK_CLOEXEC : 0), 0);
    if (fd < 0)
        return -1;
    do {
        rc = connect(fd, (struct sockaddr *)&sun, sizeof sun);
    } while (rc < 0 && errno == EINTR);
    if (rc < 0) {
        int saved = errno;
        close(fd);
        errno = saved;
        return -1;
    }
    return fd;
}

static void close_fds(const int *fds, size_t n)
{
    for (size_t i = 0; i < n; i++)
        close(fds[i]);
}

/* Collect the SCM_RIGHTS fds of msg into fds (at most MAX_FDS_PER_MSG in
 * all, *nfds counting); any beyond that are closed at once. */
static void take_fds(struct msghdr *msg, int *fds, size_t *nfds)
{
    for (struct cmsghdr *c = CMSG_FIRSTHDR(msg); c != NULL; c = CMSG_NXTHDR(msg, c)) {
        if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
            continue;
        size_t n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        const unsigned char *p = CMSG_DATA(c);
        for (size_t i = 0; i < n; i++) {
            int fd;
            memcpy(&fd, p + i * sizeof fd, sizeof fd);
            if (*nfds < MAX_FDS_PER_MSG)
                fds[(*nfds)++] = fd;
            else
                close(fd);
        }
    }
}

/* Read exactly len bytes from a stream socket, collecting passed fds.
 * (Also the rest of a message whose start a non-blocking read got.)
 * 0, ECONNRESET (end of file: the daemon went away), or an errno. */
static int recv_exact(int fd, uint8_t *buf, size_t len, int *fds, size_t *nfds,
                      bool *ctrunc, bool cloexec)
{
    size_t got = 0;
    union {
        char buf[CMSG_SPACE(sizeof(int) * MAX_FDS_PER_MSG)];
        struct cmsghdr align;
    } cbuf;

    while (got < len) {
        struct iovec iov = { .iov_base = buf + got, .iov_len = len - got };
        struct msghdr msg;
        memset(&msg, 0, sizeof msg);
        msg.msg_iov = &iov;
        msg.msg_iovlen = 1;
        msg.msg_control = cbuf.buf;
        msg.msg_controllen = sizeof cbuf.buf;
        ssize_t n = recvmsg(fd, &msg, cloexec ? MSG_CMSG_CLOEXEC : 0);
        if (n < 0 && errno == EINTR)
            continue;  /* the message is still coming: never leave it half read */
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            /* A non-blocking fd (a listener's) in the middle of a message:
             * the daemon writes messages whole, the rest is on its way. */
            struct pollfd pfd = { .fd = fd, .events = POLLIN };
            if (poll(&pfd, 1, -1) < 0 && errno != EINTR)
                return errno;
            continue;
        }
        if (n < 0)
            return errno == EPIPE ? ECONNRESET : errno;
        take_fds(&msg, fds, nfds);
        if (msg.msg_flags & MSG_CTRUNC)
            *ctrunc = true;
        if (n == 0)
            return ECONNRESET;
        got += (size_t)n;
    }
    return 0;
}

static int send_all(int fd, const uint8_t *buf, size_t len)
{
    size_t sent = 0;

    while (sent < len) {
        ssize_t n = send(fd, buf + sent, len - sent, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return errno == EPIPE ? ECONNRESET : errno;
        sent += (size_t)n;
    }
    return 0;
}

int libtcpip_ctl_call(int ctl_fd, const uint8_t *msg, size_t len, struct ipc_reply *reply,
                      int *fd_out, bool cloexec)
{
    uint8_t buf[IPC_HDR_LEN + IPC_REPLY_LEN];
    int fds[MAX_FDS_PER_MSG];
    size_t nfds = 0;
    bool ctrunc = false;
    struct ipc_hdr h;
    int rc;

    if (fd_out != NULL)
        *fd_out = -1;
    if (ctl_fd < 0)
        return EBADF;
    rc = send_all(ctl_fd, msg, len);
    if (rc == 0)
        rc = recv_exact(ctl_fd, buf, IPC_HDR_LEN, fds, &nfds, &ctrunc, cloexec);
    /* Check the header before reading on: a wrong length or type means we
     * no longer know where the next message starts. PROTOCOL.md 4: a
     * reply in another version is the daemon refusing ours. */
    if (rc == 0) {
        int hrc = ipc_decode_hdr(buf, IPC_HDR_LEN, &h);
        if (hrc == IPC_EVERSION)
            rc = EPROTONOSUPPORT;
        else if (hrc != IPC_OK || h.type != IPC_MSG_REPLY || h.len != IPC_REPLY_LEN)
            rc = EPROTO;
    }
    if (rc == 0)
        rc = recv_exact(ctl_fd, buf + IPC_HDR_LEN, IPC_REPLY_LEN, fds, &nfds, &ctrunc, cloexec);
    if (rc == 0 && ipc_decode_reply(buf, sizeof buf, reply) != (int)sizeof buf)
        rc = EPROTO;
    /* PROTOCOL.md 5: only a successful OPEN reply carries an fd, exactly
     * one. Missing with MSG_CTRUNC means the kernel could not install it:
     * our fd table is full. */
    if (rc == 0 && fd_out != NULL && reply->err == 0) {
        if (nfds == 0 && ctrunc)
            rc = EMFILE;
        else if (nfds != 1 || ctrunc)
            rc = EPROTO;
        else
            *fd_out = fds[0];
    } else if (rc == 0 && nfds > 0) {
        rc = EPROTO;
    }
    bool fd_taken = fd_out != NULL && *fd_out >= 0;
    if (!fd_taken)
        close_fds(fds, nfds);
    return rc;
}

int libtcpip_recv_accept(int listen_fd, struct ipc_accept *acc, int *fd_out, bool cloexec)
{
    uint8_t buf[IPC_HDR_LEN + IPC_ACCEPT_LEN];
    union {
        char buf[CMSG_SPACE(sizeof(int) * MAX_FDS_PER_MSG)];
        struct cmsghdr align;
    } cbuf;
    struct iovec iov = { .iov_base = buf, .iov_len = sizeof buf };
    struct msghdr msg;
    int fds[MAX_FDS_PER_MSG];
    size_t nfds = 0;
    bool ctrunc = false;
    int type = 0, rc = 0;
    socklen_t tlen = sizeof type;
    ssize_t n;

    *fd_out = -1;
    memset(&msg, 0, sizeof msg);
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = cbuf.buf;
    msg.msg_controllen = sizeof cbuf.buf;
    /* Exactly one ACCEPT's worth: on a stream the next message (and its
     * fd) must stay queued for the next accept. The fd's O_NONBLOCK (set
     * by the application) gives EAGAIN here. */
    n = recvmsg(listen_fd, &msg, cloexec ? MSG_CMSG_CLOEXEC : 0);
    if (n < 0)
        return errno;
    take_fds(&msg, fds, &nfds);
    ctrunc = (msg.msg_flags & MSG_CTRUNC) != 0;
    if (n == 0)
        rc = ECONNRESET;         /* the daemon closed the listener */
    else if (msg.msg_flags & MSG_TRUNC)
        rc = EPROTO;             /* a longer message than an ACCEPT */
    else if ((size_t)n < sizeof buf)
        /* The daemon writes each ACCEPT whole, so the rest is already on
         * its way: wait for it even on a non-blocking fd, or we would lose
         * our place in the stream. */
        rc = recv_exact(listen_fd, buf + n, sizeof buf - (size_t)n, fds, &nfds, &ctrunc,
                       cloexec);
    if (rc == 0 && nfds == 0 && ctrunc)
        rc = EMFILE;             /* the connection's fd did not fit our fd table */
    else if (rc == 0 && (nfds != 1 || ctrunc || ipc_decode_accept(buf, sizeof buf, acc) !=
                                                     (int)sizeof buf))
        rc = EPROTO;
    /* The fd must be what the protocol promises: a stream socket. */
    if (rc == 0 &&
        (getsockopt(fds[0], SOL_SOCKET, SO_TYPE, &type, &tlen) != 0 || type != SOCK_STREAM))
        rc = EPROTO;
    if (rc != 0) {
        close_fds(fds, nfds);
        return rc;
    }
    *fd_out = fds[0];
    return 0;
}
