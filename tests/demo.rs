//! The README's example script, run command by command with the reference
//! (iptables 1.8.13) and with rxtables, each in its own fresh network
//! namespace: same exit statuses, same `iptables-nft-save` output after every
//! step, same error messages. Also runs `examples/demo.sh` itself.

mod common;
use common::*;

/// The example script (README, examples/demo.sh, issue 2), exactly.
const DEMO: &[&str] = &[
    "iptables -A INPUT -s 10.20.30.40/24 -p tcp --dport 22 -j ACCEPT",
    "iptables -A INPUT -s 10.10.10.10 -j DROP",
    "iptables -A OUTPUT -p tcp --dport 123 -j DROP",
    "iptables -A INPUT -p icmp -j DROP",
    "iptables -D INPUT -s 10.10.10.10 -j DROP",
    "iptables -F",
    "iptables -t nat -F",
    "iptables -N FOO",
    "iptables -X FOO",
    "iptables -t nat -H BAR",
    "iptables -t nat -a PREROUTING -i eth0 -p tcp --dport 80 -j ACCEPT",
];

/// The NAT lines of the README's example, which demo.sh applies after DEMO.
const DEMO_NAT: &[&str] = &[
    "iptables -t nat -A PREROUTING -d 1.2.3.4 -i eth0 -p tcp --dport 80 -j DNAT --to-destination 10.20.30.40:8080",
    "iptables -t nat -A POSTROUTING -o eth0 -s 192.168.1.2 -j SNAT --to-source 10.172.16.1",
    "iptables -t nat -A PREROUTING -i eth0 -p tcp --dport 80 -j REDIRECT --to-port 8080",
];

/// What iptables 1.8.13 exits with for each line (checked against the
/// reference run too, so a wrong table here is caught as a test bug).
const REF_STATUS: [i32; 11] = [0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 2];

/// The save output after the 4th command, as iptables 1.8.13 prints it.
const SAVE_AFTER_4: &str = "*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
-A INPUT -s 10.20.30.0/24 -p tcp -m tcp --dport 22 -j ACCEPT
-A INPUT -s 10.10.10.10/32 -j DROP
-A INPUT -p icmp -j DROP
-A OUTPUT -p tcp -m tcp --dport 123 -j DROP
COMMIT
";

/// The final save output of the script.
const SAVE_FINAL: &str = "*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
COMMIT
";

fn statuses(r: &Run) -> Vec<i32> {
    r.steps.iter().map(|s| s.status).collect()
}

#[test]
fn demo_exit_status_and_final_save_match_reference() {
    let (reference, ours) = run_both(DEMO, false);
    // The test itself: the reference does what this file says it does.
    assert_eq!(
        statuses(&reference),
        REF_STATUS,
        "reference statuses changed: test bug?"
    );
    assert_eq!(
        reference.save4, SAVE_FINAL,
        "reference final save changed: test bug?"
    );

    let mut f = Failures::new();
    for (r, o) in reference.steps.iter().zip(&ours.steps) {
        f.check(r.status == o.status, || {
            format!(
                "`{}`: exit status {} (reference {})\nstderr: {}",
                o.cmd, o.status, r.status, o.stderr
            )
        });
        f.check(o.stdout.is_empty(), || {
            format!("`{}`: printed on stdout: {:?}", o.cmd, o.stdout)
        });
    }
    f.check_eq("final iptables-nft-save", &reference.save4, &ours.save4);
    f.check_eq("final ip6tables-nft-save", &reference.save6, &ours.save6);
    f.finish("demo script");
}

#[test]
fn demo_save_after_every_step_matches_reference() {
    let (reference, ours) = run_both(DEMO, true);
    assert_eq!(
        reference.steps[3].save4.as_deref(),
        Some(SAVE_AFTER_4),
        "reference save after step 4 changed: test bug?"
    );
    let mut f = Failures::new();
    for (i, (r, o)) in reference.steps.iter().zip(&ours.steps).enumerate() {
        f.check_eq(
            &format!("step {} `{}`: iptables-nft-save afterwards", i + 1, o.cmd),
            r.save4.as_deref().unwrap(),
            o.save4.as_deref().unwrap(),
        );
        f.check_eq(
            &format!("step {} `{}`: ip6tables-nft-save afterwards", i + 1, o.cmd),
            r.save6.as_deref().unwrap(),
            o.save6.as_deref().unwrap(),
        );
    }
    f.finish("demo script, save after each step");
}

