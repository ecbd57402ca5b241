//! Defects the probing of issue 12 found (item 6): each case runs with the
//! reference (iptables 1.8.13) and with rxtables, each in its own fresh
//! namespace after the same setup, and the two must agree on the exit
//! status, stdout, stderr and the resulting `iptables-save` text. The
//! expected status is written down too, so a reference that drifted shows
//! up as a test bug rather than as agreement.

mod common;
use common::*;

/// Rules each case starts from.
const SETUP: &[&str] = &[
    "iptables -N KEEP",
    "iptables -A INPUT -s 9.9.9.9 -j ACCEPT",
    "iptables -A KEEP -p tcp --dport 22 -j ACCEPT",
];

/// Runs SETUP, then `case` (a command, or a shell line using `$RESTORE`
/// for the restore tool under test), then returns the steps of the case.
fn both(cases: &[&str]) -> (Run, Run) {
    let cmds: Vec<&str> = SETUP.iter().chain(cases.iter()).copied().collect();
    run_both(&cmds, true)
}

/// Checks the reference exits with `status` at every case and that
/// rxtables does exactly what the reference does.
fn agree(cases: &[(&str, i32)]) {
    let cmds: Vec<&str> = cases.iter().map(|(c, _)| *c).collect();
    let (r, o) = both(&cmds);
    let mut f = Failures::new();
    for (i, (c, want)) in cases.iter().enumerate() {
        let (rs, os) = (&r.steps[SETUP.len() + i], &o.steps[SETUP.len() + i]);
        f.check(rs.status == *want, || {
            format!(
                "{c}: reference exits {} not {want} (test bug): {}",
                rs.status, rs.stderr
            )
        });
        f.check_eq(
            &format!("{c}: status"),
            &rs.status.to_string(),
            &os.status.to_string(),
        );
        f.check_eq(&format!("{c}: stdout"), &rs.stdout, &os.stdout);
        f.check_eq(
            &format!("{c}: stderr"),
            &normalize_version(&rs.stderr),
            &normalize_version(&os.stderr),
        );
        f.check_eq(
            &format!("{c}: ruleset after"),
            rs.save4.as_deref().unwrap_or(""),
            os.save4.as_deref().unwrap_or(""),
        );
    }
    f.finish("defects");
}

#[test]
fn empty_and_target_chain_names_are_refused() {
    agree(&[
        ("iptables -N ''", 2),
        ("iptables -N standard", 2),
        ("iptables -N DROP", 2),
        ("iptables -E KEEP ''", 2),
        ("iptables -E KEEP DROP", 2),
        ("iptables -N 0123456789012345678901234567", 0),
        ("iptables -N 01234567890123456789012345678", 2),
    ]);
}

#[test]
fn glued_optional_arguments_of_commands() {
    agree(&[
        ("iptables -LINPUT", 0),
        ("iptables -SINPUT", 0),
        ("iptables -ZINPUT", 0),
        ("iptables -FINPUT", 0),
        ("iptables -N FOO", 0),
        ("iptables -XFOO", 0),
        ("iptables -Ln", 1),
        ("iptables -nL INPUT", 0),
    ]);
}

#[test]
fn words_after_version_help_and_double_dash() {
    agree(&[
        ("iptables -S --", 0),
        ("iptables -S -- INPUT", 2),
        ("iptables -V x", 0),
        ("iptables -V -t nosuchtable", 0),
        ("iptables -t nat -t nat -I POSTROUTING -j ACCEPT", 0),
    ]);
    let (r, o) = both(&["iptables -h x"]);
    let (rs, os) = (&r.steps[SETUP.len()], &o.steps[SETUP.len()]);
    assert_eq!(rs.status, 0, "reference -h x: {}", rs.stderr);
    assert_eq!(os.status, 0, "ours -h x: {}", os.stderr);
    assert_eq!(rs.stdout, os.stdout);
}

