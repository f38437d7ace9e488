/* test_daemon_capture.c - the pcap writer and its tiny filter
 * (daemon/capture.c): file and record headers byte by byte, the size
 * bound, filter parsing (good and bad) and matching on real frames. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "daemon/capture.h"
#include "daemon/log.h"
#include "tests/unit/support/frames.h"

#define US_IP 0x0a4d0002u   /* 10.77.0.2 */
#define PEER_IP 0x0a4d0001u /* 10.77.0.1 */

static const struct eth_addr us_mac = {{0x02, 0x77, 0x00, 0x00, 0x00, 0x02}};
static const struct eth_addr peer_mac = {{0x02, 0x77, 0x00, 0x00, 0x00, 0x01}};

struct fixture {
    char dir[64];
    char path[128];
    struct capture *c;
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);
    assert_non_null(f);
    snprintf(f->dir, sizeof f->dir, "/tmp/tcpip-capture-test.XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    snprintf(f->path, sizeof f->path, "%s/a.pcap", f->dir);
    f->c = capture_new();
    assert_non_null(f->c);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    capture_free(f->c);
    unlink(f->path);
    rmdir(f->dir);
    free(f);
    return 0;
}

static uint8_t *read_file(const char *path, size_t *len)
{
    FILE *fp = fopen(path, "rb");
    assert_non_null(fp);
    static uint8_t buf[8192];
    *len = fread(buf, 1, sizeof buf, fp);
    fclose(fp);
    return buf;
}

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

static uint16_t le16(const uint8_t *p)
{
    return (uint16_t)(p[0] | (p[1] << 8));
}

/* A TCP segment header (ports only matter to the filter). */
static size_t tcp_frame(uint8_t *buf, size_t cap, uint32_t src, uint32_t dst, uint16_t sport,
                        uint16_t dport)
{
    uint8_t tcp[20] = {0};
    tcp[0] = (uint8_t)(sport >> 8);
    tcp[1] = (uint8_t)sport;
    tcp[2] = (uint8_t)(dport >> 8);
    tcp[3] = (uint8_t)dport;
    tcp[12] = 5 << 4;
    tcp[13] = 0x02; /* SYN */
    struct ipv4_emit_args ip = {.proto = 6, .src = src, .dst = dst};
    return frame_ipv4(buf, cap, &us_mac, &peer_mac, &ip, tcp, sizeof tcp);
}

