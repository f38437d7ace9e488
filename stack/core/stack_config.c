/* stack_config.c - defaults for struct stack_config. */
#include <string.h>

#include "stack/stack.h"

void stack_config_defaults(struct stack_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->arp_cache_size = 256;
    cfg->arp_reachable_ns = 30 * NS_PER_SEC; /* Linux base_reachable_time */
    cfg->arp_retry_ns = 1 * NS_PER_SEC;      /* Linux retrans_time */
    cfg->arp_max_retries = 3;                /* Linux mcast_solicit */
    cfg->arp_pending_max = 1024;
    cfg->arp_pending_per_entry = 101;        /* Linux unres_qlen */
    cfg->ip_default_ttl = 64;                /* RFC 1700 / Linux ip_default_ttl */
    cfg->icmp_rate_per_sec = 1000;           /* Linux icmp_msgs_per_sec */
    cfg->icmp_burst = 50;                    /* Linux icmp_msgs_burst */
    cfg->nd_dad_max_delay_ns = 1 * NS_PER_SEC;   /* RFC 4861 10 MAX_RTR_SOLICITATION_DELAY */
    cfg->udp_rcvbuf = 212992;                /* Linux rmem_default */
    cfg->tcp.sndbuf = 262144;
    cfg->tcp.rcvbuf = 262144;
    cfg->tcp.max_conns = 16384;
    cfg->tcp.syn_backlog = 256;
    cfg->tcp.max_backlog = 4096;             /* Linux somaxconn */
    cfg->tcp.ooo_max_ranges = 32;
    cfg->tcp.rto_initial_ns = 1 * NS_PER_SEC;     /* RFC 6298 2.1 */
    cfg->tcp.rto_min_ns = 200 * NS_PER_MS;        /* Linux TCP_RTO_MIN */
    cfg->tcp.rto_max_ns = 120 * NS_PER_SEC;       /* Linux TCP_RTO_MAX */
    cfg->tcp.syn_retries = 6;                /* Linux tcp_syn_retries */
    cfg->tcp.synack_retries = 5;             /* Linux tcp_synack_retries */
    cfg->tcp.retries2 = 15;                  /* Linux tcp_retries2 */
    cfg->tcp.delack_ns = 40 * NS_PER_MS;     /* Linux TCP_DELACK_MIN */
    cfg->tcp.delack_segs = 2;                /* RFC 1122 4.2.3.2 / RFC 5681 4.2 */
    cfg->tcp.time_wait_ns = 60 * NS_PER_SEC; /* Linux TCP_TIMEWAIT_LEN */
    cfg->tcp.fin_wait2_ns = 60 * NS_PER_SEC; /* Linux tcp_fin_timeout */
    cfg->tcp.keepalive_idle_ns = 7200 * NS_PER_SEC;
    cfg->tcp.keepalive_intvl_ns = 75 * NS_PER_SEC;
    cfg->tcp.keepalive_cnt = 9;
    cfg->tcp.cc = TCP_CC_CUBIC;
    cfg->tcp.sack = true;
    cfg->tcp.timestamps = true;
    cfg->tcp.window_scaling = true;
    cfg->tcp.syncookies = 1;
    cfg->tcp.rack = true;
    cfg->tcp.tlp = true;
    cfg->tcp.prr = true;
}
