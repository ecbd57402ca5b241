//! `-m esp [!] --espspi spi[:spi]` (`libxt_esp.c`): xt match `esp`
//! revision 0, `struct xt_esp { u32 spis[2]; u8 invflags; }`, both
//! families; `-p esp` loads it. The kernel takes it only with `-p esp`.
//! The SPI range helpers here serve `ah` and `ipcomp` too.

use super::header_kit::uint_range;
use super::{EncodeCx, FmtCx, MatchExt, OptHit, OptSpec, ParseCx, ValueKind};
use crate::error::{DecodeError, Error};
use crate::ir::Expr;
use crate::model::Family;

crate::xt_struct! {
    /// `struct xt_esp`
    pub struct EspInfo { pub spi_min: u32, pub spi_max: u32, pub invflags: u8 }
}
const _: () = assert!(EspInfo::SIZE == 12);

/// `XT_ESP_INV_SPI` (`IPT_AH_INV_SPI`, `XT_IPCOMP_INV_SPI`, `IP6T_AH_INV_SPI`)
pub const INV_SPI: u8 = 0x01;

/// An SPI range (`XTTYPE_UINT32RC`) with its `!`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Spis {
    /// lowest SPI
    pub min: u32,
    /// highest SPI
    pub max: u32,
    /// `!`
    pub inv: bool,
}

impl Spis {
    /// All SPIs, as the `init` of esp and ah sets them.
    pub const ANY: Spis = Spis {
        min: 0,
        max: u32::MAX,
        inv: false,
    };

    /// From an option's value (one number is a range of one).
    pub fn parse(ext: &str, opt: &str, h: &OptHit) -> Result<Spis, Error> {
        let (min, max) = uint_range(ext, opt, h.arg(), u64::from(u32::MAX))?;
        Ok(Spis {
            min: min as u32,
            max: max as u32,
            inv: h.inv,
        })
    }

    /// True when save and list leave it out (all SPIs, not inverted).
    pub fn is_any(&self) -> bool {
        *self == Self::ANY
    }

    /// The save text ` [!] --OPT a[:b]`, if not [`Spis::is_any`].
    pub fn save(&self, opt: &str, out: &mut String) {
        if self.is_any() {
            return;
        }
        out.push_str(if self.inv { " ! --" } else { " --" });
        out.push_str(opt);
        out.push(' ');
        out.push_str(&self.range());
    }

    /// The list text `spi:[!]a` or `spis:[!]a:b` (no leading space), if not
    /// [`Spis::is_any`].
    pub fn print(&self, out: &mut String) {
        if self.is_any() {
            return;
        }
        let bang = if self.inv { "!" } else { "" };
        if self.min == self.max {
            out.push_str(&format!("spi:{bang}{}", self.min));
        } else {
            out.push_str(&format!("spis:{bang}{}:{}", self.min, self.max));
        }
    }

    fn range(&self) -> String {
        if self.min == self.max {
            self.min.to_string()
        } else {
            format!("{}:{}", self.min, self.max)
        }
    }
}

/// The option spec of an SPI range option.
pub const fn spi_opt(name: &'static str) -> OptSpec {
    OptSpec::value(name).kind(ValueKind::UIntRange(u32::MAX as u64))
}

/// The esp match.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Esp {
    /// `--espspi`
    pub spis: Spis,
}

impl MatchExt for Esp {
    const NAME: &'static str = "esp";
    const OPTIONS: &'static [OptSpec] = &[spi_opt("espspi")];
    const PROTO: Option<u8> = Some(50);

    fn build(hits: &[OptHit], _cx: &ParseCx) -> Result<Self, Error> {
        let mut spis = Spis::ANY;
        for h in hits {
            spis = Spis::parse(Self::NAME, "espspi", h)?;
        }
        Ok(Esp { spis })
    }

    fn save(&self, _cx: &FmtCx, out: &mut String) {
        self.spis.save("espspi", out);
    }

    fn print(&self, _cx: &FmtCx, out: &mut String) {
        out.push_str(" esp");
        if !self.spis.is_any() {
            out.push(' ');
            self.spis.print(out);
        }
    }

    fn encode(&self, _cx: &EncodeCx, out: &mut Vec<Expr>) {
        out.push(Expr::Match {
            name: Self::NAME.into(),
            rev: 0,
            info: EspInfo {
                spi_min: self.spis.min,
                spi_max: self.spis.max,
                invflags: if self.spis.inv { INV_SPI } else { 0 },
            }
            .to_blob(),
        });
    }

    fn decode_blob(rev: u32, info: &[u8], _family: Family) -> Result<Self, DecodeError> {
        match (rev, EspInfo::from_blob(info)) {
            (0, Some(i)) if i.invflags & !INV_SPI == 0 => Ok(Esp {
                spis: Spis {
                    min: i.spi_min,
                    max: i.spi_max,
                    inv: i.invflags & INV_SPI != 0,
                },
            }),
            _ => Err(DecodeError(format!(
                "esp revision {rev} of {} bytes",
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
            proto: Some(50),
        };
        for (v, saved, listed) in [
            (&[][..], "", " esp"),
            (&[(0, false, "0")][..], " --espspi 0", " esp spi:0"),
            (&[(0, false, ":32")][..], " --espspi 0:32", " esp spis:0:32"),
            (&[(0, false, ":")][..], "", " esp"),
            (
                &[(0, true, ":")][..],
                " ! --espspi 0:4294967295",
                " esp spis:!0:4294967295",
            ),
            (&[(0, true, "9")][..], " ! --espspi 9", " esp spi:!9"),
            (&[(0, false, "4:4")][..], " --espspi 4", " esp spi:4"),
        ] {
            let m: Esp = build_match(Family::V4, v).unwrap();
            assert_eq!(texts(&m, &cx), (saved.to_string(), listed.to_string()));
            assert_eq!(xt_round_trip(&m, Family::V4), (0, 16));
        }
        assert_eq!(
            build_match::<Esp>(Family::V4, &[(0, false, "4:3")])
                .unwrap_err()
                .to_string(),
            "esp: bad value for option \"--espspi\" near \"3\", or out of range (4-4294967295).\n"
        );
    }
}
