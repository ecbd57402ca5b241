//! The multi-call binary: acts as `iptables`, `ip6tables`, their `-save`
//! and `-restore` by the name it is called as, or as `rxtables APPLET ...`.

use rxtables::applet::{self, Applet};
use std::io::Write;
use std::process::ExitCode;

fn usage() -> String {
    let names: Vec<&str> = applet::NAMES.iter().map(|(n, _)| *n).collect();
    format!(
        "usage: rxtables APPLET [ARGS...]\n       rxtables install-links DIR\napplets: {}\n",
        names.join(", ")
    )
}

fn install_links(dir: &str) -> anyhow::Result<()> {
    let exe = std::env::current_exe()?;
    for (name, _) in applet::NAMES {
        let link = std::path::Path::new(dir).join(name);
        let _ = std::fs::remove_file(&link);
        std::os::unix::fs::symlink(&exe, &link)
            .map_err(|e| anyhow::anyhow!("{}: {e}", link.display()))?;
    }
    Ok(())
}

fn main() -> ExitCode {
    let raw: Vec<std::ffi::OsString> = std::env::args_os().collect();
    let argv0 = raw
        .first()
        .map(|a| a.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut args: Vec<String> = Vec::with_capacity(raw.len());
    for a in &raw {
        match a.to_str() {
            Some(s) => args.push(s.to_string()),
            None => {
                // A parameter problem, never a panic: names that are not
                // UTF-8 are not supported yet (docs/differences.md).
                let prog = raw
                    .iter()
                    .take(2)
                    .find_map(|n| Applet::from_name(&n.to_string_lossy()))
                    .map(|a| a.prog())
                    .unwrap_or("rxtables");
                eprintln!(
                    "{prog} {}: argument `{}' is not valid UTF-8, which rxtables does not support yet\nTry `{prog} -h' or '{prog} --help' for more information.",
                    rxtables::error::VERSION,
                    a.to_string_lossy()
                );
                return ExitCode::from(2);
            }
        }
    }
    let applet = match Applet::from_name(&argv0) {
        Some(a) => {
            args.remove(0);
            a
        }
        None => {
            let sub = args.get(1).cloned().unwrap_or_default();
            if sub == "install-links" {
                let Some(dir) = args.get(2) else {
                    eprint!("{}", usage());
                    return ExitCode::from(2);
                };
                return match install_links(dir) {
                    Ok(()) => ExitCode::SUCCESS,
                    Err(e) => {
                        eprintln!("rxtables: {e}");
                        ExitCode::from(1)
                    }
                };
            }
            match Applet::from_name(&sub).filter(|_| {
                applet::NAMES
                    .iter()
                    .any(|(n, _)| *n == sub.replace("-nft", ""))
            }) {
                Some(a) => {
                    args.drain(..2);
                    a
                }
                None => {
                    eprint!("{}", usage());
                    return ExitCode::from(2);
                }
            }
        }
    };
    let (out, err) = applet::run(applet, &args);
    if !out.is_empty() {
        let mut so = std::io::stdout().lock();
        // A closed pipe (`iptables -S | head`) is not an error.
        let _ = so.write_all(out.as_bytes()).and_then(|_| so.flush());
    }
    match err {
        None => ExitCode::SUCCESS,
        Some((msg, code)) => {
            if !msg.is_empty() {
                eprintln!("{msg}");
            }
            ExitCode::from(code as u8)
        }
    }
}
