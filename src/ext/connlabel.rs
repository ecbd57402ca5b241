//! `-m connlabel [!] --label name|bit [--set]` (`libxt_connlabel.c`): xt
//! match `connlabel` revision 0, `struct xt_connlabel_mtinfo { u16 bit,
//! options; }`. Names come from libnetfilter_conntrack's label map,
//! `/etc/xtables/connlabel.conf` (`bit name` lines); without the file
//! iptables warns on stderr each time it looks a name up.

use super::value::strtoumax;
use super::{EncodeCx, FmtCx, MatchExt, OptHit, OptSpec, ParseCx};
use crate::error::{param, DecodeError, Error};
use crate::ir::Expr;
use crate::model::Family;
use std::sync::OnceLock;

crate::xt_struct! {
    /// `struct xt_connlabel_mtinfo`
    pub struct ConnlabelInfo { pub bit: u16, pub options: u16 }
}
const _: () = assert!(ConnlabelInfo::SIZE == 4);

/// `XT_CONNLABEL_OP_INVERT`
const OP_INVERT: u16 = 1;
/// `XT_CONNLABEL_OP_SET`
const OP_SET: u16 = 2;
/// libnetfilter_conntrack's `CONNLABEL_CFG`
const CFG: &str = "/etc/xtables/connlabel.conf";
/// libnetfilter_conntrack's `MAX_BITS`
const MAX_BITS: u64 = 1024;

/// The connlabel match.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Connlabel {
    /// label bit
    pub bit: u16,
    /// `XT_CONNLABEL_OP_*`
    pub options: u16,
}

/// Why the label map is not there.
enum MapError {
    /// the file could not be opened (`strerror` text)
    Open(String),
    /// the file holds no usable label
    Empty,
}

/// The label map (`bit -> name`), read once, as `nfct_labelmap_new` reads
/// it: `#` lines skipped, a number below 1024 then the name (blanks
/// trimmed; letters, digits, blank and `-` only), first of a bit or name
/// kept.
fn label_map() -> &'static Result<Vec<(u16, String)>, MapError> {
    static MAP: OnceLock<Result<Vec<(u16, String)>, MapError>> = OnceLock::new();
    MAP.get_or_init(|| {
        let text = std::fs::read(CFG).map_err(|e| {
            let s = e.to_string();
            MapError::Open(match s.find(" (os error") {
                Some(i) => s[..i].to_string(),
                None => s,
            })
        })?;
        let mut map: Vec<(u16, String)> = Vec::new();
        for line in String::from_utf8_lossy(&text).lines() {
            if line.starts_with('#') {
                continue;
            }
            let Some((bit, end)) = strtoumax(line).filter(|(v, _)| *v < MAX_BITS) else {
                continue;
            };
            let blank = |c: char| matches!(c, ' ' | '\x0c' | '\r' | '\t' | '\x0b');
            let name = line[end..].trim_matches(blank);
            let sane = name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == ' ' || c == '-');
            if name.is_empty()
                || !sane
                || map.iter().any(|(b, n)| u64::from(*b) == bit || n == name)
            {
                continue;
            }
            map.push((bit as u16, name.to_string()));
        }
        if map.is_empty() {
            Err(MapError::Empty)
        } else {
            Ok(map)
        }
    })
}

/// `connlabel_open`: the map, or `None` after iptables' warning (a missing
/// file) or error (no labels in it).
fn open_map() -> Result<Option<&'static [(u16, String)]>, Error> {
    match label_map() {
        Ok(m) => Ok(Some(m)),
        Err(MapError::Open(e)) => {
            crate::error::warn(format_args!("Warning: cannot open {CFG}: {e}"));
            Ok(None)
        }
        Err(MapError::Empty) => Err(Error::Resource(format!(
            "cannot parse {CFG}: no labels found"
        ))),
    }
}

/// `connlabel_get_name`: the name of a bit, if the map has one.
fn name_of(bit: u16) -> Option<&'static str> {
    let map = open_map().ok().flatten()?;
    map.iter().find(|(b, _)| *b == bit).map(|(_, n)| n.as_str())
}

