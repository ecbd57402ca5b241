//! The values of the command line itself, read as iptables reads them:
//! rule numbers, counters and wait times (`sscanf`/`xtables_strtoui`
//! forms), chain names, `-s`/`-d` hosts, networks and masks
//! (`xtables_ipparse_multiple` and getaddrinfo) and `-i`/`-o` interfaces.

use crate::error::{param, Error};
use crate::ext::value::xt_strtoui;
use crate::model::addr::IFNAME_MAX;
use crate::model::{Family, Iface, Net};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, ToSocketAddrs};

/// Longest chain name iptables takes (`XT_EXTENSION_MAXNAMELEN - 1`).
pub const CHAIN_MAX: usize = 28;

fn parse_ipv4_numeric(s: &str) -> Option<Ipv4Addr> {
    numeric_to_ipaddr(s, false)
}

/// `__numeric_to_ipaddr`: up to 4 dotted parts, each a `strtoul` number
/// of any base in 0..=255; an address may stop early (`10/8` is
/// 10.0.0.0/8), a mask may not. iptables reads only the first 19 bytes.
fn numeric_to_ipaddr(s: &str, is_mask: bool) -> Option<Ipv4Addr> {
    plain_dotted_quad(s.as_bytes()).or_else(|| numeric_to_ipaddr_full(s, is_mask))
}

fn numeric_to_ipaddr_full(s: &str, is_mask: bool) -> Option<Ipv4Addr> {
    let b = s.as_bytes();
    let b = &b[..b.len().min(19)];
    let s = std::str::from_utf8(b).ok()?;
    let mut o = [0u8; 4];
    let mut rest = s;
    for (i, byte) in o.iter_mut().enumerate() {
        let (part, next) = match rest.split_once('.') {
            Some((p, n)) if i < 3 => (p, Some(n)),
            _ => (rest, None),
        };
        if next.is_none() && i < 3 && is_mask {
            return None;
        }
        *byte = u8::try_from(xt_strtoui(part, 0, 255)?).ok()?;
        match next {
            Some(n) => rest = n,
            None => break,
        }
    }
    Some(Ipv4Addr::from(o))
}

/// The usual form, `a.b.c.d` in decimal without leading zeros, read in
/// one pass; `None` for anything else (a leading zero is octal, fewer
/// parts or other bases are read by [`numeric_to_ipaddr`] in full, which
/// reads this form the same).
fn plain_dotted_quad(b: &[u8]) -> Option<Ipv4Addr> {
    let mut o = [0u8; 4];
    let (mut part, mut v, mut digits) = (0usize, 0u32, 0u8);
    for &c in b {
        match c {
            b'0'..=b'9' => {
                if digits == 1 && v == 0 {
                    return None;
                }
                v = v * 10 + u32::from(c - b'0');
                digits += 1;
                if v > 255 {
                    return None;
                }
            }
            b'.' if digits > 0 && part < 3 => {
                o[part] = v as u8;
                part += 1;
                v = 0;
                digits = 0;
            }
            _ => return None,
        }
    }
    if digits == 0 || part != 3 {
        return None;
    }
    o[3] = v as u8;
    Some(Ipv4Addr::from(o))
}

/// The addresses of one host: a number is one (no vector made for it).
enum Addrs {
    One(IpAddr),
    Many(Vec<IpAddr>),
}

impl Addrs {
    fn list(&self) -> &[IpAddr] {
        match self {
            Addrs::One(a) => std::slice::from_ref(a),
            Addrs::Many(v) => v,
        }
    }
}

fn resolve_host(host: &str, family: Family) -> Result<Addrs, Error> {
    let not_found = || param(format!("host/network `{host}' not found"));
    match family {
        Family::V4 => {
            if let Some(a) = parse_ipv4_numeric(host) {
                return Ok(Addrs::One(IpAddr::V4(a)));
            }
        }
        Family::V6 => {
            if let Ok(a) = host.parse::<Ipv6Addr>() {
                return Ok(Addrs::One(IpAddr::V6(a)));
            }
        }
    }
    if family == Family::V4 {
        // what getaddrinfo takes as a number: inet_aton's forms (`2147483648`
        // is 128.0.0.0, `10.1` is 10.0.0.1)
        if let Some(a) = crate::ext::value::inet_aton(host) {
            return Ok(Addrs::One(IpAddr::V4(a)));
        }
    }
    if host.is_empty()
        || host
            .bytes()
            .all(|b| b.is_ascii_digit() || b == b'.' || b == b':')
    {
        return Err(not_found());
    }
    crate::model::netdb::note_host_lookup();
    let addrs = (host, 0u16).to_socket_addrs().map_err(|_| not_found())?;
    let mut out: Vec<IpAddr> = Vec::new();
    for a in addrs {
        let ip = a.ip();
        let ok = matches!(
            (family, ip),
            (Family::V4, IpAddr::V4(_)) | (Family::V6, IpAddr::V6(_))
        );
        if ok && !out.contains(&ip) {
            out.push(ip);
        }
    }
    if out.is_empty() {
        return Err(not_found());
    }
    Ok(Addrs::Many(out))
}

