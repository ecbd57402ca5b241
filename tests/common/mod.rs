//! Helpers shared by the integration tests.
//!
//! Every test that touches rules runs in a private network namespace made with
//! `unshare -n` (one per call of [`ns_bash`] / [`run_seq`]), never in the
//! machine's own namespace. Each namespace script first checks that its
//! network namespace differs from the test process's and exits 99 otherwise.
//!
//! Two kinds of runs:
//! - [`ns_bash`]: a bash script in a fresh namespace. `iptables`, `ip6tables`,
//!   `iptables-save`, ... on its `PATH` are rxtables' applet links; the
//!   reference is always called by its explicit names (`iptables-nft`,
//!   `iptables-nft-save`, `ip6tables-nft`, ...). `$RX` is the rxtables binary.
//!
//! **The reference is iptables 1.8.13.** In every namespace script the names
//! `iptables-nft`, `ip6tables-nft`, `iptables-nft-save`, ... resolve (through
//! [`ref_bin`], first on `PATH` after the applet links) to 1.8.13 from
//! `/opt/iptables-sid/bin`, not to the system's 1.8.9. Each of the three
//! releases people run is also there by a versioned name, for interop tests:
//! `iptables-1.8.9`, `iptables-save-1.8.9`, `ip6tables-restore-1.8.11`,
//! `iptables-1.8.13`, ... (see [`RELEASES`]). `../shared/oracle/install` puts
//! 1.8.11 and 1.8.13 in `/opt` (`.ci/run` runs it).
//! - [`run_seq`] / [`run_both`]: the same list of commands run once with the
//!   reference and once with rxtables, each in its own fresh namespace. A
//!   command whose first word is an applet name (`iptables`, `ip6tables`,
//!   `iptables-save`, ...) runs the tool under test; anything else
//!   (`iptables-nft`, `nft`, ...) runs as written on both sides.
//!
//! The tests need root (or at least CAP_SYS_ADMIN + CAP_NET_ADMIN), Debian
//! 12's `iptables` (1.8.9) and `nftables` packages, and the releases that
//! `../shared/oracle/install` unpacks.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;

/// The applet names of the multi-call binary, and the reference tool that
/// plays the same part.
pub const APPLETS: &[(&str, &str)] = &[
    ("iptables", "iptables-nft"),
    ("ip6tables", "ip6tables-nft"),
    ("iptables-save", "iptables-nft-save"),
    ("ip6tables-save", "ip6tables-nft-save"),
    ("iptables-restore", "iptables-nft-restore"),
    ("ip6tables-restore", "ip6tables-nft-restore"),
];

/// The iptables releases rxtables is tested against: (version, directory
/// holding `iptables`, `iptables-save`, ... of that release, or `None` for the
/// system's 1.8.9 whose tools are `iptables-nft`, `iptables-nft-save`, ...).
pub const RELEASES: &[(&str, Option<&str>)] = &[
    ("1.8.9", None),
    ("1.8.11", Some("/opt/iptables-trixie/bin")),
    ("1.8.13", Some("/opt/iptables-sid/bin")),
];

/// The release the reference names (`iptables-nft`, ...) stand for.
pub const REFERENCE_RELEASE: &str = "1.8.13";

/// The six tool names of a release (`iptables`, `iptables-save`, ...).
pub const TOOLS: &[&str] = &[
    "iptables",
    "ip6tables",
    "iptables-save",
    "ip6tables-save",
    "iptables-restore",
    "ip6tables-restore",
];

