//! `-j IDLETIMER --timeout SECONDS --label NAME [--alarm]`
//! (`libxt_IDLETIMER.c`): xt target `IDLETIMER`, both families. 1.8.13
//! writes revision 1, `struct idletimer_tg_info_v1 { u32 timeout; char
//! label[28]; u8 send_nl_msg; u8 timer_type; struct idletimer_tg *timer
//! (aligned 8); }`; revision 0 (no `timer_type`) is read too. The label is
//! cut to 27 bytes; `timer` is the kernel's (zero here).

use super::value::{parse_u32, ValueKind};
use super::{EncodeCx, FmtCx, OptHit, OptSpec, ParseCx, TargetExtT};
use crate::error::{DecodeError, Error};
use crate::ir::Expr;
use crate::model::bytes::{from_bytes, to_bytes};
use crate::model::Family;
use std::fmt::Write;

crate::xt_struct! {
    /// `struct idletimer_tg_info`
    pub struct IdletimerInfo { pub timeout: u32, pub label: [u8; 28], pub timer: u64 }
}
const _: () = assert!(IdletimerInfo::SIZE == 40);

crate::xt_struct! {
    /// `struct idletimer_tg_info_v1`
    pub struct IdletimerInfoV1 {
        pub timeout: u32,
        pub label: [u8; 28],
        pub send_nl_msg: u8,
        pub timer_type: u8,
        pub timer: u64,
    }
}
const _: () = assert!(IdletimerInfoV1::SIZE == 48);

/// `XT_IDLETIMER_ALARM`
const ALARM: u8 = 1;

/// The IDLETIMER target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Idletimer {
    /// revision (1 unless read from a revision 0 rule)
    pub rev: u32,
    /// seconds
    pub timeout: u32,
    /// C string
    pub label: [u8; 28],
    /// Android's flag, unused
    pub send_nl_msg: u8,
    /// `XT_IDLETIMER_ALARM` or 0
    pub timer_type: u8,
}

impl TargetExtT for Idletimer {
    const NAME: &'static str = "IDLETIMER";
    const OPTIONS: &'static [OptSpec] = &[
        OptSpec::value("timeout")
            .no_inv()
            .kind(ValueKind::U32)
            .mandatory(),
        OptSpec::value("label").no_inv().mandatory(),
        OptSpec::flag("alarm").no_inv(),
    ];

    fn build(hits: &[OptHit], cx: &ParseCx) -> Result<Self, Error> {
        // revision 0 on kernels before 5.7
        let (rev, _) = super::probe::choose(cx.family, Self::NAME, true, &[1, 0]);
        let mut t = Idletimer {
            rev,
            timeout: 0,
            label: [0; 28],
            send_nl_msg: 0,
            timer_type: 0,
        };
        for h in hits {
            match h.idx {
                0 => t.timeout = parse_u32(h.arg()).unwrap_or(0),
                1 => {
                    // `XTTYPE_STRING` into a char[28]
                    let b = to_bytes(h.arg());
                    let n = b.len().min(27);
                    t.label = [0; 28];
                    t.label[..n].copy_from_slice(&b[..n]);
                }
                // revision 0's module has no --alarm
                _ if rev == 0 => return Err(crate::error::param("unknown option \"--alarm\"")),
                _ => t.timer_type = ALARM,
            }
        }
        Ok(t)
    }

    fn save(&self, _cx: &FmtCx, out: &mut String) {
        let _ = write!(
            out,
            " --timeout {} --label {}",
            self.timeout,
            self.label_text()
        );
        if self.rev == 1 && self.timer_type == ALARM {
            out.push_str(" --alarm");
        }
    }

    fn print(&self, _cx: &FmtCx, out: &mut String) {
        let _ = write!(out, " timeout:{} label:{}", self.timeout, self.label_text());
        if self.rev == 1 && self.timer_type == ALARM {
            out.push_str(" alarm");
        }
    }

    fn encode(&self, _cx: &EncodeCx, out: &mut Vec<Expr>) {
        let info = if self.rev == 0 {
            IdletimerInfo {
                timeout: self.timeout,
                label: self.label,
                timer: 0,
            }
            .to_blob()
        } else {
            IdletimerInfoV1 {
                timeout: self.timeout,
                label: self.label,
                send_nl_msg: self.send_nl_msg,
                timer_type: self.timer_type,
                timer: 0,
            }
            .to_blob()
        };
        out.push(Expr::Target {
            name: Self::NAME.into(),
            rev: self.rev,
            info,
        });
    }

    fn decode_blob(rev: u32, info: &[u8], _family: Family) -> Result<Self, DecodeError> {
        match rev {
            0 => IdletimerInfo::from_blob(info).map(|i| Idletimer {
                rev,
                timeout: i.timeout,
                label: i.label,
                send_nl_msg: 0,
                timer_type: 0,
            }),
            1 => IdletimerInfoV1::from_blob(info).map(|i| Idletimer {
                rev,
                timeout: i.timeout,
                label: i.label,
                send_nl_msg: i.send_nl_msg,
                timer_type: i.timer_type,
            }),
            _ => None,
        }
        .ok_or_else(|| {
            DecodeError(format!(
                "IDLETIMER target revision {rev} of {} bytes",
                info.len()
            ))
        })
    }
}

