//! `-m multiport [!] --sports|--dports|--ports PORT[,PORT|,A:B]...`
//! (`libxt_multiport.c`): xt match `multiport` revision 1, `struct
//! xt_multiport_v1`: up to 15 ports, a range taking two. fail2ban and ufw
//! use it for every service with several ports.

use super::{EncodeCx, FmtCx, MatchExt, OptHit, OptSpec, ParseCx};
use crate::error::{param, DecodeError, Error};
use crate::ir::Expr;
use crate::model::{netdb, Family};

/// `XT_MULTI_PORTS`
const MAX: usize = 15;

crate::xt_struct! {
    /// `struct xt_multiport_v1`
    pub struct MultiportV1 {
        pub flags: u8, pub count: u8, pub ports: [u8; 30], pub pflags: [u8; MAX], pub invert: u8,
    }
}
const _: () = assert!(MultiportV1::SIZE == 48);

/// The protocols multiport works with, and their names for services.
const PROTOS: &[(u8, &str)] = &[
    (6, "tcp"),
    (17, "udp"),
    (136, "udplite"),
    (132, "sctp"),
    (33, "dccp"),
];

/// The multiport match.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Multiport {
    /// 0 source, 1 destination, 2 either (`XT_MULTIPORT_*`)
    pub flags: u8,
    /// ports and ranges, in the order given
    pub ports: Vec<(u16, u16)>,
    /// `!`
    pub invert: bool,
}

fn proto_name(p: Option<u8>) -> &'static str {
    PROTOS
        .iter()
        .find(|(n, _)| Some(*n) == p)
        .map_or("", |(_, s)| s)
}

fn parse_port(s: &str, proto: &str) -> Result<u16, Error> {
    let bad = || param(format!("invalid port/service `{s}' specified"));
    if let Some(n) = crate::ext::value::xt_strtoui(s, 0, u64::from(u16::MAX)) {
        return Ok(n as u16);
    }
    netdb::service_port(s, proto).ok_or_else(bad)
}

const NAMES: [&str; 3] = ["sports", "dports", "ports"];

impl MatchExt for Multiport {
    const NAME: &'static str = "multiport";
    const OPTIONS: &'static [OptSpec] = &[
        OptSpec::value("source-ports").alias("sports").excl(0b110),
        OptSpec::value("destination-ports")
            .alias("dports")
            .excl(0b101),
        OptSpec::value("ports").excl(0b011),
    ];

    fn build(hits: &[OptHit], cx: &ParseCx) -> Result<Self, Error> {
        // (the protocol is asked for as a port option is read: with none,
        // the final check's complaint comes first)
        let Some(h) = hits.first() else {
            return Err(param("no ports specified"));
        };
        let Some(p) = cx.proto else {
            return Err(param(
                "multiport needs `-p tcp', `-p udp', `-p udplite', `-p sctp' or `-p dccp'",
            ));
        };
        let proto = match PROTOS.iter().find(|(n, _)| *n == p.val) {
            Some((_, name)) if !p.inv => *name,
            _ => {
                return Err(param(
                    "multiport only works with TCP, UDP, UDPLITE, SCTP and DCCP",
                ))
            }
        };
        let mut ports = Vec::new();
        let mut slots = 0;
        for item in h.arg().split(',') {
            let r = match item.split_once(':') {
                Some((a, b)) => {
                    let (lo, hi) = (parse_port(a, proto)?, parse_port(b, proto)?);
                    if lo > hi {
                        return Err(param("invalid portrange specified"));
                    }
                    slots += 2;
                    (lo, hi)
                }
                None => {
                    let v = parse_port(item, proto)?;
                    slots += 1;
                    (v, v)
                }
            };
            if slots > MAX {
                return Err(param("too many ports specified"));
            }
            ports.push(r);
        }
        Ok(Multiport {
            flags: h.idx as u8,
            ports,
            invert: h.inv,
        })
    }

    fn save(&self, _cx: &FmtCx, out: &mut String) {
        out.push_str(if self.invert { " ! --" } else { " --" });
        out.push_str(NAMES[usize::from(self.flags.min(2))]);
        out.push(' ');
        self.port_list(None, out);
    }

    fn print(&self, cx: &FmtCx, out: &mut String) {
        out.push_str(" multiport ");
        out.push_str(NAMES[usize::from(self.flags.min(2))]);
        out.push(' ');
        if self.invert {
            out.push_str(" !");
        }
        let proto = (!cx.numeric).then(|| proto_name(cx.proto));
        self.port_list(proto, out);
    }

    fn encode(&self, _cx: &EncodeCx, out: &mut Vec<Expr>) {
        let mut i = MultiportV1 {
            flags: self.flags,
            count: 0,
            ports: [0; 30],
            pflags: [0; MAX],
            invert: u8::from(self.invert),
        };
        let mut n = 0;
        let mut put = |v: u16, n: &mut usize| {
            if *n < MAX {
                i.ports[2 * *n..2 * *n + 2].copy_from_slice(&v.to_ne_bytes());
            }
            *n += 1;
        };
        for (lo, hi) in &self.ports {
            if lo != hi {
                if n < MAX {
                    i.pflags[n] = 1;
                }
                put(*lo, &mut n);
                put(*hi, &mut n);
            } else {
                put(*lo, &mut n);
            }
        }
        i.count = n.min(MAX) as u8;
        out.push(Expr::Match {
            name: Self::NAME.into(),
            rev: 1,
            info: i.to_blob(),
        });
    }

    fn decode_blob(rev: u32, info: &[u8], _family: Family) -> Result<Self, DecodeError> {
        let bad = || DecodeError(format!("multiport revision {rev} of {} bytes", info.len()));
        let i = MultiportV1::from_blob(info)
            .filter(|_| rev == 1)
            .ok_or_else(bad)?;
        let count = usize::from(i.count);
        if count > MAX || i.flags > 2 || i.invert > 1 {
            return Err(bad());
        }
        let port = |k: usize| u16::from_ne_bytes([i.ports[2 * k], i.ports[2 * k + 1]]);
        let mut ports = Vec::new();
        let mut k = 0;
        while k < count {
            if i.pflags[k] != 0 {
                if k + 1 >= count {
                    return Err(bad());
                }
                ports.push((port(k), port(k + 1)));
                k += 2;
            } else {
                ports.push((port(k), port(k)));
                k += 1;
            }
        }
        Ok(Multiport {
            flags: i.flags,
            ports,
            invert: i.invert != 0,
        })
    }
}

