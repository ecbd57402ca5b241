//! The machine-wide setting that chooses which rule layout rxtables writes.
//!
//! iptables 1.8.10 and later (1.8.11, 1.8.12, 1.8.13 are identical on the
//! wire) write the base matches in another order and IPv4's `-p` as a load
//! of the IP header's protocol field; 1.8.8 and older misread that layout
//! (Docker's `-s 172.17.0.0/16 ! -o docker0 -j MASQUERADE` lists as
//! `! -s 100.111.99.107/16 ...` there and is never found by `-C`). A host
//! whose containers still run such releases can make rxtables write the
//! layout of 1.8.9 instead, which every 1.8.x reads.
//!
//! Clients call `iptables` without extra flags, so the choice is a file,
//! `/etc/rxtables.conf`, overridable per process by the environment:
//!
//! ```text
//! # /etc/rxtables.conf
//! layout = 1.8.9      # or 1.8.10 (the default: what 1.8.10 .. 1.8.13 write)
//! ```
//!
//! `RXTABLES_LAYOUT=1.8.9` (or `1.8.10`) overrides the file, and
//! `RXTABLES_CONF=PATH` reads another file instead.

use std::fmt;

/// The rule layout rxtables writes into the kernel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Layout {
    /// What iptables 1.8.10 to 1.8.13 write: base matches in the order
    /// source, destination, in-interface, out-interface, protocol; IPv4's
    /// `-p` as `payload ip protocol`; `-i +` as nothing.
    #[default]
    Current,
    /// What iptables 1.8.9 writes (`meta l4proto` for `-p`, interfaces
    /// first, `-i +` as a lone load), readable by 1.8.0 .. 1.8.9 as well —
    /// but never 1.8.9's wrong encoding of two inverted single ports.
    V1_8_9,
}

impl Layout {
    /// Reads a layout name as the setting spells it.
    pub fn from_name(s: &str) -> Option<Layout> {
        match s {
            "1.8.9" | "1.8.8" | "legacy" => Some(Layout::V1_8_9),
            "1.8.10" | "1.8.11" | "1.8.12" | "1.8.13" | "current" => Some(Layout::Current),
            _ => None,
        }
    }
}

impl fmt::Display for Layout {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Layout::Current => "1.8.10",
            Layout::V1_8_9 => "1.8.9",
        })
    }
}

/// The default place of the setting.
pub const CONF_PATH: &str = "/etc/rxtables.conf";
/// Environment variable naming another file.
pub const ENV_CONF: &str = "RXTABLES_CONF";
/// Environment variable that overrides the file's `layout`.
pub const ENV_LAYOUT: &str = "RXTABLES_LAYOUT";

/// The settings, as read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Config {
    /// which layout rules are written in
    pub layout: Layout,
}

/// A setting that cannot be read. Commands refuse to run rather than write
/// a layout the administrator did not ask for.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{source_name}{}: {what}", line.map(|l| format!(" line {l}")).unwrap_or_default())]
pub struct ConfigError {
    /// the file or variable the bad value came from
    pub source_name: String,
    /// the line in the file, if from a file
    pub line: Option<usize>,
    /// what is wrong
    pub what: String,
}

fn bad_layout(v: &str) -> String {
    format!("unknown layout `{v}' (known: 1.8.10, the default, and 1.8.9)")
}

/// Parses the text of a configuration file (`key = value` lines, `#`
/// comments, blank lines).
pub fn parse(text: &str, source_name: &str) -> Result<Config, ConfigError> {
    let mut c = Config::default();
    for (i, raw) in text.lines().enumerate() {
        let line = raw.split('#').next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        let err = |what: String| ConfigError {
            source_name: source_name.to_string(),
            line: Some(i + 1),
            what,
        };
        let Some((k, v)) = line.split_once('=') else {
            return Err(err(format!("expected `key = value', got `{line}'")));
        };
        match k.trim() {
            "layout" => {
                let v = v.trim();
                c.layout = Layout::from_name(v).ok_or_else(|| err(bad_layout(v)))?;
            }
            k => return Err(err(format!("unknown setting `{k}'"))),
        }
    }
    Ok(c)
}

/// Reads the settings of this process: the file (`$RXTABLES_CONF` or
/// [`CONF_PATH`]; a missing file means the defaults), then
/// `$RXTABLES_LAYOUT`.
pub fn load() -> Result<Config, ConfigError> {
    let path = std::env::var(ENV_CONF).unwrap_or_else(|_| CONF_PATH.to_string());
    let mut c = match std::fs::read(&path) {
        Ok(bytes) => parse(&String::from_utf8_lossy(&bytes), &path)?,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Config::default(),
        Err(e) => {
            return Err(ConfigError {
                source_name: path,
                line: None,
                what: e.to_string(),
            })
        }
    };
    if let Ok(v) = std::env::var(ENV_LAYOUT) {
        c.layout = Layout::from_name(v.trim()).ok_or_else(|| ConfigError {
            source_name: ENV_LAYOUT.to_string(),
            line: None,
            what: bad_layout(v.trim()),
        })?;
    }
    Ok(c)
}

/// How many threads (up to `max`, this one counted) have a core each
/// now: the cores less the other tasks runnable.
pub fn spare_threads(max: usize) -> usize {
    let cores = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .clamp(1, max.max(1));
    if cores == 1 {
        return 1;
    }
    // the tasks runnable now, this one included (`R/T` in /proc/loadavg)
    let runnable = std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|s| {
            s.split_whitespace()
                .nth(3)?
                .split('/')
                .next()?
                .parse::<usize>()
                .ok()
        })
        .unwrap_or(1);
    cores
        .saturating_sub(runnable.saturating_sub(1))
        .clamp(1, cores)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_layouts_and_comments() {
        let c = parse("# rxtables\n\n layout = 1.8.9 # old readers\n", "f").unwrap();
        assert_eq!(c.layout, Layout::V1_8_9);
        assert_eq!(parse("layout=1.8.13", "f").unwrap().layout, Layout::Current);
        assert_eq!(parse("", "f").unwrap(), Config::default());
    }

    #[test]
    fn bad_settings_name_their_line() {
        let e = parse("\nlayout = 1.7\n", "/etc/rxtables.conf").unwrap_err();
        assert_eq!(
            e.to_string(),
            "/etc/rxtables.conf line 2: unknown layout `1.7' (known: 1.8.10, the default, and 1.8.9)"
        );
        let e = parse("speed = fast", "f").unwrap_err();
        assert_eq!(e.to_string(), "f line 1: unknown setting `speed'");
        assert!(parse("layout", "f").is_err());
    }

    #[test]
    fn layout_names_round_trip() {
        for l in [Layout::Current, Layout::V1_8_9] {
            assert_eq!(Layout::from_name(&l.to_string()), Some(l));
        }
    }
}
