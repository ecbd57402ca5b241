//! The manual pages and completion scripts (issue 11, items 1 and 2): the
//! committed copies are what the code generates; the extensions page names
//! every registered extension and option; both pages render with `man -l`
//! without a warning; `-m NAME -h`/`-j NAME -h` work for every extension;
//! the bash completion completes applets, tables, extension names, the
//! options of the extensions named on the line and the chains of the
//! running ruleset (in a private namespace); zsh and fish read their
//! scripts. Only the chain test needs root.

mod common;
use rxtables::ext::{MATCHES, TARGETS};
use std::path::PathBuf;
use std::process::{Command, Stdio};

fn top() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn read(rel: &str) -> String {
    let p = top().join(rel);
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn run(cmd: &mut Command) -> common::Output {
    let out = cmd
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("run {cmd:?}: {e}"));
    common::Output {
        status: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn has(prog: &str) -> bool {
    run(Command::new("sh").args(["-c", &format!("command -v {prog}")])).status == 0
}

const GENERATED: &[&str] = &[
    "docs/rxtables.8",
    "docs/rxtables-extensions.8",
    "completions/rxtables.bash",
    "completions/_rxtables",
    "completions/rxtables.fish",
];

/// The committed pages and scripts are exactly what the binary generates
/// now (`tools/gen-docs` regenerates them).
#[test]
fn committed_docs_are_generated_from_the_code() {
    let d = common::TempDir::new("gen");
    let out = run(Command::new(common::bin()).arg("gen-man").arg(d.path()));
    assert_eq!(out.status, 0, "gen-man: {}", out.stderr);
    let mut fresh = vec![
        std::fs::read_to_string(d.path().join("rxtables.8")).expect("rxtables.8 written"),
        std::fs::read_to_string(d.path().join("rxtables-extensions.8"))
            .expect("rxtables-extensions.8 written"),
    ];
    for shell in ["bash", "zsh", "fish"] {
        let out = run(Command::new(common::bin()).args(["completion", shell]));
        assert_eq!(out.status, 0, "completion {shell}: {}", out.stderr);
        fresh.push(out.stdout);
    }
    for (rel, now) in GENERATED.iter().zip(&fresh) {
        assert!(
            read(rel) == *now,
            "{rel} differs from what the code generates: run tools/gen-docs and commit it\n{}",
            common::diff(&read(rel), now)
        );
    }
    // a bad call is refused, not a panic
    let out = run(Command::new(common::bin()).args(["completion", "tcsh"]));
    assert_eq!(out.status, 1, "{out:?}");
    assert!(out.stderr.contains("unknown shell"), "{out:?}");
}

/// The `.SS NAME` section of the page for `name` (first of its kind in
/// order: matches come before targets, and no match shares a target's name).
fn section<'a>(page: &'a str, heading: &str, name: &str) -> &'a str {
    let at = page
        .find(heading)
        .unwrap_or_else(|| panic!("no {heading} in the page"));
    let rest = &page[at..];
    let mark = format!("\n.SS {}\n", name.replace('-', "\\-"));
    let start = rest
        .find(&mark)
        .unwrap_or_else(|| panic!("{name} has no section under {heading}"));
    let body = &rest[start + mark.len()..];
    let end = body
        .find("\n.SS ")
        .or_else(|| body.find("\n.SH "))
        .unwrap_or(body.len());
    &body[..end]
}

#[test]
fn extensions_page_has_every_extension_and_option() {
    let page = read("docs/rxtables-extensions.8");
    let mut checked = 0;
    for (heading, list) in [
        (
            ".SH MATCH EXTENSIONS",
            MATCHES
                .iter()
                .map(|m| (m.name, m.options))
                .collect::<Vec<_>>(),
        ),
        (
            ".SH TARGET EXTENSIONS",
            TARGETS
                .iter()
                .map(|t| (t.name, t.options))
                .collect::<Vec<_>>(),
        ),
    ] {
        for (name, options) in list {
            let s = section(&page, heading, name);
            for o in options {
                for n in [o.name, o.alias].into_iter().filter(|n| !n.is_empty()) {
                    let roff = format!("\\-\\-{}", n.replace('-', "\\-"));
                    assert!(
                        s.contains(&format!("\\fB{roff}"))
                            || s.contains(&format!("\\fB[!] {roff}")),
                        "{name}: option --{n} is not an entry of its section"
                    );
                    checked += 1;
                }
            }
        }
    }
    assert!(checked > 300, "only {checked} options checked");
}

