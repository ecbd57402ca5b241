//! The rule model: plain data describing tables, chains, rules, matches and
//! targets, with no netlink types. Everything here is testable without root.

pub mod addr;
pub mod bytes;
pub mod netdb;
pub mod table;

pub use addr::{Iface, Inv, Net};
pub use table::{Family, Table};
