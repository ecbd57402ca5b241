//! `-m dscp [!] --dscp value | [!] --dscp-class class` (`libxt_dscp.c`)
//! and `-j DSCP --set-dscp value | --set-dscp-class class`
//! (`libxt_DSCP.c`), both families: xt match `dscp` revision 0, `struct
//! xt_dscp_info { u8 dscp, invert; }`, and xt target `DSCP` revision 0,
//! `struct xt_DSCP_info { u8 dscp; }`. A class is saved as its value.

use super::header_kit::uint_opt;
use super::{EncodeCx, FmtCx, MatchExt, OptHit, OptSpec, ParseCx, TargetExtT, ValueKind};
use crate::error::{param, DecodeError, Error};
use crate::ir::Expr;
use crate::model::Family;

/// `XTTYPE_UINT8` up to `XT_DSCP_MAX`
const DSCP: ValueKind = ValueKind::UInt(0, DSCP_MAX);

crate::xt_struct! {
    /// `struct xt_dscp_info`
    pub struct DscpInfo { pub dscp: u8, pub invert: u8 }
}
const _: () = assert!(DscpInfo::SIZE == 2);

crate::xt_struct! {
    /// `struct xt_DSCP_info`
    pub struct DscpTgInfo { pub dscp: u8 }
}
const _: () = assert!(DscpTgInfo::SIZE == 1);

/// `XT_DSCP_MAX`
const DSCP_MAX: u64 = 0x3f;

/// The DiffServ classes of `dscp_helper.c`, in its order.
const CLASSES: &[(&str, u8)] = &[
    ("CS0", 0x00),
    ("CS1", 0x08),
    ("CS2", 0x10),
    ("CS3", 0x18),
    ("CS4", 0x20),
    ("CS5", 0x28),
    ("CS6", 0x30),
    ("CS7", 0x38),
    ("BE", 0x00),
    ("AF11", 0x0a),
    ("AF12", 0x0c),
    ("AF13", 0x0e),
    ("AF21", 0x12),
    ("AF22", 0x14),
    ("AF23", 0x16),
    ("AF31", 0x1a),
    ("AF32", 0x1c),
    ("AF33", 0x1e),
    ("AF41", 0x22),
    ("AF42", 0x24),
    ("AF43", 0x26),
    ("EF", 0x2e),
];

/// `class_to_dscp`: the first class the name starts with, any case
/// (`strncasecmp` over the class's length, so `AF411` is AF41).
fn class_to_dscp(name: &str) -> Result<u8, Error> {
    CLASSES
        .iter()
        .find(|(c, _)| {
            name.get(..c.len())
                .is_some_and(|p| p.eq_ignore_ascii_case(c))
        })
        .map(|(_, v)| *v)
        .ok_or_else(|| param(format!("Invalid DSCP value `{name}'")))
}

/// The value of a `--dscp`/`--set-dscp` (bit 0) or class option (bit 1).
fn value(ext: &str, options: &[OptSpec], h: &OptHit) -> Result<u8, Error> {
    match h.idx {
        0 => uint_opt(ext, options[0].name, h.arg(), 0, DSCP_MAX).map(|v| v as u8),
        _ => class_to_dscp(h.arg()),
    }
}

/// The dscp match.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Dscp {
    /// codepoint
    pub dscp: u8,
    /// `!`
    pub inv: bool,
}

impl MatchExt for Dscp {
    const NAME: &'static str = "dscp";
    const OPTIONS: &'static [OptSpec] = &[
        OptSpec::value("dscp").kind(DSCP).excl(0b10),
        OptSpec::value("dscp-class").excl(0b01),
    ];

    fn build(hits: &[OptHit], _cx: &ParseCx) -> Result<Self, Error> {
        let mut d = Dscp {
            dscp: 0,
            inv: false,
        };
        for h in hits {
            d.dscp = value("dscp", Self::OPTIONS, h)?;
            d.inv |= h.inv;
        }
        if hits.is_empty() {
            return Err(param("DSCP match: Parameter --dscp is required"));
        }
        Ok(d)
    }

    fn save(&self, _cx: &FmtCx, out: &mut String) {
        let bang = if self.inv { " !" } else { "" };
        out.push_str(&format!("{bang} --dscp {:#04x}", self.dscp));
    }

    fn print(&self, _cx: &FmtCx, out: &mut String) {
        let bang = if self.inv { "!" } else { "" };
        out.push_str(&format!(" DSCP match {bang}{:#04x}", self.dscp));
    }

    fn encode(&self, _cx: &EncodeCx, out: &mut Vec<Expr>) {
        out.push(Expr::Match {
            name: Self::NAME.into(),
            rev: 0,
            info: DscpInfo {
                dscp: self.dscp,
                invert: self.inv.into(),
            }
            .to_blob(),
        });
    }

    fn decode_blob(rev: u32, info: &[u8], _family: Family) -> Result<Self, DecodeError> {
        match (rev, DscpInfo::from_blob(info)) {
            (0, Some(i)) => Ok(Dscp {
                dscp: i.dscp,
                inv: i.invert != 0,
            }),
            _ => Err(DecodeError(format!(
                "dscp match revision {rev} of {} bytes",
                info.len()
            ))),
        }
    }
}

