/* test_scripts.c - the packet-script runner (tests/scripts/README.md).
 *
 * Each *.pkt file is one test: a scripted peer (10.77.0.9) talks to the
 * stack under test (10.77.0.2) through the fake netif, on the fake clock,
 * while the script makes socket calls. Lines inject a segment at a time,
 * expect a segment with given fields at a time (within a tolerance), or
 * make a call and check its result. Sequence numbers are relative to each
 * side's initial sequence number, as in packetdrill.
 *
 *   test_scripts                  every .pkt file of tests/scripts
 *   test_scripts FILE...          these scripts
 *   test_scripts -v FILE          and print each line as it runs
 *   test_scripts -t FILE          and print each segment the stack sends
 *                                 (unexpected ones are then not errors)
 *
 * The scripts run as cmocka tests (one per file), so tests/run.sh counts
 * them as it counts unit tests. */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "stack/sock/tcp_impl.h"
#include "stack/sock/tcp_seq.h"
#include "tests/unit/support/tcp_peer.h"

#define SCRIPT_DIR "tests/scripts"
#define MAX_SCRIPTS 2000
#define MAX_LINE 512
#define MAX_FDS 16
#define PEER_ISN 1000000u        /* the peer's sequence number 0 */
#define LISTEN_PORT 8080
#define DEFAULT_TOL_NS (4 * NS_PER_MS) /* packetdrill's default tolerance */
#define MAX_WAIT_NS (3600ull * NS_PER_SEC) /* a `*` expectation waits at most this */
#define MAX_STEPS 1000000

static bool verbose, trace;

/* ---- one script's state ---- */

struct sfd {
    struct tcp_sock *ts;
    bool used;
};

struct run {
    const char *file;
    int line;
    struct stack_env *e;
    struct stack_config cfg;     /* config lines, applied when the stack is made */
    int mtu;
    bool cfg_done;
    uint64_t t0;                 /* the script's time 0 */
    uint64_t script_t;           /* the time of the current line */
    uint64_t tol;
    struct sfd fd[MAX_FDS];
    int cur;                     /* the current socket */
    uint16_t our_port;           /* our port of the connection (learned) */
    bool iss_known;
    uint32_t iss;                /* our ISS (relative 0) */
    uint32_t last_tsval;         /* the last TSval we sent */
    uint64_t app_written;        /* bytes the application wrote (our stream) */
    uint64_t app_read;           /* bytes the application read (the peer's stream) */
    /* Emission time of each frame recorded by the fake netif. */
    uint64_t frame_t[FAKE_NETIF_MAX_FRAMES];
    size_t stamped;
    char err[1024];
};

static struct run *cur_run;      /* for the tweak callback and teardown */

static void failf(struct run *r, const char *fmt, ...)
{
    char msg[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    fail_msg("%s:%d: %s", r->file, r->line, msg);
}

/* Our stream: byte i of what the application writes; the peer's stream:
 * byte i of what the peer sends. Both patterned so reads and segments can
 * be checked byte for byte. */
static uint8_t our_byte(uint64_t i)
{
    return (uint8_t)(i * 7u + 3u + (i >> 9));
}

static uint8_t peer_byte(uint64_t i)
{
    return (uint8_t)(i * 13u + 101u + (i >> 11));
}

/* ---- the clock ---- */

/* Stamp frames sent since the last call with the current time. The peer
 * answers our ARP requests for it at once (after a long idle time the
 * neighbour entry is stale and a segment waits for the answer). */
static void trace_frames(struct run *r, size_t from, size_t to);

static void stamp(struct run *r)
{
    for (int guard = 0; guard < 64 && r->stamped < r->e->nif.n; guard++) {
        size_t first = r->stamped;
        while (r->stamped < r->e->nif.n) {
            r->frame_t[r->stamped] = r->e->now;
            r->stamped++;
        }
        if (trace)
            trace_frames(r, first, r->stamped);
        for (size_t i = first; i < r->stamped; i++) {
            struct parsed_frame pf;
            const struct fake_frame *fr = &r->e->nif.frames[i];
            if (frame_parse(fr->data, fr->len, &pf) != 0 || !pf.is_arp ||
                pf.arp.op != ARP_OP_REQUEST || pf.arp.tpa != ENV_IP_PEER)
                continue;
            uint8_t f[128];
            size_t n = frame_arp(f, sizeof f, &env_mac_us, &env_mac_peer, ARP_OP_REPLY,
                                 &env_mac_peer, ENV_IP_PEER, &env_mac_us, ENV_IP_US);
            env_input(r->e, f, n);
        }
    }
}

/* Advance the fake clock to t through every deadline on the way. Stops
 * early (returning true) once a new frame is sent if stop_on_frame. */
static bool advance_to(struct run *r, uint64_t t, bool stop_on_frame)
{
    size_t before = r->e->nif.n;
    for (int steps = 0; steps < MAX_STEPS; steps++) {
        stamp(r);
        if (stop_on_frame && r->e->nif.n > before)
            return true;
        uint64_t d = stack_next_deadline(r->e->s);
        if (d == STACK_NO_DEADLINE || d > t) {
            if (r->e->now < t) {
                r->e->now = t;
                stack_poll(r->e->s, r->e->now);
                stamp(r);
            }
            return stop_on_frame && r->e->nif.n > before;
        }
        if (d > r->e->now)
            r->e->now = d;
        stack_poll(r->e->s, r->e->now);
    }
    failf(r, "the stack never settled (deadline loop)");
    return false;
}

/* ---- parsing helpers ---- */

static char *skip_ws(char *p)
{
    while (*p == ' ' || *p == '\t')
        p++;
    return p;
}

/* The next whitespace-separated word (in place); "" at the end. */
static char *word(char **pp)
{
    char *p = skip_ws(*pp);
    char *w = p;
    while (*p != '\0' && *p != ' ' && *p != '\t')
        p++;
    if (*p != '\0')
        *p++ = '\0';
    *pp = p;
    return w;
}

static bool parse_i64(const char *s, int64_t *out)
{
    if (*s == '\0')
        return false;
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 0);
    if (errno != 0 || *end != '\0')
        return false;
    *out = v;
    return true;
}

static int64_t need_i64(struct run *r, const char *s, const char *what)
{
    int64_t v = 0;
    if (!parse_i64(s, &v))
        failf(r, "%s: \"%s\" is not a number", what, s);
    return v;
}

