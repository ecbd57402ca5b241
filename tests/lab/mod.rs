//! The packet lab: throwaway hosts made of network namespaces, joined by
//! veth pairs, for tests that prove rules act on real packets.
//!
//! ```text
//!   client                  router                   server
//!   eth0 ---------------- lan0    wan0 ---------------- eth0
//!   10.99.1.2, .3          10.99.1.1  10.99.2.1           10.99.2.2
//!   fd99:1::2, ::3         fd99:1::1  fd99:2::1           fd99:2::2
//! ```
//!
//! - Every address is from 10.99.0.0/16 or fd99::/16, except the address
//!   the DNAT tests connect to (1.2.3.4, routed by the client to the
//!   router; the router has no route for it, so without a DNAT rule it is
//!   dropped there). No namespace has a link to anything outside the lab
//!   and none has a default route: no packet can leave.
//! - The client routes 10.99.2.0/24, 1.2.3.4 and fd99:2::/64, fd99:4::/64
//!   via the router; the server routes 10.99.1.0/24, 10.99.3.0/24 and
//!   fd99:1::/64, fd99:3::/64 via the router (10.99.3.0/24 and fd99:3::/64
//!   are SNAT sources; tests may drop the route back to the client net to
//!   show that only NAT makes an answer possible).
//! - Forwarding is switched on inside the router namespace only.
//! - Deterministic: no address goes through duplicate address detection
//!   (`nodad`, and `accept_dad=0` for the link-local ones), ICMP errors are
//!   not rate limited, and a lab is handed out only when every link has its
//!   carrier, no address is tentative and each host has reached its
//!   neighbours (bounded waits; a lab that never gets there panics).
//! - Traffic is bounded: one TCP connection or UDP datagram or ICMP echo
//!   per call, each with a timeout of about a second. Sockets are made in
//!   a thread that has joined the namespace (`setns`), so no tool beyond
//!   `ip` (iproute2) is needed.
//! - Names are unique per lab (`rxlab-<pid>-<n>-<role>`), so tests run in
//!   parallel; the namespaces are deleted on drop, also when a test fails,
//!   and labs left by a killed run (their pid gone) are removed by the next.
//!
//! Rules are applied with the rxtables binary inside the router namespace.
//! [`Host::rule`] is for the rule a test is about: with
//! `RX_LAB_OMIT_RULES=1` in the environment it does nothing, and every test
//! must then fail (this is how one checks that each test depends on its
//! rule); `RX_LAB_OMIT_RULE=K` leaves out only the K-th rule of each test.
//! With `RX_LAB_REFERENCE=1` every rxtables command of a test runs with
//! iptables 1.8.13 (`/opt/iptables-sid/bin`) instead: every test must pass
//! then too (this is how one checks the tests themselves).
#![allow(dead_code)]

use std::fs::File;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{mpsc, Arc};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// How long a client waits for a connection or an answer.
pub const TIMEOUT: Duration = Duration::from_millis(1000);
/// The longest a listener keeps running when nobody stops it.
const LISTEN_CAP: Duration = Duration::from_secs(20);

/// The client's first address.
pub const CLIENT4: Ipv4Addr = Ipv4Addr::new(10, 99, 1, 2);
/// The client's second address.
pub const CLIENT4_B: Ipv4Addr = Ipv4Addr::new(10, 99, 1, 3);
/// The router's address on the client side.
pub const ROUTER_LAN4: Ipv4Addr = Ipv4Addr::new(10, 99, 1, 1);
/// The router's address on the server side (its "uplink").
pub const ROUTER_WAN4: Ipv4Addr = Ipv4Addr::new(10, 99, 2, 1);
/// The server's address.
pub const SERVER4: Ipv4Addr = Ipv4Addr::new(10, 99, 2, 2);
/// An SNAT source the server routes back to the router.
pub const SNAT4: Ipv4Addr = Ipv4Addr::new(10, 99, 3, 1);
/// The address the DNAT tests connect to: no host has it.
pub const VIRTUAL4: Ipv4Addr = Ipv4Addr::new(1, 2, 3, 4);

