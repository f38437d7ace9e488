/* control_cmd.c - the control channel's requests and their JSON replies
 * (see control.h and docs/control.md). No I/O here but the capture file. */
#include <cjson/cJSON.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/control.h"
#include "daemon/control_int.h"
#include "daemon/metrics.h"

#define WORD_MAX 40              /* words in a request: capture start P N + 8-term filter */

/* ---- parsing ---- */

static int req_error(char *err, size_t errlen, int e, const char *fmt, const char *arg)
{
    snprintf(err, errlen, fmt, arg);
    return -e;
}

static bool parse_u64(const char *s, uint64_t *out)
{
    if (*s == '\0' || strlen(s) > 19)
        return false;
    uint64_t v = 0;
    for (const char *c = s; *c != '\0'; c++) {
        if (*c < '0' || *c > '9')
            return false;
        v = v * 10 + (uint64_t)(*c - '0');
    }
    *out = v;
    return true;
}

static const struct {
    const char *word;
    enum control_cmd cmd;
} simple_cmds[] = {
    {"status", CONTROL_CMD_STATUS}, {"link", CONTROL_CMD_LINK},
    {"addr", CONTROL_CMD_ADDR},     {"neigh", CONTROL_CMD_NEIGH},
    {"route", CONTROL_CMD_ROUTE},   {"sockets", CONTROL_CMD_SOCKETS},
    {"stats", CONTROL_CMD_STATS},
};

int control_parse_request(const char *line, size_t len, struct control_request *req, char *err,
                          size_t errlen)
{
    memset(req, 0, sizeof *req);
    if (len > 0 && line[len - 1] == '\n')
        len--;
    if (len > 0 && line[len - 1] == '\r')
        len--;
    if (len >= CONTROL_REQUEST_MAX)
        return req_error(err, errlen, EMSGSIZE, "request longer than %s bytes", "1023");
    char buf[CONTROL_REQUEST_MAX];
    for (size_t i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)line[i];
        if ((ch < 0x20 && ch != '\t') || ch == 0x7f)
            return req_error(err, errlen, EINVAL,
                             "request contains a control character or NUL%s", "");
        buf[i] = ch == '\t' ? ' ' : (char)ch;
    }
    buf[len] = '\0';

    /* Split on spaces in place. */
    char *words[WORD_MAX + 1];
    size_t n = 0;
    char *save = NULL;
    for (char *w = strtok_r(buf, " ", &save); w != NULL; w = strtok_r(NULL, " ", &save)) {
        if (n == WORD_MAX + 1)
            break;
        words[n++] = w;
    }
    if (n == 0)
        return req_error(err, errlen, EINVAL, "empty request%s", "");

    if (n == 2 && strcmp(words[0], "stats") == 0 && strcmp(words[1], "prometheus") == 0) {
        req->cmd = CONTROL_CMD_STATS_PROMETHEUS;
        return 0;
    }
    if (n > 1 && (strcmp(words[0], "addr") == 0 || strcmp(words[0], "route") == 0 ||
                  strcmp(words[0], "neigh") == 0 || strcmp(words[0], "link") == 0)) {
        if (n == WORD_MAX + 1)
            return req_error(err, errlen, EINVAL, "too many words%s", "");
        return control_parse_change(words, n, req, err, errlen);
    }
    for (size_t i = 0; i < sizeof simple_cmds / sizeof simple_cmds[0]; i++) {
        if (strcmp(words[0], simple_cmds[i].word) != 0)
            continue;
        if (n > 1)
            return req_error(err, errlen, EINVAL, "\"%s\" takes no arguments", words[0]);
        req->cmd = simple_cmds[i].cmd;
        return 0;
    }
    if (strcmp(words[0], "capture") != 0)
        return req_error(err, errlen, EINVAL,
                         "unknown request \"%s\" (expected status, link, addr, neigh, route, "
                         "sockets, stats or capture)",
                         words[0]);
    if (n == 1 || strcmp(words[1], "status") == 0) {
        if (n > 2)
            return req_error(err, errlen, EINVAL, "\"capture status\" takes no arguments%s", "");
        req->cmd = CONTROL_CMD_CAPTURE_STATUS;
        return 0;
    }
    if (strcmp(words[1], "stop") == 0) {
        if (n > 2)
            return req_error(err, errlen, EINVAL, "\"capture stop\" takes no arguments%s", "");
        req->cmd = CONTROL_CMD_CAPTURE_STOP;
        return 0;
    }
    if (strcmp(words[1], "start") != 0)
        return req_error(err, errlen, EINVAL,
                         "unknown capture request \"%s\" (expected start, stop or status)",
                         words[1]);
    if (n < 3)
        return req_error(err, errlen, EINVAL, "usage: capture start PATH [MAX_BYTES] [FILTER]%s",
                         "");
    if (words[2][0] != '/')
        return req_error(err, errlen, EINVAL, "capture path \"%s\" is not absolute", words[2]);
    if (strlen(words[2]) >= sizeof req->path)
        return req_error(err, errlen, ENAMETOOLONG, "capture path longer than %s characters",
                         "255");
    memcpy(req->path, words[2], strlen(words[2]) + 1);
    req->cmd = CONTROL_CMD_CAPTURE_START;
    size_t next = 3;
    if (next < n && words[next][0] >= '0' && words[next][0] <= '9') {
        if (!parse_u64(words[next], &req->max_bytes))
            return req_error(err, errlen, EINVAL, "max_bytes \"%s\" is not a number", words[next]);
        next++;
    }
    if (n == WORD_MAX + 1)
        return req_error(err, errlen, EINVAL, "capture filter has too many words%s", "");
    /* The rest is the filter, rejoined with single spaces; capture_start
     * checks it. */
    size_t off = 0;
    for (size_t i = next; i < n; i++) {
        int w = snprintf(req->filter + off, sizeof req->filter - off, "%s%s", i > next ? " " : "",
                         words[i]);
        if (w < 0 || (size_t)w >= sizeof req->filter - off)
            return req_error(err, errlen, EINVAL, "capture filter too long%s", "");
        off += (size_t)w;
    }
    return 0;
}

