//! `-j LOG [--log-level L] [--log-prefix P] [--log-tcp-sequence]
//! [--log-tcp-options] [--log-ip-options] [--log-uid] [--log-macdecode]`
//! (`libxt_LOG.c`): xt target `LOG` revision 0, `struct xt_log_info {
//! u8 level; u8 logflags; char prefix[30]; }`.

use super::comment::save_string;
use super::{EncodeCx, FmtCx, OptHit, OptSpec, ParseCx, TargetExtT};
use crate::error::{param, DecodeError, Error};
use crate::ir::Expr;
use crate::model::{bytes, Family};

crate::xt_struct! {
    /// `struct xt_log_info`
    pub struct LogInfo { pub level: u8, pub logflags: u8, pub prefix: [u8; 30] }
}
const _: () = assert!(LogInfo::SIZE == 32);

/// The default level (`LOG_WARNING`).
const DEFAULT_LEVEL: u8 = 4;
/// Names `--log-level` takes (besides 0-7).
const LEVEL_NAMES: &[(&str, u8)] = &[
    ("alert", 1),
    ("crit", 2),
    ("debug", 7),
    ("emerg", 0),
    ("error", 3),
    ("info", 6),
    ("notice", 5),
    ("panic", 0),
    ("warning", 4),
];
/// Names `-L` prints for levels 0-7.
const LEVEL_TEXT: [&str; 8] = [
    "emerg", "alert", "crit", "err", "warn", "notice", "info", "debug",
];
/// The flag options in save order, with their `XT_LOG_*` bits.
const FLAGS: [(&str, &str, u8); 5] = [
    ("log-tcp-sequence", "tcp-sequence", 0x01),
    ("log-tcp-options", "tcp-options", 0x02),
    ("log-ip-options", "ip-options", 0x04),
    ("log-uid", "uid", 0x08),
    ("log-macdecode", "macdecode", 0x20),
];

/// The LOG target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Log {
    /// syslog level
    pub level: u8,
    /// `XT_LOG_*` flags
    pub flags: u8,
    /// prefix (at most 29 bytes)
    pub prefix: String,
}