/// IPv6 counterparts.
pub const CLIENT6: Ipv6Addr = Ipv6Addr::new(0xfd99, 1, 0, 0, 0, 0, 0, 2);
/// The client's second IPv6 address.
pub const CLIENT6_B: Ipv6Addr = Ipv6Addr::new(0xfd99, 1, 0, 0, 0, 0, 0, 3);
/// The router's IPv6 address on the client side.
pub const ROUTER_LAN6: Ipv6Addr = Ipv6Addr::new(0xfd99, 1, 0, 0, 0, 0, 0, 1);
/// The router's IPv6 address on the server side.
pub const ROUTER_WAN6: Ipv6Addr = Ipv6Addr::new(0xfd99, 2, 0, 0, 0, 0, 0, 1);
/// The server's IPv6 address.
pub const SERVER6: Ipv6Addr = Ipv6Addr::new(0xfd99, 2, 0, 0, 0, 0, 0, 2);
/// An IPv6 SNAT source the server routes back to the router.
pub const SNAT6: Ipv6Addr = Ipv6Addr::new(0xfd99, 3, 0, 0, 0, 0, 0, 1);
/// The IPv6 address the DNAT tests connect to: no host has it.
pub const VIRTUAL6: Ipv6Addr = Ipv6Addr::new(0xfd99, 4, 0, 0, 0, 0, 0, 4);

/// Where iptables 1.8.13, the reference, is (for `RX_LAB_REFERENCE=1`).
const REFERENCE_DIR: &str = "/opt/iptables-sid/bin";

/// The rxtables binary under test.
pub fn rxtables() -> &'static str {
    env!("CARGO_BIN_EXE_rxtables")
}

/// Can labs be built here (root, and `ip` present)? Tests skip otherwise,
/// saying why.
pub fn available() -> bool {
    // SAFETY: geteuid(2) has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        eprintln!("packet lab skipped: needs root");
        return false;
    }
    let ok = Command::new("ip")
        .arg("-V")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    if !ok {
        eprintln!("packet lab skipped: `ip` (iproute2) not found");
    }
    ok
}

fn run(cmd: &mut Command) -> Output {
    cmd.stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"))
}

fn must(cmd: &mut Command) -> Output {
    let out = run(cmd);
    assert!(
        out.status.success(),
        "{cmd:?} failed ({}):\n{}{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// Run `f` in a new thread that has joined network namespace `ns`; the
/// sockets it makes live there. The thread ends with `f`.
pub fn in_ns<T: Send + 'static>(ns: &str, f: impl FnOnce() -> T + Send + 'static) -> JoinHandle<T> {
    let path = format!("/run/netns/{ns}");
    std::thread::spawn(move || {
        let file = File::open(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
        nix::sched::setns(&file, nix::sched::CloneFlags::CLONE_NEWNET)
            .unwrap_or_else(|e| panic!("setns {path}: {e}"));
        f()
    })
}

/// One host of the lab: a network namespace.
#[derive(Debug)]
pub struct Host {
    /// the namespace's name
    pub name: String,
    /// how many rules [`Host::rule`] was asked for
    rules: AtomicUsize,
}

/// What a listener saw of one connection or datagram.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seen {
    /// the peer's address as the listener saw it
    pub peer: SocketAddr,
    /// the local address the packet was for
    pub local: SocketAddr,
    /// TCP: the maximum segment size the connection got (the peer's SYN
    /// option, as TCPMSS may have rewritten it)
    pub mss: Option<u32>,
}

/// A TCP or UDP listener running in a namespace until [`Listener::finish`].
/// It answers every connection or datagram with `"<tag> <local> <peer>\n"`.
pub struct Listener {
    stop: Arc<AtomicBool>,
    handle: Option<JoinHandle<Vec<Seen>>>,
    /// where it listens
    pub addr: SocketAddr,
}

impl Listener {
    /// Stop it and return what it saw.
    pub fn finish(mut self) -> Vec<Seen> {
        self.stop.store(true, Ordering::SeqCst);
        self.handle
            .take()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| panic!("listener on {} panicked", self.addr))
            })
            .unwrap_or_default()
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
    }
}

fn answer(tag: &str, local: SocketAddr, peer: SocketAddr) -> String {
    format!("{tag} {local} {peer}\n")
}

impl Host {
    /// `ip -n NAME ARGS`, which must succeed.
    pub fn ip(&self, args: &[&str]) -> Output {
        must(Command::new("ip").arg("-n").arg(&self.name).args(args))
    }

    /// `ip netns exec NAME PROG ARGS`, whatever its result.
    pub fn exec(&self, prog: &str, args: &[&str]) -> Output {
        run(Command::new("ip")
            .args(["netns", "exec", &self.name, prog])
            .args(args))
    }

