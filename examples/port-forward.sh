#!/usr/bin/env bash
# Port forwarding to an internal host, with rxtables.
#
#   client ---- wan0 [gateway] lan0 ---- web
#   10.99.1.2   10.99.1.1   10.99.2.1    10.99.2.2 (listens on 8080)
#   fd99:1::2   fd99:1::1   fd99:2::1    fd99:2::2
#
# The gateway forwards its port 80 to web:8080 (DNAT in PREROUTING). The
# client has no route to the internal network: it only ever talks to the
# gateway. Proves: before the rule the gateway's port 80 is closed; after
# it, the client reaches the web server through the gateway, over IPv4 and
# IPv6, and the web server sees the client's own address.
#
# Usage (as root): examples/port-forward.sh   (RXTABLES=... picks the binary)
. "$(dirname "$0")/lib/lab.sh"

host client; host gateway; host web
link gateway wan0 client eth0
link gateway lan0 web eth0
addr client eth0 10.99.1.2/24 fd99:1::2/64
addr gateway wan0 10.99.1.1/24 fd99:1::1/64
addr gateway lan0 10.99.2.1/24 fd99:2::1/64
addr web eth0 10.99.2.2/24 fd99:2::2/64
route web 10.99.1.0/24 10.99.2.1
route web fd99:1::/64 fd99:2::1
forwarding gateway
lab_ready

echo "== before: nothing listens on the gateway's port 80"
check "client cannot reach 10.99.1.1:80 yet" eval '! connect client 10.99.1.1 80 >/dev/null'

echo "== the recipe, applied on the gateway"
rx gateway iptables -t nat -A PREROUTING -i wan0 -p tcp --dport 80 -j DNAT --to-destination 10.99.2.2:8080
rx gateway ip6tables -t nat -A PREROUTING -i wan0 -p tcp --dport 80 -j DNAT --to-destination '[fd99:2::2]:8080'
rx gateway iptables-save -t nat | grep -- '^-A'
rx gateway ip6tables-save -t nat | grep -- '^-A'

echo "== after"
for fam in 4 6; do
    if [ $fam = 4 ]; then gw=10.99.1.1 web=10.99.2.2 me=10.99.1.2; else gw=fd99:1::1 web=fd99:2::2 me=fd99:1::2; fi
    serve web "$web" 8080 web
    answer=$(connect client "$gw" 80)
    echo "  client -> $gw port 80 answered: ${answer:-<nothing>}"
    served web 8080 | sed 's/^/  /'
    check "IPv$fam: the gateway's port 80 ($gw) is forwarded to the web server's port 8080" \
        grep -q "^web: you are $me, I am $web port 8080" <<<"$answer"
done
lab_done
