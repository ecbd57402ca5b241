//! `-j RATEEST --rateest-name N --rateest-interval T --rateest-ewmalog T`
//! (`libxt_RATEEST.c`): xt target `RATEEST` revision 0, `struct
//! xt_rateest_target_info`: a named rate estimator for `-m rateest`. The
//! times (iproute's syntax: `250ms`, `1s`, `100us`) become the kernel's
//! log2 interval and EWMA constant, so save prints them rounded.

use super::rateest::{c_u32, name_text, strtod};
use super::{EncodeCx, FmtCx, OptHit, OptSpec, ParseCx, TargetExtT};
use crate::error::{param, DecodeError, Error};
use crate::ir::Expr;
use crate::model::Family;

crate::xt_struct! {
    /// `struct xt_rateest_target_info` (`est`: the kernel's pointer)
    pub struct RateestTgInfo { pub name: [u8; 16], pub interval: u8, pub ewma_log: u8, pub est: u64 }
}
const _: () = assert!(RateestTgInfo::SIZE == 32);

/// iproute's `TIME_UNITS_PER_SEC` (microseconds)
const PER_SEC: u32 = 1_000_000;

/// The RATEEST target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateestTarget {
    /// estimator name (NUL padded)
    pub name: [u8; 16],
    /// `__s8 interval`: the interval is 2^(interval+2)/4 s
    pub interval: i8,
    /// `__u8 ewma_log`
    pub ewma_log: u8,
}

/// `RATEEST_get_time`: microseconds.
fn get_time(s: &str) -> Option<u32> {
    let (t, end) = strtod(s)?;
    let unit = s[end..].to_ascii_lowercase();
    let scale = match unit.as_str() {
        "" => 1.0,
        "s" | "sec" | "secs" => f64::from(PER_SEC),
        "ms" | "msec" | "msecs" => f64::from(PER_SEC / 1000),
        "us" | "usec" | "usecs" => 1.0,
        _ => return None,
    };
    Some(c_u32(t * scale))
}

/// `RATEEST_print_time`.
fn time_text(time: u32, out: &mut String) {
    let t = f64::from(time);
    out.push_str(&if t >= f64::from(PER_SEC) {
        format!(" {:.1}s", t / f64::from(PER_SEC))
    } else if t >= f64::from(PER_SEC / 1000) {
        format!(" {:.1}ms", t / f64::from(PER_SEC / 1000))
    } else {
        format!(" {time}us")
    });
}

/// `-ln(w)` with `w = 1 - 1 / (1 << e)` for `e` = 1..=31 (`1 << 31` is
/// INT_MIN in C), the bits glibc's `log` gives: a table, so that the
/// binary links no libm (a library less to load at every start).
const NEG_LN_W: [u64; 31] = [
    0x3fe62e42fefa39ef,
    0x3fd269621134db92,
    0x3fc1178e8227e47c,
    0x3fb08598b59e3a07,
    0x3fa0415d89e74444,
    0x3f90205658935847,
    0x3f8010157588de71,
    0x3f70080559588b35,
    0x3f60040155d5889e,
    0x3f50020055655889,
    0x3f40010015575589,
    0x3f30008005559559,
    0x3f20004001555d56,
    0x3f10002000555655,
    0x3f00001000155575,
    0x3ef0000800055559,
    0x3ee0000400015556,
    0x3ed0000200005555,
    0x3ec0000100001555,
    0x3eb0000080000555,
    0x3ea0000040000155,
    0x3e90000020000055,
    0x3e80000010000015,
    0x3e70000008000005,
    0x3e60000004000001,
    0x3e50000002000000,
    0x3e40000001000000,
    0x3e30000000800000,
    0x3e20000000400000,
    0x3e10000000200000,
    0xbdffffffffe00000,
];

