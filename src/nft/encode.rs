//! Model rule → nf_tables expressions, making exactly the choices
//! iptables-nft makes (`nft.c nft_rule_new`, `nft-ipv4.c`/`nft-ipv6.c`
//! `*_add`, `nft-shared.c add_iface/add_addr`), for both families from one
//! code path.

use crate::config::Layout;
use crate::ext::EncodeCx;
use crate::ir::{meta, CmpOp, Expr, PayloadBase, RuleCompat, Verdict, REG_1};
use crate::model::{Family, Iface, Inv, Net};
use crate::rule::{Rule, Target};

/// Offsets of the source and destination address in the network header.
pub(crate) fn addr_offsets(family: Family) -> (u32, u32) {
    match family {
        Family::V4 => (12, 16),
        Family::V6 => (8, 24),
    }
}

fn op(inv: bool) -> CmpOp {
    if inv {
        CmpOp::Neq
    } else {
        CmpOp::Eq
    }
}

/// The name iptables-nft compares with for `! -i +`: no interface is
/// called that, so it never matches.
pub(crate) const INVALID_IFNAME: &[u8] = b"INVAL/D\0";

fn add_iface(out: &mut Vec<Expr>, key: u32, iface: &Inv<Iface>, layout: Layout) {
    let name = crate::model::bytes::to_bytes(&iface.val.0);
    if iface.val.is_wildcard() && iface.val.stem().is_empty() && !iface.inv {
        // `-i +` matches everything: nothing since 1.8.10, a lone load
        // before (`nft-shared.c add_iface`).
        if layout == Layout::V1_8_9 {
            out.push(Expr::Meta { key, dreg: REG_1 });
        }
        return;
    }
    out.push(Expr::Meta { key, dreg: REG_1 });
    let (op, data) = if iface.val.is_wildcard() {
        let stem = crate::model::bytes::to_bytes(iface.val.stem());
        if !stem.is_empty() {
            (op(iface.inv), stem.to_vec())
        } else {
            (CmpOp::Eq, INVALID_IFNAME.to_vec())
        }
    } else {
        let mut d = name.to_vec();
        d.push(0);
        (op(iface.inv), d)
    };
    out.push(Expr::Cmp {
        sreg: REG_1,
        op,
        data,
    });
}

fn add_addr(out: &mut Vec<Expr>, offset: u32, net: &Inv<Net>) {
    let mask = net.val.mask_octets();
    let mask = mask.as_slice();
    let addr = net.val.addr_octets();
    let addr = addr.as_slice();
    // A byte-aligned prefix shortens the load; anything else needs a mask.
    let full = mask.iter().take_while(|b| **b == 0xff).count();
    let bitwise = mask[full..].iter().any(|b| *b != 0);
    let len = if bitwise { mask.len() } else { full };
    out.push(Expr::Payload {
        base: PayloadBase::Network,
        offset,
        len: len as u32,
        dreg: REG_1,
    });
    if bitwise {
        out.push(Expr::Bitwise {
            sreg: REG_1,
            dreg: REG_1,
            len: len as u32,
            mask: mask.to_vec(),
            xor: vec![0; len],
        });
    }
    out.push(Expr::Cmp {
        sreg: REG_1,
        op: op(net.inv),
        data: addr[..len].to_vec(),
    });
}

/// Expressions and compat attributes of a rule, in the layout iptables
/// 1.8.10 and later write.
pub fn encode_rule(rule: &Rule, family: Family) -> (Vec<Expr>, Option<RuleCompat>) {
    encode_rule_as(rule, family, Layout::Current)
}

fn add_proto(out: &mut Vec<Expr>, family: Family, p: &Inv<u8>, layout: Layout) {
    if family == Family::V4 && layout == Layout::Current {
        // `ip protocol` since 1.8.10 (`nft-ipv4.c nft_ipv4_add`)
        out.push(Expr::Payload {
            base: PayloadBase::Network,
            offset: 9,
            len: 1,
            dreg: REG_1,
        });
    } else {
        out.push(Expr::Meta {
            key: meta::L4PROTO,
            dreg: REG_1,
        });
    }
    out.push(Expr::Cmp {
        sreg: REG_1,
        op: op(p.inv),
        data: vec![p.val],
    });
}

/// Expressions and compat attributes of a rule in `layout`: 1.8.10+ writes
/// source, destination, interfaces, protocol; 1.8.9 interfaces, protocol,
/// source, destination. `-f` and the extensions follow in both.
pub fn encode_rule_as(
    rule: &Rule,
    family: Family,
    layout: Layout,
) -> (Vec<Expr>, Option<RuleCompat>) {
    let mut out = Vec::with_capacity(8);
    let proto = rule.proto.as_ref().filter(|p| p.val != 0);
    let (soff, doff) = addr_offsets(family);
    let addrs = |out: &mut Vec<Expr>| {
        if let Some(s) = rule.src.as_ref().filter(|n| !n.val.is_any()) {
            add_addr(out, soff, s);
        }
        if let Some(d) = rule.dst.as_ref().filter(|n| !n.val.is_any()) {
            add_addr(out, doff, d);
        }
    };
    if layout == Layout::Current {
        addrs(&mut out);
    }
    if let Some(i) = &rule.iniface {
        add_iface(&mut out, meta::IIFNAME, i, layout);
    }
    if let Some(o) = &rule.outiface {
        add_iface(&mut out, meta::OIFNAME, o, layout);
    }
    if let Some(p) = proto {
        add_proto(&mut out, family, p, layout);
    }
    if layout == Layout::V1_8_9 {
        addrs(&mut out);
    }
    if let (Some(inv), Family::V4) = (rule.frag, family) {
        out.push(Expr::Payload {
            base: PayloadBase::Network,
            offset: 6,
            len: 2,
            dreg: REG_1,
        });
        out.push(Expr::Bitwise {
            sreg: REG_1,
            dreg: REG_1,
            len: 2,
            mask: 0x1fffu16.to_be_bytes().to_vec(),
            xor: vec![0, 0],
        });
        out.push(Expr::Cmp {
            sreg: REG_1,
            op: if inv { CmpOp::Eq } else { CmpOp::Neq },
            data: vec![0, 0],
        });
    }
    let cx = EncodeCx {
        family,
        proto: proto.map(|p| (p.val, p.inv)),
    };
    for m in &rule.matches {
        m.encode(&cx, &mut out);
    }
    out.push(Expr::Counter {
        packets: rule.counters.packets,
        bytes: rule.counters.bytes,
    });
    match &rule.target {
        Target::None => {}
        Target::Accept => out.push(Expr::Verdict(Verdict::Accept)),
        Target::Drop => out.push(Expr::Verdict(Verdict::Drop)),
        Target::Return => out.push(Expr::Verdict(Verdict::Return)),
        Target::Jump(c) => out.push(Expr::Verdict(Verdict::Jump(c.clone()))),
        Target::Goto(c) => out.push(Expr::Verdict(Verdict::Goto(c.clone()))),
        Target::Ext(t) => t.encode(&cx, &mut out),
    }
    let compat = Some(RuleCompat {
        proto: proto.map(|p| p.val as u32).unwrap_or(0),
        inv: proto.map(|p| p.inv).unwrap_or(false),
    });
    (out, compat)
}
