//! The netlink codec of nf_tables, pure (no kernel, no libnftnl, no
//! `unsafe`): the uapi constants, a writer of netlink messages and
//! attributes (`MsgBuf`), a reader of messages and attributes, and the
//! rule codec in the very bytes libnftnl writes (checked byte for byte
//! against libnftnl by the tests of [`super::sys`]). The socket and the
//! libnftnl objects (tables, chains) are in [`super::sys`].
#![allow(missing_docs)]
// Without the kernel backend only the tests use the writer side.
#![cfg_attr(not(feature = "nftnl"), allow(dead_code))]

use crate::ir::*;
use std::ffi::c_int;

// ---------------------------------------------------------------------------
// Netlink / nf_tables constants (uapi)
// ---------------------------------------------------------------------------

pub(crate) const NLMSG_HDRLEN: usize = 16;
pub(crate) const NFGENMSG_LEN: usize = 4;
pub(crate) const NLMSG_NOOP: u16 = 1;
pub(crate) const NLMSG_ERROR: u16 = 2;
pub(crate) const NLMSG_DONE: u16 = 3;

pub(crate) const NLM_F_REQUEST: u16 = 0x1;
pub(crate) const NLM_F_ACK: u16 = 0x4;
pub(crate) const NLM_F_DUMP_INTR: u16 = 0x10;
pub(crate) const NLM_F_REPLACE: u16 = 0x100;
pub(crate) const NLM_F_NONREC: u16 = 0x100;
pub(crate) const NLM_F_EXCL: u16 = 0x200;
pub(crate) const NLM_F_CREATE: u16 = 0x400;
pub(crate) const NLM_F_APPEND: u16 = 0x800;
pub(crate) const NLM_F_DUMP: u16 = 0x300;
pub(crate) const NLA_F_NESTED: u16 = 0x8000;
pub(crate) const NLA_TYPE_MASK: u16 = 0x3fff;

pub(crate) const SOL_NETLINK: c_int = 270;
pub(crate) const NETLINK_CAP_ACK: c_int = 10;
pub(crate) const SO_SNDBUFFORCE: c_int = 32;
pub(crate) const SO_RCVBUFFORCE: c_int = 33;

pub(crate) const NFNL_SUBSYS_NFTABLES: u16 = 10;
pub(crate) const NFNL_SUBSYS_NFT_COMPAT: u16 = 11;
pub(crate) const NFNL_MSG_BATCH_BEGIN: u16 = 0x10;
pub(crate) const NFNL_MSG_BATCH_END: u16 = 0x11;
pub(crate) const NFNL_BATCH_GENID: u16 = 1;
pub(crate) const NFNL_MSG_COMPAT_GET: u16 = 0;
pub(crate) const NFTA_COMPAT_NAME: u16 = 1;
pub(crate) const NFTA_COMPAT_REV: u16 = 2;
pub(crate) const NFTA_COMPAT_TYPE: u16 = 3;

pub(crate) const NFT_MSG_NEWTABLE: u16 = 0;
pub(crate) const NFT_MSG_GETTABLE: u16 = 1;
pub(crate) const NFT_MSG_DELTABLE: u16 = 2;
pub(crate) const NFT_MSG_NEWCHAIN: u16 = 3;
pub(crate) const NFT_MSG_GETCHAIN: u16 = 4;
pub(crate) const NFT_MSG_DELCHAIN: u16 = 5;
pub(crate) const NFT_MSG_NEWRULE: u16 = 6;
pub(crate) const NFT_MSG_GETRULE: u16 = 7;
pub(crate) const NFT_MSG_DELRULE: u16 = 8;
pub(crate) const NFT_MSG_NEWGEN: u16 = 15;
pub(crate) const NFT_MSG_GETGEN: u16 = 16;
pub(crate) const NFTA_GEN_ID: u16 = 1;

pub(crate) const NFTA_RULE_TABLE: u16 = 1;
pub(crate) const NFTA_RULE_CHAIN: u16 = 2;
pub(crate) const NFTA_RULE_HANDLE: u16 = 3;
pub(crate) const NFTA_RULE_EXPRESSIONS: u16 = 4;
pub(crate) const NFTA_RULE_COMPAT: u16 = 5;
pub(crate) const NFTA_RULE_POSITION: u16 = 6;
pub(crate) const NFTA_RULE_USERDATA: u16 = 7;
pub(crate) const NFTA_RULE_COMPAT_PROTO: u16 = 1;
pub(crate) const NFTA_RULE_COMPAT_FLAGS: u16 = 2;
pub(crate) const NFTA_LIST_ELEM: u16 = 1;
pub(crate) const NFTA_EXPR_NAME: u16 = 1;
pub(crate) const NFTA_EXPR_DATA: u16 = 2;
pub(crate) const NFTA_DATA_VALUE: u16 = 1;
pub(crate) const NFTA_DATA_VERDICT: u16 = 2;
pub(crate) const NFTA_VERDICT_CODE: u16 = 1;
pub(crate) const NFTA_VERDICT_CHAIN: u16 = 2;

