//! `-j TTL --ttl-set N | --ttl-dec N | --ttl-inc N` (`libipt_TTL.c`,
//! IPv4) and its IPv6 twin `-j HL --hl-set | --hl-dec | --hl-inc`
//! (`libip6t_HL.c`): xt targets `TTL` and `HL` revision 0, `struct
//! ipt_TTL_info` / `struct ip6t_HL_info { u8 mode, value; }`.

use super::header_kit::{excl_by_id, uint_opt};
use super::{EncodeCx, FmtCx, OptHit, OptSpec, ParseCx, TargetExtT, ValueKind};
use crate::error::{param, DecodeError, Error};
use crate::ir::Expr;
use crate::model::Family;

crate::xt_struct! {
    /// `struct ipt_TTL_info` / `struct ip6t_HL_info`
    pub struct TtlTgInfo { pub mode: u8, pub value: u8 }
}
const _: () = assert!(TtlTgInfo::SIZE == 2);

/// The action (`IPT_TTL_SET`, `_INC`, `_DEC`; the same values as
/// `IP6T_HL_*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// `--ttl-set`
    Set = 0,
    /// `--ttl-inc`
    Inc = 1,
    /// `--ttl-dec`
    Dec = 2,
}

/// The options, as both tables have them: set, dec, inc (ids 0, 2, 1);
/// dec and inc take 1 at least.
const fn options(set: &'static str, dec: &'static str, inc: &'static str) -> [OptSpec; 3] {
    [
        OptSpec::value(set).no_inv().kind(ValueKind::UInt(0, 255)),
        OptSpec::value(dec).no_inv().kind(ValueKind::UInt(1, 255)),
        OptSpec::value(inc).no_inv().kind(ValueKind::UInt(1, 255)),
    ]
}

fn build(ext: &str, options: &[OptSpec], hits: &[OptHit]) -> Result<(Action, u8), Error> {
    let mut r = (Action::Set, 0);
    for h in hits {
        let (action, min) = match h.idx {
            0 => (Action::Set, 0),
            1 => (Action::Dec, 1),
            _ => (Action::Inc, 1),
        };
        r = (
            action,
            uint_opt(ext, options[h.idx].name, h.arg(), min, 255)? as u8,
        );
    }
    if hits.is_empty() {
        return Err(param(format!("{ext}: You must specify an action")));
    }
    let given = |i: usize| hits.iter().any(|h| h.idx == i);
    excl_by_id(
        ext,
        &[
            (options[0].name, 0, given(0)),
            (options[1].name, 2, given(1)),
            (options[2].name, 1, given(2)),
        ],
    )?;
    Ok(r)
}

fn decode(name: &str, rev: u32, info: &[u8]) -> Result<(Action, u8), DecodeError> {
    let i = TtlTgInfo::from_blob(info)
        .filter(|_| rev == 0)
        .ok_or_else(|| DecodeError(format!("{name} revision {rev} of {} bytes", info.len())))?;
    let action = match i.mode {
        0 => Action::Set,
        1 => Action::Inc,
        2 => Action::Dec,
        m => return Err(DecodeError(format!("{name} mode {m}"))),
    };
    Ok((action, i.value))
}

macro_rules! hop_target {
    ($(#[$m:meta])* $ty:ident, $name:literal, $opt:literal, $family:expr) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub struct $ty {
            /// what is done
            pub action: Action,
            /// with this value
            pub value: u8,
        }

        impl TargetExtT for $ty {
            const NAME: &'static str = $name;
            const OPTIONS: &'static [OptSpec] =
                &options(concat!($opt, "-set"), concat!($opt, "-dec"), concat!($opt, "-inc"));
            const FAMILIES: &'static [Family] = &[$family];

            fn build(hits: &[OptHit], _cx: &ParseCx) -> Result<Self, Error> {
                let (action, value) = build(Self::NAME, Self::OPTIONS, hits)?;
                Ok($ty { action, value })
            }

            fn save(&self, _cx: &FmtCx, out: &mut String) {
                let verb = match self.action {
                    Action::Set => "set",
                    Action::Inc => "inc",
                    Action::Dec => "dec",
                };
                out.push_str(&format!(concat!(" --", $opt, "-{} {}"), verb, self.value));
            }

            fn print(&self, _cx: &FmtCx, out: &mut String) {
                let what = match self.action {
                    Action::Set => "set to",
                    Action::Inc => "increment by",
                    Action::Dec => "decrement by",
                };
                out.push_str(&format!(concat!(" ", $name, " {} {}"), what, self.value));
            }

            fn encode(&self, _cx: &EncodeCx, out: &mut Vec<Expr>) {
                out.push(Expr::Target {
                    name: Self::NAME.into(),
                    rev: 0,
                    info: TtlTgInfo {
                        mode: self.action as u8,
                        value: self.value,
                    }
                    .to_blob(),
                });
            }

            fn decode_blob(rev: u32, info: &[u8], _family: Family) -> Result<Self, DecodeError> {
                let (action, value) = decode(Self::NAME, rev, info)?;
                Ok($ty { action, value })
            }
        }
    };
}

hop_target!(
    /// The TTL target (IPv4).
    TtlTarget,
    "TTL",
    "ttl",
    Family::V4
);

hop_target!(
    /// The HL target (IPv6).
    HlTarget,
    "HL",
    "hl",
    Family::V6
);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ext::kit::build_target;

    /// Text and messages as iptables 1.8.13 prints them (captured).
    #[test]
    fn like_1_8_13() {
        let cx = FmtCx {
            family: Family::V4,
            numeric: true,
            proto: None,
        };
        for (idx, arg, saved, listed, mode) in [
            (0, "42", " --ttl-set 42", " TTL set to 42", 0),
            (1, "1", " --ttl-dec 1", " TTL decrement by 1", 2),
            (2, "0x20", " --ttl-inc 32", " TTL increment by 32", 1),
        ] {
            let t: TtlTarget = build_target(Family::V4, &[(idx, false, arg)]).unwrap();
            let h: HlTarget = build_target(Family::V6, &[(idx, false, arg)]).unwrap();
            let (mut s, mut l, mut s6, mut l6) =
                (String::new(), String::new(), String::new(), String::new());
            t.save(&cx, &mut s);
            t.print(&cx, &mut l);
            h.save(&cx, &mut s6);
            h.print(&cx, &mut l6);
            assert_eq!((s.as_str(), l.as_str()), (saved, listed));
            assert_eq!(s6, saved.replace("ttl", "hl"));
            assert_eq!(l6, listed.replace("TTL", "HL"));
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
            assert_eq!(info[..2], [mode, t.value]);
            assert_eq!(TtlTarget::decode_blob(0, info, Family::V4).unwrap(), t);
        }
        let msg = |v: &[(usize, bool, &str)]| {
            build_target::<TtlTarget>(Family::V4, v)
                .unwrap_err()
                .to_string()
        };
        assert_eq!(msg(&[]), "TTL: You must specify an action");
        assert_eq!(
            msg(&[(2, false, "0")]),
            "TTL: bad value for option \"--ttl-inc\", or out of range (1-255).\n"
        );
        assert_eq!(
            msg(&[(2, false, "1"), (0, false, "1")]),
            "TTL: option \"--ttl-set\" cannot be used together with \"--ttl-inc\".\n"
        );
    }
}
