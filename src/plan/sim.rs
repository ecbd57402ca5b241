//! The planner: each command applied to the in-memory view of the tables a
//! restore touches ([`super::view`]), and the one list of ops that turns the
//! kernel's state into the view's final state.
//!
//! Each command of the input is applied to the view as it is read, so every
//! check (missing chain, rule number too big, `-D` of a rule that is not
//! there) happens before anything is sent. Only what the input names is
//! read from the kernel: a chain's attributes when a line names it, its
//! rules only when a line needs positions or specs (`-I n`, `-D`, `-R`,
//! `-C`, `-Z`), the chain list only for `-X`/`-Z` without a chain.
//!
//! A chain's rules are a sequence of kernel rules (known by handle) and new
//! rules (not in the kernel yet, so without a handle). New rules can only
//! be placed relative to kernel rules, so the ops are emitted from the
//! final state, in phases that keep every reference valid:
//!
//! 1. `DELTABLE` for a table the input replaces (no `--noflush`);
//! 2. flushes, then deletions of single kernel rules (a replaced or zeroed
//!    kernel rule is deleted and its new version inserted in its place);
//! 3. deletions of kernel chains (their references are gone by now);
//! 4. renames of kernel chains;
//! 5. the table and new chains, then policies and chain counters;
//! 6. new rules, each run of them anchored before the kernel rule that
//!    follows it in the final order (`Before(handle)`), or appended.
//!
//! Kernel rules that survive are never touched, so every anchor exists when
//! it is used. Each op remembers the input line it stands for, so that a
//! kernel error names that line.
//!
//! Memory: an `-A` rule whose reading depends on nothing but its text
//! ([`replayable`]) is kept as the place of its line in the input, and
//! parsed (by the same parser) and encoded again only when its op is
//! built, one at a time while the batch is written; other rules are kept
//! as model rules.

use super::built::Built;
use super::emit::{emit_table, Plan};
pub use super::view::{replayable, Source};
use super::view::{Chain, Item, Loc, Pending, PolicySet, Src, TableView, View};
use super::RestoreError;
use crate::cli::{Action, Command};
use crate::error::Error;
use crate::ir::{NfProto, NftChain, NftRule};
use crate::model::Table;
use crate::nft::decode::decode_rule;
use crate::nft::encode::encode_rule_as;
use crate::rule::{ChainState, Counters, Policy, Rule, RuleEntry, TableState, Target};
use std::collections::{HashMap, HashSet};

/// What the planner may read from the kernel. `NftKernel` (in `applet::restore`) is the
/// real one; tests use a map.
pub trait Kernel {
    /// Does the table exist?
    fn table_exists(&mut self, table: Table) -> Result<bool, Error>;
    /// One chain, if it exists.
    fn chain(&mut self, table: Table, name: &str) -> Result<Option<NftChain>, Error>;
    /// All chains of a table.
    fn chains(&mut self, table: Table) -> Result<Vec<NftChain>, Error>;
    /// The rules of one chain, in order.
    fn rules(&mut self, table: Table, chain: &str) -> Result<Vec<NftRule>, Error>;
    /// The handle of the first rule of `chain` equal to `rule` by spec,
    /// leaving out the handles in `skip`; reads the chain only as far as
    /// needed.
    fn find_rule(
        &mut self,
        table: Table,
        chain: &str,
        skip: &[u64],
        rule: &Rule,
    ) -> Result<Option<u64>, Error>;
    /// The handle of rule `n` (counting from 0) of `chain`, leaving out
    /// the handles in `skip`; reads the chain only as far as needed.
    /// `Err(count)`, the number of its rules, if it has no rule `n`.
    fn nth_rule(
        &mut self,
        table: Table,
        chain: &str,
        skip: &[u64],
        n: usize,
    ) -> Result<Result<u64, usize>, Error>;
    /// The planner has read the input up to byte `upto` (it reads on, and
    /// goes back only to rules kept as their lines, when the batch is
    /// written): a kernel that holds the input may give its pages back.
    fn input_read(&mut self, _upto: usize) {}
}

fn no_chain() -> Error {
    Error::Op("No chain/target/match by that name".into())
}

fn bad_rule() -> Error {
    Error::Op("Bad rule (does a matching rule exist in that chain?)".into())
}

/// The message the kernel's refusal to delete a chain in use gives.
fn chain_busy(line: u32, chain: &str) -> RestoreError {
    RestoreError::Kernel {
        line: Some(line),
        msg: format!(" CHAIN_DEL failed (Device or resource busy): chain {chain}"),
    }
}

/// The planner's state: every table touched so far.
pub struct Sim<'k, 't> {
    src: Source<'t>,
    kernel: &'k mut dyn Kernel,
    tables: Vec<TableView>,
    /// interned names of the chains new rules jump to
    names: Vec<String>,
    ids: HashMap<String, u32>,
    /// the messages of the `-A` lines read
    built: Built,
}

type Res<T> = Result<T, RestoreError>;

impl<'k, 't> Sim<'k, 't> {
    /// A planner for the input `src`, reading the kernel through `kernel`.
    pub fn new(src: Source<'t>, kernel: &'k mut dyn Kernel) -> Self {
        Sim {
            src,
            kernel,
            tables: Vec::new(),
            names: Vec::new(),
            ids: HashMap::new(),
            built: Built::default(),
        }
    }

    /// See [`Kernel::input_read`].
    pub fn input_read(&mut self, upto: usize) {
        self.kernel.input_read(upto);
    }

