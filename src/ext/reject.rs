//! `-j REJECT [--reject-with TYPE]` (`libipt_REJECT.c`, `libip6t_REJECT.c`):
//! xt target `REJECT` revision 0, `struct ipt_reject_info` /
//! `struct ip6t_reject_info` (one `u32`, the type). Saved always with its
//! type's full name; `tcp-reset` needs `-p tcp` (the kernel refuses it
//! otherwise, as it does for iptables).

use super::{EncodeCx, FmtCx, OptHit, OptSpec, ParseCx, TargetExtT};
use crate::error::{param, DecodeError, Error};
use crate::ir::Expr;
use crate::model::Family;

crate::xt_struct! {
    /// `struct ipt_reject_info` / `struct ip6t_reject_info`
    pub struct RejectInfo { pub with: u32 }
}
const _: () = assert!(RejectInfo::SIZE == 4);

/// (full name, alias, `enum ipt_reject_with` value)
const V4: &[(&str, &str, u32)] = &[
    ("icmp-net-unreachable", "net-unreach", 0),
    ("icmp-host-unreachable", "host-unreach", 1),
    ("icmp-proto-unreachable", "proto-unreach", 2),
    ("icmp-port-unreachable", "port-unreach", 3),
    ("icmp-net-prohibited", "net-prohib", 5),
    ("icmp-host-prohibited", "host-prohib", 6),
    ("tcp-reset", "tcp-rst", 7),
    ("icmp-admin-prohibited", "admin-prohib", 8),
];

/// (full name, alias, `enum ip6t_reject_with` value)
const V6: &[(&str, &str, u32)] = &[
    ("icmp6-no-route", "no-route", 0),
    ("icmp6-adm-prohibited", "adm-prohibited", 1),
    ("icmp6-addr-unreachable", "addr-unreach", 3),
    ("icmp6-port-unreachable", "port-unreach", 4),
    ("tcp-reset", "tcp-rst", 6),
    ("icmp6-policy-fail", "policy-fail", 7),
    ("icmp6-reject-route", "reject-route", 8),
];

fn table(family: Family) -> &'static [(&'static str, &'static str, u32)] {
    match family {
        Family::V4 => V4,
        Family::V6 => V6,
    }
}

/// The REJECT target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reject {
    /// family (the type's meaning and name depend on it)
    pub family: Family,
    /// the `*_reject_with` value
    pub with: u32,
}

impl Reject {
    fn name(&self) -> Option<&'static str> {
        table(self.family)
            .iter()
            .find(|(_, _, v)| *v == self.with)
            .map(|(n, _, _)| *n)
    }
}

impl TargetExtT for Reject {
    const NAME: &'static str = "REJECT";
    const OPTIONS: &'static [OptSpec] = &[OptSpec::value("reject-with").no_inv()];

    fn build(hits: &[OptHit], cx: &ParseCx) -> Result<Self, Error> {
        let t = table(cx.family);
        let with = match hits.first() {
            // port unreachable by default
            None => t[3].2,
            Some(h) => {
                let a = h.arg();
                // `strncasecmp(name, arg, strlen(arg))`: any prefix of a
                // name or alias, the first in the table's order (so `""`
                // is the first type)
                let prefix_of = |full: &str| {
                    full.len() >= a.len()
                        && full.as_bytes()[..a.len()].eq_ignore_ascii_case(a.as_bytes())
                };
                match t
                    .iter()
                    .find(|(n, alias, _)| prefix_of(n) || prefix_of(alias))
                {
                    Some((_, _, v)) => *v,
                    None => {
                        if cx.family == Family::V4
                            && (prefix_of("echo-reply") || prefix_of("echoreply"))
                        {
                            crate::error::warn(format_args!(
                                "--reject-with echo-reply no longer supported"
                            ));
                        }
                        return Err(param(format!("unknown reject type \"{a}\"")));
                    }
                }
            }
        };
        Ok(Reject {
            family: cx.family,
            with,
        })
    }

