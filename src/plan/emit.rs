//! The transaction of a planned input: the ops that take the kernel from
//! its state to the planner's final view, emitted in phases that keep every
//! reference valid (see [`super::sim`]), each op built only when the batch
//! is written.

use super::built::Built;
use super::view::{Chain, Item, Pending, Source, Src, TableView, View};
use crate::ir::BaseSpec;
use crate::ir::{NftRule, Op, Position};
use crate::model::bytes::to_bytes;
use crate::model::Table;
use crate::nft::builtin::base_spec;
use crate::nft::encode::encode_rule_as;
use crate::nft::wire::rule_msg_names;
use crate::rule::{Counters, Target};
use std::collections::HashMap;

/// One op of the transaction, or the recipe for one (a new rule is parsed
/// and encoded only when its op is built).
#[derive(Debug, Clone)]
enum Step {
    /// an op other than a new rule or user chain (boxed: there are few)
    Op(Box<Op>),
    /// a new user chain (`AddChain` with `excl`): index into
    /// [`Plan::chains`], whose name it takes (so that tens of thousands of
    /// chains hold no op of their own until the batch is written)
    NewChain(u32),
    /// a new rule
    Rule {
        /// index into [`Plan::chains`]
        chain: u32,
        rule: Pending,
        pos: Position,
    },
}

/// The chain new rules go to, as the batch names it.
#[derive(Debug, Clone)]
struct RuleChain {
    table: Table,
    /// its name in the kernel until the commit
    name: String,
    /// index into [`Plan::renames`] when chains of the table are renamed
    renames: Option<u32>,
}

/// The transaction of a restore: its ops, each with the input line it
/// stands for. Ops are built on demand ([`Plan::ops`]).
#[derive(Debug, Clone)]
pub struct Plan<'t> {
    src: Source<'t>,
    steps: Vec<Step>,
    lines: Vec<u32>,
    chains: Vec<RuleChain>,
    /// per table with renamed kernel chains: new name → kernel name
    renames: Vec<HashMap<String, String>>,
    /// the messages of the `-A` lines, built as they were read
    built: Built,
}

/// A run of ops whose messages were built as their lines were read, back
/// to back in one chunk of [`Built`]: ops `first..first + count`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BuiltRun {
    /// the first op of the run
    pub first: usize,
    /// how many ops
    pub count: usize,
    chunk: u32,
    start: u32,
    end: u32,
}

/// Table of an op that can never succeed: a rule that could not be built
/// becomes a deletion in it, so that the kernel refuses the whole batch.
const POISON_TABLE: &str = "rxtables-rule-rebuild-failed";

impl<'t> Plan<'t> {
    pub(super) fn new(src: Source<'t>, built: Built) -> Self {
        Plan {
            src,
            steps: Vec::new(),
            lines: Vec::new(),
            chains: Vec::new(),
            renames: Vec::new(),
            built,
        }
    }

    /// The runs of ops whose messages can be sent as they were built (an
    /// op's message, whether built as its line was read or from the op,
    /// is the same bytes): the usual restore. `None` when there are none
    /// or a rule with a message is not a plain append in the plan's order:
    /// then every op is built from the plan ([`Plan::op`]) and
    /// [`Plan::drop_built`] frees the messages.
    pub fn built_runs(&self) -> Option<Vec<BuiltRun>> {
        const MAX_RUNS: usize = 512;
        let mut runs: Vec<BuiltRun> = Vec::new();
        for (i, step) in self.steps.iter().enumerate() {
            let Step::Rule { chain, rule, pos } = step else {
                continue;
            };
            // (a rule without a message is built from the plan)
            let Src::Line { built: Some(r), .. } = &rule.src else {
                continue;
            };
            let ch = self.chains.get(*chain as usize)?;
            if *pos != Position::Append || ch.renames.is_some() {
                return None;
            }
            // the table and chain it names are the op's
            let (table, name) = rule_msg_names(self.built.msg(*r)?)?;
            if table != ch.table.name().as_bytes() || name != &*to_bytes(&ch.name) {
                return None;
            }
            match runs.last_mut() {
                Some(run)
                    if run.chunk == r.chunk && run.end == r.start && run.first + run.count == i =>
                {
                    run.count += 1;
                    run.end += r.len;
                }
                // runs go out in the order of the plan: they must be in
                // the order they were built in (and apart) too
                Some(run) if (r.chunk, r.start) < (run.chunk, run.end) => return None,
                _ => runs.push(BuiltRun {
                    first: i,
                    count: 1,
                    chunk: r.chunk,
                    start: r.start,
                    end: r.start + r.len,
                }),
            }
        }
        (!runs.is_empty() && runs.len() <= MAX_RUNS).then_some(runs)
    }

    /// The messages built as lines were read, taken out of the plan (to
    /// be sent with [`built_msgs`] while the plan builds the other ops).
    pub fn take_built(&mut self) -> Built {
        std::mem::take(&mut self.built)
    }

    /// Frees the messages built as lines were read (when they are not
    /// sent: the batch is built from the ops).
    pub fn drop_built(&mut self) {
        self.built = Built::default();
    }

