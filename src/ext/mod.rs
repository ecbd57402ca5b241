//! iptables extensions: one file per match or target, each owning its
//! options (as data), its save and list text, and its nf_tables encoding
//! and decoding. [`MATCHES`] and [`TARGETS`] are the registry: adding an
//! extension is one file, one line in `match_registry!`/`target_registry!`.

pub mod addrtype;
pub mod blob;
pub mod comment;
pub mod conntrack;
pub mod dnat;
pub mod help;
pub mod icmp;
pub mod icmp6;
pub mod iprange;
pub mod limit;
pub mod log;
pub mod mark;
pub mod mark_target;
pub mod masquerade;
pub mod multiport;
pub mod nat;
pub mod netmap;
pub mod opt;
pub mod redirect;
pub mod reject;
pub mod snat;
pub mod statistic;
pub mod tcp;
pub mod udp;
pub mod value;
// header matches and targets (tos dscp ttl hl length pkttype tcpmss TOS DSCP TTL HL TCPMSS CHECKSUM CLASSIFY)
pub mod checksum;
pub mod classify;
pub mod dscp;
pub mod header_kit;
pub mod length;
pub mod pkttype;
pub mod tcpmss;
pub mod tcpmss_target;
pub mod tos;
pub mod tos_target;
pub mod ttl;
pub mod ttl_target;

// connection tracking (connmark CONNMARK helper connlimit CT NOTRACK TRACE recent)
pub mod connlimit;
pub mod connmark;
pub mod connmark_target;
pub mod ct;
pub mod helper;
pub mod recent;
pub mod trace;

// rates and sockets (hashlimit owner socket mac physdev rpfilter nfacct)
pub mod hashlimit;
pub mod mac;
pub mod nfacct;
pub mod owner;
pub mod physdev;
pub mod rpfilter;
pub mod socket;

// queues, sets, policy (NFLOG NFQUEUE set SET policy TPROXY)

// ipv6 and ipsec headers (ah esp ipcomp frag hbh dst rt mh srh ipv6header eui64)
pub mod ah;
pub mod esp;
pub mod eui64;
pub mod frag;
pub mod hbh;
pub mod ipcomp;
pub mod ipv6header;
pub mod mh;
pub mod rt;
pub mod srh;

// protocols and content (sctp dccp string u32 bpf time quota)
pub mod bpf;
pub mod dccp;
pub mod quota;
pub mod sctp;
pub mod string;
pub mod time;
pub mod u32;

// accounting and classification (connbytes connlabel rateest RATEEST cgroup cpu cluster osf realm ecn ECN)
pub mod cgroup;
pub mod cluster;
pub mod connbytes;
pub mod connlabel;
pub mod cpu;
pub mod devgroup;
pub mod ecn;
pub mod ecn_target;
pub mod ipvs;
pub mod osf;
pub mod rateest;
pub mod rateest_target;
pub mod realm;

// more targets (TEE SNPT DNPT HMARK IDLETIMER AUDIT CONNSECMARK SECMARK SYNPROXY TCPOPTSTRIP LED)
pub mod audit;
pub mod connsecmark;
pub mod hmark;
pub mod idletimer;
pub mod led;
pub mod nflog;
pub mod nfqueue;
pub mod npt;
pub mod policy;
pub mod probe;
pub mod secmark;
pub mod set;
pub mod set_target;
pub mod synproxy;
pub mod tcpoptstrip;
pub mod tee;
pub mod tproxy;

use crate::error::{DecodeError, Error};
use crate::ir::{CmpOp, Expr, PayloadBase};
use crate::model::{Family, Inv, Table};
use std::fmt::Debug;
pub use value::ValueKind;

/// How many arguments an option takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Args {
    /// a flag (`--syn`)
    None,
    /// one value (`--dport 22`)
    One,
    /// two values (`--tcp-flags SYN,ACK SYN`)
    Two,
    /// a flag that takes the next word as its value when that is not an
    /// option or `!` (old-style parsers reading `argv[optind]`: rateest)
    OptionalNext,
}