impl Idletimer {
    fn label_text(&self) -> String {
        let n = self.label.iter().position(|c| *c == 0).unwrap_or(28);
        from_bytes(&self.label[..n]).into_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ext::kit::build_target;

    /// Text as iptables 1.8.13 prints it (captured), both revisions.
    #[test]
    fn like_1_8_13() {
        let cx = FmtCx {
            family: Family::V4,
            numeric: true,
            proto: None,
        };
        for (v, saved, listed) in [
            (
                vec![(0, false, "42"), (1, false, "foo")],
                " --timeout 42 --label foo",
                " timeout:42 label:foo",
            ),
            (
                vec![(0, false, "42"), (1, false, "bar"), (2, false, "")],
                " --timeout 42 --label bar --alarm",
                " timeout:42 label:bar alarm",
            ),
            (
                vec![
                    (0, false, "1"),
                    (1, false, "0123456789012345678901234567890"),
                ],
                " --timeout 1 --label 012345678901234567890123456",
                " timeout:1 label:012345678901234567890123456",
            ),
        ] {
            let t: Idletimer = build_target(Family::V4, &v).unwrap();
            let (mut s, mut l) = (String::new(), String::new());
            t.save(&cx, &mut s);
            t.print(&cx, &mut l);
            assert_eq!((s.as_str(), l.as_str()), (saved, listed));
            for rev in [1, 0] {
                let t = Idletimer { rev, ..t };
                let mut e = Vec::new();
                t.encode(
                    &EncodeCx {
                        family: Family::V4,
                        proto: None,
                    },
                    &mut e,
                );
                let [Expr::Target { rev: r, info, .. }] = e.as_slice() else {
                    panic!("{e:?}")
                };
                assert_eq!(info.len(), if rev == 1 { 48 } else { 40 });
                let back = Idletimer::decode_blob(*r, info, Family::V4).unwrap();
                if rev == 1 {
                    assert_eq!(back, t);
                } else {
                    assert_eq!(back.timer_type, 0);
                }
            }
        }
    }
}

#[cfg(test)]
mod revision_tests {
    use super::*;
    use crate::ext::kit::{build_target, capped, target_save, xt_target};
    use crate::ext::probe::with_probe;

    /// A kernel without revision 1 (before 5.7) gets `struct
    /// idletimer_tg_info { u32 timeout; char label[28]; (pointer) }`;
    /// `--alarm` is unknown to revision 0's module.
    #[test]
    fn revision_0_when_the_kernel_has_no_1() {
        let kernel = || capped(&[("IDLETIMER", true, Some(0))]);
        let opts = [(0, false, "30"), (1, false, "idle")];
        let t: Idletimer = with_probe(kernel(), || build_target(Family::V4, &opts)).unwrap();
        let (_, rev, b) = xt_target(&t, Family::V4);
        assert_eq!((rev, b.len()), (0, 40));
        assert_eq!(&b[..4], &30u32.to_ne_bytes());
        assert_eq!(&b[4..9], b"idle\0");
        assert!(b[9..].iter().all(|x| *x == 0));
        let back = Idletimer::decode_blob(0, &b, Family::V4).unwrap();
        assert_eq!(back, t);
        assert_eq!(target_save(&back, Family::V4), " --timeout 30 --label idle");
        let e = with_probe(kernel(), || {
            build_target::<Idletimer>(
                Family::V6,
                &[(0, false, "1"), (1, false, "x"), (2, false, "")],
            )
        })
        .unwrap_err();
        assert_eq!(e.to_string(), "unknown option \"--alarm\"");
        let t: Idletimer = build_target(Family::V4, &opts).unwrap();
        assert_eq!(xt_target(&t, Family::V4).1, 1);
    }
}
