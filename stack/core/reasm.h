/* reasm.h - the family-neutral fragment reassembly engine (core/reasm.c),
 * used by core/reasm4.c (IPv4, RFC 791 3.2, RFC 815) and core/reasm6.c
 * (IPv6, RFC 8200 4.5). The adapters parse their headers, build a key and
 * say where the fragment's data sits; the engine keeps the fragments,
 * refuses overlaps (RFC 5722; Linux does the same for IPv4 since 2018),
 * bounds memory, expires datagrams and puts the packet back together. */
#ifndef TCPIP_CORE_REASM_H
#define TCPIP_CORE_REASM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "stack/core/stack_impl.h"

/* The largest key: IPv6 source, destination and Identification. */
#define REASM_KEY_MAX 36

/* A datagram that timed out: its offset-0 fragment as it came (NULL if it
 * never came), for the adapter's Time Exceeded. */
typedef void (*reasm_expire_fn)(struct stack *s, int ifindex, const uint8_t *first,
                                size_t first_len, uint64_t now);
/* Fix the header of a reassembled packet pkt (len bytes, whose first
 * hdr_len bytes were copied from the offset-0 fragment first): lengths,
 * fragment fields, checksum. aux is the adapter's, from that fragment. */
typedef void (*reasm_finish_fn)(uint8_t *pkt, size_t len, const uint8_t *first,
                                size_t hdr_len, size_t aux);

/* What a family wants of the engine. Counters: CTR_MAX = not counted. */
struct reasm_policy {
    size_t max_dgrams;           /* datagrams in progress at once */
    size_t mem_max;              /* bytes held, bookkeeping included */
    uint64_t timeout_ns;         /* from the first fragment that arrived */
    size_t max_pkt;              /* largest reassembled packet, header included */
    /* Full (datagrams or bytes): evict the oldest datagram, as Linux does
     * for IPv4; else refuse the new fragment. */
    bool evict_oldest;
    reasm_expire_fn expire;
    reasm_finish_fn finish;
    enum stack_counter c_frags;   /* every fragment handed in */
    enum stack_counter c_ok;      /* datagrams reassembled */
    enum stack_counter c_dup;     /* exact duplicates dropped alone */
    enum stack_counter c_overlap; /* overlaps (the whole datagram goes) */
    enum stack_counter c_dead;    /* later fragments of a datagram dropped so */
    enum stack_counter c_timeout; /* datagrams expired */
    enum stack_counter c_memory;  /* fragments refused for memory or slots */
    enum stack_counter c_bad;     /* inconsistent lengths */
    enum stack_counter c_evicted; /* datagrams evicted to make room */
    enum stack_counter c_fail;    /* any of the failures above (not dups) */
};

/* One fragment as its adapter saw it. */
struct reasm_frag {
    uint8_t key[REASM_KEY_MAX];  /* what names the datagram (RFC 791 3.2, RFC 8200 4.5) */
    size_t key_len;
    int ifindex;                 /* where it came: the Time Exceeded goes out there */
    size_t off;                  /* offset of the data in the datagram, bytes */
    size_t len;                  /* bytes of data */
    bool more;                   /* MF / M flag */
    const uint8_t *data;
    size_t end_max;              /* off + len beyond this: the datagram is bad */
    const uint8_t *pkt;          /* the whole packet: kept if off == 0 */
    size_t pkt_len;
    size_t hdr_len;              /* bytes of pkt that head the result (off == 0) */
    size_t aux;                  /* passed to finish (off == 0) */
};

struct reasm;

/* NULL without memory. pol is kept (not copied): a static const. */
struct reasm *reasm_new(const struct reasm_policy *pol);
void reasm_free(struct reasm *r);
/* Take a fragment (counted). When it completes a datagram, returns that
 * datagram as a malloc'd packet (*out_len bytes) that the caller frees;
 * else NULL. */
uint8_t *reasm_add(struct stack *s, struct reasm *r, const struct reasm_frag *f, uint64_t now,
                   size_t *out_len);
/* Expire datagrams (policy expire for those not already dropped). */
void reasm_poll(struct stack *s, struct reasm *r, uint64_t now);
uint64_t reasm_next_deadline(const struct reasm *r);

#endif