// Per-expression attribute numbers (NFTA_<EXPR>_*).
pub(crate) const PAYLOAD_DREG: u16 = 1;
pub(crate) const PAYLOAD_BASE: u16 = 2;
pub(crate) const PAYLOAD_OFFSET: u16 = 3;
pub(crate) const PAYLOAD_LEN: u16 = 4;
pub(crate) const PAYLOAD_SREG: u16 = 5;
pub(crate) const META_DREG: u16 = 1;
pub(crate) const META_KEY: u16 = 2;
pub(crate) const META_SREG: u16 = 3;
pub(crate) const CMP_SREG: u16 = 1;
pub(crate) const CMP_OP: u16 = 2;
pub(crate) const CMP_DATA: u16 = 3;
pub(crate) const BITWISE_SREG: u16 = 1;
pub(crate) const BITWISE_DREG: u16 = 2;
pub(crate) const BITWISE_LEN: u16 = 3;
pub(crate) const BITWISE_MASK: u16 = 4;
pub(crate) const BITWISE_XOR: u16 = 5;
pub(crate) const BITWISE_OP: u16 = 6;
pub(crate) const RANGE_SREG: u16 = 1;
pub(crate) const RANGE_OP: u16 = 2;
pub(crate) const RANGE_FROM: u16 = 3;
pub(crate) const RANGE_TO: u16 = 4;
pub(crate) const LOOKUP_SET: u16 = 1;
pub(crate) const LOOKUP_SREG: u16 = 2;
pub(crate) const LOOKUP_DREG: u16 = 3;
pub(crate) const LOOKUP_FLAGS: u16 = 5;
pub(crate) const COUNTER_BYTES: u16 = 1;
pub(crate) const COUNTER_PACKETS: u16 = 2;
pub(crate) const IMM_DREG: u16 = 1;
pub(crate) const IMM_DATA: u16 = 2;
pub(crate) const XT_NAME: u16 = 1;
pub(crate) const XT_REV: u16 = 2;
pub(crate) const XT_INFO: u16 = 3;
pub(crate) const LIMIT_RATE: u16 = 1;
pub(crate) const LIMIT_UNIT: u16 = 2;
pub(crate) const LIMIT_BURST: u16 = 3;
pub(crate) const LIMIT_TYPE: u16 = 4;
pub(crate) const LIMIT_FLAGS: u16 = 5;
pub(crate) const LOG_GROUP: u16 = 1;
pub(crate) const LOG_PREFIX: u16 = 2;
pub(crate) const LOG_SNAPLEN: u16 = 3;
pub(crate) const LOG_QTHRESHOLD: u16 = 4;
pub(crate) const LOG_LEVEL: u16 = 5;
pub(crate) const LOG_FLAGS: u16 = 6;

pub(crate) const NFT_RULE_COMPAT_F_INV: u32 = 1 << 1;
pub(crate) const NFT_LOOKUP_F_INV: u32 = 1;
pub(crate) const NFT_BITWISE_BOOL: u32 = 0;
/// `NFT_DATA_VALUE_MAXLEN`
pub(crate) const DATA_MAXLEN: usize = 64;
/// `XT_EXTENSION_MAXNAMELEN - 1`
pub(crate) const XT_NAME_MAXLEN: usize = 28;

pub(crate) const RECV_BUF_SIZE: usize = 1 << 20;
pub(crate) const RCVBUF_SIZE: c_int = 4 << 20;

pub(crate) fn align4(n: usize) -> usize {
    (n + 3) & !3
}

pub(crate) fn nft_type(cmd: u16) -> u16 {
    (NFNL_SUBSYS_NFTABLES << 8) | cmd
}

// ---------------------------------------------------------------------------
// Reading netlink bytes (safe code over slices)
// ---------------------------------------------------------------------------

pub(crate) fn rd_u16(b: &[u8], at: usize) -> u16 {
    u16::from_ne_bytes([b[at], b[at + 1]])
}

pub(crate) fn rd_u32(b: &[u8], at: usize) -> u32 {
    u32::from_ne_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

/// One netlink message inside a buffer.
pub(crate) struct NlMsg<'a> {
    pub(crate) ty: u16,
    pub(crate) flags: u16,
    pub(crate) seq: u32,
    /// the whole message, header included, exactly `nlmsg_len` bytes,
    /// starting 4-aligned in an 8-aligned buffer
    pub(crate) bytes: &'a [u8],
}

impl NlMsg<'_> {
    pub(crate) fn payload(&self) -> &[u8] {
        &self.bytes[NLMSG_HDRLEN..]
    }
    /// The attributes after the `nfgenmsg` header.
    pub(crate) fn nf_attrs(&self) -> &[u8] {
        self.payload().get(NFGENMSG_LEN..).unwrap_or(&[])
    }
    /// `NLMSG_ERROR`'s (and `NLMSG_DONE`'s) errno, positive; 0 for an ACK.
    pub(crate) fn error(&self) -> i32 {
        match self.payload().get(..4) {
            Some(b) => {
                let e = i32::from_ne_bytes([b[0], b[1], b[2], b[3]]);
                e.checked_neg().unwrap_or(libc::EIO)
            }
            None => libc::EBADMSG,
        }
    }
    /// The message as a C pointer for libnftnl's parsers.
    pub(crate) fn nlh(&self) -> Result<*const libc::nlmsghdr, i32> {
        let p = self.bytes.as_ptr();
        if (p as usize) & (std::mem::align_of::<libc::nlmsghdr>() - 1) != 0 {
            return Err(libc::EFAULT);
        }
        Ok(p as *const libc::nlmsghdr)
    }
}

/// Iterates the netlink messages of a buffer; stops at the first
/// malformed header (and sets `*bad`).
pub(crate) fn messages<'a>(
    buf: &'a [u8],
    bad: &'a mut bool,
) -> impl Iterator<Item = NlMsg<'a>> + 'a {
    let mut off = 0usize;
    std::iter::from_fn(move || {
        if off + NLMSG_HDRLEN > buf.len() {
            if off < buf.len() {
                *bad = true;
            }
            return None;
        }
        let len = rd_u32(buf, off) as usize;
        if len < NLMSG_HDRLEN || off + len > buf.len() {
            *bad = true;
            return None;
        }
        let m = NlMsg {
            ty: rd_u16(buf, off + 4),
            flags: rd_u16(buf, off + 6),
            seq: rd_u32(buf, off + 8),
            bytes: &buf[off..off + len],
        };
        off += align4(len);
        Some(m)
    })
}

