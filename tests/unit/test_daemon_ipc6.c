/* test_daemon_ipc6.c - AF_INET6 sockets through tcpipd's IPC server
 * (ipc/PROTOCOL.md 6.1, 6.6): an IPv6 listener on [::] accepts an IPv4
 * connection and names its peer ::ffff:a.b.c.d (RFC 3493 3.7); an IPv6
 * UDP socket on [::] receives IPv4 datagrams from ::ffff:a.b.c.d and
 * answers to that address over IPv4; IPV6_V6ONLY reaches the stack with
 * Linux's errnos. The fixture's stacks talk IPv4 (daemon_ipc_fixture.h). */
#include "tests/unit/support/daemon_ipc_fixture.h"

static struct ipc_endpoint ep6_mapped(uint32_t ip, uint16_t port)
{
    struct ipc_endpoint ep;
    memset(&ep, 0, sizeof ep);
    ep.family = IPC_AF_INET6;
    ep.port = port;
    ep.addr[10] = ep.addr[11] = 0xff;
    ep.addr[12] = (uint8_t)(ip >> 24);
    ep.addr[13] = (uint8_t)(ip >> 16);
    ep.addr[14] = (uint8_t)(ip >> 8);
    ep.addr[15] = (uint8_t)ip;
    return ep;
}

static struct ipc_endpoint ep6_any(uint16_t port)
{
    struct ipc_endpoint ep;
    memset(&ep, 0, sizeof ep);
    ep.family = IPC_AF_INET6;
    ep.port = port;
    return ep;
}

/* One message from fd with an fd attached (OPEN's reply, an ACCEPT). */
static size_t recv_with_fd(struct fixture *f, int fd, uint8_t *buf, size_t cap, int *passed)
{
    union {
        struct cmsghdr h;
        char b[CMSG_SPACE(sizeof(int))];
    } cm;
    *passed = -1;
    assert_true(dipc_pump_until_readable(f, fd));
    struct iovec iov = {.iov_base = buf, .iov_len = cap};
    struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = cm.b,
                        .msg_controllen = sizeof cm.b};
    ssize_t n = recvmsg(fd, &mh, MSG_CMSG_CLOEXEC);
    assert_true(n > 0);
    struct cmsghdr *h = CMSG_FIRSTHDR(&mh);
    if (h != NULL && h->cmsg_type == SCM_RIGHTS)
        memcpy(passed, CMSG_DATA(h), sizeof(int));
    return (size_t)n;
}

/* OPEN an AF_INET6 socket: the data fd (non-blocking). */
static int open6(struct fixture *f, int ctl, uint8_t proto)
{
    uint8_t buf[IPC_MAX_MSG];
    struct ipc_open o = {.proto = proto, .family = IPC_AF_INET6};
    dipc_send_bytes(ctl, buf, ipc_encode_open(buf, sizeof buf, &o));
    int data;
    size_t n = recv_with_fd(f, ctl, buf, sizeof buf, &data);
    struct ipc_reply r;
    assert_int_equal(ipc_decode_reply(buf, n, &r), (int)n);
    assert_int_equal(r.err, 0);
    assert_int_equal(r.local.family, IPC_AF_INET6);
    assert_true(data >= 0);
    assert_int_equal(fcntl(data, F_SETFL, O_NONBLOCK), 0);
    return data;
}

static struct ipc_reply opt_req(struct fixture *f, int ctl, int fd, uint8_t type, uint32_t name,
                                int32_t value)
{
    return dipc_opt_req(f, ctl, fd, type, name, value);
}

static void peer_event(void *user, struct tcp_sock *ts, int events)
{
    (void)user;
    (void)ts;
    (void)events;
}