    fn intern(&mut self, name: &str) -> u32 {
        if let Some(&i) = self.ids.get(name) {
            return i;
        }
        let i = self.names.len() as u32;
        self.names.push(name.to_string());
        self.ids.insert(name.to_string(), i);
        i
    }

    fn tv(&mut self, table: Table) -> usize {
        match self.tables.iter().position(|t| t.table == table) {
            Some(i) => i,
            None => {
                self.tables.push(TableView::new(table));
                self.tables.len() - 1
            }
        }
    }

    fn kernel_exists(&mut self, ti: usize) -> Result<bool, Error> {
        if let Some(e) = self.tables[ti].kernel_exists {
            return Ok(e);
        }
        let e = self.kernel.table_exists(self.tables[ti].table)?;
        self.tables[ti].kernel_exists = Some(e);
        Ok(e)
    }

    /// `*table` without `--noflush`: the table is replaced, everything known
    /// about it is dropped.
    pub fn replace_table(&mut self, table: Table, line: u32) -> Res<()> {
        let ti = self.tv(table);
        let exists = self.kernel_exists(ti).map_err(|e| op_msg(e, line))?;
        let t = &mut self.tables[ti];
        *t = TableView::new(table);
        t.kernel_exists = Some(exists);
        t.replaced = Some(line);
        Ok(())
    }

    /// The user-defined chains the kernel's `table` has, by name (what
    /// `iptables-restore -v` reports deleting).
    pub fn kernel_user_chains(&mut self, table: Table, line: u32) -> Res<Vec<String>> {
        let ti = self.tv(table);
        if !self.kernel_exists(ti).map_err(|e| op_msg(e, line))? {
            return Ok(Vec::new());
        }
        let list = self.kernel.chains(table).map_err(|e| op_msg(e, line))?;
        let mut v: Vec<String> = list
            .into_iter()
            .filter(|c| !(c.base.is_some() && table.is_builtin(&c.name)))
            .map(|c| c.name)
            .collect();
        v.sort();
        Ok(v)
    }

    /// `*table` with `--noflush`: just make sure the table is tracked.
    pub fn open_table(&mut self, table: Table) {
        self.tv(table);
    }

    fn add_kernel_chain(&mut self, ti: usize, c: NftChain) -> usize {
        let t = &mut self.tables[ti];
        let rules = if t.flushed_all.is_some() {
            View::empty()
        } else {
            View::Lazy {
                head: Vec::new(),
                tail: Vec::new(),
            }
        };
        let builtin = t.table.is_builtin(&c.name) && c.base.is_some();
        let name = c.name.clone();
        t.chains.push(Chain {
            name: name.clone(),
            kernel: Some(c),
            created: None,
            deleted: None,
            builtin,
            policy: None,
            flushed: None,
            renamed: None,
            rules,
            deleted_rules: Vec::new(),
        });
        let i = t.chains.len() - 1;
        t.by_name.insert(name, i);
        i
    }

    /// The live chain called `name`, looked up in the kernel if the input
    /// has not said anything about that name yet.
    fn find(&mut self, ti: usize, name: &str) -> Result<Option<usize>, Error> {
        let t = &mut self.tables[ti];
        if let Some(&i) = t.by_name.get(name) {
            return Ok(Some(i));
        }
        if t.replaced.is_some() || t.all_loaded || t.seen.contains(name) {
            return Ok(None);
        }
        t.seen.insert(name.to_string());
        let table = t.table;
        match self.kernel.chain(table, name)? {
            Some(c) => Ok(Some(self.add_kernel_chain(ti, c))),
            None => Ok(None),
        }
    }

    /// Every live chain of the table (loads the kernel's chain list),
    /// built-in ones first, then by name.
    fn all_chains(&mut self, ti: usize) -> Result<Vec<usize>, Error> {
        let t = &self.tables[ti];
        if t.replaced.is_none() && !t.all_loaded {
            let list = self.kernel.chains(t.table)?;
            for c in list {
                if self.tables[ti].seen.insert(c.name.clone()) {
                    self.add_kernel_chain(ti, c);
                }
            }
            self.tables[ti].all_loaded = true;
        }
        let t = &self.tables[ti];
        let mut v: Vec<usize> = (0..t.chains.len())
            .filter(|i| t.chains[*i].live())
            .collect();
        v.sort_by(|a, b| {
            let (a, b) = (&t.chains[*a], &t.chains[*b]);
            b.builtin.cmp(&a.builtin).then_with(|| a.name.cmp(&b.name))
        });
        Ok(v)
    }

    fn new_chain(&mut self, ti: usize, name: &str, line: u32, policy: Option<PolicySet>) -> usize {
        let t = &mut self.tables[ti];
        let builtin = t.table.is_builtin(name);
        t.chains.push(Chain {
            name: name.to_string(),
            kernel: None,
            created: Some(line),
            deleted: None,
            builtin,
            policy,
            flushed: None,
            renamed: None,
            rules: View::empty(),
            deleted_rules: Vec::new(),
        });
        let i = t.chains.len() - 1;
        t.by_name.insert(name.to_string(), i);
        i
    }

    /// The chain a rule goes to: built-in chains are created on first use,
    /// as iptables-nft does.
    fn rule_chain(&mut self, ti: usize, name: &str, line: u32) -> Res<usize> {
        if let Some(i) = self.find(ti, name).map_err(|e| op_msg(e, line))? {
            return Ok(i);
        }
        if self.tables[ti].table.is_builtin(name) {
            return Ok(self.new_chain(ti, name, line, None));
        }
        Err(op_msg(no_chain(), line))
    }

