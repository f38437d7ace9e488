/* fuzz_stack_input.c - libFuzzer target: frames into a whole stack.
 *
 * Input layout:
 *   byte 0  flags: bit 0 bind a UDP echo socket on port 7 (RFC 862),
 *                  bit 1 split the rest into several frames,
 *                  bit 2 add a static neighbour, bit 3 set a gateway,
 *                  bit 4 small ARP cache and pending limits,
 *                  bit 5 a TCP echo listener on port 7 that accepts and
 *                  echoes, bit 6 an active TCP open to 10.77.0.2:80,
 *                  bit 7 tiny TCP buffers, queues and SYN cookies always
 *   rest    one frame; or, with bit 1, records of
 *           [len_hi len_lo dt] then len bytes (len masked to 2047),
 *           dt = time advance in units of 100 ms before the frame.
 * Each frame is copied into its own exactly-sized allocation so ASan sees
 * any read past its end. Time advances, stack_poll runs after each frame
 * and once more far in the future so every timer path fires. The stack is
 * created and freed on every run; LeakSanitizer catches what it leaks. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "stack/stack.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FLAG_ECHO 0x01
#define FLAG_MULTI 0x02
#define FLAG_NEIGH 0x04
#define FLAG_GATEWAY 0x08
#define FLAG_SMALL 0x10
#define FLAG_TCP_LISTEN 0x20
#define FLAG_TCP_CONNECT 0x40
#define FLAG_TCP_TINY 0x80
#define MAX_FRAMES 64

struct fuzz_link {
    size_t frames_sent;
    size_t bytes_sent;
};

struct fuzz_echo {
    uint64_t now;
};

/* The fake device: reads every byte of the frame (so ASan checks the
 * stack's output buffers) and counts it. */
static int fuzz_send(void *ctx, const uint8_t *frame, size_t len)
{
    struct fuzz_link *link = ctx;
    volatile uint8_t sink = 0;

    for (size_t i = 0; i < len; i++)
        sink ^= frame[i];
    (void)sink;
    link->frames_sent++;
    link->bytes_sent += len;
    return 0;
}

static void echo_event(void *user, struct udp_sock *us, int events)
{
    struct fuzz_echo *echo = user;
    uint8_t buf[2048];
    struct ip_endpoint src;
    int n;

    if (events & UDP_EV_ERROR)
        (void)udp_sock_error(us);
    /* Bounded: at most a few datagrams per event. */
    for (int i = 0; i < 8; i++) {
        n = udp_sock_recvfrom(us, buf, sizeof buf, &src);
        if (n < 0)
            break;
        if ((size_t)n > sizeof buf)
            n = (int)sizeof buf;
        (void)udp_sock_sendto(us, buf, (size_t)n, &src, echo->now);
    }
}

/* TCP echo: accept everything, read and send back what fits. Sockets are
 * never closed from a callback (the API forbids it); stack_free frees
 * them. */
static void tcp_echo_event(void *user, struct tcp_sock *ts, int events)
{
    struct fuzz_echo *echo = user;
    uint8_t buf[2048];

    if (events & TCP_EV_ACCEPT) {
        int err;
        for (int i = 0; i < 8; i++)
            if (tcp_sock_accept(ts, tcp_echo_event, echo, &err) == NULL)
                break;
    }
    if (events & TCP_EV_ERROR)
        (void)tcp_sock_error(ts);
    for (int i = 0; i < 8; i++) {
        size_t room = tcp_sock_writable(ts);
        if (room == 0)
            break;
        long n = tcp_sock_recv(ts, buf, room < sizeof buf ? room : sizeof buf, echo->now);
        if (n == 0)
            (void)tcp_sock_shutdown(ts, 1, echo->now);
        if (n <= 0)
            break;
        (void)tcp_sock_send(ts, buf, (size_t)n, echo->now);
    }
}