/* Seconds with up to 9 decimals into ns. */
static bool parse_secs(const char *s, uint64_t *ns)
{
    uint64_t whole = 0, frac = 0, scale = NS_PER_SEC;
    const char *p = s;
    if (!isdigit((unsigned char)*p) && *p != '.')
        return false;
    while (isdigit((unsigned char)*p))
        whole = whole * 10 + (uint64_t)(*p++ - '0');
    if (*p == '.') {
        p++;
        while (isdigit((unsigned char)*p)) {
            scale /= 10;
            frac += (uint64_t)(*p++ - '0') * scale;
        }
    }
    if (*p != '\0')
        return false;
    *ns = whole * NS_PER_SEC + frac;
    return true;
}

struct errno_name {
    const char *name;
    int value;
};

static const struct errno_name errnos[] = {
    {"EAGAIN", EAGAIN}, {"EINPROGRESS", EINPROGRESS}, {"ECONNREFUSED", ECONNREFUSED},
    {"ECONNRESET", ECONNRESET}, {"ETIMEDOUT", ETIMEDOUT}, {"EPIPE", EPIPE},
    {"ENOTCONN", ENOTCONN}, {"EINVAL", EINVAL}, {"EISCONN", EISCONN},
    {"EALREADY", EALREADY}, {"EADDRINUSE", EADDRINUSE}, {"EADDRNOTAVAIL", EADDRNOTAVAIL},
    {"ENOPROTOOPT", ENOPROTOOPT}, {"EHOSTUNREACH", EHOSTUNREACH}, {"ENETUNREACH", ENETUNREACH},
    {"ENOBUFS", ENOBUFS}, {"EMSGSIZE", EMSGSIZE},
};

/* A result: a number, or an errno name (optionally with a minus): -errno. */
static int64_t parse_result(struct run *r, const char *s)
{
    const char *n = s[0] == '-' && isalpha((unsigned char)s[1]) ? s + 1 : s;
    for (size_t i = 0; i < sizeof errnos / sizeof errnos[0]; i++)
        if (strcmp(n, errnos[i].name) == 0)
            return -errnos[i].value;
    return need_i64(r, s, "result");
}

static const char *errno_str(int64_t v)
{
    static char buf[32];
    for (size_t i = 0; i < sizeof errnos / sizeof errnos[0]; i++)
        if (v == -errnos[i].value)
            return errnos[i].name;
    snprintf(buf, sizeof buf, "%" PRId64, v);
    return buf;
}

/* ---- the stack and its config ---- */

static void tweak(struct stack_config *cfg, struct netif_config *ncfg)
{
    struct run *r = cur_run;
    uint8_t key[16];
    memcpy(key, cfg->key, sizeof key);
    void (*log)(void *, int, const char *) = cfg->log;
    void *log_ctx = cfg->log_ctx;
    *cfg = r->cfg;
    memcpy(cfg->key, key, sizeof key);
    cfg->log = log;
    cfg->log_ctx = log_ctx;
    if (r->mtu > 0)
        ncfg->mtu = (uint32_t)r->mtu;
}

struct cfg_key {
    const char *name;
    size_t off;
    int kind;                    /* 0 u32, 1 u64 ms->ns, 2 bool, 3 u8 */
};

#define TCFG(f) offsetof(struct stack_config, tcp.f)
static const struct cfg_key cfg_keys[] = {
    {"sndbuf", TCFG(sndbuf), 0}, {"rcvbuf", TCFG(rcvbuf), 0},
    {"max_conns", TCFG(max_conns), 0}, {"syn_backlog", TCFG(syn_backlog), 0},
    {"max_backlog", TCFG(max_backlog), 0}, {"ooo_max_ranges", TCFG(ooo_max_ranges), 0},
    {"rto_initial_ms", TCFG(rto_initial_ns), 1}, {"rto_min_ms", TCFG(rto_min_ns), 1},
    {"rto_max_ms", TCFG(rto_max_ns), 1}, {"syn_retries", TCFG(syn_retries), 0},
    {"synack_retries", TCFG(synack_retries), 0}, {"retries2", TCFG(retries2), 0},
    {"delack_ms", TCFG(delack_ns), 1}, {"delack_segs", TCFG(delack_segs), 0},
    {"time_wait_ms", TCFG(time_wait_ns), 1}, {"fin_wait2_ms", TCFG(fin_wait2_ns), 1},
    {"keepalive_idle_ms", TCFG(keepalive_idle_ns), 1},
    {"keepalive_intvl_ms", TCFG(keepalive_intvl_ns), 1},
    {"keepalive_cnt", TCFG(keepalive_cnt), 0}, {"sack", TCFG(sack), 2},
    {"timestamps", TCFG(timestamps), 2}, {"window_scaling", TCFG(window_scaling), 2},
    {"syncookies", TCFG(syncookies), 3}, {"rack", TCFG(rack), 2}, {"tlp", TCFG(tlp), 2},
    {"prr", TCFG(prr), 2},
};

static void do_config(struct run *r, char *rest)
{
    if (r->cfg_done)
        failf(r, "config after the first event");
    char *k = word(&rest);
    char *v = word(&rest);
    if (strcmp(k, "cc") == 0) {
        if (strcmp(v, "newreno") == 0)
            r->cfg.tcp.cc = TCP_CC_NEWRENO;
        else if (strcmp(v, "cubic") == 0)
            r->cfg.tcp.cc = TCP_CC_CUBIC;
        else
            failf(r, "config cc: newreno or cubic, not \"%s\"", v);
        return;
    }
    if (strcmp(k, "mtu") == 0) {
        r->mtu = (int)need_i64(r, v, "mtu");
        return;
    }
    for (size_t i = 0; i < sizeof cfg_keys / sizeof cfg_keys[0]; i++) {
        if (strcmp(k, cfg_keys[i].name) != 0)
            continue;
        int64_t n = need_i64(r, v, k);
        uint8_t *base = (uint8_t *)&r->cfg + cfg_keys[i].off;
        switch (cfg_keys[i].kind) {
        case 0: *(uint32_t *)(void *)base = (uint32_t)n; break;
        case 1: *(uint64_t *)(void *)base = (uint64_t)n * NS_PER_MS; break;
        case 2: *(bool *)(void *)base = n != 0; break;
        default: *base = (uint8_t)n; break;
        }
        return;
    }
    failf(r, "config: unknown key \"%s\"", k);
}

static void start_stack(struct run *r)
{
    if (r->cfg_done)
        return;
    r->cfg_done = true;
    cur_run = r;
    r->e = tp_env(tweak);
    r->t0 = r->e->now;
    r->script_t = r->t0;
    r->stamped = 0;
}

/* ---- segments: text <-> fields ---- */

