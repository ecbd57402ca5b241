//! What the NAT targets (DNAT, SNAT, MASQUERADE, REDIRECT, NETMAP) share:
//! the address/port range they carry, its three kernel layouts, the
//! `--to-destination`/`--to-source`/`--to-ports` value parser and the
//! save/list text, for IPv4 and IPv6 from one code path.
//!
//! Kernel layouts (`linux/netfilter/nf_nat.h`), all addresses and ports in
//! network order, `flags` and `rangesize` in host order:
//!
//! | layout | bytes | sent (`XT_ALIGN`) |
//! |---|---|---|
//! | `nf_nat_ipv4_multi_range_compat` (rangesize, flags, min_ip, max_ip, min, max) | 20 | 24 |
//! | `nf_nat_range` (flags, min_addr\[16\], max_addr\[16\], min_proto, max_proto) | 40 | 40 |
//! | `nf_nat_range2` (`nf_nat_range` + base_proto) | 42 (+2 padding) = 44 | 48 |
//!
//! The revision iptables-nft 1.8.9 picks on a current kernel, read back
//! from the kernel after running the reference (see the byte tests below):
//! DNAT rev 2 (`nf_nat_range2`) in both families; SNAT rev 0 (compat) in
//! IPv4 and rev 1 (`nf_nat_range`) in IPv6; MASQUERADE, REDIRECT and NETMAP
//! rev 0 (compat in IPv4, `nf_nat_range` in IPv6). rxtables always writes
//! those: DNAT rev 2 has been in the kernel since 4.19.

use super::value::{inet_aton, strtoui, strtoumax};
use super::{pad_blob, OptHit, ParseCx};
use crate::error::{param, DecodeError, Error};
use crate::model::addr::ntop;
use crate::model::{netdb, Family};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// `NF_NAT_RANGE_MAP_IPS`: addresses given
pub const MAP_IPS: u32 = 1 << 0;
/// `NF_NAT_RANGE_PROTO_SPECIFIED`: ports given
pub const PROTO_SPECIFIED: u32 = 1 << 1;
/// `NF_NAT_RANGE_PROTO_RANDOM`: `--random`
pub const PROTO_RANDOM: u32 = 1 << 2;
/// `NF_NAT_RANGE_PERSISTENT`: `--persistent`
pub const PERSISTENT: u32 = 1 << 3;
/// `NF_NAT_RANGE_PROTO_RANDOM_FULLY`: `--random-fully`
pub const PROTO_RANDOM_FULLY: u32 = 1 << 4;
/// `NF_NAT_RANGE_PROTO_OFFSET`: a shifted port map (`a-b/base`)
pub const PROTO_OFFSET: u32 = 1 << 5;

/// Which kernel struct a NAT target's info blob is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// `nf_nat_ipv4_multi_range_compat` (IPv4 only)
    Compat,
    /// `nf_nat_range`
    Range,
    /// `nf_nat_range2`
    Range2,
}

/// The range a NAT target maps to: the fields of `nf_nat_range2`, with
/// addresses as addresses and ports as numbers. `flags` is kept as the
/// kernel has it so that what is read back prints exactly as iptables
/// prints it, whatever the writer set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NatRange {
    /// `NF_NAT_RANGE_*`
    pub flags: u32,
    /// first address (`0.0.0.0`/`::` when none)
    pub min_addr: IpAddr,
    /// last address
    pub max_addr: IpAddr,
    /// first port
    pub min_port: u16,
    /// last port
    pub max_port: u16,
    /// base port of a shifted port map
    pub base_port: u16,
}

fn unspecified(family: Family) -> IpAddr {
    match family {
        Family::V4 => IpAddr::V4(Ipv4Addr::UNSPECIFIED),
        Family::V6 => IpAddr::V6(Ipv6Addr::UNSPECIFIED),
    }
}

/// Address as 16 bytes, IPv4 in the first four (`union nf_inet_addr`).
fn inet_bytes(a: &IpAddr) -> [u8; 16] {
    let mut b = [0u8; 16];
    match a {
        IpAddr::V4(a) => b[..4].copy_from_slice(&a.octets()),
        IpAddr::V6(a) => b = a.octets(),
    }
    b
}

