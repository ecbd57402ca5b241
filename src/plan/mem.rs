//! An in-memory kernel for the planner's unit tests: tables, chains and
//! rules as the kernel keeps them (expressions, handles), with a commit
//! that applies a plan's ops all or nothing and refuses what nf_tables
//! refuses (a missing chain, a chain still in use). The tests run every
//! command through the same planner the programs use, without root and
//! without libnftnl.

use super::sim::Kernel;
use super::{plan_command, plan_input, single_error, Opts};
use crate::cli::parse;
use crate::config::Layout;
use crate::error::Error;
use crate::ir::{Expr, NftChain, NftRule, Op, Position, Verdict};
use crate::model::{Family, Table};
use crate::nft::decode::decode_rule;
use crate::rule::{ChainState, Counters, Policy, Rule, RuleEntry, TableState, Target};

#[derive(Debug, Clone)]
struct MemChain {
    chain: NftChain,
    rules: Vec<NftRule>,
}

/// The kernel's state, one family.
#[derive(Debug, Clone)]
pub struct MemKernel {
    family: Family,
    tables: Vec<(Table, Vec<MemChain>)>,
    next_handle: u64,
}

fn jumps_to(r: &NftRule, name: &str) -> bool {
    r.exprs
        .iter()
        .any(|e| matches!(e, Expr::Verdict(Verdict::Jump(c) | Verdict::Goto(c)) if c == name))
}

impl MemKernel {
    /// No tables.
    pub fn new(family: Family) -> Self {
        MemKernel {
            family,
            tables: Vec::new(),
            next_handle: 1,
        }
    }

    fn table(&self, t: Table) -> Option<&Vec<MemChain>> {
        self.tables.iter().find(|(n, _)| *n == t).map(|(_, c)| c)
    }

    fn table_mut(&mut self, name: &str) -> Result<&mut Vec<MemChain>, String> {
        self.tables
            .iter_mut()
            .find(|(n, _)| n.name() == name)
            .map(|(_, c)| c)
            .ok_or_else(|| format!("no table {name}"))
    }

    fn handle(&mut self) -> u64 {
        self.next_handle += 1;
        self.next_handle
    }

