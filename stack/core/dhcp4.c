/* dhcp4.c - the DHCPv4 client of an interface (RFC 2131, options of RFC
 * 2132 and RFC 3442), sans-I/O like the rest of the stack: messages come
 * in through ipv4_input (UDP 67 -> 68 on a DHCP interface, before the
 * "is it for us" test, since we may have no address yet) and arp_input
 * (RFC 5227 conflicts); they go out as broadcast frames from 0.0.0.0, or
 * unicast once bound; the clock is the caller's `now`, the randomness a
 * keyed hash of the stack's key (transaction ids, RFC 2131 4.1 jitter).
 *
 * States (RFC 2131 4.4, figure 5), with RFC 5227's probe before binding:
 *
 *   INIT -> SELECTING (DISCOVER sent) -> REQUESTING (on an OFFER: REQUEST)
 *        -> PROBING (on an ACK: 3 ARP probes, 2 s quiet) -> BOUND
 *        (address, routes, MTU installed; announced)
 *   BOUND -> RENEWING at T1 (unicast REQUEST to the server)
 *         -> REBINDING at T2 (broadcast REQUEST) -> INIT at lease expiry
 *            (address and routes removed)
 *   INIT-REBOOT -> REBOOTING (broadcast REQUEST for the previous address)
 *   NAK -> INIT; a conflict while probing -> DECLINE, INIT after 10 s
 *   (RFC 2131 3.1.5); stack_dhcp4_release: RELEASE, address removed.
 *
 * A message is taken only if it is a BOOTREPLY for our MAC with our
 * transaction id in a state that expects it; a lease only with a host
 * address, a server id, a sane mask; routers off the leased subnet are
 * ignored. Every drop is counted (dhcp4.*). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "stack/core/stack_impl.h"
#include "stack/util/siphash.h"
#include "stack/wire/arp.h"
#include "stack/wire/dhcp4.h"
#include "stack/wire/eth.h"
#include "stack/wire/ipv4.h"
#include "stack/wire/udp.h"

#define RETRANS_FIRST_NS (4 * NS_PER_SEC)    /* RFC 2131 4.1: 4, 8, 16, 32, 64 s */
#define RETRANS_MAX_NS (64 * NS_PER_SEC)
#define REQUEST_TRIES 4                      /* REQUESTING/REBOOTING before INIT */
#define RENEW_MIN_NS (60 * NS_PER_SEC)       /* RFC 2131 4.4.5 */
#define DECLINE_WAIT_NS (10 * NS_PER_SEC)    /* RFC 2131 3.1.5 */
#define LEASE_MIN_S 10                       /* a shorter lease is taken as 10 s */
#define PROBE_WAIT_NS NS_PER_SEC             /* RFC 5227 1.1 */
#define PROBE_NUM 3
#define PROBE_MIN_NS NS_PER_SEC
#define PROBE_MAX_NS (2 * NS_PER_SEC)
#define ANNOUNCE_WAIT_NS (2 * NS_PER_SEC)
#define DHCP_ROUTE_METRIC 1024               /* as systemd-networkd: static routes win */

enum dhcp4_state {
    D_INIT,
    D_SELECTING,
    D_REQUESTING,
    D_PROBING,
    D_BOUND,
    D_RENEWING,
    D_REBINDING,
    D_INIT_REBOOT,
    D_REBOOTING,
    D_STOPPED,
};

static const char *const state_names[] = {
    "init", "selecting", "requesting", "probing", "bound",
    "renewing", "rebinding", "init-reboot", "rebooting", "stopped",
};

struct dhcp4_lease {
    uint32_t addr;
    uint8_t prefix_len;
    uint32_t server;
    uint32_t router;                 /* 0: none */
    uint32_t dns[DHCP4_MAX_DNS];
    size_t n_dns;
    uint16_t mtu;                    /* 0: none */
    struct dhcp4_route routes[DHCP4_MAX_ROUTES];
    size_t n_routes;
    uint32_t lease_s, t1_s, t2_s;    /* lease_s UINT32_MAX: infinite */
};

