//! Reading the kernel for one family: tables, chains and rules, decoded
//! into the model, for listings and save (only what a command names is
//! read), and kernel errors in iptables' words. Changes go through the
//! restore planner ([`crate::applet::restore::run_command`]).

use super::decode::decode_rule;
use super::sys::{CommitError, Nft, SysError};
use crate::error::Error;
use crate::ir::{Expr, NfProto, NftChain, Op, Position};
use crate::model::{Family, Table};
use crate::rule::{ChainState, Counters, Policy, RuleEntry, TableState};

/// The nf_tables family of an iptables family.
pub fn nfproto(family: Family) -> NfProto {
    match family {
        Family::V4 => NfProto::Ipv4,
        Family::V6 => NfProto::Ipv6,
    }
}

/// A socket to nf_tables, for one family.
pub struct Session {
    nft: Nft,
    family: Family,
    /// every chain of the family, as dumped at this generation: a chain
    /// dump always walks every table's chains (and restarts the walk for
    /// each buffer it fills), so a save of several tables reads them once
    chains: Option<(u32, Vec<NftChain>)>,
}

fn sys_err(e: SysError) -> Error {
    if e.errno == libc::EPERM {
        return Error::Resource(
            "Could not fetch rule set generation id: Permission denied (you must be root)".into(),
        );
    }
    Error::Resource(format!(
        "{} failed ({})",
        e.op,
        std::io::Error::from_raw_os_error(e.errno)
            .to_string()
            .split(" (os error")
            .next()
            .unwrap_or("")
    ))
}

/// The text iptables prints for an errno (`strerror`).
pub fn strerror(errno: i32) -> String {
    let s = std::io::Error::from_raw_os_error(errno).to_string();
    s.split(" (os error").next().unwrap_or(&s).to_string()
}

fn op_text(op: &Op) -> (String, String) {
    match op {
        Op::AddTable { table } => ("TABLE_ADD".into(), format!("table {table}")),
        Op::DelTable { table } => ("TABLE_DEL".into(), format!("table {table}")),
        Op::AddChain { chain, base, .. } => (
            if base.is_some() {
                "CHAIN_ADD"
            } else {
                "CHAIN_USER_ADD"
            }
            .into(),
            format!("chain {chain}"),
        ),
        Op::SetPolicy { chain, .. } => ("CHAIN_UPDATE".into(), format!("chain {chain}")),
        Op::RenameChain { new_name, .. } => ("CHAIN_RENAME".into(), format!("chain {new_name}")),
        Op::DelChain { chain, .. } => ("CHAIN_DEL".into(), format!("chain {chain}")),
        Op::AddRule { rule, pos, .. } => (
            match pos {
                Position::Append | Position::After(_) => "RULE_APPEND",
                _ => "RULE_INSERT",
            }
            .into(),
            format!("rule in chain {}", rule.chain),
        ),
        Op::ReplaceRule { rule, .. } => (
            "RULE_REPLACE".into(),
            format!("rule in chain {}", rule.chain),
        ),
        Op::DelRule { chain, .. } => ("RULE_DELETE".into(), format!("rule in chain {chain}")),
        Op::FlushChain { chain, .. } => ("RULE_FLUSH".into(), format!("chain {chain}")),
        Op::FlushTable { table } => ("TABLE_FLUSH".into(), format!("table {table}")),
    }
}

/// iptables-nft's message for a batch the kernel rejected
/// (`nft.c mnl_append_error`), exit status 4.
pub fn commit_error(ops: &[Op], e: &CommitError) -> Error {
    let (kind, what) = e
        .index
        .and_then(|i| ops.get(i))
        .map(op_text)
        .unwrap_or_else(|| ("COMMIT".into(), "batch".into()));
    Error::Resource(format!(" {kind} failed ({}): {what}", strerror(e.errno)))
}

