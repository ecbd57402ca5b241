//! The multi-call binary itself: applet dispatch by name and by argument,
//! `install-links`, and the `-V` line that go-iptables, kube-proxy and
//! iptables-wrappers parse (issue 2, items 1 and 2).

mod common;
use common::*;
use rxtables::model::Family;

/// `iptables vMAJOR.MINOR.PATCH (nf_tables)` with a version iptables-wrappers
/// accepts (it refuses 1.8.0-1.8.3): (program, (major, minor, patch)).
fn parse_version_line(line: &str) -> Option<(String, (u32, u32, u32))> {
    let (prog, rest) = line.split_once(" v")?;
    let ver = rest.strip_suffix(" (nf_tables)")?;
    let p: Vec<u32> = ver
        .split('.')
        .map(|x| x.parse().ok())
        .collect::<Option<_>>()?;
    (p.len() == 3).then(|| (prog.to_string(), (p[0], p[1], p[2])))
}

#[test]
fn version_line_has_the_shape_callers_parse() {
    let out = ns_bash(
        "for c in 'iptables -V' 'iptables --version' 'ip6tables -V' '$RX iptables -V'; do
            eval \"$c\"; echo \"rc=$?\"; done",
    );
    assert!(out.stderr.is_empty(), "stderr: {}", out.stderr);
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(lines.len(), 8, "output:\n{}", out.stdout);
    for (i, pair) in lines.chunks(2).enumerate() {
        assert_eq!(pair[1], "rc=0", "command {} failed:\n{}", i + 1, out.stdout);
        let (prog, v) = parse_version_line(pair[0])
            .unwrap_or_else(|| panic!("bad version line: {:?}", pair[0]));
        assert_eq!(
            prog,
            if i == 2 { "ip6tables" } else { "iptables" },
            "{:?}",
            pair[0]
        );
        assert!(
            v >= (1, 8, 4),
            "version {v:?} is refused by iptables-wrappers (needs >= 1.8.4)"
        );
    }
    // The shape is the reference's.
    let r = ns_bash("iptables-nft -V");
    assert!(
        parse_version_line(r.stdout.trim_end()).is_some(),
        "reference: {:?} (test bug)",
        r.stdout
    );
    // And it is the reference's, 1.8.13.
    assert_eq!(lines[0], r.stdout.trim_end());
}