fn inet_from(b: &[u8], family: Family) -> IpAddr {
    match family {
        Family::V4 => IpAddr::V4(Ipv4Addr::new(b[0], b[1], b[2], b[3])),
        Family::V6 => {
            let mut o = [0u8; 16];
            o.copy_from_slice(&b[..16]);
            IpAddr::V6(Ipv6Addr::from(o))
        }
    }
}

fn v4_bytes(a: &IpAddr) -> [u8; 4] {
    let b = inet_bytes(a);
    [b[0], b[1], b[2], b[3]]
}

fn ne_u32(b: &[u8], off: usize) -> u32 {
    u32::from_ne_bytes([b[off], b[off + 1], b[off + 2], b[off + 3]])
}

fn be_u16(b: &[u8], off: usize) -> u16 {
    u16::from_be_bytes([b[off], b[off + 1]])
}

impl NatRange {
    /// An empty range (no flags) of `family`.
    pub fn new(family: Family) -> Self {
        NatRange {
            flags: 0,
            min_addr: unspecified(family),
            max_addr: unspecified(family),
            min_port: 0,
            max_port: 0,
            base_port: 0,
        }
    }

    /// The info blob in `layout`, zero-padded to its `XT_ALIGN`ed size.
    pub fn to_blob(&self, layout: Layout) -> Vec<u8> {
        let mut b = Vec::with_capacity(48);
        match layout {
            Layout::Compat => {
                b.extend_from_slice(&1u32.to_ne_bytes()); // rangesize
                b.extend_from_slice(&self.flags.to_ne_bytes());
                b.extend_from_slice(&v4_bytes(&self.min_addr));
                b.extend_from_slice(&v4_bytes(&self.max_addr));
                b.extend_from_slice(&self.min_port.to_be_bytes());
                b.extend_from_slice(&self.max_port.to_be_bytes());
            }
            Layout::Range | Layout::Range2 => {
                b.extend_from_slice(&self.flags.to_ne_bytes());
                b.extend_from_slice(&inet_bytes(&self.min_addr));
                b.extend_from_slice(&inet_bytes(&self.max_addr));
                b.extend_from_slice(&self.min_port.to_be_bytes());
                b.extend_from_slice(&self.max_port.to_be_bytes());
                if layout == Layout::Range2 {
                    b.extend_from_slice(&self.base_port.to_be_bytes());
                }
            }
        }
        pad_blob(b)
    }

    /// Read an info blob of `layout`. The compat layout is IPv4's only.
    pub fn from_blob(info: &[u8], layout: Layout, family: Family) -> Result<Self, DecodeError> {
        let need = match layout {
            Layout::Compat => 20,
            Layout::Range => 40,
            Layout::Range2 => 42,
        };
        if info.len() < need {
            return Err(DecodeError(format!(
                "NAT target: info of {} bytes is too short for {layout:?}",
                info.len()
            )));
        }
        Ok(match layout {
            Layout::Compat => {
                if family != Family::V4 {
                    return Err(DecodeError(
                        "NAT target: IPv4 compat range in an IPv6 rule".into(),
                    ));
                }
                // rangesize (bytes 0..4) is always 1; iptables reads range[0] only.
                NatRange {
                    flags: ne_u32(info, 4),
                    min_addr: inet_from(&info[8..12], family),
                    max_addr: inet_from(&info[12..16], family),
                    min_port: be_u16(info, 16),
                    max_port: be_u16(info, 18),
                    base_port: 0,
                }
            }
            Layout::Range | Layout::Range2 => NatRange {
                flags: ne_u32(info, 0),
                min_addr: inet_from(&info[4..20], family),
                max_addr: inet_from(&info[20..36], family),
                min_port: be_u16(info, 36),
                max_port: be_u16(info, 38),
                base_port: if layout == Layout::Range2 {
                    be_u16(info, 40)
                } else {
                    0
                },
            },
        })
    }

