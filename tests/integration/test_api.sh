#!/bin/bash
# test_api.sh - the cross-backend API suite (tests/api/api_suite.c) run
# in a fresh network namespace, with the kernel as the peer, over IPv4,
# IPv6 and IPv4-mapped IPv6 (an AF_INET6 socket talking IPv4, RFC 4291
# 2.5.5.2), each through both backends:
#   socket        TCPIP_BACKEND=socket: the socket under test is a kernel
#   socket6       socket on one end of a veth pair (10.77.5.2, fd77::5:2,
#   socket_mapped ::ffff:10.77.5.2), its peer on the other (10.77.5.1,
#                 fd77::5:1, ::ffff:10.77.5.1). These runs are the reference.
#   direct        TCPIP_BACKEND=direct through tcpipd: the socket under test
#   direct6       lives on the stack (10.77.0.2, fd77::2, ::ffff:10.77.0.2),
#   direct_mapped its peer is the kernel side of the TAP (10.77.0.1,
#                 fd77::1, ::ffff:10.77.0.1).
#   preload       the same cases written with the plain BSD calls
#   preload6      (api_suite_plain, no libtcpip), run unmodified under
#   preload_mapped tcpip-run: libtcpip-preload.so puts them on tcpipd.
# Each case prints one "ok"/"not ok" line per run; a last check per family
# and run says whether direct (and preload) matched socket case by case,
# and names each difference.
#
# Run by tests/run.sh with TCPIPD=/abs/build/asan/tcpipd; needs root,
# /dev/net/tun and `ip netns`. The suite binary is the one of the same
# build as $TCPIPD (DIR/tests/api/api_suite), else build/tests/api/api_suite.
#
# Addresses (inside the namespace only):
#   tcpip0 (tcpipd): stack 10.77.0.2/24 and fd77::2/64,
#                    kernel 10.77.0.1/24 and fd77::1/64
#   veth apia/apib:  kernel 10.77.5.1/24 and 10.77.5.2/24, fd77::5:1/128
#                    and fd77::5:2/128 (/128: no second route to fd77::/64
#                    beside tcpip0's; both are local, so they talk over lo)

. "$(dirname "$0")/lib.sh"

BUILD_DIR=$(dirname "$TCPIPD")
SUITE=$BUILD_DIR/tests/api/api_suite
[ -x "$SUITE" ] || SUITE=$ITEST_REPO/build/tests/api/api_suite
# The preload runs use the same build's library and plain suite: with the
# sanitizer build the library is checked too (its ASan runtime comes in
# through the library, not first: verify_asan_link_order=0).
SUITE_PLAIN=$(dirname "$SUITE")/api_suite_plain
TCPIP_RUN=$(dirname "$(dirname "$(dirname "$SUITE")")")/tcpip-run
SUITE_SECS=400 # 17 cases of at most 20 s each, plus margin
SUITE_CMD=()

# The runs: reference label, direct label, and what the comparison says.
FAMILIES=(v4 v6 mapped)
declare -A REF_RUN=([v4]=socket [v6]=socket6 [mapped]=socket_mapped)
declare -A DIRECT_RUN=([v4]=direct [v6]=direct6 [mapped]=direct_mapped)
declare -A PRELOAD_RUN=([v4]=preload [v6]=preload6 [mapped]=preload_mapped)
declare -A FAMILY_TEXT=([v4]="IPv4" [v6]="IPv6" [mapped]="IPv4-mapped IPv6")
compare_title() { # FAMILY [RUN]
    local f=$1 run=${2:-${DIRECT_RUN[$1]}}
    if [ "$f" = v4 ] && [ "$run" = direct ]; then
        echo "direct backend gives the same result as socket in every case"
    elif [ "$f" = v4 ]; then
        echo "$run (tcpip-run, plain BSD calls) gives the same result as socket in every case"
    else
        echo "${FAMILY_TEXT[$f]}: $run gives the same result as ${REF_RUN[$f]} in every case"
    fi
}