/// `man -l` renders both pages with no warning (groff's `-ww`).
#[test]
fn man_renders_both_pages_without_warnings() {
    assert!(
        has("man") && has("groff"),
        "man and groff are needed (Debian: man-db groff-base)"
    );
    for (page, title, want) in [
        ("docs/rxtables.8", "RXTABLES(8)", "install-links"),
        (
            "docs/rxtables-extensions.8",
            "RXTABLES-EXTENSIONS(8)",
            "--destination-port",
        ),
    ] {
        for width in ["60", "80", "100"] {
            let out = run(Command::new("man")
                .args(["--warnings=all", "-l"])
                .arg(top().join(page))
                .env("MANWIDTH", width)
                .env("LC_ALL", "C.UTF-8"));
            assert_eq!(out.status, 0, "{page}: {}", out.stderr);
            assert_eq!(
                out.stderr, "",
                "{page} renders with warnings at width {width}"
            );
            let text: String = strip_overstrike(&out.stdout);
            assert!(
                text.lines().next().unwrap_or("").ends_with(title),
                "{page}: {}",
                &text[..80.min(text.len())]
            );
            assert!(text.contains(want), "{page} lacks {want}");
        }
    }
}

/// Text without nroff's bold/underline overstrikes (`x\bx`, `_\bx`).
fn strip_overstrike(s: &str) -> String {
    let mut out: Vec<char> = Vec::new();
    for c in s.chars() {
        if c == '\u{8}' {
            out.pop();
        } else {
            out.push(c);
        }
    }
    out.into_iter().collect()
}

/// `iptables -m NAME -h` and `-j NAME -h` succeed for every registered
/// extension in each family it exists in and print its help text.
#[test]
fn every_extension_has_working_help() {
    use rxtables::model::Family;
    let mut n = 0;
    let mut cases: Vec<(&str, &str, Family, &str)> = Vec::new();
    for m in MATCHES {
        for f in m.families {
            cases.push(("-m", m.name, *f, (m.help)(*f)));
        }
    }
    for t in TARGETS {
        for f in t.families {
            cases.push(("-j", t.name, *f, (t.help)(*f)));
        }
    }
    for (flag, name, fam, help) in cases {
        let prog = fam.prog();
        let out = run(Command::new(common::bin()).args([prog, flag, name, "-h"]));
        assert_eq!(out.status, 0, "{prog} {flag} {name} -h: {}", out.stderr);
        assert!(
            out.stdout.ends_with(help),
            "{prog} {flag} {name} -h does not end with its help text"
        );
        n += 1;
    }
    assert!(n >= MATCHES.len() + TARGETS.len(), "{n}");
}

/// `rxtables --version` and `--help`.
#[test]
fn version_and_help_of_rxtables_itself() {
    let out = run(Command::new(common::bin()).arg("--version"));
    assert_eq!(out.status, 0);
    assert_eq!(
        out.stdout,
        format!(
            "rxtables {} (follows iptables v1.8.13 (nf_tables))\n",
            env!("CARGO_PKG_VERSION")
        )
    );
    let out = run(Command::new(common::bin()).arg("--help"));
    assert_eq!(out.status, 0, "{}", out.stderr);
    for (name, _) in common::APPLETS {
        assert!(
            out.stdout.contains(&format!("  {name}\n")),
            "{name} missing"
        );
    }
    for sub in ["install-links", "completion", "gen-man", "list-chains"] {
        assert!(out.stdout.contains(sub), "{sub} missing");
    }
}

/// Completes `words` (the last one being completed) with the bash script:
/// `complete -p` of the command's name (or `not registered`), then
/// COMPREPLY one a line.
fn bash_complete(words: &[&str], extra_env: &[(&str, &str)]) -> common::Output {
    let script = top().join("completions/rxtables.bash");
    let quoted: Vec<String> = words.iter().map(|w| common::shell_quote(w)).collect();
    let body = format!(
        "source {}\ncomplete -p {} 2>/dev/null || echo not registered\nCOMP_WORDS=({})\nCOMP_CWORD={}\n_rxtables\nprintf '%s\\n' \"${{COMPREPLY[@]}}\"\n",
        common::shell_quote(&script.display().to_string()),
        common::shell_quote(words[0].rsplit('/').next().unwrap_or(words[0])),
        quoted.join(" "),
        words.len() - 1
    );
    let mut cmd = Command::new("bash");
    cmd.args(["--norc", "-c", &body]);
    for (k, v) in extra_env {
        cmd.env(k, v);
    }
    run(&mut cmd)
}

fn replies(out: &common::Output) -> Vec<String> {
    assert_eq!(out.status, 0, "{out:?}");
    assert_eq!(out.stderr, "", "completion wrote to stderr");
    out.stdout.lines().skip(1).map(str::to_string).collect()
}