impl TargetExtT for Log {
    const NAME: &'static str = "LOG";
    const OPTIONS: &'static [OptSpec] = &[
        OptSpec::value("log-level").no_inv(),
        OptSpec::value("log-prefix").no_inv(),
        OptSpec::flag("log-tcp-sequence").no_inv(),
        OptSpec::flag("log-tcp-options").no_inv(),
        OptSpec::flag("log-ip-options").no_inv(),
        OptSpec::flag("log-uid").no_inv(),
        OptSpec::flag("log-macdecode").no_inv(),
    ];

    fn build(hits: &[OptHit], _cx: &ParseCx) -> Result<Self, Error> {
        let mut l = Log {
            level: DEFAULT_LEVEL,
            flags: 0,
            prefix: String::new(),
        };
        for h in hits {
            let a = h.arg();
            match h.idx {
                0 => {
                    l.level = match a.parse::<u8>() {
                        Ok(n) if n <= 7 && a.bytes().all(|b| b.is_ascii_digit()) => n,
                        _ => LEVEL_NAMES
                            .iter()
                            .find(|(n, _)| *n == a)
                            .map(|(_, v)| *v)
                            .ok_or_else(|| param(format!("log level \"{a}\" unknown\n")))?,
                    }
                }
                1 => {
                    if a.is_empty() {
                        return Err(param(
                            "Argument must have a minimum length of 1 characters\n",
                        ));
                    }
                    if a.contains('\n') {
                        return Err(param("Newlines not allowed in --log-prefix"));
                    }
                    l.prefix = bytes::truncate_bytes(a, 29);
                }
                i => l.flags |= FLAGS[i - 2].2,
            }
        }
        Ok(l)
    }

    fn save(&self, _cx: &FmtCx, out: &mut String) {
        if !self.prefix.is_empty() {
            out.push_str(" --log-prefix");
            save_string(&self.prefix, out);
        }
        if self.level != DEFAULT_LEVEL {
            out.push_str(&format!(" --log-level {}", self.level));
        }
        for (opt, _, bit) in FLAGS {
            if self.flags & bit != 0 {
                out.push_str(" --");
                out.push_str(opt);
            }
        }
    }

    fn print(&self, cx: &FmtCx, out: &mut String) {
        out.push_str(" LOG");
        if cx.numeric {
            out.push_str(&format!(" flags {} level {}", self.flags, self.level));
        } else {
            match LEVEL_TEXT.get(usize::from(self.level)) {
                Some(n) => out.push_str(&format!(" level {n}")),
                None => out.push_str(&format!(" UNKNOWN level {}", self.level)),
            }
            for (_, word, bit) in FLAGS {
                if self.flags & bit != 0 {
                    out.push(' ');
                    out.push_str(word);
                }
            }
            if self.flags & !0x2f != 0 {
                out.push_str(" unknown-flags");
            }
        }
        if !self.prefix.is_empty() {
            out.push_str(&format!(" prefix \"{}\"", self.prefix));
        }
    }

    fn encode(&self, _cx: &EncodeCx, out: &mut Vec<Expr>) {
        let mut prefix = [0u8; 30];
        let b = bytes::to_bytes(&self.prefix);
        let n = b.len().min(29);
        prefix[..n].copy_from_slice(&b[..n]);
        out.push(Expr::Target {
            name: Self::NAME.into(),
            rev: 0,
            info: LogInfo {
                level: self.level,
                logflags: self.flags,
                prefix,
            }
            .to_blob(),
        });
    }

    fn decode_blob(rev: u32, info: &[u8], _family: Family) -> Result<Self, DecodeError> {
        match (rev, LogInfo::from_blob(info)) {
            (0, Some(i)) => {
                let n = i.prefix.iter().position(|b| *b == 0).unwrap_or(30);
                Ok(Log {
                    level: i.level,
                    flags: i.logflags,
                    prefix: bytes::from_bytes(&i.prefix[..n]).into_owned(),
                })
            }
            _ => Err(DecodeError(format!(
                "LOG revision {rev} of {} bytes",
                info.len()
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn build(v: &[(usize, &str)]) -> Result<Log, Error> {
        let v: Vec<(usize, bool, &str)> = v.iter().map(|(i, a)| (*i, false, *a)).collect();
        crate::ext::kit::build_target(Family::V4, &v)
    }

    /// Text as iptables 1.8.13 prints it (captured), save, `-L`, `-L -n`.
    #[test]
    fn like_1_8_13() {
        for (v, saved, named, numeric) in [
            (
                &[(1, "x y"), (0, "info"), (2, ""), (3, ""), (4, ""), (5, ""), (6, "")][..],
                " --log-prefix \"x y\" --log-level 6 --log-tcp-sequence --log-tcp-options --log-ip-options --log-uid --log-macdecode",
                " LOG level info tcp-sequence tcp-options ip-options uid macdecode prefix \"x y\"",
                " LOG flags 47 level 6 prefix \"x y\"",
            ),
            (&[(0, "7")][..], " --log-level 7", " LOG level debug", " LOG flags 0 level 7"),
            (
                &[(1, "012345678901234567890123456789")][..],
                " --log-prefix 01234567890123456789012345678",
                " LOG level warn prefix \"01234567890123456789012345678\"",
                " LOG flags 0 level 4 prefix \"01234567890123456789012345678\"",
            ),
            (&[(1, "it's")][..], " --log-prefix \"it\\'s\"", " LOG level warn prefix \"it's\"", " LOG flags 0 level 4 prefix \"it's\""),
        ] {
            let l = build(v).unwrap();
            let (mut s, mut a, mut b) = (String::new(), String::new(), String::new());
            l.save(&FmtCx { family: Family::V4, numeric: true, proto: None }, &mut s);
            l.print(&FmtCx { family: Family::V4, numeric: false, proto: None }, &mut a);
            l.print(&FmtCx { family: Family::V4, numeric: true, proto: None }, &mut b);
            assert_eq!((s.as_str(), a.as_str(), b.as_str()), (saved, named, numeric));
            let mut e = Vec::new();
            l.encode(&EncodeCx { family: Family::V4, proto: None }, &mut e);
            let [Expr::Target { info, .. }] = e.as_slice() else { panic!() };
            assert_eq!(info.len(), 32);
            assert_eq!(Log::decode_blob(0, info, Family::V4).unwrap(), l);
        }
        for bad in ["err", "warn", "8", "EMERG"] {
            assert_eq!(
                build(&[(0, bad)]).unwrap_err().to_string(),
                format!("log level \"{bad}\" unknown\n")
            );
        }
        assert!(build(&[(1, "")]).is_err());
    }
}
