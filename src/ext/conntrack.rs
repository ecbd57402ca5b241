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

/// The conntrack match (and `-m state`): the kernel struct itself, boxed
/// (164 bytes would make every rule's matches that big).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conntrack(pub Box<CtInfo3>);

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
        Ok(Conntrack(Box::new(i)))
    }

    fn save(&self, cx: &FmtCx, out: &mut String) {
        self.text(cx.family, true, false, out)
    }

    fn print(&self, cx: &FmtCx, out: &mut String) {
        self.text(cx.family, false, !cx.numeric, out)
    }

    fn encode(&self, _cx: &EncodeCx, out: &mut Vec<Expr>) {
        out.push(Expr::Match {
            name: Self::NAME.into(),
            rev: 3,
            info: (*self.0).to_blob(),
        });
    }

    fn decode_blob(rev: u32, info: &[u8], _family: Family) -> Result<Self, DecodeError> {
        match (rev, CtInfo3::from_blob(info)) {
            (3, Some(i)) if (i.match_flags | i.invert_flags) >> 14 == 0 => {
                Ok(Conntrack(Box::new(i)))
            }
            _ => Err(DecodeError(format!(
                "conntrack revision {rev} of {} bytes",
                info.len()
            ))),
        }
    }
}

impl Conntrack {
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
                out.push_str(&super::opt::fmt_port_range((lo, hi)));
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

    fn build(hits: &[OptHit], _cx: &ParseCx) -> Result<Self, Error> {
        let mut i = blank();
        if let Some(h) = hits.first() {
            i.state_mask = parse_names(h.arg(), STATE_NAMES, "state")?;
            i.match_flags = STATE | STATE_ALIAS;
            if h.inv {
                i.invert_flags = STATE;
            }
        }
        Ok(State(Conntrack(Box::new(i))))
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
        Conntrack::decode_blob(rev, info, family).map(State)
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