/// Why a kernel rule cannot be shown, with its expressions in libnftnl's
/// debug syntax (what `nft --debug=netlink` prints), for the user to find it.
fn undecodable(e: &crate::error::DecodeError, exprs: &[Expr]) -> String {
    let text: Vec<String> = exprs.iter().map(|x| x.to_string()).collect();
    format!("{}: {}", e.0, text.join(" "))
}

impl Session {
    /// Open the netlink socket.
    pub fn open(family: Family) -> Result<Session, Error> {
        Ok(Session {
            nft: Nft::open().map_err(sys_err)?,
            family,
            chains: None,
        })
    }

    fn fam(&self) -> NfProto {
        nfproto(self.family)
    }

    /// The ruleset generation id (read before anything a batch relies on).
    pub fn genid(&mut self) -> Result<u32, Error> {
        self.nft.genid().map_err(sys_err)
    }

    /// Does the table exist in the kernel?
    pub fn table_exists(&mut self, table: Table) -> Result<bool, Error> {
        let fam = self.fam();
        self.nft.table_exists(fam, table.name()).map_err(sys_err)
    }

    /// One chain's kernel attributes, if it exists.
    pub fn chain(&mut self, table: Table, chain: &str) -> Result<Option<NftChain>, Error> {
        let fam = self.fam();
        self.nft.chain(fam, table.name(), chain).map_err(sys_err)
    }

    /// The names of a table's chains (no rules; none if the table does
    /// not exist).
    pub fn chain_names(&mut self, table: Table) -> Result<Vec<String>, Error> {
        let fam = self.fam();
        let chains = self.nft.chains(fam, table.name()).map_err(sys_err)?;
        Ok(chains.into_iter().map(|c| c.name).collect())
    }

    /// The rules of one chain, decoded.
    pub fn chain_rules(&mut self, table: Table, chain: &str) -> Result<Vec<RuleEntry>, Error> {
        let fam = self.fam();
        let family = self.family;
        let rules = self
            .nft
            .rules(fam, table.name(), Some(chain))
            .map_err(sys_err)?;
        Ok(rules
            .into_iter()
            .map(|r| RuleEntry {
                handle: r.handle,
                rule: decode_rule(&r.exprs, family).map_err(|e| undecodable(&e, &r.exprs)),
            })
            .collect())
    }

    /// A whole table: built-in chains (present or not), user chains, rules.
    /// Read again if the ruleset changed meanwhile (its parts come from
    /// several dumps), so the result is one consistent generation.
    pub fn load_table(&mut self, table: Table) -> Result<TableState, Error> {
        let (mut st, rules) = self.read_table(table, |_, rules| rules)?;
        let mut rules = rules.into_iter();
        for c in st.chains.iter_mut().filter(|c| c.exists) {
            c.rules = rules.next().unwrap_or_default();
            c.refs = c.refs.map(|uses| uses.saturating_sub(c.rules.len()));
        }
        Ok(st)
    }

    /// A whole table read chain by chain, one consistent generation (read
    /// again if the ruleset changed meanwhile): its chains without their
    /// rules, and what `per_chain` makes of each existing chain's decoded
    /// rules, in the order of those chains in the table. A save turns each
    /// chain into text as soon as it is read, so that the rules of only a
    /// few chains are held at a time.
    pub fn read_table<T: Send>(
        &mut self,
        table: Table,
        per_chain: impl Fn(&ChainState, Vec<RuleEntry>) -> T + Sync,
    ) -> Result<(TableState, Vec<T>), Error> {
        let mut one = self.read_tables(&[table], |_, c, rules| per_chain(c, rules))?;
        one.pop()
            .ok_or_else(|| Error::Resource("a table was not read".into()))
    }

