#!/usr/bin/env bash
# One-million-rule benchmark of issue 12: iptables-restore of
#   ../shared/bench/gen-ruleset --kind KIND --rules 1000000 --seed 1
# into an empty, private network namespace (`unshare -n`), and iptables-save
# of it, by the reference (the system's iptables-nft 1.8.9 unless REF_RESTORE
# and REF_SAVE say otherwise) and by rxtables, paired: each run measures the
# reference and then rxtables on the same input, each in a fresh namespace.
#
# Figures per measurement: wall seconds (bash's clock), user and system
# seconds and peak RSS of the tool (/usr/bin/time); then the medians and the
# ratios reference/rxtables (time: > 1 means rxtables is faster; memory: > 1
# means rxtables uses less). Every measured command must succeed. The
# ruleset is flushed (untimed) before each namespace is left, so the kernel's
# clean-up of a million rules does not land in the next measurement.
#
# Run as root:  bench/million.sh [RUNS]        (default 1 pair per kind)
#   KINDS="filter kube"  (default filter)     N=1000000
#   RXTABLES=path (default target/release/rxtables)
#   GEN_RULESET=path (default ../shared/bench/gen-ruleset)
#   REF_RESTORE=iptables-nft-restore  REF_SAVE=iptables-nft-save
#   STEPS="restore save" (default both)
#   SETUP=ref|rx: which restore loads the ruleset a save reads (untimed;
#     default ref; the kernel holds the same ruleset either way)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
RUNS=${1:-1}
KINDS=${KINDS:-filter}
N=${N:-1000000}
RXTABLES=${RXTABLES:-$top/target/release/rxtables}
GEN=${GEN_RULESET:-$top/../shared/bench/gen-ruleset}
REF_RESTORE=${REF_RESTORE:-iptables-nft-restore}
REF_SAVE=${REF_SAVE:-iptables-nft-save}
STEPS=${STEPS:-restore save}
SETUP=${SETUP:-ref}
[ -x "$RXTABLES" ] || { echo "bench: $RXTABLES not found; run: cargo build --release" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "bench: needs /usr/bin/time (apt-get install time)" >&2; exit 1; }
[ -e "$GEN" ] || { echo "bench: $GEN not found" >&2; exit 1; }
command -v "$REF_RESTORE" >/dev/null || { echo "bench: $REF_RESTORE not found" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$RXTABLES" install-links "$work"

median() { sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }

# measure NAME SETUP CMD: in a fresh namespace runs SETUP (untimed), then CMD
# (timed), then flushes the ruleset (untimed); appends "wall user sys KiB".
measure() {
    local name=$1 setup=$2 cmd=$3
    unshare -n -- bash -c "set -e; $setup; s=\$EPOCHREALTIME
        /usr/bin/time -f '%U %S %M' -o '$work/t' bash -c '$cmd' >/dev/null
        e=\$EPOCHREALTIME
        echo \$(awk -v s=\$s -v e=\$e 'BEGIN {printf \"%.3f\", e - s}') \$(cat '$work/t')
        nft flush ruleset" | tail -n1 >>"$work/$name.runs"
    printf '  %-22s %s\n' "$name" "$(tail -n1 "$work/$name.runs")"
}

col() { awk -v c="$2" '{print $c}' "$work/$1.runs" | median; }

results=()
for kind in $KINDS; do
    f="$work/$kind.rules"
    python3 "$GEN" --kind "$kind" --rules "$N" --seed 1 >"$f"
    echo "== $kind: $(grep -c '^-A ' "$f") rules, $(wc -c <"$f") bytes; $RUNS pair(s); wall user sys KiB"
    case $SETUP in
        ref) load="$REF_RESTORE < $f" ;;
        rx) load="$work/iptables-restore < $f" ;;
        *) echo "bench: SETUP is ref or rx" >&2; exit 1 ;;
    esac
    for ((i = 0; i < RUNS; i++)); do
        for what in $STEPS; do
            case $what in
                restore)
                    measure "ref-restore-$kind" "true" "$REF_RESTORE < $f"
                    measure "rx-restore-$kind" "true" "$work/iptables-restore < $f"
                    ;;
                save)
                    measure "ref-save-$kind" "$load" "$REF_SAVE"
                    measure "rx-save-$kind" "$load" "$work/iptables-save"
                    ;;
                *) echo "bench: unknown step $what" >&2; exit 1 ;;
            esac
        done
    done
    results+=("$kind")
done

echo
echo "reference: $("$REF_RESTORE" --version 2>&1 | head -n1); rxtables: $RXTABLES"
printf '%-16s %8s %8s %8s %9s | %8s %8s %8s %9s | %7s %7s\n' "medians" \
    ref-wall ref-user ref-sys ref-MiB rx-wall rx-user rx-sys rx-MiB time× mem×
for kind in "${results[@]}"; do
    for what in $STEPS; do
        r="ref-$what-$kind" x="rx-$what-$kind"
        rw=$(col "$r" 1) xw=$(col "$x" 1) rm=$(col "$r" 4) xm=$(col "$x" 4)
        printf '%-16s %8.2f %8.2f %8.2f %9.1f | %8.2f %8.2f %8.2f %9.1f | %6.2fx %6.2fx\n' \
            "$what $kind" "$rw" "$(col "$r" 2)" "$(col "$r" 3)" "$(awk -v k="$rm" 'BEGIN {print k / 1024}')" \
            "$xw" "$(col "$x" 2)" "$(col "$x" 3)" "$(awk -v k="$xm" 'BEGIN {print k / 1024}')" \
            "$(awk -v a="$rw" -v b="$xw" 'BEGIN {print (b > 0) ? a / b : 0}')" \
            "$(awk -v a="$rm" -v b="$xm" 'BEGIN {print (b > 0) ? a / b : 0}')"
    done
done
