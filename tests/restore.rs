//! `iptables-restore` / `ip6tables-restore` against the kernel, each test in
//! its own `unshare -n` namespace: all or nothing (a bad line, a kernel
//! refusal, an error in a second table), `--noflush`, `--test`, counters,
//! `-T`, quoting, round trips through save in both directions with the
//! reference iptables-nft 1.8.9, and the reference's messages.
//!
//! In the scripts `iptables-restore`, `iptables-save`, ... are rxtables'
//! applets; the reference is called by its `-nft` names.

mod common;
use common::*;

/// Bash functions every script gets: `snap` prints the reference's view of
/// both families without its timestamp comments.
const PRELUDE: &str = r#"
snap() { iptables-nft-save -c | grep -v '^#'; ip6tables-nft-save -c | grep -v '^#'; }
"#;

fn ns(script: &str) -> Output {
    ns_bash(&format!("{PRELUDE}{script}"))
}

/// A script's stdout split at `@@MARK@@` lines.
fn parts(o: &Output) -> Vec<String> {
    o.stdout.split("@@MARK@@\n").map(str::to_string).collect()
}

/// A small ruleset in two tables, written by the reference.
const SETUP: &str = r#"
iptables-nft -N KEEP
iptables-nft -A KEEP -s 10.0.0.0/8 -j ACCEPT
iptables-nft -A INPUT -p tcp --dport 22 -j KEEP
iptables-nft -P FORWARD DROP
iptables-nft -t nat -N NATC
iptables-nft -t nat -A NATC -d 192.168.1.1 -j RETURN
"#;

/// A 50-line restore file whose line `bad` is `bad_text`.
fn fifty_lines(bad: usize, bad_text: &str) -> String {
    let mut lines = vec![
        "*filter".to_string(),
        ":INPUT ACCEPT [0:0]".into(),
        ":NEW - [0:0]".into(),
    ];
    while lines.len() < 49 {
        let n = lines.len();
        lines.push(format!(
            "-A NEW -s 10.1.{}.{}/32 -p udp --dport {} -j ACCEPT",
            n / 200,
            n % 200,
            1000 + n
        ));
    }
    lines.push("COMMIT".into());
    lines[bad - 1] = bad_text.to_string();
    assert_eq!(lines.len(), 50);
    lines.join("\n") + "\n"
}

/// Runs `restore_cmd` on `input` after SETUP; checks that it fails with
/// `status`, that stderr holds every string of `expect`, and that the
/// ruleset is exactly as before.
fn fails_and_changes_nothing(restore_cmd: &str, input: &str, status: i32, expect: &[&str]) {
    let script = format!(
        "{SETUP}\nsnap > /tmp/before.$$\ncat > /tmp/in.$$ <<'EOF'\n{input}EOF\n{restore_cmd} < /tmp/in.$$; echo \"rc=$?\"\nsnap > /tmp/after.$$\ndiff /tmp/before.$$ /tmp/after.$$ && echo SAME\nrm -f /tmp/before.$$ /tmp/after.$$ /tmp/in.$$\n"
    );
    let o = ns(&script);
    assert!(
        o.stdout.contains(&format!("rc={status}\n")),
        "want status {status}: {o:?}"
    );
    assert!(o.stdout.contains("SAME"), "ruleset changed: {o:?}");
    for e in expect {
        assert!(o.stderr.contains(e), "stderr lacks {e:?}: {o:?}");
    }
}

#[test]
fn bad_option_on_line_40_of_50_changes_nothing() {
    fails_and_changes_nothing(
        "iptables-restore",
        &fifty_lines(40, "-A NEW --bogus"),
        2,
        &[
            "iptables-restore v1.8.13 (nf_tables): unknown option \"--bogus\"",
            "\nError occurred at line: 40\n",
            "Try `iptables-restore -h' or 'iptables-restore --help' for more information.",
        ],
    );
}

#[test]
fn failing_command_on_line_40_of_50_changes_nothing() {
    fails_and_changes_nothing(
        "iptables-restore --noflush",
        &fifty_lines(40, "-D INPUT -s 9.9.9.9/32 -j ACCEPT"),
        1,
        &["iptables-restore: line 40 failed: Bad rule (does a matching rule exist in that chain?)."],
    );
    fails_and_changes_nothing(
        "iptables-restore --noflush",
        &fifty_lines(40, "-I NEW 100 -j ACCEPT"),
        1,
        &["iptables-restore: line 40 failed: Index of insertion too big."],
    );
}

