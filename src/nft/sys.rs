#![allow(unsafe_code)]
//! Netlink access to nf_tables: the only module of rxtables that talks to
//! the kernel and the only one with `unsafe` code.
//!
//! Tables and chains are encoded and decoded by libnftnl, through RAII
//! wrappers private to this module; rules, the hot path (100k-rule
//! restores and dumps), are encoded and decoded by the pure codec in
//! [`super::wire`], in the very bytes libnftnl would produce (the tests
//! here compare the two byte for byte). Requests go through a libmnl socket. Everything that
//! leaves the module is plain [`crate::ir`] data, copied out of libnftnl's
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

/// A piece of a batch for [`Nft::commit_parts`].
pub enum Part<'a> {
    /// these ops, each encoded into the batch
    Ops(std::ops::Range<usize>),
    /// messages of ops already encoded, back to back (`NLM_F_ACK` and
    /// sequence numbers are set in place), sent as they are
    Msgs(&'a mut [u8]),
}

/// A piece of the datagram [`Nft::commit_parts`] sends.
enum Piece<'a> {
    Owned(MsgBuf),
    Sent(&'a [u8]),
}

impl CommitError {
    fn at(index: Option<usize>, errno: i32) -> Self {
        CommitError { index, errno }
    }

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

// The libnftnl objects (tables and chains) and the messages of ops are
// built in `sys/msgs.rs`.
#[path = "sys/msgs.rs"]
mod msgs;
use msgs::*;

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

