//! `-m udp` / `-p udp`: ports (`libxt_udp`, `struct xt_udp`), and the port
//! encoding iptables-nft shares between tcp and udp (`nft.c add_nft_tcpudp`).

use super::opt::{fmt_port_range, ne_u16, parse_mport};
use super::value::ValueKind;
use super::{EncodeCx, FmtCx, Match, MatchExt, NativeCmp, OptHit, OptSpec, ParseCx};
use crate::error::{param, DecodeError, Error};
use crate::ir::{CmpOp, Expr, PayloadBase, REG_1};
use crate::model::{netdb, Family};

const INV_SRCPT: u8 = 0x01;
const INV_DSTPT: u8 = 0x02;
const INV_MASK: u8 = 0x03;

/// `struct xt_udp`, field for field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Udp {
    /// source port range
    pub spts: (u16, u16),
    /// destination port range
    pub dpts: (u16, u16),
    /// `XT_UDP_INV_*`
    pub invflags: u8,
}

impl Default for Udp {
    fn default() -> Self {
        Udp {
            spts: (0, u16::MAX),
            dpts: (0, u16::MAX),
            invflags: 0,
        }
    }
}

fn payload(offset: u32, len: u32) -> Expr {
    Expr::Payload {
        base: PayloadBase::Transport,
        offset,
        len,
        dreg: REG_1,
    }
}

/// One port range compare, as `expr_gen_range_cmp16` writes it.
fn range_cmp16(out: &mut Vec<Expr>, lo: u16, hi: u16, inv: bool) {
    let (op, data) = if lo == hi {
        (if inv { CmpOp::Neq } else { CmpOp::Eq }, lo)
    } else if lo == 0 && hi < u16::MAX {
        (if inv { CmpOp::Gt } else { CmpOp::Lte }, hi)
    } else {
        out.push(Expr::Range {
            sreg: REG_1,
            op: if inv { CmpOp::Neq } else { CmpOp::Eq },
            from: lo.to_be_bytes().to_vec(),
            to: hi.to_be_bytes().to_vec(),
        });
        return;
    };
    out.push(Expr::Cmp {
        sreg: REG_1,
        op,
        data: data.to_be_bytes().to_vec(),
    });
}

/// A port range and its inversion in one canonical form, for comparing
/// rules by meaning: `! 0:N` (N < 65535) is `N+1:65535`, which is what
/// 1.8.11+ write for it (`cmp gt N`) and how they read it back.
pub(crate) fn canon_ports(r: (u16, u16), inv: bool) -> ((u16, u16), bool) {
    if inv && r.0 == 0 && r.1 < u16::MAX {
        ((r.1 + 1, u16::MAX), false)
    } else {
        (r, inv)
    }
}

/// Both port ranges and their inversion bits (`XT_*_INV_SRCPT`/`DSTPT`)
/// in canonical form.
pub(crate) fn canon_pair(
    spts: (u16, u16),
    dpts: (u16, u16),
    invflags: u8,
) -> ((u16, u16), (u16, u16), u8) {
    let (s, si) = canon_ports(spts, invflags & INV_SRCPT != 0);
    let (d, di) = canon_ports(dpts, invflags & INV_DSTPT != 0);
    let inv = (invflags & !(INV_SRCPT | INV_DSTPT))
        | if si { INV_SRCPT } else { 0 }
        | if di { INV_DSTPT } else { 0 };
    (s, d, inv)
}

impl Udp {
    /// The same match in canonical form (see `canon_ports`).
    pub fn canonical(&self) -> Udp {
        let (spts, dpts, invflags) = canon_pair(self.spts, self.dpts, self.invflags);
        Udp {
            spts,
            dpts,
            invflags,
        }
    }
}

