//! getopt_long-style reading of words: short options (glued or not, with
//! glued values), long options (`--name value`, `--name=value`, any unique
//! prefix), and `!`. Which long names exist depends on the extensions
//! loaded so far, so the caller passes the current table on every call.

use crate::error::{param, Error};

/// One long option name known at this point, and whether it takes a value.
#[derive(Debug, Clone, Copy)]
pub struct LongName<'a> {
    /// name without dashes
    pub name: &'a str,
    /// takes a value
    pub has_arg: bool,
    /// a key the caller uses to tell options apart (two names with the same
    /// key are one option, as `--sport`/`--source-port`)
    pub key: usize,
}

/// A word read as an option.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Opt {
    /// a short option letter, with its glued value if any (`-ptcp`)
    Short(char, Option<String>),
    /// a long option resolved to its key and full name, with `=value`
    Long(usize, String, Option<String>),
    /// `!`
    Bang,
    /// a word that is not an option
    Word(String),
}

/// A word that looks like a long option but names none known here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unknown;

/// Read one word (resolving long-name prefixes against `longs`). Short
/// options glued together (`-nvL`) are split by the caller. An unknown long
/// option is reported cheaply; the caller may still find its owner (the
/// protocol's match) before building the message with [`unknown_option`].
pub fn classify(word: &str, longs: &[LongName]) -> Result<Opt, Unknown> {
    if word == "!" {
        return Ok(Opt::Bang);
    }
    if let Some(body) = word.strip_prefix("--") {
        if body.is_empty() {
            return Ok(Opt::Word(word.to_string()));
        }
        let (name, value) = match body.split_once('=') {
            Some((n, v)) => (n, Some(v.to_string())),
            None => (body, None),
        };
        return resolve_long(name, longs)
            .map(|l| Opt::Long(l.key, l.name.to_string(), value))
            .ok_or(Unknown);
    }
    if let Some(body) = word.strip_prefix('-') {
        let mut chars = body.chars();
        if let Some(c) = chars.next() {
            let rest: String = chars.collect();
            return Ok(Opt::Short(c, (!rest.is_empty()).then_some(rest)));
        }
    }
    Ok(Opt::Word(word.to_string()))
}

/// getopt_long's rule: an exact name wins; otherwise a prefix that names
/// exactly one option (names sharing a key count as one).
pub fn resolve_long<'a>(name: &str, longs: &[LongName<'a>]) -> Option<LongName<'a>> {
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

/// Split the tail of glued short flags: `-nvL` is `-n` with tail `vL`.
/// Returns the tail to read as `-v`, `-L`.
pub fn split_short(tail: &str) -> String {
    format!("-{tail}")
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
        assert_eq!(
            classify("--dport=22", L).unwrap(),
            Opt::Long(3, "dport".into(), Some("22".into()))
        );
        assert_eq!(
            classify("-ptcp", L).unwrap(),
            Opt::Short('p', Some("tcp".into()))
        );
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
