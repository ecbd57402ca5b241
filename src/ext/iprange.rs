//! `-m iprange [!] --src-range A-B [!] --dst-range C-D` (`libxt_iprange.c`):
//! xt match `iprange` revision 1, `struct xt_iprange_mtinfo`.

use super::blob::Inet;
use super::{EncodeCx, FmtCx, MatchExt, OptHit, OptSpec, ParseCx};
use crate::error::{param, DecodeError, Error};
use crate::ir::Expr;
use crate::model::addr::{ip_from_bytes, ntop};
use crate::model::Family;
use std::net::IpAddr;

crate::xt_struct! {
    /// `struct xt_iprange_mtinfo`
    pub struct IprangeInfo { pub src_min: Inet, pub src_max: Inet, pub dst_min: Inet, pub dst_max: Inet, pub flags: u8 }
}
const _: () = assert!(IprangeInfo::SIZE == 68);

const SRC: u8 = 1;
const DST: u8 = 2;
const SRC_INV: u8 = 0x10;
const DST_INV: u8 = 0x20;

/// The iprange match: the kernel struct, boxed (rules hold matches inline).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Iprange(pub Box<IprangeInfo>);

fn inet(a: IpAddr) -> Inet {
    let mut b = [0u8; 16];
    match a {
        IpAddr::V4(x) => b[..4].copy_from_slice(&x.octets()),
        IpAddr::V6(x) => b.copy_from_slice(&x.octets()),
    }
    Inet(b)
}

fn parse_range(opt: &str, s: &str, family: Family) -> Result<(Inet, Inet), Error> {
    let addr = |a: &str| -> Result<Inet, Error> {
        let ip: Option<IpAddr> = match family {
            Family::V4 => a.parse::<std::net::Ipv4Addr>().ok().map(IpAddr::V4),
            Family::V6 => a.parse::<std::net::Ipv6Addr>().ok().map(IpAddr::V6),
        };
        ip.map(inet).ok_or_else(|| {
            param(format!(
                "iprange: Bad value for \"--{opt}\" option: \"{a}\""
            ))
        })
    };
    let (lo, hi) = match s.split_once('-') {
        Some((a, b)) => (addr(a)?, addr(b)?),
        None => {
            let a = addr(s)?;
            (a, a)
        }
    };
    let w = family.addr_len();
    if lo.0[..w] > hi.0[..w] {
        // iptables warns and adds the rule all the same
        crate::error::warn(format_args!(
            "xt_iprange: range {}-{} is reversed and will never match",
            text(&lo, family),
            text(&hi, family)
        ));
    }
    Ok((lo, hi))
}

fn text(a: &Inet, family: Family) -> String {
    ip_from_bytes(&a.0[..family.addr_len()])
        .map(|x| ntop(&x))
        .unwrap_or_default()
}

impl MatchExt for Iprange {
    const NAME: &'static str = "iprange";
    const OPTIONS: &'static [OptSpec] = &[OptSpec::value("src-range"), OptSpec::value("dst-range")];

    fn build(hits: &[OptHit], cx: &ParseCx) -> Result<Self, Error> {
        let mut i = IprangeInfo {
            src_min: Inet::default(),
            src_max: Inet::default(),
            dst_min: Inet::default(),
            dst_max: Inet::default(),
            flags: 0,
        };
        for h in hits {
            if h.idx == 0 {
                (i.src_min, i.src_max) = parse_range("src-range", h.arg(), cx.family)?;
                i.flags |= SRC | if h.inv { SRC_INV } else { 0 };
            } else {
                (i.dst_min, i.dst_max) = parse_range("dst-range", h.arg(), cx.family)?;
                i.flags |= DST | if h.inv { DST_INV } else { 0 };
            }
        }
        if i.flags & (SRC | DST) == 0 {
            return Err(param(
                "iprange match: You must specify `--src-range' or `--dst-range'",
            ));
        }
        Ok(Iprange(Box::new(i)))
    }