#[test]
fn numbers_masks_and_wait_values() {
    agree(&[
        ("iptables -L INPUT 2147483648", 2),
        ("iptables -L INPUT 2147483647", 0),
        ("iptables -L INPUT 0x1", 0),
        ("iptables -w -W ipv6-icmp -L INPUT", 2),
        ("iptables -w -W 1000000 -L INPUT", 2),
        ("iptables -w foo -L INPUT", 2),
        ("iptables -A INPUT -s 10.11.12.13/255.128.0.0x10 -j DROP", 0),
        ("iptables -A INPUT -s 10.11.12.13/0x10 -j DROP", 0),
        ("iptables -A INPUT -d 0x7f.1 -j DROP", 0),
    ]);
}

#[test]
fn policy_resets_counters() {
    // -P (with or without -c) and `:CHAIN POLICY` in a --noflush restore
    // set the chain's counters to [0:0].
    let script = |tool: &str, save: &str| {
        format!(
            "set_ctr() {{ printf '*filter\\n:INPUT ACCEPT [5:6]\\n:FORWARD ACCEPT [7:8]\\nCOMMIT\\n' | {tool}-restore -c --noflush; }}\n\
             set_ctr; {tool} -P INPUT DROP; echo rc=$?; {save} -c | grep '^:INPUT'\n\
             set_ctr; {tool} -P FORWARD DROP -c 1 2; echo rc=$?; {save} -c | grep '^:FORWARD'\n\
             set_ctr; printf '*filter\\n:INPUT DROP [0:0]\\nCOMMIT\\n' | {tool}-restore --noflush; echo rc=$?\n\
             {save} -c | grep '^:INPUT'"
        )
    };
    let r = ns_bash(&script("iptables-nft", "iptables-nft-save"));
    let o = ns_bash(&script("\"$RXBIN/iptables\"", "\"$RXBIN/iptables-save\""));
    assert_eq!(
        r.stdout, "rc=0\n:INPUT DROP [0:0]\nrc=0\n:FORWARD DROP [0:0]\nrc=0\n:INPUT DROP [0:0]\n",
        "reference (test bug): {}",
        r.stderr
    );
    assert_eq!(o.stdout, r.stdout, "ours: {}", o.stderr);
}

#[test]
fn verbose_echoes_the_rules() {
    agree(&[
        (
            "iptables -v -A INPUT -s 1.2.3.4 -p tcp --dport 22 -j ACCEPT",
            0,
        ),
        (
            "iptables -v -I INPUT -s 1.1.1.1,2.2.2.2 -d 3.0.0.0/8 -i eth0 -j KEEP",
            0,
        ),
        (
            "iptables -I INPUT -s 1.1.1.1,2.2.2.2 ! -d 3.0.0.0/8 -j KEEP",
            2,
        ),
        ("iptables -I INPUT ! -s 1.1.1.1,2.2.2.2 -j KEEP", 2),
        ("iptables -I INPUT ! -d 1.1.1.1,2.2.2.2 -j KEEP", 2),
        ("iptables -I INPUT ! -d 1.1.1.1,1.1.1.1 -j KEEP", 2),
        ("iptables -v -C INPUT -s 9.9.9.9 -j ACCEPT", 0),
        ("iptables -v -D INPUT -s 9.9.9.9 -j ACCEPT", 0),
        ("iptables -v -D INPUT -s 9.9.9.9 -j ACCEPT", 1),
        ("iptables -v -A NOPE -f -j ACCEPT", 1),
        ("iptables -v -A INPUT -m comment --comment 'a b' -j LOG", 0),
        ("iptables -v -R INPUT 1 ! -p udp -g KEEP", 0),
    ]);
}

