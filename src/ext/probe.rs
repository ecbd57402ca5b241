//! Which revisions of an xt extension the kernel has, asked as iptables-nft
//! asks (`nft_compatible_revision`: `NFNL_MSG_COMPAT_GET` to nft_compat),
//! once per name and revision per process. The asking is a
//! [`RevisionProbe`] the program installs (the kernel's lives in
//! `nft::session`); without one every revision counts as there, which is
//! also what iptables assumes when it may not ask (`EPERM`). Tests install
//! a fake.
//!
//! iptables loads an extension by trying its revisions from the highest
//! down and takes the first the kernel has; revision 0 is taken even when
//! missing, after the warning `Extension NAME revision 0 not supported,
//! missing kernel module?` on stderr (then the kernel refuses the rule).

use crate::model::Family;
use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

/// Asks the kernel about one revision of an xt match or target.
pub trait RevisionProbe: Send + Sync {
    /// Whether the kernel has match (`target == false`) or target `name`
    /// at revision `rev` for `family`; `true` when it cannot be asked.
    fn supports(&self, family: Family, name: &str, rev: u32, target: bool) -> bool;
    /// Whether the kernel has match or target `name` at any revision
    /// (its module is there); `true` when it cannot be asked.
    fn exists(&self, family: Family, name: &str, target: bool) -> bool;
}

impl RevisionProbe for Box<dyn RevisionProbe> {
    fn supports(&self, family: Family, name: &str, rev: u32, target: bool) -> bool {
        (**self).supports(family, name, rev, target)
    }
    fn exists(&self, family: Family, name: &str, target: bool) -> bool {
        (**self).exists(family, name, target)
    }
}

type Key = (Family, String, u32, bool);

/// A probe with its answers kept: each question goes to the kernel once.
pub struct Cached<P> {
    probe: P,
    seen: Mutex<HashMap<Key, bool>>,
}

impl<P: RevisionProbe> Cached<P> {
    /// Keeps the answers of `probe`.
    pub fn new(probe: P) -> Self {
        Cached {
            probe,
            seen: Mutex::new(HashMap::new()),
        }
    }

    /// Whether the kernel has `name` at `rev` (asked once).
    pub fn supports(&self, family: Family, name: &str, rev: u32, target: bool) -> bool {
        let key = (family, name.to_string(), rev, target);
        if let Some(v) = self.seen.lock().ok().and_then(|c| c.get(&key).copied()) {
            return v;
        }
        let v = self.probe.supports(family, name, rev, target);
        if let Ok(mut c) = self.seen.lock() {
            c.insert(key, v);
        }
        v
    }

    /// Whether the kernel has `name` at any revision (asked once).
    pub fn exists(&self, family: Family, name: &str, target: bool) -> bool {
        // (kept under a revision no extension has)
        let key = (family, name.to_string(), u32::MAX, target);
        if let Some(v) = self.seen.lock().ok().and_then(|c| c.get(&key).copied()) {
            return v;
        }
        let v = self.probe.exists(family, name, target);
        if let Ok(mut c) = self.seen.lock() {
            c.insert(key, v);
        }
        v
    }

    /// The revision iptables writes for an extension that has `revs`
    /// (highest first, the last one the lowest): the first the kernel
    /// has, else the lowest. When the lowest is 0 and missing too, the
    /// warning iptables prints comes beside it.
    pub fn choose(
        &self,
        family: Family,
        name: &str,
        target: bool,
        revs: &[u32],
    ) -> (u32, Option<String>) {
        let name = real_name(name);
        for &r in revs {
            if self.supports(family, name, r, target) {
                return (r, None);
            }
        }
        let lowest = revs.last().copied().unwrap_or(0);
        let warning = (lowest == 0).then(|| missing_warning(name));
        (lowest, warning)
    }
}

static PROBE: OnceLock<Cached<Box<dyn RevisionProbe>>> = OnceLock::new();