    fn apply_one(&mut self, op: Op) -> Result<(), String> {
        match op {
            Op::AddTable { table } => {
                if self.table_mut(&table).is_err() {
                    let t = Table::from_name(&table).ok_or("bad table")?;
                    self.tables.push((t, Vec::new()));
                }
            }
            Op::DelTable { table } => {
                self.table_mut(&table)?;
                self.tables.retain(|(t, _)| t.name() != table);
            }
            Op::AddChain {
                table,
                chain,
                base,
                excl,
            } => {
                let handle = self.handle();
                let t = self.table_mut(&table)?;
                if t.iter().any(|c| c.chain.name == chain) {
                    return if excl { Err("EEXIST".into()) } else { Ok(()) };
                }
                t.push(MemChain {
                    chain: NftChain {
                        table,
                        name: chain,
                        handle,
                        base,
                        packets: 0,
                        bytes: 0,
                        uses: 0,
                    },
                    rules: Vec::new(),
                });
            }
            Op::SetPolicy {
                table,
                chain,
                accept,
                counters,
            } => {
                let c = self
                    .table_mut(&table)?
                    .iter_mut()
                    .find(|c| c.chain.name == chain)
                    .ok_or("ENOENT chain")?;
                let b = c.chain.base.as_mut().ok_or("EOPNOTSUPP policy")?;
                b.policy_accept = accept;
                if let Some((p, b)) = counters {
                    c.chain.packets = p;
                    c.chain.bytes = b;
                }
            }
            Op::RenameChain {
                table,
                handle,
                new_name,
            } => {
                let t = self.table_mut(&table)?;
                let c = t
                    .iter_mut()
                    .find(|c| c.chain.handle == handle)
                    .ok_or("ENOENT chain")?;
                let old = std::mem::replace(&mut c.chain.name, new_name.clone());
                // The kernel keeps jumps pointing at the chain itself.
                for c in t.iter_mut() {
                    for r in &mut c.rules {
                        for e in &mut r.exprs {
                            if let Expr::Verdict(Verdict::Jump(n) | Verdict::Goto(n)) = e {
                                if *n == old {
                                    *n = new_name.clone();
                                }
                            }
                        }
                    }
                }
            }
            Op::DelChain { table, chain } => {
                let t = self.table_mut(&table)?;
                let i = t
                    .iter()
                    .position(|c| c.chain.name == chain)
                    .ok_or("ENOENT chain")?;
                let used = t.iter().flat_map(|c| &c.rules).any(|r| jumps_to(r, &chain));
                if used || !t[i].rules.is_empty() || t[i].chain.base.is_some() {
                    // as iptables-nft words the kernel's EBUSY
                    return Err(format!(
                        " CHAIN_DEL failed (Device or resource busy): chain {chain}"
                    ));
                }
                t.remove(i);
            }
            Op::AddRule {
                table,
                mut rule,
                pos,
            } => {
                rule.handle = self.handle();
                let t = self.table_mut(&table)?;
                for e in &rule.exprs {
                    if let Expr::Verdict(Verdict::Jump(n) | Verdict::Goto(n)) = e {
                        if !t.iter().any(|c| c.chain.name == *n) {
                            return Err("ENOENT jump".into());
                        }
                    }
                }
                let c = t
                    .iter_mut()
                    .find(|c| c.chain.name == rule.chain)
                    .ok_or("ENOENT chain")?;
                let at = |h: u64| c.rules.iter().position(|r| r.handle == h);
                let i = match pos {
                    Position::Append => c.rules.len(),
                    Position::Prepend => 0,
                    Position::Before(h) => at(h).ok_or("ENOENT anchor")?,
                    Position::After(h) => at(h).ok_or("ENOENT anchor")? + 1,
                };
                c.rules.insert(i, rule);
            }
            Op::ReplaceRule { table, rule } => {
                let c = self
                    .table_mut(&table)?
                    .iter_mut()
                    .find(|c| c.chain.name == rule.chain)
                    .ok_or("ENOENT chain")?;
                let r = c
                    .rules
                    .iter_mut()
                    .find(|r| r.handle == rule.handle)
                    .ok_or("ENOENT rule")?;
                *r = rule;
            }
            Op::DelRule {
                table,
                chain,
                handle,
            } => {
                let c = self
                    .table_mut(&table)?
                    .iter_mut()
                    .find(|c| c.chain.name == chain)
                    .ok_or("ENOENT chain")?;
                let n = c.rules.len();
                c.rules.retain(|r| r.handle != handle);
                if c.rules.len() == n {
                    return Err("ENOENT rule".into());
                }
            }
            Op::FlushChain { table, chain } => {
                let c = self
                    .table_mut(&table)?
                    .iter_mut()
                    .find(|c| c.chain.name == chain)
                    .ok_or("ENOENT chain")?;
                c.rules.clear();
            }
            other => return Err(format!("op not modelled: {other:?}")),
        }
        Ok(())
    }

    /// Applies `ops` as one transaction: all of them, or (on the first
    /// refusal, returned) none.
    pub fn commit(&mut self, ops: impl IntoIterator<Item = Op>) -> Result<(), String> {
        let mut next = self.clone();
        for op in ops {
            next.apply_one(op)?;
        }
        *self = next;
        Ok(())
    }

    /// `iptables-save`-like rule lines of `table` (`-S` text).
    pub fn rules_text(&mut self, table: Table) -> String {
        let st = self
            .load_table(table)
            .unwrap_or_else(|_| TableState::empty(table));
        let mut out = String::new();
        let _ = crate::list::list_rules(&st, None, None, self.family, false, &mut out);
        out
    }
}

