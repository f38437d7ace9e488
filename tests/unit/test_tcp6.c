/* test_tcp6.c - TCP sockets of the IPv6 family over the IPv4 wire: dual
 * stack (RFC 3493 3.7: a listener on [::] takes IPv4 connections shown
 * as ::ffff:a.b.c.d), IPV6_V6ONLY (RFC 3493 5.3) with Linux's errnos,
 * port sharing between families, connect to an IPv4-mapped address, and
 * the IPv6 MSS (RFC 8200 5: MTU - 60). The peer is the scripted one of
 * tcp_peer.h (IPv4, 10.77.0.9). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "stack/core/stack_impl.h"
#include "stack/sock/sock_addr.h"
#include "stack/sock/tcp_impl.h"
#include "tests/unit/support/tcp_peer.h"

static struct ip_addr v6(const char *text)
{
    struct ip_addr a;
    memset(&a, 0, sizeof a);
    a.family = IP_FAMILY_V6;
    assert_int_equal(ip6_parse(text, a.u.v6), 0);
    return a;
}

static struct ip_endpoint ep6(const char *text, uint16_t port)
{
    struct ip_endpoint ep;
    memset(&ep, 0, sizeof ep);
    ep.addr = v6(text);
    ep.port = port;
    return ep;
}

static struct tcp_sock *sock6(struct stack_env *e)
{
    struct tcp_sock *ts = tcp_sock_open(e->s, NULL, NULL);
    assert_non_null(ts);
    assert_int_equal(tcp_sock_set_family(ts, IP_FAMILY_V6), 0);
    return ts;
}

static struct tcp_sock *listen6(struct stack_env *e, uint16_t port, bool v6only)
{
    struct tcp_sock *l = sock6(e);
    if (v6only)
        assert_int_equal(tcp_sock_setopt(l, TCP_OPT_V6ONLY, 1), 0);
    struct ip_endpoint any = ep6("::", port);
    assert_int_equal(tcp_sock_bind(l, &any), 0);
    assert_int_equal(tcp_sock_listen(l, 8), 0);
    return l;
}

static void assert_ep6(const struct ip_endpoint *ep, const char *text, uint16_t port)
{
    struct ip_addr want = v6(text);
    assert_int_equal(ep->addr.family, IP_FAMILY_V6);
    assert_memory_equal(ep->addr.u.v6, want.u.v6, 16);
    assert_int_equal(ep->port, port);
}

/* An unbound IPv6 socket is named [::]:0, like Linux's. */
static void test_unbound_name(void **state)
{
    (void)state;
    struct stack_env *e = tp_env(NULL);
    struct tcp_sock *ts = sock6(e);
    struct ip_endpoint n;
    assert_int_equal(tcp_sock_getsockname(ts, &n), 0);
    assert_ep6(&n, "::", 0);
    int v = -1;
    assert_int_equal(tcp_sock_getopt(ts, TCP_OPT_V6ONLY, &v), 0);
    assert_int_equal(v, 0); /* Linux's default (net.ipv6.bindv6only = 0) */
    tcp_sock_close(ts, e->now);
    env_free(e);
}

/* [::]:80 without V6ONLY accepts an IPv4 SYN; the wire stays IPv4, the
 * names are IPv4-mapped. */
static void test_dual_stack_accept(void **state)
{
    (void)state;
    struct stack_env *e = tp_env(NULL);
    struct tcp_sock *l = listen6(e, 80, false);
    struct tcp_options o = tp_linux_syn_options(1000);
    struct tp_out sa;
    struct tcp_sock *c = tp_accept_conn(e, l, 80, 5000, &o, &sa);
    assert_int_equal(sa.src, ENV_IP_US); /* answered over IPv4 */
    assert_int_equal(sa.dst, ENV_IP_PEER);
    assert_int_equal(sa.t.opt.mss, 1460); /* the IPv4 MSS: the wire is IPv4 */

    struct ip_endpoint n;
    assert_int_equal(tcp_sock_getsockname(c, &n), 0);
    assert_ep6(&n, "::ffff:10.77.0.2", 80);
    assert_int_equal(tcp_sock_getpeername(c, &n), 0);
    assert_ep6(&n, "::ffff:10.77.0.9", TP_PEER_PORT);
    struct tcp_conn_info info;
    tcp_sock_info(c, &info);
    assert_ep6(&info.remote, "::ffff:10.77.0.9", TP_PEER_PORT);
    /* The listener still shows [::]. */
    assert_int_equal(tcp_sock_getsockname(l, &n), 0);
    assert_ep6(&n, "::", 80);

    /* Data flows as on any connection. */
    struct tcp_options ts = {.has_ts = true, .ts_val = 1002, .ts_ecr = sa.t.opt.ts_val};
    tp_send(e, &(struct tp_seg){.dport = 80, .seq = 5001, .ack = sa.t.seq + 1,
                                .flags = TCP_FLAG_ACK | TCP_FLAG_PSH, .opt = &ts,
                                .payload = "ping", .len = 4});
    char buf[8];
    assert_int_equal(tcp_sock_recv(c, buf, sizeof buf, e->now), 4);
    assert_memory_equal(buf, "ping", 4);
    tcp_sock_close(c, e->now);
    tcp_sock_close(l, e->now);
    env_free(e);
}

