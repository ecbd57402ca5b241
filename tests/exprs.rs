//! Byte-level proof of the encoding, captured live from the reference:
//! for every row, iptables 1.8.13 adds the rule in a private network
//! namespace (this test thread's own, made with `unshare(CLONE_NEWNET)`),
//! the rule is read back raw (expressions with every xt info blob byte,
//! the user data), and rxtables' encoder must
//! produce exactly that from the same command line, and decode it back to
//! the rule it parsed. Rows are command lines; the expected values are
//! whatever 1.8.13 writes, so a row costs one line.

mod common;

use nix::sched::{unshare, CloneFlags};
use rxtables::cli;
use rxtables::cli::Action;
use rxtables::ir::Expr;
use rxtables::model::Family;
use rxtables::nft::decode::decode_rule;
use rxtables::nft::encode::encode_rule;
use rxtables::nft::session::nfproto;
use rxtables::nft::sys::Nft;

/// Rows: (family, the `iptables` arguments after the program name). A row
/// that names USER gets `-N USER` in its table first.
const ROWS: &[(Family, &str)] = &[
    // base matches in both layouts' order questions
    (
        Family::V4,
        "-A FORWARD -i eth0 -o eth1+ -s 10.0.0.0/8 -d 1.2.3.4 -p tcp -j ACCEPT",
    ),
    (
        Family::V4,
        "-A INPUT ! -s 10.1.0.0/255.255.0.255 ! -p udp -f -j DROP",
    ),
    (Family::V4, "-A FORWARD -i + ! -o + -j RETURN"),
    (
        Family::V6,
        "-A FORWARD -s 2001:db8::/33 ! -d ::1 -i eth0 -p ipv6-icmp -j DROP",
    ),
    // tcp / udp / icmp
    (Family::V4, "-A INPUT -p tcp ! --sport 5 ! --dport 6"),
    (
        Family::V4,
        "-A INPUT -p tcp --sport 1:1023 --dport 22 --tcp-flags SYN,ACK SYN",
    ),
    (Family::V4, "-A INPUT -p tcp --tcp-option 8 --syn"),
    (Family::V4, "-A INPUT -p udp ! --dport :1023 -j DROP"),
    (Family::V4, "-A INPUT ! -p udp --dport 7 -j DROP"),
    (Family::V6, "-A INPUT ! -p tcp --sport 1:2 --syn"),
    (Family::V6, "-A INPUT -p udp --sport 53 --dport 1024:"),
    (Family::V4, "-A INPUT -p icmp --icmp-type 3/4"),
    (
        Family::V6,
        "-A INPUT -p ipv6-icmp ! --icmpv6-type echo-request",
    ),
    // comment, mark, MARK
    (
        Family::V4,
        "-A INPUT -m comment --comment \"two words\" -j ACCEPT",
    ),
    (
        Family::V6,
        "-A INPUT -m mark --mark 0x1/0xff -m comment --comment x",
    ),
    (Family::V4, "-A INPUT -m mark ! --mark 5 -j DROP"),
    (Family::V4, "-t mangle -A PREROUTING -j MARK --set-mark 7"),
    (Family::V6, "-t mangle -A OUTPUT -j MARK --and-mark 0x4000"),
    (
        Family::V4,
        "-t mangle -A POSTROUTING -j MARK --set-xmark 0x1/0xff",
    ),
    // REJECT, addrtype
    (Family::V4, "-A INPUT -j REJECT"),
    (
        Family::V4,
        "-A INPUT -p tcp -j REJECT --reject-with tcp-reset",
    ),
    (
        Family::V6,
        "-A FORWARD -j REJECT --reject-with adm-prohibited",
    ),
    (
        Family::V4,
        "-t nat -A PREROUTING -m addrtype --dst-type LOCAL -j USER",
    ),
    (
        Family::V6,
        "-A INPUT -m addrtype ! --src-type LOCAL,UNICAST --limit-iface-in",
    ),
    // conntrack, state
    (Family::V4, "-A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT"),
    (Family::V4, "-A FORWARD -m conntrack ! --ctstate NEW --ctproto tcp --ctorigsrc 10.0.0.0/8 --ctorigdstport 80:90 --ctstatus ASSURED --ctexpire 3:5 --ctdir REPLY"),
    (Family::V6, "-A INPUT -m conntrack --ctreplsrc 2001:db8::1/ffff:: ! --ctrepldst ::1"),
    (Family::V4, "-A INPUT -m state --state NEW,RELATED"),
    (Family::V4, "-A INPUT -m conntrack ! --ctorigdst 1.2.3.4"),
    (Family::V4, "-A INPUT -m conntrack --ctreplsrc 10.0.0.1/255.0.0.255 --ctrepldst 0.0.0.0/0"),
    (Family::V6, "-A INPUT -m state ! --state INVALID"),
    // multiport
    (Family::V4, "-A INPUT -p tcp -m multiport --dports 80,443,8000:8080 -j ACCEPT"),
    (Family::V6, "-A INPUT -p udp -m multiport ! --sports 53,1000:2000"),
    // limit (native)
    (Family::V4, "-A INPUT -m limit --limit 90/min --limit-burst 9 -j ACCEPT"),
    (Family::V6, "-A INPUT -p tcp -m limit"),
    // LOG
    (Family::V4, "-A INPUT -j LOG --log-prefix \"x y\" --log-level info --log-uid"),
    (Family::V6, "-A FORWARD -j LOG"),
    // statistic
    (Family::V4, "-t nat -A PREROUTING -m statistic --mode random --probability 0.33333333349 -j USER"),
    (Family::V6, "-A INPUT -m statistic --mode nth ! --every 5 --packet 2"),
    // iprange
    (Family::V4, "-A INPUT -m iprange --src-range 1.1.1.1-1.1.1.10 ! --dst-range 2.2.2.2-2.2.2.3"),
    (Family::V6, "-A INPUT -m iprange ! --src-range 2001:db8::1-2001:db8::10 -j DROP"),
    // NAT targets
    (
        Family::V4,
        "-t nat -A PREROUTING -p tcp --dport 80 -j DNAT --to-destination 10.0.0.1:8080",
    ),
    (
        Family::V6,
        "-t nat -A PREROUTING -p udp -j DNAT --to-destination [2001:db8::1]:53",
    ),
    (
        Family::V4,
        "-t nat -A POSTROUTING -s 172.17.0.0/16 ! -o docker0 -j MASQUERADE",
    ),
    (
        Family::V4,
        "-t nat -A POSTROUTING -j SNAT --to-source 1.2.3.4-1.2.3.10 --random",
    ),
    (
        Family::V6,
        "-t nat -A OUTPUT -p tcp -j REDIRECT --to-ports 3128",
    ),
    (
        Family::V4,
        "-t nat -A PREROUTING -j NETMAP --to 10.9.0.0/16",
    ),
    // verdicts and counters
    (Family::V4, "-A INPUT -c 10 20 -j USER"),
    (Family::V6, "-A OUTPUT -g USER"),
    // header matches and targets: tos dscp ttl hl length pkttype tcpmss TOS DSCP TTL HL TCPMSS CHECKSUM CLASSIFY
    (Family::V4, "-A INPUT -j ACCEPT"),
    (Family::V4, "-A INPUT -m tos ! --tos Minimize-Delay"),
    (Family::V6, "-A INPUT -m tos --tos 0x0f/0x0f -j DROP"),
    (Family::V4, "-t mangle -A PREROUTING -j TOS --and-tos 0x12"),
    (Family::V6, "-t mangle -A OUTPUT -j TOS --set-tos 0x05/0x07"),
    (Family::V4, "-A INPUT -m dscp ! --dscp-class AF41"),
    (Family::V6, "-A INPUT -m dscp --dscp 0x3f"),
    (Family::V4, "-t mangle -A POSTROUTING -j DSCP --set-dscp-class EF"),
    (Family::V6, "-t mangle -A PREROUTING -j DSCP --set-dscp 10"),
    (Family::V4, "-A INPUT -m ttl ! --ttl 5"),
    (Family::V4, "-A INPUT -m ttl --ttl-gt 64 -j DROP"),
    (Family::V6, "-A INPUT -m hl --hl-lt 2"),
    (Family::V4, "-t mangle -A PREROUTING -j TTL --ttl-inc 1"),
    (Family::V6, "-t mangle -A POSTROUTING -j HL --hl-set 64"),
    (Family::V4, "-A INPUT -m length ! --length 4:"),
    (Family::V6, "-A INPUT -m length --length 1280"),
    (Family::V4, "-A FORWARD -p tcp -m tcpmss --mss 1400:1536 -j DROP"),
    (Family::V6, "-A FORWARD -p tcp -m tcpmss ! --mss :500"),
    (Family::V4, "-A INPUT -m pkttype --pkt-type BCAST -j DROP"),
    (Family::V6, "-A INPUT -m pkttype ! --pkt-type multicast"),
    (
        Family::V4,
        "-t mangle -A FORWARD -p tcp --tcp-flags SYN,RST SYN -j TCPMSS --clamp-mss-to-pmtu",
    ),
    (Family::V6, "-t mangle -A POSTROUTING -p tcp -j TCPMSS --set-mss 1220"),
    (Family::V4, "-t mangle -A POSTROUTING -j CHECKSUM --checksum-fill"),
    (Family::V6, "-t mangle -A POSTROUTING -j CHECKSUM --checksum-fill"),
    (Family::V4, "-t mangle -A POSTROUTING -j CLASSIFY --set-class 1:-1"),
    (Family::V6, "-t mangle -A FORWARD -j CLASSIFY --set-class abcd:10"),
    // connection tracking: connmark CONNMARK helper connlimit CT NOTRACK TRACE recent
    (Family::V6, "-A INPUT -j ACCEPT"),
    (Family::V4, "-t mangle -A PREROUTING -m connmark ! --mark 0x5/0xf0 -j ACCEPT"),
    (Family::V6, "-A INPUT -m connmark --mark 0xffffffff"),
    (Family::V4, "-t mangle -A PREROUTING -j CONNMARK --restore-mark --nfmask 0xff00 --ctmask 0xff00 --right-shift-mark 8"),
    (Family::V6, "-t mangle -A POSTROUTING -j CONNMARK --set-xmark 0x5/0xff"),
    (Family::V4, "-t mangle -A OUTPUT -j CONNMARK --save-mark --nfmask 0xfffffff --ctmask 0xffffffff"),
    (Family::V4, "-t mangle -A OUTPUT -j CONNMARK --set-mark 1/2 --nfmask 7"),
    (Family::V6, "-t mangle -A OUTPUT -j CONNMARK --right-shift-mark 0 --save-mark"),
    (Family::V4, "-t mangle -A OUTPUT -j CONNMARK --mask 0xff --or-mark 0x10"),
    (Family::V4, "-t raw -A PREROUTING -j CT --notrack --helper ftp --ctevents new,mark --expevents new --zone-orig mark"),
    (Family::V6, "-t raw -A OUTPUT -j CT --zone 65535 --ctevents natseqinfo,secmark"),
    (Family::V4, "-t raw -A OUTPUT -j NOTRACK"),
    (Family::V4, "-t raw -A OUTPUT -j CT --zone mark --zone-reply 5 --notrack"),
    (Family::V6, "-t raw -A PREROUTING -p udp -j NOTRACK"),
    (Family::V4, "-t raw -A PREROUTING -p tcp --dport 80 -j TRACE"),
    (Family::V6, "-A FORWARD -j TRACE"),
    (Family::V4, "-A INPUT -m helper ! --helper ftp -j ACCEPT"),
    (Family::V6, "-A FORWARD -m helper --helper \"a b\""),
    (Family::V4, "-A INPUT -p tcp --syn --dport 22 -m connlimit --connlimit-above 3 -j REJECT"),
    (Family::V4, "-A INPUT -m connlimit ! --connlimit-above 10 --connlimit-mask 24 --connlimit-daddr"),
    // (not `--connlimit-mask 255.0.255.0`: 1.8.13 leaves bytes 4..16 of a
    // non-prefix IPv4 mask uninitialised, stack garbage; rxtables zeros them)
    (Family::V6, "-A INPUT -m connlimit --connlimit-upto 4294967295 --connlimit-mask 64 --connlimit-saddr"),
    (Family::V6, "-A INPUT -m connlimit --connlimit-above 2 --connlimit-mask ::ffff"),
    (Family::V4, "-A INPUT -p tcp --dport 22 -m recent --set --name ab"),
    (Family::V4, "-A INPUT -m recent ! --update --seconds 60 --reap --hitcount 4 --rttl --name SSH --mask 255.255.0.0 --rdest -j DROP"),
    (Family::V6, "-A INPUT -m recent --rcheck --name KNOCK1 --mask ffff:ffff:: --rsource"),
    (Family::V6, "-A INPUT -m recent --remove"),
    // rates and sockets: hashlimit owner socket mac physdev rpfilter nfacct
    (Family::V4, "-A OUTPUT -j RETURN"),
    (Family::V4, "-t mangle -A OUTPUT -m owner --uid-owner 0-10 ! --gid-owner 5 --suppl-groups"),
    (Family::V6, "-A OUTPUT -m owner ! --socket-exists --uid-owner root -j DROP"),
    (Family::V4, "-A INPUT -m mac --mac-source 42:01:02:03:04:05 -j ACCEPT"),
    (Family::V6, "-A FORWARD -m mac ! --mac-source AA:bb:0c:3:4:ff"),
    (Family::V4, "-A INPUT -m hashlimit --hashlimit-upto 4kb/s --hashlimit-burst 400kb --hashlimit-name mini5"),
    (Family::V4, "-A INPUT -p tcp -m hashlimit ! --hashlimit-upto 40/min --hashlimit-burst 20 --hashlimit-mode srcip,dstport --hashlimit-name syn --hashlimit-srcmask 24 --hashlimit-htable-size 100 --hashlimit-htable-max 7 --hashlimit-htable-gcinterval 60000 --hashlimit-htable-expire 2000 -j DROP"),
    (Family::V4, "-A INPUT -m hashlimit --hashlimit-upto 7/hour --hashlimit-name rate --hashlimit-rate-match"),
    (Family::V6, "-A INPUT -m hashlimit --hashlimit-above 10mb/s --hashlimit-mode dstip --hashlimit-name r6 --hashlimit-dstmask 64 --hashlimit-rate-match --hashlimit-rate-interval 10"),
    (Family::V4, "-t mangle -A PREROUTING -p tcp -m socket --transparent --restore-skmark -j ACCEPT"),
    (Family::V6, "-A INPUT -m socket"),
    (Family::V4, "-A FORWARD -m physdev ! --physdev-in eth+ ! --physdev-is-in --physdev-is-bridged -j ACCEPT"),
    (Family::V6, "-t mangle -A POSTROUTING -m physdev --physdev-out br0 ! --physdev-is-out"),
    (Family::V4, "-t raw -A PREROUTING -m rpfilter --invert --loose -j DROP"),
    (Family::V6, "-t mangle -A PREROUTING -m rpfilter --validmark --accept-local"),
    // queues, sets, policy: NFLOG NFQUEUE set SET policy TPROXY
    (Family::V4, "-A INPUT -j NFLOG"),
    (Family::V4, "-A INPUT -j NFLOG --nflog-prefix \"a b\" --nflog-group 3 --nflog-size 0 --nflog-threshold 2"),
    (Family::V6, "-A OUTPUT -j NFLOG --nflog-group 65535 --nflog-size 4294967295"),
    (Family::V4, "-A INPUT -j NFQUEUE"),
    (Family::V4, "-A FORWARD -j NFQUEUE --queue-balance 0:6 --queue-bypass --queue-cpu-fanout"),
    (Family::V6, "-A INPUT -j NFQUEUE --queue-num 65535 --queue-bypass"),
    (Family::V4, "-A INPUT -m set --match-set foo src,dst"),
    (Family::V4, "-A INPUT -m set ! --match-set foo dst --return-nomatch ! --update-counters ! --update-subcounters ! --packets-eq 5 --bytes-gt 10 -j DROP"),
    (Family::V6, "-A FORWARD -m set --match-set six src,dst,src --packets-lt 3 --bytes-lt 18446744073709551615"),
    (Family::V4, "-A INPUT -j SET --add-set foo src --exist --timeout 10 --del-set bar dst"),
    (Family::V4, "-t mangle -A FORWARD -j SET --map-set foo src,dst --map-mark --map-prio --map-queue"),
    (Family::V6, "-A OUTPUT -j SET --del-set six dst,dst"),
    (Family::V4, "-A INPUT -m policy --dir in --pol ipsec"),
    (Family::V4, "-t mangle -A PREROUTING -p tcp -m tcp --dport 2342 -j TPROXY --on-port 12345 --on-ip 10.0.0.1 --tproxy-mark 0x23/0xff"),
    (Family::V4, "-t mangle -A PREROUTING -p udp -j TPROXY --on-port 0 --tproxy-mark 5"),
    (Family::V6, "-t mangle -A PREROUTING -p udp -j TPROXY --on-port 12345 --on-ip 2001:db8::1 --tproxy-mark 0x23/0xff"),
    (Family::V4, "-A FORWARD -m policy --dir in --pol ipsec --strict --reqid 1 --spi 0x1 --proto esp --mode tunnel --tunnel-dst 10.0.0.0/8 ! --tunnel-src 10.1.2.3/255.0.255.0 --next ! --reqid 2 -j ACCEPT"),
    (Family::V4, "-A INPUT -m policy --dir in --pol none --reqid 7"),
    (Family::V4, "-A INPUT -m policy --dir in --pol ipsec --mode tunnel --tunnel-dst 1.2.3.4 --tunnel-src 1.2.3.4/0"),
    (Family::V6, "-A OUTPUT -m policy --dir out --pol ipsec ! --proto ipcomp ! --mode transport"),
    (Family::V6, "-A FORWARD -m policy --dir in --pol ipsec --strict --mode tunnel --tunnel-dst 2001:db8::1 ! --tunnel-src ::1/ffff::ff --next --spi 9"),
    (Family::V6, "-A OUTPUT -j RETURN"),
    // defaults written out (what save prints for them)
    (Family::V4, "-A INPUT -m connlimit --connlimit-above 10 --connlimit-mask 32 --connlimit-saddr"),
    (Family::V6, "-A INPUT -m connlimit --connlimit-upto 3 --connlimit-mask 128 --connlimit-daddr"),
    (Family::V4, "-A INPUT -m recent --set --name DEFAULT --mask 255.255.255.255 --rsource"),
    (Family::V6, "-A INPUT -m recent --update --rttl --name DEFAULT --mask ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff --rsource"),
    // ipv6 and ipsec headers: ah esp ipcomp frag hbh dst rt mh srh ipv6header eui64
    (Family::V4, "-A INPUT -p esp -m esp --espspi 5:6"),
    (Family::V4, "-A INPUT -p esp -m esp ! --espspi 0:4294967295"),
    (Family::V6, "-A INPUT -p esp -m esp ! --espspi 7"),
    (Family::V4, "-A INPUT -p ah -m ah ! --ahspi 0"),
    (Family::V4, "-A INPUT -p ah -m ah"),
    (Family::V6, "-A INPUT -m ah --ahspi 1 ! --ahlen 3 --ahres"),
    (Family::V6, "-A INPUT -m ah"),
    (Family::V4, "-A INPUT -p ipcomp -m ipcomp"),
    (Family::V4, "-A INPUT -p ipcomp -m ipcomp ! --ipcompspi 18 --compres -j DROP"),
    (Family::V6, "-A INPUT -p ipcomp -m ipcomp --ipcompspi 3:4"),
    (Family::V6, "-A INPUT -m frag ! --fragid 1 ! --fraglen 42 --fragres --fragfirst"),
    (Family::V6, "-A INPUT -m frag --fragid : --fraglast"),
    (Family::V6, "-A INPUT -m hbh --hbh-len 42 --hbh-opts 1:2,23:42,4:6,8:10,42,23,4:5"),
    (Family::V6, "-A INPUT -m dst ! --dst-len 42 --dst-opts 149:92,12:12"),
    (Family::V6, "-A INPUT -m rt --rt-type 0 ! --rt-segsleft 1:23 ! --rt-len 42 --rt-0-res --rt-0-addrs ::1,2001:db8::1 --rt-0-not-strict"),
    (Family::V6, "-A INPUT -m rt"),
    (Family::V6, "-A INPUT -p mh -m mh --mh-type bu:be"),
    (Family::V6, "-A INPUT -p mobility-header -m mh ! --mh-type 4"),
    (Family::V6, "-A INPUT -m srh --srh-next-hdr 17 ! --srh-segs-left-eq 0 --srh-tag 0 ! --srh-psid a::/64 --srh-nsid b::/128 --srh-lsid c::/0"),
    (Family::V6, "-A INPUT -m srh"),
    (Family::V6, "-A INPUT -m srh --srh-psid a::1/ffff::ff ! --srh-lsid ::/0x10"),
    (Family::V6, "-A INPUT -m ipv6header ! --header hop,dst,route,frag,auth,esp,none,prot --soft"),
    (Family::V6, "-A FORWARD -m eui64"),
    (Family::V4, "-A INPUT -j DROP"),
    // protocols and content: sctp dccp string u32 bpf time quota
    (Family::V4, "-A INPUT -p sctp -m sctp ! --sport 1:2 ! --dport 3"),
    (Family::V4, "-A INPUT -p sctp -m sctp --chunk-types all DATA:I,ABORT:T,SHUTDOWN_COMPLETE:T,I_DATA:E,DATA:e"),
    (Family::V6, "-A INPUT -p sctp -m sctp --dport 0:65535 ! --chunk-types only ALL"),
    (Family::V4, "-A INPUT -p dccp -m dccp ! --sport 1:2 --dport 3 ! --dccp-types REQUEST,INVALID --dccp-option 9"),
    (Family::V6, "-A OUTPUT -p dccp -m dccp --sport 0:65535 ! --dccp-option 255"),
    (Family::V4, "-A INPUT -m string --string \"a b'c\\d\" --algo kmp --from 1 --to 10 --icase"),
    (Family::V6, "-A INPUT -m string ! --hex-string \"|6162635c00|\" --algo bm"),
    (Family::V4, "-A INPUT -m quota ! --quota 18446744073709551615"),
    (Family::V6, "-A OUTPUT -m quota --quota 0"),
    (Family::V4, "-A INPUT -m time --timestart 01:02:03 --timestop 04:05:06 --monthdays 1,2,31 --weekdays Mon,Fri,Sun --datestart 2001-02-03T04:05:06 --datestop 2012-09-08T09:06:05 --kerneltz"),
    (Family::V6, "-A INPUT -m time --timestart 23:00 --timestop 01:00 --contiguous ! --weekdays 8 --monthdays 1,,2"),
    (Family::V4, "-A INPUT -m u32 ! --u32 \"6&0xFF=1,2:3&&4>>5@12<<1&7=0:0x10\""),
    (Family::V6, "-A INPUT -m u32 --u32 \"0&1&2&3&4&5&6&7&8&9=1,2,3,4,5,6,7,8,9,10\""),
    (Family::V6, "-A INPUT -m bpf --bytecode \"4,48 0 0 9,21 0 1 6,6 0 0 1,6 0 0 0\" -j ACCEPT"),
    (Family::V4, "-A OUTPUT -m bpf --bytecode \"3,21 0 1 70000,6 0 0 4294967295,6 0 0 0\""),
    (Family::V6, "-A INPUT -j DROP"),
    // accounting and classification: connbytes connlabel rateest RATEEST cgroup cpu cluster osf realm ecn ECN
    (Family::V4, "-t mangle -A INPUT -m cgroup ! --cgroup 0x10"),
    (Family::V4, "-A OUTPUT -m cgroup ! --path \"/\""),
    (Family::V6, "-A OUTPUT -m cgroup --path \"/\" -j ACCEPT"),
    (Family::V4, "-A INPUT -m cpu ! --cpu 4294967295"),
    (Family::V6, "-A FORWARD -m cpu --cpu 3"),
    (Family::V4, "-t mangle -A PREROUTING -m cluster --cluster-total-nodes 32 ! --cluster-local-node 32 --cluster-hash-seed 0xfeedcafe"),
    (Family::V6, "-t mangle -A PREROUTING -m cluster --cluster-total-nodes 4 --cluster-local-nodemask 5 --cluster-hash-seed 1"),
    (Family::V4, "-A INPUT -p tcp -m ecn ! --ecn-tcp-ece --ecn-tcp-cwr ! --ecn-ip-ect 2"),
    (Family::V6, "-A INPUT -m ecn --ecn-ip-ect 3"),
    (Family::V4, "-t mangle -A PREROUTING -p tcp -j ECN --ecn-tcp-remove"),
    (Family::V4, "-t mangle -A PREROUTING -p tcp -j ECN --ecn-tcp-cwr 1 --ecn-tcp-ece 0 --ecn-ip-ect 3"),
    (Family::V4, "-A INPUT -p tcp -m osf ! --genre \"Windows XP\" --ttl 2 --log 1"),
    (Family::V4, "-A INPUT -m realm ! --realm 0x1/0x2a"),
    (Family::V4, "-A INPUT -m realm --realm cosmos"),
    (Family::V4, "-A INPUT -m connlabel --label 40"),
    (Family::V6, "-A FORWARD -m connlabel ! --label 127 --set"),
    (Family::V4, "-A INPUT -j RATEEST --rateest-name RE1 --rateest-interval 250.0ms --rateest-ewmalog 500.0ms"),
    (Family::V6, "-A OUTPUT -j RATEEST --rateest-name RE1234567890123456 --rateest-interval 8s --rateest-ewmalog 100s"),
    (Family::V4, "-A INPUT -m rateest --rateest RE1 --rateest-lt --rateest-bps 8bit"),
    (Family::V4, "-A INPUT -m rateest --rateest-delta --rateest1 RE1 --rateest-bps1 1mbit --rateest-pps1 3 --rateest-gt --rateest-bps2 2mbit --rateest-pps2 4 --rateest2 RE2"),
    (Family::V6, "-A INPUT -m rateest --rateest1 RE1 ! --rateest-eq --rateest-pps --rateest2 RE2"),
    (Family::V4, "-A INPUT -m connbytes --connbytes 0:1000 --connbytes-mode packets --connbytes-dir original"),
    (Family::V4, "-A INPUT -m connbytes ! --connbytes 1000 --connbytes-mode avgpkt --connbytes-dir both"),
    (Family::V6, "-A FORWARD -m connbytes ! --connbytes 10:18446744073709551614 --connbytes-mode bytes --connbytes-dir reply"),
    (Family::V4, "-A FORWARD -m devgroup ! --src-group 0x10/0xff --dst-group default"),
    (Family::V6, "-A INPUT -m devgroup --src-group 4294967295"),
    (Family::V4, "-A OUTPUT -j ACCEPT"),
    // more targets: TEE SNPT DNPT HMARK IDLETIMER AUDIT CONNSECMARK SECMARK SYNPROXY TCPOPTSTRIP LED
    (Family::V4, "-t mangle -A OUTPUT -p tcp -j TCPOPTSTRIP"),
    (Family::V4, "-t mangle -A OUTPUT -p tcp -j TCPOPTSTRIP --strip-options wscale,mss,sack-permitted,sack,timestamp,md5"),
    (Family::V6, "-t mangle -A POSTROUTING -p tcp -j TCPOPTSTRIP --strip-options 2,31,32,33,64,128,255"),
    (Family::V4, "-A OUTPUT -j HMARK --hmark-src-prefix 1 --hmark-dst-prefix 255.255.0.0 --hmark-sport-mask 0x0003 --hmark-dport-mask 0x0004 --hmark-proto-mask 0x05 --hmark-rnd 0x00000004 --hmark-mod 42 --hmark-offset 1 --hmark-tuple ct"),
    (Family::V4, "-t mangle -A PREROUTING -j HMARK --hmark-tuple src,dst,sport,dport,proto --hmark-rnd 0xfeedcafe --hmark-mod 10 --hmark-offset 100"),
    (Family::V4, "-A FORWARD -j HMARK --hmark-tuple spi,ct --hmark-sport 1 --hmark-dport 0x1234 --hmark-rnd 1 --hmark-mod 4294967295"),
    (Family::V6, "-A OUTPUT -j HMARK --hmark-src-prefix ffff::ff --hmark-dst-prefix 64 --hmark-spi-mask 0x01020304 --hmark-spi 7 --hmark-rnd 1 --hmark-mod 2"),
    (Family::V6, "-A INPUT -j HMARK --hmark-tuple SRC,d --hmark-rnd 1 --hmark-mod 2"),
    (Family::V4, "-t mangle -A PREROUTING -j TEE --gateway 1.2.3"),
    (Family::V4, "-A OUTPUT -j TEE --gateway 127.0.0.1 --oif abcdefghijklmnopqrstuvwxyz"),
    (Family::V6, "-t mangle -A POSTROUTING -j TEE --gateway 2001:db8::1 --oif eth0"),
    (Family::V4, "-A INPUT -p tcp -m tcp --dport 42 -m conntrack --ctstate INVALID,UNTRACKED -j SYNPROXY --sack-perm --timestamp --wscale 9 --mss 1460"),
    (Family::V4, "-A FORWARD -p tcp -j SYNPROXY --ecn --wscale 256 --mss 65535"),
    (Family::V6, "-A INPUT -p tcp -j SYNPROXY"),
    (Family::V4, "-A INPUT -j AUDIT --type ACCEPT"),
    (Family::V4, "-A FORWARD -j AUDIT --type drop"),
    (Family::V6, "-A OUTPUT -j AUDIT --type reject"),
    // (IDLETIMER labels are global to the kernel, whatever the namespace:
    // each test's own, one timer type per label)
    (Family::V4, "-A INPUT -j IDLETIMER --timeout 42 --label rxt-exprs-a"),
    (Family::V4, "-A FORWARD -j IDLETIMER --timeout 1 --label rxt-exprs-alarm-0123456789abcdef --alarm"),
    (Family::V6, "-A OUTPUT -j IDLETIMER --timeout 7 --label \"rxt exprs 6\""),
    (Family::V4, "-t mangle -A PREROUTING -j CONNSECMARK --restore"),
    (Family::V6, "-t security -A OUTPUT -j CONNSECMARK --save"),
    (Family::V6, "-t mangle -A POSTROUTING -j SNPT --src-pfx dead::/64 --dst-pfx 1c3::/64"),
    (Family::V6, "-t mangle -A INPUT -j SNPT --src-pfx 2001:db8:1::/48 --dst-pfx 2001:db8:2::/ffff:ffff:ffff::"),
    (Family::V6, "-t mangle -A PREROUTING -j DNPT --src-pfx 1c3::/64 --dst-pfx dead::/64"),
    (Family::V6, "-t mangle -A OUTPUT -j DNPT --src-pfx ::/0 --dst-pfx ::/0"),
    (Family::V6, "-A OUTPUT -j ACCEPT"),
];

