#!/bin/bash
# test_ipv6.sh - IPv6 between tcpipd and the Linux kernel on a TAP inside a
# network namespace: ping -6 to the static, link-local and SLAAC addresses,
# the kernel's neighbour entry for the stack REACHABLE (RFC 4861 7.3), radvd
# advertising fd77:1::/64 and the stack forming its EUI-64 address in it
# (RFC 4862 5.5.3), UDP and TCP echo of 100 MiB each way checked byte for
# byte, a fragmented echo request (ping -6 -s 3000) reassembled and answered
# and an 8000-byte UDP datagram echoed in fragments both ways (RFC 8200
# 4.5), and duplicate address detection (RFC 4862 5.4): an address
# the kernel already holds is reported by tcpipd and never answered; and
# RFC 7217 stable-privacy addresses: a third tcpipd with addr_gen_mode
# "stable-privacy" answers at a link-local address that is not the EUI-64
# one, and has the same one again after a restart.
#
# Run by tests/run.sh with TCPIPD=/abs/build/asan/tcpipd; needs root,
# /dev/net/tun, `ip netns`, cc, ping, radvd, socat. Prints "ok - ", "not ok - ",
# "skip - " lines.
#
# Sizes: IPV6_BULK_MIB (default 100).
#
# Addresses (inside the namespace only; nothing has a default route and
# radvd advertises a router lifetime of 0):
#   tcpip0: stack fd77::2/64 (static), fe80::77:ff:fe00:2 (from the MAC),
#           fd77:1::77:ff:fe00:2 (SLAAC); kernel fd77::1/64, fd77:1::1/64
#   tcpip1: stack fd77:2::2/64 and fd77:2::1/64 (static); the kernel holds
#           fd77:2::1/64 first, so the stack's copy must be a duplicate;
#           the kernel later takes fd77:2::9/64 and drops fd77:2::1
#   tcpip2: stack fe80::/64 with an RFC 7217 identifier only (MAC
#           02:77:00:00:02:02, whose EUI-64 address it must not use)

. "$(dirname "$0")/lib.sh"

BULK_MIB=${IPV6_BULK_MIB:-100}
MAC=02:77:00:00:00:02
STATIC=fd77::2
SLAAC=fd77:1::77:ff:fe00:2

ITEST_CHECKS=(
    "build the kernel-side helper"
    "tcpipd starts with IPv6 on and logs ready"
    "ping -6 to the static address $STATIC"
    "ping -6 to the link-local address from the MAC"
    "the kernel's neighbour entry for $STATIC is REACHABLE"
    "radvd advertises fd77:1::/64 and the stack answers at $SLAAC"
    "ping -6 -s 3000 (fragmented request) is reassembled and answered"
    "udp echo over IPv6: $BULK_MIB MiB each way, every byte checked"
    "udp echo over IPv6: an 8000-byte datagram (fragments both ways) comes back identical"
    "tcp echo over IPv6: $BULK_MIB MiB each way at once, sha256 of the echo equals what was sent"
    "DAD: a second tcpipd logs fd77:2::1 as a duplicate"
    "DAD: the duplicate is not used (no answer once the kernel gives it up)"
    "DAD: the stack's other address fd77:2::2 works"
    "stable-privacy: the link-local address is not the EUI-64 one, answers ping -6, and survives a restart"
    "SIGTERM: exit status 0 within 5 s"
    "no sanitizer report in the tcpipd runs"
)
itest_init ipv6 cc ping radvd sha256sum socat cmp
ns_create || itest_unavailable "cannot create a namespace"
start_s=$SECONDS

# IPv6 inside the namespace only: on for new devices, and no DAD delay for
# the kernel's own addresses (they are fresh in a fresh namespace).
nsx sysctl -qw net.ipv6.conf.all.disable_ipv6=0 net.ipv6.conf.default.disable_ipv6=0 \
    net.ipv6.conf.default.accept_dad=0 net.ipv6.conf.default.accept_ra=0 ||
    itest_unavailable "cannot enable IPv6 in the namespace"

cc -std=c11 -Wall -Wextra -Werror -O2 -D_GNU_SOURCE "-I$ITEST_REPO" -o "$TMP/tcpkit" \
    "$ITEST_REPO/tests/integration/tcpkit.c" >"$TMP/cc.log" 2>&1
if [ $? -eq 0 ]; then
    ok "build the kernel-side helper"
else
    not_ok "build the kernel-side helper"
    show_log "$TMP/cc.log"
    itest_done
