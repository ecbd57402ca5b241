#![allow(unsafe_code)]
//! The messages of [`super`]: libnftnl's table and chain objects (RAII
//! wrappers, parsed and built by libnftnl) and each op of a batch turned
//! into its nf_tables message. Rules are built by the pure codec
//! ([`crate::nft::wire`]); nothing here talks to the kernel.

use super::*;

// ---------------------------------------------------------------------------
// libnftnl objects (tables and chains)
// ---------------------------------------------------------------------------

pub(super) fn cstring(s: &str) -> Result<CString, i32> {
    CString::new(crate::model::bytes::to_bytes(s).into_owned()).map_err(|_| libc::EINVAL)
}

/// Copies a C string owned by libnftnl into a `String` (its bytes kept,
/// see [`crate::model::bytes`]; `""` for NULL).
///
/// # Safety
/// `p` is NULL or points to a NUL-terminated string valid for this call.
pub(super) unsafe fn copy_cstr(p: *const c_char) -> String {
    if p.is_null() {
        return String::new();
    }
    // SAFETY: p is non-NULL and NUL-terminated per the caller's contract;
    // the bytes are copied before returning.
    crate::model::bytes::from_bytes(unsafe { CStr::from_ptr(p) }.to_bytes()).into_owned()
}

/// An owned `struct nftnl_table`.
pub(super) struct Table(NonNull<nl::nftnl_table>);

impl Table {
    pub(super) fn new() -> Result<Self, i32> {
        // SAFETY: plain allocation; NULL is handled.
        let p = unsafe { nl::nftnl_table_alloc() };
        NonNull::new(p).map(Table).ok_or(libc::ENOMEM)
    }
    pub(super) fn ptr(&self) -> *mut nl::nftnl_table {
        self.0.as_ptr()
    }
    pub(super) fn set_str(&mut self, attr: u32, s: &str) -> Result<(), i32> {
        let c = cstring(s)?;
        // SAFETY: self owns a live table; libnftnl copies the string.
        let r = unsafe { nl::nftnl_table_set_str(self.ptr(), attr as u16, c.as_ptr()) };
        if r < 0 {
            Err(libc::ENOMEM)
        } else {
            Ok(())
        }
    }
    pub(super) fn get_str(&self, attr: u32) -> String {
        // SAFETY: self owns a live table; the returned string (or NULL) is
        // owned by it and copied at once.
        unsafe { copy_cstr(nl::nftnl_table_get_str(self.ptr(), attr as u16)) }
    }
    /// Parses a `NEWTABLE` message.
    pub(super) fn parse(msg: &NlMsg<'_>) -> Result<Self, i32> {
        let t = Table::new()?;
        let nlh = msg.nlh()?;
        // SAFETY: nlh is an aligned, complete netlink message of nlmsg_len
        // bytes (checked by `messages`); libnftnl reads only within
        // nlmsg_len and copies what it keeps.
        let r = unsafe { nl::nftnl_table_nlmsg_parse(nlh, t.ptr()) };
        if r < 0 {
            Err(libc::EBADMSG)
        } else {
            Ok(t)
        }
    }
}

impl Drop for Table {
    fn drop(&mut self) {
        // SAFETY: the pointer came from nftnl_table_alloc and is freed once.
        unsafe { nl::nftnl_table_free(self.ptr()) }
    }
}

/// An owned `struct nftnl_chain`.
pub(super) struct Chain(NonNull<nl::nftnl_chain>);

