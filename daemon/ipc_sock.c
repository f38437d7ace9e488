/* ipc_sock.c - the IPC server's sockets (ipc_server_int.h): endpoint
 * conversions, per-client owners and their limits (ipc/PROTOCOL.md 8),
 * the socket table by SO_COOKIE, data socketpairs and the edge-triggered
 * epoll set that watches them, tombs, and the end of a socket.
 *
 * Why an epoll set of our own beside libev's: a data fd is watched for
 * three things at once with different lives: data (EPOLLIN, whenever the
 * stack can take it), room (EPOLLOUT, only while a write found it full)
 * and the application's last close (EPOLLRDHUP, always). The application
 * never shuts its end down (the library asks the daemon instead,
 * PROTOCOL.md 6.5), so EPOLLRDHUP on our end means exactly "every copy of
 * the application's fd is closed", even while we do not read (a full
 * send buffer). Edge-triggered, each fd is added once and changed only
 * when a write blocks: no epoll_ctl per request or per burst. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "daemon/ipc_server_int.h"
#include "daemon/log.h"

/* Events taken from the epoll set per wake-up. */
#define IPC_EP_BATCH 256

uint64_t ipc_now(const struct ipc_server *srv)
{
    return srv->clock(srv->clock_ctx);
}

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

/* ---- the table by cookie ---- */

static size_t hash_slot(const struct ipc_server *srv, uint64_t cookie)
{
    /* Cookies are a kernel counter: mix them so that runs spread out. */
    uint64_t h = cookie * 0x9e3779b97f4a7c15ull;
    return (size_t)(h >> 32) & (srv->hash_size - 1);
}

static int hash_grow(struct ipc_server *srv)
{
    size_t old_size = srv->hash_size;
    size_t size = old_size == 0 ? 256 : old_size * 2;
    struct ipc_sock **t = calloc(size, sizeof *t);
    if (t == NULL)
        return -1;
    struct ipc_sock **old = srv->hash;
    srv->hash = t;
    srv->hash_size = size;
    for (size_t i = 0; i < old_size; i++) {
        struct ipc_sock *s = old[i], *next;
        for (; s != NULL; s = next) {
            next = s->hnext;
            size_t k = hash_slot(srv, s->cookie);
            s->hnext = t[k];
            t[k] = s;
        }
    }
    free(old);
    return 0;
}

static int hash_add(struct ipc_sock *s)
{
    struct ipc_server *srv = s->srv;
    if (srv->hash_count >= srv->hash_size && hash_grow(srv) != 0 && srv->hash_size == 0)
        return -1;
    size_t k = hash_slot(srv, s->cookie);
    s->hnext = srv->hash[k];
    srv->hash[k] = s;
    srv->hash_count++;
    return 0;
}

static void hash_del(struct ipc_sock *s)
{
    struct ipc_server *srv = s->srv;
    if (s->cookie == 0 || srv->hash_size == 0)
        return;
    for (struct ipc_sock **pp = &srv->hash[hash_slot(srv, s->cookie)]; *pp != NULL;
         pp = &(*pp)->hnext)
        if (*pp == s) {
            *pp = s->hnext;
            srv->hash_count--;
            break;
        }
    s->cookie = 0;
}

bool ipc_fd_cookie(int fd, uint64_t *cookie)
{
    socklen_t len = sizeof *cookie;
    *cookie = 0;
    return getsockopt(fd, SOL_SOCKET, SO_COOKIE, cookie, &len) == 0 && len == sizeof *cookie &&
           *cookie != 0;
}

struct ipc_sock *ipc_sock_by_fd(struct ipc_server *srv, int fd)
{
    uint64_t cookie;
    if (srv->hash_size == 0 || !ipc_fd_cookie(fd, &cookie))
        return NULL;
    for (struct ipc_sock *s = srv->hash[hash_slot(srv, cookie)]; s != NULL; s = s->hnext)
        if (s->cookie == cookie && !s->dead)
            return s;
    return NULL;
}

/* ---- lists ---- */

static void list_add(struct ipc_sock **head, struct ipc_sock *s)
{
    s->prev = NULL;
    s->next = *head;
    if (*head != NULL)
        (*head)->prev = s;
    *head = s;
}

