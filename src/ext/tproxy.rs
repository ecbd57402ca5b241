//! `-j TPROXY --on-port PORT [--on-ip ADDR] [--tproxy-mark V[/M]]`
//! (`libxt_TPROXY.c`): xt target `TPROXY`. iptables 1.8.13 writes revision
//! 1 in both families, `struct xt_tproxy_target_info_v1 { u32 mark_mask,
//! mark_value; union nf_inet_addr laddr; __be16 lport; }`; IPv4's revision
//! 0 (`__be32 laddr`) is read too. The kernel takes it in the mangle
//! table's PREROUTING chain, for `-p tcp` or `-p udp` rules only.

use super::blob::{Be16, Be32, Inet};
use super::nat::parse_host;
use super::value::{parse_mark_mask, ValueKind};
use super::{EncodeCx, FmtCx, OptHit, OptSpec, ParseCx, TargetExtT};
use crate::error::{param, DecodeError, Error};
use crate::ir::Expr;
use crate::model::addr::{ip_from_bytes, ntop};
use crate::model::{netdb, Family};

crate::xt_struct! {
    /// `struct xt_tproxy_target_info_v1`
    pub struct TproxyInfoV1 { pub mark_mask: u32, pub mark_value: u32, pub laddr: Inet, pub lport: Be16 }
}
const _: () = assert!(TproxyInfoV1::SIZE == 28);

crate::xt_struct! {
    /// `struct xt_tproxy_target_info` (revision 0, IPv4)
    pub struct TproxyInfoV0 { pub mark_mask: u32, pub mark_value: u32, pub laddr: Be32, pub lport: Be16 }
}
const _: () = assert!(TproxyInfoV0::SIZE == 16);

/// The TPROXY target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tproxy {
    /// revision (1, or IPv4's 0 when the kernel has no 1)
    pub rev: u8,
    /// bits of the mark cleared
    pub mark_mask: u32,
    /// value xor-ed into the mark
    pub mark_value: u32,
    /// `--on-ip` (zero: the packet's destination), IPv4 in the first four
    pub laddr: [u8; 16],
    /// `--on-port` (0: the packet's destination port)
    pub lport: u16,
}

/// `XTTYPE_PORT` (`xtables_getportbyname`, i.e. glibc's `getaddrinfo` on a
/// service): a decimal number taken modulo 2^16 (what does not fit an
/// `int`, or is -1, is looked up as a name), else a service name.
pub(crate) fn parse_port(s: &str) -> Result<u16, Error> {
    let t = s.trim_start();
    let (neg, digits) = match t.strip_prefix('-') {
        Some(d) => (true, d),
        None => (false, t.strip_prefix('+').unwrap_or(t)),
    };
    if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
        // strtoul: saturates at ULONG_MAX, negates after a minus
        let v = digits.parse::<u64>().unwrap_or(u64::MAX);
        let v = if neg { v.wrapping_neg() } else { v };
        let num = v as i32;
        if num != -1 {
            return Ok(num as u16);
        }
    }
    netdb::service_port(s, "tcp")
        .or_else(|| netdb::service_port(s, "udp"))
        .ok_or_else(|| param(format!("Port \"{s}\" does not resolve to anything.\n")))
}

impl TargetExtT for Tproxy {
    const NAME: &'static str = "TPROXY";
    const OPTIONS: &'static [OptSpec] = &[
        OptSpec::value("on-port").no_inv().mandatory(),
        OptSpec::value("on-ip").no_inv(),
        OptSpec::value("tproxy-mark")
            .no_inv()
            .kind(ValueKind::MarkMask32),
    ];

    fn build(hits: &[OptHit], cx: &ParseCx) -> Result<Self, Error> {
        // IPv4's revision 0 (same options) on kernels before 2.6.37
        let revs: &[u32] = match cx.family {
            Family::V4 => &[1, 0],
            Family::V6 => &[1],
        };
        let (rev, _) = super::probe::choose(cx.family, Self::NAME, true, revs);
        let mut t = Tproxy {
            rev: rev as u8,
            mark_mask: 0,
            mark_value: 0,
            laddr: [0; 16],
            lport: 0,
        };
        for h in hits {
            let a = h.arg();
            match h.idx {
                0 => t.lport = parse_port(a)?,
                1 => match parse_host(a, cx.family)? {
                    std::net::IpAddr::V4(v) => t.laddr[..4].copy_from_slice(&v.octets()),
                    std::net::IpAddr::V6(v) => t.laddr = v.octets(),
                },
                _ => {
                    let (v, m) = parse_mark_mask(a).unwrap_or((0, u32::MAX));
                    (t.mark_value, t.mark_mask) = (v, m);
                }
            }
        }
        Ok(t)
    }

    fn save(&self, cx: &FmtCx, out: &mut String) {
        out.push_str(&format!(
            " --on-port {} --on-ip {} --tproxy-mark {:#x}/{:#x}",
            self.lport,
            self.addr(cx.family),
            self.mark_value,
            self.mark_mask
        ));
    }

    fn print(&self, cx: &FmtCx, out: &mut String) {
        out.push_str(&format!(
            " TPROXY redirect {}:{} mark {:#x}/{:#x}",
            self.addr(cx.family),
            self.lport,
            self.mark_value,
            self.mark_mask
        ));
    }

    fn encode(&self, _cx: &EncodeCx, out: &mut Vec<Expr>) {
        let info = if self.rev == 0 {
            TproxyInfoV0 {
                mark_mask: self.mark_mask,
                mark_value: self.mark_value,
                laddr: Be32(u32::from_be_bytes([
                    self.laddr[0],
                    self.laddr[1],
                    self.laddr[2],
                    self.laddr[3],
                ])),
                lport: Be16(self.lport),
            }
            .to_blob()
        } else {
            TproxyInfoV1 {
                mark_mask: self.mark_mask,
                mark_value: self.mark_value,
                laddr: Inet(self.laddr),
                lport: Be16(self.lport),
            }
            .to_blob()
        };
        out.push(Expr::Target {
            name: Self::NAME.into(),
            rev: u32::from(self.rev),
            info,
        });
    }

    fn decode_blob(rev: u32, info: &[u8], family: Family) -> Result<Self, DecodeError> {
        let bad = || DecodeError(format!("TPROXY revision {rev} of {} bytes", info.len()));
        match rev {
            0 if family == Family::V4 => {
                let i = TproxyInfoV0::from_blob(info).ok_or_else(bad)?;
                let mut laddr = [0u8; 16];
                laddr[..4].copy_from_slice(&i.laddr.0.to_be_bytes());
                Ok(Tproxy {
                    rev: 0,
                    mark_mask: i.mark_mask,
                    mark_value: i.mark_value,
                    laddr,
                    lport: i.lport.0,
                })
            }
            1 => {
                let i = TproxyInfoV1::from_blob(info).ok_or_else(bad)?;
                Ok(Tproxy {
                    rev: 1,
                    mark_mask: i.mark_mask,
                    mark_value: i.mark_value,
                    laddr: i.laddr.0,
                    lport: i.lport.0,
                })
            }
            _ => Err(bad()),
        }
    }
}