/// Iterates netlink attributes as (type without flag bits, payload);
/// stops at the first malformed one.
pub(crate) fn attrs(mut b: &[u8]) -> impl Iterator<Item = (u16, &[u8])> {
    std::iter::from_fn(move || {
        if b.len() < 4 {
            return None;
        }
        let len = rd_u16(b, 0) as usize;
        let ty = rd_u16(b, 2) & NLA_TYPE_MASK;
        if len < 4 || len > b.len() {
            return None;
        }
        let val = &b[4..len];
        b = &b[align4(len).min(b.len())..];
        Some((ty, val))
    })
}

/// Attributes with types below `N`, indexed by type (later ones win).
pub(crate) fn attr_table<const N: usize>(b: &[u8]) -> [Option<&[u8]>; N] {
    let mut tb = [None; N];
    for (t, v) in attrs(b) {
        if let Some(slot) = tb.get_mut(t as usize) {
            *slot = Some(v);
        }
    }
    tb
}

pub(crate) fn attr_str(v: &[u8]) -> String {
    crate::model::bytes::from_bytes(cstr_bytes(v)).into_owned()
}

/// A string attribute's bytes up to its NUL.
pub(crate) fn cstr_bytes(v: &[u8]) -> &[u8] {
    let end = v.iter().position(|&c| c == 0).unwrap_or(v.len());
    &v[..end]
}

pub(crate) fn be32(v: Option<&[u8]>) -> Option<u32> {
    v.and_then(|v| <[u8; 4]>::try_from(v).ok())
        .map(u32::from_be_bytes)
}

pub(crate) fn be64(v: Option<&[u8]>) -> Option<u64> {
    v.and_then(|v| <[u8; 8]>::try_from(v).ok())
        .map(u64::from_be_bytes)
}

/// The value of an `NFTA_DATA_*` nest holding `NFTA_DATA_VALUE`.
pub(crate) fn data_value(v: Option<&[u8]>) -> Option<Vec<u8>> {
    attrs(v?)
        .find(|(t, _)| *t == NFTA_DATA_VALUE)
        .map(|(_, d)| d.to_vec())
}

// ---------------------------------------------------------------------------
// Writing netlink messages
// ---------------------------------------------------------------------------

/// A buffer of outgoing netlink messages, written in place.
pub(crate) struct MsgBuf {
    pub(crate) buf: Vec<u8>,
    /// first encoding error of the message being written
    pub(crate) err: Option<i32>,
}

impl MsgBuf {
    pub(crate) fn new(cap: usize) -> Self {
        MsgBuf {
            buf: Vec::with_capacity(cap),
            err: None,
        }
    }

    pub(crate) fn bytes(&self) -> &[u8] {
        &self.buf
    }

    pub(crate) fn fail(&mut self, e: i32) {
        self.err.get_or_insert(e);
    }

    /// Starts a message: netlink header and `nfgenmsg`. Returns its start.
    pub(crate) fn begin(
        &mut self,
        ty: u16,
        flags: u16,
        seq: u32,
        family: u8,
        res_id: u16,
    ) -> usize {
        let start = self.buf.len();
        let mut h = [0u8; NLMSG_HDRLEN + NFGENMSG_LEN];
        h[4..6].copy_from_slice(&ty.to_ne_bytes());
        h[6..8].copy_from_slice(&(flags | NLM_F_REQUEST).to_ne_bytes());
        h[8..12].copy_from_slice(&seq.to_ne_bytes());
        h[16] = family;
        h[18..20].copy_from_slice(&res_id.to_be_bytes());
        self.buf.extend_from_slice(&h);
        start
    }

    /// Ends the message started at `start`; on an encoding error the
    /// message is dropped and the error returned.
    pub(crate) fn finish(&mut self, start: usize) -> Result<(), i32> {
        let len = self.buf.len() - start;
        if let Some(e) = self.err.take() {
            self.buf.truncate(start);
            return Err(e);
        }
        self.buf[start..start + 4].copy_from_slice(&(len as u32).to_ne_bytes());
        Ok(())
    }

    /// Appends a complete message with attributes `a`.
    pub(crate) fn put_raw(
        &mut self,
        ty: u16,
        flags: u16,
        seq: u32,
        family: u8,
        res_id: u16,
        a: &[(u16, &[u8])],
    ) -> Result<(), i32> {
        let start = self.begin(ty, flags, seq, family, res_id);
        for (t, v) in a {
            self.attr(*t, v);
        }
        self.finish(start)
    }

    pub(crate) fn attr(&mut self, ty: u16, val: &[u8]) {
        let len = 4 + val.len();
        if len > u16::MAX as usize {
            return self.fail(libc::E2BIG);
        }
        self.put_attr(ty, len, val, align4(len) - len);
    }

    /// Header, value and `pad` zero bytes of an attribute of length `len`
    /// (one reservation: the batch is written a few bytes at a time).
    fn put_attr(&mut self, ty: u16, len: usize, val: &[u8], pad: usize) {
        let mut head = [0u8; 4];
        head[..2].copy_from_slice(&(len as u16).to_ne_bytes());
        head[2..].copy_from_slice(&ty.to_ne_bytes());
        self.buf.reserve(4 + val.len() + pad);
        self.buf.extend_from_slice(&head);
        self.buf.extend_from_slice(val);
        self.buf.extend_from_slice(&[0u8; 4][..pad]);
    }

    pub(crate) fn u32(&mut self, ty: u16, v: u32) {
        let mut a = [0u8; 8];
        a[..2].copy_from_slice(&8u16.to_ne_bytes());
        a[2..4].copy_from_slice(&ty.to_ne_bytes());
        a[4..].copy_from_slice(&v.to_be_bytes());
        self.buf.extend_from_slice(&a);
    }

