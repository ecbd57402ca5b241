//! `iptables` / `ip6tables`: run one parsed command against the kernel.
//! Every change is one nf_tables transaction, planned from only the
//! chains it touches and re-planned if another writer got in first.

use crate::cli::{Action, Command};
use crate::config::Layout;
use crate::error::{param, Error};
use crate::list::{self, ListOpts};
use crate::model::{Counters, Family, Rule, Table, TableState, Target};
use crate::nft::builtin::base_spec;
use crate::nft::encode::encode_rule_as;
use crate::nft::ir::{NftChain, NftRule, Op, Position};
use crate::nft::session::Session;

fn no_chain() -> Error {
    Error::Op("No chain/target/match by that name".into())
}

fn bad_rule() -> Error {
    Error::Op("Bad rule (does a matching rule exist in that chain?)".into())
}

fn nft_rule(rule: &Rule, chain: &str, family: Family, layout: Layout, handle: u64) -> NftRule {
    let (exprs, compat) = encode_rule_as(rule, family, layout);
    NftRule {
        chain: chain.to_string(),
        handle,
        exprs,
        compat,
        udata: None,
    }
}

/// Ops that create the table and a built-in chain if the kernel lacks
/// them, as iptables-nft does on first use. A user chain must exist.
fn ensure_chain(
    s: &mut Session,
    table: Table,
    chain: &str,
    ops: &mut Vec<Op>,
) -> Result<Option<NftChain>, Error> {
    if let Some(c) = s.chain(table, chain)? {
        return Ok(Some(c));
    }
    let Some(base) = base_spec(table, chain) else {
        return Err(no_chain());
    };
    ops.push(Op::AddTable {
        table: table.name().into(),
    });
    ops.push(Op::AddChain {
        table: table.name().into(),
        chain: chain.into(),
        base: Some(base),
        excl: false,
    });
    Ok(None)
}

/// `-j CHAIN` / `-g CHAIN` must name a chain of the table.
fn check_targets(s: &mut Session, table: Table, rules: &[Rule]) -> Result<(), Error> {
    let mut checked: Vec<&str> = Vec::new();
    for r in rules {
        if let Target::Jump(c) | Target::Goto(c) = &r.target {
            if checked.contains(&c.as_str()) {
                continue;
            }
            if s.chain(table, c)?.is_none() {
                return Err(param(format!("Chain '{c}' does not exist")));
            }
            checked.push(c);
        }
    }
    Ok(())
}