fi
kit() { nsx "$TMP/tcpkit" "$@"; }

# The modified EUI-64 interface identifier of a MAC (RFC 4291 2.5.1,
# appendix A): flip the universal/local bit, put ff:fe in the middle.
eui64_iid() {
    local b
    IFS=: read -r -a b <<<"$1"
    printf '%x:%x:%x:%x' $(((0x${b[0]} ^ 2) << 8 | 0x${b[1]})) $((0x${b[2]} << 8 | 0xff)) \
        $((0xfe << 8 | 0x${b[3]})) $((0x${b[4]} << 8 | 0x${b[5]}))
}
LINKLOCAL=fe80::$(eui64_iid "$MAC")
note "link-local $LINKLOCAL, SLAAC $SLAAC"

cat >"$TMP/a.json" <<JSON
{
  "log_level": "info",
  "interfaces": [
    {
      "name": "tcpip0",
      "mac": "$MAC",
      "mtu": 1500,
      "ipv4": { "address": "10.77.0.2/24" },
      "ipv6": { "addresses": ["$STATIC/64"], "slaac": true },
      "host": { "configure": true, "ipv4": "10.77.0.1/24", "ipv6": "fd77::1/64" }
    }
  ],
  "services": {
    "udp_echo": { "enabled": true, "port": 7 },
    "tcp_echo": { "enabled": true, "port": 7 }
  },
  "control": { "enabled": false }
}
JSON
tcpipd_start "$TMP/a.log" "$TMP/a.json"
A_PID=$TCPIPD_PID
if tcpipd_wait_ready "$TMP/a.log"; then
    ok "tcpipd starts with IPv6 on and logs ready"
else
    not_ok "tcpipd starts with IPv6 on and logs ready"
    show_log "$TMP/a.log"
    itest_done
fi

# ping6_until DST SECONDS [PING ARGS...]: the first reply within SECONDS
# (the stack's DAD takes a second before an address answers), then 3 more.
ping6_until() {
    local dst=$1 secs=$2 i
    shift 2
    for ((i = 0; i < secs; i++)); do
        nsx timeout 3 ping -6 -n -c 1 -W 1 "$@" "$dst" >/dev/null 2>&1 && break
    done
    ping_ok "$dst" 3 -6 -i 0.2 "$@"
}

check "ping -6 to the static address $STATIC" ping6_until "$STATIC" 10
check "ping -6 to the link-local address from the MAC" ping6_until "$LINKLOCAL%tcpip0" 10

reachable_ok() {
    local l
    nsx timeout 5 ping -6 -n -c 1 -W 1 "$STATIC" >/dev/null 2>&1
    l=$(nsx ip -6 neigh show "$STATIC" dev tcpip0)
    note "ip -6 neigh: $l"
    echo "$l" | grep -q "lladdr $MAC .*REACHABLE"
}
check "the kernel's neighbour entry for $STATIC is REACHABLE" reachable_ok

# ---- SLAAC from radvd (router lifetime 0: a prefix, never a default route) ----

slaac_ok() {
    nsx ip -6 addr add fd77:1::1/64 dev tcpip0 nodad || return 1
    cat >"$TMP/radvd.conf" <<CONF
interface tcpip0 {
    AdvSendAdvert on;
    MinRtrAdvInterval 3;
    MaxRtrAdvInterval 4;
    AdvDefaultLifetime 0;
    prefix fd77:1::/64 {
        AdvOnLink on;
        AdvAutonomous on;
        AdvValidLifetime 600;
        AdvPreferredLifetime 300;
    };
};
CONF
    bg_start RADVD_PID ip netns exec "$NS" radvd -n -C "$TMP/radvd.conf" -p "$TMP/radvd.pid" \
        -m logfile -l "$TMP/radvd.log" -d 1
    # An RA every 3-4 s, plus answers to the stack's solicitations; then 1 s
    # of DAD. 20 tries of one second each.
    local st=0
    ping6_until "$SLAAC" 20 || st=1
    grep -q "$SLAAC" "$TMP/a.log" && note "$(grep "$SLAAC" "$TMP/a.log" | head -n 2)"
    [ $st -eq 0 ] || { show_log "$TMP/radvd.log" 10; show_log "$TMP/a.log" 20; }
    kill -TERM "$RADVD_PID" 2>/dev/null
    proc_wait "$RADVD_PID" 5
    return $st
}
check "radvd advertises fd77:1::/64 and the stack answers at $SLAAC" slaac_ok

# ---- fragments: the kernel splits a 3000-byte request (RFC 8200 4.5) ----