struct seg {
    uint8_t flags;
    bool has_seq;
    int64_t seq;                 /* relative */
    int64_t len;
    bool has_ack;
    int64_t ack;                 /* relative */
    bool has_win;
    int64_t win;
    bool has_opts;               /* a <...> list was given */
    struct tcp_options opt;
    bool ts_val_any, ts_ecr_any, ts_ecr_auto;
    bool has_tos;
    int64_t tos;
    bool has_urg;
    int64_t urg;
    int64_t sport;               /* the peer's port (0: the usual 40000) */
};

static uint8_t parse_flags(struct run *r, const char *s)
{
    uint8_t f = 0;
    for (const char *p = s; *p != '\0'; p++) {
        switch (*p) {
        case 'S': f |= TCP_FLAG_SYN; break;
        case 'F': f |= TCP_FLAG_FIN; break;
        case 'R': f |= TCP_FLAG_RST; break;
        case 'P': f |= TCP_FLAG_PSH; break;
        case 'U': f |= TCP_FLAG_URG; break;
        case '.': f |= TCP_FLAG_ACK; break;
        case '0': break; /* "0": no flag at all */
        default: failf(r, "flags \"%s\": use S F R P U . (ACK) or 0", s);
        }
    }
    return f;
}

static void flags_str(uint8_t f, char *out)
{
    char *p = out;
    if (f & TCP_FLAG_SYN) *p++ = 'S';
    if (f & TCP_FLAG_FIN) *p++ = 'F';
    if (f & TCP_FLAG_RST) *p++ = 'R';
    if (f & TCP_FLAG_PSH) *p++ = 'P';
    if (f & TCP_FLAG_URG) *p++ = 'U';
    if (f & TCP_FLAG_ACK) *p++ = '.';
    if (p == out) *p++ = '0';
    *p = '\0';
}

/* "<mss 1460,sackOK,TS val 100 ecr 0,nop,wscale 7,sack 1:1001 2001:3001>" */
static void parse_opts(struct run *r, char *list, struct seg *sg)
{
    sg->has_opts = true;
    char *save = NULL;
    for (char *item = strtok_r(list, ",", &save); item != NULL;
         item = strtok_r(NULL, ",", &save)) {
        char *p = item;
        char *name = word(&p);
        if (strcmp(name, "nop") == 0 || strcmp(name, "eol") == 0 || *name == '\0') {
            continue;
        } else if (strcmp(name, "mss") == 0) {
            sg->opt.has_mss = true;
            sg->opt.mss = (uint16_t)need_i64(r, word(&p), "mss");
        } else if (strcmp(name, "sackOK") == 0) {
            sg->opt.sack_permitted = true;
        } else if (strcmp(name, "wscale") == 0) {
            sg->opt.has_wscale = true;
            sg->opt.wscale = (uint8_t)need_i64(r, word(&p), "wscale");
        } else if (strcmp(name, "TS") == 0) {
            sg->opt.has_ts = true;
            if (strcmp(word(&p), "val") != 0)
                failf(r, "TS: \"TS val V ecr E\"");
            char *v = word(&p);
            if (strcmp(v, "*") == 0)
                sg->ts_val_any = true;
            else
                sg->opt.ts_val = (uint32_t)need_i64(r, v, "TS val");
            if (strcmp(word(&p), "ecr") != 0)
                failf(r, "TS: \"TS val V ecr E\"");
            char *e = word(&p);
            if (strcmp(e, "*") == 0)
                sg->ts_ecr_any = sg->ts_ecr_auto = true;
            else
                sg->opt.ts_ecr = (uint32_t)need_i64(r, e, "TS ecr");
        } else if (strcmp(name, "sack") == 0) {
            for (char *b = word(&p); *b != '\0'; b = word(&p)) {
                if (sg->opt.n_sack >= TCP_MAX_SACK_BLOCKS)
                    failf(r, "at most %d SACK blocks", TCP_MAX_SACK_BLOCKS);
                char *colon = strchr(b, ':');
                if (colon == NULL)
                    failf(r, "sack block \"%s\": LEFT:RIGHT", b);
                *colon = '\0';
                /* Stored relative; turned absolute when sent or checked. */
                sg->opt.sack[sg->opt.n_sack].left = (uint32_t)need_i64(r, b, "sack");
                sg->opt.sack[sg->opt.n_sack].right = (uint32_t)need_i64(r, colon + 1, "sack");
                sg->opt.n_sack++;
            }
        } else {
            failf(r, "unknown option \"%s\"", name);
        }
    }
}

/* FLAGS [SEQ[:END(LEN)]] [ack N] [win N] [urg N] [tos N] [<OPTS>] */
static void parse_seg(struct run *r, char *rest, struct seg *sg)
{
    memset(sg, 0, sizeof *sg);
    char *opts = strchr(rest, '<');
    if (opts != NULL) {
        char *close = strchr(opts, '>');
        if (close == NULL)
            failf(r, "options: missing '>'");
        *close = '\0';
        *opts = '\0';
        parse_opts(r, opts + 1, sg);
        if (*skip_ws(close + 1) != '\0')
            failf(r, "nothing may follow the options");
    }
    sg->flags = parse_flags(r, word(&rest));
    for (char *w = word(&rest); *w != '\0'; w = word(&rest)) {
        if (strcmp(w, "ack") == 0) {
            sg->has_ack = true;
            sg->ack = need_i64(r, word(&rest), "ack");
        } else if (strcmp(w, "win") == 0) {
            sg->has_win = true;
            sg->win = need_i64(r, word(&rest), "win");
        } else if (strcmp(w, "urg") == 0) {
            sg->has_urg = true;
            sg->urg = need_i64(r, word(&rest), "urg");
        } else if (strcmp(w, "tos") == 0) {
            sg->has_tos = true;
            sg->tos = need_i64(r, word(&rest), "tos");
        } else if (strcmp(w, "sport") == 0) {
            sg->sport = need_i64(r, word(&rest), "sport");
        } else if (!sg->has_seq) {
            /* START:END(LEN) or START */
            sg->has_seq = true;
            char *colon = strchr(w, ':');
            if (colon == NULL) {
                sg->seq = need_i64(r, w, "seq");
                sg->len = 0;
                continue;
            }
            *colon = '\0';
            sg->seq = need_i64(r, w, "seq");
            char *paren = strchr(colon + 1, '(');
            char *cl = paren != NULL ? strchr(paren, ')') : NULL;
            if (paren == NULL || cl == NULL || cl[1] != '\0')
                failf(r, "sequence \"%s:%s\": START:END(LEN)", w, colon + 1);
            *paren = '\0';
            *cl = '\0';
            int64_t end = need_i64(r, colon + 1, "seq end");
            sg->len = need_i64(r, paren + 1, "length");
            if (end - sg->seq != sg->len || sg->len < 0 || sg->len > 1600)
                failf(r, "sequence %" PRId64 ":%" PRId64 "(%" PRId64 ") is inconsistent "
                      "(at most 1600 bytes)", sg->seq, end, sg->len);
        } else {
            failf(r, "segment: unexpected \"%s\"", w);
        }
    }
    if (!sg->has_seq)
        failf(r, "segment: missing sequence number");
}

