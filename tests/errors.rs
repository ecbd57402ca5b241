//! Bad input: rxtables must exit with the reference's status, print the
//! reference's message (one line, plus iptables' `Try ...` line for parameter
//! problems), print nothing on stdout, never panic, and leave the ruleset
//! unchanged. Every case runs in a namespace that already holds some rules
//! (written by iptables-nft), and `iptables-nft-save`/`ip6tables-nft-save`
//! run after every command to prove nothing changed.
//!
//! The expected lines are written down here as iptables-nft 1.8.9 prints them
//! (with `vX` for the version) and checked against the reference's own run, so
//! a wrong expectation shows up as a failure of the reference, i.e. a test bug.

mod common;
use common::*;

/// Rules every error test starts from (written by the reference).
const SETUP: &[&str] = &[
    "iptables-nft -A INPUT -s 9.9.9.9 -j ACCEPT",
    "iptables-nft -N KEEP",
    "iptables-nft -A KEEP -p tcp --dport 22 -j ACCEPT",
    "iptables-nft -t nat -A POSTROUTING -o eth0 -j ACCEPT",
    "ip6tables-nft -A INPUT -s 2001:db8::9 -j ACCEPT",
];

/// Parameter problems of `iptables`: arguments, and the message after
/// `iptables vX (nf_tables): `. All exit 2 with the `Try ...` line.
const PARAM4: &[(&str, &str)] = &[
    // addresses and masks
    (
        "-A INPUT -s 1.2.3.400 -j ACCEPT",
        "host/network `1.2.3.400' not found",
    ),
    (
        "-A INPUT -d 300.1.1.1/8 -j ACCEPT",
        "host/network `300.1.1.1' not found",
    ),
    (
        "-A INPUT -s a..b -j ACCEPT",
        "host/network `a..b' not found",
    ),
    ("-A INPUT -s '' -j ACCEPT", "host/network `' not found"),
    (
        "-A INPUT -s 1.2.3.4/8/8 -j ACCEPT",
        "host/network `1.2.3.4/8' not found",
    ),
    (
        "-A INPUT -s 1.2.3.4/33 -j ACCEPT",
        "invalid mask `33' specified",
    ),
    (
        "-A INPUT -s 1.2.3.4/-1 -j ACCEPT",
        "invalid mask `-1' specified",
    ),
    (
        "-A INPUT -s 1.2.3.4/ -j ACCEPT",
        "invalid mask `' specified",
    ),
    (
        "-A INPUT -d 1.2.3.4/255.255.0.256 -j ACCEPT",
        "invalid mask `255.255.0.256' specified",
    ),
    (
        "-A INPUT -s 1.2.3.4/255.255.255.0.0 -j ACCEPT",
        "invalid mask `255.255.255.0.0' specified",
    ),
    // ports
    (
        "-A INPUT -p tcp --dport 70000 -j ACCEPT",
        "invalid port/service `70000' specified",
    ),
    (
        "-A INPUT -p tcp --dport 65536 -j ACCEPT",
        "invalid port/service `65536' specified",
    ),
    (
        "-A INPUT -p tcp --dport 5:3 -j ACCEPT",
        "invalid portrange (min > max)",
    ),
    (
        "-A INPUT -p tcp --dport foo -j ACCEPT",
        "invalid port/service `foo' specified",
    ),
    (
        "-A INPUT -p tcp --sport 1:2:3 -j ACCEPT",
        "invalid port/service `2:3' specified",
    ),
    (
        "-A INPUT -p udp --sport 1:2:3 -j ACCEPT",
        "udp: Too many components for option \"--source-port\" (max: 2)",
    ),
    (
        "-A INPUT -p tcp --dport 22,23 -j ACCEPT",
        "invalid port/service `22,23' specified",
    ),
    (
        "-A INPUT -p tcp --dport '' -j ACCEPT",
        "invalid port/service `' specified",
    ),
    (
        "-A INPUT -p udp --sport -5 -j ACCEPT",
        "Port \"-5\" does not resolve to anything.",
    ),
    // tcp flags and options, icmp types, protocols
    (
        "-A INPUT -p tcp --tcp-flags FOO SYN -j ACCEPT",
        "Unknown TCP flag `FOO'",
    ),
    (
        "-A INPUT -p tcp --tcp-flags SYN -j ACCEPT",
        "--tcp-flags requires two args.",
    ),
    (
        "-A INPUT -p tcp --syn --tcp-flags SYN SYN",
        "Only one of `--syn' or `--tcp-flags'  allowed",
    ),
    (
        "-A INPUT -p tcp --tcp-option 256 -j ACCEPT",
        "Bad TCP option \"256\"",
    ),
    (
        "-A INPUT -p icmp --icmp-type foo -j ACCEPT",
        "Unknown ICMP type `foo'",
    ),
    (
        "-A INPUT -p icmp --icmp-type 256 -j ACCEPT",
        "Unknown ICMP type `256'",
    ),
    (
        "-A INPUT -p icmp --icmp-type 3/256 -j ACCEPT",
        "Unknown ICMP code `3/256'",
    ),
    (
        "-A INPUT -p foo -j ACCEPT",
        "unknown protocol \"foo\" specified",
    ),
    (
        "-A INPUT -p 256 -j ACCEPT",
        "unknown protocol \"256\" specified",
    ),
    (
        "-A INPUT -m tcp --dport 80 -j ACCEPT",
        "TCP match requires '-p tcp'",
    ),
    // unknown options (rxtables may add "; did you mean ...?")
    ("-a INPUT -j ACCEPT", "unknown option \"-a\""),
    ("-H INPUT", "unknown option \"-H\""),
    ("--bogus", "unknown option \"--bogus\""),
    ("-A INPUT --bogus -j ACCEPT", "unknown option \"--bogus\""),
    (
        "-A INPUT --dport 22 -j ACCEPT",
        "unknown option \"--dport\"",
    ),
    (
        "-A INPUT -p icmp --dport 22 -j ACCEPT",
        "unknown option \"--dport\"",
    ),
    // names too long
    (
        "-N abcdefghijabcdefghijabcdefghi",
        "chain name `abcdefghijabcdefghijabcdefghi' too long (must be under 29 chars)",
    ),
    (
        "-N abcdefghijabcdefghijabcdefghijXYZ",
        "chain name `abcdefghijabcdefghijabcdefghijXYZ' too long (must be under 29 chars)",
    ),
    (
        "-A INPUT -i abcdefghijklmnop -j ACCEPT",
        "interface name `abcdefghijklmnop' must be shorter than 16 characters",
    ),
    (
        "-A OUTPUT -o abcdefghijklmnopq -j ACCEPT",
        "interface name `abcdefghijklmnopq' must be shorter than 16 characters",
    ),
    (
        "-A INPUT -i '' -j ACCEPT",
        "Empty interface is likely to be undesired",
    ),
    ("-N -foo", "chain name not allowed to start with `-'"),
    ("-N 'a b'", "Invalid chain name `a b'"),
    // missing targets and matches
    (
        "-A INPUT -j NOSUCHCHAIN",
        "Chain 'NOSUCHCHAIN' does not exist",
    ),
    (
        "-A INPUT -g NOSUCHCHAIN",
        "Chain 'NOSUCHCHAIN' does not exist",
    ),
    (
        "-I INPUT -s 1.2.3.4 -j NOSUCHCHAIN",
        "Chain 'NOSUCHCHAIN' does not exist",
    ),
    (
        "-A INPUT -m nosuchmatch -j ACCEPT",
        "Couldn't load match `nosuchmatch':No such file or directory",
    ),
    // missing and doubled arguments
    ("-A", "option \"-A\" requires an argument"),
    ("-N", "option \"-N\" requires an argument"),
    ("-A INPUT -s", "option \"-s\" requires an argument"),
    ("-A INPUT -p", "option \"-p\" requires an argument"),
    ("-A INPUT -j", "option \"-j\" requires an argument"),
    (
        "--append INPUT --jump",
        "option \"--jump\" requires an argument",
    ),
    ("-E KEEP", "-E requires old-chain-name and new-chain-name"),
    ("-p tcp", "no command specified"),
    (
        "-A INPUT -c 1",
        "--set-counters requires packet and byte counter",
    ),
    (
        "-A INPUT -c x y",
        "--set-counters packet counter not numeric",
    ),
    ("-I INPUT abc -j ACCEPT", "Invalid rule number `abc'"),
    ("-D INPUT 0", "Invalid rule number `0'"),
    ("-L INPUT FORWARD", "Invalid rule number `FORWARD'"),
    (
        "-A INPUT -p tcp -p udp",
        "multiple --protocol options not allowed",
    ),
    (
        "-A INPUT -s 1.2.3.4 -s 2.3.4.5",
        "multiple --source options not allowed",
    ),
    (
        "-A INPUT -j ACCEPT -j DROP",
        "multiple --jump options not allowed",
    ),
    ("-A INPUT -f -f", "multiple --fragments options not allowed"),
    (
        "-A INPUT ! ! -s 1.2.3.4",
        "multiple consecutive ! not allowed",
    ),
    (
        "-P INPUT ACCEPT -s 1.2.3.4",
        "Illegal option `--source' with this command",
    ),
    (
        "-F INPUT -p tcp",
        "Illegal option `--protocol' with this command",
    ),
    (
        "-C INPUT -c 1 2 -j ACCEPT",
        "Illegal option `--set-counters' with this command",
    ),
    (
        "-A INPUT -o eth1 -j ACCEPT",
        "Can't use --out-interface with INPUT",
    ),
    ("-A OUTPUT -i eth1", "Can't use --in-interface with OUTPUT"),
    // the extension kit's generic checks and value kinds
    (
        "-A INPUT -m comment",
        "comment: option \"--comment\" must be specified",
    ),
    (
        "-A INPUT -m comment ! --comment x",
        "comment: option \"--comment\" cannot be inverted.",
    ),
    (
        "-A INPUT -m mark --mark 1/x",
        "mark: bad integer value for option \"--mark\", or out of range.",
    ),
    (
        "-A INPUT -m mark --mark 1 --mark 2",
        "mark: option \"--mark\" can only be used once.",
    ),
    (
        "-A INPUT -m mark -m comment",
        "mark: option \"--mark\" must be specified",
    ),
    (
        "-A INPUT -m comment -m mark",
        "comment: option \"--comment\" must be specified",
    ),
    (
        "-A INPUT -j MARK",
        "MARK: One of the --set-xmark, --{and,or,xor,set}-mark options is required",
    ),
    (
        "-A INPUT -j MARK --or-mark 2 --set-mark 1",
        "MARK: option \"--set-mark\" cannot be used together with \"--or-mark\".",
    ),
    (
        "-A INPUT -j MARK --set-mark 1 --or-mark x",
        "MARK: bad value for option \"--or-mark\", or out of range (0-4294967295).",
    ),
    ("-L -n -n", "multiple --numeric options not allowed"),
    ("! -t nat -L", "unexpected ! flag before --table"),
    (
        "-A INPUT ! -m tcp -p tcp",
        "unexpected ! flag before --match",
    ),
    ("-A INPUT ! -j ACCEPT", "cannot have ! before --jump"),
];