frag_ok() {
    local out
    out=$(nsx timeout 15 ping -6 -n -c 3 -i 0.2 -W 2 -s 3000 "$STATIC" 2>&1)
    note "$(echo "$out" | grep -E 'bytes from|received' | head -n 2 | tr '\n' ' ')"
    echo "$out" | grep -q " 3 received, 0% packet loss" && echo "$out" | grep -q "^3008 bytes from"
}
check "ping -6 -s 3000 (fragmented request) is reassembled and answered" frag_ok

# ---- bulk over IPv6 ----

udp_bulk_ok() {
    local t0=$SECONDS st
    kit udp "$STATIC" 7 $((BULK_MIB * 1048576)) 240 >"$TMP/udp.res" 2>&1
    st=$?
    note "$(cat "$TMP/udp.res") ($((SECONDS - t0)) s)"
    [ "$st" -eq 0 ]
}
check "udp echo over IPv6: $BULK_MIB MiB each way, every byte checked" udp_bulk_ok

# One socat read (8192-byte block) is one datagram: the kernel sends it in
# fragments, tcpipd reassembles it and fragments the echo (RFC 8200 4.5).
udp_frag_ok() {
    head -c 8000 /dev/urandom >"$TMP/frag6.in"
    nsx timeout 10 socat -T 3 -t 1 - "UDP6:[$STATIC]:7" <"$TMP/frag6.in" >"$TMP/frag6.out" \
        2>"$TMP/frag6.err" || { sed 's/^/# /' "$TMP/frag6.err"; return 1; }
    cmp "$TMP/frag6.in" "$TMP/frag6.out" ||
        { note "sent 8000 bytes, got $(wc -c <"$TMP/frag6.out")"; false; }
}
check "udp echo over IPv6: an 8000-byte datagram (fragments both ways) comes back identical" \
    udp_frag_ok

tcp_bulk_ok() {
    local t0=$SECONDS a b st
    head -c $((BULK_MIB * 1048576)) /dev/urandom >"$TMP/bulk.in"
    kit stream "$STATIC" 7 "$TMP/bulk.in" "$TMP/bulk.out" 240 >"$TMP/bulk.res" 2>&1
    st=$?
    note "$(cat "$TMP/bulk.res") ($((SECONDS - t0)) s)"
    a=$(sha256sum <"$TMP/bulk.in" | cut -d' ' -f1)
    b=$(sha256sum <"$TMP/bulk.out" | cut -d' ' -f1)
    note "sha256 sent $a"
    note "sha256 back $b"
    rm -f "$TMP/bulk.in" "$TMP/bulk.out"
    [ "$st" -eq 0 ] && [ "$a" = "$b" ]
}
check "tcp echo over IPv6: $BULK_MIB MiB each way at once, sha256 of the echo equals what was sent" \
    tcp_bulk_ok

# ---- DAD: a second tcpipd on tcpip1, where the kernel holds fd77:2::1 ----

# The TAP must exist before tcpipd opens it so that the kernel's address is
# there first: a persistent device, which tcpipd attaches to.
nsx ip tuntap add mode tap name tcpip1 &&
    nsx ip link set tcpip1 up &&
    nsx ip -6 addr add fd77:2::1/64 dev tcpip1 nodad ||
    note "cannot prepare tcpip1"
cat >"$TMP/b.json" <<JSON
{
  "log_level": "info",
  "interfaces": [
    {
      "name": "tcpip1",
      "mac": "02:77:00:00:01:02",
      "ipv6": { "addresses": ["fd77:2::2/64", "fd77:2::1/64"], "slaac": false }
    }
  ],
  "control": { "enabled": false }
}
JSON
tcpipd_start "$TMP/b.log" "$TMP/b.json"
B_PID=$TCPIPD_PID
tcpipd_wait_ready "$TMP/b.log" || show_log "$TMP/b.log"

dad_logged_ok() {
    # One NS, one second of silence (RFC 4862 5.4): the verdict within 5 s.
    wait_for_file_match "$TMP/b.log" 'fd77:2::1.*duplicate|duplicate.*fd77:2::1' 5 "$B_PID" &&
        note "$(grep -iE 'duplicate' "$TMP/b.log" | head -n 1)" || { show_log "$TMP/b.log" 20; false; }
}
check "DAD: a second tcpipd logs fd77:2::1 as a duplicate" dad_logged_ok

