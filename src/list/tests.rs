//! Listing texts against iptables' own, chain by chain.

use super::*;
use crate::ext::icmp::{Icmp, TypeCode};
use crate::ext::icmp6::Icmp6;
use crate::ext::tcp::Tcp;
use crate::ext::udp::Udp;
use crate::ext::Match;
use crate::model::Table;
use crate::rule::{Counters, Policy, RuleEntry};

// The expected texts below are iptables-nft / ip6tables-nft 1.8.9
// output, captured in a private network namespace after the commands
// listed with each sample.

/// reference output: `v4 -L`
const V4_L: &str = r#"Chain INPUT (policy ACCEPT)
target     prot opt source               destination         
ACCEPT     all  --  1.2.3.4              anywhere            
DROP       all  -- !10.0.0.0/8           1.2.0.4/255.255.0.255 

Chain FORWARD (policy DROP)
target     prot opt source               destination         
RETURN     all  --  anywhere            !192.168.1.0/24      
USER1      all  --  anywhere             anywhere            
ACCEPT     tcp  --  anywhere             anywhere             tcp dpt:ssh
ACCEPT     tcp  --  anywhere             anywhere             tcp spts:!tcpmux:1024 dpts:http:http-alt flags:SYN,ACK/SYN
USER2      tcp  --  anywhere             anywhere             tcp flags:FIN,SYN,RST,ACK/SYN
           tcp  --  anywhere             anywhere             tcp flags:!FIN,SYN,RST,PSH,ACK,URG/NONE
USER2      tcp  --  anywhere             anywhere            [goto]  tcp option=5
ACCEPT     udp  --  anywhere             anywhere             udp spt:domain
ACCEPT     udp  --  anywhere             anywhere             udp dpts:!domain:60
ACCEPT     icmp --  anywhere             anywhere             icmp echo-request
ACCEPT     icmp --  anywhere             anywhere             icmp !host-unreachable
ACCEPT     icmp --  anywhere             anywhere            
DROP       all  -f  anywhere             anywhere            
DROP       udp  !f  anywhere             anywhere            
DROP      !tcp  --  anywhere             anywhere            
DROP       gre  --  anywhere             anywhere            
DROP       200  --  anywhere             anywhere            
DROP       esp  --  anywhere             anywhere            

Chain OUTPUT (policy ACCEPT)
target     prot opt source               destination         
ACCEPT     all  --  anywhere             anywhere            
ACCEPT     all  --  anywhere             anywhere            
           all  --  anywhere             anywhere            
           all  --  anywhere             anywhere            
           all  --  anywhere             anywhere            
USER1      all  --  anywhere             anywhere            

Chain AAA (2 references)
target     prot opt source               destination         

Chain USER1 (2 references)
target     prot opt source               destination         
AAA        all  --  anywhere             anywhere            
AAA        all  --  anywhere             anywhere            [goto] 

Chain USER2 (2 references)
target     prot opt source               destination         
RETURN     all  --  1.2.3.0/24           4.5.6.7             

Chain ZZZ (0 references)
target     prot opt source               destination         
"#;

/// reference output: `v4 -L -n`
const V4_L_N: &str = r#"Chain INPUT (policy ACCEPT)
target     prot opt source               destination         
ACCEPT     all  --  1.2.3.4              0.0.0.0/0           
DROP       all  -- !10.0.0.0/8           1.2.0.4/255.255.0.255 

Chain FORWARD (policy DROP)
target     prot opt source               destination         
RETURN     all  --  0.0.0.0/0           !192.168.1.0/24      
USER1      all  --  0.0.0.0/0            0.0.0.0/0           
ACCEPT     tcp  --  0.0.0.0/0            0.0.0.0/0            tcp dpt:22
ACCEPT     tcp  --  0.0.0.0/0            0.0.0.0/0            tcp spts:!1:1024 dpts:80:8080 flags:0x12/0x02
USER2      tcp  --  0.0.0.0/0            0.0.0.0/0            tcp flags:0x17/0x02
           tcp  --  0.0.0.0/0            0.0.0.0/0            tcp flags:!0x3F/0x00
USER2      tcp  --  0.0.0.0/0            0.0.0.0/0           [goto]  tcp option=5
ACCEPT     udp  --  0.0.0.0/0            0.0.0.0/0            udp spt:53
ACCEPT     udp  --  0.0.0.0/0            0.0.0.0/0            udp dpts:!53:60
ACCEPT     icmp --  0.0.0.0/0            0.0.0.0/0            icmptype 8
ACCEPT     icmp --  0.0.0.0/0            0.0.0.0/0            icmp !type 3 code 1
ACCEPT     icmp --  0.0.0.0/0            0.0.0.0/0           
DROP       all  -f  0.0.0.0/0            0.0.0.0/0           
DROP       udp  !f  0.0.0.0/0            0.0.0.0/0           
DROP      !tcp  --  0.0.0.0/0            0.0.0.0/0           
DROP       47   --  0.0.0.0/0            0.0.0.0/0           
DROP       200  --  0.0.0.0/0            0.0.0.0/0           
DROP       esp  --  0.0.0.0/0            0.0.0.0/0           

Chain OUTPUT (policy ACCEPT)
target     prot opt source               destination         
ACCEPT     all  --  0.0.0.0/0            0.0.0.0/0           
ACCEPT     all  --  0.0.0.0/0            0.0.0.0/0           
           all  --  0.0.0.0/0            0.0.0.0/0           
           all  --  0.0.0.0/0            0.0.0.0/0           
           all  --  0.0.0.0/0            0.0.0.0/0           
USER1      all  --  0.0.0.0/0            0.0.0.0/0           

Chain AAA (2 references)
target     prot opt source               destination         

Chain USER1 (2 references)
target     prot opt source               destination         
AAA        all  --  0.0.0.0/0            0.0.0.0/0           
AAA        all  --  0.0.0.0/0            0.0.0.0/0           [goto] 

Chain USER2 (2 references)
target     prot opt source               destination         
RETURN     all  --  1.2.3.0/24           4.5.6.7             

Chain ZZZ (0 references)
target     prot opt source               destination         
"#;

/// reference output: `v4 -L -v`
const V4_L_V: &str = r#"Chain INPUT (policy ACCEPT 0 packets, 0 bytes)
 pkts bytes target     prot opt in     out     source               destination         
    0     0 ACCEPT     all  --  any    any     1.2.3.4              anywhere            
    0     0 DROP       all  --  any    any    !10.0.0.0/8           1.2.0.4/255.255.0.255 