/// Native port matching for tcp and udp (`add_nft_tcpudp`). An inverted
/// full range is kept (upstream's fix after 1.8.9, which dropped it and so
/// turned a match-nothing rule into match-all).
pub(crate) fn encode_ports(
    out: &mut Vec<Expr>,
    spts: (u16, u16),
    sinv: bool,
    dpts: (u16, u16),
    dinv: bool,
) {
    // One compare of both ports only when neither is inverted: 1.8.9 also
    // did it for two inverted ports, where `neq` on the pair means "not
    // both" instead of "neither" (fixed in 1.8.10).
    if spts.0 != 0 && spts.0 == spts.1 && dpts.0 != 0 && dpts.0 == dpts.1 && !sinv && !dinv {
        out.push(payload(0, 4));
        let mut data = spts.0.to_be_bytes().to_vec();
        data.extend_from_slice(&dpts.0.to_be_bytes());
        out.push(Expr::Cmp {
            sreg: REG_1,
            op: if sinv { CmpOp::Neq } else { CmpOp::Eq },
            data,
        });
        return;
    }
    if spts.0 != 0 || spts.1 < u16::MAX || sinv {
        out.push(payload(0, 2));
        range_cmp16(out, spts.0, spts.1, sinv);
    }
    if dpts.0 != 0 || dpts.1 < u16::MAX || dinv {
        out.push(payload(2, 2));
        range_cmp16(out, dpts.0, dpts.1, dinv);
    }
}

fn be16(b: &[u8], off: usize) -> Option<u16> {
    Some(u16::from_be_bytes(b.get(off..off + 2)?.try_into().ok()?))
}

/// A compare on a 16-bit port as a range and its inversion, reading every
/// form any iptables-nft release writes (cmp eq/neq/lt/lte/gt/gte, range).
fn port_cmp(cmp: &NativeCmp) -> Option<((u16, u16), bool)> {
    let v = be16(&cmp.data, 0)?;
    if let Some(to) = &cmp.to {
        let hi = be16(to, 0)?;
        return match cmp.op {
            CmpOp::Eq => Some(((v, hi), false)),
            CmpOp::Neq => Some(((v, hi), true)),
            _ => None,
        };
    }
    Some(match cmp.op {
        CmpOp::Eq => ((v, v), false),
        CmpOp::Neq => ((v, v), true),
        CmpOp::Lte => ((0, v), false),
        CmpOp::Lt => ((0, v.checked_sub(1)?), false),
        CmpOp::Gt => ((v.checked_add(1)?, u16::MAX), false),
        CmpOp::Gte => ((v, u16::MAX), false),
    })
}

/// Fold a native transport-header compare on ports into `spts`/`dpts`;
/// `inv` gets bit 0 for an inverted source, bit 1 for destination.
pub(crate) fn absorb_ports(
    cmp: &NativeCmp,
    spts: &mut (u16, u16),
    dpts: &mut (u16, u16),
    inv: &mut u8,
) -> bool {
    if cmp.mask.is_some() {
        return false;
    }
    match (cmp.offset, cmp.len) {
        (0, 2) | (2, 2) => {
            let Some((r, i)) = port_cmp(cmp) else {
                return false;
            };
            let bit = if cmp.offset == 0 { 1 } else { 2 };
            if cmp.offset == 0 {
                *spts = r;
            } else {
                *dpts = r;
            }
            if i {
                *inv |= bit;
            }
            true
        }
        (0, 4) if cmp.to.is_none() => {
            let (Some(s), Some(d)) = (be16(&cmp.data, 0), be16(&cmp.data, 2)) else {
                return false;
            };
            match cmp.op {
                CmpOp::Eq => {}
                CmpOp::Neq => *inv |= 3,
                _ => return false,
            }
            *spts = (s, s);
            *dpts = (d, d);
            true
        }
        _ => false,
    }
}

fn print_port(out: &mut String, p: u16, numeric: bool, proto: &str) {
    match (!numeric).then(|| netdb::service_name(p, proto)).flatten() {
        Some(name) => out.push_str(&name),
        None => out.push_str(&p.to_string()),
    }
}

