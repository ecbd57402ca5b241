//! `-m rpfilter [--loose] [--validmark] [--accept-local] [--invert]`
//! (`libxt_rpfilter.c`): xt match `rpfilter` revision 0, `struct
//! xt_rpfilter_info { u8 flags; }`. The kernel allows it in the raw and
//! mangle tables' PREROUTING only.

use super::{EncodeCx, FmtCx, MatchExt, OptHit, OptSpec, ParseCx};
use crate::error::{DecodeError, Error};
use crate::ir::Expr;
use crate::model::Family;

/// The options in flag order (`XT_RPFILTER_LOOSE` is bit 0, ...).
const NAMES: [&str; 4] = ["loose", "validmark", "accept-local", "invert"];

/// The rpfilter match: `XT_RPFILTER_*` flags.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rpfilter {
    /// flags
    pub flags: u8,
}

impl MatchExt for Rpfilter {
    const NAME: &'static str = "rpfilter";
    const OPTIONS: &'static [OptSpec] = &[
        OptSpec::flag("loose").no_inv(),
        OptSpec::flag("validmark").no_inv(),
        OptSpec::flag("accept-local").no_inv(),
        OptSpec::flag("invert").no_inv(),
    ];

    fn build(hits: &[OptHit], _cx: &ParseCx) -> Result<Self, Error> {
        Ok(Rpfilter {
            flags: hits.iter().fold(0, |f, h| f | 1 << h.idx.min(3)),
        })
    }

    fn save(&self, _cx: &FmtCx, out: &mut String) {
        self.text("--", out)
    }

    fn print(&self, _cx: &FmtCx, out: &mut String) {
        out.push_str(" rpfilter");
        self.text("", out)
    }

    fn encode(&self, _cx: &EncodeCx, out: &mut Vec<Expr>) {
        out.push(Expr::Match {
            name: Self::NAME.into(),
            rev: 0,
            info: super::pad_blob(vec![self.flags]),
        });
    }

    fn decode_blob(rev: u32, info: &[u8], _family: Family) -> Result<Self, DecodeError> {
        match info.first() {
            Some(f) if rev == 0 && f & !0xf == 0 => Ok(Rpfilter { flags: *f }),
            _ => Err(DecodeError(format!(
                "rpfilter revision {rev} of {} bytes",
                info.len()
            ))),
        }
    }
}

impl Rpfilter {
    fn text(&self, prefix: &str, out: &mut String) {
        for (i, name) in NAMES.iter().enumerate() {
            if self.flags & 1 << i != 0 {
                out.push(' ');
                out.push_str(prefix);
                out.push_str(name);
            }
        }
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
            family: Family::V6,
            numeric: true,
            proto: None,
        };
        for (v, saved, listed) in [
            (&[][..], "", " rpfilter"),
            (
                &[(3, false, ""), (0, false, "")][..],
                " --loose --invert",
                " rpfilter loose invert",
            ),
            (
                &[
                    (0, false, ""),
                    (1, false, ""),
                    (2, false, ""),
                    (3, false, ""),
                ][..],
                " --loose --validmark --accept-local --invert",
                " rpfilter loose validmark accept-local invert",
            ),
        ] {
            let r: Rpfilter = build_match(Family::V6, v).unwrap();
            assert_eq!(texts(&r, &cx), (saved.into(), listed.into()));
            assert_eq!(xt_round_trip(&r, Family::V6), (0, 8));
        }
    }
}
