//! `-m recent` (`libxt_recent.c`): xt match `recent` revision 1, `struct
//! xt_recent_mtinfo_v1` (kept as is, boxed: its name is 200 bytes). One of
//! `[!] --set|--rcheck|--update|--remove`, with `--seconds`, `--reap`,
//! `--hitcount`, `--rttl`, `--name`, `--rsource|--rdest`, `--mask`.
//! fail2ban and port-knocking setups keep their address lists with it.

use super::blob::Inet;
use super::nat::parse_host;
use super::value::{parse_u32, ValueKind};
use super::{EncodeCx, FmtCx, MatchExt, OptHit, OptSpec, ParseCx};
use crate::error::{param, DecodeError, Error};
use crate::ir::Expr;
use crate::model::addr::{ip_from_bytes, ntop};
use crate::model::{bytes, Family};
use std::fmt::Write;
use std::net::IpAddr;

crate::xt_struct! {
    /// `struct xt_recent_mtinfo_v1`
    pub struct RecentInfo1 {
        pub seconds: u32, pub hit_count: u32, pub check_set: u8, pub invert: u8,
        pub name: [u8; 200], pub side: u8, pub mask: Inet,
    }
}
const _: () = assert!(RecentInfo1::SIZE == 228);

/// `XT_RECENT_*` bits of `check_set`
const CHECK: u8 = 1 << 0;
const SET: u8 = 1 << 1;
const UPDATE: u8 = 1 << 2;
const REMOVE: u8 = 1 << 3;
const TTL: u8 = 1 << 4;
const REAP: u8 = 1 << 5;
/// `XT_RECENT_DEST` (`XT_RECENT_SOURCE` is 0)
const DEST: u8 = 1;

/// The four operations (`F_ANY_OP`), as `OPTIONS` bits (each excludes
/// the other three; twice is "can only be used once").
const ANY_OP: u32 = 0b1111;

/// The recent match: revision 1's kernel struct (the name array keeps the
/// bytes iptables leaves after a short name's NUL: the tail of `DEFAULT`)
/// and the revision (1, or 0 when the kernel has no 1: no mask, all-zero
/// here).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recent(pub Box<RecentInfo1>, pub u8);

crate::xt_struct! {
    /// `struct xt_recent_mtinfo` (revision 0: no mask)
    pub struct RecentInfo0 {
        pub seconds: u32, pub hit_count: u32, pub check_set: u8, pub invert: u8,
        pub name: [u8; 200], pub side: u8,
    }
}
const _: () = assert!(RecentInfo0::SIZE == 212);