    /// `sprint_range`: `addr[-addr][:port[-port[/base]]]`, IPv6 addresses
    /// in brackets when ports follow.
    pub fn range_text(&self) -> String {
        let v6 = self.min_addr.is_ipv6();
        let brackets = v6 && self.flags & PROTO_SPECIFIED != 0;
        let mut s = String::new();
        if self.flags & MAP_IPS != 0 {
            if brackets {
                s.push('[');
            }
            s.push_str(&ntop(&self.min_addr));
            if self.min_addr != self.max_addr {
                s.push('-');
                s.push_str(&ntop(&self.max_addr));
            }
            if brackets {
                s.push(']');
            }
        }
        if self.flags & PROTO_SPECIFIED != 0 {
            s.push_str(&format!(":{}", self.min_port));
            if self.max_port != self.min_port {
                s.push_str(&format!("-{}", self.max_port));
            }
            if self.flags & PROTO_OFFSET != 0 {
                s.push_str(&format!("/{}", self.base_port));
            }
        }
        s
    }

    /// `__NAT_print`: the range after `rangeopt`, then the flags each
    /// after `flag_pfx` (`--` in save text, nothing in listings).
    /// `skip_colon` drops the colon of a port-only range (`--to-ports 80`).
    pub fn print(&self, rangeopt: &str, flag_pfx: &str, skip_colon: bool, out: &mut String) {
        let r = self.range_text();
        if !r.is_empty() {
            let r = if skip_colon {
                r.strip_prefix(':').unwrap_or(&r)
            } else {
                r.as_str()
            };
            out.push(' ');
            out.push_str(rangeopt);
            out.push_str(r);
        }
        for (bit, name) in [
            (PROTO_RANDOM, "random"),
            (PROTO_RANDOM_FULLY, "random-fully"),
            (PERSISTENT, "persistent"),
        ] {
            if self.flags & bit != 0 {
                out.push(' ');
                out.push_str(flag_pfx);
                out.push_str(name);
            }
        }
    }
}

/// `xtables_service_to_port(name, NULL)`: a service of any protocol.
fn service_any(name: &str) -> Option<u16> {
    ["tcp", "udp", "sctp", "dccp"]
        .iter()
        .find_map(|p| netdb::service_port(name, p))
}

/// May this rule's `-p` carry ports? iptables looks at the protocol number
/// only, not at `!`, and also lets ICMP through (its id is the "port").
pub fn port_ok(cx: &ParseCx) -> bool {
    matches!(cx.proto.map(|p| p.val), Some(6 | 17 | 132 | 33 | 1))
}

/// `parse_ports`: `port[-port[/base]]` into `r`.
pub fn parse_ports(arg: &str, portok: bool, r: &mut NatRange) -> Result<(), Error> {
    if !portok {
        return Err(param("Need TCP, UDP, SCTP or DCCP with port specification"));
    }
    r.flags |= PROTO_SPECIFIED;
    let not_valid = |s: &str| param(format!("Port `{s}' not valid"));
    let (port, rest) = match strtoui(arg, 0, u16::MAX as u64) {
        Some((p, end)) => (p, &arg[end..]),
        None => (service_any(arg).ok_or_else(|| not_valid(arg))?, ""),
    };
    let arg = match rest.as_bytes().first() {
        None => {
            r.min_port = port;
            r.max_port = port;
            return Ok(());
        }
        Some(b'-') => &rest[1..],
        Some(b':') => return Err(param("Invalid port:port syntax - use dash")),
        Some(_) => return Err(param(format!("Garbage after port value: `{rest}'"))),
    };
    // A range takes numbers only.
    let (maxport, end) = strtoui(arg, 0, u16::MAX as u64).ok_or_else(|| not_valid(arg))?;
    if maxport < port {
        return Err(param(format!("Port range `{arg}' funky")));
    }
    r.min_port = port;
    r.max_port = maxport;
    let rest = &arg[end..];
    let arg = match rest.as_bytes().first() {
        None => return Ok(()),
        Some(b'/') => &rest[1..],
        Some(_) => return Err(param(format!("Garbage after port range: `{rest}'"))),
    };
    let base = match strtoui(arg, 1, u16::MAX as u64) {
        Some((b, _)) => b,
        None => service_any(arg).ok_or_else(|| not_valid(arg))?,
    };
    r.flags |= PROTO_OFFSET;
    r.base_port = base;
    Ok(())
}

