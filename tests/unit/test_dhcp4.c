/* test_dhcp4.c - the DHCPv4 client (core/dhcp4.c) against a scripted
 * server on a fake link with a fake clock: DISCOVER/OFFER/REQUEST/ACK,
 * the RFC 5227 probe, the lease on the interface (address with its
 * lifetime, routes, MTU), renewing at T1 by unicast, rebinding at T2 by
 * broadcast, the address gone at expiry, NAK, a conflict declined,
 * INIT-REBOOT, RELEASE; and hostile servers: every bad message a counted
 * drop that installs nothing. Also the wire codec (wire/dhcp4.c). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "stack/core/stack_impl.h"
#include "stack/wire/arp.h"
#include "stack/wire/dhcp4.h"
#include "tests/unit/support/stack_env.h"

#define SERVER 0x0a4d0001u        /* 10.77.0.1 */
#define LEASED 0x0a4d0032u        /* 10.77.0.50 */
static const struct eth_addr mac_server = {{0x02, 0, 0, 0, 0, 0x01}};

static void dhcp_tweak(struct stack_config *cfg, struct netif_config *n)
{
    (void)cfg;
    n->ipv4_addr = 0;
    n->ipv4_prefix_len = 0;
    n->ipv4_gateway = 0;
    n->dhcp4 = true;
}

static void reboot_tweak(struct stack_config *cfg, struct netif_config *n)
{
    dhcp_tweak(cfg, n);
    n->dhcp4_previous = LEASED;
}

/* ---- what the client sent ---- */

struct sent {
    bool is_dhcp, is_arp;
    uint32_t ip_src, ip_dst;
    struct dhcp4_view m;
    struct arp_view arp;
    uint8_t requested[4];
    bool has_requested;
};

/* Parse frame i of the fake netif. */
static void sent_at(struct stack_env *e, size_t i, struct sent *out)
{
    memset(out, 0, sizeof *out);
    const struct fake_frame *f = fake_netif_frame(&e->nif, i);
    assert_non_null(f);
    struct parsed_frame p;
    assert_int_equal(frame_parse(f->data, f->len, &p), 0);
    if (p.is_arp) {
        out->is_arp = true;
        out->arp = p.arp;
        return;
    }
    if (!p.is_udp || p.udp.dport != DHCP4_SERVER_PORT)
        return;
    out->is_dhcp = true;
    out->ip_src = p.ip.src;
    out->ip_dst = p.ip.dst;
    assert_int_equal(dhcp4_parse(p.udp.payload, p.udp.payload_len, &out->m), WIRE_OK);
    /* Option 50 is not in the view (a client's option): find it. */
    const uint8_t *o = p.udp.payload + DHCP4_MIN_LEN;
    size_t left = p.udp.payload_len - DHCP4_MIN_LEN;
    while (left >= 2 && o[0] != DHCP4_OPT_END) {
        if (o[0] == DHCP4_OPT_PAD) {
            o++, left--;
            continue;
        }
        if (o[0] == DHCP4_OPT_REQUESTED_IP && o[1] == 4) {
            memcpy(out->requested, o + 2, 4);
            out->has_requested = true;
        }
        left -= (size_t)o[1] + 2;
        o += o[1] + 2;
    }
}

static const char *state(struct stack_env *e);

/* The last DHCP message sent (asserts one was). */
static void last_dhcp(struct stack_env *e, struct sent *out)
{
    for (size_t i = e->nif.n; i-- > 0;) {
        sent_at(e, i, out);
        if (out->is_dhcp)
            return;
    }
    fail_msg("no DHCP message sent (%zu frames, %zu total, state %s)", e->nif.n, e->nif.total, state(e));
}

static size_t count_dhcp(struct stack_env *e, uint8_t type)
{
    size_t n = 0;
    struct sent s;
    for (size_t i = 0; i < e->nif.n; i++) {
        sent_at(e, i, &s);
        n += s.is_dhcp && s.m.msg_type == type;
    }
    return n;
}

static void run(struct stack_env *e, uint64_t ns)
{
    for (uint64_t t = 0; t < ns; t += 100 * NS_PER_MS)
        env_advance(e, 100 * NS_PER_MS);
}

