//! `-j CONNMARK` (`libxt_CONNMARK.c`): xt target `CONNMARK` revision 2,
//! `struct xt_connmark_tginfo2 { u32 ctmark, ctmask, nfmask; u8 shift_dir,
//! shift_bits, mode; }`. `--set-xmark`/`--set-mark`/`--and-mark`/
//! `--or-mark`/`--xor-mark` change the ct mark (saved as `--set-xmark
//! value/mask`), `--save-mark` copies the packet mark into it and
//! `--restore-mark` back (saved with both masks), optionally shifted.
//! Revision 1 (no shift) is written when the kernel has no revision 2
//! (before 4.12), and read too; revision 0 (of kernels older than
//! nf_tables) is not tried.

use super::value::{parse_mark_mask, parse_u32, strtoumax, ValueKind};
use super::{EncodeCx, FmtCx, OptHit, OptSpec, ParseCx, TargetExtT};
use crate::error::{param, DecodeError, Error};
use crate::ir::Expr;
use crate::model::Family;
use std::fmt::Write;

crate::xt_struct! {
    /// `struct xt_connmark_tginfo1`
    pub struct ConnmarkTgInfo1 { pub ctmark: u32, pub ctmask: u32, pub nfmask: u32, pub mode: u8 }
}
crate::xt_struct! {
    /// `struct xt_connmark_tginfo2`
    pub struct ConnmarkTgInfo2 {
        pub ctmark: u32, pub ctmask: u32, pub nfmask: u32,
        pub shift_dir: u8, pub shift_bits: u8, pub mode: u8,
    }
}
const _: () = assert!(ConnmarkTgInfo1::SIZE == 16 && ConnmarkTgInfo2::SIZE == 16);

/// `XT_CONNMARK_SET`, `_SAVE`, `_RESTORE`
const SET: u8 = 0;
const SAVE: u8 = 1;
const RESTORE: u8 = 2;

/// The CONNMARK target (revision 2's fields).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnmarkTarget {
    /// value xor-ed into the ct mark (set mode)
    pub ctmark: u32,
    /// ct mark bits (cleared first in set mode)
    pub ctmask: u32,
    /// packet mark bits
    pub nfmask: u32,
    /// `D_SHIFT_LEFT` 0, `D_SHIFT_RIGHT` 1
    pub shift_dir: u8,
    /// bits shifted
    pub shift_bits: u8,
    /// set, save or restore
    pub mode: u8,
    /// revision (2, or 1 when the kernel has no 2)
    pub rev: u8,
}

/// Option names in the order of their ids in `libxt_CONNMARK.c` (`O_*`),
/// as indices into `OPTIONS`: the generic check names the other option of
/// a conflict in this order.
const BY_ID: [usize; 12] = [1, 5, 6, 2, 3, 4, 7, 8, 0, 9, 10, 11];
/// The operations (`F_OP_ANY`), as `OPTIONS` bits.
const OPS: u32 = 0b111_1111;
/// `--ctmask`, `--nfmask`, `--mask`
const CTMASK: u32 = 1 << 9;
const NFMASK: u32 = 1 << 10;
const MASK: u32 = 1 << 11;

