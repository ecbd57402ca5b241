//! `-m length [!] --length min[:max]` (`libxt_length.c`): xt match
//! `length` revision 0, `struct xt_length_info { u16 min, max; u8 invert;
//! }` (host order), both families.

use super::header_kit::{range_text, uint_range};
use super::{EncodeCx, FmtCx, MatchExt, OptHit, OptSpec, ParseCx, ValueKind};
use crate::error::{DecodeError, Error};
use crate::ir::Expr;
use crate::model::Family;

crate::xt_struct! {
    /// `struct xt_length_info`
    pub struct LengthInfo { pub min: u16, pub max: u16, pub invert: u8 }
}
const _: () = assert!(LengthInfo::SIZE == 6);

/// The length match.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Length {
    /// lowest length
    pub min: u16,
    /// highest length
    pub max: u16,
    /// `!`
    pub inv: bool,
}

impl MatchExt for Length {
    const NAME: &'static str = "length";
    const OPTIONS: &'static [OptSpec] = &[OptSpec::value("length")
        .kind(ValueKind::UIntRange(0xffff))
        .mandatory()];

    fn build(hits: &[OptHit], _cx: &ParseCx) -> Result<Self, Error> {
        let mut l = Length {
            min: 0,
            max: 0,
            inv: false,
        };
        if let Some(h) = hits.first() {
            let (min, max) = uint_range(Self::NAME, "length", h.arg(), 0xffff)?;
            (l.min, l.max, l.inv) = (min as u16, max as u16, h.inv);
        }
        Ok(l)
    }

    fn save(&self, _cx: &FmtCx, out: &mut String) {
        out.push_str(if self.inv {
            " ! --length "
        } else {
            " --length "
        });
        out.push_str(&range_text(self.min, self.max));
    }

    fn print(&self, _cx: &FmtCx, out: &mut String) {
        out.push_str(if self.inv { " length !" } else { " length " });
        out.push_str(&range_text(self.min, self.max));
    }

    fn encode(&self, _cx: &EncodeCx, out: &mut Vec<Expr>) {
        out.push(Expr::Match {
            name: Self::NAME.into(),
            rev: 0,
            info: LengthInfo {
                min: self.min,
                max: self.max,
                invert: self.inv.into(),
            }
            .to_blob(),
        });
    }

    fn decode_blob(rev: u32, info: &[u8], _family: Family) -> Result<Self, DecodeError> {
        match (rev, LengthInfo::from_blob(info)) {
            (0, Some(i)) => Ok(Length {
                min: i.min,
                max: i.max,
                inv: i.invert != 0,
            }),
            _ => Err(DecodeError(format!(
                "length match revision {rev} of {} bytes",
                info.len()
            ))),
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
            family: Family::V4,
            numeric: false,
            proto: None,
        };
        for (inv, arg, saved, listed) in [
            (false, "1", " --length 1", " length 1"),
            (false, ":2", " --length 0:2", " length 0:2"),
            (false, "4:", " --length 4:65535", " length 4:65535"),
            (true, ":", " ! --length 0:65535", " length !0:65535"),
            (false, "4:4", " --length 4", " length 4"),
            (false, "", " --length 0", " length 0"),
        ] {
            let l: Length = build_match(Family::V4, &[(0, inv, arg)]).unwrap();
            assert_eq!(texts(&l, &cx), (saved.to_string(), listed.to_string()));
            assert_eq!(xt_round_trip(&l, Family::V6), (0, 8));
        }
    }
}
