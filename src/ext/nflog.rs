//! `-j NFLOG [--nflog-group N] [--nflog-prefix P] [--nflog-size N]
//! [--nflog-threshold N] [--nflog-range N]` (`libxt_NFLOG.c`). iptables-nft
//! writes no xt target for it but the native `log` expression (`add_log`
//! in `nft.c`): group always, prefix when given (up to 127 bytes, the
//! `udata` copy, not the 63 of `struct xt_nflog_info`), snaplen with
//! `--nflog-size`, qthreshold when not 0. `--nflog-range` only warns: its
//! value has no place in the expression and is lost.

use super::comment::save_string;
use super::value::strtoumax;
use super::{EncodeCx, FmtCx, OptHit, OptSpec, ParseCx, TargetExtT};
use crate::error::{param, DecodeError, Error};
use crate::ir::Expr;
use crate::model::{bytes, Family};

/// `NF_LOG_PREFIXLEN - 1`: the longest prefix kept.
const PREFIX_MAX: usize = 127;

/// The NFLOG target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Nflog {
    /// `--nflog-prefix` (empty: none)
    pub prefix: String,
    /// `--nflog-group`
    pub group: u16,
    /// `--nflog-size` (the snaplen), if given
    pub size: Option<u32>,
    /// `--nflog-threshold`
    pub threshold: u16,
}

/// `XTTYPE_UINT16`/`XTTYPE_UINT32`: a whole-string unsigned number up to
/// `max`.
fn parse_uint(s: &str, max: u64) -> Option<u64> {
    if s.trim_start().starts_with('-') {
        return None;
    }
    strtoumax(s)
        .filter(|(v, end)| *end == s.len() && *v <= max)
        .map(|(v, _)| v)
}

