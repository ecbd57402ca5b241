//! `iptables -L` (tables of rules with aligned columns) and `iptables -S`
//! (rules as commands), byte for byte as iptables-nft 1.8.9 prints them.
//!
//! Without `-n`, addresses are named the way glibc does it from local
//! files only: `/etc/hosts` for host addresses, then `/etc/networks` for
//! IPv4 networks (`loopback/8`); rxtables asks no DNS server.
//!
//! A table (or, when one chain is asked for, that chain) holding a rule
//! rxtables could not decode is refused as a whole, as iptables-nft does:
//! the listing functions return the error
//! ``table `filter' is incompatible, use 'nft' tool.`` (exit status 1)
//! and print nothing.

use crate::error::{Error, VERSION};
use crate::ext::FmtCx;
use crate::model::{netdb, Family, Iface, Inv, Net};
use crate::rule::{ChainState, Rule, TableState, Target};
use crate::save::{ntop, rule_spec};
use std::fmt::Write as _;
use std::net::IpAddr;
use std::sync::OnceLock;

/// Listing options of `-L`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ListOpts {
    /// `-n`: numbers for addresses, protocols, ports
    pub numeric: bool,
    /// `-v`: counters, interfaces, policy counters
    pub verbose: bool,
    /// `-x`: exact counters instead of `K`/`M`/`G` units
    pub exact: bool,
    /// `--line-numbers`: a `num` column
    pub line_numbers: bool,
}

/// Names for addresses from `/etc/hosts` and `/etc/networks`.
#[derive(Debug, Default)]
struct NameDb {
    /// host addresses with their canonical names, in file order
    hosts: Vec<(IpAddr, String)>,
    /// IPv4 network numbers with their names, in file order
    nets: Vec<(u32, String)>,
}

impl NameDb {
    /// What a listing with `opts` names addresses from: nothing with `-n`
    /// (which prints numbers), so that the files are not even read then.
    fn for_opts(opts: &ListOpts) -> &'static NameDb {
        static NONE: NameDb = NameDb {
            hosts: Vec::new(),
            nets: Vec::new(),
        };
        if opts.numeric {
            &NONE
        } else {
            NameDb::system()
        }
    }

    fn system() -> &'static NameDb {
        static DB: OnceLock<NameDb> = OnceLock::new();
        DB.get_or_init(|| NameDb {
            hosts: std::fs::read_to_string("/etc/hosts")
                .map(|t| parse_hosts(&t))
                .unwrap_or_default(),
            nets: std::fs::read_to_string("/etc/networks")
                .map(|t| parse_networks(&t))
                .unwrap_or_default(),
        })
    }

    /// `xtables_ipaddr_to_anyname`: host name, else (IPv4) network name,
    /// else the address.
    fn name(&self, addr: &IpAddr) -> String {
        if let Some((_, n)) = self.hosts.iter().find(|(a, _)| a == addr) {
            return n.clone();
        }
        if let IpAddr::V4(a) = addr {
            let v = u32::from(*a);
            if let Some((_, n)) = self.nets.iter().find(|(x, _)| *x == v) {
                return n.clone();
            }
        }
        ntop(addr)
    }
}

/// `xtables_ipaddr_to_anyname`/`xtables_ip6addr_to_anyname`, for the list
/// text of extensions that name an address (`TEE gw:...`).
pub fn addr_anyname(addr: &IpAddr) -> String {
    NameDb::system().name(addr)
}

/// `/etc/hosts`: address, canonical name, aliases.
fn parse_hosts(text: &str) -> Vec<(IpAddr, String)> {
    text.lines()
        .filter_map(|l| {
            let mut w = l.split('#').next().unwrap_or("").split_whitespace();
            let addr = w.next()?.parse().ok()?;
            Some((addr, w.next()?.to_string()))
        })
        .collect()
}

