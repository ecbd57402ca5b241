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
    router_wan: IpAddr,
    server: IpAddr,
    any: IpAddr,
}

const V4: Fam = Fam {
    tool: "iptables",
    client: IpAddr::V4(CLIENT4),
    client_b: IpAddr::V4(CLIENT4_B),
    router_lan: IpAddr::V4(ROUTER_LAN4),
    router_wan: IpAddr::V4(ROUTER_WAN4),
    server: IpAddr::V4(SERVER4),
    any: IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED),
};

const V6: Fam = Fam {
    tool: "ip6tables",
    client: IpAddr::V6(CLIENT6),
    client_b: IpAddr::V6(CLIENT6_B),
    router_lan: IpAddr::V6(ROUTER_LAN6),
    router_wan: IpAddr::V6(ROUTER_WAN6),
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

/// `CONNMARK --set-mark` in mangle PREROUTING on B's first packet, then
/// `-m connmark` in FORWARD on the server's replies: the mark rides on the
/// connection, so B's datagram reaches the server but its answer is
/// dropped; A's connection is unmarked and answered.
fn connmark(f: Fam) {
    let Some(lab) = lab() else { return };
    let l = lab.server.udp_listen(sa(f.server, 5000), "udp");
    assert!(
        udp(&lab, f.client_b, f, 5000),
        "B answered before the rules"
    );
    let b = f.client_b.to_string();
    rule(
        &lab,
        f,
        &format!("-t mangle -A PREROUTING -s {b} -p udp -j CONNMARK --set-mark 0x7/0xff"),
    );
    rule(
        &lab,
        f,
        "-A FORWARD -i wan0 -m connmark --mark 0x7/0xff -j DROP",
    );
    assert!(udp(&lab, f.client, f, 5000), "A's connection is not marked");
    assert!(
        !udp(&lab, f.client_b, f, 5000),
        "the answer to B is dropped"
    );
    let seen: Vec<IpAddr> = l.finish().iter().map(|s| s.peer.ip()).collect();
    assert_eq!(
        seen,
        [f.client_b, f.client, f.client_b],
        "the server got all three datagrams"
    );
}

#[test]
fn connmark_v4() {
    connmark(V4);
}

#[test]
fn connmark_v6() {
    connmark(V6);
}

/// `-A OUTPUT -m owner --uid-owner 0 -j DROP`: the router's own datagram
/// (a socket of uid 0, these tests') is dropped; a client's datagram the
/// router forwards has no local socket and passes.
fn owner(f: Fam) {
    let Some(lab) = lab() else { return };
    let _l = lab.server.udp_listen(sa(f.server, 5000), "udp");
    rule(
        &lab,
        f,
        "-A OUTPUT -p udp --dport 5000 -m owner --uid-owner 0 -j DROP",
    );
    assert!(udp(&lab, f.client, f, 5000), "forwarded: no owner");
    let own = lab.router.udp_send(f.router_wan, sa(f.server, 5000));
    assert!(own.is_err(), "the router's own (uid 0) is dropped: {own:?}");
}

#[test]
fn owner_v4() {
    owner(V4);
}

#[test]
fn owner_v6() {
    owner(V6);
}

/// `TTL --ttl-set 1` / `HL --hl-set 1` in mangle PREROUTING on B's packets:
/// the router cannot forward them (the TTL would reach 0); A's pass.
fn ttl(f: Fam, target: &str) {
    let Some(lab) = lab() else { return };
    let _l = lab.server.udp_listen(sa(f.server, 5000), "udp");
    assert!(udp(&lab, f.client_b, f, 5000), "B passes before the rule");
    let b = f.client_b.to_string();
    rule(
        &lab,
        f,
        &format!("-t mangle -A PREROUTING -s {b} -j {target} 1"),
    );
    assert!(udp(&lab, f.client, f, 5000), "A keeps its TTL");
    assert!(
        !udp(&lab, f.client_b, f, 5000),
        "B's TTL runs out at the router"
    );
}

#[test]
fn ttl_set_v4() {
    ttl(V4, "TTL --ttl-set");
}

#[test]
fn hl_set_v6() {
    ttl(V6, "HL --hl-set");
}

/// `CT --notrack` in raw PREROUTING for B: B's packets are UNTRACKED, and a
/// FORWARD rule dropping UNTRACKED packets drops B's but not A's.
fn notrack(f: Fam, target: &str) {
    let Some(lab) = lab() else { return };
    let _l = lab.server.udp_listen(sa(f.server, 5000), "udp");
    let b = f.client_b.to_string();
    rule(&lab, f, &format!("-t raw -A PREROUTING -s {b} -j {target}"));
    rule(
        &lab,
        f,
        "-A FORWARD -m conntrack --ctstate UNTRACKED -j DROP",
    );
    assert!(udp(&lab, f.client, f, 5000), "A is tracked");
    assert!(
        !udp(&lab, f.client_b, f, 5000),
        "B is not tracked, so dropped"
    );
}

#[test]
fn ct_notrack_v4() {
    notrack(V4, "CT --notrack");
}

#[test]
fn notrack_v6() {
    notrack(V6, "NOTRACK");
}

/// `TCPMSS --set-mss 500` on forwarded SYNs: the server's connection gets
/// an MSS of at most 500 (it was over 1000 before the rule, on the same
/// path).
fn tcpmss(f: Fam) {
    let Some(lab) = lab() else { return };
    let l = lab.server.tcp_listen(sa(f.server, 8080), "web");
    let first = lab.client.tcp_connect(sa(f.server, 8080));
    assert!(first.is_ok(), "{first:?}");
    rule(
        &lab,
        f,
        "-t mangle -A FORWARD -p tcp --tcp-flags SYN,RST SYN -j TCPMSS --set-mss 500",
    );
    let second = lab.client.tcp_connect(sa(f.server, 8080));
    assert!(second.is_ok(), "{second:?}");
    let mss: Vec<u32> = l.finish().iter().filter_map(|s| s.mss).collect();
    assert_eq!(mss.len(), 2, "{mss:?}");
    assert!(mss[0] > 1000, "no rule: the link's MSS ({mss:?})");
    assert!(mss[1] <= 500, "TCPMSS --set-mss 500: {mss:?}");
}

#[test]
fn tcpmss_v4() {
    tcpmss(V4);
}

#[test]
fn tcpmss_v6() {
    tcpmss(V6);
}

/// fail2ban's and port knocking's shape: `-m recent --set` records each
/// source, `--rcheck --seconds 60 --hitcount 2 -j DROP` before it drops a
/// source seen twice within a minute. A's third datagram is dropped; B,
/// seen once, passes.
fn recent(f: Fam) {
    let Some(lab) = lab() else { return };
    let _l = lab.server.udp_listen(sa(f.server, 5000), "udp");
    rule(
        &lab,
        f,
        "-A FORWARD -p udp --dport 5000 -m recent --name lab --rcheck --seconds 60 --hitcount 2 -j DROP",
    );
    rule(
        &lab,
        f,
        "-A FORWARD -p udp --dport 5000 -m recent --name lab --set",
    );
    let a: Vec<bool> = (0..3).map(|_| udp(&lab, f.client, f, 5000)).collect();
    assert_eq!(a, [true, true, false], "A: seen twice, then dropped");
    assert!(
        udp(&lab, f.client_b, f, 5000),
        "B is seen for the first time"
    );
}

#[test]
fn recent_v4() {
    recent(V4);
}

#[test]
fn recent_v6() {
    recent(V6);
}
