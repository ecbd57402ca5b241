//! Interop with the reference iptables-nft 1.8.9, both ways, for every rule
//! form of issue 2. Each form runs in fresh network namespaces (one for the
//! reference, one for rxtables):
//!
//! - `written_by_rxtables::*` (a): the rule is added by rxtables (which also
//!   creates the table and chains); then `iptables-nft-save -c`,
//!   `iptables-nft -S` and `iptables-nft -C` must give what they give when
//!   iptables-nft added the same rule, and `nft list ruleset` must carry no
//!   "incompatible"/"unknown" warning the reference's run lacks.
//! - `read_by_rxtables::*` (b): the rule is added by iptables-nft; then
//!   rxtables' `-S`, `-S -v`, `iptables-save`, `iptables-save -c` and `-C`
//!   must print what the reference prints, and rxtables' `-D CHAIN <same
//!   spec>` must delete it.
//!
//! Plus: `-L` variants and `-S` over a ruleset holding all forms, the nft
//! representation of all forms, a native nft rule iptables cannot express,
//! and a mixed command sequence.

mod common;
use common::*;

#[derive(Clone, Copy, Debug, PartialEq)]
enum Fam {
    V4,
    V6,
}

impl Fam {
    /// The applet name of the tool under test (`iptables` / `ip6tables`).
    fn tool(self) -> &'static str {
        match self {
            Fam::V4 => "iptables",
            Fam::V6 => "ip6tables",
        }
    }
    fn reference(self) -> &'static str {
        match self {
            Fam::V4 => "iptables-nft",
            Fam::V6 => "ip6tables-nft",
        }
    }
    fn save(self) -> &'static str {
        match self {
            Fam::V4 => "iptables-save",
            Fam::V6 => "ip6tables-save",
        }
    }
    fn ref_save(self) -> &'static str {
        match self {
            Fam::V4 => "iptables-nft-save",
            Fam::V6 => "ip6tables-nft-save",
        }
    }
    /// The tool of iptables release `rel` (`iptables-1.8.9`, ...).
    fn release(self, rel: &str) -> String {
        format!("{}-{rel}", self.tool())
    }
    fn release_save(self, rel: &str) -> String {
        format!("{}-{rel}", self.save())
    }
    fn final_save(self, r: &Run) -> String {
        match self {
            Fam::V4 => r.save4.clone(),
            Fam::V6 => r.save6.clone(),
        }
    }
}

// ---------------------------------------------------------------------------
// The rule forms. Each is an `-A` command as given to iptables (no quoting
// needed). A form that mentions USER1 gets `-N USER1` (in its table) first.
// All of them are accepted by iptables-nft 1.8.9.

const V4_ADDRESSES: &[&str] = &[
    "-A INPUT -s 10.1.2.3",
    "-A INPUT -s 10.1.2.0/24 -j ACCEPT",
    "-A INPUT -s 10.1.2.77/24 -j ACCEPT",
    "-A INPUT -s 10.1.2.0/255.255.255.0 -j ACCEPT",
    "-A INPUT -s 10.1.2.0/255.255.0.255 -j ACCEPT",
    "-A INPUT -s 10.1.1.0/255.255.255.128 -j ACCEPT",
    "-A INPUT ! -s 10.1.2.0/24 -j DROP",
    "-A INPUT -d 192.168.0.0/16 -j ACCEPT",
    "-A INPUT ! -d 192.168.1.1 -j DROP",
    "-A INPUT ! -s 10.0.0.0/255.0.0.255 -d 10.0.0.0/7 -j ACCEPT",
    "-A INPUT -s 10.0.0.1/31 -j ACCEPT",
    "-A INPUT -s 10.1.1.0/25 -d 10.2.0.0/23 -j ACCEPT",
    "-A INPUT -s 10.1.1.1/32 -j ACCEPT",
    "-A INPUT -s 0.0.0.0/0 -d 0/0 -j ACCEPT",
    "-A INPUT -s localhost -j ACCEPT",
    "-A INPUT -s 1.1.1.1,2.2.2.2 -d 3.3.3.3,4.4.4.4 -j DROP",
    "-A INPUT --source 1.2.3.4 --destination 5.6.7.0/24 --jump ACCEPT",
    "-A INPUT --src 1.2.3.4 --dst 5.6.7.8 -j ACCEPT",
];

const V4_INTERFACES: &[&str] = &[
    "-A INPUT -i eth0 -j ACCEPT",
    "-A INPUT -i eth+ -j ACCEPT",
    "-A INPUT ! -i eth0 -j DROP",
    "-A INPUT ! -i eth+ -j DROP",
    "-A INPUT -i + -j ACCEPT",
    "-A INPUT ! -i + -j DROP",
    "-A OUTPUT -o veth1 -j ACCEPT",
    "-A OUTPUT -o br-+ -j ACCEPT",
    "-A OUTPUT ! -o lo -j ACCEPT",
    "-A FORWARD -i eth0 -o eth1 -j ACCEPT",
    "-A FORWARD ! -o + -j DROP",
    "-A INPUT -i eth0.100 -j ACCEPT",
    "-A INPUT -i abcdefghijklmno -j ACCEPT",
    "-A INPUT -i abcdefghijklmn+ -j ACCEPT",
    "-A FORWARD --in-interface eth0 --out-interface eth1 -j ACCEPT",
];

const V4_PROTOCOLS: &[&str] = &[
    "-A INPUT -p tcp -j ACCEPT",
    "-A INPUT -p 6 -j ACCEPT",
    "-A INPUT -p TCP -j ACCEPT",
    "-A INPUT -p udp",
    "-A INPUT -p 17 -j ACCEPT",
    "-A INPUT -p icmp -j ACCEPT",
    "-A INPUT -p 1 -j ACCEPT",
    "-A INPUT -p all -j ACCEPT",
    "-A INPUT -p 0 -j ACCEPT",
    "-A INPUT -p 47 -j ACCEPT",
    "-A INPUT -p sctp -j ACCEPT",
    "-A INPUT ! -p tcp -j DROP",
    "-A INPUT ! -p 47 -j DROP",
    "-A INPUT -f -j DROP",
    "-A INPUT ! -f -j ACCEPT",
    "-A INPUT -s 1.2.3.4 -p udp -f -j DROP",
    "-A INPUT --protocol udp --fragment -j DROP",
];

const V4_TCP: &[&str] = &[
    "-A INPUT -p tcp --sport 1024 -j ACCEPT",
    "-A INPUT -p tcp --dport 22 -j ACCEPT",
    "-A INPUT -p tcp --sport 1024 --dport 22 -j ACCEPT",
    "-A INPUT -p tcp --dport 1000:2000 -j ACCEPT",
    "-A INPUT -p tcp --dport 1000: -j ACCEPT",
    "-A INPUT -p tcp --dport :2000 -j ACCEPT",
    "-A INPUT -p tcp --sport 0:1023 --dport 1024:65535 -j ACCEPT",
    "-A INPUT -p tcp --dport 0 -j ACCEPT",
    "-A INPUT -p tcp --dport 0:65535 -j ACCEPT",
    "-A INPUT -p tcp --dport 7:7 -j ACCEPT",
    "-A INPUT -p tcp ! --dport 22 -j DROP",
    "-A INPUT -p tcp ! --sport 1000:2000 -j DROP",
    "-A INPUT -p tcp ! --sport 1000 ! --dport 2000 -j DROP",
    "-A INPUT -p tcp -m tcp --dport 80 -j ACCEPT",
    "-A INPUT -p tcp -m tcp -j ACCEPT",
    "-A INPUT -p tcp --sport ssh -j ACCEPT",
    "-A INPUT -p tcp --destination-port http --source-port 1024: -j ACCEPT",
    "-A INPUT -p tcp --tcp-flags SYN,ACK SYN -j ACCEPT",
    "-A INPUT -p tcp --tcp-flags ALL NONE -j DROP",
    "-A INPUT -p tcp --tcp-flags ALL ALL -j DROP",
    "-A INPUT -p tcp ! --tcp-flags SYN,RST,ACK,FIN SYN -j ACCEPT",
    "-A INPUT -p tcp --syn -j ACCEPT",
    "-A INPUT -p tcp ! --syn -j ACCEPT",
    "-A INPUT -p tcp --syn --dport 22 -j ACCEPT",
    "-A INPUT -p tcp --dport 22 --tcp-flags SYN,ACK SYN -j ACCEPT",
    "-A INPUT -p tcp --tcp-option 2 -j ACCEPT",
    "-A INPUT -p tcp ! --tcp-option 8 -j DROP",
    "-A INPUT -p tcp -f",
    "-A INPUT -s 10.0.0.0/8 -i eth0 -p tcp --sport 1:1023 --dport 22 --tcp-flags SYN,ACK SYN -j ACCEPT",
];

const V4_UDP: &[&str] = &[
    "-A INPUT -p udp --sport 53 -j ACCEPT",
    "-A INPUT -p udp --dport 53 -j ACCEPT",
    "-A INPUT -p udp --sport 53 --dport 1024:65535 -j ACCEPT",
    "-A INPUT -p udp ! --dport 53 -j DROP",
    "-A INPUT -p udp ! --sport 67:68 -j DROP",
    "-A INPUT -p udp --dport 5000: -j ACCEPT",
    "-A INPUT -p udp --dport :1023 -j ACCEPT",
    "-A INPUT -p udp --sport 0:0 -j ACCEPT",
    "-A INPUT -p udp --dport domain",
    "-A INPUT -p udp -m udp -j ACCEPT",
    "-A INPUT -p 17 --dport 123 -j ACCEPT",
];

const V4_ICMP: &[&str] = &[
    "-A INPUT -p icmp --icmp-type echo-request -j ACCEPT",
    "-A INPUT -p icmp --icmp-type 8 -j ACCEPT",
    "-A INPUT -p icmp --icmp-type 3/4 -j ACCEPT",
    "-A INPUT -p icmp --icmp-type 8/0 -j ACCEPT",
    "-A INPUT -p icmp --icmp-type 0/0 -j ACCEPT",
    "-A INPUT -p icmp --icmp-type any -j ACCEPT",
    "-A INPUT -p icmp --icmp-type 255 -j ACCEPT",
    "-A INPUT -p icmp ! --icmp-type echo-reply -j DROP",
    "-A INPUT -p icmp ! --icmp-type 3/4 -j DROP",
    "-A INPUT -p icmp --icmp-type destination-unreachable -j ACCEPT",
    "-A INPUT -p icmp --icmp-type port-unreachable -j ACCEPT",
    "-A INPUT -p icmp --icmp-type ttl-zero-during-transit -j ACCEPT",
    "-A INPUT -p icmp --icmp-type 11 -j ACCEPT",
    "-A INPUT -p 1 --icmp-type 8 -j ACCEPT",
];

const V4_TARGETS: &[&str] = &[
    "-A INPUT -j ACCEPT",
    "-A INPUT -j DROP",
    "-A INPUT -j RETURN",
    "-A INPUT",
    "-A INPUT -j USER1",
    "-A INPUT -p tcp -g USER1",
    "-A FORWARD -s 1.2.3.4 --goto USER1",
    "-A USER1 -s 1.2.3.4 -j RETURN",
    "-A USER1 -j USER2",
    "-A INPUT -c 10 20 -j ACCEPT",
    "-A INPUT --set-counters 5 6 -s 1.1.1.1 -j ACCEPT",
    "-A OUTPUT -p tcp --dport 80 -c 7 8 -j DROP",
    "-A INPUT -w -s 1.1.1.1 -j ACCEPT",
    "-A INPUT -w 5 -W 100000 -s 1.1.1.2 -j ACCEPT",
    "-A INPUT --wait=5 -s 1.1.1.3 -j ACCEPT",
];

