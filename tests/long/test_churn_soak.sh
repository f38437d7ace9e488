#!/bin/bash
# test_churn_soak.sh - the memory soak of issue 14 (item 2), `make test-long`:
# tcpipd's echo service under rounds of SOAK_CONNS concurrent connections,
# each echoing SOAK_BYTES (checked byte for byte) and closing, for
# SOAK_SECS (default 3600: one hour), while tcpipd's RSS is sampled every
# 10 s. Memory must follow the load: after the last round closes, RSS is
# back within 20% of what it was after the first one (the buffers are gone,
# the heap gave its pages back), and RSS under the same load does not creep
# up over the hour.
#
# Run by tests/run.sh --long-only with TCPIPD=/abs/build/tcpipd (the plain
# build: ASan's allocator keeps freed memory in quarantine, which would be
# measured instead). Needs root, /dev/net/tun, `ip netns`, cc.
#
# Environment: SOAK_SECS (3600), SOAK_CONNS (1000), SOAK_BYTES (65536).
#
# Addresses (inside the namespace only): tcpip0: stack 10.77.0.2/24, kernel
# 10.77.0.1/24 and the clients' sources 10.77.0.101-104/24.

. "$(dirname "$0")/../integration/lib.sh"

SECS=${SOAK_SECS:-3600}
CONNS=${SOAK_CONNS:-1000}
BYTES=${SOAK_BYTES:-65536}

ITEST_CHECKS=(
    "build tcpbench"
    "tcpipd starts with the tcp echo service"
    "churn for $SECS s: every round complete, every byte echoed right"
    "RSS after the connections closed is within 20% of after the first round"
    "RSS under load does not creep (last quarter's median within 20% of the first's)"
    "tcpipd exits 0 on SIGTERM"
)
itest_init churn_soak cc
ns_create || itest_unavailable "cannot create a namespace"

# rss_kb PID: resident set in KiB.
rss_kb() { awk '/^VmRSS/ { print $2 }' "/proc/$1/status"; }
# established: the kernel's connections to tcpipd that are still up.
established() { nsx ss -Htn state established dst 10.77.0.2 | wc -l; }
# settle: until the connections are gone (bounded), then one trim period.
settle() {
    local i
    for ((i = 0; i < 300; i++)); do
        [ "$(established)" -eq 0 ] && break
        sleep 0.1
    done
    sleep 6
}

check "build tcpbench" cc -std=c11 -O2 -D_GNU_SOURCE -o "$TMP/tcpbench" \
    "$ITEST_REPO/bench/tcpbench.c"

write_config "$TMP/tcpipd.json" '{ "tcp_echo": { "enabled": true, "port": 7 } }'
tcpipd_start "$TMP/tcpipd.log" "$TMP/tcpipd.json"
check "tcpipd starts with the tcp echo service" tcpipd_wait_ready "$TMP/tcpipd.log"
# The client closes first: thousands of TIME_WAIT sockets would make the
# kernel's ephemeral port search, not tcpipd, the thing measured (as in
# bench/run.sh); a wide port range too. Per-namespace knobs.
nsx sysctl -q -w net.ipv4.tcp_max_tw_buckets=256 net.ipv4.ip_local_port_range="1024 65535"
SRCS=""
for i in 101 102 103 104; do
    nsx ip addr add "10.77.0.$i/24" dev tcpip0
    SRCS="$SRCS 10.77.0.$i"
done

rss_start=$(rss_kb "$TCPIPD_PID")
# One round first: what a warm daemon holds with nothing connected.
nsx "$TMP/tcpbench" churn 10.77.0.2 7 "$CONNS" "$BYTES" 1 $SRCS >"$TMP/warm.out" 2>&1
settle
rss_warm=$(rss_kb "$TCPIPD_PID")
note "RSS: $rss_start KiB at start, $rss_warm KiB after one round of $CONNS connections"

# The soak, with RSS sampled every 10 s from the first 10 s on.
bg_start CHURN nsx timeout $((SECS + 60)) "$TMP/tcpbench" churn 10.77.0.2 7 "$CONNS" "$BYTES" \
    "$SECS" $SRCS >"$TMP/churn.out" 2>"$TMP/churn.err"
: >"$TMP/rss.samples"
for ((t = 10; t < SECS + 60; t += 10)); do
    sleep 10
    proc_running "$CHURN" || break
    echo "$t $(rss_kb "$TCPIPD_PID")" >>"$TMP/rss.samples"
done
proc_wait "$CHURN" 60
churn_status=$WAIT_STATUS
settle
rss_end=$(rss_kb "$TCPIPD_PID")
rounds=$(awk '$2 == "churn_rounds" { print $3 }' "$TMP/churn.out")
conns=$(awk '$2 == "churn_conns" { print $3 }' "$TMP/churn.out")
mb=$(awk '$2 == "churn_MB" { print $3 }' "$TMP/churn.out")
note "churn: ${rounds:-?} rounds, ${conns:-?} connections, ${mb:-?} MB echoed, status $churn_status"
if [ "$churn_status" -eq 0 ] && [ -n "$rounds" ] && [ "$rounds" -gt 0 ]; then
    ok "churn for $SECS s: every round complete, every byte echoed right"
else
    show_log "$TMP/churn.err"
    not_ok "churn for $SECS s: every round complete, every byte echoed right"
fi
peak=$(sort -k2 -n "$TMP/rss.samples" | tail -n 1 | awk '{ print $2 }')
note "RSS: peak ${peak:-?} KiB under load, $rss_end KiB after the last round closed"
if [ "$rss_end" -le $((rss_warm * 12 / 10)) ]; then
    ok "RSS after the connections closed is within 20% of after the first round"
else
    not_ok "RSS after the connections closed is within 20% of after the first round" \
        "($rss_end KiB vs $rss_warm KiB)"
fi
# Creep: the median sample of the first and of the last quarter, under
# the same load.
median_kb() { sort -k2 -n | awk '{ v[NR] = $2 } END { if (NR) print v[int((NR + 1) / 2)] }'; }
n=$(wc -l <"$TMP/rss.samples")
q=$((n / 4 > 0 ? n / 4 : 1))
first=$(head -n "$q" "$TMP/rss.samples" | median_kb)
last=$(tail -n "$q" "$TMP/rss.samples" | median_kb)
note "RSS under load, median: ${first:-?} KiB in the first quarter, ${last:-?} KiB in the last ($n samples)"
if [ -n "$first" ] && [ -n "$last" ] && [ "$last" -le $((first * 12 / 10)) ]; then
    ok "RSS under load does not creep (last quarter's median within 20% of the first's)"
else
    not_ok "RSS under load does not creep (last quarter's median within 20% of the first's)"
fi

tcpipd_stop "$TCPIPD_PID"
check "tcpipd exits 0 on SIGTERM" test "$TCPIPD_STATUS" -eq 0
itest_done
