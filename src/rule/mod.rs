//! Rules and rulesets: one rule (the base part every rule has, `-s -d -i
//! -o -p -f`, the extension matches in order, and what happens on a
//! match) and the state of a table's chains. Above [`crate::model`] (plain
//! values) and [`crate::ext`] (the extensions), so neither depends on it.

pub mod ruleset;

pub use ruleset::{ChainState, Policy, RuleEntry, TableState, SAVE_ORDER};

use crate::ext::{Match, TargetExt};
use crate::model::addr::{Iface, Inv, Net};

/// Packet and byte counters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Counters {
    /// packets
    pub packets: u64,
    /// bytes
    pub bytes: u64,
}

/// What a rule does when it matches.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Target {
    /// no `-j`: the rule only counts
    #[default]
    None,
    /// `-j ACCEPT`
    Accept,
    /// `-j DROP`
    Drop,
    /// `-j RETURN`
    Return,
    /// `-j CHAIN`
    Jump(String),
    /// `-g CHAIN`
    Goto(String),
    /// a target extension (`-j DNAT ...`)
    Ext(TargetExt),
}

impl Target {
    /// The name `-j` takes for it (empty for none).
    pub fn name(&self) -> &str {
        match self {
            Target::None => "",
            Target::Accept => "ACCEPT",
            Target::Drop => "DROP",
            Target::Return => "RETURN",
            Target::Jump(c) | Target::Goto(c) => c,
            Target::Ext(t) => t.name(),
        }
    }

    /// The name `-L` shows in its target column: as `-j` takes it, but
    /// the real name of an alias (`CT` for `NOTRACK`).
    pub fn list_name(&self) -> &str {
        match self {
            Target::Ext(t) => t.real_name(),
            t => t.name(),
        }
    }
}

/// A rule, as the user wrote it and as iptables-save prints it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Rule {
    /// `-s`
    pub src: Option<Inv<Net>>,
    /// `-d`
    pub dst: Option<Inv<Net>>,
    /// `-i`
    pub iniface: Option<Inv<Iface>>,
    /// `-o`
    pub outiface: Option<Inv<Iface>>,
    /// `-p` (`None` for all protocols)
    pub proto: Option<Inv<u8>>,
    /// `-f`, with its inversion (IPv4 only)
    pub frag: Option<bool>,
    /// `-m` matches, in the order given
    pub matches: Vec<Match>,
    /// `-j`/`-g`
    pub target: Target,
    /// `-c`, or the counters read back from the kernel
    pub counters: Counters,
}

/// An interface match as the kernel keeps it: `-i +` (every interface)
/// is no match at all.
fn iface_key(i: &Option<Inv<Iface>>) -> Option<&Inv<Iface>> {
    i.as_ref().filter(|i| i.inv || i.val.0 != "+")
}

impl Rule {
    /// Equality as `-C` and `-D` by spec see it: counters do not count, and
    /// `-i +`/`-o +` equal no interface match (what 1.8.10+ write for it).
    pub fn same_spec(&self, other: &Rule) -> bool {
        self.src == other.src
            && self.dst == other.dst
            && iface_key(&self.iniface) == iface_key(&other.iniface)
            && iface_key(&self.outiface) == iface_key(&other.outiface)
            && self.proto == other.proto
            && self.frag == other.frag
            && self.matches.len() == other.matches.len()
            && self
                .matches
                .iter()
                .zip(&other.matches)
                .all(|(a, b)| a.same_spec(b))
            && self.target == other.target
    }
}