impl MatchExt for Connlabel {
    const NAME: &'static str = "connlabel";
    const OPTIONS: &'static [OptSpec] = &[
        OptSpec::value("label").mandatory(),
        OptSpec::flag("set").no_inv(),
    ];

    fn build(hits: &[OptHit], _cx: &ParseCx) -> Result<Self, Error> {
        let mut m = Connlabel { bit: 0, options: 0 };
        for h in hits {
            if h.idx == 1 {
                m.options |= OP_SET;
                continue;
            }
            let a = h.arg();
            if a.is_empty() {
                return Err(param(
                    "Argument must have a minimum length of 1 characters\n",
                ));
            }
            // strtoul's value taken as an int: negative ones are names
            let mut bit = strtoumax(a)
                .filter(|(_, end)| *end == a.len())
                .map_or(-1, |(v, _)| v as i32);
            if bit < 0 {
                if let Some(map) = open_map()? {
                    if let Some((b, _)) = map.iter().find(|(_, n)| n == a) {
                        bit = i32::from(*b);
                    }
                }
            }
            if bit < 0 {
                return Err(param(format!("label '{a}' not found or invalid value")));
            }
            m.bit = bit as u16;
            if h.inv {
                m.options |= OP_INVERT;
            }
        }
        Ok(m)
    }

    fn save(&self, _cx: &FmtCx, out: &mut String) {
        if self.options & OP_INVERT != 0 {
            out.push_str(" !");
        }
        match name_of(self.bit) {
            Some(n) => out.push_str(&format!(" --label \"{n}\"")),
            None => out.push_str(&format!(" --label \"{}\"", self.bit)),
        }
        if self.options & OP_SET != 0 {
            out.push_str(" --set");
        }
    }

    fn print(&self, cx: &FmtCx, out: &mut String) {
        let name = name_of(self.bit);
        out.push_str(" connlabel");
        if self.options & OP_INVERT != 0 {
            out.push_str(" !");
        }
        match name {
            Some(n) if !cx.numeric => out.push_str(&format!(" '{n}'")),
            _ => out.push_str(&format!(" {}", self.bit)),
        }
        if self.options & OP_SET != 0 {
            out.push_str(" set");
        }
    }

    fn encode(&self, _cx: &EncodeCx, out: &mut Vec<Expr>) {
        out.push(Expr::Match {
            name: Self::NAME.into(),
            rev: 0,
            info: ConnlabelInfo {
                bit: self.bit,
                options: self.options,
            }
            .to_blob(),
        });
    }

    fn decode_blob(rev: u32, info: &[u8], _family: Family) -> Result<Self, DecodeError> {
        match (rev, ConnlabelInfo::from_blob(info)) {
            (0, Some(i)) => Ok(Connlabel {
                bit: i.bit,
                options: i.options,
            }),
            _ => Err(DecodeError(format!(
                "connlabel revision {rev} of {} bytes",
                info.len()
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ext::kit::{build_match, xt_round_trip};

    #[test]
    fn numbers_as_iptables_reads_them() {
        let bit = |s: &str| build_match::<Connlabel>(Family::V4, &[(0, false, s)]).map(|m| m.bit);
        assert_eq!(bit("40").unwrap(), 40);
        assert_eq!(bit("0x7f").unwrap(), 127);
        // an int's worth of strtoul, then the kernel's u16
        assert_eq!(bit("65536").unwrap(), 0);
        assert_eq!(bit("2048").unwrap(), 2048);
        let m: Connlabel = build_match(Family::V4, &[(0, true, "41"), (1, false, "")]).unwrap();
        assert_eq!(m.options, OP_INVERT | OP_SET);
        assert_eq!(xt_round_trip(&m, Family::V4), (0, 8));
        assert_eq!(
            bit("").unwrap_err().to_string(),
            "Argument must have a minimum length of 1 characters\n"
        );
    }
}
