//! `-m set [!] --match-set NAME src|dst[,...] [--return-nomatch]
//! [! --update-counters] [! --update-subcounters] [[!] --packets-eq N |
//! --packets-lt N | --packets-gt N] [[!] --bytes-eq N | ...]`
//! (`libxt_set.c`, `libxt_set.h`): xt match `set`. iptables 1.8.13 writes
//! revision 4, `struct xt_set_info_match_v4`; on a kernel without it the
//! highest of 3-1 it has, with that revision's options; read too.
//!
//! The rule holds the set's kernel index, not its name: the name is looked
//! up (`SO_IP_SET` on a raw socket, as `libxt_set.h` does) when the rule is
//! parsed, and the index turned back into a name when it is read. The
//! helpers here serve the `SET` target as well.

use super::{EncodeCx, FmtCx, MatchExt, OptHit, OptSpec, ParseCx};
use crate::error::{param, DecodeError, Error, VERSION};
use crate::ir::Expr;
use crate::model::Family;
use std::fmt::Write;

/// `IPSET_MAXNAMELEN`
const MAXNAMELEN: usize = 32;
/// `IPSET_DIM_MAX`
const DIM_MAX: u8 = 6;
/// `IPSET_INVALID_ID`
pub const INVALID_ID: u16 = 65535;
/// `IPSET_INV_MATCH` (bit 0 of `xt_set_info.flags`)
const INV_MATCH: u8 = 1;
/// `IPSET_RETURN_NOMATCH` (revision 2, in `xt_set_info.flags`)
const RETURN_NOMATCH_V2: u8 = 1 << 7;
/// `IPSET_FLAG_SKIP_COUNTER_UPDATE`
const SKIP_COUNTER_UPDATE: u32 = 1 << 3;
/// `IPSET_FLAG_SKIP_SUBCOUNTER_UPDATE`
const SKIP_SUBCOUNTER_UPDATE: u32 = 1 << 4;
/// `IPSET_FLAG_RETURN_NOMATCH`
const RETURN_NOMATCH: u32 = 1 << 7;

/// `SO_IP_SET` operations (`linux/netfilter/ipset/ip_set.h`).
mod op {
    /// `IP_SET_OP_GET_BYNAME`
    pub const GET_BYNAME: u32 = 6;
    /// `IP_SET_OP_GET_BYINDEX`
    pub const GET_BYINDEX: u32 = 7;
    /// `IP_SET_OP_GET_FNAME`
    pub const GET_FNAME: u32 = 8;
    /// `IP_SET_OP_VERSION`
    pub const VERSION: u32 = 0x100;
}

/// Why an `SO_IP_SET` request failed.
enum SockoptError {
    /// the raw socket could not be opened
    Socket,
    /// `IP_SET_OP_VERSION` failed: no ipset in the kernel
    Version,
    /// the request itself failed, with this errno
    Request(i32),
}

/// Sends one `SO_IP_SET` request to the kernel's ipset core, as
/// `libxt_set.h` does: opens a raw IPv4 socket, asks for the protocol
/// version (`IP_SET_OP_VERSION`), stores it in the request's second word,
/// then hands `req` (an `ip_set_req_*` struct: op, version, ...) to
/// `getsockopt(SOL_IP, SO_IP_SET)`, which overwrites it with the answer.
/// Returns the length of the answer. This is the only system call of the
/// ipset extensions.
#[allow(unsafe_code)]
fn so_ip_set(req: &mut [u8]) -> Result<usize, SockoptError> {
    use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
    const SO_IP_SET: libc::c_int = 83;
    // SAFETY: plain socket(2); the descriptor is owned (and closed) below.
    let fd = unsafe {
        libc::socket(
            libc::AF_INET,
            libc::SOCK_RAW | libc::SOCK_CLOEXEC,
            libc::IPPROTO_RAW,
        )
    };
    if fd < 0 {
        return Err(SockoptError::Socket);
    }
    // SAFETY: fd is a fresh descriptor nobody else owns.
    let sock = unsafe { OwnedFd::from_raw_fd(fd) };
    let ask = |buf: &mut [u8]| -> Result<usize, i32> {
        let mut len = buf.len() as libc::socklen_t;
        // SAFETY: buf is valid for len bytes; the kernel writes at most len.
        let rc = unsafe {
            libc::getsockopt(
                sock.as_raw_fd(),
                libc::SOL_IP,
                SO_IP_SET,
                buf.as_mut_ptr().cast(),
                &mut len,
            )
        };
        if rc != 0 {
            return Err(std::io::Error::last_os_error().raw_os_error().unwrap_or(0));
        }
        Ok(len as usize)
    };
    let mut version = [0u8; 8];
    version[..4].copy_from_slice(&op::VERSION.to_ne_bytes());
    ask(&mut version).map_err(|_| SockoptError::Version)?;
    req[4..8].copy_from_slice(&version[4..8]);
    ask(req).map_err(SockoptError::Request)
}

