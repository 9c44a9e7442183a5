//! The `uapi` command: one UAPI call from a shell, as cPanel's
//! `/usr/local/cpanel/bin/uapi` makes it. Arguments, output and exit codes
//! live here; the call itself is the library's.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use liveapid::command_line::arguments::{decode_pairs, to_object, Pair};
use liveapid::command_line::invocation::{self, Invocation};
use liveapid::command_line::output::{render, Format};
use liveapid::command_line::secret;

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
#[derive(Parser)]
#[command(name = "uapi", version, after_help = EXAMPLES)]
struct Cli {
    /// The cPanel account. Root must give it (the call then runs as that
    /// account's user); a normal user may name only their own account.
    #[arg(short = 'u', long, value_name = "NAME")]
    user: Option<String>,
    /// yaml (cPanel's default), json (compact) or jsonpretty.
    #[arg(long, value_name = "FORMAT", default_value = "yaml")]
    output: String,
    /// The account's home directory [default: from ROOT/etc/passwd].
    #[arg(long, value_name = "DIR")]
    home: Option<PathBuf>,
    /// Append one JSON line for a state-changing or refused call to FILE,
    /// as `liveapid serve --audit-log` does.
    #[arg(long, value_name = "FILE")]
    audit_log: Option<PathBuf>,
    /// Prefix of the system files (etc/passwd, var/cpanel/users/NAME, ...).
    #[arg(long, value_name = "DIR", default_value = "/")]
    root: PathBuf,
    /// The module, e.g. Email.
    module: String,
    /// The function, e.g. passwd_pop.
    function: String,
    /// key=value arguments, URI-encoded; password=- reads the password from
    /// standard input.
    #[arg(value_name = "KEY=VALUE", allow_hyphen_values = true)]
    args: Vec<String>,
}

/// Keys whose value `-` means "read it from standard input".
fn is_secret_key(key: &str) -> bool {
    key.contains("password") || key == "pass" || key == "secret" || key == "token"
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) if e.use_stderr() => return usage(&one_line(&e.to_string())),
        Err(e) => {
            // --help and --version.
            let _ = e.print();
            return ExitCode::SUCCESS;
        }
    };
    let format = match Format::from_name(&cli.output) {
        Ok(format) => format,
        Err(e) => return usage(&e.to_string()),
    };
    let mut pairs = match decode_pairs(&cli.args) {
        Ok(pairs) => pairs,
        Err(e) => return usage(&e.to_string()),
    };
    if rustix::process::geteuid().is_root() && cli.user.is_none() {
        return usage("as root, name the account with --user NAME (the call runs as that account)");
    }
    if let Err(e) = read_secrets(&mut pairs) {
        return failure(&e);
    }
    // Warnings only (a storage fault), on standard error: standard output
    // carries only the result.
    liveapid::logging::init("warn");
    let invocation = Invocation {
        user: cli.user,
        home: cli.home,
        root: cli.root,
        module: cli.module,
        func: cli.function,
        args: to_object(pairs),
        audit_log: cli.audit_log,
    };
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => return failure(&format!("cannot start the runtime: {e}")),
    };
    let envelope = match runtime.block_on(invocation::run(invocation)) {
        Ok(envelope) => envelope,
        Err(e) => return failure(&e.to_string()),
    };
    match render(&envelope, format) {
        Ok(text) => {
            print!("{text}");
            ExitCode::SUCCESS
        }
        Err(e) => failure(&e.to_string()),
    }
}

/// Replaces every secret `-` value by the first line of standard input.
fn read_secrets(pairs: &mut [Pair]) -> Result<(), String> {
    let mut wanted = pairs
        .iter_mut()
        .filter(|p| p.value == "-" && is_secret_key(&p.key));
    let Some(first) = wanted.next() else {
        return Ok(());
    };
    if wanted.next().is_some() {
        return Err("only one argument can be read from standard input (“-”)".into());
    }
    let line = secret::read_line(&format!("{}: ", first.key))
        .map_err(|e| format!("cannot read {} from standard input: {e}", first.key))?;
    first.value = line.as_str().to_owned();
    Ok(())
}

/// clap's message up to its usage block, as one line.
fn one_line(text: &str) -> String {
    let message: Vec<&str> = text
        .lines()
        .take_while(|l| !l.starts_with("Usage:"))
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    let joined = message.join(" ");
    joined.strip_prefix("error: ").unwrap_or(&joined).to_owned()
}

fn usage(message: &str) -> ExitCode {
    eprintln!("uapi: {message} (see uapi --help)");
    ExitCode::from(2)
}

fn failure(message: &str) -> ExitCode {
    eprintln!("uapi: {message}");
    ExitCode::FAILURE
}
