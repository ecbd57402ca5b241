//! The nf_tables intermediate representation: plain data mirroring the
//! expressions, rules and chains the kernel stores, with no libnftnl types.
//!
//! `nft::encode` turns model rules into [`Expr`] lists and `nft::decode`
//! turns them back; `nft::sys` (the only unsafe code) moves them to and from
//! the kernel. `Display` renders the libnftnl debug syntax that
//! `nft --debug=netlink list ruleset` prints, so goldens can be compared
//! with the reference's output.

use std::fmt;

/// Netfilter protocol family of a table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NfProto {
    /// `NFPROTO_IPV4` (2).
    Ipv4,
    /// `NFPROTO_IPV6` (10).
    Ipv6,
}

impl NfProto {
    /// The numeric `NFPROTO_*` value.
    pub fn raw(self) -> u8 {
        match self {
            NfProto::Ipv4 => 2,
            NfProto::Ipv6 => 10,
        }
    }
    /// The family keyword nft prints (`ip`, `ip6`).
    pub fn name(self) -> &'static str {
        match self {
            NfProto::Ipv4 => "ip",
            NfProto::Ipv6 => "ip6",
        }
    }
}

/// The first data register iptables-nft uses (`NFT_REG_1`).
pub const REG_1: u32 = 1;

/// Base of a payload load (`NFT_PAYLOAD_*_HEADER`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PayloadBase {
    /// `NFT_PAYLOAD_LL_HEADER` (0).
    Link,
    /// `NFT_PAYLOAD_NETWORK_HEADER` (1).
    Network,
    /// `NFT_PAYLOAD_TRANSPORT_HEADER` (2).
    Transport,
    /// Any other base, kept by number.
    Other(u32),
}

impl PayloadBase {
    /// Numeric value for the kernel.
    pub fn raw(self) -> u32 {
        match self {
            PayloadBase::Link => 0,
            PayloadBase::Network => 1,
            PayloadBase::Transport => 2,
            PayloadBase::Other(n) => n,
        }
    }
    /// From the kernel's number.
    pub fn from_raw(n: u32) -> Self {
        match n {
            0 => PayloadBase::Link,
            1 => PayloadBase::Network,
            2 => PayloadBase::Transport,
            n => PayloadBase::Other(n),
        }
    }
}

/// Meta keys iptables-nft uses (`enum nft_meta_keys`).
pub mod meta {
    /// `NFT_META_MARK`
    pub const MARK: u32 = 3;
    /// `NFT_META_IIF`
    pub const IIF: u32 = 4;
    /// `NFT_META_OIF`
    pub const OIF: u32 = 5;
    /// `NFT_META_IIFNAME`
    pub const IIFNAME: u32 = 6;
    /// `NFT_META_OIFNAME`
    pub const OIFNAME: u32 = 7;
    /// `NFT_META_NFPROTO`
    pub const NFPROTO: u32 = 15;
    /// `NFT_META_L4PROTO`
    pub const L4PROTO: u32 = 16;
    /// `NFT_META_PKTTYPE`
    pub const PKTTYPE: u32 = 19;
    /// `NFT_META_NFTRACE`
    pub const NFTRACE: u32 = 12;
}

/// Comparison operator of a `cmp` expression (`enum nft_cmp_ops`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CmpOp {
    /// `NFT_CMP_EQ`
    Eq,
    /// `NFT_CMP_NEQ`
    Neq,
    /// `NFT_CMP_LT`
    Lt,
    /// `NFT_CMP_LTE`
    Lte,
    /// `NFT_CMP_GT`
    Gt,
    /// `NFT_CMP_GTE`
    Gte,
}

