//! The iptables-restore input format, line by line: what kind of line it
//! is, how a rule line's words are split (`xshared.c add_param_to_argv`),
//! the `[packets:bytes]` prefix (`tokenize_rule_counters`) and the
//! `:CHAIN POLICY [p:b]` lines. Pure functions; nothing here talks to the
//! kernel.

use crate::rule::Counters;
use std::borrow::Cow;

/// The longest line iptables-restore reads at once (fgets into 10240
/// bytes, with room for the NUL): a longer line is read as several pieces.
pub const FGETS_MAX: usize = 10240 - 1;

/// What a line of restore input is, as iptables-restore tells them apart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LineKind<'a> {
    /// an empty line (skipped)
    Empty,
    /// `# ...` (echoed with `-v`)
    Comment,
    /// `COMMIT` inside a table block
    Commit,
    /// `*table` outside a table block; `None` when no name follows the `*`
    Table(Option<&'a str>),
    /// `:CHAIN ...` inside a table block: the words after the colon
    Chain(Vec<&'a str>),
    /// anything else inside a table block: a command
    Rule(&'a str),
    /// anything else outside a table block (fails)
    Stray,
}

/// Separators of `strtok(..., " \t\n")`.
fn is_sep(b: u8) -> bool {
    b == b' ' || b == b'\t' || b == b'\n'
}

/// Words separated by blanks, as `strtok(s, " \t\n")` returns them.
pub fn strtok_words(s: &str) -> impl Iterator<Item = &str> {
    s.split([' ', '\t', '\n']).filter(|w| !w.is_empty())
}

/// Classifies one line (without its `\n`), given whether a table block is
/// open.
pub fn classify(line: &str, in_table: bool) -> LineKind<'_> {
    let b = line.as_bytes();
    match b.first() {
        None => LineKind::Empty,
        Some(b'#') => LineKind::Comment,
        _ if in_table && line == "COMMIT" => LineKind::Commit,
        Some(b'*') if !in_table => LineKind::Table(strtok_words(&line[1..]).next()),
        Some(b':') if in_table => LineKind::Chain(strtok_words(&line[1..]).collect()),
        _ if in_table => LineKind::Rule(line),
        _ => LineKind::Stray,
    }
}

/// Why a rule line could not be split.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SplitError {
    /// one word of 1024 bytes or more
    #[error("Parameter too long!")]
    TooLong,
    /// `[...` without `]`, or without counters
    #[error("Bad line {line}: need {what}")]
    Counters {
        /// line number
        line: usize,
        /// the missing character
        what: char,
    },
}

/// Longest word iptables' fixed buffer holds.
const PARAM_MAX: usize = 1024;

/// Splits the command part of a rule line into words exactly as
/// iptables-restore does: blanks separate words; a double quote opens a
/// quoted part in which blanks are kept and a backslash takes the next
/// character literally; the closing quote also ends the word (so `"a"b` is
/// two words and `""` is one empty word); outside quotes a backslash is an
/// ordinary character. `eol` says the line ended with a newline, which
/// iptables sees too (inside an unclosed quote it is part of the word).
/// Returns each word with whether it was quoted.
pub fn split_words(s: &str, eol: bool) -> Result<Vec<(String, bool)>, SplitError> {
    let mut out = Vec::new();
    split_words_into(s, eol, &mut out)?;
    Ok(out.into_iter().map(|(w, q)| (w.into_owned(), q)).collect())
}

/// The words of a line without any quote (nearly every line), borrowed
/// from it, appended to `out`; `Ok(false)` (nothing added) when the line
/// has a quote and needs [`split_words_into`].
pub fn split_plain_into<'a>(s: &'a str, out: &mut Vec<&'a str>) -> Result<bool, SplitError> {
    let b = s.as_bytes();
    if b.contains(&b'"') {
        return Ok(false);
    }
    let mut i = 0;
    while i < b.len() {
        if is_sep(b[i]) {
            i += 1;
            continue;
        }
        let start = i;
        while i < b.len() && !is_sep(b[i]) {
            i += 1;
        }
        if i - start >= PARAM_MAX {
            return Err(SplitError::TooLong);
        }
        // (blanks are ASCII, so the word is a `str` slice)
        out.extend(s.get(start..i));
    }
    Ok(true)
}

