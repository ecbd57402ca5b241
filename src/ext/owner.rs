//! `-m owner [!] --uid-owner U[-U] [!] --gid-owner G[-G] [!] --socket-exists
//! [--suppl-groups]` (`libxt_owner.c`): xt match `owner` revision 1,
//! `struct xt_owner_match_info`. Names are looked up as iptables looks
//! them up (libc's `getpwnam`/`getgrnam`, so NSS too); a listing without
//! `-n` prints the name of a single id.

use super::value::strtoumax;
use super::{EncodeCx, FmtCx, MatchExt, OptHit, OptSpec, ParseCx};
use crate::error::{param, DecodeError, Error};
use crate::ir::Expr;
use crate::model::Family;

crate::xt_struct! {
    /// `struct xt_owner_match_info`
    pub struct OwnerInfo {
        pub uid_min: u32, pub uid_max: u32, pub gid_min: u32, pub gid_max: u32,
        pub matched: u8, pub invert: u8,
    }
}
const _: () = assert!(OwnerInfo::SIZE == 20);

/// `XT_OWNER_UID`
const UID: u8 = 1;
/// `XT_OWNER_GID`
const GID: u8 = 2;
/// `XT_OWNER_SOCKET`
const SOCKET: u8 = 4;
/// `XT_OWNER_SUPPL_GROUPS`
const SUPPL: u8 = 8;

/// The owner match: the kernel struct as it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Owner(pub OwnerInfo);

/// `getpwnam`/`getgrnam`: the id of a user (`group` false) or group name.
fn id_of_name(name: &str, group: bool) -> Option<u32> {
    use nix::unistd::{Group, User};
    if group {
        Group::from_name(name)
            .ok()
            .flatten()
            .map(|g| g.gid.as_raw())
    } else {
        User::from_name(name).ok().flatten().map(|u| u.uid.as_raw())
    }
}

/// `getpwuid`/`getgrgid`: the name of a user or group id.
fn name_of_id(id: u32, group: bool) -> Option<String> {
    use nix::unistd::{Gid, Group, Uid, User};
    if group {
        Group::from_gid(Gid::from_raw(id))
            .ok()
            .flatten()
            .map(|g| g.name)
    } else {
        User::from_uid(Uid::from_raw(id))
            .ok()
            .flatten()
            .map(|u| u.name)
    }
}

/// `owner_parse_range`: `N`, `N-M` or `N:M`, each in `0..=2^32-2` (-1 is
/// reserved), as `strtoul` reads them.
fn parse_range(s: &str) -> Option<(u32, u32)> {
    const MAX: u64 = u32::MAX as u64 - 1;
    // xtables_strtoui: no minus sign, which strtoul would take
    let num = |s: &str| {
        if s.trim_start().starts_with('-') {
            return None;
        }
        strtoumax(s).filter(|(v, _)| *v <= MAX)
    };
    let (from, end) = num(s)?;
    let rest = &s[end..];
    let (to, rest) = match rest.strip_prefix(['-', ':']) {
        Some(r) => {
            let (to, e) = num(r)?;
            (to, &r[e..])
        }
        None => (from, rest),
    };
    rest.is_empty().then_some((from as u32, to as u32))
}

impl MatchExt for Owner {
    const NAME: &'static str = "owner";
    const OPTIONS: &'static [OptSpec] = &[
        OptSpec::value("uid-owner"),
        OptSpec::value("gid-owner"),
        OptSpec::flag("socket-exists"),
        OptSpec::flag("suppl-groups").no_inv(),
    ];

    fn build(hits: &[OptHit], _cx: &ParseCx) -> Result<Self, Error> {
        let mut i = OwnerInfo {
            uid_min: 0,
            uid_max: 0,
            gid_min: 0,
            gid_max: 0,
            matched: 0,
            invert: 0,
        };
        for h in hits {
            let bad = |opt: &str, v: &str| {
                param(format!("owner: Bad value for \"{opt}\" option: \"{v}\""))
            };
            let (flag, range) = match h.idx {
                0 | 1 => {
                    let group = h.idx == 1;
                    let opt = if group { "--gid-owner" } else { "--uid-owner" };
                    let r = match id_of_name(h.arg(), group) {
                        Some(id) => (id, id),
                        None => parse_range(h.arg()).ok_or_else(|| bad(opt, h.arg()))?,
                    };
                    (if group { GID } else { UID }, Some(r))
                }
                2 => (SOCKET, None),
                _ => {
                    if i.matched & GID == 0 {
                        return Err(bad("--suppl-groups", "you need to use --gid-owner first"));
                    }
                    (SUPPL, None)
                }
            };
            match (flag, range) {
                (UID, Some((a, b))) => (i.uid_min, i.uid_max) = (a, b),
                (GID, Some((a, b))) => (i.gid_min, i.gid_max) = (a, b),
                _ => {}
            }
            i.matched |= flag;
            if h.inv {
                i.invert |= flag;
            }
        }
        if i.matched == 0 {
            return Err(param(
                "owner: At least one of --uid-owner, --gid-owner or --socket-exists is required",
            ));
        }
        Ok(Owner(i))
    }

    fn save(&self, _cx: &FmtCx, out: &mut String) {
        self.text(
            [
                "--socket-exists",
                "--uid-owner",
                "--gid-owner",
                "--suppl-groups",
            ],
            true,
            out,
        )
    }

    fn print(&self, cx: &FmtCx, out: &mut String) {
        self.text(
            [
                "owner socket exists",
                "owner UID match",
                "owner GID match",
                "incl. suppl. groups",
            ],
            cx.numeric,
            out,
        )
    }

    fn encode(&self, _cx: &EncodeCx, out: &mut Vec<Expr>) {
        out.push(Expr::Match {
            name: Self::NAME.into(),
            rev: 1,
            info: self.0.to_blob(),
        });
    }

    fn decode_blob(rev: u32, info: &[u8], _family: Family) -> Result<Self, DecodeError> {
        OwnerInfo::from_blob(info)
            .filter(|i| rev == 1 && (i.matched | i.invert) & !(UID | GID | SOCKET | SUPPL) == 0)
            .map(Owner)
            .ok_or_else(|| DecodeError(format!("owner revision {rev} of {} bytes", info.len())))
    }
}

