//! Reading the kernel for one family: tables, chains and rules, decoded
//! into the model, for listings and save (only what a command names is
//! read), and kernel errors in iptables' words. Changes go through the
//! restore planner ([`crate::applet::restore::run_command`]).

use super::decode::decode_rule;
use super::sys::{CommitError, Nft, SysError};
use crate::error::Error;
use crate::ir::{Expr, NfProto, NftChain, NftRule, Op, Position};
use crate::model::{Family, Table};
use crate::rule::{ChainState, Counters, Policy, RuleEntry, TableState};

/// The nf_tables family of an iptables family.
pub fn nfproto(family: Family) -> NfProto {
    match family {
        Family::V4 => NfProto::Ipv4,
        Family::V6 => NfProto::Ipv6,
    }
}

/// A chain's name and its decoded rules, as one reader thread returns them.
type ChainRules = (String, Vec<RuleEntry>);

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
        let mut tries = 0;
        loop {
            let before = self.genid()?;
            let st = self.load_table_once(table, before)?;
            if self.genid()? == before || tries == 10 {
                return Ok(st);
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

    /// `genid`: the generation read before; a table read while another
    /// writer commits is read again by the caller.
    fn load_table_once(&mut self, table: Table, genid: u32) -> Result<TableState, Error> {
        let fam = self.fam();
        let family = self.family;
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
                name: c.name.clone(),
                policy,
                counters: Counters {
                    packets: c.packets,
                    bytes: c.bytes,
                },
                exists: true,
                handle: c.handle,
                rules: Vec::new(),
                // the kernel's use count for now; less the rules below
                refs: Some(c.uses as usize),
            };
            // only a base chain replaces a placeholder (a look-up per user
            // chain would cost time quadratic in the table's chains)
            let placeholder = match policy {
                Some(_) => st.chain_mut(&c.name).filter(|e| e.is_builtin()),
                None => None,
            };
            match placeholder {
                Some(existing) => *existing = entry,
                None => st.chains.push(entry),
            }
        }
        st.sort_chains();
        // One dump per chain: the kernel restarts a dump at its start for
        // every buffer it fills, so a table-wide dump costs time quadratic
        // in the table's rules, a per-chain one only in each chain's. The
        // kernel's time dominates, so big tables are read on several
        // sockets at once, one thread each.
        let names: Vec<String> = st
            .chains
            .iter()
            .filter(|c| c.exists)
            .map(|c| c.name.clone())
            .collect();
        let threads = std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
            .clamp(1, 4)
            .min(names.len().max(1));
        // Each chain's rules are decoded as soon as they are read, so the
        // raw expressions of only one chain per thread are held at a time.
        let decode_all = |rules: Vec<NftRule>| -> Vec<RuleEntry> {
            rules
                .into_iter()
                .map(|r| RuleEntry {
                    handle: r.handle,
                    rule: decode_rule(&r.exprs, family).map_err(|e| undecodable(&e, &r.exprs)),
                })
                .collect()
        };
        let mut dumped: Vec<ChainRules> = Vec::with_capacity(names.len());
        if threads <= 1 {
            for n in &names {
                let rules = self
                    .nft
                    .rules(fam, table.name(), Some(n))
                    .map_err(sys_err)?;
                dumped.push((n.clone(), decode_all(rules)));
            }
        } else {
            let results: Vec<Result<Vec<ChainRules>, Error>> = std::thread::scope(|scope| {
                let handles: Vec<_> = (0..threads)
                    .map(|t| {
                        let mine: Vec<&String> = names.iter().skip(t).step_by(threads).collect();
                        scope.spawn(move || -> Result<Vec<ChainRules>, Error> {
                            let mut nft = Nft::open().map_err(sys_err)?;
                            let mut out = Vec::with_capacity(mine.len());
                            for n in mine {
                                let rules =
                                    nft.rules(fam, table.name(), Some(n)).map_err(sys_err)?;
                                out.push((n.clone(), decode_all(rules)));
                            }
                            Ok(out)
                        })
                    })
                    .collect();
                handles
                    .into_iter()
                    .map(|h| {
                        h.join().unwrap_or_else(|_| {
                            Err(Error::Resource("a reader thread failed".into()))
                        })
                    })
                    .collect()
            });
            for r in results {
                dumped.extend(r?);
            }
        }
        let index: std::collections::HashMap<&[u8], usize> = st
            .chains
            .iter()
            .enumerate()
            .map(|(i, c)| (c.name.as_bytes(), i))
            .collect();
        let slots: Vec<(usize, Vec<RuleEntry>)> = dumped
            .into_iter()
            .filter_map(|(name, rules)| index.get(name.as_bytes()).map(|&i| (i, rules)))
            .collect();
        for (i, rules) in slots {
            st.chains[i].rules = rules;
        }
        for c in &mut st.chains {
            c.refs = c.refs.map(|uses| uses.saturating_sub(c.rules.len()));
        }
        Ok(st)
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

/// The kernel's answer to which xt extension revisions it has
/// (`NFNL_MSG_COMPAT_GET`, one socket per question as iptables opens
/// one); when it cannot be asked (no permission, no nf_tables), every
/// revision counts as there, as iptables assumes.
pub struct KernelProbe;

impl crate::ext::probe::RevisionProbe for KernelProbe {
    fn supports(&self, family: Family, name: &str, rev: u32, target: bool) -> bool {
        match Nft::open() {
            Ok(mut nft) => nft
                .compat_revision(nfproto(family), name, rev, target)
                .unwrap_or(true),
            Err(_) => true,
        }
    }

    fn exists(&self, family: Family, name: &str, target: bool) -> bool {
        match Nft::open() {
            Ok(mut nft) => nft
                .compat_extension(nfproto(family), name, target)
                .unwrap_or(true),
            Err(_) => true,
        }
    }
}
