//! Command line: argv words → [`Command`]. The order-sensitive rule grammar
//! is driven by the extensions' option tables; see [`command`].

pub mod action;
pub mod args;
pub mod command;
pub mod help;
pub mod values;

pub use command::{parse, parse_in, parse_words, Action, Command};
