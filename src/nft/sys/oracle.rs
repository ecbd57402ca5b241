//! libnftnl's own rule codec, used by the tests as the reference for the
//! native one (test-only; `unsafe` stays in the kernel module's files).
#![allow(unsafe_code)]

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
            let d = nl::nftnl_rule_get_data(self.ptr(), nl::NFTNL_RULE_USERDATA as u16, &mut len);
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
        Expr::MetaSet { key, sreg } => NlExpr::new(c"meta")?
            .u32(nl::NFTNL_EXPR_META_KEY, *key)
            .u32(nl::NFTNL_EXPR_META_SREG, *sreg),
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
        Expr::Log { .. } | Expr::Unknown { .. } => return Err(libc::EINVAL),
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
        "meta" if !e.is_set(nl::NFTNL_EXPR_META_DREG) => Expr::MetaSet {
            key: e.u32(nl::NFTNL_EXPR_META_KEY),
            sreg: e.u32(nl::NFTNL_EXPR_META_SREG),
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
