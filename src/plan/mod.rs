//! `iptables-restore` / `ip6tables-restore`: the input of iptables-save
//! (or any iptables command lines in that format) applied as ONE nf_tables
//! transaction.
//!
//! The whole input is read, every line parsed and applied to an in-memory
//! view of the chains it names ([`sim`]), and only then is everything sent,
//! all tables together, in one batch bound to the ruleset generation it was
//! planned from. On any error, in a line or in the kernel's answer, nothing
//! changes; the kernel's error is mapped back to the line its op came
//! from. If another writer changed the ruleset in between, the kernel
//! refuses the batch (`ERESTART`) and the input is planned again from the
//! new state. (iptables-nft commits table by table; a failure in a later
//! table leaves earlier ones applied. rxtables never does.)
//!
//! This module is the planner, pure (no kernel, no libnftnl): the
//! program around it is [`crate::applet::restore`]. Modules: [`text`] (line kinds, word splitting, counter prefixes),
//! [`parse`] (a rule line to a command), [`sim`] (the view), [`emit`] (the ops).

pub mod built;
pub mod emit;
#[cfg(test)]
mod mem;
pub mod parse;
pub mod sim;
pub mod text;
pub mod view;

use crate::cli::Action;
use crate::config::Layout;
use crate::error::{Error, VERSION};
use crate::list::{self, ListOpts};
use crate::model::{Family, Table};
use crate::rule::Counters;
use emit::Plan;
use parse::Parsed;
use sim::{Kernel, Sim, Source};
use text::LineKind;

/// Why a restore failed, with the input line it concerns.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RestoreError {
    /// A line's text or its command's parameters are wrong (exit 2, or the
    /// error's own status); printed with `Error occurred at line: N`.
    #[error("line {line}: {err}")]
    Param {
        /// input line
        line: u32,
        /// the parser's error
        err: Error,
    },
    /// A command cannot be carried out (exit 1):
    /// `PROG: line N failed[: MSG.]`.
    #[error("line {line} failed")]
    Failed {
        /// input line
        line: u32,
        /// iptables' message for it
        msg: Option<String>,
    },
    /// A command the kernel would refuse as invalid (exit 1): printed as
    /// [`RestoreError::Failed`], and by a single command with iptables'
    /// EINVAL hint.
    #[error("line {line} failed: {msg}")]
    Invalid {
        /// input line
        line: u32,
        /// iptables' message for it
        msg: String,
    },
    /// The kernel refused the transaction (exit 4); `msg` is
    /// ` OP failed (ERRNO): WHAT` as iptables-nft prints it.
    #[error("kernel refused the transaction at line {line:?}:{msg}")]
    Kernel {
        /// the line of the op the kernel refused, when known
        line: Option<u32>,
        /// the message after `line N:`
        msg: String,
    },
    /// A rule jumps or goes to a chain that does not exist (exit 2).
    #[error("line {line}: chain '{chain}' does not exist")]
    NoTarget {
        /// input line
        line: u32,
        /// the chain
        chain: String,
    },
    /// The input ended inside a table block (exit 1).
    #[error("COMMIT expected at line {line}")]
    CommitExpected {
        /// the line after the last one
        line: u32,
    },
    /// Reading the kernel failed.
    #[error("{0}")]
    Other(Error),
}

impl RestoreError {
    /// The message (as iptables-restore prints it) and exit status, as an
    /// [`Error::Raw`] for program `prog`.
    pub fn into_error(self, prog: &str) -> Error {
        let tryhelp = format!("Try `{prog} -h' or '{prog} --help' for more information.");
        let (msg, code) = match self {
            RestoreError::Param { line, err } => match err {
                Error::Param(m) => (
                    format!("{prog} {VERSION}: {m}\nError occurred at line: {line}\n{tryhelp}"),
                    2,
                ),
                Error::ParamBare(m) => {
                    (format!("{m}\nError occurred at line: {line}\n{tryhelp}"), 2)
                }
                Error::Op(m) => (format!("{prog}: line {line} failed: {m}."), 1),
                other => {
                    let code = other.exit_code();
                    (other.render(prog), code)
                }
            },
            RestoreError::Failed { line, msg: None } => (format!("{prog}: line {line} failed"), 1),
            RestoreError::Failed { line, msg: Some(m) } | RestoreError::Invalid { line, msg: m } => {
                (format!("{prog}: line {line} failed: {m}."), 1)
            }
            RestoreError::Kernel { line: Some(l), msg } => {
                (format!("{prog} {VERSION}: \nline {l}:{msg}"), 4)
            }
            RestoreError::Kernel { line: None, msg } => (format!("{prog} {VERSION}:{msg}"), 4),
            RestoreError::NoTarget { line, chain } => (
                format!(
                    "{prog} {VERSION}: Chain '{chain}' does not exist\nError occurred at line: {line}\n{tryhelp}"
                ),
                2,
            ),
            RestoreError::CommitExpected { line } => {
                (format!("{prog}: COMMIT expected at line {line}"), 1)
            }
            RestoreError::Other(e) => {
                let code = e.exit_code();
                (e.render(prog), code)
            }
        };
        Error::Raw { msg, code }
    }
}

