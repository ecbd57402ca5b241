//! The programs rxtables acts as, chosen by the name it is called by.

pub mod iptables;
pub mod restore;
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
    /// (`iptables-nft-save`), and so is `-rxtables`, the names the Debian
    /// package registers with update-alternatives (`iptables-rxtables`,
    /// `ip6tables-rxtables-restore`).
    pub fn from_name(argv0: &str) -> Option<Applet> {
        let base = argv0.rsplit('/').next().unwrap_or(argv0);
        let base = base.replace("-nft", "").replace("-rxtables", "");
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

pub use crate::cli::help::help_text;

/// Run an applet with its arguments (program name removed). Returns what
/// goes to stdout and, on failure, the stderr text and exit status.
pub fn run(applet: Applet, args: &[String]) -> (String, Option<(String, i32)>) {
    // extensions are loaded as iptables loads them: asking the kernel
    crate::ext::probe::install(Box::new(crate::nft::session::KernelProbe));
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
        Applet::Restore(family) => layout().and_then(|l| restore::run(family, args, l)),
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The names the Debian package's alternatives point at dispatch like
    /// the plain names; the binary's own name is no applet.
    #[test]
    fn rxtables_infix_names() {
        let cases = [
            ("/usr/sbin/iptables-rxtables", Applet::Tables(Family::V4)),
            ("/usr/sbin/ip6tables-rxtables", Applet::Tables(Family::V6)),
            ("iptables-rxtables-save", Applet::Save(Family::V4)),
            (
                "/usr/sbin/ip6tables-rxtables-save",
                Applet::Save(Family::V6),
            ),
            ("iptables-rxtables-restore", Applet::Restore(Family::V4)),
            ("ip6tables-rxtables-restore", Applet::Restore(Family::V6)),
            ("/usr/sbin/iptables-nft-save", Applet::Save(Family::V4)),
            ("/usr/sbin/ip6tables", Applet::Tables(Family::V6)),
        ];
        for (name, want) in cases {
            assert_eq!(Applet::from_name(name), Some(want), "{name}");
        }
        assert_eq!(Applet::from_name("/usr/sbin/rxtables"), None);
        assert_eq!(Applet::from_name("rxtables"), None);
    }
}
