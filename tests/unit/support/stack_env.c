/* stack_env.c - see stack_env.h. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tests/unit/support/stack_env.h"

const struct eth_addr env_mac_us = {{0x02, 0x00, 0x00, 0x00, 0x00, 0x02}};
const struct eth_addr env_mac_peer = {{0x02, 0x00, 0x00, 0x00, 0x00, 0x09}};
const struct eth_addr env_mac_gw = {{0x02, 0x00, 0x00, 0x00, 0x00, 0x01}};

static void env_log(void *ctx, int level, const char *msg)
{
    struct stack_env *e = ctx;
    if (e->n_log >= ENV_LOG_MAX)
        return;
    e->log[e->n_log].level = level;
    snprintf(e->log[e->n_log].msg, sizeof e->log[e->n_log].msg, "%s", msg);
    e->n_log++;
}

struct stack_env *env_new(env_tweak_fn tweak, bool keep_frames)
{
    struct stack_env *e = calloc(1, sizeof *e);
    assert_non_null(e);
    fake_netif_init(&e->nif);
    e->now = ENV_START_NS;

    stack_config_defaults(&e->cfg);
    for (int i = 0; i < 16; i++)
        e->cfg.key[i] = (uint8_t)(0xa0 + i);
    e->cfg.log = env_log;
    e->cfg.log_ctx = e;

    memset(&e->ncfg, 0, sizeof e->ncfg);
    snprintf(e->ncfg.name, sizeof e->ncfg.name, "tcpip0");
    e->ncfg.mac = env_mac_us;
    e->ncfg.mtu = ENV_MTU;
    e->ncfg.ipv4_addr = ENV_IP_US;
    e->ncfg.ipv4_prefix_len = ENV_PREFIX;
    e->ncfg.ipv4_gateway = ENV_IP_GW;
    if (tweak != NULL)
        tweak(&e->cfg, &e->ncfg);

    e->s = stack_new(&e->cfg);
    assert_non_null(e->s);
    e->ifindex = stack_netif_add(e->s, &e->ncfg, &fake_netif_ops, &e->nif, e->now);
    assert_true(e->ifindex >= 0);
    if (!keep_frames)
        fake_netif_clear(&e->nif);
    return e;
}

void env_free(struct stack_env *e)
{
    if (e == NULL)
        return;
    stack_free(e->s);
    fake_netif_clear(&e->nif);
    free(e);
}

void env_input(struct stack_env *e, const uint8_t *frame, size_t len)
{
    stack_input(e->s, e->ifindex, frame, len, e->now);
}

void env_advance(struct stack_env *e, uint64_t ns)
{
    e->now += ns;
    stack_poll(e->s, e->now);
}

uint64_t env_ctr(const struct stack_env *e, enum stack_counter c)
{
    return stack_counters(e->s)[c];
}

void env_learn(struct stack_env *e, uint32_t ip, const struct eth_addr *mac)
{
    static const struct eth_addr zero;
    uint8_t f[64];
    size_t n = frame_arp(f, sizeof f, &frame_broadcast_mac, mac, ARP_OP_REQUEST, mac, ip,
                         &zero, ENV_IP_US);
    assert_true(n > 0);
    env_input(e, f, n);
    fake_netif_clear(&e->nif);
}

void env_frame(const struct stack_env *e, size_t i, struct parsed_frame *out)
{
    const struct fake_frame *f = fake_netif_frame(&e->nif, i);
    assert_non_null(f);
    assert_int_equal(frame_parse(f->data, f->len, out), 0);
}

bool env_logged(const struct stack_env *e, int level, const char *needle)
{
    for (size_t i = 0; i < e->n_log; i++) {
        if (e->log[i].level == level && strstr(e->log[i].msg, needle) != NULL)
            return true;
    }
    return false;
}

size_t env_udp_to_us(uint8_t *buf, size_t cap, uint16_t sport, uint16_t dport,
                     const void *payload, size_t len)
{
    return frame_udp(buf, cap, &env_mac_us, &env_mac_peer, ENV_IP_PEER, ENV_IP_US, sport,
                     dport, payload, len);
}

struct ip_endpoint env_ep(uint32_t addr, uint16_t port)
{
    struct ip_endpoint ep;
    memset(&ep, 0, sizeof ep);
    ep.addr = ip_addr_v4(addr);
    ep.port = port;
    return ep;
}

void env_no_gateway(struct stack_config *cfg, struct netif_config *ncfg)
{
    (void)cfg;
    ncfg->ipv4_gateway = 0;
}
