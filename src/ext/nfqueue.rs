//! `-j NFQUEUE [--queue-num N | --queue-balance A:B] [--queue-bypass]
//! [--queue-cpu-fanout]` (`libxt_NFQUEUE.c`): xt target `NFQUEUE`. iptables
//! 1.8.13 writes revision 3, `struct xt_NFQ_info_v3 { u16 queuenum,
//! queues_total, flags; }`; revisions 0-2 (shorter structs) are read too and
//! printed as their own revision's save and print functions do.

use super::value::strtoumax;
use super::{EncodeCx, FmtCx, OptHit, OptSpec, ParseCx, TargetExtT};
use crate::error::{param, DecodeError, Error};
use crate::ir::Expr;
use crate::model::Family;

crate::xt_struct! {
    /// `struct xt_NFQ_info_v3` (v2 names `flags` `bypass`; v1 stops after
    /// `queues_total`, v0 after `queuenum`)
    pub struct NfqInfoV3 { pub queuenum: u16, pub queues_total: u16, pub flags: u16 }
}
const _: () = assert!(NfqInfoV3::SIZE == 6);

/// `NFQ_FLAG_BYPASS`
const BYPASS: u16 = 0x01;
/// `NFQ_FLAG_CPU_FANOUT`
const CPU_FANOUT: u16 = 0x02;
/// The highest queue `--queue-balance` takes (`UINT16_MAX - 1`).
const BALANCE_MAX: u64 = 65534;

/// The NFQUEUE target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Nfqueue {
    /// revision of the blob (3 for what rxtables writes)
    pub rev: u8,
    /// first queue
    pub queuenum: u16,
    /// number of queues balanced over (1: just `queuenum`)
    pub total: u16,
    /// `NFQ_FLAG_*`
    pub flags: u16,
}

/// `xtables_strtoul` on a part of an option value: a number in
/// `min..=max` (no sign) at the start of `s`, and the text after it.
fn strtoul(s: &str, min: u64, max: u64) -> Option<(u64, &str)> {
    if s.trim_start().starts_with('-') {
        return None;
    }
    let (v, end) = strtoumax(s)?;
    (min..=max).contains(&v).then(|| (v, &s[end..]))
}

/// `XTTYPE_UINT16RC` with `.max = 65534` (`xtopt_parse_mint`): one or two
/// `:`-separated numbers, an empty side meaning its bound; the second must
/// not be below the first.
fn parse_balance(arg: &str) -> Result<Vec<u64>, Error> {
    let (mut lmin, lmax) = (0u64, BALANCE_MAX);
    let mut vals = Vec::new();
    let mut rest = arg;
    loop {
        if vals.len() == 2 {
            return Err(param(
                "NFQUEUE: Too many components for option \"--queue-balance\" (max: 2)\n",
            ));
        }
        let (v, after) = if rest.is_empty() || rest.starts_with(':') {
            (if vals.len() == 1 { lmax } else { lmin }, rest)
        } else {
            let (v, after) = strtoul(rest, lmin, lmax).ok_or_else(|| {
                param(format!(
                    "NFQUEUE: bad value for option \"--queue-balance\" near \"{rest}\", or out of range ({lmin}-{lmax}).\n"
                ))
            })?;
            if !after.is_empty() && !after.starts_with(':') {
                return Err(param(format!(
                    "NFQUEUE: Argument to \"--queue-balance\" has unexpected characters near \"{after}\".\n"
                )));
            }
            lmin = v;
            (v, after)
        };
        vals.push(v);
        match after.strip_prefix(':') {
            Some(r) => rest = r,
            None => return Ok(vals),
        }
    }
}

