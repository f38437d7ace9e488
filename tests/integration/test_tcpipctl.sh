#!/bin/bash
# test_tcpipctl.sh - tcpipctl against a running tcpipd in a namespace: every
# command as a table and as --json (parsed with python3), the TCP
# connection the kernel made to the echo service in `sockets`, a pcap
# capture started from the config and one from tcpipctl, read back with
# tshark and tcpdump to find the SYN, SYN-ACK, ACK of a handshake, the size
# bound, access control and the "daemon not running" error.
#
# Run by tests/run.sh with TCPIPD=/abs/build/asan/tcpipd; tcpipctl is
# taken from the same directory (or TCPIPCTL). Needs root, /dev/net/tun,
# `ip netns`, nc (netcat-openbsd), tshark, tcpdump, python3.
#
# Addresses (inside the namespace only): stack 10.77.0.2/24, fd77::2/64 and
# fe80::77:ff:fe00:2 (from its MAC); kernel 10.77.0.1/24, fd77::1/64.

. "$(dirname "$0")/lib.sh"

ITEST_CHECKS=(
    "tcpipd starts with a control socket, replacing a stale one"
    "ping -6 to the stack's fd77::2 (DAD done)"
    "status: table and json"
    "link: table and json"
    "addr: table and json"
    "route: table and json"
    "neigh: the kernel's address and MAC, table and json"
    "neigh: the kernel's fd77::1 after ping -6, with its NUD state"
    "sockets: the kernel's connection to echo is ESTABLISHED with cwnd/rtt and owner"
    "sockets: the listener and the UDP service"
    "stats: grouped counters, table and json"
    "capture from the config: a readable pcap with the startup ARP"
    "capture start/stop via tcpipctl; tshark finds SYN, SYN-ACK, ACK"
    "tcpdump -r reads the capture and sees the same handshake"
    "capture: a bad filter is refused with a clear message"
    "capture: the size bound stops the capture"
    "unknown command and bad usage: exit 2"
    "a user who may not open the socket: exit 1, permission denied"
    "a user who is not root nor tcpipd's: refused by the daemon"
    "daemon not running: exit 1 and 'is tcpipd running?'"
    "SIGTERM: exit 0 and the socket file is removed"
    "no sanitizer report"
)
itest_init tcpipctl nc tshark tcpdump python3 setpriv
TCPIPCTL=${TCPIPCTL:-$(dirname "$TCPIPD")/tcpipctl}
[ -x "$TCPIPCTL" ] || itest_unavailable "TCPIPCTL=$TCPIPCTL is not an executable (make)"
ns_create || itest_unavailable "cannot create a namespace"
note "tcpipctl=$TCPIPCTL"
# IPv6 inside the namespace only, as in test_ipv6.sh: on for new devices,
# no DAD delay for the kernel's fresh address, no RAs taken.
nsx sysctl -qw net.ipv6.conf.all.disable_ipv6=0 net.ipv6.conf.default.disable_ipv6=0 \
    net.ipv6.conf.default.accept_dad=0 net.ipv6.conf.default.accept_ra=0 ||
    itest_unavailable "cannot enable IPv6 in the namespace"

SOCK=$TMP/ctl/control.sock
BOOT_PCAP=$TMP/boot.pcap
write_config "$TMP/base.json" '{
    "udp_echo": { "enabled": true, "port": 7 },
    "tcp_echo": { "enabled": true, "port": 7 }
  }'
# Add the control and capture keys and IPv6 to the usual test config.
python3 - "$TMP/base.json" "$TMP/a.json" "$SOCK" "$BOOT_PCAP" <<'PY'
import json, sys
cfg = json.load(open(sys.argv[1]))
iface = cfg["interfaces"][0]
iface["ipv6"] = {"addresses": ["fd77::2/64"], "slaac": False}
iface["host"]["ipv6"] = "fd77::1/64"
cfg["control"] = {"path": sys.argv[3], "mode": "0660"}
cfg["capture"] = {"path": sys.argv[4], "max_bytes": 1000000, "filter": "arp"}
json.dump(cfg, open(sys.argv[2], "w"), indent=2)
PY

# A stale socket file, as a crashed daemon leaves: replaced at start.
mkdir -p "$TMP/ctl"
python3 -c 'import socket,sys; s=socket.socket(socket.AF_UNIX); s.bind(sys.argv[1])' "$SOCK"

