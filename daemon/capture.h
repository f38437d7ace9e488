/* capture.h - a pcap file of what crosses the TAP, written by tcpipd.
 *
 * Classic libpcap format (the one every tool reads: tcpdump -r, tshark -r,
 * wireshark): a 24-byte file header (magic 0xa1b2c3d4 in our byte order,
 * version 2.4, LINKTYPE_ETHERNET), then per frame a 16-byte record header
 * (seconds, microseconds, captured length, original length) and the frame.
 * Timestamps are CLOCK_REALTIME, as a capture is read against wall time.
 *
 * One capture at a time for the whole daemon; frames of every interface go
 * into the same file (classic pcap has no interface id). The file is
 * bounded: when the next record would pass max_bytes (header included) the
 * capture stops and logs why, so a forgotten capture cannot fill the disk.
 *
 * The optional filter is a tiny subset of tcpdump's syntax, enough to keep
 * a capture small: terms "tcp", "udp", "icmp", "arp", "port N",
 * "host A.B.C.D", joined by "and" (all must match). No libpcap needed. */
#ifndef TCPIPD_CAPTURE_H
#define TCPIPD_CAPTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define CAPTURE_MAGIC 0xa1b2c3d4u      /* microsecond timestamps */
#define CAPTURE_VERSION_MAJOR 2
#define CAPTURE_VERSION_MINOR 4
#define CAPTURE_LINKTYPE_ETHERNET 1
#define CAPTURE_SNAPLEN 262144u        /* tcpdump's default: frames are never cut */
#define CAPTURE_FILE_HEADER_LEN 24
#define CAPTURE_RECORD_HEADER_LEN 16
#define CAPTURE_DEFAULT_MAX_BYTES (64ull * 1024 * 1024)
#define CAPTURE_FILTER_MAX_TERMS 8
#define CAPTURE_FILTER_TEXT_MAX 256
#define CAPTURE_PATH_MAX 256

enum capture_term_kind {
    CAPTURE_TERM_TCP,
    CAPTURE_TERM_UDP,
    CAPTURE_TERM_ICMP,
    CAPTURE_TERM_ARP,
    CAPTURE_TERM_PORT,           /* TCP or UDP source or destination port */
    CAPTURE_TERM_HOST,           /* IPv4 source or destination, ARP sender or target */
};

struct capture_term {
    enum capture_term_kind kind;
    uint32_t value;              /* port, or IPv4 address in host order */
};

struct capture_filter {
    struct capture_term terms[CAPTURE_FILTER_MAX_TERMS];
    size_t n_terms;              /* 0: every frame */
};

/* Parse text (NULL or blank: match everything). 0, or -1 with a one-line
 * message in err naming the bad word. */
int capture_filter_parse(const char *text, struct capture_filter *f, char *err, size_t errlen);
/* Does the Ethernet frame pass every term? Never reads past len. */
bool capture_filter_match(const struct capture_filter *f, const uint8_t *frame, size_t len);

struct capture_status {
    bool active;
    char path[CAPTURE_PATH_MAX];     /* the current or last file ("" if none) */
    char filter[CAPTURE_FILTER_TEXT_MAX];
    uint64_t max_bytes;
    uint64_t bytes;                  /* written to the file, header included */
    uint64_t frames;                 /* records written */
    uint64_t filtered;               /* frames the filter left out */
    bool stopped_full;               /* the last capture ended at max_bytes */
};

struct capture;

/* NULL on allocation failure. */
struct capture *capture_new(void);
/* Stops a running capture (the file is kept). NULL is fine. */
void capture_free(struct capture *c);

/* Start writing path (absolute; created or truncated, mode 0640).
 * max_bytes 0 means CAPTURE_DEFAULT_MAX_BYTES; below the file header plus
 * one record header is -EINVAL. filter may be NULL. 0, or -errno with a
 * message in err (-EBUSY: a capture is running). */
int capture_start(struct capture *c, const char *path, uint64_t max_bytes, const char *filter,
                  char *err, size_t errlen);
/* Close the file. 0, or -ENOENT if no capture was running. */
int capture_stop(struct capture *c);
bool capture_active(const struct capture *c);
void capture_get_status(const struct capture *c, struct capture_status *out);

/* One frame crossing the TAP, either way. Cheap when no capture runs; c
 * may be NULL. capture_frame_at takes the timestamp (for tests). */
void capture_frame(struct capture *c, const uint8_t *frame, size_t len);
void capture_frame_at(struct capture *c, const uint8_t *frame, size_t len,
                      const struct timespec *ts);

#endif
