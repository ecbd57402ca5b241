//! `-m hbh` and `-m dst` (`libip6t_hbh.c`, `libip6t_dst.c`, the same code
//! twice): xt matches `hbh` and `dst` revision 0, both `struct ip6t_opts {
//! u32 hdrlen; u8 flags; u8 invflags; u16 opts[16]; u8 optsnr; }`, IPv6
//! only: `[!] --hbh-len N`, `--hbh-opts TYPE[:LEN],...` (and `--dst-...`).
//! The rule keeps the struct itself, as iptables fills it.

use super::value::{parse_u32, strtoumax};
use super::{EncodeCx, FmtCx, MatchExt, OptHit, OptSpec, ParseCx, ValueKind};
use crate::error::{param, DecodeError, Error};
use crate::ir::Expr;
use crate::model::Family;

crate::xt_struct! {
    /// `struct ip6t_opts` (`opts` as host-order `u16`s in bytes)
    pub struct OptsInfo {
        pub hdrlen: u32, pub flags: u8, pub invflags: u8, pub opts: [u8; 32], pub optsnr: u8,
    }
}
const _: () = assert!(OptsInfo::SIZE == 40);

/// `IP6T_OPTS_OPTSNR`
const OPTSNR: usize = 16;
const LEN: u8 = 0x01;
const OPTS: u8 = 0x02;
const INV_LEN: u8 = 0x01;

/// The hbh (`DST == false`) or dst (`DST == true`) match: the kernel
/// struct as iptables fills it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ip6Opts<const DST: bool>(pub OptsInfo);

/// `-m hbh`
pub type Hbh = Ip6Opts<false>;
/// `-m dst`
pub type Dst = Ip6Opts<true>;

impl<const DST: bool> Ip6Opts<DST> {
    const PREFIX: &'static str = if DST { "dst" } else { "hbh" };

    fn opt(&self, i: usize) -> u16 {
        u16::from_ne_bytes([self.0.opts[2 * i], self.0.opts[2 * i + 1]])
    }

    /// `parse_opts_num`: a whole `strtoul` number (base 0).
    fn num(s: &str, what: &str) -> Result<u64, Error> {
        let p = Self::PREFIX;
        let (v, end) =
            strtoumax(s).ok_or_else(|| param(format!("{p}: no valid digits in {what} `{s}'")))?;
        if v == u64::MAX && !s.trim_start().starts_with('-') {
            return Err(param(format!(
                "{what} `{s}' specified too big: would overflow"
            )));
        }
        if end != s.len() {
            return Err(param(format!("{p}: error parsing {what} `{s}'")));
        }
        Ok(v)
    }

    /// `parse_options`: up to 16 `TYPE[:LEN]`, each as `TYPE << 8 | LEN`
    /// (LEN 0xff when left out).
    fn parse_opts(s: &str, i: &mut OptsInfo) -> Result<(), Error> {
        let mut rest = Some(s);
        let mut n = 0;
        while let Some(cur) = rest.filter(|_| n < OPTSNR) {
            let (item, next) = match cur.split_once(',') {
                Some((a, b)) => (a, Some(b)),
                None => (cur, None),
            };
            rest = next;
            let (ty, len) = match item.split_once(':') {
                Some((t, l)) => {
                    if n == OPTSNR - 1 {
                        return Err(param("too many ports specified"));
                    }
                    (t, Some(l))
                }
                None => (item, None),
            };
            let mut v = ((Self::num(ty, "opt")? & 0xff) as u16) << 8;
            match len {
                Some(l) => {
                    if v == 0 {
                        return Err(param(if DST {
                            "PAD0 hasn't got length"
                        } else {
                            "PAD0 has not got length"
                        }));
                    }
                    v |= (Self::num(l, "length")? & 0xff) as u16;
                }
                None => v |= 0xff,
            }
            i.opts[2 * n..2 * n + 2].copy_from_slice(&v.to_ne_bytes());
            n += 1;
        }
        if rest.is_some() {
            return Err(param("too many addresses specified"));
        }
        i.optsnr = n as u8;
        Ok(())
    }

    /// `print_options`: ` T[:L],T[:L]...`
    fn opts_text(&self, out: &mut String) {
        for i in 0..usize::from(self.0.optsnr).min(OPTSNR) {
            let o = self.opt(i);
            out.push(if i == 0 { ' ' } else { ',' });
            out.push_str(&(o >> 8).to_string());
            if o & 0xff != 0xff {
                out.push_str(&format!(":{}", o & 0xff));
            }
        }
    }
}

