//! nf_tables expressions → model rule: a register-tracking reader (like
//! `nft-ruleparse.c`) that accepts every encoding iptables-nft 1.8.x
//! writes, native and xt-compat, and canonicalises them to one model so
//! that save output and `-C`/`-D` comparisons see one form.

use super::encode::{addr_offsets, INVALID_IFNAME};
use crate::error::DecodeError;
use crate::ext::{self, Match, NativeCmp, Opaque, TargetExt, MATCHES};
use crate::ir::{meta, CmpOp, Expr, PayloadBase, Verdict};
use crate::model::addr::ip_from_bytes;
use crate::model::bytes::from_bytes;
use crate::model::{Family, Iface, Inv, Net};
use crate::rule::{Counters, Rule, Target};

#[derive(Debug, Clone, PartialEq)]
enum Load {
    None,
    Meta(u32),
    Payload(PayloadBase, u32, u32),
}

fn err(msg: impl Into<String>) -> DecodeError {
    DecodeError(msg.into())
}

fn inv_of(op: CmpOp) -> Result<bool, DecodeError> {
    match op {
        CmpOp::Eq => Ok(false),
        CmpOp::Neq => Ok(true),
        o => Err(err(format!("unexpected compare {o:?}"))),
    }
}

fn iface(data: &[u8], op: CmpOp) -> Result<Inv<Iface>, DecodeError> {
    if data == INVALID_IFNAME && op == CmpOp::Eq {
        return Ok(Inv::new(true, Iface("+".into())));
    }
    let inv = inv_of(op)?;
    let name = match data.iter().position(|b| *b == 0) {
        Some(n) => from_bytes(&data[..n]).into_owned(),
        None => format!("{}+", from_bytes(data)),
    };
    Ok(Inv::new(inv, Iface(name)))
}

fn net(
    family: Family,
    data: &[u8],
    mask: Option<&[u8]>,
    len: u32,
    op: CmpOp,
) -> Result<Inv<Net>, DecodeError> {
    let alen = family.addr_len();
    let len = len as usize;
    if len > alen || data.len() < len {
        return Err(err("address compare of odd length"));
    }
    let mut a = vec![0u8; alen];
    a[..len].copy_from_slice(&data[..len]);
    let m = match mask {
        Some(m) if m.len() == alen => m.to_vec(),
        Some(_) => return Err(err("address mask of odd length")),
        None => {
            let mut m = vec![0u8; alen];
            m[..len].fill(0xff);
            m
        }
    };
    let (Some(addr), Some(mask)) = (ip_from_bytes(&a), ip_from_bytes(&m)) else {
        return Err(err("bad address"));
    };
    Ok(Inv::new(inv_of(op)?, Net::with_mask(addr, mask)))
}

/// The target a rule ending in verdict `v` has (`None`: no iptables
/// target is that verdict). A rule's verdict is its last expression, so a
/// rule ending in another verdict cannot be a given rule: `-C`/`-D` pass
/// over such rules without decoding them.
pub fn verdict_target(v: &Verdict) -> Option<Target> {
    Some(match v {
        Verdict::Accept => Target::Accept,
        Verdict::Drop => Target::Drop,
        Verdict::Return => Target::Return,
        Verdict::Jump(c) => Target::Jump(c.clone()),
        Verdict::Goto(c) => Target::Goto(c.clone()),
        Verdict::Continue | Verdict::Other(_) => return None,
    })
}