# The case list comes from the suite itself, so that a skip names each.
ITEST_CHECKS=()
if [ -x "$SUITE" ]; then
    for fam in "${FAMILIES[@]}"; do
        while read -r id title; do
            ITEST_CHECKS+=("${REF_RUN[$fam]}: $title [$id]" "${DIRECT_RUN[$fam]}: $title [$id]"
                "${PRELOAD_RUN[$fam]}: $title [$id]")
        done < <("$SUITE" --list)
    done
fi
for fam in "${FAMILIES[@]}"; do
    ITEST_CHECKS+=("$(compare_title "$fam")" "$(compare_title "$fam" "${PRELOAD_RUN[$fam]}")")
done
ITEST_CHECKS+=("no sanitizer report in the tcpipd run")
itest_init api python3
[ -x "$SUITE" ] || itest_unavailable "no api_suite binary $SUITE (make all)"
[ -x "$SUITE_PLAIN" ] && [ -x "$TCPIP_RUN" ] ||
    itest_unavailable "no $SUITE_PLAIN or $TCPIP_RUN (make all)"
ns_create || itest_unavailable "cannot create a namespace"
# IPv6 inside the namespace only: on for new devices (apia/apib, tcpip0),
# and no kernel DAD delay for its own addresses (fresh in a fresh
# namespace); no router advertisements accepted, so no default route.
nsx sysctl -qw net.ipv6.conf.all.disable_ipv6=0 net.ipv6.conf.default.disable_ipv6=0 \
    net.ipv6.conf.default.accept_dad=0 net.ipv6.conf.default.accept_ra=0 \
    net.ipv6.bindv6only=0 ||
    itest_unavailable "cannot enable IPv6 in the namespace"