struct dhcp4_client {
    int ifindex;
    enum dhcp4_state state;
    uint32_t xid;
    uint32_t nonce;                  /* for xids and jitter */
    uint64_t timer;                  /* next step; 0: none */
    uint64_t started;                /* of this exchange (the secs field) */
    uint64_t interval;               /* current retransmission interval */
    unsigned tries;
    unsigned probes_left;
    struct dhcp4_lease offer;        /* SELECTING/REQUESTING/PROBING */
    struct dhcp4_lease lease;        /* BOUND and later */
    bool installed;                  /* lease.addr is on the interface */
    uint32_t previous;               /* INIT-REBOOT's address */
    uint64_t bound_at, t1_at, t2_at, expires_at;
    uint32_t mtu_before;             /* the interface's MTU without the lease */
};

/* ---- randomness and timing ---- */

static uint64_t keyed(struct stack *s, struct dhcp4_client *c, uint8_t what)
{
    uint8_t msg[10];
    msg[0] = 'd';
    msg[1] = what;
    memcpy(msg + 2, &c->ifindex, 4);
    memcpy(msg + 6, &c->nonce, 4);
    c->nonce++;
    return siphash24(s->cfg.key, msg, sizeof msg);
}

/* RFC 2131 4.1: the interval randomized by -1..+1 s. */
static uint64_t jittered(struct stack *s, struct dhcp4_client *c, uint64_t interval)
{
    uint64_t j = keyed(s, c, 'j') % (2 * NS_PER_SEC);
    return interval + j >= NS_PER_SEC ? interval + j - NS_PER_SEC : interval;
}

static struct dhcp4_client *client_of(const struct netif *nif)
{
    return nif->dhcp4;
}

static void set_state(struct stack *s, struct netif *nif, struct dhcp4_client *c,
                      enum dhcp4_state st)
{
    if (c->state != st)
        stack_log(s, STACK_LOG_DEBUG, "dhcp: %s: %s -> %s", nif->name, state_names[c->state],
                  state_names[st]);
    c->state = st;
}

/* ---- output ---- */

static const struct eth_addr eth_broadcast = {{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}};

/* Send one client message: broadcast from 0.0.0.0 (or from ciaddr when
 * rebinding), or unicast to the server once bound (through routing). */
static void send_msg(struct stack *s, struct netif *nif, struct dhcp4_client *c, uint8_t type,
                     uint32_t ciaddr, uint32_t requested, uint32_t server_id, uint32_t unicast_to,
                     uint64_t now)
{
    uint8_t buf[PBUF_HEADROOM + DHCP4_EMIT_MAX + 64];
    struct pbuf p;
    pbuf_init(&p, buf, sizeof buf, PBUF_HEADROOM);
    uint8_t *body = pbuf_append(&p, DHCP4_EMIT_MAX);
    if (body == NULL)
        return;
    uint64_t secs = (now - c->started) / NS_PER_SEC;
    struct dhcp4_emit_args a = {
        .msg_type = type,
        .xid = c->xid,
        .secs = (uint16_t)(secs > 0xffff ? 0xffff : secs),
        /* RFC 2131 4.1: without an address we cannot take unicast yet. */
        .broadcast = ciaddr == 0,
        .ciaddr = ciaddr,
        .chaddr = nif->mac,
        .requested_ip = requested,
        .server_id = server_id,
        .param_list = type == DHCP4_DISCOVER || type == DHCP4_REQUEST,
    };
    size_t n = dhcp4_emit(body, DHCP4_EMIT_MAX, &a);
    if (n == 0)
        return;
    uint32_t src = unicast_to != 0 ? ciaddr : (type == DHCP4_REQUEST && ciaddr != 0 ? ciaddr : 0);
    uint32_t dst = unicast_to != 0 ? unicast_to : 0xffffffffu;
    struct ip_addr sa = ip_addr_v4(src), da = ip_addr_v4(dst);
    uint8_t *uh = pbuf_prepend(&p, UDP_HLEN);
    if (uh == NULL)
        return;
    udp_emit(uh, DHCP4_CLIENT_PORT, DHCP4_SERVER_PORT, n, &sa, &da);
    switch (type) {
    case DHCP4_DISCOVER:
        ctr_inc(s, CTR_DHCP4_TX_DISCOVER);
        break;
    case DHCP4_REQUEST:
        ctr_inc(s, CTR_DHCP4_TX_REQUEST);
        break;
    case DHCP4_DECLINE:
        ctr_inc(s, CTR_DHCP4_TX_DECLINE);
        break;
    case DHCP4_RELEASE:
        ctr_inc(s, CTR_DHCP4_TX_RELEASE);
        break;
    default:
        break;
    }
    struct eth_addr to_mac = eth_broadcast;
    if (unicast_to != 0) {
        struct ipv4_route rt;
        if (ipv4_route(s, unicast_to, ciaddr, &rt) != 0)
            return;
        /* A RELEASE goes as the daemon stops: it cannot wait for ARP.
         * Without the server's MAC, the frame is a link broadcast (the IP
         * destination still the server's, which it takes). */
        if (type != DHCP4_RELEASE || rt.nif != nif ||
            arp_known_mac(s, nif, rt.next_hop, &to_mac)) {
            (void)ipv4_output(s, &rt, &p, unicast_to, IPPROTO_UDP_, now);
            return;
        }
    }
    uint8_t *ih = pbuf_prepend(&p, IPV4_HLEN);
    if (ih == NULL)
        return;
    struct ipv4_emit_args ip = {
        .id = s->ip_id++,
        .ttl = 64,
        .proto = IPPROTO_UDP_,
        .src = src,
        .dst = dst,
        .payload_len = (uint16_t)(p.len - IPV4_HLEN),
    };
    ipv4_emit(ih, &ip);
    ctr_inc(s, CTR_IPV4_TX);
    (void)eth_output(s, nif, &p, &to_mac, ETHERTYPE_IPV4);
}

