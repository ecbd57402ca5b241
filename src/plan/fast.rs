//! A fast path for the rule lines that make up nearly all of a large
//! restore file: `-A CHAIN` with `-s -d -i -o -p`, a tcp/udp port match and
//! a standard target or a chain. It recognises only that exact subset of
//! the grammar and builds the rule with the same value parsers and
//! extension builders as [`crate::cli`], so its result is the command
//! `cli::parse_in` would return; anything else (quotes, `!`, other
//! options, abbreviations, any error) returns `None` and the line goes
//! through the full parser, which also produces the error messages.
//!
//! It works in two steps: [`scan`] checks the line and reads every value
//! without allocating; [`Scan::rule`] makes the rule. The planner only
//! scans a line (it needs the chain and the jump target), and the rule is
//! built when the batch is written. A scan depends on nothing but the text
//! (no name resolution), so building later gives the same rule.
//!
//! Why: the general parser rebuilds its option tables for every word and
//! allocates per word; at 100k lines that costs seconds, while the kernel
//! needs about one second for the whole batch.

use crate::cli::command::{check_chain_name, parse_nets};
use crate::cli::{Action, Command};
use crate::ext::opt::parse_port_range;
use crate::ext::{self, MatchDesc, OptHit, ParseCx};
use crate::model::addr::IFNAME_MAX;
use crate::model::{netdb, Family, Iface, Inv, Net, Table};
use crate::rule::{Counters, Rule, Target};
use std::net::{IpAddr, Ipv4Addr};

/// One numeric address of `-s`/`-d`, or `None` if the value is a list, a
/// host name (never resolved here), or invalid.
fn one_net(v: &str, family: Family) -> Option<Inv<Net>> {
    let numeric = match family {
        Family::V4 => v
            .bytes()
            .all(|b| b.is_ascii_digit() || b == b'.' || b == b'/'),
        Family::V6 => {
            v.contains(':')
                && v.bytes()
                    .all(|b| b.is_ascii_hexdigit() || b == b'.' || b == b':' || b == b'/')
        }
    };
    if !numeric {
        return None;
    }
    // The common `a.b.c.d[/len]` without the general parser's allocations
    // (the net `Net::with_prefix` makes); anything else goes through it.
    if family == Family::V4 {
        let (host, len) = v.split_once('/').unwrap_or((v, "32"));
        // (a length with a leading 0 is octal to iptables: `/08` is invalid)
        let plain_len = len.len() == 1 || (len.len() == 2 && !len.starts_with('0'));
        if let (Ok(a), true) = (host.parse::<Ipv4Addr>(), plain_len) {
            if let Ok(len @ 0..=32) = len.parse::<u32>() {
                let mask = u32::MAX.checked_shl(32 - len).unwrap_or(0);
                return Some(Inv::new(
                    false,
                    Net {
                        addr: IpAddr::V4(Ipv4Addr::from(u32::from(a) & mask)),
                        mask: IpAddr::V4(Ipv4Addr::from(mask)),
                    },
                ));
            }
        }
    }
    match parse_nets(v, family).ok()?.as_slice() {
        [n] => Some(Inv::new(false, *n)),
        _ => None,
    }
}

/// Words of a line: what `strtok(" \t\n")` returns (a line has no `\n`).
fn words(s: &str) -> impl Iterator<Item = &str> {
    s.split([' ', '\t']).filter(|w| !w.is_empty())
}

/// `check_chain_name`, with a shortcut for the usual printable ASCII name.
fn chain_name_ok(name: &str) -> bool {
    let plain = name.len() <= crate::cli::command::CHAIN_MAX
        && name.bytes().all(|b| b.is_ascii_graphic())
        && !name.starts_with(['-', '!']);
    plain || check_chain_name(name).is_ok()
}

/// `cli::command::parse_iface`'s checks, without making the name.
fn iface_ok(v: &str) -> bool {
    !v.is_empty() && crate::model::bytes::byte_len(v) <= IFNAME_MAX
}

