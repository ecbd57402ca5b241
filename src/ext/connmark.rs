//! `-m connmark [!] --mark value[/mask]` (`libxt_connmark.c`): xt match
//! `connmark` revision 1, `struct xt_connmark_mtinfo1 { u32 mark, mask; u8
//! invert; }` (the mark match's layout and option, so both are shared with
//! it). Docker, kube-proxy and VPN setups route on the ct mark.

use super::mark::{mark_hit, mark_text, MarkMtInfo1 as ConnmarkMtInfo1};
use super::value::ValueKind;
use super::{EncodeCx, FmtCx, MatchExt, OptHit, OptSpec, ParseCx};
use crate::error::{DecodeError, Error};
use crate::ir::Expr;
use crate::model::Family;

/// The connmark match.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Connmark {
    /// value compared after masking
    pub mark: u32,
    /// mask
    pub mask: u32,
    /// `!`
    pub inv: bool,
}

impl MatchExt for Connmark {
    const NAME: &'static str = "connmark";
    const OPTIONS: &'static [OptSpec] = &[OptSpec::value("mark")
        .kind(ValueKind::MarkMask32)
        .mandatory()];

    fn build(hits: &[OptHit], _cx: &ParseCx) -> Result<Self, Error> {
        let (mark, mask, inv) = mark_hit(hits);
        Ok(Connmark { mark, mask, inv })
    }

    fn save(&self, _cx: &FmtCx, out: &mut String) {
        out.push_str(if self.inv { " ! --mark " } else { " --mark " });
        mark_text(self.mark, self.mask, out);
    }

    fn print(&self, _cx: &FmtCx, out: &mut String) {
        // ` connmark match `, `!`, then the mark with its own leading space
        out.push_str(if self.inv {
            " connmark match ! "
        } else {
            " connmark match  "
        });
        mark_text(self.mark, self.mask, out);
    }

    fn encode(&self, _cx: &EncodeCx, out: &mut Vec<Expr>) {
        out.push(Expr::Match {
            name: Self::NAME.into(),
            rev: 1,
            info: ConnmarkMtInfo1 {
                mark: self.mark,
                mask: self.mask,
                invert: self.inv.into(),
            }
            .to_blob(),
        });
    }

    fn decode_blob(rev: u32, info: &[u8], _family: Family) -> Result<Self, DecodeError> {
        match (rev, ConnmarkMtInfo1::from_blob(info)) {
            (1, Some(i)) => Ok(Connmark {
                mark: i.mark,
                mask: i.mask,
                inv: i.invert != 0,
            }),
            _ => Err(DecodeError(format!(
                "connmark revision {rev} of {} bytes",
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
            numeric: true,
            proto: None,
        };
        for (inv, arg, saved, listed) in [
            (
                false,
                "0xffffffff/0xffffffff",
                " --mark 0xffffffff",
                " connmark match  0xffffffff",
            ),
            (
                false,
                "0xffffffff/0",
                " --mark 0xffffffff/0x0",
                " connmark match  0xffffffff/0x0",
            ),
            (false, "010", " --mark 0x8", " connmark match  0x8"),
            (
                true,
                "5/0xf0",
                " ! --mark 0x5/0xf0",
                " connmark match ! 0x5/0xf0",
            ),
        ] {
            let m: Connmark = build_match(Family::V4, &[(0, inv, arg)]).unwrap();
            assert_eq!(texts(&m, &cx), (saved.to_string(), listed.to_string()));
            assert_eq!(xt_round_trip(&m, Family::V6), (1, 16));
        }
        let b = ConnmarkMtInfo1 {
            mark: 5,
            mask: 0xf0,
            invert: 1,
        }
        .to_blob();
        assert_eq!(b, [5, 0, 0, 0, 0xf0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0]);
        assert!(Connmark::decode_blob(0, &b, Family::V4).is_err());
    }
}
