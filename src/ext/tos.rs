//! `-m tos [!] --tos value[/mask]|symbol` (`libxt_tos.c`): xt match `tos`
//! revision 1, `struct xt_tos_match_info { u8 tos_mask, tos_value, invert;
//! }`, in both families. A number's mask is 0xff when left out, a
//! symbol's 0x3f; `-L` without `-n` names the symbols.

use super::header_kit::{tos_mask, tos_symbol};
use super::{EncodeCx, FmtCx, MatchExt, OptHit, OptSpec, ParseCx, ValueKind};
use crate::error::{DecodeError, Error};
use crate::ir::Expr;
use crate::model::Family;

crate::xt_struct! {
    /// `struct xt_tos_match_info`
    pub struct TosMatchInfo { pub tos_mask: u8, pub tos_value: u8, pub invert: u8 }
}
const _: () = assert!(TosMatchInfo::SIZE == 3);

/// The tos match.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tos {
    /// value compared after masking
    pub value: u8,
    /// mask
    pub mask: u8,
    /// `!`
    pub inv: bool,
}

impl MatchExt for Tos {
    const NAME: &'static str = "tos";
    const OPTIONS: &'static [OptSpec] =
        &[OptSpec::value("tos").kind(ValueKind::TosMask).mandatory()];

    fn build(hits: &[OptHit], _cx: &ParseCx) -> Result<Self, Error> {
        let mut t = Tos {
            value: 0,
            mask: 0,
            inv: false,
        };
        if let Some(h) = hits.first() {
            (t.value, t.mask) = tos_mask(h.arg())?;
            t.inv = h.inv;
        }
        Ok(t)
    }

    fn save(&self, _cx: &FmtCx, out: &mut String) {
        if self.inv {
            out.push_str(" !");
        }
        out.push_str(&format!(" --tos {:#04x}/{:#04x}", self.value, self.mask));
    }

    fn print(&self, cx: &FmtCx, out: &mut String) {
        out.push_str(" tos match");
        if self.inv {
            out.push('!');
        }
        match tos_symbol(self.value, self.mask).filter(|_| !cx.numeric) {
            Some(name) => {
                out.push(' ');
                out.push_str(name)
            }
            None => out.push_str(&format!("{:#04x}/{:#04x}", self.value, self.mask)),
        }
    }

    fn encode(&self, _cx: &EncodeCx, out: &mut Vec<Expr>) {
        out.push(Expr::Match {
            name: Self::NAME.into(),
            rev: 1,
            info: TosMatchInfo {
                tos_mask: self.mask,
                tos_value: self.value,
                invert: self.inv.into(),
            }
            .to_blob(),
        });
    }

    fn decode_blob(rev: u32, info: &[u8], _family: Family) -> Result<Self, DecodeError> {
        match (rev, TosMatchInfo::from_blob(info)) {
            (1, Some(i)) => Ok(Tos {
                value: i.tos_value,
                mask: i.tos_mask,
                inv: i.invert != 0,
            }),
            _ => Err(DecodeError(format!(
                "tos match revision {rev} of {} bytes",
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
        let cx = |numeric| FmtCx {
            family: Family::V4,
            numeric,
            proto: None,
        };
        for (inv, arg, saved, listed, named) in [
            (
                false,
                "Minimize-Delay",
                " --tos 0x10/0x3f",
                " tos match0x10/0x3f",
                " tos match Minimize-Delay",
            ),
            (
                true,
                "normal-service",
                " ! --tos 0x00/0x3f",
                " tos match!0x00/0x3f",
                " tos match! Normal-Service",
            ),
            (
                true,
                "0xff",
                " ! --tos 0xff/0xff",
                " tos match!0xff/0xff",
                " tos match!0xff/0xff",
            ),
            (
                false,
                "0x0f/0x0f",
                " --tos 0x0f/0x0f",
                " tos match0x0f/0x0f",
                " tos match0x0f/0x0f",
            ),
        ] {
            let t: Tos = build_match(Family::V4, &[(0, inv, arg)]).unwrap();
            assert_eq!(
                texts(&t, &cx(true)),
                (saved.to_string(), listed.to_string())
            );
            assert_eq!(texts(&t, &cx(false)).1, named);
            assert_eq!(xt_round_trip(&t, Family::V6), (1, 8));
        }
        assert_eq!(
            build_match::<Tos>(Family::V4, &[(0, false, "wrong")])
                .unwrap_err()
                .to_string(),
            "Symbolic name \"wrong\" is unknown"
        );
    }
}
