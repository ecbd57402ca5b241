//! `-m conntrack ...` and `-m state --state ...` (`libxt_conntrack.c`): xt
//! match `conntrack` revision 3 (`struct xt_conntrack_mtinfo3`) for both;
//! `-m state` is the same struct with `XT_CONNTRACK_STATE_ALIAS` set, and
//! is saved and listed as `state`. Every conntrack-based firewall (Docker,
//! ufw, kube-proxy) matches `--ctstate RELATED,ESTABLISHED`.

use super::nat::{mask_len, parse_host, prefix_mask};
use super::value::inet_aton;
use super::value::{strtoumax, ValueKind};
use super::{EncodeCx, FmtCx, MatchExt, OptHit, OptSpec, ParseCx};
use crate::error::{param, DecodeError, Error};
use crate::ir::Expr;
use crate::model::addr::{ip_from_bytes, ntop};
use crate::model::{netdb, Family};
use std::fmt::Write;
use std::net::{IpAddr, Ipv6Addr};

crate::xt_struct! {
    /// `struct xt_conntrack_mtinfo3`
    pub struct CtInfo3 {
        pub origsrc_addr: [u8; 16], pub origsrc_mask: [u8; 16],
        pub origdst_addr: [u8; 16], pub origdst_mask: [u8; 16],
        pub replsrc_addr: [u8; 16], pub replsrc_mask: [u8; 16],
        pub repldst_addr: [u8; 16], pub repldst_mask: [u8; 16],
        pub expires_min: u32, pub expires_max: u32,
        pub l4proto: u16,
        pub origsrc_port: u16, pub origdst_port: u16,
        pub replsrc_port: u16, pub repldst_port: u16,
        pub match_flags: u16, pub invert_flags: u16,
        pub state_mask: u16, pub status_mask: u16,
        pub origsrc_port_high: u16, pub origdst_port_high: u16,
        pub replsrc_port_high: u16, pub repldst_port_high: u16,
    }
}
const _: () = assert!(CtInfo3::SIZE == 164);

crate::xt_struct! {
    /// `struct xt_conntrack_mtinfo2` (revision 2: one port each, no
    /// `_high`). The ports are `__be16` in the header, but iptables writes
    /// them in host order (and prints them through `ntohs`), as here.
    pub struct CtInfo2 {
        pub origsrc_addr: [u8; 16], pub origsrc_mask: [u8; 16],
        pub origdst_addr: [u8; 16], pub origdst_mask: [u8; 16],
        pub replsrc_addr: [u8; 16], pub replsrc_mask: [u8; 16],
        pub repldst_addr: [u8; 16], pub repldst_mask: [u8; 16],
        pub expires_min: u32, pub expires_max: u32,
        pub l4proto: u16,
        pub origsrc_port: u16, pub origdst_port: u16,
        pub replsrc_port: u16, pub repldst_port: u16,
        pub match_flags: u16, pub invert_flags: u16,
        pub state_mask: u16, pub status_mask: u16,
    }
}
const _: () = assert!(CtInfo2::SIZE == 156);

crate::xt_struct! {
    /// `struct xt_conntrack_mtinfo1` (revision 1: as revision 2 with
    /// `u8` state and status masks)
    pub struct CtInfo1 {
        pub origsrc_addr: [u8; 16], pub origsrc_mask: [u8; 16],
        pub origdst_addr: [u8; 16], pub origdst_mask: [u8; 16],
        pub replsrc_addr: [u8; 16], pub replsrc_mask: [u8; 16],
        pub repldst_addr: [u8; 16], pub repldst_mask: [u8; 16],
        pub expires_min: u32, pub expires_max: u32,
        pub l4proto: u16,
        pub origsrc_port: u16, pub origdst_port: u16,
        pub replsrc_port: u16, pub repldst_port: u16,
        pub match_flags: u16, pub invert_flags: u16,
        pub state_mask: u8, pub status_mask: u8,
    }
}
const _: () = assert!(CtInfo1::SIZE == 152);

crate::xt_struct! {
    /// `struct xt_state_info` (the `state` match, revision 0)
    pub struct StateInfo { pub statemask: u32 }
}

const STATE: u16 = 1 << 0;
const PROTO: u16 = 1 << 1;
const ORIGSRC: u16 = 1 << 2;
const ORIGDST: u16 = 1 << 3;
const REPLSRC: u16 = 1 << 4;
const REPLDST: u16 = 1 << 5;
const STATUS: u16 = 1 << 6;
const EXPIRES: u16 = 1 << 7;
const ORIGSRC_PORT: u16 = 1 << 8;
const ORIGDST_PORT: u16 = 1 << 9;
const REPLSRC_PORT: u16 = 1 << 10;
const REPLDST_PORT: u16 = 1 << 11;
const DIRECTION: u16 = 1 << 12;
const STATE_ALIAS: u16 = 1 << 13;