#[test]
fn jump_to_missing_chain_names_the_commit_line() {
    // iptables-restore (1.8.9 to 1.8.13) finds a missing jump target while
    // it carries out the block at its COMMIT, and names that line.
    fails_and_changes_nothing(
        "iptables-restore",
        &fifty_lines(40, "-A NEW -j NOPE"),
        2,
        &[
            "Chain 'NOPE' does not exist",
            "Error occurred at line: 50\n",
        ],
    );
    // The replaced table has no KEEP any more unless the input declares it.
    fails_and_changes_nothing(
        "iptables-restore",
        "*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -j KEEP\nCOMMIT\n",
        2,
        &["Chain 'KEEP' does not exist", "Error occurred at line: 4\n"],
    );
}

#[test]
fn kernel_refusal_names_its_line_and_changes_nothing() {
    // KEEP still holds a rule in the kernel: the kernel refuses -X.
    fails_and_changes_nothing(
        "iptables-restore -n",
        "*filter\n-A INPUT -j ACCEPT\n# a comment\n-X KEEP\nCOMMIT\n",
        4,
        &["iptables-restore v1.8.13 (nf_tables): \nline 4: CHAIN_DEL failed (Device or resource busy): chain KEEP"],
    );
}

#[test]
fn kernel_refusal_of_an_extension_names_its_line() {
    // The kernel accepts DNAT in the nat table only; rxtables' parser
    // accepts it anywhere, as iptables' does, so the kernel refuses it.
    let o =
        ns("iptables -t nat -A PREROUTING -p tcp -j DNAT --to-destination 1.2.3.4 2>&1 | head -1");
    if o.stdout.contains("Couldn't load target") || o.stdout.contains("unknown option") {
        eprintln!("skipped: this build has no DNAT target yet");
        return;
    }
    fails_and_changes_nothing(
        "iptables-restore -n",
        "*filter\n-A INPUT -j ACCEPT\n-A INPUT -p tcp -j DNAT --to-destination 1.2.3.4\nCOMMIT\n",
        4,
        &["\nline 3: RULE_APPEND failed (Invalid argument): rule in chain INPUT"],
    );
}

#[test]
fn error_in_second_table_leaves_first_unchanged() {
    // iptables-nft would have committed the filter table already.
    fails_and_changes_nothing(
        "iptables-restore",
        "*filter\n:INPUT DROP [0:0]\n-A INPUT -j ACCEPT\nCOMMIT\n*nat\n:PREROUTING ACCEPT [0:0]\n-A PREROUTING -j NOPE\nCOMMIT\n",
        2,
        &["Chain 'NOPE' does not exist", "Error occurred at line: 8\n"],
    );
    fails_and_changes_nothing(
        "iptables-restore",
        "*filter\n:INPUT DROP [0:0]\n-A INPUT -j ACCEPT\nCOMMIT\n*nat\n-A PREROUTING -p tcp -j ACCEPT\n",
        1,
        &["iptables-restore: COMMIT expected at line 7"],
    );
}

#[test]
fn messages_for_bad_input() {
    let cases: &[(&str, i32, &[&str])] = &[
        (
            "*foo\nCOMMIT\n",
            2,
            &["iptables-restore v1.8.13 (nf_tables): iptables-restore: line 1 table name 'foo' invalid\nError occurred at line: 1\n"],
        ),
        ("*filter\n-A INPUT -j ACCEPT\n", 1, &["iptables-restore: COMMIT expected at line 3\n"]),
        ("COMMIT\n", 1, &["iptables-restore: line 1 failed\n"]),
        (
            "*filter\n-t nat -A INPUT -j ACCEPT\nCOMMIT\n",
            2,
            &["The -t option cannot be used in iptables-restore.\n\nError occurred at line: 2\n"],
        ),
        (
            "*filter\n-A INPUT -w -j ACCEPT\nCOMMIT\n",
            2,
            &["You cannot use `-w' from iptables-restore\nError occurred at line: 2\n"],
        ),
        ("*filter\n-X NOPE\nCOMMIT\n", 1, &["iptables-restore: line 2 failed: No chain/target/match by that name.\n"]),
        ("*filter\n-P INPUT BOGUS\nCOMMIT\n", 1, &["iptables-restore: line 2 failed: Bad policy name.\n"]),
        ("*filter\n:INPUT BOGUS [0:0]\nCOMMIT\n", 1, &["iptables-restore: line 2 failed: Bad policy name.\n"]),
        ("*filter\n:\nCOMMIT\n", 2, &["iptables-restore: line 2 chain name invalid\nError occurred at line: 2\n"]),
        ("*filter\n:INPUT\nCOMMIT\n", 2, &["iptables-restore: line 2 policy invalid\n"]),
        ("*filter\n[1:2 -A INPUT\nCOMMIT\n", 2, &["Bad line 2: need ]\nError occurred at line: 2\n"]),
        ("*filter\n-A INPUT -j ACCEPT extra\nCOMMIT\n", 2, &["Bad argument `extra'\nError occurred at line: 2\n"]),
        ("*filter\n:ACCEPT - [0:0]\nCOMMIT\n", 2, &["chain name may not clash with target name\nError occurred at line: 2\n"]),
        ("*filter\n:BAR -\n-N BAR\nCOMMIT\n", 1, &["iptables-restore: line 3 failed: Chain already exists.\n"]),
    ];
    let mut script = String::new();
    for (input, _, _) in cases {
        script.push_str(&format!(
            "printf '%s' {} | iptables-restore -n 2>&1; echo \"rc=$?\"\necho @@MARK@@\n",
            shell_quote(input)
        ));
    }
    script.push_str("snap\n");
    let o = ns(&script);
    let p = parts(&o);
    let mut f = Failures::new();
    for (i, (input, status, expect)) in cases.iter().enumerate() {
        let got = &p[i];
        f.check(got.ends_with(&format!("rc={status}\n")), || {
            format!("{input:?}: want rc={status}, got {got:?}")
        });
        for e in expect.iter() {
            f.check(got.contains(e), || {
                format!("{input:?}: want {e:?}, got {got:?}")
            });
        }
    }
    f.check(!p[cases.len()].contains("-A "), || {
        format!("something was added: {}", p[cases.len()])
    });
    f.finish("restore messages");
}