/// `inet_pton` for `family`.
fn pton(s: &str, family: Family) -> Result<IpAddr, Error> {
    let a = match family {
        Family::V4 => s.parse::<Ipv4Addr>().ok().map(IpAddr::V4),
        Family::V6 => s.parse::<Ipv6Addr>().ok().map(IpAddr::V6),
    };
    a.ok_or_else(|| param(format!("Bad IP address \"{s}\"")))
}

/// `parse_to`: `[addr[-addr]][:port[-port[/base]]]`, IPv6 as
/// `[addr[-addr]]:port` (without brackets, an IPv6 value is all address).
/// Mirrors iptables' scanning exactly, odd corners included (`[]:80` and
/// `ab:80` are ports only; text between `]` and `:` is ignored).
pub fn parse_to(arg: &str, portok: bool, r: &mut NatRange, family: Family) -> Result<(), Error> {
    // (address text, index of the port colon)
    let (addr, colon): (&str, Option<usize>) = match arg.find('[') {
        Some(lb) => {
            let start = lb + 1;
            let end = match arg[start..].find(']') {
                Some(e) if family == Family::V6 => start + e,
                _ => return Err(param("Invalid address format")),
            };
            let colon = arg[end + 1..].find(':').map(|c| end + 1 + c);
            (&arg[start..end], colon)
        }
        None => {
            let colon = arg.find(':').filter(|c| !arg[c + 1..].contains(':'));
            let addr = match colon {
                Some(c) => &arg[..c],
                None => arg,
            };
            (addr, colon)
        }
    };
    if let Some(c) = colon {
        parse_ports(&arg[c + 1..], portok, r)?;
        // starts with a colon, or `[]:`: no address
        if c == 0 || c == 2 {
            return Ok(());
        }
    }
    r.flags |= MAP_IPS;
    match addr.split_once('-') {
        Some((lo, hi)) => {
            r.min_addr = pton(lo, family)?;
            r.max_addr = pton(hi, family)?;
        }
        None => {
            r.min_addr = pton(addr, family)?;
            r.max_addr = r.min_addr;
        }
    }
    Ok(())
}

/// The message iptables gives when a mandatory option is missing.
pub fn must_be_specified(ext: &str, opt: &str) -> Error {
    param(format!("{ext}: option \"--{opt}\" must be specified\n"))
}

/// What an option of a NAT target does (its position in the target's
/// `OPTIONS` table maps to one of these).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NatOpt {
    /// `--to-destination`/`--to-source`: addresses and ports
    To,
    /// `--to-ports`: ports only
    Ports,
    /// `--random`
    Random,
    /// `--random-fully`
    RandomFully,
    /// `--persistent`
    Persistent,
}

/// Build the range of a NAT target from its options, in the order given
/// (so the first bad value is the one reported, as in iptables). `kinds`
/// runs parallel to the target's `OPTIONS`; `mandatory` names the option
/// that must be present.
pub fn build_range(
    ext: &str,
    kinds: &[NatOpt],
    hits: &[OptHit],
    cx: &ParseCx,
    mandatory: Option<&str>,
) -> Result<NatRange, Error> {
    let mut r = NatRange::new(cx.family);
    let portok = port_ok(cx);
    let mut seen_to = false;
    for h in hits {
        match kinds.get(h.idx) {
            Some(NatOpt::To) => {
                seen_to = true;
                parse_to(h.arg(), portok, &mut r, cx.family)?;
            }
            Some(NatOpt::Ports) => {
                seen_to = true;
                parse_ports(h.arg(), portok, &mut r)?;
            }
            Some(NatOpt::Random) => r.flags |= PROTO_RANDOM,
            Some(NatOpt::RandomFully) => r.flags |= PROTO_RANDOM_FULLY,
            Some(NatOpt::Persistent) => r.flags |= PERSISTENT,
            None => {
                return Err(param(format!(
                    "{ext}: internal: option {} out of range",
                    h.idx
                )))
            }
        }
    }
    match mandatory {
        Some(opt) if !seen_to => Err(must_be_specified(ext, opt)),
        _ => Ok(r),
    }
}

