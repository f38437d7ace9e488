#!/bin/bash
# test_systemd.sh - tcpipd as a systemd service, without needing systemd as
# PID 1: the unit file passes `systemd-analyze verify` and scores 2.0 or
# lower in `systemd-analyze security --offline=true`; `make install` with
# PREFIX/DESTDIR puts every file where it belongs and `make uninstall`
# takes them all away; the man pages format without warnings; and a tcpipd
# in a fresh namespace speaks the sd_notify protocol to a datagram socket
# this script listens on (NOTIFY_SOCKET): READY=1, STATUS=, WATCHDOG=1,
# RELOADING=1/READY=1 around SIGHUP reloads (a good file, a bad file, an
# interface change), STOPPING=1 on SIGTERM.
#
# Run by tests/run.sh with TCPIPD=/abs/build/asan/tcpipd; needs root,
# /dev/net/tun, `ip netns`, python3 (the listener) and systemd-analyze.
# Addresses (inside the namespace only): stack 10.77.0.2/24, kernel 10.77.0.1/24.

. "$(dirname "$0")/lib.sh"

ITEST_CHECKS=(
    "systemd-analyze verify: the installed unit is clean"
    "systemd-analyze security: overall exposure 2.0 or lower"
    "make install DESTDIR: binary, unit, sysusers, config and man pages in place"
    "make install: the unit's ExecStart names PREFIX's tcpipd and SYSCONFDIR's config"
    "make install PREFIX=P: the config under P/etc, tcpipd's default -c is P/etc/tcpipd/tcpipd.json"
    "one version: tcpipd -V, tcpipctl -V, tcpip.pc and every man page say the Makefile's VERSION"
    "installed libtcpip: an example builds with pkg-config --cflags --libs tcpip, shared and static, and runs; one with <tcpip/bsd.h> builds"
    "make uninstall DESTDIR: no file left behind"
    "man pages format without warnings"
    "notify: READY=1 then STATUS=serving 1 interface(s), 0 connection(s)"
    "notify: WATCHDOG=1 at least twice in 2 s with WATCHDOG_USEC=400000"
    "reload (good file): RELOADING=1 with MONOTONIC_USEC, then READY=1"
    "reload (good file): log level and services applied live; tcp echo answers on the new port"
    "reload (bad file): error logged, old config kept, echo still answers, READY=1 again"
    "reload (interface change): logged as needing a restart, not applied"
    "SIGTERM: STOPPING=1, exit status 0"
    "as the unit runs it (unprivileged user, ambient CAP_NET_ADMIN): no capability left once ready, still serving"
    "config \"user\": a bad name is refused by --check-config, naming the key"
    "config \"user\": started as root, runs as that user with no capability once ready; serves and reloads"
    "no sanitizer report in any tcpipd run"
)
itest_init systemd python3 nc setpriv unshare mknod
ns_create || itest_unavailable "cannot create a namespace"
REPO=$ITEST_REPO

# ---- the unit file, install and uninstall ----

# verify needs the ExecStart binary to exist: install for real into a
# PREFIX under $TMP (no DESTDIR), so the unit names a file that is there.
# The plain build is installed (the Makefile's default BUILD); it is only
# looked at (--help, -V), never run as a daemon. SYSCONFDIR follows PREFIX
# (autotools' rule: a private prefix stays private).
inst_log=$TMP/install.log
PFX=$TMP/prefix
if make -s -C "$REPO" install PREFIX="$PFX" >"$inst_log" 2>&1; then
    installed=true
else
    installed=false
    show_log "$inst_log"
fi

verify_ok() {
    $installed || return 1
    command -v systemd-analyze >/dev/null || { note "no systemd-analyze"; return 1; }
    local out
    # --man=no: the man pages are installed under $PFX, not where man(1) looks.
    out=$(systemd-analyze verify --man=no "$PFX/lib/systemd/system/tcpipd.service" 2>&1) || {
        note "$out"
        return 1
    }
    [ -z "$out" ] || { note "verify printed: $out"; return 1; }
}
check "systemd-analyze verify: the installed unit is clean" verify_ok