static void test_tcp_dual_stack_accept(void **state)
{
    struct fixture *f = *state;
    dipc_start(f);
    int ctl = dipc_ctl_connect(f);
    int lfd = open6(f, ctl, IPC_PROTO_TCP);
    struct ipc_reply r = opt_req(f, ctl, lfd, IPC_OP_GETOPT, IPC_IPV6_V6ONLY, 0);
    assert_int_equal(r.err, 0);
    assert_int_equal(r.value, 0);
    r = dipc_addr_req(f, ctl, lfd, IPC_OP_BIND, ep6_any(8080));
    assert_int_equal(r.err, 0);
    assert_int_equal(r.local.family, IPC_AF_INET6);
    assert_int_equal(r.local.port, 8080);
    uint8_t buf[IPC_MAX_MSG];
    struct ipc_listen l = {.backlog = 4};
    r = dipc_request(f, ctl, lfd, buf, ipc_encode_listen(buf, sizeof buf, &l));
    assert_int_equal(r.err, 0);
    /* Bound: V6ONLY can no longer change (Linux: EINVAL). */
    r = opt_req(f, ctl, lfd, IPC_OP_SETOPT, IPC_IPV6_V6ONLY, 1);
    assert_int_equal(r.err, EINVAL);

    struct tcp_sock *p = tcp_sock_open(f->peer, peer_event, NULL);
    struct ip_endpoint dst = {.addr = ip_addr_v4(DAEMON_IP), .port = 8080};
    assert_int_equal(tcp_sock_connect(p, &dst, f->now), -EINPROGRESS);
    int afd;
    size_t n = recv_with_fd(f, lfd, buf, sizeof buf, &afd);
    struct ipc_accept a;
    assert_int_equal(ipc_decode_accept(buf, n, &a), (int)n);
    assert_true(afd >= 0);
    struct ipc_endpoint want_remote = ep6_mapped(PEER_IP, 0);
    assert_int_equal(a.remote.family, IPC_AF_INET6);
    assert_memory_equal(a.remote.addr, want_remote.addr, 16);
    struct ipc_endpoint want_local = ep6_mapped(DAEMON_IP, 8080);
    assert_int_equal(a.local.family, IPC_AF_INET6);
    assert_memory_equal(a.local.addr, want_local.addr, 16);
    assert_int_equal(a.local.port, 8080);

    /* Bytes flow over the IPv4 wire. */
    dipc_send_bytes(afd, "hi6", 3);
    char in[8];
    long got = -EAGAIN;
    for (int i = 0; i < 1000 && got == -EAGAIN; i++) {
        dipc_pump(f);
        got = tcp_sock_recv(p, in, sizeof in, f->now);
    }
    assert_int_equal(got, 3);
    assert_memory_equal(in, "hi6", 3);
    close(afd);
    close(lfd);
    close(ctl);
    dipc_pump_n(f, 50);
    tcp_sock_abort(p, f->now);
}

/* V6ONLY set before bind: an IPv4 connection finds no listener. On an
 * AF_INET socket the option does not exist (ENOPROTOOPT). */
static void test_tcp_v6only(void **state)
{
    struct fixture *f = *state;
    dipc_start(f);
    int c4 = dipc_ctl_connect(f), d4;
    assert_int_equal(dipc_open_sock(f, c4, IPC_PROTO_TCP, &d4), 0);
    struct ipc_reply r = opt_req(f, c4, d4, IPC_OP_SETOPT, IPC_IPV6_V6ONLY, 1);
    assert_int_equal(r.err, ENOPROTOOPT);

    int ctl = dipc_ctl_connect(f);
    int lfd = open6(f, ctl, IPC_PROTO_TCP);
    r = opt_req(f, ctl, lfd, IPC_OP_SETOPT, IPC_IPV6_V6ONLY, 1);
    assert_int_equal(r.err, 0);
    r = opt_req(f, ctl, lfd, IPC_OP_GETOPT, IPC_IPV6_V6ONLY, 0);
    assert_int_equal(r.value, 1);
    r = dipc_addr_req(f, ctl, lfd, IPC_OP_BIND, ep6_any(8081));
    assert_int_equal(r.err, 0);
    uint8_t buf[IPC_MAX_MSG];
    struct ipc_listen l = {.backlog = 4};
    r = dipc_request(f, ctl, lfd, buf, ipc_encode_listen(buf, sizeof buf, &l));
    assert_int_equal(r.err, 0);
    /* The IPv4 [0.0.0.0]:8081 may share the port now. */
    r = dipc_addr_req(f, c4, d4, IPC_OP_BIND, dipc_ep4(0, 8081));
    assert_int_equal(r.err, 0);

    struct tcp_sock *p = tcp_sock_open(f->peer, peer_event, NULL);
    struct ip_endpoint dst = {.addr = ip_addr_v4(DAEMON_IP), .port = 8081};
    assert_int_equal(tcp_sock_connect(p, &dst, f->now), -EINPROGRESS);
    for (int i = 0; i < 2000 && tcp_sock_state(p) == TCP_SYN_SENT; i++)
        dipc_pump(f);
    assert_int_equal(tcp_sock_error(p), ECONNREFUSED);
    close(lfd);
    close(ctl);
    close(d4);
    close(c4);
    dipc_pump_n(f, 20);
    tcp_sock_close(p, f->now);
}