/// One option of an extension: the Rust form of `xt_option_entry`.
#[derive(Debug, Clone, Copy)]
pub struct OptSpec {
    /// long name without dashes
    pub name: &'static str,
    /// another long name for the same option (`sport` for `source-port`)
    pub alias: &'static str,
    /// arguments taken
    pub args: Args,
    /// may carry `!`
    pub invertible: bool,
    /// may be given more than once
    pub multi: bool,
    /// what its value is, checked as it is read
    pub kind: ValueKind,
    /// must be given
    pub mandatory: bool,
    /// options (bit i: `OPTIONS[i]`) it cannot be combined with
    pub excl: u32,
    /// options it needs beside it
    pub also: u32,
}

impl OptSpec {
    /// An option taking one value, invertible, once.
    pub const fn value(name: &'static str) -> Self {
        OptSpec {
            name,
            alias: "",
            args: Args::One,
            invertible: true,
            multi: false,
            kind: ValueKind::Any,
            mandatory: false,
            excl: 0,
            also: 0,
        }
    }
    /// A flag without value, invertible, once.
    pub const fn flag(name: &'static str) -> Self {
        OptSpec {
            name,
            alias: "",
            args: Args::None,
            invertible: true,
            multi: false,
            kind: ValueKind::Any,
            mandatory: false,
            excl: 0,
            also: 0,
        }
    }
    /// Same, not invertible.
    pub const fn no_inv(self) -> Self {
        OptSpec {
            invertible: false,
            ..self
        }
    }
    /// Same, also known as `alias`.
    pub const fn alias(self, alias: &'static str) -> Self {
        OptSpec { alias, ..self }
    }
    /// Same, may be given more than once (the extension checks).
    pub const fn multi(self) -> Self {
        OptSpec {
            multi: true,
            ..self
        }
    }
    /// Same, taking two values.
    pub const fn two(self) -> Self {
        OptSpec {
            args: Args::Two,
            ..self
        }
    }
    /// Same, a flag taking the next word as value if it is no option.
    pub const fn optional_next(self) -> Self {
        OptSpec {
            args: Args::OptionalNext,
            ..self
        }
    }
    /// Same, its value of `kind` (checked as the option is read).
    pub const fn kind(self, kind: ValueKind) -> Self {
        OptSpec { kind, ..self }
    }
    /// Same, required.
    pub const fn mandatory(self) -> Self {
        OptSpec {
            mandatory: true,
            ..self
        }
    }
    /// Same, not to be combined with the options of bits `excl`.
    pub const fn excl(self, excl: u32) -> Self {
        OptSpec { excl, ..self }
    }
    /// Same, needing the options of bits `also` beside it.
    pub const fn also(self, also: u32) -> Self {
        OptSpec { also, ..self }
    }
}

/// The generic final check of one extension's options, as iptables runs it
/// (`xtables_options_fcheck`) after the whole line is read and after the
/// extension's own: in table order, a mandatory option missing, an option
/// given with one it excludes, or without one it needs.
pub fn final_check(ext: &str, options: &[OptSpec], hits: &[OptHit]) -> Result<(), Error> {
    let given = hits.iter().fold(0u32, |m, h| m | 1 << h.idx);
    for (i, o) in options.iter().enumerate() {
        if o.mandatory && given & (1 << i) == 0 {
            return Err(crate::error::param(format!(
                "{ext}: option \"--{}\" must be specified\n",
                o.name
            )));
        }
        if given & (1 << i) != 0 {
            if let Some(j) = (0..options.len()).find(|j| *j != i && o.excl & given & (1 << j) != 0)
            {
                return Err(crate::error::param(format!(
                    "{ext}: option \"--{}\" cannot be used together with \"--{}\".\n",
                    o.name, options[j].name
                )));
            }
            if let Some(j) = (0..options.len()).find(|j| o.also & !given & (1 << j) != 0) {
                return Err(crate::error::param(format!(
                    "{ext}: option \"--{}\" also requires \"--{}\".\n",
                    o.name, options[j].name
                )));
            }
        }
    }
    Ok(())
}

/// One occurrence of an extension option on the command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OptHit<'a> {
    /// index into the extension's `OPTIONS`
    pub idx: usize,
    /// `!` was given before it
    pub inv: bool,
    /// its values, borrowed from the command line's words
    pub args: Vals<'a>,
}

