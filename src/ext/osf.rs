//! `-m osf [!] --genre G [--ttl 0..2] [--log 0..2]` (`libxt_osf.c`, IPv4
//! only): xt match `osf` revision 0, `struct xt_osf_info` (passive OS
//! fingerprinting; the kernel wants `-p tcp`).

use super::value::{parse_u32, ValueKind};
use super::{EncodeCx, FmtCx, MatchExt, OptHit, OptSpec, ParseCx};
use crate::error::{DecodeError, Error};
use crate::ir::Expr;
use crate::model::Family;

crate::xt_struct! {
    /// `struct nf_osf_info`
    pub struct OsfInfo { pub genre: [u8; 32], pub len: u32, pub flags: u32, pub loglevel: u32, pub ttl: u32 }
}
const _: () = assert!(OsfInfo::SIZE == 48);

/// `XT_OSF_TTL`
const F_TTL: u32 = 2;
/// `XT_OSF_LOG`
const F_LOG: u32 = 4;
/// `XT_OSF_INVERT`
const F_INVERT: u32 = 8;

/// The osf match.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Osf {
    /// genre (NUL padded, at most 31 bytes)
    pub genre: [u8; 32],
    /// `strlen(genre)`
    pub len: u32,
    /// `XT_OSF_*` flags
    pub flags: u32,
    /// `--log`
    pub loglevel: u32,
    /// `--ttl`
    pub ttl: u32,
}

impl MatchExt for Osf {
    const NAME: &'static str = "osf";
    const FAMILIES: &'static [Family] = &[Family::V4];
    const OPTIONS: &'static [OptSpec] = &[
        OptSpec::value("genre").mandatory(),
        OptSpec::value("ttl").no_inv().kind(ValueKind::UInt(0, 2)),
        OptSpec::value("log").no_inv().kind(ValueKind::UInt(0, 2)),
    ];

    fn build(hits: &[OptHit], _cx: &ParseCx) -> Result<Self, Error> {
        let mut m = Osf {
            genre: [0; 32],
            len: 0,
            flags: 0,
            loglevel: 0,
            ttl: 0,
        };
        for h in hits {
            match h.idx {
                0 => {
                    let b = h.arg().as_bytes();
                    let n = b.len().min(31);
                    m.genre = [0; 32];
                    m.genre[..n].copy_from_slice(&b[..n]);
                    m.len = n as u32;
                    if h.inv {
                        m.flags |= F_INVERT;
                    }
                }
                1 => {
                    m.ttl = parse_u32(h.arg()).unwrap_or(0);
                    m.flags |= F_TTL;
                }
                _ => {
                    m.loglevel = parse_u32(h.arg()).unwrap_or(0);
                    m.flags |= F_LOG;
                }
            }
        }
        Ok(m)
    }

    fn save(&self, _cx: &FmtCx, out: &mut String) {
        if self.flags & F_INVERT != 0 {
            out.push_str(" !");
        }
        out.push_str(" --genre ");
        out.push_str(&super::rateest::name_text(&self.genre));
        if self.flags & F_TTL != 0 {
            out.push_str(&format!(" --ttl {}", self.ttl));
        }
        if self.flags & F_LOG != 0 {
            out.push_str(&format!(" --log {}", self.loglevel));
        }
    }

    fn print(&self, _cx: &FmtCx, out: &mut String) {
        let bang = if self.flags & F_INVERT != 0 { "! " } else { "" };
        out.push_str(&format!(
            " OS fingerprint match {bang}{}",
            super::rateest::name_text(&self.genre)
        ));
    }

    fn encode(&self, _cx: &EncodeCx, out: &mut Vec<Expr>) {
        out.push(Expr::Match {
            name: Self::NAME.into(),
            rev: 0,
            info: OsfInfo {
                genre: self.genre,
                len: self.len,
                flags: self.flags,
                loglevel: self.loglevel,
                ttl: self.ttl,
            }
            .to_blob(),
        });
    }

    fn decode_blob(rev: u32, info: &[u8], _family: Family) -> Result<Self, DecodeError> {
        match (rev, OsfInfo::from_blob(info)) {
            (0, Some(i)) => Ok(Osf {
                genre: i.genre,
                len: i.len,
                flags: i.flags,
                loglevel: i.loglevel,
                ttl: i.ttl,
            }),
            _ => Err(DecodeError(format!(
                "osf revision {rev} of {} bytes",
                info.len()
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ext::kit::{build_match, texts, xt_round_trip};

    #[test]
    fn like_1_8_13() {
        let cx = FmtCx {
            family: Family::V4,
            numeric: true,
            proto: None,
        };
        let m: Osf = build_match(
            Family::V4,
            &[(0, true, "linux"), (1, false, "0"), (2, false, "2")],
        )
        .unwrap();
        assert_eq!(
            texts(&m, &cx),
            (
                " ! --genre linux --ttl 0 --log 2".into(),
                " OS fingerprint match ! linux".into()
            )
        );
        assert_eq!(xt_round_trip(&m, Family::V4), (0, 48));
    }
}
