//! `-m bpf --bytecode "N,c t f k,..."` or `-m bpf --object-pinned PATH`
//! (`libxt_bpf.c`): xt match `bpf`, both families. 1.8.13 writes revision
//! 1 (`struct xt_bpf_info_v1 { u16 mode, bpf_program_num_elem; s32 fd;
//! union { struct sock_filter bpf_program[64]; char path[512]; };
//! struct bpf_prog *filter (aligned 8); }`); revision 0 (`struct
//! xt_bpf_info { u16 bpf_program_num_elem; struct sock_filter
//! bpf_program[64]; ... }`) is read too. A `struct sock_filter` is `{ u16
//! code; u8 jt, jf; u32 k; }`. Neither option takes `!`.

use super::{EncodeCx, FmtCx, MatchExt, OptHit, OptSpec, ParseCx};
use crate::error::{param, DecodeError, Error};
use crate::ir::Expr;
use crate::model::bytes::{from_bytes, to_bytes};
use crate::model::Family;

/// `XT_BPF_MAX_NUM_INSTR`
const MAX_INSTR: usize = 64;
/// `XT_BPF_PATH_MAX` (also the bytes of the program array)
const PATH_MAX: usize = MAX_INSTR * 8;
/// `XT_BPF_MODE_BYTECODE`
const MODE_BYTECODE: u16 = 0;
/// `XT_BPF_MODE_FD_PINNED`
const MODE_FD_PINNED: u16 = 1;

crate::xt_struct! {
    /// `struct xt_bpf_info` (the program array is 4-aligned: `pad`)
    pub struct BpfInfo { pub num: u16, pub pad: u16, pub prog: [u8; PATH_MAX], pub filter: u64 }
}
const _: () = assert!(BpfInfo::SIZE == 528);

crate::xt_struct! {
    /// `struct xt_bpf_info_v1`
    pub struct BpfInfoV1 { pub mode: u16, pub num: u16, pub fd: i32, pub prog: [u8; PATH_MAX], pub filter: u64 }
}
const _: () = assert!(BpfInfoV1::SIZE == 528);

/// One `struct sock_filter`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Insn {
    /// opcode
    pub code: u16,
    /// jump if true
    pub jt: u8,
    /// jump if false
    pub jf: u8,
    /// operand
    pub k: u32,
}

/// What the match runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Program {
    /// `--bytecode`: classic BPF instructions (1 to 64)
    Bytecode(Vec<Insn>),
    /// `--object-pinned`: a pinned object's path (cut to 511 bytes) and
    /// the descriptor iptables opened it as (the kernel loads it by path)
    Pinned {
        /// path in the bpf file system, as bytes
        path: Vec<u8>,
        /// the descriptor written beside it
        fd: i32,
    },
}

/// The bpf match.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bpf {
    /// the program
    pub prog: Program,
    /// revision (1, or 0 when the kernel has no 1: bytecode only)
    pub rev: u8,
}

