//! The library API: iptables rulesets for Rust programs, without running
//! a program or writing text.
//!
//! [`Firewall`] is one family's ruleset (IPv4 as `iptables` sees it, or
//! IPv6 as `ip6tables` does). Rules are typed values ([`Rule`]), built in
//! code ([`RuleBuilder`], or the [`Rule`] fields themselves) or parsed from
//! iptables syntax ([`parse_rule`]). Each single change (append, insert,
//! delete, replace, new chain, policy, ...) is one nf_tables transaction,
//! exactly as the `iptables` command runs it; a [`Transaction`] collects
//! any number of changes and commits them as ONE batch, and
//! [`Firewall::apply_save_text`] applies a whole `iptables-save` text,
//! both with the guarantee of `iptables-restore`: everything happens or
//! nothing does, planned against the ruleset of one generation and planned
//! again if another writer got in first. Rules are read back as values
//! ([`Firewall::rules`], [`Firewall::table`]), not text.
//!
//! This module is a thin layer: every change goes through the one planner
//! ([`crate::plan`]) and the one kernel door
//! ([`crate::applet::restore::transact`]) that the programs use, so a change
//! made here is decided, checked and refused exactly as the same
//! `iptables` command or restore line would be.
//!
//! Changing the ruleset needs `CAP_NET_ADMIN` in the network namespace
//! (root); parsing and building rules and transactions needs nothing.
//!
//! ```no_run
//! use rxtables::firewall::{parse_rule, Family, Firewall, Table, Transaction};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let mut fw = Firewall::open(Family::V4)?;
//! let ssh = parse_rule(Family::V4, "-p tcp --dport 22 -j ACCEPT")?;
//! if !fw.check(Table::Filter, "INPUT", &ssh)? {
//!     fw.append(Table::Filter, "INPUT", &ssh)?;
//! }
//! // Several changes, one transaction: all of them or none.
//! let mut tx = Transaction::new(Family::V4);
//! tx.new_chain(Table::Filter, "WEB")
//!     .append(Table::Filter, "WEB", &parse_rule(Family::V4, "-p tcp --dport 443 -j ACCEPT")?)
//!     .append(Table::Filter, "INPUT", &parse_rule(Family::V4, "-j WEB")?);
//! fw.commit(&tx)?;
//! for rule in fw.rules(Table::Filter, "INPUT")? {
//!     println!("{}", rule.target.name());
//! }
//! # Ok(())
//! # }
//! ```
#![warn(missing_docs)]

use crate::applet::restore::transact;
use crate::cli::{Action, Command};
use crate::config::Layout;
use crate::error::Error;
use crate::nft::session::Session;
use crate::plan::sim::{Kernel, Sim, Source};
use crate::plan::{plan_input, Opts, RestoreError};
use crate::rule::{ChainState, RuleEntry};

pub use crate::model::{Family, Iface, Inv, Net, Table};
pub use crate::rule::{Counters, Policy, Rule, TableState, Target};

/// Why a [`Transaction`] or a save text was refused as a whole (nothing
/// was changed): the change (1-based position in the transaction) or
/// input line it concerns, and the error as the single `iptables` command
/// would report it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransactionError {
    /// the change or line at fault, when one is (a kernel refusal of the
    /// batch as a whole, or a failure to reach the kernel, names none)
    pub line: Option<u32>,
    /// what went wrong ([`Error::render`] prints it as iptables does)
    pub error: Error,
    /// the same failure as `iptables-restore` reports it
    /// ([`RestoreError::into_error`] prints it as iptables-restore does)
    pub restore: Box<RestoreError>,
}

impl TransactionError {
    fn new(e: RestoreError) -> Self {
        let line = match &e {
            RestoreError::Param { line, .. }
            | RestoreError::Failed { line, .. }
            | RestoreError::Invalid { line, .. }
            | RestoreError::NoTarget { line, .. }
            | RestoreError::CommitExpected { line } => Some(*line),
            RestoreError::Kernel { line, .. } => *line,
            RestoreError::Other(_) => None,
        };
        TransactionError {
            line,
            error: crate::plan::single_error(e.clone()),
            restore: Box::new(e),
        }
    }
}

