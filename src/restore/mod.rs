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
//! Modules: [`text`] (line kinds, word splitting, counter prefixes),
//! [`parse`] (a rule line to a command, with the [`fast`] path for the
//! common `-A` lines), [`sim`] (the view and the ops).

pub mod fast;
pub mod parse;
pub mod sim;
pub mod text;

use crate::cli::Action;
use crate::config::Layout;
use crate::error::{Error, VERSION};
use crate::list::{self, ListOpts};
use crate::model::{Counters, Family, Rule, Table, TableState};
use crate::nft::decode::decode_rule;
use crate::nft::encode::encode_rule;
use crate::nft::ir::NfProto;
use crate::nft::ir::{Expr, NftChain, NftRule};
use crate::nft::session::{commit_error, nfproto, strerror, Session};
use crate::nft::sys::{CommitError, Nft, SysError};
use clap::{Arg, ArgAction};
use parse::Parsed;
use sim::{Kernel, Plan, Sim, Source};
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
            RestoreError::Failed { line, msg: Some(m) } => {
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

fn prog_of(family: Family) -> &'static str {
    match family {
        Family::V4 => "iptables-restore",
        Family::V6 => "ip6tables-restore",
    }
}

fn usage(prog: &str) -> String {
    format!(
        "Usage: {prog} [-c] [-v] [-V] [-t] [-h] [-n] [-T table] [-M command] [-4] [-6] [file]
\t   [ --counters ]
\t   [ --verbose ]
\t   [ --version]
\t   [ --test ]
\t   [ --help ]
\t   [ --noflush ]
\t   [ --table=<TABLE> ]
\t   [ --modprobe=<command> ]
\t   [ --ipv4 ]
\t   [ --ipv6 ]"
    )
}

fn cli(prog: &'static str) -> clap::Command {
    let flag = |id: &'static str, short: char, long: &'static str| {
        Arg::new(id)
            .short(short)
            .long(long)
            .action(ArgAction::SetTrue)
    };
    clap::Command::new(prog)
        .disable_version_flag(true)
        .disable_help_flag(true)
        .arg(flag("counters", 'c', "counters"))
        .arg(flag("verbose", 'v', "verbose").action(ArgAction::Count))
        .arg(flag("version", 'V', "version"))
        .arg(flag("test", 't', "test"))
        .arg(flag("help", 'h', "help"))
        .arg(flag("noflush", 'n', "noflush"))
        .arg(flag("binary", 'b', "binary"))
        .arg(Arg::new("modprobe").short('M').long("modprobe").num_args(1))
        .arg(Arg::new("table").short('T').long("table").num_args(1))
        // `-w [secs]` / `-W [usecs]`: accepted and ignored, as by
        // iptables-nft-restore (which takes no lock).
        .arg(Arg::new("wait").short('w').long("wait").num_args(0..=1))
        .arg(
            Arg::new("wait-interval")
                .short('W')
                .long("wait-interval")
                .num_args(0..=1),
        )
        .arg(Arg::new("file").num_args(0..).trailing_var_arg(false))
}

/// What the command line asks for.
enum Request {
    /// restore with these options
    Restore(Opts),
    /// print this and exit successfully (`-V`)
    Print(String),
}

fn parse_args(prog: &'static str, args: &[String]) -> Result<Request, Error> {
    let m = cli(prog)
        .try_get_matches_from(std::iter::once(prog.to_string()).chain(args.iter().cloned()))
        .map_err(|e| {
            let first = e.to_string();
            let first = first
                .lines()
                .next()
                .unwrap_or("")
                .trim_start_matches("error: ")
                .to_string();
            Error::Raw {
                msg: format!("{prog}: {first}\nTry `{prog} -h' for more information."),
                code: 1,
            }
        })?;
    if m.get_flag("version") {
        return Ok(Request::Print(format!("{prog} {VERSION}\n")));
    }
    if m.get_flag("help") {
        // iptables-restore prints its usage on stderr and succeeds.
        return Err(Error::Raw {
            msg: usage(prog),
            code: 0,
        });
    }
    if m.get_flag("binary") {
        eprintln!("-b/--binary option is not implemented");
    }
    let files: Vec<String> = m
        .get_many::<String>("file")
        .map(|v| v.cloned().collect())
        .unwrap_or_default();
    if files.len() > 1 {
        return Err(Error::Raw {
            msg: "Unknown arguments found on commandline".into(),
            code: 1,
        });
    }
    Ok(Request::Restore(Opts {
        counters: m.get_flag("counters"),
        verbose: m.get_count("verbose") > 0,
        test: m.get_flag("test"),
        noflush: m.get_flag("noflush"),
        table: m.get_one::<String>("table").cloned(),
        file: files.into_iter().next(),
        layout: Layout::default(),
    }))
}

