//! Concurrent writers: two processes, each a shell loop of 500 rxtables
//! invocations appending distinct rules to one chain, started at the same
//! moment in one fresh network namespace. Afterwards all 1000 rules must be
//! there (each exactly once), and every invocation must have succeeded.
//!
//! Then eight mixed writers in one namespace (four rxtables, two iptables
//! 1.8.9, two 1.8.13; half of them IPv6), each running a seeded sequence of
//! `-N`, `-A`, `-I N`, `-D` by spec and by number, a temporary chain made,
//! referenced, emptied and removed (`-X`), and `restore --noflush` batches
//! on its own chains: the final ruleset, read by rxtables' save and by
//! 1.8.13's, must be exactly what the sequences imply, and every rxtables
//! operation must succeed at the first try. (A release's failures are
//! retried and reported, not ours to fix.)
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

// ---------------------------------------------------------------------------
// Eight mixed writers (issue 12): rxtables, iptables 1.8.9 and 1.8.13 side by
// side in one namespace, each on its own chains, each running a seeded
// sequence of every kind of change; the final ruleset must be exactly what
// the sequences imply.

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
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// Which program a worker runs, and its tool names inside the namespace.
#[derive(Clone, Copy)]
struct Tool {
    /// what the report calls it
    name: &'static str,
    /// the `iptables`/`ip6tables` and `*-restore` names on the script's PATH
    cmd4: &'static str,
    cmd6: &'static str,
    restore4: &'static str,
    restore6: &'static str,
    /// whether a failed operation is tried again (the releases: their
    /// failures are reported, not ours to fix); rxtables gets one try
    retries: u32,
}

const RX: Tool = Tool {
    name: "rxtables",
    cmd4: "iptables",
    cmd6: "ip6tables",
    restore4: "iptables-restore",
    restore6: "ip6tables-restore",
    retries: 0,
};
const NFT_1_8_9: Tool = Tool {
    name: "iptables 1.8.9",
    cmd4: "iptables-1.8.9",
    cmd6: "ip6tables-1.8.9",
    restore4: "iptables-restore-1.8.9",
    restore6: "ip6tables-restore-1.8.9",
    retries: 5,
};
const NFT_1_8_13: Tool = Tool {
    name: "iptables 1.8.13",
    cmd4: "iptables-1.8.13",
    cmd6: "ip6tables-1.8.13",
    restore4: "iptables-restore-1.8.13",
    restore6: "ip6tables-restore-1.8.13",
    retries: 5,
};

/// One writer: its tool, family, the shell lines it will run, and the model
/// of its chains (creation order; rule specs in chain order) after them.
struct Worker {
    id: usize,
    tool: Tool,
    v6: bool,
    rng: Rng,
    /// (chain, rule specs) of the chains that stay; a rule may jump only to
    /// a chain made after its own (no loops)
    chains: Vec<(String, Vec<String>)>,
    next_rule: u32,
    next_chain: u32,
    ops: usize,
    script: String,
    /// (file name, text) of the `--noflush` batches
    batches: Vec<(String, String)>,
}

impl Worker {
    fn new(id: usize, tool: Tool, v6: bool, seed: u64) -> Worker {
        Worker {
            id,
            tool,
            v6,
            rng: Rng(seed),
            chains: Vec::new(),
            next_rule: 0,
            next_chain: 0,
            ops: 0,
            script: String::new(),
            batches: Vec::new(),
        }
    }

