//! `-j AUDIT --type accept|drop|reject` (`libxt_AUDIT.c`): xt target
//! `AUDIT` revision 0, `struct xt_audit_info { u8 type; }`, both
//! families. The type is matched case-insensitively.

use super::{EncodeCx, FmtCx, OptHit, OptSpec, ParseCx, TargetExtT};
use crate::error::{param, DecodeError, Error};
use crate::ir::Expr;
use crate::model::Family;

crate::xt_struct! {
    /// `struct xt_audit_info`
    pub struct AuditInfo { pub type_: u8 }
}
const _: () = assert!(AuditInfo::SIZE == 1);

/// `XT_AUDIT_TYPE_*` in value order.
const TYPES: [&str; 3] = ["accept", "drop", "reject"];

/// The AUDIT target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Audit {
    /// `XT_AUDIT_TYPE_*`
    pub type_: u8,
}

impl TargetExtT for Audit {
    const NAME: &'static str = "AUDIT";
    const OPTIONS: &'static [OptSpec] = &[OptSpec::value("type").no_inv().mandatory()];

    fn build(hits: &[OptHit], _cx: &ParseCx) -> Result<Self, Error> {
        let mut type_ = 0;
        if let Some(h) = hits.first() {
            type_ = TYPES
                .iter()
                .position(|t| t.eq_ignore_ascii_case(h.arg()))
                .ok_or_else(|| param(format!("Bad action type value \"{}\"", h.arg())))?
                as u8;
        }
        Ok(Audit { type_ })
    }

    fn save(&self, _cx: &FmtCx, out: &mut String) {
        if let Some(t) = TYPES.get(usize::from(self.type_)) {
            out.push_str(" --type ");
            out.push_str(t);
        }
    }

    fn print(&self, _cx: &FmtCx, out: &mut String) {
        out.push_str(" AUDIT ");
        if let Some(t) = TYPES.get(usize::from(self.type_)) {
            out.push_str(t);
        }
    }

    fn encode(&self, _cx: &EncodeCx, out: &mut Vec<Expr>) {
        out.push(Expr::Target {
            name: Self::NAME.into(),
            rev: 0,
            info: AuditInfo { type_: self.type_ }.to_blob(),
        });
    }

    fn decode_blob(rev: u32, info: &[u8], _family: Family) -> Result<Self, DecodeError> {
        match (rev, AuditInfo::from_blob(info)) {
            (0, Some(i)) => Ok(Audit { type_: i.type_ }),
            _ => Err(DecodeError(format!(
                "AUDIT target revision {rev} of {} bytes",
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
        for (arg, name, v) in [
            ("accept", "accept", 0u8),
            ("Drop", "drop", 1),
            ("REJECT", "reject", 2),
        ] {
            let t: Audit = build_target(Family::V4, &[(0, false, arg)]).unwrap();
            let (mut s, mut l) = (String::new(), String::new());
            t.save(&cx, &mut s);
            t.print(&cx, &mut l);
            assert_eq!(s, format!(" --type {name}"));
            assert_eq!(l, format!(" AUDIT {name}"));
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
            assert_eq!(info, &[v, 0, 0, 0, 0, 0, 0, 0]);
            assert_eq!(Audit::decode_blob(0, info, Family::V4).unwrap(), t);
        }
        for bad in ["wrong", "", "acc"] {
            assert_eq!(
                build_target::<Audit>(Family::V4, &[(0, false, bad)])
                    .unwrap_err()
                    .to_string(),
                format!("Bad action type value \"{bad}\"")
            );
        }
    }
}
