#!/bin/bash
# test_ipc.sh - applications on tcpipd through its socket protocol
# (ipc/PROTOCOL.md): the examples/ programs on the direct backend, with the
# kernel's tools (socat, python3) as their peers in a fresh namespace:
#   echo_server (one at a time and --fork), udp_echo, http_get against
#   python3 -m http.server, evloop_server with 1000 kernel clients open at
#   once; a reader stopped (SIGSTOP) during a 1 GiB transfer: tcpipd stops
#   taking data and stays flat, every byte arrives after SIGCONT; a client
#   killed with SIGKILL mid-transfer leaves nothing behind in tcpipd;
#   tcpipd stopped under connected clients gives them errors, not hangs.
#
# Run by tests/run.sh with TCPIPD=/abs/build/asan/tcpipd; needs root,
# /dev/net/tun, `ip netns`, socat, python3. The example binaries and
# tcpipctl are those of the same build as $TCPIPD (else build/).
#
# Addresses (inside the namespace only):
#   tcpip0 (tcpipd): stack 10.77.0.2/24, kernel 10.77.0.1/24

. "$(dirname "$0")/lib.sh"

ITEST_CHECKS=(
    "tcpipd starts with its IPC socket and logs ready"
    "echo_server on the stack: a line from socat comes back"
    "echo_server: 1 MiB of random bytes comes back identical"
    "echo_server --fork: two clients at once both get their bytes back"
    "udp_echo on the stack: two datagrams from socat come back identical"
    "tcpipctl sockets lists udp_echo's socket, owned by its pid, with the bytes it got"
    "http_get on the stack fetches a file from python3 http.server, body identical"
    "http_get to a closed kernel port: exit 1, ECONNREFUSED named"
    "evloop_server: 1000 kernel clients open at once, all echoed"
    "evloop_server: tcpipd lists its listener and 1000 connections, owned by its pid"
    "evloop_server: no connection of it left after the clients close"
    "1 GiB to a stopped libtcpip reader: tcpipd stops taking data, its memory stays flat, the window closes"
    "1 GiB to a stopped reader: after SIGCONT every byte arrives (sha256 identical)"
    "1 GiB transfer over: tcpipctl stats shows its socket and buffer charge released"
    "SIGKILL of http_get mid-download: the kernel peer sees the connection end"
    "SIGKILL of http_get: tcpipd lists no socket of its pid, none held to 10.77.0.1:8081"
    "SIGKILL of echo_server mid-echo: its listener is gone (connect refused)"
    "SIGKILL of echo_server: tcpipd lists no socket of its pid, none held on 10.77.0.2:7000"
    "tcpipd stopped: a blocked tcpip_recv (http_get) fails within 10 s"
    "tcpipd stopped: a blocked tcpip_accept (echo_server) fails within 10 s"
    "tcpipd stopped: a new socket fails with a clear error, no hang"
    "tcpipd exits 0 on SIGTERM with clients connected"
    "no sanitizer report in the tcpipd run"
)
itest_init ipc socat python3 cmp
ns_create || itest_unavailable "cannot create a namespace"

BUILD_DIR=$(dirname "$TCPIPD")
EX=$BUILD_DIR/examples
[ -x "$EX/echo_server" ] || EX=$ITEST_REPO/build/examples
CTL=$BUILD_DIR/tcpipctl
[ -x "$CTL" ] || CTL=$ITEST_REPO/build/tcpipctl
for p in echo_server udp_echo http_get evloop_server; do
    [ -x "$EX/$p" ] || itest_unavailable "no $EX/$p (make all)"
done
[ -f "$ITEST_REPO/daemon/ipc_server.c" ] || itest_unavailable "tcpipd has no IPC server yet"

IPC_SOCK=$TMP/ipc/tcpipd.sock
CTL_SOCK=$TMP/ctl/control.sock
write_config "$TMP/base.json"
python3 - "$TMP/base.json" "$TMP/a.json" "$IPC_SOCK" "$CTL_SOCK" <<'PY'
import json, sys
cfg = json.load(open(sys.argv[1]))
cfg["ipc"] = {"path": sys.argv[3], "mode": "0660", "max_sockets_per_client": 4096}
cfg["control"] = {"path": sys.argv[4], "mode": "0660"}
json.dump(cfg, open(sys.argv[2], "w"), indent=2)
PY

