/* client_fixture.h - helpers for libtcpip's unit tests (test_client_lib.c,
 * test_client_direct.c): address builders, and a fake tcpipd for the direct
 * backend.
 *
 * The fake daemon is a thread serving a Unix socket in a temporary
 * directory: it decodes each request with the real ipc/ codec and answers
 * as told (well, or with a malformed reply, a hang-up, stray fds). It uses
 * libc and the ipc/ codec only, never libtcpip itself, so that this file
 * links into every unit test; starting the library on it is the test's
 * setup. Nothing here touches an IP socket. */

#ifndef TESTS_UNIT_SUPPORT_CLIENT_FIXTURE_H
#define TESTS_UNIT_SUPPORT_CLIENT_FIXTURE_H

#include <errno.h>
#include <fcntl.h>
#include <dirent.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cmocka.h>

#include "client-lib/internal.h"

/* ---- the fake daemon ---- */

enum fake_mode {
    FAKE_OK = 0,
    FAKE_HANGUP,                 /* close the connection instead of replying */
    FAKE_TRUNCATED,              /* half a reply, then close */
    FAKE_BAD_MAGIC,
    FAKE_BAD_LEN,                /* header announces 63 body bytes */
    FAKE_BAD_ERRNO,              /* err outside 0..4095 */
    FAKE_OTHER_VERSION,
    FAKE_NO_FD,                  /* OPEN ok without the data fd */
    FAKE_TWO_FDS,                /* OPEN ok with two fds */
    FAKE_PIPE_FD,                /* OPEN ok with a pipe as the "socket" */
    FAKE_STRAY_FD,               /* a non-OPEN reply carrying an fd */
    FAKE_UNKNOWN,                /* ENOTSOCK: the daemon does not know the socket */
};

#define FAKE_MAX_CONNS 8
#define FAKE_MAX_PEERS 256
#define FAKE_MAX_FD 4096

struct fake_conn {
    int fd;
    uint8_t buf[IPC_MAX_MSG];
    size_t len;
};

struct fake {
    char dir[64];
    char path[96];
    int listen_fd;
    int stop[2];
    pthread_t thread;
    pthread_mutex_t mu;
    /* what to do (set by the test before the call) */
    enum fake_mode mode_open;
    enum fake_mode mode_other;
    int op_err;                  /* err for requests other than OPEN */
    int connect_err;             /* err for CONNECT (EINPROGRESS: poll, then GETERR) */
    int geterr_value;            /* pending error, cleared when read */
    int opt_value;
    struct ipc_endpoint name_local, name_remote;
    /* what happened */
    int requests;
    struct ipc_request last;
    int last_fd_peer;            /* the request's fd was the app end of peers[i]; -1 none */
    int peers[FAKE_MAX_PEERS];   /* the daemon's end of each data fd */
    uint64_t cookies[FAKE_MAX_PEERS];   /* SO_COOKIE of each app end */
    uint8_t protos[FAKE_MAX_PEERS], families[FAKE_MAX_PEERS], states[FAKE_MAX_PEERS];
    int npeers;
    /* Every fd the fake holds, so that the leak checks count only the
     * library's; changed only under mu, together with the open/close. */
    bool own[FAKE_MAX_FD];
};

/* The one fake daemon: the test's setup fills it and starts its thread. */
extern struct fake tcl_fk;

/* sendmsg with fds attached (SCM_RIGHTS); 0 when all of buf went. */
int tcl_send_fds(int fd, const void *buf, size_t len, const int *fds, int nfds);

/* The fake daemon's thread: serves until a byte arrives on tcl_fk.stop. */
void *tcl_fake_main(void *arg);

/* The fds of this process that the fake daemon does not hold. */
int tcl_count_fds(void);

/* What the next replies do (under the fake's lock). */
void tcl_fake_set(enum fake_mode open_mode, enum fake_mode other_mode, int op_err);

/* How many requests the fake has answered. */
int tcl_fake_requests(void);

/* The daemon's end of the newest socket's data fd. */
int tcl_fake_peer(void);

/* Register an app end the test made itself (an accepted connection's):
 * peer is the daemon's end; the fake answers requests about it. */
void tcl_fake_adopt(int peer, int app_end, uint8_t state);

/* "a.b.c.d" and a port as a struct sockaddr_in. */
struct sockaddr_in tcl_sin4(const char *dotted, uint16_t port);

/* a.b.c.d:port as an IPC endpoint. */
struct ipc_endpoint tcl_ep4(uint8_t a, uint8_t b, uint8_t c, uint8_t d, uint16_t port);

#endif
