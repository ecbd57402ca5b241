//! `-m connbytes [!] --connbytes from[:to] --connbytes-mode
//! packets|bytes|avgpkt --connbytes-dir original|reply|both`
//! (`libxt_connbytes.c`): xt match `connbytes` revision 0, `struct
//! xt_connbytes_info`. `!` is stored by swapping the bounds.

use super::header_kit::uint_range;
use super::value::strtoumax;
use super::{EncodeCx, FmtCx, MatchExt, OptHit, OptSpec, ParseCx};
use crate::error::{param, DecodeError, Error};
use crate::ir::Expr;
use crate::model::Family;

crate::xt_struct! {
    /// `struct xt_connbytes_info`
    pub struct ConnbytesInfo { pub from: u64, pub to: u64, pub what: u8, pub direction: u8 }
}
const _: () = assert!(ConnbytesInfo::SIZE == 24);

/// The connbytes match, as the kernel holds it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Connbytes {
    /// lower bound (the upper one when inverted)
    pub from: u64,
    /// upper bound (the lower one when inverted)
    pub to: u64,
    /// `XT_CONNBYTES_PKTS`, `_BYTES`, `_AVGPKT`
    pub what: u8,
    /// `XT_CONNBYTES_DIR_ORIGINAL`, `_REPLY`, `_BOTH`
    pub direction: u8,
}

const MODES: [&str; 3] = ["packets", "bytes", "avgpkt"];
const DIRS: [&str; 3] = ["original", "reply", "both"];

/// `XTTYPE_UINT64RC`: the range as `uint_range` reads it, and a component
/// beyond 2^64 - 1 refused as `strtoull`'s `ERANGE` makes libxtables refuse it.
fn u64_range(s: &str) -> Result<(u64, u64, usize), Error> {
    let (a, b) = uint_range("connbytes", "connbytes", s, u64::MAX)?;
    let mut lmin = 0;
    let mut rest = s;
    let mut n = 0;
    loop {
        n += 1;
        if let Some((v, end)) = strtoumax(rest).filter(|_| !rest.starts_with(':')) {
            if v == u64::MAX && !no_overflow(&rest[..end]) {
                return Err(param(format!(
                    "connbytes: bad value for option \"--connbytes\" near \"{rest}\", or out of range ({lmin}-{}).\n",
                    u64::MAX
                )));
            }
            lmin = v;
        }
        match rest.find(':') {
            Some(i) => rest = &rest[i + 1..],
            None => break,
        }
    }
    Ok((a, b, n))
}

/// Whether a number `strtoumax` read as 2^64 - 1 really is that (not
/// saturated).
fn no_overflow(s: &str) -> bool {
    let t = s.trim_start();
    let t = t.strip_prefix('+').unwrap_or(t);
    let (digits, radix) = if let Some(h) = t.strip_prefix("0x").or(t.strip_prefix("0X")) {
        (h, 16)
    } else if t.len() > 1 && t.starts_with('0') {
        (&t[1..], 8)
    } else {
        (t, 10)
    };
    u64::from_str_radix(digits, radix).is_ok()
}