    fn push(&mut self, op: Op, line: u32) {
        self.steps.push(Step::Op(Box::new(op)));
        self.lines.push(line);
    }

    /// How many ops.
    pub fn len(&self) -> usize {
        self.steps.len()
    }

    /// No op at all?
    pub fn is_empty(&self) -> bool {
        self.steps.is_empty()
    }

    /// The input line of op `i`.
    pub fn line(&self, i: usize) -> Option<u32> {
        self.lines.get(i).copied()
    }

    /// Does op `i` stand for a rule that could not be rebuilt (a bug)?
    pub fn broken(&self, i: usize) -> bool {
        matches!(self.op(i), Op::DelRule { table, .. } if table == POISON_TABLE)
    }

    /// Op `i`, built.
    pub fn op(&self, i: usize) -> Op {
        match &self.steps[i] {
            Step::Op(op) => (**op).clone(),
            Step::NewChain(c) => {
                let ch = &self.chains[*c as usize];
                Op::AddChain {
                    table: ch.table.name().to_string(),
                    chain: ch.name.clone(),
                    base: None,
                    excl: true,
                }
            }
            Step::Rule { chain, rule, pos } => {
                let ch = &self.chains[*chain as usize];
                self.rule_op(ch, rule, *pos)
            }
        }
    }

    fn rule_op(&self, ch: &RuleChain, rule: &Pending, pos: Position) -> Op {
        match self.src.rule(ch.table, rule) {
            Some(mut r) => {
                if let (Some(m), Target::Jump(c) | Target::Goto(c)) = (
                    ch.renames.and_then(|i| self.renames.get(i as usize)),
                    &mut r.target,
                ) {
                    if let Some(old) = m.get(c.as_str()) {
                        *c = old.clone();
                    }
                }
                let (exprs, compat) = encode_rule_as(&r, self.src.family, self.src.layout);
                Op::AddRule {
                    table: ch.table.name().to_string(),
                    rule: NftRule {
                        chain: ch.name.clone(),
                        handle: 0,
                        exprs,
                        compat,
                        udata: None,
                    },
                    pos,
                }
            }
            None => Op::DelRule {
                table: POISON_TABLE.into(),
                chain: "-".into(),
                handle: 0,
            },
        }
    }

    /// Every op, in order, each built when it is asked for.
    pub fn ops(&self) -> impl ExactSizeIterator<Item = Op> + '_ {
        (0..self.steps.len()).map(|i| self.op(i))
    }
}

fn add_rule(plan: &mut Plan<'_>, chain: u32, p: Pending, pos: Position) {
    plan.lines.push(p.line);
    plan.steps.push(Step::Rule {
        chain,
        rule: p,
        pos,
    });
}

