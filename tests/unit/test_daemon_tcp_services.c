/* test_daemon_tcp_services.c - built-in TCP echo, discard and chargen
 * (daemon/services.c), served by one stack and used by a second stack
 * joined to it in memory: every frame one sends is fed to the other, on a
 * fake clock that jumps to the next timer when the link is quiet.
 *
 * The client side is plain tcp_sock_* calls, driven by a step function
 * run once per round of frame delivery; every run is bounded in rounds. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "daemon/config.h"
#include "daemon/services.h"
#include "stack/stack.h"

#define SERVER_IP 0x0a4d0002u /* 10.77.0.2: the services */
#define CLIENT_IP 0x0a4d0009u /* 10.77.0.9 */
#define QUEUE_MAX 16384       /* frames in flight per direction */
#define MAX_CLIENTS 128
#define ROUND_NS (10 * 1000ull) /* a round of delivery takes 10 us */
#define ECHO_PORT 7
#define DISCARD_PORT 9
#define CHARGEN_PORT 19

static const struct eth_addr server_mac = {{0x02, 0x00, 0x00, 0x77, 0x00, 0x02}};
static const struct eth_addr client_mac = {{0x02, 0x00, 0x00, 0x77, 0x00, 0x09}};

struct queued {
    uint8_t *data;
    size_t len;
};

/* One direction of the link: what a stack sent, not yet delivered. */
struct queue {
    struct queued q[QUEUE_MAX];
    size_t n;
    uint64_t dropped;
};

struct client {
    struct tcp_sock *ts;
    int events;                  /* every event seen, ORed */
    bool eof;                    /* recv returned 0 */
    int error;                   /* the first error from recv/send/events */
    bool no_read;                /* do not read (backpressure) */
    bool shut_when_sent;         /* SHUT_WR once tx is all sent */
    bool shut_done;
    const uint8_t *tx;           /* to send */
    size_t tx_len, tx_off;
    long last_send;              /* last tcp_sock_send result */
    uint8_t *rx;                 /* received */
    size_t rx_len, rx_cap;
};

struct fixture {
    struct stack *server, *client;
    int server_if, client_if;
    struct queue *from_server, *from_client;
    uint64_t now;
    struct tcpipd_config cfg;
    struct services *sv;
    struct client c[MAX_CLIENTS];
    size_t n_clients;
    struct netif_static_neigh server_neigh, client_neigh;
    uint8_t *owned[MAX_CLIENTS]; /* test data, freed by teardown even on failure */
    size_t n_owned;
};

static int queue_send(void *ctx, const uint8_t *frame, size_t len)
{
    struct queue *q = ctx;
    if (q->n >= QUEUE_MAX) {
        q->dropped++;
        return 0; /* lost on the wire, as far as the stack can tell */
    }
    uint8_t *copy = malloc(len);
    assert_non_null(copy);
    memcpy(copy, frame, len);
    q->q[q->n].data = copy;
    q->q[q->n].len = len;
    q->n++;
    return 0;
}

static const struct netif_ops queue_ops = {.send = queue_send};

static void queue_clear(struct queue *q)
{
    for (size_t i = 0; i < q->n; i++)
        free(q->q[i].data);
    q->n = 0;
}

static uint64_t fake_clock(void *ctx)
{
    return ((struct fixture *)ctx)->now;
}

