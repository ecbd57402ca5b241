//! `iptables` / `ip6tables`: run one parsed command. Every command that
//! changes or checks the ruleset goes through the restore planner (one
//! engine for both programs: [`crate::applet::restore::run_command`]); listings read
//! only what they show.

use crate::cli::{Action, Command};
use crate::config::Layout;
use crate::error::Error;
use crate::list::{self, ListOpts};
use crate::model::Table;
use crate::nft::session::Session;
use crate::rule::TableState;

fn no_chain() -> Error {
    Error::Op("No chain/target/match by that name".into())
}

/// Runs `cmd`, writing rules in `layout`.
pub fn run(cmd: &Command, layout: Layout) -> Result<String, Error> {
    let family = cmd.family;
    let table = cmd.table;
    match &cmd.action {
        Action::Version { not: false } => {
            Ok(format!("{} {}\n", family.prog(), crate::error::VERSION))
        }
        Action::Version { not: true } => Ok(format!(
            "Not {} ;-)\n",
            crate::error::VERSION.trim_start_matches('v')
        )),
        Action::Help(ext) => Ok(crate::applet::help_text(family) + ext),
        Action::List { chain, num, zero } => {
            let mut s = Session::open(family)?;
            let st = load_for(&mut s, table, chain.as_deref())?;
            let opts = ListOpts {
                numeric: cmd.numeric,
                verbose: cmd.verbose,
                exact: cmd.exact,
                line_numbers: cmd.line_numbers,
            };
            let mut out = String::new();
            match chain {
                None => list::list_table(&st, family, &opts, &mut out)?,
                Some(c) => {
                    let ch = st.chain(c).ok_or_else(no_chain)?;
                    match num {
                        Some(n) => {
                            list::list_chain_rule(&st, &ch.name, *n, family, &opts, &mut out)?
                        }
                        None => list::list_chain(&st, ch, family, &opts, &mut out)?,
                    }
                }
            }
            if *zero {
                // `-L -Z`: the counters listed are zeroed, as `-Z` does.
                let z = Command {
                    action: Action::Zero {
                        chain: chain.clone(),
                        num: None,
                    },
                    ..cmd.clone()
                };
                crate::applet::restore::run_command(&z, layout)?;
                if cmd.verbose {
                    out.push_str(&chain_echo(&z)?);
                }
            }
            Ok(out)
        }
        Action::ListRules { chain, num } => {
            let mut s = Session::open(family)?;
            let st = load_for(&mut s, table, chain.as_deref())?;
            if let Some(c) = chain {
                st.chain(c).ok_or_else(no_chain)?;
            }
            let mut out = String::new();
            list::list_rules(&st, chain.as_deref(), *num, family, cmd.verbose, &mut out)?;
            Ok(out)
        }
        Action::Append { rules, .. }
        | Action::Insert { rules, .. }
        | Action::Check { rules, .. }
        | Action::Delete { rules, .. }
            if cmd.verbose =>
        {
            // `-v`: iptables prints each rule as it queues it; a rule to
            // add is printed even when the batch then fails.
            let echo: String = rules.iter().map(|r| list::rule_echo(r, family)).collect();
            let adds = matches!(cmd.action, Action::Append { .. } | Action::Insert { .. });
            match crate::applet::restore::run_command(cmd, layout) {
                Ok(()) => Ok(echo),
                // not printed for a parameter problem found when planning
                Err(e) if adds && e.exit_code() != 2 => Err(Error::Partial {
                    out: echo,
                    msg: e.render(family.prog()),
                    code: e.exit_code(),
                }),
                Err(e) => Err(e),
            }
        }
        Action::Replace { rule, .. } if cmd.verbose => {
            let echo = list::rule_echo(rule, family);
            crate::applet::restore::run_command(cmd, layout).map(|()| echo)
        }
        Action::Flush { .. } | Action::Zero { num: None, .. } | Action::DeleteChain { .. }
            if cmd.verbose =>
        {
            // `-v`: iptables names each chain as it queues the op, so the
            // names are printed even when the kernel then refuses the batch
            // (but not for a chain it does not find).
            let echo = chain_echo(cmd)?;
            match crate::applet::restore::run_command(cmd, layout) {
                Ok(()) => Ok(echo),
                Err(e) if e.exit_code() == 4 => Err(Error::Partial {
                    out: echo,
                    msg: e.render(family.prog()),
                    code: 4,
                }),
                Err(e) => Err(e),
            }
        }
        _ => crate::applet::restore::run_command(cmd, layout).map(|()| String::new()),
    }
}

/// What `-v` prints for `-F`, `-Z` and `-X`: `Flushing chain `C'` (and
/// `Zeroing`, `Deleting`) for the chain named, or for every chain of the
/// table (built-in ones first, present or not, then the user-defined ones
/// by name; only those for `-X`).
fn chain_echo(cmd: &Command) -> Result<String, Error> {
    let (verb, chain, users_only) = match &cmd.action {
        Action::Flush { chain } => ("Flushing", chain, false),
        Action::Zero { chain, .. } => ("Zeroing", chain, false),
        Action::DeleteChain { chain } => ("Deleting", chain, true),
        _ => return Ok(String::new()),
    };
    let names: Vec<String> = match chain {
        Some(c) => vec![c.clone()],
        None => {
            let table = cmd.table;
            let mut s = Session::open(cmd.family)?;
            let mut users: Vec<String> = s
                .chain_names(table)?
                .into_iter()
                .filter(|c| !table.is_builtin(c))
                .collect();
            users.sort();
            let builtins = table.builtin_chains().iter().map(|c| c.to_string());
            match users_only {
                true => users,
                false => builtins.chain(users).collect(),
            }
        }
    };
    Ok(names
        .iter()
        .map(|c| format!("{verb} chain `{c}'\n"))
        .collect())
}

/// What `-L` and `-S` read: with a chain named, only that chain (Docker
/// probes every chain with `-n -L CHAIN`; the other chains' rules are never
/// read), else the whole table.
fn load_for(s: &mut Session, table: Table, chain: Option<&str>) -> Result<TableState, Error> {
    match chain {
        Some(c) => s.load_chain(table, c),
        None => s.load_table(table),
    }
}
