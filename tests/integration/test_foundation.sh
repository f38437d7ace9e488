#!/bin/bash
# test_foundation.sh - tcpipd on a TAP in a fresh network namespace, with the
# Linux kernel as its peer: ARP, ICMP echo (incl. a flood), UDP echo/discard
# and port unreachable, IPv4 fragments both ways (ping -s 3000, an 8000-byte
# UDP echo), a persistent TAP set up by the admin, the stable
# "auto" MAC, SIGHUP/SIGTERM, and configuration errors.
#
# Run by tests/run.sh with TCPIPD=/abs/build/asan/tcpipd; needs root,
# /dev/net/tun and `ip netns`. Prints "ok - ", "not ok - ", "skip - " lines.
#
# Addresses (inside the namespace only):
#   tcpip0 (created by tcpipd): stack 10.77.0.2/24, kernel 10.77.0.1/24
#   tcpip1 (persistent, made here): stack 10.77.1.2/24, kernel 10.77.1.1/24

. "$(dirname "$0")/lib.sh"

ITEST_CHECKS=(
    "tcpipd starts in the namespace and logs ready"
    "startup log: interface line, services, ready"
    "host side of tcpip0 is up with 10.77.0.1/24, mtu 1500"
    "a second tcpipd on the busy TAP exits 3 with a clear message"
    "ping: 20 of 20 replies"
    "ping with a 1472-byte payload and DF: 3 of 3"
    "ping with a 3000-byte payload (fragments both ways): 2 of 2"
    "kernel neighbour entry for 10.77.0.2 has the configured MAC"
    "udp echo: 1000 random bytes come back identical"
    "udp echo: a 1472-byte datagram comes back identical"
    "udp echo: an 8000-byte datagram (fragments both ways) comes back identical"
    "udp discard: no reply and no error"
    "udp to a closed port: ICMP port unreachable on the wire"
    "udp to a closed port: the connected socket gets ECONNREFUSED"
    "flood ping: 10000 of 10000 replies"
    "tcpipd still running and answering after the flood"
    "stack timers run: ARP retries for a neighbour that never answers"
    "no busy loop: under 0.2 s of CPU in 3 s with timers pending"
    "SIGHUP with a valid file: reloaded, still running"
    "SIGHUP with a bad file: keeps the running config, still running"
    "SIGTERM: exit status 0 within 5 s"
    "the created TAP tcpip0 is gone after exit"
    "attaches to a persistent TAP set up by the admin (host.configure false)"
    "gratuitous ARP for 10.77.1.2 at startup"
    "ping over the persistent TAP, host MTU set to 1400"
    "persistent TAP survives tcpipd's exit (status 0)"
    "auto MAC: locally administered unicast, stable across restarts, used on the wire"
    "bad address: exits 1 naming interfaces[0].ipv4.address"
    "--check-config: bad file fails, good file prints OK"
    "-V prints the version; an unknown option exits 2"
    "no sanitizer report in any tcpipd run"
)
itest_init foundation ping socat tcpdump cmp awk
ns_create || itest_unavailable "cannot create a namespace"
start_s=$SECONDS

write_config "$TMP/a.json" '{
    "udp_echo": { "enabled": true, "port": 7 },
    "udp_discard": { "enabled": true, "port": 9 }
  }'
cp "$TMP/a.json" "$TMP/live.json" # the running daemon's file, rewritten for SIGHUP
logs=()

# ---- A: tcpipd creates tcpip0 and configures the host side ----

logs+=("$TMP/a.log")
tcpipd_start "$TMP/a.log" "$TMP/live.json"
A_PID=$TCPIPD_PID
if tcpipd_wait_ready "$TMP/a.log"; then
    ok "tcpipd starts in the namespace and logs ready"
else
    not_ok "tcpipd starts in the namespace and logs ready"
    show_log "$TMP/a.log"
    itest_done
fi

