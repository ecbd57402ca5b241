//! `-m rateest` (`libxt_rateest.c`): xt match `rateest` revision 0,
//! `struct xt_rateest_match_info`: compares the rates of one estimator
//! (made by `-j RATEEST`) with given rates (absolute mode) or with another
//! estimator (`--rateest1 a ... --rateest2 b`, relative mode), optionally
//! as differences (`--rateest-delta`). An old-style parser: its own
//! messages, and the rate options take the next word as their value when
//! it is not an option.

use super::header_kit::uint;
use super::{EncodeCx, FmtCx, MatchExt, OptHit, OptSpec, ParseCx};
use crate::error::{param, DecodeError, Error};
use crate::ir::Expr;
use crate::model::Family;

crate::xt_struct! {
    /// `struct xt_rateest_match_info` (the kernel's two estimator
    /// pointers, zero from userspace, as `est`)
    pub struct RateestInfo {
        pub name1: [u8; 16], pub name2: [u8; 16], pub flags: u16, pub mode: u16,
        pub bps1: u32, pub pps1: u32, pub bps2: u32, pub pps2: u32, pub est1: u64, pub est2: u64,
    }
}
const _: () = assert!(RateestInfo::SIZE == 72);

/// `XT_RATEEST_MATCH_INVERT`
const INVERT: u16 = 1;
/// `XT_RATEEST_MATCH_ABS`
const ABS: u16 = 2;
/// `XT_RATEEST_MATCH_REL`
const REL: u16 = 4;
/// `XT_RATEEST_MATCH_DELTA`
const DELTA: u16 = 8;
/// `XT_RATEEST_MATCH_BPS`
const BPS: u16 = 16;
/// `XT_RATEEST_MATCH_PPS`
const PPS: u16 = 32;

/// The rateest match (the userspace part of the struct).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rateest {
    /// first estimator (NUL padded)
    pub name1: [u8; 16],
    /// second estimator
    pub name2: [u8; 16],
    /// `XT_RATEEST_MATCH_*` flags
    pub flags: u16,
    /// `XT_RATEEST_MATCH_EQ` (1), `_LT` (2), `_GT` (3), or 0
    pub mode: u16,
    /// bytes/s
    pub bps1: u32,
    /// packets/s
    pub pps1: u32,
    /// bytes/s
    pub bps2: u32,
    /// packets/s
    pub pps2: u32,
}

/// `strtod` on the start of `s`: the value and where it ended, `None` when
/// no number starts there (decimal and `inf`/`nan` forms).
pub fn strtod(s: &str) -> Option<(f64, usize)> {
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() && matches!(b[i], b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c) {
        i += 1;
    }
    let start = i;
    if i < b.len() && (b[i] == b'+' || b[i] == b'-') {
        i += 1;
    }
    let lower = s[i..].to_ascii_lowercase();
    for word in ["infinity", "inf", "nan"] {
        if lower.starts_with(word) {
            let x = match (word, s[start..i].starts_with('-')) {
                ("nan", _) => f64::NAN,
                (_, true) => f64::NEG_INFINITY,
                _ => f64::INFINITY,
            };
            return Some((x, i + word.len()));
        }
    }
    // a hexadecimal float: 0xH[.H][p[+-]D]
    if b.len() > i + 2 && b[i] == b'0' && (b[i + 1] | 0x20) == b'x' {
        let neg = s[start..i].starts_with('-');
        let mut j = i + 2;
        let (mut m, mut n, mut scale) = (0f64, 0usize, 0i32);
        let mut frac = false;
        while j < b.len() {
            match (b[j] as char).to_digit(16) {
                Some(d) => {
                    m = m * 16.0 + f64::from(d);
                    if frac {
                        scale -= 4;
                    }
                    n += 1;
                }
                None if b[j] == b'.' && !frac => frac = true,
                None => break,
            }
            j += 1;
        }
        if n > 0 {
            if j < b.len() && (b[j] | 0x20) == b'p' {
                let mut k = j + 1;
                let eneg = k < b.len() && b[k] == b'-';
                if k < b.len() && (b[k] == b'+' || b[k] == b'-') {
                    k += 1;
                }
                let e0 = k;
                while k < b.len() && b[k].is_ascii_digit() {
                    k += 1;
                }
                if k > e0 {
                    let e: i32 = s[e0..k].parse().unwrap_or(i32::MAX / 2);
                    scale = scale.saturating_add(if eneg { -e } else { e });
                    j = k;
                }
            }
            let v = m * 2f64.powi(scale);
            return Some((if neg { -v } else { v }, j));
        }
        // `0x` with no hex digit: the number is the 0
        let _ = n;
        return Some((0.0, i + 1));
    }
    let digits = |i: &mut usize| {
        let s0 = *i;
        while *i < b.len() && b[*i].is_ascii_digit() {
            *i += 1;
        }
        *i - s0
    };
    let mut n = digits(&mut i);
    if i < b.len() && b[i] == b'.' {
        i += 1;
        n += digits(&mut i);
    }
    if n == 0 {
        return None;
    }
    if i < b.len() && (b[i] == b'e' || b[i] == b'E') {
        let mut j = i + 1;
        if j < b.len() && (b[j] == b'+' || b[j] == b'-') {
            j += 1;
        }
        if digits(&mut j) > 0 {
            i = j;
        }
    }
    let t = s[start..i].trim_end_matches('.');
    let v = if t.ends_with(['+', '-']) || t.is_empty() {
        0.0
    } else {
        t.parse::<f64>().ok()?
    };
    Some((v, i))
}

