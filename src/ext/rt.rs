//! `-m rt` (`libip6t_rt.c`): xt match `rt` revision 0, `struct ip6t_rt {
//! u32 rt_type; u32 segsleft[2]; u32 hdrlen; u8 flags; u8 invflags;
//! struct in6_addr addrs[16]; u8 addrnr; }`, IPv6 only. The rule keeps
//! the struct itself, as iptables fills it.

use super::esp::{spi_opt, Spis};
use super::value::parse_u32;
use super::{EncodeCx, FmtCx, MatchExt, OptHit, OptSpec, ParseCx, ValueKind};
use crate::error::{param, DecodeError, Error};
use crate::ir::Expr;
use crate::model::addr::ntop;
use crate::model::Family;
use std::net::{IpAddr, Ipv6Addr};

crate::xt_struct! {
    /// `struct ip6t_rt` (`pad`: the C padding before the `in6_addr`s)
    pub struct RtInfo {
        pub rt_type: u32, pub segs_min: u32, pub segs_max: u32, pub hdrlen: u32,
        pub flags: u8, pub invflags: u8, pub pad: [u8; 2], pub addrs: [u8; 256], pub addrnr: u8,
    }
}
const _: () = assert!(RtInfo::SIZE == 280);

/// `IP6T_RT_HOPS`
const HOPS: usize = 16;
const TYP: u8 = 0x01;
const SGS: u8 = 0x02;
const LEN: u8 = 0x04;
const RES: u8 = 0x08;
const FST: u8 = 0x10;
const FST_NSTRICT: u8 = 0x20;
const INV_TYP: u8 = 0x01;
const INV_SGS: u8 = 0x02;
const INV_LEN: u8 = 0x04;

/// The rt match: the kernel struct as iptables fills it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rt(pub Box<RtInfo>);

impl Rt {
    fn segs(&self) -> Spis {
        Spis {
            min: self.0.segs_min,
            max: self.0.segs_max,
            inv: self.0.invflags & INV_SGS != 0,
        }
    }

    /// ` a,b,...`: the type 0 addresses.
    fn addrs_text(&self, out: &mut String) {
        for i in 0..usize::from(self.0.addrnr).min(HOPS) {
            let mut a = [0u8; 16];
            a.copy_from_slice(&self.0.addrs[16 * i..16 * i + 16]);
            out.push(if i == 0 { ' ' } else { ',' });
            out.push_str(&ntop(&IpAddr::V6(Ipv6Addr::from(a))));
        }
    }
}

/// `parse_addresses`: up to 16 IPv6 addresses, comma separated.
fn parse_addrs(s: &str, i: &mut RtInfo) -> Result<(), Error> {
    let mut rest = Some(s);
    let mut n = 0;
    while let Some(cur) = rest.filter(|_| n < HOPS) {
        let (item, next) = match cur.split_once(',') {
            Some((a, b)) => (a, Some(b)),
            None => (cur, None),
        };
        rest = next;
        let a: Ipv6Addr = item
            .parse()
            .map_err(|_| param(format!("bad address: {item}")))?;
        i.addrs[16 * n..16 * n + 16].copy_from_slice(&a.octets());
        n += 1;
    }
    if rest.is_some() {
        return Err(param("too many addresses specified"));
    }
    i.addrnr = n as u8;
    Ok(())
}

