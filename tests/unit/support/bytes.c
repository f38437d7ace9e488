/* bytes.c - see bytes.h. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tests/unit/support/bytes.h"

uint8_t *tail_copy(const uint8_t *src, size_t len)
{
    /* One spare byte in front so that len 0 still has a block to point
     * at the end of. */
    uint8_t *m = malloc(len + 1);
    assert_non_null(m);
    if (len > 0)
        memcpy(m + 1, src, len);
    return m + 1;
}

void tail_free(uint8_t *p)
{
    free(p - 1);
}

uint16_t ref_sum(const uint8_t *p, size_t len)
{
    uint64_t acc = 0;
    for (size_t i = 0; i + 1 < len; i += 2)
        acc += (uint64_t)p[i] << 8 | p[i + 1];
    if (len % 2)
        acc += (uint64_t)p[len - 1] << 8;
    while (acc >> 16)
        acc = (acc & 0xffff) + (acc >> 16);
    return (uint16_t)acc;
}

uint16_t ref_csum(const uint8_t *p, size_t len)
{
    return (uint16_t)~ref_sum(p, len);
}

struct ip_addr ip_addr_fd77(uint8_t last)
{
    struct ip_addr a;
    memset(&a, 0, sizeof a);
    a.family = IP_FAMILY_V6;
    a.u.v6[0] = 0xfd;
    a.u.v6[1] = 0x77;
    a.u.v6[15] = last;
    return a;
}