Chain FORWARD (policy DROP 0 packets, 0 bytes)
 pkts bytes target     prot opt in     out     source               destination         
    0     0 RETURN     all  --  eth0   eth+    anywhere            !192.168.1.0/24      
    0     0 USER1      all  --  !lo    !veth+  anywhere             anywhere            
    0     0 ACCEPT     tcp  --  any    any     anywhere             anywhere             tcp dpt:ssh
    0     0 ACCEPT     tcp  --  any    any     anywhere             anywhere             tcp spts:!tcpmux:1024 dpts:http:http-alt flags:SYN,ACK/SYN
    0     0 USER2      tcp  --  any    any     anywhere             anywhere             tcp flags:FIN,SYN,RST,ACK/SYN
    0     0            tcp  --  any    any     anywhere             anywhere             tcp flags:!FIN,SYN,RST,PSH,ACK,URG/NONE
    0     0 USER2      tcp  --  any    any     anywhere             anywhere            [goto]  tcp option=5
    0     0 ACCEPT     udp  --  any    any     anywhere             anywhere             udp spt:domain
    0     0 ACCEPT     udp  --  any    any     anywhere             anywhere             udp dpts:!domain:60
    0     0 ACCEPT     icmp --  any    any     anywhere             anywhere             icmp echo-request
    0     0 ACCEPT     icmp --  any    any     anywhere             anywhere             icmp !host-unreachable
    0     0 ACCEPT     icmp --  any    any     anywhere             anywhere            
    0     0 DROP       all  -f  any    any     anywhere             anywhere            
    0     0 DROP       udp  !f  any    any     anywhere             anywhere            
    0     0 DROP      !tcp  --  any    any     anywhere             anywhere            
    0     0 DROP       gre  --  any    any     anywhere             anywhere            
    0     0 DROP       200  --  any    any     anywhere             anywhere            
    0     0 DROP       esp  --  any    any     anywhere             anywhere            

Chain OUTPUT (policy ACCEPT 0 packets, 0 bytes)
 pkts bytes target     prot opt in     out     source               destination         
  100   20M ACCEPT     all  --  any    any     anywhere             anywhere            
 123G   99T ACCEPT     all  --  any    any     anywhere             anywhere            
99999 99999            all  --  any    any     anywhere             anywhere            
 100K  100K            all  --  any    any     anywhere             anywhere            
  10M   10G            all  --  any    any     anywhere             anywhere            
    0     0 USER1      all  --  any    any     anywhere             anywhere            

Chain AAA (2 references)
 pkts bytes target     prot opt in     out     source               destination         

Chain USER1 (2 references)
 pkts bytes target     prot opt in     out     source               destination         
    0     0 AAA        all  --  any    any     anywhere             anywhere            
    0     0 AAA        all  --  any    any     anywhere             anywhere            [goto] 

Chain USER2 (2 references)
 pkts bytes target     prot opt in     out     source               destination         
    0     0 RETURN     all  --  any    any     1.2.3.0/24           4.5.6.7             

Chain ZZZ (0 references)
 pkts bytes target     prot opt in     out     source               destination         
"#;

/// reference output: `v4 -L -v -n -x --line-numbers`
const V4_L_VNX_LINES: &str = r#"Chain INPUT (policy ACCEPT 0 packets, 0 bytes)
num      pkts      bytes target     prot opt in     out     source               destination         
1           0        0 ACCEPT     all  --  *      *       1.2.3.4              0.0.0.0/0           
2           0        0 DROP       all  --  *      *      !10.0.0.0/8           1.2.0.4/255.255.0.255 

Chain FORWARD (policy DROP 0 packets, 0 bytes)
num      pkts      bytes target     prot opt in     out     source               destination         
1           0        0 RETURN     all  --  eth0   eth+    0.0.0.0/0           !192.168.1.0/24      
2           0        0 USER1      all  --  !lo    !veth+  0.0.0.0/0            0.0.0.0/0           
3           0        0 ACCEPT     tcp  --  *      *       0.0.0.0/0            0.0.0.0/0            tcp dpt:22
4           0        0 ACCEPT     tcp  --  *      *       0.0.0.0/0            0.0.0.0/0            tcp spts:!1:1024 dpts:80:8080 flags:0x12/0x02
5           0        0 USER2      tcp  --  *      *       0.0.0.0/0            0.0.0.0/0            tcp flags:0x17/0x02
6           0        0            tcp  --  *      *       0.0.0.0/0            0.0.0.0/0            tcp flags:!0x3F/0x00
7           0        0 USER2      tcp  --  *      *       0.0.0.0/0            0.0.0.0/0           [goto]  tcp option=5
8           0        0 ACCEPT     udp  --  *      *       0.0.0.0/0            0.0.0.0/0            udp spt:53
9           0        0 ACCEPT     udp  --  *      *       0.0.0.0/0            0.0.0.0/0            udp dpts:!53:60
10          0        0 ACCEPT     icmp --  *      *       0.0.0.0/0            0.0.0.0/0            icmptype 8
11          0        0 ACCEPT     icmp --  *      *       0.0.0.0/0            0.0.0.0/0            icmp !type 3 code 1
12          0        0 ACCEPT     icmp --  *      *       0.0.0.0/0            0.0.0.0/0           
13          0        0 DROP       all  -f  *      *       0.0.0.0/0            0.0.0.0/0           
14          0        0 DROP       udp  !f  *      *       0.0.0.0/0            0.0.0.0/0           
15          0        0 DROP      !tcp  --  *      *       0.0.0.0/0            0.0.0.0/0           
16          0        0 DROP       47   --  *      *       0.0.0.0/0            0.0.0.0/0           
17          0        0 DROP       200  --  *      *       0.0.0.0/0            0.0.0.0/0           
18          0        0 DROP       esp  --  *      *       0.0.0.0/0            0.0.0.0/0           

Chain OUTPUT (policy ACCEPT 0 packets, 0 bytes)
num      pkts      bytes target     prot opt in     out     source               destination         
1         100 20000000 ACCEPT     all  --  *      *       0.0.0.0/0            0.0.0.0/0           
2    123456789012 98765432109876 ACCEPT     all  --  *      *       0.0.0.0/0            0.0.0.0/0           
3       99999    99999            all  --  *      *       0.0.0.0/0            0.0.0.0/0           
4      100000   100000            all  --  *      *       0.0.0.0/0            0.0.0.0/0           
5     9999999 9999999999            all  --  *      *       0.0.0.0/0            0.0.0.0/0           
6           0        0 USER1      all  --  *      *       0.0.0.0/0            0.0.0.0/0           

Chain AAA (2 references)
num      pkts      bytes target     prot opt in     out     source               destination         

Chain USER1 (2 references)
num      pkts      bytes target     prot opt in     out     source               destination         
1           0        0 AAA        all  --  *      *       0.0.0.0/0            0.0.0.0/0           
2           0        0 AAA        all  --  *      *       0.0.0.0/0            0.0.0.0/0           [goto] 

Chain USER2 (2 references)
num      pkts      bytes target     prot opt in     out     source               destination         
1           0        0 RETURN     all  --  *      *       1.2.3.0/24           4.5.6.7             

Chain ZZZ (0 references)
num      pkts      bytes target     prot opt in     out     source               destination         
"#;

/// reference output: `v4 -L -v -x`
const V4_L_VX: &str = r#"Chain INPUT (policy ACCEPT 0 packets, 0 bytes)
    pkts      bytes target     prot opt in     out     source               destination         
       0        0 ACCEPT     all  --  any    any     1.2.3.4              anywhere            
       0        0 DROP       all  --  any    any    !10.0.0.0/8           1.2.0.4/255.255.0.255 

