//! rxtables' own documentation and shell completion, generated from the
//! code: the extension registry ([`crate::ext::MATCHES`],
//! [`crate::ext::TARGETS`]: names, families, option specs and captured
//! help texts) and the applet names. `rxtables gen-man DIR` writes the
//! manual pages, `rxtables completion SHELL` prints a completion script;
//! the copies in `docs/` and `completions/` are checked against them by
//! `tests/docs.rs`, so they cannot drift from the code.

pub mod complete;
pub mod man;

use crate::ext::{Args, OptSpec, MATCHES, TARGETS};
use crate::model::{Family, Table};

/// rxtables' own version (the crate's).
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// `rxtables --version`: its own version and the iptables release it
/// follows.
pub fn version_line() -> String {
    format!(
        "rxtables {VERSION} (follows iptables {})\n",
        crate::error::VERSION
    )
}

/// rxtables' own subcommands (beside the applets), with a line each:
/// what `rxtables --help` and the manual page list and the completion
/// offers.
pub const SUBCOMMANDS: &[(&str, &str, &str)] = &[
    (
        "install-links",
        "DIR",
        "make links named after every applet in DIR (which must exist)",
    ),
    (
        "completion",
        "bash|zsh|fish",
        "print the shell completion script",
    ),
    (
        "gen-man",
        "DIR",
        "write the manual pages rxtables.8 and rxtables-extensions.8 into DIR",
    ),
    (
        "list-chains",
        "[-6] TABLE",
        "print the chain names of TABLE, one a line (for completion)",
    ),
    ("--help", "", "print this help"),
    (
        "--version",
        "",
        "print rxtables' version and the iptables release it follows",
    ),
];

/// `rxtables --help` (and the usage printed on a bad call): the applets
/// and the subcommands.
pub fn help_text(applets: &[&str]) -> String {
    let mut s = format!(
        "rxtables {VERSION}: a drop-in replacement for iptables-nft (follows iptables {})\n\n\
         usage: rxtables APPLET [ARGS...]\n       APPLET [ARGS...]     (called through a link named after it)\n       rxtables SUBCOMMAND [ARGS...]\n\napplets:\n",
        crate::error::VERSION
    );
    for a in applets {
        s.push_str(&format!("  {a}\n"));
    }
    s.push_str("\nsubcommands:\n");
    for (name, args, what) in SUBCOMMANDS {
        let head = if args.is_empty() {
            name.to_string()
        } else {
            format!("{name} {args}")
        };
        s.push_str(&format!("  {head:<28}{what}\n"));
    }
    s.push_str("\n`APPLET -h` prints the applet's help; `iptables -m NAME -h` and `-j NAME -h` an extension's.\nSee rxtables(8) and rxtables-extensions(8).\n");
    s
}

/// Match or target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `-m NAME`
    Match,
    /// `-j NAME`
    Target,
}

/// One extension as the documentation shows it: the registry entries of
/// one name merged (`ah` is one entry per family).
#[derive(Debug, Clone)]
pub struct ExtDoc {
    /// match or target
    pub kind: Kind,
    /// `-m`/`-j` name
    pub name: &'static str,
    /// families it exists in, IPv4 first
    pub families: Vec<Family>,
    /// the options of each family's entry, merged by name, in table order
    pub options: Vec<OptSpec>,
    /// the protocol for which `-p` loads it implicitly
    pub proto: Option<u8>,
    /// the help text of each family it exists in (one entry when they are
    /// the same)
    pub help: Vec<(Vec<Family>, &'static str)>,
}

impl ExtDoc {
    /// Every long option name (aliases included), without dashes.
    pub fn option_names(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.options
            .iter()
            .flat_map(|o| [o.name, o.alias])
            .filter(|n| !n.is_empty())
    }