/* ---- reply pieces ---- */

static void add_endpoint(cJSON *o, const char *key, const struct ip_endpoint *ep)
{
    char a[IP_ADDR_STRLEN], buf[IP_ADDR_STRLEN + 8];
    ip_addr_format(&ep->addr, a, sizeof a);
    if (ep->addr.family == IP_FAMILY_V6)
        snprintf(buf, sizeof buf, "[%s]:%u", a, (unsigned)ep->port);
    else
        snprintf(buf, sizeof buf, "%s:%u", a, (unsigned)ep->port);
    cJSON_AddStringToObject(o, key, buf);
}

/* Sockets of the built-in services belong to tcpipd itself; a socket an
 * application opened over IPC (owner != NULL) to that client's pid/uid. */
static void add_owner(cJSON *o, const struct control_env *env,
                      const struct ipc_sock_owner *owner)
{
    cJSON *own = cJSON_AddObjectToObject(o, "owner");
    if (own == NULL)
        return;
    if (owner != NULL) {
        cJSON_AddNumberToObject(own, "pid", (double)owner->pid);
        cJSON_AddNumberToObject(own, "uid", (double)owner->uid);
        cJSON_AddStringToObject(own, "name", "client");
        /* bytes taken from the application's fd, and written into it */
        cJSON_AddNumberToObject(own, "bytes_from_app", (double)owner->bytes_to_stack);
        cJSON_AddNumberToObject(own, "bytes_to_app", (double)owner->bytes_from_stack);
        return;
    }
    cJSON_AddNumberToObject(own, "pid", (double)env->pid);
    cJSON_AddNumberToObject(own, "uid", (double)env->uid);
    cJSON_AddStringToObject(own, "name", "tcpipd");
}

/* The IPC server's table of client sockets (NULL with *n = 0 if none). */
static struct ipc_sock_owner *ipc_owners(const struct control_env *env, size_t *n)
{
    *n = 0;
    const struct ipc_server *srv = env->ipc != NULL ? *env->ipc : NULL;
    if (srv == NULL)
        return NULL;
    size_t total = ipc_server_list(srv, NULL, 0);
    if (total == 0)
        return NULL;
    struct ipc_sock_owner *list = calloc(total, sizeof *list);
    if (list == NULL)
        return NULL;
    *n = ipc_server_list(srv, list, total);
    if (*n > total)
        *n = total;
    return list;
}