# app PIDVAR LOG PROG ARGS...: an example on the direct backend, in the
# namespace, tracked for cleanup (ip netns exec and env both exec: the pid
# is the program's own).
app() {
    local var=$1 log=$2 prog=$3
    shift 3
    bg_start "$var" ip netns exec "$NS" env TCPIP_BACKEND=direct "TCPIP_SOCKET=$IPC_SOCK" \
        "$EX/$prog" "$@" >"$log" 2>&1
}
# app_run PROG ARGS...: the same in the foreground.
app_run() {
    local prog=$1
    shift
    nsx env TCPIP_BACKEND=direct "TCPIP_SOCKET=$IPC_SOCK" "$EX/$prog" "$@"
}
ctl() { "$CTL" -s "$CTL_SOCK" "$@"; }

# held ADDR: how many TCP sockets tcpipd lists (tcpipctl sockets --json)
# with ADDR as local or remote endpoint, in a state an application holds
# (LISTEN, SYN-*, ESTABLISHED, CLOSE-WAIT): the closing states (FIN-WAIT,
# CLOSING, LAST-ACK, TIME-WAIT) are the daemon finishing a close on its
# own, as the kernel does after close(2).
held() {
    ctl sockets --json | python3 -c '
import json, sys
d = json.load(sys.stdin)
addr = sys.argv[1]
print(sum(1 for s in d.get("tcp", [])
          if addr in (s.get("local"), s.get("remote"))
          and s.get("state") in ("LISTEN", "SYN-SENT", "SYN-RECEIVED", "ESTABLISHED", "CLOSE-WAIT")))' "$1"
}

# owned PID: how many sockets tcpipctl lists as owned by client PID (the
# IPC server's record of the socket, whatever its TCP state).
owned() {
    ctl sockets --json | python3 -c '
import json, sys
d = json.load(sys.stdin)
pid = int(sys.argv[1])
print(sum(1 for s in d.get("tcp", []) + d.get("udp", [])
          if (s.get("owner") or {}).get("name") == "client" and s["owner"].get("pid") == pid))' "$1"
}

# none_owned PID: no socket of PID within 5 s.
none_owned() {
    local i n
    for ((i = 0; i < 50; i++)); do
        n=$(owned "$1") || { note "tcpipctl sockets --json failed"; return 1; }
        [ "$n" = 0 ] && return 0
        sleep 0.1
    done
    note "tcpipd still lists $n socket(s) owned by pid $1"
    return 1
}

# none_held ADDR: nothing held on ADDR within 5 s (a close takes a round trip).
none_held() {
    local i n
    for ((i = 0; i < 50; i++)); do
        n=$(held "$1") || { note "tcpipctl sockets --json failed"; return 1; }
        [ "$n" = 0 ] && return 0
        sleep 0.1
    done
    note "tcpipd still holds $n socket(s) on $1:"
    ctl sockets | grep -F "$1" | sed 's/^/#   /' | head -n 10
    return 1
}

tcpipd_start "$TMP/a.log" "$TMP/a.json"
A_PID=$TCPIPD_PID
ipc_up() { tcpipd_wait_ready "$TMP/a.log" && [ -S "$IPC_SOCK" ] || { show_log "$TMP/a.log"; false; }; }
if ipc_up; then
    ok "tcpipd starts with its IPC socket and logs ready"
else
    not_ok "tcpipd starts with its IPC socket and logs ready"
    itest_done
fi
ping_ok 10.77.0.2 1 >/dev/null || note "ping 10.77.0.2 failed"

# ---- echo_server ----

app ECHO_PID "$TMP/echo.log" echo_server --bind 10.77.0.2 7000
wait_for_file_match "$TMP/echo.log" 'listening on' 5 "$ECHO_PID" || show_log "$TMP/echo.log"

echo_line_ok() {
    local out
    out=$(echo "hello through tcpipd" | nsx timeout 10 socat -t 5 - TCP:10.77.0.2:7000 2>&1)
    [ "$out" = "hello through tcpipd" ] || { note "got: $out"; show_log "$TMP/echo.log"; false; }
}
check "echo_server on the stack: a line from socat comes back" echo_line_ok

