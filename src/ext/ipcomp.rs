//! `-m ipcomp [!] --ipcompspi spi[:spi] [--compres]` (`libxt_ipcomp.c`):
//! xt match `ipcomp` revision 0, `struct xt_ipcomp { u32 spis[2]; u8
//! invflags; u8 hdrres; }`, both families; `-p ipcomp` loads it. Unlike
//! esp, iptables sets no default range: without `--ipcompspi` the range is
//! 0:0 and saves as `--ipcompspi 0`.

use super::esp::{spi_opt, Spis, INV_SPI};
use super::{EncodeCx, FmtCx, MatchExt, OptHit, OptSpec, ParseCx};
use crate::error::{DecodeError, Error};
use crate::ir::Expr;
use crate::model::Family;

crate::xt_struct! {
    /// `struct xt_ipcomp`
    pub struct IpcompInfo { pub spi_min: u32, pub spi_max: u32, pub invflags: u8, pub hdrres: u8 }
}
const _: () = assert!(IpcompInfo::SIZE == 12);

/// The ipcomp match.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ipcomp {
    /// `--ipcompspi`
    pub spis: Spis,
    /// `--compres`
    pub res: bool,
}

impl MatchExt for Ipcomp {
    const NAME: &'static str = "ipcomp";
    const OPTIONS: &'static [OptSpec] = &[spi_opt("ipcompspi"), OptSpec::flag("compres").no_inv()];
    const PROTO: Option<u8> = Some(108);

    fn build(hits: &[OptHit], _cx: &ParseCx) -> Result<Self, Error> {
        let mut m = Ipcomp {
            spis: Spis {
                min: 0,
                max: 0,
                inv: false,
            },
            res: false,
        };
        for h in hits {
            match h.idx {
                0 => m.spis = Spis::parse(Self::NAME, "ipcompspi", h)?,
                _ => m.res = true,
            }
        }
        Ok(m)
    }

    fn save(&self, _cx: &FmtCx, out: &mut String) {
        self.spis.save("ipcompspi", out);
        if self.res {
            out.push_str(" --compres");
        }
    }

    fn print(&self, _cx: &FmtCx, out: &mut String) {
        out.push_str(" comp ");
        self.spis.print(out);
        if self.res {
            out.push_str(" reserved");
        }
    }

    fn encode(&self, _cx: &EncodeCx, out: &mut Vec<Expr>) {
        out.push(Expr::Match {
            name: Self::NAME.into(),
            rev: 0,
            info: IpcompInfo {
                spi_min: self.spis.min,
                spi_max: self.spis.max,
                invflags: if self.spis.inv { INV_SPI } else { 0 },
                hdrres: self.res.into(),
            }
            .to_blob(),
        });
    }

    fn decode_blob(rev: u32, info: &[u8], _family: Family) -> Result<Self, DecodeError> {
        match (rev, IpcompInfo::from_blob(info)) {
            (0, Some(i)) if i.invflags & !INV_SPI == 0 && i.hdrres <= 1 => Ok(Ipcomp {
                spis: Spis {
                    min: i.spi_min,
                    max: i.spi_max,
                    inv: i.invflags & INV_SPI != 0,
                },
                res: i.hdrres != 0,
            }),
            _ => Err(DecodeError(format!(
                "ipcomp revision {rev} of {} bytes",
                info.len()
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ext::kit::{build_match, texts, xt_round_trip};

    /// Text as iptables 1.8.13 prints it (captured).
    #[test]
    fn like_1_8_13() {
        let cx = FmtCx {
            family: Family::V4,
            numeric: true,
            proto: Some(108),
        };
        for (v, saved, listed) in [
            (&[][..], " --ipcompspi 0", " comp spi:0"),
            (&[(0, false, ":")][..], "", " comp "),
            (&[(0, true, "18")][..], " ! --ipcompspi 18", " comp spi:!18"),
            (
                &[(0, false, "4"), (1, false, "")][..],
                " --ipcompspi 4 --compres",
                " comp spi:4 reserved",
            ),
        ] {
            let m: Ipcomp = build_match(Family::V4, v).unwrap();
            assert_eq!(texts(&m, &cx), (saved.to_string(), listed.to_string()));
            assert_eq!(xt_round_trip(&m, Family::V4), (0, 16));
        }
    }
}