/// DROP is no nat verdict and no nat policy: a message on a line of its
/// own after an empty prefix line, nothing changed (the nat table is not
/// even created).
fn nat_drop_cases(tool: &str) -> Vec<Expect> {
    ["-t nat -A PREROUTING -j DROP", "-t nat -P POSTROUTING DROP", "-t nat -I OUTPUT -s 1.2.3.4 -j DROP"]
        .iter()
        .map(|args| Expect {
            cmd: format!("{tool} {args}"),
            status: 2,
            lines: vec![
                prefix(tool),
                "The \"nat\" table is not intended for filtering, the use of DROP is therefore inhibited."
                    .to_string(),
                try_line(tool).to_string(),
            ],
        })
        .collect()
}

/// Parameter problems whose message has no `iptables vX (nf_tables): ` prefix.
const PARAM4_BARE: &[(&str, &str)] = &[("-A INPUT -j ACCEPT extra", "Bad argument `extra'")];

/// Parameter problems of `ip6tables` (message after `ip6tables vX (nf_tables): `).
const PARAM6: &[(&str, &str)] = &[
    (
        "-A INPUT -s ::1/129 -j ACCEPT",
        "invalid mask `129' specified",
    ),
    (
        "-A INPUT -s 2001:db8::/-3 -j ACCEPT",
        "invalid mask `-3' specified",
    ),
    (
        "-A INPUT -s 2001:db8::g -j ACCEPT",
        "host/network `2001:db8::g' not found",
    ),
    (
        "-A INPUT -s 1.2.3.4 -j ACCEPT",
        "host/network `1.2.3.4' not found",
    ),
    (
        "-A INPUT -p tcp --dport 65536 -j ACCEPT",
        "invalid port/service `65536' specified",
    ),
    (
        "-A INPUT -p tcp --dport 9:1 -j ACCEPT",
        "invalid portrange (min > max)",
    ),
    (
        "-A INPUT -p ipv6-icmp --icmpv6-type foo -j ACCEPT",
        "Unknown ICMPv6 type `foo'",
    ),
    (
        "-A INPUT -p ipv6-icmp --icmpv6-type 1/300 -j ACCEPT",
        "Unknown ICMPv6 code `1/300'",
    ),
    (
        "-A INPUT -p icmp --icmp-type 8 -j ACCEPT",
        "unknown option \"--icmp-type\"",
    ),
    (
        "-A INPUT -f -j ACCEPT",
        "`-f' is not supported in IPv6, use -m frag instead",
    ),
    ("-a INPUT", "unknown option \"-a\""),
    (
        "-A INPUT -i abcdefghijklmnop",
        "interface name `abcdefghijklmnop' must be shorter than 16 characters",
    ),
    (
        "-N abcdefghijabcdefghijabcdefghij",
        "chain name `abcdefghijabcdefghijabcdefghij' too long (must be under 29 chars)",
    ),
    (
        "-A INPUT -j NOSUCHCHAIN",
        "Chain 'NOSUCHCHAIN' does not exist",
    ),
    (
        "-A INPUT -s 1.2.3.4 --sport 80",
        "unknown option \"--sport\"",
    ),
    (
        "-A INPUT -p tcp --sport",
        "option \"--sport\" requires an argument",
    ),
];

