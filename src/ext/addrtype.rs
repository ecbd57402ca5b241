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

    fn build(hits: &[OptHit], _cx: &ParseCx) -> Result<Self, Error> {
        let mut a = Addrtype {
            source: 0,
            dest: 0,
            flags: 0,
        };
        for h in hits {
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
            out.push_str(" dst-type ");
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
        out.push(Expr::Match {
            name: Self::NAME.into(),
            rev: 1,
            info: AddrtypeInfo1 {
                source: self.source,
                dest: self.dest,
                flags: self.flags,
            }
            .to_blob(),
        });
    }

    fn decode_blob(rev: u32, info: &[u8], _family: Family) -> Result<Self, DecodeError> {
        match (rev, AddrtypeInfo1::from_blob(info)) {
            (1, Some(i)) if i.flags & !0xf == 0 && (i.source | i.dest) >> TYPES.len() == 0 => {
                Ok(Addrtype {
                    source: i.source,
                    dest: i.dest,
                    flags: i.flags,
                })
            }
            _ => Err(DecodeError(format!(
                "addrtype revision {rev} of {} bytes",
                info.len()
            ))),
        }
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