/// `xtables_error(OTHER_PROBLEM, ...)`: the version prefix, exit status 1.
fn other_problem(family: Family, msg: &str) -> Error {
    Error::Raw {
        msg: format!("{} {VERSION}: {msg}", family.prog()),
        code: 1,
    }
}

fn sockopt_error(family: Family, e: SockoptError) -> Error {
    other_problem(
        family,
        &match e {
            SockoptError::Socket => "Can't open socket to ipset.\n".to_string(),
            SockoptError::Version => "Kernel module xt_set is not loaded in.\n".to_string(),
            SockoptError::Request(errno) => {
                format!("Problem when communicating with ipset, errno={errno}.\n")
            }
        },
    )
}

/// `get_set_byname`: the kernel index of set `name`, checked to exist and
/// to be of `family` (or of any family). `IP_SET_OP_GET_FNAME`, or
/// `IP_SET_OP_GET_BYNAME` on kernels that do not know it.
pub fn set_index(name: &str, family: Family) -> Result<u16, Error> {
    let mut nm = [0u8; MAXNAMELEN];
    let b = name.as_bytes();
    let n = b.len().min(MAXNAMELEN - 1);
    nm[..n].copy_from_slice(&b[..n]);
    // struct ip_set_req_get_set_family { op, version, family, name[32] }
    let mut req = [0u8; 12 + MAXNAMELEN];
    req[..4].copy_from_slice(&op::GET_FNAME.to_ne_bytes());
    req[12..].copy_from_slice(&nm);
    let (index, set_family) = match so_ip_set(&mut req) {
        Ok(len) => {
            if len != req.len() {
                return Err(other_problem(
                    family,
                    &format!(
                    "Incorrect return size from kernel during ipset lookup, (want {}, got {len})\n",
                    req.len()
                ),
                ));
            }
            let fam = u32::from_ne_bytes([req[8], req[9], req[10], req[11]]);
            (u16::from_ne_bytes([req[12], req[13]]), Some(fam))
        }
        Err(SockoptError::Request(libc::EBADMSG)) => {
            // struct ip_set_req_get_set { op, version, name[32] }
            let mut req = [0u8; 8 + MAXNAMELEN];
            req[..4].copy_from_slice(&op::GET_BYNAME.to_ne_bytes());
            req[8..].copy_from_slice(&nm);
            let len = so_ip_set(&mut req).map_err(|e| sockopt_error(family, e))?;
            if len != req.len() {
                return Err(other_problem(
                    family,
                    &format!(
                    "Incorrect return size from kernel during ipset lookup, (want {}, got {len})\n",
                    req.len()
                ),
                ));
            }
            (u16::from_ne_bytes([req[8], req[9]]), None)
        }
        Err(e) => return Err(sockopt_error(family, e)),
    };
    if index == INVALID_ID {
        return Err(param(format!("Set {name} doesn't exist.\n")));
    }
    let nfproto = match family {
        Family::V4 => 2,
        Family::V6 => 10,
    };
    if let Some(f) = set_family.filter(|f| *f != nfproto && *f != 0) {
        return Err(param(format!(
            "The protocol family of set {name} is {}, which is not applicable.\n",
            if f == 2 { "IPv4" } else { "IPv6" }
        )));
    }
    Ok(index)
}

