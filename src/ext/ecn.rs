//! `-m ecn [!] --ecn-tcp-cwr [!] --ecn-tcp-ece [!] --ecn-ip-ect 0..3`
//! (`libxt_ecn.c`): xt match `ecn` revision 0, `struct xt_ecn_info`.

use super::value::ValueKind;
use super::{EncodeCx, FmtCx, MatchExt, OptHit, OptSpec, ParseCx};
use crate::error::{param, DecodeError, Error};
use crate::ir::Expr;
use crate::model::Family;

crate::xt_struct! {
    /// `struct xt_ecn_info`
    pub struct EcnInfo { pub operation: u8, pub invert: u8, pub ip_ect: u8, pub tcp_ect: u8 }
}
const _: () = assert!(EcnInfo::SIZE == 4);

/// `XT_ECN_OP_MATCH_IP`
const OP_IP: u8 = 0x01;
/// `XT_ECN_OP_MATCH_ECE`
const OP_ECE: u8 = 0x10;
/// `XT_ECN_OP_MATCH_CWR`
const OP_CWR: u8 = 0x20;

/// The ecn match.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ecn {
    /// `XT_ECN_OP_MATCH_*` given
    pub operation: u8,
    /// of those, inverted
    pub invert: u8,
    /// IP ECN codepoint
    pub ip_ect: u8,
    /// `proto.tcp.ect` (unused, kept)
    pub tcp_ect: u8,
}

impl MatchExt for Ecn {
    const NAME: &'static str = "ecn";
    const OPTIONS: &'static [OptSpec] = &[
        OptSpec::flag("ecn-tcp-cwr"),
        OptSpec::flag("ecn-tcp-ece"),
        OptSpec::value("ecn-ip-ect").kind(ValueKind::UInt(0, 3)),
    ];

    fn build(hits: &[OptHit], _cx: &ParseCx) -> Result<Self, Error> {
        if hits.is_empty() {
            return Err(param("ECN match: some option required"));
        }
        let mut m = Ecn {
            operation: 0,
            invert: 0,
            ip_ect: 0,
            tcp_ect: 0,
        };
        for h in hits {
            let op = [OP_CWR, OP_ECE, OP_IP][h.idx.min(2)];
            m.operation |= op;
            if h.inv {
                m.invert |= op;
            }
            if h.idx == 2 {
                m.ip_ect = h.arg().parse().unwrap_or(0);
            }
        }
        Ok(m)
    }

    fn save(&self, _cx: &FmtCx, out: &mut String) {
        let bang = |op: u8| if self.invert & op != 0 { " !" } else { "" };
        if self.operation & OP_ECE != 0 {
            out.push_str(&format!("{} --ecn-tcp-ece", bang(OP_ECE)));
        }
        if self.operation & OP_CWR != 0 {
            out.push_str(&format!("{} --ecn-tcp-cwr", bang(OP_CWR)));
        }
        if self.operation & OP_IP != 0 {
            out.push_str(&format!("{} --ecn-ip-ect {}", bang(OP_IP), self.ip_ect));
        }
    }

    fn print(&self, _cx: &FmtCx, out: &mut String) {
        let bang = |op: u8| if self.invert & op != 0 { "!" } else { "" };
        out.push_str(" ECN match");
        if self.operation & OP_ECE != 0 {
            out.push_str(&format!(" {}ECE", bang(OP_ECE)));
        }
        if self.operation & OP_CWR != 0 {
            out.push_str(&format!(" {}CWR", bang(OP_CWR)));
        }
        if self.operation & OP_IP != 0 {
            out.push_str(&format!(" {}ECT={}", bang(OP_IP), self.ip_ect));
        }
    }

    fn encode(&self, _cx: &EncodeCx, out: &mut Vec<Expr>) {
        out.push(Expr::Match {
            name: Self::NAME.into(),
            rev: 0,
            info: EcnInfo {
                operation: self.operation,
                invert: self.invert,
                ip_ect: self.ip_ect,
                tcp_ect: self.tcp_ect,
            }
            .to_blob(),
        });
    }

    fn decode_blob(rev: u32, info: &[u8], _family: Family) -> Result<Self, DecodeError> {
        match (rev, EcnInfo::from_blob(info)) {
            (0, Some(i)) => Ok(Ecn {
                operation: i.operation,
                invert: i.invert,
                ip_ect: i.ip_ect,
                tcp_ect: i.tcp_ect,
            }),
            _ => Err(DecodeError(format!(
                "ecn revision {rev} of {} bytes",
                info.len()
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ext::kit::{build_match, texts, xt_round_trip};

    #[test]
    fn like_1_8_13() {
        let cx = FmtCx {
            family: Family::V4,
            numeric: true,
            proto: None,
        };
        let m: Ecn =
            build_match(Family::V4, &[(1, true, ""), (0, true, ""), (2, true, "2")]).unwrap();
        assert_eq!(
            texts(&m, &cx),
            (
                " ! --ecn-tcp-ece ! --ecn-tcp-cwr ! --ecn-ip-ect 2".into(),
                " ECN match !ECE !CWR !ECT=2".into()
            )
        );
        assert_eq!(xt_round_trip(&m, Family::V6), (0, 8));
        assert_eq!(
            build_match::<Ecn>(Family::V4, &[]).unwrap_err().to_string(),
            "ECN match: some option required"
        );
    }
}
