//! `-m hashlimit --hashlimit-upto|--hashlimit-above RATE --hashlimit-name N
//! [--hashlimit-burst B] [--hashlimit-mode M] [--hashlimit-srcmask L]
//! [--hashlimit-dstmask L] [--hashlimit-htable-size|-max|-gcinterval|-expire
//! N] [--hashlimit-rate-match] [--hashlimit-rate-interval S]`
//! (`libxt_hashlimit.c`): xt match `hashlimit`. iptables 1.8.13 writes
//! revision 3 (`struct xt_hashlimit_mtinfo3`); on a kernel without it,
//! revision 2 or 1, with those revisions' limits; they are read too and
//! written back as they came. A rate is packets
//! (`N/unit`, `avg` = period in 1/10^6 s, 1/10^4 s in revision 1) or bytes
//! (`Nb/s`, `Nkb/s`, `Nmb/s`, `avg` = a cost per 16 bytes).

use super::value::strtoumax;
use super::{EncodeCx, FmtCx, MatchExt, OptHit, OptSpec, ParseCx, ValueKind};
use crate::error::{param, DecodeError, Error};
use crate::ir::Expr;
use crate::model::Family;

crate::xt_struct! {
    /// `struct xt_hashlimit_mtinfo3` (cfg3 flattened; `hinfo` is the
    /// kernel's pointer, zero here)
    pub struct Info3 {
        pub name: [u8; 255], pub avg: u64, pub burst: u64, pub mode: u32, pub size: u32,
        pub max: u32, pub gc_interval: u32, pub expire: u32, pub interval: u32,
        pub srcmask: u8, pub dstmask: u8, pub hinfo: u64,
    }
}
const _: () = assert!(Info3::SIZE == 312);

crate::xt_struct! {
    /// `struct xt_hashlimit_mtinfo2`
    pub struct Info2 {
        pub name: [u8; 255], pub avg: u64, pub burst: u64, pub mode: u32, pub size: u32,
        pub max: u32, pub gc_interval: u32, pub expire: u32,
        pub srcmask: u8, pub dstmask: u8, pub hinfo: u64,
    }
}
const _: () = assert!(Info2::SIZE == 304);

crate::xt_struct! {
    /// `struct xt_hashlimit_mtinfo1` (32-bit rate and burst)
    pub struct Info1 {
        pub name: [u8; 16], pub mode: u32, pub avg: u32, pub burst: u32, pub size: u32,
        pub max: u32, pub gc_interval: u32, pub expire: u32,
        pub srcmask: u8, pub dstmask: u8, pub hinfo: u64,
    }
}
const _: () = assert!(Info1::SIZE == 56);

/// `XT_HASHLIMIT_HASH_DIP`
const DIP: u32 = 1;
/// `XT_HASHLIMIT_HASH_DPT`
const DPT: u32 = 2;
/// `XT_HASHLIMIT_HASH_SIP`
const SIP: u32 = 4;
/// `XT_HASHLIMIT_HASH_SPT`
const SPT: u32 = 8;
/// `XT_HASHLIMIT_INVERT`
const INVERT: u32 = 16;
/// `XT_HASHLIMIT_BYTES`
const BYTES: u32 = 32;
/// `XT_HASHLIMIT_RATE_MATCH`
const RATE_MATCH: u32 = 64;
/// `XT_HASHLIMIT_SCALE_v2` (revisions 2 and 3)
const SCALE: u64 = 1_000_000;
/// `XT_HASHLIMIT_SCALE` (revision 1)
const SCALE_V1: u64 = 10_000;
/// `XT_HASHLIMIT_BURST_MAX`
const BURST_MAX: u64 = 1_000_000;
/// `XT_HASHLIMIT_BURST_MAX_v1`
const BURST_MAX_V1: u64 = 10_000;
/// `XT_HASHLIMIT_GCINTERVAL`
const GCINTERVAL: u32 = 1000;
/// `XT_HASHLIMIT_BYTE_EXPIRE`, seconds
const BYTE_EXPIRE: u32 = 15;
/// `XT_HASHLIMIT_BYTE_EXPIRE_BURST`, seconds
const BYTE_EXPIRE_BURST: u32 = 60;

/// The hashlimit match (boxed: the name makes it big).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hashlimit(pub Box<Cfg>);

