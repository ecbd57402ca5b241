#![allow(unsafe_code)]
//! Netlink access to nf_tables: the only module of rxtables that talks to
//! the kernel and the only one with `unsafe` code.
//!
//! Tables and chains are encoded and decoded by libnftnl, through RAII
//! wrappers private to this module; rules, the hot path (100k-rule
//! restores and dumps), are encoded and decoded by the pure codec in
//! [`super::wire`], in the very bytes libnftnl would produce (the tests
//! here compare the two byte for byte). Requests go through a libmnl socket. Everything that
//! leaves the module is plain [`super::ir`] data, copied out of libnftnl's
//! memory at once.
//!
//! Behaviour follows iptables-nft 1.8.9 (checked against its netlink
//! traffic):
//!
//! * a transaction is one nf_tables batch (`BATCH_BEGIN` .. `BATCH_END`)
//!   sent with a single `sendto`, the generation id in `BATCH_BEGIN` when
//!   given;
//! * no message asks for an ACK except the last operation of the batch. The
//!   kernel processes a batch synchronously inside `sendto` and queues its
//!   answers (errors, and that one ACK) on the socket before `sendto`
//!   returns, so they are then read without blocking. A stale generation
//!   id makes the kernel reject the whole batch with `ERESTART` (85, the
//!   uapi value, as seen by userspace), reported against `BATCH_BEGIN`,
//!   i.e. with `index: None`;
//! * the kernel does not store or dump `NFTA_RULE_COMPAT`: rules read back
//!   always have `compat: None`, whatever was written. iptables-nft 1.8.9
//!   sends it with every rule (`proto` 0 without `-p`, `F_INV` for
//!   `! -p`); xt matches tied to a protocol (`tcp`, `udp`, ...) are
//!   refused (EINVAL) without it. iptables-nft 1.8.9 sets no
//!   `NFTNL_RULE_USERDATA` (`-m comment` is an xt `comment` match).
//!
//! Message flags as iptables-nft 1.8.9 sends them: NEWTABLE `CREATE`;
//! NEWCHAIN `CREATE` for built-in chains, `EXCL` for `-N`, none for policy
//! and rename; DELCHAIN `NONREC`; NEWRULE `CREATE` (+`APPEND` for append
//! and after-handle), `CREATE|REPLACE` to replace; DELRULE none.

use super::wire::*;
use crate::ir::*;
use nftnl::nftnl_sys as nl;
use std::ffi::{CStr, CString};
use std::os::raw::{c_char, c_int, c_void};
use std::os::unix::io::AsRawFd;
use std::ptr::NonNull;

// ---------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------

/// A failed request to the kernel (or a local failure preparing it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("{op}: {}", std::io::Error::from_raw_os_error(*errno))]
pub struct SysError {
    /// what was being done
    pub op: &'static str,
    /// positive errno
    pub errno: i32,
}

/// A failed [`Nft::commit`]. Nothing of the batch was applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error(
    "nf_tables transaction failed{}: {}",
    match index { Some(i) => format!(" at operation {i}"), None => String::new() },
    std::io::Error::from_raw_os_error(*errno)
)]
pub struct CommitError {
    /// Index into the `ops` slice of the message the kernel rejected (or
    /// that could not be encoded); `None` when the batch as a whole failed
    /// (stale generation id, commit-phase error, socket error).
    pub index: Option<usize>,
    /// positive errno
    pub errno: i32,
}

impl CommitError {
    /// The ruleset changed since the generation id passed to
    /// [`Nft::commit`] was read (`ERESTART`): refresh and retry.
    pub fn is_restart(&self) -> bool {
        self.errno == ERESTART
    }
}

/// The errno the kernel returns for a batch whose generation id is stale
/// (`ERESTART`, 85 on Linux; iptables-nft retries on it).
pub const ERESTART: i32 = 85;

fn sys_err(op: &'static str, errno: i32) -> SysError {
    SysError { op, errno }
}

fn last_errno() -> i32 {
    std::io::Error::last_os_error()
        .raw_os_error()
        .unwrap_or(libc::EIO)
}

// ---------------------------------------------------------------------------
// libnftnl objects (tables and chains)
// ---------------------------------------------------------------------------

fn cstring(s: &str) -> Result<CString, i32> {
    CString::new(crate::model::bytes::to_bytes(s).into_owned()).map_err(|_| libc::EINVAL)
}

/// Copies a C string owned by libnftnl into a `String` (its bytes kept,
/// see [`crate::model::bytes`]; `""` for NULL).
///
/// # Safety
/// `p` is NULL or points to a NUL-terminated string valid for this call.
unsafe fn copy_cstr(p: *const c_char) -> String {
    if p.is_null() {
        return String::new();
    }
    // SAFETY: p is non-NULL and NUL-terminated per the caller's contract;
    // the bytes are copied before returning.
    crate::model::bytes::from_bytes(unsafe { CStr::from_ptr(p) }.to_bytes()).into_owned()
}

/// An owned `struct nftnl_table`.
struct Table(NonNull<nl::nftnl_table>);

