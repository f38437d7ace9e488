#!/bin/bash
# test_dhcp.sh - tcpipd's DHCPv4 client (RFC 2131) against dnsmasq, both
# inside the test namespace: a lease is obtained (address, router, DNS
# server in tcpipctl status and addr; the kernel can ping it); a short
# lease (T1 10 s, T2 20 s, 2 minutes) renews by unicast, seen on the wire;
# dnsmasq gone: the client rebinds by broadcast after T2 and removes the
# address when the lease expires; dnsmasq back: a new lease, given back
# with DHCPRELEASE when tcpipd stops. A second client (a second tcpipd on
# another TAP) offered an address another host already holds sees it
# answer its RFC 5227 probe and declines it (DHCPDECLINE).
#
# Run by tests/run.sh with TCPIPD=/abs/build/asan/tcpipd; needs root,
# /dev/net/tun, `ip netns`, dnsmasq (dnsmasq-base), tcpdump, ping, python3.
# About 3 minutes: the lease cannot be shorter than dnsmasq's 2 minutes.
#
# Addresses (inside the namespace only):
#   tcpip0: kernel + dnsmasq 10.77.0.1/24, range 10.77.0.50-60, router
#           10.77.0.1, DNS 10.77.0.53
#   tcpip1: kernel + dnsmasq 10.77.1.1/24 and 10.77.1.50 (the "other host"),
#           range 10.77.1.50 only

. "$(dirname "$0")/lib.sh"

ITEST_CHECKS=(
    "tcpipd with \"ipv4\": {\"dhcp\": true} and dnsmasq on its TAP"
    "a lease: tcpipctl status shows bound, the address, router and DNS server"
    "tcpipctl addr: the leased address, dynamic, with its lifetime"
    "the kernel pings the leased address"
    "T1: a unicast DHCPREQUEST from the leased address to the server, and its ACK (tcpdump)"
    "dnsmasq gone: REBINDING after T2 (tcpipctl status), broadcast DHCPREQUESTs"
    "lease expired: the address and its routes are removed"
    "dnsmasq back: a new lease"
    "a second client offered an address another host holds: RFC 5227 probe answered, DHCPDECLINE"
    "tcpipd stopped: DHCPRELEASE reaches dnsmasq, exit 0"
    "no sanitizer report"
)
itest_init dhcp dnsmasq tcpdump ping python3
ns_create || itest_unavailable "cannot create a namespace"
BUILD_DIR=$(dirname "$TCPIPD")
CTL=$BUILD_DIR/tcpipctl
[ -x "$CTL" ] || CTL=$ITEST_REPO/build/tcpipctl

config() { # FILE IFNAME MAC CTLSOCK
    cat >"$1" <<JSON
{
  "log_level": "info",
  "interfaces": [
    { "name": "$2", "mac": "$3", "ipv4": { "dhcp": true }, "host": { "configure": true } }
  ],
  "services": { "tcp_echo": { "enabled": true, "port": 7 } },
  "control": { "path": "$4" }
}
JSON
}
A_CTL=$TMP/a.sock B_CTL=$TMP/b.sock
config "$TMP/a.json" tcpip0 02:77:00:00:00:02 "$A_CTL"
config "$TMP/b.json" tcpip1 02:77:00:00:01:02 "$B_CTL"
actl() { "$CTL" -s "$A_CTL" "$@"; }
bctl() { "$CTL" -s "$B_CTL" "$@"; }
# dhcp_field CTL KEY: tcpipctl status' dhcp[0].KEY
dhcp_field() {
    "$CTL" -s "$1" status --json | python3 -c '
import json, sys
d = json.load(sys.stdin)["dhcp"]
v = d[0].get(sys.argv[1]) if d else None
print("" if v is None else v)' "$2"
}
# wait_field CTL KEY VALUE SECS
wait_field() {
    local i v
    for ((i = 0; i < $4 * 5; i++)); do
        v=$(dhcp_field "$1" "$2")
        [ "$v" = "$3" ] && return 0
        sleep 0.2
    done
    note "dhcp $2 is '$v', not '$3' after $4 s"
    return 1
}

