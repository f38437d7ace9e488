/* tcp_opt.c - TCP socket options, names and the connection views of
 * stack/stack.h (split from tcp.c). Names are shown in the socket's
 * family: an IPv6 socket's IPv4 connection as ::ffff:a.b.c.d (RFC 3493
 * 3.7, sock/sock_addr.h). */
#include <errno.h>
#include <string.h>

#include "stack/sock/sock_addr.h"
#include "stack/sock/tcp_impl.h"

int tcp_sock_setopt(struct tcp_sock *ts, enum tcp_sockopt opt, int value)
{
    if (ts == NULL)
        return -EINVAL;
    switch (opt) {
    case TCP_OPT_NODELAY:
        ts->nodelay = value != 0;
        return 0;
    case TCP_OPT_KEEPALIVE:
        ts->keepalive = value != 0;
        tcp_keepalive_reset(ts, ts->last_recv);
        return 0;
    case TCP_OPT_KEEPIDLE:
    case TCP_OPT_KEEPINTVL:
        if (value < 1 || value > 32767) /* Linux MAX_TCP_KEEPIDLE */
            return -EINVAL;
        if (opt == TCP_OPT_KEEPIDLE)
            ts->keep_idle_s = (uint32_t)value;
        else
            ts->keep_intvl_s = (uint32_t)value;
        tcp_keepalive_reset(ts, ts->last_recv);
        return 0;
    case TCP_OPT_KEEPCNT:
        if (value < 1 || value > 127) /* Linux MAX_TCP_KEEPCNT */
            return -EINVAL;
        ts->keep_cnt = (uint32_t)value;
        return 0;
    case TCP_OPT_SNDBUF:
    case TCP_OPT_RCVBUF: {
        if (value <= 0)
            return -EINVAL;
        /* Linux doubles the value for bookkeeping; we take it as the
         * payload buffer, clamped like Linux's SOCK_MIN_*BUF. */
        uint32_t v = (uint32_t)value < 2048 ? 2048 : (uint32_t)value;
        if (v > (64u << 20))
            v = 64u << 20;
        struct ring *r = opt == TCP_OPT_SNDBUF ? &ts->sndbuf : &ts->rcvbuf;
        if (ring_is_open(r)) {
            if (v < ring_len(r) || ring_resize(r, v) != 0)
                return -ENOBUFS;
        }
        if (opt == TCP_OPT_SNDBUF)
            ts->sndbuf_size = v;
        else
            ts->rcvbuf_size = v;
        return 0;
    }
    case TCP_OPT_REUSEADDR:
        ts->reuseaddr = value != 0;
        return 0;
    case TCP_OPT_LINGER_ZERO:
        ts->linger0 = value != 0;
        return 0;
    case TCP_OPT_MAXSEG:
        /* Linux do_tcp_setsockopt: 0 (unset) or TCP_MIN_MSS..MAX_TCP_WINDOW;
         * used by the next connect or listen (the MSS of a connection is
         * settled by its SYNs). */
        if (value != 0 && (value < TCP_MIN_MSS || value > TCP_MAX_USER_MSS))
            return -EINVAL;
        ts->user_mss = (uint16_t)value;
        return 0;
    case TCP_OPT_CORK:
        ts->cork = value != 0;
        /* Uncorked: what was held goes at the next poll (due at once). */
        if (!ts->cork && ts->state != TCP_CLOSED && ts->state != TCP_LISTEN)
            tcp_timer_set(ts, TCP_T_CORK, 1);
        return 0;
    case TCP_OPT_TOS:
        /* RFC 1122 4.2.4.2; Linux __ip_sock_set_tos: for a stream socket
         * the ECN field is the stack's (we send Not-ECT). */
        ts->tos = (uint8_t)value & (uint8_t)~0x3u;
        return 0;
    case TCP_OPT_TCLASS:
        if (ts->family == IP_FAMILY_V4)
            return -ENOPROTOOPT;
        if (value < -1 || value > 255)
            return -EINVAL;
        ts->tclass = value < 0 ? 0 : (uint8_t)value & (uint8_t)~0x3u;
        return 0;
    case TCP_OPT_QUICKACK:
        /* Linux do_tcp_setsockopt: 0 enters pingpong mode; 1 leaves it
         * and ACKs what is pending at once. */
        if (value == 0) {
            ts->pingpong = true;
            return 0;
        }
        ts->pingpong = false;
        ts->quickacks = TCP_MAX_QUICKACKS;
        /* A delayed ACK pending goes at the next poll (setopt has no
         * `now` to stamp a segment with). */
        if (ts->timer[TCP_T_DELACK] != 0)
            tcp_timer_set(ts, TCP_T_DELACK, 1);
        return 0;
    case TCP_OPT_V6ONLY:
        /* RFC 3493 5.3; Linux: ENOPROTOOPT on AF_INET, EINVAL once bound. */
        if (ts->family == IP_FAMILY_V4)
            return -ENOPROTOOPT;
        if (ts->bound || ts->state != TCP_CLOSED)
            return -EINVAL;
        ts->v6only = value != 0;
        return 0;
    }
    return -ENOPROTOOPT;
}

