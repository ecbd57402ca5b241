//! `iptables-restore` / `ip6tables-restore`: the program around the
//! planner ([`crate::plan`]): its flags, its input, the kernel it reads and
//! the one transaction it commits; and [`run_command`], which carries a
//! single `iptables` command through the same planner.

use crate::config::Layout;
use crate::error::{Error, VERSION};
use crate::ir::NfProto;
use crate::ir::Op;
use crate::ir::{Expr, NftChain, NftRule};
use crate::model::{Family, Table};
use crate::nft::decode::{decode_rule, verdict_target};
use crate::nft::encode::encode_rule;
use crate::nft::session::{commit_error, nfproto, strerror};
use crate::nft::sys::{trim_heap, CommitError, MappedFile, Nft, Part, SysError};
use crate::plan::emit::BuiltRun;
use crate::plan::emit::Plan;
use crate::plan::sim::Kernel;
use crate::plan::{plan_input_into, prog_of, Opts, Planned, RestoreError};
use crate::rule::Rule;
use clap::{Arg, ArgAction};

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
        // getopt takes a flag given twice (`-c -c`)
        .args_override_self(true)
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

/// The input text: a regular file is mapped (its pages given back while
/// the batch is built, see [`MappedFile`]), anything else read.
enum Input {
    Mapped(MappedFile),
    Read(Vec<u8>),
}

impl Input {
    fn bytes(&self) -> &[u8] {
        match self {
            Input::Mapped(m) => m.bytes(),
            Input::Read(v) => v,
        }
    }

    /// Let the kernel take the input's pages back (mapped input only).
    fn release(&self) {
        if let Input::Mapped(m) = self {
            m.release();
        }
    }
}