/// Run a command; returns what it prints on stdout.
/// Runs `cmd`, writing rules in `layout`.
pub fn run(cmd: &Command, layout: Layout) -> Result<String, Error> {
    let family = cmd.family;
    let table = cmd.table;
    let tname = table.name().to_string();
    match &cmd.action {
        Action::Version => {
            return Ok(format!("{} {}\n", family.prog(), crate::error::VERSION));
        }
        Action::Help => return Ok(crate::applet::help_text(family)),
        _ => {}
    }
    let mut s = Session::open(family)?;
    match &cmd.action {
        Action::Append { chain, rules } => s.transact(|s| {
            let mut ops = Vec::with_capacity(rules.len() + 2);
            ensure_chain(s, table, chain, &mut ops)?;
            check_targets(s, table, rules)?;
            for r in rules {
                ops.push(Op::AddRule {
                    table: tname.clone(),
                    rule: nft_rule(r, chain, family, layout, 0),
                    pos: Position::Append,
                });
            }
            Ok((ops, String::new()))
        }),
        Action::Insert { chain, num, rules } => s.transact(|s| {
            let mut ops = Vec::with_capacity(rules.len() + 2);
            let exists = ensure_chain(s, table, chain, &mut ops)?.is_some();
            check_targets(s, table, rules)?;
            let pos = if *num == 1 {
                Position::Prepend
            } else {
                let handles = if exists {
                    s.chain_handles(table, chain)?
                } else {
                    Vec::new()
                };
                match (num - 1).cmp(&handles.len()) {
                    std::cmp::Ordering::Less => Position::Before(handles[num - 1]),
                    std::cmp::Ordering::Equal => Position::Append,
                    std::cmp::Ordering::Greater => {
                        return Err(Error::Op("Index of insertion too big".into()))
                    }
                }
            };
            // iptables inserts each rule of an address list at the same
            // number, so the list ends up reversed; do the same.
            let order: Vec<&Rule> = match pos {
                Position::Prepend => rules.iter().collect(),
                _ => rules.iter().rev().collect(),
            };
            for r in order {
                ops.push(Op::AddRule {
                    table: tname.clone(),
                    rule: nft_rule(r, chain, family, layout, 0),
                    pos,
                });
            }
            Ok((ops, String::new()))
        }),
        Action::Check { chain, rules } => {
            check_targets(&mut s, table, rules)?;
            if s.chain(table, chain)?.is_none() {
                return Err(bad_rule());
            }
            let found = s.find_rules(table, chain, rules)?;
            if found.iter().any(Option::is_none) {
                return Err(bad_rule());
            }
            Ok(String::new())
        }
        Action::Delete { chain, rules } => s.transact(|s| {
            check_targets(s, table, rules)?;
            if s.chain(table, chain)?.is_none() {
                return Err(if table.is_builtin(chain) {
                    bad_rule()
                } else {
                    no_chain()
                });
            }
            let found = s.find_rules(table, chain, rules)?;
            let mut ops = Vec::with_capacity(found.len());
            for h in found {
                ops.push(Op::DelRule {
                    table: tname.clone(),
                    chain: chain.clone(),
                    handle: h.ok_or_else(bad_rule)?,
                });
            }
            Ok((ops, String::new()))
        }),
        Action::DeleteNum { chain, num } => s.transact(|s| {
            if s.chain(table, chain)?.is_none() {
                return Err(no_chain());
            }
            let handles = s.chain_handles(table, chain)?;
            let h = *handles
                .get(num - 1)
                .ok_or_else(|| Error::Op("Index of deletion too big".into()))?;
            Ok((
                vec![Op::DelRule {
                    table: tname.clone(),
                    chain: chain.clone(),
                    handle: h,
                }],
                String::new(),
            ))
        }),
        Action::Replace { chain, num, rule } => s.transact(|s| {
            if s.chain(table, chain)?.is_none() {
                return Err(no_chain());
            }
            check_targets(s, table, std::slice::from_ref(rule))?;
            let entries = s.chain_rules(table, chain)?;
            let old = entries
                .get(num - 1)
                .ok_or_else(|| Error::Op("Index of replacement too big".into()))?;
            if let Err(why) = &old.rule {
                // Never overwrite what rxtables cannot show: the user could
                // not have seen what they are replacing.
                return Err(Error::Op(format!(
                    "Rule {num} of chain `{chain}' holds expressions iptables cannot express ({why}); use 'nft' to change it"
                )));
            }
            let h = old.handle;
            Ok((
                vec![Op::ReplaceRule {
                    table: tname.clone(),
                    rule: nft_rule(rule, chain, family, layout, h),
                }],
                String::new(),
            ))
        }),
        Action::Flush { chain } => s.transact(|s| {
            let ops = match chain {
                None => {
                    if s.table_exists(table)? {
                        vec![Op::FlushTable {
                            table: tname.clone(),
                        }]
                    } else {
                        Vec::new()
                    }
                }
                Some(c) => match s.chain(table, c)? {
                    Some(_) => vec![Op::FlushChain {
                        table: tname.clone(),
                        chain: c.clone(),
                    }],
                    None if table.is_builtin(c) => Vec::new(),
                    None => return Err(no_chain()),
                },
            };
            Ok((ops, String::new()))
        }),
        Action::Zero { chain, num } => s.transact(|s| {
            let st = load_for(s, table, chain.as_deref())?;
            let ops = zero_ops(&st, chain.as_deref(), *num, family, layout)?;
            Ok((ops, String::new()))
        }),
        Action::NewChain { chain } => s.transact(|s| {
            if table.is_builtin(chain) || s.chain(table, chain)?.is_some() {
                return Err(Error::Op("Chain already exists".into()));
            }
            Ok((
                vec![
                    Op::AddTable {
                        table: tname.clone(),
                    },
                    Op::AddChain {
                        table: tname.clone(),
                        chain: chain.clone(),
                        base: None,
                        excl: true,
                    },
                ],
                String::new(),
            ))
        }),
        Action::DeleteChain { chain } => s.transact(|s| {
            let ops = match chain {
                Some(c) => {
                    if s.chain(table, c)?.is_none() {
                        return Err(no_chain());
                    }
                    // 1.8.10-1.8.13 delete an empty built-in chain (its
                    // counters go) and answer 4 "busy" for one with rules.
                    if table.is_builtin(c) {
                        return Err(Error::Op("Can't delete built-in chain".into()));
                    }
                    vec![Op::DelChain {
                        table: tname.clone(),
                        chain: c.clone(),
                    }]
                }
                None => {
                    let st = s.load_table(table)?;
                    st.chains
                        .iter()
                        .filter(|c| !c.is_builtin())
                        .map(|c| Op::DelChain {
                            table: tname.clone(),
                            chain: c.name.clone(),
                        })
                        .collect()
                }
            };
            Ok((ops, String::new()))
        }),
        Action::Policy {
            chain,
            policy,
            counters,
        } => s.transact(|s| {
            let Some(base) = base_spec(table, chain) else {
                return Err(Error::Op("Bad built-in chain name".into()));
            };
            let accept = match policy.as_str() {
                "ACCEPT" => true,
                "DROP" => false,
                _ => {
                    return Err(Error::Op(
                        "Bad policy name. Run `dmesg' for more information".into(),
                    ))
                }
            };
            let mut ops = Vec::new();
            if s.chain(table, chain)?.is_none() {
                ops.push(Op::AddTable {
                    table: tname.clone(),
                });
                ops.push(Op::AddChain {
                    table: tname.clone(),
                    chain: chain.clone(),
                    base: Some(crate::nft::ir::BaseSpec {
                        policy_accept: accept,
                        ..base
                    }),
                    excl: false,
                });
            } else {
                ops.push(Op::SetPolicy {
                    table: tname.clone(),
                    chain: chain.clone(),
                    accept,
                    counters: counters.map(|c| (c.packets, c.bytes)),
                });
            }
            Ok((ops, String::new()))
        }),
        Action::Rename { old, new } => s.transact(|s| {
            // The new name is checked first, as iptables does.
            if table.is_builtin(new) || s.chain(table, new)?.is_some() {
                return Err(Error::Op("File exists".into()));
            }
            let Some(c) = s.chain(table, old)? else {
                return Err(no_chain());
            };
            if table.is_builtin(old) {
                // 1.8.9-1.8.13 rename the base chain and leave a table no
                // iptables can list; refuse instead.
                return Err(Error::Op("Can't rename built-in chain".into()));
            }
            Ok((
                vec![Op::RenameChain {
                    table: tname.clone(),
                    handle: c.handle,
                    new_name: new.clone(),
                }],
                String::new(),
            ))
        }),
        Action::List { chain, num, zero } => {
            let st = load_for(&mut s, table, chain.as_deref())?;
            let opts = ListOpts {
                numeric: cmd.numeric,
                verbose: cmd.verbose,
                exact: cmd.exact,
                line_numbers: cmd.line_numbers,
            };
            let mut out = String::new();
            match chain {
                None => list::list_table(&st, family, &opts, &mut out)?,
                Some(c) => {
                    let ch = st.chain(c).ok_or_else(no_chain)?;
                    match num {
                        Some(n) => list::list_chain_rule(&st, &ch.name, *n, family, &opts, &mut out)?,
                        None => list::list_chain(&st, ch, family, &opts, &mut out)?,
                    }
                }
            }
            if *zero {
                let ops = zero_ops(&st, chain.as_deref(), None, family, layout)?;
                s.transact(|_| Ok((ops.clone(), ())))?;
            }
            Ok(out)
        }
        Action::ListRules { chain, num } => {
            let st = load_for(&mut s, table, chain.as_deref())?;
            if let Some(c) = chain {
                st.chain(c).ok_or_else(no_chain)?;
            }
            let mut out = String::new();
            list::list_rules(&st, chain.as_deref(), *num, family, cmd.verbose, &mut out)?;
            Ok(out)
        }
        Action::Version | Action::Help => Ok(String::new()),
    }
}

