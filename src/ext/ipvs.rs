//! `-m ipvs [!] --ipvs [!] --vproto P [!] --vaddr A[/M] [!] --vport N
//! --vdir ORIGINAL|REPLY [!] --vmethod GATE|IPIP|MASQ [!] --vportctl N`
//! (`libxt_ipvs.c`): xt match `ipvs` revision 0, both families, `struct
//! xt_ipvs_mtinfo { union nf_inet_addr vaddr, vmask; __be16 vport; u8
//! l4proto, fwd_method; __be16 vportctl; u8 invert, bitmask; }`. Each
//! option sets its bit (`XT_IPVS_*`, in option order) in `bitmask` and, with
//! `!`, in `invert`; any but `--ipvs` implies `--ipvs`. `--vdir REPLY` is
//! the inverted direction bit. The kernel may lack the module (`xt_ipvs`):
//! then iptables warns when it loads the match and the kernel refuses it.

use super::conntrack::parse_addr;
use super::nat::{mask_len, parse_hostmask};
use super::tproxy::parse_port;
use super::{EncodeCx, FmtCx, MatchExt, OptHit, OptSpec, ParseCx};
use crate::error::{param, DecodeError, Error};
use crate::ext::blob::{Be16, Inet};
use crate::ir::Expr;
use crate::model::addr::{ip_from_bytes, ntop};
use crate::model::Family;

crate::xt_struct! {
    /// `struct xt_ipvs_mtinfo`
    pub struct IpvsInfo { pub vaddr: Inet, pub vmask: Inet, pub vport: Be16, pub l4proto: u8, pub fwd_method: u8, pub vportctl: Be16, pub invert: u8, pub bitmask: u8 }
}
const _: () = assert!(IpvsInfo::SIZE == 40);

/// `XT_IPVS_IPVS_PROPERTY`
const PROPERTY: u8 = 1 << 0;
/// `XT_IPVS_PROTO`
const PROTO: u8 = 1 << 1;
/// `XT_IPVS_VADDR`
const VADDR: u8 = 1 << 2;
/// `XT_IPVS_VPORT`
const VPORT: u8 = 1 << 3;
/// `XT_IPVS_DIR`
const DIR: u8 = 1 << 4;
/// `XT_IPVS_METHOD`
const METHOD: u8 = 1 << 5;
/// `XT_IPVS_VPORTCTL`
const VPORTCTL: u8 = 1 << 6;

/// `--vmethod` words and their `IP_VS_CONN_F_*` values.
const METHODS: [(&str, u8); 3] = [("GATE", 3), ("IPIP", 2), ("MASQ", 0)];

/// The ipvs match (the kernel struct's fields, host order ports).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ipvs {
    /// virtual address
    pub vaddr: [u8; 16],
    /// its mask
    pub vmask: [u8; 16],
    /// virtual port
    pub vport: u16,
    /// virtual protocol
    pub l4proto: u8,
    /// `IP_VS_CONN_F_*` forwarding method
    pub fwd_method: u8,
    /// the controlling connection's virtual port
    pub vportctl: u16,
    /// `XT_IPVS_*` bits inverted
    pub invert: u8,
    /// `XT_IPVS_*` bits given
    pub bitmask: u8,
}

impl Ipvs {
    /// `ipvs_mt_dump_addr`: the address (`anywhere` for 0 when names are
    /// wanted) and the mask as `xtables_ip[6]mask_to_numeric` writes it.
    fn addr_text(&self, family: Family, numeric: bool, out: &mut String) {
        let w = family.addr_len();
        if !numeric && self.vaddr[..w].iter().all(|b| *b == 0) {
            out.push_str(" anywhere");
            return;
        }
        let ip = |b: &[u8]| ip_from_bytes(b).unwrap_or(std::net::IpAddr::from([0u8; 4]));
        let a = ip(&self.vaddr[..w]);
        out.push(' ');
        out.push_str(&if numeric {
            ntop(&a)
        } else {
            crate::list::addr_anyname(&a)
        });
        match mask_len(&self.vmask[..w]) {
            Some(n) if n as usize == w * 8 => {}
            Some(n) => out.push_str(&format!("/{n}")),
            None => {
                out.push('/');
                out.push_str(&ntop(&ip(&self.vmask[..w])));
            }
        }
    }