/// A C `double` to `uint32_t` as x86-64 code converts it: through a 64-bit
/// signed conversion, then the low 32 bits.
pub fn c_u32(v: f64) -> u32 {
    // 2^63: beyond it (and for NaN) cvttsd2si gives 0x8000000000000000
    const LIMIT: f64 = 9_223_372_036_854_775_808.0;
    if !(-LIMIT..LIMIT).contains(&v) {
        0
    } else {
        (v as i64) as u32
    }
}

/// iproute's rate units, in bits.
const SUFFIXES: &[(&str, f64)] = &[
    ("bit", 1.),
    ("Kibit", 1024.),
    ("kbit", 1000.),
    ("Mibit", 1024. * 1024.),
    ("mbit", 1_000_000.),
    ("Gibit", 1024. * 1024. * 1024.),
    ("gbit", 1_000_000_000.),
    ("Tibit", 1024. * 1024. * 1024. * 1024.),
    ("tbit", 1_000_000_000_000.),
    ("Bps", 8.),
    ("KiBps", 8. * 1024.),
    ("KBps", 8000.),
    ("MiBps", 8. * 1024. * 1024.),
    ("MBps", 8_000_000.),
    ("GiBps", 8. * 1024. * 1024. * 1024.),
    ("GBps", 8_000_000_000.),
    ("TiBps", 8. * 1024. * 1024. * 1024. * 1024.),
    ("TBps", 8_000_000_000_000.),
];

/// `rateest_get_rate`: bytes per second (a bare number is bytes/s).
fn get_rate(s: &str) -> Option<u32> {
    let (v, end) = strtod(s)?;
    let rest = &s[end..];
    if rest.is_empty() {
        return Some(c_u32(v / 8.));
    }
    SUFFIXES
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(rest))
        .map(|(_, scale)| c_u32((v * scale) / 8.))
}

/// `rateest_print_rate`.
fn rate_text(rate: u32, numeric: bool, out: &mut String) {
    let tmp = f64::from(rate) * 8.;
    out.push_str(&if numeric {
        format!(" {rate}")
    } else if tmp >= 1000.0 * 1_000_000.0 {
        format!(" {:.0}Mbit", tmp / 1_000_000.0)
    } else if tmp >= 1_000_000.0 {
        format!(" {:.0}Kbit", tmp / 1000.0)
    } else {
        format!(" {tmp:.0}bit")
    });
}

/// A name as `strncpy(dst, src, 15)` leaves it in a zeroed 16-byte field.
fn name_field(s: &str) -> [u8; 16] {
    let mut n = [0u8; 16];
    let b = s.as_bytes();
    let len = b.len().min(15);
    n[..len].copy_from_slice(&b[..len]);
    n
}