static uint32_t our_abs(const struct run *r, int64_t rel)
{
    return r->iss_known ? r->iss + (uint32_t)rel : (uint32_t)rel;
}

static uint32_t peer_abs(int64_t rel)
{
    return PEER_ISN + (uint32_t)rel;
}

/* ---- inject ---- */

static void inject(struct run *r, char *rest)
{
    struct seg sg;
    parse_seg(r, rest, &sg);
    uint8_t payload[1600];
    for (int64_t i = 0; i < sg.len; i++)
        payload[i] = peer_byte((uint64_t)(sg.seq - 1 + i));
    struct tcp_options o = sg.opt;
    if (sg.ts_ecr_auto)
        o.ts_ecr = r->last_tsval;
    for (int i = 0; i < o.n_sack; i++) {
        o.sack[i].left = our_abs(r, o.sack[i].left);
        o.sack[i].right = our_abs(r, o.sack[i].right);
    }
    uint16_t dport = r->our_port != 0 ? r->our_port : LISTEN_PORT;
    int64_t win = sg.has_win ? sg.win : 65535;
    struct tp_seg t = {
        .sport = sg.sport != 0 ? (uint16_t)sg.sport : TP_PEER_PORT, .dport = dport,
        .seq = peer_abs(sg.seq),
        .ack = (sg.flags & TCP_FLAG_ACK) || sg.has_ack ? our_abs(r, sg.ack) : 0,
        .flags = sg.flags, .window = (uint16_t)win, .zero_window = win == 0,
        .urg_ptr = (uint16_t)sg.urg,
        .opt = sg.has_opts ? &o : NULL,
        .payload = payload, .len = (size_t)sg.len,
    };
    tp_send(r->e, &t);
    stamp(r);
}

/* ---- expect ---- */

static void describe(const struct run *r, const struct tp_out *o, char *buf, size_t len)
{
    char f[8];
    flags_str(o->t.flags, f);
    uint32_t seq = o->t.seq - (r->iss_known ? r->iss : 0);
    int n = snprintf(buf, len, "%s %u:%u(%zu)", f, seq, seq + (uint32_t)o->t.payload_len,
                     o->t.payload_len);
    if (o->t.flags & TCP_FLAG_ACK)
        n += snprintf(buf + n, len - (size_t)n, " ack %u", o->t.ack - PEER_ISN);
    n += snprintf(buf + n, len - (size_t)n, " win %u", o->t.window);
    const struct tcp_options *op = &o->t.opt;
    if (op->has_mss || op->sack_permitted || op->has_ts || op->has_wscale || op->n_sack) {
        n += snprintf(buf + n, len - (size_t)n, " <");
        const char *sep = "";
        if (op->has_mss) {
            n += snprintf(buf + n, len - (size_t)n, "%smss %u", sep, op->mss);
            sep = ",";
        }
        if (op->sack_permitted) {
            n += snprintf(buf + n, len - (size_t)n, "%ssackOK", sep);
            sep = ",";
        }
        if (op->has_ts) {
            n += snprintf(buf + n, len - (size_t)n, "%sTS val %u ecr %u", sep, op->ts_val,
                          op->ts_ecr);
            sep = ",";
        }
        if (op->has_wscale) {
            n += snprintf(buf + n, len - (size_t)n, "%swscale %u", sep, op->wscale);
            sep = ",";
        }
        if (op->n_sack) {
            n += snprintf(buf + n, len - (size_t)n, "%ssack", sep);
            for (int i = 0; i < op->n_sack; i++)
                n += snprintf(buf + n, len - (size_t)n, " %u:%u",
                              op->sack[i].left - PEER_ISN, op->sack[i].right - PEER_ISN);
        }
        n += snprintf(buf + n, len - (size_t)n, ">");
    }
    if (o->tos != 0)
        snprintf(buf + n, len - (size_t)n, " tos 0x%x", o->tos);
}

/* -t: every TCP segment the stack sends, in the scripts' notation, as it
 * leaves (a help to write the expectations of a new script). */
static void trace_frames(struct run *r, size_t from, size_t to)
{
    for (size_t i = from; i < to; i++) {
        struct parsed_frame pf;
        const struct fake_frame *fr = &r->e->nif.frames[i];
        if (frame_parse(fr->data, fr->len, &pf) != 0 || !pf.is_ipv4 ||
            pf.ip.proto != IPPROTO_TCP_)
            continue;
        struct tp_out o;
        memset(&o, 0, sizeof o);
        memcpy(o.data, pf.ip.payload, pf.ip.payload_len < sizeof o.data ? pf.ip.payload_len
                                                                        : sizeof o.data);
        if (tcp_parse_nocsum(o.data, pf.ip.payload_len, &o.t) != WIRE_OK)
            continue;
        o.tos = pf.ip.tos;
        char d[256];
        describe(r, &o, d, sizeof d);
        printf("    %.6f > %s\n", (double)(r->frame_t[i] - r->t0) / 1e9, d);
    }
}

/* Take the next segment we sent (with its emission time). */
static bool take_next(struct run *r, struct tp_out *o, uint64_t *when)
{
    size_t before = r->e->nif.taken;
    if (!tp_try_take(r->e, o))
        return false;
    /* tp_try_take moved `taken` past the frame it returned. */
    size_t idx = r->e->nif.taken - 1;
    (void)before;
    *when = idx < r->stamped ? r->frame_t[idx] : r->e->now;
    if (o->t.opt.has_ts)
        r->last_tsval = o->t.opt.ts_val;
    if (!r->iss_known && (o->t.flags & TCP_FLAG_SYN)) {
        r->iss_known = true;
        r->iss = o->t.seq;
    }
    if (r->our_port == 0)
        r->our_port = o->t.sport;
    return true;
}

