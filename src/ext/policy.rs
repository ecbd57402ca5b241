//! `-m policy --dir in|out [--pol none|ipsec] [--strict] [[!] --reqid N]
//! [[!] --spi N] [[!] --proto ah|esp|ipcomp] [[!] --mode transport|tunnel]
//! [[!] --tunnel-src A[/M]] [[!] --tunnel-dst A[/M]] [--next ...]`
//! (`libxt_policy.c`): xt match `policy` revision 0, `struct
//! xt_policy_info { xt_policy_elem pol[4]; u16 flags, len; }`, the IPsec
//! policy a packet was (or will be) handled by.
//!
//! The blob is kept whole: iptables stores an element given with `--pol
//! none` (and an element after the last `--next`) although it never
//! prints it, and compares rules byte for byte.

use super::nat::{mask_len, parse_host, prefix_mask};
use super::value::inet_aton;
use super::value::{parse_u32, strtoumax};
use super::{EncodeCx, FmtCx, MatchExt, OptHit, OptSpec, ParseCx};
use crate::error::{param, DecodeError, Error};
use crate::ir::Expr;
use crate::model::addr::{ip_from_bytes, ntop};
use crate::model::{netdb, Family};
use std::fmt::Write;
use std::net::Ipv6Addr;

crate::xt_struct! {
    /// `struct xt_policy_elem` (addresses as `union xt_policy_addr`; `spi`
    /// is declared `__be32` but iptables stores it in host order; `m` and
    /// `inv` are the `xt_policy_spec` bit fields)
    pub struct PolicyElem {
        pub saddr: [u8; 16], pub smask: [u8; 16], pub daddr: [u8; 16], pub dmask: [u8; 16],
        pub spi: u32, pub reqid: u32, pub proto: u8, pub mode: u8, pub m: u8, pub inv: u8,
    }
}
const _: () = assert!(PolicyElem::SIZE == 76);

/// `XT_POLICY_MAX_ELEM`
const MAX_ELEM: usize = 4;
/// `sizeof(struct xt_policy_info)`
const INFO_SIZE: usize = MAX_ELEM * PolicyElem::SIZE + 4;
/// `XT_POLICY_MATCH_IN`, `_OUT`, `_NONE`, `_STRICT`
const IN: u16 = 1;
const OUT: u16 = 2;
const NONE: u16 = 4;
const STRICT: u16 = 8;
/// `xt_policy_spec` bits
const SADDR: u8 = 1;
const DADDR: u8 = 2;
const PROTO: u8 = 4;
const MODE: u8 = 8;
const SPI: u8 = 16;
const REQID: u8 = 32;
/// `XT_POLICY_MODE_TUNNEL` (transport is 0)
const TUNNEL: u8 = 1;

/// The policy match: `struct xt_policy_info` as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy(Box<PolicyInfo>);

/// The fields of [`Policy`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyInfo {
    /// `pol[]`
    pub elems: [PolicyElem; MAX_ELEM],
    /// `XT_POLICY_MATCH_*`
    pub flags: u16,
    /// elements in use
    pub len: u16,
}

const EMPTY: PolicyElem = PolicyElem {
    saddr: [0; 16],
    smask: [0; 16],
    daddr: [0; 16],
    dmask: [0; 16],
    spi: 0,
    reqid: 0,
    proto: 0,
    mode: 0,
    m: 0,
    inv: 0,
};

/// `XTTYPE_HOSTMASK`: `host[/len|/mask]`; the mask as given (holes kept),
/// the host not masked.
fn hostmask(opt: &str, s: &str, family: Family) -> Result<([u8; 16], [u8; 16]), Error> {
    let width = family.addr_len();
    let (host, mask) = match s.split_once('/') {
        Some((h, m)) => (h, Some(m)),
        None => (s, None),
    };
    let mut a = [0u8; 16];
    match parse_host(host, family)? {
        std::net::IpAddr::V4(v) => a[..4].copy_from_slice(&v.octets()),
        std::net::IpAddr::V6(v) => a.copy_from_slice(&v.octets()),
    }
    // iptables fills the whole union with ones, then writes an IPv4 mask
    // given as an address over the first four bytes; a prefix length is
    // written over all sixteen
    let mut m = [0xffu8; 16];
    let max = width as u64 * 8;
    let bytes = match mask {
        None => vec![0xff; width],
        Some(t) if strtoumax(t).is_some_and(|(v, end)| end == t.len() && v <= max) => {
            let len = strtoumax(t).map(|(v, _)| v as u32).unwrap_or(0);
            m = [0; 16];
            prefix_mask(len, width)
        }
        Some(t) => match family {
            Family::V4 => inet_aton(t).map(|x| x.octets().to_vec()),
            Family::V6 => t.parse::<Ipv6Addr>().ok().map(|x| x.octets().to_vec()),
        }
        .ok_or_else(|| {
            param(format!(
                "policy: bad value for option \"--{opt}\", neither a valid network mask nor valid CIDR (0-{max}).\n"
            ))
        })?,
    };
    m[..width].copy_from_slice(&bytes);
    Ok((a, m))
}

