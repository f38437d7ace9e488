/* log.c - see log.h. */
#include "daemon/log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "stack/stack.h"

/* Process-wide by nature: the daemon has one stderr. */
static struct {
    FILE *out;                   /* NULL: stderr */
    bool journal;
    int level;
    char ident[32];
} g_log = { NULL, false, STACK_LOG_INFO, "tcpipd" };

bool log_journal_stream_matches(const char *env, int fd)
{
    if (env == NULL || *env == '\0')
        return false;
    char *end;
    errno = 0;
    unsigned long long dev = strtoull(env, &end, 10);
    if (errno != 0 || end == env || *end != ':')
        return false;
    const char *ino_s = end + 1;
    unsigned long long ino = strtoull(ino_s, &end, 10);
    if (errno != 0 || end == ino_s || *end != '\0')
        return false;
    struct stat st;
    if (fstat(fd, &st) != 0)
        return false;
    return (unsigned long long)st.st_dev == dev && (unsigned long long)st.st_ino == ino;
}

void log_init(const char *ident)
{
    if (ident != NULL) {
        const char *base = strrchr(ident, '/');
        base = base != NULL ? base + 1 : ident;
        snprintf(g_log.ident, sizeof g_log.ident, "%s", base);
    }
    g_log.out = NULL;
    /* systemd.exec(5): a service whose stderr goes to the journal gets
     * JOURNAL_STREAM=dev:inode; a child whose stderr was redirected must
     * not take the variable for granted, hence the fstat comparison. */
    g_log.journal = log_journal_stream_matches(getenv("JOURNAL_STREAM"), STDERR_FILENO);
}

void log_set_stream(FILE *f, bool journal)
{
    g_log.out = f;
    g_log.journal = journal;
}

void log_set_level(int level)
{
    g_log.level = level;
}

int log_get_level(void)
{
    return g_log.level;
}

bool log_enabled(int level)
{
    return level <= g_log.level;
}

const char *log_level_label(int level)
{
    if (level <= STACK_LOG_ERR)
        return "error";
    if (level < STACK_LOG_INFO)
        return "warning";
    if (level == STACK_LOG_INFO)
        return "info";
    return "debug";
}

static void log_write(int level, const char *msg)
{
    char line[LOG_LINE_MAX];
    int n;
    if (g_log.journal)
        n = snprintf(line, sizeof line, "<%d>%s: ", level < 0 ? 0 : level > 7 ? 7 : level,
                     log_level_label(level));
    else
        n = snprintf(line, sizeof line, "%s[%ld]: %s: ", g_log.ident, (long)getpid(),
                     log_level_label(level));
    if (n < 0)
        return;
    size_t pos = (size_t)n < sizeof line ? (size_t)n : sizeof line - 1;
    /* One message, one line: a newline inside would make journald start a
     * new entry without our priority, so control characters become spaces. */
    for (const char *p = msg; *p != '\0' && pos < sizeof line - 2; p++) {
        unsigned char c = (unsigned char)*p;
        line[pos++] = (c < 0x20 || c == 0x7f) ? ' ' : (char)c;
    }
    line[pos++] = '\n';
    FILE *f = g_log.out != NULL ? g_log.out : stderr;
    /* A failed log write has nowhere to be reported. */
    (void)fwrite(line, 1, pos, f);
    (void)fflush(f);
}

void log_msg(int level, const char *fmt, ...)
{
    if (!log_enabled(level))
        return;
    char msg[LOG_LINE_MAX];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    log_write(level, msg);
}

void log_stack(void *ctx, int level, const char *msg)
{
    (void)ctx;
    if (!log_enabled(level))
        return;
    log_msg(level, "stack: %s", msg != NULL ? msg : "(null)");
}
