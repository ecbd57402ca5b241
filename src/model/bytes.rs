//! Names are bytes. The kernel keeps chain names, interface names and
//! comments as bytes, and iptables takes any bytes for them; rxtables keeps
//! them in Rust strings with a lossless escape, converted only at the
//! edges (arguments, restore input, kernel reads and writes, output):
//!
//! * a byte that is not part of valid UTF-8 (always >= 0x80) becomes the
//!   private-use character U+10FF00 + byte (U+10FF80 ..= U+10FFFF);
//! * a character of that range that was really in the input (4 bytes of
//!   valid UTF-8) is escaped byte by byte the same way,
//!
//! so [`from_bytes`] and [`to_bytes`] are inverse bijections and valid
//! UTF-8 outside that tiny range is its own text.

use std::borrow::Cow;

const BASE: u32 = 0x10_FF00;
const FIRST: char = '\u{10FF80}';

fn escaped(c: char) -> bool {
    c >= FIRST
}

/// The lead byte of every character from U+100000 up (the escapes among
/// them): text without it has nothing to escape or unescape, which one
/// `memchr` over the bytes tells faster than decoding its characters.
const LEAD: u8 = 0xF4;

fn push_escaped_bytes(out: &mut String, b: &[u8]) {
    for &x in b {
        // x >= 0x80 here: ASCII is always valid UTF-8
        out.push(char::from_u32(BASE + u32::from(x)).unwrap_or(char::REPLACEMENT_CHARACTER));
    }
}

/// Text for any bytes (see the module's escape).
pub fn from_bytes(b: &[u8]) -> Cow<'_, str> {
    if let Ok(s) = std::str::from_utf8(b) {
        if !b.contains(&LEAD) || !s.chars().any(escaped) {
            return Cow::Borrowed(s);
        }
    }
    let mut out = String::with_capacity(b.len() + 8);
    for chunk in b.utf8_chunks() {
        for c in chunk.valid().chars() {
            if escaped(c) {
                let mut buf = [0u8; 4];
                push_escaped_bytes(&mut out, c.encode_utf8(&mut buf).as_bytes());
            } else {
                out.push(c);
            }
        }
        push_escaped_bytes(&mut out, chunk.invalid());
    }
    Cow::Owned(out)
}

/// The bytes a text made by [`from_bytes`] stands for.
pub fn to_bytes(s: &str) -> Cow<'_, [u8]> {
    if !s.as_bytes().contains(&LEAD) || !s.chars().any(escaped) {
        return Cow::Borrowed(s.as_bytes());
    }
    let mut out = Vec::with_capacity(s.len());
    for c in s.chars() {
        if escaped(c) {
            out.push((u32::from(c) - BASE) as u8);
        } else {
            let mut buf = [0u8; 4];
            out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
        }
    }
    Cow::Owned(out)
}

/// How many bytes the text stands for (what the kernel's limits count).
pub fn byte_len(s: &str) -> usize {
    if s.is_ascii() {
        return s.len();
    }
    s.chars()
        .map(|c| if escaped(c) { 1 } else { c.len_utf8() })
        .sum()
}

/// The text cut to at most `max` bytes of what it stands for (a cut
/// inside a UTF-8 character leaves its first bytes, as a C string cut
/// would).
pub fn truncate_bytes(s: &str, max: usize) -> String {
    let b = to_bytes(s);
    if b.len() <= max {
        return s.to_string();
    }
    from_bytes(&b[..max]).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn any_bytes_round_trip() {
        let cases: &[&[u8]] = &[
            b"eth0",
            b"caf\xc3\xa9",                       // valid UTF-8
            b"x\xffy",                            // invalid byte
            b"\xe9t\xe9",                         // Latin-1
            b"\xf4\x8f\xbe\x80 \xf4\x8f\xbf\xbf", // real U+10FF80, U+10FFFF
            b"\xc3",                              // cut UTF-8
            b"",
        ];
        for b in cases {
            let s = from_bytes(b);
            assert_eq!(&*to_bytes(&s), *b, "{s:?}");
            assert_eq!(byte_len(&s), b.len());
        }
        assert!(matches!(from_bytes(b"plain"), Cow::Borrowed(_)));
        assert_eq!(from_bytes(b"x\xffy"), "x\u{10FFFF}y");
    }

    #[test]
    fn cut_by_bytes() {
        let s = from_bytes("aé".as_bytes()).into_owned();
        assert_eq!(to_bytes(&truncate_bytes(&s, 2)).as_ref(), b"a\xc3");
        assert_eq!(truncate_bytes(&s, 3), s);
    }
}