static const struct ipc_sock_owner *owner_of_tcp(const struct ipc_sock_owner *list, size_t n,
                                                 const struct tcp_sock *ts)
{
    for (size_t i = 0; i < n && ts != NULL; i++)
        if (list[i].tcp == ts)
            return &list[i];
    return NULL;
}

static const struct services *env_services(const struct control_env *env)
{
    return env->services != NULL ? *env->services : NULL;
}

static cJSON *services_json(const struct control_env *env)
{
    cJSON *arr = cJSON_CreateArray();
    size_t n = services_count(env_services(env));
    for (size_t i = 0; arr != NULL && i < n; i++) {
        struct service_info si;
        if (services_info(env_services(env), i, &si) != 0)
            continue;
        cJSON *o = cJSON_CreateObject();
        if (o == NULL)
            break;
        cJSON_AddItemToArray(arr, o);
        cJSON_AddStringToObject(o, "name", si.name);
        cJSON_AddStringToObject(o, "proto", si.proto);
        cJSON_AddNumberToObject(o, "port", si.port);
        cJSON_AddNumberToObject(o, "rx_bytes", (double)si.stats.rx_bytes);
        cJSON_AddNumberToObject(o, "tx_bytes", (double)si.stats.tx_bytes);
        if (strcmp(si.proto, "tcp") == 0) {
            cJSON_AddNumberToObject(o, "conns_accepted", (double)si.stats.conns_accepted);
            cJSON_AddNumberToObject(o, "conns_active", (double)si.stats.conns_active);
        } else {
            cJSON_AddNumberToObject(o, "rx_datagrams", (double)si.stats.rx_datagrams);
            cJSON_AddNumberToObject(o, "tx_datagrams", (double)si.stats.tx_datagrams);
        }
    }
    return arr;
}

static cJSON *capture_json(const struct control_env *env)
{
    struct capture_status st;
    capture_get_status(env->capture, &st);
    cJSON *o = cJSON_CreateObject();
    if (o == NULL)
        return NULL;
    cJSON_AddBoolToObject(o, "active", st.active);
    if (st.path[0] != '\0')
        cJSON_AddStringToObject(o, "path", st.path);
    else
        cJSON_AddNullToObject(o, "path");
    cJSON_AddStringToObject(o, "filter", st.filter);
    cJSON_AddNumberToObject(o, "max_bytes", (double)st.max_bytes);
    cJSON_AddNumberToObject(o, "bytes", (double)st.bytes);
    cJSON_AddNumberToObject(o, "frames", (double)st.frames);
    cJSON_AddNumberToObject(o, "filtered", (double)st.filtered);
    cJSON_AddBoolToObject(o, "stopped_full", st.stopped_full);
    return o;
}

/* ---- the commands ---- */

static cJSON *cmd_status(const struct control_env *env)
{
    cJSON *o = cJSON_CreateObject();
    if (o == NULL)
        return NULL;
    cJSON_AddStringToObject(o, "version", env->version != NULL ? env->version : "");
    cJSON_AddNumberToObject(o, "pid", (double)env->pid);
    cJSON_AddNumberToObject(o, "uid", (double)env->uid);
    uint64_t up = env->now_ns > env->started_ns ? env->now_ns - env->started_ns : 0;
    cJSON_AddNumberToObject(o, "uptime_s", (double)(up / NS_PER_SEC));
    cJSON_AddNumberToObject(o, "interfaces", (double)env->n_ifaces);
    cJSON_AddItemToObject(o, "addresses", control_status_addresses(env));
    cJSON_AddItemToObject(o, "dhcp", control_status_dhcp(env));
    cJSON_AddItemToObject(o, "dns6", control_status_dns6(env));
    cJSON_AddNumberToObject(o, "tcp_connections", (double)stack_tcp_list(env->stack, NULL, 0));
    cJSON_AddItemToObject(o, "services", services_json(env));
    cJSON_AddItemToObject(o, "capture", capture_json(env));
    return o;
}

