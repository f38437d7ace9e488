/* tcp_isn.h - initial sequence numbers (RFC 6528), timestamp offsets and
 * SYN cookies, all keyed with the stack's secret (SipHash).
 *
 * Pure functions of (key, 4-tuple, now): the stack has no clock or random
 * source of its own. */
#ifndef TCPIP_SOCK_TCP_ISN_H
#define TCPIP_SOCK_TCP_ISN_H

#include <stdbool.h>
#include <stdint.h>

#include "stack/wire/addr.h"

struct tcp_tuple {
    struct ip_addr laddr;        /* ours */
    struct ip_addr raddr;        /* the peer's */
    uint16_t lport, rport;
};

/* RFC 6528 3: ISN = M + F(localip, localport, remoteip, remoteport,
 * secretkey), M a 4-microsecond timer (now / 4000 ns), F SipHash-2-4. */
uint32_t tcp_isn(const uint8_t key[16], const struct tcp_tuple *t, uint64_t now);
/* A per-connection offset added to our timestamp clock (RFC 7323 7.1
 * suggests a random offset per connection; Linux does this), so the
 * TSval does not leak uptime and differs per 4-tuple. */
uint32_t tcp_ts_offset(const uint8_t key[16], const struct tcp_tuple *t);

/* SYN cookies (the scheme of Linux's syncookies.c, reworked): when the SYN
 * queue is full the listener answers with SYN-ACK whose ISN encodes the
 * MSS, and keeps no state; the third ACK (ack = cookie + 1) rebuilds it.
 *   cookie = hash(key, tuple, peer_isn, count) + (count << 24) + mss_index
 * laid out so that a valid cookie is at most TCP_COOKIE_MAX_AGE counts old
 * (count = now / 64 s). The MSS is one of a small table. Window scale and
 * SACK permitted are carried in the low bits of our TSval when the SYN
 * had timestamps (otherwise the connection has none, like Linux). */
#define TCP_COOKIE_PERIOD_NS (64ull * 1000000000ull)
#define TCP_COOKIE_MAX_AGE 2     /* counts older than now: valid 128 to 192 s */

struct tcp_cookie_opts {
    uint16_t mss;                /* the MSS the cookie settled on (<= asked, or 536) */
    bool has_ts;                 /* the SYN had timestamps */
    bool sack;                   /* the SYN offered SACK (needs has_ts) */
    uint8_t wscale;              /* the peer's shift; 0xf = no window scaling */
};

/* The cookie for a SYN from the peer (tuple) with sequence number
 * peer_isn asking for mss; writes the MSS it encodes to *mss_used. */
uint32_t tcp_cookie_make(const uint8_t key[16], const struct tcp_tuple *t, uint32_t peer_isn,
                         uint16_t mss, uint64_t now, uint16_t *mss_used);
/* Check the cookie (= SEG.ACK - 1 of the third ACK, whose SEG.SEQ - 1 is
 * peer_isn). true and *mss_out set if it is ours and fresh. */
bool tcp_cookie_check(const uint8_t key[16], const struct tcp_tuple *t, uint32_t peer_isn,
                      uint32_t cookie, uint64_t now, uint16_t *mss_out);
/* Our TSval in the cookie SYN-ACK: ts_now with its low 5 bits replaced by
 * the options (wscale 4 bits, 0xf = none; sack 1 bit). */
uint32_t tcp_cookie_tsval(uint32_t ts_now, const struct tcp_cookie_opts *o);
/* Recover them from the TSecr of the third ACK. */
void tcp_cookie_ts_decode(uint32_t ts_ecr, struct tcp_cookie_opts *o);

#endif