static void check_seg(struct run *r, const struct seg *sg, const struct tp_out *o)
{
    char got[256];
    describe(r, o, got, sizeof got);
    if (o->t.flags != sg->flags) {
        char f[8];
        flags_str(sg->flags, f);
        failf(r, "flags %s expected, got: %s", f, got);
    }
    if (o->t.seq != our_abs(r, sg->seq))
        failf(r, "seq %" PRId64 " expected, got: %s", sg->seq, got);
    if ((int64_t)o->t.payload_len != sg->len)
        failf(r, "length %" PRId64 " expected, got: %s", sg->len, got);
    if ((sg->flags & TCP_FLAG_ACK) && sg->has_ack && o->t.ack != peer_abs(sg->ack))
        failf(r, "ack %" PRId64 " expected, got: %s", sg->ack, got);
    if (sg->has_win && o->t.window != sg->win)
        failf(r, "win %" PRId64 " expected, got: %s", sg->win, got);
    if (sg->has_tos && o->tos != sg->tos)
        failf(r, "tos 0x%" PRIx64 " expected, got: %s", (uint64_t)sg->tos, got);
    if (sg->has_urg && o->t.urg_ptr != sg->urg)
        failf(r, "urg %" PRId64 " expected, got: %s", sg->urg, got);
    /* Payload: our application's stream from the segment's offset. */
    uint32_t off = o->t.seq - r->iss - 1;
    for (size_t i = 0; i < o->t.payload_len; i++)
        if (o->t.payload[i] != our_byte((uint64_t)off + i))
            failf(r, "payload byte %zu is not what the application wrote: %s", i, got);
    if (!sg->has_opts)
        return;
    const struct tcp_options *w = &sg->opt, *g = &o->t.opt;
    if (w->has_mss != g->has_mss || (w->has_mss && w->mss != g->mss))
        failf(r, "MSS option differs: %s", got);
    if (w->sack_permitted != g->sack_permitted)
        failf(r, "SACK-permitted option differs: %s", got);
    if (w->has_wscale != g->has_wscale || (w->has_wscale && w->wscale != g->wscale))
        failf(r, "window scale option differs: %s", got);
    if (w->has_ts != g->has_ts)
        failf(r, "timestamps option differs: %s", got);
    if (w->has_ts && !sg->ts_val_any && w->ts_val != g->ts_val)
        failf(r, "TS val %u expected: %s", w->ts_val, got);
    if (w->has_ts && !sg->ts_ecr_any && w->ts_ecr != g->ts_ecr)
        failf(r, "TS ecr %u expected: %s", w->ts_ecr, got);
    if (w->n_sack != g->n_sack)
        failf(r, "%u SACK blocks expected: %s", w->n_sack, got);
    for (int i = 0; i < w->n_sack; i++)
        if (g->sack[i].left != peer_abs(w->sack[i].left) ||
            g->sack[i].right != peer_abs(w->sack[i].right))
            failf(r, "SACK block %d differs: %s", i, got);
}

static void expect(struct run *r, char *rest, bool any_time)
{
    struct seg sg;
    parse_seg(r, rest, &sg);
    uint64_t t = r->script_t;
    uint64_t limit = any_time ? r->e->now + MAX_WAIT_NS : t + r->tol;
    struct tp_out o;
    uint64_t when;
    if (!take_next(r, &o, &when)) {
        if (r->e->now < limit)
            advance_to(r, limit, true);
        if (!take_next(r, &o, &when)) {
            char f[8];
            flags_str(sg.flags, f);
            failf(r, "expected %s %" PRId64 " at %.3f s, nothing was sent by %.3f s", f,
                  sg.seq, (double)(t - r->t0) / 1e9, (double)(limit - r->t0) / 1e9);
        }
    }
    /* An expected SYN at 0 (re)defines our ISS: a new incarnation of the
     * connection (TIME-WAIT reuse) has its own. */
    if ((sg.flags & TCP_FLAG_SYN) && (!r->iss_known || sg.seq == 0)) {
        r->iss_known = true;
        r->iss = o.t.seq;
    }
    check_seg(r, &sg, &o);
    if (!any_time && (when + r->tol < t || when > t + r->tol)) {
        char got[256];
        describe(r, &o, got, sizeof got);
        failf(r, "sent at %.6f s, expected at %.6f s (+-%.3f): %s",
              (double)(when - r->t0) / 1e9, (double)(t - r->t0) / 1e9,
              (double)r->tol / 1e9, got);
    }
    if (any_time && when > r->script_t)
        r->script_t = when; /* later lines count from when it came */
    if (r->e->nif.taken == r->e->nif.n) {
        tp_clear(r->e);
        r->stamped = 0;
    }
}

/* Nothing may have been sent that no line expected. */
static void check_quiet(struct run *r)
{
    struct tp_out o;
    uint64_t when;
    if (trace) {
        /* Tracing a draft script: what was sent is shown, not judged. */
        while (take_next(r, &o, &when))
            ;
    } else if (take_next(r, &o, &when)) {
        char got[256];
        describe(r, &o, got, sizeof got);
        failf(r, "unexpected segment sent at %.6f s: %s", (double)(when - r->t0) / 1e9, got);
    }
    tp_clear(r->e);
    r->stamped = 0;
}

/* ---- socket calls ---- */

static struct tcp_sock *cur_sock(struct run *r)
{
    if (r->cur < 0 || r->cur >= MAX_FDS || !r->fd[r->cur].used)
        failf(r, "no current socket (socket, establish or accept first)");
    return r->fd[r->cur].ts;
}

static int new_fd(struct run *r, struct tcp_sock *ts)
{
    for (int i = 3; i < MAX_FDS; i++) {
        if (!r->fd[i].used) {
            r->fd[i].used = true;
            r->fd[i].ts = ts;
            r->cur = i;
            return i;
        }
    }
    failf(r, "too many sockets");
    return -1;
}

struct opt_name {
    const char *name;
    enum tcp_sockopt opt;
};

static const struct opt_name sockopts[] = {
    {"TCP_NODELAY", TCP_OPT_NODELAY}, {"SO_KEEPALIVE", TCP_OPT_KEEPALIVE},
    {"TCP_KEEPIDLE", TCP_OPT_KEEPIDLE}, {"TCP_KEEPINTVL", TCP_OPT_KEEPINTVL},
    {"TCP_KEEPCNT", TCP_OPT_KEEPCNT}, {"SO_SNDBUF", TCP_OPT_SNDBUF},
    {"SO_RCVBUF", TCP_OPT_RCVBUF}, {"SO_REUSEADDR", TCP_OPT_REUSEADDR},
    {"SO_LINGER0", TCP_OPT_LINGER_ZERO}, {"TCP_MAXSEG", TCP_OPT_MAXSEG},
    {"IPV6_V6ONLY", TCP_OPT_V6ONLY}, {"TCP_QUICKACK", TCP_OPT_QUICKACK},
    {"TCP_CORK", TCP_OPT_CORK}, {"IP_TOS", TCP_OPT_TOS}, {"IPV6_TCLASS", TCP_OPT_TCLASS},
};