/// ctstate names in print order, with their `state_mask` bits
/// (`XT_CONNTRACK_STATE_*`: INVALID 1 << 0, `1 << (ctinfo + 1)` for
/// ESTABLISHED, RELATED, NEW, then SNAT, DNAT, UNTRACKED at
/// `1 << (IP_CT_NUMBER + 1..=3)` with `IP_CT_NUMBER` 5).
const STATES: &[(&str, u16)] = &[
    ("INVALID", 1),
    ("NEW", 1 << 3),
    ("RELATED", 1 << 2),
    ("ESTABLISHED", 1 << 1),
    ("UNTRACKED", 1 << 8),
    ("SNAT", 1 << 6),
    ("DNAT", 1 << 7),
];
/// ctstatus names in print order (`IPS_*` bits).
const STATUSES: &[(&str, u16)] = &[
    ("EXPECTED", 1),
    ("SEEN_REPLY", 2),
    ("ASSURED", 4),
    ("CONFIRMED", 8),
];

/// The conntrack match (and `-m state`): revision 3's kernel struct,
/// boxed (164 bytes would make every rule's matches that big), and the
/// revision written (3, or 1 or 2 when the kernel has no newer; 0 for the
/// `state` match of a kernel without `conntrack`, its `statemask` kept
/// whole in `expires_min`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conntrack(pub Box<CtInfo3>, pub u8);

/// The revisions of `conntrack` iptables tries, highest first (IPv4's
/// revision 0 left out: every kernel with nf_tables has revision 1, and
/// 6.18 no longer has 0).
const REVS: [u32; 3] = [3, 2, 1];

impl Conntrack {
    /// Written as `-m state`?
    pub fn is_state_alias(&self) -> bool {
        self.0.match_flags & STATE_ALIAS != 0
    }
}

fn names(mask: u16, table: &[(&str, u16)], out: &mut String) {
    let n: Vec<&str> = table
        .iter()
        .filter(|(_, b)| mask & b != 0)
        .map(|(n, _)| *n)
        .collect();
    out.push_str(&n.join(","));
}

fn parse_names(s: &str, table: &[(&str, u16)], what: &str) -> Result<u16, Error> {
    let mut m = 0;
    for w in s.split(',') {
        if what == "ctstatus" && w.eq_ignore_ascii_case("NONE") {
            continue;
        }
        m |= table
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(w))
            .map(|(_, b)| *b)
            .ok_or_else(|| param(format!("Bad {what} \"{w}\"")))?;
    }
    Ok(m)
}

pub(crate) fn parse_addr(s: &str, family: Family) -> Result<([u8; 16], [u8; 16]), Error> {
    let width = family.addr_len();
    let (h, m) = match s.split_once('/') {
        Some((h, m)) => (h, Some(m)),
        None => (s, None),
    };
    let a = parse_host(h, family)?;
    // As iptables fills `union nf_inet_addr`: a mask given as a prefix
    // length is that prefix and zeros; a mask given as an address (or none)
    // starts from all ones, so IPv4's unused 12 bytes stay 0xff.
    let mut mb = [0xffu8; 16];
    let mask = match m {
        None => vec![0xff; width],
        Some(m) => match strtoumax(m) {
            Some((v, end)) if end == m.len() && v <= width as u64 * 8 => {
                mb = [0; 16];
                prefix_mask(v as u32, width)
            }
            _ => match family {
                Family::V4 => inet_aton(m).map(|x| x.octets().to_vec()),
                Family::V6 => m.parse::<Ipv6Addr>().ok().map(|x| x.octets().to_vec()),
            }
            .ok_or_else(|| param(format!("{m} is not a valid netmask")))?,
        },
    };
    let mut ab = [0u8; 16];
    match a {
        IpAddr::V4(x) => ab[..4].copy_from_slice(&x.octets()),
        IpAddr::V6(x) => ab.copy_from_slice(&x.octets()),
    }
    mb[..width].copy_from_slice(&mask);
    Ok((ab, mb))
}

fn addr_text(a: &[u8; 16], m: &[u8; 16], family: Family, named: bool, out: &mut String) {
    let w = family.addr_len();
    // `-L` without `-n` says `anywhere` for an empty mask
    // (`xtables_ipaddr_to_anyname`; host names are not looked up here).
    if named && m[..w].iter().all(|b| *b == 0) {
        out.push_str("anywhere");
        return;
    }
    let ip = |b: &[u8]| ip_from_bytes(b).map(|x| ntop(&x)).unwrap_or_default();
    out.push_str(&ip(&a[..w]));
    match mask_len(&m[..w]) {
        Some(n) if n as usize == w * 8 => {}
        Some(n) => {
            let _ = write!(out, "/{n}");
        }
        None => {
            out.push('/');
            out.push_str(&ip(&m[..w]));
        }
    }
}