impl MatchExt for Connbytes {
    const NAME: &'static str = "connbytes";
    const OPTIONS: &'static [OptSpec] = &[
        OptSpec::value("connbytes").mandatory(),
        OptSpec::value("connbytes-dir").no_inv().mandatory(),
        OptSpec::value("connbytes-mode").no_inv().mandatory(),
    ];

    fn build(hits: &[OptHit], _cx: &ParseCx) -> Result<Self, Error> {
        let mut m = Connbytes {
            from: 0,
            to: 0,
            what: 0,
            direction: 0,
        };
        for h in hits {
            let a = h.arg();
            match h.idx {
                0 => {
                    let (from, to, n) = u64_range(a)?;
                    m.from = from;
                    m.to = if n == 2 { to } else { u64::MAX };
                    if h.inv {
                        std::mem::swap(&mut m.from, &mut m.to);
                    }
                }
                1 => {
                    m.direction = DIRS
                        .iter()
                        .position(|d| *d == a)
                        .ok_or_else(|| param(format!("Unknown --connbytes-dir `{a}'")))?
                        as u8
                }
                _ => {
                    m.what = MODES
                        .iter()
                        .position(|d| *d == a)
                        .ok_or_else(|| param(format!("Unknown --connbytes-mode `{a}'")))?
                        as u8
                }
            }
        }
        Ok(m)
    }

    fn save(&self, _cx: &FmtCx, out: &mut String) {
        self.text("--", " --connbytes-mode", " --connbytes-dir", out)
    }

    fn print(&self, _cx: &FmtCx, out: &mut String) {
        self.text("", " connbytes mode", " connbytes direction", out)
    }

    fn encode(&self, _cx: &EncodeCx, out: &mut Vec<Expr>) {
        out.push(Expr::Match {
            name: Self::NAME.into(),
            rev: 0,
            info: ConnbytesInfo {
                from: self.from,
                to: self.to,
                what: self.what,
                direction: self.direction,
            }
            .to_blob(),
        });
    }

    fn decode_blob(rev: u32, info: &[u8], _family: Family) -> Result<Self, DecodeError> {
        match (rev, ConnbytesInfo::from_blob(info)) {
            (0, Some(i)) => Ok(Connbytes {
                from: i.from,
                to: i.to,
                what: i.what,
                direction: i.direction,
            }),
            _ => Err(DecodeError(format!(
                "connbytes revision {rev} of {} bytes",
                info.len()
            ))),
        }
    }
}

impl Connbytes {
    fn text(&self, prefix: &str, mode: &str, dir: &str, out: &mut String) {
        use std::fmt::Write;
        let (from, to) = if self.from > self.to {
            out.push_str(" !");
            (self.to, self.from)
        } else {
            (self.from, self.to)
        };
        let _ = write!(out, " {prefix}connbytes {from}");
        if to != 0 && to < u64::MAX {
            let _ = write!(out, ":{to}");
        }
        let name = |names: &[&'static str; 3], v: u8| names.get(usize::from(v)).copied();
        let _ = write!(
            out,
            "{mode} {}{dir} {}",
            name(&MODES, self.what).unwrap_or("unknown"),
            name(&DIRS, self.direction).unwrap_or("unknown")
        );
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
        for (inv, range, mode, dir, saved, listed) in [
            (
                false,
                "0:1000",
                "packets",
                "original",
                " --connbytes 0:1000 --connbytes-mode packets --connbytes-dir original",
                " connbytes 0:1000 connbytes mode packets connbytes direction original",
            ),
            (
                true,
                "1000",
                "avgpkt",
                "both",
                " ! --connbytes 1000 --connbytes-mode avgpkt --connbytes-dir both",
                " ! connbytes 1000 connbytes mode avgpkt connbytes direction both",
            ),
            (
                false,
                ":",
                "bytes",
                "reply",
                " --connbytes 0 --connbytes-mode bytes --connbytes-dir reply",
                " connbytes 0 connbytes mode bytes connbytes direction reply",
            ),
            (
                true,
                "5:5",
                "bytes",
                "reply",
                " --connbytes 5:5 --connbytes-mode bytes --connbytes-dir reply",
                " connbytes 5:5 connbytes mode bytes connbytes direction reply",
            ),
        ] {
            let m: Connbytes = build_match(
                Family::V4,
                &[(0, inv, range), (1, false, dir), (2, false, mode)],
            )
            .unwrap();
            assert_eq!(texts(&m, &cx), (saved.to_string(), listed.to_string()));
            assert_eq!(xt_round_trip(&m, Family::V4), (0, 24));
        }
        let msg = |r: &str| {
            build_match::<Connbytes>(Family::V4, &[(0, false, r)])
                .unwrap_err()
                .to_string()
        };
        assert_eq!(
            msg("0:18446744073709551616"),
            "connbytes: bad value for option \"--connbytes\" near \"18446744073709551616\", or out of range (0-18446744073709551615).\n"
        );
        assert_eq!(
            msg("1000:0"),
            "connbytes: bad value for option \"--connbytes\" near \"0\", or out of range (1000-18446744073709551615).\n"
        );
        assert!(
            build_match::<Connbytes>(Family::V4, &[(0, false, "0:18446744073709551615")]).is_ok()
        );
    }
}
