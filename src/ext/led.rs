//! `-j LED --led-trigger-id NAME [--led-delay MS|inf] [--led-always-blink]`
//! (`libxt_LED.c`): xt target `LED` revision 0, both families, `struct
//! xt_led_info { char id[27]; u8 always_blink; u32 delay; void
//! *internal_data (aligned 8); }`; `id` is `netfilter-NAME`, so NAME has
//! at most 16 bytes, and `inf` is delay `-1`. The kernel may lack the
//! module (`xt_LED`): then iptables warns when it loads the extension
//! and the kernel refuses the rule.

use super::value::strtoumax;
use super::{EncodeCx, FmtCx, OptHit, OptSpec, ParseCx, TargetExtT};
use crate::error::{param, DecodeError, Error};
use crate::ir::Expr;
use crate::model::bytes::{from_bytes, to_bytes};
use crate::model::Family;

/// the kernel's trigger name prefix
const PREFIX: &[u8] = b"netfilter-";
/// `sizeof(id)`
const ID_LEN: usize = 27;
/// the longest NAME: `sizeof(id) - sizeof("netfilter-")`
const NAME_MAX: usize = ID_LEN - PREFIX.len() - 1;

crate::xt_struct! {
    /// `struct xt_led_info`
    pub struct LedInfo { pub id: [u8; ID_LEN], pub always_blink: u8, pub delay: u32, pub internal_data: u64 }
}
const _: () = assert!(LedInfo::SIZE == 40);

/// The LED target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Led {
    /// `id`: `netfilter-` and the trigger name, NUL padded
    pub id: [u8; ID_LEN],
    /// `--led-always-blink`
    pub always_blink: u8,
    /// milliseconds (`u32::MAX`: `inf`)
    pub delay: u32,
}

impl Led {
    /// The trigger name: `id` after its prefix, with `"` and `\`
    /// escaped as iptables prints it.
    fn name_text(&self) -> String {
        let n = self.id.iter().position(|c| *c == 0).unwrap_or(ID_LEN);
        let name = from_bytes(self.id.get(PREFIX.len()..n).unwrap_or(&[])).into_owned();
        let mut out = String::with_capacity(name.len());
        for c in name.chars() {
            if c == '"' || c == '\\' {
                out.push('\\');
            }
            out.push(c);
        }
        out
    }
}

