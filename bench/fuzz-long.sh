#!/usr/bin/env bash
# The long run of the differential fuzzer (tests/fuzz_diff.rs, issue 12):
# the same test target CI runs as a bounded slice, with more cases, at low
# priority, in one process (one thread moves between the two namespaces).
#
#   bench/fuzz-long.sh [SEED] [CMDS] [RESTORES]     (default 1 300000 20000)
#
# Run as root (it makes private network namespaces; the machine's own is
# never touched). The report (classes, counts, a reproducer each, figures)
# is rewritten every 500 cases to target/fuzz-long-SEED.txt, so a run
# stopped early still leaves its figures. FUZZ_SHRINK sets the runs spent
# shrinking each new class (default 16). The exit status is the test's: 0
# when there is no hard failure and no class missing from
# tests/fuzz/known-classes.txt.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
seed=${1:-1}
export FUZZ_SEED=$seed FUZZ_CMDS=${2:-300000} FUZZ_RESTORES=${3:-20000}
export FUZZ_REPORT=${FUZZ_REPORT:-$top/target/fuzz-long-$seed.txt}
cd "$top"
nice -n 15 cargo test --release --test fuzz_diff -- --nocapture