impl<'a> OptHit<'a> {
    /// A hit of option `idx` with values `args` (at most two are kept).
    pub fn new(idx: usize, inv: bool, args: &[&'a str]) -> Self {
        let mut v = Vals::default();
        for a in args {
            v.push(a);
        }
        OptHit { idx, inv, args: v }
    }

    /// The first value (empty for a flag).
    pub fn arg(&self) -> &'a str {
        self.args.first().copied().unwrap_or("")
    }
}

/// The values of one option (none, one or two: [`Args`]), kept in place
/// instead of in a vector of their own; reads as a slice.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Vals<'a> {
    v: [&'a str; 2],
    n: u8,
}

impl<'a> Vals<'a> {
    /// Add a value; a third and later are dropped (no option takes them).
    pub fn push(&mut self, a: &'a str) {
        if let Some(slot) = self.v.get_mut(usize::from(self.n)) {
            *slot = a;
            self.n += 1;
        }
    }
}

impl<'a> std::ops::Deref for Vals<'a> {
    type Target = [&'a str];
    fn deref(&self) -> &[&'a str] {
        &self.v[..usize::from(self.n)]
    }
}

/// What an extension may know about the rule it is parsed into.
#[derive(Debug, Clone)]
pub struct ParseCx<'a> {
    /// family
    pub family: Family,
    /// `-p`, if given
    pub proto: Option<&'a Inv<u8>>,
    /// table
    pub table: Table,
    /// chain the rule goes to (empty when unknown)
    pub chain: &'a str,
    /// whether the options make a rule; `false`: a command without a rule
    /// (`-P`, `-L`, ...) reads and checks them and drops them, so what only
    /// a rule needs (`-p tcp` for `-m tcp`) is not asked for
    pub rule: bool,
}

/// Options for save and list text.
#[derive(Debug, Clone, Copy)]
pub struct FmtCx {
    /// family
    pub family: Family,
    /// `-n`: no name lookups in listings
    pub numeric: bool,
    /// the rule's `-p` (for service names of ports)
    pub proto: Option<u8>,
}

/// What an encoder may need to know.
#[derive(Debug, Clone, Copy)]
pub struct EncodeCx {
    /// family
    pub family: Family,
    /// the rule's `-p`, as (protocol, inverted)
    pub proto: Option<(u8, bool)>,
}

/// A native comparison the decoder met: a payload (or meta) load, an
/// optional mask, and a `cmp` or `range` on it. Extensions that iptables-nft
/// encodes natively (tcp, udp, ...) turn these back into their match.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NativeCmp {
    /// header the load came from
    pub base: PayloadBase,
    /// byte offset
    pub offset: u32,
    /// bytes loaded
    pub len: u32,
    /// bitwise mask applied, if any
    pub mask: Option<Vec<u8>>,
    /// comparison
    pub op: CmpOp,
    /// compared value (the lower bound for a range)
    pub data: Vec<u8>,
    /// upper bound, for a `range`
    pub to: Option<Vec<u8>>,
}

/// A native comparison on a `meta` key the decoder met (`meta load mark`,
/// an optional mask, a `cmp`): for natively encoded matches on packet
/// metadata (`mark`, ...).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MetaCmp {
    /// `NFT_META_*` key
    pub key: u32,
    /// bitwise mask applied, if any
    pub mask: Option<Vec<u8>>,
    /// comparison
    pub op: CmpOp,
    /// compared value
    pub data: Vec<u8>,
}

