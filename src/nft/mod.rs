//! nf_tables: the pure IR, its encoder and decoder, built-in chain data,
//! and (with the `nftnl` feature) the kernel backend.

pub mod builtin;
pub mod decode;
pub mod encode;
pub mod ir;
#[cfg(feature = "nftnl")]
pub mod session;
#[cfg(feature = "nftnl")]
pub mod sys;
pub mod wire;
