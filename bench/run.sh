#!/bin/bash
# run.sh - `make bench`: tcpipd's TCP beside the kernel's TCP and the raw TAP
# ceiling, the same services through libtcpip beside the built-in ones, an
# unmodified program (tcpbench's server, iperf3) through tcpip-run, all
# measured in the same run, reported as medians of BENCH_RUNS
# runs with ratios (see bench/README.md for the method).
#
#   bench/run.sh [BUILD_DIR]     default build/ (tcpipd) and build/bench/ (tools)
#
# Environment: BENCH_RUNS (3), BENCH_SECS (2, per measurement),
# BENCH_SCALE_CONNS (50000; 0 skips the rows with idle connections held).
# Needs root, /dev/net/tun, `ip netns`, taskset. Everything runs in network
# namespaces made here (10.77.x addresses, no routes to the outside), every
# process is tracked and killed by pid, the EXIT trap removes it all.
set -u
cd "$(dirname "$0")/.." || exit 2
BUILD=${1:-build}
TOOLS=build/bench
RUNS=${BENCH_RUNS:-3}
SECS=${BENCH_SECS:-2}
SCALE_BIG=${BENCH_SCALE_CONNS:-50000}
SCALE_SMALL=1000
TCPIPD=$PWD/$BUILD/tcpipd
HZ=$(getconf CLK_TCK)