/// A match extension.
pub trait MatchExt: Sized + Clone + PartialEq + Debug {
    /// `-m` name
    const NAME: &'static str;
    /// its options
    const OPTIONS: &'static [OptSpec];
    /// the protocol number for which `-p` loads it implicitly
    const PROTO: Option<u8> = None;
    /// families it exists in
    const FAMILIES: &'static [Family] = &[Family::V4, Family::V6];
    /// its part of `iptables -m NAME -h`, as iptables prints it (the
    /// captured text in `help/NAME.txt`)
    fn help(family: Family) -> &'static str {
        help::text(Self::NAME, family)
    }
    /// Build from the options given (and check them as a whole).
    fn build(hits: &[OptHit], cx: &ParseCx) -> Result<Self, Error>;
    /// iptables-save text after ` -m NAME` (each option with a leading space).
    fn save(&self, cx: &FmtCx, out: &mut String);
    /// `iptables -L` text (with a leading space per item).
    fn print(&self, cx: &FmtCx, out: &mut String);
    /// nf_tables expressions, exactly as iptables-nft writes them.
    fn encode(&self, cx: &EncodeCx, out: &mut Vec<Expr>);
    /// From an xt `match` expression's revision and info blob.
    fn decode_blob(rev: u32, info: &[u8], family: Family) -> Result<Self, DecodeError>;
    /// Take in a native comparison, merging it into the last match of this
    /// kind in `matches` (or adding one). Returns false if not ours.
    fn absorb(_proto: u8, _cmp: &NativeCmp, _matches: &mut Vec<Match>) -> bool {
        false
    }
    /// The match a native `meta` comparison encodes, if it is ours.
    fn from_meta(_cmp: &MetaCmp) -> Option<Self> {
        None
    }
}

/// A target extension.
pub trait TargetExtT: Sized + Clone + PartialEq + Debug {
    /// `-j` name
    const NAME: &'static str;
    /// the name `-L` shows in its target column: the real (kernel) name
    /// of an alias (`CT` for `NOTRACK`)
    const REAL_NAME: &'static str = Self::NAME;
    /// its options
    const OPTIONS: &'static [OptSpec];
    /// families it exists in
    const FAMILIES: &'static [Family] = &[Family::V4, Family::V6];
    /// its part of `iptables -j NAME -h`, as iptables prints it (the
    /// captured text in `help/NAME.txt`)
    fn help(family: Family) -> &'static str {
        help::text(Self::NAME, family)
    }
    /// Build from the options given.
    fn build(hits: &[OptHit], cx: &ParseCx) -> Result<Self, Error>;
    /// iptables-save text after ` -j NAME`.
    fn save(&self, cx: &FmtCx, out: &mut String);
    /// `iptables -L` text.
    fn print(&self, cx: &FmtCx, out: &mut String);
    /// nf_tables expressions.
    fn encode(&self, cx: &EncodeCx, out: &mut Vec<Expr>);
    /// From an xt `target` expression.
    fn decode_blob(rev: u32, info: &[u8], family: Family) -> Result<Self, DecodeError>;
}

/// An xt match or target rxtables has no model for, kept byte for byte so
/// it is never lost.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Opaque {
    /// extension name
    pub name: String,
    /// revision
    pub rev: u32,
    /// info blob
    pub info: Vec<u8>,
}

/// Registry entry of a match.
pub struct MatchDesc {
    /// `-m` name
    pub name: &'static str,
    /// options
    pub options: &'static [OptSpec],
    /// implicit `-p` protocol
    pub proto: Option<u8>,
    /// families
    pub families: &'static [Family],
    /// `-m NAME -h` text for a family
    pub help: fn(Family) -> &'static str,
    /// constructor
    pub build: fn(&[OptHit], &ParseCx) -> Result<Match, Error>,
    /// xt blob decoder
    pub decode_blob: fn(u32, &[u8], Family) -> Result<Match, DecodeError>,
    /// native decoder
    pub absorb: fn(u8, &NativeCmp, &mut Vec<Match>) -> bool,
    /// native decoder of a `meta` comparison
    pub from_meta: fn(&MetaCmp) -> Option<Match>,
}

/// Registry entry of a target.
pub struct TargetDesc {
    /// `-j` name
    pub name: &'static str,
    /// options
    pub options: &'static [OptSpec],
    /// families
    pub families: &'static [Family],
    /// `-j NAME -h` text for a family
    pub help: fn(Family) -> &'static str,
    /// constructor
    pub build: fn(&[OptHit], &ParseCx) -> Result<TargetExt, Error>,
    /// xt blob decoder
    pub decode_blob: fn(u32, &[u8], Family) -> Result<TargetExt, DecodeError>,
}

