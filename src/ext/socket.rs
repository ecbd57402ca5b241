//! `-m socket [--transparent] [--nowildcard] [--restore-skmark]`
//! (`libxt_socket.c`): xt match `socket`. iptables 1.8.13 writes revision
//! 3 (`struct xt_socket_mtinfo3 { u8 flags; }`); revisions 0 (no info), 1
//! (`--transparent` only) and 2 (`--nowildcard` too) are read and written
//! back as they came. The kernel allows it in PREROUTING and INPUT only.

use super::{EncodeCx, FmtCx, MatchExt, OptHit, OptSpec, ParseCx};
use crate::error::{DecodeError, Error};
use crate::ir::Expr;
use crate::model::Family;

/// `XT_SOCKET_TRANSPARENT`
const TRANSPARENT: u8 = 1;
/// `XT_SOCKET_NOWILDCARD`
const NOWILDCARD: u8 = 2;
/// `XT_SOCKET_RESTORESKMARK`
const RESTORESKMARK: u8 = 4;

/// The socket match.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Socket {
    /// xt revision
    pub rev: u32,
    /// `XT_SOCKET_*`
    pub flags: u8,
}

impl MatchExt for Socket {
    const NAME: &'static str = "socket";
    const OPTIONS: &'static [OptSpec] = &[
        OptSpec::flag("transparent").no_inv(),
        OptSpec::flag("nowildcard").no_inv(),
        OptSpec::flag("restore-skmark").no_inv(),
    ];

    fn build(hits: &[OptHit], cx: &ParseCx) -> Result<Self, Error> {
        // IPv6 has no revision 0
        let revs: &[u32] = match cx.family {
            Family::V4 => &[3, 2, 1, 0],
            Family::V6 => &[3, 2, 1],
        };
        let (rev, _) = super::probe::choose(cx.family, Self::NAME, false, revs);
        let mut flags = 0;
        for h in hits {
            // an older revision's module has only its own options
            // (revision 0 none, 1 --transparent, 2 --nowildcard too)
            if h.idx as u32 >= rev {
                return Err(crate::error::param(format!(
                    "unknown option \"--{}\"",
                    Self::OPTIONS[h.idx].name
                )));
            }
            flags |= [TRANSPARENT, NOWILDCARD, RESTORESKMARK][h.idx.min(2)];
        }
        Ok(Socket { rev, flags })
    }

    fn save(&self, _cx: &FmtCx, out: &mut String) {
        for (bit, name) in [
            (TRANSPARENT, " --transparent"),
            (NOWILDCARD, " --nowildcard"),
            (RESTORESKMARK, " --restore-skmark"),
        ] {
            if self.flags & bit != 0 {
                out.push_str(name);
            }
        }
    }

    fn print(&self, cx: &FmtCx, out: &mut String) {
        out.push_str(" socket");
        self.save(cx, out);
    }

    fn encode(&self, _cx: &EncodeCx, out: &mut Vec<Expr>) {
        out.push(Expr::Match {
            name: Self::NAME.into(),
            rev: self.rev,
            info: if self.rev == 0 {
                Vec::new()
            } else {
                super::pad_blob(vec![self.flags])
            },
        });
    }

    fn decode_blob(rev: u32, info: &[u8], _family: Family) -> Result<Self, DecodeError> {
        let known = match rev {
            0 => Some(0),
            1 => Some(TRANSPARENT),
            2 => Some(TRANSPARENT | NOWILDCARD),
            3 => Some(TRANSPARENT | NOWILDCARD | RESTORESKMARK),
            _ => None,
        };
        let flags = if rev == 0 {
            Some(0)
        } else {
            info.first().copied()
        };
        match (known, flags) {
            (Some(k), Some(f)) if f & !k == 0 => Ok(Socket { rev, flags: f }),
            _ => Err(DecodeError(format!(
                "socket revision {rev} of {} bytes",
                info.len()
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ext::kit::{build_match, texts, xt_round_trip};

    /// Text as iptables 1.8.13 prints it (captured).
    #[test]
    fn like_1_8_13() {
        let cx = FmtCx {
            family: Family::V4,
            numeric: true,
            proto: None,
        };
        for (v, saved) in [
            (&[][..], ""),
            (
                &[(2, false, ""), (0, false, "")][..],
                " --transparent --restore-skmark",
            ),
            (
                &[(0, false, ""), (1, false, ""), (2, false, "")][..],
                " --transparent --nowildcard --restore-skmark",
            ),
        ] {
            let s: Socket = build_match(Family::V4, v).unwrap();
            assert_eq!(
                texts(&s, &cx),
                (saved.to_string(), format!(" socket{saved}"))
            );
            assert_eq!(xt_round_trip(&s, Family::V4), (3, 8));
        }
        for rev in 0..3 {
            let s = Socket {
                rev,
                flags: if rev == 0 { 0 } else { TRANSPARENT },
            };
            let mut e = Vec::new();
            s.encode(
                &EncodeCx {
                    family: Family::V4,
                    proto: None,
                },
                &mut e,
            );
            let [Expr::Match { info, .. }] = e.as_slice() else {
                panic!()
            };
            assert_eq!(Socket::decode_blob(rev, info, Family::V4).unwrap(), s);
        }
        assert!(Socket::decode_blob(1, &[NOWILDCARD, 0, 0, 0, 0, 0, 0, 0], Family::V4).is_err());
    }
}

#[cfg(test)]
mod revision_tests {
    use super::*;
    use crate::ext::kit::{build_match, capped, match_save, xt_match};
    use crate::ext::probe::with_probe;

    /// The highest revision the kernel has, `struct xt_socket_mtinfoN {
    /// u8 flags; }` (revision 0: no info), and only that revision's options.
    #[test]
    fn older_revisions_chosen_by_the_kernel() {
        for (fam, cap, opts, rev, blob, saved) in [
            (
                Family::V4,
                2,
                &[(1, false, ""), (0, false, "")][..],
                2,
                vec![3u8, 0, 0, 0, 0, 0, 0, 0],
                " --transparent --nowildcard",
            ),
            (
                Family::V6,
                1,
                &[(0, false, "")][..],
                1,
                vec![1, 0, 0, 0, 0, 0, 0, 0],
                " --transparent",
            ),
            (Family::V4, 0, &[][..], 0, vec![], ""),
            // IPv6 has no revision 0: the lowest it has
            (Family::V6, 0, &[][..], 1, vec![0, 0, 0, 0, 0, 0, 0, 0], ""),
        ] {
            let m: Socket = with_probe(capped(&[("socket", false, Some(cap))]), || {
                build_match(fam, opts)
            })
            .unwrap();
            let (_, r, b) = xt_match(&m, fam);
            assert_eq!((r, &b), (rev, &blob));
            let back = Socket::decode_blob(r, &b, fam).unwrap();
            assert_eq!(back, m);
            assert_eq!(match_save(&back, fam), saved);
        }
        for (cap, idx, name) in [
            (2, 2, "restore-skmark"),
            (1, 1, "nowildcard"),
            (0, 0, "transparent"),
        ] {
            let e = with_probe(capped(&[("socket", false, Some(cap))]), || {
                build_match::<Socket>(Family::V4, &[(idx, false, "")])
            })
            .unwrap_err();
            assert_eq!(e.to_string(), format!("unknown option \"--{name}\""));
        }
        let m: Socket = build_match(Family::V4, &[]).unwrap();
        assert_eq!(xt_match(&m, Family::V4).1, 3);
    }
}
