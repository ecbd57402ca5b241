//! `-m tcp` / `-p tcp`: ports, flags, option (`libxt_tcp`, `struct xt_tcp`).
//! iptables-nft writes ports and flags natively (payload + cmp/range) and
//! falls back to the xt match for `--tcp-option`, other inversions, or a
//! match with nothing in it (`nft.c add_nft_tcp`).

use super::opt::{fmt_port_range, ne_u16, parse_port_range};
use super::udp::{absorb_ports, encode_ports, print_ports};
use super::value::ValueKind;
use super::{EncodeCx, FmtCx, Match, MatchExt, NativeCmp, OptHit, OptSpec, ParseCx};
use crate::error::{param, DecodeError, Error};
use crate::ir::{CmpOp, Expr, PayloadBase, REG_1};
use crate::model::Family;

const INV_SRCPT: u8 = 0x01;
const INV_DSTPT: u8 = 0x02;
const INV_FLAGS: u8 = 0x04;
const INV_OPTION: u8 = 0x08;
const INV_MASK: u8 = 0x0f;

/// TCP flag names in the order iptables prints them.
const FLAG_NAMES: &[(&str, u8)] = &[
    ("FIN", 0x01),
    ("SYN", 0x02),
    ("RST", 0x04),
    ("PSH", 0x08),
    ("ACK", 0x10),
    ("URG", 0x20),
    ("ALL", 0x3f),
    ("NONE", 0),
];

/// `struct xt_tcp`, field for field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tcp {
    /// source port range
    pub spts: (u16, u16),
    /// destination port range
    pub dpts: (u16, u16),
    /// `--tcp-option` number
    pub option: u8,
    /// `--tcp-flags` mask
    pub flg_mask: u8,
    /// `--tcp-flags` compare
    pub flg_cmp: u8,
    /// `XT_TCP_INV_*`
    pub invflags: u8,
}

impl Tcp {
    /// The same match in canonical form (`! --sport :N` is `--sport
    /// N+1:65535`), for comparing rules by meaning.
    pub fn canonical(&self) -> Tcp {
        let (spts, dpts, invflags) = super::udp::canon_pair(self.spts, self.dpts, self.invflags);
        Tcp {
            spts,
            dpts,
            invflags,
            ..self.clone()
        }
    }
}

impl Default for Tcp {
    fn default() -> Self {
        Tcp {
            spts: (0, u16::MAX),
            dpts: (0, u16::MAX),
            option: 0,
            flg_mask: 0,
            flg_cmp: 0,
            invflags: 0,
        }
    }
}

fn parse_flags(s: &str) -> Result<u8, Error> {
    let mut v = 0;
    // strtok: empty names between commas are skipped
    for name in s.split(',').filter(|n| !n.is_empty()) {
        let f = FLAG_NAMES
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .ok_or_else(|| param(format!("Unknown TCP flag `{name}'")))?;
        v |= f.1;
    }
    Ok(v)
}

fn fmt_flags(mut flags: u8, out: &mut String) {
    if flags == 0 {
        out.push_str("NONE");
        return;
    }
    let mut first = true;
    // Bits beyond ALL (ECE, CWR) have no name; print them in hex rather
    // than loop forever as a naive table walk would.
    for (name, bit) in FLAG_NAMES.iter().take(6) {
        if flags & bit != 0 {
            if !first {
                out.push(',');
            }
            out.push_str(name);
            first = false;
            flags &= !bit;
        }
    }
    if flags != 0 {
        if !first {
            out.push(',');
        }
        out.push_str(&format!("0x{flags:02X}"));
    }
}

impl Tcp {
    fn all_zero(&self) -> bool {
        *self == Tcp::default()
    }

    fn to_blob(&self) -> Vec<u8> {
        let mut b = Vec::with_capacity(16);
        for p in [self.spts.0, self.spts.1, self.dpts.0, self.dpts.1] {
            b.extend_from_slice(&p.to_ne_bytes());
        }
        b.extend_from_slice(&[self.option, self.flg_mask, self.flg_cmp, self.invflags]);
        super::pad_blob(b)
    }
}