/// The option index of `name` (or its alias) in an extension's table.
fn opt_index(desc: &MatchDesc, name: &str) -> Option<usize> {
    desc.options
        .iter()
        .position(|o| o.name == name || (!o.alias.is_empty() && o.alias == name))
}

/// What `-j` names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Jump<'a> {
    /// no `-j`
    None,
    /// `ACCEPT`
    Accept,
    /// `DROP`
    Drop,
    /// `RETURN`
    Return,
    /// a chain
    Chain(&'a str),
}

/// Port options of a tcp/udp match: (option index, value) for source and
/// destination.
type Ports<'a> = [Option<(usize, &'a str)>; 2];

/// A rule line of the fast subset, checked and read, borrowing the line.
#[derive(Debug, Clone)]
pub struct Scan<'a> {
    family: Family,
    table: Table,
    /// the chain appended to
    pub chain: &'a str,
    src: Option<Inv<Net>>,
    dst: Option<Inv<Net>>,
    iniface: Option<&'a str>,
    outiface: Option<&'a str>,
    proto: Option<u8>,
    /// the tcp/udp match (its name) and its port options (option index,
    /// value)
    ports: Option<(&'static str, Ports<'a>)>,
    /// the target
    pub target: Jump<'a>,
    counters: Option<Counters>,
}

/// Check a rule line's command part (after any `[p:b]` prefix) and read its
/// values if it is in the fast subset. `counters` are the prefix's words
/// when `--counters` is in effect (they become `--set-counters`).
pub fn scan<'a>(
    family: Family,
    table: Table,
    rest: &'a str,
    counters: Option<(&str, &str)>,
) -> Option<Scan<'a>> {
    if rest.contains('"') {
        return None;
    }
    let mut w = words(rest);
    if w.next()? != "-A" {
        return None;
    }
    let chain = w.next()?;
    if !chain_name_ok(chain) {
        return None;
    }
    let mut s = Scan {
        family,
        table,
        chain,
        src: None,
        dst: None,
        iniface: None,
        outiface: None,
        proto: None,
        ports: None,
        target: Jump::None,
        counters: None,
    };
    let mut explicit: Option<&str> = None;
    let mut ports: [Option<(&str, &str)>; 2] = [None, None];
    let mut target: Option<&str> = None;
    while let Some(opt) = w.next() {
        let v = w.next()?;
        match opt {
            "-s" if s.src.is_none() => s.src = Some(one_net(v, family)?),
            "-d" if s.dst.is_none() => s.dst = Some(one_net(v, family)?),
            "-i" if s.iniface.is_none() && iface_ok(v) => s.iniface = Some(v),
            "-o" if s.outiface.is_none() && iface_ok(v) => s.outiface = Some(v),
            "-p" if s.proto.is_none() => {
                s.proto = Some(match v {
                    "tcp" => 6,
                    "udp" => 17,
                    _ => netdb::proto_by_name(v)?,
                });
                // ip6tables warns of an extension header as `-p`: the
                // full path prints it.
                if family == Family::V6 && matches!(s.proto, Some(43 | 44 | 51 | 60)) {
                    return None;
                }
            }
            // A `-m` after a port option would load a second match.
            "-m" if explicit.is_none() && ports == [None, None] && (v == "tcp" || v == "udp") => {
                explicit = Some(v)
            }
            "--sport" | "--source-port" | "--dport" | "--destination-port" => {
                // The protocol's match must be in scope already: loaded by
                // `-m`, or implicitly by an earlier `-p tcp|udp`.
                if explicit.is_none() && s.proto.is_none() {
                    return None;
                }
                let slot = usize::from(opt.contains('d'));
                if ports[slot].is_some() {
                    return None;
                }
                ports[slot] = Some((opt.trim_start_matches('-'), v));
            }
            "-j" if target.is_none() => target = Some(v),
            _ => return None,
        }
    }
    // Interfaces a built-in hook cannot see: the full parser reports them.
    if (s.outiface.is_some() && matches!(chain, "PREROUTING" | "INPUT"))
        || (s.iniface.is_some() && matches!(chain, "POSTROUTING" | "OUTPUT"))
    {
        return None;
    }
    let any_port = ports.iter().any(Option::is_some);
    let match_name = match (explicit, s.proto) {
        (Some(m), _) => Some(m),
        (None, Some(6)) if any_port => Some("tcp"),
        (None, Some(17)) if any_port => Some("udp"),
        (None, _) if any_port => return None,
        (None, _) => None,
    };
    if let Some(name) = match_name {
        // What the match's builder checks: its protocol, each port once
        // and well formed.
        let want = if name == "tcp" { 6 } else { 17 };
        if s.proto != Some(want) {
            return None;
        }
        let desc = ext::find_match(name, family)?;
        let mut read: Ports<'_> = [None, None];
        for (slot, p) in ports.iter().enumerate() {
            if let Some((oname, v)) = p {
                parse_port_range(v, name).ok()?;
                read[slot] = Some((opt_index(desc, oname)?, *v));
            }
        }
        s.ports = Some((desc.name, read));
    }
    // The standard verdicts win over any extension of that name, as in
    // `cli::command`.
    s.target = match target {
        None => Jump::None,
        Some("ACCEPT") => Jump::Accept,
        // DROP in nat is refused: the general parser says how.
        Some("DROP") if table == Table::Nat => return None,
        Some("DROP") => Jump::Drop,
        Some("RETURN") => Jump::Return,
        Some(t) if ext::find_target(t, family).is_some() => return None,
        Some(t) => {
            if t.is_empty() || !chain_name_ok(t) {
                return None;
            }
            Jump::Chain(t)
        }
    };
    if let Some((p, b)) = counters {
        if p.contains(',') || b.starts_with(['-', '!']) {
            return None;
        }
        s.counters = Some(Counters {
            packets: p.parse().ok()?,
            bytes: b.parse().ok()?,
        });
    }
    Some(s)
}

