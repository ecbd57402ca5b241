//! `-j TOS --set-tos value[/mask]|symbol | --and-tos | --or-tos |
//! --xor-tos` (`libxt_TOS.c`): xt target `TOS` revision 1, `struct
//! xt_tos_target_info { u8 tos_value, tos_mask; }` (the TOS becomes
//! `(tos & ~mask) ^ value`), in both families. Every option is saved as
//! `--set-tos value/mask`.

use super::header_kit::{tos_mask, tos_symbol, uint_opt};
use super::{EncodeCx, FmtCx, OptHit, OptSpec, ParseCx, TargetExtT, ValueKind};
use crate::error::{param, DecodeError, Error};
use crate::ir::Expr;
use crate::model::Family;

/// `XTTYPE_UINT8`
const U8: ValueKind = ValueKind::UInt(0, 255);

crate::xt_struct! {
    /// `struct xt_tos_target_info`
    pub struct TosTargetInfo { pub tos_value: u8, pub tos_mask: u8 }
}
const _: () = assert!(TosTargetInfo::SIZE == 2);

/// The TOS target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TosTarget {
    /// value xor-ed in
    pub value: u8,
    /// bits cleared first
    pub mask: u8,
}

/// Each option excludes the others (`F_ANY`; an option's own bit is
/// left out of its `excl`, which the kit's check does not skip).
const ALL: u32 = 0b1111;

impl TargetExtT for TosTarget {
    const NAME: &'static str = "TOS";
    const OPTIONS: &'static [OptSpec] = &[
        OptSpec::value("set-tos")
            .no_inv()
            .kind(ValueKind::TosMask)
            .excl(ALL & !1),
        OptSpec::value("and-tos").no_inv().kind(U8).excl(ALL & !2),
        OptSpec::value("or-tos").no_inv().kind(U8).excl(ALL & !4),
        OptSpec::value("xor-tos").no_inv().kind(U8).excl(ALL & !8),
    ];

    fn build(hits: &[OptHit], _cx: &ParseCx) -> Result<Self, Error> {
        let mut t = TosTarget { value: 0, mask: 0 };
        for h in hits {
            let name = Self::OPTIONS[h.idx].name;
            let byte = || uint_opt("TOS", name, h.arg(), 0, 0xff).map(|v| v as u8);
            (t.value, t.mask) = match h.idx {
                0 => tos_mask(h.arg())?,
                1 => (0, !byte()?),
                2 => (byte()?, byte()?),
                _ => (byte()?, 0),
            };
        }
        if hits.is_empty() {
            return Err(param("TOS: An action is required"));
        }
        Ok(t)
    }

    fn save(&self, _cx: &FmtCx, out: &mut String) {
        out.push_str(&format!(
            " --set-tos {:#04x}/{:#04x}",
            self.value, self.mask
        ));
    }

    fn print(&self, cx: &FmtCx, out: &mut String) {
        let (v, m) = (self.value, self.mask);
        let text = if cx.numeric {
            format!(" TOS set {v:#04x}/{m:#04x}")
        } else if let Some(name) = tos_symbol(v, m) {
            // `tos_try_print_symbolic(" TOS set", ...)` prints " %s%s"
            format!("  TOS set{name}")
        } else if v == 0 {
            format!(" TOS and {:#04x}", !m)
        } else if v == m {
            format!(" TOS or {v:#04x}")
        } else if m == 0 {
            format!(" TOS xor {v:#04x}")
        } else {
            format!(" TOS set {v:#04x}/{m:#04x}")
        };
        out.push_str(&text);
    }

    fn encode(&self, _cx: &EncodeCx, out: &mut Vec<Expr>) {
        out.push(Expr::Target {
            name: Self::NAME.into(),
            rev: 1,
            info: TosTargetInfo {
                tos_value: self.value,
                tos_mask: self.mask,
            }
            .to_blob(),
        });
    }

    fn decode_blob(rev: u32, info: &[u8], _family: Family) -> Result<Self, DecodeError> {
        match (rev, TosTargetInfo::from_blob(info)) {
            (1, Some(i)) => Ok(TosTarget {
                value: i.tos_value,
                mask: i.tos_mask,
            }),
            _ => Err(DecodeError(format!(
                "TOS target revision {rev} of {} bytes",
                info.len()
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ext::kit::build_target;

    /// Text as iptables 1.8.13 prints it (captured).
    #[test]
    fn like_1_8_13() {
        let cx = |numeric| FmtCx {
            family: Family::V4,
            numeric,
            proto: None,
        };
        for (idx, arg, saved, named) in [
            (0, "0x1f", " --set-tos 0x1f/0xff", " TOS set 0x1f/0xff"),
            (0, "0x1f/0x1f", " --set-tos 0x1f/0x1f", " TOS or 0x1f"),
            (
                0,
                "Minimize-Delay",
                " --set-tos 0x10/0x3f",
                "  TOS setMinimize-Delay",
            ),
            (1, "0x12", " --set-tos 0x00/0xed", " TOS and 0x12"),
            (2, "0x12", " --set-tos 0x12/0x12", " TOS or 0x12"),
            (3, "0x12", " --set-tos 0x12/0x00", " TOS xor 0x12"),
            (3, "0", " --set-tos 0x00/0x00", " TOS and 0xff"),
            (0, "0x05/0x07", " --set-tos 0x05/0x07", " TOS set 0x05/0x07"),
        ] {
            let t: TosTarget = build_target(Family::V4, &[(idx, false, arg)]).unwrap();
            let (mut s, mut l, mut n) = (String::new(), String::new(), String::new());
            t.save(&cx(true), &mut s);
            t.print(&cx(true), &mut l);
            t.print(&cx(false), &mut n);
            assert_eq!((s.as_str(), n.as_str()), (saved, named));
            assert_eq!(l, format!(" TOS set{}", &saved[10..]));
            let mut e = Vec::new();
            t.encode(
                &EncodeCx {
                    family: Family::V6,
                    proto: None,
                },
                &mut e,
            );
            let [Expr::Target { rev: 1, info, .. }] = e.as_slice() else {
                panic!("{e:?}")
            };
            assert_eq!(info.len(), 8);
            assert_eq!(TosTarget::decode_blob(1, info, Family::V6).unwrap(), t);
        }
        let msg = |v: &[(usize, bool, &str)]| {
            build_target::<TosTarget>(Family::V4, v)
                .unwrap_err()
                .to_string()
        };
        assert_eq!(msg(&[]), "TOS: An action is required");
        assert_eq!(
            msg(&[(1, false, "256")]),
            "TOS: bad value for option \"--and-tos\", or out of range (0-255).\n"
        );
    }
}