/* UDP [::]:4000 sends to ::ffff:10.77.0.9:7 (the echo service): the
 * answer comes back from ::ffff:10.77.0.9. */
static void test_udp_dual_stack_echo(void **state)
{
    struct fixture *f = *state;
    dipc_start(f);
    int c = dipc_ctl_connect(f);
    int d = open6(f, c, IPC_PROTO_UDP);
    struct ipc_reply r = dipc_addr_req(f, c, d, IPC_OP_BIND, ep6_any(4000));
    assert_int_equal(r.err, 0);
    assert_int_equal(r.local.family, IPC_AF_INET6);
    uint8_t msg[IPC_DGRAM_HDR_LEN + 4];
    struct ipc_endpoint to = ep6_mapped(PEER_IP, 7);
    ipc_encode_endpoint(msg, &to);
    memcpy(msg + IPC_DGRAM_HDR_LEN, "ping", 4);
    dipc_send_bytes(d, msg, sizeof msg);
    assert_true(dipc_pump_until_readable(f, d));
    uint8_t in[128];
    assert_int_equal(recv(d, in, sizeof in, 0), IPC_DGRAM_HDR_LEN + 4);
    struct ipc_endpoint from;
    assert_int_equal(ipc_decode_endpoint(in, &from), IPC_OK);
    assert_int_equal(from.family, IPC_AF_INET6);
    assert_int_equal(from.port, 7);
    assert_memory_equal(from.addr, to.addr, 16);
    assert_memory_equal(in + IPC_DGRAM_HDR_LEN, "ping", 4);
    /* Bound: V6ONLY is EINVAL now; reading it works. */
    r = opt_req(f, c, d, IPC_OP_SETOPT, IPC_IPV6_V6ONLY, 1);
    assert_int_equal(r.err, EINVAL);
    r = opt_req(f, c, d, IPC_OP_GETOPT, IPC_IPV6_V6ONLY, 0);
    assert_int_equal(r.err, 0);
    assert_int_equal(r.value, 0);
    close(d);
    close(c);
    dipc_pump_n(f, 3);
    assert_int_equal(dipc_socket_count(f), 0);
}

/* A V6ONLY UDP socket cannot send to an IPv4-mapped address: the error
 * (ENETUNREACH, as Linux) is the socket's next SO_ERROR. */
static void test_udp_v6only_mapped(void **state)
{
    struct fixture *f = *state;
    dipc_start(f);
    int c = dipc_ctl_connect(f);
    int d = open6(f, c, IPC_PROTO_UDP);
    struct ipc_reply r = opt_req(f, c, d, IPC_OP_SETOPT, IPC_IPV6_V6ONLY, 1);
    assert_int_equal(r.err, 0);
    uint8_t msg[IPC_DGRAM_HDR_LEN + 1];
    struct ipc_endpoint to = ep6_mapped(PEER_IP, 7);
    ipc_encode_endpoint(msg, &to);
    msg[IPC_DGRAM_HDR_LEN] = 'x';
    dipc_send_bytes(d, msg, sizeof msg);
    dipc_pump_n(f, 5);
    r = dipc_empty_req(f, c, d, IPC_OP_GETERR);
    assert_int_equal(r.err, 0);
    assert_int_equal(r.value, ENETUNREACH);
    r = dipc_addr_req(f, c, d, IPC_OP_CONNECT, to);
    assert_int_equal(r.err, ENETUNREACH);
    close(d);
    close(c);
    dipc_pump_n(f, 3);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_tcp_dual_stack_accept, dipc_setup, dipc_teardown),
        cmocka_unit_test_setup_teardown(test_tcp_v6only, dipc_setup, dipc_teardown),
        cmocka_unit_test_setup_teardown(test_udp_dual_stack_echo, dipc_setup, dipc_teardown),
        cmocka_unit_test_setup_teardown(test_udp_v6only_mapped, dipc_setup, dipc_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