impl TargetExtT for RateestTarget {
    const NAME: &'static str = "RATEEST";
    const OPTIONS: &'static [OptSpec] = &[
        OptSpec::value("rateest-name").no_inv().mandatory(),
        OptSpec::value("rateest-interval").no_inv().mandatory(),
        OptSpec::value("rateest-ewmalog").no_inv().mandatory(),
    ];

    fn build(hits: &[OptHit], _cx: &ParseCx) -> Result<Self, Error> {
        let mut name = [0u8; 16];
        let (mut interval, mut ewma) = (0u32, 0u32);
        for h in hits {
            let a = h.arg();
            match h.idx {
                0 => {
                    let b = a.as_bytes();
                    let len = b.len().min(15);
                    name[..len].copy_from_slice(&b[..len]);
                }
                1 => {
                    interval = get_time(a)
                        .ok_or_else(|| param(format!("RATEEST: bad interval value \"{a}\"")))?
                }
                _ => {
                    ewma = get_time(a)
                        .ok_or_else(|| param(format!("RATEEST: bad ewmalog value \"{a}\"")))?
                }
            }
        }
        // RATEEST_final_check (before the generic check of the options)
        let i = (0..=5u32)
            .find(|i| interval <= (1 << i) * (PER_SEC / 4))
            .ok_or_else(|| param("RATEEST: interval value is too large"))?;
        let mut e = (1..32u32)
            .find(|e| {
                let neg_ln_w = f64::from_bits(NEG_LN_W[*e as usize - 1]);
                f64::from(interval) / neg_ln_w > f64::from(ewma)
            })
            .unwrap_or(32);
        e -= 1;
        if e == 0 || e >= 31 {
            return Err(param("RATEEST: ewmalog value is out of range"));
        }
        Ok(RateestTarget {
            name,
            interval: i as i8 - 2,
            ewma_log: e as u8,
        })
    }

    fn save(&self, _cx: &FmtCx, out: &mut String) {
        self.text("--rateest-", out)
    }

    fn print(&self, _cx: &FmtCx, out: &mut String) {
        self.text("", out)
    }

    fn encode(&self, _cx: &EncodeCx, out: &mut Vec<Expr>) {
        out.push(Expr::Target {
            name: Self::NAME.into(),
            rev: 0,
            info: RateestTgInfo {
                name: self.name,
                interval: self.interval as u8,
                ewma_log: self.ewma_log,
                est: 0,
            }
            .to_blob(),
        });
    }

    fn decode_blob(rev: u32, info: &[u8], _family: Family) -> Result<Self, DecodeError> {
        match (rev, RateestTgInfo::from_blob(info)) {
            (0, Some(i)) => Ok(RateestTarget {
                name: i.name,
                interval: i.interval as i8,
                ewma_log: i.ewma_log,
            }),
            _ => Err(DecodeError(format!(
                "RATEEST target revision {rev} of {} bytes",
                info.len()
            ))),
        }
    }
}

impl RateestTarget {
    fn text(&self, prefix: &str, out: &mut String) {
        let shift = (i32::from(self.interval) + 2) as u32;
        let interval = PER_SEC.wrapping_shl(shift) / 4;
        let ewma = interval.wrapping_mul(1u32.wrapping_shl(u32::from(self.ewma_log)));
        out.push_str(&format!(" {prefix}name {}", name_text(&self.name)));
        out.push_str(&format!(" {prefix}interval"));
        time_text(interval, out);
        out.push_str(&format!(" {prefix}ewmalog"));
        time_text(ewma, out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ext::kit::build_target;

    /// The table holds what libm's `log` computes (the test binary may
    /// link libm).
    #[test]
    fn neg_ln_w_is_libm_log() {
        for e in 1..32u32 {
            // `1 << 31` is INT_MIN in C
            let w = 1.0 - 1.0 / f64::from(1i32.wrapping_shl(e));
            assert_eq!(NEG_LN_W[e as usize - 1], (-w.ln()).to_bits(), "e = {e}");
        }
    }

    /// Text as iptables 1.8.13 prints it (captured).
    #[test]
    fn like_1_8_13() {
        let cx = FmtCx {
            family: Family::V4,
            numeric: true,
            proto: None,
        };
        for (i, e, saved) in [
            (
                "250.0ms",
                "500.0ms",
                " --rateest-name RE1 --rateest-interval 250.0ms --rateest-ewmalog 500.0ms",
            ),
            (
                "8s",
                "100s",
                " --rateest-name RE1 --rateest-interval 8.0s --rateest-ewmalog 64.0s",
            ),
            (
                "250ms",
                "1000000s",
                " --rateest-name RE1 --rateest-interval 250.0ms --rateest-ewmalog 2048.0s",
            ),
            (
                "100us",
                "1MSECS",
                " --rateest-name RE1 --rateest-interval 250.0ms --rateest-ewmalog 2.0s",
            ),
            (
                "0.5s",
                "3s",
                " --rateest-name RE1 --rateest-interval 500.0ms --rateest-ewmalog 2.0s",
            ),
        ] {
            let t: RateestTarget = build_target(
                Family::V4,
                &[(0, false, "RE1"), (1, false, i), (2, false, e)],
            )
            .unwrap();
            let mut s = String::new();
            t.save(&cx, &mut s);
            assert_eq!(s, saved);
            let mut x = Vec::new();
            t.encode(
                &EncodeCx {
                    family: Family::V4,
                    proto: None,
                },
                &mut x,
            );
            let [Expr::Target { info, .. }] = x.as_slice() else {
                panic!()
            };
            assert_eq!(info.len(), 32);
            assert_eq!(RateestTarget::decode_blob(0, info, Family::V4).unwrap(), t);
        }
        let msg = |v: &[(usize, bool, &str)]| {
            build_target::<RateestTarget>(Family::V4, v)
                .unwrap_err()
                .to_string()
        };
        assert_eq!(msg(&[]), "RATEEST: ewmalog value is out of range");
        assert_eq!(
            msg(&[(1, false, "9s")]),
            "RATEEST: interval value is too large"
        );
        assert_eq!(
            msg(&[(1, false, "-1s")]),
            "RATEEST: interval value is too large"
        );
        assert_eq!(
            msg(&[(1, false, "1x")]),
            "RATEEST: bad interval value \"1x\""
        );
    }
}