fn parse_port_range(s: &str) -> Result<(u16, u16), Error> {
    let port = |p: &str, dflt: u16| -> Result<u16, Error> {
        if p.is_empty() {
            return Ok(dflt);
        }
        // getaddrinfo's service: blanks, a sign, decimal, or a name
        crate::ext::opt::getportbyname(p, true)
            .ok_or_else(|| param(format!("Port \"{p}\" does not resolve to anything.")))
    };
    let (lo, hi) = match s.split_once(':') {
        Some((a, b)) => (port(a, 0)?, port(b, u16::MAX)?),
        None => {
            let p = port(s, 0)?;
            (p, p)
        }
    };
    if lo > hi {
        return Err(param(format!("Port range {lo}-{hi} is negative.")));
    }
    Ok((lo, hi))
}

fn parse_expire(s: &str) -> Result<(u32, u32), Error> {
    let bad = |near: &str, min: u64| {
        param(format!(
            "conntrack: bad value for option \"--ctexpire\" near \"{near}\", or out of range ({min}-4294967295).\n"
        ))
    };
    let num = |p: &str, min: u64| -> Result<u32, Error> {
        match strtoumax(p) {
            Some((v, end)) if end == p.len() && !p.starts_with('-') && v >= min => {
                u32::try_from(v).map_err(|_| bad(p, min))
            }
            _ => Err(bad(p, min)),
        }
    };
    match s.split_once(':') {
        None => {
            let v = num(s, 0)?;
            Ok((v, v))
        }
        Some((a, b)) => {
            let lo = num(a, 0)?;
            Ok((lo, num(b, u64::from(lo))?))
        }
    }
}

const OPTS: [&str; 13] = [
    "ctstate",
    "ctproto",
    "ctorigsrc",
    "ctorigdst",
    "ctreplsrc",
    "ctrepldst",
    "ctstatus",
    "ctexpire",
    "ctorigsrcport",
    "ctorigdstport",
    "ctreplsrcport",
    "ctrepldstport",
    "ctdir",
];

fn blank() -> CtInfo3 {
    CtInfo3 {
        origsrc_addr: [0; 16],
        origsrc_mask: [0; 16],
        origdst_addr: [0; 16],
        origdst_mask: [0; 16],
        replsrc_addr: [0; 16],
        replsrc_mask: [0; 16],
        repldst_addr: [0; 16],
        repldst_mask: [0; 16],
        expires_min: 0,
        expires_max: 0,
        l4proto: 0,
        origsrc_port: 0,
        origdst_port: 0,
        replsrc_port: 0,
        repldst_port: 0,
        match_flags: 0,
        invert_flags: 0,
        state_mask: 0,
        status_mask: 0,
        origsrc_port_high: 0,
        origdst_port_high: 0,
        replsrc_port_high: 0,
        repldst_port_high: 0,
    }
}

