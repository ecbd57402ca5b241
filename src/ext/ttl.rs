//! `-m ttl [!] --ttl-eq N | --ttl-lt N | --ttl-gt N` (`libipt_ttl.c`,
//! IPv4) and its IPv6 twin `-m hl [!] --hl-eq N | --hl-lt N | --hl-gt N`
//! (`libip6t_hl.c`): xt matches `ttl` and `hl` revision 0, `struct
//! ipt_ttl_info` / `struct ip6t_hl_info { u8 mode, value; }`. `--ttl`
//! (`--hl`) is another name of `--ttl-eq` (`--hl-eq`): same option id, so
//! iptables treats it as that option, `!` included.

use super::header_kit::{excl_by_id, uint_opt};
use super::{EncodeCx, FmtCx, MatchExt, OptHit, OptSpec, ParseCx, ValueKind};
use crate::error::{param, DecodeError, Error};
use crate::ir::Expr;
use crate::model::Family;

/// `XTTYPE_UINT8`
const U8: ValueKind = ValueKind::UInt(0, 255);

crate::xt_struct! {
    /// `struct ipt_ttl_info` / `struct ip6t_hl_info`
    pub struct TtlInfo { pub mode: u8, pub value: u8 }
}
const _: () = assert!(TtlInfo::SIZE == 2);

/// The comparison (`IPT_TTL_EQ`, `_NE`, `_LT`, `_GT`; the same values as
/// `IP6T_HL_*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cmp {
    /// `--ttl-eq`
    Eq = 0,
    /// `! --ttl-eq`
    Ne = 1,
    /// `--ttl-lt`
    Lt = 2,
    /// `--ttl-gt`
    Gt = 3,
}

/// What tells `ttl` and `hl` apart: names and texts.
struct Names {
    ext: &'static str,
    /// option prefix and list label (`ttl`/`TTL`, `hl`/`HL`)
    opt: &'static str,
    label: &'static str,
    /// `x6_fcheck`'s message when no option was given
    missing: &'static str,
}

/// The options, as both tables have them: lt, gt, eq (id 1, 2, 0).
const fn options(
    lt: &'static str,
    gt: &'static str,
    eq: &'static str,
    alias: &'static str,
) -> [OptSpec; 3] {
    [
        OptSpec::value(lt).no_inv().kind(U8),
        OptSpec::value(gt).no_inv().kind(U8),
        OptSpec::value(eq).alias(alias).kind(U8),
    ]
}

fn build(n: &Names, options: &[OptSpec], hits: &[OptHit]) -> Result<(Cmp, u8), Error> {
    let mut r = (Cmp::Eq, 0);
    for h in hits {
        let value = uint_opt(n.ext, options[h.idx].name, h.arg(), 0, 255)? as u8;
        r = match (h.idx, h.inv) {
            (0, _) => (Cmp::Lt, value),
            (1, _) => (Cmp::Gt, value),
            (_, false) => (Cmp::Eq, value),
            (_, true) => (Cmp::Ne, value),
        };
    }
    if hits.is_empty() {
        return Err(param(n.missing));
    }
    let given = |i: usize| hits.iter().any(|h| h.idx == i);
    excl_by_id(
        n.ext,
        &[
            (options[0].name, 1, given(0)),
            (options[1].name, 2, given(1)),
            (options[2].name, 0, given(2)),
        ],
    )?;
    Ok(r)
}

fn save(n: &Names, cmp: Cmp, value: u8, out: &mut String) {
    let o = n.opt;
    out.push_str(&match cmp {
        Cmp::Eq => format!(" --{o}-eq {value}"),
        Cmp::Ne => format!(" ! --{o}-eq {value}"),
        Cmp::Lt => format!(" --{o}-lt {value}"),
        Cmp::Gt => format!(" --{o}-gt {value}"),
    });
}

fn print(n: &Names, cmp: Cmp, value: u8, out: &mut String) {
    let op = match cmp {
        Cmp::Eq => "==",
        Cmp::Ne => "!=",
        Cmp::Lt => "<",
        Cmp::Gt => ">",
    };
    let l = n.label;
    out.push_str(&format!(" {l} match {l} {op} {value}"));
}

fn encode(name: &str, cmp: Cmp, value: u8, out: &mut Vec<Expr>) {
    out.push(Expr::Match {
        name: name.into(),
        rev: 0,
        info: TtlInfo {
            mode: cmp as u8,
            value,
        }
        .to_blob(),
    });
}

fn decode(name: &str, rev: u32, info: &[u8]) -> Result<(Cmp, u8), DecodeError> {
    let i = TtlInfo::from_blob(info)
        .filter(|_| rev == 0)
        .ok_or_else(|| DecodeError(format!("{name} revision {rev} of {} bytes", info.len())))?;
    let cmp = match i.mode {
        0 => Cmp::Eq,
        1 => Cmp::Ne,
        2 => Cmp::Lt,
        3 => Cmp::Gt,
        m => return Err(DecodeError(format!("{name} mode {m}"))),
    };
    Ok((cmp, i.value))
}