impl TargetExtT for ConnmarkTarget {
    const NAME: &'static str = "CONNMARK";
    const OPTIONS: &'static [OptSpec] = &[
        OptSpec::value("set-xmark")
            .no_inv()
            .kind(ValueKind::MarkMask32),
        OptSpec::value("set-mark")
            .no_inv()
            .kind(ValueKind::MarkMask32),
        OptSpec::value("and-mark").no_inv().kind(ValueKind::U32),
        OptSpec::value("or-mark").no_inv().kind(ValueKind::U32),
        OptSpec::value("xor-mark").no_inv().kind(ValueKind::U32),
        OptSpec::flag("save-mark").no_inv(),
        OptSpec::flag("restore-mark").no_inv(),
        OptSpec::value("left-shift-mark").no_inv(),
        OptSpec::value("right-shift-mark").no_inv(),
        OptSpec::value("ctmask").no_inv().kind(ValueKind::U32),
        OptSpec::value("nfmask").no_inv().kind(ValueKind::U32),
        OptSpec::value("mask").no_inv().kind(ValueKind::U32),
    ];

    fn build(hits: &[OptHit], cx: &ParseCx) -> Result<Self, Error> {
        let (rev, _) = super::probe::choose(cx.family, Self::NAME, true, &[2, 1]);
        let mut t = ConnmarkTarget {
            ctmark: 0,
            ctmask: u32::MAX,
            nfmask: u32::MAX,
            shift_dir: 0,
            shift_bits: 0,
            mode: SET,
            rev: rev as u8,
        };
        // Options take effect in command line order (a later --mask
        // overrides an earlier --set-mark's mask).
        for h in hits {
            let a = h.arg();
            let v = || parse_u32(a).unwrap_or(0);
            match h.idx {
                0 | 1 => {
                    let (m, k) = parse_mark_mask(a).unwrap_or((0, u32::MAX));
                    t.mode = SET;
                    t.ctmark = m;
                    t.ctmask = if h.idx == 1 { m | k } else { k };
                }
                2 => (t.mode, t.ctmark, t.ctmask) = (SET, 0, !v()),
                3 => (t.mode, t.ctmark, t.ctmask) = (SET, v(), v()),
                4 => (t.mode, t.ctmark, t.ctmask) = (SET, v(), 0),
                5 => t.mode = SAVE,
                6 => t.mode = RESTORE,
                7 | 8 if rev < 2 => {
                    // revision 1's module has no shift options
                    return Err(param(format!(
                        "unknown option \"--{}\"",
                        Self::OPTIONS[h.idx].name
                    )));
                }
                7 | 8 => {
                    let bits = strtoumax(a)
                        .filter(|(n, end)| *end == a.len() && !a.starts_with('-') && *n <= 32)
                        .ok_or_else(|| {
                            param(format!(
                            "CONNMARK: bad value for option \"--{}\", or out of range (0-32).\n",
                            Self::OPTIONS[h.idx].name
                        ))
                        })?;
                    t.shift_dir = (h.idx - 7) as u8;
                    t.shift_bits = bits.0 as u8;
                }
                9 => t.ctmask = v(),
                10 => t.nfmask = v(),
                _ => (t.nfmask, t.ctmask) = (v(), v()),
            }
        }
        let given = hits.iter().fold(0u32, |m, h| m | 1 << h.idx);
        if given & OPS == 0 {
            return Err(param("CONNMARK target: No operation specified"));
        }
        // `xtables_options_fcheck`: options in table order, each against
        // the others in id order.
        let excl = |i: usize| match 1u32 << i {
            b if b & OPS != 0 => OPS,
            CTMASK | NFMASK => MASK,
            MASK => CTMASK | NFMASK,
            _ => 0,
        };
        for e in (0..Self::OPTIONS.len()).filter(|e| given & 1 << e != 0) {
            if let Some(&o) = BY_ID
                .iter()
                .find(|&&o| o != e && given & excl(e) & 1 << o != 0)
            {
                return Err(param(format!(
                    "CONNMARK: option \"--{}\" cannot be used together with \"--{}\".\n",
                    Self::OPTIONS[e].name,
                    Self::OPTIONS[o].name
                )));
            }
        }
        Ok(t)
    }

    fn save(&self, _cx: &FmtCx, out: &mut String) {
        let _ = match self.mode {
            SET => write!(out, " --set-xmark {:#x}/{:#x}", self.ctmark, self.ctmask),
            SAVE => write!(
                out,
                " --save-mark --nfmask {:#x} --ctmask {:#x}",
                self.nfmask, self.ctmask
            ),
            _ => write!(
                out,
                " --restore-mark --nfmask {:#x} --ctmask {:#x}",
                self.nfmask, self.ctmask
            ),
        };
        if self.shift_bits != 0 {
            let _ = write!(out, " --{} {}", self.shift_op(), self.shift_bits);
        }
    }

    fn print(&self, _cx: &FmtCx, out: &mut String) {
        let (m, k, n) = (self.ctmark, self.ctmask, self.nfmask);
        let _ = match self.mode {
            SET if m == 0 => write!(out, " CONNMARK and {:#x}", !k),
            SET if m == k => write!(out, " CONNMARK or {m:#x}"),
            SET if k == 0 => write!(out, " CONNMARK xor {m:#x}"),
            SET if k == u32::MAX => write!(out, " CONNMARK set {m:#x}"),
            SET => write!(out, " CONNMARK xset {m:#x}/{k:#x}"),
            SAVE if n == u32::MAX && k == u32::MAX => write!(out, " CONNMARK save"),
            SAVE if n == k => write!(out, " CONNMARK save mask {n:#x}"),
            SAVE => write!(out, " CONNMARK save nfmask {n:#x} ctmask ~{k:#x}"),
            _ if n == u32::MAX && k == u32::MAX => write!(out, " CONNMARK restore"),
            _ if n == k => write!(out, " CONNMARK restore mask {k:#x}"),
            _ => write!(out, " CONNMARK restore ctmask {k:#x} nfmask ~{n:#x}"),
        };
        if self.shift_bits != 0 {
            let _ = write!(out, " {} {}", self.shift_op(), self.shift_bits);
        }
    }

    fn encode(&self, _cx: &EncodeCx, out: &mut Vec<Expr>) {
        if self.rev == 1 {
            out.push(Expr::Target {
                name: Self::NAME.into(),
                rev: 1,
                info: ConnmarkTgInfo1 {
                    ctmark: self.ctmark,
                    ctmask: self.ctmask,
                    nfmask: self.nfmask,
                    mode: self.mode,
                }
                .to_blob(),
            });
            return;
        }
        out.push(Expr::Target {
            name: Self::NAME.into(),
            rev: 2,
            info: ConnmarkTgInfo2 {
                ctmark: self.ctmark,
                ctmask: self.ctmask,
                nfmask: self.nfmask,
                shift_dir: self.shift_dir,
                shift_bits: self.shift_bits,
                mode: self.mode,
            }
            .to_blob(),
        });
    }

    fn decode_blob(rev: u32, info: &[u8], _family: Family) -> Result<Self, DecodeError> {
        let t = match rev {
            1 => ConnmarkTgInfo1::from_blob(info).map(|i| ConnmarkTarget {
                ctmark: i.ctmark,
                ctmask: i.ctmask,
                nfmask: i.nfmask,
                shift_dir: 0,
                shift_bits: 0,
                mode: i.mode,
                rev: 1,
            }),
            2 => ConnmarkTgInfo2::from_blob(info).map(|i| ConnmarkTarget {
                ctmark: i.ctmark,
                ctmask: i.ctmask,
                nfmask: i.nfmask,
                shift_dir: i.shift_dir,
                shift_bits: i.shift_bits,
                mode: i.mode,
                rev: 2,
            }),
            _ => None,
        };
        // iptables has no text for other modes or shift directions
        t.filter(|t| t.mode <= RESTORE && t.shift_dir <= 1)
            .ok_or_else(|| {
                DecodeError(format!(
                    "CONNMARK target revision {rev} of {} bytes",
                    info.len()
                ))
            })
    }
}