/// The executable of `tool` (one of [`TOOLS`]) of release `version`.
pub fn release_tool(version: &str, tool: &str) -> PathBuf {
    let (_, dir) = RELEASES
        .iter()
        .find(|(v, _)| *v == version)
        .unwrap_or_else(|| panic!("unknown release {version}"));
    match dir {
        Some(d) => Path::new(d).join(tool),
        None => {
            // iptables-nft, iptables-nft-save, ... (Debian 12's package)
            let (fam, rest) = tool.split_once("tables").expect("a tool name");
            let found = ["/usr/sbin", "/sbin", "/usr/bin"]
                .iter()
                .map(|d| Path::new(d).join(format!("{fam}tables-nft{rest}")))
                .find(|p| p.exists());
            found.unwrap_or_else(|| Path::new("/usr/sbin").join(format!("{fam}tables-nft{rest}")))
        }
    }
}

/// A directory of links, made once per test binary: the reference names
/// (`iptables-nft`, `iptables-nft-save`, ...) → iptables 1.8.13, and
/// `<tool>-<version>` → that release's tool for each of [`RELEASES`].
/// Panics with the way out when a release is not installed.
pub fn ref_bin() -> &'static Path {
    static DIR: OnceLock<TempDir> = OnceLock::new();
    DIR.get_or_init(|| {
        let d = TempDir::new("refbin");
        for (version, _) in RELEASES {
            for tool in TOOLS {
                let target = release_tool(version, tool);
                assert!(
                    target.exists(),
                    "{} (iptables {version}) is missing: install Debian's iptables package \
                     and run ../shared/oracle/install",
                    target.display()
                );
                // A wrapper, not a link: xtables-nft-multi picks its applet
                // by the name it is called as.
                let wrap = |name: String| {
                    let p = d.path().join(name);
                    let text = format!("#!/bin/sh\nexec '{}' \"$@\"\n", target.display());
                    std::fs::write(&p, text).expect("write wrapper");
                    std::fs::set_permissions(
                        &p,
                        std::os::unix::fs::PermissionsExt::from_mode(0o755),
                    )
                    .expect("chmod wrapper");
                };
                wrap(format!("{tool}-{version}"));
                if *version == REFERENCE_RELEASE {
                    let (fam, rest) = tool.split_once("tables").expect("a tool name");
                    wrap(format!("{fam}tables-nft{rest}"));
                }
            }
        }
        d
    })
    .path()
}

/// Upper bound for any single command inside a namespace script (seconds).
/// A hang is a failure (exit status 124 from `timeout`), not a stuck test run.
pub const CMD_TIMEOUT: u32 = 120;

/// The `Try ...` line iptables prints after a parameter problem.
pub const TRY_LINE: &str = "Try `iptables -h' or 'iptables --help' for more information.";
pub const TRY_LINE6: &str = "Try `ip6tables -h' or 'ip6tables --help' for more information.";

/// The built rxtables binary.
pub fn bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_rxtables"))
}

/// A directory removed (with its contents) when dropped.
pub struct TempDir(PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> TempDir {
        static N: AtomicUsize = AtomicUsize::new(0);
        let n = N.fetch_add(1, Ordering::SeqCst);
        let base = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
        let p = base.join(format!(
            "{}-{}-{}-{}",
            env!("CARGO_CRATE_NAME"),
            tag,
            std::process::id(),
            n
        ));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).unwrap_or_else(|e| panic!("mkdir {}: {e}", p.display()));
        TempDir(p)
    }
    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A fresh temp dir holding the applet links made by `rxtables install-links DIR`.
/// Panics (with the binary's output) if install-links fails or a link is missing.
pub fn make_links() -> TempDir {
    let d = TempDir::new("links");
    let out = Command::new(bin())
        .arg("install-links")
        .arg(d.path())
        .stdin(Stdio::null())
        .output()
        .expect("run rxtables install-links");
    assert!(
        out.status.success(),
        "rxtables install-links {} failed: {:?}\nstdout: {}\nstderr: {}",
        d.path().display(),
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    for (name, _) in APPLETS {
        let l = d.path().join(name);
        assert!(l.exists(), "install-links did not create {}", l.display());
    }
    d
}

/// The links dir shared by all tests of one test binary (made once; a static
/// is never dropped, so dirs left by earlier, finished runs are removed here).
pub fn links() -> &'static Path {
    static LINKS: OnceLock<TempDir> = OnceLock::new();
    LINKS
        .get_or_init(|| {
            remove_stale_temp_dirs();
            make_links()
        })
        .path()
}