/// `/etc/networks`: name, network number (missing trailing parts are
/// zero, as glibc pads `127` to `127.0.0.0`), aliases.
fn parse_networks(text: &str) -> Vec<(u32, String)> {
    text.lines()
        .filter_map(|l| {
            let mut w = l.split('#').next().unwrap_or("").split_whitespace();
            let name = w.next()?;
            let parts: Vec<&str> = w.next()?.split('.').collect();
            if parts.len() > 4 {
                return None;
            }
            let mut v = 0u32;
            for i in 0..4 {
                let p = parts.get(i).copied().unwrap_or("0");
                let n = match p.strip_prefix("0x").or_else(|| p.strip_prefix("0X")) {
                    Some(h) => u32::from_str_radix(h, 16).ok()?,
                    None => p.parse::<u32>().ok()?,
                };
                v = (v << 8) | u32::from(u8::try_from(n).ok()?);
            }
            Some((v, name.to_string()))
        })
        .collect()
}

fn incompatible_err(family: Family, what: String) -> Error {
    Error::Raw {
        msg: format!(
            "{} {VERSION}: {what} is incompatible, use 'nft' tool.",
            family.prog()
        ),
        code: 1,
    }
}

/// Can `chain` (or, for `None`, the whole table) be listed? An error
/// naming the table or chain if it holds a rule that could not be decoded,
/// or (as iptables-nft 1.8.9 reports it) if the chain does not exist:
/// ``iptables v1.8.13 (nf_tables): chain `X' in table `filter' is
/// incompatible, use 'nft' tool.``, exit status 1.
///
/// # Errors
///
/// [`Error::Raw`] with that text and exit status 1.
pub fn check_compatible(
    state: &TableState,
    chain: Option<&str>,
    family: Family,
) -> Result<(), Error> {
    let table = state.table.name();
    match chain {
        None => {
            let bad = state
                .chains
                .iter()
                .any(|c| c.rules.iter().any(|e| e.rule.is_err()));
            if bad {
                return Err(incompatible_err(family, format!("table `{table}'")));
            }
        }
        Some(name) => {
            let ok = state
                .chain(name)
                .is_some_and(|c| c.rules.iter().all(|e| e.rule.is_ok()));
            if !ok {
                return Err(incompatible_err(
                    family,
                    format!("chain `{name}' in table `{table}'"),
                ));
            }
        }
    }
    Ok(())
}

/// `xtables_print_num` in table form: `%8llu ` with `-x`, else `%5llu `
/// up to 99999 and then `K`, `M`, `G`, `T` units, rounded.
fn fmt_num(out: &mut String, n: u64, exact: bool) {
    if exact {
        let _ = write!(out, "{n:8} ");
        return;
    }
    if n <= 99_999 {
        let _ = write!(out, "{n:5} ");
        return;
    }
    let mut n = n;
    for unit in ['K', 'M', 'G'] {
        n = n.saturating_add(500) / 1000;
        if n <= 9999 {
            let _ = write!(out, "{n:4}{unit} ");
            return;
        }
    }
    n = n.saturating_add(500) / 1000;
    let _ = write!(out, "{n:4}T ");
}

/// The same without padding, for the policy line (`123K packets`).
fn fmt_num_bare(n: u64, exact: bool) -> String {
    let mut s = String::new();
    fmt_num(&mut s, n, exact);
    s.trim_start().to_string()
}

/// The `Chain ...` line and the column header line.
fn chain_header(out: &mut String, state: &TableState, c: &ChainState, opts: &ListOpts) {
    let _ = write!(out, "Chain {}", c.name);
    match c.policy {
        Some(p) => {
            let _ = write!(out, " (policy {}", p.name());
            if opts.verbose {
                let _ = write!(
                    out,
                    " {}packets, {}bytes",
                    fmt_num_bare(c.counters.packets, opts.exact),
                    fmt_num_bare(c.counters.bytes, opts.exact)
                );
            }
            out.push_str(")\n");
        }
        None => {
            let _ = writeln!(
                out,
                " ({} references)",
                c.refs.unwrap_or_else(|| state.references(&c.name))
            );
        }
    }
    if opts.line_numbers {
        out.push_str("num  ");
    }
    if opts.verbose {
        if opts.exact {
            let _ = write!(out, "{:>8} {:>10} ", "pkts", "bytes");
        } else {
            let _ = write!(out, "{:>5} {:>5} ", "pkts", "bytes");
        }
    }
    let _ = write!(out, "{:<9} ", "target");
    out.push_str(" prot opt");
    if opts.verbose {
        let _ = write!(out, " {:<6} {:<6} ", "in", "out");
    }
    let _ = writeln!(out, " {:<19}  {:<19} ", "source", "destination");
}