impl MemKernel {
    /// A whole table, decoded (what `-L`/`-S` would read).
    pub fn load_table(&mut self, table: Table) -> Result<TableState, Error> {
        let mut st = TableState::empty(table);
        let Some(chains) = self.table(table) else {
            return Ok(st);
        };
        st.exists = true;
        for c in chains {
            let entry = ChainState {
                name: c.chain.name.clone(),
                policy: c.chain.base.as_ref().map(|b| {
                    if b.policy_accept {
                        Policy::Accept
                    } else {
                        Policy::Drop
                    }
                }),
                counters: Counters {
                    packets: c.chain.packets,
                    bytes: c.chain.bytes,
                },
                exists: true,
                handle: c.chain.handle,
                rules: c
                    .rules
                    .iter()
                    .map(|r| RuleEntry {
                        handle: r.handle,
                        rule: decode_rule(&r.exprs, self.family).map_err(|e| e.0),
                    })
                    .collect(),
                refs: None,
            };
            match st.chain_mut(&c.chain.name) {
                Some(b) if b.is_builtin() && entry.policy.is_some() => *b = entry,
                _ => st.chains.push(entry),
            }
        }
        st.sort_chains();
        Ok(st)
    }
}

impl Kernel for MemKernel {
    fn table_exists(&mut self, table: Table) -> Result<bool, Error> {
        Ok(self.table(table).is_some())
    }
    fn chain(&mut self, table: Table, name: &str) -> Result<Option<NftChain>, Error> {
        Ok(self
            .table(table)
            .and_then(|t| t.iter().find(|c| c.chain.name == name))
            .map(|c| c.chain.clone()))
    }
    fn chains(&mut self, table: Table) -> Result<Vec<NftChain>, Error> {
        Ok(self
            .table(table)
            .map(|t| t.iter().map(|c| c.chain.clone()).collect())
            .unwrap_or_default())
    }
    fn rules(&mut self, table: Table, chain: &str) -> Result<Vec<NftRule>, Error> {
        Ok(self
            .table(table)
            .and_then(|t| t.iter().find(|c| c.chain.name == chain))
            .map(|c| c.rules.clone())
            .unwrap_or_default())
    }
    fn find_rule(
        &mut self,
        table: Table,
        chain: &str,
        skip: &[u64],
        rule: &Rule,
    ) -> Result<Option<u64>, Error> {
        let family = self.family;
        Ok(self.rules(table, chain)?.iter().find_map(|r| {
            let same = !skip.contains(&r.handle)
                && decode_rule(&r.exprs, family).is_ok_and(|d| d.same_spec(rule));
            same.then_some(r.handle)
        }))
    }
    fn nth_rule(
        &mut self,
        table: Table,
        chain: &str,
        skip: &[u64],
        n: usize,
    ) -> Result<Result<u64, usize>, Error> {
        let rules = self.rules(table, chain)?;
        let live: Vec<u64> = rules
            .iter()
            .map(|r| r.handle)
            .filter(|h| !skip.contains(h))
            .collect();
        Ok(live.get(n).copied().ok_or(live.len()))
    }
}

/// Runs one `iptables` command (its words) against `k`: planned by the
/// planner, committed by the in-memory kernel.
fn iptables(k: &mut MemKernel, words: &str) -> Result<(), Error> {
    let args: Vec<String> = words.split_whitespace().map(str::to_string).collect();
    let cmd = parse(k.family, &args)?;
    let plan = plan_command(&cmd, Layout::Current, k)?;
    let ops: Vec<Op> = plan.ops().collect();
    k.commit(ops).map_err(Error::Resource)
}

/// Runs a restore (`--noflush`) of `text` against `k`; the error as
/// `iptables-restore` prints it.
fn restore(k: &mut MemKernel, text: &str) -> Result<(), (String, i32)> {
    let opts = Opts {
        noflush: true,
        ..Opts::default()
    };
    let planned = plan_input(text, k.family, &opts, k).map_err(|e| {
        let e = e.into_error("iptables-restore");
        (e.render("iptables-restore"), e.exit_code())
    })?;
    let ops: Vec<Op> = planned.plan.ops().collect();
    k.commit(ops).map_err(|e| (e, 4))
}

