/* ipv6_impl.h - inside of the IPv6 core, shared by core/ipv6.c,
 * core/reasm6.c and core/icmp6.c. The rest of the stack uses the ipv6_*
 * and icmp6_* functions of stack_impl.h. */
#ifndef TCPIP_CORE_IPV6_IMPL_H
#define TCPIP_CORE_IPV6_IMPL_H

#include "stack/core/stack_impl.h"
#include "stack/wire/ipv6.h"

/* RFC 8200 4.5: reassembly gives up 60 s after the first fragment. */
#define REASM6_TIMEOUT_NS (60 * NS_PER_SEC)
/* Datagrams being reassembled at once, all interfaces. */
#define REASM6_MAX_DATAGRAMS 64
/* Bytes held by reassembly, bookkeeping included (Linux bounds the same
 * with ip6frag_high_thresh, 4 MiB; one daemon needs less). */
#define REASM6_MEM_MAX (1u << 20)

/* RFC 8201 4: a lowered path MTU is retried after at least 5 minutes; 10
 * is the recommended value (core/pmtu.c, both families). */
#define PMTU6_EXPIRE_NS PMTU_EXPIRE_NS

/* Hop limit when the interface has none from an RA (RFC 8200 3: the
 * IANA default, 64). */
#define IPV6_DEFAULT_HOP_LIMIT 64

int reasm6_init(struct stack *s);
void reasm6_free(struct stack *s);
/* A fragment (not an atomic one) of the packet pkt (len bytes, header
 * first), parsed as ip and walked as c. When it completes a datagram,
 * returns that datagram as a malloc'd IPv6 packet without the fragment
 * header (*out_len bytes; the caller frees it); else NULL. */
uint8_t *reasm6_input(struct stack *s, struct netif *nif, const uint8_t *pkt, size_t len,
                      const struct ipv6_view *ip, const struct ipv6_chain *c, uint64_t now,
                      size_t *out_len);
/* RFC 6946: an atomic fragment (offset 0, M clear) as a malloc'd packet
 * without its fragment header, or NULL (no memory). */
uint8_t *reasm6_unfragment(const uint8_t *pkt, size_t len, const struct ipv6_chain *c,
                           size_t *out_len);
/* Expire datagrams (ICMPv6 Time Exceeded code 1 if the first fragment
 * came, RFC 8200 4.5). */
void reasm6_poll(struct stack *s, uint64_t now);
uint64_t reasm6_next_deadline(const struct stack *s);

#endif
