/* config_stack.c - the "stack" object of tcpipd's config: the ARP, IP,
 * ICMP and UDP tunables and stack.tcp (struct stack_tcp_config), read over
 * the defaults from stack_config_defaults(). The keys and their ranges are
 * documented in conf/REFERENCE.md. */
#include "daemon/config_json.h"

static const char *const stack_keys[] = {"arp", "ip", "icmp", "udp", "tcp"};
static const char *const arp_keys[] = {"cache_size", "reachable_ms", "retry_ms", "max_retries",
                                       "pending_max", "pending_per_entry"};
static const char *const ip_keys[] = {"default_ttl"};
static const char *const icmp_keys[] = {"rate_limit_per_sec", "burst"};
static const char *const udp_keys[] = {"rcvbuf_bytes"};
static const char *const tcp_keys[] = {
    "sndbuf", "rcvbuf", "max_conns", "syn_backlog", "max_backlog", "ooo_max_ranges",
    "rto_initial_ms", "rto_min_ms", "rto_max_ms", "syn_retries", "synack_retries", "retries2",
    "delack_ms", "delack_segs", "time_wait_ms", "fin_wait2_ms", "keepalive_idle_s",
    "keepalive_intvl_s", "keepalive_cnt", "congestion_control", "sack", "timestamps",
    "window_scaling", "syncookies", "rack", "tlp", "prr"};

/* TCP tunables (struct stack_tcp_config). Ranges are what makes sense for
 * a host stack; the defaults follow Linux (stack/core/stack_config.c). */
