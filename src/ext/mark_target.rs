//! `-j MARK --set-xmark|--set-mark|--and-mark|--or-mark|--xor-mark`
//! (`libxt_MARK.c`): xt target `MARK` revision 2, `struct xt_mark_tginfo2 {
//! u32 mark, mask; }`: the packet mark becomes `(mark & ~mask) ^ value`.
//! Every option is saved as `--set-xmark value/mask`.

use super::value::{parse_mark_mask, parse_u32, ValueKind};
use super::{EncodeCx, FmtCx, OptHit, OptSpec, ParseCx, TargetExtT};
use crate::error::{param, DecodeError, Error};
use crate::ir::Expr;
use crate::model::Family;

crate::xt_struct! {
    /// `struct xt_mark_tginfo2`
    pub struct MarkTgInfo2 { pub mark: u32, pub mask: u32 }
}
const _: () = assert!(MarkTgInfo2::SIZE == 8);

/// The MARK target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MarkTarget {
    /// value xor-ed in
    pub mark: u32,
    /// bits cleared first
    pub mask: u32,
}

/// Each option excludes all the others (bits of `OPTIONS`).
const ALL: u32 = 0b11111;

impl TargetExtT for MarkTarget {
    const NAME: &'static str = "MARK";
    const OPTIONS: &'static [OptSpec] = &[
        OptSpec::value("set-xmark")
            .no_inv()
            .kind(ValueKind::MarkMask32)
            .excl(ALL & !1),
        OptSpec::value("set-mark")
            .no_inv()
            .kind(ValueKind::MarkMask32)
            .excl(ALL & !2),
        OptSpec::value("and-mark")
            .no_inv()
            .kind(ValueKind::U32)
            .excl(ALL & !4),
        OptSpec::value("or-mark")
            .no_inv()
            .kind(ValueKind::U32)
            .excl(ALL & !8),
        OptSpec::value("xor-mark")
            .no_inv()
            .kind(ValueKind::U32)
            .excl(ALL & !16),
    ];

    fn build(hits: &[OptHit], _cx: &ParseCx) -> Result<Self, Error> {
        let Some(h) = hits.first() else {
            return Err(param(
                "MARK: One of the --set-xmark, --{and,or,xor,set}-mark options is required",
            ));
        };
        let mm = || parse_mark_mask(h.arg()).unwrap_or((0, u32::MAX));
        let v = || parse_u32(h.arg()).unwrap_or(0);
        let (mark, mask) = match h.idx {
            0 => mm(),
            1 => {
                let (m, k) = mm();
                (m, m | k)
            }
            2 => (0, !v()),
            3 => (v(), v()),
            _ => (v(), 0),
        };
        Ok(MarkTarget { mark, mask })
    }

    fn save(&self, _cx: &FmtCx, out: &mut String) {
        use std::fmt::Write;
        let _ = write!(out, " --set-xmark {:#x}/{:#x}", self.mark, self.mask);
    }

    fn print(&self, _cx: &FmtCx, out: &mut String) {
        use std::fmt::Write;
        let (m, k) = (self.mark, self.mask);
        let _ = if m == 0 {
            write!(out, " MARK and {:#x}", !k)
        } else if m == k {
            write!(out, " MARK or {m:#x}")
        } else if k == 0 {
            write!(out, " MARK xor {m:#x}")
        } else if k == u32::MAX {
            write!(out, " MARK set {m:#x}")
        } else {
            write!(out, " MARK xset {m:#x}/{k:#x}")
        };
    }

    fn encode(&self, _cx: &EncodeCx, out: &mut Vec<Expr>) {
        out.push(Expr::Target {
            name: Self::NAME.into(),
            rev: 2,
            info: MarkTgInfo2 {
                mark: self.mark,
                mask: self.mask,
            }
            .to_blob(),
        });
    }

    fn decode_blob(rev: u32, info: &[u8], _family: Family) -> Result<Self, DecodeError> {
        match (rev, MarkTgInfo2::from_blob(info)) {
            (2, Some(i)) => Ok(MarkTarget {
                mark: i.mark,
                mask: i.mask,
            }),
            _ => Err(DecodeError(format!(
                "MARK target revision {rev} of {} bytes",
                info.len()
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Table;

    fn build(idx: usize, arg: &str) -> MarkTarget {
        let cx = ParseCx {
            family: Family::V4,
            proto: None,
            table: Table::Mangle,
            chain: "PREROUTING",
            rule: true,
        };
        let hits = [OptHit::new(idx, false, &[arg])];
        MarkTarget::build(&hits, &cx).unwrap()
    }

    /// Save and list text as iptables 1.8.13 prints them (captured).
    #[test]
    fn options_and_text() {
        let cx = FmtCx {
            family: Family::V4,
            numeric: true,
            proto: None,
        };
        for (idx, arg, saved, listed) in [
            (
                0,
                "0x1/0xff",
                " --set-xmark 0x1/0xff",
                " MARK xset 0x1/0xff",
            ),
            (1, "7", " --set-xmark 0x7/0xffffffff", " MARK set 0x7"),
            (1, "1/2", " --set-xmark 0x1/0x3", " MARK xset 0x1/0x3"),
            (3, "0x4000", " --set-xmark 0x4000/0x4000", " MARK or 0x4000"),
            (
                2,
                "0x4000",
                " --set-xmark 0x0/0xffffbfff",
                " MARK and 0x4000",
            ),
            (4, "0x4000", " --set-xmark 0x4000/0x0", " MARK xor 0x4000"),
            (4, "0", " --set-xmark 0x0/0x0", " MARK and 0xffffffff"),
        ] {
            let t = build(idx, arg);
            let (mut s, mut l) = (String::new(), String::new());
            t.save(&cx, &mut s);
            t.print(&cx, &mut l);
            assert_eq!((s.as_str(), l.as_str()), (saved, listed), "{idx} {arg}");
            let mut e = Vec::new();
            t.encode(
                &EncodeCx {
                    family: Family::V4,
                    proto: None,
                },
                &mut e,
            );
            let [Expr::Target { name, rev: 2, info }] = e.as_slice() else {
                panic!("{e:?}")
            };
            assert_eq!((name.as_str(), info.len()), ("MARK", 8));
            assert_eq!(MarkTarget::decode_blob(2, info, Family::V6).unwrap(), t);
        }
    }

    #[test]
    fn blob_bytes() {
        // xt_mark_tginfo2 { mark = 0x1, mask = 0xff } on little-endian x86_64
        let t = MarkTarget {
            mark: 1,
            mask: 0xff,
        };
        let mut e = Vec::new();
        t.encode(
            &EncodeCx {
                family: Family::V4,
                proto: None,
            },
            &mut e,
        );
        assert_eq!(
            e,
            [Expr::Target {
                name: "MARK".into(),
                rev: 2,
                info: vec![1, 0, 0, 0, 0xff, 0, 0, 0]
            }]
        );
        assert!(MarkTarget::decode_blob(1, &[0; 8], Family::V4).is_err());
    }
}
