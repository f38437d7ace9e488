#!/bin/bash
# test_tcp_kernel.sh - TCP between tcpipd and the Linux kernel, both ways:
# the kernel as client of tcpipd's built-in services (echo 7, discard 9,
# chargen 19: nc, a 100 MiB full-duplex echo checked by sha256, 500
# concurrent connections, a refused connect, the options on the wire), and
# the stack as client of a kernel listener (bench/stackpeer.c on a second
# TAP, 10 MiB each way, pattern checked at every offset).
#
# Run by tests/run.sh with TCPIPD=/abs/build/asan/tcpipd; needs root,
# /dev/net/tun, `ip netns`, cc, nc, tcpdump. Prints "ok - ", "not ok - ",
# "skip - " lines. The kernel-side helper (tests/integration/tcpkit.c) and
# stackpeer are compiled into the temp dir, stackpeer against the libraries
# next to $TCPIPD (with the sanitizers if that is the ASan build).
#
# Sizes: TCP_KERNEL_ECHO_MIB (default 100), TCP_KERNEL_PEER_MIB (10).
#
# Addresses (inside the namespace only):
#   tcpip0 (tcpipd):    stack 10.77.0.2/24, kernel 10.77.0.1/24
#   tcpip1 (stackpeer): stack 10.77.1.2/24, kernel 10.77.1.1/24

. "$(dirname "$0")/lib.sh"

ECHO_MIB=${TCP_KERNEL_ECHO_MIB:-100}
PEER_MIB=${TCP_KERNEL_PEER_MIB:-10}
CHARGEN_MIB=10

ITEST_CHECKS=(
    "build the kernel-side helper and stackpeer"
    "tcpipd starts with tcp echo, discard, chargen and logs ready"
    "nc: a line sent to echo (port 7) comes back"
    "SYN-ACK from 10.77.0.2 carries mss, sackOK, TS and wscale"
    "data segments from 10.77.0.2 carry timestamps"
    "echo: $ECHO_MIB MiB each way at once, sha256 of the echo equals what was sent"
    "discard: 10 MiB taken, then a clean close"
    "chargen: $CHARGEN_MIB MiB in RFC 864 lines"
    "500 concurrent connections to echo all get their line back"
    "connect to a closed port fails with ECONNREFUSED"
    "stack -> kernel listener: $PEER_MIB MiB sent by the stack arrive intact"
    "kernel listener -> stack: $PEER_MIB MiB received by the stack intact"
    "tcpipd still running and answering ping"
    "SIGTERM: exit status 0 within 5 s"
    "no sanitizer report in the tcpipd run"
)
itest_init tcp_kernel cc nc tcpdump sha256sum ping
ns_create || itest_unavailable "cannot create a namespace"
start_s=$SECONDS

# ---- helpers, built for this run ----

BUILD_DIR=$(dirname "$TCPIPD")
SANFLAGS=()
case "$BUILD_DIR" in */asan) SANFLAGS=(-fsanitize=address,undefined -fno-sanitize-recover=all) ;; esac
build_helpers() {
    local cflags=(-std=c11 -Wall -Wextra -Werror -O2 -D_GNU_SOURCE "-I$ITEST_REPO")
    cc "${cflags[@]}" -o "$TMP/tcpkit" "$ITEST_REPO/tests/integration/tcpkit.c" >"$TMP/cc.log" 2>&1 &&
        cc "${cflags[@]}" "${SANFLAGS[@]}" -o "$TMP/stackpeer" "$ITEST_REPO/bench/stackpeer.c" \
            "$BUILD_DIR/libtcpipd.a" "$BUILD_DIR/libstack.a" -lev -lcjson >>"$TMP/cc.log" 2>&1 ||
        { show_log "$TMP/cc.log"; false; }
}
if build_helpers; then
    ok "build the kernel-side helper and stackpeer"
else
    not_ok "build the kernel-side helper and stackpeer"
    itest_done
fi
kit() { nsx "$TMP/tcpkit" "$@"; }