die() { echo "bench: $*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || die "needs root (network namespaces and a TAP device)"
[ -c /dev/net/tun ] || die "no /dev/net/tun"
for t in ip taskset timeout; do command -v $t >/dev/null || die "no '$t'"; done
TCPIP_RUN=$PWD/build/tcpip-run
for b in "$TCPIPD" "$TOOLS/tcpbench" "$TOOLS/tap_ceiling" "$TOOLS/tcpipserver" "$TCPIP_RUN"; do
    [ -x "$b" ] || die "$b is missing (make bench builds it)"
done
# Idle CPUs poll instead of halting while the bench runs (a PM QoS request
# of 0 us on /dev/cpu_dma_latency, held by this shell and dropped by the
# kernel when it exits, as cyclictest and tuned's latency-performance do).
# In a VM an idle vCPU halts and its wake-up costs tens of microseconds: the
# kernel's veth path never sleeps inside connect() or a round trip, a TAP
# daemon does, so without this the figures measure the hypervisor's wake-up
# latency rather than the stacks. BENCH_IDLE_POLL=0 measures without it.
IDLE_POLL=${BENCH_IDLE_POLL:-1}
if [ "$IDLE_POLL" = 1 ] && [ -w /dev/cpu_dma_latency ]; then
    exec {QOS_FD}>/dev/cpu_dma_latency && printf '\0\0\0\0' >&"$QOS_FD" || IDLE_POLL=0
else
    IDLE_POLL=0
fi
NCPU=$(nproc)
# The server (kernel's or tcpipd) lives on CPU 0; "other core" is CPU 1.
OTHER_CPU=$((NCPU > 1 ? 1 : 0))

PIDS=()
NSS=()
TMP=$(mktemp -d /tmp/tcpip-bench.XXXXXX) || die "mktemp failed"
cleanup() {
    local p n
    for p in "${PIDS[@]}"; do
        kill -KILL "$p" 2>/dev/null
        wait "$p" 2>/dev/null
    done
    for n in "${NSS[@]}"; do ip netns del "$n" 2>/dev/null; done
    rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

ns_new() { # NAME: a namespace with lo up and sysctls for connection churn
    ip netns add "$1" || die "ip netns add $1 failed"
    NSS+=("$1")
    ip -n "$1" link set lo up
    # The kernel client does the active close. Tens of thousands of
    # TIME_WAIT sockets from the connections-per-second runs would make its
    # ephemeral port search the bottleneck (and the next run's baseline
    # depend on the previous one): keep few of them (per-namespace knobs).
    ip netns exec "$1" sysctl -q -w net.ipv4.tcp_max_tw_buckets=256 \
        net.ipv4.ip_local_port_range="1024 65535" >/dev/null
}

wait_listen() { # NS IP PORT: until a connect from NS succeeds (at most 10 s)
    local i
    for ((i = 0; i < 200; i++)); do
        ip netns exec "$1" timeout 1 bash -c "exec 3<>/dev/tcp/$2/$3" 2>/dev/null && return 0
        sleep 0.05
    done
    return 1
}

cpu_ticks() { sed 's/^.*) //' "/proc/$1/stat" | awk '{print $12 + $13}'; }
# cpu_share TICKS NS: percent of one CPU
cpu_share() { awk -v c="$1" -v hz="$HZ" -v ns="$2" 'BEGIN { printf "%.0f", 100 * c / hz / (ns / 1e9) }'; }

# record KEY VALUE: one sample of a figure.
record() { echo "$2" >>"$TMP/v.$1"; }

# measure SIDE NS "PID [PID2]" CMD...: run a tcpbench client in NS, record
# each "RESULT key value" as SIDE.key; with PID, also that server process's
# CPU share as SIDE.cpu.KEY (and PID2's as SIDE.cpu2.KEY) for the first key.
measure() {
    local side=$1 ns=$2 out t0 t1 k v first="" pid pid2 c0=0 c1=0 d0=0 d1=0
    read -r pid pid2 <<<"$3"
    shift 3
    [ -n "$pid" ] && c0=$(cpu_ticks "$pid")
    [ -n "$pid2" ] && d0=$(cpu_ticks "$pid2")
    t0=$(date +%s%N)
    out=$(ip netns exec "$ns" timeout $((SECS + 20)) "$@" 2>"$TMP/err")
    t1=$(date +%s%N)
    [ -n "$pid" ] && c1=$(cpu_ticks "$pid")
    [ -n "$pid2" ] && d1=$(cpu_ticks "$pid2")
    [ -s "$TMP/err" ] && sed 's/^/  # /' "$TMP/err" >&2
    while read -r tag k v; do
        [ "$tag" = "#" ] && echo "  # $k $v"
        [ "$tag" = RESULT ] || continue
        record "$side.$k" "$v"
        [ -z "$first" ] && first=$k
    done <<<"$out"
    if [ -n "$pid" ] && [ -n "$first" ]; then
        # percent of one CPU over the client's wall time
        record "$side.cpu.$first" "$(cpu_share $((c1 - c0)) $((t1 - t0)))"
        [ -n "$pid2" ] && record "$side.cpu2.$first" "$(cpu_share $((d1 - d0)) $((t1 - t0)))"
    fi
    [ -n "$first" ] || echo "  # $side: $* gave no result" >&2
}

# suite SIDE NS HOST "PID [PID2]" [ECHO DISCARD CHARGEN]: the client
# measurements against one server (ports default to 7 9 19).
suite() {
    local side=$1 ns=$2 host=$3 pid=$4 echo=${5:-7} discard=${6:-9} chargen=${7:-19}
    local tb=$PWD/$TOOLS/tcpbench
    measure "$side" "$ns" "$pid" "$tb" send "$host" "$discard" "$SECS"
    measure "$side" "$ns" "$pid" "$tb" recv "$host" "$chargen" "$SECS"
    measure "$side.other" "$ns" "$pid" "$tb" rr "$host" "$echo" "$SECS" "$OTHER_CPU"
    measure "$side.same" "$ns" "$pid" "$tb" rr "$host" "$echo" "$SECS" 0
    measure "$side.c1" "$ns" "$pid" "$tb" cps "$host" "$echo" "$SECS" 1
    measure "$side.c8" "$ns" "$pid" "$tb" cps "$host" "$echo" "$SECS" 8
}

# suite6 SIDE NS HOST6 PID: bulk each way over IPv6 (TCP over IPv6 has its
# own output and offload path).
suite6() {
    local side=$1 ns=$2 host=$3 pid=$4 tb=$PWD/$TOOLS/tcpbench
    measure "$side.v6" "$ns" "$pid" "$tb" send "$host" 9 "$SECS"
    measure "$side.v6" "$ns" "$pid" "$tb" recv "$host" 19 "$SECS"
}

# ---- setup: three namespaces ----

NK1=tcpip-bk1-$$ NK2=tcpip-bk2-$$ NT=tcpip-bt-$$ NC=tcpip-bc-$$
ns_new "$NK1"
ns_new "$NK2"
ns_new "$NT"
ns_new "$NC"

# (a) the kernel's TCP over a veth pair: client in NK1, server in NK2.
ip link add bench0 netns "$NK1" type veth peer name bench1 netns "$NK2" || die "veth failed"
ip -n "$NK1" addr add 10.77.3.1/24 dev bench0
ip -n "$NK2" addr add 10.77.3.2/24 dev bench1
ip -n "$NK1" addr add fd77::3:1/64 dev bench0 nodad
ip -n "$NK2" addr add fd77::3:2/64 dev bench1 nodad
ip -n "$NK1" link set bench0 up
ip -n "$NK2" link set bench1 up
ip netns exec "$NK2" sysctl -q -w net.core.somaxconn=65535 net.ipv4.tcp_max_syn_backlog=65535
ip netns exec "$NK2" "$PWD/$TOOLS/tcpbench" server 10.77.3.2 7 9 19 0 >"$TMP/kserver.log" 2>&1 &
KPID=$!
PIDS+=("$KPID")
wait_listen "$NK1" 10.77.3.2 7 || die "kernel server did not start: $(cat "$TMP/kserver.log")"
# The same server on the IPv6 address, for the IPv6 rows.
ip netns exec "$NK2" "$PWD/$TOOLS/tcpbench" server fd77::3:2 7 9 19 0 >"$TMP/kserver6.log" 2>&1 &
PIDS+=("$!")
wait_listen "$NK1" fd77::3:2 9 || die "kernel IPv6 server did not start: $(cat "$TMP/kserver6.log")"

# (b) tcpipd on its TAP, pinned to CPU 0 like the kernel server, with its
# application socket (libtcpip's direct backend) in the temp dir.
IPC_SOCK=$TMP/tcpipd.sock
cat >"$TMP/tcpipd.json" <<JSON
{
  "log_level": "warning",
  "interfaces": [
    {
      "name": "tcpip0",
      "mac": "02:77:00:00:00:02",
      "mtu": 1500,
      "ipv4": { "address": "10.77.0.2/24" },
      "ipv6": { "addresses": [ "fd77::2/64" ], "slaac": false },
      "host": { "configure": true, "ipv4": "10.77.0.1/24", "ipv6": "fd77::1/64" }
    }
  ],
  "services": {
    "tcp_echo": { "enabled": true, "port": 7 },
    "tcp_discard": { "enabled": true, "port": 9 },
    "tcp_chargen": { "enabled": true, "port": 19 }
  },
  "stack": { "tcp": { "max_conns": 262144 } },
  "ipc": { "path": "$IPC_SOCK" }
}
JSON
ip netns exec "$NT" taskset -c 0 "$TCPIPD" -c "$TMP/tcpipd.json" >"$TMP/tcpipd.log" 2>&1 &
TPID=$!
PIDS+=("$TPID")
wait_listen "$NT" 10.77.0.2 7 || die "tcpipd did not start: $(cat "$TMP/tcpipd.log")"
# IPv6 once duplicate address detection is over on both sides.
wait_listen "$NT" fd77::2 9 || die "tcpipd not reachable over IPv6: $(cat "$TMP/tcpipd.log")"

# (d) the same services through libtcpip: tcpbench's server built on the
# direct backend, a separate process on tcpipd's CPU, ports 1007/1009/1019.
ip netns exec "$NT" env TCPIP_SOCKET="$IPC_SOCK" taskset -c 0 "$PWD/$TOOLS/tcpipserver" \
    server 10.77.0.2 1007 1009 1019 0 >"$TMP/libserver.log" 2>&1 &
LPID=$!
PIDS+=("$LPID")
wait_listen "$NT" 10.77.0.2 1007 || die "tcpipserver did not start: $(cat "$TMP/libserver.log")"

# (e) the same server program, unmodified, through tcpip-run (the preload
# library), ports 2007/2009/2019: beside (d) it shows what interposition
# costs over libtcpip itself.
# Like tcpipserver it sets no TCP_NODELAY per accepted connection
# (TCPBENCH_NODELAY=0): each such option is a request to tcpipd, the
# program's own cost, not the interposition's.
ip netns exec "$NT" env TCPBENCH_NODELAY=0 taskset -c 0 "$TCPIP_RUN" --socket "$IPC_SOCK" \
    "$PWD/$TOOLS/tcpbench" server 10.77.0.2 2007 2009 2019 0 >"$TMP/preserver.log" 2>&1 &
PPID_PRE=$!
PIDS+=("$PPID_PRE")
wait_listen "$NT" 10.77.0.2 2007 || die "tcpbench under tcpip-run did not start: $(cat "$TMP/preserver.log")"

# (f) iperf3, unmodified: a kernel server beside each client, the kernel's
# client over the veth pair and tcpip-run's on tcpipd (the server on the
# TAP's kernel side), one stream each way.
HAVE_IPERF=false
if command -v iperf3 >/dev/null; then
    HAVE_IPERF=true
    ip netns exec "$NK2" iperf3 -s -B 10.77.3.2 -p 5201 >"$TMP/iperf-k.log" 2>&1 &
    PIDS+=("$!")
    ip netns exec "$NT" iperf3 -s -B 10.77.0.1 -p 5202 >"$TMP/iperf-t.log" 2>&1 &
    PIDS+=("$!")
    wait_listen "$NK1" 10.77.3.2 5201 || die "iperf3 server on the veth did not start"
    wait_listen "$NT" 10.77.0.1 5202 || die "iperf3 server on the TAP's kernel side did not start"
fi
# iperf SIDE NS HOST PORT KEY [ARG...]: one iperf3 client run (JSON, more
# iperf3 ARGs), through tcpip-run when SIDE is "pre"; its received rate
# recorded as SIDE.KEY in MB/s.
iperf() {
    local side=$1 ns=$2 host=$3 port=$4 key=$5 out v pre=()
    shift 5
    [ "$side" = pre ] && pre=("$TCPIP_RUN" --socket "$IPC_SOCK")
    out=$(ip netns exec "$ns" timeout $((SECS + 20)) "${pre[@]}" iperf3 -J -c "$host" \
        -p "$port" -t "$SECS" "$@" 2>"$TMP/err")
    v=$(echo "$out" | python3 -c '
import json, sys
try:
    print("%.1f" % (json.load(sys.stdin)["end"]["sum_received"]["bits_per_second"] / 8e6))
except Exception:
    pass')
    if [ -n "$v" ]; then record "$side.$key" "$v"; else echo "  # iperf3 $side $key gave no result: $(head -c 300 "$TMP/err")" >&2; fi
}

echo "bench: $RUNS run(s), $SECS s per measurement, $NCPU CPU(s); servers on CPU 0;" \
    "idle CPUs $([ "$IDLE_POLL" = 1 ] && echo "poll (cpu_dma_latency 0)" || echo "halt (BENCH_IDLE_POLL=0 or no /dev/cpu_dma_latency)")"
start=$SECONDS
for ((run = 1; run <= RUNS; run++)); do
    echo "bench: run $run/$RUNS ..."
    suite kernel "$NK1" 10.77.3.2 ""
    suite tcpipd "$NT" 10.77.0.2 "$TPID"
    suite6 kernel "$NK1" fd77::3:2 ""
    suite6 tcpipd "$NT" fd77::2 "$TPID"
    suite lib "$NT" 10.77.0.2 "$TPID $LPID" 1007 1009 1019
    suite pre "$NT" 10.77.0.2 "$TPID $PPID_PRE" 2007 2009 2019
    if $HAVE_IPERF; then
        iperf kernel "$NK1" 10.77.3.2 5201 iperf_send_MBps
        iperf kernel "$NK1" 10.77.3.2 5201 iperf_recv_MBps -R
        iperf pre "$NT" 10.77.0.1 5202 iperf_send_MBps
        iperf pre "$NT" 10.77.0.1 5202 iperf_recv_MBps -R
    fi
    # (c) the TAP ceiling, in its own namespace.
    measure tap "$NC" "" "$PWD/$TOOLS/tap_ceiling" write tcpipb0 "$SECS"
    measure tap "$NC" "" "$PWD/$TOOLS/tap_ceiling" read tcpipb0 "$SECS"
    kill -0 "$TPID" 2>/dev/null || die "tcpipd died: $(tail -n 5 "$TMP/tcpipd.log")"
    kill -0 "$LPID" 2>/dev/null || die "tcpipserver died: $(tail -n 5 "$TMP/libserver.log")"
done

# ---- scale: the same echo and connect rows with idle connections held ----
# (issue 14 item 3: timers and lookups must not grow with the connections).
# A kernel client holds SCALE_SMALL, then SCALE_BIG idle connections to
# tcpipd's echo service from source addresses 10.77.0.101-108 (one port
# range each), and rr/cps run beside them, BENCH_RUNS times each.

# established_count NS: the kernel's established connections to tcpipd.
established_count() { ip netns exec "$1" ss -Htn state established dst 10.77.0.2 | wc -l; }

# hold_run N LABEL: hold N idle connections, measure, let them go.
hold_run() {
    local n=$1 label=$2 i hp fifo=$TMP/hold.in out=$TMP/hold.out
    rm -f "$fifo" "$out"
    mkfifo "$fifo"
    # The hold tool idles until its stdin closes (or 300 s pass).
    ip netns exec "$NT" "$PWD/$TOOLS/tcpbench" hold 10.77.0.2 7 "$n" 300 $SCALE_SRCS \
        <"$fifo" >"$out" 2>"$TMP/hold.err" &
    hp=$!
    PIDS+=("$hp")
    exec {HOLD_FD}>"$fifo"
    for ((i = 0; i < 1200; i++)); do
        grep -q "^RESULT held" "$out" 2>/dev/null && break
        kill -0 "$hp" 2>/dev/null || break
        sleep 0.1
    done
    if grep -q "^RESULT held" "$out"; then
        sed 's/^/  # /' "$TMP/hold.err"
        measure "scale.$label.other" "$NT" "$TPID" "$PWD/$TOOLS/tcpbench" rr 10.77.0.2 7 "$SECS" "$OTHER_CPU"
        measure "scale.$label.c1" "$NT" "$TPID" "$PWD/$TOOLS/tcpbench" cps 10.77.0.2 7 "$SECS" 1
        measure "scale.$label.c8" "$NT" "$TPID" "$PWD/$TOOLS/tcpbench" cps 10.77.0.2 7 "$SECS" 8
        record "scale.$label.rss_kb" "$(awk '/^VmRSS/ { print $2 }' "/proc/$TPID/status")"
    else
        echo "  # hold $n: $(tail -n 3 "$TMP/hold.err")" >&2
    fi
    exec {HOLD_FD}>&-
    wait "$hp" 2>/dev/null
    # Until tcpipd has seen them all go (bounded).
    for ((i = 0; i < 600; i++)); do
        [ "$(established_count "$NT")" -le 0 ] && break
        sleep 0.1
    done
}

if [ "$SCALE_BIG" -gt 0 ]; then
    SCALE_SRCS=""
    for i in 101 102 103 104 105 106 107 108; do
        ip -n "$NT" addr add "10.77.0.$i/24" dev tcpip0 2>/dev/null
        SCALE_SRCS="$SCALE_SRCS 10.77.0.$i"
    done
    echo "bench: scale: echo and connect rows with $SCALE_SMALL and $SCALE_BIG idle connections held ..."
    for ((run = 1; run <= RUNS; run++)); do
        hold_run "$SCALE_SMALL" small
        hold_run "$SCALE_BIG" big
        kill -0 "$TPID" 2>/dev/null || die "tcpipd died: $(tail -n 5 "$TMP/tcpipd.log")"
    done
fi

# ---- report ----

median() { # KEY
    [ -s "$TMP/v.$1" ] || { echo "-"; return; }
    sort -g "$TMP/v.$1" | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
ratio() { # A B: A/B or -
    awk -v a="$1" -v b="$2" 'BEGIN { if (a == "-" || b == "-" || b == 0) print "-"; else printf "%.2f", a / b }'
}
# TCP payload per full frame with timestamps: 1514 - 14 - 20 - 20 - 12.
PAYLOAD=1448
ceil_mbps() { # fps key
    local f
    f=$(median "tap.$1")
    [ "$f" = - ] && { echo -; return; }
    awk -v f="$f" -v p=$PAYLOAD 'BEGIN { printf "%.1f", f * p / 1e6 }'
}
CEIL_RECV=$(ceil_mbps tap_read_fps)  # tcpipd reads what the kernel sends
CEIL_WRITE=$(ceil_mbps tap_write_fps) # tcpipd writes what the kernel receives

row() { # LABEL KERNEL_KEY TCPIPD_KEY CEILING CPU_KEY
    local k t c cpu
    k=$(median "$2")
    t=$(median "$3")
    c=$4
    cpu=$(median "$5")
    printf "%-36s %10s %10s %8s %10s %8s %7s\n" "$1" "$k" "$t" "$(ratio "$t" "$k")" "$c" \
        "$(ratio "$t" "$c")" "${cpu}%"
}
echo
echo "medians of $RUNS run(s); tcpipd/kernel and tcpipd/ceiling are ratios of the medians"
printf "%-36s %10s %10s %8s %10s %8s %7s\n" figure kernel tcpipd t/kernel ceiling t/ceil "tcpipd CPU"
row "bulk send to discard (MB/s)" kernel.send_MBps tcpipd.send_MBps "$CEIL_RECV" tcpipd.cpu.send_MBps
row "bulk recv from chargen (MB/s)" kernel.recv_MBps tcpipd.recv_MBps "$CEIL_WRITE" tcpipd.cpu.recv_MBps
row "bulk send over IPv6 (MB/s)" kernel.v6.send_MBps tcpipd.v6.send_MBps - tcpipd.v6.cpu.send_MBps
row "bulk recv over IPv6 (MB/s)" kernel.v6.recv_MBps tcpipd.v6.recv_MBps - tcpipd.v6.cpu.recv_MBps
row "1-byte rr p50, other core (us)" kernel.other.rr_p50_us tcpipd.other.rr_p50_us - tcpipd.other.cpu.rr_p50_us
row "1-byte rr p99, other core (us)" kernel.other.rr_p99_us tcpipd.other.rr_p99_us - tcpipd.other.cpu.rr_p50_us
row "1-byte rr p50, same core (us)" kernel.same.rr_p50_us tcpipd.same.rr_p50_us - tcpipd.same.cpu.rr_p50_us
row "1-byte rr p99, same core (us)" kernel.same.rr_p99_us tcpipd.same.rr_p99_us - tcpipd.same.cpu.rr_p50_us
row "connect+close/s, 1 at a time" kernel.c1.cps tcpipd.c1.cps - tcpipd.c1.cpu.cps
row "connect+close/s, 8 in parallel" kernel.c8.cps tcpipd.c8.cps - tcpipd.c8.cpu.cps
echo
printf "TAP ceiling, one thread: write %s frames/s (%s MB/s of TCP payload), read %s frames/s (%s MB/s)\n" \
    "$(median tap.tap_write_fps)" "$CEIL_WRITE" "$(median tap.tap_read_fps)" "$CEIL_RECV"
echo "latency rows: lower is better, so a t/kernel above 1 means slower; tcpipd CPU is % of one core"

# verdict GOAL_OP GOAL RATIO: "ok" or "MISSED" (">=" for rates, "<=" for latency)
verdict() {
    awk -v op="$1" -v g="$2" -v r="$3" 'BEGIN {
        if (op == "") { print ""; exit }
        if (r == "-") { print "-"; exit }
        ok = (op == ">=") ? (r >= g) : (r <= g)
        printf "%s %s %s\n", (ok ? "ok" : "MISSED"), op, g }'
}
# The stack's goals (bench/README.md): each ratio of medians against its goal.
goal() { # LABEL RATIO OP GOAL
    printf "  %-44s %6s  %s\n" "$1" "$2" "$(verdict "$3" "$4" "$2")"
}
echo "goals, tcpipd's built-in services:"
goal "bulk send, tcpipd/kernel" "$(ratio "$(median tcpipd.send_MBps)" "$(median kernel.send_MBps)")" ">=" 0.35
goal "bulk recv, tcpipd/kernel" "$(ratio "$(median tcpipd.recv_MBps)" "$(median kernel.recv_MBps)")" ">=" 0.35
goal "bulk send, tcpipd/TAP read ceiling" "$(ratio "$(median tcpipd.send_MBps)" "$CEIL_RECV")" ">=" 0.45
goal "bulk recv, tcpipd/TAP write ceiling" "$(ratio "$(median tcpipd.recv_MBps)" "$CEIL_WRITE")" ">=" 0.45
goal "rr p50 other core, tcpipd/kernel" "$(ratio "$(median tcpipd.other.rr_p50_us)" "$(median kernel.other.rr_p50_us)")" "<=" 1.0
goal "rr p50 same core, tcpipd/kernel" "$(ratio "$(median tcpipd.same.rr_p50_us)" "$(median kernel.same.rr_p50_us)")" "<=" 1.0
goal "connect+close 1 at a time, tcpipd/kernel" "$(ratio "$(median tcpipd.c1.cps)" "$(median kernel.c1.cps)")" ">=" 0.5
goal "connect+close 8 in parallel, tcpipd/kernel" "$(ratio "$(median tcpipd.c8.cps)" "$(median kernel.c8.cps)")" ">=" 1.0

# The IPC hop: the same services behind libtcpip against the built-in ones.
lrow() { # LABEL SUB KEY GOAL_OP GOAL: SUB is "" or the suite's "other." ...
    local b l r
    b=$(median "tcpipd.$2$3")
    l=$(median "lib.$2$3")
    r=$(ratio "$l" "$b")
    printf "%-36s %10s %10s %8s %-12s %7s %7s\n" "$1" "$b" "$l" "$r" "$(verdict "$4" "$5" "$r")" \
        "$(median "lib.${2}cpu.$3")%" "$(median "lib.${2}cpu2.$3")%"
}
echo
echo "the same services through libtcpip (tcpipserver, direct backend) beside tcpipd's built-in ones"
printf "%-36s %10s %10s %8s %-12s %7s %7s\n" figure built-in libtcpip lib/bi goal "tcpipd" "server"
lrow "bulk send to discard (MB/s)" "" send_MBps ">=" 0.8
lrow "bulk recv from chargen (MB/s)" "" recv_MBps ">=" 0.8
lrow "1-byte rr p50, other core (us)" other. rr_p50_us "<=" 1.3
lrow "1-byte rr p50, same core (us)" same. rr_p50_us "<=" 1.3
lrow "connect+close/s, 1 at a time" c1. cps ">=" 0.7
lrow "connect+close/s, 8 in parallel" c8. cps ">=" 0.7
echo "tcpipd and server: % of one core used by tcpipd and by tcpipserver during the libtcpip runs"

# Interposition: the same server program, unmodified under tcpip-run,
# against libtcpip's (both on the direct backend, same CPU).
prow() { # LABEL SUB KEY GOAL_OP GOAL
    local l p r
    l=$(median "lib.$2$3")
    p=$(median "pre.$2$3")
    r=$(ratio "$p" "$l")
    printf "%-36s %10s %10s %8s %-12s %7s %7s\n" "$1" "$l" "$p" "$r" "$(verdict "$4" "$5" "$r")" \
        "$(median "pre.${2}cpu.$3")%" "$(median "pre.${2}cpu2.$3")%"
}
echo
echo "tcpbench's server unmodified through tcpip-run (libtcpip-preload.so) beside it on libtcpip"
printf "%-36s %10s %10s %8s %-12s %7s %7s\n" figure libtcpip preload pre/lib goal "tcpipd" "server"
prow "bulk send to discard (MB/s)" "" send_MBps ">=" 0.9
prow "bulk recv from chargen (MB/s)" "" recv_MBps ">=" 0.9
prow "1-byte rr p50, other core (us)" other. rr_p50_us "<=" 1.1
prow "1-byte rr p50, same core (us)" same. rr_p50_us "<=" 1.1
prow "connect+close/s, 1 at a time" c1. cps ">=" 0.9
prow "connect+close/s, 8 in parallel" c8. cps ">=" 0.9

echo
if $HAVE_IPERF; then
    echo "iperf3, unmodified: the kernel's over the veth pair, and through tcpip-run on tcpipd"
    printf "%-36s %10s %10s %8s\n" figure kernel tcpip-run t/kernel
    for k in iperf_send_MBps iperf_recv_MBps; do
        label="iperf3 send, 1 stream (MB/s)"
        [ "$k" = iperf_recv_MBps ] && label="iperf3 recv -R, 1 stream (MB/s)"
        printf "%-36s %10s %10s %8s\n" "$label" "$(median "kernel.$k")" "$(median "pre.$k")" \
            "$(ratio "$(median "pre.$k")" "$(median "kernel.$k")")"
    done
else
    echo "iperf3 rows skipped: no iperf3 (scripts/deps.sh test installs it)"
fi

if [ "$SCALE_BIG" -gt 0 ]; then
    # srow LABEL SUB KEY GOAL_OP GOAL: the figure with SCALE_SMALL and with
    # SCALE_BIG connections held, and big/small against the goal.
    srow() {
        local s b r
        s=$(median "scale.small.$2$3")
        b=$(median "scale.big.$2$3")
        r=$(ratio "$b" "$s")
        printf "%-36s %10s %10s %8s %-12s\n" "$1" "$s" "$b" "$r" "$(verdict "$4" "$5" "$r")"
    }
    echo
    echo "tcpipd's echo service with idle connections held (kernel client, other core for rr)"
    printf "%-36s %10s %10s %8s %-12s\n" figure "$SCALE_SMALL" "$SCALE_BIG" big/small goal
    srow "1-byte rr p50 (us)" other. rr_p50_us "<=" 2.0
    srow "1-byte rr p99 (us)" other. rr_p99_us "<=" 2.0
    srow "connect+close/s, 1 at a time" c1. cps ">=" 0.5
    srow "connect+close/s, 8 in parallel" c8. cps ">=" 0.5
    srow "tcpipd RSS while held (KiB)" "" rss_kb "" ""
fi
echo "bench: done in $((SECONDS - start)) s"
