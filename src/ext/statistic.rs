//! `-m statistic --mode random [!] --probability P` or `--mode nth [!]
//! --every N --packet P` (`libxt_statistic.c`): xt match `statistic`
//! revision 0, `struct xt_statistic_info`. kube-proxy spreads a service's
//! connections over its endpoints with it.

use super::{EncodeCx, FmtCx, MatchExt, OptHit, OptSpec, ParseCx};
use crate::error::{param, DecodeError, Error};
use crate::ir::Expr;
use crate::model::Family;

crate::xt_struct! {
    /// `struct xt_statistic_info` (the union as nth's three words; random
    /// uses the first; `master` is the kernel's pointer, zero here)
    pub struct StatisticInfo {
        pub mode: u16, pub flags: u16, pub every: u32, pub packet: u32, pub count: u32, pub master: u64,
    }
}
const _: () = assert!(StatisticInfo::SIZE == 24);

/// `XT_STATISTIC_INVERT`
const INVERT: u16 = 1;
/// `2^31`: the probability scale
const SCALE: f64 = 2_147_483_648.0;

/// The statistic match.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Statistic {
    /// `--mode random --probability`: the threshold out of 2^31
    Random {
        /// `lround(2^31 * p)`
        probability: u32,
        /// `!`
        inv: bool,
    },
    /// `--mode nth --every N --packet P` (`every` stored as N - 1)
    Nth {
        /// N - 1
        every: u32,
        /// P
        packet: u32,
        /// `!`
        inv: bool,
    },
}

impl MatchExt for Statistic {
    const NAME: &'static str = "statistic";
    const OPTIONS: &'static [OptSpec] = &[
        OptSpec::value("mode").no_inv().mandatory(),
        OptSpec::value("probability").excl(0b1100),
        OptSpec::value("every").excl(0b0010).also(0b1000),
        OptSpec::value("packet").no_inv().excl(0b0010),
    ];

    fn build(hits: &[OptHit], _cx: &ParseCx) -> Result<Self, Error> {
        let mut nth = false;
        let (mut prob, mut every, mut packet, mut inv) = (None, None, 0u32, false);
        let bad = |o: &str, range: &str| {
            param(format!(
                "statistic: bad value for option \"--{o}\", or out of range ({range}).\n"
            ))
        };
        for h in hits {
            let a = h.arg();
            match h.idx {
                0 => {
                    nth = match a {
                        "random" => false,
                        "nth" => true,
                        _ => return Err(param(format!("Bad mode \"{a}\""))),
                    }
                }
                1 => {
                    let p: f64 = a
                        .parse()
                        .ok()
                        .filter(|p: &f64| (0.0..=1.0).contains(p))
                        .ok_or_else(|| bad("probability", "0-1"))?;
                    prob = Some((SCALE * p).round() as u32);
                    inv |= h.inv;
                }
                2 => {
                    // XTTYPE_UINT32: any base strtoul reads (`010` is 8)
                    let n: u32 = crate::ext::value::parse_u32(a)
                        .filter(|n| *n >= 1)
                        .ok_or_else(|| bad("every", "1-4294967295"))?;
                    every = Some(n - 1);
                    inv |= h.inv;
                }
                _ => {
                    packet = crate::ext::value::parse_u32(a)
                        .ok_or_else(|| bad("packet", "0-4294967295"))?
                }
            }
        }
        let given = |i: usize| hits.iter().any(|h| h.idx == i);
        if !nth && !given(1) {
            return Err(param(
                "--probability must be specified when using random mode",
            ));
        }
        if nth && !(given(2) || given(3)) {
            return Err(param(
                "--every and --packet must be specified when using nth mode",
            ));
        }
        if packet > every.unwrap_or(0) && given(3) {
            return Err(param("the --packet p must be 0 <= p <= n-1"));
        }
        Ok(if nth {
            Statistic::Nth {
                every: every.unwrap_or(0),
                packet,
                inv,
            }
        } else {
            Statistic::Random {
                probability: prob.unwrap_or(0),
                inv,
            }
        })
    }

    fn save(&self, _cx: &FmtCx, out: &mut String) {
        self.text(true, out)
    }

    fn print(&self, _cx: &FmtCx, out: &mut String) {
        self.text(false, out)
    }

    fn encode(&self, _cx: &EncodeCx, out: &mut Vec<Expr>) {
        let (mode, inv, every, packet) = match *self {
            Statistic::Random { probability, inv } => (0, inv, probability, 0),
            Statistic::Nth { every, packet, inv } => (1, inv, every, packet),
        };
        out.push(Expr::Match {
            name: Self::NAME.into(),
            rev: 0,
            info: StatisticInfo {
                mode,
                flags: if inv { INVERT } else { 0 },
                every,
                packet,
                // as iptables' final check sets it, whatever the mode
                count: every.wrapping_sub(packet),
                master: 0,
            }
            .to_blob(),
        });
    }

    fn decode_blob(rev: u32, info: &[u8], _family: Family) -> Result<Self, DecodeError> {
        let i = StatisticInfo::from_blob(info)
            .filter(|i| rev == 0 && i.flags & !INVERT == 0)
            .ok_or_else(|| {
                DecodeError(format!("statistic revision {rev} of {} bytes", info.len()))
            })?;
        let inv = i.flags & INVERT != 0;
        match i.mode {
            0 => Ok(Statistic::Random {
                probability: i.every,
                inv,
            }),
            1 => Ok(Statistic::Nth {
                every: i.every,
                packet: i.packet,
                inv,
            }),
            m => Err(DecodeError(format!("statistic mode {m}"))),
        }
    }
}

