//! `-j REDIRECT [--to-ports port[-port]] [--random]` (`libxt_NAT.c`):
//! DNAT to the local machine. Revision 0 in both families: the IPv4
//! compat struct, `nf_nat_range` in IPv6.

use super::nat::{build_range, rev0_range, rev0_target, NatOpt, NatRange, PROTO_OFFSET};
use super::{EncodeCx, FmtCx, OptHit, OptSpec, ParseCx, TargetExtT};
use crate::error::{param, DecodeError, Error};
use crate::ir::Expr;
use crate::model::Family;

/// The REDIRECT target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Redirect {
    /// ports and flags (no addresses)
    pub range: NatRange,
}

const KINDS: &[NatOpt] = &[NatOpt::Ports, NatOpt::Random];

impl TargetExtT for Redirect {
    const NAME: &'static str = "REDIRECT";
    const OPTIONS: &'static [OptSpec] = &[
        OptSpec::value("to-ports").no_inv(),
        OptSpec::flag("random").no_inv(),
    ];

    fn build(hits: &[OptHit], cx: &ParseCx) -> Result<Self, Error> {
        let range = build_range(Self::NAME, KINDS, hits, cx, None)?;
        // `DNAT_fcheck`: the revision-0 structs have no base port
        if range.flags & PROTO_OFFSET != 0 {
            return Err(param(
                "Shifted portmap ranges not supported with this kernel",
            ));
        }
        Ok(Redirect { range })
    }

    fn save(&self, _cx: &FmtCx, out: &mut String) {
        self.range.print("--to-ports ", "--", true, out);
    }

    fn print(&self, _cx: &FmtCx, out: &mut String) {
        self.range.print("redir ports ", "", true, out);
    }

    fn encode(&self, cx: &EncodeCx, out: &mut Vec<Expr>) {
        out.push(rev0_target(Self::NAME, &self.range, cx.family));
    }

    fn decode_blob(rev: u32, info: &[u8], family: Family) -> Result<Self, DecodeError> {
        Ok(Redirect {
            range: rev0_range(Self::NAME, rev, info, family)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ext::nat::test_util::*;
    use crate::model::{Inv, Table};

    fn build(family: Family, proto: Option<u8>, v: &[(usize, &str)]) -> Result<Redirect, Error> {
        let p = proto.map(|p| Inv::new(false, p));
        let cx = ParseCx {
            family,
            proto: p.as_ref(),
            table: Table::Nat,
            chain: "PREROUTING",
            rule: true,
        };
        let hits = hits(v);
        Redirect::build(&hits, &cx)
    }

    #[test]
    fn text() {
        let cx = FmtCx {
            family: Family::V4,
            numeric: false,
            proto: None,
        };
        for (arg, save) in [
            ("42", " --to-ports 42"),
            ("0-0", " --to-ports 0"),
            ("42-1234", " --to-ports 42-1234"),
            ("ssh", " --to-ports 22"),
        ] {
            let r = build(Family::V4, Some(6), &[(0, arg)]).unwrap();
            let mut s = String::new();
            r.save(&cx, &mut s);
            assert_eq!(s, save);
        }
        let r = build(Family::V4, Some(6), &[(0, "8080"), (1, "")]).unwrap();
        let mut s = String::new();
        r.print(&cx, &mut s);
        assert_eq!(s, " redir ports 8080 random");
        for bad in ["65536", "42-1234/567", "ftp-ssh", "10-ssh"] {
            assert!(build(Family::V4, Some(6), &[(0, bad)]).is_err(), "{bad}");
        }
        assert!(build(Family::V6, None, &[(0, "42")]).is_err());
    }

    /// Bytes iptables-nft 1.8.9 wrote on kernel 6.18 (the reference run in
    /// `unshare -n`, the target info read back with libnftnl).
    #[test]
    fn reference_bytes() {
        let cases: &[Case] = &[
            // iptables-nft -t nat -A PREROUTING -p tcp -j REDIRECT --to-ports 8080
            (Family::V4, Some(6), &[(0, "8080")], "01000000 02000000 00000000 00000000 1f901f90 00000000"),
            // -j REDIRECT --random
            (Family::V4, None, &[(1, "")], "01000000 04000000 00000000 00000000 00000000 00000000"),
            (Family::V6, Some(6), &[(0, "8080")],
             "02000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000 1f901f90"),
            (Family::V6, None, &[(1, "")],
             "04000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000"),
        ];
        for (fam, proto, h, want) in cases {
            let r = build(*fam, *proto, h).unwrap();
            let mut e = Vec::new();
            r.encode(
                &EncodeCx {
                    family: *fam,
                    proto: None,
                },
                &mut e,
            );
            let [Expr::Target { name, rev: 0, info }] = e.as_slice() else {
                panic!("{e:?}")
            };
            assert_eq!(name, "REDIRECT");
            if cfg!(target_endian = "little") {
                assert_eq!(info, &hex(want), "{h:?}");
            }
            assert_eq!(Redirect::decode_blob(0, &hex(want), *fam).unwrap(), r);
        }
    }
}
