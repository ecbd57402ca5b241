//! `-j TRACE` (`libxt_TRACE.c`, no options). iptables-nft writes it
//! natively: `immediate reg 9 0x01` (one byte), `meta set nftrace with
//! reg 9`
//! (packets are then traced by `nft monitor trace`, not the kernel log).
//! The xt target `TRACE` revision 0 (empty info) also decodes.

use super::{EncodeCx, FmtCx, OptHit, OptSpec, ParseCx, TargetExtT};
use crate::error::{DecodeError, Error};
use crate::ir::{meta, Expr};
use crate::model::Family;

/// `NFT_REG32_01`, the register iptables-nft sets nftrace from.
const REG: u32 = 9;

/// The TRACE target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Trace;

impl TargetExtT for Trace {
    const NAME: &'static str = "TRACE";
    const OPTIONS: &'static [OptSpec] = &[];

    fn build(_hits: &[OptHit], _cx: &ParseCx) -> Result<Self, Error> {
        Ok(Trace)
    }

    fn save(&self, _cx: &FmtCx, _out: &mut String) {}

    fn print(&self, _cx: &FmtCx, _out: &mut String) {}

    fn encode(&self, _cx: &EncodeCx, out: &mut Vec<Expr>) {
        out.push(Expr::Immediate {
            dreg: REG,
            data: vec![1],
        });
        out.push(Expr::MetaSet {
            key: meta::NFTRACE,
            sreg: REG,
        });
    }

    fn decode_blob(rev: u32, info: &[u8], _family: Family) -> Result<Self, DecodeError> {
        match rev {
            0 => Ok(Trace),
            _ => Err(DecodeError(format!(
                "TRACE revision {rev} of {} bytes",
                info.len()
            ))),
        }
    }
}

impl Trace {
    /// The target a native `meta set` encodes, given the `immediate` that
    /// loaded its source register: `meta set nftrace` of the value 1.
    pub fn from_meta_set(key: u32, sreg: u32, imm: Option<&(u32, Vec<u8>)>) -> Option<Trace> {
        let (dreg, data) = imm?;
        (key == meta::NFTRACE && *dreg == sreg && data.as_slice() == [1]).then_some(Trace)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn native_round_trip() {
        let mut e = Vec::new();
        Trace.encode(
            &EncodeCx {
                family: Family::V4,
                proto: None,
            },
            &mut e,
        );
        assert_eq!(e.len(), 2);
        let (Expr::Immediate { dreg, data }, Expr::MetaSet { key, sreg }) = (&e[0], &e[1]) else {
            panic!("{e:?}")
        };
        assert_eq!(e[0].to_string(), "[ immediate reg 9 0x00000001 ]");
        assert_eq!(e[1].to_string(), "[ meta set nftrace with reg 9 ]");
        let imm = (*dreg, data.clone());
        assert_eq!(Trace::from_meta_set(*key, *sreg, Some(&imm)), Some(Trace));
        assert_eq!(Trace::from_meta_set(*key, 10, Some(&imm)), None);
        assert_eq!(Trace::from_meta_set(meta::MARK, *sreg, Some(&imm)), None);
        assert_eq!(Trace::from_meta_set(*key, *sreg, None), None);
    }
}
