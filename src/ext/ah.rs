//! `-m ah` (`libipt_ah.c`, `libip6t_ah.c`): xt match `ah` revision 0, with
//! a struct per family: IPv4 `struct ipt_ah { u32 spis[2]; u8 invflags; }`
//! (`[!] --ahspi`), IPv6 `struct ip6t_ah { u32 spis[2]; u32 hdrlen; u8
//! hdrres; u8 invflags; }` (`[!] --ahspi`, `[!] --ahlen`, `--ahres`).
//! `-p ah` loads it; the IPv4 kernel match takes it only with `-p ah`.

use super::esp::{spi_opt, Spis, INV_SPI};
use super::{EncodeCx, FmtCx, MatchExt, OptHit, OptSpec, ParseCx, ValueKind};
use crate::error::{DecodeError, Error};
use crate::ext::value::parse_u32;
use crate::ir::Expr;
use crate::model::Family;

crate::xt_struct! {
    /// `struct ipt_ah`
    pub struct IptAh { pub spi_min: u32, pub spi_max: u32, pub invflags: u8 }
}
const _: () = assert!(IptAh::SIZE == 12);

crate::xt_struct! {
    /// `struct ip6t_ah`
    pub struct Ip6tAh {
        pub spi_min: u32, pub spi_max: u32, pub hdrlen: u32, pub hdrres: u8, pub invflags: u8,
    }
}
const _: () = assert!(Ip6tAh::SIZE == 16);

/// `IP6T_AH_INV_LEN`
const INV_LEN: u8 = 0x02;

fn bad(rev: u32, info: &[u8]) -> DecodeError {
    DecodeError(format!("ah revision {rev} of {} bytes", info.len()))
}

/// The IPv4 ah match.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ah {
    /// `--ahspi`
    pub spis: Spis,
}

impl MatchExt for Ah {
    const NAME: &'static str = "ah";
    const OPTIONS: &'static [OptSpec] = &[spi_opt("ahspi")];
    const PROTO: Option<u8> = Some(51);
    const FAMILIES: &'static [Family] = &[Family::V4];

    fn build(hits: &[OptHit], _cx: &ParseCx) -> Result<Self, Error> {
        let mut spis = Spis::ANY;
        for h in hits {
            spis = Spis::parse(Self::NAME, "ahspi", h)?;
        }
        Ok(Ah { spis })
    }

    fn save(&self, _cx: &FmtCx, out: &mut String) {
        self.spis.save("ahspi", out);
    }

    fn print(&self, _cx: &FmtCx, out: &mut String) {
        out.push_str(" ah ");
        self.spis.print(out);
    }

    fn encode(&self, _cx: &EncodeCx, out: &mut Vec<Expr>) {
        out.push(Expr::Match {
            name: Self::NAME.into(),
            rev: 0,
            info: IptAh {
                spi_min: self.spis.min,
                spi_max: self.spis.max,
                invflags: if self.spis.inv { INV_SPI } else { 0 },
            }
            .to_blob(),
        });
    }

    fn decode_blob(rev: u32, info: &[u8], _family: Family) -> Result<Self, DecodeError> {
        match (rev, IptAh::from_blob(info)) {
            (0, Some(i)) if i.invflags & !INV_SPI == 0 => Ok(Ah {
                spis: Spis {
                    min: i.spi_min,
                    max: i.spi_max,
                    inv: i.invflags & INV_SPI != 0,
                },
            }),
            _ => Err(bad(rev, info)),
        }
    }
}

/// The IPv6 ah match.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ah6 {
    /// `--ahspi`
    pub spis: Spis,
    /// `--ahlen` (0 when not given)
    pub len: u32,
    /// `! --ahlen`
    pub len_inv: bool,
    /// `--ahres`
    pub res: bool,
}