fn read_input(opts: &Opts) -> Result<Input, Error> {
    use std::io::Read;
    use std::os::fd::AsRawFd;
    match &opts.file {
        Some(f) => {
            let open_err = |e: std::io::Error| Error::Raw {
                msg: format!(
                    "Can't open {f}: {}",
                    strerror(e.raw_os_error().unwrap_or(libc::EIO))
                ),
                code: 1,
            };
            let mut file = std::fs::File::open(f).map_err(open_err)?;
            if let Some(m) = MappedFile::new(file.as_raw_fd()) {
                return Ok(Input::Mapped(m));
            }
            let mut v = Vec::new();
            file.read_to_end(&mut v).map_err(open_err)?;
            Ok(Input::Read(v))
        }
        None => {
            let stdin = std::io::stdin();
            if let Some(m) = MappedFile::new(stdin.as_raw_fd()) {
                return Ok(Input::Mapped(m));
            }
            let mut v = Vec::new();
            stdin.lock().read_to_end(&mut v).map_err(|e| Error::Raw {
                msg: format!("Can't read standard input: {e}"),
                code: 1,
            })?;
            Ok(Input::Read(v))
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

/// The kernel as the planner reads it: one netlink socket.
pub struct NftKernel<'a> {
    nft: &'a mut Nft,
    family: Family,
    /// the input being planned, when its pages can be given back
    input: Option<&'a Input>,
}

impl Kernel for NftKernel<'_> {
    fn input_read(&mut self, _upto: usize) {
        // (the pages read are given back; those read again come back)
        if let Some(i) = self.input {
            i.release();
        }
    }

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
        let encoded = encode_rule(rule, family).0;
        let wanted: Vec<&Expr> = uncounted(&encoded).collect();
        // A rule ending in a verdict has that verdict's target: one whose
        // target is not the rule's is passed over unread (in a long chain
        // of jumps to per-service chains, nearly every rule).
        let other_target = |tail: &Expr| match tail {
            Expr::Verdict(v) => verdict_target(v).as_ref() != Some(&rule.target),
            _ => false,
        };
        for _ in 0..100 {
            let mut found = None;
            let res = self.nft.rules_while(
                nfproto(family),
                table.name(),
                chain,
                Some(&other_target),
                |r| {
                    if skip.contains(&r.handle) {
                        return true;
                    }
                    let same = uncounted(&r.exprs).eq(wanted.iter().copied())
                        || decode_rule(&r.exprs, family).is_ok_and(|d| d.same_spec(rule));
                    if same {
                        found = Some(r.handle);
                    }
                    !same
                },
            );
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
    fn nth_rule(
        &mut self,
        table: Table,
        chain: &str,
        skip: &[u64],
        n: usize,
    ) -> Result<Result<u64, usize>, Error> {
        for _ in 0..100 {
            let mut seen = 0;
            let mut found = None;
            let res = self
                .nft
                .rules_while(nfproto(self.family), table.name(), chain, None, |r| {
                    if skip.contains(&r.handle) {
                        return true;
                    }
                    if seen == n {
                        found = Some(r.handle);
                        return false;
                    }
                    seen += 1;
                    true
                });
            match res {
                Ok(_) => return Ok(found.ok_or(seen)),
                Err(e) if e.errno == libc::EINTR => continue,
                Err(e) => return Err(sys_error(e)),
            }
        }
        Err(Error::Resource(
            "ruleset kept changing while reading it".into(),
        ))
    }
}

/// A rule's expressions without its counter, for comparing specs (each
/// rule of a long chain is compared as it is read: nothing is copied).
fn uncounted(exprs: &[Expr]) -> impl Iterator<Item = &Expr> {
    exprs.iter().filter(|e| !matches!(e, Expr::Counter { .. }))
}

/// Send the plan as one transaction. Its ops are built one by one from the
/// plan and each is dropped as soon as it is written into the batch, so a
/// 100k-rule restore never holds every rule's expressions at once; and
/// the pages of a mapped input, read again to build the rules, are given
/// back every few thousand ops, so that the input and the batch are not
/// in memory together.
fn commit(
    nft: &mut Nft,
    fam: NfProto,
    genid: u32,
    plan: &mut Plan<'_>,
    input: Option<&Input>,
) -> Result<(), CommitError> {
    const RELEASE_EVERY: usize = 4096;
    if let Some(i) = input {
        i.release();
    }
    // The usual restore: the rules' messages were built as their lines
    // were read, and go out as they are, between the other ops.
    let release = |n: usize| {
        if n % RELEASE_EVERY == RELEASE_EVERY - 1 {
            if let Some(i) = input {
                i.release();
            }
        }
    };
    if let Some(runs) = plan.built_runs() {
        return commit_built(nft, fam, genid, plan, &runs, &release);
    }
    plan.drop_built();
    let plan = &*plan;
    // A big batch is built on the idle cores too: each builds a run of
    // the ops (reading their rules again) into its own buffer.
    let threads = if plan.len() >= SHARE_MIN_OPS && !crate::ext::probe::has_local() {
        crate::config::spare_threads(2)
    } else {
        1
    };
    if threads > 1 {
        return nft.commit_shared(fam, Some(genid), plan.len(), threads, |n| {
            release(n);
            plan.op(n)
        });
    }
    let ops = plan.ops().enumerate().map(|(n, op)| {
        release(n);
        op
    });
    nft.commit_iter(fam, Some(genid), ExactOps(ops, plan.len()))
}

/// [`commit`] of a plan whose rules' messages are in `runs`: the other
/// ops are built in their turn, the runs sent where they are.
fn commit_built(
    nft: &mut Nft,
    fam: NfProto,
    genid: u32,
    plan: &mut Plan<'_>,
    runs: &[BuiltRun],
    release: &dyn Fn(usize),
) -> Result<(), CommitError> {
    let total = plan.len();
    let mut built = plan.take_built();
    let per_op = built.mean_len();
    let msgs = crate::plan::emit::built_msgs(&mut built, runs).ok_or(CommitError {
        index: None,
        errno: libc::EINVAL,
    })?;
    let mut parts = Vec::with_capacity(2 * runs.len() + 1);
    let mut next = 0;
    for (run, m) in runs.iter().zip(msgs) {
        if run.first > next {
            parts.push(Part::Ops(next..run.first));
        }
        parts.push(Part::Msgs(m));
        next = run.first + run.count;
    }
    if next < total {
        parts.push(Part::Ops(next..total));
    }
    let plan = &*plan;
    nft.commit_parts(fam, Some(genid), total, parts, per_op, |i| {
        release(i);
        plan.op(i)
    })
}

/// The fewest ops worth building on more than one thread.
const SHARE_MIN_OPS: usize = 8192;

/// An iterator of known length (`map` over [`Plan::ops`] keeps it, but not
/// as a type `commit_iter` can name).
struct ExactOps<I>(I, usize);

impl<I: Iterator<Item = Op>> Iterator for ExactOps<I> {
    type Item = Op;
    fn next(&mut self) -> Option<Op> {
        let op = self.0.next()?;
        self.1 = self.1.saturating_sub(1);
        Some(op)
    }
    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.1, Some(self.1))
    }
}

impl<I: Iterator<Item = Op>> ExactSizeIterator for ExactOps<I> {}

use crate::plan::text::FGETS_MAX;

fn has_long_line(input: &[u8]) -> bool {
    input.len() > FGETS_MAX
        && input
            .split(|b| *b == b'\n')
            .any(|l| l.len() + 1 > FGETS_MAX)
}

/// The lines of `input` as `fgets(buffer, 10240, ..)` reads them: at most
/// 10239 bytes each (a longer line goes on as the next one), each cut at
/// its first NUL byte; every piece ends with a newline.
fn fgets_lines(input: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(input.len());
    for line in input.split_inclusive(|b| *b == b'\n') {
        for piece in line.chunks(FGETS_MAX) {
            let end = piece.iter().position(|b| *b == 0).unwrap_or(piece.len());
            out.extend_from_slice(&piece[..end]);
            if !out.ends_with(b"\n") || end < piece.len() {
                out.push(b'\n');
            }
        }
    }
    out
}