    fn add_ref(&mut self, ti: usize, target: Option<u32>) {
        if let Some(t) = target {
            *self.tables[ti].refs.entry(t).or_insert(0) += 1;
        }
    }

    fn drop_ref(&mut self, ti: usize, target: Option<u32>) {
        if let Some(n) = target.and_then(|t| self.tables[ti].refs.get_mut(&t)) {
            *n = n.saturating_sub(1);
        }
    }

    fn refs_to(&self, ti: usize, name: &str) -> u32 {
        self.ids
            .get(name)
            .and_then(|id| self.tables[ti].refs.get(id))
            .copied()
            .unwrap_or(0)
    }

    /// Make a chain's rules known (kernel handles, and decoded rules if
    /// `decode`).
    fn load(&mut self, ti: usize, ci: usize, decode: bool) -> Result<(), Error> {
        let table = self.tables[ti].table;
        let family = self.src.family;
        let ch = &self.tables[ti].chains[ci];
        let need = match &ch.rules {
            View::Lazy { .. } => true,
            View::Loaded(items) => {
                decode
                    && items
                        .iter()
                        .any(|i| matches!(i, Item::Kernel { rule: None, .. }))
            }
        };
        if !need {
            return Ok(());
        }
        let krules = match &ch.kernel {
            Some(_) => self.kernel.rules(table, ch.kernel_name())?,
            None => Vec::new(),
        };
        let ch = &mut self.tables[ti].chains[ci];
        match &mut ch.rules {
            View::Lazy { head, tail } => {
                let mut items: Vec<Item> =
                    Vec::with_capacity(head.len() + krules.len() + tail.len());
                items.extend(std::mem::take(head).into_iter().rev().map(Item::New));
                let deleted: HashSet<u64> = ch.deleted_rules.iter().map(|(h, _)| *h).collect();
                for r in krules {
                    if deleted.contains(&r.handle) {
                        continue;
                    }
                    let rule =
                        decode.then(|| Box::new(decode_rule(&r.exprs, family).map_err(|e| e.0)));
                    items.push(Item::Kernel {
                        handle: r.handle,
                        rule,
                    });
                }
                items.extend(std::mem::take(tail).into_iter().map(Item::New));
                ch.rules = View::Loaded(items);
            }
            View::Loaded(items) => {
                let by_handle: HashMap<u64, NftRule> =
                    krules.into_iter().map(|r| (r.handle, r)).collect();
                for it in items.iter_mut() {
                    if let Item::Kernel {
                        handle,
                        rule: rule @ None,
                    } = it
                    {
                        *rule = Some(Box::new(match by_handle.get(handle) {
                            Some(r) => decode_rule(&r.exprs, family).map_err(|e| e.0),
                            None => Err("rule vanished".into()),
                        }));
                    }
                }
            }
        }
        Ok(())
    }

    /// The rules of a loaded chain (empty for one that is not loaded).
    fn items(&mut self, ti: usize, ci: usize) -> &mut Vec<Item> {
        let rules = &mut self.tables[ti].chains[ci].rules;
        if let View::Lazy { .. } = rules {
            // Only reached after `load`; keep whatever is there in order.
            let old = std::mem::replace(rules, View::empty());
            if let View::Lazy { head, tail } = old {
                let items = head.into_iter().rev().chain(tail).map(Item::New).collect();
                *rules = View::Loaded(items);
            }
        }
        match rules {
            View::Loaded(items) => items,
            View::Lazy { .. } => unreachable_view(),
        }
    }

    /// Remove the item at `idx` of a loaded chain.
    fn remove_item(&mut self, ti: usize, ci: usize, idx: usize, line: u32) {
        let it = self.items(ti, ci).remove(idx);
        match it {
            Item::Kernel { handle, .. } => self.tables[ti].chains[ci]
                .deleted_rules
                .push((handle, line)),
            Item::New(p) => self.drop_ref(ti, p.target),
        }
    }

    /// Drop every rule of a chain.
    fn flush_chain(&mut self, ti: usize, ci: usize, line: u32) {
        let dropped: Vec<Option<u32>> = self.tables[ti].chains[ci]
            .rules
            .pending()
            .map(|p| p.target)
            .collect();
        for t in dropped {
            self.drop_ref(ti, t);
        }
        let ch = &mut self.tables[ti].chains[ci];
        ch.rules = View::empty();
        ch.deleted_rules.clear();
        if ch.kernel.is_some() {
            ch.flushed = Some(line);
        }
    }

    /// Where the first rule equal to `rule` by spec is in a chain whose
    /// kernel rules are not loaded: the new rules put at its head are
    /// looked at first, then the kernel's rules are read only until the
    /// first match, then the new rules at its tail. `Ok(None)` if the
    /// chain is loaded (look at its items instead); an `Op` error if there
    /// is no such rule.
    fn locate_lazy(&mut self, ti: usize, ci: usize, rule: &Rule) -> Result<Option<Loc>, Error> {
        let table = self.tables[ti].table;
        let ch = &self.tables[ti].chains[ci];
        let View::Lazy { head, tail } = &ch.rules else {
            return Ok(None);
        };
        let same = |p: &Pending| self.src.rule(table, p).is_some_and(|r| r.same_spec(rule));
        // `head` holds the first rules last.
        if let Some(i) = head.iter().rposition(same) {
            return Ok(Some(Loc::Head(i)));
        }
        let tail_hit = tail.iter().position(same);
        if let Some(k) = &ch.kernel {
            let skip: Vec<u64> = ch.deleted_rules.iter().map(|(h, _)| *h).collect();
            if let Some(h) = self.kernel.find_rule(table, &k.name, &skip, rule)? {
                return Ok(Some(Loc::Kernel(h)));
            }
        }
        tail_hit.map(|i| Some(Loc::Tail(i))).ok_or_else(bad_rule)
    }

