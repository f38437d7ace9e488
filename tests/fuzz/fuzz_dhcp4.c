/* fuzz_dhcp4.c - libFuzzer target: a stack whose interface takes its
 * address by DHCP (core/dhcp4.c), fed a sequence of frames with time
 * passing between them. A frame that looks like a DHCP reply (UDP 67 ->
 * 68 in an IPv4 header without options) gets the client's current
 * transaction id and MAC written in, so the fuzzer's options and message
 * types reach the state machine instead of the xid check; its UDP
 * checksum is zeroed (RFC 768: not computed). The invariants: no crash,
 * no leak, and never an address on the interface that is not a host
 * address, nor a DHCP route through a gateway off the leased subnet.
 *
 * Input: repeated [len_hi len_lo delay] [len bytes of frame], delay in
 * units of 500 ms (the client's timers are seconds long). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "stack/stack.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_FRAMES 32

struct link {
    uint32_t xid;                /* of the client's last DHCP message */
};

static int fuzz_send(void *ctx, const uint8_t *f, size_t len)
{
    struct link *l = ctx;
    /* Ethernet, IPv4 without options, UDP 68 -> 67: a client message. */
    if (len >= 14 + 20 + 8 + 8 && f[12] == 0x08 && f[13] == 0x00 && f[14] == 0x45 &&
        f[23] == 17 && f[34] == 0 && f[35] == 68 && f[36] == 0 && f[37] == 67)
        l->xid = (uint32_t)f[46] << 24 | (uint32_t)f[47] << 16 | (uint32_t)f[48] << 8 | f[49];
    return 0;
}

static void check_invariants(const struct stack *s, uint64_t now)
{
    struct addr4_info a[16];
    size_t n = stack_addr4_list(s, a, 16, now);
    for (size_t i = 0; i < n && i < 16; i++) {
        uint32_t x = a[i].addr;
        uint8_t first = (uint8_t)(x >> 24);
        if (a[i].ifindex == STACK_LOOPBACK_IFINDEX)
            continue;
        uint32_t mask = a[i].prefix_len == 0 ? 0 : 0xffffffffu << (32 - a[i].prefix_len);
        if (first == 0 || first == 127 || first >= 224 || a[i].prefix_len == 0 ||
            (a[i].prefix_len < 31 && ((x & ~mask) == 0 || (x & ~mask) == ~mask)))
            abort();
    }
    struct stack_route r[80];
    n = stack_route4_list(s, r, 80, now);
    for (size_t i = 0; i < n && i < 80; i++) {
        if (r[i].proto != ROUTE_PROTO_DHCP || r[i].gateway.family != IP_FAMILY_V4)
            continue;
        bool on_link = false;
        size_t na = stack_addr4_list(s, a, 16, now);
        for (size_t k = 0; k < na && k < 16; k++) {
            uint32_t mask = a[k].prefix_len == 0 ? 0 : 0xffffffffu << (32 - a[k].prefix_len);
            on_link = on_link || (a[k].ifindex != STACK_LOOPBACK_IFINDEX &&
                                  (r[i].gateway.u.v4 & mask) == (a[k].addr & mask));
        }
        if (!on_link)
            abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const uint8_t mac[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x01};
    struct stack_config sc;
    struct netif_config nc;
    struct link link = {0};
    struct netif_ops ops = {.send = fuzz_send};
    uint64_t now = 1 * NS_PER_SEC;

    stack_config_defaults(&sc);
    memset(sc.key, 0x5a, sizeof sc.key);
    struct stack *s = stack_new(&sc);
    if (s == NULL)
        return 0;
    memset(&nc, 0, sizeof nc);
    memcpy(nc.name, "fuzz0", 6);
    memcpy(nc.mac.b, mac, 6);
    nc.mtu = 1500;
    nc.dhcp4 = true;
    int ifindex = stack_netif_add(s, &nc, &ops, &link, now);
    if (ifindex < 0)
        abort();
    now += 2 * NS_PER_SEC;
    stack_poll(s, now); /* the first DISCOVER */

    uint8_t frame[2048];
    for (int n = 0; n < MAX_FRAMES && size >= 3; n++) {
        size_t len = (((size_t)data[0] << 8) | data[1]) & 0x7ff;
        now += (uint64_t)data[2] * 500 * NS_PER_MS;
        data += 3;
        size -= 3;
        if (len > size)
            len = size;
        memcpy(frame, data, len);
        data += len;
        size -= len;
        stack_poll(s, now);
        /* A DHCP reply: our xid and MAC in, the UDP checksum out. */
        if (len >= 14 + 20 + 8 + 240 && frame[12] == 0x08 && frame[13] == 0x00 &&
            frame[14] == 0x45 && frame[23] == 17 && frame[36] == 0 && frame[37] == 68) {
            frame[40] = frame[41] = 0;
            uint8_t *b = frame + 42;
            b[4] = (uint8_t)(link.xid >> 24);
            b[5] = (uint8_t)(link.xid >> 16);
            b[6] = (uint8_t)(link.xid >> 8);
            b[7] = (uint8_t)link.xid;
            memcpy(b + 28, mac, 6);
        }
        stack_input(s, ifindex, frame, len, now);
        check_invariants(s, now);
    }
    /* Let the lease run its course: renewals, rebinding, expiry. */
    for (int i = 0; i < 20; i++) {
        now += 30 * NS_PER_SEC;
        stack_poll(s, now);
        check_invariants(s, now);
    }
    stack_dhcp4_release(s, now);
    stack_free(s);
    return 0;
}