/// `xtopt_parse_host`: a numeric address of `family` or a host name (its
/// first address of that family).
pub(crate) fn parse_host(s: &str, family: Family) -> Result<IpAddr, Error> {
    let numeric = match family {
        Family::V4 => inet_aton(s).map(IpAddr::V4),
        Family::V6 => s.parse::<Ipv6Addr>().ok().map(IpAddr::V6),
    };
    if let Some(a) = numeric {
        return Ok(a);
    }
    let gai = |m: &str| param(format!("getaddrinfo: {m}\n"));
    if s.is_empty() {
        return Err(gai("Name or service not known"));
    }
    use std::net::ToSocketAddrs;
    crate::model::netdb::note_host_lookup();
    let addrs = (s, 0u16).to_socket_addrs().map_err(|e| {
        let text = e.to_string();
        let text = text
            .strip_prefix("failed to lookup address information: ")
            .unwrap_or(&text)
            .to_string();
        gai(&text)
    })?;
    addrs
        .map(|a| a.ip())
        .find(|ip| ip.is_ipv6() == (family == Family::V6))
        .ok_or_else(|| gai("Address family for hostname not supported"))
}

/// Bytes of a mask of `len` leading ones in `width` bytes.
pub(crate) fn prefix_mask(len: u32, width: usize) -> Vec<u8> {
    (0..width)
        .map(|i| {
            let bits = len.saturating_sub(8 * i as u32).min(8);
            if bits == 0 {
                0
            } else {
                0xffu8 << (8 - bits)
            }
        })
        .collect()
}

/// The prefix length of a contiguous mask.
pub(crate) fn mask_len(mask: &[u8]) -> Option<u32> {
    let ones: u32 = mask.iter().map(|b| b.count_ones()).sum();
    (prefix_mask(ones, mask.len()) == mask).then_some(ones)
}

/// `XTTYPE_HOSTMASK` as iptables 1.8.9 reads it: `host[/len|/mask]`.
/// The mask is a prefix length (a C number: `0x10` and `010` work), else
/// a numeric address; one with holes in it counts as all ones (that is
/// what 1.8.9 stores). Returns the address and the mask bytes.
pub fn parse_hostmask(
    ext: &str,
    opt: &str,
    s: &str,
    family: Family,
) -> Result<(IpAddr, Vec<u8>), Error> {
    let width = family.addr_len();
    let max = width as u64 * 8;
    let (host, mask) = match s.split_once('/') {
        Some((h, m)) => (h, Some(m)),
        None => (s, None),
    };
    let addr = parse_host(host, family)?;
    let Some(m) = mask else {
        return Ok((addr, vec![0xff; width]));
    };
    if let Some((v, end)) = strtoumax(m) {
        if end == m.len() && v <= max {
            return Ok((addr, prefix_mask(v as u32, width)));
        }
    }
    let numeric = match family {
        Family::V4 => inet_aton(m).map(|a| a.octets().to_vec()),
        Family::V6 => m.parse::<Ipv6Addr>().ok().map(|a| a.octets().to_vec()),
    };
    match numeric {
        Some(b) if mask_len(&b).is_some() => Ok((addr, b)),
        Some(_) => Ok((addr, vec![0xff; width])),
        None => Err(param(format!(
            "{ext}: bad value for option \"--{opt}\", neither a valid network mask nor valid CIDR (0-{max}).\n"
        ))),
    }
}

/// NETMAP's text for a range: `min/len`, or `min/mask` when the mask
/// (`~(min ^ max)`) has holes.
pub fn netmap_text(r: &NatRange) -> String {
    let lo = inet_bytes(&r.min_addr);
    let hi = inet_bytes(&r.max_addr);
    let width = if r.min_addr.is_ipv6() { 16 } else { 4 };
    let mask: Vec<u8> = lo
        .iter()
        .zip(hi.iter())
        .take(width)
        .map(|(a, b)| !(a ^ b))
        .collect();
    match mask_len(&mask) {
        Some(len) => format!("{}/{len}", ntop(&r.min_addr)),
        None => {
            let m = crate::model::addr::ip_from_bytes(&mask).unwrap_or(r.min_addr);
            format!("{}/{}", ntop(&r.min_addr), ntop(&m))
        }
    }
}