ctl() { "$TCPIPCTL" -s "$SOCK" "$@"; }
# json_check CMD PYEXPR: run `tcpipctl CMD --json`, evaluate PYEXPR with d
# bound to the parsed data; ok if it is true.
json_check() {
    local cmd=$1 expr=$2 out
    out=$(ctl $cmd --json) || { note "tcpipctl $cmd --json failed"; return 1; }
    if ! printf '%s' "$out" | python3 -c "import json,sys; d=json.load(sys.stdin); sys.exit(0 if ($expr) else 1)"; then
        note "tcpipctl $cmd --json: ($expr) is false in:"
        printf '%s\n' "$out" | head -n 60 | sed 's/^/#   /'
        return 1
    fi
}
# table_has CMD REGEX: the table output of CMD has a line matching REGEX.
table_has() {
    local out
    out=$(ctl $1) || { note "tcpipctl $1 failed"; return 1; }
    if ! printf '%s\n' "$out" | grep -Eq -- "$2"; then
        note "tcpipctl $1: no line matches /$2/ in:"
        printf '%s\n' "$out" | sed 's/^/#   /'
        return 1
    fi
}

tcpipd_start "$TMP/a.log" "$TMP/a.json" -l debug
if tcpipd_wait_ready "$TMP/a.log" && [ -S "$SOCK" ] &&
    grep -q "control: replacing stale socket $SOCK" "$TMP/a.log" &&
    grep -q "control: listening on $SOCK (mode 0660)" "$TMP/a.log"; then
    ok "tcpipd starts with a control socket, replacing a stale one"
else
    not_ok "tcpipd starts with a control socket, replacing a stale one"
    show_log "$TMP/a.log"
    itest_done
fi
PID=$TCPIPD_PID
LINKLOCAL=fe80::77:ff:fe00:2

# The stack answers on fd77::2 once its DAD is over (a delay below 1 s,
# RFC 4862 5.4.2, then 1 s); the ping also puts the kernel's fd77::1 in
# the stack's neighbour cache. Each address has its own delay, so wait
# until none is tentative any more before the tables are checked.
ping6_ready() {
    local i
    for ((i = 0; i < 10; i++)); do
        nsx timeout 3 ping -6 -n -c 1 -W 1 fd77::2 >/dev/null 2>&1 && break
    done
    [ "$i" -lt 10 ] || { note "no answer from fd77::2"; return 1; }
    for ((i = 0; i < 50; i++)); do
        ctl addr 2>/dev/null | grep -q tentative || return 0
        sleep 0.1
    done
    note "an address is still tentative after 5 s"
    false
}
check "ping -6 to the stack's fd77::2 (DAD done)" ping6_ready

status_ok() {
    table_has status "^tcpipd [0-9.]+, pid $PID, uid 0, up " &&
        table_has status '^interfaces: 1, tcp connections: [0-9]+' &&
        table_has status '^addresses: 5$' &&
        table_has status '^  lo inet 127\.0\.0\.1/8$' &&
        table_has status '^  tcpip0 inet 10\.77\.0\.2/24$' &&
        table_has status '^  tcpip0 inet6 fd77::2/64 preferred$' &&
        table_has status '^  tcp echo port 7: ' &&
        table_has status "^capture: writing $BOOT_PCAP, filter arp" &&
        json_check status "d['pid'] == $PID and d['interfaces'] == 1 and d['uptime_s'] >= 0 and
            sorted((s['proto'], s['name'], s['port']) for s in d['services']) == [('tcp','echo',7), ('udp','echo',7)]
            and d['capture']['active'] and d['capture']['filter'] == 'arp'
            and {'ifname':'tcpip0','family':'inet6','address':'fd77::2/64','state':'preferred'} in d['addresses']"
}
check "status: table and json" status_ok

link_ok() {
    table_has link '^IDX +NAME +MAC +MTU +STATE +RX-FRAMES' &&
        table_has link '^ +[0-9]+ +lo +- +65535 +UP +[0-9]+' &&
        table_has link '^ +[0-9]+ +tcpip0 +02:77:00:00:00:02 +1500 +UP +[0-9]+' &&
        json_check link "len(d) == 2 and d[0]['name'] == 'lo' and d[0]['type'] == 'loopback'
            and d[1]['name'] == 'tcpip0' and d[1]['mac'] == '02:77:00:00:00:02'
            and d[1]['mtu'] == 1500 and d[1]['up'] and d[1]['tx_frames'] >= 1"
}
check "link: table and json" link_ok

