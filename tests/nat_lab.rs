//! Rules acting on real packets: each test builds a client — router —
//! server lab of network namespaces (see `lab/mod.rs`), applies rules with
//! rxtables in the router, sends bounded traffic and checks what arrives
//! and with which addresses.
//!
//! Every test depends on its rule: run the suite with
//! `RX_LAB_OMIT_RULES=1` and each test fails (the rules under test are then
//! not applied; see `Host::rule`).

mod lab;

use lab::*;
use std::net::{IpAddr, SocketAddr};

fn sa(ip: impl Into<IpAddr>, port: u16) -> SocketAddr {
    SocketAddr::new(ip.into(), port)
}

/// The lab, or `None` (test skipped) where it cannot be built.
fn lab() -> Option<Lab> {
    available().then(Lab::new)
}

/// Which family's tool and addresses a test uses.
#[derive(Clone, Copy)]
struct Fam {
    tool: &'static str,
    client: IpAddr,
    client_b: IpAddr,
    router_lan: IpAddr,
    router_wan: IpAddr,
    server: IpAddr,
    snat: IpAddr,
    virt: IpAddr,
    any: IpAddr,
}

const V4: Fam = Fam {
    tool: "iptables",
    client: IpAddr::V4(CLIENT4),
    client_b: IpAddr::V4(CLIENT4_B),
    router_lan: IpAddr::V4(ROUTER_LAN4),
    router_wan: IpAddr::V4(ROUTER_WAN4),
    server: IpAddr::V4(SERVER4),
    snat: IpAddr::V4(SNAT4),
    virt: IpAddr::V4(VIRTUAL4),
    any: IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED),
};

const V6: Fam = Fam {
    tool: "ip6tables",
    client: IpAddr::V6(CLIENT6),
    client_b: IpAddr::V6(CLIENT6_B),
    router_lan: IpAddr::V6(ROUTER_LAN6),
    router_wan: IpAddr::V6(ROUTER_WAN6),
    server: IpAddr::V6(SERVER6),
    snat: IpAddr::V6(SNAT6),
    virt: IpAddr::V6(VIRTUAL6),
    any: IpAddr::V6(std::net::Ipv6Addr::UNSPECIFIED),
};

/// `addr[:port]` as iptables takes it (IPv6 in brackets when a port follows).
fn to(ip: IpAddr, port: Option<u16>) -> String {
    match (ip, port) {
        (ip, None) => ip.to_string(),
        (IpAddr::V4(a), Some(p)) => format!("{a}:{p}"),
        (IpAddr::V6(a), Some(p)) => format!("[{a}]:{p}"),
    }
}

fn peers(seen: &[Seen]) -> Vec<IpAddr> {
    seen.iter().map(|s| s.peer.ip()).collect()
}

// ---------------------------------------------------------------- filter

/// `-s X -j DROP` drops X's traffic and lets Y's through.
fn source_drop(f: Fam) {
    let Some(lab) = lab() else { return };
    let l = lab.server.udp_listen(sa(f.server, 5000), "server");
    let x = f.client_b.to_string();
    lab.router
        .rule(&[f.tool, "-A", "FORWARD", "-s", &x, "-j", "DROP"]);
    let from_y = lab.client.udp_send(f.client, sa(f.server, 5000));
    let from_x = lab.client.udp_send(f.client_b, sa(f.server, 5000));
    let seen = l.finish();
    assert!(
        from_y.is_ok(),
        "Y ({}) should get through: {from_y:?}",
        f.client
    );
    assert!(from_x.is_err(), "X ({x}) should be dropped, got {from_x:?}");
    assert_eq!(peers(&seen), vec![f.client]);
}

#[test]
fn source_drop_v4() {
    source_drop(V4);
}

#[test]
fn source_drop_v6() {
    source_drop(V6);
}

