//! Protocol and service names, read from `/etc/protocols` and
//! `/etc/services` as iptables reads them (through libc), with iptables'
//! own built-in names as the fallback.

use std::collections::HashMap;
use std::sync::OnceLock;

thread_local! {
    /// How many host names this thread resolved (`getaddrinfo`). A restore
    /// keeps a rule as its input line and reads it again when its op is
    /// built only if reading it asked nothing of the outside world (a name
    /// may resolve differently the second time). Per thread: lines read
    /// ahead on another thread must not count as this thread's.
    static HOST_LOOKUPS: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// Count one host name resolution (see [`host_lookups`]).
pub fn note_host_lookup() {
    HOST_LOOKUPS.with(|n| n.set(n.get() + 1));
}

/// How many host names this thread resolved so far.
pub fn host_lookups() -> usize {
    HOST_LOOKUPS.with(std::cell::Cell::get)
}

/// iptables' built-in protocol names (`xtables_chain_protos`), used when
/// `/etc/protocols` lacks a name.
const BUILTIN_PROTOS: &[(&str, u8)] = &[
    ("tcp", 6),
    ("sctp", 132),
    ("udp", 17),
    ("udplite", 136),
    ("icmp", 1),
    ("icmpv6", 58),
    ("ipv6-icmp", 58),
    ("esp", 50),
    ("ah", 51),
    ("ipv6-mh", 135),
    ("mh", 135),
    ("dccp", 33),
    ("gre", 47),
];

struct Protocols {
    by_name: HashMap<String, u8>,
    by_num: HashMap<u8, String>,
}

fn protocols() -> &'static Protocols {
    static P: OnceLock<Protocols> = OnceLock::new();
    P.get_or_init(|| {
        let mut by_name = HashMap::new();
        let mut by_num = HashMap::new();
        if let Ok(text) = std::fs::read_to_string("/etc/protocols") {
            for line in text.lines() {
                let line = line.split('#').next().unwrap_or("");
                let mut w = line.split_whitespace();
                let (Some(name), Some(num)) = (w.next(), w.next()) else {
                    continue;
                };
                let Ok(num) = num.parse::<u8>() else { continue };
                by_num.entry(num).or_insert_with(|| name.to_string());
                by_name.entry(name.to_string()).or_insert(num);
                for alias in w {
                    by_name.entry(alias.to_string()).or_insert(num);
                }
            }
        }
        Protocols { by_name, by_num }
    })
}

/// Protocol number for `-p NAME|NUMBER|all` (case-insensitive, as iptables
/// lowercases it). `all` is 0.
pub fn proto_by_name(s: &str) -> Option<u8> {
    // Restore lines name the same few protocols again and again: the last
    // few answers are kept by the word as given.
    thread_local! {
        static SEEN: std::cell::RefCell<Vec<(String, Option<u8>)>> =
            const { std::cell::RefCell::new(Vec::new()) };
    }
    if let Some(v) = SEEN.with(|c| c.borrow().iter().find(|(w, _)| w == s).map(|(_, v)| *v)) {
        return v;
    }
    let v = proto_lookup(s);
    SEEN.with(|c| {
        let mut c = c.borrow_mut();
        if c.len() >= 8 {
            c.remove(0);
        }
        c.push((s.to_string(), v));
    });
    v
}

fn proto_lookup(s: &str) -> Option<u8> {
    // lowercased only when it is not already (nearly always it is)
    let lower: std::borrow::Cow<str> = if s.bytes().any(|b| b.is_ascii_uppercase()) {
        s.to_ascii_lowercase().into()
    } else {
        s.into()
    };
    let s: &str = &lower;
    if let Ok(n) = s.parse::<u32>() {
        return u8::try_from(n).ok();
    }
    if s == "all" {
        return Some(0);
    }
    if let Some(n) = protocols().by_name.get(s) {
        return Some(*n);
    }
    BUILTIN_PROTOS
        .iter()
        .find(|(n, _)| *n == s)
        .map(|(_, p)| *p)
}