/// Options of `iptables-restore`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Opts {
    /// `-c`: restore packet and byte counters
    pub counters: bool,
    /// `-v`
    pub verbose: bool,
    /// `-t`: check only, commit nothing
    pub test: bool,
    /// `-n`: do not replace the tables
    pub noflush: bool,
    /// `-T`: restore only this table
    pub table: Option<String>,
    /// input file (stdin when absent)
    pub file: Option<String>,
    /// the layout rules are written in (from the machine's setting)
    pub layout: Layout,
}

impl Opts {
    fn selected(&self, t: Table) -> bool {
        self.table.as_deref().is_none_or(|n| n == t.name())
    }
}

/// `iptables-restore` or `ip6tables-restore`.
pub fn prog_of(family: Family) -> &'static str {
    match family {
        Family::V4 => "iptables-restore",
        Family::V6 => "ip6tables-restore",
    }
}

/// The result of planning a whole input.
/// A planned input.
pub struct Planned<'t> {
    /// the transaction
    pub plan: Plan<'t>,
    /// what goes to stdout (`-v` echoes, listings)
    pub out: String,
}

/// `assert_valid_chain_name` of a `:CHAIN` line.
fn check_declared_chain(name: &str, family: Family) -> Result<(), Error> {
    crate::cli::command::assert_valid_chain_name(name, family)
}

/// Parse and check the whole input against the kernel state `k` and plan
/// its transaction.
pub fn plan_input<'t>(
    text: &'t str,
    family: Family,
    opts: &Opts,
    k: &mut dyn Kernel,
) -> Result<Planned<'t>, RestoreError> {
    let mut out = String::new();
    let plan = plan_input_into(text, family, opts, k, &mut out)?;
    Ok(Planned { plan, out })
}

