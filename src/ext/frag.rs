//! `-m frag` (`libip6t_frag.c`): xt match `frag` revision 0, `struct
//! ip6t_frag { u32 ids[2]; u32 hdrlen; u8 flags; u8 invflags; }`, IPv6
//! only. The rule keeps the struct itself: the `IDS` flag is set by any
//! `--fragid`, even one save leaves out, so only the raw struct round-trips.

use super::esp::{spi_opt, Spis};
use super::value::parse_u32;
use super::{EncodeCx, FmtCx, MatchExt, OptHit, OptSpec, ParseCx, ValueKind};
use crate::error::{DecodeError, Error};
use crate::ir::Expr;
use crate::model::Family;

crate::xt_struct! {
    /// `struct ip6t_frag`
    pub struct FragInfo {
        pub id_min: u32, pub id_max: u32, pub hdrlen: u32, pub flags: u8, pub invflags: u8,
    }
}
const _: () = assert!(FragInfo::SIZE == 16);

const IDS: u8 = 0x01;
const LEN: u8 = 0x02;
const RES: u8 = 0x04;
const FST: u8 = 0x08;
const MF: u8 = 0x10;
const NMF: u8 = 0x20;
const INV_IDS: u8 = 0x01;
const INV_LEN: u8 = 0x02;

/// The frag match: the kernel struct as iptables fills it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Frag(pub FragInfo);

impl Frag {
    fn ids(&self) -> Spis {
        Spis {
            min: self.0.id_min,
            max: self.0.id_max,
            inv: self.0.invflags & INV_IDS != 0,
        }
    }
}

/// The words of the flag options, save and list, in print order.
const FLAG_WORDS: &[(u8, &str, &str)] = &[
    (RES, " --fragres", " reserved"),
    (FST, " --fragfirst", " first"),
    (MF, " --fragmore", " more"),
    (NMF, " --fraglast", " last"),
];

impl MatchExt for Frag {
    const NAME: &'static str = "frag";
    const OPTIONS: &'static [OptSpec] = &[
        spi_opt("fragid"),
        OptSpec::value("fraglen").kind(ValueKind::U32),
        OptSpec::flag("fragres").no_inv(),
        OptSpec::flag("fragfirst").no_inv(),
        OptSpec::flag("fragmore").no_inv().excl(1 << 5),
        OptSpec::flag("fraglast").no_inv().excl(1 << 4),
    ];
    const FAMILIES: &'static [Family] = &[Family::V6];

    fn build(hits: &[OptHit], _cx: &ParseCx) -> Result<Self, Error> {
        let mut i = FragInfo {
            id_min: 0,
            id_max: u32::MAX,
            hdrlen: 0,
            flags: 0,
            invflags: 0,
        };
        for h in hits {
            match h.idx {
                0 => {
                    let s = Spis::parse(Self::NAME, "fragid", h)?;
                    (i.id_min, i.id_max) = (s.min, s.max);
                    i.flags |= IDS;
                    if h.inv {
                        i.invflags |= INV_IDS;
                    }
                }
                1 => {
                    // (checked as it was read)
                    i.hdrlen = parse_u32(h.arg()).unwrap_or(0);
                    i.flags |= LEN;
                    if h.inv {
                        i.invflags |= INV_LEN;
                    }
                }
                n => i.flags |= FLAG_WORDS[n - 2].0,
            }
        }
        Ok(Frag(i))
    }

    fn save(&self, _cx: &FmtCx, out: &mut String) {
        self.ids().save("fragid", out);
        let i = &self.0;
        if i.flags & LEN != 0 {
            let bang = if i.invflags & INV_LEN != 0 { " !" } else { "" };
            out.push_str(&format!("{bang} --fraglen {}", i.hdrlen));
        }
        for (f, s, _) in FLAG_WORDS {
            if i.flags & f != 0 {
                out.push_str(s);
            }
        }
    }

    fn print(&self, _cx: &FmtCx, out: &mut String) {
        out.push_str(" frag ");
        let ids = self.ids();
        if !ids.is_any() {
            let bang = if ids.inv { "!" } else { "" };
            if ids.min == ids.max {
                out.push_str(&format!("id:{bang}{}", ids.min));
            } else {
                out.push_str(&format!("ids:{bang}{}:{}", ids.min, ids.max));
            }
        }
        let i = &self.0;
        if i.flags & LEN != 0 {
            let bang = if i.invflags & INV_LEN != 0 { "!" } else { "" };
            out.push_str(&format!(" length:{bang}{}", i.hdrlen));
        }
        for (f, _, l) in FLAG_WORDS {
            if i.flags & f != 0 {
                out.push_str(l);
            }
        }
        if i.invflags & !(INV_IDS | INV_LEN) != 0 {
            out.push_str(&format!(
                " Unknown invflags: 0x{:X}",
                i.invflags & !(INV_IDS | INV_LEN)
            ));
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
        match (rev, FragInfo::from_blob(info)) {
            (0, Some(i)) => Ok(Frag(i)),
            _ => Err(DecodeError(format!(
                "frag revision {rev} of {} bytes",
                info.len()
            ))),
        }
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
            (&[][..], "", " frag "),
            (&[(0, false, ":")][..], "", " frag "),
            (
                &[(0, true, ":")][..],
                " ! --fragid 0:4294967295",
                " frag ids:!0:4294967295",
            ),
            (&[(0, false, "3:3")][..], " --fragid 3", " frag id:3"),
            (
                &[
                    (0, true, "1"),
                    (1, true, "42"),
                    (2, false, ""),
                    (3, false, ""),
                ][..],
                " ! --fragid 1 ! --fraglen 42 --fragres --fragfirst",
                " frag id:!1 length:!42 reserved first",
            ),
            (
                &[(1, false, "0"), (5, false, "")][..],
                " --fraglen 0 --fraglast",
                " frag  length:0 last",
            ),
        ] {
            let m: Frag = build_match(Family::V6, v).unwrap();
            assert_eq!(texts(&m, &cx), (saved.to_string(), listed.to_string()));
            assert_eq!(xt_round_trip(&m, Family::V6), (0, 16));
        }
    }
}