# Then the kernel gives fd77:2::1 up: if the stack had kept its copy it
# would now answer for it; a duplicate must stay unused (RFC 4862 5.4.5).
dad_unused_ok() {
    local out l
    nsx ip -6 addr add fd77:2::9/64 dev tcpip1 nodad || return 1
    nsx ip -6 addr del fd77:2::1/64 dev tcpip1 || return 1
    nsx ip -6 route replace fd77:2::/64 dev tcpip1
    out=$(nsx timeout 10 ping -6 -n -c 3 -i 0.3 -W 1 -I fd77:2::9 fd77:2::1 2>&1)
    l=$(nsx ip -6 neigh show fd77:2::1 dev tcpip1)
    note "ping fd77:2::1: $(echo "$out" | grep received); ip -6 neigh: ${l:-none}"
    echo "$out" | grep -q " 0 received" && ! echo "$l" | grep -qi "lladdr"
}
check "DAD: the duplicate is not used (no answer once the kernel gives it up)" dad_unused_ok
check "DAD: the stack's other address fd77:2::2 works" ping6_until fd77:2::2 10 -I fd77:2::9

# ---- RFC 7217: addr_gen_mode "stable-privacy" on tcpip2 ----

MAC_C=02:77:00:00:02:02
cat >"$TMP/c.json" <<JSON
{
  "log_level": "info",
  "interfaces": [
    {
      "name": "tcpip2",
      "mac": "$MAC_C",
      "ipv6": { "slaac": false, "addr_gen_mode": "stable-privacy",
                "stable_secret": "fd77:1234:5678:9abc:def0:1234:5678:9abc" }
    }
  ],
  "control": { "enabled": false }
}
JSON

# stable_run LOG: tcpipd on c.json until its link-local address is out of
# DAD (at most 10 s); the address in STABLE_LL, the pid in C_PID.
stable_run() {
    STABLE_LL=""
    tcpipd_start "$1" "$TMP/c.json"
    C_PID=$TCPIPD_PID
    wait_for_file_match "$1" 'tcpip2: fe80:[0-9a-f:]*/64 ready' 10 "$C_PID" || {
        show_log "$1" 20
        return 1
    }
    STABLE_LL=$(sed -n 's/.*tcpip2: \(fe80:[0-9a-f:]*\)\/64 ready.*/\1/p' "$1" | head -n 1)
}

# stable_stop: SIGTERM, exit status 0 within 5 s.
stable_stop() {
    tcpipd_stop "$C_PID" 5 && [ "$TCPIPD_STATUS" -eq 0 ] ||
        { note "tcpipd $C_PID: exit status $TCPIPD_STATUS"; return 1; }
}

stable_ok() {
    local eui first st=0 t0=$SECONDS
    eui=fe80::$(eui64_iid "$MAC_C")
    nsx ip tuntap add mode tap name tcpip2 && nsx ip link set tcpip2 up || return 1
    stable_run "$TMP/c1.log" || { stable_stop; return 1; }
    first=$STABLE_LL
    note "stable-privacy link-local $first (EUI-64 would be $eui)"
    [ -n "$first" ] && [ "$first" != "$eui" ] || st=1
    ping6_until "$first%tcpip2" 5 || st=1
    stable_stop || st=1
    # Same secret, name and prefix after a restart: the same address.
    stable_run "$TMP/c2.log" || st=1
    note "after a restart: $STABLE_LL ($((SECONDS - t0)) s in all)"
    [ "$STABLE_LL" = "$first" ] || st=1
    stable_stop || st=1
    return $st
}
check "stable-privacy: the link-local address is not the EUI-64 one, answers ping -6, and survives a restart" \
    stable_ok

sigterm_ok() {
    local st=0 pid
    for pid in "$B_PID" "$A_PID"; do
        tcpipd_stop "$pid" 5 || { note "tcpipd $pid did not exit within 5 s"; st=1; }
        [ "$TCPIPD_STATUS" -eq 0 ] || { note "tcpipd $pid: exit status $TCPIPD_STATUS"; st=1; }
    done
    [ $st -eq 0 ] || { show_log "$TMP/a.log"; show_log "$TMP/b.log"; }
    return $st
}
check "SIGTERM: exit status 0 within 5 s" sigterm_ok
sanitizers_ok() {
    local f
    for f in a b c1 c2; do
        [ ! -e "$TMP/$f.log" ] || no_sanitizer_report "$TMP/$f.log" || return 1
    done
}
check "no sanitizer report in the tcpipd runs" sanitizers_ok

note "ipv6: $((SECONDS - start_s)) s"
itest_done
