/* tap_ceiling.c - how many full-size (1514-byte) Ethernet frames per second
 * one thread can move through a TAP device: the ceiling of any userspace
 * stack that does one read() or write() per frame, as tcpipd does.
 *
 *   tap_ceiling write NAME SECS     write frames into the TAP for SECS
 *   tap_ceiling read NAME SECS      read frames the kernel sends for SECS
 *
 * Run inside a network namespace; it creates the TAP NAME with the host
 * side at 10.77.2.1/24 and plays 10.77.2.2 (MAC 02:77:00:00:02:02).
 *
 * write: IPv4/UDP frames, 1472 bytes of payload, to the host side's MAC and
 * address, port 9 where nothing listens. A TAP write runs the kernel's
 * receive path in the writer's context (tun_get_user -> netif_receive_skb),
 * so the rate includes the kernel consuming each frame through IP and UDP,
 * which is what a stack's transmit costs the machine. Answers (ICMP, ARP)
 * pile up in the TAP's queue and are dropped; that is fine.
 *
 * read: a child process pinned to the other CPU floods 10.77.2.2:9 from a
 * kernel UDP socket (sendmmsg, 64 datagrams of 1472 bytes per call, a
 * permanent neighbour entry so no ARP is needed); the parent, pinned to CPU
 * 0, reads frames. The TAP's queue (txqueuelen) overflows when the reader
 * is slower than the sender, so the host side's tx_dropped counter says
 * which side was the bottleneck: drops > 0 means the reader was, and its
 * rate is the ceiling. Without drops the number is only a lower bound.
 *
 * Output: "RESULT tap_write_fps N" or "RESULT tap_read_fps N", plus notes. */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "daemon/tap.h"
#include "stack/wire/addr.h"

#define FRAME_LEN 1514
#define UDP_PAYLOAD 1472
#define HOST_IP "10.77.2.1"
#define PEER_IP "10.77.2.2"
#define SEND_BATCH 64

static const uint8_t peer_mac[6] = {0x02, 0x77, 0x00, 0x00, 0x02, 0x02};

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void pin_cpu(int cpu)
{
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    if (sched_setaffinity(0, sizeof set, &set) != 0)
        perror("tap_ceiling: sched_setaffinity");
}

static int host_mac(const char *name, uint8_t mac[6])
{
    int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "%s", name);
    int rc = ioctl(s, SIOCGIFHWADDR, &ifr);
    close(s);
    if (rc != 0)
        return -1;
    memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
    return 0;
}

static uint16_t ip_checksum(const uint8_t *p, size_t len)
{
    uint32_t sum = 0;
    for (size_t i = 0; i + 1 < len; i += 2)
        sum += (uint32_t)(p[i] << 8 | p[i + 1]);
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)~sum;
}

/* Ethernet + IPv4 + UDP (checksum 0: none, RFC 768) + payload. */
static void build_frame(uint8_t *f, const uint8_t dst_mac[6])
{
    memset(f, 0, FRAME_LEN);
    memcpy(f, dst_mac, 6);
    memcpy(f + 6, peer_mac, 6);
    f[12] = 0x08;
    uint8_t *ip = f + 14;
    ip[0] = 0x45;
    uint16_t tot = 20 + 8 + UDP_PAYLOAD;
    ip[2] = (uint8_t)(tot >> 8);
    ip[3] = (uint8_t)tot;
    ip[6] = 0x40; /* DF */
    ip[8] = 64;
    ip[9] = 17;
    inet_pton(AF_INET, PEER_IP, ip + 12);
    inet_pton(AF_INET, HOST_IP, ip + 16);
    uint16_t c = ip_checksum(ip, 20);
    ip[10] = (uint8_t)(c >> 8);
    ip[11] = (uint8_t)c;
    uint8_t *udp = ip + 20;
    udp[0] = 0x30; /* source port 12345 */
    udp[1] = 0x39;
    udp[3] = 9;
    udp[4] = (uint8_t)((8 + UDP_PAYLOAD) >> 8);
    udp[5] = (uint8_t)(8 + UDP_PAYLOAD);
}

static int cmd_write(struct tap *t, int secs)
{
    uint8_t dst[6], frame[FRAME_LEN];
    if (host_mac(t->name, dst) != 0) {
        perror("tap_ceiling: SIOCGIFHWADDR");
        return 1;
    }
    build_frame(frame, dst);
    pin_cpu(0);
    uint64_t t0 = now_ns(), end = t0 + (uint64_t)secs * 1000000000ull, frames = 0, errs = 0, t1;
    while ((t1 = now_ns()) < end) {
        /* Check the clock every 256 frames, not every frame. */
        for (int i = 0; i < 256; i++) {
            if (write(t->fd, frame, FRAME_LEN) == FRAME_LEN)
                frames++;
            else
                errs++;
        }
    }
    if (errs)
        fprintf(stderr, "tap_ceiling: %llu writes failed\n", (unsigned long long)errs);
    double fps = (double)frames * 1e9 / (double)(t1 - t0);
    printf("RESULT tap_write_fps %.0f\n", fps);
    printf("# write: %.0f frames/s = %.1f MB/s of frames\n", fps, fps * FRAME_LEN / 1e6);
    return 0;
}

