//! `-m cgroup [!] --path P | [!] --cgroup classid` (`libxt_cgroup.c`): xt
//! match `cgroup`; 1.8.13 writes revision 2 (`struct xt_cgroup_info_v2`,
//! path and classid sharing a union); revisions 0 (classid only) and 1
//! (a `PATH_MAX` path) are read too.

use super::comment::save_string;
use super::value::{parse_u32, ValueKind};
use super::{EncodeCx, FmtCx, MatchExt, OptHit, OptSpec, ParseCx};
use crate::error::{DecodeError, Error};
use crate::ir::Expr;
use crate::model::Family;

crate::xt_struct! {
    /// `struct xt_cgroup_info_v0`
    pub struct CgroupInfoV0 { pub id: u32, pub invert: u32 }
}
const _: () = assert!(CgroupInfoV0::SIZE == 8);

/// `XT_CGROUP_PATH_MAX`
const PATH_MAX_V2: usize = 512;
/// `PATH_MAX`
const PATH_MAX_V1: usize = 4096;
/// `sizeof(struct xt_cgroup_info_v1)`: flags, path, classid, pointer
const SIZE_V1: usize = 4 + PATH_MAX_V1 + 4 + 8;
/// `sizeof(struct xt_cgroup_info_v2)`: flags, union, padding, pointer
const SIZE_V2: usize = 4 + PATH_MAX_V2 + 4 + 8;

/// The cgroup match.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cgroup {
    /// revision (0, 1 or 2)
    pub rev: u8,
    /// `--path` given
    pub has_path: bool,
    /// `--cgroup` given
    pub has_classid: bool,
    /// `! --path`
    pub invert_path: bool,
    /// `! --cgroup`
    pub invert_classid: bool,
    /// cgroup2 path
    pub path: String,
    /// net_cls classid
    pub classid: u32,
}

