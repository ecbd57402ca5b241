//! Match and target extensions acting on real packets, in the client —
//! router — server lab of `lab/mod.rs`: rxtables writes the rules in the
//! router, bounded UDP/TCP traffic shows what each rule lets through.
//! Every test has a negative control in the same traffic (a packet the rule
//! must not touch), and fails when its rules are left out
//! (`RX_LAB_OMIT_RULES=1`, see `Host::rule`).

mod lab;

use lab::*;
use std::net::{IpAddr, SocketAddr};

fn sa(ip: impl Into<IpAddr>, port: u16) -> SocketAddr {
    SocketAddr::new(ip.into(), port)
}

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
    server: IpAddr,
    any: IpAddr,
}

const V4: Fam = Fam {
    tool: "iptables",
    client: IpAddr::V4(CLIENT4),
    client_b: IpAddr::V4(CLIENT4_B),
    router_lan: IpAddr::V4(ROUTER_LAN4),
    server: IpAddr::V4(SERVER4),
    any: IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED),
};

const V6: Fam = Fam {
    tool: "ip6tables",
    client: IpAddr::V6(CLIENT6),
    client_b: IpAddr::V6(CLIENT6_B),
    router_lan: IpAddr::V6(ROUTER_LAN6),
    server: IpAddr::V6(SERVER6),
    any: IpAddr::V6(std::net::Ipv6Addr::UNSPECIFIED),
};

/// The rule `args` (after the tool name) as the router's rule under test.
fn rule(lab: &Lab, f: Fam, args: &str) {
    let mut v = vec![f.tool];
    v.extend(args.split_whitespace());
    lab.router.rule(&v);
}

/// Sends one datagram from `src` to the server's `port`: answered or not.
fn udp(lab: &Lab, src: IpAddr, f: Fam, port: u16) -> bool {
    lab.client.udp_send(src, sa(f.server, port)).is_ok()
}

/// `-m multiport --dports 5000,5002 -j DROP`: those two ports are dropped,
/// 5001 between them passes.
fn multiport(f: Fam) {
    let Some(lab) = lab() else { return };
    let _l: Vec<_> = (5000..=5002)
        .map(|p| lab.server.udp_listen(sa(f.server, p), "udp"))
        .collect();
    rule(
        &lab,
        f,
        "-A FORWARD -p udp -m multiport --dports 5000,5002 -j DROP",
    );
    let got: Vec<bool> = (5000..=5002).map(|p| udp(&lab, f.client, f, p)).collect();
    assert_eq!(
        got,
        [false, true, false],
        "5000 and 5002 dropped, 5001 passes"
    );
}

#[test]
fn multiport_v4() {
    multiport(V4);
}

#[test]
fn multiport_v6() {
    multiport(V6);
}

/// `-m iprange --src-range B-B -j DROP`: B is dropped, A (just below it)
/// passes.
fn iprange(f: Fam) {
    let Some(lab) = lab() else { return };
    let _l = lab.server.udp_listen(sa(f.server, 5000), "udp");
    let b = f.client_b.to_string();
    rule(
        &lab,
        f,
        &format!("-A FORWARD -m iprange --src-range {b}-{b} -j DROP"),
    );
    assert!(udp(&lab, f.client, f, 5000), "A is outside the range");
    assert!(!udp(&lab, f.client_b, f, 5000), "B is in the range");
}

#[test]
fn iprange_v4() {
    iprange(V4);
}

#[test]
fn iprange_v6() {
    iprange(V6);
}

/// `-t raw -A PREROUTING -m addrtype --dst-type LOCAL ... -j DROP`: a
/// datagram to the router's own address is dropped, one the router forwards
/// to the server (not a local address) passes.
fn addrtype(f: Fam) {
    let Some(lab) = lab() else { return };
    let _s = lab.server.udp_listen(sa(f.server, 5000), "server");
    let _r = lab.router.udp_listen(sa(f.any, 5000), "router");
    rule(
        &lab,
        f,
        "-t raw -A PREROUTING -p udp --dport 5000 -m addrtype --dst-type LOCAL -j DROP",
    );
    assert!(udp(&lab, f.client, f, 5000), "forwarded: not LOCAL");
    let to_router = lab.client.udp_send(f.client, sa(f.router_lan, 5000));
    assert!(
        to_router.is_err(),
        "to the router: LOCAL, dropped: {to_router:?}"
    );
}

#[test]
fn addrtype_v4() {
    addrtype(V4);
}

#[test]
fn addrtype_v6() {
    addrtype(V6);
}

/// `MARK` in mangle PREROUTING marks B's packets, `-m mark` in FORWARD
/// drops marked packets: B's are dropped, A's (unmarked) pass.
fn mark(f: Fam) {
    let Some(lab) = lab() else { return };
    let _l = lab.server.udp_listen(sa(f.server, 5000), "udp");
    let b = f.client_b.to_string();
    rule(
        &lab,
        f,
        &format!("-t mangle -A PREROUTING -s {b} -j MARK --set-xmark 0x10/0xff"),
    );
    rule(&lab, f, "-A FORWARD -m mark --mark 0x10/0x10 -j DROP");
    assert!(udp(&lab, f.client, f, 5000), "A is not marked");
    assert!(!udp(&lab, f.client_b, f, 5000), "B is marked, then dropped");
}

#[test]
fn mark_v4() {
    mark(V4);
}

#[test]
fn mark_v6() {
    mark(V6);
}

/// `-m statistic --mode nth --every 2 --packet 0 -j DROP`: of four
/// datagrams (each its own flow), the 1st and 3rd are dropped.
fn statistic_nth(f: Fam) {
    let Some(lab) = lab() else { return };
    let _l = lab.server.udp_listen(sa(f.server, 5000), "udp");
    rule(
        &lab,
        f,
        "-A FORWARD -p udp --dport 5000 -m statistic --mode nth --every 2 --packet 0 -j DROP",
    );
    let got: Vec<bool> = (0..4).map(|_| udp(&lab, f.client, f, 5000)).collect();
    assert_eq!(
        got,
        [false, true, false, true],
        "every 2nd from the 1st dropped"
    );
}

#[test]
fn statistic_nth_v4() {
    statistic_nth(V4);
}

#[test]
fn statistic_nth_v6() {
    statistic_nth(V6);
}

/// `-m limit --limit 1/hour --limit-burst 2 -j ACCEPT` then DROP: the
/// first two datagrams pass (the burst), the next two are over the limit.
fn limit(f: Fam) {
    let Some(lab) = lab() else { return };
    let _l = lab.server.udp_listen(sa(f.server, 5000), "udp");
    rule(
        &lab,
        f,
        "-A FORWARD -p udp --dport 5000 -m limit --limit 1/hour --limit-burst 2 -j ACCEPT",
    );
    rule(&lab, f, "-A FORWARD -p udp --dport 5000 -j DROP");
    let got: Vec<bool> = (0..4).map(|_| udp(&lab, f.client, f, 5000)).collect();
    assert_eq!(
        got,
        [true, true, false, false],
        "a burst of 2, then nothing"
    );
}

#[test]
fn limit_v4() {
    limit(V4);
}

#[test]
fn limit_v6() {
    limit(V6);
}
