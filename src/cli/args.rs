//! getopt_long-style reading of words: short options (glued or not, with
//! glued values), long options (`--name value`, `--name=value`, any unique
//! prefix), and `!`. Which long names exist depends on the extensions
//! loaded so far, so the caller passes the current table on every call.

use crate::error::{param, Error};

/// One long option name known at this point, and whether it takes a value.
#[derive(Debug, Clone, Copy)]
pub struct LongName {
    /// name without dashes
    pub name: &'static str,
    /// takes a value
    pub has_arg: bool,
    /// a key the caller uses to tell options apart (two names with the same
    /// key are one option, as `--sport`/`--source-port`)
    pub key: usize,
}

/// A word read as an option; values are borrowed from the word.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Opt<'w> {
    /// a short option letter, with its glued value if any (`-ptcp`)
    Short(char, Option<&'w str>),
    /// a long option resolved to its name entry, with `=value`
    Long(LongName, Option<&'w str>),
    /// `!`
    Bang,
    /// a word that is not an option
    Word(&'w str),
}

impl PartialEq for LongName {
    fn eq(&self, o: &Self) -> bool {
        self.name == o.name && self.has_arg == o.has_arg && self.key == o.key
    }
}

impl Eq for LongName {}

/// A word that looks like a long option but names none known here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unknown;

/// Read one word (resolving long-name prefixes against `longs`). Short
/// options glued together (`-nvL`) are split by the caller. An unknown long
/// option is reported cheaply; the caller may still find its owner (the
/// protocol's match) before building the message with [`unknown_option`].
pub fn classify<'w>(word: &'w str, longs: &[LongName]) -> Result<Opt<'w>, Unknown> {
    classify_with(word, |name| resolve_long(name, longs))
}

/// [`classify`] with the long names resolved by `resolve` (a name without
/// dashes to its entry, as [`resolve_long`] does).
pub fn classify_with<'w>(
    word: &'w str,
    resolve: impl FnOnce(&str) -> Option<LongName>,
) -> Result<Opt<'w>, Unknown> {
    if word == "!" {
        return Ok(Opt::Bang);
    }
    if let Some(body) = word.strip_prefix("--") {
        if body.is_empty() {
            return Ok(Opt::Word(word));
        }
        let (name, value) = match body.split_once('=') {
            Some((n, v)) => (n, Some(v)),
            None => (body, None),
        };
        return resolve(name).map(|l| Opt::Long(l, value)).ok_or(Unknown);
    }
    if let Some(body) = word.strip_prefix('-') {
        let mut chars = body.chars();
        if let Some(c) = chars.next() {
            let rest = chars.as_str();
            return Ok(Opt::Short(c, (!rest.is_empty()).then_some(rest)));
        }
    }
    Ok(Opt::Word(word))
}

/// [`classify_with`] of the word `-{tail}` without making it: the rest of
/// a cluster of short flags (`vL` of `-nvL`), read as iptables reads the
/// cluster's next letters (`-n-x` goes on with `--x`).
pub fn classify_tail<'w>(
    tail: &'w str,
    resolve: impl FnOnce(&str) -> Option<LongName>,
) -> Result<Opt<'w>, Unknown> {
    if let Some(body) = tail.strip_prefix('-') {
        if body.is_empty() {
            return Ok(Opt::Word("--"));
        }
        let (name, value) = match body.split_once('=') {
            Some((n, v)) => (n, Some(v)),
            None => (body, None),
        };
        return resolve(name).map(|l| Opt::Long(l, value)).ok_or(Unknown);
    }
    let mut chars = tail.chars();
    match chars.next() {
        Some(c) => {
            let rest = chars.as_str();
            Ok(Opt::Short(c, (!rest.is_empty()).then_some(rest)))
        }
        // `-` alone is a word
        None => Ok(Opt::Word("-")),
    }
}

