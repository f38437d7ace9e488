/* capture.c - see capture.h. */
#include "daemon/capture.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "daemon/log.h"
#include "stack/stack.h"

struct capture {
    int fd;                      /* -1: no capture running */
    struct capture_filter filter;
    struct capture_status st;
};

/* ---- the file ---- */

struct capture *capture_new(void)
{
    struct capture *c = calloc(1, sizeof *c);
    if (c == NULL)
        return NULL;
    c->fd = -1;
    return c;
}

void capture_free(struct capture *c)
{
    if (c == NULL)
        return;
    (void)capture_stop(c);
    free(c);
}

static void put32le(uint8_t *p, uint32_t v)
{
    /* pcap headers are in the writer's byte order; readers look at the
     * magic. Writing little-endian explicitly keeps the bytes the same on
     * every host, which the unit test checks. The magic goes the same way. */
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

static void put16le(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static int write_all(int fd, const struct iovec *iov, int n, size_t total)
{
    ssize_t w;
    do {
        w = writev(fd, iov, n);
    } while (w < 0 && errno == EINTR);
    if (w < 0)
        return -errno;
    /* A regular file takes all or fails (ENOSPC, EFBIG); a short write
     * would leave a torn record, so it ends the capture like an error. */
    return (size_t)w == total ? 0 : -EIO;
}

int capture_start(struct capture *c, const char *path, uint64_t max_bytes, const char *filter,
                  char *err, size_t errlen)
{
    if (c->fd >= 0) {
        snprintf(err, errlen, "a capture to %s is already running (capture stop first)",
                 c->st.path);
        return -EBUSY;
    }
    if (path == NULL || path[0] != '/') {
        snprintf(err, errlen, "capture path must be absolute");
        return -EINVAL;
    }
    if (strlen(path) >= CAPTURE_PATH_MAX) {
        snprintf(err, errlen, "capture path is longer than %d characters", CAPTURE_PATH_MAX - 1);
        return -ENAMETOOLONG;
    }
    if (max_bytes == 0)
        max_bytes = CAPTURE_DEFAULT_MAX_BYTES;
    if (max_bytes < CAPTURE_FILE_HEADER_LEN + CAPTURE_RECORD_HEADER_LEN) {
        snprintf(err, errlen, "max_bytes %llu is below %d (the pcap headers)",
                 (unsigned long long)max_bytes,
                 CAPTURE_FILE_HEADER_LEN + CAPTURE_RECORD_HEADER_LEN);
        return -EINVAL;
    }
    struct capture_filter f;
    if (capture_filter_parse(filter, &f, err, errlen) != 0)
        return -EINVAL;

    /* O_NOFOLLOW: the path is given over the control channel; do not
     * write through a symlink someone planted there. */
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0640);
    if (fd < 0) {
        int e = errno;
        snprintf(err, errlen, "cannot open %s: %s", path, strerror(e));
        return -e;
    }
    uint8_t hdr[CAPTURE_FILE_HEADER_LEN];
    put32le(hdr, CAPTURE_MAGIC);
    put16le(hdr + 4, CAPTURE_VERSION_MAJOR);
    put16le(hdr + 6, CAPTURE_VERSION_MINOR);
    put32le(hdr + 8, 0);         /* thiszone: timestamps are UTC */
    put32le(hdr + 12, 0);        /* sigfigs */
    put32le(hdr + 16, CAPTURE_SNAPLEN);
    put32le(hdr + 20, CAPTURE_LINKTYPE_ETHERNET);
    struct iovec iov = {.iov_base = hdr, .iov_len = sizeof hdr};
    int rc = write_all(fd, &iov, 1, sizeof hdr);
    if (rc < 0) {
        snprintf(err, errlen, "cannot write %s: %s", path, strerror(-rc));
        close(fd);
        return rc;
    }
    c->fd = fd;
    c->filter = f;
    memset(&c->st, 0, sizeof c->st);
    c->st.active = true;
    snprintf(c->st.path, sizeof c->st.path, "%s", path);
    snprintf(c->st.filter, sizeof c->st.filter, "%s", filter != NULL ? filter : "");
    c->st.max_bytes = max_bytes;
    c->st.bytes = sizeof hdr;
    log_msg(STACK_LOG_INFO, "capture: writing %s (max %llu bytes%s%s)", path,
            (unsigned long long)max_bytes, c->st.filter[0] != '\0' ? ", filter " : "",
            c->st.filter);
    return 0;
}

int capture_stop(struct capture *c)
{
    if (c == NULL || c->fd < 0)
        return -ENOENT;
    close(c->fd);
    c->fd = -1;
    c->st.active = false;
    log_msg(STACK_LOG_INFO, "capture: %s closed: %llu frames, %llu bytes", c->st.path,
            (unsigned long long)c->st.frames, (unsigned long long)c->st.bytes);
    return 0;
}

bool capture_active(const struct capture *c)
{
    return c != NULL && c->fd >= 0;
}

void capture_get_status(const struct capture *c, struct capture_status *out)
{
    if (c == NULL) {
        memset(out, 0, sizeof *out);
        return;
    }
    *out = c->st;
}

void capture_frame_at(struct capture *c, const uint8_t *frame, size_t len,
                      const struct timespec *ts)
{
    if (c == NULL || c->fd < 0)
        return;
    if (!capture_filter_match(&c->filter, frame, len)) {
        c->st.filtered++;
        return;
    }
    size_t caplen = len < CAPTURE_SNAPLEN ? len : CAPTURE_SNAPLEN;
    uint64_t need = CAPTURE_RECORD_HEADER_LEN + (uint64_t)caplen;
    if (c->st.bytes + need > c->st.max_bytes) {
        c->st.stopped_full = true;
        log_msg(STACK_LOG_WARN, "capture: %s reached max_bytes %llu; stopping", c->st.path,
                (unsigned long long)c->st.max_bytes);
        (void)capture_stop(c);
        return;
    }
    uint8_t rec[CAPTURE_RECORD_HEADER_LEN];
    put32le(rec, (uint32_t)ts->tv_sec);
    put32le(rec + 4, (uint32_t)(ts->tv_nsec / 1000));
    put32le(rec + 8, (uint32_t)caplen);
    put32le(rec + 12, (uint32_t)len);
    struct iovec iov[2] = {
        {.iov_base = rec, .iov_len = sizeof rec},
        {.iov_base = (void *)frame, .iov_len = caplen},
    };
    int rc = write_all(c->fd, iov, 2, (size_t)need);
    if (rc < 0) {
        log_msg(STACK_LOG_ERR, "capture: cannot write %s: %s; stopping", c->st.path,
                strerror(-rc));
        (void)capture_stop(c);
        return;
    }
    c->st.bytes += need;
    c->st.frames++;
}

void capture_frame(struct capture *c, const uint8_t *frame, size_t len)
{
    if (c == NULL || c->fd < 0)
        return;
    struct timespec ts;
    (void)clock_gettime(CLOCK_REALTIME, &ts);
    capture_frame_at(c, frame, len, &ts);
}
