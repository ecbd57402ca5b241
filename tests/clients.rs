//! The command streams of real clients, run once with iptables 1.8.13 and
//! once with rxtables, each in a fresh namespace: every step must end with
//! the same exit status, the same output and messages, and the same ruleset
//! (the reference's `iptables-save` after every step).
//!
//! - Docker's bridge driver (libnetwork's iptables code, Docker 25-28): the
//!   start-up clean-up of an earlier daemon's rules (`-D`s that fail), chain
//!   probes with `-n -L CHAIN`, `-C` before every `-I`/`-A`, the bridge's
//!   rules, a published port, and its removal.
//! - fail2ban's iptables-multiport action (both families): its chain, the
//!   jump with `-m multiport`, bans and unbans with `-C` checks, and the
//!   tear-down.
//! - ufw: its boot-time `iptables-restore -n` of its chains (conntrack,
//!   limit, LOG, recent, addrtype) and a rule added and deleted later.
//! - kube-proxy's iptables mode (1.28+): the jump rules it ensures with
//!   `-C` then `-I`, a full sync with `iptables-restore --noflush --counters`
//!   (every chain of its own declared, so flushed), then a partial sync that
//!   rewrites one service and deletes an endpoint's chain.

mod common;

use common::*;

/// Runs `cmds` with both and reports every step that differs.
fn same_as_reference(title: &str, cmds: &[&str]) -> Run {
    let (r, o) = run_both(cmds, true);
    let mut f = Failures::new();
    for (a, b) in r.steps.iter().zip(&o.steps) {
        let what = format!("step `{}`", a.cmd);
        f.check_eq(
            &format!("{what}: exit status"),
            &a.status.to_string(),
            &b.status.to_string(),
        );
        f.check_eq(
            &format!("{what}: stdout"),
            &strip_save_comments(&a.stdout),
            &strip_save_comments(&b.stdout),
        );
        f.check_eq(&format!("{what}: stderr"), &a.stderr, &b.stderr);
        f.check_eq(
            &format!("{what}: iptables-save after it"),
            a.save4.as_deref().unwrap_or_default(),
            b.save4.as_deref().unwrap_or_default(),
        );
        f.check_eq(
            &format!("{what}: ip6tables-save after it"),
            a.save6.as_deref().unwrap_or_default(),
            b.save6.as_deref().unwrap_or_default(),
        );
    }
    // the stream must really build something (not a run of failures):
    // the most rules any step left, both families
    let built = |save: &Option<String>| {
        save.as_deref()
            .map_or(0, |t| t.lines().filter(|l| l.starts_with("-A")).count())
    };
    let most = r
        .steps
        .iter()
        .map(|s| built(&s.save4) + built(&s.save6))
        .max();
    f.check(most.unwrap_or(0) >= 5, || {
        format!(
            "the reference built almost nothing:\n{}{}",
            r.save4, r.save6
        )
    });
    f.finish(title);
    r
}

