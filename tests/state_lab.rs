//! REJECT's ICMP/ICMPv6 answers, connection tracking states and nfacct
//! counters on real packets, in the client — router — server lab of
//! `lab/mod.rs`: rxtables writes the rules in the router, bounded traffic
//! shows what the client's sockets get, and rule counters (read with
//! rxtables and with iptables 1.8.13, which must agree) show which rule
//! saw which packet. Every test has a negative control in the same traffic
//! and fails when its rules are left out (`RX_LAB_OMIT_RULES=1`).
//!
//! Determinism: the lab's addresses never go through duplicate address
//! detection and every link is checked before a test starts (see
//! `Lab::new`); ICMP errors are not rate limited inside the lab's
//! namespaces. ICMP errors for UDP are read from a *connected* socket (an
//! unconnected one never gets them). A TCP connection refused by an ICMPv6
//! error fails only at the SYN's first retransmission, one second later:
//! on the lab's veths the first error comes back while `connect` still
//! holds the socket and counts only as a "soft" error (the client's
//! `TcpExtLockDroppedIcmps` goes up; `Icmp6InDestUnreachs` is 2 when the
//! connect fails, `TcpExtTCPTimeouts` 1). A client that waits 1 s, as a
//! first version of these tests did, sees the error or a time-out by a coin
//! toss; so TCP waits 3 s here, and DROP's silence is told apart by the
//! error, not by the time.

mod lab;

use lab::*;
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

fn sa(ip: impl Into<IpAddr>, port: u16) -> SocketAddr {
    SocketAddr::new(ip.into(), port)
}

fn lab() -> Option<Lab> {
    available().then(Lab::new)
}

/// A short wait: for answers that come at once, and for DROP's silence.
const SHORT: Duration = Duration::from_millis(1000);
/// Long enough for a refused TCP connection's retransmitted SYN (see the
/// module doc).
const TCP_ERR: Duration = Duration::from_millis(3000);

/// Which family's tool and addresses a test uses.
#[derive(Clone, Copy)]
struct Fam {
    tool: &'static str,
    reference: &'static str,
    client: IpAddr,
    client_b: IpAddr,
    server: IpAddr,
    virt: IpAddr,
}

const V4: Fam = Fam {
    tool: "iptables",
    reference: "/opt/iptables-sid/bin/iptables",
    client: IpAddr::V4(CLIENT4),
    client_b: IpAddr::V4(CLIENT4_B),
    server: IpAddr::V4(SERVER4),
    virt: IpAddr::V4(VIRTUAL4),
};

const V6: Fam = Fam {
    tool: "ip6tables",
    reference: "/opt/iptables-sid/bin/ip6tables",
    client: IpAddr::V6(CLIENT6),
    client_b: IpAddr::V6(CLIENT6_B),
    server: IpAddr::V6(SERVER6),
    virt: IpAddr::V6(VIRTUAL6),
};

/// `addr:port` as iptables takes it.
fn to(ip: IpAddr, port: u16) -> String {
    match ip {
        IpAddr::V4(a) => format!("{a}:{port}"),
        IpAddr::V6(a) => format!("[{a}]:{port}"),
    }
}

/// The rule under test (see `Host::rule`).
fn rule(lab: &Lab, f: Fam, args: &str) {
    let mut v = vec![f.tool];
    v.extend(args.split_whitespace());
    lab.router.rule(&v);
}

/// A helper rule the test needs whether or not its rules are omitted.
fn setup(lab: &Lab, f: Fam, args: &str) {
    let mut v = vec![f.tool];
    v.extend(args.split_whitespace());
    lab.router.rx_ok(&v);
}

/// The packet counters of `chain`'s rules, in order, from `-L -n -v -x`.
fn parse_counters(listing: &str) -> Vec<u64> {
    listing
        .lines()
        .skip(2)
        .filter_map(|l| l.split_whitespace().next())
        .map(|n| {
            n.parse()
                .unwrap_or_else(|e| panic!("counter {n:?} in {listing}: {e}"))
        })
        .collect()
}