/// A default-drop INPUT policy with one port open: that port answers,
/// another does not.
fn ssh_only(f: Fam) {
    let Some(lab) = lab() else { return };
    let ssh = lab.router.tcp_listen(sa(f.any, 22), "ssh");
    let other = lab.router.tcp_listen(sa(f.any, 2222), "other");
    if f.tool == "ip6tables" {
        // IPv6 needs neighbour discovery to reach the router at all.
        lab.router
            .rx_ok(&[f.tool, "-A", "INPUT", "-p", "ipv6-icmp", "-j", "ACCEPT"]);
    }
    lab.router.rule(&[
        f.tool, "-A", "INPUT", "-p", "tcp", "--dport", "22", "-j", "ACCEPT",
    ]);
    lab.router.rule(&[f.tool, "-P", "INPUT", "DROP"]);
    let a = lab.client.tcp_connect(sa(f.router_lan, 22));
    let b = lab.client.tcp_connect(sa(f.router_lan, 2222));
    let (ssh, other) = (ssh.finish(), other.finish());
    assert!(
        a.as_deref().is_ok_and(|s| s.starts_with("ssh ")),
        "port 22 should answer: {a:?}"
    );
    assert!(b.is_err(), "port 2222 should be dropped, got {b:?}");
    assert_eq!(peers(&ssh), vec![f.client]);
    assert!(other.is_empty(), "{other:?}");
}

#[test]
fn ssh_only_v4() {
    ssh_only(V4);
}

#[test]
fn ssh_only_v6() {
    ssh_only(V6);
}

/// `-p icmp -j DROP` on INPUT: the router stops answering pings, forwarded
/// pings still pass.
fn icmp_drop(f: Fam) {
    let Some(lab) = lab() else { return };
    assert!(
        lab.client.ping(None, f.router_lan),
        "lab: router should answer before the rule"
    );
    if f.tool == "iptables" {
        lab.router
            .rule(&[f.tool, "-A", "INPUT", "-p", "icmp", "-j", "DROP"]);
    } else {
        // dropping all of ICMPv6 would also stop neighbour discovery
        lab.router.rule(&[
            f.tool,
            "-A",
            "INPUT",
            "-p",
            "ipv6-icmp",
            "--icmpv6-type",
            "echo-request",
            "-j",
            "DROP",
        ]);
    }
    assert!(
        !lab.client.ping(None, f.router_lan),
        "router still answers pings"
    );
    assert!(
        lab.client.ping(None, f.server),
        "forwarded ping should pass"
    );
}

#[test]
fn icmp_drop_v4() {
    icmp_drop(V4);
}

#[test]
fn icmp_drop_v6() {
    icmp_drop(V6);
}

/// `! -s`, and `-i`/`-o` with the `+` wildcard, match what they should.
fn negation_and_wildcards(f: Fam) {
    let Some(lab) = lab() else { return };
    let srv = lab.server.udp_listen(sa(f.server, 5000), "server");
    let rtr = lab.router.udp_listen(sa(f.router_lan, 5001), "router");
    let r = &lab.router;
    let fwd = |src: IpAddr| lab.client.udp_send(src, sa(f.server, 5000));
    let local = || lab.client.udp_send(f.client, sa(f.router_lan, 5001));
    let flush = || {
        r.rx_ok(&[f.tool, "-F"]);
    };

    // ! -s: from the client side, everyone but the client's first address
    // is dropped (answers come from the server side and pass)
    let c = f.client.to_string();
    r.rule(&[
        f.tool, "-A", "FORWARD", "-i", "lan0", "!", "-s", &c, "-j", "DROP",
    ]);
    assert!(fwd(f.client).is_ok(), "! -s {c} dropped {c}");
    assert!(
        fwd(f.client_b).is_err(),
        "! -s {c} let {} through",
        f.client_b
    );
    flush();

    // -i wildcard matching the client side blocks, one for the other side does not
    r.rule(&[f.tool, "-A", "INPUT", "-i", "la+", "-j", "DROP"]);
    assert!(local().is_err(), "-i la+ did not match lan0");
    flush();
    r.rule(&[f.tool, "-A", "INPUT", "-i", "wa+", "-j", "DROP"]);
    assert!(local().is_ok(), "-i wa+ matched lan0");
    flush();
    r.rule(&[f.tool, "-A", "INPUT", "!", "-i", "wa+", "-j", "DROP"]);
    assert!(local().is_err(), "! -i wa+ did not match lan0");
    flush();

    // -o wildcard on the router's answers
    r.rule(&[
        f.tool, "-A", "OUTPUT", "-o", "lan+", "-p", "udp", "-j", "DROP",
    ]);
    assert!(local().is_err(), "-o lan+ did not match lan0");
    flush();
    r.rule(&[
        f.tool, "-A", "OUTPUT", "-o", "wan+", "-p", "udp", "-j", "DROP",
    ]);
    assert!(local().is_ok(), "-o wan+ matched lan0");
    flush();

    // forwarding: -i/-o wildcards together
    r.rule(&[
        f.tool, "-A", "FORWARD", "-i", "lan+", "-o", "wan+", "-j", "DROP",
    ]);
    assert!(fwd(f.client).is_err(), "-i lan+ -o wan+ did not match");
    flush();
    assert!(fwd(f.client).is_ok());

    let (srv, rtr) = (srv.finish(), rtr.finish());
    assert_eq!(peers(&srv), vec![f.client, f.client]);
    assert!(
        !rtr.is_empty() && rtr.iter().all(|s| s.peer.ip() == f.client),
        "{rtr:?}"
    );
}

