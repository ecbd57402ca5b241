//! The programs rxtables acts as, chosen by the name it is called by.

pub mod iptables;
pub mod save;

use crate::error::Error;
use crate::model::Family;

/// One of the programs of the multi-call binary.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Applet {
    /// `iptables` / `ip6tables`
    Tables(Family),
    /// `iptables-save` / `ip6tables-save`
    Save(Family),
    /// `iptables-restore` / `ip6tables-restore`
    Restore(Family),
}

/// Every applet name, for dispatch and `install-links`.
pub const NAMES: &[(&str, Applet)] = &[
    ("ip6tables-restore", Applet::Restore(Family::V6)),
    ("iptables-restore", Applet::Restore(Family::V4)),
    ("ip6tables-save", Applet::Save(Family::V6)),
    ("iptables-save", Applet::Save(Family::V4)),
    ("ip6tables", Applet::Tables(Family::V6)),
    ("iptables", Applet::Tables(Family::V4)),
];

impl Applet {
    /// The applet a program name stands for: the longest applet name the
    /// name ends with (`/usr/sbin/ip6tables-save` → ip6tables-save). The
    /// `-nft` infix of the reference's names is accepted too
    /// (`iptables-nft-save`).
    pub fn from_name(argv0: &str) -> Option<Applet> {
        let base = argv0.rsplit('/').next().unwrap_or(argv0);
        let base = base.replace("-nft", "");
        NAMES
            .iter()
            .filter(|(n, _)| base.ends_with(n))
            .max_by_key(|(n, _)| n.len())
            .map(|(_, a)| *a)
    }

    /// The name it prints in messages.
    pub fn prog(self) -> &'static str {
        match self {
            Applet::Tables(f) => f.prog(),
            Applet::Save(Family::V4) => "iptables-save",
            Applet::Save(Family::V6) => "ip6tables-save",
            Applet::Restore(Family::V4) => "iptables-restore",
            Applet::Restore(Family::V6) => "ip6tables-restore",
        }
    }
}

/// `iptables -h`.
pub fn help_text(family: Family) -> String {
    let p = family.prog();
    format!(
        "{p} {v}

Usage: {p} -[ACD] chain rule-specification [options]
       {p} -I chain [rulenum] rule-specification [options]
       {p} -R chain rulenum rule-specification [options]
       {p} -D chain rulenum [options]
       {p} -[LS] [chain [rulenum]] [options]
       {p} -[FZ] [chain] [options]
       {p} -[NX] chain
       {p} -E old-chain-name new-chain-name
       {p} -P chain target [options]
       {p} -h (print this help information)

Commands:
Either long or short options are allowed.
  --append  -A chain\t\tAppend to chain
  --check   -C chain\t\tCheck for the existence of a rule
  --delete  -D chain\t\tDelete matching rule from chain
  --delete  -D chain rulenum
\t\t\t\tDelete rule rulenum (1 = first) from chain
  --insert  -I chain [rulenum]
\t\t\t\tInsert in chain as rulenum (default 1=first)
  --replace -R chain rulenum
\t\t\t\tReplace rule rulenum (1 = first) in chain
  --list    -L [chain [rulenum]]
\t\t\t\tList the rules in a chain or all chains
  --list-rules -S [chain [rulenum]]
\t\t\t\tPrint the rules in a chain or all chains
  --flush   -F [chain]\t\tDelete all rules in  chain or all chains
  --zero    -Z [chain [rulenum]]
\t\t\t\tZero counters in chain or all chains
  --new     -N chain\t\tCreate a new user-defined chain
  --delete-chain
            -X [chain]\t\tDelete a user-defined chain
  --policy  -P chain target
\t\t\t\tChange policy on chain to target
  --rename-chain
            -E old-chain new-chain
\t\t\t\tChange chain name, (moving any references)

Options:
[!] --proto\t-p proto\tprotocol: by number or name, eg. `tcp'
[!] --source\t-s address[/mask][...]
\t\t\t\tsource specification
[!] --destination -d address[/mask][...]
\t\t\t\tdestination specification
[!] --in-interface -i input name[+]
\t\t\t\tnetwork interface name ([+] for wildcard)
 --jump\t-j target
\t\t\t\ttarget for rule (may load target extension)
  --goto      -g chain
\t\t\t       jump to chain with no return
  --match\t-m match
\t\t\t\textended match (may load extension)
  --numeric\t-n\t\tnumeric output of addresses and ports
[!] --out-interface -o output name[+]
\t\t\t\tnetwork interface name ([+] for wildcard)
  --table\t-t table\ttable to manipulate (default: `filter')
  --verbose\t-v\t\tverbose mode
  --wait\t-w [seconds]\tmaximum wait to acquire xtables lock before give up
  --line-numbers\t\tprint line numbers when listing
  --exact\t-x\t\texpand numbers (display exact values)
[!] --fragment\t-f\t\tmatch second or further fragments only
  --set-counters -c PKTS BYTES\tset the counter during insert/append
[!] --version\t-V\t\tprint package version.
",
        v = crate::error::VERSION
    )
}

/// Run an applet with its arguments (program name removed). Returns what
/// goes to stdout and, on failure, the stderr text and exit status.
pub fn run(applet: Applet, args: &[String]) -> (String, Option<(String, i32)>) {
    // Only the writers need the setting; a broken one stops them before
    // they write a layout nobody asked for.
    let layout = || {
        crate::config::load()
            .map(|c| c.layout)
            .map_err(|e| Error::Raw {
                msg: format!("{}: {e}", applet.prog()),
                code: 2,
            })
    };
    let result = match applet {
        Applet::Tables(family) => crate::cli::parse(family, args)
            .and_then(|cmd| layout().and_then(|l| iptables::run(&cmd, l))),
        Applet::Save(family) => save::run(family, args),
        Applet::Restore(family) => layout().and_then(|l| crate::restore::run(family, args, l)),
    };
    match result {
        Ok(out) => (out, None),
        Err(Error::Partial { out, msg, code }) => (out, Some((msg, code))),
        Err(e) => (
            String::new(),
            Some((e.render(applet.prog()), e.exit_code())),
        ),
    }
}
