# lib.sh - shared helpers for the netns integration tests (source it).
#
#   . "$(dirname "$0")/lib.sh"
#   ITEST_CHECKS=("ping" "udp echo" ...)  # names printed as "skip - ..." when
#   itest_init foundation                 # the prerequisites are missing
#   ns_create                             # namespace $NS: lo up, no routes
#   tcpipd_start "$TMP/a.log" "$TMP/a.json"; tcpipd_wait_ready "$TMP/a.log"
#   check "what" cmd args...              # "ok - what" / "not ok - what"
#   tcpipd_stop "$TCPIPD_PID"; echo "$TCPIPD_STATUS"
#   itest_done                            # exit 1 if any check failed
#
# Safety (DESIGN.md): everything that sends packets runs inside a namespace
# this script creates; only 10.77.0.0/16 is used; background processes are
# tracked by pid and killed by pid; the EXIT trap removes the namespace and
# the temp dir. Every wait is bounded.
#
# Environment: TCPIPD (default: build/asan/tcpipd, else build/tcpipd);
# CI=true turns missing prerequisites into a failure instead of a skip.

set -u

ITEST_REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
if [ -z "${TCPIPD:-}" ]; then
    if [ -x "$ITEST_REPO/build/asan/tcpipd" ]; then
        TCPIPD=$ITEST_REPO/build/asan/tcpipd
    else
        TCPIPD=$ITEST_REPO/build/tcpipd
    fi
fi
# ASan's leak check runs at exit and turns a leak into a non-zero status.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1}

ITEST_NAME=""
ITEST_FAILS=0
ITEST_PIDS=()
ITEST_NETNS=()
ITEST_CHECKS=()
NS=""
TMP=""

ok() { echo "ok - $*"; }
not_ok() {
    echo "not ok - $*"
    ITEST_FAILS=$((ITEST_FAILS + 1))
}
skip() { echo "skip - $*"; }
# Diagnostics: run.sh only counts "ok", "not ok" and "skip" lines.
note() { echo "# $*"; }

# check WHAT CMD...: ok if CMD succeeds.
check() {
    local what=$1
    shift
    if "$@"; then ok "$what"; else not_ok "$what"; fi
}

# Run a command inside the test namespace.
nsx() { ip netns exec "$NS" "$@"; }

