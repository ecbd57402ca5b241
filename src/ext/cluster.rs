//! `-m cluster --cluster-total-nodes N [!] --cluster-local-node I|[!]
//! --cluster-local-nodemask M --cluster-hash-seed S` (`libxt_cluster.c`):
//! xt match `cluster` revision 0, `struct xt_cluster_match_info`. A local
//! node is saved as its mask.

use super::value::{parse_u32, ValueKind};
use super::{EncodeCx, FmtCx, MatchExt, OptHit, OptSpec, ParseCx};
use crate::error::{param, DecodeError, Error};
use crate::ir::Expr;
use crate::model::Family;

crate::xt_struct! {
    /// `struct xt_cluster_match_info`
    pub struct ClusterInfo { pub total_nodes: u32, pub node_mask: u32, pub hash_seed: u32, pub flags: u32 }
}
const _: () = assert!(ClusterInfo::SIZE == 16);

/// `XT_CLUSTER_F_INV`
const F_INV: u32 = 1;
/// `XT_CLUSTER_NODES_MAX`
const NODES: ValueKind = ValueKind::UInt(1, 32);

/// The cluster match.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cluster {
    /// nodes in the cluster
    pub total_nodes: u32,
    /// the nodes this one answers for
    pub node_mask: u32,
    /// Jenkins hash seed
    pub hash_seed: u32,
    /// `XT_CLUSTER_F_INV`
    pub flags: u32,
}

impl MatchExt for Cluster {
    const NAME: &'static str = "cluster";
    const OPTIONS: &'static [OptSpec] = &[
        OptSpec::value("cluster-total-nodes")
            .no_inv()
            .kind(NODES)
            .mandatory(),
        OptSpec::value("cluster-local-node").kind(NODES).excl(0b100),
        OptSpec::value("cluster-local-nodemask")
            .kind(NODES)
            .excl(0b010),
        OptSpec::value("cluster-hash-seed")
            .no_inv()
            .kind(ValueKind::U32)
            .mandatory(),
    ];

    fn build(hits: &[OptHit], _cx: &ParseCx) -> Result<Self, Error> {
        let mut m = Cluster {
            total_nodes: 0,
            node_mask: 0,
            hash_seed: 0,
            flags: 0,
        };
        let mut given = 0u32;
        for h in hits {
            let v = parse_u32(h.arg()).unwrap_or(0);
            given |= 1 << h.idx;
            match h.idx {
                0 => m.total_nodes = v,
                1 => m.node_mask = 1u32 << (v.clamp(1, 32) - 1),
                2 => m.node_mask = v,
                _ => m.hash_seed = v,
            }
            if h.inv {
                m.flags |= F_INV;
            }
        }
        // cluster_check, before the generic check
        let too_big = u64::from(m.node_mask) >= 1u64 << m.total_nodes.min(63);
        if given & 0b1011 == 0b1011 {
            if too_big {
                return Err(param(
                    "cluster match: `--cluster-local-node' must be <= `--cluster-total-nodes'",
                ));
            }
        } else if given & 0b1101 == 0b1101 {
            if too_big {
                return Err(param(
                    "cluster match: `--cluster-local-nodemask' too big for `--cluster-total-nodes'",
                ));
            }
        } else if given & 0b0110 == 0 {
            return Err(param(
                "cluster match: `--cluster-local-node' or`--cluster-local-nodemask' is missing",
            ));
        }
        Ok(m)
    }

    fn save(&self, _cx: &FmtCx, out: &mut String) {
        let bang = if self.flags & F_INV != 0 { " !" } else { "" };
        out.push_str(&format!(
            "{bang} --cluster-local-nodemask 0x{:08x} --cluster-total-nodes {} --cluster-hash-seed 0x{:08x}",
            self.node_mask, self.total_nodes, self.hash_seed
        ));
    }

    fn print(&self, _cx: &FmtCx, out: &mut String) {
        let bang = if self.flags & F_INV != 0 { "!" } else { "" };
        out.push_str(&format!(
            " cluster {bang}node_mask=0x{:08x} total_nodes={} hash_seed=0x{:08x}",
            self.node_mask, self.total_nodes, self.hash_seed
        ));
    }

    fn encode(&self, _cx: &EncodeCx, out: &mut Vec<Expr>) {
        out.push(Expr::Match {
            name: Self::NAME.into(),
            rev: 0,
            info: ClusterInfo {
                total_nodes: self.total_nodes,
                node_mask: self.node_mask,
                hash_seed: self.hash_seed,
                flags: self.flags,
            }
            .to_blob(),
        });
    }

    fn decode_blob(rev: u32, info: &[u8], _family: Family) -> Result<Self, DecodeError> {
        match (rev, ClusterInfo::from_blob(info)) {
            (0, Some(i)) => Ok(Cluster {
                total_nodes: i.total_nodes,
                node_mask: i.node_mask,
                hash_seed: i.hash_seed,
                flags: i.flags,
            }),
            _ => Err(DecodeError(format!(
                "cluster revision {rev} of {} bytes",
                info.len()
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ext::kit::{build_match, texts, xt_round_trip};

    #[test]
    fn like_1_8_13() {
        let cx = FmtCx {
            family: Family::V4,
            numeric: true,
            proto: None,
        };
        let m: Cluster = build_match(
            Family::V4,
            &[(0, false, "32"), (1, true, "32"), (3, false, "0xfeedcafe")],
        )
        .unwrap();
        assert_eq!(
            texts(&m, &cx),
            (
                " ! --cluster-local-nodemask 0x80000000 --cluster-total-nodes 32 --cluster-hash-seed 0xfeedcafe".into(),
                " cluster !node_mask=0x80000000 total_nodes=32 hash_seed=0xfeedcafe".into()
            )
        );
        assert_eq!(xt_round_trip(&m, Family::V4), (0, 16));
        let msg = |v: &[(usize, bool, &str)]| {
            build_match::<Cluster>(Family::V4, v)
                .unwrap_err()
                .to_string()
        };
        assert_eq!(
            msg(&[(0, false, "2"), (1, false, "3"), (3, false, "1")]),
            "cluster match: `--cluster-local-node' must be <= `--cluster-total-nodes'"
        );
        assert_eq!(
            msg(&[(0, false, "2")]),
            "cluster match: `--cluster-local-node' or`--cluster-local-nodemask' is missing"
        );
    }
}
