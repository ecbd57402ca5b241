//! `-j DNAT --to-destination addr[-addr][:port[-port[/base]]] [--random]
//! [--persistent]` (`libxt_NAT.c`). iptables-nft writes revision 2
//! (`nf_nat_range2`, the one with shifted port maps) in both families; on
//! a kernel without it (before 4.18) IPv4's revision 0 (compat struct) or
//! IPv6's revision 1 (`nf_nat_range`), without shifted port maps; all are
//! read too.

use super::nat::{build_range, Layout, NatOpt, NatRange, PROTO_OFFSET};
use super::{EncodeCx, FmtCx, OptHit, OptSpec, ParseCx, TargetExtT};
use crate::error::{DecodeError, Error};
use crate::ir::Expr;
use crate::model::Family;

/// The DNAT target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dnat {
    /// where connections are sent
    pub range: NatRange,
    /// revision (2, or IPv4's 0 / IPv6's 1 when the kernel has no 2)
    pub rev: u8,
}

const KINDS: &[NatOpt] = &[NatOpt::To, NatOpt::Random, NatOpt::Persistent];

impl TargetExtT for Dnat {
    const NAME: &'static str = "DNAT";
    const OPTIONS: &'static [OptSpec] = &[
        OptSpec::value("to-destination").no_inv(),
        OptSpec::flag("random").no_inv(),
        OptSpec::flag("persistent").no_inv(),
    ];

    fn build(hits: &[OptHit], cx: &ParseCx) -> Result<Self, Error> {
        let revs: &[u32] = match cx.family {
            Family::V4 => &[2, 0],
            Family::V6 => &[2, 1],
        };
        let (rev, _) = super::probe::choose(cx.family, Self::NAME, true, revs);
        let range = build_range(Self::NAME, KINDS, hits, cx, Some("to-destination"))?;
        if rev < 2 && range.flags & PROTO_OFFSET != 0 {
            // DNAT_fcheck, DNAT_fcheck6
            return Err(crate::error::param(
                "Shifted portmap ranges not supported with this kernel",
            ));
        }
        Ok(Dnat {
            range,
            rev: rev as u8,
        })
    }

    fn save(&self, _cx: &FmtCx, out: &mut String) {
        self.range.print("--to-destination ", "--", false, out);
    }

    fn print(&self, _cx: &FmtCx, out: &mut String) {
        self.range.print("to:", "", false, out);
    }

    fn encode(&self, _cx: &EncodeCx, out: &mut Vec<Expr>) {
        let layout = match self.rev {
            0 => Layout::Compat,
            1 => Layout::Range,
            _ => Layout::Range2,
        };
        out.push(Expr::Target {
            name: Self::NAME.into(),
            rev: u32::from(self.rev),
            info: self.range.to_blob(layout),
        });
    }

    fn decode_blob(rev: u32, info: &[u8], family: Family) -> Result<Self, DecodeError> {
        let layout = match rev {
            0 => Layout::Compat,
            1 => Layout::Range,
            2 => Layout::Range2,
            r => return Err(DecodeError(format!("DNAT: unknown revision {r}"))),
        };
        Ok(Dnat {
            range: NatRange::from_blob(info, layout, family)?,
            rev: rev as u8,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ext::nat::test_util::*;
    use crate::ext::nat::{MAP_IPS, PERSISTENT, PROTO_OFFSET, PROTO_RANDOM, PROTO_SPECIFIED};
    use crate::model::{Inv, Table};

    fn build(family: Family, proto: Option<u8>, v: &[(usize, &str)]) -> Result<Dnat, Error> {
        let p = proto.map(|p| Inv::new(false, p));
        let cx = ParseCx {
            family,
            proto: p.as_ref(),
            table: Table::Nat,
            chain: "PREROUTING",
            rule: true,
        };
        Dnat::build(&hits(v), &cx)
    }

    fn save(d: &Dnat, family: Family) -> String {
        let mut s = String::new();
        d.save(
            &FmtCx {
                family,
                numeric: false,
                proto: None,
            },
            &mut s,
        );
        s
    }

    fn blob(d: &Dnat, family: Family) -> Vec<u8> {
        let mut e = Vec::new();
        d.encode(
            &EncodeCx {
                family,
                proto: None,
            },
            &mut e,
        );
        match e.as_slice() {
            [Expr::Target { name, rev: 2, info }] if name == "DNAT" => info.clone(),
            e => panic!("{e:?}"),
        }
    }

    #[test]
    fn save_text() {
        let d = build(
            Family::V4,
            Some(6),
            &[(0, "1.1.1.1-1.1.1.10:1025-65535"), (1, ""), (2, "")],
        )
        .unwrap();
        assert_eq!(
            save(&d, Family::V4),
            " --to-destination 1.1.1.1-1.1.1.10:1025-65535 --random --persistent"
        );
        let d = build(Family::V6, Some(6), &[(0, "[dead::beef]:ssh")]).unwrap();
        assert_eq!(save(&d, Family::V6), " --to-destination [dead::beef]:22");
        let mut s = String::new();
        d.print(
            &FmtCx {
                family: Family::V6,
                numeric: true,
                proto: None,
            },
            &mut s,
        );
        assert_eq!(s, " to:[dead::beef]:22");
    }

    #[test]
    fn mandatory_and_ports() {
        let e = build(Family::V4, None, &[(1, "")]).unwrap_err();
        assert_eq!(
            e,
            Error::Param("DNAT: option \"--to-destination\" must be specified\n".into())
        );
        assert!(build(Family::V4, None, &[(0, "1.1.1.1:80")]).is_err());
        assert!(build(Family::V4, Some(1), &[(0, "1.1.1.1:80")]).is_ok());
    }

    /// Bytes iptables-nft 1.8.9 wrote on kernel 6.18, captured by running
    /// the reference in `unshare -n` and dumping the rule's target info
    /// with a small libnftnl program (`nftnl_expr_get(e, NFTNL_EXPR_TG_INFO)`).
    #[test]
    fn reference_bytes() {
        let cases: &[Case] = &[
            // iptables-nft -t nat -A PREROUTING -j DNAT --to-destination 1.1.1.1
            (Family::V4, None, &[(0, "1.1.1.1")],
             "01000000 01010101 00000000 00000000 00000000 01010101 00000000 00000000 00000000 00000000 00000000 00000000"),
            // -p tcp -j DNAT --to-destination 1.1.1.1-1.1.1.10:1025-65535 --random --persistent
            (Family::V4, Some(6), &[(0, "1.1.1.1-1.1.1.10:1025-65535"), (1, ""), (2, "")],
             "0f000000 01010101 00000000 00000000 00000000 0101010a 00000000 00000000 00000000 0401ffff 00000000 00000000"),
            // -p tcp -j DNAT --to-destination 1.1.1.1:1000-2000/3000
            (Family::V4, Some(6), &[(0, "1.1.1.1:1000-2000/3000")],
             "23000000 01010101 00000000 00000000 00000000 01010101 00000000 00000000 00000000 03e807d0 0bb80000 00000000"),
            // ip6tables-nft ... -j DNAT --to-destination dead::beef
            (Family::V6, None, &[(0, "dead::beef")],
             "01000000 dead0000 00000000 00000000 0000beef dead0000 00000000 00000000 0000beef 00000000 00000000 00000000"),
            // -p tcp -j DNAT --to-destination [dead::beef-dead::fee7]:1025-65535 --random --persistent
            (Family::V6, Some(6), &[(0, "[dead::beef-dead::fee7]:1025-65535"), (1, ""), (2, "")],
             "0f000000 dead0000 00000000 00000000 0000beef dead0000 00000000 00000000 0000fee7 0401ffff 00000000 00000000"),
            // -p tcp -j DNAT --to-destination [dead::beef]:1000-2000/3000
            (Family::V6, Some(6), &[(0, "[dead::beef]:1000-2000/3000")],
             "23000000 dead0000 00000000 00000000 0000beef dead0000 00000000 00000000 0000beef 03e807d0 0bb80000 00000000"),
        ];
        for (fam, proto, h, want) in cases {
            let d = build(*fam, *proto, h).unwrap();
            // flags are host order; the captures were made on little endian
            if cfg!(target_endian = "little") {
                assert_eq!(blob(&d, *fam), hex(want), "{h:?}");
            }
            assert_eq!(Dnat::decode_blob(2, &hex(want), *fam).unwrap(), d);
        }
    }

    #[test]
    fn older_revisions() {
        let d = build(
            Family::V4,
            Some(17),
            &[(0, "10.0.0.1-10.0.0.2:53"), (1, "")],
        )
        .unwrap();
        assert_eq!(d.range.flags, MAP_IPS | PROTO_SPECIFIED | PROTO_RANDOM);
        let r0 = d.range.to_blob(Layout::Compat);
        assert_eq!(r0.len(), 24);
        assert_eq!(
            Dnat::decode_blob(0, &r0, Family::V4).unwrap(),
            Dnat {
                rev: 0,
                ..d.clone()
            }
        );
        let r1 = d.range.to_blob(Layout::Range);
        assert_eq!(r1.len(), 40);
        assert_eq!(
            Dnat::decode_blob(1, &r1, Family::V4).unwrap(),
            Dnat {
                rev: 1,
                ..d.clone()
            }
        );
        let d6 = build(Family::V6, Some(6), &[(0, "[fd00::1]:80-90/100"), (2, "")]).unwrap();
        assert_eq!(
            d6.range.flags,
            MAP_IPS | PROTO_SPECIFIED | PROTO_OFFSET | PERSISTENT
        );
        let r1 = d6.range.to_blob(Layout::Range);
        // rev 1 has no base port
        let back = Dnat::decode_blob(1, &r1, Family::V6).unwrap();
        assert_eq!(back.range.base_port, 0);
        assert!(Dnat::decode_blob(0, &r0, Family::V6).is_err());
        assert!(Dnat::decode_blob(3, &r0, Family::V4).is_err());
    }
}

#[cfg(test)]
mod revision_tests {
    use super::*;
    use crate::ext::kit::{capped, hits, target_save, xt_target};
    use crate::ext::probe::with_probe;
    use crate::model::{Inv, Table};

    fn build(family: Family, v: &[(usize, bool, &str)]) -> Result<Dnat, Error> {
        let tcp = Inv::new(false, 6);
        let cx = ParseCx {
            family,
            proto: Some(&tcp),
            table: Table::Nat,
            chain: "PREROUTING",
            rule: true,
        };
        Dnat::build(&hits(v), &cx)
    }

    /// A kernel without revision 2 (before 4.18) gets IPv4's revision 0
    /// (`struct nf_nat_ipv4_multi_range_compat`) or IPv6's revision 1
    /// (`struct nf_nat_range`); a shifted port map is refused as
    /// `DNAT_fcheck` refuses it.
    #[test]
    fn older_revisions_chosen_by_the_kernel() {
        let kernel = || capped(&[("DNAT", true, Some(1))]);
        let d = with_probe(kernel(), || {
            build(Family::V4, &[(0, false, "10.0.0.1:80-81")])
        })
        .unwrap();
        let (_, rev, b) = xt_target(&d, Family::V4);
        assert_eq!(rev, 0);
        // rangesize 1, then { flags, min_ip, max_ip, __be16 min, max }
        let mut want = 1u32.to_ne_bytes().to_vec();
        want.extend_from_slice(
            &(crate::ext::nat::MAP_IPS | crate::ext::nat::PROTO_SPECIFIED).to_ne_bytes(),
        );
        want.extend_from_slice(&[10, 0, 0, 1, 10, 0, 0, 1, 0, 80, 0, 81, 0, 0, 0, 0]);
        assert_eq!(b, want);
        let back = Dnat::decode_blob(0, &b, Family::V4).unwrap();
        assert_eq!(back, d);
        assert_eq!(
            target_save(&back, Family::V4),
            " --to-destination 10.0.0.1:80-81"
        );
        let d = with_probe(kernel(), || {
            build(Family::V6, &[(0, false, "[fd00::1]:53")])
        })
        .unwrap();
        let (_, rev, b) = xt_target(&d, Family::V6);
        assert_eq!((rev, b.len()), (1, 40));
        assert_eq!(Dnat::decode_blob(1, &b, Family::V6).unwrap(), d);
        for fam in [Family::V4, Family::V6] {
            let to = if fam == Family::V4 {
                "10.0.0.1:80-90/100"
            } else {
                "[fd00::1]:80-90/100"
            };
            let e = with_probe(kernel(), || build(fam, &[(0, false, to)])).unwrap_err();
            assert_eq!(
                e.to_string(),
                "Shifted portmap ranges not supported with this kernel"
            );
        }
        let d = build(Family::V4, &[(0, false, "10.0.0.1:80-90/100")]).unwrap();
        assert_eq!(xt_target(&d, Family::V4).1, 2);
    }
}