fn rendered(e: Error) -> (String, i32) {
    (e.render("iptables"), e.exit_code())
}

fn kernel_with(cmds: &[&str]) -> MemKernel {
    let mut k = MemKernel::new(Family::V4);
    for c in cmds {
        if let Err(e) = iptables(&mut k, c) {
            panic!("setup `{c}`: {}", e.render("iptables"));
        }
    }
    k
}

fn fails(k: &mut MemKernel, cmd: &str) -> (String, i32) {
    let before = k.rules_text(Table::Filter);
    let e = iptables(k, cmd).expect_err(cmd);
    assert_eq!(
        k.rules_text(Table::Filter),
        before,
        "`{cmd}` changed the ruleset"
    );
    rendered(e)
}

#[test]
fn append_insert_replace_delete() {
    let mut k = kernel_with(&[
        "-A INPUT -s 1.1.1.1 -j ACCEPT",
        "-I INPUT -s 2.2.2.2 -j DROP",
        "-I INPUT 2 -s 3.3.3.3",
        "-A INPUT -p tcp --dport 22 -j ACCEPT",
        "-R INPUT 1 -s 4.4.4.4 -j DROP",
        "-D INPUT -s 3.3.3.3",
    ]);
    assert_eq!(
        k.rules_text(Table::Filter),
        "-P INPUT ACCEPT\n-P FORWARD ACCEPT\n-P OUTPUT ACCEPT\n\
         -A INPUT -s 4.4.4.4/32 -j DROP\n\
         -A INPUT -s 1.1.1.1/32 -j ACCEPT\n\
         -A INPUT -p tcp -m tcp --dport 22 -j ACCEPT\n"
    );
    iptables(&mut k, "-C INPUT -s 1.1.1.1 -j ACCEPT").unwrap();
    iptables(&mut k, "-D INPUT 1").unwrap();
    iptables(&mut k, "-D INPUT 1").unwrap();
    assert_eq!(
        k.rules_text(Table::Filter),
        "-P INPUT ACCEPT\n-P FORWARD ACCEPT\n-P OUTPUT ACCEPT\n\
         -A INPUT -p tcp -m tcp --dport 22 -j ACCEPT\n"
    );
}

/// `-D CHAIN NUM` on a chain that is not loaded counts the new rules at
/// its head, then the kernel's (read only as far as needed, leaving out
/// those already deleted), then the new rules at its tail: the same rules
/// go as when the whole chain is read first.
#[test]
fn delete_by_number_without_loading() {
    let setup = [
        "-A INPUT -s 1.1.1.1",
        "-A INPUT -s 2.2.2.2",
        "-A INPUT -s 3.3.3.3",
    ];
    let block = "*filter\n-I INPUT -s 9.9.9.1\n-I INPUT -s 9.9.9.2\n\
                 -A INPUT -s 8.8.8.1\n-A INPUT -s 8.8.8.2\n\
                 -D INPUT 2\n-D INPUT 3\n-D INPUT 2\n-D INPUT 4\n";
    let want = "-P INPUT ACCEPT\n-P FORWARD ACCEPT\n-P OUTPUT ACCEPT\n\
                -A INPUT -s 9.9.9.2/32\n-A INPUT -s 3.3.3.3/32\n-A INPUT -s 8.8.8.1/32\n";
    let mut k = kernel_with(&setup);
    restore(&mut k, &format!("{block}COMMIT\n")).unwrap();
    assert_eq!(k.rules_text(Table::Filter), want);
    // the same with the chain read whole first (`-I` at 2 loads it)
    let mut k = kernel_with(&setup);
    let loaded = format!("{block}-I INPUT 2 -s 7.7.7.7\n-D INPUT 2\nCOMMIT\n");
    restore(&mut k, &loaded).unwrap();
    assert_eq!(k.rules_text(Table::Filter), want);
    // one past the end, lazily and loaded
    let mut k = kernel_with(&setup);
    let too_big = |k: &mut MemKernel, text: &str| restore(k, text).unwrap_err();
    let lazy = too_big(&mut k, &format!("{block}-D INPUT 4\nCOMMIT\n"));
    let loaded = too_big(
        &mut k,
        &format!("{block}-I INPUT 2 -s 7.7.7.7\n-D INPUT 2\n-D INPUT 4\nCOMMIT\n"),
    );
    assert!(lazy.0.contains("Index of deletion too big"), "{lazy:?}");
    assert_eq!(lazy.1, loaded.1);
    assert_eq!(
        lazy.0.replace("line 10", "line N"),
        loaded.0.replace("line 12", "line N")
    );
    // a deletion by number in the kernel's part, then in the tail
    let mut k = kernel_with(&setup);
    restore(
        &mut k,
        "*filter\n-A INPUT -s 8.8.8.1\n-D INPUT 1\n-D INPUT 3\nCOMMIT\n",
    )
    .unwrap();
    assert_eq!(
        k.rules_text(Table::Filter),
        "-P INPUT ACCEPT\n-P FORWARD ACCEPT\n-P OUTPUT ACCEPT\n\
         -A INPUT -s 2.2.2.2/32\n-A INPUT -s 3.3.3.3/32\n"
    );
    assert_eq!(fails(&mut k, "-D INPUT 3"), fails(&mut k, "-D INPUT 3"));
    assert_eq!(
        fails(&mut k, "-D INPUT 3"),
        ("iptables: Index of deletion too big.".into(), 1)
    );
}

