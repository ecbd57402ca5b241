//! `-m nfacct --nfacct-name NAME` (`libxt_nfacct.c`): xt match `nfacct`.
//! iptables 1.8.13 writes revision 1 (`struct xt_nfacct_match_info_v1`:
//! the name in 32 bytes, then the kernel's pointer); revision 0 has the
//! same layout on 64-bit hosts and is read too. The kernel refuses the
//! rule (ENOENT) unless the accounting object exists. Save and list print
//! two spaces before the name, as iptables does.

use super::comment::save_string;
use super::{EncodeCx, FmtCx, MatchExt, OptHit, OptSpec, ParseCx};
use crate::error::{param, DecodeError, Error};
use crate::ir::Expr;
use crate::model::{bytes, Family};

/// `NFACCT_NAME_MAX`
const MAX: usize = 32;

crate::xt_struct! {
    /// `struct xt_nfacct_match_info_v1` (`nfacct` is the kernel's pointer)
    pub struct NfacctInfo { pub name: [u8; 32], pub nfacct: u64 }
}
const _: () = assert!(NfacctInfo::SIZE == 40);

/// The nfacct match.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Nfacct {
    /// xt revision
    pub rev: u32,
    /// accounting object name (at most 31 bytes)
    pub name: String,
}

impl MatchExt for Nfacct {
    const NAME: &'static str = "nfacct";
    const OPTIONS: &'static [OptSpec] = &[OptSpec::value("nfacct-name").no_inv().mandatory()];

    fn build(hits: &[OptHit], cx: &ParseCx) -> Result<Self, Error> {
        // revision 0 (an older kernel) has the same options
        let (rev, _) = super::probe::choose(cx.family, Self::NAME, false, &[1, 0]);
        let mut name = String::new();
        for h in hits {
            let a = h.arg();
            if a.is_empty() {
                return Err(param(
                    "Argument must have a minimum length of 1 characters\n",
                ));
            }
            if a.contains('\n') {
                return Err(param("Newlines not allowed in --nfacct-name"));
            }
            // cut to fit, as XTOPT_PUT does
            name = bytes::truncate_bytes(a, MAX - 1);
        }
        Ok(Nfacct { rev, name })
    }

    fn save(&self, _cx: &FmtCx, out: &mut String) {
        out.push_str(" --nfacct-name ");
        save_string(&self.name, out);
    }

    fn print(&self, _cx: &FmtCx, out: &mut String) {
        out.push_str(" nfacct-name ");
        save_string(&self.name, out);
    }

    fn encode(&self, _cx: &EncodeCx, out: &mut Vec<Expr>) {
        let mut name = [0u8; MAX];
        let b = bytes::to_bytes(&self.name);
        let n = b.len().min(MAX - 1);
        name[..n].copy_from_slice(&b[..n]);
        out.push(Expr::Match {
            name: Self::NAME.into(),
            rev: self.rev,
            info: NfacctInfo { name, nfacct: 0 }.to_blob(),
        });
    }

    fn decode_blob(rev: u32, info: &[u8], _family: Family) -> Result<Self, DecodeError> {
        let i = NfacctInfo::from_blob(info)
            .filter(|_| rev <= 1)
            .ok_or_else(|| DecodeError(format!("nfacct revision {rev} of {} bytes", info.len())))?;
        let n = i.name.iter().position(|b| *b == 0).unwrap_or(MAX);
        Ok(Nfacct {
            rev,
            name: bytes::from_bytes(&i.name[..n]).into_owned(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ext::kit::{build_match, texts, xt_round_trip};

    /// Text as iptables 1.8.13 prints it (captured, with an object made
    /// beforehand).
    #[test]
    fn like_1_8_13() {
        let cx = FmtCx {
            family: Family::V4,
            numeric: true,
            proto: None,
        };
        for (arg, saved, listed) in [
            ("test", " --nfacct-name  test", " nfacct-name  test"),
            ("a b", " --nfacct-name  \"a b\"", " nfacct-name  \"a b\""),
        ] {
            let n: Nfacct = build_match(Family::V4, &[(0, false, arg)]).unwrap();
            assert_eq!(texts(&n, &cx), (saved.into(), listed.into()));
            assert_eq!(xt_round_trip(&n, Family::V4), (1, 40));
        }
        let long = "x".repeat(40);
        let n: Nfacct = build_match(Family::V4, &[(0, false, &long)]).unwrap();
        assert_eq!(n.name.len(), 31);
        let msg = |a: &str| {
            build_match::<Nfacct>(Family::V4, &[(0, false, a)])
                .unwrap_err()
                .to_string()
        };
        assert_eq!(
            msg(""),
            "Argument must have a minimum length of 1 characters\n"
        );
        assert_eq!(msg("a\nb"), "Newlines not allowed in --nfacct-name");
    }
}

#[cfg(test)]
mod revision_tests {
    use super::*;
    use crate::ext::kit::{build_match, capped, match_save, xt_match};
    use crate::ext::probe::with_probe;

    /// A kernel without revision 1 gets revision 0, `struct
    /// xt_nfacct_match_info { char name[32]; (pointer) }`.
    #[test]
    fn revision_0_when_the_kernel_has_no_1() {
        let m: Nfacct = with_probe(capped(&[("nfacct", false, Some(0))]), || {
            build_match(Family::V6, &[(0, false, "acct1")])
        })
        .unwrap();
        let (_, rev, b) = xt_match(&m, Family::V6);
        assert_eq!((rev, b.len()), (0, 40));
        assert_eq!(&b[..6], b"acct1\0");
        assert!(b[6..].iter().all(|x| *x == 0));
        let back = Nfacct::decode_blob(0, &b, Family::V6).unwrap();
        assert_eq!(back, m);
        assert_eq!(match_save(&back, Family::V6), " --nfacct-name  acct1");
        let m: Nfacct = build_match(Family::V6, &[(0, false, "a")]).unwrap();
        assert_eq!(xt_match(&m, Family::V6).1, 1);
    }
}
