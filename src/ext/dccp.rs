//! `-p dccp [-m dccp] [!] --sport P[:P] [!] --dport P[:P] [!] --dccp-types
//! T,... [!] --dccp-option N` (`libxt_dccp.c`): xt match `dccp` revision 0,
//! `struct xt_dccp_info`, both families. `-p dccp` loads it implicitly.

use super::opt::parse_mport;
use super::udp::print_ports;
use super::{EncodeCx, FmtCx, MatchExt, OptHit, OptSpec, ParseCx};
use crate::error::{param, DecodeError, Error};
use crate::ir::Expr;
use crate::model::Family;

crate::xt_struct! {
    /// `struct xt_dccp_info`
    pub struct DccpInfo {
        pub dpts: [u8; 4], pub spts: [u8; 4], pub flags: u16, pub invflags: u16,
        pub typemask: u16, pub option: u8,
    }
}
const _: () = assert!(DccpInfo::SIZE == 16);

const SRC_PORTS: u16 = 0x01;
const DEST_PORTS: u16 = 0x02;
const TYPE: u16 = 0x04;
const OPTION: u16 = 0x08;
/// `DCCP_PKT_INVALID`: its bit also sets those of types 11-15
const INVALID: usize = 10;
const TYPES: [&str; 11] = [
    "REQUEST", "RESPONSE", "DATA", "ACK", "DATAACK", "CLOSEREQ", "CLOSE", "RESET", "SYNC",
    "SYNCACK", "INVALID",
];

/// The dccp match: the kernel struct as iptables fills it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dccp(pub DccpInfo);

fn pair(b: [u8; 4]) -> (u16, u16) {
    (
        u16::from_ne_bytes([b[0], b[1]]),
        u16::from_ne_bytes([b[2], b[3]]),
    )
}

fn unpair(r: (u16, u16)) -> [u8; 4] {
    let (a, b) = (r.0.to_ne_bytes(), r.1.to_ne_bytes());
    [a[0], a[1], b[0], b[1]]
}

/// `parse_dccp_types`
fn parse_types(s: &str) -> Result<u16, Error> {
    let mut mask = 0u16;
    for t in s.split(',').filter(|t| !t.is_empty()) {
        let i = TYPES
            .iter()
            .position(|n| n.eq_ignore_ascii_case(t))
            .ok_or_else(|| param(format!("Unknown DCCP type `{t}'")))?;
        mask |= 1 << i;
    }
    if mask & (1 << INVALID) != 0 {
        mask |= 0xf800;
    }
    Ok(mask)
}

/// `print_types` (without its `!`): names up to INVALID, or numbers.
fn types_text(mut types: u16, numeric: bool, out: &mut String) {
    out.push(' ');
    let mut first = true;
    while types != 0 {
        let i = types.trailing_zeros() as usize;
        if !first {
            out.push(',');
        }
        first = false;
        match TYPES.get(i) {
            Some(n) if !numeric => out.push_str(n),
            _ => out.push_str(&i.to_string()),
        }
        if !numeric && i == INVALID {
            break;
        }
        types &= !(1 << i);
    }
}