/// Runs a restore input with both tools (after SETUP) and compares.
fn restore_agree(input: &[u8], flags: &str, want: i32) {
    let dir = TempDir::new("defect-restore");
    let f = dir.path().join("in");
    std::fs::write(&f, input).expect("write input");
    let f = f.display().to_string();
    let run = |tool: &str, save: &str| {
        let setup: String = SETUP
            .iter()
            .map(|c| format!("{tool}{}\n", c.trim_start_matches("iptables")))
            .collect();
        ns_bash(&format!(
            "{setup}{tool}-restore {flags} <'{f}'; echo rc=$?\n{save} | grep -v '^#'"
        ))
    };
    let r = run("iptables-nft", "iptables-nft-save");
    let o = run("\"$RXBIN/iptables\"", "\"$RXBIN/iptables-save\"");
    assert!(
        r.stdout.contains(&format!("rc={want}\n")),
        "reference: {}\n{} (test bug)",
        r.stdout,
        r.stderr
    );
    assert_eq!(o.stdout, r.stdout, "ours: {}", o.stderr);
    assert_eq!(
        normalize_version(&o.stderr),
        normalize_version(&r.stderr),
        "stderr"
    );
}

#[test]
fn restore_nul_byte_cuts_the_line() {
    restore_agree(b"*filter\n-A IN\0PUT -j DROP\nCOMMIT\n", "", 1);
    restore_agree(b"*filter\n-A INPUT -s 1.2.3.4\0 -j DROP\nCOMMIT\n", "", 0);
}

#[test]
fn restore_warns_once_per_rule() {
    // a warning of reading a rule is printed once, not again when the
    // batch is written
    restore_agree(
        b"*filter\n-A INPUT -m iprange --src-range 10.0.0.9-10.0.0.1 -j ACCEPT\n-A INPUT -j NFLOG --nflog-range 5\n-A INPUT -m physdev --physdev-in a/b -j DROP\nCOMMIT\n",
        "",
        0,
    );
}

#[test]
fn restore_empty_chain_name_is_refused() {
    restore_agree(b"*filter\n: - [0:0]\nCOMMIT\n", "", 2);
}

#[test]
fn restore_test_only_parses() {
    restore_agree(
        b"*filter\n-D INPUT -s 5.5.5.5 -j DROP\nCOMMIT\n",
        "--test",
        0,
    );
    restore_agree(
        b"*filter\n-A NOPE -j ACCEPT\n-A INPUT -j NOPE\nCOMMIT\n",
        "--test",
        0,
    );
    restore_agree(
        b"*filter\n-A INPUT -s 1.2.3.400 -j ACCEPT\nCOMMIT\n",
        "--test",
        2,
    );
}

#[test]
fn restore_verbose_prints_flushes_and_rules() {
    restore_agree(
        b"*filter\n:KEEP - [0:0]\n:NEW - [0:0]\n-A KEEP -j ACCEPT\n-I INPUT -s 1.2.3.4 -p tcp --dport 5 -j DROP\nCOMMIT\n",
        "-v",
        0,
    );
    // printed even when a line then fails
    restore_agree(b"*filter\n-A KEEP -j ACCEPT\n-D INPUT 9\nCOMMIT\n", "-v", 1);
    // nothing for a block that does not parse up to its COMMIT
    restore_agree(
        b"*filter\n-A INPUT -m mac --mac-source 1 -j DROP\nCOMMIT\n",
        "-v",
        2,
    );
    restore_agree(b"*filter\n-A INPUT -j ACCEPT\n", "-v", 1);
    // nothing with --noflush
    restore_agree(b"*filter\n-A KEEP -j ACCEPT\nCOMMIT\n", "-v --noflush", 0);
}