/// `get_set_byid`: the name of the set with kernel index `index`.
pub fn set_name(index: u16) -> Result<String, DecodeError> {
    let mut req = [0u8; 8 + MAXNAMELEN];
    req[..4].copy_from_slice(&op::GET_BYINDEX.to_ne_bytes());
    req[8..10].copy_from_slice(&index.to_ne_bytes());
    let len = so_ip_set(&mut req).map_err(|e| {
        DecodeError(match e {
            SockoptError::Request(errno) => {
                format!("Problem when communicating with ipset, errno={errno}.")
            }
            _ => "Kernel module xt_set is not loaded in.".into(),
        })
    })?;
    if len != req.len() || req[8] == 0 {
        return Err(DecodeError(format!(
            "Set with index {index} in kernel doesn't exist."
        )));
    }
    let end = req[8..].iter().position(|b| *b == 0).unwrap_or(MAXNAMELEN);
    Ok(crate::model::bytes::from_bytes(&req[8..8 + end]).into_owned())
}

/// A set a rule names: `struct xt_set_info` plus the set's name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetRef {
    /// kernel index
    pub index: u16,
    /// name (looked up)
    pub name: Box<str>,
    /// dimensions given (`src,dst` is 2)
    pub dim: u8,
    /// bit i (1..=dim): dimension i is `src`; bit 0 `!` (match); bit 7
    /// `--return-nomatch` (match revision 2)
    pub flags: u8,
}

impl SetRef {
    /// The `--match-set`/`--add-set`/... value pair, checked as `libxt_set`
    /// checks it: name length, the set's existence and family, then the
    /// `src`/`dst` list (`parse_dirs`).
    pub fn parse(opt: &str, args: &[&str], family: Family) -> Result<SetRef, Error> {
        let name = args.first().copied().unwrap_or("");
        let Some(dirs) = args.get(1) else {
            return Err(param(format!("--{opt} requires two args.")));
        };
        if name.len() > MAXNAMELEN - 1 {
            return Err(param(format!(
                "setname `{name}' too long, max {} characters.",
                MAXNAMELEN - 1
            )));
        }
        let index = set_index(name, family)?;
        let (mut dim, mut flags) = (0u8, 0u8);
        let mut parts = dirs.split(',');
        let mut rest = parts.next();
        while dim < DIM_MAX {
            let Some(p) = rest else { break };
            dim += 1;
            if p.starts_with("src") {
                flags |= 1 << dim;
            } else if !p.starts_with("dst") {
                return Err(param(
                    "You must specify (the comma separated list of) 'src' or 'dst'.",
                ));
            }
            rest = parts.next();
        }
        if rest.is_some() {
            return Err(param(format!(
                "Can't be more src/dst options than {DIM_MAX}."
            )));
        }
        Ok(SetRef {
            index,
            name: name.into(),
            dim,
            flags,
        })
    }

    /// `print_match`/`print_target`: ` [!] OPT NAME src,dst` (`!` only
    /// when `bang`).
    pub fn text(&self, opt: &str, bang: bool, out: &mut String) {
        let _ = write!(
            out,
            "{} {opt} {}",
            if bang && self.flags & INV_MATCH != 0 {
                " !"
            } else {
                ""
            },
            self.name
        );
        for i in 1..=self.dim {
            out.push_str(if i == 1 { " " } else { "," });
            out.push_str(if self.flags & (1 << i) != 0 {
                "src"
            } else {
                "dst"
            });
        }
    }

    /// `struct xt_set_info`'s four bytes.
    pub fn info(&self) -> [u8; 4] {
        let i = self.index.to_ne_bytes();
        [i[0], i[1], self.dim, self.flags]
    }