/// `xtables_parse_protocol`: a number (0-255), `all`, or a name.
fn protocol(s: &str) -> Result<u8, Error> {
    if let Some((v, end)) = strtoumax(s) {
        if end == s.len() && v <= 255 && !s.trim_start().starts_with('-') {
            return Ok(v as u8);
        }
    }
    if s == "all" {
        return Ok(0);
    }
    netdb::proto_by_exact_name(s)
        .ok_or_else(|| param(format!("unknown protocol \"{s}\" specified")))
}

impl MatchExt for Policy {
    const NAME: &'static str = "policy";
    const OPTIONS: &'static [OptSpec] = &[
        OptSpec::value("dir").no_inv(),
        OptSpec::value("pol").no_inv(),
        OptSpec::flag("strict").no_inv(),
        OptSpec::value("reqid").multi().kind(super::ValueKind::U32),
        OptSpec::value("spi").multi().kind(super::ValueKind::U32),
        OptSpec::value("tunnel-src").multi(),
        OptSpec::value("tunnel-dst").multi(),
        OptSpec::value("proto").multi(),
        OptSpec::value("mode").multi(),
        OptSpec::flag("next").no_inv().multi().also(0b100),
    ];

    fn build(hits: &[OptHit], cx: &ParseCx) -> Result<Self, Error> {
        let mut p = PolicyInfo {
            elems: [EMPTY; MAX_ELEM],
            flags: 0,
            len: 0,
        };
        for h in hits {
            let a = h.arg();
            let name = Self::OPTIONS[h.idx].name;
            let e = &mut p.elems[usize::from(p.len)];
            let set = |e: &mut PolicyElem, bit: u8| -> Result<(), Error> {
                if e.m & bit != 0 {
                    return Err(param(format!("policy match: double --{name} option")));
                }
                e.m |= bit;
                if h.inv {
                    e.inv |= bit;
                }
                Ok(())
            };
            match h.idx {
                0 => {
                    p.flags |= match a {
                        "in" => IN,
                        "out" => OUT,
                        _ => return Err(param(format!("policy_match: invalid dir \"{a}\""))),
                    }
                }
                1 => {
                    p.flags |= match a {
                        "none" => NONE,
                        "ipsec" => 0,
                        _ => return Err(param(format!("policy match: invalid policy \"{a}\""))),
                    }
                }
                2 => p.flags |= STRICT,
                3 => {
                    set(e, REQID)?;
                    e.reqid = parse_u32(a).unwrap_or(0);
                }
                4 => {
                    set(e, SPI)?;
                    e.spi = parse_u32(a).unwrap_or(0);
                }
                5 | 6 => {
                    let (addr, mask) = hostmask(name, a, cx.family)?;
                    set(e, if h.idx == 5 { SADDR } else { DADDR })?;
                    if h.idx == 5 {
                        (e.saddr, e.smask) = (addr, mask);
                    } else {
                        (e.daddr, e.dmask) = (addr, mask);
                    }
                }
                7 => {
                    let v = protocol(a)?;
                    if e.m & PROTO != 0 {
                        return Err(param("policy match: double --proto option"));
                    }
                    e.proto = v;
                    if !matches!(v, 50 | 51 | 108) {
                        return Err(param("policy match: protocol must be ah/esp/ipcomp"));
                    }
                    set(e, PROTO)?;
                }
                8 => {
                    set(e, MODE)?;
                    e.mode = match a {
                        "transport" => 0,
                        "tunnel" => TUNNEL,
                        _ => return Err(param(format!("policy match: invalid mode \"{a}\""))),
                    };
                }
                _ => {
                    p.len += 1;
                    if usize::from(p.len) == MAX_ELEM {
                        return Err(param("policy match: maximum policy depth reached"));
                    }
                }
            }
        }
        if p.flags & (IN | OUT) == 0 {
            return Err(param(
                "policy match: neither --dir in nor --dir out specified",
            ));
        }
        if p.flags & NONE != 0 {
            if p.flags & STRICT != 0 {
                return Err(param("policy match: policy none but --strict given"));
            }
            if p.len != 0 {
                return Err(param("policy match: policy none but policy given"));
            }
        } else {
            p.len += 1;
        }
        for (i, e) in p.elems.iter().take(usize::from(p.len)).enumerate() {
            if p.flags & STRICT != 0 && e.m == 0 {
                return Err(param(format!(
                    "policy match: empty policy element {i}. --strict is in effect, but at least one of reqid, spi, tunnel-src, tunnel-dst, proto or mode is required."
                )));
            }
            let tunnel_only =
                (e.mode == TUNNEL && e.inv & MODE != 0) || (e.mode == 0 && e.inv & MODE == 0);
            if e.m & (SADDR | DADDR) != 0 && tunnel_only {
                return Err(param(
                    "policy match: --tunnel-src/--tunnel-dst is only valid in tunnel mode",
                ));
            }
        }
        Ok(Policy(Box::new(p)))
    }

    fn save(&self, cx: &FmtCx, out: &mut String) {
        self.text(cx.family, true, false, out)
    }

    fn print(&self, cx: &FmtCx, out: &mut String) {
        self.text(cx.family, false, cx.numeric, out)
    }

    fn encode(&self, _cx: &EncodeCx, out: &mut Vec<Expr>) {
        let mut info = Vec::with_capacity(super::xt_align(INFO_SIZE));
        for e in &self.0.elems {
            info.extend_from_slice(&e.to_blob()[..PolicyElem::SIZE]);
        }
        info.extend_from_slice(&self.0.flags.to_ne_bytes());
        info.extend_from_slice(&self.0.len.to_ne_bytes());
        out.push(Expr::Match {
            name: Self::NAME.into(),
            rev: 0,
            info: super::pad_blob(info),
        });
    }

    fn decode_blob(rev: u32, info: &[u8], _family: Family) -> Result<Self, DecodeError> {
        let bad = || DecodeError(format!("policy revision {rev} of {} bytes", info.len()));
        if rev != 0 || info.len() < INFO_SIZE {
            return Err(bad());
        }
        let mut elems = [EMPTY; MAX_ELEM];
        for (i, e) in elems.iter_mut().enumerate() {
            *e = PolicyElem::from_blob(&info[i * PolicyElem::SIZE..]).ok_or_else(bad)?;
        }
        let at = MAX_ELEM * PolicyElem::SIZE;
        let len = u16::from_ne_bytes([info[at + 2], info[at + 3]]);
        if usize::from(len) > MAX_ELEM {
            return Err(bad());
        }
        Ok(Policy(Box::new(PolicyInfo {
            elems,
            flags: u16::from_ne_bytes([info[at], info[at + 1]]),
            len,
        })))
    }
}

