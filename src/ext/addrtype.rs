//! `-m addrtype [!] --src-type TYPES [!] --dst-type TYPES
//! [--limit-iface-in|--limit-iface-out]` (`libxt_addrtype.c`): xt match
//! `addrtype` revision 1, `struct xt_addrtype_info_v1`. Docker matches
//! `--dst-type LOCAL` on every host.

use super::{EncodeCx, FmtCx, MatchExt, OptHit, OptSpec, ParseCx};
use crate::error::{param, DecodeError, Error};
use crate::ir::Expr;
use crate::model::Family;

crate::xt_struct! {
    /// `struct xt_addrtype_info_v1`
    pub struct AddrtypeInfo1 { pub source: u16, pub dest: u16, pub flags: u32 }
}
const _: () = assert!(AddrtypeInfo1::SIZE == 8);

crate::xt_struct! {
    /// `struct xt_addrtype_info` (revision 0, IPv4 only)
    pub struct AddrtypeInfo0 { pub source: u16, pub dest: u16, pub invert_source: u32, pub invert_dest: u32 }
}
const _: () = assert!(AddrtypeInfo0::SIZE == 12);

const INVERT_SOURCE: u32 = 1;
const INVERT_DEST: u32 = 2;
const LIMIT_IFACE_IN: u32 = 4;
const LIMIT_IFACE_OUT: u32 = 8;

/// Type names by bit (`1 << RTN_*`).
const TYPES: [&str; 12] = [
    "UNSPEC",
    "UNICAST",
    "LOCAL",
    "BROADCAST",
    "ANYCAST",
    "MULTICAST",
    "BLACKHOLE",
    "UNREACHABLE",
    "PROHIBIT",
    "THROW",
    "NAT",
    "XRESOLVE",
];

/// The addrtype match: the kernel struct's fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Addrtype {
    /// source type mask
    pub source: u16,
    /// destination type mask
    pub dest: u16,
    /// `XT_ADDRTYPE_*` flags
    pub flags: u32,
    /// revision (1, or 0 on an IPv4 kernel without 1: no interface
    /// limits)
    pub rev: u8,
}

fn parse_types(s: &str) -> Result<u16, Error> {
    let mut mask = 0u16;
    for t in s.split(',') {
        let bit = TYPES
            .iter()
            .position(|n| n.eq_ignore_ascii_case(t))
            .ok_or_else(|| param(format!("addrtype: bad type \"{t}\"")))?;
        mask |= 1 << bit;
    }
    Ok(mask)
}

fn types_text(mask: u16, out: &mut String) {
    let names: Vec<&str> = (0..TYPES.len())
        .filter(|b| mask & (1 << b) != 0)
        .map(|b| TYPES[b])
        .collect();
    out.push_str(&names.join(","));
}