#[test]
fn negation_and_wildcards_v4() {
    negation_and_wildcards(V4);
}

#[test]
fn negation_and_wildcards_v6() {
    negation_and_wildcards(V6);
}

// ------------------------------------------------------------------- NAT

/// DNAT: a connection to an address no host has (the router's rule
/// forwards it) reaches the server on another port.
fn dnat(f: Fam) {
    let Some(lab) = lab() else { return };
    let l = lab.server.tcp_listen(sa(f.server, 8080), "server");
    let (virt, dest) = (f.virt.to_string(), to(f.server, Some(8080)));
    lab.router.rule(&[
        f.tool,
        "-t",
        "nat",
        "-A",
        "PREROUTING",
        "-d",
        &virt,
        "-i",
        "lan0",
        "-p",
        "tcp",
        "--dport",
        "80",
        "-j",
        "DNAT",
        "--to-destination",
        &dest,
    ]);
    let got = lab.client.tcp_connect(sa(f.virt, 80));
    let seen = l.finish();
    let want = format!("server {} ", sa(f.server, 8080));
    assert!(
        got.as_deref().is_ok_and(|s| s.starts_with(&want)),
        "{got:?}, want {want}..."
    );
    assert_eq!(peers(&seen), vec![f.client]);
    let save = lab
        .router
        .rx_ok(&[&format!("{}-save", f.tool), "-t", "nat"]);
    let line = format!("-A PREROUTING -d {virt}/{} -i lan0 -p tcp -m tcp --dport 80 -j DNAT --to-destination {dest}",
        if f.tool == "iptables" { 32 } else { 128 });
    assert!(save.contains(&line), "{save}");
}

#[test]
fn dnat_v4() {
    dnat(V4);
}

#[test]
fn dnat_v6() {
    dnat(V6);
}

/// SNAT: the server sees the chosen source, and (having no route back to
/// the client's net) can answer only because of it.
fn snat(f: Fam) {
    let Some(lab) = lab() else { return };
    lab.server_forgets_client_net();
    let l = lab.server.tcp_listen(sa(f.any, 7000), "server");
    let (src, snat) = (f.client.to_string(), f.snat.to_string());
    lab.router.rule(&[
        f.tool,
        "-t",
        "nat",
        "-A",
        "POSTROUTING",
        "-o",
        "wan0",
        "-s",
        &src,
        "-j",
        "SNAT",
        "--to-source",
        &snat,
    ]);
    let got = lab.client.tcp_connect(sa(f.server, 7000));
    let seen = l.finish();
    assert!(got.is_ok(), "{got:?}");
    assert_eq!(peers(&seen), vec![f.snat]);
}

#[test]
fn snat_v4() {
    snat(V4);
}

#[test]
fn snat_v6() {
    snat(V6);
}

/// SNAT with a port range: the source port comes from the range.
#[test]
fn snat_port_range_v4() {
    let Some(lab) = lab() else { return };
    lab.server_forgets_client_net();
    let l = lab.server.udp_listen(sa(V4.server, 5000), "server");
    lab.router.rule(&[
        "iptables",
        "-t",
        "nat",
        "-A",
        "POSTROUTING",
        "-o",
        "wan0",
        "-p",
        "udp",
        "-j",
        "SNAT",
        "--to-source",
        "10.99.3.1:40000-40009",
    ]);
    let got = lab.client.udp_send(V4.client, sa(V4.server, 5000));
    let seen = l.finish();
    assert!(got.is_ok(), "{got:?}");
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].peer.ip(), V4.snat);
    assert!((40000..=40009).contains(&seen[0].peer.port()), "{seen:?}");
}