static void list_del(struct ipc_sock **head, struct ipc_sock *s)
{
    if (s->prev != NULL)
        s->prev->next = s->next;
    else if (*head == s)
        *head = s->next;
    if (s->next != NULL)
        s->next->prev = s->prev;
    s->next = s->prev = NULL;
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
    s->plug_fd = -1;
    s->id = ++srv->next_id;
    o->refs++;
    o->sockets++;
    o->buffer += charge;
    s->owner = o;
    s->charge = charge;
    list_add(&srv->socks, s);
    srv->st.sockets++;
    return s;
}

/* ---- the data socketpair and the epoll set ---- */

static uint32_t ep_mask(uint32_t events)
{
    return events | EPOLLRDHUP | EPOLLET;
}

int ipc_sock_pair(struct ipc_sock *s, int type, uint32_t events, int *app_fd)
{
    int sv[2];
    if (socketpair(AF_UNIX, type | SOCK_CLOEXEC, 0, sv) != 0)
        return errno == EMFILE || errno == ENFILE ? ENFILE : ENOMEM;
    /* Both ends stay blocking files: the application's must (it is its
     * socket), and every send/recv the daemon makes on its own end passes
     * MSG_DONTWAIT, which saves two fcntl(2) per socket. */
    uint64_t cookie;
    struct epoll_event ev = {.events = ep_mask(events), .data.ptr = s};
    if (!ipc_fd_cookie(sv[1], &cookie) || epoll_ctl(s->srv->ep, EPOLL_CTL_ADD, sv[0], &ev) != 0) {
        int e = errno == ENOMEM || errno == ENOSPC ? ENOMEM : EIO;
        close(sv[0]);
        close(sv[1]);
        return e;
    }
    s->fd = sv[0];
    s->ep_events = events;
    s->cookie = cookie;
    if (hash_add(s) != 0) {
        s->cookie = 0;
        close(sv[1]);
        return ENOMEM; /* s->fd is closed with s */
    }
    *app_fd = sv[1];
    return 0;
}

void ipc_sock_watch(struct ipc_sock *s, uint32_t events)
{
    if (s->fd < 0 || events == s->ep_events)
        return;
    struct epoll_event ev = {.events = ep_mask(events), .data.ptr = s};
    if (epoll_ctl(s->srv->ep, EPOLL_CTL_MOD, s->fd, &ev) == 0)
        s->ep_events = events;
}

void ipc_sock_again(struct ipc_sock *s)
{
    struct ipc_server *srv = s->srv;
    if (s->in_again || s->dead)
        return;
    s->in_again = true;
    s->again_next = srv->again;
    srv->again = s;
    if (!ev_is_active(&srv->again_idle))
        ev_idle_start(srv->loop, &srv->again_idle);
}

static void dispatch(struct ipc_sock *s, uint32_t events)
{
    if (s->dead || s->tomb)
        return;
    if (s->proto == IPC_PROTO_TCP)
        ipc_tcp_events(s, events);
    else
        ipc_udp_events(s, events);
}

static void ep_ready(struct ev_loop *loop, ev_io *w, int revents)
{
    (void)loop;
    (void)revents;
    struct ipc_server *srv = w->data;
    struct epoll_event evs[IPC_EP_BATCH];
    int n = epoll_wait(srv->ep, evs, IPC_EP_BATCH, 0);
    /* A socket killed by an earlier event of this batch is marked dead and
     * freed only by ipc_server_flush, after the batch. */
    for (int i = 0; i < n; i++)
        dispatch(evs[i].data.ptr, evs[i].events);
}

/* Sockets that stopped short of EAGAIN to let others run: one more turn. */
static void again_run(struct ev_loop *loop, ev_idle *w, int revents)
{
    (void)revents;
    struct ipc_server *srv = w->data;
    struct ipc_sock *list = srv->again;
    srv->again = NULL;
    ev_idle_stop(loop, w);
    for (struct ipc_sock *s = list, *next; s != NULL; s = next) {
        next = s->again_next;
        s->in_again = false;
        s->again_next = NULL;
        dispatch(s, 0);
    }
}

int ipc_ep_start(struct ipc_server *srv)
{
    srv->ep = epoll_create1(EPOLL_CLOEXEC);
    if (srv->ep < 0)
        return -1;
    ev_io_init(&srv->ep_io, ep_ready, srv->ep, EV_READ);
    srv->ep_io.data = srv;
    ev_io_start(srv->loop, &srv->ep_io);
    ev_idle_init(&srv->again_idle, again_run);
    srv->again_idle.data = srv;
    return 0;
}