static void test_file_header(void **state)
{
    struct fixture *f = *state;
    char err[256];
    assert_int_equal(capture_start(f->c, f->path, 0, NULL, err, sizeof err), 0);
    assert_true(capture_active(f->c));
    assert_int_equal(capture_stop(f->c), 0);
    assert_false(capture_active(f->c));
    size_t len;
    const uint8_t *b = read_file(f->path, &len);
    assert_int_equal(len, CAPTURE_FILE_HEADER_LEN);
    /* Classic pcap: magic a1b2c3d4 (microseconds), v2.4, zone 0,
     * sigfigs 0, snaplen, LINKTYPE_ETHERNET (1); written little-endian. */
    assert_int_equal(le32(b), 0xa1b2c3d4u);
    assert_int_equal(b[0], 0xd4);
    assert_int_equal(le16(b + 4), 2);
    assert_int_equal(le16(b + 6), 4);
    assert_int_equal(le32(b + 8), 0);
    assert_int_equal(le32(b + 12), 0);
    assert_int_equal(le32(b + 16), CAPTURE_SNAPLEN);
    assert_int_equal(le32(b + 20), 1);
    struct stat st;
    assert_int_equal(stat(f->path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0640); /* main() sets umask 022 */
    /* Stopping twice: nothing runs any more. */
    assert_int_equal(capture_stop(f->c), -ENOENT);
}

static void test_record_format(void **state)
{
    struct fixture *f = *state;
    char err[256];
    uint8_t frame[FRAME_MAX];
    size_t flen = frame_udp(frame, sizeof frame, &us_mac, &peer_mac, PEER_IP, US_IP, 5000, 7,
                            "hello", 5);
    assert_true(flen >= 60);
    assert_int_equal(capture_start(f->c, f->path, 0, NULL, err, sizeof err), 0);
    struct timespec ts = {.tv_sec = 1700000000, .tv_nsec = 123456789};
    capture_frame_at(f->c, frame, flen, &ts);
    ts.tv_nsec = 999999999;
    capture_frame_at(f->c, frame, 20, &ts);
    struct capture_status st;
    capture_get_status(f->c, &st);
    assert_int_equal(st.frames, 2);
    assert_int_equal(st.bytes, 24 + 16 + flen + 16 + 20);
    assert_string_equal(st.path, f->path);
    assert_int_equal(st.max_bytes, CAPTURE_DEFAULT_MAX_BYTES);
    assert_int_equal(capture_stop(f->c), 0);

    size_t len;
    const uint8_t *b = read_file(f->path, &len);
    assert_int_equal(len, 24 + 16 + flen + 16 + 20);
    const uint8_t *r = b + 24;
    assert_int_equal(le32(r), 1700000000u);
    assert_int_equal(le32(r + 4), 123456); /* microseconds, truncated */
    assert_int_equal(le32(r + 8), flen);   /* captured */
    assert_int_equal(le32(r + 12), flen);  /* original */
    assert_memory_equal(r + 16, frame, flen);
    r += 16 + flen;
    assert_int_equal(le32(r + 4), 999999);
    assert_int_equal(le32(r + 8), 20);
    assert_memory_equal(r + 16, frame, 20);
}

static void test_size_bound(void **state)
{
    struct fixture *f = *state;
    char err[256];
    uint8_t frame[FRAME_MAX];
    size_t flen = tcp_frame(frame, sizeof frame, PEER_IP, US_IP, 40000, 7);
    /* Room for exactly two records. */
    uint64_t max = 24 + 2 * (16 + flen);
    assert_int_equal(capture_start(f->c, f->path, max, NULL, err, sizeof err), 0);
    struct timespec ts = {.tv_sec = 1, .tv_nsec = 0};
    capture_frame_at(f->c, frame, flen, &ts);
    capture_frame_at(f->c, frame, flen, &ts);
    assert_true(capture_active(f->c));
    capture_frame_at(f->c, frame, flen, &ts); /* would pass max: stops */
    assert_false(capture_active(f->c));
    capture_frame_at(f->c, frame, flen, &ts); /* ignored once stopped */
    struct capture_status st;
    capture_get_status(f->c, &st);
    assert_true(st.stopped_full);
    assert_int_equal(st.frames, 2);
    assert_int_equal(st.bytes, max);
    struct stat sb;
    assert_int_equal(stat(f->path, &sb), 0);
    assert_int_equal((uint64_t)sb.st_size, max);
    /* A new capture starts afresh. */
    assert_int_equal(capture_start(f->c, f->path, max, NULL, err, sizeof err), 0);
    capture_get_status(f->c, &st);
    assert_false(st.stopped_full);
    assert_int_equal(st.frames, 0);
}

static void test_start_errors(void **state)
{
    struct fixture *f = *state;
    char err[256];
    assert_int_equal(capture_start(f->c, "relative.pcap", 0, NULL, err, sizeof err), -EINVAL);
    assert_non_null(strstr(err, "absolute"));
    assert_int_equal(capture_start(f->c, f->path, 39, NULL, err, sizeof err), -EINVAL);
    assert_non_null(strstr(err, "max_bytes"));
    assert_int_equal(capture_start(f->c, f->path, 0, "tcp or udp", err, sizeof err), -EINVAL);
    assert_non_null(strstr(err, "\"or\""));
    assert_int_equal(access(f->path, F_OK), -1); /* nothing created */
    char missing[160];
    snprintf(missing, sizeof missing, "%s/no/such/dir.pcap", f->dir);
    assert_int_equal(capture_start(f->c, missing, 0, NULL, err, sizeof err), -ENOENT);
    assert_int_equal(capture_start(f->c, f->path, 40, "tcp", err, sizeof err), 0);
    assert_int_equal(capture_start(f->c, f->path, 0, NULL, err, sizeof err), -EBUSY);
    assert_non_null(strstr(err, "already running"));
    capture_frame(NULL, (const uint8_t *)"x", 1); /* NULL capture: a no-op */
}

static void test_filter_parse_good(void **state)
{
    (void)state;
    struct capture_filter flt;
    char err[256];
    assert_int_equal(capture_filter_parse(NULL, &flt, err, sizeof err), 0);
    assert_int_equal(flt.n_terms, 0);
    assert_int_equal(capture_filter_parse("   ", &flt, err, sizeof err), 0);
    assert_int_equal(flt.n_terms, 0);
    assert_int_equal(capture_filter_parse("tcp", &flt, err, sizeof err), 0);
    assert_int_equal(flt.n_terms, 1);
    assert_int_equal(flt.terms[0].kind, CAPTURE_TERM_TCP);
    assert_int_equal(
        capture_filter_parse(" tcp and  port 7\tand host 10.77.0.1 ", &flt, err, sizeof err), 0);
    assert_int_equal(flt.n_terms, 3);
    assert_int_equal(flt.terms[1].kind, CAPTURE_TERM_PORT);
    assert_int_equal(flt.terms[1].value, 7);
    assert_int_equal(flt.terms[2].kind, CAPTURE_TERM_HOST);
    assert_int_equal(flt.terms[2].value, PEER_IP);
    assert_int_equal(capture_filter_parse("udp and icmp and arp and port 65535", &flt, err,
                                          sizeof err),
                     0);
    assert_int_equal(flt.n_terms, 4);
}

static void test_filter_parse_bad(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        const char *needle;
    } bad[] = {
        {"tcpx", "unknown word \"tcpx\""},
        {"tcp udp", "expected \"and\" before \"udp\""},
        {"tcp or udp", "\"or\""},
        {"tcp and", "at the end"},
        {"and tcp", "unknown word \"and\""},
        {"port", "needs a number"},
        {"port 0", "port \"0\""},
        {"port 65536", "port \"65536\""},
        {"port 7x", "port \"7x\""},
        {"host", "needs an IPv4 address"},
        {"host 10.77.0", "host \"10.77.0\""},
        {"host 10.77.0.256", "host \"10.77.0.256\""},
        {"not tcp", "unknown word \"not\""},
        {"tcp and tcp and tcp and tcp and tcp and tcp and tcp and tcp and tcp", "more than 8"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct capture_filter flt;
        char err[256] = "";
        int rc = capture_filter_parse(bad[i].text, &flt, err, sizeof err);
        if (rc != -1 || strstr(err, bad[i].needle) == NULL)
            fail_msg("filter \"%s\": rc %d, err \"%s\", wanted \"%s\"", bad[i].text, rc, err,
                     bad[i].needle);
    }
    char long_text[400];
    memset(long_text, 'a', sizeof long_text - 1);
    long_text[sizeof long_text - 1] = '\0';
    struct capture_filter flt;
    char err[256];
    assert_int_equal(capture_filter_parse(long_text, &flt, err, sizeof err), -1);
}

static bool matches(const char *text, const uint8_t *frame, size_t len)
{
    struct capture_filter flt;
    char err[256];
    assert_int_equal(capture_filter_parse(text, &flt, err, sizeof err), 0);
    return capture_filter_match(&flt, frame, len);
}

static void test_filter_match(void **state)
{
    (void)state;
    uint8_t tcp[FRAME_MAX], udp[FRAME_MAX], icmp[FRAME_MAX], arp[FRAME_MAX];
    size_t tl = tcp_frame(tcp, sizeof tcp, PEER_IP, US_IP, 40000, 7);
    size_t ul = frame_udp(udp, sizeof udp, &us_mac, &peer_mac, PEER_IP, US_IP, 5353, 9, "x", 1);
    size_t il = frame_icmp4(icmp, sizeof icmp, &us_mac, &peer_mac, PEER_IP, US_IP, 8, 0, 0, "p", 1);
    size_t al = frame_arp(arp, sizeof arp, &frame_broadcast_mac, &peer_mac, 1, &peer_mac, PEER_IP,
                          &us_mac, US_IP);
    assert_true(tl > 0 && ul > 0 && il > 0 && al > 0);

    assert_true(matches("", tcp, tl));
    assert_true(matches("tcp", tcp, tl));
    assert_false(matches("udp", tcp, tl));
    assert_true(matches("udp", udp, ul));
    assert_true(matches("icmp", icmp, il));
    assert_false(matches("icmp", udp, ul));
    assert_true(matches("arp", arp, al));
    assert_false(matches("arp", tcp, tl));
    /* port: source or destination, TCP and UDP only. */
    assert_true(matches("port 7", tcp, tl));
    assert_true(matches("port 40000", tcp, tl));
    assert_false(matches("port 8", tcp, tl));
    assert_true(matches("port 9 and udp", udp, ul));
    assert_false(matches("port 7", icmp, il));
    /* host: IPv4 source or destination; ARP sender or target. */
    assert_true(matches("host 10.77.0.1", tcp, tl));
    assert_true(matches("host 10.77.0.2 and tcp and port 7", tcp, tl));
    assert_false(matches("host 10.77.0.3", tcp, tl));
    assert_true(matches("host 10.77.0.2", arp, al));
    assert_false(matches("host 10.77.0.2 and tcp", arp, al));

    /* A later fragment carries no ports: "port" cannot match it. */
    uint8_t frag[FRAME_MAX];
    memcpy(frag, tcp, tl);
    frag[14 + 6] = 0x00;
    frag[14 + 7] = 0x10; /* fragment offset 16 (x8 bytes) */
    assert_false(matches("port 7", frag, tl));
    assert_true(matches("tcp", frag, tl));

    /* Truncated frames are read only as far as they go. */
    for (size_t cut = 0; cut < tl; cut++) {
        struct capture_filter flt;
        char err[256];
        assert_int_equal(capture_filter_parse("tcp and port 7 and host 10.77.0.1", &flt, err,
                                              sizeof err),
                         0);
        bool m = capture_filter_match(&flt, tcp, cut);
        assert_true(cut >= 14 + 20 + 4 || !m);
    }
}

static void test_filter_applies_to_file(void **state)
{
    struct fixture *f = *state;
    char err[256];
    uint8_t tcp[FRAME_MAX], udp[FRAME_MAX];
    size_t tl = tcp_frame(tcp, sizeof tcp, PEER_IP, US_IP, 40000, 7);
    size_t ul = frame_udp(udp, sizeof udp, &us_mac, &peer_mac, PEER_IP, US_IP, 5353, 9, "x", 1);
    assert_int_equal(capture_start(f->c, f->path, 0, "tcp and port 7", err, sizeof err), 0);
    capture_frame(f->c, udp, ul);
    capture_frame(f->c, tcp, tl);
    capture_frame(f->c, udp, ul);
    struct capture_status st;
    capture_get_status(f->c, &st);
    assert_int_equal(st.frames, 1);
    assert_int_equal(st.filtered, 2);
    assert_string_equal(st.filter, "tcp and port 7");
    assert_int_equal(capture_stop(f->c), 0);
    size_t len;
    const uint8_t *b = read_file(f->path, &len);
    assert_int_equal(len, 24 + 16 + tl);
    assert_memory_equal(b + 40, tcp, tl);
}

int main(void)
{
    umask(022);
    /* Keep the test output clean: capture logs its start and stop. */
    FILE *devnull = fopen("/dev/null", "w");
    log_set_stream(devnull, false);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_file_header, setup, teardown),
        cmocka_unit_test_setup_teardown(test_record_format, setup, teardown),
        cmocka_unit_test_setup_teardown(test_size_bound, setup, teardown),
        cmocka_unit_test_setup_teardown(test_start_errors, setup, teardown),
        cmocka_unit_test(test_filter_parse_good),
        cmocka_unit_test(test_filter_parse_bad),
        cmocka_unit_test(test_filter_match),
        cmocka_unit_test_setup_teardown(test_filter_applies_to_file, setup, teardown),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    log_set_stream(NULL, false);
    if (devnull != NULL)
        fclose(devnull);
    return rc;
}