echo_bulk_ok() {
    local p i
    head -c 1048576 /dev/urandom >"$TMP/bulk.in"
    # socat half-closes after the input, then waits (-t) for the echo's end.
    nsx timeout 60 socat -t 30 - TCP:10.77.0.2:7000 <"$TMP/bulk.in" >"$TMP/bulk.out" 2>"$TMP/bulk.err" &
    p=$!
    for ((i = 0; i < 200; i++)); do
        proc_running "$p" || break
        sleep 0.1
    done
    if proc_running "$p"; then
        # Stalled: show both ends while the connection still exists.
        note "no end of the echo after 20 s ($(wc -c <"$TMP/bulk.out") bytes back); both sides:"
        ctl sockets | grep -F 10.77.0.2:7000 | sed 's/^/#   stack: /'
        ip netns exec "$NS" ss -tni state all '( dport = :7000 )' | sed 's/^/#   kernel: /'
    fi
    wait "$p"
    cmp "$TMP/bulk.in" "$TMP/bulk.out" ||
        { note "sent 1048576, got $(wc -c <"$TMP/bulk.out")"; show_log "$TMP/bulk.err"; false; }
}
check "echo_server: 1 MiB of random bytes comes back identical" echo_bulk_ok

app FORK_PID "$TMP/fork.log" echo_server --fork --bind 10.77.0.2 7003
wait_for_file_match "$TMP/fork.log" 'listening on' 5 "$FORK_PID" || show_log "$TMP/fork.log"
fork_ok() {
    local a b
    # Client A stays connected (sleep keeps its input open) while B is served.
    (sleep 2; echo "client A") | nsx timeout 10 socat -t 5 - TCP:10.77.0.2:7003 >"$TMP/forkA.out" 2>&1 &
    a=$!
    sleep 0.3
    echo "client B" | nsx timeout 5 socat -t 3 - TCP:10.77.0.2:7003 >"$TMP/forkB.out" 2>&1
    b=$?
    wait "$a"
    [ "$b" = 0 ] && [ "$(cat "$TMP/forkB.out")" = "client B" ] &&
        [ "$(cat "$TMP/forkA.out")" = "client A" ] ||
        { note "A: $(cat "$TMP/forkA.out") B: $(cat "$TMP/forkB.out")"; show_log "$TMP/fork.log"; false; }
}
check "echo_server --fork: two clients at once both get their bytes back" fork_ok

# ---- udp_echo ----

app UDP_PID "$TMP/udp.log" udp_echo --bind 10.77.0.2 7001
wait_for_file_match "$TMP/udp.log" 'listening on' 5 "$UDP_PID" || show_log "$TMP/udp.log"
udp_ok() {
    local size
    for size in 1000 1472; do
        head -c "$size" /dev/urandom >"$TMP/u$size.in"
        nsx timeout 10 socat -T 3 -t 1 - UDP:10.77.0.2:7001 <"$TMP/u$size.in" >"$TMP/u$size.out" 2>&1
        cmp "$TMP/u$size.in" "$TMP/u$size.out" ||
            { note "$size bytes sent, $(wc -c <"$TMP/u$size.out") back"; show_log "$TMP/udp.log"; return 1; }
    done
}
check "udp_echo on the stack: two datagrams from socat come back identical" udp_ok
udp_listed_ok() {
    ctl sockets | grep -E "^udp +UNCONN +0 +0 +10\.77\.0\.2:7001 +\*:\* .*udp_echo\(pid=$UDP_PID,uid=0\)$" >/dev/null &&
        ctl sockets --json | python3 -c '
import json, sys
pid = int(sys.argv[1])
d = json.load(sys.stdin)
sys.exit(0 if any(u["local"] == "10.77.0.2:7001" and u["owner"]["name"] == "client"
                  and u["owner"]["pid"] == pid and u["owner"]["bytes_to_app"] >= 2472
                  for u in d["udp"]) else 1)' "$UDP_PID" ||
        { note "tcpipctl sockets:"; ctl sockets | sed 's/^/#   /'; false; }
}
check "tcpipctl sockets lists udp_echo's socket, owned by its pid, with the bytes it got" udp_listed_ok

# ---- http_get against the kernel's python3 http.server ----

mkdir -p "$TMP/www"
head -c 300000 /dev/urandom >"$TMP/www/blob.bin"
bg_start HTTPD_PID ip netns exec "$NS" python3 -m http.server 8080 --bind 10.77.0.1 \
    --directory "$TMP/www" >"$TMP/httpd.log" 2>&1