/// The long names in scope, with an index by first letter for lookups.
#[derive(Debug, Default)]
pub struct LongTable {
    /// the names, in the order of precedence (first wins a tie)
    pub names: Vec<LongName>,
    /// the names with their positions in `names`, sorted by name then
    /// position
    sorted: Vec<(LongName, usize)>,
    /// where the names of each first byte start in `sorted` (and end:
    /// the next byte's start)
    first: Vec<usize>,
}

impl LongTable {
    /// Index `names`.
    pub fn new(names: Vec<LongName>) -> Self {
        let mut sorted: Vec<(LongName, usize)> = names.iter().copied().zip(0..).collect();
        sorted.sort_by(|a, b| a.0.name.cmp(b.0.name).then(a.1.cmp(&b.1)));
        let first = (0..=256)
            .map(|c| {
                sorted.partition_point(|(l, _)| {
                    l.name.as_bytes().first().map_or(0, |b| usize::from(*b) + 1) <= c
                })
            })
            .collect();
        LongTable {
            names,
            sorted,
            first,
        }
    }

    /// [`resolve_long`], looking only at the names with the same first
    /// letter.
    pub fn resolve(&self, name: &str) -> Option<LongName> {
        let run = match name.as_bytes().first() {
            Some(&c) => {
                let c = usize::from(c);
                match (self.first.get(c), self.first.get(c + 1)) {
                    (Some(&a), Some(&b)) => self.sorted.get(a..b)?,
                    _ => return None,
                }
            }
            None => &self.sorted[..],
        };
        let mut found: Option<(LongName, usize)> = None;
        for &(l, pos) in run {
            if !l.name.as_bytes().starts_with(name.as_bytes()) {
                continue;
            }
            // In name order an exact name comes before the longer names it
            // begins (and, of equal names, the first in precedence).
            if l.name.len() == name.len() {
                return Some(l);
            }
            // getopt's prefix rule: one option (names sharing a key are
            // one); of several names the first in precedence is reported
            match found {
                None => found = Some((l, pos)),
                Some((f, _)) if f.key != l.key => return None,
                Some((_, fpos)) if pos < fpos => found = Some((l, pos)),
                Some(_) => {}
            }
        }
        found.map(|(l, _)| l)
    }
}

/// getopt_long's rule: an exact name wins; otherwise a prefix that names
/// exactly one option (names sharing a key count as one).
pub fn resolve_long(name: &str, longs: &[LongName]) -> Option<LongName> {
    if let Some(l) = longs.iter().find(|l| l.name == name) {
        return Some(*l);
    }
    let mut found: Option<LongName> = None;
    for l in longs.iter().filter(|l| l.name.starts_with(name)) {
        match found {
            None => found = Some(*l),
            Some(f) if f.key == l.key => {}
            Some(_) => return None,
        }
    }
    found
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur.push((prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1));
        }
        prev = cur;
    }
    prev[b.len()]
}

/// Short options with their long names, for suggestions.
pub const SHORT_NAMES: &[(char, &str)] = &[
    ('A', "append"),
    ('C', "check"),
    ('D', "delete"),
    ('I', "insert"),
    ('R', "replace"),
    ('L', "list"),
    ('S', "list-rules"),
    ('F', "flush"),
    ('Z', "zero"),
    ('N', "new-chain"),
    ('X', "delete-chain"),
    ('P', "policy"),
    ('E', "rename-chain"),
    ('V', "version"),
    ('h', "help"),
    ('t', "table"),
    ('p', "protocol"),
    ('s', "source"),
    ('d', "destination"),
    ('i', "in-interface"),
    ('o', "out-interface"),
    ('j', "jump"),
    ('g', "goto"),
    ('m', "match"),
    ('f', "fragment"),
    ('n', "numeric"),
    ('v', "verbose"),
    ('x', "exact"),
    ('c', "set-counters"),
    ('w', "wait"),
    ('W', "wait-interval"),
    ('4', "ipv4"),
    ('6', "ipv6"),
];