impl Chain {
    pub(super) fn new() -> Result<Self, i32> {
        // SAFETY: plain allocation; NULL is handled.
        let p = unsafe { nl::nftnl_chain_alloc() };
        NonNull::new(p).map(Chain).ok_or(libc::ENOMEM)
    }
    pub(super) fn named(table: &str, chain: &str) -> Result<Self, i32> {
        let mut c = Chain::new()?;
        c.set_str(nl::NFTNL_CHAIN_TABLE, table)?;
        c.set_str(nl::NFTNL_CHAIN_NAME, chain)?;
        Ok(c)
    }
    pub(super) fn ptr(&self) -> *mut nl::nftnl_chain {
        self.0.as_ptr()
    }
    pub(super) fn set_str(&mut self, attr: u32, s: &str) -> Result<(), i32> {
        let c = cstring(s)?;
        // SAFETY: self owns a live chain; libnftnl copies the string.
        let r = unsafe { nl::nftnl_chain_set_str(self.ptr(), attr as u16, c.as_ptr()) };
        if r < 0 {
            Err(libc::ENOMEM)
        } else {
            Ok(())
        }
    }
    pub(super) fn set_u32(&mut self, attr: u32, v: u32) {
        // SAFETY: self owns a live chain; attr is a u32 attribute.
        unsafe { nl::nftnl_chain_set_u32(self.ptr(), attr as u16, v) }
    }
    pub(super) fn set_s32(&mut self, attr: u32, v: i32) {
        // SAFETY: self owns a live chain; attr is an s32 attribute.
        unsafe { nl::nftnl_chain_set_s32(self.ptr(), attr as u16, v) }
    }
    pub(super) fn set_u64(&mut self, attr: u32, v: u64) {
        // SAFETY: self owns a live chain; attr is a u64 attribute.
        unsafe { nl::nftnl_chain_set_u64(self.ptr(), attr as u16, v) }
    }
    pub(super) fn is_set(&self, attr: u32) -> bool {
        // SAFETY: self owns a live chain.
        unsafe { nl::nftnl_chain_is_set(self.ptr(), attr as u16) }
    }
    pub(super) fn get_str(&self, attr: u32) -> String {
        // SAFETY: self owns a live chain; the string (or NULL) it returns
        // is copied at once.
        unsafe { copy_cstr(nl::nftnl_chain_get_str(self.ptr(), attr as u16)) }
    }
    pub(super) fn get_u32(&self, attr: u32) -> u32 {
        // SAFETY: self owns a live chain; unset attributes read as 0.
        unsafe { nl::nftnl_chain_get_u32(self.ptr(), attr as u16) }
    }
    pub(super) fn get_s32(&self, attr: u32) -> i32 {
        // SAFETY: self owns a live chain; unset attributes read as 0.
        unsafe { nl::nftnl_chain_get_s32(self.ptr(), attr as u16) }
    }
    pub(super) fn get_u64(&self, attr: u32) -> u64 {
        // SAFETY: self owns a live chain; unset attributes read as 0.
        unsafe { nl::nftnl_chain_get_u64(self.ptr(), attr as u16) }
    }
    /// Parses a `NEWCHAIN` message.
    pub(super) fn parse(msg: &NlMsg<'_>) -> Result<Self, i32> {
        let c = Chain::new()?;
        let nlh = msg.nlh()?;
        // SAFETY: nlh is an aligned, complete netlink message (see
        // Table::parse); libnftnl reads within nlmsg_len and copies what it
        // keeps.
        let r = unsafe { nl::nftnl_chain_nlmsg_parse(nlh, c.ptr()) };
        if r < 0 {
            Err(libc::EBADMSG)
        } else {
            Ok(c)
        }
    }
    pub(super) fn to_ir(&self) -> NftChain {
        let base = if self.is_set(nl::NFTNL_CHAIN_HOOKNUM) {
            Hook::from_raw(self.get_u32(nl::NFTNL_CHAIN_HOOKNUM)).map(|hook| {
                let kind = if self.is_set(nl::NFTNL_CHAIN_TYPE) {
                    self.get_str(nl::NFTNL_CHAIN_TYPE)
                } else {
                    "filter".to_string()
                };
                let policy_accept = !self.is_set(nl::NFTNL_CHAIN_POLICY)
                    || self.get_u32(nl::NFTNL_CHAIN_POLICY) == 1;
                BaseSpec {
                    kind,
                    hook,
                    prio: self.get_s32(nl::NFTNL_CHAIN_PRIO),
                    policy_accept,
                }
            })
        } else {
            None
        };
        let u64_or_0 = |attr| {
            if self.is_set(attr) {
                self.get_u64(attr)
            } else {
                0
            }
        };
        NftChain {
            table: self.get_str(nl::NFTNL_CHAIN_TABLE),
            name: self.get_str(nl::NFTNL_CHAIN_NAME),
            handle: u64_or_0(nl::NFTNL_CHAIN_HANDLE),
            base,
            packets: u64_or_0(nl::NFTNL_CHAIN_PACKETS),
            bytes: u64_or_0(nl::NFTNL_CHAIN_BYTES),
            uses: if self.is_set(nl::NFTNL_CHAIN_USE) {
                self.get_u32(nl::NFTNL_CHAIN_USE)
            } else {
                0
            },
        }
    }
}