impl<const DST: bool> MatchExt for Ip6Opts<DST> {
    const NAME: &'static str = if DST { "dst" } else { "hbh" };
    const OPTIONS: &'static [OptSpec] = if DST {
        &[
            OptSpec::value("dst-len").kind(ValueKind::U32),
            OptSpec::value("dst-opts").no_inv(),
        ]
    } else {
        &[
            OptSpec::value("hbh-len").kind(ValueKind::U32),
            OptSpec::value("hbh-opts").no_inv(),
        ]
    };
    const FAMILIES: &'static [Family] = &[Family::V6];

    fn build(hits: &[OptHit], _cx: &ParseCx) -> Result<Self, Error> {
        let mut i = OptsInfo {
            hdrlen: 0,
            flags: 0,
            invflags: 0,
            opts: [0; 32],
            optsnr: 0,
        };
        for h in hits {
            if h.idx == 0 {
                // (checked as it was read)
                i.hdrlen = parse_u32(h.arg()).unwrap_or(0);
                i.flags |= LEN;
                if h.inv {
                    i.invflags |= INV_LEN;
                }
            } else {
                Self::parse_opts(h.arg(), &mut i)?;
                i.flags |= OPTS;
            }
        }
        Ok(Ip6Opts(i))
    }

    fn save(&self, _cx: &FmtCx, out: &mut String) {
        let (i, p) = (&self.0, Self::PREFIX);
        if i.flags & LEN != 0 {
            let bang = if i.invflags & INV_LEN != 0 { " !" } else { "" };
            out.push_str(&format!("{bang} --{p}-len {}", i.hdrlen));
        }
        if i.flags & OPTS != 0 {
            out.push_str(&format!(" --{p}-opts"));
        }
        self.opts_text(out);
    }

    fn print(&self, _cx: &FmtCx, out: &mut String) {
        let i = &self.0;
        out.push(' ');
        out.push_str(Self::PREFIX);
        if i.flags & LEN != 0 {
            let bang = if i.invflags & INV_LEN != 0 { "!" } else { "" };
            out.push_str(&format!(" length:{bang}{}", i.hdrlen));
        }
        if i.flags & OPTS != 0 {
            out.push_str(" opts");
        }
        self.opts_text(out);
        if i.invflags & !INV_LEN != 0 {
            out.push_str(&format!(" Unknown invflags: 0x{:X}", i.invflags & !INV_LEN));
        }
    }

    fn encode(&self, _cx: &EncodeCx, out: &mut Vec<Expr>) {
        out.push(Expr::Match {
            name: Self::NAME.into(),
            rev: 0,
            info: self.0.to_blob(),
        });
    }

    fn decode_blob(rev: u32, info: &[u8], _family: Family) -> Result<Self, DecodeError> {
        match (rev, OptsInfo::from_blob(info)) {
            (0, Some(i)) if usize::from(i.optsnr) <= OPTSNR => Ok(Ip6Opts(i)),
            _ => Err(DecodeError(format!(
                "{} revision {rev} of {} bytes",
                Self::NAME,
                info.len()
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ext::kit::{build_match, texts, xt_round_trip};

    /// Text and messages as ip6tables 1.8.13 prints them (captured).
    #[test]
    fn like_1_8_13() {
        let cx = FmtCx {
            family: Family::V6,
            numeric: true,
            proto: None,
        };
        for (v, saved, listed) in [
            (&[][..], "", " hbh"),
            (&[(0, true, "42")][..], " ! --hbh-len 42", " hbh length:!42"),
            (
                &[(0, false, "42"), (1, false, "1:2,23:42,42,4:5")][..],
                " --hbh-len 42 --hbh-opts 1:2,23:42,42,4:5",
                " hbh length:42 opts 1:2,23:42,42,4:5",
            ),
            (&[(1, false, "-1")][..], " --hbh-opts 255", " hbh opts 255"),
            (
                &[(1, false, "0x10:010")][..],
                " --hbh-opts 16:8",
                " hbh opts 16:8",
            ),
            (&[(1, false, "1:255")][..], " --hbh-opts 1", " hbh opts 1"),
        ] {
            let m: Hbh = build_match(Family::V6, v).unwrap();
            assert_eq!(texts(&m, &cx), (saved.to_string(), listed.to_string()));
            assert_eq!(xt_round_trip(&m, Family::V6), (0, 40));
        }
        let m: Dst = build_match(Family::V6, &[(1, false, "149:92,12:12")]).unwrap();
        assert_eq!(
            texts(&m, &cx),
            (
                " --dst-opts 149:92,12:12".to_string(),
                " dst opts 149:92,12:12".to_string()
            )
        );
        let hbh = |a: &str| {
            build_match::<Hbh>(Family::V6, &[(1, false, a)])
                .unwrap_err()
                .to_string()
        };
        let dst = |a: &str| {
            build_match::<Dst>(Family::V6, &[(1, false, a)])
                .unwrap_err()
                .to_string()
        };
        assert_eq!(hbh("256:257"), "PAD0 has not got length");
        assert_eq!(dst("0:1"), "PAD0 hasn't got length");
        assert_eq!(hbh("1x"), "hbh: error parsing opt `1x'");
        assert_eq!(dst("x"), "dst: no valid digits in opt `x'");
        assert_eq!(hbh("1:"), "hbh: no valid digits in length `'");
        assert_eq!(hbh("1,"), "hbh: no valid digits in opt `'");
        assert_eq!(
            hbh("99999999999999999999999"),
            "opt `99999999999999999999999' specified too big: would overflow"
        );
        assert_eq!(
            hbh("1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17"),
            "too many addresses specified"
        );
        assert_eq!(
            hbh("1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16:1"),
            "too many ports specified"
        );
    }
}