static int add_neigh(const char *name)
{
    int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    struct arpreq r;
    memset(&r, 0, sizeof r);
    struct sockaddr_in *sin = (struct sockaddr_in *)&r.arp_pa;
    sin->sin_family = AF_INET;
    inet_pton(AF_INET, PEER_IP, &sin->sin_addr);
    r.arp_ha.sa_family = ARPHRD_ETHER;
    memcpy(r.arp_ha.sa_data, peer_mac, 6);
    r.arp_flags = ATF_PERM | ATF_COM;
    snprintf(r.arp_dev, sizeof r.arp_dev, "%s", name);
    int rc = ioctl(s, SIOCSARP, &r);
    close(s);
    return rc;
}

/* The child: flood until killed. */
static void flood(void)
{
    pin_cpu(1);
    int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in src = {.sin_family = AF_INET}, dst = {.sin_family = AF_INET,
                                                             .sin_port = htons(9)};
    inet_pton(AF_INET, HOST_IP, &src.sin_addr);
    inet_pton(AF_INET, PEER_IP, &dst.sin_addr);
    if (bind(s, (struct sockaddr *)&src, sizeof src) != 0 ||
        connect(s, (struct sockaddr *)&dst, sizeof dst) != 0) {
        perror("tap_ceiling: flood socket");
        _exit(1);
    }
    static uint8_t payload[UDP_PAYLOAD];
    struct iovec iov = {.iov_base = payload, .iov_len = sizeof payload};
    struct mmsghdr m[SEND_BATCH];
    memset(m, 0, sizeof m);
    for (int i = 0; i < SEND_BATCH; i++) {
        m[i].msg_hdr.msg_iov = &iov;
        m[i].msg_hdr.msg_iovlen = 1;
    }
    for (;;)
        (void)sendmmsg(s, m, SEND_BATCH, 0); /* ENOBUFS when the queue is full: keep going */
}

static unsigned long long tx_dropped(const char *name)
{
    char path[128];
    unsigned long long v = 0;
    snprintf(path, sizeof path, "/sys/class/net/%s/statistics/tx_dropped", name);
    FILE *f = fopen(path, "r");
    if (f != NULL) {
        if (fscanf(f, "%llu", &v) != 1)
            v = 0;
        fclose(f);
    }
    return v;
}

static int cmd_read(struct tap *t, int secs)
{
    if (add_neigh(t->name) != 0) {
        perror("tap_ceiling: SIOCSARP");
        return 1;
    }
    pid_t child = fork();
    if (child == 0)
        flood();
    pin_cpu(0);
    static uint8_t buf[65536];
    unsigned long long drop0 = tx_dropped(t->name);
    uint64_t t0 = now_ns(), end = t0 + (uint64_t)secs * 1000000000ull, full = 0, other = 0, t1;
    while ((t1 = now_ns()) < end) {
        struct pollfd p = {.fd = t->fd, .events = POLLIN};
        if (poll(&p, 1, 100) <= 0)
            continue;
        for (int i = 0; i < 256; i++) {
            ssize_t n = read(t->fd, buf, sizeof buf);
            if (n < 0)
                break;
            if (n == FRAME_LEN)
                full++;
            else
                other++;
        }
    }
    unsigned long long drops = tx_dropped(t->name) - drop0;
    kill(child, SIGKILL);
    waitpid(child, NULL, 0);
    double fps = (double)full * 1e9 / (double)(t1 - t0);
    printf("RESULT tap_read_fps %.0f\n", fps);
    printf("# read: %.0f frames/s = %.1f MB/s of frames; %llu other frames; "
           "%llu dropped at the TAP queue (%s)\n",
           fps, fps * FRAME_LEN / 1e6, (unsigned long long)other, drops,
           drops > 0 ? "the reader was the bottleneck" : "the sender was: a lower bound");
    return 0;
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc != 4 || (strcmp(argv[1], "write") != 0 && strcmp(argv[1], "read") != 0)) {
        fprintf(stderr, "usage: tap_ceiling write|read TAPNAME SECONDS\n");
        return 2;
    }
    int secs = atoi(argv[3]);
    if (secs < 1)
        secs = 1;
    struct tap t;
    char err[256];
    uint32_t host;
    ip4_parse(HOST_IP, &host);
    if (tap_open(&t, argv[2], err, sizeof err) < 0 ||
        tap_host_configure(t.name, host, 24, err, sizeof err) < 0) {
        fprintf(stderr, "tap_ceiling: %s\n", err);
        tap_close(&t);
        return 2;
    }
    int rc = strcmp(argv[1], "write") == 0 ? cmd_write(&t, secs) : cmd_read(&t, secs);
    tap_close(&t);
    return rc;
}