    /// `-D` by spec without loading the chain, if it is not loaded.
    /// `Ok(false)` if the chain is loaded.
    fn delete_lazy(&mut self, ti: usize, ci: usize, rule: &Rule, line: u32) -> Result<bool, Error> {
        let Some(loc) = self.locate_lazy(ti, ci, rule)? else {
            return Ok(false);
        };
        let ch = &mut self.tables[ti].chains[ci];
        let removed = match (&mut ch.rules, loc) {
            (_, Loc::Kernel(h)) => {
                ch.deleted_rules.push((h, line));
                None
            }
            (View::Lazy { head, .. }, Loc::Head(i)) => Some(head.remove(i)),
            (View::Lazy { tail, .. }, Loc::Tail(i)) => Some(tail.remove(i)),
            (View::Loaded(_), _) => None,
        };
        if let Some(p) = removed {
            self.drop_ref(ti, p.target);
        }
        Ok(true)
    }

    /// `-D CHAIN NUM` without loading the chain, if it is not loaded: the
    /// new rules at its head, then the kernel's rules read only up to rule
    /// `num`, then the new rules at its tail. `Ok(false)` if the chain is
    /// loaded (count its items instead).
    fn delete_nth_lazy(
        &mut self,
        ti: usize,
        ci: usize,
        num: usize,
        line: u32,
    ) -> Result<bool, Error> {
        let table = self.tables[ti].table;
        let ch = &self.tables[ti].chains[ci];
        let View::Lazy { head, tail } = &ch.rules else {
            return Ok(false);
        };
        let Some(idx) = num.checked_sub(1) else {
            return Ok(false);
        };
        let (heads, tails) = (head.len(), tail.len());
        let removed = if idx < heads {
            // `head` holds the first rules last
            Some((true, heads - 1 - idx))
        } else {
            let k = idx - heads;
            let in_kernel = match &ch.kernel {
                Some(_) => {
                    let skip: Vec<u64> = ch.deleted_rules.iter().map(|(h, _)| *h).collect();
                    let name = ch.kernel_name().to_string();
                    self.kernel.nth_rule(table, &name, &skip, k)?
                }
                None => Err(0),
            };
            match in_kernel {
                Ok(h) => {
                    self.tables[ti].chains[ci].deleted_rules.push((h, line));
                    None
                }
                Err(count) if k - count < tails => Some((false, k - count)),
                Err(_) => return Err(Error::Op("Index of deletion too big".into())),
            }
        };
        let ch = &mut self.tables[ti].chains[ci];
        let p = match (&mut ch.rules, removed) {
            (View::Lazy { head, .. }, Some((true, i))) => Some(head.remove(i)),
            (View::Lazy { tail, .. }, Some((false, i))) => Some(tail.remove(i)),
            _ => None,
        };
        if let Some(p) = p {
            self.drop_ref(ti, p.target);
        }
        Ok(true)
    }

    /// The first rule of a loaded chain equal to `rule` by spec.
    fn index_of(&self, ti: usize, ci: usize, rule: &Rule) -> Option<usize> {
        let table = self.tables[ti].table;
        let View::Loaded(items) = &self.tables[ti].chains[ci].rules else {
            return None;
        };
        items.iter().position(|it| match it {
            Item::Kernel { rule: Some(r), .. } => matches!(&**r, Ok(r) if r.same_spec(rule)),
            Item::Kernel { .. } => false,
            Item::New(p) => self.src.rule(table, p).is_some_and(|r| r.same_spec(rule)),
        })
    }

    /// `-X` of one chain. iptables-nft refuses a built-in chain that it
    /// knows holds rules (`Directory not empty`) and leaves every other
    /// refusal to the kernel (`Device or resource busy`, returned here as a
    /// [`RestoreError::Kernel`]): a user chain that still holds rules or is
    /// jumped to is deleted from the view all the same, as from
    /// iptables-nft's cache, and the caller goes on with the block.
    fn delete_chain(&mut self, ti: usize, ci: usize, line: u32) -> Res<()> {
        let ch = &self.tables[ti].chains[ci];
        // 1.8.10-1.8.13 delete an empty built-in chain (its counters go)
        // and fail in three other ways otherwise; it is never deleted here.
        if ch.builtin {
            return Err(op_msg(
                Error::Op("Can't delete built-in chain".into()),
                line,
            ));
        }
        let busy = self.refs_to(ti, &ch.name) > 0 || ch.rules.has_rules();
        let name = ch.name.clone();
        let t = &mut self.tables[ti];
        t.by_name.remove(&name);
        t.chains[ci].deleted = Some(line);
        if busy {
            return Err(chain_busy(line, &name));
        }
        Ok(())
    }

    fn set_policy(
        &mut self,
        ti: usize,
        name: &str,
        accept: bool,
        counters: Option<Counters>,
        line: u32,
    ) -> Res<()> {
        // `nft_chain_set` always sends counters: none given means [0:0]
        // (`-P INPUT DROP` and a `:INPUT DROP` line reset them).
        let counters = Some(counters.unwrap_or_default());
        match self.find(ti, name).map_err(|e| op_msg(e, line))? {
            Some(ci) => {
                let ch = &mut self.tables[ti].chains[ci];
                ch.policy = Some(PolicySet {
                    accept,
                    counters,
                    line,
                });
            }
            None => {
                let p = PolicySet {
                    accept,
                    counters,
                    line,
                };
                self.new_chain(ti, name, line, Some(p));
            }
        }
        Ok(())
    }