impl Tproxy {
    fn addr(&self, family: Family) -> String {
        ip_from_bytes(&self.laddr[..family.addr_len()])
            .map(|a| ntop(&a))
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ext::kit::build_target;

    /// Text as iptables 1.8.13 prints it (captured), and the blob.
    #[test]
    fn like_1_8_13() {
        let cx = FmtCx {
            family: Family::V4,
            numeric: true,
            proto: None,
        };
        let t: Tproxy = build_target(
            Family::V4,
            &[
                (0, false, "12345"),
                (1, false, "10.0.0.1"),
                (2, false, "0x23/0xff"),
            ],
        )
        .unwrap();
        let (mut s, mut l) = (String::new(), String::new());
        t.save(&cx, &mut s);
        t.print(&cx, &mut l);
        assert_eq!(
            s,
            " --on-port 12345 --on-ip 10.0.0.1 --tproxy-mark 0x23/0xff"
        );
        assert_eq!(l, " TPROXY redirect 10.0.0.1:12345 mark 0x23/0xff");
        let mut e = Vec::new();
        t.encode(
            &EncodeCx {
                family: Family::V4,
                proto: None,
            },
            &mut e,
        );
        let [Expr::Target { rev: 1, info, .. }] = e.as_slice() else {
            panic!()
        };
        assert_eq!(info.len(), 32);
        assert_eq!(&info[..12], &[0xff, 0, 0, 0, 0x23, 0, 0, 0, 10, 0, 0, 1]);
        assert_eq!(&info[24..26], &[0x30, 0x39]);
        assert_eq!(Tproxy::decode_blob(1, info, Family::V4).unwrap(), t);
        assert_eq!(parse_port("65536").unwrap(), 0);
        assert_eq!(parse_port("http").unwrap(), 80);
        for bad in ["-1", "0x10", "nosuchservice"] {
            assert_eq!(
                parse_port(bad).unwrap_err().to_string(),
                format!("Port \"{bad}\" does not resolve to anything.\n")
            );
        }
    }
}

#[cfg(test)]
mod revision_tests {
    use super::*;
    use crate::ext::kit::{build_target, capped, target_save, xt_target};
    use crate::ext::probe::with_probe;

    /// An IPv4 kernel without revision 1 gets `struct
    /// xt_tproxy_target_info { u32 mark_mask, mark_value; __be32 laddr;
    /// __be16 lport; }`; IPv6 has no revision 0.
    #[test]
    fn revision_0_when_the_kernel_has_no_1() {
        let kernel = || capped(&[("TPROXY", true, Some(0))]);
        let opts = [
            (0, false, "3128"),
            (1, false, "10.1.2.3"),
            (2, false, "0x1/0x1"),
        ];
        let t: Tproxy = with_probe(kernel(), || build_target(Family::V4, &opts)).unwrap();
        let (_, rev, b) = xt_target(&t, Family::V4);
        assert_eq!(rev, 0);
        let mut want = Vec::new();
        want.extend_from_slice(&1u32.to_ne_bytes());
        want.extend_from_slice(&1u32.to_ne_bytes());
        want.extend_from_slice(&[10, 1, 2, 3]);
        want.extend_from_slice(&3128u16.to_be_bytes());
        want.extend_from_slice(&[0, 0]);
        assert_eq!(b, want);
        let back = Tproxy::decode_blob(0, &b, Family::V4).unwrap();
        assert_eq!(back, t);
        assert_eq!(
            target_save(&back, Family::V4),
            " --on-port 3128 --on-ip 10.1.2.3 --tproxy-mark 0x1/0x1"
        );
        let t: Tproxy =
            with_probe(kernel(), || build_target(Family::V6, &[(0, false, "3128")])).unwrap();
        assert_eq!(xt_target(&t, Family::V6).1, 1);
        let t: Tproxy = build_target(Family::V4, &opts).unwrap();
        assert_eq!(xt_target(&t, Family::V4).1, 1);
    }
}