/* ---- the scripted server ---- */

struct reply {
    uint8_t type;
    uint32_t xid;
    uint32_t yiaddr;
    struct eth_addr chaddr;
    const uint8_t *opts;          /* raw options after the message type; NULL: the usual */
    size_t opts_len;
    bool no_server_id;
    uint32_t ip_dst;              /* 0: broadcast */
    uint8_t op;                   /* 0: BOOTREPLY */
};

static size_t bootp(uint8_t *b, const struct reply *r)
{
    memset(b, 0, 600);
    b[0] = r->op != 0 ? r->op : DHCP4_BOOTREPLY;
    b[1] = 1;
    b[2] = 6;
    wr32(b + 4, r->xid);
    wr32(b + 16, r->yiaddr);
    wr32(b + 20, SERVER);
    memcpy(b + 28, r->chaddr.b, 6);
    wr32(b + DHCP4_FIXED_LEN, DHCP4_MAGIC);
    size_t off = DHCP4_MIN_LEN;
    b[off++] = DHCP4_OPT_MSG_TYPE, b[off++] = 1, b[off++] = r->type;
    if (!r->no_server_id) {
        b[off++] = DHCP4_OPT_SERVER_ID, b[off++] = 4;
        wr32(b + off, SERVER);
        off += 4;
    }
    if (r->opts != NULL) {
        memcpy(b + off, r->opts, r->opts_len);
        off += r->opts_len;
    } else {
        static const uint8_t usual[] = {
            DHCP4_OPT_SUBNET_MASK, 4, 255, 255, 255, 0,
            DHCP4_OPT_ROUTER, 4, 10, 77, 0, 1,
            DHCP4_OPT_DNS, 8, 10, 77, 0, 53, 10, 77, 0, 54,
            DHCP4_OPT_LEASE_TIME, 4, 0, 0, 0, 120,
        };
        memcpy(b + off, usual, sizeof usual);
        off += sizeof usual;
    }
    b[off++] = DHCP4_OPT_END;
    return off < 300 ? 300 : off;
}

static void serve(struct stack_env *e, const struct reply *r)
{
    uint8_t payload[600], f[FRAME_MAX];
    size_t n = bootp(payload, r);
    uint32_t dst = r->ip_dst != 0 ? r->ip_dst : 0xffffffffu;
    static const struct eth_addr bcast = {{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}};
    size_t len = frame_udp(f, sizeof f, r->ip_dst != 0 ? &env_mac_us : &bcast, &mac_server, SERVER,
                           dst, DHCP4_SERVER_PORT, DHCP4_CLIENT_PORT, payload, n);
    assert_true(len > 0);
    env_input(e, f, len);
}

/* The server ARPs for the leased address: we learn its MAC. */
static void learn_server(struct stack_env *e)
{
    static const struct eth_addr zero = {{0}}, bcast = {{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}};
    uint8_t f[FRAME_MAX];
    size_t n = frame_arp(f, sizeof f, &bcast, &mac_server, ARP_OP_REQUEST, &mac_server, SERVER,
                         &zero, LEASED);
    env_input(e, f, n);
    fake_netif_clear(&e->nif);
}

static struct reply answer(const struct sent *to, uint8_t type)
{
    struct reply r = {.type = type, .xid = to->m.xid, .yiaddr = LEASED, .chaddr = env_mac_us};
    return r;
}

static const char *state(struct stack_env *e)
{
    struct dhcp4_info di;
    assert_true(stack_dhcp4_info(e->s, e->ifindex, &di, e->now));
    return di.state;
}

static bool has_addr(struct stack_env *e, uint32_t a)
{
    struct addr4_info l[8];
    size_t n = stack_addr4_list(e->s, l, 8, e->now);
    for (size_t i = 0; i < n && i < 8; i++)
        if (l[i].addr == a)
            return true;
    return false;
}