addr_ok() {
    table_has addr '^DEV +FAMILY +ADDRESS +DETAILS$' &&
        table_has addr '^tcpip0 +inet +10\.77\.0\.2/24 +brd 10\.77\.0\.255 scope global$' &&
        table_has addr '^tcpip0 +inet6 +fd77::2/64 +scope global preferred valid_lft forever preferred_lft forever$' &&
        table_has addr "^tcpip0 +inet6 +$LINKLOCAL/64 +scope link preferred valid_lft forever preferred_lft forever$" &&
        table_has addr '^lo +inet +127\.0\.0\.1/8 +scope host$' &&
        json_check addr "len(d) == 5 and d[2] == {'ifname':'tcpip0','family':'inet','address':'10.77.0.2','prefix_len':24,'broadcast':'10.77.0.255','scope':'global',
                 'dynamic':False,'valid_lft_s':None,'preferred_lft_s':None}
            and {'ifname':'tcpip0','family':'inet6','address':'fd77::2','prefix_len':64,'scope':'global','state':'preferred',
                 'dynamic':False,'stable_privacy':False,'valid_lft_s':None,'preferred_lft_s':None} in d
            and any(a['address'] == '$LINKLOCAL' and a['scope'] == 'link' for a in d)"
}
check "addr: table and json" addr_ok

route_ok() {
    table_has route '^DESTINATION +GATEWAY +DEV +PROTO +SCOPE +METRIC +SRC +EXPIRES$' &&
        table_has route '^10\.77\.0\.0/24 +- +tcpip0 +kernel +link +0 +10\.77\.0\.2 +-$' &&
        table_has route '^fd77::/64 +- +tcpip0 +kernel +link +256 +- +-$' &&
        table_has route '^fe80::/64 +- +tcpip0 +kernel +link +256 +- +-$' &&
        json_check route "len(d) == 3 and d[0]['dst'] == '10.77.0.0/24' and d[0]['gateway'] is None
            and {'family':'inet6','dst':'fd77::/64','gateway':None,'dev':'tcpip0','scope':'link','proto':'kernel',
                 'metric':256,'src':None,'expires_s':None} in d"
}
check "route: table and json" route_ok

# ---- a TCP connection from the kernel to the echo service, held open ----
bg_start NC_PID ip netns exec "$NS" sh -c 'sleep 8 | nc 10.77.0.2 7 >/dev/null'
established() {
    ctl sockets --json 2>/dev/null | python3 -c "import json,sys
d=json.load(sys.stdin)
sys.exit(0 if any(s['state']=='ESTABLISHED' and s['remote'].startswith('10.77.0.1:') for s in d['tcp']) else 1)"
}
for _ in $(seq 1 50); do established && break; sleep 0.1; done

HOST_MAC=$(ip -n "$NS" -o link show tcpip0 | sed -n 's/.*link\/ether \([0-9a-f:]*\).*/\1/p')
neigh_ok() {
    table_has neigh '^ADDRESS +DEV +LLADDR +STATE +AGE' &&
        table_has neigh "^10\.77\.0\.1 +tcpip0 +$HOST_MAC +(REACHABLE|STALE) +[0-9]+$" &&
        json_check neigh "any(n['address']=='10.77.0.1' and n['mac']=='$HOST_MAC' and n['ifname']=='tcpip0'
            and n['state'] in ('REACHABLE','STALE') and n['age_ms'] >= 0 for n in d)"
}
check "neigh: the kernel's address and MAC, table and json" neigh_ok

# RFC 4861 7.3.2: whatever NUD state the entry is in by now.
neigh6_ok() {
    nsx timeout 3 ping -6 -n -c 1 -W 1 fd77::2 >/dev/null 2>&1
    table_has neigh "^fd77::1 +tcpip0 +$HOST_MAC +(REACHABLE|STALE|DELAY|PROBE) +[0-9]+$" &&
        json_check neigh "any(n['address']=='fd77::1' and n['family']=='inet6' and n['mac']=='$HOST_MAC'
            and n['state'] in ('REACHABLE','STALE','DELAY','PROBE') for n in d)"
}
check "neigh: the kernel's fd77::1 after ping -6, with its NUD state" neigh6_ok