impl Table {
    fn new() -> Result<Self, i32> {
        // SAFETY: plain allocation; NULL is handled.
        let p = unsafe { nl::nftnl_table_alloc() };
        NonNull::new(p).map(Table).ok_or(libc::ENOMEM)
    }
    fn ptr(&self) -> *mut nl::nftnl_table {
        self.0.as_ptr()
    }
    fn set_str(&mut self, attr: u32, s: &str) -> Result<(), i32> {
        let c = cstring(s)?;
        // SAFETY: self owns a live table; libnftnl copies the string.
        let r = unsafe { nl::nftnl_table_set_str(self.ptr(), attr as u16, c.as_ptr()) };
        if r < 0 {
            Err(libc::ENOMEM)
        } else {
            Ok(())
        }
    }
    fn get_str(&self, attr: u32) -> String {
        // SAFETY: self owns a live table; the returned string (or NULL) is
        // owned by it and copied at once.
        unsafe { copy_cstr(nl::nftnl_table_get_str(self.ptr(), attr as u16)) }
    }
    /// Parses a `NEWTABLE` message.
    fn parse(msg: &NlMsg<'_>) -> Result<Self, i32> {
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
struct Chain(NonNull<nl::nftnl_chain>);

impl Chain {
    fn new() -> Result<Self, i32> {
        // SAFETY: plain allocation; NULL is handled.
        let p = unsafe { nl::nftnl_chain_alloc() };
        NonNull::new(p).map(Chain).ok_or(libc::ENOMEM)
    }
    fn named(table: &str, chain: &str) -> Result<Self, i32> {
        let mut c = Chain::new()?;
        c.set_str(nl::NFTNL_CHAIN_TABLE, table)?;
        c.set_str(nl::NFTNL_CHAIN_NAME, chain)?;
        Ok(c)
    }
    fn ptr(&self) -> *mut nl::nftnl_chain {
        self.0.as_ptr()
    }
    fn set_str(&mut self, attr: u32, s: &str) -> Result<(), i32> {
        let c = cstring(s)?;
        // SAFETY: self owns a live chain; libnftnl copies the string.
        let r = unsafe { nl::nftnl_chain_set_str(self.ptr(), attr as u16, c.as_ptr()) };
        if r < 0 {
            Err(libc::ENOMEM)
        } else {
            Ok(())
        }
    }
    fn set_u32(&mut self, attr: u32, v: u32) {
        // SAFETY: self owns a live chain; attr is a u32 attribute.
        unsafe { nl::nftnl_chain_set_u32(self.ptr(), attr as u16, v) }
    }
    fn set_s32(&mut self, attr: u32, v: i32) {
        // SAFETY: self owns a live chain; attr is an s32 attribute.
        unsafe { nl::nftnl_chain_set_s32(self.ptr(), attr as u16, v) }
    }
    fn set_u64(&mut self, attr: u32, v: u64) {
        // SAFETY: self owns a live chain; attr is a u64 attribute.
        unsafe { nl::nftnl_chain_set_u64(self.ptr(), attr as u16, v) }
    }
    fn is_set(&self, attr: u32) -> bool {
        // SAFETY: self owns a live chain.
        unsafe { nl::nftnl_chain_is_set(self.ptr(), attr as u16) }
    }
    fn get_str(&self, attr: u32) -> String {
        // SAFETY: self owns a live chain; the string (or NULL) it returns
        // is copied at once.
        unsafe { copy_cstr(nl::nftnl_chain_get_str(self.ptr(), attr as u16)) }
    }
    fn get_u32(&self, attr: u32) -> u32 {
        // SAFETY: self owns a live chain; unset attributes read as 0.
        unsafe { nl::nftnl_chain_get_u32(self.ptr(), attr as u16) }
    }
    fn get_s32(&self, attr: u32) -> i32 {
        // SAFETY: self owns a live chain; unset attributes read as 0.
        unsafe { nl::nftnl_chain_get_s32(self.ptr(), attr as u16) }
    }
    fn get_u64(&self, attr: u32) -> u64 {
        // SAFETY: self owns a live chain; unset attributes read as 0.
        unsafe { nl::nftnl_chain_get_u64(self.ptr(), attr as u16) }
    }
    /// Parses a `NEWCHAIN` message.
    fn parse(msg: &NlMsg<'_>) -> Result<Self, i32> {
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
    fn to_ir(&self) -> NftChain {
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

fn table_msg(
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
fn chain_msg(
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
    fn put_nft(
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

fn op_msg(buf: &mut MsgBuf, fam: NfProto, seq: u32, op: &Op, ack: u16) -> Result<(), i32> {
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
// ---------------------------------------------------------------------------
// The socket
// ---------------------------------------------------------------------------

/// 8-byte aligned receive buffer.
struct RecvBuf(Vec<u64>);

impl RecvBuf {
    fn new(size: usize) -> Self {
        RecvBuf(vec![0u64; size / 8])
    }
    fn bytes(&self, n: usize) -> &[u8] {
        // SAFETY: the Vec<u64> holds len*8 initialized bytes; n is clamped
        // to that; u8 has no alignment requirement.
        let all =
            unsafe { std::slice::from_raw_parts(self.0.as_ptr() as *const u8, self.0.len() * 8) };
        &all[..n.min(all.len())]
    }
}

/// How a reply stream ends.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Until {
    /// dump: until `NLMSG_DONE`
    Done,
    /// request with NLM_F_ACK: until the ACK (or error)
    Ack,
}

/// A netlink socket to nf_tables.
pub struct Nft {
    sock: mnl::Socket,
    seq: u32,
    rbuf: RecvBuf,
    sndbuf: usize,
    /// how many commits had to wait for their answer after the
    /// non-blocking read (expected to stay 0)
    #[cfg(test)]
    commit_waits: usize,
}

impl std::fmt::Debug for Nft {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Nft")
            .field("fd", &self.sock.as_raw_fd())
            .field("seq", &self.seq)
            .finish_non_exhaustive()
    }
}

// SAFETY: Nft exclusively owns its mnl_socket (a plain fd plus address);
// libmnl keeps no thread-local or shared state for it, so moving it to
// another thread is sound. It is not Sync (methods take &mut self).
unsafe impl Send for Nft {}

impl Nft {
    /// Opens and binds a netlink socket to nf_tables.
    pub fn open() -> Result<Nft, SysError> {
        let sock = mnl::Socket::new(mnl::Bus::Netfilter)
            .map_err(|e| sys_err("netlink socket", e.raw_os_error().unwrap_or(libc::EIO)))?;
        let seq = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs() as u32)
            .unwrap_or(1);
        let mut nft = Nft {
            sock,
            seq,
            rbuf: RecvBuf::new(RECV_BUF_SIZE),
            sndbuf: 0,
            #[cfg(test)]
            commit_waits: 0,
        };
        // Errors carry only the original header, not the whole message.
        let _ = nft.setsockopt(SOL_NETLINK, NETLINK_CAP_ACK, 1);
        if nft
            .setsockopt(libc::SOL_SOCKET, SO_RCVBUFFORCE, RCVBUF_SIZE)
            .is_err()
        {
            let _ = nft.setsockopt(libc::SOL_SOCKET, libc::SO_RCVBUF, RCVBUF_SIZE);
        }
        Ok(nft)
    }

    fn setsockopt(&mut self, level: c_int, name: c_int, val: c_int) -> Result<(), i32> {
        // SAFETY: the fd is our open socket; val is a c_int passed by
        // pointer with its size.
        let r = unsafe {
            libc::setsockopt(
                self.sock.as_raw_fd(),
                level,
                name,
                &val as *const c_int as *const c_void,
                std::mem::size_of::<c_int>() as libc::socklen_t,
            )
        };
        if r < 0 {
            Err(last_errno())
        } else {
            Ok(())
        }
    }

    fn next_seq(&mut self) -> u32 {
        self.seq = self.seq.wrapping_add(1);
        self.seq
    }

    fn send(&mut self, data: &[u8]) -> Result<(), i32> {
        // One sendto of the whole buffer: the kernel gets one skb.
        match self.sock.send(data) {
            Ok(n) if n == data.len() => Ok(()),
            Ok(_) => Err(libc::EMSGSIZE),
            Err(e) => Err(e.raw_os_error().unwrap_or(libc::EIO)),
        }
    }

    /// Receives one datagram; `Ok(None)` when nothing is pending (with
    /// `MSG_DONTWAIT`).
    fn recv(sock: &mnl::Socket, rbuf: &mut RecvBuf, flags: c_int) -> Result<Option<usize>, i32> {
        loop {
            let len = rbuf.0.len() * 8;
            // SAFETY: rbuf is a writable buffer of `len` bytes that we own
            // exclusively for the call; the fd is our open socket.
            let n = unsafe {
                libc::recv(
                    sock.as_raw_fd(),
                    rbuf.0.as_mut_ptr() as *mut c_void,
                    len,
                    flags,
                )
            };
            if n >= 0 {
                return Ok(Some(n as usize));
            }
            match last_errno() {
                libc::EINTR => continue,
                libc::EAGAIN => return Ok(None),
                e => return Err(e),
            }
        }
    }

    /// Sends one request and reads the replies with sequence number `seq`
    /// until `until`, calling `f` on each data message. Returns whether the
    /// kernel flagged the dump as interrupted. Errors reported by the
    /// kernel (or by `f`) are returned after the stream has been read to
    /// its end.
    fn talk(
        &mut self,
        req: &[u8],
        seq: u32,
        until: Until,
        mut f: impl FnMut(&NlMsg<'_>) -> Result<(), i32>,
    ) -> Result<bool, i32> {
        self.send(req)?;
        let mut intr = false;
        let mut first_err: Option<i32> = None;
        loop {
            let n = match Self::recv(&self.sock, &mut self.rbuf, 0)? {
                Some(n) => n,
                None => continue,
            };
            let mut bad = false;
            let mut finished = false;
            for m in messages(self.rbuf.bytes(n), &mut bad) {
                if m.seq != seq {
                    continue; // stale answer to an earlier request
                }
                if m.flags & NLM_F_DUMP_INTR != 0 {
                    intr = true;
                }
                match m.ty {
                    NLMSG_NOOP => {}
                    NLMSG_ERROR => {
                        let e = m.error();
                        if e != 0 {
                            first_err.get_or_insert(e);
                        }
                        finished = true;
                    }
                    NLMSG_DONE => {
                        // A dump's DONE may carry an error code.
                        let e = m.error();
                        if e > 0 {
                            first_err.get_or_insert(e);
                        }
                        if until == Until::Done {
                            finished = true;
                        }
                    }
                    _ => {
                        if first_err.is_none() {
                            if let Err(e) = f(&m) {
                                first_err = Some(e);
                            }
                        }
                    }
                }
            }
            if bad {
                first_err.get_or_insert(libc::EBADMSG);
            }
            if finished {
                break;
            }
        }
        match first_err {
            Some(e) => Err(e),
            None => Ok(intr),
        }
    }

    /// Runs a dump, restarting it while the kernel reports it interrupted
    /// (ruleset changed meanwhile). `build` writes the request with the
    /// given sequence number; `f` collects, and `reset` clears what `f`
    /// collected before a restart.
    fn dump(
        &mut self,
        op: &'static str,
        build: impl Fn(&mut MsgBuf, u32) -> Result<(), i32>,
        mut reset: impl FnMut(),
        mut f: impl FnMut(&NlMsg<'_>) -> Result<(), i32>,
    ) -> Result<(), SysError> {
        let mut tries = 0;
        loop {
            let seq = self.next_seq();
            let mut req = MsgBuf::new(1024);
            build(&mut req, seq).map_err(|e| sys_err(op, e))?;
            match self.talk(req.bytes(), seq, Until::Done, &mut f) {
                Ok(false) => return Ok(()),
                Ok(true) | Err(libc::EINTR) if tries < 100 => {
                    tries += 1;
                    reset();
                }
                Ok(true) => return Err(sys_err(op, libc::EINTR)),
                Err(e) => return Err(sys_err(op, e)),
            }
        }
    }

    /// Reads the ruleset generation id (`NFT_MSG_GETGEN`).
    pub fn genid(&mut self) -> Result<u32, SysError> {
        const OP: &str = "get generation id";
        let seq = self.next_seq();
        let mut req = MsgBuf::new(64);
        req.put_raw(
            nft_type(NFT_MSG_GETGEN),
            NLM_F_ACK,
            seq,
            libc::AF_UNSPEC as u8,
            0,
            &[],
        )
        .map_err(|e| sys_err(OP, e))?;
        let mut id = None;
        self.talk(req.bytes(), seq, Until::Ack, |m| {
            if m.ty == nft_type(NFT_MSG_NEWGEN) {
                let p = m.nf_attrs();
                for (t, v) in attrs(p) {
                    if t == NFTA_GEN_ID {
                        if let Ok(b) = <[u8; 4]>::try_from(v) {
                            id = Some(u32::from_be_bytes(b));
                        }
                    }
                }
            }
            Ok(())
        })
        .map_err(|e| sys_err(OP, e))?;
        id.ok_or(sys_err(OP, libc::EBADMSG))
    }

    /// Names of the tables of family `fam` (dump).
    pub fn tables(&mut self, fam: NfProto) -> Result<Vec<String>, SysError> {
        let mut out = Vec::new();
        let cell = std::cell::RefCell::new(&mut out);
        self.dump(
            "list tables",
            |b, seq| b.put_nft(64, NFT_MSG_GETTABLE, fam.raw(), NLM_F_DUMP, seq, |_| {}),
            || cell.borrow_mut().clear(),
            |m| {
                if m.ty == nft_type(NFT_MSG_NEWTABLE) {
                    let t = Table::parse(m)?;
                    cell.borrow_mut().push(t.get_str(nl::NFTNL_TABLE_NAME));
                }
                Ok(())
            },
        )?;
        Ok(out)
    }

    /// Whether table `table` of family `fam` exists.
    pub fn table_exists(&mut self, fam: NfProto, table: &str) -> Result<bool, SysError> {
        const OP: &str = "get table";
        let seq = self.next_seq();
        let mut req = MsgBuf::new(1024);
        table_msg(&mut req, NFT_MSG_GETTABLE, fam, NLM_F_ACK, seq, table)
            .map_err(|e| sys_err(OP, e))?;
        match self.talk(req.bytes(), seq, Until::Ack, |_| Ok(())) {
            Ok(_) => Ok(true),
            Err(libc::ENOENT) => Ok(false),
            Err(e) => Err(sys_err(OP, e)),
        }
    }

    /// All chains of table `table`, in kernel order; none if the table
    /// does not exist.
    pub fn chains(&mut self, fam: NfProto, table: &str) -> Result<Vec<NftChain>, SysError> {
        let mut out = Vec::new();
        let cell = std::cell::RefCell::new(&mut out);
        self.dump(
            "list chains",
            |b, seq| {
                let mut c = Chain::new()?;
                c.set_str(nl::NFTNL_CHAIN_TABLE, table)?;
                chain_msg(b, NFT_MSG_GETCHAIN, fam, NLM_F_DUMP, seq, &c, table.len())
            },
            || cell.borrow_mut().clear(),
            |m| {
                if m.ty == nft_type(NFT_MSG_NEWCHAIN) {
                    let c = Chain::parse(m)?.to_ir();
                    // The kernel does not filter chain dumps by table.
                    if c.table == table {
                        cell.borrow_mut().push(c);
                    }
                }
                Ok(())
            },
        )?;
        Ok(out)
    }

    /// One chain by name; `None` if it (or its table) does not exist.
    pub fn chain(
        &mut self,
        fam: NfProto,
        table: &str,
        chain: &str,
    ) -> Result<Option<NftChain>, SysError> {
        const OP: &str = "get chain";
        let seq = self.next_seq();
        let mut req = MsgBuf::new(1024);
        Chain::named(table, chain)
            .and_then(|c| {
                chain_msg(
                    &mut req,
                    NFT_MSG_GETCHAIN,
                    fam,
                    NLM_F_ACK,
                    seq,
                    &c,
                    table.len() + chain.len(),
                )
            })
            .map_err(|e| sys_err(OP, e))?;
        let mut found = None;
        match self.talk(req.bytes(), seq, Until::Ack, |m| {
            if m.ty == nft_type(NFT_MSG_NEWCHAIN) {
                found = Some(Chain::parse(m)?.to_ir());
            }
            Ok(())
        }) {
            Ok(_) => Ok(found),
            Err(libc::ENOENT) => Ok(None),
            Err(e) => Err(sys_err(OP, e)),
        }
    }

    /// Rules of table `table`, or of its chain `chain` only (the kernel
    /// filters the dump), in kernel order; none if the table or chain
    /// does not exist.
    pub fn rules(
        &mut self,
        fam: NfProto,
        table: &str,
        chain: Option<&str>,
    ) -> Result<Vec<NftRule>, SysError> {
        let mut out = Vec::new();
        let cell = std::cell::RefCell::new(&mut out);
        self.dump(
            "list rules",
            |b, seq| {
                let a = RuleArgs {
                    table,
                    chain: chain.unwrap_or(""),
                    handle: None,
                    position: None,
                    body: None,
                };
                rule_msg(b, NFT_MSG_GETRULE, fam, NLM_F_DUMP, seq, a)
            },
            || cell.borrow_mut().clear(),
            |m| {
                if m.ty == nft_type(NFT_MSG_NEWRULE) {
                    let (t, r) = rule_from_msg(m)?;
                    // Filtered by the kernel already; checked again for
                    // kernels that ignore the filter.
                    if t == table.as_bytes() && chain.is_none_or(|c| c == r.chain) {
                        cell.borrow_mut().push(r);
                    }
                }
                Ok(())
            },
        )?;
        Ok(out)
    }

    /// Streams the rules of one chain to `f` in kernel order and stops the
    /// dump as soon as `f` returns `false`, so a `-C`/`-D` that finds its
    /// rule early does not pay for the rest of a long chain. Returns
    /// whether it stopped early. An interrupted dump (the ruleset changed
    /// while it ran) is reported as `EINTR`: the caller reads again.
    pub fn rules_while(
        &mut self,
        fam: NfProto,
        table: &str,
        chain: &str,
        mut f: impl FnMut(NftRule) -> bool,
    ) -> Result<bool, SysError> {
        const OP: &str = "list rules";
        let seq = self.next_seq();
        let mut req = MsgBuf::new(1024);
        let a = RuleArgs {
            table,
            chain,
            handle: None,
            position: None,
            body: None,
        };
        rule_msg(&mut req, NFT_MSG_GETRULE, fam, NLM_F_DUMP, seq, a).map_err(|e| sys_err(OP, e))?;
        self.send(req.bytes()).map_err(|e| sys_err(OP, e))?;
        loop {
            let n = match Self::recv(&self.sock, &mut self.rbuf, 0).map_err(|e| sys_err(OP, e))? {
                Some(n) => n,
                None => continue,
            };
            let mut bad = false;
            let mut stop = false;
            let mut done: Option<Result<bool, SysError>> = None;
            for m in messages(self.rbuf.bytes(n), &mut bad) {
                if m.seq != seq || stop || done.is_some() {
                    continue;
                }
                if m.flags & NLM_F_DUMP_INTR != 0 {
                    done = Some(Err(sys_err(OP, libc::EINTR)));
                    continue;
                }
                match m.ty {
                    NLMSG_ERROR | NLMSG_DONE => {
                        let e = m.error();
                        done = Some(match e {
                            0 => Ok(false),
                            libc::ENOENT => Ok(false),
                            e if e > 0 => Err(sys_err(OP, e)),
                            _ => Ok(false),
                        });
                    }
                    t if t == nft_type(NFT_MSG_NEWRULE) => {
                        let (t, r) = rule_from_msg(&m).map_err(|e| sys_err(OP, e))?;
                        if t == table.as_bytes() && r.chain == chain && !f(r) {
                            stop = true;
                        }
                    }
                    _ => {}
                }
            }
            if stop || matches!(done, Some(Err(_))) {
                // The kernel still holds the rest of the dump for this
                // socket; a fresh socket is cheaper than draining it.
                *self = Nft::open()?;
            }
            if stop {
                return Ok(true);
            }
            if let Some(r) = done {
                return r;
            }
            if bad {
                return Err(sys_err(OP, libc::EBADMSG));
            }
        }
    }

    /// Sends `ops` as one nf_tables transaction (batch) and reports the
    /// first error with the index of the operation that caused it.
    ///
    /// With `genid` the kernel refuses the whole batch with `ERESTART`
    /// ([`CommitError::is_restart`]) if the ruleset changed since.
    /// Nothing is applied unless everything is.
    pub fn commit(
        &mut self,
        fam: NfProto,
        genid: Option<u32>,
        ops: &[Op],
    ) -> Result<(), CommitError> {
        self.commit_iter(fam, genid, ops.iter())
    }

    /// [`Nft::commit`] taking the ops one at a time: each is written into
    /// the batch and dropped before the next is asked for, so a caller with
    /// 100k rules never holds them all (restore).
    pub fn commit_iter<I, O>(
        &mut self,
        fam: NfProto,
        genid: Option<u32>,
        ops: I,
    ) -> Result<(), CommitError>
    where
        I: IntoIterator<Item = O>,
        I::IntoIter: ExactSizeIterator,
        O: std::borrow::Borrow<Op>,
    {
        let ops = ops.into_iter();
        let total = ops.len();
        if total == 0 {
            return Ok(());
        }
        let n = total as u32;
        let base = self.seq.wrapping_add(1);
        self.seq = self.seq.wrapping_add(n + 2);
        let err = |index, errno| CommitError { index, errno };

        let mut buf = MsgBuf::new(64 * 1024 + total * 512);
        let genid_be = genid.map(u32::to_be_bytes);
        let begin_attrs: Vec<(u16, &[u8])> = match &genid_be {
            Some(g) => vec![(NFNL_BATCH_GENID, &g[..])],
            None => Vec::new(),
        };
        buf.put_raw(
            NFNL_MSG_BATCH_BEGIN,
            0,
            base,
            libc::AF_UNSPEC as u8,
            NFNL_SUBSYS_NFTABLES,
            &begin_attrs,
        )
        .map_err(|e| err(None, e))?;
        for (i, op) in ops.enumerate() {
            // Only the last operation asks for an ACK: its arrival proves
            // the kernel processed the whole batch.
            let ack = if i + 1 == total { NLM_F_ACK } else { 0 };
            let seq = base.wrapping_add(1 + i as u32);
            op_msg(&mut buf, fam, seq, op.borrow(), ack).map_err(|e| err(Some(i), e))?;
        }
        let end_seq = base.wrapping_add(n + 1);
        buf.put_raw(
            NFNL_MSG_BATCH_END,
            0,
            end_seq,
            libc::AF_UNSPEC as u8,
            NFNL_SUBSYS_NFTABLES,
            &[],
        )
        .map_err(|e| err(None, e))?;
        let batch = buf.bytes();

        // The kernel refuses a message larger than the send buffer.
        if batch.len() + 4096 > self.sndbuf {
            let want = (batch.len() + 4096).min(c_int::MAX as usize / 2);
            let ok = self
                .setsockopt(libc::SOL_SOCKET, SO_SNDBUFFORCE, want as c_int)
                .is_ok()
                || self
                    .setsockopt(libc::SOL_SOCKET, libc::SO_SNDBUF, want as c_int)
                    .is_ok();
            if ok {
                self.sndbuf = want;
            }
        }
        self.send(batch).map_err(|e| err(None, e))?;

        // Answers to the batch are queued by the time sendto returns.
        let last_seq = base.wrapping_add(n);
        let mut first: Option<CommitError> = None;
        let mut acked = false;
        let mut overrun = false;
        let mut blocking = false;
        loop {
            let flags = if blocking { 0 } else { libc::MSG_DONTWAIT };
            if blocking && !self.poll_in(10_000).map_err(|e| err(None, e))? {
                return Err(first.unwrap_or(err(None, libc::ETIMEDOUT)));
            }
            let got = match Self::recv(&self.sock, &mut self.rbuf, flags) {
                Ok(g) => g,
                Err(libc::ENOBUFS) => {
                    overrun = true;
                    continue;
                }
                Err(e) => return Err(first.unwrap_or(err(None, e))),
            };
            let Some(len) = got else {
                // Queue empty.
                if first.is_some() || acked || overrun {
                    break;
                }
                #[cfg(test)]
                {
                    self.commit_waits += 1;
                }
                blocking = true;
                continue;
            };
            let mut bad = false;
            for m in messages(self.rbuf.bytes(len), &mut bad) {
                let rel = m.seq.wrapping_sub(base);
                if m.ty != NLMSG_ERROR || rel > n + 1 {
                    continue;
                }
                let e = m.error();
                if e == 0 {
                    if m.seq == last_seq {
                        acked = true;
                    }
                    continue;
                }
                if first.is_none() {
                    let index = rel.checked_sub(1).filter(|&i| i < n).map(|i| i as usize);
                    first = Some(err(index, e));
                }
            }
            if bad && first.is_none() {
                first = Some(err(None, libc::EBADMSG));
            }
            if blocking && (first.is_some() || acked) {
                // Drain whatever else is queued, without waiting.
                blocking = false;
            }
        }
        if let Some(e) = first {
            return Err(e);
        }
        if overrun && !acked {
            return Err(err(None, libc::ENOBUFS));
        }
        Ok(())
    }

    /// Waits up to `ms` for the socket to become readable.
    fn poll_in(&mut self, ms: c_int) -> Result<bool, i32> {
        let mut p = libc::pollfd {
            fd: self.sock.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        };
        loop {
            // SAFETY: p is one valid pollfd for our open socket.
            let r = unsafe { libc::poll(&mut p, 1, ms) };
            if r >= 0 {
                return Ok(r > 0);
            }
            let e = last_errno();
            if e != libc::EINTR {
                return Err(e);
            }
        }
    }

    /// Whether the kernel has xt match (`target == false`) or target
    /// `name` at revision `rev` for family `fam` (`NFNL_MSG_COMPAT_GET`).
    pub fn compat_revision(
        &mut self,
        fam: NfProto,
        name: &str,
        rev: u32,
        target: bool,
    ) -> Result<bool, SysError> {
        const OP: &str = "get xt revision";
        if name.is_empty() || name.len() > XT_NAME_MAXLEN || name.contains('\0') {
            return Ok(false);
        }
        let seq = self.next_seq();
        let mut nm = name.as_bytes().to_vec();
        nm.push(0);
        let rev_be = rev.to_be_bytes();
        let ty_be = u32::from(target).to_be_bytes();
        let mut req = MsgBuf::new(256);
        req.put_raw(
            (NFNL_SUBSYS_NFT_COMPAT << 8) | NFNL_MSG_COMPAT_GET,
            NLM_F_ACK,
            seq,
            fam.raw(),
            0,
            &[
                (NFTA_COMPAT_NAME, &nm),
                (NFTA_COMPAT_REV, &rev_be),
                (NFTA_COMPAT_TYPE, &ty_be),
            ],
        )
        .map_err(|e| sys_err(OP, e))?;
        match self.talk(req.bytes(), seq, Until::Ack, |_| Ok(())) {
            Ok(_) => Ok(true),
            Err(libc::ENOENT) | Err(libc::EPROTONOSUPPORT) => Ok(false),
            Err(e) => Err(sys_err(OP, e)),
        }
    }
}

/// libnftnl's own rule codec, used by the tests as the reference for the
/// native one.
#[cfg(test)]
mod oracle {
    use super::*;

    /// An owned `struct nftnl_expr` not (yet) attached to a rule.
    pub(super) struct NlExpr(NonNull<nl::nftnl_expr>);

    impl NlExpr {
        fn new(name: &CStr) -> Result<Self, i32> {
            // SAFETY: name is a valid C string; NULL is handled.
            let p = unsafe { nl::nftnl_expr_alloc(name.as_ptr()) };
            NonNull::new(p).map(NlExpr).ok_or(libc::ENOMEM)
        }
        fn ptr(&self) -> *mut nl::nftnl_expr {
            self.0.as_ptr()
        }
        fn u32(self, attr: u32, v: u32) -> Self {
            // SAFETY: live expression; attr is a u32 attribute of its type.
            unsafe { nl::nftnl_expr_set_u32(self.ptr(), attr as u16, v) };
            self
        }
        fn u64(self, attr: u32, v: u64) -> Self {
            // SAFETY: live expression; attr is a u64 attribute of its type.
            unsafe { nl::nftnl_expr_set_u64(self.ptr(), attr as u16, v) };
            self
        }
        fn str(self, attr: u32, s: &str) -> Result<Self, i32> {
            let c = cstring(s)?;
            // SAFETY: live expression; libnftnl copies the string.
            let r = unsafe { nl::nftnl_expr_set_str(self.ptr(), attr as u16, c.as_ptr()) };
            if r < 0 {
                return Err(libc::ENOMEM);
            }
            Ok(self)
        }
        /// A data register value: libnftnl 1.2.4 copies it into a 64-byte
        /// register without a length check, hence the check here.
        fn data(self, attr: u32, d: &[u8]) -> Result<Self, i32> {
            if d.len() > DATA_MAXLEN {
                return Err(libc::EINVAL);
            }
            // SAFETY: live expression; d is valid for d.len() <= 64 bytes,
            // copied by libnftnl.
            let r = unsafe {
                nl::nftnl_expr_set(
                    self.ptr(),
                    attr as u16,
                    d.as_ptr() as *const c_void,
                    d.len() as u32,
                )
            };
            if r < 0 {
                return Err(libc::EINVAL);
            }
            Ok(self)
        }
        /// An xt info blob: libnftnl takes ownership of the pointer, so a
        /// malloc'ed copy is handed over.
        fn info(self, attr: u32, d: &[u8]) -> Result<Self, i32> {
            // SAFETY: malloc of at least one byte; NULL is handled.
            let p = unsafe { libc::malloc(d.len().max(1)) } as *mut u8;
            if p.is_null() {
                return Err(libc::ENOMEM);
            }
            // SAFETY: p is a fresh allocation of at least d.len() bytes;
            // libnftnl then owns it (freed with the expression).
            unsafe {
                std::ptr::copy_nonoverlapping(d.as_ptr(), p, d.len());
                nl::nftnl_expr_set(self.ptr(), attr as u16, p as *const c_void, d.len() as u32);
            }
            Ok(self)
        }
        fn into_raw(self) -> *mut nl::nftnl_expr {
            let p = self.ptr();
            std::mem::forget(self);
            p
        }
    }

    impl Drop for NlExpr {
        fn drop(&mut self) {
            // SAFETY: allocated by nftnl_expr_alloc, not given to a rule
            // (into_raw forgets self), freed once.
            unsafe { nl::nftnl_expr_free(self.ptr()) }
        }
    }

    /// A borrowed expression inside a [`Rule`].
    pub(super) struct ExprRef<'r> {
        p: *const nl::nftnl_expr,
        _rule: std::marker::PhantomData<&'r Rule>,
    }

    impl ExprRef<'_> {
        fn is_set(&self, attr: u32) -> bool {
            // SAFETY: p is a live expression of the borrowed rule.
            unsafe { nl::nftnl_expr_is_set(self.p, attr as u16) }
        }
        fn u32(&self, attr: u32) -> u32 {
            // SAFETY: p is live; unset attributes read as 0.
            unsafe { nl::nftnl_expr_get_u32(self.p, attr as u16) }
        }
        fn u64(&self, attr: u32) -> u64 {
            // SAFETY: p is live; unset attributes read as 0.
            unsafe { nl::nftnl_expr_get_u64(self.p, attr as u16) }
        }
        fn str(&self, attr: u32) -> String {
            // SAFETY: p is live; the string is copied at once.
            unsafe { copy_cstr(nl::nftnl_expr_get_str(self.p, attr as u16)) }
        }
        fn bytes(&self, attr: u32) -> Vec<u8> {
            let mut len = 0u32;
            // SAFETY: p is live; the pointer returned is NULL or valid for
            // len bytes, copied at once.
            unsafe {
                let d = nl::nftnl_expr_get(self.p, attr as u16, &mut len);
                if d.is_null() {
                    return Vec::new();
                }
                std::slice::from_raw_parts(d as *const u8, len as usize).to_vec()
            }
        }
        fn name(&self) -> String {
            self.str(nl::NFTNL_EXPR_NAME)
        }
    }

    /// An owned `struct nftnl_rule`.
    pub(super) struct Rule(NonNull<nl::nftnl_rule>);

    impl Rule {
        pub(super) fn new() -> Result<Self, i32> {
            // SAFETY: plain allocation; NULL is handled.
            let p = unsafe { nl::nftnl_rule_alloc() };
            NonNull::new(p).map(Rule).ok_or(libc::ENOMEM)
        }
        fn ptr(&self) -> *mut nl::nftnl_rule {
            self.0.as_ptr()
        }
        fn set_str(&mut self, attr: u32, s: &str) -> Result<(), i32> {
            let c = cstring(s)?;
            // SAFETY: live rule; libnftnl copies the string.
            let r = unsafe { nl::nftnl_rule_set_str(self.ptr(), attr as u16, c.as_ptr()) };
            if r < 0 {
                Err(libc::ENOMEM)
            } else {
                Ok(())
            }
        }
        fn set_u32(&mut self, attr: u32, v: u32) {
            // SAFETY: live rule; attr is a u32 attribute.
            unsafe { nl::nftnl_rule_set_u32(self.ptr(), attr as u16, v) }
        }
        fn set_u64(&mut self, attr: u32, v: u64) {
            // SAFETY: live rule; attr is a u64 attribute.
            unsafe { nl::nftnl_rule_set_u64(self.ptr(), attr as u16, v) }
        }
        fn set_udata(&mut self, d: &[u8]) {
            // SAFETY: live rule; d is valid for d.len() bytes, copied.
            unsafe {
                nl::nftnl_rule_set_data(
                    self.ptr(),
                    nl::NFTNL_RULE_USERDATA as u16,
                    d.as_ptr() as *const c_void,
                    d.len() as u32,
                )
            };
        }
        pub(super) fn add_expr(&mut self, e: NlExpr) {
            // SAFETY: live rule; it takes ownership of the expression.
            unsafe { nl::nftnl_rule_add_expr(self.ptr(), e.into_raw()) }
        }
        fn is_set(&self, attr: u32) -> bool {
            // SAFETY: live rule.
            unsafe { nl::nftnl_rule_is_set(self.ptr(), attr as u16) }
        }
        fn get_str(&self, attr: u32) -> String {
            // SAFETY: live rule; copied at once.
            unsafe { copy_cstr(nl::nftnl_rule_get_str(self.ptr(), attr as u16)) }
        }
        fn get_u32(&self, attr: u32) -> u32 {
            // SAFETY: live rule; unset attributes read as 0.
            unsafe { nl::nftnl_rule_get_u32(self.ptr(), attr as u16) }
        }
        fn get_u64(&self, attr: u32) -> u64 {
            // SAFETY: live rule; unset attributes read as 0.
            unsafe { nl::nftnl_rule_get_u64(self.ptr(), attr as u16) }
        }
        fn get_udata(&self) -> Option<Vec<u8>> {
            if !self.is_set(nl::NFTNL_RULE_USERDATA) {
                return None;
            }
            let mut len = 0u32;
            // SAFETY: live rule; pointer valid for len bytes, copied.
            Some(unsafe {
                let d =
                    nl::nftnl_rule_get_data(self.ptr(), nl::NFTNL_RULE_USERDATA as u16, &mut len);
                std::slice::from_raw_parts(d as *const u8, len as usize).to_vec()
            })
        }
        pub(super) fn for_each_expr(&self, mut f: impl FnMut(ExprRef<'_>)) {
            // SAFETY: live rule, outliving the iterator destroyed below.
            let it = unsafe { nl::nftnl_expr_iter_create(self.ptr()) };
            assert!(!it.is_null());
            loop {
                // SAFETY: it is a live iterator over self.
                let e = unsafe { nl::nftnl_expr_iter_next(it) };
                if e.is_null() {
                    break;
                }
                f(ExprRef {
                    p: e,
                    _rule: std::marker::PhantomData,
                });
            }
            // SAFETY: created above, destroyed once.
            unsafe { nl::nftnl_expr_iter_destroy(it) }
        }
    }

    impl Drop for Rule {
        fn drop(&mut self) {
            // SAFETY: allocated by nftnl_rule_alloc, freed once (with its
            // expressions).
            unsafe { nl::nftnl_rule_free(self.ptr()) }
        }
    }

    pub(super) fn expr_to_nl(e: &Expr) -> Result<NlExpr, i32> {
        Ok(match e {
            Expr::Payload {
                base,
                offset,
                len,
                dreg,
            } => NlExpr::new(c"payload")?
                .u32(nl::NFTNL_EXPR_PAYLOAD_DREG, *dreg)
                .u32(nl::NFTNL_EXPR_PAYLOAD_BASE, base.raw())
                .u32(nl::NFTNL_EXPR_PAYLOAD_OFFSET, *offset)
                .u32(nl::NFTNL_EXPR_PAYLOAD_LEN, *len),
            Expr::Meta { key, dreg } => NlExpr::new(c"meta")?
                .u32(nl::NFTNL_EXPR_META_KEY, *key)
                .u32(nl::NFTNL_EXPR_META_DREG, *dreg),
            Expr::Cmp { sreg, op, data } => NlExpr::new(c"cmp")?
                .u32(nl::NFTNL_EXPR_CMP_SREG, *sreg)
                .u32(nl::NFTNL_EXPR_CMP_OP, op.raw())
                .data(nl::NFTNL_EXPR_CMP_DATA, data)?,
            Expr::Bitwise {
                sreg,
                dreg,
                len,
                mask,
                xor,
            } => NlExpr::new(c"bitwise")?
                .u32(nl::NFTNL_EXPR_BITWISE_SREG, *sreg)
                .u32(nl::NFTNL_EXPR_BITWISE_DREG, *dreg)
                .u32(nl::NFTNL_EXPR_BITWISE_LEN, *len)
                .data(nl::NFTNL_EXPR_BITWISE_MASK, mask)?
                .data(nl::NFTNL_EXPR_BITWISE_XOR, xor)?,
            Expr::Range { sreg, op, from, to } => NlExpr::new(c"range")?
                .u32(nl::NFTNL_EXPR_RANGE_SREG, *sreg)
                .u32(nl::NFTNL_EXPR_RANGE_OP, op.raw())
                .data(nl::NFTNL_EXPR_RANGE_FROM_DATA, from)?
                .data(nl::NFTNL_EXPR_RANGE_TO_DATA, to)?,
            Expr::Lookup { sreg, set, invert } => {
                let x = NlExpr::new(c"lookup")?
                    .u32(nl::NFTNL_EXPR_LOOKUP_SREG, *sreg)
                    .str(nl::NFTNL_EXPR_LOOKUP_SET, set)?;
                if *invert {
                    x.u32(nl::NFTNL_EXPR_LOOKUP_FLAGS, NFT_LOOKUP_F_INV)
                } else {
                    x
                }
            }
            Expr::Counter { packets, bytes } => NlExpr::new(c"counter")?
                .u64(nl::NFTNL_EXPR_CTR_PACKETS, *packets)
                .u64(nl::NFTNL_EXPR_CTR_BYTES, *bytes),
            Expr::Verdict(v) => {
                let x = NlExpr::new(c"immediate")?
                    .u32(nl::NFTNL_EXPR_IMM_DREG, 0)
                    .u32(nl::NFTNL_EXPR_IMM_VERDICT, v.code() as u32);
                match v {
                    Verdict::Jump(c) | Verdict::Goto(c) => x.str(nl::NFTNL_EXPR_IMM_CHAIN, c)?,
                    _ => x,
                }
            }
            Expr::Immediate { dreg, data } => NlExpr::new(c"immediate")?
                .u32(nl::NFTNL_EXPR_IMM_DREG, *dreg)
                .data(nl::NFTNL_EXPR_IMM_DATA, data)?,
            Expr::Match { name, rev, info } => NlExpr::new(c"match")?
                .str(nl::NFTNL_EXPR_MT_NAME, name)?
                .u32(nl::NFTNL_EXPR_MT_REV, *rev)
                .info(nl::NFTNL_EXPR_MT_INFO, info)?,
            Expr::Target { name, rev, info } => NlExpr::new(c"target")?
                .str(nl::NFTNL_EXPR_TG_NAME, name)?
                .u32(nl::NFTNL_EXPR_TG_REV, *rev)
                .info(nl::NFTNL_EXPR_TG_INFO, info)?,
            Expr::Limit {
                rate,
                unit,
                burst,
                kind,
                flags,
            } => NlExpr::new(c"limit")?
                .u64(nl::NFTNL_EXPR_LIMIT_RATE, *rate)
                .u64(nl::NFTNL_EXPR_LIMIT_UNIT, *unit)
                .u32(nl::NFTNL_EXPR_LIMIT_BURST, *burst)
                .u32(nl::NFTNL_EXPR_LIMIT_TYPE, *kind)
                .u32(nl::NFTNL_EXPR_LIMIT_FLAGS, *flags),
            Expr::Unknown { .. } => return Err(libc::EINVAL),
        })
    }

    pub(super) fn expr_from_nl(e: &ExprRef<'_>) -> Expr {
        let name = e.name();
        let unknown = || Expr::Unknown { name: name.clone() };
        match name.as_str() {
            "payload" if !e.is_set(nl::NFTNL_EXPR_PAYLOAD_SREG) => Expr::Payload {
                base: PayloadBase::from_raw(e.u32(nl::NFTNL_EXPR_PAYLOAD_BASE)),
                offset: e.u32(nl::NFTNL_EXPR_PAYLOAD_OFFSET),
                len: e.u32(nl::NFTNL_EXPR_PAYLOAD_LEN),
                dreg: e.u32(nl::NFTNL_EXPR_PAYLOAD_DREG),
            },
            "meta" if !e.is_set(nl::NFTNL_EXPR_META_SREG) => Expr::Meta {
                key: e.u32(nl::NFTNL_EXPR_META_KEY),
                dreg: e.u32(nl::NFTNL_EXPR_META_DREG),
            },
            "cmp" => match CmpOp::from_raw(e.u32(nl::NFTNL_EXPR_CMP_OP)) {
                Some(op) => Expr::Cmp {
                    sreg: e.u32(nl::NFTNL_EXPR_CMP_SREG),
                    op,
                    data: e.bytes(nl::NFTNL_EXPR_CMP_DATA),
                },
                None => unknown(),
            },
            "bitwise" if e.u32(nl::NFTNL_EXPR_BITWISE_OP) == NFT_BITWISE_BOOL => Expr::Bitwise {
                sreg: e.u32(nl::NFTNL_EXPR_BITWISE_SREG),
                dreg: e.u32(nl::NFTNL_EXPR_BITWISE_DREG),
                len: e.u32(nl::NFTNL_EXPR_BITWISE_LEN),
                mask: e.bytes(nl::NFTNL_EXPR_BITWISE_MASK),
                xor: e.bytes(nl::NFTNL_EXPR_BITWISE_XOR),
            },
            "range" => match CmpOp::from_raw(e.u32(nl::NFTNL_EXPR_RANGE_OP)) {
                Some(op @ (CmpOp::Eq | CmpOp::Neq)) => Expr::Range {
                    sreg: e.u32(nl::NFTNL_EXPR_RANGE_SREG),
                    op,
                    from: e.bytes(nl::NFTNL_EXPR_RANGE_FROM_DATA),
                    to: e.bytes(nl::NFTNL_EXPR_RANGE_TO_DATA),
                },
                _ => unknown(),
            },
            "lookup" if !e.is_set(nl::NFTNL_EXPR_LOOKUP_DREG) => Expr::Lookup {
                sreg: e.u32(nl::NFTNL_EXPR_LOOKUP_SREG),
                set: e.str(nl::NFTNL_EXPR_LOOKUP_SET),
                invert: e.u32(nl::NFTNL_EXPR_LOOKUP_FLAGS) & NFT_LOOKUP_F_INV != 0,
            },
            "counter" => Expr::Counter {
                packets: e.u64(nl::NFTNL_EXPR_CTR_PACKETS),
                bytes: e.u64(nl::NFTNL_EXPR_CTR_BYTES),
            },
            "immediate" => {
                let dreg = e.u32(nl::NFTNL_EXPR_IMM_DREG);
                if dreg == 0 {
                    let chain = e
                        .is_set(nl::NFTNL_EXPR_IMM_CHAIN)
                        .then(|| e.str(nl::NFTNL_EXPR_IMM_CHAIN));
                    Expr::Verdict(Verdict::from_code(
                        e.u32(nl::NFTNL_EXPR_IMM_VERDICT) as i32,
                        chain,
                    ))
                } else {
                    Expr::Immediate {
                        dreg,
                        data: e.bytes(nl::NFTNL_EXPR_IMM_DATA),
                    }
                }
            }
            "match" => Expr::Match {
                name: e.str(nl::NFTNL_EXPR_MT_NAME),
                rev: e.u32(nl::NFTNL_EXPR_MT_REV),
                info: e.bytes(nl::NFTNL_EXPR_MT_INFO),
            },
            "target" => Expr::Target {
                name: e.str(nl::NFTNL_EXPR_TG_NAME),
                rev: e.u32(nl::NFTNL_EXPR_TG_REV),
                info: e.bytes(nl::NFTNL_EXPR_TG_INFO),
            },
            "limit" => Expr::Limit {
                rate: e.u64(nl::NFTNL_EXPR_LIMIT_RATE),
                unit: e.u64(nl::NFTNL_EXPR_LIMIT_UNIT),
                burst: e.u32(nl::NFTNL_EXPR_LIMIT_BURST),
                kind: e.u32(nl::NFTNL_EXPR_LIMIT_TYPE),
                flags: e.u32(nl::NFTNL_EXPR_LIMIT_FLAGS),
            },
            _ => unknown(),
        }
    }

    /// [`rule_msg`] done by libnftnl.
    pub(super) fn rule_msg(
        buf: &mut MsgBuf,
        cmd: u16,
        fam: NfProto,
        flags: u16,
        seq: u32,
        a: RuleArgs<'_>,
    ) -> Result<(), i32> {
        let mut r = Rule::new()?;
        r.set_str(nl::NFTNL_RULE_TABLE, a.table)?;
        let mut bound = 512 + 2 * (a.table.len() + a.chain.len());
        if !a.chain.is_empty() {
            r.set_str(nl::NFTNL_RULE_CHAIN, a.chain)?;
        }
        if let Some(h) = a.handle {
            r.set_u64(nl::NFTNL_RULE_HANDLE, h);
        }
        if let Some(p) = a.position {
            r.set_u64(nl::NFTNL_RULE_POSITION, p);
        }
        if let Some(body) = a.body {
            if let Some(u) = body.udata.as_deref().filter(|u| !u.is_empty()) {
                r.set_udata(u);
                bound += 2 * u.len();
            }
            if let Some(c) = body.compat {
                r.set_u32(nl::NFTNL_RULE_COMPAT_PROTO, c.proto);
                r.set_u32(
                    nl::NFTNL_RULE_COMPAT_FLAGS,
                    if c.inv { NFT_RULE_COMPAT_F_INV } else { 0 },
                );
            }
            for e in &body.exprs {
                bound += 256 + 2 * format!("{e:?}").len();
                r.add_expr(expr_to_nl(e)?);
            }
        }
        buf.put_nft(bound, cmd, fam.raw(), flags, seq, |nlh| {
            // SAFETY: nlh points into buf with room for `bound` bytes, far
            // above the rule's encoding; r is live.
            unsafe { nl::nftnl_rule_nlmsg_build_payload(nlh, r.ptr()) }
        })
    }

    /// [`rule_from_msg`] done by libnftnl.
    pub(super) fn rule_from_msg(msg: &NlMsg<'_>) -> Result<(String, NftRule), i32> {
        let r = Rule::new()?;
        let nlh = msg.nlh()?;
        // SAFETY: aligned complete message; libnftnl reads within
        // nlmsg_len and copies what it keeps.
        if unsafe { nl::nftnl_rule_nlmsg_parse(nlh, r.ptr()) } < 0 {
            return Err(libc::EBADMSG);
        }
        let mut exprs = Vec::new();
        r.for_each_expr(|e| exprs.push(expr_from_nl(&e)));
        let compat = r.is_set(nl::NFTNL_RULE_COMPAT_PROTO).then(|| RuleCompat {
            proto: r.get_u32(nl::NFTNL_RULE_COMPAT_PROTO),
            inv: r.get_u32(nl::NFTNL_RULE_COMPAT_FLAGS) & NFT_RULE_COMPAT_F_INV != 0,
        });
        Ok((
            r.get_str(nl::NFTNL_RULE_TABLE),
            NftRule {
                chain: r.get_str(nl::NFTNL_RULE_CHAIN),
                handle: r.get_u64(nl::NFTNL_RULE_HANDLE),
                exprs,
                compat,
                udata: r.get_udata(),
            },
        ))
    }
}
#[cfg(test)]
mod tests {
    //! Tests that touch the kernel run on a thread moved into a private
    //! network namespace (never the machine's own ruleset).

    use super::*;

    const T: &str = "filter";
    const F: NfProto = NfProto::Ipv4;

    /// Runs `f` on a new thread inside a new network namespace.
    fn in_netns<R: Send + 'static>(f: impl FnOnce() -> R + Send + 'static) -> R {
        let h = std::thread::spawn(move || {
            nix::sched::unshare(nix::sched::CloneFlags::CLONE_NEWNET)
                .expect("unshare(CLONE_NEWNET)");
            f()
        });
        match h.join() {
            Ok(r) => r,
            Err(e) => std::panic::resume_unwind(e),
        }
    }

    /// Runs a command inside the calling thread's network namespace.
    fn run_here(cmd: &[&str]) -> String {
        let ns = format!(
            "/proc/{}/task/{}/ns/net",
            std::process::id(),
            nix::unistd::gettid()
        );
        let out = std::process::Command::new("nsenter")
            .arg(format!("--net={ns}"))
            .args(cmd)
            .output()
            .expect("run nsenter");
        assert!(
            out.status.success(),
            "{cmd:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    fn rule(chain: &str, exprs: Vec<Expr>) -> NftRule {
        NftRule {
            chain: chain.into(),
            handle: 0,
            exprs,
            compat: None,
            udata: None,
        }
    }

    fn add(chain: &str, exprs: Vec<Expr>, pos: Position) -> Op {
        Op::AddRule {
            table: T.into(),
            rule: rule(chain, exprs),
            pos,
        }
    }

    fn base_input() -> BaseSpec {
        BaseSpec {
            kind: "filter".into(),
            hook: Hook::Input,
            prio: 0,
            policy_accept: true,
        }
    }

    /// table `filter`, base chain INPUT, user chain USER
    fn setup(nft: &mut Nft) {
        nft.commit(
            F,
            None,
            &[
                Op::AddTable { table: T.into() },
                Op::AddChain {
                    table: T.into(),
                    chain: "INPUT".into(),
                    base: Some(base_input()),
                    excl: false,
                },
                Op::AddChain {
                    table: T.into(),
                    chain: "USER".into(),
                    base: None,
                    excl: true,
                },
            ],
        )
        .expect("setup commit");
    }

    fn saddr(a: [u8; 4]) -> Vec<Expr> {
        vec![
            Expr::Payload {
                base: PayloadBase::Network,
                offset: 12,
                len: 4,
                dreg: REG_1,
            },
            Expr::Cmp {
                sreg: REG_1,
                op: CmpOp::Eq,
                data: a.to_vec(),
            },
        ]
    }

    fn tcp_dport22_info() -> Vec<u8> {
        // struct xt_tcp: spts[2], dpts[2] (host order), option, flg_mask,
        // flg_cmp, invflags; XT_ALIGNed to 16.
        let mut v = Vec::new();
        for p in [0u16, 0xffff, 22, 22] {
            v.extend_from_slice(&p.to_ne_bytes());
        }
        v.resize(16, 0);
        v
    }

    fn comment_info(s: &str) -> Vec<u8> {
        let mut v = s.as_bytes().to_vec();
        v.resize(256, 0);
        v
    }

    fn log_info(prefix: &str) -> Vec<u8> {
        // struct xt_log_info { u8 level; u8 logflags; char prefix[30]; }
        let mut v = vec![4u8, 0];
        v.extend_from_slice(prefix.as_bytes());
        v.resize(32, 0);
        v
    }

    /// A rule exercising most expression kinds the kernel accepts without
    /// extra objects.
    fn rich_exprs() -> Vec<Expr> {
        let mut e = vec![
            Expr::Meta {
                key: meta::L4PROTO,
                dreg: REG_1,
            },
            Expr::Cmp {
                sreg: REG_1,
                op: CmpOp::Eq,
                data: vec![6],
            },
            Expr::Payload {
                base: PayloadBase::Network,
                offset: 12,
                len: 4,
                dreg: REG_1,
            },
            Expr::Bitwise {
                sreg: REG_1,
                dreg: REG_1,
                len: 4,
                mask: vec![255, 255, 255, 0],
                xor: vec![0; 4],
            },
            Expr::Cmp {
                sreg: REG_1,
                op: CmpOp::Neq,
                data: vec![10, 0, 0, 0],
            },
            Expr::Payload {
                base: PayloadBase::Transport,
                offset: 2,
                len: 2,
                dreg: REG_1,
            },
            Expr::Range {
                sreg: REG_1,
                op: CmpOp::Eq,
                from: vec![0, 22],
                to: vec![0, 80],
            },
            Expr::Immediate {
                dreg: 2,
                data: vec![0, 0, 0, 7],
            },
            Expr::Cmp {
                sreg: 2,
                op: CmpOp::Gte,
                data: vec![0, 0, 0, 7],
            },
            Expr::Match {
                name: "tcp".into(),
                rev: 0,
                info: tcp_dport22_info(),
            },
            Expr::Match {
                name: "comment".into(),
                rev: 0,
                info: comment_info("hello"),
            },
            Expr::Limit {
                rate: 3,
                unit: 1,
                burst: 5,
                kind: 0,
                flags: 0,
            },
            Expr::Counter {
                packets: 0,
                bytes: 0,
            },
            Expr::Target {
                name: "LOG".into(),
                rev: 0,
                info: log_info("rx: "),
            },
        ];
        e.truncate(e.len());
        e
    }

    fn all_exprs() -> Vec<Expr> {
        let mut all = rich_exprs();
        all.extend([
            Expr::Lookup {
                sreg: REG_1,
                set: "__set0".into(),
                invert: true,
            },
            Expr::Lookup {
                sreg: REG_1,
                set: "s".into(),
                invert: false,
            },
            Expr::Verdict(Verdict::Accept),
            Expr::Verdict(Verdict::Drop),
            Expr::Verdict(Verdict::Return),
            Expr::Verdict(Verdict::Continue),
            Expr::Verdict(Verdict::Jump("USER".into())),
            Expr::Verdict(Verdict::Goto("USER_CHAIN".into())),
            Expr::Verdict(Verdict::Other(3)),
            Expr::Payload {
                base: PayloadBase::Link,
                offset: 6,
                len: 6,
                dreg: 9,
            },
            Expr::Payload {
                base: PayloadBase::Other(3),
                offset: 0,
                len: 1,
                dreg: 8,
            },
            Expr::Cmp {
                sreg: 9,
                op: CmpOp::Lt,
                data: vec![1, 2, 3, 4, 5, 6, 7],
            },
            Expr::Range {
                sreg: 1,
                op: CmpOp::Neq,
                from: vec![1],
                to: vec![9],
            },
            Expr::Limit {
                rate: 1 << 40,
                unit: 86400,
                burst: 0,
                kind: 1,
                flags: 1,
            },
            Expr::Counter {
                packets: u64::MAX,
                bytes: 1 << 33,
            },
            Expr::Target {
                name: "MARK".into(),
                rev: 2,
                info: vec![1, 2, 3, 4, 5, 6, 7, 8],
            },
        ]);
        all
    }

    fn args<'a>(
        chain: &'a str,
        handle: Option<u64>,
        position: Option<u64>,
        body: Option<&'a NftRule>,
    ) -> RuleArgs<'a> {
        RuleArgs {
            table: "filter",
            chain,
            handle,
            position,
            body,
        }
    }

    /// Every shape of rule message, native and libnftnl, byte for byte;
    /// both decoders agree with the input.
    #[test]
    fn codec_matches_libnftnl_without_kernel() {
        let mut body = rule("INPUT", all_exprs());
        let b1 = body.clone();
        body.compat = Some(RuleCompat {
            proto: 17,
            inv: true,
        });
        body.udata = Some(vec![0, 3, b'a', b'b', b'c']);
        let b2 = body.clone();
        body.udata = Some(vec![1, 2, 3, 4]);
        body.compat = Some(RuleCompat::default());
        let b3 = body;
        let b4 = rule("C", vec![]);
        type Case<'a> = (
            u16,
            u16,
            &'a str,
            Option<u64>,
            Option<u64>,
            Option<&'a NftRule>,
        );
        let cases: Vec<Case<'_>> = vec![
            (
                NFT_MSG_NEWRULE,
                NLM_F_CREATE | NLM_F_APPEND,
                "INPUT",
                None,
                None,
                Some(&b1),
            ),
            (
                NFT_MSG_NEWRULE,
                NLM_F_CREATE,
                "INPUT",
                None,
                Some(77),
                Some(&b2),
            ),
            (
                NFT_MSG_NEWRULE,
                NLM_F_CREATE | NLM_F_REPLACE | NLM_F_ACK,
                "INPUT",
                Some(1 << 40),
                None,
                Some(&b3),
            ),
            (NFT_MSG_NEWRULE, NLM_F_CREATE, "C", None, None, Some(&b4)),
            (NFT_MSG_DELRULE, 0, "INPUT", Some(12), None, None),
            (NFT_MSG_DELRULE, 0, "INPUT", None, None, None),
            (NFT_MSG_DELRULE, 0, "", None, None, None),
            (NFT_MSG_GETRULE, NLM_F_DUMP, "INPUT", None, None, None),
        ];
        for (i, (cmd, flags, chain, handle, position, body)) in cases.into_iter().enumerate() {
            let seq = 1000 + i as u32;
            let mut native = MsgBuf::new(16);
            rule_msg(
                &mut native,
                cmd,
                NfProto::Ipv6,
                flags,
                seq,
                args(chain, handle, position, body),
            )
            .unwrap();
            let mut reference = MsgBuf::new(16);
            oracle::rule_msg(
                &mut reference,
                cmd,
                NfProto::Ipv6,
                flags,
                seq,
                args(chain, handle, position, body),
            )
            .unwrap();
            assert_eq!(native.bytes(), reference.bytes(), "case {i}");
            if let (NFT_MSG_NEWRULE, Some(body)) = (cmd, body) {
                let mut bad = false;
                let msg = messages(native.bytes(), &mut bad).next().unwrap();
                let (t, mine) = rule_from_msg(&msg).unwrap();
                let (t2, theirs) = oracle::rule_from_msg(&msg).unwrap();
                assert_eq!(t, b"filter");
                assert_eq!(t2, "filter");
                assert_eq!(mine, theirs, "case {i}");
                let mut want = body.clone();
                want.handle = handle.unwrap_or(0);
                assert_eq!(mine, want, "case {i}");
            }
        }
    }

    #[test]
    fn bad_exprs_are_refused_without_kernel() {
        for e in [
            Expr::Unknown { name: "ct".into() },
            Expr::Cmp {
                sreg: 1,
                op: CmpOp::Eq,
                data: vec![0; 65],
            },
            Expr::Immediate {
                dreg: 0,
                data: vec![1],
            },
            Expr::Match {
                name: "x".repeat(29),
                rev: 0,
                info: vec![],
            },
            Expr::Lookup {
                sreg: 1,
                set: "a\0b".into(),
                invert: false,
            },
        ] {
            let mut buf = MsgBuf::new(16);
            let body = rule("C", vec![Expr::Verdict(Verdict::Accept), e.clone()]);
            let a = args("C", None, None, Some(&body));
            assert_eq!(
                rule_msg(&mut buf, NFT_MSG_NEWRULE, F, 0, 1, a),
                Err(libc::EINVAL),
                "{e:?}"
            );
            assert!(buf.bytes().is_empty());
        }
        let mut buf = MsgBuf::new(16);
        assert_eq!(
            op_msg(
                &mut buf,
                F,
                1,
                &Op::FlushChain {
                    table: "t".into(),
                    chain: String::new()
                },
                0
            ),
            Err(libc::EINVAL)
        );
        assert_eq!(
            op_msg(
                &mut buf,
                F,
                1,
                &Op::AddTable {
                    table: "a\0".into()
                },
                0
            ),
            Err(libc::EINVAL)
        );
        assert!(buf.bytes().is_empty());
    }

    #[test]
    fn unknown_and_partial_exprs_decode_as_unknown_without_kernel() {
        // a name-only expression, a payload *write* (sreg), a bad cmp op
        let mut b = MsgBuf::new(64);
        let start = b.begin(nft_type(NFT_MSG_NEWRULE), 0, 1, 2, 0);
        b.strz(NFTA_RULE_TABLE, "t");
        b.strz(NFTA_RULE_CHAIN, "c");
        b.u64(NFTA_RULE_HANDLE, 4);
        let l = b.nest_start(NFTA_RULE_EXPRESSIONS);
        let e = b.nest_start(NFTA_LIST_ELEM);
        b.strz(NFTA_EXPR_NAME, "socket");
        b.nest_end(e);
        let e = b.nest_start(NFTA_LIST_ELEM);
        b.strz(NFTA_EXPR_NAME, "payload");
        let d = b.nest_start(NFTA_EXPR_DATA);
        b.u32(PAYLOAD_SREG, 1);
        b.u32(PAYLOAD_BASE, 1);
        b.nest_end(d);
        b.nest_end(e);
        let e = b.nest_start(NFTA_LIST_ELEM);
        b.strz(NFTA_EXPR_NAME, "cmp");
        let d = b.nest_start(NFTA_EXPR_DATA);
        b.u32(CMP_SREG, 1);
        b.u32(CMP_OP, 42);
        b.nest_end(d);
        b.nest_end(e);
        b.nest_end(l);
        b.finish(start).unwrap();
        let mut bad = false;
        let msg = messages(b.bytes(), &mut bad).next().unwrap();
        let (_, r) = rule_from_msg(&msg).unwrap();
        assert_eq!(r.handle, 4);
        assert_eq!(
            r.exprs,
            vec![
                Expr::Unknown {
                    name: "socket".into()
                },
                Expr::Unknown {
                    name: "payload".into()
                },
                Expr::Unknown { name: "cmp".into() }
            ]
        );
        // truncated input is refused, not trusted
        let mut bad = false;
        assert_eq!(
            messages(&b.bytes()[..b.bytes().len() - 1], &mut bad).count(),
            0
        );
        assert!(bad);
    }

    #[test]
    fn oversized_rules_are_refused_without_kernel() {
        let mut body = rule("C", rich_exprs());
        body.udata = Some(vec![7; 200]);
        for _ in 0..20 {
            body.exprs.push(Expr::Match {
                name: "comment".into(),
                rev: 0,
                info: comment_info("x"),
            });
        }
        let mut buf = MsgBuf::new(16);
        rule_msg(
            &mut buf,
            NFT_MSG_NEWRULE,
            F,
            NLM_F_CREATE,
            1,
            args("C", None, Some(5), Some(&body)),
        )
        .unwrap();
        let (t, r) = {
            let mut bad = false;
            let msgs: Vec<_> = messages(buf.bytes(), &mut bad).collect();
            assert_eq!(msgs.len(), 1);
            let (t, r) = rule_from_msg(&msgs[0]).unwrap();
            (t.to_vec(), r)
        };
        assert_eq!(t, b"filter");
        assert_eq!(r.exprs, body.exprs);
        assert_eq!(r.udata, body.udata);
        assert_eq!(r.compat, None);

        // Too big for 16-bit nested lengths: refused, not mis-encoded.
        let mut huge = rule("C", Vec::new());
        for _ in 0..300 {
            huge.exprs.push(Expr::Match {
                name: "comment".into(),
                rev: 0,
                info: comment_info("x"),
            });
        }
        let before = buf.bytes().len();
        assert_eq!(
            rule_msg(
                &mut buf,
                NFT_MSG_NEWRULE,
                F,
                0,
                2,
                args("C", None, None, Some(&huge))
            ),
            Err(libc::E2BIG)
        );
        assert_eq!(buf.bytes().len(), before);
    }

    #[test]
    fn tables_chains_and_lookups() {
        in_netns(|| {
            let mut nft = Nft::open().unwrap();
            assert_eq!(nft.tables(F).unwrap(), Vec::<String>::new());
            assert!(!nft.table_exists(F, T).unwrap());
            assert_eq!(nft.chains(F, T).unwrap(), vec![]);
            assert_eq!(nft.chain(F, T, "INPUT").unwrap(), None);
            assert_eq!(nft.rules(F, T, None).unwrap(), vec![]);
            assert_eq!(nft.rules(F, T, Some("INPUT")).unwrap(), vec![]);
            let g0 = nft.genid().unwrap();
            setup(&mut nft);
            assert!(nft.genid().unwrap() != g0);
            // another table, other family: not listed
            nft.commit(
                NfProto::Ipv4,
                None,
                &[Op::AddTable {
                    table: "other".into(),
                }],
            )
            .unwrap();
            nft.commit(
                NfProto::Ipv6,
                None,
                &[Op::AddTable {
                    table: "six".into(),
                }],
            )
            .unwrap();
            nft.commit(
                F,
                None,
                &[Op::AddChain {
                    table: "other".into(),
                    chain: "X".into(),
                    base: None,
                    excl: false,
                }],
            )
            .unwrap();
            assert_eq!(
                nft.tables(F).unwrap(),
                vec![T.to_string(), "other".to_string()]
            );
            assert_eq!(nft.tables(NfProto::Ipv6).unwrap(), vec!["six".to_string()]);
            assert!(nft.table_exists(F, T).unwrap());
            assert!(!nft.table_exists(NfProto::Ipv6, T).unwrap());

            let chains = nft.chains(F, T).unwrap();
            assert_eq!(chains.len(), 2);
            assert_eq!(chains[0].name, "INPUT");
            assert_eq!(chains[0].table, T);
            assert_eq!(chains[0].base, Some(base_input()));
            assert_eq!((chains[0].packets, chains[0].bytes), (0, 0));
            assert_eq!(chains[1].name, "USER");
            assert_eq!(chains[1].base, None);
            assert!(chains[0].handle != 0 && chains[1].handle != 0);
            assert_eq!(nft.chain(F, T, "USER").unwrap().as_ref(), Some(&chains[1]));
            assert_eq!(nft.chain(F, T, "INPUT").unwrap().as_ref(), Some(&chains[0]));
            assert_eq!(nft.chain(F, T, "NOPE").unwrap(), None);
            assert_eq!(nft.chain(F, "nope", "INPUT").unwrap(), None);

            // -N of an existing chain: EEXIST; re-adding a built-in: fine
            let e = nft
                .commit(
                    F,
                    None,
                    &[Op::AddChain {
                        table: T.into(),
                        chain: "USER".into(),
                        base: None,
                        excl: true,
                    }],
                )
                .unwrap_err();
            assert_eq!(
                e,
                CommitError {
                    index: Some(0),
                    errno: libc::EEXIST
                }
            );
            nft.commit(
                F,
                None,
                &[
                    Op::AddTable { table: T.into() },
                    Op::AddChain {
                        table: T.into(),
                        chain: "INPUT".into(),
                        base: Some(base_input()),
                        excl: false,
                    },
                ],
            )
            .unwrap();
            assert_eq!(nft.chains(F, T).unwrap().len(), 2);

            // policy and counters
            nft.commit(
                F,
                None,
                &[Op::SetPolicy {
                    table: T.into(),
                    chain: "INPUT".into(),
                    accept: false,
                    counters: Some((5, 600)),
                }],
            )
            .unwrap();
            let c = nft.chain(F, T, "INPUT").unwrap().unwrap();
            assert!(!c.base.as_ref().unwrap().policy_accept);
            assert_eq!((c.packets, c.bytes), (5, 600));
            assert!(run_here(&["iptables-nft-save", "-c"]).contains(":INPUT DROP [5:600]"));

            // rename keeps the handle
            let user = nft.chain(F, T, "USER").unwrap().unwrap();
            nft.commit(
                F,
                None,
                &[Op::RenameChain {
                    table: T.into(),
                    handle: user.handle,
                    new_name: "USER2".into(),
                }],
            )
            .unwrap();
            assert_eq!(nft.chain(F, T, "USER").unwrap(), None);
            assert_eq!(
                nft.chain(F, T, "USER2").unwrap().unwrap().handle,
                user.handle
            );

            // delete chain: refused while it has rules (NLM_F_NONREC)
            nft.commit(
                F,
                None,
                &[add(
                    "USER2",
                    vec![Expr::Verdict(Verdict::Return)],
                    Position::Append,
                )],
            )
            .unwrap();
            let del = Op::DelChain {
                table: T.into(),
                chain: "USER2".into(),
            };
            assert_eq!(
                nft.commit(F, None, std::slice::from_ref(&del)).unwrap_err(),
                CommitError {
                    index: Some(0),
                    errno: libc::EBUSY
                }
            );
            nft.commit(
                F,
                None,
                &[
                    Op::FlushChain {
                        table: T.into(),
                        chain: "USER2".into(),
                    },
                    del,
                ],
            )
            .unwrap();
            assert_eq!(nft.chains(F, T).unwrap().len(), 1);
            nft.commit(
                F,
                None,
                &[Op::DelTable {
                    table: "other".into(),
                }],
            )
            .unwrap();
            assert_eq!(nft.tables(F).unwrap(), vec![T.to_string()]);
            assert_eq!(nft.commit_waits, 0);
        });
    }

    #[test]
    fn rules_roundtrip_and_positions() {
        in_netns(|| {
            let mut nft = Nft::open().unwrap();
            setup(&mut nft);
            let mut rich = rule("INPUT", rich_exprs());
            rich.exprs.push(Expr::Verdict(Verdict::Jump("USER".into())));
            rich.compat = Some(RuleCompat {
                proto: 6,
                inv: false,
            });
            rich.udata = Some(b"\x00\x05hello".to_vec());
            let mut inv = rule("USER", saddr([1, 2, 3, 4]));
            inv.exprs.push(Expr::Verdict(Verdict::Drop));
            inv.compat = Some(RuleCompat {
                proto: 17,
                inv: true,
            });
            let mut ret = rule("USER", vec![Expr::Verdict(Verdict::Return)]);
            ret.compat = Some(RuleCompat::default());
            nft.commit(
                F,
                None,
                &[
                    Op::AddRule {
                        table: T.into(),
                        rule: rich.clone(),
                        pos: Position::Append,
                    },
                    Op::AddRule {
                        table: T.into(),
                        rule: inv.clone(),
                        pos: Position::Append,
                    },
                    Op::AddRule {
                        table: T.into(),
                        rule: ret.clone(),
                        pos: Position::Append,
                    },
                ],
            )
            .unwrap();
            let all = nft.rules(F, T, None).unwrap();
            assert_eq!(all.len(), 3);
            let strip = |r: &NftRule| NftRule {
                handle: 0,
                compat: None,
                ..r.clone()
            };
            // The kernel keeps no NFTA_RULE_COMPAT: it reads back as None.
            assert_eq!(strip(&all[0]), strip(&rich));
            assert_eq!(all[0].compat, None);
            assert_eq!(all[0].udata, rich.udata);
            assert_eq!(strip(&all[1]), strip(&inv));
            assert_eq!(all[2].exprs, ret.exprs);
            assert!(all.iter().all(|r| r.handle != 0));
            let user = nft.rules(F, T, Some("USER")).unwrap();
            assert_eq!(user, all[1..].to_vec());
            assert_eq!(nft.rules(F, T, Some("NOPE")).unwrap(), vec![]);
            assert_eq!(nft.rules(F, "nope", None).unwrap(), vec![]);

            // iptables-nft reads what was written (the rich rule is beyond
            // what iptables-nft 1.8.9 parses: replace it by a typical one)
            let ipt = rule(
                "INPUT",
                vec![
                    Expr::Meta {
                        key: meta::L4PROTO,
                        dreg: REG_1,
                    },
                    Expr::Cmp {
                        sreg: REG_1,
                        op: CmpOp::Eq,
                        data: vec![6],
                    },
                    Expr::Match {
                        name: "tcp".into(),
                        rev: 0,
                        info: tcp_dport22_info(),
                    },
                    Expr::Match {
                        name: "comment".into(),
                        rev: 0,
                        info: comment_info("hello"),
                    },
                    Expr::Counter {
                        packets: 0,
                        bytes: 0,
                    },
                    Expr::Verdict(Verdict::Accept),
                ],
            );
            nft.commit(
                F,
                None,
                &[Op::ReplaceRule {
                    table: T.into(),
                    rule: NftRule {
                        handle: all[0].handle,
                        compat: Some(RuleCompat {
                            proto: 6,
                            inv: false,
                        }),
                        ..ipt
                    },
                }],
            )
            .unwrap();
            let save = run_here(&["iptables-nft-save"]);
            assert!(
                save.contains("-A INPUT -p tcp -m tcp --dport 22 -m comment --comment hello"),
                "{save}"
            );
            assert!(save.contains("-A USER -s 1.2.3.4/32 -j DROP"), "{save}");
            assert!(save.contains("-A USER -j RETURN"), "{save}");

            // xt tcp match needs the compat protocol: without it the
            // kernel refuses the rule.
            let mut nocompat = rich.clone();
            nocompat.compat = None;
            let e = nft
                .commit(
                    F,
                    None,
                    &[Op::AddRule {
                        table: T.into(),
                        rule: nocompat,
                        pos: Position::Append,
                    }],
                )
                .unwrap_err();
            assert_eq!(e.index, Some(0));
            assert_eq!(e.errno, libc::EINVAL);

            // positions: chain C gets A B, then P at the head, X before B,
            // Y after A => P A Y X B
            let mark = |n: u8| {
                let mut r = rule("USER", saddr([10, 0, 0, n]));
                r.exprs.push(Expr::Counter {
                    packets: 0,
                    bytes: 0,
                });
                r
            };
            let ops = |r: NftRule, pos| Op::AddRule {
                table: T.into(),
                rule: r,
                pos,
            };
            nft.commit(
                F,
                None,
                &[Op::FlushChain {
                    table: T.into(),
                    chain: "USER".into(),
                }],
            )
            .unwrap();
            nft.commit(
                F,
                None,
                &[
                    ops(mark(1), Position::Append),
                    ops(mark(2), Position::Append),
                ],
            )
            .unwrap();
            let r = nft.rules(F, T, Some("USER")).unwrap();
            let (ha, hb) = (r[0].handle, r[1].handle);
            nft.commit(
                F,
                None,
                &[
                    ops(mark(3), Position::Prepend),
                    ops(mark(4), Position::Before(hb)),
                    ops(mark(5), Position::After(ha)),
                ],
            )
            .unwrap();
            let order = |nft: &mut Nft| -> Vec<u8> {
                nft.rules(F, T, Some("USER"))
                    .unwrap()
                    .iter()
                    .map(|r| match &r.exprs[1] {
                        Expr::Cmp { data, .. } => data[3],
                        _ => 0,
                    })
                    .collect()
            };
            assert_eq!(order(&mut nft), vec![3, 1, 5, 4, 2]);

            // replace rule 5 (third) by 6, in place
            let r = nft.rules(F, T, Some("USER")).unwrap();
            let mut six = mark(6);
            six.handle = r[2].handle;
            nft.commit(
                F,
                None,
                &[Op::ReplaceRule {
                    table: T.into(),
                    rule: six,
                }],
            )
            .unwrap();
            assert_eq!(order(&mut nft), vec![3, 1, 6, 4, 2]);

            // delete by handle
            let r = nft.rules(F, T, Some("USER")).unwrap();
            nft.commit(
                F,
                None,
                &[Op::DelRule {
                    table: T.into(),
                    chain: "USER".into(),
                    handle: r[0].handle,
                }],
            )
            .unwrap();
            assert_eq!(order(&mut nft), vec![1, 6, 4, 2]);
            // unknown handle: ENOENT at its index
            let e = nft
                .commit(
                    F,
                    None,
                    &[
                        Op::FlushChain {
                            table: T.into(),
                            chain: "INPUT".into(),
                        },
                        Op::DelRule {
                            table: T.into(),
                            chain: "USER".into(),
                            handle: 999_999,
                        },
                    ],
                )
                .unwrap_err();
            assert_eq!(
                e,
                CommitError {
                    index: Some(1),
                    errno: libc::ENOENT
                }
            );
            assert_eq!(nft.rules(F, T, Some("INPUT")).unwrap().len(), 1, "atomic");

            // flush one chain, then the table
            nft.commit(
                F,
                None,
                &[Op::FlushChain {
                    table: T.into(),
                    chain: "USER".into(),
                }],
            )
            .unwrap();
            assert_eq!(nft.rules(F, T, Some("USER")).unwrap(), vec![]);
            assert_eq!(nft.rules(F, T, None).unwrap().len(), 1);
            nft.commit(F, None, &[Op::FlushTable { table: T.into() }])
                .unwrap();
            assert_eq!(nft.rules(F, T, None).unwrap(), vec![]);
            assert_eq!(nft.chains(F, T).unwrap().len(), 2);
            assert_eq!(nft.commit_waits, 0);
        });
    }

    #[test]
    fn unknown_expressions_decode_as_unknown() {
        in_netns(|| {
            let mut nft = Nft::open().unwrap();
            setup(&mut nft);
            run_here(&[
                "nft",
                "add",
                "rule",
                "ip",
                T,
                "USER",
                "ct",
                "state",
                "established",
                "counter",
                "accept",
            ]);
            let r = nft.rules(F, T, Some("USER")).unwrap();
            assert_eq!(r.len(), 1);
            assert_eq!(r[0].exprs[0], Expr::Unknown { name: "ct".into() });
            assert_eq!(r[0].exprs.last(), Some(&Expr::Verdict(Verdict::Accept)));
        });
    }

    /// Rules written by iptables-nft and nft, dumped by the kernel (whose
    /// attribute order differs from libnftnl's): the native decoder agrees
    /// with libnftnl's on every one.
    #[test]
    fn kernel_dumps_decode_like_libnftnl() {
        in_netns(|| {
            let mut nft = Nft::open().unwrap();
            for r in [
                "-A INPUT -p tcp --dport 22 -m limit --limit 3/s -j ACCEPT",
                "-A INPUT -s 10.128.0.0/9 ! -i eth0 -m comment --comment hi -j LOG --log-prefix x",
                "-A INPUT ! -p udp -d 192.168.1.1 -m conntrack --ctstate NEW -j DROP",
                "-A INPUT -p tcp -m multiport --dports 1:100 -j RETURN",
                "-N USER",
                "-A USER -o lo -j MARK --set-mark 5",
                "-I INPUT 2 -j USER",
            ] {
                let mut cmd = vec!["iptables-nft"];
                cmd.extend(r.split(' '));
                run_here(&cmd);
            }
            run_here(&[
                "nft",
                "add",
                "rule",
                "ip",
                T,
                "USER",
                "ct",
                "state",
                "established",
                "counter",
                "accept",
            ]);
            run_here(&[
                "nft", "add", "rule", "ip", T, "USER", "tcp", "dport", "{", "1,", "2", "}", "drop",
            ]);
            let count = std::cell::Cell::new(0);
            nft.dump(
                "test dump",
                |b, seq| {
                    rule_msg(
                        b,
                        NFT_MSG_GETRULE,
                        F,
                        NLM_F_DUMP,
                        seq,
                        args("", None, None, None),
                    )
                },
                || count.set(0),
                |m| {
                    if m.ty == nft_type(NFT_MSG_NEWRULE) {
                        let (t, mine) = rule_from_msg(m)?;
                        let (t2, theirs) = oracle::rule_from_msg(m)?;
                        assert_eq!(t, t2.as_bytes());
                        assert_eq!(mine, theirs);
                        count.set(count.get() + 1);
                    }
                    Ok(())
                },
            )
            .unwrap();
            assert_eq!(count.get(), 8);
            let rules = nft.rules(F, T, None).unwrap();
            assert_eq!(rules.len(), 8);
            // ! -i eth0 -s 10.128.0.0/9: meta, cmp, payload, bitwise, cmp
            assert_eq!(
                rules[2].exprs[..5],
                [
                    Expr::Meta {
                        key: meta::IIFNAME,
                        dreg: REG_1
                    },
                    Expr::Cmp {
                        sreg: REG_1,
                        op: CmpOp::Neq,
                        data: b"eth0\0".to_vec()
                    },
                    Expr::Payload {
                        base: PayloadBase::Network,
                        offset: 12,
                        len: 4,
                        dreg: REG_1
                    },
                    Expr::Bitwise {
                        sreg: REG_1,
                        dreg: REG_1,
                        len: 4,
                        mask: vec![255, 128, 0, 0],
                        xor: vec![0; 4]
                    },
                    Expr::Cmp {
                        sreg: REG_1,
                        op: CmpOp::Eq,
                        data: vec![10, 128, 0, 0]
                    },
                ]
            );
            assert_eq!(
                rules[1].exprs,
                vec![
                    Expr::Counter {
                        packets: 0,
                        bytes: 0
                    },
                    Expr::Verdict(Verdict::Jump("USER".into()))
                ]
            );
            assert_eq!(rules[0].udata, None);
            assert!(rules.iter().all(|r| r.compat.is_none()));
            assert!(
                matches!(&rules[7].exprs[3], Expr::Lookup { invert: false, .. }),
                "{:?}",
                rules[7]
            );
        });
    }

    #[test]
    fn failed_commit_is_atomic_and_indexed() {
        in_netns(|| {
            let mut nft = Nft::open().unwrap();
            let e = nft
                .commit(
                    F,
                    None,
                    &[
                        Op::AddTable { table: T.into() },
                        Op::AddChain {
                            table: T.into(),
                            chain: "INPUT".into(),
                            base: Some(base_input()),
                            excl: false,
                        },
                        add(
                            "INPUT",
                            vec![Expr::Verdict(Verdict::Accept)],
                            Position::Append,
                        ),
                        add(
                            "MISSING",
                            vec![Expr::Verdict(Verdict::Accept)],
                            Position::Append,
                        ),
                        add(
                            "INPUT",
                            vec![Expr::Verdict(Verdict::Drop)],
                            Position::Append,
                        ),
                    ],
                )
                .unwrap_err();
            assert_eq!(
                e,
                CommitError {
                    index: Some(3),
                    errno: libc::ENOENT
                }
            );
            assert!(!e.is_restart());
            assert_eq!(nft.tables(F).unwrap(), Vec::<String>::new());
            // Unencodable op: refused locally with its index.
            let e = nft
                .commit(
                    F,
                    None,
                    &[
                        Op::AddTable { table: T.into() },
                        add(
                            "INPUT",
                            vec![Expr::Unknown { name: "ct".into() }],
                            Position::Append,
                        ),
                    ],
                )
                .unwrap_err();
            assert_eq!(
                e,
                CommitError {
                    index: Some(1),
                    errno: libc::EINVAL
                }
            );
            assert_eq!(nft.tables(F).unwrap(), Vec::<String>::new());
            // So many errors that they overflow the receive buffer: the
            // first one is still reported.
            let mut ops = vec![
                Op::AddTable { table: T.into() },
                Op::AddChain {
                    table: T.into(),
                    chain: "INPUT".into(),
                    base: Some(base_input()),
                    excl: false,
                },
            ];
            ops.extend((0..50_000).map(|_| {
                add(
                    "MISSING",
                    vec![Expr::Verdict(Verdict::Accept)],
                    Position::Append,
                )
            }));
            let e = nft.commit(F, None, &ops).unwrap_err();
            assert_eq!(
                e,
                CommitError {
                    index: Some(2),
                    errno: libc::ENOENT
                }
            );
            assert_eq!(nft.tables(F).unwrap(), Vec::<String>::new());
            // The socket is still in sync afterwards.
            setup(&mut nft);
            assert_eq!(nft.chains(F, T).unwrap().len(), 2);
            assert_eq!(nft.commit_waits, 0);
        });
    }

    #[test]
    fn stale_genid_asks_for_retry() {
        in_netns(|| {
            let mut nft = Nft::open().unwrap();
            let g = nft.genid().unwrap();
            nft.commit(F, Some(g), &[Op::AddTable { table: "a".into() }])
                .unwrap();
            let e = nft
                .commit(F, Some(g), &[Op::AddTable { table: "b".into() }])
                .unwrap_err();
            assert_eq!(
                e,
                CommitError {
                    index: None,
                    errno: ERESTART
                }
            );
            assert!(e.is_restart());
            assert_eq!(nft.tables(F).unwrap(), vec!["a".to_string()]);
            let g = nft.genid().unwrap();
            nft.commit(F, Some(g), &[Op::AddTable { table: "b".into() }])
                .unwrap();
            assert_eq!(
                nft.tables(F).unwrap(),
                vec!["a".to_string(), "b".to_string()]
            );
        });
    }

    #[test]
    fn compat_revisions() {
        in_netns(|| {
            let mut nft = Nft::open().unwrap();
            assert!(nft.compat_revision(F, "tcp", 0, false).unwrap());
            assert!(nft.compat_revision(F, "conntrack", 3, false).unwrap());
            assert!(nft.compat_revision(F, "LOG", 0, true).unwrap());
            assert!(nft.compat_revision(NfProto::Ipv6, "LOG", 0, true).unwrap());
            assert!(!nft.compat_revision(F, "tcp", 99, false).unwrap());
            assert!(!nft.compat_revision(F, "no_such_match_x", 0, false).unwrap());
            assert!(!nft.compat_revision(F, "tcp", 0, true).unwrap());
        });
    }

    fn thread_user_time() -> std::time::Duration {
        let mut ru = std::mem::MaybeUninit::<libc::rusage>::zeroed();
        // SAFETY: getrusage fills the rusage struct it is given.
        let ru = unsafe {
            libc::getrusage(libc::RUSAGE_THREAD, ru.as_mut_ptr());
            ru.assume_init()
        };
        std::time::Duration::new(ru.ru_utime.tv_sec as u64, ru.ru_utime.tv_usec as u32 * 1000)
    }

    fn perf_ops(n: u32) -> Vec<Op> {
        let mk = |i: u32| {
            let mut r = rule("USER", saddr(i.to_be_bytes()));
            r.exprs.splice(
                0..0,
                [
                    Expr::Meta {
                        key: meta::L4PROTO,
                        dreg: REG_1,
                    },
                    Expr::Cmp {
                        sreg: REG_1,
                        op: CmpOp::Eq,
                        data: vec![6],
                    },
                ],
            );
            r.exprs.extend([
                Expr::Payload {
                    base: PayloadBase::Transport,
                    offset: 2,
                    len: 2,
                    dreg: REG_1,
                },
                Expr::Cmp {
                    sreg: REG_1,
                    op: CmpOp::Eq,
                    data: vec![0, 22],
                },
                Expr::Counter {
                    packets: 0,
                    bytes: 0,
                },
                Expr::Verdict(Verdict::Accept),
            ]);
            r.compat = Some(RuleCompat {
                proto: 6,
                inv: false,
            });
            Op::AddRule {
                table: T.into(),
                rule: r,
                pos: Position::Append,
            }
        };
        (0..n).map(mk).collect()
    }

    /// Encoding and decoding cost alone, no kernel:
    /// `cargo test --release -- --ignored --nocapture perf_codec`
    #[test]
    #[ignore]
    fn perf_codec() {
        let n = 100_000u32;
        let ops = perf_ops(n);
        let t0 = thread_user_time();
        let mut buf = MsgBuf::new(64 * 1024 + ops.len() * 512);
        for (i, op) in ops.iter().enumerate() {
            op_msg(&mut buf, F, i as u32, op, 0).unwrap();
        }
        let t1 = thread_user_time();
        let mut bad = false;
        let mut out = Vec::new();
        for m in messages(buf.bytes(), &mut bad) {
            out.push(rule_from_msg(&m).unwrap().1);
        }
        let t2 = thread_user_time();
        assert_eq!(out.len(), n as usize);
        println!(
            "native (user time): encode {n} rules ({} bytes): {:?}; decode: {:?}",
            buf.bytes().len(),
            t1 - t0,
            t2 - t1
        );
        let t0 = thread_user_time();
        let mut buf = MsgBuf::new(64 * 1024 + ops.len() * 512);
        for (i, op) in ops.iter().enumerate() {
            let Op::AddRule { rule, .. } = op else {
                unreachable!()
            };
            let a = args(&rule.chain, None, None, Some(rule));
            oracle::rule_msg(
                &mut buf,
                NFT_MSG_NEWRULE,
                F,
                NLM_F_CREATE | NLM_F_APPEND,
                i as u32,
                a,
            )
            .unwrap();
        }
        let t1 = thread_user_time();
        let mut bad = false;
        let mut out = Vec::new();
        for m in messages(buf.bytes(), &mut bad) {
            out.push(oracle::rule_from_msg(&m).unwrap().1);
        }
        let t2 = thread_user_time();
        println!(
            "libnftnl (user time): encode {:?}; decode: {:?}",
            t1 - t0,
            t2 - t1
        );
    }

    /// `cargo test --release -- --ignored --nocapture perf_100k`
    #[test]
    #[ignore]
    fn perf_100k() {
        in_netns(|| {
            let mut nft = Nft::open().unwrap();
            setup(&mut nft);
            let n = 100_000u32;
            let mk = |i: u32| {
                let mut r = rule("USER", saddr(i.to_be_bytes()));
                r.exprs.splice(
                    0..0,
                    [
                        Expr::Meta {
                            key: meta::L4PROTO,
                            dreg: REG_1,
                        },
                        Expr::Cmp {
                            sreg: REG_1,
                            op: CmpOp::Eq,
                            data: vec![6],
                        },
                    ],
                );
                r.exprs.extend([
                    Expr::Payload {
                        base: PayloadBase::Transport,
                        offset: 2,
                        len: 2,
                        dreg: REG_1,
                    },
                    Expr::Cmp {
                        sreg: REG_1,
                        op: CmpOp::Eq,
                        data: vec![0, 22],
                    },
                    Expr::Counter {
                        packets: 0,
                        bytes: 0,
                    },
                    Expr::Verdict(Verdict::Accept),
                ]);
                r.compat = Some(RuleCompat {
                    proto: 6,
                    inv: false,
                });
                Op::AddRule {
                    table: T.into(),
                    rule: r,
                    pos: Position::Append,
                }
            };
            let ops: Vec<Op> = (0..n).map(mk).collect();
            let (u0, t0) = (thread_user_time(), std::time::Instant::now());
            nft.commit(F, None, &ops).unwrap();
            let (u1, t1) = (thread_user_time(), std::time::Instant::now());
            println!("commit {n} rules: user {:?}, wall {:?}", u1 - u0, t1 - t0);
            let rules = nft.rules(F, T, None).unwrap();
            let (u2, t2) = (thread_user_time(), std::time::Instant::now());
            println!(
                "dump {} rules: user {:?}, wall {:?}",
                rules.len(),
                u2 - u1,
                t2 - t1
            );
            assert_eq!(rules.len(), n as usize);
            let one = nft.rules(F, T, Some("INPUT")).unwrap();
            let (u3, t3) = (thread_user_time(), std::time::Instant::now());
            println!(
                "dump of the other chain ({}): user {:?}, wall {:?}",
                one.len(),
                u3 - u2,
                t3 - t2
            );
            assert_eq!(nft.commit_waits, 0);
        });
    }
}