    /// [`Session::read_table`] for several tables at once, all from one
    /// generation: one chain dump serves them all, and their chains'
    /// rules are read as the chains come in.
    pub fn read_tables<T: Send>(
        &mut self,
        tables: &[Table],
        per_chain: impl Fn(Table, &ChainState, Vec<RuleEntry>) -> T + Sync,
    ) -> Result<Vec<(TableState, Vec<T>)>, Error> {
        let mut tries = 0;
        loop {
            let before = self.genid()?;
            let got = self.read_tables_once(tables, before, &per_chain)?;
            if self.genid()? == before || tries == 10 {
                return Ok(got);
            }
            tries += 1;
        }
    }

    /// `genid`: the generation read before; tables read while another
    /// writer commits are read again by the caller.
    fn read_tables_once<T: Send>(
        &mut self,
        tables: &[Table],
        genid: u32,
        per_chain: &(impl Fn(Table, &ChainState, Vec<RuleEntry>) -> T + Sync),
    ) -> Result<Vec<(TableState, Vec<T>)>, Error> {
        let fam = self.fam();
        let family = self.family;
        // One dump per chain: the kernel restarts a dump at its start for
        // every buffer it fills, so a table-wide dump costs time quadratic
        // in the table's rules, a per-chain one only in each chain's. The
        // chain dump is quadratic in the family's chains too, so the rules
        // of the first chains are read while it goes on. The kernel's time
        // dominates, so many chains (or rules) are read on several sockets
        // at once when cores are idle: this thread and up to three more,
        // each taking the next chain as it is free. Each chain's rules are
        // decoded and handed to `per_chain` as soon as they are read.
        let one = |nft: &mut Nft, job: Job| -> Result<Done<T>, Error> {
            let table = tables[job.table];
            let rules = nft
                .rules(fam, table.name(), Some(&job.chain.name))
                .map_err(sys_err)?;
            let entries = rules
                .into_iter()
                .map(|r| RuleEntry {
                    handle: r.handle,
                    rule: decode_rule(&r.exprs, family).map_err(|e| undecodable(&e, &r.exprs)),
                })
                .collect();
            Ok((
                job.table,
                job.chain.handle,
                per_chain(table, &job.chain, entries),
            ))
        };
        let feed = Feed::default();
        let work = |nft: &mut Nft| -> Result<Vec<Done<T>>, Error> {
            let mut out = Vec::new();
            while let Some(job) = feed.take() {
                match one(nft, job) {
                    Ok(x) => out.push(x),
                    Err(e) => {
                        feed.stop();
                        return Err(e);
                    }
                }
            }
            Ok(out)
        };
        let job = |c: &NftChain| {
            let t = tables.iter().position(|t| t.name() == c.table)?;
            Some(Job {
                table: t,
                size: c.uses as usize,
                chain: chain_state(c),
            })
        };
        let cached = match self.chains.take() {
            Some((g, all)) if g == genid => Some(all),
            _ => None,
        };
        let nft = &mut self.nft;
        let (all, skeletons, mut done) = std::thread::scope(|scope| -> Result<_, Error> {
            let mut readers = Readers::new(scope, &work);
            let all = match cached {
                Some(all) => {
                    for j in all.iter().filter_map(job) {
                        readers.found(&j);
                        feed.push(j);
                    }
                    all
                }
                None => {
                    let all = std::cell::RefCell::new(Vec::new());
                    let got = nft.chains_each(
                        fam,
                        |c| {
                            if let Some(j) = job(&c) {
                                readers.found(&j);
                                feed.push(j);
                            }
                            all.borrow_mut().push(c);
                        },
                        // (the chains handed out so far are read anyway:
                        // the generation changed, so the caller reads again)
                        || all.borrow_mut().clear(),
                    );
                    if let Err(e) = got {
                        feed.stop();
                        readers.join();
                        return Err(sys_err(e));
                    }
                    all.into_inner()
                }
            };
            readers.enough();
            feed.close();
            // the tables' outlines while the other readers read
            let mut skeletons = Vec::with_capacity(tables.len());
            for &table in tables {
                let chains: Vec<&NftChain> =
                    all.iter().filter(|c| c.table == table.name()).collect();
                let exists = match chains.is_empty() {
                    false => Ok(true),
                    true => nft.table_exists(fam, table.name()).map_err(sys_err),
                };
                skeletons.push(exists.map(|e| skeleton(table, e, chains)));
            }
            let mine = work(nft);
            let theirs = readers.join();
            let mut done = mine?;
            for r in theirs {
                done.extend(r?);
            }
            Ok((all, skeletons, done))
        })?;
        // each chain's result to its place in its table's listing order
        done.sort_unstable_by_key(|d| (d.0, d.1));
        let mut done: Vec<(usize, u64, Option<T>)> =
            done.into_iter().map(|(t, h, x)| (t, h, Some(x))).collect();
        let mut out = Vec::with_capacity(tables.len());
        for (ti, st) in skeletons.into_iter().enumerate() {
            let st = st?;
            let texts = st
                .chains
                .iter()
                .filter(|c| c.exists)
                .map(|c| {
                    let i = done
                        .binary_search_by_key(&(ti, c.handle), |d| (d.0, d.1))
                        .ok()?;
                    done[i].2.take()
                })
                .collect::<Option<Vec<T>>>()
                .ok_or_else(|| Error::Resource("a reader thread lost a chain".into()))?;
            out.push((st, texts));
        }
        self.chains = Some((genid, all));
        Ok(out)
    }