impl MatchExt for Dccp {
    const NAME: &'static str = "dccp";
    const PROTO: Option<u8> = Some(33);
    const OPTIONS: &'static [OptSpec] = &[
        OptSpec::value("source-port").alias("sport"),
        OptSpec::value("destination-port").alias("dport"),
        OptSpec::value("dccp-types"),
        // checked in `build`, in line order with the ports (as iptables
        // checks each option as it reads it)
        OptSpec::value("dccp-option"),
    ];

    fn build(hits: &[OptHit], _cx: &ParseCx) -> Result<Self, Error> {
        let mut i = DccpInfo {
            dpts: [0; 4],
            spts: [0; 4],
            flags: 0,
            invflags: 0,
            typemask: 0,
            option: 0,
        };
        for h in hits {
            let bit = match h.idx {
                0 => {
                    i.spts = unpair(parse_mport("dccp", "source-port", h.arg(), false)?);
                    SRC_PORTS
                }
                1 => {
                    i.dpts = unpair(parse_mport("dccp", "destination-port", h.arg(), false)?);
                    DEST_PORTS
                }
                2 => {
                    i.typemask = parse_types(h.arg())?;
                    TYPE
                }
                _ => {
                    let v = super::header_kit::uint_opt("dccp", "dccp-option", h.arg(), 1, 255)?;
                    i.option = v as u8;
                    OPTION
                }
            };
            i.flags |= bit;
            if h.inv {
                i.invflags |= bit;
            }
        }
        Ok(Dccp(i))
    }

    fn save(&self, _cx: &FmtCx, out: &mut String) {
        let i = &self.0;
        let bang = |bit: u16| if i.invflags & bit != 0 { " !" } else { "" };
        for (bit, r, name) in [
            (SRC_PORTS, pair(i.spts), "sport"),
            (DEST_PORTS, pair(i.dpts), "dport"),
        ] {
            if i.flags & bit != 0 {
                out.push_str(bang(bit));
                if r.0 != r.1 {
                    out.push_str(&format!(" --{name} {}:{}", r.0, r.1));
                } else {
                    out.push_str(&format!(" --{name} {}", r.0));
                }
            }
        }
        if i.flags & TYPE != 0 {
            out.push_str(bang(TYPE));
            out.push_str(" --dccp-types");
            types_text(i.typemask, false, out);
        }
        if i.flags & OPTION != 0 {
            out.push_str(&format!("{} --dccp-option {}", bang(OPTION), i.option));
        }
    }

    fn print(&self, cx: &FmtCx, out: &mut String) {
        let i = &self.0;
        out.push_str(" dccp");
        for (bit, r, name) in [
            (SRC_PORTS, pair(i.spts), "spt"),
            (DEST_PORTS, pair(i.dpts), "dpt"),
        ] {
            if i.flags & bit != 0 {
                print_ports(out, name, r, i.invflags & bit != 0, cx.numeric, "dccp");
            }
        }
        if i.flags & TYPE != 0 {
            if i.invflags & TYPE != 0 {
                out.push_str(" !");
            }
            types_text(i.typemask, cx.numeric, out);
        }
        let inv = i.invflags & OPTION != 0;
        if i.flags & OPTION != 0 && (i.option != 0 || inv) {
            out.push_str(&format!(
                " option={}{}",
                if inv { "!" } else { "" },
                i.option
            ));
        }
    }

    fn encode(&self, _cx: &EncodeCx, out: &mut Vec<Expr>) {
        out.push(Expr::Match {
            name: Self::NAME.into(),
            rev: 0,
            info: self.0.to_blob(),
        });
    }

    fn decode_blob(rev: u32, info: &[u8], _family: Family) -> Result<Self, DecodeError> {
        DccpInfo::from_blob(info)
            .filter(|_| rev == 0)
            .map(Dccp)
            .ok_or_else(|| DecodeError(format!("dccp revision {rev} of {} bytes", info.len())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ext::kit::{build_match, texts, xt_round_trip};

    /// Text as iptables 1.8.13 prints it (captured).
    #[test]
    fn like_1_8_13() {
        let cx = |numeric| FmtCx {
            family: Family::V4,
            numeric,
            proto: Some(33),
        };
        for (v, saved, listed) in [
            (
                &[(0, true, "1:2"), (1, true, "3")][..],
                " ! --sport 1:2 ! --dport 3",
                " dccp spts:!1:2 dpt:!3",
            ),
            (&[(0, false, ":")][..], " --sport 0:65535", " dccp"),
            (
                &[(0, false, "65536:70000")][..],
                " --sport 0:4464",
                " dccp spts:0:4464",
            ),
            (
                &[(2, false, "INVALID,REQUEST")][..],
                " --dccp-types REQUEST,INVALID",
                " dccp 0,10,11,12,13,14,15",
            ),
            (
                &[(2, true, "sync,request")][..],
                " ! --dccp-types REQUEST,SYNC",
                " dccp ! 0,8",
            ),
            (&[(2, false, ",")][..], " --dccp-types ", " dccp "),
            (
                &[(3, true, "0x10")][..],
                " ! --dccp-option 16",
                " dccp option=!16",
            ),
        ] {
            let d: Dccp = build_match(Family::V4, v).unwrap();
            assert_eq!(texts(&d, &cx(true)), (saved.into(), listed.into()));
            assert_eq!(xt_round_trip(&d, Family::V4), (0, 16));
        }
        let msg =
            |v: &[(usize, bool, &str)]| build_match::<Dccp>(Family::V4, v).unwrap_err().to_string();
        assert_eq!(msg(&[(0, false, "4:3")]), "Port range 4-3 is negative.\n");
        assert_eq!(
            msg(&[(0, false, "1:2:3")]),
            "dccp: Too many components for option \"--source-port\" (max: 2)\n"
        );
        assert_eq!(
            msg(&[(1, false, "-1")]),
            "Port \"-1\" does not resolve to anything.\n"
        );
        assert_eq!(msg(&[(2, false, "foo")]), "Unknown DCCP type `foo'");
    }
}