#[test]
fn noflush_keeps_unmentioned_chains_and_rewrites_mentioned_ones() {
    let o = ns(&format!(
        "{SETUP}
iptables-nft -N SVC; iptables-nft -A SVC -j DROP; iptables-nft -A SVC -j DROP
iptables-nft -N STALE; iptables-nft -A STALE -j DROP
iptables-restore --noflush <<'EOF'
*filter
:SVC - [0:0]
:STALE - [0:0]
:NEWC - [0:0]
:INPUT DROP [0:0]
-A SVC -s 1.1.1.1/32 -j NEWC
-A NEWC -j RETURN
-X STALE
COMMIT
EOF
echo rc=$?
snap"
    ));
    assert!(o.stdout.starts_with("rc=0\n"), "{o:?}");
    let want = "*filter
:INPUT DROP [0:0]
:FORWARD DROP [0:0]
:OUTPUT ACCEPT [0:0]
:KEEP - [0:0]
:NEWC - [0:0]
:SVC - [0:0]
[0:0] -A INPUT -p tcp -m tcp --dport 22 -j KEEP
[0:0] -A KEEP -s 10.0.0.0/8 -j ACCEPT
[0:0] -A NEWC -j RETURN
[0:0] -A SVC -s 1.1.1.1/32 -j NEWC
COMMIT
*nat
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
:NATC - [0:0]
[0:0] -A NATC -d 192.168.1.1/32 -j RETURN
COMMIT
";
    let got = o.stdout.trim_start_matches("rc=0\n");
    assert_eq!(got, want, "{}", diff(want, got));
}

#[test]
fn without_noflush_a_table_is_replaced() {
    // As iptables-nft: undeclared user chains go, policies not named go
    // back to ACCEPT, other tables stay.
    let o = ns(&format!(
        "{SETUP}
printf '*filter\\n:INPUT ACCEPT [0:0]\\n:NEW - [0:0]\\n-A INPUT -j NEW\\nCOMMIT\\n' | iptables-restore; echo rc=$?
snap
"
    ));
    let r = ns(&format!(
        "{SETUP}
printf '*filter\\n:INPUT ACCEPT [0:0]\\n:NEW - [0:0]\\n-A INPUT -j NEW\\nCOMMIT\\n' | iptables-nft-restore; echo rc=$?
snap
"
    ));
    assert_eq!(o.stdout, r.stdout, "{}", diff(&r.stdout, &o.stdout));
    assert!(o.stdout.starts_with("rc=0\n"));
}

#[test]
fn insert_delete_replace_mix_on_kernel_and_new_rules() {
    let script = format!(
        "{SETUP}
iptables-nft -A KEEP -s 10.0.0.2 -j DROP
iptables-nft -A KEEP -s 10.0.0.3 -j DROP
cat > /tmp/in.$$ <<'EOF'
*filter
-A KEEP -s 10.0.0.4/32 -j DROP
-I KEEP 2 -s 10.0.0.5/32 -j ACCEPT
-I KEEP 3 -s 10.0.0.6/32 -j ACCEPT
-I KEEP 1 -s 10.0.0.7/32 -j ACCEPT
-D KEEP -s 10.0.0.2/32 -j DROP
-R KEEP 4 -s 10.0.0.8/32 -j RETURN
-I KEEP 4 -s 10.0.0.9/32 -j RETURN
-D KEEP 1
-A INPUT -j ACCEPT
-I INPUT 1 -s 1.1.1.1/32 -j DROP
-C KEEP -s 10.0.0.9/32 -j RETURN
COMMIT
EOF
iptables-restore -n < /tmp/in.$$; echo rc=$?
snap; rm -f /tmp/in.$$
"
    );
    // iptables-nft-restore 1.8.9 crashes on this input (SIGSEGV on `-R` of
    // a rule added in the same batch); the result is worked out by hand.
    let o = ns(&script);
    let want = "rc=0
*filter
:INPUT ACCEPT [0:0]
:FORWARD DROP [0:0]
:OUTPUT ACCEPT [0:0]
:KEEP - [0:0]
[0:0] -A INPUT -s 1.1.1.1/32 -j DROP
[0:0] -A INPUT -p tcp -m tcp --dport 22 -j KEEP
[0:0] -A INPUT -j ACCEPT
[0:0] -A KEEP -s 10.0.0.0/8 -j ACCEPT
[0:0] -A KEEP -s 10.0.0.5/32 -j ACCEPT
[0:0] -A KEEP -s 10.0.0.9/32 -j RETURN
[0:0] -A KEEP -s 10.0.0.8/32 -j RETURN
[0:0] -A KEEP -s 10.0.0.3/32 -j DROP
[0:0] -A KEEP -s 10.0.0.4/32 -j DROP
COMMIT
";
    assert!(o.stdout.starts_with(want), "{}", diff(want, &o.stdout));
}