const V4_TABLES: &[&str] = &[
    "-t nat -A PREROUTING -s 10.0.0.0/8 -j ACCEPT",
    "-t nat -A POSTROUTING -o eth0 -j ACCEPT",
    "-t nat -A POSTROUTING -s 10.0.0.0/8 -o eth0 -p udp --dport 53 -j RETURN",
    "-t nat -A OUTPUT -p tcp --dport 80 -j RETURN",
    "-t nat -A INPUT -j ACCEPT",
    "-t nat -A PREROUTING -j USER1",
    "-t mangle -A PREROUTING -i eth0 -j ACCEPT",
    "-t mangle -A INPUT -j ACCEPT",
    "-t mangle -A FORWARD -j USER1",
    "-t mangle -A OUTPUT -j DROP",
    "-t mangle -A POSTROUTING -p udp -j ACCEPT",
    "-t raw -A PREROUTING -p tcp --dport 22 -j ACCEPT",
    "-t raw -A OUTPUT -j ACCEPT",
    "--table raw --append OUTPUT --jump ACCEPT",
    "-t security -A INPUT -j ACCEPT",
    "-t security -A FORWARD -p icmp --icmp-type 8 -j ACCEPT",
    "-t security -A OUTPUT -j DROP",
];

const V6_ADDRESSES: &[&str] = &[
    "-A INPUT -s 2001:db8::1 -j ACCEPT",
    "-A INPUT -s 2001:db8::/32 -j ACCEPT",
    "-A INPUT -s 2001:db8::/ffff:ffff:: -j ACCEPT",
    "-A INPUT -s 2001:db8::/ffff:0:ffff:: -j ACCEPT",
    "-A INPUT ! -s 2001:db8::/64 -j DROP",
    "-A INPUT -d fe80::/10 -j ACCEPT",
    "-A INPUT ! -d ::1 -j DROP",
    "-A INPUT -s 2001:db8::1/127 -j ACCEPT",
    "-A INPUT -s ::/0 -j ACCEPT",
    "-A INPUT -s 2001:db8::/67 -j ACCEPT",
    "-A INPUT -s 2001:db8::1/128 -d 2001:db8:1::/48 -j ACCEPT",
    "-A INPUT -s ::ffff:10.0.0.1 -j ACCEPT",
    "-A INPUT -s 2001:db8::1,2001:db8::2 -j DROP",
];

const V6_INTERFACES: &[&str] = &[
    "-A INPUT -i eth0 -j ACCEPT",
    "-A INPUT -i eth+ -j ACCEPT",
    "-A INPUT ! -i eth0 -j DROP",
    "-A INPUT ! -i + -j DROP",
    "-A OUTPUT -o wg0 -j ACCEPT",
    "-A FORWARD -i eth0 ! -o eth1 -j ACCEPT",
];

const V6_PROTOCOLS: &[&str] = &[
    "-A INPUT -p tcp -j ACCEPT",
    "-A INPUT -p 17 -j ACCEPT",
    "-A INPUT -p ipv6-icmp -j ACCEPT",
    "-A INPUT -p icmpv6 -j ACCEPT",
    "-A INPUT -p 58 -j ACCEPT",
    "-A INPUT -p all -j ACCEPT",
    "-A INPUT ! -p udp -j DROP",
    "-A INPUT -p sctp -j ACCEPT",
];

const V6_TCP_UDP: &[&str] = &[
    "-A INPUT -p tcp --dport 443 -j ACCEPT",
    "-A INPUT -p tcp --sport 1:1023 -j DROP",
    "-A INPUT -p tcp --dport 1024: -j ACCEPT",
    "-A INPUT -p tcp ! --dport 22 -j DROP",
    "-A INPUT -p tcp --sport 80 --dport 8080 -j ACCEPT",
    "-A INPUT -p tcp --syn -j ACCEPT",
    "-A INPUT -p tcp ! --syn -j ACCEPT",
    "-A INPUT -p tcp --tcp-flags ALL SYN,ACK -j ACCEPT",
    "-A INPUT -p tcp --tcp-option 3 -j ACCEPT",
    "-A INPUT -p udp --dport 546 -j ACCEPT",
    "-A INPUT -p udp --sport 547 --dport 546 -j ACCEPT",
    "-A INPUT -p udp ! --sport :1023 -j ACCEPT",
    "-A INPUT ! -p udp -m udp --dport 7",
    "-A INPUT ! -p tcp -m tcp --tcp-flags FIN,SYN,RST,ACK SYN -j DROP",
];

const V6_ICMP6: &[&str] = &[
    "-A INPUT -p icmpv6 --icmpv6-type echo-request -j ACCEPT",
    "-A INPUT -p ipv6-icmp --icmpv6-type 128 -j ACCEPT",
    "-A INPUT -p ipv6-icmp --icmpv6-type 1/4 -j ACCEPT",
    "-A INPUT -p ipv6-icmp ! --icmpv6-type neighbour-solicitation -j DROP",
    "-A INPUT -p ipv6-icmp --icmpv6-type destination-unreachable -j ACCEPT",
    "-A INPUT -p ipv6-icmp --icmpv6-type router-advertisement -j ACCEPT",
    "-A INPUT -p 58 --icmpv6-type 135 -j ACCEPT",
];

const V6_TARGETS_TABLES: &[&str] = &[
    "-A INPUT -j RETURN",
    "-A INPUT -j USER1",
    "-A INPUT -g USER1",
    "-A USER1 -s 2001:db8::/32 -j DROP",
    // No `-c`/`--set-counters` here: ip6tables-nft 1.8.9 drops them (see
    // `v6_set_counters_are_kept`).
    "-t nat -A PREROUTING -d 2001:db8::/64 -j ACCEPT",
    "-t nat -A POSTROUTING -o eth0 -j RETURN",
    "-t mangle -A OUTPUT -p udp -j ACCEPT",
    "-t mangle -A PREROUTING -j USER1",
    "-t raw -A PREROUTING -j ACCEPT",
    "-t security -A INPUT -j ACCEPT",
];

/// comment, mark and MARK (the first extensions on the kit), both families.
const MARK_COMMENT: &[&str] = &[
    "-A INPUT -m comment --comment hello -j ACCEPT",
    "-A INPUT -m comment --comment \"two words\"",
    "-A INPUT -m mark --mark 0x1/0xff -j DROP",
    "-A INPUT -m mark ! --mark 5",
    "-A INPUT -m mark --mark 0/0 -m comment --comment \"it's\" -j RETURN",
    "-A INPUT -p tcp --dport 22 -m mark --mark 1 -m comment --comment ssh -j ACCEPT",
    "-A FORWARD -m mark --mark 0x10/0x10 -m mark ! --mark 0x20/0x20 -j USER1",
    "-t mangle -A PREROUTING -j MARK --set-mark 7",
    "-t mangle -A PREROUTING -i eth0 -j MARK --set-xmark 0x1/0xff",
    "-t mangle -A OUTPUT -j MARK --or-mark 0x4000",
    "-t mangle -A INPUT -j MARK --and-mark 0x4000",
    "-t mangle -A POSTROUTING -m mark --mark 0x4000/0x4000 -j MARK --xor-mark 0x4000",
    "-t mangle -A FORWARD -m comment --comment mark-it -j MARK --set-mark 1/2",
];

/// tos, dscp, ttl/hl, length, pkttype, tcpmss; TOS, DSCP, TTL/HL, TCPMSS, CHECKSUM, CLASSIFY (IPv4).
const V4_HEADER: &[&str] = &[
    "-A INPUT -m tos --tos 0x10/0x3f",
    "-A INPUT -m tos ! --tos 0xff/0xff -j DROP",
    "-t mangle -A PREROUTING -j TOS --set-tos 0x00/0xed",
    "-t mangle -A POSTROUTING -j TOS --set-tos 0x1f/0xff",
    "-A INPUT -m dscp --dscp 0x2e",
    "-A FORWARD -m dscp ! --dscp 0x00 -j DROP",
    "-t mangle -A POSTROUTING -j DSCP --set-dscp 0x22",
    "-A INPUT -m ttl --ttl-eq 64",
    "-A INPUT -m ttl ! --ttl-eq 1 -j DROP",
    "-A FORWARD -m ttl --ttl-lt 5",
    "-t mangle -A POSTROUTING -j TTL --ttl-set 64",
    "-t mangle -A PREROUTING -j TTL --ttl-dec 2",
    "-A INPUT -m length --length 0:100",
    "-A INPUT -m length ! --length 1500 -j DROP",
    "-A FORWARD -p tcp -m tcpmss --mss 1400:65535 -j DROP",
    "-A FORWARD -p tcp -m tcp --tcp-flags SYN,RST SYN -m tcpmss ! --mss 536",
    "-A INPUT -m pkttype --pkt-type broadcast -j DROP",
    "-A INPUT -m pkttype ! --pkt-type unicast",
    "-A INPUT -m pkttype --pkt-type otherhost",
    "-t mangle -A FORWARD -p tcp -m tcp --tcp-flags SYN,RST SYN -j TCPMSS --clamp-mss-to-pmtu",
    "-t mangle -A POSTROUTING -o ppp0 -p tcp -m tcp --tcp-flags SYN,RST SYN -j TCPMSS --set-mss 1452",
    "-t mangle -A POSTROUTING -p udp -m udp --dport 68 -j CHECKSUM --checksum-fill",
    "-t mangle -A POSTROUTING -o eth0 -j CLASSIFY --set-class 0001:0010",
    "-t mangle -A FORWARD -j CLASSIFY --set-class 0000:ffff",
];

/// tos, dscp, ttl/hl, length, pkttype, tcpmss; TOS, DSCP, TTL/HL, TCPMSS, CHECKSUM, CLASSIFY (IPv6).
const V6_HEADER: &[&str] = &[
    "-A INPUT -m tos ! --tos 0x00/0x3f",
    "-A OUTPUT -m tos --tos 0x0f/0x0f -j ACCEPT",
    "-t mangle -A OUTPUT -j TOS --set-tos 0x12/0x00",
    "-t mangle -A FORWARD -j TOS --set-tos 0x05/0x07",
    "-A INPUT -m dscp ! --dscp 0x0a",
    "-t mangle -A OUTPUT -j DSCP --set-dscp 0x3f",
    "-A INPUT -m hl --hl-eq 255",
    "-A INPUT -m hl ! --hl-eq 64 -j DROP",
    "-A OUTPUT -m hl --hl-gt 1",
    "-t mangle -A POSTROUTING -j HL --hl-inc 1",
    "-t mangle -A FORWARD -j HL --hl-set 1",
    "-A INPUT -m length --length 40:1280",
    "-A OUTPUT -p tcp -m tcpmss --mss 1220 -j ACCEPT",
    "-A INPUT -m pkttype --pkt-type multicast -j DROP",
    "-t mangle -A FORWARD -p tcp -m tcp --tcp-flags SYN,RST SYN -j TCPMSS --clamp-mss-to-pmtu",
    "-t mangle -A OUTPUT -p tcp -j TCPMSS --set-mss 1220",
    "-t mangle -A POSTROUTING -j CHECKSUM --checksum-fill",
    "-t mangle -A POSTROUTING -j CLASSIFY --set-class abcd:ef01",
];