security_ok() {
    command -v systemd-analyze >/dev/null || { note "no systemd-analyze"; return 1; }
    local out level
    out=$(systemd-analyze security --offline=true --no-pager "$REPO/systemd/tcpipd.service" 2>&1)
    level=$(echo "$out" | sed -n 's/.*Overall exposure level for tcpipd.service: \([0-9.]*\).*/\1/p')
    note "overall exposure level: ${level:-none}"
    [ -n "$level" ] && awk -v l="$level" 'BEGIN { exit !(l <= 2.0) }'
}
check "systemd-analyze security: overall exposure 2.0 or lower" security_ok

DEST=$TMP/destdir
expected_files=(
    usr/sbin/tcpipd
    usr/lib/systemd/system/tcpipd.service
    usr/lib/sysusers.d/tcpipd.conf
    usr/share/man/man8/tcpipd.8
    usr/share/man/man8/tcpipctl.8
    usr/share/man/man3/libtcpip.3
    usr/share/man/man1/tcpip-run.1
    usr/bin/tcpip-run
    usr/lib/libtcpip-preload.so
    usr/include/tcpip/bsd.h
    usr/share/man/man5/tcpipd.json.5
    usr/share/tcpip/default.json
    etc/tcpipd/tcpipd.json
)
install_ok() {
    # As a distribution package is built: PREFIX=/usr, SYSCONFDIR=/etc.
    make -s -C "$REPO" install DESTDIR="$DEST" PREFIX=/usr SYSCONFDIR=/etc >"$inst_log" 2>&1 || {
        show_log "$inst_log"
        return 1
    }
    local f
    for f in "${expected_files[@]}"; do
        [ -f "$DEST/$f" ] || { note "missing $DEST/$f"; return 1; }
    done
    [ -x "$DEST/usr/sbin/tcpipd" ] && [ -x "$DEST/usr/bin/tcpip-run" ] || return 1
    # the installed tcpip-run loads the installed library
    grep -qx "preload='/usr/lib/libtcpip-preload.so'" "$DEST/usr/bin/tcpip-run" ||
        { note "tcpip-run does not name /usr/lib/libtcpip-preload.so"; return 1; }
}
check "make install DESTDIR: binary, unit, sysusers, config and man pages in place" install_ok

unit_paths_ok() {
    grep -qx 'ExecStart=/usr/sbin/tcpipd -c /etc/tcpipd/tcpipd.json' \
        "$DEST/usr/lib/systemd/system/tcpipd.service" &&
        grep -qx "ExecStart=$PFX/sbin/tcpipd -c $PFX/etc/tcpipd/tcpipd.json" \
            "$PFX/lib/systemd/system/tcpipd.service"
}
check "make install: the unit's ExecStart names PREFIX's tcpipd and SYSCONFDIR's config" unit_paths_ok

private_prefix_ok() {
    $installed || return 1
    [ -f "$PFX/etc/tcpipd/tcpipd.json" ] || { note "no $PFX/etc/tcpipd/tcpipd.json"; return 1; }
    "$PFX/sbin/tcpipd" --help | grep -qF "(default $PFX/etc/tcpipd/tcpipd.json)" ||
        { note "tcpipd --help: $("$PFX/sbin/tcpipd" --help | grep -- --config)"; return 1; }
    grep -qF "$PFX/etc/tcpipd/tcpipd.json" "$PFX/share/man/man8/tcpipd.8" ||
        { note "tcpipd.8 does not name $PFX/etc/tcpipd/tcpipd.json"; return 1; }
}
check "make install PREFIX=P: the config under P/etc, tcpipd's default -c is P/etc/tcpipd/tcpipd.json" private_prefix_ok