Chain FORWARD (policy DROP 0 packets, 0 bytes)
    pkts      bytes target     prot opt in     out     source               destination         
       0        0 RETURN     all  --  eth0   eth+    anywhere            !192.168.1.0/24      
       0        0 USER1      all  --  !lo    !veth+  anywhere             anywhere            
       0        0 ACCEPT     tcp  --  any    any     anywhere             anywhere             tcp dpt:ssh
       0        0 ACCEPT     tcp  --  any    any     anywhere             anywhere             tcp spts:!tcpmux:1024 dpts:http:http-alt flags:SYN,ACK/SYN
       0        0 USER2      tcp  --  any    any     anywhere             anywhere             tcp flags:FIN,SYN,RST,ACK/SYN
       0        0            tcp  --  any    any     anywhere             anywhere             tcp flags:!FIN,SYN,RST,PSH,ACK,URG/NONE
       0        0 USER2      tcp  --  any    any     anywhere             anywhere            [goto]  tcp option=5
       0        0 ACCEPT     udp  --  any    any     anywhere             anywhere             udp spt:domain
       0        0 ACCEPT     udp  --  any    any     anywhere             anywhere             udp dpts:!domain:60
       0        0 ACCEPT     icmp --  any    any     anywhere             anywhere             icmp echo-request
       0        0 ACCEPT     icmp --  any    any     anywhere             anywhere             icmp !host-unreachable
       0        0 ACCEPT     icmp --  any    any     anywhere             anywhere            
       0        0 DROP       all  -f  any    any     anywhere             anywhere            
       0        0 DROP       udp  !f  any    any     anywhere             anywhere            
       0        0 DROP      !tcp  --  any    any     anywhere             anywhere            
       0        0 DROP       gre  --  any    any     anywhere             anywhere            
       0        0 DROP       200  --  any    any     anywhere             anywhere            
       0        0 DROP       esp  --  any    any     anywhere             anywhere            

Chain OUTPUT (policy ACCEPT 0 packets, 0 bytes)
    pkts      bytes target     prot opt in     out     source               destination         
     100 20000000 ACCEPT     all  --  any    any     anywhere             anywhere            
123456789012 98765432109876 ACCEPT     all  --  any    any     anywhere             anywhere            
   99999    99999            all  --  any    any     anywhere             anywhere            
  100000   100000            all  --  any    any     anywhere             anywhere            
 9999999 9999999999            all  --  any    any     anywhere             anywhere            
       0        0 USER1      all  --  any    any     anywhere             anywhere            

Chain AAA (2 references)
    pkts      bytes target     prot opt in     out     source               destination         

Chain USER1 (2 references)
    pkts      bytes target     prot opt in     out     source               destination         
       0        0 AAA        all  --  any    any     anywhere             anywhere            
       0        0 AAA        all  --  any    any     anywhere             anywhere            [goto] 

Chain USER2 (2 references)
    pkts      bytes target     prot opt in     out     source               destination         
       0        0 RETURN     all  --  any    any     1.2.3.0/24           4.5.6.7             

Chain ZZZ (0 references)
    pkts      bytes target     prot opt in     out     source               destination         
"#;

/// reference output: `v4 -S`
const V4_S: &str = r#"-P INPUT ACCEPT
-P FORWARD DROP
-P OUTPUT ACCEPT
-N AAA
-N USER1
-N USER2
-N ZZZ
-A INPUT -s 1.2.3.4/32 -j ACCEPT
-A INPUT ! -s 10.0.0.0/8 -d 1.2.0.4/255.255.0.255 -j DROP
-A FORWARD ! -d 192.168.1.0/24 -i eth0 -o eth+ -j RETURN
-A FORWARD ! -i lo ! -o veth+ -j USER1
-A FORWARD -p tcp -m tcp --dport 22 -j ACCEPT
-A FORWARD -p tcp -m tcp ! --sport 1:1024 --dport 80:8080 --tcp-flags SYN,ACK SYN -j ACCEPT
-A FORWARD -p tcp -m tcp --tcp-flags FIN,SYN,RST,ACK SYN -j USER2
-A FORWARD -p tcp -m tcp ! --tcp-flags FIN,SYN,RST,PSH,ACK,URG NONE
-A FORWARD -p tcp -m tcp --tcp-option 5 -g USER2
-A FORWARD -p udp -m udp --sport 53 -j ACCEPT
-A FORWARD -p udp -m udp ! --dport 53:60 -j ACCEPT
-A FORWARD -p icmp -m icmp --icmp-type 8 -j ACCEPT
-A FORWARD -p icmp -m icmp ! --icmp-type 3/1 -j ACCEPT
-A FORWARD -p icmp -j ACCEPT
-A FORWARD -f -j DROP
-A FORWARD -p udp ! -f -j DROP
-A FORWARD ! -p tcp -j DROP
-A FORWARD -p 47 -j DROP
-A FORWARD -p 200 -j DROP
-A FORWARD -p esp -j DROP
-A OUTPUT -j ACCEPT
-A OUTPUT -j ACCEPT
-A OUTPUT
-A OUTPUT
-A OUTPUT
-A OUTPUT -j USER1
-A USER1 -j AAA
-A USER1 -g AAA
-A USER2 -s 1.2.3.0/24 -d 4.5.6.7/32 -j RETURN
"#;

/// reference output: `v4 -S -v`
const V4_S_V: &str = r#"-P INPUT ACCEPT -c 0 0
-P FORWARD DROP -c 0 0
-P OUTPUT ACCEPT -c 0 0
-N AAA
-N USER1
-N USER2
-N ZZZ
-A INPUT -s 1.2.3.4/32 -c 0 0 -j ACCEPT
-A INPUT ! -s 10.0.0.0/8 -d 1.2.0.4/255.255.0.255 -c 0 0 -j DROP
-A FORWARD ! -d 192.168.1.0/24 -i eth0 -o eth+ -c 0 0 -j RETURN
-A FORWARD ! -i lo ! -o veth+ -c 0 0 -j USER1
-A FORWARD -p tcp -m tcp --dport 22 -c 0 0 -j ACCEPT
-A FORWARD -p tcp -m tcp ! --sport 1:1024 --dport 80:8080 --tcp-flags SYN,ACK SYN -c 0 0 -j ACCEPT
-A FORWARD -p tcp -m tcp --tcp-flags FIN,SYN,RST,ACK SYN -c 0 0 -j USER2
-A FORWARD -p tcp -m tcp ! --tcp-flags FIN,SYN,RST,PSH,ACK,URG NONE -c 0 0
-A FORWARD -p tcp -m tcp --tcp-option 5 -c 0 0 -g USER2
-A FORWARD -p udp -m udp --sport 53 -c 0 0 -j ACCEPT
-A FORWARD -p udp -m udp ! --dport 53:60 -c 0 0 -j ACCEPT
-A FORWARD -p icmp -m icmp --icmp-type 8 -c 0 0 -j ACCEPT
-A FORWARD -p icmp -m icmp ! --icmp-type 3/1 -c 0 0 -j ACCEPT
-A FORWARD -p icmp -c 0 0 -j ACCEPT
-A FORWARD -f -c 0 0 -j DROP
-A FORWARD -p udp ! -f -c 0 0 -j DROP
-A FORWARD ! -p tcp -c 0 0 -j DROP
-A FORWARD -p 47 -c 0 0 -j DROP
-A FORWARD -p 200 -c 0 0 -j DROP
-A FORWARD -p esp -c 0 0 -j DROP
-A OUTPUT -c 100 20000000 -j ACCEPT
-A OUTPUT -c 123456789012 98765432109876 -j ACCEPT
-A OUTPUT -c 99999 99999
-A OUTPUT -c 100000 100000
-A OUTPUT -c 9999999 9999999999
-A OUTPUT -c 0 0 -j USER1
-A USER1 -c 0 0 -j AAA
-A USER1 -c 0 0 -g AAA
-A USER2 -s 1.2.3.0/24 -d 4.5.6.7/32 -c 0 0 -j RETURN
"#;

