//! `-m icmp` / `-p icmp` (`libipt_icmp`, `struct ipt_icmp`), and the type
//! name machinery shared with `icmp6`. iptables-nft 1.8.9 always writes the
//! xt match for it.

use super::{EncodeCx, FmtCx, MatchExt, OptHit, OptSpec, ParseCx};
use crate::error::{param, DecodeError, Error};
use crate::ir::Expr;
use crate::model::Family;

/// A named ICMP type with its code range.
pub(crate) struct IcmpName {
    pub name: &'static str,
    pub ty: u8,
    pub code: (u8, u8),
}

const fn n(name: &'static str, ty: u8, lo: u8, hi: u8) -> IcmpName {
    IcmpName {
        name,
        ty,
        code: (lo, hi),
    }
}

/// ICMP names, in the order iptables lists them (first match is printed).
const NAMES: &[IcmpName] = &[
    n("any", 0xff, 0, 0xff),
    n("echo-reply", 0, 0, 0xff),
    n("destination-unreachable", 3, 0, 0xff),
    n("network-unreachable", 3, 0, 0),
    n("host-unreachable", 3, 1, 1),
    n("protocol-unreachable", 3, 2, 2),
    n("port-unreachable", 3, 3, 3),
    n("fragmentation-needed", 3, 4, 4),
    n("source-route-failed", 3, 5, 5),
    n("network-unknown", 3, 6, 6),
    n("host-unknown", 3, 7, 7),
    n("network-prohibited", 3, 9, 9),
    n("host-prohibited", 3, 10, 10),
    n("TOS-network-unreachable", 3, 11, 11),
    n("TOS-host-unreachable", 3, 12, 12),
    n("communication-prohibited", 3, 13, 13),
    n("host-precedence-violation", 3, 14, 14),
    n("precedence-cutoff", 3, 15, 15),
    n("source-quench", 4, 0, 0xff),
    n("redirect", 5, 0, 0xff),
    n("network-redirect", 5, 0, 0),
    n("host-redirect", 5, 1, 1),
    n("TOS-network-redirect", 5, 2, 2),
    n("TOS-host-redirect", 5, 3, 3),
    n("echo-request", 8, 0, 0xff),
    n("router-advertisement", 9, 0, 0xff),
    n("router-solicitation", 10, 0, 0xff),
    n("time-exceeded", 11, 0, 0xff),
    n("ttl-zero-during-transit", 11, 0, 0),
    n("ttl-zero-during-reassembly", 11, 1, 1),
    n("parameter-problem", 12, 0, 0xff),
    n("ip-header-bad", 12, 0, 0),
    n("required-option-missing", 12, 1, 1),
    n("timestamp-request", 13, 0, 0xff),
    n("timestamp-reply", 14, 0, 0xff),
    n("address-mask-request", 17, 0, 0xff),
    n("address-mask-reply", 18, 0, 0xff),
    // aliases, after the canonical names so listings print the latter
    n("pong", 0, 0, 0xff),
    n("ping", 8, 0, 0xff),
    n("ttl-exceeded", 11, 0, 0xff),
];

/// Parse `NAME`, `TYPE` or `TYPE/CODE` against a name table. A unique
/// prefix of a name is accepted, as iptables does.
pub(crate) fn parse_type(s: &str, names: &[IcmpName], what: &str) -> Result<(u8, (u8, u8)), Error> {
    let exact = names.iter().find(|x| x.name == s);
    let cands: Vec<&IcmpName> = names.iter().filter(|x| x.name.starts_with(s)).collect();
    let found = exact.or(if cands.len() == 1 {
        Some(cands[0])
    } else {
        None
    });
    if let Some(x) = found {
        return Ok((x.ty, x.code));
    }
    if cands.len() > 1 && !s.is_empty() && !s.as_bytes()[0].is_ascii_digit() {
        return Err(param(format!(
            "Ambiguous {what} type `{s}': `{}' or `{}'?",
            cands[0].name, cands[1].name
        )));
    }
    let bad = || param(format!("Unknown {what} type `{s}'"));
    let (t, c) = match s.split_once('/') {
        Some((t, c)) => (t, Some(c)),
        None => (s, None),
    };
    let ty = t.parse::<u8>().map_err(|_| bad())?;
    let code = match c {
        Some(c) => {
            let bad = || param(format!("Unknown {what} code `{s}'"));
            let num = |x: &str| x.parse::<u8>().map_err(|_| bad());
            match c.split_once(':') {
                Some((lo, hi)) => {
                    let (lo, hi) = (num(lo)?, num(hi)?);
                    if lo > hi {
                        return Err(bad());
                    }
                    (lo, hi)
                }
                None => {
                    let c = num(c)?;
                    (c, c)
                }
            }
        }
        None => (0, 0xff),
    };
    Ok((ty, code))
}

/// `-L` text of a type: its name unless numeric, else `type T [code C]`.
pub(crate) fn print_type(
    out: &mut String,
    names: &[IcmpName],
    ty: u8,
    code: (u8, u8),
    inv: bool,
    numeric: bool,
) {
    if !numeric {
        if let Some(x) = names.iter().find(|x| x.ty == ty && x.code == code) {
            out.push(' ');
            if inv {
                out.push('!');
            }
            out.push_str(x.name);
            return;
        }
    }
    if inv {
        out.push_str(" !");
    }
    out.push_str(&format!("type {ty}"));
    if code.0 == code.1 {
        out.push_str(&format!(" code {}", code.0));
    } else if code != (0, 0xff) {
        out.push_str(&format!(" codes {}-{}", code.0, code.1));
    }
}