static enum tcp_sockopt sockopt_by_name(struct run *r, const char *n)
{
    for (size_t i = 0; i < sizeof sockopts / sizeof sockopts[0]; i++)
        if (strcmp(n, sockopts[i].name) == 0)
            return sockopts[i].opt;
    failf(r, "unknown socket option \"%s\"", n);
    return TCP_OPT_NODELAY;
}

static const char *state_names[] = {
    "CLOSED", "LISTEN", "SYN-SENT", "SYN-RECEIVED", "ESTABLISHED", "FIN-WAIT-1",
    "FIN-WAIT-2", "CLOSE-WAIT", "CLOSING", "LAST-ACK", "TIME-WAIT",
};

/* The connection view's numbers by name (`info NAME = V`). */
static bool info_field(const struct tcp_conn_info *ci, const char *n, int64_t *v)
{
#define F(name, expr) if (strcmp(n, name) == 0) { *v = (int64_t)(expr); return true; }
    F("cwnd", ci->cwnd) F("ssthresh", ci->ssthresh) F("cwnd_segs", ci->snd_cwnd_segs)
    F("ssthresh_segs", ci->snd_ssthresh_segs) F("mss", ci->mss) F("rcv_mss", ci->rcv_mss)
    F("advmss", ci->advmss) F("snd_wnd", ci->snd_wnd) F("rcv_wnd", ci->rcv_wnd)
    F("snd_wscale", ci->snd_wscale) F("rcv_wscale", ci->rcv_wscale) F("sack", ci->sack)
    F("timestamps", ci->timestamps) F("wscale_ok", ci->wscale_ok)
    F("retransmits", ci->retransmits) F("backoff", ci->backoff) F("retries", ci->retries)
    F("unacked", ci->unacked) F("sacked", ci->sacked) F("lost", ci->lost)
    F("send_queue", ci->send_queue) F("recv_queue", ci->recv_queue)
    F("rto_ms", ci->rto_us / 1000) F("srtt_us", ci->srtt_us)
    F("in_recovery", ci->in_recovery) F("bytes_acked", ci->bytes_acked)
    F("bytes_received", ci->bytes_received) F("bytes_retrans", ci->bytes_retrans)
    F("accept_queue", ci->accept_queue) F("probes", ci->probes)
#undef F
    return false;
}

static void check_result(struct run *r, const char *what, int64_t got, char *rest)
{
    char *eq = word(&rest);
    if (*eq == '\0')
        return;
    if (strcmp(eq, "=") != 0)
        failf(r, "%s: \"= RESULT\" expected, not \"%s\"", what, eq);
    int64_t want = parse_result(r, word(&rest));
    if (got != want) {
        char g[32];
        snprintf(g, sizeof g, "%s", errno_str(got));
        failf(r, "%s returned %s, expected %s", what, g, errno_str(want));
    }
}

static void do_read(struct run *r, struct tcp_sock *ts, char *rest)
{
    int64_t n = need_i64(r, word(&rest), "read length");
    static uint8_t buf[1 << 20];
    if (n < 0 || n > (int64_t)sizeof buf)
        failf(r, "read length out of range");
    long got = tcp_sock_recv(ts, buf, (size_t)n, r->e->now);
    stamp(r);
    for (long i = 0; i < got; i++)
        if (buf[i] != peer_byte(r->app_read + (uint64_t)i))
            failf(r, "read: byte %ld is not what the peer sent", i);
    if (got > 0)
        r->app_read += (uint64_t)got;
    check_result(r, "read", got, rest);
}

static void do_write(struct run *r, struct tcp_sock *ts, char *rest)
{
    int64_t n = need_i64(r, word(&rest), "write length");
    int flags = 0;
    rest = skip_ws(rest);
    if (strncmp(rest, "more", 4) == 0 && (rest[4] == '\0' || rest[4] == ' ')) {
        flags = TCP_SEND_MORE;
        rest += 4;
    }
    static uint8_t buf[1 << 20];
    if (n < 0 || n > (int64_t)sizeof buf)
        failf(r, "write length out of range");
    for (int64_t i = 0; i < n; i++)
        buf[i] = our_byte(r->app_written + (uint64_t)i);
    long got = tcp_sock_send_flags(ts, buf, (size_t)n, flags, r->e->now);
    stamp(r);
    if (got > 0)
        r->app_written += (uint64_t)got;
    check_result(r, "write", got, rest);
}