/// reference output: `v4 -L FORWARD 7 -v --line-numbers`
const V4_L_FORWARD_7: &str = r#"7        0     0 USER2      tcp  --  any    any     anywhere             anywhere            [goto]  tcp option=5
"#;

/// reference output: `v4 -L OUTPUT -v`
const V4_L_OUTPUT_V: &str = r#"Chain OUTPUT (policy ACCEPT 0 packets, 0 bytes)
 pkts bytes target     prot opt in     out     source               destination         
  100   20M ACCEPT     all  --  any    any     anywhere             anywhere            
 123G   99T ACCEPT     all  --  any    any     anywhere             anywhere            
99999 99999            all  --  any    any     anywhere             anywhere            
 100K  100K            all  --  any    any     anywhere             anywhere            
  10M   10G            all  --  any    any     anywhere             anywhere            
    0     0 USER1      all  --  any    any     anywhere             anywhere            
"#;

/// reference output: `v6 -L`
const V6_L: &str = r#"Chain INPUT (policy DROP)
target     prot opt source               destination         
ACCEPT     all  --  2001:db8::1          anywhere            
DROP       all  -- !2001:db8::/32        fe80::/ffff:0:ffff:: 
ACCEPT     all  --  ::1                  anywhere            
ACCEPT     all  --  2001:db8:aaaa:bbbb:cccc:dddd:eeee:ffff  2001:db8:aaaa:bbbb::/64 

Chain FORWARD (policy ACCEPT)
target     prot opt source               destination         
USER1      all  --  anywhere             anywhere            
ACCEPT     tcp  --  anywhere             anywhere             tcp dpt:ssh
ACCEPT     udp  --  anywhere             anywhere             udp spt:!domain
ACCEPT     ipv6-icmp --  anywhere             anywhere             ipv6-icmp echo-request
ACCEPT     ipv6-icmp --  anywhere             anywhere             ipv6-icmp !address-unreachable
ACCEPT     ipv6-icmp --  anywhere             anywhere            
DROP      !tcp  --  anywhere             anywhere            
DROP       200  --  anywhere             anywhere            
USER1      all  --  anywhere             anywhere            [goto] 

Chain OUTPUT (policy ACCEPT)
target     prot opt source               destination         
ACCEPT     all  --  anywhere             anywhere            
           all  --  anywhere             anywhere            

Chain USER1 (2 references)
target     prot opt source               destination         
RETURN     all  --  anywhere             anywhere            
"#;

/// reference output: `v6 -L -v -n`
const V6_L_VN: &str = r#"Chain INPUT (policy DROP 0 packets, 0 bytes)
 pkts bytes target     prot opt in     out     source               destination         
    0     0 ACCEPT     all  --  *      *       2001:db8::1          ::/0                
    0     0 DROP       all  --  *      *      !2001:db8::/32        fe80::/ffff:0:ffff:: 
    0     0 ACCEPT     all  --  *      *       ::1                  ::/0                
    0     0 ACCEPT     all  --  *      *       2001:db8:aaaa:bbbb:cccc:dddd:eeee:ffff  2001:db8:aaaa:bbbb::/64 

Chain FORWARD (policy ACCEPT 0 packets, 0 bytes)
 pkts bytes target     prot opt in     out     source               destination         
    0     0 USER1      all  --  !lo    !veth+  ::/0                 ::/0                
    0     0 ACCEPT     tcp  --  eth0   eth+    ::/0                 ::/0                 tcp dpt:22
    0     0 ACCEPT     udp  --  *      *       ::/0                 ::/0                 udp spt:!53
    0     0 ACCEPT     ipv6-icmp --  *      *       ::/0                 ::/0                 ipv6-icmptype 128
    0     0 ACCEPT     ipv6-icmp --  *      *       ::/0                 ::/0                 ipv6-icmp !type 1 code 3
    0     0 ACCEPT     ipv6-icmp --  *      *       ::/0                 ::/0                
    0     0 DROP      !tcp  --  *      *       ::/0                 ::/0                
    0     0 DROP       200  --  *      *       ::/0                 ::/0                
    0     0 USER1      all  --  *      *       ::/0                 ::/0                [goto] 

Chain OUTPUT (policy ACCEPT 0 packets, 0 bytes)
 pkts bytes target     prot opt in     out     source               destination         
    0     0 ACCEPT     all  --  *      *       ::/0                 ::/0                
    0     0            all  --  *      *       ::/0                 ::/0                

Chain USER1 (2 references)
 pkts bytes target     prot opt in     out     source               destination         
    0     0 RETURN     all  --  *      *       ::/0                 ::/0                
"#;

/// reference output: `v6 -L -v -x -n --line-numbers`
const V6_L_VXN_LINES: &str = r#"Chain INPUT (policy DROP 0 packets, 0 bytes)
num      pkts      bytes target     prot opt in     out     source               destination         
1           0        0 ACCEPT     all  --  *      *       2001:db8::1          ::/0                
2           0        0 DROP       all  --  *      *      !2001:db8::/32        fe80::/ffff:0:ffff:: 
3           0        0 ACCEPT     all  --  *      *       ::1                  ::/0                
4           0        0 ACCEPT     all  --  *      *       2001:db8:aaaa:bbbb:cccc:dddd:eeee:ffff  2001:db8:aaaa:bbbb::/64 

Chain FORWARD (policy ACCEPT 0 packets, 0 bytes)
num      pkts      bytes target     prot opt in     out     source               destination         
1           0        0 USER1      all  --  !lo    !veth+  ::/0                 ::/0                
2           0        0 ACCEPT     tcp  --  eth0   eth+    ::/0                 ::/0                 tcp dpt:22
3           0        0 ACCEPT     udp  --  *      *       ::/0                 ::/0                 udp spt:!53
4           0        0 ACCEPT     ipv6-icmp --  *      *       ::/0                 ::/0                 ipv6-icmptype 128
5           0        0 ACCEPT     ipv6-icmp --  *      *       ::/0                 ::/0                 ipv6-icmp !type 1 code 3
6           0        0 ACCEPT     ipv6-icmp --  *      *       ::/0                 ::/0                
7           0        0 DROP      !tcp  --  *      *       ::/0                 ::/0                
8           0        0 DROP       200  --  *      *       ::/0                 ::/0                
9           0        0 USER1      all  --  *      *       ::/0                 ::/0                [goto] 