/// Docker's bridge driver for `docker0` (172.17.0.0/16) and a container
/// 172.17.0.2 publishing port 80 as 8080, then unpublishing it.
#[test]
fn docker_bridge_driver() {
    let w = "iptables --wait";
    let mut cmds: Vec<String> = vec![
        "iptables --version".into(),
        // clean-up of what an earlier daemon may have left (all fail here)
        format!("{w} -t nat -D PREROUTING -m addrtype --dst-type LOCAL -j DOCKER"),
        format!("{w} -t nat -D OUTPUT -m addrtype --dst-type LOCAL ! --dst 127.0.0.0/8 -j DOCKER"),
        format!("{w} -t nat -D OUTPUT -m addrtype --dst-type LOCAL -j DOCKER"),
        format!("{w} -t nat -D PREROUTING"),
        format!("{w} -t nat -D OUTPUT"),
        format!("{w} -t nat -F DOCKER"),
        format!("{w} -t nat -X DOCKER"),
        format!("{w} -t filter -F DOCKER"),
        format!("{w} -t filter -X DOCKER"),
        format!("{w} -t filter -F DOCKER-ISOLATION-STAGE-1"),
        format!("{w} -t filter -X DOCKER-ISOLATION-STAGE-1"),
        format!("{w} -t filter -F DOCKER-ISOLATION-STAGE-2"),
        format!("{w} -t filter -X DOCKER-ISOLATION-STAGE-2"),
    ];
    // chains: probe, then create
    for (t, c) in [
        ("nat", "DOCKER"),
        ("filter", "DOCKER"),
        ("filter", "DOCKER-ISOLATION-STAGE-1"),
        ("filter", "DOCKER-ISOLATION-STAGE-2"),
    ] {
        cmds.push(format!("{w} -t {t} -n -L {c}"));
        cmds.push(format!("{w} -t {t} -N {c}"));
    }
    // check, then add: (table, add command, rule)
    let ensure: &[(&str, &str, &str)] = &[
        ("filter", "-A DOCKER-ISOLATION-STAGE-1", "-j RETURN"),
        ("filter", "-A DOCKER-ISOLATION-STAGE-2", "-j RETURN"),
        (
            "nat",
            "-A PREROUTING",
            "-m addrtype --dst-type LOCAL -j DOCKER",
        ),
        (
            "nat",
            "-A OUTPUT",
            "-m addrtype --dst-type LOCAL -j DOCKER ! --dst 127.0.0.0/8",
        ),
        (
            "nat",
            "-I POSTROUTING",
            "-s 172.17.0.0/16 ! -o docker0 -j MASQUERADE",
        ),
        ("nat", "-I DOCKER", "-i docker0 -j RETURN"),
        ("filter", "-I FORWARD", "-i docker0 -o docker0 -j ACCEPT"),
        ("filter", "-I FORWARD", "-i docker0 ! -o docker0 -j ACCEPT"),
        ("filter", "-I FORWARD", "-o docker0 -j DOCKER"),
        (
            "filter",
            "-I FORWARD",
            "-o docker0 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT",
        ),
        ("filter", "-I FORWARD", "-j DOCKER-ISOLATION-STAGE-1"),
        (
            "filter",
            "-I DOCKER-ISOLATION-STAGE-1",
            "-i docker0 ! -o docker0 -j DOCKER-ISOLATION-STAGE-2",
        ),
        (
            "filter",
            "-I DOCKER-ISOLATION-STAGE-2",
            "-o docker0 -j DROP",
        ),
    ];
    let check_then = |cmds: &mut Vec<String>, t: &str, add: &str, rule: &str| {
        let chain = add.split_whitespace().nth(1).unwrap_or_default();
        cmds.push(format!("{w} -t {t} -C {chain} {rule}"));
        cmds.push(format!("{w} -t {t} {add} {rule}"));
        // the second ensure finds it
        cmds.push(format!("{w} -t {t} -C {chain} {rule}"));
    };
    cmds.push(format!("{w} -D FORWARD -i docker0 -o docker0 -j DROP"));
    for (t, add, rule) in ensure {
        check_then(&mut cmds, t, add, rule);
    }
    // DOCKER-USER, re-jumped at the top of FORWARD
    cmds.push(format!("{w} -t filter -n -L DOCKER-USER"));
    cmds.push(format!("{w} -t filter -N DOCKER-USER"));
    check_then(&mut cmds, "filter", "-A DOCKER-USER", "-j RETURN");
    cmds.push(format!("{w} -t filter -C FORWARD -j DOCKER-USER"));
    cmds.push(format!("{w} -t filter -D FORWARD -j DOCKER-USER"));
    cmds.push(format!("{w} -t filter -I FORWARD -j DOCKER-USER"));
    // a published port
    let publish: &[(&str, &str, &str)] = &[
        (
            "nat",
            "-A DOCKER",
            "-p tcp -d 0/0 --dport 8080 -j DNAT --to-destination 172.17.0.2:80 ! -i docker0",
        ),
        (
            "filter",
            "-A DOCKER",
            "! -i docker0 -o docker0 -p tcp -d 172.17.0.2 --dport 80 -j ACCEPT",
        ),
        (
            "nat",
            "-A POSTROUTING",
            "-p tcp -s 172.17.0.2 -d 172.17.0.2 --dport 80 -j MASQUERADE",
        ),
    ];
    for (t, add, rule) in publish {
        check_then(&mut cmds, t, add, rule);
    }
    cmds.push(format!("{w} -t nat -n -L DOCKER"));
    cmds.push(format!("{w} -t filter -n -v -x -L DOCKER"));
    // the container stops
    for (t, add, rule) in publish {
        let chain = add.split_whitespace().nth(1).unwrap_or_default();
        cmds.push(format!("{w} -t {t} -D {chain} {rule}"));
        cmds.push(format!("{w} -t {t} -C {chain} {rule}"));
    }
    let refs: Vec<&str> = cmds.iter().map(String::as_str).collect();
    let r = same_as_reference("Docker's bridge driver", &refs);
    assert!(
        r.save4
            .contains("-A DOCKER-ISOLATION-STAGE-2 -o docker0 -j DROP")
            && !r.save4.contains("8080"),
        "{}",
        r.save4
    );
}