/* DISCOVER, OFFER, REQUEST, ACK, probes: bound to 10.77.0.50/24. */
static void bind_ok(struct stack_env *e)
{
    run(e, NS_PER_SEC);
    struct sent d;
    last_dhcp(e, &d);
    assert_int_equal(d.m.msg_type, DHCP4_DISCOVER);
    assert_int_equal(d.ip_src, 0);
    assert_int_equal(d.ip_dst, 0xffffffffu);
    assert_true(d.m.flags & DHCP4_FLAG_BROADCAST);
    assert_memory_equal(d.m.chaddr, env_mac_us.b, 6);
    assert_string_equal(state(e), "selecting");
    struct reply o = answer(&d, DHCP4_OFFER);
    serve(e, &o);
    struct sent q;
    last_dhcp(e, &q);
    assert_int_equal(q.m.msg_type, DHCP4_REQUEST);
    assert_true(q.m.has_server_id);
    assert_int_equal(q.m.server_id, SERVER);
    assert_true(q.has_requested);
    assert_int_equal(rd32(q.requested), LEASED);
    assert_int_equal(q.m.xid, d.m.xid);
    fake_netif_clear(&e->nif);
    struct reply a = answer(&q, DHCP4_ACK);
    serve(e, &a);
    assert_string_equal(state(e), "probing");
    assert_false(has_addr(e, LEASED)); /* not before the probe */
    run(e, 9 * NS_PER_SEC);
    /* RFC 5227 2.1.1: three probes from 0.0.0.0 for the address. */
    size_t probes = 0;
    struct sent s;
    for (size_t i = 0; i < e->nif.n; i++) {
        sent_at(e, i, &s);
        if (s.is_arp && s.arp.spa == 0 && s.arp.tpa == LEASED)
            probes++;
    }
    assert_int_equal(probes, 3);
    assert_string_equal(state(e), "bound");
    assert_true(has_addr(e, LEASED));
}

static void test_dora_and_lease_on_interface(void **state_)
{
    (void)state_;
    struct stack_env *e = env_new(dhcp_tweak, false);
    bind_ok(e);
    struct addr4_info l[4];
    size_t n = stack_addr4_list(e->s, l, 4, e->now);
    assert_int_equal(n, 2);
    assert_true(l[1].dynamic);
    assert_int_equal(l[1].prefix_len, 24);
    assert_true(l[1].valid_s <= 120 && l[1].valid_s >= 110);
    struct stack_route r[8];
    n = stack_route4_list(e->s, r, 8, e->now);
    assert_int_equal(n, 2); /* 10.77.0.0/24 and default via the router */
    assert_int_equal(r[1].prefix_len, 0);
    assert_int_equal(r[1].proto, ROUTE_PROTO_DHCP);
    assert_int_equal(r[1].gateway.u.v4, SERVER);
    struct dhcp4_info di;
    assert_true(stack_dhcp4_info(e->s, e->ifindex, &di, e->now));
    assert_int_equal(di.addr, LEASED);
    assert_int_equal(di.server, SERVER);
    assert_int_equal(di.n_dns, 2);
    assert_int_equal(di.dns[0], 0x0a4d0035u);
    assert_int_equal(di.lease_s, 120);
    assert_true(di.renew_s <= 60);
    assert_int_equal(env_ctr(e, CTR_DHCP4_LEASES_OBTAINED), 1);
    /* Reachable: ARP for the router from the leased address. */
    struct udp_sock *u = udp_sock_open(e->s, NULL, NULL);
    struct ip_endpoint far = env_ep(0x08080808u, 53);
    fake_netif_clear(&e->nif);
    assert_int_equal(udp_sock_sendto(u, "q", 1, &far, e->now), 1);
    struct sent s;
    sent_at(e, 0, &s);
    assert_true(s.is_arp);
    assert_int_equal(s.arp.spa, LEASED);
    assert_int_equal(s.arp.tpa, SERVER);
    udp_sock_close(u);
    env_free(e);
}

