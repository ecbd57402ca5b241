//! rxtables: a drop-in replacement for iptables-nft.
//!
//! Layers, from the command line down: [`cli`] turns words into a
//! [`cli::Command`]; [`model`] holds plain values (families, tables,
//! addresses, names as bytes); [`ext`] holds the extensions; [`rule`] the
//! rules and rulesets built of both; [`nft`] encodes rules as nf_tables
//! expressions and (behind the `nftnl` feature) talks to the kernel;
//! [`plan`] is the one planner (a restore file or a single command → one
//! transaction), tested against an in-memory kernel; [`save`] and [`list`]
//! are the text formats; [`applet`] ties them into the programs. Each layer
//! uses only those before it (no import cycles).
//!
//! For Rust programs, [`firewall`] is the library API: a family's ruleset
//! ([`Firewall`]), typed rules, single changes and all-or-nothing
//! [`Transaction`]s, over the same planner and kernel door as the programs.
#![deny(unsafe_code)]
#![warn(missing_docs)]

#[cfg(feature = "nftnl")]
pub mod applet;
pub mod cli;
pub mod config;
pub mod doc;
pub mod error;
pub mod ext;
#[cfg(feature = "nftnl")]
pub mod firewall;
pub mod ir;
pub mod list;
pub mod model;
pub mod nft;
pub mod plan;
pub mod rule;
pub mod save;

#[cfg(feature = "nftnl")]
pub use firewall::{Firewall, Transaction};
