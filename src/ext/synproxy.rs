//! `-j SYNPROXY [--sack-perm] [--timestamp] [--wscale N] [--mss N]
//! [--ecn]` (`libxt_SYNPROXY.c`): xt target `SYNPROXY` revision 0, `struct
//! nf_synproxy_info { u8 options; u8 wscale; u16 mss; }`, both families.
//! The values are read as 32-bit numbers and cut to the fields' widths
//! (`--wscale 256` is 0). The kernel takes it only for `-p tcp`.

use super::value::{parse_u32, ValueKind};
use super::{EncodeCx, FmtCx, OptHit, OptSpec, ParseCx, TargetExtT};
use crate::error::{DecodeError, Error};
use crate::ir::Expr;
use crate::model::Family;
use std::fmt::Write;

crate::xt_struct! {
    /// `struct nf_synproxy_info`
    pub struct SynproxyInfo { pub options: u8, pub wscale: u8, pub mss: u16 }
}
const _: () = assert!(SynproxyInfo::SIZE == 4);

// `XT_SYNPROXY_OPT_*`
const MSS: u8 = 0x01;
const WSCALE: u8 = 0x02;
const SACK_PERM: u8 = 0x04;
const TIMESTAMP: u8 = 0x08;
const ECN: u8 = 0x10;

/// The SYNPROXY target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Synproxy(pub SynproxyInfo);

impl TargetExtT for Synproxy {
    const NAME: &'static str = "SYNPROXY";
    const OPTIONS: &'static [OptSpec] = &[
        OptSpec::flag("sack-perm").no_inv(),
        OptSpec::flag("timestamp").no_inv(),
        OptSpec::value("wscale").no_inv().kind(ValueKind::U32),
        OptSpec::value("mss").no_inv().kind(ValueKind::U32),
        OptSpec::flag("ecn").no_inv(),
    ];

    fn build(hits: &[OptHit], _cx: &ParseCx) -> Result<Self, Error> {
        let mut i = SynproxyInfo {
            options: 0,
            wscale: 0,
            mss: 0,
        };
        for h in hits {
            let v = parse_u32(h.arg()).unwrap_or(0);
            match h.idx {
                0 => i.options |= SACK_PERM,
                1 => i.options |= TIMESTAMP,
                2 => {
                    i.options |= WSCALE;
                    i.wscale = v as u8;
                }
                3 => {
                    i.options |= MSS;
                    i.mss = v as u16;
                }
                _ => i.options |= ECN,
            }
        }
        Ok(Synproxy(i))
    }

    fn save(&self, _cx: &FmtCx, out: &mut String) {
        let i = &self.0;
        if i.options & SACK_PERM != 0 {
            out.push_str(" --sack-perm");
        }
        if i.options & TIMESTAMP != 0 {
            out.push_str(" --timestamp");
        }
        if i.options & WSCALE != 0 {
            let _ = write!(out, " --wscale {}", i.wscale);
        }
        if i.options & MSS != 0 {
            let _ = write!(out, " --mss {}", i.mss);
        }
        if i.options & ECN != 0 {
            out.push_str(" --ecn");
        }
    }

    fn print(&self, _cx: &FmtCx, out: &mut String) {
        let i = &self.0;
        out.push_str(" SYNPROXY ");
        if i.options & SACK_PERM != 0 {
            out.push_str("sack-perm ");
        }
        if i.options & TIMESTAMP != 0 {
            out.push_str("timestamp ");
        }
        if i.options & WSCALE != 0 {
            let _ = write!(out, "wscale {} ", i.wscale);
        }
        if i.options & MSS != 0 {
            let _ = write!(out, "mss {} ", i.mss);
        }
        if i.options & ECN != 0 {
            out.push_str("ecn ");
        }
    }

    fn encode(&self, _cx: &EncodeCx, out: &mut Vec<Expr>) {
        out.push(Expr::Target {
            name: Self::NAME.into(),
            rev: 0,
            info: self.0.to_blob(),
        });
    }

    fn decode_blob(rev: u32, info: &[u8], _family: Family) -> Result<Self, DecodeError> {
        match (rev, SynproxyInfo::from_blob(info)) {
            (0, Some(i)) => Ok(Synproxy(i)),
            _ => Err(DecodeError(format!(
                "SYNPROXY target revision {rev} of {} bytes",
                info.len()
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ext::kit::build_target;

    /// Text as iptables 1.8.13 prints it (captured); the blob is 4 bytes.
    #[test]
    fn like_1_8_13() {
        let cx = FmtCx {
            family: Family::V4,
            numeric: true,
            proto: Some(6),
        };
        for (v, saved, listed, blob) in [
            (
                vec![
                    (0, false, ""),
                    (1, false, ""),
                    (2, false, "9"),
                    (3, false, "1460"),
                ],
                " --sack-perm --timestamp --wscale 9 --mss 1460",
                " SYNPROXY sack-perm timestamp wscale 9 mss 1460 ",
                [0x0f, 9, 0xb4, 0x05],
            ),
            (
                vec![(4, false, ""), (2, false, "256"), (3, false, "65536")],
                " --wscale 0 --mss 0 --ecn",
                " SYNPROXY wscale 0 mss 0 ecn ",
                [0x13, 0, 0, 0],
            ),
            (vec![], "", " SYNPROXY ", [0; 4]),
        ] {
            let t: Synproxy = build_target(Family::V4, &v).unwrap();
            let (mut s, mut l) = (String::new(), String::new());
            t.save(&cx, &mut s);
            t.print(&cx, &mut l);
            assert_eq!((s.as_str(), l.as_str()), (saved, listed));
            let mut e = Vec::new();
            t.encode(
                &EncodeCx {
                    family: Family::V4,
                    proto: Some((6, false)),
                },
                &mut e,
            );
            let [Expr::Target { rev: 0, info, .. }] = e.as_slice() else {
                panic!("{e:?}")
            };
            assert_eq!(&info[..4], &blob);
            assert_eq!(info.len(), 8);
            assert_eq!(Synproxy::decode_blob(0, info, Family::V4).unwrap(), t);
        }
    }
}