macro_rules! match_registry {
    ($($variant:ident => $ty:path),* $(,)?) => {
        /// A match of a rule (`-m NAME ...`).
        #[derive(Debug, Clone, PartialEq, Eq)]
        pub enum Match {
            $(
                #[allow(missing_docs)]
                $variant($ty),
            )*
            /// an xt match rxtables does not model
            Opaque(Opaque),
        }

        /// Every match rxtables knows.
        pub static MATCHES: &[MatchDesc] = &[
            $(MatchDesc {
                name: <$ty as MatchExt>::NAME,
                options: <$ty as MatchExt>::OPTIONS,
                proto: <$ty as MatchExt>::PROTO,
                families: <$ty as MatchExt>::FAMILIES,
                help: <$ty as MatchExt>::help,
                build: |h, cx| <$ty as MatchExt>::build(h, cx).map(Match::$variant),
                decode_blob: |r, i, f| <$ty as MatchExt>::decode_blob(r, i, f).map(Match::$variant),
                absorb: <$ty as MatchExt>::absorb,
                from_meta: |c| <$ty as MatchExt>::from_meta(c).map(Match::$variant),
            },)*
        ];

        impl Match {
            /// Equal in meaning, as `-C`/`-D` compare rules: inverted port
            /// ranges open at 0 are the ranges above them.
            pub fn same_spec(&self, other: &Match) -> bool {
                match (self, other) {
                    (Match::Tcp(a), Match::Tcp(b)) => a.canonical() == b.canonical(),
                    (Match::Udp(a), Match::Udp(b)) => a.canonical() == b.canonical(),
                    (a, b) => a == b,
                }
            }
            /// The `-m` name.
            pub fn name(&self) -> &str {
                match self {
                    $(Match::$variant(_) => <$ty as MatchExt>::NAME,)*
                    Match::Opaque(o) => &o.name,
                }
            }
            /// Save text after ` -m NAME`.
            pub fn save(&self, cx: &FmtCx, out: &mut String) {
                match self {
                    $(Match::$variant(m) => m.save(cx, out),)*
                    Match::Opaque(_) => out.push_str(" [unsupported revision]"),
                }
            }
            /// List text.
            pub fn print(&self, cx: &FmtCx, out: &mut String) {
                match self {
                    $(Match::$variant(m) => m.print(cx, out),)*
                    Match::Opaque(o) => { out.push_str(" "); out.push_str(&o.name); out.push_str(" [unsupported revision]") }
                }
            }
            /// Expressions.
            pub fn encode(&self, cx: &EncodeCx, out: &mut Vec<Expr>) {
                match self {
                    $(Match::$variant(m) => m.encode(cx, out),)*
                    Match::Opaque(o) => out.push(Expr::Match { name: o.name.clone(), rev: o.rev, info: o.info.clone() }),
                }
            }
        }
    };
}

macro_rules! target_registry {
    ($($variant:ident => $ty:path),* $(,)?) => {
        /// A target extension of a rule (`-j NAME ...`).
        #[derive(Debug, Clone, PartialEq, Eq)]
        pub enum TargetExt {
            $(
                #[allow(missing_docs)]
                $variant($ty),
            )*
            /// an xt target rxtables does not model
            Opaque(Opaque),
        }

        /// Every target extension rxtables knows.
        pub static TARGETS: &[TargetDesc] = &[
            $(TargetDesc {
                name: <$ty as TargetExtT>::NAME,
                options: <$ty as TargetExtT>::OPTIONS,
                families: <$ty as TargetExtT>::FAMILIES,
                help: <$ty as TargetExtT>::help,
                build: |h, cx| <$ty as TargetExtT>::build(h, cx).map(TargetExt::$variant),
                decode_blob: |r, i, f| <$ty as TargetExtT>::decode_blob(r, i, f).map(TargetExt::$variant),
            },)*
        ];

        impl TargetExt {
            /// The `-j` name.
            pub fn name(&self) -> &str {
                match self {
                    $(TargetExt::$variant(_) => <$ty as TargetExtT>::NAME,)*
                    TargetExt::Opaque(o) => &o.name,
                }
            }
            /// The name in `-L`'s target column (the real name of an alias).
            pub fn real_name(&self) -> &str {
                match self {
                    $(TargetExt::$variant(_) => <$ty as TargetExtT>::REAL_NAME,)*
                    TargetExt::Opaque(o) => &o.name,
                }
            }
            /// Save text after ` -j NAME`.
            pub fn save(&self, cx: &FmtCx, out: &mut String) {
                match self {
                    $(TargetExt::$variant(t) => t.save(cx, out),)*
                    TargetExt::Opaque(_) => out.push_str(" [unsupported revision]"),
                }
            }
            /// List text.
            pub fn print(&self, cx: &FmtCx, out: &mut String) {
                match self {
                    $(TargetExt::$variant(t) => t.print(cx, out),)*
                    TargetExt::Opaque(_) => out.push_str(" [unsupported revision]"),
                }
            }
            /// Expressions.
            pub fn encode(&self, cx: &EncodeCx, out: &mut Vec<Expr>) {
                match self {
                    $(TargetExt::$variant(t) => t.encode(cx, out),)*
                    TargetExt::Opaque(o) => out.push(Expr::Target { name: o.name.clone(), rev: o.rev, info: o.info.clone() }),
                }
            }
        }
    };
}