/// fail2ban's `iptables-multiport` action for a jail `sshd`, as it runs it
/// (`iptables -w`), IPv4 and IPv6.
#[test]
fn fail2ban_multiport_action() {
    let mut cmds: Vec<String> = Vec::new();
    for (tool, ban, ban2) in [
        ("iptables", "192.0.2.7", "198.51.100.0/24"),
        ("ip6tables", "2001:db8::7", "2001:db8:1::/48"),
    ] {
        let t = format!("{tool} -w");
        // actionstart
        cmds.push(format!("{t} -N f2b-sshd"));
        cmds.push(format!("{t} -A f2b-sshd -j RETURN"));
        cmds.push(format!(
            "{t} -I INPUT -p tcp -m multiport --dports ssh,2222 -j f2b-sshd"
        ));
        // actioncheck, then bans (actionban), one twice
        for ip in [ban, ban2, ban] {
            cmds.push(format!("{t} -n -L INPUT"));
            cmds.push(format!(
                "{t} -C f2b-sshd -s {ip} -j REJECT --reject-with {}",
                if tool == "iptables" {
                    "icmp-port-unreachable"
                } else {
                    "icmp6-port-unreachable"
                }
            ));
            cmds.push(format!(
                "{t} -I f2b-sshd 1 -s {ip} -j REJECT --reject-with {}",
                if tool == "iptables" {
                    "icmp-port-unreachable"
                } else {
                    "icmp6-port-unreachable"
                }
            ));
        }
        cmds.push(format!("{t} -n -v -L f2b-sshd --line-numbers"));
        // actionunban (the first ban twice: the second fails)
        for ip in [ban, ban, ban2] {
            cmds.push(format!(
                "{t} -D f2b-sshd -s {ip} -j REJECT --reject-with {}",
                if tool == "iptables" {
                    "icmp-port-unreachable"
                } else {
                    "icmp6-port-unreachable"
                }
            ));
        }
        cmds.push(format!("{t} -S f2b-sshd"));
    }
    // actionstop of the IPv4 jail (the IPv6 one stays)
    cmds.push("iptables -w -D INPUT -p tcp -m multiport --dports ssh,2222 -j f2b-sshd".into());
    cmds.push("iptables -w -F f2b-sshd".into());
    cmds.push("iptables -w -X f2b-sshd".into());
    let refs: Vec<&str> = cmds.iter().map(String::as_str).collect();
    let r = same_as_reference("fail2ban's multiport action", &refs);
    // the bans were really there at some step
    let banned = r.steps.iter().any(|s| {
        s.save6
            .as_deref()
            .is_some_and(|t| t.contains("-A f2b-sshd -s 2001:db8::7/128 -j REJECT"))
    });
    assert!(banned, "{}", r.save6);
}

/// ufw at boot: `iptables-restore -n` of its chains, then `ufw allow` and
/// `ufw delete allow` of a port, as its backend issues them.
#[test]
fn ufw_boot_and_rule() {
    let dir = TempDir::new("ufw");
    let boot = dir.path().join("boot");
    std::fs::write(&boot, UFW_BOOT).expect("write ufw rules");
    let mut cmds: Vec<String> = Vec::new();
    for c in [
        "ufw-before-input",
        "ufw-after-input",
        "ufw-user-input",
        "ufw-logging-deny",
        "ufw-not-local",
        "ufw-user-limit",
        "ufw-user-limit-accept",
    ] {
        cmds.push(format!("iptables -N {c}"));
    }
    cmds.push("iptables -A INPUT -j ufw-before-input".into());
    cmds.push("iptables -A INPUT -j ufw-after-input".into());
    cmds.push(format!("iptables-restore -n {}", boot.display()));
    let allow = "ufw-user-input -p tcp --dport 8080 -j ACCEPT";
    cmds.push(format!("iptables -C {allow}"));
    cmds.push(format!("iptables -I {allow}"));
    cmds.push("iptables -L ufw-user-input -n -v".into());
    cmds.push(format!("iptables -D {allow}"));
    let refs: Vec<&str> = cmds.iter().map(String::as_str).collect();
    let r = same_as_reference("ufw", &refs);
    assert!(r.save4.contains("[UFW LIMIT BLOCK] "), "{}", r.save4);
}

