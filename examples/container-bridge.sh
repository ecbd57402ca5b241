#!/usr/bin/env bash
# The rules a container bridge network needs (what Docker sets up), with
# rxtables.
#
#   container ---- br0 [dockerhost] eth0 ---- outside
#   10.99.17.2     10.99.17.1    10.99.2.1    10.99.2.2
#
# The containers' network 10.99.17.0/24 sits behind a bridge on the
# docker host; the outside world has no route to it. Two recipes:
# - masquerade for the subnet: containers reach the outside, which sees
#   the docker host's address;
# - a published port: the docker host's port 8080 is DNAT'ed to the
#   container's port 80 (in a DOCKER chain, as Docker does it).
# Proves: before the rules neither works; after them both do.
#
# Usage (as root): examples/container-bridge.sh   (RXTABLES=... picks the binary)
. "$(dirname "$0")/lib/lab.sh"

host container; host dockerhost; host outside
ip -n "$(ns dockerhost)" link add br0 type bridge
ip -n "$(ns dockerhost)" link set br0 up
link dockerhost vethc0 container eth0
ip -n "$(ns dockerhost)" link set vethc0 master br0
link dockerhost eth0 outside eth0
addr dockerhost br0 10.99.17.1/24
addr dockerhost eth0 10.99.2.1/24
addr container eth0 10.99.17.2/24
addr outside eth0 10.99.2.2/24
route container 10.99.2.0/24 10.99.17.1
forwarding dockerhost
lab_ready

out_test() { # EXPECT(yes/no)
    serve outside 10.99.2.2 7000 outside
    local r
    r=$(connect container 10.99.2.2 7000)
    echo "  container -> outside:7000 answered: ${r:-<nothing>}"
    served outside 7000 | sed 's/^/  /'
    if [ "$1" = yes ]; then
        check "the container reaches the outside, which sees the docker host (10.99.2.1)" \
            grep -q '^outside: you are 10.99.2.1,' <<<"$r"
    else
        check "the container cannot reach the outside yet" test -z "$r"
        on outside timeout 2 bash -c 'exec 3<>/dev/tcp/10.99.2.2/7000' 2>/dev/null
    fi
}

in_test() { # EXPECT(yes/no)
    serve container 10.99.17.2 80 container
    local r
    r=$(connect outside 10.99.2.1 8080)
    echo "  outside -> dockerhost:8080 answered: ${r:-<nothing>}"
    served container 80 | sed 's/^/  /'
    if [ "$1" = yes ]; then
        check "the published port 8080 reaches the container's port 80" \
            grep -q '^container: you are 10.99.2.2, I am 10.99.17.2 port 80' <<<"$r"
    else
        check "port 8080 is not published yet" test -z "$r"
        on container timeout 2 bash -c 'exec 3<>/dev/tcp/10.99.17.2/80' 2>/dev/null
    fi
}

echo "== before"
out_test no
in_test no

echo "== the recipe, applied on the docker host"
rx dockerhost iptables -t nat -A POSTROUTING -s 10.99.17.0/24 ! -o br0 -j MASQUERADE
rx dockerhost iptables -t nat -N DOCKER
rx dockerhost iptables -t nat -A PREROUTING -d 10.99.2.1/32 -j DOCKER
rx dockerhost iptables -t nat -A DOCKER -i br0 -j RETURN
rx dockerhost iptables -t nat -A DOCKER ! -i br0 -p tcp -m tcp --dport 8080 -j DNAT --to-destination 10.99.17.2:80
rx dockerhost iptables-save -t nat
rx dockerhost iptables -t nat -L -n

echo "== after"
out_test yes
in_test yes
lab_done
