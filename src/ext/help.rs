//! Each extension's part of `iptables -m NAME -h` / `-j NAME -h`: the text
//! iptables 1.8.13 prints after its general help, captured into
//! `help/NAME.txt` (or `NAME.v4.txt` and `NAME.v6.txt` where the two
//! programs print different texts). `tests/cli.rs` compares every
//! registered extension's help with 1.8.13's, so an extension registered
//! without its text here fails there.

use crate::model::Family;

macro_rules! texts {
    (both: $($name:literal),* $(,)? ; by_family: $($fname:literal),* $(,)?) => {
        /// The help text of extension `name` for `family` ("" if none).
        pub fn text(name: &str, family: Family) -> &'static str {
            match (name, family) {
                $(($name, _) => include_str!(concat!("help/", $name, ".txt")),)*
                $(
                    ($fname, Family::V4) => include_str!(concat!("help/", $fname, ".v4.txt")),
                    ($fname, Family::V6) => include_str!(concat!("help/", $fname, ".v6.txt")),
                )*
                _ => "",
            }
        }
    };
}

texts! {
    both:
        "tcp", "udp", "icmp", "icmp6", "comment", "mark", "addrtype", "conntrack", "state",
        "multiport", "limit", "statistic", "iprange",
        "DNAT", "SNAT", "MASQUERADE", "REDIRECT", "NETMAP", "MARK", "LOG",
        "tos", "dscp", "ttl", "hl", "length", "tcpmss", "pkttype", "TOS", "DSCP", "TTL", "HL",
        "connmark", "helper", "connlimit", "recent", "CONNMARK", "CT", "NOTRACK", "TRACE",
        "owner", "hashlimit", "socket", "physdev", "rpfilter", "nfacct", "mac",
        "set", "policy", "NFLOG", "NFQUEUE", "SET", "TPROXY",
        "CHECKSUM", "CLASSIFY",
        // ipv6 and ipsec headers
        "esp", "ipcomp", "frag", "hbh", "dst", "rt", "mh", "ipv6header", "eui64", "srh",

        // protocols and content
        "sctp", "dccp", "string", "quota", "time", "u32", "bpf",

        // accounting and classification
        "connbytes", "connlabel", "rateest", "RATEEST", "cgroup", "cpu", "cluster", "ecn", "ECN", "osf", "realm",
        "devgroup", "ipvs",

        // more targets
        "TCPOPTSTRIP", "HMARK", "TEE", "SYNPROXY", "AUDIT", "IDLETIMER", "CONNSECMARK",
        "SNPT", "DNPT", "SECMARK", "LED",

    ;
    by_family:
        "REJECT", "TCPMSS",
        // ipv6 and ipsec headers
        "ah",

        // protocols and content

        // accounting and classification

        // more targets


}
