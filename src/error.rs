//! The one error type of liveapid.
//!
//! Every failure, from a torn socket to a weak password, is a variant here.
//! Input errors display as the exact sentence cPanel puts in a UAPI `errors[]`
//! entry (`docs/email.md` §1.3 and §9.6); [`crate::api::result`] is the one
//! place that turns an error into such an entry. No variant ever carries a
//! password.

use std::io;
use std::path::PathBuf;

/// Everything that can go wrong in liveapid.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    // ---- transport and framing: these end one connection, never the daemon ----
    #[error(transparent)]
    Io(#[from] io::Error),

    #[error("request length line is longer than {max} bytes")]
    LengthLineTooLong { max: usize },

    #[error("request length line is not a positive decimal number")]
    BadLengthLine,

    #[error("The request of {len} bytes is over this server's limit of {max} bytes (liveapid --max-request-bytes); the connection is closed.")]
    PayloadTooLarge { len: u64, max: usize },

    // ---- start-up and configuration ----
    #[error("cannot read the cPanel user file {}: {source}", path.display())]
    CpUserFile { path: PathBuf, source: io::Error },

    #[error("the cPanel user file {} names no main domain (no DNS= line)", path.display())]
    NoMainDomain { path: PathBuf },

    #[error("no system user named “{user}” in {}; give the home directory with --home", path.display())]
    NoSystemUser { user: String, path: PathBuf },

    #[error("{0}")]
    Config(String),

    // ---- process faults: starting a worker, its privilege drop, its
    // channels, the runtime, the CLI's own output; never the caller's fault ----
    #[error("cannot start the runtime: {0}")]
    Runtime(io::Error),

    #[error("cannot find the liveapid binary to start a worker: {0}")]
    WorkerBinary(io::Error),

    #[error("cannot start the worker of “{user}”: {source}")]
    WorkerStart { user: String, source: io::Error },

    #[error("cannot become uid {uid}: {source}")]
    BecomeUser { uid: u32, source: io::Error },

    /// The worker's ids are not the account's alone, or cannot be checked.
    #[error("{0}")]
    PrivilegeDrop(String),

    #[error("the worker has no descriptor {0}: workers are started by `liveapid serve` only")]
    MissingDescriptor(i32),

    #[error("the supervisor sent no settings: workers are started by `liveapid serve` only")]
    NoSettings,

    #[error("unreadable settings from the supervisor: {0}")]
    UnreadableSettings(String),

    #[error("cannot {action} {program}: {source}")]
    Script {
        /// “run” or “wait for”.
        action: &'static str,
        program: String,
        source: io::Error,
    },

    #[error("cannot write {format}: {message}")]
    Output {
        /// “JSON” or “YAML”.
        format: &'static str,
        message: String,
    },

    #[error("cannot make a self-signed certificate: {0}")]
    SelfSignedCertificate(String),

    #[error("the demo mailbox could not be created: {0}")]
    DemoMailbox(Box<Error>),

    // ---- the UAPI framework (docs/email.md §1.3) ----
    #[error("Provide the {} {}.", quoted_list(.0), numerate(.0, "argument", "arguments"))]
    MissingArguments(Vec<String>),

    #[error("The {} {} cannot be empty.", quoted_list(.0), numerate(.0, "argument", "arguments"))]
    EmptyArguments(Vec<String>),

    #[error("The “{0}” argument must have a single value.")]
    NotSingleValue(String),

    #[error("The arguments must be a JSON object of names and values.")]
    ArgumentsNotObject,

    /// An HTTPS form body that is not UTF-8: the client's mistake.
    #[error("The request body is not UTF-8 text.")]
    BodyNotUtf8,

    #[error("The system could not find the function “{func}” in the module “{module}”.")]
    UnknownFunction { module: String, func: String },

    #[error("Failed to load module “{0}”: liveapid does not provide this module.")]
    UnknownModule(String),

    #[error("Illegal function name: {0}")]
    IllegalFunctionName(String),

    #[error("The API version “{0}” is not supported. Use “uapi” (or 3), 2, or 1.")]
    UnknownApiVersion(String),

    // ---- mailbox input (docs/email.md §9) ----
    #[error("You do not have an email account named “{0}”.")]
    NoSuchMailbox(String),

    #[error("The email account “{0}” is damaged: it has an entry in only one of the “passwd” and “shadow” files.")]
    DamagedMailbox(String),

    #[error("The given password is too weak. Please enter a password with a strength rating {}.", required_phrase(*.0))]
    WeakPassword(u32),

    #[error("“{}” is not a valid email account name. Use letters, numbers, periods (not first, last, or twice in a row), and the characters ! # $ - = ? ^ _ {{ }} ~.", shown(.0))]
    InvalidLocalpart(String),

    #[error("Your username cannot contain more than 64 characters.")]
    LocalpartTooLong,

    #[error("Your email address cannot contain more than 254 characters.")]
    AddressTooLong,

    #[error("“{}” is not a valid domain name.", shown(.0))]
    InvalidDomain(String),

    #[error("The email address “{}” is not in the domain “{}”. Give the address alone, or a matching domain.", shown(.address), shown(.domain))]
    AddressDomainMismatch { address: String, domain: String },

    #[error("The email account “{0}” already exists.")]
    MailboxExists(String),

    #[error("“{}” is a reserved name and cannot be used for an email account.", shown(.0))]
    ReservedLocalpart(String),

    #[error("The quota “{}” is not valid. Give a whole number of megabytes, or “unlimited”.", shown(.0))]
    InvalidQuota(String),

    #[error(
        "The quota cannot be unlimited: this account allows at most {0} MB per email account."
    )]
    QuotaAboveMaximum(u64),

    #[error("The password cannot contain control characters (such as NUL, tab, or a line break): no mail client could send them at login.")]
    PasswordControlCharacter,

    #[error("Provide the “password” or the “password_hash” argument, not both.")]
    PasswordAndHash,

    #[error("Provide the “password” or “password_hash” argument.")]
    NoPasswordOrHash,

    #[error("The “password_hash” argument is not a valid SHA-512 (“$6$”) or SHA-256 (“$5$”) crypt hash.")]
    InvalidPasswordHash,

    #[error("The system cannot check the password of “{0}”: its stored hash uses a scheme liveapid does not support.")]
    UnsupportedHashScheme(String),

    #[error("You cannot create more email accounts: this account allows at most {0}.")]
    TooManyMailboxes(u64),

    #[error("The “regex” argument is not a valid regular expression: {}", shown(.0))]
    InvalidRegex(String),

    #[error("You do not have any email accounts configured for “{}”.", shown(.0))]
    NoAccountsForDomain(String),

    // ---- API tokens and webmail (issue 13) ----
    #[error("“{}” is not a valid API token name. Use 1 to 50 letters, numbers, dashes (-) and underscores (_).", shown(.0))]
    InvalidTokenName(String),

    #[error("An API token named “{}” already exists.", shown(.0))]
    TokenNameTaken(String),

    #[error("You do not have an API token named “{}”.", shown(.0))]
    NoSuchToken(String),

    /// cPanel's refusal of any call but the mailbox's own password change
    /// in a webmail session.
    #[error("Execution of {}::{} (api version:3) is not permitted inside of webmail", shown(.module), shown(.func))]
    NotPermittedInWebmail { module: String, func: String },

    // ---- limits on the work one caller may cause (issue 11); all three are
    // refusals of a request, none a fault of the server ----
    #[error("The password cannot be longer than {} bytes.", thousands(*.max))]
    PasswordTooLong { max: usize },

    #[error("The server is busy hashing other passwords; try again in a moment.")]
    HashingBusy,

    #[error("Too many {what} in the last minute (at most {limit} per minute for {whom}); try again in a minute.")]
    RateLimited {
        /// “password checks” or “password changes”.
        what: &'static str,
        limit: u32,
        /// “this user” or the mailbox's address: never a password.
        whom: String,
    },

    // ---- root's calls to an account's worker (issue 19): the worker is
    // late or busy, never the caller's fault ----
    #[error("The account's server did not answer within {seconds} seconds (liveapid --worker-call-timeout); try again later.")]
    WorkerDeadline { seconds: f64 },

    #[error("The account's server already has {limit} calls in progress (liveapid --worker-calls); try again in a moment.")]
    WorkerBusy { limit: usize },

    // ---- storage ----
    #[error("The system could not {action} “{}”: {source}", path.display())]
    Storage {
        action: &'static str,
        path: PathBuf,
        source: io::Error,
    },

    #[error("The system could not lock “{}”: another process held it for {seconds} seconds.", path.display())]
    LockTimeout { path: PathBuf, seconds: u64 },

    /// A path under the home (given relative to it) that leads outside the
    /// home, through a symlink the account owner planted: refused, nothing
    /// outside touched.
    #[error("The system refused to use “{}”: it leads outside the account's home directory.", .0.display())]
    OutsideHome(PathBuf),

    /// A file under the home (named relative to it) that is not what a file
    /// must be before it is read (`home::file_rules`): a FIFO, another
    /// user's, too large. Refused, nothing read.
    #[error("The system refused to read “{}”: {problem}.", path.display())]
    UnfitFile { path: PathBuf, problem: Unfit },

    // ---- `liveapid account add` / `remove`: refusals of the command ----
    #[error("liveapid account {0} needs root: it writes the host's account files and gives files to the account")]
    NeedsRoot(&'static str),

    #[error("“{}” is not a system user (no line in {}); make the user first, e.g. useradd -m {}", shown(.user), path.display(), shown(.user))]
    NotASystemUser { user: String, path: PathBuf },

    #[error("“{user}” has uid {uid}: root and system accounts cannot be cPanel accounts (uids {min} to {max} only)")]
    SystemAccount {
        user: String,
        uid: u32,
        min: u32,
        max: u32,
    },

    #[error("the domain “{domain}” already belongs to the account “{owner}”")]
    DomainTaken { domain: String, owner: String },

    #[error("the account “{0}” already exists and already has every domain given")]
    AccountHasDomains(String),

    #[error("there is no account “{}” ({} does not exist)", shown(.user), path.display())]
    NoSuchAccount { user: String, path: PathBuf },
}