    /// A table holding only what a command on one chain needs, as
    /// iptables-nft's cache levels do: the built-in chains as known
    /// without reading them, and `chain` itself with its rules, policy,
    /// counters and the kernel's reference count. The other chains' rules
    /// are never read. Consistent with one generation of the ruleset.
    pub fn load_chain(&mut self, table: Table, chain: &str) -> Result<TableState, Error> {
        let mut tries = 0;
        loop {
            let before = self.genid()?;
            let st = self.load_chain_once(table, chain)?;
            if self.genid()? == before || tries == 10 {
                return Ok(st);
            }
            tries += 1;
        }
    }

    fn load_chain_once(&mut self, table: Table, chain: &str) -> Result<TableState, Error> {
        let mut st = TableState::empty(table);
        let Some(c) = self.chain(table, chain)? else {
            st.exists = self.table_exists(table)?;
            return Ok(st);
        };
        st.exists = true;
        let rules = self.chain_rules(table, chain)?;
        let mut entry = chain_state(&c);
        entry.refs = Some((c.uses as usize).saturating_sub(rules.len()));
        entry.rules = rules;
        match st.chain_mut(&c.name) {
            Some(existing) if existing.is_builtin() && entry.policy.is_some() => *existing = entry,
            _ => st.chains.push(entry),
        }
        Ok(st)
    }
}

/// A chain whose rules are to be read: its table (an index into the tables
/// asked for), its kernel use count (its rules and the jumps to it), and
/// the chain as `per_chain` sees it.
struct Job {
    table: usize,
    size: usize,
    chain: ChainState,
}

/// A chain read: its table (index), its handle, what `per_chain` made.
type Done<T> = (usize, u64, T);

/// A reader thread: what it read.
type Reader<'scope, T> = std::thread::ScopedJoinHandle<'scope, Result<Vec<Done<T>>, Error>>;

/// The chains to read, handed out as the chain dump finds them: each to
/// the first reader free. Closed when the dump is over (what is left goes
/// biggest first, so that the readers end together); stopped on an error.
#[derive(Default)]
struct Feed {
    q: std::sync::Mutex<FeedQ>,
    ready: std::sync::Condvar,
}

#[derive(Default)]
struct FeedQ {
    jobs: std::collections::VecDeque<Job>,
    closed: bool,
}

impl Feed {
    fn lock(&self) -> std::sync::MutexGuard<'_, FeedQ> {
        self.q.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn push(&self, j: Job) {
        self.lock().jobs.push_back(j);
        self.ready.notify_one();
    }