Chain OUTPUT (policy ACCEPT 0 packets, 0 bytes)
num      pkts      bytes target     prot opt in     out     source               destination         
1           0        0 ACCEPT     all  --  *      *       ::/0                 ::/0                
2           0        0            all  --  *      *       ::/0                 ::/0                

Chain USER1 (2 references)
num      pkts      bytes target     prot opt in     out     source               destination         
1           0        0 RETURN     all  --  *      *       ::/0                 ::/0                
"#;

/// reference output: `v6 -S -v`
const V6_S_V: &str = r#"-P INPUT DROP -c 0 0
-P FORWARD ACCEPT -c 0 0
-P OUTPUT ACCEPT -c 0 0
-N USER1
-A INPUT -s 2001:db8::1/128 -c 0 0 -j ACCEPT
-A INPUT ! -s 2001:db8::/32 -d fe80::/ffff:0:ffff:: -c 0 0 -j DROP
-A INPUT -s ::1/128 -c 0 0 -j ACCEPT
-A INPUT -s 2001:db8:aaaa:bbbb:cccc:dddd:eeee:ffff/128 -d 2001:db8:aaaa:bbbb::/64 -c 0 0 -j ACCEPT
-A FORWARD ! -i lo ! -o veth+ -c 0 0 -j USER1
-A FORWARD -i eth0 -o eth+ -p tcp -m tcp --dport 22 -c 0 0 -j ACCEPT
-A FORWARD -p udp -m udp ! --sport 53 -c 0 0 -j ACCEPT
-A FORWARD -p ipv6-icmp -m icmp6 --icmpv6-type 128 -c 0 0 -j ACCEPT
-A FORWARD -p ipv6-icmp -m icmp6 ! --icmpv6-type 1/3 -c 0 0 -j ACCEPT
-A FORWARD -p ipv6-icmp -c 0 0 -j ACCEPT
-A FORWARD ! -p tcp -c 0 0 -j DROP
-A FORWARD -p 200 -c 0 0 -j DROP
-A FORWARD -c 0 0 -g USER1
-A OUTPUT -c 0 0 -j ACCEPT
-A OUTPUT -c 0 0
-A USER1 -c 0 0 -j RETURN
"#;

fn net(s: &str) -> Net {
    let (a, m) = s.split_once('/').unwrap_or((s, ""));
    let addr: IpAddr = a.parse().unwrap();
    let full = if addr.is_ipv4() { 32 } else { 128 };
    if m.is_empty() {
        Net::with_prefix(addr, full)
    } else if let Ok(l) = m.parse::<u32>() {
        Net::with_prefix(addr, l)
    } else {
        Net::with_mask(addr, m.parse().unwrap())
    }
}

fn src(inv: bool, s: &str) -> Option<Inv<Net>> {
    Some(Inv::new(inv, net(s)))
}

fn ifc(inv: bool, s: &str) -> Option<Inv<Iface>> {
    Some(Inv::new(inv, Iface(s.into())))
}

fn proto(inv: bool, p: u8) -> Option<Inv<u8>> {
    Some(Inv::new(inv, p))
}

fn jump(c: &str) -> Target {
    Target::Jump(c.into())
}

fn tcp(t: Tcp, target: Target) -> Rule {
    Rule {
        proto: proto(false, 6),
        matches: vec![Match::Tcp(t)],
        target,
        ..Rule::default()
    }
}

fn udp(u: Udp, target: Target) -> Rule {
    Rule {
        proto: proto(false, 17),
        matches: vec![Match::Udp(u)],
        target,
        ..Rule::default()
    }
}

fn ctr(packets: u64, bytes: u64, target: Target) -> Rule {
    Rule {
        counters: Counters { packets, bytes },
        target,
        ..Rule::default()
    }
}

fn chain(name: &str, policy: Option<Policy>, rules: Vec<Rule>) -> ChainState {
    ChainState::with_rules(name, policy, rules)
}