/// [`plan_input`], writing what goes to stdout into `out` as it goes, so a
/// failed input still shows what iptables-restore printed before failing.
pub fn plan_input_into<'t>(
    text: &'t str,
    family: Family,
    opts: &Opts,
    k: &mut dyn Kernel,
    out: &mut String,
) -> Result<Plan<'t>, RestoreError> {
    let prog = prog_of(family);
    let src = Source {
        text,
        family,
        counters: opts.counters,
        layout: opts.layout,
    };
    // Rules are kept as their place in the input, which needs u32 offsets.
    let spans = text.len() < u32::MAX as usize;
    let mut sim = Sim::new(src, k);
    let mut offset: usize = 0;
    let mut cur: Option<Table> = None;
    let mut in_table = false;
    // As iptables-restore, a command that cannot be carried out fails the
    // block at its COMMIT (still naming its own line), so a later line that
    // does not parse is reported first. Of the failures of a block, the
    // first in line order is reported, unless the only ones are ops the
    // kernel will refuse (iptables-nft learns those when it sends the
    // batch). Commands after a failure are still applied to the view, so
    // that later checks see what iptables-restore sees.
    // With `--test`, iptables-restore only parses: what a command would do
    // to the ruleset is never checked.
    let test = opts.test;
    // `-v` without --noflush or --test: the flushes and each rule added are
    // printed (as `iptables -v` prints a rule)
    let echo = opts.verbose && !opts.noflush && !opts.test;
    // iptables-restore prints a block's flushes and rules when it reaches
    // the block's COMMIT: a block that does not parse prints nothing
    let mut pending = String::new();
    let mut failed: [Option<RestoreError>; 2] = [None, None];
    // iptables-restore carries out a block's commands at its COMMIT, in
    // order, and stops at the first that fails: what it prints (`-v`
    // echoes, listings) stops there too. `cut` is how much of `pending`
    // was printed when the first failure of the block came.
    let mut cut: Option<usize> = None;
    let defer = |r: Result<(), RestoreError>,
                 failed: &mut [Option<RestoreError>; 2],
                 cut: &mut Option<usize>,
                 printed: usize| {
        let slot = match &r {
            Ok(()) => return Ok(()),
            Err(RestoreError::Other(_)) => return r,
            Err(RestoreError::Param { .. }) => 0,
            Err(_) if test => return Ok(()),
            Err(RestoreError::Kernel { .. }) => 1,
            Err(_) => 0,
        };
        if let Err(e) = r {
            if slot == 0 && failed[0].is_none() {
                *cut = Some(printed);
            }
            failed[slot].get_or_insert(e);
        }
        Ok(())
    };
    // where the current table block starts in the input
    let mut block_start = 0;
    let mut lineno: u32 = 0;
    for piece in text.split_inclusive('\n') {
        lineno += 1;
        if lineno % 4096 == 0 {
            sim.input_read(offset);
        }
        let start = offset;
        offset += piece.len();
        let line = piece.strip_suffix('\n').unwrap_or(piece);
        let at = parse::LineAt {
            lineno,
            eol: line.len() < piece.len(),
        };
        let perr = |m: String| RestoreError::Param {
            line: lineno,
            err: Error::Param(m),
        };
        match text::classify(line, in_table) {
            LineKind::Empty => {}
            LineKind::Comment => {
                if opts.verbose {
                    out.push_str(line);
                    // a piece of a longer line is printed as fgets read
                    // it, without a newline
                    if line.len() != text::FGETS_MAX {
                        out.push('\n');
                    }
                }
            }
            LineKind::Commit => {
                in_table = false;
                out.push_str(&pending[..cut.take().unwrap_or(pending.len())]);
                pending.clear();
                // iptables-restore finds a missing jump target while it
                // carries out the block, and reports the COMMIT's line
                let at_commit = |e: RestoreError| match e {
                    RestoreError::NoTarget { chain, .. } => RestoreError::NoTarget {
                        line: lineno,
                        chain,
                    },
                    other => other,
                };
                if let Some(e) = failed.iter_mut().find_map(Option::take) {
                    return Err(at_commit(e));
                }
                if let Some(t) = cur.filter(|_| !test) {
                    sim.commit_check(t).map_err(at_commit)?;
                }
            }
            LineKind::Table(None) => {
                return Err(perr(format!("{prog}: line {lineno} table name invalid")))
            }
            LineKind::Table(Some(name)) => {
                block_start = start;
                let t = Table::from_name(name).ok_or_else(|| {
                    perr(format!("{prog}: line {lineno} table name '{name}' invalid"))
                })?;
                cur = Some(t);
                if !opts.selected(t) {
                    continue;
                }
                in_table = true;
                if opts.noflush {
                    sim.open_table(t);
                } else {
                    if echo {
                        // iptables-restore -v flushes every chain the table
                        // has (the built-in ones always), then deletes the
                        // user-defined ones
                        let users = sim.kernel_user_chains(t, lineno)?;
                        for c in t
                            .builtin_chains()
                            .iter()
                            .copied()
                            .chain(users.iter().map(String::as_str))
                        {
                            pending.push_str(&format!("Flushing chain `{c}'\n"));
                        }
                        for c in &users {
                            pending.push_str(&format!("Deleting chain `{c}'\n"));
                        }
                    }
                    sim.replace_table(t, lineno)?;
                }
            }
            LineKind::Chain(words) => {
                let t = cur.ok_or(RestoreError::Failed {
                    line: lineno,
                    msg: None,
                })?;
                let Some(chain) = words.first() else {
                    return Err(perr(format!("{prog}: line {lineno} chain name invalid")));
                };
                check_declared_chain(chain, family)
                    .map_err(|err| RestoreError::Param { line: lineno, err })?;
                let Some(policy) = words.get(1) else {
                    return Err(perr(format!("{prog}: line {lineno} policy invalid")));
                };
                // 1.8.10+ check a built-in chain's counters always and use
                // them only with `-c` (1.8.9 did not look at them without).
                let mut counters: Option<Counters> = None;
                if t.is_builtin(chain) {
                    let read = words.get(2).map(|c| text::chain_counters(c));
                    if read.as_ref().is_some_and(Option::is_none)
                        || (opts.counters && read.is_none())
                    {
                        return Err(perr(format!("invalid policy counters for chain '{chain}'")));
                    }
                    if opts.counters {
                        counters = read.flatten();
                    }
                }
                let r = sim.chain_line(t, chain, policy, counters, lineno);
                defer(r, &mut failed, &mut cut, pending.len())?;
            }
            LineKind::Rule(l) => {
                let t = cur.ok_or(RestoreError::Failed {
                    line: lineno,
                    msg: None,
                })?;
                let lookups = crate::model::netdb::host_lookups();
                let cmd = match parse::rule_line(family, t, prog, l, at, opts.counters)? {
                    Parsed::Skip => continue,
                    Parsed::Cmd(cmd) => cmd,
                };
                // what was printed before this command
                let before = pending.len();
                // -v: each rule as iptables echoes it (printed at COMMIT)
                if echo {
                    match &cmd.action {
                        Action::Append { rules, .. } | Action::Insert { rules, .. } => {
                            for r in rules {
                                pending.push_str(&list::rule_echo(r, family));
                            }
                        }
                        // `-R` is not echoed by iptables-restore (1.8.13)
                        _ => {}
                    }
                }
                match &cmd.action {
                    // The usual line: kept as its place in the input, its
                    // rule made again when the batch is written, so that
                    // the planner holds no parsed rules.
                    Action::Append { chain, rules }
                        if spans
                            && rules.len() == 1
                            && sim::replayable(&rules[0])
                            && crate::model::netdb::host_lookups() == lookups =>
                    {
                        let span = (start as u32, line.len() as u32);
                        let r = sim.append_line(t, chain, &rules[0], lineno, span);
                        let printed = echoed_before_failure(&r, before, pending.len());
                        defer(r, &mut failed, &mut cut, printed)?;
                    }
                    // iptables-restore prints these and exits 0 at once:
                    // the blocks committed before stay, this one is dropped
                    Action::Version { .. } | Action::Help(_) => {
                        match &cmd.action {
                            Action::Version { not: true } => out.push_str(&format!(
                                "Not {} ;-)\n",
                                VERSION.trim_start_matches('v')
                            )),
                            Action::Help(ext) => {
                                out.push_str(&crate::cli::help::help_text_for(family, prog));
                                out.push_str(ext);
                            }
                            _ => out.push_str(&format!("{prog} {VERSION}\n")),
                        }
                        drop(sim);
                        let mut ignored = String::new();
                        return plan_input_into(
                            &text[..block_start],
                            family,
                            opts,
                            k,
                            &mut ignored,
                        );
                    }
                    Action::List { .. } | Action::ListRules { .. } => {
                        if failed[0].is_none() && !test {
                            let r = list_in_place(&mut sim, &cmd, echo, lineno, &mut pending);
                            defer(r, &mut failed, &mut cut, before)?;
                        }
                    }
                    _ => {
                        // -v: the chains -F, -Z and -X act on
                        if echo {
                            let (verb, chain, users_only) = match &cmd.action {
                                Action::Flush { chain } => ("Flushing", chain, false),
                                Action::Zero { chain, num: None } => ("Zeroing", chain, false),
                                Action::DeleteChain { chain } => ("Deleting", chain, true),
                                _ => ("", &None, false),
                            };
                            if !verb.is_empty() {
                                let names = match chain {
                                    Some(c) => vec![c.clone()],
                                    None => sim.chain_names(cmd.table, users_only, lineno)?,
                                };
                                for c in names {
                                    pending.push_str(&format!("{verb} chain `{c}'\n"));
                                }
                            }
                        }
                        let is_append = matches!(cmd.action, Action::Append { .. });
                        let r = sim.command(*cmd, lineno);
                        let printed = if is_append {
                            echoed_before_failure(&r, before, pending.len())
                        } else {
                            before
                        };
                        defer(r, &mut failed, &mut cut, printed)?
                    }
                }
            }
            LineKind::Stray => {
                // Lines of a table that `-T` leaves out are skipped.
                if cur.is_some_and(|t| !opts.selected(t)) {
                    continue;
                }
                return Err(RestoreError::Failed {
                    line: lineno,
                    msg: None,
                });
            }
        }
    }
    if in_table {
        return Err(RestoreError::CommitExpected { line: lineno + 1 });
    }
    Ok(sim.finish())
}

