//! `-m connlimit --connlimit-upto|--connlimit-above N [--connlimit-mask
//! LEN] [--connlimit-saddr|--connlimit-daddr]` (`libxt_connlimit.c`): xt
//! match `connlimit` revision 1, `struct xt_connlimit_info { union
//! nf_inet_addr mask; unsigned int limit; u32 flags; }` (then the kernel's
//! pointer). Limits parallel connections per source (or destination)
//! network, e.g. `--syn --dport 22 -m connlimit --connlimit-above 3`.

use super::nat::{mask_len, prefix_mask};
use super::value::inet_aton;
use super::value::{parse_u32, strtoumax, ValueKind};
use super::{EncodeCx, FmtCx, MatchExt, OptHit, OptSpec, ParseCx};
use crate::error::{param, DecodeError, Error};
use crate::ir::Expr;
use crate::model::Family;
use std::net::Ipv6Addr;

crate::xt_struct! {
    /// `struct xt_connlimit_info` (`data` is the kernel's pointer)
    pub struct ConnlimitInfo { pub mask: [u8; 16], pub limit: u32, pub flags: u32, pub data: u64 }
}
const _: () = assert!(ConnlimitInfo::SIZE == 32);

/// `XT_CONNLIMIT_INVERT`: match up to the limit (`--connlimit-upto`)
const INVERT: u32 = 1 << 0;
/// `XT_CONNLIMIT_DADDR`: group by destination
const DADDR: u32 = 1 << 1;

/// The connlimit match.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Connlimit {
    /// grouping mask, network order (IPv4 in the first 4 bytes; all ones
    /// unless `--connlimit-mask` is given, even for IPv4)
    pub mask: [u8; 16],
    /// connection count
    pub limit: u32,
    /// `XT_CONNLIMIT_*`
    pub flags: u32,
}

/// `XTTYPE_PLENMASK` (`xtopt_parse_plenmask`): a prefix length up to the
/// family's width, else a numeric mask of the family (a mask with holes
/// is kept as it is; for IPv4 its first 4 bytes, the rest left zero).
pub(crate) fn parse_plenmask(s: &str, family: Family) -> Option<[u8; 16]> {
    let width: u64 = if family == Family::V4 { 32 } else { 128 };
    let t = s.trim_start_matches([' ', '\t', '\n', '\r', '\x0b', '\x0c']);
    let plen = strtoumax(s)
        .filter(|(v, end)| *end == s.len() && !t.starts_with('-') && *v <= width)
        .map(|(v, _)| v as u32);
    let mut out = [0u8; 16];
    let plen = match plen {
        Some(p) => p,
        None => {
            let raw: Vec<u8> = match family {
                Family::V4 => inet_aton(s)?.octets().to_vec(),
                Family::V6 => s.parse::<Ipv6Addr>().ok()?.octets().to_vec(),
            };
            match mask_len(&raw) {
                Some(p) => p,
                None => {
                    out[..raw.len()].copy_from_slice(&raw);
                    return Some(out);
                }
            }
        }
    };
    // a prefix is built over the 16 bytes, whatever the family
    out.copy_from_slice(&prefix_mask(plen, 16));
    Some(out)
}

impl Connlimit {
    /// The prefix length iptables prints (`count_bits4/6`): the width
    /// less, per 32-bit word, the bits up to the highest zero bit.
    fn bits(&self, family: Family) -> u32 {
        let word = |i: usize| {
            let w = u32::from_be_bytes([
                self.mask[4 * i],
                self.mask[4 * i + 1],
                self.mask[4 * i + 2],
                self.mask[4 * i + 3],
            ]);
            32 - (!w).leading_zeros()
        };
        match family {
            Family::V4 => 32 - word(0),
            Family::V6 => 128 - (0..4).map(word).sum::<u32>(),
        }
    }
}

