//! `-m tcpmss [!] --mss min[:max]` (`libxt_tcpmss.c`): xt match `tcpmss`
//! revision 0, `struct xt_tcpmss_match_info { u16 mss_min, mss_max; u8
//! invert; }` (host order), both families. The kernel takes it only with
//! `-p tcp` (and refuses the rule otherwise, as for iptables).

use super::header_kit::{range_text, uint_range};
use super::{EncodeCx, FmtCx, MatchExt, OptHit, OptSpec, ParseCx, ValueKind};
use crate::error::{DecodeError, Error};
use crate::ir::Expr;
use crate::model::Family;

crate::xt_struct! {
    /// `struct xt_tcpmss_match_info`
    pub struct TcpmssMatchInfo { pub mss_min: u16, pub mss_max: u16, pub invert: u8 }
}
const _: () = assert!(TcpmssMatchInfo::SIZE == 6);

/// The tcpmss match.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tcpmss {
    /// lowest MSS
    pub min: u16,
    /// highest MSS
    pub max: u16,
    /// `!`
    pub inv: bool,
}

impl MatchExt for Tcpmss {
    const NAME: &'static str = "tcpmss";
    const OPTIONS: &'static [OptSpec] = &[OptSpec::value("mss")
        .kind(ValueKind::UIntRange(0xffff))
        .mandatory()];

    fn build(hits: &[OptHit], _cx: &ParseCx) -> Result<Self, Error> {
        let mut m = Tcpmss {
            min: 0,
            max: 0,
            inv: false,
        };
        if let Some(h) = hits.first() {
            // (a reversed range is refused while it is read)
            let (min, max) = uint_range(Self::NAME, "mss", h.arg(), 0xffff)?;
            (m.min, m.max, m.inv) = (min as u16, max as u16, h.inv);
        }
        Ok(m)
    }

    fn save(&self, _cx: &FmtCx, out: &mut String) {
        out.push_str(if self.inv { " ! --mss " } else { " --mss " });
        out.push_str(&range_text(self.min, self.max));
    }

    fn print(&self, _cx: &FmtCx, out: &mut String) {
        out.push_str(if self.inv {
            " tcpmss match !"
        } else {
            " tcpmss match "
        });
        out.push_str(&range_text(self.min, self.max));
    }

    fn encode(&self, _cx: &EncodeCx, out: &mut Vec<Expr>) {
        out.push(Expr::Match {
            name: Self::NAME.into(),
            rev: 0,
            info: TcpmssMatchInfo {
                mss_min: self.min,
                mss_max: self.max,
                invert: self.inv.into(),
            }
            .to_blob(),
        });
    }

    fn decode_blob(rev: u32, info: &[u8], _family: Family) -> Result<Self, DecodeError> {
        match (rev, TcpmssMatchInfo::from_blob(info)) {
            (0, Some(i)) => Ok(Tcpmss {
                min: i.mss_min,
                max: i.mss_max,
                inv: i.invert != 0,
            }),
            _ => Err(DecodeError(format!(
                "tcpmss match revision {rev} of {} bytes",
                info.len()
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ext::kit::{build_match, texts, xt_round_trip};

    /// Text and messages as iptables 1.8.13 prints them (captured).
    #[test]
    fn like_1_8_13() {
        let cx = FmtCx {
            family: Family::V4,
            numeric: true,
            proto: Some(6),
        };
        for (inv, arg, saved, listed) in [
            (false, "42", " --mss 42", " tcpmss match 42"),
            (true, ":42", " ! --mss 0:42", " tcpmss match !0:42"),
            (false, "42:", " --mss 42:65535", " tcpmss match 42:65535"),
            (false, "42:42", " --mss 42", " tcpmss match 42"),
        ] {
            let m: Tcpmss = build_match(Family::V4, &[(0, inv, arg)]).unwrap();
            assert_eq!(texts(&m, &cx), (saved.to_string(), listed.to_string()));
            assert_eq!(xt_round_trip(&m, Family::V4), (0, 8));
        }
        assert_eq!(
            build_match::<Tcpmss>(Family::V4, &[(0, false, "65535:1000")])
                .unwrap_err()
                .to_string(),
            "tcpmss: bad value for option \"--mss\" near \"1000\", or out of range (65535-65535).\n"
        );
    }
}