static void syscall_line(struct run *r, char *cmd, char *rest)
{
    struct stack_env *e = r->e;
    if (strcmp(cmd, "socket") == 0) {
        struct tcp_sock *ts = tcp_sock_open(e->s, NULL, NULL);
        if (ts == NULL)
            failf(r, "socket: out of memory");
        int fd = new_fd(r, ts);
        check_result(r, "socket", fd, rest);
        return;
    }
    if (strcmp(cmd, "dump") == 0) {
        /* A debugging aid: every socket of the stack, its state and timers. */
        for (struct tcp_sock *t = e->s->tcp->all; t != NULL; t = t->all_next) {
            printf("    sock %p %s orphan %d timers", (void *)t, state_names[t->state], t->orphan);
            for (int i = 0; i < TCP_T_COUNT; i++)
                printf(" %.6f", t->timer[i] ? (double)(t->timer[i] - r->t0) / 1e9 : -1.0);
            printf("\n");
        }
        return;
    }
    if (strcmp(cmd, "use") == 0) {
        int64_t fd = need_i64(r, word(&rest), "fd");
        if (fd < 0 || fd >= MAX_FDS || !r->fd[fd].used)
            failf(r, "use: no socket %" PRId64, fd);
        r->cur = (int)fd;
        return;
    }
    struct tcp_sock *ts = cur_sock(r);
    int64_t rc = 0;
    if (strcmp(cmd, "bind") == 0) {
        struct ip_endpoint ep = env_ep(0, (uint16_t)need_i64(r, word(&rest), "port"));
        rc = tcp_sock_bind(ts, &ep);
    } else if (strcmp(cmd, "listen") == 0) {
        rc = tcp_sock_listen(ts, (int)need_i64(r, word(&rest), "backlog"));
    } else if (strcmp(cmd, "accept") == 0) {
        int err = 0;
        struct tcp_sock *c = tcp_sock_accept(ts, NULL, NULL, &err);
        rc = c != NULL ? new_fd(r, c) : err;
    } else if (strcmp(cmd, "connect") == 0) {
        struct ip_endpoint to = env_ep(ENV_IP_PEER, TP_PEER_PORT);
        rc = tcp_sock_connect(ts, &to, e->now);
    } else if (strcmp(cmd, "write") == 0) {
        do_write(r, ts, rest);
        return;
    } else if (strcmp(cmd, "read") == 0) {
        do_read(r, ts, rest);
        return;
    } else if (strcmp(cmd, "shutdown") == 0) {
        char *how = word(&rest);
        int h = strcmp(how, "rd") == 0 ? 0 : strcmp(how, "wr") == 0 ? 1 :
                strcmp(how, "rdwr") == 0 ? 2 : -1;
        if (h < 0)
            failf(r, "shutdown rd|wr|rdwr");
        rc = tcp_sock_shutdown(ts, h, e->now);
    } else if (strcmp(cmd, "close") == 0) {
        tcp_sock_close(ts, e->now);
        r->fd[r->cur].used = false;
        stamp(r);
        return;
    } else if (strcmp(cmd, "abort") == 0) {
        tcp_sock_abort(ts, e->now);
        r->fd[r->cur].used = false;
        stamp(r);
        return;
    } else if (strcmp(cmd, "setsockopt") == 0) {
        enum tcp_sockopt opt = sockopt_by_name(r, word(&rest));
        rc = tcp_sock_setopt(ts, opt, (int)need_i64(r, word(&rest), "value"));
    } else if (strcmp(cmd, "getsockopt") == 0) {
        char *name = word(&rest);
        int v = 0;
        int err = tcp_sock_getopt(ts, sockopt_by_name(r, name), &v);
        rc = err != 0 ? err : v;
    } else if (strcmp(cmd, "error") == 0) {
        /* SO_ERROR: the pending error as -errno (0 if none). */
        rc = -(int64_t)tcp_sock_error(ts);
    } else if (strcmp(cmd, "readable") == 0) {
        rc = (int64_t)tcp_sock_readable(ts);
    } else if (strcmp(cmd, "state") == 0) {
        char *want = word(&rest);
        enum tcp_state st = tcp_sock_state(ts);
        if (strcmp(want, state_names[st]) != 0)
            failf(r, "state %s expected, the socket is in %s", want, state_names[st]);
        return;
    } else if (strcmp(cmd, "info") == 0) {
        char *name = word(&rest);
        struct tcp_conn_info ci;
        tcp_sock_info(ts, &ci);
        if (!info_field(&ci, name, &rc))
            failf(r, "info: unknown field \"%s\"", name);
        char what[64];
        snprintf(what, sizeof what, "info %s", name);
        check_result(r, what, rc, rest);
        return;
    } else if (strcmp(cmd, "counter") == 0) {
        /* The stack's counters by index name is overkill: the few the
         * scripts need. */
        char *name = word(&rest);
        static const struct { const char *n; enum stack_counter c; } ctrs[] = {
            {"challenge_acks", CTR_TCP_TX_CHALLENGE_ACKS}, {"paws_drops", CTR_TCP_RX_DROP_PAWS},
            {"fast_retrans", CTR_TCP_FAST_RETRANS}, {"timeouts", CTR_TCP_TIMEOUTS},
            {"retrans_segs", CTR_TCP_RETRANS_SEGS}, {"rsts_sent", CTR_TCP_TX_RSTS},
            {"delayed_acks", CTR_TCP_DELAYED_ACKS}, {"sack_recoveries", CTR_TCP_SACK_RECOVERIES},
            {"reno_recoveries", CTR_TCP_RENO_RECOVERIES},
            {"persist_probes", CTR_TCP_PERSIST_PROBES},
            {"keepalive_probes", CTR_TCP_KEEPALIVE_PROBES},
            {"syncookies_sent", CTR_TCP_SYNCOOKIES_SENT},
            {"rack_lost", CTR_TCP_RACK_LOST}, {"tlp_probes", CTR_TCP_TLP_PROBES},
            {"tlp_recoveries", CTR_TCP_TLP_RECOVERIES},
            {"out_of_order", CTR_TCP_RX_OUT_OF_ORDER},
            {"oow_ack_limited", CTR_TCP_OOW_ACK_LIMITED},
        };
        size_t i = 0;
        for (; i < sizeof ctrs / sizeof ctrs[0]; i++)
            if (strcmp(ctrs[i].n, name) == 0)
                break;
        if (i == sizeof ctrs / sizeof ctrs[0])
            failf(r, "counter: unknown \"%s\"", name);
        char what[64];
        snprintf(what, sizeof what, "counter %s", name);
        check_result(r, what, (int64_t)env_ctr(e, ctrs[i].c), rest);
        return;
    } else {
        failf(r, "unknown command \"%s\"", cmd);
        return;
    }
    stamp(r);
    check_result(r, cmd, rc, rest);
}

/* establish passive|active [<OPTS>] [win N]: the usual handshake, with the
 * peer's SYN options given (default <mss 1460>); leaves the connection as
 * the current socket, both sides at relative sequence 1. */
static void establish(struct run *r, char *rest)
{
    char *how = word(&rest);
    char opts[MAX_LINE] = "<mss 1460>";
    char *lt = strchr(rest, '<');
    char winbuf[32] = "";
    char *w = strstr(rest, "win ");
    if (w != NULL && (lt == NULL || w < lt)) {
        char *p = w + 4;
        snprintf(winbuf, sizeof winbuf, " win %s", word(&p));
    }
    if (lt != NULL)
        snprintf(opts, sizeof opts, "%s", lt);
    bool ts = strstr(opts, "TS ") != NULL;
    char line[2 * MAX_LINE];
    if (strcmp(how, "passive") == 0) {
        syscall_line(r, "socket", (char[]){""});
        int lfd = r->cur;
        snprintf(line, sizeof line, "%d", LISTEN_PORT);
        syscall_line(r, "bind", line);
        syscall_line(r, "listen", (char[]){"16"});
        snprintf(line, sizeof line, "S 0:0(0)%s %s", winbuf, opts);
        inject(r, line);
        struct tp_out o;
        uint64_t when;
        if (!take_next(r, &o, &when) ||
            o.t.flags != (TCP_FLAG_SYN | TCP_FLAG_ACK))
            failf(r, "establish passive: no SYN-ACK");
        r->iss_known = true;
        r->iss = o.t.seq;
        snprintf(line, sizeof line, ". 1:1(0) ack 1%s%s", winbuf,
                 ts ? " <nop,nop,TS val 101 ecr *>" : "");
        inject(r, line);
        tp_clear(r->e);
        r->stamped = 0;
        syscall_line(r, "accept", (char[]){""});
        (void)lfd;
    } else if (strcmp(how, "active") == 0) {
        syscall_line(r, "socket", (char[]){""});
        syscall_line(r, "connect", (char[]){""});
        struct tp_out o;
        uint64_t when;
        if (!take_next(r, &o, &when) || o.t.flags != TCP_FLAG_SYN)
            failf(r, "establish active: no SYN");
        char o2[MAX_LINE];
        snprintf(o2, sizeof o2, "%s", opts);
        /* The SYN-ACK's TS echoes our SYN's. */
        snprintf(line, sizeof line, "S. 0:0(0) ack 1%s %s", winbuf, o2);
        inject(r, line);
        if (!take_next(r, &o, &when) || !(o.t.flags & TCP_FLAG_ACK))
            failf(r, "establish active: no ACK of the SYN-ACK");
        tp_clear(r->e);
        r->stamped = 0;
    } else {
        failf(r, "establish passive|active");
    }
    if (tcp_sock_state(cur_sock(r)) != TCP_ESTABLISHED)
        failf(r, "establish: not ESTABLISHED");
}