DNSMASQ_PID=""
dnsmasq_start() { # IFNAME RANGE LOG [ARGS...]
    local ifname=$1 range=$2 log=$3
    shift 3
    bg_start DNSMASQ_PID ip netns exec "$NS" dnsmasq --no-daemon --conf-file=/dev/null \
        --port=0 --interface="$ifname" --bind-interfaces --except-interface=lo \
        --dhcp-range="$range" --dhcp-leasefile="$TMP/$ifname.leases" --log-dhcp \
        --log-facility="$log" "$@"
}

# tcpip0 is a persistent TAP that tcpipd attaches to: when tcpipd stops,
# the device (and the kernel's address on it, which dnsmasq needs to take
# the RELEASE) stays.
nsx ip tuntap add mode tap name tcpip0 || itest_unavailable "cannot create a persistent TAP"
tcpipd_start "$TMP/a.log" "$TMP/a.json"
A_PID=$TCPIPD_PID
start_ok() {
    tcpipd_wait_ready "$TMP/a.log" || { show_log "$TMP/a.log"; return 1; }
    nsx ip addr add 10.77.0.1/24 dev tcpip0 || return 1
    dnsmasq_start tcpip0 10.77.0.50,10.77.0.60,255.255.255.0,2m "$TMP/dnsmasq0.log" \
        --dhcp-option=option:router,10.77.0.1 --dhcp-option=option:dns-server,10.77.0.53 \
        --dhcp-option=option:T1,10 --dhcp-option=option:T2,20
    D0_PID=$DNSMASQ_PID
}
check "tcpipd with \"ipv4\": {\"dhcp\": true} and dnsmasq on its TAP" start_ok

# Capture the DHCP traffic on the kernel side from now on.
bg_start CAP_PID ip netns exec "$NS" timeout 300 tcpdump -i tcpip0 -n -U -w "$TMP/dhcp.pcap" \
    udp port 67 or udp port 68
lease_ok() {
    wait_field "$A_CTL" state bound 20 || { show_log "$TMP/a.log"; return 1; }
    LEASED=$(dhcp_field "$A_CTL" address)
    LEASED=${LEASED%/24}
    case $LEASED in 10.77.0.5[0-9] | 10.77.0.60) ;; *) note "address '$LEASED'"; return 1 ;; esac
    [ "$(dhcp_field "$A_CTL" router)" = 10.77.0.1 ] &&
        [ "$(dhcp_field "$A_CTL" server)" = 10.77.0.1 ] &&
        actl status | grep -q "dhcp tcpip0: bound $LEASED/24 from 10.77.0.1, router 10.77.0.1, dns 10.77.0.53" ||
        { actl status | sed 's/^/#   /'; false; }
}
check "a lease: tcpipctl status shows bound, the address, router and DNS server" lease_ok
addr_ok() {
    actl addr | grep -Eq "^tcpip0 +inet +$LEASED/24 +brd 10\.77\.0\.255 scope global dynamic valid_lft [0-9]+sec" ||
        { actl addr | sed 's/^/#   /'; false; }
}
check "tcpipctl addr: the leased address, dynamic, with its lifetime" addr_ok
check "the kernel pings the leased address" ping_ok "$LEASED" 3

renew_ok() {
    local i
    for ((i = 0; i < 150; i++)); do
        [ "$(actl stats --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["dhcp4"]["leases_renewed"])')" -ge 1 ] && break
        sleep 0.2
    done
    sleep 0.5
    # The pcap so far: a request from the leased address to the server.
    tcpdump -r "$TMP/dhcp.pcap" -n -v 2>/dev/null >"$TMP/dhcp.txt"
    grep -q "$LEASED.68 > 10.77.0.1.67" "$TMP/dhcp.txt" &&
        grep -q "DHCP-Message.*Request" "$TMP/dhcp.txt" &&
        grep -q "DHCPACK(tcpip0) $LEASED 02:77:00:00:00:02" "$TMP/dnsmasq0.log" ||
        { sed 's/^/#   /' "$TMP/dhcp.txt" | tail -20; false; }
}
check "T1: a unicast DHCPREQUEST from the leased address to the server, and its ACK (tcpdump)" renew_ok