/* V6ONLY: the same listener refuses IPv4 (RST, no socket). */
static void test_v6only_listener_refuses_ipv4(void **state)
{
    (void)state;
    struct stack_env *e = tp_env(NULL);
    struct tcp_sock *l = listen6(e, 80, true);
    tp_send(e, &(struct tp_seg){.dport = 80, .seq = 7, .flags = TCP_FLAG_SYN});
    struct tp_out r;
    tp_take(e, &r);
    assert_true(r.t.flags & TCP_FLAG_RST);
    assert_int_equal(env_ctr(e, CTR_TCP_RX_NO_SOCKET), 1);
    tcp_sock_close(l, e->now);
    env_free(e);
}

/* Linux's errnos: V6ONLY on an IPv4 socket is ENOPROTOOPT, after bind
 * EINVAL; an IPv4-mapped bind on a V6ONLY socket EINVAL; the other
 * family's address EAFNOSUPPORT. */
static void test_option_errors(void **state)
{
    (void)state;
    struct stack_env *e = tp_env(NULL);
    struct tcp_sock *t4 = tcp_sock_open(e->s, NULL, NULL);
    assert_int_equal(tcp_sock_set_family(t4, IP_FAMILY_V4), 0);
    assert_int_equal(tcp_sock_setopt(t4, TCP_OPT_V6ONLY, 1), -ENOPROTOOPT);
    struct ip_endpoint any6 = ep6("::", 81);
    assert_int_equal(tcp_sock_bind(t4, &any6), -EAFNOSUPPORT);

    struct tcp_sock *t6 = sock6(e);
    assert_int_equal(tcp_sock_setopt(t6, TCP_OPT_V6ONLY, 1), 0);
    struct ip_endpoint mapped = ep6("::ffff:10.77.0.2", 82);
    assert_int_equal(tcp_sock_bind(t6, &mapped), -EINVAL);
    struct ip_endpoint four = env_ep(ENV_IP_US, 82);
    assert_int_equal(tcp_sock_bind(t6, &four), -EAFNOSUPPORT);
    assert_int_equal(tcp_sock_bind(t6, &any6), 0);
    assert_int_equal(tcp_sock_setopt(t6, TCP_OPT_V6ONLY, 0), -EINVAL);
    assert_int_equal(tcp_sock_set_family(t6, IP_FAMILY_V4), -EINVAL);
    tcp_sock_close(t4, e->now);
    tcp_sock_close(t6, e->now);
    env_free(e);
}

/* 0.0.0.0:80 and a dual-stack [::]:80 overlap (EADDRINUSE, as Linux);
 * with V6ONLY they share the port and IPv4 goes to the IPv4 socket. */
static void test_port_sharing(void **state)
{
    (void)state;
    struct stack_env *e = tp_env(NULL);
    struct tcp_sock *l4 = tp_listen(e, 80, 8);
    struct tcp_sock *dual = sock6(e);
    struct ip_endpoint any6 = ep6("::", 80);
    assert_int_equal(tcp_sock_bind(dual, &any6), -EADDRINUSE);
    struct tcp_sock *only6 = sock6(e);
    assert_int_equal(tcp_sock_setopt(only6, TCP_OPT_V6ONLY, 1), 0);
    assert_int_equal(tcp_sock_bind(only6, &any6), 0);
    assert_int_equal(tcp_sock_listen(only6, 8), 0);

    struct tcp_sock *c = tp_accept_conn(e, l4, 80, 100, NULL, NULL);
    struct ip_endpoint n;
    assert_int_equal(tcp_sock_getpeername(c, &n), 0);
    assert_int_equal(n.addr.family, IP_FAMILY_V4); /* an IPv4 socket's peer */
    assert_int_equal(n.addr.u.v4, ENV_IP_PEER);
    tcp_sock_close(c, e->now);
    tcp_sock_close(l4, e->now);
    tcp_sock_close(only6, e->now);

    /* The other order: the dual-stack listener first, then 0.0.0.0. */
    struct tcp_sock *l6 = listen6(e, 90, false);
    struct tcp_sock *t4 = tcp_sock_open(e->s, NULL, NULL);
    struct ip_endpoint any4 = env_ep(0, 90);
    assert_int_equal(tcp_sock_bind(t4, &any4), -EADDRINUSE);
    struct ip_endpoint us4 = env_ep(ENV_IP_US, 90);
    assert_int_equal(tcp_sock_bind(t4, &us4), -EADDRINUSE);
    tcp_sock_close(t4, e->now);
    tcp_sock_close(l6, e->now);
    tcp_sock_close(dual, e->now);
    env_free(e);
}

