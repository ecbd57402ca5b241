//! `-j TCPMSS --set-mss N | --clamp-mss-to-pmtu` (`libxt_TCPMSS.c`): xt
//! target `TCPMSS` revision 0, `struct xt_tcpmss_info { u16 mss; }`, both
//! families; clamping is `mss = 0xffff` (`XT_TCPMSS_CLAMP_PMTU`). The
//! options do not exclude each other: the last one given counts. `--set-mss`
//! goes up to 65535 less the IP header (65515 for IPv4, 65495 for IPv6).
//! Docker and VPNs use it to clamp the MSS of forwarded SYNs.

use super::header_kit::uint_opt;
use super::{EncodeCx, FmtCx, OptHit, OptSpec, ParseCx, TargetExtT};
use crate::error::{param, DecodeError, Error};
use crate::ir::Expr;
use crate::model::Family;

crate::xt_struct! {
    /// `struct xt_tcpmss_info`
    pub struct TcpmssInfo { pub mss: u16 }
}
const _: () = assert!(TcpmssInfo::SIZE == 2);

/// `XT_TCPMSS_CLAMP_PMTU`
const CLAMP_PMTU: u16 = 0xffff;

/// The TCPMSS target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TcpmssTarget {
    /// MSS set, or `XT_TCPMSS_CLAMP_PMTU`
    pub mss: u16,
}

impl TargetExtT for TcpmssTarget {
    const NAME: &'static str = "TCPMSS";
    const OPTIONS: &'static [OptSpec] = &[
        OptSpec::value("set-mss").no_inv(),
        OptSpec::flag("clamp-mss-to-pmtu").no_inv(),
    ];

    fn build(hits: &[OptHit], cx: &ParseCx) -> Result<Self, Error> {
        // 65535 less `sizeof(struct iphdr)` or `sizeof(struct ip6_hdr)`
        let max = match cx.family {
            Family::V4 => 65535 - 20,
            Family::V6 => 65535 - 40,
        };
        let mut mss = 0;
        for h in hits {
            mss = match h.idx {
                0 => uint_opt(Self::NAME, "set-mss", h.arg(), 0, max)? as u16,
                _ => CLAMP_PMTU,
            };
        }
        if hits.is_empty() {
            return Err(param("TCPMSS target: At least one parameter is required"));
        }
        Ok(TcpmssTarget { mss })
    }

    fn save(&self, _cx: &FmtCx, out: &mut String) {
        if self.mss == CLAMP_PMTU {
            out.push_str(" --clamp-mss-to-pmtu");
        } else {
            out.push_str(&format!(" --set-mss {}", self.mss));
        }
    }

    fn print(&self, _cx: &FmtCx, out: &mut String) {
        if self.mss == CLAMP_PMTU {
            out.push_str(" TCPMSS clamp to PMTU");
        } else {
            out.push_str(&format!(" TCPMSS set {}", self.mss));
        }
    }

    fn encode(&self, _cx: &EncodeCx, out: &mut Vec<Expr>) {
        out.push(Expr::Target {
            name: Self::NAME.into(),
            rev: 0,
            info: TcpmssInfo { mss: self.mss }.to_blob(),
        });
    }

    fn decode_blob(rev: u32, info: &[u8], _family: Family) -> Result<Self, DecodeError> {
        match (rev, TcpmssInfo::from_blob(info)) {
            (0, Some(i)) => Ok(TcpmssTarget { mss: i.mss }),
            _ => Err(DecodeError(format!(
                "TCPMSS target revision {rev} of {} bytes",
                info.len()
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ext::kit::build_target;

    /// Text and messages as iptables 1.8.13 prints them (captured).
    #[test]
    fn like_1_8_13() {
        let cx = FmtCx {
            family: Family::V4,
            numeric: true,
            proto: Some(6),
        };
        for (v, saved, listed) in [
            (&[(0, false, "42")][..], " --set-mss 42", " TCPMSS set 42"),
            (
                &[(1, false, "")][..],
                " --clamp-mss-to-pmtu",
                " TCPMSS clamp to PMTU",
            ),
            (
                &[(0, false, "1"), (1, false, "")][..],
                " --clamp-mss-to-pmtu",
                " TCPMSS clamp to PMTU",
            ),
            (
                &[(1, false, ""), (0, false, "1")][..],
                " --set-mss 1",
                " TCPMSS set 1",
            ),
        ] {
            let t: TcpmssTarget = build_target(Family::V4, v).unwrap();
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
            assert_eq!(info.len(), 8);
            assert_eq!(TcpmssTarget::decode_blob(0, info, Family::V4).unwrap(), t);
        }
        let msg = |f, v: &[(usize, bool, &str)]| {
            build_target::<TcpmssTarget>(f, v).unwrap_err().to_string()
        };
        assert_eq!(
            msg(Family::V4, &[]),
            "TCPMSS target: At least one parameter is required"
        );
        assert_eq!(
            msg(Family::V4, &[(0, false, "65516")]),
            "TCPMSS: bad value for option \"--set-mss\", or out of range (0-65515).\n"
        );
        assert_eq!(
            msg(Family::V6, &[(0, false, "65496")]),
            "TCPMSS: bad value for option \"--set-mss\", or out of range (0-65495).\n"
        );
    }
}
