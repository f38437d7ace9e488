/* daemon_ipc_fixture.h - the fixture shared by test_daemon_ipc.c and
 * test_daemon_ipc_limits.c: the IPC server (daemon/ipc_server.c) on a real
 * libev loop and real Unix sockets in a temporary directory, its stack
 * joined in memory to a second stack that runs the built-in services (echo
 * 7, discard 9, chargen 19) and plain tcp_sock_* peers, and the client side
 * of ipc/PROTOCOL.md spoken with ipc/ipc.c. The stacks run on a fake clock;
 * every wait is bounded in rounds, never in time. */

#ifndef TESTS_UNIT_SUPPORT_DAEMON_IPC_FIXTURE_H
#define TESTS_UNIT_SUPPORT_DAEMON_IPC_FIXTURE_H

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <dirent.h>
#include <sys/un.h>
#include <unistd.h>
#include <ev.h>

#include <cmocka.h>

#include "daemon/config.h"
#include "daemon/ipc_server.h"
#include "daemon/services.h"
#include "ipc/ipc.h"
#include "stack/stack.h"

#define DAEMON_IP 0x0a4d0002u /* 10.77.0.2: the stack tcpipd serves */
#define PEER_IP 0x0a4d0009u   /* 10.77.0.9: services and test peers */
#define QUEUE_MAX 16384
#define ROUND_NS (10 * 1000ull)
#define MAX_ROUNDS 20000

struct queued {
    uint8_t *data;
    size_t len;
};

struct queue {
    struct queued q[QUEUE_MAX];
    size_t n;
};

struct fixture {
    struct stack *daemon, *peer;
    int daemon_if, peer_if;
    struct queue *from_daemon, *from_peer;
    uint64_t now;
    struct netif_static_neigh daemon_neigh, peer_neigh;
    struct tcpipd_config peer_cfg;
    struct services *sv;
    struct ev_loop *loop;
    struct conf_ipc ipc;
    struct ipc_server *srv;
    char dir[64];
    int fds_at_setup;
};

uint64_t dipc_fake_clock(void *ctx);

int dipc_setup(void **state);

int dipc_teardown(void **state);

void dipc_start(struct fixture *f);

/* One round: the loop's ready callbacks, frames both ways, and if nothing
 * moved, the clock jumps to the next timer. */
void dipc_pump(struct fixture *f);

void dipc_pump_n(struct fixture *f, int n);

/* Pump until fd is readable; false if it never gets so. */
bool dipc_pump_until_readable(struct fixture *f, int fd);

/* ---- the client side of the protocol ---- */

int dipc_ctl_connect(struct fixture *f);

void dipc_send_bytes(int fd, const void *buf, size_t n);

/* Whether the daemon closed fd (EOF), after pumping. */
bool dipc_closed_by_daemon(struct fixture *f, int fd);

struct ipc_endpoint dipc_ep4(uint32_t ip, uint16_t port);

/* One request with fd attached (-1: none), and its reply. */
struct ipc_reply dipc_request(struct fixture *f, int ctl, int fd, const uint8_t *buf, size_t n);

/* sendmsg with fds attached; the whole of buf must go. */
void dipc_send_fds(int ctl, const void *buf, size_t n, const int *fds, int nfds);

/* OPEN: returns the reply's err; *data the data fd (non-blocking). */
int dipc_open_sock(struct fixture *f, int ctl, uint8_t proto, int *data);

struct ipc_reply dipc_addr_req(struct fixture *f, int ctl, int fd, uint8_t type,
                               struct ipc_endpoint ep);

struct ipc_reply dipc_empty_req(struct fixture *f, int ctl, int fd, uint8_t type);

struct ipc_reply dipc_opt_req(struct fixture *f, int ctl, int fd, uint8_t type, uint32_t name,
                              int32_t value);

struct ipc_reply dipc_shutdown(struct fixture *f, int ctl, int fd, uint32_t how);

/* CONNECT, then (EINPROGRESS) pump until the data fd polls writable and
 * read the outcome with GETERR: 0 or the errno. */
int dipc_connect(struct fixture *f, int ctl, int fd, struct ipc_endpoint ep);

/* Whether fd polls writable now. */
bool dipc_writable(int fd);

size_t dipc_socket_count(struct fixture *f);

#endif