fn read_input(opts: &Opts) -> Result<Vec<u8>, Error> {
    use std::io::Read;
    match &opts.file {
        Some(f) => std::fs::read(f).map_err(|e| Error::Raw {
            msg: format!(
                "Can't open {f}: {}",
                strerror(e.raw_os_error().unwrap_or(libc::EIO))
            ),
            code: 1,
        }),
        None => {
            let mut v = Vec::new();
            std::io::stdin()
                .lock()
                .read_to_end(&mut v)
                .map_err(|e| Error::Raw {
                    msg: format!("Can't read standard input: {e}"),
                    code: 1,
                })?;
            Ok(v)
        }
    }
}

fn sys_error(e: SysError) -> Error {
    if e.errno == libc::EPERM {
        return Error::Resource(
            "Could not fetch rule set generation id: Permission denied (you must be root)".into(),
        );
    }
    Error::Resource(format!("{} failed ({})", e.op, strerror(e.errno)))
}

/// The kernel as the planner reads it: one netlink socket, plus a session
/// opened only if a line lists a table (`-L`/`-S`).
pub struct NftKernel<'a> {
    nft: &'a mut Nft,
    family: Family,
    session: Option<Session>,
}

impl NftKernel<'_> {
    /// A whole table, for listing.
    fn load_table(&mut self, table: Table) -> Result<TableState, Error> {
        if self.session.is_none() {
            self.session = Some(Session::open(self.family)?);
        }
        match self.session.as_mut() {
            Some(s) => s.load_table(table),
            None => Ok(TableState::empty(table)),
        }
    }
}

impl Kernel for NftKernel<'_> {
    fn table_exists(&mut self, table: Table) -> Result<bool, Error> {
        self.nft
            .table_exists(nfproto(self.family), table.name())
            .map_err(sys_error)
    }
    fn chain(&mut self, table: Table, name: &str) -> Result<Option<NftChain>, Error> {
        self.nft
            .chain(nfproto(self.family), table.name(), name)
            .map_err(sys_error)
    }
    fn chains(&mut self, table: Table) -> Result<Vec<NftChain>, Error> {
        self.nft
            .chains(nfproto(self.family), table.name())
            .map_err(sys_error)
    }
    fn rules(&mut self, table: Table, chain: &str) -> Result<Vec<NftRule>, Error> {
        self.nft
            .rules(nfproto(self.family), table.name(), Some(chain))
            .map_err(sys_error)
    }
    fn find_rule(
        &mut self,
        table: Table,
        chain: &str,
        skip: &[u64],
        rule: &Rule,
    ) -> Result<Option<u64>, Error> {
        let family = self.family;
        // Most kernel rules differ from the wanted one in their expressions
        // already; decoding catches other encodings of the same rule.
        let wanted: Vec<Expr> = without_counter(&encode_rule(rule, family).0);
        for _ in 0..100 {
            let mut found = None;
            let res = self
                .nft
                .rules_while(nfproto(family), table.name(), chain, |r| {
                    if skip.contains(&r.handle) {
                        return true;
                    }
                    let same = without_counter(&r.exprs) == wanted
                        || decode_rule(&r.exprs, family).is_ok_and(|d| d.same_spec(rule));
                    if same {
                        found = Some(r.handle);
                    }
                    !same
                });
            match res {
                Ok(_) => return Ok(found),
                Err(e) if e.errno == libc::EINTR => continue,
                Err(e) => return Err(sys_error(e)),
            }
        }
        Err(Error::Resource(
            "ruleset kept changing while reading it".into(),
        ))
    }
}

/// A rule's expressions without its counter, for comparing specs.
fn without_counter(exprs: &[Expr]) -> Vec<Expr> {
    exprs
        .iter()
        .filter(|e| !matches!(e, Expr::Counter { .. }))
        .cloned()
        .collect()
}

/// The result of planning a whole input.
struct Planned<'t> {
    plan: Plan<'t>,
    /// what goes to stdout (`-v` echoes, listings)
    out: String,
}

/// `assert_valid_chain_name` of a `:CHAIN` line.
fn check_declared_chain(name: &str, family: Family) -> Result<(), Error> {
    crate::cli::command::check_chain_name(name)?;
    if matches!(name, "ACCEPT" | "DROP" | "RETURN" | "QUEUE")
        || crate::ext::find_target(name, family).is_some()
    {
        return Err(Error::Param(
            "chain name may not clash with target name".into(),
        ));
    }
    Ok(())
}

