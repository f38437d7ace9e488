/* udp.c - UDP (RFC 768) sockets: bind with ephemeral ports (RFC 6056),
 * connect, sendto/recvfrom with a bounded receive queue, the demux of
 * incoming datagrams and ICMP errors.
 *
 * Bound sockets sit in a small hash keyed by local port; a datagram goes to
 * the most specific match (connected 4-tuple > bound address > wildcard),
 * a broadcast to every match, as Linux does. Addresses are family-tagged
 * (struct ip_addr) so that IPv6 adds an input path, not a new table; an
 * IPv6 socket's IPv4 peers are kept in wire form and shown IPv4-mapped
 * (sock/sock_addr.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "stack/core/stack_impl.h"
#include "stack/sock/ports.h"
#include "stack/sock/sock_addr.h"
#include "stack/wire/icmp4.h"
#include "stack/wire/ipv4.h"
#include "stack/wire/udp.h"

/* RFC 768 datagram above IPv4: 65535 - 20 - 8; above IPv6 the payload
 * length counts no header of its own (RFC 8200 3): 65535 - 8. */
#define UDP_MAX_PAYLOAD 65507u
#define UDP6_MAX_PAYLOAD 65527u

struct udp_dgram {
    struct udp_dgram *next;
    struct ip_endpoint src;
    size_t len;
    uint8_t data[];
};

struct udp_sock {
    struct stack *s;
    udp_event_fn cb;
    void *user;
    struct udp_sock *all_next, **all_pprev;
    struct udp_sock *hash_next, **hash_pprev;
    bool bound;
    uint8_t family;              /* socket(2)'s domain; NONE = not said yet */
    bool v6only;                 /* IPV6_V6ONLY (RFC 3493 5.3) */
    uint8_t tos;                 /* IP_TOS, for IPv4 datagrams */
    uint8_t tclass;              /* IPV6_TCLASS, for IPv6 datagrams */
    bool broadcast;              /* SO_BROADCAST: may send to a broadcast address */
    struct ip_addr local_addr;   /* the any address when bound to all (wire form) */
    uint16_t local_port;
    bool connected;
    struct ip_addr remote_addr;
    uint16_t remote_port;
    int error;                   /* pending, like SO_ERROR */
    struct udp_dgram *q_head, *q_tail;
    size_t q_bytes;              /* charged against cfg.udp_rcvbuf */
};

static struct udp_sock **bucket(struct stack *s, uint16_t port)
{
    return &s->udp.hash[port % UDP_HASH_SIZE];
}

void udp_table_init(struct stack *s)
{
    memset(&s->udp, 0, sizeof s->udp);
}

static void queue_free(struct udp_sock *us)
{
    struct udp_dgram *d = us->q_head;
    while (d != NULL) {
        struct udp_dgram *next = d->next;
        free(d);
        d = next;
    }
    us->q_head = us->q_tail = NULL;
    us->q_bytes = 0;
}

void udp_table_free(struct stack *s)
{
    /* Sockets still open when the stack goes are freed with it. */
    struct udp_sock *us = s->udp.all;
    while (us != NULL) {
        struct udp_sock *next = us->all_next;
        queue_free(us);
        free(us);
        us = next;
    }
    memset(&s->udp, 0, sizeof s->udp);
}

struct udp_sock *udp_sock_open(struct stack *s, udp_event_fn cb, void *user)
{
    struct udp_sock *us = calloc(1, sizeof *us);
    if (us == NULL)
        return NULL;
    us->s = s;
    us->cb = cb;
    us->user = user;
    us->all_next = s->udp.all;
    if (s->udp.all != NULL)
        s->udp.all->all_pprev = &us->all_next;
    us->all_pprev = &s->udp.all;
    s->udp.all = us;
    return us;
}

void udp_sock_close(struct udp_sock *us)
{
    if (us == NULL)
        return;
    if (us->bound) {
        *us->hash_pprev = us->hash_next;
        if (us->hash_next != NULL)
            us->hash_next->hash_pprev = us->hash_pprev;
    }
    *us->all_pprev = us->all_next;
    if (us->all_next != NULL)
        us->all_next->all_pprev = us->all_pprev;
    queue_free(us);
    free(us);
}

/* The bound address (NULL = any), for routing to a wire address of family
 * fam. */
static const struct ip_addr *local_hint(const struct udp_sock *us, uint8_t fam)
{
    return us->bound && !ip_addr_is_any(&us->local_addr) && us->local_addr.family == fam
               ? &us->local_addr
               : NULL;
}