    /// rxtables as an applet (`iptables`, `ip6tables`, `iptables-save`, ...)
    /// inside this namespace, whatever its result. With
    /// `RX_LAB_REFERENCE=1`, iptables 1.8.13 instead (see the module doc).
    pub fn rx(&self, args: &[&str]) -> Output {
        if std::env::var("RX_LAB_REFERENCE").is_ok_and(|v| v == "1") {
            if let Some((applet, rest)) = args.split_first() {
                return self.exec(&format!("{REFERENCE_DIR}/{applet}"), rest);
            }
        }
        self.exec(rxtables(), args)
    }

    /// rxtables, which must succeed; its stdout.
    pub fn rx_ok(&self, args: &[&str]) -> String {
        let out = self.rx(args);
        assert!(
            out.status.success(),
            "rxtables {args:?} in {} failed ({}):\n{}",
            self.name,
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// The rule a test is about: applied with rxtables (it must succeed),
    /// unless `RX_LAB_OMIT_RULES=1` asks to leave it out.
    /// `RX_LAB_OMIT_RULE=K` leaves out only the K-th such rule of the host
    /// (counting from 1), for tests that apply several.
    pub fn rule(&self, args: &[&str]) {
        let k = self.rules.fetch_add(1, Ordering::SeqCst) + 1;
        if std::env::var("RX_LAB_OMIT_RULES").is_ok_and(|v| v == "1") {
            eprintln!("RX_LAB_OMIT_RULES=1: leaving out {args:?}");
            return;
        }
        if std::env::var("RX_LAB_OMIT_RULE").is_ok_and(|v| v == k.to_string()) {
            eprintln!("RX_LAB_OMIT_RULE={k}: leaving out {args:?}");
            return;
        }
        self.rx_ok(args);
    }

    /// Wait (at most 5 s, else panic) until every link of this host that
    /// is up has its carrier and a link-local IPv6 address, and no IPv6
    /// address is tentative (`ip -6 addr show tentative` prints nothing).
    pub fn wait_ready(&self) {
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            let why = self.not_ready();
            match why {
                None => return,
                Some(w) if Instant::now() > deadline => {
                    panic!("{} not ready after 5 s: {w}", self.name)
                }
                Some(_) => std::thread::sleep(Duration::from_millis(20)),
            }
        }
    }

    /// What [`Host::wait_ready`] still waits for, if anything.
    fn not_ready(&self) -> Option<String> {
        let tentative = self.ip(&["-6", "-o", "addr", "show", "tentative"]);
        if !tentative.stdout.is_empty() {
            return Some(format!(
                "tentative: {}",
                String::from_utf8_lossy(&tentative.stdout)
            ));
        }
        let links = self.ip(&["-o", "link", "show", "up"]);
        for line in String::from_utf8_lossy(&links.stdout).lines() {
            // "2: eth0@if3: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu ..."
            let Some(dev) = line.split(": ").nth(1) else {
                continue;
            };
            let dev = dev.split('@').next().unwrap_or(dev);
            if dev == "lo" {
                continue;
            }
            if !line.contains("LOWER_UP") {
                return Some(format!("{dev} has no carrier"));
            }
            let ll = self.ip(&["-6", "-o", "addr", "show", "dev", dev, "scope", "link"]);
            if ll.stdout.is_empty() {
                return Some(format!("{dev} has no link-local address yet"));
            }
        }
        None
    }

    /// Write a sysctl of this namespace (`net/ipv4/ip_forward`).
    pub fn sysctl(&self, key: &str, value: &str) {
        let path = format!("/proc/sys/{key}");
        let value = value.to_string();
        in_ns(&self.name, move || {
            std::fs::write(&path, value).unwrap_or_else(|e| panic!("{path}: {e}"))
        })
        .join()
        .unwrap_or_else(|_| panic!("sysctl {key} in {}", self.name));
    }

    /// A TCP listener on `addr`.
    pub fn tcp_listen(&self, addr: SocketAddr, tag: &str) -> Listener {
        let stop = Arc::new(AtomicBool::new(false));
        let (tx, rx) = mpsc::channel();
        let tag = tag.to_string();
        let st = stop.clone();
        let handle = in_ns(&self.name, move || {
            let l = match TcpListener::bind(addr) {
                Ok(l) => l,
                Err(e) => {
                    let _ = tx.send(Err(format!("bind {addr}: {e}")));
                    return Vec::new();
                }
            };
            l.set_nonblocking(true).expect("nonblocking listener");
            let _ = tx.send(Ok(()));
            let mut seen = Vec::new();
            let start = Instant::now();
            while !st.load(Ordering::SeqCst) && start.elapsed() < LISTEN_CAP {
                match l.accept() {
                    Ok((mut s, peer)) => {
                        let _ = s.set_nonblocking(false);
                        let _ = s.set_read_timeout(Some(TIMEOUT));
                        let local = s.local_addr().unwrap_or(addr);
                        let mut line = String::new();
                        let _ = BufReader::new(&s).read_line(&mut line);
                        let _ = s.write_all(answer(&tag, local, peer).as_bytes());
                        let mss =
                            nix::sys::socket::getsockopt(&s, nix::sys::socket::sockopt::TcpMaxSeg)
                                .ok();
                        seen.push(Seen { peer, local, mss });
                    }
                    Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                        std::thread::sleep(Duration::from_millis(10))
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(10)),
                }
            }
            seen
        });
        match rx.recv_timeout(Duration::from_secs(5)) {
            Ok(Ok(())) => {}
            Ok(Err(e)) => panic!("listener in {}: {e}", self.name),
            Err(e) => panic!("listener in {} did not start: {e}", self.name),
        }
        Listener {
            stop,
            handle: Some(handle),
            addr,
        }
    }

