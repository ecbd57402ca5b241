//! `-m eui64` (`libip6t_eui64.c`): xt match `eui64` revision 0, no
//! options, an info blob of `XT_ALIGN(sizeof(int))` zero bytes, IPv6 only.
//! The kernel takes it in PREROUTING, INPUT and FORWARD only.

use super::{EncodeCx, FmtCx, MatchExt, OptHit, OptSpec, ParseCx};
use crate::error::{DecodeError, Error};
use crate::ir::Expr;
use crate::model::Family;

/// The eui64 match.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Eui64;

impl MatchExt for Eui64 {
    const NAME: &'static str = "eui64";
    const OPTIONS: &'static [OptSpec] = &[];
    const FAMILIES: &'static [Family] = &[Family::V6];

    fn build(_hits: &[OptHit], _cx: &ParseCx) -> Result<Self, Error> {
        Ok(Eui64)
    }

    fn save(&self, _cx: &FmtCx, _out: &mut String) {}

    fn print(&self, _cx: &FmtCx, _out: &mut String) {}

    fn encode(&self, _cx: &EncodeCx, out: &mut Vec<Expr>) {
        out.push(Expr::Match {
            name: Self::NAME.into(),
            rev: 0,
            info: vec![0; 8],
        });
    }

    fn decode_blob(rev: u32, info: &[u8], _family: Family) -> Result<Self, DecodeError> {
        if rev == 0 && info.len() >= 4 {
            Ok(Eui64)
        } else {
            Err(DecodeError(format!(
                "eui64 revision {rev} of {} bytes",
                info.len()
            )))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ext::kit::{build_match, texts, xt_round_trip};

    /// No text at all, as ip6tables 1.8.13 prints it.
    #[test]
    fn like_1_8_13() {
        let cx = FmtCx {
            family: Family::V6,
            numeric: true,
            proto: None,
        };
        let m: Eui64 = build_match(Family::V6, &[]).unwrap();
        assert_eq!(texts(&m, &cx), (String::new(), String::new()));
        assert_eq!(xt_round_trip(&m, Family::V6), (0, 8));
    }
}