impl MatchExt for Ah6 {
    const NAME: &'static str = "ah";
    const OPTIONS: &'static [OptSpec] = &[
        spi_opt("ahspi"),
        OptSpec::value("ahlen").kind(ValueKind::U32),
        OptSpec::flag("ahres").no_inv(),
    ];
    const PROTO: Option<u8> = Some(51);
    const FAMILIES: &'static [Family] = &[Family::V6];

    fn build(hits: &[OptHit], _cx: &ParseCx) -> Result<Self, Error> {
        let mut m = Ah6 {
            spis: Spis::ANY,
            len: 0,
            len_inv: false,
            res: false,
        };
        for h in hits {
            match h.idx {
                0 => m.spis = Spis::parse(Self::NAME, "ahspi", h)?,
                // (checked as it was read)
                1 => (m.len, m.len_inv) = (parse_u32(h.arg()).unwrap_or(0), h.inv),
                _ => m.res = true,
            }
        }
        Ok(m)
    }

    fn save(&self, _cx: &FmtCx, out: &mut String) {
        self.spis.save("ahspi", out);
        if self.len != 0 || self.len_inv {
            out.push_str(if self.len_inv {
                " ! --ahlen "
            } else {
                " --ahlen "
            });
            out.push_str(&self.len.to_string());
        }
        if self.res {
            out.push_str(" --ahres");
        }
    }

    fn print(&self, _cx: &FmtCx, out: &mut String) {
        out.push_str(" ah ");
        self.spis.print(out);
        if self.len != 0 || self.len_inv {
            // (no blank after the SPIs, as iptables prints it)
            out.push_str(if self.len_inv { "length:!" } else { "length:" });
            out.push_str(&self.len.to_string());
        }
        if self.res {
            out.push_str(" reserved");
        }
    }

    fn encode(&self, _cx: &EncodeCx, out: &mut Vec<Expr>) {
        let mut invflags = if self.spis.inv { INV_SPI } else { 0 };
        if self.len_inv {
            invflags |= INV_LEN;
        }
        out.push(Expr::Match {
            name: Self::NAME.into(),
            rev: 0,
            info: Ip6tAh {
                spi_min: self.spis.min,
                spi_max: self.spis.max,
                hdrlen: self.len,
                hdrres: self.res.into(),
                invflags,
            }
            .to_blob(),
        });
    }

    fn decode_blob(rev: u32, info: &[u8], _family: Family) -> Result<Self, DecodeError> {
        match (rev, Ip6tAh::from_blob(info)) {
            (0, Some(i)) if i.invflags & !(INV_SPI | INV_LEN) == 0 && i.hdrres <= 1 => Ok(Ah6 {
                spis: Spis {
                    min: i.spi_min,
                    max: i.spi_max,
                    inv: i.invflags & INV_SPI != 0,
                },
                len: i.hdrlen,
                len_inv: i.invflags & INV_LEN != 0,
                res: i.hdrres != 0,
            }),
            _ => Err(bad(rev, info)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ext::kit::{build_match, texts, xt_round_trip};

    /// Text as iptables 1.8.13 and ip6tables 1.8.13 print it (captured).
    #[test]
    fn like_1_8_13() {
        let cx = FmtCx {
            family: Family::V4,
            numeric: true,
            proto: Some(51),
        };
        for (v, saved, listed) in [
            (&[][..], "", " ah "),
            (&[(0, true, "0")][..], " ! --ahspi 0", " ah spi:!0"),
            (&[(0, false, "5:6")][..], " --ahspi 5:6", " ah spis:5:6"),
        ] {
            let m: Ah = build_match(Family::V4, v).unwrap();
            assert_eq!(texts(&m, &cx), (saved.to_string(), listed.to_string()));
            assert_eq!(xt_round_trip(&m, Family::V4), (0, 16));
        }
        let cx = FmtCx {
            family: Family::V6,
            ..cx
        };
        for (v, saved, listed) in [
            (&[][..], "", " ah "),
            (&[(2, false, "")][..], " --ahres", " ah  reserved"),
            (&[(1, false, "0")][..], "", " ah "),
            (&[(1, true, "0")][..], " ! --ahlen 0", " ah length:!0"),
            (
                &[(0, false, "1"), (1, true, "3"), (2, false, "")][..],
                " --ahspi 1 ! --ahlen 3 --ahres",
                " ah spi:1length:!3 reserved",
            ),
        ] {
            let m: Ah6 = build_match(Family::V6, v).unwrap();
            assert_eq!(texts(&m, &cx), (saved.to_string(), listed.to_string()));
            assert_eq!(xt_round_trip(&m, Family::V6), (0, 16));
        }
    }
}
