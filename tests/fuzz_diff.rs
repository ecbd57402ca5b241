//! Differential fuzzer (issue 12, item 1): mutated command lines and
//! restore files run with iptables 1.8.13 and with rxtables, each tool in
//! its own private network namespace, from the same starting ruleset.
//!
//! Reported per case: panics, hangs, exit statuses outside 0-4, a failure
//! of rxtables that changed the ruleset, and every disagreement with the
//! reference (exit status, stdout, resulting `iptables-save -c` text, and,
//! not gating, stderr), grouped into classes by a stable key with the
//! smallest reproducer found for each.
//!
//! Deterministic for a seed. Knobs (environment):
//! - `FUZZ_SEED` (default 12), `FUZZ_CMDS` (2000), `FUZZ_RESTORES` (200)
//! - `FUZZ_SHRINK`: runs spent shrinking each new class (default 48)
//! - `FUZZ_BIN_DIR`: rxtables' applet links to test (default: this build's)
//! - `FUZZ_REPORT`: where the report goes (default
//!   `target/fuzz-report-SEED.txt`), rewritten every 500 cases
//! - `FUZZ_KNOWN`: the known classes file (default `tests/fuzz/known-classes.txt`)
//! - `FUZZ_T_DIR`: upstream's `.t` files (default `../shared/conformance/t`)
//!
//! The test fails on any panic, hang, exit status above 4, dirty failure,
//! or a disagreement class (other than stderr-only) not listed in the
//! known classes file. `bench/fuzz-long.sh` runs it long; see
//! `docs/fuzzing.md`.

mod common;

use std::collections::BTreeMap;
use std::ffi::OsStr;
use std::io::Write as _;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::io::{AsRawFd, FromRawFd, OwnedFd};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

// ---------------------------------------------------------------- random

/// splitmix64: small, fast, and the same on every machine.
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
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }
    fn chance(&mut self, one_in: usize) -> bool {
        self.below(one_in) == 0
    }
    fn pick<'a, T>(&mut self, v: &'a [T]) -> &'a T {
        &v[self.below(v.len())]
    }
}

// ---------------------------------------------------------------- corpus

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Fam {
    V4,
    V6,
}

impl Fam {
    fn name(self) -> &'static str {
        match self {
            Fam::V4 => "iptables",
            Fam::V6 => "ip6tables",
        }
    }
}

/// A command line as words (bytes: words may be any bytes but NUL).
#[derive(Clone, Debug)]
struct Cmd {
    fam: Fam,
    words: Vec<Vec<u8>>,
}

/// The forms rxtables supports, written out (IPv4).
const FORMS4: &[&str] = &[
    "-A INPUT -s 10.0.0.1 -j ACCEPT",
    "-A INPUT -p tcp --dport 22 -j ACCEPT",
    "-A INPUT -p tcp -m multiport --dports 80,443 -j ACCEPT",
    "-A INPUT -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT",
    "-A INPUT -i lo -j ACCEPT",
    "-A FORWARD -o eth0 -m comment --comment hello -j DROP",
    "-I INPUT 1 -p udp --sport 53 -j ACCEPT",
    "-I KEEP 2 -d 192.168.0.0/16 -j RETURN",
    "-D INPUT 1",
    "-D INPUT -s 9.9.9.9/32 -j ACCEPT",
    "-R INPUT 1 -s 1.2.3.4 -j DROP",
    "-C INPUT -s 9.9.9.9 -j ACCEPT",
    "-L",
    "-L INPUT",
    "-L INPUT 1 -n --line-numbers",
    "-n -v -x -L KEEP",
    "-S",
    "-S INPUT",
    "-S KEEP 1",
    "-F",
    "-F KEEP",
    "-Z",
    "-Z INPUT 1",
    "-L -Z",
    "-N NEW",
    "-X",
    "-X KEEP",
    "-X EMPTY",
    "-E EMPTY RENAMED",
    "-P INPUT DROP",
    "-P FORWARD ACCEPT -c 10 20",
    "-t nat -A POSTROUTING -o eth0 -j MASQUERADE",
    "-t nat -A PREROUTING -p tcp --dport 80 -j DNAT --to-destination 10.0.0.2:8080",
    "-t nat -I POSTROUTING -s 10.0.0.0/8 -j SNAT --to-source 1.2.3.4",
    "-t nat -S",
    "-t mangle -A PREROUTING -j MARK --set-mark 0x1/0xff",
    "-A INPUT -m limit --limit 5/min --limit-burst 10 -j LOG --log-prefix x: --log-level 4",
    "-A INPUT -p icmp --icmp-type echo-request -j ACCEPT",
    "-A INPUT -m state --state NEW -j ACCEPT",
    "-A INPUT -m mark --mark 0x10/0xf0 -j ACCEPT",
    "-A INPUT -m iprange --src-range 1.1.1.1-1.1.1.9 -j DROP",
    "-A INPUT -m mac --mac-source 00:11:22:33:44:55 -j DROP",
    "-A INPUT -p tcp --tcp-flags SYN,ACK SYN -j REJECT --reject-with tcp-reset",
    "-A INPUT -m addrtype --dst-type LOCAL -j ACCEPT",
    "-A OUTPUT -m owner --uid-owner 0 -j ACCEPT",
    "-A INPUT -g KEEP",
    "-A INPUT -f -j DROP",
    "-A INPUT ! -s 10.0.0.0/8 ! -i eth0 -j DROP",
    "-w -A INPUT -j ACCEPT",
    "-v -A INPUT -p tcp --dport 80 -j ACCEPT",
    "-A INPUT -m length --length 100:200 -j DROP",
    "-A INPUT -p udp -m udp --dport 1000:2000 -j DROP",
    "-A INPUT -m tcpmss -p tcp --mss 1000:1500 -j DROP",
    "-A FORWARD -p tcp --tcp-flags SYN,RST SYN -j TCPMSS --clamp-mss-to-pmtu",
    "-V",
];