/// connmark, CONNMARK, helper, connlimit, CT, NOTRACK, TRACE, recent (IPv4).
const V4_CONN: &[&str] = &[
    "-t mangle -A PREROUTING -m connmark --mark 0x1 -j ACCEPT",
    "-t mangle -A PREROUTING -m connmark ! --mark 0x10/0xf0",
    "-A FORWARD -m connmark --mark 0x0/0x0 -j DROP",
    "-t mangle -A PREROUTING -j CONNMARK --restore-mark --nfmask 0xffffffff --ctmask 0xffffffff",
    "-t mangle -A POSTROUTING -j CONNMARK --save-mark --nfmask 0xff00 --ctmask 0xff00",
    "-t mangle -A OUTPUT -j CONNMARK --restore-mark --nfmask 0xf --ctmask 0xff",
    "-t mangle -A FORWARD -j CONNMARK --set-xmark 0x4000/0x4000",
    "-t mangle -A FORWARD -j CONNMARK --set-xmark 0x0/0xffffff00",
    "-t mangle -A INPUT -j CONNMARK --save-mark --nfmask 0xffffffff --ctmask 0xffffffff --left-shift-mark 8",
    "-t raw -A PREROUTING -j CT --notrack",
    "-t raw -A PREROUTING -p udp --dport 53 -j CT --notrack --helper ftp",
    "-t raw -A OUTPUT -j CT --ctevents new,related,destroy,reply,assured,protoinfo,helper,mark",
    "-t raw -A OUTPUT -j CT --expevents new --zone mark",
    "-t raw -A PREROUTING -j CT --zone-orig 5",
    "-t raw -A PREROUTING -j CT --zone-reply mark",
    "-t raw -A PREROUTING -i eth0 -j CT --zone 65535",
    "-t raw -A PREROUTING -j NOTRACK",
    "-t raw -A OUTPUT -p tcp --dport 80 -j NOTRACK",
    "-t raw -A PREROUTING -j TRACE",
    "-t raw -A OUTPUT -p tcp --dport 22 -j TRACE",
    "-A INPUT -j TRACE",
    "-A INPUT -m helper --helper ftp -j ACCEPT",
    "-A FORWARD -m conntrack --ctstate RELATED -m helper ! --helper sip",
    "-A INPUT -m helper --helper \"it\\'s\"",
    "-A INPUT -p tcp --syn --dport 22 -m connlimit --connlimit-above 3 -j REJECT",
    "-A INPUT -p tcp -m connlimit --connlimit-above 10 --connlimit-mask 24 --connlimit-saddr -j DROP",
    "-A FORWARD -m connlimit --connlimit-upto 100 --connlimit-mask 32 --connlimit-daddr",
    "-A INPUT -m connlimit ! --connlimit-upto 5",
    "-A INPUT -p tcp --dport 22 -m conntrack --ctstate NEW -m recent --set --name SSH --mask 255.255.255.0 --rsource",
    "-A INPUT -p tcp --dport 22 -m conntrack --ctstate NEW -m recent --update --seconds 60 --hitcount 4 --name SSH --mask 255.255.255.0 --rsource -j DROP",
    "-A INPUT -m recent --rcheck --seconds 30 --reap --name KNOCK1 --mask 255.255.255.0 --rsource -j ACCEPT",
    "-A INPUT -m recent ! --remove --name KNOCK1 --mask 255.255.255.0 --rdest",
    "-A INPUT -m recent --update --rttl --name DEFAULT --mask 255.255.255.0 --rsource",
    "-A INPUT -m recent --set",
];

/// connmark, CONNMARK, helper, connlimit, CT, NOTRACK, TRACE, recent (IPv6).
const V6_CONN: &[&str] = &[
    "-t mangle -A PREROUTING -m connmark --mark 0x1 -j ACCEPT",
    "-t mangle -A PREROUTING -m connmark ! --mark 0x10/0xf0",
    "-A FORWARD -m connmark --mark 0x0/0x0 -j DROP",
    "-t mangle -A PREROUTING -j CONNMARK --restore-mark --nfmask 0xffffffff --ctmask 0xffffffff",
    "-t mangle -A POSTROUTING -j CONNMARK --save-mark --nfmask 0xff00 --ctmask 0xff00",
    "-t mangle -A OUTPUT -j CONNMARK --restore-mark --nfmask 0xf --ctmask 0xff",
    "-t mangle -A FORWARD -j CONNMARK --set-xmark 0x4000/0x4000",
    "-t mangle -A FORWARD -j CONNMARK --set-xmark 0x0/0xffffff00",
    "-t mangle -A INPUT -j CONNMARK --save-mark --nfmask 0xffffffff --ctmask 0xffffffff --left-shift-mark 8",
    "-t raw -A PREROUTING -j CT --notrack",
    "-t raw -A PREROUTING -p udp --dport 53 -j CT --notrack --helper ftp",
    "-t raw -A OUTPUT -j CT --ctevents new,related,destroy,reply,assured,protoinfo,helper,mark",
    "-t raw -A OUTPUT -j CT --expevents new --zone mark",
    "-t raw -A PREROUTING -j CT --zone-orig 5",
    "-t raw -A PREROUTING -j CT --zone-reply mark",
    "-t raw -A PREROUTING -i eth0 -j CT --zone 65535",
    "-t raw -A PREROUTING -j NOTRACK",
    "-t raw -A OUTPUT -p tcp --dport 80 -j NOTRACK",
    "-t raw -A PREROUTING -j TRACE",
    "-t raw -A OUTPUT -p tcp --dport 22 -j TRACE",
    "-A INPUT -j TRACE",
    "-A INPUT -m helper --helper ftp -j ACCEPT",
    "-A FORWARD -m conntrack --ctstate RELATED -m helper ! --helper sip",
    "-A INPUT -m helper --helper \"it\\'s\"",
    "-A INPUT -p tcp --syn --dport 22 -m connlimit --connlimit-above 3 -j REJECT",
    "-A INPUT -p tcp -m connlimit --connlimit-above 10 --connlimit-mask 64 --connlimit-saddr -j DROP",
    "-A FORWARD -m connlimit --connlimit-upto 100 --connlimit-mask 128 --connlimit-daddr",
    "-A INPUT -m connlimit ! --connlimit-upto 5",
    "-A INPUT -p tcp --dport 22 -m conntrack --ctstate NEW -m recent --set --name SSH --mask ffff:ffff:ffff:ffff:: --rsource",
    "-A INPUT -p tcp --dport 22 -m conntrack --ctstate NEW -m recent --update --seconds 60 --hitcount 4 --name SSH --mask ffff:ffff:ffff:ffff:: --rsource -j DROP",
    "-A INPUT -m recent --rcheck --seconds 30 --reap --name KNOCK1 --mask ffff:ffff:ffff:ffff:: --rsource -j ACCEPT",
    "-A INPUT -m recent ! --remove --name KNOCK1 --mask ffff:ffff:ffff:ffff:: --rdest",
    "-A INPUT -m recent --update --rttl --name DEFAULT --mask ffff:ffff:ffff:ffff:: --rsource",
    "-A INPUT -m recent --set",
];

/// hashlimit, owner, socket, mac, physdev, rpfilter, nfacct (IPv4).
const V4_RATES: &[&str] = &[
    // owner
    "-A OUTPUT -m owner --uid-owner 0 -j ACCEPT",
    "-A OUTPUT -m owner ! --socket-exists --uid-owner 1-10 ! --gid-owner 4 --suppl-groups",
    // mac
    "-A INPUT -m mac --mac-source 42:01:02:03:04:05 -j ACCEPT",
    "-A FORWARD -m mac ! --mac-source aa:bb:0c:03:04:ff",
    // hashlimit
    "-A INPUT -m hashlimit --hashlimit-upto 1/sec --hashlimit-burst 5 --hashlimit-name mini1",
    "-A INPUT -p tcp -m hashlimit --hashlimit-above 40/min --hashlimit-burst 20 --hashlimit-mode srcip,dstport --hashlimit-name syn --hashlimit-htable-size 100 --hashlimit-htable-max 7 --hashlimit-htable-gcinterval 60000 --hashlimit-htable-expire 2000 --hashlimit-srcmask 24 -j DROP",
    "-A FORWARD -m hashlimit --hashlimit-upto 4kb/s --hashlimit-burst 400kb --hashlimit-name mini5",
    "-A INPUT -m hashlimit --hashlimit-upto 40/sec --hashlimit-burst 20 --hashlimit-mode srcip --hashlimit-name rate3 --hashlimit-rate-match --hashlimit-rate-interval 10",
    "-A OUTPUT -m hashlimit --hashlimit-above 40mb/s --hashlimit-mode dstip --hashlimit-name rate4 --hashlimit-dstmask 16 --hashlimit-rate-match",
    // socket
    "-t mangle -A PREROUTING -p tcp -m socket --transparent --nowildcard --restore-skmark -j ACCEPT",
    "-A INPUT -m socket",
    // physdev
    "-A FORWARD -m physdev ! --physdev-is-in ! --physdev-in eth+ --physdev-is-bridged -j ACCEPT",
    "-t mangle -A POSTROUTING -m physdev ! --physdev-is-out --physdev-out br0 --physdev-is-bridged",
    "-A INPUT -m physdev --physdev-in lo",
    // rpfilter
    "-t raw -A PREROUTING -m rpfilter --loose --invert -j DROP",
    "-t mangle -A PREROUTING -m rpfilter --loose --validmark --accept-local --invert",
    "-t mangle -A PREROUTING -m rpfilter",
];

/// hashlimit, owner, socket, mac, physdev, rpfilter, nfacct (IPv6).
const V6_RATES: &[&str] = &[
    // owner
    "-A OUTPUT -m owner --uid-owner 0 -j ACCEPT",
    "-A OUTPUT -m owner ! --socket-exists --uid-owner 1-10 ! --gid-owner 4 --suppl-groups",
    // mac
    "-A INPUT -m mac --mac-source 42:01:02:03:04:05 -j ACCEPT",
    "-A FORWARD -m mac ! --mac-source aa:bb:0c:03:04:ff",
    // hashlimit
    "-A INPUT -m hashlimit --hashlimit-upto 1/sec --hashlimit-burst 5 --hashlimit-name mini1",
    "-A INPUT -p tcp -m hashlimit --hashlimit-above 40/min --hashlimit-burst 20 --hashlimit-mode srcip,dstport --hashlimit-name syn --hashlimit-htable-size 100 --hashlimit-htable-max 7 --hashlimit-htable-gcinterval 60000 --hashlimit-htable-expire 2000 --hashlimit-srcmask 24 -j DROP",
    "-A FORWARD -m hashlimit --hashlimit-upto 4kb/s --hashlimit-burst 400kb --hashlimit-name mini5",
    "-A INPUT -m hashlimit --hashlimit-upto 40/sec --hashlimit-burst 20 --hashlimit-mode srcip --hashlimit-name rate3 --hashlimit-rate-match --hashlimit-rate-interval 10",
    "-A OUTPUT -m hashlimit --hashlimit-above 40mb/s --hashlimit-mode dstip --hashlimit-name rate4 --hashlimit-dstmask 16 --hashlimit-rate-match",
    // socket
    "-t mangle -A PREROUTING -p tcp -m socket --transparent --nowildcard --restore-skmark -j ACCEPT",
    "-A INPUT -m socket",
    // physdev
    "-A FORWARD -m physdev ! --physdev-is-in ! --physdev-in eth+ --physdev-is-bridged -j ACCEPT",
    "-t mangle -A POSTROUTING -m physdev ! --physdev-is-out --physdev-out br0 --physdev-is-bridged",
    "-A INPUT -m physdev --physdev-in lo",
    // rpfilter
    "-t raw -A PREROUTING -m rpfilter --loose --invert -j DROP",
    "-t mangle -A PREROUTING -m rpfilter --loose --validmark --accept-local --invert",
    "-t mangle -A PREROUTING -m rpfilter",
];

