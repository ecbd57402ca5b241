//! `-j TCPOPTSTRIP [--strip-options LIST]` (`libxt_TCPOPTSTRIP.c`): xt
//! target `TCPOPTSTRIP` revision 0, `struct xt_tcpoptstrip_target_info {
//! u32 strip_bmap[8]; }` (one bit per TCP option kind), both families. The
//! list is comma-separated names or numbers 2..=255; saved numerically in
//! bit order, listed with names unless `-n`. An empty bitmap prints
//! nothing. The kernel takes it only for `-p tcp` in the mangle table.

use super::header_kit::uint;
use super::{EncodeCx, FmtCx, OptHit, OptSpec, ParseCx, TargetExtT};
use crate::error::{param, DecodeError, Error};
use crate::ir::Expr;
use crate::model::Family;

crate::xt_struct! {
    /// `struct xt_tcpoptstrip_target_info`
    pub struct TcpOptStripInfo { pub strip_bmap: [u8; 32] }
}
const _: () = assert!(TcpOptStripInfo::SIZE == 32);

/// The option names of `tcp_optionmap`, in its order.
const NAMES: &[(&str, u8)] = &[
    ("wscale", 3),
    ("mss", 2),
    ("sack-permitted", 4),
    ("sack", 5),
    ("timestamp", 8),
    ("md5", 19),
];

/// The TCPOPTSTRIP target: the option kinds stripped, as `u32` words in
/// host order (bit `k & 31` of word `k >> 5`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TcpOptStrip {
    /// the kernel's bitmap
    pub bmap: [u32; 8],
}

impl TcpOptStrip {
    fn test(&self, k: usize) -> bool {
        self.bmap[k >> 5] & (1 << (k & 31)) != 0
    }

    /// The list as `tcpoptstrip_print_list` prints it.
    fn list(&self, numeric: bool, out: &mut String) {
        let mut first = true;
        for k in (0..256).filter(|k| self.test(*k)) {
            if !first {
                out.push(',');
            }
            first = false;
            match NAMES.iter().find(|(_, v)| usize::from(*v) == k) {
                Some((n, _)) if !numeric => out.push_str(n),
                _ => out.push_str(&k.to_string()),
            }
        }
    }
}

/// `parse_list`: each comma-separated item a name or a number up to 255.
fn parse_list(arg: &str) -> Result<[u32; 8], Error> {
    let mut bmap = [0u32; 8];
    for item in arg.split(',') {
        let kind = match NAMES.iter().find(|(n, _)| *n == item) {
            Some((_, v)) => u64::from(*v),
            None => uint(item, 0, 255)
                .ok_or_else(|| param(format!("Bad TCP option value \"{item}\"")))?,
        };
        if kind < 2 {
            return Err(param("Option value may not be 0 or 1"));
        }
        let (w, b) = ((kind >> 5) as usize, 1u32 << (kind & 31));
        if bmap[w] & b != 0 {
            return Err(param(format!("Option \"{item}\" already specified")));
        }
        bmap[w] |= b;
    }
    Ok(bmap)
}

impl TargetExtT for TcpOptStrip {
    const NAME: &'static str = "TCPOPTSTRIP";
    const OPTIONS: &'static [OptSpec] = &[OptSpec::value("strip-options").no_inv()];

    fn build(hits: &[OptHit], _cx: &ParseCx) -> Result<Self, Error> {
        let mut bmap = [0; 8];
        if let Some(h) = hits.first() {
            bmap = parse_list(h.arg())?;
        }
        Ok(TcpOptStrip { bmap })
    }

    fn save(&self, _cx: &FmtCx, out: &mut String) {
        if self.bmap != [0; 8] {
            out.push_str(" --strip-options ");
            self.list(true, out);
        }
    }

    fn print(&self, cx: &FmtCx, out: &mut String) {
        if self.bmap != [0; 8] {
            out.push_str(" TCPOPTSTRIP options ");
            self.list(cx.numeric, out);
        }
    }

    fn encode(&self, _cx: &EncodeCx, out: &mut Vec<Expr>) {
        let mut strip_bmap = [0u8; 32];
        for (c, w) in strip_bmap.chunks_exact_mut(4).zip(self.bmap) {
            c.copy_from_slice(&w.to_ne_bytes());
        }
        out.push(Expr::Target {
            name: Self::NAME.into(),
            rev: 0,
            info: TcpOptStripInfo { strip_bmap }.to_blob(),
        });
    }

