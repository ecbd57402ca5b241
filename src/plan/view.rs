//! What the planner knows of the tables a restore touches (the view
//! [`super::sim::Sim`] keeps and [`super::emit`] turns into ops): per table
//! its chains, per chain its rules as kernel rules (by handle) and new rules,
//! and where a new rule comes from (its place in the input, read again when
//! its op is built, or a model rule).

use super::parse::{rule_line_again, LineAt, Parsed};
use super::prog_of;
use crate::cli::Action;
use crate::config::Layout;
use crate::ir::NftChain;
use crate::model::{Family, Table};
use crate::rule::{Counters, Rule, Target};
use std::collections::{HashMap, HashSet};

/// How a new rule is kept until its op is built.
#[derive(Debug, Clone)]
pub(super) enum Src {
    /// the input line it came from (`start`, `len` in the input text),
    /// read again when its op is built; `built`: its message, built when
    /// the line was read
    Line {
        start: u32,
        len: u32,
        built: Option<super::built::BuiltRef>,
    },
    /// the rule
    Rule(Box<Rule>),
}

/// A rule added by the input (not in the kernel yet).
#[derive(Debug, Clone)]
pub(super) struct Pending {
    pub(super) line: u32,
    pub(super) src: Src,
    /// the chain it jumps or goes to (an interned name)
    pub(super) target: Option<u32>,
}

/// What rebuilding a rule kept as its line needs.
#[derive(Debug, Clone, Copy)]
pub struct Source<'t> {
    /// the whole input
    pub text: &'t str,
    /// family of the program
    pub family: Family,
    /// `--counters`
    pub counters: bool,
    /// the layout rules are written in
    pub layout: Layout,
}

impl Source<'_> {
    /// The rule of a line kept as its place in the input, read again by
    /// the same parser.
    fn reparse(&self, table: Table, start: u32, len: u32) -> Option<Rule> {
        let (start, end) = (start as usize, start as usize + len as usize);
        let line = self.text.get(start..end)?;
        let at = LineAt {
            lineno: 0,
            eol: self.text.as_bytes().get(end) == Some(&b'\n'),
        };
        let prog = prog_of(self.family);
        // (what reading it warns was printed when it was first read)
        let (again, _) = crate::error::quietly(|| {
            rule_line_again(self.family, table, prog, line, at, self.counters)
        });
        match again.ok()? {
            Parsed::Cmd(cmd) => match cmd.action {
                Action::Append { mut rules, .. } if rules.len() == 1 => rules.pop(),
                _ => None,
            },
            Parsed::Skip => None,
        }
    }

    pub(super) fn rule(&self, table: Table, p: &Pending) -> Option<Rule> {
        match &p.src {
            Src::Rule(r) => Some((**r).clone()),
            Src::Line { start, len, .. } => self.reparse(table, *start, *len),
        }
    }
}

/// Is reading this rule from its text again sure to give the same rule?
/// True of the extensions whose options are read from the text alone
/// (no user, group, set or file lookups); host names are caught apart
/// (see [`crate::model::netdb::host_lookups`]).
pub fn replayable(rule: &Rule) -> bool {
    const MATCHES: &[&str] = &[
        "comment",
        "tcp",
        "udp",
        "statistic",
        "mark",
        "multiport",
        "icmp",
        "icmp6",
        "conntrack",
        "state",
        "addrtype",
        "limit",
        "connmark",
        "mac",
        "iprange",
        "length",
        "ttl",
        "tos",
        "dscp",
        "pkttype",
        "physdev",
        "sctp",
        "ah",
        "esp",
    ];
    const TARGETS: &[&str] = &[
        "DNAT",
        "SNAT",
        "MASQUERADE",
        "REDIRECT",
        "MARK",
        "CONNMARK",
        "REJECT",
        "LOG",
        "NFLOG",
        "NFQUEUE",
        "TCPMSS",
        "NOTRACK",
    ];
    rule.matches.iter().all(|m| MATCHES.contains(&m.name()))
        && match &rule.target {
            Target::Ext(t) => TARGETS.contains(&t.name()),
            _ => true,
        }
}

/// A rule of a chain whose rules are known.
#[derive(Debug, Clone)]
pub(super) enum Item {
    /// in the kernel; decoded when a spec comparison needed it
    Kernel {
        handle: u64,
        rule: Option<Box<Result<Rule, String>>>,
    },
    /// added by the input
    New(Pending),
}