    pub(crate) fn u64(&mut self, ty: u16, v: u64) {
        let mut a = [0u8; 12];
        a[..2].copy_from_slice(&12u16.to_ne_bytes());
        a[2..4].copy_from_slice(&ty.to_ne_bytes());
        a[4..].copy_from_slice(&v.to_be_bytes());
        self.buf.extend_from_slice(&a);
    }

    /// A NUL-terminated string attribute.
    pub(crate) fn strz(&mut self, ty: u16, s: &str) {
        // names are bytes (`crate::model::bytes`)
        let raw = crate::model::bytes::to_bytes(s);
        let s: &[u8] = &raw;
        let len = 4 + s.len() + 1;
        if s.contains(&0) {
            return self.fail(libc::EINVAL);
        }
        if len > u16::MAX as usize {
            return self.fail(libc::E2BIG);
        }
        // the NUL is the first byte of the padding
        self.put_attr(ty, len, s, align4(len) - len + 1);
    }

    /// A string attribute of a name the program knows (ASCII, no NUL, a
    /// few bytes): no byte checks.
    pub(crate) fn name(&mut self, ty: u16, s: &'static str) {
        let len = 4 + s.len() + 1;
        let mut a = [0u8; 24];
        if len > a.len() {
            return self.strz(ty, s);
        }
        a[..2].copy_from_slice(&(len as u16).to_ne_bytes());
        a[2..4].copy_from_slice(&ty.to_ne_bytes());
        a[4..4 + s.len()].copy_from_slice(s.as_bytes());
        self.buf.extend_from_slice(&a[..align4(len)]);
    }

    pub(crate) fn nest_start(&mut self, ty: u16) -> usize {
        let at = self.buf.len();
        let t = (ty | NLA_F_NESTED).to_ne_bytes();
        self.buf.extend_from_slice(&[0, 0, t[0], t[1]]);
        at
    }

    pub(crate) fn nest_end(&mut self, at: usize) {
        let len = self.buf.len() - at;
        if len > u16::MAX as usize {
            return self.fail(libc::E2BIG);
        }
        self.buf[at..at + 2].copy_from_slice(&(len as u16).to_ne_bytes());
    }

    /// `NFTA_DATA_VALUE` nested in attribute `ty`.
    pub(crate) fn data(&mut self, ty: u16, d: &[u8]) {
        if d.len() > DATA_MAXLEN {
            return self.fail(libc::EINVAL);
        }
        let n = self.nest_start(ty);
        self.attr(NFTA_DATA_VALUE, d);
        self.nest_end(n);
    }
}

// ---------------------------------------------------------------------------
// Rules: native codec (the bytes libnftnl 1.2 writes)
// ---------------------------------------------------------------------------

/// What a rule message carries.
pub(crate) struct RuleArgs<'a> {
    pub(crate) table: &'a str,
    /// `""`: none (flush of a whole table)
    pub(crate) chain: &'a str,
    pub(crate) handle: Option<u64>,
    pub(crate) position: Option<u64>,
    pub(crate) body: Option<&'a NftRule>,
}

pub(crate) fn rule_msg(
    buf: &mut MsgBuf,
    cmd: u16,
    fam: NfProto,
    flags: u16,
    seq: u32,
    a: RuleArgs<'_>,
) -> Result<(), i32> {
    let start = buf.begin(nft_type(cmd), flags, seq, fam.raw(), 0);
    buf.strz(NFTA_RULE_TABLE, a.table);
    if !a.chain.is_empty() {
        buf.strz(NFTA_RULE_CHAIN, a.chain);
    }
    if let Some(h) = a.handle {
        buf.u64(NFTA_RULE_HANDLE, h);
    }
    if let Some(p) = a.position {
        buf.u64(NFTA_RULE_POSITION, p);
    }
    if let Some(body) = a.body {
        if let Some(u) = body.udata.as_deref().filter(|u| !u.is_empty()) {
            buf.attr(NFTA_RULE_USERDATA, u);
        }
        if !body.exprs.is_empty() {
            let list = buf.nest_start(NFTA_RULE_EXPRESSIONS);
            for e in &body.exprs {
                let elem = buf.nest_start(NFTA_LIST_ELEM);
                put_expr(buf, e);
                buf.nest_end(elem);
            }
            buf.nest_end(list);
        }
        if let Some(c) = body.compat {
            let n = buf.nest_start(NFTA_RULE_COMPAT);
            buf.u32(NFTA_RULE_COMPAT_PROTO, c.proto);
            buf.u32(
                NFTA_RULE_COMPAT_FLAGS,
                if c.inv { NFT_RULE_COMPAT_F_INV } else { 0 },
            );
            buf.nest_end(n);
        }
    }
    buf.finish(start)
}

/// The batch's BEGIN message (sequence `base`), with the generation id
/// the kernel checks when there is one.
pub(crate) fn batch_begin(buf: &mut MsgBuf, base: u32, genid: Option<u32>) -> Result<(), i32> {
    let genid_be = genid.map(u32::to_be_bytes);
    let attrs: Vec<(u16, &[u8])> = match &genid_be {
        Some(g) => vec![(NFNL_BATCH_GENID, &g[..])],
        None => Vec::new(),
    };
    buf.put_raw(
        NFNL_MSG_BATCH_BEGIN,
        0,
        base,
        libc::AF_UNSPEC as u8,
        NFNL_SUBSYS_NFTABLES,
        &attrs,
    )
}

/// The END message of a batch of `total` ops begun at `base`.
pub(crate) fn batch_end(buf: &mut MsgBuf, base: u32, total: usize) -> Result<(), i32> {
    buf.put_raw(
        NFNL_MSG_BATCH_END,
        0,
        base.wrapping_add(total as u32 + 1),
        libc::AF_UNSPEC as u8,
        NFNL_SUBSYS_NFTABLES,
        &[],
    )
}

