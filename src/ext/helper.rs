//! `-m helper [!] --helper NAME` (`libxt_helper.c`): xt match `helper`
//! revision 0, `struct xt_helper_info { int invert; char name[30]; }`
//! (the name cut to 29 bytes, any name accepted).

use super::comment::save_string;
use super::{EncodeCx, FmtCx, MatchExt, OptHit, OptSpec, ParseCx};
use crate::error::{DecodeError, Error};
use crate::ir::Expr;
use crate::model::{bytes, Family};

crate::xt_struct! {
    /// `struct xt_helper_info`
    pub struct HelperInfo { pub invert: i32, pub name: [u8; 30] }
}
const _: () = assert!(HelperInfo::SIZE == 36);

/// The helper match.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Helper {
    /// helper name (at most 29 bytes)
    pub name: String,
    /// `!`
    pub inv: bool,
}

impl MatchExt for Helper {
    const NAME: &'static str = "helper";
    const OPTIONS: &'static [OptSpec] = &[OptSpec::value("helper").mandatory()];

    fn build(hits: &[OptHit], _cx: &ParseCx) -> Result<Self, Error> {
        let h = hits.first();
        Ok(Helper {
            // `XTOPT_PUT` into `char[30]`
            name: bytes::truncate_bytes(h.map(OptHit::arg).unwrap_or(""), 29),
            inv: h.is_some_and(|h| h.inv),
        })
    }

    fn save(&self, _cx: &FmtCx, out: &mut String) {
        out.push_str(if self.inv { " ! --helper" } else { " --helper" });
        save_string(&self.name, out);
    }

    fn print(&self, _cx: &FmtCx, out: &mut String) {
        out.push_str(" helper match ");
        if self.inv {
            out.push_str("! ");
        }
        out.push('"');
        out.push_str(&self.name);
        out.push('"');
    }

    fn encode(&self, _cx: &EncodeCx, out: &mut Vec<Expr>) {
        let mut name = [0u8; 30];
        let b = bytes::to_bytes(&self.name);
        let n = b.len().min(29);
        name[..n].copy_from_slice(&b[..n]);
        out.push(Expr::Match {
            name: Self::NAME.into(),
            rev: 0,
            info: HelperInfo {
                invert: self.inv.into(),
                name,
            }
            .to_blob(),
        });
    }

    fn decode_blob(rev: u32, info: &[u8], _family: Family) -> Result<Self, DecodeError> {
        match (rev, HelperInfo::from_blob(info)) {
            (0, Some(i)) => {
                let n = i.name.iter().position(|c| *c == 0).unwrap_or(30);
                Ok(Helper {
                    name: bytes::from_bytes(&i.name[..n]).into_owned(),
                    inv: i.invert != 0,
                })
            }
            _ => Err(DecodeError(format!(
                "helper revision {rev} of {} bytes",
                info.len()
            ))),
        }
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
        for (inv, arg, saved, listed) in [
            (false, "ftp", " --helper ftp", " helper match \"ftp\""),
            (true, "ftp", " ! --helper ftp", " helper match ! \"ftp\""),
            (false, "", " --helper \"\"", " helper match \"\""),
            (
                false,
                "a\"b",
                " --helper \"a\\\"b\"",
                " helper match \"a\"b\"",
            ),
            (
                false,
                "it's",
                " --helper \"it\\'s\"",
                " helper match \"it's\"",
            ),
            (
                false,
                "0123456789012345678901234567890123",
                " --helper 01234567890123456789012345678",
                " helper match \"01234567890123456789012345678\"",
            ),
        ] {
            let m: Helper = build_match(Family::V4, &[(0, inv, arg)]).unwrap();
            assert_eq!(texts(&m, &cx), (saved.to_string(), listed.to_string()));
            assert_eq!(xt_round_trip(&m, Family::V4), (0, 40));
        }
    }
}