impl std::fmt::Display for TransactionError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let msg = self.error.to_string();
        let msg = msg.trim();
        match self.line {
            Some(l) => write!(f, "line {l}: {msg}"),
            None => write!(f, "{msg}"),
        }
    }
}

impl std::error::Error for TransactionError {}

/// The message of `-C`/`-D` for a rule that is not in the chain (the one
/// outcome of a check that is an answer, not a failure).
const NO_SUCH_RULE: &str = "Bad rule (does a matching rule exist in that chain?)";

/// Parses a rule written in iptables syntax, without the command and
/// chain: `-p tcp --dport 22 -j ACCEPT`, as it follows `-A CHAIN` on an
/// `iptables` command line. Words are split as `iptables-restore` splits a
/// line (double quotes keep blanks: `-m comment --comment "a b"`).
///
/// The rule is checked as the command line checks it (options, values,
/// extensions of `family`); what depends on the table or the chain (a
/// target only valid in `nat`, a jump to a chain that must exist) is
/// checked when the rule is added.
///
/// A rule whose `-s`/`-d` name several addresses stands for several
/// rules: use [`parse_rules`] for those; this function refuses them.
///
/// ```
/// use rxtables::firewall::{parse_rule, Family, Target};
///
/// let r = parse_rule(Family::V4, "-s 10.0.0.0/8 -p tcp --dport 22 -j ACCEPT").unwrap();
/// assert_eq!(r.target, Target::Accept);
/// assert_eq!(r.proto.map(|p| p.val), Some(6));
/// assert!(parse_rule(Family::V4, "-p tcp --dport nonsense").is_err());
/// ```
pub fn parse_rule(family: Family, spec: &str) -> Result<Rule, Error> {
    let mut rules = parse_rules(family, spec)?;
    match rules.len() {
        1 => Ok(rules.remove(0)),
        n => Err(Error::Param(format!(
            "`{spec}' stands for {n} rules (several addresses); use parse_rules"
        ))),
    }
}

/// Parses a rule in iptables syntax as [`parse_rule`] does, keeping every
/// rule it stands for (`-s 10.0.0.1,10.0.0.2` is two rules, as with
/// `iptables -A`).
pub fn parse_rules(family: Family, spec: &str) -> Result<Vec<Rule>, Error> {
    let words = split(spec)?;
    if let Some(w) = words.iter().find(|w| is_command_word(w)) {
        return Err(Error::Param(format!(
            "`{w}' is a command; a rule has only options (use parse_command for a whole command)"
        )));
    }
    let mut args = vec!["-A".to_string(), "RULE".to_string()];
    args.extend(words);
    let cmd = crate::cli::parse(family, &args)?;
    match cmd.action {
        Action::Append { rules, .. } => Ok(rules),
        _ => Err(Error::Param(format!("`{spec}' is not a rule"))),
    }
}

/// Parses one whole `iptables`/`ip6tables` command line that changes the
/// ruleset (without the program name): `-t nat -A PREROUTING -p tcp
/// --dport 80 -j DNAT --to-destination 10.0.0.2`. Listing, help and
/// version commands are refused: they change nothing.
///
/// ```
/// use rxtables::firewall::{parse_command, Family, Table};
///
/// let cmd = parse_command(Family::V4, "-t nat -N PORTS").unwrap();
/// assert_eq!(cmd.table, Table::Nat);
/// assert!(parse_command(Family::V4, "-L INPUT").is_err());
/// ```
pub fn parse_command(family: Family, line: &str) -> Result<Command, Error> {
    let cmd = crate::cli::parse(family, &split(line)?)?;
    match cmd.action {
        Action::List { .. }
        | Action::ListRules { .. }
        | Action::Version { .. }
        | Action::Help(_) => Err(Error::Param(format!(
            "`{line}' changes nothing (a listing, help or version)"
        ))),
        _ => Ok(cmd),
    }
}

/// Words of a line, split as `iptables-restore` splits them.
fn split(line: &str) -> Result<Vec<String>, Error> {
    let words =
        crate::plan::text::split_words(line, false).map_err(|e| Error::Param(format!("{e}")))?;
    Ok(words.into_iter().map(|(w, _)| w).collect())
}

