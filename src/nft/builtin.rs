//! Built-in base chains as iptables-nft creates them (`nft.c xtables_ipv4[]`):
//! type, hook and priority per table and chain.

use crate::ir::{BaseSpec, Hook};
use crate::model::Table;

/// Base-chain attributes of a built-in chain, with ACCEPT policy; `None`
/// if `chain` is not built into `table`.
pub fn base_spec(table: Table, chain: &str) -> Option<BaseSpec> {
    let (kind, hook, prio) = match (table, chain) {
        (Table::Filter, "INPUT") => ("filter", Hook::Input, 0),
        (Table::Filter, "FORWARD") => ("filter", Hook::Forward, 0),
        (Table::Filter, "OUTPUT") => ("filter", Hook::Output, 0),
        (Table::Nat, "PREROUTING") => ("nat", Hook::Prerouting, -100),
        (Table::Nat, "INPUT") => ("nat", Hook::Input, 100),
        (Table::Nat, "OUTPUT") => ("nat", Hook::Output, -100),
        (Table::Nat, "POSTROUTING") => ("nat", Hook::Postrouting, 100),
        (Table::Mangle, "PREROUTING") => ("filter", Hook::Prerouting, -150),
        (Table::Mangle, "INPUT") => ("filter", Hook::Input, -150),
        (Table::Mangle, "FORWARD") => ("filter", Hook::Forward, -150),
        (Table::Mangle, "OUTPUT") => ("route", Hook::Output, -150),
        (Table::Mangle, "POSTROUTING") => ("filter", Hook::Postrouting, -150),
        (Table::Raw, "PREROUTING") => ("filter", Hook::Prerouting, -300),
        (Table::Raw, "OUTPUT") => ("filter", Hook::Output, -300),
        (Table::Security, "INPUT") => ("filter", Hook::Input, 150),
        (Table::Security, "FORWARD") => ("filter", Hook::Forward, 150),
        (Table::Security, "OUTPUT") => ("filter", Hook::Output, 150),
        _ => return None,
    };
    Some(BaseSpec {
        kind: kind.to_string(),
        hook,
        prio,
        policy_accept: true,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_builtin_has_a_spec() {
        for t in Table::ALL {
            for c in t.builtin_chains() {
                assert!(base_spec(t, c).is_some(), "{t} {c}");
            }
        }
        assert!(base_spec(Table::Raw, "INPUT").is_none());
    }
}
