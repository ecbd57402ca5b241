# Shared by the examples: a tiny packet lab of network namespaces.
# Source it from a script run as root with bash. Everything it makes
# (namespaces, the listeners it starts) is removed on exit, also on error
# or Ctrl-C. Hosts are network namespaces joined by veth pairs; addresses
# come from 10.99.0.0/16 and fd99::/16 and no namespace has a link to the
# outside or a default route, so no packet leaves the lab.
#
# Call lab_ready once the links and addresses are made: it waits (bounded)
# until no IPv6 address is tentative and every link has carrier.
#
# Tools: iproute2 (ip), bash's /dev/tcp for clients and perl (Debian's
# essential perl-base) for listeners. RXTABLES=/path/to/rxtables picks the
# binary (default: target/release/rxtables of this checkout).

set -u
lab_here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
RXTABLES=${RXTABLES:-$lab_here/../target/release/rxtables}
if [ ! -x "$RXTABLES" ]; then
    echo "$(basename "$0"): $RXTABLES not found; build it first: cargo build --release" >&2
    exit 1
fi
if [ "$(id -u)" != 0 ]; then
    echo "$(basename "$0"): run me as root (network namespaces need it)" >&2
    exit 1
fi

LAB_ID="rxex-$$"
LAB_NS=()
LAB_PIDS=()
LAB_TMP=$(mktemp -d)
LAB_FAILED=0

lab_cleanup() {
    local p n
    for p in "${LAB_PIDS[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
    for n in "${LAB_NS[@]}"; do ip netns del "$n" 2>/dev/null; done
    rm -rf "$LAB_TMP"
}
trap lab_cleanup EXIT
trap 'exit 130' INT TERM

# host NAME: make a namespace; its real name is $LAB_ID-NAME. No duplicate
# address detection in it, for the link-local addresses the kernel makes
# either (a router's neighbour solicitation for a forwarded IPv6 packet
# comes from its link-local address and is not sent while that is
# tentative), and no ICMP rate limit (REJECT and closed ports answer every
# time).
host() {
    local n="$LAB_ID-$1"
    ip netns add "$n"
    LAB_NS+=("$n")
    ip netns exec "$n" sh -c '
        echo 0 > /proc/sys/net/ipv6/conf/default/accept_dad
        echo 0 > /proc/sys/net/ipv6/conf/all/accept_dad
        echo 0 > /proc/sys/net/ipv6/icmp/ratelimit
        echo 0 > /proc/sys/net/ipv4/icmp_ratelimit'
    ip -n "$n" link set lo up
}

# lab_not_ready NS: why namespace NS is not ready yet (prints nothing and
# fails when it is): a link that is up without carrier or without a
# link-local address, or a tentative IPv6 address
lab_not_ready() {
    local n=$1 line dev
    if [ -n "$(ip -n "$n" -6 -o addr show tentative)" ]; then
        echo "tentative addresses in $n"
        return 0
    fi
    while read -r line; do
        dev=${line#*: }
        dev=${dev%%:*}
        dev=${dev%%@*}
        [ "$dev" = lo ] && continue
        case $line in
        *LOWER_UP*) ;;
        *) echo "$n: $dev has no carrier"; return 0 ;;
        esac
        if [ -z "$(ip -n "$n" -6 -o addr show dev "$dev" scope link)" ]; then
            echo "$n: $dev has no link-local address yet"
            return 0
        fi
    done < <(ip -n "$n" -o link show up)
    return 1
}

# lab_ready: wait (5 s at most) until every host is ready (see
# lab_not_ready); the examples call it once their links and addresses are
# made, before any traffic
lab_ready() {
    local n i why
    for n in "${LAB_NS[@]}"; do
        for i in $(seq 250); do
            why=$(lab_not_ready "$n") || continue 2
            sleep 0.02
        done
        echo "lab not ready after 5 s: $why" >&2
        exit 1
    done
}

# ns NAME: the real namespace name of host NAME
ns() { echo "$LAB_ID-$1"; }

# on NAME CMD...: run a command inside host NAME
on() {
    local n
    n=$(ns "$1")
    shift
    ip netns exec "$n" "$@"
}

