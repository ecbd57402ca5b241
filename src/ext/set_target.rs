//! `-j SET [--add-set NAME src|dst[,...] [--exist] [--timeout N]]
//! [--del-set NAME FLAGS] [--map-set NAME FLAGS [--map-mark] [--map-prio]
//! [--map-queue]]` (`libxt_SET.c`): xt target `SET`. iptables 1.8.13
//! writes revision 3, `struct xt_set_info_target_v3 { xt_set_info add_set,
//! del_set, map_set; u32 flags, timeout; }`; on a kernel without it
//! revision 2 (no map) or 1 (add and del only); both are read too. Sets are named as in the `set` match ([`super::set::SetRef`]).

use super::set::{SetRef, INVALID_ID};
use super::{EncodeCx, FmtCx, OptHit, OptSpec, ParseCx, TargetExtT};
use crate::error::{param, DecodeError, Error};
use crate::ir::Expr;
use crate::model::Family;
use std::fmt::Write;

/// `IPSET_FLAG_EXIST`
const EXIST: u32 = 1;
/// `IPSET_FLAG_MAP_SKBMARK`, `_SKBPRIO`, `_SKBQUEUE` with their options
const MAPS: [(u32, &str); 3] = [
    (1 << 8, "map-mark"),
    (1 << 9, "map-prio"),
    (1 << 10, "map-queue"),
];
/// The timeout when none is given (`UINT32_MAX`: the set's own).
const NO_TIMEOUT: u32 = u32::MAX;

crate::xt_struct! {
    /// `struct xt_set_info_target_v3` (v2 lacks `map_set`; v1 is the first
    /// two sets only)
    pub struct SetTargetV3 {
        pub add_set: [u8; 4], pub del_set: [u8; 4], pub map_set: [u8; 4], pub flags: u32,
        pub timeout: u32,
    }
}
const _: () = assert!(SetTargetV3::SIZE == 20);

/// The SET target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetTarget {
    /// revision (3, or 2 or 1 when the kernel has no newer)
    pub rev: u8,
    /// `--add-set` (boxed, as the others: rules stay small)
    pub add: Option<Box<SetRef>>,
    /// `--del-set`
    pub del: Option<Box<SetRef>>,
    /// `--map-set`
    pub map: Option<Box<SetRef>>,
    /// `IPSET_FLAG_*`
    pub flags: u32,
    /// `--timeout` (`UINT32_MAX`: not given)
    pub timeout: u32,
}

/// `struct xt_set_info` of an optional set (`IPSET_INVALID_ID` when none).
fn info(s: &Option<Box<SetRef>>) -> [u8; 4] {
    match s {
        Some(s) => s.info(),
        None => {
            let i = INVALID_ID.to_ne_bytes();
            [i[0], i[1], 0, 0]
        }
    }
}

fn from_info(b: &[u8]) -> Result<Option<Box<SetRef>>, DecodeError> {
    match b.get(..2) {
        Some(i) if u16::from_ne_bytes([i[0], i[1]]) == INVALID_ID => Ok(None),
        _ => SetRef::from_info(b).map(|s| Some(Box::new(s))),
    }
}