write_config "$TMP/a.json" '{
    "tcp_echo": { "enabled": true, "port": 7 },
    "tcp_discard": { "enabled": true, "port": 9 },
    "tcp_chargen": { "enabled": true, "port": 19 }
  }'
tcpipd_start "$TMP/a.log" "$TMP/a.json"
A_PID=$TCPIPD_PID
if tcpipd_wait_ready "$TMP/a.log"; then
    ok "tcpipd starts with tcp echo, discard, chargen and logs ready"
else
    not_ok "tcpipd starts with tcp echo, discard, chargen and logs ready"
    show_log "$TMP/a.log"
    itest_done
fi

# ---- nc echo, captured for the options ----

# -Z root: tcpdump drops to its own user by default and could not write
# into our private temp dir.
bg_start TD_PID ip netns exec "$NS" timeout 30 tcpdump -i tcpip0 -n -s 200 -U --immediate-mode -Z root \
    -w "$TMP/nc.pcap" 'tcp port 7' 2>"$TMP/td.err"
wait_for_file_match "$TMP/td.err" 'listening on' 5 "$TD_PID" || note "tcpdump did not start: $(cat "$TMP/td.err")"

nc_ok() {
    local out
    # -N: shutdown(SHUT_WR) at the end of stdin; the echo then closes too.
    out=$(printf 'hello, tcp echo\n' | nsx timeout 10 nc -N -w 5 10.77.0.2 7 2>&1)
    [ "$out" = "hello, tcp echo" ] || { note "nc printed: $out"; false; }
}
check "nc: a line sent to echo (port 7) comes back" nc_ok
sleep 0.3 # let the FIN exchange reach the capture
kill -TERM "$TD_PID" 2>/dev/null
proc_wait "$TD_PID" 5
# Without -v, tcpdump prints one line per packet, options included.
tcpdump -r "$TMP/nc.pcap" -n >"$TMP/nc.txt" 2>/dev/null

synack_ok() {
    local l
    l=$(grep -E '10\.77\.0\.2\.7 > 10\.77\.0\.1\.[0-9]+: Flags \[S\.\]' "$TMP/nc.txt")
    note "SYN-ACK: $l"
    [ -n "$l" ] && echo "$l" | grep -q 'mss 1460' && echo "$l" | grep -q 'sackOK' &&
        echo "$l" | grep -q 'TS val' && echo "$l" | grep -q 'wscale' ||
        { sed 's/^/#   /' "$TMP/nc.txt" | head -n 20; false; }
}
check "SYN-ACK from 10.77.0.2 carries mss, sackOK, TS and wscale" synack_ok

data_ts_ok() {
    local segs
    segs=$(grep -E '10\.77\.0\.2\.7 > 10\.77\.0\.1\.[0-9]+: ' "$TMP/nc.txt" | grep -E 'length [1-9]')
    note "data segments from the stack: $(echo "$segs" | grep -c .)"
    [ -n "$segs" ] && ! echo "$segs" | grep -qv 'TS val' ||
        { sed 's/^/#   /' "$TMP/nc.txt" | head -n 20; false; }
}
check "data segments from 10.77.0.2 carry timestamps" data_ts_ok

# ---- bulk: 100 MiB through echo, both directions at once ----

echo_bulk_ok() {
    local t0=$SECONDS a b
    head -c $((ECHO_MIB * 1048576)) /dev/urandom >"$TMP/bulk.in"
    kit stream 10.77.0.2 7 "$TMP/bulk.in" "$TMP/bulk.out" 240 >"$TMP/bulk.res" 2>&1
    local st=$?
    note "$(cat "$TMP/bulk.res") ($((SECONDS - t0)) s)"
    a=$(sha256sum <"$TMP/bulk.in" | cut -d' ' -f1)
    b=$(sha256sum <"$TMP/bulk.out" | cut -d' ' -f1)
    note "sha256 sent $a"
    note "sha256 back $b"
    rm -f "$TMP/bulk.in" "$TMP/bulk.out"
    [ "$st" -eq 0 ] && [ "$a" = "$b" ]
}
check "echo: $ECHO_MIB MiB each way at once, sha256 of the echo equals what was sent" echo_bulk_ok