/// Removes `<crate>-*-<pid>-<n>` dirs of this test binary whose process is gone.
fn remove_stale_temp_dirs() {
    let base = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    let prefix = format!("{}-", env!("CARGO_CRATE_NAME"));
    let Ok(rd) = std::fs::read_dir(&base) else {
        return;
    };
    for e in rd.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        let Some(rest) = name.strip_prefix(&prefix) else {
            continue;
        };
        let parts: Vec<&str> = rest.rsplitn(3, '-').collect();
        if parts.len() == 3 {
            if let Ok(pid) = parts[1].parse::<u32>() {
                if pid != std::process::id() && !Path::new(&format!("/proc/{pid}")).exists() {
                    let _ = std::fs::remove_dir_all(e.path());
                }
            }
        }
    }
}

/// Output of a process.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Output {
    pub status: i32,
    pub stdout: String,
    pub stderr: String,
}

fn host_netns() -> String {
    std::fs::read_link("/proc/self/ns/net")
        .map(|p| p.display().to_string())
        .expect("readlink /proc/self/ns/net")
}

/// Checks once that `unshare -n` works here (root), with a clear message if not.
fn check_unshare() {
    static OK: OnceLock<()> = OnceLock::new();
    OK.get_or_init(|| {
        let r = Command::new("unshare").args(["-n", "true"]).stdin(Stdio::null()).output();
        match r {
            Ok(o) if o.status.success() => {}
            Ok(o) => panic!(
                "`unshare -n true` failed ({:?}: {}): these tests need root to make private network namespaces",
                o.status,
                String::from_utf8_lossy(&o.stderr).trim()
            ),
            Err(e) => panic!("cannot run unshare (util-linux): {e}"),
        }
    });
}

/// Prologue of every namespace script: refuse to run in the host namespace.
fn guard() -> String {
    format!(
        "if [ \"$(readlink /proc/self/ns/net)\" = '{}' ]; then echo 'not in a private netns' >&2; exit 99; fi\n",
        host_netns()
    )
}

/// Runs `script` with bash inside a fresh `unshare -n` network namespace.
/// PATH starts with the rxtables applet links; `$RX` is the binary,
/// `$RXBIN` the links dir. Stdin is /dev/null.
pub fn ns_bash(script: &str) -> Output {
    check_unshare();
    let full = format!("{}{}", guard(), script);
    let path = format!(
        "{}:{}:{}",
        links().display(),
        ref_bin().display(),
        std::env::var("PATH").unwrap_or_else(|_| "/usr/sbin:/usr/bin:/sbin:/bin".into())
    );
    let out = Command::new("unshare")
        .args(["-n", "--", "bash", "-c", &full])
        .env("PATH", path)
        .env("RX", bin())
        .env("RXBIN", links())
        .env("LC_ALL", "C")
        .stdin(Stdio::null())
        .output()
        .expect("run unshare -n bash");
    let o = Output {
        status: out.status.code().unwrap_or(128 + signal_of(&out.status)),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    };
    assert_ne!(o.status, 99, "namespace guard tripped: {}", o.stderr);
    o
}

fn signal_of(s: &std::process::ExitStatus) -> i32 {
    use std::os::unix::process::ExitStatusExt;
    s.signal().unwrap_or(0)
}

/// Which implementation a [`run_seq`] uses for the tool under test.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Impl {
    /// the reference, iptables 1.8.13 (`iptables-nft`, `iptables-nft-save`, ...)
    Reference,
    /// one of [`RELEASES`] by version (`iptables-1.8.9`, ...)
    Release(&'static str),
    /// rxtables through its applet links
    Ours,
}

