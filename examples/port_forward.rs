//! A port forward set up and removed through rxtables' library API.
//!
//! The gateway forwards TCP port 8080 arriving on `wan0` to
//! 192.0.2.10:80: a DNAT rule in `nat PREROUTING`, and in `filter` a user
//! chain `PORTFW` (jumped to from `FORWARD`) that lets the forwarded
//! connections through. All of it is added in ONE transaction and removed
//! in another: either every rule is there or none is.
//!
//! Usage (as root, best in a scratch namespace: `unshare -n`):
//!
//! ```text
//! cargo run --release --example port_forward            # add, show, remove
//! cargo run --release --example port_forward add        # add only
//! cargo run --release --example port_forward show       # print what is set up
//! cargo run --release --example port_forward remove     # remove only
//! ```
//!
//! `add` refuses to run twice (the forward is already there); `remove`
//! fails, changing nothing, if any of the rules is missing.

use rxtables::firewall::{
    parse_rule, Family, Firewall, Rule, RuleBuilder, Table, Target, Transaction,
};
use std::process::ExitCode;

const IN_IFACE: &str = "wan0";
const PORT: &str = "8080";
const DEST: &str = "192.0.2.10";
const DEST_PORT: &str = "80";
const CHAIN: &str = "PORTFW";

/// The rules of the forward, as typed values.
struct Forward {
    dnat: Rule,
    jump: Rule,
    allow: Rule,
}

fn forward() -> Result<Forward, Box<dyn std::error::Error>> {
    // Built in code...
    let dnat = RuleBuilder::new(Family::V4)
        .in_interface(IN_IFACE)
        .protocol("tcp")
        .matching("tcp", &["--dport", PORT])
        .matching("comment", &["--comment", "rxtables port_forward"])
        .target(
            "DNAT",
            &["--to-destination", &format!("{DEST}:{DEST_PORT}")],
        )
        .build()?;
    // ... or written as iptables would take them.
    let jump = parse_rule(Family::V4, &format!("-i {IN_IFACE} -j {CHAIN}"))?;
    let allow = parse_rule(
        Family::V4,
        &format!(
            "-d {DEST}/32 -p tcp -m tcp --dport {DEST_PORT} -m conntrack --ctstate DNAT -j ACCEPT"
        ),
    )?;
    Ok(Forward { dnat, jump, allow })
}

fn add(fw: &mut Firewall, f: &Forward) -> Result<(), Box<dyn std::error::Error>> {
    let mut tx = Transaction::new(Family::V4);
    tx.new_chain(Table::Filter, CHAIN)
        .append(Table::Filter, CHAIN, &f.allow)
        .append(Table::Filter, "FORWARD", &f.jump)
        .append(Table::Nat, "PREROUTING", &f.dnat);
    fw.commit(&tx)?;
    Ok(())
}

fn remove(fw: &mut Firewall, f: &Forward) -> Result<(), Box<dyn std::error::Error>> {
    let mut tx = Transaction::new(Family::V4);
    tx.delete(Table::Nat, "PREROUTING", &f.dnat)
        .delete(Table::Filter, "FORWARD", &f.jump)
        .flush(Table::Filter, Some(CHAIN))
        .delete_chain(Table::Filter, CHAIN);
    fw.commit(&tx)?;
    Ok(())
}

/// Prints the forward as read back from the kernel (typed rules, not
/// text); an error if it is not all there.
fn show(fw: &mut Firewall, f: &Forward) -> Result<(), Box<dyn std::error::Error>> {
    let prerouting = fw.rules(Table::Nat, "PREROUTING")?;
    let Some(dnat) = prerouting.iter().find(|r| r.same_spec(&f.dnat)) else {
        return Err("the DNAT rule is not in nat PREROUTING".into());
    };
    let Target::Ext(t) = &dnat.target else {
        return Err("the rule read back has no DNAT target".into());
    };
    println!(
        "nat PREROUTING: {} tcp port {PORT} -> {}{}",
        IN_IFACE,
        t.name(),
        rxtables::save::rule_spec(dnat, Family::V4, false)
            .split(" -j DNAT")
            .nth(1)
            .unwrap_or("")
    );
    if !fw.check(Table::Filter, "FORWARD", &f.jump)? {
        return Err(format!("FORWARD does not jump to {CHAIN}").into());
    }
    let allowed = fw.rules(Table::Filter, CHAIN)?;
    println!("filter {CHAIN}: {} rule(s)", allowed.len());
    if !allowed.iter().any(|r| r.same_spec(&f.allow)) {
        return Err(format!("{CHAIN} does not accept the forwarded connections").into());
    }
    Ok(())
}

fn run(mode: &str) -> Result<(), Box<dyn std::error::Error>> {
    let mut fw = Firewall::open(Family::V4)?;
    let f = forward()?;
    match mode {
        "add" => add(&mut fw, &f),
        "remove" => remove(&mut fw, &f),
        "show" => show(&mut fw, &f),
        "demo" => {
            add(&mut fw, &f)?;
            println!("added");
            show(&mut fw, &f)?;
            remove(&mut fw, &f)?;
            println!("removed");
            if fw.chain(Table::Filter, CHAIN)?.is_some() {
                return Err(format!("{CHAIN} is still there").into());
            }
            Ok(())
        }
        other => Err(format!("unknown mode `{other}' (add, show, remove, demo)").into()),
    }
}

fn main() -> ExitCode {
    let mode = std::env::args().nth(1).unwrap_or_else(|| "demo".into());
    match run(&mode) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("port_forward: {e}");
            ExitCode::FAILURE
        }
    }
}