impl CmpOp {
    /// Numeric value for the kernel.
    pub fn raw(self) -> u32 {
        match self {
            CmpOp::Eq => 0,
            CmpOp::Neq => 1,
            CmpOp::Lt => 2,
            CmpOp::Lte => 3,
            CmpOp::Gt => 4,
            CmpOp::Gte => 5,
        }
    }
    /// From the kernel's number.
    pub fn from_raw(n: u32) -> Option<Self> {
        Some(match n {
            0 => CmpOp::Eq,
            1 => CmpOp::Neq,
            2 => CmpOp::Lt,
            3 => CmpOp::Lte,
            4 => CmpOp::Gt,
            5 => CmpOp::Gte,
            _ => return None,
        })
    }
    fn text(self) -> &'static str {
        match self {
            CmpOp::Eq => "eq",
            CmpOp::Neq => "neq",
            CmpOp::Lt => "lt",
            CmpOp::Lte => "lte",
            CmpOp::Gt => "gt",
            CmpOp::Gte => "gte",
        }
    }
}

/// A verdict, as held by an `immediate` to the verdict register.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// `NF_ACCEPT`
    Accept,
    /// `NF_DROP`
    Drop,
    /// `NFT_RETURN`
    Return,
    /// `NFT_CONTINUE`
    Continue,
    /// `NFT_JUMP` to a chain.
    Jump(String),
    /// `NFT_GOTO` to a chain.
    Goto(String),
    /// `NF_QUEUE` or anything else, by number.
    Other(i32),
}

impl Verdict {
    /// The kernel's verdict code.
    pub fn code(&self) -> i32 {
        match self {
            Verdict::Accept => 1,
            Verdict::Drop => 0,
            Verdict::Return => -5,
            Verdict::Continue => -1,
            Verdict::Jump(_) => -3,
            Verdict::Goto(_) => -4,
            Verdict::Other(n) => *n,
        }
    }
    /// From the kernel's verdict code and chain name.
    pub fn from_code(code: i32, chain: Option<String>) -> Self {
        match (code, chain) {
            (1, _) => Verdict::Accept,
            (0, _) => Verdict::Drop,
            (-5, _) => Verdict::Return,
            (-1, _) => Verdict::Continue,
            (-3, Some(c)) => Verdict::Jump(c),
            (-4, Some(c)) => Verdict::Goto(c),
            (n, _) => Verdict::Other(n),
        }
    }
}

