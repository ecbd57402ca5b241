//! `-m mh [!] --mh-type type[:type]` (`libip6t_mh.c`): xt match `mh`
//! revision 0, `struct ip6t_mh { u8 types[2]; u8 invflags; }`, IPv6 only;
//! `-p mh` loads it. Types by number or by (abbreviated, any case) name.

use super::header_kit::uint;
use super::{EncodeCx, FmtCx, MatchExt, OptHit, OptSpec, ParseCx};
use crate::error::{param, DecodeError, Error};
use crate::ir::Expr;
use crate::model::Family;

crate::xt_struct! {
    /// `struct ip6t_mh`
    pub struct MhInfo { pub type_min: u8, pub type_max: u8, pub invflags: u8 }
}
const _: () = assert!(MhInfo::SIZE == 3);

/// `IP6T_MH_INV_TYPE`
const INV_TYPE: u8 = 0x01;

/// `mh_names`: names and aliases, in iptables' order.
const NAMES: &[(&str, u8)] = &[
    ("binding-refresh-request", 0),
    ("brr", 0),
    ("home-test-init", 1),
    ("hoti", 1),
    ("careof-test-init", 2),
    ("coti", 2),
    ("home-test", 3),
    ("hot", 3),
    ("careof-test", 4),
    ("cot", 4),
    ("binding-update", 5),
    ("bu", 5),
    ("binding-acknowledgement", 6),
    ("ba", 6),
    ("binding-error", 7),
    ("be", 7),
];

/// `name_to_type`: the first name the text abbreviates (any case), unless
/// a later one is exactly it; else a number up to 255.
fn name_to_type(s: &str) -> Result<u8, Error> {
    let mut found: Option<u8> = None;
    for (name, ty) in NAMES {
        let prefix = name
            .get(..s.len())
            .is_some_and(|p| p.eq_ignore_ascii_case(s));
        if prefix && (found.is_none() || name.len() == s.len()) {
            found = Some(*ty);
        }
    }
    match found {
        Some(t) => Ok(t),
        None => uint(s, 0, 255)
            .map(|v| v as u8)
            .ok_or_else(|| param(format!("Invalid MH type `{s}'"))),
    }
}

/// The mh match.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mh {
    /// lowest type
    pub min: u8,
    /// highest type
    pub max: u8,
    /// `!`
    pub inv: bool,
}

impl Mh {
    fn type_text(t: u8, numeric: bool) -> String {
        match NAMES.iter().find(|(_, ty)| *ty == t) {
            Some((name, _)) if !numeric => name.to_string(),
            _ => t.to_string(),
        }
    }
}

impl MatchExt for Mh {
    const NAME: &'static str = "mh";
    const OPTIONS: &'static [OptSpec] = &[OptSpec::value("mh-type")];
    const PROTO: Option<u8> = Some(135);
    const FAMILIES: &'static [Family] = &[Family::V6];

    fn build(hits: &[OptHit], _cx: &ParseCx) -> Result<Self, Error> {
        let mut m = Mh {
            min: 0,
            max: 0xff,
            inv: false,
        };
        for h in hits {
            let a = h.arg();
            (m.min, m.max) = match a.split_once(':') {
                None => {
                    let t = name_to_type(a)?;
                    (t, t)
                }
                Some((lo, hi)) => {
                    let lo = if lo.is_empty() { 0 } else { name_to_type(lo)? };
                    let hi = if hi.is_empty() {
                        0xff
                    } else {
                        name_to_type(hi)?
                    };
                    if lo > hi {
                        return Err(param("Invalid MH type range (min > max)"));
                    }
                    (lo, hi)
                }
            };
            m.inv = h.inv;
        }
        Ok(m)
    }

    fn save(&self, _cx: &FmtCx, out: &mut String) {
        if self.min == 0 && self.max == 0xff && !self.inv {
            return;
        }
        if self.inv {
            out.push_str(" !");
        }
        if self.min == self.max {
            out.push_str(&format!(" --mh-type {}", self.min));
        } else {
            out.push_str(&format!(" --mh-type {}:{}", self.min, self.max));
        }
    }

    fn print(&self, cx: &FmtCx, out: &mut String) {
        out.push_str(" mh");
        if self.min == 0 && self.max == 0xff && !self.inv {
            return;
        }
        out.push_str(if self.inv { " !" } else { " " });
        out.push_str(&Self::type_text(self.min, cx.numeric));
        if self.min != self.max {
            out.push(':');
            out.push_str(&Self::type_text(self.max, cx.numeric));
        }
    }

    fn encode(&self, _cx: &EncodeCx, out: &mut Vec<Expr>) {
        out.push(Expr::Match {
            name: Self::NAME.into(),
            rev: 0,
            info: MhInfo {
                type_min: self.min,
                type_max: self.max,
                invflags: if self.inv { INV_TYPE } else { 0 },
            }
            .to_blob(),
        });
    }

    fn decode_blob(rev: u32, info: &[u8], _family: Family) -> Result<Self, DecodeError> {
        match (rev, MhInfo::from_blob(info)) {
            (0, Some(i)) if i.invflags & !INV_TYPE == 0 => Ok(Mh {
                min: i.type_min,
                max: i.type_max,
                inv: i.invflags != 0,
            }),
            _ => Err(DecodeError(format!(
                "mh revision {rev} of {} bytes",
                info.len()
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ext::kit::{build_match, texts, xt_round_trip};

    /// Text and messages as ip6tables 1.8.13 prints them (captured).
    #[test]
    fn like_1_8_13() {
        let cx = FmtCx {
            family: Family::V6,
            numeric: false,
            proto: Some(135),
        };
        for (inv, arg, saved, listed) in [
            (false, ":", "", " mh"),
            (
                true,
                ":",
                " ! --mh-type 0:255",
                " mh !binding-refresh-request:255",
            ),
            (false, "bu", " --mh-type 5", " mh binding-update"),
            (
                false,
                "binding-update:be",
                " --mh-type 5:7",
                " mh binding-update:binding-error",
            ),
            (false, "b", " --mh-type 0", " mh binding-refresh-request"),
            (false, "", " --mh-type 0", " mh binding-refresh-request"),
            (false, "care", " --mh-type 2", " mh careof-test-init"),
            (false, "BA", " --mh-type 6", " mh binding-acknowledgement"),
            (false, "0x10", " --mh-type 16", " mh 16"),
        ] {
            let m: Mh = build_match(Family::V6, &[(0, inv, arg)]).unwrap();
            assert_eq!(texts(&m, &cx), (saved.to_string(), listed.to_string()));
            assert_eq!(xt_round_trip(&m, Family::V6), (0, 8));
        }
        let msg = |a: &str| {
            build_match::<Mh>(Family::V6, &[(0, false, a)])
                .unwrap_err()
                .to_string()
        };
        assert_eq!(msg("4:3"), "Invalid MH type range (min > max)");
        assert_eq!(msg("256"), "Invalid MH type `256'");
        assert_eq!(msg("1:2:3"), "Invalid MH type `2:3'");
    }
}