/// Run `*-restore` with its arguments.
pub fn run(family: Family, args: &[String], layout: Layout) -> Result<String, Error> {
    let prog = prog_of(family);
    let opts = match parse_args(prog, args)? {
        Request::Print(s) => return Ok(s),
        Request::Restore(o) => Opts { layout, ..o },
    };
    let mut input = read_input(&opts)?;
    // iptables-restore reads lines with fgets into 10240 bytes: a longer
    // line is read as several, and each is seen up to its first NUL byte.
    if input.bytes().contains(&0) || has_long_line(input.bytes()) {
        input = Input::Read(fgets_lines(input.bytes()));
    }
    // Names and comments are bytes: kept whatever they are
    // (`model::bytes`; valid UTF-8, the usual input, is not copied).
    let text_src = crate::model::bytes::from_bytes(input.bytes());
    let text: &str = &text_src;
    let mut nft = Nft::open().map_err(sys_error)?;
    let fam = nfproto(family);
    for _ in 0..MAX_TRIES {
        let genid = nft.genid().map_err(sys_error)?;
        let planned = {
            let mut k = NftKernel {
                nft: &mut nft,
                family,
                input: Some(&input),
            };
            let mut out = String::new();
            match plan_input_into(text, family, &opts, &mut k, &mut out) {
                Ok(plan) => Planned { plan, out },
                // what -v printed before the failure is still printed
                Err(e) => {
                    let e = e.into_error(prog);
                    return Err(if out.is_empty() {
                        e
                    } else {
                        Error::Partial {
                            msg: e.render(prog),
                            code: e.exit_code(),
                            out,
                        }
                    });
                }
            }
        };
        let Planned { mut plan, out } = planned;
        if opts.test || plan.is_empty() {
            return Ok(out);
        }
        // The planner's freed memory goes back before the batch is built.
        trim_heap();
        match commit(&mut nft, fam, genid, &mut plan, Some(&input)) {
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
                let e = RestoreError::Kernel { line, msg }.into_error(prog);
                if out.is_empty() {
                    return Err(e);
                }
                return Err(Error::Partial {
                    msg: e.render(prog),
                    code: e.exit_code(),
                    out,
                });
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

/// Runs one `iptables`/`ip6tables` command that changes or checks the
/// ruleset (`-A -C -D -I -R -F -Z -N -X -P -E`) through the planner a
/// restore uses, as a one-line `--noflush` restore: one place decides what
/// each command does and how it fails, one transaction carries it, planned
/// again when another writer got in first.
pub fn run_command(cmd: &crate::cli::Command, layout: Layout) -> Result<(), Error> {
    transact(cmd.family, |k| {
        crate::plan::plan_command(cmd, layout, k).map_err(RestoreError::Other)
    })
    .map_err(crate::plan::single_error)
}

/// Plans a transaction with `plan` against the kernel as it is now and
/// commits it as ONE batch bound to the ruleset generation it was planned
/// from: all of it happens or none of it. When another writer changed the
/// ruleset in between, the kernel refuses the batch and `plan` is called
/// again with the new state. An empty plan commits nothing. A kernel
/// refusal is [`RestoreError::Kernel`], naming the input line of the op it
/// refused. (The library's transactions, [`crate::firewall`], and single
/// commands use this; `iptables-restore` itself has its own loop, which also
/// prints its output and keeps `--test` from committing.)
pub fn transact<'t>(
    family: Family,
    mut plan: impl FnMut(&mut dyn Kernel) -> Result<Plan<'t>, RestoreError>,
) -> Result<(), RestoreError> {
    let mut nft = Nft::open().map_err(|e| RestoreError::Other(sys_error(e)))?;
    let fam = nfproto(family);
    for _ in 0..MAX_TRIES {
        let genid = nft.genid().map_err(|e| RestoreError::Other(sys_error(e)))?;
        let mut plan = {
            let mut k = NftKernel {
                nft: &mut nft,
                family,
                input: None,
            };
            plan(&mut k)?
        };
        if plan.is_empty() {
            return Ok(());
        }
        match commit(&mut nft, fam, genid, &mut plan, None) {
            Ok(()) => return Ok(()),
            Err(e) if e.is_restart() => continue,
            Err(e) => {
                let line = e.index.and_then(|i| plan.line(i));
                if e.index.is_some_and(|i| plan.broken(i)) {
                    return Err(RestoreError::Other(Error::Raw {
                        msg: format!(
                            "internal error: the rule of line {} could not be built again; nothing was changed",
                            line.unwrap_or(0)
                        ),
                        code: 1,
                    }));
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
                return Err(RestoreError::Kernel { line, msg });
            }
        }
    }
    Err(RestoreError::Other(Error::Resource(format!(
        "the ruleset kept changing; gave up after {MAX_TRIES} attempts"
    ))))
}