#[test]
fn rule_command_failures() {
    let mut k = kernel_with(&["-A INPUT -s 1.1.1.1 -j ACCEPT", "-N USER"]);
    let no_chain = (
        "iptables: No chain/target/match by that name.".to_string(),
        1,
    );
    let bad_rule = (
        "iptables: Bad rule (does a matching rule exist in that chain?).".to_string(),
        1,
    );
    assert_eq!(fails(&mut k, "-A NOPE -j ACCEPT"), no_chain);
    assert_eq!(fails(&mut k, "-D INPUT -s 9.9.9.9 -j ACCEPT"), bad_rule);
    assert_eq!(fails(&mut k, "-C INPUT -s 9.9.9.9 -j ACCEPT"), bad_rule);
    assert_eq!(fails(&mut k, "-C NOPE -j ACCEPT"), bad_rule);
    let (msg, code) = fails(&mut k, "-A INPUT -j MISSING");
    assert_eq!(code, 2);
    assert!(msg.starts_with("iptables v1.8.13 (nf_tables): Chain 'MISSING' does not exist\n"));
    for (cmd, what) in [
        ("-I INPUT 3 -j ACCEPT", "insertion"),
        ("-D INPUT 2", "deletion"),
        ("-R INPUT 5 -j ACCEPT", "replacement"),
    ] {
        assert_eq!(
            fails(&mut k, cmd),
            (format!("iptables: Index of {what} too big."), 1)
        );
    }
    assert_eq!(fails(&mut k, "-R NOPE 1 -j ACCEPT"), no_chain);
    assert_eq!(fails(&mut k, "-D NOPE 1"), no_chain);
    // -I at the end of the chain is allowed
    iptables(&mut k, "-I INPUT 2 -j DROP").unwrap();
}

