//! `-j MASQUERADE [--to-ports port[-port]] [--random] [--random-fully]`
//! (`libxt_NAT.c`): SNAT to the address of the outgoing interface.
//! Revision 0 in both families: the IPv4 compat struct, `nf_nat_range` in
//! IPv6.

use super::nat::{build_range, rev0_range, rev0_target, NatOpt, NatRange};
use super::{EncodeCx, FmtCx, OptHit, OptSpec, ParseCx, TargetExtT};
use crate::error::{DecodeError, Error};
use crate::ir::Expr;
use crate::model::Family;

/// The MASQUERADE target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Masquerade {
    /// ports and flags (no addresses)
    pub range: NatRange,
}

const KINDS: &[NatOpt] = &[NatOpt::Ports, NatOpt::Random, NatOpt::RandomFully];

impl TargetExtT for Masquerade {
    const NAME: &'static str = "MASQUERADE";
    const OPTIONS: &'static [OptSpec] = &[
        OptSpec::value("to-ports").no_inv(),
        OptSpec::flag("random").no_inv(),
        OptSpec::flag("random-fully").no_inv(),
    ];

    fn build(hits: &[OptHit], cx: &ParseCx) -> Result<Self, Error> {
        let mut range = build_range(Self::NAME, KINDS, hits, cx, None)?;
        // `a-b/base` sets the offset flag, but the struct this target is
        // written in has no base port: iptables drops it (saved as `/0`).
        range.base_port = 0;
        Ok(Masquerade { range })
    }

    fn save(&self, _cx: &FmtCx, out: &mut String) {
        self.range.print("--to-ports ", "--", true, out);
    }

    fn print(&self, _cx: &FmtCx, out: &mut String) {
        self.range.print("masq ports: ", "", true, out);
    }

    fn encode(&self, cx: &EncodeCx, out: &mut Vec<Expr>) {
        out.push(rev0_target(Self::NAME, &self.range, cx.family));
    }

    fn decode_blob(rev: u32, info: &[u8], family: Family) -> Result<Self, DecodeError> {
        Ok(Masquerade {
            range: rev0_range(Self::NAME, rev, info, family)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ext::nat::test_util::*;
    use crate::model::{Inv, Table};

    fn build(family: Family, proto: Option<u8>, v: &[(usize, &str)]) -> Result<Masquerade, Error> {
        let p = proto.map(|p| Inv::new(false, p));
        let cx = ParseCx {
            family,
            proto: p.as_ref(),
            table: Table::Nat,
            chain: "POSTROUTING",
            rule: true,
        };
        let hits = hits(v);
        Masquerade::build(&hits, &cx)
    }

    fn texts(m: &Masquerade, family: Family) -> (String, String) {
        let cx = FmtCx {
            family,
            numeric: true,
            proto: None,
        };
        let (mut s, mut p) = (String::new(), String::new());
        m.save(&cx, &mut s);
        m.print(&cx, &mut p);
        (s, p)
    }

    #[test]
    fn text() {
        let m = build(Family::V4, None, &[]).unwrap();
        assert_eq!(texts(&m, Family::V4), (String::new(), String::new()));
        let m = build(Family::V4, Some(17), &[(0, "1024-65535"), (1, "")]).unwrap();
        assert_eq!(
            texts(&m, Family::V4),
            (
                " --to-ports 1024-65535 --random".into(),
                " masq ports: 1024-65535 random".into()
            )
        );
        let m = build(Family::V6, None, &[(2, "")]).unwrap();
        assert_eq!(
            texts(&m, Family::V6),
            (" --random-fully".into(), " random-fully".into())
        );
        assert!(build(Family::V4, Some(17), &[(0, "1024-65536")]).is_err());
        assert!(build(Family::V4, Some(17), &[(0, "-1")]).is_err());
        assert!(build(Family::V4, None, &[(0, "1024")]).is_err());
    }

    /// Bytes iptables-nft 1.8.9 wrote on kernel 6.18 (the reference run in
    /// `unshare -n`, the target info read back with libnftnl).
    #[test]
    fn reference_bytes() {
        let cases: &[Case] = &[
            // iptables-nft -t nat -A POSTROUTING -p udp -j MASQUERADE --to-ports 1024-65535 --random
            (Family::V4, Some(17), &[(0, "1024-65535"), (1, "")],
             "01000000 06000000 00000000 00000000 0400ffff 00000000"),
            // -j MASQUERADE --random-fully
            (Family::V4, None, &[(2, "")], "01000000 10000000 00000000 00000000 00000000 00000000"),
            (Family::V6, Some(17), &[(0, "1024-65535"), (1, "")],
             "06000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000 0400ffff"),
            (Family::V6, None, &[(2, "")],
             "10000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000"),
        ];
        for (fam, proto, h, want) in cases {
            let m = build(*fam, *proto, h).unwrap();
            let mut e = Vec::new();
            m.encode(
                &EncodeCx {
                    family: *fam,
                    proto: None,
                },
                &mut e,
            );
            let [Expr::Target { name, rev: 0, info }] = e.as_slice() else {
                panic!("{e:?}")
            };
            assert_eq!(name, "MASQUERADE");
            if cfg!(target_endian = "little") {
                assert_eq!(info, &hex(want), "{h:?}");
            }
            assert_eq!(Masquerade::decode_blob(0, &hex(want), *fam).unwrap(), m);
        }
    }
}
