//! One iptables command line → [`Command`]. The grammar is iptables 1.8's:
//! commands with their positional arguments, generic rule options, `!`,
//! and extension options that come into scope with `-m`/`-p`/`-j` and are
//! read from each extension's option table.

pub use super::action::{Action, Command};
use super::args::{classify_tail, classify_with, unknown_option, LongName, LongTable, Opt};
pub use super::values::{assert_valid_chain_name, check_chain_name, CHAIN_MAX};
use super::values::{
    check_target_name, parse_iface, parse_nets_counted, parse_rulenum, scan_int, scan_llu,
};
use crate::error::{param, Error};
use crate::ext::value::xt_strtoui;
use crate::ext::{self, Args, MatchDesc, OptHit, ParseCx, TargetDesc};
use crate::model::{netdb, Family, Inv, Net, Table};
use crate::rule::{Counters, Rule, Target};
use std::cell::RefCell;
use std::rc::Rc;

const LINE_NUMBERS: usize = 1;
const EXT_BASE: usize = 0x1_0000;
const TARGET_SLOT: usize = 0xff;

/// Generic long options: (name, takes a value, short letter or key).
const GLOBAL_LONGS: &[(&str, bool, char)] = &[
    ("append", true, 'A'),
    ("check", true, 'C'),
    ("delete", true, 'D'),
    ("insert", true, 'I'),
    ("replace", true, 'R'),
    ("list", false, 'L'),
    ("list-rules", false, 'S'),
    ("flush", false, 'F'),
    ("zero", false, 'Z'),
    ("new-chain", true, 'N'),
    ("delete-chain", false, 'X'),
    ("policy", true, 'P'),
    ("rename-chain", true, 'E'),
    ("version", false, 'V'),
    ("help", false, 'h'),
    ("table", true, 't'),
    ("protocol", true, 'p'),
    ("source", true, 's'),
    ("src", true, 's'),
    ("destination", true, 'd'),
    ("dst", true, 'd'),
    ("in-interface", true, 'i'),
    ("out-interface", true, 'o'),
    ("jump", true, 'j'),
    ("goto", true, 'g'),
    ("match", true, 'm'),
    ("fragment", false, 'f'),
    ("fragments", false, 'f'),
    ("numeric", false, 'n'),
    ("verbose", false, 'v'),
    ("exact", false, 'x'),
    ("set-counters", true, 'c'),
    ("wait", false, 'w'),
    ("wait-interval", false, 'W'),
    ("modprobe", true, 'M'),
    ("ipv4", false, '4'),
    ("ipv6", false, '6'),
];

/// Short letters that take a value (`A:` in getopt's string).
pub(crate) fn short_with_arg(c: char) -> bool {
    matches!(
        c,
        'A' | 'C'
            | 'D'
            | 'R'
            | 'I'
            | 'M'
            | 'N'
            | 'E'
            | 'P'
            | 'o'
            | 'p'
            | 's'
            | 'd'
            | 'j'
            | 'i'
            | 't'
            | 'm'
            | 'c'
            | 'g'
    )
}
/// Short letters that stand alone.
fn short_flag(c: char) -> bool {
    matches!(c, 'f' | 'v' | 'n' | 'x' | '4' | '6')
}
/// Short letters with an optional argument (`F::` in getopt's string):
/// a glued rest is their value (`-FINPUT`, `-Ln` lists chain `n`).
fn short_opt_arg(c: char) -> bool {
    matches!(c, 'L' | 'S' | 'F' | 'Z' | 'X' | 'h' | 'w' | 'W')
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cmd {
    Insert,
    Delete,
    DeleteNum,
    Replace,
    Append,
    List,
    Flush,
    Zero,
    NewChain,
    DelChain,
    SetPolicy,
    Rename,
    ListRules,
    Check,
}

/// Which generic options each command allows: iptables' legality matrix
/// (`xshared.c options_v_commands`). Columns: n s d p j v x i o
/// --line-numbers c f; `x` is illegal.
fn legality(cmd: Cmd) -> &'static [u8; 12] {
    match cmd {
        Cmd::Insert | Cmd::Replace | Cmd::Append => b"x     x  x  ",
        Cmd::Delete | Cmd::Check => b"x     x  xx ",
        Cmd::DeleteNum => b"xxxxx xxxxxx",
        Cmd::List => b" xxxx  xx xx",
        Cmd::Flush | Cmd::Zero | Cmd::NewChain | Cmd::DelChain | Cmd::Rename | Cmd::ListRules => {
            b"xxxxx xxxxxx"
        }
        Cmd::SetPolicy => b"xxxxx xxxx x",
    }
}

/// The options of `iptables` itself, each letter then its long names
/// (`-A`, `--append`, ...), from the parser's own table: for completion.
pub fn general_options() -> Vec<String> {
    let mut out = Vec::new();
    let mut letters = String::new();
    for (name, _, c) in GLOBAL_LONGS {
        if !letters.contains(*c) {
            letters.push(*c);
            out.push(format!("-{c}"));
        }
        out.push(format!("--{name}"));
    }
    out.push("--line-numbers".to_string());
    out
}

/// The commands that a chain name follows (`-A`, `--append`, ... `-E`).
pub fn chain_commands() -> Vec<String> {
    GLOBAL_LONGS
        .iter()
        .filter(|(_, _, c)| "ACDIRLSFZXPE".contains(*c))
        .flat_map(|(name, _, c)| [format!("-{c}"), format!("--{name}")])
        .collect()
}