/// One nf_tables expression, as iptables-nft builds them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expr {
    /// `payload load LEN @ BASE + OFFSET => reg DREG`
    Payload {
        /// header the offset is relative to
        base: PayloadBase,
        /// byte offset
        offset: u32,
        /// bytes loaded
        len: u32,
        /// destination register
        dreg: u32,
    },
    /// `meta load KEY => reg DREG`
    Meta {
        /// `NFT_META_*` key
        key: u32,
        /// destination register
        dreg: u32,
    },
    /// `meta set KEY with reg SREG` (`-j TRACE`: `meta set nftrace`)
    MetaSet {
        /// `NFT_META_*` key
        key: u32,
        /// source register
        sreg: u32,
    },
    /// `cmp OP reg SREG DATA`
    Cmp {
        /// source register
        sreg: u32,
        /// operator
        op: CmpOp,
        /// bytes compared, in register (wire) layout
        data: Vec<u8>,
    },
    /// `bitwise reg DREG = ( reg SREG & MASK ) ^ XOR` (the mask-and-xor form only)
    Bitwise {
        /// source register
        sreg: u32,
        /// destination register
        dreg: u32,
        /// operand length in bytes
        len: u32,
        /// and-mask
        mask: Vec<u8>,
        /// xor value
        xor: Vec<u8>,
    },
    /// `range eq|neq reg SREG FROM TO` (written by iptables-nft >= 1.8.10 for port ranges)
    Range {
        /// source register
        sreg: u32,
        /// `Eq` or `Neq`
        op: CmpOp,
        /// lower bound, wire layout
        from: Vec<u8>,
        /// upper bound, wire layout
        to: Vec<u8>,
    },
    /// `lookup reg SREG set NAME [0x1]` (among, anonymous sets)
    Lookup {
        /// source register
        sreg: u32,
        /// set name
        set: String,
        /// `NFT_LOOKUP_F_INV`
        invert: bool,
    },
    /// `counter pkts P bytes B`
    Counter {
        /// packets
        packets: u64,
        /// bytes
        bytes: u64,
    },
    /// `immediate reg 0 VERDICT`
    Verdict(Verdict),
    /// `immediate reg DREG DATA` (data to a data register)
    Immediate {
        /// destination register (not 0)
        dreg: u32,
        /// value
        data: Vec<u8>,
    },
    /// `match name NAME rev REV` with its xt info blob
    Match {
        /// xt extension name
        name: String,
        /// revision
        rev: u32,
        /// `XT_ALIGN`ed info struct bytes
        info: Vec<u8>,
    },
    /// `target name NAME rev REV` with its xt info blob
    Target {
        /// xt extension name
        name: String,
        /// revision
        rev: u32,
        /// `XT_ALIGN`ed info struct bytes
        info: Vec<u8>,
    },
    /// `limit rate R/UNIT burst B type T flags F` (native `-m limit`)
    Limit {
        /// rate
        rate: u64,
        /// unit in seconds
        unit: u64,
        /// burst
        burst: u32,
        /// `NFT_LIMIT_PKTS` (0) or `NFT_LIMIT_PKT_BYTES` (1)
        kind: u32,
        /// `NFT_LIMIT_F_INV`
        flags: u32,
    },
    /// `log [prefix P] group G snaplen S qthreshold Q` (native `-j NFLOG`;
    /// the nflog form only: a `log` with a level is `Unknown`)
    Log {
        /// `NFTA_LOG_PREFIX`, if set
        prefix: Option<String>,
        /// `NFTA_LOG_GROUP`
        group: u16,
        /// `NFTA_LOG_SNAPLEN`, if set
        snaplen: Option<u32>,
        /// `NFTA_LOG_QTHRESHOLD`, if set
        qthreshold: Option<u16>,
    },
    /// An expression rxtables does not model; a rule holding one is shown
    /// as unknown and never modified.
    Unknown {
        /// the expression's name (`ct`, `socket`, ...)
        name: String,
    },
}

fn hex_words(data: &[u8]) -> String {
    // libnftnl prints the register content as native-endian u32 words.
    let mut out = Vec::new();
    for chunk in data.chunks(4) {
        let mut w = [0u8; 4];
        w[..chunk.len()].copy_from_slice(chunk);
        out.push(format!("0x{:08x}", u32::from_ne_bytes(w)));
    }
    out.join(" ")
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Verdict::Accept => f.write_str("accept"),
            Verdict::Drop => f.write_str("drop"),
            Verdict::Return => f.write_str("return"),
            Verdict::Continue => f.write_str("continue"),
            Verdict::Jump(c) => write!(f, "jump -> {c}"),
            Verdict::Goto(c) => write!(f, "goto -> {c}"),
            Verdict::Other(n) => write!(f, "verdict {n}"),
        }
    }
}