/// The protocol column text: iptables' own names (`all` for 0), and with
/// `-n` nothing else; without `-n` also `/etc/protocols`; else the number.
fn proto_text(p: u8, numeric: bool) -> String {
    let name = if numeric {
        netdb::proto_name(p)
    } else {
        netdb::proto_name_lookup(p)
    };
    name.unwrap_or_else(|| p.to_string())
}

fn iface_text(i: Option<&Inv<Iface>>, numeric: bool) -> String {
    let any = if numeric { "*" } else { "any" };
    match i {
        Some(i) if i.inv => format!("!{}", i.val),
        Some(i) if !i.val.0.is_empty() && i.val.0 != "+" => i.val.0.clone(),
        _ => any.into(),
    }
}

/// One address column: `!` or space, then the address, padded to 19.
fn addr_col(out: &mut String, n: Option<&Inv<Net>>, family: Family, numeric: bool, db: &NameDb) {
    out.push(if n.is_some_and(|n| n.inv) { '!' } else { ' ' });
    let text = match n.filter(|n| !n.val.is_any()) {
        None if !numeric => "anywhere".to_string(),
        None => match family {
            Family::V4 => "0.0.0.0/0".to_string(),
            Family::V6 => "::/0".to_string(),
        },
        Some(n) => {
            let addr = if numeric {
                ntop(&n.val.addr)
            } else {
                db.name(&n.val.addr)
            };
            let full = match family {
                Family::V4 => 32,
                Family::V6 => 128,
            };
            match n.val.prefix_len() {
                Some(l) if l == full => addr,
                Some(l) => format!("{addr}/{l}"),
                None => format!("{addr}/{}", ntop(&n.val.mask)),
            }
        }
    };
    let _ = write!(out, "{text:<19} ");
}

/// One rule line of `-L` (with its newline).
fn rule_line(out: &mut String, r: &Rule, num: usize, family: Family, opts: &ListOpts, db: &NameDb) {
    if opts.line_numbers {
        let _ = write!(out, "{num:<4} ");
    }
    if opts.verbose {
        fmt_num(out, r.counters.packets, opts.exact);
        fmt_num(out, r.counters.bytes, opts.exact);
    }
    let _ = write!(out, "{:<9} ", r.target.list_name());
    let (pinv, p) = match &r.proto {
        Some(p) => (p.inv, p.val),
        None => (false, 0),
    };
    out.push(if pinv { '!' } else { ' ' });
    let _ = write!(out, "{:<4} ", proto_text(p, opts.numeric));
    // opt: `-f`, `!f` or `--` (always `--` for IPv6)
    match r.frag.filter(|_| family == Family::V4) {
        Some(true) => out.push_str("!f "),
        Some(false) => out.push_str("-f "),
        None => out.push_str("-- "),
    }
    if opts.verbose {
        let _ = write!(out, " {:<6} ", iface_text(r.iniface.as_ref(), opts.numeric));
        let _ = write!(out, "{:<6} ", iface_text(r.outiface.as_ref(), opts.numeric));
    }
    addr_col(out, r.src.as_ref(), family, opts.numeric, db);
    addr_col(out, r.dst.as_ref(), family, opts.numeric, db);
    if matches!(r.target, Target::Goto(_)) {
        out.push_str("[goto] ");
    }
    let cx = FmtCx {
        family,
        numeric: opts.numeric,
        proto: r.proto.as_ref().filter(|p| !p.inv).map(|p| p.val),
    };
    for m in &r.matches {
        m.print(&cx, out);
    }
    if let Target::Ext(t) = &r.target {
        t.print(&cx, out);
    }
    out.push('\n');
}