/// REDIRECT: a connection for port 80 anywhere ends at the router's own
/// listener on 8080 (not at the server, which listens on 80).
fn redirect(f: Fam) {
    let Some(lab) = lab() else { return };
    let mine = lab.router.tcp_listen(sa(f.any, 8080), "router");
    let theirs = lab.server.tcp_listen(sa(f.server, 80), "server");
    lab.router.rule(&[
        f.tool,
        "-t",
        "nat",
        "-A",
        "PREROUTING",
        "-i",
        "lan0",
        "-p",
        "tcp",
        "--dport",
        "80",
        "-j",
        "REDIRECT",
        "--to-ports",
        "8080",
    ]);
    let got = lab.client.tcp_connect(sa(f.server, 80));
    let (mine, theirs) = (mine.finish(), theirs.finish());
    let want = format!("router {} ", sa(f.router_lan, 8080));
    assert!(
        got.as_deref().is_ok_and(|s| s.starts_with(&want)),
        "{got:?}, want {want}..."
    );
    assert_eq!(peers(&mine), vec![f.client]);
    assert!(theirs.is_empty(), "{theirs:?}");
}

#[test]
fn redirect_v4() {
    redirect(V4);
}

#[test]
fn redirect_v6() {
    redirect(V6);
}

/// MASQUERADE on the uplink: the server sees the router's uplink address.
fn masquerade(f: Fam) {
    let Some(lab) = lab() else { return };
    lab.server_forgets_client_net();
    let l = lab.server.tcp_listen(sa(f.any, 7000), "server");
    lab.router.rule(&[
        f.tool,
        "-t",
        "nat",
        "-A",
        "POSTROUTING",
        "-o",
        "wan0",
        "-j",
        "MASQUERADE",
    ]);
    let got = lab.client.tcp_connect(sa(f.server, 7000));
    let seen = l.finish();
    assert!(got.is_ok(), "{got:?}");
    assert_eq!(peers(&seen), vec![f.router_wan]);
}

#[test]
fn masquerade_v4() {
    masquerade(V4);
}

#[test]
fn masquerade_v6() {
    masquerade(V6);
}

/// MASQUERADE `--to-ports`: the source port is taken from the range.
#[test]
fn masquerade_to_ports_v4() {
    let Some(lab) = lab() else { return };
    lab.server_forgets_client_net();
    let l = lab.server.tcp_listen(sa(V4.any, 7000), "server");
    lab.router.rule(&[
        "iptables",
        "-t",
        "nat",
        "-A",
        "POSTROUTING",
        "-o",
        "wan+",
        "-p",
        "tcp",
        "-j",
        "MASQUERADE",
        "--to-ports",
        "45000-45009",
        "--random",
    ]);
    let got = lab.client.tcp_connect(sa(V4.server, 7000));
    let seen = l.finish();
    assert!(got.is_ok(), "{got:?}");
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].peer.ip(), V4.router_wan);
    assert!((45000..=45009).contains(&seen[0].peer.port()), "{seen:?}");
}

/// NETMAP: the client's /24 is mapped one to one onto 10.99.3.0/24.
#[test]
fn netmap_v4() {
    let Some(lab) = lab() else { return };
    lab.server_forgets_client_net();
    let l = lab.server.udp_listen(sa(V4.server, 5000), "server");
    lab.router.rule(&[
        "iptables",
        "-t",
        "nat",
        "-A",
        "POSTROUTING",
        "-o",
        "wan0",
        "-s",
        "10.99.1.0/24",
        "-j",
        "NETMAP",
        "--to",
        "10.99.3.0/24",
    ]);
    let a = lab.client.udp_send(V4.client, sa(V4.server, 5000));
    let b = lab.client.udp_send(V4.client_b, sa(V4.server, 5000));
    let seen = l.finish();
    assert!(a.is_ok() && b.is_ok(), "{a:?} {b:?}");
    assert_eq!(
        peers(&seen),
        vec![
            "10.99.3.2".parse::<IpAddr>().unwrap(),
            "10.99.3.3".parse().unwrap()
        ]
    );
}

