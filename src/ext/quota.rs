//! `-m quota [!] --quota BYTES` (`libxt_quota.c`): xt match `quota`
//! revision 0, `struct xt_quota_info`, both families. The listing shows no
//! `!` (as upstream's print).

use super::{EncodeCx, FmtCx, MatchExt, OptHit, OptSpec, ParseCx, ValueKind};
use crate::error::{param, DecodeError, Error};
use crate::ir::Expr;
use crate::model::Family;

crate::xt_struct! {
    /// `struct xt_quota_info` (`master` is the kernel's pointer)
    pub struct QuotaInfo { pub flags: u32, pub pad: u32, pub quota: u64, pub master: u64 }
}
const _: () = assert!(QuotaInfo::SIZE == 24);

/// `XT_QUOTA_INVERT`
const INVERT: u32 = 1;

/// The quota match.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quota {
    /// bytes
    pub quota: u64,
    /// `!`: match once the quota is used up
    pub inv: bool,
}

/// Whether the number `strtoumax` reads at the start of `s` is above
/// `u64::MAX` (it saturates there with `ERANGE`).
fn overflows(s: &str) -> bool {
    let t = s.trim_start_matches([' ', '\t', '\n', '\r', '\x0b', '\x0c']);
    let t = t.strip_prefix(['+', '-']).unwrap_or(t);
    let (base, digits) = match t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
        Some(h) if h.starts_with(|c: char| c.is_ascii_hexdigit()) => (16, h),
        _ if t.starts_with('0') => (8, t),
        _ => (10, t),
    };
    let mut v: u128 = 0;
    for d in digits.chars().map_while(|c| c.to_digit(base)) {
        v = v * u128::from(base) + u128::from(d);
        if v > u128::from(u64::MAX) {
            return true;
        }
    }
    false
}

impl MatchExt for Quota {
    const NAME: &'static str = "quota";
    const OPTIONS: &'static [OptSpec] = &[OptSpec::value("quota")
        .mandatory()
        .kind(ValueKind::UInt(0, u64::MAX))];

    fn build(hits: &[OptHit], _cx: &ParseCx) -> Result<Self, Error> {
        let mut q = Quota {
            quota: 0,
            inv: false,
        };
        for h in hits {
            if overflows(h.arg()) {
                // strtoull's ERANGE, which libxtables rejects
                return Err(param(
                    "quota: bad value for option \"--quota\", or out of range (0-18446744073709551615).\n",
                ));
            }
            q.quota = super::header_kit::uint_opt("quota", "quota", h.arg(), 0, u64::MAX)?;
            q.inv = h.inv;
        }
        Ok(q)
    }

    fn save(&self, _cx: &FmtCx, out: &mut String) {
        if self.inv {
            out.push_str(" !");
        }
        out.push_str(&format!(" --quota {}", self.quota));
    }

    fn print(&self, _cx: &FmtCx, out: &mut String) {
        out.push_str(&format!(" quota: {} bytes", self.quota));
    }

    fn encode(&self, _cx: &EncodeCx, out: &mut Vec<Expr>) {
        out.push(Expr::Match {
            name: Self::NAME.into(),
            rev: 0,
            info: QuotaInfo {
                flags: if self.inv { INVERT } else { 0 },
                pad: 0,
                quota: self.quota,
                master: 0,
            }
            .to_blob(),
        });
    }

    fn decode_blob(rev: u32, info: &[u8], _family: Family) -> Result<Self, DecodeError> {
        QuotaInfo::from_blob(info)
            .filter(|i| rev == 0 && i.flags & !INVERT == 0)
            .map(|i| Quota {
                quota: i.quota,
                inv: i.flags & INVERT != 0,
            })
            .ok_or_else(|| DecodeError(format!("quota revision {rev} of {} bytes", info.len())))
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
            proto: None,
        };
        for (v, saved, listed) in [
            ((false, "100"), " --quota 100", " quota: 100 bytes"),
            ((true, "0x10"), " ! --quota 16", " quota: 16 bytes"),
            (
                (false, "18446744073709551615"),
                " --quota 18446744073709551615",
                " quota: 18446744073709551615 bytes",
            ),
        ] {
            let q: Quota = build_match(Family::V4, &[(0, v.0, v.1)]).unwrap();
            assert_eq!(texts(&q, &cx), (saved.into(), listed.into()));
            assert_eq!(xt_round_trip(&q, Family::V4), (0, 24));
        }
        assert_eq!(
            build_match::<Quota>(Family::V4, &[(0, false, "-1")])
                .unwrap_err()
                .to_string(),
            "quota: bad value for option \"--quota\", or out of range (0-18446744073709551615).\n"
        );
        assert!(build_match::<Quota>(Family::V4, &[(0, false, "18446744073709551616")]).is_err());
        assert!(build_match::<Quota>(Family::V4, &[(0, false, "0x10000000000000000")]).is_err());
    }
}
