//! rxtables: a drop-in replacement for iptables-nft.
//!
//! Layers, from the command line down: [`cli`] turns words into a
//! [`cli::Command`]; [`model`] is the plain rule model; [`ext`] holds the
//! extensions; [`nft`] encodes rules as nf_tables expressions and (behind
//! the `nftnl` feature) talks to the kernel; [`plan`] is the one planner
//! (a restore file or a single command → one transaction), tested against
//! an in-memory kernel; [`save`] and [`list`] are the text formats;
//! [`applet`] ties them into the programs.
#![deny(unsafe_code)]
#![warn(missing_docs)]

#[cfg(feature = "nftnl")]
pub mod applet;
pub mod cli;
pub mod config;
pub mod error;
pub mod ext;
pub mod ir;
pub mod list;
pub mod model;
pub mod nft;
pub mod plan;
pub mod save;
