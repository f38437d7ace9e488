/* ipc_sock.c - the IPC server's bookkeeping (ipc_server_int.h): endpoint
 * conversions, per-client owners and their limits (ipc/PROTOCOL.md 8),
 * the socket table, its data socketpairs and their deferred closing, and
 * the read-only views (ipc_server_list and friends) the control channel
 * uses. */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "daemon/ipc_server_int.h"

/* ---- endpoints ---- */

void ipc_ep_unspec(struct ipc_endpoint *out, uint8_t family)
{
    memset(out, 0, sizeof *out);
    out->family = family;
}

void ipc_ep_from_stack(struct ipc_endpoint *out, const struct ip_endpoint *in)
{
    memset(out, 0, sizeof *out);
    out->port = in->port;
    if (in->addr.family == IP_FAMILY_V4) {
        out->family = IPC_AF_INET;
        out->addr[0] = (uint8_t)(in->addr.u.v4 >> 24);
        out->addr[1] = (uint8_t)(in->addr.u.v4 >> 16);
        out->addr[2] = (uint8_t)(in->addr.u.v4 >> 8);
        out->addr[3] = (uint8_t)in->addr.u.v4;
    } else if (in->addr.family == IP_FAMILY_V6) {
        out->family = IPC_AF_INET6;
        memcpy(out->addr, in->addr.u.v6, 16);
    }
}

/* 0, or EAFNOSUPPORT for family 0. */
int ipc_ep_to_stack(struct ip_endpoint *out, const struct ipc_endpoint *in)
{
    memset(out, 0, sizeof *out);
    out->port = in->port;
    if (in->family == IPC_AF_INET) {
        out->addr.family = IP_FAMILY_V4;
        out->addr.u.v4 = (uint32_t)in->addr[0] << 24 | (uint32_t)in->addr[1] << 16 |
                         (uint32_t)in->addr[2] << 8 | in->addr[3];
        return 0;
    }
    if (in->family == IPC_AF_INET6) {
        out->addr.family = IP_FAMILY_V6;
        memcpy(out->addr.u.v6, in->addr, 16);
        return 0;
    }
    return EAFNOSUPPORT;
}

bool ipc_port_allowed(const struct ipc_server *srv, uid_t uid, uint16_t port)
{
    if (port == 0 || port >= 1024)
        return true;
    for (size_t i = 0; i < srv->cfg.n_privileged_port_uids; i++)
        if (srv->cfg.privileged_port_uids[i] == (uint32_t)uid)
            return true;
    return false;
}

int ipc_sock_pair(struct ipc_sock *s, int type, int *app_fd)
{
    int sv[2];
    if (socketpair(AF_UNIX, type | SOCK_CLOEXEC, 0, sv) != 0)
        return errno == EMFILE || errno == ENFILE ? ENFILE : ENOMEM;
    /* Both ends stay blocking files: the application's must (it is its
     * socket), and every send/recv the daemon makes on its own end passes
     * MSG_DONTWAIT, which saves two fcntl(2) per socket. */
    s->fd = sv[0];
    *app_fd = sv[1];
    return 0;
}

bool ipc_fd_hung_up(int fd)
{
    struct pollfd p = {.fd = fd, .events = 0};
    return poll(&p, 1, 0) == 1 && (p.revents & (POLLHUP | POLLERR | POLLNVAL)) != 0;
}

/* ---- owners: the per-client limits ---- */

struct ipc_owner *ipc_owner_get(struct ipc_server *srv, pid_t pid, uid_t uid)
{
    for (struct ipc_owner *o = srv->owners; o != NULL; o = o->next)
        if (o->pid == pid) {
            o->refs++;
            return o;
        }
    struct ipc_owner *o = calloc(1, sizeof *o);
    if (o == NULL)
        return NULL;
    o->pid = pid;
    o->uid = uid;
    o->refs = 1;
    o->next = srv->owners;
    srv->owners = o;
    return o;
}

