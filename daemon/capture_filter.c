/* capture_filter.c - the capture's tiny filter language (see capture.h):
 * parsing and matching, no I/O, so the config loader (and its fuzz target)
 * can check a "capture.filter" without the rest of the capture. */
#include <stdio.h>
#include <string.h>

#include "daemon/capture.h"
#include "stack/wire/addr.h"

#define ETHERTYPE_IPV4 0x0800
#define ETHERTYPE_ARP 0x0806
#define IPPROTO_NUM_ICMP 1
#define IPPROTO_NUM_TCP 6
#define IPPROTO_NUM_UDP 17
#define ETH_HEADER_LEN 14

static int filter_error(char *err, size_t errlen, const char *fmt, const char *word)
{
    snprintf(err, errlen, fmt, word);
    return -1;
}

/* Next whitespace-separated word of *p into word (NUL-terminated); false
 * at the end of the text. A word longer than the buffer is cut, which
 * makes it an unknown word and so an error, never a silent match. */
static bool next_word(const char **p, char *word, size_t cap)
{
    const char *s = *p;
    while (*s == ' ' || *s == '\t')
        s++;
    if (*s == '\0') {
        *p = s;
        return false;
    }
    size_t n = 0;
    while (*s != '\0' && *s != ' ' && *s != '\t') {
        if (n + 1 < cap)
            word[n++] = *s;
        s++;
    }
    word[n] = '\0';
    *p = s;
    return true;
}

static int parse_port(const char *s, uint32_t *out)
{
    if (*s == '\0' || strlen(s) > 5)
        return -1;
    uint32_t v = 0;
    for (const char *c = s; *c != '\0'; c++) {
        if (*c < '0' || *c > '9')
            return -1;
        v = v * 10 + (uint32_t)(*c - '0');
    }
    if (v == 0 || v > 65535)
        return -1;
    *out = v;
    return 0;
}

int capture_filter_parse(const char *text, struct capture_filter *f, char *err, size_t errlen)
{
    memset(f, 0, sizeof *f);
    if (text == NULL)
        return 0;
    if (strlen(text) >= CAPTURE_FILTER_TEXT_MAX)
        return filter_error(err, errlen, "filter: longer than %s characters", "255");
    for (const char *c = text; *c != '\0'; c++)
        if ((unsigned char)*c < 0x20 && *c != '\t')
            return filter_error(err, errlen, "filter: contains a control character%s", "");
    char word[32], arg[32];
    const char *p = text;
    bool want_term = true;       /* a term is expected (start, or after "and") */
    while (next_word(&p, word, sizeof word)) {
        if (!want_term) {
            if (strcmp(word, "and") != 0)
                return filter_error(err, errlen,
                                    "filter: expected \"and\" before \"%s\" (only \"and\" joins terms)",
                                    word);
            want_term = true;
            continue;
        }
        if (f->n_terms == CAPTURE_FILTER_MAX_TERMS)
            return filter_error(err, errlen, "filter: more than %s terms", "8");
        struct capture_term *t = &f->terms[f->n_terms];
        if (strcmp(word, "tcp") == 0) {
            t->kind = CAPTURE_TERM_TCP;
        } else if (strcmp(word, "udp") == 0) {
            t->kind = CAPTURE_TERM_UDP;
        } else if (strcmp(word, "icmp") == 0) {
            t->kind = CAPTURE_TERM_ICMP;
        } else if (strcmp(word, "arp") == 0) {
            t->kind = CAPTURE_TERM_ARP;
        } else if (strcmp(word, "port") == 0) {
            if (!next_word(&p, arg, sizeof arg))
                return filter_error(err, errlen, "filter: \"%s\" needs a number 1..65535", word);
            if (parse_port(arg, &t->value) != 0)
                return filter_error(err, errlen, "filter: port \"%s\" is not a number 1..65535",
                                    arg);
            t->kind = CAPTURE_TERM_PORT;
        } else if (strcmp(word, "host") == 0) {
            if (!next_word(&p, arg, sizeof arg))
                return filter_error(err, errlen, "filter: \"%s\" needs an IPv4 address", word);
            if (ip4_parse(arg, &t->value) != 0)
                return filter_error(err, errlen, "filter: host \"%s\" is not an IPv4 address",
                                    arg);
            t->kind = CAPTURE_TERM_HOST;
        } else {
            return filter_error(err, errlen,
                                "filter: unknown word \"%s\" (expected tcp, udp, icmp, arp, "
                                "port N, host A.B.C.D, joined by and)",
                                word);
        }
        f->n_terms++;
        want_term = false;
    }
    if (want_term && f->n_terms > 0)
        return filter_error(err, errlen, "filter: \"%s\" at the end needs a term after it", "and");
    return 0;
}