/// The same for IPv6.
const FORMS6: &[&str] = &[
    "-A INPUT -s 2001:db8::1 -p ipv6-icmp -j ACCEPT",
    "-A INPUT -p tcp --dport 22 -j ACCEPT",
    "-A INPUT -m frag --fragid 5 -j DROP",
    "-I INPUT 1 -d 2001:db8::/32 -j DROP",
    "-D INPUT 1",
    "-L",
    "-S",
    "-P INPUT DROP",
    "-N NEW",
    "-F",
];

/// The rules every case starts from.
const BASE4: &str = "*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:EMPTY - [0:0]
:KEEP - [0:0]
-A INPUT -s 9.9.9.9/32 -j ACCEPT
-A INPUT -j KEEP
-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT
-A KEEP -p udp -m udp --dport 53 -j ACCEPT
-A KEEP -j RETURN
COMMIT
*nat
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
-A POSTROUTING -o eth0 -j MASQUERADE
COMMIT
";

const BASE6: &str = "*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:KEEP - [0:0]
-A INPUT -s 2001:db8::9/128 -j ACCEPT
-A INPUT -j KEEP
-A KEEP -j RETURN
COMMIT
";

fn words(s: &str) -> Vec<Vec<u8>> {
    s.split_whitespace()
        .map(|w| w.as_bytes().to_vec())
        .collect()
}

/// Seeds: the written-out forms, and upstream's `.t` rows as `-A` commands
/// (with their table and first chain).
fn corpus() -> Vec<Cmd> {
    let mut v: Vec<Cmd> = FORMS4
        .iter()
        .map(|s| Cmd {
            fam: Fam::V4,
            words: words(s),
        })
        .chain(FORMS6.iter().map(|s| Cmd {
            fam: Fam::V6,
            words: words(s),
        }))
        .collect();
    let dir = std::env::var("FUZZ_T_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|_| {
            let local = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/conformance/t");
            if local.is_dir() {
                local
            } else {
                PathBuf::from("/work/shared/conformance/t")
            }
        });
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map(|rd| rd.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    files.sort();
    for f in files {
        let name = f
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("")
            .to_string();
        let fams: &[Fam] = if name.starts_with("libipt_") {
            &[Fam::V4]
        } else if name.starts_with("libip6t_") {
            &[Fam::V6]
        } else if name.starts_with("libxt_") {
            &[Fam::V4, Fam::V6]
        } else {
            continue;
        };
        let Ok(text) = std::fs::read_to_string(&f) else {
            continue;
        };
        let mut table = "filter".to_string();
        let mut chain = "INPUT".to_string();
        for line in text.lines() {
            if let Some(t) = line.strip_prefix('*') {
                table = t.trim().to_string();
            } else if let Some(c) = line.strip_prefix(':') {
                chain = c.split(',').next().unwrap_or("INPUT").trim().to_string();
            } else if !line.is_empty() && !line.starts_with('#') {
                let rule = line.split(';').next().unwrap_or("");
                if rule.contains('"') || rule.contains('\'') {
                    continue;
                }
                for fam in fams {
                    let mut w = words(&format!("-t {table} -A {chain}"));
                    w.extend(words(rule));
                    v.push(Cmd {
                        fam: *fam,
                        words: w,
                    });
                }
            }
        }
    }
    v
}

// ---------------------------------------------------------------- mutation

const BOUNDARY: &[&str] = &[
    "0",
    "1",
    "-1",
    "255",
    "256",
    "65535",
    "65536",
    "2147483647",
    "2147483648",
    "4294967295",
    "4294967296",
    "18446744073709551615",
    "18446744073709551616",
    "0x10",
    "010",
    " 1",
    "+1",
    "1:",
    ":1",
    "1:0",
    "32",
    "33",
    "128",
    "129",
];

const WORDS: &[&str] = &[
    "-A",
    "-I",
    "-D",
    "-R",
    "-C",
    "-L",
    "-S",
    "-F",
    "-Z",
    "-N",
    "-X",
    "-P",
    "-E",
    "-v",
    "-n",
    "-x",
    "-4",
    "-6",
    "-w",
    "-W",
    "--line-numbers",
    "-t",
    "nat",
    "mangle",
    "raw",
    "!",
    "--",
    "INPUT",
    "FORWARD",
    "KEEP",
    "EMPTY",
    "ACCEPT",
    "DROP",
    "-j",
    "-g",
    "-p",
    "tcp",
    "-m",
    "-s",
    "-d",
    "-i",
    "-o",
    "-f",
    "-c",
    "-h",
    "-V",
    "--dport",
    "--sport",
    "--comment",
];