fn prefix(tool: &str) -> String {
    format!("{tool} vX (nf_tables): ")
}

fn try_line(tool: &str) -> &'static str {
    if tool == "ip6tables" {
        TRY_LINE6
    } else {
        TRY_LINE
    }
}

/// One failing command's expectation: the reference's status and the
/// non-empty stderr lines (version-normalized).
struct Expect {
    cmd: String,
    status: i32,
    lines: Vec<String>,
}

/// Runs SETUP then every case with both tools (save after every step) and
/// checks: the reference does what `Expect` says (else: test bug); ours exits
/// the same, prints nothing on stdout and exactly the reference's lines on
/// stderr (first line may carry a suggestion), does not panic, and leaves
/// both families' save output unchanged.
fn check_cases(title: &str, cases: &[Expect]) {
    let mut cmds: Vec<String> = SETUP.iter().map(|s| s.to_string()).collect();
    cmds.extend(cases.iter().map(|c| c.cmd.clone()));
    let refs: Vec<&str> = cmds.iter().map(String::as_str).collect();
    let (r, o) = run_both(&refs, true);
    let n = SETUP.len();
    for s in &r.steps[..n] {
        assert_eq!(s.status, 0, "setup `{}` failed: {}", s.cmd, s.stderr);
    }
    let mut f = Failures::new();
    // Test sanity first: the reference behaves as written down here (all
    // mismatches at once, so that a new reference release is one update).
    let mut sanity = Failures::new();
    for (k, c) in cases.iter().enumerate() {
        let rs = &r.steps[n + k];
        let rl: Vec<String> = nonempty_lines(&rs.stderr)
            .iter()
            .map(|l| normalize_version(l))
            .collect();
        sanity.check((rs.status, &rl) == (c.status, &c.lines), || {
            format!(
                "`{}`: reference {:?}, this test expects {:?}",
                c.cmd,
                (rs.status, &rl),
                (c.status, &c.lines)
            )
        });
    }
    sanity.finish("reference output differs from this test's expectation (test bug)");
    for (k, c) in cases.iter().enumerate() {
        let i = n + k;
        let (rs, os) = (&r.steps[i], &o.steps[i]);
        assert_eq!(
            rs.save4,
            r.steps[i - 1].save4,
            "reference changed the ruleset on `{}`",
            c.cmd
        );

        let label = format!("`{}`", os.cmd);
        f.check(os.status == c.status, || {
            format!(
                "{label}: exit status {} (reference {}), stderr: {}",
                os.status,
                c.status,
                os.stderr.trim_end()
            )
        });
        f.check(os.stdout.is_empty(), || {
            format!("{label}: printed on stdout: {:?}", os.stdout)
        });
        // Exactly the expected lines; the one blank line iptables prints
        // after some messages may be there or not.
        // (1.8.13 prints two after the nat DROP message).
        let ol: Vec<&str> = os.stderr.lines().collect();
        let blanks = |t: &str| t.lines().filter(|l| l.is_empty()).count();
        let blank_ok = blanks(&os.stderr) <= blanks(&rs.stderr).max(1);
        let ol_ne: Vec<&str> = ol.iter().copied().filter(|l| !l.is_empty()).collect();
        let ok_shape = blank_ok
            && ol_ne.len() == c.lines.len()
            && message_core(ol_ne[0]) == c.lines[0]
            && ol_ne[1..]
                .iter()
                .zip(&c.lines[1..])
                .all(|(a, b)| normalize_version(a) == *b);
        f.check(ok_shape, || {
            format!(
                "{label}: stderr\n  expected: {:?}\n  got:      {:?}",
                c.lines, ol
            )
        });
        check_no_crash(&mut f, &label, os);
        check_unchanged(&mut f, &label, &o.steps[i - 1], os);
    }
    f.finish(title);
}