http_ok() {
    local i
    for ((i = 0; i < 100; i++)); do
        nsx timeout 1 bash -c 'echo >/dev/tcp/10.77.0.1/8080' 2>/dev/null && break
        sleep 0.05
    done
    app_run http_get 10.77.0.1 8080 /blob.bin >"$TMP/http.out" 2>"$TMP/http.err" ||
        { show_log "$TMP/http.err"; return 1; }
    # The body is what follows the first empty line (RFC 1945 4.1).
    python3 - "$TMP/http.out" "$TMP/www/blob.bin" <<'PY'
import sys
raw = open(sys.argv[1], "rb").read()
head, sep, body = raw.partition(b"\r\n\r\n")
want = open(sys.argv[2], "rb").read()
ok = sep and head.startswith(b"HTTP/1.0 200") and body == want
if not ok:
    print("# status line %r, body %d bytes, expected %d" % (head.split(b"\r\n")[0], len(body), len(want)))
sys.exit(0 if ok else 1)
PY
}
check "http_get on the stack fetches a file from python3 http.server, body identical" http_ok

http_refused_ok() {
    app_run http_get 10.77.0.1 8089 / >/dev/null 2>"$TMP/refused.err"
    local st=$?
    [ "$st" = 1 ] && grep -q 'http_get: connect 10.77.0.1:8089: Connection refused' "$TMP/refused.err" ||
        { note "status $st"; show_log "$TMP/refused.err"; false; }
}
check "http_get to a closed kernel port: exit 1, ECONNREFUSED named" http_refused_ok

# ---- evloop_server: 1000 kernel clients at once ----

app EV_PID "$TMP/ev.log" evloop_server --bind 10.77.0.2 7002
wait_for_file_match "$TMP/ev.log" 'listening on' 5 "$EV_PID" || show_log "$TMP/ev.log"

# All N connections are made and echoed before any is closed; while they
# are all open the script asks tcpipd how many the server's pid owns.
cat >"$TMP/many.py" <<'PY'
import resource, socket, subprocess, sys, time
host, port, n, ctl_count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4:]
resource.setrlimit(resource.RLIMIT_NOFILE, (n + 64, n + 64))
socks, deadline = [], time.monotonic() + 60
for i in range(n):
    s = socket.create_connection((host, port), timeout=10)
    socks.append(s)
for i, s in enumerate(socks):
    s.sendall(b"hello %d\n" % i)
bad = 0
for i, s in enumerate(socks):
    want, got = b"hello %d\n" % i, b""
    while len(got) < len(want) and time.monotonic() < deadline:
        chunk = s.recv(64)
        if not chunk:
            break
        got += chunk
    bad += got != want
print("echoed %d of %d" % (n - bad, n))
# All still open: how many does tcpipd count for the server?
print("listed %s" % subprocess.run(ctl_count, capture_output=True, text=True).stdout.strip())
for s in socks:
    s.close()
sys.exit(0 if bad == 0 else 1)
PY
nsx timeout 120 python3 "$TMP/many.py" 10.77.0.2 7002 1000 \
    bash -c "$(declare -f held owned ctl); CTL='$CTL' CTL_SOCK='$CTL_SOCK'; echo \$(held 10.77.0.2:7002) \$(owned $EV_PID)" \
    >"$TMP/many.out" 2>&1
MANY_ST=$?
many_ok() {
    [ "$MANY_ST" = 0 ] && grep -q '^echoed 1000 of 1000$' "$TMP/many.out" ||
        { show_log "$TMP/many.out"; show_log "$TMP/ev.log"; false; }
}
check "evloop_server: 1000 kernel clients open at once, all echoed" many_ok
many_listed_ok() {
    # 1000 connections plus the listener, by address and by owner pid.
    grep -q '^listed 1001 1001$' "$TMP/many.out" || { show_log "$TMP/many.out" 5; false; }
}
check "evloop_server: tcpipd lists its listener and 1000 connections, owned by its pid" many_listed_ok
ev_drained_ok() {
    local i n
    for ((i = 0; i < 100; i++)); do
        n=$(held 10.77.0.2:7002)
        [ "$n" = 1 ] && return 0
        sleep 0.1
    done
    note "tcpipd holds $n sockets on 10.77.0.2:7002 (expected the listener alone)"
    false
}
check "evloop_server: no connection of it left after the clients close" ev_drained_ok

# ---- backpressure: a reader that stops during a 1 GiB transfer ----

