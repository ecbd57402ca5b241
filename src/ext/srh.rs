//! `-m srh` (`libip6t_srh.c`): xt match `srh`, IPv6 only. 1.8.13 writes
//! revision 1, `struct ip6t_srh1 { u8 next_hdr, hdr_len, segs_left,
//! last_entry; u16 tag; struct in6_addr psid_addr, nsid_addr, lsid_addr,
//! psid_msk, nsid_msk, lsid_msk; u16 mt_flags, mt_invflags; }`; revision 0
//! (`struct ip6t_srh`, no SIDs) is read too. The rule keeps the struct.

use super::nat::{mask_len, parse_host, prefix_mask};
use super::value::parse_u32;
use super::value::strtoumax;
use super::{EncodeCx, FmtCx, MatchExt, OptHit, OptSpec, ParseCx, ValueKind};
use crate::error::{param, DecodeError, Error};
use crate::ir::Expr;
use crate::model::addr::ntop;
use crate::model::Family;
use std::net::{IpAddr, Ipv6Addr};

crate::xt_struct! {
    /// `struct ip6t_srh1` (`pad`: the C padding before the addresses)
    pub struct Srh1Info {
        pub next_hdr: u8, pub hdr_len: u8, pub segs_left: u8, pub last_entry: u8, pub tag: u16,
        pub pad: [u8; 2],
        pub psid_addr: [u8; 16], pub nsid_addr: [u8; 16], pub lsid_addr: [u8; 16],
        pub psid_msk: [u8; 16], pub nsid_msk: [u8; 16], pub lsid_msk: [u8; 16],
        pub mt_flags: u16, pub mt_invflags: u16,
    }
}
const _: () = assert!(Srh1Info::SIZE == 108);

crate::xt_struct! {
    /// `struct ip6t_srh` (revision 0)
    pub struct Srh0Info {
        pub next_hdr: u8, pub hdr_len: u8, pub segs_left: u8, pub last_entry: u8, pub tag: u16,
        pub mt_flags: u16, pub mt_invflags: u16,
    }
}
const _: () = assert!(Srh0Info::SIZE == 10);

const PSID: u16 = 0x0800;
const NSID: u16 = 0x1000;
const LSID: u16 = 0x2000;

/// The number options in table order: name, list word, flag bit (the
/// inversion bit is the same).
const NUMS: &[(&str, &str, u16)] = &[
    ("srh-next-hdr", "next-hdr", 0x0001),
    ("srh-hdr-len-eq", "hdr-len-eq", 0x0002),
    ("srh-hdr-len-gt", "hdr-len-gt", 0x0004),
    ("srh-hdr-len-lt", "hdr-len-lt", 0x0008),
    ("srh-segs-left-eq", "segs-left-eq", 0x0010),
    ("srh-segs-left-gt", "segs-left-gt", 0x0020),
    ("srh-segs-left-lt", "segs-left-lt", 0x0040),
    ("srh-last-entry-eq", "last-entry-eq", 0x0080),
    ("srh-last-entry-gt", "last-entry-gt", 0x0100),
    ("srh-last-entry-lt", "last-entry-lt", 0x0200),
    ("srh-tag", "tag", 0x0400),
];

/// The srh match: the revision and the struct (revision 0 blobs as
/// revision 1 without SIDs).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Srh {
    /// revision
    pub rev: u32,
    /// the fields
    pub info: Box<Srh1Info>,
}

impl Srh {
    /// The value of number option `i` of [`NUMS`].
    fn num(&self, i: usize) -> u16 {
        let s = &self.info;
        match i {
            0 => s.next_hdr.into(),
            1..=3 => s.hdr_len.into(),
            4..=6 => s.segs_left.into(),
            7..=9 => s.last_entry.into(),
            _ => s.tag,
        }
    }