/// A NUL-padded name field as C prints it.
pub fn name_text(n: &[u8]) -> String {
    let end = n.iter().position(|c| *c == 0).unwrap_or(n.len());
    String::from_utf8_lossy(&n[..end]).into_owned()
}

impl MatchExt for Rateest {
    const NAME: &'static str = "rateest";
    const OPTIONS: &'static [OptSpec] = &[
        OptSpec::value("rateest1").alias("rateest").multi(),
        OptSpec::value("rateest2").multi(),
        OptSpec::flag("rateest-bps1").optional_next().multi(),
        OptSpec::flag("rateest-pps1").optional_next().multi(),
        OptSpec::flag("rateest-bps2")
            .alias("rateest-bps")
            .optional_next()
            .multi(),
        OptSpec::flag("rateest-pps2")
            .alias("rateest-pps")
            .optional_next()
            .multi(),
        OptSpec::flag("rateest-delta").multi(),
        OptSpec::flag("rateest-lt").multi(),
        OptSpec::flag("rateest-gt").multi(),
        OptSpec::flag("rateest-eq").multi(),
    ];

    fn build(hits: &[OptHit], _cx: &ParseCx) -> Result<Self, Error> {
        let mut m = Rateest {
            name1: [0; 16],
            name2: [0; 16],
            flags: 0,
            mode: 0,
            bps1: 0,
            pps1: 0,
            bps2: 0,
            pps2: 0,
        };
        let mut seen = 0u32;
        let er = |s: String| param(format!("rateest: {s}"));
        for h in hits {
            let what = [
                "rateest",
                "rateest",
                "rateest-bps",
                "rateest-pps",
                "rateest-bps",
                "rateest-pps",
                "rateest-delta",
            ];
            if h.inv && h.idx < 7 {
                return Err(er(format!("{} can't be inverted", what[h.idx])));
            }
            if seen & (1 << h.idx) != 0 {
                return Err(er(if h.idx >= 7 {
                    "can't specify lt/gt/eq twice".into()
                } else {
                    format!("can't specify --{} twice", Self::OPTIONS[h.idx].name)
                }));
            }
            seen |= 1 << h.idx;
            let a = h.args.first().copied();
            let rate =
                |a: &str| get_rate(a).ok_or_else(|| er(format!("could not parse rate `{a}'")));
            let pps = |a: &str| {
                uint(a, 0, u64::from(u32::MAX))
                    .map(|v| v as u32)
                    .ok_or_else(|| er(format!("could not parse pps `{a}'")))
            };
            match h.idx {
                0 => m.name1 = name_field(h.arg()),
                1 => {
                    m.name2 = name_field(h.arg());
                    m.flags |= REL;
                }
                2 | 4 => {
                    m.flags |= BPS;
                    if let Some(a) = a {
                        *(if h.idx == 2 { &mut m.bps1 } else { &mut m.bps2 }) = rate(a)?;
                    }
                }
                3 | 5 => {
                    m.flags |= PPS;
                    if let Some(a) = a {
                        *(if h.idx == 3 { &mut m.pps1 } else { &mut m.pps2 }) = pps(a)?;
                    }
                }
                6 => m.flags |= DELTA,
                i => {
                    m.mode = match i {
                        7 => 2,
                        8 => 3,
                        _ => 1,
                    };
                    if h.inv {
                        m.flags |= INVERT;
                    }
                }
            }
        }
        if m.flags & REL == 0 {
            m.flags |= ABS;
        }
        Ok(m)
    }

    fn save(&self, _cx: &FmtCx, out: &mut String) {
        if self.flags & DELTA != 0 {
            out.push_str(" --rateest-delta");
        }
        let rel = self.flags & REL != 0;
        out.push_str(if rel { " --rateest1 " } else { " --rateest " });
        out.push_str(&name_text(&self.name1));
        if self.flags & BPS != 0 {
            self.save_rate(out, "bps", self.bps1, self.bps2, false);
        }
        if self.flags & PPS != 0 {
            self.save_rate(out, "pps", self.pps1, self.pps2, true);
        }
        if rel {
            out.push_str(" --rateest2 ");
            out.push_str(&name_text(&self.name2));
        }
    }

    fn print(&self, cx: &FmtCx, out: &mut String) {
        let f = self.flags;
        let n = cx.numeric;
        out.push_str(" rateest match ");
        out.push_str(&name_text(&self.name1));
        if f & DELTA != 0 {
            out.push_str(" delta");
        }
        if f & BPS != 0 {
            out.push_str(" bps");
            if f & DELTA != 0 {
                rate_text(self.bps1, n, out);
            }
            if f & ABS != 0 {
                rate_text(self.bps2, n, out);
                self.mode_text("", out);
            }
        }
        if f & PPS != 0 {
            out.push_str(" pps");
            if f & DELTA != 0 {
                out.push_str(&format!(" {}", self.pps1));
            }
            if f & ABS != 0 {
                self.mode_text("", out);
                out.push_str(&format!(" {}", self.pps2));
            }
        }
        if f & REL != 0 {
            self.mode_text("", out);
            out.push(' ');
            out.push_str(&name_text(&self.name2));
            if f & BPS != 0 {
                out.push_str(" bps");
                if f & DELTA != 0 {
                    rate_text(self.bps2, n, out);
                }
            }
            if f & PPS != 0 {
                out.push_str(" pps");
                if f & DELTA != 0 {
                    out.push_str(&format!(" {}", self.pps2));
                }
            }
        }
    }

    fn encode(&self, _cx: &EncodeCx, out: &mut Vec<Expr>) {
        out.push(Expr::Match {
            name: Self::NAME.into(),
            rev: 0,
            info: RateestInfo {
                name1: self.name1,
                name2: self.name2,
                flags: self.flags,
                mode: self.mode,
                bps1: self.bps1,
                pps1: self.pps1,
                bps2: self.bps2,
                pps2: self.pps2,
                est1: 0,
                est2: 0,
            }
            .to_blob(),
        });
    }

    fn decode_blob(rev: u32, info: &[u8], _family: Family) -> Result<Self, DecodeError> {
        match (rev, RateestInfo::from_blob(info)) {
            (0, Some(i)) => Ok(Rateest {
                name1: i.name1,
                name2: i.name2,
                flags: i.flags,
                mode: i.mode,
                bps1: i.bps1,
                pps1: i.pps1,
                bps2: i.bps2,
                pps2: i.pps2,
            }),
            _ => Err(DecodeError(format!(
                "rateest revision {rev} of {} bytes",
                info.len()
            ))),
        }
    }
}

