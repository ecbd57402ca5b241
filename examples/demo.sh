#!/usr/bin/env bash
# The README's example: applies a small iptables script with rxtables in a
# throwaway network namespace (`unshare -n`, so the machine's own firewall is
# never touched) and prints the result with rxtables' `iptables-save`.
# Two lines carry typos (-H, -a) and fail, as they fail with iptables.
#
# Usage (as root): examples/demo.sh
#   RXTABLES=/path/to/rxtables picks the binary (default: target/release/rxtables).
set -u
here=$(cd "$(dirname "$0")" && pwd)
RXTABLES=${RXTABLES:-$here/../target/release/rxtables}
if [ ! -x "$RXTABLES" ]; then
    echo "demo: $RXTABLES not found; build it first: cargo build --release" >&2
    exit 1
fi
RXTABLES=$(cd "$(dirname "$RXTABLES")" && pwd)/$(basename "$RXTABLES")
export RXTABLES

if [ "${RXTABLES_DEMO_NETNS:-}" != 1 ]; then
    export RXTABLES_DEMO_NETNS=1
    exec unshare -n -- bash "$here/demo.sh" "$@"
fi

run() {
    echo "\$ $*"
    local app=$1
    shift
    "$RXTABLES" "$app" "$@" 2>&1
    local rc=$?
    [ "$rc" -eq 0 ] || echo "(exit status $rc)"
}

run iptables -A INPUT -s 10.20.30.40/24 -p tcp --dport 22 -j ACCEPT
run iptables -A INPUT -s 10.10.10.10 -j DROP
run iptables -A OUTPUT -p tcp --dport 123 -j DROP
run iptables -A INPUT -p icmp -j DROP
run iptables -D INPUT -s 10.10.10.10 -j DROP
echo "\$ iptables -S"
"$RXTABLES" iptables -S 2>&1
run iptables -F
run iptables -t nat -F
run iptables -N FOO
run iptables -X FOO
run iptables -t nat -H BAR
run iptables -t nat -a PREROUTING -i eth0 -p tcp --dport 80 -j ACCEPT
# The NAT lines: port forwarding, source NAT, a local redirect.
run iptables -t nat -A PREROUTING -d 1.2.3.4 -i eth0 -p tcp --dport 80 -j DNAT --to-destination 10.20.30.40:8080
run iptables -t nat -A POSTROUTING -o eth0 -s 192.168.1.2 -j SNAT --to-source 10.172.16.1
run iptables -t nat -A PREROUTING -i eth0 -p tcp --dport 80 -j REDIRECT --to-port 8080
echo "\$ iptables-save"
"$RXTABLES" iptables-save 2>&1
