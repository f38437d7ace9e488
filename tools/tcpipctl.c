/* tcpipctl - look into a running tcpipd, like ip(8) and ss(8) do for the
 * kernel. Talks to the daemon's control socket (docs/control.md): one
 * request line out, one JSON document back. Prints aligned tables, or
 * the document's data with --json.
 *
 *   tcpipctl [-s PATH] [--json] status|link|addr|neigh|route|sockets|stats
 *   tcpipctl [-s PATH] capture start FILE [--max-bytes N] [FILTER...]
 *   tcpipctl [-s PATH] capture stop | capture [status]
 *
 * Exit status: 0 ok, 1 the daemon could not be reached or refused the
 * request, 2 bad command line. */
#include <cjson/cJSON.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "tcpip_build.h" /* TCPIP_VERSION, from the Makefile */

#define DEFAULT_SOCKET "/run/tcpipd/control.sock"
#define REQUEST_MAX 1024         /* the daemon's bound, newline included */
#define REPLY_MAX (256u * 1024 * 1024)
#define IO_TIMEOUT_S 10
#define TABLE_MAX_COLS 12

static const char *prog = "tcpipctl";

static void usage(FILE *f)
{
    fprintf(f,
            "Usage: %s [-s PATH] [-j|--json] COMMAND\n"
            "Commands:\n"
            "  status                     version, uptime, interfaces, services, capture\n"
            "  link                       interfaces: MAC, MTU, state, frame counters\n"
            "  addr                       IPv4 and IPv6 addresses (ip addr)\n"
            "  neigh                      neighbour cache, ARP and ND (ip neigh)\n"
            "  route                      routes: on-link prefixes, default routers (ip route)\n"
            "  sockets [-t] [-u] [-l] [-a] [-i] [state S] [sport|dport OP PORT]...\n"
            "                             TCP and UDP sockets (all; with ss's options, as ss)\n"
            "  stats [--nstat | --prometheus]\n"
            "                             per-protocol counters (netstat -s), Linux's nstat\n"
            "                             names, or Prometheus text\n"
            "  addr add|del PREFIX dev NAME                    change addresses (ip addr)\n"
            "  route add|del TO [via GW] [dev NAME] [metric N] change routes (ip route)\n"
            "  neigh add IP lladdr MAC dev NAME | neigh del IP dev NAME\n"
            "  link set [dev] NAME mtu N\n"
            "  capture start FILE [--max-bytes N] [FILTER]\n"
            "                             write a pcap of the TAP traffic to FILE; FILTER:\n"
            "                             tcp|udp|icmp|arp|port N|host A.B.C.D, joined by 'and'\n"
            "  capture stop | capture status\n"
            "Options:\n"
            "  -s, --socket PATH          control socket (default: $TCPIPCTL_SOCKET or %s)\n"
            "  -j, --json                 print the reply's data as JSON\n"
            "  -h, --help | -V, --version\n"
            "Exit status: 0 ok, 1 daemon unreachable or request refused, 2 usage.\n",
            prog, DEFAULT_SOCKET);
}

static void die_usage(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "%s: ", prog);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\nTry '%s --help'.\n", prog);
    exit(2);
}

/* ---- talking to the daemon ---- */

/* Send req (with its newline), read the reply until EOF. NULL after
 * printing why. */
static char *exchange(const char *path, const char *req)
{
    struct sockaddr_un sa;
    memset(&sa, 0, sizeof sa);
    sa.sun_family = AF_UNIX;
    if (strlen(path) >= sizeof sa.sun_path) {
        fprintf(stderr, "%s: socket path %s is too long\n", prog, path);
        return NULL;
    }
    memcpy(sa.sun_path, path, strlen(path) + 1);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        fprintf(stderr, "%s: socket: %s\n", prog, strerror(errno));
        return NULL;
    }
    struct timeval tv = {.tv_sec = IO_TIMEOUT_S};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
        int e = errno;
        const char *hint = "";
        if (e == ENOENT || e == ECONNREFUSED)
            hint = " (is tcpipd running?)";
        else if (e == EACCES || e == EPERM)
            hint = " (run as root or as tcpipd's user, or see control.mode in the config)";
        fprintf(stderr, "%s: cannot connect to %s: %s%s\n", prog, path, strerror(e), hint);
        close(fd);
        return NULL;
    }
    size_t len = strlen(req), off = 0;
    while (off < len) {
        ssize_t n = send(fd, req + off, len - off, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EPIPE || errno == ECONNRESET))
            break;               /* the daemon answered early (an error): read it */
        if (n <= 0) {
            fprintf(stderr, "%s: sending to %s: %s\n", prog, path, strerror(errno));
            close(fd);
            return NULL;
        }
        off += (size_t)n;
    }
    size_t cap = 65536, got = 0;
    char *buf = malloc(cap);
    while (buf != NULL) {
        if (got + 1 == cap) {
            char *nb = cap < REPLY_MAX ? realloc(buf, cap * 2) : NULL;
            if (nb == NULL) {
                fprintf(stderr, "%s: reply from %s too large\n", prog, path);
                free(buf);
                close(fd);
                return NULL;
            }
            buf = nb;
            cap *= 2;
        }
        ssize_t n = recv(fd, buf + got, cap - 1 - got, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            fprintf(stderr, "%s: reading from %s: %s\n", prog, path,
                    errno == EAGAIN ? "timed out" : strerror(errno));
            free(buf);
            close(fd);
            return NULL;
        }
        if (n == 0)
            break;
        got += (size_t)n;
    }
    close(fd);
    if (buf == NULL) {
        fprintf(stderr, "%s: out of memory\n", prog);
        return NULL;
    }
    buf[got] = '\0';
    return buf;
}