/// One command of a sequence: its result, and (with snapshots) the reference
/// save tools' output right after it (comment lines stripped).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    pub cmd: String,
    pub status: i32,
    pub stdout: String,
    pub stderr: String,
    pub save4: Option<String>,
    pub save6: Option<String>,
}

/// The result of a sequence: every step plus the final `iptables-nft-save` and
/// `ip6tables-nft-save` output with `# Generated`/`# Completed` lines stripped.
#[derive(Debug, Clone)]
pub struct Run {
    pub which: Impl,
    pub steps: Vec<Step>,
    pub save4: String,
    pub save6: String,
}

/// Drops the `# Generated by ...` and `# Completed on ...` lines of save output.
pub fn strip_save_comments(s: &str) -> String {
    let mut o = String::new();
    for l in s.lines() {
        if l.starts_with("# Generated by ") || l.starts_with("# Completed on ") {
            continue;
        }
        o.push_str(l);
        o.push('\n');
    }
    o
}

/// The `-A` lines of save output (or of `-S` output).
/// A leading `[packets:bytes] ` (save -c) is dropped.
pub fn rule_lines(save: &str) -> Vec<String> {
    save.lines()
        .map(|l| match l.strip_prefix('[') {
            Some(r) => r.split_once("] ").map_or(l, |(_, rule)| rule),
            None => l,
        })
        .filter(|l| l.starts_with("-A "))
        .map(str::to_string)
        .collect()
}

/// Replaces the first word of a command with the tool it means for `which`.
pub fn resolve(cmd: &str, which: Impl, links: &Path) -> String {
    let cmd = cmd.trim_start();
    let (first, rest) = match cmd.find(char::is_whitespace) {
        Some(i) => (&cmd[..i], &cmd[i..]),
        None => (cmd, ""),
    };
    match APPLETS.iter().find(|(a, _)| *a == first) {
        Some((a, r)) => match which {
            Impl::Reference => format!("{r}{rest}"),
            Impl::Release(v) => format!("{a}-{v}{rest}"),
            Impl::Ours => format!("'{}'{rest}", links.join(a).display()),
        },
        None => cmd.to_string(),
    }
}

/// Runs `cmds` in order in one fresh namespace with `which` as the tool under
/// test. With `snapshots`, `iptables-nft-save` and `ip6tables-nft-save` run
/// after every command. Each command runs with stdin from /dev/null and a
/// time limit of [`CMD_TIMEOUT`] s.
pub fn run_seq(which: Impl, cmds: &[&str], snapshots: bool) -> Run {
    let dir = TempDir::new("seq");
    let d = dir.path().display().to_string();
    let mut s = String::new();
    s.push_str(&format!("o='{d}'\n"));
    s.push_str(&format!(
        "step() {{ n=$1; shift; timeout -k 5 {CMD_TIMEOUT} \"$@\" >\"$o/$n.out\" 2>\"$o/$n.err\" </dev/null; echo $? >\"$o/$n.rc\"; }}\n"
    ));
    s.push_str(
        "snap() { iptables-nft-save >\"$o/$1.s4\" 2>&1; ip6tables-nft-save >\"$o/$1.s6\" 2>&1; }\n",
    );
    for (i, c) in cmds.iter().enumerate() {
        let r = resolve(c, which, links());
        // The command's words are parsed by bash, so shell quoting works in
        // them; pipes and redirections do not (they would apply to `step`).
        s.push_str(&format!("step {i} {r}\n"));
        if snapshots {
            s.push_str(&format!("snap {i}\n"));
        }
    }
    s.push_str("snap final\n");
    let out = ns_bash(&s);
    assert_eq!(
        out.status, 0,
        "namespace script failed: {}\n{}",
        out.stderr, s
    );
    let read = |name: &str| -> String {
        let p = dir.path().join(name);
        std::fs::read(&p)
            .map(|b| String::from_utf8_lossy(&b).into_owned())
            .unwrap_or_else(|e| panic!("read {}: {e}", p.display()))
    };
    let steps = cmds
        .iter()
        .enumerate()
        .map(|(i, c)| Step {
            cmd: c.to_string(),
            status: read(&format!("{i}.rc")).trim().parse().expect("status"),
            stdout: read(&format!("{i}.out")),
            stderr: read(&format!("{i}.err")),
            save4: snapshots.then(|| strip_save_comments(&read(&format!("{i}.s4")))),
            save6: snapshots.then(|| strip_save_comments(&read(&format!("{i}.s6")))),
        })
        .collect();
    Run {
        which,
        steps,
        save4: strip_save_comments(&read("final.s4")),
        save6: strip_save_comments(&read("final.s6")),
    }
}

