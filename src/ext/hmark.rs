//! `-j HMARK` (`libxt_HMARK.c`): xt target `HMARK` revision 0, `struct
//! xt_hmark_info` (address masks, port masks and ORed values, flags, a
//! protocol mask, the hash seed, modulus and offset), both families.
//!
//! Each option sets the flag of its `XT_HMARK_*` id; `--hmark-tuple` is a
//! list of (case-insensitive, abbreviable) names that each set a mask to
//! all ones and its flag, and counts as that option given (so the option
//! after it is "used twice"). The hash seed and modulus are required, and
//! something to hash by.

use super::connlimit::parse_plenmask;
use super::nat::mask_len;
use super::value::{parse_u32, ValueKind};
use super::{EncodeCx, FmtCx, OptHit, OptSpec, ParseCx, TargetExtT};
use crate::error::{param, DecodeError, Error};
use crate::ext::blob::Inet;
use crate::ir::Expr;
use crate::model::Family;
use std::fmt::Write;

crate::xt_struct! {
    /// `struct xt_hmark_info`
    pub struct HmarkInfo {
        pub src_mask: Inet,
        pub dst_mask: Inet,
        pub port_mask: [u8; 4],
        pub port_set: [u8; 4],
        pub flags: u32,
        pub proto_mask: u16,
        pub hashrnd: u32,
        pub hmodulus: u32,
        pub hoffset: u32,
    }
}
const _: () = assert!(HmarkInfo::SIZE == 60);

// `XT_HMARK_*` flag bits (also the option ids of libxt_HMARK.c)
const SADDR_MASK: u32 = 0;
const DADDR_MASK: u32 = 1;
const SPI: u32 = 2;
const SPI_MASK: u32 = 3;
const SPORT: u32 = 4;
const DPORT: u32 = 5;
const SPORT_MASK: u32 = 6;
const DPORT_MASK: u32 = 7;
const PROTO_MASK: u32 = 8;
const RND: u32 = 9;
const MODULUS: u32 = 10;
const OFFSET: u32 = 11;
const CT: u32 = 12;
/// `O_HMARK_TYPE`: `--hmark-tuple` itself
const TYPE: u32 = 13;

/// The id of each entry of `OPTIONS`, in table order.
const IDS: [u32; 13] = [
    TYPE, SADDR_MASK, DADDR_MASK, SPORT_MASK, DPORT_MASK, SPI_MASK, SPORT, DPORT, SPI, PROTO_MASK,
    RND, MODULUS, OFFSET,
];

/// `HMARK_OPT_PKT_MASK`: what counts as something to hash by (with `ct`).
const PKT_MASK: u32 = 1 << SADDR_MASK
    | 1 << DADDR_MASK
    | 1 << SPI_MASK
    | 1 << SPORT_MASK
    | 1 << DPORT_MASK
    | 1 << PROTO_MASK
    | 1 << SPORT
    | 1 << DPORT
    | 1 << SPI;

/// The names `--hmark-tuple` takes, in the order `hmark_parse` tries them.
const TUPLE: [(&str, u32); 7] = [
    ("ct", CT),
    ("src", SADDR_MASK),
    ("dst", DADDR_MASK),
    ("sport", SPORT_MASK),
    ("dport", DPORT_MASK),
    ("proto", PROTO_MASK),
    ("spi", SPI_MASK),
];

/// The HMARK target: the kernel struct as it is (boxed: rules hold their
/// targets inline).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hmark(pub Box<HmarkInfo>);

/// `strncasecmp(item, name, strlen(item)) == 0`: the first tuple name
/// `item` abbreviates.
fn tuple_item(item: &str) -> Option<u32> {
    TUPLE
        .iter()
        .find(|(n, _)| n.len() >= item.len() && n[..item.len()].eq_ignore_ascii_case(item))
        .map(|(_, id)| *id)
}