impl ConnmarkTarget {
    fn shift_op(&self) -> &'static str {
        if self.shift_dir == 0 {
            "left-shift-mark"
        } else {
            "right-shift-mark"
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ext::kit::build_target;

    fn texts(t: &ConnmarkTarget) -> (String, String) {
        let cx = FmtCx {
            family: Family::V4,
            numeric: true,
            proto: None,
        };
        let (mut s, mut l) = (String::new(), String::new());
        t.save(&cx, &mut s);
        t.print(&cx, &mut l);
        (s, l)
    }

    /// Text as iptables 1.8.13 prints it (captured).
    #[test]
    fn like_1_8_13() {
        for (v, saved, listed) in [
            (
                &[(6, false, "")][..],
                " --restore-mark --nfmask 0xffffffff --ctmask 0xffffffff",
                " CONNMARK restore",
            ),
            (
                &[
                    (5, false, ""),
                    (10, false, "0xfffffff"),
                    (9, false, "0xffffffff"),
                ][..],
                " --save-mark --nfmask 0xfffffff --ctmask 0xffffffff",
                " CONNMARK save nfmask 0xfffffff ctmask ~0xffffffff",
            ),
            (
                &[(6, false, ""), (9, false, "0xff"), (10, false, "0xf")][..],
                " --restore-mark --nfmask 0xf --ctmask 0xff",
                " CONNMARK restore ctmask 0xff nfmask ~0xf",
            ),
            (
                &[(1, false, "5/0xff")][..],
                " --set-xmark 0x5/0xff",
                " CONNMARK xset 0x5/0xff",
            ),
            (
                &[(1, false, "0")][..],
                " --set-xmark 0x0/0xffffffff",
                " CONNMARK and 0x0",
            ),
            (
                &[(2, false, "0xff")][..],
                " --set-xmark 0x0/0xffffff00",
                " CONNMARK and 0xff",
            ),
            (
                &[(3, false, "0x100")][..],
                " --set-xmark 0x100/0x100",
                " CONNMARK or 0x100",
            ),
            (
                &[(4, false, "3")][..],
                " --set-xmark 0x3/0x0",
                " CONNMARK xor 0x3",
            ),
            (
                &[(0, false, "5")][..],
                " --set-xmark 0x5/0xffffffff",
                " CONNMARK set 0x5",
            ),
            (
                &[(5, false, ""), (11, false, "0xff")][..],
                " --save-mark --nfmask 0xff --ctmask 0xff",
                " CONNMARK save mask 0xff",
            ),
            (
                &[(6, false, ""), (8, false, "8"), (11, false, "0xff00")][..],
                " --restore-mark --nfmask 0xff00 --ctmask 0xff00 --right-shift-mark 8",
                " CONNMARK restore mask 0xff00 right-shift-mark 8",
            ),
            (
                &[(5, false, ""), (7, false, "3"), (8, false, "2")][..],
                " --save-mark --nfmask 0xffffffff --ctmask 0xffffffff --right-shift-mark 2",
                " CONNMARK save right-shift-mark 2",
            ),
            (
                &[(1, false, "1"), (7, false, "0x10")][..],
                " --set-xmark 0x1/0xffffffff --left-shift-mark 16",
                " CONNMARK set 0x1 left-shift-mark 16",
            ),
        ] {
            let t: ConnmarkTarget = build_target(Family::V4, v).unwrap();
            assert_eq!(texts(&t), (saved.to_string(), listed.to_string()));
            let mut e = Vec::new();
            t.encode(
                &EncodeCx {
                    family: Family::V4,
                    proto: None,
                },
                &mut e,
            );
            let [Expr::Target { rev: 2, info, .. }] = e.as_slice() else {
                panic!("{e:?}")
            };
            assert_eq!(info.len(), 16);
            assert_eq!(ConnmarkTarget::decode_blob(2, info, Family::V4).unwrap(), t);
        }
    }

    #[test]
    fn messages_like_1_8_13() {
        let msg = |v: &[(usize, bool, &str)]| {
            build_target::<ConnmarkTarget>(Family::V4, v)
                .unwrap_err()
                .to_string()
        };
        assert_eq!(
            msg(&[(11, false, "5")]),
            "CONNMARK target: No operation specified"
        );
        assert_eq!(
            msg(&[(2, false, "1"), (3, false, "2"), (5, false, "")]),
            "CONNMARK: option \"--and-mark\" cannot be used together with \"--save-mark\".\n"
        );
        assert_eq!(
            msg(&[(5, false, ""), (11, false, "1"), (9, false, "1")]),
            "CONNMARK: option \"--ctmask\" cannot be used together with \"--mask\".\n"
        );
        assert_eq!(
            msg(&[(5, false, ""), (7, false, "33")]),
            "CONNMARK: bad value for option \"--left-shift-mark\", or out of range (0-32).\n"
        );
    }

    #[test]
    fn revision_1_decodes() {
        let b = ConnmarkTgInfo1 {
            ctmark: 0,
            ctmask: 0xff,
            nfmask: 0xff,
            mode: SAVE,
        }
        .to_blob();
        let t = ConnmarkTarget::decode_blob(1, &b, Family::V4).unwrap();
        assert_eq!(texts(&t).1, " CONNMARK save mask 0xff");
        assert!(ConnmarkTarget::decode_blob(0, &b, Family::V4).is_err());
    }
}

#[cfg(test)]
mod revision_tests {
    use super::*;
    use crate::ext::kit::{build_target, capped, target_save, xt_target};
    use crate::ext::probe::with_probe;