impl MatchExt for Conntrack {
    const NAME: &'static str = "conntrack";
    const OPTIONS: &'static [OptSpec] = &[
        OptSpec::value(OPTS[0]),
        OptSpec::value(OPTS[1]),
        OptSpec::value(OPTS[2]),
        OptSpec::value(OPTS[3]),
        OptSpec::value(OPTS[4]),
        OptSpec::value(OPTS[5]),
        OptSpec::value(OPTS[6]),
        OptSpec::value(OPTS[7]),
        OptSpec::value(OPTS[8]).kind(ValueKind::PortRc),
        OptSpec::value(OPTS[9]).kind(ValueKind::PortRc),
        OptSpec::value(OPTS[10]).kind(ValueKind::PortRc),
        OptSpec::value(OPTS[11]).kind(ValueKind::PortRc),
        OptSpec::value(OPTS[12]).no_inv(),
    ];

    fn build(hits: &[OptHit], cx: &ParseCx) -> Result<Self, Error> {
        let (rev, _) = super::probe::choose(cx.family, Self::NAME, false, &REVS);
        let mut i = blank();
        for h in hits {
            let a = h.arg();
            let bit: u16 = match h.idx {
                0 => {
                    i.state_mask = parse_names(a, STATES, "ctstate")?;
                    STATE
                }
                1 => {
                    let p = netdb::proto_by_name(a)
                        .ok_or_else(|| param(format!("unknown protocol \"{a}\" specified")))?;
                    if p == 0 {
                        return Err(param("conntrack: rule would never match protocol"));
                    }
                    i.l4proto = u16::from(p);
                    PROTO
                }
                2..=5 => {
                    let (ad, m) = parse_addr(a, cx.family)?;
                    let (f, dst) = match h.idx {
                        2 => (ORIGSRC, (&mut i.origsrc_addr, &mut i.origsrc_mask)),
                        3 => (ORIGDST, (&mut i.origdst_addr, &mut i.origdst_mask)),
                        4 => (REPLSRC, (&mut i.replsrc_addr, &mut i.replsrc_mask)),
                        _ => (REPLDST, (&mut i.repldst_addr, &mut i.repldst_mask)),
                    };
                    *dst.0 = ad;
                    *dst.1 = m;
                    f
                }
                6 => {
                    i.status_mask = parse_names(a, STATUSES, "ctstatus")?;
                    STATUS
                }
                7 => {
                    (i.expires_min, i.expires_max) = parse_expire(a)?;
                    EXPIRES
                }
                8..=11 => {
                    let (lo, hi) = parse_port_range(a)?;
                    let (f, p) = match h.idx {
                        8 => (
                            ORIGSRC_PORT,
                            (&mut i.origsrc_port, &mut i.origsrc_port_high),
                        ),
                        9 => (
                            ORIGDST_PORT,
                            (&mut i.origdst_port, &mut i.origdst_port_high),
                        ),
                        10 => (
                            REPLSRC_PORT,
                            (&mut i.replsrc_port, &mut i.replsrc_port_high),
                        ),
                        _ => (
                            REPLDST_PORT,
                            (&mut i.repldst_port, &mut i.repldst_port_high),
                        ),
                    };
                    if rev < 3 && lo != hi {
                        return Err(param(format!(
                            "conntrack rev {rev} does not support port ranges"
                        )));
                    }
                    (*p.0, *p.1) = (lo, hi);
                    f
                }
                _ => {
                    if a.eq_ignore_ascii_case("REPLY") {
                        i.invert_flags |= DIRECTION;
                    } else if !a.eq_ignore_ascii_case("ORIGINAL") {
                        return Err(param(format!(
                            "conntrack: Bad value for \"--ctdir\" option: \"{a}\""
                        )));
                    }
                    DIRECTION
                }
            };
            i.match_flags |= bit;
            if h.inv {
                i.invert_flags |= bit;
            }
        }
        if i.match_flags == 0 {
            return Err(param("conntrack: At least one option is required"));
        }
        Ok(Conntrack(Box::new(i), rev as u8).narrowed())
    }

    fn save(&self, cx: &FmtCx, out: &mut String) {
        self.text(cx.family, true, false, out)
    }

    fn print(&self, cx: &FmtCx, out: &mut String) {
        self.text(cx.family, false, !cx.numeric, out)
    }

    fn encode(&self, _cx: &EncodeCx, out: &mut Vec<Expr>) {
        let i = &self.0;
        let (name, info) = match self.1 {
            0 => (
                "state",
                StateInfo {
                    statemask: i.expires_min,
                }
                .to_blob(),
            ),
            1 => (
                Self::NAME,
                CtInfo1 {
                    origsrc_addr: i.origsrc_addr,
                    origsrc_mask: i.origsrc_mask,
                    origdst_addr: i.origdst_addr,
                    origdst_mask: i.origdst_mask,
                    replsrc_addr: i.replsrc_addr,
                    replsrc_mask: i.replsrc_mask,
                    repldst_addr: i.repldst_addr,
                    repldst_mask: i.repldst_mask,
                    expires_min: i.expires_min,
                    expires_max: i.expires_max,
                    l4proto: i.l4proto,
                    origsrc_port: i.origsrc_port,
                    origdst_port: i.origdst_port,
                    replsrc_port: i.replsrc_port,
                    repldst_port: i.repldst_port,
                    match_flags: i.match_flags,
                    invert_flags: i.invert_flags,
                    state_mask: i.state_mask as u8,
                    status_mask: i.status_mask as u8,
                }
                .to_blob(),
            ),
            2 => (
                Self::NAME,
                CtInfo2 {
                    origsrc_addr: i.origsrc_addr,
                    origsrc_mask: i.origsrc_mask,
                    origdst_addr: i.origdst_addr,
                    origdst_mask: i.origdst_mask,
                    replsrc_addr: i.replsrc_addr,
                    replsrc_mask: i.replsrc_mask,
                    repldst_addr: i.repldst_addr,
                    repldst_mask: i.repldst_mask,
                    expires_min: i.expires_min,
                    expires_max: i.expires_max,
                    l4proto: i.l4proto,
                    origsrc_port: i.origsrc_port,
                    origdst_port: i.origdst_port,
                    replsrc_port: i.replsrc_port,
                    repldst_port: i.repldst_port,
                    match_flags: i.match_flags,
                    invert_flags: i.invert_flags,
                    state_mask: i.state_mask,
                    status_mask: i.status_mask,
                }
                .to_blob(),
            ),
            _ => (Self::NAME, (**i).to_blob()),
        };
        out.push(Expr::Match {
            name: name.into(),
            rev: u32::from(self.1),
            info,
        });
    }

    fn decode_blob(rev: u32, info: &[u8], _family: Family) -> Result<Self, DecodeError> {
        let i = match rev {
            1 => CtInfo1::from_blob(info).map(|o| CtInfo3 {
                origsrc_addr: o.origsrc_addr,
                origsrc_mask: o.origsrc_mask,
                origdst_addr: o.origdst_addr,
                origdst_mask: o.origdst_mask,
                replsrc_addr: o.replsrc_addr,
                replsrc_mask: o.replsrc_mask,
                repldst_addr: o.repldst_addr,
                repldst_mask: o.repldst_mask,
                expires_min: o.expires_min,
                expires_max: o.expires_max,
                l4proto: o.l4proto,
                origsrc_port: o.origsrc_port,
                origdst_port: o.origdst_port,
                replsrc_port: o.replsrc_port,
                repldst_port: o.repldst_port,
                match_flags: o.match_flags,
                invert_flags: o.invert_flags,
                state_mask: u16::from(o.state_mask),
                status_mask: u16::from(o.status_mask),
                origsrc_port_high: o.origsrc_port,
                origdst_port_high: o.origdst_port,
                replsrc_port_high: o.replsrc_port,
                repldst_port_high: o.repldst_port,
            }),
            2 => CtInfo2::from_blob(info).map(|o| CtInfo3 {
                origsrc_addr: o.origsrc_addr,
                origsrc_mask: o.origsrc_mask,
                origdst_addr: o.origdst_addr,
                origdst_mask: o.origdst_mask,
                replsrc_addr: o.replsrc_addr,
                replsrc_mask: o.replsrc_mask,
                repldst_addr: o.repldst_addr,
                repldst_mask: o.repldst_mask,
                expires_min: o.expires_min,
                expires_max: o.expires_max,
                l4proto: o.l4proto,
                origsrc_port: o.origsrc_port,
                origdst_port: o.origdst_port,
                replsrc_port: o.replsrc_port,
                repldst_port: o.repldst_port,
                match_flags: o.match_flags,
                invert_flags: o.invert_flags,
                state_mask: o.state_mask,
                status_mask: o.status_mask,
                origsrc_port_high: o.origsrc_port,
                origdst_port_high: o.origdst_port,
                replsrc_port_high: o.replsrc_port,
                repldst_port_high: o.repldst_port,
            }),
            3 => CtInfo3::from_blob(info),
            _ => None,
        };
        match i {
            Some(i) if (i.match_flags | i.invert_flags) >> 14 == 0 => {
                Ok(Conntrack(Box::new(i), rev as u8))
            }
            _ => Err(DecodeError(format!(
                "conntrack revision {rev} of {} bytes",
                info.len()
            ))),
        }
    }
}