static struct stack *make_stack(struct fixture *f, uint8_t key, uint32_t ip,
                                const struct eth_addr *mac, struct netif_static_neigh *neigh,
                                struct queue *out, int *ifindex)
{
    struct stack_config sc;
    stack_config_defaults(&sc);
    memset(sc.key, key, sizeof sc.key);
    struct stack *s = stack_new(&sc);
    assert_non_null(s);
    struct netif_config nc;
    memset(&nc, 0, sizeof nc);
    snprintf(nc.name, sizeof nc.name, "link%u", (unsigned)key);
    nc.mac = *mac;
    nc.mtu = 1500;
    nc.ipv4_addr = ip;
    nc.ipv4_prefix_len = 24;
    /* Static neighbours: no ARP exchange to wait for. */
    nc.neigh = neigh;
    nc.n_neigh = 1;
    *ifindex = stack_netif_add(s, &nc, &queue_ops, out, f->now);
    assert_true(*ifindex >= 0);
    return s;
}

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);
    assert_non_null(f);
    f->from_server = calloc(1, sizeof *f->from_server);
    f->from_client = calloc(1, sizeof *f->from_client);
    assert_non_null(f->from_server);
    assert_non_null(f->from_client);
    f->now = 1 * NS_PER_SEC;
    f->server_neigh.ip = CLIENT_IP;
    f->server_neigh.mac = client_mac;
    f->client_neigh.ip = SERVER_IP;
    f->client_neigh.mac = server_mac;
    f->server = make_stack(f, 0x11, SERVER_IP, &server_mac, &f->server_neigh, f->from_server,
                           &f->server_if);
    f->client = make_stack(f, 0x22, CLIENT_IP, &client_mac, &f->client_neigh, f->from_client,
                           &f->client_if);
    /* forget the gratuitous ARPs */
    queue_clear(f->from_server);
    queue_clear(f->from_client);
    config_defaults(&f->cfg);
    f->cfg.services.tcp_echo.enabled = true;
    f->cfg.services.tcp_discard.enabled = true;
    f->cfg.services.tcp_chargen.enabled = true;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    for (size_t i = 0; i < f->n_clients; i++) {
        if (f->c[i].ts != NULL)
            tcp_sock_abort(f->c[i].ts, f->now);
        free(f->c[i].rx);
    }
    for (size_t i = 0; i < f->n_owned; i++)
        free(f->owned[i]);
    services_stop(f->sv);
    stack_free(f->server);
    stack_free(f->client);
    queue_clear(f->from_server);
    queue_clear(f->from_client);
    free(f->from_server);
    free(f->from_client);
    free(f);
    return 0;
}

static void start(struct fixture *f)
{
    char err[256];
    f->sv = services_start(f->server, &f->cfg, fake_clock, f, err, sizeof err);
    if (f->sv == NULL)
        fail_msg("services_start: %s", err);
}

/* ---- the link and the clock ---- */

/* Feed every queued frame of q into s; returns how many. */
static size_t deliver(struct fixture *f, struct queue *q, struct stack *s, int ifindex)
{
    size_t n = q->n;
    /* Input into s only adds frames to s's own queue, never to q. */
    for (size_t i = 0; i < n; i++) {
        stack_input(s, ifindex, q->q[i].data, q->q[i].len, f->now);
        free(q->q[i].data);
    }
    q->n = 0;
    return n;
}

/* What the daemon does after every batch: close finished connections. */
static void after_stack(struct fixture *f)
{
    services_flush(f->sv, f->now);
}

static void poll_both(struct fixture *f)
{
    stack_poll(f->server, f->now);
    stack_poll(f->client, f->now);
    after_stack(f);
}

/* One round: deliver both ways; if nothing was in flight, jump the clock
 * to the next timer of either stack. false if there is nothing left to
 * happen at all (no frames, no timers). */
static bool round_trip(struct fixture *f)
{
    size_t moved = deliver(f, f->from_client, f->server, f->server_if);
    after_stack(f);
    moved += deliver(f, f->from_server, f->client, f->client_if);
    if (moved > 0) {
        f->now += ROUND_NS;
        poll_both(f);
        return true;
    }
    uint64_t a = stack_next_deadline(f->server), b = stack_next_deadline(f->client);
    uint64_t d = a < b ? a : b;
    if (d == STACK_NO_DEADLINE)
        return false;
    if (d > f->now)
        f->now = d;
    poll_both(f);
    return true;
}

/* ---- the client side ---- */

static void client_event(void *user, struct tcp_sock *ts, int events)
{
    struct client *c = user;
    (void)ts;
    c->events |= events;
}

static struct client *client_connect(struct fixture *f, uint16_t port)
{
    assert_true(f->n_clients < MAX_CLIENTS);
    struct client *c = &f->c[f->n_clients++];
    memset(c, 0, sizeof *c);
    c->ts = tcp_sock_open(f->client, client_event, c);
    assert_non_null(c->ts);
    struct ip_endpoint ep;
    memset(&ep, 0, sizeof ep);
    ep.addr = ip_addr_v4(SERVER_IP);
    ep.port = port;
    assert_int_equal(tcp_sock_connect(c->ts, &ep, f->now), -EINPROGRESS);
    return c;
}