int tcp_sock_getopt(const struct tcp_sock *ts, enum tcp_sockopt opt, int *value)
{
    if (ts == NULL || value == NULL)
        return -EINVAL;
    switch (opt) {
    case TCP_OPT_NODELAY: *value = ts->nodelay; return 0;
    case TCP_OPT_KEEPALIVE: *value = ts->keepalive; return 0;
    case TCP_OPT_KEEPIDLE: *value = (int)ts->keep_idle_s; return 0;
    case TCP_OPT_KEEPINTVL: *value = (int)ts->keep_intvl_s; return 0;
    case TCP_OPT_KEEPCNT: *value = (int)ts->keep_cnt; return 0;
    case TCP_OPT_SNDBUF: *value = (int)ts->sndbuf_size; return 0;
    case TCP_OPT_RCVBUF: *value = (int)ts->rcvbuf_size; return 0;
    case TCP_OPT_REUSEADDR: *value = ts->reuseaddr; return 0;
    case TCP_OPT_LINGER_ZERO: *value = ts->linger0; return 0;
    case TCP_OPT_MAXSEG:
        /* Linux: the value set while closed or listening, else the MSS in
         * use (536 before any). */
        if (ts->user_mss != 0 && (ts->state == TCP_CLOSED || ts->state == TCP_LISTEN))
            *value = ts->user_mss;
        else
            *value = ts->smss != 0 ? ts->smss : TCP_DEFAULT_MSS;
        return 0;
    case TCP_OPT_CORK: *value = ts->cork; return 0;
    case TCP_OPT_TOS: *value = ts->tos; return 0;
    case TCP_OPT_TCLASS:
        if (ts->family == IP_FAMILY_V4)
            return -ENOPROTOOPT;
        *value = ts->tclass;
        return 0;
    case TCP_OPT_V6ONLY:
        if (ts->family == IP_FAMILY_V4)
            return -ENOPROTOOPT;
        *value = ts->v6only;
        return 0;
    case TCP_OPT_QUICKACK: *value = !ts->pingpong; return 0;
    }
    return -ENOPROTOOPT;
}

int tcp_sock_getsockname(const struct tcp_sock *ts, struct ip_endpoint *out)
{
    if (ts == NULL || out == NULL)
        return -EINVAL;
    out->addr = sock_addr_show(ts->family, &ts->t.laddr);
    out->port = ts->t.lport;
    return 0;
}

int tcp_sock_getpeername(const struct tcp_sock *ts, struct ip_endpoint *out)
{
    if (ts == NULL || out == NULL)
        return -EINVAL;
    if (ts->state == TCP_CLOSED || ts->state == TCP_LISTEN || ts->state == TCP_SYN_SENT)
        return -ENOTCONN;
    out->addr = sock_addr_show(ts->family, &ts->t.raddr);
    out->port = ts->t.rport;
    return 0;
}

