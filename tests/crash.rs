//! Crashes (issue 12): rxtables killed with SIGKILL at seeded random moments
//! never leaves a half-written ruleset.
//!
//! - A 100,000-rule `iptables-restore` of one ruleset over another, killed
//!   several times at moments spread over its run time: afterwards the whole
//!   ruleset (`iptables-nft-save`, 1.8.13, counters dropped) is exactly the
//!   old one or exactly the new one.
//! - A shell loop of `iptables -A` beside a 10,000-rule ruleset, killed (the
//!   loop and the command in flight) at random moments, again and again: the
//!   appended chain holds exactly the completed appends, possibly plus the
//!   one in flight, whole; the rest of the ruleset is untouched.
//!
//! The rulesets come from `../shared/bench/gen-ruleset` (beside the
//! checkout, as in CI). Nothing here is timed; the kill moments are scaled
//! to the measured length of an unkilled run.

mod common;
use common::*;
use std::path::{Path, PathBuf};
use std::process::Command;

/// splitmix64: a small deterministic generator (no dependency).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    /// Uniform in [0, 1).
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// Writes `gen-ruleset --kind KIND --rules N --seed S` into `dir/name`.
fn generate(dir: &Path, name: &str, kind: &str, rules: usize, seed: u64) -> PathBuf {
    let gen = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/bench/gen-ruleset");
    assert!(
        gen.exists(),
        "{} is missing: the crash tests need ../shared beside the checkout",
        gen.display()
    );
    let out = Command::new("python3")
        .arg(&gen)
        .args([
            "--kind",
            kind,
            "--rules",
            &rules.to_string(),
            "--seed",
            &seed.to_string(),
        ])
        .output()
        .expect("run gen-ruleset (python3)");
    assert!(
        out.status.success(),
        "gen-ruleset failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let p = dir.join(name);
    std::fs::write(&p, &out.stdout).expect("write ruleset");
    p
}

/// Shell function `digest`: a short hash of the whole IPv4 ruleset as
/// 1.8.13's save prints it, comments and counters dropped.
const DIGEST_FN: &str = r#"digest() { iptables-nft-save | grep -v '^#' | sed -E 's/ ?\[[0-9]+:[0-9]+\]//' | sha256sum | cut -c1-16; }
"#;

#[test]
fn killed_100k_restore_leaves_the_old_or_the_new_ruleset() {
    const ROUNDS: usize = 6;
    let dir = TempDir::new("crash-restore");
    let a = generate(dir.path(), "a.rules", "filter", 100_000, 1);
    let b = generate(dir.path(), "b.rules", "filter", 100_000, 2);
    // Kill moments spread over the run (and past its end): one per stratum
    // of 1.3 × the unkilled run time, each at a seeded place in it.
    let mut rng = Rng(0xc0a5_4001);
    let fracs: Vec<String> = (0..ROUNDS)
        .map(|i| format!("{:.3}", (i as f64 + rng.unit()) / ROUNDS as f64 * 1.3))
        .collect();
    let script = format!(
        r#"set -u
{DIGEST_FN}
iptables-restore <'{a}' || {{ echo 'restore of a failed' >&2; exit 10; }}
da=$(digest)
s=$EPOCHREALTIME
iptables-restore <'{b}' || {{ echo 'restore of b failed' >&2; exit 11; }}
e=$EPOCHREALTIME
db=$(digest)
dur=$(awk -v s=$s -v e=$e 'BEGIN {{ printf "%.3f", e - s }}')
echo "a $da b $db dur $dur"
cur=b
for f in {fracs}; do
    if [ $cur = a ]; then next=b; else next=a; fi
    delay=$(awk -v d=$dur -v f=$f 'BEGIN {{ printf "%.3f", d * f }}')
    "$RXBIN/iptables-restore" <'{dir}'/$next.rules &
    pid=$!
    sleep $delay
    kill -KILL $pid 2>/dev/null
    rc=0; wait $pid || rc=$?
    got=$(digest)
    echo "round from $cur to $next delay $delay rc $rc got $got"
    if [ "$got" = "$da" ]; then cur=a; elif [ "$got" = "$db" ]; then cur=b; else exit 0; fi
done
"#,
        a = a.display(),
        b = b.display(),
        dir = dir.path().display(),
        fracs = fracs.join(" "),
    );
    let out = ns_bash(&script);
    assert_eq!(out.status, 0, "namespace script failed:\n{}", out.stderr);
    let lines: Vec<&str> = out.stdout.lines().collect();
    let head: Vec<&str> = lines
        .first()
        .map(|l| l.split_whitespace().collect())
        .unwrap_or_default();
    let [_, da, _, db, _, dur] = head[..] else {
        panic!("unexpected output:\n{}\n{}", out.stdout, out.stderr);
    };
    assert_ne!(da, db, "the two rulesets must differ");
    let rounds = &lines[1..];
    let (mut old, mut new, mut killed) = (0, 0, 0);
    for r in rounds {
        // round from X to Y delay D rc RC got DIGEST
        let w: Vec<&str> = r.split_whitespace().collect();
        let [_, _, from, _, to, _, delay, _, rc, _, got] = w[..] else {
            panic!("unexpected line {r:?}");
        };
        let digest_of = |x: &str| if x == "a" { da } else { db };
        assert!(
            got == digest_of(from) || got == digest_of(to),
            "after SIGKILL at {delay} s (run takes {dur} s), restoring {to} over {from}: \
             the ruleset ({got}) is neither the old one ({}) nor the new one ({})\n{}",
            digest_of(from),
            digest_of(to),
            out.stdout
        );
        if got == digest_of(from) {
            old += 1;
        } else {
            new += 1;
        }
        if rc == "137" {
            killed += 1;
        } else {
            assert_eq!(
                rc, "0",
                "restore exited {rc} without being killed:\n{}",
                out.stderr
            );
        }
    }
    assert_eq!(rounds.len(), ROUNDS, "rounds missing:\n{}", out.stdout);
    assert!(
        killed > 0,
        "no restore was killed while running:\n{}",
        out.stdout
    );
    eprintln!(
        "100k restore ({dur} s unkilled): {ROUNDS} rounds, {killed} killed; {old} left the old ruleset, {new} the new one"
    );
}

#[test]
fn killed_append_loop_leaves_whole_appends_only() {
    const ROUNDS: usize = 10;
    let dir = TempDir::new("crash-append");
    let base = generate(dir.path(), "base.rules", "filter", 10_000, 3);
    let mut rng = Rng(0xc0a5_4002);
    let delays: Vec<String> = (0..ROUNDS)
        .map(|_| format!("{:.3}", 0.02 + rng.unit() * 0.5))
        .collect();
    let script = format!(
        r#"set -u
set -m
d='{dir}'
iptables-restore <'{base}' || exit 10
iptables -N APP || exit 11
rest() {{ iptables-nft-save | grep -v '^#' | grep -v '^-A APP ' | sed -E 's/ ?\[[0-9]+:[0-9]+\]//' | sha256sum | cut -c1-16; }}
base=$(rest)
# appends 10.200.x.y from index $1 on; the last line of $d/done is the
# last completed one (one short O_APPEND write: whole or absent)
appends() {{
    local i=$1
    while :; do
        "$RXBIN/iptables" -A APP -s 10.200.$((i / 256)).$((i % 256)) -j ACCEPT \
            || {{ echo "append $i failed: $?" >>"$d/failed"; return 1; }}
        echo $i >>"$d/done"
        i=$((i + 1))
    done
}}
start=0
r=0
for delay in {delays}; do
    echo -1 >"$d/done"
    appends $start &
    pid=$!
    sleep $delay
    kill -KILL -- -$pid 2>/dev/null
    wait $pid
    iptables-nft-save >"$d/save.$r" || exit 12
    n=$(grep -c '^-A APP ' "$d/save.$r")
    echo "round $r start $start done $(tail -n1 "$d/done") rules $n rest $(rest) base $base"
    start=$n
    r=$((r + 1))
done
cat "$d/failed" >&2 2>/dev/null
exit 0
"#,
        dir = dir.path().display(),
        base = base.display(),
        delays = delays.join(" "),
    );
    let out = ns_bash(&script);
    assert_eq!(out.status, 0, "namespace script failed:\n{}", out.stderr);
    assert!(
        !out.stderr.contains("failed"),
        "an append failed:\n{}",
        out.stderr
    );
    let rule = |i: usize| format!("-A APP -s 10.200.{}.{}/32 -j ACCEPT", i / 256, i % 256);
    let mut rounds = 0;
    let mut in_flight_kept = 0;
    let mut total = 0;
    for l in out.stdout.lines() {
        // round R start S done D rules N rest X base Y
        let w: Vec<&str> = l.split_whitespace().collect();
        let [_, r, _, start, _, done, _, n, _, rest, _, base] = w[..] else {
            panic!("unexpected line {l:?}\n{}", out.stderr);
        };
        let parse =
            |s: &str| -> i64 { s.parse().unwrap_or_else(|_| panic!("bad number in {l:?}")) };
        let (start, done, n) = (parse(start), parse(done), parse(n));
        assert_eq!(
            rest, base,
            "round {r}: the rest of the ruleset changed\n{}",
            out.stdout
        );
        // Completed: everything before `start`, and start..=done this round.
        let completed = if done < 0 { start } else { done + 1 };
        assert!(
            n == completed || n == completed + 1,
            "round {r}: {n} rules in APP after {completed} completed appends\n{}",
            out.stdout
        );
        if n == completed + 1 {
            in_flight_kept += 1;
        }
        let save = std::fs::read_to_string(dir.path().join(format!("save.{r}")))
            .unwrap_or_else(|e| panic!("read save.{r}: {e}"));
        let got: Vec<String> = rule_lines(&save)
            .into_iter()
            .filter(|l| l.starts_with("-A APP "))
            .collect();
        let want: Vec<String> = (0..n as usize).map(rule).collect();
        assert_eq!(
            got, want,
            "round {r}: the APP chain is not exactly the appends 0..{n}"
        );
        rounds += 1;
        total = n;
    }
    assert_eq!(
        rounds, ROUNDS,
        "rounds missing:\n{}\n{}",
        out.stdout, out.stderr
    );
    assert!(total > 0, "no append completed:\n{}", out.stdout);
    eprintln!(
        "append loop: {ROUNDS} kills, {total} appends kept, the one in flight kept {in_flight_kept} times"
    );
}