/// `pub type Result` as in bat: the crate's errors, nothing else.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Why a file under the home was not read (`home::file_rules` decides;
/// the bounds travel in the variants, so this file names no other module).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Unfit {
    #[error("it is {0}, not a regular file")]
    NotRegular(&'static str),
    #[error("it belongs to uid {0}, not to the account")]
    ForeignOwner(u32),
    #[error("it is larger than the limit of {0} bytes (--max-file-bytes)")]
    TooLarge(u64),
    #[error("it has more than {lines} lines (one per {bytes_per_line} bytes of --max-file-bytes)")]
    TooManyLines { lines: u64, bytes_per_line: u64 },
    #[error("it holds more than {entries} files or is deeper than {depth} directories")]
    TooManyEntries { entries: u64, depth: usize },
}

impl Error {
    /// Wraps an I/O error with what was being done and to which file.
    pub fn storage(action: &'static str, path: impl Into<PathBuf>, source: io::Error) -> Self {
        Error::Storage {
            action,
            path: path.into(),
            source,
        }
    }

    /// True for the errors that mean "this request was wrong", as opposed to
    /// a fault of the server. Only the latter are worth a warning in the log.
    ///
    /// An allow-list: a variant added later counts as a fault (and is
    /// logged) until it is named here.
    pub fn is_input_error(&self) -> bool {
        matches!(
            self,
            Error::LengthLineTooLong { .. }
                | Error::BadLengthLine
                | Error::PayloadTooLarge { .. }
                | Error::MissingArguments(_)
                | Error::EmptyArguments(_)
                | Error::NotSingleValue(_)
                | Error::ArgumentsNotObject
                | Error::BodyNotUtf8
                | Error::UnknownFunction { .. }
                | Error::UnknownModule(_)
                | Error::IllegalFunctionName(_)
                | Error::UnknownApiVersion(_)
                | Error::NoSuchMailbox(_)
                | Error::WeakPassword(_)
                | Error::InvalidLocalpart(_)
                | Error::LocalpartTooLong
                | Error::AddressTooLong
                | Error::InvalidDomain(_)
                | Error::AddressDomainMismatch { .. }
                | Error::MailboxExists(_)
                | Error::ReservedLocalpart(_)
                | Error::InvalidQuota(_)
                | Error::QuotaAboveMaximum(_)
                | Error::PasswordControlCharacter
                | Error::PasswordAndHash
                | Error::NoPasswordOrHash
                | Error::InvalidPasswordHash
                | Error::UnsupportedHashScheme(_)
                | Error::TooManyMailboxes(_)
                | Error::InvalidRegex(_)
                | Error::NoAccountsForDomain(_)
                | Error::InvalidTokenName(_)
                | Error::TokenNameTaken(_)
                | Error::NoSuchToken(_)
                | Error::NotPermittedInWebmail { .. }
                | Error::OutsideHome(_)
                | Error::UnfitFile { .. }
                | Error::PasswordTooLong { .. }
                | Error::HashingBusy
                | Error::RateLimited { .. }
                | Error::NeedsRoot(_)
                | Error::NotASystemUser { .. }
                | Error::SystemAccount { .. }
                | Error::DomainTaken { .. }
                | Error::AccountHasDomains(_)
                | Error::NoSuchAccount { .. }
        )
    }

