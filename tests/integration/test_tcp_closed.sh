#!/bin/bash
# test_tcp_closed.sh - tcpipd answers TCP to a port nobody listens on with a
# RST (RFC 9293 3.10.7.1), so the kernel's connect() fails at once with
# ECONNREFUSED instead of timing out.
#
# Run by tests/run.sh with TCPIPD=/abs/build/asan/tcpipd; needs root,
# /dev/net/tun and `ip netns`. Prints "ok - ", "not ok - ", "skip - " lines.
#
# Addresses (inside the namespace only): tcpip0 (created by tcpipd): stack
# 10.77.0.2/24, kernel 10.77.0.1/24.

. "$(dirname "$0")/lib.sh"

ITEST_CHECKS=(
    "tcpipd starts in the namespace and logs ready"
    "connect to 10.77.0.2:80: Connection refused within 2 s"
    "the RST+ACK is on the wire from 10.77.0.2.80"
    "connect to a second closed port (22) is refused too"
    "tcpipd still running and answering ping"
    "SIGTERM: exit status 0 within 5 s"
    "no sanitizer report in the tcpipd run"
)
itest_init tcp_closed tcpdump bash
ns_create || itest_unavailable "cannot create a namespace"

write_config "$TMP/a.json"

tcpipd_start "$TMP/a.log" "$TMP/a.json"
A_PID=$TCPIPD_PID
if tcpipd_wait_ready "$TMP/a.log"; then
    ok "tcpipd starts in the namespace and logs ready"
else
    not_ok "tcpipd starts in the namespace and logs ready"
    show_log "$TMP/a.log"
    itest_done
fi

# tcp_connect PORT OUT: one connect() from the kernel side, bounded by
# timeout; its error message in OUT, its duration (ms) in CONNECT_MS.
tcp_connect() {
    local t0 t1
    t0=$(date +%s%N)
    nsx timeout 5 bash -c "exec 3<>/dev/tcp/10.77.0.2/$1" >"$2" 2>&1
    CONNECT_STATUS=$?
    t1=$(date +%s%N)
    CONNECT_MS=$(((t1 - t0) / 1000000))
}

bg_start TD_PID ip netns exec "$NS" timeout 10 tcpdump -i tcpip0 -n -l -c 1 \
    'src host 10.77.0.2 and tcp src port 80 and tcp[tcpflags] & tcp-rst != 0' \
    >"$TMP/td.out" 2>"$TMP/td.err"
wait_for_file_match "$TMP/td.err" 'listening on' 5 "$TD_PID" || note "tcpdump did not start: $(cat "$TMP/td.err")"

tcp_connect 80 "$TMP/c80.out"
refused_ok() { # what the connect attempt printed
    note "connect: status $CONNECT_STATUS in $CONNECT_MS ms: $(tr "\n" " " <"$1")"
    [ "$CONNECT_STATUS" -ne 0 ] && [ "$CONNECT_STATUS" -ne 124 ] &&
        grep -q 'Connection refused' "$1" && [ "$CONNECT_MS" -lt 2000 ]
}
check "connect to 10.77.0.2:80: Connection refused within 2 s" refused_ok "$TMP/c80.out"

proc_wait "$TD_PID" 5
rst_wire_ok() {
    grep -Eq '10\.77\.0\.2\.80 > 10\.77\.0\.1\.[0-9]+: Flags \[R\.\], seq 0, ack [0-9]+, win 0' "$TMP/td.out" ||
        { note "tcpdump: $(cat "$TMP/td.out")"; false; }
}
check "the RST+ACK is on the wire from 10.77.0.2.80" rst_wire_ok

tcp_connect 22 "$TMP/c22.out"
check "connect to a second closed port (22) is refused too" refused_ok "$TMP/c22.out"

alive_ok() { proc_running "$A_PID" && ping_ok 10.77.0.2 2 -i 0.1; }
check "tcpipd still running and answering ping" alive_ok

sigterm_ok() {
    tcpipd_stop "$A_PID" 5 && [ "$TCPIPD_STATUS" -eq 0 ] ||
        { note "exit status $TCPIPD_STATUS"; show_log "$TMP/a.log"; false; }
}
check "SIGTERM: exit status 0 within 5 s" sigterm_ok
check "no sanitizer report in the tcpipd run" no_sanitizer_report "$TMP/a.log"

itest_done