impl TargetExtT for SetTarget {
    const NAME: &'static str = "SET";
    const OPTIONS: &'static [OptSpec] = &[
        OptSpec::value("add-set").two().multi(),
        OptSpec::value("del-set").two().multi(),
        OptSpec::flag("exist").multi(),
        OptSpec::value("timeout").multi(),
        OptSpec::value("map-set").two().multi(),
        OptSpec::flag("map-mark").multi(),
        OptSpec::flag("map-prio").multi(),
        OptSpec::flag("map-queue").multi(),
    ];

    fn build(hits: &[OptHit], cx: &ParseCx) -> Result<Self, Error> {
        // an older kernel: revision 2 (no --map-set) or 1 (no --exist,
        // --timeout); 0 (before 2.6.39, no kernel with nf_tables) is not
        // tried
        let (rev, _) = super::probe::choose(cx.family, Self::NAME, true, &[3, 2, 1]);
        let known = if rev == 1 {
            2
        } else if rev == 2 {
            4
        } else {
            8
        };
        if let Some(h) = hits.iter().find(|h| h.idx >= known) {
            return Err(param(format!(
                "unknown option \"--{}\"",
                Self::OPTIONS[h.idx].name
            )));
        }
        let mut t = SetTarget {
            rev: rev as u8,
            add: None,
            del: None,
            map: None,
            flags: 0,
            timeout: NO_TIMEOUT,
        };
        // `!` is accepted and ignored before every option
        let mut given = 0u32;
        for h in hits {
            given |= 1 << h.idx;
            let name = Self::OPTIONS[h.idx].name;
            let slot = match h.idx {
                0 => &mut t.add,
                1 => &mut t.del,
                4 => &mut t.map,
                2 => {
                    t.flags |= EXIST;
                    continue;
                }
                3 => {
                    let a = h.arg();
                    t.timeout = super::value::strtoumax(a)
                        .filter(|(v, end)| {
                            *end == a.len()
                                && *v < u64::from(u32::MAX)
                                && !a.trim_start().starts_with('-')
                        })
                        .map(|(v, _)| v as u32)
                        .ok_or_else(|| {
                            param(format!(
                                "Invalid value for option --timeout or out of range 0-{}",
                                u32::MAX - 1
                            ))
                        })?;
                    continue;
                }
                i => {
                    t.flags |= MAPS[i - 5].0;
                    continue;
                }
            };
            if slot.is_some() {
                return Err(param(format!("--{name} can be specified only once")));
            }
            *slot = Some(Box::new(SetRef::parse(name, &h.args, cx.family)?));
        }
        let has = |i: usize| given & (1 << i) != 0;
        if rev < 3 && !(has(0) || has(1)) {
            return Err(param("You must specify either `--add-set' or `--del-set'"));
        }
        if !(has(0) || has(1) || has(4)) {
            return Err(param(
                "You must specify either `--add-set' or `--del-set' or `--map-set'",
            ));
        }
        if !has(0) {
            if has(2) {
                return Err(param("Flag `--exist' can be used with `--add-set' only"));
            }
            if has(3) {
                return Err(param(
                    "Option `--timeout' can be used with `--add-set' only",
                ));
            }
        }
        if !has(4) {
            for (i, (_, opt)) in MAPS.iter().enumerate() {
                if has(5 + i) {
                    return Err(param(format!(
                        "Flag `--{opt}' can be used with `--map-set' only"
                    )));
                }
            }
        } else if !(has(5) || has(6) || has(7)) {
            return Err(param(
                "You must specify flags `--map-mark' or '--map-prio` or `--map-queue'",
            ));
        }
        Ok(t)
    }

    fn save(&self, _cx: &FmtCx, out: &mut String) {
        self.text("--", out)
    }

    fn print(&self, _cx: &FmtCx, out: &mut String) {
        self.text("", out)
    }

    fn encode(&self, _cx: &EncodeCx, out: &mut Vec<Expr>) {
        let (add, del) = (info(&self.add), info(&self.del));
        let info = match self.rev {
            1 => super::pad_blob([add, del].concat()),
            2 => {
                let mut b = [add, del].concat();
                b.extend_from_slice(&self.flags.to_ne_bytes());
                b.extend_from_slice(&self.timeout.to_ne_bytes());
                super::pad_blob(b)
            }
            _ => SetTargetV3 {
                add_set: add,
                del_set: del,
                map_set: info(&self.map),
                flags: self.flags,
                timeout: self.timeout,
            }
            .to_blob(),
        };
        out.push(Expr::Target {
            name: Self::NAME.into(),
            rev: u32::from(self.rev),
            info,
        });
    }

    fn decode_blob(rev: u32, info: &[u8], _family: Family) -> Result<Self, DecodeError> {
        let bad = || DecodeError(format!("SET revision {rev} of {} bytes", info.len()));
        let need = match rev {
            1 => 8,
            2 => 16,
            3 => 20,
            _ => return Err(bad()),
        };
        if info.len() < need {
            return Err(bad());
        }
        let u =
            |at: usize| u32::from_ne_bytes([info[at], info[at + 1], info[at + 2], info[at + 3]]);
        let (map, flags, timeout) = match rev {
            1 => (None, 0, NO_TIMEOUT),
            2 => (None, u(8), u(12)),
            _ => (from_info(&info[8..12])?, u(12), u(16)),
        };
        Ok(SetTarget {
            rev: rev as u8,
            add: from_info(&info[..4])?,
            del: from_info(&info[4..8])?,
            map,
            flags,
            timeout,
        })
    }
}

