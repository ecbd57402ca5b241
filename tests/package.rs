//! The Debian package (`cargo deb`, metadata in Cargo.toml, maintainer
//! scripts in `debian/`): built, unpacked into a scratch root, and its
//! maintainer scripts run as dpkg runs them (`postinst configure`, `prerm
//! remove`) with every `update-alternatives` call confined to that root
//! (`--root`, through a wrapper first on the scripts' `PATH`). The
//! machine's own alternatives and files are never touched.
//!
//! The scratch root first gets Debian's iptables registrations (nft at 20,
//! legacy at 10, with the same slaves, as iptables' postinst makes them,
//! for stand-in programs), so the test sees what a Debian 12 machine sees:
//! rxtables registered below both, `--set` switching to it and back, and
//! removal restoring the previous choice.
//!
//! Needs `cargo-deb` (`.ci/run` installs it). Outside CI the test is
//! skipped, saying so, when cargo-deb is missing; in CI it fails.

mod common;
use common::TempDir;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;

const FAMILIES: [&str; 2] = ["iptables", "ip6tables"];

fn run(cmd: &mut Command) -> Output {
    let out = cmd
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("run {cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed: {:?}\nstdout:\n{}\nstderr:\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn text(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The package, built once per test run with `cargo deb` into
/// `CARGO_TARGET_TMPDIR/package-deb`; `None` (tests skipped) only outside
/// CI when cargo-deb is not installed.
fn deb() -> Option<&'static Path> {
    static DEB: OnceLock<Option<PathBuf>> = OnceLock::new();
    DEB.get_or_init(build_deb).as_deref()
}

fn build_deb() -> Option<PathBuf> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let have = Command::new(&cargo)
        .args(["deb", "--version"])
        .stdin(Stdio::null())
        .output()
        .is_ok_and(|o| o.status.success());
    if !have {
        assert!(
            std::env::var_os("CI").is_none(),
            "cargo-deb is not installed, and CI must test the package (.ci/run installs it)"
        );
        eprintln!(
            "SKIPPED: cargo-deb is not installed (cargo install cargo-deb --version 3.8.0 --locked)"
        );
        return None;
    }
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("package-deb");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("mkdir package-deb");
    let mut cmd = Command::new(&cargo);
    cmd.arg("deb").arg("--fast").arg("-o").arg(&dir);
    // A release test run has just built target/release/rxtables: package
    // that one (a build here would redo it with other features).
    if !cfg!(debug_assertions) {
        cmd.arg("--no-build");
    }
    cmd.current_dir(env!("CARGO_MANIFEST_DIR"));
    run(&mut cmd);
    let deb = std::fs::read_dir(&dir)
        .expect("read package-deb")
        .flatten()
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|x| x == "deb"))
        .expect("cargo deb made no .deb");
    Some(deb)
}

/// A scratch root with `update-alternatives` confined to it.
struct Root {
    dir: TempDir,
    /// the unpacked control files (postinst, prerm)
    ctl: PathBuf,
    /// holds the `update-alternatives` wrapper
    wrap: PathBuf,
}

impl Root {
    fn new(deb: &Path, tag: &str) -> Root {
        let dir = TempDir::new(tag);
        let r = dir.path().join("root");
        let ctl = dir.path().join("control");
        let wrap = dir.path().join("bin");
        for d in [
            r.join("etc/alternatives"),
            r.join("var/lib/dpkg/alternatives"),
            r.join("usr/sbin"),
            wrap.clone(),
        ] {
            std::fs::create_dir_all(&d).expect("mkdir");
        }
        run(Command::new("dpkg-deb").arg("-x").arg(deb).arg(&r));
        run(Command::new("dpkg-deb").arg("-e").arg(deb).arg(&ctl));
        let w = wrap.join("update-alternatives");
        std::fs::write(
            &w,
            format!(
                "#!/bin/sh\nexec /usr/bin/update-alternatives --root '{}' \"$@\"\n",
                r.display()
            ),
        )
        .expect("write wrapper");
        std::fs::set_permissions(&w, std::fs::Permissions::from_mode(0o755)).expect("chmod");
        Root { dir, ctl, wrap }
    }