/// The line `iptables -v` prints for each rule it adds, checks or
/// deletes (`print_rule` with `FMT_PRINT_RULE`: numeric, no table
/// layout): `ACCEPT  tcp opt -- in * out *  1.2.3.4  -> 0.0.0.0/0   tcp dpt:22`.
pub fn rule_echo(r: &Rule, family: Family) -> String {
    let mut out = String::new();
    let _ = write!(out, "{} ", r.target.list_name());
    let (pinv, p) = match &r.proto {
        Some(p) => (p.inv, p.val),
        None => (false, 0),
    };
    out.push(if pinv { '!' } else { ' ' });
    let _ = write!(out, "{} ", proto_text(p, true));
    out.push_str("opt ");
    match r.frag.filter(|_| family == Family::V4) {
        Some(true) => out.push_str("!f "),
        Some(false) => out.push_str("-f "),
        None => out.push_str("-- "),
    }
    let _ = write!(out, "in {} ", iface_text(r.iniface.as_ref(), true));
    let _ = write!(out, "out {} ", iface_text(r.outiface.as_ref(), true));
    let db = NameDb::default();
    let col = |n: Option<&Inv<Net>>| {
        let mut c = String::new();
        addr_col(&mut c, n, family, true, &db);
        // drop addr_col's padding: `!` or space, the text, one space
        let (mark, text) = c.split_at(1);
        format!("{mark}{}", text.trim_end())
    };
    let src = col(r.src.as_ref());
    let dst = col(r.dst.as_ref());
    let _ = write!(out, "{src} {}-> {}  ", &dst[..1], &dst[1..]);
    if matches!(r.target, Target::Goto(_)) {
        out.push_str("[goto] ");
    }
    let cx = FmtCx {
        family,
        numeric: true,
        proto: r.proto.as_ref().filter(|p| !p.inv).map(|p| p.val),
    };
    for m in &r.matches {
        m.print(&cx, &mut out);
    }
    if let Target::Ext(t) = &r.target {
        t.print(&cx, &mut out);
    }
    out.push('\n');
    out
}

fn chain_block(
    out: &mut String,
    state: &TableState,
    c: &ChainState,
    family: Family,
    opts: &ListOpts,
    db: &NameDb,
) {
    chain_header(out, state, c, opts);
    for (i, e) in c.rules.iter().enumerate() {
        if let Ok(r) = &e.rule {
            rule_line(out, r, i + 1, family, opts, db);
        }
    }
}

/// One chain as `iptables -L CHAIN` prints it: the `Chain` line, the
/// column header, and a line per rule. Refused (see [`check_compatible`])
/// if the chain holds a rule that could not be decoded.
///
/// # Errors
///
/// The incompatibility error of [`check_compatible`].
pub fn list_chain(
    state: &TableState,
    chain: &ChainState,
    family: Family,
    opts: &ListOpts,
    out: &mut String,
) -> Result<(), Error> {
    if chain.rules.iter().any(|e| e.rule.is_err()) {
        return Err(incompatible_err(
            family,
            format!("chain `{}' in table `{}'", chain.name, state.table.name()),
        ));
    }
    chain_block(out, state, chain, family, opts, NameDb::for_opts(opts));
    Ok(())
}

/// The whole table as `iptables -L` prints it: every chain in
/// `state.chains` order, with an empty line between chains. Refused (see
/// [`check_compatible`]) if any rule could not be decoded.
///
/// # Errors
///
/// The incompatibility error of [`check_compatible`].
pub fn list_table(
    state: &TableState,
    family: Family,
    opts: &ListOpts,
    out: &mut String,
) -> Result<(), Error> {
    check_compatible(state, None, family)?;
    list_table_with(state, family, opts, NameDb::for_opts(opts), out);
    Ok(())
}