#[test]
fn restore_lists_and_echoes_in_order() {
    // `-S`/`-L` lines show the table as the lines before them left it
    restore_agree(
        b"*filter\n:INPUT DROP [0:0]\n-A INPUT -s 2.2.2.2 -j ACCEPT\n-S\n-L -n\nCOMMIT\n*nat\n-S\nCOMMIT\n",
        "",
        0,
    );
    restore_agree(
        b"*filter\n-A KEEP -s 2.2.2.2 -j ACCEPT\n-D INPUT 1\n-S\n-L INPUT -n --line-numbers\nCOMMIT\n",
        "--noflush",
        0,
    );
    restore_agree(
        b"*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -s 2.2.2.2 -j ACCEPT\n-S\nCOMMIT\n",
        "-v",
        0,
    );
    // output stops at the first command that fails; an -A to a missing
    // chain is echoed before it fails, one with a missing target is not
    restore_agree(
        b"*filter\n-A INPUT -s 1.2.3.4\n-S NOPE\n-A INPUT -s 5.6.7.8\n-S\nCOMMIT\n",
        "-v",
        1,
    );
    restore_agree(
        b"*filter\n-A INPUT -s 1.2.3.4\n-A NOPE -j ACCEPT\n-A INPUT -s 5.6.7.8\nCOMMIT\n",
        "-v",
        1,
    );
    restore_agree(
        b"*filter\n-A INPUT -s 1.2.3.4\n-I INPUT 5 -j ACCEPT\n-A INPUT -s 5.6.7.8\nCOMMIT\n",
        "-v",
        1,
    );
    // -v names the chains of -F, -Z and -X lines
    restore_agree(
        b"*filter\n-A INPUT -s 9.9.9.9/32 -j ACCEPT\n-Z\n-N X\n-F\n-X X\n-Z KEEP\n-F NOPE\nCOMMIT\n",
        "-v",
        1,
    );
    // -R is not echoed
    restore_agree(
        b"*filter\n:KEEP - [0:0]\n-A KEEP -p udp --dport 53 -j ACCEPT\n-R KEEP 1 -j ACCEPT\n-A INPUT -s 1.1.1.1\nCOMMIT\n",
        "-v",
        0,
    );
    // -h and -V print and end the input: the blocks before stay
    restore_agree(
        b"*filter\n-A INPUT -s 1.1.1.1 -j ACCEPT\nCOMMIT\n*filter\n-A INPUT -s 2.2.2.2 -j ACCEPT\n-h\nCOMMIT\n",
        "--noflush",
        0,
    );
    restore_agree(
        b"*filter\n-A INPUT -s 1.1.1.1 -j ACCEPT\nCOMMIT\n*nat\n-V\nCOMMIT\n",
        "",
        0,
    );
    // a missing jump target is found at COMMIT, and named with its line
    restore_agree(
        b"*filter\n-A INPUT -s 1.2.3.4 -j ACCEPT\n-A INPUT -j NOPE\n-A INPUT -p tcp --dport 22 -j ACCEPT\nCOMMIT\n",
        "-v",
        2,
    );
}

#[test]
fn verbose_names_the_chains_it_flushes_zeroes_and_deletes() {
    agree(&[
        ("iptables -N EMPTY", 0),
        ("iptables -v -F", 0),
        ("iptables -v -F NOPE", 1),
        ("iptables -v -Z KEEP", 0),
        ("iptables -v -Z -L INPUT", 0),
        ("iptables -t nat -v -Z POSTROUTING", 0),
        ("iptables -t nat -Z POSTROUTING 1", 1),
        ("iptables -A INPUT -j KEEP", 0),
        ("iptables -v -X", 4),
        ("iptables -v -X KEEP", 4),
        ("iptables -v -X EMPTY", 0),
        ("iptables -v -X NOPE", 1),
    ]);
}