/// `hmark_parse_type`: the ids of the names in the list, or iptables'
/// message (a bad name is shown with the rest of the list after it).
fn parse_tuple(arg: &str) -> Result<Vec<u32>, Error> {
    let bad = |rest: &str| param(format!("Bad type \"{rest}\""));
    let mut ids = Vec::new();
    let mut rest = arg;
    while let Some(p) = rest.find(',') {
        ids.push(
            (p > 0)
                .then(|| tuple_item(&rest[..p]))
                .flatten()
                .ok_or_else(|| bad(rest))?,
        );
        rest = &rest[p + 1..];
    }
    if rest.is_empty() {
        return Err(param(
            "\"--hmark-tuple\" requires a list of types with no spaces, e.g. src,dst,sport,dport,proto",
        ));
    }
    ids.push(tuple_item(rest).ok_or_else(|| bad(rest))?);
    Ok(ids)
}

impl Hmark {
    fn has(&self, id: u32) -> bool {
        self.0.flags & (1 << id) != 0
    }

    /// `xtables_ipmask_to_cidr`/`xtables_ip6mask_to_cidr`: -1 for a mask
    /// with holes.
    fn cidr(mask: &Inet, family: Family) -> i32 {
        let m = &mask.0[..family.addr_len()];
        mask_len(m).map_or(-1, |l| l as i32)
    }

    fn port(b: &[u8; 4], hi: bool) -> u16 {
        let o = if hi { 0 } else { 2 };
        u16::from_be_bytes([b[o], b[o + 1]])
    }

    /// The list text of a prefix (`HMARK_ip4_print`/`HMARK_ip6_print`).
    fn prefix_text(mask: &Inet, family: Family) -> String {
        let l = Self::cidr(mask, family);
        match family {
            Family::V4 => (l as u32).to_string(),
            // `xtables_ip6mask_to_numeric(...) + 1`: past the "/" of "/64";
            // the mask itself when it has holes; "" (past the end of an
            // empty string, which reads as empty) for 128
            Family::V6 => match l {
                -1 => crate::model::addr::ntop(&std::net::IpAddr::from(mask.0)),
                128 => String::new(),
                l => l.to_string(),
            },
        }
    }
}