impl MatchExt for Connlimit {
    const NAME: &'static str = "connlimit";
    const OPTIONS: &'static [OptSpec] = &[
        OptSpec::value("connlimit-upto")
            .kind(ValueKind::U32)
            .excl(0b10),
        OptSpec::value("connlimit-above")
            .kind(ValueKind::U32)
            .excl(0b01),
        OptSpec::value("connlimit-mask").no_inv(),
        OptSpec::flag("connlimit-saddr").no_inv().excl(0b10000),
        OptSpec::flag("connlimit-daddr").no_inv().excl(0b01000),
    ];

    fn build(hits: &[OptHit], cx: &ParseCx) -> Result<Self, Error> {
        let mut m = Connlimit {
            mask: [0xff; 16],
            limit: 0,
            flags: 0,
        };
        for h in hits {
            match h.idx {
                0 | 1 => {
                    m.limit = parse_u32(h.arg()).unwrap_or(0);
                    // upto is "not above"; `!` turns either around
                    if (h.idx == 0) != h.inv {
                        m.flags |= INVERT;
                    }
                }
                2 => {
                    m.mask = parse_plenmask(h.arg(), cx.family).ok_or_else(|| {
                        param(format!(
                            "connlimit: bad value for option \"--connlimit-mask\", neither a valid network mask nor valid CIDR (0-{}).\n",
                            if cx.family == Family::V4 { 32 } else { 128 }
                        ))
                    })?
                }
                3 => m.flags &= !DADDR,
                _ => m.flags |= DADDR,
            }
        }
        if !hits.iter().any(|h| h.idx <= 1) {
            return Err(param(
                "You must specify \"--connlimit-above\" or \"--connlimit-upto\".",
            ));
        }
        Ok(m)
    }

    fn save(&self, cx: &FmtCx, out: &mut String) {
        use std::fmt::Write;
        let op = if self.flags & INVERT != 0 {
            "upto"
        } else {
            "above"
        };
        let dir = if self.flags & DADDR != 0 {
            "daddr"
        } else {
            "saddr"
        };
        let _ = write!(
            out,
            " --connlimit-{op} {} --connlimit-mask {} --connlimit-{dir}",
            self.limit,
            self.bits(cx.family)
        );
    }

    fn print(&self, cx: &FmtCx, out: &mut String) {
        use std::fmt::Write;
        let _ = write!(
            out,
            " #conn {}/{} {} {}",
            if self.flags & DADDR != 0 {
                "dst"
            } else {
                "src"
            },
            self.bits(cx.family),
            if self.flags & INVERT != 0 { "<=" } else { ">" },
            self.limit
        );
    }

    fn encode(&self, _cx: &EncodeCx, out: &mut Vec<Expr>) {
        out.push(Expr::Match {
            name: Self::NAME.into(),
            rev: 1,
            info: ConnlimitInfo {
                mask: self.mask,
                limit: self.limit,
                flags: self.flags,
                data: 0,
            }
            .to_blob(),
        });
    }

    fn decode_blob(rev: u32, info: &[u8], _family: Family) -> Result<Self, DecodeError> {
        match (rev, ConnlimitInfo::from_blob(info)) {
            (1, Some(i)) if i.flags & !(INVERT | DADDR) == 0 => Ok(Connlimit {
                mask: i.mask,
                limit: i.limit,
                flags: i.flags,
            }),
            _ => Err(DecodeError(format!(
                "connlimit revision {rev} of {} bytes",
                info.len()
            ))),
        }
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
        for (fam, v, saved, listed) in [
            (
                Family::V4,
                &[(0, false, "0")][..],
                " --connlimit-upto 0 --connlimit-mask 32 --connlimit-saddr",
                " #conn src/32 <= 0",
            ),
            (
                Family::V6,
                &[(0, false, "0")][..],
                " --connlimit-upto 0 --connlimit-mask 128 --connlimit-saddr",
                " #conn src/128 <= 0",
            ),
            (
                Family::V4,
                &[(1, false, "10"), (4, false, "")][..],
                " --connlimit-above 10 --connlimit-mask 32 --connlimit-daddr",
                " #conn dst/32 > 10",
            ),
            (
                Family::V4,
                &[(1, true, "10"), (2, false, "0x10")][..],
                " --connlimit-upto 10 --connlimit-mask 16 --connlimit-saddr",
                " #conn src/16 <= 10",
            ),
            (
                Family::V4,
                &[(0, true, "10"), (2, false, "33")][..],
                " --connlimit-above 10 --connlimit-mask 0 --connlimit-saddr",
                " #conn src/0 > 10",
            ),
            (
                Family::V4,
                &[(1, false, "1"), (2, false, "255.0.255.0")][..],
                " --connlimit-above 1 --connlimit-mask 8 --connlimit-saddr",
                " #conn src/8 > 1",
            ),
            (
                Family::V6,
                &[(1, false, "1"), (2, false, "ffff:ff00::")][..],
                " --connlimit-above 1 --connlimit-mask 24 --connlimit-saddr",
                " #conn src/24 > 1",
            ),
            (
                Family::V6,
                &[(1, false, "1"), (2, false, "33")][..],
                " --connlimit-above 1 --connlimit-mask 33 --connlimit-saddr",
                " #conn src/33 > 1",
            ),
        ] {
            let m: Connlimit = build_match(fam, v).unwrap();
            assert_eq!(
                texts(&m, &fcx(fam)),
                (saved.to_string(), listed.to_string())
            );
            assert_eq!(xt_round_trip(&m, fam), (1, 32));
        }
        let msg = |fam, v: &[(usize, bool, &str)]| {
            build_match::<Connlimit>(fam, v).unwrap_err().to_string()
        };
        assert_eq!(
            msg(Family::V4, &[(2, false, "24")]),
            "You must specify \"--connlimit-above\" or \"--connlimit-upto\"."
        );
        assert_eq!(
            msg(Family::V6, &[(1, false, "1"), (2, false, "129")]),
            "connlimit: bad value for option \"--connlimit-mask\", neither a valid network mask nor valid CIDR (0-128).\n"
        );
        assert_eq!(
            msg(Family::V4, &[(1, false, "1"), (2, false, "ffff::")]),
            "connlimit: bad value for option \"--connlimit-mask\", neither a valid network mask nor valid CIDR (0-32).\n"
        );
    }
}