match_registry! {
    Tcp => tcp::Tcp,
    Udp => udp::Udp,
    Icmp => icmp::Icmp,
    Icmp6 => icmp6::Icmp6,
    Comment => comment::Comment,
    Mark => mark::Mark,
    Addrtype => addrtype::Addrtype,
    Conntrack => conntrack::Conntrack,
    State => conntrack::State,
    Multiport => multiport::Multiport,
    Limit => limit::Limit,
    Statistic => statistic::Statistic,
    Iprange => iprange::Iprange,
    // header
    Tos => tos::Tos,
    Dscp => dscp::Dscp,
    Ttl => ttl::Ttl,
    Hl => ttl::Hl,
    Length => length::Length,
    Tcpmss => tcpmss::Tcpmss,
    Pkttype => pkttype::Pkttype,

    // connection tracking
    Connmark => connmark::Connmark,
    Helper => helper::Helper,
    Connlimit => connlimit::Connlimit,
    Recent => recent::Recent,

    // rates and sockets
    Owner => owner::Owner,
    Hashlimit => hashlimit::Hashlimit,
    Socket => socket::Socket,
    Physdev => physdev::Physdev,
    Rpfilter => rpfilter::Rpfilter,
    Nfacct => nfacct::Nfacct,
    Mac => mac::Mac,

    // queues, sets, policy
    Set => set::SetMatch,
    Policy => policy::Policy,

    // ipv6 and ipsec headers
    Esp => esp::Esp,
    Ah => ah::Ah,
    Ah6 => ah::Ah6,
    Ipcomp => ipcomp::Ipcomp,
    Frag => frag::Frag,
    Hbh => hbh::Hbh,
    Dst => hbh::Dst,
    Rt => rt::Rt,
    Mh => mh::Mh,
    Ipv6header => ipv6header::Ipv6header,
    Eui64 => eui64::Eui64,
    Srh => srh::Srh,

    // protocols and content
    Sctp => sctp::Sctp,
    Dccp => dccp::Dccp,
    String => string::StringMatch,
    Quota => quota::Quota,
    Time => time::Time,
    U32 => u32::U32,
    Bpf => bpf::Bpf,

    // accounting and classification
    Connbytes => connbytes::Connbytes,
    Connlabel => connlabel::Connlabel,
    Rateest => rateest::Rateest,
    Cgroup => cgroup::Cgroup,
    Cpu => cpu::Cpu,
    Cluster => cluster::Cluster,
    Ecn => ecn::Ecn,
    Osf => osf::Osf,
    Realm => realm::Realm,
    Devgroup => devgroup::Devgroup,
    Ipvs => ipvs::Ipvs,

    // more targets

}

impl Match {
    /// The match a decoded blob stands for: a `conntrack` blob with the
    /// state alias flag is `-m state`.
    pub fn normalize(self) -> Match {
        match self {
            Match::Conntrack(c) if c.is_state_alias() => Match::State(conntrack::State(c)),
            m => m,
        }
    }
}

