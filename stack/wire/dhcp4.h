/* dhcp4.h - DHCPv4 messages (RFC 2131 2, options of RFC 2132 and RFC
 * 3442): parse what a server sends a client, emit what a client sends.
 * Every length is checked; the option loop always advances; an option
 * whose length is wrong for its type is ignored as if absent (counted by
 * the caller through the flags), never read past. */
#ifndef TCPIP_WIRE_DHCP4_H
#define TCPIP_WIRE_DHCP4_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "stack/wire/addr.h"
#include "stack/wire/wire.h"

#define DHCP4_SERVER_PORT 67
#define DHCP4_CLIENT_PORT 68
#define DHCP4_FIXED_LEN 236          /* op .. file, RFC 2131 2 */
#define DHCP4_MAGIC 0x63825363u      /* RFC 2131 3: the options' magic cookie */
#define DHCP4_MIN_LEN (DHCP4_FIXED_LEN + 4)
#define DHCP4_BOOTREQUEST 1
#define DHCP4_BOOTREPLY 2
#define DHCP4_FLAG_BROADCAST 0x8000u /* RFC 2131 2: answer by broadcast */

enum dhcp4_msg {
    DHCP4_DISCOVER = 1,
    DHCP4_OFFER = 2,
    DHCP4_REQUEST = 3,
    DHCP4_DECLINE = 4,
    DHCP4_ACK = 5,
    DHCP4_NAK = 6,
    DHCP4_RELEASE = 7,
    DHCP4_INFORM = 8,
};

/* Option codes (RFC 2132, RFC 3442). */
#define DHCP4_OPT_PAD 0
#define DHCP4_OPT_SUBNET_MASK 1
#define DHCP4_OPT_ROUTER 3
#define DHCP4_OPT_DNS 6
#define DHCP4_OPT_HOSTNAME 12
#define DHCP4_OPT_DOMAIN 15
#define DHCP4_OPT_MTU 26
#define DHCP4_OPT_REQUESTED_IP 50
#define DHCP4_OPT_LEASE_TIME 51
#define DHCP4_OPT_OVERLOAD 52
#define DHCP4_OPT_MSG_TYPE 53
#define DHCP4_OPT_SERVER_ID 54
#define DHCP4_OPT_PARAM_LIST 55
#define DHCP4_OPT_MESSAGE 56
#define DHCP4_OPT_MAX_SIZE 57
#define DHCP4_OPT_T1 58
#define DHCP4_OPT_T2 59
#define DHCP4_OPT_CLIENT_ID 61
#define DHCP4_OPT_CLASSLESS_ROUTES 121
#define DHCP4_OPT_END 255

#define DHCP4_MAX_ROUTERS 4
#define DHCP4_MAX_DNS 4
#define DHCP4_MAX_ROUTES 16          /* RFC 3442 entries kept; more: the option is ignored */

struct dhcp4_route {
    uint32_t dst;                    /* host order, host bits zero */
    uint8_t prefix_len;
    uint32_t gateway;                /* 0: on-link (RFC 3442: router 0.0.0.0) */
};

/* Which options were present but malformed (ignored). */
#define DHCP4_BAD_SUBNET 0x01u       /* wrong length or not a contiguous mask */
#define DHCP4_BAD_ROUTES 0x02u       /* RFC 3442 option malformed */
#define DHCP4_BAD_OTHER 0x04u        /* another option with a wrong length */

struct dhcp4_view {
    uint8_t op, htype, hlen;
    uint32_t xid;
    uint16_t secs, flags;
    uint32_t ciaddr, yiaddr, siaddr, giaddr; /* host order */
    uint8_t chaddr[16];
    uint8_t msg_type;                /* 0: none */
    bool has_server_id;
    uint32_t server_id;
    bool has_subnet;
    uint8_t prefix_len;              /* from a contiguous subnet mask */
    uint32_t routers[DHCP4_MAX_ROUTERS];
    size_t n_routers;
    uint32_t dns[DHCP4_MAX_DNS];
    size_t n_dns;
    bool has_lease;
    uint32_t lease_s;
    bool has_t1, has_t2;
    uint32_t t1_s, t2_s;
    bool has_mtu;
    uint16_t mtu;
    bool has_routes;                 /* RFC 3442 option present and well formed */
    struct dhcp4_route routes[DHCP4_MAX_ROUTES];
    size_t n_routes;
    unsigned bad;                    /* DHCP4_BAD_* */
};

/* Parse a BOOTP/DHCP message (the UDP payload): WIRE_ETRUNC below the
 * fixed part and cookie, WIRE_EBADHDR without the magic cookie or with an
 * option running past the end. Option overload (52) is not followed. */
int dhcp4_parse(const uint8_t *buf, size_t len, struct dhcp4_view *out);

struct dhcp4_emit_args {
    uint8_t msg_type;                /* enum dhcp4_msg */
    uint32_t xid;
    uint16_t secs;
    bool broadcast;                  /* DHCP4_FLAG_BROADCAST */
    uint32_t ciaddr;                 /* host order; 0 unless BOUND/RENEWING/REBINDING */
    struct eth_addr chaddr;
    uint32_t requested_ip;           /* option 50 if non-zero */
    uint32_t server_id;              /* option 54 if non-zero */
    bool param_list;                 /* option 55: what we use */
};
/* A client message into buf (cap bytes; needs DHCP4_EMIT_MAX). Returns
 * its length, or 0 if cap is too small. */
#define DHCP4_EMIT_MAX 300
size_t dhcp4_emit(uint8_t *buf, size_t cap, const struct dhcp4_emit_args *a);

#endif