/// `sscanf`'s reading of one unsigned number (`%u`, `%hu`, `%hhu`): white
/// space, a sign, decimal digits, as `strtoul` (a `-` negates, overflow is
/// `ULONG_MAX`); the value before it is cut to the field's width, and the
/// bytes read. None when no digit follows.
fn scan_u(s: &[u8]) -> Option<(u64, usize)> {
    let mut i = 0;
    while s
        .get(i)
        .is_some_and(|c| matches!(c, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r'))
    {
        i += 1;
    }
    let neg = match s.get(i) {
        Some(b'-') => {
            i += 1;
            true
        }
        Some(b'+') => {
            i += 1;
            false
        }
        _ => false,
    };
    let start = i;
    let mut v: u64 = 0;
    let mut over = false;
    while let Some(d) = s.get(i).filter(|c| c.is_ascii_digit()) {
        match v
            .checked_mul(10)
            .and_then(|x| x.checked_add(u64::from(d - b'0')))
        {
            Some(x) => v = x,
            None => over = true,
        }
        i += 1;
    }
    if i == start {
        return None;
    }
    let v = if over {
        u64::MAX
    } else if neg {
        v.wrapping_neg()
    } else {
        v
    };
    Some((v, i))
}

/// `sscanf(token, "%hu %hhu %hhu %u,")` succeeding for all four.
fn scan_insn(s: &[u8]) -> Option<Insn> {
    let (code, a) = scan_u(s)?;
    let (jt, b) = scan_u(&s[a..])?;
    let (jf, c) = scan_u(&s[a + b..])?;
    let (k, _) = scan_u(&s[a + b + c..])?;
    Some(Insn {
        code: code as u16,
        jt: jt as u8,
        jf: jf as u8,
        k: k as u32,
    })
}

/// `bpf_parse_string`: the length, a comma, then one instruction after
/// each comma (text after an instruction's four numbers is ignored; a
/// comma at the very end ends the program).
fn parse_bytecode(text: &str) -> Result<Vec<Insn>, Error> {
    let s = text.as_bytes();
    // "%hu%c": the length, then a comma right after it
    let len = match scan_u(s) {
        Some((v, n)) if s.get(n) == Some(&b',') => v as u16,
        _ => return Err(param("bpf: error parsing program length")),
    };
    if len == 0 {
        return Err(param("bpf: illegal zero length program"));
    }
    if usize::from(len) > MAX_INSTR {
        return Err(param("bpf: number of instructions exceeds maximum"));
    }
    let mut prog = Vec::new();
    let mut pos = 0;
    while let Some(c) = s[pos..].iter().position(|b| *b == b',') {
        pos += c + 1;
        if pos >= s.len() {
            break;
        }
        if prog.len() >= usize::from(len) {
            return Err(param(
                "bpf: real program length exceeds the encoded length parameter",
            ));
        }
        let i = scan_insn(&s[pos..])
            .ok_or_else(|| param(format!("bpf: error at instr {}", prog.len())))?;
        prog.push(i);
    }
    if prog.len() != usize::from(len) {
        return Err(param(
            "bpf: parsed program length is less than the encoded length parameter",
        ));
    }
    Ok(prog)
}

/// `bpf_obj_get_readonly`: a descriptor of the pinned object at `path`
/// (`BPF_OBJ_GET`, read-only first, then read-write for kernels before
/// 4.15). It stays open until the process exits, as iptables leaves it.
#[allow(unsafe_code)]
fn obj_get(path: &[u8]) -> Option<i32> {
    /// the `BPF_OBJ_*` part of `union bpf_attr`
    #[repr(C)]
    struct ObjAttr {
        pathname: u64,
        bpf_fd: u32,
        file_flags: u32,
    }
    /// `BPF_OBJ_GET`
    const BPF_OBJ_GET: libc::c_long = 7;
    /// `BPF_F_RDONLY`
    const BPF_F_RDONLY: u32 = 1 << 3;
    let cpath = std::ffi::CString::new(path).ok()?;
    for flags in [BPF_F_RDONLY, 0] {
        let attr = ObjAttr {
            pathname: cpath.as_ptr() as u64,
            bpf_fd: 0,
            file_flags: flags,
        };
        // SAFETY: bpf(2) reads `size_of::<ObjAttr>()` bytes of attr, whose
        // pathname points at a NUL-terminated string alive for the call.
        let fd = unsafe {
            libc::syscall(
                libc::SYS_bpf,
                BPF_OBJ_GET,
                &attr as *const ObjAttr,
                std::mem::size_of::<ObjAttr>(),
            )
        };
        if fd >= 0 {
            return i32::try_from(fd).ok();
        }
    }
    None
}

impl Bpf {
    fn code_text(prog: &[Insn]) -> String {
        prog.iter()
            .map(|i| format!("{} {} {} {}", i.code, i.jt, i.jf, i.k))
            .collect::<Vec<_>>()
            .join(",")
    }
}

impl MatchExt for Bpf {
    const NAME: &'static str = "bpf";
    const OPTIONS: &'static [OptSpec] = &[
        OptSpec::value("bytecode").no_inv(),
        OptSpec::value("object-pinned").no_inv(),
    ];

    fn build(hits: &[OptHit], cx: &ParseCx) -> Result<Self, Error> {
        // revision 0 on kernels before 4.10
        let (rev, _) = super::probe::choose(cx.family, Self::NAME, false, &[1, 0]);
        let rev = rev as u8;
        let mut prog = None;
        for h in hits {
            if rev == 0 && h.idx == 1 {
                // revision 0's module has no --object-pinned
                return Err(param("unknown option \"--object-pinned\""));
            }
            prog = Some(if h.idx == 0 {
                Program::Bytecode(parse_bytecode(h.arg())?)
            } else {
                // XTOPT_PUT into char path[512]: cut to 511 bytes
                let mut path = to_bytes(h.arg()).to_vec();
                path.truncate(PATH_MAX - 1);
                let fd = obj_get(&path).ok_or_else(|| param("bpf: failed to get bpf object"))?;
                Program::Pinned { path, fd }
            });
        }
        // bpf_fcheck_v1: exactly one of the two
        match prog {
            Some(prog) if hits.len() == 1 => Ok(Bpf { prog, rev }),
            // bpf_fcheck (revision 0)
            None if rev == 0 => Err(param("bpf: missing --bytecode parameter")),
            _ => Err(param("bpf: one of --bytecode or --pinned is required")),
        }
    }

    fn save(&self, _cx: &FmtCx, out: &mut String) {
        match &self.prog {
            Program::Bytecode(p) => out.push_str(&format!(
                " --bytecode \"{},{}\"",
                p.len(),
                Self::code_text(p)
            )),
            Program::Pinned { path, .. } => {
                out.push_str(" --object-pinned ");
                out.push_str(&from_bytes(path));
            }
        }
    }

    fn print(&self, _cx: &FmtCx, out: &mut String) {
        // (iptables prints no space before it, and the program ends with
        // the NUL byte its `%c` writes)
        match &self.prog {
            Program::Bytecode(p) => {
                out.push_str("match bpf ");
                out.push_str(&Self::code_text(p));
                out.push('\0');
            }
            Program::Pinned { path, .. } => {
                out.push_str("match bpf pinned ");
                out.push_str(&from_bytes(path));
            }
        }
    }

    fn encode(&self, _cx: &EncodeCx, out: &mut Vec<Expr>) {
        let mut prog = [0u8; PATH_MAX];
        let (mode, num, fd) = match &self.prog {
            Program::Bytecode(p) => {
                for (i, insn) in p.iter().take(MAX_INSTR).enumerate() {
                    let b = &mut prog[i * 8..i * 8 + 8];
                    b[..2].copy_from_slice(&insn.code.to_ne_bytes());
                    b[2] = insn.jt;
                    b[3] = insn.jf;
                    b[4..].copy_from_slice(&insn.k.to_ne_bytes());
                }
                (MODE_BYTECODE, p.len().min(MAX_INSTR) as u16, 0)
            }
            Program::Pinned { path, fd } => {
                let n = path.len().min(PATH_MAX - 1);
                prog[..n].copy_from_slice(&path[..n]);
                (MODE_FD_PINNED, 0, *fd)
            }
        };
        if self.rev == 0 {
            out.push(Expr::Match {
                name: Self::NAME.into(),
                rev: 0,
                info: BpfInfo {
                    num,
                    pad: 0,
                    prog,
                    filter: 0,
                }
                .to_blob(),
            });
            return;
        }
        out.push(Expr::Match {
            name: Self::NAME.into(),
            rev: 1,
            info: BpfInfoV1 {
                mode,
                num,
                fd,
                prog,
                filter: 0,
            }
            .to_blob(),
        });
    }

    fn decode_blob(rev: u32, info: &[u8], _family: Family) -> Result<Self, DecodeError> {
        let bad = || DecodeError(format!("bpf revision {rev} of {} bytes", info.len()));
        let code = |prog: &[u8; PATH_MAX], num: u16| -> Result<Program, DecodeError> {
            if num == 0 || usize::from(num) > MAX_INSTR {
                return Err(DecodeError(format!("bpf program of {num} instructions")));
            }
            Ok(Program::Bytecode(
                prog.chunks_exact(8)
                    .take(usize::from(num))
                    .map(|b| Insn {
                        code: u16::from_ne_bytes([b[0], b[1]]),
                        jt: b[2],
                        jf: b[3],
                        k: u32::from_ne_bytes([b[4], b[5], b[6], b[7]]),
                    })
                    .collect(),
            ))
        };
        let prog = match rev {
            0 => {
                let i = BpfInfo::from_blob(info).ok_or_else(bad)?;
                code(&i.prog, i.num)?
            }
            1 => {
                let i = BpfInfoV1::from_blob(info).ok_or_else(bad)?;
                match i.mode {
                    MODE_BYTECODE => code(&i.prog, i.num)?,
                    MODE_FD_PINNED => {
                        let n = i.prog.iter().position(|c| *c == 0).unwrap_or(PATH_MAX);
                        Program::Pinned {
                            path: i.prog[..n].to_vec(),
                            fd: i.fd,
                        }
                    }
                    m => return Err(DecodeError(format!("bpf mode {m}"))),
                }
            }
            _ => return Err(bad()),
        };
        Ok(Bpf {
            prog,
            rev: rev as u8,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ext::kit::{build_match, texts, xt_round_trip};

    const CX: FmtCx = FmtCx {
        family: Family::V4,
        numeric: true,
        proto: None,
    };

    fn err(v: &[(usize, bool, &str)]) -> String {
        build_match::<Bpf>(Family::V4, v).unwrap_err().to_string()
    }

    /// Texts and messages as iptables 1.8.13 gives them (captured).
    #[test]
    fn like_1_8_13() {
        let m: Bpf = build_match(
            Family::V4,
            &[(0, false, "4,48 0 0 9,21 0 1 6,6 0 0 1,6 0 0 0")],
        )
        .unwrap();
        assert_eq!(
            texts(&m, &CX),
            (
                " --bytecode \"4,48 0 0 9,21 0 1 6,6 0 0 1,6 0 0 0\"".into(),
                "match bpf 48 0 0 9,21 0 1 6,6 0 0 1,6 0 0 0\0".into()
            )
        );
        assert_eq!(xt_round_trip(&m, Family::V6), (1, 528));
        // sscanf's reading: blanks, a sign, text after the fourth number,
        // a comma at the end, numbers cut to the field width
        for (given, saved) in [
            (" 1,6 0 0 -1", "1,6 0 0 4294967295"),
            ("1,6 0 0 1 junk", "1,6 0 0 1"),
            ("1,6 0 0 1,", "1,6 0 0 1"),
            ("1,  6 0 0 1", "1,6 0 0 1"),
            ("1,70000 300 +0 1", "1,4464 44 0 1"),
            ("1,6 0 0 0x10", "1,6 0 0 0"),
        ] {
            let m: Bpf = build_match(Family::V4, &[(0, false, given)]).unwrap();
            assert_eq!(
                texts(&m, &CX).0,
                format!(" --bytecode \"{saved}\""),
                "{given}"
            );
        }
        for (given, msg) in [
            ("0,", "bpf: illegal zero length program"),
            (
                "2,6 0 0 1",
                "bpf: parsed program length is less than the encoded length parameter",
            ),
            (
                "1,6 0 0 1,6 0 0 2",
                "bpf: real program length exceeds the encoded length parameter",
            ),
            (
                "1,6 0 0 1,,",
                "bpf: real program length exceeds the encoded length parameter",
            ),
            ("1,6 0 x 1", "bpf: error at instr 0"),
            ("x", "bpf: error parsing program length"),
            ("1 ,6 0 0 1", "bpf: error parsing program length"),
            ("", "bpf: error parsing program length"),
            ("65,", "bpf: number of instructions exceeds maximum"),
        ] {
            assert_eq!(err(&[(0, false, given)]), msg, "{given}");
        }
        assert_eq!(err(&[]), "bpf: one of --bytecode or --pinned is required");
        assert_eq!(
            err(&[(1, false, "/sys/fs/bpf/rxtables-none")]),
            "bpf: failed to get bpf object"
        );
    }

    /// The blob as 1.8.13 writes it (revision 1, mode 0), revision 0 and a
    /// pinned object are read back.
    #[test]
    fn blobs() {
        let m: Bpf = build_match(Family::V4, &[(0, false, "2,6 0 0 65535,21 1 2 3")]).unwrap();
        let mut e = Vec::new();
        m.encode(
            &EncodeCx {
                family: Family::V4,
                proto: None,
            },
            &mut e,
        );
        let [Expr::Match { rev: 1, info, .. }] = e.as_slice() else {
            panic!("{e:?}")
        };
        let mut want = vec![0u8; 528];
        want[2..4].copy_from_slice(&2u16.to_ne_bytes());
        want[8..10].copy_from_slice(&6u16.to_ne_bytes());
        want[12..16].copy_from_slice(&65535u32.to_ne_bytes());
        want[16..18].copy_from_slice(&21u16.to_ne_bytes());
        want[18] = 1;
        want[19] = 2;
        want[20..24].copy_from_slice(&3u32.to_ne_bytes());
        assert_eq!(info, &want);
        // revision 0: the count, then the program at offset 4
        let mut v0 = vec![0u8; 528];
        v0[..2].copy_from_slice(&2u16.to_ne_bytes());
        v0[4..20].copy_from_slice(&want[8..24]);
        assert_eq!(
            Bpf::decode_blob(0, &v0, Family::V4).unwrap(),
            Bpf {
                rev: 0,
                ..m.clone()
            }
        );
        // a pinned object (the kernel's filter pointer is not ours)
        let mut p = vec![0u8; 528];
        p[..2].copy_from_slice(&1u16.to_ne_bytes());
        p[4..8].copy_from_slice(&3i32.to_ne_bytes());
        p[8..15].copy_from_slice(b"/sys/x\0");
        p[520] = 0xff;
        let d = Bpf::decode_blob(1, &p, Family::V4).unwrap();
        assert_eq!(
            d.prog,
            Program::Pinned {
                path: b"/sys/x".to_vec(),
                fd: 3
            }
        );
        assert_eq!(
            texts(&d, &CX),
            (
                " --object-pinned /sys/x".into(),
                "match bpf pinned /sys/x".into()
            )
        );
        assert!(Bpf::decode_blob(1, &p[..100], Family::V4).is_err());
        assert!(Bpf::decode_blob(2, &p, Family::V4).is_err());
        assert!(Bpf::decode_blob(1, &[0u8; 528], Family::V4).is_err());
    }
}

#[cfg(test)]
mod revision_tests {
    use super::*;
    use crate::ext::kit::{build_match, capped, match_save, xt_match};
    use crate::ext::probe::with_probe;

    /// A kernel without revision 1 (before 4.10) gets `struct xt_bpf_info
    /// { u16 bpf_program_num_elem; struct sock_filter
    /// bpf_program[64]; (pointer) }`; revision 0's module takes bytecode
    /// only.
    #[test]
    fn revision_0_when_the_kernel_has_no_1() {
        let kernel = || capped(&[("bpf", false, Some(0))]);
        let m: Bpf = with_probe(kernel(), || {
            build_match(Family::V4, &[(0, false, "1,6 0 0 65535")])
        })
        .unwrap();
        let (_, rev, b) = xt_match(&m, Family::V4);
        assert_eq!((rev, b.len()), (0, 528));
        assert_eq!(&b[..4], &[1, 0, 0, 0], "count, padding");
        assert_eq!(&b[4..6], &6u16.to_ne_bytes(), "code");
        assert_eq!(&b[8..12], &65535u32.to_ne_bytes(), "k");
        assert!(b[12..].iter().all(|x| *x == 0));
        let back = Bpf::decode_blob(0, &b, Family::V4).unwrap();
        assert_eq!(back, m);
        assert_eq!(
            match_save(&back, Family::V4),
            " --bytecode \"1,6 0 0 65535\""
        );
        let msg = |v: &[(usize, bool, &str)]| {
            with_probe(kernel(), || build_match::<Bpf>(Family::V4, v))
                .unwrap_err()
                .to_string()
        };
        assert_eq!(
            msg(&[(1, false, "/sys/fs/bpf/x")]),
            "unknown option \"--object-pinned\""
        );
        assert_eq!(msg(&[]), "bpf: missing --bytecode parameter");
        let m: Bpf = build_match(Family::V4, &[(0, false, "1,6 0 0 65535")]).unwrap();
        assert_eq!(xt_match(&m, Family::V4).1, 1);
    }
}
