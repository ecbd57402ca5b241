//! `-j CT` and `-j NOTRACK` (`libxt_CT.c`): xt target `CT` revision 2,
//! `struct xt_ct_target_info_v1` (revision 1's struct; revision 2 adds the
//! NOTRACK alias). `-j NOTRACK` is `CT` with `XT_CT_NOTRACK |
//! XT_CT_NOTRACK_ALIAS`: saved as `-j NOTRACK`, listed as target `CT` with
//! text `NOTRACK`. A kernel without revision 2 gets revision 1 (no
//! NOTRACK alias: `-j NOTRACK` is written and saved as `-j CT --notrack`),
//! one without 1 revision 0 (no `--timeout`); both are read too.

use super::{EncodeCx, FmtCx, OptHit, OptSpec, ParseCx, TargetExtT};
use crate::error::{param, DecodeError, Error};
use crate::ir::Expr;
use crate::model::{bytes, Family};

crate::xt_struct! {
    /// `struct xt_ct_target_info` (revision 0; `ct` is the kernel's pointer)
    pub struct CtInfo0 {
        pub flags: u16, pub zone: u16, pub ct_events: u32, pub exp_events: u32,
        pub helper: [u8; 16], pub ct: u64,
    }
}
crate::xt_struct! {
    /// `struct xt_ct_target_info_v1` (revisions 1 and 2)
    pub struct CtInfo1 {
        pub flags: u16, pub zone: u16, pub ct_events: u32, pub exp_events: u32,
        pub helper: [u8; 16], pub timeout: [u8; 32], pub ct: u64,
    }
}
const _: () = assert!(CtInfo0::SIZE == 40 && CtInfo1::SIZE == 72);

/// `XT_CT_*` flags
const NOTRACK: u16 = 1 << 0;
const NOTRACK_ALIAS: u16 = 1 << 1;
const ZONE_DIR_ORIG: u16 = 1 << 2;
const ZONE_DIR_REPL: u16 = 1 << 3;
const ZONE_MARK: u16 = 1 << 4;
const FLAGS: u16 = 0x1f;

/// `--ctevents` names in print order, with their `IPCT_*` bit numbers.
const CT_EVENTS: &[(&str, u32)] = &[
    ("new", 0),
    ("related", 1),
    ("destroy", 2),
    ("reply", 3),
    ("assured", 4),
    ("protoinfo", 5),
    ("helper", 6),
    ("mark", 7),
    ("natseqinfo", 8),
    ("secmark", 9),
];
/// `--expevents` names (`IPEXP_NEW`).
const EXP_EVENTS: &[(&str, u32)] = &[("new", 0)];

/// The revisions of `CT` iptables tries, highest first.
const REVS: [u32; 3] = [2, 1, 0];

/// The CT target, boxed (its names would make every rule that big).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ct(pub Box<CtSpec>);

impl std::ops::Deref for Ct {
    type Target = CtSpec;
    fn deref(&self) -> &CtSpec {
        &self.0
    }
}

/// The CT target's revision 1/2 fields (the kernel's pointer left out).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CtSpec {
    /// `XT_CT_*`
    pub flags: u16,
    /// zone id
    pub zone: u16,
    /// `1 << IPCT_*`
    pub ct_events: u32,
    /// `1 << IPEXP_*`
    pub exp_events: u32,
    /// helper name (at most 15 bytes)
    pub helper: String,
    /// timeout policy name (at most 31 bytes)
    pub timeout: String,
    /// revision (2, or 1 or 0 when the kernel has no newer)
    pub rev: u8,
}

/// `strncpy` into a `char[N]` as `XTOPT_PUT` does: cut to N - 1 bytes.
fn cut(s: &str, n: usize) -> String {
    bytes::truncate_bytes(s, n - 1)
}

/// A NUL-terminated name in a fixed array.
fn name_of(b: &[u8]) -> String {
    let n = b.iter().position(|c| *c == 0).unwrap_or(b.len());
    bytes::from_bytes(&b[..n]).into_owned()
}

/// A name into a zero-filled `char[N]`.
fn array_of<const N: usize>(s: &str) -> [u8; N] {
    let mut a = [0u8; N];
    let b = bytes::to_bytes(s);
    let n = b.len().min(N - 1);
    a[..n].copy_from_slice(&b[..n]);
    a
}