/* ---- the lease on the interface ---- */

static void uninstall(struct stack *s, struct netif *nif, struct dhcp4_client *c)
{
    if (!c->installed)
        return;
    (void)netif_addr4_del(nif, c->lease.addr, c->lease.prefix_len);
    route_flush_proto(s, nif->index, ROUTE_PROTO_DHCP);
    if (c->lease.mtu != 0 && c->mtu_before != 0 && nif->mtu != c->mtu_before) {
        nif->mtu = c->mtu_before;
        tcp_netif_mtu_changed(s, nif);
    }
    c->installed = false;
}

static uint64_t lease_until(const struct dhcp4_lease *l, uint64_t from, uint32_t secs)
{
    if (l->lease_s == UINT32_MAX)
        return 0; /* infinite */
    return from + (uint64_t)secs * NS_PER_SEC;
}

static void add_route(struct stack *s, struct netif *nif, uint32_t dst, uint8_t len, uint32_t gw)
{
    struct stack_route r = {
        .dst = ip_addr_v4(dst), .prefix_len = len, .ifindex = nif->index,
        .metric = DHCP_ROUTE_METRIC, .proto = ROUTE_PROTO_DHCP,
        .lifetime_s = STACK_LIFETIME_FOREVER,
    };
    if (gw != 0)
        r.gateway = ip_addr_v4(gw);
    if (route_add(s, &r, 0) != 0)
        ctr_inc(s, CTR_DHCP4_OPTIONS_IGNORED); /* off-link gateway, table full */
}

/* Put the lease on the interface: address (with its lifetime), routes
 * (RFC 3442's if given: then the router option is ignored, 3442 says so),
 * MTU (only lowered), and tell the link (RFC 5227 2.3). */
static void install(struct stack *s, struct netif *nif, struct dhcp4_client *c, uint64_t now)
{
    const struct dhcp4_lease *l = &c->lease;
    uint64_t until = lease_until(l, c->bound_at, l->lease_s);
    if (!c->installed) {
        int rc = netif_addr4_add(s, nif, l->addr, l->prefix_len, true, until);
        if (rc != 0 && rc != -EEXIST) {
            stack_log(s, STACK_LOG_WARN, "dhcp: %s: cannot add the leased address (%d)", nif->name,
                      rc);
            return;
        }
        c->installed = true;
        c->mtu_before = nif->mtu;
    }
    for (size_t k = 0; k < NETIF_MAX_ADDR4; k++)
        if (nif->addr4[k].addr == l->addr) {
            nif->addr4[k].valid_until = until;
            nif->addr4[k].preferred_until = until;
        }
    route_flush_proto(s, nif->index, ROUTE_PROTO_DHCP);
    if (l->n_routes > 0) {
        for (size_t i = 0; i < l->n_routes; i++)
            add_route(s, nif, l->routes[i].dst, l->routes[i].prefix_len, l->routes[i].gateway);
    } else if (l->router != 0) {
        add_route(s, nif, 0, 0, l->router);
    }
    if (l->mtu != 0 && l->mtu < c->mtu_before && l->mtu != nif->mtu) {
        nif->mtu = l->mtu;
        tcp_netif_mtu_changed(s, nif);
    }
    arp_announce(s, nif, l->addr);
    (void)now;
}