/// Parse and check the whole input against the kernel state `k` and plan
/// its transaction.
fn plan_input<'t>(
    text: &'t str,
    family: Family,
    opts: &Opts,
    k: &mut NftKernel<'_>,
) -> Result<Planned<'t>, RestoreError> {
    let prog = prog_of(family);
    let mut out = String::new();
    // Listings (`-L`/`-S` lines, rare) are made once the planner has let go
    // of the kernel handle; they show the state before the transaction.
    let mut listings: Vec<(usize, u32, crate::cli::Command)> = Vec::new();
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
    let mut failed: [Option<RestoreError>; 2] = [None, None];
    let defer = |r: Result<(), RestoreError>, failed: &mut [Option<RestoreError>; 2]| {
        let slot = match &r {
            Ok(()) => return Ok(()),
            Err(RestoreError::Other(_)) => return r,
            Err(RestoreError::Kernel { .. }) => 1,
            Err(_) => 0,
        };
        if let Err(e) = r {
            failed[slot].get_or_insert(e);
        }
        Ok(())
    };
    let mut lineno: u32 = 0;
    for piece in text.split_inclusive('\n') {
        lineno += 1;
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
                    out.push('\n');
                }
            }
            LineKind::Commit => {
                in_table = false;
                if let Some(e) = failed.iter_mut().find_map(Option::take) {
                    return Err(e);
                }
                if let Some(t) = cur {
                    sim.commit_check(t)?;
                    if opts.verbose && !opts.noflush && !opts.test {
                        for c in t.builtin_chains() {
                            out.push_str(&format!("Flushing chain `{c}'\n"));
                        }
                    }
                }
            }
            LineKind::Table(None) => {
                return Err(perr(format!("{prog}: line {lineno} table name invalid")))
            }
            LineKind::Table(Some(name)) => {
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
                defer(r, &mut failed)?;
            }
            LineKind::Rule(l) => {
                let t = cur.ok_or(RestoreError::Failed {
                    line: lineno,
                    msg: None,
                })?;
                match parse::rule_line(family, t, prog, l, at, opts.counters)? {
                    Parsed::Skip => {}
                    Parsed::Fast(scan) => {
                        let r = if spans {
                            sim.append_line(t, &scan, lineno, (start as u32, line.len() as u32))
                        } else {
                            match scan.command() {
                                Some(cmd) => sim.command(cmd, lineno),
                                None => Err(RestoreError::Other(Error::Raw {
                                    msg: format!("{prog}: internal error: the rule of line {lineno} could not be built"),
                                    code: 1,
                                })),
                            }
                        };
                        defer(r, &mut failed)?;
                    }
                    Parsed::Cmd(cmd) => match &cmd.action {
                        Action::Version => out.push_str(&format!("{prog} {VERSION}\n")),
                        Action::Help => out.push_str(&crate::applet::help_text(family)),
                        Action::List { .. } | Action::ListRules { .. } => {
                            listings.push((out.len(), lineno, *cmd));
                        }
                        _ => defer(sim.command(*cmd, lineno), &mut failed)?,
                    },
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
    let plan = sim.finish();
    if !listings.is_empty() {
        out = insert_listings(out, listings, family, k)?;
    }
    Ok(Planned { plan, out })
}

/// Put the output of `-L`/`-S` lines (the kernel's state before the
/// transaction) at their places in the output.
fn insert_listings(
    out: String,
    listings: Vec<(usize, u32, crate::cli::Command)>,
    family: Family,
    k: &mut NftKernel<'_>,
) -> Result<String, RestoreError> {
    let mut res = String::with_capacity(out.len());
    let mut at = 0;
    for (pos, line, cmd) in listings {
        res.push_str(&out[at..pos]);
        at = pos;
        let failed = |e: Error| match e {
            Error::Op(m) => RestoreError::Failed { line, msg: Some(m) },
            other => RestoreError::Other(other),
        };
        let st = k.load_table(cmd.table).map_err(failed)?;
        let no_chain = || failed(Error::Op("No chain/target/match by that name".into()));
        match &cmd.action {
            Action::List { chain, .. } => {
                let opts = ListOpts {
                    numeric: cmd.numeric,
                    verbose: cmd.verbose,
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
                list::list_rules(&st, chain.as_deref(), *num, family, cmd.verbose, &mut res)
                    .map_err(failed)?;
            }
            _ => {}
        }
    }
    res.push_str(&out[at..]);
    Ok(res)
}

/// Send the plan as one transaction. Its ops are built one by one from the
/// plan and each is dropped as soon as it is written into the batch, so a
/// 100k-rule restore never holds every rule's expressions at once.
fn commit(nft: &mut Nft, fam: NfProto, genid: u32, plan: &Plan<'_>) -> Result<(), CommitError> {
    nft.commit_iter(fam, Some(genid), plan.ops())
}

/// Run `*-restore` with its arguments.
pub fn run(family: Family, args: &[String], layout: Layout) -> Result<String, Error> {
    let prog = prog_of(family);
    let opts = match parse_args(prog, args)? {
        Request::Print(s) => return Ok(s),
        Request::Restore(o) => Opts { layout, ..o },
    };
    let input = read_input(&opts)?;
    // Names are bytes to the kernel, but rxtables' model keeps them as
    // UTF-8 for now: refuse such input rather than change the names.
    let text = match std::str::from_utf8(&input) {
        Ok(t) => t,
        Err(e) => {
            let line = 1 + input[..e.valid_up_to()]
                .iter()
                .filter(|b| **b == b'\n')
                .count();
            return Err(Error::Raw {
                msg: format!(
                    "{prog}: line {line}: not valid UTF-8, which rxtables does not support yet; nothing was changed"
                ),
                code: 2,
            });
        }
    };
    let mut nft = Nft::open().map_err(sys_error)?;
    let fam = nfproto(family);
    for _ in 0..MAX_TRIES {
        let genid = nft.genid().map_err(sys_error)?;
        let planned = {
            let mut k = NftKernel {
                nft: &mut nft,
                family,
                session: None,
            };
            plan_input(text, family, &opts, &mut k).map_err(|e| e.into_error(prog))?
        };
        let Planned { plan, out } = planned;
        if opts.test || plan.is_empty() {
            return Ok(out);
        }
        match commit(&mut nft, fam, genid, &plan) {
            Ok(()) => {
                // The process ends now; leave its memory to the kernel.
                std::mem::forget(plan);
                return Ok(out);
            }
            Err(e) if e.is_restart() => continue,
            Err(e) => {
                let line = e.index.and_then(|i| plan.line(i));
                if e.index.is_some_and(|i| plan.broken(i)) {
                    return Err(Error::Raw {
                        msg: format!(
                            "{prog}: internal error: the rule of line {} could not be built again; nothing was changed",
                            line.unwrap_or(0)
                        ),
                        code: 1,
                    });
                }
                let failed = e.index.map(|i| plan.op(i));
                let msg = match commit_error(
                    failed.as_slice(),
                    &CommitError {
                        index: e.index.map(|_| 0),
                        errno: e.errno,
                    },
                ) {
                    Error::Resource(m) => m,
                    other => format!(" {other}"),
                };
                return Err(RestoreError::Kernel { line, msg }.into_error(prog));
            }
        }
    }
    Err(Error::Resource(format!(
        "the ruleset kept changing; gave up after {MAX_TRIES} attempts"
    )))
}

/// How many times a transaction is planned again when another writer
/// changed the ruleset in between.
const MAX_TRIES: usize = 1000;

/// An error of a single `iptables` command, from the planner's error for
/// the same command in a restore: the same decision, the single-command
/// form of its message (`iptables: MSG.` rather than `line N failed`).
fn single_error(e: RestoreError) -> Error {
    match e {
        RestoreError::Param { err, .. } => err,
        // iptables adds this hint to an EINVAL from a single command.
        RestoreError::Failed { msg: Some(m), .. } if m == "Bad policy name" => {
            Error::Op(format!("{m}. Run `dmesg' for more information"))
        }
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

/// Runs one `iptables`/`ip6tables` command that changes or checks the
/// ruleset (`-A -C -D -I -R -F -Z -N -X -P -E`) through the planner a
/// restore uses, as a one-line `--noflush` restore: one place decides what
/// each command does and how it fails, one transaction carries it, planned
/// again when another writer got in first.
pub fn run_command(cmd: &crate::cli::Command, layout: Layout) -> Result<(), Error> {
    let family = cmd.family;
    let mut nft = Nft::open().map_err(sys_error)?;
    let fam = nfproto(family);
    let src = Source {
        text: "",
        family,
        counters: true,
        layout,
    };
    for _ in 0..MAX_TRIES {
        let genid = nft.genid().map_err(sys_error)?;
        let plan = {
            let mut k = NftKernel {
                nft: &mut nft,
                family,
                session: None,
            };
            let mut sim = Sim::new(src, &mut k);
            sim.open_table(cmd.table);
            sim.command(cmd.clone(), 1).map_err(single_error)?;
            sim.commit_check(cmd.table).map_err(single_error)?;
            sim.finish()
        };
        if plan.is_empty() {
            return Ok(());
        }
        match commit(&mut nft, fam, genid, &plan) {
            Ok(()) => return Ok(()),
            Err(e) if e.is_restart() => continue,
            Err(e) => {
                let failed = e.index.map(|i| plan.op(i));
                return Err(commit_error(
                    failed.as_slice(),
                    &CommitError {
                        index: e.index.map(|_| 0),
                        errno: e.errno,
                    },
                ));
            }
        }
    }
    Err(Error::Resource(format!(
        "the ruleset kept changing; gave up after {MAX_TRIES} attempts"
    )))
}
