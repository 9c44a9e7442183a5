//! The `uapi` command's arguments (clap), here rather than in the binary
//! so that `liveapid man` renders uapi(1) from the same definitions.

use std::path::PathBuf;

use clap::Parser;

const EXAMPLES: &str = "\
Examples:
  uapi --user=bob Email passwd_pop email=user password=- domain=example.com
      (as root: change user@example.com's password, read from standard input)
  uapi Email list_pops regex=%5Einfo --output=jsonpretty
      (as bob: bob's own mailboxes whose address starts with \"info\")
  uapi -u bob --output=json Email count_pops

Values are URI-decoded (%20 is a space, + is a space, %2B a plus). A repeated
key, or key-0 key-1 ..., gives a list. The value - (password=-) reads the
password from the first line of standard input, without echo on a terminal,
so that it is in neither the shell's history nor `ps`.

Exit status: 0 when the call ran, even when it answered status: 0 (as
cPanel's uapi does); 1 for an unknown or unreadable account, another user's
account without root, or a password that could not be read; 2 for a usage
error.";

/// One UAPI call from the command line.
#[derive(Debug, Parser)]
#[command(name = "uapi", version, after_help = EXAMPLES)]
pub struct Cli {
    /// The cPanel account. Root must give it (the call then runs as that
    /// account's user); a normal user may name only their own account.
    #[arg(short = 'u', long, value_name = "NAME")]
    pub user: Option<String>,
    /// yaml (cPanel's default), json (compact) or jsonpretty.
    #[arg(long, value_name = "FORMAT", default_value = "yaml")]
    pub output: String,
    /// The account's home directory [default: from ROOT/etc/passwd].
    #[arg(long, value_name = "DIR")]
    pub home: Option<PathBuf>,
    /// Append one JSON line for a state-changing or refused call to FILE,
    /// as `liveapid serve --audit-log` does.
    #[arg(long, value_name = "FILE")]
    pub audit_log: Option<PathBuf>,
    /// As root with --user: seconds the account's worker may take to answer
    /// (keep-alive bytes do not extend it).
    #[arg(long, value_name = "SECS", default_value_t = crate::protocol::client::DEFAULT_CALL_TIMEOUT.as_secs_f64())]
    pub worker_call_timeout: f64,
    /// Prefix of the system files (etc/passwd, var/cpanel/users/NAME, ...).
    #[arg(long, value_name = "DIR", default_value = "/")]
    pub root: PathBuf,
    /// The module, e.g. Email.
    pub module: String,
    /// The function, e.g. passwd_pop.
    pub function: String,
    /// key=value arguments, URI-encoded; password=- reads the password from
    /// standard input.
    #[arg(value_name = "KEY=VALUE", allow_hyphen_values = true)]
    pub args: Vec<String>,
}