/// NFLOG, NFQUEUE, set, SET, policy, TPROXY (IPv4).
const V4_QUEUES: &[&str] = &[
    "-A INPUT -j NFLOG",
    "-A INPUT -j NFLOG --nflog-prefix \"a b\" --nflog-group 3 --nflog-size 0 --nflog-threshold 2",
    "-A FORWARD -p tcp -j NFLOG --nflog-group 65535 --nflog-size 4294967295",
    "-A INPUT -j NFQUEUE --queue-num 0",
    "-A FORWARD -j NFQUEUE --queue-balance 0:6 --queue-bypass --queue-cpu-fanout",
    "-A OUTPUT -j NFQUEUE --queue-num 65535 --queue-bypass",
    "-A INPUT -j NFQUEUE --queue-balance 3:4",
    "-A INPUT -m set --match-set foo src,dst -j DROP",
    "-A FORWARD -m set ! --match-set foo dst --return-nomatch ! --update-counters ! --update-subcounters ! --packets-eq 5 --bytes-gt 10",
    "-A INPUT -p tcp -m set --match-set bar src,dst,src --packets-lt 3 --bytes-eq 7 -j ACCEPT",
    "-A INPUT -j SET --add-set foo src --exist --timeout 10 --del-set bar dst",
    "-t mangle -A FORWARD -j SET --map-set foo src,dst --map-mark --map-prio --map-queue",
    "-A OUTPUT -j SET --del-set bar dst,dst",
    "-A INPUT -m policy --dir in --pol ipsec -j ACCEPT",
    // (no mask with holes: 1.8.9 reads `--tunnel-src A/255.0.255.0` as A/32)
    "-A FORWARD -m policy --dir in --pol ipsec --strict --reqid 1 --spi 0x1 --proto esp --mode tunnel --tunnel-dst 10.0.0.0/8 ! --tunnel-src 10.1.2.3/16 --next ! --reqid 2",
    "-A INPUT -m policy --dir in --pol ipsec --mode tunnel --tunnel-src 1.2.3.4",
    "-A OUTPUT -m policy --dir out --pol none -j DROP",
    "-A FORWARD -m policy --dir out --pol ipsec ! --proto ah ! --mode transport ! --spi 0xffffffff",
    "-t mangle -A PREROUTING -p tcp -m tcp --dport 2342 -j TPROXY --on-port 12345 --on-ip 10.0.0.1 --tproxy-mark 0x23/0xff",
    "-t mangle -A PREROUTING -p udp -j TPROXY --on-port 0 --on-ip 0.0.0.0 --tproxy-mark 0x5/0xffffffff",
];

/// NFLOG, NFQUEUE, set, SET, policy, TPROXY (IPv6).
const V6_QUEUES: &[&str] = &[
    "-A INPUT -j NFLOG --nflog-group 1",
    "-A OUTPUT -j NFLOG --nflog-prefix xx --nflog-threshold 65535",
    "-A INPUT -j NFQUEUE --queue-num 10 --queue-bypass",
    "-A FORWARD -j NFQUEUE --queue-balance 0:65534 --queue-cpu-fanout",
    "-A INPUT -m set --match-set six src,dst -j DROP",
    "-A OUTPUT -m set ! --match-set six dst --packets-gt 4 ! --bytes-eq 9",
    "-A INPUT -j SET --add-set six src --timeout 0",
    "-A INPUT -m policy --dir in --pol ipsec --proto ipcomp",
    "-A FORWARD -m policy --dir in --pol ipsec --strict --mode tunnel --tunnel-dst 2001:db8::1 ! --tunnel-src ::1/64 --next --spi 0x9",
    "-A OUTPUT -m policy --dir out --pol none -j ACCEPT",
    "-t mangle -A PREROUTING -p udp -j TPROXY --on-port 12345 --on-ip 2001:db8::1 --tproxy-mark 0x23/0xff",
    "-t mangle -A PREROUTING -p tcp -j TPROXY --on-port 1 --on-ip :: --tproxy-mark 0x0/0x0",
];

/// ipv6 and ipsec headers: ah esp ipcomp frag hbh dst rt mh srh ipv6header eui64 (IPv4).
const V4_IPHDR: &[&str] = &[
    "-A INPUT -p esp -m esp --espspi 5:6",
    "-A INPUT -p esp -m esp ! --espspi 9 -j DROP",
    "-A INPUT -p esp -m esp",
    "-A INPUT -p ah -m ah ! --ahspi 0",
    "-A INPUT -p ah -m ah --ahspi 3:4294967295",
    "-A INPUT -p ah -m ah",
    "-A INPUT -p ipcomp -m ipcomp --ipcompspi 0",
    "-A INPUT -p ipcomp -m ipcomp ! --ipcompspi 18 --compres -j DROP",
    "-A INPUT -p ipcomp -m ipcomp",
];

/// ipv6 and ipsec headers: ah esp ipcomp frag hbh dst rt mh srh ipv6header eui64 (IPv6).
const V6_IPHDR: &[&str] = &[
    "-A INPUT -p esp -m esp ! --espspi 3:4",
    "-A INPUT -m ah --ahspi 1 ! --ahlen 3 --ahres",
    "-A INPUT -m ah",
    "-A INPUT -p ipcomp -m ipcomp --ipcompspi 3:4",
    "-A INPUT -m frag ! --fragid 1 ! --fraglen 42 --fragres --fragfirst",
    "-A INPUT -m frag --fraglast",
    "-A INPUT -m frag",
    "-A INPUT -m hbh --hbh-len 42 --hbh-opts 1:2,23:42,4:6,8:10,42,23,4:5",
    "-A INPUT -m hbh",
    "-A INPUT -m dst ! --dst-len 42 --dst-opts 149:92,12:12",
    "-A INPUT -m rt --rt-type 0 ! --rt-segsleft 1:23 ! --rt-len 42 --rt-0-res --rt-0-addrs ::1,2001:db8::1 --rt-0-not-strict",
    "-A INPUT -m rt",
    "-A INPUT -p mobility-header -m mh --mh-type 5:7",
    "-A INPUT -p mobility-header -m mh ! --mh-type 4 -j DROP",
    "-A INPUT -p mobility-header -m mh",
    "-A INPUT -m srh --srh-next-hdr 17 ! --srh-segs-left-eq 0 --srh-tag 0 ! --srh-psid a::/64 --srh-nsid b::/128 --srh-lsid c::/0",
    "-A INPUT -m srh",
    "-A INPUT -m ipv6header ! --header hop-by-hop,ipv6-opts,ipv6-route,ipv6-frag,ah,esp,ipv6-nonxt,protocol --soft",
    "-A INPUT -m ipv6header --header ipv6-nonxt",
    "-A FORWARD -m eui64",
];

/// protocols and content: sctp dccp string u32 bpf time quota (IPv4).
const V4_PROTO: &[&str] = &[
    "-A INPUT -p sctp -m sctp --sport 1 --dport 2:3 -j ACCEPT",
    "-A INPUT -p sctp -m sctp ! --sport 0:5 --chunk-types all DATA:IUbe,ABORT:T,I_DATA",
    "-A INPUT -p sctp -m sctp ! --chunk-types any NONE",
    "-A INPUT -p dccp -m dccp --sport 1 ! --dport 2:3 -j DROP",
    "-A INPUT -p dccp -m dccp ! --dccp-types REQUEST,SYNC --dccp-option 4",
    "-A INPUT -m string --string \"it's \\\"x\\\"\" --algo bm --to 100 -j DROP",
    "-A FORWARD -m string ! --hex-string \"|00ff|\" --algo kmp --from 2 --icase",
    "-A INPUT -m quota --quota 1000 -j ACCEPT",
    "-A INPUT -m quota ! --quota 18446744073709551615",
    "-A INPUT -m time --timestart 01:02:03 --timestop 04:05:06 --monthdays 1,2,3,4,5 --weekdays Mon,Fri,Sun --datestart 2001-02-03T04:05:06 --datestop 2012-09-08T09:06:05 --kerneltz",
    "-A FORWARD -m time --timestart 23:00:00 --timestop 01:00:00 --datestop 2038-01-19T03:14:07 --contiguous -j DROP",
    "-A INPUT -m time --datestop 2038-01-19T03:14:07",
    "-A INPUT -m u32 --u32 \"0x0=0x0&&0x0=0x1\"",
    "-A INPUT -m u32 ! --u32 \"0x6&0xff=0x1,0x2:0x3&&0x4>>0x5@0xc<<0x1&0x7=0x0:0x10\" -j DROP",
    "-A INPUT -m bpf --bytecode \"4,48 0 0 9,21 0 1 6,6 0 0 1,6 0 0 0\" -j ACCEPT",
];

/// protocols and content: sctp dccp string u32 bpf time quota (IPv6).
const V6_PROTO: &[&str] = &[
    "-A INPUT -p sctp -m sctp ! --dport 5:65535 --chunk-types only ALL",
    "-A OUTPUT -p sctp -m sctp --chunk-types any DATA,SHUTDOWN_COMPLETE:t,ASCONF",
    "-A OUTPUT -p dccp -m dccp --dccp-types DATA,INVALID ! --dccp-option 1",
    "-A OUTPUT -m string --string \"GET /\" --algo bm --from 40 --to 80 -j REJECT",
    "-A OUTPUT -m quota ! --quota 0 -j DROP",
    "-A OUTPUT -m time --monthdays 2,30 --weekdays Tue,Sat --datestart 2038-12-31T00:00:00 --datestop 2038-01-19T03:14:07",
    "-A OUTPUT -m u32 --u32 \"0x28&0xffff=0x1:0x3e8\"",
    "-A OUTPUT -m bpf --bytecode \"3,21 0 1 70000,6 0 0 4294967295,6 0 0 0\"",
];

/// accounting and classification: connbytes connlabel rateest RATEEST cgroup cpu cluster osf realm ecn ECN (IPv4).
const V4_ACCT: &[&str] = &[
    "-A INPUT -m connbytes --connbytes 0:1000 --connbytes-mode packets --connbytes-dir original",
    "-A INPUT -m connbytes ! --connbytes 1000 --connbytes-mode avgpkt --connbytes-dir both",
    "-A INPUT -m connlabel ! --label \"41\" --set",
    "-A INPUT -j RATEEST --rateest-name RE1 --rateest-interval 250.0ms --rateest-ewmalog 500.0ms",
    "-A FORWARD -j RATEEST --rateest-name RE1234567890123 --rateest-interval 8.0s --rateest-ewmalog 64.0s",
    "-t mangle -A INPUT -m cgroup ! --cgroup 16",
    "-A OUTPUT -m cgroup --path \"/\"",
    "-A INPUT -m cpu ! --cpu 0",
    "-t mangle -A PREROUTING -m cluster ! --cluster-local-nodemask 0x00000005 --cluster-total-nodes 4 --cluster-hash-seed 0xfeedcafe",
    "-A INPUT -p tcp -m ecn --ecn-tcp-ece ! --ecn-tcp-cwr --ecn-ip-ect 2",
    "-A INPUT -m ecn ! --ecn-ip-ect 3",
    "-t mangle -A PREROUTING -p tcp -j ECN --ecn-tcp-remove",
    "-t mangle -A PREROUTING -j ECN --ecn-ip-ect 2",
    "-A INPUT -p tcp -m osf --genre linux --ttl 0 --log 0",
    "-A INPUT -m realm --realm 0x1/0x2a",
    "-A INPUT -m realm ! --realm cosmos",
    "-A FORWARD -m devgroup ! --src-group 0x10/0xff --dst-group default",
];

/// accounting and classification: connbytes connlabel rateest RATEEST cgroup cpu cluster osf realm ecn ECN (IPv6).
const V6_ACCT: &[&str] = &[
    "-A FORWARD -m connbytes ! --connbytes 10:20 --connbytes-mode bytes --connbytes-dir reply",
    "-A INPUT -m connlabel --label \"40\"",
    "-A OUTPUT -j RATEEST --rateest-name RE1 --rateest-interval 500.0ms --rateest-ewmalog 2.0s",
    "-A OUTPUT -m cgroup ! --path \"/\"",
    "-A INPUT -m cpu --cpu 4294967295",
    "-t mangle -A PREROUTING -m cluster --cluster-local-nodemask 0x00000002 --cluster-total-nodes 2 --cluster-hash-seed 0xfeedcafe",
    "-A INPUT -p tcp -m ecn ! --ecn-tcp-ece --ecn-tcp-cwr ! --ecn-ip-ect 2",
    "-A INPUT -m devgroup --src-group 0x1",
];