/* Keep the first error, as a positive errno. */
static void note_error(struct client *c, long rc)
{
    if (c->error == 0 && rc != 0)
        c->error = (int)(rc < 0 ? -rc : rc);
}

/* Move what the client can move now. */
static void client_io(struct fixture *f, struct client *c)
{
    if (c->ts == NULL || c->error != 0)
        return;
    if (c->events & TCP_EV_ERROR) {
        c->events &= ~TCP_EV_ERROR;
        note_error(c, tcp_sock_error(c->ts));
        if (c->error != 0)
            return;
    }
    enum tcp_state st = tcp_sock_state(c->ts);
    if (st == TCP_SYN_SENT || st == TCP_CLOSED)
        return;
    for (int i = 0; i < 64 && c->tx_off < c->tx_len; i++) {
        size_t len = c->tx_len - c->tx_off;
        if (len > 65536)
            len = 65536;
        long n = tcp_sock_send(c->ts, c->tx + c->tx_off, len, f->now);
        c->last_send = n;
        if (n == -EAGAIN)
            break;
        if (n <= 0) {
            note_error(c, n);
            return;
        }
        c->tx_off += (size_t)n;
    }
    if (c->shut_when_sent && !c->shut_done && c->tx_off == c->tx_len) {
        assert_int_equal(tcp_sock_shutdown(c->ts, 1, f->now), 0);
        c->shut_done = true;
    }
    for (int i = 0; i < 64 && !c->no_read && !c->eof; i++) {
        if (c->rx_len == c->rx_cap) {
            c->rx_cap = c->rx_cap ? c->rx_cap * 2 : 65536;
            c->rx = realloc(c->rx, c->rx_cap);
            assert_non_null(c->rx);
        }
        long n = tcp_sock_recv(c->ts, c->rx + c->rx_len, c->rx_cap - c->rx_len, f->now);
        if (n == -EAGAIN)
            break;
        if (n == 0) {
            c->eof = true;
            break;
        }
        if (n < 0) {
            note_error(c, n);
            return;
        }
        c->rx_len += (size_t)n;
    }
}

typedef bool (*done_fn)(struct fixture *f, void *arg);

/* Run clients and link until done(f, arg), at most max_rounds rounds.
 * Returns whether done was reached. */
static bool run(struct fixture *f, done_fn done, void *arg, int max_rounds)
{
    for (int r = 0; r < max_rounds; r++) {
        for (size_t i = 0; i < f->n_clients; i++)
            client_io(f, &f->c[i]);
        if (done != NULL && done(f, arg))
            return true;
        if (!round_trip(f))
            break;
    }
    for (size_t i = 0; i < f->n_clients; i++)
        client_io(f, &f->c[i]);
    return done != NULL && done(f, arg);
}

static bool client_got(struct fixture *f, void *arg)
{
    (void)f;
    struct client *c = arg;
    return c->rx_len >= c->tx_len || c->error != 0;
}

static bool client_eof(struct fixture *f, void *arg)
{
    (void)f;
    struct client *c = arg;
    return c->eof || c->error != 0;
}

static bool all_clients_eof(struct fixture *f, void *arg)
{
    (void)arg;
    for (size_t i = 0; i < f->n_clients; i++)
        if (!f->c[i].eof && f->c[i].error == 0)
            return false;
    return true;
}

static struct service_stats stats_of(struct fixture *f, const char *name)
{
    struct service_info info;
    for (size_t i = 0; i < services_count(f->sv); i++) {
        assert_int_equal(services_info(f->sv, i, &info), 0);
        if (strcmp(info.proto, "tcp") == 0 && strcmp(info.name, name) == 0)
            return info.stats;
    }
    fail_msg("no tcp service %s", name);
    return info.stats;
}

static bool no_active(struct fixture *f, void *arg)
{
    return stats_of(f, arg).conns_active == 0;
}

/* Deterministic bytes that do not repeat with any short period; the
 * fixture owns them. */
static uint8_t *pattern(struct fixture *f, size_t len, uint32_t seed)
{
    assert_true(f->n_owned < MAX_CLIENTS);
    uint8_t *p = malloc(len);
    assert_non_null(p);
    f->owned[f->n_owned++] = p;
    uint32_t x = seed * 2654435761u + 1;
    for (size_t i = 0; i < len; i++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        p[i] = (uint8_t)x;
    }
    return p;
}

/* ---- tests ---- */

