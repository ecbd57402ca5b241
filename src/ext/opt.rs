//! Typed parsers for option values shared by extensions (the `XTTYPE_*`
//! kinds of iptables): ports, port ranges.

use crate::error::{param, Error};
use crate::model::netdb;

/// Parse one port: a number or a service name for `proto`.
pub fn parse_port(s: &str, proto: &str) -> Result<u16, Error> {
    // `xtables_parse_port`: a number in any base strtoul reads, else a
    // service name
    if let Some(n) = crate::ext::value::xt_strtoui(s, 0, u64::from(u16::MAX)) {
        return Ok(n as u16);
    }
    netdb::service_port(s, proto)
        .ok_or_else(|| param(format!("invalid port/service `{s}' specified")))
}

/// Parse `a`, `a:b`, `:b`, `a:` or `:` into an inclusive range.
pub fn parse_port_range(s: &str, proto: &str) -> Result<(u16, u16), Error> {
    let colon = s.bytes().position(|b| b == b':');
    let (lo, hi) = match colon.map(|i| (&s[..i], &s[i + 1..])) {
        None => {
            let p = parse_port(s, proto)?;
            (p, p)
        }
        Some((a, b)) => {
            let lo = if a.is_empty() {
                0
            } else {
                parse_port(a, proto)?
            };
            let hi = if b.is_empty() {
                u16::MAX
            } else {
                parse_port(b, proto)?
            };
            (lo, hi)
        }
    };
    if lo > hi {
        return Err(param("invalid portrange (min > max)"));
    }
    Ok((lo, hi))
}

/// `xtables_getportbyname`: a service as `getaddrinfo` reads it, glibc's
/// decimal `strtoul` (leading blanks and a sign allowed) into an `int` cut
/// to 16 bits, or a service name. With `exact`, a number that does not fit
/// in 16 bits is refused instead of cut (see docs/differences.md).
pub fn getportbyname(s: &str, exact: bool) -> Option<u16> {
    let t = s.trim_start_matches([' ', '\t', '\n', '\r', '\x0b', '\x0c']);
    let (neg, digits) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
        let v = digits.parse::<u64>().unwrap_or(u64::MAX);
        if exact {
            return (!neg).then(|| u16::try_from(v).ok()).flatten();
        }
        let v = if neg { v.wrapping_neg() } else { v };
        let num = v as i32;
        return (num >= 0).then_some(num as u16);
    }
    ["tcp", "udp", "sctp", "dccp"]
        .iter()
        .find_map(|p| netdb::service_port(s, p))
}

/// An `XTTYPE_PORTRC` value (`xtopt_parse_mport`) of option `--opt` of
/// extension `ext`: `P`, `P:P`, `:P`, `P:` or `:`, each port as
/// [`getportbyname`] reads it.
pub fn parse_mport(ext: &str, opt: &str, s: &str, exact: bool) -> Result<(u16, u16), Error> {
    let mut r = [0u16, u16::MAX];
    let (mut n, mut prev) = (0usize, 0u16);
    for part in s.split(':') {
        if n == 2 {
            return Err(param(format!(
                "{ext}: Too many components for option \"--{opt}\" (max: 2)\n"
            )));
        }
        if !part.is_empty() {
            let v = getportbyname(part, exact)
                .ok_or_else(|| param(format!("Port \"{part}\" does not resolve to anything.\n")))?;
            if v < prev {
                return Err(param(format!("Port range {prev}-{v} is negative.\n")));
            }
            prev = v;
            r[n] = v;
        }
        n += 1;
    }
    if n == 1 {
        r[1] = r[0];
    }
    Ok((r[0], r[1]))
}

/// Save/list form of a port range: `22`, `1:100`.
pub fn fmt_port_range(r: (u16, u16)) -> String {
    if r.0 == r.1 {
        r.0.to_string()
    } else {
        format!("{}:{}", r.0, r.1)
    }
}

/// Read a native-endian u16 at `off` of a blob.
pub fn ne_u16(b: &[u8], off: usize) -> Option<u16> {
    Some(u16::from_ne_bytes(b.get(off..off + 2)?.try_into().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn port_ranges() {
        assert_eq!(parse_port_range("22", "tcp").unwrap(), (22, 22));
        assert_eq!(parse_port_range(":4", "tcp").unwrap(), (0, 4));
        assert_eq!(parse_port_range("4:", "tcp").unwrap(), (4, 65535));
        assert_eq!(parse_port_range(":", "tcp").unwrap(), (0, 65535));
        assert!(parse_port_range("4:3", "tcp").is_err());
        assert!(parse_port_range("70000", "tcp").is_err());
        assert!(parse_port_range("nosuchservice", "tcp").is_err());
        assert_eq!(fmt_port_range((1, 100)), "1:100");
    }
}