impl TargetExtT for Led {
    const NAME: &'static str = "LED";
    const OPTIONS: &'static [OptSpec] = &[
        OptSpec::value("led-trigger-id").no_inv().mandatory(),
        OptSpec::value("led-delay").no_inv(),
        OptSpec::flag("led-always-blink").no_inv(),
    ];

    fn build(hits: &[OptHit], _cx: &ParseCx) -> Result<Self, Error> {
        let mut t = Led {
            id: [0; ID_LEN],
            always_blink: 0,
            delay: 0,
        };
        for h in hits {
            match h.idx {
                0 => {
                    let name = to_bytes(h.arg());
                    if name.len() > NAME_MAX {
                        return Err(param(format!(
                            "Argument must have a maximum length of {NAME_MAX} characters\n"
                        )));
                    }
                    t.id = [0; ID_LEN];
                    t.id[..PREFIX.len()].copy_from_slice(PREFIX);
                    t.id[PREFIX.len()..PREFIX.len() + name.len()].copy_from_slice(&name);
                }
                1 => {
                    let a = h.arg();
                    t.delay = if a.get(..3).is_some_and(|p| p.eq_ignore_ascii_case("inf")) {
                        u32::MAX
                    } else {
                        // xtables_strtoui(arg, NULL, ..., 0, UINT32_MAX)
                        match strtoumax(a) {
                            Some((v, end)) if end == a.len() && v <= u64::from(u32::MAX) => {
                                v as u32
                            }
                            _ => {
                                return Err(param("Delay value must be within range 0..4294967295"))
                            }
                        }
                    };
                }
                _ => t.always_blink = 1,
            }
        }
        Ok(t)
    }

    fn save(&self, _cx: &FmtCx, out: &mut String) {
        out.push_str(&format!(" --led-trigger-id \"{}\"", self.name_text()));
        // (iptables tests the unsigned delay for `> 0` before `== -1` and
        // prints it with `%d`: `inf` saves as -1)
        if self.delay > 0 {
            out.push_str(&format!(" --led-delay {}", self.delay as i32));
        }
        if self.always_blink != 0 {
            out.push_str(" --led-always-blink");
        }
    }

    fn print(&self, _cx: &FmtCx, out: &mut String) {
        out.push_str(&format!(" led-trigger-id:\"{}\"", self.name_text()));
        if self.delay == u32::MAX {
            out.push_str(" led-delay:inf");
        } else {
            out.push_str(&format!(" led-delay:{}ms", self.delay as i32));
        }
        if self.always_blink != 0 {
            out.push_str(" led-always-blink");
        }
    }

    fn encode(&self, _cx: &EncodeCx, out: &mut Vec<Expr>) {
        out.push(Expr::Target {
            name: Self::NAME.into(),
            rev: 0,
            info: LedInfo {
                id: self.id,
                always_blink: self.always_blink,
                delay: self.delay,
                internal_data: 0,
            }
            .to_blob(),
        });
    }

    fn decode_blob(rev: u32, info: &[u8], _family: Family) -> Result<Self, DecodeError> {
        match (rev, LedInfo::from_blob(info)) {
            (0, Some(i)) if i.id.starts_with(PREFIX) => Ok(Led {
                id: i.id,
                always_blink: i.always_blink,
                delay: i.delay,
            }),
            _ => Err(DecodeError(format!(
                "LED target revision {rev} of {} bytes",
                info.len()
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ext::kit::build_target;

    fn texts(t: &Led) -> (String, String) {
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

    fn round_trip(t: &Led) -> Vec<u8> {
        let mut e = Vec::new();
        t.encode(
            &EncodeCx {
                family: Family::V4,
                proto: None,
            },
            &mut e,
        );
        let [Expr::Target { name, rev: 0, info }] = e.as_slice() else {
            panic!("{e:?}")
        };
        assert_eq!(name, "LED");
        assert_eq!(&Led::decode_blob(0, info, Family::V4).unwrap(), t);
        info.clone()
    }

    /// Texts, messages and the blob as `libxt_LED.c` makes them (this
    /// kernel has no `xt_LED`: 1.8.13 cannot list such a rule here; the
    /// messages are captured from it).
    #[test]
    fn like_1_8_13() {
        let t: Led = build_target(Family::V4, &[(0, false, "foo")]).unwrap();
        assert_eq!(
            texts(&t),
            (
                " --led-trigger-id \"foo\"".into(),
                " led-trigger-id:\"foo\" led-delay:0ms".into()
            )
        );
        let b = round_trip(&t);
        let mut want = vec![0u8; 40];
        want[..13].copy_from_slice(b"netfilter-foo");
        assert_eq!(b, want);

        let t: Led = build_target(
            Family::V6,
            &[(0, false, "a\"b\\"), (1, false, "42"), (2, false, "")],
        )
        .unwrap();
        assert_eq!(
            texts(&t),
            (
                " --led-trigger-id \"a\\\"b\\\\\" --led-delay 42 --led-always-blink".into(),
                " led-trigger-id:\"a\\\"b\\\\\" led-delay:42ms led-always-blink".into()
            )
        );
        let b = round_trip(&t);
        assert_eq!((b[27], &b[28..32]), (1, &42u32.to_ne_bytes()[..]));

        // `inf` (any case, any tail) and the release's save of it
        let t: Led = build_target(Family::V4, &[(0, false, "x"), (1, false, "INFinity")]).unwrap();
        assert_eq!(t.delay, u32::MAX);
        assert_eq!(
            texts(&t),
            (
                " --led-trigger-id \"x\" --led-delay -1".into(),
                " led-trigger-id:\"x\" led-delay:inf".into()
            )
        );
        let t: Led = build_target(Family::V4, &[(0, false, "x"), (1, false, "0x10")]).unwrap();
        assert_eq!(t.delay, 16);
        let t: Led = build_target(Family::V4, &[(0, false, "0123456789abcdef")]).unwrap();
        assert_eq!(&t.id[..], b"netfilter-0123456789abcdef\0");
        round_trip(&t);

        let err =
            |v: &[(usize, bool, &str)]| build_target::<Led>(Family::V4, v).unwrap_err().to_string();
        assert_eq!(
            err(&[(0, false, "0123456789abcdefg")]),
            "Argument must have a maximum length of 16 characters\n"
        );
        for bad in ["-1", "4294967296", "1x", ""] {
            assert_eq!(
                err(&[(0, false, "x"), (1, false, bad)]),
                "Delay value must be within range 0..4294967295",
                "{bad}"
            );
        }
        assert!(Led::decode_blob(0, &[0u8; 40], Family::V4).is_err());
        assert!(Led::decode_blob(1, &want, Family::V4).is_err());
    }
}
