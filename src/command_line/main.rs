//! The whole `uapi` command: arguments, output and exit codes. Both the
//! `uapi` binary and `liveapid uapi` run it, so that a `liveapid` built
//! alone (`cargo run --release -- demo`) already carries the command.

use std::ffi::OsString;
use std::process::ExitCode;

use clap::Parser;

use super::cli::Cli;
use super::invocation::{self, Invocation};
use super::output::{render, Format};
use super::secret;
use crate::api::key_value::{decode_pairs, to_object, Pair};

/// Keys whose value `-` means "read it from standard input".
fn is_secret_key(key: &str) -> bool {
    key.contains("password") || key == "pass" || key == "secret" || key == "token"
}

/// Runs `uapi` with `args` (the first is the program's name).
pub fn main(args: impl IntoIterator<Item = OsString>) -> ExitCode {
    let cli = match Cli::try_parse_from(args) {
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
    let call_timeout = match std::time::Duration::try_from_secs_f64(cli.worker_call_timeout) {
        Ok(timeout) if !timeout.is_zero() => timeout,
        _ => return usage("--worker-call-timeout must be a positive number of seconds"),
    };
    if let Err(e) = read_secrets(&mut pairs) {
        return failure(&e);
    }
    // Warnings only (a storage fault), on standard error: standard output
    // carries only the result.
    crate::logging::init("warn", crate::logging::LogFormat::Text);
    let invocation = Invocation {
        user: cli.user,
        home: cli.home,
        root: cli.root,
        module: cli.module,
        func: cli.function,
        args: to_object(pairs),
        audit_log: cli.audit_log,
        call_timeout,
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