#[test]
fn chain_commands() {
    let mut k = kernel_with(&["-N A", "-N B", "-A A -j B", "-P FORWARD DROP"]);
    let op = |m: &str| (format!("iptables: {m}."), 1);
    assert_eq!(fails(&mut k, "-N A"), op("Chain already exists"));
    assert_eq!(fails(&mut k, "-N INPUT"), op("Chain already exists"));
    assert_eq!(
        fails(&mut k, "-X FORWARD"),
        op("Can't delete built-in chain")
    );
    assert_eq!(
        fails(&mut k, "-X OUTPUT"),
        op("No chain/target/match by that name")
    );
    assert_eq!(fails(&mut k, "-E A B"), op("File exists"));
    assert_eq!(fails(&mut k, "-E NOPE INPUT"), op("File exists"));
    assert_eq!(
        fails(&mut k, "-E NOPE C"),
        op("No chain/target/match by that name")
    );
    assert_eq!(
        fails(&mut k, "-E FORWARD C"),
        op("Can't rename built-in chain")
    );
    assert_eq!(
        fails(&mut k, "-P FOO ACCEPT"),
        op("Bad built-in chain name")
    );
    assert_eq!(
        fails(&mut k, "-P INPUT FOO"),
        op("Bad policy name. Run `dmesg' for more information")
    );
    // B is referenced by A's rule: the kernel's "busy", exit 4
    let (msg, code) = fails(&mut k, "-X B");
    assert_eq!(code, 4);
    assert!(
        msg.ends_with(" CHAIN_DEL failed (Device or resource busy): chain B"),
        "{msg}"
    );
    iptables(&mut k, "-E B C").unwrap();
    iptables(&mut k, "-F A").unwrap();
    iptables(&mut k, "-X C").unwrap();
    iptables(&mut k, "-X").unwrap();
    assert_eq!(
        k.rules_text(Table::Filter),
        "-P INPUT ACCEPT\n-P FORWARD DROP\n-P OUTPUT ACCEPT\n"
    );
}

/// The planner is the one source of each decision: a failing command gives
/// the same message from `iptables` and (in the restore form, naming its
/// line) from `iptables-restore`, and the same exit status.
#[test]
fn same_failure_same_message_from_both_programs() {
    let setup = ["-N USER", "-A USER -s 1.1.1.1", "-A INPUT -j USER"];
    for cmd in [
        "-A NOPE -j ACCEPT",
        "-D INPUT -s 9.9.9.9",
        "-I INPUT 5 -j DROP",
        "-D INPUT 7",
        "-R INPUT 3 -j DROP",
        "-N USER",
        "-X FORWARD",
        "-E USER INPUT",
        "-F NOPE",
        "-Z NOPE",
        "-P FOO DROP",
        "-C INPUT -j DROP",
    ] {
        let mut k = kernel_with(&setup);
        let (single, code) = fails(&mut k, cmd);
        let (restored, rcode) =
            restore(&mut k, &format!("*filter\n{cmd}\nCOMMIT\n")).expect_err(cmd);
        assert_eq!(code, rcode, "{cmd}: {single} / {restored}");
        let core = single
            .strip_prefix("iptables: ")
            .and_then(|m| m.strip_suffix('.'))
            .unwrap_or(&single);
        let core = core.split(". Run `dmesg'").next().unwrap_or(core);
        assert_eq!(
            restored,
            format!("iptables-restore: line 2 failed: {core}."),
            "{cmd}"
        );
    }
}

#[test]
fn jump_target_checked_and_counters_kept() {
    let mut k = kernel_with(&["-N T", "-A INPUT -j T -c 5 6", "-A T -j RETURN"]);
    let st = k.load_table(Table::Filter).unwrap();
    let r = st.chain("INPUT").unwrap().rules[0].rule.clone().unwrap();
    assert_eq!(r.target, Target::Jump("T".into()));
    assert_eq!((r.counters.packets, r.counters.bytes), (5, 6));
    iptables(&mut k, "-Z INPUT").unwrap();
    let st = k.load_table(Table::Filter).unwrap();
    let r = st.chain("INPUT").unwrap().rules[0].rule.clone().unwrap();
    assert_eq!((r.counters.packets, r.counters.bytes), (0, 0));
    // -C plans nothing
    let args: Vec<String> = "-C INPUT -j T".split(' ').map(String::from).collect();
    let cmd = parse(Family::V4, &args).unwrap();
    assert!(plan_command(&cmd, Layout::Current, &mut k)
        .unwrap()
        .is_empty());
    let _ = single_error;
}