    /// From `struct xt_set_info`'s four bytes (the name looked up).
    pub fn from_info(b: &[u8]) -> Result<SetRef, DecodeError> {
        let [i0, i1, dim, flags] = b
            .get(..4)
            .and_then(|b| b.try_into().ok())
            .ok_or_else(|| DecodeError("short xt_set_info".into()))?;
        let index = u16::from_ne_bytes([i0, i1]);
        Ok(SetRef {
            index,
            name: set_name(index)?.into(),
            dim,
            flags,
        })
    }
}

/// A counter condition of revisions 3 and 4 (`IPSET_COUNTER_*` op, value).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CounterMatch {
    /// `IPSET_COUNTER_NONE` 0, `EQ` 1, `NE` 2, `LT` 3, `GT` 4
    pub op: u8,
    /// value compared
    pub value: u64,
}

/// The set match.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetMatch {
    /// revision (4, or 3, 2 or 1 when the kernel has no newer)
    pub rev: u8,
    /// the set and its dimensions (boxed: rules stay small)
    pub set: Box<SetRef>,
    /// `IPSET_FLAG_*` (revisions 3 and 4)
    pub flags: u32,
    /// `--packets-*`
    pub packets: CounterMatch,
    /// `--bytes-*`
    pub bytes: CounterMatch,
}

crate::xt_struct! {
    /// `struct xt_set_info_match_v4` (`ip_set_counter_match`: value, op)
    pub struct SetMatchV4 {
        pub set: [u8; 4], pub pkt_value: u64, pub pkt_op: u8, pub byte_value: u64, pub byte_op: u8,
        pub pad: [u8; 7], pub flags: u32,
    }
}
const _: () = assert!(SetMatchV4::SIZE == 48);

crate::xt_struct! {
    /// `struct xt_set_info_match_v3` (`ip_set_counter_match0`: op, value)
    pub struct SetMatchV3 {
        pub set: [u8; 4], pub pad: [u8; 4], pub pkt_op: u8, pub pkt_value: u64, pub byte_op: u8,
        pub byte_value: u64, pub flags: u32,
    }
}
const _: () = assert!(SetMatchV3::SIZE == 48);

/// `xtables_strtoul(opt, NULL, &v, 0, UINT64_MAX)`: a whole-string
/// number (no sign, no overflow).
fn parse_counter(s: &str) -> Result<u64, Error> {
    let bad = || param(format!("Cannot parse {s} as a counter value"));
    let t = s.trim_start();
    if t.starts_with('-') {
        return Err(bad());
    }
    let (v, end) = super::value::strtoumax(s).ok_or_else(bad)?;
    if end != s.len() {
        return Err(bad());
    }
    if v == u64::MAX {
        // strtoumax saturates: tell a real 2^64-1 from an overflow
        let t = t.strip_prefix('+').unwrap_or(t);
        let (digits, radix) = match t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
            Some(h) => (h, 16),
            None if t.starts_with('0') => (t, 8),
            None => (t, 10),
        };
        if u128::from_str_radix(digits, radix).ok() != Some(u128::from(u64::MAX)) {
            return Err(bad());
        }
    }
    Ok(v)
}