/* ---- running a script ---- */

static void run_line(struct run *r, char *text)
{
    char *p = skip_ws(text);
    char *hash = strchr(p, '#');
    if (hash != NULL)
        *hash = '\0';
    size_t n = strlen(p);
    while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t' || p[n - 1] == '\n' || p[n - 1] == '\r'))
        p[--n] = '\0';
    if (*p == '\0')
        return;
    if (verbose) {
        uint64_t d = r->e != NULL ? stack_next_deadline(r->e->s) : STACK_NO_DEADLINE;
        printf("  %s:%d: %s   [now %.6f, next deadline %.6f]\n", r->file, r->line, p,
               r->e != NULL ? (double)(r->e->now - r->t0) / 1e9 : 0.0,
               d == STACK_NO_DEADLINE || r->e == NULL ? -1.0 : (double)(d - r->t0) / 1e9);
    }
    /* Time: ABS, +REL or * (expectations only). */
    bool any_time = false;
    bool timed = false, rel = false;
    uint64_t t = 0;
    if (*p == '+' || isdigit((unsigned char)*p) || (*p == '.' && isdigit((unsigned char)p[1]))) {
        char *tw = word(&p);
        rel = *tw == '+';
        if (!parse_secs(rel ? tw + 1 : tw, &t))
            failf(r, "time \"%s\": seconds, absolute (0.200) or relative (+0.200)", tw);
        timed = true;
    } else if (*p == '*' && (p[1] == ' ' || p[1] == '\t')) {
        any_time = true;
        p += 2;
    }
    char *rest = p;
    char *cmd = word(&rest);
    if (strcmp(cmd, "config") == 0) {
        do_config(r, rest);
        return;
    }
    if (strcmp(cmd, "tolerance") == 0) {
        uint64_t tol;
        if (!parse_secs(word(&rest), &tol))
            failf(r, "tolerance SECONDS");
        r->tol = tol;
        return;
    }
    start_stack(r);
    if (timed) {
        uint64_t at = rel ? r->script_t + t : r->t0 + t;
        if (at < r->script_t)
            failf(r, "time goes backwards");
        r->script_t = at;
    }
    if (r->script_t < r->e->now && strcmp(cmd, ">") != 0)
        r->script_t = r->e->now;
    if (strcmp(cmd, ">") == 0) {
        expect(r, rest, any_time);
        return;
    }
    /* Everything else happens at its time, after checking that nothing
     * unexpected was sent before it. */
    advance_to(r, r->script_t, false);
    check_quiet(r);
    if (strcmp(cmd, "<") == 0)
        inject(r, rest);
    else if (strcmp(cmd, "wait") == 0)
        ;
    else if (strcmp(cmd, "establish") == 0)
        establish(r, rest);
    else
        syscall_line(r, cmd, rest);
}

static void free_run(struct run *r)
{
    if (r->e != NULL) {
        for (int i = 0; i < MAX_FDS; i++)
            if (r->fd[i].used)
                tcp_sock_abort(r->fd[i].ts, r->e->now);
        env_free(r->e);
        r->e = NULL;
    }
}

static int teardown(void **state)
{
    (void)state;
    if (cur_run != NULL) {
        free_run(cur_run);
        free(cur_run);
        cur_run = NULL;
    }
    return 0;
}

static void run_script(void **state)
{
    const char *path = *state;
    FILE *f = fopen(path, "r");
    if (f == NULL)
        fail_msg("%s: %s", path, strerror(errno));
    struct run *r = calloc(1, sizeof *r);
    assert_non_null(r);
    cur_run = r;
    r->file = path;
    r->tol = DEFAULT_TOL_NS;
    r->cur = -1;
    stack_config_defaults(&r->cfg);
    char text[MAX_LINE];
    while (fgets(text, sizeof text, f) != NULL) {
        r->line++;
        if (strlen(text) == sizeof text - 1 && text[sizeof text - 2] != '\n') {
            fclose(f);
            fail_msg("%s:%d: line too long", path, r->line);
        }
        run_line(r, text);
    }
    fclose(f);
    /* The end: nothing sent that no line expected. */
    start_stack(r);
    r->line++;
    advance_to(r, r->script_t > r->e->now ? r->script_t : r->e->now, false);
    check_quiet(r);
}

/* ---- main ---- */

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(int argc, char **argv)
{
    static char *paths[MAX_SCRIPTS];
    size_t n = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-v") == 0) {
            verbose = true;
        } else if (strcmp(argv[i], "-t") == 0) {
            trace = true;
        } else if (n < MAX_SCRIPTS) {
            paths[n++] = argv[i];
        }
    }
    if (n == 0) {
        DIR *d = opendir(SCRIPT_DIR);
        if (d == NULL) {
            fprintf(stderr, "test_scripts: %s: %s (run from the source tree)\n", SCRIPT_DIR,
                    strerror(errno));
            return 2;
        }
        struct dirent *de;
        while ((de = readdir(d)) != NULL && n < MAX_SCRIPTS) {
            size_t len = strlen(de->d_name);
            if (len > 4 && strcmp(de->d_name + len - 4, ".pkt") == 0) {
                char *p = malloc(sizeof SCRIPT_DIR + 1 + len);
                if (p == NULL)
                    return 2;
                sprintf(p, "%s/%s", SCRIPT_DIR, de->d_name);
                paths[n++] = p;
            }
        }
        closedir(d);
        qsort(paths, n, sizeof paths[0], cmp_str);
    }
    struct CMUnitTest *tests = calloc(n > 0 ? n : 1, sizeof *tests);
    if (tests == NULL)
        return 2;
    for (size_t i = 0; i < n; i++) {
        const char *base = strrchr(paths[i], '/');
        tests[i].name = base != NULL ? base + 1 : paths[i];
        tests[i].test_func = run_script;
        tests[i].teardown_func = teardown;
        tests[i].initial_state = paths[i];
    }
    int rc = _cmocka_run_group_tests("scripts", tests, n, NULL, NULL);
    free(tests);
    return rc;
}