    fn path(&self) -> PathBuf {
        self.dir.path().join("root")
    }

    /// `update-alternatives ARGS` in the scratch root.
    fn ua(&self, args: &[&str]) -> String {
        text(&run(Command::new("/usr/bin/update-alternatives")
            .arg("--root")
            .arg(self.path())
            .args(args)))
    }

    /// Runs maintainer script `name` with `arg`, as dpkg does, with the
    /// confined update-alternatives first on PATH.
    fn script(&self, name: &str, arg: &str) -> String {
        let path = format!(
            "{}:{}",
            self.wrap.display(),
            std::env::var("PATH").unwrap_or_else(|_| "/usr/sbin:/usr/bin:/sbin:/bin".into())
        );
        let out = run(Command::new("sh")
            .arg(self.ctl.join(name))
            .arg(arg)
            .env("PATH", path));
        text(&out) + &String::from_utf8_lossy(&out.stderr)
    }

    /// Debian 12 iptables' registrations (iptables.postinst), for stand-in
    /// programs that print their name.
    fn debian_iptables(&self) {
        for (variant, prio) in [("legacy", "10"), ("nft", "20")] {
            for fam in FAMILIES {
                for suffix in ["", "-save", "-restore"] {
                    let p = self
                        .path()
                        .join(format!("usr/sbin/{fam}-{variant}{suffix}"));
                    std::fs::write(&p, format!("#!/bin/sh\necho {fam}-{variant}{suffix}\n"))
                        .expect("write stand-in");
                    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755))
                        .expect("chmod");
                }
                self.ua(&[
                    "--install",
                    &format!("/usr/sbin/{fam}"),
                    fam,
                    &format!("/usr/sbin/{fam}-{variant}"),
                    prio,
                    "--slave",
                    &format!("/usr/sbin/{fam}-restore"),
                    &format!("{fam}-restore"),
                    &format!("/usr/sbin/{fam}-{variant}-restore"),
                    "--slave",
                    &format!("/usr/sbin/{fam}-save"),
                    &format!("{fam}-save"),
                    &format!("/usr/sbin/{fam}-{variant}-save"),
                ]);
            }
        }
    }

    /// Where `/etc/alternatives/NAME` points.
    fn chosen(&self, name: &str) -> String {
        std::fs::read_link(self.path().join("etc/alternatives").join(name))
            .unwrap_or_else(|e| panic!("readlink etc/alternatives/{name}: {e}"))
            .display()
            .to_string()
    }

    /// `Status:` and `Value:` of `--query NAME`.
    fn state(&self, name: &str) -> (String, String) {
        let q = self.ua(&["--query", name]);
        let field = |f: &str| {
            q.lines()
                .find_map(|l| l.strip_prefix(f))
                .unwrap_or_else(|| panic!("no {f} in --query {name}:\n{q}"))
                .trim()
                .to_string()
        };
        (field("Status:"), field("Value:"))
    }

    /// The priority of `alt` in `--query NAME`, if registered.
    fn priority(&self, name: &str, alt: &str) -> Option<u32> {
        let q = self.ua(&["--query", name]);
        let block = q
            .split("\n\n")
            .find(|b| b.contains(&format!("Alternative: {alt}\n")))?;
        block
            .lines()
            .find_map(|l| l.strip_prefix("Priority: "))
            .and_then(|p| p.trim().parse().ok())
    }

    /// Follows `path`'s symlinks inside the scratch root (absolute targets
    /// are taken from the root).
    fn resolve(&self, path: &str) -> PathBuf {
        let mut p = PathBuf::from(path);
        for _ in 0..10 {
            let host = self.path().join(p.strip_prefix("/").unwrap_or(&p));
            match std::fs::read_link(&host) {
                Ok(t) if t.is_absolute() => p = t,
                Ok(t) => p = p.parent().unwrap_or(Path::new("/")).join(t),
                Err(_) => return host,
            }
        }
        panic!("{path}: too many links");
    }

    /// Runs what `/usr/sbin/NAME` of the root leads to, called as NAME
    /// (as a shell would), with `-V`: its first output line.
    fn version_of(&self, name: &str) -> String {
        let exe = self.resolve(&format!("/usr/sbin/{name}"));
        let out = run(Command::new("unshare")
            .args(["-n", "--", "bash", "-c", "exec -a \"$1\" \"$0\" -V"])
            .arg(&exe)
            .arg(name));
        let out = text(&out);
        out.lines().next().unwrap_or("").to_string()
    }
}

