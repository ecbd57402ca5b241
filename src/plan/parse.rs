//! One rule line of restore input → a [`Command`], with the rules
//! iptables-restore adds to the iptables grammar: the `[p:b]` prefix
//! becomes `--set-counters` under `--counters`; `-t`, `-w` and `-W` are
//! refused; a line with `-6` is skipped by iptables-restore and one with
//! `-4` by ip6tables-restore.

use super::text::{rule_counters, split_plain_into, split_words_into};
use super::RestoreError;
use crate::cli::{self, Command};
use crate::error::{param, Error};
use crate::model::{Family, Table};

/// What a rule line asks for.
#[derive(Debug, Clone)]
pub enum Parsed {
    /// a command
    Cmd(Box<Command>),
    /// a line for the other family (`-6` in iptables-restore): ignored
    Skip,
}

/// Stands in for a suspicious word to learn whether the parser reads it as
/// an option (it then fails on this unknown option) or as a value.
const PROBE: &str = "--rxtables-restore-probe";

/// The restore-specific option a word would be if read as an option:
/// `t` (table), `w`, `W`, `4`, `6`.
fn restore_flag(word: &str) -> Option<char> {
    if !word.starts_with('-') {
        return None;
    }
    if let Some(name) = word.strip_prefix("--") {
        let name = name.split('=').next().unwrap_or(name);
        return match name {
            "wait" => Some('w'),
            "ipv4" => Some('4'),
            "ipv6" => Some('6'),
            n if !n.is_empty() && "table".starts_with(n) => Some('t'),
            n if n.len() > 4 && "wait-interval".starts_with(n) => Some('W'),
            _ => None,
        };
    }
    for c in word.strip_prefix('-')?.chars() {
        match c {
            't' | 'w' | 'W' | '4' | '6' => return Some(c),
            // the rest of the cluster is this option's value
            c if crate::cli::command::short_with_arg(c) => return None,
            _ => {}
        }
    }
    None
}

fn is_probe_error(e: &Error) -> bool {
    matches!(e, Error::Param(m) if m.contains(PROBE))
}

/// Where a rule line is and how it ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LineAt {
    /// line number
    pub lineno: u32,
    /// the line ended with a newline
    pub eol: bool,
}

/// Parse a rule line (the whole line, `[p:b]` prefix included, without its
/// newline) of a block for `table`. `counters` is `--counters`. Split the
/// words as iptables-restore does and run them through the iptables
/// command-line parser: the one parser of every command line.
pub fn rule_line(
    family: Family,
    table: Table,
    prog: &str,
    line: &str,
    at: LineAt,
    counters: bool,
) -> Result<Parsed, RestoreError> {
    rule_line_in(family, table, prog, line, at, counters, true)
}

/// [`rule_line`] of a line [`rule_line`] has read before without fault
/// (a rule kept as its line, made again): its words are not looked at
/// again for the options restore refuses.
pub fn rule_line_again(
    family: Family,
    table: Table,
    prog: &str,
    line: &str,
    at: LineAt,
    counters: bool,
) -> Result<Parsed, RestoreError> {
    rule_line_in(family, table, prog, line, at, counters, false)
}

