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
        let mut tries = 0;
        loop {
            let before = self.genid()?;
            let got = self.read_table_once(table, before, &per_chain)?;
            if self.genid()? == before || tries == 10 {
                return Ok(got);
            }
            tries += 1;
        }
    }

    /// The chains of `table`, from the family's chain list read at
    /// generation `genid` (read now unless it is at hand).
    fn table_chains(&mut self, table: Table, genid: u32) -> Result<Vec<NftChain>, Error> {
        if self.chains.as_ref().is_none_or(|(g, _)| *g != genid) {
            let fam = self.fam();
            let all = self.nft.chains_in(fam, None).map_err(sys_err)?;
            self.chains = Some((genid, all));
        }
        let all = self.chains.as_ref().map_or(&[][..], |(_, v)| v.as_slice());
        Ok(all
            .iter()
            .filter(|c| c.table == table.name())
            .cloned()
            .collect())
    }

    /// The chains of `table` in listing order, without their rules
    /// (`refs` holds the kernel's use count, rules included).
    fn table_skeleton(&mut self, table: Table, genid: u32) -> Result<TableState, Error> {
        let mut st = TableState::empty(table);
        let chains = self.table_chains(table, genid)?;
        if chains.is_empty() && !self.table_exists(table)? {
            return Ok(st);
        }
        st.exists = true;
        for c in chains {
            let policy = c.base.as_ref().map(|b| {
                if b.policy_accept {
                    Policy::Accept
                } else {
                    Policy::Drop
                }
            });
            let entry = ChainState {
                name: c.name,
                policy,
                counters: Counters {
                    packets: c.packets,
                    bytes: c.bytes,
                },
                exists: true,
                handle: c.handle,
                rules: Vec::new(),
                // the kernel's use count for now; less the rules later
                refs: Some(c.uses as usize),
            };
            // only a base chain replaces a placeholder (a look-up per user
            // chain would cost time quadratic in the table's chains)
            let placeholder = match policy {
                Some(_) => st.chain_mut(&entry.name).filter(|e| e.is_builtin()),
                None => None,
            };
            match placeholder {
                Some(existing) => *existing = entry,
                None => st.chains.push(entry),
            }
        }
        st.sort_chains();
        Ok(st)
    }

    /// `genid`: the generation read before; a table read while another
    /// writer commits is read again by the caller.
    fn read_table_once<T: Send>(
        &mut self,
        table: Table,
        genid: u32,
        per_chain: &(impl Fn(&ChainState, Vec<RuleEntry>) -> T + Sync),
    ) -> Result<(TableState, Vec<T>), Error> {
        let fam = self.fam();
        let family = self.family;
        let st = self.table_skeleton(table, genid)?;
        let chains: Vec<&ChainState> = st.chains.iter().filter(|c| c.exists).collect();
        if chains.is_empty() {
            return Ok((st, Vec::new()));
        }
        // One dump per chain: the kernel restarts a dump at its start for
        // every buffer it fills, so a table-wide dump costs time quadratic
        // in the table's rules, a per-chain one only in each chain's. The
        // kernel's time dominates, so tables of many chains are read on
        // several sockets at once when cores are idle: this thread and up
        // to three more, each taking the next chain as it is free. Each
        // chain's rules are decoded and handed to `per_chain` as soon as
        // they are read.
        // (the kernel's use count of a chain counts its rules)
        let sizes: Vec<usize> = chains.iter().map(|c| c.refs.unwrap_or(0)).collect();
        let threads = reader_threads(chains.len(), sizes.iter().sum());
        let one = |nft: &mut Nft, i: usize| -> Result<T, Error> {
            let c = chains[i];
            let rules = nft
                .rules(fam, table.name(), Some(&c.name))
                .map_err(sys_err)?;
            let entries = rules
                .into_iter()
                .map(|r| RuleEntry {
                    handle: r.handle,
                    rule: decode_rule(&r.exprs, family).map_err(|e| undecodable(&e, &r.exprs)),
                })
                .collect();
            Ok(per_chain(c, entries))
        };
        let open = || Nft::open().map_err(sys_err);
        let done = spread(&biggest_first(&sizes), threads, &mut self.nft, open, one)?;
        // back into the table's order
        let mut slots: Vec<Option<T>> = (0..chains.len()).map(|_| None).collect();
        for (i, x) in done {
            slots[i] = Some(x);
        }
        let out = slots
            .into_iter()
            .collect::<Option<Vec<T>>>()
            .ok_or_else(|| Error::Resource("a reader thread lost a chain".into()))?;
        drop(chains);
        Ok((st, out))
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
        let entry = ChainState {
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
            refs: Some((c.uses as usize).saturating_sub(rules.len())),
            rules,
        };
        match st.chain_mut(&c.name) {
            Some(existing) if existing.is_builtin() && entry.policy.is_some() => *existing = entry,
            _ => st.chains.push(entry),
        }
        Ok(st)
    }
}