static int parse_tcp(struct conf_loader *L, const cJSON *obj, struct stack_tcp_config *t)
{
    /* Index = value: enum tcp_cc_algo and the syncookies modes. */
    static const char *const cc_names[] = {[TCP_CC_NEWRENO] = "newreno", [TCP_CC_CUBIC] = "cubic"};
    static const char *const cookie_names[] = {"never", "auto", "always"};
    const char *P = "stack.tcp";
    /* 4 KiB (one page, a few segments) to 64 MiB (Linux's tcp_rmem max). */
    const long long buf_lo = 4096, buf_hi = 64LL * 1024 * 1024;
    uint8_t choice;
    bool b;
    int r;

    if (conf_check_keys(L, obj, P, tcp_keys, N_KEYS(tcp_keys)) < 0)
        return -1;
    if (conf_opt_u32(L, obj, P, "sndbuf", buf_lo, buf_hi, &t->sndbuf) < 0 ||
        conf_opt_u32(L, obj, P, "rcvbuf", buf_lo, buf_hi, &t->rcvbuf) < 0 ||
        conf_opt_u32(L, obj, P, "max_conns", 1, 1048576, &t->max_conns) < 0 ||
        conf_opt_u32(L, obj, P, "syn_backlog", 1, 65536, &t->syn_backlog) < 0 ||
        conf_opt_u32(L, obj, P, "max_backlog", 1, 65535, &t->max_backlog) < 0 ||
        conf_opt_u32(L, obj, P, "ooo_max_ranges", 1, 1024, &t->ooo_max_ranges) < 0)
        return -1;
    if (conf_opt_duration(L, obj, P, "rto_initial_ms", 1, 600000, NS_PER_MS,
                          &t->rto_initial_ns) < 0 ||
        conf_opt_duration(L, obj, P, "rto_min_ms", 1, 60000, NS_PER_MS, &t->rto_min_ns) < 0 ||
        conf_opt_duration(L, obj, P, "rto_max_ms", 1, 600000, NS_PER_MS, &t->rto_max_ns) < 0)
        return -1;
    /* Linux's own limits: tcp_syn_retries 1..127, the others fit a u8. */
    if (conf_opt_u32(L, obj, P, "syn_retries", 1, 127, &t->syn_retries) < 0 ||
        conf_opt_u32(L, obj, P, "synack_retries", 1, 255, &t->synack_retries) < 0 ||
        conf_opt_u32(L, obj, P, "retries2", 1, 255, &t->retries2) < 0)
        return -1;
    /* RFC 1122 4.2.3.2: the ACK delay MUST be less than 0.5 s (RFC 5681
     * 4.2: within 500 ms). RFC 5681 4.2 also wants an ACK for at least
     * every second full-sized segment; larger values are stretch ACKs,
     * allowed for experiments only. */
    if (conf_opt_duration(L, obj, P, "delack_ms", 1, 500, NS_PER_MS, &t->delack_ns) < 0)
        return -1;
    if (conf_opt_u32(L, obj, P, "delack_segs", 1, 16, &t->delack_segs) < 0)
        return -1;
    if (conf_opt_duration(L, obj, P, "time_wait_ms", 1000, 600000, NS_PER_MS,
                          &t->time_wait_ns) < 0 ||
        conf_opt_duration(L, obj, P, "fin_wait2_ms", 1000, 600000, NS_PER_MS, &t->fin_wait2_ns) < 0)
        return -1;
    /* Linux's TCP_KEEPIDLE/TCP_KEEPINTVL/TCP_KEEPCNT ranges. */
    if (conf_opt_duration(L, obj, P, "keepalive_idle_s", 1, 32767, NS_PER_SEC,
                          &t->keepalive_idle_ns) < 0 ||
        conf_opt_duration(L, obj, P, "keepalive_intvl_s", 1, 32767, NS_PER_SEC,
                          &t->keepalive_intvl_ns) < 0 ||
        conf_opt_u32(L, obj, P, "keepalive_cnt", 1, 127, &t->keepalive_cnt) < 0)
        return -1;
    if ((r = conf_opt_choice(L, obj, P, "congestion_control", cc_names, N_KEYS(cc_names),
                             "\"cubic\" or \"newreno\"", &choice)) < 0)
        return -1;
    if (r > 0)
        t->cc = choice;
    if ((r = conf_opt_bool(L, obj, P, "sack", &b)) < 0)
        return -1;
    if (r > 0)
        t->sack = b;
    if ((r = conf_opt_bool(L, obj, P, "timestamps", &b)) < 0)
        return -1;
    if (r > 0)
        t->timestamps = b;
    if ((r = conf_opt_bool(L, obj, P, "window_scaling", &b)) < 0)
        return -1;
    if (r > 0)
        t->window_scaling = b;
    if ((r = conf_opt_choice(L, obj, P, "syncookies", cookie_names, N_KEYS(cookie_names),
                             "\"never\", \"auto\" or \"always\"", &choice)) < 0)
        return -1;
    if (r > 0)
        t->syncookies = choice;
    /* Loss recovery (RFC 8985 RACK-TLP, RFC 6937 PRR), as Linux ships. */
    if ((r = conf_opt_bool(L, obj, P, "rack", &b)) < 0)
        return -1;
    if (r > 0)
        t->rack = b;
    if ((r = conf_opt_bool(L, obj, P, "tlp", &b)) < 0)
        return -1;
    if (r > 0)
        t->tlp = b;
    if ((r = conf_opt_bool(L, obj, P, "prr", &b)) < 0)
        return -1;
    if (r > 0)
        t->prr = b;

    /* SYN cookies start when a listener's SYN queue holds syn_backlog
     * half-open connections; if max_conns (every connection, all
     * listeners) were reached first, a SYN flood would fill the table and
     * shut legitimate clients out before cookies ever started ("auto";
     * "always" ignores the SYN queue, "never" chose to drop). */
    if (t->syncookies == 1 && t->syn_backlog >= t->max_conns)
        return conf_fail(L, "stack.tcp.syn_backlog",
                         "%u is not below stack.tcp.max_conns (%u): a SYN flood would fill "
                         "max_conns before SYN cookies start",
                         t->syn_backlog, t->max_conns);
    /* RFC 6298 2.4/2.5: the timer is clamped to [min, max]; a first RTO
     * outside that would be clamped at once, which is surely a mistake. */
    if (t->rto_min_ns > t->rto_max_ns)
        return conf_fail(L, "stack.tcp.rto_min_ms", "%llu is above stack.tcp.rto_max_ms (%llu)",
                         (unsigned long long)(t->rto_min_ns / NS_PER_MS),
                         (unsigned long long)(t->rto_max_ns / NS_PER_MS));
    if (t->rto_initial_ns < t->rto_min_ns)
        return conf_fail(L, "stack.tcp.rto_initial_ms", "%llu is below stack.tcp.rto_min_ms (%llu)",
                         (unsigned long long)(t->rto_initial_ns / NS_PER_MS),
                         (unsigned long long)(t->rto_min_ns / NS_PER_MS));
    if (t->rto_initial_ns > t->rto_max_ns)
        return conf_fail(L, "stack.tcp.rto_initial_ms", "%llu is above stack.tcp.rto_max_ms (%llu)",
                         (unsigned long long)(t->rto_initial_ns / NS_PER_MS),
                         (unsigned long long)(t->rto_max_ns / NS_PER_MS));
    return 0;
}

