//! `-m limit [--limit RATE[/second|/minute|/hour|/day]] [--limit-burst N]`
//! (`libxt_limit.c`). iptables-nft writes it natively: `[ limit rate R/U
//! burst B type packets flags 0x0 ]`, R/U chosen from the kernel's
//! `xt_rateinfo.avg` (`nft.c add_nft_limit`), and reads it back into the
//! same `avg` (`XT_LIMIT_SCALE * unit / rate`). ufw and fail2ban log with it.

use super::value::{parse_u32, ValueKind};
use super::{EncodeCx, FmtCx, MatchExt, OptHit, OptSpec, ParseCx};
use crate::error::{param, DecodeError, Error};
use crate::ir::Expr;
use crate::model::Family;

/// `XT_LIMIT_SCALE`
const SCALE: u64 = 10_000;
/// `XT_LIMIT_BURST`, the default burst
const BURST: u32 = 5;
/// The units iptables prints, largest first: (name, `SCALE` × seconds).
const RATES: [(&str, u64); 4] = [
    ("day", SCALE * 24 * 60 * 60),
    ("hour", SCALE * 60 * 60),
    ("min", SCALE * 60),
    ("sec", SCALE),
];

/// The limit match: `xt_rateinfo`'s `avg` (time between packets in
/// 1/`SCALE` seconds) and `burst`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit {
    /// average period
    pub avg: u32,
    /// burst
    pub burst: u32,
}

/// `parse_rate`: `N[/unit]`, a unit as any prefix of second, minute,
/// hour, day (case-insensitive), seconds by default.
fn parse_rate(s: &str) -> Result<u32, Error> {
    let bad = || param(format!("bad rate \"{s}\"'"));
    let (num, mult) = match s.split_once('/') {
        None => (s, 1u64),
        Some((n, u)) => {
            if u.is_empty() {
                return Err(bad());
            }
            let prefix =
                |full: &str| full.len() >= u.len() && full[..u.len()].eq_ignore_ascii_case(u);
            let mult = if prefix("second") {
                1
            } else if prefix("minute") {
                60
            } else if prefix("hour") {
                3600
            } else if prefix("day") {
                86_400
            } else {
                return Err(bad());
            };
            (n, mult)
        }
    };
    // atoi: blanks, a sign, leading digits
    let t = num.trim_start();
    let (neg, t) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    let digits: String = t.chars().take_while(char::is_ascii_digit).collect();
    let r: u64 = digits.parse().unwrap_or(u64::MAX);
    if r == 0 || digits.is_empty() {
        return Err(bad());
    }
    // a negative rate divides as a huge unsigned one: 0, too fast
    let avg = if neg { 0 } else { SCALE * mult / r };
    if avg == 0 {
        return Err(param(format!("Rate too fast \"{s}\"")));
    }
    u32::try_from(avg).map_err(|_| bad())
}

/// The unit iptables picks for `avg` (`print_rate`, `add_nft_limit`).
fn unit_of(avg: u32) -> (&'static str, u64) {
    let avg = u64::from(avg.max(1));
    let mut i = 1;
    while i < RATES.len() {
        let m = RATES[i].1;
        if avg > m || m / avg < m % avg {
            break;
        }
        i += 1;
    }
    RATES[i - 1]
}

impl MatchExt for Limit {
    const NAME: &'static str = "limit";
    const OPTIONS: &'static [OptSpec] = &[
        OptSpec::value("limit").no_inv(),
        OptSpec::value("limit-burst").no_inv().kind(ValueKind::U32),
    ];

    fn build(hits: &[OptHit], _cx: &ParseCx) -> Result<Self, Error> {
        let mut l = Limit {
            avg: (SCALE * 3600 / 3) as u32,
            burst: BURST,
        };
        for h in hits {
            if h.idx == 0 {
                l.avg = parse_rate(h.arg())?;
            } else {
                let b = parse_u32(h.arg()).filter(|b| *b <= 10_000).ok_or_else(|| {
                    param("limit: bad value for option \"--limit-burst\", or out of range (0-10000).\n")
                })?;
                if b != 0 {
                    l.burst = b;
                }
            }
        }
        Ok(l)
    }

    fn save(&self, _cx: &FmtCx, out: &mut String) {
        let (name, mult) = unit_of(self.avg);
        out.push_str(&format!(
            " --limit {}/{name}",
            mult / u64::from(self.avg.max(1))
        ));
        if self.burst != BURST {
            out.push_str(&format!(" --limit-burst {}", self.burst));
        }
    }

    fn print(&self, _cx: &FmtCx, out: &mut String) {
        let (name, mult) = unit_of(self.avg);
        out.push_str(&format!(
            " limit: avg {}/{name} burst {}",
            mult / u64::from(self.avg.max(1)),
            self.burst
        ));
    }

    fn encode(&self, _cx: &EncodeCx, out: &mut Vec<Expr>) {
        let (_, mult) = unit_of(self.avg);
        out.push(Expr::Limit {
            rate: mult / u64::from(self.avg.max(1)),
            unit: mult / SCALE,
            burst: self.burst,
            kind: 0,
            flags: 0,
        });
    }

    fn decode_blob(rev: u32, info: &[u8], _family: Family) -> Result<Self, DecodeError> {
        Err(DecodeError(format!(
            "xt limit revision {rev} of {} bytes (written natively since 1.8.x)",
            info.len()
        )))
    }
}

