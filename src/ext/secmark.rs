//! `-j SECMARK --selctx CONTEXT` (`libxt_SECMARK.c`): xt target `SECMARK`,
//! both families. 1.8.13 writes revision 1 (`struct
//! xt_secmark_target_info_v1 { u8 mode; char secctx[256]; u32 secid; }`)
//! on a kernel that has it, revision 0 (`{ u8 mode; u32 secid; char
//! secctx[256]; }`) is read too; `mode` is `SECMARK_MODE_SEL` (SELinux),
//! `secid` the kernel's. The kernel takes it in the mangle and security
//! tables, and refuses a context its security module cannot map
//! (`ENOENT`, so on a kernel without SELinux every SECMARK rule fails).

use super::{EncodeCx, FmtCx, OptHit, OptSpec, ParseCx, TargetExtT};
use crate::error::{DecodeError, Error};
use crate::ir::Expr;
use crate::model::bytes::{from_bytes, to_bytes};
use crate::model::Family;

/// `SECMARK_SECCTX_MAX`
const SECCTX_MAX: usize = 256;
/// `SECMARK_MODE_SEL`
const MODE_SEL: u8 = 1;

crate::xt_struct! {
    /// `struct xt_secmark_target_info`
    pub struct SecmarkInfo { pub mode: u8, pub secid: u32, pub secctx: [u8; SECCTX_MAX] }
}
const _: () = assert!(SecmarkInfo::SIZE == 264);

crate::xt_struct! {
    /// `struct xt_secmark_target_info_v1`
    pub struct SecmarkInfoV1 { pub mode: u8, pub secctx: [u8; SECCTX_MAX], pub secid: u32 }
}
const _: () = assert!(SecmarkInfoV1::SIZE == 264);

/// The SECMARK target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Secmark {
    /// the security context (at most 255 bytes)
    pub secctx: Vec<u8>,
    /// revision (1, or 0 when the kernel has no 1)
    pub rev: u8,
}

impl TargetExtT for Secmark {
    const NAME: &'static str = "SECMARK";
    const OPTIONS: &'static [OptSpec] = &[OptSpec::value("selctx").no_inv().mandatory()];

    fn build(hits: &[OptHit], cx: &ParseCx) -> Result<Self, Error> {
        // revision 0 (same option) on an older kernel
        let (rev, _) = super::probe::choose(cx.family, Self::NAME, true, &[1, 0]);
        let mut secctx = Vec::new();
        for h in hits {
            // XTOPT_PUT into char secctx[256]: cut to 255 bytes
            secctx = to_bytes(h.arg()).to_vec();
            secctx.truncate(SECCTX_MAX - 1);
        }
        Ok(Secmark {
            secctx,
            rev: rev as u8,
        })
    }

    fn save(&self, _cx: &FmtCx, out: &mut String) {
        out.push_str(" --selctx ");
        out.push_str(&from_bytes(&self.secctx));
    }

    fn print(&self, _cx: &FmtCx, out: &mut String) {
        out.push_str(" SECMARK selctx ");
        out.push_str(&from_bytes(&self.secctx));
    }

    fn encode(&self, _cx: &EncodeCx, out: &mut Vec<Expr>) {
        let mut secctx = [0u8; SECCTX_MAX];
        let n = self.secctx.len().min(SECCTX_MAX - 1);
        secctx[..n].copy_from_slice(&self.secctx[..n]);
        let info = if self.rev == 0 {
            SecmarkInfo {
                mode: MODE_SEL,
                secid: 0,
                secctx,
            }
            .to_blob()
        } else {
            SecmarkInfoV1 {
                mode: MODE_SEL,
                secctx,
                secid: 0,
            }
            .to_blob()
        };
        out.push(Expr::Target {
            name: Self::NAME.into(),
            rev: u32::from(self.rev),
            info,
        });
    }