sockets_conn_ok() {
    table_has sockets '^Netid +State +Recv-Q +Send-Q +Local Address:Port +Peer Address:Port +cwnd +rtt\(ms\) +Process$' &&
        table_has sockets "^tcp +ESTABLISHED +[0-9]+ +[0-9]+ +\[::ffff:10\.77\.0\.2\]:7 +\[::ffff:10\.77\.0\.1\]:[0-9]+ +[0-9]+ +[0-9.]+/[0-9.]+ +tcpipd\(pid=$PID,uid=0\)$" &&
        json_check sockets "any(s['state']=='ESTABLISHED' and s['local']=='[::ffff:10.77.0.2]:7' and s['remote'].startswith('[::ffff:10.77.0.1]:')
            and s['cwnd'] > 0 and s['srtt_us'] >= 0 and s['rto_us'] > 0 and s['mss'] > 0
            and s['owner'] == {'pid': $PID, 'uid': 0, 'name': 'tcpipd'} for s in d['tcp'])"
}
check "sockets: the kernel's connection to echo is ESTABLISHED with cwnd/rtt and owner" sockets_conn_ok

sockets_other_ok() {
    table_has sockets '^tcp +LISTEN +0 +[0-9]+ +\[::\]:7 +\*:\* +- +- +tcpipd' &&
        table_has sockets '^udp +UNCONN +0 +0 +\[::\]:7 +\*:\* ' &&
        json_check sockets "any(s['state']=='LISTEN' and s['local']=='[::]:7' for s in d['tcp'])
            and [u['local'] for u in d['udp']] == ['[::]:7'] and d['udp'][0]['service'] == 'echo'"
}
check "sockets: the listener and the UDP service" sockets_other_ok

stats_ok() {
    table_has stats '^tcp:$' && table_has stats '^    passive_opens: [1-9][0-9]*$' &&
        table_has stats '^eth:$' &&
        json_check stats "list(d)[:3] == ['eth','arp','ipv4'] and d['tcp']['passive_opens'] >= 1
            and d['tcp']['established'] >= 1 and d['eth']['rx_frames'] > 0"
}
check "stats: grouped counters, table and json" stats_ok

# ---- capture from the config: ARP only ----
boot_capture_ok() {
    ctl capture stop >/dev/null || return 1
    local out
    out=$(tshark -r "$BOOT_PCAP" -T fields -e eth.type -e arp.src.proto_ipv4 2>/dev/null) || {
        note "tshark cannot read $BOOT_PCAP"
        return 1
    }
    # The gratuitous ARP for 10.77.0.2 at startup, and nothing but ARP.
    printf '%s\n' "$out" | grep -q '^0x0806[[:space:]]10\.77\.0\.2$' &&
        ! printf '%s\n' "$out" | grep -vq '^0x0806' || {
        note "boot capture:"
        printf '%s\n' "$out" | sed 's/^/#   /' | head -n 20
        false
    }
}
check "capture from the config: a readable pcap with the startup ARP" boot_capture_ok

# ---- capture a handshake made now ----
HS_PCAP=$TMP/hs.pcap
handshake_captured() {
    # A relative FILE: tcpipctl sends it made absolute against its cwd.
    (cd "$TMP" && ctl capture start hs.pcap tcp and port 7) >"$TMP/cs.out" || return 1
    grep -q "^capture: writing $HS_PCAP, filter tcp and port 7" "$TMP/cs.out" || {
        note "capture start printed: $(cat "$TMP/cs.out")"
        return 1
    }
    local reply
    reply=$(printf 'capture me\n' | nsx timeout 10 nc -N -w 5 -p 40777 10.77.0.2 7)
    [ "$reply" = "capture me" ] || { note "echo replied: $reply"; return 1; }
    sleep 0.3 # the last ACK/FIN exchange
    ctl capture stop >/dev/null || return 1
    local out
    out=$(tshark -r "$HS_PCAP" -T fields -e tcp.srcport -e tcp.dstport -e tcp.flags 2>/dev/null) || {
        note "tshark cannot read $HS_PCAP"
        return 1
    }
    printf '%s\n' "$out" >"$TMP/hs.fields"
    # First three segments of the connection from port 40777: SYN, SYN-ACK, ACK.
    python3 - "$TMP/hs.fields" <<'PY' || { note "tshark saw:"; sed 's/^/#   /' "$TMP/hs.fields" | head -n 20; false; }
import sys
rows = [l.split() for l in open(sys.argv[1]) if l.strip()]
conn = [(int(s), int(d), int(f, 16)) for s, d, f in rows if 40777 in (int(s), int(d))]
SYN, ACK = 0x02, 0x10
ok = (len(conn) >= 3
      and conn[0] == (40777, 7, SYN)
      and conn[1] == (7, 40777, SYN | ACK)
      and conn[2][:2] == (40777, 7) and conn[2][2] & (SYN | ACK) == ACK)
sys.exit(0 if ok else 1)
PY
}
check "capture start/stop via tcpipctl; tshark finds SYN, SYN-ACK, ACK" handshake_captured

