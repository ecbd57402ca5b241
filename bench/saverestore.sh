#!/usr/bin/env bash
# Speed and memory benchmark of issue 4: iptables-restore and iptables-save
# of whole rulesets, and a one-line `restore --noflush` onto a big ruleset,
# for the reference (iptables-nft-restore/-save) and rxtables in the same run.
#
# Every measured run starts from an empty, private network namespace
# (`unshare -n`). Figures: wall, user and system seconds and peak RSS from
# /usr/bin/time; medians of RUNS runs; ratio reference/rxtables.
# Run as root:  bench/saverestore.sh [RUNS] [N...]   (default 5 runs, N = 10000 100000)
#   KIND=filter|kube (default filter)   RXTABLES=path (default target/release/rxtables)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
RUNS=${1:-5}
shift || true
SIZES=("$@")
[ ${#SIZES[@]} -gt 0 ] || SIZES=(10000 100000)
KIND=${KIND:-filter}
RXTABLES=${RXTABLES:-$top/target/release/rxtables}
GEN=${GEN_RULESET:-$top/../shared/bench/gen-ruleset}
[ -x "$RXTABLES" ] || { echo "bench: $RXTABLES not found; run: cargo build --release" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "bench: needs /usr/bin/time (apt-get install time)" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$RXTABLES" install-links "$work"

median() { sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }

# measure NAME SETUP CMD: runs SETUP then CMD (timed) in a fresh namespace,
# RUNS times; prints the runs and leaves medians in $work/NAME.{wall,user,sys,rss}.
measure() {
    local name=$1 setup=$2 cmd=$3 i
    rm -f "$work/$name".*
    for ((i = 0; i < RUNS; i++)); do
        # Wall time from bash's microsecond clock; user/sys (10 ms
        # resolution) and peak RSS from /usr/bin/time.
        unshare -n -- bash -c "set -e; $setup; s=\$EPOCHREALTIME; /usr/bin/time -f '%U %S %M' -o '$work/t' bash -c '$cmd' >/dev/null; e=\$EPOCHREALTIME; echo \$(awk -v s=\$s -v e=\$e 'BEGIN {printf \"%.4f\", e - s}') \$(cat '$work/t')" \
            | tail -n1 >>"$work/$name.runs"
    done
    awk '{print $1}' "$work/$name.runs" | median >"$work/$name.wall"
    awk '{print $2}' "$work/$name.runs" | median >"$work/$name.user"
    awk '{print $3}' "$work/$name.runs" | median >"$work/$name.sys"
    awk '{print $4/1024}' "$work/$name.runs" | median >"$work/$name.rss"
    printf '  %-28s runs (wall user sys KiB):' "$name"
    tr '\n' ';' <"$work/$name.runs"
    printf '\n'
}

row() {
    local what=$1 ref=$2 rx=$3
    local rw rxw
    rw=$(cat "$work/$ref.wall")
    rxw=$(cat "$work/$rx.wall")
    printf '%-34s %9.4f %9.2f %9.2f %9.1f | %9.4f %9.2f %9.2f %9.1f | %6.2fx\n' "$what" \
        "$rw" "$(cat "$work/$ref.user")" "$(cat "$work/$ref.sys")" "$(cat "$work/$ref.rss")" \
        "$rxw" "$(cat "$work/$rx.user")" "$(cat "$work/$rx.sys")" "$(cat "$work/$rx.rss")" \
        "$(awk -v a="$rw" -v b="$rxw" 'BEGIN {print (b > 0) ? a / b : 0}')"
}

results=()
for n in "${SIZES[@]}"; do
    f="$work/rules-$n.txt"
    "$GEN" --kind "$KIND" --rules "$n" --seed 1 >"$f"
    echo "== $KIND, $n rules ($(wc -l <"$f") lines), $RUNS runs each"
    measure "ref-restore-$n" "true" "iptables-nft-restore < $f"
    measure "rx-restore-$n" "true" "$work/iptables-restore < $f"
    measure "ref-save-$n" "iptables-nft-restore < $f" "iptables-nft-save"
    measure "rx-save-$n" "iptables-nft-restore < $f" "$work/iptables-save"
    # One line added to a chain of the loaded ruleset, kube-proxy style.
    chain=$(awk '/^-A / {print $2; exit}' "$f")
    printf '*filter\n-A %s -s 9.9.9.9/32 -j ACCEPT\nCOMMIT\n' "$chain" >"$work/one-$n.txt"
    measure "ref-noflush-$n" "iptables-nft-restore < $f" "iptables-nft-restore --noflush < $work/one-$n.txt"
    measure "rx-noflush-$n" "iptables-nft-restore < $f" "$work/iptables-restore --noflush < $work/one-$n.txt"
    results+=("$n")
done

echo
printf '%-34s %9s %9s %9s %9s | %9s %9s %9s %9s | %7s\n' "medians (s, MiB)" \
    ref-wall ref-user ref-sys ref-MiB rx-wall rx-user rx-sys rx-MiB ratio
for n in "${results[@]}"; do
    row "restore $KIND $n" "ref-restore-$n" "rx-restore-$n"
    row "save $KIND $n" "ref-save-$n" "rx-save-$n"
    row "restore --noflush 1 line onto $n" "ref-noflush-$n" "rx-noflush-$n"
done
