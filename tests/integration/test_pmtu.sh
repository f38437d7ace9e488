#!/bin/bash
# test_pmtu.sh - path MTU end to end: tcpipd on a TAP (MTU 1500), the
# test namespace's kernel routing to a far host over a link of MTU 1280
# (its own side at 1500, so it asks for 1460-byte segments). Bulk chargen
# from tcpipd to the far host must complete over IPv4 (RFC 1191: the
# router's "fragmentation needed") and IPv6 (RFC 8201: Packet Too Big).
# Then nft inside the router namespace drops those ICMP errors (a black
# hole) and the same transfers to a second far address must still
# complete, through TCP's black-hole detection (RFC 4821 10.3).
#
# Run by tests/run.sh with TCPIPD=/abs/build/asan/tcpipd; needs root,
# /dev/net/tun, `ip netns`, python3, nft (scripts/deps.sh test).
#
# Addresses (inside the namespaces only; no default route anywhere):
#   tcpip0: stack 10.77.0.2/24, fd77::2/112; kernel (router) 10.77.0.1, fd77::1
#   rt0 (router, MTU 1280) <-> far0 (far host, MTU 1500): 10.77.2.1/24,
#   fd77::2:1/112 <-> 10.77.2.2 and .3 /24, fd77::2:2 and ::2:3 /112

. "$(dirname "$0")/lib.sh"

BYTES=$((4 * 1024 * 1024))
ITEST_CHECKS=(
    "a router namespace with a 1280-byte link to the far host"
    "tcpipd starts with routes to the far subnet"
    "IPv4: 4 MiB of chargen to the far host complete through the 1280 link (RFC 1191)"
    "IPv4: the path MTU was lowered by the router's fragmentation needed, the MSS follows"
    "IPv6: 4 MiB of chargen complete through the 1280 link (RFC 8201)"
    "IPv6: the path MTU was lowered by Packet Too Big"
    "black hole (nft drops the ICMP errors in the router): IPv4 transfer completes (RFC 4821)"
    "black hole: IPv6 transfer completes"
    "black hole: detected by TCP (tcp.pmtu_blackholes), no ICMP error reached tcpipd"
    "no sanitizer report"
)
itest_init pmtu python3 nft
ns_create || itest_unavailable "cannot create a namespace"
FAR=tcpip-far-$$
farx() { ip netns exec "$FAR" "$@"; }

BUILD_DIR=$(dirname "$TCPIPD")
CTL=$BUILD_DIR/tcpipctl
[ -x "$CTL" ] || CTL=$ITEST_REPO/build/tcpipctl
CTL_SOCK=$TMP/control.sock
ctl() { "$CTL" -s "$CTL_SOCK" "$@"; }
stat_of() { # GROUP KEY
    ctl stats --json | python3 -c 'import json, sys; print(json.load(sys.stdin)[sys.argv[1]][sys.argv[2]])' "$1" "$2"
}

# The router's side of the far link at 1280; the far host's at 1500, so
# it asks for 1460-byte segments.
topology_ok() {
    far_create "$FAR" 1280 10.77.2.2/24 10.77.2.3/24 fd77::2:2/112 fd77::2:3/112
}
check "a router namespace with a 1280-byte link to the far host" topology_ok

cat >"$TMP/a.json" <<JSON
{
  "log_level": "info",
  "interfaces": [
    { "name": "tcpip0", "mac": "02:77:00:00:00:02",
      "ipv4": { "address": "10.77.0.2/24" },
      "ipv6": { "addresses": ["fd77::2/112"], "slaac": false },
      "host": { "configure": true, "ipv4": "10.77.0.1/24", "ipv6": "fd77::1/112" } }
  ],
  "routes": [
    { "to": "10.77.2.0/24", "via": "10.77.0.1" },
    { "to": "fd77::2:0/112", "via": "fd77::1" }
  ],
  "services": { "tcp_chargen": { "enabled": true, "port": 19 } },
  "control": { "path": "$CTL_SOCK" }
}
JSON
tcpipd_start "$TMP/a.log" "$TMP/a.json"
A_PID=$TCPIPD_PID
if tcpipd_wait_ready "$TMP/a.log"; then
    ok "tcpipd starts with routes to the far subnet"
else
    not_ok "tcpipd starts with routes to the far subnet"
    show_log "$TMP/a.log"
    itest_done
fi
sleep 2.5 # DAD of fd77::2