#[test]
fn fuzzer_classes_of_commands() {
    agree(&[
        ("iptables -Z INPUT 5", 1),
        ("iptables -Z INPUT 1", 0),
        ("iptables -L INPUT -m tcp", 0),
        ("iptables -F KEEP -m comment --comment x", 0),
        ("iptables -A INPUT -c 0x10 5", 0),
        ("iptables -A INPUT -c 1 18446744073709551616", 0),
        ("iptables -A --line-numbers -j ACCEPT", 1),
        ("iptables -t -j -A INPUT -j TEE", 2),
        ("iptables -A INPUT -m dscp --dscp 0x00 ! -w", 0),
        ("iptables -A INPUT -p tcp --dport 0x10 --sport 010:0x20", 0),
        ("iptables -A INPUT -p tcp -m multiport --dports 0x10,010", 0),
        ("iptables ! -V", 0),
        ("iptables -L -Z -c 1 2", 2),
        ("iptables -L ! --line-numbers", 2),
        ("iptables -A INPUT -j LOG --log-prefix $'a\\nb'", 2),
        // a jump target's name is checked as xt_parse_target does
        ("iptables -A INPUT -j --foo", 2),
        ("iptables -A INPUT -j ''", 2),
        ("iptables -A INPUT -g 'a b'", 2),
        // ports are checked as they are read: before a later -V or -h,
        // and with any command
        ("iptables -A INPUT -p tcp --dport ! -V", 2),
        ("iptables -S -m conntrack --ctrepldstport aaaa", 2),
        ("iptables -L -p udp --dport 0x10", 2),
        // REJECT takes any prefix of a type's name, the first in its table
        ("iptables -A INPUT -p tcp -j REJECT --reject-with tc", 0),
        ("iptables -A INPUT -j REJECT --reject-with ICMP-p", 0),
        ("iptables -A INPUT -j REJECT --reject-with e", 2),
        ("iptables -A INPUT -f-j DROP", 2),
        ("iptables -A INPUT -m limit --limit +1", 0),
        ("iptables -A INPUT -m limit --limit -1", 2),
        ("iptables -A INPUT -p tcp --tcp-flags SYN,,ACK ''", 0),
        (
            "iptables -A INPUT -m statistic --mode nth --every 010 --packet 0x2",
            0,
        ),
        ("iptables -A INPUT -m conntrack --ctreplsrcport ' 4:'", 0),
        // udp reads ports as getaddrinfo does: decimal only
        ("iptables -A INPUT -p udp --dport 0x10", 2),
        ("iptables -A INPUT -p udp --sport 010:' 20'", 0),
        ("iptables -A INPUT -p udp --dport 20:10", 2),
        ("iptables -v -A INPUT -j NOPE", 2),
        ("iptables -A INPUT -s 2147483648 -d 1.2.300 -j ACCEPT", 0),
        ("iptables -A INPUT -d 0x7f000001 -p 0x10 -j ACCEPT", 0),
        ("iptables -A INPUT -s 4294967296 -j ACCEPT", 2),
        (
            "iptables -A INPUT -m comment --comment a -m comment --commen b",
            0,
        ),
        (
            "iptables -A INPUT -m recent --rcheck --name x -m recent --rcheck --name y --rsour",
            0,
        ),
    ]);
}

#[test]
fn restore_flags_twice_and_long_lines() {
    restore_agree(b"*filter\n-A INPUT -j ACCEPT\nCOMMIT\n", "-c -c -n -n", 0);
    let mut long = b"*filter\n# ".to_vec();
    long.extend(std::iter::repeat_n(b'x', 30000));
    long.extend_from_slice(b"\n-A INPUT -j ACCEPT\nCOMMIT\n");
    restore_agree(&long, "", 2);
    // -v prints the first piece of a long comment as fgets read it
    restore_agree(&long, "-v", 2);
}

#[test]
fn check_and_delete_by_spec_among_other_targets() {
    // -C/-D pass over the rules that end in another verdict without
    // decoding them: in a chain of one match with every kind of target,
    // each delete must still remove the first rule of its spec only.
    agree(&[
        ("iptables -N SVC-A", 0),
        ("iptables -N SVC-B", 0),
        ("iptables -A KEEP -s 10.0.0.1 -j SVC-A", 0),
        ("iptables -A KEEP -s 10.0.0.1 -j SVC-B", 0),
        ("iptables -A KEEP -s 10.0.0.1", 0),
        ("iptables -A KEEP -s 10.0.0.1 -g SVC-B", 0),
        ("iptables -A KEEP -s 10.0.0.1 -j LOG", 0),
        ("iptables -A KEEP -s 10.0.0.1 -j RETURN", 0),
        ("iptables -A KEEP -s 10.0.0.1 -j SVC-B", 0),
        ("iptables -A KEEP -s 10.0.0.1 -j ACCEPT", 0),
        ("iptables -C KEEP -s 10.0.0.1 -j SVC-B", 0),
        ("iptables -C KEEP -s 10.0.0.1 -j DROP", 1),
        ("iptables -C KEEP -s 10.0.0.2 -j ACCEPT", 1),
        ("iptables -D KEEP -s 10.0.0.1 -j SVC-B", 0),
        ("iptables -D KEEP -s 10.0.0.1 -j SVC-B", 0),
        ("iptables -D KEEP -s 10.0.0.1 -j SVC-B", 1),
        ("iptables -D KEEP -s 10.0.0.1 -g SVC-B", 0),
        ("iptables -D KEEP -s 10.0.0.1", 0),
        ("iptables -C KEEP -s 10.0.0.1", 1),
        ("iptables -D KEEP -s 10.0.0.1 -j LOG", 0),
        ("iptables -D KEEP -p tcp --dport 22 -j ACCEPT", 0),
        ("iptables -D KEEP -s 10.0.0.1 -j ACCEPT", 0),
        ("iptables -C KEEP -s 10.0.0.1 -j RETURN", 0),
        ("iptables -D KEEP -s 10.0.0.1 -j SVC-A", 0),
    ]);
}