void tcp_sock_info(const struct tcp_sock *ts, struct tcp_conn_info *o)
{
    memset(o, 0, sizeof *o);
    if (ts == NULL)
        return;
    o->state = ts->state;
    o->local.addr = sock_addr_show(ts->family, &ts->t.laddr);
    o->local.port = ts->t.lport;
    o->remote.addr = sock_addr_show(ts->family, &ts->t.raddr);
    o->remote.port = ts->t.rport;
    o->snd_wnd = ts->snd_wnd;
    o->rcv_wnd = ring_is_open(&ts->rcvbuf) ? tcp_rcv_window(ts) : 0;
    o->snd_wscale = ts->snd_wscale;
    o->rcv_wscale = ts->rcv_wscale;
    o->mss = ts->smss;
    o->sack = ts->sack_ok;
    o->timestamps = ts->ts_ok;
    o->cwnd = ts->cc.cwnd;
    o->ssthresh = ts->cc.ssthresh;
    o->srtt_us = ts->rtt.srtt / 1000;
    o->rttvar_us = ts->rtt.rttvar / 1000;
    o->rto_us = tcp_rtt_backoff(&ts->rtt, ts->backoff) / 1000;
    o->send_queue = (uint32_t)ring_len(&ts->sndbuf);
    o->recv_queue = (uint32_t)ring_len(&ts->rcvbuf);
    o->retransmits = ts->retransmits;
    o->backoff = ts->backoff;
    o->accept_queue = ts->n_acceptq;
    o->backlog = ts->backlog;
    o->cc = ts->cc.ops != NULL ? ts->cc.ops->name : "";
    o->orphan = ts->orphan;
    o->user = ts->orphan ? NULL : ts->user;
    o->sock = ts;
    o->wscale_ok = ts->wscale_ok;
    o->in_recovery = ts->in_recovery;
    o->retries = ts->retries;
    o->probes = ts->probes;
    o->rcv_mss = (uint16_t)(ts->rcv_mss_est != 0 ? ts->rcv_mss_est : ts->rmss);
    o->advmss = ts->rmss;
    o->pmtu = ts->smss == 0 ? 0 : (uint32_t)ts->smss + (ts->ts_ok ? TCP_TS_OPTLEN : 0) +
                                      (ts->t.raddr.family == IP_FAMILY_V6 ? 60u : 40u);
    uint32_t mss = ts->smss != 0 ? ts->smss : TCP_DEFAULT_MSS;
    o->snd_cwnd_segs = (ts->cc.cwnd + mss - 1) / mss;
    o->snd_ssthresh_segs = ts->cc.ssthresh >= 0x7fffffffu ? 0x7fffffffu : ts->cc.ssthresh / mss;
    bool conn = ts->state != TCP_CLOSED && ts->state != TCP_LISTEN && ts->state != TCP_SYN_SENT;
    uint32_t flight = conn ? tcp_flight(ts) : 0;
    o->unacked = (flight + mss - 1) / mss;
    o->sacked = ts->sb.sacked / mss;
    uint32_t lost = 0;
    if (tcp_rack_on(ts))
        lost = tcp_rack_lost_bytes(ts); /* what RACK marked and not yet resent */
    else if (ts->sack_ok)
        lost = sb_lost_bytes(&ts->sb, ts->snd_una, ts->snd_max, mss);
    else if (ts->in_recovery)
        lost = mss; /* NewReno: the head */
    o->lost = (lost + mss - 1) / mss;
    o->reordering = TCP_DUPTHRESH;
    o->min_rtt_us = ts->rtt.valid ? ts->rtt.min_rtt / 1000 : 0;
    o->bytes_sent = ts->bytes_sent;
    o->bytes_retrans = ts->bytes_retrans;
    o->bytes_acked = ts->bytes_acked;
    o->bytes_received = ts->bytes_received;
    o->segs_out = ts->segs_out;
    o->segs_in = ts->segs_in;
    o->data_segs_out = ts->data_segs_out;
    o->data_segs_in = ts->data_segs_in;
    o->last_data_sent_ns = ts->last_data_sent;
    o->last_data_recv_ns = ts->data_rcvd ? ts->last_data_recv : 0;
    o->last_ack_recv_ns = ts->last_ack_recv;
}

size_t stack_tcp_list(const struct stack *s, struct tcp_conn_info *out, size_t max)
{
    size_t n = 0;
    if (s == NULL || s->tcp == NULL)
        return 0;
    for (const struct tcp_sock *ts = s->tcp->all; ts != NULL; ts = ts->all_next) {
        if (ts->zombie || (ts->state == TCP_CLOSED && !ts->bound))
            continue;
        if (n < max && out != NULL)
            tcp_sock_info(ts, &out[n]);
        n++;
    }
    return n;
}