impl MatchExt for SetMatch {
    const NAME: &'static str = "set";
    const OPTIONS: &'static [OptSpec] = &[
        OptSpec::value("match-set").two().multi(),
        OptSpec::value("set").two().multi(),
        OptSpec::flag("return-nomatch").multi(),
        OptSpec::flag("update-counters").multi(),
        OptSpec::value("packets-eq").multi(),
        OptSpec::value("packets-lt").multi(),
        OptSpec::value("packets-gt").multi(),
        OptSpec::value("bytes-eq").multi(),
        OptSpec::value("bytes-lt").multi(),
        OptSpec::value("bytes-gt").multi(),
        OptSpec::flag("update-subcounters").multi(),
    ];

    fn build(hits: &[OptHit], cx: &ParseCx) -> Result<Self, Error> {
        // an older kernel: revision 3 (no --update-subcounters), 2 (no
        // counters) or 1 (no --return-nomatch); 0 (before 2.6.39, no
        // kernel with nf_tables) is not tried
        let (rev, _) = super::probe::choose(cx.family, Self::NAME, false, &[4, 3, 2, 1]);
        let known = match rev {
            1 => 2,
            2 => 3,
            3 => 10,
            _ => 11,
        };
        if let Some(h) = hits.iter().find(|h| h.idx >= known) {
            return Err(param(format!(
                "unknown option \"--{}\"",
                Self::OPTIONS[h.idx].name
            )));
        }
        let mut set: Option<Box<SetRef>> = None;
        let (mut flags, mut packets, mut bytes) =
            (0u32, CounterMatch::default(), CounterMatch::default());
        for h in hits {
            match h.idx {
                0 | 1 => {
                    if h.idx == 1 {
                        crate::error::warn(format_args!(
                            "--set option deprecated, please use --match-set"
                        ));
                    }
                    if set.is_some() {
                        return Err(param("--match-set can be specified only once"));
                    }
                    let mut s = SetRef::parse("match-set", &h.args, cx.family)?;
                    if h.inv {
                        s.flags |= INV_MATCH;
                    }
                    set = Some(Box::new(s));
                }
                2 => {
                    if h.inv {
                        return Err(param("--return-nomatch flag cannot be inverted"));
                    }
                    flags |= RETURN_NOMATCH;
                }
                3 if h.inv => flags |= SKIP_COUNTER_UPDATE,
                10 if h.inv => flags |= SKIP_SUBCOUNTER_UPDATE,
                3 | 10 => {}
                i => {
                    let (what, c) = if i < 7 {
                        ("packets", &mut packets)
                    } else {
                        ("bytes", &mut bytes)
                    };
                    if c.op != 0 {
                        return Err(param(format!(
                            "only one of the --{what}-[eq|lt|gt] is allowed"
                        )));
                    }
                    let kind = (i - 4) % 3;
                    if h.inv && kind != 0 {
                        return Err(param(format!(
                            "--{what}-{} option cannot be inverted",
                            ["eq", "lt", "gt"][kind]
                        )));
                    }
                    c.op = match (kind, h.inv) {
                        (0, false) => 1,
                        (0, true) => 2,
                        (1, _) => 3,
                        _ => 4,
                    };
                    c.value = parse_counter(h.arg())?;
                }
            }
        }
        let mut set =
            set.ok_or_else(|| param("You must specify `--match-set' with proper arguments"))?;
        if rev == 2 && flags & RETURN_NOMATCH != 0 {
            // revision 2 keeps it in the set's own flags
            set.flags |= RETURN_NOMATCH_V2;
            flags = 0;
        }
        Ok(SetMatch {
            rev: rev as u8,
            set,
            flags,
            packets,
            bytes,
        })
    }

    fn save(&self, _cx: &FmtCx, out: &mut String) {
        self.text("--", out)
    }

    fn print(&self, _cx: &FmtCx, out: &mut String) {
        self.text("", out)
    }

    fn encode(&self, _cx: &EncodeCx, out: &mut Vec<Expr>) {
        let set = self.set.info();
        let info = match self.rev {
            1 | 2 => super::pad_blob(set.to_vec()),
            3 => SetMatchV3 {
                set,
                pad: [0; 4],
                pkt_op: self.packets.op,
                pkt_value: self.packets.value,
                byte_op: self.bytes.op,
                byte_value: self.bytes.value,
                flags: self.flags,
            }
            .to_blob(),
            _ => SetMatchV4 {
                set,
                pkt_value: self.packets.value,
                pkt_op: self.packets.op,
                byte_value: self.bytes.value,
                byte_op: self.bytes.op,
                pad: [0; 7],
                flags: self.flags,
            }
            .to_blob(),
        };
        out.push(Expr::Match {
            name: Self::NAME.into(),
            rev: u32::from(self.rev),
            info,
        });
    }

    fn decode_blob(rev: u32, info: &[u8], _family: Family) -> Result<Self, DecodeError> {
        let bad = || DecodeError(format!("set revision {rev} of {} bytes", info.len()));
        let none = CounterMatch::default();
        let (set, flags, packets, bytes) = match rev {
            1 | 2 if info.len() >= 4 => (&info[..4], 0, none, none),
            3 => {
                let i = SetMatchV3::from_blob(info).ok_or_else(bad)?;
                let c = |op, value| CounterMatch { op, value };
                (
                    &info[..4],
                    i.flags,
                    c(i.pkt_op, i.pkt_value),
                    c(i.byte_op, i.byte_value),
                )
            }
            4 => {
                let i = SetMatchV4::from_blob(info).ok_or_else(bad)?;
                let c = |op, value| CounterMatch { op, value };
                (
                    &info[..4],
                    i.flags,
                    c(i.pkt_op, i.pkt_value),
                    c(i.byte_op, i.byte_value),
                )
            }
            _ => return Err(bad()),
        };
        Ok(SetMatch {
            rev: rev as u8,
            set: Box::new(SetRef::from_info(set)?),
            flags,
            packets,
            bytes,
        })
    }
}