/* ---- transitions ---- */

static void new_exchange(struct stack *s, struct dhcp4_client *c, uint64_t now)
{
    c->xid = (uint32_t)keyed(s, c, 'x');
    c->started = now;
    c->tries = 0;
    c->interval = RETRANS_FIRST_NS;
}

static void to_init(struct stack *s, struct netif *nif, struct dhcp4_client *c, uint64_t delay,
                    uint64_t now)
{
    uninstall(s, nif, c);
    memset(&c->offer, 0, sizeof c->offer);
    set_state(s, nif, c, D_INIT);
    c->timer = now + delay;
}

static void send_discover(struct stack *s, struct netif *nif, struct dhcp4_client *c, uint64_t now)
{
    send_msg(s, nif, c, DHCP4_DISCOVER, 0, c->previous, 0, 0, now);
    c->timer = now + jittered(s, c, c->interval);
    if (c->interval < RETRANS_MAX_NS)
        c->interval *= 2;
}

static void send_request(struct stack *s, struct netif *nif, struct dhcp4_client *c, uint64_t now)
{
    switch (c->state) {
    case D_REQUESTING: /* RFC 2131 4.3.2: server id and requested IP, ciaddr 0 */
        send_msg(s, nif, c, DHCP4_REQUEST, 0, c->offer.addr, c->offer.server, 0, now);
        break;
    case D_REBOOTING: /* INIT-REBOOT: requested IP, no server id */
        send_msg(s, nif, c, DHCP4_REQUEST, 0, c->previous, 0, 0, now);
        break;
    case D_RENEWING: /* ciaddr, unicast to the server */
        send_msg(s, nif, c, DHCP4_REQUEST, c->lease.addr, 0, 0, c->lease.server, now);
        break;
    case D_REBINDING: /* ciaddr, broadcast */
        send_msg(s, nif, c, DHCP4_REQUEST, c->lease.addr, 0, 0, 0, now);
        break;
    default:
        break;
    }
}

/* RENEWING/REBINDING: again at half the time left to limit, 60 s at least
 * (RFC 2131 4.4.5), but not past it. */
static void renew_timer(struct dhcp4_client *c, uint64_t limit, uint64_t now)
{
    uint64_t left = limit > now ? limit - now : 0;
    uint64_t next = left / 2 < RENEW_MIN_NS ? RENEW_MIN_NS : left / 2;
    c->timer = now + (next < left ? next : left);
}

static void start_probe(struct stack *s, struct netif *nif, struct dhcp4_client *c, uint64_t now)
{
    set_state(s, nif, c, D_PROBING);
    c->probes_left = PROBE_NUM;
    /* RFC 5227 2.1.1: a random wait of up to PROBE_WAIT first. */
    c->timer = now + keyed(s, c, 'p') % PROBE_WAIT_NS;
}