/// Appends to `out` the message that appends `rule` to its chain of
/// `table` (`NEWRULE`, `NLM_F_CREATE | NLM_F_APPEND`, as a batch writes an
/// `-A`), with sequence number 0: [`renumber`] gives it its place in a
/// batch. On an encoding error nothing is appended.
pub(crate) fn append_rule_msg(
    out: &mut Vec<u8>,
    fam: NfProto,
    table: &str,
    rule: &NftRule,
) -> Result<(), i32> {
    let mut buf = MsgBuf {
        buf: std::mem::take(out),
        err: None,
    };
    let a = RuleArgs {
        table,
        chain: &rule.chain,
        handle: None,
        position: None,
        body: Some(rule),
    };
    let r = rule_msg(
        &mut buf,
        NFT_MSG_NEWRULE,
        fam,
        NLM_F_CREATE | NLM_F_APPEND,
        0,
        a,
    );
    *out = buf.buf;
    r
}

/// The table and chain a message of [`append_rule_msg`] names.
pub(crate) fn rule_msg_names(msg: &[u8]) -> Option<(&[u8], &[u8])> {
    let len = msg.get(..4).map(|h| rd_u32(h, 0) as usize)?;
    let body = msg.get(NLMSG_HDRLEN + NFGENMSG_LEN..len)?;
    let mut a = attrs(body);
    let (t, table) = a.next()?;
    let (c, chain) = a.next()?;
    (t == NFTA_RULE_TABLE && c == NFTA_RULE_CHAIN).then(|| (cstr_bytes(table), cstr_bytes(chain)))
}

/// Gives the messages in `buf` (whole ones, back to back) the sequence
/// numbers `first`, `first + 1`, ...; the last asks for an ACK when
/// `ack_last`. Returns how many there are, `None` when `buf` does not
/// hold whole messages.
pub(crate) fn renumber(buf: &mut [u8], first: u32, ack_last: bool) -> Option<u32> {
    let mut at = 0;
    let mut n: u32 = 0;
    while at < buf.len() {
        let len = buf
            .get(at..at + NLMSG_HDRLEN)
            .map(|h| rd_u32(h, 0) as usize)?;
        if len < NLMSG_HDRLEN || at + len > buf.len() {
            return None;
        }
        buf[at + 8..at + 12].copy_from_slice(&first.wrapping_add(n).to_ne_bytes());
        let last = at + align4(len) >= buf.len();
        let flags = rd_u16(buf, at + 6);
        let flags = if last && ack_last {
            flags | NLM_F_ACK
        } else {
            flags & !NLM_F_ACK
        };
        buf[at + 6..at + 8].copy_from_slice(&flags.to_ne_bytes());
        n += 1;
        at += align4(len);
    }
    Some(n)
}

pub(crate) fn put_xt(buf: &mut MsgBuf, name: &str, rev: u32, info: &[u8]) {
    if name.is_empty() || name.len() > XT_NAME_MAXLEN {
        return buf.fail(libc::EINVAL);
    }
    buf.strz(XT_NAME, name);
    buf.u32(XT_REV, rev);
    buf.attr(XT_INFO, info);
}

/// Writes `NFTA_EXPR_NAME` and `NFTA_EXPR_DATA` of one expression.
pub(crate) fn put_expr(buf: &mut MsgBuf, e: &Expr) {
    let name = match e {
        Expr::Payload { .. } => "payload",
        Expr::Meta { .. } | Expr::MetaSet { .. } => "meta",
        Expr::Cmp { .. } => "cmp",
        Expr::Bitwise { .. } => "bitwise",
        Expr::Range { .. } => "range",
        Expr::Lookup { .. } => "lookup",
        Expr::Counter { .. } => "counter",
        Expr::Verdict(_) | Expr::Immediate { .. } => "immediate",
        Expr::Match { .. } => "match",
        Expr::Target { .. } => "target",
        Expr::Limit { .. } => "limit",
        Expr::Log { .. } => "log",
        Expr::Unknown { .. } => return buf.fail(libc::EINVAL),
    };
    buf.name(NFTA_EXPR_NAME, name);
    let data = buf.nest_start(NFTA_EXPR_DATA);
    match e {
        Expr::Payload {
            base,
            offset,
            len,
            dreg,
        } => {
            buf.u32(PAYLOAD_DREG, *dreg);
            buf.u32(PAYLOAD_BASE, base.raw());
            buf.u32(PAYLOAD_OFFSET, *offset);
            buf.u32(PAYLOAD_LEN, *len);
        }
        Expr::Meta { key, dreg } => {
            buf.u32(META_KEY, *key);
            buf.u32(META_DREG, *dreg);
        }
        Expr::MetaSet { key, sreg } => {
            buf.u32(META_KEY, *key);
            buf.u32(META_SREG, *sreg);
        }
        Expr::Cmp { sreg, op, data } => {
            buf.u32(CMP_SREG, *sreg);
            buf.u32(CMP_OP, op.raw());
            buf.data(CMP_DATA, data);
        }
        Expr::Bitwise {
            sreg,
            dreg,
            len,
            mask,
            xor,
        } => {
            buf.u32(BITWISE_SREG, *sreg);
            buf.u32(BITWISE_DREG, *dreg);
            buf.u32(BITWISE_LEN, *len);
            buf.data(BITWISE_MASK, mask);
            buf.data(BITWISE_XOR, xor);
        }
        Expr::Range { sreg, op, from, to } => {
            buf.u32(RANGE_SREG, *sreg);
            buf.u32(RANGE_OP, op.raw());
            buf.data(RANGE_FROM, from);
            buf.data(RANGE_TO, to);
        }
        Expr::Lookup { sreg, set, invert } => {
            buf.u32(LOOKUP_SREG, *sreg);
            buf.strz(LOOKUP_SET, set);
            if *invert {
                buf.u32(LOOKUP_FLAGS, NFT_LOOKUP_F_INV);
            }
        }
        Expr::Counter { packets, bytes } => {
            buf.u64(COUNTER_BYTES, *bytes);
            buf.u64(COUNTER_PACKETS, *packets);
        }
        Expr::Verdict(v) => {
            buf.u32(IMM_DREG, 0);
            let d = buf.nest_start(IMM_DATA);
            let vn = buf.nest_start(NFTA_DATA_VERDICT);
            buf.u32(NFTA_VERDICT_CODE, v.code() as u32);
            if let Verdict::Jump(c) | Verdict::Goto(c) = v {
                buf.strz(NFTA_VERDICT_CHAIN, c);
            }
            buf.nest_end(vn);
            buf.nest_end(d);
        }
        Expr::Immediate { dreg, data } => {
            if *dreg == 0 {
                return buf.fail(libc::EINVAL);
            }
            buf.u32(IMM_DREG, *dreg);
            buf.data(IMM_DATA, data);
        }
        Expr::Match { name, rev, info } | Expr::Target { name, rev, info } => {
            put_xt(buf, name, *rev, info)
        }
        Expr::Limit {
            rate,
            unit,
            burst,
            kind,
            flags,
        } => {
            buf.u64(LIMIT_RATE, *rate);
            buf.u64(LIMIT_UNIT, *unit);
            buf.u32(LIMIT_BURST, *burst);
            buf.u32(LIMIT_TYPE, *kind);
            buf.u32(LIMIT_FLAGS, *flags);
        }
        Expr::Log {
            prefix,
            group,
            snaplen,
            qthreshold,
        } => {
            // libnftnl's attribute order
            if let Some(p) = prefix {
                buf.strz(LOG_PREFIX, p);
            }
            buf.attr(LOG_GROUP, &group.to_be_bytes());
            if let Some(s) = snaplen {
                buf.u32(LOG_SNAPLEN, *s);
            }
            if let Some(q) = qthreshold {
                buf.attr(LOG_QTHRESHOLD, &q.to_be_bytes());
            }
        }
        Expr::Unknown { .. } => {}
    }
    buf.nest_end(data);
}