impl Multiport {
    /// `80,1000:2000`, with service names for `proto` when given.
    fn port_list(&self, proto: Option<&str>, out: &mut String) {
        let one = |p: u16| -> String {
            proto
                .filter(|s| !s.is_empty())
                .and_then(|s| netdb::service_name(p, s))
                .unwrap_or_else(|| p.to_string())
        };
        let items: Vec<String> = self
            .ports
            .iter()
            .map(|(lo, hi)| {
                if lo == hi {
                    one(*lo)
                } else {
                    format!("{}:{}", one(*lo), one(*hi))
                }
            })
            .collect();
        out.push_str(&items.join(","));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Inv, Table};

    fn build(
        proto: Option<(u8, bool)>,
        idx: usize,
        inv: bool,
        arg: &str,
    ) -> Result<Multiport, Error> {
        let p = proto.map(|(v, i)| Inv::new(i, v));
        let cx = ParseCx {
            family: Family::V4,
            proto: p.as_ref(),
            table: Table::Filter,
            chain: "INPUT",
            rule: true,
        };
        let hits = [OptHit::new(idx, inv, &[arg])];
        Multiport::build(&hits, &cx)
    }

    /// Text as iptables 1.8.13 prints it (captured).
    #[test]
    fn text_and_blob() {
        let cx = FmtCx {
            family: Family::V4,
            numeric: true,
            proto: Some(17),
        };
        for (p, idx, inv, arg, saved, listed) in [
            (
                6,
                1,
                false,
                "80,443",
                " --dports 80,443",
                " multiport dports 80,443",
            ),
            (
                17,
                0,
                true,
                "53,1000:2000",
                " ! --sports 53,1000:2000",
                " multiport sports  !53,1000:2000",
            ),
            (
                6,
                2,
                false,
                "http,https,22",
                " --ports 80,443,22",
                " multiport ports 80,443,22",
            ),
            (
                6,
                1,
                false,
                "1:2,3:4,5:6,7:8,9:10,11:12,13:14,15",
                " --dports 1:2,3:4,5:6,7:8,9:10,11:12,13:14,15",
                " multiport dports 1:2,3:4,5:6,7:8,9:10,11:12,13:14,15",
            ),
        ] {
            let m = build(Some((p, false)), idx, inv, arg).unwrap();
            assert_eq!(
                crate::ext::kit::texts(&m, &cx),
                (saved.to_string(), listed.to_string())
            );
            assert_eq!(crate::ext::kit::xt_round_trip(&m, Family::V4), (1, 48));
        }
    }

    #[test]
    fn errors_like_1_8_13() {
        let msg = |p, a: &str| build(p, 1, false, a).unwrap_err().to_string();
        assert_eq!(
            msg(None, "80"),
            "multiport needs `-p tcp', `-p udp', `-p udplite', `-p sctp' or `-p dccp'"
        );
        assert_eq!(
            msg(Some((1, false)), "80"),
            "multiport only works with TCP, UDP, UDPLITE, SCTP and DCCP"
        );
        assert_eq!(
            msg(Some((6, true)), "80"),
            "multiport only works with TCP, UDP, UDPLITE, SCTP and DCCP"
        );
        assert_eq!(
            msg(Some((6, false)), "1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16"),
            "too many ports specified"
        );
        assert_eq!(
            msg(Some((6, false)), "bogus"),
            "invalid port/service `bogus' specified"
        );
        assert_eq!(
            msg(Some((6, false)), "80,"),
            "invalid port/service `' specified"
        );
        assert_eq!(
            msg(Some((6, false)), ":80"),
            "invalid port/service `' specified"
        );
        assert_eq!(msg(Some((6, false)), "5:3"), "invalid portrange specified");
        assert_eq!(
            msg(Some((6, false)), "1024:65536"),
            "invalid port/service `65536' specified"
        );
    }
}