/// One mutation of `c`; returns its kind's name.
fn mutate(c: &mut Cmd, r: &mut Rng) -> &'static str {
    let n = c.words.len();
    let i = r.below(n.max(1));
    match r.below(17) {
        0 if n > 0 => {
            c.words.remove(i);
            "drop-word"
        }
        1 if n > 0 => {
            let w = c.words[i].clone();
            c.words.insert(i, w);
            "repeat-word"
        }
        2 if n > 1 => {
            let j = (i + 1) % n;
            c.words.swap(i, j);
            "swap-words"
        }
        3 => {
            let idx = c
                .words
                .iter()
                .enumerate()
                .filter(|(_, w)| w.first().is_some_and(u8::is_ascii_digit))
                .map(|(k, _)| k)
                .collect::<Vec<_>>();
            let b = r.pick(BOUNDARY).as_bytes().to_vec();
            match idx.get(r.below(idx.len())) {
                Some(&k) => c.words[k] = b,
                None => c.words.push(b),
            }
            "boundary-number"
        }
        4 if n > 0 => {
            let len = *r.pick(&[29, 30, 256, 4096, 70000]);
            c.words[i] = vec![b'a'; len];
            "huge-value"
        }
        5 if n > 0 => {
            c.words[i].clear();
            "empty-value"
        }
        6 if n > 0 => {
            let b = *r.pick(&[0xffu8, 0xc3, 0x80, 0x01, b'\t', b'\n']);
            let at = r.below(c.words[i].len() + 1);
            c.words[i].insert(at, b);
            "odd-byte"
        }
        7 if n > 1 => {
            // glue a short option to its value: `-p tcp` → `-ptcp`
            let k = (0..n - 1)
                .find(|&k| {
                    let w = &c.words[(i + k) % (n - 1)];
                    w.len() == 2 && w[0] == b'-'
                })
                .map(|k| (i + k) % (n - 1));
            match k {
                Some(k) => {
                    let v = c.words.remove(k + 1);
                    c.words[k].extend(v);
                }
                None => c.words.insert(0, b"-nL".to_vec()),
            }
            "glued-short"
        }
        8 if n > 0 => {
            let k = (0..n)
                .map(|k| (i + k) % n)
                .find(|&k| c.words[k].starts_with(b"--") && c.words[k].len() > 4);
            match k {
                Some(k) => {
                    let w = &mut c.words[k];
                    let keep = 3 + r.below(w.len() - 3);
                    w.truncate(keep);
                }
                None => c.words.push(b"--lin".to_vec()),
            }
            "abbrev-long"
        }
        9 => {
            let w = r.pick(&[
                "--foo", "--dportx", "--sourc", "-Q", "--=", "--line", "--to",
            ]);
            c.words.insert(i.min(n), w.as_bytes().to_vec());
            "unknown-long"
        }
        10 => {
            let len = *r.pick(&[28usize, 29, 15, 16]);
            let name: Vec<u8> = (0..len).map(|k| b'A' + (k % 26) as u8).collect();
            let k = (0..n).find(|&k| {
                matches!(
                    c.words[k].as_slice(),
                    b"INPUT" | b"KEEP" | b"EMPTY" | b"NEW" | b"eth0" | b"lo"
                )
            });
            match k {
                Some(k) => c.words[k] = name,
                None => {
                    c.words.insert(0, name);
                    c.words.insert(0, b"-N".to_vec());
                }
            }
            "limit-name"
        }
        11 => {
            let len = *r.pick(&[255usize, 256]);
            c.words.push(b"-m".to_vec());
            c.words.push(b"comment".to_vec());
            c.words.push(b"--comment".to_vec());
            c.words.push(vec![b'c'; len]);
            "comment-length"
        }
        12 => {
            c.words.insert(i.min(n), b"!".to_vec());
            "bang"
        }
        13 => {
            let w = r.pick(WORDS).as_bytes().to_vec();
            c.words.insert(r.below(n + 1), w);
            "insert-word"
        }
        14 if n > 0 => {
            let w = r.pick(WORDS).as_bytes().to_vec();
            c.words[i] = w;
            "replace-word"
        }
        15 => {
            let w = r.pick(&["-c", "--set-counters"]).as_bytes().to_vec();
            c.words.push(w);
            c.words.push(r.pick(BOUNDARY).as_bytes().to_vec());
            c.words.push(r.pick(BOUNDARY).as_bytes().to_vec());
            "counters"
        }
        _ => {
            let flag = r.pick(&["-v", "-n", "-x", "--line-numbers", "-w", "-t", "--"]);
            c.words.insert(r.below(n + 1), flag.as_bytes().to_vec());
            "flag"
        }
    }
}

/// A restore input: lines (without their ends) and the flags to run with.
#[derive(Clone, Debug)]
struct Restore {
    fam: Fam,
    lines: Vec<Vec<u8>>,
    flags: Vec<&'static str>,
    crlf: bool,
}

fn restore_bytes(r: &Restore) -> Vec<u8> {
    let mut out = Vec::new();
    for l in &r.lines {
        out.extend_from_slice(l);
        if r.crlf {
            out.push(b'\r');
        }
        out.push(b'\n');
    }
    out
}

