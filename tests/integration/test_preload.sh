#!/bin/bash
# test_preload.sh - unmodified Debian programs on tcpipd through tcpip-run
# (libtcpip-preload.so), the kernel on the other side of the TAP:
#   - tcpip-run and the library name the socket when tcpipd is not there;
#   - files, pipes and Unix sockets stay the kernel's, byte for byte;
#   - curl and wget fetch 100 MiB over HTTP from a kernel-side server,
#     IPv4 and IPv6, sha256 checked;
#   - openbsd nc both ways; socat TCP, UDP and TCP-LISTEN:...,fork;
#   - python3 -m http.server on the stack, fetched by the kernel's curl;
#   - iperf3 server and client on the stack (-P 4, -R, -u) against
#     iperf3 on the kernel;
#   - nginx on the stack, two worker processes sharing the listener, 1000
#     requests from 50 concurrent kernel-side clients (ab);
#   - sshd on the stack (port 2222, a test key; it re-executes itself
#     with the connection on fds 0 and 1), `ssh ... true` from the kernel;
#   - examples/echo_server --fork (libtcpip, no preload) under a kernel
#     client that writes 4 MiB while it reads: every byte back, no reset
#     (the parent's close of its copy ends nothing);
#   - a program ported by hand with <tcpip/bsd.h> (examples/bsd_echo_client)
#     runs on tcpipd without the preload;
#   - names resolve over the host kernel, not the stack (glibc's resolver
#     calls its own socket functions, which no preload sees);
#   - tcpipd going away: every call fails with ENETDOWN, poll says
#     POLLHUP, a listener stops polling readable.
#
# Run by tests/run.sh with TCPIPD=/abs/build/asan/tcpipd; the programs are
# not sanitizer builds, so the preload library is the plain build's
# (build/tcpip-run, TCPIP_RUN to override). Needs root, /dev/net/tun,
# `ip netns` and the Debian packages of scripts/deps.sh test.
#
# Addresses (inside the namespace only): the stack 10.77.0.2/24 and
# fd77::2/64 on tcpip0, the kernel 10.77.0.1/24 and fd77::1/64.

. "$(dirname "$0")/lib.sh"

TCPIP_RUN=${TCPIP_RUN:-$ITEST_REPO/build/tcpip-run}
BSD_CLIENT=$(dirname "$TCPIPD")/examples/bsd_echo_client
ECHO_SERVER=$(dirname "$TCPIPD")/examples/echo_server
BIG_MIB=100
STEP_SECS=30 # any one program's run

ITEST_CHECKS=(
    "tcpip-run names the missing socket and exits 125"
    "the library names the socket it cannot reach (curl through the preload)"
    "files, pipes and Unix sockets pass through the preload untouched"
    "curl fetches $BIG_MIB MiB over IPv4, sha256 matches"
    "curl fetches $BIG_MIB MiB over IPv6, sha256 matches"
    "wget fetches $BIG_MIB MiB over IPv4, sha256 matches"
    "wget fetches $BIG_MIB MiB over IPv6, sha256 matches"
    "nc on the stack sends to the kernel"
    "nc on the stack listens, the kernel sends"
    "socat TCP from the stack to a kernel echo server"
    "socat UDP both ways between the stack and the kernel"
    "socat TCP-LISTEN:...,fork on the stack serves three kernel clients"
    "python3 -m http.server on the stack, fetched by the kernel's curl"
    "iperf3 server on the stack: kernel client -P 4"
    "iperf3 server on the stack: kernel client -R"
    "iperf3 server on the stack: kernel client -u"
    "iperf3 client on the stack -P 4 against the kernel's server"
    "iperf3 client on the stack -R against the kernel's server"
    "iperf3 client on the stack -u against the kernel's server"
    "nginx on the stack, 2 workers: 1000 requests from 50 kernel clients, all 200 and whole"
    "nginx: both workers accepted from the shared listener"
    "sshd on the stack: ssh -p 2222 ... true from the kernel"
    "examples/echo_server --fork: a kernel client writing 4 MiB while reading gets it all back, no reset"
    "a program ported with <tcpip/bsd.h> runs on tcpipd (examples/bsd_echo_client)"
    "names resolve over the host kernel (getent through tcpip-run)"
    "tcpipd gone: ENETDOWN on every socket, POLLHUP, a quiet listener"
    "no sanitizer report in the tcpipd run"
)
itest_init preload python3 curl wget nc socat iperf3 nginx ab ssh ssh-keygen sha256sum unshare
[ -x "$TCPIP_RUN" ] || itest_unavailable "no $TCPIP_RUN (make all)"
[ -x /usr/sbin/sshd ] || itest_unavailable "no /usr/sbin/sshd (openssh-server)"
ns_create || itest_unavailable "cannot create a namespace"
nsx sysctl -qw net.ipv6.conf.all.disable_ipv6=0 net.ipv6.conf.default.disable_ipv6=0 \
    net.ipv6.conf.default.accept_dad=0 net.ipv6.conf.default.accept_ra=0 ||
    itest_unavailable "cannot enable IPv6 in the namespace"