/// ufw's rules (before.rules and user.rules, shortened), restored with -n.
const UFW_BOOT: &str = "*filter
:ufw-before-input - [0:0]
:ufw-after-input - [0:0]
:ufw-user-input - [0:0]
:ufw-logging-deny - [0:0]
:ufw-not-local - [0:0]
:ufw-user-limit - [0:0]
:ufw-user-limit-accept - [0:0]
-A ufw-before-input -i lo -j ACCEPT
-A ufw-before-input -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A ufw-before-input -m conntrack --ctstate INVALID -j ufw-logging-deny
-A ufw-before-input -m conntrack --ctstate INVALID -j DROP
-A ufw-before-input -p icmp --icmp-type destination-unreachable -j ACCEPT
-A ufw-before-input -p icmp --icmp-type echo-request -j ACCEPT
-A ufw-before-input -p udp --sport 67 --dport 68 -j ACCEPT
-A ufw-before-input -j ufw-not-local
-A ufw-before-input -d 224.0.0.251/32 -p udp --dport 5353 -j ACCEPT
-A ufw-before-input -j ufw-user-input
-A ufw-not-local -m addrtype --dst-type LOCAL -j RETURN
-A ufw-not-local -m addrtype --dst-type MULTICAST -j RETURN
-A ufw-not-local -m addrtype --dst-type BROADCAST -j RETURN
-A ufw-not-local -m limit --limit 3/min --limit-burst 10 -j ufw-logging-deny
-A ufw-not-local -j DROP
-A ufw-logging-deny -m conntrack --ctstate INVALID -m limit --limit 3/min --limit-burst 10 -j RETURN
-A ufw-logging-deny -m limit --limit 3/min --limit-burst 10 -j LOG --log-prefix \"[UFW BLOCK] \"
-A ufw-user-input -p tcp --dport 22 -m conntrack --ctstate NEW -m recent --set --name DEFAULT --mask 255.255.255.255 --rsource
-A ufw-user-input -p tcp --dport 22 -m conntrack --ctstate NEW -m recent --update --seconds 30 --hitcount 6 --name DEFAULT --mask 255.255.255.255 --rsource -j ufw-user-limit
-A ufw-user-input -p tcp --dport 22 -j ufw-user-limit-accept
-A ufw-user-limit -m limit --limit 3/minute -j LOG --log-prefix \"[UFW LIMIT BLOCK] \"
-A ufw-user-limit -j REJECT
-A ufw-user-limit-accept -j ACCEPT
COMMIT
";

/// kube-proxy (iptables mode): ensured jumps, a full sync, a partial sync.
#[test]
fn kube_proxy_sync() {
    let dir = TempDir::new("kube");
    let full = dir.path().join("full");
    let partial = dir.path().join("partial");
    std::fs::write(&full, KUBE_FULL).expect("write full sync");
    std::fs::write(&partial, KUBE_PARTIAL).expect("write partial sync");
    let w = "-w 5 -W 100000";
    let mut cmds: Vec<String> = Vec::new();
    for (t, c) in [
        ("filter", "KUBE-EXTERNAL-SERVICES"),
        ("filter", "KUBE-NODEPORTS"),
        ("filter", "KUBE-SERVICES"),
        ("filter", "KUBE-FORWARD"),
        ("filter", "KUBE-PROXY-FIREWALL"),
        ("nat", "KUBE-SERVICES"),
        ("nat", "KUBE-POSTROUTING"),
    ] {
        cmds.push(format!("iptables {w} -N {c} -t {t}"));
    }
    let jumps: &[(&str, &str, &str)] = &[
        (
            "filter",
            "INPUT",
            "-m conntrack --ctstate NEW -m comment --comment \"kubernetes load balancer firewall\" -j KUBE-PROXY-FIREWALL",
        ),
        (
            "filter",
            "INPUT",
            "-m comment --comment \"kubernetes health check service ports\" -j KUBE-NODEPORTS",
        ),
        (
            "filter",
            "FORWARD",
            "-m conntrack --ctstate NEW -m comment --comment \"kubernetes service portals\" -j KUBE-SERVICES",
        ),
        (
            "filter",
            "FORWARD",
            "-m comment --comment \"kubernetes forwarding rules\" -j KUBE-FORWARD",
        ),
        (
            "filter",
            "OUTPUT",
            "-m conntrack --ctstate NEW -m comment --comment \"kubernetes service portals\" -j KUBE-SERVICES",
        ),
        (
            "nat",
            "OUTPUT",
            "-m comment --comment \"kubernetes service portals\" -j KUBE-SERVICES",
        ),
        (
            "nat",
            "PREROUTING",
            "-m comment --comment \"kubernetes service portals\" -j KUBE-SERVICES",
        ),
        (
            "nat",
            "POSTROUTING",
            "-m comment --comment \"kubernetes postrouting rules\" -j KUBE-POSTROUTING",
        ),
    ];
    for (t, chain, rule) in jumps {
        cmds.push(format!("iptables {w} -C {chain} -t {t} {rule}"));
        cmds.push(format!("iptables {w} -I {chain} -t {t} {rule}"));
    }
    // the sync loop: read what is there, write the whole set, then changes
    cmds.push("iptables-save -t filter".into());
    cmds.push("iptables-save -t nat".into());
    cmds.push(format!(
        "iptables-restore {w} --noflush --counters {}",
        full.display()
    ));
    cmds.push(format!(
        "iptables-restore {w} --noflush --counters {}",
        partial.display()
    ));
    cmds.push("iptables -t nat -n -v -x -L KUBE-SVC-AAAAAAAAAAAAAAAA".into());
    // a jump is ensured again on the next loop: found
    for (t, chain, rule) in jumps {
        cmds.push(format!("iptables {w} -C {chain} -t {t} {rule}"));
    }
    let refs: Vec<&str> = cmds.iter().map(String::as_str).collect();
    let r = same_as_reference("kube-proxy's sync", &refs);
    // the syncs did what kube-proxy meant (so the comparison compared that)
    assert!(
        r.save4.contains("-A KUBE-SEP-AAAAAAAAAAAAAAA1 -p tcp"),
        "{}",
        r.save4
    );
    assert!(!r.save4.contains("AAAAAAAAAAAAAAA2"), "{}", r.save4);
    assert!(r.save4.contains("--random-fully"), "{}", r.save4);
}