/// The files the package carries: the binary, the six applet names the
/// alternatives point at (links to it, each acting as its applet), and
/// the manual pages and completions the repository has.
#[test]
fn package_contents() {
    let Some(deb) = deb() else {
        return;
    };
    let root = Root::new(deb, "contents");
    let r = root.path();
    let bin = r.join("usr/sbin/rxtables");
    let meta = std::fs::metadata(&bin).expect("usr/sbin/rxtables in the package");
    assert!(meta.is_file() && meta.permissions().mode() & 0o111 != 0);
    for fam in FAMILIES {
        for suffix in ["", "-save", "-restore"] {
            let name = format!("{fam}-rxtables{suffix}");
            let link = std::fs::read_link(r.join("usr/sbin").join(&name))
                .unwrap_or_else(|e| panic!("usr/sbin/{name}: {e}"));
            assert_eq!(link, Path::new("rxtables"), "{name}");
            // called by that name, it is that applet
            let v = text(&run(Command::new("unshare")
                .args(["-n", "--"])
                .arg(r.join("usr/sbin").join(&name))
                .arg("-V")));
            assert_eq!(
                v.trim(),
                format!("{fam}{suffix} v1.8.13 (nf_tables)"),
                "{name} -V"
            );
        }
    }
    // Whatever manual pages and completions the repository has are in the
    // package where man and the shells look for them.
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut expected: Vec<(PathBuf, String)> = Vec::new();
    if let Ok(rd) = std::fs::read_dir(repo.join("docs")) {
        for e in rd.flatten() {
            let n = e.file_name().to_string_lossy().into_owned();
            if n.ends_with(".8") {
                expected.push((e.path(), format!("usr/share/man/man8/{n}")));
            }
        }
    }
    for (src, dest) in [
        (
            "completions/rxtables.bash",
            "usr/share/bash-completion/completions/rxtables",
        ),
        (
            "completions/_rxtables",
            "usr/share/zsh/vendor-completions/_rxtables",
        ),
        (
            "completions/rxtables.fish",
            "usr/share/fish/vendor_completions.d/rxtables.fish",
        ),
    ] {
        if repo.join(src).exists() {
            expected.push((repo.join(src), dest.to_string()));
        }
    }
    for (src, dest) in &expected {
        let plain = r.join(dest);
        let gz = r.join(format!("{dest}.gz"));
        assert!(
            plain.exists() || gz.exists(),
            "{} is not in the package as /{dest}",
            src.display()
        );
    }
    eprintln!("checked {} manual pages and completions", expected.len());
    let control = text(&run(Command::new("dpkg-deb").arg("-f").arg(deb)));
    assert!(control.contains("Package: rxtables"), "{control}");
    assert!(
        control.contains("libnftnl"),
        "Depends names libnftnl:\n{control}"
    );
}