impl MatchExt for Recent {
    const NAME: &'static str = "recent";
    const OPTIONS: &'static [OptSpec] = &[
        OptSpec::flag("set").excl(ANY_OP & !1),
        OptSpec::flag("rcheck").excl(ANY_OP & !2),
        OptSpec::flag("update").excl(ANY_OP & !4),
        OptSpec::flag("remove").excl(ANY_OP & !8),
        OptSpec::value("seconds").no_inv(),
        OptSpec::flag("reap").no_inv().also(1 << 4),
        OptSpec::value("hitcount").no_inv().kind(ValueKind::U32),
        OptSpec::flag("rttl").no_inv().excl(0b1001),
        OptSpec::value("name").no_inv(),
        OptSpec::flag("rsource").no_inv(),
        OptSpec::flag("rdest").no_inv(),
        OptSpec::value("mask").no_inv(),
    ];

    fn build(hits: &[OptHit], cx: &ParseCx) -> Result<Self, Error> {
        // revision 0 on an older kernel (no --mask)
        let (rev, _) = super::probe::choose(cx.family, Self::NAME, false, &[1, 0]);
        if rev == 0 && hits.iter().any(|h| h.idx == 11) {
            return Err(param("unknown option \"--mask\""));
        }
        let mut name = [0u8; 200];
        name[..7].copy_from_slice(b"DEFAULT");
        let mut i = RecentInfo1 {
            seconds: 0,
            hit_count: 0,
            check_set: 0,
            invert: 0,
            name,
            side: 0,
            // (revision 0's init leaves no mask)
            mask: Inet(if rev == 0 { [0; 16] } else { [0xff; 16] }),
        };
        for h in hits {
            let a = h.arg();
            match h.idx {
                0..=3 => {
                    i.check_set |= [SET, CHECK, UPDATE, REMOVE][h.idx];
                    if h.inv {
                        i.invert = 1;
                    }
                }
                4 => {
                    i.seconds = parse_u32(a).filter(|s| *s >= 1).ok_or_else(|| {
                        param(
                            "recent: bad value for option \"--seconds\", or out of range (1-4294967295).\n",
                        )
                    })?
                }
                5 => i.check_set |= REAP,
                6 => i.hit_count = parse_u32(a).unwrap_or(0),
                7 => i.check_set |= TTL,
                8 => {
                    // strncpy of at most 199 bytes and a NUL over "DEFAULT"
                    let b = bytes::to_bytes(a);
                    let n = b.len().min(199);
                    i.name[..n].copy_from_slice(&b[..n]);
                    i.name[n] = 0;
                }
                9 => i.side = 0,
                10 => i.side = DEST,
                _ => {
                    let mut m = [0u8; 16];
                    match parse_host(a, cx.family)? {
                        IpAddr::V4(v4) => m[..4].copy_from_slice(&v4.octets()),
                        IpAddr::V6(v6) => m = v6.octets(),
                    }
                    i.mask = Inet(m);
                }
            }
        }
        if !hits.iter().any(|h| h.idx <= 3) {
            return Err(param(
                "recent: you must specify one of `--set', `--rcheck' `--update' or `--remove'",
            ));
        }
        Ok(Recent(Box::new(i), rev as u8))
    }

    fn save(&self, cx: &FmtCx, out: &mut String) {
        let i = &self.0;
        if i.invert != 0 {
            out.push_str(" !");
        }
        for (bit, text) in [
            (SET, " --set"),
            (CHECK, " --rcheck"),
            (UPDATE, " --update"),
            (REMOVE, " --remove"),
        ] {
            if i.check_set & bit != 0 {
                out.push_str(text);
            }
        }
        if i.seconds != 0 {
            let _ = write!(out, " --seconds {}", i.seconds);
        }
        if i.check_set & REAP != 0 {
            out.push_str(" --reap");
        }
        if i.hit_count != 0 {
            let _ = write!(out, " --hitcount {}", i.hit_count);
        }
        if i.check_set & TTL != 0 {
            out.push_str(" --rttl");
        }
        let _ = write!(out, " --name {}", self.name());
        if self.1 != 0 {
            let _ = write!(out, " --mask {}", self.mask_text(cx.family));
        }
        match i.side {
            0 => out.push_str(" --rsource"),
            DEST => out.push_str(" --rdest"),
            _ => {}
        }
    }

    fn print(&self, cx: &FmtCx, out: &mut String) {
        let i = &self.0;
        if i.invert != 0 {
            out.push_str(" !");
        }
        out.push_str(" recent:");
        for (bit, text) in [
            (SET, " SET"),
            (CHECK, " CHECK"),
            (UPDATE, " UPDATE"),
            (REMOVE, " REMOVE"),
        ] {
            if i.check_set & bit != 0 {
                out.push_str(text);
            }
        }
        if i.seconds != 0 {
            let _ = write!(out, " seconds: {}", i.seconds);
        }
        if i.check_set & REAP != 0 {
            out.push_str(" reap");
        }
        if i.hit_count != 0 {
            let _ = write!(out, " hit_count: {}", i.hit_count);
        }
        if i.check_set & TTL != 0 {
            out.push_str(" TTL-Match");
        }
        let _ = write!(out, " name: {}", self.name());
        match i.side {
            0 => out.push_str(" side: source"),
            DEST => out.push_str(" side: dest"),
            _ => {}
        }
        if self.1 != 0 {
            let _ = write!(out, " mask: {}", self.mask_text(cx.family));
        }
    }

    fn encode(&self, _cx: &EncodeCx, out: &mut Vec<Expr>) {
        let i = &self.0;
        let info = if self.1 == 0 {
            RecentInfo0 {
                seconds: i.seconds,
                hit_count: i.hit_count,
                check_set: i.check_set,
                invert: i.invert,
                name: i.name,
                side: i.side,
            }
            .to_blob()
        } else {
            i.to_blob()
        };
        out.push(Expr::Match {
            name: Self::NAME.into(),
            rev: u32::from(self.1),
            info,
        });
    }

    fn decode_blob(rev: u32, info: &[u8], _family: Family) -> Result<Self, DecodeError> {
        let i = match rev {
            0 => RecentInfo0::from_blob(info).map(|o| RecentInfo1 {
                seconds: o.seconds,
                hit_count: o.hit_count,
                check_set: o.check_set,
                invert: o.invert,
                name: o.name,
                side: o.side,
                mask: Inet([0; 16]),
            }),
            1 => RecentInfo1::from_blob(info),
            _ => None,
        };
        match i {
            Some(i) => Ok(Recent(Box::new(i), rev as u8)),
            None => Err(DecodeError(format!(
                "recent revision {rev} of {} bytes",
                info.len()
            ))),
        }
    }
}

impl Recent {
    /// The list name (up to its NUL).
    pub fn name(&self) -> String {
        let n = &self.0.name;
        let end = n.iter().position(|c| *c == 0).unwrap_or(n.len());
        bytes::from_bytes(&n[..end]).into_owned()
    }

