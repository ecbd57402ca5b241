//! `-j CONNSECMARK --save|--restore` (`libxt_CONNSECMARK.c`): xt target
//! `CONNSECMARK` revision 0, `struct xt_connsecmark_target_info { u8 mode;
//! }` (`CONNSECMARK_SAVE` 1, `CONNSECMARK_RESTORE` 2), both families. The
//! kernel takes it in the mangle and security tables.

use super::{EncodeCx, FmtCx, OptHit, OptSpec, ParseCx, TargetExtT};
use crate::error::{param, DecodeError, Error};
use crate::ir::Expr;
use crate::model::Family;

crate::xt_struct! {
    /// `struct xt_connsecmark_target_info`
    pub struct ConnsecmarkInfo { pub mode: u8 }
}
const _: () = assert!(ConnsecmarkInfo::SIZE == 1);

/// The CONNSECMARK target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Connsecmark {
    /// 1 save, 2 restore
    pub mode: u8,
}

impl Connsecmark {
    fn word(&self) -> &'static str {
        if self.mode == 1 {
            "save"
        } else {
            "restore"
        }
    }
}

impl TargetExtT for Connsecmark {
    const NAME: &'static str = "CONNSECMARK";
    const OPTIONS: &'static [OptSpec] = &[
        OptSpec::flag("save").no_inv().excl(0b10),
        OptSpec::flag("restore").no_inv().excl(0b01),
    ];

    fn build(hits: &[OptHit], _cx: &ParseCx) -> Result<Self, Error> {
        // (both given: the kit's final check says so)
        match hits.first() {
            None => Err(param("CONNSECMARK target: parameter required")),
            Some(h) => Ok(Connsecmark {
                mode: h.idx as u8 + 1,
            }),
        }
    }

    fn save(&self, _cx: &FmtCx, out: &mut String) {
        out.push_str(" --");
        out.push_str(self.word());
    }

    fn print(&self, _cx: &FmtCx, out: &mut String) {
        out.push_str(" CONNSECMARK ");
        out.push_str(self.word());
    }

    fn encode(&self, _cx: &EncodeCx, out: &mut Vec<Expr>) {
        out.push(Expr::Target {
            name: Self::NAME.into(),
            rev: 0,
            info: ConnsecmarkInfo { mode: self.mode }.to_blob(),
        });
    }

    fn decode_blob(rev: u32, info: &[u8], _family: Family) -> Result<Self, DecodeError> {
        match (rev, ConnsecmarkInfo::from_blob(info)) {
            // (iptables stops listing at another mode; the kernel takes none)
            (0, Some(i)) if matches!(i.mode, 1 | 2) => Ok(Connsecmark { mode: i.mode }),
            _ => Err(DecodeError(format!(
                "CONNSECMARK target revision {rev} of {} bytes",
                info.len()
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ext::kit::build_target;

    /// Text and messages as iptables 1.8.13 gives them (captured).
    #[test]
    fn like_1_8_13() {
        let cx = FmtCx {
            family: Family::V4,
            numeric: true,
            proto: None,
        };
        for (idx, word) in [(0, "save"), (1, "restore")] {
            let t: Connsecmark = build_target(Family::V4, &[(idx, false, "")]).unwrap();
            let (mut s, mut l) = (String::new(), String::new());
            t.save(&cx, &mut s);
            t.print(&cx, &mut l);
            assert_eq!(s, format!(" --{word}"));
            assert_eq!(l, format!(" CONNSECMARK {word}"));
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
            assert_eq!(info[0], idx as u8 + 1);
            assert_eq!(Connsecmark::decode_blob(0, info, Family::V4).unwrap(), t);
        }
        assert_eq!(
            build_target::<Connsecmark>(Family::V4, &[])
                .unwrap_err()
                .to_string(),
            "CONNSECMARK target: parameter required"
        );
        assert!(Connsecmark::decode_blob(0, &[3, 0, 0, 0, 0, 0, 0, 0], Family::V4).is_err());
    }
}
