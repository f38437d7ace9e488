/* direct_ctl.c - the direct backend's side of the IPC protocol (ipc/ipc.h,
 * ipc/PROTOCOL.md): sessions with tcpipd, one request/reply exchange with
 * the socket's data fd attached (SCM_RIGHTS), and receiving an
 * IPC_MSG_ACCEPT from a listener's data fd.
 *
 * A process keeps a few sessions in a pool: a request takes one (or makes
 * one), and gives it back after its reply, so that threads never wait on
 * each other's requests and nothing waits in the daemon (no request
 * blocks there). A forked child does not use its parent's sessions (the
 * pool belongs to a pid): it makes its own.
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
/* Idle sessions kept per process. */
#define POOL_MAX 8

static pthread_mutex_t path_lock = PTHREAD_MUTEX_INITIALIZER;
static char daemon_path[sizeof(((struct sockaddr_un *)0)->sun_path)];

static pthread_mutex_t pool_lock = PTHREAD_MUTEX_INITIALIZER;
static int pool[POOL_MAX];
static int pool_n;
static pid_t pool_pid;
/* Bit (fd % 64) set while a pooled session has such a number: lets the
 * preload library's close() of any fd skip the pool's lock (below). */
static _Atomic uint64_t pool_hint;

/* pool_lock held. */
static void pool_hint_update(void)
{
    uint64_t h = 0;
    for (int i = 0; i < pool_n; i++)
        h |= (uint64_t)1 << ((unsigned)pool[i] & 63);
    atomic_store_explicit(&pool_hint, h, memory_order_relaxed);
}

static __thread char reach_msg[256];

static int pool_take(void);
static void pool_give(int fd);
/* The daemon's pid as the last session saw it (SO_PEERCRED), 0 if none:
 * the peer of every data fd it made (socketpair's creator). */
static _Atomic pid_t daemon_pid;

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

const char *libtcpip_reach_error(void)
{
    return reach_msg[0] != '\0' ? reach_msg : NULL;
}

int libtcpip_session_connect(void)
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
    fd = libtcpip_sys.socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    do {
        rc = libtcpip_sys.connect(fd, (struct sockaddr *)&sun, sizeof sun);
    } while (rc < 0 && errno == EINTR);
    if (rc < 0) {
        int saved = errno;
        libtcpip_sys.close(fd);
        snprintf(reach_msg, sizeof reach_msg,
                 "cannot reach tcpipd at %s: %s (is tcpipd running with an \"ipc\" "
                 "section? TCPIP_SOCKET names another socket)", path, strerror(saved));
        errno = saved;
        return -1;
    }
    struct ucred cred;
    socklen_t clen = sizeof cred;
    if (libtcpip_sys.getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &clen) == 0)
        atomic_store(&daemon_pid, cred.pid);
    return fd;
}

pid_t libtcpip_daemon_pid(bool ask)
{
    pid_t pid = atomic_load(&daemon_pid);

    if (pid == 0 && ask) {
        /* a session from the pool names it; make one if none */
        int s = pool_take();
        if (s < 0)
            s = libtcpip_session_connect();
        if (s >= 0)
            pool_give(s);
        pid = atomic_load(&daemon_pid);
    }
    return pid;
}

void libtcpip_sessions_lock(bool lock)
{
    if (lock) {
        pthread_mutex_lock(&path_lock);
        pthread_mutex_lock(&pool_lock);
    } else {
        pthread_mutex_unlock(&pool_lock);
        pthread_mutex_unlock(&path_lock);
    }
}

void libtcpip_sessions_reset(void)
{
    pthread_mutex_lock(&pool_lock);
    for (int i = 0; i < pool_n; i++)
        libtcpip_sys.close(pool[i]);
    pool_n = 0;
    pool_pid = getpid();
    pool_hint_update();
    pthread_mutex_unlock(&pool_lock);
}

/* The application closes fds first..last itself (close, close_range,
 * closefrom, dup2 over them): an idle session among them is dropped from
 * the pool, not closed (the caller closes it), so that no request ever
 * goes to whatever file reuses the number. */
bool libtcpip_sessions_maybe(unsigned first, unsigned last)
{
    uint64_t hint = atomic_load_explicit(&pool_hint, memory_order_relaxed);
    return hint != 0 && (first != last || ((hint >> (first & 63)) & 1));
}

