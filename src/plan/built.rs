//! Rule messages built as their lines are read: the usual restore (chains,
//! then `-A` lines) sends them as they are, instead of reading each line
//! again to build its op when the batch is written. Whether they can be
//! sent is decided when the batch is written ([`super::emit::Plan::built_runs`]);
//! when not, they are dropped and every op is built from the plan.

use crate::ir::{NfProto, NftRule};
use crate::nft::wire;

/// Chunks of this size hold the messages (a message never spans two, so
/// runs of them can be sent from where they are).
const CHUNK: usize = 4 << 20;

/// The messages built while lines are read are kept to this much: they are
/// held beside the planner's view of the tables, which is at its biggest
/// then. Rules after it are read again when the batch is written, beside
/// the messages built before (the batch is these messages and the rest).
const BUDGET: usize = 32 << 20;

/// Where a built message is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct BuiltRef {
    /// index of the message, in the order they were built
    pub(super) index: u32,
    pub(super) chunk: u32,
    pub(super) start: u32,
    pub(super) len: u32,
}

/// The messages, in the order their lines were read.
#[derive(Debug, Clone, Default)]
pub struct Built {
    chunks: Vec<Vec<u8>>,
    count: u32,
    /// bytes of messages
    size: usize,
}

impl Built {
    /// Builds the message that appends `rule` to its chain in `table`.
    /// `None` when it cannot be encoded (the op built from the plan then
    /// reports it).
    pub(super) fn push(&mut self, fam: NfProto, table: &str, rule: &NftRule) -> Option<BuiltRef> {
        if !self.has_room() {
            return None;
        }
        let fits = self
            .chunks
            .last()
            .is_some_and(|c| c.len() + 64 * 1024 <= CHUNK);
        if !fits {
            self.chunks.push(Vec::with_capacity(CHUNK));
        }
        let chunk = self.chunks.len() - 1;
        let buf = self.chunks.get_mut(chunk)?;
        let start = buf.len();
        wire::append_rule_msg(buf, fam, table, rule).ok()?;
        let r = BuiltRef {
            index: self.count,
            chunk: chunk as u32,
            start: start as u32,
            len: (buf.len() - start) as u32,
        };
        self.count += 1;
        self.size += r.len as usize;
        Some(r)
    }

    /// The mean length of the messages built (0 without any): what the
    /// rules read again later take, about.
    pub fn mean_len(&self) -> usize {
        self.size.checked_div(self.count as usize).unwrap_or(0)
    }

    /// Is there room for another message (else a rule is not encoded now,
    /// but when the batch is written)?
    pub(super) fn has_room(&self) -> bool {
        self.size < BUDGET
    }

    /// The message `r` refers to.
    pub(super) fn msg(&self, r: BuiltRef) -> Option<&[u8]> {
        let (s, l) = (r.start as usize, r.len as usize);
        self.chunks.get(r.chunk as usize)?.get(s..s + l)
    }

    /// The bytes of each range (`chunk`, `start`, `end`), to be numbered
    /// and sent; `None` unless the ranges are in order and apart.
    pub(super) fn ranges_mut(&mut self, ranges: &[(u32, u32, u32)]) -> Option<Vec<&mut [u8]>> {
        let mut out = Vec::with_capacity(ranges.len());
        let mut chunks = self.chunks.iter_mut().enumerate();
        // the chunk being cut: its index, what is left of it from `off`
        let mut cur: Option<(usize, &mut [u8], usize)> = None;
        for &(c, start, end) in ranges {
            let c = c as usize;
            let (ci, rest, off) = loop {
                match cur.take() {
                    Some(x) if x.0 == c => break x,
                    _ => {
                        let (ci, v) = chunks.next()?;
                        if ci > c {
                            return None;
                        }
                        cur = Some((ci, v.as_mut_slice(), 0));
                    }
                }
            };
            let s = (start as usize).checked_sub(off)?;
            let e = (end as usize).checked_sub(off)?;
            if s > e || e > rest.len() {
                return None;
            }
            let (_, tail) = rest.split_at_mut(s);
            let (mid, tail) = tail.split_at_mut(e - s);
            out.push(mid);
            cur = Some((ci, tail, off + e));
        }
        Some(out)
    }
}