static void bind_lease(struct stack *s, struct netif *nif, struct dhcp4_client *c, uint64_t now)
{
    bool renewal = c->installed && c->lease.addr == c->offer.addr;
    if (c->installed && !renewal)
        uninstall(s, nif, c);
    c->lease = c->offer;
    c->bound_at = now;
    const struct dhcp4_lease *l = &c->lease;
    if (l->lease_s == UINT32_MAX) {
        c->t1_at = c->t2_at = c->expires_at = 0;
    } else {
        c->t1_at = now + (uint64_t)l->t1_s * NS_PER_SEC;
        c->t2_at = now + (uint64_t)l->t2_s * NS_PER_SEC;
        c->expires_at = now + (uint64_t)l->lease_s * NS_PER_SEC;
    }
    set_state(s, nif, c, D_BOUND);
    install(s, nif, c, now);
    c->timer = c->t1_at;
    c->previous = l->addr;
    ctr_inc(s, renewal ? CTR_DHCP4_LEASES_RENEWED : CTR_DHCP4_LEASES_OBTAINED);
    char a[16], sv[16];
    stack_log(s, STACK_LOG_INFO, "dhcp: %s: %s %s/%u from %s, lease %us", nif->name,
              renewal ? "renewed" : "bound", ip4_format(l->addr, a, sizeof a),
              (unsigned)l->prefix_len, ip4_format(l->server, sv, sizeof sv), l->lease_s);
}

/* ---- input ---- */

/* A classful mask for a server that sends none (RFC 2131 says the client
 * may take its default). */
static uint8_t classful(uint32_t a)
{
    uint8_t first = (uint8_t)(a >> 24);
    return first < 128 ? 8 : first < 192 ? 16 : 24;
}

/* The offer or ack as a lease; false (counted) if it cannot be one. */
static bool lease_of(struct stack *s, struct netif *nif, const struct dhcp4_view *m,
                     struct dhcp4_lease *l)
{
    memset(l, 0, sizeof *l);
    if (m->bad != 0)
        ctr_inc(s, CTR_DHCP4_OPTIONS_IGNORED);
    uint8_t len = m->has_subnet ? m->prefix_len : classful(m->yiaddr);
    /* A host address of its subnet, not one we have elsewhere. */
    uint32_t mask = ip4_mask(len);
    if (!m->has_server_id || m->server_id == 0 || !ip4_is_unicast(m->yiaddr) || len == 0 ||
        (len < 31 && ((m->yiaddr & ~mask) == 0 || (m->yiaddr & ~mask) == ~mask))) {
        ctr_inc(s, CTR_DHCP4_RX_DROP_BAD_LEASE);
        return false;
    }
    struct netif *owner = netif_by_ip4(s, m->yiaddr);
    if (owner != NULL && owner != nif) {
        ctr_inc(s, CTR_DHCP4_RX_DROP_BAD_LEASE);
        return false;
    }
    l->addr = m->yiaddr;
    l->prefix_len = len;
    l->server = m->server_id;
    /* The first router on the leased subnet (RFC 2132 3.5: in order of
     * preference); others would be unreachable. */
    for (size_t i = 0; i < m->n_routers && l->router == 0; i++) {
        uint32_t r = m->routers[i];
        if (ip4_is_unicast(r) && r != m->yiaddr && (r & mask) == (m->yiaddr & mask))
            l->router = r;
    }
    if (m->n_routers > 0 && l->router == 0)
        ctr_inc(s, CTR_DHCP4_OPTIONS_IGNORED);
    for (size_t i = 0; i < m->n_dns; i++)
        if (ip4_is_unicast(m->dns[i]) && l->n_dns < DHCP4_MAX_DNS)
            l->dns[l->n_dns++] = m->dns[i];
    if (m->has_mtu && m->mtu <= PBUF_MAX_MTU)
        l->mtu = m->mtu;
    /* RFC 3442: gateways on the leased subnet (or 0: on-link). */
    for (size_t i = 0; m->has_routes && i < m->n_routes; i++) {
        const struct dhcp4_route *r = &m->routes[i];
        if (r->gateway != 0 &&
            (!ip4_is_unicast(r->gateway) || (r->gateway & mask) != (m->yiaddr & mask))) {
            ctr_inc(s, CTR_DHCP4_OPTIONS_IGNORED);
            continue;
        }
        l->routes[l->n_routes++] = *r;
    }
    /* RFC 2131 4.4.5: T1 0.5, T2 0.875 of the lease unless given, and in
     * order. */
    uint32_t lease = m->has_lease ? m->lease_s : 3600;
    if (lease < LEASE_MIN_S)
        lease = LEASE_MIN_S;
    l->lease_s = lease;
    if (lease != UINT32_MAX) {
        uint32_t t1 = m->has_t1 ? m->t1_s : lease / 2;
        uint32_t t2 = m->has_t2 ? m->t2_s : (uint32_t)((uint64_t)lease * 7 / 8);
        if (t2 == 0 || t2 >= lease)
            t2 = (uint32_t)((uint64_t)lease * 7 / 8);
        if (t1 == 0 || t1 >= t2)
            t1 = t2 / 2 < lease / 2 ? t2 / 2 : lease / 2;
        l->t1_s = t1;
        l->t2_s = t2;
    }
    return true;
}