/// The DSCP target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DscpTarget {
    /// codepoint set
    pub dscp: u8,
}

impl TargetExtT for DscpTarget {
    const NAME: &'static str = "DSCP";
    const OPTIONS: &'static [OptSpec] = &[
        OptSpec::value("set-dscp").no_inv().kind(DSCP).excl(0b10),
        OptSpec::value("set-dscp-class").no_inv().excl(0b01),
    ];

    fn build(hits: &[OptHit], _cx: &ParseCx) -> Result<Self, Error> {
        let mut dscp = 0;
        for h in hits {
            dscp = value("DSCP", Self::OPTIONS, h)?;
        }
        if hits.is_empty() {
            return Err(param("DSCP target: Parameter --set-dscp is required"));
        }
        Ok(DscpTarget { dscp })
    }

    fn save(&self, _cx: &FmtCx, out: &mut String) {
        out.push_str(&format!(" --set-dscp {:#04x}", self.dscp));
    }

    fn print(&self, _cx: &FmtCx, out: &mut String) {
        out.push_str(&format!(" DSCP set {:#04x}", self.dscp));
    }

    fn encode(&self, _cx: &EncodeCx, out: &mut Vec<Expr>) {
        out.push(Expr::Target {
            name: Self::NAME.into(),
            rev: 0,
            info: DscpTgInfo { dscp: self.dscp }.to_blob(),
        });
    }

    fn decode_blob(rev: u32, info: &[u8], _family: Family) -> Result<Self, DecodeError> {
        match (rev, DscpTgInfo::from_blob(info)) {
            (0, Some(i)) => Ok(DscpTarget { dscp: i.dscp }),
            _ => Err(DecodeError(format!(
                "DSCP target revision {rev} of {} bytes",
                info.len()
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ext::kit::{build_match, build_target, texts, xt_round_trip};

    /// Text and messages as iptables 1.8.13 prints them (captured).
    #[test]
    fn like_1_8_13() {
        let cx = FmtCx {
            family: Family::V6,
            numeric: false,
            proto: None,
        };
        for (idx, inv, arg, saved, listed) in [
            (0, false, "0x3f", " --dscp 0x3f", " DSCP match 0x3f"),
            (0, true, "10", " ! --dscp 0x0a", " DSCP match !0x0a"),
            (1, true, "af41", " ! --dscp 0x22", " DSCP match !0x22"),
            (1, false, "AF411", " --dscp 0x22", " DSCP match 0x22"),
            (1, false, "BE", " --dscp 0x00", " DSCP match 0x00"),
        ] {
            let d: Dscp = build_match(Family::V4, &[(idx, inv, arg)]).unwrap();
            assert_eq!(texts(&d, &cx), (saved.to_string(), listed.to_string()));
            assert_eq!(xt_round_trip(&d, Family::V4), (0, 8));
        }
        let t: DscpTarget = build_target(Family::V4, &[(1, false, "ef")]).unwrap();
        let (mut s, mut l) = (String::new(), String::new());
        t.save(&cx, &mut s);
        t.print(&cx, &mut l);
        assert_eq!(
            (s.as_str(), l.as_str()),
            (" --set-dscp 0x2e", " DSCP set 0x2e")
        );
        let mut e = Vec::new();
        t.encode(
            &EncodeCx {
                family: Family::V4,
                proto: None,
            },
            &mut e,
        );
        let [Expr::Target { rev: 0, info, .. }] = e.as_slice() else {
            panic!("{e:?}")
        };
        assert_eq!(info, &[0x2e, 0, 0, 0, 0, 0, 0, 0]);
        assert_eq!(DscpTarget::decode_blob(0, info, Family::V4).unwrap(), t);
        let m =
            |v: &[(usize, bool, &str)]| build_match::<Dscp>(Family::V4, v).unwrap_err().to_string();
        assert_eq!(m(&[]), "DSCP match: Parameter --dscp is required");
        assert_eq!(
            m(&[(0, false, "0x40")]),
            "dscp: bad value for option \"--dscp\", or out of range (0-63).\n"
        );
        assert_eq!(m(&[(1, false, "CS9")]), "Invalid DSCP value `CS9'");
        assert_eq!(
            build_target::<DscpTarget>(Family::V4, &[(0, false, "-1")])
                .unwrap_err()
                .to_string(),
            "DSCP: bad value for option \"--set-dscp\", or out of range (0-63).\n"
        );
    }
}