static void test_three_listeners(void **state)
{
    struct fixture *f = *state;
    start(f);
    assert_int_equal(services_count(f->sv), 3);
    const char *names[] = {"echo", "discard", "chargen"};
    const uint16_t ports[] = {ECHO_PORT, DISCARD_PORT, CHARGEN_PORT};
    for (size_t i = 0; i < 3; i++) {
        struct service_info info;
        assert_int_equal(services_info(f->sv, i, &info), 0);
        assert_string_equal(info.proto, "tcp");
        assert_string_equal(info.name, names[i]);
        assert_int_equal(info.port, ports[i]);
        assert_int_equal(info.stats.conns_accepted, 0);
    }
}

static void test_echo_returns_exactly_what_was_sent(void **state)
{
    struct fixture *f = *state;
    start(f);
    const size_t len = 1024 * 1024;
    uint8_t *data = pattern(f, len, 1);
    struct client *c = client_connect(f, ECHO_PORT);
    c->tx = data;
    c->tx_len = len;
    assert_true(run(f, client_got, c, 200000));
    assert_int_equal(c->error, 0);
    assert_int_equal(c->rx_len, len);
    assert_memory_equal(c->rx, data, len);
    struct service_stats st = stats_of(f, "echo");
    assert_int_equal(st.conns_accepted, 1);
    assert_int_equal(st.conns_active, 1);
    assert_int_equal(st.rx_bytes, len);
    assert_int_equal(st.tx_bytes, len);
    assert_int_equal(st.buffered_bytes, 0);
    assert_int_equal(f->from_client->dropped + f->from_server->dropped, 0);
}

/* RFC 862 over TCP: the client's FIN ends the exchange; echo sends what is
 * left, then its own FIN, and forgets the connection. */
static void test_echo_client_eof_closes_service_side(void **state)
{
    struct fixture *f = *state;
    start(f);
    static const uint8_t msg[] = "hello, tcp echo";
    struct client *c = client_connect(f, ECHO_PORT);
    c->tx = msg;
    c->tx_len = sizeof msg - 1;
    c->shut_when_sent = true;
    assert_true(run(f, client_eof, c, 10000));
    assert_int_equal(c->error, 0);
    assert_int_equal(c->rx_len, sizeof msg - 1);
    assert_memory_equal(c->rx, msg, sizeof msg - 1);
    assert_true(run(f, no_active, "echo", 10000));
    struct service_stats st = stats_of(f, "echo");
    assert_int_equal(st.conns_accepted, 1);
    assert_int_equal(st.conns_closed, 1);
    assert_int_equal(st.conn_errors, 0);
    /* both FINs acknowledged: the client ends in TIME-WAIT (it closed first) */
    enum tcp_state cs = tcp_sock_state(c->ts);
    assert_true(cs == TCP_TIME_WAIT || cs == TCP_CLOSED);
}

static void test_discard_counts_bytes(void **state)
{
    struct fixture *f = *state;
    start(f);
    const size_t len = 300000;
    uint8_t *data = pattern(f, len, 2);
    struct client *c = client_connect(f, DISCARD_PORT);
    c->tx = data;
    c->tx_len = len;
    c->shut_when_sent = true;
    assert_true(run(f, client_eof, c, 100000));
    assert_int_equal(c->error, 0);
    assert_int_equal(c->rx_len, 0); /* RFC 863: nothing comes back */
    assert_true(run(f, no_active, "discard", 10000));
    struct service_stats st = stats_of(f, "discard");
    assert_int_equal(st.rx_bytes, len);
    assert_int_equal(st.tx_bytes, 0);
    assert_int_equal(st.conns_accepted, 1);
    assert_int_equal(st.conns_closed, 1);
}

/* RFC 864: 72 printing characters per line, the ring of 95 shifted by one
 * each line, CR LF at the end. */