impl Rateest {
    /// `rateest_print_mode` (iptables exits on an unknown mode; a decoded
    /// one prints nothing here).
    fn mode_text(&self, prefix: &str, out: &mut String) {
        if self.flags & INVERT != 0 {
            out.push_str(" !");
        }
        let m = match self.mode {
            1 => "eq",
            2 => "lt",
            3 => "gt",
            _ => return,
        };
        out.push_str(&format!(" {prefix}{m}"));
    }

    /// `__rateest_save_rate` (bps as rates with units, pps as numbers).
    fn save_rate(&self, out: &mut String, name: &str, r1: u32, r2: u32, numeric: bool) {
        let delta = self.flags & DELTA != 0;
        if delta {
            out.push_str(&format!(" --rateest-{name}1"));
            rate_text(r1, numeric, out);
            self.mode_text("--rateest-", out);
            out.push_str(&format!(" --rateest-{name}2"));
        } else {
            self.mode_text("--rateest-", out);
            out.push_str(&format!(" --rateest-{name}"));
        }
        if self.flags & (ABS | DELTA) != 0 {
            rate_text(r2, numeric, out);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ext::kit::{build_match, texts, xt_round_trip};

    /// glibc's strtod, hexadecimal floats included (iptables 1.8.13 reads
    /// `--rateest-bps1 0x10` as 16 bit/s).
    #[test]
    fn strtod_reads_what_glibc_reads() {
        for (s, v, end) in [
            ("0x10", 16.0, 4),
            ("0x1.8p4kbit", 24.0, 7),
            ("-0X.8", -0.5, 5),
            ("0x", 0.0, 1),
            ("0xg", 0.0, 1),
            (" 12.5e1x", 125.0, 7),
            ("inf", f64::INFINITY, 3),
        ] {
            assert_eq!(strtod(s), Some((v, end)), "{s}");
        }
        assert_eq!(strtod("x"), None);
        assert_eq!(get_rate("0x10"), Some(2));
    }

    /// Text as iptables 1.8.13 prints it (captured).
    #[test]
    fn like_1_8_13() {
        let cx = |numeric| FmtCx {
            family: Family::V4,
            numeric,
            proto: None,
        };
        for (v, saved, listed, named) in [
            (
                &[(0, false, "RE1"), (7, false, ""), (4, false, "8bit")][..],
                " --rateest RE1 --rateest-lt --rateest-bps 8bit",
                " rateest match RE1 bps 1 lt",
                " rateest match RE1 bps 8bit lt",
            ),
            (
                &[(0, false, "RE1"), (9, true, ""), (5, false, "5")][..],
                " --rateest RE1 ! --rateest-eq --rateest-pps 5",
                " rateest match RE1 pps ! eq 5",
                " rateest match RE1 pps ! eq 5",
            ),
            (
                &[(0, false, "RE1"), (8, false, ""), (4, false, "5GBps")][..],
                " --rateest RE1 --rateest-gt --rateest-bps 5640Mbit",
                " rateest match RE1 bps 705032704 gt",
                " rateest match RE1 bps 5640Mbit gt",
            ),
            (
                &[(6, false, ""), (0, false, "RE1"), (2, false, "1mbit"), (3, false, "3"), (8, false, ""), (4, false, "2mbit"), (5, false, "4"), (1, false, "RE2")][..],
                " --rateest-delta --rateest1 RE1 --rateest-bps1 1000Kbit --rateest-gt --rateest-bps2 2000Kbit --rateest-pps1 3 --rateest-gt --rateest-pps2 4 --rateest2 RE2",
                " rateest match RE1 delta bps 125000 pps 3 gt RE2 bps 250000 pps 4",
                " rateest match RE1 delta bps 1000Kbit pps 3 gt RE2 bps 2000Kbit pps 4",
            ),
            (
                &[(0, false, "RE1"), (7, false, ""), (4, false, ""), (1, false, "RE2")][..],
                " --rateest1 RE1 --rateest-lt --rateest-bps --rateest2 RE2",
                " rateest match RE1 bps lt RE2 bps",
                " rateest match RE1 bps lt RE2 bps",
            ),
        ] {
            let m: Rateest = build_match(Family::V4, v).unwrap();
            assert_eq!(texts(&m, &cx(true)), (saved.to_string(), listed.to_string()));
            assert_eq!(texts(&m, &cx(false)).1, named);
            assert_eq!(xt_round_trip(&m, Family::V4), (0, 72));
        }
        let msg = |v: &[(usize, bool, &str)]| {
            build_match::<Rateest>(Family::V4, v)
                .unwrap_err()
                .to_string()
        };
        assert_eq!(msg(&[(0, true, "x")]), "rateest: rateest can't be inverted");
        assert_eq!(
            msg(&[(4, false, ""), (4, false, "")]),
            "rateest: can't specify --rateest-bps2 twice"
        );
        assert_eq!(
            msg(&[(7, false, ""), (7, false, "")]),
            "rateest: can't specify lt/gt/eq twice"
        );
        assert_eq!(
            msg(&[(5, false, "4294967296")]),
            "rateest: could not parse pps `4294967296'"
        );
        assert_eq!(
            msg(&[(4, false, "5x")]),
            "rateest: could not parse rate `5x'"
        );
    }

    #[test]
    fn rates() {
        assert_eq!(get_rate("1.5"), Some(0));
        assert_eq!(get_rate("4294967295000"), Some(4294967171));
        assert_eq!(get_rate("5KBPS"), Some(5000));
        let mut s = String::new();
        rate_text(125_062, false, &mut s);
        assert_eq!(s, " 1000Kbit");
    }
}