impl MatchExt for Tcp {
    const NAME: &'static str = "tcp";
    const PROTO: Option<u8> = Some(6);
    const OPTIONS: &'static [OptSpec] = &[
        OptSpec::value("source-port")
            .alias("sport")
            .multi()
            .kind(ValueKind::Ports("tcp")),
        OptSpec::value("destination-port")
            .alias("dport")
            .multi()
            .kind(ValueKind::Ports("tcp")),
        OptSpec::flag("syn").multi(),
        OptSpec::value("tcp-flags").two().multi(),
        OptSpec::value("tcp-option").multi(),
    ];

    fn build(hits: &[OptHit], cx: &ParseCx) -> Result<Self, Error> {
        if cx.rule && !matches!(cx.proto, Some(p) if p.val == 6) {
            return Err(param("TCP match requires '-p tcp'"));
        }
        let mut t = Tcp::default();
        let mut seen = 0u8;
        for h in hits {
            let once = |seen: &mut u8, bit: u8, what: &str| -> Result<(), Error> {
                if *seen & bit != 0 {
                    return Err(param(what.to_string()));
                }
                *seen |= bit;
                Ok(())
            };
            match h.idx {
                0 => {
                    once(&mut seen, 1, "Only one `--source-port' allowed")?;
                    t.spts = parse_port_range(h.arg(), "tcp")?;
                    if h.inv {
                        t.invflags |= INV_SRCPT;
                    }
                }
                1 => {
                    once(&mut seen, 2, "Only one `--destination-port' allowed")?;
                    t.dpts = parse_port_range(h.arg(), "tcp")?;
                    if h.inv {
                        t.invflags |= INV_DSTPT;
                    }
                }
                2 | 3 => {
                    once(
                        &mut seen,
                        4,
                        "Only one of `--syn' or `--tcp-flags'  allowed",
                    )?;
                    if h.idx == 2 {
                        t.flg_mask = 0x17;
                        t.flg_cmp = 0x02;
                    } else {
                        if h.args.len() < 2 {
                            return Err(param("--tcp-flags requires two args."));
                        }
                        t.flg_mask = parse_flags(h.args[0])?;
                        t.flg_cmp = parse_flags(h.args.get(1).copied().unwrap_or(""))?;
                    }
                    if h.inv {
                        t.invflags |= INV_FLAGS;
                    }
                }
                _ => {
                    once(&mut seen, 8, "Only one `--tcp-option' allowed")?;
                    t.option = h
                        .arg()
                        .parse::<u8>()
                        .ok()
                        .filter(|o| *o != 0)
                        .ok_or_else(|| param(format!("Bad TCP option \"{}\"", h.arg())))?;
                    if h.inv {
                        t.invflags |= INV_OPTION;
                    }
                }
            }
        }
        Ok(t)
    }

    fn save(&self, _cx: &FmtCx, out: &mut String) {
        let inv = |bit: u8| if self.invflags & bit != 0 { " !" } else { "" };
        if self.spts != (0, u16::MAX) || self.invflags & INV_SRCPT != 0 {
            out.push_str(inv(INV_SRCPT));
            out.push_str(" --sport ");
            out.push_str(&fmt_port_range(self.spts));
        }
        if self.dpts != (0, u16::MAX) || self.invflags & INV_DSTPT != 0 {
            out.push_str(inv(INV_DSTPT));
            out.push_str(" --dport ");
            out.push_str(&fmt_port_range(self.dpts));
        }
        if self.option != 0 || self.invflags & INV_OPTION != 0 {
            out.push_str(inv(INV_OPTION));
            out.push_str(&format!(" --tcp-option {}", self.option));
        }
        if self.flg_mask != 0 || self.invflags & INV_FLAGS != 0 {
            out.push_str(inv(INV_FLAGS));
            out.push_str(" --tcp-flags ");
            fmt_flags(self.flg_mask, out);
            out.push(' ');
            fmt_flags(self.flg_cmp, out);
        }
    }

    fn print(&self, cx: &FmtCx, out: &mut String) {
        out.push_str(" tcp");
        print_ports(
            out,
            "spt",
            self.spts,
            self.invflags & INV_SRCPT != 0,
            cx.numeric,
            "tcp",
        );
        print_ports(
            out,
            "dpt",
            self.dpts,
            self.invflags & INV_DSTPT != 0,
            cx.numeric,
            "tcp",
        );
        if self.option != 0 || self.invflags & INV_OPTION != 0 {
            let i = if self.invflags & INV_OPTION != 0 {
                "!"
            } else {
                ""
            };
            out.push_str(&format!(" option={i}{}", self.option));
        }
        if self.flg_mask != 0 || self.invflags & INV_FLAGS != 0 {
            out.push_str(" flags:");
            if self.invflags & INV_FLAGS != 0 {
                out.push('!');
            }
            if cx.numeric {
                out.push_str(&format!("0x{:02X}/0x{:02X}", self.flg_mask, self.flg_cmp));
            } else {
                fmt_flags(self.flg_mask, out);
                out.push('/');
                fmt_flags(self.flg_cmp, out);
            }
        }
        if self.invflags & !INV_MASK != 0 {
            out.push_str(&format!(
                " Unknown invflags: 0x{:X}",
                self.invflags & !INV_MASK
            ));
        }
    }

    fn encode(&self, _cx: &EncodeCx, out: &mut Vec<Expr>) {
        const NATIVE_INV: u8 = INV_SRCPT | INV_DSTPT | INV_FLAGS;
        if self.invflags & !NATIVE_INV != 0 || self.option != 0 || self.all_zero() {
            out.push(Expr::Match {
                name: "tcp".into(),
                rev: 0,
                info: self.to_blob(),
            });
            return;
        }
        if self.flg_mask != 0 {
            out.push(Expr::Payload {
                base: PayloadBase::Transport,
                offset: 13,
                len: 1,
                dreg: REG_1,
            });
            out.push(Expr::Bitwise {
                sreg: REG_1,
                dreg: REG_1,
                len: 1,
                mask: vec![self.flg_mask],
                xor: vec![0],
            });
            out.push(Expr::Cmp {
                sreg: REG_1,
                op: if self.invflags & INV_FLAGS != 0 {
                    CmpOp::Neq
                } else {
                    CmpOp::Eq
                },
                data: vec![self.flg_cmp],
            });
        }
        encode_ports(
            out,
            self.spts,
            self.invflags & INV_SRCPT != 0,
            self.dpts,
            self.invflags & INV_DSTPT != 0,
        );
    }

    fn decode_blob(_rev: u32, info: &[u8], _family: Family) -> Result<Self, DecodeError> {
        let short = || DecodeError(format!("tcp: info of {} bytes is too short", info.len()));
        if info.len() < 12 {
            return Err(short());
        }
        Ok(Tcp {
            spts: (
                ne_u16(info, 0).ok_or_else(short)?,
                ne_u16(info, 2).ok_or_else(short)?,
            ),
            dpts: (
                ne_u16(info, 4).ok_or_else(short)?,
                ne_u16(info, 6).ok_or_else(short)?,
            ),
            option: info[8],
            flg_mask: info[9],
            flg_cmp: info[10],
            invflags: info[11],
        })
    }

    fn absorb(proto: u8, cmp: &NativeCmp, matches: &mut Vec<Match>) -> bool {
        if proto != 6 || cmp.base != PayloadBase::Transport {
            return false;
        }
        let idx = match matches.iter().rposition(|m| matches!(m, Match::Tcp(_))) {
            Some(i) => i,
            None => {
                matches.push(Match::Tcp(Tcp::default()));
                matches.len() - 1
            }
        };
        let Match::Tcp(t) = &mut matches[idx] else {
            return false;
        };
        if cmp.offset == 13 && cmp.len == 1 {
            let (Some(mask), Some(&v)) =
                (cmp.mask.as_ref().and_then(|m| m.first()), cmp.data.first())
            else {
                return false;
            };
            t.flg_mask = *mask;
            t.flg_cmp = v;
            match cmp.op {
                CmpOp::Eq => {}
                CmpOp::Neq => t.invflags |= INV_FLAGS,
                _ => return false,
            }
            return true;
        }
        let mut inv = 0;
        let ok = absorb_ports(cmp, &mut t.spts, &mut t.dpts, &mut inv);
        if inv & 1 != 0 {
            t.invflags |= INV_SRCPT;
        }
        if inv & 2 != 0 {
            t.invflags |= INV_DSTPT;
        }
        ok
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blob_round_trip() {
        let t = Tcp {
            spts: (1, 100),
            dpts: (22, 22),
            option: 5,
            flg_mask: 0x17,
            flg_cmp: 2,
            invflags: INV_OPTION,
        };
        let b = t.to_blob();
        assert_eq!(b.len(), 16);
        assert_eq!(Tcp::decode_blob(0, &b, Family::V4).unwrap(), t);
    }

    #[test]
    fn flags_text() {
        let mut s = String::new();
        fmt_flags(0x3f, &mut s);
        assert_eq!(s, "FIN,SYN,RST,PSH,ACK,URG");
        assert_eq!(parse_flags("syn,ACK").unwrap(), 0x12);
        assert!(parse_flags("BOGUS").is_err());
    }
}