    /// A UDP listener on `addr`, answering each datagram.
    pub fn udp_listen(&self, addr: SocketAddr, tag: &str) -> Listener {
        let stop = Arc::new(AtomicBool::new(false));
        let (tx, rx) = mpsc::channel();
        let tag = tag.to_string();
        let st = stop.clone();
        let handle = in_ns(&self.name, move || {
            let s = match UdpSocket::bind(addr) {
                Ok(s) => s,
                Err(e) => {
                    let _ = tx.send(Err(format!("bind {addr}: {e}")));
                    return Vec::new();
                }
            };
            s.set_read_timeout(Some(Duration::from_millis(20)))
                .expect("udp timeout");
            let _ = tx.send(Ok(()));
            let mut seen = Vec::new();
            let mut buf = [0u8; 512];
            let start = Instant::now();
            while !st.load(Ordering::SeqCst) && start.elapsed() < LISTEN_CAP {
                if let Ok((_, peer)) = s.recv_from(&mut buf) {
                    let _ = s.send_to(answer(&tag, addr, peer).as_bytes(), peer);
                    seen.push(Seen {
                        peer,
                        local: addr,
                        mss: None,
                    });
                }
            }
            seen
        });
        match rx.recv_timeout(Duration::from_secs(5)) {
            Ok(Ok(())) => {}
            Ok(Err(e)) => panic!("listener in {}: {e}", self.name),
            Err(e) => panic!("listener in {} did not start: {e}", self.name),
        }
        Listener {
            stop,
            handle: Some(handle),
            addr,
        }
    }

    /// Connect to `dst` over TCP, say hello and return the answer line.
    pub fn tcp_connect(&self, dst: SocketAddr) -> Result<String, String> {
        in_ns(&self.name, move || {
            let mut s = TcpStream::connect_timeout(&dst, TIMEOUT)
                .map_err(|e| format!("connect {dst}: {e}"))?;
            s.set_read_timeout(Some(TIMEOUT))
                .map_err(|e| e.to_string())?;
            s.write_all(b"hello\n")
                .map_err(|e| format!("write {dst}: {e}"))?;
            let mut line = String::new();
            BufReader::new(&s)
                .read_line(&mut line)
                .map_err(|e| format!("read {dst}: {e}"))?;
            if line.is_empty() {
                return Err(format!("{dst} closed without answering"));
            }
            Ok(line.trim_end().to_string())
        })
        .join()
        .unwrap_or_else(|_| Err("client thread panicked".into()))
    }