impl Statistic {
    fn text(&self, save: bool, out: &mut String) {
        let dash = if save { "--" } else { "" };
        let bang = |inv: bool| if inv { "! " } else { "" };
        out.push_str(if save { " --mode " } else { " statistic mode " });
        match *self {
            Statistic::Random { probability, inv } => out.push_str(&format!(
                "random {}{dash}probability {:.11}",
                bang(inv),
                f64::from(probability) / SCALE
            )),
            Statistic::Nth { every, packet, inv } => out.push_str(&format!(
                "nth {}{dash}every {} {dash}packet {packet}",
                bang(inv),
                u64::from(every) + 1
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ext::kit::build_match;

    /// Text as iptables 1.8.13 prints it (captured).
    #[test]
    fn like_1_8_13() {
        let cx = FmtCx {
            family: Family::V4,
            numeric: true,
            proto: None,
        };
        for (v, saved, listed) in [
            (
                &[(0, false, "random"), (1, false, "0.5")][..],
                " --mode random --probability 0.50000000000",
                " statistic mode random probability 0.50000000000",
            ),
            (
                &[(0, false, "random"), (1, true, "0.0001")][..],
                " --mode random ! --probability 0.00009999983",
                " statistic mode random ! probability 0.00009999983",
            ),
            (
                &[(0, false, "random"), (1, false, "0.33333333333333")][..],
                " --mode random --probability 0.33333333349",
                " statistic mode random probability 0.33333333349",
            ),
            (
                &[(0, false, "nth"), (2, false, "3"), (3, false, "1")][..],
                " --mode nth --every 3 --packet 1",
                " statistic mode nth every 3 packet 1",
            ),
            (
                &[(0, false, "nth"), (2, true, "5"), (3, false, "2")][..],
                " --mode nth ! --every 5 --packet 2",
                " statistic mode nth ! every 5 packet 2",
            ),
        ] {
            let s: Statistic = build_match(Family::V4, v).unwrap();
            assert_eq!(
                crate::ext::kit::texts(&s, &cx),
                (saved.to_string(), listed.to_string())
            );
            assert_eq!(crate::ext::kit::xt_round_trip(&s, Family::V4), (0, 24));
        }
        let msg = |v: &[(usize, bool, &str)]| {
            build_match::<Statistic>(Family::V4, v)
                .unwrap_err()
                .to_string()
        };
        assert_eq!(
            msg(&[(0, false, "random")]),
            "--probability must be specified when using random mode"
        );
        assert_eq!(
            msg(&[(0, false, "nth")]),
            "--every and --packet must be specified when using nth mode"
        );
        assert_eq!(
            msg(&[(0, false, "nth"), (2, false, "3"), (3, false, "3")]),
            "the --packet p must be 0 <= p <= n-1"
        );
        assert_eq!(msg(&[(0, false, "bogus")]), "Bad mode \"bogus\"");
        assert_eq!(
            msg(&[(0, false, "random"), (1, false, "1.1")]),
            "statistic: bad value for option \"--probability\", or out of range (0-1).\n"
        );
    }
}
