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
        Action::Version => Ok(format!("{} {}\n", family.prog(), crate::error::VERSION)),
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
        _ => crate::applet::restore::run_command(cmd, layout).map(|()| String::new()),
    }
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