    /// Send one UDP datagram from `src` (port chosen by the kernel) to
    /// `dst` and return the answer.
    pub fn udp_send(&self, src: IpAddr, dst: SocketAddr) -> Result<String, String> {
        in_ns(&self.name, move || {
            let s =
                UdpSocket::bind(SocketAddr::new(src, 0)).map_err(|e| format!("bind {src}: {e}"))?;
            s.set_read_timeout(Some(TIMEOUT))
                .map_err(|e| e.to_string())?;
            s.send_to(b"hello\n", dst)
                .map_err(|e| format!("send {dst}: {e}"))?;
            let mut buf = [0u8; 512];
            let (n, _) = s
                .recv_from(&mut buf)
                .map_err(|e| format!("{src} -> {dst}: no answer ({e})"))?;
            Ok(String::from_utf8_lossy(&buf[..n]).trim_end().to_string())
        })
        .join()
        .unwrap_or_else(|_| Err("client thread panicked".into()))
    }

    /// One TCP connection to `dst` (say hello, read the answer line), with
    /// `wait` for the connection and again for the answer: what came of it
    /// and how long it took. Unlike [`Host::tcp_connect`], an error keeps
    /// its errno, so a test can tell a reset from an ICMP error.
    pub fn tcp_probe(&self, dst: SocketAddr, wait: Duration) -> (Probe, Duration) {
        in_ns(&self.name, move || {
            let start = Instant::now();
            let p = (|| {
                let mut s = TcpStream::connect_timeout(&dst, wait).map_err(Probe::from)?;
                s.set_read_timeout(Some(wait)).map_err(Probe::from)?;
                s.write_all(b"hello\n").map_err(Probe::from)?;
                let mut line = String::new();
                BufReader::new(&s)
                    .read_line(&mut line)
                    .map_err(Probe::from)?;
                Ok::<_, Probe>(Probe::Answer(line.trim_end().to_string()))
            })();
            (p.unwrap_or_else(|e| e), start.elapsed())
        })
        .join()
        .unwrap_or((Probe::Error(-1), Duration::ZERO))
    }

    /// One UDP datagram from `src` to `dst` over a *connected* socket, so
    /// that an ICMP/ICMPv6 error for it comes back as the socket's error
    /// (an unconnected socket never sees one): what came of it, and how
    /// long it took.
    pub fn udp_probe(&self, src: IpAddr, dst: SocketAddr, wait: Duration) -> (Probe, Duration) {
        in_ns(&self.name, move || {
            let start = Instant::now();
            let p = (|| {
                let s = UdpSocket::bind(SocketAddr::new(src, 0)).map_err(Probe::from)?;
                s.connect(dst).map_err(Probe::from)?;
                s.set_read_timeout(Some(wait)).map_err(Probe::from)?;
                s.send(b"hello\n").map_err(Probe::from)?;
                let mut buf = [0u8; 512];
                let n = s.recv(&mut buf).map_err(Probe::from)?;
                Ok::<_, Probe>(Probe::Answer(
                    String::from_utf8_lossy(&buf[..n]).trim_end().to_string(),
                ))
            })();
            (p.unwrap_or_else(|e| e), start.elapsed())
        })
        .join()
        .unwrap_or((Probe::Error(-1), Duration::ZERO))
    }

    /// One ICMP echo from `src` (or the kernel's choice) to `dst`; true if
    /// the reply came within [`TIMEOUT`] (like `ping -c1 -W1`).
    pub fn ping(&self, src: Option<IpAddr>, dst: IpAddr) -> bool {
        in_ns(&self.name, move || icmp::echo(src, dst, TIMEOUT))
            .join()
            .unwrap_or(false)
    }
}

/// What came of a [`Host::tcp_probe`] or [`Host::udp_probe`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Probe {
    /// the peer's answer line
    Answer(String),
    /// the socket's error: an errno (`libc::ECONNREFUSED`, ...)
    Error(i32),
    /// nothing came back in time
    Silence,
}

impl From<std::io::Error> for Probe {
    fn from(e: std::io::Error) -> Probe {
        match (e.raw_os_error(), e.kind()) {
            (Some(libc::EAGAIN), _) | (Some(libc::ETIMEDOUT), _) => Probe::Silence,
            (Some(n), _) => Probe::Error(n),
            (None, std::io::ErrorKind::TimedOut | std::io::ErrorKind::WouldBlock) => Probe::Silence,
            // e.g. "closed without answering": not an errno
            (None, _) => Probe::Error(0),
        }
    }
}

/// A client, a router and a server (see the module doc).
pub struct Lab {
    /// the client host
    pub client: Host,
    /// the router, where rules go
    pub router: Host,
    /// the server host
    pub server: Host,
}