/// Installs the probe for this process (the first one installed stays).
pub fn install(probe: Box<dyn RevisionProbe>) {
    let _ = PROBE.set(Cached::new(probe));
    forget();
}

/// The kernel (real) name iptables asks about for an extension's name:
/// an alias loads its real extension.
pub fn real_name(name: &str) -> &str {
    match name {
        "NOTRACK" => "CT",
        "state" => "conntrack",
        n => n,
    }
}

/// A shared, answer-keeping probe.
type Shared = std::rc::Rc<Cached<Box<dyn RevisionProbe>>>;

thread_local! {
    /// A probe for this thread only ([`with_probe`]): a test's fake kernel.
    static LOCAL: std::cell::RefCell<Option<Shared>> = const { std::cell::RefCell::new(None) };
}

/// Runs `f` with `probe` standing for the kernel on this thread (tests
/// fake kernels with it without touching the process's probe).
pub fn with_probe<R>(probe: Box<dyn RevisionProbe>, f: impl FnOnce() -> R) -> R {
    let old = LOCAL.with(|l| l.replace(Some(std::rc::Rc::new(Cached::new(probe)))));
    forget();
    let r = f();
    LOCAL.with(|l| *l.borrow_mut() = old);
    forget();
    r
}

/// [`Cached::choose`] with this thread's probe, else the installed one
/// (without either: the highest of `revs`, no warning).
pub fn choose(family: Family, name: &str, target: bool, revs: &[u32]) -> (u32, Option<String>) {
    // Every rule an extension builds asks this: the answer is kept on
    // this thread, so a restore of many rules neither allocates nor locks
    // per rule.
    if let Some(v) = CHOSEN.with(|c| {
        c.borrow()
            .iter()
            .find(|(k, _)| k.is(family, name, target, revs))
            .map(|(_, v)| v.clone())
    }) {
        return v;
    }
    let key = ChoiceKey::new(family, name, target, revs);
    let v = if let Some(p) = LOCAL.with(|l| l.borrow().clone()) {
        p.choose(family, name, target, revs)
    } else {
        match PROBE.get() {
            Some(p) => p.choose(family, name, target, revs),
            None => (revs.first().copied().unwrap_or(0), None),
        }
    };
    CHOSEN.with(|c| c.borrow_mut().push((key, v.clone())));
    v
}

/// Answers [`choose`] gave on this thread; forgotten when the probe
/// changes ([`with_probe`], [`install`]).
type Chosen = Vec<(ChoiceKey, (u32, Option<String>))>;

/// A question to [`choose`] or [`first`].
struct ChoiceKey {
    family: Family,
    target: bool,
    name: Box<str>,
    revs: Box<[u32]>,
}

impl ChoiceKey {
    fn new(family: Family, name: &str, target: bool, revs: &[u32]) -> Self {
        ChoiceKey {
            family,
            target,
            name: name.into(),
            revs: revs.into(),
        }
    }

    /// The same question (compared without allocating).
    fn is(&self, family: Family, name: &str, target: bool, revs: &[u32]) -> bool {
        self.family == family && self.target == target && *self.name == *name && *self.revs == *revs
    }
}

thread_local! {
    static CHOSEN: std::cell::RefCell<Chosen> = const { std::cell::RefCell::new(Vec::new()) };
}

/// The first of `revs` (highest first) the kernel has, asked as
/// [`choose`] asks; `None` when it has none of them (an alias that falls
/// back to another extension, as `-m state` to the `state` match).
pub fn first(family: Family, name: &str, target: bool, revs: &[u32]) -> Option<u32> {
    if let Some(v) = FIRST.with(|c| {
        c.borrow()
            .iter()
            .find(|(k, _)| k.is(family, name, target, revs))
            .map(|(_, v)| *v)
    }) {
        return v;
    }
    let key = ChoiceKey::new(family, name, target, revs);
    let (r, _) = choose(family, name, target, revs);
    let has = |p: &Cached<Box<dyn RevisionProbe>>| p.supports(family, real_name(name), r, target);
    let found = match LOCAL.with(|l| l.borrow().clone()) {
        Some(p) => has(&p),
        None => PROBE.get().is_none_or(has),
    };
    let v = found.then_some(r);
    FIRST.with(|c| c.borrow_mut().push((key, v)));
    v
}