/* A listener bound to ::ffff:10.77.0.2 is an IPv4 listener of an IPv6
 * socket; the exact address beats the dual-stack wildcard. */
static void test_mapped_bind_is_exact(void **state)
{
    (void)state;
    struct stack_env *e = tp_env(NULL);
    struct tcp_sock *wild = listen6(e, 80, true); /* v6only: no overlap */
    struct tcp_sock *m = sock6(e);
    struct ip_endpoint mapped = ep6("::ffff:10.77.0.2", 80);
    assert_int_equal(tcp_sock_bind(m, &mapped), 0);
    assert_int_equal(tcp_sock_listen(m, 8), 0);
    struct ip_endpoint n;
    assert_int_equal(tcp_sock_getsockname(m, &n), 0);
    assert_ep6(&n, "::ffff:10.77.0.2", 80);
    struct tcp_sock *c = tp_accept_conn(e, m, 80, 100, NULL, NULL);
    assert_int_equal(tcp_sock_getpeername(c, &n), 0);
    assert_ep6(&n, "::ffff:10.77.0.9", TP_PEER_PORT);
    /* Not our address: EADDRNOTAVAIL as for IPv4. */
    struct tcp_sock *x = sock6(e);
    struct ip_endpoint other = ep6("::ffff:10.77.0.77", 81);
    assert_int_equal(tcp_sock_bind(x, &other), -EADDRNOTAVAIL);
    tcp_sock_close(x, e->now);
    tcp_sock_close(c, e->now);
    tcp_sock_close(m, e->now);
    tcp_sock_close(wild, e->now);
    env_free(e);
}

/* connect(::ffff:10.77.0.9) from an IPv6 socket is an IPv4 connection;
 * on a V6ONLY socket ENETUNREACH, as Linux. */
static void test_connect_mapped(void **state)
{
    (void)state;
    struct stack_env *e = tp_env(NULL);
    struct tcp_sock *no = sock6(e);
    assert_int_equal(tcp_sock_setopt(no, TCP_OPT_V6ONLY, 1), 0);
    struct ip_endpoint to = ep6("::ffff:10.77.0.9", TP_PEER_PORT);
    assert_int_equal(tcp_sock_connect(no, &to, e->now), -ENETUNREACH);
    assert_int_equal(tp_pending(e), 0);

    struct tcp_sock *c = sock6(e);
    assert_int_equal(tcp_sock_connect(c, &to, e->now), -EINPROGRESS);
    struct tp_out syn;
    tp_take(e, &syn);
    assert_int_equal(syn.t.flags, TCP_FLAG_SYN);
    assert_int_equal(syn.src, ENV_IP_US);
    assert_int_equal(syn.dst, ENV_IP_PEER);
    assert_int_equal(syn.t.opt.mss, 1460);
    tp_send(e, &(struct tp_seg){.dport = syn.t.sport, .seq = 900, .ack = syn.t.seq + 1,
                                .flags = TCP_FLAG_SYN | TCP_FLAG_ACK});
    assert_int_equal(tcp_sock_state(c), TCP_ESTABLISHED);
    struct ip_endpoint n;
    assert_int_equal(tcp_sock_getsockname(c, &n), 0);
    assert_ep6(&n, "::ffff:10.77.0.2", syn.t.sport);
    assert_int_equal(tcp_sock_getpeername(c, &n), 0);
    assert_ep6(&n, "::ffff:10.77.0.9", TP_PEER_PORT);
    /* Multicast is no TCP destination in either family. */
    struct tcp_sock *mc = sock6(e);
    struct ip_endpoint group = ep6("ff02::1", 80);
    assert_int_equal(tcp_sock_connect(mc, &group, e->now), -ENETUNREACH);
    tcp_sock_close(mc, e->now);
    tcp_sock_close(c, e->now);
    tcp_sock_close(no, e->now);
    env_free(e);
}

/* A family-less socket takes the family of its first address: an IPv6
 * bind makes it an IPv6 socket (dual stack by default). */
