//! `-m ipv6header [!] --header NAMES [--soft]` (`libip6t_ipv6header.c`):
//! xt match `ipv6header` revision 0, `struct ip6t_ipv6header_info { u8
//! matchflags; u8 invflags; u8 modeflag; }`, IPv6 only. Header names come
//! from `/etc/protocols` first, then the extension's own table.

use super::{EncodeCx, FmtCx, MatchExt, OptHit, OptSpec, ParseCx};
use crate::error::{param, DecodeError, Error};
use crate::ir::Expr;
use crate::model::{netdb, Family};

crate::xt_struct! {
    /// `struct ip6t_ipv6header_info`
    pub struct Ipv6headerInfo { pub matchflags: u8, pub invflags: u8, pub modeflag: u8 }
}
const _: () = assert!(Ipv6headerInfo::SIZE == 3);

/// The extension's `chain_protos`: names when `/etc/protocols` has none.
const PROTOS: &[(&str, u8)] = &[
    ("hop-by-hop", 0),
    ("protocol", 255),
    ("hop", 0),
    ("dst", 60),
    ("route", 43),
    ("frag", 44),
    ("auth", 51),
    ("esp", 50),
    ("none", 59),
    ("prot", 255),
    ("0", 0),
    ("60", 60),
    ("43", 43),
    ("44", 44),
    ("51", 51),
    ("50", 50),
    ("59", 59),
    ("255", 255),
];

/// `chain_flags`: each header's bit, in print order.
const FLAGS: &[(u8, u8)] = &[
    (0, 0x80),
    (60, 0x40),
    (43, 0x20),
    (44, 0x10),
    (51, 0x08),
    (50, 0x04),
    (59, 0x02),
    (255, 0x01),
];

/// `parse_header`: comma separated names (empty items skipped, as
/// `strtok` does), each a header of [`FLAGS`].
fn parse_header(s: &str) -> Result<u8, Error> {
    let mut ret = 0;
    for name in s.split(',').filter(|n| !n.is_empty()) {
        let proto = match netdb::etc_proto_by_name(name) {
            Some(p) => p,
            None => PROTOS
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, p)| *p)
                .ok_or_else(|| param(format!("unknown header `{name}' specified")))?,
        };
        let flag = FLAGS
            .iter()
            .find(|(p, _)| *p == proto)
            .map(|(_, f)| *f)
            .ok_or_else(|| param(format!("unknown header `{proto}' specified")))?;
        ret |= flag;
    }
    Ok(ret)
}

/// `print_header`: the names of the set bits, or `NONE`.
fn header_text(flags: u8) -> String {
    let names: Vec<String> = FLAGS
        .iter()
        .filter(|(_, f)| flags & f != 0)
        .map(|(p, _)| {
            let etc = if *p != 0 {
                netdb::etc_proto_name(*p)
            } else {
                None
            };
            etc.or_else(|| {
                PROTOS
                    .iter()
                    .find(|(_, n)| n == p)
                    .map(|(s, _)| s.to_string())
            })
            .unwrap_or_else(|| "(null)".into())
        })
        .collect();
    if names.is_empty() {
        "NONE".into()
    } else {
        names.join(",")
    }
}

/// The ipv6header match: the kernel struct as iptables fills it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ipv6header(pub Ipv6headerInfo);

impl MatchExt for Ipv6header {
    const NAME: &'static str = "ipv6header";
    const OPTIONS: &'static [OptSpec] = &[
        OptSpec::value("header").mandatory(),
        OptSpec::flag("soft").no_inv(),
    ];
    const FAMILIES: &'static [Family] = &[Family::V6];

    fn build(hits: &[OptHit], _cx: &ParseCx) -> Result<Self, Error> {
        let mut i = Ipv6headerInfo {
            matchflags: 0,
            invflags: 0,
            modeflag: 0,
        };
        for h in hits {
            if h.idx == 0 {
                i.matchflags = parse_header(h.arg())?;
                if i.matchflags == 0 {
                    return Err(param("ip6t_ipv6header: cannot parse header names"));
                }
                if h.inv {
                    i.invflags = 0xff;
                }
            } else {
                i.modeflag = 0xff;
            }
        }
        Ok(Ipv6header(i))
    }

    fn save(&self, _cx: &FmtCx, out: &mut String) {
        let i = &self.0;
        out.push_str(if i.invflags != 0 {
            " ! --header "
        } else {
            " --header "
        });
        out.push_str(&header_text(i.matchflags));
        if i.modeflag != 0 {
            out.push_str(" --soft");
        }
    }

    fn print(&self, cx: &FmtCx, out: &mut String) {
        let i = &self.0;
        out.push_str(" ipv6header");
        if i.matchflags != 0 || i.invflags != 0 {
            out.push_str(if i.invflags != 0 {
                " flags:!"
            } else {
                " flags:"
            });
            if cx.numeric {
                out.push_str(&format!("0x{:02X}", i.matchflags));
            } else {
                out.push_str(&header_text(i.matchflags));
            }
        }
        if i.modeflag != 0 {
            out.push_str(" soft");
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
        match (rev, Ipv6headerInfo::from_blob(info)) {
            (0, Some(i)) => Ok(Ipv6header(i)),
            _ => Err(DecodeError(format!(
                "ipv6header revision {rev} of {} bytes",
                info.len()
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ext::kit::{build_match, xt_round_trip};

    /// Messages as ip6tables 1.8.13 prints them (captured), and the
    /// numeric list text.
    #[test]
    fn like_1_8_13() {
        let cx = FmtCx {
            family: Family::V6,
            numeric: true,
            proto: None,
        };
        let m: Ipv6header =
            build_match(Family::V6, &[(0, true, "0,60,43,44,51,50,59,255")]).unwrap();
        let mut listed = String::new();
        m.print(&cx, &mut listed);
        assert_eq!(listed, " ipv6header flags:!0xFF");
        assert_eq!(xt_round_trip(&m, Family::V6), (0, 8));
        let msg = |a: &str| {
            build_match::<Ipv6header>(Family::V6, &[(0, false, a)])
                .unwrap_err()
                .to_string()
        };
        assert_eq!(msg("foo"), "unknown header `foo' specified");
        assert_eq!(msg(","), "ip6t_ipv6header: cannot parse header names");
        assert_eq!(msg("HOP"), "unknown header `HOP' specified");
    }
}