IPC_SOCK=$TMP/ipc/tcpipd.sock
RUN=("$TCPIP_RUN" --socket "$IPC_SOCK")
write_config "$TMP/base.json"
python3 - "$TMP/base.json" "$TMP/a.json" "$IPC_SOCK" "$TMP/ctl/control.sock" <<'PY'
import json, sys
cfg = json.load(open(sys.argv[1]))
cfg["ipc"] = {"path": sys.argv[3], "mode": "0660"}
cfg["control"] = {"path": sys.argv[4], "mode": "0660"}
iface = cfg["interfaces"][0]
iface["ipv6"] = {"addresses": ["fd77::2/64"], "slaac": False}
iface["host"]["ipv6"] = "fd77::1/64"
json.dump(cfg, open(sys.argv[2], "w"), indent=2)
PY

# ---- before tcpipd: the errors that name the socket ----

missing_socket() {
    local out rc
    out=$("$TCPIP_RUN" --socket "$TMP/nowhere.sock" true 2>&1)
    rc=$?
    [ "$rc" -eq 125 ] && [[ $out == *"$TMP/nowhere.sock does not exist"* ]] && return 0
    note "tcpip-run said (status $rc): $out"
    return 1
}
check "tcpip-run names the missing socket and exits 125" missing_socket