tcpdump_reads() {
    local out
    out=$(tcpdump -nn -r "$HS_PCAP" 2>/dev/null) || return 1
    printf '%s\n' "$out" | grep -q '10\.77\.0\.1\.40777 > 10\.77\.0\.2\.7: Flags \[S\]' &&
        printf '%s\n' "$out" | grep -q '10\.77\.0\.2\.7 > 10\.77\.0\.1\.40777: Flags \[S\.\]' || {
        printf '%s\n' "$out" | sed 's/^/#   /' | head -n 10
        false
    }
}
check "tcpdump -r reads the capture and sees the same handshake" tcpdump_reads

bad_filter_refused() {
    local err rc
    err=$(ctl capture start "$TMP/bad.pcap" tcp or udp 2>&1)
    rc=$?
    [ $rc -eq 1 ] && printf '%s' "$err" | grep -q 'filter: expected "and" before "or"' &&
        [ ! -e "$TMP/bad.pcap" ] || { note "rc $rc: $err"; false; }
}
check "capture: a bad filter is refused with a clear message" bad_filter_refused

size_bound_ok() {
    ctl capture start "$TMP/small.pcap" --max-bytes 3000 >/dev/null || return 1
    nsx ping -n -c 5 -i 0.2 -s 1000 -W 1 10.77.0.2 >/dev/null 2>&1
    local size
    size=$(stat -c %s "$TMP/small.pcap")
    json_check "capture status" "not d['active'] and d['stopped_full'] and d['bytes'] <= 3000 and d['bytes'] == $size" &&
        grep -q "capture: $TMP/small.pcap reached max_bytes 3000; stopping" "$TMP/a.log" &&
        tshark -r "$TMP/small.pcap" >/dev/null 2>&1
}
check "capture: the size bound stops the capture" size_bound_ok

usage_ok() {
    ctl frobnicate >/dev/null 2>&1
    [ $? -eq 2 ] || return 1
    ctl status extra >/dev/null 2>&1
    [ $? -eq 2 ] || return 1
    "$TCPIPCTL" --help | grep -q '^Usage: tcpipctl'
}
check "unknown command and bad usage: exit 2" usage_ok

# ---- access: the socket file's mode, then the daemon's own check ----
chmod 0711 "$TMP" "$TMP/ctl"
as_nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$TCPIPCTL" -s "$SOCK" "$@"; }
denied_by_mode() {
    local err rc
    err=$(as_nobody status 2>&1)
    rc=$?
    [ $rc -eq 1 ] && printf '%s' "$err" | grep -q "cannot connect to $SOCK: Permission denied (run as root" ||
        { note "rc $rc: $err"; false; }
}
check "a user who may not open the socket: exit 1, permission denied" denied_by_mode

denied_by_daemon() {
    local err rc
    chmod 0666 "$SOCK"
    err=$(as_nobody sockets 2>&1)
    rc=$?
    chmod 0660 "$SOCK"
    [ $rc -eq 1 ] && printf '%s' "$err" | grep -q 'permission denied: uid 65534 is neither root nor' &&
        grep -q 'control: refused pid [0-9]* uid 65534' "$TMP/a.log" || { note "rc $rc: $err"; false; }
}
check "a user who is not root nor tcpipd's: refused by the daemon" denied_by_daemon

not_running() {
    local err rc
    err=$("$TCPIPCTL" -s "$TMP/none.sock" status 2>&1)
    rc=$?
    [ $rc -eq 1 ] && [ "$err" = "tcpipctl: cannot connect to $TMP/none.sock: No such file or directory (is tcpipd running?)" ] ||
        { note "rc $rc: $err"; false; }
}
check "daemon not running: exit 1 and 'is tcpipd running?'" not_running

proc_wait "$NC_PID" 15
stop_ok() {
    tcpipd_stop "$PID" && [ "$TCPIPD_STATUS" -eq 0 ] && [ ! -e "$SOCK" ] ||
        { note "status $TCPIPD_STATUS"; ls -la "$TMP/ctl" | sed 's/^/#   /'; false; }
}
check "SIGTERM: exit 0 and the socket file is removed" stop_ok
check "no sanitizer report" no_sanitizer_report "$TMP/a.log"

itest_done
