//! `-m devgroup [!] --src-group VALUE[/MASK] [!] --dst-group VALUE[/MASK]`
//! (`libxt_devgroup.c`): xt match `devgroup` revision 0, both families,
//! `struct xt_devgroup_info { u32 flags, src_group, src_mask, dst_group,
//! dst_mask; }`. Values may be names from `/etc/iproute2/group`, and a
//! full-mask value prints as its name there (save too).

use super::realm::{parse_val_mask_in, read_lmap, val_mask_text};
use super::{EncodeCx, FmtCx, MatchExt, OptHit, OptSpec, ParseCx};
use crate::error::{param, DecodeError, Error};
use crate::ir::Expr;
use crate::model::Family;
use std::sync::OnceLock;

crate::xt_struct! {
    /// `struct xt_devgroup_info`
    pub struct DevgroupInfo { pub flags: u32, pub src_group: u32, pub src_mask: u32, pub dst_group: u32, pub dst_mask: u32 }
}
const _: () = assert!(DevgroupInfo::SIZE == 20);

/// `XT_DEVGROUP_MATCH_SRC`
const MATCH_SRC: u32 = 0x1;
/// `XT_DEVGROUP_INVERT_SRC`
const INVERT_SRC: u32 = 0x2;
/// `XT_DEVGROUP_MATCH_DST`
const MATCH_DST: u32 = 0x4;
/// `XT_DEVGROUP_INVERT_DST`
const INVERT_DST: u32 = 0x8;

/// The device group names iptables reads.
fn groups() -> Option<&'static [(u32, String)]> {
    static MAP: OnceLock<Option<Vec<(u32, String)>>> = OnceLock::new();
    MAP.get_or_init(|| read_lmap("/etc/iproute2/group"))
        .as_deref()
}

/// The devgroup match.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Devgroup {
    /// `XT_DEVGROUP_*` flags
    pub flags: u32,
    /// incoming device's group
    pub src_group: u32,
    /// its mask
    pub src_mask: u32,
    /// outgoing device's group
    pub dst_group: u32,
    /// its mask
    pub dst_mask: u32,
}

impl Devgroup {
    /// `devgroup_show`: the option prefix `pfx` (`--` in save), names
    /// when `names`.
    fn show(&self, pfx: &str, names: bool, out: &mut String) {
        let map = groups().filter(|_| names);
        for (on, inv, word, g, m) in [
            (
                MATCH_SRC,
                INVERT_SRC,
                "src-group",
                self.src_group,
                self.src_mask,
            ),
            (
                MATCH_DST,
                INVERT_DST,
                "dst-group",
                self.dst_group,
                self.dst_mask,
            ),
        ] {
            if self.flags & on != 0 {
                if self.flags & inv != 0 {
                    out.push_str(" !");
                }
                out.push_str(&format!(" {pfx}{word}"));
                val_mask_text(g, m, map, out);
            }
        }
    }
}

impl MatchExt for Devgroup {
    const NAME: &'static str = "devgroup";
    const OPTIONS: &'static [OptSpec] = &[OptSpec::value("src-group"), OptSpec::value("dst-group")];

    fn build(hits: &[OptHit], _cx: &ParseCx) -> Result<Self, Error> {
        let mut m = Devgroup {
            flags: 0,
            src_group: 0,
            src_mask: 0,
            dst_group: 0,
            dst_mask: 0,
        };
        for h in hits {
            let name = Self::OPTIONS[h.idx].name;
            let (g, mask) = parse_val_mask_in("devgroup", name, h.arg(), groups())?;
            if h.idx == 0 {
                (m.src_group, m.src_mask) = (g, mask);
                m.flags |= MATCH_SRC | if h.inv { INVERT_SRC } else { 0 };
            } else {
                (m.dst_group, m.dst_mask) = (g, mask);
                m.flags |= MATCH_DST | if h.inv { INVERT_DST } else { 0 };
            }
        }
        if hits.is_empty() {
            return Err(param(
                "devgroup match: You must specify either '--src-group' or '--dst-group'",
            ));
        }
        Ok(m)
    }

    fn save(&self, _cx: &FmtCx, out: &mut String) {
        // (save prints names too: iptables passes numeric 0)
        self.show("--", true, out);
    }

    fn print(&self, cx: &FmtCx, out: &mut String) {
        self.show("", !cx.numeric, out);
    }

    fn encode(&self, _cx: &EncodeCx, out: &mut Vec<Expr>) {
        out.push(Expr::Match {
            name: Self::NAME.into(),
            rev: 0,
            info: DevgroupInfo {
                flags: self.flags,
                src_group: self.src_group,
                src_mask: self.src_mask,
                dst_group: self.dst_group,
                dst_mask: self.dst_mask,
            }
            .to_blob(),
        });
    }

    fn decode_blob(rev: u32, info: &[u8], _family: Family) -> Result<Self, DecodeError> {
        match (rev, DevgroupInfo::from_blob(info)) {
            (0, Some(i)) => Ok(Devgroup {
                flags: i.flags,
                src_group: i.src_group,
                src_mask: i.src_mask,
                dst_group: i.dst_group,
                dst_mask: i.dst_mask,
            }),
            _ => Err(DecodeError(format!(
                "devgroup revision {rev} of {} bytes",
                info.len()
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ext::kit::{build_match, texts, xt_round_trip};

    /// Texts and messages as iptables 1.8.13 gives them (captured).
    #[test]
    fn like_1_8_13() {
        let cx = FmtCx {
            family: Family::V4,
            numeric: true,
            proto: None,
        };
        let m: Devgroup = build_match(Family::V4, &[(0, false, "1")]).unwrap();
        assert_eq!(
            texts(&m, &cx),
            (" --src-group 0x1".into(), " src-group 0x1".into())
        );
        assert_eq!(xt_round_trip(&m, Family::V4), (0, 24));
        let m: Devgroup = build_match(
            Family::V6,
            &[(0, true, "0x10/0xff"), (1, false, "4294967295")],
        )
        .unwrap();
        assert_eq!(m.flags, 0x7);
        assert_eq!(
            texts(&m, &cx),
            (
                " ! --src-group 0x10/0xff --dst-group 0xffffffff".into(),
                " ! src-group 0x10/0xff dst-group 0xffffffff".into()
            )
        );
        assert_eq!(xt_round_trip(&m, Family::V6), (0, 24));
        let err = |v: &[(usize, bool, &str)]| {
            build_match::<Devgroup>(Family::V4, v)
                .unwrap_err()
                .to_string()
        };
        assert_eq!(
            err(&[]),
            "devgroup match: You must specify either '--src-group' or '--dst-group'"
        );
        assert_eq!(
            err(&[(0, false, "1/")]),
            "devgroup: bad integer value for option \"--src-group\", or out of range.\n"
        );
        if groups().is_some() {
            assert_eq!(
                err(&[(1, false, "4294967296")]),
                "devgroup: could not map name 4294967296 to an integer value for option \"--dst-group\".\n"
            );
        }
    }
}