/// more targets: TEE SNPT DNPT HMARK IDLETIMER AUDIT CONNSECMARK SECMARK SYNPROXY TCPOPTSTRIP LED (IPv4).
const V4_TGT: &[&str] = &[
    // TCPOPTSTRIP
    "-t mangle -A OUTPUT -p tcp -j TCPOPTSTRIP",
    "-t mangle -A FORWARD -p tcp -m tcp --tcp-flags SYN,RST SYN -j TCPOPTSTRIP --strip-options 2,3,4,5,8,19",
    // HMARK
    "-A OUTPUT -j HMARK --hmark-src-prefix 1 --hmark-dst-prefix 2 --hmark-sport-mask 0x0003 --hmark-dport-mask 0x0004 --hmark-proto-mask 0x05 --hmark-rnd 0x00000004 --hmark-mod 42 --hmark-offset 1 --hmark-tuple ct",
    "-t mangle -A PREROUTING -j HMARK --hmark-src-prefix 32 --hmark-dst-prefix 32 --hmark-sport-mask 0xffff --hmark-dport-mask 0xffff --hmark-proto-mask 0xffff --hmark-rnd 0xfeedcafe --hmark-mod 10 --hmark-offset 100",
    "-A FORWARD -j HMARK --hmark-spi-mask 0xffffffff --hmark-sport 0x0001 --hmark-dport 0x1234 --hmark-rnd 0x00000001 --hmark-mod 4294967295 --hmark-tuple ct",
    // TEE
    "-t mangle -A PREROUTING -j TEE --gateway 1.2.0.3",
    "-A OUTPUT -p udp -j TEE --gateway 127.0.0.1 --oif abcdefghijklmno",
    // SYNPROXY
    "-A INPUT -p tcp -m tcp --dport 42 -m conntrack --ctstate INVALID,UNTRACKED -j SYNPROXY --sack-perm --timestamp --wscale 9 --mss 1460",
    "-A FORWARD -p tcp -j SYNPROXY --wscale 0 --mss 65535 --ecn",
    // AUDIT
    "-A INPUT -j AUDIT --type accept",
    "-A FORWARD -p tcp -j AUDIT --type reject",
    // IDLETIMER (labels are global to the kernel: this list's own)
    "-A INPUT -j IDLETIMER --timeout 42 --label rxt-interop-4",
    "-A FORWARD -j IDLETIMER --timeout 4000 --label rxt-interop-4-alarm --alarm",
    // CONNSECMARK
    "-t mangle -A PREROUTING -j CONNSECMARK --restore",
    "-t security -A OUTPUT -j CONNSECMARK --save",
];

/// more targets: TEE SNPT DNPT HMARK IDLETIMER AUDIT CONNSECMARK SECMARK SYNPROXY TCPOPTSTRIP LED (IPv6).
const V6_TGT: &[&str] = &[
    // TCPOPTSTRIP
    "-t mangle -A POSTROUTING -p tcp -j TCPOPTSTRIP --strip-options 2,31,32,33,64,128,255",
    // HMARK
    "-A OUTPUT -j HMARK --hmark-src-prefix 128 --hmark-dst-prefix 64 --hmark-spi-mask 0x01020304 --hmark-spi 0x00000007 --hmark-rnd 0x00000001 --hmark-mod 2",
    "-A INPUT -j HMARK --hmark-src-prefix 0 --hmark-sport-mask 0xff00 --hmark-rnd 0x00000001 --hmark-mod 2 --hmark-offset 4294967295 --hmark-tuple ct",
    // TEE
    "-t mangle -A POSTROUTING -j TEE --gateway 2001:db8::1 --oif eth0",
    "-A INPUT -j TEE --gateway ::ffff:1.2.3.4",
    // SYNPROXY
    "-A INPUT -p tcp -j SYNPROXY",
    "-A FORWARD -p tcp -m tcp --dport 80 -j SYNPROXY --sack-perm --mss 1440 --ecn",
    // AUDIT
    "-A OUTPUT -j AUDIT --type drop",
    // IDLETIMER
    "-A OUTPUT -j IDLETIMER --timeout 1 --label rxt-interop-6",
    // CONNSECMARK
    "-t mangle -A POSTROUTING -j CONNSECMARK --save",
    // SNPT, DNPT (not with ::/0 prefixes: every release saves them as a
    // bare `-j SNPT`, which no release reads back)
    "-t mangle -A POSTROUTING -j SNPT --src-pfx dead::/64 --dst-pfx 1c3::/64",
    "-t mangle -A INPUT -j SNPT --src-pfx 2001:db8:1::/48 --dst-pfx 2001:db8:2::/48",
    "-t mangle -A PREROUTING -j DNPT --src-pfx 1c3::/64 --dst-pfx dead::/64",
    "-t mangle -A OUTPUT -p tcp -j DNPT --src-pfx 2001:db8::/32 --dst-pfx 2001:db9::/32",
];

/// multiport (fail2ban, ufw) and limit, both families.
const MULTIPORT: &[&str] = &[
    "-A INPUT -m limit --limit 3/min --limit-burst 10 -j ACCEPT",
    "-A INPUT -p tcp --syn -m limit --limit 1000/day -j DROP",
    "-A INPUT -m limit",
    "-t nat -A PREROUTING -m comment --comment \"svc/a\" -m statistic --mode random --probability 0.50000000000 -j USER1",
    "-A INPUT -m statistic --mode nth --every 3 --packet 1 -j DROP",
    "-A INPUT -m limit --limit 5/min -j LOG --log-prefix \"blocked: \" --log-level 4",
    "-A FORWARD -j LOG --log-tcp-sequence --log-tcp-options --log-ip-options --log-uid --log-level debug",
    "-A INPUT -p tcp -m multiport --dports 80,443 -j ACCEPT",
    "-A INPUT -p udp -m multiport ! --sports 53,1000:2000 -j DROP",
    "-A INPUT -p tcp -m multiport --ports http,https,22",
    "-A INPUT -p sctp -m multiport --dports 1:2,3:4,5:6,7:8,9:10,11:12,13:14,15",
    "-A INPUT -p tcp -m multiport --dports 80 -m multiport --sports 1024:65535 -m conntrack --ctstate NEW",
];

/// nfacct, both families. Each name must exist first (`nfacct add`, a
/// per-namespace object, see [`setup`]): the kernel refuses the rule
/// otherwise.
const NFACCT: &[&str] = &[
    "-A INPUT -m nfacct --nfacct-name acct1",
    "-A FORWARD -p tcp -m nfacct --nfacct-name web-in -j ACCEPT",
    "-A OUTPUT -m nfacct --nfacct-name abcdefghijklmnopqrstuvwxyz01234 -j DROP",
    "-A INPUT -m nfacct --nfacct-name acct1 -m nfacct --nfacct-name acct_2",
];

/// conntrack and state (Docker, ufw, kube-proxy), both families.
const CONNTRACK: &[&str] = &[
    "-A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT",
    "-A INPUT -m conntrack --ctstate INVALID -j DROP",
    "-A FORWARD -o eth0 -m conntrack ! --ctstate NEW,UNTRACKED -j ACCEPT",
    "-A FORWARD -m conntrack --ctstate DNAT --ctdir ORIGINAL -j ACCEPT",
    "-A INPUT -m conntrack --ctproto udp --ctstatus SEEN_REPLY,ASSURED ! --ctexpire 10:20",
    "-A INPUT -m conntrack --ctorigsrcport 1024: --ctrepldstport 53 --ctdir REPLY",
    "-A INPUT -m state --state RELATED,ESTABLISHED -j ACCEPT",
    "-A OUTPUT -m state ! --state INVALID -m conntrack --ctstate NEW",
];

/// conntrack addresses (family-specific).
const V4_CONNTRACK_ADDR: &[&str] = &[
    "-A INPUT -m iprange --src-range 10.0.0.1-10.0.0.9 ! --dst-range 10.1.0.0-10.1.255.255 -j DROP",
    "-A FORWARD -m iprange --dst-range 1.1.1.1",
    "-A INPUT -m conntrack --ctorigsrc 10.0.0.0/8 ! --ctorigdst 1.2.3.4 -j ACCEPT",
    "-A INPUT -m conntrack --ctreplsrc 10.0.0.1/255.0.0.255 --ctrepldst 0.0.0.0/0",
];
const V6_CONNTRACK_ADDR: &[&str] = &[
    "-A INPUT -m iprange ! --src-range 2001:db8::1-2001:db8::10 -j DROP",
    "-A INPUT -m conntrack --ctorigsrc 2001:db8::/32 --ctstate ESTABLISHED",
    "-A INPUT -m conntrack ! --ctrepldst ::1 --ctproto ipv6-icmp",
];

/// REJECT and addrtype (Docker's `--dst-type LOCAL` rules among them).
const V4_REJECT_ADDRTYPE: &[&str] = &[
    "-A INPUT -j REJECT",
    "-A INPUT -p tcp --dport 25 -j REJECT --reject-with tcp-reset",
    "-A FORWARD -j REJECT --reject-with icmp-host-prohibited",
    "-A INPUT -s 10.0.0.0/8 -j REJECT --reject-with admin-prohib",
    "-t nat -A PREROUTING -m addrtype --dst-type LOCAL -j USER1",
    "-t nat -A OUTPUT ! -d 127.0.0.0/8 -m addrtype --dst-type LOCAL -j USER1",
    "-A INPUT -m addrtype ! --src-type LOCAL,BROADCAST --limit-iface-in -j DROP",
    "-A OUTPUT -m addrtype --dst-type MULTICAST --limit-iface-out -j ACCEPT",
];

/// The same for IPv6 (its own REJECT types).
const V6_REJECT_ADDRTYPE: &[&str] = &[
    "-A INPUT -j REJECT",
    "-A INPUT -p tcp -j REJECT --reject-with tcp-reset",
    "-A FORWARD -j REJECT --reject-with icmp6-adm-prohibited",
    "-A INPUT -j REJECT --reject-with no-route",
    "-A OUTPUT -j REJECT --reject-with icmp6-reject-route",
    "-t nat -A PREROUTING -m addrtype --dst-type LOCAL -j USER1",
    "-A INPUT -m addrtype ! --dst-type MULTICAST -j DROP",
];

// ---------------------------------------------------------------------------

/// `-N USER1` (and USER2) in the form's table, if the form uses them.
fn setup(spec: &str) -> Vec<String> {
    let table = table_of(spec);
    let t = if table == "filter" {
        String::new()
    } else {
        format!("-t {table} ")
    };
    let mut cmds: Vec<String> = ["USER1", "USER2"]
        .iter()
        .filter(|c| spec.split_whitespace().any(|w| w == **c))
        .map(|c| format!("{t}-N {c}"))
        .collect();
    // ipsets a form names (set and SET): whole commands, not iptables
    // arguments (see `setup_cmd`); names starting with `six` are IPv6 sets
    let w: Vec<&str> = spec.split_whitespace().collect();
    for p in w.windows(2) {
        if matches!(
            p[0],
            "--match-set" | "--add-set" | "--del-set" | "--map-set"
        ) {
            let fam = if p[1].starts_with("six") {
                " family inet6"
            } else {
                ""
            };
            let c = format!("ipset -exist create {} hash:ip skbinfo{fam}", p[1]);
            if !cmds.contains(&c) {
                cmds.push(c);
            }
        }
    }
    // nfacct objects a form names (created in the test's namespace)
    for p in w.windows(2) {
        if p[0] == "--nfacct-name" {
            let c = format!("nfacct add {}", p[1]);
            if !cmds.contains(&c) {
                cmds.push(c);
            }
        }
    }
    cmds
}

