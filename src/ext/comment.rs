//! `-m comment --comment TEXT` (`libxt_comment.c`): matches every packet
//! and carries up to 255 bytes of text. xt match `comment`, revision 0,
//! `struct xt_comment_info { char comment[256]; }` in both families.

use super::{EncodeCx, FmtCx, MatchExt, OptHit, OptSpec, ParseCx};
use crate::error::{DecodeError, Error};
use crate::ir::Expr;
use crate::model::{bytes, Family};

/// `XT_MAX_COMMENT_LEN`: the blob's size, the text's limit with its NUL.
const MAX: usize = 256;

crate::xt_struct! {
    /// `struct xt_comment_info`
    pub struct CommentInfo { pub comment: [u8; MAX] }
}
const _: () = assert!(CommentInfo::SIZE == 256);

/// The comment match.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Comment {
    /// the text (at most 255 bytes; any bytes, see `model::bytes`)
    pub text: String,
}

/// iptables' quoting of a string in save output (`xtables_save_string`):
/// bare when it is only `[A-Za-z0-9_-]` (and not empty), else in double
/// quotes with `"`, `\` and `'` escaped by a backslash.
pub fn save_string(s: &str, out: &mut String) {
    out.push(' ');
    let bare = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == '-';
    if !s.is_empty() && s.chars().all(bare) {
        out.push_str(s);
        return;
    }
    out.push('"');
    for c in s.chars() {
        if matches!(c, '"' | '\\' | '\'') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
}

impl MatchExt for Comment {
    const NAME: &'static str = "comment";
    const OPTIONS: &'static [OptSpec] = &[OptSpec::value("comment").no_inv().mandatory()];

    fn build(hits: &[OptHit], _cx: &ParseCx) -> Result<Self, Error> {
        let text = hits.first().map(OptHit::arg).unwrap_or_default();
        // Longer text is cut to fit the blob, as iptables does.
        Ok(Comment {
            text: bytes::truncate_bytes(text, MAX - 1),
        })
    }

    fn save(&self, _cx: &FmtCx, out: &mut String) {
        out.push_str(" --comment");
        save_string(&self.text, out);
    }

    fn print(&self, _cx: &FmtCx, out: &mut String) {
        out.push_str(" /* ");
        out.push_str(&self.text);
        out.push_str(" */");
    }

    fn encode(&self, _cx: &EncodeCx, out: &mut Vec<Expr>) {
        let mut comment = [0u8; MAX];
        let b = bytes::to_bytes(&self.text);
        let n = b.len().min(MAX - 1);
        comment[..n].copy_from_slice(&b[..n]);
        out.push(Expr::Match {
            name: Self::NAME.into(),
            rev: 0,
            info: CommentInfo { comment }.to_blob(),
        });
    }

    fn decode_blob(rev: u32, info: &[u8], _family: Family) -> Result<Self, DecodeError> {
        let bad = || DecodeError(format!("comment revision {rev} of {} bytes", info.len()));
        if rev != 0 {
            return Err(bad());
        }
        let c = CommentInfo::from_blob(info).ok_or_else(bad)?;
        let n = c.comment.iter().position(|b| *b == 0).unwrap_or(MAX);
        Ok(Comment {
            text: bytes::from_bytes(&c.comment[..n]).into_owned(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting_as_iptables_save() {
        for (text, saved) in [
            ("x", " x"),
            ("hello world", " \"hello world\""),
            ("a-b_c9", " a-b_c9"),
            ("", " \"\""),
            ("it's \"q\" \\", " \"it\\'s \\\"q\\\" \\\\\""),
        ] {
            let mut s = String::new();
            save_string(text, &mut s);
            assert_eq!(s, saved, "{text}");
        }
    }

    #[test]
    fn blob_round_trip_and_truncation() {
        let cx = ParseCx {
            family: Family::V4,
            proto: None,
            table: crate::model::Table::Filter,
            chain: "INPUT",
            rule: true,
        };
        let long = "a".repeat(300);
        let hits = [OptHit::new(0, false, &[&long])];
        let c = Comment::build(&hits, &cx).unwrap();
        assert_eq!(c.text.len(), 255);
        let mut e = Vec::new();
        c.encode(
            &EncodeCx {
                family: Family::V4,
                proto: None,
            },
            &mut e,
        );
        let [Expr::Match { name, rev: 0, info }] = e.as_slice() else {
            panic!("{e:?}")
        };
        assert_eq!((name.as_str(), info.len(), info[255]), ("comment", 256, 0));
        assert_eq!(Comment::decode_blob(0, info, Family::V6).unwrap(), c);
        assert!(Comment::decode_blob(1, info, Family::V4).is_err());
        assert!(Comment::decode_blob(0, &info[..10], Family::V4).is_err());
    }
}