    fn save(&self, _cx: &FmtCx, out: &mut String) {
        out.push_str(" --reject-with ");
        out.push_str(self.name().unwrap_or("?"));
    }

    fn print(&self, _cx: &FmtCx, out: &mut String) {
        out.push_str(" reject-with ");
        out.push_str(self.name().unwrap_or("?"));
    }

    fn encode(&self, _cx: &EncodeCx, out: &mut Vec<Expr>) {
        out.push(Expr::Target {
            name: Self::NAME.into(),
            rev: 0,
            info: RejectInfo { with: self.with }.to_blob(),
        });
    }

    fn decode_blob(rev: u32, info: &[u8], family: Family) -> Result<Self, DecodeError> {
        let r = match (rev, RejectInfo::from_blob(info)) {
            (0, Some(i)) => Reject {
                family,
                with: i.with,
            },
            _ => {
                return Err(DecodeError(format!(
                    "REJECT revision {rev} of {} bytes",
                    info.len()
                )))
            }
        };
        // A type iptables has no name for cannot be saved.
        r.name()
            .map(|_| r)
            .ok_or_else(|| DecodeError(format!("REJECT type {}", r.with)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Table;

    fn build(family: Family, arg: Option<&str>) -> Result<Reject, Error> {
        let cx = ParseCx {
            family,
            proto: None,
            table: Table::Filter,
            chain: "INPUT",
            rule: true,
        };
        let hits: Vec<OptHit> = arg
            .map(|a| OptHit::new(0, false, &[a]))
            .into_iter()
            .collect();
        Reject::build(&hits, &cx)
    }

    /// Names, aliases and save/list text as iptables 1.8.13 prints them;
    /// the blob is the `u32` type (the `tests/exprs.rs` rows pin it
    /// against 1.8.13's bytes).
    #[test]
    fn types_both_families() {
        let cx = FmtCx {
            family: Family::V4,
            numeric: true,
            proto: None,
        };
        for (fam, arg, name, v) in [
            (Family::V4, None, "icmp-port-unreachable", 3),
            (Family::V4, Some("net-unreach"), "icmp-net-unreachable", 0),
            (Family::V4, Some("tcp-rst"), "tcp-reset", 7),
            (Family::V4, Some("admin-prohib"), "icmp-admin-prohibited", 8),
            (Family::V6, None, "icmp6-port-unreachable", 4),
            (
                Family::V6,
                Some("addr-unreach"),
                "icmp6-addr-unreachable",
                3,
            ),
            (Family::V6, Some("tcp-reset"), "tcp-reset", 6),
            (
                Family::V6,
                Some("icmp6-reject-route"),
                "icmp6-reject-route",
                8,
            ),
        ] {
            let r = build(fam, arg).unwrap();
            assert_eq!(r.with, v);
            let (mut s, mut l) = (String::new(), String::new());
            r.save(&cx, &mut s);
            r.print(&cx, &mut l);
            assert_eq!(s, format!(" --reject-with {name}"));
            assert_eq!(l, format!(" reject-with {name}"));
            let mut e = Vec::new();
            r.encode(
                &EncodeCx {
                    family: fam,
                    proto: None,
                },
                &mut e,
            );
            let [Expr::Target { info, .. }] = e.as_slice() else {
                panic!()
            };
            assert_eq!(info.len(), 8);
            assert_eq!(Reject::decode_blob(0, info, fam).unwrap(), r);
        }
        for (fam, bad) in [
            (Family::V4, "bogus"),
            (Family::V4, "icmp6-no-route"),
            (Family::V6, "icmp-port-unreachable"),
            (Family::V6, "echo-reply"),
        ] {
            assert_eq!(
                build(fam, Some(bad)).unwrap_err().to_string(),
                format!("unknown reject type \"{bad}\"")
            );
        }
        assert!(Reject::decode_blob(0, &[9, 0, 0, 0, 0, 0, 0, 0], Family::V4).is_err());
    }
}