static void hash_insert(struct udp_sock *us, const struct ip_addr *addr, uint16_t port)
{
    struct udp_sock **head = bucket(us->s, port);
    us->bound = true;
    us->local_addr = *addr;
    us->local_port = port;
    us->hash_next = *head;
    if (*head != NULL)
        (*head)->hash_pprev = &us->hash_next;
    us->hash_pprev = head;
    *head = us;
}

/* Would binding addr:port (by a socket of family fam, v6only) overlap a
 * bound socket? (No SO_REUSEADDR yet.) addr NULL: any socket on the port
 * counts. */
static bool port_taken(struct stack *s, const struct ip_addr *addr, uint8_t fam, bool v6only,
                       uint16_t port)
{
    for (struct udp_sock *o = *bucket(s, port); o != NULL; o = o->hash_next) {
        if (o->local_port != port)
            continue;
        if (addr == NULL ||
            sock_addr_overlap(addr, fam, v6only, &o->local_addr, o->family, o->v6only))
            return true;
    }
    return false;
}

/* For the walk: any socket on the port counts (no SO_REUSEADDR yet). */
static bool walk_port_taken(void *ctx, uint16_t port)
{
    return port_taken(ctx, NULL, IP_FAMILY_NONE, false, port);
}

/* RFC 6056 3.3.3 (algorithm 3): start at a keyed hash of the connection's
 * addresses plus a per-stack counter, then walk the range. */
static uint16_t ephemeral_port(struct stack *s, const struct ip_addr *local,
                               const struct ip_addr *remote, uint16_t rport)
{
    return ephemeral_port_pick(s->cfg.key, &s->udp.next_ephemeral, local, remote, rport,
                               walk_port_taken, s);
}

int udp_sock_set_family(struct udp_sock *us, uint8_t family)
{
    if (us->bound || !sock_family_valid(family))
        return -EINVAL;
    us->family = family;
    return 0;
}

int udp_sock_setopt(struct udp_sock *us, enum udp_sockopt opt, int value)
{
    switch (opt) {
    case UDP_OPT_V6ONLY:
        /* RFC 3493 5.3; Linux: ENOPROTOOPT on AF_INET, EINVAL once bound. */
        if (us->family == IP_FAMILY_V4)
            return -ENOPROTOOPT;
        if (us->bound)
            return -EINVAL;
        us->v6only = value != 0;
        return 0;
    case UDP_OPT_TOS:
        /* RFC 1122 4.2.4.2 (via 3.2.1.6): the application chooses the
         * TOS; Linux keeps the low 8 bits of the int. */
        us->tos = (uint8_t)value;
        return 0;
    case UDP_OPT_TCLASS:
        /* RFC 3542 6.5: -1 means the default, 0. */
        if (us->family == IP_FAMILY_V4)
            return -ENOPROTOOPT;
        if (value < -1 || value > 255)
            return -EINVAL;
        us->tclass = value < 0 ? 0 : (uint8_t)value;
        return 0;
    case UDP_OPT_BROADCAST:
        us->broadcast = value != 0;
        return 0;
    }
    return -ENOPROTOOPT;
}

int udp_sock_getopt(const struct udp_sock *us, enum udp_sockopt opt, int *value)
{
    if (value == NULL)
        return -EINVAL;
    switch (opt) {
    case UDP_OPT_V6ONLY:
        if (us->family == IP_FAMILY_V4)
            return -ENOPROTOOPT;
        *value = us->v6only;
        return 0;
    case UDP_OPT_TOS:
        *value = us->tos;
        return 0;
    case UDP_OPT_TCLASS:
        if (us->family == IP_FAMILY_V4)
            return -ENOPROTOOPT;
        *value = us->tclass;
        return 0;
    case UDP_OPT_BROADCAST:
        *value = us->broadcast;
        return 0;
    }
    return -ENOPROTOOPT;
}

int udp_sock_bind(struct udp_sock *us, const struct ip_endpoint *local)
{
    if (local == NULL)
        return -EINVAL;
    if (us->bound)
        return -EINVAL;
    uint8_t fam = us->family;
    struct ip_addr wire;
    int err = sock_addr_in(&fam, us->v6only, &local->addr, &wire);
    if (err != 0)
        return err == -ENETUNREACH ? -EINVAL : err; /* Linux: mapped on V6ONLY */
    const struct ip_addr *addr = &wire;
    if (!ip_addr_is_any(addr) && !ip_addr_is_local(us->s, addr))
        return -EADDRNOTAVAIL;
    us->family = fam;
    uint16_t port = local->port;
    if (port == 0) {
        struct ip_addr none = sock_addr_any(addr->family);
        port = ephemeral_port(us->s, addr, &none, 0);
        if (port == 0)
            return -EADDRINUSE;
    } else if (port_taken(us->s, addr, us->family, us->v6only, port)) {
        return -EADDRINUSE;
    }
    hash_insert(us, addr, port);
    return 0;
}