    /// True for refusals worth a warning although the request is to blame:
    /// a path that leads outside the home is an attempt on other files.
    pub fn is_security_refusal(&self) -> bool {
        // A caller over its rate may be guessing passwords or burning CPU;
        // a full hashing queue means someone is loading the server.
        matches!(
            self,
            Error::OutsideHome(_)
                | Error::UnfitFile { .. }
                | Error::RateLimited { .. }
                | Error::HashingBusy
        )
    }

    /// A copy for each waiter of a batch that failed as a whole. `io::Error`
    /// is not `Clone`, so the copy keeps its kind and message.
    pub fn duplicate(&self) -> Error {
        match self {
            Error::Storage {
                action,
                path,
                source,
            } => Error::storage(action, path.clone(), copy_io(source)),
            Error::LockTimeout { path, seconds } => Error::LockTimeout {
                path: path.clone(),
                seconds: *seconds,
            },
            Error::Io(e) => Error::Io(copy_io(e)),
            Error::OutsideHome(path) => Error::OutsideHome(path.clone()),
            Error::UnfitFile { path, problem } => Error::UnfitFile {
                path: path.clone(),
                problem: problem.clone(),
            },
            other => Error::Config(other.to_string()),
        }
    }
}

fn copy_io(e: &io::Error) -> io::Error {
    io::Error::new(e.kind(), e.to_string())
}