cJSON *control_cmd_link(const struct control_env *env)
{
    size_t n = stack_netif_list(env->stack, NULL, 0);
    struct netif_info *list = calloc(n > 0 ? n : 1, sizeof *list);
    cJSON *arr = list != NULL ? cJSON_CreateArray() : NULL;
    if (arr == NULL) {
        free(list);
        return NULL;
    }
    size_t got = stack_netif_list(env->stack, list, n);
    if (got < n)
        n = got;
    for (size_t i = 0; i < n; i++) {
        const struct netif_info *ni = &list[i];
        char mac[ETH_ADDR_STRLEN];
        cJSON *o = cJSON_CreateObject();
        if (o == NULL)
            break;
        cJSON_AddItemToArray(arr, o);
        cJSON_AddNumberToObject(o, "ifindex", ni->ifindex);
        cJSON_AddStringToObject(o, "name", ni->name);
        if (ni->loopback)
            cJSON_AddNullToObject(o, "mac");
        else
            cJSON_AddStringToObject(o, "mac", eth_addr_format(&ni->mac, mac, sizeof mac));
        cJSON_AddStringToObject(o, "type", ni->loopback ? "loopback" : "ether");
        cJSON_AddNumberToObject(o, "mtu", ni->mtu);
        cJSON_AddBoolToObject(o, "up", ni->up);
        /* Each interface's own: Ethernet frames, or lo's IP packets. */
        cJSON_AddNumberToObject(o, "rx_frames", (double)ni->rx_packets);
        cJSON_AddNumberToObject(o, "rx_bytes", (double)ni->rx_bytes);
        cJSON_AddNumberToObject(o, "tx_frames", (double)ni->tx_packets);
        cJSON_AddNumberToObject(o, "tx_bytes", (double)ni->tx_bytes);
        cJSON_AddNumberToObject(o, "rx_dropped", (double)ni->rx_dropped);
        cJSON_AddNumberToObject(o, "tx_dropped", (double)ni->tx_dropped);
    }
    free(list);
    return arr;
}

static cJSON *tcp_conn_json(const struct control_env *env, const struct tcp_conn_info *ci,
                            const struct ipc_sock_owner *owner)
{
    cJSON *o = cJSON_CreateObject();
    if (o == NULL)
        return NULL;
    bool listen = ci->state == TCP_LISTEN;
    cJSON_AddStringToObject(o, "proto", "tcp");
    cJSON_AddStringToObject(o, "state", tcp_state_name(ci->state));
    /* ss shows a listener's accept queue as Recv-Q and its backlog as Send-Q. */
    cJSON_AddNumberToObject(o, "recv_q", listen ? ci->accept_queue : ci->recv_queue);
    cJSON_AddNumberToObject(o, "send_q", listen ? ci->backlog : ci->send_queue);
    add_endpoint(o, "local", &ci->local);
    if (listen || ci->remote.addr.family == IP_FAMILY_NONE)
        cJSON_AddStringToObject(o, "remote", "*:*");
    else
        add_endpoint(o, "remote", &ci->remote);
    if (!listen) {
        cJSON_AddNumberToObject(o, "cwnd", ci->cwnd);
        cJSON_AddNumberToObject(o, "ssthresh", ci->ssthresh);
        cJSON_AddNumberToObject(o, "srtt_us", (double)ci->srtt_us);
        cJSON_AddNumberToObject(o, "rttvar_us", (double)ci->rttvar_us);
        cJSON_AddNumberToObject(o, "rto_us", (double)ci->rto_us);
        cJSON_AddNumberToObject(o, "mss", ci->mss);
        cJSON_AddNumberToObject(o, "snd_wnd", ci->snd_wnd);
        cJSON_AddNumberToObject(o, "rcv_wnd", ci->rcv_wnd);
        cJSON_AddNumberToObject(o, "snd_wscale", ci->snd_wscale);
        cJSON_AddNumberToObject(o, "rcv_wscale", ci->rcv_wscale);
        cJSON_AddBoolToObject(o, "sack", ci->sack);
        cJSON_AddBoolToObject(o, "timestamps", ci->timestamps);
        cJSON_AddNumberToObject(o, "retransmits", (double)ci->retransmits);
        cJSON_AddNumberToObject(o, "backoff", ci->backoff);
        cJSON_AddStringToObject(o, "cc", ci->cc != NULL ? ci->cc : "");
        /* As ss -i shows them: windows in segments, TCP_INFO's counts. */
        cJSON_AddNumberToObject(o, "cwnd_segs", ci->snd_cwnd_segs);
        cJSON_AddNumberToObject(o, "ssthresh_segs", ci->snd_ssthresh_segs);
        cJSON_AddNumberToObject(o, "min_rtt_us", (double)ci->min_rtt_us);
        cJSON_AddNumberToObject(o, "pmtu", ci->pmtu);
        cJSON_AddNumberToObject(o, "advmss", ci->advmss);
        cJSON_AddNumberToObject(o, "rcv_mss", ci->rcv_mss);
        cJSON_AddNumberToObject(o, "unacked", ci->unacked);
        cJSON_AddNumberToObject(o, "sacked", ci->sacked);
        cJSON_AddNumberToObject(o, "lost", ci->lost);
        cJSON_AddNumberToObject(o, "retries", ci->retries);
        cJSON_AddNumberToObject(o, "bytes_sent", (double)ci->bytes_sent);
        cJSON_AddNumberToObject(o, "bytes_retrans", (double)ci->bytes_retrans);
        cJSON_AddNumberToObject(o, "bytes_acked", (double)ci->bytes_acked);
        cJSON_AddNumberToObject(o, "bytes_received", (double)ci->bytes_received);
        cJSON_AddNumberToObject(o, "segs_out", (double)ci->segs_out);
        cJSON_AddNumberToObject(o, "segs_in", (double)ci->segs_in);
    }
    cJSON_AddBoolToObject(o, "orphan", ci->orphan);
    add_owner(o, env, owner);
    return o;
}

