//! `-j SNPT|DNPT --src-pfx PFX/LEN --dst-pfx PFX/LEN` (`libip6t_SNPT.c`,
//! `libip6t_DNPT.c`): IPv6 xt targets `SNPT` and `DNPT` revision 0,
//! `struct ip6t_npt_tginfo { union nf_inet_addr src_pfx, dst_pfx; u8
//! src_pfx_len, dst_pfx_len; __sum16 adjustment; }`. Both options are
//! mandatory `XTTYPE_HOSTMASK`s (a bare address is a /128). The kernel
//! computes `adjustment` itself (iptables sends 0 and compares rules
//! without it), checks the prefixes (at most /64, no host bits) and takes
//! the targets in the mangle table only (SNPT: INPUT, POSTROUTING; DNPT:
//! PREROUTING, OUTPUT).

use super::nat::{mask_len, parse_hostmask};
use super::{EncodeCx, FmtCx, OptHit, OptSpec, ParseCx, TargetExtT};
use crate::error::{DecodeError, Error};
use crate::ext::blob::Inet;
use crate::ir::Expr;
use crate::model::addr::ntop;
use crate::model::Family;
use std::net::{IpAddr, Ipv6Addr};

crate::xt_struct! {
    /// `struct ip6t_npt_tginfo`
    pub struct NptInfo { pub src_pfx: Inet, pub dst_pfx: Inet, pub src_pfx_len: u8, pub dst_pfx_len: u8, pub adjustment: u16 }
}
const _: () = assert!(NptInfo::SIZE == 36);

/// What SNPT and DNPT share: the two prefixes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Npt {
    /// source prefix (as given: not masked)
    pub src_pfx: [u8; 16],
    /// dest prefix
    pub dst_pfx: [u8; 16],
    /// source prefix length
    pub src_pfx_len: u8,
    /// dest prefix length
    pub dst_pfx_len: u8,
}

const OPTIONS: &[OptSpec] = &[
    OptSpec::value("src-pfx").no_inv().mandatory(),
    OptSpec::value("dst-pfx").no_inv().mandatory(),
];

impl Npt {
    fn build(ext: &str, hits: &[OptHit]) -> Result<Self, Error> {
        let mut n = Npt {
            src_pfx: [0; 16],
            dst_pfx: [0; 16],
            src_pfx_len: 0,
            dst_pfx_len: 0,
        };
        for h in hits {
            let (addr, mask) = parse_hostmask(ext, OPTIONS[h.idx].name, h.arg(), Family::V6)?;
            let IpAddr::V6(a) = addr else {
                continue;
            };
            let len = mask_len(&mask).unwrap_or(128) as u8;
            if h.idx == 0 {
                (n.src_pfx, n.src_pfx_len) = (a.octets(), len);
            } else {
                (n.dst_pfx, n.dst_pfx_len) = (a.octets(), len);
            }
        }
        Ok(n)
    }

    fn pfx(a: &[u8; 16], len: u8) -> String {
        format!("{}/{len}", ntop(&IpAddr::V6(Ipv6Addr::from(*a))))
    }

    fn save(&self, out: &mut String) {
        for (opt, a, len) in [
            ("src-pfx", &self.src_pfx, self.src_pfx_len),
            ("dst-pfx", &self.dst_pfx, self.dst_pfx_len),
        ] {
            // (an all-zero prefix is left out)
            if *a != [0; 16] || len != 0 {
                out.push_str(&format!(" --{opt} {}", Self::pfx(a, len)));
            }
        }
    }

    fn print(&self, name: &str, out: &mut String) {
        out.push_str(&format!(
            " {name} src-pfx {} dst-pfx {}",
            Self::pfx(&self.src_pfx, self.src_pfx_len),
            Self::pfx(&self.dst_pfx, self.dst_pfx_len)
        ));
    }

    fn encode(&self, name: &str, out: &mut Vec<Expr>) {
        out.push(Expr::Target {
            name: name.into(),
            rev: 0,
            info: NptInfo {
                src_pfx: Inet(self.src_pfx),
                dst_pfx: Inet(self.dst_pfx),
                src_pfx_len: self.src_pfx_len,
                dst_pfx_len: self.dst_pfx_len,
                adjustment: 0,
            }
            .to_blob(),
        });
    }

    fn decode(name: &str, rev: u32, info: &[u8]) -> Result<Self, DecodeError> {
        match (rev, NptInfo::from_blob(info)) {
            // (the kernel's adjustment is not part of the rule)
            (0, Some(i)) => Ok(Npt {
                src_pfx: i.src_pfx.0,
                dst_pfx: i.dst_pfx.0,
                src_pfx_len: i.src_pfx_len,
                dst_pfx_len: i.dst_pfx_len,
            }),
            _ => Err(DecodeError(format!(
                "{name} target revision {rev} of {} bytes",
                info.len()
            ))),
        }
    }
}

