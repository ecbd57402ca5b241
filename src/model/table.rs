//! Address families and the built-in tables with their chains.

use std::fmt;

/// The family an applet works on (`iptables` or `ip6tables`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Family {
    /// IPv4 (`iptables`)
    V4,
    /// IPv6 (`ip6tables`)
    V6,
}

impl Family {
    /// The command name, used in messages (`iptables`, `ip6tables`).
    pub fn prog(self) -> &'static str {
        match self {
            Family::V4 => "iptables",
            Family::V6 => "ip6tables",
        }
    }
    /// Address length in bytes.
    pub fn addr_len(self) -> usize {
        match self {
            Family::V4 => 4,
            Family::V6 => 16,
        }
    }
}

/// The five tables iptables knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Table {
    /// `raw`
    Raw,
    /// `mangle`
    Mangle,
    /// `filter`
    Filter,
    /// `security`
    Security,
    /// `nat`
    Nat,
}

impl Table {
    /// All tables, in no particular order.
    pub const ALL: [Table; 5] = [
        Table::Filter,
        Table::Nat,
        Table::Mangle,
        Table::Raw,
        Table::Security,
    ];

    /// Table by name.
    pub fn from_name(s: &str) -> Option<Table> {
        Some(match s {
            "filter" => Table::Filter,
            "nat" => Table::Nat,
            "mangle" => Table::Mangle,
            "raw" => Table::Raw,
            "security" => Table::Security,
            _ => return None,
        })
    }

    /// The table's name.
    pub fn name(self) -> &'static str {
        match self {
            Table::Filter => "filter",
            Table::Nat => "nat",
            Table::Mangle => "mangle",
            Table::Raw => "raw",
            Table::Security => "security",
        }
    }

    /// Built-in chains, in the order iptables lists them.
    pub fn builtin_chains(self) -> &'static [&'static str] {
        match self {
            Table::Filter => &["INPUT", "FORWARD", "OUTPUT"],
            Table::Nat => &["PREROUTING", "INPUT", "OUTPUT", "POSTROUTING"],
            Table::Mangle => &["PREROUTING", "INPUT", "FORWARD", "OUTPUT", "POSTROUTING"],
            Table::Raw => &["PREROUTING", "OUTPUT"],
            Table::Security => &["INPUT", "FORWARD", "OUTPUT"],
        }
    }

    /// Is `chain` one of this table's built-in chains?
    pub fn is_builtin(self, chain: &str) -> bool {
        self.builtin_chains().contains(&chain)
    }
}

impl fmt::Display for Table {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