impl TargetExtT for Hmark {
    const NAME: &'static str = "HMARK";
    const OPTIONS: &'static [OptSpec] = &[
        OptSpec::value("hmark-tuple").no_inv(),
        OptSpec::value("hmark-src-prefix").no_inv(),
        OptSpec::value("hmark-dst-prefix").no_inv(),
        OptSpec::value("hmark-sport-mask")
            .no_inv()
            .kind(ValueKind::UInt(0, 65535)),
        OptSpec::value("hmark-dport-mask")
            .no_inv()
            .kind(ValueKind::UInt(0, 65535)),
        OptSpec::value("hmark-spi-mask")
            .no_inv()
            .kind(ValueKind::U32),
        OptSpec::value("hmark-sport")
            .no_inv()
            .kind(ValueKind::UInt(0, 65535)),
        OptSpec::value("hmark-dport")
            .no_inv()
            .kind(ValueKind::UInt(0, 65535)),
        OptSpec::value("hmark-spi").no_inv().kind(ValueKind::U32),
        OptSpec::value("hmark-proto-mask")
            .no_inv()
            .kind(ValueKind::UInt(0, 65535)),
        OptSpec::value("hmark-rnd").no_inv().kind(ValueKind::U32),
        OptSpec::value("hmark-mod")
            .no_inv()
            .kind(ValueKind::UInt(1, u32::MAX as u64)),
        OptSpec::value("hmark-offset").no_inv().kind(ValueKind::U32),
    ];

    fn build(hits: &[OptHit], cx: &ParseCx) -> Result<Self, Error> {
        let mut i = HmarkInfo {
            src_mask: Inet::default(),
            dst_mask: Inet::default(),
            port_mask: [0; 4],
            port_set: [0; 4],
            flags: 0,
            proto_mask: 0,
            hashrnd: 0,
            hmodulus: 0,
            hoffset: 0,
        };
        // the option ids seen, as libxtables' `xflags`
        let mut xflags = 0u32;
        let width = if cx.family == Family::V4 { 32 } else { 128 };
        for h in hits {
            let (spec, id) = (Self::OPTIONS[h.idx], IDS[h.idx]);
            // an option a `--hmark-tuple` name stood for before
            if xflags & (1 << id) != 0 {
                return Err(param(format!(
                    "HMARK: option \"--{}\" can only be used once.\n",
                    spec.name
                )));
            }
            xflags |= 1 << id;
            let u32v = || parse_u32(h.arg()).unwrap_or(0);
            let be16 = |v: u32| (v as u16).to_be_bytes();
            match id {
                TYPE => {
                    for t in parse_tuple(h.arg())? {
                        xflags |= 1 << t;
                        i.flags |= 1 << t;
                        match t {
                            SADDR_MASK => i.src_mask = Inet([0xff; 16]),
                            DADDR_MASK => i.dst_mask = Inet([0xff; 16]),
                            SPORT_MASK => i.port_mask[..2].fill(0xff),
                            DPORT_MASK => i.port_mask[2..].fill(0xff),
                            PROTO_MASK => i.proto_mask = 0xffff,
                            SPI_MASK => i.port_mask = [0xff; 4],
                            _ => {}
                        }
                    }
                    continue;
                }
                SADDR_MASK | DADDR_MASK => {
                    let m = parse_plenmask(h.arg(), cx.family).ok_or_else(|| {
                        param(format!(
                            "HMARK: bad value for option \"--{}\", neither a valid network mask nor valid CIDR (0-{width}).\n",
                            spec.name
                        ))
                    })?;
                    if id == SADDR_MASK {
                        i.src_mask = Inet(m);
                    } else {
                        i.dst_mask = Inet(m);
                    }
                }
                SPORT_MASK => i.port_mask[..2].copy_from_slice(&be16(u32v())),
                DPORT_MASK => i.port_mask[2..].copy_from_slice(&be16(u32v())),
                SPI_MASK => i.port_mask = u32v().to_be_bytes(),
                SPORT => i.port_set[..2].copy_from_slice(&be16(u32v())),
                DPORT => i.port_set[2..].copy_from_slice(&be16(u32v())),
                SPI => i.port_set = u32v().to_be_bytes(),
                PROTO_MASK => i.proto_mask = u32v() as u16,
                RND => i.hashrnd = u32v(),
                MODULUS => i.hmodulus = u32v(),
                _ => i.hoffset = u32v(),
            }
            i.flags |= 1 << id;
        }
        // `HMARK_check`
        if xflags & 1 << MODULUS == 0 {
            return Err(param("--hmark-mod is mandatory"));
        }
        if xflags & 1 << RND == 0 {
            return Err(param("--hmark-rnd is mandatory"));
        }
        if xflags & 1 << SPI_MASK != 0 && xflags & (1 << SPORT_MASK | 1 << DPORT_MASK) != 0 {
            return Err(param(
                "you cannot use --hmark-spi-mask and --hmark-?port-mask,at the same time",
            ));
        }
        if xflags & (PKT_MASK | 1 << CT) == 0 {
            return Err(param("you have to specify --hmark-tuple at least"));
        }
        Ok(Hmark(Box::new(i)))
    }

    fn save(&self, cx: &FmtCx, out: &mut String) {
        let i = &self.0;
        if self.has(SADDR_MASK) {
            let _ = write!(
                out,
                " --hmark-src-prefix {}",
                Self::cidr(&i.src_mask, cx.family)
            );
        }
        if self.has(DADDR_MASK) {
            let _ = write!(
                out,
                " --hmark-dst-prefix {}",
                Self::cidr(&i.dst_mask, cx.family)
            );
        }
        let (pm, ps) = (&i.port_mask, &i.port_set);
        if self.has(SPORT_MASK) {
            let _ = write!(out, " --hmark-sport-mask 0x{:04x}", Self::port(pm, true));
        }
        if self.has(DPORT_MASK) {
            let _ = write!(out, " --hmark-dport-mask 0x{:04x}", Self::port(pm, false));
        }
        if self.has(SPI_MASK) {
            let _ = write!(out, " --hmark-spi-mask 0x{:08x}", u32::from_be_bytes(*pm));
        }
        if self.has(SPORT) {
            let _ = write!(out, " --hmark-sport 0x{:04x}", Self::port(ps, true));
        }
        if self.has(DPORT) {
            let _ = write!(out, " --hmark-dport 0x{:04x}", Self::port(ps, false));
        }
        if self.has(SPI) {
            let _ = write!(out, " --hmark-spi 0x{:08x}", u32::from_be_bytes(*ps));
        }
        if self.has(PROTO_MASK) {
            let _ = write!(out, " --hmark-proto-mask 0x{:02x}", i.proto_mask);
        }
        if self.has(RND) {
            let _ = write!(out, " --hmark-rnd 0x{:08x}", i.hashrnd);
        }
        if self.has(MODULUS) {
            let _ = write!(out, " --hmark-mod {}", i.hmodulus);
        }
        if self.has(OFFSET) {
            let _ = write!(out, " --hmark-offset {}", i.hoffset);
        }
        if self.has(CT) {
            out.push_str(" --hmark-tuple ct");
        }
    }

    fn print(&self, cx: &FmtCx, out: &mut String) {
        let i = &self.0;
        out.push_str(" HMARK ");
        if self.has(MODULUS) {
            let _ = write!(out, "mod {} ", i.hmodulus);
        }
        if self.has(OFFSET) {
            let _ = write!(out, "+ 0x{:x} ", i.hoffset);
        }
        if self.has(CT) {
            out.push_str("ct, ");
        }
        if self.has(SADDR_MASK) {
            let _ = write!(
                out,
                "src-prefix {} ",
                Self::prefix_text(&i.src_mask, cx.family)
            );
        }
        if self.has(DADDR_MASK) {
            let _ = write!(
                out,
                "dst-prefix {} ",
                Self::prefix_text(&i.dst_mask, cx.family)
            );
        }
        let (pm, ps) = (&i.port_mask, &i.port_set);
        if self.has(SPORT_MASK) {
            let _ = write!(out, "sport-mask 0x{:x} ", Self::port(pm, true));
        }
        if self.has(DPORT_MASK) {
            let _ = write!(out, "dport-mask 0x{:x} ", Self::port(pm, false));
        }
        if self.has(SPI_MASK) {
            let _ = write!(out, "spi-mask 0x{:x} ", u32::from_be_bytes(*pm));
        }
        if self.has(SPORT) {
            let _ = write!(out, "sport 0x{:x} ", Self::port(ps, true));
        }
        if self.has(DPORT) {
            let _ = write!(out, "dport 0x{:x} ", Self::port(ps, false));
        }
        if self.has(SPI) {
            let _ = write!(out, "spi 0x{:x} ", u32::from_be_bytes(*ps));
        }
        if self.has(PROTO_MASK) {
            let _ = write!(out, "proto-mask 0x{:x} ", i.proto_mask);
        }
        if self.has(RND) {
            let _ = write!(out, "rnd 0x{:x} ", i.hashrnd);
        }
    }

    fn encode(&self, _cx: &EncodeCx, out: &mut Vec<Expr>) {
        out.push(Expr::Target {
            name: Self::NAME.into(),
            rev: 0,
            info: self.0.to_blob(),
        });
    }

    fn decode_blob(rev: u32, info: &[u8], _family: Family) -> Result<Self, DecodeError> {
        match (rev, HmarkInfo::from_blob(info)) {
            (0, Some(i)) => Ok(Hmark(Box::new(i))),
            _ => Err(DecodeError(format!(
                "HMARK target revision {rev} of {} bytes",
                info.len()
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ext::kit::build_target;

    fn texts(t: &Hmark, family: Family) -> (String, String) {
        let cx = FmtCx {
            family,
            numeric: true,
            proto: None,
        };
        let (mut s, mut l) = (String::new(), String::new());
        t.save(&cx, &mut s);
        t.print(&cx, &mut l);
        (s, l)
    }

    fn build(family: Family, v: &[(usize, &str)]) -> Result<Hmark, Error> {
        let v: Vec<(usize, bool, &str)> = v.iter().map(|(i, a)| (*i, false, *a)).collect();
        build_target(family, &v)
    }

    /// Text as iptables 1.8.13 prints it (captured).
    #[test]
    fn like_1_8_13() {
        let t = build(
            Family::V4,
            &[
                (1, "1"),
                (2, "2"),
                (3, "0x0003"),
                (4, "0x0004"),
                (9, "0x05"),
                (10, "0x00000004"),
                (11, "42"),
                (12, "1"),
                (0, "ct"),
            ],
        )
        .unwrap();
        assert_eq!(
            texts(&t, Family::V4),
            (
                " --hmark-src-prefix 1 --hmark-dst-prefix 2 --hmark-sport-mask 0x0003 --hmark-dport-mask 0x0004 --hmark-proto-mask 0x05 --hmark-rnd 0x00000004 --hmark-mod 42 --hmark-offset 1 --hmark-tuple ct".into(),
                " HMARK mod 42 + 0x1 ct, src-prefix 1 dst-prefix 2 sport-mask 0x3 dport-mask 0x4 proto-mask 0x5 rnd 0x4 ".into()
            )
        );
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
        assert_eq!(info.len(), 64);
        assert_eq!(&info[32..36], &[0, 3, 0, 4]);
        assert_eq!(Hmark::decode_blob(0, info, Family::V4).unwrap(), t);

        let t = build(Family::V4, &[(0, "S,D,sP,DP,P"), (10, "1"), (11, "2")]).unwrap();
        assert_eq!(
            texts(&t, Family::V4).0,
            " --hmark-src-prefix 32 --hmark-dst-prefix 32 --hmark-sport-mask 0xffff --hmark-dport-mask 0xffff --hmark-proto-mask 0xffff --hmark-rnd 0x00000001 --hmark-mod 2"
        );
        let t = build(Family::V4, &[(1, "33"), (10, "1"), (11, "2")]).unwrap();
        assert_eq!(
            texts(&t, Family::V4),
            (
                " --hmark-src-prefix -1 --hmark-rnd 0x00000001 --hmark-mod 2".into(),
                " HMARK mod 2 src-prefix 4294967295 rnd 0x1 ".into()
            )
        );
        let t = build(
            Family::V6,
            &[(1, "ffff::ff"), (2, "ffff:ff00::"), (10, "1"), (11, "2")],
        )
        .unwrap();
        assert_eq!(
            texts(&t, Family::V6),
            (
                " --hmark-src-prefix -1 --hmark-dst-prefix 24 --hmark-rnd 0x00000001 --hmark-mod 2"
                    .into(),
                " HMARK mod 2 src-prefix ffff::ff dst-prefix 24 rnd 0x1 ".into()
            )
        );
        let t = build(Family::V6, &[(0, "src,dst"), (10, "1"), (11, "2")]).unwrap();
        assert_eq!(
            texts(&t, Family::V6).1,
            " HMARK mod 2 src-prefix  dst-prefix  rnd 0x1 "
        );
    }

    /// Messages as iptables 1.8.13 prints them (captured).
    #[test]
    fn messages() {
        for (v, msg) in [
            (vec![], "--hmark-mod is mandatory"),
            (vec![(0, "ct"), (11, "2")], "--hmark-rnd is mandatory"),
            (
                vec![(10, "1"), (11, "2")],
                "you have to specify --hmark-tuple at least",
            ),
            (
                vec![(0, "spi,sport"), (10, "1"), (11, "2")],
                "you cannot use --hmark-spi-mask and --hmark-?port-mask,at the same time",
            ),
            (vec![(0, "src,foo,dst")], "Bad type \"foo,dst\""),
            (vec![(0, ",src")], "Bad type \",src\""),
            (vec![(0, "ctx")], "Bad type \"ctx\""),
            (
                vec![(0, "src,")],
                "\"--hmark-tuple\" requires a list of types with no spaces, e.g. src,dst,sport,dport,proto",
            ),
            (
                vec![(0, "src"), (1, "5")],
                "HMARK: option \"--hmark-src-prefix\" can only be used once.\n",
            ),
            (
                vec![(1, "-1")],
                "HMARK: bad value for option \"--hmark-src-prefix\", neither a valid network mask nor valid CIDR (0-32).\n",
            ),
        ] {
            assert_eq!(
                build(Family::V4, &v).unwrap_err().to_string(),
                msg,
                "{v:?}"
            );
        }
        assert!(build(Family::V4, &[(0, "c"), (10, "1"), (11, "2")]).is_ok());
    }
}
