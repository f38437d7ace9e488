#!/bin/bash
# test_routes.sh - tcpipd on two TAPs on two subnets, with the kernel of
# the test namespace as a router to a third subnet in a second namespace
# (the "far" host), and static routes of both families in the config:
# a default route per family, and longer prefixes that win over them
# (longest prefix match). The far host's pings and a TCP stream reach the
# stack, and the replies leave by the interface the routes say (seen by
# tcpdump on the kernel side of each TAP). Then the routes change live
# (tcpipctl route del|add) and the path follows at once.
#
# Run by tests/run.sh with TCPIPD=/abs/build/asan/tcpipd; needs root,
# /dev/net/tun, `ip netns`, ping, tcpdump, python3, cc.
#
# Addresses (inside the namespaces only; no default route anywhere):
#   tcpip0: stack 10.77.0.2/24, fd77::2/112; kernel (router) 10.77.0.1, fd77::1
#   tcpip1: stack 10.77.1.2/24, fd77::1:2/112; kernel (router) 10.77.1.1, fd77::1:1
#   veth rt0 <-> far0: router 10.77.2.1/24, fd77::2:1/112;
#                      far host 10.77.2.2 and 10.77.2.130 /24, fd77::2:2/112
# tcpipd's routes: default via 10.77.1.1 (tcpip1); 10.77.2.128/25 via
# 10.77.0.1 (tcpip0); IPv6 default via fd77::1 (tcpip0); fd77::2:0/112 via
# fd77::1:1 (tcpip1).

. "$(dirname "$0")/lib.sh"

ITEST_CHECKS=(
    "two namespaces: the test's kernel routes between tcpip0, tcpip1 and the far host"
    "tcpipd starts on two TAPs with static routes of both families"
    "tcpipctl route: the static routes with their gateways, devices and metrics"
    "far 10.77.2.2 pings 10.77.1.2: the replies leave by tcpip1 (the default route)"
    "far 10.77.2.130 pings 10.77.1.2: the replies leave by tcpip0 (10.77.2.128/25 is longer)"
    "far 10.77.2.2 pings 10.77.0.2 (tcpip0's address): the replies leave by tcpip1"
    "far host to the tcp echo at 10.77.1.2 through the router: 2 MiB back identical"
    "far fd77::2:2 pings fd77::1:2: the replies leave by tcpip1 (fd77::2:0/112 beats the default)"
    "route del of 10.77.2.128/25 (tcpipctl): the replies to 10.77.2.130 move to tcpip1 at once"
    "route add of 10.77.2.0/24 via 10.77.0.1 dev tcpip0 metric 5: the replies to 10.77.2.2 move to tcpip0"
    "route add with a gateway off every subnet: refused with the config's message, exit 1"
    "radvd with RDNSS and DNSSL (RFC 8106): tcpipctl status shows the server and the domain"
    "no sanitizer report"
)
itest_init routes ping tcpdump python3 cc radvd
ns_create || itest_unavailable "cannot create a namespace"
FAR=tcpip-far-$$
farx() { ip netns exec "$FAR" "$@"; }

BUILD_DIR=$(dirname "$TCPIPD")
CTL=$BUILD_DIR/tcpipctl
[ -x "$CTL" ] || CTL=$ITEST_REPO/build/tcpipctl
CTL_SOCK=$TMP/control.sock
ctl() { "$CTL" -s "$CTL_SOCK" "$@"; }

topology_ok() { far_create "$FAR" 1500 10.77.2.2/24 10.77.2.130/24 fd77::2:2/112; }
check "two namespaces: the test's kernel routes between tcpip0, tcpip1 and the far host" topology_ok

cat >"$TMP/a.json" <<JSON
{
  "log_level": "info",
  "interfaces": [
    { "name": "tcpip0", "mac": "02:77:00:00:00:02",
      "ipv4": { "address": "10.77.0.2/24" },
      "ipv6": { "addresses": ["fd77::2/112"], "slaac": false },
      "host": { "configure": true, "ipv4": "10.77.0.1/24", "ipv6": "fd77::1/112" } },
    { "name": "tcpip1", "mac": "02:77:00:00:01:02",
      "ipv4": { "address": "10.77.1.2/24" },
      "ipv6": { "addresses": ["fd77::1:2/112"], "slaac": false },
      "host": { "configure": true, "ipv4": "10.77.1.1/24", "ipv6": "fd77::1:1/112" } }
  ],
  "routes": [
    { "to": "default", "via": "10.77.1.1" },
    { "to": "10.77.2.128/25", "via": "10.77.0.1", "dev": "tcpip0" },
    { "to": "default", "via": "fd77::1", "dev": "tcpip0" },
    { "to": "fd77::2:0/112", "via": "fd77::1:1" }
  ],
  "services": { "tcp_echo": { "enabled": true, "port": 7 } },
  "control": { "path": "$CTL_SOCK" }
}
JSON
tcpipd_start "$TMP/a.log" "$TMP/a.json"
A_PID=$TCPIPD_PID
if tcpipd_wait_ready "$TMP/a.log"; then
    ok "tcpipd starts on two TAPs with static routes of both families"