void libtcpip_sessions_forget(unsigned first, unsigned last)
{
    if (!libtcpip_sessions_maybe(first, last))
        return;
    pthread_mutex_lock(&pool_lock);
    for (int i = 0; i < pool_n;) {
        if ((unsigned)pool[i] >= first && (unsigned)pool[i] <= last)
            pool[i] = pool[--pool_n];
        else
            i++;
    }
    pool_hint_update();
    pthread_mutex_unlock(&pool_lock);
}

/* An idle session of this process, or -1 (make one). */
static int pool_take(void)
{
    int fd = -1;
    pid_t me = getpid();

    pthread_mutex_lock(&pool_lock);
    if (pool_pid != me) {
        /* A fork: these are the parent's sessions; our copies go. */
        for (int i = 0; i < pool_n; i++)
            libtcpip_sys.close(pool[i]);
        pool_n = 0;
        pool_pid = me;
    }
    if (pool_n > 0)
        fd = pool[--pool_n];
    pool_hint_update();
    pthread_mutex_unlock(&pool_lock);
    return fd;
}

static void pool_give(int fd)
{
    pthread_mutex_lock(&pool_lock);
    if (pool_pid == getpid() && pool_n < POOL_MAX) {
        pool[pool_n++] = fd;
        fd = -1;
        pool_hint_update();
    }
    pthread_mutex_unlock(&pool_lock);
    if (fd >= 0)
        libtcpip_sys.close(fd);
}

static void close_fds(const int *fds, size_t n)
{
    for (size_t i = 0; i < n; i++)
        libtcpip_sys.close(fds[i]);
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
                libtcpip_sys.close(fd);
        }
    }
}

/* Read exactly len bytes from a stream socket, collecting passed fds
 * (also the rest of a message whose start a non-blocking read got).
 * 0, ECONNRESET (end of file: the daemon went away), or an errno. */
static int recv_exact(int fd, uint8_t *buf, size_t len, int *fds, size_t *nfds, bool *ctrunc,
                      bool cloexec)
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
        ssize_t n = libtcpip_sys.recvmsg(fd, &msg, cloexec ? MSG_CMSG_CLOEXEC : 0);
        if (n < 0 && errno == EINTR)
            continue;  /* the message is still coming: never leave it half read */
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            /* A non-blocking fd (a listener's) in the middle of a message:
             * the daemon writes messages whole, the rest is on its way. */
            struct pollfd pfd = { .fd = fd, .events = POLLIN };
            if (libtcpip_sys.poll(&pfd, 1, -1) < 0 && errno != EINTR)
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

/* Send one request with sock_fd attached (if >= 0). */
static int send_request(int s, const uint8_t *msg, size_t len, int sock_fd)
{
    union {
        char buf[CMSG_SPACE(sizeof(int))];
        struct cmsghdr align;
    } cbuf;
    struct iovec iov = { .iov_base = (void *)msg, .iov_len = len };
    struct msghdr mh;

    memset(&mh, 0, sizeof mh);
    mh.msg_iov = &iov;
    mh.msg_iovlen = 1;
    if (sock_fd >= 0) {
        memset(&cbuf, 0, sizeof cbuf);
        mh.msg_control = cbuf.buf;
        mh.msg_controllen = sizeof cbuf.buf;
        struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int));
        memcpy(CMSG_DATA(c), &sock_fd, sizeof sock_fd);
    }
    for (;;) {
        ssize_t n = libtcpip_sys.sendmsg(s, &mh, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return errno == EPIPE ? ECONNRESET : errno;
        /* A request is at most IPC_MAX_MSG bytes into an empty socket:
         * it goes whole or not at all. */
        return (size_t)n == len ? 0 : EPROTO;
    }
}

/* One exchange on session s. *fresh_fail: the session failed before the
 * daemon could have acted (a stale pooled session: try a new one). */