    fn decode_blob(rev: u32, info: &[u8], _family: Family) -> Result<Self, DecodeError> {
        let (mode, ctx) = match rev {
            0 => SecmarkInfo::from_blob(info).map(|i| (i.mode, i.secctx)),
            1 => SecmarkInfoV1::from_blob(info).map(|i| (i.mode, i.secctx)),
            _ => None,
        }
        .ok_or_else(|| {
            DecodeError(format!(
                "SECMARK target revision {rev} of {} bytes",
                info.len()
            ))
        })?;
        // (iptables stops at another mode: "invalid mode")
        if mode != MODE_SEL {
            return Err(DecodeError(format!("SECMARK target: invalid mode {mode}")));
        }
        let n = ctx.iter().position(|c| *c == 0).unwrap_or(SECCTX_MAX);
        Ok(Secmark {
            secctx: ctx[..n].to_vec(),
            rev: rev as u8,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ext::kit::build_target;

    /// Texts and the blob as iptables 1.8.13 gives them (the blob as it
    /// sends it, captured with strace: the kernel here refuses the rule).
    #[test]
    fn like_1_8_13() {
        let cx = FmtCx {
            family: Family::V4,
            numeric: true,
            proto: None,
        };
        let t: Secmark = build_target(
            Family::V4,
            &[(0, false, "system_u:object_r:firewalld_exec_t:s0")],
        )
        .unwrap();
        let (mut s, mut l) = (String::new(), String::new());
        t.save(&cx, &mut s);
        t.print(&cx, &mut l);
        assert_eq!(s, " --selctx system_u:object_r:firewalld_exec_t:s0");
        assert_eq!(l, " SECMARK selctx system_u:object_r:firewalld_exec_t:s0");

        let t: Secmark = build_target(Family::V4, &[(0, false, "abc")]).unwrap();
        let mut e = Vec::new();
        t.encode(
            &EncodeCx {
                family: Family::V4,
                proto: None,
            },
            &mut e,
        );
        let [Expr::Target { rev: 1, info, .. }] = e.as_slice() else {
            panic!("{e:?}")
        };
        let mut want = vec![0u8; 264];
        want[..4].copy_from_slice(b"\x01abc");
        assert_eq!(info, &want);
        assert_eq!(Secmark::decode_blob(1, info, Family::V4).unwrap(), t);
        // revision 0: secid before the context
        let mut v0 = vec![0u8; 264];
        v0[0] = 1;
        v0[4] = 9;
        v0[8..11].copy_from_slice(b"abc");
        assert_eq!(
            Secmark::decode_blob(0, &v0, Family::V6).unwrap(),
            Secmark {
                rev: 0,
                ..t.clone()
            }
        );
        v0[0] = 2;
        assert!(Secmark::decode_blob(0, &v0, Family::V4).is_err());
        assert!(Secmark::decode_blob(2, &want, Family::V4).is_err());
        // cut to 255 bytes, as XTOPT_PUT does
        let long = "x".repeat(300);
        let t: Secmark = build_target(Family::V4, &[(0, false, &long)]).unwrap();
        assert_eq!(t.secctx.len(), 255);
    }
}

#[cfg(test)]
mod revision_tests {
    use super::*;
    use crate::ext::kit::{build_target, capped, target_save, xt_target};
    use crate::ext::probe::with_probe;

    /// A kernel without revision 1 gets `struct xt_secmark_target_info {
    /// u8 mode; u32 secid; char secctx[256]; }`: the context at offset 8.
    #[test]
    fn revision_0_when_the_kernel_has_no_1() {
        let ctx = "system_u:object_r:ssh_packet_t:s0";
        let t: Secmark = with_probe(capped(&[("SECMARK", true, Some(0))]), || {
            build_target(Family::V4, &[(0, false, ctx)])
        })
        .unwrap();
        let (_, rev, b) = xt_target(&t, Family::V4);
        assert_eq!((rev, b.len()), (0, 264));
        assert_eq!(&b[..8], &[MODE_SEL, 0, 0, 0, 0, 0, 0, 0]);
        assert_eq!(&b[8..8 + ctx.len()], ctx.as_bytes());
        assert!(b[8 + ctx.len()..].iter().all(|x| *x == 0));
        let back = Secmark::decode_blob(0, &b, Family::V4).unwrap();
        assert_eq!(back, t);
        assert_eq!(target_save(&back, Family::V4), format!(" --selctx {ctx}"));
        let t: Secmark = build_target(Family::V4, &[(0, false, ctx)]).unwrap();
        let (_, rev, b) = xt_target(&t, Family::V4);
        assert_eq!((rev, &b[1..1 + ctx.len()]), (1, ctx.as_bytes()));
    }
}