/// `xtables_parse_protocol`'s name lookup as extensions use it: a name or
/// alias of `/etc/protocols` exactly as written (`getprotobyname` is case
/// sensitive), then iptables' built-in names.
pub fn proto_by_exact_name(s: &str) -> Option<u8> {
    if let Some(n) = protocols().by_name.get(s) {
        return Some(*n);
    }
    BUILTIN_PROTOS
        .iter()
        .find(|(n, _)| *n == s)
        .map(|(_, p)| *p)
}

/// `getprotobyname`: a name or alias of `/etc/protocols` exactly as
/// written, nothing built in.
pub fn etc_proto_by_name(s: &str) -> Option<u8> {
    protocols().by_name.get(s).copied()
}

/// `getprotobynumber`: the `/etc/protocols` name of a number, nothing
/// built in.
pub fn etc_proto_name(p: u8) -> Option<String> {
    protocols().by_num.get(&p).cloned()
}

/// The names iptables 1.8.10 and later print without looking anything up
/// (`xtables_chain_protos`): in save and `-S` output and in `-L -n`. Other
/// protocols print as numbers there (1.8.9 printed `/etc/protocols` names,
/// e.g. `-p gre`; 1.8.13 prints `-p 47`).
const PRINT_PROTOS: &[(&str, u8)] = &[
    ("tcp", 6),
    ("sctp", 132),
    ("udp", 17),
    ("udplite", 136),
    ("icmp", 1),
    ("ipv6-icmp", 58),
    ("esp", 50),
    ("ah", 51),
    ("mobility-header", 135),
    ("dccp", 33),
    ("ipcomp", 108),
    ("all", 0),
];

/// The name save, `-S` and `-L -n` print for a protocol number; `None`
/// prints the number.
pub fn proto_name(p: u8) -> Option<String> {
    PRINT_PROTOS
        .iter()
        .find(|(_, n)| *n == p)
        .map(|(s, _)| s.to_string())
}

/// The name `-L` (without `-n`) prints: iptables' own names first, then
/// `/etc/protocols`.
pub fn proto_name_lookup(p: u8) -> Option<String> {
    proto_name(p).or_else(|| protocols().by_num.get(&p).cloned())
}

fn services() -> &'static HashMap<(String, String), u16> {
    static S: OnceLock<HashMap<(String, String), u16>> = OnceLock::new();
    S.get_or_init(|| {
        let mut m = HashMap::new();
        if let Ok(text) = std::fs::read_to_string("/etc/services") {
            for line in text.lines() {
                let line = line.split('#').next().unwrap_or("");
                let mut w = line.split_whitespace();
                let (Some(name), Some(pp)) = (w.next(), w.next()) else {
                    continue;
                };
                let Some((port, proto)) = pp.split_once('/') else {
                    continue;
                };
                let Ok(port) = port.parse::<u16>() else {
                    continue;
                };
                for n in std::iter::once(name).chain(w) {
                    m.entry((n.to_string(), proto.to_string())).or_insert(port);
                }
            }
        }
        m
    })
}

/// Port of a service name for a protocol (`tcp`, `udp`, ...).
pub fn service_port(name: &str, proto: &str) -> Option<u16> {
    services()
        .get(&(name.to_string(), proto.to_string()))
        .copied()
}

/// Service name of a port, for listings without `-n`.
pub fn service_name(port: u16, proto: &str) -> Option<String> {
    static R: OnceLock<HashMap<(u16, String), String>> = OnceLock::new();
    let r = R.get_or_init(|| {
        let mut m = HashMap::new();
        if let Ok(text) = std::fs::read_to_string("/etc/services") {
            for line in text.lines() {
                let line = line.split('#').next().unwrap_or("");
                let mut w = line.split_whitespace();
                let (Some(name), Some(pp)) = (w.next(), w.next()) else {
                    continue;
                };
                if let Some((port, proto)) = pp.split_once('/') {
                    if let Ok(port) = port.parse::<u16>() {
                        m.entry((port, proto.to_string()))
                            .or_insert_with(|| name.to_string());
                    }
                }
            }
        }
        m
    });
    r.get(&(port, proto.to_string())).cloned()
}