/// A full sync as kube-proxy writes it: two services, one with two endpoints
/// spread by `statistic`, masquerade marking, a node port.
const KUBE_FULL: &str = "*filter
:KUBE-NODEPORTS - [0:0]
:KUBE-SERVICES - [0:0]
:KUBE-EXTERNAL-SERVICES - [0:0]
:KUBE-FIREWALL - [0:0]
:KUBE-FORWARD - [0:0]
:KUBE-PROXY-FIREWALL - [0:0]
-A KUBE-FORWARD -m conntrack --ctstate INVALID -j DROP
-A KUBE-FORWARD -m comment --comment \"kubernetes forwarding rules\" -m mark --mark 0x4000/0x4000 -j ACCEPT
-A KUBE-FORWARD -m comment --comment \"kubernetes forwarding conntrack rule\" -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A KUBE-SERVICES -d 10.96.0.99/32 -p tcp -m comment --comment \"default/none:http has no endpoints\" -m tcp --dport 80 -j REJECT --reject-with icmp-port-unreachable
COMMIT
*nat
:KUBE-SERVICES - [0:0]
:KUBE-NODEPORTS - [0:0]
:KUBE-POSTROUTING - [0:0]
:KUBE-MARK-MASQ - [0:0]
:KUBE-SVC-AAAAAAAAAAAAAAAA - [0:0]
:KUBE-SEP-AAAAAAAAAAAAAAA1 - [0:0]
:KUBE-SEP-AAAAAAAAAAAAAAA2 - [0:0]
:KUBE-SVC-BBBBBBBBBBBBBBBB - [0:0]
:KUBE-SEP-BBBBBBBBBBBBBBB1 - [0:0]
:KUBE-EXT-BBBBBBBBBBBBBBBB - [0:0]
-A KUBE-POSTROUTING -m mark ! --mark 0x4000/0x4000 -j RETURN
-A KUBE-POSTROUTING -j MARK --xor-mark 0x4000
-A KUBE-POSTROUTING -m comment --comment \"kubernetes service traffic requiring SNAT\" -j MASQUERADE --random-fully
-A KUBE-MARK-MASQ -j MARK --or-mark 0x4000
-A KUBE-SERVICES -d 10.96.0.10/32 -p tcp -m comment --comment \"default/web:http cluster IP\" -m tcp --dport 80 -j KUBE-SVC-AAAAAAAAAAAAAAAA
-A KUBE-SERVICES -d 10.96.0.11/32 -p udp -m comment --comment \"default/dns:dns cluster IP\" -m udp --dport 53 -j KUBE-SVC-BBBBBBBBBBBBBBBB
-A KUBE-SERVICES -m comment --comment \"kubernetes service nodeports; NOTE: this must be the last rule in this chain\" -m addrtype --dst-type LOCAL -j KUBE-NODEPORTS
-A KUBE-NODEPORTS -p udp -m comment --comment \"default/dns:dns\" -m udp --dport 30053 -j KUBE-EXT-BBBBBBBBBBBBBBBB
-A KUBE-EXT-BBBBBBBBBBBBBBBB -m comment --comment \"masquerade traffic for default/dns:dns external destinations\" -j KUBE-MARK-MASQ
-A KUBE-EXT-BBBBBBBBBBBBBBBB -j KUBE-SVC-BBBBBBBBBBBBBBBB
-A KUBE-SVC-AAAAAAAAAAAAAAAA ! -s 10.244.0.0/16 -d 10.96.0.10/32 -p tcp -m comment --comment \"default/web:http cluster IP\" -m tcp --dport 80 -j KUBE-MARK-MASQ
-A KUBE-SVC-AAAAAAAAAAAAAAAA -m comment --comment \"default/web:http -> 10.244.1.5:8080\" -m statistic --mode random --probability 0.50000000000 -j KUBE-SEP-AAAAAAAAAAAAAAA1
-A KUBE-SVC-AAAAAAAAAAAAAAAA -m comment --comment \"default/web:http -> 10.244.2.7:8080\" -j KUBE-SEP-AAAAAAAAAAAAAAA2
-A KUBE-SEP-AAAAAAAAAAAAAAA1 -s 10.244.1.5/32 -m comment --comment \"default/web:http\" -j KUBE-MARK-MASQ
-A KUBE-SEP-AAAAAAAAAAAAAAA1 -p tcp -m comment --comment \"default/web:http\" -m tcp -j DNAT --to-destination 10.244.1.5:8080
-A KUBE-SEP-AAAAAAAAAAAAAAA2 -s 10.244.2.7/32 -m comment --comment \"default/web:http\" -j KUBE-MARK-MASQ
-A KUBE-SEP-AAAAAAAAAAAAAAA2 -p tcp -m comment --comment \"default/web:http\" -m tcp -j DNAT --to-destination 10.244.2.7:8080
-A KUBE-SVC-BBBBBBBBBBBBBBBB -m comment --comment \"default/dns:dns -> 10.244.1.9:53\" -j KUBE-SEP-BBBBBBBBBBBBBBB1
-A KUBE-SEP-BBBBBBBBBBBBBBB1 -s 10.244.1.9/32 -m comment --comment \"default/dns:dns\" -j KUBE-MARK-MASQ
-A KUBE-SEP-BBBBBBBBBBBBBBB1 -p udp -m comment --comment \"default/dns:dns\" -m udp -j DNAT --to-destination 10.244.1.9:53
COMMIT
";