fn tool(family: Family) -> &'static str {
    match family {
        Family::V4 => "/opt/iptables-sid/bin/iptables",
        Family::V6 => "/opt/iptables-sid/bin/ip6tables",
    }
}

fn words(s: &str) -> Vec<String> {
    // the rows need only double quotes around one argument
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    for c in s.chars() {
        match c {
            '"' => quoted = !quoted,
            ' ' if !quoted => {
                if !cur.is_empty() {
                    out.push(std::mem::take(&mut cur));
                }
            }
            c => cur.push(c),
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

fn zero_counters(e: &[Expr]) -> Vec<Expr> {
    e.iter()
        .map(|x| match x {
            Expr::Counter { .. } => Expr::Counter {
                packets: 0,
                bytes: 0,
            },
            x => x.clone(),
        })
        .collect()
}

/// Runs one row in this thread's fresh network namespace; an error text
/// on a mismatch.
fn check_row(family: Family, row: &str) -> Result<(), String> {
    let args = words(row);
    // the ipsets a row names (set, SET) exist before it is parsed (the
    // parser looks them up); names starting with `six` are IPv6 sets
    for p in args.windows(2) {
        if matches!(
            p[0].as_str(),
            "--match-set" | "--add-set" | "--del-set" | "--map-set"
        ) {
            let fam: &[&str] = if p[1].starts_with("six") {
                &["family", "inet6"]
            } else {
                &[]
            };
            let st = std::process::Command::new("ipset")
                .args(["-exist", "create", &p[1], "hash:ip", "skbinfo"])
                .args(fam)
                .status()
                .map_err(|e| e.to_string())?;
            assert!(st.success(), "ipset create {} failed (test bug)", p[1]);
        }
    }
    // the estimators a rateest row names exist first (in INPUT, before it)
    for p in args.windows(2) {
        if matches!(p[0].as_str(), "--rateest" | "--rateest1" | "--rateest2") {
            let st = std::process::Command::new(tool(family))
                .args(["-A", "INPUT", "-j", "RATEEST", "--rateest-name", &p[1]])
                .args(["--rateest-interval", "250ms", "--rateest-ewmalog", "500ms"])
                .status()
                .map_err(|e| e.to_string())?;
            assert!(st.success(), "RATEEST {} failed (test bug)", p[1]);
        }
    }
    let cmd = cli::parse(family, &args).map_err(|e| format!("rxtables cannot parse: {e}"))?;
    let Action::Append { chain, rules } = &cmd.action else {
        return Err("not an -A row (test bug)".into());
    };
    let table = cmd.table;
    if row.contains("USER") {
        let st = std::process::Command::new(tool(family))
            .args(["-t", table.name(), "-N", "USER"])
            .status()
            .map_err(|e| e.to_string())?;
        assert!(st.success(), "-N USER failed (test bug)");
    }
    let out = std::process::Command::new(tool(family))
        .args(&args)
        .output()
        .map_err(|e| e.to_string())?;
    assert!(
        out.status.success(),
        "1.8.13 refused `{row}`: {} (test bug)",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut nft = Nft::open().map_err(|e| format!("{e:?}"))?;
    let got = nft
        .rules(nfproto(family), table.name(), Some(chain))
        .map_err(|e| format!("{e:?}"))?;
    let theirs = got.last().ok_or("1.8.13 wrote no rule")?;
    let rule = &rules[0];
    // (The compat attributes are not compared: the kernel dump rxtables
    // reads them from does not carry them back.)
    let (ours, _) = encode_rule(rule, family);
    if zero_counters(&ours) != zero_counters(&theirs.exprs) {
        return Err(format!(
            "expressions differ\n  1.8.13:   {:?}\n  rxtables: {ours:?}",
            theirs.exprs
        ));
    }
    if theirs.udata.is_some() {
        return Err(format!("1.8.13 wrote user data {:?}", theirs.udata));
    }
    let back = decode_rule(&theirs.exprs, family).map_err(|e| format!("decode: {e}"))?;
    if !back.same_spec(rule) || back.counters != rule.counters {
        return Err(format!("decodes to {back:?}, parsed {rule:?}"));
    }
    Ok(())
}

#[test]
fn every_row_is_encoded_byte_for_byte_as_1_8_13_encodes_it() {
    assert!(
        std::path::Path::new(tool(Family::V4)).exists(),
        "iptables 1.8.13 is missing: run ../shared/oracle/install"
    );
    let host = std::fs::read_link("/proc/thread-self/ns/net").expect("readlink");
    let mut failures = Vec::new();
    for (family, row) in ROWS {
        let res = std::thread::scope(|s| {
            s.spawn(|| {
                unshare(CloneFlags::CLONE_NEWNET).map_err(|e| format!("unshare: {e}"))?;
                let mine =
                    std::fs::read_link("/proc/thread-self/ns/net").map_err(|e| e.to_string())?;
                assert_ne!(mine, host, "not in a private network namespace");
                check_row(*family, row)
            })
            .join()
            .unwrap_or_else(|_| Err("the row's thread panicked".into()))
        });
        if let Err(e) = res {
            failures.push(format!("{family:?} `{row}`: {e}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