/// REJECT answers where DROP stays silent: a TCP connection to the router
/// is refused at once (a reset, or an ICMP/ICMPv6 error the client's
/// kernel turns into an error code), times out under DROP (the control),
/// and succeeds with no rule (the other control).
fn reject(f: Fam, with: &[&str], want: &str) {
    let Some(lab) = lab() else { return };
    let _l = lab.router.tcp_listen(sa(f.any, 8080), "web");
    if f.tool == "ip6tables" {
        lab.router
            .rx_ok(&[f.tool, "-A", "INPUT", "-p", "ipv6-icmp", "-j", "ACCEPT"]);
    }
    let open = lab.client.tcp_connect(sa(f.router_lan, 8080));
    assert!(
        open.as_deref().is_ok_and(|s| s.starts_with("web ")),
        "no rule: {open:?}"
    );
    let base = [f.tool, "-A", "INPUT", "-p", "tcp", "--dport", "8080"];
    let mut dropped = base.to_vec();
    dropped.extend(["-j", "DROP"]);
    lab.router.rule(&dropped);
    let silent = lab.client.tcp_connect(sa(f.router_lan, 8080));
    assert!(
        silent.as_ref().is_err_and(|e| e.contains("timed out")),
        "DROP should stay silent: {silent:?}"
    );
    // inserted before the DROP rule
    let mut rejected = vec![f.tool, "-I", "INPUT"];
    rejected.extend(&base[3..]);
    rejected.extend(["-j", "REJECT"]);
    rejected.extend(with);
    lab.router.rule(&rejected);
    let refused = lab.client.tcp_connect(sa(f.router_lan, 8080));
    assert!(
        refused.as_ref().is_err_and(|e| e.contains(want)),
        "REJECT {with:?} should give {want:?}: {refused:?}"
    );
}

#[test]
fn reject_tcp_reset_v4() {
    reject(V4, &["--reject-with", "tcp-reset"], "Connection refused");
}

#[test]
fn reject_icmp_port_unreachable_v4() {
    reject(V4, &[], "Connection refused");
}

#[test]
fn reject_icmp_host_prohibited_v4() {
    reject(
        V4,
        &["--reject-with", "icmp-host-prohibited"],
        "No route to host",
    );
}

#[test]
fn reject_tcp_reset_v6() {
    reject(V6, &["--reject-with", "tcp-reset"], "Connection refused");
}

/// A stateful host: INPUT drops everything but replies to connections it
/// made itself (`-m conntrack --ctstate RELATED,ESTABLISHED`, or `-m state`).
/// The router reaches the client (the replies are ESTABLISHED), the client
/// cannot reach the router (NEW); without the rule (the control, with
/// `RX_LAB_OMIT_RULE=1`) the router's own connection fails too.
fn stateful(f: Fam, matcher: &[&str]) {
    let Some(lab) = lab() else { return };
    let _c = lab.client.tcp_listen(sa(f.any, 7070), "client");
    let _r = lab.router.tcp_listen(sa(f.any, 8080), "router");
    let mut accept = vec![f.tool, "-A", "INPUT"];
    accept.extend(matcher);
    accept.extend(["-j", "ACCEPT"]);
    lab.router.rule(&accept);
    if f.tool == "ip6tables" {
        lab.router
            .rx_ok(&[f.tool, "-A", "INPUT", "-p", "ipv6-icmp", "-j", "ACCEPT"]);
    }
    lab.router.rx_ok(&[f.tool, "-P", "INPUT", "DROP"]);
    let out = lab.router.tcp_connect(sa(f.client, 7070));
    assert!(
        out.as_deref().is_ok_and(|s| s.starts_with("client ")),
        "the router's own connection should get its replies: {out:?}"
    );
    let inbound = lab.client.tcp_connect(sa(f.router_lan, 8080));
    assert!(
        inbound.is_err(),
        "a NEW connection to the router should be dropped: {inbound:?}"
    );
}

#[test]
fn conntrack_established_v4() {
    stateful(V4, &["-m", "conntrack", "--ctstate", "RELATED,ESTABLISHED"]);
}

#[test]
fn state_established_v6() {
    stateful(V6, &["-m", "state", "--state", "ESTABLISHED"]);
}