# Missing prerequisites: a loud skip on a developer machine, a failure in CI.
itest_unavailable() { # reason
    if [ "${CI:-}" = true ]; then
        not_ok "$ITEST_NAME: cannot run: $1"
        exit 1
    fi
    {
        echo "##########################################################################"
        echo "# SKIPPING integration test $ITEST_NAME: $1"
        echo "# It needs root, /dev/net/tun, 'ip netns', the test tools and a built tcpipd."
        echo "##########################################################################"
    } >&2
    local c
    for c in "${ITEST_CHECKS[@]}"; do skip "$c ($1)"; done
    [ ${#ITEST_CHECKS[@]} -eq 0 ] && skip "$ITEST_NAME ($1)"
    exit 0
}

itest_cleanup() {
    local pid ns i alive
    # TERM first: a `timeout CMD` we started passes it on to CMD and exits;
    # a KILL would orphan CMD (a tcpdump, say), and an orphan holding our
    # stdout keeps tests/run.sh's tee, and so `make test`, waiting. Then,
    # after at most 2 s, KILL what is left.
    for pid in "${ITEST_PIDS[@]}"; do
        kill -TERM "$pid" 2>/dev/null
    done
    for ((i = 0; i < 20; i++)); do
        alive=0
        for pid in "${ITEST_PIDS[@]}"; do
            proc_running "$pid" && alive=1
        done
        [ "$alive" = 0 ] && break
        sleep 0.1
    done
    for pid in "${ITEST_PIDS[@]}"; do
        if kill -0 "$pid" 2>/dev/null; then
            kill -KILL "$pid" 2>/dev/null
        fi
        wait "$pid" 2>/dev/null
    done
    for ns in "${ITEST_NETNS[@]}"; do
        ip netns del "$ns" 2>/dev/null
    done
    [ -n "$TMP" ] && rm -rf "$TMP"
}

# itest_init NAME [TOOL...]: check prerequisites, make $TMP, set the traps.
itest_init() {
    ITEST_NAME=$1
    shift
    local tool
    [ "$(id -u)" = 0 ] || itest_unavailable "not running as root"
    [ -c /dev/net/tun ] || itest_unavailable "no /dev/net/tun"
    command -v ip >/dev/null 2>&1 || itest_unavailable "no 'ip' (iproute2)"
    for tool in timeout "$@"; do
        command -v "$tool" >/dev/null 2>&1 || itest_unavailable "no '$tool' (scripts/deps.sh test)"
    done
    [ -x "$TCPIPD" ] || itest_unavailable "TCPIPD=$TCPIPD is not an executable (make SANITIZE=1)"
    local probe="tcpip-probe-$$"
    if ! ip netns add "$probe" 2>/dev/null; then
        itest_unavailable "'ip netns add' failed (no CAP_SYS_ADMIN or no netns support?)"
    fi
    ip netns del "$probe"
    TMP=$(mktemp -d "/tmp/tcpip-itest-$ITEST_NAME.XXXXXX") || itest_unavailable "mktemp failed"
    trap itest_cleanup EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
    note "$ITEST_NAME: tcpipd=$TCPIPD tmp=$TMP"
}

# ns_create [NAME]: a fresh namespace (default tcpip-t-$$) with lo up; sets NS.
ns_create() {
    NS=${1:-tcpip-t-$$}
    ip netns add "$NS" || return 1
    ITEST_NETNS+=("$NS")
    ip -n "$NS" link set lo up
}

# far_create FAR MTU ADDR...: a second namespace FAR (tracked for
# cleanup) behind the test namespace's kernel, which routes (forwarding
# on, no reverse-path filter, no DAD delays: all namespaced sysctls):
# veth rt0 in $NS (10.77.2.1/24, fd77::2:1/112, MTU MTU) <-> far0 in FAR
# with the given addresses (a.b.c.d/24, x::y/112), and FAR's routes back
# to 10.77.0.0/23 and fd77::/111 through the router. No default route.
far_create() {
    local far=$1 mtu=$2 a
    shift 2
    ip netns add "$far" || return 1
    ITEST_NETNS+=("$far")
    ip netns exec "$NS" sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1 \
        net.ipv6.conf.default.accept_dad=0 net.ipv4.conf.all.rp_filter=0 \
        net.ipv4.conf.default.rp_filter=0 || return 1
    ip -n "$far" link set lo up &&
        ip -n "$NS" link add rt0 type veth peer name far0 netns "$far" &&
        ip -n "$NS" link set rt0 mtu "$mtu" &&
        ip -n "$NS" addr add 10.77.2.1/24 dev rt0 &&
        ip -n "$NS" -6 addr add fd77::2:1/112 dev rt0 nodad &&
        ip -n "$NS" link set rt0 up || return 1
    for a in "$@"; do
        case $a in
        *:*) ip -n "$far" -6 addr add "$a" dev far0 nodad || return 1 ;;
        *) ip -n "$far" addr add "$a" dev far0 || return 1 ;;
        esac
    done
    ip -n "$far" link set far0 up &&
        ip -n "$far" route add 10.77.0.0/23 via 10.77.2.1 &&
        ip -n "$far" -6 route add fd77::/111 via fd77::2:1
}

# proc_running PID: alive and not a zombie (kill -0 succeeds on a zombie).
proc_running() {
    local st
    st=$(sed -n 's/^[0-9]* (.*) \([A-Za-z]\) .*/\1/p' "/proc/$1/stat" 2>/dev/null)
    [ -n "$st" ] && [ "$st" != Z ]
}

# bg_start PIDVAR CMD...: run CMD in the background, tracked for cleanup.
bg_start() {
    local var=$1
    shift
    "$@" &
    local pid=$!
    ITEST_PIDS+=("$pid")
    printf -v "$var" '%s' "$pid"
}