#[test]
fn chain_commands_inside_restore() {
    let script = format!(
        "{SETUP}
iptables-nft -N OLD; iptables-nft -A OLD -j RETURN; iptables-nft -A INPUT -j OLD
cat > /tmp/in.$$ <<'EOF'
*filter
-N A
-A A -j OLD
-E OLD RENAMED
-N B
-A B -j A
-E A AA
-D INPUT -p tcp --dport 22 -j KEEP
-F KEEP
-X KEEP
-P OUTPUT DROP
-Z
:FORWARD ACCEPT [0:0]
COMMIT
EOF
iptables-restore -n < /tmp/in.$$; echo rc=$?
snap; rm -f /tmp/in.$$
"
    );
    // iptables-nft-restore 1.8.9 fails on line 7 (`CHAIN_RENAME failed (No
    // such file or directory)`: it cannot rename a chain made in the same
    // batch); the result is worked out by hand. Rules added in the batch
    // reach a renamed kernel chain by its old name until the commit.
    let o = ns(&script);
    let want = "rc=0
*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT DROP [0:0]
:AA - [0:0]
:B - [0:0]
:RENAMED - [0:0]
[0:0] -A INPUT -j RENAMED
[0:0] -A AA -j RENAMED
[0:0] -A B -j AA
[0:0] -A RENAMED -j RETURN
COMMIT
";
    assert!(o.stdout.starts_with(want), "{}", diff(want, &o.stdout));
}

#[test]
fn test_mode_changes_nothing() {
    let o = ns(&format!(
        "{SETUP}
snap > /tmp/b.$$
printf '*filter\\n:INPUT DROP [0:0]\\n-A INPUT -j ACCEPT\\nCOMMIT\\n' | iptables-restore --test; echo rc=$?
printf '*filter\\n-A INPUT -j NOPE\\nCOMMIT\\n' | iptables-restore -t; echo rc=$?
snap > /tmp/a.$$; diff /tmp/b.$$ /tmp/a.$$ && echo SAME; rm -f /tmp/a.$$ /tmp/b.$$
"
    ));
    // --test only parses (iptables-nft-restore 1.8.9 to 1.8.13 all accept a
    // jump to a chain that does not exist there: issue 12)
    assert!(o.stdout.contains("rc=0\nrc=0\n"), "{o:?}");
    assert!(o.stdout.contains("SAME"), "{o:?}");
    assert!(o.stderr.is_empty(), "{o:?}");
}

#[test]
fn counters_are_restored_with_c_only() {
    let input = "*filter\n:INPUT ACCEPT [10:20]\n:FORWARD DROP [3:4]\n[5:6] -A INPUT -j ACCEPT\n[7:8] -A INPUT -s 1.2.3.4/32 -p tcp --dport 80 -j DROP\nCOMMIT\n";
    let o = ns(&format!(
        "printf '%s' {q} | iptables-restore -c; echo rc=$?; snap; echo @@MARK@@
printf '%s' {q} | iptables-restore; echo rc=$?; snap",
        q = shell_quote(input)
    ));
    let p = parts(&o);
    assert!(
        p[0].contains(":INPUT ACCEPT [10:20]\n:FORWARD DROP [3:4]\n"),
        "{o:?}"
    );
    assert!(p[0].contains("[5:6] -A INPUT -j ACCEPT\n[7:8] -A INPUT -s 1.2.3.4/32 -p tcp -m tcp --dport 80 -j DROP\n"), "{o:?}");
    assert!(
        p[1].contains(":INPUT ACCEPT [0:0]\n:FORWARD DROP [0:0]\n"),
        "{o:?}"
    );
    assert!(p[1].contains("[0:0] -A INPUT -j ACCEPT\n"), "{o:?}");
    // -c needs counters on built-in chain lines.
    let o = ns("printf '*filter\\n:INPUT ACCEPT\\nCOMMIT\\n' | iptables-restore -c");
    assert_eq!(o.status, 2, "{o:?}");
    assert!(
        o.stderr
            .contains("invalid policy counters for chain 'INPUT'\nError occurred at line: 2\n"),
        "{o:?}"
    );
}