fn param_cases(tool: &str, table: &[(&str, &str)], prefixed: bool) -> Vec<Expect> {
    table
        .iter()
        .map(|(args, msg)| Expect {
            cmd: format!("{tool} {args}"),
            status: 2,
            lines: vec![
                if prefixed {
                    format!("{}{msg}", prefix(tool))
                } else {
                    msg.to_string()
                },
                try_line(tool).to_string(),
            ],
        })
        .collect()
}

#[test]
fn parameter_problems_v4_exit_2_with_one_line_and_change_nothing() {
    let mut cases = param_cases("iptables", PARAM4, true);
    cases.extend(param_cases("iptables", PARAM4_BARE, false));
    cases.extend(nat_drop_cases("iptables"));
    check_cases("iptables parameter problems", &cases);
}

#[test]
fn parameter_problems_v6_exit_2_with_one_line_and_change_nothing() {
    let mut cases = param_cases("ip6tables", PARAM6, true);
    cases.extend(nat_drop_cases("ip6tables"));
    check_cases("ip6tables parameter problems", &cases);
}

#[test]
fn unknown_table_exits_3() {
    let mut cases = Vec::new();
    for tool in ["iptables", "ip6tables"] {
        for args in [
            "-t nosuchtable -A INPUT -j ACCEPT",
            "-t nosuchtable -L",
            "-t nosuchtable -S",
        ] {
            cases.push(Expect {
                cmd: format!("{tool} {args}"),
                status: 3,
                lines: vec![
                    format!("{}table 'nosuchtable' does not exist", prefix(tool)),
                    format!("Perhaps {tool} or your kernel needs to be upgraded."),
                ],
            });
        }
    }
    check_cases("unknown table", &cases);
}