# write_config FILE [SERVICES_JSON]: the usual test config: TAP tcpip0 with
# the stack at 10.77.0.2/24 (MAC 02:77:00:00:00:02) and the kernel side at
# 10.77.0.1/24; SERVICES_JSON is the "services" object (default: none).
write_config() {
    local file=$1 services=${2:-"{}"}
    cat >"$file" <<JSON
{
  "log_level": "info",
  "interfaces": [
    {
      "name": "tcpip0",
      "mac": "02:77:00:00:00:02",
      "mtu": 1500,
      "ipv4": { "address": "10.77.0.2/24" },
      "host": { "configure": true, "ipv4": "10.77.0.1/24" }
    }
  ],
  "services": $services
}
JSON
}

# tcpipd_start LOG CONF [ARG...]: tcpipd inside $NS, stdout+stderr to LOG;
# sets TCPIPD_PID (ip netns exec execs, so it is tcpipd's own pid).
tcpipd_start() {
    local log=$1 conf=$2
    shift 2
    ip netns exec "$NS" "$TCPIPD" -c "$conf" "$@" >"$log" 2>&1 &
    TCPIPD_PID=$!
    ITEST_PIDS+=("$TCPIPD_PID")
}

# wait_for_file_match FILE REGEX SECONDS [PID]: poll until FILE matches;
# fails early if PID (when given) has exited.
wait_for_file_match() {
    local file=$1 re=$2 secs=$3 pid=${4:-} i
    for ((i = 0; i < secs * 20; i++)); do
        grep -Eq -- "$re" "$file" 2>/dev/null && return 0
        if [ -n "$pid" ] && ! proc_running "$pid"; then
            grep -Eq -- "$re" "$file" 2>/dev/null
            return
        fi
        sleep 0.05
    done
    return 1
}

# tcpipd_wait_ready LOG [SECONDS]: the "ready" line, at most 10 s.
tcpipd_wait_ready() {
    wait_for_file_match "$1" ': info: ready' "${2:-10}" "$TCPIPD_PID"
}

# proc_wait PID SECONDS: wait for a child to exit; its status in WAIT_STATUS.
# On timeout it is killed (status 137) and 1 is returned.
proc_wait() {
    local pid=$1 secs=$2 i
    for ((i = 0; i < secs * 20; i++)); do
        proc_running "$pid" || break
        sleep 0.05
    done
    if proc_running "$pid"; then
        kill -KILL "$pid" 2>/dev/null
        wait "$pid" 2>/dev/null
        WAIT_STATUS=137
        return 1
    fi
    wait "$pid" 2>/dev/null
    WAIT_STATUS=$?
    return 0
}

# tcpipd_stop PID [SECONDS]: SIGTERM and wait (default 5 s); status in
# TCPIPD_STATUS. Returns 1 if it had to be killed.
tcpipd_stop() {
    local pid=$1 secs=${2:-5} rc
    kill -TERM "$pid" 2>/dev/null
    proc_wait "$pid" "$secs"
    rc=$?
    TCPIPD_STATUS=$WAIT_STATUS
    return $rc
}

# no_sanitizer_report LOG: no ASan/UBSan/LSan report in LOG.
no_sanitizer_report() {
    if grep -Eq 'ERROR: AddressSanitizer|runtime error:|LeakSanitizer|ERROR: [A-Za-z]*Sanitizer' "$1"; then
        note "sanitizer report in $1:"
        sed 's/^/#   /' "$1" | head -n 60
        return 1
    fi
    return 0
}

# show_log LOG: echo a log as diagnostics (after a failure).
show_log() {
    note "---- $1"
    sed 's/^/#   /' "$1" | tail -n "${2:-40}"
}

# ping_ok DST COUNT [PING ARGS...]: exactly COUNT replies (inside $NS).
ping_ok() {
    local dst=$1 count=$2 out
    shift 2
    out=$(nsx timeout $((count + 10)) ping -n -c "$count" -W 1 "$@" "$dst" 2>&1)
    if echo "$out" | grep -Eq " $count received, 0% packet loss"; then
        return 0
    fi
    note "ping $* $dst:"
    echo "$out" | tail -n 3 | sed 's/^/#   /'
    return 1
}

itest_done() {
    if [ "$ITEST_FAILS" -ne 0 ]; then
        note "$ITEST_NAME: $ITEST_FAILS check(s) failed"
        exit 1
    fi
    exit 0
}
