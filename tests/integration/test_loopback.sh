#!/bin/bash
# test_loopback.sh - lo on a running tcpipd: the libtcpip(3) example as
# printed (a client on tcpipd to the built-in echo at the stack's own
# 10.77.0.2) and on 127.0.0.1; a libtcpip client to a libtcpip listener on
# the same tcpipd (echo_server bound to 127.0.0.1, and to ::1 through the
# IPv6 API), neither touching the TAP; `tcpipctl link/addr/sockets` show lo,
# its counters, its addresses and both ends of the local connection with
# their programs; a frame from the link to 127.0.0.1 is a counted martian.
#
# Run by tests/run.sh with TCPIPD=/abs/build/asan/tcpipd; needs root,
# /dev/net/tun, `ip netns`, python3, cc. Addresses (inside the namespace
# only): stack 10.77.0.2/24, kernel 10.77.0.1/24.

. "$(dirname "$0")/lib.sh"

ITEST_CHECKS=(
    "tcpipd starts with its IPC socket"
    "libtcpip(3) example as printed: hello back from the built-in echo at 10.77.0.2"
    "the same to 127.0.0.1: hello back"
    "a libtcpip client to a libtcpip listener on 127.0.0.1 (echo_server): hello back"
    "the same over ::1 to a listener on [::]"
    "none of it touched the TAP: tcpip0 sent no frame"
    "tcpipctl link: lo first, type loopback, mtu 65535, its packet counters moved"
    "tcpipctl addr: lo has 127.0.0.1/8 and ::1/128, scope host"
    "tcpipctl sockets: both ends of a 127.0.0.1 connection, each with its program's pid"
    "a frame from the link to 127.0.0.1 is dropped and counted (ipv4.rx_drop_martian)"
    "tcpipctl sockets -t state established sport = :7000: only that end, named by its program"
    "tcpipctl sockets -l: listeners and unconnected UDP only; -ta: all TCP, no UDP"
    "tcpipctl sockets -ti: cwnd in segments, ss -i's line (rtt, mss, cwnd, bytes, retrans)"
    "tcpipctl stats --nstat: Linux's names (TcpActiveOpens, TcpPassiveOpens...)"
    "tcpipctl stats --prometheus and the daemon's textfile: the exposition format"
    "no sanitizer report"
)
itest_init loopback python3 cc
ns_create || itest_unavailable "cannot create a namespace"