impl fmt::Display for Expr {
    /// The `[ ... ]` line of `nft --debug=netlink`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Expr::Payload {
                base,
                offset,
                len,
                dreg,
            } => {
                let b = match base {
                    PayloadBase::Link => "link".to_string(),
                    PayloadBase::Network => "network".to_string(),
                    PayloadBase::Transport => "transport".to_string(),
                    PayloadBase::Other(n) => n.to_string(),
                };
                write!(
                    f,
                    "[ payload load {len}b @ {b} header + {offset} => reg {dreg} ]"
                )
            }
            Expr::Meta { key, dreg } => {
                let k = match *key {
                    meta::MARK => "mark".to_string(),
                    meta::IIFNAME => "iifname".to_string(),
                    meta::OIFNAME => "oifname".to_string(),
                    meta::L4PROTO => "l4proto".to_string(),
                    meta::NFPROTO => "nfproto".to_string(),
                    meta::IIF => "iif".to_string(),
                    meta::OIF => "oif".to_string(),
                    meta::PKTTYPE => "pkttype".to_string(),
                    n => n.to_string(),
                };
                write!(f, "[ meta load {k} => reg {dreg} ]")
            }
            Expr::MetaSet { key, sreg } => {
                let k = match *key {
                    meta::NFTRACE => "nftrace".to_string(),
                    meta::MARK => "mark".to_string(),
                    n => n.to_string(),
                };
                write!(f, "[ meta set {k} with reg {sreg} ]")
            }
            Expr::Cmp { sreg, op, data } => {
                write!(f, "[ cmp {} reg {sreg} {} ]", op.text(), hex_words(data))
            }
            Expr::Bitwise {
                sreg,
                dreg,
                mask,
                xor,
                ..
            } => write!(
                f,
                "[ bitwise reg {dreg} = ( reg {sreg} & {} ) ^ {} ]",
                hex_words(mask),
                hex_words(xor)
            ),
            Expr::Range { sreg, op, from, to } => write!(
                f,
                "[ range {} reg {sreg} {} {} ]",
                op.text(),
                hex_words(from),
                hex_words(to)
            ),
            Expr::Lookup { sreg, set, invert } => {
                write!(f, "[ lookup reg {sreg} set {set}")?;
                if *invert {
                    write!(f, " 0x1")?;
                }
                write!(f, " ]")
            }
            Expr::Counter { packets, bytes } => {
                write!(f, "[ counter pkts {packets} bytes {bytes} ]")
            }
            Expr::Verdict(v) => write!(f, "[ immediate reg 0 {v} ]"),
            Expr::Immediate { dreg, data } => {
                write!(f, "[ immediate reg {dreg} {} ]", hex_words(data))
            }
            Expr::Match { name, rev, .. } => write!(f, "[ match name {name} rev {rev} ]"),
            Expr::Target { name, rev, .. } => write!(f, "[ target name {name} rev {rev} ]"),
            Expr::Limit {
                rate,
                unit,
                burst,
                kind,
                flags,
            } => write!(
                f,
                "[ limit rate {rate}/{unit} burst {burst} type {kind} flags 0x{flags:x} ]"
            ),
            Expr::Log {
                prefix,
                group,
                snaplen,
                qthreshold,
            } => {
                f.write_str("[ log ")?;
                if let Some(p) = prefix {
                    write!(f, "prefix {p} ")?;
                }
                write!(
                    f,
                    "group {group} snaplen {} qthreshold {} ]",
                    snaplen.unwrap_or(0),
                    qthreshold.unwrap_or(0)
                )
            }
            Expr::Unknown { name } => write!(f, "[ {name} ]"),
        }
    }
}

/// `NFTNL_RULE_COMPAT_*`: the `-p` protocol iptables-nft records beside a
/// rule so that xt matches can be checked by the kernel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RuleCompat {
    /// `NFTNL_RULE_COMPAT_PROTO`
    pub proto: u32,
    /// `NFT_RULE_COMPAT_F_INV` set in `NFTNL_RULE_COMPAT_FLAGS`
    pub inv: bool,
}

/// A rule as stored in the kernel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NftRule {
    /// chain it lives in
    pub chain: String,
    /// kernel handle (0 for a rule not yet added)
    pub handle: u64,
    /// the expressions, in order
    pub exprs: Vec<Expr>,
    /// compat attributes, when present
    pub compat: Option<RuleCompat>,
    /// `NFTNL_RULE_USERDATA` bytes, when present
    pub udata: Option<Vec<u8>>,
}

/// Hook of a base chain (`NF_INET_*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hook {
    /// `NF_INET_PRE_ROUTING` (0)
    Prerouting,
    /// `NF_INET_LOCAL_IN` (1)
    Input,
    /// `NF_INET_FORWARD` (2)
    Forward,
    /// `NF_INET_LOCAL_OUT` (3)
    Output,
    /// `NF_INET_POST_ROUTING` (4)
    Postrouting,
}