impl Drop for Chain {
    fn drop(&mut self) {
        // SAFETY: the pointer came from nftnl_chain_alloc and is freed once.
        unsafe { nl::nftnl_chain_free(self.ptr()) }
    }
}

pub(super) fn table_msg(
    buf: &mut MsgBuf,
    cmd: u16,
    fam: NfProto,
    flags: u16,
    seq: u32,
    table: &str,
) -> Result<(), i32> {
    let mut t = Table::new()?;
    t.set_str(nl::NFTNL_TABLE_NAME, table)?;
    buf.put_nft(256 + 2 * table.len(), cmd, fam.raw(), flags, seq, |nlh| {
        // SAFETY: nlh points into buf with room for the bound; t is live.
        unsafe { nl::nftnl_table_nlmsg_build_payload(nlh, t.ptr()) }
    })
}

/// `strs`: total length of the strings set on `c`.
pub(super) fn chain_msg(
    buf: &mut MsgBuf,
    cmd: u16,
    fam: NfProto,
    flags: u16,
    seq: u32,
    c: &Chain,
    strs: usize,
) -> Result<(), i32> {
    buf.put_nft(512 + 2 * strs, cmd, fam.raw(), flags, seq, |nlh| {
        // SAFETY: nlh points into buf with room for the bound; c is live.
        unsafe { nl::nftnl_chain_nlmsg_build_payload(nlh, c.ptr()) }
    })
}

impl MsgBuf {
    /// Appends an nf_tables message whose payload libnftnl writes: `fill`
    /// gets the header and appends the payload. The whole message must fit
    /// in `bound` bytes (callers pass a bound with a wide margin over their
    /// inputs; the process aborts if it was exceeded, as memory would then
    /// be corrupt).
    pub(super) fn put_nft(
        &mut self,
        bound: usize,
        cmd: u16,
        family: u8,
        flags: u16,
        seq: u32,
        fill: impl FnOnce(*mut libc::nlmsghdr),
    ) -> Result<(), i32> {
        let start = self.buf.len();
        self.buf.resize(start + bound, 0);
        // SAFETY: `buf` has `bound` zeroed bytes from `start`, a 4-aligned
        // offset (messages are padded) in a malloc'ed (16-aligned) buffer,
        // checked below; libnftnl writes the 20-byte header there and
        // `fill` appends at most `bound` bytes in total. The buffer is not
        // resized while the pointer is in use.
        let nlh = unsafe {
            let p = self.buf.as_mut_ptr().add(start);
            if (p as usize) & 3 != 0 {
                self.buf.truncate(start);
                return Err(libc::EFAULT);
            }
            nl::nftnl_nlmsg_build_hdr(p as *mut c_char, cmd, family as u16, flags, seq)
        };
        fill(nlh);
        let len = rd_u32(&self.buf, start) as usize;
        if len > bound {
            // libnftnl wrote past the buffer: nothing sane can follow.
            std::process::abort();
        }
        self.buf.truncate(start + align4(len));
        if len > u16::MAX as usize {
            // 16-bit nested lengths may have wrapped.
            self.buf.truncate(start);
            return Err(libc::E2BIG);
        }
        Ok(())
    }
}

// ---------------------------------------------------------------------------
// Operations to messages
// ---------------------------------------------------------------------------

/// Op `i` of a batch of `total` begun at `base`. Only the last op asks
/// for an ACK: its arrival proves the kernel processed the whole batch.
pub(super) fn put_op(
    buf: &mut MsgBuf,
    fam: NfProto,
    base: u32,
    total: usize,
    i: usize,
    op: &Op,
) -> Result<(), CommitError> {
    let ack = if i + 1 == total { NLM_F_ACK } else { 0 };
    let seq = base.wrapping_add(1 + i as u32);
    op_msg(buf, fam, seq, op, ack).map_err(|e| CommitError::at(Some(i), e))
}

