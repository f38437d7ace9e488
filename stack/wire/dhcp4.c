/* dhcp4.c - DHCPv4 message parse and emit (see dhcp4.h). */
#include "stack/wire/dhcp4.h"

#include <string.h>

/* A netmask's prefix length, or -1 if its ones are not contiguous. */
static int mask_len(uint32_t mask)
{
    int n = 0;
    while (n < 32 && (mask & (0x80000000u >> n)) != 0)
        n++;
    if (n < 32 && (mask << n) != 0)
        return -1;
    return n;
}

/* RFC 3442: width (0..32), the significant octets of the destination,
 * the router. The whole option is ignored if any entry is malformed or
 * there are more than we keep. */
static bool parse_routes(const uint8_t *p, size_t len, struct dhcp4_view *out)
{
    size_t off = 0, n = 0;
    while (off < len) {
        uint8_t width = p[off++];
        if (width > 32)
            return false;
        size_t sig = (size_t)(width + 7) / 8;
        if (len - off < sig + 4 || n == DHCP4_MAX_ROUTES)
            return false;
        uint32_t dst = 0;
        for (size_t i = 0; i < sig; i++)
            dst |= (uint32_t)p[off + i] << (24 - 8 * i);
        off += sig;
        /* Host bits set in the destination: a malformed entry. */
        if ((dst & ~ip4_mask(width)) != 0)
            return false;
        out->routes[n].dst = dst;
        out->routes[n].prefix_len = width;
        out->routes[n].gateway = rd32(p + off);
        off += 4;
        n++;
    }
    out->n_routes = n;
    return true;
}

/* Up to max IPv4 addresses from an option whose length is a non-zero
 * multiple of 4. */
static bool parse_addrs(const uint8_t *p, size_t len, uint32_t *out, size_t max, size_t *n)
{
    if (len == 0 || len % 4 != 0)
        return false;
    *n = 0;
    for (size_t i = 0; i + 4 <= len && *n < max; i += 4)
        out[(*n)++] = rd32(p + i);
    return true;
}

static void option(uint8_t code, const uint8_t *p, size_t len, struct dhcp4_view *out)
{
    switch (code) {
    case DHCP4_OPT_MSG_TYPE:
        if (len == 1)
            out->msg_type = p[0];
        else
            out->bad |= DHCP4_BAD_OTHER;
        break;
    case DHCP4_OPT_SERVER_ID:
        if (len == 4) {
            out->has_server_id = true;
            out->server_id = rd32(p);
        } else {
            out->bad |= DHCP4_BAD_OTHER;
        }
        break;
    case DHCP4_OPT_SUBNET_MASK: {
        int l = len == 4 ? mask_len(rd32(p)) : -1;
        if (l >= 0) {
            out->has_subnet = true;
            out->prefix_len = (uint8_t)l;
        } else {
            out->bad |= DHCP4_BAD_SUBNET;
        }
        break;
    }
    case DHCP4_OPT_ROUTER:
        if (!parse_addrs(p, len, out->routers, DHCP4_MAX_ROUTERS, &out->n_routers))
            out->bad |= DHCP4_BAD_OTHER;
        break;
    case DHCP4_OPT_DNS:
        if (!parse_addrs(p, len, out->dns, DHCP4_MAX_DNS, &out->n_dns))
            out->bad |= DHCP4_BAD_OTHER;
        break;
    case DHCP4_OPT_LEASE_TIME:
    case DHCP4_OPT_T1:
    case DHCP4_OPT_T2:
        if (len != 4) {
            out->bad |= DHCP4_BAD_OTHER;
        } else if (code == DHCP4_OPT_LEASE_TIME) {
            out->has_lease = true;
            out->lease_s = rd32(p);
        } else if (code == DHCP4_OPT_T1) {
            out->has_t1 = true;
            out->t1_s = rd32(p);
        } else {
            out->has_t2 = true;
            out->t2_s = rd32(p);
        }
        break;
    case DHCP4_OPT_MTU:
        /* RFC 2132 5.1: 68 at least. */
        if (len == 2 && rd16(p) >= 68) {
            out->has_mtu = true;
            out->mtu = rd16(p);
        } else {
            out->bad |= DHCP4_BAD_OTHER;
        }
        break;
    case DHCP4_OPT_CLASSLESS_ROUTES:
        out->has_routes = len >= 5 && parse_routes(p, len, out);
        if (!out->has_routes) {
            out->n_routes = 0;
            out->bad |= DHCP4_BAD_ROUTES;
        }
        break;
    default:
        break; /* options we do not use */
    }
}