#[test]
fn bash_completion_of_options_names_and_tables() {
    let out = bash_complete(&["iptables", "-A", "INPUT", "-m", "tcp", "--d"], &[]);
    assert_eq!(
        out.stdout.lines().next(),
        Some("complete -F _rxtables iptables")
    );
    let all = run(Command::new("bash").args([
        "--norc",
        "-c",
        &format!(
            "source {}; complete -p",
            common::shell_quote(
                &top()
                    .join("completions/rxtables.bash")
                    .display()
                    .to_string()
            )
        ),
    ]));
    for name in common::APPLETS.iter().map(|(n, _)| *n).chain(["rxtables"]) {
        assert!(
            all.stdout
                .contains(&format!("complete -F _rxtables {name}\n")),
            "{name} not registered: {}",
            all.stdout
        );
    }
    let r = replies(&out);
    for want in ["--dport", "--destination-port", "--destination", "--delete"] {
        assert!(r.contains(&want.to_string()), "{want} not in {r:?}");
    }
    assert!(!r.iter().any(|w| !w.starts_with("--d")), "{r:?}");
    // no tcp on the line: no tcp options
    let r = replies(&bash_complete(&["iptables", "-A", "INPUT", "--d"], &[]));
    assert!(!r.contains(&"--dport".to_string()), "{r:?}");
    // -p udp loads udp; -j DNAT's options after it
    let r = replies(&bash_complete(
        &[
            "iptables", "-t", "nat", "-A", "P", "-p", "udp", "-j", "DNAT", "--",
        ],
        &[],
    ));
    for want in ["--sport", "--to-destination", "--random", "--table"] {
        assert!(r.contains(&want.to_string()), "{want} not in {r:?}");
    }
    // every option of every extension, through -m/-j
    for (flag, name, opts) in MATCHES
        .iter()
        .map(|m| ("-m", m.name, m.options))
        .chain(TARGETS.iter().map(|t| ("-j", t.name, t.options)))
    {
        let words = ["iptables", "-A", "INPUT", flag, name, "--"];
        let words6 = ["ip6tables", "-A", "INPUT", flag, name, "--"];
        let r4 = replies(&bash_complete(&words, &[]));
        let r6 = replies(&bash_complete(&words6, &[]));
        for o in opts.iter() {
            let o = format!("--{}", o.name);
            assert!(
                r4.contains(&o) || r6.contains(&o),
                "{flag} {name}: {o} missing"
            );
        }
    }
    // names
    let r = replies(&bash_complete(&["iptables", "-m", "con"], &[]));
    for want in ["connmark", "conntrack", "connlimit", "comment"] {
        assert_eq!(r.contains(&want.to_string()), want != "comment", "{r:?}");
    }
    let r = replies(&bash_complete(&["ip6tables", "-m", ""], &[]));
    assert!(
        r.contains(&"icmp6".to_string()) && !r.contains(&"icmp".to_string()),
        "{r:?}"
    );
    let r = replies(&bash_complete(&["iptables", "-j", "MA"], &[]));
    assert_eq!(r, ["MARK", "MASQUERADE"]);
    let r = replies(&bash_complete(&["iptables", "-t", ""], &[]));
    assert_eq!(r, ["filter", "nat", "mangle", "raw", "security"]);
    // the reference's and the package's names of the applets
    for save in ["iptables-nft-save", "/usr/sbin/ip6tables-rxtables-save"] {
        let r = replies(&bash_complete(&[save, "-t", "r"], &[]));
        assert_eq!(r, ["raw"], "{save}");
    }
    // built-in chains of the table named, with nothing readable
    let r = replies(&bash_complete(
        &["iptables", "-t", "raw", "-A", ""],
        &[("PATH", "/usr/bin:/bin")],
    ));
    assert_eq!(r, ["PREROUTING", "OUTPUT"]);
    // applets and subcommands
    let r = replies(&bash_complete(&["rxtables", "ip6"], &[]));
    assert_eq!(r, ["ip6tables", "ip6tables-save", "ip6tables-restore"]);
    let r = replies(&bash_complete(&["rxtables", "completion", ""], &[]));
    assert_eq!(r, ["bash", "zsh", "fish"]);
    let r = replies(&bash_complete(
        &["rxtables", "iptables", "-A", "INPUT", "-p", "tcp", "--sy"],
        &[],
    ));
    assert_eq!(r, ["--syn"]);
}

