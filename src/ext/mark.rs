//! `-m mark [!] --mark value[/mask]` (`libxt_mark.c`). iptables-nft writes
//! it natively since 1.8.8: `meta load mark`, a `bitwise` with the mask
//! unless it is `0xffffffff`, a `cmp eq`/`neq` (host byte order). Before
//! that it was the xt match `mark` revision 1 (`struct xt_mark_mtinfo1`),
//! which still decodes (kube-proxy's lost marks, kubernetes#112477, came
//! from misreading one form as the other).

use super::value::{parse_mark_mask, ValueKind};
use super::{EncodeCx, FmtCx, MatchExt, MetaCmp, OptHit, OptSpec, ParseCx};
use crate::error::{DecodeError, Error};
use crate::ir::{meta, CmpOp, Expr, REG_1};
use crate::model::Family;

crate::xt_struct! {
    /// `struct xt_mark_mtinfo1` (revision 1), laid out as
    /// `struct xt_connmark_mtinfo1` too
    pub struct MarkMtInfo1 { pub mark: u32, pub mask: u32, pub invert: u8 }
}
const _: () = assert!(MarkMtInfo1::SIZE == 12);

/// `[!] --mark value[/mask]` as the mark and connmark matches read it (the
/// value was checked as the option was read): mark, mask, inverted.
pub(super) fn mark_hit(hits: &[OptHit]) -> (u32, u32, bool) {
    let h = hits.first();
    let (mark, mask) = h
        .and_then(|h| parse_mark_mask(h.arg()))
        .unwrap_or((0, u32::MAX));
    (mark, mask, h.is_some_and(|h| h.inv))
}

/// The mark match.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mark {
    /// value compared after masking
    pub mark: u32,
    /// mask
    pub mask: u32,
    /// `!`
    pub inv: bool,
}

impl MatchExt for Mark {
    const NAME: &'static str = "mark";
    const OPTIONS: &'static [OptSpec] = &[OptSpec::value("mark")
        .kind(ValueKind::MarkMask32)
        .mandatory()];

    fn build(hits: &[OptHit], _cx: &ParseCx) -> Result<Self, Error> {
        let (mark, mask, inv) = mark_hit(hits);
        Ok(Mark { mark, mask, inv })
    }

    fn save(&self, _cx: &FmtCx, out: &mut String) {
        out.push_str(if self.inv { " ! --mark " } else { " --mark " });
        mark_text(self.mark, self.mask, out);
    }

    fn print(&self, _cx: &FmtCx, out: &mut String) {
        out.push_str(" mark match ");
        if self.inv {
            out.push_str("! ");
        }
        mark_text(self.mark, self.mask, out);
    }

    fn encode(&self, _cx: &EncodeCx, out: &mut Vec<Expr>) {
        out.push(Expr::Meta {
            key: meta::MARK,
            dreg: REG_1,
        });
        if self.mask != u32::MAX {
            out.push(Expr::Bitwise {
                sreg: REG_1,
                dreg: REG_1,
                len: 4,
                mask: self.mask.to_ne_bytes().to_vec(),
                xor: vec![0; 4],
            });
        }
        out.push(Expr::Cmp {
            sreg: REG_1,
            op: if self.inv { CmpOp::Neq } else { CmpOp::Eq },
            data: self.mark.to_ne_bytes().to_vec(),
        });
    }

    fn decode_blob(rev: u32, info: &[u8], _family: Family) -> Result<Self, DecodeError> {
        match (rev, MarkMtInfo1::from_blob(info)) {
            (1, Some(i)) => Ok(Mark {
                mark: i.mark,
                mask: i.mask,
                inv: i.invert != 0,
            }),
            _ => Err(DecodeError(format!(
                "mark match revision {rev} of {} bytes",
                info.len()
            ))),
        }
    }

    fn from_meta(c: &MetaCmp) -> Option<Self> {
        let u32_of = |b: &[u8]| Some(u32::from_ne_bytes(b.try_into().ok()?));
        if c.key != meta::MARK {
            return None;
        }
        let mask = match &c.mask {
            Some(m) => u32_of(m)?,
            None => u32::MAX,
        };
        let inv = match c.op {
            CmpOp::Eq => false,
            CmpOp::Neq => true,
            _ => return None,
        };
        Some(Mark {
            mark: u32_of(&c.data)?,
            mask,
            inv,
        })
    }
}