macro_rules! npt_target {
    ($(#[$m:meta])* $ty:ident, $name:literal) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub struct $ty(pub Npt);

        impl TargetExtT for $ty {
            const NAME: &'static str = $name;
            const OPTIONS: &'static [OptSpec] = OPTIONS;
            const FAMILIES: &'static [Family] = &[Family::V6];

            fn build(hits: &[OptHit], _cx: &ParseCx) -> Result<Self, Error> {
                Npt::build($name, hits).map($ty)
            }

            fn save(&self, _cx: &FmtCx, out: &mut String) {
                self.0.save(out)
            }

            fn print(&self, _cx: &FmtCx, out: &mut String) {
                self.0.print($name, out)
            }

            fn encode(&self, _cx: &EncodeCx, out: &mut Vec<Expr>) {
                self.0.encode($name, out)
            }

            fn decode_blob(rev: u32, info: &[u8], _family: Family) -> Result<Self, DecodeError> {
                Npt::decode($name, rev, info).map($ty)
            }
        }
    };
}

npt_target!(
    /// The SNPT target (source prefix translation).
    Snpt,
    "SNPT"
);
npt_target!(
    /// The DNPT target (destination prefix translation).
    Dnpt,
    "DNPT"
);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ext::kit::build_target;

    const CX: FmtCx = FmtCx {
        family: Family::V6,
        numeric: true,
        proto: None,
    };

    fn texts<T: TargetExtT>(t: &T) -> (String, String) {
        let (mut s, mut l) = (String::new(), String::new());
        t.save(&CX, &mut s);
        t.print(&CX, &mut l);
        (s, l)
    }

    fn blob<T: TargetExtT>(t: &T) -> Vec<u8> {
        let mut e = Vec::new();
        t.encode(
            &EncodeCx {
                family: Family::V6,
                proto: None,
            },
            &mut e,
        );
        let [Expr::Target { name, rev: 0, info }] = e.as_slice() else {
            panic!("{e:?}")
        };
        assert_eq!(name, T::NAME);
        info.clone()
    }

    /// Texts, messages and the blob as iptables 1.8.13 gives them
    /// (captured).
    #[test]
    fn like_1_8_13() {
        let s: Snpt = build_target(
            Family::V6,
            &[(0, false, "dead::/64"), (1, false, "1c3::/64")],
        )
        .unwrap();
        assert_eq!(
            texts(&s),
            (
                " --src-pfx dead::/64 --dst-pfx 1c3::/64".into(),
                " SNPT src-pfx dead::/64 dst-pfx 1c3::/64".into()
            )
        );
        let b = blob(&s);
        let mut want = vec![0u8; 40];
        want[..2].copy_from_slice(&[0xde, 0xad]);
        want[16..18].copy_from_slice(&[0x01, 0xc3]);
        want[32] = 64;
        want[33] = 64;
        assert_eq!(b, want);
        // the kernel's adjustment is not part of the rule
        want[34] = 0x12;
        assert_eq!(Snpt::decode_blob(0, &want, Family::V6).unwrap(), s);
        assert!(Snpt::decode_blob(1, &want, Family::V6).is_err());
        assert!(Snpt::decode_blob(0, &want[..30], Family::V6).is_err());

        let d: Dnpt = build_target(
            Family::V6,
            &[(1, false, "1c3::/48"), (0, false, "dead::/ffff:ffff::")],
        )
        .unwrap();
        assert_eq!(
            texts(&d),
            (
                " --src-pfx dead::/32 --dst-pfx 1c3::/48".into(),
                " DNPT src-pfx dead::/32 dst-pfx 1c3::/48".into()
            )
        );
        assert_eq!(Dnpt::decode_blob(0, &blob(&d), Family::V6).unwrap(), d);
        // a bare address is a /128 (the kernel refuses it); zero prefixes
        // are left out of the save text
        let s: Snpt =
            build_target(Family::V6, &[(0, false, "dead::beef"), (1, false, "::/0")]).unwrap();
        assert_eq!(
            texts(&s),
            (
                " --src-pfx dead::beef/128".into(),
                " SNPT src-pfx dead::beef/128 dst-pfx ::/0".into()
            )
        );
        assert_eq!(
            build_target::<Snpt>(Family::V6, &[(0, false, "dead::/129"), (1, false, "::/0")])
                .unwrap_err()
                .to_string(),
            "SNPT: bad value for option \"--src-pfx\", neither a valid network mask nor valid CIDR (0-128).\n"
        );
    }
}