/// `ct_parse_events`: comma-separated names, each known.
fn parse_events(tbl: &[(&str, u32)], s: &str) -> Result<u32, Error> {
    s.split(',')
        .try_fold(0u32, |mask, t| match tbl.iter().find(|(n, _)| *n == t) {
            Some((_, bit)) => Ok(mask | 1 << bit),
            None => Err(param(format!("Unknown event type \"{t}\""))),
        })
}

/// `ct_parse_zone_id`: `mark` (any case) or a number up to 65535.
fn parse_zone(s: &str) -> Result<Option<u16>, Error> {
    if s.eq_ignore_ascii_case("mark") {
        return Ok(None);
    }
    let t = s.trim_start_matches([' ', '\t', '\n', '\r', '\x0b', '\x0c']);
    super::value::strtoumax(s)
        .filter(|(v, end)| *end == s.len() && !t.starts_with('-') && *v <= 0xffff)
        .map(|(v, _)| Some(v as u16))
        .ok_or_else(|| param(format!("Cannot parse {s} as a zone ID")))
}

impl TargetExtT for Ct {
    const NAME: &'static str = "CT";
    const OPTIONS: &'static [OptSpec] = &[
        OptSpec::flag("notrack").no_inv(),
        OptSpec::value("helper").no_inv(),
        OptSpec::value("timeout").no_inv(),
        OptSpec::value("ctevents").no_inv(),
        OptSpec::value("expevents").no_inv(),
        OptSpec::value("zone-orig").no_inv(),
        OptSpec::value("zone-reply").no_inv(),
        OptSpec::value("zone").no_inv(),
    ];

    fn build(hits: &[OptHit], cx: &ParseCx) -> Result<Self, Error> {
        let (rev, _) = super::probe::choose(cx.family, Self::NAME, true, &REVS);
        let mut t = CtSpec {
            flags: 0,
            zone: 0,
            ct_events: 0,
            exp_events: 0,
            helper: String::new(),
            timeout: String::new(),
            rev: rev as u8,
        };
        for h in hits {
            let a = h.arg();
            match h.idx {
                0 => t.flags |= NOTRACK,
                1 => t.helper = cut(a, 16),
                // revision 0's module has no --timeout
                2 if rev == 0 => return Err(param("unknown option \"--timeout\"")),
                2 => t.timeout = cut(a, 32),
                3 => t.ct_events = parse_events(CT_EVENTS, a)?,
                4 => t.exp_events = parse_events(EXP_EVENTS, a)?,
                i => {
                    // the direction flags and the mark flag add up
                    t.flags |= match i {
                        5 => ZONE_DIR_ORIG,
                        6 => ZONE_DIR_REPL,
                        _ => 0,
                    };
                    match parse_zone(a)? {
                        None => (t.flags, t.zone) = (t.flags | ZONE_MARK, 0),
                        Some(z) => t.zone = z,
                    }
                }
            }
        }
        Ok(Ct(Box::new(t)))
    }

    fn save(&self, _cx: &FmtCx, out: &mut String) {
        if self.flags & NOTRACK_ALIAS == 0 {
            self.text("--", out);
        }
    }

    fn print(&self, _cx: &FmtCx, out: &mut String) {
        if self.flags & NOTRACK_ALIAS != 0 {
            out.push_str(" NOTRACK");
        } else {
            out.push_str(" CT");
            self.text("", out);
        }
    }

    fn encode(&self, _cx: &EncodeCx, out: &mut Vec<Expr>) {
        if self.rev == 0 {
            out.push(Expr::Target {
                name: Self::NAME.into(),
                rev: 0,
                info: CtInfo0 {
                    flags: self.flags,
                    zone: self.zone,
                    ct_events: self.ct_events,
                    exp_events: self.exp_events,
                    helper: array_of(&self.helper),
                    ct: 0,
                }
                .to_blob(),
            });
            return;
        }
        out.push(Expr::Target {
            name: Self::NAME.into(),
            rev: u32::from(self.rev),
            info: CtInfo1 {
                flags: self.flags,
                zone: self.zone,
                ct_events: self.ct_events,
                exp_events: self.exp_events,
                helper: array_of(&self.helper),
                timeout: array_of(&self.timeout),
                ct: 0,
            }
            .to_blob(),
        });
    }

    fn decode_blob(rev: u32, info: &[u8], _family: Family) -> Result<Self, DecodeError> {
        let t = match rev {
            0 => CtInfo0::from_blob(info).map(|i| CtSpec {
                flags: i.flags,
                zone: i.zone,
                ct_events: i.ct_events,
                exp_events: i.exp_events,
                helper: name_of(&i.helper),
                timeout: String::new(),
                rev: 0,
            }),
            1 | 2 => CtInfo1::from_blob(info).map(|i| CtSpec {
                flags: i.flags,
                zone: i.zone,
                ct_events: i.ct_events,
                exp_events: i.exp_events,
                helper: name_of(&i.helper),
                timeout: name_of(&i.timeout),
                rev: rev as u8,
            }),
            _ => None,
        };
        // the alias flag means NOTRACK in revision 2 only
        t.filter(|t| t.flags & !FLAGS == 0 && (rev == 2 || t.flags & NOTRACK_ALIAS == 0))
            .map(|t| Ct(Box::new(t)))
            .ok_or_else(|| DecodeError(format!("CT revision {rev} of {} bytes", info.len())))
    }
}