void dhcp4_input(struct stack *s, struct netif *nif, const struct ipv4_view *ip, uint64_t now)
{
    struct dhcp4_client *c = client_of(nif);
    ctr_inc(s, CTR_DHCP4_RX);
    struct ip_addr src = ip_addr_v4(ip->src), dst = ip_addr_v4(ip->dst);
    struct udp_view u;
    int err = (s->rx_flags & STACK_RX_CSUM_OK)
                  ? udp_parse_nocsum(ip->payload, ip->payload_len, &u)
                  : udp_parse(ip->payload, ip->payload_len, &src, &dst, &u);
    struct dhcp4_view m;
    if (err != WIRE_OK || dhcp4_parse(u.payload, u.payload_len, &m) != WIRE_OK) {
        ctr_inc(s, CTR_DHCP4_RX_DROP_MALFORMED);
        return;
    }
    if (c == NULL || m.op != DHCP4_BOOTREPLY || m.htype != 1 || m.hlen != 6 ||
        memcmp(m.chaddr, nif->mac.b, 6) != 0 || m.xid != c->xid) {
        ctr_inc(s, CTR_DHCP4_RX_DROP_NOT_OURS);
        return;
    }
    switch (m.msg_type) {
    case DHCP4_OFFER:
        ctr_inc(s, CTR_DHCP4_RX_OFFER);
        if (c->state != D_SELECTING || !lease_of(s, nif, &m, &c->offer)) {
            if (c->state != D_SELECTING)
                ctr_inc(s, CTR_DHCP4_RX_DROP_UNEXPECTED);
            return;
        }
        /* RFC 2131 4.4.1: the first acceptable offer; REQUEST it. */
        set_state(s, nif, c, D_REQUESTING);
        c->tries = 0;
        c->interval = RETRANS_FIRST_NS;
        send_request(s, nif, c, now);
        c->timer = now + jittered(s, c, c->interval);
        return;
    case DHCP4_ACK: {
        ctr_inc(s, CTR_DHCP4_RX_ACK);
        bool from_selected = c->state != D_REQUESTING || !m.has_server_id ||
                             m.server_id == c->offer.server;
        struct dhcp4_lease l;
        if ((c->state != D_REQUESTING && c->state != D_REBOOTING && c->state != D_RENEWING &&
             c->state != D_REBINDING) ||
            !from_selected) {
            ctr_inc(s, CTR_DHCP4_RX_DROP_UNEXPECTED);
            return;
        }
        if (!lease_of(s, nif, &m, &l))
            return;
        /* The address we asked for, and no other (RFC 2131 4.3.2). */
        uint32_t want = c->state == D_REQUESTING  ? c->offer.addr
                        : c->state == D_REBOOTING ? c->previous
                                                  : c->lease.addr;
        if (l.addr != want) {
            ctr_inc(s, CTR_DHCP4_RX_DROP_BAD_LEASE);
            return;
        }
        c->offer = l;
        if (c->state == D_RENEWING || c->state == D_REBINDING)
            bind_lease(s, nif, c, now);
        else
            start_probe(s, nif, c, now); /* RFC 2131 4.4.1, RFC 5227 2.1 */
        return;
    }
    case DHCP4_NAK:
        ctr_inc(s, CTR_DHCP4_RX_NAK);
        if (c->state != D_REQUESTING && c->state != D_REBOOTING && c->state != D_RENEWING &&
            c->state != D_REBINDING) {
            ctr_inc(s, CTR_DHCP4_RX_DROP_UNEXPECTED);
            return;
        }
        /* RFC 2131 4.4: NAK -> INIT, the address gone at once. */
        stack_log(s, STACK_LOG_INFO, "dhcp: %s: NAK: starting over", nif->name);
        c->previous = 0;
        to_init(s, nif, c, 0, now);
        return;
    default:
        ctr_inc(s, CTR_DHCP4_RX_DROP_UNEXPECTED);
        return;
    }
}