/// Everything of `struct xt_hashlimit_mtinfo*`, with its revision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cfg {
    /// xt revision (1, 2 or 3)
    pub rev: u32,
    /// table name (bytes before the first NUL)
    pub name: Vec<u8>,
    /// period (packets) or cost (bytes)
    pub avg: u64,
    /// burst (packets, or multiples of the byte rate)
    pub burst: u64,
    /// `XT_HASHLIMIT_*` bits
    pub mode: u32,
    /// buckets
    pub size: u32,
    /// entries
    pub max: u32,
    /// ms
    pub gc_interval: u32,
    /// ms
    pub expire: u32,
    /// rate-match interval, s (revision 3)
    pub interval: u32,
    /// source prefix length
    pub srcmask: u8,
    /// destination prefix length
    pub dstmask: u8,
}

/// `cost_to_bytes`
fn cost_to_bytes(cost: u64) -> u64 {
    let r = u64::from(u32::MAX)
        .checked_div(cost)
        .unwrap_or(u64::from(u32::MAX));
    r.wrapping_sub(1) << 4
}

/// `bytes_to_cost` (its `u32` arithmetic; `None` where C divides by zero)
fn bytes_to_cost(bytes: u64) -> Option<u64> {
    let r = (bytes >> 4) as u32;
    r.checked_add(1).map(|d| u64::from(u32::MAX / d))
}

/// `get_factor`
fn factor(c: Option<u8>) -> u64 {
    match c {
        Some(b'm') => 1024 * 1024,
        Some(b'k') => 1024,
        _ => 1,
    }
}

/// `atoll`: blanks, a sign, digits (saturating as glibc's `strtoll`).
fn atoll(s: &str) -> i64 {
    let t = s.trim_start_matches([' ', '\t', '\n', '\r', '\x0b', '\x0c']);
    let (neg, t) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    let mut v: i64 = 0;
    for c in t.bytes().take_while(u8::is_ascii_digit) {
        let d = i64::from(c - b'0');
        v = match v.checked_mul(10).and_then(|x| {
            if neg {
                x.checked_sub(d)
            } else {
                x.checked_add(d)
            }
        }) {
            Some(x) => x,
            None => return if neg { i64::MIN } else { i64::MAX },
        };
    }
    v
}

/// `parse_bytes`: `N[k|m]b/s` (anything with `b/s` after its first
/// character): the cost, or `None` to try a packet rate.
fn parse_bytes(s: &str, rev: u32) -> Result<Option<u64>, Error> {
    let Some(at) = s.find("b/s").filter(|at| *at > 0) else {
        return Ok(None);
    };
    let r = atoll(s) as u64;
    if r == 0 {
        return Ok(None);
    }
    let bytes = r.wrapping_mul(factor(s.as_bytes().get(at - 1).copied()));
    // revision 1 keeps the rate in 32 bits
    if rev == 1 && bytes > u64::from(u32::MAX) {
        return Err(param(format!(
            "Rate value too large \"{bytes}\" (max {})",
            u32::MAX
        )));
    }
    match bytes_to_cost(bytes) {
        Some(c) if c != 0 => Ok(Some(c)),
        _ => Err(param(format!("Rate too high \"{s}\""))),
    }
}

/// `parse_rate`: `N[/unit]` (a unit as any prefix of second, minute, hour,
/// day): the period and the unit's seconds; `None` for a bad value.
fn parse_rate(s: &str, rev: u32) -> Result<Option<(u64, u32)>, Error> {
    let scale = if rev == 1 { SCALE_V1 } else { SCALE };
    let mut mult = 1u32;
    if let Some((_, u)) = s.split_once('/') {
        if u.is_empty() {
            return Ok(None);
        }
        let prefix = |full: &str| full.len() >= u.len() && full[..u.len()].eq_ignore_ascii_case(u);
        mult = if prefix("second") {
            1
        } else if prefix("minute") {
            60
        } else if prefix("hour") {
            3600
        } else if prefix("day") {
            86_400
        } else {
            return Ok(None);
        };
    }
    let r = atoll(s) as u64;
    if r == 0 {
        return Ok(None);
    }
    let avg = scale * u64::from(mult) / r;
    if avg == 0 {
        return Err(param(format!("Rate too fast \"{s}\"")));
    }
    Ok(Some((avg, mult)))
}

/// `parse_mode`: names separated by `,` or `|` (empty ones skipped).
fn parse_mode(s: &str) -> Option<u32> {
    s.split([',', '|'])
        .filter(|t| !t.is_empty())
        .try_fold(0, |m, t| {
            Some(
                m | match t {
                    "dstip" => DIP,
                    "srcip" => SIP,
                    "srcport" => SPT,
                    "dstport" => DPT,
                    _ => return None,
                },
            )
        })
}

/// `xtables_strtoul(s, &end, .., min, max)`: no `-`, a number at the
/// start (trailing text allowed), in range; its value and end.
fn xt_strtoul(s: &str, min: u64) -> Option<(u64, usize)> {
    if s.trim_start().starts_with('-') {
        return None;
    }
    // a saturated value stands for ERANGE
    strtoumax(s).filter(|(v, _)| *v >= min && *v != u64::MAX)
}

