/* metrics.c - see metrics.h. */
#include "daemon/metrics.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Linux's name, and the stack counters (by name) that add up to it.
 * Only where the meaning is the same: Linux's MIB (RFC 1213, RFC 4022,
 * RFC 4293) and its TcpExt extensions. */
struct nstat_map {
    const char *nstat;
    const char *ours[5];
};

static const struct nstat_map nstat_map[] = {
    {"IpInReceives", {"ipv4.rx"}},
    {"IpInHdrErrors",
     {"ipv4.rx_drop_bad_version", "ipv4.rx_drop_bad_header", "ipv4.rx_drop_bad_csum",
      "ipv4.rx_drop_ttl_zero", "ipv4.rx_drop_bad_length"}},
    {"IpInAddrErrors", {"ipv4.rx_drop_not_for_us", "ipv4.rx_drop_martian"}},
    {"IpInUnknownProtos", {"ipv4.rx_drop_unknown_proto"}},
    {"IpInDelivers", {"ipv4.rx_delivered"}},
    {"IpOutRequests", {"ipv4.tx"}},
    {"IpOutNoRoutes", {"ipv4.tx_drop_no_route"}},
    {"IpReasmTimeout", {"ipv4.reasm_timeouts"}},
    {"IpReasmReqds", {"ipv4.reasm_reqds"}},
    {"IpReasmOKs", {"ipv4.reasm_oks"}},
    {"IpReasmFails", {"ipv4.reasm_fails"}},
    {"IpFragCreates", {"ipv4.tx_fragments"}},
    {"IpExtReasmOverlaps", {"ipv4.reasm_overlaps"}},
    {"IcmpInMsgs", {"icmp4.rx"}},
    {"IcmpInCsumErrors", {"icmp4.rx_drop_bad_csum"}},
    {"IcmpInDestUnreachs", {"icmp4.rx_dest_unreach"}},
    {"IcmpInTimeExcds", {"icmp4.rx_time_exceeded"}},
    {"IcmpInParmProbs", {"icmp4.rx_param_problem"}},
    {"IcmpInEchos", {"icmp4.rx_echo_requests"}},
    {"IcmpInEchoReps", {"icmp4.rx_echo_replies"}},
    {"IcmpOutMsgs", {"icmp4.tx_echo_replies", "icmp4.tx_dest_unreach"}},
    {"IcmpOutDestUnreachs", {"icmp4.tx_dest_unreach"}},
    {"IcmpOutEchoReps", {"icmp4.tx_echo_replies"}},
    {"TcpActiveOpens", {"tcp.active_opens"}},
    {"TcpPassiveOpens", {"tcp.passive_opens"}},
    {"TcpAttemptFails", {"tcp.attempt_fails"}},
    {"TcpEstabResets", {"tcp.estab_resets"}},
    {"TcpInSegs", {"tcp.rx_segs"}},
    {"TcpOutSegs", {"tcp.tx_segs"}},
    {"TcpRetransSegs", {"tcp.retrans_segs"}},
    {"TcpInErrs", {"tcp.rx_drop_truncated", "tcp.rx_drop_bad_header", "tcp.rx_drop_bad_csum"}},
    {"TcpOutRsts", {"tcp.tx_rsts"}},
    {"TcpInCsumErrors", {"tcp.rx_drop_bad_csum"}},
    {"UdpInDatagrams", {"udp.rx_delivered"}},
    {"UdpNoPorts", {"udp.rx_no_port"}},
    {"UdpInErrors",
     {"udp.rx_drop_truncated", "udp.rx_drop_bad_length", "udp.rx_drop_bad_csum",
      "udp.rx_drop_rcvbuf"}},
    {"UdpOutDatagrams", {"udp.tx"}},
    {"UdpRcvbufErrors", {"udp.rx_drop_rcvbuf"}},
    {"UdpInCsumErrors", {"udp.rx_drop_bad_csum"}},
    {"Ip6InReceives", {"ipv6.rx"}},
    {"Ip6InHdrErrors", {"ipv6.rx_drop_bad_version", "ipv6.rx_drop_bad_length", "ipv6.rx_drop_bad_ext"}},
    {"Ip6InAddrErrors", {"ipv6.rx_drop_not_for_us", "ipv6.rx_drop_martian"}},
    {"Ip6InUnknownProtos", {"ipv6.rx_drop_unknown_proto"}},
    {"Ip6InDelivers", {"ipv6.rx_delivered"}},
    {"Ip6OutRequests", {"ipv6.tx"}},
    {"Ip6OutNoRoutes", {"ipv6.tx_drop_no_route"}},
    {"Ip6ReasmReqds", {"ipv6.reasm_frags"}},
    {"Ip6ReasmOKs", {"ipv6.reasm_ok"}},
    {"Ip6ReasmTimeout", {"ipv6.reasm_drop_timeout"}},
    {"Ip6FragCreates", {"ipv6.tx_fragments"}},
    {"Icmp6InMsgs", {"icmp6.rx"}},
    {"Icmp6InCsumErrors", {"icmp6.rx_drop_bad_csum"}},
    {"Icmp6InDestUnreachs", {"icmp6.rx_dest_unreach"}},
    {"Icmp6InPktTooBigs", {"icmp6.rx_pkt_too_big"}},
    {"Icmp6InTimeExcds", {"icmp6.rx_time_exceeded"}},
    {"Icmp6InParmProblems", {"icmp6.rx_param_problem"}},
    {"Icmp6InEchos", {"icmp6.rx_echo_requests"}},
    {"Icmp6InEchoReplies", {"icmp6.rx_echo_replies"}},
    {"Icmp6OutDestUnreachs", {"icmp6.tx_dest_unreach"}},
    {"Icmp6OutEchoReplies", {"icmp6.tx_echo_replies"}},
    {"TcpExtSyncookiesSent", {"tcp.syncookies_sent"}},
    {"TcpExtSyncookiesRecv", {"tcp.syncookies_recv"}},
    {"TcpExtSyncookiesFailed", {"tcp.syncookies_failed"}},
    {"TcpExtPAWSEstab", {"tcp.rx_drop_paws"}},
    {"TcpExtDelayedACKs", {"tcp.delayed_acks"}},
    {"TcpExtListenOverflows", {"tcp.listen_overflows"}},
    {"TcpExtListenDrops", {"tcp.listen_drops"}},
    {"TcpExtTCPRenoRecovery", {"tcp.reno_recoveries"}},
    {"TcpExtTCPSackRecovery", {"tcp.sack_recoveries"}},
    {"TcpExtTCPFastRetrans", {"tcp.fast_retrans"}},
    {"TcpExtTCPTimeouts", {"tcp.timeouts"}},
    {"TcpExtTCPSynRetrans", {"tcp.syn_retrans"}},
    {"TcpExtTCPOFOQueue", {"tcp.rx_out_of_order"}},
    {"TcpExtTCPOFODrop", {"tcp.rx_drop_ooo_full"}},
    {"TcpExtTCPAbortOnData", {"tcp.abort_on_data"}},
    {"TcpExtTCPAbortOnTimeout", {"tcp.conn_timeouts"}},
    {"TcpExtTCPChallengeACK", {"tcp.tx_challenge_acks"}},
    {"TcpExtTCPKeepAlive", {"tcp.keepalive_probes"}},
    {"TcpExtTCPTimeWaitReused", {"tcp.timewait_reused"}},
};