    /// `:CHAIN POLICY [p:b]` of a block for `table`. `counters` are the
    /// chain counters when `--counters` is in effect.
    pub fn chain_line(
        &mut self,
        table: Table,
        name: &str,
        policy: &str,
        counters: Option<Counters>,
        line: u32,
    ) -> Res<()> {
        let ti = self.tv(table);
        if table.is_builtin(name) {
            let accept = match policy {
                "ACCEPT" => true,
                "DROP" => false,
                "-" => {
                    // No policy: the chain just has to exist.
                    self.rule_chain(ti, name, line)?;
                    return Ok(());
                }
                _ => return Err(op_msg(Error::Invalid("Bad policy name".into()), line)),
            };
            return self.set_policy(ti, name, accept, counters, line);
        }
        // A user chain (whatever the policy word says): created, or
        // flushed if it exists.
        match self.find(ti, name).map_err(|e| op_msg(e, line))? {
            Some(ci) => self.flush_chain(ti, ci, line),
            None => {
                self.new_chain(ti, name, line, None);
            }
        }
        Ok(())
    }

    fn pending(&mut self, rule: Rule, line: u32) -> Pending {
        let target = match &rule.target {
            Target::Jump(c) | Target::Goto(c) => Some(self.intern(c)),
            _ => None,
        };
        Pending {
            line,
            src: Src::Rule(Box::new(rule)),
            target,
        }
    }

    /// A chain a rule jumps or goes to must exist when the rule is read
    /// (iptables checks it before anything else of the command).
    fn check_target(&mut self, ti: usize, target: Option<&str>, line: u32) -> Res<()> {
        let Some(t) = target else { return Ok(()) };
        if self.find(ti, t).map_err(|e| op_msg(e, line))?.is_some() {
            return Ok(());
        }
        Err(RestoreError::NoTarget {
            line,
            chain: t.to_string(),
        })
    }

    fn check_targets(&mut self, ti: usize, rules: &[Rule], line: u32) -> Res<()> {
        for r in rules {
            if let Target::Jump(c) | Target::Goto(c) = &r.target {
                self.check_target(ti, Some(c), line)?;
            }
        }
        Ok(())
    }

    /// Add rules to a chain: at the end (`at` is `None`) or each at index
    /// `at` (so a list ends up reversed, as with iptables `-I`).
    fn push_rules(&mut self, ti: usize, ci: usize, rules: Vec<Rule>, line: u32, at: Option<usize>) {
        for r in rules {
            let p = self.pending(r, line);
            self.add_ref(ti, p.target);
            let ch = &mut self.tables[ti].chains[ci];
            match (&mut ch.rules, at) {
                (View::Lazy { tail, .. }, None) => tail.push(p),
                (View::Lazy { head, .. }, Some(0)) => head.push(p),
                (View::Loaded(items), None) => items.push(Item::New(p)),
                (View::Loaded(items), Some(i)) => items.insert(i, Item::New(p)),
                (View::Lazy { .. }, Some(i)) => {
                    // Not reached: positions other than 1 load the chain.
                    let items = self.items(ti, ci);
                    let i = i.min(items.len());
                    items.insert(i, Item::New(p));
                }
            }
        }
    }

    /// `-A` of one rule that reads the same from its line again
    /// ([`replayable`]): the rule is kept as its place in the input
    /// (`start`, `len`) and read again when the batch is written.
    pub fn append_line(
        &mut self,
        table: Table,
        chain: &str,
        rule: &Rule,
        line: u32,
        span: (u32, u32),
    ) -> Res<()> {
        let ti = self.tv(table);
        let jump = match &rule.target {
            Target::Jump(c) | Target::Goto(c) => Some(c.as_str()),
            _ => None,
        };
        self.check_target(ti, jump, line)?;
        let ci = self.rule_chain(ti, chain, line)?;
        let target = jump.map(|c| self.intern(c));
        self.add_ref(ti, target);
        // its message now, while the rule is at hand (sent as it is when
        // the batch allows, see `Plan::built`)
        let built = if self.built.has_room() {
            let (exprs, compat) = encode_rule_as(rule, self.src.family, self.src.layout);
            let body = NftRule {
                chain: self.tables[ti].chains[ci].kernel_name().to_string(),
                handle: 0,
                exprs,
                compat,
                udata: None,
            };
            self.built
                .push(nfproto(self.src.family), table.name(), &body)
        } else {
            None
        };
        let p = Pending {
            line,
            src: Src::Line {
                start: span.0,
                len: span.1,
                built,
            },
            target,
        };
        match &mut self.tables[ti].chains[ci].rules {
            View::Lazy { tail, .. } => tail.push(p),
            View::Loaded(items) => items.push(Item::New(p)),
        }
        Ok(())
    }

