//! `-m string --algo bm|kmp [!] --string S | [!] --hex-string H [--from N]
//! [--to N] [--icase]` (`libxt_string.c`): xt match `string`, revision 1
//! (revision 0, without `--icase`, is read too), `struct xt_string_info`,
//! both families.

use super::{EncodeCx, FmtCx, MatchExt, OptHit, OptSpec, ParseCx, ValueKind};
use crate::error::{param, DecodeError, Error};
use crate::ir::Expr;
use crate::model::{bytes, Family};

/// `XT_STRING_MAX_PATTERN_SIZE`
const MAX_PATTERN: usize = 128;
/// `XT_STRING_MAX_ALGO_NAME_SIZE`
const MAX_ALGO: usize = 16;
const FLAG_INVERT: u8 = 0x01;
const FLAG_ICASE: u8 = 0x02;

crate::xt_struct! {
    /// `struct xt_string_info` (`flags` is revision 0's `invert`; `config`
    /// the kernel's pointer)
    pub struct StringInfo {
        pub from_offset: u16, pub to_offset: u16, pub algo: [u8; MAX_ALGO],
        pub pattern: [u8; MAX_PATTERN], pub patlen: u8, pub flags: u8, pub config: u64,
    }
}
const _: () = assert!(StringInfo::SIZE == 160);

/// The string match: its revision and the kernel struct (boxed, 160
/// bytes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StringMatch {
    /// xt revision (1 when written by iptables 1.8.13)
    pub rev: u8,
    /// the struct, `config` zero
    pub info: Box<StringInfo>,
}

/// `parse_hex_string`: text with `|hex hex|` blocks and `\` literals.
fn parse_hex(s: &[u8], out: &mut Vec<u8>, whole: &str) -> Result<(), Error> {
    let at = |i: usize| s.get(i).copied().unwrap_or(0);
    let slen = s.len();
    if slen == 0 {
        return Err(param("STRING must contain at least one char"));
    }
    let (mut i, mut hex, mut literal) = (0usize, false, false);
    while i < slen {
        if out.len() >= MAX_PATTERN {
            return Err(param(format!("STRING too long \"{whole}\"")));
        }
        if s[i] == b'\\' && !hex {
            literal = true;
        } else if s[i] == b'\\' {
            return Err(param("Cannot include literals in hex data"));
        } else if s[i] == b'|' {
            if hex {
                hex = false;
            } else {
                hex = true;
                while at(i + 1) == b' ' {
                    i += 1;
                }
            }
            if i + 1 >= slen {
                break;
            }
            i += 1;
        }
        if literal {
            if i + 1 >= slen {
                return Err(param("Bad literal placement at end of string"));
            }
            out.push(s[i + 1]);
            i += 2;
            literal = false;
        } else if hex {
            if i + 1 >= slen {
                return Err(param("Odd number of hex digits"));
            }
            if i + 2 >= slen {
                return Err(param("Invalid hex block"));
            }
            for c in [s[i], s[i + 1]] {
                if !c.is_ascii_hexdigit() {
                    return Err(param(format!("Invalid hex char '{}'", char::from(c))));
                }
            }
            let digit = |c: u8| char::from(c).to_digit(16).unwrap_or(0) as u8;
            out.push(digit(s[i]) << 4 | digit(s[i + 1]));
            i += if at(i + 2) == b' ' { 3 } else { 2 };
        } else {
            out.push(s[i]);
            i += 1;
        }
    }
    Ok(())
}