target_registry! {
    Dnat => dnat::Dnat,
    Snat => snat::Snat,
    Masquerade => masquerade::Masquerade,
    Redirect => redirect::Redirect,
    Netmap => netmap::Netmap,
    MarkTarget => mark_target::MarkTarget,
    Reject => reject::Reject,
    Log => log::Log,
    // header
    TosTarget => tos_target::TosTarget,
    DscpTarget => dscp::DscpTarget,
    TtlTarget => ttl_target::TtlTarget,
    HlTarget => ttl_target::HlTarget,
    TcpmssTarget => tcpmss_target::TcpmssTarget,
    Checksum => checksum::Checksum,
    Classify => classify::Classify,

    // connection tracking
    ConnmarkTarget => connmark_target::ConnmarkTarget,
    Ct => ct::Ct,
    Notrack => ct::Notrack,
    Trace => trace::Trace,

    // rates and sockets

    // queues, sets, policy
    Nflog => nflog::Nflog,
    Nfqueue => nfqueue::Nfqueue,
    SetTarget => set_target::SetTarget,
    Tproxy => tproxy::Tproxy,

    // ipv6 and ipsec headers

    // protocols and content

    // accounting and classification
    RateestTarget => rateest_target::RateestTarget,
    EcnTarget => ecn_target::EcnTarget,

    // more targets
    TcpOptStrip => tcpoptstrip::TcpOptStrip,
    Hmark => hmark::Hmark,
    Tee => tee::Tee,
    Synproxy => synproxy::Synproxy,
    Audit => audit::Audit,
    Idletimer => idletimer::Idletimer,
    Connsecmark => connsecmark::Connsecmark,
    Snpt => npt::Snpt,
    Dnpt => npt::Dnpt,
    Secmark => secmark::Secmark,
    Led => led::Led,

}

impl TargetExt {
    /// The target a decoded blob (or a built target) stands for: a `CT`
    /// blob with the alias flag is `-j NOTRACK`; `-j NOTRACK` at a `CT`
    /// revision without the alias (before 2) is `-j CT --notrack`.
    pub fn normalize(self) -> TargetExt {
        match self {
            TargetExt::Ct(c) if c.is_notrack_alias() => TargetExt::Notrack(ct::Notrack(c)),
            TargetExt::Notrack(n) if !n.0.is_notrack_alias() => TargetExt::Ct(n.0),
            t => t,
        }
    }
}

/// The match registered under `name`, if it exists for `family`.
pub fn find_match(name: &str, family: Family) -> Option<&'static MatchDesc> {
    MATCHES
        .iter()
        .find(|d| d.name == name && d.families.contains(&family))
}

/// The match `-p PROTO` loads implicitly, if any.
pub fn match_for_proto(proto: u8, family: Family) -> Option<&'static MatchDesc> {
    MATCHES
        .iter()
        .find(|d| d.proto == Some(proto) && d.families.contains(&family))
}

/// The target extension registered under `name`, if it exists for `family`.
pub fn find_target(name: &str, family: Family) -> Option<&'static TargetDesc> {
    TARGETS
        .iter()
        .find(|d| d.name == name && d.families.contains(&family))
}

/// `XT_ALIGN`: xt info blobs are padded to the alignment of u64.
pub fn xt_align(len: usize) -> usize {
    let a = std::mem::align_of::<u64>();
    len.div_ceil(a) * a
}

/// Pad a blob with zeros to its `XT_ALIGN`ed size.
pub fn pad_blob(mut b: Vec<u8>) -> Vec<u8> {
    b.resize(xt_align(b.len()), 0);
    b
}

/// What the extensions' unit tests share: parsing options as the command
/// line hands them over (the filter table's INPUT chain, no `-p`).
#[cfg(test)]
pub(crate) mod kit {
    use super::{EncodeCx, FmtCx, MatchExt, OptHit, ParseCx, TargetExtT};
    use crate::error::Error;
    use crate::ir::Expr;
    use crate::model::{Family, Table};

