/* mld.c - the host side of MLDv2 (RFC 3810) for the groups the stack
 * joins by itself: the solicited-node group of each of its addresses
 * (RFC 4861 7.2.1, RFC 4862 5.4.2). A join or leave is announced with an
 * unsolicited State Change Report, sent [Robustness Variable] times
 * [Unsolicited Report Interval] apart (RFC 3810 6.1). ff02::1 is never
 * reported (RFC 3810 6). The state is a small table per interface. */
#include <string.h>

#include "stack/core/ipv6_impl.h"
#include "stack/core/nd.h"
#include "stack/util/siphash.h"

static const uint8_t mld2_routers[16] = {0xff, 0x02, [15] = 0x16}; /* RFC 3810 5.2.14 */

int mld_send_report(struct stack *s, struct netif *nif, const struct mld2_record *recs,
                    size_t n, uint64_t now)
{
    if (n == 0 || n > MLD_MAX_PENDING)
        return -1;
    /* RFC 3810 5.2.13: from a link-local address, or :: while none is
     * ready (every address still tentative). */
    uint8_t ll[16];
    bool have_ll = nd_pick_source(nif, ll) && ipv6_addr_is_link_local(ll);
    struct ip_route rt;
    if (ipv6_route(s, mld2_routers, have_ll ? ll : NULL, &rt) != 0 || rt.nif != nif)
        return -1;
    if (!ipv6_addr_is_link_local(rt.src.u.v6)) {
        static const uint8_t unspecified[16];
        rt.src = ipv6_addr_tag(unspecified);
    }
    uint8_t buf[PBUF_HEADROOM + 8 + MLD2_REPORT_LEN(MLD_MAX_PENDING) + 64];
    struct pbuf p;
    pbuf_init(&p, buf, sizeof buf, PBUF_HEADROOM);
    uint8_t *hbh = pbuf_append(&p, 8);
    uint8_t *msg = pbuf_append(&p, MLD2_REPORT_LEN(n));
    if (hbh == NULL || msg == NULL)
        return -1;
    /* RFC 3810 5: a hop-by-hop header with Router Alert (RFC 2711) value
     * 0 (MLD), and a 2-byte PadN to fill its 8 bytes. */
    static const uint8_t hbh_ra[8] = {IPV6_NH_ICMPV6, 0, IPV6_OPT_ROUTER_ALERT, 2, 0, 0,
                                      IPV6_OPT_PADN, 0};
    memcpy(hbh, hbh_ra, sizeof hbh_ra);
    struct ip_addr dst = ipv6_addr_tag(mld2_routers);
    mld2_emit_report(msg, recs, n, &rt.src, &dst);
    if (ipv6_output(s, &rt, &p, mld2_routers, IPV6_NH_HOPOPTS, MLD2_HOP_LIMIT, now) != 0)
        return -1;
    return 0;
}

/* A usable address of nif with solicited-node group sn? A duplicate
 * address is not used (RFC 4862 5.4.5). */
static bool group_needed(const struct netif *nif, const uint8_t sn[16])
{
    for (size_t i = 0; i < NETIF_MAX_ADDR6; i++) {
        const struct netif_addr6 *a = &nif->addr6[i];
        if (a->state == ADDR6_UNUSED || a->state == ADDR6_DUPLICATE)
            continue;
        uint8_t other[16];
        ipv6_solicited_node(a->addr, other);
        if (memcmp(other, sn, 16) == 0)
            return true;
    }
    return false;
}

static bool pending_any(const struct mld_pending *tab)
{
    for (size_t i = 0; i < MLD_MAX_PENDING; i++)
        if (tab[i].left > 0)
            return true;
    return false;
}

/* The slot for group sn: its entry, else a free one (NULL if none). */
static struct mld_pending *slot_for(struct mld_pending *tab, const uint8_t sn[16])
{
    struct mld_pending *free_slot = NULL;
    for (size_t i = 0; i < MLD_MAX_PENDING; i++) {
        bool used = tab[i].joined || tab[i].left > 0;
        if (used && memcmp(tab[i].group, sn, 16) == 0)
            return &tab[i];
        if (!used && free_slot == NULL)
            free_slot = &tab[i];
    }
    return free_slot;
}