static const struct ipc_sock_owner *owner_of_udp(const struct ipc_sock_owner *list, size_t n,
                                                 const struct udp_sock *us)
{
    for (size_t i = 0; i < n && us != NULL; i++)
        if (list[i].udp == us)
            return &list[i];
    return NULL;
}

/* The built-in UDP service on port, if tcpipd's own socket is one. */
static const char *udp_service_name(const struct control_env *env, uint16_t port)
{
    const struct services *sv = env_services(env);
    size_t ns = services_count(sv);
    for (size_t i = 0; i < ns; i++) {
        struct service_info si;
        if (services_info(sv, i, &si) == 0 && strcmp(si.proto, "udp") == 0 && si.port == port)
            return si.name;
    }
    return NULL;
}

/* Every UDP socket of the stack with a port, as ss -uan: the built-in
 * services' and the applications'. false on allocation failure. */
static bool add_udp_sockets(const struct control_env *env, cJSON *arr,
                            const struct ipc_sock_owner *owners, size_t n_own)
{
    size_t n = stack_udp_list(env->stack, NULL, 0);
    struct udp_sock_info *list = calloc(n > 0 ? n : 1, sizeof *list);
    if (list == NULL)
        return false;
    n = stack_udp_list(env->stack, list, n);
    bool ok = true;
    for (size_t i = 0; i < n && ok; i++) {
        const struct udp_sock_info *ui = &list[i];
        const struct ipc_sock_owner *owner = owner_of_udp(owners, n_own, ui->sock);
        cJSON *u = cJSON_CreateObject();
        ok = u != NULL && cJSON_AddItemToArray(arr, u);
        if (!ok) {
            cJSON_Delete(u);
            break;
        }
        cJSON_AddStringToObject(u, "proto", "udp");
        /* ss's names: a connected UDP socket is ESTAB, others UNCONN. */
        cJSON_AddStringToObject(u, "state", ui->connected ? "ESTAB" : "UNCONN");
        cJSON_AddNumberToObject(u, "recv_q", ui->recv_queue);
        cJSON_AddNumberToObject(u, "send_q", 0);
        add_endpoint(u, "local", &ui->local);
        if (ui->connected)
            add_endpoint(u, "remote", &ui->remote);
        else
            cJSON_AddStringToObject(u, "remote", "*:*");
        const char *service = owner == NULL ? udp_service_name(env, ui->local.port) : NULL;
        if (service != NULL)
            cJSON_AddStringToObject(u, "service", service);
        add_owner(u, env, owner);
    }
    free(list);
    return ok;
}