/// [`split_words`] into `out`, each word borrowed from `s` where it is
/// one piece of it (nearly always), made only where quoting joins pieces,
/// drops a backslash or adds the line's newline.
pub fn split_words_into<'a>(
    s: &'a str,
    eol: bool,
    out: &mut Vec<(Cow<'a, str>, bool)>,
) -> Result<(), SplitError> {
    let b = s.as_bytes();
    if !b.contains(&b'"') {
        let mut plain = Vec::with_capacity(24);
        split_plain_into(s, &mut plain)?;
        out.extend(plain.into_iter().map(|w| (Cow::Borrowed(w), false)));
        return Ok(());
    }
    // The state machine over runs of ordinary bytes; a word is a slice of
    // `s` until a second piece or an escape makes it a copy.
    let n = b.len();
    let mut i = 0;
    'words: loop {
        while i < n && is_sep(b[i]) {
            i += 1;
        }
        if i >= n {
            return Ok(());
        }
        // an unquoted run: up to a blank (the word ends) or a quote
        let start = i;
        while i < n && !is_sep(b[i]) && b[i] != b'"' {
            i += 1;
        }
        if i >= n || is_sep(b[i]) {
            // the usual word: one piece of the line
            if i - start >= PARAM_MAX {
                return Err(SplitError::TooLong);
            }
            out.push((piece(s, start, i), false));
            continue 'words;
        }
        let mut cur = if i > start {
            Word::Span(start, i)
        } else {
            Word::None
        };
        // a quoted part: blanks kept, a backslash takes the next byte
        // literally, the closing quote ends the word (even empty)
        i += 1;
        loop {
            let start = i;
            while i < n && b[i] != b'"' && b[i] != b'\\' {
                i += 1;
            }
            if i < n && b[i] == b'"' && matches!(cur, Word::None) {
                // the usual quoted word: one piece of the line
                if i - start >= PARAM_MAX {
                    return Err(SplitError::TooLong);
                }
                out.push((piece(s, start, i), true));
                i += 1;
                continue 'words;
            }
            cur.add(s, start, i)?;
            if i >= n {
                // unclosed: iptables reads the line's newline into it
                if eol {
                    cur.add_byte(s, b'\n')?;
                }
                if !cur.is_empty() {
                    out.push((cur.take(s), false));
                }
                return Ok(());
            }
            if b[i] == b'\\' {
                if let Some(&c) = b.get(i + 1) {
                    cur.add_byte(s, c)?;
                }
                i = (i + 2).min(n);
                continue;
            }
            i += 1;
            out.push((cur.take(s), true));
            continue 'words;
        }
    }
}

/// The bytes `a..b` of `s` as a word (always a `str` slice: the splitter
/// cuts only at ASCII bytes).
fn piece(s: &str, a: usize, b: usize) -> Cow<'_, str> {
    match s.get(a..b) {
        Some(w) => Cow::Borrowed(w),
        None => String::from_utf8_lossy(&s.as_bytes()[a..b])
            .into_owned()
            .into(),
    }
}

/// The word being read: nothing yet, one slice of the line, or a copy.
enum Word {
    None,
    Span(usize, usize),
    Owned(Vec<u8>),
}

impl Word {
    fn is_empty(&self) -> bool {
        match self {
            Word::None => true,
            Word::Span(a, b) => a == b,
            Word::Owned(v) => v.is_empty(),
        }
    }

    fn len(&self) -> usize {
        match self {
            Word::None => 0,
            Word::Span(a, b) => b - a,
            Word::Owned(v) => v.len(),
        }
    }

    fn owned(&mut self, s: &str) -> &mut Vec<u8> {
        if let Word::Span(a, b) = *self {
            *self = Word::Owned(s.as_bytes()[a..b].to_vec());
        }
        if let Word::None = self {
            *self = Word::Owned(Vec::new());
        }
        match self {
            Word::Owned(v) => v,
            // made owned just above
            _ => unreachable!(),
        }
    }

    /// Add the bytes `i..j` of `s`.
    #[inline]
    fn add(&mut self, s: &str, i: usize, j: usize) -> Result<(), SplitError> {
        match self {
            Word::None => *self = Word::Span(i, j),
            Word::Span(a, b) if *a == *b => *self = Word::Span(i, j),
            Word::Span(_, b) if *b == i => *b = j,
            _ if i == j => {}
            _ => self.owned(s).extend_from_slice(&s.as_bytes()[i..j]),
        }
        self.check()
    }

    /// Add one byte that is not where it stands in `s`.
    fn add_byte(&mut self, s: &str, c: u8) -> Result<(), SplitError> {
        self.owned(s).push(c);
        self.check()
    }