impl Hook {
    /// Numeric hook.
    pub fn raw(self) -> u32 {
        match self {
            Hook::Prerouting => 0,
            Hook::Input => 1,
            Hook::Forward => 2,
            Hook::Output => 3,
            Hook::Postrouting => 4,
        }
    }
    /// From the kernel's number.
    pub fn from_raw(n: u32) -> Option<Self> {
        Some(match n {
            0 => Hook::Prerouting,
            1 => Hook::Input,
            2 => Hook::Forward,
            3 => Hook::Output,
            4 => Hook::Postrouting,
            _ => return None,
        })
    }
}

/// Base-chain attributes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BaseSpec {
    /// `filter`, `nat` or `route`
    pub kind: String,
    /// hook
    pub hook: Hook,
    /// priority
    pub prio: i32,
    /// policy: `true` accept, `false` drop
    pub policy_accept: bool,
}

/// A chain as stored in the kernel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NftChain {
    /// table name
    pub table: String,
    /// chain name
    pub name: String,
    /// kernel handle
    pub handle: u64,
    /// base chain attributes; `None` for a user chain
    pub base: Option<BaseSpec>,
    /// chain counters (base chains)
    pub packets: u64,
    /// chain counters (base chains)
    pub bytes: u64,
    /// the kernel's use count: rules in the chain plus jumps and gotos to it
    pub uses: u32,
}

/// Where a new rule goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Position {
    /// at the end of the chain
    Append,
    /// at the start of the chain
    Prepend,
    /// before the rule with this handle
    Before(u64),
    /// after the rule with this handle
    After(u64),
}

/// One message of an nf_tables transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Op {
    /// `NFT_MSG_NEWTABLE` (NLM_F_CREATE, no EXCL: harmless if it exists)
    AddTable {
        /// table
        table: String,
    },
    /// `NFT_MSG_DELTABLE`
    DelTable {
        /// table
        table: String,
    },
    /// `NFT_MSG_NEWCHAIN`; `excl` makes an existing chain an error (`-N`)
    AddChain {
        /// table
        table: String,
        /// chain
        chain: String,
        /// base chain attributes
        base: Option<BaseSpec>,
        /// NLM_F_EXCL
        excl: bool,
    },
    /// `NFT_MSG_NEWCHAIN` on an existing base chain: set its policy (and
    /// counters, when given)
    SetPolicy {
        /// table
        table: String,
        /// chain
        chain: String,
        /// accept or drop
        accept: bool,
        /// counters to set, if any
        counters: Option<(u64, u64)>,
    },
    /// `NFT_MSG_NEWCHAIN` with a handle and a new name
    RenameChain {
        /// table
        table: String,
        /// chain's handle
        handle: u64,
        /// new name
        new_name: String,
    },
    /// `NFT_MSG_DELCHAIN`
    DelChain {
        /// table
        table: String,
        /// chain
        chain: String,
    },
    /// `NFT_MSG_NEWRULE`
    AddRule {
        /// table
        table: String,
        /// the rule (its chain inside), handle ignored
        rule: NftRule,
        /// where
        pos: Position,
    },
    /// `NFT_MSG_NEWRULE` with NLM_F_REPLACE
    ReplaceRule {
        /// table
        table: String,
        /// the new rule; `handle` names the rule replaced
        rule: NftRule,
    },
    /// `NFT_MSG_DELRULE` of one rule
    DelRule {
        /// table
        table: String,
        /// chain
        chain: String,
        /// handle
        handle: u64,
    },
    /// `NFT_MSG_DELRULE` of every rule of a chain
    FlushChain {
        /// table
        table: String,
        /// chain
        chain: String,
    },
    /// `NFT_MSG_DELRULE` of every rule of a table
    FlushTable {
        /// table
        table: String,
    },
}