void dhcp4_arp_input(struct stack *s, struct netif *nif, uint32_t spa, uint32_t tpa,
                     bool is_probe, const struct eth_addr *sha, uint64_t now)
{
    struct dhcp4_client *c = client_of(nif);
    if (c == NULL || c->state != D_PROBING || eth_addr_eq(sha, &nif->mac))
        return;
    /* RFC 5227 2.1.1: someone says they have it, or probes for it too. */
    uint32_t cand = c->offer.addr;
    if (spa != cand && !(is_probe && tpa == cand))
        return;
    char a[16];
    stack_log(s, STACK_LOG_WARN, "dhcp: %s: %s is in use on the link: declined", nif->name,
              ip4_format(cand, a, sizeof a));
    ctr_inc(s, CTR_DHCP4_CONFLICTS);
    /* RFC 2131 3.1.5: DECLINE, then INIT no sooner than 10 s. */
    send_msg(s, nif, c, DHCP4_DECLINE, 0, cand, c->offer.server, 0, now);
    c->previous = 0;
    to_init(s, nif, c, DECLINE_WAIT_NS, now);
}

/* ---- timers ---- */

static void client_poll(struct stack *s, struct netif *nif, struct dhcp4_client *c, uint64_t now)
{
    if (c->timer == 0 || now < c->timer)
        return;
    switch (c->state) {
    case D_INIT:
        new_exchange(s, c, now);
        set_state(s, nif, c, D_SELECTING);
        send_discover(s, nif, c, now);
        break;
    case D_INIT_REBOOT:
        new_exchange(s, c, now);
        set_state(s, nif, c, D_REBOOTING);
        send_request(s, nif, c, now);
        c->timer = now + jittered(s, c, c->interval);
        break;
    case D_SELECTING:
        send_discover(s, nif, c, now);
        break;
    case D_REQUESTING:
    case D_REBOOTING:
        if (++c->tries >= REQUEST_TRIES) {
            c->previous = 0;
            to_init(s, nif, c, 0, now);
            break;
        }
        c->interval = c->interval < RETRANS_MAX_NS ? c->interval * 2 : c->interval;
        send_request(s, nif, c, now);
        c->timer = now + jittered(s, c, c->interval);
        break;
    case D_PROBING:
        if (c->probes_left > 0) {
            /* RFC 5227 2.1.1: sender 0.0.0.0, target the candidate. */
            arp_probe(s, nif, c->offer.addr);
            c->probes_left--;
            uint64_t gap = PROBE_MIN_NS + keyed(s, c, 'g') % (PROBE_MAX_NS - PROBE_MIN_NS);
            c->timer = now + (c->probes_left > 0 ? gap : ANNOUNCE_WAIT_NS);
        } else {
            bind_lease(s, nif, c, now);
        }
        break;
    case D_BOUND:
        if (c->expires_at == 0) {
            c->timer = 0; /* infinite lease */
            break;
        }
        new_exchange(s, c, now);
        set_state(s, nif, c, D_RENEWING);
        send_request(s, nif, c, now);
        renew_timer(c, c->t2_at, now);
        break;
    case D_RENEWING:
        if (now >= c->t2_at) {
            set_state(s, nif, c, D_REBINDING);
            send_request(s, nif, c, now);
            renew_timer(c, c->expires_at, now);
            break;
        }
        send_request(s, nif, c, now);
        renew_timer(c, c->t2_at, now);
        break;
    case D_REBINDING:
        if (now >= c->expires_at) {
            char a[16];
            stack_log(s, STACK_LOG_WARN, "dhcp: %s: lease of %s expired: address removed",
                      nif->name, ip4_format(c->lease.addr, a, sizeof a));
            ctr_inc(s, CTR_DHCP4_LEASES_EXPIRED);
            c->previous = 0;
            to_init(s, nif, c, 0, now);
            break;
        }
        send_request(s, nif, c, now);
        renew_timer(c, c->expires_at, now);
        break;
    case D_STOPPED:
        c->timer = 0;
        break;
    }
}