#[test]
fn install_links_makes_every_applet_name() {
    let d = make_links();
    for (name, _) in APPLETS {
        let l = d.path().join(name);
        let meta = std::fs::symlink_metadata(&l).unwrap_or_else(|e| panic!("{}: {e}", l.display()));
        assert!(
            meta.file_type().is_symlink(),
            "{} is not a symlink",
            l.display()
        );
        let target = std::fs::canonicalize(&l).unwrap();
        assert_eq!(
            target,
            std::fs::canonicalize(bin()).unwrap(),
            "{} points elsewhere",
            l.display()
        );
    }
    // Running it again over existing links works too.
    let out = std::process::Command::new(bin())
        .arg("install-links")
        .arg(d.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "second install-links: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The applet is chosen by the name called (links, including the reference's
/// `-nft` names) or by the first argument of `rxtables`.
#[test]
fn applets_by_name_and_by_argument() {
    let out = ns_bash(
        r#"set -e
d=$(mktemp -d)
ln -s "$RX" "$d/iptables-nft"
ln -s "$RX" "$d/ip6tables-nft-save"
"$RX" iptables -A INPUT -s 1.1.1.1 -j ACCEPT
"$RX" ip6tables -A INPUT -s 2001:db8::1 -j ACCEPT
iptables -A INPUT -s 2.2.2.2 -j ACCEPT
ip6tables -A INPUT -s 2001:db8::2 -j ACCEPT
"$d/iptables-nft" -A INPUT -s 3.3.3.3 -j ACCEPT
echo '== ours v4'; "$RX" iptables-save | grep -- '^-A'
echo '== link v6'; "$d/ip6tables-nft-save" | grep -- '^-A'
echo '== reference v4'; iptables-nft-save | grep -- '^-A'
echo '== reference v6'; ip6tables-nft-save | grep -- '^-A'
rm -rf "$d"
"#,
    );
    assert_eq!(out.status, 0, "{}\n{}", out.stdout, out.stderr);
    let v4 = "-A INPUT -s 1.1.1.1/32 -j ACCEPT\n-A INPUT -s 2.2.2.2/32 -j ACCEPT\n-A INPUT -s 3.3.3.3/32 -j ACCEPT\n";
    let v6 = "-A INPUT -s 2001:db8::1/128 -j ACCEPT\n-A INPUT -s 2001:db8::2/128 -j ACCEPT\n";
    assert_eq!(
        out.stdout,
        format!("== ours v4\n{v4}== link v6\n{v6}== reference v4\n{v4}== reference v6\n{v6}")
    );
}

#[test]
fn unknown_applet_is_an_error_with_usage() {
    let out = ns_bash("\"$RX\" frobnicate -L; echo \"rc=$?\"; \"$RX\"; echo \"rc=$?\"");
    assert!(!out.stdout.contains("rc=0"), "{}", out.stdout);
    assert!(
        out.stderr.contains("usage") || out.stderr.contains("Usage"),
        "no usage: {}",
        out.stderr
    );
    assert!(!out.stderr.contains("panicked"), "{}", out.stderr);
}

/// `-h` prints what iptables 1.8.13 prints, byte for byte and with its exit
/// status: the general help of each program, and after it the help of the
/// extensions loaded before `-h` (the target's, then each match's; with no
/// `-m`, the match `-p` names) — for every registered extension in every
/// family it exists in, so an extension added without its help fails here.
#[test]
fn help_like_the_reference_for_every_extension() {
    let mut cases: Vec<(&str, String)> = Vec::new();
    for fam in [Family::V4, Family::V6] {
        let p = if fam == Family::V4 {
            "iptables"
        } else {
            "ip6tables"
        };
        for m in rxtables::ext::MATCHES
            .iter()
            .filter(|m| m.families.contains(&fam))
        {
            cases.push((p, format!("-m {} -h", m.name)));
        }
        for t in rxtables::ext::TARGETS
            .iter()
            .filter(|t| t.families.contains(&fam))
        {
            cases.push((p, format!("-j {} -h", t.name)));
        }
        for a in [
            "-h",
            "--help",
            "-h -Q --bogus",
            "-p tcp -h",
            "! -p udp --dport 1 -h",
            "-p 6 -h",
            "-p tcp -j DROP -m comment -m mark -h",
            "-j RETURN -h",
            "-j NOSUCH -h",
            "-m nosuch -h",
        ] {
            cases.push((p, a.to_string()));
        }
    }
    let mut script = String::new();
    for (p, a) in &cases {
        script.push_str(&format!(
            "a=$({p}-nft {a} 2>&1; echo rc=$?); b=$({p} {a} 2>&1; echo rc=$?)\n\
             if [ \"$a\" = \"$b\" ]; then echo same; else echo \"DIFF {p} {a}\"; diff <(echo \"$a\") <(echo \"$b\") | head -5; fi\n"
        ));
    }
    let out = ns_bash(&script);
    assert_eq!(out.status, 0, "{}", out.stderr);
    let same = out.stdout.lines().filter(|l| *l == "same").count();
    assert_eq!(same, cases.len(), "{}", out.stdout);
}

/// Names and comments are bytes: a chain, an interface and a comment that
/// are not UTF-8, written by iptables 1.8.13, are listed, saved, checked,
/// deleted and restored by rxtables byte for byte, and what rxtables
/// writes 1.8.13 prints byte for byte. Never a panic.
#[test]
fn names_are_bytes() {
    let out = ns_bash(
        "I=iptables-1.8.13; C=$'x\\xffy'; E=$'e\\xe9'; M=$'caf\\xe9 \\xff'
         $I -N \"$C\" && $I -A INPUT -i \"$E\" -m comment --comment \"$M\" -j \"$C\" || exit 1
         cmp <(iptables -S) <($I -S) && echo S-same
         cmp <(iptables-save | grep -v '^#') <(iptables-save-1.8.13 | grep -v '^#') && echo save-same
         iptables -C INPUT -i \"$E\" -m comment --comment \"$M\" -j \"$C\" && echo C-found
         iptables-save > \"$RXBIN/s\"; iptables -D INPUT -i \"$E\" -m comment --comment \"$M\" -j \"$C\" && echo D-done
         iptables-1.8.13 -S INPUT | grep -c -- '^-A' || true
         iptables -A \"$C\" -o $'\\xe9\\xe9' -m comment --comment $'\\xe9' && echo A-done
         $I -S \"$C\" | tail -1 | cmp - <(printf -- '-A x\\377y -o \\351\\351 -m comment --comment \"\\351\"\\n') && echo written-same
         iptables-restore < \"$RXBIN/s\" && cmp <(iptables-save-1.8.13 | grep -v '^#') <(grep -v '^#' \"$RXBIN/s\") && echo restore-same
         rm -f \"$RXBIN/s\"",
    );
    assert_eq!(
        out.stdout, "S-same\nsave-same\nC-found\nD-done\n0\nA-done\nwritten-same\nrestore-same\n",
        "stderr: {}",
        out.stderr
    );
    assert!(!out.stderr.contains("panicked"), "{}", out.stderr);
}