const PREFIX: &str = "rxlab-";

/// Delete labs whose creating process is gone (a run that was killed).
fn reap_stale() {
    let Ok(out) = Command::new("ip").args(["netns", "list"]).output() else {
        return;
    };
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let name = line.split_whitespace().next().unwrap_or("");
        let Some(rest) = name.strip_prefix(PREFIX) else {
            continue;
        };
        let Some(pid) = rest.split('-').next().and_then(|p| p.parse::<u32>().ok()) else {
            continue;
        };
        if !std::path::Path::new(&format!("/proc/{pid}")).exists() {
            let _ = Command::new("ip").args(["netns", "del", name]).status();
        }
    }
}

impl Lab {
    /// Build a fresh lab, addressed and routed, links up and checked.
    pub fn new() -> Lab {
        static N: AtomicUsize = AtomicUsize::new(0);
        static REAPED: std::sync::Once = std::sync::Once::new();
        REAPED.call_once(reap_stale);
        let n = N.fetch_add(1, Ordering::SeqCst);
        let base = format!("{PREFIX}{}-{n}", std::process::id());
        let mk = |role: &str| {
            let name = format!("{base}-{role}");
            must(Command::new("ip").args(["netns", "add", &name]));
            Host {
                name,
                rules: AtomicUsize::new(0),
            }
        };
        // Each host is owned by `lab` at once, so a failure below still
        // deletes whatever was made.
        let none = || Host {
            name: String::new(),
            rules: AtomicUsize::new(0),
        };
        let mut lab = Lab {
            client: none(),
            router: none(),
            server: none(),
        };
        lab.client = mk("c");
        lab.router = mk("r");
        lab.server = mk("s");
        lab.wire();
        lab
    }

    fn wire(&self) {
        let (c, r, s) = (&self.client, &self.router, &self.server);
        for h in [c, r, s] {
            // No duplicate address detection, for the link-local addresses
            // the kernel makes either (its devices copy `default`): while
            // one is tentative, a router's neighbour solicitation for a
            // forwarded packet (sent from the link-local address) is not
            // sent at all, and the packet waits a second or more.
            h.sysctl("net/ipv6/conf/default/accept_dad", "0");
            h.sysctl("net/ipv6/conf/all/accept_dad", "0");
            // Tests send ICMP errors in quick succession (REJECT, closed
            // ports): none may be lost to the per-peer rate limit.
            h.sysctl("net/ipv6/icmp/ratelimit", "0");
            h.sysctl("net/ipv4/icmp_ratelimit", "0");
        }
        r.ip(&[
            "link", "add", "lan0", "type", "veth", "peer", "name", "eth0", "netns", &c.name,
        ]);
        r.ip(&[
            "link", "add", "wan0", "type", "veth", "peer", "name", "eth0", "netns", &s.name,
        ]);
        for (h, dev, addrs) in [
            (
                c,
                "eth0",
                &[
                    "10.99.1.2/24",
                    "10.99.1.3/24",
                    "fd99:1::2/64",
                    "fd99:1::3/64",
                ][..],
            ),
            (r, "lan0", &["10.99.1.1/24", "fd99:1::1/64"][..]),
            (r, "wan0", &["10.99.2.1/24", "fd99:2::1/64"][..]),
            (s, "eth0", &["10.99.2.2/24", "fd99:2::2/64"][..]),
        ] {
            for a in addrs {
                if *a == "fd99:1::3/64" {
                    // deprecated, so the kernel never picks it as a source
                    // by itself (tests bind to it when they want it)
                    h.ip(&[
                        "-6",
                        "addr",
                        "add",
                        a,
                        "dev",
                        dev,
                        "nodad",
                        "preferred_lft",
                        "0",
                    ]);
                } else if a.contains(':') {
                    h.ip(&["-6", "addr", "add", a, "dev", dev, "nodad"]);
                } else {
                    h.ip(&["addr", "add", a, "dev", dev]);
                }
            }
            h.ip(&["link", "set", dev, "up"]);
        }
        for h in [c, r, s] {
            h.ip(&["link", "set", "lo", "up"]);
        }
        r.sysctl("net/ipv4/ip_forward", "1");
        r.sysctl("net/ipv6/conf/all/forwarding", "1");
        for net in ["10.99.2.0/24", "1.2.3.4/32"] {
            c.ip(&["route", "add", net, "via", "10.99.1.1"]);
        }
        for net in ["fd99:2::/64", "fd99:4::/64"] {
            c.ip(&["-6", "route", "add", net, "via", "fd99:1::1"]);
        }
        for net in ["10.99.1.0/24", "10.99.3.0/24"] {
            s.ip(&["route", "add", net, "via", "10.99.2.1"]);
        }
        for net in ["fd99:1::/64", "fd99:3::/64"] {
            s.ip(&["-6", "route", "add", net, "via", "fd99:2::1"]);
        }
        for h in [c, r, s] {
            h.wait_ready();
        }
        // Wait (bounded) until both links carry packets both ways.
        for (h, dst) in [
            (c, IpAddr::V4(ROUTER_LAN4)),
            (s, IpAddr::V4(ROUTER_WAN4)),
            (c, IpAddr::V6(ROUTER_LAN6)),
            (s, IpAddr::V6(ROUTER_WAN6)),
            // the router learns the clients' second addresses too (a first
            // IPv6 datagram from B otherwise waits for neighbour discovery
            // longer than a test's time limit)
            (r, IpAddr::V4(CLIENT4_B)),
            (r, IpAddr::V6(CLIENT6_B)),
        ] {
            let ok = (0..20).any(|_| h.ping(None, dst));
            assert!(ok, "lab link from {} to {dst} never came up", h.name);
        }
    }

