//! `iptables-save` / `ip6tables-save`: every iptables table of the family
//! (or one, with `-t`), in iptables-nft-save's text.

use crate::error::{param, Error};
use crate::model::{Family, Table};
use crate::nft::session::Session;
use crate::rule::SAVE_ORDER;
use clap::{Arg, ArgAction};

fn cli(prog: &'static str) -> clap::Command {
    clap::Command::new(prog)
        .disable_version_flag(true)
        .arg(Arg::new("table").short('t').long("table").num_args(1))
        .arg(
            Arg::new("counters")
                .short('c')
                .long("counters")
                .action(ArgAction::SetTrue),
        )
        .arg(Arg::new("file").short('f').long("file").num_args(1))
        .arg(Arg::new("modprobe").short('M').long("modprobe").num_args(1))
        .arg(
            Arg::new("dump")
                .short('d')
                .long("dump")
                .action(ArgAction::SetTrue),
        )
        .arg(
            Arg::new("version")
                .short('V')
                .long("version")
                .action(ArgAction::SetTrue),
        )
}

/// Run `*-save` with its arguments.
pub fn run(family: Family, args: &[String]) -> Result<String, Error> {
    let prog = match family {
        Family::V4 => "iptables-save",
        Family::V6 => "ip6tables-save",
    };
    let m = cli(prog)
        .try_get_matches_from(std::iter::once(prog.to_string()).chain(args.iter().cloned()))
        .map_err(|e| match e.kind() {
            clap::error::ErrorKind::DisplayHelp => Error::Raw {
                msg: e.to_string(),
                code: 0,
            },
            _ => param(
                e.to_string()
                    .lines()
                    .next()
                    .unwrap_or("")
                    .trim_start_matches("error: ")
                    .to_string(),
            ),
        })?;
    if m.get_flag("version") {
        return Ok(format!("{prog} {}\n", crate::error::VERSION));
    }
    let tables: Vec<Table> =
        match m.get_one::<String>("table") {
            Some(t) => vec![Table::from_name(t)
                .ok_or_else(|| Error::Op(format!("Table '{t}' does not exist")))?],
            None => SAVE_ORDER.to_vec(),
        };
    let counters = m.get_flag("counters");
    let mut s = Session::open(family)?;
    // Each chain is turned into text as soon as it is read (by the thread
    // that read it): the rules of the whole ruleset are never held at once.
    // All tables come from one generation, as iptables-save's one cache.
    let read = s.read_tables(&tables, |t, c, rules| {
        let mut text = String::new();
        let mut problems = Vec::new();
        crate::save::chain_rules_text(
            t,
            &c.name,
            &rules,
            family,
            counters,
            &mut text,
            &mut problems,
        );
        (text, problems)
    })?;
    let mut blocks = Vec::new();
    let mut problems = Vec::new();
    for (st, chains) in read {
        if st.exists {
            let mut head = String::new();
            crate::save::table_head(&st, &mut head);
            let mut texts = Vec::with_capacity(chains.len());
            for (text, p) in chains {
                texts.push(text);
                problems.extend(p);
            }
            blocks.push((head, texts));
        }
    }
    let now = crate::save::ctime_now();
    let (header, footer) = (crate::save::header(family, &now), crate::save::footer(&now));
    const COMMIT: &str = "COMMIT\n";
    let len = blocks
        .iter()
        .map(|(head, texts)| {
            header.len()
                + head.len()
                + texts.iter().map(String::len).sum::<usize>()
                + COMMIT.len()
                + footer.len()
        })
        .sum();
    // the output written once, into a buffer of its size
    let mut text = String::with_capacity(len);
    for (head, texts) in blocks {
        text.push_str(&header);
        text.push_str(&head);
        for t in texts {
            text.push_str(&t);
        }
        text.push_str(COMMIT);
        text.push_str(&footer);
    }
    if let Some(f) = m.get_one::<String>("file") {
        std::fs::write(f, crate::model::bytes::to_bytes(&text))
            .map_err(|e| Error::Op(format!("Failed to open file: {e}")))?;
        text.clear();
    }
    if problems.is_empty() {
        return Ok(text);
    }
    // Everything expressible is printed; each rule that is not is named,
    // and the exit status says the output is not the whole ruleset.
    let msg: Vec<String> = problems.iter().map(|p| format!("{prog}: {p}")).collect();
    Err(Error::Partial {
        out: text,
        msg: msg.join("\n"),
        code: 1,
    })
}