/// Checks that every message `plan` would send as built is the message of
/// its op; returns how many there are.
#[cfg(test)]
fn check_built(plan: &mut super::emit::Plan<'_>) -> usize {
    use crate::ir::NfProto;
    use crate::nft::wire::{append_rule_msg, rule_msg_names};
    let Some(runs) = plan.built_runs() else {
        return 0;
    };
    let mut built = plan.take_built();
    let msgs = super::emit::built_msgs(&mut built, &runs).unwrap();
    let mut seen = 0;
    for (run, m) in runs.iter().zip(msgs) {
        let mut at = 0;
        for i in run.first..run.first + run.count {
            let Op::AddRule { table, rule, pos } = plan.op(i) else {
                panic!("op {i} is not a rule");
            };
            assert_eq!(pos, crate::ir::Position::Append);
            let mut want = Vec::new();
            append_rule_msg(&mut want, NfProto::Ipv4, &table, &rule).unwrap();
            let len = want.len();
            assert_eq!(
                &m[at..at + len],
                &want[..],
                "op {i} (line {:?})",
                plan.line(i)
            );
            assert!(rule_msg_names(&m[at..]).is_some());
            at += len;
            seen += 1;
        }
        assert_eq!(at, m.len());
    }
    seen
}

/// The messages built as `-A` lines are read are the bytes the ops of
/// the plan give (so sending them is sending the ops), and cover every
/// new rule; inputs that are not plain appends send the ops.
#[test]
fn built_messages_are_the_ops_messages() {
    let text = "*filter\n:INPUT ACCEPT [0:0]\n:X - [0:0]\n:Y - [0:0]\n\
        -A INPUT -s 10.0.0.1/32 -p tcp --dport 22 -j ACCEPT\n\
        -A X -m comment --comment \"a b\" -j Y\n\
        -A INPUT -j X\n\
        -A Y -p udp -m multiport --dports 53,67:68 -j DROP\n\
        -A X -m conntrack --ctstate NEW -j MARK --set-xmark 0x1/0xff\n\
        COMMIT\n*nat\n:PREROUTING ACCEPT [0:0]\n:S - [0:0]\n\
        -A S -p tcp -j DNAT --to-destination 10.1.1.1:80\n\
        -A PREROUTING -m statistic --mode nth --every 2 --packet 0 -j S\n\
        COMMIT\n";
    let mut k = MemKernel::new(Family::V4);
    let mut planned = plan_input(text, Family::V4, &Opts::default(), &mut k).unwrap();
    assert!(planned.plan.built_runs().is_some());
    // every rule of the input, in the order of its lines
    let lines: Vec<u32> = (0..planned.plan.len())
        .filter(|&i| matches!(planned.plan.op(i), Op::AddRule { .. }))
        .filter_map(|i| planned.plan.line(i))
        .collect();
    assert!(lines.windows(2).all(|w| w[0] < w[1]), "{lines:?}");
    assert_eq!(check_built(&mut planned.plan), 7);

    // a rule inserted, a new rule deleted, chains renamed, a table
    // restored twice: whatever goes as built is its op's message
    for other in [
        "*filter\n:X - [0:0]\n-A X -j ACCEPT\n-I X 1 -j DROP\nCOMMIT\n",
        "*filter\n:X - [0:0]\n-A X -j ACCEPT\n-A X -j DROP\n-D X 1\nCOMMIT\n",
        "*filter\n:X - [0:0]\n:Y - [0:0]\n-A Y -j X\n-A X -j DROP\n-E X Z\nCOMMIT\n",
        "*filter\n:X - [0:0]\n-A X -j DROP\nCOMMIT\n*filter\n:X - [0:0]\n-A X -j ACCEPT\nCOMMIT\n",
        "*filter\n:X - [0:0]\n-A X -j DROP\n-F X\n-A X -j ACCEPT\nCOMMIT\n",
    ] {
        let mut k = MemKernel::new(Family::V4);
        let mut planned = plan_input(other, Family::V4, &Opts::default(), &mut k).unwrap();
        check_built(&mut planned.plan);
    }
}