/* Join (or leave) sn and queue the change (a newer one replaces an older
 * one for the same group, RFC 3810 6.1), its first report due at due.
 * Nothing if that is already the group's state. */
static bool change_queue(struct stack *s, struct netif *nif, const uint8_t sn[16], bool join,
                         uint64_t due)
{
    if (nif->index < 0 || nif->index >= STACK_MAX_NETIFS || s->nd == NULL)
        return false;
    struct mld_pending *tab = s->nd->mld[nif->index];
    struct mld_pending *slot = slot_for(tab, sn);
    if (slot == NULL) {
        ctr_inc(s, CTR_ICMP6_MLD_PENDING_FULL);
        return false;
    }
    bool used = slot->joined || slot->left > 0;
    if ((used && slot->joined == join) || (!used && !join))
        return false;
    uint64_t *timer = &s->nd->mld_timer[nif->index];
    if (!pending_any(tab) || due < *timer)
        *timer = due;
    memcpy(slot->group, sn, 16);
    slot->joined = join;
    slot->type = join ? MLD2_CHANGE_TO_EXCLUDE : MLD2_CHANGE_TO_INCLUDE;
    slot->left = MLD_ROBUSTNESS;
    return true;
}

/* The first report of a join waits like the first DAD probe (RFC 4862
 * 5.4.2, addrconf.c dad_delay): a keyed hash of the group below
 * nd_dad_max_delay_ns, since the stack has no random source. */
static uint64_t join_delay(const struct stack *s, const uint8_t sn[16])
{
    uint64_t max = s->cfg.nd_dad_max_delay_ns;
    if (max == 0)
        return 0;
    uint8_t msg[1 + 16];
    msg[0] = 'M';
    memcpy(msg + 1, sn, 16);
    return siphash24(s->cfg.key, msg, sizeof msg) % max;
}

void mld_addr_added(struct stack *s, struct netif *nif, const uint8_t addr[16], uint64_t now)
{
    uint8_t sn[16];
    ipv6_solicited_node(addr, sn);
    if (change_queue(s, nif, sn, true, nd_add_sat(now, join_delay(s, sn))))
        ctr_inc(s, CTR_ICMP6_MLD_JOINS);
}

void mld_addr_removed(struct stack *s, struct netif *nif, const uint8_t addr[16])
{
    uint8_t sn[16];
    ipv6_solicited_node(addr, sn);
    if (group_needed(nif, sn))
        return;
    /* Due at the next poll (time 0): the callers have no clock at hand. */
    if (change_queue(s, nif, sn, false, 0))
        ctr_inc(s, CTR_ICMP6_MLD_LEAVES);
}

void mld_poll(struct stack *s, struct netif *nif, uint64_t now)
{
    if (nif->index < 0 || nif->index >= STACK_MAX_NETIFS || s->nd == NULL)
        return;
    uint64_t *timer = &s->nd->mld_timer[nif->index];
    struct mld_pending *tab = s->nd->mld[nif->index];
    if (now < *timer || !pending_any(tab))
        return;
    struct mld2_record recs[MLD_MAX_PENDING];
    size_t n = 0;
    bool more = false;
    for (size_t i = 0; i < MLD_MAX_PENDING; i++) {
        if (tab[i].left == 0)
            continue;
        recs[n].type = tab[i].type;
        memcpy(recs[n].group, tab[i].group, 16);
        n++;
        /* Counted down even if the send fails: bounded either way. */
        tab[i].left--;
        more = more || tab[i].left > 0;
    }
    *timer = more ? nd_add_sat(now, MLD_UNSOLICITED_INTERVAL_NS) : 0;
    if (n > 0 && mld_send_report(s, nif, recs, n, now) == 0)
        ctr_inc(s, CTR_ICMP6_MLD_REPORTS_SENT);
}

uint64_t mld_next_deadline(const struct stack *s, const struct netif *nif)
{
    if (nif->index < 0 || nif->index >= STACK_MAX_NETIFS || s->nd == NULL)
        return 0;
    if (!pending_any(s->nd->mld[nif->index]))
        return 0;
    /* 0 means "none" to the caller: a report due at time 0 is due at 1. */
    uint64_t t = s->nd->mld_timer[nif->index];
    return t == 0 ? 1 : t;
}