static cJSON *cmd_sockets(const struct control_env *env)
{
    size_t n = stack_tcp_list(env->stack, NULL, 0);
    struct tcp_conn_info *list = calloc(n > 0 ? n : 1, sizeof *list);
    cJSON *o = list != NULL ? cJSON_CreateObject() : NULL;
    cJSON *tcp = o != NULL ? cJSON_AddArrayToObject(o, "tcp") : NULL;
    cJSON *udp = o != NULL ? cJSON_AddArrayToObject(o, "udp") : NULL;
    if (tcp == NULL || udp == NULL) {
        cJSON_Delete(o);
        free(list);
        return NULL;
    }
    n = stack_tcp_list(env->stack, list, n);
    size_t n_own;
    struct ipc_sock_owner *owners = ipc_owners(env, &n_own);
    for (size_t i = 0; i < n; i++) {
        cJSON *c = tcp_conn_json(env, &list[i], owner_of_tcp(owners, n_own, list[i].sock));
        if (c != NULL)
            cJSON_AddItemToArray(tcp, c);
    }
    if (!add_udp_sockets(env, udp, owners, n_own)) {
        cJSON_Delete(o);
        o = NULL;
    }
    free(owners);
    free(list);
    return o;
}

static cJSON *cmd_stats(const struct control_env *env)
{
    const uint64_t *c = stack_counters(env->stack);
    cJSON *o = cJSON_CreateObject();
    cJSON *group = NULL;
    char prefix[16] = "";
    for (int i = 0; o != NULL && i < CTR_MAX; i++) {
        const char *name = stack_counter_name((enum stack_counter)i);
        const char *dot = name != NULL ? strchr(name, '.') : NULL;
        if (dot == NULL || (size_t)(dot - name) >= sizeof prefix)
            continue;
        size_t plen = (size_t)(dot - name);
        if (group == NULL || strncmp(prefix, name, plen) != 0 || prefix[plen] != '\0') {
            memcpy(prefix, name, plen);
            prefix[plen] = '\0';
            group = cJSON_GetObjectItemCaseSensitive(o, prefix);
            if (group == NULL)
                group = cJSON_AddObjectToObject(o, prefix);
            if (group == NULL)
                break;
        }
        cJSON_AddNumberToObject(group, dot + 1, (double)c[i]);
    }
    /* The same counters under Linux's nstat names, where it has them. */
    if (o != NULL)
        cJSON_AddItemToObject(o, "nstat", metrics_nstat_json(env));
    /* The IPC server's own counters, after the stack's: clients, the
     * sockets they hold, the buffer bytes charged to them, the bytes moved. */
    const struct ipc_server *srv = env->ipc != NULL ? *env->ipc : NULL;
    cJSON *ipc = o != NULL && srv != NULL ? cJSON_AddObjectToObject(o, "ipc") : NULL;
    if (ipc != NULL) {
        struct ipc_server_stats st;
        ipc_server_get_stats(srv, &st);
        cJSON_AddNumberToObject(ipc, "clients", (double)st.clients);
        cJSON_AddNumberToObject(ipc, "clients_pending", (double)st.pending);
        cJSON_AddNumberToObject(ipc, "sockets", (double)st.sockets);
        cJSON_AddNumberToObject(ipc, "sockets_failed", (double)st.tombs);
        cJSON_AddNumberToObject(ipc, "buffer_bytes", (double)st.buffer_bytes);
        cJSON_AddNumberToObject(ipc, "clients_total", (double)st.clients_total);
        cJSON_AddNumberToObject(ipc, "clients_refused", (double)st.clients_refused);
        cJSON_AddNumberToObject(ipc, "clients_limited", (double)st.clients_limited);
        cJSON_AddNumberToObject(ipc, "clients_timed_out", (double)st.clients_timed_out);
        cJSON_AddNumberToObject(ipc, "accept_fd_exhausted", (double)st.accept_fd_exhausted);
        cJSON_AddNumberToObject(ipc, "sockets_failed_total", (double)st.tombs_total);
        cJSON_AddNumberToObject(ipc, "protocol_errors", (double)st.protocol_errors);
        cJSON_AddNumberToObject(ipc, "bytes_to_stack", (double)st.bytes_to_stack);
        cJSON_AddNumberToObject(ipc, "bytes_from_stack", (double)st.bytes_from_stack);
        cJSON_AddNumberToObject(ipc, "dgrams_dropped", (double)st.dgrams_dropped);
        cJSON_AddNumberToObject(ipc, "bytes_dropped", (double)st.bytes_dropped);
    }
    return o;
}