static void test_chargen_pattern(void **state)
{
    struct fixture *f = *state;
    start(f);
    struct client *c = client_connect(f, CHARGEN_PORT);
    const size_t lines = 200; /* more than one turn of the 95-line ring */
    /* client_got compares rx_len with tx_len: borrow it as "wanted",
     * with nothing to send. */
    c->tx_len = lines * 74;
    c->tx_off = c->tx_len;
    assert_true(run(f, client_got, c, 20000));
    assert_int_equal(c->error, 0);
    assert_true(c->rx_len >= lines * 74);
    static const char line0[] =
        " !\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefg\r\n";
    static const char line1[] =
        "!\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefgh\r\n";
    assert_int_equal(sizeof line0 - 1, 74);
    assert_memory_equal(c->rx, line0, 74);
    assert_memory_equal(c->rx + 74, line1, 74);
    /* line 94 wraps: '~' then ' ' */
    assert_int_equal(c->rx[94 * 74], '~');
    assert_int_equal(c->rx[94 * 74 + 1], ' ');
    for (size_t n = 0; n < lines; n++) {
        const uint8_t *p = c->rx + n * 74;
        for (size_t i = 0; i < 72; i++)
            if (p[i] != (uint8_t)(32 + (n + i) % 95))
                fail_msg("line %zu, column %zu: got 0x%02x", n, i, p[i]);
        assert_int_equal(p[72], '\r');
        assert_int_equal(p[73], '\n');
    }
    /* The client hangs up with chargen data unread: a RST (RFC 2525
     * 2.17); the service notices and frees the connection. */
    tcp_sock_close(c->ts, f->now);
    c->ts = NULL;
    assert_true(run(f, no_active, "chargen", 10000));
    struct service_stats st = stats_of(f, "chargen");
    assert_int_equal(st.conns_closed, 1);
    assert_true(st.tx_bytes >= lines * 74);
}

/* chargen discards what it gets: a client that talks is not stalled. */
static void test_chargen_discards_input(void **state)
{
    struct fixture *f = *state;
    start(f);
    const size_t len = 100000;
    uint8_t *data = pattern(f, len, 3);
    struct client *c = client_connect(f, CHARGEN_PORT);
    c->tx = data;
    c->tx_len = len;
    c->no_read = true; /* chargen's window to us closes; ours must not */
    for (int i = 0; i < 100000 && c->tx_off < len && c->error == 0; i++) {
        client_io(f, c);
        if (!round_trip(f))
            break;
    }
    assert_int_equal(c->error, 0);
    assert_int_equal(c->tx_off, len);
    (void)run(f, NULL, NULL, 200);
    assert_int_equal(stats_of(f, "chargen").rx_bytes, len);
}

/* A client that sends and never reads: echo holds at most its buffer and
 * stops reading, TCP's windows close, and the client's send blocks. When
 * the client reads again, every byte comes back in order. */
static void test_echo_backpressure(void **state)
{
    struct fixture *f = *state;
    start(f);
    const size_t len = 8 * 1024 * 1024;
    uint8_t *data = pattern(f, len, 4);
    struct client *c = client_connect(f, ECHO_PORT);
    c->tx = data;
    c->tx_len = len;
    c->no_read = true;
    (void)run(f, NULL, NULL, 3000);
    assert_int_equal(c->error, 0);
    assert_int_equal(c->last_send, -EAGAIN);
    struct service_stats st = stats_of(f, "echo");
    assert_true(st.buffered_bytes <= SERVICES_ECHO_BUF);
    /* What left the client is bounded by the buffers on the way: its send
     * buffer, the service's receive window, echo's buffer, the service's
     * send buffer and the client's receive window. */
    struct stack_config d;
    stack_config_defaults(&d);
    size_t bound = 2 * (size_t)d.tcp.sndbuf + 2 * (size_t)d.tcp.rcvbuf + SERVICES_ECHO_BUF;
    assert_true(c->tx_off < bound);
    assert_true(c->tx_off < len);
    /* the service's own queues stay within their caps */
    struct tcp_conn_info info[8];
    size_t n = stack_tcp_list(f->server, info, 8);
    assert_true(n >= 1 && n <= 8);
    for (size_t i = 0; i < n; i++) {
        assert_true(info[i].recv_queue <= d.tcp.rcvbuf);
        assert_true(info[i].send_queue <= d.tcp.sndbuf);
    }
    size_t sent_before = c->tx_off;
    (void)run(f, NULL, NULL, 500);
    assert_int_equal(c->tx_off, sent_before); /* still stuck */

    /* Read again: all of it flows, exactly. */
    c->no_read = false;
    assert_true(run(f, client_got, c, 400000));
    assert_int_equal(c->error, 0);
    assert_int_equal(c->rx_len, len);
    assert_memory_equal(c->rx, data, len);
    assert_int_equal(stats_of(f, "echo").buffered_bytes, 0);
}