/// The layout shared by `ipt_icmp` and `ip6t_icmp`: type, code range,
/// inversion flag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TypeCode {
    pub ty: u8,
    pub code: (u8, u8),
    pub inv: bool,
}

/// The type and code of an icmp or icmp6 match from its option (`proto`:
/// the `-p` a rule needs for it, `need`: the message without it). With no
/// type the final check, which finds the mandatory option missing, speaks
/// first: this gives it any type meanwhile.
pub(crate) fn build_type(
    hits: &[OptHit],
    cx: &ParseCx,
    proto: u8,
    need: &str,
    names: &[IcmpName],
    what: &str,
) -> Result<TypeCode, Error> {
    let Some(h) = hits.last() else {
        return Ok(TypeCode {
            ty: 0xff,
            code: (0, 0xff),
            inv: false,
        });
    };
    if cx.rule && !matches!(cx.proto, Some(p) if p.val == proto && !p.inv) {
        return Err(param(need));
    }
    let (ty, code) = parse_type(h.arg(), names, what)?;
    Ok(TypeCode {
        ty,
        code,
        inv: h.inv,
    })
}

impl TypeCode {
    pub(crate) fn to_blob(&self) -> Vec<u8> {
        super::pad_blob(vec![self.ty, self.code.0, self.code.1, u8::from(self.inv)])
    }
    pub(crate) fn from_blob(name: &str, info: &[u8]) -> Result<Self, DecodeError> {
        match info {
            [ty, lo, hi, flags, ..] => Ok(TypeCode {
                ty: *ty,
                code: (*lo, *hi),
                inv: flags & 1 != 0,
            }),
            _ => Err(DecodeError(format!("{name}: info too short"))),
        }
    }
    /// `--icmp-type` save value, `/code` when the range is not all codes.
    pub(crate) fn save_value(&self) -> String {
        if self.code == (0, 0xff) {
            self.ty.to_string()
        } else if self.code.0 == self.code.1 {
            format!("{}/{}", self.ty, self.code.0)
        } else {
            format!("{}/{}:{}", self.ty, self.code.0, self.code.1)
        }
    }
}

/// `struct ipt_icmp`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Icmp(pub(crate) TypeCode);

impl MatchExt for Icmp {
    const NAME: &'static str = "icmp";
    const PROTO: Option<u8> = Some(1);
    const FAMILIES: &'static [Family] = &[Family::V4];
    // (every release refuses `-p icmp -m icmp` without a type; `any` is
    // the type that matches all)
    const OPTIONS: &'static [OptSpec] = &[OptSpec::value("icmp-type").mandatory()];

    fn build(hits: &[OptHit], cx: &ParseCx) -> Result<Self, Error> {
        build_type(hits, cx, 1, "icmp match requires '-p icmp'", NAMES, "ICMP").map(Icmp)
    }

    fn save(&self, _cx: &FmtCx, out: &mut String) {
        if self.0.inv {
            out.push_str(" !");
        }
        // 0xff with every code is `any`; upstream after 1.8.9 prints an
        // explicit `255/255` as such rather than as `any`.
        if self.0.ty == 0xff && self.0.code == (0, 0xff) {
            out.push_str(" --icmp-type any");
        } else {
            out.push_str(" --icmp-type ");
            out.push_str(&self.0.save_value());
        }
    }

    fn print(&self, cx: &FmtCx, out: &mut String) {
        out.push_str(" icmp");
        print_type(out, NAMES, self.0.ty, self.0.code, self.0.inv, cx.numeric);
    }

    fn encode(&self, _cx: &EncodeCx, out: &mut Vec<Expr>) {
        out.push(Expr::Match {
            name: "icmp".into(),
            rev: 0,
            info: self.0.to_blob(),
        });
    }

    fn decode_blob(_rev: u32, info: &[u8], _family: Family) -> Result<Self, DecodeError> {
        TypeCode::from_blob("icmp", info).map(Icmp)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_numbers() {
        assert_eq!(
            parse_type("echo-request", NAMES, "ICMP").unwrap(),
            (8, (0, 255))
        );
        assert_eq!(parse_type("3/1", NAMES, "ICMP").unwrap(), (3, (1, 1)));
        assert_eq!(parse_type("13", NAMES, "ICMP").unwrap(), (13, (0, 255)));
        assert!(parse_type("foo", NAMES, "ICMP").is_err());
        assert!(parse_type("3/x", NAMES, "ICMP").is_err());
        assert_eq!(
            parse_type("255/0:255", NAMES, "ICMP").unwrap(),
            (255, (0, 255))
        );
        assert!(parse_type("3/5:4", NAMES, "ICMP").is_err());
        let mut s = String::new();
        print_type(&mut s, NAMES, 3, (1, 1), false, false);
        assert_eq!(s, " host-unreachable");
        s.clear();
        print_type(&mut s, NAMES, 3, (200, 200), false, false);
        assert_eq!(s, "type 3 code 200");
    }

    #[test]
    fn blob_round_trip() {
        let i = Icmp(TypeCode {
            ty: 3,
            code: (1, 1),
            inv: true,
        });
        let mut e = Vec::new();
        i.encode(
            &EncodeCx {
                family: Family::V4,
                proto: Some((1, false)),
            },
            &mut e,
        );
        let Expr::Match { info, .. } = &e[0] else {
            panic!()
        };
        assert_eq!(info.len(), 8);
        assert_eq!(Icmp::decode_blob(0, info, Family::V4).unwrap(), i);
    }
}