fn rule_line_in(
    family: Family,
    table: Table,
    prog: &str,
    line: &str,
    at: LineAt,
    counters: bool,
    recheck: bool,
) -> Result<Parsed, RestoreError> {
    let perr = |err: Error| RestoreError::Param {
        line: at.lineno,
        err,
    };
    let (rest, pc) =
        rule_counters(line, at.lineno as usize).map_err(|e| perr(param(e.to_string())))?;
    let pc = if counters { pc } else { None };
    // The parser reads the words where they are: in the line, or (quoted
    // ones) made by the splitter.
    let split_err = |e: super::text::SplitError| perr(param(e.to_string()));
    let mut args: Vec<&str> = Vec::with_capacity(32);
    if let Some((p, b)) = pc {
        args.extend(["--set-counters", p, b]);
    }
    let skip = args.len();
    let mut words = Vec::new();
    if !split_plain_into(rest, &mut args).map_err(split_err)? {
        words.reserve(24);
        split_words_into(rest, at.eol, &mut words).map_err(split_err)?;
        args.extend(words.iter().map(|(w, _)| &**w));
    }
    let other = match family {
        Family::V4 => '6',
        Family::V6 => '4',
    };
    for i in skip..args.len() {
        if !recheck {
            break;
        }
        let Some(flag) = restore_flag(args[i]) else {
            continue;
        };
        if (flag == '4' || flag == '6') && flag != other {
            continue;
        }
        let mut probe = args.clone();
        probe[i] = PROBE;
        match cli::parse_words(family, &probe, Some(table)) {
            Err(e) if is_probe_error(&e) => {}
            _ => continue,
        }
        return match flag {
            't' => Err(perr(param(format!(
                "The -t option cannot be used in {prog}.\n"
            )))),
            'w' | 'W' => Err(perr(param(format!(
                "You cannot use `-{flag}' from iptables-restore"
            )))),
            _ => Ok(Parsed::Skip),
        };
    }
    let cmd = cli::parse_words(family, &args, Some(table)).map_err(perr)?;
    if cmd.table != table {
        return Err(perr(param(format!(
            "The -t option cannot be used in {prog}.\n"
        ))));
    }
    Ok(Parsed::Cmd(Box::new(cmd)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::Action;

    fn p(family: Family, l: &str) -> Result<Parsed, RestoreError> {
        rule_line(
            family,
            Table::Filter,
            "iptables-restore",
            l,
            LineAt {
                lineno: 7,
                eol: true,
            },
            false,
        )
    }

    fn msg(r: Result<Parsed, RestoreError>) -> String {
        match r {
            Err(RestoreError::Param { err, line: 7 }) => err.to_string(),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn restore_only_rules() {
        let t = "The -t option cannot be used in iptables-restore.\n";
        assert_eq!(msg(p(Family::V4, "-t nat -A INPUT")), t);
        assert_eq!(msg(p(Family::V4, "-A INPUT --table nat")), t);
        assert_eq!(msg(p(Family::V4, "-A INPUT --tab nat")), t);
        assert_eq!(msg(p(Family::V4, "-A INPUT -t filter")), t);
        assert_eq!(
            msg(p(Family::V4, "-A INPUT -w")),
            "You cannot use `-w' from iptables-restore"
        );
        assert_eq!(
            msg(p(Family::V4, "-A INPUT -nw")),
            "You cannot use `-w' from iptables-restore"
        );
        assert_eq!(
            msg(p(Family::V4, "-A INPUT --wait=5")),
            "You cannot use `-w' from iptables-restore"
        );
        assert_eq!(
            msg(p(Family::V4, "-A INPUT -W 5")),
            "You cannot use `-W' from iptables-restore"
        );
        assert_eq!(
            msg(p(Family::V4, "-A INPUT --wait-interval 5")),
            "You cannot use `-W' from iptables-restore"
        );
        assert!(matches!(
            p(Family::V4, "-6 -A INPUT -j ACCEPT").unwrap(),
            Parsed::Skip
        ));
        assert!(matches!(
            p(Family::V6, "-4 -A INPUT -j ACCEPT").unwrap(),
            Parsed::Skip
        ));
        assert!(matches!(
            p(Family::V4, "-4 -A INPUT -j ACCEPT").unwrap(),
            Parsed::Cmd(_)
        ));
        // Values that look like those options are values.
        assert!(matches!(
            p(Family::V4, "-A INPUT -p tcp -j X-t").unwrap(),
            Parsed::Cmd(_)
        ));
        assert!(matches!(
            p(Family::V4, "-A INPUT -p tcp -m tcp --dport 1 -j X -t").unwrap_err(),
            RestoreError::Param { .. }
        ));
        assert_eq!(
            msg(p(Family::V4, "-A INPUT -j ACCEPT extra")),
            "Bad argument `extra'"
        );
        assert_eq!(msg(p(Family::V4, "[1:2 -A INPUT")), "Bad line 7: need ]");
    }

    const AT1: LineAt = LineAt {
        lineno: 1,
        eol: true,
    };

    #[test]
    fn counters_prefix() {
        for (line, counters, want) in [
            ("[5:6] -A INPUT -j DROP", true, 5),
            ("[5:6] -A INPUT -j DROP", false, 0),
            ("[5:6] -A INPUT -j DROP -m udp -p udp", true, 5),
        ] {
            let cmd = match rule_line(
                Family::V4,
                Table::Filter,
                "iptables-restore",
                line,
                AT1,
                counters,
            ) {
                Ok(Parsed::Cmd(c)) => *c,
                other => panic!("{other:?}"),
            };
            let Action::Append { rules, .. } = cmd.action else {
                panic!()
            };
            assert_eq!(rules[0].counters.packets, want, "{line}");
        }
    }
}