    /// Does it exist in `family`?
    pub fn in_family(&self, family: Family) -> bool {
        self.families.contains(&family)
    }
}

fn merge(
    docs: &mut Vec<ExtDoc>,
    kind: Kind,
    name: &'static str,
    families: &[Family],
    options: &[OptSpec],
    proto: Option<u8>,
    help: fn(Family) -> &'static str,
) {
    let i = match docs.iter().position(|d| d.kind == kind && d.name == name) {
        Some(i) => i,
        None => {
            docs.push(ExtDoc {
                kind,
                name,
                families: Vec::new(),
                options: Vec::new(),
                proto,
                help: Vec::new(),
            });
            docs.len() - 1
        }
    };
    let d = &mut docs[i];
    for f in families {
        if !d.families.contains(f) {
            d.families.push(*f);
        }
        let text = help(*f);
        match d.help.iter_mut().find(|(_, t)| *t == text) {
            Some((fs, _)) => fs.push(*f),
            None => d.help.push((vec![*f], text)),
        }
    }
    d.families.sort_by_key(|f| *f == Family::V6);
    for o in options {
        if !d.options.iter().any(|x| x.name == o.name) {
            d.options.push(*o);
        }
    }
    d.proto = d.proto.or(proto);
}

/// Every registered match and target, merged by name, matches first, each
/// group sorted by name (case-insensitively).
pub fn extensions() -> Vec<ExtDoc> {
    let mut docs = Vec::new();
    for m in MATCHES {
        merge(
            &mut docs,
            Kind::Match,
            m.name,
            m.families,
            m.options,
            m.proto,
            m.help,
        );
    }
    for t in TARGETS {
        merge(
            &mut docs,
            Kind::Target,
            t.name,
            t.families,
            t.options,
            None,
            t.help,
        );
    }
    docs.sort_by_key(|d| (d.kind == Kind::Target, d.name.to_ascii_lowercase()));
    docs
}

/// The targets every table has without an extension.
pub const STANDARD_TARGETS: &[&str] = &["ACCEPT", "DROP", "RETURN"];

/// Protocol names iptables knows without `/etc/protocols`
/// (`xtables_chain_protos`), for `-p` completion and the implicit matches.
pub const PROTO_NAMES: &[(&str, u8)] = &[
    ("tcp", 6),
    ("udp", 17),
    ("udplite", 136),
    ("icmp", 1),
    ("icmpv6", 58),
    ("ipv6-icmp", 58),
    ("esp", 50),
    ("ah", 51),
    ("sctp", 132),
    ("mh", 135),
    ("ipv6-mh", 135),
    ("mobility-header", 135),
    ("dccp", 33),
    ("ipcomp", 108),
    ("gre", 47),
    ("all", 0),
];

/// The `-p` words that load a match implicitly: (word, match name).
pub fn implicit_matches() -> Vec<(String, &'static str)> {
    let mut out = Vec::new();
    for d in extensions().iter().filter(|d| d.kind == Kind::Match) {
        let Some(p) = d.proto else { continue };
        out.push((p.to_string(), d.name));
        for (n, num) in PROTO_NAMES {
            if *num == p {
                out.push((n.to_string(), d.name));
            }
        }
    }
    out
}

/// The tables, in iptables' order of its manual.
pub fn tables() -> Vec<&'static str> {
    Table::ALL.iter().map(|t| t.name()).collect()
}

/// An option's synopsis: `[!] --name value`, with `value` words as many as
/// it takes.
pub fn synopsis(o: &OptSpec) -> String {
    let mut s = String::new();
    if o.invertible {
        s.push_str("[!] ");
    }
    s.push_str("--");
    s.push_str(o.name);
    match o.args {
        Args::None => {}
        Args::One => s.push_str(" value"),
        Args::Two => s.push_str(" value value"),
        Args::OptionalNext => s.push_str(" [value]"),
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_registry_entry_is_documented() {
        let docs = extensions();
        for m in MATCHES {
            let d = docs
                .iter()
                .find(|d| d.kind == Kind::Match && d.name == m.name)
                .unwrap_or_else(|| panic!("match {} missing", m.name));
            for o in m.options {
                assert!(d.options.iter().any(|x| x.name == o.name), "{}", o.name);
            }
            for f in m.families {
                assert!(d.in_family(*f));
            }
        }
        for t in TARGETS {
            assert!(docs
                .iter()
                .any(|d| d.kind == Kind::Target && d.name == t.name));
        }
        // ah is one entry per family in the registry, one page section here
        assert_eq!(
            docs.iter().filter(|d| d.name == "ah").count(),
            1,
            "ah merged"
        );
    }

    #[test]
    fn tcp_is_loaded_by_its_protocol_names_and_number() {
        let im = implicit_matches();
        for w in ["tcp", "6"] {
            assert!(im.contains(&(w.to_string(), "tcp")), "{w}");
        }
        assert!(im.contains(&("ipv6-icmp".to_string(), "icmp6")));
    }

    #[test]
    fn version_names_both_versions() {
        let v = version_line();
        assert!(v.starts_with(&format!("rxtables {VERSION} ")), "{v}");
        assert!(v.contains("iptables v1.8.13"), "{v}");
    }
}
