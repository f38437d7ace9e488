/* tcp_cc_impl.h - what the congestion controllers share (not public). */
#ifndef TCPIP_SOCK_TCP_CC_IMPL_H
#define TCPIP_SOCK_TCP_CC_IMPL_H

#include <stdbool.h>
#include <stdint.h>

#include "stack/sock/tcp_cc.h"

extern const struct tcp_cc_ops tcp_cc_newreno_ops;
extern const struct tcp_cc_ops tcp_cc_cubic_ops;

/* RFC 6928 2: IW = min(10*MSS, max(2*MSS, 14600)). */
uint32_t tcp_cc_initial_window(uint32_t mss);
/* The application-limited rule both controllers use: see tcp_cc.c. */
bool tcp_cc_cwnd_limited(const struct tcp_cc *cc, uint32_t flight);
/* RFC 5681 3.1 slow start with RFC 3465 L = 2 SMSS; never past ssthresh. */
void tcp_cc_slow_start(struct tcp_cc *cc, uint32_t acked);
/* a + b, saturating at UINT32_MAX. */
uint32_t tcp_cc_add_sat(uint32_t a, uint64_t b);
/* RFC 5681 eq. 4 floor: at least 2 SMSS. */
uint32_t tcp_cc_floor_2mss(const struct tcp_cc *cc, uint64_t v);

#endif
