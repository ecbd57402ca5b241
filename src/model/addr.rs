//! Addresses with masks, interface names, and the `!` wrapper.

use std::fmt;
use std::fmt::Write as _;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// A value with an optional `!` in front of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inv<T> {
    /// `!` was given
    pub inv: bool,
    /// the value
    pub val: T,
}

impl<T> Inv<T> {
    /// A value with `inv` as given.
    pub fn new(inv: bool, val: T) -> Self {
        Inv { inv, val }
    }
}

/// An address and mask (`-s`, `-d`), of either family. The address is
/// stored already masked, as iptables stores it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Net {
    /// address, masked
    pub addr: IpAddr,
    /// mask, same family as `addr`
    pub mask: IpAddr,
}

fn bytes(a: &IpAddr) -> Vec<u8> {
    Octets::of(a).as_slice().to_vec()
}

/// An address's bytes (network order) without allocating: 4 or 16 of them.
#[derive(Debug, Clone, Copy)]
pub struct Octets {
    b: [u8; 16],
    len: usize,
}

impl Octets {
    /// The bytes of `a`.
    pub fn of(a: &IpAddr) -> Octets {
        let mut b = [0u8; 16];
        let len = match a {
            IpAddr::V4(a) => {
                b[..4].copy_from_slice(&a.octets());
                4
            }
            IpAddr::V6(a) => {
                b = a.octets();
                16
            }
        };
        Octets { b, len }
    }

    /// The bytes.
    pub fn as_slice(&self) -> &[u8] {
        &self.b[..self.len]
    }
}

impl Net {
    /// A net from address and prefix length (clamped to the family's width);
    /// the address is masked.
    pub fn with_prefix(addr: IpAddr, len: u32) -> Net {
        let mask = match addr {
            IpAddr::V4(_) => {
                let m = if len == 0 {
                    0
                } else {
                    u32::MAX << (32 - len.min(32))
                };
                IpAddr::V4(Ipv4Addr::from(m))
            }
            IpAddr::V6(_) => {
                let m = if len == 0 {
                    0
                } else {
                    u128::MAX << (128 - len.min(128))
                };
                IpAddr::V6(Ipv6Addr::from(m))
            }
        };
        Net::with_mask(addr, mask)
    }

    /// A net from address and mask; the address is masked.
    pub fn with_mask(addr: IpAddr, mask: IpAddr) -> Net {
        // The usual case, same family, without byte vectors.
        match (addr, mask) {
            (IpAddr::V4(a), IpAddr::V4(m)) => {
                let a = Ipv4Addr::from(u32::from(a) & u32::from(m));
                return Net {
                    addr: IpAddr::V4(a),
                    mask,
                };
            }
            (IpAddr::V6(a), IpAddr::V6(m)) => {
                let a = Ipv6Addr::from(u128::from(a) & u128::from(m));
                return Net {
                    addr: IpAddr::V6(a),
                    mask,
                };
            }
            _ => {}
        }
        let a = bytes(&addr);
        let m = bytes(&mask);
        let masked: Vec<u8> = a.iter().zip(m.iter()).map(|(x, y)| x & y).collect();
        Net {
            addr: ip_from_bytes(&masked).unwrap_or(addr),
            mask,
        }
    }

    /// Address bytes (network order).
    pub fn addr_bytes(&self) -> Vec<u8> {
        bytes(&self.addr)
    }

    /// Mask bytes (network order).
    pub fn mask_bytes(&self) -> Vec<u8> {
        bytes(&self.mask)
    }

    /// The prefix length when the mask is contiguous.
    pub fn prefix_len(&self) -> Option<u32> {
        let m = self.mask_bytes();
        let ones: u32 = m.iter().map(|b| b.count_ones()).sum();
        let contiguous = m
            .iter()
            .flat_map(|b| (0..8).rev().map(move |i| (b >> i) & 1))
            .skip(ones as usize)
            .all(|bit| bit == 0);
        contiguous.then_some(ones)
    }

    /// Does the mask cover nothing (`0.0.0.0/0`)?
    pub fn is_any(&self) -> bool {
        self.mask_octets().as_slice().iter().all(|b| *b == 0)
    }

    /// [`Net::addr_bytes`] without allocating.
    pub fn addr_octets(&self) -> Octets {
        Octets::of(&self.addr)
    }

