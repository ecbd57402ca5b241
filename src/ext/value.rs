//! The xtables value parsers every extension shares (`xtables_strtoui`,
//! `XTTYPE_UINT32`, `XTTYPE_MARKMASK32`, ...), with iptables' C semantics:
//! numbers in any base `strtoul` takes (`0x10`, `010`, `16`).

/// `strtoumax(s, &end, 0)`: leading blanks and a sign, then a hexadecimal
/// (`0x`), octal (`0`) or decimal number. `None` when no digit was read;
/// otherwise the value (saturated, negated modulo 2^64 after `-`, as C
/// does) and the index where parsing stopped.
pub fn strtoumax(s: &str) -> Option<(u64, usize)> {
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() && matches!(b[i], b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c) {
        i += 1;
    }
    let mut neg = false;
    if i < b.len() && (b[i] == b'+' || b[i] == b'-') {
        neg = b[i] == b'-';
        i += 1;
    }
    let mut base = 10;
    if i < b.len() && b[i] == b'0' {
        if b.get(i + 1).is_some_and(|c| *c == b'x' || *c == b'X')
            && b.get(i + 2).is_some_and(u8::is_ascii_hexdigit)
        {
            base = 16;
            i += 2;
        } else {
            base = 8;
        }
    }
    let start = i;
    let mut v: u64 = 0;
    let mut overflow = false;
    while i < b.len() {
        let d = match (b[i] as char).to_digit(base) {
            Some(d) => d as u64,
            None => break,
        };
        match v.checked_mul(base as u64).and_then(|x| x.checked_add(d)) {
            Some(x) => v = x,
            None => overflow = true,
        }
        i += 1;
    }
    if i == start {
        return None;
    }
    if overflow {
        v = u64::MAX;
    } else if neg {
        v = v.wrapping_neg();
    }
    Some((v, i))
}

/// `xtables_strtoui` with an end pointer: a number in `min..=max` at the
/// start of `s` (trailing text allowed) and where it ended.
pub fn strtoui(s: &str, min: u64, max: u64) -> Option<(u16, usize)> {
    let (v, end) = strtoumax(s)?;
    if v < min || v > max {
        return None;
    }
    u16::try_from(v).ok().map(|v| (v, end))
}

/// `xtables_strtoui(s, NULL, .., min, max)`: the whole string a number in
/// any base `strtoul` reads (`0x10`, `010`), leading blanks allowed, no
/// minus sign.
pub fn xt_strtoui(s: &str, min: u64, max: u64) -> Option<u64> {
    let first = s
        .bytes()
        .find(|b| !matches!(b, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c));
    if first == Some(b'-') {
        return None;
    }
    let (v, end) = crate::ext::value::strtoumax(s)?;
    (end == s.len() && v != u64::MAX && (min..=max).contains(&v)).then_some(v)
}

/// `XTTYPE_UINT32`: a whole-string number in `0..=u32::MAX`.
pub fn parse_u32(s: &str) -> Option<u32> {
    let (v, end) = strtoumax(s)?;
    if end != s.len() || s.starts_with('-') {
        return None;
    }
    u32::try_from(v).ok()
}

/// `XTTYPE_MARKMASK32`: `value[/mask]`, the mask `0xffffffff` when left out.
pub fn parse_mark_mask(s: &str) -> Option<(u32, u32)> {
    match s.split_once('/') {
        None => Some((parse_u32(s)?, u32::MAX)),
        Some((v, m)) => Some((parse_u32(v)?, parse_u32(m)?)),
    }
}

/// The value kind of an option: what the command line checks as it reads
/// the option, with iptables' message for a bad value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueKind {
    /// anything (the extension checks)
    Any,
    /// `XTTYPE_UINT32`
    U32,
    /// `XTTYPE_MARKMASK32`
    MarkMask32,
    /// `XTTYPE_UINT8`/`UINT16` with bounds `.min`, `.max`
    UInt(u64, u64),
    /// `XTTYPE_UINT16RC` (a range) up to `.max`
    UIntRange(u64),
    /// `XTTYPE_TOSMASK`
    TosMask,
    /// `XTTYPE_PORTRC`: a port range as getaddrinfo reads its ends (udp,
    /// conntrack's ports); numbers above 65535 refused
    PortRc,
    /// a port range as `xtables_parse_port` reads its ends, for the
    /// protocol's service names (tcp's `--sport`/`--dport`)
    Ports(&'static str),
}

