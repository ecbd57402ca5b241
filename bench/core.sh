#!/usr/bin/env bash
# Speed benchmark of issue 2: single commands against a big ruleset, the
# reference iptables-nft and rxtables in the same run.
#
# In a throwaway network namespace (`unshare -n`), loads
#   ../shared/bench/gen-ruleset --kind filter --rules 100000 --seed 1
# with iptables-nft-restore, then times, RUNS times per tool (alternating):
#   -A FILT-3 <new rule>                 (the rule is removed again, untimed)
#   -C FILT-3 <the middle rule of FILT-3>
#   -D FILT-3 <the middle rule of FILT-3> (re-inserted at its place with
#                                          iptables-nft -I, untimed)
# and prints every figure, the medians and the ratio reference/rxtables.
# Every timed command must succeed (a tool that fails fast is not fast).
# Run as root:  bench/core.sh [RUNS]        (default 15)
#   RXTABLES=path/to/rxtables   (default target/release/rxtables)
#   GEN_RULESET=path/to/gen-ruleset (default ../shared/bench/gen-ruleset)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
RUNS=${1:-15}
RXTABLES=${RXTABLES:-$top/target/release/rxtables}
GEN_RULESET=${GEN_RULESET:-$top/../shared/bench/gen-ruleset}
[ -x "$RXTABLES" ] || { echo "bench: $RXTABLES not found; run: cargo build --release" >&2; exit 1; }
[ -x "$GEN_RULESET" ] || { echo "bench: $GEN_RULESET not found" >&2; exit 1; }
RXTABLES=$(cd "$(dirname "$RXTABLES")" && pwd)/$(basename "$RXTABLES")
GEN_RULESET=$(cd "$(dirname "$GEN_RULESET")" && pwd)/$(basename "$GEN_RULESET")
export RXTABLES GEN_RULESET

if [ "${RXTABLES_BENCH_NETNS:-}" != 1 ]; then
    export RXTABLES_BENCH_NETNS=1
    exec unshare -n -- bash "$here/core.sh" "$@"
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$RXTABLES" install-links "$work"
RX="$work/iptables"
REF=iptables-nft

gen_args=(--kind filter --rules 100000 --seed 1)
"$GEN_RULESET" "${gen_args[@]}" >"$work/rules"
iptables-nft-restore <"$work/rules"

chain=FILT-3
grep "^-A $chain " "$work/rules" >"$work/chain"
n=$(wc -l <"$work/chain")
mid=$(((n + 1) / 2))
mid_rule=$(sed -n "${mid}p" "$work/chain")
read -r -a spec <<<"${mid_rule#-A $chain }"
new_spec=(-s 192.0.2.1/32 -p tcp --dport 9 -j ACCEPT)

# The loaded ruleset as the reference shows it: the middle rule must be there.
total=$(iptables-nft-save | grep -c '^-A ' || true)
chains=$(iptables-nft-save | grep -c '^:' || true)
iptables-nft -C "$chain" "${spec[@]}" || { echo "bench: middle rule not found after restore" >&2; exit 1; }

now_us() { local t=${EPOCHREALTIME/./}; echo "$t"; }

# time_cmd OUTVAR CMD...: runs CMD once, stores milliseconds (3 decimals).
time_cmd() {
    local __var=$1
    shift
    local t0 t1 rc
    t0=$(now_us)
    "$@" >/dev/null 2>"$work/err" && rc=0 || rc=$?
    t1=$(now_us)
    if [ "$rc" -ne 0 ]; then
        echo "bench: \`$*\` failed with status $rc: $(head -n1 "$work/err")" >&2
        exit 1
    fi
    printf -v "$__var" '%d.%03d' $(((t1 - t0) / 1000)) $(((t1 - t0) % 1000))
}

declare -A times
record() { times[$1]="${times[$1]:-} $2"; }

for ((r = 1; r <= RUNS; r++)); do
    for tool in ref rx; do
        if [ $tool = ref ]; then ipt=$REF; else ipt=$RX; fi
        # -A: append a new rule, then remove it again by number (untimed).
        time_cmd t "$ipt" -A "$chain" "${new_spec[@]}"
        record "A $tool" "$t"
        iptables-nft -D "$chain" $((n + 1))
        # -C of the middle rule.
        time_cmd t "$ipt" -C "$chain" "${spec[@]}"
        record "C $tool" "$t"
        # -D of the middle rule, then put it back at the same place (untimed).
        time_cmd t "$ipt" -D "$chain" "${spec[@]}"
        record "D $tool" "$t"
        if iptables-nft -C "$chain" "${spec[@]}" 2>/dev/null; then
            echo "bench: $ipt -D left the rule in place" >&2
            exit 1
        fi
        iptables-nft -I "$chain" "$mid" "${spec[@]}"
    done
done

# The ruleset is what it was.
after=$(iptables-nft-save | grep -c '^-A ' || true)
[ "$after" -eq "$total" ] || { echo "bench: rule count changed: $total -> $after" >&2; exit 1; }

median() { tr ' ' '\n' | grep . | sort -g | awk '{a[NR]=$1} END {if (NR % 2) print a[(NR+1)/2]; else printf "%.3f\n", (a[NR/2]+a[NR/2+1])/2}'; }

echo "rxtables core benchmark"
echo "ruleset: gen-ruleset ${gen_args[*]}: $total rules in $chains chains, loaded with iptables-nft-restore"
echo "$chain holds $n rules; middle rule #$mid: $mid_rule"
echo "runs per tool and command: $RUNS (milliseconds, wall clock, process start to exit)"
echo "reference: $(iptables-nft -V)   rxtables: $("$RX" -V 2>/dev/null || echo '?') ($RXTABLES)"
echo
printf '%-28s %-14s %10s   %s\n' command tool median "all runs"
declare -A med
for op in A C D; do
    case $op in
        A) label="-A $chain <new rule>" ;;
        C) label="-C $chain <middle rule>" ;;
        D) label="-D $chain <middle rule>" ;;
    esac
    for tool in ref rx; do
        m=$(echo "${times[$op $tool]}" | median)
        med[$op $tool]=$m
        name=$([ $tool = ref ] && echo iptables-nft || echo rxtables)
        printf '%-28s %-14s %10s   %s\n' "$label" "$name" "$m" "${times[$op $tool]# }"
    done
done
echo
for op in A C D; do
    awk -v op="-$op" -v a="${med[$op ref]}" -v b="${med[$op rx]}" \
        'BEGIN { printf "%s: iptables-nft %.3f ms, rxtables %.3f ms, ratio reference/rxtables %.1fx\n", op, a, b, (b > 0 ? a / b : 0) }'
done