void dhcp4_poll(struct stack *s, uint64_t now)
{
    for (int i = 0; i < s->n_netifs; i++) {
        struct netif *nif = &s->netifs[i];
        if (nif->up && nif->dhcp4 != NULL)
            client_poll(s, nif, nif->dhcp4, now);
    }
}

uint64_t dhcp4_next_deadline(const struct stack *s)
{
    uint64_t d = STACK_NO_DEADLINE;
    for (int i = 0; i < s->n_netifs; i++) {
        const struct dhcp4_client *c = s->netifs[i].dhcp4;
        if (s->netifs[i].up && c != NULL && c->timer != 0 && c->timer < d)
            d = c->timer;
    }
    return d;
}

/* ---- life ---- */

int dhcp4_start(struct stack *s, struct netif *nif, uint32_t previous, uint64_t now)
{
    struct dhcp4_client *c = calloc(1, sizeof *c);
    if (c == NULL)
        return -ENOMEM;
    c->ifindex = nif->index;
    nif->dhcp4 = c;
    /* RFC 2131 4.4.1 asks for a random wait of 1 to 10 s before the
     * first DISCOVER to spread hosts that boot together; a daemon starts
     * alone, so up to 1 s (keyed, as every delay here). */
    uint64_t delay = keyed(s, c, 's') % NS_PER_SEC;
    if (previous != 0 && ip4_is_unicast(previous)) {
        c->previous = previous;
        c->state = D_INIT_REBOOT;
    } else {
        c->state = D_INIT;
    }
    c->timer = now + delay;
    return 0;
}

void dhcp4_free(struct netif *nif)
{
    free(nif->dhcp4);
    nif->dhcp4 = NULL;
}

void stack_dhcp4_release(struct stack *s, uint64_t now)
{
    for (int i = 0; i < s->n_netifs; i++) {
        struct netif *nif = &s->netifs[i];
        struct dhcp4_client *c = nif->dhcp4;
        if (!nif->up || c == NULL)
            continue;
        if (c->installed && (c->state == D_BOUND || c->state == D_RENEWING ||
                             c->state == D_REBINDING)) {
            /* RFC 2131 4.4.6: unicast to the server, ciaddr set, its id. */
            new_exchange(s, c, now);
            send_msg(s, nif, c, DHCP4_RELEASE, c->lease.addr, 0, c->lease.server,
                     c->lease.server, now);
            char a[16];
            stack_log(s, STACK_LOG_INFO, "dhcp: %s: released %s", nif->name,
                      ip4_format(c->lease.addr, a, sizeof a));
        }
        uninstall(s, nif, c);
        set_state(s, nif, c, D_STOPPED);
        c->timer = 0;
    }
}

bool stack_dhcp4_info(const struct stack *s, int ifindex, struct dhcp4_info *out, uint64_t now)
{
    if (ifindex < 0 || ifindex >= s->n_netifs || s->netifs[ifindex].dhcp4 == NULL)
        return false;
    const struct dhcp4_client *c = s->netifs[ifindex].dhcp4;
    memset(out, 0, sizeof *out);
    out->ifindex = ifindex;
    out->state = state_names[c->state];
    if (!c->installed)
        return true;
    const struct dhcp4_lease *l = &c->lease;
    out->addr = l->addr;
    out->prefix_len = l->prefix_len;
    out->server = l->server;
    out->router = l->router;
    out->n_dns = l->n_dns;
    memcpy(out->dns, l->dns, l->n_dns * sizeof l->dns[0]);
    out->mtu = l->mtu;
    out->n_routes = l->n_routes;
    out->lease_s = l->lease_s == UINT32_MAX ? STACK_LIFETIME_FOREVER : l->lease_s;
    out->renew_s = c->state == D_BOUND ? seconds_left(c->t1_at, now) : 0;
    out->rebind_s = c->state == D_BOUND || c->state == D_RENEWING ? seconds_left(c->t2_at, now) : 0;
    out->expires_s = seconds_left(c->expires_at, now);
    return true;
}