/// How many threads read a table of `chains` chains holding `rules`
/// rules: one per idle core (up to four), counting this one. A second
/// reader costs more CPU time than it saves when it has to share a core
/// (on a busy 2-core machine a save took a third more CPU time and longer
/// with two readers than with one), and starting one is not worth it for
/// a small table.
fn reader_threads(chains: usize, rules: usize) -> usize {
    const MIN_CHAINS: usize = 64;
    const MIN_RULES: usize = 2048;
    let cores = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .clamp(1, 4)
        .min(chains.max(1));
    if cores == 1 || (chains < MIN_CHAINS && rules < MIN_RULES) {
        return 1;
    }
    crate::config::spare_threads(cores)
}

/// Indexes into `sizes`, the biggest first: readers that each take the
/// next chain as they are free end together when the big chains go first.
/// (A use count also counts the jumps to a chain, so a small chain many
/// rules jump to comes early: it is soon read.)
fn biggest_first(sizes: &[usize]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..sizes.len()).collect();
    order.sort_by_key(|&i| std::cmp::Reverse(sizes[i]));
    order
}

/// Runs `work` on every item of `order` with `threads` workers: this
/// thread on `own`, each other on a state `open` makes for it. Each
/// worker takes the next item when it is free, so no worker idles while
/// another has a queue. Returns `(item, result)` pairs in no set order;
/// the first error stops the others at their next item.
fn spread<S, T, E>(
    order: &[usize],
    threads: usize,
    own: &mut S,
    open: impl Fn() -> Result<S, E> + Sync,
    work: impl Fn(&mut S, usize) -> Result<T, E> + Sync,
) -> Result<Vec<(usize, T)>, E>
where
    T: Send,
    E: Send,
{
    use std::sync::atomic::{AtomicUsize, Ordering};
    let next = AtomicUsize::new(0);
    let run = |state: &mut S| -> Result<Vec<(usize, T)>, E> {
        let mut out = Vec::new();
        while let Some(&i) = order.get(next.fetch_add(1, Ordering::Relaxed)) {
            match work(state, i) {
                Ok(x) => out.push((i, x)),
                Err(e) => {
                    next.store(order.len(), Ordering::Relaxed);
                    return Err(e);
                }
            }
        }
        Ok(out)
    };
    if threads <= 1 {
        return run(own);
    }
    std::thread::scope(|scope| {
        let others: Vec<_> = (1..threads)
            .map(|_| {
                scope.spawn(|| {
                    let mut state = open()?;
                    run(&mut state)
                })
            })
            .collect();
        let mut all = run(own);
        for h in others {
            // (a worker that panicked has lost its items: the caller finds
            // them missing)
            if let Ok(r) = h.join() {
                match (&mut all, r) {
                    (Ok(a), Ok(b)) => a.extend(b),
                    (Ok(_), Err(e)) => all = Err(e),
                    (Err(_), _) => {}
                }
            }
        }
        all
    })
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
    use super::{biggest_first, spread};

    #[test]
    fn readers_take_the_next_chain_as_they_are_free() {
        let sizes = [5, 9000, 3, 4, 2, 8000, 1];
        assert_eq!(biggest_first(&sizes), [1, 5, 0, 3, 2, 4, 6]);
        for threads in [1, 2, 4] {
            let mut own = 0usize;
            let got = spread(
                &biggest_first(&sizes),
                threads,
                &mut own,
                || Ok::<_, ()>(0usize),
                |n, i| {
                    *n += 1;
                    Ok(i * 10)
                },
            )
            .unwrap();
            // every chain read once, with its own result
            let mut items: Vec<(usize, usize)> = got;
            items.sort_unstable();
            assert_eq!(items, (0..7).map(|i| (i, i * 10)).collect::<Vec<_>>());
            if threads == 1 {
                assert_eq!(own, 7);
            }
        }
        // an error stops the readers and is returned
        let mut own = ();
        let r = spread(
            &[0, 1, 2, 3],
            2,
            &mut own,
            || Ok(()),
            |_, i| if i == 2 { Err(i) } else { Ok(i) },
        );
        assert_eq!(r, Err(2));
    }
}