/* T1: a unicast REQUEST to the server, ciaddr set; its ACK renews. */
static void test_renew_at_t1(void **state_)
{
    (void)state_;
    struct stack_env *e = env_new(dhcp_tweak, false);
    bind_ok(e);
    learn_server(e); /* the unicast needs its MAC */
    run(e, 60 * NS_PER_SEC); /* T1: half of the 120 s lease */
    assert_string_equal(state(e), "renewing");
    struct sent q;
    last_dhcp(e, &q);
    assert_int_equal(q.m.msg_type, DHCP4_REQUEST);
    assert_int_equal(q.m.ciaddr, LEASED);
    assert_false(q.m.has_server_id); /* RFC 2131 4.3.2: not when renewing */
    assert_int_equal(q.ip_src, LEASED);
    assert_int_equal(q.ip_dst, SERVER); /* unicast */
    struct reply a = answer(&q, DHCP4_ACK);
    a.ip_dst = LEASED;
    serve(e, &a);
    assert_string_equal(state(e), "bound");
    assert_int_equal(env_ctr(e, CTR_DHCP4_LEASES_RENEWED), 1);
    assert_true(has_addr(e, LEASED));
    env_free(e);
}

/* No server: renewing, then rebinding by broadcast at T2, then at
 * expiry the address, its routes and the lease are gone: INIT again. */
static void test_rebind_then_expire(void **state_)
{
    (void)state_;
    struct stack_env *e = env_new(dhcp_tweak, false);
    bind_ok(e);
    run(e, 106 * NS_PER_SEC); /* past T2 = 105 s */
    assert_string_equal(state(e), "rebinding");
    struct sent q;
    last_dhcp(e, &q);
    assert_int_equal(q.m.msg_type, DHCP4_REQUEST);
    assert_int_equal(q.ip_dst, 0xffffffffu);
    assert_int_equal(q.m.ciaddr, LEASED);
    assert_true(has_addr(e, LEASED));
    run(e, 15 * NS_PER_SEC); /* past 120 s */
    assert_false(has_addr(e, LEASED));
    assert_int_equal(stack_route4_list(e->s, NULL, 0, e->now), 0);
    assert_int_equal(env_ctr(e, CTR_DHCP4_LEASES_EXPIRED), 1);
    run(e, 2 * NS_PER_SEC);
    last_dhcp(e, &q);
    assert_int_equal(q.m.msg_type, DHCP4_DISCOVER);
    env_free(e);
}

static void test_nak_while_renewing(void **state_)
{
    (void)state_;
    struct stack_env *e = env_new(dhcp_tweak, false);
    bind_ok(e);
    learn_server(e);
    run(e, 60 * NS_PER_SEC);
    struct sent q;
    last_dhcp(e, &q);
    struct reply n = answer(&q, DHCP4_NAK);
    n.yiaddr = 0;
    n.ip_dst = LEASED;
    serve(e, &n);
    assert_false(has_addr(e, LEASED));
    assert_string_equal(state(e), "init");
    env_free(e);
}

/* RFC 5227: another host answers the probe: DECLINE, INIT after 10 s. */
static void test_conflict_declined(void **state_)
{
    (void)state_;
    struct stack_env *e = env_new(dhcp_tweak, false);
    run(e, NS_PER_SEC);
    struct sent d, q;
    last_dhcp(e, &d);
    struct reply o = answer(&d, DHCP4_OFFER);
    serve(e, &o);
    last_dhcp(e, &q);
    struct reply a = answer(&q, DHCP4_ACK);
    serve(e, &a);
    run(e, 2 * NS_PER_SEC);
    /* 10.77.0.50 is at 02:00:00:00:00:09. */
    static const struct eth_addr other = {{0x02, 0, 0, 0, 0, 0x09}};
    uint8_t f[FRAME_MAX];
    size_t n = frame_arp(f, sizeof f, &env_mac_us, &other, ARP_OP_REPLY, &other, LEASED,
                         &env_mac_us, 0);
    fake_netif_clear(&e->nif);
    env_input(e, f, n);
    assert_int_equal(env_ctr(e, CTR_DHCP4_CONFLICTS), 1);
    last_dhcp(e, &q);
    assert_int_equal(q.m.msg_type, DHCP4_DECLINE);
    assert_true(q.has_requested);
    assert_int_equal(rd32(q.requested), LEASED);
    assert_true(q.m.has_server_id);
    assert_string_equal(state(e), "init");
    assert_false(has_addr(e, LEASED));
    fake_netif_clear(&e->nif);
    run(e, 9 * NS_PER_SEC);
    assert_int_equal(count_dhcp(e, DHCP4_DISCOVER), 0); /* not before 10 s */
    run(e, 2 * NS_PER_SEC);
    assert_int_equal(count_dhcp(e, DHCP4_DISCOVER), 1);
    env_free(e);
}