static void test_many_connections(void **state)
{
    struct fixture *f = *state;
    start(f);
    enum { N = 100, LEN = 3000 };
    uint8_t *data[N];
    for (int i = 0; i < N; i++) {
        data[i] = pattern(f, LEN, (uint32_t)(100 + i));
        struct client *c = client_connect(f, ECHO_PORT);
        c->tx = data[i];
        c->tx_len = LEN;
        c->shut_when_sent = true;
    }
    assert_true(run(f, all_clients_eof, NULL, 100000));
    for (int i = 0; i < N; i++) {
        struct client *c = &f->c[i];
        if (c->error != 0)
            fail_msg("client %d: %s", i, strerror(c->error));
        assert_true(c->eof);
        assert_int_equal(c->rx_len, LEN);
        assert_memory_equal(c->rx, data[i], LEN);
    }
    assert_true(run(f, no_active, "echo", 10000));
    struct service_stats st = stats_of(f, "echo");
    assert_int_equal(st.conns_accepted, N);
    assert_int_equal(st.conns_closed, N);
    assert_int_equal(st.rx_bytes, (uint64_t)N * LEN);
    assert_int_equal(st.tx_bytes, (uint64_t)N * LEN);
}

/* services_stop with connections in every service and data in flight:
 * everything is given back (LeakSanitizer checks in the ASan build) and
 * the clients hear about it. */
static void test_stop_with_live_connections(void **state)
{
    struct fixture *f = *state;
    start(f);
    const size_t len = 200000;
    uint8_t *data = pattern(f, len, 5);
    const uint16_t ports[] = {ECHO_PORT, ECHO_PORT, DISCARD_PORT, CHARGEN_PORT, ECHO_PORT};
    for (size_t i = 0; i < sizeof ports / sizeof ports[0]; i++) {
        struct client *c = client_connect(f, ports[i]);
        c->tx = data;
        c->tx_len = len;
        c->no_read = i == 4; /* one echo connection is held up */
    }
    (void)run(f, NULL, NULL, 300);
    assert_int_equal(stats_of(f, "echo").conns_active, 3);
    assert_int_equal(stats_of(f, "discard").conns_active, 1);
    assert_int_equal(stats_of(f, "chargen").conns_active, 1);
    services_stop(f->sv);
    f->sv = NULL;
    for (size_t i = 0; i < f->n_clients; i++)
        f->c[i].no_read = false;
    assert_true(run(f, all_clients_eof, NULL, 20000));
    /* and the ports are closed now: a new connection is refused */
    struct client *c = client_connect(f, ECHO_PORT);
    assert_true(run(f, client_eof, c, 1000));
    assert_int_equal(c->error, ECONNREFUSED);
}

/* A port clash with a TCP service is reported, and nothing stays bound. */
static void test_tcp_port_in_use(void **state)
{
    struct fixture *f = *state;
    struct tcp_sock *squatter = tcp_sock_open(f->server, client_event, &f->c[0]);
    assert_non_null(squatter);
    struct ip_endpoint ep;
    memset(&ep, 0, sizeof ep);
    ep.addr = ip_addr_v4(0);
    ep.port = CHARGEN_PORT;
    assert_int_equal(tcp_sock_bind(squatter, &ep), 0);
    assert_int_equal(tcp_sock_listen(squatter, 4), 0);
    char err[256];
    f->sv = services_start(f->server, &f->cfg, fake_clock, f, err, sizeof err);
    assert_null(f->sv);
    assert_non_null(strstr(err, "tcp chargen"));
    assert_non_null(strstr(err, "[::]:19"));
    tcp_sock_close(squatter, f->now);
    start(f); /* echo and discard were released */
    assert_int_equal(services_count(f->sv), 3);
}

static void test_flush_null(void **state)
{
    (void)state;
    services_flush(NULL, 0);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_three_listeners),
        T(test_echo_returns_exactly_what_was_sent),
        T(test_echo_client_eof_closes_service_side),
        T(test_discard_counts_bytes),
        T(test_chargen_pattern),
        T(test_chargen_discards_input),
        T(test_echo_backpressure),
        T(test_many_connections),
        T(test_stop_with_live_connections),
        T(test_tcp_port_in_use),
        cmocka_unit_test(test_flush_null),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