impl Ct {
    /// Written as `-j NOTRACK`?
    pub fn is_notrack_alias(&self) -> bool {
        self.flags & NOTRACK_ALIAS != 0
    }

    /// The options after ` CT` (list, `dash` empty) or `-j CT` (save).
    fn text(&self, dash: &str, out: &mut String) {
        use std::fmt::Write;
        if self.flags & NOTRACK != 0 {
            let _ = write!(out, " {dash}notrack");
        }
        if !self.helper.is_empty() {
            let _ = write!(out, " {dash}helper {}", self.helper);
        }
        if !self.timeout.is_empty() {
            let _ = write!(out, " {dash}timeout {}", self.timeout);
        }
        let events = |out: &mut String, name: &str, tbl: &[(&str, u32)], mask: u32| {
            let names: Vec<&str> = tbl
                .iter()
                .filter(|(_, b)| mask & 1 << b != 0)
                .map(|(n, _)| *n)
                .collect();
            let _ = write!(out, " {dash}{name} {}", names.join(","));
        };
        if self.ct_events != 0 {
            events(out, "ctevents", CT_EVENTS, self.ct_events);
        }
        if self.exp_events != 0 {
            events(out, "expevents", EXP_EVENTS, self.exp_events);
        }
        if self.flags & ZONE_MARK != 0 || self.zone != 0 {
            let _ = write!(out, " {dash}zone");
            match self.flags & (ZONE_DIR_ORIG | ZONE_DIR_REPL) {
                ZONE_DIR_ORIG => out.push_str("-orig"),
                ZONE_DIR_REPL => out.push_str("-reply"),
                _ => {}
            }
            if self.flags & ZONE_MARK != 0 {
                out.push_str(" mark");
            } else {
                let _ = write!(out, " {}", self.zone);
            }
        }
    }
}

/// `-j NOTRACK`: `CT` revision 2 with `XT_CT_NOTRACK | XT_CT_NOTRACK_ALIAS`
/// (any CT blob of revision 2 with the alias flag reads as this).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notrack(pub Ct);

impl TargetExtT for Notrack {
    const NAME: &'static str = "NOTRACK";
    const REAL_NAME: &'static str = "CT";
    const OPTIONS: &'static [OptSpec] = &[];

    fn build(_hits: &[OptHit], cx: &ParseCx) -> Result<Self, Error> {
        // `CT`'s revisions (the alias flag exists in 2 only); the old
        // `NOTRACK` target itself (kernels without `CT`) is not tried
        let (rev, _) = super::probe::choose(cx.family, Self::NAME, true, &REVS);
        let flags = if rev == 2 {
            NOTRACK | NOTRACK_ALIAS
        } else {
            NOTRACK
        };
        Ok(Notrack(Ct(Box::new(CtSpec {
            flags,
            zone: 0,
            ct_events: 0,
            exp_events: 0,
            helper: String::new(),
            timeout: String::new(),
            rev: rev as u8,
        }))))
    }

