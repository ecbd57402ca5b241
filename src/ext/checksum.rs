//! `-j CHECKSUM --checksum-fill` (`libxt_CHECKSUM.c`): xt target
//! `CHECKSUM` revision 0, `struct xt_CHECKSUM_info { u8 operation; }`
//! (`XT_CHECKSUM_OP_FILL`), both families, mangle table.

use super::{EncodeCx, FmtCx, OptHit, OptSpec, ParseCx, TargetExtT};
use crate::error::{DecodeError, Error};
use crate::ir::Expr;
use crate::model::Family;

crate::xt_struct! {
    /// `struct xt_CHECKSUM_info`
    pub struct ChecksumInfo { pub operation: u8 }
}
const _: () = assert!(ChecksumInfo::SIZE == 1);

/// `XT_CHECKSUM_OP_FILL`
const OP_FILL: u8 = 1;

/// The CHECKSUM target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Checksum {
    /// operation bits
    pub operation: u8,
}

impl TargetExtT for Checksum {
    const NAME: &'static str = "CHECKSUM";
    const OPTIONS: &'static [OptSpec] = &[OptSpec::flag("checksum-fill").no_inv().mandatory()];

    fn build(_hits: &[OptHit], _cx: &ParseCx) -> Result<Self, Error> {
        // (the option is mandatory: the kit's final check says so)
        Ok(Checksum { operation: OP_FILL })
    }

    fn save(&self, _cx: &FmtCx, out: &mut String) {
        if self.operation & OP_FILL != 0 {
            out.push_str(" --checksum-fill");
        }
    }

    fn print(&self, _cx: &FmtCx, out: &mut String) {
        out.push_str(" CHECKSUM");
        if self.operation & OP_FILL != 0 {
            out.push_str(" fill");
        }
    }

    fn encode(&self, _cx: &EncodeCx, out: &mut Vec<Expr>) {
        out.push(Expr::Target {
            name: Self::NAME.into(),
            rev: 0,
            info: ChecksumInfo {
                operation: self.operation,
            }
            .to_blob(),
        });
    }

    fn decode_blob(rev: u32, info: &[u8], _family: Family) -> Result<Self, DecodeError> {
        match (rev, ChecksumInfo::from_blob(info)) {
            (0, Some(i)) => Ok(Checksum {
                operation: i.operation,
            }),
            _ => Err(DecodeError(format!(
                "CHECKSUM target revision {rev} of {} bytes",
                info.len()
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ext::kit::build_target;

    /// Text as iptables 1.8.13 prints it (captured); the blob is one byte.
    #[test]
    fn like_1_8_13() {
        let cx = FmtCx {
            family: Family::V4,
            numeric: true,
            proto: None,
        };
        let t: Checksum = build_target(Family::V6, &[(0, false, "")]).unwrap();
        let (mut s, mut l) = (String::new(), String::new());
        t.save(&cx, &mut s);
        t.print(&cx, &mut l);
        assert_eq!(
            (s.as_str(), l.as_str()),
            (" --checksum-fill", " CHECKSUM fill")
        );
        let mut e = Vec::new();
        t.encode(
            &EncodeCx {
                family: Family::V6,
                proto: None,
            },
            &mut e,
        );
        let [Expr::Target { rev: 0, info, .. }] = e.as_slice() else {
            panic!("{e:?}")
        };
        assert_eq!(info, &[1, 0, 0, 0, 0, 0, 0, 0]);
        assert_eq!(Checksum::decode_blob(0, info, Family::V6).unwrap(), t);
    }
}