    /// Apply one command of a block for its table.
    pub fn command(&mut self, cmd: Command, line: u32) -> Res<()> {
        let table = cmd.table;
        let ti = self.tv(table);
        let op = |e: Error| op_msg(e, line);
        match &cmd.action {
            Action::Append { rules, .. }
            | Action::Insert { rules, .. }
            | Action::Delete { rules, .. } => self.check_targets(ti, rules, line)?,
            // `-C` checks its target in order with the other commands.
            Action::Check { rules, .. } => {
                self.check_targets(ti, rules, line).map_err(|e| match e {
                    RestoreError::NoTarget { line, chain } => RestoreError::Param {
                        line,
                        err: Error::Param(format!("Chain '{chain}' does not exist")),
                    },
                    e => e,
                })?
            }
            Action::Replace { rule, .. } => {
                self.check_targets(ti, std::slice::from_ref(rule), line)?
            }
            _ => {}
        }
        match cmd.action {
            Action::Append { chain, rules } => {
                let ci = self.rule_chain(ti, &chain, line)?;
                self.push_rules(ti, ci, rules, line, None);
                Ok(())
            }
            Action::Insert { chain, num, rules } => {
                let ci = self.rule_chain(ti, &chain, line)?;
                if num == 1 && matches!(self.tables[ti].chains[ci].rules, View::Lazy { .. }) {
                    self.push_rules(ti, ci, rules, line, Some(0));
                    return Ok(());
                }
                self.load(ti, ci, false).map_err(op)?;
                if num - 1 > self.items(ti, ci).len() {
                    return Err(op(Error::Op("Index of insertion too big".into())));
                }
                self.push_rules(ti, ci, rules, line, Some(num - 1));
                Ok(())
            }
            Action::Delete { chain, rules } => {
                let Some(ci) = self.find(ti, &chain).map_err(op)? else {
                    return Err(op(if table.is_builtin(&chain) {
                        bad_rule()
                    } else {
                        no_chain()
                    }));
                };
                for r in &rules {
                    if !self.delete_lazy(ti, ci, r, line).map_err(op)? {
                        self.load(ti, ci, true).map_err(op)?;
                        let idx = self.index_of(ti, ci, r).ok_or_else(|| op(bad_rule()))?;
                        self.remove_item(ti, ci, idx, line);
                    }
                }
                Ok(())
            }
            Action::DeleteNum { chain, num } => {
                let ci = self
                    .find(ti, &chain)
                    .map_err(op)?
                    .ok_or_else(|| op(no_chain()))?;
                if self.delete_nth_lazy(ti, ci, num, line).map_err(op)? {
                    return Ok(());
                }
                self.load(ti, ci, false).map_err(op)?;
                if num > self.items(ti, ci).len() {
                    return Err(op(Error::Op("Index of deletion too big".into())));
                }
                self.remove_item(ti, ci, num - 1, line);
                Ok(())
            }
            Action::Replace { chain, num, rule } => {
                let ci = self
                    .find(ti, &chain)
                    .map_err(op)?
                    .ok_or_else(|| op(no_chain()))?;
                self.load(ti, ci, false).map_err(op)?;
                if num > self.items(ti, ci).len() {
                    return Err(op(Error::Op("Index of replacement too big".into())));
                }
                // A kernel rule is deleted and the new one inserted in its
                // place.
                self.remove_item(ti, ci, num - 1, line);
                self.push_rules(ti, ci, vec![*rule], line, Some(num - 1));
                Ok(())
            }
            Action::Check { chain, rules } => {
                let ci = self
                    .find(ti, &chain)
                    .map_err(op)?
                    .ok_or_else(|| op(bad_rule()))?;
                for r in &rules {
                    if self.locate_lazy(ti, ci, r).map_err(op)?.is_none() {
                        self.load(ti, ci, true).map_err(op)?;
                        self.index_of(ti, ci, r).ok_or_else(|| op(bad_rule()))?;
                    }
                }
                Ok(())
            }
            Action::Flush { chain: Some(c) } => {
                // A missing built-in chain is made, as iptables-nft does.
                let ci = self.rule_chain(ti, &c, line)?;
                self.flush_chain(ti, ci, line);
                Ok(())
            }
            Action::Flush { chain: None } => {
                if self.tables[ti].replaced.is_none() && self.kernel_exists(ti).map_err(op)? {
                    self.tables[ti].flushed_all = Some(line);
                }
                let live: Vec<usize> = (0..self.tables[ti].chains.len())
                    .filter(|i| self.tables[ti].chains[*i].live())
                    .collect();
                for ci in live {
                    self.flush_chain(ti, ci, line);
                    if self.tables[ti].flushed_all.is_some() {
                        // The table flush covers the kernel's rules.
                        self.tables[ti].chains[ci].flushed = None;
                    }
                }
                Ok(())
            }
            Action::NewChain { chain } => {
                if table.is_builtin(&chain) || self.find(ti, &chain).map_err(op)?.is_some() {
                    return Err(op(Error::Op("Chain already exists".into())));
                }
                self.new_chain(ti, &chain, line, None);
                Ok(())
            }
            Action::DeleteChain { chain: Some(c) } => {
                let ci = self
                    .find(ti, &c)
                    .map_err(op)?
                    .ok_or_else(|| op(no_chain()))?;
                self.delete_chain(ti, ci, line)
            }
            Action::DeleteChain { chain: None } => {
                let mut first = Ok(());
                for ci in self.all_chains(ti).map_err(op)? {
                    if !self.tables[ti].chains[ci].builtin {
                        match self.delete_chain(ti, ci, line) {
                            Err(e @ RestoreError::Kernel { .. }) => {
                                if first.is_ok() {
                                    first = Err(e);
                                }
                            }
                            other => other?,
                        }
                    }
                }
                first
            }
            Action::Policy {
                chain,
                policy,
                counters,
            } => {
                if !table.is_builtin(&chain) {
                    return Err(op(Error::Op("Bad built-in chain name".into())));
                }
                let accept = match policy.as_str() {
                    "ACCEPT" => true,
                    "DROP" => false,
                    _ => return Err(op(Error::Invalid("Bad policy name".into()))),
                };
                // iptables-nft 1.8.10+ pass no counters for -P (`-c` is
                // read and ignored): the chain's counters become [0:0].
                let _ = counters;
                self.set_policy(ti, &chain, accept, None, line)
            }
            Action::Rename { old, new } => self.rename(ti, &old, &new, line),
            Action::Zero { chain, num } => {
                let chains = match chain {
                    Some(c) => match self.find(ti, &c).map_err(op)? {
                        Some(ci) => vec![ci],
                        // a built-in chain not made yet has nothing to
                        // zero (and no rule N), as with iptables-nft
                        None if table.is_builtin(&c) => {
                            return match num {
                                Some(_) => Err(op(bad_rule())),
                                None => Ok(()),
                            };
                        }
                        None => return Err(op(no_chain())),
                    },
                    None => self.all_chains(ti).map_err(op)?,
                };
                for ci in chains {
                    self.zero(ti, ci, num, line).map_err(op)?;
                }
                Ok(())
            }
            // Listing, version and help are handled by the caller.
            Action::List { .. }
            | Action::ListRules { .. }
            | Action::Version { .. }
            | Action::Help(_) => Ok(()),
        }
    }