    /// Take away the server's route back to the client network, so that
    /// only an answer to a translated source can get back.
    pub fn server_forgets_client_net(&self) {
        self.server.ip(&["route", "del", "10.99.1.0/24"]);
        self.server.ip(&["-6", "route", "del", "fd99:1::/64"]);
    }
}

impl Drop for Lab {
    fn drop(&mut self) {
        for h in [&self.client, &self.router, &self.server] {
            if !h.name.is_empty() {
                let _ = Command::new("ip")
                    .args(["netns", "del", &h.name])
                    .stdout(Stdio::null())
                    .stderr(Stdio::null())
                    .status();
            }
        }
    }
}

/// One ICMP echo over a raw socket (the lab has no `ping` to rely on).
pub mod icmp {
    use super::*;
    use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};

    fn checksum(b: &[u8]) -> u16 {
        let mut sum: u32 = 0;
        for c in b.chunks(2) {
            let w = if c.len() == 2 {
                u16::from_be_bytes([c[0], c[1]])
            } else {
                u16::from_be_bytes([c[0], 0])
            };
            sum += w as u32;
        }
        while sum > 0xffff {
            sum = (sum & 0xffff) + (sum >> 16);
        }
        !(sum as u16)
    }

    /// A `sockaddr_in`/`sockaddr_in6` for `a`, as bytes with its length.
    pub fn sockaddr(a: IpAddr) -> (libc::sockaddr_storage, libc::socklen_t) {
        // SAFETY: sockaddr_storage is plain data; all-zero is a valid value.
        let mut ss: libc::sockaddr_storage = unsafe { std::mem::zeroed() };
        let len = match a {
            IpAddr::V4(v4) => {
                let sin = libc::sockaddr_in {
                    sin_family: libc::AF_INET as libc::sa_family_t,
                    sin_port: 0,
                    sin_addr: libc::in_addr {
                        s_addr: u32::from_ne_bytes(v4.octets()),
                    },
                    sin_zero: [0; 8],
                };
                // SAFETY: sockaddr_storage is larger than sockaddr_in and
                // suitably aligned for it.
                unsafe { std::ptr::write(&mut ss as *mut _ as *mut libc::sockaddr_in, sin) };
                std::mem::size_of::<libc::sockaddr_in>()
            }
            IpAddr::V6(v6) => {
                let sin6 = libc::sockaddr_in6 {
                    sin6_family: libc::AF_INET6 as libc::sa_family_t,
                    sin6_port: 0,
                    sin6_flowinfo: 0,
                    sin6_addr: libc::in6_addr {
                        s6_addr: v6.octets(),
                    },
                    sin6_scope_id: 0,
                };
                // SAFETY: as above, for sockaddr_in6.
                unsafe { std::ptr::write(&mut ss as *mut _ as *mut libc::sockaddr_in6, sin6) };
                std::mem::size_of::<libc::sockaddr_in6>()
            }
        };
        (ss, len as libc::socklen_t)
    }

    /// Send one echo request and wait up to `timeout` for its reply.
    pub fn echo(src: Option<IpAddr>, dst: IpAddr, timeout: Duration) -> bool {
        static SEQ: AtomicUsize = AtomicUsize::new(1);
        let v6 = dst.is_ipv6();
        let (domain, proto, req, rep) = if v6 {
            (libc::AF_INET6, libc::IPPROTO_ICMPV6, 128u8, 129u8)
        } else {
            (libc::AF_INET, libc::IPPROTO_ICMP, 8u8, 0u8)
        };
        // SAFETY: plain socket(2) call; the result is checked.
        let raw = unsafe { libc::socket(domain, libc::SOCK_RAW | libc::SOCK_CLOEXEC, proto) };
        if raw < 0 {
            panic!("raw ICMP socket: {}", std::io::Error::last_os_error());
        }
        // SAFETY: `raw` is a fresh descriptor that nothing else owns.
        let fd = unsafe { OwnedFd::from_raw_fd(raw) };
        if let Some(s) = src {
            let (sa, len) = sockaddr(s);
            // SAFETY: `sa` is a valid sockaddr of `len` bytes.
            let r = unsafe {
                libc::bind(
                    fd.as_raw_fd(),
                    &sa as *const _ as *const libc::sockaddr,
                    len,
                )
            };
            if r < 0 {
                panic!("bind {s}: {}", std::io::Error::last_os_error());
            }
        }
        let tv = libc::timeval {
            tv_sec: 0,
            tv_usec: 50_000,
        };
        // SAFETY: `tv` is a valid timeval for SO_RCVTIMEO.
        unsafe {
            libc::setsockopt(
                fd.as_raw_fd(),
                libc::SOL_SOCKET,
                libc::SO_RCVTIMEO,
                &tv as *const _ as *const libc::c_void,
                std::mem::size_of::<libc::timeval>() as libc::socklen_t,
            )
        };
        let id = (std::process::id() as u16) ^ 0x5278;
        let seq = (SEQ.fetch_add(1, Ordering::SeqCst) & 0xffff) as u16;
        let mut pkt = vec![req, 0, 0, 0];
        pkt.extend_from_slice(&id.to_be_bytes());
        pkt.extend_from_slice(&seq.to_be_bytes());
        pkt.extend_from_slice(b"rxtables packet lab");
        if !v6 {
            // (the kernel computes ICMPv6 checksums itself)
            let c = checksum(&pkt);
            pkt[2..4].copy_from_slice(&c.to_be_bytes());
        }
        let (sa, len) = sockaddr(dst);
        // SAFETY: `pkt` and `sa` are valid for the lengths given.
        let sent = unsafe {
            libc::sendto(
                fd.as_raw_fd(),
                pkt.as_ptr() as *const libc::c_void,
                pkt.len(),
                0,
                &sa as *const _ as *const libc::sockaddr,
                len,
            )
        };
        if sent < 0 {
            // e.g. no route: no reply either
            return false;
        }
        let deadline = Instant::now() + timeout;
        let mut buf = [0u8; 1500];
        while Instant::now() < deadline {
            // SAFETY: `buf` is writable for its length.
            let n = unsafe {
                libc::recv(
                    fd.as_raw_fd(),
                    buf.as_mut_ptr() as *mut libc::c_void,
                    buf.len(),
                    0,
                )
            };
            if n <= 0 {
                continue;
            }
            let mut b = &buf[..n as usize];
            if !v6 {
                // raw IPv4 sockets see the IP header
                let ihl = ((b[0] & 0x0f) as usize) * 4;
                if b.len() < ihl + 8
                    || b[12..16]
                        != match dst {
                            IpAddr::V4(a) => a.octets(),
                            IpAddr::V6(_) => [0; 4],
                        }
                {
                    continue;
                }
                b = &b[ihl..];
            }
            if b.len() >= 8
                && b[0] == rep
                && b[4..6] == id.to_be_bytes()
                && b[6..8] == seq.to_be_bytes()
            {
                return true;
            }
        }
        false
    }
}

/// Read a whole pipe (used for listing output in failure messages).
pub fn text(out: &Output) -> String {
    let mut s = String::from_utf8_lossy(&out.stdout).into_owned();
    let mut e = String::new();
    let _ = (&out.stderr[..]).read_to_string(&mut e);
    s.push_str(&e);
    s
}