impl Limit {
    /// The match a native `limit` expression stands for
    /// (`nft-ruleparse.c nft_parse_limit`); packet limits only.
    pub fn from_expr(
        rate: u64,
        unit: u64,
        burst: u32,
        kind: u32,
        flags: u32,
    ) -> Result<Limit, DecodeError> {
        let bad = || {
            DecodeError(format!(
                "limit rate {rate}/{unit} type {kind} flags {flags}"
            ))
        };
        if kind != 0 || flags != 0 || rate == 0 {
            return Err(bad());
        }
        let avg = SCALE
            .checked_mul(unit)
            .map(|x| x / rate)
            .and_then(|x| u32::try_from(x).ok())
            .ok_or_else(bad)?;
        Ok(Limit { avg, burst })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn build(v: &[(usize, &str)]) -> Result<Limit, Error> {
        let v: Vec<(usize, bool, &str)> = v.iter().map(|(i, a)| (*i, false, *a)).collect();
        crate::ext::kit::build_match(Family::V4, &v)
    }

    /// Save, list and the native expression as iptables 1.8.13 writes them
    /// (captured with `nft --debug=netlink`).
    #[test]
    fn like_1_8_13() {
        let cx = FmtCx {
            family: Family::V4,
            numeric: true,
            proto: None,
        };
        for (v, saved, listed, expr) in [
            (
                &[(0, "1/sec")][..],
                " --limit 1/sec",
                " limit: avg 1/sec burst 5",
                "[ limit rate 1/1 burst 5 type 0 flags 0x0 ]",
            ),
            (
                &[(0, "1000/day")][..],
                " --limit 1000/day",
                " limit: avg 1000/day burst 5",
                "[ limit rate 1000/86400 burst 5 type 0 flags 0x0 ]",
            ),
            (
                &[][..],
                " --limit 3/hour",
                " limit: avg 3/hour burst 5",
                "[ limit rate 3/3600 burst 5 type 0 flags 0x0 ]",
            ),
            (
                &[(0, "7/m")][..],
                " --limit 7/min",
                " limit: avg 7/min burst 5",
                "[ limit rate 7/60 burst 5 type 0 flags 0x0 ]",
            ),
            (
                &[(0, "90/min")][..],
                " --limit 90/min",
                " limit: avg 90/min burst 5",
                "[ limit rate 90/60 burst 5 type 0 flags 0x0 ]",
            ),
            (
                &[(0, "7")][..],
                " --limit 7/sec",
                " limit: avg 7/sec burst 5",
                "[ limit rate 7/1 burst 5 type 0 flags 0x0 ]",
            ),
            (
                &[(0, "1/sec"), (1, "1")][..],
                " --limit 1/sec --limit-burst 1",
                " limit: avg 1/sec burst 1",
                "[ limit rate 1/1 burst 1 type 0 flags 0x0 ]",
            ),
            (
                &[(0, "3/s"), (1, "0")][..],
                " --limit 3/sec",
                " limit: avg 3/sec burst 5",
                "[ limit rate 3/1 burst 5 type 0 flags 0x0 ]",
            ),
        ] {
            let l = build(v).unwrap();
            let (mut s, mut p) = (String::new(), String::new());
            l.save(&cx, &mut s);
            l.print(&cx, &mut p);
            assert_eq!((s.as_str(), p.as_str()), (saved, listed));
            let mut e = Vec::new();
            l.encode(
                &EncodeCx {
                    family: Family::V4,
                    proto: None,
                },
                &mut e,
            );
            assert_eq!(e[0].to_string(), expr);
            let Expr::Limit {
                rate,
                unit,
                burst,
                kind,
                flags,
            } = e[0]
            else {
                panic!()
            };
            assert_eq!(Limit::from_expr(rate, unit, burst, kind, flags).unwrap(), l);
        }
        let msg = |a: &str| build(&[(0, a)]).unwrap_err().to_string();
        assert_eq!(msg("7/minutes"), "bad rate \"7/minutes\"'");
        assert_eq!(msg("0/s"), "bad rate \"0/s\"'");
        assert_eq!(msg("5/"), "bad rate \"5/\"'");
        assert_eq!(msg("20000/s"), "Rate too fast \"20000/s\"");
        assert!(Limit::from_expr(1, 1, 5, 1, 0).is_err());
    }
}
