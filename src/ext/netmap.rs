//! `-j NETMAP --to addr[/len|/mask]` (`libipt_NETMAP.c`, `libip6t_NETMAP.c`):
//! maps a whole network one to one. Revision 0 in both families: the IPv4
//! compat struct, `nf_nat_range` in IPv6. The range is the network
//! (`min`) and its last address (`max`); the text is `min/len`.

use super::nat::{
    must_be_specified, netmap_range, netmap_text, parse_hostmask, rev0_range, rev0_target, NatRange,
};
use super::{EncodeCx, FmtCx, OptHit, OptSpec, ParseCx, TargetExtT};
use crate::error::{DecodeError, Error};
use crate::ir::Expr;
use crate::model::Family;

/// The NETMAP target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Netmap {
    /// the network mapped to, as a range
    pub range: NatRange,
}

impl TargetExtT for Netmap {
    const NAME: &'static str = "NETMAP";
    const OPTIONS: &'static [OptSpec] = &[OptSpec::value("to").no_inv()];

    fn build(hits: &[OptHit], cx: &ParseCx) -> Result<Self, Error> {
        let h = hits
            .last()
            .ok_or_else(|| must_be_specified(Self::NAME, "to"))?;
        let (addr, mask) = parse_hostmask(Self::NAME, "to", h.arg(), cx.family)?;
        Ok(Netmap {
            range: netmap_range(&addr, &mask, cx.family),
        })
    }

    fn save(&self, _cx: &FmtCx, out: &mut String) {
        out.push_str(" --to ");
        out.push_str(&netmap_text(&self.range));
    }

    fn print(&self, _cx: &FmtCx, out: &mut String) {
        out.push_str(" to:");
        out.push_str(&netmap_text(&self.range));
    }

    fn encode(&self, cx: &EncodeCx, out: &mut Vec<Expr>) {
        out.push(rev0_target(Self::NAME, &self.range, cx.family));
    }

    fn decode_blob(rev: u32, info: &[u8], family: Family) -> Result<Self, DecodeError> {
        Ok(Netmap {
            range: rev0_range(Self::NAME, rev, info, family)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ext::nat::test_util::*;
    use crate::model::Table;

    fn build(family: Family, arg: Option<&str>) -> Result<Netmap, Error> {
        let cx = ParseCx {
            family,
            proto: None,
            table: Table::Nat,
            chain: "PREROUTING",
            rule: true,
        };
        let hits: Vec<OptHit> = arg.iter().map(|a| OptHit::new(0, false, &[*a])).collect();
        Netmap::build(&hits, &cx)
    }

    fn save(family: Family, arg: &str) -> String {
        let n = build(family, Some(arg)).unwrap();
        let mut s = String::new();
        n.save(
            &FmtCx {
                family,
                numeric: false,
                proto: None,
            },
            &mut s,
        );
        s
    }

    /// Save text iptables-nft 1.8.9 gave for each `--to` value.
    #[test]
    fn save_text_like_reference() {
        for (arg, want) in [
            ("1.2.3.0/24", "1.2.3.0/24"),
            ("1.2.3.4", "1.2.3.4/32"),
            ("1.2.3.4/33", "1.2.3.4/32"),
            ("1.2.3.4/256", "1.2.3.4/32"),
            ("1.2.3.4/4294967295", "1.2.3.4/32"),
            ("1.2.3.4/0x10", "1.2.0.0/16"),
            ("1.2.3.4/010", "1.0.0.0/8"),
            ("1.2.3.4/ 8", "1.0.0.0/8"),
            ("1.2.3.4/+8", "1.0.0.0/8"),
            ("1.2.3.4/0", "0.0.0.0/0"),
            ("1.2.3.4/255.255.0.0", "1.2.0.0/16"),
            ("1.2.3.4/255.0.255.0", "1.2.3.4/32"),
            ("1.2.3.4/0xffff0000", "1.2.0.0/16"),
            ("10.20.30.40/255.255.255.0x80", "10.20.30.0/25"),
            ("1.2.3", "1.2.0.3/32"),
            ("0x01020304", "1.2.3.4/32"),
            ("10.20.30.040", "10.20.30.32/32"),
        ] {
            assert_eq!(save(Family::V4, arg), format!(" --to {want}"), "{arg}");
        }
        for (arg, want) in [
            ("dead::/64", "dead::/64"),
            ("dead::beef", "dead::beef/128"),
            ("dead::1/0x40", "dead::/64"),
            ("dead::1/ffff::", "dead::/16"),
            ("dead::1/ff00:ff00::", "dead::1/128"),
            ("dead:beef::1/::", "::/0"),
        ] {
            assert_eq!(save(Family::V6, arg), format!(" --to {want}"), "{arg}");
        }
    }

    #[test]
    fn errors_like_reference() {
        let msg = |f, a| match build(f, a).unwrap_err() {
            Error::Param(m) => m,
            e => panic!("{e:?}"),
        };
        assert_eq!(
            msg(Family::V4, None),
            "NETMAP: option \"--to\" must be specified\n"
        );
        for bad in [
            "1.2.3.4/",
            "1.2.3.4/x",
            "1.2.3.4/-1",
            "1.2.3.4/8x",
            "1.2.3.4/8 ",
        ] {
            assert_eq!(
                msg(Family::V4, Some(bad)),
                "NETMAP: bad value for option \"--to\", neither a valid network mask nor valid CIDR (0-32).\n",
                "{bad}"
            );
        }
        assert_eq!(
            msg(Family::V6, Some("dead::1/129")),
            "NETMAP: bad value for option \"--to\", neither a valid network mask nor valid CIDR (0-128).\n"
        );
        assert!(msg(Family::V6, Some("1.2.3.4/8")).starts_with("getaddrinfo: "));
    }

    #[test]
    fn list_text_with_holes() {
        // a range whose mask has holes prints the mask (only a foreign
        // writer makes one: iptables turns such masks into /32)
        let mut n = build(Family::V4, Some("1.2.3.4/32")).unwrap();
        n.range.min_addr = "1.0.3.0".parse().unwrap();
        n.range.max_addr = "1.255.3.255".parse().unwrap();
        let mut s = String::new();
        n.print(
            &FmtCx {
                family: Family::V4,
                numeric: true,
                proto: None,
            },
            &mut s,
        );
        assert_eq!(s, " to:1.0.3.0/255.0.255.0");
    }

    /// Bytes iptables-nft 1.8.9 wrote on kernel 6.18 (the reference run in
    /// `unshare -n`, the target info read back with libnftnl).
    #[test]
    fn reference_bytes() {
        for (fam, arg, want) in [
            // iptables-nft -t nat -A PREROUTING -j NETMAP --to 1.2.3.0/24
            (Family::V4, "1.2.3.0/24", "01000000 01000000 01020300 010203ff 00000000 00000000"),
            // ip6tables-nft -t nat -A PREROUTING -j NETMAP --to dead::/64
            (Family::V6, "dead::/64",
             "01000000 dead0000 00000000 00000000 00000000 dead0000 00000000 ffffffff ffffffff 00000000"),
        ] {
            let n = build(fam, Some(arg)).unwrap();
            let mut e = Vec::new();
            n.encode(&EncodeCx { family: fam, proto: None }, &mut e);
            let [Expr::Target { name, rev: 0, info }] = e.as_slice() else {
                panic!("{e:?}")
            };
            assert_eq!(name, "NETMAP");
            if cfg!(target_endian = "little") {
                assert_eq!(info, &hex(want), "{arg}");
            }
            assert_eq!(Netmap::decode_blob(0, &hex(want), fam).unwrap(), n);
        }
    }
}
