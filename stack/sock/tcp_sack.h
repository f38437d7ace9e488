/* tcp_sack.h - the sender's SACK scoreboard (RFC 2018, RFC 6675).
 *
 * Holds the ranges the peer reported with SACK blocks above SND.UNA,
 * merged and sorted, bounded (a hostile peer cannot grow it). It answers
 * the questions of RFC 6675's loss recovery: IsLost, SetPipe, NextSeg.
 * Sequence numbers compare only through tcp_seq.h. DupThresh is 3. */
#ifndef TCPIP_SOCK_TCP_SACK_H
#define TCPIP_SOCK_TCP_SACK_H

#include <stdbool.h>
#include <stdint.h>

#include "stack/wire/tcp.h"

#define TCP_SB_MAX 16            /* ranges kept; more are merged away or dropped */
#define TCP_DUPTHRESH 3          /* RFC 6675 2 / RFC 5681 3.2 */

struct tcp_scoreboard {
    struct tcp_sack_block r[TCP_SB_MAX]; /* sorted by left edge, disjoint */
    uint32_t n;
    uint32_t sacked;             /* bytes covered by r[] */
};

void sb_clear(struct tcp_scoreboard *sb);
/* Take the SACK blocks of an ACK. A block is used only if
 * una < left < right <= snd_nxt (RFC 2018 / RFC 6675 5: a block at or
 * below SND.UNA is a D-SACK or stale, a block past SND.NXT acknowledges
 * data never sent); others are ignored and counted in *n_bad if not NULL.
 * Returns the bytes newly SACKed by this ACK. When TCP_SB_MAX ranges would
 * be exceeded, the highest ranges are dropped (the sender then just
 * retransmits a little more). */
uint32_t sb_update(struct tcp_scoreboard *sb, uint32_t una, uint32_t snd_nxt,
                   const struct tcp_sack_block *blocks, uint32_t n, uint32_t *n_bad);
/* SND.UNA moved to una: forget what lies below it. */
void sb_advance(struct tcp_scoreboard *sb, uint32_t una);
/* Has byte seq been SACKed? */
bool sb_is_sacked(const struct tcp_scoreboard *sb, uint32_t seq);
/* The highest SACKed sequence number + 1, or una if nothing is SACKed. */
uint32_t sb_high_sacked(const struct tcp_scoreboard *sb, uint32_t una);
/* RFC 6675 4 IsLost(seq): DupThresh discontiguous SACKed ranges above seq,
 * or more than (DupThresh - 1) * mss bytes SACKed above it. */
bool sb_is_lost(const struct tcp_scoreboard *sb, uint32_t seq, uint32_t mss);
/* Bytes of [una, snd_nxt) not SACKed for which IsLost holds: what RFC
 * 6675 deems lost (TCP_INFO's lost, in bytes). */
uint32_t sb_lost_bytes(const struct tcp_scoreboard *sb, uint32_t una, uint32_t snd_nxt,
                       uint32_t mss);
/* RFC 6675 4 SetPipe, in bytes, over [una, snd_nxt) with HighRxt
 * high_rxt, one past the highest retransmitted byte (una when nothing was
 * retransmitted in this recovery): each unSACKed byte counts once if not
 * lost, plus once if below high_rxt (retransmitted). Computed per range,
 * not per byte. */
uint32_t sb_pipe(const struct tcp_scoreboard *sb, uint32_t una, uint32_t snd_nxt,
                 uint32_t high_rxt, uint32_t mss);
/* RFC 6675 4 NextSeg rule 1: the first sequence number s >= high_rxt (and
 * >= una) that is not SACKed, is below the highest SACKed byte and IsLost.
 * On success sets *seq and returns the length of the unSACKed run starting
 * there, capped at mss; 0 if there is none (rule 2, new data, is the
 * caller's). */
uint32_t sb_next_lost(const struct tcp_scoreboard *sb, uint32_t una, uint32_t snd_nxt,
                      uint32_t high_rxt, uint32_t mss, uint32_t *seq);
/* RFC 6675 4 NextSeg rule 3: the first unSACKed sequence number s >=
 * high_rxt (and >= una) below the highest SACKed byte, lost or not. Same
 * return as sb_next_lost. */
uint32_t sb_next_hole(const struct tcp_scoreboard *sb, uint32_t una, uint32_t snd_nxt,
                      uint32_t high_rxt, uint32_t mss, uint32_t *seq);

#endif