# run_suite LABEL LOCAL PEER [ENV...]: the suite in the namespace; its
# lines go to stdout (counted by run.sh) and to $TMP/LABEL.out.
# SUITE_CMD (default: the suite) may put a command in front of it.
run_suite() {
    local label=$1 local_ip=$2 peer_ip=$3 rc
    shift 3
    nsx env "$@" timeout "$SUITE_SECS" "${SUITE_CMD[@]:-$SUITE}" --local "$local_ip" \
        --peer "$peer_ip" --label "$label" >"$TMP/$label.out" 2>"$TMP/$label.err"
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
    ip -n "$NS" -6 addr add fd77::5:1/128 dev apia nodad &&
    ip -n "$NS" -6 addr add fd77::5:2/128 dev apib nodad &&
    ip -n "$NS" link set apia up && ip -n "$NS" link set apib up ||
    itest_unavailable "cannot make a veth pair in the namespace"
run_suite socket 10.77.5.2 10.77.5.1 TCPIP_BACKEND=socket
run_suite socket6 fd77::5:2 fd77::5:1 TCPIP_BACKEND=socket
run_suite socket_mapped ::ffff:10.77.5.2 ::ffff:10.77.5.1 TCPIP_BACKEND=socket

# ---- direct: the same cases through tcpipd ----

IPC_SOCK=$TMP/ipc/tcpipd.sock
write_config "$TMP/base.json"
python3 - "$TMP/base.json" "$TMP/a.json" "$IPC_SOCK" "$TMP/ctl/control.sock" <<'PY'
import json, sys
cfg = json.load(open(sys.argv[1]))
cfg["ipc"] = {"path": sys.argv[3], "mode": "0660"}
cfg["control"] = {"path": sys.argv[4], "mode": "0660"}
# IPv6 on tcpip0: a static address only (no SLAAC: nobody advertises).
iface = cfg["interfaces"][0]
iface["ipv6"] = {"addresses": ["fd77::2/64"], "slaac": False}
iface["host"]["ipv6"] = "fd77::1/64"
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
    # fd77::2 is used only after the stack's DAD (RFC 4862 5.4: one NS, one
    # second of silence), normally over during the IPv4 run; bounded wait
    # of 5 tries of one second, then one reply that also warms the neighbour entry.
    for ((i = 0; i < 5; i++)); do
        nsx timeout 3 ping -6 -n -c 1 -W 1 fd77::2 >/dev/null 2>&1 && break
    done
    ping_ok fd77::2 1 -6 >/dev/null || note "ping -6 fd77::2 failed before the direct6 run"
    run_suite direct6 fd77::2 fd77::1 TCPIP_BACKEND=direct "TCPIP_SOCKET=$IPC_SOCK"
    run_suite direct_mapped ::ffff:10.77.0.2 ::ffff:10.77.0.1 TCPIP_BACKEND=direct \
        "TCPIP_SOCKET=$IPC_SOCK"
    SUITE_CMD=("$TCPIP_RUN" --socket "$IPC_SOCK" "$SUITE_PLAIN")
    ASAN_PRELOAD="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0"
    run_suite preload 10.77.0.2 10.77.0.1 "ASAN_OPTIONS=$ASAN_PRELOAD"
    run_suite preload6 fd77::2 fd77::1 "ASAN_OPTIONS=$ASAN_PRELOAD"
    run_suite preload_mapped ::ffff:10.77.0.2 ::ffff:10.77.0.1 "ASAN_OPTIONS=$ASAN_PRELOAD"
    SUITE_CMD=()
elif ipc_expected; then
    not_ok "direct: tcpipd serves $IPC_SOCK (ipc.path)"
    show_log "$TMP/a.log"
else
    for fam in "${FAMILIES[@]}"; do
        while read -r id title; do
            skip "${DIRECT_RUN[$fam]}: $title [$id] (tcpipd has no IPC server yet: daemon/ipc_server.c)"
            skip "${PRELOAD_RUN[$fam]}: $title [$id] (tcpipd has no IPC server yet)"
        done < <("$SUITE" --list)
    done
fi

# ---- the comparison: the kernel is the reference ----

# compare_ok REF RUN: RUN gave the same ok/not ok as REF in every case.
compare_ok() {
    local ref=$1 run=$2 line id s d f diffs=0
    $direct_ready || return 0
    while read -r id _; do
        s=$(grep -E "^(ok|not ok) - $ref: .* \[$id\]$" "$TMP/$ref.out" 2>/dev/null | sed 's/ - .*//')
        d=$(grep -E "^(ok|not ok) - $run: .* \[$id\]$" "$TMP/$run.out" 2>/dev/null | sed 's/ - .*//')
        if [ "$s" != "$d" ]; then
            diffs=$((diffs + 1))
            note "difference in [$id]: $ref '${s:-missing}', $run '${d:-missing}'"
            # The suite's own line naming the call, expected vs actual.
            for f in "$ref" "$run"; do
                line=$(awk -v id="[$id]" '
                    /^# / { last = $0 }
                    /^(ok|not ok) - / { if (index($0, id)) { print last; exit } last = "" }' \
                    "$TMP/$f.out" 2>/dev/null)
                [ -n "$line" ] && note "  $f: ${line#\# }"
            done
        fi
    done < <("$SUITE" --list)
    [ "$diffs" -eq 0 ]
}
for fam in "${FAMILIES[@]}"; do
    for run in "${DIRECT_RUN[$fam]}" "${PRELOAD_RUN[$fam]}"; do
        if $direct_ready; then
            check "$(compare_title "$fam" "$run")" compare_ok "${REF_RUN[$fam]}" "$run"
        else
            skip "$(compare_title "$fam" "$run") (no direct run)"
        fi
    done
done

# ---- tcpipd stops cleanly ----

if proc_running "$A_PID"; then
    tcpipd_stop "$A_PID" 10 || note "tcpipd had to be killed"
    [ "$TCPIPD_STATUS" -eq 0 ] || { note "tcpipd exit status $TCPIPD_STATUS"; show_log "$TMP/a.log"; }
fi
check "no sanitizer report in the tcpipd run" no_sanitizer_report "$TMP/a.log"
itest_done