    fn cx(family: Family) -> ParseCx<'static> {
        ParseCx {
            family,
            proto: None,
            table: Table::Filter,
            chain: "INPUT",
            rule: true,
        }
    }

    /// Option hits from (index, `!`, value); an empty value is a flag.
    pub fn hits<'a>(v: &[(usize, bool, &'a str)]) -> Vec<OptHit<'a>> {
        v.iter()
            .map(|(idx, inv, a)| {
                OptHit::new(
                    *idx,
                    *inv,
                    if a.is_empty() {
                        &[]
                    } else {
                        std::slice::from_ref(a)
                    },
                )
            })
            .collect()
    }

    /// A match built from its options.
    pub fn build_match<M: MatchExt>(family: Family, v: &[(usize, bool, &str)]) -> Result<M, Error> {
        M::build(&hits(v), &cx(family))
    }

    /// A target built from its options.
    pub fn build_target<T: TargetExtT>(
        family: Family,
        v: &[(usize, bool, &str)],
    ) -> Result<T, Error> {
        T::build(&hits(v), &cx(family))
    }

    /// A match's save text and list text.
    pub fn texts<M: MatchExt>(m: &M, cx: &FmtCx) -> (String, String) {
        let (mut s, mut l) = (String::new(), String::new());
        m.save(cx, &mut s);
        m.print(cx, &mut l);
        (s, l)
    }

    /// A match's xt expression: (name, revision, info blob).
    pub fn xt_match<M: MatchExt>(m: &M, family: Family) -> (String, u32, Vec<u8>) {
        let mut e = Vec::new();
        m.encode(
            &EncodeCx {
                family,
                proto: None,
            },
            &mut e,
        );
        match e.as_slice() {
            [Expr::Match { name, rev, info }] => (name.clone(), *rev, info.clone()),
            _ => panic!("not one xt match: {e:?}"),
        }
    }

    /// A target's xt expression: (name, revision, info blob).
    pub fn xt_target<T: TargetExtT>(t: &T, family: Family) -> (String, u32, Vec<u8>) {
        let mut e = Vec::new();
        t.encode(
            &EncodeCx {
                family,
                proto: None,
            },
            &mut e,
        );
        match e.as_slice() {
            [Expr::Target { name, rev, info }] => (name.clone(), *rev, info.clone()),
            _ => panic!("not one xt target: {e:?}"),
        }
    }

    /// A target's save text.
    pub fn target_save<T: TargetExtT>(t: &T, family: Family) -> String {
        let mut s = String::new();
        t.save(
            &FmtCx {
                family,
                numeric: true,
                proto: None,
            },
            &mut s,
        );
        s
    }

    /// A match's save text.
    pub fn match_save<M: MatchExt>(m: &M, family: Family) -> String {
        let mut s = String::new();
        m.save(
            &FmtCx {
                family,
                numeric: true,
                proto: None,
            },
            &mut s,
        );
        s
    }

    /// A fake kernel whose listed extensions stop at a revision (`None`:
    /// missing), everything else there.
    pub fn capped(v: &[(&'static str, bool, Option<u32>)]) -> Box<dyn super::probe::RevisionProbe> {
        Box::new(super::probe::Capped(v.to_vec()))
    }

    /// An xt match encoded and decoded back (asserted equal): its revision
    /// and blob length.
    pub fn xt_round_trip<M: MatchExt>(m: &M, family: Family) -> (u32, usize) {
        let mut e = Vec::new();
        m.encode(
            &EncodeCx {
                family,
                proto: None,
            },
            &mut e,
        );
        let [Expr::Match { name, rev, info }] = e.as_slice() else {
            panic!("not one xt match: {e:?}")
        };
        assert_eq!(name, M::NAME);
        assert_eq!(&M::decode_blob(*rev, info, family).unwrap(), m);
        (*rev, info.len())
    }
}

#[cfg(test)]
mod size_tests {
    /// Every rule holds its matches inline: a big extension is boxed so
    /// that 100k-rule tables stay small.
    #[test]
    fn matches_and_targets_stay_small() {
        assert!(
            std::mem::size_of::<super::Match>() <= 64,
            "{}",
            std::mem::size_of::<super::Match>()
        );
        assert!(
            std::mem::size_of::<super::TargetExt>() <= 128,
            "{}",
            std::mem::size_of::<super::TargetExt>()
        );
    }
}
