//! A table as read from the kernel: its chains in listing order, their
//! policies and counters, and their rules (decoded, or kept as unknown).

use super::{Counters, Rule, Target};
use crate::model::Table;

/// Policy of a built-in chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Policy {
    /// `ACCEPT`
    Accept,
    /// `DROP`
    Drop,
}

impl Policy {
    /// `ACCEPT` or `DROP`.
    pub fn name(self) -> &'static str {
        match self {
            Policy::Accept => "ACCEPT",
            Policy::Drop => "DROP",
        }
    }
}

/// A rule in a chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleEntry {
    /// kernel handle (0 when not from the kernel)
    pub handle: u64,
    /// the rule, or why it could not be decoded
    pub rule: Result<Rule, String>,
}

/// A chain with its rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainState {
    /// name
    pub name: String,
    /// policy of a built-in chain; `None` for a user chain
    pub policy: Option<Policy>,
    /// chain counters (built-in chains)
    pub counters: Counters,
    /// does it exist in the kernel (a built-in chain may not yet)
    pub exists: bool,
    /// kernel handle
    pub handle: u64,
    /// rules in order
    pub rules: Vec<RuleEntry>,
    /// how many rules jump or go to it, as the kernel counts them (its use
    /// count less the chain's own rules); `None`: count them in the table
    pub refs: Option<usize>,
}

impl ChainState {
    /// An existing chain holding `rules` (no kernel handles, zero counters).
    pub fn with_rules(name: &str, policy: Option<Policy>, rules: Vec<Rule>) -> Self {
        ChainState {
            name: name.into(),
            policy,
            counters: Counters::default(),
            exists: true,
            handle: 0,
            rules: rules
                .into_iter()
                .map(|r| RuleEntry {
                    handle: 0,
                    rule: Ok(r),
                })
                .collect(),
            refs: None,
        }
    }

    /// Is this a built-in (base) chain?
    pub fn is_builtin(&self) -> bool {
        self.policy.is_some()
    }
}

/// A table's state. Built-in chains come first in iptables' order (present
/// even when the kernel has not created them yet, with ACCEPT policy), then
/// user chains sorted by name, as iptables-nft lists them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableState {
    /// which table
    pub table: Table,
    /// does it exist in the kernel
    pub exists: bool,
    /// chains in listing order
    pub chains: Vec<ChainState>,
}

impl TableState {
    /// An empty table with its built-in chains (not existing yet).
    pub fn empty(table: Table) -> Self {
        TableState {
            table,
            exists: false,
            chains: table
                .builtin_chains()
                .iter()
                .map(|c| ChainState {
                    name: c.to_string(),
                    policy: Some(Policy::Accept),
                    counters: Counters::default(),
                    exists: false,
                    handle: 0,
                    rules: Vec::new(),
                    refs: None,
                })
                .collect(),
        }
    }

    /// Chain by name.
    pub fn chain(&self, name: &str) -> Option<&ChainState> {
        self.chains.iter().find(|c| c.name == name)
    }

    /// Chain by name, mutable.
    pub fn chain_mut(&mut self, name: &str) -> Option<&mut ChainState> {
        self.chains.iter_mut().find(|c| c.name == name)
    }

    /// How many rules jump or go to `chain` (the `-L` "references"): the
    /// kernel's count when it was read, else counted in this table.
    pub fn references(&self, chain: &str) -> usize {
        if let Some(n) = self.chain(chain).and_then(|c| c.refs) {
            return n;
        }
        self.chains
            .iter()
            .flat_map(|c| c.rules.iter())
            .filter(|e| {
                matches!(&e.rule, Ok(r) if matches!(&r.target, Target::Jump(t) | Target::Goto(t) if t == chain))
            })
            .count()
    }

    /// Put user chains in iptables' order (byte order of names) after the
    /// built-in ones.
    pub fn sort_chains(&mut self) {
        self.chains
            .sort_by(|a, b| match (a.is_builtin(), b.is_builtin()) {
                (true, true) => {
                    let order = self.table.builtin_chains();
                    let ia = order.iter().position(|c| *c == a.name);
                    let ib = order.iter().position(|c| *c == b.name);
                    ia.cmp(&ib)
                }
                (true, false) => std::cmp::Ordering::Less,
                (false, true) => std::cmp::Ordering::Greater,
                (false, false) => a.name.as_bytes().cmp(b.name.as_bytes()),
            });
    }
}

/// The order iptables-nft-save prints tables in (`enum nft_table_type`).
pub const SAVE_ORDER: [Table; 5] = [
    Table::Mangle,
    Table::Security,
    Table::Raw,
    Table::Filter,
    Table::Nat,
];