/* A destination given by the user, into wire form; the socket's family
 * is settled by it if it was not yet. A socket bound to one address of
 * a family cannot send to the other family. */
static int dest_in(struct udp_sock *us, const struct ip_addr *user, struct ip_addr *wire)
{
    uint8_t fam = us->family;
    int err = sock_addr_in(&fam, us->v6only, user, wire);
    if (err != 0)
        return err;
    if (us->bound && us->local_addr.family != wire->family && !ip_addr_is_any(&us->local_addr))
        return -ENETUNREACH;
    us->family = fam;
    return 0;
}

/* Implicit bind before the first send or connect (Linux: EAGAIN when the
 * range is exhausted). */
static int autobind(struct udp_sock *us, const struct ip_addr *remote, uint16_t rport)
{
    if (us->bound)
        return 0;
    /* An IPv6 socket binds [::] (dual stack unless V6ONLY), as Linux. */
    struct ip_addr any = sock_addr_any(us->family == IP_FAMILY_V6 ? IP_FAMILY_V6 : IP_FAMILY_V4);
    uint16_t port = ephemeral_port(us->s, &any, remote, rport);
    if (port == 0)
        return -EAGAIN;
    hash_insert(us, &any, port);
    return 0;
}

int udp_sock_connect(struct udp_sock *us, const struct ip_endpoint *remote)
{
    if (remote == NULL)
        return -EINVAL;
    if (remote->addr.family == IP_FAMILY_NONE) {
        us->connected = false; /* AF_UNSPEC: dissolve the association */
        return 0;
    }
    struct ip_addr raddr;
    int err = dest_in(us, &remote->addr, &raddr);
    if (err != 0)
        return err;
    if (ip_addr_is_any(&raddr) || remote->port == 0)
        return -EINVAL;
    struct ip_route rt;
    err = ip_route(us->s, &raddr, local_hint(us, raddr.family), &rt);
    if (err != 0)
        return err;
    /* Linux ip4_datagram_connect: a broadcast peer needs SO_BROADCAST. */
    if (rt.broadcast && !us->broadcast)
        return -EACCES;
    err = autobind(us, &raddr, remote->port);
    if (err != 0)
        return err;
    /* Like Linux, a wildcard socket takes the route's source address. */
    if (ip_addr_is_any(&us->local_addr) && !rt.broadcast)
        us->local_addr = rt.src;
    us->connected = true;
    us->remote_addr = raddr;
    us->remote_port = remote->port;
    return 0;
}

int udp_sock_sendto(struct udp_sock *us, const void *data, size_t len,
                    const struct ip_endpoint *dst, uint64_t now)
{
    struct stack *s = us->s;
    struct ip_addr dst_a;
    uint16_t dport;

    if (dst == NULL) {
        if (!us->connected)
            return -EDESTADDRREQ;
        dst_a = us->remote_addr;
        dport = us->remote_port;
    } else {
        int err = dest_in(us, &dst->addr, &dst_a);
        if (err != 0)
            return err;
        dport = dst->port;
        if (ip_addr_is_any(&dst_a) || dport == 0)
            return -EINVAL;
    }
    if (data == NULL && len > 0)
        return -EINVAL;
    if (us->error != 0) {
        int err = us->error;
        us->error = 0;
        return -err;
    }
    if (len > (dst_a.family == IP_FAMILY_V6 ? UDP6_MAX_PAYLOAD : UDP_MAX_PAYLOAD)) {
        ctr_inc(s, CTR_UDP_TX_DROP_TOO_BIG);
        return -EMSGSIZE;
    }
    int err = autobind(us, &dst_a, dport);
    if (err != 0)
        return err;

    struct ip_route rt;
    err = ip_route(s, &dst_a, local_hint(us, dst_a.family), &rt);
    if (err != 0)
        return err;
    /* Linux udp_sendmsg: a broadcast destination needs SO_BROADCAST. */
    if (rt.broadcast && !us->broadcast)
        return -EACCES;
    /* A datagram that fits the (path) MTU goes whole, with DF over IPv4
     * (RFC 1191); a larger one is fragmented at the source (RFC 791 3.2,
     * RFC 8200 4.5), as Linux does. The checksum covers the whole
     * datagram, so it is built in one buffer first. */
    uint8_t small[PBUF_FRAME_SIZE];
    struct pbuf p;
    uint8_t *hdr = pbuf_large_init(&p, small, UDP_HLEN + len);
    if (hdr == NULL)
        return -ENOBUFS;
    if (len > 0)
        memcpy(hdr + UDP_HLEN, data, len);
    udp_emit(hdr, us->local_port, dport, len, &rt.src, &dst_a);
    p.tos = dst_a.family == IP_FAMILY_V6 ? us->tclass : us->tos;

    err = ip_output_frag(s, &rt, &p, &dst_a, IPPROTO_UDP_, now);
    pbuf_large_free(&p, small);
    if (err == -EMSGSIZE)
        ctr_inc(s, CTR_UDP_TX_DROP_TOO_BIG);
    if (err == -EMSGSIZE || err == -EADDRNOTAVAIL)
        return err;
    /* A frame the netif refused is counted there; like a full qdisc on
     * Linux, the datagram is simply lost. */
    ctr_inc(s, CTR_UDP_TX);
    return (int)len;
}