one_version_ok() {
    $installed || return 1
    local v page th
    v=$(sed -n 's/^VERSION := //p' "$REPO/Makefile")
    [ -n "$v" ] || { note "no VERSION in the Makefile"; return 1; }
    [ "$("$PFX/sbin/tcpipd" -V)" = "tcpipd $v" ] || { note "tcpipd -V: $("$PFX/sbin/tcpipd" -V)"; return 1; }
    [ "$("$PFX/sbin/tcpipctl" -V)" = "tcpipctl $v" ] ||
        { note "tcpipctl -V: $("$PFX/sbin/tcpipctl" -V)"; return 1; }
    grep -qx "Version: $v" "$PFX/lib/pkgconfig/tcpip.pc" || { note "tcpip.pc: $(grep Version "$PFX/lib/pkgconfig/tcpip.pc")"; return 1; }
    for page in "$PFX"/share/man/man*/*; do
        th=$(grep -m1 '^\.TH' "$page")
        [[ "$th" == *"\"tcpip $v\""* ]] || { note "$page: $th"; return 1; }
    done
}
check "one version: tcpipd -V, tcpipctl -V, tcpip.pc and every man page say the Makefile's VERSION" one_version_ok

# A program built the way a user builds one: only the installed header,
# library and tcpip.pc (PKG_CONFIG_SYSROOT_DIR maps /usr onto DESTDIR).
pkgconfig_ok() {
    local pcdir="$DEST/usr/lib/pkgconfig" cflags libs
    command -v pkg-config >/dev/null || { note "no pkg-config"; return 1; }
    [ -f "$pcdir/tcpip.pc" ] || { note "no $pcdir/tcpip.pc"; return 1; }
    cflags=$(PKG_CONFIG_PATH= PKG_CONFIG_LIBDIR="$pcdir" PKG_CONFIG_SYSROOT_DIR="$DEST" \
        pkg-config --cflags tcpip) &&
        libs=$(PKG_CONFIG_PATH= PKG_CONFIG_LIBDIR="$pcdir" PKG_CONFIG_SYSROOT_DIR="$DEST" \
            pkg-config --libs tcpip) || { note "pkg-config tcpip failed"; return 1; }
    # shellcheck disable=SC2086 # word splitting of the flags is wanted
    cc -std=c11 -Wall -Wextra -Werror -D_GNU_SOURCE $cflags -o "$TMP/echo_shared" \
        "$REPO/examples/echo_server.c" $libs >"$TMP/cc.log" 2>&1 || { show_log "$TMP/cc.log"; return 1; }
    LD_LIBRARY_PATH="$DEST/usr/lib" ldd "$TMP/echo_shared" | grep -q "$DEST/usr/lib/libtcpip.so.1" ||
        { note "echo_shared does not use the installed libtcpip.so.1"; return 1; }
    LD_LIBRARY_PATH="$DEST/usr/lib" "$TMP/echo_shared" --help >/dev/null 2>&1 ||
        { note "echo_shared --help failed"; return 1; }
    # shellcheck disable=SC2086
    cc -std=c11 -Wall -Wextra -Werror -D_GNU_SOURCE $cflags -o "$TMP/echo_static" \
        "$REPO/examples/echo_server.c" "$DEST/usr/lib/libtcpip.a" -pthread >"$TMP/cc.log" 2>&1 ||
        { show_log "$TMP/cc.log"; return 1; }
    "$TMP/echo_static" --help >/dev/null 2>&1 || { note "echo_static --help failed"; return 1; }
    # a program ported with the installed <tcpip/bsd.h>
    # shellcheck disable=SC2086
    cc -std=c11 -Wall -Wextra -Werror -D_GNU_SOURCE $cflags -o "$TMP/bsd_client" \
        "$REPO/examples/bsd_echo_client.c" $libs >"$TMP/cc.log" 2>&1 || { show_log "$TMP/cc.log"; return 1; }
}
check "installed libtcpip: an example builds with pkg-config --cflags --libs tcpip, shared and static, and runs; one with <tcpip/bsd.h> builds" pkgconfig_ok

uninstall_ok() {
    make -s -C "$REPO" uninstall DESTDIR="$DEST" PREFIX=/usr SYSCONFDIR=/etc >"$inst_log" 2>&1 || {
        show_log "$inst_log"
        return 1
    }
    local left
    left=$(find "$DEST" ! -type d)
    [ -z "$left" ] || { note "left behind: $left"; return 1; }
}
check "make uninstall DESTDIR: no file left behind" uninstall_ok
make -s -C "$REPO" uninstall PREFIX="$PFX" >/dev/null 2>&1

man_ok() {
    local page out
    command -v groff >/dev/null || { note "no groff (groff-base)"; return 1; }
    for page in "$REPO"/docs/man/*.[0-9]; do
        out=$(LC_ALL=C.UTF-8 groff -man -Tutf8 -ww -z "$page" 2>&1)
        [ -z "$out" ] || { note "$page: $out"; return 1; }
    done
}
check "man pages format without warnings" man_ok

# ---- sd_notify end to end ----

# One line per datagram, its newlines written as "\n".
cat >"$TMP/listen.py" <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
s.settimeout(60)
with open(sys.argv[2], "a", buffering=1) as out:
    while True:
        try:
            data = s.recv(4096)
        except socket.timeout:
            break
        out.write(data.decode().replace("\n", "\\n") + "\n")
PY
NLOG=$TMP/notify.log
: >"$NLOG"
bg_start LISTEN_PID timeout 300 python3 "$TMP/listen.py" "$TMP/notify.sock" "$NLOG"
for ((i = 0; i < 100; i++)); do [ -S "$TMP/notify.sock" ] && break; sleep 0.05; done

write_config "$TMP/a.json" '{ "udp_echo": { "enabled": true, "port": 7 } }'
cp "$TMP/a.json" "$TMP/live.json"
export NOTIFY_SOCKET=$TMP/notify.sock WATCHDOG_USEC=400000
tcpipd_start "$TMP/n.log" "$TMP/live.json"
unset NOTIFY_SOCKET WATCHDOG_USEC
N_PID=$TCPIPD_PID
if ! tcpipd_wait_ready "$TMP/n.log"; then
    not_ok "notify: READY=1 then STATUS=serving 1 interface(s), 0 connection(s)"
    show_log "$TMP/n.log"
    itest_done
fi

ready_ok() {
    wait_for_file_match "$NLOG" '^STATUS=' 5 || { show_log "$NLOG"; return 1; }
    [ "$(sed -n 1p "$NLOG")" = "READY=1" ] &&
        [ "$(sed -n 2p "$NLOG")" = "STATUS=serving 1 interface(s), 0 connection(s)" ] ||
        { show_log "$NLOG"; false; }
}
check "notify: READY=1 then STATUS=serving 1 interface(s), 0 connection(s)" ready_ok

watchdog_ok() {
    local i
    for ((i = 0; i < 40; i++)); do
        [ "$(grep -c '^WATCHDOG=1$' "$NLOG")" -ge 2 ] && return 0
        sleep 0.05
    done
    show_log "$NLOG"
    return 1
}
check "notify: WATCHDOG=1 at least twice in 2 s with WATCHDOG_USEC=400000" watchdog_ok

# Lines of the notify log that are not keep-alives, from line $1 on.
events_from() { tail -n "+$1" "$NLOG" | grep -v '^WATCHDOG=1$'; }

# reload_and_wait LOGREGEX: SIGHUP, then wait for the reload's log line
# and its READY=1; the notify events of this reload in RELOAD_EVENTS.
reload_and_wait() {
    local re=$1 start n
    start=$(($(wc -l <"$NLOG") + 1))
    n=$(grep -c 'reload' "$TMP/n.log")
    kill -HUP "$N_PID"
    local i
    for ((i = 0; i < 100; i++)); do
        if [ "$(grep -c 'reload' "$TMP/n.log")" -gt "$n" ] &&
            events_from "$start" | grep -q '^READY=1$'; then
            break
        fi
        sleep 0.05
    done
    RELOAD_EVENTS=$(events_from "$start")
    grep -Eq -- "$re" "$TMP/n.log"
}

echo_ok() { # PORT
    local out
    out=$(printf 'hello-%s\n' "$1" | nsx timeout 5 nc -N 10.77.0.2 "$1" 2>&1)
    [ "$out" = "hello-$1" ] || { note "tcp echo on $1: '$out'"; return 1; }
}

# Good file: debug logging, tcp echo on port 7007, udp echo off.
write_config "$TMP/live.json" '{ "tcp_echo": { "enabled": true, "port": 7007 } }'
sed -i 's/"log_level": "info"/"log_level": "debug"/' "$TMP/live.json"
good_reload_ok=false
reload_and_wait 'reload: .*live.json read, log level debug, services restarted' && good_reload_ok=true

reload_events_ok() {
    $good_reload_ok || { show_log "$TMP/n.log"; return 1; }
    echo "$RELOAD_EVENTS" | grep -Eq '^RELOADING=1\\nMONOTONIC_USEC=[0-9]+$' &&
        echo "$RELOAD_EVENTS" | sed -n 2p | grep -qx 'READY=1' ||
        { note "events: $RELOAD_EVENTS"; false; }
}
check "reload (good file): RELOADING=1 with MONOTONIC_USEC, then READY=1" reload_events_ok
new_port_ok() { $good_reload_ok && echo_ok 7007; }
check "reload (good file): log level and services applied live; tcp echo answers on the new port" \
    new_port_ok

bad_reload_ok() {
    printf '{ "log_level": "loud", "interfaces": [] }\n' >"$TMP/live.json"
    reload_and_wait 'error: reload: .*live.json: .*; keeping the running configuration' || {
        show_log "$TMP/n.log"
        return 1
    }
    echo "$RELOAD_EVENTS" | grep -q '^RELOADING=1' &&
        echo "$RELOAD_EVENTS" | grep -qx 'READY=1' || { note "events: $RELOAD_EVENTS"; return 1; }
    proc_running "$N_PID" && echo_ok 7007
}
check "reload (bad file): error logged, old config kept, echo still answers, READY=1 again" bad_reload_ok

iface_reload_ok() {
    write_config "$TMP/live.json" '{ "tcp_echo": { "enabled": true, "port": 7007 } }'
    sed -i 's/"mtu": 1500/"mtu": 1400/' "$TMP/live.json"
    reload_and_wait 'warning: reload: interface changes in .*live.json need a restart; not applied' || {
        show_log "$TMP/n.log"
        return 1
    }
    # Not applied: the stack still takes 1500-byte packets.
    ping_ok 10.77.0.2 2 -s 1472 -M do
}
check "reload (interface change): logged as needing a restart, not applied" iface_reload_ok

stop_ok() {
    tcpipd_stop "$N_PID" || return 1
    [ "$TCPIPD_STATUS" = 0 ] || { note "exit status $TCPIPD_STATUS"; return 1; }
    wait_for_file_match "$NLOG" '^STOPPING=1$' 2 || { show_log "$NLOG"; return 1; }
}
check "SIGTERM: STOPPING=1, exit status 0" stop_ok

# ---- privileges as under the unit ----

# The unit runs tcpipd as an unprivileged user whose only capability is an
# ambient CAP_NET_ADMIN; setpriv does the same here. /dev/net/tun is 0666 on
# a normal system (udev) but may be 0600 in a container, and CAP_NET_ADMIN
# does not override file modes: a private mount namespace gets its own 0666
# node for the same device, as the unit's private /dev would.
# Each daemon below takes tcpip0: none of the previous may be left running.
proc_running "$N_PID" && tcpipd_stop "$N_PID"
chmod 0711 "$TMP"
write_config "$TMP/u.json" '{ "udp_echo": { "enabled": true, "port": 7 } }'
chmod 0644 "$TMP/u.json"
mkdir "$TMP/dev"
bg_start U_PID unshare -m --propagation private sh -c '
    mount -t tmpfs -o mode=0755 tcpipd-test "$1/dev" &&
    mknod -m 0666 "$1/dev/tun" c 10 200 &&
    mount --bind "$1/dev/tun" /dev/net/tun &&
    exec ip netns exec "$2" setpriv --reuid=nobody --regid=nogroup --clear-groups \
        --inh-caps=+net_admin --ambient-caps=+net_admin "$3" -c "$1/u.json"' \
    sh "$TMP" "$NS" "$TCPIPD" >"$TMP/u.log" 2>&1
TCPIPD_PID=$U_PID
unprivileged_ok() {
    tcpipd_wait_ready "$TMP/u.log" || { show_log "$TMP/u.log"; return 1; }
    # sh execs unshare's child...: U_PID is tcpipd itself after the execs.
    local st
    st=$(grep -E '^(Uid|CapPrm|CapEff|CapAmb):' "/proc/$U_PID/status")
    echo "$st" | grep -Eq '^Uid:\s+65534\s' &&
        ! echo "$st" | grep -Eq '^Cap(Prm|Eff|Amb):\s+0*[1-9a-f]' ||
        { note "$st"; return 1; }
    ping_ok 10.77.0.2 2 && tcpipd_stop "$U_PID" && [ "$TCPIPD_STATUS" = 0 ]
}
check "as the unit runs it (unprivileged user, ambient CAP_NET_ADMIN): no capability left once ready, still serving" \
    unprivileged_ok

user_check_ok() {
    local out rc
    printf '{ "user": "no body", "interfaces": [ { "name": "tcpip0" } ] }\n' >"$TMP/baduser.json"
    out=$("$TCPIPD" --check-config -c "$TMP/baduser.json" 2>&1)
    rc=$?
    [ "$rc" = 1 ] && echo "$out" | grep -q 'baduser.json: user: "no body" is not a valid user name' ||
        { note "rc $rc: $out"; false; }
}
check "config \"user\": a bad name is refused by --check-config, naming the key" user_check_ok

proc_running "$U_PID" && tcpipd_stop "$U_PID"
write_config "$TMP/r.json" '{ "udp_echo": { "enabled": true, "port": 7 } }'
sed -i 's/^{$/{ "user": "nobody",/' "$TMP/r.json"
chmod 0644 "$TMP/r.json"
tcpipd_start "$TMP/r.log" "$TMP/r.json"
R_PID=$TCPIPD_PID
root_user_ok() {
    tcpipd_wait_ready "$TMP/r.log" || { show_log "$TMP/r.log"; return 1; }
    local st
    st=$(grep -E '^(Uid|Gid|Groups|CapPrm|CapEff|CapAmb):' "/proc/$R_PID/status")
    echo "$st" | grep -Eq '^Uid:\s+65534\s+65534\s+65534\s+65534' &&
        ! echo "$st" | grep -Eq '^Cap(Prm|Eff|Amb):\s+0*[1-9a-f]' ||
        { note "$st"; return 1; }
    ping_ok 10.77.0.2 2 || return 1
    sed -i 's/"log_level": "info"/"log_level": "debug"/' "$TMP/r.json"
    kill -HUP "$R_PID"
    wait_for_file_match "$TMP/r.log" 'info: reload: .* read, log level debug' 5 "$R_PID" ||
        { show_log "$TMP/r.log"; return 1; }
    tcpipd_stop "$R_PID" && [ "$TCPIPD_STATUS" = 0 ]
}
check "config \"user\": started as root, runs as that user with no capability once ready; serves and reloads" \
    root_user_ok

no_reports() {
    local f
    for f in "$@"; do no_sanitizer_report "$f" || return 1; done
}
check "no sanitizer report in any tcpipd run" no_reports "$TMP/n.log" "$TMP/u.log" "$TMP/r.log"

itest_done