/* ---- tables ---- */

struct table {
    size_t ncols;
    const char *head[TABLE_MAX_COLS];
    bool right[TABLE_MAX_COLS];  /* numbers align right */
    char **cells;                /* nrows * ncols, malloc'd strings */
    char **trailers;             /* per row: a line printed under it, or NULL */
    size_t nrows, cap;
};

static void table_init(struct table *t, const char *spec)
{
    /* spec: "NAME,>MTU,...": a leading '>' aligns the column right. */
    memset(t, 0, sizeof *t);
    static char storage[512];
    snprintf(storage, sizeof storage, "%s", spec);
    char *save = NULL;
    for (char *w = strtok_r(storage, ",", &save); w != NULL && t->ncols < TABLE_MAX_COLS;
         w = strtok_r(NULL, ",", &save)) {
        t->right[t->ncols] = w[0] == '>';
        t->head[t->ncols++] = w[0] == '>' ? w + 1 : w;
    }
}

static void table_row(struct table *t, ...)
{
    if (t->nrows == t->cap) {
        size_t nc = t->cap ? t->cap * 2 : 16;
        char **n = realloc(t->cells, nc * t->ncols * sizeof *n);
        if (n == NULL) {
            fprintf(stderr, "%s: out of memory\n", prog);
            exit(1);
        }
        t->cells = n;
        char **tr = realloc(t->trailers, nc * sizeof *tr);
        if (tr == NULL) {
            fprintf(stderr, "%s: out of memory\n", prog);
            exit(1);
        }
        for (size_t i = t->cap; i < nc; i++)
            tr[i] = NULL;
        t->trailers = tr;
        t->cap = nc;
    }
    va_list ap;
    va_start(ap, t);
    for (size_t c = 0; c < t->ncols; c++) {
        const char *s = va_arg(ap, const char *);
        t->cells[t->nrows * t->ncols + c] = strdup(s != NULL ? s : "-");
    }
    va_end(ap);
    t->nrows++;
}

/* A line printed under the last row (ss -i's details). */
static void table_trailer(struct table *t, const char *line)
{
    if (t->nrows > 0 && t->trailers != NULL) {
        free(t->trailers[t->nrows - 1]);
        t->trailers[t->nrows - 1] = strdup(line);
    }
}

static void table_print(struct table *t)
{
    size_t w[TABLE_MAX_COLS];
    for (size_t c = 0; c < t->ncols; c++) {
        w[c] = strlen(t->head[c]);
        for (size_t r = 0; r < t->nrows; r++) {
            const char *s = t->cells[r * t->ncols + c];
            size_t l = s != NULL ? strlen(s) : 0;
            if (l > w[c])
                w[c] = l;
        }
    }
    for (size_t r = 0; r <= t->nrows; r++) {
        for (size_t c = 0; c < t->ncols; c++) {
            const char *s = r == 0 ? t->head[c] : t->cells[(r - 1) * t->ncols + c];
            if (s == NULL)
                s = "?";
            bool last = c + 1 == t->ncols;
            if (t->right[c])
                printf("%*s%s", (int)w[c], s, last ? "" : "  ");
            else if (last)
                printf("%s", s);
            else
                printf("%-*s  ", (int)w[c], s);
        }
        printf("\n");
        if (r > 0 && t->trailers != NULL && t->trailers[r - 1] != NULL)
            printf("%s\n", t->trailers[r - 1]);
    }
    for (size_t i = 0; i < t->nrows * t->ncols; i++)
        free(t->cells[i]);
    for (size_t i = 0; t->trailers != NULL && i < t->nrows; i++)
        free(t->trailers[i]);
    free(t->cells);
    free(t->trailers);
}

/* ---- JSON helpers ---- */

static const char *jstr(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static unsigned long long jnum(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsNumber(v) && v->valuedouble > 0 ? (unsigned long long)v->valuedouble : 0;
}

static bool jbool(const cJSON *o, const char *key)
{
    return cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, key));
}

/* A number as text in one of a few rotating buffers (for table_row). */
static const char *num(unsigned long long v)
{
    static char bufs[TABLE_MAX_COLS][24];
    static int i;
    i = (i + 1) % TABLE_MAX_COLS;
    snprintf(bufs[i], sizeof bufs[i], "%llu", v);
    return bufs[i];
}

/* ---- the printers ---- */

static const char *lifetime(const cJSON *o, const char *key, char *buf, size_t len);