BUILD_DIR=$(dirname "$TCPIPD")
EX=$BUILD_DIR/examples
[ -x "$EX/echo_server" ] || EX=$ITEST_REPO/build/examples
CTL=$BUILD_DIR/tcpipctl
[ -x "$CTL" ] || CTL=$ITEST_REPO/build/tcpipctl
LIB=$BUILD_DIR/client-lib/libtcpip.a
[ -f "$LIB" ] || LIB=$ITEST_REPO/build/client-lib/libtcpip.a
[ -x "$EX/echo_server" ] && [ -f "$LIB" ] || itest_unavailable "no examples or libtcpip.a (make all)"
# The sanitizer build's libtcpip needs the sanitizer runtime at link time.
SANFLAGS=()
case $LIB in */asan/*) SANFLAGS=(-fsanitize=address,undefined) ;; esac

IPC_SOCK=$TMP/ipc/tcpipd.sock
CTL_SOCK=$TMP/ctl/control.sock
write_config "$TMP/base.json" '{ "tcp_echo": { "enabled": true, "port": 7 } }'
python3 - "$TMP/base.json" "$TMP/a.json" "$IPC_SOCK" "$CTL_SOCK" "$TMP/tcpipd.prom" <<'PY'
import json, sys
cfg = json.load(open(sys.argv[1]))
cfg["ipc"] = {"path": sys.argv[3], "mode": "0660"}
cfg["control"] = {"path": sys.argv[4], "mode": "0660"}
cfg["stats"] = {"path": sys.argv[5], "interval": 1}
json.dump(cfg, open(sys.argv[2], "w"), indent=2)
PY
ctl() { "$CTL" -s "$CTL_SOCK" "$@"; }
on_stack() { nsx env TCPIP_BACKEND=direct "TCPIP_SOCKET=$IPC_SOCK" "$@"; }

# The example of libtcpip(3), taken from the page itself (roff escapes
# undone), built against this build's libtcpip.
sed -n '/^\.SH EXAMPLES/,/^\.SH SEE ALSO/p' "$ITEST_REPO/docs/man/libtcpip.3" |
    sed -n '/^\.EX/,/^\.EE/p' | sed '1d;/^\.EE/,$d' | sed -e 's/\\e/\\/g' -e 's/\\-/-/g' >"$TMP/echo.c"
build_example() { # SRC OUT
    cc -std=c11 -D_GNU_SOURCE "${SANFLAGS[@]}" "-I$ITEST_REPO/client-lib" -o "$2" "$1" "$LIB" \
        -pthread >"$TMP/cc.log" 2>&1 || { show_log "$TMP/cc.log"; return 1; }
}
build_example "$TMP/echo.c" "$TMP/echo" || not_ok "the libtcpip(3) example builds"
sed 's/"10\.77\.0\.2"/"127.0.0.1"/' "$TMP/echo.c" >"$TMP/echo127.c"
build_example "$TMP/echo127.c" "$TMP/echo127"
sed -e 's/"10\.77\.0\.2"/"127.0.0.1"/' -e 's/htons(7)/htons(7000)/' "$TMP/echo.c" >"$TMP/echo7000.c"
build_example "$TMP/echo7000.c" "$TMP/echo7000"
# The same client over IPv6 to ::1.
cat >"$TMP/echo6.c" <<'C'
#include <arpa/inet.h>
#include <stdio.h>
#include <tcpip.h>
int main(void)
{
    struct sockaddr_in6 a = { .sin6_family = AF_INET6, .sin6_port = htons(7001) };
    char buf[64];
    inet_pton(AF_INET6, "::1", &a.sin6_addr);
    int fd = tcpip_socket(AF_INET6, SOCK_STREAM, 0);
    if (fd < 0 || tcpip_connect(fd, (struct sockaddr *)&a, sizeof a) < 0) {
        perror("connect");
        return 1;
    }
    tcpip_send(fd, "hello6\n", 7, MSG_NOSIGNAL);
    ssize_t n = tcpip_recv(fd, buf, sizeof buf, 0);
    if (n <= 0)
        return 1;
    printf("%.*s", (int)n, buf);
    tcpip_close(fd);
    return 0;
}
C
build_example "$TMP/echo6.c" "$TMP/echo6"

tcpipd_start "$TMP/a.log" "$TMP/a.json"
A_PID=$TCPIPD_PID
up_ok() { tcpipd_wait_ready "$TMP/a.log" && [ -S "$IPC_SOCK" ] || { show_log "$TMP/a.log"; false; }; }
if ! up_ok; then
    not_ok "tcpipd starts with its IPC socket"
    itest_done
fi
ok "tcpipd starts with its IPC socket"

# tcpip0's frames sent, from tcpipctl link --json.
tap_tx() {
    ctl link --json | python3 -c '
import json, sys
print([l for l in json.load(sys.stdin) if l["name"] == "tcpip0"][0]["tx_frames"])'
}
TX0=$(tap_tx)

hello_ok() { # PROG EXPECTED
    local out
    out=$(on_stack timeout 10 "$1" 2>&1)
    [ "$out" = "$2" ] || { note "$1: '$out'"; return 1; }
}
check "libtcpip(3) example as printed: hello back from the built-in echo at 10.77.0.2" \
    hello_ok "$TMP/echo" hello
check "the same to 127.0.0.1: hello back" hello_ok "$TMP/echo127" hello

bg_start SRV_PID ip netns exec "$NS" env TCPIP_BACKEND=direct "TCPIP_SOCKET=$IPC_SOCK" \
    "$EX/echo_server" --fork --bind 127.0.0.1 7000 >"$TMP/srv.log" 2>&1
listening() { # ADDR:PORT
    local i
    for ((i = 0; i < 100; i++)); do
        ctl sockets --json | python3 -c '
import json, sys
sys.exit(0 if any(s["state"] == "LISTEN" and s["local"] == sys.argv[1]
                  for s in json.load(sys.stdin)["tcp"]) else 1)' "$1" && return 0
        sleep 0.05
    done
    return 1
}
listening 127.0.0.1:7000 || note "echo_server did not listen: $(cat "$TMP/srv.log")"
check "a libtcpip client to a libtcpip listener on 127.0.0.1 (echo_server): hello back" \
    hello_ok "$TMP/echo7000" hello

# An IPv6 listener on [::]:7001 (python through libtcpip is not at hand:
# echo_server is IPv4-only), so a second echo_server instance would not do;
# the listener here is tcpipd's own API through a tiny libtcpip program.
cat >"$TMP/srv6.c" <<'C'
#include <arpa/inet.h>
#include <string.h>
#include <unistd.h>
#include <tcpip.h>
int main(void)
{
    struct sockaddr_in6 a = { .sin6_family = AF_INET6, .sin6_port = htons(7001) };
    int l = tcpip_socket(AF_INET6, SOCK_STREAM, 0);
    if (l < 0 || tcpip_bind(l, (struct sockaddr *)&a, sizeof a) < 0 || tcpip_listen(l, 4) < 0)
        return 1;
    int c = tcpip_accept(l, NULL, NULL);
    if (c < 0)
        return 1;
    char buf[64];
    ssize_t n = tcpip_recv(c, buf, sizeof buf, 0);
    if (n > 0)
        tcpip_send(c, buf, (size_t)n, MSG_NOSIGNAL);
    tcpip_close(c);
    tcpip_close(l);
    return 0;
}
C
build_example "$TMP/srv6.c" "$TMP/srv6"
bg_start SRV6_PID ip netns exec "$NS" env TCPIP_BACKEND=direct "TCPIP_SOCKET=$IPC_SOCK" \
    timeout 30 "$TMP/srv6" >"$TMP/srv6.log" 2>&1
listening '[::]:7001' || note "srv6 did not listen: $(cat "$TMP/srv6.log")"
check "the same over ::1 to a listener on [::]" hello_ok "$TMP/echo6" hello6

untouched_ok() {
    local tx
    tx=$(tap_tx) || return 1
    [ "$tx" = "$TX0" ] || { note "tcpip0 tx_frames $TX0 -> $tx"; return 1; }
}
check "none of it touched the TAP: tcpip0 sent no frame" untouched_ok

link_ok() {
    ctl link --json | python3 -c '
import json, sys
l = json.load(sys.stdin)[0]
ok = (l["name"] == "lo" and l["type"] == "loopback" and l["mtu"] == 65535
      and l["rx_frames"] >= 20 and l["tx_frames"] >= 20 and l["mac"] is None)
if not ok:
    print("# " + json.dumps(l))
sys.exit(0 if ok else 1)' && ctl link | grep -Eq '^ *[0-9]+ +lo +- +65535 +UP'
}
check "tcpipctl link: lo first, type loopback, mtu 65535, its packet counters moved" link_ok

addr_ok() {
    local out
    out=$(ctl addr)
    echo "$out" | grep -Eq '^lo +inet +127\.0\.0\.1/8 +scope host$' &&
        echo "$out" | grep -Eq '^lo +inet6 +::1/128 +scope host' || { note "$out"; false; }
}
check "tcpipctl addr: lo has 127.0.0.1/8 and ::1/128, scope host" addr_ok

# A client that holds its connection open while tcpipctl looks.
cat >"$TMP/hold.c" <<'C'
#include <arpa/inet.h>
#include <unistd.h>
#include <tcpip.h>
int main(void)
{
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(7000) };
    inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
    int fd = tcpip_socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0 || tcpip_connect(fd, (struct sockaddr *)&a, sizeof a) < 0)
        return 1;
    sleep(15);
    tcpip_close(fd);
    return 0;
}
C
build_example "$TMP/hold.c" "$TMP/hold"
bg_start HOLD_PID ip netns exec "$NS" env TCPIP_BACKEND=direct "TCPIP_SOCKET=$IPC_SOCK" \
    "$TMP/hold" >"$TMP/hold.log" 2>&1
sockets_ok() {
    local i out
    for ((i = 0; i < 50; i++)); do
        out=$(ctl sockets --json | python3 -c '
import json, sys
d = json.load(sys.stdin)["tcp"]
hold = int(sys.argv[1])
est = [s for s in d if s["state"] == "ESTABLISHED" and "127.0.0.1:7000" in (s["local"], s["remote"])]
mine = [s for s in est if s["remote"] == "127.0.0.1:7000" and s["owner"].get("pid") == hold]
srv = [s for s in est if s["local"] == "127.0.0.1:7000" and s["owner"].get("name") == "client"
       and s["owner"].get("pid") != hold]
print("yes" if mine and srv else "no")' "$HOLD_PID")
        [ "$out" = yes ] && return 0
        sleep 0.1
    done
    ctl sockets | sed 's/^/#   /' | head -20
    show_log "$TMP/hold.log"
    return 1
}
check "tcpipctl sockets: both ends of a 127.0.0.1 connection, each with its program's pid" sockets_ok

ss_filter_ok() {
    local out
    out=$(ctl sockets -t state established sport = :7000)
    # The header and one row: echo_server's end (its --fork child).
    [ "$(echo "$out" | wc -l)" = 2 ] &&
        echo "$out" | grep -Eq '^tcp +ESTABLISHED .* 127\.0\.0\.1:7000 +127\.0\.0\.1:[0-9]+ .*echo_server\(pid=[0-9]+,uid=0\)$' ||
        { echo "$out" | sed 's/^/#   /'; false; }
}
check "tcpipctl sockets -t state established sport = :7000: only that end, named by its program" ss_filter_ok
ss_listen_ok() {
    local out
    out=$(ctl sockets -l)
    echo "$out" | tail -n +2 | grep -Evq '^(tcp +LISTEN|udp +UNCONN) ' && { echo "$out" | sed 's/^/#   /'; return 1; }
    echo "$out" | grep -Eq '^tcp +LISTEN .*127\.0\.0\.1:7000 ' || return 1
    out=$(ctl sockets -ta)
    ! echo "$out" | grep -q '^udp' && echo "$out" | grep -Eq '^tcp +LISTEN' &&
        echo "$out" | grep -Eq '^tcp +ESTABLISHED' || { echo "$out" | sed 's/^/#   /'; false; }
}
check "tcpipctl sockets -l: listeners and unconnected UDP only; -ta: all TCP, no UDP" ss_listen_ok
ss_info_ok() {
    local out
    out=$(ctl sockets -ti dport = :7000)
    echo "$out" | grep -Eq '^	 (cubic|newreno) wscale:[0-9]+,[0-9]+ rto:[0-9]+ rtt:[0-9.]+/[0-9.]+ .*mss:[0-9]+ .*cwnd:[0-9]+ .*bytes_sent:[0-9]+ .*retrans:[0-9]+/[0-9]+' &&
        echo "$out" | grep -Eq '^tcp +ESTABLISHED +[0-9]+ +[0-9]+ +127\.0\.0\.1:[0-9]+ +127\.0\.0\.1:7000 +10 ' ||
        { echo "$out" | sed 's/^/#   /'; false; }
}
check "tcpipctl sockets -ti: cwnd in segments, ss -i's line (rtt, mss, cwnd, bytes, retrans)" ss_info_ok

# A perfect frame from the kernel side of the TAP, to our MAC, addressed
# to 127.0.0.1 (RFC 1122 3.2.1.3 (g): never on a link).
martian_ok() {
    local before after
    before=$(ctl stats --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["ipv4"]["rx_drop_martian"])')
    nsx python3 - <<'PY' || return 1
import socket, struct
def csum(b):
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff
ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 28, 1, 0x4000, 64, 17, 0,
                 socket.inet_aton("10.77.0.1"), socket.inet_aton("127.0.0.1"))
ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
udp = struct.pack("!HHHH", 4000, 7, 8, 0)
mac_us = bytes.fromhex("027700000002")
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind(("tcpip0", 0))
mac_me = s.getsockname()[4]
s.send(mac_us + mac_me + b"\x08\x00" + ip + udp + bytes(18))
PY
    sleep 0.3
    after=$(ctl stats --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["ipv4"]["rx_drop_martian"])')
    [ "$after" = $((before + 1)) ] || { note "rx_drop_martian $before -> $after"; false; }
}
check "a frame from the link to 127.0.0.1 is dropped and counted (ipv4.rx_drop_martian)" martian_ok

nstat_ok() {
    local out
    out=$(ctl stats --nstat)
    echo "$out" | grep -Eq '^TcpActiveOpens +[1-9][0-9]*$' &&
        echo "$out" | grep -Eq '^TcpPassiveOpens +[1-9][0-9]*$' &&
        echo "$out" | grep -Eq '^TcpExtTCPSynRetrans +[0-9]+$' &&
        echo "$out" | grep -Eq '^IpInReceives +[0-9]+$' || { echo "$out" | head | sed 's/^/#   /'; false; }
}
check "tcpipctl stats --nstat: Linux's names (TcpActiveOpens, TcpPassiveOpens...)" nstat_ok
prom_ok() {
    local out f
    out=$(ctl stats --prometheus)
    for f in "$out" "$(cat "$TMP/tcpipd.prom" 2>/dev/null)"; do
        echo "$f" | grep -Eq '^# TYPE tcpipd_tcp_active_opens_total counter$' &&
            echo "$f" | grep -Eq '^tcpipd_tcp_active_opens_total [1-9][0-9]*$' &&
            echo "$f" | grep -Eq '^tcpipd_netstat_TcpActiveOpens [1-9][0-9]*$' &&
            echo "$f" | grep -Eq '^tcpipd_interface_tx_packets_total\{interface="lo"\} [1-9][0-9]*$' ||
            { echo "$f" | head -5 | sed 's/^/#   /'; return 1; }
    done
    # Every line a comment or "name{labels} value" (the text format).
    echo "$out" | grep -Evq '^(# (HELP|TYPE) .*|[a-zA-Z_:][a-zA-Z0-9_:]*(\{[^}]*\})? [0-9.e+-]+)$' &&
        { note "a line out of the format"; return 1; }
    return 0
}
check "tcpipctl stats --prometheus and the daemon's textfile: the exposition format" prom_ok

proc_wait "$HOLD_PID" 30
tcpipd_stop "$A_PID"
check "no sanitizer report" no_sanitizer_report "$TMP/a.log"
itest_done
