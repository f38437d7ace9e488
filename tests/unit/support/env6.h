/* env6.h - IPv6 additions to stack_env for the ND and address
 * configuration tests: an interface with IPv6 on (static fd77::2/64,
 * SLAAC on), ND messages built with the wire emitters and handed to
 * nd_input (the IPv6/ICMPv6 input path is tested elsewhere), and the ND
 * frames the stack sent, parsed back.
 *
 * Our MAC 02:00:00:00:00:02 gives the link-local fe80::ff:fe00:2
 * (modified EUI-64, RFC 4291 2.5.1). The peer is fd77::9 /
 * 02:00:00:00:00:09, the router fe80::1 / 02:00:00:00:00:01. */
#ifndef TESTS_ENV6_H
#define TESTS_ENV6_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "stack/core/stack_impl.h"
#include "stack/wire/icmp6.h"
#include "stack/wire/ipv6.h"
#include "tests/unit/support/stack_env.h"

extern const uint8_t env6_us[16];       /* fd77::2 (static) */
extern const uint8_t env6_ll_us[16];    /* fe80::ff:fe00:2 */
extern const uint8_t env6_peer[16];     /* fd77::9 */
extern const uint8_t env6_router[16];   /* fe80::1 */
extern const uint8_t env6_all_nodes[16]; /* ff02::1 */
extern const uint8_t env6_unspec[16];   /* :: */

/* An IPv6 endpoint (addr, port), as env_ep is for IPv4. */
struct ip_endpoint env6_ep(const uint8_t addr[16], uint16_t port);

/* env_new tweaks: IPv6 with fd77::2/64 and SLAAC; the same without SLAAC;
 * IPv6 with no static address. */
void env6_tweak(struct stack_config *cfg, struct netif_config *ncfg);
void env6_tweak_no_slaac(struct stack_config *cfg, struct netif_config *ncfg);
void env6_tweak_no_static(struct stack_config *cfg, struct netif_config *ncfg);

/* A stack with env6_tweak (or tweak) whose addresses finished DAD (the
 * clock moved 1 s), with no frames recorded. */
struct stack_env *env6_ready(env_tweak_fn tweak);

/* Wrap the ICMPv6 message msg (checksum set) in an IPv6 header with hop
 * limit 255, parse both and hand them to nd_input at e->now. */
void env6_nd_input(struct stack_env *e, const uint8_t src[16], const uint8_t dst[16],
                   const uint8_t *msg, size_t len);

/* The same as a whole Ethernet frame from src_mac through stack_input
 * (the real IPv6/ICMPv6 input path); dst_mac from the IPv6 destination
 * (33:33:... for multicast, else ours). */
void env6_frame_input(struct stack_env *e, const struct eth_addr *src_mac,
                      const uint8_t src[16], const uint8_t dst[16], const uint8_t *msg,
                      size_t len);

/* Messages (buf >= 128 bytes); NULL lladdr: no option. */
size_t env6_ns(uint8_t *buf, const uint8_t src[16], const uint8_t dst[16],
               const uint8_t target[16], const struct eth_addr *slla);
size_t env6_na(uint8_t *buf, const uint8_t src[16], const uint8_t dst[16], uint32_t flags,
               const uint8_t target[16], const struct eth_addr *tlla);
/* An RA from env6_router to ff02::1 with SLLA, a prefix option if pi, an
 * MTU option if mtu. */
size_t env6_ra(uint8_t *buf, const struct nd_ra *ra, const struct nd_prefix_info *pi,
               uint32_t mtu);

/* An ICMPv6 frame the stack sent, parsed. */
struct env6_out {
    struct eth_addr eth_dst;
    struct ipv6_view ip;
    struct icmp6_view m;
};
/* Parse the i-th recorded frame if it is ICMPv6; false otherwise. */
bool env6_out(const struct stack_env *e, size_t i, struct env6_out *out);
/* Frames of an ICMPv6 type sent since the last clear. */
size_t env6_count(const struct stack_env *e, uint8_t type);
/* The last frame of that type (asserts there is one). */
void env6_last(const struct stack_env *e, uint8_t type, struct env6_out *out);
/* The address entry of the interface, or NULL. */
struct netif_addr6 *env6_addr(struct stack_env *e, const uint8_t a[16]);
/* A /64 address: prefix (first 8 bytes of p) + our EUI-64 id. */
void env6_slaac_addr(const uint8_t p[16], uint8_t out[16]);
/* Send a UDP-like IPv6 packet of len payload bytes to next_hop via
 * nd_output (ours -> dst). */
int env6_send(struct stack_env *e, const uint8_t next_hop[16], size_t len);

#endif