/// The long names 1.8.10+ use in messages for the option columns of the
/// legality matrix (1.8.9 used the letters: `multiple -p flags`).
const OPT_NAMES: [&str; 12] = [
    "--numeric",
    "--source",
    "--destination",
    "--protocol",
    "--jump",
    "--verbose",
    "--exact",
    "--in-interface",
    "--out-interface",
    "--line-numbers",
    "--set-counters",
    "--fragments",
];

fn cmd_letter(c: Cmd) -> char {
    match c {
        Cmd::Insert => 'I',
        Cmd::Delete | Cmd::DeleteNum => 'D',
        Cmd::Replace => 'R',
        Cmd::Append => 'A',
        Cmd::List => 'L',
        Cmd::Flush => 'F',
        Cmd::Zero => 'Z',
        Cmd::NewChain => 'N',
        Cmd::DelChain => 'X',
        Cmd::SetPolicy => 'P',
        Cmd::Rename => 'E',
        Cmd::ListRules => 'S',
        Cmd::Check => 'C',
    }
}

/// A match loaded on the command line, with the options given to it.
struct Loaded<'a> {
    desc: &'static MatchDesc,
    hits: Vec<OptHit<'a>>,
}

/// A word still to read before the next argument: one the protocol's
/// match may know (read again once it is loaded), or the rest of a
/// cluster of short flags (`vL` of `-nvL`).
#[derive(Clone, Copy)]
enum Again<'a> {
    Word(&'a str),
    Flags(&'a str),
}

struct Parser<'a> {
    family: Family,
    args: &'a [&'a str],
    pos: usize,
    table_name: Option<&'a str>,
    default_table: Table,
    cmd: Option<Cmd>,
    zero_with_list: bool,
    chain: Option<&'a str>,
    num: Option<usize>,
    second: Option<&'a str>,
    invert: bool,
    used: [bool; 12],
    rule: Rule,
    srcs: Option<(bool, &'a str)>,
    dsts: Option<(bool, &'a str)>,
    matches: Vec<Loaded<'a>>,
    target: Option<(&'a str, bool)>,
    target_desc: Option<&'static TargetDesc>,
    target_hits: Vec<OptHit<'a>>,
    counters: Option<Counters>,
    numeric: bool,
    verbose: bool,
    exact: bool,
    line_numbers: bool,
    version: bool,
    /// `! -V`
    version_not: bool,
    help: bool,
    /// `-p`'s word as given (`-h` loads the match of that name, lowercased)
    proto_word: Option<&'a str>,
    wait: bool,
    wait_interval: bool,
    /// words left after `--`
    leftover: bool,
    warnings: Vec<String>,
    longs_cache: Rc<LongTable>,
    longs_stale: bool,
}

/// Parse an `iptables`/`ip6tables` command line (without the program name).
pub fn parse<S: AsRef<str>>(family: Family, args: &[S]) -> Result<Command, Error> {
    parse_in(family, args, None)
}

/// Parse a command line with `table` as the default table (for restore,
/// where `*table` sets it).
pub fn parse_in<S: AsRef<str>>(
    family: Family,
    args: &[S],
    table: Option<Table>,
) -> Result<Command, Error> {
    let words: Vec<&str> = args.iter().map(AsRef::as_ref).collect();
    parse_words(family, &words, table)
}

/// [`parse_in`] of words borrowed from elsewhere (a restore line): the
/// parser keeps what it reads as slices of them and copies only what the
/// command keeps.
pub fn parse_words(family: Family, args: &[&str], table: Option<Table>) -> Result<Command, Error> {
    let mut p = Parser {
        family,
        args,
        pos: 0,
        table_name: None,
        default_table: table.unwrap_or(Table::Filter),
        cmd: None,
        zero_with_list: false,
        chain: None,
        num: None,
        second: None,
        invert: false,
        used: [false; 12],
        rule: Rule::default(),
        srcs: None,
        dsts: None,
        matches: Vec::new(),
        target: None,
        target_desc: None,
        target_hits: Vec::new(),
        counters: None,
        numeric: false,
        verbose: false,
        exact: false,
        line_numbers: false,
        version: false,
        version_not: false,
        help: false,
        proto_word: None,
        wait: false,
        wait_interval: false,
        leftover: false,
        warnings: Vec::new(),
        longs_cache: Rc::new(LongTable::default()),
        longs_stale: true,
    };
    p.run()?;
    p.finish()
}

impl<'a> Parser<'a> {
    /// The long options in scope: the global ones and those of the loaded
    /// extensions. Restore lines repeat the same few extension sets, so
    /// each set's table is built once per process (found by the
    /// extensions' registry entries, in order, without building a key).
    fn longs(&self) -> Rc<LongTable> {
        thread_local! {
            static CACHE: RefCell<Vec<(Vec<usize>, Rc<LongTable>)>> =
                const { RefCell::new(Vec::new()) };
        }
        let target = self.target_desc.map_or(0, |t| t as *const _ as usize);
        let same = |key: &[usize]| {
            key.len() == self.matches.len() + 1
                && key[0] == target
                && key[1..]
                    .iter()
                    .zip(&self.matches)
                    .all(|(k, m)| *k == m.desc as *const _ as usize)
        };
        let hit = CACHE.with(|c| {
            c.borrow()
                .iter()
                .find(|(k, _)| same(k))
                .map(|(_, t)| Rc::clone(t))
        });
        if let Some(t) = hit {
            return t;
        }
        let t = Rc::new(LongTable::new(self.build_longs()));
        // Few sets repeat; an input of ever new ones is not worth keeping.
        CACHE.with(|c| {
            let mut c = c.borrow_mut();
            if c.len() < 256 {
                let key = std::iter::once(target)
                    .chain(self.matches.iter().map(|m| m.desc as *const _ as usize))
                    .collect();
                c.push((key, Rc::clone(&t)));
            }
        });
        t
    }

    fn build_longs(&self) -> Vec<LongName> {
        let mut v: Vec<LongName> = Vec::with_capacity(64);
        for (n, has_arg, c) in GLOBAL_LONGS {
            v.push(LongName {
                name: n,
                has_arg: *has_arg,
                key: *c as usize,
            });
        }
        v.push(LongName {
            name: "line-numbers",
            has_arg: false,
            key: LINE_NUMBERS,
        });
        // The extension loaded last wins a clash, as with iptables' merged
        // option tables.
        if let Some(t) = self.target_desc {
            push_ext(&mut v, t.options, TARGET_SLOT);
        }
        for (slot, m) in self.matches.iter().enumerate().rev() {
            push_ext(&mut v, m.desc.options, slot);
        }
        v
    }

    fn next_arg(&mut self) -> Option<&'a str> {
        let a = self.args.get(self.pos).copied();
        if a.is_some() {
            self.pos += 1;
        }
        a
    }

    /// An optional positional argument: the next word if it is not an option.
    fn optional_positional(&mut self) -> Option<&'a str> {
        match self.args.get(self.pos) {
            Some(w) if !w.starts_with('-') && !w.starts_with('!') => self.next_arg(),
            _ => None,
        }
    }

    fn set_cmd(&mut self, cmd: Cmd) -> Result<(), Error> {
        if self.invert {
            return Err(param(
                "unexpected ! flag before --".to_string() + long_of(cmd_letter(cmd)),
            ));
        }
        match self.cmd {
            None => {
                self.cmd = Some(cmd);
                Ok(())
            }
            Some(Cmd::List) if cmd == Cmd::Zero => {
                self.zero_with_list = true;
                Ok(())
            }
            Some(Cmd::Zero) if cmd == Cmd::List => {
                self.cmd = Some(Cmd::List);
                self.zero_with_list = true;
                Ok(())
            }
            Some(old) => Err(param(format!(
                "Cannot use -{} with -{}",
                cmd_letter(cmd),
                cmd_letter(old)
            ))),
        }
    }

    fn use_opt(&mut self, col: usize) -> Result<bool, Error> {
        if self.used[col] {
            return Err(param(format!(
                "multiple {} options not allowed",
                OPT_NAMES[col]
            )));
        }
        self.used[col] = true;
        Ok(std::mem::take(&mut self.invert))
    }

    fn no_invert(&mut self, what: &str) -> Result<(), Error> {
        if self.invert {
            return Err(param(format!("cannot have ! before {what}")));
        }
        Ok(())
    }

    fn run(&mut self) -> Result<(), Error> {
        let mut again: Option<Again<'a>> = None;
        loop {
            let item = match again.take() {
                Some(a) => a,
                None => match self.next_arg() {
                    Some(w) => Again::Word(w),
                    None => break,
                },
            };
            if self.longs_stale {
                self.longs_cache = self.longs();
                self.longs_stale = false;
            }
            let longs = Rc::clone(&self.longs_cache);
            let read = match item {
                Again::Word(w) => classify_with(w, |n| longs.resolve(n)),
                Again::Flags(t) => classify_tail(t, |n| longs.resolve(n)),
            };
            let opt = match read {
                Ok(o) => o,
                Err(_) => {
                    let long = match item {
                        Again::Word(w) => w.starts_with("--"),
                        Again::Flags(t) => t.starts_with('-'),
                    };
                    // An unknown option may belong to the protocol's match,
                    // which `-p` loads on demand.
                    if long && self.load_proto_match() {
                        again = Some(item);
                        continue;
                    }
                    let word = match item {
                        Again::Word(w) => w.to_string(),
                        Again::Flags(t) => format!("-{t}"),
                    };
                    return Err(unknown_option(&word, &longs.names));
                }
            };
            match opt {
                Opt::Bang => {
                    if self.invert {
                        return Err(param("multiple consecutive ! not allowed"));
                    }
                    self.invert = true;
                }
                Opt::Word("--") => {
                    // getopt stops at `--`; anything after it is left over
                    self.leftover = self.pos < self.args.len();
                    break;
                }
                Opt::Word(w) => return Err(Error::ParamBare(format!("Bad argument `{w}'"))),
                Opt::Short(c, glued) => {
                    if short_with_arg(c) {
                        let val = match glued {
                            Some(v) => v,
                            None => self.next_arg().ok_or_else(|| {
                                param(format!("option \"-{c}\" requires an argument"))
                            })?,
                        };
                        self.option(c, Some(val))?;
                    } else if short_opt_arg(c) {
                        self.option(c, glued)?;
                    } else if c == 'V' {
                        // iptables prints its version as soon as it reads -V
                        self.version = true;
                        self.version_not = self.invert;
                        self.pos = self.args.len();
                    } else if short_flag(c) {
                        self.option(c, None)?;
                        if let Some(rest) = glued {
                            // getopt takes a `-` inside a cluster as an
                            // unknown option (`-f-j`), not as a long one
                            if rest.starts_with('-') {
                                return Err(param("unknown option \"--\""));
                            }
                            // `-nvL`: the rest are more flags
                            again = Some(Again::Flags(rest));
                        }
                    } else {
                        return Err(unknown_option(&format!("-{c}"), &longs.names));
                    }
                }
                Opt::Long(l, value) => {
                    if l.key >= EXT_BASE {
                        self.ext_option(l.key, l.name, value)?;
                    } else if l.key == LINE_NUMBERS {
                        self.no_invert("--line-numbers")?;
                        self.use_opt(9)?;
                        self.line_numbers = true;
                    } else {
                        let c = char::from_u32(l.key as u32).unwrap_or('?');
                        let val = if l.has_arg {
                            match value {
                                Some(v) => Some(v),
                                None => Some(self.next_arg().ok_or_else(|| {
                                    param(format!("option \"--{}\" requires an argument", l.name))
                                })?),
                            }
                        } else {
                            value
                        };
                        self.option(c, val)?;
                    }
                }
            }
        }
        Ok(())
    }

    /// `-h`: the extensions' help as iptables prints it after the general
    /// help: the target's, then the matches' in the order given (with no
    /// `-m`, the match `-p` names).
    fn help_command(self) -> Command {
        let mut matches: Vec<&MatchDesc> = self.matches.iter().map(|m| m.desc).collect();
        if matches.is_empty() {
            // by the name given (`-p 6` loads nothing, `! -p tcp` does)
            let word = self.proto_word.map(str::to_ascii_lowercase);
            let name = match word.as_deref() {
                Some("icmpv6" | "ipv6-icmp") => Some("icmp6"),
                w => w,
            };
            matches.extend(name.and_then(|n| ext::find_match(n, self.family)));
        }
        let mut text = String::new();
        if let Some(d) = self.target_desc {
            text.push_str((d.help)(self.family));
        } else if let Some(("ACCEPT" | "DROP" | "RETURN", false)) = self.target {
            text.push_str(
                "\nstandard match options:\n(If target is DROP, ACCEPT, RETURN or nothing)\n",
            );
        }
        for d in matches {
            text.push_str((d.help)(self.family));
        }
        Command {
            family: self.family,
            table: self.default_table,
            action: Action::Help(text),
            numeric: false,
            verbose: false,
            exact: false,
            line_numbers: false,
        }
    }

    fn load_proto_match(&mut self) -> bool {
        let Some(p) = &self.rule.proto else {
            return false;
        };
        // `! -p udp --dport 1` too: iptables loads the match all the same
        let Some(desc) = ext::match_for_proto(p.val, self.family) else {
            return false;
        };
        if self.matches.iter().any(|m| std::ptr::eq(m.desc, desc)) {
            return false;
        }
        // iptables loads the match named as `-p` was written (or, for a
        // number, by its table's name): 135 is `mobility-header` there, so
        // only `-p mh` loads mh.
        if desc.name == "mh"
            && !self
                .proto_word
                .is_some_and(|w| w.eq_ignore_ascii_case("mh"))
        {
            return false;
        }
        self.longs_stale = true;
        self.matches.push(Loaded {
            desc,
            hits: Vec::new(),
        });
        true
    }

    fn ext_option(&mut self, key: usize, name: &str, value: Option<&'a str>) -> Result<(), Error> {
        let slot = (key - EXT_BASE) >> 8;
        let idx = (key - EXT_BASE) & 0xff;
        let (spec, ext_name) = if slot == TARGET_SLOT {
            let d = self
                .target_desc
                .ok_or_else(|| param("internal: no target"))?;
            (d.options[idx], d.name)
        } else {
            let d = self.matches[slot].desc;
            (d.options[idx], d.name)
        };
        let inv = std::mem::take(&mut self.invert);
        let mut args = ext::Vals::default();
        match spec.args {
            Args::None | Args::OptionalNext => {
                if value.is_some() {
                    return Err(param(format!(
                        "option \"--{name}\" doesn't allow an argument"
                    )));
                }
                if spec.args == Args::OptionalNext {
                    if let Some(v) = self.optional_positional() {
                        args.push(v);
                    }
                }
            }
            Args::One | Args::Two => {
                let v = match value {
                    Some(v) => v,
                    None => self.next_arg().ok_or_else(|| {
                        param(format!("option \"--{name}\" requires an argument"))
                    })?,
                };
                args.push(v);
                if spec.args == Args::Two {
                    let second = match self.args.get(self.pos) {
                        Some(w) if !w.starts_with('-') && !w.starts_with('!') => self.next_arg(),
                        _ => None,
                    };
                    // A missing second value is the extension's to report.
                    if let Some(v) = second {
                        args.push(v);
                    }
                }
            }
        }
        let hits = if slot == TARGET_SLOT {
            &mut self.target_hits
        } else {
            &mut self.matches[slot].hits
        };
        // After getopt's own errors, in `xtables_option_parse`'s order:
        // used twice, then `!` not allowed, then a bad value.
        if !spec.multi && hits.iter().any(|h| h.idx == idx) {
            return Err(param(format!(
                "{ext_name}: option \"--{}\" can only be used once.\n",
                spec.name
            )));
        }
        if inv && !spec.invertible {
            return Err(param(format!(
                "{ext_name}: option \"--{name}\" cannot be inverted.\n"
            )));
        }
        if let Some(v) = args.first() {
            spec.kind.check(ext_name, spec.name, v)?;
        }
        hits.push(OptHit { idx, inv, args });
        Ok(())
    }

    fn option(&mut self, c: char, val: Option<&'a str>) -> Result<(), Error> {
        let v = || val.unwrap_or_default();
        match c {
            'A' | 'C' | 'D' | 'I' | 'R' => {
                let cmd = match c {
                    'A' => Cmd::Append,
                    'C' => Cmd::Check,
                    'D' => Cmd::Delete,
                    'I' => Cmd::Insert,
                    _ => Cmd::Replace,
                };
                self.set_cmd(cmd)?;
                self.chain = Some(v());
                match c {
                    'D' | 'I' => {
                        if let Some(n) = self.optional_positional() {
                            self.num = Some(parse_rulenum(n)?);
                            if c == 'D' {
                                self.cmd = Some(Cmd::DeleteNum);
                            }
                        }
                    }
                    'R' => {
                        let n = self
                            .optional_positional()
                            .ok_or_else(|| param("-R requires a rule number"))?;
                        self.num = Some(parse_rulenum(n)?);
                    }
                    _ => {}
                }
            }
            'L' | 'S' | 'F' | 'Z' | 'X' => {
                let cmd = match c {
                    'L' => Cmd::List,
                    'S' => Cmd::ListRules,
                    'F' => Cmd::Flush,
                    'Z' => Cmd::Zero,
                    _ => Cmd::DelChain,
                };
                self.set_cmd(cmd)?;
                let chain = match val {
                    Some(v) => Some(v),
                    None => self.optional_positional(),
                };
                if chain.is_some() {
                    self.chain = chain;
                }
                if matches!(c, 'S' | 'Z' | 'L') && self.chain.is_some() {
                    if let Some(n) = self.optional_positional() {
                        self.num = Some(parse_rulenum(n)?);
                    }
                }
            }
            'N' => {
                assert_valid_chain_name(v(), self.family)?;
                self.set_cmd(Cmd::NewChain)?;
                self.chain = Some(v());
            }
            'E' => {
                self.set_cmd(Cmd::Rename)?;
                self.chain = Some(v());
                let new = self
                    .optional_positional()
                    .ok_or_else(|| param("-E requires old-chain-name and new-chain-name"))?;
                assert_valid_chain_name(new, self.family)?;
                self.second = Some(new);
            }
            'P' => {
                self.set_cmd(Cmd::SetPolicy)?;
                self.chain = Some(v());
                self.second = Some(
                    self.optional_positional()
                        .ok_or_else(|| param("-P requires a chain and a policy"))?,
                );
            }
            'V' => {
                self.version = true;
                self.version_not = self.invert;
                self.pos = self.args.len();
            }
            'h' => {
                // iptables prints the help as soon as it reads -h: nothing
                // after it is looked at (an argument to it is ignored).
                self.help = true;
                self.pos = self.args.len();
            }
            't' => {
                if self.invert {
                    return Err(param("unexpected ! flag before --table"));
                }
                // 1.8.10+ take a repeated -t, the last one winning.
                self.table_name = Some(v());
            }
            'p' => {
                let inv = self.use_opt(3)?;
                let s = v();
                // `xtables_parse_protocol`: a number in any base, else a name
                let num = xt_strtoui(s, 0, 255).map(|n| n as u8);
                let p = num.or_else(|| netdb::proto_by_name(s)).ok_or_else(|| {
                    param(format!(
                        "unknown protocol \"{}\" specified",
                        s.to_ascii_lowercase()
                    ))
                })?;
                if p == 0 && inv {
                    return Err(param("rule would never match protocol"));
                }
                self.rule.proto = Some(Inv::new(inv, p));
                self.proto_word = Some(s);
            }
            's' => {
                let inv = self.use_opt(1)?;
                self.srcs = Some((inv, v()));
            }
            'd' => {
                let inv = self.use_opt(2)?;
                self.dsts = Some((inv, v()));
            }
            'i' => {
                let inv = self.use_opt(7)?;
                self.rule.iniface = Some(Inv::new(inv, parse_iface(v())?));
            }
            'o' => {
                let inv = self.use_opt(8)?;
                self.rule.outiface = Some(Inv::new(inv, parse_iface(v())?));
            }
            'f' => {
                if self.family == Family::V6 {
                    return Err(param("`-f' is not supported in IPv6, use -m frag instead"));
                }
                let inv = self.use_opt(11)?;
                self.rule.frag = Some(inv);
            }
            'j' | 'g' => {
                self.no_invert("--jump")?;
                if self.target.is_some() {
                    return Err(param("multiple --jump options not allowed"));
                }
                self.used[4] = true;
                let name = v();
                // (the standard verdicts are no extension)
                if c == 'j' && !matches!(name, "ACCEPT" | "DROP" | "RETURN") {
                    if let Some(d) = ext::find_target(name, self.family) {
                        ext::probe::load(self.family, d.name, true);
                        self.target_desc = Some(d);
                        self.longs_stale = true;
                    }
                }
                self.target = Some((name, c == 'g'));
            }
            'm' => {
                if self.invert {
                    return Err(param("unexpected ! flag before --match"));
                }
                let name = v();
                let desc = ext::find_match(name, self.family).ok_or_else(|| {
                    param(format!(
                        "Couldn't load match `{name}':No such file or directory\n"
                    ))
                })?;
                ext::probe::load(self.family, desc.name, false);
                self.longs_stale = true;
                self.matches.push(Loaded {
                    desc,
                    hits: Vec::new(),
                });
            }
            'n' => {
                self.no_invert("--numeric")?;
                self.use_opt(0)?;
                self.numeric = true;
            }
            'v' => {
                self.no_invert("--verbose")?;
                self.used[5] = true;
                self.verbose = true;
            }
            'x' => {
                self.no_invert("--exact")?;
                self.use_opt(6)?;
                self.exact = true;
            }
            'c' => {
                self.no_invert("--set-counters")?;
                self.use_opt(10)?;
                let first = v();
                let (p, b) = match first.split_once(',') {
                    Some((p, b)) => (p, b),
                    None => {
                        let b = self.optional_positional().ok_or_else(|| {
                            param("--set-counters requires packet and byte counter")
                        })?;
                        (first, b)
                    }
                };
                // `sscanf("%llu")`: a number at the start is enough
                let packets = scan_llu(p)
                    .ok_or_else(|| param("--set-counters packet counter not numeric"))?;
                let bytes =
                    scan_llu(b).ok_or_else(|| param("--set-counters byte counter not numeric"))?;
                self.counters = Some(Counters { packets, bytes });
            }
            'w' => {
                // Accepted and ignored, as iptables-nft does: `-w`, `-w5`,
                // `-w 5`, `--wait=5`; the value is read as `sscanf("%i")`.
                self.wait = true;
                let arg = match val {
                    Some(v) => Some(v),
                    None => self.optional_positional(),
                };
                if let Some(a) = arg {
                    if scan_int(a, true).is_none() {
                        return Err(param("wait seconds not numeric"));
                    }
                }
            }
            'W' => {
                let arg = match val {
                    Some(v) => v,
                    None => self
                        .optional_positional()
                        .ok_or_else(|| param("wait interval value required"))?,
                };
                let usec =
                    scan_int(arg, false).ok_or_else(|| param("wait interval not numeric"))? as u32;
                if usec > 999_999 {
                    return Err(param(format!("too long usec wait {usec} > 999999 usec")));
                }
                if !self.wait_interval {
                    self.warnings
                        .push("Ignoring deprecated --wait-interval option.".into());
                }
                self.wait_interval = true;
            }
            'M' | '4' => {}
            '6' => {
                if self.family == Family::V4 {
                    return Err(param("This is the IPv4 version of iptables."));
                }
            }
            _ => return Err(unknown_option(&format!("-{c}"), &self.longs().names)),
        }
        // iptables drops a `!` after any option that did not take it
        // (`! -w` is accepted)
        self.invert = false;
        if c == '4' && self.family == Family::V6 {
            return Err(param("This is the IPv6 version of ip6tables."));
        }
        Ok(())
    }

    fn finish(mut self) -> Result<Command, Error> {
        if self.help {
            return Ok(self.help_command());
        }
        if self.version {
            return Ok(Command {
                family: self.family,
                table: self.default_table,
                action: Action::Version {
                    not: self.version_not,
                },
                numeric: false,
                verbose: false,
                exact: false,
                line_numbers: false,
            });
        }
        if self.leftover {
            return Err(param("unknown arguments found on commandline"));
        }
        if self.invert {
            return Err(param("unexpected trailing !"));
        }
        if self.cmd.is_none() && !self.version {
            return Err(param("no command specified"));
        }
        // An unknown table is found when the command runs, after every
        // check of the line (made meanwhile as for the default table).
        let (table, bad_table) = match self.table_name {
            None => (self.default_table, None),
            Some(n) => match Table::from_name(n) {
                Some(t) => (t, None),
                None => (self.default_table, Some(n)),
            },
        };
        for w in &self.warnings {
            // iptables prints these as it reads the option, before any error.
            crate::error::warn(w);
        }
        if self.wait_interval && !self.wait {
            return Err(param("--wait-interval only makes sense with --wait\n"));
        }
        let (family, numeric, verbose, exact, line_numbers) = (
            self.family,
            self.numeric,
            self.verbose,
            self.exact,
            self.line_numbers,
        );
        let mk = move |action| Command {
            family,
            table,
            action,
            numeric,
            verbose,
            exact,
            line_numbers,
        };
        if self.version {
            return Ok(mk(Action::Version { not: false }));
        }
        let Some(cmd) = self.cmd else {
            return Err(param("no command specified"));
        };
        let legal = legality(cmd);
        for (col, used) in self.used.iter().enumerate() {
            if *used && legal[col] == b'x' {
                return Err(param(format!(
                    "Illegal option `{}' with this command",
                    OPT_NAMES[col]
                )));
            }
        }
        // iptables 1.8.10+ take (and ignore) matches with the other commands
        // do_parse checks only the length of the command's chain; a name
        // no chain can have is then simply not found.
        if let Some(c) = self.chain {
            if crate::model::bytes::byte_len(c) > CHAIN_MAX {
                check_chain_name(c)?;
            }
        }
        // `xshared.c do_parse`: DROP is no nat policy or nat verdict.
        let drop_policy = cmd == Cmd::SetPolicy && self.second == Some("DROP");
        let drop_jump = matches!(self.target, Some(("DROP", false)));
        if table == Table::Nat && (drop_policy || drop_jump) {
            return Err(param(
                "\nThe \"nat\" table is not intended for filtering, the use of DROP is therefore inhibited.\n\n",
            ));
        }
        let chain = self.chain.unwrap_or_default().to_string();
        let takes_rule = matches!(
            cmd,
            Cmd::Append | Cmd::Check | Cmd::Delete | Cmd::Insert | Cmd::Replace
        );
        if !takes_rule {
            self.check_unused_matches(table, &chain)?;
        }
        let action = match cmd {
            Cmd::Append | Cmd::Check | Cmd::Delete | Cmd::Insert | Cmd::Replace => {
                // (a rule for a table that does not exist is never made:
                // what only the kernel would refuse is not asked for, and
                // the table is reported instead, as the kernel's turn)
                let rules = self.build_rules(table, &chain, bad_table.is_none())?;
                match cmd {
                    Cmd::Append => Action::Append { chain, rules },
                    Cmd::Check => Action::Check { chain, rules },
                    Cmd::Delete => Action::Delete { chain, rules },
                    Cmd::Insert => Action::Insert {
                        chain,
                        num: self.num.unwrap_or(1),
                        rules,
                    },
                    _ => {
                        if rules.len() != 1 {
                            return Err(param("-R requires a single address (not a list or host name resolving to several)"));
                        }
                        Action::Replace {
                            chain,
                            num: self.num.unwrap_or(1),
                            rule: Box::new(rules.into_iter().next().unwrap_or_default()),
                        }
                    }
                }
            }
            Cmd::DeleteNum => Action::DeleteNum {
                chain,
                num: self.num.unwrap_or(1),
            },
            Cmd::List => Action::List {
                chain: self.chain.map(str::to_string),
                num: self.num,
                zero: self.zero_with_list,
            },
            Cmd::ListRules => Action::ListRules {
                chain: self.chain.map(str::to_string),
                num: self.num,
            },
            Cmd::Flush => Action::Flush {
                chain: self.chain.map(str::to_string),
            },
            Cmd::Zero => Action::Zero {
                chain: self.chain.map(str::to_string),
                num: self.num,
            },
            Cmd::NewChain => Action::NewChain { chain },
            Cmd::DelChain => Action::DeleteChain {
                chain: self.chain.map(str::to_string),
            },
            Cmd::SetPolicy => Action::Policy {
                chain,
                policy: self.second.unwrap_or_default().to_string(),
                counters: self.counters,
            },
            Cmd::Rename => Action::Rename {
                old: chain,
                new: self.second.unwrap_or_default().to_string(),
            },
        };
        if let Some(n) = bad_table {
            return Err(Error::Version(format!("table '{n}' does not exist")));
        }
        Ok(mk(action))
    }

    /// The matches a command without a rule was given (`-P`, `-F`, `-L`,
    /// ...): iptables 1.8.10+ take and ignore them, but read their options
    /// and make each match's final check all the same, so a bad value or a
    /// missing option fails the command.
    fn check_unused_matches(&self, table: Table, chain: &str) -> Result<(), Error> {
        let cx = ParseCx {
            family: self.family,
            proto: self.rule.proto.as_ref(),
            table,
            chain,
            rule: false,
        };
        for m in &self.matches {
            (m.desc.build)(&m.hits, &cx)?;
            ext::final_check(m.desc.name, m.desc.options, &m.hits)?;
        }
        Ok(())
    }

    fn build_rules(&mut self, table: Table, chain: &str, rule: bool) -> Result<Vec<Rule>, Error> {
        // Interfaces a built-in hook cannot see.
        if let Some(_o) = &self.rule.outiface {
            if chain == "PREROUTING" || chain == "INPUT" {
                return Err(param(format!("Can't use --out-interface with {chain}")));
            }
        }
        if let Some(_i) = &self.rule.iniface {
            if chain == "POSTROUTING" || chain == "OUTPUT" {
                return Err(param(format!("Can't use --in-interface with {chain}")));
            }
        }
        let cx = ParseCx {
            family: self.family,
            proto: self.rule.proto.as_ref(),
            table,
            chain,
            rule,
        };
        // Once the whole line is read, each extension's options are
        // checked, matches in order, then the target: the extension's own
        // check in `build`, then the generic ones (mandatory, exclusions,
        // also-needs), as `xtables_option_mfcall` orders them.
        let mut matches = Vec::with_capacity(self.matches.len());
        for m in &self.matches {
            let built = (m.desc.build)(&m.hits, &cx)?;
            ext::final_check(m.desc.name, m.desc.options, &m.hits)?;
            matches.push(built);
        }
        let target = match self.target {
            None => Target::None,
            Some((name, true)) => {
                check_target_name(name)?;
                if matches!(name, "ACCEPT" | "DROP" | "RETURN") || self.target_desc.is_some() {
                    return Err(param(format!("goto '{name}' is not a chain\n")));
                }
                Target::Goto(name.to_string())
            }
            Some((name, false)) => match (name, self.target_desc) {
                ("ACCEPT", _) => Target::Accept,
                ("DROP", _) => Target::Drop,
                ("RETURN", _) => Target::Return,
                (_, Some(d)) => {
                    let built = (d.build)(&self.target_hits, &cx)?;
                    ext::final_check(d.name, d.options, &self.target_hits)?;
                    // (`-j NOTRACK` at an older `CT` revision is `CT`)
                    Target::Ext(built.normalize())
                }
                (n, None) => {
                    check_target_name(n)?;
                    Target::Jump(n.to_string())
                }
            },
        };
        // `ipv6_proto_parse`, after the options' checks: an extension
        // header as `-p` (routing, fragment, ah, dstopts) is no upper layer
        // protocol, so the rule never matches.
        if let (Family::V6, Some(p)) = (self.family, &self.rule.proto) {
            if !p.inv && matches!(p.val, 43 | 44 | 51 | 60) {
                crate::error::warn(format_args!(
                    "Warning: never matched protocol: {}. use extension match instead.",
                    self.proto_word.unwrap_or("").to_ascii_lowercase()
                ));
            }
        }
        let mut base = std::mem::take(&mut self.rule);
        base.matches = matches;
        base.target = target;
        base.counters = self.counters.unwrap_or_default();
        let side = |a: Option<(bool, &str)>| -> Result<AddrList, Error> {
            match a {
                None => Ok((Vec::new(), 0, false)),
                Some((inv, s)) => {
                    let (nets, n) = parse_nets_counted(s, self.family)?;
                    Ok((nets, n, inv))
                }
            }
        };
        let (srcs, ns, sinv) = side(self.srcs)?;
        let (dsts, nd, dinv) = side(self.dsts)?;
        if (ns > 1 || nd > 1) && (sinv || dinv) {
            return Err(param(
                "! not allowed with multiple source or destination IP addresses",
            ));
        }
        // No address given is one rule without it.
        let pick = |v: &[Net], i: usize, inv: bool| v.get(i).map(|n| Inv::new(inv, *n));
        let (n_src, n_dst) = (srcs.len().max(1), dsts.len().max(1));
        let mut rules = Vec::with_capacity(n_src * n_dst);
        for i in 0..n_src {
            for j in 0..n_dst {
                // the last rule takes the base, the others copy it
                let mut r = if rules.len() + 1 == n_src * n_dst {
                    std::mem::take(&mut base)
                } else {
                    base.clone()
                };
                r.src = pick(&srcs, i, sinv);
                r.dst = pick(&dsts, j, dinv);
                rules.push(r);
            }
        }
        Ok(rules)
    }
}