thread_local! {
    /// Answers [`first`] gave on this thread (keyed as [`CHOSEN`]).
    static FIRST: std::cell::RefCell<Vec<(ChoiceKey, Option<u32>)>> =
        const { std::cell::RefCell::new(Vec::new()) };
}

/// Forgets this thread's kept answers (the probe changed).
fn forget() {
    LOADED.with(|l| l.borrow_mut().clear());
    CHOSEN.with(|c| c.borrow_mut().clear());
    FIRST.with(|c| c.borrow_mut().clear());
}

/// A kernel (for tests and for trying a ruleset at older revisions) that
/// has every revision of every extension except the listed ones, which
/// stop at a revision: `(name, target, highest)`; a highest of `None`
/// means the extension is missing.
pub struct Capped(pub Vec<(&'static str, bool, Option<u32>)>);

impl RevisionProbe for Capped {
    fn supports(&self, _family: Family, name: &str, rev: u32, target: bool) -> bool {
        match self.0.iter().find(|(n, t, _)| *n == name && *t == target) {
            Some((_, _, cap)) => cap.is_some_and(|c| rev <= c),
            None => true,
        }
    }
    fn exists(&self, _family: Family, name: &str, target: bool) -> bool {
        !self
            .0
            .iter()
            .any(|(n, t, cap)| *n == name && *t == target && cap.is_none())
    }
}

/// The warning iptables prints when it loads an extension the kernel
/// does not have: revision 0 is the last it tries (it tries only the
/// revisions it knows; the module being there at all stands for them).
pub fn missing_warning(name: &str) -> String {
    format!(
        "Warning: Extension {} revision 0 not supported, missing kernel module?",
        real_name(name)
    )
}

/// Loads an extension as iptables does when a command names it (`-m`,
/// `-j`): prints the missing-module warning to stderr when the kernel has
/// no such extension.
pub fn load(family: Family, name: &'static str, target: bool) {
    // Restore lines load the same few extensions over and over: the
    // answer for a registry name is kept by its address on this thread.
    let key = (family, name.as_ptr() as usize, name.len(), target);
    let known = LOADED.with(|l| l.borrow().iter().find(|(k, _)| *k == key).map(|(_, v)| *v));
    let exists = match known {
        Some(v) => Some(v),
        None => {
            // (`-m state` loads the `state` match itself when the kernel
            // has no `conntrack`)
            let has = |p: &Cached<Box<dyn RevisionProbe>>| {
                p.exists(family, real_name(name), target)
                    || (name == "state" && p.exists(family, name, target))
            };
            let asked = if let Some(p) = LOCAL.with(|l| l.borrow().clone()) {
                Some(has(&p))
            } else {
                PROBE.get().map(has)
            };
            if let Some(v) = asked {
                LOADED.with(|l| l.borrow_mut().push((key, v)));
            }
            asked
        }
    };
    if exists == Some(false) {
        crate::error::warn(missing_warning(name));
    }
}

/// Does this thread have its own probe ([`with_probe`], a test's fake
/// kernel)? Work that would move to other threads must not then.
pub fn has_local() -> bool {
    LOCAL.with(|l| l.borrow().is_some())
}

/// Answers [`load`] had, by registry name (address, length), family and
/// kind; forgotten when [`with_probe`] changes the probe.
type Loaded = Vec<((Family, usize, usize, bool), bool)>;

thread_local! {
    static LOADED: std::cell::RefCell<Loaded> = const { std::cell::RefCell::new(Vec::new()) };
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// A kernel with `conntrack` 0..=3 and `CT` 0..=2, nothing else,
    /// counting the questions.
    struct Fake(AtomicUsize);
    impl RevisionProbe for Fake {
        fn supports(&self, _f: Family, name: &str, rev: u32, target: bool) -> bool {
            self.0.fetch_add(1, Ordering::Relaxed);
            matches!((name, target), ("conntrack", false) if rev <= 3)
                || matches!((name, target), ("CT", true) if rev <= 2)
        }
        fn exists(&self, _f: Family, name: &str, target: bool) -> bool {
            self.0.fetch_add(1, Ordering::Relaxed);
            matches!((name, target), ("conntrack", false) | ("CT", true))
        }
    }

    #[test]
    fn highest_the_kernel_has_else_the_lowest_with_the_warning() {
        let p = Cached::new(Fake(AtomicUsize::new(0)));
        let f = Family::V4;
        assert_eq!(p.choose(f, "conntrack", false, &[5, 3, 2, 1, 0]), (3, None));
        assert_eq!(p.choose(f, "state", false, &[3, 0]), (3, None));
        assert_eq!(p.choose(f, "NOTRACK", true, &[2, 1, 0]), (2, None));
        assert_eq!(p.choose(f, "CT", false, &[1]), (1, None));
        let warn = "Warning: Extension LED revision 0 not supported, missing kernel module?";
        assert_eq!(p.choose(f, "LED", true, &[0]), (0, Some(warn.into())));
        // asked once per question: conntrack 5, 3; CT target 2; CT match
        // 1; LED 0
        assert_eq!(p.probe.0.load(Ordering::Relaxed), 5);
        assert_eq!(p.choose(f, "LED", true, &[0]), (0, Some(warn.into())));
        assert_eq!(p.probe.0.load(Ordering::Relaxed), 5);
        // another family is another question
        assert_eq!(p.choose(Family::V6, "conntrack", false, &[3]), (3, None));
        assert_eq!(p.probe.0.load(Ordering::Relaxed), 6);
        // the module at all, for the warning when loading
        assert!(p.exists(f, "conntrack", false));
        assert!(!p.exists(f, "LED", true));
        assert!(!p.exists(f, "LED", true));
        assert_eq!(p.probe.0.load(Ordering::Relaxed), 8);
        assert_eq!(
            missing_warning("state"),
            "Warning: Extension conntrack revision 0 not supported, missing kernel module?"
        );
    }

    /// A fake kernel counting its questions into a shared counter.
    struct Counting(std::sync::Arc<AtomicUsize>, u32);
    impl RevisionProbe for Counting {
        fn supports(&self, _f: Family, _name: &str, rev: u32, _target: bool) -> bool {
            self.0.fetch_add(1, Ordering::Relaxed);
            rev <= self.1
        }
        fn exists(&self, _f: Family, _name: &str, _target: bool) -> bool {
            true
        }
    }

    /// The rules of a big restore ask once per name and revision; `first`
    /// tells a missing revision list from a found one.
    #[test]
    fn choose_asks_once_per_question() {
        let n = std::sync::Arc::new(AtomicUsize::new(0));
        let (c, s, f) = with_probe(Box::new(Counting(n.clone(), 1)), || {
            let c: Vec<u32> = (0..10_000)
                .map(|_| choose(Family::V4, "conntrack", false, &[3, 2, 1]).0)
                .collect();
            let s = first(Family::V4, "state", false, &[3, 2]);
            let f = first(Family::V4, "socket", false, &[3, 2, 1]);
            (c, s, f)
        });
        assert!(c.iter().all(|r| *r == 1));
        assert_eq!((s, f), (None, Some(1)));
        // conntrack 3, 2, 1; state (conntrack) 3, 2 cached; socket 3, 2, 1
        assert_eq!(n.load(Ordering::Relaxed), 6);
    }
}
