//! `-m mac [!] --mac-source XX:XX:XX:XX:XX:XX` (`libxt_mac.c`): xt match
//! `mac` revision 0, `struct xt_mac_info`. The kernel allows it only in
//! PREROUTING, INPUT and FORWARD (it refuses the rule elsewhere).

use super::{EncodeCx, FmtCx, MatchExt, OptHit, OptSpec, ParseCx};
use crate::error::{param, DecodeError, Error};
use crate::ir::Expr;
use crate::model::Family;

crate::xt_struct! {
    /// `struct xt_mac_info`
    pub struct MacInfo { pub srcaddr: [u8; 6], pub invert: i32 }
}
const _: () = assert!(MacInfo::SIZE == 12);

/// The mac match.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mac {
    /// source address
    pub addr: [u8; 6],
    /// `!`
    pub inv: bool,
}

/// `strtoul(s, &end, 16)`: blanks, a sign, an optional `0x`, hex digits.
/// The value as C returns it (saturated, negated modulo 2^64) and the
/// bytes read, 0 when no digit was.
fn strtoul16(s: &str) -> (u64, usize) {
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() && matches!(b[i], b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c) {
        i += 1;
    }
    let neg = b.get(i) == Some(&b'-');
    if matches!(b.get(i), Some(b'+' | b'-')) {
        i += 1;
    }
    if b.get(i) == Some(&b'0')
        && matches!(b.get(i + 1), Some(b'x' | b'X'))
        && b.get(i + 2).is_some_and(u8::is_ascii_hexdigit)
    {
        i += 2;
    }
    let start = i;
    let mut v: u64 = 0;
    let mut overflow = false;
    while let Some(d) = b.get(i).and_then(|c| (*c as char).to_digit(16)) {
        match v.checked_mul(16).and_then(|x| x.checked_add(u64::from(d))) {
            Some(x) => v = x,
            None => overflow = true,
        }
        i += 1;
    }
    if i == start {
        return (0, 0);
    }
    let v = if overflow {
        u64::MAX
    } else if neg {
        v.wrapping_neg()
    } else {
        v
    };
    (v, i)
}

/// `xtopt_parse_ethermac`: six fields of at most two characters each, as
/// `strtoul(.., 16)` reads them, separated by `:` (an empty field is 0;
/// each value is truncated to a byte).
pub fn parse_mac(s: &str) -> Option<[u8; 6]> {
    let mut out = [0u8; 6];
    let mut rest = s;
    for (i, byte) in out.iter_mut().enumerate() {
        let (v, n) = strtoul16(rest);
        if n > 2 {
            return None;
        }
        *byte = v as u8;
        let after = &rest[n..];
        if i < 5 {
            rest = after.strip_prefix(':')?;
        } else if !after.is_empty() {
            return None;
        }
    }
    Some(out)
}

/// `xtables_print_mac`
pub fn fmt_mac(a: &[u8; 6]) -> String {
    a.iter()
        .map(|b| format!("{b:02x}"))
        .collect::<Vec<_>>()
        .join(":")
}

impl MatchExt for Mac {
    const NAME: &'static str = "mac";
    const OPTIONS: &'static [OptSpec] = &[OptSpec::value("mac-source").mandatory()];

    fn build(hits: &[OptHit], _cx: &ParseCx) -> Result<Self, Error> {
        let mut m = Mac {
            addr: [0; 6],
            inv: false,
        };
        for h in hits {
            m.addr = parse_mac(h.arg()).ok_or_else(|| param("Invalid MAC address specified."))?;
            m.inv = h.inv;
        }
        Ok(m)
    }

    fn save(&self, _cx: &FmtCx, out: &mut String) {
        if self.inv {
            out.push_str(" !");
        }
        out.push_str(" --mac-source ");
        out.push_str(&fmt_mac(&self.addr));
    }

    fn print(&self, _cx: &FmtCx, out: &mut String) {
        out.push_str(" MAC ");
        if self.inv {
            out.push_str("! ");
        }
        out.push_str(&fmt_mac(&self.addr));
    }

    fn encode(&self, _cx: &EncodeCx, out: &mut Vec<Expr>) {
        out.push(Expr::Match {
            name: Self::NAME.into(),
            rev: 0,
            info: MacInfo {
                srcaddr: self.addr,
                invert: i32::from(self.inv),
            }
            .to_blob(),
        });
    }

    fn decode_blob(rev: u32, info: &[u8], _family: Family) -> Result<Self, DecodeError> {
        MacInfo::from_blob(info)
            .filter(|_| rev == 0)
            .map(|i| Mac {
                addr: i.srcaddr,
                inv: i.invert != 0,
            })
            .ok_or_else(|| DecodeError(format!("mac revision {rev} of {} bytes", info.len())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ext::kit::{build_match, texts, xt_round_trip};

    /// Text as iptables 1.8.13 prints it (captured), and its odd readings
    /// of `strtoul`.
    #[test]
    fn like_1_8_13() {
        let cx = FmtCx {
            family: Family::V4,
            numeric: true,
            proto: None,
        };
        for (arg, inv, saved, listed) in [
            (
                "42:01:02:03:04:05",
                false,
                " --mac-source 42:01:02:03:04:05",
                " MAC 42:01:02:03:04:05",
            ),
            (
                "AA:bb:0c:3:4:ff",
                true,
                " ! --mac-source aa:bb:0c:03:04:ff",
                " MAC ! aa:bb:0c:03:04:ff",
            ),
            (
                "42:01:02:03:04:-1",
                false,
                " --mac-source 42:01:02:03:04:ff",
                " MAC 42:01:02:03:04:ff",
            ),
            (
                " 2::02:03:04:",
                false,
                " --mac-source 02:00:02:03:04:00",
                " MAC 02:00:02:03:04:00",
            ),
        ] {
            let m: Mac = build_match(Family::V4, &[(0, inv, arg)]).unwrap();
            assert_eq!(texts(&m, &cx), (saved.into(), listed.into()));
            assert_eq!(xt_round_trip(&m, Family::V4), (0, 16));
        }
        for bad in [
            "42:01:02:03:04",
            "42:01:02:03:04:05:06",
            "42:01:02:03:04:0g",
            "42:01:02:03:04:100",
            "0x2:01:02:03:04:05",
        ] {
            assert_eq!(
                build_match::<Mac>(Family::V4, &[(0, false, bad)])
                    .unwrap_err()
                    .to_string(),
                "Invalid MAC address specified."
            );
        }
    }
}