    fn cmd_name(&self) -> &'static str {
        if self.v6 {
            self.tool.cmd6
        } else {
            self.tool.cmd4
        }
    }

    /// Emits one command line (`args` after the program name).
    fn run(&mut self, args: &str) {
        self.ops += 1;
        let line = format!("op {} {} {args}\n", self.ops, self.cmd_name());
        self.script.push_str(&line);
    }

    /// A new rule spec (as save prints it) for the chain at `from`.
    fn new_rule(&mut self, from: usize) -> String {
        let n = self.next_rule;
        self.next_rule += 1;
        let w = self.id + 1;
        let (src, dst) = if self.v6 {
            (
                format!("2001:db8:{w:x}::{:x}/128", n + 1),
                format!("2001:db8:ff::{:x}/128", n % 7 + 1),
            )
        } else {
            (
                format!("10.{w}.{}.{}/32", n / 256, n % 256),
                format!("192.0.2.{}/32", n % 7 + 1),
            )
        };
        let later = self.chains.len().saturating_sub(from + 1);
        let target = match self.rng.below(6) {
            0 if later > 0 => self.chains[from + 1 + self.rng.below(later)].0.clone(),
            0 | 1 => "DROP".to_string(),
            2 => "RETURN".to_string(),
            _ => "ACCEPT".to_string(),
        };
        let port = 1 + self.rng.below(65535);
        match self.rng.below(4) {
            0 => format!("-s {src} -j {target}"),
            1 => format!("-s {src} -p tcp -m tcp --dport {port} -j {target}"),
            2 => format!(
                "-s {src} -i eth{} -p udp -m udp --sport {port} -j {target}",
                n % 3
            ),
            _ => format!("-s {src} -d {dst} -o veth{} -j {target}", n % 5),
        }
    }

    fn new_chain_name(&mut self, kind: char) -> String {
        self.next_chain += 1;
        format!("W{}-{kind}{}", self.id, self.next_chain)
    }

    /// A chain index with at least one rule, if any.
    fn nonempty_chain(&mut self) -> Option<usize> {
        let full: Vec<usize> = (0..self.chains.len())
            .filter(|&i| !self.chains[i].1.is_empty())
            .collect();
        (!full.is_empty()).then(|| full[self.rng.below(full.len())])
    }

    /// Appends `steps` seeded operations to the script and the model.
    fn generate(&mut self, steps: usize) {
        let main = format!("W{}", self.id);
        self.run(&format!("-N {main}"));
        self.chains.push((main, Vec::new()));
        for _ in 0..steps {
            let c = self.rng.below(self.chains.len());
            match self.rng.below(100) {
                0..=29 => {
                    let r = self.new_rule(c);
                    let name = self.chains[c].0.clone();
                    self.run(&format!("-A {name} {r}"));
                    self.chains[c].1.push(r);
                }
                30..=44 => {
                    let r = self.new_rule(c);
                    let pos = 1 + self.rng.below(self.chains[c].1.len() + 1);
                    let name = self.chains[c].0.clone();
                    self.run(&format!("-I {name} {pos} {r}"));
                    self.chains[c].1.insert(pos - 1, r);
                }
                45..=56 => {
                    if let Some(c) = self.nonempty_chain() {
                        let i = self.rng.below(self.chains[c].1.len());
                        let r = self.chains[c].1.remove(i);
                        let name = self.chains[c].0.clone();
                        self.run(&format!("-D {name} {r}"));
                    }
                }
                57..=66 => {
                    if let Some(c) = self.nonempty_chain() {
                        let i = self.rng.below(self.chains[c].1.len());
                        self.chains[c].1.remove(i);
                        let name = self.chains[c].0.clone();
                        self.run(&format!("-D {name} {}", i + 1));
                    }
                }
                67..=72 if self.chains.len() < 5 => {
                    let name = self.new_chain_name('C');
                    self.run(&format!("-N {name}"));
                    self.chains.push((name, Vec::new()));
                }
                67..=80 => {
                    // A temporary chain: made, used, referenced from a
                    // chain that stays, emptied and removed.
                    let t = self.new_chain_name('T');
                    let r = self.new_rule(self.chains.len());
                    let name = self.chains[c].0.clone();
                    self.run(&format!("-N {t}"));
                    self.run(&format!("-A {t} {r}"));
                    self.run(&format!("-A {name} -j {t}"));
                    self.run(&format!("-D {name} -j {t}"));
                    self.run(&format!("-F {t}"));
                    self.run(&format!("-X {t}"));
                }
                _ => self.batch(),
            }
        }
    }

    /// A `restore --noflush` batch: a new chain and its rules, appends,
    /// inserts and deletions by spec on the worker's chains, in one
    /// transaction.
    fn batch(&mut self) {
        let fresh = self.new_chain_name('R');
        let mut text = format!("*filter\n:{fresh} - [0:0]\n");
        self.chains.push((fresh, Vec::new()));
        let lines = 2 + self.rng.below(5);
        for _ in 0..lines {
            let c = self.rng.below(self.chains.len());
            let name = self.chains[c].0.clone();
            match self.rng.below(4) {
                0 | 1 => {
                    let r = self.new_rule(c);
                    text.push_str(&format!("-A {name} {r}\n"));
                    self.chains[c].1.push(r);
                }
                2 => {
                    let r = self.new_rule(c);
                    let pos = 1 + self.rng.below(self.chains[c].1.len() + 1);
                    text.push_str(&format!("-I {name} {pos} {r}\n"));
                    self.chains[c].1.insert(pos - 1, r);
                }
                _ => {
                    if let Some(c) = self.nonempty_chain() {
                        let i = self.rng.below(self.chains[c].1.len());
                        let r = self.chains[c].1.remove(i);
                        text.push_str(&format!("-D {} {r}\n", self.chains[c].0));
                    }
                }
            }
        }
        text.push_str("COMMIT\n");
        self.ops += 1;
        let file = format!("w{}-b{}.rules", self.id, self.batches.len());
        let restore = if self.v6 {
            self.tool.restore6
        } else {
            self.tool.restore4
        };
        self.script
            .push_str(&format!("rop {} {restore} \"$d/{file}\"\n", self.ops));
        self.batches.push((file, text));
    }
}