impl Scan<'_> {
    /// The rule. `None` only if an extension refuses what the scan
    /// accepted, which the scan's checks rule out.
    pub fn rule(&self) -> Option<Rule> {
        let mut rule = Rule {
            src: self.src.clone(),
            dst: self.dst.clone(),
            iniface: self.iniface.map(|i| Inv::new(false, Iface(i.to_string()))),
            outiface: self.outiface.map(|o| Inv::new(false, Iface(o.to_string()))),
            proto: self.proto.map(|p| Inv::new(false, p)),
            counters: self.counters.unwrap_or_default(),
            ..Rule::default()
        };
        if let Some((name, ports)) = &self.ports {
            let desc = ext::find_match(name, self.family)?;
            let hits: Vec<OptHit> = ports
                .iter()
                .flatten()
                .map(|(idx, v)| OptHit {
                    idx: *idx,
                    inv: false,
                    args: vec![(*v).to_string()],
                })
                .collect();
            let cx = ParseCx {
                family: self.family,
                proto: rule.proto.as_ref(),
                table: self.table,
                chain: self.chain,
            };
            let m = (desc.build)(&hits, &cx).ok()?;
            rule.matches.push(m);
        }
        rule.target = match self.target {
            Jump::None => Target::None,
            Jump::Accept => Target::Accept,
            Jump::Drop => Target::Drop,
            Jump::Return => Target::Return,
            Jump::Chain(c) => Target::Jump(c.to_string()),
        };
        Some(rule)
    }

    /// The command `cli::parse_in` makes of the line.
    pub fn command(&self) -> Option<Command> {
        Some(Command {
            family: self.family,
            table: self.table,
            action: Action::Append {
                chain: self.chain.to_string(),
                rules: vec![self.rule()?],
            },
            numeric: false,
            verbose: false,
            exact: false,
            line_numbers: false,
        })
    }
}