/// Does a word of a rule spec name a command (`-A`, `--delete`, ...)?
fn is_command_word(w: &str) -> bool {
    const LONG: &[&str] = &[
        "--append",
        "--check",
        "--delete",
        "--insert",
        "--replace",
        "--list",
        "--list-rules",
        "--flush",
        "--zero",
        "--new-chain",
        "--delete-chain",
        "--policy",
        "--rename-chain",
    ];
    matches!(
        w,
        "-A" | "-C" | "-D" | "-I" | "-R" | "-L" | "-S" | "-F" | "-Z" | "-N" | "-X" | "-P" | "-E"
    ) || LONG.contains(&w)
}

/// Builds a [`Rule`] in code. Each setter takes the value as iptables
/// would read it; [`RuleBuilder::build`] checks them all at once, as the
/// command line does, and returns the typed rule (or the first error).
/// Typed parts can be set on the result directly, since [`Rule`]'s fields
/// are public.
///
/// ```
/// use rxtables::firewall::{Family, RuleBuilder, Target};
///
/// let rule = RuleBuilder::new(Family::V4)
///     .source("192.0.2.0/24")
///     .in_interface("eth0")
///     .protocol("tcp")
///     .matching("tcp", &["--dport", "8080"])
///     .target("DNAT", &["--to-destination", "10.0.0.2:80"])
///     .build()
///     .unwrap();
/// assert_eq!(rule.target.name(), "DNAT");
/// assert_eq!(rule.matches.len(), 1);
///
/// let drop = RuleBuilder::new(Family::V4).jump("DROP").build().unwrap();
/// assert_eq!(drop.target, Target::Drop);
/// ```
#[derive(Debug, Clone)]
pub struct RuleBuilder {
    family: Family,
    words: Vec<String>,
}

impl RuleBuilder {
    /// An empty rule of `family` (matches every packet, no target).
    pub fn new(family: Family) -> Self {
        RuleBuilder {
            family,
            words: Vec::new(),
        }
    }

    fn opt(mut self, inv: bool, flag: &str, value: &str) -> Self {
        if inv {
            self.words.push("!".into());
        }
        self.words.push(flag.into());
        self.words.push(value.into());
        self
    }

    /// `-s`: source address or network (`10.0.0.0/8`).
    pub fn source(self, net: &str) -> Self {
        self.opt(false, "-s", net)
    }

    /// `! -s`: not from this address or network.
    pub fn not_source(self, net: &str) -> Self {
        self.opt(true, "-s", net)
    }

    /// `-d`: destination address or network.
    pub fn destination(self, net: &str) -> Self {
        self.opt(false, "-d", net)
    }

    /// `! -d`: not to this address or network.
    pub fn not_destination(self, net: &str) -> Self {
        self.opt(true, "-d", net)
    }

    /// `-i`: input interface (`eth+` for a prefix).
    pub fn in_interface(self, name: &str) -> Self {
        self.opt(false, "-i", name)
    }

    /// `-o`: output interface.
    pub fn out_interface(self, name: &str) -> Self {
        self.opt(false, "-o", name)
    }

    /// `-p`: protocol by name or number (`tcp`, `17`).
    pub fn protocol(self, proto: &str) -> Self {
        self.opt(false, "-p", proto)
    }

    /// `! -p`: every protocol but this one.
    pub fn not_protocol(self, proto: &str) -> Self {
        self.opt(true, "-p", proto)
    }

    /// `-m NAME OPTIONS...`: an extension match with its options, as
    /// iptables takes them (`"tcp", &["--dport", "22"]`).
    pub fn matching(mut self, name: &str, options: &[&str]) -> Self {
        self.words.push("-m".into());
        self.words.push(name.into());
        self.words.extend(options.iter().map(|o| o.to_string()));
        self
    }

    /// `-j NAME`: a verdict (`ACCEPT`, `DROP`, `RETURN`) or a chain to jump
    /// to.
    pub fn jump(mut self, name: &str) -> Self {
        self.words.push("-j".into());
        self.words.push(name.into());
        self
    }

    /// `-g CHAIN`: go to a chain (no return).
    pub fn goto(mut self, chain: &str) -> Self {
        self.words.push("-g".into());
        self.words.push(chain.into());
        self
    }