static void print_capture(const cJSON *c)
{
    if (jbool(c, "active"))
        printf("capture: writing %s%s%s (%llu frames, %llu of %llu bytes)\n", jstr(c, "path"),
               jstr(c, "filter") != NULL && jstr(c, "filter")[0] ? ", filter " : "",
               jstr(c, "filter") != NULL ? jstr(c, "filter") : "", jnum(c, "frames"),
               jnum(c, "bytes"), jnum(c, "max_bytes"));
    else if (jstr(c, "path") != NULL)
        printf("capture: off (last: %s, %llu frames, %llu bytes%s)\n", jstr(c, "path"),
               jnum(c, "frames"), jnum(c, "bytes"),
               jbool(c, "stopped_full") ? ", stopped at max_bytes" : "");
    else
        printf("capture: off\n");
}

static void print_status(const cJSON *d)
{
    unsigned long long up = jnum(d, "uptime_s");
    printf("tcpipd %s, pid %llu, uid %llu, up %llud %02llu:%02llu:%02llu\n", jstr(d, "version"),
           jnum(d, "pid"), jnum(d, "uid"), up / 86400, up / 3600 % 24, up / 60 % 60, up % 60);
    printf("interfaces: %llu, tcp connections: %llu\n", jnum(d, "interfaces"),
           jnum(d, "tcp_connections"));
    const cJSON *addrs = cJSON_GetObjectItemCaseSensitive(d, "addresses");
    printf("addresses: %d\n", cJSON_GetArraySize(addrs));
    const cJSON *a;
    cJSON_ArrayForEach(a, addrs)
    {
        const char *st = jstr(a, "state");
        printf("  %s %s %s%s%s\n", jstr(a, "ifname"), jstr(a, "family"), jstr(a, "address"),
               st != NULL ? " " : "", st != NULL ? st : "");
    }
    const cJSON *dh;
    cJSON_ArrayForEach(dh, cJSON_GetObjectItemCaseSensitive(d, "dhcp"))
    {
        char dns[128] = "";
        const cJSON *x;
        cJSON_ArrayForEach(x, cJSON_GetObjectItemCaseSensitive(dh, "dns"))
        {
            if (cJSON_IsString(x) && strlen(dns) + strlen(x->valuestring) + 2 < sizeof dns)
                snprintf(dns + strlen(dns), sizeof dns - strlen(dns), "%s%s", dns[0] ? " " : "",
                         x->valuestring);
        }
        char v[24];
        if (jstr(dh, "address") == NULL)
            printf("dhcp %s: %s, no lease\n", jstr(dh, "ifname"), jstr(dh, "state"));
        else
            printf("dhcp %s: %s %s from %s, router %s, dns %s, lease %llus, expires in %s\n",
                   jstr(dh, "ifname"), jstr(dh, "state"), jstr(dh, "address"), jstr(dh, "server"),
                   jstr(dh, "router") ? jstr(dh, "router") : "-", dns[0] ? dns : "-",
                   jnum(dh, "lease_s"), lifetime(dh, "expires_s", v, sizeof v));
    }
    cJSON_ArrayForEach(dh, cJSON_GetObjectItemCaseSensitive(d, "dns6"))
    {
        char v[24];
        printf("ra %s: dns %s %s (%s)\n", jstr(dh, "ifname"), jstr(dh, "type"), jstr(dh, "value"),
               lifetime(dh, "lifetime_s", v, sizeof v));
    }
    const cJSON *svcs = cJSON_GetObjectItemCaseSensitive(d, "services");
    printf("services: %d\n", cJSON_GetArraySize(svcs));
    const cJSON *s;
    cJSON_ArrayForEach(s, svcs)
    {
        if (strcmp(jstr(s, "proto") ? jstr(s, "proto") : "", "tcp") == 0)
            printf("  %s %s port %llu: %llu active, %llu accepted\n", jstr(s, "proto"),
                   jstr(s, "name"), jnum(s, "port"), jnum(s, "conns_active"),
                   jnum(s, "conns_accepted"));
        else
            printf("  %s %s port %llu: %llu datagrams in, %llu out\n", jstr(s, "proto"),
                   jstr(s, "name"), jnum(s, "port"), jnum(s, "rx_datagrams"),
                   jnum(s, "tx_datagrams"));
    }
    print_capture(cJSON_GetObjectItemCaseSensitive(d, "capture"));
}

static void print_link(const cJSON *d)
{
    struct table t;
    table_init(&t, ">IDX,NAME,MAC,>MTU,STATE,>RX-FRAMES,>RX-BYTES,>TX-FRAMES,>TX-BYTES");
    const cJSON *l;
    cJSON_ArrayForEach(l, d)
    {
        table_row(&t, num(jnum(l, "ifindex")), jstr(l, "name"), jstr(l, "mac"), num(jnum(l, "mtu")),
                  jbool(l, "up") ? "UP" : "DOWN", num(jnum(l, "rx_frames")),
                  num(jnum(l, "rx_bytes")), num(jnum(l, "tx_frames")), num(jnum(l, "tx_bytes")));
    }
    table_print(&t);
}

