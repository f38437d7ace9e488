#!/bin/bash
# test_api.sh - the cross-backend API suite (tests/api/api_suite.c) run
# twice in a fresh network namespace, with the kernel as the peer:
#   socket  TCPIP_BACKEND=socket: the socket under test is a kernel socket
#           on one end of a veth pair (10.77.5.2), its peer on the other
#           (10.77.5.1). This run is the reference.
#   direct  TCPIP_BACKEND=direct through tcpipd: the socket under test lives
#           on the stack (10.77.0.2), its peer is the kernel side of the TAP
#           (10.77.0.1).
# Each case prints one "ok"/"not ok" line per backend; a last check says
# whether direct matched socket case by case, and names each difference.
#
# Run by tests/run.sh with TCPIPD=/abs/build/asan/tcpipd; needs root,
# /dev/net/tun and `ip netns`. The suite binary is the one of the same
# build as $TCPIPD (DIR/tests/api/api_suite), else build/tests/api/api_suite.
#
# Addresses (inside the namespace only):
#   tcpip0 (tcpipd): stack 10.77.0.2/24, kernel 10.77.0.1/24
#   veth apia/apib:  kernel 10.77.5.1/24 and 10.77.5.2/24

. "$(dirname "$0")/lib.sh"

BUILD_DIR=$(dirname "$TCPIPD")
SUITE=$BUILD_DIR/tests/api/api_suite
[ -x "$SUITE" ] || SUITE=$ITEST_REPO/build/tests/api/api_suite
SUITE_SECS=400 # 16 cases of at most 20 s each, plus margin

# The case list comes from the suite itself, so that a skip names each.
ITEST_CHECKS=()
if [ -x "$SUITE" ]; then
    while read -r id title; do
        ITEST_CHECKS+=("socket: $title [$id]" "direct: $title [$id]")
    done < <("$SUITE" --list)
fi
ITEST_CHECKS+=("direct backend gives the same result as socket in every case")
ITEST_CHECKS+=("no sanitizer report in the tcpipd run")
itest_init api python3
[ -x "$SUITE" ] || itest_unavailable "no api_suite binary $SUITE (make all)"
ns_create || itest_unavailable "cannot create a namespace"

# run_suite LABEL LOCAL PEER [ENV...]: the suite in the namespace; its
# lines go to stdout (counted by run.sh) and to $TMP/LABEL.out.
run_suite() {
    local label=$1 local_ip=$2 peer_ip=$3 rc
    shift 3
    nsx env "$@" timeout "$SUITE_SECS" "$SUITE" --local "$local_ip" --peer "$peer_ip" \
        --label "$label" >"$TMP/$label.out" 2>"$TMP/$label.err"
    rc=$?
    cat "$TMP/$label.out"
    if [ "$rc" -ne 0 ] && ! grep -q '^not ok - ' "$TMP/$label.out"; then
        # It died before reporting a failure: that is one.
        not_ok "$label: api_suite exited with status $rc"
        show_log "$TMP/$label.err"
    fi
    ITEST_FAILS=$((ITEST_FAILS + $(grep -c '^not ok - ' "$TMP/$label.out")))
}

# ---- socket: the kernel reference, on a veth pair ----

ip -n "$NS" link add apia type veth peer name apib &&
    ip -n "$NS" addr add 10.77.5.1/24 dev apia &&
    ip -n "$NS" addr add 10.77.5.2/24 dev apib &&
    ip -n "$NS" link set apia up && ip -n "$NS" link set apib up ||
    itest_unavailable "cannot make a veth pair in the namespace"
run_suite socket 10.77.5.2 10.77.5.1 TCPIP_BACKEND=socket

# ---- direct: the same cases through tcpipd ----

IPC_SOCK=$TMP/ipc/tcpipd.sock
write_config "$TMP/base.json"
python3 - "$TMP/base.json" "$TMP/a.json" "$IPC_SOCK" "$TMP/ctl/control.sock" <<'PY'
import json, sys
cfg = json.load(open(sys.argv[1]))
cfg["ipc"] = {"path": sys.argv[3], "mode": "0660"}
cfg["control"] = {"path": sys.argv[4], "mode": "0660"}
json.dump(cfg, open(sys.argv[2], "w"), indent=2)
PY

# Whether tcpipd serves the socket protocol yet: until daemon/ipc_server.c
# lands the direct run is skipped, not failed.
ipc_expected() { [ -f "$ITEST_REPO/daemon/ipc_server.c" ]; }

direct_ready=false
tcpipd_start "$TMP/a.log" "$TMP/a.json"
A_PID=$TCPIPD_PID
if tcpipd_wait_ready "$TMP/a.log"; then
    for ((i = 0; i < 100; i++)); do
        [ -S "$IPC_SOCK" ] && { direct_ready=true; break; }
        sleep 0.05
    done
else
    note "tcpipd did not log ready"
    show_log "$TMP/a.log"
fi

if $direct_ready; then
    # A first exchange warms the kernel's ARP entry for the stack, so no case
    # pays for resolution.
    ping_ok 10.77.0.2 1 >/dev/null || note "ping 10.77.0.2 failed before the direct run"
    run_suite direct 10.77.0.2 10.77.0.1 TCPIP_BACKEND=direct "TCPIP_SOCKET=$IPC_SOCK"
elif ipc_expected; then
    not_ok "direct: tcpipd serves $IPC_SOCK (ipc.path)"
    show_log "$TMP/a.log"
else
    while read -r id title; do
        skip "direct: $title [$id] (tcpipd has no IPC server yet: daemon/ipc_server.c)"
    done < <("$SUITE" --list)
fi

# ---- the comparison: the kernel is the reference ----

compare_ok() {
    local line id s d diffs=0
    $direct_ready || return 0
    while read -r id _; do
        s=$(grep -E "^(ok|not ok) - socket: .* \[$id\]$" "$TMP/socket.out" | sed 's/ - .*//')
        d=$(grep -E "^(ok|not ok) - direct: .* \[$id\]$" "$TMP/direct.out" | sed 's/ - .*//')
        if [ "$s" != "$d" ]; then
            diffs=$((diffs + 1))
            note "difference in [$id]: socket '${s:-missing}', direct '${d:-missing}'"
            # The suite's own line naming the call, expected vs actual.
            for f in socket direct; do
                line=$(awk -v id="[$id]" '
                    /^# / { last = $0 }
                    /^(ok|not ok) - / { if (index($0, id)) { print last; exit } last = "" }' \
                    "$TMP/$f.out")
                [ -n "$line" ] && note "  $f: ${line#\# }"
            done
        fi
    done < <("$SUITE" --list)
    [ "$diffs" -eq 0 ]
}
if $direct_ready; then
    check "direct backend gives the same result as socket in every case" compare_ok
else
    skip "direct backend gives the same result as socket in every case (no direct run)"
fi

# ---- tcpipd stops cleanly ----

if proc_running "$A_PID"; then
    tcpipd_stop "$A_PID" 10 || note "tcpipd had to be killed"
    [ "$TCPIPD_STATUS" -eq 0 ] || { note "tcpipd exit status $TCPIPD_STATUS"; show_log "$TMP/a.log"; }
fi
check "no sanitizer report in the tcpipd run" no_sanitizer_report "$TMP/a.log"
itest_done
