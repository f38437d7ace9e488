/* stack_env.h - a stack with one fake interface, a fake clock and a log
 * capture: the usual fixture of the protocol unit tests.
 *
 * The interface: tcpip0, 02:00:00:00:00:02, 10.77.0.2/24, gateway
 * 10.77.0.1, MTU 1500. A peer at 10.77.0.9 / 02:00:00:00:00:09. */
#ifndef TESTS_STACK_ENV_H
#define TESTS_STACK_ENV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "stack/stack.h"
#include "tests/unit/support/fake_netif.h"
#include "tests/unit/support/frames.h"

#define ENV_IP_US 0x0a4d0002u    /* 10.77.0.2 */
#define ENV_IP_GW 0x0a4d0001u    /* 10.77.0.1 */
#define ENV_IP_PEER 0x0a4d0009u  /* 10.77.0.9 */
#define ENV_IP_BCAST 0x0a4d00ffu /* 10.77.0.255 */
#define ENV_IP_FAR 0x0a4d0105u   /* 10.77.1.5: off-link */
#define ENV_PREFIX 24
#define ENV_MTU 1500
#define ENV_START_NS (1000 * NS_PER_SEC)

extern const struct eth_addr env_mac_us;
extern const struct eth_addr env_mac_peer;
extern const struct eth_addr env_mac_gw;

#define ENV_LOG_MAX 64

struct env_log_line {
    int level;
    char msg[256];
};

struct stack_env {
    struct stack *s;
    struct stack_config cfg;
    struct netif_config ncfg;
    struct fake_netif nif;
    int ifindex;
    uint64_t now;
    struct env_log_line log[ENV_LOG_MAX];
    size_t n_log;
};

/* Optional hook to change the configs before the stack is made. */
typedef void (*env_tweak_fn)(struct stack_config *cfg, struct netif_config *ncfg);

/* Allocate and set up (asserts on failure). The gratuitous ARP sent by
 * stack_netif_add is cleared from the fake netif unless keep_frames. */
struct stack_env *env_new(env_tweak_fn tweak, bool keep_frames);
void env_free(struct stack_env *e);

/* Feed a frame at the current time. */
void env_input(struct stack_env *e, const uint8_t *frame, size_t len);
/* Move the clock and run the stack's timers. */
void env_advance(struct stack_env *e, uint64_t ns);
uint64_t env_ctr(const struct stack_env *e, enum stack_counter c);
/* Teach the stack a neighbour with an ARP request for our address from it,
 * then clear the recorded frames (our reply). */
void env_learn(struct stack_env *e, uint32_t ip, const struct eth_addr *mac);
/* Parse the i-th recorded frame (asserts it exists and parses). */
void env_frame(const struct stack_env *e, size_t i, struct parsed_frame *out);
/* Has a log line at this level containing needle been captured? */
bool env_logged(const struct stack_env *e, int level, const char *needle);

/* An IPv4 socket endpoint addr:port (host order). */
struct ip_endpoint env_ep(uint32_t addr, uint16_t port);
/* env_new tweak: the interface has no default gateway (off-link is
 * unreachable). */
void env_no_gateway(struct stack_config *cfg, struct netif_config *ncfg);

/* Build a UDP frame from the peer to us (eth dst = our MAC). */
size_t env_udp_to_us(uint8_t *buf, size_t cap, uint16_t sport, uint16_t dport,
                     const void *payload, size_t len);

#endif