    fn close(&self) {
        let mut q = self.lock();
        q.closed = true;
        q.jobs
            .make_contiguous()
            .sort_by_key(|j| std::cmp::Reverse(j.size));
        drop(q);
        self.ready.notify_all();
    }

    fn stop(&self) {
        let mut q = self.lock();
        q.jobs.clear();
        q.closed = true;
        drop(q);
        self.ready.notify_all();
    }

    /// The next chain to read; `None` once the feed is closed and empty.
    fn take(&self) -> Option<Job> {
        let mut q = self.lock();
        loop {
            if let Some(j) = q.jobs.pop_front() {
                return Some(j);
            }
            if q.closed {
                return None;
            }
            q = self.ready.wait(q).unwrap_or_else(|e| e.into_inner());
        }
    }
}

/// The reader threads beside this one. They start once the tables prove
/// big enough to be worth them (a thread and a socket cost more than a
/// small table takes to read): at the 64th chain found, or at the end of
/// the chain dump if its chains hold 2048 rules or more. Then there is one
/// per idle core (up to four, this thread counted): a second reader costs
/// more CPU time than it saves when it has to share a core.
struct Readers<'scope, 'env, T, W> {
    scope: &'scope std::thread::Scope<'scope, 'env>,
    work: &'env W,
    started: Option<Vec<Reader<'scope, T>>>,
    chains: usize,
    rules: usize,
}

impl<'scope, 'env, T, W> Readers<'scope, 'env, T, W>
where
    T: Send + 'env,
    W: Fn(&mut Nft) -> Result<Vec<Done<T>>, Error> + Sync + 'env,
{
    const MIN_CHAINS: usize = 64;
    const MIN_RULES: usize = 2048;

    fn new(scope: &'scope std::thread::Scope<'scope, 'env>, work: &'env W) -> Self {
        Readers {
            scope,
            work,
            started: None,
            chains: 0,
            rules: 0,
        }
    }

    /// One more chain to read was found.
    fn found(&mut self, j: &Job) {
        self.chains += 1;
        self.rules += j.size;
        if self.chains == Self::MIN_CHAINS {
            self.start();
        }
    }

    /// Every chain to read was found.
    fn enough(&mut self) {
        if self.chains >= Self::MIN_CHAINS || self.rules >= Self::MIN_RULES {
            self.start();
        }
    }

    fn start(&mut self) {
        if self.started.is_some() {
            return;
        }
        let cores = std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
            .clamp(1, 4)
            .min(self.chains.max(1));
        let n = if cores > 1 {
            crate::config::spare_threads(cores)
        } else {
            1
        };
        let work = self.work;
        self.started = Some(
            (1..n)
                .map(|_| {
                    self.scope.spawn(move || {
                        let mut nft = Nft::open().map_err(sys_err)?;
                        work(&mut nft)
                    })
                })
                .collect(),
        );
    }

    /// What each reader read (a reader that panicked lost its chains: the
    /// caller finds them missing).
    fn join(self) -> Vec<Result<Vec<Done<T>>, Error>> {
        self.started
            .unwrap_or_default()
            .into_iter()
            .filter_map(|h| h.join().ok())
            .collect()
    }
}

/// A kernel chain as the model holds it, without its rules (`refs` holds
/// the kernel's use count, rules included, until they are read).
fn chain_state(c: &NftChain) -> ChainState {
    ChainState {
        name: c.name.clone(),
        policy: c.base.as_ref().map(|b| {
            if b.policy_accept {
                Policy::Accept
            } else {
                Policy::Drop
            }
        }),
        counters: Counters {
            packets: c.packets,
            bytes: c.bytes,
        },
        exists: true,
        handle: c.handle,
        rules: Vec::new(),
        refs: Some(c.uses as usize),
    }
}