    /// `ipvs_mt_dump` with option prefix `pfx`.
    fn dump(&self, family: Family, numeric: bool, pfx: &str, out: &mut String) {
        let bang = |bit: u8, out: &mut String| {
            if self.invert & bit != 0 {
                out.push_str(" !");
            }
        };
        if self.bitmask == PROPERTY {
            bang(PROPERTY, out);
            out.push_str(&format!(" {pfx}ipvs"));
        }
        if self.bitmask & PROTO != 0 {
            bang(PROTO, out);
            out.push_str(&format!(" {pfx}vproto {}", self.l4proto));
        }
        if self.bitmask & VADDR != 0 {
            bang(VADDR, out);
            out.push_str(&format!(" {pfx}vaddr"));
            self.addr_text(family, numeric, out);
        }
        if self.bitmask & VPORT != 0 {
            bang(VPORT, out);
            out.push_str(&format!(" {pfx}vport {}", self.vport));
        }
        if self.bitmask & DIR != 0 {
            let d = if self.invert & DIR != 0 {
                "REPLY"
            } else {
                "ORIGINAL"
            };
            out.push_str(&format!(" {pfx}vdir {d}"));
        }
        if self.bitmask & METHOD != 0 {
            bang(METHOD, out);
            let m = METHODS
                .iter()
                .find(|(_, v)| *v == self.fwd_method)
                .map_or("UNKNOWN", |(w, _)| w);
            out.push_str(&format!(" {pfx}vmethod {m}"));
        }
        if self.bitmask & VPORTCTL != 0 {
            bang(VPORTCTL, out);
            out.push_str(&format!(" {pfx}vportctl {}", self.vportctl));
        }
    }
}