# chargen FROM TO: read $BYTES of RFC 864 from TO:19, bound to FROM, each
# line the one before shifted by one character; 60 s at most.
cat >"$TMP/chargen.py" <<'PY'
import socket, sys, time
src, dst, want = sys.argv[1], sys.argv[2], int(sys.argv[3])
fam = socket.AF_INET6 if ":" in dst else socket.AF_INET
s = socket.socket(fam, socket.SOCK_STREAM)
s.settimeout(20)
s.bind((src, 0))
s.connect((dst, 19))
buf = bytearray()
t0 = time.time()
while len(buf) < want and time.time() - t0 < 60:
    b = s.recv(1 << 16)
    if not b:
        break
    buf += b
s.close()
if len(buf) < want:
    print("# got %d of %d bytes in %.1f s" % (len(buf), want, time.time() - t0))
    sys.exit(1)
lines = bytes(buf[: want - want % 74]).split(b"\r\n")[:-1]
chars = bytes(range(0x20, 0x7F))
first = chars.index(lines[0][0:1])
for i, l in enumerate(lines):
    k = (first + i) % 95
    exp = (chars[k:] + chars[:k] + chars)[:72]
    if l != exp:
        print("# line %d differs" % i)
        sys.exit(1)
print("# %d bytes in %.2f s" % (len(buf), time.time() - t0))
PY
chargen() { farx timeout 90 python3 "$TMP/chargen.py" "$1" "$2" "$BYTES"; }

check "IPv4: 4 MiB of chargen to the far host complete through the 1280 link (RFC 1191)" \
    chargen 10.77.2.2 10.77.0.2
pmtu4_ok() {
    local n
    n=$(stat_of ipv4 pmtu_updates) || return 1
    [ "$n" -ge 1 ] || { note "ipv4.pmtu_updates $n"; return 1; }
    # A connection held open: its MSS is the path's, 1280 - 40 - 12.
    farx timeout 20 python3 -c '
import socket, time
s = socket.socket()
s.bind(("10.77.2.2", 0))
s.connect(("10.77.0.2", 19))
s.recv(100000)
time.sleep(3)' &
    local pid=$! mss i
    ITEST_PIDS+=("$pid")
    for ((i = 0; i < 30; i++)); do
        mss=$(ctl sockets --json | python3 -c '
import json, sys
c = [s for s in json.load(sys.stdin)["tcp"] if "10.77.2.2" in s["remote"] and s["state"] == "ESTABLISHED"]
print(c[0]["mss"] if c else "")')
        [ -n "$mss" ] && break
        sleep 0.1
    done
    wait "$pid" 2>/dev/null
    [ "$mss" = 1228 ] || { note "mss '$mss' (expected 1228)"; false; }
}
check "IPv4: the path MTU was lowered by the router's fragmentation needed, the MSS follows" pmtu4_ok

check "IPv6: 4 MiB of chargen complete through the 1280 link (RFC 8201)" chargen fd77::2:2 fd77::2
pmtu6_ok() {
    local n
    n=$(stat_of ipv6 pmtu_updates) || return 1
    [ "$n" -ge 1 ] || { note "ipv6.pmtu_updates $n"; false; }
}
check "IPv6: the path MTU was lowered by Packet Too Big" pmtu6_ok

# The black hole: the router still drops what is too big, but its ICMP
# errors never leave it (locally generated: the output hook).
nsx nft -f - <<'NFT' || not_ok "nft: black hole rules"
table inet tcpip_blackhole {
    chain out {
        type filter hook output priority 0; policy accept;
        icmp type destination-unreachable icmp code frag-needed drop
        icmpv6 type packet-too-big drop
    }
}
NFT
FN0=$(stat_of icmp4 rx_frag_needed)
PTB0=$(stat_of icmp6 rx_pkt_too_big 2>/dev/null || echo 0)
check "black hole (nft drops the ICMP errors in the router): IPv4 transfer completes (RFC 4821)" \
    chargen 10.77.2.3 10.77.0.2
check "black hole: IPv6 transfer completes" chargen fd77::2:3 fd77::2
blackhole_ok() {
    local bh fn ptb
    bh=$(stat_of tcp pmtu_blackholes) && fn=$(stat_of icmp4 rx_frag_needed) || return 1
    ptb=$(stat_of icmp6 rx_pkt_too_big 2>/dev/null || echo 0)
    [ "$bh" -ge 2 ] && [ "$fn" = "$FN0" ] && [ "$ptb" = "$PTB0" ] ||
        { note "pmtu_blackholes $bh, frag_needed $FN0 -> $fn, packet too big $PTB0 -> $ptb"; false; }
}
check "black hole: detected by TCP (tcp.pmtu_blackholes), no ICMP error reached tcpipd" blackhole_ok

tcpipd_stop "$A_PID"
check "no sanitizer report" no_sanitizer_report "$TMP/a.log"
itest_done
