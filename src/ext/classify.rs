//! `-j CLASSIFY --set-class MAJOR:MINOR` (`libxt_CLASSIFY.c`): xt target
//! `CLASSIFY` revision 0, `struct xt_classify_target_info { u32 priority;
//! }`, both families. The class is read as `sscanf("%x:%x")` reads it
//! (blanks, a sign, `0x`, trailing text ignored) and made
//! `TC_H_MAKE(major << 16, minor)` in 32 bits, so only the low 16 bits of
//! each half stay; saved as `%.4x:%.4x`, listed as `%x:%x`.

use super::{EncodeCx, FmtCx, OptHit, OptSpec, ParseCx, TargetExtT};
use crate::error::{param, DecodeError, Error};
use crate::ir::Expr;
use crate::model::Family;

crate::xt_struct! {
    /// `struct xt_classify_target_info`
    pub struct ClassifyInfo { pub priority: u32 }
}
const _: () = assert!(ClassifyInfo::SIZE == 4);

/// The CLASSIFY target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Classify {
    /// `skb->priority`: major in the high 16 bits, minor in the low
    pub priority: u32,
}

/// `%x` of glibc's `sscanf`: blanks, a sign, an optional `0x`, hex digits
/// (at least one); the value as an `unsigned int` (strtoul's, truncated) and
/// the bytes read.
fn scan_hex(s: &str) -> Option<(u32, usize)> {
    let b = s.as_bytes();
    let mut i = 0;
    while b
        .get(i)
        .is_some_and(|c| c.is_ascii_whitespace() || *c == 0x0b)
    {
        i += 1;
    }
    let neg = matches!(b.get(i), Some(b'-'));
    if matches!(b.get(i), Some(b'+' | b'-')) {
        i += 1;
    }
    // glibc reads a `0x` without a hex digit after it as a failed match
    if b.get(i) == Some(&b'0') && matches!(b.get(i + 1), Some(b'x' | b'X')) {
        if !b.get(i + 2).is_some_and(u8::is_ascii_hexdigit) {
            return None;
        }
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
        return None;
    }
    if overflow {
        v = u64::MAX;
    } else if neg {
        v = v.wrapping_neg();
    }
    Some((v as u32, i))
}

/// `CLASSIFY_string_to_priority`.
fn parse_class(s: &str) -> Option<u32> {
    let (major, end) = scan_hex(s)?;
    let rest = s[end..].strip_prefix(':')?;
    let (minor, _) = scan_hex(rest)?;
    Some((major << 16) & 0xffff_0000 | minor & 0xffff)
}

impl TargetExtT for Classify {
    const NAME: &'static str = "CLASSIFY";
    const OPTIONS: &'static [OptSpec] = &[OptSpec::value("set-class").no_inv().mandatory()];

    fn build(hits: &[OptHit], _cx: &ParseCx) -> Result<Self, Error> {
        let mut priority = 0;
        if let Some(h) = hits.first() {
            priority = parse_class(h.arg())
                .ok_or_else(|| param(format!("Bad class value \"{}\"", h.arg())))?;
        }
        Ok(Classify { priority })
    }

    fn save(&self, _cx: &FmtCx, out: &mut String) {
        let p = self.priority;
        out.push_str(&format!(" --set-class {:04x}:{:04x}", p >> 16, p & 0xffff));
    }

    fn print(&self, _cx: &FmtCx, out: &mut String) {
        let p = self.priority;
        out.push_str(&format!(" CLASSIFY set {:x}:{:x}", p >> 16, p & 0xffff));
    }

    fn encode(&self, _cx: &EncodeCx, out: &mut Vec<Expr>) {
        out.push(Expr::Target {
            name: Self::NAME.into(),
            rev: 0,
            info: ClassifyInfo {
                priority: self.priority,
            }
            .to_blob(),
        });
    }

    fn decode_blob(rev: u32, info: &[u8], _family: Family) -> Result<Self, DecodeError> {
        match (rev, ClassifyInfo::from_blob(info)) {
            (0, Some(i)) => Ok(Classify {
                priority: i.priority,
            }),
            _ => Err(DecodeError(format!(
                "CLASSIFY target revision {rev} of {} bytes",
                info.len()
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ext::kit::build_target;

    /// Classes, text and messages as iptables 1.8.13 gives them (captured).
    #[test]
    fn like_1_8_13() {
        let cx = FmtCx {
            family: Family::V4,
            numeric: true,
            proto: None,
        };
        for (arg, saved, listed) in [
            (
                "0000:ffff",
                " --set-class 0000:ffff",
                " CLASSIFY set 0:ffff",
            ),
            ("1:2", " --set-class 0001:0002", " CLASSIFY set 1:2"),
            (
                "0000:ffffffff",
                " --set-class 0000:ffff",
                " CLASSIFY set 0:ffff",
            ),
            ("1:-1", " --set-class 0001:ffff", " CLASSIFY set 1:ffff"),
            ("12345:1", " --set-class 2345:0001", " CLASSIFY set 2345:1"),
            ("1:2junk", " --set-class 0001:0002", " CLASSIFY set 1:2"),
            (" 1: 2", " --set-class 0001:0002", " CLASSIFY set 1:2"),
            ("0x10:0x20", " --set-class 0010:0020", " CLASSIFY set 10:20"),
            ("+1:+2", " --set-class 0001:0002", " CLASSIFY set 1:2"),
            (
                "ffffffffff:1",
                " --set-class ffff:0001",
                " CLASSIFY set ffff:1",
            ),
        ] {
            let t: Classify = build_target(Family::V4, &[(0, false, arg)]).unwrap();
            let (mut s, mut l) = (String::new(), String::new());
            t.save(&cx, &mut s);
            t.print(&cx, &mut l);
            assert_eq!((s.as_str(), l.as_str()), (saved, listed), "{arg}");
            let mut e = Vec::new();
            t.encode(
                &EncodeCx {
                    family: Family::V4,
                    proto: None,
                },
                &mut e,
            );
            let [Expr::Target { rev: 0, info, .. }] = e.as_slice() else {
                panic!("{e:?}")
            };
            assert_eq!(Classify::decode_blob(0, info, Family::V4).unwrap(), t);
        }
        for bad in ["1", "x:1", "", "1 :2", "1:0x", "0X1F:0Xg", "1::2", "1:+-2"] {
            assert_eq!(
                build_target::<Classify>(Family::V4, &[(0, false, bad)])
                    .unwrap_err()
                    .to_string(),
                format!("Bad class value \"{bad}\"")
            );
        }
    }
}