impl MatchExt for Ipvs {
    const NAME: &'static str = "ipvs";
    const OPTIONS: &'static [OptSpec] = &[
        OptSpec::flag("ipvs"),
        OptSpec::value("vproto"),
        OptSpec::value("vaddr"),
        OptSpec::value("vport"),
        OptSpec::value("vdir").no_inv(),
        OptSpec::value("vmethod"),
        OptSpec::value("vportctl"),
    ];

    fn build(hits: &[OptHit], cx: &ParseCx) -> Result<Self, Error> {
        let mut m = Ipvs {
            vaddr: [0; 16],
            vmask: [0; 16],
            vport: 0,
            l4proto: 0,
            fwd_method: 0,
            vportctl: 0,
            invert: 0,
            bitmask: 0,
        };
        let bad =
            |opt: &str, a: &str| param(format!("ipvs: Bad value for \"--{opt}\" option: \"{a}\""));
        for h in hits {
            let a = h.arg();
            match h.idx {
                1 => {
                    m.l4proto = crate::model::netdb::proto_by_name(a)
                        .ok_or_else(|| param(format!("unknown protocol \"{a}\" specified")))?
                }
                2 => {
                    // (XTTYPE_HOSTMASK's message for a bad mask; the bytes
                    // as conntrack's same option type fills them)
                    parse_hostmask("ipvs", "vaddr", a, cx.family)?;
                    (m.vaddr, m.vmask) = parse_addr(a, cx.family)?
                }
                3 => m.vport = parse_port(a)?,
                4 => {
                    m.bitmask |= DIR;
                    if a.eq_ignore_ascii_case("ORIGINAL") {
                        m.invert &= !DIR;
                    } else if a.eq_ignore_ascii_case("REPLY") {
                        m.invert |= DIR;
                    } else {
                        return Err(bad("vdir", a));
                    }
                }
                5 => {
                    m.fwd_method = METHODS
                        .iter()
                        .find(|(w, _)| a.eq_ignore_ascii_case(w))
                        .map(|(_, v)| *v)
                        .ok_or_else(|| bad("vmethod", a))?
                }
                6 => m.vportctl = parse_port(a)?,
                _ => {}
            }
            m.bitmask |= 1 << h.idx;
            if h.inv {
                m.invert |= 1 << h.idx;
            }
        }
        // ipvs_mt_check
        if hits.is_empty() {
            return Err(param("IPVS: At least one option is required"));
        }
        if m.bitmask & !PROPERTY != 0 {
            if m.invert & PROPERTY != 0 {
                return Err(param("! --ipvs cannot be together with other options"));
            }
            m.bitmask |= PROPERTY;
        }
        Ok(m)
    }

    fn save(&self, cx: &FmtCx, out: &mut String) {
        self.dump(cx.family, true, "--", out);
    }

    fn print(&self, cx: &FmtCx, out: &mut String) {
        self.dump(cx.family, cx.numeric, "", out);
    }

    fn encode(&self, _cx: &EncodeCx, out: &mut Vec<Expr>) {
        out.push(Expr::Match {
            name: Self::NAME.into(),
            rev: 0,
            info: IpvsInfo {
                vaddr: Inet(self.vaddr),
                vmask: Inet(self.vmask),
                vport: Be16(self.vport),
                l4proto: self.l4proto,
                fwd_method: self.fwd_method,
                vportctl: Be16(self.vportctl),
                invert: self.invert,
                bitmask: self.bitmask,
            }
            .to_blob(),
        });
    }

    fn decode_blob(rev: u32, info: &[u8], _family: Family) -> Result<Self, DecodeError> {
        match (rev, IpvsInfo::from_blob(info)) {
            (0, Some(i)) => Ok(Ipvs {
                vaddr: i.vaddr.0,
                vmask: i.vmask.0,
                vport: i.vport.0,
                l4proto: i.l4proto,
                fwd_method: i.fwd_method,
                vportctl: i.vportctl.0,
                invert: i.invert,
                bitmask: i.bitmask,
            }),
            _ => Err(DecodeError(format!(
                "ipvs revision {rev} of {} bytes",
                info.len()
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ext::kit::{build_match, texts, xt_round_trip};

    fn blob(m: &Ipvs) -> Vec<u8> {
        let mut e = Vec::new();
        m.encode(
            &EncodeCx {
                family: Family::V4,
                proto: None,
            },
            &mut e,
        );
        let [Expr::Match { info, .. }] = e.as_slice() else {
            panic!("{e:?}")
        };
        info.clone()
    }

    /// Texts as the .t files expect, messages and blobs as iptables 1.8.13
    /// gives them (the blobs captured with strace: this kernel has no
    /// `xt_ipvs`).
    #[test]
    fn like_1_8_13() {
        let cx = |family, numeric| FmtCx {
            family,
            numeric,
            proto: None,
        };
        let v4 = cx(Family::V4, true);
        // `! --vaddr 1.2.3.4/24 --vport 22 --vproto tcp`
        let m: Ipvs = build_match(
            Family::V4,
            &[(2, true, "1.2.3.4/24"), (3, false, "22"), (1, false, "tcp")],
        )
        .unwrap();
        assert_eq!(
            texts(&m, &v4),
            (
                " --vproto 6 ! --vaddr 1.2.3.4/24 --vport 22".into(),
                " vproto 6 ! vaddr 1.2.3.4/24 vport 22".into()
            )
        );
        let mut want = vec![0u8; 40];
        want[..4].copy_from_slice(&[1, 2, 3, 4]);
        want[16..19].copy_from_slice(&[0xff; 3]);
        want[32..40].copy_from_slice(&[0, 0x16, 6, 0, 0, 0, 0x04, 0x0f]);
        assert_eq!(blob(&m), want);
        assert_eq!(xt_round_trip(&m, Family::V4), (0, 40));
        // `--vaddr 1.2.3.4 --vmethod GATE --vdir REPLY ! --vportctl 21`
        let m: Ipvs = build_match(
            Family::V4,
            &[
                (2, false, "1.2.3.4"),
                (5, false, "gate"),
                (4, false, "REPLY"),
                (6, true, "21"),
            ],
        )
        .unwrap();
        let mut want = vec![0u8; 40];
        want[..4].copy_from_slice(&[1, 2, 3, 4]);
        want[16..32].copy_from_slice(&[0xff; 16]);
        want[32..40].copy_from_slice(&[0, 0, 0, 3, 0, 0x15, 0x50, 0x75]);
        assert_eq!(blob(&m), want);
        assert_eq!(
            texts(&m, &cx(Family::V4, false)).1,
            " vaddr 1.2.3.4 vdir REPLY vmethod GATE ! vportctl 21"
        );
        // `! --ipvs`; IPv6
        let m: Ipvs = build_match(Family::V4, &[(0, true, "")]).unwrap();
        assert_eq!((m.invert, m.bitmask), (1, 1));
        assert_eq!(texts(&m, &v4).0, " ! --ipvs");
        let m: Ipvs = build_match(Family::V6, &[(2, true, "2001:db8::/64")]).unwrap();
        assert_eq!(
            texts(&m, &cx(Family::V6, true)).0,
            " ! --vaddr 2001:db8::/64"
        );
        assert_eq!(&blob(&m)[16..32], &[[0xff; 8], [0; 8]].concat()[..]);
        let m: Ipvs = build_match(Family::V4, &[(3, false, "http"), (1, false, "23")]).unwrap();
        assert_eq!(texts(&m, &v4).0, " --vproto 23 --vport 80");

        let err =
            |v: &[(usize, bool, &str)]| build_match::<Ipvs>(Family::V4, v).unwrap_err().to_string();
        assert_eq!(err(&[]), "IPVS: At least one option is required");
        assert_eq!(
            err(&[(0, true, ""), (3, false, "1")]),
            "! --ipvs cannot be together with other options"
        );
        assert_eq!(
            err(&[(5, false, "x")]),
            "ipvs: Bad value for \"--vmethod\" option: \"x\""
        );
        assert_eq!(
            err(&[(4, false, "x")]),
            "ipvs: Bad value for \"--vdir\" option: \"x\""
        );
        assert_eq!(
            err(&[(1, false, "256")]),
            "unknown protocol \"256\" specified"
        );
        assert_eq!(
            err(&[(2, false, "1.2.3.4/x")]),
            "ipvs: bad value for option \"--vaddr\", neither a valid network mask nor valid CIDR (0-32).\n"
        );
        assert_eq!(
            err(&[(3, false, "-1")]),
            "Port \"-1\" does not resolve to anything.\n"
        );
    }
}