/* INIT-REBOOT: a REQUEST for the previous address first, no server id. */
static void test_init_reboot(void **state_)
{
    (void)state_;
    struct stack_env *e = env_new(reboot_tweak, false);
    assert_string_equal(state(e), "init-reboot");
    run(e, NS_PER_SEC);
    struct sent q;
    last_dhcp(e, &q);
    assert_int_equal(q.m.msg_type, DHCP4_REQUEST);
    assert_false(q.m.has_server_id);
    assert_int_equal(q.m.ciaddr, 0);
    assert_int_equal(rd32(q.requested), LEASED);
    assert_string_equal(state(e), "rebooting");
    struct reply a = answer(&q, DHCP4_ACK);
    serve(e, &a);
    run(e, 9 * NS_PER_SEC);
    assert_string_equal(state(e), "bound");
    assert_true(has_addr(e, LEASED));
    env_free(e);
}

/* A clean stop: RELEASE to the server, the address removed. */
static void test_release(void **state_)
{
    (void)state_;
    struct stack_env *e = env_new(dhcp_tweak, false);
    bind_ok(e);
    fake_netif_clear(&e->nif);
    stack_dhcp4_release(e->s, e->now);
    struct sent r;
    last_dhcp(e, &r);
    assert_int_equal(r.m.msg_type, DHCP4_RELEASE);
    assert_int_equal(r.m.ciaddr, LEASED);
    assert_int_equal(r.ip_dst, SERVER);
    assert_true(r.m.has_server_id);
    assert_false(has_addr(e, LEASED));
    assert_string_equal(state(e), "stopped");
    env_free(e);
}

/* RFC 3442 routes replace the router option; MTU lowers the interface's,
 * and the interface gets it back when the lease goes. */
static void test_classless_routes_and_mtu(void **state_)
{
    (void)state_;
    struct stack_env *e = env_new(dhcp_tweak, false);
    run(e, NS_PER_SEC);
    struct sent d, q;
    last_dhcp(e, &d);
    static const uint8_t opts[] = {
        DHCP4_OPT_SUBNET_MASK, 4, 255, 255, 255, 0,
        DHCP4_OPT_ROUTER, 4, 10, 77, 0, 99, /* ignored: 121 is given */
        DHCP4_OPT_LEASE_TIME, 4, 0, 0, 0x0e, 0x10,
        DHCP4_OPT_MTU, 2, 0x05, 0x00, /* 1280 */
        DHCP4_OPT_CLASSLESS_ROUTES, 18,
        16, 10, 99, 10, 77, 0, 254, /* 10.99.0.0/16 via 10.77.0.254 */
        0, 10, 77, 0, 1,            /* default via 10.77.0.1 */
        8, 10, 192, 0, 2, 1,        /* 10/8 via 192.0.2.1: off-link, ignored */
    };
    struct reply o = answer(&d, DHCP4_OFFER);
    o.opts = opts;
    o.opts_len = sizeof opts;
    serve(e, &o);
    last_dhcp(e, &q);
    struct reply a = answer(&q, DHCP4_ACK);
    a.opts = opts;
    a.opts_len = sizeof opts;
    serve(e, &a);
    run(e, 9 * NS_PER_SEC);
    assert_string_equal(state(e), "bound");
    struct stack_route r[8];
    size_t n = stack_route4_list(e->s, r, 8, e->now);
    assert_int_equal(n, 3);
    assert_int_equal(r[1].dst.u.v4, 0x0a630000u);
    assert_int_equal(r[1].gateway.u.v4, 0x0a4d00feu);
    assert_int_equal(r[2].prefix_len, 0);
    assert_int_equal(r[2].gateway.u.v4, SERVER);
    assert_true(env_ctr(e, CTR_DHCP4_OPTIONS_IGNORED) >= 1);
    struct netif_info ni[2];
    stack_netif_list(e->s, ni, 2);
    assert_int_equal(ni[1].mtu, 1280);
    stack_dhcp4_release(e->s, e->now);
    stack_netif_list(e->s, ni, 2);
    assert_int_equal(ni[1].mtu, ENV_MTU);
    env_free(e);
}