/// Decodes one expression (`NFTA_LIST_ELEM` payload). Anything not in
/// the form [`Expr`] models becomes `Expr::Unknown`.
pub(crate) fn expr_from_attrs(elem: &[u8]) -> Expr {
    let tb = attr_table::<3>(elem);
    let name = cstr_bytes(tb[NFTA_EXPR_NAME as usize].unwrap_or(&[]));
    let d = attr_table::<9>(tb[NFTA_EXPR_DATA as usize].unwrap_or(&[]));
    let g = |t: u16| d[t as usize];
    let u = |t: u16| be32(g(t));
    let decoded = match name {
        b"payload" if g(PAYLOAD_SREG).is_none() => (|| {
            Some(Expr::Payload {
                base: PayloadBase::from_raw(u(PAYLOAD_BASE)?),
                offset: u(PAYLOAD_OFFSET)?,
                len: u(PAYLOAD_LEN)?,
                dreg: u(PAYLOAD_DREG)?,
            })
        })(),
        b"meta" if g(META_SREG).is_none() => (|| {
            Some(Expr::Meta {
                key: u(META_KEY)?,
                dreg: u(META_DREG)?,
            })
        })(),
        b"meta" if g(META_DREG).is_none() => (|| {
            Some(Expr::MetaSet {
                key: u(META_KEY)?,
                sreg: u(META_SREG)?,
            })
        })(),
        b"cmp" => (|| {
            Some(Expr::Cmp {
                sreg: u(CMP_SREG)?,
                op: CmpOp::from_raw(u(CMP_OP)?)?,
                data: data_value(g(CMP_DATA))?,
            })
        })(),
        b"bitwise" if u(BITWISE_OP).unwrap_or(NFT_BITWISE_BOOL) == NFT_BITWISE_BOOL => (|| {
            Some(Expr::Bitwise {
                sreg: u(BITWISE_SREG)?,
                dreg: u(BITWISE_DREG)?,
                len: u(BITWISE_LEN)?,
                mask: data_value(g(BITWISE_MASK))?,
                xor: data_value(g(BITWISE_XOR))?,
            })
        })(),
        b"range" => (|| {
            let op =
                CmpOp::from_raw(u(RANGE_OP)?).filter(|o| matches!(o, CmpOp::Eq | CmpOp::Neq))?;
            Some(Expr::Range {
                sreg: u(RANGE_SREG)?,
                op,
                from: data_value(g(RANGE_FROM))?,
                to: data_value(g(RANGE_TO))?,
            })
        })(),
        b"lookup" if g(LOOKUP_DREG).is_none() => (|| {
            Some(Expr::Lookup {
                sreg: u(LOOKUP_SREG)?,
                set: attr_str(g(LOOKUP_SET)?),
                invert: u(LOOKUP_FLAGS).unwrap_or(0) & NFT_LOOKUP_F_INV != 0,
            })
        })(),
        b"counter" => (|| {
            Some(Expr::Counter {
                packets: be64(g(COUNTER_PACKETS))?,
                bytes: be64(g(COUNTER_BYTES))?,
            })
        })(),
        b"immediate" => (|| {
            let dreg = u(IMM_DREG)?;
            let data = attr_table::<3>(g(IMM_DATA)?);
            if dreg == 0 {
                let v = attr_table::<3>(data[NFTA_DATA_VERDICT as usize]?);
                let code = be32(v[NFTA_VERDICT_CODE as usize])? as i32;
                let chain = v[NFTA_VERDICT_CHAIN as usize].map(attr_str);
                Some(Expr::Verdict(Verdict::from_code(code, chain)))
            } else {
                Some(Expr::Immediate {
                    dreg,
                    data: data[NFTA_DATA_VALUE as usize]?.to_vec(),
                })
            }
        })(),
        b"match" | b"target" => (|| {
            let name_s = attr_str(g(XT_NAME)?);
            let rev = u(XT_REV)?;
            let info = g(XT_INFO)?.to_vec();
            Some(if name == b"match" {
                Expr::Match {
                    name: name_s,
                    rev,
                    info,
                }
            } else {
                Expr::Target {
                    name: name_s,
                    rev,
                    info,
                }
            })
        })(),
        b"limit" => (|| {
            Some(Expr::Limit {
                rate: be64(g(LIMIT_RATE))?,
                unit: be64(g(LIMIT_UNIT))?,
                burst: u(LIMIT_BURST)?,
                kind: u(LIMIT_TYPE).unwrap_or(0),
                flags: u(LIMIT_FLAGS).unwrap_or(0),
            })
        })(),
        // only the nflog form (a group, no level or flags)
        b"log" if g(LOG_LEVEL).is_none() && g(LOG_FLAGS).is_none() => (|| {
            let be16 = |v: &[u8]| v.try_into().ok().map(u16::from_be_bytes);
            Some(Expr::Log {
                prefix: g(LOG_PREFIX)
                    .map(|p| crate::model::bytes::from_bytes(cstr_bytes(p)).into_owned()),
                group: be16(g(LOG_GROUP)?)?,
                snaplen: match g(LOG_SNAPLEN) {
                    Some(v) => Some(be32(Some(v))?),
                    None => None,
                },
                qthreshold: match g(LOG_QTHRESHOLD) {
                    Some(v) => Some(be16(v)?),
                    None => None,
                },
            })
        })(),
        _ => None,
    };
    decoded.unwrap_or_else(|| Expr::Unknown {
        name: crate::model::bytes::from_bytes(name).into_owned(),
    })
}