/// A save output as `chain -> (declaration, rule specs)`, counters dropped,
/// plus the table lines; `Err` on a line it does not expect.
type Chains = BTreeMap<String, (String, Vec<String>)>;

fn parse_save(save: &str) -> Result<(Vec<String>, Chains), String> {
    let mut tables = Vec::new();
    let mut chains = Chains::new();
    for l in save.lines() {
        if l.starts_with('#') || l == "COMMIT" || l.is_empty() {
            continue;
        }
        if let Some(t) = l.strip_prefix('*') {
            tables.push(t.to_string());
        } else if let Some(decl) = l.strip_prefix(':') {
            let mut w = decl.split_whitespace();
            let (Some(name), Some(policy)) = (w.next(), w.next()) else {
                return Err(format!("bad chain line {l:?}"));
            };
            chains.insert(name.to_string(), (policy.to_string(), Vec::new()));
        } else if let Some(rest) = l.strip_prefix("-A ") {
            let Some((name, spec)) = rest.split_once(' ') else {
                return Err(format!("bad rule line {l:?}"));
            };
            match chains.get_mut(name) {
                Some(c) => c.1.push(spec.to_string()),
                None => return Err(format!("rule of an undeclared chain: {l:?}")),
            }
        } else {
            return Err(format!("unexpected line {l:?}"));
        }
    }
    Ok((tables, chains))
}