    /// The SID options: name, list word, flag, address, mask.
    fn sids(&self) -> [(&'static str, u16, &[u8; 16], &[u8; 16]); 3] {
        let s = &self.info;
        [
            ("psid", PSID, &s.psid_addr, &s.psid_msk),
            ("nsid", NSID, &s.nsid_addr, &s.nsid_msk),
            ("lsid", LSID, &s.lsid_addr, &s.lsid_msk),
        ]
    }

    fn sid_text(addr: &[u8; 16], mask: &[u8; 16]) -> String {
        // (`xtables_ip6mask_to_cidr` gives -1 for a mask with holes)
        let len = mask_len(mask).unwrap_or(u32::MAX);
        format!("{}/{len}", ntop(&IpAddr::V6(Ipv6Addr::from(*addr))))
    }
}

/// `XTTYPE_HOSTMASK` as 1.8.13 reads it: `host[/len|/mask]`, the mask as
/// given (holes kept), the host not masked.
fn hostmask(opt: &str, s: &str) -> Result<(Ipv6Addr, [u8; 16]), Error> {
    let (host, mask) = match s.split_once('/') {
        Some((h, m)) => (h, Some(m)),
        None => (s, None),
    };
    let IpAddr::V6(a) = parse_host(host, Family::V6)? else {
        return Err(param(format!("bad address: {host}")));
    };
    let m = match mask {
        None => [0xff; 16],
        Some(t) => match strtoumax(t) {
            Some((v, end)) if end == t.len() && v <= 128 => {
                let mut m = [0u8; 16];
                m.copy_from_slice(&prefix_mask(v as u32, 16));
                m
            }
            _ => t.parse::<Ipv6Addr>().map(|x| x.octets()).map_err(|_| {
                param(format!(
                    "srh: bad value for option \"--{opt}\", neither a valid network mask nor valid CIDR (0-128).\n"
                ))
            })?,
        },
    };
    Ok((a, m))
}

impl MatchExt for Srh {
    const NAME: &'static str = "srh";
    const OPTIONS: &'static [OptSpec] = &[
        OptSpec::value("srh-next-hdr").kind(ValueKind::UInt(0, 255)),
        OptSpec::value("srh-hdr-len-eq").kind(ValueKind::UInt(0, 255)),
        OptSpec::value("srh-hdr-len-gt").kind(ValueKind::UInt(0, 255)),
        OptSpec::value("srh-hdr-len-lt").kind(ValueKind::UInt(0, 255)),
        OptSpec::value("srh-segs-left-eq").kind(ValueKind::UInt(0, 255)),
        OptSpec::value("srh-segs-left-gt").kind(ValueKind::UInt(0, 255)),
        OptSpec::value("srh-segs-left-lt").kind(ValueKind::UInt(0, 255)),
        OptSpec::value("srh-last-entry-eq").kind(ValueKind::UInt(0, 255)),
        OptSpec::value("srh-last-entry-gt").kind(ValueKind::UInt(0, 255)),
        OptSpec::value("srh-last-entry-lt").kind(ValueKind::UInt(0, 255)),
        OptSpec::value("srh-tag").kind(ValueKind::UInt(0, 65535)),
        OptSpec::value("srh-psid"),
        OptSpec::value("srh-nsid"),
        OptSpec::value("srh-lsid"),
    ];
    const FAMILIES: &'static [Family] = &[Family::V6];