void ipc_owner_put(struct ipc_server *srv, struct ipc_owner *o)
{
    if (o == NULL || --o->refs > 0)
        return;
    for (struct ipc_owner **pp = &srv->owners; *pp != NULL; pp = &(*pp)->next)
        if (*pp == o) {
            *pp = o->next;
            break;
        }
    free(o);
}

int ipc_sock_charge_check(struct ipc_server *srv, struct ipc_owner *o, uint64_t bytes)
{
    if (o->sockets >= srv->cfg.max_sockets_per_client)
        return EMFILE;
    if (srv->st.sockets >= srv->cfg.max_sockets)
        return ENFILE;
    if (o->buffer + bytes > srv->cfg.max_buffer_per_client)
        return ENOBUFS;
    return 0;
}

struct ipc_sock *ipc_sock_new(struct ipc_server *srv, struct ipc_owner *o, uint8_t proto,
                              uint8_t family, uint64_t charge)
{
    struct ipc_sock *s = calloc(1, sizeof *s);
    if (s == NULL)
        return NULL;
    s->srv = srv;
    s->proto = proto;
    s->family = family;
    s->fd = -1;
    s->held_fd = -1;
    s->id = ++srv->next_id;
    /* 0 never matches: ATTACH of a token-less socket is refused. */
    s->token = srv->token_key_set ? siphash24(srv->token_key, &s->id, sizeof s->id) : 0;
    if (s->token == 0 && srv->token_key_set)
        s->token = 1;
    o->refs++;
    o->sockets++;
    o->buffer += charge;
    s->owner = o;
    s->charge = charge;
    s->next = srv->socks;
    srv->socks = s;
    srv->st.sockets++;
    return s;
}

void ipc_sock_kill(struct ipc_sock *s, bool abort)
{
    struct ipc_server *srv = s->srv;
    if (s->dead)
        return;
    s->dead = true;
    s->abort = abort;
    ev_io_stop(srv->loop, &s->rd);
    ev_io_stop(srv->loop, &s->wr);
    if (s->fd >= 0)
        close(s->fd);
    s->fd = -1;
    if (s->ctl != NULL) {
        s->ctl->sock = NULL;
        s->ctl = NULL;
    }
    for (struct ipc_sock **pp = &srv->socks; *pp != NULL; pp = &(*pp)->next)
        if (*pp == s) {
            *pp = s->next;
            break;
        }
    s->next = srv->closing;
    srv->closing = s;
    s->owner->sockets--;
    s->owner->buffer -= s->charge;
    s->charge = 0;
    srv->st.sockets--;
    srv->socket_freed = true;
}

void ipc_server_get_stats(const struct ipc_server *srv, struct ipc_server_stats *out)
{
    memset(out, 0, sizeof *out);
    if (srv == NULL)
        return;
    *out = srv->st;
    for (const struct ipc_owner *o = srv->owners; o != NULL; o = o->next)
        out->buffer_bytes += o->buffer;
}

size_t ipc_server_list(const struct ipc_server *srv, struct ipc_sock_owner *out, size_t max)
{
    size_t n = 0;
    for (const struct ipc_sock *s = srv != NULL ? srv->socks : NULL; s != NULL; s = s->next, n++) {
        if (n >= max)
            continue;
        out[n].sock_id = s->id;
        out[n].tcp = s->ts;
        out[n].udp = s->us;
        out[n].pid = s->owner->pid;
        out[n].uid = s->owner->uid;
        out[n].bytes_to_stack = s->bytes_to_stack;
        out[n].bytes_from_stack = s->bytes_from_stack;
    }
    return n;
}

int ipc_server_client_usage(const struct ipc_server *srv, pid_t pid, uint32_t *sockets,
                            uint64_t *buffer_bytes)
{
    for (const struct ipc_owner *o = srv->owners; o != NULL; o = o->next)
        if (o->pid == pid) {
            *sockets = o->sockets;
            *buffer_bytes = o->buffer;
            return 0;
        }
    return -1;
}
