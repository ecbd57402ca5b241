//! Concurrent writers: two processes, each a shell loop of 500 rxtables
//! invocations appending distinct rules to one chain, started at the same
//! moment in one fresh network namespace. Afterwards all 1000 rules must be
//! there (each exactly once), and every invocation must have succeeded.
//! (Robustness, not speed: nothing here is timed.)

mod common;
use common::*;
use std::collections::BTreeMap;

const PER_WORKER: usize = 500;

/// Runs two workers; `cmd_a`/`cmd_b` are shell snippets using `$i` (0..500)
/// that each add one rule. The table does not exist before: the first
/// commands of both workers race on creating it too.
fn race(cmd_a: &str, cmd_b: &str, save: &str) -> (Vec<String>, String) {
    let script = format!(
        r#"
set -u
go=$(mktemp -u /tmp/rxtables-race.XXXXXX)
worker() {{
    local name=$1 fails=0 i
    while [ ! -e "$go" ]; do sleep 0.005; done
    for ((i = 0; i < {PER_WORKER}; i++)); do
        if ! {{ eval "$2"; }} 2>>"$go.$name.err"; then fails=$((fails + 1)); fi
    done
    echo "$name failures: $fails" >&2
}}
worker A '{cmd_a}' &
worker B '{cmd_b}' &
touch "$go"
wait
cat "$go".*.err >&2 2>/dev/null
rm -f "$go" "$go".*.err
{save}
"#
    );
    let out = ns_bash(&script);
    assert_eq!(out.status, 0, "race script failed:\n{}", out.stderr);
    (rule_lines(&out.stdout), out.stderr)
}

fn check(lines: &[String], expected: &[String], stderr: &str) {
    let mut count: BTreeMap<&str, usize> = BTreeMap::new();
    for l in lines {
        *count.entry(l.as_str()).or_default() += 1;
    }
    let missing: Vec<&String> = expected
        .iter()
        .filter(|e| !count.contains_key(e.as_str()))
        .collect();
    let doubled: Vec<(&&str, &usize)> = count.iter().filter(|(_, n)| **n > 1).collect();
    let extra: Vec<&String> = lines.iter().filter(|l| !expected.contains(l)).collect();
    assert!(
        missing.is_empty() && doubled.is_empty() && extra.is_empty() && lines.len() == expected.len(),
        "{} rule lines, {} expected; {} missing (first: {:?}), {} doubled (first: {:?}), {} unexpected (first: {:?})\nstderr (first 2000 bytes):\n{}",
        lines.len(),
        expected.len(),
        missing.len(),
        missing.first(),
        doubled.len(),
        doubled.first(),
        extra.len(),
        extra.first(),
        &stderr[..stderr.len().min(2000)]
    );
    for w in ["A", "B"] {
        assert!(
            stderr.contains(&format!("{w} failures: 0\n")),
            "worker {w} had failing invocations:\n{stderr}"
        );
    }
}

#[test]
fn two_writers_appending_500_rules_each_lose_nothing() {
    let (lines, stderr) = race(
        "iptables -A INPUT -s 10.1.$((i / 256)).$((i % 256)) -j ACCEPT",
        "iptables -A INPUT -s 10.2.$((i / 256)).$((i % 256)) -j ACCEPT",
        "iptables-nft-save",
    );
    let expected: Vec<String> = (1..=2)
        .flat_map(|a| {
            (0..PER_WORKER)
                .map(move |i| format!("-A INPUT -s 10.{a}.{}.{}/32 -j ACCEPT", i / 256, i % 256))
        })
        .collect();
    check(&lines, &expected, &stderr);
}

#[test]
fn insert_and_append_race_v6_loses_nothing() {
    let (lines, stderr) = race(
        "ip6tables -I FORWARD -s 2001:db8:1::$((i + 1)) -j DROP",
        "ip6tables -A FORWARD -p tcp --dport $((i + 1)) -j ACCEPT",
        "ip6tables-nft-save",
    );
    let mut expected: Vec<String> = (0..PER_WORKER)
        .map(|i| format!("-A FORWARD -s 2001:db8:1::{}/128 -j DROP", i + 1))
        .collect();
    expected.extend(
        (0..PER_WORKER).map(|i| format!("-A FORWARD -p tcp -m tcp --dport {} -j ACCEPT", i + 1)),
    );
    check(&lines, &expected, &stderr);
}