    /// Sends `pieces` (`len` bytes in all) as one datagram: the kernel
    /// gets one skb, as with [`Nft::send`].
    fn send_pieces(&mut self, pieces: &[&[u8]], len: usize) -> Result<(), i32> {
        if let [one] = pieces {
            return self.send(one);
        }
        if pieces.len() > 1024 {
            return Err(libc::EINVAL);
        }
        let mut iov: Vec<libc::iovec> = pieces
            .iter()
            .map(|p| libc::iovec {
                iov_base: p.as_ptr() as *mut c_void,
                iov_len: p.len(),
            })
            .collect();
        // SAFETY: an all-zero msghdr is valid (no name, no control data).
        let mut msg: libc::msghdr = unsafe { std::mem::zeroed() };
        msg.msg_iov = iov.as_mut_ptr();
        msg.msg_iovlen = iov.len() as _;
        loop {
            // SAFETY: `msg` points at `iov`, whose entries point at the
            // borrowed `pieces`, all alive for the call; the kernel only
            // reads them. The fd is our open socket.
            let n = unsafe { libc::sendmsg(self.sock.as_raw_fd(), &msg, 0) };
            if n >= 0 {
                return if n as usize == len {
                    Ok(())
                } else {
                    Err(libc::EMSGSIZE)
                };
            }
            let e = last_errno();
            if e != libc::EINTR {
                return Err(e);
            }
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
        self.chains_in(fam, Some(table))
    }

    /// The chains of every table of the family (`None`) or of one table:
    /// the kernel dumps them all either way.
    pub fn chains_in(
        &mut self,
        fam: NfProto,
        table: Option<&str>,
    ) -> Result<Vec<NftChain>, SysError> {
        let out = std::cell::RefCell::new(Vec::new());
        self.chains_each(
            fam,
            |c| {
                // The kernel does not filter chain dumps by table.
                if table.is_none_or(|t| c.table == t) {
                    out.borrow_mut().push(c);
                }
            },
            || out.borrow_mut().clear(),
        )?;
        Ok(out.into_inner())
    }

    /// Hands every chain of the family to `each` as its part of the dump
    /// arrives, so that work on the first chains can start while the
    /// kernel still walks the others. `restart`: the dump was interrupted
    /// (the ruleset changed) and starts again from the first chain.
    pub fn chains_each(
        &mut self,
        fam: NfProto,
        mut each: impl FnMut(NftChain),
        restart: impl FnMut(),
    ) -> Result<(), SysError> {
        self.dump(
            "list chains",
            |b, seq| {
                let c = Chain::new()?;
                chain_msg(b, NFT_MSG_GETCHAIN, fam, NLM_F_DUMP, seq, &c, 0)
            },
            restart,
            |m| {
                if m.ty == nft_type(NFT_MSG_NEWCHAIN) {
                    each(Chain::parse(m)?.to_ir());
                }
                Ok(())
            },
        )
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
    ///
    /// With `pass_over`, a rule whose last expression (counters aside) it
    /// holds true of is passed over without being read.
    pub fn rules_while(
        &mut self,
        fam: NfProto,
        table: &str,
        chain: &str,
        pass_over: Option<&dyn Fn(&Expr) -> bool>,
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
                        if let Some(pass) = pass_over {
                            if rule_tail(&m).is_some_and(|e| pass(&e)) {
                                continue;
                            }
                        }
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
        let base = self.next_batch(total);
        let mut buf = MsgBuf::new(64 * 1024 + total * 512);
        batch_begin(&mut buf, base, genid).map_err(|e| CommitError::at(None, e))?;
        for (i, op) in ops.enumerate() {
            put_op(&mut buf, fam, base, total, i, op.borrow())?;
        }
        batch_end(&mut buf, base, total).map_err(|e| CommitError::at(None, e))?;
        self.send_batch(&[buf.bytes()], base, total)
    }

    /// [`Nft::commit_iter`] of ops `0..total`, op `i` made by `op(i)`, on
    /// `threads` threads: each builds the messages of one run of ops into
    /// its own buffer, and the buffers go to the kernel as one datagram
    /// (`sendmsg` of several pieces), so nothing is copied and the batch
    /// takes the memory it takes on one thread.
    pub fn commit_shared<F>(
        &mut self,
        fam: NfProto,
        genid: Option<u32>,
        total: usize,
        threads: usize,
        op: F,
    ) -> Result<(), CommitError>
    where
        F: Fn(usize) -> Op + Sync,
    {
        if total == 0 {
            return Ok(());
        }
        let threads = threads.clamp(1, 8).min(total);
        let base = self.next_batch(total);
        let per = total.div_ceil(threads);
        let part = |t: usize| -> Result<MsgBuf, CommitError> {
            let (lo, hi) = (t * per, ((t + 1) * per).min(total));
            let mut buf = MsgBuf::new(64 * 1024 + (hi - lo) * 512);
            if t == 0 {
                batch_begin(&mut buf, base, genid).map_err(|e| CommitError::at(None, e))?;
            }
            for i in lo..hi {
                put_op(&mut buf, fam, base, total, i, &op(i))?;
            }
            if hi == total {
                batch_end(&mut buf, base, total).map_err(|e| CommitError::at(None, e))?;
            }
            Ok(buf)
        };
        let parts: Vec<Result<MsgBuf, CommitError>> = if threads == 1 {
            vec![part(0)]
        } else {
            std::thread::scope(|scope| {
                let handles: Vec<_> = (1..threads)
                    .map(|t| {
                        let part = &part;
                        scope.spawn(move || part(t))
                    })
                    .collect();
                let mut all = vec![part(0)];
                all.extend(handles.into_iter().map(|h| {
                    h.join()
                        .unwrap_or_else(|_| Err(CommitError::at(None, libc::EFAULT)))
                }));
                all
            })
        };
        let parts = parts.into_iter().collect::<Result<Vec<MsgBuf>, _>>()?;
        let pieces: Vec<&[u8]> = parts.iter().map(MsgBuf::bytes).collect();
        self.send_batch(&pieces, base, total)
    }

    /// [`Nft::commit_iter`] of a batch given in parts, `total` ops in
    /// all: runs of ops, op `i` made by `op(i)` and encoded into the batch
    /// when its turn comes (`per_op`: about how many bytes each takes),
    /// and runs of messages of ops already encoded (numbered here in their
    /// place), which are sent from where they are.
    pub fn commit_parts<'a>(
        &mut self,
        fam: NfProto,
        genid: Option<u32>,
        total: usize,
        parts: Vec<Part<'a>>,
        per_op: usize,
        op: impl Fn(usize) -> Op,
    ) -> Result<(), CommitError> {
        if total == 0 {
            return Ok(());
        }
        let base = self.next_batch(total);
        let bad = |e| CommitError::at(None, e);
        let mut cur = MsgBuf::new(64 * 1024);
        batch_begin(&mut cur, base, genid).map_err(bad)?;
        let mut pieces: Vec<Piece<'a>> = Vec::new();
        let mut i = 0;
        for part in parts {
            match part {
                Part::Ops(range) => {
                    if range.start != i {
                        return Err(bad(libc::EINVAL));
                    }
                    // (sized for the run: the buffer is not grown by copying)
                    cur.buf
                        .reserve(range.len() * (per_op.max(256) + per_op / 8));
                    for n in range {
                        put_op(&mut cur, fam, base, total, n, &op(n))?;
                        i += 1;
                    }
                }
                Part::Msgs(m) => {
                    let n = renumber(m, 0, false).ok_or(bad(libc::EINVAL))? as usize;
                    let first = base.wrapping_add(1 + i as u32);
                    renumber(m, first, i + n == total).ok_or(bad(libc::EINVAL))?;
                    pieces.push(Piece::Owned(std::mem::replace(&mut cur, MsgBuf::new(4096))));
                    let m: &'a [u8] = m;
                    pieces.push(Piece::Sent(m));
                    i += n;
                }
            }
        }
        if i != total {
            return Err(bad(libc::EINVAL));
        }
        batch_end(&mut cur, base, total).map_err(bad)?;
        pieces.push(Piece::Owned(cur));
        let slices: Vec<&[u8]> = pieces
            .iter()
            .map(|p| match p {
                Piece::Owned(b) => b.bytes(),
                Piece::Sent(m) => &**m,
            })
            .filter(|b| !b.is_empty())
            .collect();
        self.send_batch(&slices, base, total)
    }

    /// The first sequence number of a batch of `total` ops (the BEGIN
    /// message's); the ops follow it, then END.
    fn next_batch(&mut self, total: usize) -> u32 {
        let base = self.seq.wrapping_add(1);
        self.seq = self.seq.wrapping_add(total as u32 + 2);
        base
    }

    /// Sends a batch built by [`batch_begin`], [`put_op`] and [`batch_end`]
    /// (in `pieces`, one datagram) and reads the kernel's answers: the
    /// first error, with the index of the op it is about.
    fn send_batch(&mut self, pieces: &[&[u8]], base: u32, total: usize) -> Result<(), CommitError> {
        let n = total as u32;
        let err = |index, errno| CommitError { index, errno };
        let len: usize = pieces.iter().map(|p| p.len()).sum();
        // The kernel refuses a message larger than the send buffer.
        if len + 4096 > self.sndbuf {
            let want = (len + 4096).min(c_int::MAX as usize / 2);
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
        self.send_pieces(pieces, len).map_err(|e| err(None, e))?;

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
        match self.compat_get(fam, name, rev, target) {
            Ok(()) => Ok(true),
            Err(libc::ENOENT) | Err(libc::EPROTONOSUPPORT) => Ok(false),
            Err(e) => Err(sys_err("get xt revision", e)),
        }
    }

    /// Whether the kernel has xt match or target `name` at all, at any
    /// revision, for family `fam` (asked for revision 0: `ENOENT` is no
    /// such extension, `EPROTONOSUPPORT` one without that revision).
    pub fn compat_extension(
        &mut self,
        fam: NfProto,
        name: &str,
        target: bool,
    ) -> Result<bool, SysError> {
        match self.compat_get(fam, name, 0, target) {
            Ok(()) | Err(libc::EPROTONOSUPPORT) => Ok(true),
            Err(libc::ENOENT) => Ok(false),
            Err(e) => Err(sys_err("get xt revision", e)),
        }
    }

    /// One `NFNL_MSG_COMPAT_GET`: the kernel's errno, if any.
    fn compat_get(&mut self, fam: NfProto, name: &str, rev: u32, target: bool) -> Result<(), i32> {
        if name.is_empty() || name.len() > XT_NAME_MAXLEN || name.contains('\0') {
            return Err(libc::ENOENT);
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
        )?;
        self.talk(req.bytes(), seq, Until::Ack, |_| Ok(()))
            .map(drop)
    }
}

#[cfg(test)]
#[path = "sys/oracle.rs"]
mod oracle;

#[cfg(test)]
#[path = "sys/tests.rs"]
mod tests;

// The process's own system calls (start-up, the mapped input, the heap):
// not netlink, but `unsafe`, so kept under this module.
#[path = "sys/process.rs"]
mod process;
pub use process::{process_start, trim_heap, MappedFile};