static void feed(struct stack *s, int ifindex, const uint8_t *p, size_t len, uint64_t now)
{
    uint8_t *frame = malloc(len ? len : 1);

    if (frame == NULL)
        return;
    memcpy(frame, p, len);
    stack_input(s, ifindex, frame, len, now);
    free(frame);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const struct netif_static_neigh neigh = {
        .ip = 0x0a4d0002, /* 10.77.0.2 */
        .mac = { { 0x02, 0x00, 0x00, 0x00, 0x00, 0x02 } },
    };
    struct stack_config sc;
    struct netif_config nc;
    struct netif_ops ops = { .send = fuzz_send };
    struct fuzz_link link = { 0, 0 };
    struct fuzz_echo echo = { 0 };
    struct udp_sock *us = NULL;
    struct stack *s;
    uint64_t now = 1 * NS_PER_SEC;
    uint8_t flags;
    int ifindex;

    if (size < 1)
        return 0;
    flags = data[0];
    data++;
    size--;

    stack_config_defaults(&sc);
    memset(sc.key, 0x5a, sizeof sc.key);
    if (flags & FLAG_SMALL) {
        sc.arp_cache_size = 4;
        sc.arp_pending_max = 2;
        sc.arp_pending_per_entry = 1;
        sc.udp_rcvbuf = 256;
    }
    if (flags & FLAG_TCP_TINY) {
        sc.tcp.sndbuf = 2048;
        sc.tcp.rcvbuf = 2048;
        sc.tcp.ooo_max_ranges = 2;
        sc.tcp.syn_backlog = 1;
        sc.tcp.max_conns = 4;
        sc.tcp.syncookies = 2;
    }
    s = stack_new(&sc);
    if (s == NULL)
        return 0;

    memset(&nc, 0, sizeof nc);
    memcpy(nc.name, "fuzz0", 6);
    nc.mac = (struct eth_addr){ { 0x02, 0x00, 0x00, 0x00, 0x00, 0x01 } };
    nc.mtu = 1500;
    nc.ipv4_addr = 0x0a4d0001; /* 10.77.0.1/24 */
    nc.ipv4_prefix_len = 24;
    /* IPv6 too: fd77::1/64 and the link-local address, SLAAC on, so
     * frames reach ND, ICMPv6, reassembly and the dual-stack sockets. */
    nc.ipv6 = true;
    nc.slaac = true;
    nc.addr6[0].addr[0] = 0xfd;
    nc.addr6[0].addr[1] = 0x77;
    nc.addr6[0].addr[15] = 0x01;
    nc.addr6[0].prefix_len = 64;
    nc.n_addr6 = 1;
    if (flags & FLAG_GATEWAY)
        nc.ipv4_gateway = 0x0a4d00fe;
    if (flags & FLAG_NEIGH) {
        nc.neigh = &neigh;
        nc.n_neigh = 1;
    }
    ifindex = stack_netif_add(s, &nc, &ops, &link, now);
    if (ifindex < 0)
        abort(); /* a valid config must be accepted */

    if (flags & FLAG_ECHO) {
        struct ip_endpoint local = { .addr = { .family = IP_FAMILY_V4 }, .port = 7 };

        us = udp_sock_open(s, echo_event, &echo);
        if (us != NULL && udp_sock_bind(us, &local) != 0)
            abort();
    }

    if (flags & FLAG_TCP_LISTEN) {
        struct ip_endpoint local = { .addr = { .family = IP_FAMILY_V4 }, .port = 7 };
        struct tcp_sock *l = tcp_sock_open(s, tcp_echo_event, &echo);
        if (l == NULL || tcp_sock_bind(l, &local) != 0 || tcp_sock_listen(l, 4) != 0)
            abort();
    }
    if (flags & FLAG_TCP_CONNECT) {
        struct ip_endpoint peer = { .addr = { .family = IP_FAMILY_V4, .u.v4 = 0x0a4d0002 },
                                    .port = 80 };
        struct tcp_sock *c = tcp_sock_open(s, tcp_echo_event, &echo);
        if (c == NULL || tcp_sock_connect(c, &peer, now) != -EINPROGRESS)
            abort();
        (void)tcp_sock_send(c, "GET / HTTP/1.0\r\n\r\n", 18, now);
    }

    if (!(flags & FLAG_MULTI)) {
        echo.now = now;
        feed(s, ifindex, data, size, now);
        stack_poll(s, now);
    } else {
        for (int n = 0; n < MAX_FRAMES && size >= 3; n++) {
            size_t len = (((size_t)data[0] << 8) | data[1]) & 0x7ff;

            now += (uint64_t)data[2] * 100 * NS_PER_MS;
            data += 3;
            size -= 3;
            if (len > size)
                len = size;
            echo.now = now;
            stack_poll(s, now);
            feed(s, ifindex, data, len, now);
            data += len;
            size -= len;
        }
    }
    /* Far enough ahead for every ARP retry and expiry to fire. */
    now += 120 * NS_PER_SEC;
    echo.now = now;
    stack_poll(s, now);
    (void)stack_next_deadline(s);

    if (us != NULL)
        udp_sock_close(us);
    stack_free(s);
    return 0;
}