else
    not_ok "tcpipd starts on two TAPs with static routes of both families"
    show_log "$TMP/a.log"
    itest_done
fi
# The stack's IPv6 addresses finish DAD (a delay below 1 s, then 1 s)
# before the pings.
sleep 2.5

route_list_ok() {
    local out
    out=$(ctl route)
    echo "$out" | grep -Eq '^default +10\.77\.1\.1 +tcpip1 +static +global +0 +10\.77\.1\.2' &&
        echo "$out" | grep -Eq '^10\.77\.2\.128/25 +10\.77\.0\.1 +tcpip0 +static +global +0 +10\.77\.0\.2' &&
        echo "$out" | grep -Eq '^default +fd77::1 +tcpip0 +static +global +1024' &&
        echo "$out" | grep -Eq '^fd77::2:0/112 +fd77::1:1 +tcpip1 +static +global +1024' ||
        { echo "$out" | sed 's/^/#   /'; false; }
}
check "tcpipctl route: the static routes with their gateways, devices and metrics" route_list_ok

# replies_on DEV FILTER -- CMD...: run CMD with tcpdump on the kernel side
# of DEV; how many packets matched FILTER (in REPLIES).
replies_on() {
    local dev=$1 filter=$2 pid
    shift 3
    rm -f "$TMP/cap.pcap"
    nsx timeout 20 tcpdump -i "$dev" -n -U -w "$TMP/cap.pcap" "$filter" 2>/dev/null &
    pid=$!
    ITEST_PIDS+=("$pid")
    sleep 0.7 # tcpdump opens the device
    "$@" >/dev/null 2>&1
    sleep 0.3
    kill -INT "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    REPLIES=$(tcpdump -r "$TMP/cap.pcap" -n 2>/dev/null | wc -l)
}
# path_ok DEV OTHER FILTER PING-ARGS...: 5 pings answered, all 5 replies
# seen on DEV, none on OTHER.
path_ok() {
    local dev=$1 other=$2 filter=$3 got_dev got_other
    shift 3
    replies_on "$dev" "$filter" -- farx ping -n -c 5 -i 0.2 -W 2 "$@"
    got_dev=$REPLIES
    replies_on "$other" "$filter" -- farx ping -n -c 5 -i 0.2 -W 2 "$@"
    got_other=$REPLIES
    [ "$got_dev" -ge 5 ] && [ "$got_other" = 0 ] ||
        { note "replies on $dev: $got_dev, on $other: $got_other"; false; }
}
check "far 10.77.2.2 pings 10.77.1.2: the replies leave by tcpip1 (the default route)" \
    path_ok tcpip1 tcpip0 "icmp[0] == 0 and dst host 10.77.2.2" -I 10.77.2.2 10.77.1.2
check "far 10.77.2.130 pings 10.77.1.2: the replies leave by tcpip0 (10.77.2.128/25 is longer)" \
    path_ok tcpip0 tcpip1 "icmp[0] == 0 and dst host 10.77.2.130" -I 10.77.2.130 10.77.1.2
check "far 10.77.2.2 pings 10.77.0.2 (tcpip0's address): the replies leave by tcpip1" \
    path_ok tcpip1 tcpip0 "icmp[0] == 0 and dst host 10.77.2.2" -I 10.77.2.2 10.77.0.2

# TCP through the router: 2 MiB to the echo and back, compared.
tcp_ok() {
    head -c $((2 * 1024 * 1024)) /dev/urandom >"$TMP/in.bin"
    farx timeout 30 python3 - "$TMP/in.bin" "$TMP/out.bin" <<'PY' || return 1
import socket, sys, threading
data = open(sys.argv[1], "rb").read()
s = socket.create_connection(("10.77.1.2", 7), timeout=20)
def send():
    s.sendall(data)
    s.shutdown(socket.SHUT_WR)
threading.Thread(target=send, daemon=True).start()
out = bytearray()
while True:
    b = s.recv(65536)
    if not b:
        break
    out += b
open(sys.argv[2], "wb").write(out)
PY
    cmp -s "$TMP/in.bin" "$TMP/out.bin" || { note "echo differs: $(stat -c %s "$TMP/out.bin") bytes"; false; }
}
check "far host to the tcp echo at 10.77.1.2 through the router: 2 MiB back identical" tcp_ok