/// Install (postinst configure), switch, switch back, remove (prerm
/// remove): rxtables sits below nft and legacy, `--set` selects it for
/// all three names of a family, and removal goes back to the choice before.
#[test]
fn alternatives_install_switch_remove() {
    let Some(deb) = deb() else {
        return;
    };
    let root = Root::new(deb, "alts");
    root.debian_iptables();
    for fam in FAMILIES {
        assert_eq!(
            root.state(fam),
            ("auto".into(), format!("/usr/sbin/{fam}-nft"))
        );
    }

    // install; a second configure (an upgrade) changes nothing
    root.script("postinst", "configure");
    root.script("postinst", "configure");
    for fam in FAMILIES {
        let ours = format!("/usr/sbin/{fam}-rxtables");
        let p = root.priority(fam, &ours).expect("rxtables registered");
        let nft = root.priority(fam, &format!("/usr/sbin/{fam}-nft")).unwrap();
        let legacy = root
            .priority(fam, &format!("/usr/sbin/{fam}-legacy"))
            .unwrap();
        assert!(p < legacy && legacy < nft, "{fam}: {p} {legacy} {nft}");
        // a lower priority: installing it switches nothing
        assert_eq!(
            root.state(fam),
            ("auto".into(), format!("/usr/sbin/{fam}-nft"))
        );
        let q = root.ua(&["--query", fam]);
        for s in ["-save", "-restore"] {
            assert!(
                q.contains(&format!(" {fam}{s} /usr/sbin/{fam}-rxtables{s}\n")),
                "{fam}{s} slave:\n{q}"
            );
        }
        assert_eq!(root.version_of(fam), format!("{fam}-nft"));
    }

    // switch to rxtables: the command and its -save and -restore
    for fam in FAMILIES {
        root.ua(&["--set", fam, &format!("/usr/sbin/{fam}-rxtables")]);
        assert_eq!(
            root.state(fam),
            ("manual".into(), format!("/usr/sbin/{fam}-rxtables"))
        );
        for s in ["", "-save", "-restore"] {
            assert_eq!(
                root.chosen(&format!("{fam}{s}")),
                format!("/usr/sbin/{fam}-rxtables{s}")
            );
            let name = format!("{fam}{s}");
            assert_eq!(
                root.version_of(&name),
                format!("{name} v1.8.13 (nf_tables)")
            );
        }
    }
    // and back, and to it again
    root.ua(&["--set", "iptables", "/usr/sbin/iptables-nft"]);
    assert_eq!(root.chosen("iptables-save"), "/usr/sbin/iptables-nft-save");
    assert_eq!(root.version_of("iptables"), "iptables-nft");
    root.ua(&["--set", "iptables", "/usr/sbin/iptables-rxtables"]);
    assert_eq!(root.chosen("iptables"), "/usr/sbin/iptables-rxtables");

    // an upgrade's prerm keeps the registration
    root.script("prerm", "upgrade");
    assert_eq!(
        root.state("iptables"),
        ("manual".into(), "/usr/sbin/iptables-rxtables".into())
    );

    // removal: back to the machine's choice before rxtables (automatic: nft)
    root.script("prerm", "remove");
    for fam in FAMILIES {
        assert_eq!(
            root.priority(fam, &format!("/usr/sbin/{fam}-rxtables")),
            None
        );
        assert_eq!(
            root.state(fam),
            ("auto".into(), format!("/usr/sbin/{fam}-nft"))
        );
        for s in ["", "-save", "-restore"] {
            assert_eq!(
                root.chosen(&format!("{fam}{s}")),
                format!("/usr/sbin/{fam}-nft{s}")
            );
        }
    }
}

/// A machine set to legacy by hand keeps that choice through installing
/// and removing rxtables.
#[test]
fn alternatives_keep_a_manual_choice() {
    let Some(deb) = deb() else {
        return;
    };
    let root = Root::new(deb, "manual");
    root.debian_iptables();
    root.ua(&["--set", "iptables", "/usr/sbin/iptables-legacy"]);
    root.script("postinst", "configure");
    let legacy = (
        "manual".to_string(),
        "/usr/sbin/iptables-legacy".to_string(),
    );
    assert_eq!(root.state("iptables"), legacy);
    assert!(root
        .priority("iptables", "/usr/sbin/iptables-rxtables")
        .is_some());
    root.script("prerm", "remove");
    assert_eq!(root.state("iptables"), legacy);
    assert_eq!(
        root.chosen("iptables-save"),
        "/usr/sbin/iptables-legacy-save"
    );
    assert_eq!(
        root.state("ip6tables"),
        ("auto".into(), "/usr/sbin/ip6tables-nft".into())
    );
}