/// The packet counters of the router's `table` `chain`, read by rxtables;
/// iptables 1.8.13 must read the same.
fn counters(lab: &Lab, f: Fam, table: &str, chain: &str) -> Vec<u64> {
    let args = ["-t", table, "-L", chain, "-n", "-v", "-x"];
    let mut ours = vec![f.tool];
    ours.extend(args);
    let got = parse_counters(&lab.router.rx_ok(&ours));
    let reference = lab.router.exec(f.reference, &args);
    assert!(reference.status.success(), "{}", text(&reference));
    let want = parse_counters(&String::from_utf8_lossy(&reference.stdout));
    assert_eq!(got, want, "rxtables' counters vs iptables 1.8.13's");
    got
}

/// The router's FORWARD counters once they reach `want` (a packet sent
/// just now may still be on its way), or as they are after a second.
fn settled(lab: &Lab, f: Fam, want: &[u64]) -> Vec<u64> {
    let deadline = std::time::Instant::now() + SHORT;
    loop {
        let c = counters(lab, f, "filter", "FORWARD");
        if c == want || std::time::Instant::now() > deadline {
            return c;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

// ------------------------------------------------------------------ REJECT

/// `-j REJECT --reject-with WITH` on forwarded UDP: the client's connected
/// socket gets `errno` at once. Controls: the datagram is answered before
/// any rule, DROP (the first rule) leaves the client in silence, and a
/// datagram to the next port (no rule) is still answered.
fn reject_udp(f: Fam, with: &str, errno: i32) {
    let Some(lab) = lab() else { return };
    let _l: Vec<_> = [5000, 5001]
        .iter()
        .map(|p| lab.server.udp_listen(sa(f.server, *p), "udp"))
        .collect();
    let probe = |port| lab.client.udp_probe(f.client, sa(f.server, port), SHORT);
    let (open, _) = probe(5000);
    assert!(matches!(open, Probe::Answer(_)), "no rule: {open:?}");
    rule(&lab, f, "-A FORWARD -p udp --dport 5000 -j DROP");
    let (dropped, _) = probe(5000);
    assert_eq!(dropped, Probe::Silence, "DROP stays silent");
    rule(
        &lab,
        f,
        &format!("-I FORWARD -p udp --dport 5000 -j REJECT --reject-with {with}"),
    );
    let (rejected, took) = probe(5000);
    eprintln!("REJECT --reject-with {with} over UDP: {rejected:?} after {took:?}");
    assert_eq!(
        rejected,
        Probe::Error(errno),
        "REJECT --reject-with {with}: errno {errno} ({})",
        std::io::Error::from_raw_os_error(errno)
    );
    assert!(took < SHORT / 2, "the error came at once: {took:?}");
    let (other, _) = probe(5001);
    assert!(
        matches!(other, Probe::Answer(_)),
        "5001 untouched: {other:?}"
    );
    assert_eq!(counters(&lab, f, "filter", "FORWARD"), [1, 1]);
}

/// The same for a TCP connection: `connect` fails with `errno` (see the
/// module doc for why it may take a second), DROP leaves it timing out.
fn reject_tcp(f: Fam, with: &str, errno: i32) {
    let Some(lab) = lab() else { return };
    let _l: Vec<_> = [8080, 8081]
        .iter()
        .map(|p| lab.server.tcp_listen(sa(f.server, *p), "web"))
        .collect();
    let (open, _) = lab.client.tcp_probe(sa(f.server, 8080), SHORT);
    assert!(matches!(open, Probe::Answer(_)), "no rule: {open:?}");
    rule(&lab, f, "-A FORWARD -p tcp --dport 8080 -j DROP");
    let (dropped, _) = lab.client.tcp_probe(sa(f.server, 8080), SHORT);
    assert_eq!(dropped, Probe::Silence, "DROP stays silent");
    rule(
        &lab,
        f,
        &format!("-I FORWARD -p tcp --dport 8080 -j REJECT --reject-with {with}"),
    );
    let (rejected, took) = lab.client.tcp_probe(sa(f.server, 8080), TCP_ERR);
    eprintln!("REJECT --reject-with {with} over TCP: {rejected:?} after {took:?}");
    assert_eq!(
        rejected,
        Probe::Error(errno),
        "REJECT --reject-with {with}: errno {errno} ({}) after {took:?}",
        std::io::Error::from_raw_os_error(errno)
    );
    assert!(took < TCP_ERR - SHORT, "not a time-out: {took:?}");
    let (other, _) = lab.client.tcp_probe(sa(f.server, 8081), SHORT);
    assert!(
        matches!(other, Probe::Answer(_)),
        "8081 untouched: {other:?}"
    );
}

#[test]
fn reject_icmp6_port_unreachable_udp() {
    reject_udp(V6, "icmp6-port-unreachable", libc::ECONNREFUSED);
}

#[test]
fn reject_icmp6_adm_prohibited_udp() {
    reject_udp(V6, "icmp6-adm-prohibited", libc::EACCES);
}

#[test]
fn reject_icmp6_port_unreachable_tcp() {
    reject_tcp(V6, "icmp6-port-unreachable", libc::ECONNREFUSED);
}

#[test]
fn reject_icmp6_adm_prohibited_tcp() {
    reject_tcp(V6, "icmp6-adm-prohibited", libc::EACCES);
}

#[test]
fn reject_tcp_reset_v6_forward() {
    reject_tcp(V6, "tcp-reset", libc::ECONNREFUSED);
}

#[test]
fn reject_icmp_port_unreachable_udp_v4() {
    reject_udp(V4, "icmp-port-unreachable", libc::ECONNREFUSED);
}

#[test]
fn reject_icmp_admin_prohibited_udp_v4() {
    reject_udp(V4, "icmp-admin-prohibited", libc::EHOSTUNREACH);
}

#[test]
fn reject_icmp_port_unreachable_tcp_v4() {
    reject_tcp(V4, "icmp-port-unreachable", libc::ECONNREFUSED);
}

#[test]
fn reject_tcp_reset_v4_forward() {
    reject_tcp(V4, "tcp-reset", libc::ECONNREFUSED);
}

// ------------------------------------------------------------- conntrack

/// A stateful forwarder: `ESTABLISHED,RELATED` accepted both ways, `NEW`
/// only from the client side (`-i lan0`), policy DROP. The client's
/// connection to the server is answered; the server's connection to the
/// client (NEW from the other side) is dropped. The counters show the
/// client's SYN was the one NEW packet, the rest of its connection
/// ESTABLISHED.
fn new_established(f: Fam, est: &str, new: &str) {
    let Some(lab) = lab() else { return };
    let _s = lab.server.tcp_listen(sa(f.server, 8080), "server");
    let _c = lab.client.tcp_listen(sa(f.client, 7070), "client");
    rule(&lab, f, &format!("-A FORWARD {est} -j ACCEPT"));
    rule(&lab, f, &format!("-A FORWARD -i lan0 {new} -j ACCEPT"));
    setup(&lab, f, "-P FORWARD DROP");
    let (out, _) = lab.client.tcp_probe(sa(f.server, 8080), SHORT);
    assert!(
        matches!(&out, Probe::Answer(a) if a.starts_with("server ")),
        "the client's connection and its replies pass: {out:?}"
    );
    let (inbound, _) = lab.server.tcp_probe(sa(f.client, 7070), SHORT);
    assert_eq!(inbound, Probe::Silence, "NEW from the server side drops");
    let c = counters(&lab, f, "filter", "FORWARD");
    assert_eq!(c.len(), 2, "{c:?}");
    assert_eq!(c[1], 1, "one NEW packet, the client's SYN: {c:?}");
    assert!(c[0] >= 3, "SYN-ACK, ACK, data... ESTABLISHED: {c:?}");
}

#[test]
fn conntrack_new_established_v4() {
    new_established(
        V4,
        "-m conntrack --ctstate RELATED,ESTABLISHED",
        "-m conntrack --ctstate NEW",
    );
}

#[test]
fn conntrack_new_established_v6() {
    new_established(
        V6,
        "-m conntrack --ctstate RELATED,ESTABLISHED",
        "-m conntrack --ctstate NEW",
    );
}

#[test]
fn state_new_established_v4() {
    new_established(
        V4,
        "-m state --state ESTABLISHED,RELATED",
        "-m state --state NEW",
    );
}

#[test]
fn state_new_established_v6() {
    new_established(
        V6,
        "-m state --state ESTABLISHED,RELATED",
        "-m state --state NEW",
    );
}

/// RELATED: from the server side only `RELATED` is accepted. A datagram
/// to a closed port of the server gets the server's ICMP port unreachable
/// (related to the client's flow) through, so the client's socket is
/// refused; the answer to a datagram to an open port is ESTABLISHED, not
/// RELATED, and is dropped (the control).
fn related(f: Fam, matcher: &str) {
    let Some(lab) = lab() else { return };
    let l = lab.server.udp_listen(sa(f.server, 5000), "udp");
    rule(&lab, f, &format!("-A FORWARD -i wan0 {matcher} -j ACCEPT"));
    setup(&lab, f, "-A FORWARD -i wan0 -j DROP");
    let (closed, _) = lab.client.udp_probe(f.client, sa(f.server, 5009), SHORT);
    assert_eq!(
        closed,
        Probe::Error(libc::ECONNREFUSED),
        "the server's ICMP error is RELATED"
    );
    let (open, _) = lab.client.udp_probe(f.client, sa(f.server, 5000), SHORT);
    assert_eq!(open, Probe::Silence, "an ESTABLISHED answer is dropped");
    assert_eq!(l.finish().len(), 1, "the server got the datagram");
    assert_eq!(counters(&lab, f, "filter", "FORWARD"), [1, 1]);
}

#[test]
fn conntrack_related_v4() {
    related(V4, "-m conntrack --ctstate RELATED");
}

#[test]
fn conntrack_related_v6() {
    related(V6, "-m conntrack --ctstate RELATED");
}

#[test]
fn state_related_v6() {
    related(V6, "-m state --state RELATED");
}

/// INVALID: a TCP segment with SYN and FIN set is no valid packet for
/// conntrack (an invalid flag combination, whatever its sysctls), so
/// `--ctstate INVALID -j DROP` takes it; a plain SYN (NEW) is the control.
/// The counters prove which rule saw which: the DROP rule the stray
/// segment only, the counting rule after it the SYN only.
fn invalid(f: Fam, matcher: &str) {
    let Some(lab) = lab() else { return };
    rule(&lab, f, &format!("-A FORWARD {matcher} -j DROP"));
    setup(&lab, f, "-A FORWARD -i lan0 -p tcp --dport 9999");
    let send = |sport: u16, flags: u8| {
        let (src, dst) = (f.client, f.server);
        in_ns(&lab.client.name, move || {
            raw_tcp::send(src, dst, sport, 9999, flags)
        })
        .join()
        .expect("raw TCP sender")
        .unwrap_or_else(|e| panic!("raw TCP segment: {e}"));
    };
    send(40001, raw_tcp::SYN | raw_tcp::FIN);
    assert_eq!(settled(&lab, f, &[1, 0]), [1, 0], "SYN+FIN is INVALID");
    send(40002, raw_tcp::SYN);
    assert_eq!(
        settled(&lab, f, &[1, 1]),
        [1, 1],
        "a SYN is NEW, not INVALID"
    );
}

#[test]
fn conntrack_invalid_v4() {
    invalid(V4, "-m conntrack --ctstate INVALID");
}

#[test]
fn conntrack_invalid_v6() {
    invalid(V6, "-m conntrack --ctstate INVALID");
}

#[test]
fn state_invalid_v4() {
    invalid(V4, "-m state --state INVALID");
}

/// `--ctstate DNAT`: forwarded TCP to port 8080 is dropped unless its
/// connection was DNATed. The client's connection to the virtual address
/// (DNATed to server:8080) passes; its connection straight to server:8080
/// (not DNATed, the control) is dropped. Counters: the ACCEPT rule saw the
/// DNATed connection, the DROP rule the direct one.
fn ctstate_dnat(f: Fam) {
    let Some(lab) = lab() else { return };
    let _l = lab.server.tcp_listen(sa(f.server, 8080), "web");
    rule(
        &lab,
        f,
        &format!(
            "-t nat -A PREROUTING -d {} -p tcp --dport 80 -j DNAT --to-destination {}",
            f.virt,
            to(f.server, 8080)
        ),
    );
    rule(
        &lab,
        f,
        "-A FORWARD -i lan0 -m conntrack --ctstate DNAT -j ACCEPT",
    );
    setup(&lab, f, "-A FORWARD -i lan0 -p tcp --dport 8080 -j DROP");
    let (natted, _) = lab.client.tcp_probe(sa(f.virt, 80), SHORT);
    assert!(
        matches!(&natted, Probe::Answer(a) if a.starts_with("web ")),
        "the DNATed connection passes: {natted:?}"
    );
    let before = counters(&lab, f, "filter", "FORWARD");
    assert!(before[0] >= 2 && before[1] == 0, "{before:?}");
    let (direct, _) = lab.client.tcp_probe(sa(f.server, 8080), SHORT);
    assert_eq!(direct, Probe::Silence, "not DNATed: dropped");
    let after = counters(&lab, f, "filter", "FORWARD");
    assert_eq!(
        after[0], before[0],
        "the DNAT rule did not match: {after:?}"
    );
    assert!(after[1] >= 1, "the DROP rule took it: {after:?}");
}

#[test]
fn ctstate_dnat_v4() {
    ctstate_dnat(V4);
}

#[test]
fn ctstate_dnat_v6() {
    ctstate_dnat(V6);
}

// ---------------------------------------------------------------- nfacct

/// The packet count of nfacct object `name` in `host` (`nfacct get`).
fn nfacct_pkts(host: &Host, name: &str) -> u64 {
    let out = host.exec("nfacct", &["get", name]);
    assert!(out.status.success(), "nfacct get {name}: {}", text(&out));
    // { pkts = 00000000000000000003, bytes = 00000000000000000126 } = NAME;
    let s = String::from_utf8_lossy(&out.stdout);
    s.split("pkts = ")
        .nth(1)
        .and_then(|r| r.split(',').next())
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or_else(|| panic!("nfacct get {name}: {s}"))
}

/// `-m nfacct --nfacct-name lab_b` on B's forwarded datagrams: the object
/// counts B's three, not A's two (the control) nor the answers.
fn nfacct(f: Fam) {
    let Some(lab) = lab() else { return };
    let made = lab.router.exec("nfacct", &["add", "lab_b"]);
    assert!(made.status.success(), "nfacct add: {}", text(&made));
    let _l = lab.server.udp_listen(sa(f.server, 5000), "udp");
    rule(
        &lab,
        f,
        &format!("-A FORWARD -s {} -m nfacct --nfacct-name lab_b", f.client_b),
    );
    for (src, n) in [(f.client, 2), (f.client_b, 3)] {
        for _ in 0..n {
            let r = lab.client.udp_send(src, sa(f.server, 5000));
            assert!(r.is_ok(), "{src}: {r:?}");
        }
    }
    assert_eq!(nfacct_pkts(&lab.router, "lab_b"), 3, "B's three only");
    assert_eq!(counters(&lab, f, "filter", "FORWARD"), [3]);
}

#[test]
fn nfacct_counts_v4() {
    nfacct(V4);
}

#[test]
fn nfacct_counts_v6() {
    nfacct(V6);
}

/// One TCP segment of our making over a raw socket (the kernel adds the IP
/// header), for packets no socket would send.
mod raw_tcp {
    use super::lab::icmp::sockaddr;
    use std::net::IpAddr;
    use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};

    pub const FIN: u8 = 0x01;
    pub const SYN: u8 = 0x02;

    fn sum16(b: &[u8], mut sum: u32) -> u32 {
        for c in b.chunks(2) {
            sum += u16::from_be_bytes([c[0], *c.get(1).unwrap_or(&0)]) as u32;
        }
        sum
    }

    fn fold(mut sum: u32) -> u16 {
        while sum > 0xffff {
            sum = (sum & 0xffff) + (sum >> 16);
        }
        !(sum as u16)
    }

    fn check(r: libc::c_int, what: &str) -> Result<(), String> {
        if r < 0 {
            Err(format!("{what}: {}", std::io::Error::last_os_error()))
        } else {
            Ok(())
        }
    }

    /// Send one segment with `flags` from `src:sport` to `dst:dport`.
    pub fn send(src: IpAddr, dst: IpAddr, sport: u16, dport: u16, flags: u8) -> Result<(), String> {
        let mut seg = Vec::with_capacity(20);
        seg.extend_from_slice(&sport.to_be_bytes());
        seg.extend_from_slice(&dport.to_be_bytes());
        seg.extend_from_slice(&0x1234_5678u32.to_be_bytes()); // seq
        seg.extend_from_slice(&0u32.to_be_bytes()); // ack
        seg.extend_from_slice(&[5 << 4, flags]);
        seg.extend_from_slice(&64240u16.to_be_bytes()); // window
        seg.extend_from_slice(&[0, 0, 0, 0]); // checksum, urgent
        let domain = match dst {
            IpAddr::V4(_) => libc::AF_INET,
            IpAddr::V6(_) => libc::AF_INET6,
        };
        // SAFETY: plain socket(2); checked below.
        let raw = unsafe {
            libc::socket(
                domain,
                libc::SOCK_RAW | libc::SOCK_CLOEXEC,
                libc::IPPROTO_TCP,
            )
        };
        check(raw, "raw TCP socket")?;
        // SAFETY: a fresh descriptor nothing else owns.
        let fd = unsafe { OwnedFd::from_raw_fd(raw) };
        match (src, dst) {
            (IpAddr::V4(s), IpAddr::V4(d)) => {
                // the pseudo-header checksum is ours to compute
                let mut sum = sum16(&s.octets(), 0);
                sum = sum16(&d.octets(), sum);
                sum += libc::IPPROTO_TCP as u32 + seg.len() as u32;
                let c = fold(sum16(&seg, sum));
                seg[16..18].copy_from_slice(&c.to_be_bytes());
            }
            _ => {
                // the kernel fills in the checksum at offset 16
                let off: libc::c_int = 16;
                // SAFETY: `off` is a valid int for IPV6_CHECKSUM.
                let r = unsafe {
                    libc::setsockopt(
                        fd.as_raw_fd(),
                        libc::IPPROTO_IPV6,
                        libc::IPV6_CHECKSUM,
                        &off as *const _ as *const libc::c_void,
                        std::mem::size_of::<libc::c_int>() as libc::socklen_t,
                    )
                };
                check(r, "IPV6_CHECKSUM")?;
            }
        }
        let (sa, len) = sockaddr(src);
        // SAFETY: `sa` is a valid sockaddr of `len` bytes.
        let r = unsafe {
            libc::bind(
                fd.as_raw_fd(),
                &sa as *const _ as *const libc::sockaddr,
                len,
            )
        };
        check(r, "bind")?;
        let (da, len) = sockaddr(dst);
        // SAFETY: `seg` and `da` are valid for the lengths given.
        let n = unsafe {
            libc::sendto(
                fd.as_raw_fd(),
                seg.as_ptr() as *const libc::c_void,
                seg.len(),
                0,
                &da as *const _ as *const libc::sockaddr,
                len,
            )
        };
        check(n as libc::c_int, "sendto")
    }
}