/* "forever" for a null lifetime, else "Nsec", as ip(8) prints them. */
static const char *lifetime(const cJSON *o, const char *key, char *buf, size_t len)
{
    if (!cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(o, key)))
        return "forever";
    snprintf(buf, len, "%llusec", jnum(o, key));
    return buf;
}

/* One line per address, its details in ip(8)'s words:
 *   tcpip0  inet   10.77.0.2/24  brd 10.77.0.255 scope global
 *   tcpip0  inet6  fd77::2/64    scope global preferred valid_lft forever preferred_lft forever */
static void print_addr(const cJSON *d)
{
    struct table t;
    table_init(&t, "DEV,FAMILY,ADDRESS,DETAILS");
    const cJSON *a;
    cJSON_ArrayForEach(a, d)
    {
        char addr[64], det[160], v[24], p[24];
        const char *scope = jstr(a, "scope") != NULL ? jstr(a, "scope") : "global";
        snprintf(addr, sizeof addr, "%s/%llu", jstr(a, "address"), jnum(a, "prefix_len"));
        if (jstr(a, "state") != NULL)
            snprintf(det, sizeof det, "scope %s%s%s %s valid_lft %s preferred_lft %s", scope,
                     jbool(a, "dynamic") ? " dynamic" : "",
                     jbool(a, "stable_privacy") ? " stable-privacy" : "", jstr(a, "state"),
                     lifetime(a, "valid_lft_s", v, sizeof v),
                     lifetime(a, "preferred_lft_s", p, sizeof p));
        else if (jbool(a, "dynamic"))
            snprintf(det, sizeof det, "%s%s%sscope %s dynamic valid_lft %s preferred_lft %s",
                     jstr(a, "broadcast") != NULL ? "brd " : "",
                     jstr(a, "broadcast") != NULL ? jstr(a, "broadcast") : "",
                     jstr(a, "broadcast") != NULL ? " " : "", scope,
                     lifetime(a, "valid_lft_s", v, sizeof v),
                     lifetime(a, "preferred_lft_s", p, sizeof p));
        else if (jstr(a, "broadcast") != NULL)
            snprintf(det, sizeof det, "brd %s scope %s", jstr(a, "broadcast"), scope);
        else
            snprintf(det, sizeof det, "scope %s", scope);
        table_row(&t, jstr(a, "ifname"), jstr(a, "family"), addr, det);
    }
    table_print(&t);
}

static void print_neigh(const cJSON *d)
{
    struct table t;
    table_init(&t, "ADDRESS,DEV,LLADDR,STATE,>AGE(ms)");
    const cJSON *n;
    cJSON_ArrayForEach(n, d)
    {
        const cJSON *age = cJSON_GetObjectItemCaseSensitive(n, "age_ms");
        table_row(&t, jstr(n, "address"), jstr(n, "ifname"), jstr(n, "mac"), jstr(n, "state"),
                  cJSON_IsNumber(age) ? num(jnum(n, "age_ms")) : "-");
    }
    table_print(&t);
}

static void print_route(const cJSON *d)
{
    struct table t;
    table_init(&t, "DESTINATION,GATEWAY,DEV,PROTO,SCOPE,>METRIC,SRC,EXPIRES");
    const cJSON *r;
    cJSON_ArrayForEach(r, d)
    {
        char exp[24] = "-";
        if (cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(r, "expires_s")))
            snprintf(exp, sizeof exp, "%llusec", jnum(r, "expires_s"));
        table_row(&t, jstr(r, "dst"), jstr(r, "gateway"), jstr(r, "dev"), jstr(r, "proto"),
                  jstr(r, "scope"), num(jnum(r, "metric")), jstr(r, "src"), exp);
    }
    table_print(&t);
}

/* ---- sockets: ss's filters, program names, -i ---- */

/* ss's state names, in one order; UDP's ESTAB is established, UNCONN
 * closed (as the kernel's UDP sockets are). */
static const char *const ss_states[] = {"established", "syn-sent",  "syn-recv",  "fin-wait-1",
                                        "fin-wait-2",  "time-wait", "closed",    "close-wait",
                                        "last-ack",    "listening", "closing"};
enum { SS_EST, SS_SYN_SENT, SS_SYN_RECV, SS_FW1, SS_FW2, SS_TW, SS_CLOSED, SS_CLOSE_WAIT,
       SS_LAST_ACK, SS_LISTEN, SS_CLOSING, SS_N };
static const char *const our_states[] = {"ESTABLISHED", "SYN-SENT",  "SYN-RECEIVED", "FIN-WAIT-1",
                                         "FIN-WAIT-2",  "TIME-WAIT", "CLOSED",       "CLOSE-WAIT",
                                         "LAST-ACK",    "LISTEN",    "CLOSING"};
#define SS_ALL ((1u << SS_N) - 1)
#define SS_CONNECTED (SS_ALL & ~(1u << SS_LISTEN | 1u << SS_CLOSED))

struct port_expr {
    bool dst;                    /* dport, else sport */
    char op;                     /* '=', '!', '<', '>', 'l' (<=), 'g' (>=) */
    unsigned port;
};