/// A partial sync: web lost an endpoint (its SVC chain rewritten, the SEP
/// chain deleted); the chains that did not change are not mentioned.
const KUBE_PARTIAL: &str = "*filter
:KUBE-SERVICES - [0:0]
COMMIT
*nat
:KUBE-SERVICES - [0:0]
:KUBE-SVC-AAAAAAAAAAAAAAAA - [0:0]
:KUBE-SEP-AAAAAAAAAAAAAAA2 - [0:0]
-A KUBE-SERVICES -d 10.96.0.10/32 -p tcp -m comment --comment \"default/web:http cluster IP\" -m tcp --dport 80 -j KUBE-SVC-AAAAAAAAAAAAAAAA
-A KUBE-SERVICES -d 10.96.0.11/32 -p udp -m comment --comment \"default/dns:dns cluster IP\" -m udp --dport 53 -j KUBE-SVC-BBBBBBBBBBBBBBBB
-A KUBE-SERVICES -m comment --comment \"kubernetes service nodeports; NOTE: this must be the last rule in this chain\" -m addrtype --dst-type LOCAL -j KUBE-NODEPORTS
-A KUBE-SVC-AAAAAAAAAAAAAAAA ! -s 10.244.0.0/16 -d 10.96.0.10/32 -p tcp -m comment --comment \"default/web:http cluster IP\" -m tcp --dport 80 -j KUBE-MARK-MASQ
-A KUBE-SVC-AAAAAAAAAAAAAAAA -m comment --comment \"default/web:http -> 10.244.1.5:8080\" -j KUBE-SEP-AAAAAAAAAAAAAAA1
-X KUBE-SEP-AAAAAAAAAAAAAAA2
COMMIT
";