int dhcp4_parse(const uint8_t *buf, size_t len, struct dhcp4_view *out)
{
    memset(out, 0, sizeof *out);
    if (buf == NULL || len < DHCP4_MIN_LEN)
        return WIRE_ETRUNC;
    out->op = buf[0];
    out->htype = buf[1];
    out->hlen = buf[2];
    out->xid = rd32(buf + 4);
    out->secs = rd16(buf + 8);
    out->flags = rd16(buf + 10);
    out->ciaddr = rd32(buf + 12);
    out->yiaddr = rd32(buf + 16);
    out->siaddr = rd32(buf + 20);
    out->giaddr = rd32(buf + 24);
    memcpy(out->chaddr, buf + 28, 16);
    if (rd32(buf + DHCP4_FIXED_LEN) != DHCP4_MAGIC)
        return WIRE_EBADHDR;
    size_t off = DHCP4_MIN_LEN;
    while (off < len) {
        uint8_t code = buf[off++];
        if (code == DHCP4_OPT_PAD)
            continue;
        if (code == DHCP4_OPT_END)
            return WIRE_OK;
        if (off >= len)
            return WIRE_EBADHDR; /* no length byte */
        size_t olen = buf[off++];
        if (olen > len - off)
            return WIRE_EBADHDR; /* runs past the end */
        option(code, buf + off, olen, out);
        off += olen;
    }
    /* RFC 2131 4.1: the options end with END; a message cut without it
     * is accepted as far as it is well formed (some servers pad). */
    return WIRE_OK;
}

static size_t put_opt(uint8_t *p, uint8_t code, const void *val, uint8_t len)
{
    p[0] = code;
    p[1] = len;
    memcpy(p + 2, val, len);
    return (size_t)len + 2;
}

size_t dhcp4_emit(uint8_t *buf, size_t cap, const struct dhcp4_emit_args *a)
{
    if (cap < DHCP4_EMIT_MAX)
        return 0;
    memset(buf, 0, DHCP4_EMIT_MAX);
    buf[0] = DHCP4_BOOTREQUEST;
    buf[1] = 1; /* Ethernet (RFC 1700) */
    buf[2] = 6;
    wr32(buf + 4, a->xid);
    wr16(buf + 8, a->secs);
    wr16(buf + 10, a->broadcast ? DHCP4_FLAG_BROADCAST : 0);
    wr32(buf + 12, a->ciaddr);
    memcpy(buf + 28, a->chaddr.b, 6);
    wr32(buf + DHCP4_FIXED_LEN, DHCP4_MAGIC);
    size_t off = DHCP4_MIN_LEN;
    uint8_t v[4];
    off += put_opt(buf + off, DHCP4_OPT_MSG_TYPE, &a->msg_type, 1);
    /* RFC 2132 9.14: the client identifier, hardware type and address. */
    uint8_t cid[7] = {1};
    memcpy(cid + 1, a->chaddr.b, 6);
    off += put_opt(buf + off, DHCP4_OPT_CLIENT_ID, cid, sizeof cid);
    if (a->requested_ip != 0) {
        wr32(v, a->requested_ip);
        off += put_opt(buf + off, DHCP4_OPT_REQUESTED_IP, v, 4);
    }
    if (a->server_id != 0) {
        wr32(v, a->server_id);
        off += put_opt(buf + off, DHCP4_OPT_SERVER_ID, v, 4);
    }
    if (a->param_list) {
        /* RFC 3442: ask for 121 (servers send it only when asked). */
        static const uint8_t want[] = {DHCP4_OPT_SUBNET_MASK, DHCP4_OPT_CLASSLESS_ROUTES,
                                       DHCP4_OPT_ROUTER,      DHCP4_OPT_DNS,
                                       DHCP4_OPT_MTU,         DHCP4_OPT_LEASE_TIME,
                                       DHCP4_OPT_T1,          DHCP4_OPT_T2};
        off += put_opt(buf + off, DHCP4_OPT_PARAM_LIST, want, sizeof want);
        /* RFC 2132 9.10: we take a whole 1500-byte frame's worth. */
        wr16(v, 1500 - 28);
        off += put_opt(buf + off, DHCP4_OPT_MAX_SIZE, v, 2);
    }
    buf[off++] = DHCP4_OPT_END;
    /* RFC 1542 2.1: BOOTP relays expect at least 300 bytes. */
    return off < DHCP4_EMIT_MAX ? DHCP4_EMIT_MAX : off;
}