/// Chain names come from the running ruleset of the table named (in a
/// private namespace), and nothing is printed where the ruleset cannot be
/// read.
#[test]
fn bash_completion_reads_chains_of_the_ruleset() {
    let script = top().join("completions/rxtables.bash");
    let out = common::ns_bash(&format!(
        r#"set -e
"$RX" iptables -N WEB-IN
"$RX" iptables -A INPUT -j WEB-IN
"$RX" iptables -t nat -N DOCKER
"$RX" ip6tables -N SIX
source {s}
c() {{ COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _rxtables; echo "${{COMPREPLY[*]}}"; }}
c "$RX" iptables -A ''
c "$RX" iptables -t nat -I D
c "$RX" ip6tables -j SI
c "$RX" iptables -g ''
d=$(mktemp -d); ln -s "$RX" "$d/rxtables"
PATH=$d:$PATH c iptables -D W
rm -rf "$d"
echo "-- list-chains"; "$RX" list-chains filter
"#,
        s = common::shell_quote(&script.display().to_string())
    ));
    assert_eq!(out.status, 0, "{out:?}");
    assert_eq!(out.stderr, "");
    assert_eq!(
        out.stdout,
        "INPUT FORWARD OUTPUT WEB-IN\nDOCKER\nSIX\nWEB-IN\nWEB-IN\n\
         -- list-chains\nWEB-IN\nINPUT\n"
    );
    // Without permission (an unprivileged user namespace): no names, no
    // message from the completion; list-chains itself says why, exit 1.
    let out = run(Command::new("unshare").args([
        "-U",
        "-n",
        "bash",
        "--norc",
        "-c",
        &format!(
            "source {}; COMP_WORDS=({} iptables -A ''); COMP_CWORD=3; _rxtables; echo \"${{COMPREPLY[*]}}\"; {} list-chains filter; echo rc=$?",
            common::shell_quote(&script.display().to_string()),
            common::shell_quote(&common::bin().display().to_string()),
            common::shell_quote(&common::bin().display().to_string()),
        ),
    ]));
    assert_eq!(out.stdout, "INPUT FORWARD OUTPUT\nrc=1\n", "{out:?}");
    assert!(out.stderr.contains("list-chains"), "{out:?}");
    assert_eq!(out.stderr.lines().count(), 1, "{out:?}");
}

/// zsh and fish read their scripts (checked where the shell is installed:
/// `.ci/run` installs both); fish also completes a line with it.
#[test]
fn zsh_and_fish_scripts_parse() {
    let zsh = top().join("completions/_rxtables");
    let fish = top().join("completions/rxtables.fish");
    if has("zsh") {
        let out = run(Command::new("zsh").arg("-n").arg(&zsh));
        assert_eq!(out.status, 0, "zsh -n: {}", out.stderr);
        // the function itself, with compadd stubbed to print its words
        // (outside the completion system; zsh filters by $PREFIX itself)
        let out = run(Command::new("zsh").args([
            "-f",
            "-c",
            &format!(
                r#"compadd() {{ if [[ $1 == -a ]]; then print -l -- ${{(P)2}}; else [[ $1 == -- ]] && shift; print -l -- "$@"; fi }}
words=(iptables -A INPUT -m tcp --d); CURRENT=6; PREFIX=--d
source {} > /dev/null
_rxtables | grep -x -e --dport -e --syn
echo --
words=(rxtables ip6tables -t nat -j M); CURRENT=6; PREFIX=M
_rxtables | grep -x -e MASQUERADE -e POSTROUTING -e icmp6
echo --
words=(ip6tables -m ''); CURRENT=3; PREFIX=
_rxtables | grep -x -e icmp6 -e icmp"#,
                common::shell_quote(&zsh.display().to_string())
            ),
        ]));
        assert_eq!(
            out.stdout, "--dport\n--syn\n--\nMASQUERADE\n--\nicmp6\n",
            "{out:?}"
        );
    } else {
        eprintln!("zsh not installed: _rxtables not checked");
    }
    if has("fish") {
        let out = run(Command::new("fish").arg("-n").arg(&fish));
        assert_eq!(out.status, 0, "fish -n: {}", out.stderr);
        let complete = |line: &str| {
            let out = run(Command::new("fish")
                .args([
                    "--no-config",
                    "-c",
                    &format!(
                        "source {}; complete -C {}",
                        common::shell_quote(&fish.display().to_string()),
                        common::shell_quote(line)
                    ),
                ])
                .env("PATH", "/usr/bin:/bin"));
            assert_eq!(out.status, 0, "{out:?}");
            out.stdout
                .lines()
                .map(|l| l.split('\t').next().unwrap_or("").to_string())
                .collect::<Vec<_>>()
        };
        let r = complete("iptables -A INPUT -m tcp --dp");
        assert_eq!(r, ["--dport"], "fish");
        let r = complete("iptables -t ");
        assert_eq!(r.len(), 5, "{r:?}");
        let r = complete("ip6tables -j MAS");
        assert_eq!(r, ["MASQUERADE"], "fish");
    } else {
        eprintln!("fish not installed: rxtables.fish not checked");
    }
}