pub(super) fn emit_table(t: TableView, plan: &mut Plan<'_>) {
    let tname = t.table.name();
    let s = || tname.to_string();
    // 1. the table replaced
    if let (Some(line), Some(true)) = (t.replaced, t.kernel_exists) {
        plan.push(Op::DelTable { table: s() }, line);
    }
    // 2. flushes and deletions of kernel rules
    if let Some(line) = t.flushed_all {
        plan.push(Op::FlushTable { table: s() }, line);
    }
    for c in t.chains.iter().filter(|c| c.kernel.is_some()) {
        if let Some(line) = c.flushed {
            let chain = c.kernel_name().to_string();
            plan.push(Op::FlushChain { table: s(), chain }, line);
        }
        for (h, line) in &c.deleted_rules {
            let chain = c.kernel_name().to_string();
            plan.push(
                Op::DelRule {
                    table: s(),
                    chain,
                    handle: *h,
                },
                *line,
            );
        }
    }
    // 3. kernel chains deleted
    for c in t.chains.iter().filter(|c| c.kernel.is_some()) {
        if let Some(line) = c.deleted {
            let chain = c.kernel_name().to_string();
            plan.push(Op::DelChain { table: s(), chain }, line);
        }
    }
    // 4. kernel chains renamed. The kernel applies a rename when the
    // transaction commits: until then the chain keeps its old name, so the
    // batch names it by that name everywhere (rules into it, jumps to it).
    // For the same reason a rename cannot take a name another chain still
    // has, nor can a new chain take the old name; the kernel says so.
    let mut renames: HashMap<String, String> = HashMap::new();
    for c in t.chains.iter().filter(|c| c.live()) {
        let Some(k) = &c.kernel else { continue };
        if c.name != k.name {
            renames.insert(c.name.clone(), k.name.clone());
            plan.push(
                Op::RenameChain {
                    table: s(),
                    handle: k.handle,
                    new_name: c.name.clone(),
                },
                c.renamed.unwrap_or(0),
            );
        }
    }
    // The chains new rules and new user chains refer to, one entry per
    // live chain, in the order of `t.chains`.
    let renames = if renames.is_empty() {
        None
    } else {
        plan.renames.push(renames);
        Some(plan.renames.len() as u32 - 1)
    };
    let first_chain = plan.chains.len() as u32;
    for c in t.chains.iter().filter(|c| c.live()) {
        plan.chains.push(RuleChain {
            table: t.table,
            name: c.kernel_name().to_string(),
            renames,
        });
    }
    // 5. the table, new chains, policies
    let mut new_chains = t
        .chains
        .iter()
        .filter(|c| c.live())
        .zip(first_chain..)
        .filter(|(c, _)| c.kernel.is_none())
        .peekable();
    if let Some((first, _)) = new_chains.peek() {
        let line = t.replaced.or(first.created).unwrap_or(0);
        plan.push(Op::AddTable { table: s() }, line);
    }
    for (c, ci) in new_chains {
        let line = c.created.unwrap_or(0);
        let base: Option<BaseSpec> = if c.builtin {
            base_spec(t.table, &c.name).map(|b| BaseSpec {
                policy_accept: c.policy.is_none_or(|p| p.accept),
                ..b
            })
        } else {
            None
        };
        let Some(base) = base else {
            plan.steps.push(Step::NewChain(ci));
            plan.lines.push(line);
            continue;
        };
        plan.push(
            Op::AddChain {
                table: s(),
                chain: c.name.clone(),
                base: Some(base),
                excl: false,
            },
            line,
        );
        if let Some(p) = c.policy {
            if let Some(ctr) = p.counters.filter(|c| *c != Counters::default()) {
                plan.push(
                    Op::SetPolicy {
                        table: s(),
                        chain: c.name.clone(),
                        accept: p.accept,
                        counters: Some((ctr.packets, ctr.bytes)),
                    },
                    p.line,
                );
            }
        }
    }
    for c in t
        .chains
        .iter()
        .filter(|c| c.live() && c.kernel.is_some() && c.builtin)
    {
        if let Some(p) = c.policy {
            plan.push(
                Op::SetPolicy {
                    table: s(),
                    chain: c.name.clone(),
                    accept: p.accept,
                    counters: p.counters.map(|c| (c.packets, c.bytes)),
                },
                p.line,
            );
        }
    }
    // 6. new rules
    let count: usize = t
        .chains
        .iter()
        .filter(|c| c.live())
        .map(|c| c.rules.pending().count())
        .sum();
    plan.steps.reserve(count);
    plan.lines.reserve(count);
    // Rules only appended, each kept as its line: in the order of their
    // lines (appends to different chains commute), so that the messages
    // built as the lines were read go out back to back as they were built.
    if renames.is_none() && t.chains.iter().filter(|c| c.live()).all(only_line_appends) {
        let mut all: Vec<(u32, u32, Pending)> = Vec::with_capacity(count);
        for (c, ci) in t.chains.into_iter().filter(Chain::live).zip(first_chain..) {
            let news = match c.rules {
                View::Lazy { tail, .. } => tail,
                View::Loaded(items) => items
                    .into_iter()
                    .filter_map(|it| match it {
                        Item::New(p) => Some(p),
                        Item::Kernel { .. } => None,
                    })
                    .collect(),
            };
            for p in news {
                all.push((p.line, ci, p));
            }
        }
        all.sort_by_key(|(line, _, _)| *line);
        for (_, ci, p) in all {
            add_rule(plan, ci, p, Position::Append);
        }
        return;
    }
    for (c, ci) in t.chains.into_iter().filter(Chain::live).zip(first_chain..) {
        match c.rules {
            View::Lazy { head, tail } => {
                for p in head {
                    add_rule(plan, ci, p, Position::Prepend);
                }
                for p in tail {
                    add_rule(plan, ci, p, Position::Append);
                }
            }
            View::Loaded(items) => {
                // Each run of new rules goes before the kernel rule after it.
                let mut run: Vec<Pending> = Vec::new();
                for it in items {
                    match it {
                        Item::New(p) => run.push(p),
                        Item::Kernel { handle, .. } => {
                            for p in run.drain(..) {
                                add_rule(plan, ci, p, Position::Before(handle));
                            }
                        }
                    }
                }
                for p in run {
                    add_rule(plan, ci, p, Position::Append);
                }
            }
        }
    }
}

/// The messages of each of `runs` (as [`Plan::built_runs`] gave them) in
/// `built` (from [`Plan::take_built`]), to be numbered and sent.
pub fn built_msgs<'b>(built: &'b mut Built, runs: &[BuiltRun]) -> Option<Vec<&'b mut [u8]>> {
    let ranges: Vec<(u32, u32, u32)> = runs.iter().map(|r| (r.chunk, r.start, r.end)).collect();
    built.ranges_mut(&ranges)
}

/// Are the chain's new rules all appended after its kernel rules, each
/// kept as its line?
fn only_line_appends(c: &Chain) -> bool {
    let built = |p: &Pending| matches!(p.src, Src::Line { .. });
    match &c.rules {
        View::Lazy { head, tail } => head.is_empty() && tail.iter().all(built),
        View::Loaded(items) => {
            let first_new = items.iter().position(|i| matches!(i, Item::New(_)));
            match first_new {
                None => true,
                Some(f) => items[f..].iter().all(|i| match i {
                    Item::New(p) => built(p),
                    Item::Kernel { .. } => false,
                }),
            }
        }
    }
}
