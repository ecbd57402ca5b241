//! `-m cpu [!] --cpu N` (`libxt_cpu.c`): xt match `cpu` revision 0,
//! `struct xt_cpu_info { u32 cpu, invert; }`.

use super::value::{parse_u32, ValueKind};
use super::{EncodeCx, FmtCx, MatchExt, OptHit, OptSpec, ParseCx};
use crate::error::{DecodeError, Error};
use crate::ir::Expr;
use crate::model::Family;

crate::xt_struct! {
    /// `struct xt_cpu_info`
    pub struct CpuInfo { pub cpu: u32, pub invert: u32 }
}
const _: () = assert!(CpuInfo::SIZE == 8);

/// The cpu match.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cpu {
    /// CPU number
    pub cpu: u32,
    /// `!` (the kernel's word: any non-zero value)
    pub invert: u32,
}

impl MatchExt for Cpu {
    const NAME: &'static str = "cpu";
    const OPTIONS: &'static [OptSpec] = &[OptSpec::value("cpu").kind(ValueKind::U32).mandatory()];

    fn build(hits: &[OptHit], _cx: &ParseCx) -> Result<Self, Error> {
        let mut m = Cpu { cpu: 0, invert: 0 };
        for h in hits {
            m.cpu = parse_u32(h.arg()).unwrap_or(0);
            m.invert = u32::from(h.inv);
        }
        Ok(m)
    }

    fn save(&self, _cx: &FmtCx, out: &mut String) {
        let bang = if self.invert != 0 { " !" } else { "" };
        out.push_str(&format!("{bang} --cpu {}", self.cpu));
    }

    fn print(&self, _cx: &FmtCx, out: &mut String) {
        let bang = if self.invert != 0 { "! " } else { "" };
        out.push_str(&format!(" cpu {bang}{}", self.cpu));
    }

    fn encode(&self, _cx: &EncodeCx, out: &mut Vec<Expr>) {
        out.push(Expr::Match {
            name: Self::NAME.into(),
            rev: 0,
            info: CpuInfo {
                cpu: self.cpu,
                invert: self.invert,
            }
            .to_blob(),
        });
    }

    fn decode_blob(rev: u32, info: &[u8], _family: Family) -> Result<Self, DecodeError> {
        match (rev, CpuInfo::from_blob(info)) {
            (0, Some(i)) => Ok(Cpu {
                cpu: i.cpu,
                invert: i.invert,
            }),
            _ => Err(DecodeError(format!(
                "cpu revision {rev} of {} bytes",
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
        let m: Cpu = build_match(Family::V4, &[(0, true, "4294967295")]).unwrap();
        assert_eq!(
            texts(&m, &cx),
            (" ! --cpu 4294967295".into(), " cpu ! 4294967295".into())
        );
        assert_eq!(xt_round_trip(&m, Family::V4), (0, 8));
    }
}
