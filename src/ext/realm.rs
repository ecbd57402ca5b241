//! `-m realm [!] --realm value[/mask]` (`libipt_realm.c`, IPv4 only): xt
//! match `realm` revision 0, `struct xt_realm_info`. Values may be names
//! from `/etc/iproute2/rt_realms`, and a full-mask value prints as its
//! name there.

use super::value::strtoumax;
use super::{EncodeCx, FmtCx, MatchExt, OptHit, OptSpec, ParseCx};
use crate::error::{param, DecodeError, Error};
use crate::ir::Expr;
use crate::model::Family;
use std::sync::OnceLock;

crate::xt_struct! {
    /// `struct xt_realm_info`
    pub struct RealmInfo { pub id: u32, pub mask: u32, pub invert: u8 }
}
const _: () = assert!(RealmInfo::SIZE == 12);

/// The file iptables reads realm names from.
const REALMS: &str = "/etc/iproute2/rt_realms";

/// The realm match.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Realm {
    /// realm
    pub id: u32,
    /// mask
    pub mask: u32,
    /// `!`
    pub invert: u8,
}

/// `xtables_lmap_init(REALMS)`, read once.
fn realm_map() -> Option<&'static [(u32, String)]> {
    static MAP: OnceLock<Option<Vec<(u32, String)>>> = OnceLock::new();
    MAP.get_or_init(|| read_lmap(REALMS)).as_deref()
}

/// `xtables_lmap_init(path)`: `(id, name)` pairs in file order (ids
/// 0..=255, decimal or `0x` hex, then a blank and a name); `None` without
/// the file. (Shared with devgroup's `/etc/iproute2/group`.)
pub(crate) fn read_lmap(path: &str) -> Option<Vec<(u32, String)>> {
    {
        let text = std::fs::read(path).ok()?;
        let mut map = Vec::new();
        for line in String::from_utf8_lossy(&text).lines() {
            let cur = line.trim_start();
            if cur.is_empty() || cur.starts_with('#') {
                continue;
            }
            let (digits, radix) = match cur.strip_prefix("0x") {
                Some(h) => (h, 16),
                None => (cur, 10),
            };
            let n = digits
                .find(|c: char| !c.is_digit(radix))
                .unwrap_or(digits.len());
            let Ok(id) = u32::from_str_radix(&digits[..n], radix) else {
                continue;
            };
            let rest = &digits[n..];
            if id > 255 || !rest.starts_with(|c: char| c.is_ascii_whitespace()) {
                continue;
            }
            let rest = rest.trim_start();
            if rest.is_empty() || rest.starts_with('#') {
                continue;
            }
            let name = rest
                .split(|c: char| c.is_ascii_whitespace())
                .next()
                .unwrap_or("");
            map.push((id, name.to_string()));
        }
        Some(map)
    }
}

/// `xtables_strtoui` with an end pointer over the whole u32 range.
fn u32_prefix(s: &str) -> Option<(u32, usize)> {
    if s.trim_start().starts_with('-') {
        return None;
    }
    let (v, end) = strtoumax(s)?;
    u32::try_from(v).ok().map(|v| (v, end))
}

/// `xtables_parse_val_mask` with the realm names.
fn parse_val_mask(arg: &str) -> Result<(u32, u32), Error> {
    parse_val_mask_in("realm", "realm", arg, realm_map())
}

/// `xtables_parse_val_mask` for option `--opt` of extension `ext`, names
/// from `map` (an lmap file's; `None`: numbers only).
pub(crate) fn parse_val_mask_in(
    ext: &str,
    opt: &str,
    arg: &str,
    map: Option<&[(u32, String)]>,
) -> Result<(u32, u32), Error> {
    let bad = || {
        param(format!(
            "{ext}: bad integer value for option \"--{opt}\", or out of range.\n"
        ))
    };
    let garbage = || {
        param(format!(
            "{ext}: trailing garbage after value for option \"--{opt}\".\n"
        ))
    };
    let by_name = || {
        map.and_then(|m| m.iter().find(|(_, n)| n == arg))
            .map(|(id, _)| (*id, u32::MAX))
            .ok_or_else(|| {
                param(format!(
                    "{ext}: could not map name {arg} to an integer value for option \"--{opt}\".\n"
                ))
            })
    };
    let Some((val, end)) = u32_prefix(arg) else {
        return if map.is_some() { by_name() } else { Err(bad()) };
    };
    let rest = &arg[end..];
    if rest.is_empty() {
        return Ok((val, u32::MAX));
    }
    if !rest.starts_with('/') {
        return if map.is_some() {
            by_name()
        } else {
            Err(garbage())
        };
    }
    let (mask, end) = u32_prefix(&rest[1..]).ok_or_else(bad)?;
    if end + 1 != rest.len() {
        return Err(garbage());
    }
    Ok((val, mask))
}

