//! `-m u32 [!] --u32 TESTS` (`libxt_u32.c`): xt match `u32` revision 0,
//! `struct xt_u32` (up to 10 tests of up to 10 location numbers and 10
//! value ranges each), both families.

use super::header_kit::uint_prefix;
use super::{EncodeCx, FmtCx, MatchExt, OptHit, OptSpec, ParseCx};
use crate::error::{param, DecodeError, Error};
use crate::ir::Expr;
use crate::model::Family;

/// `XT_U32_MAXSIZE`: the arrays hold one more element than may be used
const MAXSIZE: usize = 10;
/// `sizeof(struct xt_u32_test)`: 11 locations of 8 bytes, 11 values of
/// 8, two counts, padded to 4
const TEST_SIZE: usize = 180;
/// `sizeof(struct xt_u32)`
const SIZE: usize = TEST_SIZE * (MAXSIZE + 1) + 4;
const OPS: [&str; 4] = ["&", "<<", ">>", "@"];

/// One test: location numbers (each with the operator before it, 0 for
/// the first) and value ranges.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct U32Test {
    /// (number, `XT_U32_*` operator before it)
    pub location: Vec<(u32, u8)>,
    /// (min, max)
    pub values: Vec<(u32, u32)>,
}

/// The u32 match.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct U32 {
    /// the tests, all of which must hold
    pub tests: Vec<U32Test>,
    /// `!`
    pub invert: bool,
}

/// `u32_parse`, its states and messages (positions are byte offsets).
fn parse(s: &str) -> Result<Vec<U32Test>, Error> {
    let b = s.as_bytes();
    let at = |i: usize| b.get(i).copied().unwrap_or(0);
    let err = |m: String| param(format!("u32: {m}"));
    let number = |i: &mut usize| -> Result<u32, Error> {
        let pos = *i;
        let (v, end) = uint_prefix(&s[pos..], 0, u64::from(u32::MAX))
            .filter(|(_, end)| *end > 0)
            .ok_or_else(|| err(format!("at char {pos}: not a number or out of range")))?;
        *i += end;
        Ok(v as u32)
    };
    let mut tests = vec![U32Test::default()];
    let mut i = 0usize;
    let mut values_state = false;
    loop {
        while at(i).is_ascii_whitespace() || at(i) == 0x0b {
            i += 1;
        }
        let ct = tests.len() - 1;
        if i >= b.len() {
            if !values_state {
                return Err(err("abrupt end of input after location specifier".into()));
            }
            if tests[ct].values.is_empty() {
                return Err(err("test ended with no value specified".into()));
            }
            if tests.len() > MAXSIZE {
                return Err(err(format!("at char {i}: too many \"&&\"s")));
            }
            return Ok(tests);
        }
        if !values_state {
            if at(i) == b'=' {
                if tests[ct].location.is_empty() {
                    return Err(err(format!("at char {i}: location spec missing")));
                }
                i += 1;
                values_state = true;
                continue;
            }
            let mut op = 0u8;
            if !tests[ct].location.is_empty() {
                op = match at(i) {
                    b'&' => 0,
                    b'<' | b'>' => {
                        let c = at(i);
                        i += 1;
                        if at(i) != c {
                            return Err(err(format!(
                                "at char {i}: a second '{}' was expected",
                                char::from(c)
                            )));
                        }
                        if c == b'<' {
                            1
                        } else {
                            2
                        }
                    }
                    b'@' => 3,
                    _ => return Err(err(format!("at char {i}: operator expected"))),
                };
                i += 1;
            }
            let n = number(&mut i)?;
            tests[ct].location.push((n, op));
            if tests[ct].location.len() > MAXSIZE {
                return Err(err(format!("at char {i}: too many operators")));
            }
        } else if at(i) == b'&' {
            i += 1;
            if at(i) != b'&' {
                return Err(err(format!("at char {i}: a second '&' was expected")));
            }
            if tests[ct].values.is_empty() {
                return Err(err(format!("at char {i}: value spec missing")));
            }
            tests.push(U32Test::default());
            // the new test's index above 10
            if tests.len() > MAXSIZE + 1 {
                return Err(err(format!("at char {i}: too many \"&&\"s")));
            }
            i += 1;
            values_state = false;
        } else {
            if !tests[ct].values.is_empty() {
                if at(i) != b',' {
                    return Err(err(format!("at char {i}: expected \",\" or \"&&\"")));
                }
                i += 1;
            }
            let min = number(&mut i)?;
            while at(i).is_ascii_whitespace() || at(i) == 0x0b {
                i += 1;
            }
            let max = if at(i) == b':' {
                i += 1;
                number(&mut i)?
            } else {
                min
            };
            tests[ct].values.push((min, max));
            if tests[ct].values.len() > MAXSIZE {
                return Err(err(format!("at char {i}: too many \",\"s")));
            }
        }
    }
}

impl MatchExt for U32 {
    const NAME: &'static str = "u32";
    const OPTIONS: &'static [OptSpec] = &[OptSpec::value("u32").mandatory()];

    fn build(hits: &[OptHit], _cx: &ParseCx) -> Result<Self, Error> {
        let mut m = U32 {
            tests: Vec::new(),
            invert: false,
        };
        for h in hits {
            m.tests = parse(h.arg())?;
            m.invert = h.inv;
        }
        Ok(m)
    }