    fn check(&self) -> Result<(), SplitError> {
        if self.len() >= PARAM_MAX {
            return Err(SplitError::TooLong);
        }
        Ok(())
    }

    /// The word read, leaving nothing.
    #[inline]
    fn take<'a>(&mut self, s: &'a str) -> Cow<'a, str> {
        match std::mem::replace(self, Word::None) {
            Word::None => Cow::Borrowed(""),
            Word::Span(a, b) => piece(s, a, b),
            // Only ASCII bytes are ever dropped, so UTF-8 stays valid.
            Word::Owned(v) => match String::from_utf8(v) {
                Ok(w) => Cow::Owned(w),
                Err(e) => Cow::Owned(String::from_utf8_lossy(e.as_bytes()).into_owned()),
            },
        }
    }
}

/// A rule line split into its command part and its counter words.
pub type Counted<'a> = (&'a str, Option<(&'a str, &'a str)>);

/// The `[packets:bytes]` prefix of a rule line, split as
/// `tokenize_rule_counters` does (two `strtok` calls). Returns the rest of
/// the line and the two counter words, if the line has the prefix.
pub fn rule_counters(line: &str, lineno: usize) -> Result<Counted<'_>, SplitError> {
    if !line.starts_with('[') {
        return Ok((line, None));
    }
    let need = |what| SplitError::Counters { line: lineno, what };
    let close = line.find(']').ok_or_else(|| need(']'))?;
    let rest = &line[close + 1..];
    // strtok(buffer + 1, ":")
    let body = &line[1..];
    let start = body.find(|c| c != ':').ok_or_else(|| need(':'))?;
    let body = &body[start..];
    let (pcnt, after) = match body.find(':') {
        Some(i) => (&body[..i], &body[i + 1..]),
        None => (body, ""),
    };
    // strtok(NULL, "]")
    let start = after.find(|c| c != ']').ok_or_else(|| need(']'))?;
    let after = &after[start..];
    let bcnt = match after.find(']') {
        Some(i) => &after[..i],
        None => after,
    };
    Ok((rest, Some((pcnt, bcnt))))
}

/// `strtoull` as `sscanf("%llu")` applies it: optional blanks, an optional
/// sign, digits (a minus wraps around); `None` if no digit. Returns the
/// value and the rest.
fn scan_u64(s: &str) -> Option<(u64, &str)> {
    let s = s.trim_start_matches([' ', '\t', '\n', '\r', '\x0b', '\x0c']);
    let (neg, s) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let n = s.bytes().take_while(u8::is_ascii_digit).count();
    if n == 0 {
        return None;
    }
    let mut v: u64 = 0;
    for d in s[..n].bytes() {
        v = v
            .checked_mul(10)
            .and_then(|v| v.checked_add(u64::from(d - b'0')))
            .unwrap_or(u64::MAX);
    }
    Some((if neg { v.wrapping_neg() } else { v }, &s[n..]))
}