int conf_parse_stack(struct conf_loader *L, const cJSON *obj, struct stack_config *st)
{
    const cJSON *sect;
    long long v;
    int r;

    if (conf_check_object(L, obj, "stack", stack_keys, N_KEYS(stack_keys)) < 0)
        return -1;

    if (conf_opt_container(L, obj, "stack", "arp", cJSON_Object, &sect) < 0)
        return -1;
    if (sect != NULL) {
        if (conf_check_keys(L, sect, "stack.arp", arp_keys, N_KEYS(arp_keys)) < 0)
            return -1;
        if ((r = conf_opt_int(L, sect, "stack.arp", "cache_size", 1, 65536, &v)) < 0)
            return -1;
        if (r > 0)
            st->arp_cache_size = (uint32_t)v;
        if ((r = conf_opt_int(L, sect, "stack.arp", "reachable_ms", 1000, 3600000, &v)) < 0)
            return -1;
        if (r > 0)
            st->arp_reachable_ns = (uint64_t)v * NS_PER_MS;
        if ((r = conf_opt_int(L, sect, "stack.arp", "retry_ms", 100, 60000, &v)) < 0)
            return -1;
        if (r > 0)
            st->arp_retry_ns = (uint64_t)v * NS_PER_MS;
        if ((r = conf_opt_int(L, sect, "stack.arp", "max_retries", 1, 20, &v)) < 0)
            return -1;
        if (r > 0)
            st->arp_max_retries = (uint32_t)v;
        if ((r = conf_opt_int(L, sect, "stack.arp", "pending_max", 0, 65536, &v)) < 0)
            return -1;
        if (r > 0)
            st->arp_pending_max = (uint32_t)v;
        if ((r = conf_opt_int(L, sect, "stack.arp", "pending_per_entry", 1, 65536, &v)) < 0)
            return -1;
        if (r > 0)
            st->arp_pending_per_entry = (uint32_t)v;
    }

    if (conf_opt_container(L, obj, "stack", "ip", cJSON_Object, &sect) < 0)
        return -1;
    if (sect != NULL) {
        if (conf_check_keys(L, sect, "stack.ip", ip_keys, N_KEYS(ip_keys)) < 0)
            return -1;
        if ((r = conf_opt_int(L, sect, "stack.ip", "default_ttl", 1, 255, &v)) < 0)
            return -1;
        if (r > 0)
            st->ip_default_ttl = (uint8_t)v;
    }

    if (conf_opt_container(L, obj, "stack", "icmp", cJSON_Object, &sect) < 0)
        return -1;
    if (sect != NULL) {
        if (conf_check_keys(L, sect, "stack.icmp", icmp_keys, N_KEYS(icmp_keys)) < 0)
            return -1;
        /* 0 turns the rate limit off (every error is sent). */
        if ((r = conf_opt_int(L, sect, "stack.icmp", "rate_limit_per_sec", 0, 1000000, &v)) < 0)
            return -1;
        if (r > 0)
            st->icmp_rate_per_sec = (uint32_t)v;
        if ((r = conf_opt_int(L, sect, "stack.icmp", "burst", 1, 1000000, &v)) < 0)
            return -1;
        if (r > 0)
            st->icmp_burst = (uint32_t)v;
    }

    if (conf_opt_container(L, obj, "stack", "udp", cJSON_Object, &sect) < 0)
        return -1;
    if (sect != NULL) {
        if (conf_check_keys(L, sect, "stack.udp", udp_keys, N_KEYS(udp_keys)) < 0)
            return -1;
        if ((r = conf_opt_int(L, sect, "stack.udp", "rcvbuf_bytes", 1024, 67108864, &v)) < 0)
            return -1;
        if (r > 0)
            st->udp_rcvbuf = (uint32_t)v;
    }

    if (conf_opt_container(L, obj, "stack", "tcp", cJSON_Object, &sect) < 0)
        return -1;
    if (sect != NULL && parse_tcp(L, sect, &st->tcp) < 0)
        return -1;
    return 0;
}