/// `-L` port text: ` dpt:22`, ` spts:1:100`, ` dpt:!22`.
pub(crate) fn print_ports(
    out: &mut String,
    name: &str,
    r: (u16, u16),
    inv: bool,
    numeric: bool,
    proto: &str,
) {
    if r.0 == 0 && r.1 == u16::MAX && !inv {
        return;
    }
    let i = if inv { "!" } else { "" };
    out.push(' ');
    out.push_str(name);
    if r.0 == r.1 {
        out.push(':');
        out.push_str(i);
        print_port(out, r.0, numeric, proto);
    } else {
        out.push_str("s:");
        out.push_str(i);
        print_port(out, r.0, numeric, proto);
        out.push(':');
        print_port(out, r.1, numeric, proto);
    }
}

impl Udp {
    fn to_blob(&self) -> Vec<u8> {
        let mut b = Vec::with_capacity(16);
        for p in [self.spts.0, self.spts.1, self.dpts.0, self.dpts.1] {
            b.extend_from_slice(&p.to_ne_bytes());
        }
        b.push(self.invflags);
        super::pad_blob(b)
    }
}

impl MatchExt for Udp {
    const NAME: &'static str = "udp";
    const PROTO: Option<u8> = Some(17);
    const OPTIONS: &'static [OptSpec] = &[
        OptSpec::value("source-port")
            .alias("sport")
            .multi()
            .kind(ValueKind::PortRc),
        OptSpec::value("destination-port")
            .alias("dport")
            .multi()
            .kind(ValueKind::PortRc),
    ];

    fn build(hits: &[OptHit], cx: &ParseCx) -> Result<Self, Error> {
        if cx.rule && !matches!(cx.proto, Some(p) if p.val == 17) {
            return Err(param("UDP match requires '-p udp'"));
        }
        let mut u = Udp::default();
        let mut seen = 0u8;
        for h in hits {
            let (bit, name) = if h.idx == 0 {
                (INV_SRCPT, "source-port")
            } else {
                (INV_DSTPT, "destination-port")
            };
            if seen & bit != 0 {
                return Err(param(format!("Only one `--{name}' allowed")));
            }
            seen |= bit;
            // udp reads ports the newer way (`XTTYPE_PORTRC`): decimal
            // numbers or service names, as getaddrinfo reads them
            // An empty value (1.8.13: port 0) is refused as tcp refuses
            // it: it is almost always an unset variable (docs/differences.md).
            if h.arg().is_empty() {
                return Err(param("invalid port/service `' specified"));
            }
            let r = parse_mport("udp", name, h.arg(), true)?;
            if h.idx == 0 {
                u.spts = r;
            } else {
                u.dpts = r;
            }
            if h.inv {
                u.invflags |= bit;
            }
        }
        Ok(u)
    }

    fn save(&self, _cx: &FmtCx, out: &mut String) {
        for (r, bit, name) in [
            (self.spts, INV_SRCPT, "sport"),
            (self.dpts, INV_DSTPT, "dport"),
        ] {
            if r != (0, u16::MAX) || self.invflags & bit != 0 {
                if self.invflags & bit != 0 {
                    out.push_str(" !");
                }
                out.push_str(&format!(" --{name} {}", fmt_port_range(r)));
            }
        }
    }

    fn print(&self, cx: &FmtCx, out: &mut String) {
        out.push_str(" udp");
        print_ports(
            out,
            "spt",
            self.spts,
            self.invflags & INV_SRCPT != 0,
            cx.numeric,
            "udp",
        );
        print_ports(
            out,
            "dpt",
            self.dpts,
            self.invflags & INV_DSTPT != 0,
            cx.numeric,
            "udp",
        );
        if self.invflags & !INV_MASK != 0 {
            out.push_str(&format!(
                " Unknown invflags: 0x{:X}",
                self.invflags & !INV_MASK
            ));
        }
    }

    fn encode(&self, _cx: &EncodeCx, out: &mut Vec<Expr>) {
        if self.invflags > INV_MASK || *self == Udp::default() {
            out.push(Expr::Match {
                name: "udp".into(),
                rev: 0,
                info: self.to_blob(),
            });
            return;
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
        let short = || DecodeError(format!("udp: info of {} bytes is too short", info.len()));
        Ok(Udp {
            spts: (
                ne_u16(info, 0).ok_or_else(short)?,
                ne_u16(info, 2).ok_or_else(short)?,
            ),
            dpts: (
                ne_u16(info, 4).ok_or_else(short)?,
                ne_u16(info, 6).ok_or_else(short)?,
            ),
            invflags: *info.get(8).ok_or_else(short)?,
        })
    }

    fn absorb(proto: u8, cmp: &NativeCmp, matches: &mut Vec<Match>) -> bool {
        if proto != 17 || cmp.base != PayloadBase::Transport {
            return false;
        }
        let idx = match matches.iter().rposition(|m| matches!(m, Match::Udp(_))) {
            Some(i) => i,
            None => {
                matches.push(Match::Udp(Udp::default()));
                matches.len() - 1
            }
        };
        let Match::Udp(u) = &mut matches[idx] else {
            return false;
        };
        let mut inv = 0;
        let ok = absorb_ports(cmp, &mut u.spts, &mut u.dpts, &mut inv);
        u.invflags |= inv;
        ok
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cx() -> EncodeCx {
        EncodeCx {
            family: Family::V4,
            proto: Some((17, false)),
        }
    }

    /// Every native form decodes back to the match it was written from.
    #[test]
    fn native_round_trip() {
        let cases = [
            ((1, 100), 0, (0, 65535)),
            ((5, 5), 0, (6, 6)),
            ((5, 5), INV_DSTPT, (6, 6)),
            ((0, 100), 0, (0, 65535)),
            ((0, 65535), 0, (100, 200)),
            ((0, 65535), INV_DSTPT, (100, 200)),
            ((0, 65535), INV_SRCPT, (0, 65535)),
            ((7, 7), INV_SRCPT | INV_DSTPT, (8, 8)),
        ];
        for (spts, invflags, dpts) in cases {
            let u = Udp {
                spts,
                dpts,
                invflags,
            };
            let mut exprs = Vec::new();
            u.encode(&cx(), &mut exprs);
            let mut matches = Vec::new();
            let mut i = 0;
            while i < exprs.len() {
                let Expr::Payload { offset, len, .. } = exprs[i] else {
                    panic!("{exprs:?}")
                };
                let cmp = match &exprs[i + 1] {
                    Expr::Cmp { op, data, .. } => NativeCmp {
                        base: PayloadBase::Transport,
                        offset,
                        len,
                        mask: None,
                        op: *op,
                        data: data.clone(),
                        to: None,
                    },
                    Expr::Range { op, from, to, .. } => NativeCmp {
                        base: PayloadBase::Transport,
                        offset,
                        len,
                        mask: None,
                        op: *op,
                        data: from.clone(),
                        to: Some(to.clone()),
                    },
                    e => panic!("{e:?}"),
                };
                assert!(Udp::absorb(17, &cmp, &mut matches));
                i += 2;
            }
            assert_eq!(matches, vec![Match::Udp(u)]);
        }
    }

    #[test]
    fn gt_reads_as_range() {
        // 1.8.9 writes `! --sport 0:100` as `cmp gt 100`.
        let cmp = NativeCmp {
            base: PayloadBase::Transport,
            offset: 0,
            len: 2,
            mask: None,
            op: CmpOp::Gt,
            data: 100u16.to_be_bytes().to_vec(),
            to: None,
        };
        let mut m = Vec::new();
        assert!(Udp::absorb(17, &cmp, &mut m));
        let Match::Udp(u) = &m[0] else { panic!() };
        assert_eq!(u.spts, (101, 65535));
    }
}