/* The value of our counter called name, or false if there is none. */
static bool counter(const uint64_t *c, const char *name, uint64_t *out)
{
    for (int i = 0; i < CTR_MAX; i++) {
        const char *n = stack_counter_name((enum stack_counter)i);
        if (n != NULL && strcmp(n, name) == 0) {
            *out = c[i];
            return true;
        }
    }
    return false;
}

cJSON *metrics_nstat_json(const struct control_env *env)
{
    const uint64_t *c = stack_counters(env->stack);
    cJSON *o = cJSON_CreateObject();
    for (size_t i = 0; o != NULL && i < sizeof nstat_map / sizeof nstat_map[0]; i++) {
        uint64_t sum = 0, v;
        bool any = false;
        for (size_t k = 0; k < 5 && nstat_map[i].ours[k] != NULL; k++)
            if (counter(c, nstat_map[i].ours[k], &v)) {
                sum += v;
                any = true;
            }
        if (any)
            cJSON_AddNumberToObject(o, nstat_map[i].nstat, (double)sum);
    }
    return o;
}

/* A growing text buffer. */
struct text {
    char *p;
    size_t len, cap;
    bool failed;
};

static void put(struct text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(struct text *t, const char *fmt, ...)
{
    if (t->failed)
        return;
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(t->p + t->len, t->cap - t->len, fmt, ap);
        va_end(ap);
        if (n < 0) {
            t->failed = true;
            return;
        }
        if ((size_t)n < t->cap - t->len) {
            t->len += (size_t)n;
            return;
        }
        size_t cap = t->cap * 2 + (size_t)n;
        char *np = realloc(t->p, cap);
        if (np == NULL) {
            t->failed = true;
            return;
        }
        t->p = np;
        t->cap = cap;
    }
}

/* A metric name from our "group.name": tcpipd_group_name. */
static void metric_name(char *out, size_t len, const char *name)
{
    snprintf(out, len, "tcpipd_%s", name);
    for (char *q = out; *q != '\0'; q++)
        if (*q == '.' || *q == '-')
            *q = '_';
}