    fn save(&self, cx: &FmtCx, out: &mut String) {
        let i = &self.0;
        for (bit, inv, opt, lo, hi) in [
            (SRC, SRC_INV, "--src-range", &i.src_min, &i.src_max),
            (DST, DST_INV, "--dst-range", &i.dst_min, &i.dst_max),
        ] {
            if i.flags & bit != 0 {
                let bang = if i.flags & inv != 0 { " !" } else { "" };
                out.push_str(&format!(
                    "{bang} {opt} {}-{}",
                    text(lo, cx.family),
                    text(hi, cx.family)
                ));
            }
        }
    }

    fn print(&self, cx: &FmtCx, out: &mut String) {
        let i = &self.0;
        for (bit, inv, what, lo, hi) in [
            (SRC, SRC_INV, "source", &i.src_min, &i.src_max),
            (DST, DST_INV, "destination", &i.dst_min, &i.dst_max),
        ] {
            if i.flags & bit != 0 {
                let bang = if i.flags & inv != 0 { "! " } else { "" };
                out.push_str(&format!(
                    " {what} IP range {bang}{}-{}",
                    text(lo, cx.family),
                    text(hi, cx.family)
                ));
            }
        }
    }

    fn encode(&self, _cx: &EncodeCx, out: &mut Vec<Expr>) {
        out.push(Expr::Match {
            name: Self::NAME.into(),
            rev: 1,
            info: (*self.0).to_blob(),
        });
    }

    fn decode_blob(rev: u32, info: &[u8], _family: Family) -> Result<Self, DecodeError> {
        match (rev, IprangeInfo::from_blob(info)) {
            (1, Some(i)) if i.flags & !(SRC | DST | SRC_INV | DST_INV) == 0 => {
                Ok(Iprange(Box::new(i)))
            }
            _ => Err(DecodeError(format!(
                "iprange revision {rev} of {} bytes",
                info.len()
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ext::kit::build_match;

    /// Text as iptables 1.8.13 prints it (captured).
    #[test]
    fn like_1_8_13() {
        for (fam, v, saved, listed) in [
            (
                Family::V4,
                &[(0, false, "1.1.1.1-1.1.1.10"), (1, true, "2.2.2.2-2.2.2.3")][..],
                " --src-range 1.1.1.1-1.1.1.10 ! --dst-range 2.2.2.2-2.2.2.3",
                " source IP range 1.1.1.1-1.1.1.10 destination IP range ! 2.2.2.2-2.2.2.3",
            ),
            (
                Family::V4,
                &[(0, false, "1.1.1.1")][..],
                " --src-range 1.1.1.1-1.1.1.1",
                " source IP range 1.1.1.1-1.1.1.1",
            ),
            (
                Family::V6,
                &[(0, true, "2001:db8::1-2001:db8::10")][..],
                " ! --src-range 2001:db8::1-2001:db8::10",
                " source IP range ! 2001:db8::1-2001:db8::10",
            ),
        ] {
            let m: Iprange = build_match(fam, v).unwrap();
            let cx = FmtCx {
                family: fam,
                numeric: true,
                proto: None,
            };
            assert_eq!(
                crate::ext::kit::texts(&m, &cx),
                (saved.to_string(), listed.to_string())
            );
            assert_eq!(crate::ext::kit::xt_round_trip(&m, fam), (1, 72));
        }
        let msg = |v: &[(usize, bool, &str)]| {
            build_match::<Iprange>(Family::V4, v)
                .unwrap_err()
                .to_string()
        };
        assert_eq!(
            msg(&[]),
            "iprange match: You must specify `--src-range' or `--dst-range'"
        );
        assert_eq!(
            msg(&[(0, false, "bogus-1.1.1.1")]),
            "iprange: Bad value for \"--src-range\" option: \"bogus\""
        );
        assert_eq!(
            msg(&[(0, false, "1.1.1.1-")]),
            "iprange: Bad value for \"--src-range\" option: \"\""
        );
    }
}