/// A valid input made of the base and rules from the corpus, then 0-3
/// mutations; returns the first mutation's kind.
fn gen_restore(corpus: &[Cmd], r: &mut Rng) -> (Restore, &'static str) {
    let fam = if r.chance(6) { Fam::V6 } else { Fam::V4 };
    let mut lines: Vec<Vec<u8>> = Vec::new();
    let base = if fam == Fam::V4 { BASE4 } else { BASE6 };
    // the filter block of the base with some corpus rules added
    let mut filter_end = 0;
    for (k, l) in base.lines().enumerate() {
        lines.push(l.as_bytes().to_vec());
        if l == "COMMIT" && filter_end == 0 {
            filter_end = k;
        }
    }
    let fitting: Vec<&Cmd> = corpus
        .iter()
        .filter(|c| c.fam == fam && c.words.first().map(Vec::as_slice) == Some(b"-A".as_slice()))
        .collect();
    for _ in 0..r.below(6) {
        if let Some(c) = fitting.get(r.below(fitting.len())) {
            lines.insert(filter_end, c.words.join(&b' '));
            filter_end += 1;
        }
    }
    let flags_pool: &[&[&'static str]] = &[
        &[],
        &[],
        &["--noflush"],
        &["--test"],
        &["-c"],
        &["-n", "-c"],
        &["-T", "filter"],
        &["-v"],
    ];
    let mut rs = Restore {
        fam,
        lines,
        flags: r.pick(flags_pool).to_vec(),
        crlf: false,
    };
    let mut first = "none";
    for k in 0..r.below(4) {
        let kind = mutate_restore(&mut rs, r);
        if k == 0 {
            first = kind;
        }
    }
    (rs, first)
}

fn mutate_restore(rs: &mut Restore, r: &mut Rng) -> &'static str {
    let n = rs.lines.len();
    let i = r.below(n.max(1));
    match r.below(14) {
        0 if n > 0 => {
            rs.lines.remove(i);
            "delete-line"
        }
        1 if n > 0 => {
            let l = rs.lines[i].clone();
            rs.lines.insert(i, l);
            "duplicate-line"
        }
        2 if n > 1 => {
            rs.lines.swap(i, (i + 1) % n);
            "swap-lines"
        }
        3 => {
            let bad = r.pick(&[
                "[x:y]",
                "[1:]",
                "[-1:2]",
                "[18446744073709551616:0]",
                "[1:2",
                "[:]",
                "[0:0]x",
            ]);
            match (0..n)
                .map(|k| (i + k) % n)
                .find(|&k| rs.lines[k].starts_with(b":"))
            {
                Some(k) => {
                    let l = String::from_utf8_lossy(&rs.lines[k]).into_owned();
                    let head: Vec<&str> = l.split_whitespace().take(2).collect();
                    rs.lines[k] = format!("{} {bad}", head.join(" ")).into_bytes();
                }
                None => rs
                    .lines
                    .push(format!("{bad} -A INPUT -j ACCEPT").into_bytes()),
            }
            "bad-counters"
        }
        4 => {
            match rs.lines.iter().rposition(|l| l == b"COMMIT") {
                Some(k) => {
                    rs.lines.remove(k);
                }
                None => rs.lines.clear(),
            }
            "missing-commit"
        }
        5 if n > 0 => {
            let q = r.pick(&["\"", "'", "\"a b\"", "\"\\\"\""]);
            let mut l = rs.lines[i].clone();
            l.extend_from_slice(b" -m comment --comment ");
            l.extend_from_slice(q.as_bytes());
            rs.lines[i] = l;
            "quotes"
        }
        6 => {
            rs.crlf = true;
            "crlf"
        }
        7 => {
            // a 1 MiB line: a comment or a rule with a long comment
            let big = vec![b'x'; 1 << 20];
            let mut l = if r.chance(2) {
                b"# ".to_vec()
            } else {
                b"-A INPUT -m comment --comment ".to_vec()
            };
            l.extend(big);
            rs.lines.insert(1.min(n), l);
            "huge-line"
        }
        8 if r.chance(8) => {
            let at = rs
                .lines
                .iter()
                .position(|l| l.starts_with(b":"))
                .unwrap_or(0);
            let chains: Vec<Vec<u8>> = (0..10_000)
                .map(|k| format!(":C{k} - [0:0]").into_bytes())
                .collect();
            rs.lines.splice(at..at, chains);
            "many-chains"
        }
        9 if n > 0 => {
            let at = r.below(rs.lines[i].len() + 1);
            let b = *r.pick(&[0u8, 0xff, b'\t', b'\r', 0x0b]);
            rs.lines[i].insert(at, b);
            "odd-byte"
        }
        10 if n > 0 => {
            let l = String::from_utf8_lossy(&rs.lines[i]).into_owned();
            let mut c = Cmd {
                fam: rs.fam,
                words: words(&l),
            };
            let kind = mutate(&mut c, r);
            rs.lines[i] = c.words.join(&b' ');
            kind
        }
        11 => {
            let l = r.pick(&[
                "-N NEW",
                "-X EMPTY",
                "-F",
                "-Z",
                "-P INPUT DROP",
                "-D INPUT 1",
                "-I INPUT 9 -j DROP",
                "-R KEEP 1 -j ACCEPT",
                "-E EMPTY RENAMED",
                "-X KEEP",
                ":INPUT DROP [5:6]",
                ":NEW - [0:0]",
                "*nat",
                "*mangle",
                "*foo",
                "-t nat -A INPUT",
                "-L",
                "-S",
                "COMMIT",
                "#x",
                "",
            ]);
            rs.lines.insert(r.below(n + 1), l.as_bytes().to_vec());
            "insert-line"
        }
        12 => {
            let f = r.pick(&["--noflush", "--test", "-c", "-v", "-w", "--foo", "-T nat"]);
            rs.flags.extend(f.split(' '));
            "flag"
        }
        _ => {
            let k = r.below(n.max(1));
            if k < n {
                let t = rs.lines[k].iter().rposition(|b| *b == b' ').unwrap_or(0);
                rs.lines[k].truncate(t);
            }
            "truncate-line"
        }
    }
}

// ---------------------------------------------------------------- running

/// One tool's result.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Res {
    status: i32,
    stdout: String,
    stderr: String,
    /// ran past the time limit (killed)
    hung: bool,
}

/// Two network namespaces held by the calling thread, one per tool.
struct Spaces {
    host: String,
    fds: [OwnedFd; 2],
}

fn ns_id() -> String {
    std::fs::read_link("/proc/thread-self/ns/net")
        .map(|p| p.display().to_string())
        .unwrap_or_default()
}

impl Spaces {
    fn new(host: &str) -> Spaces {
        let mut fds = Vec::new();
        for _ in 0..2 {
            // SAFETY: unshare changes only this thread's network namespace.
            let rc = unsafe { libc::unshare(libc::CLONE_NEWNET) };
            assert_eq!(
                rc,
                0,
                "unshare(CLONE_NEWNET): {}",
                std::io::Error::last_os_error()
            );
            assert_ne!(ns_id(), host, "not in a private namespace");
            let f = std::fs::File::open("/proc/thread-self/ns/net").expect("open own netns");
            // SAFETY: the fd was just opened and is owned here.
            fds.push(unsafe { OwnedFd::from_raw_fd(std::os::unix::io::IntoRawFd::into_raw_fd(f)) });
        }
        let fds: [OwnedFd; 2] = fds.try_into().expect("two namespaces");
        Spaces {
            host: host.to_string(),
            fds,
        }
    }
    /// Moves this thread into namespace `k` (0 reference, 1 rxtables).
    fn enter(&self, k: usize) {
        // SAFETY: setns on an fd of a network namespace we own.
        let rc = unsafe { libc::setns(self.fds[k].as_raw_fd(), libc::CLONE_NEWNET) };
        assert_eq!(rc, 0, "setns: {}", std::io::Error::last_os_error());
        assert_ne!(ns_id(), self.host, "not in a private namespace");
    }
}