# link A IFA B IFB: a veth pair between hosts A and B
link() {
    ip -n "$(ns "$1")" link add "$2" type veth peer name "$4" netns "$(ns "$3")"
    ip -n "$(ns "$1")" link set "$2" up
    ip -n "$(ns "$3")" link set "$4" up
}

# addr NAME IF ADDR/LEN...: addresses (IPv6 without duplicate detection)
addr() {
    local h=$1 dev=$2 a
    shift 2
    for a in "$@"; do
        case $a in
        *:*) ip -n "$(ns "$h")" -6 addr add "$a" dev "$dev" nodad ;;
        *) ip -n "$(ns "$h")" addr add "$a" dev "$dev" ;;
        esac
    done
}

# route NAME NET VIA
route() {
    case $2 in
    *:*) ip -n "$(ns "$1")" -6 route add "$2" via "$3" ;;
    *) ip -n "$(ns "$1")" route add "$2" via "$3" ;;
    esac
}

# forwarding NAME: make host NAME a router (inside its namespace only)
forwarding() {
    on "$1" sh -c 'echo 1 > /proc/sys/net/ipv4/ip_forward; echo 1 > /proc/sys/net/ipv6/conf/all/forwarding'
}

# rx NAME APPLET ARGS...: rxtables in host NAME, echoing the command
rx() {
    local h=$1
    shift
    echo "  [$h] \$ $*"
    on "$h" "$RXTABLES" "$@"
}

# serve NAME ADDR PORT TAG: a listener in host NAME answering one TCP
# connection with "TAG: you are PEER, I am LOCAL" (gives up after 10 s).
# Returns once it listens: it says so in a file of its own (asking `ss`
# could find the previous listener on the same port, still exiting).
serve() {
    local h=$1 a=$2 p=$3 tag=$4 log="$LAB_TMP/serve-$1-$3.log"
    local ready="$LAB_TMP/serve-$1-$3.$RANDOM.ready"
    on "$h" perl -MIO::Socket::IP -e '
        my ($addr, $port, $tag, $ready) = @ARGV;
        $SIG{ALRM} = sub { exit 1 };
        alarm 10;
        my $s = IO::Socket::IP->new(LocalHost => $addr, LocalPort => $port,
                                    Listen => 5, ReuseAddr => 1) or die "listen: $@\n";
        open(my $r, ">", $ready) or die "$ready: $!\n";
        close $r;
        my $c = $s->accept or exit 1;
        my $line = <$c>;
        my $me = $c->sockhost . " port " . $c->sockport;
        print $c "$tag: you are " . $c->peerhost . ", I am $me\n";
        print "$tag saw a connection from " . $c->peerhost . " to $me\n";
    ' "$a" "$p" "$tag" "$ready" >"$log" 2>&1 &
    LAB_PIDS+=($!)
    # wait (bounded) until it listens
    local i
    for i in $(seq 100); do
        [ -e "$ready" ] && return 0
        sleep 0.05
    done
    echo "listener on $h port $p did not start: $(cat "$log")" >&2
    return 1
}

# served NAME PORT: what the listener of host NAME on PORT saw
served() { cat "$LAB_TMP/serve-$1-$2.log" 2>/dev/null; }

# connect NAME ADDR PORT: from host NAME, one TCP connection (2 s at most);
# prints the answer, fails when there is none
connect() {
    on "$1" timeout 2 bash -c 'exec 3<>"/dev/tcp/$0/$1" && echo hello >&3 && head -n1 <&3' "$2" "$3" 2>/dev/null
}

# check WHAT CMD...: run CMD, print PASS/FAIL with WHAT
check() {
    local what=$1
    shift
    if "$@"; then
        echo "PASS: $what"
    else
        echo "FAIL: $what"
        LAB_FAILED=1
    fi
}

# lab_done: the exit status of the example
lab_done() {
    if [ "$LAB_FAILED" = 0 ]; then
        echo "all checks passed"
    else
        echo "some checks FAILED"
    fi
    return "$LAB_FAILED"
}