impl TargetExtT for Nflog {
    const NAME: &'static str = "NFLOG";
    const OPTIONS: &'static [OptSpec] = &[
        OptSpec::value("nflog-group").no_inv(),
        OptSpec::value("nflog-prefix").no_inv(),
        OptSpec::value("nflog-range").no_inv().excl(0b01000),
        OptSpec::value("nflog-size").no_inv().excl(0b00100),
        OptSpec::value("nflog-threshold").no_inv(),
    ];

    fn build(hits: &[OptHit], _cx: &ParseCx) -> Result<Self, Error> {
        let mut t = Nflog {
            prefix: String::new(),
            group: 0,
            size: None,
            threshold: 0,
        };
        for h in hits {
            let a = h.arg();
            let name = Self::OPTIONS[h.idx].name;
            let num = |max: u64| {
                parse_uint(a, max).ok_or_else(|| {
                    param(format!(
                        "NFLOG: bad value for option \"--{name}\", or out of range (0-{max}).\n"
                    ))
                })
            };
            match h.idx {
                0 => t.group = num(65535)? as u16,
                1 => {
                    if a.is_empty() {
                        return Err(param(
                            "Argument must have a minimum length of 1 characters\n",
                        ));
                    }
                    if a.contains('\n') {
                        return Err(param("Newlines not allowed in --log-prefix"));
                    }
                    t.prefix = bytes::truncate_bytes(a, PREFIX_MAX);
                }
                2 => {
                    num(u64::from(u32::MAX))?;
                }
                3 => t.size = Some(num(u64::from(u32::MAX))? as u32),
                _ => t.threshold = num(65535)? as u16,
            }
        }
        if hits.iter().any(|h| h.idx == 2) {
            // NFLOG_check warns before the generic checks run
            crate::error::warn(format_args!(
                "warn: --nflog-range has never worked and is no longer supported, please use --nflog-size instead"
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
        out.push(Expr::Log {
            prefix: (!self.prefix.is_empty()).then(|| self.prefix.clone()),
            group: self.group,
            snaplen: self.size,
            qthreshold: (self.threshold != 0).then_some(self.threshold),
        });
    }

    fn decode_blob(rev: u32, info: &[u8], _family: Family) -> Result<Self, DecodeError> {
        // iptables-nft never writes the xt form
        Err(DecodeError(format!(
            "NFLOG target revision {rev} of {} bytes",
            info.len()
        )))
    }
}

impl Nflog {
    /// The target a native `log` expression with a group stands for
    /// (`nft_parse_log`).
    pub fn from_expr(
        prefix: Option<&str>,
        group: u16,
        snaplen: Option<u32>,
        qthreshold: Option<u16>,
    ) -> Self {
        Nflog {
            prefix: prefix
                .map(|p| bytes::truncate_bytes(p, PREFIX_MAX))
                .unwrap_or_default(),
            group,
            size: snaplen,
            threshold: qthreshold.unwrap_or(0),
        }
    }

    fn text(&self, dash: &str, out: &mut String) {
        use std::fmt::Write;
        if !self.prefix.is_empty() {
            let _ = write!(out, " {dash}nflog-prefix");
            save_string(&self.prefix, out);
        }
        if self.group != 0 {
            let _ = write!(out, " {dash}nflog-group {}", self.group);
        }
        if let Some(s) = self.size {
            let _ = write!(out, " {dash}nflog-size {s}");
        }
        if self.threshold != 0 {
            let _ = write!(out, " {dash}nflog-threshold {}", self.threshold);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ext::kit::build_target;

    fn build(v: &[(usize, &str)]) -> Result<Nflog, Error> {
        let v: Vec<(usize, bool, &str)> = v.iter().map(|(i, a)| (*i, false, *a)).collect();
        build_target(Family::V4, &v)
    }

    /// Save and list text and the `log` expression as iptables 1.8.13
    /// writes them (captured).
    #[test]
    fn like_1_8_13() {
        let cx = FmtCx {
            family: Family::V4,
            numeric: true,
            proto: None,
        };
        let long = "x".repeat(130);
        for (v, saved, listed, expr) in [
            (&[][..], "", "", "[ log group 0 snaplen 0 qthreshold 0 ]"),
            (
                &[(0, "0x10")][..],
                " --nflog-group 16",
                " nflog-group 16",
                "[ log group 16 snaplen 0 qthreshold 0 ]",
            ),
            (
                &[(2, "1")][..],
                "",
                "",
                "[ log group 0 snaplen 0 qthreshold 0 ]",
            ),
            (
                &[(4, "1"), (0, "3"), (3, "9"), (1, "hi")][..],
                " --nflog-prefix hi --nflog-group 3 --nflog-size 9 --nflog-threshold 1",
                " nflog-prefix hi nflog-group 3 nflog-size 9 nflog-threshold 1",
                "[ log prefix hi group 3 snaplen 9 qthreshold 1 ]",
            ),
            (
                &[(1, "a b'c\"d")][..],
                " --nflog-prefix \"a b\\'c\\\"d\"",
                " nflog-prefix \"a b\\'c\\\"d\"",
                "[ log prefix a b'c\"d group 0 snaplen 0 qthreshold 0 ]",
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
            assert_eq!(e[0].to_string(), expr);
            let Expr::Log {
                prefix,
                group,
                snaplen,
                qthreshold,
            } = &e[0]
            else {
                panic!()
            };
            assert_eq!(
                Nflog::from_expr(prefix.as_deref(), *group, *snaplen, *qthreshold),
                t
            );
        }
        assert_eq!(build(&[(1, &long)]).unwrap().prefix.len(), 127);
        let msg = |v: &[(usize, &str)]| build(v).unwrap_err().to_string();
        assert_eq!(
            msg(&[(0, "65536")]),
            "NFLOG: bad value for option \"--nflog-group\", or out of range (0-65535).\n"
        );
        assert_eq!(
            msg(&[(3, "-1")]),
            "NFLOG: bad value for option \"--nflog-size\", or out of range (0-4294967295).\n"
        );
        assert_eq!(msg(&[(1, "a\nb")]), "Newlines not allowed in --log-prefix");
        assert_eq!(
            msg(&[(1, "")]),
            "Argument must have a minimum length of 1 characters\n"
        );
    }
}