macro_rules! hop_match {
    ($(#[$m:meta])* $ty:ident, $names:expr, $family:expr, $opts:expr) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub struct $ty {
            /// comparison
            pub cmp: Cmp,
            /// value compared with
            pub value: u8,
        }

        impl $ty {
            const N: Names = $names;
        }

        impl MatchExt for $ty {
            const NAME: &'static str = Self::N.ext;
            const OPTIONS: &'static [OptSpec] = &$opts;
            const FAMILIES: &'static [Family] = &[$family];

            fn build(hits: &[OptHit], _cx: &ParseCx) -> Result<Self, Error> {
                let (cmp, value) = build(&Self::N, Self::OPTIONS, hits)?;
                Ok($ty { cmp, value })
            }

            fn save(&self, _cx: &FmtCx, out: &mut String) {
                save(&Self::N, self.cmp, self.value, out)
            }

            fn print(&self, _cx: &FmtCx, out: &mut String) {
                print(&Self::N, self.cmp, self.value, out)
            }

            fn encode(&self, _cx: &EncodeCx, out: &mut Vec<Expr>) {
                encode(Self::NAME, self.cmp, self.value, out)
            }

            fn decode_blob(rev: u32, info: &[u8], _family: Family) -> Result<Self, DecodeError> {
                let (cmp, value) = decode(Self::NAME, rev, info)?;
                Ok($ty { cmp, value })
            }
        }
    };
}

hop_match!(
    /// The ttl match (IPv4).
    Ttl,
    Names {
        ext: "ttl",
        opt: "ttl",
        label: "TTL",
        missing: "TTL match: You must specify one of `--ttl-eq', `--ttl-lt', `--ttl-gt",
    },
    Family::V4,
    options("ttl-lt", "ttl-gt", "ttl-eq", "ttl")
);

hop_match!(
    /// The hl match (IPv6).
    Hl,
    Names {
        ext: "hl",
        opt: "hl",
        label: "HL",
        missing: "HL match: You must specify one of `--hl-eq', `--hl-lt', `--hl-gt'",
    },
    Family::V6,
    options("hl-lt", "hl-gt", "hl-eq", "hl")
);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ext::kit::{build_match, texts, xt_round_trip};

    /// Text and messages as iptables 1.8.13 prints them (captured).
    #[test]
    fn like_1_8_13() {
        let cx = FmtCx {
            family: Family::V4,
            numeric: true,
            proto: None,
        };
        for (idx, inv, arg, saved, listed) in [
            (2, false, "0", " --ttl-eq 0", " TTL match TTL == 0"),
            (2, true, "255", " ! --ttl-eq 255", " TTL match TTL != 255"),
            (0, false, "0x10", " --ttl-lt 16", " TTL match TTL < 16"),
            (1, false, " 1", " --ttl-gt 1", " TTL match TTL > 1"),
        ] {
            let t: Ttl = build_match(Family::V4, &[(idx, inv, arg)]).unwrap();
            assert_eq!(texts(&t, &cx), (saved.to_string(), listed.to_string()));
            assert_eq!(xt_round_trip(&t, Family::V4), (0, 8));
            let h: Hl = build_match(Family::V6, &[(idx, inv, arg)]).unwrap();
            let (s, l) = texts(&h, &cx);
            assert_eq!(s, saved.replace("ttl", "hl"));
            assert_eq!(l, listed.replace("TTL", "HL"));
            assert_eq!(xt_round_trip(&h, Family::V6), (0, 8));
        }
        let msg =
            |v: &[(usize, bool, &str)]| build_match::<Ttl>(Family::V4, v).unwrap_err().to_string();
        assert_eq!(
            msg(&[]),
            "TTL match: You must specify one of `--ttl-eq', `--ttl-lt', `--ttl-gt"
        );
        assert_eq!(
            msg(&[(2, false, "256")]),
            "ttl: bad value for option \"--ttl-eq\", or out of range (0-255).\n"
        );
        assert_eq!(
            msg(&[(2, false, "1"), (1, false, "2")]),
            "ttl: option \"--ttl-gt\" cannot be used together with \"--ttl-eq\".\n"
        );
        assert_eq!(
            msg(&[(0, false, "1"), (1, false, "2"), (2, false, "3")]),
            "ttl: option \"--ttl-lt\" cannot be used together with \"--ttl-eq\".\n"
        );
        assert_eq!(
            build_match::<Hl>(Family::V6, &[]).unwrap_err().to_string(),
            "HL match: You must specify one of `--hl-eq', `--hl-lt', `--hl-gt'"
        );
    }
}
