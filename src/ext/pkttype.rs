//! `-m pkttype [!] --pkt-type unicast|broadcast|multicast|otherhost`
//! (`libxt_pkttype.c`; also `host`, `bcast`, `mcast`, any case): xt match
//! `pkttype` revision 0, `struct xt_pkttype_info { int pkttype, invert;
//! }`, both families. Saved and listed by the type's first name.

use super::{EncodeCx, FmtCx, MatchExt, OptHit, OptSpec, ParseCx};
use crate::error::{param, DecodeError, Error};
use crate::ir::Expr;
use crate::model::Family;

crate::xt_struct! {
    /// `struct xt_pkttype_info`
    pub struct PkttypeInfo { pub pkttype: i32, pub invert: i32 }
}
const _: () = assert!(PkttypeInfo::SIZE == 8);

/// `supported_types`: names and `PACKET_*` values; the first name of a
/// value is the one printed.
const TYPES: &[(&str, i32)] = &[
    ("unicast", 0),
    ("broadcast", 1),
    ("multicast", 2),
    ("otherhost", 3),
    ("bcast", 1),
    ("mcast", 2),
    ("host", 0),
];

/// The pkttype match.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pkttype {
    /// `PACKET_*`
    pub pkttype: i32,
    /// `!`
    pub inv: bool,
}

impl Pkttype {
    /// The type's name, or its number when it has none (as iptables).
    fn type_text(&self) -> String {
        TYPES
            .iter()
            .find(|(_, v)| *v == self.pkttype)
            .map(|(n, _)| n.to_string())
            .unwrap_or_else(|| self.pkttype.to_string())
    }
}

impl MatchExt for Pkttype {
    const NAME: &'static str = "pkttype";
    const OPTIONS: &'static [OptSpec] = &[OptSpec::value("pkt-type").mandatory()];

    fn build(hits: &[OptHit], _cx: &ParseCx) -> Result<Self, Error> {
        let mut p = Pkttype {
            pkttype: 0,
            inv: false,
        };
        if let Some(h) = hits.first() {
            let a = h.arg();
            p.pkttype = TYPES
                .iter()
                .find(|(n, _)| n.eq_ignore_ascii_case(a))
                .map(|(_, v)| *v)
                .ok_or_else(|| param(format!("Bad packet type '{a}'")))?;
            p.inv = h.inv;
        }
        Ok(p)
    }

    fn save(&self, _cx: &FmtCx, out: &mut String) {
        out.push_str(if self.inv {
            " ! --pkt-type "
        } else {
            " --pkt-type "
        });
        out.push_str(&self.type_text());
    }

    fn print(&self, _cx: &FmtCx, out: &mut String) {
        out.push_str(if self.inv {
            " PKTTYPE != "
        } else {
            " PKTTYPE = "
        });
        out.push_str(&self.type_text());
    }

    fn encode(&self, _cx: &EncodeCx, out: &mut Vec<Expr>) {
        out.push(Expr::Match {
            name: Self::NAME.into(),
            rev: 0,
            info: PkttypeInfo {
                pkttype: self.pkttype,
                invert: self.inv.into(),
            }
            .to_blob(),
        });
    }

    fn decode_blob(rev: u32, info: &[u8], _family: Family) -> Result<Self, DecodeError> {
        match (rev, PkttypeInfo::from_blob(info)) {
            (0, Some(i)) => Ok(Pkttype {
                pkttype: i.pkttype,
                inv: i.invert != 0,
            }),
            _ => Err(DecodeError(format!(
                "pkttype match revision {rev} of {} bytes",
                info.len()
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ext::kit::{build_match, texts, xt_round_trip};

    /// Text and messages as iptables 1.8.13 prints them (captured).
    #[test]
    fn like_1_8_13() {
        let cx = FmtCx {
            family: Family::V4,
            numeric: true,
            proto: None,
        };
        for (inv, arg, saved, listed) in [
            (
                false,
                "unicast",
                " --pkt-type unicast",
                " PKTTYPE = unicast",
            ),
            (true, "host", " ! --pkt-type unicast", " PKTTYPE != unicast"),
            (
                false,
                "BCAST",
                " --pkt-type broadcast",
                " PKTTYPE = broadcast",
            ),
            (
                false,
                "otherhost",
                " --pkt-type otherhost",
                " PKTTYPE = otherhost",
            ),
        ] {
            let p: Pkttype = build_match(Family::V4, &[(0, inv, arg)]).unwrap();
            assert_eq!(texts(&p, &cx), (saved.to_string(), listed.to_string()));
            assert_eq!(xt_round_trip(&p, Family::V6), (0, 8));
        }
        assert_eq!(
            build_match::<Pkttype>(Family::V4, &[(0, false, "wrong")])
                .unwrap_err()
                .to_string(),
            "Bad packet type 'wrong'"
        );
        let odd = Pkttype {
            pkttype: 7,
            inv: false,
        };
        assert_eq!(texts(&odd, &cx).0, " --pkt-type 7");
    }
}