/// iptables-nft -N USER1; -N USER2; -N ZZZ; -N AAA; -P FORWARD DROP
/// -A INPUT -s 1.2.3.4 -j ACCEPT
/// -A INPUT ! -s 10.0.0.0/8 -d 1.2.3.4/255.255.0.255 -j DROP
/// -A FORWARD ! -d 192.168.1.0/24 -i eth0 -o eth+ -j RETURN
/// -A FORWARD ! -i lo ! -o veth+ -j USER1
/// -A FORWARD -p tcp --dport 22 -j ACCEPT
/// -A FORWARD -p tcp ! --sport 1:1024 --dport 80:8080 --tcp-flags SYN,ACK SYN -j ACCEPT
/// -A FORWARD -p tcp --syn -j USER2
/// -A FORWARD -p tcp ! --tcp-flags ALL NONE
/// -A FORWARD -p tcp --tcp-option 5 -g USER2
/// -A FORWARD -p udp --sport 53 -j ACCEPT
/// -A FORWARD -p udp ! --dport 53:60 -j ACCEPT
/// -A FORWARD -p icmp --icmp-type echo-request -j ACCEPT
/// -A FORWARD -p icmp ! --icmp-type 3/1 -j ACCEPT
/// -A FORWARD -p icmp -j ACCEPT
/// -A FORWARD -f -j DROP
/// -A FORWARD ! -f -p udp -j DROP
/// -A FORWARD ! -p tcp -j DROP
/// -A FORWARD -p 47 -j DROP
/// -A FORWARD -p 200 -j DROP
/// -A FORWARD -p esp -j DROP
/// -A OUTPUT -c 100 20000000 -j ACCEPT
/// -A OUTPUT -c 123456789012 98765432109876 -j ACCEPT
/// -A OUTPUT -c 99999 99999
/// -A OUTPUT -c 100000 100000
/// -A OUTPUT -c 9999999 9999999999
/// -A OUTPUT -j USER1
/// -A USER1 -j AAA
/// -A USER1 -g AAA
/// -A USER2 -s 1.2.3.0/24 -d 4.5.6.7 -j RETURN
fn sample_v4() -> TableState {
    let mut t = TableState::empty(Table::Filter);
    t.chains = vec![
        chain(
            "INPUT",
            Some(Policy::Accept),
            vec![
                Rule {
                    src: src(false, "1.2.3.4"),
                    target: Target::Accept,
                    ..Rule::default()
                },
                Rule {
                    src: src(true, "10.0.0.0/8"),
                    dst: src(false, "1.2.3.4/255.255.0.255"),
                    target: Target::Drop,
                    ..Rule::default()
                },
            ],
        ),
        chain(
            "FORWARD",
            Some(Policy::Drop),
            vec![
                Rule {
                    dst: src(true, "192.168.1.0/24"),
                    iniface: ifc(false, "eth0"),
                    outiface: ifc(false, "eth+"),
                    target: Target::Return,
                    ..Rule::default()
                },
                Rule {
                    iniface: ifc(true, "lo"),
                    outiface: ifc(true, "veth+"),
                    target: jump("USER1"),
                    ..Rule::default()
                },
                tcp(
                    Tcp {
                        dpts: (22, 22),
                        ..Tcp::default()
                    },
                    Target::Accept,
                ),
                tcp(
                    Tcp {
                        spts: (1, 1024),
                        dpts: (80, 8080),
                        flg_mask: 0x12,
                        flg_cmp: 0x02,
                        invflags: 0x01,
                        ..Tcp::default()
                    },
                    Target::Accept,
                ),
                tcp(
                    Tcp {
                        flg_mask: 0x17,
                        flg_cmp: 0x02,
                        ..Tcp::default()
                    },
                    jump("USER2"),
                ),
                tcp(
                    Tcp {
                        flg_mask: 0x3f,
                        invflags: 0x04,
                        ..Tcp::default()
                    },
                    Target::None,
                ),
                tcp(
                    Tcp {
                        option: 5,
                        ..Tcp::default()
                    },
                    Target::Goto("USER2".into()),
                ),
                udp(
                    Udp {
                        spts: (53, 53),
                        ..Udp::default()
                    },
                    Target::Accept,
                ),
                udp(
                    Udp {
                        dpts: (53, 60),
                        invflags: 0x02,
                        ..Udp::default()
                    },
                    Target::Accept,
                ),
                Rule {
                    proto: proto(false, 1),
                    matches: vec![Match::Icmp(Icmp(TypeCode {
                        ty: 8,
                        code: (0, 0xff),
                        inv: false,
                    }))],
                    target: Target::Accept,
                    ..Rule::default()
                },
                Rule {
                    proto: proto(false, 1),
                    matches: vec![Match::Icmp(Icmp(TypeCode {
                        ty: 3,
                        code: (1, 1),
                        inv: true,
                    }))],
                    target: Target::Accept,
                    ..Rule::default()
                },
                Rule {
                    proto: proto(false, 1),
                    target: Target::Accept,
                    ..Rule::default()
                },
                Rule {
                    frag: Some(false),
                    target: Target::Drop,
                    ..Rule::default()
                },
                Rule {
                    proto: proto(false, 17),
                    frag: Some(true),
                    target: Target::Drop,
                    ..Rule::default()
                },
                Rule {
                    proto: proto(true, 6),
                    target: Target::Drop,
                    ..Rule::default()
                },
                Rule {
                    proto: proto(false, 47),
                    target: Target::Drop,
                    ..Rule::default()
                },
                Rule {
                    proto: proto(false, 200),
                    target: Target::Drop,
                    ..Rule::default()
                },
                Rule {
                    proto: proto(false, 50),
                    target: Target::Drop,
                    ..Rule::default()
                },
            ],
        ),
        chain(
            "OUTPUT",
            Some(Policy::Accept),
            vec![
                ctr(100, 20_000_000, Target::Accept),
                ctr(123_456_789_012, 98_765_432_109_876, Target::Accept),
                ctr(99_999, 99_999, Target::None),
                ctr(100_000, 100_000, Target::None),
                ctr(9_999_999, 9_999_999_999, Target::None),
                ctr(0, 0, jump("USER1")),
            ],
        ),
        chain("AAA", None, vec![]),
        chain(
            "USER1",
            None,
            vec![
                ctr(0, 0, jump("AAA")),
                ctr(0, 0, Target::Goto("AAA".into())),
            ],
        ),
        chain(
            "USER2",
            None,
            vec![Rule {
                src: src(false, "1.2.3.0/24"),
                dst: src(false, "4.5.6.7"),
                target: Target::Return,
                ..Rule::default()
            }],
        ),
        chain("ZZZ", None, vec![]),
    ];
    t.exists = true;
    t
}

/// ip6tables-nft -N USER1; -P INPUT DROP
/// -A INPUT -s 2001:db8::1 -j ACCEPT
/// -A INPUT ! -s 2001:db8::/32 -d fe80::/ffff:0:ffff:: -j DROP
/// -A INPUT -s ::1 -j ACCEPT
/// -A INPUT -s 2001:db8:aaaa:bbbb:cccc:dddd:eeee:ffff -d 2001:db8:aaaa:bbbb:cccc:dddd:eeee:fff/64 -j ACCEPT
/// -A FORWARD ! -i lo ! -o veth+ -j USER1
/// -A FORWARD -i eth0 -o eth+ -p tcp --dport 22 -j ACCEPT
/// -A FORWARD -p udp ! --sport 53 -j ACCEPT
/// -A FORWARD -p ipv6-icmp --icmpv6-type echo-request -j ACCEPT
/// -A FORWARD -p icmpv6 ! --icmpv6-type 1/3 -j ACCEPT
/// -A FORWARD -p icmpv6 -j ACCEPT
/// -A FORWARD ! -p tcp -j DROP
/// -A FORWARD -p 200 -j DROP
/// -A FORWARD -g USER1
/// -A OUTPUT -c 100 20000000 -j ACCEPT (1.8.9 drops the counters here)
/// -A OUTPUT -c 123456789012 98765432109876
/// -A USER1 -j RETURN
fn sample_v6() -> TableState {
    let mut t = TableState::empty(Table::Filter);
    let icmp6 = |ty, code, inv| Rule {
        proto: proto(false, 58),
        matches: vec![Match::Icmp6(Icmp6(TypeCode { ty, code, inv }))],
        target: Target::Accept,
        ..Rule::default()
    };
    t.chains = vec![
        chain(
            "INPUT",
            Some(Policy::Drop),
            vec![
                Rule {
                    src: src(false, "2001:db8::1"),
                    target: Target::Accept,
                    ..Rule::default()
                },
                Rule {
                    src: src(true, "2001:db8::/32"),
                    dst: src(false, "fe80::/ffff:0:ffff::"),
                    target: Target::Drop,
                    ..Rule::default()
                },
                Rule {
                    src: src(false, "::1"),
                    target: Target::Accept,
                    ..Rule::default()
                },
                Rule {
                    src: src(false, "2001:db8:aaaa:bbbb:cccc:dddd:eeee:ffff"),
                    dst: src(false, "2001:db8:aaaa:bbbb:cccc:dddd:eeee:fff/64"),
                    target: Target::Accept,
                    ..Rule::default()
                },
            ],
        ),
        chain(
            "FORWARD",
            Some(Policy::Accept),
            vec![
                Rule {
                    iniface: ifc(true, "lo"),
                    outiface: ifc(true, "veth+"),
                    target: jump("USER1"),
                    ..Rule::default()
                },
                Rule {
                    iniface: ifc(false, "eth0"),
                    outiface: ifc(false, "eth+"),
                    ..tcp(
                        Tcp {
                            dpts: (22, 22),
                            ..Tcp::default()
                        },
                        Target::Accept,
                    )
                },
                udp(
                    Udp {
                        spts: (53, 53),
                        invflags: 0x01,
                        ..Udp::default()
                    },
                    Target::Accept,
                ),
                icmp6(128, (0, 0xff), false),
                icmp6(1, (3, 3), true),
                Rule {
                    proto: proto(false, 58),
                    target: Target::Accept,
                    ..Rule::default()
                },
                Rule {
                    proto: proto(true, 6),
                    target: Target::Drop,
                    ..Rule::default()
                },
                Rule {
                    proto: proto(false, 200),
                    target: Target::Drop,
                    ..Rule::default()
                },
                Rule {
                    target: Target::Goto("USER1".into()),
                    ..Rule::default()
                },
            ],
        ),
        chain(
            "OUTPUT",
            Some(Policy::Accept),
            vec![ctr(0, 0, Target::Accept), ctr(0, 0, Target::None)],
        ),
        chain("USER1", None, vec![ctr(0, 0, Target::Return)]),
    ];
    t
}