fn list_table_with(
    state: &TableState,
    family: Family,
    opts: &ListOpts,
    db: &NameDb,
    out: &mut String,
) {
    for (i, c) in state.chains.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        chain_block(out, state, c, family, opts, db);
    }
}

/// `iptables -L CHAIN N`: only rule `N`'s line (counting from 1), with no
/// chain header; nothing (and no error, as iptables-nft 1.8.9) when the
/// chain has fewer rules. Refused (see [`check_compatible`]) if the chain
/// is missing or holds a rule that could not be decoded.
///
/// # Errors
///
/// The incompatibility error of [`check_compatible`].
pub fn list_chain_rule(
    state: &TableState,
    chain: &str,
    rulenum: usize,
    family: Family,
    opts: &ListOpts,
    out: &mut String,
) -> Result<(), Error> {
    check_compatible(state, Some(chain), family)?;
    let Some(c) = state.chain(chain) else {
        return Ok(());
    };
    if let Some(Ok(r)) = rulenum
        .checked_sub(1)
        .and_then(|i| c.rules.get(i))
        .map(|e| &e.rule)
    {
        rule_line(out, r, rulenum, family, opts, NameDb::for_opts(opts));
    }
    Ok(())
}

fn policy_line(out: &mut String, c: &ChainState, verbose: bool) {
    if let Some(p) = c.policy {
        let _ = write!(out, "-P {} {}", c.name, p.name());
        if verbose {
            let _ = write!(out, " -c {} {}", c.counters.packets, c.counters.bytes);
        }
        out.push('\n');
    } else {
        let _ = writeln!(out, "-N {}", c.name);
    }
}

fn rule_lines(out: &mut String, c: &ChainState, family: Family, verbose: bool) {
    for e in &c.rules {
        if let Ok(r) = &e.rule {
            let _ = writeln!(out, "-A {}{}", c.name, rule_spec(r, family, verbose));
        }
    }
}

/// `iptables -S [CHAIN [N]]`. For the whole table: `-P` lines of the
/// built-in chains, `-N` lines of the user chains, then every chain's `-A`
/// lines. For one chain: its `-P` or `-N` line, then its rules. With a
/// rule number: only that rule's `-A` line (nothing, as iptables-nft 1.8.9,
/// when there is no such rule). `verbose` adds the counters (`-c P B`).
/// Refused (see [`check_compatible`]) if what is listed holds a rule that
/// could not be decoded, or the chain does not exist.
///
/// # Errors
///
/// The incompatibility error of [`check_compatible`].
pub fn list_rules(
    state: &TableState,
    chain: Option<&str>,
    rulenum: Option<usize>,
    family: Family,
    verbose: bool,
    out: &mut String,
) -> Result<(), Error> {
    check_compatible(state, chain, family)?;
    let Some(name) = chain else {
        for c in state.chains.iter().filter(|c| c.is_builtin()) {
            policy_line(out, c, verbose);
        }
        for c in state.chains.iter().filter(|c| !c.is_builtin()) {
            policy_line(out, c, verbose);
        }
        for c in &state.chains {
            rule_lines(out, c, family, verbose);
        }
        return Ok(());
    };
    let Some(c) = state.chain(name) else {
        return Ok(());
    };
    match rulenum {
        Some(n) => {
            if let Some(Ok(r)) = n
                .checked_sub(1)
                .and_then(|i| c.rules.get(i))
                .map(|e| &e.rule)
            {
                let _ = writeln!(out, "-A {}{}", c.name, rule_spec(r, family, verbose));
            }
        }
        None => {
            policy_line(out, c, verbose);
            rule_lines(out, c, family, verbose);
        }
    }
    Ok(())
}

#[cfg(test)]
#[path = "list/tests.rs"]
mod tests;