impl Conntrack {
    /// The rule as its revision holds it (as iptables' older parsers leave
    /// it): revision 1 keeps 8 bits of the state and status masks, and
    /// revisions 1 and 2 one port each.
    fn narrowed(mut self) -> Self {
        let i = &mut self.0;
        if self.1 < 3 {
            i.origsrc_port_high = i.origsrc_port;
            i.origdst_port_high = i.origdst_port;
            i.replsrc_port_high = i.replsrc_port;
            i.repldst_port_high = i.repldst_port;
        }
        if self.1 == 1 {
            i.state_mask &= 0xff;
            i.status_mask &= 0xff;
        }
        self
    }

    /// Save (` --ctstate X`) or list (` ctstate X`) text, in iptables'
    /// order; `-m state` as ` --state X` / ` state X`.
    fn text(&self, family: Family, save: bool, named: bool, out: &mut String) {
        let i = &self.0;
        let item = |out: &mut String, bit: u16, name: &str| {
            out.push(' ');
            if i.invert_flags & bit != 0 && bit != DIRECTION {
                out.push_str("! ");
            }
            if save {
                out.push_str("--");
            }
            out.push_str(name);
            out.push(' ');
        };
        if self.is_state_alias() {
            item(out, STATE, "state");
            names(i.state_mask, STATES, out);
            return;
        }
        let f = i.match_flags;
        if f & STATE != 0 {
            item(out, STATE, "ctstate");
            names(i.state_mask, STATES, out);
        }
        if f & PROTO != 0 {
            item(out, PROTO, "ctproto");
            let _ = write!(out, "{}", i.l4proto);
        }
        for (bit, name, a, m) in [
            (ORIGSRC, "ctorigsrc", &i.origsrc_addr, &i.origsrc_mask),
            (ORIGDST, "ctorigdst", &i.origdst_addr, &i.origdst_mask),
            (REPLSRC, "ctreplsrc", &i.replsrc_addr, &i.replsrc_mask),
            (REPLDST, "ctrepldst", &i.repldst_addr, &i.repldst_mask),
        ] {
            if f & bit != 0 {
                item(out, bit, name);
                addr_text(a, m, family, named, out);
            }
        }
        for (bit, name, lo, hi) in [
            (
                ORIGSRC_PORT,
                "ctorigsrcport",
                i.origsrc_port,
                i.origsrc_port_high,
            ),
            (
                ORIGDST_PORT,
                "ctorigdstport",
                i.origdst_port,
                i.origdst_port_high,
            ),
            (
                REPLSRC_PORT,
                "ctreplsrcport",
                i.replsrc_port,
                i.replsrc_port_high,
            ),
            (
                REPLDST_PORT,
                "ctrepldstport",
                i.repldst_port,
                i.repldst_port_high,
            ),
        ] {
            if f & bit != 0 {
                item(out, bit, name);
                if self.1 < 3 {
                    // revisions 1 and 2 print one port, through `ntohs`
                    let _ = write!(out, "{}", u16::from_be(lo));
                } else {
                    out.push_str(&super::opt::fmt_port_range((lo, hi)));
                }
            }
        }
        if f & STATUS != 0 {
            item(out, STATUS, "ctstatus");
            if i.status_mask == 0 {
                out.push_str("NONE");
            } else {
                names(i.status_mask, STATUSES, out);
            }
        }
        if f & EXPIRES != 0 {
            item(out, EXPIRES, "ctexpire");
            if i.expires_min == i.expires_max {
                let _ = write!(out, "{}", i.expires_min);
            } else {
                let _ = write!(out, "{}:{}", i.expires_min, i.expires_max);
            }
        }
        if f & DIRECTION != 0 {
            item(out, DIRECTION, "ctdir");
            out.push_str(if i.invert_flags & DIRECTION != 0 {
                "REPLY"
            } else {
                "ORIGINAL"
            });
        }
    }
}