static uint16_t get16(const uint8_t *p)
{
    return (uint16_t)((p[0] << 8) | p[1]);
}

static uint32_t get32(const uint8_t *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

/* What the terms look at, taken from the frame once. */
struct frame_view {
    uint16_t ethertype;
    bool ipv4;                   /* a readable IPv4 header */
    uint8_t proto;
    uint32_t src, dst;           /* IPv4, or ARP sender/target protocol address */
    bool has_ports;              /* TCP/UDP header present (first fragment) */
    uint16_t sport, dport;
};

static void frame_view_parse(const uint8_t *frame, size_t len, struct frame_view *v)
{
    memset(v, 0, sizeof *v);
    if (len < ETH_HEADER_LEN)
        return;
    v->ethertype = get16(frame + 12);
    const uint8_t *l3 = frame + ETH_HEADER_LEN;
    size_t l3_len = len - ETH_HEADER_LEN;
    if (v->ethertype == ETHERTYPE_ARP) {
        /* RFC 826 for Ethernet/IPv4: SPA at 14, TPA at 24. */
        if (l3_len >= 28 && get16(l3 + 2) == ETHERTYPE_IPV4 && l3[4] == 6 && l3[5] == 4) {
            v->src = get32(l3 + 14);
            v->dst = get32(l3 + 24);
        }
        return;
    }
    if (v->ethertype != ETHERTYPE_IPV4 || l3_len < 20 || (l3[0] >> 4) != 4)
        return;
    size_t ihl = (size_t)(l3[0] & 0x0f) * 4;
    if (ihl < 20 || ihl > l3_len)
        return;
    v->ipv4 = true;
    v->proto = l3[9];
    v->src = get32(l3 + 12);
    v->dst = get32(l3 + 16);
    /* RFC 791: only the first fragment (offset 0) carries the ports. */
    bool first_fragment = (get16(l3 + 6) & 0x1fff) == 0;
    if (first_fragment && (v->proto == IPPROTO_NUM_TCP || v->proto == IPPROTO_NUM_UDP) &&
        l3_len - ihl >= 4) {
        v->has_ports = true;
        v->sport = get16(l3 + ihl);
        v->dport = get16(l3 + ihl + 2);
    }
}

static bool term_match(const struct capture_term *t, const struct frame_view *v)
{
    switch (t->kind) {
    case CAPTURE_TERM_TCP:
        return v->ipv4 && v->proto == IPPROTO_NUM_TCP;
    case CAPTURE_TERM_UDP:
        return v->ipv4 && v->proto == IPPROTO_NUM_UDP;
    case CAPTURE_TERM_ICMP:
        return v->ipv4 && v->proto == IPPROTO_NUM_ICMP;
    case CAPTURE_TERM_ARP:
        return v->ethertype == ETHERTYPE_ARP;
    case CAPTURE_TERM_PORT:
        return v->has_ports && (v->sport == t->value || v->dport == t->value);
    case CAPTURE_TERM_HOST:
        return (v->ipv4 || v->ethertype == ETHERTYPE_ARP) &&
               (v->src == t->value || v->dst == t->value);
    }
    return false;
}

bool capture_filter_match(const struct capture_filter *f, const uint8_t *frame, size_t len)
{
    if (f->n_terms == 0)
        return true;
    struct frame_view v;
    frame_view_parse(frame, len, &v);
    for (size_t i = 0; i < f->n_terms; i++)
        if (!term_match(&f->terms[i], &v))
            return false;
    return true;
}