/// `XTTYPE_PLEN`: a prefix length up to the family's, or a netmask.
fn parse_plen(s: &str, family: Family, opt: &str) -> Result<u8, Error> {
    let max = if family == Family::V4 { 32 } else { 128 };
    if let Some((v, end)) = xt_strtoul(s, 0) {
        if end == s.len() && v <= max {
            return Ok(v as u8);
        }
    }
    let mask: Option<u128> = match family {
        Family::V4 => super::value::inet_aton(s).map(|a| u128::from(u32::from(a)) << 96),
        Family::V6 => s.parse::<std::net::Ipv6Addr>().ok().map(u128::from),
    };
    match mask {
        // a non-contiguous mask is -1, as `xtables_ipmask_to_cidr` says
        Some(m) => Ok(if m.leading_ones() + m.trailing_zeros() == 128 || m == 0 {
            m.leading_ones() as u8
        } else {
            u8::MAX
        }),
        None => Err(param(format!(
            "hashlimit: bad value for option \"--{opt}\", neither a valid network mask nor valid CIDR (0-{max}).\n"
        ))),
    }
}

/// `xtables_strtoui`-free `atoi` (as C truncates `long` to `int`).
fn atoi(s: &str) -> i32 {
    atoll(s) as i32
}

/// The units of a packet rate: (name, scale × seconds).
fn rates(rev: u32) -> [(&'static str, u64); 4] {
    let scale = if rev == 1 { SCALE_V1 } else { SCALE };
    [
        ("day", scale * 86_400),
        ("hour", scale * 3600),
        ("min", scale * 60),
        ("sec", scale),
    ]
}

/// The byte units, largest first.
const UNITS: [(&str, u64); 3] = [("m", 1024 * 1024), ("k", 1024), ("", 1)];

impl MatchExt for Hashlimit {
    const NAME: &'static str = "hashlimit";
    const OPTIONS: &'static [OptSpec] = &[
        OptSpec::value("hashlimit-upto").alias("hashlimit").excl(2),
        OptSpec::value("hashlimit-above").excl(1),
        OptSpec::value("hashlimit-srcmask").no_inv(),
        OptSpec::value("hashlimit-dstmask").no_inv(),
        OptSpec::value("hashlimit-burst").no_inv(),
        OptSpec::value("hashlimit-htable-size")
            .no_inv()
            .kind(ValueKind::U32),
        OptSpec::value("hashlimit-htable-max")
            .no_inv()
            .kind(ValueKind::U32),
        OptSpec::value("hashlimit-htable-gcinterval")
            .no_inv()
            .kind(ValueKind::U32),
        OptSpec::value("hashlimit-htable-expire")
            .no_inv()
            .kind(ValueKind::U32),
        OptSpec::value("hashlimit-mode").no_inv(),
        OptSpec::value("hashlimit-name").no_inv().mandatory(),
        OptSpec::flag("hashlimit-rate-match").no_inv(),
        OptSpec::value("hashlimit-rate-interval").no_inv(),
    ];

    fn build(hits: &[OptHit], cx: &ParseCx) -> Result<Self, Error> {
        // revision 2 before 4.11 (no rate match), 1 before 4.7 (32-bit
        // rate and burst, rates at 1/10^4 s, a 15-byte name)
        let (rev, _) = super::probe::choose(cx.family, Self::NAME, false, &[3, 2, 1]);
        let dmask = if cx.family == Family::V4 { 32 } else { 128 };
        let mut c = Cfg {
            rev,
            name: Vec::new(),
            avg: 0,
            burst: 5,
            mode: 0,
            size: 0,
            max: 0,
            gc_interval: GCINTERVAL,
            expire: 0,
            interval: 0,
            srcmask: dmask,
            dstmask: dmask,
        };
        let mut mult = 1u32;
        let bad = |opt: &str, v: &str| {
            param(format!(
                "hashlimit: Bad value for \"{opt}\" option: \"{v}\""
            ))
        };
        let burst_max = if rev == 1 { BURST_MAX_V1 } else { BURST_MAX };
        let burst_error = || {
            param(format!(
                "bad value for option \"--hashlimit-burst\", or out of range (1-{burst_max})."
            ))
        };
        let u32_of = |a: &str| super::value::parse_u32(a).unwrap_or(0);
        for h in hits {
            let a = h.arg();
            if rev < 3 && h.idx >= 11 {
                // revisions 1 and 2 have no rate match
                return Err(param(format!(
                    "unknown option \"--{}\"",
                    Self::OPTIONS[h.idx].name
                )));
            }
            match h.idx {
                0 | 1 => {
                    if (h.idx == 0) == h.inv {
                        c.mode |= INVERT;
                    }
                    if let Some(cost) = parse_bytes(a, rev)? {
                        c.avg = cost;
                        c.mode |= BYTES;
                        mult = BYTE_EXPIRE;
                    } else if let Some((avg, m)) = parse_rate(a, rev)? {
                        c.avg = avg;
                        mult = m;
                    } else {
                        let opt = if h.idx == 0 {
                            "--hashlimit-upto"
                        } else {
                            "--hashlimit-above"
                        };
                        return Err(bad(opt, a));
                    }
                }
                2 => c.srcmask = parse_plen(a, cx.family, "hashlimit-srcmask")?,
                3 => c.dstmask = parse_plen(a, cx.family, "hashlimit-dstmask")?,
                4 => {
                    let max = if rev == 1 {
                        u64::from(u32::MAX)
                    } else {
                        u64::MAX
                    };
                    let (v, end) = xt_strtoul(a, 1)
                        .filter(|(v, _)| *v <= max)
                        .ok_or_else(burst_error)?;
                    if end == a.len() && v > burst_max {
                        return Err(burst_error());
                    }
                    c.burst = v.wrapping_mul(factor(a.as_bytes().get(end).copied()));
                    if rev == 1 && c.burst > max {
                        return Err(param(format!(
                            "bad value for option \"--hashlimit-burst\", value \"{a}\" too large (max {}mb).",
                            max / 1024 / 1024
                        )));
                    }
                }
                5 => c.size = u32_of(a),
                6 => c.max = u32_of(a),
                7 => c.gc_interval = u32_of(a),
                8 => c.expire = u32_of(a),
                9 => c.mode |= parse_mode(a).ok_or_else(|| bad("--hashlimit-mode", a))?,
                10 => {
                    if a.is_empty() {
                        return Err(param(
                            "Argument must have a minimum length of 1 characters\n",
                        ));
                    }
                    // XTOPT_PUT: cut to the name array (16 bytes in
                    // revision 1, 255 since)
                    let b = crate::model::bytes::to_bytes(a);
                    let cut = if rev == 1 { 15 } else { 254 };
                    c.name = b[..b.len().min(cut)].to_vec();
                }
                11 => c.mode |= RATE_MATCH,
                _ => {
                    let r = atoi(a);
                    if r <= 0 {
                        return Err(bad("--hashlimit-rate-interval", a));
                    }
                    c.interval = r as u32;
                }
            }
        }
        let given = |i: usize| hits.iter().any(|h| h.idx == i);
        if !given(0) && !given(1) {
            return Err(param("You have to specify --hashlimit"));
        }
        if !given(8) {
            c.expire = mult * 1000;
        }
        if c.mode & BYTES != 0 {
            let mut burst = 0u32;
            if given(4) {
                let unit = cost_to_bytes(c.avg);
                if c.burst < unit {
                    return Err(param(format!("burst cannot be smaller than {unit}b")));
                }
                if unit == 0 {
                    // C divides by zero here
                    return Err(burst_error());
                }
                burst = c.burst as u32;
                burst /= unit as u32;
                if c.burst % unit != 0 {
                    burst = burst.wrapping_add(1);
                }
                if !given(8) {
                    c.expire = BYTE_EXPIRE_BURST * 1000;
                }
            }
            c.burst = u64::from(burst);
        } else if c.burst > burst_max {
            return Err(burst_error());
        }
        if given(11) {
            if c.mode & BYTES == 0 {
                c.avg /= u64::from(mult);
            }
            if c.interval == 0 {
                c.interval = if c.mode & BYTES != 0 { 1 } else { mult };
            }
        }
        Ok(Hashlimit(Box::new(c)))
    }

    fn save(&self, cx: &FmtCx, out: &mut String) {
        self.text(cx.family, true, out)
    }

    fn print(&self, cx: &FmtCx, out: &mut String) {
        self.text(cx.family, false, out)
    }

    fn encode(&self, _cx: &EncodeCx, out: &mut Vec<Expr>) {
        let c = &self.0;
        let info = match c.rev {
            1 => {
                let mut name = [0u8; 16];
                let n = c.name.len().min(15);
                name[..n].copy_from_slice(&c.name[..n]);
                Info1 {
                    name,
                    mode: c.mode,
                    avg: c.avg as u32,
                    burst: c.burst as u32,
                    size: c.size,
                    max: c.max,
                    gc_interval: c.gc_interval,
                    expire: c.expire,
                    srcmask: c.srcmask,
                    dstmask: c.dstmask,
                    hinfo: 0,
                }
                .to_blob()
            }
            2 => Info2 {
                name: name255(&c.name),
                avg: c.avg,
                burst: c.burst,
                mode: c.mode,
                size: c.size,
                max: c.max,
                gc_interval: c.gc_interval,
                expire: c.expire,
                srcmask: c.srcmask,
                dstmask: c.dstmask,
                hinfo: 0,
            }
            .to_blob(),
            _ => Info3 {
                name: name255(&c.name),
                avg: c.avg,
                burst: c.burst,
                mode: c.mode,
                size: c.size,
                max: c.max,
                gc_interval: c.gc_interval,
                expire: c.expire,
                interval: c.interval,
                srcmask: c.srcmask,
                dstmask: c.dstmask,
                hinfo: 0,
            }
            .to_blob(),
        };
        out.push(Expr::Match {
            name: Self::NAME.into(),
            rev: c.rev,
            info,
        });
    }

    fn decode_blob(rev: u32, info: &[u8], _family: Family) -> Result<Self, DecodeError> {
        let bad = || DecodeError(format!("hashlimit revision {rev} of {} bytes", info.len()));
        let name = |b: &[u8]| {
            b.iter()
                .take_while(|c| **c != 0)
                .copied()
                .collect::<Vec<u8>>()
        };
        let c = match rev {
            1 => Info1::from_blob(info).map(|i| Cfg {
                rev,
                name: name(&i.name),
                avg: u64::from(i.avg),
                burst: u64::from(i.burst),
                mode: i.mode,
                size: i.size,
                max: i.max,
                gc_interval: i.gc_interval,
                expire: i.expire,
                interval: 0,
                srcmask: i.srcmask,
                dstmask: i.dstmask,
            }),
            2 => Info2::from_blob(info).map(|i| Cfg {
                rev,
                name: name(&i.name),
                avg: i.avg,
                burst: i.burst,
                mode: i.mode,
                size: i.size,
                max: i.max,
                gc_interval: i.gc_interval,
                expire: i.expire,
                interval: 0,
                srcmask: i.srcmask,
                dstmask: i.dstmask,
            }),
            3 => Info3::from_blob(info).map(|i| Cfg {
                rev,
                name: name(&i.name),
                avg: i.avg,
                burst: i.burst,
                mode: i.mode,
                size: i.size,
                max: i.max,
                gc_interval: i.gc_interval,
                expire: i.expire,
                interval: i.interval,
                srcmask: i.srcmask,
                dstmask: i.dstmask,
            }),
            _ => None,
        };
        c.map(|c| Hashlimit(Box::new(c))).ok_or_else(bad)
    }
}