impl MatchExt for Cgroup {
    const NAME: &'static str = "cgroup";
    const OPTIONS: &'static [OptSpec] = &[
        OptSpec::value("path"),
        OptSpec::value("cgroup").kind(ValueKind::U32),
    ];

    fn build(hits: &[OptHit], cx: &ParseCx) -> Result<Self, Error> {
        // an older kernel: revision 1 (a `PATH_MAX` path) or 0 (`--cgroup`
        // only, and required)
        let (rev, _) = super::probe::choose(cx.family, Self::NAME, false, &[2, 1, 0]);
        if rev == 0 {
            if hits.iter().any(|h| h.idx == 0) {
                return Err(crate::error::param("unknown option \"--path\""));
            }
            if hits.is_empty() {
                return Err(crate::error::param(
                    "cgroup: option \"--cgroup\" must be specified\n",
                ));
            }
        }
        let path_max = if rev == 1 { PATH_MAX_V1 } else { PATH_MAX_V2 };
        let mut m = Cgroup {
            rev: rev as u8,
            has_path: false,
            has_classid: false,
            invert_path: false,
            invert_classid: false,
            path: String::new(),
            classid: 0,
        };
        for h in hits {
            if h.idx == 0 {
                // XTOPT_PUT: cut to the field
                let mut end = h.arg().len().min(path_max - 1);
                while !h.arg().is_char_boundary(end) {
                    end -= 1;
                }
                m.path = h.arg()[..end].to_string();
                m.has_path = true;
                m.invert_path |= h.inv;
            } else {
                m.classid = parse_u32(h.arg()).unwrap_or(0);
                m.has_classid = true;
                m.invert_classid |= h.inv;
            }
        }
        Ok(m)
    }

    fn save(&self, _cx: &FmtCx, out: &mut String) {
        if self.has_path {
            out.push_str(if self.invert_path {
                " ! --path"
            } else {
                " --path"
            });
            save_string(&self.path, out);
        }
        if self.has_classid {
            let bang = if self.invert_classid { " !" } else { "" };
            out.push_str(&format!("{bang} --cgroup {}", self.classid));
        }
    }

    fn print(&self, _cx: &FmtCx, out: &mut String) {
        out.push_str(" cgroup");
        if self.has_path {
            let bang = if self.invert_path { "! " } else { "" };
            out.push_str(&format!(" {bang}{}", self.path));
        }
        if self.has_classid {
            let bang = if self.invert_classid { "! " } else { "" };
            out.push_str(&format!(" {bang}{}", self.classid));
        }
    }

    fn encode(&self, _cx: &EncodeCx, out: &mut Vec<Expr>) {
        let info = if self.rev == 0 {
            CgroupInfoV0 {
                id: self.classid,
                invert: u32::from(self.invert_classid),
            }
            .to_blob()
        } else {
            let (size, path_max) = if self.rev == 1 {
                (SIZE_V1, PATH_MAX_V1)
            } else {
                (SIZE_V2, PATH_MAX_V2)
            };
            let mut b = vec![0u8; size];
            b[..4].copy_from_slice(&[
                u8::from(self.has_path),
                u8::from(self.has_classid),
                u8::from(self.invert_path),
                u8::from(self.invert_classid),
            ]);
            let p = self.path.as_bytes();
            let n = p.len().min(path_max - 1);
            b[4..4 + n].copy_from_slice(&p[..n]);
            if self.has_classid {
                // revision 2's union: the classid over the path's start
                let at = if self.rev == 1 { 4 + PATH_MAX_V1 } else { 4 };
                b[at..at + 4].copy_from_slice(&self.classid.to_ne_bytes());
            }
            b
        };
        out.push(Expr::Match {
            name: Self::NAME.into(),
            rev: u32::from(self.rev),
            info,
        });
    }

    fn decode_blob(rev: u32, info: &[u8], _family: Family) -> Result<Self, DecodeError> {
        let bad = || DecodeError(format!("cgroup revision {rev} of {} bytes", info.len()));
        match rev {
            0 => {
                let i = CgroupInfoV0::from_blob(info).ok_or_else(bad)?;
                Ok(Cgroup {
                    rev: 0,
                    has_path: false,
                    has_classid: true,
                    invert_path: false,
                    invert_classid: i.invert != 0,
                    path: String::new(),
                    classid: i.id,
                })
            }
            1 | 2 => {
                let (size, path_max) = if rev == 1 {
                    (SIZE_V1, PATH_MAX_V1)
                } else {
                    (SIZE_V2, PATH_MAX_V2)
                };
                if info.len() < size {
                    return Err(bad());
                }
                let has_classid = info[1] != 0;
                let at = if rev == 1 { 4 + PATH_MAX_V1 } else { 4 };
                let word = [info[at], info[at + 1], info[at + 2], info[at + 3]];
                let path_bytes = &info[4..4 + path_max];
                let end = path_bytes.iter().position(|c| *c == 0).unwrap_or(path_max);
                Ok(Cgroup {
                    rev: rev as u8,
                    has_path: info[0] != 0,
                    has_classid,
                    invert_path: info[2] != 0,
                    invert_classid: info[3] != 0,
                    path: if info[0] != 0 {
                        String::from_utf8_lossy(&path_bytes[..end]).into_owned()
                    } else {
                        String::new()
                    },
                    classid: if has_classid {
                        u32::from_ne_bytes(word)
                    } else {
                        0
                    },
                })
            }
            _ => Err(bad()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ext::kit::{build_match, texts, xt_round_trip};

    #[test]
    fn like_1_8_13() {
        let cx = FmtCx {
            family: Family::V4,
            numeric: true,
            proto: None,
        };
        let m: Cgroup = build_match(Family::V4, &[(1, true, "0x10")]).unwrap();
        assert_eq!(
            texts(&m, &cx),
            (" ! --cgroup 16".into(), " cgroup ! 16".into())
        );
        assert_eq!(xt_round_trip(&m, Family::V4), (2, 528));
        let m: Cgroup = build_match(Family::V4, &[(0, true, "/")]).unwrap();
        assert_eq!(
            texts(&m, &cx),
            (" ! --path \"/\"".into(), " cgroup ! /".into())
        );
        assert_eq!(xt_round_trip(&m, Family::V4), (2, 528));
        let mut v1 = m.clone();
        v1.rev = 1;
        assert_eq!(xt_round_trip(&v1, Family::V4), (1, 4112));
    }
}

#[cfg(test)]
mod revision_tests {
    use super::*;
    use crate::ext::kit::{build_match, capped, match_save, xt_match};
    use crate::ext::probe::with_probe;

    /// A kernel without revision 2 gets `struct xt_cgroup_info_v1 { u8
    /// has_path, has_classid, invert_path, invert_classid; char
    /// path[PATH_MAX]; u32 classid; (pointer) }`, one without 1 `struct
    /// xt_cgroup_info_v0 { u32 id, invert; }` (`--cgroup` only).
    #[test]
    fn older_revisions_chosen_by_the_kernel() {
        let m: Cgroup = with_probe(capped(&[("cgroup", false, Some(1))]), || {
            build_match(
                Family::V4,
                &[(0, true, "/user.slice"), (1, false, "0x10001")],
            )
        })
        .unwrap();
        let (_, rev, b) = xt_match(&m, Family::V4);
        assert_eq!((rev, b.len()), (1, 4112));
        assert_eq!(&b[..4], &[1, 1, 1, 0]);
        assert_eq!(&b[4..16], b"/user.slice\0");
        assert_eq!(&b[4100..4104], &0x10001u32.to_ne_bytes());
        let back = Cgroup::decode_blob(1, &b, Family::V4).unwrap();
        assert_eq!(back, m);
        assert_eq!(
            match_save(&back, Family::V4),
            " ! --path \"/user.slice\" --cgroup 65537"
        );

        let kernel = || capped(&[("cgroup", false, Some(0))]);
        let m: Cgroup =
            with_probe(kernel(), || build_match(Family::V6, &[(1, true, "7")])).unwrap();
        let (_, rev, b) = xt_match(&m, Family::V6);
        assert_eq!((rev, b), (0, vec![7, 0, 0, 0, 1, 0, 0, 0]));
        let back = Cgroup::decode_blob(0, &[7, 0, 0, 0, 1, 0, 0, 0], Family::V6).unwrap();
        assert_eq!(back, m);
        assert_eq!(match_save(&back, Family::V6), " ! --cgroup 7");
        let msg = |v: &[(usize, bool, &str)]| {
            with_probe(kernel(), || build_match::<Cgroup>(Family::V4, v))
                .unwrap_err()
                .to_string()
        };
        assert_eq!(msg(&[(0, false, "/a")]), "unknown option \"--path\"");
        assert_eq!(msg(&[]), "cgroup: option \"--cgroup\" must be specified\n");
        let m: Cgroup = build_match(Family::V4, &[(1, false, "1")]).unwrap();
        assert_eq!(xt_match(&m, Family::V4).1, 2);
    }
}
