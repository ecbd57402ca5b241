//! `iptables -h`: the general help, as iptables prints it.

use crate::model::Family;

/// `iptables -h`.
pub fn help_text(family: Family) -> String {
    help_text_for(family, family.prog())
}

/// [`help_text`] as program `p` prints it (`iptables-restore` for a `-h`
/// line of a restore input).
pub fn help_text_for(family: Family, p: &str) -> String {
    format!(
        "{p} {v}

Usage: {p} -[ACD] chain rule-specification [options]
       {p} -I chain [rulenum] rule-specification [options]
       {p} -R chain rulenum rule-specification [options]
       {p} -D chain rulenum [options]
       {p} -[LS] [chain [rulenum]] [options]
       {p} -[FZ] [chain] [options]
       {p} -[NX] chain
       {p} -E old-chain-name new-chain-name
       {p} -P chain target [options]
       {p} -h (print this help information)

Commands:
Either long or short options are allowed.
  --append  -A chain\t\tAppend to chain
  --check   -C chain\t\tCheck for the existence of a rule
  --delete  -D chain\t\tDelete matching rule from chain
  --delete  -D chain rulenum
\t\t\t\tDelete rule rulenum (1 = first) from chain
  --insert  -I chain [rulenum]
\t\t\t\tInsert in chain as rulenum (default 1=first)
  --replace -R chain rulenum
\t\t\t\tReplace rule rulenum (1 = first) in chain
  --list    -L [chain [rulenum]]
\t\t\t\tList the rules in a chain or all chains
  --list-rules -S [chain [rulenum]]
\t\t\t\tPrint the rules in a chain or all chains
  --flush   -F [chain]\t\tDelete all rules in  chain or all chains
  --zero    -Z [chain [rulenum]]
\t\t\t\tZero counters in chain or all chains
  --new     -N chain\t\tCreate a new user-defined chain
  --delete-chain
            -X [chain]\t\tDelete a user-defined chain
  --policy  -P chain target
\t\t\t\tChange policy on chain to target
  --rename-chain
            -E old-chain new-chain
\t\t\t\tChange chain name, (moving any references)

Options:
    --ipv4\t-4\t\t{ipv4} (line is ignored by ip6tables-restore)
    --ipv6\t-6\t\t{ipv6} (line is ignored by iptables-restore)
[!] --protocol\t-p proto\tprotocol: by number or name, eg. `tcp'
[!] --source\t-s address[/mask][...]
\t\t\t\tsource specification
[!] --destination -d address[/mask][...]
\t\t\t\tdestination specification
[!] --in-interface -i input name[+]
\t\t\t\tnetwork interface name ([+] for wildcard)
 --jump\t-j target
\t\t\t\ttarget for rule (may load target extension)
  --goto      -g chain
\t\t\t       jump to chain with no return
  --match\t-m match
\t\t\t\textended match (may load extension)
  --numeric\t-n\t\tnumeric output of addresses and ports
[!] --out-interface -o output name[+]
\t\t\t\tnetwork interface name ([+] for wildcard)
  --table\t-t table\ttable to manipulate (default: `filter')
  --verbose\t-v\t\tverbose mode
  --wait\t-w [seconds]\tmaximum wait to acquire xtables lock before give up
  --line-numbers\t\tprint line numbers when listing
  --exact\t-x\t\texpand numbers (display exact values)
{fragment}  --modprobe=<command>\t\ttry to insert modules using this command
  --set-counters -c PKTS BYTES\tset the counter during insert/append
[!] --version\t-V\t\tprint package version.
",
        v = crate::error::VERSION,
        // each program ignores its own family's option and refuses the other
        ipv4 = if family == Family::V4 {
            "Nothing"
        } else {
            "Error"
        },
        ipv6 = if family == Family::V6 {
            "Nothing"
        } else {
            "Error"
        },
        // ip6tables has no -f
        fragment = if family == Family::V4 {
            "[!] --fragment\t-f\t\tmatch second or further fragments only\n"
        } else {
            ""
        },
    )
}