    /// A new rule as a model rule, to be changed.
    fn materialize(&self, table: Table, p: &mut Pending) -> Option<Rule> {
        let r = self.src.rule(table, p)?;
        if let Src::Line { .. } = p.src {
            p.src = Src::Rule(Box::new(r.clone()));
        }
        Some(r)
    }

    fn rename(&mut self, ti: usize, old: &str, new: &str, line: u32) -> Res<()> {
        let op = |e: Error| op_msg(e, line);
        let table = self.tables[ti].table;
        // The new name is checked first, as iptables does.
        if table.is_builtin(new) || self.find(ti, new).map_err(op)?.is_some() {
            return Err(op(Error::Op("File exists".into())));
        }
        let ci = self
            .find(ti, old)
            .map_err(op)?
            .ok_or_else(|| op(no_chain()))?;
        if table.is_builtin(old) {
            // 1.8.9-1.8.13 rename it and leave a table no iptables lists.
            return Err(op(Error::Op("Can't rename built-in chain".into())));
        }
        let t = &mut self.tables[ti];
        t.by_name.remove(old);
        t.by_name.insert(new.to_string(), ci);
        let ch = &mut t.chains[ci];
        ch.name = new.to_string();
        if ch.kernel.is_some() {
            ch.renamed = Some(line);
        }
        // New rules follow the chain, as the kernel moves references.
        let Some(&old_id) = self.ids.get(old) else {
            return Ok(());
        };
        let n = self.tables[ti].refs.remove(&old_id).unwrap_or(0);
        if n == 0 {
            return Ok(());
        }
        let new_id = self.intern(new);
        *self.tables[ti].refs.entry(new_id).or_insert(0) += n;
        let mut chains = std::mem::take(&mut self.tables[ti].chains);
        for c in chains.iter_mut() {
            for p in c.rules.pending_mut() {
                if p.target != Some(old_id) {
                    continue;
                }
                if let Some(mut r) = self.materialize(table, p) {
                    r.target = match r.target {
                        Target::Goto(_) => Target::Goto(new.to_string()),
                        _ => Target::Jump(new.to_string()),
                    };
                    p.src = Src::Rule(Box::new(r));
                    p.target = Some(new_id);
                }
            }
        }
        self.tables[ti].chains = chains;
        Ok(())
    }

    fn zero(&mut self, ti: usize, ci: usize, num: Option<usize>, line: u32) -> Result<(), Error> {
        let table = self.tables[ti].table;
        if num.is_none() {
            let ch = &mut self.tables[ti].chains[ci];
            if ch.builtin {
                if let Some(k) = &ch.kernel {
                    let accept = ch
                        .policy
                        .map(|p| p.accept)
                        .or(k.base.as_ref().map(|b| b.policy_accept))
                        .unwrap_or(true);
                    ch.policy = Some(PolicySet {
                        accept,
                        counters: Some(Counters::default()),
                        line,
                    });
                } else if let Some(p) = &mut ch.policy {
                    p.counters = None;
                }
            }
        }
        self.load(ti, ci, true)?;
        // `-Z CHAIN N` of a rule that is not there fails as iptables' does
        if num.is_some_and(|n| n > self.items(ti, ci).len()) {
            return Err(bad_rule());
        }
        let mut items = std::mem::take(self.items(ti, ci));
        let mut deleted = Vec::new();
        for (i, it) in items.iter_mut().enumerate() {
            if num.is_some_and(|n| n != i + 1) {
                continue;
            }
            match it {
                Item::New(p) => {
                    if let Some(mut r) = self.materialize(table, p) {
                        r.counters = Counters::default();
                        p.src = Src::Rule(Box::new(r));
                    }
                }
                Item::Kernel {
                    handle,
                    rule: Some(r),
                } if matches!(&**r, Ok(r) if r.counters != Counters::default()) => {
                    let Ok(r) = &**r else { continue };
                    // Zeroed by deleting it and inserting it again in place.
                    let mut z = r.clone();
                    z.counters = Counters::default();
                    deleted.push((*handle, line));
                    let p = self.pending(z, line);
                    *it = Item::New(p);
                }
                Item::Kernel { .. } => {}
            }
        }
        let ch = &mut self.tables[ti].chains[ci];
        ch.rules = View::Loaded(items);
        ch.deleted_rules.extend(deleted);
        Ok(())
    }