impl TargetExtT for Nfqueue {
    const NAME: &'static str = "NFQUEUE";
    const OPTIONS: &'static [OptSpec] = &[
        OptSpec::value("queue-num").no_inv().excl(0b0010),
        OptSpec::value("queue-balance").no_inv().excl(0b0001),
        OptSpec::flag("queue-bypass").no_inv(),
        OptSpec::flag("queue-cpu-fanout").no_inv().also(0b0010),
    ];

    fn build(hits: &[OptHit], cx: &ParseCx) -> Result<Self, Error> {
        // the highest revision the kernel has, as iptables loads it
        // (the options are not narrowed to an older revision's)
        let (rev, _) = super::probe::choose(cx.family, Self::NAME, true, &[3, 2, 1, 0]);
        let mut t = Nfqueue {
            rev: rev as u8,
            queuenum: 0,
            total: 1,
            flags: 0,
        };
        for h in hits {
            let a = h.arg();
            match h.idx {
                0 => {
                    t.queuenum = strtoul(a, 0, 65535)
                        .filter(|(_, rest)| rest.is_empty())
                        .map(|(v, _)| v as u16)
                        .ok_or_else(|| {
                            param("NFQUEUE: bad value for option \"--queue-num\", or out of range (0-65535).\n")
                        })?
                }
                1 => {
                    let r = parse_balance(a)?;
                    let [lo, hi] = r[..] else {
                        return Err(param(format!("Bad range \"{a}\"")));
                    };
                    if lo >= hi {
                        return Err(param(format!("{lo} should be less than {hi}")));
                    }
                    t.queuenum = lo as u16;
                    t.total = (hi - lo + 1) as u16;
                }
                2 => t.flags |= BYPASS,
                _ => t.flags |= CPU_FANOUT,
            }
        }
        Ok(t)
    }

    fn save(&self, _cx: &FmtCx, out: &mut String) {
        self.text(true, out)
    }

    fn print(&self, _cx: &FmtCx, out: &mut String) {
        self.text(false, out)
    }

    fn encode(&self, _cx: &EncodeCx, out: &mut Vec<Expr>) {
        let full = NfqInfoV3 {
            queuenum: self.queuenum,
            queues_total: self.total,
            flags: self.flags,
        }
        .to_blob();
        // revisions 0-2 are the leading fields of v3, XT_ALIGNed
        let used = match self.rev {
            0 => 2,
            1 => 4,
            _ => 6,
        };
        let mut info = full[..used].to_vec();
        info.resize(super::xt_align(used), 0);
        out.push(Expr::Target {
            name: Self::NAME.into(),
            rev: u32::from(self.rev),
            info,
        });
    }

    fn decode_blob(rev: u32, info: &[u8], _family: Family) -> Result<Self, DecodeError> {
        let bad = || DecodeError(format!("NFQUEUE revision {rev} of {} bytes", info.len()));
        let need = match rev {
            0 => 2,
            1 => 4,
            2 | 3 => 6,
            _ => return Err(bad()),
        };
        if info.len() < need {
            return Err(bad());
        }
        let mut b = [0u8; 6];
        b[..need].copy_from_slice(&info[..need]);
        let i = NfqInfoV3::from_blob(&b).ok_or_else(bad)?;
        Ok(Nfqueue {
            rev: rev as u8,
            queuenum: i.queuenum,
            total: if rev == 0 { 1 } else { i.queues_total },
            flags: i.flags,
        })
    }
}

impl Nfqueue {
    fn text(&self, save: bool, out: &mut String) {
        use std::fmt::Write;
        let (dash, queue) = if save { ("--", "queue-") } else { ("", "") };
        if !save {
            out.push_str(" NFQUEUE");
        }
        if self.rev >= 1 && self.total > 1 {
            let last = u32::from(self.total) + u32::from(self.queuenum) - 1;
            let _ = write!(out, " {dash}{queue}balance {}:{last}", self.queuenum);
        } else {
            let _ = write!(out, " {dash}{queue}num {}", self.queuenum);
        }
        if self.rev >= 2 && self.flags & BYPASS != 0 {
            let _ = write!(out, " {dash}{queue}bypass");
        }
        if self.rev >= 3 && self.flags & CPU_FANOUT != 0 {
            let _ = write!(out, " {dash}{}cpu-fanout", if save { "queue-" } else { "" });
        }
    }
}

#[cfg(test)]
mod revision_tests {
    use super::*;
    use crate::ext::kit::build_target;
    use crate::ext::probe::{with_probe, RevisionProbe};

    /// A kernel whose NFQUEUE stops at revision `.0`.
    struct Upto(u32);
    impl RevisionProbe for Upto {
        fn supports(&self, _f: Family, name: &str, rev: u32, target: bool) -> bool {
            name == "NFQUEUE" && target && rev <= self.0
        }
        fn exists(&self, _f: Family, name: &str, target: bool) -> bool {
            name == "NFQUEUE" && target
        }
    }