    /// `-j NAME OPTIONS...`: a target extension with its options
    /// (`"DNAT", &["--to-destination", "10.0.0.2"]`).
    pub fn target(mut self, name: &str, options: &[&str]) -> Self {
        self = self.jump(name);
        self.words.extend(options.iter().map(|o| o.to_string()));
        self
    }

    /// The rule, checked as `iptables -A` checks it; one rule, so each
    /// address option must name one address or network.
    pub fn build(self) -> Result<Rule, Error> {
        let mut args = vec!["-A".to_string(), "RULE".to_string()];
        args.extend(self.words);
        let cmd = crate::cli::parse(self.family, &args)?;
        match cmd.action {
            Action::Append { mut rules, .. } if rules.len() == 1 => Ok(rules.remove(0)),
            Action::Append { rules, .. } => Err(Error::Param(format!(
                "the rule stands for {} rules (several addresses); give one address each",
                rules.len()
            ))),
            _ => Err(Error::Param("not a rule".into())),
        }
    }
}

/// How [`Firewall::apply_save_text`] treats the tables its text names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Mode {
    /// Each table the text names is replaced by the text's version
    /// (`iptables-restore`).
    #[default]
    Flush,
    /// The text's commands are applied to the tables as they are
    /// (`iptables-restore --noflush`).
    NoFlush,
}

/// A set of changes to one family's ruleset, committed as ONE transaction
/// by [`Firewall::commit`]: every change happens or none does, as with
/// `iptables-restore --noflush`. Changes are planned in order against the
/// ruleset as it is at commit time (a later change sees the earlier ones:
/// a chain created first can be jumped to), and any change that cannot be
/// made (a missing chain, a rule to delete that is not there, an index
/// too big, a rule the kernel refuses) fails the whole transaction,
/// naming the change by its 1-based position as its `line`.
///
/// Building a transaction touches nothing; it can be committed several
/// times (each commit is planned again).
///
/// ```
/// use rxtables::firewall::{parse_rule, Family, Policy, Table, Transaction};
///
/// let mut tx = Transaction::new(Family::V4);
/// tx.new_chain(Table::Filter, "LOGDROP")
///     .append(Table::Filter, "LOGDROP", &parse_rule(Family::V4, "-j DROP").unwrap())
///     .set_policy(Table::Filter, "FORWARD", Policy::Drop);
/// tx.command("-t nat -A POSTROUTING -o eth0 -j MASQUERADE").unwrap();
/// assert_eq!(tx.len(), 4);
/// ```
#[derive(Debug, Clone)]
pub struct Transaction {
    family: Family,
    changes: Vec<Command>,
}

impl Transaction {
    /// An empty transaction for `family`.
    pub fn new(family: Family) -> Self {
        Transaction {
            family,
            changes: Vec::new(),
        }
    }

    /// The family it changes.
    pub fn family(&self) -> Family {
        self.family
    }

    /// How many changes it holds.
    pub fn len(&self) -> usize {
        self.changes.len()
    }

    /// Does it hold no change?
    pub fn is_empty(&self) -> bool {
        self.changes.is_empty()
    }

    /// The changes, in order, as the commands they are.
    pub fn changes(&self) -> &[Command] {
        &self.changes
    }

    fn push(&mut self, table: Table, action: Action) -> &mut Self {
        self.changes.push(command(self.family, table, action));
        self
    }

    /// Adds one change given as an `iptables` command line (see
    /// [`parse_command`]); refused if it does not parse.
    pub fn command(&mut self, line: &str) -> Result<&mut Self, Error> {
        let cmd = parse_command(self.family, line)?;
        self.changes.push(cmd);
        Ok(self)
    }

    /// `-A`: append `rule` to `chain`.
    pub fn append(&mut self, table: Table, chain: &str, rule: &Rule) -> &mut Self {
        let action = Action::Append {
            chain: chain.into(),
            rules: vec![rule.clone()],
        };
        self.push(table, action)
    }

    /// `-I chain pos`: insert `rule` at 1-based position `pos` (1 is the
    /// head; one past the last rule appends).
    pub fn insert(&mut self, table: Table, chain: &str, pos: usize, rule: &Rule) -> &mut Self {
        let action = Action::Insert {
            chain: chain.into(),
            num: pos.max(1),
            rules: vec![rule.clone()],
        };
        self.push(table, action)
    }