impl MatchExt for StringMatch {
    const NAME: &'static str = "string";
    const OPTIONS: &'static [OptSpec] = &[
        OptSpec::value("from")
            .no_inv()
            .kind(ValueKind::UInt(0, 65535)),
        OptSpec::value("to")
            .no_inv()
            .kind(ValueKind::UInt(0, 65535)),
        OptSpec::value("algo").no_inv().mandatory(),
        OptSpec::value("string").excl(1 << 4),
        OptSpec::value("hex-string").excl(1 << 3),
        OptSpec::flag("icase").no_inv(),
    ];

    fn build(hits: &[OptHit], _cx: &ParseCx) -> Result<Self, Error> {
        let mut i = StringInfo {
            from_offset: 0,
            to_offset: u16::MAX,
            algo: [0; MAX_ALGO],
            pattern: [0; MAX_PATTERN],
            patlen: 0,
            flags: 0,
            config: 0,
        };
        let mut pattern = None;
        for h in hits {
            match h.idx {
                0 | 1 => {
                    let v = super::header_kit::uint_opt(
                        "string",
                        Self::OPTIONS[h.idx].name,
                        h.arg(),
                        0,
                        65535,
                    )? as u16;
                    if h.idx == 0 {
                        i.from_offset = v;
                    } else {
                        i.to_offset = v;
                    }
                }
                2 => {
                    // `xtopt_parse_string`: cut to 15 bytes and a NUL
                    let b = bytes::to_bytes(h.arg());
                    let n = b.len().min(MAX_ALGO - 1);
                    i.algo = [0; MAX_ALGO];
                    i.algo[..n].copy_from_slice(&b[..n]);
                }
                3 => {
                    let b = bytes::to_bytes(h.arg());
                    if b.len() > MAX_PATTERN {
                        return Err(param(format!("STRING too long \"{}\"", h.arg())));
                    }
                    pattern = Some(b.to_vec());
                }
                4 => {
                    let mut p = Vec::new();
                    parse_hex(&bytes::to_bytes(h.arg()), &mut p, h.arg())?;
                    pattern = Some(p);
                }
                _ => i.flags |= FLAG_ICASE,
            }
            if h.inv && (h.idx == 3 || h.idx == 4) {
                i.flags |= FLAG_INVERT;
            }
        }
        let Some(p) = pattern else {
            return Err(param(
                "STRING match: You must specify `--string' or `--hex-string'",
            ));
        };
        i.pattern[..p.len()].copy_from_slice(&p);
        i.patlen = p.len() as u8;
        Ok(StringMatch {
            rev: 1,
            info: Box::new(i),
        })
    }

    fn save(&self, _cx: &FmtCx, out: &mut String) {
        let i = &self.info;
        let bang = if self.inverted() { " !" } else { "" };
        let hex = self.is_hex();
        out.push_str(bang);
        out.push_str(if hex { " --hex-string" } else { " --string" });
        self.pattern_text(hex, out);
        out.push_str(" --algo ");
        out.push_str(&self.algo());
        if i.from_offset != 0 {
            out.push_str(&format!(" --from {}", i.from_offset));
        }
        if i.to_offset != u16::MAX {
            out.push_str(&format!(" --to {}", i.to_offset));
        }
        if self.icase() {
            out.push_str(" --icase");
        }
    }

    fn print(&self, _cx: &FmtCx, out: &mut String) {
        let i = &self.info;
        out.push_str(" STRING match ");
        if self.inverted() {
            out.push('!');
        }
        self.pattern_text(self.is_hex(), out);
        out.push_str(" ALGO name ");
        out.push_str(&self.algo());
        if i.from_offset != 0 {
            out.push_str(&format!(" FROM {}", i.from_offset));
        }
        if i.to_offset != u16::MAX {
            out.push_str(&format!(" TO {}", i.to_offset));
        }
        if self.icase() {
            out.push_str(" ICASE");
        }
    }

    fn encode(&self, _cx: &EncodeCx, out: &mut Vec<Expr>) {
        out.push(Expr::Match {
            name: Self::NAME.into(),
            rev: u32::from(self.rev),
            info: self.info.to_blob(),
        });
    }

    fn decode_blob(rev: u32, info: &[u8], _family: Family) -> Result<Self, DecodeError> {
        StringInfo::from_blob(info)
            .filter(|_| rev <= 1)
            .map(|i| StringMatch {
                rev: rev as u8,
                info: Box::new(StringInfo { config: 0, ..i }),
            })
            .ok_or_else(|| DecodeError(format!("string revision {rev} of {} bytes", info.len())))
    }
}

impl StringMatch {
    fn pattern(&self) -> &[u8] {
        &self.info.pattern[..usize::from(self.info.patlen).min(MAX_PATTERN)]
    }

