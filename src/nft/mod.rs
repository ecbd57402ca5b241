//! nf_tables: the rule encoder and decoder (over [`crate::ir`]), built-in
//! chain data, the pure netlink codec ([`wire`]), and (with the `nftnl`
//! feature) the kernel backend.

pub mod builtin;
pub mod decode;
pub mod encode;
#[cfg(feature = "nftnl")]
pub mod session;
#[cfg(feature = "nftnl")]
pub mod sys;
pub mod wire;