# The second client, in the meantime (the expiry takes 2 minutes).
nsx ip link set lo up
tcpipd_start "$TMP/b.log" "$TMP/b.json"
B_PID=$TCPIPD_PID
B_OK=true
if tcpipd_wait_ready "$TMP/b.log"; then
    nsx ip addr add 10.77.1.1/24 dev tcpip1
    nsx ip addr add 10.77.1.50/24 dev tcpip1 # the other host, already there
    dnsmasq_start tcpip1 10.77.1.50,10.77.1.50,255.255.255.0,2m "$TMP/dnsmasq1.log" --no-ping
    D1_PID=$DNSMASQ_PID
else
    B_OK=false
fi

kill -TERM "$D0_PID" 2>/dev/null
proc_wait "$D0_PID" 5
rebind_ok() {
    wait_field "$A_CTL" state rebinding 40 || return 1
    sleep 1
    tcpdump -r "$TMP/dhcp.pcap" -n 2>/dev/null | grep -q "$LEASED.68 > 255.255.255.255.67" ||
        { note "no broadcast request from $LEASED"; false; }
}
check "dnsmasq gone: REBINDING after T2 (tcpipctl status), broadcast DHCPREQUESTs" rebind_ok

decline_ok() {
    $B_OK || { show_log "$TMP/b.log"; return 1; }
    local i
    for ((i = 0; i < 100; i++)); do
        grep -q "DHCPDECLINE(tcpip1) 10.77.1.50 02:77:00:00:01:02" "$TMP/dnsmasq1.log" 2>/dev/null && break
        sleep 0.2
    done
    grep -q "DHCPDECLINE(tcpip1) 10.77.1.50" "$TMP/dnsmasq1.log" &&
        grep -q "dhcp: tcpip1: 10.77.1.50 is in use on the link: declined" "$TMP/b.log" &&
        ! bctl addr | grep -q "10.77.1.50" || { show_log "$TMP/dnsmasq1.log" 10; show_log "$TMP/b.log" 10; false; }
}
check "a second client offered an address another host holds: RFC 5227 probe answered, DHCPDECLINE" decline_ok
# dnsmasq first: it would complain about tcpip1 going away with tcpipd.
[ -n "${D1_PID:-}" ] && kill -TERM "$D1_PID" 2>/dev/null && proc_wait "$D1_PID" 5
[ -n "${B_PID:-}" ] && tcpipd_stop "$B_PID"

expire_ok() {
    local i
    for ((i = 0; i < 150; i++)); do
        actl addr | grep -q "$LEASED" || break
        sleep 1
    done
    ! actl addr | grep -q "$LEASED" && ! actl route | grep -q "^default" &&
        grep -q "lease of $LEASED expired: address removed" "$TMP/a.log" ||
        { actl addr | sed 's/^/#   /'; false; }
}
check "lease expired: the address and its routes are removed" expire_ok

dnsmasq_start tcpip0 10.77.0.50,10.77.0.60,255.255.255.0,2m "$TMP/dnsmasq0b.log" \
    --dhcp-option=option:router,10.77.0.1
D0_PID=$DNSMASQ_PID
check "dnsmasq back: a new lease" wait_field "$A_CTL" state bound 40

release_ok() {
    local addr
    addr=$(dhcp_field "$A_CTL" address)
    addr=${addr%/24}
    tcpipd_stop "$A_PID" 10
    [ "$TCPIPD_STATUS" = 0 ] || { note "exit $TCPIPD_STATUS"; return 1; }
    sleep 0.5
    grep -q "DHCPRELEASE(tcpip0) $addr 02:77:00:00:00:02" "$TMP/dnsmasq0b.log" ||
        { show_log "$TMP/dnsmasq0b.log" 10; false; }
}
check "tcpipd stopped: DHCPRELEASE reaches dnsmasq, exit 0" release_ok
sanitizers_ok() { no_sanitizer_report "$TMP/a.log" && no_sanitizer_report "$TMP/b.log"; }
check "no sanitizer report" sanitizers_ok
itest_done