/* Hostile or broken servers: each message dropped and counted, nothing
 * installed, the client still waiting for a good one. */
static void test_hostile_offers(void **state_)
{
    (void)state_;
    struct stack_env *e = env_new(dhcp_tweak, false);
    run(e, NS_PER_SEC);
    struct sent d;
    last_dhcp(e, &d);
    struct reply r;

    r = answer(&d, DHCP4_OFFER);
    r.xid ^= 1;
    serve(e, &r);
    r = answer(&d, DHCP4_OFFER);
    r.chaddr.b[5] ^= 1;
    serve(e, &r);
    r = answer(&d, DHCP4_OFFER);
    r.op = DHCP4_BOOTREQUEST;
    serve(e, &r);
    assert_int_equal(env_ctr(e, CTR_DHCP4_RX_DROP_NOT_OURS), 3);

    static const uint32_t bad_addrs[] = {0, 0x7f000001u, 0xe0000001u, 0xf0000001u, 0xffffffffu,
                                         0x0a4d0000u, 0x0a4d00ffu, 0x0a4d0002u - 2};
    for (size_t i = 0; i < sizeof bad_addrs / sizeof bad_addrs[0]; i++) {
        r = answer(&d, DHCP4_OFFER);
        r.yiaddr = bad_addrs[i];
        serve(e, &r);
    }
    r = answer(&d, DHCP4_OFFER);
    r.no_server_id = true;
    serve(e, &r);
    uint64_t bad = env_ctr(e, CTR_DHCP4_RX_DROP_BAD_LEASE);
    assert_int_equal(bad, sizeof bad_addrs / sizeof bad_addrs[0] + 1);

    /* An option running past the end; a message too short; no cookie. */
    static const uint8_t past[] = {DHCP4_OPT_DNS, 200, 1, 2, 3, 4};
    r = answer(&d, DHCP4_OFFER);
    r.opts = past;
    r.opts_len = sizeof past;
    serve(e, &r);
    uint8_t f[FRAME_MAX];
    static const uint8_t shortmsg[100];
    static const struct eth_addr bcast = {{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}};
    size_t n = frame_udp(f, sizeof f, &bcast, &mac_server, SERVER, 0xffffffffu, 67, 68, shortmsg,
                         sizeof shortmsg);
    env_input(e, f, n);
    uint8_t nocookie[300] = {DHCP4_BOOTREPLY, 1, 6};
    n = frame_udp(f, sizeof f, &bcast, &mac_server, SERVER, 0xffffffffu, 67, 68, nocookie,
                  sizeof nocookie);
    env_input(e, f, n);
    assert_int_equal(env_ctr(e, CTR_DHCP4_RX_DROP_MALFORMED), 3);

    /* Messages the state does not wait for: an ACK, a NAK, a DHCPINFORM. */
    r = answer(&d, DHCP4_ACK);
    serve(e, &r);
    r = answer(&d, DHCP4_NAK);
    serve(e, &r);
    r = answer(&d, DHCP4_INFORM);
    serve(e, &r);
    assert_int_equal(env_ctr(e, CTR_DHCP4_RX_DROP_UNEXPECTED), 3);
    assert_string_equal(state(e), "selecting");
    assert_int_equal(stack_addr4_list(e->s, NULL, 0, e->now), 1); /* lo only */

    /* Malformed options are ignored, the offer itself taken: a mask with
     * a hole (a classful /8 then), an MTU below 68. */
    static const uint8_t odd[] = {DHCP4_OPT_SUBNET_MASK, 4, 255, 0, 255, 0,
                                  DHCP4_OPT_MTU, 2, 0, 10,
                                  DHCP4_OPT_CLASSLESS_ROUTES, 3, 33, 1, 2};
    r = answer(&d, DHCP4_OFFER);
    r.opts = odd;
    r.opts_len = sizeof odd;
    serve(e, &r);
    assert_string_equal(state(e), "requesting");
    assert_true(env_ctr(e, CTR_DHCP4_OPTIONS_IGNORED) >= 1);
    /* An ACK for another address than the one requested. */
    struct sent q;
    last_dhcp(e, &q);
    r = answer(&q, DHCP4_ACK);
    r.yiaddr = LEASED + 1;
    serve(e, &r);
    assert_int_equal(env_ctr(e, CTR_DHCP4_RX_DROP_BAD_LEASE), bad + 1);
    assert_string_equal(state(e), "requesting");
    env_free(e);
}