struct sock_filter {
    bool ss;                     /* an ss option was given: ss's defaults */
    bool tcp, udp, listening, all, info;
    unsigned states;             /* from "state": 0 = none said */
    struct port_expr ports[8];
    size_t n_ports;
};

static int ss_state_of(const cJSON *s)
{
    const char *st = jstr(s, "state");
    if (st == NULL)
        return -1;
    if (strcmp(st, "ESTAB") == 0)
        return SS_EST;
    if (strcmp(st, "UNCONN") == 0)
        return SS_CLOSED;
    for (int i = 0; i < SS_N; i++)
        if (strcmp(st, our_states[i]) == 0)
            return i;
    return -1;
}

/* "state X": a name or ss's groups. 0 if unknown. */
static unsigned ss_state_mask(const char *w)
{
    for (int i = 0; i < SS_N; i++)
        if (strcmp(w, ss_states[i]) == 0)
            return 1u << i;
    if (strcmp(w, "all") == 0)
        return SS_ALL;
    if (strcmp(w, "connected") == 0)
        return SS_CONNECTED;
    if (strcmp(w, "synchronized") == 0)
        return SS_CONNECTED & ~(1u << SS_SYN_SENT);
    if (strcmp(w, "bucket") == 0)
        return 1u << SS_SYN_RECV | 1u << SS_TW;
    if (strcmp(w, "big") == 0)
        return SS_ALL & ~(1u << SS_SYN_RECV | 1u << SS_TW);
    return 0;
}

/* The port of "A:P", "[A]:P" or "*:*" (0). */
static unsigned endpoint_port(const char *ep)
{
    const char *c = ep != NULL ? strrchr(ep, ':') : NULL;
    if (c == NULL || c[1] == '*')
        return 0;
    return (unsigned)strtoul(c + 1, NULL, 10);
}

static bool port_match(const struct port_expr *e, unsigned p)
{
    switch (e->op) {
    case '=':
        return p == e->port;
    case '!':
        return p != e->port;
    case '<':
        return p < e->port;
    case '>':
        return p > e->port;
    case 'l':
        return p <= e->port;
    default:
        return p >= e->port;
    }
}

static bool sock_wanted(const struct sock_filter *f, const cJSON *s, bool is_tcp)
{
    if (f->ss && (f->tcp || f->udp) && !(is_tcp ? f->tcp : f->udp))
        return false;
    int st = ss_state_of(s);
    unsigned mask = SS_ALL;
    if (f->states != 0)
        mask = f->states;
    else if (f->ss && f->all)
        mask = SS_ALL;
    else if (f->ss && f->listening)
        mask = 1u << SS_LISTEN | 1u << SS_CLOSED;
    else if (f->ss)
        mask = SS_CONNECTED;
    if (st < 0 || !(mask & (1u << st)))
        return false;
    for (size_t i = 0; i < f->n_ports; i++) {
        unsigned p = endpoint_port(jstr(s, f->ports[i].dst ? "remote" : "local"));
        if (!port_match(&f->ports[i], p))
            return false;
    }
    return true;
}

/* ss's filter words after "sockets": state X, sport|dport OP PORT, "and". */
static void parse_sock_words(const char *const *w, int n, struct sock_filter *f)
{
    for (int i = 0; i < n; i++) {
        if (strcmp(w[i], "and") == 0)
            continue;
        if (strcmp(w[i], "state") == 0 || strcmp(w[i], "exclude") == 0) {
            bool excl = w[i][0] == 'e';
            if (i + 1 == n)
                die_usage("%s needs a state (e.g. established, listening, connected)", w[i]);
            unsigned m = ss_state_mask(w[++i]);
            if (m == 0)
                die_usage("unknown state \"%s\"", w[i]);
            f->states = excl ? (f->states != 0 ? f->states : SS_ALL) & ~m : f->states | m;
            continue;
        }
        if (strcmp(w[i], "sport") == 0 || strcmp(w[i], "dport") == 0) {
            static const struct {
                const char *word;
                char op;
            } ops[] = {{"=", '='},  {"==", '='}, {"eq", '='}, {"!=", '!'}, {"ne", '!'},
                       {"<", '<'},  {"lt", '<'}, {">", '>'},  {"gt", '>'}, {"<=", 'l'},
                       {"le", 'l'}, {">=", 'g'}, {"ge", 'g'}};
            if (f->n_ports == sizeof f->ports / sizeof f->ports[0])
                die_usage("too many port expressions");
            if (i + 2 >= n)
                die_usage("usage: %s OP PORT (OP: = != < > <= >=, PORT: N or :N)", w[i]);
            struct port_expr *e = &f->ports[f->n_ports];
            e->dst = w[i][0] == 'd';
            size_t k = 0;
            while (k < sizeof ops / sizeof ops[0] && strcmp(ops[k].word, w[i + 1]) != 0)
                k++;
            if (k == sizeof ops / sizeof ops[0])
                die_usage("unknown operator \"%s\" (expected = != < > <= >= or eq ne lt gt le ge)",
                          w[i + 1]);
            e->op = ops[k].op;
            const char *p = w[i + 2][0] == ':' ? w[i + 2] + 1 : w[i + 2];
            if (*p == '\0' || strlen(p) > 5 || strspn(p, "0123456789") != strlen(p) ||
                strtoul(p, NULL, 10) > 65535)
                die_usage("\"%s\" is not a port (expected 0..65535 or :N)", w[i + 2]);
            e->port = (unsigned)strtoul(p, NULL, 10);
            f->n_ports++;
            i += 2;
            continue;
        }
        die_usage("unknown sockets filter \"%s\" (expected state, exclude, sport, dport; "
                  "or, parentheses and addresses are not supported)",
                  w[i]);
    }
}