startup_log_ok() {
    grep -q 'info: config loaded from' "$TMP/a.log" &&
        grep -q 'info: tap: tcpip0 up, mtu 1500, mac 02:77:00:00:00:02, ipv4 10.77.0.2/24, gateway none' "$TMP/a.log" &&
        grep -q 'info: service: udp echo listening on \[::\]:7' "$TMP/a.log" &&
        grep -q 'info: service: udp discard listening on \[::\]:9' "$TMP/a.log" &&
        grep -Eq "^tcpipd\[$A_PID\]: info: ready" "$TMP/a.log" || { show_log "$TMP/a.log"; false; }
}
check "startup log: interface line, services, ready" startup_log_ok

host_side_ok() {
    local l a
    l=$(ip -n "$NS" link show tcpip0) && a=$(ip -n "$NS" -4 addr show dev tcpip0) || return 1
    echo "$l" | grep -q 'mtu 1500' && echo "$l" | grep -q '<.*UP.*>' &&
        echo "$a" | grep -q 'inet 10.77.0.1/24' || { note "$l"; note "$a"; false; }
}
check "host side of tcpip0 is up with 10.77.0.1/24, mtu 1500" host_side_ok

busy_ok() {
    logs+=("$TMP/busy.log")
    nsx timeout 10 "$TCPIPD" -c "$TMP/a.json" >"$TMP/busy.log" 2>&1
    local st=$?
    [ "$st" -eq 3 ] && grep -q 'cannot open TAP tcpip0: Device or resource busy' "$TMP/busy.log" ||
        { note "status $st"; show_log "$TMP/busy.log"; false; }
}
check "a second tcpipd on the busy TAP exits 3 with a clear message" busy_ok

check "ping: 20 of 20 replies" ping_ok 10.77.0.2 20 -i 0.05
check "ping with a 1472-byte payload and DF: 3 of 3" ping_ok 10.77.0.2 3 -i 0.2 -s 1472 -M do
# Above the MTU the kernel fragments the request; tcpipd reassembles it
# and fragments the reply (RFC 791 3.2).
check "ping with a 3000-byte payload (fragments both ways): 2 of 2" \
    ping_ok 10.77.0.2 2 -i 0.2 -s 3000

neigh_ok() {
    local n
    n=$(ip -n "$NS" neigh show 10.77.0.2 dev tcpip0)
    echo "$n" | grep -Eq 'lladdr 02:77:00:00:00:02 .*(REACHABLE|STALE|DELAY|PROBE)' ||
        { note "ip neigh: $n"; false; }
}
check "kernel neighbour entry for 10.77.0.2 has the configured MAC" neigh_ok

# udp_exchange PORT IN OUT: one datagram (IN's bytes) to 10.77.0.2:PORT over
# a connected UDP socket; what comes back in OUT, socat's errors in OUT.err.
udp_exchange() {
    nsx timeout 10 socat -T 3 -t 1 - "UDP:10.77.0.2:$1" <"$2" >"$3" 2>"$3.err"
}

echo_ok() { # size
    head -c "$1" /dev/urandom >"$TMP/echo$1.in"
    udp_exchange 7 "$TMP/echo$1.in" "$TMP/echo$1.out" || { sed 's/^/# /' "$TMP/echo$1.out.err"; return 1; }
    cmp "$TMP/echo$1.in" "$TMP/echo$1.out" || { note "sent $1 bytes, got $(wc -c <"$TMP/echo$1.out")"; false; }
}
check "udp echo: 1000 random bytes come back identical" echo_ok 1000
check "udp echo: a 1472-byte datagram comes back identical" echo_ok 1472
# One read of socat (its 8192-byte block) is one datagram: 8000 bytes go
# out in kernel fragments and come back in ours.
check "udp echo: an 8000-byte datagram (fragments both ways) comes back identical" echo_ok 8000

discard_ok() {
    head -c 1000 /dev/urandom >"$TMP/discard.in"
    # A closed port would fail the exchange with ECONNREFUSED.
    udp_exchange 9 "$TMP/discard.in" "$TMP/discard.out" || { sed 's/^/# /' "$TMP/discard.out.err"; return 1; }
    [ ! -s "$TMP/discard.out" ] && proc_running "$A_PID"
}
check "udp discard: no reply and no error" discard_ok