/// `xtables_print_val_mask`: ` 0xV/0xM`, or for a full mask ` NAME` (from
/// `map`) or ` 0xV`.
pub(crate) fn val_mask_text(id: u32, mask: u32, map: Option<&[(u32, String)]>, out: &mut String) {
    if mask != u32::MAX {
        out.push_str(&format!(" {id:#x}/{mask:#x}"));
        return;
    }
    match map.and_then(|m| m.iter().find(|(i, _)| *i == id)) {
        Some((_, n)) => out.push_str(&format!(" {n}")),
        None => out.push_str(&format!(" {id:#x}")),
    }
}

impl MatchExt for Realm {
    const NAME: &'static str = "realm";
    const FAMILIES: &'static [Family] = &[Family::V4];
    const OPTIONS: &'static [OptSpec] = &[OptSpec::value("realm").mandatory()];

    fn build(hits: &[OptHit], _cx: &ParseCx) -> Result<Self, Error> {
        let mut m = Realm {
            id: 0,
            mask: 0,
            invert: 0,
        };
        for h in hits {
            (m.id, m.mask) = parse_val_mask(h.arg())?;
            if h.inv {
                m.invert = 1;
            }
        }
        Ok(m)
    }

    fn save(&self, _cx: &FmtCx, out: &mut String) {
        if self.invert != 0 {
            out.push_str(" !");
        }
        out.push_str(" --realm");
        self.val_mask(true, out);
    }

    fn print(&self, cx: &FmtCx, out: &mut String) {
        if self.invert != 0 {
            out.push_str(" !");
        }
        out.push_str(" realm");
        self.val_mask(!cx.numeric, out);
    }

    fn encode(&self, _cx: &EncodeCx, out: &mut Vec<Expr>) {
        out.push(Expr::Match {
            name: Self::NAME.into(),
            rev: 0,
            info: RealmInfo {
                id: self.id,
                mask: self.mask,
                invert: self.invert,
            }
            .to_blob(),
        });
    }

    fn decode_blob(rev: u32, info: &[u8], _family: Family) -> Result<Self, DecodeError> {
        match (rev, RealmInfo::from_blob(info)) {
            (0, Some(i)) => Ok(Realm {
                id: i.id,
                mask: i.mask,
                invert: i.invert,
            }),
            _ => Err(DecodeError(format!(
                "realm revision {rev} of {} bytes",
                info.len()
            ))),
        }
    }
}

impl Realm {
    /// `xtables_print_val_mask`.
    fn val_mask(&self, names: bool, out: &mut String) {
        val_mask_text(self.id, self.mask, realm_map().filter(|_| names), out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ext::kit::{build_match, texts, xt_round_trip};

    #[test]
    fn like_1_8_13() {
        let cx = FmtCx {
            family: Family::V4,
            numeric: true,
            proto: None,
        };
        let m: Realm = build_match(Family::V4, &[(0, true, "0x1/0x2a")]).unwrap();
        assert_eq!(
            texts(&m, &cx),
            (" ! --realm 0x1/0x2a".into(), " ! realm 0x1/0x2a".into())
        );
        assert_eq!(xt_round_trip(&m, Family::V4), (0, 16));
        let m: Realm = build_match(Family::V4, &[(0, false, "42")]).unwrap();
        assert_eq!((m.id, m.mask), (42, u32::MAX));
    }
}
