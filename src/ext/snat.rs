//! `-j SNAT --to-source addr[-addr][:port[-port]] [--random]
//! [--random-fully] [--persistent]` (`libxt_NAT.c`). iptables-nft 1.8.9
//! writes revision 0 (`nf_nat_ipv4_multi_range_compat`) in IPv4 and
//! revision 1 (`nf_nat_range`) in IPv6; revision 2 (`nf_nat_range2`) is
//! read too.

use super::nat::{build_range, Layout, NatOpt, NatRange};
use super::{EncodeCx, FmtCx, OptHit, OptSpec, ParseCx, TargetExtT};
use crate::error::{DecodeError, Error};
use crate::ir::Expr;
use crate::model::Family;

/// The SNAT target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snat {
    /// the source connections get
    pub range: NatRange,
}

const KINDS: &[NatOpt] = &[
    NatOpt::To,
    NatOpt::Random,
    NatOpt::RandomFully,
    NatOpt::Persistent,
];

impl TargetExtT for Snat {
    const NAME: &'static str = "SNAT";
    const OPTIONS: &'static [OptSpec] = &[
        OptSpec::value("to-source").no_inv(),
        OptSpec::flag("random").no_inv(),
        OptSpec::flag("random-fully").no_inv(),
        OptSpec::flag("persistent").no_inv(),
    ];

    fn build(hits: &[OptHit], cx: &ParseCx) -> Result<Self, Error> {
        let mut range = build_range(Self::NAME, KINDS, hits, cx, Some("to-source"))?;
        // `a-b/base` sets the offset flag, but the struct this target is
        // written in has no base port: iptables drops it (saved as `/0`).
        range.base_port = 0;
        Ok(Snat { range })
    }

    fn save(&self, _cx: &FmtCx, out: &mut String) {
        self.range.print("--to-source ", "--", false, out);
    }

    fn print(&self, _cx: &FmtCx, out: &mut String) {
        self.range.print("to:", "", false, out);
    }

    fn encode(&self, cx: &EncodeCx, out: &mut Vec<Expr>) {
        let (rev, layout) = match cx.family {
            Family::V4 => (0, Layout::Compat),
            Family::V6 => (1, Layout::Range),
        };
        out.push(Expr::Target {
            name: Self::NAME.into(),
            rev,
            info: self.range.to_blob(layout),
        });
    }

    fn decode_blob(rev: u32, info: &[u8], family: Family) -> Result<Self, DecodeError> {
        let layout = match rev {
            0 => Layout::Compat,
            1 => Layout::Range,
            2 => Layout::Range2,
            r => return Err(DecodeError(format!("SNAT: unknown revision {r}"))),
        };
        Ok(Snat {
            range: NatRange::from_blob(info, layout, family)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ext::nat::test_util::*;

    /// family, `-p`, options, revision, info in hex
    type RevCase<'a> = (Family, Option<u8>, &'a [(usize, &'a str)], u32, &'a str);
    use crate::model::{Inv, Table};

    fn build(family: Family, proto: Option<u8>, v: &[(usize, &str)]) -> Result<Snat, Error> {
        let p = proto.map(|p| Inv::new(false, p));
        let cx = ParseCx {
            family,
            proto: p.as_ref(),
            table: Table::Nat,
            chain: "POSTROUTING",
            rule: true,
        };
        let hits = hits(v);
        Snat::build(&hits, &cx)
    }

    fn encoded(s: &Snat, family: Family) -> (u32, Vec<u8>) {
        let mut e = Vec::new();
        s.encode(
            &EncodeCx {
                family,
                proto: None,
            },
            &mut e,
        );
        match e.as_slice() {
            [Expr::Target { name, rev, info }] if name == "SNAT" => (*rev, info.clone()),
            e => panic!("{e:?}"),
        }
    }

    #[test]
    fn save_text() {
        let s = build(
            Family::V4,
            None,
            &[(0, "1.1.1.1"), (1, ""), (2, ""), (3, "")],
        )
        .unwrap();
        let mut t = String::new();
        s.save(
            &FmtCx {
                family: Family::V4,
                numeric: false,
                proto: None,
            },
            &mut t,
        );
        assert_eq!(
            t,
            " --to-source 1.1.1.1 --random --random-fully --persistent"
        );
        let s = build(Family::V6, Some(17), &[(0, "[dead::1]:80")]).unwrap();
        let mut t = String::new();
        s.print(
            &FmtCx {
                family: Family::V6,
                numeric: false,
                proto: None,
            },
            &mut t,
        );
        assert_eq!(t, " to:[dead::1]:80");
        let e = build(Family::V4, None, &[]).unwrap_err();
        assert_eq!(
            e,
            Error::Param("SNAT: option \"--to-source\" must be specified\n".into())
        );
        assert!(build(Family::V4, None, &[(0, "1.1.1.1:1025-65535")]).is_err());
        // the base port has no room in SNAT's structs (1.8.9 saves `/0`)
        let s = build(Family::V4, Some(6), &[(0, "1.1.1.1:10-20/30")]).unwrap();
        let mut t = String::new();
        s.save(
            &FmtCx {
                family: Family::V4,
                numeric: false,
                proto: None,
            },
            &mut t,
        );
        assert_eq!(t, " --to-source 1.1.1.1:10-20/0");
        if cfg!(target_endian = "little") {
            assert_eq!(
                encoded(&s, Family::V4).1,
                hex("01000000 23000000 01010101 01010101 000a0014 00000000")
            );
        }
    }

    /// Bytes iptables-nft 1.8.9 wrote on kernel 6.18 (captured as for DNAT:
    /// the reference run in `unshare -n`, the target info read back with
    /// libnftnl).
    #[test]
    fn reference_bytes() {
        let cases: &[RevCase] = &[
            // iptables-nft -t nat -A POSTROUTING -j SNAT --to-source 1.1.1.1 --random --random-fully --persistent
            (Family::V4, None, &[(0, "1.1.1.1"), (1, ""), (2, ""), (3, "")], 0,
             "01000000 1d000000 01010101 01010101 00000000 00000000"),
            // -p udp -j SNAT --to-source 1.1.1.1:80
            (Family::V4, Some(17), &[(0, "1.1.1.1:80")], 0,
             "01000000 03000000 01010101 01010101 00500050 00000000"),
            // ip6tables-nft ... -j SNAT --to-source dead::beef --random --random-fully --persistent
            (Family::V6, None, &[(0, "dead::beef"), (1, ""), (2, ""), (3, "")], 1,
             "1d000000 dead0000 00000000 00000000 0000beef dead0000 00000000 00000000 0000beef 00000000"),
            // -p udp -j SNAT --to-source [dead::1]:80
            (Family::V6, Some(17), &[(0, "[dead::1]:80")], 1,
             "03000000 dead0000 00000000 00000000 00000001 dead0000 00000000 00000000 00000001 00500050"),
        ];
        for (fam, proto, h, rev, want) in cases {
            let s = build(*fam, *proto, h).unwrap();
            let (r, b) = encoded(&s, *fam);
            assert_eq!(r, *rev);
            if cfg!(target_endian = "little") {
                assert_eq!(b, hex(want), "{h:?}");
            }
            assert_eq!(Snat::decode_blob(*rev, &hex(want), *fam).unwrap(), s);
            // and from the other layouts
            let r2 = s.range.to_blob(Layout::Range2);
            assert_eq!(Snat::decode_blob(2, &r2, *fam).unwrap(), s);
        }
    }
}