char *metrics_prometheus(const struct control_env *env)
{
    struct text t = {.cap = 16384};
    t.p = malloc(t.cap);
    if (t.p == NULL)
        return NULL;
    t.p[0] = '\0';
    const uint64_t *c = stack_counters(env->stack);
    char m[96];
    for (int i = 0; i < CTR_MAX; i++) {
        const char *n = stack_counter_name((enum stack_counter)i);
        if (n == NULL)
            continue;
        metric_name(m, sizeof m, n);
        put(&t, "# HELP %s_total tcpipd stack counter %s\n# TYPE %s_total counter\n%s_total %llu\n",
            m, n, m, m, (unsigned long long)c[i]);
    }
    cJSON *ns = metrics_nstat_json(env);
    const cJSON *x;
    cJSON_ArrayForEach(x, ns)
    {
        put(&t, "# HELP tcpipd_netstat_%s Linux nstat's %s\n# TYPE tcpipd_netstat_%s untyped\n"
                "tcpipd_netstat_%s %.0f\n",
            x->string, x->string, x->string, x->string, x->valuedouble);
    }
    cJSON_Delete(ns);
    /* Per interface, labelled as node_exporter's netdev collector does. */
    struct netif_info ifs[STACK_MAX_NETIFS + 1];
    size_t nif = stack_netif_list(env->stack, ifs, STACK_MAX_NETIFS + 1);
    static const char *const what[] = {"rx_packets", "rx_bytes", "tx_packets", "tx_bytes",
                                       "rx_dropped", "tx_dropped"};
    for (size_t w = 0; w < 6; w++) {
        put(&t, "# HELP tcpipd_interface_%s_total per interface\n"
                "# TYPE tcpipd_interface_%s_total counter\n",
            what[w], what[w]);
        for (size_t i = 0; i < nif && i <= STACK_MAX_NETIFS; i++) {
            const struct netif_info *ni = &ifs[i];
            uint64_t v[] = {ni->rx_packets, ni->rx_bytes, ni->tx_packets,
                            ni->tx_bytes,   ni->rx_dropped, ni->tx_dropped};
            put(&t, "tcpipd_interface_%s_total{interface=\"%s\"} %llu\n", what[w], ni->name,
                (unsigned long long)v[w]);
        }
    }
    put(&t, "# HELP tcpipd_tcp_sockets TCP sockets of every state now\n"
            "# TYPE tcpipd_tcp_sockets gauge\ntcpipd_tcp_sockets %zu\n",
        stack_tcp_list(env->stack, NULL, 0));
    uint64_t up = env->now_ns > env->started_ns ? env->now_ns - env->started_ns : 0;
    put(&t, "# HELP tcpipd_uptime_seconds since tcpipd started\n"
            "# TYPE tcpipd_uptime_seconds gauge\ntcpipd_uptime_seconds %llu\n",
        (unsigned long long)(up / NS_PER_SEC));
    const struct ipc_server *srv = env->ipc != NULL ? *env->ipc : NULL;
    if (srv != NULL) {
        struct ipc_server_stats st;
        ipc_server_get_stats(srv, &st);
        put(&t, "# TYPE tcpipd_ipc_clients gauge\ntcpipd_ipc_clients %llu\n"
                "# TYPE tcpipd_ipc_sockets gauge\ntcpipd_ipc_sockets %llu\n"
                "# TYPE tcpipd_ipc_bytes_to_stack_total counter\ntcpipd_ipc_bytes_to_stack_total %llu\n"
                "# TYPE tcpipd_ipc_bytes_from_stack_total counter\n"
                "tcpipd_ipc_bytes_from_stack_total %llu\n",
            (unsigned long long)st.clients, (unsigned long long)st.sockets,
            (unsigned long long)st.bytes_to_stack, (unsigned long long)st.bytes_from_stack);
    }
    if (t.failed) {
        free(t.p);
        return NULL;
    }
    return t.p;
}

int metrics_write_textfile(const struct control_env *env, const char *path)
{
    char tmp[4096];
    if (snprintf(tmp, sizeof tmp, "%s.tmp", path) >= (int)sizeof tmp)
        return -ENAMETOOLONG;
    char *text = metrics_prometheus(env);
    if (text == NULL)
        return -ENOMEM;
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
    if (fd < 0) {
        int e = errno;
        free(text);
        return -e;
    }
    size_t len = strlen(text), off = 0;
    int rc = 0;
    while (off < len) {
        ssize_t n = write(fd, text + off, len - off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            rc = n < 0 ? -errno : -EIO;
            break;
        }
        off += (size_t)n;
    }
    free(text);
    if (close(fd) != 0 && rc == 0)
        rc = -errno;
    if (rc == 0 && rename(tmp, path) != 0)
        rc = -errno;
    if (rc != 0)
        unlink(tmp);
    return rc;
}