bg_start TD_PID ip netns exec "$NS" timeout 10 tcpdump -i tcpip0 -n -l -c 1 \
    'icmp[icmptype] == 3 and icmp[icmpcode] == 3' >"$TMP/td.out" 2>"$TMP/td.err"
wait_for_file_match "$TMP/td.err" 'listening on' 5 "$TD_PID" || note "tcpdump did not start: $(cat "$TMP/td.err")"
echo closed >"$TMP/closed.in"
udp_exchange 4444 "$TMP/closed.in" "$TMP/closed.out"
closed_status=$?
proc_wait "$TD_PID" 10
check "udp to a closed port: ICMP port unreachable on the wire" \
    grep -q '10.77.0.2 > 10.77.0.1: ICMP 10.77.0.2 udp port 4444 unreachable' "$TMP/td.out"
closed_refused_ok() {
    [ "$closed_status" -ne 0 ] && grep -q 'Connection refused' "$TMP/closed.out.err" ||
        { note "socat status $closed_status: $(cat "$TMP/closed.out.err")"; false; }
}
check "udp to a closed port: the connected socket gets ECONNREFUSED" closed_refused_ok

flood_ok() {
    local out t0=$SECONDS
    out=$(nsx timeout 120 ping -n -f -c 10000 -W 1 10.77.0.2 2>&1)
    note "flood ping took $((SECONDS - t0)) s"
    echo "$out" | grep -q '10000 packets transmitted, 10000 received, 0% packet loss' ||
        { echo "$out" | tail -n 3 | sed 's/^/# /'; false; }
}
check "flood ping: 10000 of 10000 replies" flood_ok
alive_ok() { proc_running "$A_PID" && ping_ok 10.77.0.2 3 -i 0.1; }
check "tcpipd still running and answering after the flood" alive_ok

# The stack's timers only run if the loop re-arms its ev_timer from
# stack_next_deadline(): make the stack resolve an address nobody owns
# (the kernel sends from 10.77.0.98: IP_TRANSPARENT allows a foreign source) and count
# its ARP requests, which are retried every second (stack.arp.retry_ms).
cpu_ticks() { sed 's/^.*) //' "/proc/$1/stat" | awk '{print $12 + $13}'; }
bg_start TD_PID ip netns exec "$NS" timeout 6 tcpdump -i tcpip0 -n -l -c 3 \
    'arp[6:2] == 1 and arp dst host 10.77.0.98' >"$TMP/retry.out" 2>"$TMP/retry.err"
wait_for_file_match "$TMP/retry.err" 'listening on' 5 "$TD_PID" || note "tcpdump did not start: $(cat "$TMP/retry.err")"
ticks0=$(cpu_ticks "$A_PID")
echo unanswered >"$TMP/retry.in"
nsx timeout 5 socat -t 0.2 - "UDP:10.77.0.2:7,bind=10.77.0.98,ip-transparent" <"$TMP/retry.in" >/dev/null 2>&1
proc_wait "$TD_PID" 8
ticks1=$(cpu_ticks "$A_PID")
retries_ok() {
    local n
    n=$(grep -c 'Request who-has 10.77.0.98 tell 10.77.0.2' "$TMP/retry.out")
    note "ARP requests for 10.77.0.98: $n"
    [ "$n" -ge 2 ]
}
check "stack timers run: ARP retries for a neighbour that never answers" retries_ok
idle_ok() {
    local used=$((ticks1 - ticks0)) hz
    hz=$(getconf CLK_TCK)
    note "CPU: $used ticks (1/$hz s) while waiting for the retries"
    [ "$used" -lt $((hz / 5)) ]
}
check "no busy loop: under 0.2 s of CPU in 3 s with timers pending" idle_ok