    fn save(&self, _cx: &FmtCx, out: &mut String) {
        if self.invert {
            out.push_str(" !");
        }
        out.push_str(" --u32");
        self.dump(out);
    }

    fn print(&self, _cx: &FmtCx, out: &mut String) {
        out.push_str(" u32");
        if self.invert {
            out.push_str(" !");
        }
        self.dump(out);
    }

    fn encode(&self, _cx: &EncodeCx, out: &mut Vec<Expr>) {
        let mut b = vec![0u8; SIZE];
        for (t, test) in self.tests.iter().enumerate().take(MAXSIZE + 1) {
            let base = t * TEST_SIZE;
            for (k, (n, op)) in test.location.iter().enumerate().take(MAXSIZE + 1) {
                b[base + k * 8..base + k * 8 + 4].copy_from_slice(&n.to_ne_bytes());
                b[base + k * 8 + 4] = *op;
            }
            for (k, (lo, hi)) in test.values.iter().enumerate().take(MAXSIZE + 1) {
                let o = base + 88 + k * 8;
                b[o..o + 4].copy_from_slice(&lo.to_ne_bytes());
                b[o + 4..o + 8].copy_from_slice(&hi.to_ne_bytes());
            }
            b[base + 176] = test.location.len() as u8;
            b[base + 177] = test.values.len() as u8;
        }
        b[TEST_SIZE * (MAXSIZE + 1)] = self.tests.len() as u8;
        b[TEST_SIZE * (MAXSIZE + 1) + 1] = u8::from(self.invert);
        out.push(Expr::Match {
            name: Self::NAME.into(),
            rev: 0,
            info: super::pad_blob(b),
        });
    }

    fn decode_blob(rev: u32, info: &[u8], _family: Family) -> Result<Self, DecodeError> {
        if rev != 0 || info.len() < SIZE {
            return Err(DecodeError(format!(
                "u32 revision {rev} of {} bytes",
                info.len()
            )));
        }
        let u = |o: usize| u32::from_ne_bytes([info[o], info[o + 1], info[o + 2], info[o + 3]]);
        let ntests = usize::from(info[TEST_SIZE * (MAXSIZE + 1)]).min(MAXSIZE + 1);
        let tests = (0..ntests)
            .map(|t| {
                let base = t * TEST_SIZE;
                let nnums = usize::from(info[base + 176]).min(MAXSIZE + 1);
                let nvalues = usize::from(info[base + 177]).min(MAXSIZE + 1);
                U32Test {
                    location: (0..nnums)
                        .map(|k| (u(base + k * 8), info[base + k * 8 + 4]))
                        .collect(),
                    values: (0..nvalues)
                        .map(|k| (u(base + 88 + k * 8), u(base + 92 + k * 8)))
                        .collect(),
                }
            })
            .collect();
        Ok(U32 {
            tests,
            invert: info[TEST_SIZE * (MAXSIZE + 1) + 1] != 0,
        })
    }
}

impl U32 {
    /// `u32_dump`: the tests in hexadecimal, quoted.
    fn dump(&self, out: &mut String) {
        out.push_str(" \"");
        for (t, test) in self.tests.iter().enumerate() {
            if t > 0 {
                out.push_str("&&");
            }
            // upstream prints location[0] even when a test has none
            out.push_str(&format!("0x{:x}", test.location.first().map_or(0, |l| l.0)));
            for (n, op) in test.location.iter().skip(1) {
                out.push_str(OPS.get(usize::from(*op)).copied().unwrap_or(""));
                out.push_str(&format!("0x{n:x}"));
            }
            out.push('=');
            for (k, (lo, hi)) in test.values.iter().enumerate() {
                if k > 0 {
                    out.push(',');
                }
                if lo == hi {
                    out.push_str(&format!("0x{lo:x}"));
                } else {
                    out.push_str(&format!("0x{lo:x}:0x{hi:x}"));
                }
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
        let u: U32 = build_match(
            Family::V4,
            &[(0, true, " 6 & 0xFF = 1,2:3 && 4>>5@12<<1&7=0:0x10")],
        )
        .unwrap();
        assert_eq!(
            texts(&u, &cx),
            (
                " ! --u32 \"0x6&0xff=0x1,0x2:0x3&&0x4>>0x5@0xc<<0x1&0x7=0x0:0x10\"".into(),
                " u32 ! \"0x6&0xff=0x1,0x2:0x3&&0x4>>0x5@0xc<<0x1&0x7=0x0:0x10\"".into()
            )
        );
        assert_eq!(xt_round_trip(&u, Family::V4), (0, 1984));
        let msg = |s: &str| {
            build_match::<U32>(Family::V4, &[(0, false, s)])
                .unwrap_err()
                .to_string()
        };
        assert_eq!(msg(""), "u32: abrupt end of input after location specifier");
        assert_eq!(msg("0="), "u32: test ended with no value specified");
        assert_eq!(msg("=1"), "u32: at char 0: location spec missing");
        assert_eq!(msg("0<1=1"), "u32: at char 2: a second '<' was expected");
        assert_eq!(msg("0=1&1"), "u32: at char 4: a second '&' was expected");
        assert_eq!(msg("0 x1=1"), "u32: at char 2: operator expected");
        assert_eq!(msg("0=1 2"), "u32: at char 4: expected \",\" or \"&&\"");
        assert_eq!(msg("0=-1"), "u32: at char 2: not a number or out of range");
    }
}