/// The last expression of a `NEWRULE` message other than a counter, read
/// without decoding the others: a `-C`/`-D` passes over the rules of a
/// long chain that end in another verdict than the one it looks for.
pub(crate) fn rule_tail(msg: &NlMsg<'_>) -> Option<Expr> {
    let body = msg.bytes.get(NLMSG_HDRLEN + NFGENMSG_LEN..)?;
    let (_, list) = attrs(body).find(|(t, _)| *t == NFTA_RULE_EXPRESSIONS)?;
    let last = attrs(list)
        .filter(|(t, elem)| {
            *t == NFTA_LIST_ELEM
                && attr_table::<3>(elem)[NFTA_EXPR_NAME as usize].map(cstr_bytes)
                    != Some(b"counter")
        })
        .last()?;
    Some(expr_from_attrs(last.1))
}

/// Decodes a `NEWRULE` message into (table name bytes, rule).
pub(crate) fn rule_from_msg<'m>(msg: &NlMsg<'m>) -> Result<(&'m [u8], NftRule), i32> {
    let mut table: &[u8] = &[];
    let mut chain = None;
    let mut rule = NftRule {
        chain: String::new(),
        handle: 0,
        exprs: Vec::new(),
        compat: None,
        udata: None,
    };
    let body: &'m [u8] = msg.bytes.get(NLMSG_HDRLEN + NFGENMSG_LEN..).unwrap_or(&[]);
    for (ty, val) in attrs(body) {
        match ty {
            NFTA_RULE_TABLE => table = cstr_bytes(val),
            NFTA_RULE_CHAIN => chain = Some(attr_str(val)),
            NFTA_RULE_HANDLE => rule.handle = be64(Some(val)).ok_or(libc::EBADMSG)?,
            NFTA_RULE_USERDATA => rule.udata = Some(val.to_vec()),
            NFTA_RULE_COMPAT => {
                let c = attr_table::<3>(val);
                rule.compat = Some(RuleCompat {
                    proto: be32(c[NFTA_RULE_COMPAT_PROTO as usize]).unwrap_or(0),
                    inv: be32(c[NFTA_RULE_COMPAT_FLAGS as usize]).unwrap_or(0)
                        & NFT_RULE_COMPAT_F_INV
                        != 0,
                });
            }
            NFTA_RULE_EXPRESSIONS => {
                rule.exprs.reserve(8);
                for (t, elem) in attrs(val) {
                    if t == NFTA_LIST_ELEM {
                        rule.exprs.push(expr_from_attrs(elem));
                    }
                }
            }
            _ => {}
        }
    }
    rule.chain = chain.ok_or(libc::EBADMSG)?;
    Ok((table, rule))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::{parse, Action};
    use crate::model::Family;
    use crate::nft::encode::encode_rule;

    /// Messages built apart (`append_rule_msg`) name their table and chain
    /// and take their place in a batch by `renumber`: sequence numbers in
    /// order, the ACK on the last one only when asked.
    #[test]
    fn built_messages_take_their_place() {
        let rule = |chain: &str| NftRule {
            chain: chain.into(),
            handle: 0,
            exprs: vec![Expr::Verdict(crate::ir::Verdict::Accept)],
            compat: None,
            udata: None,
        };
        let mut out = Vec::new();
        for c in ["INPUT", "X", "a-much-longer-chain-name"] {
            append_rule_msg(&mut out, NfProto::Ipv4, "filter", &rule(c)).unwrap();
        }
        let mut seen = Vec::new();
        let mut bad = false;
        for m in messages(&out, &mut bad) {
            seen.push(m.seq);
        }
        assert!(!bad);
        assert_eq!(seen, [0, 0, 0]);
        assert_eq!(renumber(&mut out, 41, true), Some(3));
        let mut at = 0;
        for (i, want) in [(0u32, "INPUT"), (1, "X"), (2, "a-much-longer-chain-name")] {
            let len = rd_u32(&out, at) as usize;
            let m = &out[at..at + len];
            assert_eq!(rd_u32(m, 8), 41 + i);
            let flags = rd_u16(m, 6);
            assert_eq!(flags & NLM_F_ACK != 0, i == 2, "ACK on the last only");
            assert_eq!(
                flags & (NLM_F_CREATE | NLM_F_APPEND),
                NLM_F_CREATE | NLM_F_APPEND
            );
            assert_eq!(rule_msg_names(m), Some((&b"filter"[..], want.as_bytes())));
            at += align4(len);
        }
        // without the ACK, and a cut message is refused
        assert_eq!(renumber(&mut out, 7, false), Some(3));
        assert!(messages(&out, &mut bad).all(|m| m.flags & NLM_F_ACK == 0));
        let n = out.len();
        assert_eq!(renumber(&mut out[..n - 4], 7, false), None);
        // a batch's ends
        let mut b = MsgBuf::new(64);
        batch_begin(&mut b, 5, Some(9)).unwrap();
        batch_end(&mut b, 5, 3).unwrap();
        let seqs: Vec<u32> = messages(b.bytes(), &mut bad).map(|m| m.seq).collect();
        assert_eq!(seqs, [5, 9]);
    }

    /// `rule_tail` reads the last expression that is not a counter, as
    /// `rule_from_msg` would decode it, wherever the counter is.
    #[test]
    fn rule_tail_is_the_last_expression_but_counters() {
        use crate::ir::{CmpOp, Verdict};
        let counter = Expr::Counter {
            packets: 3,
            bytes: 180,
        };
        let cmp = Expr::Cmp {
            sreg: 1,
            op: CmpOp::Eq,
            data: vec![6],
        };
        let jump = Expr::Verdict(Verdict::Jump("KUBE-SVC-X".into()));
        let cases: &[(Vec<Expr>, Option<Expr>)] = &[
            (
                vec![cmp.clone(), counter.clone(), jump.clone()],
                Some(jump.clone()),
            ),
            (
                vec![cmp.clone(), jump.clone(), counter.clone()],
                Some(jump.clone()),
            ),
            (vec![counter.clone(), cmp.clone()], Some(cmp.clone())),
            (vec![counter.clone()], None),
            (vec![], None),
        ];
        for (exprs, want) in cases {
            let rule = NftRule {
                chain: "KUBE-SERVICES".into(),
                handle: 0,
                exprs: exprs.clone(),
                compat: None,
                udata: None,
            };
            let mut out = Vec::new();
            append_rule_msg(&mut out, NfProto::Ipv4, "nat", &rule).unwrap();
            let mut bad = false;
            let m = messages(&out, &mut bad).next().unwrap();
            assert_eq!(&rule_tail(&m), want, "{exprs:?}");
            let (_, back) = rule_from_msg(&m).unwrap();
            let last = back
                .exprs
                .iter()
                .rfind(|e| !matches!(e, Expr::Counter { .. }));
            assert_eq!(last, want.as_ref());
        }
    }

    /// Every kind of expression rxtables writes goes into a NEWRULE message
    /// and comes back out of it unchanged (xt blobs, verdict chains,
    /// counters, user data), without a kernel.
    #[test]
    fn rule_messages_round_trip() {
        let lines: &[(Family, &str)] = &[
            (Family::V4, "-A FORWARD -i eth0 -o eth1+ -s 10.0.0.0/8 -d 1.2.0.4/255.255.0.255 -p tcp --dport 22 -j ACCEPT"),
            (Family::V4, "-A INPUT -p udp ! --sport :1023 --dport 5:10 -f -c 7 8 -j USER"),
            (Family::V4, "-A INPUT -p tcp --tcp-option 8 -m mark --mark 1/0xff -m comment --comment hi -g USER"),
            (Family::V6, "-t nat -A PREROUTING -p udp -j DNAT --to-destination [2001:db8::1]:53"),
            (Family::V6, "-t mangle -A PREROUTING ! -i + -j MARK --set-xmark 0x1/0xff"),
        ];
        for (family, line) in lines {
            let args: Vec<String> = line.split(' ').map(String::from).collect();
            let cmd = parse(*family, &args).unwrap();
            let Action::Append { chain, rules } = &cmd.action else {
                panic!("{line}")
            };
            let (exprs, compat) = encode_rule(&rules[0], *family);
            let rule = NftRule {
                chain: chain.clone(),
                handle: 0,
                exprs,
                compat,
                udata: Some(vec![1, 2, 3]),
            };
            let fam = match family {
                Family::V4 => NfProto::Ipv4,
                Family::V6 => NfProto::Ipv6,
            };
            let mut buf = MsgBuf::new(4096);
            let args = RuleArgs {
                table: cmd.table.name(),
                chain,
                handle: None,
                position: None,
                body: Some(&rule),
            };
            rule_msg(&mut buf, NFT_MSG_NEWRULE, fam, NLM_F_CREATE, 7, args).unwrap();
            let mut bad = false;
            let parsed: Vec<(Vec<u8>, NftRule)> = messages(buf.bytes(), &mut bad)
                .map(|m| rule_from_msg(&m).map(|(t, r)| (t.to_vec(), r)).unwrap())
                .collect();
            assert!(!bad && parsed.len() == 1, "{line}");
            let (table, back) = &parsed[0];
            assert_eq!(table, cmd.table.name().as_bytes(), "{line}");
            assert_eq!(back.chain, rule.chain, "{line}");
            assert_eq!(back.exprs, rule.exprs, "{line}");
            assert_eq!(back.udata, rule.udata, "{line}");
        }
    }
}