struct Runner {
    tmp: common::TempDir,
    refdir: PathBuf,
    ourdir: PathBuf,
    spaces: Spaces,
    host: String,
    /// per family: the namespaces' rules are the base's
    clean: [bool; 2],
    base_save: [String; 2],
    /// per family: the last save of each namespace (reset reads it
    /// instead of saving again)
    last_save: [[String; 2]; 2],
    execs: u64,
}

fn tool(dir: &Path, fam: Fam, what: &str) -> PathBuf {
    dir.join(format!("{}{what}", fam.name()))
}

fn fi(f: Fam) -> usize {
    match f {
        Fam::V4 => 0,
        Fam::V6 => 1,
    }
}

impl Runner {
    fn new() -> Runner {
        let host = ns_id();
        let refdir = common::release_tool("1.8.13", "iptables")
            .parent()
            .expect("reference dir")
            .to_path_buf();
        let ourdir = match std::env::var("FUZZ_BIN_DIR") {
            Ok(d) => PathBuf::from(d),
            Err(_) => common::links().to_path_buf(),
        };
        let mut r = Runner {
            tmp: common::TempDir::new("fuzz"),
            refdir,
            ourdir,
            spaces: Spaces::new(&host),
            host,
            clean: [false; 2],
            base_save: [String::new(), String::new()],
            last_save: Default::default(),
            execs: 0,
        };
        for f in [Fam::V4, Fam::V6] {
            r.reset(f);
            r.spaces.enter(0);
            r.base_save[fi(f)] = r.save(0, f);
        }
        r
    }

    /// Runs `prog args` in namespace `k` with `input` on stdin.
    fn exec(
        &mut self,
        k: usize,
        prog: &Path,
        args: &[&[u8]],
        input: Option<&[u8]>,
        limit: Duration,
    ) -> Res {
        self.spaces.enter(k);
        self.execs += 1;
        let out = self.tmp.path().join("out");
        let err = self.tmp.path().join("err");
        let inp = self.tmp.path().join("in");
        let stdin = match input {
            Some(b) => {
                std::fs::write(&inp, b).expect("write input");
                Stdio::from(std::fs::File::open(&inp).expect("open input"))
            }
            None => Stdio::null(),
        };
        let mut child = Command::new(prog)
            .args(args.iter().map(|a| OsStr::from_bytes(a)))
            .env("LC_ALL", "C")
            .stdin(stdin)
            .stdout(std::fs::File::create(&out).expect("stdout file"))
            .stderr(std::fs::File::create(&err).expect("stderr file"))
            .spawn()
            .unwrap_or_else(|e| panic!("spawn {}: {e}", prog.display()));
        let start = Instant::now();
        let mut hung = false;
        let status = loop {
            match child.try_wait().expect("wait") {
                Some(s) => break s,
                None if start.elapsed() > limit => {
                    hung = true;
                    let _ = child.kill();
                    break child.wait().expect("wait killed");
                }
                None => std::thread::sleep(Duration::from_micros(300)),
            }
        };
        use std::os::unix::process::ExitStatusExt;
        let read =
            |p: &Path| String::from_utf8_lossy(&std::fs::read(p).unwrap_or_default()).into_owned();
        Res {
            status: status.code().unwrap_or(128 + status.signal().unwrap_or(0)),
            stdout: read(&out),
            stderr: read(&err),
            hung,
        }
    }

    /// The reference's `-save -c` text of family `f` in namespace `k`,
    /// comment lines dropped.
    fn save(&mut self, k: usize, f: Fam) -> String {
        let prog = tool(&self.refdir.clone(), f, "-save");
        let r = self.exec(k, &prog, &[b"-c"], None, Duration::from_secs(60));
        common::strip_save_comments(&r.stdout)
    }

    /// Both namespaces back to the base rules of `f` (new namespaces when
    /// a table outside the base is left).
    fn reset(&mut self, f: Fam) {
        if self.clean[fi(f)] {
            return;
        }
        let extra = |s: &str, f: Fam| {
            s.lines().filter(|l| l.starts_with('*')).any(|l| match f {
                Fam::V4 => l != "*filter" && l != "*nat",
                Fam::V6 => l != "*filter",
            })
        };
        let prog = tool(&self.refdir.clone(), f, "-restore");
        let base = if f == Fam::V4 { BASE4 } else { BASE6 };
        for k in 0..2 {
            let now = std::mem::take(&mut self.last_save[fi(f)][k]);
            if extra(&now, f) {
                self.spaces = Spaces::new(&self.host);
                self.clean = [false; 2];
                return self.reset_all();
            }
            let r = self.exec(
                k,
                &prog,
                &[],
                Some(base.as_bytes()),
                Duration::from_secs(60),
            );
            assert_eq!(r.status, 0, "base restore failed: {}", r.stderr);
        }
        self.clean[fi(f)] = true;
    }

    fn reset_all(&mut self) {
        for f in [Fam::V4, Fam::V6] {
            let prog = tool(&self.refdir.clone(), f, "-restore");
            let base = if f == Fam::V4 { BASE4 } else { BASE6 };
            for k in 0..2 {
                let r = self.exec(
                    k,
                    &prog,
                    &[],
                    Some(base.as_bytes()),
                    Duration::from_secs(60),
                );
                assert_eq!(r.status, 0, "base restore failed: {}", r.stderr);
            }
            self.clean[fi(f)] = true;
        }
    }