/// How much of the block's output iptables-restore has printed when an
/// `-A` fails: its echo comes before it finds the chain missing, but after
/// it finds a jump target missing.
fn echoed_before_failure(r: &Result<(), RestoreError>, before: usize, after: usize) -> usize {
    match r {
        Err(RestoreError::Failed { .. }) => after,
        _ => before,
    }
}

/// The output of an `-L`/`-S` line of the input, added to `out`: the table
/// as the commands before it in the input have left it, as
/// iptables-restore lists it while it carries out the block.
fn list_in_place(
    sim: &mut Sim,
    cmd: &crate::cli::Command,
    verbose: bool,
    line: u32,
    out: &mut String,
) -> Result<(), RestoreError> {
    // `iptables-restore -v` (without --noflush) makes each of its commands
    // verbose
    let verbose = verbose || cmd.verbose;
    let family = cmd.family;
    let failed = |e: Error| match e {
        Error::Op(m) => RestoreError::Failed { line, msg: Some(m) },
        other => RestoreError::Other(other),
    };
    let st = sim.snapshot(cmd.table).map_err(failed)?;
    let no_chain = || failed(Error::Op("No chain/target/match by that name".into()));
    let mut res = String::new();
    match &cmd.action {
        Action::List { chain, .. } => {
            let opts = ListOpts {
                numeric: cmd.numeric,
                verbose,
                exact: cmd.exact,
                line_numbers: cmd.line_numbers,
            };
            match chain {
                None => list::list_table(&st, family, &opts, &mut res).map_err(failed)?,
                Some(c) => {
                    let ch = st.chain(c).ok_or_else(no_chain)?;
                    list::list_chain(&st, ch, family, &opts, &mut res).map_err(failed)?;
                }
            }
        }
        Action::ListRules { chain, num } => {
            if let Some(c) = chain {
                st.chain(c).ok_or_else(no_chain)?;
            }
            list::list_rules(&st, chain.as_deref(), *num, family, verbose, &mut res)
                .map_err(failed)?;
        }
        _ => {}
    }
    out.push_str(&res);
    Ok(())
}