#[test]
fn table_option_restores_one_table() {
    let o = ns("printf '*filter\\n-A INPUT -j DROP\\nCOMMIT\\n*nat\\n-A PREROUTING -j ACCEPT\\nCOMMIT\\n' | iptables-restore -T nat; echo rc=$?; snap");
    assert!(o.stdout.starts_with("rc=0\n"), "{o:?}");
    assert!(o.stdout.contains("-A PREROUTING -j ACCEPT"), "{o:?}");
    assert!(!o.stdout.contains("-A INPUT -j DROP"), "{o:?}");
}

#[test]
fn quoting_and_comments() {
    // Words in double quotes, backslash escapes inside them.
    let o = ns(r#"
cat > /tmp/q.$$ <<'EOF'
# a comment line
*filter
:"QUOTED" - [0:0]
-A "INPUT" -s "1.2.3.4/32" -p "tcp" --dport "22" -j "ACCEPT"
COMMIT
EOF
iptables-restore < /tmp/q.$$; echo rc=$?; rm -f /tmp/q.$$
snap"#);
    assert!(o.stdout.starts_with("rc=0\n"), "{o:?}");
    assert!(
        o.stdout
            .contains("-A INPUT -s 1.2.3.4/32 -p tcp -m tcp --dport 22 -j ACCEPT"),
        "{o:?}"
    );
    assert!(o.stdout.contains(":\"QUOTED\" - [0:0]"), "{o:?}");
    // Comments with spaces and quotes, when the comment match exists.
    let probe = ns("iptables -A INPUT -m comment --comment x 2>&1; echo rc=$?");
    if !probe.stdout.contains("rc=0") {
        eprintln!("skipped the comment part: no comment match in this build yet");
        return;
    }
    let o = ns(r#"
iptables-nft -A INPUT -m comment --comment 'a b "c" \d' -j ACCEPT
iptables-nft -A INPUT -m comment --comment '' -j ACCEPT
iptables-save > /tmp/s.$$
nft flush ruleset
iptables-restore < /tmp/s.$$; echo rc=$?
iptables-save | grep -v '^#' > /tmp/t.$$
grep -v '^#' /tmp/s.$$ | diff - /tmp/t.$$ && echo SAME
rm -f /tmp/s.$$ /tmp/t.$$"#);
    assert!(o.stdout.contains("rc=0\n"), "{o:?}");
    assert!(o.stdout.contains("SAME"), "{o:?}");
}

/// Rules of many forms, written by the reference in both families.
const RICH: &str = r#"
for T in iptables-nft ip6tables-nft; do
  $T -N USER1; $T -N USER2; $T -N USER3
  $T -A INPUT -i lo -j ACCEPT
  $T -A INPUT -p tcp --dport 22 -j USER1
  $T -A INPUT -p udp --sport 53 --dport 1024:65535 -j ACCEPT
  $T -A USER1 -p tcp --sport 1:1023 -j USER2
  $T -A USER1 -o eth0+ -p tcp -m tcp --tcp-flags SYN,ACK SYN -j DROP
  $T -A USER2 -g USER3
  $T -A USER2 -j RETURN
  $T -A FORWARD -i eth1 -o eth2 -j DROP
  $T -P FORWARD DROP
  $T -A OUTPUT -c 5 7 -j ACCEPT
  $T -t nat -N NATC
  $T -t nat -A NATC -p tcp ! --dport 80 -j RETURN
  $T -t mangle -A PREROUTING -p udp -j ACCEPT
  $T -t raw -A PREROUTING -p tcp --syn -j ACCEPT
done
iptables-nft -A INPUT -s 10.0.0.0/8 -d 192.168.0.1 -p icmp --icmp-type echo-request -j ACCEPT
iptables-nft -A INPUT -f -j DROP
ip6tables-nft -A INPUT -s 2001:db8::/32 -p ipv6-icmp --icmpv6-type echo-request -j ACCEPT
"#;

#[test]
fn round_trip_through_rxtables_save_and_restore() {
    for c in ["", "-c"] {
        let o = ns(&format!(
            "{RICH}
iptables-save {c} > /tmp/s4.$$; ip6tables-save {c} > /tmp/s6.$$
nft flush ruleset
iptables-restore {c} < /tmp/s4.$$; echo rc=$?; ip6tables-restore {c} < /tmp/s6.$$; echo rc=$?
iptables-save {c} | grep -v '^#' > /tmp/t4.$$; ip6tables-save {c} | grep -v '^#' > /tmp/t6.$$
grep -v '^#' /tmp/s4.$$ | diff - /tmp/t4.$$ && echo SAME4
grep -v '^#' /tmp/s6.$$ | diff - /tmp/t6.$$ && echo SAME6
rm -f /tmp/s4.$$ /tmp/s6.$$ /tmp/t4.$$ /tmp/t6.$$"
        ));
        assert!(o.stdout.starts_with("rc=0\nrc=0\n"), "{c}: {o:?}");
        assert!(
            o.stdout.contains("SAME4") && o.stdout.contains("SAME6"),
            "{c}: {o:?}"
        );
    }
}

#[test]
fn reference_save_restores_with_rxtables() {
    let o = ns(&format!(
        "{RICH}
iptables-nft-save -c > /tmp/s4.$$; ip6tables-nft-save -c > /tmp/s6.$$
nft flush ruleset
iptables-restore -c < /tmp/s4.$$; echo rc=$?; ip6tables-restore -c < /tmp/s6.$$; echo rc=$?
iptables-nft-save -c | grep -v '^#' > /tmp/t4.$$; ip6tables-nft-save -c | grep -v '^#' > /tmp/t6.$$
grep -v '^#' /tmp/s4.$$ | diff - /tmp/t4.$$ && echo SAME4
grep -v '^#' /tmp/s6.$$ | diff - /tmp/t6.$$ && echo SAME6
nft list ruleset | grep -ci 'unknown\\|incompatible'
rm -f /tmp/s4.$$ /tmp/s6.$$ /tmp/t4.$$ /tmp/t6.$$"
    ));
    assert!(o.stdout.starts_with("rc=0\nrc=0\n"), "{o:?}");
    assert!(
        o.stdout.contains("SAME4") && o.stdout.contains("SAME6"),
        "{o:?}"
    );
    assert!(
        o.stdout.ends_with("0\n"),
        "nft sees unknown expressions: {o:?}"
    );
}

#[test]
fn rxtables_save_restores_with_reference() {
    let o = ns(&format!(
        "{RICH}
iptables-save -c > /tmp/s4.$$; ip6tables-save -c > /tmp/s6.$$
iptables-nft-save -c | grep -v '^#' > /tmp/r4.$$; ip6tables-nft-save -c | grep -v '^#' > /tmp/r6.$$
nft flush ruleset
iptables-nft-restore -c < /tmp/s4.$$; echo rc=$?; ip6tables-nft-restore -c < /tmp/s6.$$; echo rc=$?
iptables-nft-save -c | grep -v '^#' | diff /tmp/r4.$$ - && echo SAME4
ip6tables-nft-save -c | grep -v '^#' | diff /tmp/r6.$$ - && echo SAME6
rm -f /tmp/s4.$$ /tmp/s6.$$ /tmp/r4.$$ /tmp/r6.$$"
    ));
    assert!(o.stdout.starts_with("rc=0\nrc=0\n"), "{o:?}");
    assert!(
        o.stdout.contains("SAME4") && o.stdout.contains("SAME6"),
        "{o:?}"
    );
}

#[test]
fn same_input_same_result_as_reference() {
    // A file mixing declarations, policies and rules in several tables,
    // restored onto the same ruleset by both tools, with and without
    // --noflush.
    let input = "*mangle\n:PREROUTING ACCEPT [0:0]\n-A PREROUTING -p tcp --dport 443 -j ACCEPT\nCOMMIT\n*filter\n:INPUT DROP [0:0]\n:FORWARD ACCEPT [0:0]\n:KEEP - [0:0]\n:X - [0:0]\n-A INPUT -i lo -j ACCEPT\n-A INPUT -j X\n-A X -p udp --dport 53 -j KEEP\n-I X 1 -s 10.0.0.0/8 -j RETURN\nCOMMIT\n";
    for flags in ["", "-n"] {
        let script = format!(
            "{SETUP}\nprintf '%s' {} | RESTORE {flags}; echo rc=$?\nsnap",
            shell_quote(input)
        );
        let ours = ns(&script.replace("RESTORE", "iptables-restore"));
        let reference = ns(&script.replace("RESTORE", "iptables-nft-restore"));
        assert!(ours.stdout.starts_with("rc=0\n"), "{flags}: {ours:?}");
        assert_eq!(
            reference.stdout,
            ours.stdout,
            "{flags}: {}",
            diff(&reference.stdout, &ours.stdout)
        );
    }
}

#[test]
fn ip6tables_restore_and_family_lines() {
    let o = ns("printf '*filter\\n-A INPUT -s 2001:db8::1 -j ACCEPT\\n-4 -A INPUT -s 1.2.3.4 -j DROP\\n-6 -A INPUT -j DROP\\nCOMMIT\\n' | ip6tables-restore; echo rc=$?; snap");
    assert!(o.stdout.starts_with("rc=0\n"), "{o:?}");
    assert!(
        o.stdout.contains("-A INPUT -s 2001:db8::1/128 -j ACCEPT\n"),
        "{o:?}"
    );
    assert!(o.stdout.contains("[0:0] -A INPUT -j DROP\n"), "{o:?}");
    assert!(!o.stdout.contains("1.2.3.4"), "{o:?}");
    let o = ns("printf '*filter\\n-6 -A INPUT -j DROP\\n-A INPUT -j ACCEPT\\nCOMMIT\\n' | iptables-restore; echo rc=$?; snap");
    assert!(o.stdout.starts_with("rc=0\n"), "{o:?}");
    assert!(!o.stdout.contains("-j DROP"), "{o:?}");
}

#[test]
fn program_options() {
    let o = ns(r#"
iptables-restore -V; echo rc=$?
iptables-restore --version; echo rc=$?
printf '*filter\n-A INPUT -j ACCEPT\nCOMMIT\n' > /tmp/f.$$
iptables-restore -w 5 -W 100000 --noflush --counters /tmp/f.$$; echo rc=$?
iptables-restore --wait=5 -n /tmp/f.$$; echo rc=$?
iptables-restore -M /bin/true -v -n < /tmp/f.$$; echo rc=$?
iptables-restore /tmp/nonexistent.$$; echo rc=$?
iptables-restore /tmp/f.$$ /tmp/f.$$; echo rc=$?
iptables-restore -h 2>&1 | head -1
rm -f /tmp/f.$$
iptables-nft-save | grep -c -- '-A INPUT -j ACCEPT'
"#);
    let want = "iptables-restore v1.8.13 (nf_tables)\nrc=0\niptables-restore v1.8.13 (nf_tables)\nrc=0\nrc=0\nrc=0\nrc=0\nrc=1\nrc=1\nUsage: iptables-restore [-c] [-v] [-V] [-t] [-h] [-n] [-T table] [-M command] [-4] [-6] [file]\n3\n";
    assert_eq!(o.stdout, want, "{o:?}");
    assert!(o.stderr.contains("Can't open /tmp/nonexistent."), "{o:?}");
    assert!(
        o.stderr.contains("Unknown arguments found on commandline"),
        "{o:?}"
    );
}

#[test]
fn concurrent_restores_lose_nothing() {
    // Two writers at once: the loser of a race is refused by the kernel
    // (stale generation) and plans again; every rule arrives.
    let o = ns(r#"
iptables-nft -N A; iptables-nft -N B
gen() { for i in $(seq 1 300); do echo "-A $1 -s 10.$2.$((i / 250)).$((i % 250)) -j ACCEPT"; done; }
for round in 1 2 3 4 5; do
  (printf '*filter\n'; gen A 1; printf 'COMMIT\n') > /tmp/a.$$
  (printf '*filter\n'; gen B 2; printf 'COMMIT\n') > /tmp/b.$$
  iptables-restore -n /tmp/a.$$ & iptables-restore -n /tmp/b.$$ & iptables -A INPUT -j ACCEPT & wait
done
rm -f /tmp/a.$$ /tmp/b.$$
iptables-nft-save | grep -c -- '-A A '; iptables-nft-save | grep -c -- '-A B '; iptables-nft-save | grep -c -- '-A INPUT '
"#);
    assert_eq!(o.stdout, "1500\n1500\n5\n", "{o:?}");
}

#[test]
fn delete_and_check_by_spec_in_chain_order() {
    // -D by spec deletes the first equal rule in chain order, whether it
    // is in the kernel or added earlier in the same input.
    let o = ns(r#"
iptables-nft -N K
iptables-nft -A K -s 10.0.0.1 -j ACCEPT
iptables-nft -A K -s 10.0.0.2 -j ACCEPT
iptables-nft -A K -s 10.0.0.1 -j ACCEPT
iptables-nft -A K -s 10.0.0.3 -j ACCEPT
iptables-restore -n <<'X'; echo rc=$?
*filter
-I K 1 -s 10.0.0.9/32 -j DROP
-A K -s 10.0.0.1/32 -j ACCEPT
-A K -s 10.0.0.9/32 -j DROP
-D K -s 10.0.0.9/32 -j DROP
-D K -s 10.0.0.1/32 -j ACCEPT
-C K -s 10.0.0.1/32 -j ACCEPT
-D K -s 10.0.0.1/32 -j ACCEPT
-C K -s 10.0.0.2/32 -j ACCEPT
-C K -s 10.0.0.9/32 -j DROP
COMMIT
X
iptables-nft-save -t filter | grep -- '-A K'
iptables-restore -n <<'X'; echo rc=$?
*filter
-D K -s 10.0.0.1/32 -j ACCEPT
-D K -s 10.0.0.1/32 -j ACCEPT
COMMIT
X
iptables-nft-save -t filter | grep -c -- '-A K'
"#);
    let want = "rc=0
-A K -s 10.0.0.2/32 -j ACCEPT
-A K -s 10.0.0.3/32 -j ACCEPT
-A K -s 10.0.0.1/32 -j ACCEPT
-A K -s 10.0.0.9/32 -j DROP
rc=1
4
";
    assert_eq!(o.stdout, want, "{o:?}");
    assert!(
        o.stderr
            .contains("iptables-restore: line 3 failed: Bad rule (does a matching rule exist in that chain?)."),
        "{o:?}"
    );
}

#[test]
fn failures_are_reported_as_iptables_reports_them() {
    // The same inputs through both tools: exit status and message must
    // agree (version and program name aside). A command that fails is
    // reported at the block's COMMIT, so a later line that does not parse
    // wins; an op the kernel refuses comes last. (A jump to a missing chain
    // is left out: iptables-nft names the COMMIT line, rxtables the rule's.)
    let inputs = [
        "*filter\n-D INPUT 5\n-A INPUT --bogus\nCOMMIT\n",
        "*filter\n-N KEEP\n-A INPUT -j ACCEPT\nCOMMIT\n",
        "*filter\n-D INPUT 9\n-A FORWARD -g C\nCOMMIT\n",
        "*filter\n-X KEEP\n-D INPUT 9\nCOMMIT\n",
        "*filter\n-N B2\n-A INPUT -j B2\n-X B2\nCOMMIT\n",
        "*filter\n-A INPUT -j ACCEPT\n-I INPUT 5 -j DROP\nCOMMIT\n",
        "*filter\n-R INPUT 5 -j DROP\nCOMMIT\n",
        "*filter\n-P FOO DROP\nCOMMIT\n",
        "*filter\n-F NOPE\nCOMMIT\n",
        "*filter\n-C INPUT -j DROP\nCOMMIT\n",
        "*filter\n-Z NOPE\nCOMMIT\n",
        "*filter\n:INPUT ACCEPT [x]\nCOMMIT\n",
        "*filter\n-A INPUT -s 1.2.3.4/33\nCOMMIT\n",
        "*filter\n-A INPUT -o eth0\nCOMMIT\n",
        "*filter\n-A INPUT -p tcp --dport 99999\nCOMMIT\n",
        "*filter\n*nat\nCOMMIT\n",
        "*filter\nCOMMIT \n",
        "*filter\n   \nCOMMIT\n",
        "*filter\r\n-A INPUT -j ACCEPT\r\nCOMMIT\r\n",
        "*filter\n:0123456789012345678901234567890 -\nCOMMIT\n",
        "*filter\n:-foo -\nCOMMIT\n",
        "*\nCOMMIT\n",
        "*filter\n[12] -A INPUT\nCOMMIT\n",
    ];
    let mut script = String::from(SETUP);
    for input in inputs {
        for tool in ["iptables-nft-restore", "iptables-restore"] {
            script.push_str(&format!(
                "printf '%s' {} | {tool} -n 2>&1 | sed -e 's/iptables-nft-restore/iptables-restore/g' -e 's/ v1\\.8\\.[0-9]*/ vX/'; echo \"rc=${{PIPESTATUS[1]}}\"\necho @@MARK@@\n",
                shell_quote(input)
            ));
        }
    }
    let o = ns(&script);
    let p = parts(&o);
    let mut f = Failures::new();
    for (i, input) in inputs.iter().enumerate() {
        f.check_eq(&format!("{input:?}"), &p[2 * i], &p[2 * i + 1]);
    }
    f.finish("restore failures against iptables-nft-restore");
}

/// `-X` of a built-in chain: 1.8.13 deletes an empty one and says
/// "Directory not empty" (or "Device or resource busy") for one with rules;
/// rxtables never deletes it and says why (docs/differences.md), in a
/// restore as in a single command, and changes nothing.
#[test]
fn builtin_chain_is_never_deleted() {
    let o = ns(&format!(
        "{SETUP}printf '*filter\\n-A FORWARD -s 10.0.2.3/32\\n-X FORWARD\\nCOMMIT\\n' | iptables-restore -n; echo rc=$?
         printf '*filter\\n-F INPUT\\n-X INPUT\\nCOMMIT\\n' | iptables-restore -n; echo rc=$?
         iptables -X FORWARD; echo rc=$?
         iptables-nft -S | grep -c -- '^-P'"
    ));
    assert_eq!(o.stdout, "rc=1\nrc=1\nrc=1\n3\n", "{}", o.stderr);
    assert_eq!(
        o.stderr,
        "iptables-restore: line 3 failed: Can't delete built-in chain.\n\
         iptables-restore: line 3 failed: Can't delete built-in chain.\n\
         iptables: Can't delete built-in chain.\n"
    );
}