    /// Runs one case with both tools: (reference, ours, save after with
    /// the reference, save after with ours).
    fn run(&mut self, fam: Fam, case: &Case) -> Outcome {
        self.reset(fam);
        let mut res = Vec::new();
        let mut saves = Vec::new();
        for k in 0..2 {
            let dir = if k == 0 {
                self.refdir.clone()
            } else {
                self.ourdir.clone()
            };
            let r = match case {
                Case::Cmd(c) => {
                    let args: Vec<&[u8]> = c.words.iter().map(Vec::as_slice).collect();
                    self.exec(
                        k,
                        &tool(&dir, fam, ""),
                        &args,
                        None,
                        Duration::from_secs(20),
                    )
                }
                Case::Restore(rs) => {
                    let args: Vec<&[u8]> = rs.flags.iter().map(|s| s.as_bytes()).collect();
                    let input = restore_bytes(rs);
                    self.exec(
                        k,
                        &tool(&dir, fam, "-restore"),
                        &args,
                        Some(&input),
                        Duration::from_secs(60),
                    )
                }
            };
            res.push(r);
            saves.push(self.save(k, fam));
        }
        let base = self.base_save[fi(fam)].clone();
        if saves.iter().any(|s| *s != base) {
            self.clean[fi(fam)] = false;
            self.last_save[fi(fam)] = [saves[0].clone(), saves[1].clone()];
        }
        let ours = res.pop().expect("ours");
        let reference = res.pop().expect("reference");
        let our_save = saves.pop().expect("our save");
        let ref_save = saves.pop().expect("ref save");
        Outcome {
            reference,
            ours,
            ref_save,
            our_save,
            base,
        }
    }
}

/// Does the case ask for `-v` twice or more (`-v -v`, `-vv`, `--verbose`)?
fn very_verbose(case: &Case) -> bool {
    let count = |w: &[u8]| -> usize {
        if w == b"--verbose" {
            1
        } else if w.len() > 1 && w[0] == b'-' && w[1] != b'-' {
            w.iter().filter(|b| **b == b'v').count()
        } else {
            0
        }
    };
    let n: usize = match case {
        Case::Cmd(c) => c.words.iter().map(|w| count(w)).sum(),
        Case::Restore(r) => r.flags.iter().map(|f| count(f.as_bytes())).sum(),
    };
    n >= 2
}

#[derive(Clone, Debug)]
enum Case {
    Cmd(Cmd),
    Restore(Restore),
}

struct Outcome {
    reference: Res,
    ours: Res,
    ref_save: String,
    our_save: String,
    base: String,
}

/// Replaces version numbers so messages of the two tools compare.
fn norm(s: &str) -> String {
    s.lines()
        .map(common::normalize_version)
        .collect::<Vec<_>>()
        .join("\n")
}

/// What is wrong with a case: hard failures (always fatal) and the
/// disagreement class keys (without the mutation part).
fn judge(o: &Outcome) -> (Vec<String>, Vec<String>) {
    let (r, u) = (&o.reference, &o.ours);
    let mut hard = Vec::new();
    let mut classes = Vec::new();
    if u.stderr.contains("panicked at") || u.status == 101 {
        hard.push("panic".to_string());
    }
    if u.hung {
        hard.push("hang".to_string());
    }
    if !(0..=4).contains(&u.status) && !u.hung {
        hard.push(format!("exit-status-{}", u.status));
    }
    if u.status != 0 && o.our_save != o.base && o.ref_save != o.our_save {
        hard.push("dirty-failure".to_string());
    }
    // rxtables has no such extension, or the kernel has none (the
    // reference warns): one class whatever else differs
    let ext_gap = u.stderr.contains("Couldn't load match")
        || u.stderr.contains("Couldn't load target")
        || r.stderr.contains("Warning: Extension");
    let differs = r.status != u.status || o.ref_save != o.our_save || r.stdout != u.stdout;
    if ext_gap && differs {
        classes.push("unsupported-extension".to_string());
        return (hard, classes);
    }
    if r.status != u.status {
        classes.push(format!("status|{}->{}", r.status, u.status));
    } else if r.status != 0 && o.our_save == o.base && o.ref_save != o.base {
        // a restore that fails after an earlier COMMIT: iptables keeps
        // the blocks committed before, rxtables' one transaction nothing
        classes.push(format!("ruleset-atomic|{}", r.status));
    } else {
        if o.ref_save != o.our_save {
            classes.push(format!("ruleset|{}", r.status));
        }
        if r.stdout != u.stdout {
            if r.status == 0 && r.stdout.is_empty() {
                classes.push("stdout-on-success".to_string());
            } else {
                classes.push(format!("stdout|{}", r.status));
            }
        }
        if norm(&r.stderr) != norm(&u.stderr) {
            classes.push(format!("stderr|{}", r.status));
        }
    }
    (hard, classes)
}

/// The command letter a command line's seed form had (`-A`, `-L`, ...).
fn form_of(c: &Cmd) -> String {
    for w in &c.words {
        if w.len() >= 2 && w[0] == b'-' && w[1] != b'-' && b"ACDIRLSFZNXPEVh".contains(&w[1]) {
            return format!("-{}", w[1] as char);
        }
    }
    "none".to_string()
}