hup_good_ok() {
    sed 's/"log_level": "info"/"log_level": "debug"/' "$TMP/a.json" >"$TMP/live.json"
    kill -HUP "$A_PID"
    wait_for_file_match "$TMP/a.log" 'info: reload: .* read, log level debug' 5 "$A_PID" &&
        proc_running "$A_PID" && ping_ok 10.77.0.2 1
}
check "SIGHUP with a valid file: reloaded, still running" hup_good_ok
hup_bad_ok() {
    echo '{ "log_level": "info", "interfaces": [ ' >"$TMP/live.json"
    kill -HUP "$A_PID"
    wait_for_file_match "$TMP/a.log" 'error: reload: .*keeping the running configuration' 5 "$A_PID" &&
        proc_running "$A_PID" && ping_ok 10.77.0.2 1
}
check "SIGHUP with a bad file: keeps the running config, still running" hup_bad_ok

sigterm_ok() {
    tcpipd_stop "$A_PID" 5 || { note "did not exit within 5 s"; return 1; }
    [ "$TCPIPD_STATUS" -eq 0 ] && grep -q 'info: SIGTERM: shutting down' "$TMP/a.log" ||
        { note "exit status $TCPIPD_STATUS"; show_log "$TMP/a.log"; false; }
}
check "SIGTERM: exit status 0 within 5 s" sigterm_ok

tap_gone() {
    local i
    for ((i = 0; i < 40; i++)); do
        ip -n "$NS" link show tcpip0 >/dev/null 2>&1 || return 0
        sleep 0.05
    done
    return 1
}
check "the created TAP tcpip0 is gone after exit" tap_gone

# ---- B: a persistent TAP the admin made and configured ----

cat >"$TMP/b.json" <<'JSON'
{
  "interfaces": [
    {
      "name": "tcpip1",
      "mac": "auto",
      "mtu": 1400,
      "ipv4": { "address": "10.77.1.2/24" },
      "host": { "configure": false }
    }
  ],
  "services": { "udp_echo": { "enabled": true, "port": 7 } }
}
JSON
ip -n "$NS" tuntap add mode tap name tcpip1 &&
    ip -n "$NS" addr add 10.77.1.1/24 dev tcpip1 &&
    ip -n "$NS" link set tcpip1 up || not_ok "set up the persistent TAP tcpip1"

bg_start TD_PID ip netns exec "$NS" timeout 10 tcpdump -i tcpip1 -n -l -c 1 \
    'arp src host 10.77.1.2' >"$TMP/garp.out" 2>"$TMP/garp.err"
wait_for_file_match "$TMP/garp.err" 'listening on' 5 "$TD_PID" || note "tcpdump did not start: $(cat "$TMP/garp.err")"

logs+=("$TMP/b1.log")
tcpipd_start "$TMP/b1.log" "$TMP/b.json"
B_PID=$TCPIPD_PID
attach_ok() {
    tcpipd_wait_ready "$TMP/b1.log" &&
        grep -q 'info: tap: tcpip1 up, mtu 1400, .*(attached to a persistent device)' "$TMP/b1.log" ||
        { show_log "$TMP/b1.log"; false; }
}
check "attaches to a persistent TAP set up by the admin (host.configure false)" attach_ok

proc_wait "$TD_PID" 10
check "gratuitous ARP for 10.77.1.2 at startup" grep -Eq 'ARP, (Request|Reply).*10\.77\.1\.2' "$TMP/garp.out"

persist_ping_ok() {
    ip -n "$NS" link show tcpip1 | grep -q 'mtu 1400' || { note "host MTU not 1400"; return 1; }
    ping_ok 10.77.1.2 5 -i 0.1 && ping_ok 10.77.1.2 2 -i 0.1 -s 1372 -M do
}
check "ping over the persistent TAP, host MTU set to 1400" persist_ping_ok

mac_of() { sed -n 's/.*tap: tcpip1 up, mtu [0-9]*, mac \([0-9a-f:]*\) (auto).*/\1/p' "$1" | head -n 1; }
mac1=$(mac_of "$TMP/b1.log")
neigh1=$(ip -n "$NS" neigh show 10.77.1.2 dev tcpip1)