    /// [`Net::mask_bytes`] without allocating.
    pub fn mask_octets(&self) -> Octets {
        Octets::of(&self.mask)
    }
}

/// An address from 4 or 16 bytes.
pub fn ip_from_bytes(b: &[u8]) -> Option<IpAddr> {
    match b.len() {
        4 => {
            let a: [u8; 4] = b.try_into().ok()?;
            Some(IpAddr::V4(Ipv4Addr::from(a)))
        }
        16 => {
            let a: [u8; 16] = b.try_into().ok()?;
            Some(IpAddr::V6(Ipv6Addr::from(a)))
        }
        _ => None,
    }
}

impl fmt::Display for Net {
    /// iptables-save spelling: `10.0.0.0/8`, `1.2.0.4/255.255.0.255`,
    /// `2001:db8::/32`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.prefix_len() {
            Some(l) => write!(f, "{}/{}", self.addr, l),
            None => write!(f, "{}/{}", self.addr, self.mask),
        }
    }
}

/// The longest interface name the kernel takes (`IFNAMSIZ - 1`).
pub const IFNAME_MAX: usize = 15;

/// An interface name for `-i`/`-o`; a trailing `+` matches any name with
/// that prefix.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Iface(pub String);

impl Iface {
    /// Is this a prefix wildcard (`eth+`)?
    pub fn is_wildcard(&self) -> bool {
        self.0.ends_with('+')
    }
    /// The name without the trailing `+`.
    pub fn stem(&self) -> &str {
        self.0.strip_suffix('+').unwrap_or(&self.0)
    }
}

impl fmt::Display for Iface {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An address as `inet_ntop` writes it. IPv4 is Rust's dotted quad; IPv6
/// follows glibc, which differs from Rust's `Display` in writing
/// IPv4-compatible addresses as `::1.2.3.4`.
pub fn ntop(addr: &IpAddr) -> String {
    match addr {
        IpAddr::V4(a) => a.to_string(),
        IpAddr::V6(a) => ntop6(a),
    }
}

/// glibc's `inet_ntop6`: the first longest run (at least two) of zero
/// words becomes `::`; `::a.b.c.d` and `::ffff:a.b.c.d` keep the dotted
/// tail.
fn ntop6(a: &Ipv6Addr) -> String {
    let w = a.segments();
    // first longest run of zero words
    let mut best: Option<(usize, usize)> = None;
    let mut cur: Option<(usize, usize)> = None;
    for (i, word) in w.iter().enumerate() {
        if *word == 0 {
            cur = Some(match cur {
                Some((b, l)) => (b, l + 1),
                None => (i, 1),
            });
            if let Some(c) = cur {
                if best.is_none_or(|b| c.1 > b.1) {
                    best = Some(c);
                }
            }
        } else {
            cur = None;
        }
    }
    let best = best.filter(|b| b.1 >= 2);
    let mut s = String::new();
    let mut i = 0;
    while i < 8 {
        if let Some((b, l)) = best {
            if i >= b && i < b + l {
                if i == b {
                    s.push(':');
                }
                i += 1;
                continue;
            }
        }
        if i != 0 {
            s.push(':');
        }
        let v4_tail = match best {
            Some((0, 6)) => true,
            Some((0, 5)) => w[5] == 0xffff,
            _ => false,
        };
        if i == 6 && v4_tail {
            let o = a.octets();
            let _ = write!(s, "{}.{}.{}.{}", o[12], o[13], o[14], o[15]);
            return s;
        }
        let _ = write!(s, "{:x}", w[i]);
        i += 1;
    }
    if matches!(best, Some((b, l)) if b + l == 8) {
        s.push(':');
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefix_and_mask_forms() {
        let n = Net::with_prefix("10.20.30.40".parse().unwrap(), 24);
        assert_eq!(n.to_string(), "10.20.30.0/24");
        let n = Net::with_mask("1.2.3.4".parse().unwrap(), "255.255.0.255".parse().unwrap());
        assert_eq!(n.to_string(), "1.2.0.4/255.255.0.255");
        let n = Net::with_prefix("2001:db8::1".parse().unwrap(), 32);
        assert_eq!(n.to_string(), "2001:db8::/32");
        assert!(Net::with_prefix("1.2.3.4".parse().unwrap(), 0).is_any());
        assert_eq!(
            Net::with_prefix("1.2.3.4".parse().unwrap(), 32).prefix_len(),
            Some(32)
        );
    }
}