/// Parse `-s`/`-d` values: a comma list of `host[/mask]`.
pub fn parse_nets(s: &str, family: Family) -> Result<Vec<Net>, Error> {
    parse_nets_counted(s, family).map(|(v, _)| v)
}

/// [`parse_nets`], with the number of addresses before duplicates are
/// dropped (iptables' `naddrs`).
pub fn parse_nets_counted(s: &str, family: Family) -> Result<(Vec<Net>, usize), Error> {
    let mut out = Vec::with_capacity(1);
    let mut count = 0;
    // (split at the bytes: ',' and '/' are ASCII)
    for item in split_byte(s, b',') {
        let (host, mask) = match item.bytes().rposition(|b| b == b'/') {
            Some(i) => (&item[..i], Some(&item[i + 1..])),
            None => (item, None),
        };
        let width = (family.addr_len() * 8) as u32;
        let addrs = resolve_host(host, family)?;
        for &a in addrs.list() {
            let net = match mask {
                None => Net::with_prefix(a, width),
                Some(m) => {
                    let bad = || param(format!("invalid mask `{m}' specified"));
                    // as `parse_ipmask`: a dotted mask first, then a length
                    let dotted: Option<IpAddr> = match family {
                        // a mask of one part is a length (no dotted mask
                        // without a dot)
                        Family::V4 if !m.as_bytes().contains(&b'.') => None,
                        Family::V4 => numeric_to_ipaddr(m, true).map(IpAddr::V4),
                        Family::V6 => m.parse::<Ipv6Addr>().ok().map(IpAddr::V6),
                    };
                    match dotted {
                        Some(mask) => Net::with_mask(a, mask),
                        None => {
                            let len = xt_strtoui(m, 0, u64::from(width)).ok_or_else(bad)?;
                            Net::with_prefix(a, len as u32)
                        }
                    }
                }
            };
            count += 1;
            if !out.contains(&net) {
                out.push(net);
            }
        }
    }
    Ok((out, count))
}

/// `s.split(sep)` for an ASCII `sep`, by a plain byte scan (the words
/// here are short).
fn split_byte(s: &str, sep: u8) -> impl Iterator<Item = &str> {
    let mut rest = Some(s);
    std::iter::from_fn(move || {
        let r = rest?;
        match r.bytes().position(|b| b == sep) {
            Some(i) => {
                rest = r.get(i + 1..);
                r.get(..i)
            }
            None => {
                rest = None;
                Some(r)
            }
        }
    })
}

/// Check an interface name for `-i`/`-o`.
pub fn parse_iface(s: &str) -> Result<Iface, Error> {
    if crate::model::bytes::byte_len(s) > IFNAME_MAX {
        return Err(param(format!(
            "interface name `{s}' must be shorter than {} characters",
            IFNAME_MAX + 1
        )));
    }
    if s.is_empty() {
        return Err(param("Empty interface is likely to be undesired"));
    }
    Ok(Iface(s.to_string()))
}

pub(super) fn parse_rulenum(s: &str) -> Result<usize, Error> {
    xt_strtoui(s, 1, i32::MAX as u64)
        .and_then(|n| usize::try_from(n).ok())
        .ok_or_else(|| param(format!("Invalid rule number `{s}'")))
}

/// `sscanf(s, "%llu")`: blanks, a sign, decimal digits (too many
/// saturate, a minus wraps around); `None` when no digit comes.
pub(super) fn scan_llu(s: &str) -> Option<u64> {
    let t = s.trim_start_matches([' ', '\t', '\n', '\r', '\x0b', '\x0c']);
    let (neg, t) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    let n = t.bytes().take_while(u8::is_ascii_digit).count();
    if n == 0 {
        return None;
    }
    let v = t[..n].parse::<u64>().unwrap_or(u64::MAX);
    Some(if neg { v.wrapping_neg() } else { v })
}