    /// `-C`: the transaction fails unless `chain` holds `rule`.
    pub fn check(&mut self, table: Table, chain: &str, rule: &Rule) -> &mut Self {
        let action = Action::Check {
            chain: chain.into(),
            rules: vec![rule.clone()],
        };
        self.push(table, action)
    }

    /// `-D chain rule`: delete the first rule of `chain` equal to `rule`
    /// (counters aside).
    pub fn delete(&mut self, table: Table, chain: &str, rule: &Rule) -> &mut Self {
        let action = Action::Delete {
            chain: chain.into(),
            rules: vec![rule.clone()],
        };
        self.push(table, action)
    }

    /// `-D chain pos`: delete the rule at 1-based position `pos`.
    pub fn delete_at(&mut self, table: Table, chain: &str, pos: usize) -> &mut Self {
        let action = Action::DeleteNum {
            chain: chain.into(),
            num: pos,
        };
        self.push(table, action)
    }

    /// `-R chain pos rule`: replace the rule at 1-based position `pos`.
    pub fn replace(&mut self, table: Table, chain: &str, pos: usize, rule: &Rule) -> &mut Self {
        let action = Action::Replace {
            chain: chain.into(),
            num: pos,
            rule: Box::new(rule.clone()),
        };
        self.push(table, action)
    }

    /// `-F [chain]`: remove every rule of `chain`, or of the whole table.
    pub fn flush(&mut self, table: Table, chain: Option<&str>) -> &mut Self {
        let action = Action::Flush {
            chain: chain.map(Into::into),
        };
        self.push(table, action)
    }

    /// `-N`: create the user chain `chain`.
    pub fn new_chain(&mut self, table: Table, chain: &str) -> &mut Self {
        let action = Action::NewChain {
            chain: chain.into(),
        };
        self.push(table, action)
    }

    /// `-X chain`: delete the user chain `chain` (empty and not jumped to).
    pub fn delete_chain(&mut self, table: Table, chain: &str) -> &mut Self {
        let action = Action::DeleteChain {
            chain: Some(chain.into()),
        };
        self.push(table, action)
    }

    /// `-E`: rename the user chain `old` to `new`.
    pub fn rename_chain(&mut self, table: Table, old: &str, new: &str) -> &mut Self {
        let action = Action::Rename {
            old: old.into(),
            new: new.into(),
        };
        self.push(table, action)
    }

    /// `-P`: set the policy of the built-in chain `chain`.
    pub fn set_policy(&mut self, table: Table, chain: &str, policy: Policy) -> &mut Self {
        let action = Action::Policy {
            chain: chain.into(),
            policy: policy.name().into(),
            counters: None,
        };
        self.push(table, action)
    }

    /// The plan of the whole transaction against `k`: each change applied
    /// to the planner's view in order (as the lines of one `--noflush`
    /// restore), then every table's jumps checked, as at `COMMIT`.
    fn plan<'t>(
        &self,
        layout: Layout,
        k: &mut dyn Kernel,
    ) -> Result<crate::plan::emit::Plan<'t>, RestoreError> {
        let src = Source {
            text: "",
            family: self.family,
            counters: true,
            layout,
        };
        let mut sim = Sim::new(src, k);
        let mut tables: Vec<Table> = Vec::new();
        for (i, cmd) in self.changes.iter().enumerate() {
            if cmd.family != self.family {
                return Err(RestoreError::Param {
                    line: line_of(i),
                    err: Error::Param(format!(
                        "a {} command in a {} transaction",
                        cmd.family.prog(),
                        self.family.prog()
                    )),
                });
            }
            if !tables.contains(&cmd.table) {
                tables.push(cmd.table);
            }
            sim.open_table(cmd.table);
            sim.command(cmd.clone(), line_of(i))?;
        }
        for t in tables {
            sim.commit_check(t)?;
        }
        Ok(sim.finish())
    }
}

/// The 1-based `line` of change `i` in errors.
fn line_of(i: usize) -> u32 {
    u32::try_from(i + 1).unwrap_or(u32::MAX)
}

fn command(family: Family, table: Table, action: Action) -> Command {
    Command {
        family,
        table,
        action,
        numeric: false,
        verbose: false,
        exact: false,
        line_numbers: false,
    }
}