static void test_family_from_bind(void **state)
{
    (void)state;
    struct stack_env *e = tp_env(NULL);
    struct tcp_sock *l = tcp_sock_open(e->s, NULL, NULL);
    struct ip_endpoint any6 = ep6("::", 80);
    assert_int_equal(tcp_sock_bind(l, &any6), 0);
    assert_int_equal(tcp_sock_listen(l, 8), 0);
    struct tcp_sock *c = tp_accept_conn(e, l, 80, 1, NULL, NULL);
    struct ip_endpoint n;
    assert_int_equal(tcp_sock_getpeername(c, &n), 0);
    assert_ep6(&n, "::ffff:10.77.0.9", TP_PEER_PORT);
    tcp_sock_close(c, e->now);
    tcp_sock_close(l, e->now);
    env_free(e);
}

/* RFC 8200 5 / RFC 9293 3.7.1: the IPv6 MSS is the MTU less 60, the
 * IPv4 one less 40; an RA's lower MTU (RFC 4861 6.3.4) counts, but never
 * below IPv6's 1280. */
static void test_mtu_mss(void **state)
{
    (void)state;
    struct netif nif;
    memset(&nif, 0, sizeof nif);
    nif.mtu = 1500;
    assert_int_equal(tcp_mtu_mss(&nif, IP_FAMILY_V4), 1460);
    assert_int_equal(tcp_mtu_mss(&nif, IP_FAMILY_V6), 1440);
    nif.mtu6 = 1400;
    assert_int_equal(tcp_mtu_mss(&nif, IP_FAMILY_V6), 1340);
    assert_int_equal(tcp_mtu_mss(&nif, IP_FAMILY_V4), 1460);
    nif.mtu6 = 1000;
    assert_int_equal(tcp_mtu_mss(&nif, IP_FAMILY_V6), 1220);
}

/* The mapping helpers themselves. */
static void test_sock_addr_helpers(void **state)
{
    (void)state;
    struct ip_addr m = v6("::ffff:10.77.0.9");
    assert_true(sock_addr_is_v4_mapped(&m));
    struct ip_addr w = sock_addr_unmap(&m);
    assert_int_equal(w.family, IP_FAMILY_V4);
    assert_int_equal(w.u.v4, ENV_IP_PEER);
    struct ip_addr back = sock_addr_map(&w);
    assert_true(ip_addr_eq(&back, &m));
    struct ip_addr g = v6("2001:db8::1");
    assert_false(sock_addr_is_v4_mapped(&g));
    struct ip_addr any6 = v6("::"), any4 = ip_addr_v4(0), us4 = ip_addr_v4(ENV_IP_US);
    /* coverage: dual-stack wildcard covers IPv4, V6ONLY does not */
    assert_true(sock_addr_covers(&any6, IP_FAMILY_V6, false, &us4));
    assert_false(sock_addr_covers(&any6, IP_FAMILY_V6, true, &us4));
    assert_false(sock_addr_covers(&any4, IP_FAMILY_V4, false, &g));
    assert_true(sock_addr_overlap(&any6, IP_FAMILY_V6, false, &us4, IP_FAMILY_V4, false));
    assert_false(sock_addr_overlap(&any6, IP_FAMILY_V6, true, &any4, IP_FAMILY_V4, false));
    assert_false(sock_addr_overlap(&g, IP_FAMILY_V6, false, &any4, IP_FAMILY_V4, false));
    assert_int_equal(sock_addr_rank(&us4, IP_FAMILY_V6, false, &us4), 0);
    assert_int_equal(sock_addr_rank(&any4, IP_FAMILY_V4, false, &us4), 1);
    assert_int_equal(sock_addr_rank(&any6, IP_FAMILY_V6, false, &us4), 2);
    uint8_t fam = IP_FAMILY_V4;
    assert_int_equal(sock_addr_in(&fam, false, &m, &w), -EAFNOSUPPORT);
    fam = IP_FAMILY_V6;
    assert_int_equal(sock_addr_in(&fam, true, &m, &w), -ENETUNREACH);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_unbound_name),
        cmocka_unit_test(test_dual_stack_accept),
        cmocka_unit_test(test_v6only_listener_refuses_ipv4),
        cmocka_unit_test(test_option_errors),
        cmocka_unit_test(test_port_sharing),
        cmocka_unit_test(test_mapped_bind_is_exact),
        cmocka_unit_test(test_connect_mapped),
        cmocka_unit_test(test_family_from_bind),
        cmocka_unit_test(test_mtu_mss),
        cmocka_unit_test(test_sock_addr_helpers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