    /// A kernel without revision 2 (before 4.12) gets `struct
    /// xt_connmark_tginfo1 { u32 ctmark, ctmask, nfmask; u8 mode; }`; the
    /// shift options are unknown to revision 1's module.
    #[test]
    fn revision_1_when_the_kernel_has_no_2() {
        let kernel = || capped(&[("CONNMARK", true, Some(1))]);
        let t: ConnmarkTarget = with_probe(kernel(), || {
            build_target(Family::V4, &[(5, false, ""), (11, false, "0xff")])
        })
        .unwrap();
        let (name, rev, b) = xt_target(&t, Family::V4);
        assert_eq!((name.as_str(), rev), ("CONNMARK", 1));
        let mut want = Vec::new();
        for w in [0u32, 0xff, 0xff] {
            want.extend_from_slice(&w.to_ne_bytes());
        }
        want.extend_from_slice(&[SAVE, 0, 0, 0]);
        assert_eq!(b, want);
        let back = ConnmarkTarget::decode_blob(1, &b, Family::V4).unwrap();
        assert_eq!(back, t);
        assert_eq!(
            target_save(&back, Family::V4),
            " --save-mark --nfmask 0xff --ctmask 0xff"
        );
        let e = with_probe(kernel(), || {
            build_target::<ConnmarkTarget>(Family::V6, &[(6, false, ""), (7, false, "2")])
        })
        .unwrap_err();
        assert_eq!(e.to_string(), "unknown option \"--left-shift-mark\"");
        let t: ConnmarkTarget = build_target(Family::V4, &[(5, false, "")]).unwrap();
        assert_eq!(xt_target(&t, Family::V4).1, 2);
    }
}