impl Owner {
    /// `owner_mt_print_item` for each flag in iptables' order.
    fn text(&self, labels: [&str; 4], numeric: bool, out: &mut String) {
        let i = &self.0;
        for (flag, label) in [SOCKET, UID, GID, SUPPL].into_iter().zip(labels) {
            if i.matched & flag == 0 {
                continue;
            }
            if i.invert & flag != 0 {
                out.push_str(" !");
            }
            out.push(' ');
            out.push_str(label);
            let (min, max) = match flag {
                UID => (i.uid_min, i.uid_max),
                GID => (i.gid_min, i.gid_max),
                _ => continue,
            };
            if min != max {
                out.push_str(&format!(" {min}-{max}"));
            } else if let Some(n) = (!numeric).then(|| name_of_id(min, flag == GID)).flatten() {
                out.push(' ');
                out.push_str(&n);
            } else {
                out.push_str(&format!(" {min}"));
            }
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
        let cx = |numeric| FmtCx {
            family: Family::V4,
            numeric,
            proto: None,
        };
        for (v, saved, listed, named) in [
            (
                &[(0, false, "root")][..],
                " --uid-owner 0",
                " owner UID match 0",
                " owner UID match root",
            ),
            (
                &[(0, false, "1:10")][..],
                " --uid-owner 1-10",
                " owner UID match 1-10",
                " owner UID match 1-10",
            ),
            (
                &[(0, true, "0x10"), (1, true, "root")][..],
                " ! --uid-owner 16 ! --gid-owner 0",
                " ! owner UID match 16 ! owner GID match 0",
                " ! owner UID match 16 ! owner GID match root",
            ),
            (
                &[(1, false, "0"), (0, false, "0-0"), (2, true, "")][..],
                " ! --socket-exists --uid-owner 0 --gid-owner 0",
                " ! owner socket exists owner UID match 0 owner GID match 0",
                " ! owner socket exists owner UID match root owner GID match root",
            ),
            (
                &[(1, false, "4-6"), (3, false, "")][..],
                " --gid-owner 4-6 --suppl-groups",
                " owner GID match 4-6 incl. suppl. groups",
                " owner GID match 4-6 incl. suppl. groups",
            ),
        ] {
            let o: Owner = build_match(Family::V4, v).unwrap();
            assert_eq!(texts(&o, &cx(true)), (saved.into(), listed.into()));
            assert_eq!(texts(&o, &cx(false)).1, named);
            assert_eq!(xt_round_trip(&o, Family::V6), (1, 24));
        }
        let msg = |v: &[(usize, bool, &str)]| {
            build_match::<Owner>(Family::V4, v).unwrap_err().to_string()
        };
        assert_eq!(
            msg(&[]),
            "owner: At least one of --uid-owner, --gid-owner or --socket-exists is required"
        );
        for bad in [
            "4294967295",
            "nosuchuser",
            "1-",
            "-1",
            "1-2x",
            "",
            "-0",
            "1--2",
        ] {
            assert_eq!(
                msg(&[(0, false, bad)]),
                format!("owner: Bad value for \"--uid-owner\" option: \"{bad}\"")
            );
        }
        assert_eq!(
            msg(&[(3, false, ""), (1, false, "1")]),
            "owner: Bad value for \"--suppl-groups\" option: \"you need to use --gid-owner first\""
        );
        assert_eq!(parse_range(" 5"), Some((5, 5)));
        assert_eq!(parse_range("10-1"), Some((10, 1)));
    }
}