/* The wire codec on its own. */
static void test_wire(void **state_)
{
    (void)state_;
    uint8_t b[600];
    struct reply r = {.type = DHCP4_OFFER, .xid = 7, .yiaddr = LEASED, .chaddr = env_mac_us};
    size_t n = bootp(b, &r);
    struct dhcp4_view m;
    assert_int_equal(dhcp4_parse(b, n, &m), WIRE_OK);
    assert_int_equal(m.msg_type, DHCP4_OFFER);
    assert_int_equal(m.prefix_len, 24);
    assert_int_equal(m.n_dns, 2);
    assert_int_equal(m.lease_s, 120);
    for (size_t len = 0; len < DHCP4_MIN_LEN; len++)
        assert_int_equal(dhcp4_parse(b, len, &m), WIRE_ETRUNC);
    /* Every cut of the options: never past the end, never a crash. */
    for (size_t len = DHCP4_MIN_LEN; len < n; len++)
        (void)dhcp4_parse(b, len, &m);
    /* A length byte missing at the very end. */
    b[DHCP4_MIN_LEN] = DHCP4_OPT_DNS;
    assert_int_equal(dhcp4_parse(b, DHCP4_MIN_LEN + 1, &m), WIRE_EBADHDR);
    /* RFC 3442 entries: width 33, a truncated router, host bits set. */
    static const struct {
        uint8_t opt[12];
        size_t len;
    } bad[] = {
        {{33, 1, 2, 3, 4, 5, 10, 0, 0, 1}, 10},
        {{8, 10, 10, 77, 0}, 5},
        {{7, 11, 10, 77, 0, 1}, 6}, /* 11/7: a host bit set */
        {{24, 10, 0, 0, 10, 77, 0, 1, 0}, 9},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        uint8_t o[16] = {DHCP4_OPT_CLASSLESS_ROUTES, (uint8_t)bad[i].len};
        memcpy(o + 2, bad[i].opt, bad[i].len);
        struct reply rr = r;
        rr.opts = o;
        rr.opts_len = bad[i].len + 2;
        n = bootp(b, &rr);
        assert_int_equal(dhcp4_parse(b, n, &m), WIRE_OK);
        assert_false(m.has_routes);
        assert_true(m.bad & DHCP4_BAD_ROUTES);
    }
    /* The client's messages: 300 bytes, cookie, type, client id. */
    struct dhcp4_emit_args a = {.msg_type = DHCP4_DISCOVER, .xid = 9, .chaddr = env_mac_us,
                                .param_list = true, .broadcast = true};
    assert_int_equal(dhcp4_emit(b, 100, &a), 0);
    n = dhcp4_emit(b, sizeof b, &a);
    assert_int_equal(n, 300);
    assert_int_equal(dhcp4_parse(b, n, &m), WIRE_OK);
    assert_int_equal(m.op, DHCP4_BOOTREQUEST);
    assert_int_equal(m.msg_type, DHCP4_DISCOVER);
    assert_int_equal(m.flags, DHCP4_FLAG_BROADCAST);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dora_and_lease_on_interface),
        cmocka_unit_test(test_renew_at_t1),
        cmocka_unit_test(test_rebind_then_expire),
        cmocka_unit_test(test_nak_while_renewing),
        cmocka_unit_test(test_conflict_declined),
        cmocka_unit_test(test_init_reboot),
        cmocka_unit_test(test_release),
        cmocka_unit_test(test_classless_routes_and_mtu),
        cmocka_unit_test(test_hostile_offers),
        cmocka_unit_test(test_wire),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