static int exchange(int s, const uint8_t *msg, size_t len, int sock_fd, struct ipc_reply *reply,
                    int *fd_out, bool cloexec, struct ipc_info *info, bool *stale)
{
    uint8_t buf[IPC_HDR_LEN + IPC_INFO_LEN];
    int fds[MAX_FDS_PER_MSG];
    size_t nfds = 0;
    bool ctrunc = false;
    struct ipc_hdr h;
    int rc;

    *stale = false;
    rc = send_request(s, msg, len, sock_fd);
    if (rc == ECONNRESET) {
        *stale = true;
        return rc;
    }
    if (rc == 0) {
        rc = recv_exact(s, buf, IPC_HDR_LEN, fds, &nfds, &ctrunc, cloexec);
        if (rc == ECONNRESET)
            *stale = true;
    }
    /* Check the header before reading on: a wrong length or type means we
     * no longer know where the next message starts. PROTOCOL.md 4: a
     * reply in another version is the daemon refusing ours. */
    uint32_t body = 0;
    if (rc == 0) {
        int hrc = ipc_decode_hdr(buf, IPC_HDR_LEN, &h);
        if (hrc == IPC_EVERSION)
            rc = EPROTONOSUPPORT;
        else if (hrc != IPC_OK)
            rc = EPROTO;
        else if (h.type == IPC_MSG_REPLY && h.len == IPC_REPLY_LEN)
            body = IPC_REPLY_LEN;
        else if (h.type == IPC_MSG_INFO && h.len == IPC_INFO_LEN && info != NULL)
            body = IPC_INFO_LEN;
        else
            rc = EPROTO;
    }
    if (rc == 0)
        rc = recv_exact(s, buf + IPC_HDR_LEN, body, fds, &nfds, &ctrunc, cloexec);
    if (rc == 0 && body == IPC_INFO_LEN) {
        if (ipc_decode_info(buf, IPC_HDR_LEN + body, info) != (int)(IPC_HDR_LEN + body))
            rc = EPROTO;
        memset(reply, 0, sizeof *reply);
    } else if (rc == 0 && ipc_decode_reply(buf, IPC_HDR_LEN + body, reply) !=
                              (int)(IPC_HDR_LEN + body)) {
        rc = EPROTO;
    }
    /* PROTOCOL.md 5: only a successful OPEN reply carries an fd, exactly
     * one. Missing with MSG_CTRUNC means the kernel could not install it:
     * our fd table is full. */
    if (fd_out != NULL)
        *fd_out = -1;
    if (rc == 0 && fd_out != NULL && body == IPC_REPLY_LEN && reply->err == 0) {
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

int libtcpip_call(int sock_fd, const uint8_t *msg, size_t len, struct ipc_reply *reply,
                  int *fd_out, bool cloexec, struct ipc_info *info)
{
    /* A pooled session may be dead (the daemon restarted): one more try
     * on a new one, when the failure shows the request was not seen. */
    for (int attempt = 0; attempt < 2; attempt++) {
        int s = pool_take();
        bool fresh = s < 0, stale = false;
        if (fresh) {
            s = libtcpip_session_connect();
            if (s < 0)
                return errno != 0 ? errno : ENETDOWN; /* connect(2)'s: ENOENT... */
        }
        int rc = exchange(s, msg, len, sock_fd, reply, fd_out, cloexec, info, &stale);
        if (rc == 0) {
            pool_give(s);
            return 0;
        }
        libtcpip_sys.close(s);
        if (!(stale && !fresh))
            return rc == ECONNRESET ? ENETDOWN : rc;
    }
    return ENETDOWN;
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
    n = libtcpip_sys.recvmsg(listen_fd, &msg, cloexec ? MSG_CMSG_CLOEXEC : 0);
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
        rc = recv_exact(listen_fd, buf + n, sizeof buf - (size_t)n, fds, &nfds, &ctrunc, cloexec);
    if (rc == 0 && nfds == 0 && ctrunc)
        rc = EMFILE;             /* the connection's fd did not fit our fd table */
    else if (rc == 0 && (nfds != 1 || ctrunc || ipc_decode_accept(buf, sizeof buf, acc) !=
                                                     (int)sizeof buf))
        rc = EPROTO;
    /* The fd must be what the protocol promises: a stream socket. */
    if (rc == 0 && (libtcpip_sys.getsockopt(fds[0], SOL_SOCKET, SO_TYPE, &type, &tlen) != 0 ||
                    type != SOCK_STREAM))
        rc = EPROTO;
    if (rc != 0) {
        close_fds(fds, nfds);
        return rc;
    }
    *fd_out = fds[0];
    return 0;
}
