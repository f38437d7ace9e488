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
    cfg->arp_pending_max = 64;
    cfg->ip_default_ttl = 64;                /* RFC 1700 / Linux ip_default_ttl */
    cfg->icmp_rate_per_sec = 1000;           /* Linux icmp_msgs_per_sec */
    cfg->icmp_burst = 50;                    /* Linux icmp_msgs_burst */
    cfg->udp_rcvbuf = 212992;                /* Linux rmem_default */
}