/// Exit status 1 (a missing chain or rule, an existing chain, an index too
/// big) and `-C`. Runs in order; the state builds up (`-N foo` then again).
#[test]
fn other_problems_exit_1_and_check_command() {
    let mut cmds: Vec<String> = SETUP.iter().map(|s| s.to_string()).collect();
    let seq: &[(&str, i32, &str)] = &[
        ("iptables -N foo", 0, ""),
        ("iptables -N foo", 1, "iptables: Chain already exists."),
        ("iptables -t nat -N foo", 0, ""),
        (
            "iptables -t nat -N foo",
            1,
            "iptables: Chain already exists.",
        ),
        ("iptables -N KEEP", 1, "iptables: Chain already exists."),
        (
            "iptables -F bar",
            1,
            "iptables: No chain/target/match by that name.",
        ),
        (
            "iptables -Z bar",
            1,
            "iptables: No chain/target/match by that name.",
        ),
        (
            "iptables -X bar",
            1,
            "iptables: No chain/target/match by that name.",
        ),
        (
            "iptables -A bar -j ACCEPT",
            1,
            "iptables: No chain/target/match by that name.",
        ),
        (
            "iptables -I bar 2 -j ACCEPT",
            1,
            "iptables: No chain/target/match by that name.",
        ),
        (
            "iptables -E nope x",
            1,
            "iptables: No chain/target/match by that name.",
        ),
        ("iptables -E foo KEEP", 1, "iptables: File exists."),
        (
            "iptables -D INPUT -s 5.5.5.5 -j DROP",
            1,
            "iptables: Bad rule (does a matching rule exist in that chain?).",
        ),
        (
            "iptables -D INPUT -s 9.9.9.9 -j DROP",
            1,
            "iptables: Bad rule (does a matching rule exist in that chain?).",
        ),
        (
            "iptables -D KEEP -p tcp --dport 23 -j ACCEPT",
            1,
            "iptables: Bad rule (does a matching rule exist in that chain?).",
        ),
        (
            "iptables -I INPUT 23 -j ACCEPT",
            1,
            "iptables: Index of insertion too big.",
        ),
        (
            "iptables -I INPUT 3 -j ACCEPT",
            1,
            "iptables: Index of insertion too big.",
        ),
        (
            "iptables -D INPUT 23",
            1,
            "iptables: Index of deletion too big.",
        ),
        (
            "iptables -R INPUT 23 -j ACCEPT",
            1,
            "iptables: Index of replacement too big.",
        ),
        ("iptables -C INPUT -s 9.9.9.9 -j ACCEPT", 0, ""),
        ("iptables -C INPUT -s 9.9.9.9/32 -j ACCEPT", 0, ""),
        ("iptables -C KEEP -p tcp -m tcp --dport 22 -j ACCEPT", 0, ""),
        (
            "iptables -C INPUT -s 9.9.9.8 -j ACCEPT",
            1,
            "iptables: Bad rule (does a matching rule exist in that chain?).",
        ),
        (
            "iptables -C INPUT -s 9.9.9.9 -j DROP",
            1,
            "iptables: Bad rule (does a matching rule exist in that chain?).",
        ),
        (
            "iptables -C INPUT -s 9.9.9.9",
            1,
            "iptables: Bad rule (does a matching rule exist in that chain?).",
        ),
        (
            "iptables -C bar -j ACCEPT",
            1,
            "iptables: Bad rule (does a matching rule exist in that chain?).",
        ),
        ("iptables -t nat -C POSTROUTING -o eth0 -j ACCEPT", 0, ""),
        (
            "iptables -t nat -C POSTROUTING -o eth1 -j ACCEPT",
            1,
            "iptables: Bad rule (does a matching rule exist in that chain?).",
        ),
        (
            "iptables -P INPUT RETURN",
            1,
            "iptables: Bad policy name. Run `dmesg' for more information.",
        ),
        (
            "iptables -P FOO ACCEPT",
            1,
            "iptables: Bad built-in chain name.",
        ),
        ("ip6tables -N foo", 0, ""),
        ("ip6tables -N foo", 1, "ip6tables: Chain already exists."),
        (
            "ip6tables -F bar",
            1,
            "ip6tables: No chain/target/match by that name.",
        ),
        (
            "ip6tables -D INPUT -s 2001:db8::8 -j ACCEPT",
            1,
            "ip6tables: Bad rule (does a matching rule exist in that chain?).",
        ),
        (
            "ip6tables -I INPUT 5 -j ACCEPT",
            1,
            "ip6tables: Index of insertion too big.",
        ),
        ("ip6tables -C INPUT -s 2001:db8::9 -j ACCEPT", 0, ""),
        (
            "ip6tables -C INPUT -s 2001:db8::9 -j DROP",
            1,
            "ip6tables: Bad rule (does a matching rule exist in that chain?).",
        ),
    ];
    cmds.extend(seq.iter().map(|(c, _, _)| c.to_string()));
    let refs: Vec<&str> = cmds.iter().map(String::as_str).collect();
    let (r, o) = run_both(&refs, true);
    let n = SETUP.len();
    let mut f = Failures::new();
    for (k, (cmd, status, msg)) in seq.iter().enumerate() {
        let i = n + k;
        let (rs, os) = (&r.steps[i], &o.steps[i]);
        let want: Vec<String> = if msg.is_empty() {
            vec![]
        } else {
            vec![msg.to_string()]
        };
        let rl: Vec<String> = nonempty_lines(&rs.stderr)
            .iter()
            .map(|l| l.to_string())
            .collect();
        assert_eq!(
            (rs.status, &rl),
            (*status, &want),
            "reference differs from expectation for `{cmd}` (test bug)"
        );

        f.check(os.status == *status, || {
            format!(
                "`{cmd}`: exit status {} (want {status}), stderr: {}",
                os.status,
                os.stderr.trim_end()
            )
        });
        let ol: Vec<String> = os.stderr.lines().map(String::from).collect();
        f.check(ol == want, || {
            format!("`{cmd}`: stderr\n  expected: {want:?}\n  got:      {ol:?}")
        });
        f.check(os.stdout.is_empty(), || {
            format!("`{cmd}`: printed on stdout: {:?}", os.stdout)
        });
        // Failing commands (and -C) must not change anything; successful ones
        // must change what the reference changed.
        f.check_eq(
            &format!("`{cmd}`: iptables-nft-save afterwards"),
            rs.save4.as_deref().unwrap(),
            os.save4.as_deref().unwrap(),
        );
        f.check_eq(
            &format!("`{cmd}`: ip6tables-nft-save afterwards"),
            rs.save6.as_deref().unwrap(),
            os.save6.as_deref().unwrap(),
        );
        if *status != 0 || cmd.contains(" -C ") {
            f.check(
                os.save4 == o.steps[i - 1].save4 && os.save6 == o.steps[i - 1].save6,
                || format!("`{cmd}` changed the ruleset"),
            );
        }
    }
    f.finish("exit status 1 cases");
}