path6_ok() {
    local got1 got0
    replies_on tcpip1 "icmp6 and ip6[40] == 129" -- farx ping -6 -n -c 5 -i 0.2 -W 2 fd77::1:2
    got1=$REPLIES
    replies_on tcpip0 "icmp6 and ip6[40] == 129" -- farx ping -6 -n -c 5 -i 0.2 -W 2 fd77::1:2
    got0=$REPLIES
    [ "$got1" -ge 5 ] && [ "$got0" = 0 ] || { note "replies on tcpip1: $got1, on tcpip0: $got0"; false; }
}
check "far fd77::2:2 pings fd77::1:2: the replies leave by tcpip1 (fd77::2:0/112 beats the default)" \
    path6_ok

del_ok() {
    ctl route del 10.77.2.128/25 via 10.77.0.1 dev tcpip0 >/dev/null || return 1
    ctl route | grep -q '^10\.77\.2\.128/25' && { note "still listed"; return 1; }
    path_ok tcpip1 tcpip0 "icmp[0] == 0 and dst host 10.77.2.130" -I 10.77.2.130 10.77.1.2
}
check "route del of 10.77.2.128/25 (tcpipctl): the replies to 10.77.2.130 move to tcpip1 at once" del_ok

add_ok() {
    ctl route add 10.77.2.0/24 via 10.77.0.1 dev tcpip0 metric 5 >/dev/null || return 1
    ctl route --json | python3 -c '
import json, sys
r = [r for r in json.load(sys.stdin) if r["dst"] == "10.77.2.0/24"]
sys.exit(0 if r and r[0]["metric"] == 5 and r[0]["dev"] == "tcpip0" and r[0]["proto"] == "static" else 1)' ||
        { note "not listed as added"; return 1; }
    path_ok tcpip0 tcpip1 "icmp[0] == 0 and dst host 10.77.2.2" -I 10.77.2.2 10.77.1.2
}
check "route add of 10.77.2.0/24 via 10.77.0.1 dev tcpip0 metric 5: the replies to 10.77.2.2 move to tcpip0" add_ok

refused_ok() {
    local out st
    out=$(ctl route add 10.77.3.0/24 via 10.77.9.1 2>&1)
    st=$?
    [ "$st" = 1 ] && echo "$out" | grep -qF '"10.77.9.1" is not on-link (not in a subnet of any interface; a gateway must be on one of our subnets)' ||
        { note "exit $st: $out"; false; }
}
check "route add with a gateway off every subnet: refused with the config's message, exit 1" refused_ok

# RFC 8106: DNS servers and search domains in RAs (router lifetime 0:
# no default route from it).
rdnss_ok() {
    cat >"$TMP/radvd.conf" <<CONF
interface tcpip0 {
    AdvSendAdvert on;
    MinRtrAdvInterval 3;
    MaxRtrAdvInterval 4;
    AdvDefaultLifetime 0;
    RDNSS fd77::53 { AdvRDNSSLifetime 60; };
    DNSSL lab.test { AdvDNSSLLifetime 60; };
};
CONF
    bg_start RADVD_PID ip netns exec "$NS" radvd -n -C "$TMP/radvd.conf" -p "$TMP/radvd.pid" \
        -m logfile -l "$TMP/radvd.log"
    local i out
    for ((i = 0; i < 100; i++)); do
        out=$(ctl status)
        echo "$out" | grep -q '^ra tcpip0: dns server fd77::53 ([0-9]*sec)$' &&
            echo "$out" | grep -q '^ra tcpip0: dns search lab.test ([0-9]*sec)$' && break
        sleep 0.1
    done
    kill -TERM "$RADVD_PID" 2>/dev/null
    proc_wait "$RADVD_PID" 5
    echo "$out" | grep -q 'dns search lab.test' || { echo "$out" | sed 's/^/#   /'; false; }
}
check "radvd with RDNSS and DNSSL (RFC 8106): tcpipctl status shows the server and the domain" rdnss_ok

tcpipd_stop "$A_PID"
check "no sanitizer report" no_sanitizer_report "$TMP/a.log"
itest_done