    /// The revision written is the highest the kernel has (3 on kernels
    /// since 3.10, as without a probe), in that revision's layout.
    #[test]
    fn highest_revision_the_kernel_has() {
        let enc = |t: &Nfqueue| {
            let mut e = Vec::new();
            t.encode(
                &EncodeCx {
                    family: Family::V4,
                    proto: None,
                },
                &mut e,
            );
            match e.as_slice() {
                [Expr::Target { rev, info, .. }] => (*rev, info.clone()),
                _ => panic!("{e:?}"),
            }
        };
        let opts = [(1, false, "2:3"), (2, false, "")];
        let t: Nfqueue = build_target(Family::V4, &opts).unwrap();
        assert_eq!(enc(&t), (3, vec![2, 0, 2, 0, 1, 0, 0, 0]));
        let t = with_probe(Box::new(Upto(3)), || {
            build_target::<Nfqueue>(Family::V4, &opts)
        })
        .unwrap();
        assert_eq!(enc(&t).0, 3);
        let t = with_probe(Box::new(Upto(2)), || {
            build_target::<Nfqueue>(Family::V4, &opts)
        })
        .unwrap();
        assert_eq!(enc(&t), (2, vec![2, 0, 2, 0, 1, 0, 0, 0]));
        let t = with_probe(Box::new(Upto(1)), || {
            build_target::<Nfqueue>(Family::V6, &opts)
        })
        .unwrap();
        assert_eq!(enc(&t), (1, vec![2, 0, 2, 0, 0, 0, 0, 0]));
        assert_eq!(
            Nfqueue::decode_blob(1, &enc(&t).1, Family::V6)
                .unwrap()
                .total,
            2
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ext::kit::build_target;

    fn build(v: &[(usize, &str)]) -> Result<Nfqueue, Error> {
        let v: Vec<(usize, bool, &str)> = v.iter().map(|(i, a)| (*i, false, *a)).collect();
        build_target(Family::V4, &v)
    }

    /// Save and list text as iptables 1.8.13 prints them (captured).
    #[test]
    fn like_1_8_13() {
        let cx = FmtCx {
            family: Family::V4,
            numeric: true,
            proto: None,
        };
        for (v, saved, listed) in [
            (&[][..], " --queue-num 0", " NFQUEUE num 0"),
            (&[(0, "0x10")][..], " --queue-num 16", " NFQUEUE num 16"),
            (
                &[(1, ":")][..],
                " --queue-balance 0:65534",
                " NFQUEUE balance 0:65534",
            ),
            (
                &[(1, ":4")][..],
                " --queue-balance 0:4",
                " NFQUEUE balance 0:4",
            ),
            (
                &[(1, "0x3:010")][..],
                " --queue-balance 3:8",
                " NFQUEUE balance 3:8",
            ),
            (
                &[(1, "0:6"), (3, ""), (2, "")][..],
                " --queue-balance 0:6 --queue-bypass --queue-cpu-fanout",
                " NFQUEUE balance 0:6 bypass cpu-fanout",
            ),
            (
                &[(2, "")][..],
                " --queue-num 0 --queue-bypass",
                " NFQUEUE num 0 bypass",
            ),
        ] {
            let t = build(v).unwrap();
            let (mut s, mut l) = (String::new(), String::new());
            t.save(&cx, &mut s);
            t.print(&cx, &mut l);
            assert_eq!((s.as_str(), l.as_str()), (saved, listed));
            let mut e = Vec::new();
            t.encode(
                &EncodeCx {
                    family: Family::V4,
                    proto: None,
                },
                &mut e,
            );
            let [Expr::Target { rev: 3, info, .. }] = e.as_slice() else {
                panic!("{e:?}")
            };
            assert_eq!(info.len(), 8);
            assert_eq!(Nfqueue::decode_blob(3, info, Family::V4).unwrap(), t);
        }
        let msg = |v: &[(usize, &str)]| build(v).unwrap_err().to_string();
        assert_eq!(msg(&[(1, "4")]), "Bad range \"4\"");
        assert_eq!(msg(&[(1, "")]), "Bad range \"\"");
        assert_eq!(msg(&[(1, "4:4")]), "4 should be less than 4");
        assert_eq!(
            msg(&[(1, "4:3")]),
            "NFQUEUE: bad value for option \"--queue-balance\" near \"3\", or out of range (4-65534).\n"
        );
        assert_eq!(
            msg(&[(1, "-1:65535")]),
            "NFQUEUE: bad value for option \"--queue-balance\" near \"-1:65535\", or out of range (0-65534).\n"
        );
        assert_eq!(
            msg(&[(1, "4x:5")]),
            "NFQUEUE: Argument to \"--queue-balance\" has unexpected characters near \"x:5\".\n"
        );
        assert_eq!(
            msg(&[(1, "4:5:6")]),
            "NFQUEUE: Too many components for option \"--queue-balance\" (max: 2)\n"
        );
        for bad in ["65536", "-1", "1x", ""] {
            assert_eq!(
                msg(&[(0, bad)]),
                "NFQUEUE: bad value for option \"--queue-num\", or out of range (0-65535).\n"
            );
        }
    }

    /// Older revisions print as their own save functions do.
    #[test]
    fn older_revisions() {
        let cx = FmtCx {
            family: Family::V4,
            numeric: true,
            proto: None,
        };
        let t = Nfqueue::decode_blob(0, &[5, 0, 0, 0, 0, 0, 0, 0], Family::V4).unwrap();
        let mut s = String::new();
        t.save(&cx, &mut s);
        assert_eq!(s, " --queue-num 5");
        let t = Nfqueue::decode_blob(2, &[1, 0, 3, 0, 1, 0, 0, 0], Family::V4).unwrap();
        let mut s = String::new();
        t.save(&cx, &mut s);
        assert_eq!(s, " --queue-balance 1:3 --queue-bypass");
        let mut e = Vec::new();
        t.encode(
            &EncodeCx {
                family: Family::V4,
                proto: None,
            },
            &mut e,
        );
        assert!(
            matches!(&e[..], [Expr::Target { rev: 2, info, .. }] if info == &[1, 0, 3, 0, 1, 0, 0, 0])
        );
        assert!(Nfqueue::decode_blob(4, &[0; 8], Family::V4).is_err());
    }
}