/// An error of a single `iptables` command, from the planner's error for
/// the same command in a restore: the same decision, the single-command
/// form of its message (`iptables: MSG.` rather than `line N failed`).
pub fn single_error(e: RestoreError) -> Error {
    match e {
        RestoreError::Param { err, .. } => err,
        RestoreError::Invalid { msg, .. } => Error::Invalid(msg),
        RestoreError::Failed { msg: Some(m), .. } => Error::Op(m),
        RestoreError::Failed { line, msg: None } => Error::Op(format!("command {line} failed")),
        RestoreError::Kernel { msg, .. } => Error::Resource(msg),
        RestoreError::NoTarget { chain, .. } => {
            Error::Param(format!("Chain '{chain}' does not exist"))
        }
        RestoreError::CommitExpected { .. } => Error::Op("COMMIT expected".into()),
        RestoreError::Other(e) => e,
    }
}

/// Plans one `iptables`/`ip6tables` command that changes or checks the
/// ruleset (`-A -C -D -I -R -F -Z -N -X -P -E`) as a one-line `--noflush`
/// restore: the same decisions and messages as in a restore file, in the
/// single-command form. An empty plan changes nothing (`-C`).
pub fn plan_command<'t>(
    cmd: &crate::cli::Command,
    layout: Layout,
    kernel: &mut dyn Kernel,
) -> Result<Plan<'t>, Error> {
    let src = Source {
        text: "",
        family: cmd.family,
        counters: true,
        layout,
    };
    let mut sim = Sim::new(src, kernel);
    sim.open_table(cmd.table);
    sim.command(cmd.clone(), 1).map_err(single_error)?;
    sim.commit_check(cmd.table).map_err(single_error)?;
    Ok(sim.finish())
}