int udp_sock_recvfrom(struct udp_sock *us, void *buf, size_t len, struct ip_endpoint *src)
{
    struct udp_dgram *d = us->q_head;
    if (d == NULL)
        return -EAGAIN;
    us->q_head = d->next;
    if (us->q_head == NULL)
        us->q_tail = NULL;
    us->q_bytes -= sizeof *d + d->len;
    size_t n = d->len < len ? d->len : len;
    if (n > 0 && buf != NULL)
        memcpy(buf, d->data, n);
    if (src != NULL) {
        *src = d->src;
        src->addr = sock_addr_show(us->family, &d->src.addr);
    }
    int full = (int)d->len;
    free(d);
    return full;
}

int udp_sock_peek_size(const struct udp_sock *us)
{
    return us->q_head == NULL ? -EAGAIN : (int)us->q_head->len;
}

int udp_sock_error(struct udp_sock *us)
{
    int err = us->error;
    us->error = 0;
    return err;
}

int udp_sock_getsockname(const struct udp_sock *us, struct ip_endpoint *out)
{
    if (out == NULL)
        return -EINVAL;
    memset(out, 0, sizeof *out);
    out->addr = us->bound ? sock_addr_show(us->family, &us->local_addr)
                          : sock_addr_any(us->family == IP_FAMILY_V6 ? IP_FAMILY_V6
                                                                     : IP_FAMILY_V4);
    out->port = us->bound ? us->local_port : 0;
    return 0;
}

/* -1: no match; higher is more specific: connected, then bound to the
 * address, then a wildcard of the datagram's family, then a dual-stack
 * wildcard (as Linux's compute_score). */
static int match_score(const struct udp_sock *us, const struct ip_addr *src, uint16_t sport,
                       const struct ip_addr *dst, uint16_t dport)
{
    if (!us->bound || us->local_port != dport)
        return -1;
    int rank = sock_addr_rank(&us->local_addr, us->family, us->v6only, dst);
    if (rank < 0)
        return -1;
    int score = 2 - rank; /* 2 exact, 1 native wildcard, 0 dual-stack */
    if (us->connected) {
        if (!ip_addr_eq(&us->remote_addr, src) || us->remote_port != sport)
            return -1;
        score += 4;
    }
    return score;
}

/* Queue one datagram; false if the receive buffer is full. Each datagram
 * is charged its size plus its bookkeeping, so that empty datagrams cannot
 * grow the queue without bound either. */
static bool deliver(struct stack *s, struct udp_sock *us, const struct udp_view *u,
                    const struct ip_addr *src)
{
    size_t charge = sizeof(struct udp_dgram) + u->payload_len;
    if (us->q_bytes + charge > s->cfg.udp_rcvbuf)
        return false;
    struct udp_dgram *d = malloc(charge);
    if (d == NULL)
        return false;
    d->next = NULL;
    d->len = u->payload_len;
    memset(&d->src, 0, sizeof d->src);
    d->src.addr = *src;
    d->src.port = u->sport;
    if (u->payload_len > 0)
        memcpy(d->data, u->payload, u->payload_len);
    if (us->q_tail != NULL)
        us->q_tail->next = d;
    else
        us->q_head = d;
    us->q_tail = d;
    us->q_bytes += charge;
    if (us->cb != NULL)
        us->cb(us->user, us, UDP_EV_READABLE);
    return true;
}

/* Hand a checked datagram to its sockets, for either family. Returns
 * whether a socket took it; *matched says whether any socket matched. */