/// rxtables goes one better than iptables: an unknown option gets a
/// suggestion (issue 2: `-a` → did you mean `-A` (`--append`)?). The message
/// itself still starts like iptables' one (checked in the tests above).
#[test]
fn unknown_option_gets_a_suggestion() {
    let out = ns_bash(
        "iptables -a INPUT -j ACCEPT; echo \"rc=$?\"; iptables-nft-save | grep -c -- '^-A' || true",
    );
    let first = out.stderr.lines().next().unwrap_or_default();
    assert!(
        out.stdout.starts_with("rc=2\n"),
        "status: {}\n{}",
        out.stdout,
        out.stderr
    );
    assert!(
        first.starts_with("iptables v") && first.contains("unknown option \"-a\""),
        "first line: {first}"
    );
    assert!(
        first.contains("did you mean") && first.contains("-A"),
        "no suggestion of -A in: {first}"
    );
    assert!(
        out.stdout.ends_with("0\n"),
        "a rule was added: {}",
        out.stdout
    );
}

/// Garbage of every kind, all rejected by iptables-nft: no panic, no signal,
/// no hang; the reference's exit status; a message on stderr; nothing on
/// stdout; the ruleset unchanged.
#[test]
fn garbage_never_panics() {
    let long = "x".repeat(5000);
    let nums = "9".repeat(40);
    let args: Vec<String> = vec![
        "''".into(),
        "'' '' ''".into(),
        "!".into(),
        "-A INPUT !".into(),
        "-A INPUT -s 1.2.3.4 !".into(),
        "-A INPUT ! -j ACCEPT".into(),
        "-A '' -j ACCEPT".into(),
        "-A INPUT -p ''".into(),
        "-A INPUT -p tcp --dport".into(),
        "-A INPUT -p tcp --dport ::".into(),
        "-A INPUT -p tcp --dport -1".into(),
        "-A INPUT -p tcp --sport 1-2".into(),
        format!("-A INPUT -p tcp --dport {nums}"),
        "-A INPUT -p tcp --tcp-option -1".into(),
        "-A INPUT -p tcp --tcp-option ''".into(),
        "-A INPUT -p icmp --icmp-type ''".into(),
        "-A INPUT -p icmp --icmp-type /".into(),
        "-A INPUT -p icmp --icmp-type 3/".into(),
        "-A INPUT -p icmp --icmp-type /3".into(),
        format!("-A INPUT -p icmp --icmp-type {nums}"),
        "-A INPUT -s /".into(),
        "-A INPUT -s 1.2.3.4/255.255.255.255/1".into(),
        format!("-A INPUT -s 1.2.3.4/{nums}"),
        "-A INPUT -s ,,,".into(),
        "-A INPUT -s 1.2.3.4,".into(),
        "-A INPUT -s '1.2.3.4 '".into(),
        "-A INPUT -s 1.2.3.4.5".into(),
        "-A INPUT -s 1..2.3".into(),
        "-A INPUT -s ...".into(),
        format!("-A INPUT -i {long}"),
        format!("-A INPUT -j {long}"),
        format!("-N {long}"),
        format!("-A INPUT -s {long}"),
        format!("--{long}"),
        "-A INPUT -m".into(),
        "-A INPUT -m ''".into(),
        "-A INPUT -j ''".into(),
        "-A INPUT -g ''".into(),
        "-A INPUT -g INPUT".into(),
        "-A INPUT -c -1 -1".into(),
        "-I INPUT -1 -j ACCEPT".into(),
        format!("-I INPUT {nums} -j ACCEPT"),
        format!("-D INPUT {nums}"),
        "-R INPUT".into(),
        "-R INPUT 0 -j ACCEPT".into(),
        "-S INPUT 0".into(),
        "-S INPUT -1".into(),
        "-L -Z -F".into(),
        "-A INPUT -A OUTPUT".into(),
        "-t".into(),
        "-t ''".into(),
        "-w -w".into(),
        "-w x -A INPUT".into(),
        "--wait=abc -A INPUT".into(),
        "-W".into(),
        "-P".into(),
        "-P INPUT".into(),
        "-E".into(),
        "--".into(),
        "-- -A INPUT".into(),
        "-A=INPUT".into(),
    ];
    let cases: Vec<String> = ["iptables", "ip6tables"]
        .iter()
        .flat_map(|t| args.iter().map(move |a| format!("{t} {a}")))
        .collect();
    let mut cmds: Vec<String> = SETUP.iter().map(|s| s.to_string()).collect();
    cmds.extend(cases.iter().cloned());
    let refs: Vec<&str> = cmds.iter().map(String::as_str).collect();
    let (r, o) = run_both(&refs, true);
    let n = SETUP.len();
    let mut f = Failures::new();
    for i in n..cmds.len() {
        let (rs, os) = (&r.steps[i], &o.steps[i]);
        assert_ne!(
            rs.status,
            0,
            "the reference accepts `{}` (test bug: not garbage)",
            shorten(&rs.cmd)
        );
        let label = format!("`{}`", shorten(&os.cmd));
        check_no_crash(&mut f, &label, os);
        // iptables 1.8.13 crashes (SIGSEGV, 139) on a rule number beyond
        // 2^64 (`-D INPUT 99999999999999999999`, its own bug, see
        // docs/differences.md); there rxtables must refuse it as a
        // parameter problem, as 1.8.9 did.
        let expected = if rs.status >= 128 { 2 } else { rs.status };
        f.check(os.status == expected, || {
            format!(
                "{label}: exit status {} (reference {})\n  ours: {}\n  reference: {}",
                os.status,
                rs.status,
                shorten(os.stderr.lines().next().unwrap_or("")),
                shorten(rs.stderr.lines().next().unwrap_or(""))
            )
        });
        f.check(os.stdout.is_empty(), || {
            format!("{label}: printed on stdout: {:?}", shorten(&os.stdout))
        });
        f.check(os.status == 0 || !os.stderr.trim().is_empty(), || {
            format!("{label}: failed without a message")
        });
        check_unchanged(&mut f, &label, &o.steps[i - 1], os);
    }
    f.finish("garbage input");
}