/// A command of [`setup`] as run with `tool`: iptables arguments get the
/// tool in front, `ipset` and `nfacct` commands run as they are.
fn setup_cmd(tool: &str, s: &str) -> String {
    if s.starts_with("ipset ") || s.starts_with("nfacct ") {
        s.to_string()
    } else {
        format!("{tool} {s}")
    }
}

fn table_of(spec: &str) -> String {
    let w: Vec<&str> = spec.split_whitespace().collect();
    for i in 0..w.len() {
        if (w[i] == "-t" || w[i] == "--table") && i + 1 < w.len() {
            return w[i + 1].to_string();
        }
    }
    "filter".into()
}

fn chain_of(spec: &str) -> String {
    let w: Vec<&str> = spec.split_whitespace().collect();
    let i = w
        .iter()
        .position(|x| *x == "-A" || *x == "--append")
        .expect("an -A form");
    w[i + 1].to_string()
}

/// The form turned into `cmd` (`-D` or `-C`) with its counters (`-c P B`,
/// `--set-counters P B`) removed, as iptables does not allow them there.
fn with_command(spec: &str, cmd: &str) -> String {
    let w: Vec<&str> = spec.split_whitespace().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < w.len() {
        match w[i] {
            "-A" | "--append" => out.push(cmd),
            "-c" | "--set-counters" => i += 2,
            x => out.push(x),
        }
        i += 1;
    }
    out.join(" ")
}

fn is_warning(line: &str) -> bool {
    let l = line.to_ascii_lowercase();
    l.contains("incompatible") || l.contains("unknown")
}

/// Compares a step of the reference's and our run: status, stdout (save
/// comment lines stripped) and stderr (version-normalized).
fn compare_step(f: &mut Failures, label: &str, r: &Step, o: &Step) {
    f.check(r.status == o.status, || {
        format!(
            "{label}: `{}` exit status {} (reference {})\n  stderr: {}\n  reference stderr: {}",
            o.cmd,
            o.status,
            r.status,
            o.stderr.trim_end(),
            r.stderr.trim_end()
        )
    });
    f.check_eq(
        &format!("{label}: `{}` stdout", o.cmd),
        &strip_save_comments(&r.stdout),
        &strip_save_comments(&o.stdout),
    );
    let rn: Vec<String> = nonempty_lines(&r.stderr)
        .iter()
        .map(|l| normalize_version(l))
        .collect();
    let on: Vec<String> = nonempty_lines(&o.stderr)
        .iter()
        .map(|l| normalize_version(l))
        .collect();
    f.check_eq(
        &format!("{label}: `{}` stderr", o.cmd),
        &rn.join("\n"),
        &on.join("\n"),
    );
}

/// Forms a release itself gets wrong, left out of the comparison with that
/// release (each is its own bug; rxtables does the right thing, see
/// docs/differences.md):
/// - 1.8.11 and 1.8.13 write `! --sport :1023` as `sport > 1023` and read it
///   back as `--sport 1024:65535`, so their own `-C`/`-D` with the same spec
///   fail; rxtables finds the rule (`inverted_open_port_range` below).
/// - 1.8.9 reads a conntrack address mask with holes (`/255.0.0.255`) as
///   all ones, so its own `-C` of such a rule fails.
const RELEASE_BUGS: &[(&str, &str)] = &[
    (
        "1.8.9",
        "-A INPUT -m conntrack --ctreplsrc 10.0.0.1/255.0.0.255 --ctrepldst 0.0.0.0/0",
    ),
    ("1.8.11", "-A INPUT -p udp ! --sport :1023 -j ACCEPT"),
    ("1.8.13", "-A INPUT -p udp ! --sport :1023 -j ACCEPT"),
];

fn release_bug(rel: &str, spec: &str) -> bool {
    RELEASE_BUGS.iter().any(|(r, s)| *r == rel && *s == spec)
}

/// (a) rxtables writes, release `rel` reads: its `-C`, `save -c`, `-S` and
/// `-S -v` give what they give when `rel` wrote the same rule itself.
fn check_written(fam: Fam, forms: &[&str], rel: &'static str) {
    let mut f = Failures::new();
    for spec in forms.iter().filter(|s| !release_bug(rel, s)) {
        let t = fam.tool();
        let mut cmds: Vec<String> = setup(spec).iter().map(|s| setup_cmd(t, s)).collect();
        let first = cmds.len();
        cmds.push(format!("{t} {spec}"));
        let check = cmds.len();
        cmds.push(format!("{} {}", fam.release(rel), with_command(spec, "-C")));
        cmds.push(format!("{} -c", fam.release_save(rel)));
        cmds.push(format!("{} -S", fam.release(rel)));
        cmds.push(format!("{} -S -v", fam.release(rel)));
        cmds.push("nft list ruleset".into());
        let nft = cmds.len() - 1;
        let refs: Vec<&str> = cmds.iter().map(String::as_str).collect();
        let r = run_seq(Impl::Release(rel), &refs, false);
        let o = run_seq(Impl::Ours, &refs, false);
        let label = format!("[{} {rel}] {spec}", fam.tool());

        // Test sanity: the release accepts the form and finds it again.
        for s in &r.steps[..=check] {
            assert_eq!(
                s.status, 0,
                "{rel} failed `{}`: {} (test bug)",
                s.cmd, s.stderr
            );
        }
        for i in first..nft {
            compare_step(&mut f, &label, &r.steps[i], &o.steps[i]);
        }
        let rw: Vec<&str> = r.steps[nft]
            .stdout
            .lines()
            .chain(r.steps[nft].stderr.lines())
            .filter(|l| is_warning(l))
            .collect();
        for l in o.steps[nft]
            .stdout
            .lines()
            .chain(o.steps[nft].stderr.lines())
        {
            f.check(!is_warning(l) || rw.contains(&l), || {
                format!("{label}: nft list ruleset warns: {l}")
            });
        }
        f.check_eq(
            &format!("{label}: final iptables-nft-save"),
            &r.save4,
            &o.save4,
        );
        f.check_eq(
            &format!("{label}: final ip6tables-nft-save"),
            &r.save6,
            &o.save6,
        );
    }
    f.finish(&format!(
        "rules written by rxtables {}, read by {rel}",
        fam.tool()
    ));
}

/// (b) release `rel` writes; rxtables reads it (`-S`, save, `-C`) as the
/// reference, 1.8.13, reads it, and deletes it by spec as 1.8.13 does.
/// (1.8.13 prints some rules of 1.8.9 differently from 1.8.9, e.g. `-p 47`
/// for 1.8.9's `-p gre`: rxtables follows 1.8.13.)
fn check_read(fam: Fam, forms: &[&str], rel: &'static str) {
    let mut f = Failures::new();
    let skip = |s: &&&str| release_bug(rel, s) || release_bug(REFERENCE_RELEASE, s);
    for spec in forms.iter().filter(|s| !skip(s)) {
        let t = fam.tool();
        let table = table_of(spec);
        let mut cmds: Vec<String> = setup(spec)
            .iter()
            .map(|s| setup_cmd(&fam.release(rel), s))
            .collect();
        cmds.push(format!("{} {spec}", fam.release(rel)));
        let first = cmds.len();
        cmds.push(format!("{t} -t {table} -S"));
        cmds.push(format!("{t} -t {table} -S {}", chain_of(spec)));
        cmds.push(format!("{t} -t {table} -S -v"));
        cmds.push(fam.save().to_string());
        cmds.push(format!("{} -c", fam.save()));
        cmds.push(format!("{t} {}", with_command(spec, "-C")));
        cmds.push(format!("{t} {}", with_command(spec, "-D")));
        let del = cmds.len() - 1;
        cmds.push(format!("{t} {}", with_command(spec, "-C")));
        let refs: Vec<&str> = cmds.iter().map(String::as_str).collect();
        let (r, o) = run_both(&refs, false);
        let label = format!("[{} {rel}] {spec}", fam.tool());

        for s in &r.steps[..=del] {
            assert_eq!(
                s.status, 0,
                "{rel} failed `{}`: {} (test bug)",
                s.cmd, s.stderr
            );
        }
        assert!(
            rule_lines(&fam.final_save(&r)).is_empty(),
            "the reference's -D left a rule (test bug)"
        );
        for i in first..cmds.len() {
            compare_step(&mut f, &label, &r.steps[i], &o.steps[i]);
        }
        let left = rule_lines(&fam.final_save(&o));
        f.check(left.is_empty(), || {
            format!("{label}: rule(s) left after rxtables -D: {left:?}")
        });
        f.check_eq(
            &format!("{label}: final iptables-nft-save"),
            &r.save4,
            &o.save4,
        );
        f.check_eq(
            &format!("{label}: final ip6tables-nft-save"),
            &r.save6,
            &o.save6,
        );
    }
    f.finish(&format!(
        "rules written by {rel}, read by rxtables {}",
        fam.tool()
    ));
}