/// `-m state --state STATES`: conntrack with the state alias flag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct State(pub Conntrack);

/// States `-m state` takes (no SNAT/DNAT).
const STATE_NAMES: &[(&str, u16)] = &[
    ("INVALID", 1),
    ("NEW", 1 << 3),
    ("RELATED", 1 << 2),
    ("ESTABLISHED", 1 << 1),
    ("UNTRACKED", 1 << 8),
];

impl MatchExt for State {
    const NAME: &'static str = "state";
    const OPTIONS: &'static [OptSpec] = &[OptSpec::value("state").mandatory()];

    fn build(hits: &[OptHit], cx: &ParseCx) -> Result<Self, Error> {
        // `conntrack`'s revisions as iptables tries them for the alias,
        // then the `state` match itself (revision 0)
        let rev = super::probe::first(cx.family, Self::NAME, false, &REVS).unwrap_or(0);
        let mut i = blank();
        if let Some(h) = hits.first() {
            i.state_mask = parse_names(h.arg(), STATE_NAMES, "state")?;
            i.match_flags = STATE | STATE_ALIAS;
            if rev == 0 {
                // `struct xt_state_info`: the states, all others when `!`
                let m = u32::from(i.state_mask);
                i.expires_min = if h.inv { !m } else { m };
                i.state_mask = i.expires_min as u16;
            } else if h.inv {
                i.invert_flags = STATE;
            }
        }
        Ok(State(Conntrack(Box::new(i), rev as u8).narrowed()))
    }
    fn save(&self, cx: &FmtCx, out: &mut String) {
        self.0.save(cx, out)
    }
    fn print(&self, cx: &FmtCx, out: &mut String) {
        self.0.print(cx, out)
    }
    fn encode(&self, cx: &EncodeCx, out: &mut Vec<Expr>) {
        self.0.encode(cx, out)
    }
    /// (`-m state` rules arrive as `conntrack` blobs; see
    /// [`super::Match::normalize`].)
    fn decode_blob(rev: u32, info: &[u8], family: Family) -> Result<Self, DecodeError> {
        if rev != 0 {
            return Conntrack::decode_blob(rev, info, family).map(State);
        }
        let s = StateInfo::from_blob(info)
            .ok_or_else(|| DecodeError(format!("state revision 0 of {} bytes", info.len())))?;
        let mut i = blank();
        i.match_flags = STATE | STATE_ALIAS;
        i.expires_min = s.statemask;
        i.state_mask = s.statemask as u16;
        Ok(State(Conntrack(Box::new(i), 0)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn build(family: Family, v: &[(usize, bool, &str)]) -> Result<Conntrack, Error> {
        crate::ext::kit::build_match(family, v)
    }

    /// Save and list text as iptables 1.8.13 prints them (captured).
    #[test]
    fn text_like_1_8_13() {
        for (fam, v, saved, listed) in [
            (Family::V4, &[(0, false, "RELATED,ESTABLISHED")][..], " --ctstate RELATED,ESTABLISHED", " ctstate RELATED,ESTABLISHED"),
            (Family::V4, &[(0, true, "INVALID,UNTRACKED,SNAT,DNAT,NEW")][..], " ! --ctstate INVALID,NEW,UNTRACKED,SNAT,DNAT", " ! ctstate INVALID,NEW,UNTRACKED,SNAT,DNAT"),
            (Family::V4, &[(2, false, "10.1.2.3/8"), (3, true, "1.2.3.4/32")][..], " --ctorigsrc 10.1.2.3/8 ! --ctorigdst 1.2.3.4", " ctorigsrc 10.1.2.3/8 ! ctorigdst 1.2.3.4"),
            (Family::V4, &[(4, false, "10.0.0.1/255.0.0.255"), (5, false, "0.0.0.0/0")][..], " --ctreplsrc 10.0.0.1/255.0.0.255 --ctrepldst 0.0.0.0/0", " ctreplsrc 10.0.0.1/255.0.0.255 ctrepldst 0.0.0.0/0"),
            (Family::V4, &[(6, false, "NONE")][..], " --ctstatus NONE", " ctstatus NONE"),
            (Family::V4, &[(7, true, "5:10"), (12, false, "reply")][..], " ! --ctexpire 5:10 --ctdir REPLY", " ! ctexpire 5:10 ctdir REPLY"),
            (Family::V4, &[(8, true, "80"), (9, false, ":10"), (10, false, "5:"), (11, false, "7:7")][..], " ! --ctorigsrcport 80 --ctorigdstport 0:10 --ctreplsrcport 5:65535 --ctrepldstport 7", " ! ctorigsrcport 80 ctorigdstport 0:10 ctreplsrcport 5:65535 ctrepldstport 7"),
            (Family::V6, &[(2, false, "2001:db8::/32"), (0, false, "ESTABLISHED")][..], " --ctstate ESTABLISHED --ctorigsrc 2001:db8::/32", " ctstate ESTABLISHED ctorigsrc 2001:db8::/32"),
            (Family::V6, &[(5, true, "::1"), (1, false, "ipv6-icmp")][..], " --ctproto 58 ! --ctrepldst ::1", " ctproto 58 ! ctrepldst ::1"),
        ] {
            let c = build(fam, v).unwrap();
            let cx = FmtCx { family: fam, numeric: true, proto: None };
            assert_eq!(crate::ext::kit::texts(&c, &cx), (saved.to_string(), listed.to_string()));
            assert_eq!(crate::ext::kit::xt_round_trip(&c, fam), (3, 168));
        }
    }

    #[test]
    fn errors_like_1_8_13() {
        let msg = |v: &[(usize, bool, &str)]| build(Family::V4, v).unwrap_err().to_string();
        assert_eq!(msg(&[(0, false, "wrong")]), "Bad ctstate \"wrong\"");
        assert_eq!(msg(&[(0, false, "NEW,")]), "Bad ctstate \"\"");
        assert_eq!(msg(&[]), "conntrack: At least one option is required");
        assert_eq!(
            msg(&[(1, false, "0")]),
            "conntrack: rule would never match protocol"
        );
        assert_eq!(msg(&[(6, false, "bogus")]), "Bad ctstatus \"bogus\"");
        assert_eq!(msg(&[(8, false, "4:3")]), "Port range 4-3 is negative.");
        assert_eq!(
            msg(&[(7, false, "4:3")]),
            "conntrack: bad value for option \"--ctexpire\" near \"3\", or out of range (4-4294967295).\n"
        );
        assert_eq!(
            msg(&[(12, false, "bogus")]),
            "conntrack: Bad value for \"--ctdir\" option: \"bogus\""
        );
    }
}

#[cfg(test)]
mod revision_tests {
    use super::*;
    use crate::ext::kit::{build_match, capped, match_save, xt_match};
    use crate::ext::probe::with_probe;
    use crate::ext::Match;

    fn u16_at(b: &[u8], at: usize) -> u16 {
        u16::from_ne_bytes([b[at], b[at + 1]])
    }

    /// A kernel whose `conntrack` stops at revision 2 or 1 gets that
    /// revision's struct (offsets of `struct xt_conntrack_mtinfo2`/`1`),
    /// read back and saved as 1.8.13 saves it (the port through `ntohs`).
    #[test]
    fn older_revisions_chosen_by_the_kernel() {
        let opts = [
            (0, false, "NEW,UNTRACKED"),
            (9, true, "80"),
            (6, false, "ASSURED"),
        ];
        let c: Conntrack = build_match(Family::V4, &opts).unwrap();
        assert_eq!(xt_match(&c, Family::V4).1, 3);
        for (rev, len, state, status) in [(2u32, 160, 8 | 256, 4), (1, 152, 8, 4)] {
            let kernel = capped(&[("conntrack", false, Some(rev))]);
            let c: Conntrack = with_probe(kernel, || build_match(Family::V4, &opts)).unwrap();
            let (name, r, b) = xt_match(&c, Family::V4);
            assert_eq!((name.as_str(), r, b.len()), ("conntrack", rev, len));
            assert_eq!(u16_at(&b, 136), 0, "l4proto");
            assert_eq!(u16_at(&b, 140), 80, "origdst_port (host order)");
            assert_eq!(
                u16_at(&b, 146),
                STATE | STATUS | ORIGDST_PORT,
                "match_flags"
            );
            assert_eq!(u16_at(&b, 148), ORIGDST_PORT, "invert_flags");
            if rev == 2 {
                assert_eq!((u16_at(&b, 150), u16_at(&b, 152)), (state, status));
                assert!(b[154..].iter().all(|x| *x == 0));
            } else {
                // u8 masks: UNTRACKED (bit 8) does not fit, as in iptables
                assert_eq!((b[150], b[151]), (state as u8, status as u8));
            }
            let back = Conntrack::decode_blob(rev, &b, Family::V4).unwrap();
            assert_eq!(back, c);
            let states = if rev == 2 { "NEW,UNTRACKED" } else { "NEW" };
            assert_eq!(
                match_save(&back, Family::V4),
                format!(" --ctstate {states} ! --ctorigdstport 20480 --ctstatus ASSURED")
            );
        }
        for rev in [1, 2] {
            let kernel = capped(&[("conntrack", false, Some(rev))]);
            let e = with_probe(kernel, || {
                build_match::<Conntrack>(Family::V6, &[(8, false, "1:2")])
            })
            .unwrap_err();
            assert_eq!(
                e.to_string(),
                format!("conntrack rev {rev} does not support port ranges")
            );
        }
        let kernel = capped(&[("conntrack", false, Some(1))]);
        let c: Conntrack = with_probe(kernel, || {
            build_match(
                Family::V6,
                &[(8, false, "7:7"), (2, false, "2001:db8::/32")],
            )
        })
        .unwrap();
        assert_eq!(
            match_save(&c, Family::V6),
            " --ctorigsrc 2001:db8::/32 --ctorigsrcport 1792"
        );
        assert_eq!(crate::ext::kit::xt_round_trip(&c, Family::V6), (1, 152));
    }

    /// `-m state`: conntrack's revisions with the alias flag, else the
    /// `state` match (`struct xt_state_info`, the states or, with `!`, all
    /// the others; saved without `!`, as iptables does).
    #[test]
    fn state_falls_back_to_the_state_match() {
        let kernel = || capped(&[("conntrack", false, Some(1))]);
        let s: State = with_probe(kernel(), || {
            build_match(Family::V4, &[(0, true, "NEW,UNTRACKED")])
        })
        .unwrap();
        let (name, rev, b) = xt_match(&s, Family::V4);
        assert_eq!((name.as_str(), rev, b.len()), ("conntrack", 1, 152));
        assert_eq!(u16_at(&b, 146), STATE | STATE_ALIAS);
        assert_eq!((u16_at(&b, 148), b[150]), (STATE, 8));
        assert_eq!(match_save(&s, Family::V4), " ! --state NEW");
        let back = Match::Conntrack(Conntrack::decode_blob(1, &b, Family::V4).unwrap());
        assert_eq!(back.normalize(), Match::State(s));

        let kernel = || capped(&[("conntrack", false, None)]);
        for (inv, mask, saved) in [
            (false, 8 | 2, " --state NEW,ESTABLISHED"),
            (
                true,
                !(8u32 | 2),
                " --state INVALID,RELATED,UNTRACKED,SNAT,DNAT",
            ),
        ] {
            let s: State = with_probe(kernel(), || {
                build_match(Family::V6, &[(0, inv, "NEW,ESTABLISHED")])
            })
            .unwrap();
            let (name, rev, b) = xt_match(&s, Family::V6);
            assert_eq!((name.as_str(), rev), ("state", 0));
            assert_eq!(b, StateInfo { statemask: mask }.to_blob());
            assert_eq!(b.len(), 8);
            let back = State::decode_blob(0, &b, Family::V6).unwrap();
            assert_eq!(back, s);
            assert_eq!(match_save(&back, Family::V6), saved);
        }
    }
}
