//! Log set-up shared by the binaries: to standard error, filtered by
//! `LIVEAPID_LOG` (e.g. `debug`), colours only on a terminal. No log line
//! ever holds a password.

/// Starts logging at `default_filter` (e.g. `info`) unless `LIVEAPID_LOG`
/// says otherwise. Starts no thread, so a worker may call it before it
/// drops its privileges.
pub fn init(default_filter: &str) {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("LIVEAPID_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default_filter)),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
}