/* The program behind a client socket: /proc/PID/comm (ss's users:(...)),
 * read here rather than in the daemon, which a hardened unit keeps from
 * other users' processes. */
static bool proc_comm(unsigned long long pid, char *out, size_t len)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%llu/comm", pid);
    FILE *fp = fopen(path, "re");
    if (fp == NULL)
        return false;
    bool ok = fgets(out, (int)len, fp) != NULL;
    fclose(fp);
    if (!ok)
        return false;
    out[strcspn(out, "\n")] = '\0';
    return out[0] != '\0';
}

/* Every client owner gets "comm" (its program name) when readable. */
static void add_comms(cJSON *arr)
{
    cJSON *s;
    cJSON_ArrayForEach(s, arr)
    {
        cJSON *own = cJSON_GetObjectItemCaseSensitive(s, "owner");
        char comm[64];
        if (own != NULL && jstr(own, "name") != NULL && strcmp(jstr(own, "name"), "client") == 0 &&
            cJSON_GetObjectItemCaseSensitive(own, "comm") == NULL &&
            proc_comm(jnum(own, "pid"), comm, sizeof comm))
            cJSON_AddStringToObject(own, "comm", comm);
    }
}

/* Drop what the filter does not want, in place. */
static void filter_array(cJSON *arr, const struct sock_filter *f, bool is_tcp)
{
    cJSON *s = arr != NULL ? arr->child : NULL;
    while (s != NULL) {
        cJSON *next = s->next;
        if (!sock_wanted(f, s, is_tcp))
            cJSON_Delete(cJSON_DetachItemViaPointer(arr, s));
        s = next;
    }
}

/* ss -i's second line: congestion control, windows, RTTs, sizes, bytes. */
static void socket_info(const cJSON *s, char *out, size_t len)
{
    snprintf(out, len,
             "\t %s wscale:%llu,%llu rto:%.0f rtt:%.3f/%.3f minrtt:%.3f mss:%llu pmtu:%llu "
             "rcvmss:%llu advmss:%llu cwnd:%llu ssthresh:%llu bytes_sent:%llu bytes_retrans:%llu "
             "bytes_acked:%llu bytes_received:%llu segs_out:%llu segs_in:%llu "
             "retrans:%llu/%llu lost:%llu sacked:%llu unacked:%llu",
             jstr(s, "cc") != NULL ? jstr(s, "cc") : "-", jnum(s, "snd_wscale"),
             jnum(s, "rcv_wscale"), (double)jnum(s, "rto_us") / 1000.0,
             (double)jnum(s, "srtt_us") / 1000.0, (double)jnum(s, "rttvar_us") / 1000.0,
             (double)jnum(s, "min_rtt_us") / 1000.0, jnum(s, "mss"), jnum(s, "pmtu"),
             jnum(s, "rcv_mss"), jnum(s, "advmss"), jnum(s, "cwnd_segs"), jnum(s, "ssthresh_segs"),
             jnum(s, "bytes_sent"), jnum(s, "bytes_retrans"), jnum(s, "bytes_acked"),
             jnum(s, "bytes_received"), jnum(s, "segs_out"), jnum(s, "segs_in"),
             jnum(s, "retries"), jnum(s, "retransmits"), jnum(s, "lost"), jnum(s, "sacked"),
             jnum(s, "unacked"));
}

static void socket_row(struct table *t, const cJSON *s)
{
    char rtt[48] = "-", cwnd[24] = "-", proc[64] = "-";
    if (cJSON_GetObjectItemCaseSensitive(s, "cwnd") != NULL) {
        /* In segments, as ss shows it (bytes are in --json's "cwnd"). */
        snprintf(cwnd, sizeof cwnd, "%llu", jnum(s, "cwnd_segs"));
        snprintf(rtt, sizeof rtt, "%.3f/%.3f", (double)jnum(s, "srtt_us") / 1000.0,
                 (double)jnum(s, "rttvar_us") / 1000.0);
    }
    const cJSON *own = cJSON_GetObjectItemCaseSensitive(s, "owner");
    if (own != NULL)
        snprintf(proc, sizeof proc, "%s(pid=%llu,uid=%llu)",
                 jstr(own, "comm") != NULL ? jstr(own, "comm") : jstr(own, "name"),
                 jnum(own, "pid"), jnum(own, "uid"));
    table_row(t, jstr(s, "proto"), jstr(s, "state"), num(jnum(s, "recv_q")),
              num(jnum(s, "send_q")), jstr(s, "local"), jstr(s, "remote"), cwnd, rtt, proc);
}