/// A name in a `char[255]`.
fn name255(n: &[u8]) -> [u8; 255] {
    let mut a = [0u8; 255];
    let k = n.len().min(254);
    a[..k].copy_from_slice(&n[..k]);
    a
}

impl Hashlimit {
    /// `hashlimit_mt_save` (`save`) or `hashlimit_mt_print`.
    fn text(&self, family: Family, save: bool, out: &mut String) {
        use std::fmt::Write;
        let c = &self.0;
        let dmask = if family == Family::V4 { 32 } else { 128 };
        let (pre, sep) = if save {
            (" --hashlimit-", ',')
        } else {
            (" ", '-')
        };
        out.push_str(match (save, c.mode & INVERT != 0) {
            (true, true) => " --hashlimit-above",
            (true, false) => " --hashlimit-upto",
            (false, true) => " limit: above",
            (false, false) => " limit: up to",
        });
        let quantum = if c.mode & BYTES != 0 {
            let r = cost_to_bytes(c.avg);
            let (name, thresh) = UNITS
                .iter()
                .copied()
                .find(|(_, t)| r >= *t && bytes_to_cost(r & !(t - 1)) == Some(c.avg))
                .unwrap_or(UNITS[2]);
            let _ = write!(out, " {}{name}b/s", r / thresh);
            if c.burst == 0 {
                BYTE_EXPIRE * 1000
            } else {
                let r = r.wrapping_mul(c.burst);
                let (name, thresh) = UNITS
                    .iter()
                    .copied()
                    .find(|(_, t)| r >= *t)
                    .unwrap_or(UNITS[2]);
                let _ = write!(out, "{pre}burst {}{name}b", r / thresh);
                BYTE_EXPIRE_BURST * 1000
            }
        } else {
            let period = if !save && c.rev == 3 && c.interval != 0 {
                c.avg.wrapping_mul(u64::from(c.interval))
            } else {
                c.avg
            };
            let q = print_rate(period, c.rev, out);
            let _ = write!(out, "{pre}burst {}", c.burst);
            q
        };
        if c.mode & (SIP | SPT | DIP | DPT) != 0 {
            let names: Vec<&str> = [
                (SIP, "srcip"),
                (SPT, "srcport"),
                (DIP, "dstip"),
                (DPT, "dstport"),
            ]
            .iter()
            .filter(|(b, _)| c.mode & b != 0)
            .map(|(_, n)| *n)
            .collect();
            let _ = write!(out, "{pre}mode {}", names.join(&sep.to_string()));
        }
        if save {
            let _ = write!(
                out,
                " --hashlimit-name {}",
                crate::model::bytes::from_bytes(&c.name)
            );
        }
        let ht = if save {
            " --hashlimit-htable-"
        } else {
            " htable-"
        };
        if c.size != 0 {
            let _ = write!(out, "{ht}size {}", c.size);
        }
        if c.max != 0 {
            let _ = write!(out, "{ht}max {}", c.max);
        }
        if c.gc_interval != GCINTERVAL {
            let _ = write!(out, "{ht}gcinterval {}", c.gc_interval);
        }
        if c.expire != quantum {
            let _ = write!(out, "{ht}expire {}", c.expire);
        }
        if c.srcmask != dmask {
            let _ = write!(out, "{pre}srcmask {}", c.srcmask);
        }
        if c.dstmask != dmask {
            let _ = write!(out, "{pre}dstmask {}", c.dstmask);
        }
        if c.rev == 3 && c.mode & RATE_MATCH != 0 {
            let _ = write!(out, "{pre}rate-match");
            if c.interval != 1 {
                let _ = write!(out, "{pre}rate-interval {}", c.interval);
            }
        }
    }
}

