#!/bin/sh
# deps.sh build|test - install the Debian packages tcpip needs, if missing.
# As root it runs apt-get itself; otherwise it says what to install.
set -eu
group=${1:-test}
build_pkgs="gcc make libc6-dev pkg-config libev-dev libcjson-dev libcmocka-dev"
test_pkgs="iproute2 iputils-ping socat netcat-openbsd tcpdump tshark clang libclang-rt-14-dev"
# test_systemd.sh: systemd-analyze (verify, security), groff (man pages),
# python3 (the NOTIFY_SOCKET listener).
test_pkgs="$test_pkgs systemd groff-base python3"
# test_ipv6.sh: radvd advertises a prefix inside the test namespace.
test_pkgs="$test_pkgs radvd"
# test_preload.sh: unmodified Debian programs through tcpip-run (their
# services never start on the host: see policy-rc.d below; the test runs
# nginx and sshd with its own config files, inside its namespace).
test_pkgs="$test_pkgs curl wget iperf3 nginx-light openssh-server openssh-client apache2-utils"
# test_pmtu.sh: nft filters ICMP inside its router namespace (a black hole).
# test_dhcp.sh: dnsmasq serves DHCP inside its namespace; dnsmasq-base is
# the program alone, without the dnsmasq package's system service.
test_pkgs="$test_pkgs nftables dnsmasq-base"
pkgs=$build_pkgs
[ "$group" = test ] && pkgs="$pkgs $test_pkgs"

missing=""
for p in $pkgs; do
    st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
    case "$st" in *"install ok installed"*) ;; *) missing="$missing $p" ;; esac
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" != 0 ]; then
    echo "deps: missing Debian packages:$missing" >&2
    echo "deps: run as root, or: sudo apt-get install -y$missing" >&2
    exit 1
fi
echo "deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
# tshark (wireshark-common) asks whether non-root users may capture; answer
# "no" up front so the install never stops at a prompt.
case "$missing" in *tshark*)
    echo "wireshark-common wireshark-common/install-setuid boolean false" |
        debconf-set-selections ;;
esac
# Services that come with test packages (radvd) must not start on this
# host: the tests run their own instances inside namespaces. Unless the
# machine already has a policy, deny service starts for the install only
# (invoke-rc.d's policy-rc.d interface, exit 101 = "action forbidden").
policy=/usr/sbin/policy-rc.d
made_policy=false
if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\n# temporary, from tcpip scripts/deps.sh\nexit 101\n' >"$policy"
    chmod 0755 "$policy"
    made_policy=true
fi
trap 'if [ "$made_policy" = true ]; then rm -f "$policy"; fi' EXIT
apt-get update -qq </dev/null
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing </dev/null