pub(super) fn op_msg(
    buf: &mut MsgBuf,
    fam: NfProto,
    seq: u32,
    op: &Op,
    ack: u16,
) -> Result<(), i32> {
    match op {
        Op::AddTable { table } => {
            table_msg(buf, NFT_MSG_NEWTABLE, fam, NLM_F_CREATE | ack, seq, table)
        }
        Op::DelTable { table } => table_msg(buf, NFT_MSG_DELTABLE, fam, ack, seq, table),
        Op::AddChain {
            table,
            chain,
            base,
            excl,
        } => {
            let mut c = Chain::named(table, chain)?;
            let mut strs = table.len() + chain.len();
            if let Some(b) = base {
                c.set_u32(nl::NFTNL_CHAIN_HOOKNUM, b.hook.raw());
                c.set_s32(nl::NFTNL_CHAIN_PRIO, b.prio);
                c.set_str(nl::NFTNL_CHAIN_TYPE, &b.kind)?;
                c.set_u32(nl::NFTNL_CHAIN_POLICY, u32::from(b.policy_accept));
                // With counters, as 1.8.10+ create them, so that the policy
                // counters of `-L -v` and `save -c` count packets.
                c.set_u64(nl::NFTNL_CHAIN_PACKETS, 0);
                c.set_u64(nl::NFTNL_CHAIN_BYTES, 0);
                strs += b.kind.len();
            }
            // As iptables-nft: built-in chains NLM_F_CREATE, `-N` NLM_F_EXCL.
            let flags = if *excl { NLM_F_EXCL } else { NLM_F_CREATE };
            chain_msg(buf, NFT_MSG_NEWCHAIN, fam, flags | ack, seq, &c, strs)
        }
        Op::SetPolicy {
            table,
            chain,
            accept,
            counters,
        } => {
            let mut c = Chain::named(table, chain)?;
            c.set_u32(nl::NFTNL_CHAIN_POLICY, u32::from(*accept));
            if let Some((p, b)) = counters {
                c.set_u64(nl::NFTNL_CHAIN_PACKETS, *p);
                c.set_u64(nl::NFTNL_CHAIN_BYTES, *b);
            }
            chain_msg(
                buf,
                NFT_MSG_NEWCHAIN,
                fam,
                ack,
                seq,
                &c,
                table.len() + chain.len(),
            )
        }
        Op::RenameChain {
            table,
            handle,
            new_name,
        } => {
            let mut c = Chain::named(table, new_name)?;
            c.set_u64(nl::NFTNL_CHAIN_HANDLE, *handle);
            chain_msg(
                buf,
                NFT_MSG_NEWCHAIN,
                fam,
                ack,
                seq,
                &c,
                table.len() + new_name.len(),
            )
        }
        Op::DelChain { table, chain } => {
            let c = Chain::named(table, chain)?;
            // NLM_F_NONREC: a chain still holding rules is refused (EBUSY)
            // rather than flushed, as with iptables-nft `-X`.
            chain_msg(
                buf,
                NFT_MSG_DELCHAIN,
                fam,
                NLM_F_NONREC | ack,
                seq,
                &c,
                table.len() + chain.len(),
            )
        }
        Op::AddRule { table, rule, pos } => {
            let (flags, position) = match pos {
                Position::Append => (NLM_F_CREATE | NLM_F_APPEND, None),
                Position::Prepend => (NLM_F_CREATE, None),
                Position::Before(h) => (NLM_F_CREATE, Some(*h)),
                Position::After(h) => (NLM_F_CREATE | NLM_F_APPEND, Some(*h)),
            };
            let a = RuleArgs {
                table,
                chain: &rule.chain,
                handle: None,
                position,
                body: Some(rule),
            };
            rule_msg(buf, NFT_MSG_NEWRULE, fam, flags | ack, seq, a)
        }
        Op::ReplaceRule { table, rule } => {
            let a = RuleArgs {
                table,
                chain: &rule.chain,
                handle: Some(rule.handle),
                position: None,
                body: Some(rule),
            };
            rule_msg(
                buf,
                NFT_MSG_NEWRULE,
                fam,
                NLM_F_CREATE | NLM_F_REPLACE | ack,
                seq,
                a,
            )
        }
        Op::DelRule {
            table,
            chain,
            handle,
        } => {
            let a = RuleArgs {
                table,
                chain,
                handle: Some(*handle),
                position: None,
                body: None,
            };
            rule_msg(buf, NFT_MSG_DELRULE, fam, ack, seq, a)
        }
        Op::FlushChain { table, chain } => {
            if chain.is_empty() {
                return Err(libc::EINVAL);
            }
            let a = RuleArgs {
                table,
                chain,
                handle: None,
                position: None,
                body: None,
            };
            rule_msg(buf, NFT_MSG_DELRULE, fam, ack, seq, a)
        }
        Op::FlushTable { table } => {
            let a = RuleArgs {
                table,
                chain: "",
                handle: None,
                position: None,
                body: None,
            };
            rule_msg(buf, NFT_MSG_DELRULE, fam, ack, seq, a)
        }
    }
}
