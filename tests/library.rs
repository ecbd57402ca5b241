//! The library API ([`rxtables::firewall`]): the port-forward example
//! program run in a private network namespace, and the API's own
//! behaviour (typed read-back, single changes, all-or-nothing
//! transactions and save texts).
//!
//! The library works on the namespace of the process calling it, so the
//! in-process tests run in a child: the test binary runs itself under
//! `unshare -n` with only one `#[ignore]`d test selected (`inner_*`),
//! which first checks that it is not in the machine's namespace. What the
//! library did is checked with iptables 1.8.13's `iptables-save` (the
//! reference), not only with the library's own reading.

mod common;
use common::*;

use rxtables::firewall::{
    parse_command, parse_rule, Family, Firewall, Mode, Policy, RuleBuilder, Table, Target,
    Transaction,
};
use std::path::PathBuf;
use std::process::{Command, Stdio};

/// The reference's `iptables-save` of the namespace, comments and
/// counters left out, so that it can be compared.
fn ref_save() -> String {
    let out = Command::new(release_tool(REFERENCE_RELEASE, "iptables-save"))
        .stdin(Stdio::null())
        .output()
        .expect("run iptables-save 1.8.13");
    assert!(
        out.status.success(),
        "iptables-save: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    strip_save_comments(&String::from_utf8_lossy(&out.stdout))
        .lines()
        .map(|l| match l.strip_suffix(" [0:0]") {
            Some(rest) if l.starts_with(':') => rest.to_string(),
            _ => l.to_string(),
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn rule_lines_of(save: &str) -> Vec<&str> {
    save.lines().filter(|l| l.starts_with("-A ")).collect()
}

// ---- the example program ------------------------------------------------

/// `target/<profile>/examples/port_forward`, built if this test run did not
/// build it (`cargo test --test library` builds no example).
fn example_bin() -> PathBuf {
    let exe = std::env::current_exe().expect("current_exe");
    // target/<profile>/deps/library-HASH
    let profile_dir = exe
        .parent()
        .and_then(|d| d.parent())
        .expect("test binary in target/<profile>/deps")
        .to_path_buf();
    let bin = profile_dir.join("examples").join("port_forward");
    if !bin.exists() {
        let profile = match profile_dir.file_name().and_then(|n| n.to_str()) {
            Some("debug") => "dev".to_string(),
            Some(p) => p.to_string(),
            None => "release".to_string(),
        };
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let st = Command::new(cargo)
            .args(["build", "--example", "port_forward", "--profile", &profile])
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .stdin(Stdio::null())
            .status()
            .expect("run cargo build --example port_forward");
        assert!(st.success(), "cargo build --example port_forward failed");
    }
    assert!(bin.exists(), "{} is missing", bin.display());
    bin
}

const DNAT_LINE: &str = "-A PREROUTING -i wan0 -p tcp -m tcp --dport 8080 -m comment --comment \"rxtables port_forward\" -j DNAT --to-destination 192.0.2.10:80";
const JUMP_LINE: &str = "-A FORWARD -i wan0 -j PORTFW";
const ALLOW_LINE: &str =
    "-A PORTFW -d 192.0.2.10/32 -p tcp -m tcp --dport 80 -m conntrack --ctstate DNAT -j ACCEPT";

/// The example sets the forward up in one step and removes it in another;
/// after each, the reference's iptables-save shows exactly that. Running
/// `add` twice or `remove` with nothing there fails and changes nothing.
#[test]
fn port_forward_example_adds_and_removes_the_forward() {
    let ex = example_bin();
    let script = format!(
        "EX='{}'\n\
         $EX add || exit 10\n\
         echo '== after add'; iptables-nft-save\n\
         $EX show || exit 11\n\
         $EX add 2>&1 && exit 12\n\
         echo '== after second add'; iptables-nft-save\n\
         $EX remove || exit 13\n\
         echo '== after remove'; iptables-nft-save\n\
         $EX remove 2>&1 && exit 14\n\
         $EX show 2>&1 && exit 15\n\
         echo '== demo'; $EX demo || exit 16\n\
         echo '== after demo'; iptables-nft-save\n",
        ex.display()
    );
    let o = ns_bash(&script);
    assert_eq!(o.status, 0, "stdout:\n{}\nstderr:\n{}", o.stdout, o.stderr);
    let part = |from: &str, to: &str| -> String {
        let s = o.stdout.split(from).nth(1).unwrap_or("");
        s.split(to).next().unwrap_or("").to_string()
    };
    let added = part("== after add", "==");
    let rules = rule_lines_of(&added);
    assert_eq!(rules, vec![JUMP_LINE, ALLOW_LINE, DNAT_LINE], "{added}");
    assert!(added.contains(":PORTFW - [0:0]"), "{added}");
    assert!(o.stdout.contains("Chain already exists"), "{}", o.stdout);
    assert_eq!(
        rule_lines_of(&part("== after second add", "==")),
        rules,
        "a failed add changed the ruleset"
    );
    for step in ["== after remove", "== after demo"] {
        let after = part(step, "==");
        assert!(after.contains("*nat"), "{step}: {after}");
        assert!(rule_lines_of(&after).is_empty(), "{step}: {after}");
        assert!(!after.contains("PORTFW"), "{step}: {after}");
    }
    assert!(o.stdout.contains("Bad rule"), "{}", o.stdout);
    assert!(
        o.stdout.contains("-> DNAT --to-destination 192.0.2.10:80"),
        "{}",
        o.stdout
    );
}

// ---- the API, in-process in a private namespace -------------------------

const BASE: &str = "*filter\n\
:INPUT ACCEPT [0:0]\n\
:FORWARD DROP [0:0]\n\
:OUTPUT ACCEPT [0:0]\n\
:KEEP - [0:0]\n\
-A INPUT -i lo -j ACCEPT\n\
-A INPUT -p tcp -m tcp --dport 22 -j KEEP\n\
-A KEEP -j ACCEPT\n\
COMMIT\n";

/// A transaction with one change that cannot be made changes nothing, and
/// its error names that change; the same transaction without it makes
/// every change at once.
#[test]
fn transaction_is_all_or_nothing() {
    in_namespace("inner_transaction_is_all_or_nothing");
}

#[test]
#[ignore = "runs only in its namespace, through transaction_is_all_or_nothing"]
fn inner_transaction_is_all_or_nothing() {
    guard_private_netns();
    let f = Family::V4;
    let mut fw = Firewall::open(f).expect("open");
    fw.apply_save_text(BASE, Mode::Flush).expect("base ruleset");
    let before = ref_save();
    assert_eq!(rule_lines_of(&before).len(), 3, "{before}");

    let web = parse_rule(f, "-p tcp --dport 443 -j WEB").unwrap();
    let mut tx = Transaction::new(f);
    tx.new_chain(Table::Filter, "WEB")
        .append(Table::Filter, "WEB", &parse_rule(f, "-j ACCEPT").unwrap())
        .append(Table::Filter, "INPUT", &web)
        .set_policy(Table::Filter, "INPUT", Policy::Drop)
        .command("-t nat -A POSTROUTING -o eth0 -j MASQUERADE")
        .unwrap();
    let good = tx.clone();

    // 6: a rule to delete that is not there
    tx.delete(
        Table::Filter,
        "INPUT",
        &parse_rule(f, "-p udp --dport 53 -j ACCEPT").unwrap(),
    );
    let e = fw.commit(&tx).expect_err("the delete must fail");
    assert_eq!(e.line, Some(6), "{e}");
    assert!(e.to_string().contains("Bad rule"), "{e}");
    assert_eq!(
        ref_save(),
        before,
        "a failed transaction changed the ruleset"
    );

    // a jump to a chain that does not exist (checked at the end, as at COMMIT)
    let mut tx2 = good.clone();
    tx2.append(
        Table::Filter,
        "OUTPUT",
        &parse_rule(f, "-j NOWHERE").unwrap(),
    );
    let e = fw.commit(&tx2).expect_err("jump to a missing chain");
    assert_eq!(e.line, Some(6), "{e}");
    assert!(e.to_string().contains("NOWHERE"), "{e}");
    assert_eq!(ref_save(), before);

    // an index past the end, in the middle of the transaction
    let mut tx3 = Transaction::new(f);
    tx3.append(Table::Filter, "INPUT", &parse_rule(f, "-j DROP").unwrap())
        .replace(Table::Filter, "KEEP", 5, &parse_rule(f, "-j DROP").unwrap())
        .new_chain(Table::Filter, "LATER");
    let e = fw.commit(&tx3).expect_err("replace of rule 5 of 1");
    assert_eq!(e.line, Some(2), "{e}");
    assert_eq!(ref_save(), before);

    // the kernel itself refuses a change (MASQUERADE outside nat): the
    // whole batch is refused, the earlier changes with it
    let mut tx4 = Transaction::new(f);
    tx4.new_chain(Table::Filter, "EARLIER").append(
        Table::Filter,
        "OUTPUT",
        &parse_rule(f, "-j MASQUERADE").unwrap(),
    );
    let e = fw.commit(&tx4).expect_err("MASQUERADE in filter");
    assert_eq!(e.line, Some(2), "{e}");
    assert_eq!(ref_save(), before);

    // without the bad change: everything, at once
    fw.commit(&good).expect("the good transaction");
    let after = ref_save();
    let rules = rule_lines_of(&after);
    assert!(
        rules.contains(&"-A INPUT -p tcp -m tcp --dport 443 -j WEB"),
        "{after}"
    );
    assert!(rules.contains(&"-A WEB -j ACCEPT"), "{after}");
    assert!(
        rules.contains(&"-A POSTROUTING -o eth0 -j MASQUERADE"),
        "{after}"
    );
    assert!(after.contains(":INPUT DROP"), "{after}");
    assert_eq!(rules.len(), 6, "{after}");
}

/// Single changes and typed read-back agree with the reference's save.
#[test]
fn single_changes_and_typed_read_back() {
    in_namespace("inner_single_changes_and_typed_read_back");
}

#[test]
#[ignore = "runs only in its namespace, through single_changes_and_typed_read_back"]
fn inner_single_changes_and_typed_read_back() {
    guard_private_netns();
    let f = Family::V4;
    let mut fw = Firewall::open(f).expect("open");
    let ssh = parse_rule(f, "-s 10.0.0.0/8 -p tcp --dport 22 -j ACCEPT").unwrap();
    let lo = RuleBuilder::new(f)
        .in_interface("lo")
        .jump("ACCEPT")
        .build()
        .unwrap();
    let drop = RuleBuilder::new(f).jump("DROP").build().unwrap();

    // nothing there yet: INPUT is not made, and has no rules
    assert!(fw.chain(Table::Filter, "INPUT").unwrap().is_none());
    assert_eq!(fw.rules(Table::Filter, "INPUT").unwrap(), vec![]);
    assert!(fw.rules(Table::Filter, "NOCHAIN").is_err());
    fw.append(Table::Filter, "INPUT", &ssh).unwrap();
    fw.append(Table::Filter, "INPUT", &drop).unwrap();
    fw.insert(Table::Filter, "INPUT", 1, &lo).unwrap();
    assert!(fw.check(Table::Filter, "INPUT", &ssh).unwrap());
    let other = parse_rule(f, "-p tcp --dport 23 -j ACCEPT").unwrap();
    assert!(!fw.check(Table::Filter, "INPUT", &other).unwrap());
    // iptables -C answers "Bad rule" for a missing chain too
    assert!(!fw.check(Table::Filter, "NOCHAIN", &ssh).unwrap());
    let jump = parse_rule(f, "-j NOWHERE").unwrap();
    assert!(fw.check(Table::Filter, "INPUT", &jump).is_err());

    let got = fw.rules(Table::Filter, "INPUT").unwrap();
    assert_eq!(got.len(), 3);
    assert!(got[0].same_spec(&lo) && got[1].same_spec(&ssh) && got[2].same_spec(&drop));
    assert_eq!(got[2].target, Target::Drop);
    assert_eq!(
        rule_lines_of(&ref_save()),
        vec![
            "-A INPUT -i lo -j ACCEPT",
            "-A INPUT -s 10.0.0.0/8 -p tcp -m tcp --dport 22 -j ACCEPT",
            "-A INPUT -j DROP",
        ]
    );

    fw.replace(Table::Filter, "INPUT", 3, &other).unwrap();
    fw.delete(Table::Filter, "INPUT", &lo).unwrap();
    assert!(fw.delete(Table::Filter, "INPUT", &lo).is_err());
    fw.new_chain(Table::Filter, "MINE").unwrap();
    fw.append(Table::Filter, "MINE", &drop).unwrap();
    fw.rename_chain(Table::Filter, "MINE", "OURS").unwrap();
    fw.set_policy(Table::Filter, "FORWARD", Policy::Drop)
        .unwrap();
    assert_eq!(
        fw.policy(Table::Filter, "FORWARD").unwrap(),
        Some(Policy::Drop)
    );
    assert_eq!(
        fw.chains(Table::Filter).unwrap(),
        // OUTPUT was never used: as with iptables-nft, it does not exist yet
        vec!["INPUT", "FORWARD", "OURS"]
    );
    assert!(fw.delete_chain(Table::Filter, "OURS").is_err(), "not empty");
    fw.flush(Table::Filter, Some("OURS")).unwrap();
    fw.delete_chain(Table::Filter, "OURS").unwrap();
    fw.delete_at(Table::Filter, "INPUT", 1).unwrap();
    fw.run_command("-t nat -A OUTPUT -p tcp --dport 80 -j REDIRECT --to-ports 8080")
        .unwrap();

    let save = ref_save();
    assert_eq!(
        rule_lines_of(&save),
        vec![
            "-A INPUT -p tcp -m tcp --dport 23 -j ACCEPT",
            "-A OUTPUT -p tcp -m tcp --dport 80 -j REDIRECT --to-ports 8080",
        ],
        "{save}"
    );
    assert!(save.contains(":FORWARD DROP"), "{save}");
    // the library's own save text is the same ruleset
    let ours = fw.save_text(None, false).unwrap();
    assert_eq!(
        rule_lines_of(&strip_save_comments(&ours)),
        rule_lines_of(&save)
    );
    // typed: the whole table, with its policies
    let st = fw.table(Table::Filter).unwrap();
    let fwd = st.chain("FORWARD").unwrap();
    assert_eq!(fwd.policy, Some(Policy::Drop));
    let nat = fw.rules(Table::Nat, "OUTPUT").unwrap();
    assert_eq!(nat[0].target.name(), "REDIRECT");

    // errors are iptables' own
    let e = fw.append(Table::Filter, "NOCHAIN", &drop).unwrap_err();
    assert_eq!(
        e.render("iptables"),
        "iptables: No chain/target/match by that name."
    );
    assert_eq!(e.exit_code(), 1);
}

/// A whole save text is applied as one transaction: with `Flush` its
/// tables are replaced, with `NoFlush` added to; a text with an error
/// anywhere changes nothing.
#[test]
fn save_text_is_one_transaction() {
    in_namespace("inner_save_text_is_one_transaction");
}

#[test]
#[ignore = "runs only in its namespace, through save_text_is_one_transaction"]
fn inner_save_text_is_one_transaction() {
    guard_private_netns();
    let mut fw = Firewall::open(Family::V4).expect("open");
    fw.apply_save_text(BASE, Mode::Flush).unwrap();
    let before = ref_save();
    assert_eq!(
        before.lines().filter(|l| !l.is_empty()).collect::<Vec<_>>(),
        BASE.lines()
            .map(|l| l.strip_suffix(" [0:0]").unwrap_or(l))
            .collect::<Vec<_>>()
    );

    // a good nat table, then a filter table whose line 10 jumps to a chain
    // that does not exist: found at the block's COMMIT (line 11), as
    // iptables-restore reports it
    let bad = "*nat\n:PREROUTING ACCEPT [0:0]\n-A PREROUTING -p tcp --dport 80 -j DNAT --to-destination 192.0.2.1\nCOMMIT\n\
               *filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n-A INPUT -j ACCEPT\n-A INPUT -j NOWHERE\nCOMMIT\n";
    let e = fw.apply_save_text(bad, Mode::Flush).unwrap_err();
    assert_eq!(e.line, Some(11), "{e}");
    assert_eq!(ref_save(), before, "a failed restore changed the ruleset");

    let more = "*filter\n-A INPUT -p icmp -j ACCEPT\nCOMMIT\n";
    fw.apply_save_text(more, Mode::NoFlush).unwrap();
    assert_eq!(rule_lines_of(&ref_save()).len(), 4);
    fw.apply_save_text(more, Mode::Flush).unwrap();
    assert_eq!(
        rule_lines_of(&ref_save()),
        vec!["-A INPUT -p icmp -j ACCEPT"]
    );
}

/// Parsing and building need no kernel: the typed rule is the one the
/// command line makes, and errors are the command line's.
#[test]
fn parse_and_build_rules() {
    let f = Family::V4;
    let parsed = parse_rule(
        f,
        "-i wan0 -p tcp -m tcp --dport 8080 -j DNAT --to-destination 192.0.2.10:80",
    )
    .unwrap();
    let built = RuleBuilder::new(f)
        .in_interface("wan0")
        .protocol("tcp")
        .matching("tcp", &["--dport", "8080"])
        .target("DNAT", &["--to-destination", "192.0.2.10:80"])
        .build()
        .unwrap();
    assert_eq!(parsed, built);
    assert_eq!(
        rxtables::save::rule_spec(&built, f, false),
        " -i wan0 -p tcp -m tcp --dport 8080 -j DNAT --to-destination 192.0.2.10:80"
    );
    let quoted = parse_rule(f, "-m comment --comment \"two words\" -j ACCEPT").unwrap();
    assert_eq!(
        rxtables::save::rule_spec(&quoted, f, false),
        " -m comment --comment \"two words\" -j ACCEPT"
    );
    // several addresses: several rules
    assert!(parse_rule(f, "-s 10.0.0.1,10.0.0.2 -j DROP").is_err());
    assert_eq!(
        rxtables::firewall::parse_rules(f, "-s 10.0.0.1,10.0.0.2 -j DROP")
            .unwrap()
            .len(),
        2
    );
    // a command word is not part of a rule
    assert!(parse_rule(f, "-A INPUT -j DROP").is_err());
    let e = parse_rule(f, "-p tcp --dport 99999").unwrap_err();
    assert_eq!(e.exit_code(), 2, "{e}");
    assert!(parse_rule(Family::V6, "-s 10.0.0.1 -j DROP").is_err());
    assert!(parse_rule(Family::V6, "-s 2001:db8::/32 -j DROP").is_ok());
    let cmd = parse_command(f, "-t nat -I PREROUTING 2 -j ACCEPT").unwrap();
    assert_eq!(cmd.table, Table::Nat);
    assert!(parse_command(f, "-S").is_err());
    let mut tx = Transaction::new(f);
    assert!(tx.command("-A INPUT --bogus").is_err());
    assert!(tx.is_empty());
}
