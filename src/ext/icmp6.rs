//! `-m icmp6` / `-p ipv6-icmp` (`libip6t_icmp6`, `struct ip6t_icmp`).

use super::icmp::{build_type, print_type, IcmpName, TypeCode};
use super::{EncodeCx, FmtCx, MatchExt, OptHit, OptSpec, ParseCx};
use crate::error::{DecodeError, Error};
use crate::ir::Expr;
use crate::model::Family;

const fn n(name: &'static str, ty: u8, lo: u8, hi: u8) -> IcmpName {
    IcmpName {
        name,
        ty,
        code: (lo, hi),
    }
}

/// ICMPv6 names (the MLD names are from upstream after 1.8.9, as its
/// tests expect).
const NAMES: &[IcmpName] = &[
    n("destination-unreachable", 1, 0, 0xff),
    n("no-route", 1, 0, 0),
    n("communication-prohibited", 1, 1, 1),
    n("beyond-scope", 1, 2, 2),
    n("address-unreachable", 1, 3, 3),
    n("port-unreachable", 1, 4, 4),
    n("failed-policy", 1, 5, 5),
    n("reject-route", 1, 6, 6),
    n("packet-too-big", 2, 0, 0xff),
    n("time-exceeded", 3, 0, 0xff),
    n("ttl-zero-during-transit", 3, 0, 0),
    n("ttl-zero-during-reassembly", 3, 1, 1),
    n("parameter-problem", 4, 0, 0xff),
    n("bad-header", 4, 0, 0),
    n("unknown-header-type", 4, 1, 1),
    n("unknown-option", 4, 2, 2),
    n("echo-request", 128, 0, 0xff),
    n("echo-reply", 129, 0, 0xff),
    n("mld-listener-query", 130, 0, 0xff),
    n("mld-listener-report", 131, 0, 0xff),
    n("mld-listener-done", 132, 0, 0xff),
    n("mld-listener-reduction", 132, 0, 0xff),
    n("router-solicitation", 133, 0, 0xff),
    n("router-advertisement", 134, 0, 0xff),
    n("neighbour-solicitation", 135, 0, 0xff),
    n("neighbour-advertisement", 136, 0, 0xff),
    n("redirect", 137, 0, 0xff),
    // aliases
    n("ping", 128, 0, 0xff),
    n("pong", 129, 0, 0xff),
    n("ttl-exceeded", 3, 0, 0xff),
    n("neighbor-solicitation", 135, 0, 0xff),
    n("neighbor-advertisement", 136, 0, 0xff),
];

/// `struct ip6t_icmp`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Icmp6(pub(crate) TypeCode);

impl MatchExt for Icmp6 {
    const NAME: &'static str = "icmp6";
    const PROTO: Option<u8> = Some(58);
    const FAMILIES: &'static [Family] = &[Family::V6];
    const OPTIONS: &'static [OptSpec] = &[OptSpec::value("icmpv6-type").mandatory()];

    fn build(hits: &[OptHit], cx: &ParseCx) -> Result<Self, Error> {
        let need = "icmp6 match requires '-p ipv6-icmp'";
        build_type(hits, cx, 58, need, NAMES, "ICMPv6").map(Icmp6)
    }

    fn save(&self, _cx: &FmtCx, out: &mut String) {
        if self.0.inv {
            out.push_str(" !");
        }
        out.push_str(" --icmpv6-type ");
        out.push_str(&self.0.save_value());
    }

    fn print(&self, cx: &FmtCx, out: &mut String) {
        out.push_str(" ipv6-icmp");
        print_type(out, NAMES, self.0.ty, self.0.code, self.0.inv, cx.numeric);
    }

    fn encode(&self, _cx: &EncodeCx, out: &mut Vec<Expr>) {
        out.push(Expr::Match {
            name: "icmp6".into(),
            rev: 0,
            info: self.0.to_blob(),
        });
    }

    fn decode_blob(_rev: u32, info: &[u8], _family: Family) -> Result<Self, DecodeError> {
        TypeCode::from_blob("icmp6", info).map(Icmp6)
    }
}
