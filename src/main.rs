//! The multi-call binary: acts as `iptables`, `ip6tables`, their `-save`
//! and `-restore` by the name it is called as, or as `rxtables APPLET ...`.

use rxtables::applet::{self, Applet};
use rxtables::model::bytes::{from_bytes, to_bytes};
use std::io::Write;
use std::os::unix::ffi::OsStrExt;
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
    // Arguments are bytes (chain and interface names, comments): kept
    // whatever they are, see `model::bytes`.
    let mut args: Vec<String> = raw
        .iter()
        .map(|a| from_bytes(a.as_bytes()).into_owned())
        .collect();
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
        let _ = so.write_all(&to_bytes(&out)).and_then(|_| so.flush());
    }
    match err {
        None => ExitCode::SUCCESS,
        Some((msg, code)) => {
            if !msg.is_empty() {
                let mut e = std::io::stderr().lock();
                let _ = e
                    .write_all(&to_bytes(&msg))
                    .and_then(|_| e.write_all(b"\n"));
            }
            ExitCode::from(code as u8)
        }
    }
}