void ipc_ep_stop(struct ipc_server *srv)
{
    if (srv->ep < 0)
        return;
    ev_io_stop(srv->loop, &srv->ep_io);
    ev_idle_stop(srv->loop, &srv->again_idle);
    close(srv->ep);
    srv->ep = -1;
}

/* ---- the end of a socket ---- */

static void again_del(struct ipc_sock *s)
{
    if (!s->in_again)
        return;
    for (struct ipc_sock **pp = &s->srv->again; *pp != NULL; pp = &(*pp)->again_next)
        if (*pp == s) {
            *pp = s->again_next;
            break;
        }
    s->in_again = false;
}

/* Release what a live socket holds but its stack socket: fds, limits. */
static void release(struct ipc_sock *s)
{
    struct ipc_server *srv = s->srv;
    again_del(s);
    if (s->fd >= 0)
        close(s->fd); /* leaves the epoll set with it */
    s->fd = -1;
    if (s->plug_fd >= 0)
        close(s->plug_fd);
    s->plug_fd = -1;
    s->owner->sockets--;
    s->owner->buffer -= s->charge;
    s->charge = 0;
    srv->st.sockets--;
    srv->socket_freed = true;
}

void ipc_sock_kill(struct ipc_sock *s, bool abort)
{
    struct ipc_server *srv = s->srv;
    if (s->dead)
        return;
    s->dead = true;
    s->abort = abort;
    hash_del(s);
    if (s->tomb) {
        list_del(&srv->tombs, s);
        if (srv->tombs_tail == s)
            srv->tombs_tail = NULL;
        srv->n_tombs--;
    } else {
        list_del(&srv->socks, s);
        release(s);
    }
    s->next = srv->closing;
    srv->closing = s;
}

static void tomb_evict(struct ipc_server *srv)
{
    /* The oldest is at the tail: walk to it (tombs are few and this runs
     * once per IPC_MAX_TOMBS deaths at most). */
    struct ipc_sock *t = srv->tombs;
    while (t != NULL && t->next != NULL)
        t = t->next;
    if (t != NULL)
        ipc_sock_kill(t, false);
}

void ipc_sock_bury(struct ipc_sock *s, int err)
{
    struct ipc_server *srv = s->srv;
    if (s->dead || s->tomb)
        return;
    struct ip_endpoint ep;
    ipc_ep_unspec(&s->tomb_local, s->family);
    ipc_ep_unspec(&s->tomb_remote, IPC_AF_UNSPEC);
    s->tomb_remote.family = IPC_AF_UNSPEC;
    if (s->ts != NULL) {
        if (tcp_sock_getsockname(s->ts, &ep) == 0 && ep.addr.family != IP_FAMILY_NONE)
            ipc_ep_from_stack(&s->tomb_local, &ep);
        if (tcp_sock_getpeername(s->ts, &ep) == 0)
            ipc_ep_from_stack(&s->tomb_remote, &ep);
    }
    s->err = err;
    srv->st.tombs_total++;
    if (s->app_gone || err == 0) {
        ipc_sock_kill(s, true);
        return;
    }
    /* The record stays, without its fd; the stack socket (its connection
     * failed or was reset: nothing is left to send) is closed by
     * ipc_server_flush, outside the stack's callbacks. */
    list_del(&srv->socks, s);
    release(s);
    if (s->ts != NULL) {
        s->bury_next = srv->burying;
        srv->burying = s;
    }
    s->tomb = true;
    s->connected = s->connecting = s->listening = false;
    if (srv->n_tombs >= IPC_MAX_TOMBS)
        tomb_evict(srv);
    list_add(&srv->tombs, s);
    srv->n_tombs++;
}

void ipc_reply_sock(struct ipc_reply *r, const struct ipc_sock *s)
{
    r->sock_id = s->id;
    r->proto = s->proto;
    r->family = s->family;
    r->state = s->tomb ? IPC_ST_CLOSED
               : s->listening ? IPC_ST_LISTENING
               : s->connecting ? IPC_ST_CONNECTING
               : s->connected ? IPC_ST_CONNECTED
                              : IPC_ST_NEW;
    r->flags = (uint8_t)((s->rd_shut ? IPC_SF_RD_SHUT : 0) | (s->wr_shut ? IPC_SF_WR_SHUT : 0));
}

/* ---- views ---- */

void ipc_server_get_stats(const struct ipc_server *srv, struct ipc_server_stats *out)
{
    memset(out, 0, sizeof *out);
    if (srv == NULL)
        return;
    *out = srv->st;
    out->tombs = srv->n_tombs;
    out->pending = srv->pending;
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