/// Rebuild the rule a list of expressions encodes. An expression that
/// iptables syntax cannot express is an error: the caller shows such a
/// rule as unknown and never rewrites it.
pub fn decode_rule(exprs: &[Expr], family: Family) -> Result<Rule, DecodeError> {
    let mut r = Rule::default();
    let mut load = Load::None;
    let mut mask: Option<Vec<u8>> = None;
    let mut l4proto: Option<u8> = None;
    let (soff, doff) = addr_offsets(family);
    // an `immediate` to a data register: the source of the `meta set` that
    // must follow it (a native target, `-j TRACE`)
    let mut imm: Option<(u32, Vec<u8>)> = None;
    // A lone interface load (how 1.8.9 and older wrote `-i +`, which matches
    // every packet) is simply replaced by the next load: 1.8.10 and later
    // read it as nothing and write nothing, and so does rxtables.
    for e in exprs {
        if imm.is_some() && !matches!(e, Expr::MetaSet { .. }) {
            return Err(err("unsupported expression immediate"));
        }
        match e {
            Expr::Meta { key, .. } => {
                load = Load::Meta(*key);
                mask = None;
            }
            Expr::Payload {
                base, offset, len, ..
            } => {
                load = Load::Payload(*base, *offset, *len);
                mask = None;
            }
            Expr::Bitwise { mask: m, xor, .. } => {
                if xor.iter().any(|b| *b != 0) || load == Load::None {
                    return Err(err("bitwise with xor"));
                }
                mask = Some(m.clone());
            }
            Expr::Cmp { op, data, .. } => {
                cmp(
                    &mut r,
                    &load,
                    mask.as_deref(),
                    *op,
                    data,
                    None,
                    family,
                    soff,
                    doff,
                    &mut l4proto,
                )?;
                load = Load::None;
                mask = None;
            }
            Expr::Range { op, from, to, .. } => {
                cmp(
                    &mut r,
                    &load,
                    mask.as_deref(),
                    *op,
                    from,
                    Some(to),
                    family,
                    soff,
                    doff,
                    &mut l4proto,
                )?;
                load = Load::None;
                mask = None;
            }
            Expr::Counter { packets, bytes } => {
                load = Load::None;
                r.counters = Counters {
                    packets: *packets,
                    bytes: *bytes,
                };
            }
            Expr::Verdict(v) => {
                load = Load::None;
                r.target = verdict_target(v).ok_or_else(|| err(format!("verdict {v}")))?;
            }
            Expr::Match { name, rev, info } => {
                load = Load::None;
                let m = match ext::find_match(name, family) {
                    Some(d) => (d.decode_blob)(*rev, info, family)?.normalize(),
                    None => Match::Opaque(Opaque {
                        name: name.clone(),
                        rev: *rev,
                        info: info.clone(),
                    }),
                };
                r.matches.push(m);
            }
            Expr::Target { name, rev, info } => {
                load = Load::None;
                let t = match ext::find_target(name, family) {
                    Some(d) => (d.decode_blob)(*rev, info, family)?.normalize(),
                    None => TargetExt::Opaque(Opaque {
                        name: name.clone(),
                        rev: *rev,
                        info: info.clone(),
                    }),
                };
                r.target = Target::Ext(t);
            }
            Expr::Limit {
                rate,
                unit,
                burst,
                kind,
                flags,
            } => {
                load = Load::None;
                let l = ext::limit::Limit::from_expr(*rate, *unit, *burst, *kind, *flags)?;
                r.matches.push(Match::Limit(l));
            }
            Expr::Log {
                prefix,
                group,
                snaplen,
                qthreshold,
            } => {
                load = Load::None;
                r.target = Target::Ext(TargetExt::Nflog(ext::nflog::Nflog::from_expr(
                    prefix.as_deref(),
                    *group,
                    *snaplen,
                    *qthreshold,
                )));
            }
            Expr::Immediate { dreg, data } => {
                load = Load::None;
                imm = Some((*dreg, data.clone()));
            }
            Expr::MetaSet { key, sreg } => {
                load = Load::None;
                let t = ext::trace::Trace::from_meta_set(*key, *sreg, imm.take().as_ref())
                    .ok_or_else(|| err(format!("unsupported expression {e}")))?;
                r.target = Target::Ext(TargetExt::Trace(t));
            }
            Expr::Lookup { .. } => return Err(err(format!("unsupported expression {e}"))),
            Expr::Unknown { name } => return Err(err(format!("unknown expression {name}"))),
        }
    }
    if imm.is_some() {
        return Err(err("unsupported expression immediate"));
    }
    Ok(r)
}