impl SetMatch {
    fn text(&self, dash: &str, out: &mut String) {
        self.set.text(&format!("{dash}match-set"), true, out);
        match self.rev {
            1 => {}
            2 => {
                if self.set.flags & RETURN_NOMATCH_V2 != 0 {
                    let _ = write!(out, " {dash}return-nomatch");
                }
            }
            _ => {
                if self.flags & RETURN_NOMATCH != 0 {
                    let _ = write!(out, " {dash}return-nomatch");
                }
                if self.flags & SKIP_COUNTER_UPDATE != 0 {
                    let _ = write!(out, " ! {dash}update-counters");
                }
                if self.flags & SKIP_SUBCOUNTER_UPDATE != 0 {
                    let _ = write!(out, " ! {dash}update-subcounters");
                }
                for (c, what) in [(self.packets, "packets"), (self.bytes, "bytes")] {
                    let v = c.value;
                    let _ = match c.op {
                        1 => write!(out, " {dash}{what}-eq {v}"),
                        2 => write!(out, " ! {dash}{what}-eq {v}"),
                        3 => write!(out, " {dash}{what}-lt {v}"),
                        4 => write!(out, " {dash}{what}-gt {v}"),
                        _ => Ok(()),
                    };
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(flags: u32, packets: (u8, u64), bytes: (u8, u64)) -> SetMatch {
        SetMatch {
            rev: 4,
            set: Box::new(SetRef {
                index: 3,
                name: "foo".into(),
                dim: 2,
                flags: 0b010,
            }),
            flags,
            packets: CounterMatch {
                op: packets.0,
                value: packets.1,
            },
            bytes: CounterMatch {
                op: bytes.0,
                value: bytes.1,
            },
        }
    }

    /// Text as iptables 1.8.13 prints it (captured); the blob layout.
    #[test]
    fn like_1_8_13() {
        let cx = FmtCx {
            family: Family::V4,
            numeric: true,
            proto: None,
        };
        let s = m(
            RETURN_NOMATCH | SKIP_COUNTER_UPDATE | SKIP_SUBCOUNTER_UPDATE,
            (1, 5),
            (4, 10),
        );
        assert_eq!(
            crate::ext::kit::texts(&s, &cx),
            (
                " --match-set foo src,dst --return-nomatch ! --update-counters ! --update-subcounters --packets-eq 5 --bytes-gt 10".into(),
                " match-set foo src,dst return-nomatch ! update-counters ! update-subcounters packets-eq 5 bytes-gt 10".into()
            )
        );
        let mut s = m(0, (2, 5), (3, 7));
        s.set.flags |= INV_MATCH;
        assert_eq!(
            crate::ext::kit::texts(&s, &cx).0,
            " ! --match-set foo src,dst ! --packets-eq 5 --bytes-lt 7"
        );
        let mut e = Vec::new();
        s.encode(
            &EncodeCx {
                family: Family::V4,
                proto: None,
            },
            &mut e,
        );
        let [Expr::Match { rev: 4, info, .. }] = e.as_slice() else {
            panic!()
        };
        assert_eq!(info.len(), 48);
        assert_eq!(&info[..4], &[3, 0, 2, 0b011]);
        assert_eq!(&info[8..17], &[5, 0, 0, 0, 0, 0, 0, 0, 2]);
        assert_eq!(&info[24..33], &[7, 0, 0, 0, 0, 0, 0, 0, 3]);
    }

    #[test]
    fn counters_and_directions() {
        assert_eq!(parse_counter("0x10").unwrap(), 16);
        assert_eq!(parse_counter("18446744073709551615").unwrap(), u64::MAX);
        for bad in ["x", "-1", "18446744073709551616", ""] {
            assert_eq!(
                parse_counter(bad).unwrap_err().to_string(),
                format!("Cannot parse {bad} as a counter value")
            );
        }
    }
}

#[cfg(test)]
mod revision_tests {
    use super::*;
    use crate::ext::kit::{build_match, capped, match_save, xt_match};
    use crate::ext::probe::with_probe;

    fn foo(flags: u8) -> Box<SetRef> {
        Box::new(SetRef {
            index: 3,
            name: "foo".into(),
            dim: 2,
            flags,
        })
    }

    /// Options an older revision's module lacks are unknown (refused
    /// before the set is looked up); `--return-nomatch` of revision 2 is
    /// bit 7 of `struct xt_set_info`'s flags, and revisions 1 and 2 are
    /// that struct alone (`struct xt_set_info_match_v1`).
    #[test]
    fn older_revisions_chosen_by_the_kernel() {
        for (cap, idx, name) in [
            (3, 10, "update-subcounters"),
            (2, 4, "packets-eq"),
            (2, 3, "update-counters"),
            (1, 2, "return-nomatch"),
        ] {
            let e = with_probe(capped(&[("set", false, Some(cap))]), || {
                build_match::<SetMatch>(Family::V4, &[(0, false, "foo"), (idx, false, "1")])
            })
            .unwrap_err();
            assert_eq!(e.to_string(), format!("unknown option \"--{name}\""));
        }
        let none = CounterMatch::default();
        let m2 = SetMatch {
            rev: 2,
            set: foo(0b010 | INV_MATCH | RETURN_NOMATCH_V2),
            flags: 0,
            packets: none,
            bytes: none,
        };
        let (_, rev, b) = xt_match(&m2, Family::V4);
        assert_eq!((rev, b), (2, vec![3, 0, 2, 0b1000_0011, 0, 0, 0, 0]));
        assert_eq!(
            match_save(&m2, Family::V4),
            " ! --match-set foo src,dst --return-nomatch"
        );
        let m3 = SetMatch {
            rev: 3,
            set: foo(0b010),
            flags: SKIP_COUNTER_UPDATE,
            packets: CounterMatch { op: 3, value: 9 },
            bytes: none,
        };
        let (_, rev, b) = xt_match(&m3, Family::V4);
        assert_eq!((rev, b.len()), (3, 48));
        // ip_set_counter_match0 { u8 op; u64 value; } at 8, flags at 40
        assert_eq!((b[8], &b[16..24]), (3, &9u64.to_ne_bytes()[..]));
        assert_eq!(&b[40..44], &SKIP_COUNTER_UPDATE.to_ne_bytes());
        assert_eq!(
            match_save(&m3, Family::V4),
            " --match-set foo src,dst ! --update-counters --packets-lt 9"
        );
    }
}