impl MatchExt for Rt {
    const NAME: &'static str = "rt";
    const OPTIONS: &'static [OptSpec] = &[
        OptSpec::value("rt-type").kind(ValueKind::U32),
        spi_opt("rt-segsleft"),
        OptSpec::value("rt-len").kind(ValueKind::U32),
        OptSpec::flag("rt-0-res").no_inv(),
        OptSpec::value("rt-0-addrs").no_inv(),
        OptSpec::flag("rt-0-not-strict").no_inv(),
    ];
    const FAMILIES: &'static [Family] = &[Family::V6];

    fn build(hits: &[OptHit], _cx: &ParseCx) -> Result<Self, Error> {
        let mut i = RtInfo {
            rt_type: 0,
            segs_min: 0,
            segs_max: u32::MAX,
            hdrlen: 0,
            flags: 0,
            invflags: 0,
            pad: [0; 2],
            addrs: [0; 256],
            addrnr: 0,
        };
        for h in hits {
            // (numbers were checked as they were read)
            let type0 = i.flags & TYP != 0 && i.rt_type == 0 && i.invflags & INV_TYP == 0;
            match h.idx {
                0 => {
                    i.rt_type = parse_u32(h.arg()).unwrap_or(0);
                    i.flags |= TYP;
                    if h.inv {
                        i.invflags |= INV_TYP;
                    }
                }
                1 => {
                    let s = Spis::parse(Self::NAME, "rt-segsleft", h)?;
                    (i.segs_min, i.segs_max) = (s.min, s.max);
                    i.flags |= SGS;
                    if h.inv {
                        i.invflags |= INV_SGS;
                    }
                }
                2 => {
                    i.hdrlen = parse_u32(h.arg()).unwrap_or(0);
                    i.flags |= LEN;
                    if h.inv {
                        i.invflags |= INV_LEN;
                    }
                }
                3 => {
                    if !type0 {
                        return Err(param("`--rt-type 0' required before `--rt-0-res'"));
                    }
                    i.flags |= RES;
                }
                4 => {
                    if !type0 {
                        return Err(param("`--rt-type 0' required before `--rt-0-addrs'"));
                    }
                    parse_addrs(h.arg(), &mut i)?;
                    i.flags |= FST;
                }
                _ => {
                    if i.flags & FST == 0 {
                        return Err(param(
                            "`--rt-0-addr ...' required before `--rt-0-not-strict'",
                        ));
                    }
                    i.flags |= FST_NSTRICT;
                }
            }
        }
        Ok(Rt(Box::new(i)))
    }

    fn save(&self, _cx: &FmtCx, out: &mut String) {
        let i = &self.0;
        let bang = |f: u8| if i.invflags & f != 0 { " !" } else { "" };
        if i.flags & TYP != 0 {
            out.push_str(&format!("{} --rt-type {}", bang(INV_TYP), i.rt_type));
        }
        self.segs().save("rt-segsleft", out);
        if i.flags & LEN != 0 {
            out.push_str(&format!("{} --rt-len {}", bang(INV_LEN), i.hdrlen));
        }
        if i.flags & RES != 0 {
            out.push_str(" --rt-0-res");
        }
        if i.flags & FST != 0 {
            out.push_str(" --rt-0-addrs");
        }
        self.addrs_text(out);
        if i.flags & FST_NSTRICT != 0 {
            out.push_str(" --rt-0-not-strict");
        }
    }

    fn print(&self, _cx: &FmtCx, out: &mut String) {
        let i = &self.0;
        let bang = |f: u8| if i.invflags & f != 0 { "!" } else { "" };
        out.push_str(" rt");
        if i.flags & TYP != 0 {
            out.push_str(&format!(" type:{}{}", bang(INV_TYP), i.rt_type as i32));
        }
        let s = self.segs();
        if !s.is_any() {
            let b = bang(INV_SGS);
            if s.min == s.max {
                out.push_str(&format!(" segsleft:{b}{}", s.min));
            } else {
                out.push_str(&format!(" segslefts:{b}{}:{}", s.min, s.max));
            }
        }
        if i.flags & LEN != 0 {
            out.push_str(&format!(" length:{}{}", bang(INV_LEN), i.hdrlen));
        }
        if i.flags & RES != 0 {
            out.push_str(" reserved");
        }
        if i.flags & FST != 0 {
            out.push_str(" 0-addrs");
        }
        self.addrs_text(out);
        if i.flags & FST_NSTRICT != 0 {
            out.push_str(" 0-not-strict");
        }
        let unknown = i.invflags & !(INV_TYP | INV_SGS | INV_LEN);
        if unknown != 0 {
            out.push_str(&format!(" Unknown invflags: 0x{unknown:X}"));
        }
    }

    fn encode(&self, _cx: &EncodeCx, out: &mut Vec<Expr>) {
        out.push(Expr::Match {
            name: Self::NAME.into(),
            rev: 0,
            info: self.0.to_blob(),
        });
    }

    fn decode_blob(rev: u32, info: &[u8], _family: Family) -> Result<Self, DecodeError> {
        match (rev, RtInfo::from_blob(info)) {
            (0, Some(i)) => Ok(Rt(Box::new(i))),
            _ => Err(DecodeError(format!(
                "rt revision {rev} of {} bytes",
                info.len()
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ext::kit::{build_match, texts, xt_round_trip};

    /// Text and messages as ip6tables 1.8.13 prints them.
    #[test]
    fn like_1_8_13() {
        let cx = FmtCx {
            family: Family::V6,
            numeric: true,
            proto: None,
        };
        for (v, saved) in [
            (&[][..], ""),
            (&[(1, false, ":")][..], ""),
            (&[(1, true, ":")][..], " ! --rt-segsleft 0:4294967295"),
            (
                &[
                    (0, false, "0"),
                    (1, true, "1:23"),
                    (2, true, "42"),
                    (3, false, ""),
                ][..],
                " --rt-type 0 ! --rt-segsleft 1:23 ! --rt-len 42 --rt-0-res",
            ),
            (
                &[
                    (0, false, "0"),
                    (4, false, "::1,2001:db8::1"),
                    (5, false, ""),
                ][..],
                " --rt-type 0 --rt-0-addrs ::1,2001:db8::1 --rt-0-not-strict",
            ),
        ] {
            let m: Rt = build_match(Family::V6, v).unwrap();
            assert_eq!(texts(&m, &cx).0, saved);
            assert_eq!(xt_round_trip(&m, Family::V6), (0, 280));
        }
        let msg =
            |v: &[(usize, bool, &str)]| build_match::<Rt>(Family::V6, v).unwrap_err().to_string();
        assert_eq!(
            msg(&[(3, false, ""), (0, false, "0")]),
            "`--rt-type 0' required before `--rt-0-res'"
        );
        assert_eq!(
            msg(&[(0, false, "0"), (5, false, "")]),
            "`--rt-0-addr ...' required before `--rt-0-not-strict'"
        );
        assert_eq!(msg(&[(0, false, "0"), (4, false, "::1,")]), "bad address: ");
    }
}