    fn save(&self, cx: &FmtCx, out: &mut String) {
        self.0.save(cx, out)
    }

    fn print(&self, cx: &FmtCx, out: &mut String) {
        self.0.print(cx, out)
    }

    fn encode(&self, cx: &EncodeCx, out: &mut Vec<Expr>) {
        self.0.encode(cx, out)
    }

    fn decode_blob(rev: u32, info: &[u8], family: Family) -> Result<Self, DecodeError> {
        Ct::decode_blob(rev, info, family)
            .ok()
            .filter(Ct::is_notrack_alias)
            .map(Notrack)
            .ok_or_else(|| DecodeError(format!("NOTRACK revision {rev} of {} bytes", info.len())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ext::kit::build_target;

    fn texts<T: TargetExtT>(t: &T) -> (String, String) {
        let cx = FmtCx {
            family: Family::V4,
            numeric: true,
            proto: None,
        };
        let (mut s, mut l) = (String::new(), String::new());
        t.save(&cx, &mut s);
        t.print(&cx, &mut l);
        (s, l)
    }

    fn blob<T: TargetExtT>(t: &T) -> Vec<u8> {
        let mut e = Vec::new();
        t.encode(
            &EncodeCx {
                family: Family::V4,
                proto: None,
            },
            &mut e,
        );
        let [Expr::Target { name, rev: 2, info }] = e.as_slice() else {
            panic!("{e:?}")
        };
        assert_eq!(name, "CT");
        info.clone()
    }

    /// Text as iptables 1.8.13 prints it (captured).
    #[test]
    fn like_1_8_13() {
        for (v, saved, listed) in [
            (&[(0, false, "")][..], " --notrack", " CT notrack"),
            (
                &[(3, false, "mark,new")][..],
                " --ctevents new,mark",
                " CT ctevents new,mark",
            ),
            (
                &[(3, false, "natseqinfo,secmark"), (4, false, "new")][..],
                " --ctevents natseqinfo,secmark --expevents new",
                " CT ctevents natseqinfo,secmark expevents new",
            ),
            (&[(7, false, "0")][..], "", " CT"),
            (&[(7, false, "0x10")][..], " --zone 16", " CT zone 16"),
            (&[(7, false, "MARK")][..], " --zone mark", " CT zone mark"),
            (
                &[(5, false, "mark")][..],
                " --zone-orig mark",
                " CT zone-orig mark",
            ),
            (
                &[(6, false, "5")][..],
                " --zone-reply 5",
                " CT zone-reply 5",
            ),
            (
                &[(5, false, "5"), (6, false, "6")][..],
                " --zone 6",
                " CT zone 6",
            ),
            (
                &[(7, false, "5"), (5, false, "6")][..],
                " --zone-orig 6",
                " CT zone-orig 6",
            ),
            (
                &[
                    (0, false, ""),
                    (7, false, "3"),
                    (3, false, "new"),
                    (1, false, "ftp"),
                ][..],
                " --notrack --helper ftp --ctevents new --zone 3",
                " CT notrack helper ftp ctevents new zone 3",
            ),
            (
                &[(2, false, "0123456789abcdef0123456789abcdef")][..],
                " --timeout 0123456789abcdef0123456789abcde",
                " CT timeout 0123456789abcdef0123456789abcde",
            ),
        ] {
            let t: Ct = build_target(Family::V4, v).unwrap();
            assert_eq!(texts(&t), (saved.to_string(), listed.to_string()));
            let b = blob(&t);
            assert_eq!(b.len(), 72);
            assert_eq!(Ct::decode_blob(2, &b, Family::V6).unwrap(), t);
        }
        let msg =
            |v: &[(usize, bool, &str)]| build_target::<Ct>(Family::V4, v).unwrap_err().to_string();
        assert_eq!(msg(&[(3, false, "new,")]), "Unknown event type \"\"");
        assert_eq!(
            msg(&[(4, false, "related")]),
            "Unknown event type \"related\""
        );
        assert_eq!(
            msg(&[(7, false, "65536")]),
            "Cannot parse 65536 as a zone ID"
        );
        assert_eq!(msg(&[(7, false, "-1")]), "Cannot parse -1 as a zone ID");
    }

    #[test]
    fn notrack_is_the_alias() {
        let n: Notrack = build_target(Family::V4, &[]).unwrap();
        assert_eq!(texts(&n), (String::new(), " NOTRACK".to_string()));
        let b = blob(&n);
        assert_eq!(&b[..2], &[3, 0]);
        assert!(b[2..].iter().all(|x| *x == 0));
        let c = Ct::decode_blob(2, &b, Family::V4).unwrap();
        assert!(c.is_notrack_alias());
        assert_eq!(Notrack(c), n);
        // revision 1 has no alias
        assert!(Ct::decode_blob(1, &b, Family::V4).is_err());
        let r0 = CtInfo0 {
            flags: NOTRACK,
            zone: 0,
            ct_events: 0,
            exp_events: 0,
            helper: array_of("ftp"),
            ct: 0,
        }
        .to_blob();
        let c = Ct::decode_blob(0, &r0, Family::V4).unwrap();
        assert_eq!(texts(&c).0, " --notrack --helper ftp");
    }
}

#[cfg(test)]
mod revision_tests {
    use super::*;
    use crate::ext::kit::{build_target, capped, target_save, xt_target};
    use crate::ext::probe::with_probe;
    use crate::ext::TargetExt;

    /// A kernel whose `CT` stops at revision 1 or 0 gets `struct
    /// xt_ct_target_info_v1` or `struct xt_ct_target_info` (no timeout);
    /// `-j NOTRACK` is then `CT --notrack` without the alias flag, as
    /// `notrack_ct1_tg_init` and `notrack_ct0_tg_init` write it.
    #[test]
    fn older_revisions_chosen_by_the_kernel() {
        let opts = [(1, false, "ftp"), (7, false, "5"), (3, false, "new,mark")];
        for (rev, len) in [(1u32, 72), (0, 40)] {
            let kernel = || capped(&[("CT", true, Some(rev))]);
            let t: Ct = with_probe(kernel(), || build_target(Family::V4, &opts)).unwrap();
            let (name, r, b) = xt_target(&t, Family::V4);
            assert_eq!((name.as_str(), r, b.len()), ("CT", rev, len));
            assert_eq!(&b[..4], &[0, 0, 5, 0], "flags, zone");
            assert_eq!(&b[4..8], &(1u32 | 1 << 7).to_ne_bytes(), "ct_events");
            assert_eq!(&b[12..16], b"ftp\0", "helper");
            assert!(b[16..].iter().all(|x| *x == 0));
            let back = Ct::decode_blob(rev, &b, Family::V4).unwrap();
            assert_eq!(back, t);
            assert_eq!(
                target_save(&back, Family::V4),
                " --helper ftp --ctevents new,mark --zone 5"
            );
            let n: Notrack = with_probe(kernel(), || build_target(Family::V4, &[])).unwrap();
            let (_, r, b) = xt_target(&n, Family::V4);
            assert_eq!((r, b[0]), (rev, NOTRACK as u8));
            let back = Ct::decode_blob(rev, &b, Family::V4).unwrap();
            assert_eq!(
                TargetExt::Notrack(n).normalize(),
                TargetExt::Ct(back.clone())
            );
            assert_eq!(target_save(&back, Family::V4), " --notrack");
        }
        let e = with_probe(capped(&[("CT", true, Some(0))]), || {
            build_target::<Ct>(Family::V6, &[(2, false, "pol")])
        })
        .unwrap_err();
        assert_eq!(e.to_string(), "unknown option \"--timeout\"");
        let t: Ct = with_probe(capped(&[("CT", true, Some(1))]), || {
            build_target(Family::V6, &[(2, false, "pol")])
        })
        .unwrap();
        assert_eq!(&xt_target(&t, Family::V6).2[28..32], b"pol\0");
        let n: Notrack = build_target(Family::V4, &[]).unwrap();
        assert_eq!(xt_target(&n, Family::V4).1, 2);
    }
}