# ipc_stat KEY: one of tcpipctl stats' "ipc" counters.
ipc_stat() {
    ctl stats --json | python3 -c 'import json, sys; print(int(json.load(sys.stdin)["ipc"][sys.argv[1]]))' "$1"
}
# conn_field PEER FIELD: FIELD of the TCP connection to PEER (owner fields
# as owner.NAME), or "-" if there is none.
conn_field() {
    ctl sockets --json | python3 -c '
import json, sys
peer, field = sys.argv[1], sys.argv[2]
for s in json.load(sys.stdin).get("tcp", []):
    if s.get("remote") == peer and s.get("state") == "ESTABLISHED":
        v = s["owner"][field[6:]] if field.startswith("owner.") else s[field]
        print(int(v))
        break
else:
    print("-")' "$1" "$2"
}
rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }

GIB=$((1 << 30))
BIG_SOCKS0=$(ipc_stat sockets)
BIG_BUF0=$(ipc_stat buffer_bytes)
# The kernel side: one HTTP/1.0 response with a 1 GiB body (a 1 MiB random
# block 1024 times), then close; prints the sha256 of all it sent.
cat >"$TMP/big.py" <<'PY'
import hashlib, random, socket, sys
host, port, total = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
block = random.Random(8083).randbytes(1 << 20)
ls = socket.socket()
ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind((host, port))
ls.listen(1)
ls.settimeout(30)
c, _ = ls.accept()
c.settimeout(60)
req = b""
while b"\r\n\r\n" not in req:
    d = c.recv(4096)
    if not d:
        sys.exit("no request")
    req += d