/// `sscanf(s, "[%llu:%llu]") == 2`: the counters of a chain line.
pub fn chain_counters(s: &str) -> Option<Counters> {
    let s = s.strip_prefix('[')?;
    let (packets, s) = scan_u64(s)?;
    let s = s.strip_prefix(':')?;
    let (bytes, _) = scan_u64(s)?;
    Some(Counters { packets, bytes })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(s: &str) -> Vec<String> {
        split_words(s, true)
            .unwrap()
            .into_iter()
            .map(|(w, _)| w)
            .collect()
    }

    #[test]
    fn splitting_like_iptables() {
        assert_eq!(
            words("-A  INPUT\t-j ACCEPT"),
            ["-A", "INPUT", "-j", "ACCEPT"]
        );
        assert_eq!(words("--comment \"a b\" x"), ["--comment", "a b", "x"]);
        assert_eq!(words("--comment \"\""), ["--comment", ""]);
        assert_eq!(words("\"a\"b"), ["a", "b"]);
        // An unclosed quote takes the rest of the line, newline included.
        assert_eq!(words("a\\\"b"), ["a\\b\n"]);
        assert_eq!(words("\"a\\\"b\\\\c\""), ["a\"b\\c"]);
        assert_eq!(words("\"é ü\""), ["é ü"]);
        assert_eq!(words("  "), Vec::<String>::new());
        let q = split_words("x \"y\" z", false).unwrap();
        assert_eq!(
            q.iter().map(|(_, q)| *q).collect::<Vec<_>>(),
            [false, true, false]
        );
        assert_eq!(
            split_words(&"a".repeat(1024), false),
            Err(SplitError::TooLong)
        );
        assert!(split_words(&"a".repeat(1023), true).is_ok());
    }

    /// The byte-at-a-time state machine `split_words` implements faster.
    fn model_split(s: &str, eol: bool) -> Result<Vec<(String, bool)>, SplitError> {
        let mut out = Vec::new();
        let mut cur: Vec<u8> = Vec::new();
        let (mut open, mut esc, mut quoted) = (false, false, false);
        let nl: &[u8] = if eol { b"\n" } else { b"" };
        for &c in s.as_bytes().iter().chain(nl) {
            if open {
                if esc {
                    cur.push(c);
                    esc = false;
                } else if c == b'\\' {
                    esc = true;
                } else if c == b'"' {
                    open = false;
                    out.push((String::from_utf8_lossy(&cur).into_owned(), quoted));
                    cur.clear();
                    quoted = false;
                } else {
                    cur.push(c);
                }
            } else if c == b'"' {
                open = true;
                quoted = true;
            } else if is_sep(c) {
                if !cur.is_empty() {
                    out.push((String::from_utf8_lossy(&cur).into_owned(), quoted));
                    cur.clear();
                    quoted = false;
                }
            } else {
                cur.push(c);
            }
            if cur.len() >= PARAM_MAX {
                return Err(SplitError::TooLong);
            }
        }
        if !cur.is_empty() {
            out.push((String::from_utf8_lossy(&cur).into_owned(), false));
        }
        Ok(out)
    }

    #[test]
    fn splitting_agrees_with_the_byte_machine() {
        let alphabet = ["a", "b", " ", "\t", "\"", "\\", "é", "\n"];
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        for _ in 0..20_000 {
            let mut line = String::new();
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let len = (x % 14) as usize;
            let mut y = x;
            for _ in 0..len {
                line.push_str(alphabet[(y % alphabet.len() as u64) as usize]);
                y /= alphabet.len() as u64;
                if y == 0 {
                    y = x.rotate_left(29) | 1;
                }
            }
            for eol in [false, true] {
                assert_eq!(
                    split_words(&line, eol),
                    model_split(&line, eol),
                    "{line:?} {eol}"
                );
            }
        }
    }

    #[test]
    fn line_kinds() {
        assert_eq!(classify("", true), LineKind::Empty);
        assert_eq!(classify("# x", false), LineKind::Comment);
        assert_eq!(classify("COMMIT", true), LineKind::Commit);
        assert_eq!(classify("COMMIT", false), LineKind::Stray);
        assert_eq!(classify("COMMIT ", true), LineKind::Rule("COMMIT "));
        assert_eq!(
            classify("* filter x", false),
            LineKind::Table(Some("filter"))
        );
        assert_eq!(classify("*", false), LineKind::Table(None));
        assert_eq!(classify("*nat", true), LineKind::Rule("*nat"));
        assert_eq!(
            classify(": A - [0:0]", true),
            LineKind::Chain(vec!["A", "-", "[0:0]"])
        );
        assert_eq!(classify("  # x", true), LineKind::Rule("  # x"));
    }

    #[test]
    fn counter_prefixes() {
        assert_eq!(rule_counters("-A X", 1).unwrap(), ("-A X", None));
        assert_eq!(
            rule_counters("[1:2] -A X", 1).unwrap(),
            (" -A X", Some(("1", "2")))
        );
        assert_eq!(
            rule_counters("[a:b] -A X", 1).unwrap(),
            (" -A X", Some(("a", "b")))
        );
        assert_eq!(
            rule_counters("[1:2 -A X", 3),
            Err(SplitError::Counters { line: 3, what: ']' })
        );
        assert_eq!(
            rule_counters("[12] -A X", 3),
            Err(SplitError::Counters { line: 3, what: ']' })
        );
        assert_eq!(
            chain_counters("[1:2]"),
            Some(Counters {
                packets: 1,
                bytes: 2
            })
        );
        assert_eq!(
            chain_counters("[1:2:3]"),
            Some(Counters {
                packets: 1,
                bytes: 2
            })
        );
        assert_eq!(
            chain_counters("[1:2"),
            Some(Counters {
                packets: 1,
                bytes: 2
            })
        );
        assert_eq!(chain_counters("[x]"), None);
        assert_eq!(chain_counters("1:2"), None);
    }
}