/// NETMAP's range for an address and mask: the network, all hosts in it.
pub fn netmap_range(addr: &IpAddr, mask: &[u8], family: Family) -> NatRange {
    let a = inet_bytes(addr);
    let mut lo = [0u8; 16];
    let mut hi = [0u8; 16];
    for i in 0..family.addr_len() {
        lo[i] = a[i] & mask[i];
        hi[i] = lo[i] | !mask[i];
    }
    NatRange {
        flags: MAP_IPS,
        min_addr: inet_from(&lo, family),
        max_addr: inet_from(&hi, family),
        ..NatRange::new(family)
    }
}

/// Helpers for the NAT targets' unit tests.
#[cfg(test)]
pub(crate) mod test_util {
    use super::super::OptHit;
    use crate::model::Family;

    /// One reference case: family, `-p`, options as (index, value; empty
    /// for a flag), and the info blob in hex.
    pub type Case<'a> = (Family, Option<u8>, &'a [(usize, &'a str)], &'a str);

    /// Option hits from (index, value) pairs; an empty value is a flag.
    pub fn hits<'a>(v: &[(usize, &'a str)]) -> Vec<OptHit<'a>> {
        v.iter()
            .map(|(idx, a)| {
                OptHit::new(
                    *idx,
                    false,
                    if a.is_empty() {
                        &[]
                    } else {
                        std::slice::from_ref(a)
                    },
                )
            })
            .collect()
    }

    /// Bytes from hex digits (blanks ignored).
    pub fn hex(s: &str) -> Vec<u8> {
        let s: String = s.split_whitespace().collect();
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex"))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Inv, Table};

    fn cx(proto: Option<&Inv<u8>>, family: Family) -> ParseCx<'_> {
        ParseCx {
            family,
            proto,
            table: Table::Nat,
            chain: "PREROUTING",
            rule: true,
        }
    }

    fn to(arg: &str, family: Family, portok: bool) -> Result<NatRange, Error> {
        let mut r = NatRange::new(family);
        parse_to(arg, portok, &mut r, family)?;
        Ok(r)
    }

    fn msg(e: Error) -> String {
        match e {
            Error::Param(m) => m,
            e => panic!("{e:?}"),
        }
    }

    #[test]
    fn strtoumax_like_c() {
        assert_eq!(strtoumax("80"), Some((80, 2)));
        assert_eq!(strtoumax("0x50"), Some((80, 4)));
        assert_eq!(strtoumax("080"), Some((0, 1)));
        assert_eq!(strtoumax("010"), Some((8, 3)));
        assert_eq!(strtoumax(" 8"), Some((8, 2)));
        assert_eq!(strtoumax("0x"), Some((0, 1)));
        assert_eq!(strtoumax("20x"), Some((20, 2)));
        assert_eq!(strtoumax("-5"), Some((5u64.wrapping_neg(), 2)));
        assert_eq!(strtoumax(""), None);
        assert_eq!(strtoumax("ssh"), None);
        assert_eq!(strtoumax("99999999999999999999999"), Some((u64::MAX, 23)));
    }

    #[test]
    fn port_ok_by_number() {
        let tcp = Inv::new(true, 6u8);
        assert!(port_ok(&cx(Some(&tcp), Family::V4)));
        let icmp = Inv::new(false, 1u8);
        assert!(port_ok(&cx(Some(&icmp), Family::V4)));
        let icmp6 = Inv::new(false, 58u8);
        assert!(!port_ok(&cx(Some(&icmp6), Family::V6)));
        assert!(!port_ok(&cx(None, Family::V4)));
    }

    #[test]
    fn to_forms_v4() {
        let r = to("1.1.1.1", Family::V4, false).unwrap();
        assert_eq!(r.flags, MAP_IPS);
        assert_eq!(r.range_text(), "1.1.1.1");
        let r = to("1.1.1.1-1.1.1.10:1025-65535", Family::V4, true).unwrap();
        assert_eq!(r.flags, MAP_IPS | PROTO_SPECIFIED);
        assert_eq!(r.range_text(), "1.1.1.1-1.1.1.10:1025-65535");
        let r = to("1.1.1.1:1000-2000/3000", Family::V4, true).unwrap();
        assert_eq!(r.range_text(), "1.1.1.1:1000-2000/3000");
        assert_eq!(
            to("1.1.1.1:ssh", Family::V4, true).unwrap().range_text(),
            "1.1.1.1:22"
        );
        assert_eq!(
            to("1.1.1.1:10-20/ftp", Family::V4, true)
                .unwrap()
                .range_text(),
            "1.1.1.1:10-20/21"
        );
        assert_eq!(
            to("1.1.1.1:0x50", Family::V4, true).unwrap().range_text(),
            "1.1.1.1:80"
        );
        assert_eq!(
            to("1.1.1.1:10-20/5x", Family::V4, true)
                .unwrap()
                .range_text(),
            "1.1.1.1:10-20/5"
        );
        assert_eq!(to(":80", Family::V4, true).unwrap().range_text(), ":80");
        assert_eq!(to("12:80", Family::V4, true).unwrap().range_text(), ":80");
        // reversed address ranges are taken as given
        assert_eq!(
            to("1.1.1.5-1.1.1.1", Family::V4, false)
                .unwrap()
                .range_text(),
            "1.1.1.5-1.1.1.1"
        );
    }

    /// Messages as iptables-nft 1.8.9 printed them for the same values.
    #[test]
    fn to_errors_v4() {
        let e = |a: &str, ok: bool| msg(to(a, Family::V4, ok).unwrap_err());
        assert_eq!(
            e("1.1.1.1:80", false),
            "Need TCP, UDP, SCTP or DCCP with port specification"
        );
        assert_eq!(e("1.1.1.1:echo-ssh", true), "Port `echo-ssh' not valid");
        assert_eq!(e("1.1.1.1:10-20/0", true), "Port `0' not valid");
        assert_eq!(e("1.1.1.1:10-20/65536", true), "Port `65536' not valid");
        assert_eq!(e("1.1.1.1:20-10", true), "Port range `10' funky");
        assert_eq!(e("1.1.1.1:20:30", true), "Bad IP address \"1.1.1.1:20:30\"");
        assert_eq!(e("1.1.1.1:20x", true), "Garbage after port value: `x'");
        assert_eq!(e("1.1.1.1:20-30x", true), "Garbage after port range: `x'");
        assert_eq!(e("1.1.1.1:20-ssh", true), "Port `ssh' not valid");
        assert_eq!(e("1.1.1.1:65536", true), "Port `65536' not valid");
        assert_eq!(e("1.1.1.1:", true), "Port `' not valid");
        assert_eq!(e("1.1.1.1:080", true), "Garbage after port value: `80'");
        assert_eq!(e("1.1.1.1:-5", true), "Port `-5' not valid");
        assert_eq!(e("1.1.1.1:10/5", true), "Garbage after port value: `/5'");
        assert_eq!(e("1.1.1.1:1025-65536", true), "Port `65536' not valid");
        assert_eq!(e("1.1.1.300", true), "Bad IP address \"1.1.1.300\"");
        assert_eq!(e("1.1.1.1-foo", true), "Bad IP address \"foo\"");
        assert_eq!(e("1.1.1.1-", true), "Bad IP address \"\"");
        assert_eq!(e("", true), "Bad IP address \"\"");
        assert_eq!(e("localhost", true), "Bad IP address \"localhost\"");
        assert_eq!(e("[1.1.1.1]:80", true), "Invalid address format");
    }

    #[test]
    fn to_forms_v6() {
        let t = |a: &str| to(a, Family::V6, true).map(|r| r.range_text());
        assert_eq!(t("dead::beef").unwrap(), "dead::beef");
        assert_eq!(t("dead::beef-dead::fee7").unwrap(), "dead::beef-dead::fee7");
        assert_eq!(
            t("[dead::beef]:1025-65535").unwrap(),
            "[dead::beef]:1025-65535"
        );
        assert_eq!(
            t("[dead::beef-dead::fee7]:1000-2000/1000").unwrap(),
            "[dead::beef-dead::fee7]:1000-2000/1000"
        );
        // without brackets the whole value is the address
        assert_eq!(t("dead::1:80").unwrap(), "dead::1:80");
        assert_eq!(t("[dead::1]80").unwrap(), "dead::1");
        assert_eq!(t("[dead::1]").unwrap(), "dead::1");
        assert_eq!(t("[]:80").unwrap(), ":80");
        assert_eq!(t("[::ffff:1.2.3.4]:80").unwrap(), "[::ffff:1.2.3.4]:80");
        assert_eq!(msg(t("[dead::1").unwrap_err()), "Invalid address format");
        assert_eq!(
            msg(t("[dead::1]-[dead::5]:80").unwrap_err()),
            "Port `:5]:80' not valid"
        );
        assert_eq!(
            msg(t("[dead::1]-dead::5").unwrap_err()),
            "Port `:5' not valid"
        );
        assert_eq!(
            msg(t("dead::1:80-90").unwrap_err()),
            "Bad IP address \"90\""
        );
        assert_eq!(msg(t("1.2.3.4").unwrap_err()), "Bad IP address \"1.2.3.4\"");
    }

    #[test]
    fn print_text() {
        let mut r = to("1.1.1.1", Family::V4, false).unwrap();
        r.flags |= PROTO_RANDOM | PROTO_RANDOM_FULLY | PERSISTENT;
        let mut s = String::new();
        r.print("--to-source ", "--", false, &mut s);
        assert_eq!(
            s,
            " --to-source 1.1.1.1 --random --random-fully --persistent"
        );
        let mut s = String::new();
        r.print("to:", "", false, &mut s);
        assert_eq!(s, " to:1.1.1.1 random random-fully persistent");
        let mut p = NatRange::new(Family::V4);
        parse_ports("1024-65535", true, &mut p).unwrap();
        let mut s = String::new();
        p.print("masq ports: ", "", true, &mut s);
        assert_eq!(s, " masq ports: 1024-65535");
        let mut s = String::new();
        NatRange::new(Family::V6).print("--to-ports ", "--", true, &mut s);
        assert_eq!(s, "");
    }

    #[test]
    fn blob_round_trips() {
        for (fam, layouts) in [
            (
                Family::V4,
                &[Layout::Compat, Layout::Range, Layout::Range2][..],
            ),
            (Family::V6, &[Layout::Range, Layout::Range2][..]),
        ] {
            let a = if fam == Family::V4 {
                "10.0.0.1-10.0.0.9"
            } else {
                "[fd00::1-fd00::9]"
            };
            let r = to(&format!("{a}:1000-2000"), fam, true).unwrap();
            for l in layouts {
                let b = r.to_blob(*l);
                let want = match l {
                    Layout::Compat => 24,
                    Layout::Range => 40,
                    Layout::Range2 => 48,
                };
                assert_eq!(b.len(), want, "{l:?}");
                assert_eq!(NatRange::from_blob(&b, *l, fam).unwrap(), r, "{l:?}");
            }
        }
        assert!(NatRange::from_blob(&[0; 24], Layout::Compat, Family::V6).is_err());
        assert!(NatRange::from_blob(&[0; 16], Layout::Range, Family::V4).is_err());
    }
}

/// The layout of revision 0 in `family`.
pub(crate) fn rev0_layout(family: Family) -> Layout {
    match family {
        Family::V4 => Layout::Compat,
        Family::V6 => Layout::Range,
    }
}

/// The xt `target` expression of a target written at revision 0 (its
/// struct depends on the family: the IPv4 compat struct or `nf_nat_range`).
pub(crate) fn rev0_target(name: &str, range: &NatRange, family: Family) -> crate::ir::Expr {
    crate::ir::Expr::Target {
        name: name.into(),
        rev: 0,
        info: range.to_blob(rev0_layout(family)),
    }
}

/// The range of a revision-0 target's blob; other revisions are not ours.
pub(crate) fn rev0_range(
    name: &str,
    rev: u32,
    info: &[u8],
    family: Family,
) -> Result<NatRange, DecodeError> {
    if rev != 0 {
        return Err(DecodeError(format!("{name}: unknown revision {rev}")));
    }
    NatRange::from_blob(info, rev0_layout(family), family)
}