fn table(t: &TableState, family: Family, opts: ListOpts) -> String {
    let mut s = String::new();
    list_table_with(t, family, &opts, &NameDb::default(), &mut s);
    s
}

fn opts(numeric: bool, verbose: bool, exact: bool, line_numbers: bool) -> ListOpts {
    ListOpts {
        numeric,
        verbose,
        exact,
        line_numbers,
    }
}

#[test]
fn ipv4_tables() {
    let t = sample_v4();
    let f = Family::V4;
    assert_eq!(table(&t, f, opts(false, false, false, false)), V4_L);
    assert_eq!(table(&t, f, opts(true, false, false, false)), V4_L_N);
    assert_eq!(table(&t, f, opts(false, true, false, false)), V4_L_V);
    assert_eq!(table(&t, f, opts(false, true, true, false)), V4_L_VX);
    assert_eq!(table(&t, f, opts(true, true, true, true)), V4_L_VNX_LINES);
}

#[test]
fn ipv6_tables() {
    let t = sample_v6();
    let f = Family::V6;
    assert_eq!(table(&t, f, opts(false, false, false, false)), V6_L);
    assert_eq!(table(&t, f, opts(true, true, false, false)), V6_L_VN);
    assert_eq!(table(&t, f, opts(true, true, true, true)), V6_L_VXN_LINES);
}

#[test]
fn one_chain_and_one_rule() {
    let t = sample_v4();
    let mut s = String::new();
    let out = t.chain("OUTPUT").unwrap();
    list_chain(
        &t,
        out,
        Family::V4,
        &opts(false, true, false, false),
        &mut s,
    )
    .unwrap();
    assert_eq!(s, V4_L_OUTPUT_V);
    let mut s = String::new();
    list_chain_rule(
        &t,
        "FORWARD",
        7,
        Family::V4,
        &opts(false, true, false, true),
        &mut s,
    )
    .unwrap();
    assert_eq!(s, V4_L_FORWARD_7);
    // `-L FORWARD 99`: nothing, no error
    let mut s = String::new();
    list_chain_rule(
        &t,
        "FORWARD",
        99,
        Family::V4,
        &opts(false, false, false, false),
        &mut s,
    )
    .unwrap();
    assert_eq!(s, "");
}

#[test]
fn rules_as_commands() {
    let t = sample_v4();
    let f = Family::V4;
    let s = |chain, num, verbose| {
        let mut s = String::new();
        list_rules(&t, chain, num, f, verbose, &mut s).unwrap();
        s
    };
    assert_eq!(s(None, None, false), V4_S);
    assert_eq!(s(None, None, true), V4_S_V);
    assert_eq!(
        s(Some("USER1"), None, false),
        "-N USER1\n-A USER1 -j AAA\n-A USER1 -g AAA\n"
    );
    assert_eq!(s(Some("AAA"), None, false), "-N AAA\n");
    assert_eq!(
        s(Some("INPUT"), None, true),
        "-P INPUT ACCEPT -c 0 0
-A INPUT -s 1.2.3.4/32 -c 0 0 -j ACCEPT
-A INPUT ! -s 10.0.0.0/8 -d 1.2.0.4/255.255.0.255 -c 0 0 -j DROP
"
    );
    assert_eq!(
        s(Some("FORWARD"), Some(3), true),
        "-A FORWARD -p tcp -m tcp --dport 22 -c 0 0 -j ACCEPT\n"
    );
    assert_eq!(s(Some("USER2"), Some(2), false), "");
    let t6 = sample_v6();
    let mut s = String::new();
    list_rules(&t6, None, None, Family::V6, true, &mut s).unwrap();
    assert_eq!(s, V6_S_V);
}

#[test]
fn policy_counters() {
    // iptables-nft-restore -c of `:INPUT DROP [123456:20000000]`,
    // `:FORWARD ACCEPT [99999:100000]`, `:OUTPUT ACCEPT [9999999999999:0]`
    // and `-A INPUT -j ACCEPT`
    let mut t = TableState::empty(Table::Filter);
    let pc = |p, b| Counters {
        packets: p,
        bytes: b,
    };
    t.chains[0].policy = Some(Policy::Drop);
    t.chains[0].counters = pc(123_456, 20_000_000);
    t.chains[0].rules.push(RuleEntry {
        handle: 0,
        rule: Ok(ctr(0, 0, Target::Accept)),
    });
    t.chains[1].counters = pc(99_999, 100_000);
    t.chains[2].counters = pc(9_999_999_999_999, 0);
    assert_eq!(
        table(&t, Family::V4, opts(false, true, false, false)),
        "Chain INPUT (policy DROP 123K packets, 20M bytes)
 pkts bytes target     prot opt in     out     source               destination         
    0     0 ACCEPT     all  --  any    any     anywhere             anywhere            

Chain FORWARD (policy ACCEPT 99999 packets, 100K bytes)
 pkts bytes target     prot opt in     out     source               destination         

Chain OUTPUT (policy ACCEPT 10T packets, 0 bytes)
 pkts bytes target     prot opt in     out     source               destination         
"
    );
    assert_eq!(
            table(&t, Family::V4, opts(true, true, true, true)),
            "Chain INPUT (policy DROP 123456 packets, 20000000 bytes)
num      pkts      bytes target     prot opt in     out     source               destination         
1           0        0 ACCEPT     all  --  *      *       0.0.0.0/0            0.0.0.0/0           

Chain FORWARD (policy ACCEPT 99999 packets, 100000 bytes)
num      pkts      bytes target     prot opt in     out     source               destination         

Chain OUTPUT (policy ACCEPT 9999999999999 packets, 0 bytes)
num      pkts      bytes target     prot opt in     out     source               destination         
"
        );
    let mut s = String::new();
    list_rules(&t, None, None, Family::V4, true, &mut s).unwrap();
    assert_eq!(
        s,
        "-P INPUT DROP -c 123456 20000000
-P FORWARD ACCEPT -c 99999 100000
-P OUTPUT ACCEPT -c 9999999999999 0
-A INPUT -c 0 0 -j ACCEPT
"
    );
}