/* ---- one request ---- */

char *control_error_reply(int errnum, const char *msg)
{
    cJSON *o = cJSON_CreateObject();
    if (o == NULL)
        return NULL;
    cJSON_AddBoolToObject(o, "ok", false);
    cJSON_AddStringToObject(o, "error", msg);
    cJSON_AddNumberToObject(o, "errno", errnum);
    char *s = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    return s;
}

char *control_ok_reply(cJSON *data)
{
    if (data == NULL)
        return NULL;
    cJSON *o = cJSON_CreateObject();
    if (o == NULL) {
        cJSON_Delete(data);
        return NULL;
    }
    cJSON_AddBoolToObject(o, "ok", true);
    cJSON_AddItemToObject(o, "data", data);
    char *s = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    return s;
}

static char *capture_cmd(struct control_env *env, const struct control_request *req)
{
    if (env->capture == NULL)
        return control_error_reply(ENOTSUP, "capture is not available");
    char err[512];
    if (req->cmd == CONTROL_CMD_CAPTURE_START) {
        int rc = capture_start(env->capture, req->path, req->max_bytes,
                               req->filter[0] != '\0' ? req->filter : NULL, err, sizeof err);
        if (rc < 0)
            return control_error_reply(-rc, err);
    } else if (req->cmd == CONTROL_CMD_CAPTURE_STOP) {
        if (capture_stop(env->capture) < 0)
            return control_error_reply(ENOENT, "no capture is running");
    }
    return control_ok_reply(capture_json(env));
}

char *control_handle(struct control_env *env, const char *line, size_t len)
{
    struct control_request req;
    char err[512];
    int rc = control_parse_request(line, len, &req, err, sizeof err);
    if (rc < 0)
        return control_error_reply(-rc, err);
    switch (req.cmd) {
    case CONTROL_CMD_STATUS:
        return control_ok_reply(cmd_status(env));
    case CONTROL_CMD_LINK:
        return control_ok_reply(control_cmd_link(env));
    case CONTROL_CMD_ADDR:
        return control_ok_reply(control_cmd_addr(env));
    case CONTROL_CMD_NEIGH:
        return control_ok_reply(control_cmd_neigh(env));
    case CONTROL_CMD_ROUTE:
        return control_ok_reply(control_cmd_route(env));
    case CONTROL_CMD_SOCKETS:
        return control_ok_reply(cmd_sockets(env));
    case CONTROL_CMD_STATS:
        return control_ok_reply(cmd_stats(env));
    case CONTROL_CMD_CAPTURE_START:
    case CONTROL_CMD_CAPTURE_STOP:
    case CONTROL_CMD_CAPTURE_STATUS:
        return capture_cmd(env, &req);
    case CONTROL_CMD_ADDR_ADD:
    case CONTROL_CMD_ADDR_DEL:
    case CONTROL_CMD_ROUTE_ADD:
    case CONTROL_CMD_ROUTE_DEL:
    case CONTROL_CMD_NEIGH_ADD:
    case CONTROL_CMD_NEIGH_DEL:
    case CONTROL_CMD_LINK_SET_MTU:
        return control_change(env, &req);
    case CONTROL_CMD_STATS_PROMETHEUS: {
        char *text = metrics_prometheus(env);
        cJSON *d = text != NULL ? cJSON_CreateString(text) : NULL;
        free(text);
        return control_ok_reply(d);
    }
    }
    return control_error_reply(EINVAL, "unknown request");
}
