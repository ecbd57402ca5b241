//! `-m physdev [!] --physdev-in NAME[+] [!] --physdev-out NAME[+] [!]
//! --physdev-is-in [!] --physdev-is-out [!] --physdev-is-bridged`
//! (`libxt_physdev.c`): xt match `physdev` revision 0, `struct
//! xt_physdev_info` (names with `xtables_parse_interface`'s masks).

use super::{EncodeCx, FmtCx, MatchExt, OptHit, OptSpec, ParseCx};
use crate::error::{param, DecodeError, Error};
use crate::ir::Expr;
use crate::model::Family;

crate::xt_struct! {
    /// `struct xt_physdev_info`
    pub struct PhysdevInfo {
        pub physindev: [u8; 16], pub in_mask: [u8; 16],
        pub physoutdev: [u8; 16], pub out_mask: [u8; 16],
        pub invert: u8, pub bitmask: u8,
    }
}
const _: () = assert!(PhysdevInfo::SIZE == 66);

/// `XT_PHYSDEV_OP_IN`
const IN: u8 = 1;
/// `XT_PHYSDEV_OP_OUT`
const OUT: u8 = 2;
/// `XT_PHYSDEV_OP_BRIDGED`
const BRIDGED: u8 = 4;
/// `XT_PHYSDEV_OP_ISIN`
const ISIN: u8 = 8;
/// `XT_PHYSDEV_OP_ISOUT`
const ISOUT: u8 = 16;

/// The physdev match: the kernel struct (boxed, it is 66 bytes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Physdev(pub Box<PhysdevInfo>);

/// `xtables_parse_interface`: the name and its mask (`+` at the end
/// matches any suffix; otherwise the terminating NUL is compared too).
fn parse_interface(arg: &str) -> Result<([u8; 16], [u8; 16]), Error> {
    let b = crate::model::bytes::to_bytes(arg);
    if b.len() + 1 > 16 {
        return Err(param(format!(
            "interface name `{arg}' must be shorter than IFNAMSIZ (15)"
        )));
    }
    let (mut name, mut mask) = ([0u8; 16], [0u8; 16]);
    name[..b.len()].copy_from_slice(&b);
    match b.last() {
        None => {}
        Some(b'+') => mask[..b.len() - 1].fill(0xff),
        Some(_) => {
            mask[..b.len() + 1].fill(0xff);
            if b.iter().any(|c| *c == b'/' || *c == b' ') {
                crate::error::warn(format_args!(
                    "Warning: weird character in interface `{arg}' ('/' and ' ' are not allowed by the kernel)."
                ));
            }
        }
    }
    Ok((name, mask))
}

/// A C string in a fixed array.
fn c_str(a: &[u8]) -> String {
    let n = a.iter().position(|c| *c == 0).unwrap_or(a.len());
    crate::model::bytes::from_bytes(&a[..n]).into_owned()
}

impl MatchExt for Physdev {
    const NAME: &'static str = "physdev";
    const OPTIONS: &'static [OptSpec] = &[
        OptSpec::value("physdev-in"),
        OptSpec::value("physdev-out"),
        OptSpec::flag("physdev-is-in"),
        OptSpec::flag("physdev-is-out"),
        OptSpec::flag("physdev-is-bridged"),
    ];

    fn build(hits: &[OptHit], _cx: &ParseCx) -> Result<Self, Error> {
        let mut i = PhysdevInfo {
            physindev: [0; 16],
            in_mask: [0; 16],
            physoutdev: [0; 16],
            out_mask: [0; 16],
            invert: 0,
            bitmask: 0,
        };
        for h in hits {
            let bit = [IN, OUT, ISIN, ISOUT, BRIDGED][h.idx.min(4)];
            match h.idx {
                0 => (i.physindev, i.in_mask) = parse_interface(h.arg())?,
                1 => (i.physoutdev, i.out_mask) = parse_interface(h.arg())?,
                _ => {}
            }
            i.bitmask |= bit;
            if h.inv {
                i.invert |= bit;
            }
        }
        if i.bitmask == 0 {
            return Err(param("PHYSDEV: no physdev option specified"));
        }
        Ok(Physdev(Box::new(i)))
    }

    fn save(&self, _cx: &FmtCx, out: &mut String) {
        let i = &self.0;
        for bit in [ISIN, IN, ISOUT, OUT, BRIDGED] {
            if i.bitmask & bit == 0 {
                continue;
            }
            if i.invert & bit != 0 {
                out.push_str(" !");
            }
            out.push_str(match bit {
                ISIN => " --physdev-is-in",
                IN => " --physdev-in ",
                ISOUT => " --physdev-is-out",
                OUT => " --physdev-out ",
                _ => " --physdev-is-bridged",
            });
            match bit {
                IN => out.push_str(&c_str(&i.physindev)),
                OUT => out.push_str(&c_str(&i.physoutdev)),
                _ => {}
            }
        }
    }

    fn print(&self, cx: &FmtCx, out: &mut String) {
        out.push_str(" PHYSDEV match");
        self.save(cx, out);
    }

    fn encode(&self, _cx: &EncodeCx, out: &mut Vec<Expr>) {
        out.push(Expr::Match {
            name: Self::NAME.into(),
            rev: 0,
            info: self.0.to_blob(),
        });
    }

    fn decode_blob(rev: u32, info: &[u8], _family: Family) -> Result<Self, DecodeError> {
        PhysdevInfo::from_blob(info)
            .filter(|i| rev == 0 && (i.bitmask | i.invert) & !0x1f == 0)
            .map(|i| Physdev(Box::new(i)))
            .ok_or_else(|| DecodeError(format!("physdev revision {rev} of {} bytes", info.len())))
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
        for (v, saved) in [
            (&[(0, false, "lo")][..], " --physdev-in lo"),
            (
                &[(0, true, "eth+"), (2, true, ""), (4, true, "")][..],
                " ! --physdev-is-in ! --physdev-in eth+ ! --physdev-is-bridged",
            ),
            (
                &[(4, false, ""), (1, false, "br0"), (3, true, "")][..],
                " ! --physdev-is-out --physdev-out br0 --physdev-is-bridged",
            ),
        ] {
            let p: Physdev = build_match(Family::V4, v).unwrap();
            assert_eq!(
                texts(&p, &cx),
                (saved.to_string(), format!(" PHYSDEV match{saved}"))
            );
            assert_eq!(xt_round_trip(&p, Family::V4), (0, 72));
        }
        let p: Physdev = build_match(Family::V4, &[(0, false, "eth+")]).unwrap();
        assert_eq!(&p.0.in_mask[..4], &[0xff, 0xff, 0xff, 0]);
        let p: Physdev = build_match(Family::V4, &[(0, false, "eth")]).unwrap();
        assert_eq!(&p.0.in_mask[..5], &[0xff, 0xff, 0xff, 0xff, 0]);
        let msg = |v: &[(usize, bool, &str)]| {
            build_match::<Physdev>(Family::V4, v)
                .unwrap_err()
                .to_string()
        };
        assert_eq!(msg(&[]), "PHYSDEV: no physdev option specified");
        assert_eq!(
            msg(&[(0, false, "abcdefghijklmnop")]),
            "interface name `abcdefghijklmnop' must be shorter than IFNAMSIZ (15)"
        );
    }
}