/// A table's chains in listing order, without their rules, from the
/// kernel's chains of that table (built-in chains not made yet are there
/// as placeholders).
fn skeleton(table: Table, exists: bool, chains: Vec<&NftChain>) -> TableState {
    let mut st = TableState::empty(table);
    if !exists {
        return st;
    }
    st.exists = true;
    for c in chains {
        let entry = chain_state(c);
        // only a base chain replaces a placeholder (a look-up per user
        // chain would cost time quadratic in the table's chains)
        let placeholder = match entry.policy {
            Some(_) => st.chain_mut(&entry.name).filter(|e| e.is_builtin()),
            None => None,
        };
        match placeholder {
            Some(existing) => *existing = entry,
            None => st.chains.push(entry),
        }
    }
    st.sort_chains();
    st
}

/// The kernel's answer to which xt extension revisions it has
/// (`NFNL_MSG_COMPAT_GET`); when it cannot be asked (no permission, no
/// nf_tables), every revision counts as there, as iptables assumes.
/// The questions of a thread share one socket: a rule naming three
/// extensions costs one socket, not three.
pub struct KernelProbe;

thread_local! {
    static PROBE_SOCKET: std::cell::RefCell<Option<Nft>> = const { std::cell::RefCell::new(None) };
}

/// Asks `q` on this thread's probe socket (opened at the first question);
/// `None` when no socket can be opened.
fn ask<T>(q: impl FnOnce(&mut Nft) -> T) -> Option<T> {
    PROBE_SOCKET.with(|cell| {
        let mut slot = cell.borrow_mut();
        if slot.is_none() {
            *slot = Nft::open().ok();
        }
        slot.as_mut().map(q)
    })
}

impl crate::ext::probe::RevisionProbe for KernelProbe {
    fn supports(&self, family: Family, name: &str, rev: u32, target: bool) -> bool {
        ask(|nft| nft.compat_revision(nfproto(family), name, rev, target))
            .and_then(Result::ok)
            .unwrap_or(true)
    }

    fn exists(&self, family: Family, name: &str, target: bool) -> bool {
        ask(|nft| nft.compat_extension(nfproto(family), name, target))
            .and_then(Result::ok)
            .unwrap_or(true)
    }
}

#[cfg(test)]
mod tests {
    use super::{Feed, Job};
    use crate::rule::ChainState;

    fn job(size: usize) -> Job {
        Job {
            table: 0,
            size,
            chain: ChainState::with_rules(&format!("C{size}"), None, Vec::new()),
        }
    }

    #[test]
    fn readers_take_chains_as_found_then_biggest_first() {
        let feed = Feed::default();
        for n in [5, 9000, 3] {
            feed.push(job(n));
        }
        // while the dump goes on: in the order found
        assert_eq!(feed.take().map(|j| j.size), Some(5));
        for n in [4, 8000, 1] {
            feed.push(job(n));
        }
        // the rest, once the dump is over: the biggest first
        feed.close();
        let rest: Vec<usize> = std::iter::from_fn(|| feed.take()).map(|j| j.size).collect();
        assert_eq!(rest, [9000, 8000, 4, 3, 1]);
        assert!(feed.take().is_none());
        // readers waiting for chains are woken by them, and by the end
        let feed = Feed::default();
        std::thread::scope(|s| {
            let readers: Vec<_> = (0..3)
                .map(|_| {
                    s.spawn(|| {
                        std::iter::from_fn(|| feed.take())
                            .map(|j| j.size)
                            .collect::<Vec<_>>()
                    })
                })
                .collect();
            for n in 0..100 {
                feed.push(job(n));
            }
            feed.close();
            let mut all: Vec<usize> = readers
                .into_iter()
                .flat_map(|h| h.join().unwrap())
                .collect();
            all.sort_unstable();
            assert_eq!(all, (0..100).collect::<Vec<_>>());
        });
        // a stop drops what is left
        let feed = Feed::default();
        feed.push(job(1));
        feed.stop();
        assert!(feed.take().is_none());
    }
}
