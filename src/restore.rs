//! `iptables-restore` / `ip6tables-restore`.

use crate::error::Error;
use crate::model::Family;

/// Run `*-restore` with its arguments.
pub fn run(_family: Family, _args: &[String]) -> Result<String, Error> {
    Err(Error::Raw {
        msg: "iptables-restore: not available in this build yet".into(),
        code: 1,
    })
}