/// `sscanf(s, "%i")` (for `-w`) or `"%u"` (for `-W`): blanks, a sign,
/// then digits (any base for `%i`); `None` when no digit comes.
pub(super) fn scan_int(s: &str, any_base: bool) -> Option<i64> {
    let t = s.trim_start_matches([' ', '\t', '\n', '\r', '\x0b', '\x0c']);
    let (neg, t) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    if t.starts_with(['+', '-', ' ']) {
        return None;
    }
    let v = if any_base {
        crate::ext::value::strtoumax(t)?.0
    } else {
        let n = t.bytes().take_while(u8::is_ascii_digit).count();
        if n == 0 {
            return None;
        }
        t[..n].parse::<u64>().unwrap_or(u64::MAX)
    };
    let v = v as i64;
    Some(if neg { v.wrapping_neg() } else { v })
}

/// iptables' checks of a chain name given on the command line.
pub fn check_chain_name(name: &str) -> Result<(), Error> {
    if crate::model::bytes::byte_len(name) > CHAIN_MAX {
        return Err(param(format!(
            "chain name `{name}' too long (must be under {} chars)",
            CHAIN_MAX + 1
        )));
    }
    if name.starts_with('-') || name.starts_with('!') {
        return Err(param(format!(
            "chain name not allowed to start with `{}'",
            &name[..1]
        )));
    }
    let blank = if name.is_ascii() {
        // `char::is_whitespace` of ASCII: \t \n \v \f \r and space
        name.bytes().any(|b| matches!(b, b'\t'..=b'\r' | b' '))
    } else {
        name.chars().any(char::is_whitespace)
    };
    if blank {
        return Err(param(format!("Invalid chain name `{name}'")));
    }
    Ok(())
}

/// `xt_parse_target`: what `-j` and `-g` check of a name as they read it
/// (a chain it names is looked for later: `-j -x` is `Chain '-x' does
/// not exist`, not a bad chain name).
pub fn check_target_name(name: &str) -> Result<(), Error> {
    if name.is_empty() {
        return Err(param("Invalid target name (too short)"));
    }
    if crate::model::bytes::byte_len(name) > CHAIN_MAX {
        return Err(param(format!(
            "Invalid target name `{name}' ({CHAIN_MAX} chars max)"
        )));
    }
    // C's isspace: \t \n \v \f \r and space
    if name.bytes().any(|b| matches!(b, b'\t'..=b'\r' | b' ')) {
        return Err(param(format!("Invalid target name `{name}'")));
    }
    Ok(())
}

/// `assert_valid_chain_name`, which `-N` and `-E` apply to the new name as
/// they read it: the generic checks, then no target's name (the empty
/// name is the standard target's).
pub fn assert_valid_chain_name(name: &str, family: Family) -> Result<(), Error> {
    if crate::model::bytes::byte_len(name) > CHAIN_MAX || name.starts_with(['-', '!']) {
        return check_chain_name(name);
    }
    if matches!(
        name,
        "" | "ACCEPT" | "DROP" | "RETURN" | "QUEUE" | "standard"
    ) || crate::ext::find_target(name, family).is_some()
    {
        return Err(param("chain name may not clash with target name"));
    }
    check_chain_name(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_quads_read_as_the_full_reading_does() {
        let parts = [
            "0", "1", "9", "10", "99", "100", "255", "256", "00", "010", "0x1", "", " 1", "+1",
            "1a",
        ];
        let mut n = 0;
        for a in parts {
            for b in ["0", "10", "255", "256", "010", ""] {
                for tail in ["1.2", "0.255", "3", "1.2.3", "07.1", "300.1"] {
                    let s = format!("{a}.{b}.{tail}");
                    for mask in [false, true] {
                        let fast = plain_dotted_quad(s.as_bytes());
                        let full = numeric_to_ipaddr_full(&s, mask);
                        if fast.is_some() {
                            n += 1;
                            assert_eq!(fast, full, "{s}");
                        }
                        assert_eq!(numeric_to_ipaddr(&s, mask), full, "{s} {mask}");
                    }
                }
            }
        }
        assert!(n > 50);
        assert_eq!(
            plain_dotted_quad(b"172.16.0.1"),
            Some(Ipv4Addr::new(172, 16, 0, 1))
        );
        assert_eq!(plain_dotted_quad(b"1.2.3"), None);
        assert_eq!(plain_dotted_quad(b"1.2.3.010"), None);
    }
}