/// A chain's rules as far as the planner knows them.
#[derive(Debug, Clone)]
pub(super) enum View {
    /// The kernel's rules are not loaded (and untouched): new rules put at
    /// the head (`-I chain 1`, last one first) and at the tail.
    Lazy {
        head: Vec<Pending>,
        tail: Vec<Pending>,
    },
    /// every rule, in order
    Loaded(Vec<Item>),
}

impl View {
    pub(super) fn empty() -> View {
        View::Loaded(Vec::new())
    }

    pub(super) fn pending(&self) -> Box<dyn Iterator<Item = &Pending> + '_> {
        match self {
            View::Lazy { head, tail } => Box::new(head.iter().chain(tail.iter())),
            View::Loaded(items) => Box::new(items.iter().filter_map(|i| match i {
                Item::New(p) => Some(p),
                Item::Kernel { .. } => None,
            })),
        }
    }

    pub(super) fn pending_mut(&mut self) -> Box<dyn Iterator<Item = &mut Pending> + '_> {
        match self {
            View::Lazy { head, tail } => Box::new(head.iter_mut().chain(tail.iter_mut())),
            View::Loaded(items) => Box::new(items.iter_mut().filter_map(|i| match i {
                Item::New(p) => Some(p),
                Item::Kernel { .. } => None,
            })),
        }
    }

    /// Does the chain certainly hold rules?
    pub(super) fn has_rules(&self) -> bool {
        match self {
            View::Lazy { head, tail } => !head.is_empty() || !tail.is_empty(),
            View::Loaded(items) => !items.is_empty(),
        }
    }
}

/// Where a rule is in a chain whose kernel rules are not loaded.
#[derive(Debug, Clone, Copy)]
pub(super) enum Loc {
    /// `head[i]` of a lazy view
    Head(usize),
    /// the kernel rule with this handle
    Kernel(u64),
    /// `tail[i]` of a lazy view
    Tail(usize),
}

/// Policy and counters set on a built-in chain.
#[derive(Debug, Clone, Copy)]
pub(super) struct PolicySet {
    pub(super) accept: bool,
    pub(super) counters: Option<Counters>,
    pub(super) line: u32,
}

/// One chain of the view.
#[derive(Debug, Clone)]
pub(super) struct Chain {
    /// current name
    pub(super) name: String,
    /// the kernel chain this is, if it was in the kernel
    pub(super) kernel: Option<NftChain>,
    /// line that created it, for a chain new in this input
    pub(super) created: Option<u32>,
    /// line that deleted it
    pub(super) deleted: Option<u32>,
    /// a built-in chain of the table
    pub(super) builtin: bool,
    /// policy (and counters) set by the input
    pub(super) policy: Option<PolicySet>,
    /// line of the last flush of the kernel chain (`FlushChain` op)
    pub(super) flushed: Option<u32>,
    /// line of the last rename
    pub(super) renamed: Option<u32>,
    pub(super) rules: View,
    /// kernel rules deleted (handle, line)
    pub(super) deleted_rules: Vec<(u64, u32)>,
}

impl Chain {
    pub(super) fn live(&self) -> bool {
        self.deleted.is_none()
    }
    pub(super) fn kernel_name(&self) -> &str {
        self.kernel.as_ref().map_or(&self.name, |k| &k.name)
    }
}

/// One table of the view.
#[derive(Debug, Clone)]
pub(super) struct TableView {
    pub(super) table: Table,
    /// does the table exist in the kernel (asked once)
    pub(super) kernel_exists: Option<bool>,
    /// the input replaces the table (line of its `*table`)
    pub(super) replaced: Option<u32>,
    /// `-F` of the whole table (line)
    pub(super) flushed_all: Option<u32>,
    pub(super) chains: Vec<Chain>,
    /// live chains by current name
    pub(super) by_name: HashMap<String, usize>,
    /// names already looked up in the kernel
    pub(super) seen: HashSet<String>,
    /// the kernel's chain list is loaded
    pub(super) all_loaded: bool,
    /// how many new rules jump or go to each (interned) chain name
    pub(super) refs: HashMap<u32, u32>,
}

impl TableView {
    pub(super) fn new(table: Table) -> Self {
        TableView {
            table,
            kernel_exists: None,
            replaced: None,
            flushed_all: None,
            chains: Vec::new(),
            by_name: HashMap::new(),
            seen: HashSet::new(),
            all_loaded: false,
            refs: HashMap::new(),
        }
    }
}
