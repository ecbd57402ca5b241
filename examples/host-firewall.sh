#!/usr/bin/env bash
# A host firewall that allows SSH and drops the rest, with rxtables.
#
#   client ---------- eth0 [server]  (listens on ports 22 and 80)
#   10.99.1.2               10.99.1.1
#   fd99:1::2               fd99:1::1
#
# The classic recipe: accept loopback and SSH, (for IPv6) the ICMPv6 that
# neighbour discovery needs, and make DROP the INPUT policy. Proves: before
# it both ports answer; after it port 22 still answers and port 80 is
# silently dropped, over IPv4 and IPv6.
#
# A real host also wants `-m conntrack --ctstate RELATED,ESTABLISHED -j
# ACCEPT` first, so that answers to its own outgoing connections come in.
#
# Usage (as root): examples/host-firewall.sh   (RXTABLES=... picks the binary)
. "$(dirname "$0")/lib/lab.sh"

host client; host server
link server eth0 client eth0
addr client eth0 10.99.1.2/24 fd99:1::2/64
addr server eth0 10.99.1.1/24 fd99:1::1/64
lab_ready

both_ports() { # FAMILY ADDR EXPECT_80(yes/no)
    local a=$2 r22 r80
    serve server "$a" 22 ssh
    serve server "$a" 80 web
    r22=$(connect client "$a" 22)
    r80=$(connect client "$a" 80)
    echo "  port 22 answered: ${r22:-<nothing>}"
    echo "  port 80 answered: ${r80:-<nothing>}"
    check "IPv$1: port 22 open" grep -q '^ssh: ' <<<"$r22"
    if [ "$3" = yes ]; then
        check "IPv$1: port 80 open" grep -q '^web: ' <<<"$r80"
    else
        check "IPv$1: port 80 dropped" test -z "$r80"
    fi
    # end a listener nobody reached
    on server timeout 2 bash -c 'exec 3<>"/dev/tcp/$0/80"' "$a" 2>/dev/null
}

echo "== before"
both_ports 4 10.99.1.1 yes
both_ports 6 fd99:1::1 yes

echo "== the recipe, applied on the server"
for t in iptables ip6tables; do
    rx server $t -A INPUT -i lo -j ACCEPT
    [ $t = ip6tables ] && rx server $t -A INPUT -p ipv6-icmp -j ACCEPT
    rx server $t -A INPUT -p tcp --dport 22 -j ACCEPT
    rx server $t -P INPUT DROP
done
rx server iptables -L INPUT -n
rx server ip6tables -S INPUT

echo "== after"
both_ports 4 10.99.1.1 no
both_ports 6 fd99:1::1 no
lab_done