h = hashlib.sha256()
head = b"HTTP/1.0 200 OK\r\nContent-Type: application/octet-stream\r\n\r\n"
c.sendall(head)
h.update(head)
for _ in range(total // len(block)):
    c.sendall(block)
    h.update(block)
c.close()
print(h.hexdigest())
PY
bg_start BIG_PID ip netns exec "$NS" python3 "$TMP/big.py" 10.77.0.1 8083 "$GIB" >"$TMP/big.sent" 2>"$TMP/big.log"
for ((i = 0; i < 100; i++)); do
    ip netns exec "$NS" ss -ltn | grep -q '10.77.0.1:8083' && break
    sleep 0.05
done
mkfifo "$TMP/big.fifo"
bg_start SUM_PID bash -c 'exec sha256sum <"$1" >"$2"' _ "$TMP/big.fifo" "$TMP/big.got"
bg_start GET_PID ip netns exec "$NS" env TCPIP_BACKEND=direct "TCPIP_SOCKET=$IPC_SOCK" \
    "$EX/http_get" --timeout 60 10.77.0.1 8083 / >"$TMP/big.fifo" 2>"$TMP/get.err"
# Stop the reader once 64 MiB have reached it (at most 20 s).
for ((i = 0; i < 200; i++)); do
    n=$(conn_field 10.77.0.1:8083 owner.bytes_to_app)
    [ "$n" != - ] && [ "$n" -ge $((64 << 20)) ] && break
    sleep 0.1
done
kill -STOP "$GET_PID"
sleep 1
BIG_B1=$(conn_field 10.77.0.1:8083 owner.bytes_to_app)
BIG_RSS1=$(rss_kb "$A_PID")
sleep 2
BIG_B2=$(conn_field 10.77.0.1:8083 owner.bytes_to_app)
BIG_RSS2=$(rss_kb "$A_PID")
BIG_WND=$(conn_field 10.77.0.1:8083 rcv_wnd)
BIG_RQ=$(conn_field 10.77.0.1:8083 recv_q)
BIG_KSQ=$(ip netns exec "$NS" ss -tnH state established '( sport = :8083 )' | awk '{ print $2; exit }')
kill -CONT "$GET_PID"
stopped_reader_ok() {
    note "stopped reader: bytes to it $BIG_B1 -> $BIG_B2 over 2 s, tcpipd VmRSS $BIG_RSS1 -> $BIG_RSS2 kB," \
        "rcv_wnd $BIG_WND, recv_q $BIG_RQ, kernel sender's Send-Q ${BIG_KSQ:-?}"
    [ "$BIG_B1" != - ] && [ "$BIG_B1" -ge $((64 << 20)) ] && [ "$BIG_B1" -lt "$GIB" ] ||
        { note "the transfer was not under way when the reader stopped"; return 1; }
    [ "$BIG_B2" = "$BIG_B1" ] || { note "tcpipd kept writing to the stopped reader"; return 1; }
    [ $((BIG_RSS2 - BIG_RSS1)) -le 2048 ] || { note "tcpipd grew while the reader was stopped"; return 1; }
    [ "$BIG_WND" = 0 ] || { note "the stack still advertises a window"; return 1; }
    [ "$BIG_RQ" -le $((4 << 20)) ] || { note "the stack holds more than 4 MiB for it"; return 1; }
}
check "1 GiB to a stopped libtcpip reader: tcpipd stops taking data, its memory stays flat, the window closes" \
    stopped_reader_ok
resumed_reader_ok() {
    proc_wait "$GET_PID" 120 || { note "http_get still running 120 s after SIGCONT"; return 1; }
    [ "$WAIT_STATUS" = 0 ] || { note "http_get exit $WAIT_STATUS"; show_log "$TMP/get.err"; return 1; }
    proc_wait "$SUM_PID" 10 || return 1
    proc_wait "$BIG_PID" 10 || { note "the kernel sender did not finish"; show_log "$TMP/big.log"; return 1; }
    local sent got
    sent=$(cat "$TMP/big.sent")
    got=$(awk '{ print $1 }' "$TMP/big.got")
    note "sent sha256 $sent, received $got"
    [ -n "$sent" ] && [ "$sent" = "$got" ]
}
check "1 GiB to a stopped reader: after SIGCONT every byte arrives (sha256 identical)" resumed_reader_ok
released_ok() {
    local i socks buf
    for ((i = 0; i < 50; i++)); do
        socks=$(ipc_stat sockets)
        buf=$(ipc_stat buffer_bytes)
        [ "$socks" = "$BIG_SOCKS0" ] && [ "$buf" = "$BIG_BUF0" ] && return 0
        sleep 0.1
    done
    note "ipc sockets $socks (before: $BIG_SOCKS0), buffer_bytes $buf (before: $BIG_BUF0)"
    false
}
check "1 GiB transfer over: tcpipctl stats shows its socket and buffer charge released" released_ok

# ---- SIGKILL mid-transfer ----

# A kernel server that streams zeros for ever to whoever connects.
bg_start ZERO_PID ip netns exec "$NS" socat -u OPEN:/dev/zero TCP-LISTEN:8081,bind=10.77.0.1,reuseaddr \
    2>"$TMP/zero.log"
for ((i = 0; i < 100; i++)); do
    ip netns exec "$NS" ss -ltn | grep -q '10.77.0.1:8081' && break
    sleep 0.05
done
app DL_PID "$TMP/dl.log" http_get --timeout 30 10.77.0.1 8081 /
sleep 1
# The checks below mean something only if the socket was seen before.
DL_BEFORE="$(held 10.77.0.1:8081) $(owned "$DL_PID")"
kill -KILL "$DL_PID" 2>/dev/null
wait "$DL_PID" 2>/dev/null
killed_peer_ok() {
    # socat ends when its connection does: RST (unread data) or FIN.
    local i
    for ((i = 0; i < 100; i++)); do
        proc_running "$ZERO_PID" || return 0
        sleep 0.1
    done
    note "the kernel peer still connected 10 s after the SIGKILL; both sides:"
    ctl sockets | grep -F 10.77.0.1:8081 | sed 's/^/#   stack: /'
    ip netns exec "$NS" ss -tni state all '( sport = :8081 )' | sed 's/^/#   kernel: /'
    note "socat $ZERO_PID: wchan $(cat /proc/$ZERO_PID/wchan 2>&1)"
    show_log "$TMP/zero.log" 5
    return 1
}
check "SIGKILL of http_get mid-download: the kernel peer sees the connection end" killed_peer_ok
killed_dl_ok() {
    [ "$DL_BEFORE" = "1 1" ] ||
        { note "before the kill: '$DL_BEFORE' sockets to 10.77.0.1:8081 / of pid $DL_PID, expected '1 1'"; return 1; }
    none_owned "$DL_PID" && none_held 10.77.0.1:8081
}
check "SIGKILL of http_get: tcpipd lists no socket of its pid, none held to 10.77.0.1:8081" killed_dl_ok

# A kernel client streaming into echo_server when the server is killed.
# Its end is the listener: nothing will serve port 7000 afterwards.
# An endless stream (bounded by timeout), so the kill lands mid-echo.
(nsx timeout 30 socat -t 5 - TCP:10.77.0.2:7000 </dev/zero >/dev/null 2>&1) &
STREAM_PID=$!
sleep 0.5
ECHO_BEFORE="$(held 10.77.0.2:7000) $(owned "$ECHO_PID")"
kill -KILL "$ECHO_PID" 2>/dev/null
wait "$ECHO_PID" 2>/dev/null
listener_gone_ok() {
    local i
    for ((i = 0; i < 50; i++)); do
        if ! nsx timeout 2 socat -T 1 /dev/null TCP:10.77.0.2:7000 2>"$TMP/gone.err"; then
            grep -q 'Connection refused' "$TMP/gone.err" && return 0
        fi
        sleep 0.1
    done
    note "port 7000 still accepting (or not refusing) 5 s after the SIGKILL"
    show_log "$TMP/gone.err" 3
    false
}
check "SIGKILL of echo_server mid-echo: its listener is gone (connect refused)" listener_gone_ok
killed_echo_ok() {
    [ "$ECHO_BEFORE" = "2 2" ] ||
        { note "before the kill: '$ECHO_BEFORE' sockets on 10.77.0.2:7000 / of pid $ECHO_PID, expected '2 2'"; return 1; }
    none_owned "$ECHO_PID" && none_held 10.77.0.2:7000
}
check "SIGKILL of echo_server: tcpipd lists no socket of its pid, none held on 10.77.0.2:7000" killed_echo_ok
wait "$STREAM_PID" 2>/dev/null

# ---- tcpipd stops under connected clients ----

# A kernel server that accepts and then says nothing: http_get blocks in
# tcpip_recv (its own timeout is 60 s, far beyond the 10 s checked).
bg_start MUTE_PID ip netns exec "$NS" socat -u TCP-LISTEN:8082,bind=10.77.0.1,reuseaddr OPEN:/dev/null \
    2>"$TMP/mute.log"
for ((i = 0; i < 100; i++)); do
    ip netns exec "$NS" ss -ltn | grep -q '10.77.0.1:8082' && break
    sleep 0.05
done
app BLOCKED_PID "$TMP/blocked.log" http_get --timeout 60 10.77.0.1 8082 /
app ACCEPT_PID "$TMP/accept.log" echo_server --bind 10.77.0.2 7010
wait_for_file_match "$TMP/accept.log" 'listening on' 5 "$ACCEPT_PID" || show_log "$TMP/accept.log"
sleep 0.5 # http_get connected and sent its request
tcpipd_stop "$A_PID" 10
STOP_RC=$?
STOP_STATUS=$TCPIPD_STATUS

stopped_app_ok() { # PID LOG
    proc_wait "$1" 10 || { note "still running 10 s after tcpipd stopped"; return 1; }
    [ "$WAIT_STATUS" != 0 ] || { note "exit status 0"; show_log "$2"; return 1; }
    note "exit $WAIT_STATUS: $(tail -n 1 "$2")"
}
check "tcpipd stopped: a blocked tcpip_recv (http_get) fails within 10 s" stopped_app_ok "$BLOCKED_PID" "$TMP/blocked.log"
check "tcpipd stopped: a blocked tcpip_accept (echo_server) fails within 10 s" stopped_app_ok "$ACCEPT_PID" "$TMP/accept.log"
new_socket_ok() {
    local st
    app_run udp_echo --bind 10.77.0.2 7020 >"$TMP/nosock.log" 2>&1 &
    local p=$!
    proc_wait "$p" 10 || { note "udp_echo hangs with tcpipd stopped"; return 1; }
    st=$WAIT_STATUS
    note "exit $st: $(tail -n 1 "$TMP/nosock.log")"
    [ "$st" = 1 ] && grep -Eq 'udp_echo: socket \(backend direct\): (No such file or directory|Connection refused)' "$TMP/nosock.log"
}
check "tcpipd stopped: a new socket fails with a clear error, no hang" new_socket_ok
stop_ok() {
    [ "$STOP_RC" = 0 ] && [ "$STOP_STATUS" = 0 ] || { note "status $STOP_STATUS"; show_log "$TMP/a.log"; false; }
}
check "tcpipd exits 0 on SIGTERM with clients connected" stop_ok
check "no sanitizer report in the tcpipd run" no_sanitizer_report "$TMP/a.log"
itest_done