    /// `COMMIT` of a block for `table`: every chain a new rule jumps to must
    /// exist now. The error names the first line that jumps to a missing
    /// chain.
    pub fn commit_check(&mut self, table: Table) -> Res<()> {
        let ti = self.tv(table);
        let mut ids: Vec<u32> = self.tables[ti]
            .refs
            .iter()
            .filter(|(_, n)| **n > 0)
            .map(|(k, _)| *k)
            .collect();
        ids.sort_unstable();
        let mut missing: Vec<u32> = Vec::new();
        for id in ids {
            let name = self.names[id as usize].clone();
            if self.find(ti, &name).map_err(RestoreError::Other)?.is_none() {
                missing.push(id);
            }
        }
        if missing.is_empty() {
            return Ok(());
        }
        let t = &self.tables[ti];
        let first = t
            .chains
            .iter()
            .filter(|c| c.live())
            .flat_map(|c| c.rules.pending())
            .filter_map(|p| {
                p.target
                    .filter(|id| missing.contains(id))
                    .map(|id| (p.line, id))
            })
            .min()
            .unwrap_or((0, missing[0]));
        Err(RestoreError::NoTarget {
            line: first.0,
            chain: self.names[first.1 as usize].clone(),
        })
    }

    /// What `-v` names for `-F`, `-Z` or `-X` of a whole table: the
    /// built-in chains (present or not; not for `-X`), then the live
    /// user-defined chains by name.
    pub fn chain_names(&mut self, table: Table, users_only: bool, line: u32) -> Res<Vec<String>> {
        let ti = self.tv(table);
        let cis = self.all_chains(ti).map_err(|e| op_msg(e, line))?;
        let t = &self.tables[ti];
        let users = cis
            .into_iter()
            .filter(|ci| !t.chains[*ci].builtin)
            .map(|ci| t.chains[ci].name.clone());
        let builtins = table.builtin_chains().iter().map(|c| c.to_string());
        Ok(match users_only {
            true => users.collect(),
            false => builtins.chain(users).collect(),
        })
    }

    /// The table as the input has left it so far: what an `-L`/`-S` line
    /// of the input lists (iptables-restore runs it in order, after the
    /// commands before it). Loads and decodes every chain of the table.
    pub fn snapshot(&mut self, table: Table) -> Result<TableState, Error> {
        let ti = self.tv(table);
        let mut st = TableState::empty(table);
        st.exists = self.tables[ti].replaced.is_some() || self.kernel_exists(ti)?;
        for ci in self.all_chains(ti)? {
            self.load(ti, ci, true)?;
            let ch = &self.tables[ti].chains[ci];
            let mut rules = Vec::new();
            if let View::Loaded(items) = &ch.rules {
                for it in items {
                    rules.push(match it {
                        Item::Kernel { handle, rule } => RuleEntry {
                            handle: *handle,
                            rule: rule
                                .as_deref()
                                .cloned()
                                .unwrap_or_else(|| Err("rule not read".into())),
                        },
                        Item::New(p) => RuleEntry {
                            handle: 0,
                            rule: self
                                .src
                                .rule(table, p)
                                .ok_or_else(|| "rule not read again".to_string()),
                        },
                    });
                }
            }
            // Policies (and their counters) set by the input are applied
            // with the batch, after the commands: a listing shows the
            // kernel's (ACCEPT for a chain not made yet).
            let kernel = ch.kernel.as_ref();
            let policy = ch
                .builtin
                .then(|| match kernel.and_then(|k| k.base.as_ref()) {
                    Some(b) if !b.policy_accept => Policy::Drop,
                    _ => Policy::Accept,
                });
            let counters = kernel.map_or_else(Counters::default, |k| Counters {
                packets: k.packets,
                bytes: k.bytes,
            });
            let entry = ChainState {
                name: ch.name.clone(),
                policy,
                counters,
                exists: true,
                handle: kernel.map_or(0, |k| k.handle),
                rules,
                refs: None,
            };
            match st.chain_mut(&entry.name).filter(|e| e.is_builtin()) {
                Some(existing) if entry.policy.is_some() => *existing = entry,
                _ => st.chains.push(entry),
            }
        }
        st.sort_chains();
        Ok(st)
    }

    /// The transaction that takes the kernel to the final state.
    pub fn finish(self) -> Plan<'t> {
        let mut plan = Plan::new(self.src, self.built);
        for t in self.tables {
            emit_table(t, &mut plan);
        }
        plan
    }
}

#[allow(clippy::panic)]
fn unreachable_view() -> ! {
    // `items` has just made the view `Loaded`.
    panic!("restore planner: chain view not loaded")
}

/// An error of a command at `line`: kernel-read problems keep their own
/// form, everything else is `line N failed: MSG.`.
fn op_msg(e: Error, line: u32) -> RestoreError {
    match e {
        Error::Op(m) => RestoreError::Failed { line, msg: Some(m) },
        Error::Invalid(m) => RestoreError::Invalid { line, msg: m },
        Error::Param(_) | Error::ParamBare(_) => RestoreError::Param { line, err: e },
        other => RestoreError::Other(other),
    }
}

/// The netlink family of a family.
fn nfproto(f: crate::model::Family) -> NfProto {
    match f {
        crate::model::Family::V4 => NfProto::Ipv4,
        crate::model::Family::V6 => NfProto::Ipv6,
    }
}