/// `0x1` or `0x1/0xff` (the mask only when not all ones).
pub fn mark_text(mark: u32, mask: u32, out: &mut String) {
    use std::fmt::Write;
    let _ = write!(out, "{mark:#x}");
    if mask != u32::MAX {
        let _ = write!(out, "/{mask:#x}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ext::Match;
    use crate::nft::decode::decode_rule;
    use crate::nft::encode::encode_rule;
    use crate::rule::{Rule, Target};

    fn rule(m: Mark) -> Rule {
        Rule {
            matches: vec![Match::Mark(m)],
            target: Target::Accept,
            ..Rule::default()
        }
    }

    #[test]
    fn text_like_iptables() {
        let cx = FmtCx {
            family: Family::V4,
            numeric: true,
            proto: None,
        };
        for (m, saved, listed) in [
            (
                Mark {
                    mark: 1,
                    mask: 0xff,
                    inv: false,
                },
                " --mark 0x1/0xff",
                " mark match 0x1/0xff",
            ),
            (
                Mark {
                    mark: 5,
                    mask: u32::MAX,
                    inv: true,
                },
                " ! --mark 0x5",
                " mark match ! 0x5",
            ),
            (
                Mark {
                    mark: 0,
                    mask: 0,
                    inv: false,
                },
                " --mark 0x0/0x0",
                " mark match 0x0/0x0",
            ),
        ] {
            let (mut s, mut l) = (String::new(), String::new());
            m.save(&cx, &mut s);
            m.print(&cx, &mut l);
            assert_eq!((s.as_str(), l.as_str()), (saved, listed));
        }
    }

    /// The expressions iptables 1.8.13 writes for `-m mark --mark 0x1/0xff`
    /// and `! --mark 5` (captured with `nft --debug=netlink`): `[ meta load
    /// mark => reg 1 ] [ bitwise reg 1 = ( reg 1 & 0x000000ff ) ^ 0x00000000 ]
    /// [ cmp eq reg 1 0x00000001 ]`; `[ meta load mark => reg 1 ] [ cmp neq
    /// reg 1 0x00000005 ]`.
    #[test]
    fn native_encoding_round_trips() {
        let m = Mark {
            mark: 1,
            mask: 0xff,
            inv: false,
        };
        let (e, _) = encode_rule(&rule(m), Family::V4);
        assert_eq!(
            e[..3],
            [
                Expr::Meta {
                    key: meta::MARK,
                    dreg: 1
                },
                Expr::Bitwise {
                    sreg: 1,
                    dreg: 1,
                    len: 4,
                    mask: vec![0xff, 0, 0, 0],
                    xor: vec![0; 4]
                },
                Expr::Cmp {
                    sreg: 1,
                    op: CmpOp::Eq,
                    data: vec![1, 0, 0, 0]
                },
            ]
        );
        assert_eq!(decode_rule(&e, Family::V4).unwrap(), rule(m));
        let m = Mark {
            mark: 5,
            mask: u32::MAX,
            inv: true,
        };
        let (e, _) = encode_rule(&rule(m), Family::V6);
        assert_eq!(e.len(), 4);
        assert_eq!(decode_rule(&e, Family::V6).unwrap(), rule(m));
    }

    /// The xt form of iptables before 1.8.8: match `mark` revision 1,
    /// `xt_mark_mtinfo1 { mark = 0x10, mask = 0x10, invert = 1 }`.
    #[test]
    fn xt_revision_1_decodes() {
        let blob = [0x10, 0, 0, 0, 0x10, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0];
        let e = vec![Expr::Match {
            name: "mark".into(),
            rev: 1,
            info: blob.to_vec(),
        }];
        let r = decode_rule(&e, Family::V4).unwrap();
        assert_eq!(
            r.matches,
            [Match::Mark(Mark {
                mark: 0x10,
                mask: 0x10,
                inv: true
            })]
        );
        assert_eq!(
            MarkMtInfo1 {
                mark: 0x10,
                mask: 0x10,
                invert: 1
            }
            .to_blob(),
            blob
        );
        assert!(Mark::decode_blob(0, &blob, Family::V4).is_err());
    }
}