    /// The mask as the family's numeric address.
    fn mask_text(&self, family: Family) -> String {
        let m = &self.0.mask.0;
        let b = if family == Family::V4 {
            &m[..4]
        } else {
            &m[..]
        };
        ip_from_bytes(b).map(|a| ntop(&a)).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ext::kit::{build_match, texts, xt_round_trip};

    fn fcx(family: Family) -> FmtCx {
        FmtCx {
            family,
            numeric: true,
            proto: None,
        }
    }

    /// Text as iptables 1.8.13 prints it (captured).
    #[test]
    fn like_1_8_13() {
        let all = "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff";
        for (fam, v, saved, listed) in [
            (
                Family::V4,
                &[(0, false, "")][..],
                " --set --name DEFAULT --mask 255.255.255.255 --rsource".to_string(),
                " recent: SET name: DEFAULT side: source mask: 255.255.255.255".to_string(),
            ),
            (
                Family::V6,
                &[(2, false, ""), (7, false, "")][..],
                format!(" --update --rttl --name DEFAULT --mask {all} --rsource"),
                format!(" recent: UPDATE TTL-Match name: DEFAULT side: source mask: {all}"),
            ),
            (
                Family::V4,
                &[(1, true, ""), (4, false, "60"), (6, false, "4"), (8, false, "SSH"), (9, false, "")][..],
                " ! --rcheck --seconds 60 --hitcount 4 --name SSH --mask 255.255.255.255 --rsource".to_string(),
                " ! recent: CHECK seconds: 60 hit_count: 4 name: SSH side: source mask: 255.255.255.255".to_string(),
            ),
            (
                Family::V4,
                &[(1, false, ""), (7, false, ""), (5, false, ""), (4, false, "5")][..],
                " --rcheck --seconds 5 --reap --rttl --name DEFAULT --mask 255.255.255.255 --rsource".to_string(),
                " recent: CHECK seconds: 5 reap TTL-Match name: DEFAULT side: source mask: 255.255.255.255".to_string(),
            ),
            (
                Family::V4,
                &[(3, false, ""), (10, false, ""), (11, false, "1.2.3"), (8, false, "a b")][..],
                " --remove --name a b --mask 1.2.0.3 --rdest".to_string(),
                " recent: REMOVE name: a b side: dest mask: 1.2.0.3".to_string(),
            ),
        ] {
            let m: Recent = build_match(fam, v).unwrap();
            assert_eq!(texts(&m, &fcx(fam)), (saved, listed));
            assert_eq!(xt_round_trip(&m, fam), (1, 232));
        }
        // a short name leaves the rest of "DEFAULT" behind its NUL
        let m: Recent = build_match(Family::V4, &[(0, false, ""), (8, false, "ab")]).unwrap();
        assert_eq!(&m.0.name[..8], b"ab\0AULT\0");
        assert_eq!(m.name(), "ab");
        let msg =
            |fam, v: &[(usize, bool, &str)]| build_match::<Recent>(fam, v).unwrap_err().to_string();
        assert_eq!(
            msg(Family::V4, &[(8, false, "x")]),
            "recent: you must specify one of `--set', `--rcheck' `--update' or `--remove'"
        );
        assert_eq!(
            msg(Family::V4, &[(1, false, ""), (4, false, "0")]),
            "recent: bad value for option \"--seconds\", or out of range (1-4294967295).\n"
        );
        assert_eq!(
            msg(
                Family::V6,
                &[(0, false, ""), (11, false, "255.255.255.255")]
            ),
            "getaddrinfo: Address family for hostname not supported\n"
        );
    }
}

#[cfg(test)]
mod revision_tests {
    use super::*;
    use crate::ext::kit::{build_match, capped, match_save, xt_match};
    use crate::ext::probe::with_probe;

    /// A kernel without revision 1 gets `struct xt_recent_mtinfo { u32
    /// seconds, hit_count; u8 check_set, invert; char name[200]; u8
    /// side; }`, saved without `--mask` (its module prints none).
    #[test]
    fn revision_0_when_the_kernel_has_no_1() {
        let kernel = || capped(&[("recent", false, Some(0))]);
        let opts = [
            (2, true, ""),
            (4, false, "60"),
            (8, false, "knock"),
            (10, false, ""),
        ];
        let m: Recent = with_probe(kernel(), || build_match(Family::V4, &opts)).unwrap();
        let (_, rev, b) = xt_match(&m, Family::V4);
        assert_eq!((rev, b.len()), (0, 216));
        assert_eq!(
            &b[..8],
            &[60, 0, 0, 0, 0, 0, 0, 0][..],
            "seconds, hit_count"
        );
        assert_eq!((b[8], b[9]), (UPDATE, 1), "check_set, invert");
        assert_eq!(&b[10..17], b"knock\0T", "name over DEFAULT");
        assert_eq!(b[210], DEST, "side");
        assert!(b[211..].iter().all(|x| *x == 0));
        let back = Recent::decode_blob(0, &b, Family::V4).unwrap();
        assert_eq!(back, m);
        assert_eq!(
            match_save(&back, Family::V4),
            " ! --update --seconds 60 --name knock --rdest"
        );
        let e = with_probe(kernel(), || {
            build_match::<Recent>(Family::V6, &[(0, false, ""), (11, false, "::")])
        })
        .unwrap_err();
        assert_eq!(e.to_string(), "unknown option \"--mask\"");
        let m: Recent = build_match(Family::V4, &opts).unwrap();
        assert_eq!(xt_match(&m, Family::V4).1, 1);
    }
}