/// `“a”`, `“a” and “b”`, `“a”, “b”, and “c”`: cPanel's `list_and_quoted`.
fn quoted_list(names: &[String]) -> String {
    let quoted: Vec<String> = names.iter().map(|n| format!("“{n}”")).collect();
    match quoted.len() {
        0 => String::new(),
        1 => quoted[0].clone(),
        2 => format!("{} and {}", quoted[0], quoted[1]),
        n => format!("{}, and {}", quoted[..n - 1].join(", "), quoted[n - 1]),
    }
}

fn numerate(items: &[String], one: &'static str, many: &'static str) -> &'static str {
    if items.len() == 1 {
        one
    } else {
        many
    }
}

/// `1,024`: cPanel's English number format.
fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// cPanel's `PasswordIsTooWeak` says "of 100." rather than "of 100 or higher.".
fn required_phrase(required: u32) -> String {
    if required >= 100 {
        "of 100".to_string()
    } else {
        format!("of {required} or higher")
    }
}

/// A user-supplied value as it may appear inside an error text: control
/// characters (NUL, newline, ...) are shown escaped, and very long values are
/// cut, so an error line stays one readable line.
pub(crate) fn shown(value: &str) -> String {
    const MAX_CHARS: usize = 80;
    let mut out = String::new();
    for (i, c) in value.chars().enumerate() {
        if i == MAX_CHARS {
            out.push('…');
            break;
        }
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn framework_texts_match_cpanel() {
        assert_eq!(
            Error::MissingArguments(vec!["password".into()]).to_string(),
            "Provide the “password” argument."
        );
        assert_eq!(
            Error::MissingArguments(vec!["email".into(), "password".into()]).to_string(),
            "Provide the “email” and “password” arguments."
        );
        assert_eq!(
            Error::EmptyArguments(vec!["password".into()]).to_string(),
            "The “password” argument cannot be empty."
        );
        assert_eq!(
            Error::UnknownFunction {
                module: "Email".into(),
                func: "nope".into()
            }
            .to_string(),
            "The system could not find the function “nope” in the module “Email”."
        );
    }

    #[test]
    fn weak_password_text_has_the_cpanel_hundred_case() {
        assert_eq!(
            Error::WeakPassword(65).to_string(),
            "The given password is too weak. Please enter a password with a strength rating of 65 or higher."
        );
        assert_eq!(
            Error::WeakPassword(100).to_string(),
            "The given password is too weak. Please enter a password with a strength rating of 100."
        );
    }

    #[test]
    fn outside_home_is_an_input_error_kept_by_duplicate() {
        let e = Error::OutsideHome(PathBuf::from("etc/example.org"));
        assert_eq!(
            e.to_string(),
            "The system refused to use “etc/example.org”: it leads outside the account's home directory."
        );
        assert!(e.is_input_error() && e.is_security_refusal());
        assert!(
            matches!(e.duplicate(), Error::OutsideHome(p) if p == std::path::Path::new("etc/example.org"))
        );
    }

    /// Every variant with its classification. The match has no wildcard,
    /// so a new variant does not compile here until it is classified.
    #[test]
    fn every_variant_is_classified() {
        let io = || io::Error::other("x");
        let path = || PathBuf::from("etc/example.com/shadow");
        let s = || String::from("x");
        let all = [
            Error::Io(io()),
            Error::LengthLineTooLong { max: 20 },
            Error::BadLengthLine,
            Error::PayloadTooLarge { len: 2, max: 1 },
            Error::CpUserFile {
                path: path(),
                source: io(),
            },
            Error::NoMainDomain { path: path() },
            Error::NoSystemUser {
                user: s(),
                path: path(),
            },
            Error::Config(s()),
            Error::Runtime(io()),
            Error::WorkerBinary(io()),
            Error::WorkerStart {
                user: s(),
                source: io(),
            },
            Error::BecomeUser {
                uid: 1001,
                source: io(),
            },
            Error::PrivilegeDrop(s()),
            Error::MissingDescriptor(7),
            Error::NoSettings,
            Error::UnreadableSettings(s()),
            Error::Script {
                action: "run",
                program: s(),
                source: io(),
            },
            Error::Output {
                format: "YAML",
                message: s(),
            },
            Error::SelfSignedCertificate(s()),
            Error::DemoMailbox(Box::new(Error::HashingBusy)),
            Error::MissingArguments(vec![s()]),
            Error::EmptyArguments(vec![s()]),
            Error::NotSingleValue(s()),
            Error::ArgumentsNotObject,
            Error::BodyNotUtf8,
            Error::UnknownFunction {
                module: s(),
                func: s(),
            },
            Error::UnknownModule(s()),
            Error::IllegalFunctionName(s()),
            Error::UnknownApiVersion(s()),
            Error::NoSuchMailbox(s()),
            Error::DamagedMailbox(s()),
            Error::WeakPassword(65),
            Error::InvalidLocalpart(s()),
            Error::LocalpartTooLong,
            Error::AddressTooLong,
            Error::InvalidDomain(s()),
            Error::AddressDomainMismatch {
                address: s(),
                domain: s(),
            },
            Error::MailboxExists(s()),
            Error::ReservedLocalpart(s()),
            Error::InvalidQuota(s()),
            Error::QuotaAboveMaximum(1),
            Error::PasswordControlCharacter,
            Error::PasswordAndHash,
            Error::NoPasswordOrHash,
            Error::InvalidPasswordHash,
            Error::UnsupportedHashScheme(s()),
            Error::TooManyMailboxes(1),
            Error::InvalidRegex(s()),
            Error::NoAccountsForDomain(s()),
            Error::InvalidTokenName(s()),
            Error::TokenNameTaken(s()),
            Error::NoSuchToken(s()),
            Error::NotPermittedInWebmail {
                module: s(),
                func: s(),
            },
            Error::WorkerDeadline { seconds: 1.0 },
            Error::WorkerBusy { limit: 1 },
            Error::storage("write", path(), io()),
            Error::LockTimeout {
                path: path(),
                seconds: 1,
            },
            Error::OutsideHome(path()),
            Error::UnfitFile {
                path: path(),
                problem: Unfit::NotRegular("a FIFO"),
            },
            Error::PasswordTooLong { max: 511 },
            Error::HashingBusy,
            Error::RateLimited {
                what: "password checks",
                limit: 1,
                whom: s(),
            },
            Error::NeedsRoot("add"),
            Error::NotASystemUser {
                user: s(),
                path: path(),
            },
            Error::SystemAccount {
                user: s(),
                uid: 1,
                min: 1000,
                max: 60000,
            },
            Error::DomainTaken {
                domain: s(),
                owner: s(),
            },
            Error::AccountHasDomains(s()),
            Error::NoSuchAccount {
                user: s(),
                path: path(),
            },
        ];
        for e in &all {
            let (input, security) = match e {
                Error::Io(_)
                | Error::CpUserFile { .. }
                | Error::NoMainDomain { .. }
                | Error::NoSystemUser { .. }
                | Error::Config(_)
                | Error::Runtime(_)
                | Error::WorkerBinary(_)
                | Error::WorkerStart { .. }
                | Error::BecomeUser { .. }
                | Error::PrivilegeDrop(_)
                | Error::MissingDescriptor(_)
                | Error::NoSettings
                | Error::UnreadableSettings(_)
                | Error::Script { .. }
                | Error::Output { .. }
                | Error::SelfSignedCertificate(_)
                | Error::DemoMailbox(_)
                | Error::DamagedMailbox(_)
                | Error::Storage { .. }
                | Error::WorkerDeadline { .. }
                | Error::WorkerBusy { .. }
                | Error::LockTimeout { .. } => (false, false),
                Error::OutsideHome(_)
                | Error::UnfitFile { .. }
                | Error::HashingBusy
                | Error::RateLimited { .. } => (true, true),
                Error::PasswordTooLong { .. } => (true, false),
                Error::LengthLineTooLong { .. }
                | Error::BadLengthLine
                | Error::PayloadTooLarge { .. }
                | Error::MissingArguments(_)
                | Error::EmptyArguments(_)
                | Error::NotSingleValue(_)
                | Error::ArgumentsNotObject
                | Error::BodyNotUtf8
                | Error::UnknownFunction { .. }
                | Error::UnknownModule(_)
                | Error::IllegalFunctionName(_)
                | Error::UnknownApiVersion(_)
                | Error::NoSuchMailbox(_)
                | Error::WeakPassword(_)
                | Error::InvalidLocalpart(_)
                | Error::LocalpartTooLong
                | Error::AddressTooLong
                | Error::InvalidDomain(_)
                | Error::AddressDomainMismatch { .. }
                | Error::MailboxExists(_)
                | Error::ReservedLocalpart(_)
                | Error::InvalidQuota(_)
                | Error::QuotaAboveMaximum(_)
                | Error::PasswordControlCharacter
                | Error::PasswordAndHash
                | Error::NoPasswordOrHash
                | Error::InvalidPasswordHash
                | Error::UnsupportedHashScheme(_)
                | Error::TooManyMailboxes(_)
                | Error::InvalidRegex(_)
                | Error::NoAccountsForDomain(_)
                | Error::InvalidTokenName(_)
                | Error::TokenNameTaken(_)
                | Error::NoSuchToken(_)
                | Error::NotPermittedInWebmail { .. }
                | Error::NeedsRoot(_)
                | Error::NotASystemUser { .. }
                | Error::SystemAccount { .. }
                | Error::DomainTaken { .. }
                | Error::AccountHasDomains(_)
                | Error::NoSuchAccount { .. } => (true, false),
            };
            assert_eq!(e.is_input_error(), input, "is_input_error of {e:?}");
            assert_eq!(
                e.is_security_refusal(),
                security,
                "is_security_refusal of {e:?}"
            );
        }
        assert_eq!(all.len(), 68, "one of each variant");
    }

    #[test]
    fn limit_texts_are_sentences_with_no_secret() {
        assert_eq!(
            Error::PasswordTooLong { max: 511 }.to_string(),
            "The password cannot be longer than 511 bytes."
        );
        assert_eq!(thousands(1024), "1,024");
        assert_eq!(thousands(1_048_576), "1,048,576");
        assert_eq!(thousands(999), "999");
        let limited = Error::RateLimited {
            what: "password checks",
            limit: 3,
            whom: "user@example.com".into(),
        };
        assert_eq!(
            limited.to_string(),
            "Too many password checks in the last minute (at most 3 per minute for user@example.com); try again in a minute."
        );
        for e in [
            limited,
            Error::HashingBusy,
            Error::PasswordTooLong { max: 1 },
        ] {
            assert!(e.is_input_error(), "{e}");
        }
    }

    #[test]
    fn shown_escapes_control_characters_and_cuts_long_values() {
        assert_eq!(shown("a\nb\0"), "a\\nb\\u{0}");
        assert_eq!(shown(&"x".repeat(300)).chars().count(), 81);
    }
}