#[allow(clippy::too_many_arguments)]
fn cmp(
    r: &mut Rule,
    load: &Load,
    mask: Option<&[u8]>,
    op: CmpOp,
    data: &[u8],
    to: Option<&Vec<u8>>,
    family: Family,
    soff: u32,
    doff: u32,
    l4proto: &mut Option<u8>,
) -> Result<(), DecodeError> {
    let first = || data.first().copied().ok_or_else(|| err("empty compare"));
    match *load {
        Load::Meta(meta::IIFNAME) if to.is_none() => r.iniface = Some(iface(data, op)?),
        Load::Meta(meta::OIFNAME) if to.is_none() => r.outiface = Some(iface(data, op)?),
        Load::Meta(key) if to.is_none() && key != meta::L4PROTO => {
            let native = ext::MetaCmp {
                key,
                mask: mask.map(<[u8]>::to_vec),
                op,
                data: data.to_vec(),
            };
            let m = MATCHES
                .iter()
                .find_map(|d| (d.from_meta)(&native))
                .ok_or_else(|| err(format!("unsupported meta compare (key {key})")))?;
            r.matches.push(m);
        }
        Load::Meta(meta::L4PROTO) if to.is_none() && mask.is_none() => {
            let p = first()?;
            let inv = inv_of(op)?;
            r.proto = Some(Inv::new(inv, p));
            // `! -p tcp --syn` too: the port/flag loads after it are tcp's
            *l4proto = Some(p);
        }
        // `ip protocol` / `ip6 nexthdr`, as releases before 1.8.? wrote -p.
        Load::Payload(PayloadBase::Network, off, 1)
            if to.is_none()
                && mask.is_none()
                && ((family == Family::V4 && off == 9) || (family == Family::V6 && off == 6)) =>
        {
            let p = first()?;
            let inv = inv_of(op)?;
            r.proto = Some(Inv::new(inv, p));
            // `! -p tcp --syn` too: the port/flag loads after it are tcp's
            *l4proto = Some(p);
        }
        Load::Payload(PayloadBase::Network, off, len)
            if to.is_none() && (off == soff || off == doff) =>
        {
            let n = net(family, data, mask, len, op)?;
            if off == soff {
                r.src = Some(n);
            } else {
                r.dst = Some(n);
            }
        }
        Load::Payload(PayloadBase::Network, 6, 2)
            if family == Family::V4 && mask == Some(&[0x1f, 0xff][..]) && data == [0, 0] =>
        {
            // `-f` is "offset != 0"; `! -f` is "offset == 0".
            r.frag = Some(match op {
                CmpOp::Neq => false,
                CmpOp::Eq => true,
                o => return Err(err(format!("fragment compare {o:?}"))),
            });
        }
        Load::Payload(base, offset, len) => {
            let native = NativeCmp {
                base,
                offset,
                len,
                mask: mask.map(<[u8]>::to_vec),
                op,
                data: data.to_vec(),
                to: to.cloned(),
            };
            let proto = l4proto.unwrap_or(0);
            if !MATCHES
                .iter()
                .any(|d| (d.absorb)(proto, &native, &mut r.matches))
            {
                return Err(err(format!("unsupported payload match @{offset}")));
            }
        }
        _ => return Err(err("unsupported compare")),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::encode::encode_rule;
    use super::*;
    use crate::config::Layout;
    use crate::ext::tcp::Tcp;
    use crate::ext::udp::Udp;

    /// Both layouts decode to the rule they were made from.
    fn rt(r: Rule, family: Family) {
        for layout in [Layout::Current, Layout::V1_8_9] {
            let (exprs, _) = crate::nft::encode::encode_rule_as(&r, family, layout);
            let back = decode_rule(&exprs, family).unwrap();
            assert_eq!(back, r, "{layout}: {exprs:?}");
        }
    }

    fn net(s: &str, len: u32) -> Inv<Net> {
        Inv::new(false, Net::with_prefix(s.parse().unwrap(), len))
    }

    #[test]
    fn base_round_trips() {
        rt(
            Rule {
                src: Some(net("10.20.30.0", 24)),
                proto: Some(Inv::new(false, 6)),
                matches: vec![Match::Tcp(Tcp {
                    dpts: (22, 22),
                    ..Tcp::default()
                })],
                target: Target::Accept,
                ..Rule::default()
            },
            Family::V4,
        );
        rt(
            Rule {
                iniface: Some(Inv::new(true, Iface("+".into()))),
                outiface: Some(Inv::new(false, Iface("eth+".into()))),
                dst: Some(Inv::new(
                    true,
                    Net::with_mask("1.2.3.4".parse().unwrap(), "255.255.0.255".parse().unwrap()),
                )),
                frag: Some(true),
                target: Target::Goto("FOO".into()),
                ..Rule::default()
            },
            Family::V4,
        );
        rt(
            Rule {
                src: Some(net("2001:db8::", 32)),
                proto: Some(Inv::new(false, 17)),
                matches: vec![Match::Udp(Udp {
                    spts: (1, 100),
                    ..Udp::default()
                })],
                target: Target::Jump("X".into()),
                counters: Counters {
                    packets: 5,
                    bytes: 10,
                },
                ..Rule::default()
            },
            Family::V6,
        );
        rt(
            Rule {
                proto: Some(Inv::new(true, 6)),
                target: Target::Drop,
                ..Rule::default()
            },
            Family::V6,
        );
    }

    #[test]
    fn plus_interface_is_no_match() {
        // `-i +` matches every packet: 1.8.10+ write nothing for it and read
        // 1.8.9's lone `meta load iifname` as nothing.
        let r = Rule {
            iniface: Some(Inv::new(false, Iface("+".into()))),
            outiface: Some(Inv::new(false, Iface("+".into()))),
            target: Target::Accept,
            ..Rule::default()
        };
        let (exprs, _) = encode_rule(&r, Family::V4);
        assert_eq!(exprs.len(), 2, "{exprs:?}"); // counter, verdict
        let back = decode_rule(&exprs, Family::V4).unwrap();
        assert!(back.iniface.is_none() && back.same_spec(&r));
        let (old, _) = crate::nft::encode::encode_rule_as(&r, Family::V4, Layout::V1_8_9);
        assert_eq!(
            old[..2],
            [
                Expr::Meta {
                    key: meta::IIFNAME,
                    dreg: 1
                },
                Expr::Meta {
                    key: meta::OIFNAME,
                    dreg: 1
                }
            ]
        );
        assert!(decode_rule(&old, Family::V4).unwrap().same_spec(&r));
    }

    fn pl(base: PayloadBase, offset: u32, len: u32) -> Expr {
        Expr::Payload {
            base,
            offset,
            len,
            dreg: 1,
        }
    }
    fn cmp(op: CmpOp, data: &[u8]) -> Expr {
        Expr::Cmp {
            sreg: 1,
            op,
            data: data.to_vec(),
        }
    }
    fn ld(key: u32) -> Expr {
        Expr::Meta { key, dreg: 1 }
    }

    /// `-A FORWARD -i eth0 -o eth1 -p tcp -f -s 1.2.3.0/24 -d 5.6.7.8
    /// --sport 1 -j ACCEPT` as iptables 1.8.13 wrote it (captured with
    /// `nft --debug=netlink list ruleset` in a private namespace): rxtables
    /// reads it and writes exactly these expressions.
    #[test]
    fn captured_1_8_13_layout() {
        use PayloadBase::{Network, Transport};
        let captured = vec![
            pl(Network, 12, 3),
            cmp(CmpOp::Eq, &[1, 2, 3]),
            pl(Network, 16, 4),
            cmp(CmpOp::Eq, &[5, 6, 7, 8]),
            ld(meta::IIFNAME),
            cmp(CmpOp::Eq, b"eth0\0"),
            ld(meta::OIFNAME),
            cmp(CmpOp::Eq, b"eth1\0"),
            pl(Network, 9, 1),
            cmp(CmpOp::Eq, &[6]),
            pl(Network, 6, 2),
            Expr::Bitwise {
                sreg: 1,
                dreg: 1,
                len: 2,
                mask: vec![0x1f, 0xff],
                xor: vec![0, 0],
            },
            cmp(CmpOp::Neq, &[0, 0]),
            pl(Transport, 0, 2),
            cmp(CmpOp::Eq, &[0, 1]),
            Expr::Counter {
                packets: 0,
                bytes: 0,
            },
            Expr::Verdict(Verdict::Accept),
        ];
        let r = decode_rule(&captured, Family::V4).unwrap();
        let want = Rule {
            src: Some(net("1.2.3.0", 24)),
            dst: Some(net("5.6.7.8", 32)),
            iniface: Some(Inv::new(false, Iface("eth0".into()))),
            outiface: Some(Inv::new(false, Iface("eth1".into()))),
            proto: Some(Inv::new(false, 6)),
            frag: Some(false),
            matches: vec![Match::Tcp(Tcp {
                spts: (1, 1),
                ..Tcp::default()
            })],
            target: Target::Accept,
            ..Rule::default()
        };
        assert_eq!(r, want);
        assert_eq!(encode_rule(&want, Family::V4).0, captured);
    }

    /// `-A INPUT -i + -p tcp ! --sport 1 ! --dport 2` as iptables 1.8.9
    /// wrote it (captured likewise): a lone interface load, `meta l4proto`,
    /// and one `!=` over both ports. 1.8.13 prints it as `-p tcp -m tcp !
    /// --sport 1 ! --dport 2`, and so does rxtables.
    #[test]
    fn captured_1_8_9_layout() {
        let captured = vec![
            ld(meta::IIFNAME),
            ld(meta::L4PROTO),
            cmp(CmpOp::Eq, &[6]),
            pl(PayloadBase::Transport, 0, 4),
            cmp(CmpOp::Neq, &[0, 1, 0, 2]),
            Expr::Counter {
                packets: 0,
                bytes: 0,
            },
        ];
        let r = decode_rule(&captured, Family::V4).unwrap();
        let want = Rule {
            proto: Some(Inv::new(false, 6)),
            matches: vec![Match::Tcp(Tcp {
                spts: (1, 1),
                dpts: (2, 2),
                invflags: 0x03,
                ..Tcp::default()
            })],
            ..Rule::default()
        };
        assert_eq!(r, want);
        assert_eq!(
            crate::save::rule_spec(&r, Family::V4, false),
            " -p tcp -m tcp ! --sport 1 ! --dport 2"
        );
    }

    #[test]
    fn unknown_expression_is_an_error() {
        let e = vec![Expr::Unknown { name: "ct".into() }];
        assert!(decode_rule(&e, Family::V4).is_err());
    }
}