    fn inverted(&self) -> bool {
        // revision 0's `invert` byte: any non-zero value
        if self.rev == 0 {
            self.info.flags != 0
        } else {
            self.info.flags & FLAG_INVERT != 0
        }
    }

    fn icase(&self) -> bool {
        self.rev > 0 && self.info.flags & FLAG_ICASE != 0
    }

    /// The algorithm name, up to its NUL (all 16 bytes without one).
    fn algo(&self) -> String {
        let a = &self.info.algo;
        let n = a.iter().position(|b| *b == 0).unwrap_or(MAX_ALGO);
        bytes::from_bytes(&a[..n]).into_owned()
    }

    /// `is_hex_string`: a byte that is not printable, or a final `\`.
    fn is_hex(&self) -> bool {
        let p = self.pattern();
        p.iter().any(|b| !(0x20..0x7f).contains(b)) || p.last() == Some(&b'\\')
    }

    fn pattern_text(&self, hex: bool, out: &mut String) {
        out.push_str(" \"");
        if hex {
            out.push('|');
            for b in self.pattern() {
                out.push_str(&format!("{b:02x}"));
            }
            out.push('|');
        } else {
            for b in self.pattern() {
                if matches!(b, b'"' | b'\\') {
                    out.push('\\');
                }
                out.push(char::from(*b));
            }
        }
        out.push('"');
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ext::kit::{build_match, texts, xt_round_trip};

    /// Text as iptables 1.8.13 prints it (captured).
    #[test]
    fn like_1_8_13() {
        let cx = FmtCx {
            family: Family::V4,
            numeric: true,
            proto: None,
        };
        for (v, saved, listed) in [
            (
                &[(2, false, "bm"), (3, false, "foo")][..],
                " --string \"foo\" --algo bm",
                " STRING match  \"foo\" ALGO name bm",
            ),
            (
                &[
                    (2, false, "kmp"),
                    (3, true, "a b\"c\\d"),
                    (0, false, "1"),
                    (1, false, "10"),
                    (5, false, ""),
                ][..],
                " ! --string \"a b\\\"c\\\\d\" --algo kmp --from 1 --to 10 --icase",
                " STRING match ! \"a b\\\"c\\\\d\" ALGO name kmp FROM 1 TO 10 ICASE",
            ),
            (
                &[(2, false, "bm"), (3, false, "abc\\")][..],
                " --hex-string \"|6162635c|\" --algo bm",
                " STRING match  \"|6162635c|\" ALGO name bm",
            ),
            (
                &[(2, false, "bm"), (4, false, "ab|41 42 |c")][..],
                " --string \"abABc\" --algo bm",
                " STRING match  \"abABc\" ALGO name bm",
            ),
            (
                &[(2, false, "bm"), (4, false, "a\\|b")][..],
                " --string \"a|b\" --algo bm",
                " STRING match  \"a|b\" ALGO name bm",
            ),
            (
                &[(2, false, "bm"), (4, false, "|  41|")][..],
                " --string \"A\" --algo bm",
                " STRING match  \"A\" ALGO name bm",
            ),
        ] {
            let s: StringMatch = build_match(Family::V4, v).unwrap();
            assert_eq!(texts(&s, &cx), (saved.into(), listed.into()));
            assert_eq!(xt_round_trip(&s, Family::V4), (1, 160));
        }
        let msg = |hex: &str| {
            build_match::<StringMatch>(Family::V4, &[(2, false, "bm"), (4, false, hex)])
                .unwrap_err()
                .to_string()
        };
        assert_eq!(msg("|4142"), "Invalid hex block");
        assert_eq!(msg("|414|"), "Invalid hex block");
        assert_eq!(msg("a||b"), "Invalid hex block");
        assert_eq!(msg("|4g|"), "Invalid hex char 'g'");
        assert_eq!(msg("|41\\|"), "Cannot include literals in hex data");
        assert_eq!(msg("abc\\"), "Bad literal placement at end of string");
        assert_eq!(msg(""), "STRING must contain at least one char");
        assert_eq!(msg("||"), "Odd number of hex digits");
    }
}