#[test]
fn demo_messages_match_reference() {
    let (reference, ours) = run_both(DEMO, false);
    // Known shape of the reference's messages for the two typo lines.
    let h = &reference.steps[9];
    assert_eq!(
        nonempty_lines(&h.stderr)
            .iter()
            .map(|l| normalize_version(l))
            .collect::<Vec<_>>(),
        vec![
            "iptables vX (nf_tables): unknown option \"-H\"".to_string(),
            TRY_LINE.to_string()
        ],
        "reference message for -H changed: test bug?"
    );

    let mut f = Failures::new();
    for (r, o) in reference.steps.iter().zip(&ours.steps) {
        let rl = nonempty_lines(&r.stderr);
        let ol: Vec<&str> = o.stderr.lines().collect();
        if rl.is_empty() {
            // A successful change prints nothing (Docker treats output as failure).
            f.check(o.stderr.is_empty(), || {
                format!("`{}`: unexpected stderr {:?}", o.cmd, o.stderr)
            });
            continue;
        }
        f.check(!o.stderr.contains("panicked"), || {
            format!("`{}`: panic: {}", o.cmd, o.stderr)
        });
        f.check(ol.len() == rl.len(), || {
            format!(
                "`{}`: {} stderr line(s), reference {}:\n{}\nreference:\n{}",
                o.cmd,
                ol.len(),
                rl.len(),
                o.stderr,
                r.stderr
            )
        });
        // First line: the message (ours may add "; did you mean ...?").
        let (rm, om) = (
            message_core(rl[0]),
            ol.first().map(|l| message_core(l)).unwrap_or_default(),
        );
        f.check(rm == om, || {
            format!(
                "`{}`: first stderr line\n  reference: {}\n  rxtables:  {}",
                o.cmd, rm, om
            )
        });
        // Following lines (the `Try ...` line) exactly.
        for (k, rline) in rl.iter().enumerate().skip(1) {
            f.check(ol.get(k) == Some(rline), || {
                format!(
                    "`{}`: stderr line {}\n  reference: {}\n  rxtables:  {:?}",
                    o.cmd,
                    k + 1,
                    rline,
                    ol.get(k)
                )
            });
        }
    }
    f.finish("demo script messages");
}

/// `examples/demo.sh` (what the README runs) works and prints the same final
/// ruleset as the reference gives for the script.
#[test]
fn examples_demo_sh_prints_reference_result() {
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/demo.sh");
    assert!(script.exists(), "{} is missing", script.display());
    // demo.sh puts itself into a throwaway namespace with `unshare -n`.
    let out = std::process::Command::new("bash")
        .arg(&script)
        .env("RXTABLES", bin())
        .stdin(std::process::Stdio::null())
        .output()
        .expect("run examples/demo.sh");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "demo.sh failed: {:?}\n{stdout}\n{stderr}",
        out.status
    );
    // Everything after the `$ iptables-save` marker is rxtables' save output.
    let marker = "$ iptables-save\n";
    let i = stdout
        .find(marker)
        .unwrap_or_else(|| panic!("no `{marker}` in demo output:\n{stdout}"));
    let saved = strip_save_comments(&stdout[i + marker.len()..]);
    // demo.sh also applies the NAT lines of the README's example (issue 3);
    // the reference, given the same script, is the expected result.
    let mut script: Vec<&str> = DEMO.to_vec();
    script.extend_from_slice(DEMO_NAT);
    let reference = run_seq(Impl::Reference, &script, false);
    let expected = reference.save4.clone();
    assert!(
        expected.contains("-j DNAT"),
        "reference run failed:\n{expected}"
    );
    assert_eq!(
        saved,
        expected,
        "demo.sh's save output (- expected, + got):\n{}",
        diff(&expected, &saved)
    );
    // Each command is echoed, and the two typo lines report exit status 2.
    for c in DEMO {
        assert!(
            stdout.contains(&format!("$ {c}\n")),
            "demo output lacks `$ {c}`:\n{stdout}"
        );
    }
    assert_eq!(
        stdout.matches("(exit status 2)").count(),
        2,
        "demo output:\n{stdout}\n{stderr}"
    );
}

/// The lab examples (`examples/{port-forward,host-firewall,container-bridge}.sh`)
/// build their own namespaces, apply rules with rxtables and check real
/// traffic; each exits non-zero when one of its checks fails.
#[test]
fn lab_examples_pass_their_checks() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
    for name in ["port-forward.sh", "host-firewall.sh", "container-bridge.sh"] {
        let out = std::process::Command::new("bash")
            .arg(dir.join(name))
            .env("RXTABLES", bin())
            .stdin(std::process::Stdio::null())
            .output()
            .unwrap_or_else(|e| panic!("run examples/{name}: {e}"));
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "examples/{name} failed: {:?}\n{stdout}\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            stdout.contains("PASS: ") && !stdout.contains("FAIL: "),
            "examples/{name} checked nothing or failed a check:\n{stdout}"
        );
    }
}