/// One family's ruleset in the kernel (of the network namespace the
/// process is in): read it as typed values, change it one command at a
/// time or in transactions.
///
/// Single changes behave as the `iptables` command with the same options:
/// each is its own transaction, and a failure is the same [`Error`] (its
/// [`Error::render`] is the message iptables prints, its
/// [`Error::exit_code`] the status).
pub struct Firewall {
    family: Family,
    layout: Layout,
    session: Session,
}

impl std::fmt::Debug for Firewall {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Firewall")
            .field("family", &self.family)
            .field("layout", &self.layout)
            .finish_non_exhaustive()
    }
}

impl Firewall {
    /// Opens the ruleset of `family`. Rules are written in the layout of
    /// the machine's settings (`/etc/rxtables.conf`, `$RXTABLES_LAYOUT`),
    /// as the programs write them; a broken setting is an error here.
    ///
    /// ```no_run
    /// use rxtables::firewall::{Family, Firewall};
    /// let fw = Firewall::open(Family::V6)?;
    /// assert_eq!(fw.family(), Family::V6);
    /// # Ok::<(), rxtables::error::Error>(())
    /// ```
    pub fn open(family: Family) -> Result<Firewall, Error> {
        let layout = crate::config::load()
            .map(|c| c.layout)
            .map_err(|e| Error::Raw {
                msg: format!("rxtables: {e}"),
                code: 2,
            })?;
        Ok(Firewall {
            family,
            layout,
            session: Session::open(family)?,
        })
    }

    /// The family this ruleset is.
    pub fn family(&self) -> Family {
        self.family
    }

    /// The layout new rules are written in.
    pub fn layout(&self) -> Layout {
        self.layout
    }

    /// Writes new rules in `layout` from now on (see [`crate::config`]).
    pub fn set_layout(&mut self, layout: Layout) {
        self.layout = layout;
    }

    fn run(&self, table: Table, action: Action) -> Result<(), Error> {
        crate::applet::restore::run_command(&command(self.family, table, action), self.layout)
    }

    /// `-A`: appends `rule` to `chain`.
    pub fn append(&mut self, table: Table, chain: &str, rule: &Rule) -> Result<(), Error> {
        let action = Action::Append {
            chain: chain.into(),
            rules: vec![rule.clone()],
        };
        self.run(table, action)
    }

    /// `-I chain pos`: inserts `rule` at 1-based position `pos`.
    pub fn insert(
        &mut self,
        table: Table,
        chain: &str,
        pos: usize,
        rule: &Rule,
    ) -> Result<(), Error> {
        let action = Action::Insert {
            chain: chain.into(),
            num: pos.max(1),
            rules: vec![rule.clone()],
        };
        self.run(table, action)
    }