impl SetTarget {
    fn text(&self, dash: &str, out: &mut String) {
        if let Some(s) = &self.add {
            s.text(&format!("{dash}add-set"), false, out);
        }
        if self.rev >= 2 {
            if self.flags & EXIST != 0 {
                let _ = write!(out, " {dash}exist");
            }
            if self.timeout != NO_TIMEOUT {
                let _ = write!(out, " {dash}timeout {}", self.timeout);
            }
        }
        if let Some(s) = &self.del {
            s.text(&format!("{dash}del-set"), false, out);
        }
        if let Some(s) = &self.map {
            s.text(&format!("{dash}map-set"), false, out);
        }
        if self.rev >= 3 {
            for (bit, opt) in MAPS {
                if self.flags & bit != 0 {
                    let _ = write!(out, " {dash}{opt}");
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(index: u16, name: &str, dim: u8, flags: u8) -> Option<Box<SetRef>> {
        Some(Box::new(SetRef {
            index,
            name: name.into(),
            dim,
            flags,
        }))
    }

    /// Text as iptables 1.8.13 prints it (captured); the blob layout.
    #[test]
    fn like_1_8_13() {
        let cx = FmtCx {
            family: Family::V4,
            numeric: true,
            proto: None,
        };
        let t = SetTarget {
            rev: 3,
            add: r(0, "foo", 1, 0b10),
            del: r(1, "bar", 1, 0),
            map: None,
            flags: EXIST,
            timeout: 10,
        };
        let (mut s, mut l) = (String::new(), String::new());
        t.save(&cx, &mut s);
        t.print(&cx, &mut l);
        assert_eq!(
            s,
            " --add-set foo src --exist --timeout 10 --del-set bar dst"
        );
        assert_eq!(l, " add-set foo src exist timeout 10 del-set bar dst");
        let t = SetTarget {
            rev: 3,
            add: None,
            del: None,
            map: r(2, "m", 2, 0b010),
            flags: 7 << 8,
            timeout: NO_TIMEOUT,
        };
        let mut s = String::new();
        t.save(&cx, &mut s);
        assert_eq!(s, " --map-set m src,dst --map-mark --map-prio --map-queue");
        let mut e = Vec::new();
        t.encode(
            &EncodeCx {
                family: Family::V4,
                proto: None,
            },
            &mut e,
        );
        let [Expr::Target { rev: 3, info, .. }] = e.as_slice() else {
            panic!()
        };
        assert_eq!(
            info,
            &[
                255, 255, 0, 0, 255, 255, 0, 0, 2, 0, 2, 2, 0, 7, 0, 0, 255, 255, 255, 255, 0, 0,
                0, 0
            ]
        );
        assert!(SetTarget::decode_blob(4, info, Family::V4).is_err());
    }
}

#[cfg(test)]
mod revision_tests {
    use super::*;
    use crate::ext::kit::{build_target, capped, target_save, xt_target};
    use crate::ext::probe::with_probe;

    /// Options an older revision's module lacks are unknown; revision 2 is
    /// `{ xt_set_info add_set, del_set; u32 flags, timeout; }`, 1 the two
    /// sets alone.
    #[test]
    fn older_revisions_chosen_by_the_kernel() {
        for (cap, idx, name) in [(2, 4, "map-set"), (1, 2, "exist"), (1, 3, "timeout")] {
            let e = with_probe(capped(&[("SET", true, Some(cap))]), || {
                build_target::<SetTarget>(Family::V4, &[(idx, false, "x")])
            })
            .unwrap_err();
            assert_eq!(e.to_string(), format!("unknown option \"--{name}\""));
        }
        let e = with_probe(capped(&[("SET", true, Some(2))]), || {
            build_target::<SetTarget>(Family::V4, &[(2, false, "")])
        })
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "You must specify either `--add-set' or `--del-set'"
        );
        let set = |index| {
            Some(Box::new(SetRef {
                index,
                name: "foo".into(),
                dim: 1,
                flags: 0b10,
            }))
        };
        let t = SetTarget {
            rev: 2,
            add: set(3),
            del: None,
            map: None,
            flags: EXIST,
            timeout: 600,
        };
        let (_, rev, b) = xt_target(&t, Family::V4);
        let mut want = vec![3, 0, 1, 2, 0xff, 0xff, 0, 0];
        want.extend_from_slice(&EXIST.to_ne_bytes());
        want.extend_from_slice(&600u32.to_ne_bytes());
        assert_eq!((rev, b), (2, want));
        assert_eq!(
            target_save(&t, Family::V4),
            " --add-set foo src --exist --timeout 600"
        );
        let t = SetTarget {
            rev: 1,
            add: None,
            del: set(4),
            map: None,
            flags: 0,
            timeout: NO_TIMEOUT,
        };
        let (_, rev, b) = xt_target(&t, Family::V4);
        assert_eq!((rev, b), (1, vec![0xff, 0xff, 0, 0, 4, 0, 1, 2]));
        assert_eq!(target_save(&t, Family::V4), " --del-set foo src");
    }
}