impl ValueKind {
    /// Checks `value` of option `--name` of extension `ext`.
    pub fn check(self, ext: &str, name: &str, value: &str) -> Result<(), crate::error::Error> {
        use super::header_kit::{tos_mask, uint_opt, uint_range};
        match self {
            ValueKind::UInt(min, max) => return uint_opt(ext, name, value, min, max).map(drop),
            ValueKind::UIntRange(max) => return uint_range(ext, name, value, max).map(drop),
            ValueKind::TosMask => return tos_mask(value).map(drop),
            ValueKind::PortRc => {
                return super::opt::parse_mport(ext, name, value, true).map(drop);
            }
            ValueKind::Ports(proto) => {
                return super::opt::parse_port_range(value, proto).map(drop);
            }
            _ => {}
        }
        let ok = match self {
            ValueKind::U32 => parse_u32(value).is_some(),
            ValueKind::MarkMask32 => parse_mark_mask(value).is_some(),
            _ => true,
        };
        if ok {
            return Ok(());
        }
        Err(crate::error::param(match self {
            ValueKind::U32 => format!(
                "{ext}: bad value for option \"--{name}\", or out of range (0-4294967295).\n"
            ),
            _ => format!("{ext}: bad integer value for option \"--{name}\", or out of range.\n"),
        }))
    }
}

/// `inet_aton` (what glibc's `getaddrinfo` accepts as a numeric IPv4
/// host): one to four dot-separated numbers, each decimal, octal (`0`) or
/// hexadecimal (`0x`); the last one fills the remaining bytes
/// (`1.2.3` is 1.2.0.3, `0x01020304` is 1.2.3.4).
pub fn inet_aton(s: &str) -> Option<std::net::Ipv4Addr> {
    let parts: Vec<&str> = s.split('.').collect();
    if parts.len() > 4 {
        return None;
    }
    let mut vals = Vec::with_capacity(4);
    for p in &parts {
        if !p.as_bytes().first().is_some_and(u8::is_ascii_digit) {
            return None;
        }
        let (v, end) = strtoumax(p)?;
        if end != p.len() || v > u32::MAX as u64 {
            return None;
        }
        vals.push(v as u32);
    }
    let (last, head) = vals.split_last()?;
    if head.iter().any(|v| *v > 255) {
        return None;
    }
    let shift = 8 * (4 - head.len() as u32);
    if shift < 32 && *last >= (1u32 << shift) {
        return None;
    }
    let mut v = *last;
    for (i, h) in head.iter().enumerate() {
        v |= h << (24 - 8 * i as u32);
    }
    Some(std::net::Ipv4Addr::from(v))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_as_strtoul_reads_them() {
        assert_eq!(parse_u32("16"), Some(16));
        assert_eq!(parse_u32("0x10"), Some(16));
        assert_eq!(parse_u32("010"), Some(8));
        assert_eq!(parse_u32("07"), Some(7));
        assert_eq!(parse_u32("0xffffffff"), Some(u32::MAX));
        for bad in ["", "x", "0x100000000", "-1", "1/2", "1 ", "08"] {
            assert_eq!(parse_u32(bad), None, "{bad}");
        }
    }

    #[test]
    fn mark_masks() {
        assert_eq!(parse_mark_mask("1"), Some((1, u32::MAX)));
        assert_eq!(parse_mark_mask("0x1/0xff"), Some((1, 0xff)));
        assert_eq!(parse_mark_mask("010/0x10"), Some((8, 16)));
        for bad in ["1/", "/1", "x", "1/x", "0x100000000"] {
            assert_eq!(parse_mark_mask(bad), None, "{bad}");
        }
    }

    #[test]
    fn messages_name_extension_and_option() {
        let e = ValueKind::U32.check("MARK", "or-mark", "x").unwrap_err();
        assert_eq!(
            e.to_string(),
            "MARK: bad value for option \"--or-mark\", or out of range (0-4294967295).\n"
        );
        let e = ValueKind::MarkMask32
            .check("mark", "mark", "1/")
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "mark: bad integer value for option \"--mark\", or out of range.\n"
        );
        assert!(ValueKind::Any.check("x", "y", "").is_ok());
    }

    #[test]
    fn inet_aton_like_glibc() {
        let a = |s: &str| inet_aton(s).map(|a| a.to_string());
        assert_eq!(a("1.2.3.4").as_deref(), Some("1.2.3.4"));
        assert_eq!(a("1.2.3").as_deref(), Some("1.2.0.3"));
        assert_eq!(a("1.2").as_deref(), Some("1.0.0.2"));
        assert_eq!(a("0x01020304").as_deref(), Some("1.2.3.4"));
        assert_eq!(a("10.20.30.040").as_deref(), Some("10.20.30.32"));
        assert_eq!(a("33").as_deref(), Some("0.0.0.33"));
        for bad in [
            "",
            "1.2.3.4.5",
            "1.2.3.256",
            "256.1.1.1",
            "1..2",
            "1.2.3.4 ",
            "a.b.c.d",
            "1.2.65536",
        ] {
            assert_eq!(a(bad), None, "{bad}");
        }
    }
}
