/* tcpipd.h - the daemon proper: the stack, its TAP interfaces and services
 * on one libev loop.
 *
 * One thread, libev's default loop:
 *   - one ev_io per TAP fd: reads up to TCPIPD_READ_BATCH frames per wakeup
 *     into stack_input(); a netif's send() is a write() on the same fd;
 *   - one ev_timer for the stack's timers, re-armed from stack_next_deadline()
 *     by an ev_prepare watcher, i.e. once per loop iteration just before
 *     the loop sleeps, after every callback that might have moved it;
 *   - ev_signal: SIGINT/SIGTERM stop the loop, SIGHUP re-reads the file.
 * Time is CLOCK_MONOTONIC in nanoseconds, read with clock_gettime() for each
 * frame and each timer run (ev_now() is a double and may be stale by the
 * time a batch is processed). */
#ifndef TCPIPD_TCPIPD_H
#define TCPIPD_TCPIPD_H

#include <stdint.h>

#include "daemon/config.h"

#define TCPIPD_READ_BATCH 64
/* Read buffer per TAP: larger than any frame the host side can send
 * (its MTU is capped at 65535), so an oversized frame reaches the stack
 * whole and is counted there rather than silently cut by read(). A TSO6
 * packet is the largest: 40-byte IPv6 header + a 16-bit Payload Length
 * (RFC 8200 3; the kernel sends us no jumbograms). */
#define TCPIPD_FRAME_BUF (10 + 14 + 4 + 40 + 65535) /* virtio + Ethernet/VLAN + IPv6 */

struct tcpipd;

/* Copies cfg. config_path is kept for SIGHUP; log_override is the -l level
 * (-1: none), which a reload does not undo. NULL on allocation failure. */
struct tcpipd *tcpipd_new(const struct tcpipd_config *cfg, const char *config_path,
                          int log_override);
/* Create the stack, open and configure every TAP, start the services.
 * TCPIPD_EXIT_OK, or TCPIPD_EXIT_RUNTIME after logging why. */
int tcpipd_start(struct tcpipd *d);
/* Run until SIGINT/SIGTERM or a fatal error; returns the exit status. */
int tcpipd_run(struct tcpipd *d);
/* Stop everything and free; closes the TAPs. NULL is fine. */
void tcpipd_free(struct tcpipd *d);

/* CLOCK_MONOTONIC in nanoseconds. */
uint64_t tcpipd_now_ns(void);

#endif
