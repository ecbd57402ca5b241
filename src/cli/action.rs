//! What a parsed command line asks for: [`Command`] and its [`Action`].

use crate::model::{Family, Table};
use crate::rule::{Counters, Rule};

/// What a command does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// `-A chain rule`
    Append {
        /// chain
        chain: String,
        /// one rule per address combination
        rules: Vec<Rule>,
    },
    /// `-C chain rule`
    Check {
        /// chain
        chain: String,
        /// rules
        rules: Vec<Rule>,
    },
    /// `-D chain rule`
    Delete {
        /// chain
        chain: String,
        /// rules
        rules: Vec<Rule>,
    },
    /// `-D chain N`
    DeleteNum {
        /// chain
        chain: String,
        /// 1-based rule number
        num: usize,
    },
    /// `-I chain [N] rule`
    Insert {
        /// chain
        chain: String,
        /// 1-based position
        num: usize,
        /// rules
        rules: Vec<Rule>,
    },
    /// `-R chain N rule`
    Replace {
        /// chain
        chain: String,
        /// 1-based rule number
        num: usize,
        /// the new rule (boxed: the other commands are small)
        rule: Box<Rule>,
    },
    /// `-L [chain [N]]` (with `-Z`: zero after listing)
    List {
        /// chain
        chain: Option<String>,
        /// rule number
        num: Option<usize>,
        /// `-Z` too
        zero: bool,
    },
    /// `-S [chain [N]]`
    ListRules {
        /// chain
        chain: Option<String>,
        /// rule number
        num: Option<usize>,
    },
    /// `-F [chain]`
    Flush {
        /// chain
        chain: Option<String>,
    },
    /// `-Z [chain [N]]`
    Zero {
        /// chain
        chain: Option<String>,
        /// rule number
        num: Option<usize>,
    },
    /// `-N chain`
    NewChain {
        /// chain
        chain: String,
    },
    /// `-X [chain]`
    DeleteChain {
        /// chain
        chain: Option<String>,
    },
    /// `-P chain target`
    Policy {
        /// chain
        chain: String,
        /// ACCEPT or DROP (checked when run)
        policy: String,
        /// `-c` given
        counters: Option<Counters>,
    },
    /// `-E old new`
    Rename {
        /// old name
        old: String,
        /// new name
        new: String,
    },
    /// `-V` (`! -V`: iptables' joke, `Not VERSION ;-)`)
    Version {
        /// given as `! -V`
        not: bool,
    },
    /// `-h`: the general help, then the help of the extensions loaded
    /// before it (this text: the target's, then each match's)
    Help(String),
}

/// A parsed command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Command {
    /// family of the program
    pub family: Family,
    /// `-t` (filter by default)
    pub table: Table,
    /// what to do
    pub action: Action,
    /// `-n`
    pub numeric: bool,
    /// `-v`
    pub verbose: bool,
    /// `-x`
    pub exact: bool,
    /// `--line-numbers`
    pub line_numbers: bool,
}
