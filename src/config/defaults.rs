//! File settings as the defaults of the `serve` flags.
//!
//! Each key of the file has one flag of the same meaning; the file's value
//! replaces that flag's built-in default, so the command line still
//! overrides it and clap parses both the same way. `[[account]]` tables
//! have no single flag (each may carry its own home and socket): they are
//! [`ConfigFile::accounts`], used when neither `--user` nor `--all` is given.

use super::file::ConfigFile;

/// `(flag id, values)` for every setting the file gives. The ids are the
/// `serve` flags' (`--max-request-bytes` is `max_request_bytes`); a
/// repeatable flag (a list in the file) has several values.
pub fn flag_values(file: &ConfigFile) -> Vec<(&'static str, Vec<String>)> {
    let mut values = Vec::new();
    let mut put = |id: &'static str, value: Option<String>| {
        if let Some(value) = value {
            values.push((id, vec![value]));
        }
    };
    let path = |p: &Option<std::path::PathBuf>| p.as_ref().map(|p| p.display().to_string());
    put("root", path(&file.root));
    put("socket_dir", path(&file.socket_dir));
    put("all", file.all.map(|a| a.to_string()));
    put("audit_log", path(&file.audit_log));
    put(
        "audit_max_lines_per_minute",
        file.audit_max_lines_per_minute.map(|n| n.to_string()),
    );
    let limits = &file.limits;
    put(
        "max_request_bytes",
        limits.max_request_bytes.map(|n| n.0.to_string()),
    );
    put(
        "max_connections",
        limits.max_connections.map(|n| n.0.to_string()),
    );
    put("idle_timeout", limits.idle_timeout.map(|s| s.0.to_string()));
    put(
        "drain_timeout",
        limits.drain_timeout.map(|s| s.0.to_string()),
    );
    put(
        "keepalive_secs",
        limits.keepalive_secs.map(|s| s.0.to_string()),
    );
    put("verify_rate", limits.verify_rate.map(|n| n.to_string()));
    put(
        "verify_rate_per_caller",
        limits.verify_rate_per_caller.map(|n| n.to_string()),
    );
    put("change_rate", limits.change_rate.map(|n| n.to_string()));
    put(
        "change_rate_per_caller",
        limits.change_rate_per_caller.map(|n| n.to_string()),
    );
    put("hash_threads", limits.hash_threads.map(|n| n.to_string()));
    put("hash_queue", limits.hash_queue.map(|n| n.to_string()));
    put(
        "max_file_bytes",
        limits.max_file_bytes.map(|n| n.0.to_string()),
    );
    if let Some(after) = &file.after_change {
        put("after_password_change", Some(after.command.clone()));
        put(
            "after_change_timeout",
            after.timeout.map(|s| s.0.to_string()),
        );
    }
    let https = &file.https;
    put("tls_cert", path(&https.tls_cert));
    put("tls_key", path(&https.tls_key));
    put("auth_failures", https.auth_failures.map(|n| n.to_string()));
    put("session_idle", https.session_idle.map(|s| s.0.to_string()));
    put("worker_calls", https.worker_calls.map(|n| n.0.to_string()));
    put(
        "worker_call_timeout",
        https.worker_call_timeout.map(|s| s.0.to_string()),
    );
    // `--https` is repeatable: every address is one of its defaults.
    if !https.listen.is_empty() {
        let addresses = https.listen.iter().map(ToString::to_string).collect();
        values.push(("https_listen", addresses));
    }
    values
}

/// The command with the `subcommand`'s flag defaults taken from `file`.
///
/// # Panics
///
/// When a flag id of [`flag_values`] is not one of `subcommand`'s flags: a
/// programming error, caught by any test that loads a full file.
pub fn apply(command: clap::Command, subcommand: &str, file: &ConfigFile) -> clap::Command {
    let values = flag_values(file);
    command.mut_subcommand(subcommand, |sub| {
        values.into_iter().fold(sub, |sub, (id, given)| {
            sub.mut_arg(id, |arg| arg.default_values(given))
        })
    })
}
