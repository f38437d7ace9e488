/* log.h - tcpipd's log: one line per message on stderr.
 *
 * Levels are syslog's (enum stack_log_level): error, warning, info, debug.
 * On a terminal, a file or a pipe a line reads
 *   tcpipd[1234]: info: tap: tcpip0 up, mtu 1500, mac 02:...
 * When stderr is the systemd journal (JOURNAL_STREAM names our stderr's
 * device:inode, see systemd.exec(5)), lines carry a "<N>" syslog priority
 * prefix instead of the name and pid, which journald already records, so
 * `journalctl -p warning` works. The log is process-wide: one daemon, one log. */
#ifndef TCPIPD_LOG_H
#define TCPIPD_LOG_H

#include <stdbool.h>
#include <stdio.h>

#define LOG_LINE_MAX 1024

/* Set the name shown in each line and detect the journal on stderr. */
void log_init(const char *ident);
/* Messages above this level are dropped (default: info). */
void log_set_level(int level);
int log_get_level(void);
bool log_enabled(int level);

void log_msg(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* A stack_log_fn: the stack's messages, prefixed "stack: ". */
void log_stack(void *ctx, int level, const char *msg);

/* For tests: write to f (NULL: stderr) in journal format or not. */
void log_set_stream(FILE *f, bool journal);
/* True if env ("DEV:INODE", from JOURNAL_STREAM) names the file open on fd. */
bool log_journal_stream_matches(const char *env, int fd);
/* "error", "warning", "info", "debug" for any syslog level. */
const char *log_level_label(int level);

#endif