    fn build(hits: &[OptHit], cx: &ParseCx) -> Result<Self, Error> {
        // revision 0 on an older kernel (no segment ids)
        let (rev, _) = super::probe::choose(cx.family, Self::NAME, false, &[1, 0]);
        let mut s = Srh1Info {
            next_hdr: 0,
            hdr_len: 0,
            segs_left: 0,
            last_entry: 0,
            tag: 0,
            pad: [0; 2],
            psid_addr: [0; 16],
            nsid_addr: [0; 16],
            lsid_addr: [0; 16],
            psid_msk: [0; 16],
            nsid_msk: [0; 16],
            lsid_msk: [0; 16],
            mt_flags: 0,
            mt_invflags: 0,
        };
        for h in hits {
            let bit = if h.idx < NUMS.len() {
                // (checked as it was read)
                let v = parse_u32(h.arg()).unwrap_or(0);
                match h.idx {
                    0 => s.next_hdr = v as u8,
                    1..=3 => s.hdr_len = v as u8,
                    4..=6 => s.segs_left = v as u8,
                    7..=9 => s.last_entry = v as u8,
                    _ => s.tag = v as u16,
                }
                NUMS[h.idx].2
            } else {
                let name = ["srh-psid", "srh-nsid", "srh-lsid"][h.idx - NUMS.len()];
                if rev == 0 {
                    return Err(crate::error::param(format!("unknown option \"--{name}\"")));
                }
                let (a, m) = hostmask(name, h.arg())?;
                let (sa, sm, bit) = match h.idx - NUMS.len() {
                    0 => (&mut s.psid_addr, &mut s.psid_msk, PSID),
                    1 => (&mut s.nsid_addr, &mut s.nsid_msk, NSID),
                    _ => (&mut s.lsid_addr, &mut s.lsid_msk, LSID),
                };
                (*sa, *sm) = (a.octets(), m);
                bit
            };
            s.mt_flags |= bit;
            if h.inv {
                s.mt_invflags |= bit;
            }
        }
        Ok(Srh {
            rev,
            info: Box::new(s),
        })
    }

    fn save(&self, _cx: &FmtCx, out: &mut String) {
        let (f, inv) = (self.info.mt_flags, self.info.mt_invflags);
        let bang = |b: u16| if inv & b != 0 { " !" } else { "" };
        for (i, (name, _, b)) in NUMS.iter().enumerate() {
            if f & b != 0 {
                out.push_str(&format!("{} --{name} {}", bang(*b), self.num(i)));
            }
        }
        if self.rev == 0 {
            return;
        }
        for (name, b, a, m) in self.sids() {
            if f & b != 0 {
                out.push_str(&format!(
                    "{} --srh-{name} {}",
                    bang(b),
                    Self::sid_text(a, m)
                ));
            }
        }
    }

    fn print(&self, _cx: &FmtCx, out: &mut String) {
        let (f, inv) = (self.info.mt_flags, self.info.mt_invflags);
        let bang = |b: u16| if inv & b != 0 { "!" } else { "" };
        out.push_str(" srh");
        for (i, (_, word, b)) in NUMS.iter().enumerate() {
            if f & b != 0 {
                out.push_str(&format!(" {word}:{}{}", bang(*b), self.num(i)));
            }
        }
        if self.rev == 0 {
            return;
        }
        for (name, b, a, m) in self.sids() {
            if f & b != 0 {
                out.push_str(&format!(" {name} {} {}", bang(b), Self::sid_text(a, m)));
            }
        }
    }

    fn encode(&self, _cx: &EncodeCx, out: &mut Vec<Expr>) {
        let s = &self.info;
        let info = if self.rev == 0 {
            Srh0Info {
                next_hdr: s.next_hdr,
                hdr_len: s.hdr_len,
                segs_left: s.segs_left,
                last_entry: s.last_entry,
                tag: s.tag,
                mt_flags: s.mt_flags,
                mt_invflags: s.mt_invflags,
            }
            .to_blob()
        } else {
            s.to_blob()
        };
        out.push(Expr::Match {
            name: Self::NAME.into(),
            rev: self.rev,
            info,
        });
    }