fn show_words(w: &[Vec<u8>]) -> String {
    w.iter()
        .map(|x| {
            let s = String::from_utf8_lossy(x);
            if x.is_empty()
                || x.iter()
                    .any(|b| !b.is_ascii_graphic() || b"'\"\\$`!*?;&|<>()".contains(b))
            {
                format!(
                    "$'{}'",
                    x.iter()
                        .map(|b| match b {
                            b'\'' => "\\'".to_string(),
                            b'\\' => "\\\\".to_string(),
                            0x20..=0x7e => (*b as char).to_string(),
                            _ => format!("\\x{b:02x}"),
                        })
                        .collect::<String>()
                )
            } else if x.len() > 64 {
                format!(
                    "$(printf '%.0s{}' {{1..{}}})",
                    s.chars().next().unwrap_or('a'),
                    x.len()
                )
            } else {
                s.into_owned()
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// A restore line as text, odd bytes as `\xNN`.
fn show_line(l: &[u8]) -> String {
    l.iter()
        .map(|b| match b {
            0x20..=0x7e => (*b as char).to_string(),
            _ => format!("\\x{b:02x}"),
        })
        .collect()
}

fn show_case(c: &Case) -> String {
    match c {
        Case::Cmd(c) => format!("{} {}", c.fam.name(), show_words(&c.words)),
        Case::Restore(r) => {
            let mut s = format!(
                "{}-restore {}{} <<EOF\n",
                r.fam.name(),
                r.flags.join(" "),
                if r.crlf { " (CRLF line ends)" } else { "" }
            );
            for l in &r.lines {
                if l.len() > 200 {
                    s.push_str(&format!(
                        "{}... ({} bytes)\n",
                        String::from_utf8_lossy(&l[..60]),
                        l.len()
                    ));
                } else {
                    s.push_str(&show_line(l));
                    s.push('\n');
                }
            }
            if r.lines.len() > 60 {
                s = format!(
                    "{}-restore {} ({} lines)\n",
                    r.fam.name(),
                    r.flags.join(" "),
                    r.lines.len()
                );
            }
            s.push_str("EOF");
            s
        }
    }
}

/// A disagreement class and what was seen of it.
struct ClassInfo {
    count: u64,
    repro: Case,
    repro_size: usize,
    detail: String,
}

fn size_of(c: &Case) -> usize {
    match c {
        Case::Cmd(c) => c.words.iter().map(|w| w.len() + 1).sum(),
        Case::Restore(r) => r.lines.iter().map(|l| l.len() + 1).sum::<usize>() + r.flags.len() * 4,
    }
}

fn detail(o: &Outcome) -> String {
    let d = common::diff(&o.ref_save, &o.our_save);
    let mut s = format!(
        "  reference: status {}, stderr {:?}, stdout {:?}\n  rxtables:  status {}, stderr {:?}, stdout {:?}",
        o.reference.status,
        clip(&o.reference.stderr),
        clip(&o.reference.stdout),
        o.ours.status,
        clip(&o.ours.stderr),
        clip(&o.ours.stdout)
    );
    if o.ref_save != o.our_save {
        s.push_str(&format!(
            "\n  ruleset (- reference, + rxtables):\n{}",
            clip_lines(&d)
        ));
    }
    s
}

fn clip(s: &str) -> String {
    let t: String = s.chars().take(300).collect();
    if t.len() < s.len() {
        format!("{t}...")
    } else {
        t
    }
}

fn clip_lines(s: &str) -> String {
    s.lines()
        .take(12)
        .map(|l| format!("    {}", clip(l)))
        .collect::<Vec<_>>()
        .join("\n")
}

fn env_num(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// `pattern` matches `key`, a `*` in it standing for any text.
fn glob(pattern: &str, key: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    if parts.len() == 1 {
        return pattern == key;
    }
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if !key.starts_with(first) || key.len() < first.len() + last.len() || !key.ends_with(last) {
        return false;
    }
    let mut rest = &key[first.len()..key.len() - last.len()];
    for mid in &parts[1..parts.len() - 1] {
        match rest.find(mid) {
            Some(i) => rest = &rest[i + mid.len()..],
            None => return false,
        }
    }
    true
}

/// Smaller variants of a case: one word or line fewer.
fn shrink_candidates(c: &Case) -> Vec<Case> {
    let mut v = Vec::new();
    match c {
        Case::Cmd(cmd) => {
            for i in (0..cmd.words.len()).rev() {
                let mut x = cmd.clone();
                x.words.remove(i);
                v.push(Case::Cmd(x));
            }
        }
        Case::Restore(r) => {
            if r.lines.len() > 200 {
                return v;
            }
            for i in (0..r.lines.len()).rev() {
                let mut x = r.clone();
                x.lines.remove(i);
                v.push(Case::Restore(x));
            }
            for i in (0..r.flags.len()).rev() {
                let mut x = r.clone();
                x.flags.remove(i);
                v.push(Case::Restore(x));
            }
        }
    }
    v
}

#[test]
fn differential_fuzz() {
    let seed = env_num("FUZZ_SEED", 12);
    let n_cmds = env_num("FUZZ_CMDS", 2000);
    let n_restores = env_num("FUZZ_RESTORES", 200);
    let shrink_budget = env_num("FUZZ_SHRINK", 48);
    let report_path = std::env::var("FUZZ_REPORT")
        .map(PathBuf::from)
        .unwrap_or_else(|_| {
            Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("target/fuzz-report-{seed}.txt"))
        });
    let known_path = std::env::var("FUZZ_KNOWN")
        .map(PathBuf::from)
        .unwrap_or_else(|_| {
            Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz/known-classes.txt")
        });
    // `key  # reason` lines; a key ending in `*` covers every key it starts
    let known: Vec<String> = std::fs::read_to_string(&known_path)
        .unwrap_or_default()
        .lines()
        .map(|l| l.split('#').next().unwrap_or("").trim().to_string())
        .filter(|l| !l.is_empty())
        .collect();
    let is_known = move |k: &str| known.iter().any(|p| glob(p, k));
    let corpus = corpus();
    let mut rng = Rng(seed);
    // The fuzzer moves its own thread between namespaces: a thread of its own.
    let handle = std::thread::spawn(move || {
        let mut run = Runner::new();
        let mut classes: BTreeMap<String, ClassInfo> = BTreeMap::new();
        let mut hard: BTreeMap<String, ClassInfo> = BTreeMap::new();
        let started = Instant::now();
        let total = n_cmds + n_restores;
        let (mut cmds_done, mut restores_done) = (0u64, 0u64);
        let write_report = |classes: &BTreeMap<String, ClassInfo>,
                            hard: &BTreeMap<String, ClassInfo>,
                            cmds_done: u64,
                            restores_done: u64,
                            execs: u64,
                            done: bool| {
            let mut s = format!(
                "# rxtables differential fuzz, seed {seed}{}\n# cases: {cmds_done} command lines, {restores_done} restore inputs ({} tool executions in all, {:.0} s)\n",
                if done { "" } else { " (in progress)" },
                execs,
                started.elapsed().as_secs_f64()
            );
            let gating = |k: &str| !k.contains("|stderr|");
            s.push_str(&format!(
                "# hard failures: {}; classes: {} ({} known, {} new gating, {} stderr-only)\n\n",
                hard.len(),
                classes.len(),
                classes.keys().filter(|k| is_known(k)).count(),
                classes.keys().filter(|k| !is_known(k) && gating(k)).count(),
                classes.keys().filter(|k| !gating(k)).count()
            ));
            for (title, map) in [("HARD FAILURE", hard), ("CLASS", classes)] {
                for (k, c) in map {
                    let tag = if title == "CLASS" {
                        if is_known(k) {
                            "known"
                        } else if gating(k) {
                            "NEW"
                        } else {
                            "stderr-only"
                        }
                    } else {
                        "FATAL"
                    };
                    s.push_str(&format!(
                        "== {title} [{tag}] {k}  ({} cases)\n{}\n{}\n\n",
                        c.count,
                        show_case(&c.repro),
                        c.detail
                    ));
                }
            }
            let _ = std::fs::write(&report_path, s);
        };
        for n in 0..total {
            // restore inputs spread evenly among the command lines, so a
            // run stopped early has tried both
            let is_restore = (n + 1) * n_restores / total > n * n_restores / total;
            let (case, fam, mutation) = if !is_restore {
                let mut c = rng.pick(&corpus).clone();
                let mut first = "none";
                let k = 1 + rng.below(3);
                for j in 0..k {
                    let m = mutate(&mut c, &mut rng);
                    if j == 0 {
                        first = m;
                    }
                }
                // argv cannot hold NUL bytes: they go to the restore inputs
                for w in &mut c.words {
                    w.retain(|b| *b != 0);
                }
                let fam = c.fam;
                cmds_done += 1;
                (Case::Cmd(c), fam, first)
            } else {
                let (r, m) = gen_restore(&corpus, &mut rng);
                let fam = r.fam;
                restores_done += 1;
                (Case::Restore(r), fam, m)
            };
            let mut prefix = match &case {
                Case::Cmd(c) => format!("{}|{}", fam.name(), form_of(c)),
                Case::Restore(_) => format!("{}-restore", fam.name()),
            };
            // `-v -v` (libnftnl's debug dump of the batch) is a class of
            // its own, whatever the mutation
            if very_verbose(&case) {
                prefix.push_str("|vv");
            }
            let o = run.run(fam, &case);
            let (h, cl) = judge(&o);
            for (is_hard, keys) in [(true, h), (false, cl)] {
                for k in keys {
                    let key = if k == "unsupported-extension" || k.starts_with("ruleset-atomic") {
                        format!("{prefix}|{k}")
                    } else {
                        format!("{prefix}|{k}|{mutation}")
                    };
                    let map = if is_hard { &mut hard } else { &mut classes };
                    let size = size_of(&case);
                    match map.get_mut(&key) {
                        Some(info) => {
                            info.count += 1;
                            if size < info.repro_size {
                                info.repro = case.clone();
                                info.repro_size = size;
                                info.detail = detail(&o);
                            }
                        }
                        None => {
                            // shrink: drop words/lines while the class stays
                            let mut best = case.clone();
                            let mut best_o = detail(&o);
                            let mut budget = shrink_budget;
                            let want = k.clone();
                            'outer: while budget > 0 {
                                for cand in shrink_candidates(&best) {
                                    if budget == 0 {
                                        break 'outer;
                                    }
                                    budget -= 1;
                                    let co = run.run(fam, &cand);
                                    let (ch, ccl) = judge(&co);
                                    if ch.contains(&want) || ccl.contains(&want) {
                                        best = cand;
                                        best_o = detail(&co);
                                        continue 'outer;
                                    }
                                }
                                break;
                            }
                            let size = size_of(&best);
                            eprintln!(
                                "fuzz: new {} {key}: {}",
                                if is_hard { "HARD FAILURE" } else { "class" },
                                show_case(&best).lines().next().unwrap_or("")
                            );
                            map.insert(
                                key,
                                ClassInfo {
                                    count: 1,
                                    repro: best,
                                    repro_size: size,
                                    detail: best_o,
                                },
                            );
                        }
                    }
                }
            }
            if (n + 1) % 500 == 0 {
                eprintln!(
                    "fuzz: {} / {total} cases, {} classes, {} hard, {:.0} s",
                    n + 1,
                    classes.len(),
                    hard.len(),
                    started.elapsed().as_secs_f64()
                );
                write_report(&classes, &hard, cmds_done, restores_done, run.execs, false);
            }
        }
        write_report(&classes, &hard, cmds_done, restores_done, run.execs, true);
        let new: Vec<String> = classes
            .keys()
            .filter(|k| !is_known(k) && !k.contains("|stderr|"))
            .cloned()
            .collect();
        (hard.keys().cloned().collect::<Vec<_>>(), new)
    });
    let (hard, new) = handle.join().expect("fuzz thread");
    let _ = std::io::stderr().flush();
    assert!(
        hard.is_empty() && new.is_empty(),
        "fuzz: {} hard failure(s) {:?}, {} new class(es) {:?}; see the report ({})",
        hard.len(),
        hard,
        new.len(),
        new,
        std::env::var("FUZZ_REPORT").unwrap_or_else(|_| format!("target/fuzz-report-{seed}.txt"))
    );
}

#[test]
fn known_class_patterns() {
    assert!(glob(
        "iptables|*|unsupported-extension",
        "iptables|-A|unsupported-extension"
    ));
    assert!(glob(
        "*-restore|ruleset-atomic|*",
        "ip6tables-restore|ruleset-atomic|2"
    ));
    assert!(glob(
        "iptables|-A|status|0->2|flag",
        "iptables|-A|status|0->2|flag"
    ));
    assert!(!glob(
        "iptables|-A|status|0->2|flag",
        "iptables|-A|status|0->2|bang"
    ));
    assert!(!glob(
        "iptables|*|unsupported-extension",
        "ip6tables|-A|unsupported-extension"
    ));
}