persist_stop_ok() {
    tcpipd_stop "$B_PID" 5 && [ "$TCPIPD_STATUS" -eq 0 ] || { note "exit status $TCPIPD_STATUS"; return 1; }
    ip -n "$NS" link show tcpip1 >/dev/null 2>&1 || { note "tcpip1 vanished"; return 1; }
    # and it can be attached to again
    logs+=("$TMP/b2.log")
    tcpipd_start "$TMP/b2.log" "$TMP/b.json"
    tcpipd_wait_ready "$TMP/b2.log" && ping_ok 10.77.1.2 2 -i 0.1 || { show_log "$TMP/b2.log"; return 1; }
    tcpipd_stop "$TCPIPD_PID" 5 && [ "$TCPIPD_STATUS" -eq 0 ] &&
        ip -n "$NS" link show tcpip1 >/dev/null 2>&1
}
check "persistent TAP survives tcpipd's exit (status 0)" persist_stop_ok

auto_mac_ok() {
    local mac2 first
    mac2=$(mac_of "$TMP/b2.log")
    note "auto MAC: run 1 $mac1, run 2 $mac2; kernel saw: $neigh1"
    [ -n "$mac1" ] && [ "$mac1" = "$mac2" ] || return 1
    first=$((16#${mac1%%:*}))
    [ $((first & 1)) -eq 0 ] && [ $((first & 2)) -eq 2 ] && echo "$neigh1" | grep -q "lladdr $mac1"
}
check "auto MAC: locally administered unicast, stable across restarts, used on the wire" auto_mac_ok
ip -n "$NS" tuntap del mode tap name tcpip1 2>/dev/null

# ---- C: the command line and configuration errors ----

sed 's|10.77.0.2/24|10.77.0.300/24|' "$TMP/a.json" >"$TMP/bad.json"
bad_ok() {
    logs+=("$TMP/bad.log")
    nsx timeout 10 "$TCPIPD" -c "$TMP/bad.json" >"$TMP/bad.log" 2>&1
    local st=$?
    [ "$st" -eq 1 ] && grep -q 'interfaces\[0\]\.ipv4\.address' "$TMP/bad.log" &&
        ! ip -n "$NS" link show tcpip0 >/dev/null 2>&1 || { note "status $st"; show_log "$TMP/bad.log"; false; }
}
check "bad address: exits 1 naming interfaces[0].ipv4.address" bad_ok

check_config_ok() {
    local out st
    out=$(nsx timeout 10 "$TCPIPD" --check-config -c "$TMP/bad.json" 2>&1)
    st=$?
    [ "$st" -ne 0 ] && echo "$out" | grep -q 'interfaces\[0\]\.ipv4\.address' || { note "bad: $st $out"; return 1; }
    out=$(nsx timeout 10 "$TCPIPD" --check-config -c "$TMP/a.json" 2>&1)
    st=$?
    [ "$st" -eq 0 ] && [ "$out" = "$TMP/a.json: OK" ] || { note "good: $st $out"; false; }
}
check "--check-config: bad file fails, good file prints OK" check_config_ok

cli_ok() {
    local out st
    local v
    v=$(sed -n 's/^VERSION := //p' "$ITEST_REPO/Makefile")
    out=$(nsx timeout 10 "$TCPIPD" -V 2>&1) && [ "$out" = "tcpipd $v" ] || { note "-V: $out (Makefile: $v)"; return 1; }
    out=$(nsx timeout 10 "$TCPIPD" --no-such-option 2>&1)
    st=$?
    [ "$st" -eq 2 ] && echo "$out" | grep -q 'unknown option --no-such-option' || { note "$st $out"; false; }
}
check "-V prints the version; an unknown option exits 2" cli_ok

sanitizers_ok() {
    local l rc=0
    for l in "${logs[@]}"; do
        [ -f "$l" ] || continue
        no_sanitizer_report "$l" || rc=1
    done
    return $rc
}
check "no sanitizer report in any tcpipd run" sanitizers_ok

note "foundation: $((SECONDS - start_s)) s"
itest_done