#[test]
fn units() {
    let f = |n, exact| {
        let mut s = String::new();
        fmt_num(&mut s, n, exact);
        s
    };
    assert_eq!(f(0, false), "    0 ");
    assert_eq!(f(99_999, false), "99999 ");
    assert_eq!(f(100_000, false), " 100K ");
    assert_eq!(f(9_999_499, false), "9999K ");
    assert_eq!(f(9_999_500, false), "  10M ");
    assert_eq!(f(20_000_000, false), "  20M ");
    assert_eq!(f(9_999_999_999, false), "  10G ");
    assert_eq!(f(123_456_789_012, false), " 123G ");
    assert_eq!(f(98_765_432_109_876, false), "  99T ");
    assert_eq!(f(u64::MAX, false), "18446744T ");
    assert_eq!(f(20_000_000, true), "20000000 ");
    assert_eq!(f(123_456_789_012, true), "123456789012 ");
}

#[test]
fn names_from_files() {
    // /etc/hosts and /etc/networks of the reference machine; with them
    // iptables-nft -L printed `localhost`, `loopback/8`,
    // `link-local/16` and `link-local/255.255.0.255`.
    let db = NameDb {
        hosts: parse_hosts(
            "127.0.0.1 localhost\n127.0.0.1 runsc # x\n::1 ip6-localhost ip6-loopback\n",
        ),
        nets: parse_networks(
            "default\t\t0.0.0.0\nloopback\t127.0.0.0\nlink-local\t169.254.0.0\nshort 10\n",
        ),
    };
    assert_eq!(db.nets[3], (0x0a00_0000, "short".to_string()));
    let mut t = TableState::empty(Table::Filter);
    let rules = [
        (src(false, "127.0.0.1"), None),
        (src(false, "127.0.0.0/8"), None),
        (None, src(false, "169.254.0.0/16")),
        (None, src(false, "169.254.0.0/255.255.0.255")),
        (src(false, "8.8.8.8"), None),
        (src(true, "0.0.0.0/1"), None),
    ];
    for (s, d) in rules {
        t.chains[0].rules.push(RuleEntry {
            handle: 0,
            rule: Ok(Rule {
                src: s,
                dst: d,
                target: Target::Accept,
                ..Rule::default()
            }),
        });
    }
    let mut s = String::new();
    chain_block(
        &mut s,
        &t,
        &t.chains[0],
        Family::V4,
        &ListOpts::default(),
        &db,
    );
    assert_eq!(
        s,
        "Chain INPUT (policy ACCEPT)
target     prot opt source               destination         
ACCEPT     all  --  localhost            anywhere            
ACCEPT     all  --  loopback/8           anywhere            
ACCEPT     all  --  anywhere             link-local/16       
ACCEPT     all  --  anywhere             link-local/255.255.0.255 
ACCEPT     all  --  8.8.8.8              anywhere            
ACCEPT     all  -- !default/1            anywhere            
"
    );
    let mut t6 = TableState::empty(Table::Filter);
    t6.chains[0].rules.push(RuleEntry {
        handle: 0,
        rule: Ok(Rule {
            src: src(false, "::1"),
            dst: src(false, "::1.2.3.4"),
            ..Rule::default()
        }),
    });
    let mut s = String::new();
    chain_block(
        &mut s,
        &t6,
        &t6.chains[0],
        Family::V6,
        &ListOpts::default(),
        &db,
    );
    assert_eq!(
        s,
        "Chain INPUT (policy ACCEPT)
target     prot opt source               destination         
           all  --  ip6-localhost        ::1.2.3.4           
"
    );
}

#[test]
fn long_names_overflow_columns() {
    // ip6tables-nft -L shows `ipv6-icmp --` and long addresses pushing
    // the next column; iptables-nft -L -v with a 15-character name:
    // `    0     0 ACCEPT     all  --  !abcdefghijklmno any     anywhere ...`
    let mut t = TableState::empty(Table::Filter);
    t.chains[0].rules.push(RuleEntry {
        handle: 0,
        rule: Ok(Rule {
            iniface: ifc(true, "abcdefghijklmno"),
            target: Target::Accept,
            ..Rule::default()
        }),
    });
    let mut s = String::new();
    chain_block(
        &mut s,
        &t,
        &t.chains[0],
        Family::V4,
        &opts(false, true, false, false),
        &NameDb::default(),
    );
    assert!(s.ends_with(
            "    0     0 ACCEPT     all  --  !abcdefghijklmno any     anywhere             anywhere            \n"
        ));
    let mut t = TableState::empty(Table::Filter);
    t.chains[0].rules.push(RuleEntry {
        handle: 0,
        rule: Ok(Rule {
            proto: proto(false, 136),
            ..Rule::default()
        }),
    });
    let mut s = String::new();
    chain_block(
        &mut s,
        &t,
        &t.chains[0],
        Family::V4,
        &ListOpts::default(),
        &NameDb::default(),
    );
    if netdb::proto_name(136).as_deref() == Some("udplite") {
        assert!(s.ends_with("           udplite --  anywhere             anywhere            \n"));
    }
}

#[test]
fn incompatible_rules_refuse_listing() {
    let mut t = sample_v4();
    if let Some(c) = t.chain_mut("USER2") {
        c.rules.push(RuleEntry {
            handle: 9,
            rule: Err("ct expression".into()),
        });
    }
    let mut s = String::new();
    let e = list_table(&t, Family::V4, &ListOpts::default(), &mut s).unwrap_err();
    assert_eq!(e.exit_code(), 1);
    assert_eq!(
        e.render("iptables"),
        "iptables v1.8.13 (nf_tables): table `filter' is incompatible, use 'nft' tool."
    );
    let e = list_rules(&t, None, None, Family::V4, false, &mut s).unwrap_err();
    assert_eq!(e.exit_code(), 1);
    let e = list_rules(&t, Some("USER2"), Some(1), Family::V4, false, &mut s).unwrap_err();
    assert_eq!(
            e.render("iptables"),
            "iptables v1.8.13 (nf_tables): chain `USER2' in table `filter' is incompatible, use 'nft' tool."
        );
    let user2 = t.chain("USER2").unwrap().clone();
    assert!(list_chain(&t, &user2, Family::V4, &ListOpts::default(), &mut s).is_err());
    let e = list_chain_rule(&t, "USER2", 1, Family::V6, &ListOpts::default(), &mut s).unwrap_err();
    assert_eq!(
            e.render("ip6tables"),
            "ip6tables v1.8.13 (nf_tables): chain `USER2' in table `filter' is incompatible, use 'nft' tool."
        );
    assert_eq!(s, "");
    // other chains still list, as with iptables-nft -L FORWARD
    list_rules(&t, Some("USER1"), None, Family::V4, false, &mut s).unwrap();
    assert_eq!(s, "-N USER1\n-A USER1 -j AAA\n-A USER1 -g AAA\n");
    // iptables-nft 1.8.9 says the same of a chain that does not exist
    let e = list_rules(&t, Some("NOPE"), None, Family::V4, false, &mut s).unwrap_err();
    assert_eq!(
            e.render("iptables"),
            "iptables v1.8.13 (nf_tables): chain `NOPE' in table `filter' is incompatible, use 'nft' tool."
        );
}