/// `print_rate`: ` N/unit` for a period; the unit in ms (the default
/// expiry).
fn print_rate(period: u64, rev: u32, out: &mut String) -> u32 {
    if period == 0 {
        out.push_str(" inf");
        return 0;
    }
    let rates = rates(rev);
    let mut i = 1;
    while i < rates.len() {
        let m = rates[i].1;
        if period > m || m / period < m % period {
            break;
        }
        i += 1;
    }
    let (name, m) = rates[i - 1];
    out.push_str(&format!(" {}/{name}", m / period));
    let scale = if rev == 1 { SCALE_V1 } else { SCALE };
    (m / scale * 1000) as u32
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ext::kit::{build_match, texts, xt_round_trip};

    fn hits<'a>(v: &[(usize, &'a str)]) -> Vec<(usize, bool, &'a str)> {
        v.iter().map(|(i, a)| (*i, false, *a)).collect()
    }

    /// Text as iptables 1.8.13 prints it (captured with `-S` and `-L -n`).
    #[test]
    fn like_1_8_13() {
        let cx = FmtCx {
            family: Family::V4,
            numeric: true,
            proto: None,
        };
        for (v, saved, listed) in [
            (
                &[(1, "1/sec"), (4, "5"), (10, "mini1")][..],
                " --hashlimit-above 1/sec --hashlimit-burst 5 --hashlimit-name mini1",
                " limit: above 1/sec burst 5",
            ),
            (
                &[(0, "4kb/s"), (4, "400kb"), (10, "mini5")][..],
                " --hashlimit-upto 4kb/s --hashlimit-burst 400kb --hashlimit-name mini5",
                " limit: up to 4kb/s burst 400kb",
            ),
            (
                &[(0, "1000mb/s"), (10, "a")][..],
                " --hashlimit-upto 1008mb/s --hashlimit-name a",
                " limit: up to 1008mb/s",
            ),
            (
                &[(0, "1kb/s"), (4, "1025"), (10, "a")][..],
                " --hashlimit-upto 1kb/s --hashlimit-burst 2kb --hashlimit-name a",
                " limit: up to 1kb/s burst 2kb",
            ),
            (
                &[(0, "5b/s"), (10, "a")][..],
                " --hashlimit-upto 0b/s --hashlimit-name a",
                " limit: up to 0b/s",
            ),
            (
                &[(0, "1"), (10, "a"), (9, "srcip,dstip,srcport,dstport"), (2, "255.255.0.0"), (3, "0")][..],
                " --hashlimit-upto 1/sec --hashlimit-burst 5 --hashlimit-mode srcip,srcport,dstip,dstport --hashlimit-name a --hashlimit-srcmask 16 --hashlimit-dstmask 0",
                " limit: up to 1/sec burst 5 mode srcip-srcport-dstip-dstport srcmask 16 dstmask 0",
            ),
            (
                &[(0, "1/min"), (10, "a"), (11, ""), (12, "5")][..],
                " --hashlimit-upto 1/sec --hashlimit-burst 5 --hashlimit-name a --hashlimit-htable-expire 60000 --hashlimit-rate-match --hashlimit-rate-interval 5",
                " limit: up to 12/min burst 5 rate-match rate-interval 5",
            ),
            (
                &[(0, "1/min"), (10, "a"), (12, "5")][..],
                " --hashlimit-upto 1/min --hashlimit-burst 5 --hashlimit-name a",
                " limit: up to 12/hour burst 5 htable-expire 60000",
            ),
            (
                &[(0, "7/hour"), (10, "a"), (11, "")][..],
                " --hashlimit-upto 7/sec --hashlimit-burst 5 --hashlimit-name a --hashlimit-htable-expire 3600000 --hashlimit-rate-match --hashlimit-rate-interval 3600",
                " limit: up to 168/day burst 5 htable-expire 3600000 rate-match rate-interval 3600",
            ),
            (
                &[(0, "1"), (10, "a"), (5, "100"), (6, "7"), (7, "60000"), (8, "2000"), (4, "2k")][..],
                " --hashlimit-upto 1/sec --hashlimit-burst 2048 --hashlimit-name a --hashlimit-htable-size 100 --hashlimit-htable-max 7 --hashlimit-htable-gcinterval 60000 --hashlimit-htable-expire 2000",
                " limit: up to 1/sec burst 2048 htable-size 100 htable-max 7 htable-gcinterval 60000 htable-expire 2000",
            ),
        ] {
            let h: Hashlimit = build_match(Family::V4, &hits(v)).unwrap();
            assert_eq!(texts(&h, &cx), (saved.into(), listed.into()));
            assert_eq!(xt_round_trip(&h, Family::V4), (3, 312));
        }
        let h: Hashlimit = build_match(Family::V4, &[(0, true, "5/h"), (10, false, "a")]).unwrap();
        assert_eq!(
            texts(&h, &cx).0,
            " --hashlimit-above 5/hour --hashlimit-burst 5 --hashlimit-name a"
        );
        let msg = |v: &[(usize, &str)]| {
            build_match::<Hashlimit>(Family::V4, &hits(v))
                .unwrap_err()
                .to_string()
        };
        assert_eq!(msg(&[(10, "a")]), "You have to specify --hashlimit");
        assert_eq!(
            msg(&[(0, "5/minutes")]),
            "hashlimit: Bad value for \"--hashlimit-upto\" option: \"5/minutes\""
        );
        assert_eq!(
            msg(&[(1, "0b/s")]),
            "hashlimit: Bad value for \"--hashlimit-above\" option: \"0b/s\""
        );
        assert_eq!(msg(&[(0, "2000000/s")]), "Rate too fast \"2000000/s\"");
        for b in ["1000001", "0", "-1", "2000k"] {
            assert_eq!(
                msg(&[(0, "1"), (4, b)]),
                "bad value for option \"--hashlimit-burst\", or out of range (1-1000000).",
                "{b}"
            );
        }
        assert_eq!(
            msg(&[(0, "1kb/s"), (4, "1000")]),
            "burst cannot be smaller than 1024b"
        );
        assert_eq!(
            msg(&[(0, "1"), (9, "none")]),
            "hashlimit: Bad value for \"--hashlimit-mode\" option: \"none\""
        );
        assert_eq!(
            msg(&[(0, "1"), (2, "x")]),
            "hashlimit: bad value for option \"--hashlimit-srcmask\", neither a valid network mask nor valid CIDR (0-32).\n"
        );
        assert_eq!(
            msg(&[(0, "1"), (10, "")]),
            "Argument must have a minimum length of 1 characters\n"
        );
        assert_eq!(
            msg(&[(0, "1"), (12, "0")]),
            "hashlimit: Bad value for \"--hashlimit-rate-interval\" option: \"0\""
        );
    }

    /// Older revisions read back print as 1.8.13 prints them.
    #[test]
    fn older_revisions() {
        let cx = FmtCx {
            family: Family::V6,
            numeric: true,
            proto: None,
        };
        let mut name = [0u8; 16];
        name[..2].copy_from_slice(b"v1");
        let b = Info1 {
            name,
            mode: SIP,
            avg: 10_000 / 3,
            burst: 5,
            size: 0,
            max: 0,
            gc_interval: 1000,
            expire: 1000,
            srcmask: 64,
            dstmask: 128,
            hinfo: 0,
        }
        .to_blob();
        let h = Hashlimit::decode_blob(1, &b, Family::V6).unwrap();
        assert_eq!(
            texts(&h, &cx).0,
            " --hashlimit-upto 3/sec --hashlimit-burst 5 --hashlimit-mode srcip --hashlimit-name v1 --hashlimit-srcmask 64"
        );
        assert_eq!(xt_round_trip(&h, Family::V6), (1, 56));
        let mut c = (*h.0).clone();
        c.rev = 2;
        c.avg = 1_000_000 / 3;
        let h2 = Hashlimit(Box::new(c));
        assert_eq!(xt_round_trip(&h2, Family::V6), (2, 304));
        assert_eq!(texts(&h2, &cx).0, texts(&h, &cx).0);
    }
}