    fn decode_blob(rev: u32, info: &[u8], _family: Family) -> Result<Self, DecodeError> {
        let bad = || DecodeError(format!("srh revision {rev} of {} bytes", info.len()));
        let s = match rev {
            1 => Srh1Info::from_blob(info).ok_or_else(bad)?,
            0 => {
                let o = Srh0Info::from_blob(info).ok_or_else(bad)?;
                Srh1Info {
                    next_hdr: o.next_hdr,
                    hdr_len: o.hdr_len,
                    segs_left: o.segs_left,
                    last_entry: o.last_entry,
                    tag: o.tag,
                    pad: [0; 2],
                    psid_addr: [0; 16],
                    nsid_addr: [0; 16],
                    lsid_addr: [0; 16],
                    psid_msk: [0; 16],
                    nsid_msk: [0; 16],
                    lsid_msk: [0; 16],
                    mt_flags: o.mt_flags,
                    mt_invflags: o.mt_invflags,
                }
            }
            _ => return Err(bad()),
        };
        Ok(Srh {
            rev,
            info: Box::new(s),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ext::kit::{build_match, texts, xt_round_trip};

    /// Text as ip6tables 1.8.13 prints it (captured).
    #[test]
    fn like_1_8_13() {
        let cx = FmtCx {
            family: Family::V6,
            numeric: true,
            proto: None,
        };
        for (v, saved, listed) in [
            (&[][..], "", " srh"),
            (
                &[(4, false, "1"), (5, true, "2"), (6, false, "3")][..],
                " --srh-segs-left-eq 3 ! --srh-segs-left-gt 3 --srh-segs-left-lt 3",
                " srh segs-left-eq:3 segs-left-gt:!3 segs-left-lt:3",
            ),
            (
                &[
                    (11, false, "a::/64"),
                    (12, true, "b::1"),
                    (13, false, "c::/0"),
                ][..],
                " --srh-psid a::/64 ! --srh-nsid b::1/128 --srh-lsid c::/0",
                " srh psid  a::/64 nsid ! b::1/128 lsid  c::/0",
            ),
            (&[(10, true, "0")][..], " ! --srh-tag 0", " srh tag:!0"),
            (
                &[(11, false, "a::1/ffff::ff")][..],
                " --srh-psid a::1/4294967295",
                " srh psid  a::1/4294967295",
            ),
        ] {
            let m: Srh = build_match(Family::V6, v).unwrap();
            assert_eq!(texts(&m, &cx), (saved.to_string(), listed.to_string()));
            assert_eq!(xt_round_trip(&m, Family::V6), (1, 112));
        }
    }
}

#[cfg(test)]
mod revision_tests {
    use super::*;
    use crate::ext::kit::{build_match, capped, match_save, xt_match};
    use crate::ext::probe::with_probe;

    /// A kernel without revision 1 gets `struct ip6t_srh {
    /// u8 next_hdr, hdr_len, segs_left, last_entry; u16 tag, mt_flags,
    /// mt_invflags; }`; the segment id options are unknown to its module.
    #[test]
    fn revision_0_when_the_kernel_has_no_1() {
        let kernel = || capped(&[("srh", false, Some(0))]);
        let m: Srh = with_probe(kernel(), || {
            build_match(Family::V6, &[(0, false, "17"), (5, true, "1")])
        })
        .unwrap();
        let (_, rev, b) = xt_match(&m, Family::V6);
        assert_eq!(rev, 0);
        let f = NUMS[0].2 | NUMS[5].2;
        let mut want = vec![17, 0, 1, 0, 0, 0];
        want.extend_from_slice(&f.to_ne_bytes());
        want.extend_from_slice(&NUMS[5].2.to_ne_bytes());
        want.extend_from_slice(&[0; 6]);
        assert_eq!(b, want);
        let back = Srh::decode_blob(0, &b, Family::V6).unwrap();
        assert_eq!(back, m);
        assert_eq!(
            match_save(&back, Family::V6),
            " --srh-next-hdr 17 ! --srh-segs-left-gt 1"
        );
        let e = with_probe(kernel(), || {
            build_match::<Srh>(Family::V6, &[(NUMS.len(), false, "::1")])
        })
        .unwrap_err();
        assert_eq!(e.to_string(), "unknown option \"--srh-psid\"");
        let m: Srh = build_match(Family::V6, &[(0, false, "17")]).unwrap();
        assert_eq!(xt_match(&m, Family::V6).1, 1);
    }
}