/// What `-L`, `-S` and `-Z` read: with a chain named, only that chain
/// (Docker probes every chain with `-n -L CHAIN`; the other chains' rules
/// are never read), else the whole table.
fn load_for(s: &mut Session, table: Table, chain: Option<&str>) -> Result<TableState, Error> {
    match chain {
        Some(c) => s.load_chain(table, c),
        None => s.load_table(table),
    }
}

/// Ops that zero the counters of a table, a chain, or one rule.
fn zero_ops(
    st: &TableState,
    chain: Option<&str>,
    num: Option<usize>,
    family: Family,
    layout: Layout,
) -> Result<Vec<Op>, Error> {
    let tname = st.table.name().to_string();
    let mut ops = Vec::new();
    let chains: Vec<&crate::model::ChainState> = match chain {
        Some(c) => {
            let ch = st.chain(c).filter(|ch| ch.exists).ok_or_else(no_chain)?;
            vec![ch]
        }
        None => st.chains.iter().filter(|c| c.exists).collect(),
    };
    for ch in chains {
        if num.is_none() && ch.is_builtin() && ch.counters != Counters::default() {
            ops.push(Op::SetPolicy {
                table: tname.clone(),
                chain: ch.name.clone(),
                accept: ch.policy == Some(crate::model::Policy::Accept),
                counters: Some((0, 0)),
            });
        }
        for (i, e) in ch.rules.iter().enumerate() {
            if num.is_some_and(|n| n != i + 1) {
                continue;
            }
            // Rules rxtables cannot express are left alone.
            if let Ok(r) = &e.rule {
                if r.counters != Counters::default() {
                    let mut z = r.clone();
                    z.counters = Counters::default();
                    ops.push(Op::ReplaceRule {
                        table: tname.clone(),
                        rule: nft_rule(&z, &ch.name, family, layout, e.handle),
                    });
                }
            }
        }
    }
    Ok(ops)
}