/// Runs `cmds` with the reference and with rxtables, each in its own fresh
/// namespace: `(reference, ours)`.
pub fn run_both(cmds: &[&str], snapshots: bool) -> (Run, Run) {
    (
        run_seq(Impl::Reference, cmds, snapshots),
        run_seq(Impl::Ours, cmds, snapshots),
    )
}

/// Single-quotes a string for bash.
pub fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "'\\''"))
}

/// Replaces the version in `iptables v1.8.9 (nf_tables): ` (any version, any
/// program name) with `vX`, so that messages of different releases compare.
pub fn normalize_version(line: &str) -> String {
    let mut out = String::new();
    let mut rest = line;
    while let Some(i) = rest.find(" v") {
        out.push_str(&rest[..i]);
        let after = &rest[i + 2..];
        let vlen = after
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(after.len());
        let ver = &after[..vlen];
        let looks_like_version = vlen > 0
            && ver.contains('.')
            && ver.starts_with(|c: char| c.is_ascii_digit())
            && after[vlen..].starts_with(" (");
        if looks_like_version {
            out.push_str(" vX");
            rest = &after[vlen..];
        } else {
            out.push_str(" v");
            rest = after;
        }
    }
    out.push_str(rest);
    out
}

/// The first line of a message, version-normalized, with rxtables' optional
/// `; did you mean ...?` suggestion removed.
pub fn message_core(line: &str) -> String {
    let l = normalize_version(line);
    match l.find("; did you mean") {
        Some(i) => l[..i].to_string(),
        None => l,
    }
}

/// The non-empty lines of `s`.
pub fn nonempty_lines(s: &str) -> Vec<&str> {
    s.lines().filter(|l| !l.trim().is_empty()).collect()
}

/// A line diff of two texts (longest common subsequence), for assertion
/// messages: `  ` same, `- ` only in `a`, `+ ` only in `b`.
pub fn diff(a: &str, b: &str) -> String {
    let al: Vec<&str> = a.lines().collect();
    let bl: Vec<&str> = b.lines().collect();
    let (n, m) = (al.len(), bl.len());
    // lcs[i][j] = LCS length of al[i..] and bl[j..]
    let mut lcs = vec![vec![0u32; m + 1]; n + 1];
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            lcs[i][j] = if al[i] == bl[j] {
                lcs[i + 1][j + 1] + 1
            } else {
                lcs[i + 1][j].max(lcs[i][j + 1])
            };
        }
    }
    let mut o = String::new();
    let (mut i, mut j) = (0, 0);
    while i < n || j < m {
        if i < n && j < m && al[i] == bl[j] {
            o.push_str(&format!("  {}\n", al[i]));
            i += 1;
            j += 1;
        } else if j < m && (i == n || lcs[i][j + 1] >= lcs[i + 1][j]) {
            o.push_str(&format!("+ {}\n", bl[j]));
            j += 1;
        } else {
            o.push_str(&format!("- {}\n", al[i]));
            i += 1;
        }
    }
    o
}