#[cfg(test)]
mod revision_tests {
    use super::*;
    use crate::ext::kit::{build_match, capped, match_save, xt_match};
    use crate::ext::probe::with_probe;

    fn u32_at(b: &[u8], at: usize) -> u32 {
        u32::from_ne_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
    }

    /// A kernel without revision 3 gets `struct xt_hashlimit_mtinfo2`
    /// (no interval), one without 2 `struct xt_hashlimit_mtinfo1 { char
    /// name[16]; struct hashlimit_cfg1 { u32 mode, avg, burst, size, max,
    /// gc_interval, expire; u8 srcmask, dstmask; }; (pointer) }` with rates
    /// at 1/10^4 s.
    #[test]
    fn older_revisions_chosen_by_the_kernel() {
        let opts = [
            (0, false, "10/sec"),
            (10, false, "a-name-longer-than-fifteen"),
            (9, false, "srcip"),
            (4, false, "20"),
        ];
        let m: Hashlimit = with_probe(capped(&[("hashlimit", false, Some(2))]), || {
            build_match(Family::V4, &opts)
        })
        .unwrap();
        let (_, rev, b) = xt_match(&m, Family::V4);
        assert_eq!((rev, b.len()), (2, 304));
        assert_eq!(&b[..27], b"a-name-longer-than-fifteen\0");
        // avg, burst (u64 at 256, 264), mode at 272
        assert_eq!(&b[256..264], &100_000u64.to_ne_bytes());
        assert_eq!(&b[264..272], &20u64.to_ne_bytes());
        assert_eq!(u32_at(&b, 272), SIP);
        assert_eq!(u32_at(&b, 288), 1000, "expire");
        assert_eq!((b[292], b[293]), (32, 32), "srcmask, dstmask");
        let back = Hashlimit::decode_blob(2, &b, Family::V4).unwrap();
        assert_eq!(back, m);
        let saved =
            " --hashlimit-upto 10/sec --hashlimit-burst 20 --hashlimit-mode srcip --hashlimit-name";
        assert_eq!(
            match_save(&back, Family::V4),
            format!("{saved} a-name-longer-than-fifteen")
        );

        let kernel = || capped(&[("hashlimit", false, Some(1))]);
        let m: Hashlimit = with_probe(kernel(), || build_match(Family::V6, &opts)).unwrap();
        let (_, rev, b) = xt_match(&m, Family::V6);
        assert_eq!((rev, b.len()), (1, 56));
        assert_eq!(&b[..16], b"a-name-longer-t\0");
        assert_eq!(
            [16, 20, 24, 40].map(|at| u32_at(&b, at)),
            [SIP, 1000, 20, 1000],
            "mode, avg, burst, expire"
        );
        assert_eq!((b[44], b[45]), (128, 128));
        let back = Hashlimit::decode_blob(1, &b, Family::V6).unwrap();
        assert_eq!(back, m);
        assert_eq!(
            match_save(&back, Family::V6),
            format!("{saved} a-name-longer-t")
        );

        let msg = |v: &[(usize, bool, &str)]| {
            with_probe(kernel(), || build_match::<Hashlimit>(Family::V4, v))
                .unwrap_err()
                .to_string()
        };
        let n = (10, false, "n");
        assert_eq!(
            msg(&[(0, false, "20000/sec"), n]),
            "Rate too fast \"20000/sec\""
        );
        assert_eq!(
            msg(&[(0, false, "1/sec"), (4, false, "10001"), n]),
            "bad value for option \"--hashlimit-burst\", or out of range (1-10000)."
        );
        assert_eq!(
            msg(&[(0, false, "5000mb/s"), n]),
            format!(
                "Rate value too large \"{}\" (max 4294967295)",
                5000u64 << 20
            )
        );
        assert_eq!(
            msg(&[(0, false, "1/sec"), (11, false, ""), n]),
            "unknown option \"--hashlimit-rate-match\""
        );
        let e = with_probe(capped(&[("hashlimit", false, Some(2))]), || {
            build_match::<Hashlimit>(Family::V4, &[(0, false, "1/sec"), (12, false, "5"), n])
        })
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "unknown option \"--hashlimit-rate-interval\""
        );
        let m: Hashlimit = build_match(Family::V4, &opts).unwrap();
        assert_eq!(xt_match(&m, Family::V4).1, 3);
    }
}
