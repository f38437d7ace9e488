/* wire.h - shared definitions for the pure header codecs in stack/wire/.
 *
 * Every parser takes a byte span (pointer + length) and either fills a
 * host-order view of the header or returns a negative wire_err saying why
 * the bytes were refused. Parsers never read past the span and never trust
 * a length field before checking it against the span. Emitters write a
 * header into a buffer the caller sized with the matching *_HLEN constant.
 */
#ifndef TCPIP_WIRE_H
#define TCPIP_WIRE_H

#include <stddef.h>
#include <stdint.h>

/* Reasons a parser refuses bytes. They double as drop reasons in counters. */
enum wire_err {
    WIRE_OK = 0,
    WIRE_ETRUNC = -1,    /* span shorter than the fixed header */
    WIRE_EBADLEN = -2,   /* a length field disagrees with the span */
    WIRE_ECSUM = -3,     /* checksum does not verify */
    WIRE_EVERSION = -4,  /* wrong version field */
    WIRE_EBADHDR = -5,   /* other malformed field (IHL < 5, bad hw type...) */
    WIRE_EUNSUPP = -6,   /* well-formed but not something we handle */
};

const char *wire_strerror(int err);

static inline uint16_t rd16(const uint8_t *p)
{
    return (uint16_t)((uint16_t)p[0] << 8 | p[1]);
}

static inline uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline void wr16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static inline void wr32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

#endif