/// iptables' message for an unknown option, plus a suggestion when a
/// known option is close (`-a` → `-A (--append)`).
pub fn unknown_option(word: &str, longs: &[LongName]) -> Error {
    let mut msg = format!("unknown option \"{word}\"");
    if let Some(s) = suggest(word, longs) {
        msg.push_str(&format!("; did you mean {s}?"));
    }
    param(msg)
}

fn suggest(word: &str, longs: &[LongName]) -> Option<String> {
    if let Some(name) = word.strip_prefix("--") {
        let name = name.split('=').next().unwrap_or(name);
        let mut best: Option<(usize, &str)> = None;
        // two edits are a typo in a long name, not in a short one (`--foo`
        // is not `--goto`)
        let most = if name.chars().count() >= 5 { 2 } else { 1 };
        for l in longs {
            let d = edit_distance(name, l.name);
            if d <= most && best.is_none_or(|(bd, _)| d < bd) {
                best = Some((d, l.name));
            }
        }
        if let Some((_, n)) = best {
            return Some(format!("--{n}"));
        }
        let prefixed: Vec<&str> = longs
            .iter()
            .filter(|l| l.name.starts_with(name))
            .map(|l| l.name)
            .collect();
        if prefixed.len() > 1 {
            return Some(
                prefixed
                    .iter()
                    .map(|n| format!("--{n}"))
                    .collect::<Vec<_>>()
                    .join(" or "),
            );
        }
        return None;
    }
    let c = word.strip_prefix('-')?.chars().next()?;
    let swapped: Vec<char> = if c.is_ascii_lowercase() {
        vec![c.to_ascii_uppercase()]
    } else {
        vec![c.to_ascii_lowercase()]
    };
    SHORT_NAMES
        .iter()
        .find(|(s, _)| swapped.contains(s))
        .map(|(s, l)| format!("-{s} (--{l})"))
}

#[cfg(test)]
mod tests {
    use super::*;

    const L: &[LongName] = &[
        LongName {
            name: "delete",
            has_arg: true,
            key: 1,
        },
        LongName {
            name: "destination",
            has_arg: true,
            key: 2,
        },
        LongName {
            name: "destination-port",
            has_arg: true,
            key: 3,
        },
        LongName {
            name: "dport",
            has_arg: true,
            key: 3,
        },
        LongName {
            name: "to-ports",
            has_arg: true,
            key: 4,
        },
    ];

    #[test]
    fn prefixes() {
        assert_eq!(resolve_long("dpo", L).map(|l| l.key), Some(3));
        assert_eq!(resolve_long("destination", L).map(|l| l.key), Some(2));
        assert!(resolve_long("d", L).is_none());
        assert_eq!(resolve_long("to-port", L).map(|l| l.key), Some(4));
        assert!(matches!(
            classify("--dport=22", L).unwrap(),
            Opt::Long(
                LongName {
                    key: 3,
                    name: "dport",
                    ..
                },
                Some("22")
            )
        ));
        assert_eq!(classify("-ptcp", L).unwrap(), Opt::Short('p', Some("tcp")));
    }

    #[test]
    fn table_resolves_as_the_rule_says() {
        let t = LongTable::new(L.to_vec());
        for name in [
            "",
            "d",
            "de",
            "del",
            "delete",
            "deletex",
            "dest",
            "destination",
            "destination-",
            "destination-port",
            "dp",
            "dport",
            "t",
            "to-ports",
            "x",
            "to-portsx",
        ] {
            assert_eq!(t.resolve(name), resolve_long(name, L), "{name}");
        }
    }

    #[test]
    fn suggestions() {
        let e = unknown_option("-a", L);
        assert_eq!(
            e,
            param("unknown option \"-a\"; did you mean -A (--append)?")
        );
        let e = unknown_option("--dprt", L);
        assert_eq!(e, param("unknown option \"--dprt\"; did you mean --dport?"));
        let e = unknown_option("--foo", L);
        assert_eq!(e, param("unknown option \"--foo\""));
    }
}