macro_rules! form_tests {
    ($($name:ident: $fam:expr, $forms:expr;)*) => {
        /// Every form, written by rxtables, read by each release.
        mod written_by_rxtables {
            use super::*;
            mod v1_8_9 { use super::*; $( #[test] fn $name() { check_written($fam, $forms, "1.8.9") } )* }
            mod v1_8_11 { use super::*; $( #[test] fn $name() { check_written($fam, $forms, "1.8.11") } )* }
            mod v1_8_13 { use super::*; $( #[test] fn $name() { check_written($fam, $forms, "1.8.13") } )* }
        }
        /// Every form, written by each release, read by rxtables.
        mod read_by_rxtables {
            use super::*;
            mod v1_8_9 { use super::*; $( #[test] fn $name() { check_read($fam, $forms, "1.8.9") } )* }
            mod v1_8_11 { use super::*; $( #[test] fn $name() { check_read($fam, $forms, "1.8.11") } )* }
            mod v1_8_13 { use super::*; $( #[test] fn $name() { check_read($fam, $forms, "1.8.13") } )* }
        }
    };
}

form_tests! {
    v4_addresses: Fam::V4, V4_ADDRESSES;
    v4_interfaces: Fam::V4, V4_INTERFACES;
    v4_protocols_fragments: Fam::V4, V4_PROTOCOLS;
    v4_tcp: Fam::V4, V4_TCP;
    v4_udp: Fam::V4, V4_UDP;
    v4_icmp: Fam::V4, V4_ICMP;
    v4_targets_counters: Fam::V4, V4_TARGETS;
    v4_nat_mangle_raw_security: Fam::V4, V4_TABLES;
    v6_addresses: Fam::V6, V6_ADDRESSES;
    v6_interfaces: Fam::V6, V6_INTERFACES;
    v6_protocols: Fam::V6, V6_PROTOCOLS;
    v6_tcp_udp: Fam::V6, V6_TCP_UDP;
    v6_icmp6: Fam::V6, V6_ICMP6;
    v6_targets_tables: Fam::V6, V6_TARGETS_TABLES;
    v4_mark_comment: Fam::V4, MARK_COMMENT;
    v6_mark_comment: Fam::V6, MARK_COMMENT;
    v4_reject_addrtype: Fam::V4, V4_REJECT_ADDRTYPE;
    v6_reject_addrtype: Fam::V6, V6_REJECT_ADDRTYPE;
    v4_conntrack: Fam::V4, CONNTRACK;
    v6_conntrack: Fam::V6, CONNTRACK;
    v4_conntrack_addresses: Fam::V4, V4_CONNTRACK_ADDR;
    v6_conntrack_addresses: Fam::V6, V6_CONNTRACK_ADDR;
    v4_multiport: Fam::V4, MULTIPORT;
    v6_multiport: Fam::V6, MULTIPORT;
    v4_header: Fam::V4, V4_HEADER;
    v6_header: Fam::V6, V6_HEADER;
    v4_conn: Fam::V4, V4_CONN;
    v6_conn: Fam::V6, V6_CONN;
    v4_rates: Fam::V4, V4_RATES;
    v6_rates: Fam::V6, V6_RATES;
    v4_queues: Fam::V4, V4_QUEUES;
    v6_queues: Fam::V6, V6_QUEUES;
    v4_iphdr: Fam::V4, V4_IPHDR;
    v6_iphdr: Fam::V6, V6_IPHDR;
    v4_proto: Fam::V4, V4_PROTO;
    v6_proto: Fam::V6, V6_PROTO;
    v4_acct: Fam::V4, V4_ACCT;
    v6_acct: Fam::V6, V6_ACCT;
    v4_tgt: Fam::V4, V4_TGT;
    v6_tgt: Fam::V6, V6_TGT;
    v4_nfacct: Fam::V4, NFACCT;
    v6_nfacct: Fam::V6, NFACCT;
}

/// `! --sport :1023`: 1.8.11+ write it as `sport > 1023` and print it as
/// `--sport 1024:65535`, which their own `-C`/`-D` with the written spec
/// then miss. rxtables writes the same expressions, prints the same text,
/// and finds the rule by either spelling, whoever wrote it.
#[test]
fn inverted_open_port_range() {
    let out = ns_bash(
        "set -e
         ip6tables-1.8.13 -A INPUT -p udp ! --sport :1023 -j ACCEPT
         iptables -A INPUT -p tcp ! --dport :1023 -j ACCEPT
         ip6tables -S INPUT; iptables-save-1.8.13 | grep -- '-A'
         ip6tables -C INPUT -p udp ! --sport :1023 -j ACCEPT
         ip6tables -C INPUT -p udp --sport 1024:65535 -j ACCEPT
         iptables -C INPUT -p tcp ! --dport :1023 -j ACCEPT
         ip6tables -D INPUT -p udp ! --sport :1023 -j ACCEPT
         iptables -D INPUT -p tcp --dport 1024: -j ACCEPT
         ip6tables-save-1.8.13 | grep -c -- '-A' || true
         iptables-save-1.8.9 | grep -c -- '-A' || true",
    );
    assert_eq!(out.status, 0, "{}\n{}", out.stdout, out.stderr);
    assert_eq!(
        out.stdout,
        "-P INPUT ACCEPT\n\
         -A INPUT -p udp -m udp --sport 1024:65535 -j ACCEPT\n\
         -A INPUT -p tcp -m tcp --dport 1024:65535 -j ACCEPT\n\
         0\n0\n"
    );
}

fn all_forms(fam: Fam) -> Vec<&'static str> {
    let lists: &[&[&str]] = match fam {
        Fam::V4 => &[
            V4_ADDRESSES,
            V4_INTERFACES,
            V4_PROTOCOLS,
            V4_TCP,
            V4_UDP,
            V4_ICMP,
            V4_TARGETS,
            V4_TABLES,
            MARK_COMMENT,
            V4_REJECT_ADDRTYPE,
            CONNTRACK,
            V4_CONNTRACK_ADDR,
            MULTIPORT,
            V4_HEADER,
            V4_CONN,
            V4_RATES,
            V4_QUEUES,
            V4_IPHDR,
            V4_PROTO,
            V4_ACCT,
            V4_TGT,
            NFACCT,
        ],
        Fam::V6 => &[
            V6_ADDRESSES,
            V6_INTERFACES,
            V6_PROTOCOLS,
            V6_TCP_UDP,
            V6_ICMP6,
            V6_TARGETS_TABLES,
            MARK_COMMENT,
            V6_REJECT_ADDRTYPE,
            CONNTRACK,
            V6_CONNTRACK_ADDR,
            MULTIPORT,
            V6_HEADER,
            V6_CONN,
            V6_RATES,
            V6_QUEUES,
            V6_IPHDR,
            V6_PROTO,
            V6_ACCT,
            V6_TGT,
            NFACCT,
        ],
    };
    lists.iter().flat_map(|l| l.iter().copied()).collect()
}

/// Commands (for `writer`) that create the user chains and add every form.
fn load_all(fam: Fam, writer: &str) -> Vec<String> {
    load_forms(fam, writer, &[])
}

/// [`load_all`] without the forms in `skip`.
fn load_forms(fam: Fam, writer: &str, skip: &[&str]) -> Vec<String> {
    let forms: Vec<&str> = all_forms(fam)
        .into_iter()
        .filter(|f| !skip.contains(f))
        .collect();
    let mut setups: Vec<String> = Vec::new();
    for s in &forms {
        for c in setup(s) {
            if !setups.contains(&c) {
                setups.push(c);
            }
        }
    }
    setups
        .iter()
        .map(|s| setup_cmd(writer, s))
        .chain(forms.iter().map(|s| format!("{writer} {s}")))
        .collect()
}

/// `-L`, `-L -n -v`, `-L -n -v -x --line-numbers` (and `-S`, save) of a
/// ruleset holding all forms, written by iptables-nft, printed by each tool.
fn check_listing(fam: Fam) {
    let t = fam.tool();
    let mut cmds = load_all(fam, fam.reference());
    let first = cmds.len();
    for table in ["filter", "nat", "mangle", "raw", "security"] {
        for opts in [
            "-L",
            "-L -n",
            "-L -n -v",
            "-L -n -v -x --line-numbers",
            "-L -v -x",
            "-L INPUT -n --line-numbers",
            "-L OUTPUT",
            "-S",
            "-S INPUT",
            "-S INPUT 1",
            "-v -S",
        ] {
            if table == "raw" && opts.contains("INPUT") {
                continue;
            }
            cmds.push(format!("{t} -t {table} {opts}"));
        }
    }
    cmds.push(format!("{t} -L USER1 -n -v --line-numbers"));
    cmds.push(format!("{t} -nvL USER1"));
    cmds.push(fam.save().to_string());
    cmds.push(format!("{} -c", fam.save()));
    let refs: Vec<&str> = cmds.iter().map(String::as_str).collect();
    let (r, o) = run_both(&refs, false);
    for s in &r.steps {
        assert_eq!(
            s.status, 0,
            "reference failed `{}`: {} (test bug)",
            s.cmd, s.stderr
        );
    }
    let mut f = Failures::new();
    for i in first..cmds.len() {
        compare_step(&mut f, "listing", &r.steps[i], &o.steps[i]);
    }
    f.finish(&format!("{t} listings of all forms"));
}

#[test]
fn listing_all_forms_v4() {
    check_listing(Fam::V4)
}

#[test]
fn listing_all_forms_v6() {
    check_listing(Fam::V6)
}

/// Runs the load commands (the reference's and ours, each in a fresh
/// namespace), then the same `tail` commands after each; checks that every
/// load succeeded and hands each pair of tail steps to `compare`.
fn loaded_then(
    ref_cmds: &[String],
    our_cmds: &[String],
    tail: &[String],
    title: &str,
    compare: impl Fn(&mut Failures, &Step, &Step),
) {
    let rc: Vec<&str> = ref_cmds.iter().chain(tail).map(String::as_str).collect();
    let oc: Vec<&str> = our_cmds.iter().chain(tail).map(String::as_str).collect();
    let r = run_seq(Impl::Reference, &rc, false);
    let o = run_seq(Impl::Ours, &oc, false);
    let mut f = Failures::new();
    for (i, (rs, os)) in r.steps.iter().zip(&o.steps).enumerate() {
        assert_eq!(rs.status, 0, "reference failed `{}`: {}", rs.cmd, rs.stderr);
        if i < ref_cmds.len() {
            f.check(os.status == 0, || {
                format!("`{}` failed ({}): {}", os.cmd, os.status, os.stderr)
            });
        } else {
            compare(&mut f, rs, os);
        }
    }
    f.finish(title);
}

/// All forms written by rxtables give the same `nft list ruleset` text as when
/// written by iptables-nft (same expressions, as far as nft shows them), and
/// the reference's save/-S of the whole set is the same.
/// Forms Debian 12's nft (1.0.6) cannot print: it crashes (SIGSEGV)
/// translating an IPv6 hashlimit with `--hashlimit-rate-match`, whoever
/// wrote it (1.8.13 too). The tests that run `nft list ruleset` leave them
/// out; the others cover them.
fn nft_crashes(fam: Fam) -> Vec<&'static str> {
    match fam {
        Fam::V4 => Vec::new(),
        Fam::V6 => all_forms(fam)
            .into_iter()
            .filter(|f| f.contains("--hashlimit-rate-match"))
            .collect(),
    }
}

fn check_nft_representation(fam: Fam) {
    let mut tail = vec![
        "nft list ruleset".to_string(),
        format!("{} -c", fam.ref_save()),
    ];
    for table in ["filter", "nat", "mangle", "raw", "security"] {
        tail.push(format!("{} -t {table} -S -v", fam.reference()));
    }
    let nft_crashes = nft_crashes(fam);
    loaded_then(
        &load_forms(fam, fam.reference(), &nft_crashes),
        &load_forms(fam, fam.tool(), &nft_crashes),
        &tail,
        &format!("nft representation of all {} forms", fam.tool()),
        |f, rs, os| compare_step(f, "all forms", rs, os),
    );
}

#[test]
fn nft_representation_all_forms_v4() {
    check_nft_representation(Fam::V4)
}

#[test]
fn nft_representation_all_forms_v6() {
    check_nft_representation(Fam::V6)
}

/// The expressions themselves (`nft --debug=netlink list ruleset`) of all
/// forms: rxtables in `layout` (the machine setting `RXTABLES_LAYOUT`)
/// writes byte for byte what release `rel` writes, except `skip`.
fn check_wire(fam: Fam, rel: &str, layout: &str, skip: &[&str]) {
    let mut skip = skip.to_vec();
    skip.extend(nft_crashes(fam));
    let skip = &skip[..];
    loaded_then(
        &load_forms(fam, &fam.release(rel), skip),
        &load_forms(
            fam,
            &format!("env RXTABLES_LAYOUT={layout} {}", fam.tool()),
            skip,
        ),
        &["nft --debug=netlink list ruleset".to_string()],
        &format!(
            "expressions of all {} forms, layout {layout} vs {rel}",
            fam.tool()
        ),
        |f, rs, os| f.check_eq("nft --debug=netlink list ruleset", &rs.stdout, &os.stdout),
    );
}

/// 1.8.9 writes `! --sport A ! --dport B` as one compare of both ports with
/// `!=`, which matches when either differs: rxtables writes two compares in
/// both layouts (what 1.8.10+ write), so this form differs on purpose.
/// Also, 1.8.9 reads a conntrack mask with holes as all ones (its bug, see
/// `RELEASE_BUGS`).
const WRONG_IN_1_8_9: &[&str] = &[
    "-A INPUT -p tcp ! --sport 1000 ! --dport 2000 -j DROP",
    "-A INPUT -m conntrack --ctreplsrc 10.0.0.1/255.0.0.255 --ctrepldst 0.0.0.0/0",
];

#[test]
fn wire_current_layout_is_1_8_13s_v4() {
    check_wire(Fam::V4, "1.8.13", "1.8.10", &[])
}

#[test]
fn wire_current_layout_is_1_8_13s_v6() {
    check_wire(Fam::V6, "1.8.13", "1.8.10", &[])
}

#[test]
fn wire_current_layout_is_1_8_11s_v4() {
    check_wire(Fam::V4, "1.8.11", "1.8.10", &[])
}

#[test]
fn wire_1_8_9_layout_is_1_8_9s_v4() {
    check_wire(Fam::V4, "1.8.9", "1.8.9", WRONG_IN_1_8_9)
}

#[test]
fn wire_1_8_9_layout_is_1_8_9s_v6() {
    check_wire(Fam::V6, "1.8.9", "1.8.9", WRONG_IN_1_8_9)
}

/// Rules written in the 1.8.9 layout are printed by 1.8.9 exactly as the
/// rules it writes itself, and rxtables reads them back (-S, -C, -D).
#[test]
fn layout_1_8_9_round_trip_with_1_8_9() {
    let out = ns_bash(
        "set -e
         export RXTABLES_LAYOUT=1.8.9
         iptables -t nat -A POSTROUTING -s 172.17.0.0/16 ! -o docker0 -j MASQUERADE
         iptables -A INPUT -i + -p tcp ! --sport 5 ! --dport 6 -j DROP
         iptables-save-1.8.9 | grep -- '^-A'
         iptables -t nat -C POSTROUTING -s 172.17.0.0/16 ! -o docker0 -j MASQUERADE
         iptables-1.8.9 -C INPUT -i + -p tcp ! --sport 5 ! --dport 6 -j DROP
         nft --debug=netlink list chain ip nat POSTROUTING | grep -m1 -o 'meta load oifname'
         iptables -t nat -D POSTROUTING -s 172.17.0.0/16 ! -o docker0 -j MASQUERADE
         iptables-save-1.8.9 -t nat | grep -c -- '^-A' || true",
    );
    assert_eq!(out.status, 0, "{}\n{}", out.stdout, out.stderr);
    assert_eq!(
        out.stdout,
        "-A INPUT -p tcp -m tcp ! --sport 5 ! --dport 6 -j DROP\n\
         -A POSTROUTING -s 172.17.0.0/16 ! -o docker0 -j MASQUERADE\n\
         meta load oifname\n0\n"
    );
}

/// A broken setting stops a writer before it writes anything.
#[test]
fn bad_layout_setting_changes_nothing() {
    let out = ns_bash(
        "RXTABLES_LAYOUT=1.7 iptables -A INPUT -j ACCEPT; echo rc=$?
         printf 'layout = old\\n' > \"$RXBIN/conf\"
         RXTABLES_CONF=\"$RXBIN/conf\" iptables -A INPUT -j ACCEPT; echo rc=$?
         rm -f \"$RXBIN/conf\"
         iptables-nft-save | grep -c -- '^-A' || true",
    );
    assert_eq!(out.stdout, "rc=2\nrc=2\n0\n", "stderr: {}", out.stderr);
    assert!(
        out.stderr.contains("RXTABLES_LAYOUT: unknown layout `1.7'"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("conf line 1: unknown layout `old'"),
        "{}",
        out.stderr
    );
}

/// A rule written by plain `nft` that iptables cannot express, in a table made
/// by iptables-nft: rxtables must not drop it from its output, must show the
/// ruleset the way the reference does, must keep it on `-D` by number of
/// another rule, and must never delete or change it.
#[test]
fn native_nft_rule_is_kept_and_shown_like_reference() {
    let cmds = [
        "iptables-nft -A INPUT -s 1.1.1.1 -j ACCEPT",
        "iptables-nft -A INPUT -s 3.3.3.3 -j DROP",
        "nft add rule ip filter INPUT ct state established accept",
        "iptables-nft -A INPUT -s 2.2.2.2 -j DROP",
        "iptables-nft -A OUTPUT -s 4.4.4.4 -j DROP",
        "iptables-nft -t nat -A POSTROUTING -j ACCEPT",
        // 6.. read
        "iptables -S",
        "iptables -S INPUT",
        "iptables -S OUTPUT",
        "iptables -L -n",
        "iptables -L OUTPUT -n -v",
        "iptables-save",
        "iptables -C INPUT -s 2.2.2.2 -j DROP",
        "iptables -t nat -S",
        // 14.. write: delete rule 2 (-s 3.3.3.3) by number, add one
        "iptables -D INPUT 2",
        "iptables -A INPUT -s 5.5.5.5 -j ACCEPT",
        "nft list chain ip filter INPUT",
        "iptables -D OUTPUT -s 4.4.4.4 -j DROP",
        "nft list ruleset",
    ];
    let (r, o) = run_both(&cmds, false);
    // The reference's own behaviour, as this test expects it (test sanity).
    for s in &r.steps[..6] {
        assert_eq!(s.status, 0, "setup `{}` failed: {}", s.cmd, s.stderr);
    }
    assert!(
        r.steps[11]
            .stdout
            .contains("# Table `filter' is incompatible, use 'nft' tool."),
        "reference save output changed (test bug?):\n{}",
        r.steps[11].stdout
    );
    assert_eq!(
        r.steps[14].status, 0,
        "reference -D by number failed (test bug)"
    );

    let mut f = Failures::new();
    for i in 6..cmds.len() {
        let (rs, os) = (&r.steps[i], &o.steps[i]);
        // `-C` of a decodable rule: iptables-nft 1.8.9 gives up on the whole
        // chain (status 3, "Parsing nftables rule failed"); finding the rule
        // (status 0, no output) is also right.
        if rs.cmd.contains(" -C ") && os.status == 0 && os.stdout.is_empty() && os.stderr.is_empty()
        {
            continue;
        }
        // Save: 1.8.13 prints only "# Table `filter' is incompatible" (and
        // exit 0), so a save/restore cycle loses the whole table. rxtables
        // prints every rule it can express, names the one it cannot on
        // stderr, and exits 1.
        if rs.cmd == "iptables-save" {
            let rules = rule_lines(&os.stdout);
            f.check(
                os.status == 1
                    && rules
                        == [
                            "-A INPUT -s 1.1.1.1/32 -j ACCEPT",
                            "-A INPUT -s 3.3.3.3/32 -j DROP",
                            "-A INPUT -s 2.2.2.2/32 -j DROP",
                            "-A OUTPUT -s 4.4.4.4/32 -j DROP",
                            "-A POSTROUTING -j ACCEPT",
                        ]
                    && os.stderr.starts_with(
                        "iptables-save: table `filter', chain `INPUT', rule 3 (handle ",
                    )
                    && os.stderr.contains("[ immediate reg 0 accept ]")
                    && os.stderr.lines().count() == 1,
                || format!("iptables-save with a native nft rule: {os:?}"),
            );
            continue;
        }
        compare_step(&mut f, "native nft rule", rs, os);
    }
    // Whatever else happens, the nft rule is still there at the end.
    let end = &o.steps[cmds.len() - 1].stdout;
    f.check(end.contains("ct state established accept"), || {
        format!("the native nft rule is gone after rxtables' commands:\n{end}")
    });
    f.finish("native nft rule");
}

/// A mixed sequence of commands (-I with positions, -R, -D by number and by
/// spec, -P, -E, -Z, -F, -X, across tables and families): same status, output
/// and ruleset (save after every step) as the reference.
#[test]
fn command_sequence_matches_reference() {
    let cmds = [
        "iptables -A INPUT -s 1.1.1.1 -j ACCEPT",
        "iptables -I INPUT -s 2.2.2.2 -j DROP",
        "iptables -I INPUT 2 -s 3.3.3.3 -j ACCEPT",
        "iptables -I INPUT 4 -s 4.4.4.4 -j ACCEPT",
        "iptables -A INPUT -p tcp --dport 80 -j ACCEPT",
        "iptables -R INPUT 1 -s 5.5.5.5 -j DROP",
        "iptables -S INPUT 3",
        "iptables -D INPUT 2",
        "iptables -D INPUT -p tcp --dport 80 -j ACCEPT",
        "iptables -N WEB",
        "iptables -A WEB -p tcp --dport 443 -j ACCEPT",
        "iptables -I INPUT -j WEB",
        "iptables -E WEB HTTPS",
        "iptables -S",
        "iptables -P FORWARD DROP",
        "iptables -P OUTPUT ACCEPT",
        "iptables -L FORWARD",
        "iptables -Z",
        "iptables -Z INPUT 1",
        "iptables -F HTTPS",
        "iptables -D INPUT -j HTTPS",
        "iptables -X HTTPS",
        "iptables -t nat -N DNATS",
        "iptables -t nat -A PREROUTING -j DNATS",
        "iptables -t nat -F PREROUTING",
        "iptables -t nat -X",
        "iptables -t mangle -P PREROUTING DROP",
        "iptables -t mangle -P PREROUTING ACCEPT",
        "ip6tables -A INPUT -s 2001:db8::/32 -j ACCEPT",
        "ip6tables -I INPUT -p ipv6-icmp -j ACCEPT",
        "ip6tables -N V6",
        "ip6tables -A FORWARD -j V6",
        "ip6tables -D INPUT 1",
        "ip6tables -P INPUT DROP",
        "ip6tables -S",
        "iptables -F",
        "iptables -X",
        "iptables -S",
        "iptables -C INPUT -s 5.5.5.5 -j DROP",
        "iptables -A INPUT -s 6.6.6.6",
        "iptables -C INPUT -s 6.6.6.6",
        "iptables -Z INPUT",
        "iptables --list-rules INPUT",
        "iptables --delete INPUT 1",
        "iptables --new-chain LONG",
        "iptables --insert LONG --source 7.7.7.7 --jump RETURN",
        "iptables --rename-chain LONG SHORT",
        "iptables --flush SHORT",
        "iptables --delete-chain SHORT",
        "iptables --policy FORWARD ACCEPT",
        "iptables --list --numeric --verbose --exact --line-numbers",
    ];
    let (r, o) = run_both(&cmds, true);
    let mut f = Failures::new();
    for (i, (rs, os)) in r.steps.iter().zip(&o.steps).enumerate() {
        let label = format!("step {}", i + 1);
        compare_step(&mut f, &label, rs, os);
        f.check_eq(
            &format!("{label} `{}`: iptables-nft-save afterwards", os.cmd),
            rs.save4.as_deref().unwrap(),
            os.save4.as_deref().unwrap(),
        );
        f.check_eq(
            &format!("{label} `{}`: ip6tables-nft-save afterwards", os.cmd),
            rs.save6.as_deref().unwrap(),
            os.save6.as_deref().unwrap(),
        );
    }
    f.finish("command sequence");
}

/// `-c`/`--set-counters` with ip6tables set the rule's counters, as they do
/// with iptables (checked against iptables-nft there). ip6tables-nft 1.8.9
/// ignores them on IPv6 (a bug of that release: even `ip6tables-nft-restore
/// -c` loses them), so this test does not compare with it; the counters are
/// read back with the reference's `ip6tables-nft-save -c` and `-S -v`.
#[test]
fn v6_set_counters_are_kept() {
    let out = ns_bash(
        "ip6tables -A INPUT -c 1 2 -j RETURN && \
         ip6tables -A INPUT -s 2001:db8::5 --set-counters 3 4 -j ACCEPT && \
         iptables -A INPUT -c 5 6 -j ACCEPT && \
         ip6tables-nft-save -c | grep -- '-A ' && ip6tables-nft -S INPUT -v && iptables-nft-save -c | grep -- '-A '",
    );
    assert_eq!(out.status, 0, "{}\n{}", out.stdout, out.stderr);
    assert_eq!(
        out.stdout,
        "[1:2] -A INPUT -j RETURN\n\
         [3:4] -A INPUT -s 2001:db8::5/128 -j ACCEPT\n\
         -P INPUT ACCEPT -c 0 0\n\
         -A INPUT -c 1 2 -j RETURN\n\
         -A INPUT -s 2001:db8::5/128 -c 3 4 -j ACCEPT\n\
         [5:6] -A INPUT -j ACCEPT\n"
    );
}