static void print_sockets(const cJSON *d, bool info)
{
    struct table t;
    table_init(&t, "Netid,State,>Recv-Q,>Send-Q,Local Address:Port,Peer Address:Port,>cwnd,"
                   ">rtt(ms),Process");
    const cJSON *s;
    cJSON_ArrayForEach(s, cJSON_GetObjectItemCaseSensitive(d, "tcp"))
    {
        socket_row(&t, s);
        if (info && cJSON_GetObjectItemCaseSensitive(s, "cwnd") != NULL) {
            char line[768];
            socket_info(s, line, sizeof line);
            table_trailer(&t, line);
        }
    }
    cJSON_ArrayForEach(s, cJSON_GetObjectItemCaseSensitive(d, "udp")) socket_row(&t, s);
    table_print(&t);
}

static void print_stats(const cJSON *d, bool nstat)
{
    const cJSON *g, *c;
    if (nstat) {
        /* As `nstat -az` prints them. */
        cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(d, "nstat"))
        {
            printf("%-32s %llu\n", c->string,
                   c->valuedouble > 0 ? (unsigned long long)c->valuedouble : 0ull);
        }
        return;
    }
    cJSON_ArrayForEach(g, d)
    {
        if (strcmp(g->string, "nstat") == 0)
            continue;
        printf("%s:\n", g->string);
        cJSON_ArrayForEach(c, g)
        {
            printf("    %s: %llu\n", c->string,
                   c->valuedouble > 0 ? (unsigned long long)c->valuedouble : 0ull);
        }
    }
}

/* ---- main ---- */