    /// `-C`: does `chain` hold a rule equal to `rule` (counters aside)?
    /// A chain that does not exist holds none (`false`, as `iptables -C`
    /// answers the same for both); a rule that cannot be in the table (a
    /// jump to a missing chain, ...) is an error.
    ///
    /// ```no_run
    /// use rxtables::firewall::{parse_rule, Family, Firewall, Table};
    /// let mut fw = Firewall::open(Family::V4)?;
    /// let rule = parse_rule(Family::V4, "-i lo -j ACCEPT")?;
    /// if !fw.check(Table::Filter, "INPUT", &rule)? {
    ///     fw.insert(Table::Filter, "INPUT", 1, &rule)?;
    /// }
    /// # Ok::<(), rxtables::error::Error>(())
    /// ```
    pub fn check(&mut self, table: Table, chain: &str, rule: &Rule) -> Result<bool, Error> {
        let action = Action::Check {
            chain: chain.into(),
            rules: vec![rule.clone()],
        };
        match self.run(table, action) {
            Ok(()) => Ok(true),
            Err(Error::Op(m)) if m == NO_SUCH_RULE => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// `-D chain rule`: deletes the first rule of `chain` equal to `rule`;
    /// an error if there is none.
    pub fn delete(&mut self, table: Table, chain: &str, rule: &Rule) -> Result<(), Error> {
        let action = Action::Delete {
            chain: chain.into(),
            rules: vec![rule.clone()],
        };
        self.run(table, action)
    }

    /// `-D chain pos`: deletes the rule at 1-based position `pos`.
    pub fn delete_at(&mut self, table: Table, chain: &str, pos: usize) -> Result<(), Error> {
        let action = Action::DeleteNum {
            chain: chain.into(),
            num: pos,
        };
        self.run(table, action)
    }

    /// `-R chain pos rule`: replaces the rule at 1-based position `pos`.
    pub fn replace(
        &mut self,
        table: Table,
        chain: &str,
        pos: usize,
        rule: &Rule,
    ) -> Result<(), Error> {
        let action = Action::Replace {
            chain: chain.into(),
            num: pos,
            rule: Box::new(rule.clone()),
        };
        self.run(table, action)
    }

    /// `-F [chain]`: removes every rule of `chain`, or of the table.
    pub fn flush(&mut self, table: Table, chain: Option<&str>) -> Result<(), Error> {
        self.run(
            table,
            Action::Flush {
                chain: chain.map(Into::into),
            },
        )
    }

    /// `-N`: creates the user chain `chain`.
    pub fn new_chain(&mut self, table: Table, chain: &str) -> Result<(), Error> {
        self.run(
            table,
            Action::NewChain {
                chain: chain.into(),
            },
        )
    }

    /// `-X chain`: deletes the user chain `chain` (it must be empty and
    /// not jumped to).
    pub fn delete_chain(&mut self, table: Table, chain: &str) -> Result<(), Error> {
        self.run(
            table,
            Action::DeleteChain {
                chain: Some(chain.into()),
            },
        )
    }

    /// `-E`: renames the user chain `old` to `new`.
    pub fn rename_chain(&mut self, table: Table, old: &str, new: &str) -> Result<(), Error> {
        self.run(
            table,
            Action::Rename {
                old: old.into(),
                new: new.into(),
            },
        )
    }

    /// `-P`: sets the policy of the built-in chain `chain`.
    pub fn set_policy(&mut self, table: Table, chain: &str, policy: Policy) -> Result<(), Error> {
        self.run(
            table,
            Action::Policy {
                chain: chain.into(),
                policy: policy.name().into(),
                counters: None,
            },
        )
    }

    /// Runs one `iptables` command line that changes the ruleset (see
    /// [`parse_command`]), as the `iptables` program would.
    pub fn run_command(&mut self, line: &str) -> Result<(), Error> {
        let cmd = parse_command(self.family, line)?;
        crate::applet::restore::run_command(&cmd, self.layout)
    }

    /// Commits `tx` as ONE transaction: all its changes or, on any error,
    /// none of them (the ruleset is left as it was). The error names the
    /// failing change by its 1-based position (`line`).
    ///
    /// ```no_run
    /// use rxtables::firewall::{parse_rule, Family, Firewall, Table, Transaction};
    /// let mut fw = Firewall::open(Family::V4)?;
    /// let mut tx = Transaction::new(Family::V4);
    /// tx.append(Table::Filter, "INPUT", &parse_rule(Family::V4, "-p tcp --dport 22 -j ACCEPT")?)
    ///     .delete(Table::Filter, "INPUT", &parse_rule(Family::V4, "-p tcp --dport 23 -j ACCEPT")?);
    /// // If no telnet rule is there, the SSH rule is not added either.
    /// if let Err(e) = fw.commit(&tx) {
    ///     eprintln!("nothing changed: {e}");
    /// }
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn commit(&mut self, tx: &Transaction) -> Result<(), TransactionError> {
        if tx.family != self.family {
            return Err(TransactionError::new(RestoreError::Other(Error::Param(
                format!(
                    "a {} transaction for the {} ruleset",
                    tx.family.prog(),
                    self.family.prog()
                ),
            ))));
        }
        let layout = self.layout;
        transact(self.family, |k| tx.plan(layout, k)).map_err(TransactionError::new)
    }

    /// Applies a whole `iptables-save` text (or any `iptables-restore`
    /// input) as ONE transaction, exactly as `iptables-restore` (with
    /// [`Mode::NoFlush`]: `--noflush`) does: all of it or nothing.
    /// Counters in the text (`[packets:bytes]`) are restored.
    ///
    /// ```no_run
    /// use rxtables::firewall::{Family, Firewall, Mode};
    /// let mut fw = Firewall::open(Family::V4)?;
    /// fw.apply_save_text("*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -i lo -j ACCEPT\nCOMMIT\n", Mode::Flush)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn apply_save_text(&mut self, text: &str, mode: Mode) -> Result<(), TransactionError> {
        let opts = Opts {
            counters: true,
            noflush: mode == Mode::NoFlush,
            layout: self.layout,
            ..Opts::default()
        };
        let family = self.family;
        transact(family, |k| {
            plan_input(text, family, &opts, k).map(|planned| planned.plan)
        })
        .map_err(TransactionError::new)
    }

    /// A whole table as it is now: its chains in listing order, each with
    /// its policy, counters and rules (a rule rxtables cannot express is
    /// kept as the reason, see [`RuleEntry`]). A table that does not exist
    /// has its built-in chains marked as not existing.
    pub fn table(&mut self, table: Table) -> Result<TableState, Error> {
        self.session.load_table(table)
    }

    /// The names of the chains of `table` that exist, built-in ones first
    /// (as with iptables-nft, a built-in chain exists once a rule or
    /// policy has used it).
    pub fn chains(&mut self, table: Table) -> Result<Vec<String>, Error> {
        let st = self.table(table)?;
        Ok(st
            .chains
            .into_iter()
            .filter(|c| c.exists)
            .map(|c| c.name)
            .collect())
    }

    /// One chain as it is now (policy, counters, rules); `None` if it does
    /// not exist.
    pub fn chain(&mut self, table: Table, chain: &str) -> Result<Option<ChainState>, Error> {
        let st = self.session.load_chain(table, chain)?;
        Ok(st.chains.into_iter().find(|c| c.exists && c.name == chain))
    }

    /// The policy of a built-in chain (`None` for a user chain or one that
    /// does not exist yet).
    pub fn policy(&mut self, table: Table, chain: &str) -> Result<Option<Policy>, Error> {
        Ok(self.chain(table, chain)?.and_then(|c| c.policy))
    }

    /// `-S chain` as values: the rules of `chain`, in order, with their
    /// counters. A user chain that does not exist is an error (a built-in
    /// one not made yet has no rules), and so is a rule rxtables cannot
    /// express (use [`Firewall::table`] to see such rules).
    ///
    /// ```no_run
    /// use rxtables::firewall::{Family, Firewall, Table, Target};
    /// let mut fw = Firewall::open(Family::V4)?;
    /// let drops = fw
    ///     .rules(Table::Filter, "INPUT")?
    ///     .iter()
    ///     .filter(|r| r.target == Target::Drop)
    ///     .count();
    /// println!("{drops} DROP rules");
    /// # Ok::<(), rxtables::error::Error>(())
    /// ```
    pub fn rules(&mut self, table: Table, chain: &str) -> Result<Vec<Rule>, Error> {
        let Some(ch) = self.chain(table, chain)? else {
            // A built-in chain not made yet holds no rule (`iptables -S
            // INPUT` lists it on a fresh machine too).
            if table.is_builtin(chain) {
                return Ok(Vec::new());
            }
            return Err(Error::Op("No chain/target/match by that name".into()));
        };
        ch.rules
            .into_iter()
            .enumerate()
            .map(|(i, RuleEntry { rule, .. })| {
                rule.map_err(|why| {
                    Error::Op(format!(
                        "rule {} of chain {chain} cannot be expressed: {why}",
                        i + 1
                    ))
                })
            })
            .collect()
    }

    /// The `iptables-save` text of every table of the family (or only
    /// `table`), with counters if `counters`. Rules rxtables cannot
    /// express make this an error, as `iptables-save` fails for them.
    pub fn save_text(&mut self, table: Option<Table>, counters: bool) -> Result<String, Error> {
        let tables: Vec<Table> = match table {
            Some(t) => vec![t],
            None => crate::rule::SAVE_ORDER.to_vec(),
        };
        let mut states = Vec::new();
        for t in tables {
            let st = self.table(t)?;
            if st.exists {
                states.push(st);
            }
        }
        let now = crate::save::ctime_now();
        let (text, problems) = crate::save::save_text(&states, self.family, counters, &now);
        match problems.is_empty() {
            true => Ok(text),
            false => Err(Error::Op(problems.join("; "))),
        }
    }
}
