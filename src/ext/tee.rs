//! `-j TEE --gateway ADDR [--oif NAME]` (`libxt_TEE.c`): xt target `TEE`
//! revision 1, `struct xt_tee_tginfo { union nf_inet_addr gw; char
//! oif[16]; struct xt_tee_priv *priv (aligned 8); }`, both families. The
//! gateway is a numeric address of the family or a host name; the
//! interface name is cut to 15 bytes. `priv` is the kernel's (zero here).

use super::nat::parse_host;
use super::{EncodeCx, FmtCx, OptHit, OptSpec, ParseCx, TargetExtT};
use crate::error::{DecodeError, Error};
use crate::ext::blob::Inet;
use crate::ir::Expr;
use crate::model::bytes::{from_bytes, to_bytes};
use crate::model::Family;
use std::net::IpAddr;

crate::xt_struct! {
    /// `struct xt_tee_tginfo`
    pub struct TeeInfo { pub gw: Inet, pub oif: [u8; 16], pub priv_: u64 }
}
const _: () = assert!(TeeInfo::SIZE == 40);

/// The TEE target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tee {
    /// gateway (an IPv4 one in the first 4 bytes)
    pub gw: [u8; 16],
    /// output interface, a C string (empty: none)
    pub oif: [u8; 16],
}

impl Tee {
    fn gw_addr(&self, family: Family) -> IpAddr {
        match family {
            Family::V4 => IpAddr::from([self.gw[0], self.gw[1], self.gw[2], self.gw[3]]),
            Family::V6 => IpAddr::from(self.gw),
        }
    }

    fn oif_text(&self) -> Option<String> {
        let n = self.oif.iter().position(|c| *c == 0).unwrap_or(16);
        (n > 0).then(|| from_bytes(&self.oif[..n]).into_owned())
    }
}

impl TargetExtT for Tee {
    const NAME: &'static str = "TEE";
    const OPTIONS: &'static [OptSpec] = &[
        OptSpec::value("gateway").no_inv().mandatory(),
        OptSpec::value("oif").no_inv(),
    ];

    fn build(hits: &[OptHit], cx: &ParseCx) -> Result<Self, Error> {
        let mut t = Tee {
            gw: [0; 16],
            oif: [0; 16],
        };
        for h in hits {
            if h.idx == 0 {
                match parse_host(h.arg(), cx.family)? {
                    IpAddr::V4(a) => t.gw[..4].copy_from_slice(&a.octets()),
                    IpAddr::V6(a) => t.gw = a.octets(),
                }
            } else {
                // `XTTYPE_STRING` into a char[16]: cut to 15 bytes
                let b = to_bytes(h.arg());
                let n = b.len().min(15);
                t.oif = [0; 16];
                t.oif[..n].copy_from_slice(&b[..n]);
            }
        }
        Ok(t)
    }

    fn save(&self, cx: &FmtCx, out: &mut String) {
        out.push_str(" --gateway ");
        out.push_str(&crate::model::addr::ntop(&self.gw_addr(cx.family)));
        if let Some(o) = self.oif_text() {
            out.push_str(" --oif ");
            out.push_str(&o);
        }
    }

    fn print(&self, cx: &FmtCx, out: &mut String) {
        let gw = self.gw_addr(cx.family);
        out.push_str(" TEE gw:");
        if cx.numeric {
            out.push_str(&crate::model::addr::ntop(&gw));
        } else {
            out.push_str(&crate::list::addr_anyname(&gw));
        }
        if let Some(o) = self.oif_text() {
            out.push_str(" oif=");
            out.push_str(&o);
        }
    }

    fn encode(&self, _cx: &EncodeCx, out: &mut Vec<Expr>) {
        out.push(Expr::Target {
            name: Self::NAME.into(),
            rev: 1,
            info: TeeInfo {
                gw: Inet(self.gw),
                oif: self.oif,
                priv_: 0,
            }
            .to_blob(),
        });
    }

    fn decode_blob(rev: u32, info: &[u8], _family: Family) -> Result<Self, DecodeError> {
        match (rev, TeeInfo::from_blob(info)) {
            (1, Some(i)) => Ok(Tee {
                gw: i.gw.0,
                oif: i.oif,
            }),
            _ => Err(DecodeError(format!(
                "TEE target revision {rev} of {} bytes",
                info.len()
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ext::kit::build_target;

    fn texts(t: &Tee, family: Family) -> (String, String) {
        let cx = FmtCx {
            family,
            numeric: true,
            proto: None,
        };
        let (mut s, mut l) = (String::new(), String::new());
        t.save(&cx, &mut s);
        t.print(&cx, &mut l);
        (s, l)
    }

    /// Text as iptables 1.8.13 prints it (captured).
    #[test]
    fn like_1_8_13() {
        for (fam, v, saved, listed) in [
            (
                Family::V4,
                vec![
                    (0, false, "1.2.3"),
                    (1, false, "abcdefghijklmnopqrstuvwxyz"),
                ],
                " --gateway 1.2.0.3 --oif abcdefghijklmno",
                " TEE gw:1.2.0.3 oif=abcdefghijklmno",
            ),
            (
                Family::V4,
                vec![(0, false, "0x01020304"), (1, false, "")],
                " --gateway 1.2.3.4",
                " TEE gw:1.2.3.4",
            ),
            (
                Family::V6,
                vec![(0, false, "2001:db8::1"), (1, false, "a b")],
                " --gateway 2001:db8::1 --oif a b",
                " TEE gw:2001:db8::1 oif=a b",
            ),
        ] {
            let t: Tee = build_target(fam, &v).unwrap();
            assert_eq!(texts(&t, fam), (saved.into(), listed.into()));
            let mut e = Vec::new();
            t.encode(
                &EncodeCx {
                    family: fam,
                    proto: None,
                },
                &mut e,
            );
            let [Expr::Target { rev: 1, info, .. }] = e.as_slice() else {
                panic!("{e:?}")
            };
            assert_eq!(info.len(), 40);
            assert_eq!(Tee::decode_blob(1, info, fam).unwrap(), t);
        }
        assert_eq!(
            build_target::<Tee>(Family::V4, &[(0, false, "2001:db8::1")])
                .unwrap_err()
                .to_string(),
            "getaddrinfo: Address family for hostname not supported\n"
        );
    }
}