int main(int argc, char **argv)
{
    const char *sock = getenv("TCPIPCTL_SOCKET");
    if (sock == NULL || sock[0] == '\0')
        sock = DEFAULT_SOCKET;
    bool json = false, nstat = false, prometheus = false;
    struct sock_filter sf = {0};
    const char *max_bytes = NULL;
    const char *words[64];
    int nwords = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "-s") == 0 || strcmp(a, "--socket") == 0) {
            if (++i == argc)
                die_usage("%s needs a path", a);
            sock = argv[i];
        } else if (strcmp(a, "-j") == 0 || strcmp(a, "--json") == 0) {
            json = true;
        } else if (strcmp(a, "--max-bytes") == 0) {
            if (++i == argc)
                die_usage("%s needs a number", a);
            max_bytes = argv[i];
            if (strspn(max_bytes, "0123456789") != strlen(max_bytes) || max_bytes[0] == '\0')
                die_usage("--max-bytes \"%s\" is not a number", max_bytes);
        } else if (strcmp(a, "--nstat") == 0) {
            nstat = true;
        } else if (strcmp(a, "--prometheus") == 0) {
            prometheus = true;
        } else if (a[0] == '-' && a[1] != '-' && a[1] != '\0' && strspn(a + 1, "tulain") == strlen(a + 1)) {
            /* ss's -t -u -l -a -i (-n: always numeric), for sockets. */
            sf.ss = sf.ss || strpbrk(a + 1, "tula") != NULL;
            sf.tcp = sf.tcp || strchr(a + 1, 't') != NULL;
            sf.udp = sf.udp || strchr(a + 1, 'u') != NULL;
            sf.listening = sf.listening || strchr(a + 1, 'l') != NULL;
            sf.all = sf.all || strchr(a + 1, 'a') != NULL;
            sf.info = sf.info || strchr(a + 1, 'i') != NULL;
        } else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            usage(stdout);
            return 0;
        } else if (strcmp(a, "-V") == 0 || strcmp(a, "--version") == 0) {
            printf("tcpipctl " TCPIP_VERSION "\n");
            return 0;
        } else if (a[0] == '-' && a[1] != '\0') {
            die_usage("unknown option %s", a);
        } else if (nwords == (int)(sizeof words / sizeof words[0])) {
            die_usage("too many arguments");
        } else {
            words[nwords++] = a;
        }
    }
    if (nwords == 0)
        die_usage("no command");

    static const char *const simple[] = {"status", "link", "addr", "neigh",
                                         "route", "sockets", "stats"};
    char req[REQUEST_MAX + 1];
    size_t off = 0;
    bool is_simple = false;
    for (size_t i = 0; i < sizeof simple / sizeof simple[0]; i++)
        is_simple = is_simple || strcmp(words[0], simple[i]) == 0;
    bool is_change = nwords > 1 && (strcmp(words[0], "addr") == 0 || strcmp(words[0], "route") == 0 ||
                                    strcmp(words[0], "neigh") == 0 || strcmp(words[0], "link") == 0);
    if (is_change) {
        /* addr|route|neigh add|del ..., link set ...: the words as typed,
         * as `ip` takes them; the daemon checks them. */
        for (int i = 0; i < nwords && off < sizeof req; i++)
            off += (size_t)snprintf(req + off, sizeof req - off, "%s%s", i ? " " : "", words[i]);
        if (off < sizeof req)
            off += (size_t)snprintf(req + off, sizeof req - off, "\n");
    } else if (is_simple) {
        if (strcmp(words[0], "sockets") == 0)
            parse_sock_words(words + 1, nwords - 1, &sf); /* ss's filter words */
        else if (nwords > 1)
            die_usage("%s takes no arguments", words[0]);
        if (strcmp(words[0], "stats") == 0 && prometheus)
            off = (size_t)snprintf(req, sizeof req, "stats prometheus\n");
        else
            off = (size_t)snprintf(req, sizeof req, "%s\n", words[0]);
    } else if (strcmp(words[0], "capture") == 0) {
        const char *sub = nwords > 1 ? words[1] : "status";
        if (strcmp(sub, "start") == 0) {
            if (nwords < 3)
                die_usage("capture start needs a FILE");
            /* The daemon's working directory is not ours: send an absolute
             * path. */
            char cwd[4096] = "";
            if (words[2][0] != '/' && getcwd(cwd, sizeof cwd) == NULL)
                die_usage("cannot get the current directory: %s", strerror(errno));
            off = (size_t)snprintf(req, sizeof req, "capture start %s%s%s", cwd,
                                   cwd[0] != '\0' ? "/" : "", words[2]);
            if (max_bytes != NULL && off < sizeof req)
                off += (size_t)snprintf(req + off, sizeof req - off, " %s", max_bytes);
            for (int i = 3; i < nwords && off < sizeof req; i++)
                off += (size_t)snprintf(req + off, sizeof req - off, " %s", words[i]);
            if (off < sizeof req)
                off += (size_t)snprintf(req + off, sizeof req - off, "\n");
        } else if ((strcmp(sub, "stop") == 0 || strcmp(sub, "status") == 0) && nwords <= 2) {
            off = (size_t)snprintf(req, sizeof req, "capture %s\n", sub);
        } else {
            die_usage("usage: capture start FILE [--max-bytes N] [FILTER] | capture stop | "
                      "capture status");
        }
    } else {
        die_usage("unknown command \"%s\"", words[0]);
    }
    if (off >= sizeof req || off > REQUEST_MAX)
        die_usage("request longer than %d bytes", REQUEST_MAX);
    if (strchr(req, '\n') != req + off - 1 || strpbrk(req, "\r\t") != NULL)
        die_usage("arguments may not contain newlines or tabs");

    char *text = exchange(sock, req);
    if (text == NULL)
        return 1;
    cJSON *doc = cJSON_Parse(text);
    if (doc == NULL || !cJSON_IsObject(doc)) {
        fprintf(stderr, "%s: %s sent a reply that is not JSON\n", prog, sock);
        cJSON_Delete(doc);
        free(text);
        return 1;
    }
    free(text);
    int status = 0;
    cJSON *data = cJSON_GetObjectItemCaseSensitive(doc, "data");
    if (jbool(doc, "ok") && strcmp(words[0], "sockets") == 0 && cJSON_IsObject(data)) {
        /* ss's filters and program names, here: the daemon sends all. */
        cJSON *tcp = cJSON_GetObjectItemCaseSensitive(data, "tcp");
        cJSON *udp = cJSON_GetObjectItemCaseSensitive(data, "udp");
        filter_array(tcp, &sf, true);
        filter_array(udp, &sf, false);
        add_comms(tcp);
        add_comms(udp);
    }
    if (!jbool(doc, "ok")) {
        const char *e = jstr(doc, "error");
        fprintf(stderr, "%s: %s: %s\n", prog, words[0], e != NULL ? e : "request failed");
        if (json) {
            char *s = cJSON_Print(doc);
            if (s != NULL)
                printf("%s\n", s);
            free(s);
        }
        status = 1;
    } else if (is_change && !json) {
        /* As `ip addr add`: silent on success. */
    } else if (prometheus && strcmp(words[0], "stats") == 0) {
        fputs(cJSON_IsString(data) ? data->valuestring : "", stdout);
    } else if (json && nstat && strcmp(words[0], "stats") == 0) {
        char *s = cJSON_Print(cJSON_GetObjectItemCaseSensitive(data, "nstat"));
        if (s != NULL)
            printf("%s\n", s);
        free(s);
    } else if (json) {
        char *s = cJSON_Print(data);
        if (s != NULL)
            printf("%s\n", s);
        free(s);
    } else if (strcmp(words[0], "status") == 0) {
        print_status(data);
    } else if (strcmp(words[0], "link") == 0) {
        print_link(data);
    } else if (strcmp(words[0], "addr") == 0) {
        print_addr(data);
    } else if (strcmp(words[0], "neigh") == 0) {
        print_neigh(data);
    } else if (strcmp(words[0], "route") == 0) {
        print_route(data);
    } else if (strcmp(words[0], "sockets") == 0) {
        print_sockets(data, sf.info);
    } else if (strcmp(words[0], "stats") == 0) {
        print_stats(data, nstat);
    } else {
        print_capture(data);
    }
    cJSON_Delete(doc);
    if (fflush(stdout) != 0)
        status = 1;
    return status;
}