/// The addresses of one side (none when not given), how many were
/// given, and `!`.
type AddrList = (Vec<Net>, usize, bool);

fn long_of(c: char) -> &'static str {
    GLOBAL_LONGS
        .iter()
        .find(|(_, _, s)| *s == c)
        .map(|(n, _, _)| *n)
        .unwrap_or("")
}

fn push_ext(v: &mut Vec<LongName>, options: &'static [ext::OptSpec], slot: usize) {
    // A name an extension loaded later already has is hidden, as in
    // iptables' merged option table: `-m comment ... -m comment --commen x`
    // is not ambiguous, it is the later match's.
    let taken = |v: &[LongName], name: &str| v.iter().any(|l| l.key >= EXT_BASE && l.name == name);
    for (idx, o) in options.iter().enumerate() {
        let key = EXT_BASE + (slot << 8) + idx;
        let has_arg = !matches!(o.args, Args::None | Args::OptionalNext);
        if !taken(v, o.name) {
            v.push(LongName {
                name: o.name,
                has_arg,
                key,
            });
        }
        if !o.alias.is_empty() && !taken(v, o.alias) {
            v.push(LongName {
                name: o.alias,
                has_arg,
                key,
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ext::Match;

    fn p(s: &str) -> Result<Command, Error> {
        let args: Vec<String> = s.split_whitespace().map(String::from).collect();
        parse(Family::V4, &args)
    }

    #[test]
    fn append_tcp() {
        let c = p("-A INPUT -s 10.20.30.40/24 -p tcp --dport 22 -j ACCEPT").unwrap();
        let Action::Append { chain, rules } = c.action else {
            panic!()
        };
        assert_eq!(chain, "INPUT");
        assert_eq!(rules.len(), 1);
        assert_eq!(rules[0].target, Target::Accept);
        assert!(matches!(&rules[0].matches[0], Match::Tcp(t) if t.dpts == (22, 22)));
        assert_eq!(
            rules[0].src.as_ref().unwrap().val.to_string(),
            "10.20.30.0/24"
        );
    }

    #[test]
    fn errors_and_codes() {
        assert_eq!(p("-a INPUT").unwrap_err().exit_code(), 2);
        assert_eq!(p("-t nat -H BAR").unwrap_err().exit_code(), 2);
        assert_eq!(
            p("-t foobar -C INPUT -j ACCEPT").unwrap_err().exit_code(),
            3
        );
        assert_eq!(p("-A INPUT --dport 22").unwrap_err().exit_code(), 2);
        assert_eq!(p("-A INPUT -o eth0").unwrap_err().exit_code(), 2);
        assert_eq!(p("-L -S").unwrap_err(), param("Cannot use -S with -L"));
        assert_eq!(p("-A INPUT 5 -j DROP").unwrap_err().exit_code(), 2);
        assert!(p("-A INPUT -p tcp --dpo 5").is_ok());
        assert!(p("-A INPUT -p tcp --d 5").is_err());
        assert!(p("-A INPUT -s 1.2.3.4/33").is_err());
        assert!(p("-A INPUT -s 1.2.3.400").is_err());
        assert!(p("-N 0123456789012345678901234567890").is_err());
    }

    #[test]
    fn verdicts_are_no_extensions() {
        for f in [Family::V4, Family::V6] {
            for v in ["ACCEPT", "DROP", "RETURN"] {
                assert!(ext::find_target(v, f).is_none(), "{v}");
            }
        }
    }

    #[test]
    fn lists_expand() {
        let c = p("-A INPUT -s 1.1.1.1,2.2.2.2 -d 3.3.3.3,4.4.4.4 -j DROP").unwrap();
        let Action::Append { rules, .. } = c.action else {
            panic!()
        };
        assert_eq!(rules.len(), 4);
        assert_eq!(rules[1].src.as_ref().unwrap().val.to_string(), "1.1.1.1/32");
        assert_eq!(rules[1].dst.as_ref().unwrap().val.to_string(), "4.4.4.4/32");
    }

    #[test]
    fn glued_and_equals() {
        let c = p("-A INPUT -ptcp -s1.2.3.4 --dport=80").unwrap();
        let Action::Append { rules, .. } = c.action else {
            panic!()
        };
        assert_eq!(rules[0].proto, Some(Inv::new(false, 6)));
        let c = p("-nvL INPUT").unwrap();
        assert!(c.numeric && c.verbose);
        assert_eq!(
            c.action,
            Action::List {
                chain: Some("INPUT".into()),
                num: None,
                zero: false
            }
        );
    }
}