/// Odd input that iptables-nft 1.8.9 nevertheless accepts. rxtables must not
/// crash; it may accept it (then it must change the ruleset exactly as the
/// reference does) or reject it as a parameter problem (then change nothing).
#[test]
fn odd_input_accepted_by_reference_never_panics() {
    let nums = "9".repeat(40);
    let args: Vec<String> = vec![
        "-A INPUT -p tcp --dport :".into(),
        "-A INPUT -p tcp --tcp-flags , ,".into(),
        "-A INPUT -p tcp --tcp-flags '' ''".into(),
        "-A INPUT -i 'é€漢字ab'".into(),
        "-A INPUT -p tcp -m tcp --dport 1 -m tcp --dport 2".into(),
        format!("-A INPUT -c {nums} 1"),
        "-t filter -t nat -L".into(),
        "--append=INPUT -j ACCEPT".into(),
        "--app INPUT -j ACCEPT".into(),
        "--a INPUT -j ACCEPT".into(),
    ];
    let mut cases: Vec<String> = ["iptables", "ip6tables"]
        .iter()
        .flat_map(|t| args.iter().map(move |a| format!("{t} {a}")))
        .collect();
    cases.push("iptables -A INPUT -s 0x01020304".into());
    let mut cmds: Vec<String> = SETUP.iter().map(|s| s.to_string()).collect();
    cmds.extend(cases.iter().cloned());
    let refs: Vec<&str> = cmds.iter().map(String::as_str).collect();
    let (r, o) = run_both(&refs, true);
    let n = SETUP.len();
    let mut f = Failures::new();
    for i in n..cmds.len() {
        let (rs, os) = (&r.steps[i], &o.steps[i]);
        assert_eq!(
            rs.status,
            0,
            "the reference rejects `{}` (test bug)",
            shorten(&rs.cmd)
        );
        let label = format!("`{}`", shorten(&os.cmd));
        check_no_crash(&mut f, &label, os);
        if os.status == 0 {
            for (fam, rb, ra, ob, oa) in [
                (
                    "iptables",
                    &r.steps[i - 1].save4,
                    &rs.save4,
                    &o.steps[i - 1].save4,
                    &os.save4,
                ),
                (
                    "ip6tables",
                    &r.steps[i - 1].save6,
                    &rs.save6,
                    &o.steps[i - 1].save6,
                    &os.save6,
                ),
            ] {
                let rd = rule_delta(rb.as_deref().unwrap(), ra.as_deref().unwrap());
                let od = rule_delta(ob.as_deref().unwrap(), oa.as_deref().unwrap());
                f.check(rd == od, || {
                    format!("{label}: accepted, but changed the {fam} rules differently:\n  reference (added, removed): {rd:?}\n  rxtables:  {od:?}")
                });
            }
            f.check_eq(&format!("{label}: stdout"), &rs.stdout, &os.stdout);
        } else {
            f.check(os.status == 2, || {
                format!(
                    "{label}: rejected with status {} (not 2): {}",
                    os.status,
                    os.stderr.trim_end()
                )
            });
            f.check(os.stdout.is_empty(), || {
                format!("{label}: printed on stdout: {:?}", shorten(&os.stdout))
            });
            check_unchanged(&mut f, &label, &o.steps[i - 1], os);
        }
    }
    f.finish("odd input");
}

fn check_no_crash(f: &mut Failures, label: &str, os: &Step) {
    f.check(
        !os.stderr.contains("panicked") && os.status != 101 && os.status < 124,
        || {
            format!(
                "{label}: PANIC/CRASH/HANG (status {}): {}",
                os.status,
                shorten(&os.stderr)
            )
        },
    );
}

fn check_unchanged(f: &mut Failures, label: &str, before: &Step, after: &Step) {
    for (fam, b, a) in [
        ("iptables", &before.save4, &after.save4),
        ("ip6tables", &before.save6, &after.save6),
    ] {
        let (b, a) = (b.as_deref().unwrap(), a.as_deref().unwrap());
        f.check(a == b, || {
            format!(
                "{label}: changed the {fam}-nft-save output:\n{}",
                diff(b, a)
            )
        });
    }
}

fn shorten(s: &str) -> String {
    if s.len() > 160 {
        let mut end = 150;
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        format!("{}...({} bytes)", &s[..end], s.len())
    } else {
        s.to_string()
    }
}