/// The rule lines of save output tagged with their table (`filter: -A ...`),
/// counters dropped.
pub fn tagged_rules(save: &str) -> Vec<String> {
    let mut table = String::new();
    let mut out = Vec::new();
    for l in save.lines() {
        if let Some(t) = l.strip_prefix('*') {
            table = t.to_string();
        }
        out.extend(rule_lines(l).into_iter().map(|r| format!("{table}: {r}")));
    }
    out
}

/// What changed between two save outputs: (rule lines added, rule lines
/// removed), as multisets of table-tagged rule lines.
pub fn rule_delta(before: &str, after: &str) -> (Vec<String>, Vec<String>) {
    let mut b = tagged_rules(before);
    let mut added = Vec::new();
    for r in tagged_rules(after) {
        match b.iter().position(|x| *x == r) {
            Some(i) => {
                b.remove(i);
            }
            None => added.push(r),
        }
    }
    (added, b)
}

/// Collects failures of a table-driven test and panics with all of them.
#[derive(Default)]
pub struct Failures(Vec<String>);

impl Failures {
    pub fn new() -> Self {
        Failures(Vec::new())
    }
    pub fn push(&mut self, s: String) {
        self.0.push(s);
    }
    /// Records a mismatch of two texts (reference first) under `what`.
    pub fn check_eq(&mut self, what: &str, reference: &str, ours: &str) {
        if reference != ours {
            self.0.push(format!(
                "{what}: differs (- reference, + rxtables):\n{}",
                diff(reference, ours)
            ));
        }
    }
    pub fn check(&mut self, ok: bool, what: impl FnOnce() -> String) {
        if !ok {
            self.0.push(what());
        }
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    pub fn finish(self, title: &str) {
        if !self.0.is_empty() {
            panic!(
                "{title}: {} failure(s)\n\n{}",
                self.0.len(),
                self.0.join("\n\n")
            );
        }
    }
}

/// Set in the child: the machine's network namespace, which it must not be in.
pub const HOST_NS: &str = "RXTABLES_TEST_HOST_NETNS";

/// Runs the `#[ignore]`d test `name` of this binary in a fresh network
/// namespace and fails with its output if it fails.
pub fn in_namespace(name: &str) {
    let exe = std::env::current_exe().expect("current_exe");
    let host = std::fs::read_link("/proc/self/ns/net").expect("readlink /proc/self/ns/net");
    let out = Command::new("unshare")
        .arg("-n")
        .arg("--")
        .arg(&exe)
        .args([
            "--exact",
            name,
            "--ignored",
            "--test-threads=1",
            "--nocapture",
        ])
        .env(HOST_NS, host)
        .env("LC_ALL", "C")
        .stdin(Stdio::null())
        .output()
        .expect("run unshare -n");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "{name} failed in its namespace: {:?}\nstdout:\n{stdout}\nstderr:\n{stderr}",
        out.status
    );
    assert!(
        stdout.contains("1 passed"),
        "{name} did not run:\n{stdout}\n{stderr}"
    );
}

/// In the child: refuses to go on in the machine's own namespace (run
/// directly with `--ignored`, the inner tests would change it).
pub fn guard_private_netns() {
    let host = std::env::var(HOST_NS)
        .expect("inner tests run only through in_namespace (they change the ruleset)");
    let me = std::fs::read_link("/proc/self/ns/net").expect("readlink /proc/self/ns/net");
    assert_ne!(
        me.display().to_string(),
        host,
        "not in a private network namespace"
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalize_version_works() {
        assert_eq!(
            normalize_version("iptables v1.8.9 (nf_tables): unknown option \"-a\""),
            "iptables vX (nf_tables): unknown option \"-a\""
        );
        assert_eq!(
            normalize_version("ip6tables v1.8.13 (nf_tables): x v2"),
            "ip6tables vX (nf_tables): x v2"
        );
        assert_eq!(
            message_core(
                "iptables v1.8.13 (nf_tables): unknown option \"-a\"; did you mean \"-A\"?"
            ),
            "iptables vX (nf_tables): unknown option \"-a\""
        );
    }
}