/// [`scan`] and [`Scan::command`] in one.
pub fn parse(
    family: Family,
    table: Table,
    rest: &str,
    counters: Option<(&str, &str)>,
) -> Option<Command> {
    scan(family, table, rest, counters)?.command()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn full(family: Family, rest: &str, counters: Option<(&str, &str)>) -> Option<Command> {
        let mut args: Vec<String> = Vec::new();
        if let Some((p, b)) = counters {
            args.extend(["--set-counters".to_string(), p.to_string(), b.to_string()]);
        }
        args.extend(super::super::text::strtok_words(rest).map(String::from));
        crate::cli::parse_in(family, &args, Some(Table::Filter)).ok()
    }

    /// Every line the fast path takes must parse to exactly what the full
    /// parser returns; lines it declines are fine either way.
    #[test]
    fn agrees_with_the_full_parser() {
        let v4 = [
            "-A INPUT -j ACCEPT",
            "-A FILT-0 -s 172.16.0.1/32 -p tcp --dport 8806 -j ACCEPT",
            "-A FILT-0 -s 172.16.0.1/24 -d 10.0.0.0/8 -p udp --sport 53 --dport 1:1024 -j DROP",
            "-A X -p tcp -m tcp --dport 22 -j RETURN",
            "-A X -m tcp -p tcp --sport 22",
            "-A X -p tcp -m tcp",
            "-A X -p tcp --sport 1 -m tcp --dport 2",
            "-A X -p udp --destination-port 53 --source-port 1000:2000 -j Y",
            "-A FORWARD -i eth0 -o eth1+ -j DROP",
            "-A X -p 6 --dport 80",
            "-A X -p all -j ACCEPT",
            "-A X -p icmp -j ACCEPT",
            "-A X -p tcp --dport http -j ACCEPT",
            "-A X -p tcp --dport 5:3",
            "-A X -p tcp --dport 70000",
            "-A X -p udp -m tcp --dport 5",
            "-A X --dport 5 -p tcp",
            "-A X -s 1.2.3.4,5.6.7.8 -j ACCEPT",
            "-A X -s 10/8 -j ACCEPT",
            "-A X -s 10.1.2.3/0 -j ACCEPT",
            "-A X -s 10.1.2.3/+8 -j ACCEPT",
            "-A X -s 10.1.2.3/08 -j ACCEPT",
            "-A X -s 010.1.2.3/8 -j ACCEPT",
            "-A X -s 10.1.2.3/ -j ACCEPT",
            "-A X -d 255.255.255.255/32 -j ACCEPT",
            "-A X -s 10.1.2.3/255.255.0.0 -j ACCEPT",
            "-A X -p TCP --dport 1",
            "-A X -p Udp --dport 1",
            "-A X -s 1.2.3.4/33 -j ACCEPT",
            "-A INPUT -o eth0 -j ACCEPT",
            "-A OUTPUT -i eth0 -j ACCEPT",
            "-A X -j",
            "-A X -j -bad",
            "-A X -j QUEUE",
            "-A X -i 0123456789abcdefg",
            "-A X -p tcp --dport 1 --dport 2",
            "-A X -s 1.2.3.4 -s 1.2.3.5",
            "-A 0123456789012345678901234567890 -j ACCEPT",
            "-A X ! -s 1.2.3.4",
            "-A X -c 1 2 -j ACCEPT",
        ];
        let mut taken = 0;
        for l in v4 {
            for counters in [None, Some(("5", "6")), Some(("a", "1")), Some(("1", "-2"))] {
                if let Some(c) = parse(Family::V4, Table::Filter, l, counters) {
                    taken += 1;
                    assert_eq!(Some(c), full(Family::V4, l, counters), "{l} {counters:?}");
                }
            }
        }
        assert!(taken > 20, "fast path took only {taken}");
        for l in [
            "-A INPUT -s 2001:db8::1/64 -p tcp --dport 22 -j ACCEPT",
            "-A INPUT -d ::1 -p udp --sport 1:2 -j DROP",
            "-A INPUT -s 1.2.3.4 -j DROP",
        ] {
            if let Some(c) = parse(Family::V6, Table::Filter, l, None) {
                assert_eq!(Some(c), full(Family::V6, l, None), "{l}");
            }
        }
        assert!(parse(
            Family::V4,
            Table::Filter,
            "-A X -m comment --comment \"a b\"",
            None
        )
        .is_none());
        assert!(parse(Family::V4, Table::Filter, "-I X -j ACCEPT", None).is_none());
    }
}