# The library itself (tcpip-run bypassed): socket() fails as connect(2)
# to the path did, with one line naming it.
library_names_socket() {
    local out
    out=$(TCPIP_SOCKET=$TMP/nowhere.sock LD_PRELOAD=${PRELOAD_SO} \
        nsx timeout 10 curl -sS -o /dev/null http://10.77.0.1:9/ 2>&1)
    [[ $out == *"cannot reach tcpipd at $TMP/nowhere.sock: No such file or directory"* ]] &&
        return 0
    note "curl said: $out"
    return 1
}
PRELOAD_SO=$(sed -n "s/^preload='\(.*\)'$/\1/p" "$TCPIP_RUN")
check "the library names the socket it cannot reach (curl through the preload)" \
    library_names_socket

# ---- tcpipd ----

tcpipd_start "$TMP/a.log" "$TMP/a.json"
A_PID=$TCPIPD_PID
if ! tcpipd_wait_ready "$TMP/a.log"; then
    show_log "$TMP/a.log"
    itest_unavailable "tcpipd did not start"
fi
for ((i = 0; i < 100; i++)); do
    [ -S "$IPC_SOCK" ] && break
    sleep 0.05
done
ping_ok 10.77.0.2 1 >/dev/null || note "ping 10.77.0.2 failed"
# fd77::2 is usable after the stack's DAD (about a second): bounded wait.
for ((i = 0; i < 5; i++)); do
    nsx timeout 3 ping -6 -n -c 1 -W 1 fd77::2 >/dev/null 2>&1 && break
done

# ---- what is not a socket of tcpipd is the kernel's ----

# A file through a pipe (read/write/readv on every fd go through the
# wrappers) and a Unix socketpair (sendmsg/recvmsg, SCM_RIGHTS).
passthrough() {
    local want got
    head -c $((8 << 20)) /dev/urandom >"$TMP/file.bin"
    want=$(sha256sum <"$TMP/file.bin" | cut -d' ' -f1)
    got=$(nsx timeout 20 "${RUN[@]}" sh -c 'cat "$1" | cat | sha256sum' sh "$TMP/file.bin" |
        cut -d' ' -f1)
    [ "$got" = "$want" ] || { note "a file through pipes: sha256 $got, want $want"; return 1; }
    got=$(nsx timeout 20 "${RUN[@]}" python3 -c '
import os, socket, sys
a, b = socket.socketpair()
r, w = os.pipe()
socket.send_fds(a, [b"fd"], [r])
msg, fds, _, _ = socket.recv_fds(b, 16, 1)
os.write(w, b"through the pipe")
print(msg.decode(), os.read(fds[0], 64).decode())') ||
        { note "Unix socketpair under the preload failed"; return 1; }
    [ "$got" = "fd through the pipe" ] || { note "socketpair/SCM_RIGHTS gave '$got'"; return 1; }
    # A socket closed behind the library's back (fclose of an fdopen'ed
    # socket closes it inside the C library), its number reused by a pipe:
    # reads and writes of the pipe are the pipe's.
    got=$(nsx timeout 20 "${RUN[@]}" python3 -c '
import ctypes, os, socket
libc = ctypes.CDLL(None)
libc.fdopen.restype = ctypes.c_void_p
libc.fclose.argtypes = [ctypes.c_void_p]
out = []
for kind in (socket.SOCK_DGRAM, socket.SOCK_STREAM):
    s = socket.socket(socket.AF_INET, kind)
    if kind == socket.SOCK_STREAM:
        s.connect(("10.77.0.1", 8080))
    n = s.detach()
    libc.fclose(libc.fdopen(n, b"r+"))
    r, w = os.pipe()
    if n not in (r, w):
        out.append("number not reused")
        continue
    os.write(w, b"pipe data")
    out.append(os.read(r, 64).decode())
    os.close(r); os.close(w)
print(" ".join(out))') || { note "stale socket numbers: the program failed"; return 1; }
    [ "$got" = "pipe data pipe data" ] || { note "a pipe on a stale socket number gave '$got'"; return 1; }
    # A program that closes every fd it did not open (closefrom, as sshd
    # does) closes the library's idle session too; a socketpair then
    # reuses the number: no request may go there, and sockets still work.
    local how
    for how in close_range close; do
        got=$(nsx timeout 20 "${RUN[@]}" python3 -c '
import os, socket, sys
socket.socket().close()          # a session now idles in the pool
if sys.argv[1] == "close_range":
    os.closerange(3, 4096)
else:
    for fd in range(3, 64):
        try:
            os.close(fd)
        except OSError:
            pass
pairs = [socket.socketpair() for _ in range(4)]
t = socket.socket()
t.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
for a, b in pairs:
    b.setblocking(False)
    try:
        print("leaked into a socketpair:", b.recv(64))
    except BlockingIOError:
        pass
print("sessions ok")' "$how" 2>&1)
        [ "$got" = "sessions ok" ] || { note "after closing every fd ($how): $got"; return 1; }
    done
}

# ---- curl and wget: 100 MiB from a kernel-side HTTP server ----

mkdir -p "$TMP/www"
head -c $((BIG_MIB << 20)) /dev/urandom >"$TMP/www/big.bin"
BIG_SUM=$(sha256sum <"$TMP/www/big.bin" | cut -d' ' -f1)
# One server on both families (the kernel's dual-stack [::]).
(cd "$TMP/www" && exec ip netns exec "$NS" python3 -m http.server --bind :: 8080) \
    >"$TMP/http.log" 2>&1 &
ITEST_PIDS+=($!)
for ((i = 0; i < 100; i++)); do
    nsx timeout 2 curl -s -o /dev/null http://10.77.0.1:8080/ && break
    sleep 0.1
done

# fetch_ok TOOL URL: TOOL on the stack fetches URL, sha256 matches.
fetch_ok() {
    local tool=$1 url=$2 out=$TMP/fetched.bin sum
    rm -f "$out"
    case $tool in
    curl) nsx timeout "$STEP_SECS" "${RUN[@]}" curl -sS -g -o "$out" "$url" 2>"$TMP/fetch.err" ;;
    wget) nsx timeout "$STEP_SECS" "${RUN[@]}" wget -q -O "$out" "$url" 2>"$TMP/fetch.err" ;;
    esac
    local rc=$?
    sum=$(sha256sum <"$out" 2>/dev/null | cut -d' ' -f1)
    [ "$rc" -eq 0 ] && [ "$sum" = "$BIG_SUM" ] && return 0
    note "$tool $url: status $rc, $(stat -c %s "$out" 2>/dev/null || echo no) bytes"
    show_log "$TMP/fetch.err" 5
    return 1
}
check "files, pipes and Unix sockets pass through the preload untouched" passthrough
rm -f "$TMP/file.bin"
check "curl fetches $BIG_MIB MiB over IPv4, sha256 matches" fetch_ok curl http://10.77.0.1:8080/big.bin
check "curl fetches $BIG_MIB MiB over IPv6, sha256 matches" fetch_ok curl "http://[fd77::1]:8080/big.bin"
check "wget fetches $BIG_MIB MiB over IPv4, sha256 matches" fetch_ok wget http://10.77.0.1:8080/big.bin
check "wget fetches $BIG_MIB MiB over IPv6, sha256 matches" fetch_ok wget "http://[fd77::1]:8080/big.bin"
rm -f "$TMP/www/big.bin" "$TMP/fetched.bin"

# ---- nc and socat ----

# wait_port PROTO ADDR PORT: something listens (or is bound) there, from
# the kernel's view for kernel ports, or tcpipctl-free for stack ports:
# a bounded loop of connection attempts by the caller instead.
nc_to_kernel() {
    local pid
    nsx timeout 10 nc -l 10.77.0.1 9001 >"$TMP/nc1.out" 2>&1 &
    pid=$!
    ITEST_PIDS+=("$pid")
    sleep 0.3
    echo "from the stack" | nsx timeout 10 "${RUN[@]}" nc -N 10.77.0.1 9001 || return 1
    proc_wait "$pid" 10
    [ "$(cat "$TMP/nc1.out")" = "from the stack" ] || { note "nc -l got: $(cat "$TMP/nc1.out")"; return 1; }
}
check "nc on the stack sends to the kernel" nc_to_kernel

nc_from_kernel() {
    local pid i
    nsx timeout 10 "${RUN[@]}" nc -l 10.77.0.2 9002 >"$TMP/nc2.out" 2>"$TMP/nc2.err" &
    pid=$!
    ITEST_PIDS+=("$pid")
    for ((i = 0; i < 50; i++)); do
        sleep 0.1
        echo "from the kernel" | nsx timeout 5 nc -N 10.77.0.2 9002 2>/dev/null && break
    done
    proc_wait "$pid" 10
    [ "$(cat "$TMP/nc2.out")" = "from the kernel" ] || { note "nc -l on the stack got: $(cat "$TMP/nc2.out")"; show_log "$TMP/nc2.err" 5; return 1; }
}
check "nc on the stack listens, the kernel sends" nc_from_kernel

socat_tcp() {
    local pid out
    nsx timeout 10 socat TCP-LISTEN:9003,bind=10.77.0.1,reuseaddr EXEC:cat 2>/dev/null &
    pid=$!
    ITEST_PIDS+=("$pid")
    sleep 0.3
    out=$(seq 1 2000 | nsx timeout 10 "${RUN[@]}" socat -t 2 - TCP:10.77.0.1:9003)
    [ "$out" = "$(seq 1 2000)" ] || { note "socat echo: $(echo "$out" | wc -c) bytes back"; return 1; }
}
check "socat TCP from the stack to a kernel echo server" socat_tcp

socat_udp() {
    local pid1 pid2
    # stack -> kernel
    nsx timeout 10 socat -u UDP-RECV:9004,bind=10.77.0.1 "OPEN:$TMP/u1.out,creat" &
    pid1=$!
    # kernel -> stack
    nsx timeout 10 "${RUN[@]}" socat -u UDP-RECV:9005,bind=10.77.0.2 "OPEN:$TMP/u2.out,creat" &
    pid2=$!
    ITEST_PIDS+=("$pid1" "$pid2")
    sleep 0.5
    echo "udp up" | nsx timeout 5 "${RUN[@]}" socat -u - UDP-SENDTO:10.77.0.1:9004
    echo "udp down" | nsx timeout 5 socat -u - UDP-SENDTO:10.77.0.2:9005
    for ((i = 0; i < 50; i++)); do
        [ -s "$TMP/u1.out" ] && [ -s "$TMP/u2.out" ] && break
        sleep 0.1
    done
    kill "$pid1" "$pid2" 2>/dev/null
    [ "$(cat "$TMP/u1.out" 2>/dev/null)" = "udp up" ] &&
        [ "$(cat "$TMP/u2.out" 2>/dev/null)" = "udp down" ] && return 0
    note "got up '$(cat "$TMP/u1.out" 2>/dev/null)', down '$(cat "$TMP/u2.out" 2>/dev/null)'"
    return 1
}
check "socat UDP both ways between the stack and the kernel" socat_udp

socat_fork() {
    local pid i got ok=0
    nsx timeout 20 "${RUN[@]}" socat TCP-LISTEN:9006,bind=10.77.0.2,reuseaddr,fork EXEC:cat \
        2>"$TMP/socat-fork.err" &
    pid=$!
    ITEST_PIDS+=("$pid")
    for ((i = 0; i < 50; i++)); do
        sleep 0.1
        [ "$(echo probe | nsx timeout 3 socat -t 1 - TCP:10.77.0.2:9006 2>/dev/null)" = probe ] && break
    done
    for i in 1 2 3; do
        got=$(echo "client $i" | nsx timeout 5 socat -t 1 - TCP:10.77.0.2:9006 2>/dev/null)
        [ "$got" = "client $i" ] && ok=$((ok + 1))
    done
    kill "$pid" 2>/dev/null
    [ "$ok" -eq 3 ] || { note "$ok of 3 clients echoed"; show_log "$TMP/socat-fork.err" 5; return 1; }
}
check "socat TCP-LISTEN:...,fork on the stack serves three kernel clients" socat_fork

# ---- python3 -m http.server on the stack ----

python_server() {
    local pid i got
    mkdir -p "$TMP/pywww"
    echo "served by the stack" >"$TMP/pywww/hello.txt"
    (cd "$TMP/pywww" && exec ip netns exec "$NS" timeout 30 "${RUN[@]}" python3 -m http.server \
        --bind 10.77.0.2 8081) >"$TMP/py.log" 2>&1 &
    pid=$!
    ITEST_PIDS+=("$pid")
    for ((i = 0; i < 100; i++)); do
        got=$(nsx timeout 3 curl -s http://10.77.0.2:8081/hello.txt 2>/dev/null) && break
        sleep 0.1
    done
    kill "$pid" 2>/dev/null
    [ "$got" = "served by the stack" ] || { note "curl got '$got'"; show_log "$TMP/py.log" 5; return 1; }
}
check "python3 -m http.server on the stack, fetched by the kernel's curl" python_server

# ---- iperf3 ----

# iperf_pair PORT SERVER_SIDE ARGS...: a one-test iperf3 server (-1) on
# SERVER_SIDE ("stack" or "kernel"), the client on the other side.
iperf_pair() {
    local port=$1 side=$2 spid i
    shift 2
    local server=(iperf3 --forceflush -s -1 -p "$port") client=(iperf3 -t 1 -p "$port" "$@")
    if [ "$side" = stack ]; then
        nsx timeout "$STEP_SECS" "${RUN[@]}" "${server[@]}" -B 10.77.0.2 >"$TMP/iperf-s.log" 2>&1 &
        spid=$!
        client=(timeout "$STEP_SECS" "${client[@]}" -c 10.77.0.2)
    else
        nsx timeout "$STEP_SECS" "${server[@]}" -B 10.77.0.1 >"$TMP/iperf-s.log" 2>&1 &
        spid=$!
        client=(timeout "$STEP_SECS" "${RUN[@]}" "${client[@]}" -c 10.77.0.1)
    fi
    ITEST_PIDS+=("$spid")
    for ((i = 0; i < 100; i++)); do
        grep -q "Server listening" "$TMP/iperf-s.log" 2>/dev/null && break
        sleep 0.1
    done
    grep -q "Server listening" "$TMP/iperf-s.log" 2>/dev/null ||
        note "the iperf3 server on the $side did not say it listens within 10 s"
    nsx "${client[@]}" >"$TMP/iperf-c.log" 2>&1
    local rc=$?
    proc_wait "$spid" 10
    if [ "$rc" -eq 0 ] && grep -q "iperf Done" "$TMP/iperf-c.log" && [ "$WAIT_STATUS" -eq 0 ]; then
        note "  $(grep -E 'receiver|SUM.*receiver' "$TMP/iperf-c.log" | tail -n 1 | tr -s ' ')"
        return 0
    fi
    note "iperf3 client status $rc, server status $WAIT_STATUS"
    show_log "$TMP/iperf-c.log" 6
    show_log "$TMP/iperf-s.log" 6
    return 1
}
check "iperf3 server on the stack: kernel client -P 4" iperf_pair 5301 stack -P 4
check "iperf3 server on the stack: kernel client -R" iperf_pair 5302 stack -R
# iperf3's UDP server connects its socket to the first client and binds a
# new one to the same port (both SO_REUSEADDR), as Linux allows.
udp_reuseaddr_probe() {
    nsx timeout 10 "${RUN[@]}" python3 -c '
import socket
a = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
a.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
a.bind(("10.77.0.2", 5399)); a.connect(("10.77.0.1", 5399))
b = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
b.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
b.bind(("10.77.0.2", 5399))' 2>/dev/null
}
if udp_reuseaddr_probe; then
    check "iperf3 server on the stack: kernel client -u" iperf_pair 5303 stack -u -b 200M
else
    skip "iperf3 server on the stack: kernel client -u (the stack refuses a second UDP bind to a port with SO_REUSEADDR: EADDRINUSE)"
fi
check "iperf3 client on the stack -P 4 against the kernel's server" iperf_pair 5304 kernel -P 4
check "iperf3 client on the stack -R against the kernel's server" iperf_pair 5305 kernel -R
check "iperf3 client on the stack -u against the kernel's server" iperf_pair 5306 kernel -u -b 200M

# ---- nginx: two workers on one listener ----

NGX=$TMP/nginx
mkdir -p "$NGX/html" "$NGX/logs" "$NGX/tmp"
head -c 5000 /dev/urandom | base64 -w 76 >"$NGX/html/page.txt"
PAGE_LEN=$(stat -c %s "$NGX/html/page.txt")
cat >"$NGX/nginx.conf" <<EOF
daemon off;
master_process on;
worker_processes 2;
user root;
pid $NGX/nginx.pid;
error_log $NGX/logs/error.log warn;
events { worker_connections 256; }
http {
    log_format bypid '\$pid \$status \$body_bytes_sent';
    access_log $NGX/logs/access.log bypid;
    client_body_temp_path $NGX/tmp;
    proxy_temp_path $NGX/tmp;
    fastcgi_temp_path $NGX/tmp;
    uwsgi_temp_path $NGX/tmp;
    scgi_temp_path $NGX/tmp;
    sendfile on;
    tcp_nopush on;
    keepalive_timeout 5;
    server { listen 10.77.0.2:8088; root $NGX/html; }
}
EOF
nginx_ab() {
    local i out
    for ((i = 0; i < 100; i++)); do
        nsx timeout 2 curl -s -o /dev/null http://10.77.0.2:8088/page.txt && break
        sleep 0.1
    done
    : >"$NGX/logs/access.log"
    out=$(nsx timeout "$STEP_SECS" ab -n 1000 -c 50 http://10.77.0.2:8088/page.txt 2>&1)
    note "  $(echo "$out" | grep 'Requests per second' | tr -s ' ')"
    echo "$out" | grep -Eq '^Complete requests: +1000$' &&
        echo "$out" | grep -Eq '^Failed requests: +0$' &&
        ! echo "$out" | grep -q 'Non-2xx' &&
        echo "$out" | grep -Eq "^Document Length: +$PAGE_LEN bytes$" &&
        [ "$(grep -c " 200 $PAGE_LEN\$" "$NGX/logs/access.log")" -eq 1000 ] && return 0
    echo "$out" | grep -E 'requests|Length|Non-2xx' | sed 's/^/#   /'
    show_log "$NGX/logs/error.log" 10
    return 1
}
nginx_two_workers() {
    local n
    n=$(cut -d' ' -f1 "$NGX/logs/access.log" | sort -u | wc -l)
    [ "$n" -eq 2 ] || { note "responses came from $n worker(s)"; return 1; }
}
nsx timeout 60 "${RUN[@]}" nginx -p "$NGX" -c "$NGX/nginx.conf" >"$NGX/logs/stderr.log" 2>&1 &
NGINX_PID=$!
ITEST_PIDS+=("$NGINX_PID")
check "nginx on the stack, 2 workers: 1000 requests from 50 kernel clients, all 200 and whole" nginx_ab
check "nginx: both workers accepted from the shared listener" nginx_two_workers
kill -QUIT "$NGINX_PID" 2>/dev/null
proc_wait "$NGINX_PID" 5

# ---- sshd ----

SSHD=$TMP/ssh
mkdir -p "$SSHD"
chmod 0700 "$SSHD"
ssh-keygen -q -t ed25519 -N '' -f "$SSHD/host_key" </dev/null
ssh-keygen -q -t ed25519 -N '' -f "$SSHD/user_key" </dev/null
cp "$SSHD/user_key.pub" "$SSHD/authorized_keys"
cat >"$SSHD/sshd_config" <<EOF
Port 2222
ListenAddress 10.77.0.2
HostKey $SSHD/host_key
AuthorizedKeysFile $SSHD/authorized_keys
PidFile $SSHD/sshd.pid
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
EOF
sshd_true() {
    local pid i rc=1
    # sshd's privilege separation directory (the package's tmpfiles.d makes it at boot).
    [ -d /run/sshd ] || mkdir -m 0755 /run/sshd
    nsx timeout "$STEP_SECS" "${RUN[@]}" /usr/sbin/sshd -D -e -f "$SSHD/sshd_config" \
        >"$SSHD/sshd.log" 2>&1 &
    pid=$!
    ITEST_PIDS+=("$pid")
    for ((i = 0; i < 20; i++)); do
        grep -q "Server listening" "$SSHD/sshd.log" 2>/dev/null && break
        sleep 0.1
    done
    nsx timeout 15 ssh -p 2222 -i "$SSHD/user_key" -o BatchMode=yes -o StrictHostKeyChecking=no \
        -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR root@10.77.0.2 true </dev/null \
        >"$SSHD/ssh.log" 2>&1
    rc=$?
    kill "$pid" 2>/dev/null
    [ "$rc" -eq 0 ] || { note "ssh status $rc"; show_log "$SSHD/ssh.log" 5; show_log "$SSHD/sshd.log" 10; }
    return "$rc"
}
check "sshd on the stack: ssh -p 2222 ... true from the kernel" sshd_true

# ---- examples/echo_server --fork: a shared socket ends at the last close ----

cat >"$TMP/echo4m.py" <<'PY'
import socket, sys, threading, time
total = 4 << 20
data = bytes((i * 31 + 7) & 0xff for i in range(65536)) * (total // 65536)
for attempt in range(50):
    try:
        s = socket.create_connection(("10.77.0.2", int(sys.argv[1])), timeout=10)
        break
    except OSError:
        time.sleep(0.1)
else:
    sys.exit("cannot connect")
err = []
def writer():
    try:
        s.sendall(data)
        s.shutdown(socket.SHUT_WR)
    except OSError as e:
        err.append("send: %s" % e)
t = threading.Thread(target=writer)
t.start()
got = bytearray()
try:
    while True:
        b = s.recv(65536)
        if not b:
            break
        got += b
except OSError as e:
    err.append("recv: %s" % e)
t.join()
if err or bytes(got) != data:
    sys.exit("%s; %d of %d bytes back" % ("; ".join(err) or "data differs", len(got), total))
PY
echo_fork() {
    local pid out rc
    nsx env TCPIP_BACKEND=direct "TCPIP_SOCKET=$IPC_SOCK" timeout 30 "$ECHO_SERVER" --fork \
        --bind 10.77.0.2 9008 >"$TMP/echo-server.log" 2>&1 &
    pid=$!
    ITEST_PIDS+=("$pid")
    out=$(nsx timeout 30 python3 "$TMP/echo4m.py" 9008 2>&1)
    rc=$?
    kill "$pid" 2>/dev/null
    [ "$rc" -eq 0 ] || { note "kernel client: $out"; show_log "$TMP/echo-server.log" 5; return 1; }
}
check "examples/echo_server --fork: a kernel client writing 4 MiB while reading gets it all back, no reset" \
    echo_fork

# ---- <tcpip/bsd.h>: a program ported by hand, no preload ----

bsd_header() {
    local pid out
    nsx timeout 10 socat TCP-LISTEN:9007,bind=10.77.0.1,reuseaddr EXEC:cat 2>/dev/null &
    pid=$!
    ITEST_PIDS+=("$pid")
    sleep 0.3
    out=$(nsx env TCPIP_BACKEND=direct "TCPIP_SOCKET=$IPC_SOCK" timeout 10 "$BSD_CLIENT" \
        10.77.0.1 9007 "ported by one include" 2>&1)
    local rc=$?
    kill "$pid" 2>/dev/null
    [ "$rc" -eq 0 ] && [ "$out" = "ported by one include" ] && return 0
    note "bsd_echo_client status $rc: $out"
    return 1
}
check "a program ported with <tcpip/bsd.h> runs on tcpipd (examples/bsd_echo_client)" bsd_header

# ---- name resolution: the host's resolver, over the kernel ----

# A one-answer DNS server on the kernel side; getent through tcpip-run
# asks it. It logs each query's source: 10.77.0.1 (the kernel's own
# address) when the query left through the kernel, 10.77.0.2 if it had
# gone through the stack. resolv.conf is replaced in a private mount
# namespace only.
resolver_is_kernel() {
    local pid i out
    cat >"$TMP/dns.py" <<'PY'
import socket, struct, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("10.77.0.1", 53))
s.settimeout(20)
while True:
    q, peer = s.recvfrom(512)
    print(peer[0], flush=True)
    qid, = struct.unpack("!H", q[:2])
    end = 12
    while q[end] != 0:
        end += 1 + q[end]
    question = q[12:end + 5]
    qtype, = struct.unpack("!H", q[end + 1:end + 3])
    if qtype != 1:
        s.sendto(struct.pack("!HHHHHH", qid, 0x8180, 1, 0, 0, 0) + question, peer)
        continue
    answer = b"\xc0\x0c" + struct.pack("!HHIH", 1, 1, 60, 4) + socket.inet_aton("10.77.9.9")
    s.sendto(struct.pack("!HHHHHH", qid, 0x8180, 1, 1, 0, 0) + question + answer, peer)
PY
    echo "nameserver 10.77.0.1" >"$TMP/resolv.conf"
    nsx timeout 25 python3 "$TMP/dns.py" >"$TMP/dns.log" 2>&1 &
    pid=$!
    ITEST_PIDS+=("$pid")
    sleep 0.5
    out=$(nsx unshare -m sh -c 'mount --bind "$1" /etc/resolv.conf && shift && exec "$@"' sh \
        "$TMP/resolv.conf" timeout 10 "${RUN[@]}" getent ahostsv4 preload-test.example 2>&1)
    kill "$pid" 2>/dev/null
    [[ $out == *10.77.9.9* ]] && grep -qx 10.77.0.1 "$TMP/dns.log" &&
        ! grep -q 10.77.0.2 "$TMP/dns.log" && return 0
    note "getent said: $out; queries from: $(tr '\n' ' ' <"$TMP/dns.log")"
    return 1
}
check "names resolve over the host kernel (getent through tcpip-run)" resolver_is_kernel

# ---- tcpipd goes away ----

# Sockets of every kind through the preload, then tcpipd is killed: each
# call fails with ENETDOWN, poll reports POLLHUP on connected sockets,
# the listener fails one accept and then stays quiet for poll.
cat >"$TMP/gone.py" <<'PY'
import errno, os, select, socket, sys, time
ready, go = sys.argv[1], sys.argv[2]
lst = socket.socket(); lst.bind(("10.77.0.2", 9100)); lst.listen(4)
tcp = socket.create_connection(("10.77.0.1", 9101), timeout=5)
udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); udp.connect(("10.77.0.1", 9102))
open(ready, "w").close()
for _ in range(200):
    if os.path.exists(go):
        break
    time.sleep(0.05)
time.sleep(0.3)
bad = []
def expect_enetdown(what, fn):
    try:
        fn()
        bad.append(what + ": no error")
    except OSError as e:
        if e.errno != errno.ENETDOWN:
            bad.append("%s: %s" % (what, errno.errorcode.get(e.errno, e.errno)))
p = select.poll(); p.register(tcp, select.POLLIN)
ev = dict(p.poll(1000))
if not ev.get(tcp.fileno(), 0) & select.POLLHUP:
    bad.append("tcp poll: no POLLHUP (%r)" % ev)
expect_enetdown("tcp recv", lambda: tcp.recv(10))
expect_enetdown("udp send", lambda: udp.send(b"x"))
expect_enetdown("udp recv", lambda: udp.recv(10))
lst.setblocking(False)
expect_enetdown("accept", lambda: lst.accept())
p = select.poll(); p.register(lst, select.POLLIN)
spins = 0
t0 = time.time()
while time.time() - t0 < 0.5:
    if p.poll(100):
        spins += 1
if spins:
    bad.append("listener polled ready %d times after the first failed accept" % spins)
# a new socket: connect(2) to the daemon's path fails (ECONNREFUSED: the
# file is left, nobody listens), with one line naming it on stderr
try:
    socket.socket()
    bad.append("new socket: no error")
except OSError as e:
    if e.errno != errno.ECONNREFUSED:
        bad.append("new socket: %s" % errno.errorcode.get(e.errno, e.errno))
print("\n".join(bad) if bad else "all ENETDOWN")
sys.exit(1 if bad else 0)
PY
daemon_gone() {
    local kpid ppid rc out
    nsx timeout 20 python3 -c '
import socket, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("10.77.0.1", 9101)); s.listen(4)
c, _ = s.accept(); time.sleep(15)' &
    kpid=$!
    ITEST_PIDS+=("$kpid")
    sleep 0.3
    nsx timeout 20 "${RUN[@]}" python3 "$TMP/gone.py" "$TMP/gone.ready" "$TMP/gone.go" \
        >"$TMP/gone.out" 2>&1 &
    ppid=$!
    ITEST_PIDS+=("$ppid")
    for ((i = 0; i < 100; i++)); do
        [ -e "$TMP/gone.ready" ] && break
        sleep 0.05
    done
    kill -KILL "$A_PID" 2>/dev/null
    proc_wait "$A_PID" 5
    touch "$TMP/gone.go"
    proc_wait "$ppid" 15
    rc=$WAIT_STATUS
    kill "$kpid" 2>/dev/null
    out=$(cat "$TMP/gone.out")
    [ "$rc" -eq 0 ] || { note "status $rc: $out"; return 1; }
    # socket() with no tcpipd: the library names the path, once.
    [[ $out == *"cannot reach tcpipd at $IPC_SOCK"* ]] ||
        { note "no line naming $IPC_SOCK: $out"; return 1; }
}
check "tcpipd gone: ENETDOWN on every socket, POLLHUP, a quiet listener" daemon_gone
check "no sanitizer report in the tcpipd run" no_sanitizer_report "$TMP/a.log"
itest_done