#[test]
fn eight_mixed_writers_leave_exactly_the_implied_ruleset() {
    const STEPS: usize = 100;
    let tools = [RX, RX, RX, RX, NFT_1_8_9, NFT_1_8_9, NFT_1_8_13, NFT_1_8_13];
    let mut workers: Vec<Worker> = tools
        .iter()
        .enumerate()
        .map(|(i, t)| Worker::new(i, *t, i % 2 == 1, 0x5eed_0000 + i as u64))
        .collect();
    for w in &mut workers {
        w.generate(STEPS);
    }
    let dir = common::TempDir::new("mixed");
    let d = dir.path().display().to_string();
    for w in &workers {
        for (f, text) in &w.batches {
            std::fs::write(dir.path().join(f), text).expect("write batch");
        }
        // op N CMD...: runs a command (tries 1 + retries times); every
        // failure is logged to $d/wK.log as `FAIL N try T rc=R: CMD :: MSG`.
        let script = format!(
            r#"set -u
d='{d}'; log="$d/w{id}.log"; : >"$log"
attempt() {{ local n=$1 t=$2; shift 2; local rc=0
    timeout -k 5 {CMD_TIMEOUT} "$@" 2>"$d/w{id}.err" </dev/null || rc=$?
    [ $rc = 0 ] || echo "FAIL $n try $t rc=$rc: $* :: $(tr '\n' ' ' <"$d/w{id}.err")" >>"$log"
    return $rc; }}
op() {{ local n=$1 t; shift
    for ((t = 1; t <= {tries}; t++)); do attempt "$n" "$t" "$@" && return 0; done; return 0; }}
rop() {{ local n=$1 t; shift
    for ((t = 1; t <= {tries}; t++)); do
        local rc=0
        timeout -k 5 {CMD_TIMEOUT} "$1" --noflush <"$2" 2>"$d/w{id}.err" || rc=$?
        [ $rc = 0 ] && return 0
        echo "FAIL $n try $t rc=$rc: $* :: $(tr '\n' ' ' <"$d/w{id}.err")" >>"$log"
    done; return 0; }}
while [ ! -e "$d/go" ]; do sleep 0.005; done
{body}echo done >>"$log.done"
"#,
            id = w.id,
            tries = 1 + w.tool.retries,
            body = w.script,
        );
        std::fs::write(dir.path().join(format!("w{}.sh", w.id)), script).expect("write script");
    }
    let n = workers.len();
    let script = format!(
        r#"set -u
d='{d}'
for ((w = 0; w < {n}; w++)); do bash "$d/w$w.sh" & done
touch "$d/go"
wait
iptables-save >"$d/rx.s4"; ip6tables-save >"$d/rx.s6"
iptables-save-1.8.13 >"$d/ref.s4"; ip6tables-save-1.8.13 >"$d/ref.s6"
"#
    );
    let started = std::time::Instant::now();
    let out = ns_bash(&script);
    let took = started.elapsed();
    assert_eq!(out.status, 0, "namespace script failed:\n{}", out.stderr);
    let read = |name: &str| {
        std::fs::read_to_string(dir.path().join(name))
            .unwrap_or_else(|e| panic!("read {name}: {e}"))
    };

    let mut fails = Vec::new();
    let mut notes = Vec::new();
    let mut ref_failed = vec![false; n];
    for w in &workers {
        let log = read(&format!("w{}.log", w.id));
        let done = std::fs::read_to_string(dir.path().join(format!("w{}.log.done", w.id)));
        if done.is_err() {
            fails.push(format!("worker {} ({}) did not finish", w.id, w.tool.name));
        }
        if log.is_empty() {
            continue;
        }
        if w.tool.retries == 0 {
            fails.push(format!(
                "worker {} ({}, {}) had failing operations:\n{log}",
                w.id,
                w.tool.name,
                if w.v6 { "ip6" } else { "ip" }
            ));
        } else {
            ref_failed[w.id] = true;
            notes.push(format!(
                "note: worker {} ({}, {}) failed under contention (tried again):\n{log}",
                w.id,
                w.tool.name,
                if w.v6 { "ip6" } else { "ip" }
            ));
        }
    }

    for (fam, v6) in [("4", false), ("6", true)] {
        let rx = read(&format!("rx.s{fam}"));
        let reference = read(&format!("ref.s{fam}"));
        let strip = |s: &str| strip_save_comments(s);
        if strip(&rx) != strip(&reference) {
            fails.push(format!(
                "IPv{fam}: rxtables' save differs from 1.8.13's (- 1.8.13, + rxtables):\n{}",
                diff(&strip(&reference), &strip(&rx))
            ));
        }
        for (who, save) in [("rxtables' save", &rx), ("1.8.13's save", &reference)] {
            let (tables, got) = match parse_save(save) {
                Ok(p) => p,
                Err(e) => {
                    fails.push(format!("IPv{fam}, {who}: {e}"));
                    continue;
                }
            };
            if tables != ["filter"] {
                fails.push(format!(
                    "IPv{fam}, {who}: tables {tables:?}, expected [filter]"
                ));
            }
            let mut expected = Chains::new();
            for b in ["INPUT", "FORWARD", "OUTPUT"] {
                expected.insert(b.into(), ("ACCEPT".into(), Vec::new()));
            }
            for w in workers.iter().filter(|w| w.v6 == v6) {
                for (name, rules) in &w.chains {
                    expected.insert(name.clone(), ("-".into(), rules.clone()));
                }
            }
            let names: std::collections::BTreeSet<&String> =
                expected.keys().chain(got.keys()).collect();
            for name in names {
                let (e, g) = (expected.get(name), got.get(name));
                if e == g {
                    continue;
                }
                let owner = name
                    .strip_prefix('W')
                    .and_then(|r| r.split('-').next())
                    .and_then(|i| i.parse::<usize>().ok());
                let text = |c: Option<&(String, Vec<String>)>| match c {
                    None => "(no such chain)\n".to_string(),
                    Some((p, rules)) => {
                        let mut s = format!(":{name} {p}\n");
                        for r in rules {
                            s.push_str(&format!("-A {name} {r}\n"));
                        }
                        s
                    }
                };
                let msg = format!(
                    "IPv{fam}, {who}: chain {name} (- expected, + found):\n{}",
                    diff(&text(e), &text(g))
                );
                match owner {
                    // A release that failed and was retried may have left
                    // its own chains off: reported, not ours to fix.
                    Some(o) if o < n && ref_failed[o] => notes.push(msg),
                    _ => fails.push(msg),
                }
            }
        }
    }
    let total_ops: usize = workers.iter().map(|w| w.ops).sum();
    let rules: usize = workers
        .iter()
        .flat_map(|w| w.chains.iter().map(|c| c.1.len()))
        .sum();
    eprintln!(
        "{n} writers, {total_ops} operations, {rules} rules at the end, {:.1} s",
        took.as_secs_f64()
    );
    for note in &notes {
        eprintln!("{note}");
    }
    assert!(fails.is_empty(), "{}", fails.join("\n\n"));
}