impl MatchExt for Addrtype {
    const NAME: &'static str = "addrtype";
    const OPTIONS: &'static [OptSpec] = &[
        OptSpec::value("src-type"),
        OptSpec::value("dst-type"),
        OptSpec::flag("limit-iface-in").no_inv().excl(1 << 3),
        OptSpec::flag("limit-iface-out").no_inv().excl(1 << 2),
    ];

    fn build(hits: &[OptHit], cx: &ParseCx) -> Result<Self, Error> {
        let revs: &[u32] = match cx.family {
            Family::V4 => &[1, 0],
            Family::V6 => &[1],
        };
        let (rev, _) = super::probe::choose(cx.family, Self::NAME, false, revs);
        let mut a = Addrtype {
            source: 0,
            dest: 0,
            flags: 0,
            rev: rev as u8,
        };
        for h in hits {
            if rev == 0 && h.idx >= 2 {
                // revision 0's module has no interface limits
                return Err(param(format!(
                    "unknown option \"--{}\"",
                    Self::OPTIONS[h.idx].name
                )));
            }
            match h.idx {
                0 => {
                    a.source = parse_types(h.arg())?;
                    if h.inv {
                        a.flags |= INVERT_SOURCE;
                    }
                }
                1 => {
                    a.dest = parse_types(h.arg())?;
                    if h.inv {
                        a.flags |= INVERT_DEST;
                    }
                }
                2 => a.flags |= LIMIT_IFACE_IN,
                _ => a.flags |= LIMIT_IFACE_OUT,
            }
        }
        if !hits.iter().any(|h| h.idx < 2) {
            return Err(param("addrtype: you must specify --src-type or --dst-type"));
        }
        Ok(a)
    }

    fn save(&self, _cx: &FmtCx, out: &mut String) {
        if self.source != 0 {
            out.push_str(if self.flags & INVERT_SOURCE != 0 {
                " ! --src-type "
            } else {
                " --src-type "
            });
            types_text(self.source, out);
        }
        if self.dest != 0 {
            out.push_str(if self.flags & INVERT_DEST != 0 {
                " ! --dst-type "
            } else {
                " --dst-type "
            });
            types_text(self.dest, out);
        }
        if self.flags & LIMIT_IFACE_IN != 0 {
            out.push_str(" --limit-iface-in");
        }
        if self.flags & LIMIT_IFACE_OUT != 0 {
            out.push_str(" --limit-iface-out");
        }
    }

    fn print(&self, _cx: &FmtCx, out: &mut String) {
        out.push_str(" ADDRTYPE match");
        if self.source != 0 {
            out.push_str(" src-type ");
            if self.flags & INVERT_SOURCE != 0 {
                out.push('!');
            }
            types_text(self.source, out);
        }
        if self.dest != 0 {
            // (revision 0's print has no space after `dst-type`)
            out.push_str(if self.rev == 0 {
                " dst-type"
            } else {
                " dst-type "
            });
            if self.flags & INVERT_DEST != 0 {
                out.push('!');
            }
            types_text(self.dest, out);
        }
        if self.flags & LIMIT_IFACE_IN != 0 {
            out.push_str(" limit-in");
        }
        if self.flags & LIMIT_IFACE_OUT != 0 {
            out.push_str(" limit-out");
        }
    }

    fn encode(&self, _cx: &EncodeCx, out: &mut Vec<Expr>) {
        let info = if self.rev == 0 {
            AddrtypeInfo0 {
                source: self.source,
                dest: self.dest,
                invert_source: u32::from(self.flags & INVERT_SOURCE != 0),
                invert_dest: u32::from(self.flags & INVERT_DEST != 0),
            }
            .to_blob()
        } else {
            AddrtypeInfo1 {
                source: self.source,
                dest: self.dest,
                flags: self.flags,
            }
            .to_blob()
        };
        out.push(Expr::Match {
            name: Self::NAME.into(),
            rev: u32::from(self.rev),
            info,
        });
    }

    fn decode_blob(rev: u32, info: &[u8], _family: Family) -> Result<Self, DecodeError> {
        let a = match rev {
            0 => AddrtypeInfo0::from_blob(info).map(|i| Addrtype {
                source: i.source,
                dest: i.dest,
                flags: (u32::from(i.invert_source != 0) * INVERT_SOURCE)
                    | (u32::from(i.invert_dest != 0) * INVERT_DEST),
                rev: 0,
            }),
            1 => AddrtypeInfo1::from_blob(info)
                .filter(|i| i.flags & !0xf == 0)
                .map(|i| Addrtype {
                    source: i.source,
                    dest: i.dest,
                    flags: i.flags,
                    rev: 1,
                }),
            _ => None,
        };
        a.filter(|a| (a.source | a.dest) >> TYPES.len() == 0)
            .ok_or_else(|| DecodeError(format!("addrtype revision {rev} of {} bytes", info.len())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn build(v: &[(usize, bool, &str)]) -> Result<Addrtype, Error> {
        crate::ext::kit::build_match(Family::V4, v)
    }

    /// Text as iptables 1.8.13 prints it (captured).
    #[test]
    fn text_and_blob() {
        let cx = FmtCx {
            family: Family::V4,
            numeric: true,
            proto: None,
        };
        for (v, saved, listed) in [
            (
                &[(0, true, "LOCAL,UNICAST"), (1, true, "local")][..],
                " ! --src-type UNICAST,LOCAL ! --dst-type LOCAL",
                " ADDRTYPE match src-type !UNICAST,LOCAL dst-type !LOCAL",
            ),
            (
                &[(1, false, "LOCAL"), (3, false, "")][..],
                " --dst-type LOCAL --limit-iface-out",
                " ADDRTYPE match dst-type LOCAL limit-out",
            ),
        ] {
            let a = build(v).unwrap();
            assert_eq!(
                crate::ext::kit::texts(&a, &cx),
                (saved.to_string(), listed.to_string())
            );
            assert_eq!(crate::ext::kit::xt_round_trip(&a, Family::V6), (1, 8));
        }
        assert_eq!(
            build(&[(0, false, "LOCAL,")]).unwrap_err().to_string(),
            "addrtype: bad type \"\""
        );
        assert_eq!(
            build(&[(2, false, "")]).unwrap_err().to_string(),
            "addrtype: you must specify --src-type or --dst-type"
        );
    }
}

#[cfg(test)]
mod revision_tests {
    use super::*;
    use crate::ext::kit::{build_match, capped, match_save, texts, xt_match};
    use crate::ext::probe::with_probe;

    /// An IPv4 kernel without revision 1 gets `struct xt_addrtype_info {
    /// u16 source, dest; u32 invert_source, invert_dest; }`; IPv6 has no
    /// revision 0.
    #[test]
    fn revision_0_when_the_kernel_has_no_1() {
        let kernel = || capped(&[("addrtype", false, Some(0))]);
        let opts = [(0, false, "LOCAL"), (1, true, "BROADCAST,MULTICAST")];
        let m: Addrtype = with_probe(kernel(), || build_match(Family::V4, &opts)).unwrap();
        let (_, rev, b) = xt_match(&m, Family::V4);
        assert_eq!(rev, 0);
        let mut want = Vec::new();
        want.extend_from_slice(&(1u16 << 2).to_ne_bytes());
        want.extend_from_slice(&(1u16 << 3 | 1 << 5).to_ne_bytes());
        want.extend_from_slice(&0u32.to_ne_bytes());
        want.extend_from_slice(&1u32.to_ne_bytes());
        want.extend_from_slice(&[0; 4]);
        assert_eq!(b, want);
        let back = Addrtype::decode_blob(0, &b, Family::V4).unwrap();
        assert_eq!(back, m);
        let cx = FmtCx {
            family: Family::V4,
            numeric: true,
            proto: None,
        };
        assert_eq!(
            texts(&back, &cx),
            (
                " --src-type LOCAL ! --dst-type BROADCAST,MULTICAST".to_string(),
                " ADDRTYPE match src-type LOCAL dst-type!BROADCAST,MULTICAST".to_string()
            )
        );
        let e = with_probe(kernel(), || {
            build_match::<Addrtype>(Family::V4, &[(0, false, "LOCAL"), (2, false, "")])
        })
        .unwrap_err();
        assert_eq!(e.to_string(), "unknown option \"--limit-iface-in\"");
        let m: Addrtype = with_probe(kernel(), || build_match(Family::V6, &opts)).unwrap();
        assert_eq!(xt_match(&m, Family::V6).1, 1);
        assert_eq!(
            match_save(&m, Family::V6),
            " --src-type LOCAL ! --dst-type BROADCAST,MULTICAST"
        );
    }
}