/// An address and its mask as `xtables_ipaddr_to_numeric` and
/// `xtables_ipmask_to_numeric` print them: no `/32` (`/128`), a mask with
/// holes as an address.
fn addr_text(a: &[u8; 16], m: &[u8; 16], family: Family) -> String {
    let w = family.addr_len();
    let addr = ip_from_bytes(&a[..w]).map(|x| ntop(&x)).unwrap_or_default();
    match mask_len(&m[..w]) {
        Some(l) if l as usize == 8 * w => addr,
        Some(l) => format!("{addr}/{l}"),
        None => {
            let mask = ip_from_bytes(&m[..w]).map(|x| ntop(&x)).unwrap_or_default();
            format!("{addr}/{mask}")
        }
    }
}

impl Policy {
    fn text(&self, family: Family, save: bool, numeric: bool, out: &mut String) {
        let p = &self.0;
        let dash = if save { "--" } else { "" };
        if !save {
            out.push_str(" policy match");
        }
        let dir = if p.flags & IN != 0 { "in" } else { "out" };
        let pol = if p.flags & NONE != 0 { "none" } else { "ipsec" };
        let _ = write!(out, " {dash}dir {dir} {dash}pol {pol}");
        if p.flags & STRICT != 0 {
            let _ = write!(out, " {dash}strict");
        }
        let n = usize::from(p.len).min(MAX_ELEM);
        for (i, e) in p.elems.iter().take(n).enumerate() {
            if !save && n > 1 {
                let _ = write!(out, " [{i}]");
            }
            let bang = |bit: u8| if e.inv & bit != 0 { " !" } else { "" };
            if e.m & REQID != 0 {
                let _ = write!(out, "{} {dash}reqid {}", bang(REQID), e.reqid);
            }
            if e.m & SPI != 0 {
                let _ = write!(out, "{} {dash}spi {:#x}", bang(SPI), e.spi);
            }
            if e.m & PROTO != 0 {
                let name = if numeric {
                    None
                } else {
                    netdb::proto_name_lookup(e.proto)
                };
                let _ = write!(
                    out,
                    "{} {dash}proto {}",
                    bang(PROTO),
                    name.unwrap_or_else(|| e.proto.to_string())
                );
            }
            if e.m & MODE != 0 {
                let mode = match e.mode {
                    0 => "transport",
                    TUNNEL => "tunnel",
                    _ => "???",
                };
                let _ = write!(out, "{} {dash}mode {mode}", bang(MODE));
            }
            if e.m & DADDR != 0 {
                let _ = write!(
                    out,
                    "{} {dash}tunnel-dst {}",
                    bang(DADDR),
                    addr_text(&e.daddr, &e.dmask, family)
                );
            }
            if e.m & SADDR != 0 {
                let _ = write!(
                    out,
                    "{} {dash}tunnel-src {}",
                    bang(SADDR),
                    addr_text(&e.saddr, &e.smask, family)
                );
            }
            if save && i + 1 < n {
                let _ = write!(out, " --next");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ext::kit::{build_match, texts, xt_round_trip};

    /// Text as iptables 1.8.13 prints it (captured), and messages.
    #[test]
    fn like_1_8_13() {
        let cx = |numeric| FmtCx {
            family: Family::V4,
            numeric,
            proto: None,
        };
        let v = [
            (0, false, "in"),
            (1, false, "ipsec"),
            (2, false, ""),
            (3, false, "1"),
            (4, false, "0x1"),
            (7, false, "esp"),
            (8, false, "tunnel"),
            (6, false, "10.0.0.0/8"),
            (5, true, "10.1.2.3/255.0.255.0"),
            (9, false, ""),
            (3, true, "2"),
        ];
        let p: Policy = build_match(Family::V4, &v).unwrap();
        assert_eq!(
            texts(&p, &cx(true)),
            (
                " --dir in --pol ipsec --strict --reqid 1 --spi 0x1 --proto esp --mode tunnel --tunnel-dst 10.0.0.0/8 ! --tunnel-src 10.1.2.3/255.0.255.0 --next ! --reqid 2".into(),
                " policy match dir in pol ipsec strict [0] reqid 1 spi 0x1 proto 50 mode tunnel tunnel-dst 10.0.0.0/8 ! tunnel-src 10.1.2.3/255.0.255.0 [1] ! reqid 2".into()
            )
        );
        assert_eq!(xt_round_trip(&p, Family::V4), (0, 312));
        let p: Policy = build_match(
            Family::V4,
            &[(0, false, "in"), (1, false, "none"), (3, false, "1")],
        )
        .unwrap();
        assert_eq!(texts(&p, &cx(false)).1, " policy match dir in pol none");
        let msg = |v: &[(usize, bool, &str)]| {
            build_match::<Policy>(Family::V4, v)
                .unwrap_err()
                .to_string()
        };
        assert_eq!(
            msg(&[(0, false, "in"), (2, false, "")]),
            "policy match: empty policy element 0. --strict is in effect, but at least one of reqid, spi, tunnel-src, tunnel-dst, proto or mode is required."
        );
        assert_eq!(
            msg(&[(0, false, "in"), (6, false, "10.0.0.0/8")]),
            "policy match: --tunnel-src/--tunnel-dst is only valid in tunnel mode"
        );
        assert_eq!(
            msg(&[(0, false, "in"), (7, false, "AH")]),
            "unknown protocol \"AH\" specified"
        );
        assert_eq!(
            msg(&[(0, false, "in"), (7, false, "050")]),
            "policy match: protocol must be ah/esp/ipcomp"
        );
        assert_eq!(
            msg(&[(1, false, "ipsec")]),
            "policy match: neither --dir in nor --dir out specified"
        );
    }
}