discard_ok() {
    head -c 10485760 /dev/zero >"$TMP/zero.in"
    kit stream 10.77.0.2 9 "$TMP/zero.in" "$TMP/discard.out" 60 >"$TMP/discard.res" 2>&1
    local st=$?
    note "$(cat "$TMP/discard.res")"
    [ "$st" -eq 0 ] && grep -q 'sent 10485760 received 0 ' "$TMP/discard.res"
}
check "discard: 10 MiB taken, then a clean close" discard_ok

chargen_ok() {
    kit chargen 10.77.0.2 19 $((CHARGEN_MIB * 1048576)) 60 >"$TMP/chargen.res" 2>&1
    local st=$?
    note "$(cat "$TMP/chargen.res")"
    [ "$st" -eq 0 ]
}
check "chargen: $CHARGEN_MIB MiB in RFC 864 lines" chargen_ok

many_ok() {
    kit many 10.77.0.2 7 500 60 >"$TMP/many.res" 2>&1
    local st=$?
    note "$(tail -n 1 "$TMP/many.res")"
    [ "$st" -eq 0 ] || { sed 's/^/#   /' "$TMP/many.res" | head -n 10; false; }
}
check "500 concurrent connections to echo all get their line back" many_ok

refused_ok() {
    local out
    out=$(kit refused 10.77.0.2 4444 2>&1)
    local st=$?
    note "$out"
    [ "$st" -eq 0 ]
}
check "connect to a closed port fails with ECONNREFUSED" refused_ok

# ---- the stack as the client: stackpeer on tcpip1, a kernel listener ----

# peer_run MODE: the kernel listener (tcpkit MODE) on 0.0.0.0:5001 (the
# address 10.77.1.1 appears only when stackpeer makes the TAP), then
# stackpeer connecting to 10.77.1.1:5001.
peer_run() {
    local mode=$1 bytes=$((PEER_MIB * 1048576)) spargs pst
    case $mode in sink) spargs=(--send "$bytes") ;; source) spargs=(--recv) ;; esac
    bg_start L_PID ip netns exec "$NS" "$TMP/tcpkit" "$mode" 0.0.0.0 5001 "$bytes" 90 \
        >"$TMP/$mode.res" 2>&1
    wait_for_file_match "$TMP/$mode.res" '^listening' 5 "$L_PID" || { sed "s/^/# /" "$TMP/$mode.res"; return 1; }
    nsx timeout 100 "$TMP/stackpeer" --tap tcpip1 --ip 10.77.1.2/24 --host-ip 10.77.1.1/24 \
        --connect 10.77.1.1:5001 "${spargs[@]}" --timeout 90 >"$TMP/sp-$mode.res" 2>&1
    pst=$?
    proc_wait "$L_PID" 10
    note "stackpeer (status $pst): $(tr '\n' ' ' <"$TMP/sp-$mode.res")"
    note "kernel (status $WAIT_STATUS): $(tr '\n' ' ' <"$TMP/$mode.res")"
    no_sanitizer_report "$TMP/sp-$mode.res" || return 1
    [ "$pst" -eq 0 ] && [ "$WAIT_STATUS" -eq 0 ]
}
check "stack -> kernel listener: $PEER_MIB MiB sent by the stack arrive intact" peer_run sink
check "kernel listener -> stack: $PEER_MIB MiB received by the stack intact" peer_run source

# ---- and tcpipd survived it all ----

alive_ok() { proc_running "$A_PID" && ping_ok 10.77.0.2 3 -i 0.1; }
check "tcpipd still running and answering ping" alive_ok

sigterm_ok() {
    tcpipd_stop "$A_PID" 5 || { note "did not exit within 5 s"; return 1; }
    [ "$TCPIPD_STATUS" -eq 0 ] || { note "exit status $TCPIPD_STATUS"; show_log "$TMP/a.log"; false; }
}
check "SIGTERM: exit status 0 within 5 s" sigterm_ok
check "no sanitizer report in the tcpipd run" no_sanitizer_report "$TMP/a.log"

note "tcp_kernel: $((SECONDS - start_s)) s"
itest_done