#[test]
fn matches_given_to_commands_without_a_rule_are_checked() {
    // 1.8.10+ take and ignore matches with -P, -F, -L, -S, -Z, -E, -N, -X
    // and -D N, but read their options and make each final check; what
    // only a rule needs (`-p tcp` for `-m tcp`) is not asked for. An icmp
    // match needs its type (every release refuses `-p icmp -m icmp`).
    agree(&[
        ("iptables -P INPUT DROP -m conntrack --ctstate FOO", 2),
        ("iptables -P INPUT DROP -m conntrack", 2),
        ("iptables -P FORWARD DROP -m conntrack --ctstate NEW", 0),
        ("iptables -F KEEP -m comment", 2),
        ("iptables -Z -m mark", 2),
        ("iptables -N NEW1 -m limit --limit foo", 2),
        ("iptables -N NEW2 -m tcp --dport 5", 0),
        ("iptables -E NEW2 NEW3 -m u32 --u32 bad", 2),
        ("iptables -X NEW2 -m statistic --mode nth", 2),
        ("iptables -D INPUT 1 -m recent --name x", 2),
        ("iptables -L INPUT -m tcp --dport 22", 0),
        ("iptables -L INPUT -m tcp --dport 99999", 2),
        ("iptables -S INPUT -m multiport", 2),
        ("iptables -S INPUT -m multiport --dports 80", 2),
        ("iptables -L -m icmp", 2),
        ("iptables -L -m icmp --icmp-type foo", 2),
        ("iptables -A INPUT -m multiport", 2),
        ("iptables -A INPUT -p icmp -m icmp", 2),
        ("iptables -A INPUT -m icmp", 2),
        ("iptables -A INPUT -p icmp -m icmp --icmp-type any", 0),
        ("ip6tables -A INPUT -p icmpv6 -m icmp6", 2),
        ("ip6tables -L -m icmp6", 2),
        ("ip6tables -P INPUT DROP -m hl", 2),
    ]);
}

#[test]
fn an_unknown_table_is_reported_after_the_line_is_read() {
    // 1.8.13 reads and checks the whole line (values, final checks), then
    // reports the table; what only the kernel would refuse (`-m tcp`
    // without `-p tcp`) never comes to it.
    agree(&[
        ("iptables -t foo -A INPUT -m tcp --dport 5", 3),
        ("iptables -t foo -A INPUT -m icmp --icmp-type 8", 3),
        ("iptables -t foo -A INPUT ! -p tcp -m tcp", 3),
        ("iptables -t foo -A INPUT -j -j", 3),
        ("iptables -t foo -A INPUT -p tcp --dport 5", 3),
        ("iptables -t foo -A INPUT -m conntrack", 2),
        ("iptables -t foo -N X -m conntrack", 2),
        ("iptables -t foo -I INPUT -m icmp", 2),
        ("iptables -t foo -A INPUT -s 1.2.3.4/40", 2),
        ("iptables -t foo -A INPUT -m udp --dport 0x10", 2),
        ("iptables -t foo -A INPUT -m multiport --dports 5", 2),
    ]);
}