    fn decode_blob(rev: u32, info: &[u8], _family: Family) -> Result<Self, DecodeError> {
        match (rev, TcpOptStripInfo::from_blob(info)) {
            (0, Some(i)) => {
                let mut bmap = [0u32; 8];
                for (w, c) in bmap.iter_mut().zip(i.strip_bmap.chunks_exact(4)) {
                    *w = u32::from_ne_bytes([c[0], c[1], c[2], c[3]]);
                }
                Ok(TcpOptStrip { bmap })
            }
            _ => Err(DecodeError(format!(
                "TCPOPTSTRIP target revision {rev} of {} bytes",
                info.len()
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ext::kit::build_target;

    fn cx(numeric: bool) -> FmtCx {
        FmtCx {
            family: Family::V4,
            numeric,
            proto: Some(6),
        }
    }

    /// Text and messages as iptables 1.8.13 gives them (captured).
    #[test]
    fn like_1_8_13() {
        for (arg, saved, named) in [
            (
                "2,3,4,5,6,7",
                "2,3,4,5,6,7",
                "mss,wscale,sack-permitted,sack,6,7",
            ),
            (
                "wscale,mss,sack-permitted,sack,timestamp,md5",
                "2,3,4,5,8,19",
                "mss,wscale,sack-permitted,sack,timestamp,md5",
            ),
            ("255,0x10,010", "8,16,255", "timestamp,16,255"),
            (" 3", "3", "wscale"),
            ("+3", "3", "wscale"),
        ] {
            let t: TcpOptStrip = build_target(Family::V4, &[(0, false, arg)]).unwrap();
            let mut s = String::new();
            t.save(&cx(true), &mut s);
            assert_eq!(s, format!(" --strip-options {saved}"));
            let (mut n, mut l) = (String::new(), String::new());
            t.print(&cx(true), &mut n);
            t.print(&cx(false), &mut l);
            assert_eq!(n, format!(" TCPOPTSTRIP options {saved}"));
            assert_eq!(l, format!(" TCPOPTSTRIP options {named}"));
            let mut e = Vec::new();
            t.encode(
                &EncodeCx {
                    family: Family::V4,
                    proto: Some((6, false)),
                },
                &mut e,
            );
            let [Expr::Target { rev: 0, info, .. }] = e.as_slice() else {
                panic!("{e:?}")
            };
            assert_eq!(info.len(), 32);
            assert_eq!(TcpOptStrip::decode_blob(0, info, Family::V4).unwrap(), t);
        }
        let t: TcpOptStrip = build_target(Family::V4, &[]).unwrap();
        let (mut s, mut l) = (String::new(), String::new());
        t.save(&cx(true), &mut s);
        t.print(&cx(false), &mut l);
        assert_eq!((s.as_str(), l.as_str()), ("", ""));
        for (bad, msg) in [
            ("0", "Option value may not be 0 or 1"),
            ("1,2", "Option value may not be 0 or 1"),
            ("256", "Bad TCP option value \"256\""),
            ("2,", "Bad TCP option value \"\""),
            ("-1", "Bad TCP option value \"-1\""),
            ("3 ", "Bad TCP option value \"3 \""),
            ("MSS", "Bad TCP option value \"MSS\""),
            ("0x", "Bad TCP option value \"0x\""),
            ("mss,2", "Option \"2\" already specified"),
        ] {
            let e = build_target::<TcpOptStrip>(Family::V4, &[(0, false, bad)]).unwrap_err();
            assert_eq!(e.to_string(), msg, "{bad}");
        }
    }

    #[test]
    fn blob_bytes() {
        let t: TcpOptStrip = build_target(Family::V4, &[(0, false, "2,33,255")]).unwrap();
        let mut e = Vec::new();
        t.encode(
            &EncodeCx {
                family: Family::V4,
                proto: None,
            },
            &mut e,
        );
        let [Expr::Target { info, .. }] = e.as_slice() else {
            panic!("{e:?}")
        };
        let mut want = [0u8; 32];
        want[0] = 4; // bit 2 of word 0
        want[4] = 2; // bit 1 of word 1
        want[31] = 0x80; // bit 31 of word 7 (little-endian)
        assert_eq!(info.as_slice(), &want);
    }
}
