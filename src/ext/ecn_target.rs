//! `-j ECN --ecn-tcp-remove` (`libipt_ECN.c`, IPv4 only): xt target `ECN`
//! revision 0, `struct ipt_ECN_info`. The undocumented `--ecn-tcp-cwr`,
//! `--ecn-tcp-ece` (0 or 1) and `--ecn-ip-ect` (0..3) set bits one by one;
//! clearing both TCP bits is saved as `--ecn-tcp-remove`.

use super::value::ValueKind;
use super::{EncodeCx, FmtCx, OptHit, OptSpec, ParseCx, TargetExtT};
use crate::error::{param, DecodeError, Error};
use crate::ir::Expr;
use crate::model::Family;

crate::xt_struct! {
    /// `struct ipt_ECN_info` (`proto.tcp`: `ece` bit 0, `cwr` bit 1)
    pub struct EcnTgInfo { pub operation: u8, pub ip_ect: u8, pub tcp: u8 }
}
const _: () = assert!(EcnTgInfo::SIZE == 3);

/// `IPT_ECN_OP_SET_IP`
const SET_IP: u8 = 0x01;
/// `IPT_ECN_OP_SET_ECE`
const SET_ECE: u8 = 0x10;
/// `IPT_ECN_OP_SET_CWR`
const SET_CWR: u8 = 0x20;

/// The ECN target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EcnTarget {
    /// `IPT_ECN_OP_SET_*`
    pub operation: u8,
    /// IP ECN codepoint
    pub ip_ect: u8,
    /// the TCP bits byte: ECE value in bit 0, CWR value in bit 1
    pub tcp: u8,
}

impl EcnTarget {
    fn ece(&self) -> u8 {
        self.tcp & 1
    }
    fn cwr(&self) -> u8 {
        (self.tcp >> 1) & 1
    }
    fn is_remove(&self) -> bool {
        self.operation == SET_ECE | SET_CWR && self.ece() == 0 && self.cwr() == 0
    }
}

impl TargetExtT for EcnTarget {
    const NAME: &'static str = "ECN";
    const FAMILIES: &'static [Family] = &[Family::V4];
    const OPTIONS: &'static [OptSpec] = &[
        OptSpec::flag("ecn-tcp-remove").no_inv().excl(0b0110),
        OptSpec::value("ecn-tcp-cwr")
            .no_inv()
            .kind(ValueKind::UInt(0, 1))
            .excl(0b0001),
        OptSpec::value("ecn-tcp-ece")
            .no_inv()
            .kind(ValueKind::UInt(0, 1))
            .excl(0b0001),
        OptSpec::value("ecn-ip-ect")
            .no_inv()
            .kind(ValueKind::UInt(0, 3)),
    ];

    fn build(hits: &[OptHit], _cx: &ParseCx) -> Result<Self, Error> {
        if hits.is_empty() {
            return Err(param("ECN target: An operation is required"));
        }
        let mut t = EcnTarget {
            operation: 0,
            ip_ect: 0,
            tcp: 0,
        };
        for h in hits {
            let v: u8 = h.arg().parse().unwrap_or(0);
            match h.idx {
                0 => {
                    t.operation = SET_ECE | SET_CWR;
                    t.tcp = 0;
                }
                1 => {
                    t.operation |= SET_CWR;
                    t.tcp = (t.tcp & !2) | (v & 1) << 1;
                }
                2 => {
                    t.operation |= SET_ECE;
                    t.tcp = (t.tcp & !1) | (v & 1);
                }
                _ => {
                    t.operation |= SET_IP;
                    t.ip_ect = v;
                }
            }
        }
        Ok(t)
    }

    fn save(&self, _cx: &FmtCx, out: &mut String) {
        if self.is_remove() {
            out.push_str(" --ecn-tcp-remove");
            return;
        }
        if self.operation & SET_ECE != 0 {
            out.push_str(&format!(" --ecn-tcp-ece {}", self.ece()));
        }
        if self.operation & SET_CWR != 0 {
            out.push_str(&format!(" --ecn-tcp-cwr {}", self.cwr()));
        }
        if self.operation & SET_IP != 0 {
            out.push_str(&format!(" --ecn-ip-ect {}", self.ip_ect));
        }
    }

    fn print(&self, _cx: &FmtCx, out: &mut String) {
        out.push_str(" ECN");
        if self.is_remove() {
            out.push_str(" TCP remove");
            return;
        }
        if self.operation & SET_ECE != 0 {
            out.push_str(&format!(" ECE={}", self.ece()));
        }
        if self.operation & SET_CWR != 0 {
            out.push_str(&format!(" CWR={}", self.cwr()));
        }
        if self.operation & SET_IP != 0 {
            out.push_str(&format!(" ECT codepoint={}", self.ip_ect));
        }
    }

    fn encode(&self, _cx: &EncodeCx, out: &mut Vec<Expr>) {
        out.push(Expr::Target {
            name: Self::NAME.into(),
            rev: 0,
            info: EcnTgInfo {
                operation: self.operation,
                ip_ect: self.ip_ect,
                tcp: self.tcp,
            }
            .to_blob(),
        });
    }

    fn decode_blob(rev: u32, info: &[u8], _family: Family) -> Result<Self, DecodeError> {
        match (rev, EcnTgInfo::from_blob(info)) {
            (0, Some(i)) => Ok(EcnTarget {
                operation: i.operation,
                ip_ect: i.ip_ect,
                tcp: i.tcp,
            }),
            _ => Err(DecodeError(format!(
                "ECN target revision {rev} of {} bytes",
                info.len()
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ext::kit::build_target;

    #[test]
    fn like_1_8_13() {
        let cx = FmtCx {
            family: Family::V4,
            numeric: true,
            proto: None,
        };
        for (v, saved, listed) in [
            (
                &[(0, false, "")][..],
                " --ecn-tcp-remove",
                " ECN TCP remove",
            ),
            (
                &[(1, false, "0"), (2, false, "0")][..],
                " --ecn-tcp-remove",
                " ECN TCP remove",
            ),
            (
                &[(1, false, "1"), (2, false, "1"), (3, false, "3")][..],
                " --ecn-tcp-ece 1 --ecn-tcp-cwr 1 --ecn-ip-ect 3",
                " ECN ECE=1 CWR=1 ECT codepoint=3",
            ),
            (
                &[(0, false, ""), (3, false, "1")][..],
                " --ecn-tcp-ece 0 --ecn-tcp-cwr 0 --ecn-ip-ect 1",
                " ECN ECE=0 CWR=0 ECT codepoint=1",
            ),
        ] {
            let t: EcnTarget = build_target(Family::V4, v).unwrap();
            let (mut s, mut l) = (String::new(), String::new());
            t.save(&cx, &mut s);
            t.print(&cx, &mut l);
            assert_eq!((s.as_str(), l.as_str()), (saved, listed));
            let mut e = Vec::new();
            t.encode(
                &EncodeCx {
                    family: Family::V4,
                    proto: None,
                },
                &mut e,
            );
            let [Expr::Target { info, .. }] = e.as_slice() else {
                panic!()
            };
            assert_eq!(info.len(), 8);
            assert_eq!(EcnTarget::decode_blob(0, info, Family::V4).unwrap(), t);
        }
        assert_eq!(
            build_target::<EcnTarget>(Family::V4, &[])
                .unwrap_err()
                .to_string(),
            "ECN target: An operation is required"
        );
    }
}