static bool udp_demux(struct stack *s, const struct ip_addr *src, const struct ip_addr *dst,
                      const struct udp_view *u, bool to_broadcast, bool *matched)
{
    bool queued = false;
    *matched = false;
    if (to_broadcast) {
        /* Every socket that matches gets a copy. A callback may bind or
         * connect sockets (inserted at bucket heads, before us) but must not
         * close any, so walking on from the current socket is safe. */
        for (struct udp_sock *us = *bucket(s, u->dport); us != NULL; us = us->hash_next) {
            if (match_score(us, src, u->sport, dst, u->dport) < 0)
                continue;
            *matched = true;
            if (deliver(s, us, u, src))
                queued = true;
        }
        return queued;
    }
    struct udp_sock *best = NULL;
    int best_score = -1;
    for (struct udp_sock *us = *bucket(s, u->dport); us != NULL; us = us->hash_next) {
        int sc = match_score(us, src, u->sport, dst, u->dport);
        if (sc > best_score) {
            best = us;
            best_score = sc;
        }
    }
    if (best == NULL)
        return false;
    *matched = true;
    return deliver(s, best, u, src);
}

void udp_input(struct stack *s, const struct ip_rx *rx, uint64_t now)
{
    struct udp_view u;
    const struct ip_addr *src = &rx->src, *dst = &rx->dst;

    ctr_inc(s, CTR_UDP_RX);
    int err = (s->rx_flags & STACK_RX_CSUM_OK)
                  ? udp_parse_nocsum(rx->payload, rx->len, &u)
                  : udp_parse(rx->payload, rx->len, src, dst, &u);
    switch (err) {
    case WIRE_OK:
        break;
    case WIRE_ETRUNC:
        ctr_inc(s, CTR_UDP_RX_DROP_TRUNCATED);
        return;
    case WIRE_ECSUM:
        ctr_inc(s, CTR_UDP_RX_DROP_BAD_CSUM);
        return;
    default:
        ctr_inc(s, CTR_UDP_RX_DROP_BAD_LENGTH);
        return;
    }
    if (u.csum == 0)
        ctr_inc(s, CTR_UDP_RX_ZERO_CSUM); /* RFC 768: sender computed none */

    bool matched = false;
    bool queued = udp_demux(s, src, dst, &u, rx->to_broadcast, &matched);
    if (queued) {
        ctr_inc(s, CTR_UDP_RX_DELIVERED);
    } else if (matched) {
        ctr_inc(s, CTR_UDP_RX_DROP_RCVBUF);
    } else {
        ctr_inc(s, CTR_UDP_RX_NO_PORT);
        ip_port_unreachable(s, rx, now); /* RFC 1122 4.1.3.1 */
    }
}

void udp_error(struct stack *s, const struct ip_addr *src, const struct ip_addr *dst,
               uint16_t sport, uint16_t dport, int err)
{
    /* As Linux without IP_RECVERR: only a connected socket learns of
     * errors, and only about its own peer. */
    for (struct udp_sock *us = *bucket(s, sport); us != NULL; us = us->hash_next) {
        if (!us->bound || !us->connected || us->local_port != sport)
            continue;
        if (!ip_addr_is_any(&us->local_addr) && !ip_addr_eq(&us->local_addr, src))
            continue;
        if (!ip_addr_eq(&us->remote_addr, dst) || us->remote_port != dport)
            continue;
        us->error = err;
        if (us->cb != NULL)
            us->cb(us->user, us, UDP_EV_ERROR);
        return;
    }
}

/* ---- the per-socket view, for tools ---- */

void udp_sock_info(const struct udp_sock *us, struct udp_sock_info *out)
{
    memset(out, 0, sizeof *out);
    (void)udp_sock_getsockname(us, &out->local);
    out->connected = us->connected;
    if (us->connected) {
        out->remote.addr = sock_addr_show(us->family, &us->remote_addr);
        out->remote.port = us->remote_port;
    }
    /* Like Linux's Recv-Q for UDP: queued datagrams with their overhead. */
    out->recv_queue = (uint32_t)us->q_bytes;
    out->user = us->user;
    out->sock = us;
}

size_t stack_udp_list(const struct stack *s, struct udp_sock_info *out, size_t max)
{
    size_t n = 0;
    for (const struct udp_sock *us = s->udp.all; us != NULL; us = us->all_next) {
        /* As ss: a socket shows once it has a port (bound or autobound). */
        if (!us->bound)
            continue;
        if (out != NULL && n < max)
            udp_sock_info(us, &out[n]);
        n++;
    }
    return n;
}
