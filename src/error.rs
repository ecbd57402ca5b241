//! Errors, grouped by the exit status iptables gives them
//! (`enum xtables_exittype`): 1 other, 2 parameter, 3 version, 4 resource.

use thiserror::Error;

/// The version string rxtables reports, in the shape tools parse.
pub const VERSION: &str = "v1.8.13 (nf_tables)";

/// Everything that can make a command fail.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum Error {
    /// Bad command line (exit 2). Printed as `PROG v… (nf_tables): MSG` and
    /// the `Try ...` line.
    #[error("{0}")]
    Param(String),
    /// Bad command line reported without the version prefix (exit 2), as
    /// iptables prints `Bad argument `5'`.
    #[error("{0}")]
    ParamBare(String),
    /// A kernel operation failed or a chain/rule is missing (exit 1).
    /// Printed as `PROG: MSG.`
    #[error("{0}")]
    Op(String),
    /// What the kernel refuses as invalid (EINVAL, exit 1). A single
    /// command prints `PROG: MSG. Run \`dmesg' for more information.`, a
    /// restore `line N failed: MSG.`
    #[error("{0}")]
    Invalid(String),
    /// The table does not exist (exit 3).
    #[error("{0}")]
    Version(String),
    /// The kernel rejected the batch or a resource failed (exit 4).
    /// Printed as `PROG v… (nf_tables): MSG`.
    #[error("{0}")]
    Resource(String),
    /// Output that is printed although the command failed (`iptables-save`
    /// with rules it cannot express): stdout, then the message on stderr.
    #[error("{msg}")]
    Partial {
        /// what goes to stdout
        out: String,
        /// text as printed on stderr
        msg: String,
        /// exit status
        code: i32,
    },
    /// Already fully formatted message with an explicit exit status.
    #[error("{msg}")]
    Raw {
        /// text as printed
        msg: String,
        /// exit status
        code: i32,
    },
}

impl Error {
    /// The exit status iptables uses for this kind of error.
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::Op(_) | Error::Invalid(_) => 1,
            Error::Param(_) | Error::ParamBare(_) => 2,
            Error::Version(_) => 3,
            Error::Resource(_) => 4,
            Error::Raw { code, .. } | Error::Partial { code, .. } => *code,
        }
    }

    /// The text iptables prints on stderr for this error, for program
    /// `prog` (`iptables`, `ip6tables`), without the final newline.
    pub fn render(&self, prog: &str) -> String {
        match self {
            Error::Param(m) => format!(
                "{prog} {VERSION}: {m}\nTry `{prog} -h' or '{prog} --help' for more information."
            ),
            Error::ParamBare(m) => {
                format!("{m}\nTry `{prog} -h' or '{prog} --help' for more information.")
            }
            Error::Op(m) => format!("{prog}: {m}."),
            Error::Invalid(m) => format!("{prog}: {m}. Run `dmesg' for more information."),
            Error::Version(m) => {
                format!(
                    "{prog} {VERSION}: {m}\nPerhaps {prog} or your kernel needs to be upgraded."
                )
            }
            Error::Resource(m) => format!("{prog} {VERSION}: {m}"),
            Error::Raw { msg, .. } | Error::Partial { msg, .. } => msg.clone(),
        }
    }
}

/// Shorthand for a parameter problem.
pub fn param(msg: impl Into<String>) -> Error {
    Error::Param(msg.into())
}

/// A rule read back from the kernel that rxtables cannot express.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[error("{0}")]
pub struct DecodeError(pub String);

/// Result with [`enum@Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

thread_local! {
    /// [`warn`] prints nothing ([`quietly`]); `WARNED` notes that it would have.
    static QUIET: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
    static WARNED: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Prints a warning iptables prints while it reads a command (on stderr,
/// a line), unless this thread reads [`quietly`].
pub fn warn(msg: impl std::fmt::Display) {
    if QUIET.with(std::cell::Cell::get) {
        WARNED.with(|w| w.set(true));
    } else {
        eprintln!("{msg}");
    }
}

/// Runs `f` with [`warn`] silent on this thread, and says whether it
/// would have warned: for reading a command again (its warnings were
/// printed the first time) or ahead of its turn.
pub fn quietly<R>(f: impl FnOnce() -> R) -> (R, bool) {
    let old = QUIET.with(|q| q.replace(true));
    let old_warned = WARNED.with(|w| w.replace(false));
    let r = f();
    QUIET.with(|q| q.set(old));
    let warned = WARNED.with(|w| w.replace(old_warned));
    (r, warned)
}
