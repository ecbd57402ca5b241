//! The multi-call binary: acts as `iptables`, `ip6tables`, their `-save`
//! and `-restore` by the name it is called as, or as `rxtables APPLET ...`.

// The program starts at C `main`, without the Rust runtime's start (see
// `rxtables::nft::sys::process_start`); the test harness has its own.
#![cfg_attr(not(test), no_main)]

use rxtables::applet::{self, Applet};
use rxtables::model::bytes::{from_bytes, to_bytes};
use std::io::Write;
use std::os::unix::ffi::OsStrExt;

fn applet_names() -> Vec<&'static str> {
    applet::NAMES.iter().rev().map(|(n, _)| *n).collect()
}

fn usage() -> String {
    rxtables::doc::help_text(&applet_names())
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

/// rxtables' own subcommands besides the applets and `install-links`
/// (`--help`, `--version`, the generators of docs/ and completions/,
/// `list-chains`); `None` if `sub` is none of them.
fn own_subcommand(sub: &str, rest: &[String]) -> Option<u8> {
    let fail = |msg: String| {
        eprintln!("rxtables: {msg}");
        1
    };
    Some(match (sub, rest) {
        ("--help" | "-h" | "help", _) => {
            print!("{}", usage());
            0
        }
        ("--version" | "-V", _) => {
            print!("{}", rxtables::doc::version_line());
            0
        }
        ("completion", [shell]) => {
            let names = applet_names();
            let text = match shell.as_str() {
                "bash" => rxtables::doc::complete::bash(&names),
                "zsh" => rxtables::doc::complete::zsh(&names),
                "fish" => rxtables::doc::complete::fish(&names),
                _ => {
                    return Some(fail(format!(
                        "completion: unknown shell `{shell}' (bash, zsh, fish)"
                    )))
                }
            };
            print!("{text}");
            0
        }
        ("gen-man", [dir]) => {
            let dir = std::path::Path::new(dir);
            let pages = [
                (
                    "rxtables.8",
                    rxtables::doc::man::rxtables_page(&applet_names()),
                ),
                (
                    "rxtables-extensions.8",
                    rxtables::doc::man::extensions_page(),
                ),
            ];
            for (name, text) in pages {
                let path = dir.join(name);
                if let Err(e) = std::fs::write(&path, text) {
                    return Some(fail(format!("{}: {e}", path.display())));
                }
            }
            0
        }
        ("list-chains", rest) => {
            let (family, table) = match rest {
                [t] => (rxtables::model::Family::V4, t),
                [six, t] if six == "-6" => (rxtables::model::Family::V6, t),
                _ => return Some(fail("usage: rxtables list-chains [-6] TABLE".into())),
            };
            match list_chains(family, table) {
                Ok(names) => {
                    let mut so = std::io::stdout().lock();
                    for n in names {
                        let _ = so
                            .write_all(&to_bytes(&n))
                            .and_then(|_| so.write_all(b"\n"));
                    }
                    0
                }
                Err(e) => fail(format!("list-chains: {e}")),
            }
        }
        ("completion" | "gen-man", _) => {
            eprint!("{}", usage());
            2
        }
        _ => return None,
    })
}

/// The chain names of one table, in kernel order: a chain dump only (no
/// rules), cheap on big rulesets, for shell completion.
fn list_chains(family: rxtables::model::Family, table: &str) -> anyhow::Result<Vec<String>> {
    let t = rxtables::model::Table::from_name(table)
        .ok_or_else(|| anyhow::anyhow!("unknown table `{table}'"))?;
    let sys = |e: rxtables::nft::sys::SysError| {
        anyhow::anyhow!("{}: {}", e.op, rxtables::nft::session::strerror(e.errno))
    };
    let mut nft = rxtables::nft::sys::Nft::open().map_err(sys)?;
    let chains = nft
        .chains(rxtables::nft::session::nfproto(family), t.name())
        .map_err(sys)?;
    Ok(chains.into_iter().map(|c| c.name).collect())
}

/// The C entry point: what the Rust runtime's start would do that
/// rxtables needs, then the program. (Arguments come from `std::env`.)
#[cfg(not(test))]
#[no_mangle]
extern "C" fn main(
    _argc: std::ffi::c_int,
    _argv: *const *const std::ffi::c_char,
) -> std::ffi::c_int {
    rxtables::nft::sys::process_start();
    // flushes standard output, then exits with the status
    std::process::exit(i32::from(run()))
}

#[cfg_attr(test, allow(dead_code))]
fn run() -> u8 {
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
            if let Some(code) = own_subcommand(&sub, &args[2.min(args.len())..]) {
                return code;
            }
            if sub == "install-links" {
                let Some(dir) = args.get(2) else {
                    eprint!("{}", usage());
                    return 2;
                };
                return match install_links(dir) {
                    Ok(()) => 0,
                    Err(e) => {
                        eprintln!("rxtables: {e}");
                        1
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
                    return 2;
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
        None => 0,
        Some((msg, code)) => {
            if !msg.is_empty() {
                let mut e = std::io::stderr().lock();
                let _ = e
                    .write_all(&to_bytes(&msg))
                    .and_then(|_| e.write_all(b"\n"));
            }
            code as u8
        }
    }
}
